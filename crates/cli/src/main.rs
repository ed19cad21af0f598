//! `raftsim`: deterministic simulation testing for Raft, from the command line.
//!
//! The binary is thin: it parses arguments, calls the simulator, and maps results to exit codes
//! in one place ([`exit::Exit`]).

mod campaign;
mod campaign_page;
mod cdf_svg;
mod commands;
mod engines;
mod exit;
mod files;
mod html;
mod interrupt;
mod merge;
mod output;
mod panics;
mod report;
mod seeds;
mod timeline;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::Exit;

/// A simulation allocates and frees many small objects per event (frames, entries, message
/// batches); mimalloc serves them markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Deterministic simulation testing for Raft: one seed drives a whole simulated cluster through
/// partitions, pauses, overload, corruption and crashes, and every safety property is checked
/// after every step. A failing seed becomes a trace that replays byte for byte.
#[derive(Parser)]
#[command(name = "raftsim", version, propagate_version = true)]
#[command(after_help = "Exit codes: 0 no violation, 1 violation, 2 bad input or usage, \
3 replay diverged, 4 a seed exceeded a harness limit (and no violation), 130 interrupted.\n\n\
Start with `raftsim fuzz` and `raftsim --help <command>`.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Fuzz(commands::fuzz::FuzzArgs),
    Run(commands::run::RunArgs),
    Replay(commands::replay::ReplayArgs),
    Shrink(commands::shrink::ShrinkArgs),
    Hunt(commands::hunt::HuntArgs),
    Merge(commands::merge::MergeArgs),
    Bench(commands::bench::BenchArgs),
    Experiment(commands::experiment::ExperimentArgs),
    Scenarios(commands::list::ScenariosArgs),
    Bugs(commands::list::BugsArgs),
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = match Cli::try_parse_from(help_first(std::env::args_os().collect())) {
        Ok(cli) => cli,
        Err(error) => return usage(&error),
    };
    panics::install_hook();
    let result = match cli.command {
        Command::Fuzz(args) => commands::fuzz::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Replay(args) => commands::replay::run(args),
        Command::Shrink(args) => commands::shrink::run(args),
        Command::Hunt(args) => commands::hunt::run(args),
        Command::Merge(args) => commands::merge::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Experiment(args) => commands::experiment::run(args),
        Command::Scenarios(args) => commands::list::scenarios(args),
        Command::Bugs(args) => commands::list::bugs(args),
    };
    if let Some(error) = output::stdout_error() {
        eprintln!("error: cannot write to standard output: {error}");
        // The output is lost, but a verdict that matters more than bad input is not: as with
        // a JUnit report that cannot be written, a violation still exits 1.
        return match result {
            Ok(exit @ (Exit::Violation | Exit::Interrupted | Exit::Diverged)) => exit.into(),
            _ => Exit::BadInput.into(),
        };
    }
    match result {
        Ok(exit) => exit.into(),
        Err(error) => {
            eprintln!("error: {}", output::one_line(&error));
            Exit::BadInput.into()
        }
    }
}

/// Prints clap's help, version or usage error, and exits as clap would (0 for help and version,
/// 2 for a usage error) — or 2 if the help could not be written (`raftsim --help > /dev/full`).
fn usage(error: &clap::Error) -> ExitCode {
    if error.use_stderr() {
        let _ = error.print();
        return Exit::BadInput.into();
    }
    match error.print().and_then(|()| std::io::Write::flush(&mut std::io::stdout())) {
        Ok(()) => Exit::Pass.into(),
        Err(failure) => {
            eprintln!("error: cannot write to standard output: {failure}");
            Exit::BadInput.into()
        }
    }
}

/// `raftsim --help fuzz` (or `-h fuzz`) means `raftsim fuzz --help`, as a newcomer expects.
fn help_first(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.len() >= 3 && (args[1] == "--help" || args[1] == "-h") {
        let help = args.remove(1);
        args.insert(2, help);
    }
    args
}

/// Rust ignores SIGPIPE, so `raftsim fuzz | head` would panic on the closed pipe. Restore the
/// default action: the process ends quietly when its reader goes away, like any Unix tool.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_DFL at startup, before any other thread
    // exists, has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
