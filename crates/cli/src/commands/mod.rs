//! One module per subcommand.

pub mod bench;
pub mod experiment;
pub mod fuzz;
pub mod hunt;
pub mod list;
pub mod merge;
pub mod replay;
pub mod run;
pub mod shrink;

use raftsim_raft::Bug;

/// Parses a bug name for clap.
pub fn parse_bug(name: &str) -> Result<Bug, String> {
    name.parse::<Bug>().map_err(|error| error.to_string())
}

/// Quotes a shell word if it needs it, for printed commands.
pub fn shell_word(word: &str) -> String {
    let safe = word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,".contains(c));
    if safe && !word.is_empty() {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The `raftsim run` command that reproduces `seed` of `scenario` (a name or a path, as given)
/// on `raft` with `bugs`: what a failure prints when it has no trace to replay.
pub fn run_command(seed: u64, scenario: &str, raft: &str, bugs: raftsim_raft::Bugs) -> String {
    let mut command = format!(
        "{} run --seed {seed} --scenario {}",
        crate::output::command_name(),
        shell_word(scenario)
    );
    if raft != raftsim_sim::RAFTSIM {
        command.push_str(&format!(" --raft {}", shell_word(raft)));
    }
    for bug in bugs.iter() {
        command.push_str(&format!(" --bug {bug}"));
    }
    command
}
