//! `raftsim run`: one seed, told in full.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use raftsim_raft::{Bug, Bugs};
use raftsim_sim::engine::Settings;
use raftsim_sim::trace::{Trace, format_hash};

use super::{parse_bug, shell_word};
use crate::exit::Exit;
use crate::files::{load_scenario, write_trace};
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
    let spec = crate::campaign::seed_spec(engine, &scenario, bugs, args.seed);
    engine.accepts(&spec).map_err(|error| anyhow::anyhow!("--raft {}: {error}", args.raft))?;
    let banner = options_banner(&spec);
    let settings = Settings { record: args.trace.is_some(), ..Settings::default() };
    let (result, records) = engine.run(spec.clone(), settings);
    if let (Some(path), Some(records)) = (&args.trace, records) {
        let fingerprint = engine.stream_fingerprint();
        write_trace(path, &Trace::new(&spec, records, &result, fingerprint))?;
    }
    let failure = result.failure();
    let exceeded = result.exceeded();
    if args.json {
        let json = serde_json::json!({
            "raft": engine.name(),
            "seed": result.seed,
            "result": raftsim_sim::trace::Outcome::of(&result).result,
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
        });
        outln!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        outln!("{banner}");
        match (failure, exceeded) {
            (Some(failure), _) => outln!("FAIL {}", failure_line(args.seed, failure)),
            (None, Some(exceeded)) => outln!("EXCEEDED {}", exceeded_line(args.seed, exceeded)),
            (None, None) => {
                outln!("PASS seed {}: every property held, liveness reached", args.seed)
            }
        }
        outln!(
            "events={} virtual_time={:.3}s event_hash={}",
            result.events,
            result.end_time_us as f64 / 1e6,
            format_hash(result.event_hash)
        );
        outln!("  {}", counters_text(&result.counters));
        if let Some(path) = &args.trace {
            outln!("trace written to {}", path.display());
        }
    }
    if failure.is_none() {
        return Ok(if exceeded.is_some() { Exit::Exceeded } else { Exit::Pass });
    }
    let replay = match &args.trace {
        Some(path) => format!("{} replay {}", command_name(), shell_word(&path.to_string_lossy())),
        None => {
            let mut command = format!(
                "{} run --seed {} --scenario {}",
                command_name(),
                args.seed,
                shell_word(&args.scenario)
            );
            if args.raft != raftsim_sim::RAFTSIM {
                command.push_str(&format!(" --raft {}", args.raft));
            }
            for bug in bugs.iter() {
                command.push_str(&format!(" --bug {bug}"));
            }
            command
        }
    };
    eprintln!("replay: {replay}");
    Ok(Exit::Violation)
}
