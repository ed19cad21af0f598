//! Exit codes, mapped in one place (DESIGN.md, CLI conventions).

use std::process::ExitCode;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// No violation.
    Pass = 0,
    /// A property was violated.
    Violation = 1,
    /// Bad input or usage.
    BadInput = 2,
    /// A replay did not reproduce its trace.
    Diverged = 3,
    /// A seed outgrew a harness limit (its budget, the event queue) and no property was
    /// violated: the scenario asks more than the harness can hold, which says nothing of the
    /// Raft.
    Exceeded = 4,
    /// Interrupted by Ctrl-C or SIGTERM, after writing the summary and any traces.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}
