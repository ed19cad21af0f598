//! `raftsim run`: one seed, told in full.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use anyhow::{Context, Result};
use clap::Args;
use raftsim_raft::{Bug, Bugs};
use raftsim_sim::engine::Settings;
use raftsim_sim::trace::{Trace, format_hash};
use raftsim_sim::{RunResult, Verdict};

use super::{parse_bug, run_command, shell_word};
use crate::campaign::INTERRUPT_CHECK_STEPS;
use crate::exit::Exit;
use crate::files::{check_output_file, load_scenario, write_trace};
use crate::output::{
    command_name, counters_json, counters_text, exceeded_line, failure_line, options_banner, outln,
};
use crate::seeds::parse_seed;

/// Run one seed and print its options, result, counters and event hash.
#[derive(Args)]
#[command(after_help = "Examples:\n  raftsim run --seed 42\n  \
raftsim run --seed 0x2a --scenario partitions --bug double-vote --trace /tmp/run.jsonl\n  \
raftsim run --seed 7 --json")]
pub struct RunArgs {
    /// The seed, in decimal or 0x hex.
    #[arg(long, value_parser = parse_seed)]
    seed: u64,
    /// A built-in scenario name or the path of a scenario JSON file.
    #[arg(long, default_value = "default")]
    scenario: String,
    /// Inject a bug into raftsim's Raft (repeatable); see `raftsim bugs`.
    #[arg(long = "bug", value_name = "NAME", value_parser = parse_bug)]
    bugs: Vec<Bug>,
    /// The Raft under test: `raftsim` (this repository's) or `raft-rs` (tikv's).
    #[arg(long, default_value = raftsim_sim::RAFTSIM, value_name = "NAME")]
    raft: String,
    /// Record the run and write its trace here (atomically).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Print one JSON object: seed, result, property, step, events, event_hash, counters.
    #[arg(long)]
    json: bool,
}

pub fn run(args: RunArgs) -> Result<Exit> {
    let scenario = load_scenario(&args.scenario)?;
    let bugs: Bugs = args.bugs.iter().copied().collect();
    let engine = crate::engines::by_name(&args.raft)?;
    let spec = engine.seed_spec(&scenario, args.seed, bugs);
    engine.accepts(&spec).map_err(|error| anyhow::anyhow!("--raft {}: {error}", args.raft))?;
    // Fail on an unusable trace path now, not after the run.
    if let Some(path) = &args.trace {
        check_output_file(path).context("--trace")?;
    }
    for warning in scenario.warnings() {
        eprintln!("warning: {warning}");
    }
    let interrupted = crate::interrupt::flag()?;
    let banner = options_banner(&spec);
    let settings = Settings { record: args.trace.is_some(), ..Settings::default() };
    let (result, records) = engine.run_observed(spec.clone(), settings, &mut |world| {
        world.steps() % INTERRUPT_CHECK_STEPS != 0 || !interrupted.load(Ordering::Relaxed)
    });
    if result.verdict == Verdict::Stopped {
        print_result(&args, engine.name(), &banner, &result, &None)?;
        return Ok(Exit::Interrupted);
    }
    // A trace that cannot be written is reported, not fatal: the result is printed all the same.
    let trace_written = match (&args.trace, records) {
        (Some(path), Some(records)) => {
            let fingerprint = engine.stream_fingerprint();
            let written = write_trace(path, &Trace::new(&spec, records, &result, fingerprint));
            Some(written.map(|()| path).context("--trace"))
        }
        _ => None,
    };
    print_result(&args, engine.name(), &banner, &result, &trace_written)?;
    let trace = match trace_written {
        Some(Err(error)) => {
            eprintln!("error: {}", crate::output::one_line(&error));
            None
        }
        Some(Ok(path)) => Some(path),
        None => None,
    };
    if result.failure().is_none() {
        return Ok(match (&args.trace, trace, result.exceeded()) {
            (Some(_), None, _) => Exit::BadInput,
            (_, _, Some(_)) => Exit::Exceeded,
            (_, _, None) => Exit::Pass,
        });
    }
    let replay = match trace {
        Some(path) => format!("{} replay {}", command_name(), shell_word(&path.to_string_lossy())),
        None => run_command(args.seed, &args.scenario, &args.raft, bugs),
    };
    eprintln!("replay: {replay}");
    Ok(Exit::Violation)
}

/// Prints the result: one JSON object, or the banner, the verdict, the figures and the trace.
fn print_result(
    args: &RunArgs,
    raft: &str,
    banner: &str,
    result: &RunResult,
    trace_written: &Option<Result<&PathBuf>>,
) -> Result<()> {
    let failure = result.failure();
    let exceeded = result.exceeded();
    if args.json {
        let json = serde_json::json!({
            "raft": raft,
            "seed": result.seed,
            "result": raftsim_sim::trace::Outcome::of(result).result,
            "property": failure.map(|failure| failure.violation.property.name()),
            "step": failure.map(|failure| failure.step),
            "detail": failure.map(|failure| failure.violation.detail.clone()),
            "exceeded": exceeded.map(|exceeded| serde_json::json!({
                "limit": exceeded.limit,
                "step": exceeded.step,
                "detail": exceeded.detail,
            })),
            "events": result.events,
            "event_hash": format_hash(result.event_hash),
            "counters": counters_json(&result.counters),
            "efficiency": result.efficiency.map(|measured| serde_json::json!({
                "frames_per_commit": measured.frames_per_commit(),
                "bytes_per_commit": measured.bytes_per_commit(),
                "elections_per_fault": measured.elections_per_fault(),
                "convergence_ms": measured.convergence_us as f64 / 1e3,
                "measured": measured,
            })),
            "availability": crate::output::availability_json(&result.availability),
            "interrupted": result.verdict == Verdict::Stopped,
        });
        outln!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        outln!("{banner}");
        match &result.verdict {
            Verdict::Fail(failure) => outln!("FAIL {}", failure_line(args.seed, failure)),
            Verdict::Exceeded(exceeded) => {
                outln!("EXCEEDED {}", exceeded_line(args.seed, exceeded))
            }
            Verdict::Pass => {
                outln!("PASS seed {}: every property held, liveness reached", args.seed)
            }
            Verdict::Stopped => outln!(
                "INTERRUPTED seed {} at step {}: no verdict{}",
                args.seed,
                result.events,
                if args.trace.is_some() { ", and no trace written" } else { "" }
            ),
        }
        outln!(
            "events={} virtual_time={:.3}s event_hash={}",
            result.events,
            result.end_time_us as f64 / 1e6,
            format_hash(result.event_hash)
        );
        outln!("  {}", counters_text(&result.counters));
        if let Some(measured) = &result.efficiency {
            outln!("efficiency: {}", crate::output::efficiency_text(measured));
        }
        outln!("availability: {}", crate::output::availability_text(&result.availability));
        if let Some(Ok(path)) = trace_written {
            outln!("trace written to {}", path.display());
        }
    }
    Ok(())
}
