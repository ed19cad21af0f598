//! Panics inside simulated runs are findings, not crashes: `World::run_catching` turns them
//! into `panic` violations with their message, and campaigns report them with a trace. The
//! default hook would also print them, interleaved with progress bars and summaries, so the
//! hook stays quiet where a panic is caught on purpose: on campaign workers, and around the
//! calls wrapped in [`quietly`]. Everywhere else (a panic in the CLI itself, or `run` and
//! `replay`, where the location and backtrace help debugging) the default hook still speaks.

use std::cell::{Cell, RefCell};

/// Thread names of campaign workers.
pub const WORKER_THREAD_PREFIX: &str = "raftsim-worker";

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// Where this thread last panicked, as `file:line:column`.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Where this thread last panicked (and forgets it): the hook records it, since the caught
/// payload carries only the message.
pub fn take_location() -> Option<String> {
    LOCATION.take()
}

/// Whose code a panic at `location` is in: the Raft under test's, or raftsim's own.
pub fn culprit(location: &str) -> &'static str {
    let in_raft = location.contains("crates/raft/")
        || location.contains("/raft-0.")
        || location.contains("/raft-proto-");
    if in_raft { "panic in the Raft under test" } else { "harness panic" }
}

/// Runs `work` with the panic hook silenced on this thread.
pub fn quietly<T>(work: impl FnOnce() -> T) -> T {
    let was = QUIET.replace(true);
    let result = work();
    QUIET.set(was);
    result
}

/// Installs the hook described in the module documentation.
pub fn install_hook() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(location) = info.location() {
            let location = format!("{}:{}:{}", location.file(), location.line(), location.column());
            LOCATION.set(Some(location));
        }
        let worker = std::thread::current()
            .name()
            .is_some_and(|name| name.starts_with(WORKER_THREAD_PREFIX));
        if !worker && !QUIET.get() {
            default_hook(info);
        }
    }));
}
