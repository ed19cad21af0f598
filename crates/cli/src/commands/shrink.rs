//! `raftsim shrink`: the smallest run that still violates the trace's property.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use clap::Args;
use raftsim_sim::engine::{Engine, Settings};
use raftsim_sim::shrink::{Progress, shrink};
use raftsim_sim::{RunResult, RunSpec};

use super::shell_word;
use crate::campaign::record_run;
use crate::exit::Exit;
use crate::files::{read_trace, write_trace};
use crate::output::{failure_line, progress_bar};

/// Shrink a failing trace: fewer faults, shorter ones, fewer clients and nodes, a quieter
/// network, cut just past the violation — still violating the same property. Writes a trace
/// that `raftsim replay --check` reproduces bit for bit.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  raftsim shrink traces/default-seed17-leader-completeness.jsonl\n  \
raftsim shrink failing.jsonl -o small.jsonl --budget 30"
)]
pub struct ShrinkArgs {
    /// The failing trace.
    trace: PathBuf,
    /// Where to write the shrunk trace (default: next to the input, ending in .shrunk.jsonl).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Wall-time budget in seconds; the best result so far is written when it runs out.
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    budget: f64,
}

/// What a run amounts to, for before/after lines.
struct Size {
    faults: usize,
    events: u64,
    time_us: u64,
    nodes: u32,
}

impl Size {
    fn of(spec: &RunSpec, result: &RunResult) -> Size {
        Size {
            faults: spec.schedule.len(),
            events: result.events,
            time_us: result.end_time_us,
            nodes: spec.options.nodes,
        }
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} faults, {} events, {:.3}s virtual, {} nodes",
            self.faults,
            self.events,
            self.time_us as f64 / 1e6,
            self.nodes
        )
    }
}

pub fn run(args: ShrinkArgs) -> Result<Exit> {
    if !(args.budget.is_finite() && args.budget > 0.0) {
        return Err(anyhow!("--budget must be a positive number of seconds, not {}", args.budget));
    }
    let trace = read_trace(&args.trace)?;
    let spec = trace.spec();
    let engine = crate::engines::by_name(&spec.raft)?;
    let output = args.output.clone().unwrap_or_else(|| {
        let name = args
            .trace
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = name.strip_suffix(".jsonl").unwrap_or(&name);
        args.trace.with_file_name(format!("{stem}.shrunk.jsonl"))
    });
    let (original, _) = crate::panics::quietly(|| engine.run(spec.clone(), Settings::default()));
    let before = Size::of(&spec, &original);
    let shrunk = shrink_with_budget(engine, spec, Duration::from_secs_f64(args.budget))?;
    let (result, shrunk_trace) = record_run(engine, &shrunk.spec);
    assert_eq!(result.event_hash, shrunk.result.event_hash, "a shrunk run replays identically");
    write_trace(&output, &shrunk_trace)?;
    let failure = result.failure().expect("a shrunk run still fails");
    println!("before: {before}");
    println!("after:  {}", Size::of(&shrunk.spec, &result));
    println!(
        "{} candidate runs{}",
        shrunk.runs,
        if shrunk.complete {
            ", fixed point reached"
        } else {
            ", budget exhausted (result is the best so far)"
        }
    );
    println!("{}", failure_line(result.seed, failure));
    println!("shrunk trace written to {}", output.display());
    eprintln!("replay: raftsim replay {}", shell_word(&output.to_string_lossy()));
    Ok(Exit::Violation)
}

/// Shrinks `spec` within `budget` of wall time, with a progress spinner on a terminal.
#[allow(clippy::disallowed_methods, reason = "the shrink budget is wall time")]
pub fn shrink_with_budget(
    engine: &dyn Engine,
    spec: RunSpec,
    budget: Duration,
) -> Result<raftsim_sim::shrink::Shrunk> {
    let started = Instant::now();
    let bar = progress_bar(None, "shrink");
    let shrunk = crate::panics::quietly(|| {
        shrink(engine, spec, &mut |progress: &Progress| {
            if let Some(bar) = &bar {
                bar.set_position(progress.runs);
                bar.set_prefix(format!("{} faults, {} events", progress.faults, progress.events));
            }
            started.elapsed() < budget
        })
    })
    .map_err(|error| anyhow!("{error}"))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(shrunk)
}
