//! `raftsim shrink`: the smallest run that still violates the trace's property.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use raftsim_sim::engine::{Engine, Settings};
use raftsim_sim::shrink::{ABANDON_FACTOR, CandidateRunner, Progress, run_bounded, shrink};
use raftsim_sim::{RunResult, RunSpec};

use super::shell_word;
use crate::campaign::{jobs_or_cores, record_run};
use crate::exit::Exit;
use crate::files::{read_trace, write_trace};
use crate::output::{Progress as ProgressLine, command_name, count, failure_line, outln};
use crate::panics::WORKER_THREAD_PREFIX;
use crate::seeds::parse_jobs;

/// Shrink a failing trace: fewer faults, shorter ones, fewer clients and nodes, a quieter
/// network, cut just past the violation — still violating the same property. Writes a trace
/// that `raftsim replay --check` reproduces bit for bit.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  raftsim shrink traces/default-seed17-leader-completeness.jsonl\n  \
raftsim shrink failing.jsonl -o small.jsonl --budget 30 --jobs 1"
)]
pub struct ShrinkArgs {
    /// The failing trace.
    trace: PathBuf,
    /// Where to write the shrunk trace (default: next to the input, ending in .shrunk.jsonl).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Wall-time budget in seconds; the best result so far is written when it runs out (or
    /// on Ctrl-C).
    #[arg(long, default_value = "60", value_parser = crate::seeds::parse_seconds, value_name = "SECS")]
    budget: f64,
    /// Candidate runs at once, one per thread (default: all cores). The result does not depend
    /// on it, only the wall time and the number of runs made.
    #[arg(long, value_parser = parse_jobs, value_name = "N")]
    jobs: Option<usize>,
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
            "{}, {}, {:.3}s virtual, {}",
            count(self.faults as u64, "fault"),
            count(self.events, "event"),
            self.time_us as f64 / 1e6,
            count(self.nodes, "node")
        )
    }
}

pub fn run(args: ShrinkArgs) -> Result<Exit> {
    let trace = read_trace(&args.trace)?;
    let spec = trace.spec();
    let engine = crate::engines::by_name(&spec.raft)
        .with_context(|| format!("trace file {}: line 1", args.trace.display()))?;
    let output = args.output.clone().unwrap_or_else(|| {
        let name = args
            .trace
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = name.strip_suffix(".jsonl").unwrap_or(&name);
        args.trace.with_file_name(format!("{stem}.shrunk.jsonl"))
    });
    crate::files::check_output_file(&output).context("--output")?;
    let (original, _) = crate::panics::quietly(|| engine.run(spec.clone(), Settings::default()));
    if original.failure().is_none() {
        bail!("{}: the run does not violate any property: nothing to shrink", args.trace.display());
    }
    let before = Size::of(&spec, &original);
    let budget = Duration::from_secs_f64(args.budget);
    let (shrunk, _) = shrink_with_budget(engine, spec, budget, jobs_or_cores(args.jobs))?;
    let (result, shrunk_trace) = record_run(engine, &shrunk.spec);
    assert_eq!(result.event_hash, shrunk.result.event_hash, "a shrunk run replays identically");
    write_trace(&output, &shrunk_trace)?;
    let failure = result.failure().expect("a shrunk run still fails");
    outln!("before: {before}");
    outln!("after:  {}", Size::of(&shrunk.spec, &result));
    let interrupted = crate::interrupt::requested();
    outln!(
        "{} ({} abandoned after {} events){}",
        count(shrunk.runs, "candidate run"),
        shrunk.abandoned,
        original.events.saturating_mul(ABANDON_FACTOR),
        if shrunk.complete {
            ", fixed point reached"
        } else if interrupted {
            ", interrupted (result is the best so far)"
        } else {
            ", budget exhausted (result is the best so far)"
        }
    );
    outln!("{}", failure_line(result.seed, failure));
    outln!("shrunk trace written to {}", output.display());
    eprintln!("replay: {} replay {}", command_name(), shell_word(&output.to_string_lossy()));
    Ok(if interrupted { Exit::Interrupted } else { Exit::Violation })
}

/// Runs a shrinker's batch of candidates at once, one thread each.
struct OnThreads(usize);

impl CandidateRunner for OnThreads {
    fn width(&self) -> usize {
        self.0
    }

    fn run_batch(
        &self,
        engine: &dyn Engine,
        batch: &[RunSpec],
        event_limit: u64,
    ) -> Vec<RunResult> {
        let Some((first, others)) = batch.split_first() else { return Vec::new() };
        std::thread::scope(|scope| {
            let others: Vec<_> = others
                .iter()
                .enumerate()
                .map(|(worker, spec)| {
                    std::thread::Builder::new()
                        .name(format!("{WORKER_THREAD_PREFIX}-shrink-{worker}"))
                        .spawn_scoped(scope, move || run_bounded(engine, spec, event_limit))
                        .map_err(|_| spec)
                })
                .collect();
            let mut results = vec![run_bounded(engine, first, event_limit)];
            for thread in others {
                results.push(match thread {
                    // A run catches the panics of the code it drives; one that escapes is the
                    // harness's own, and goes on as it would have on this thread.
                    Ok(thread) => {
                        thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    }
                    // No thread to be had (a process or memory limit): the candidate runs here.
                    Err(spec) => run_bounded(engine, spec, event_limit),
                });
            }
            results
        })
    }
}

/// Shrinks `spec` within `budget` of wall time (or until Ctrl-C), running `jobs` candidates at
/// once, with progress shown; returns the result and the wall time it took.
#[allow(clippy::disallowed_methods, reason = "the shrink budget is wall time")]
pub fn shrink_with_budget(
    engine: &dyn Engine,
    spec: RunSpec,
    budget: Duration,
    jobs: usize,
) -> Result<(raftsim_sim::shrink::Shrunk, Duration)> {
    crate::interrupt::flag()?;
    let started = Instant::now();
    let mut line = ProgressLine::new(None, "shrink: candidate runs");
    let shrunk = crate::panics::quietly(|| {
        shrink(engine, &OnThreads(jobs), spec, &mut |progress: &Progress| {
            let status = format!(
                "{}, {}",
                count(progress.faults as u64, "fault"),
                count(progress.events, "event")
            );
            line.update(progress.runs, &status);
            started.elapsed() < budget && !crate::interrupt::requested()
        })
    })
    .map_err(|error| anyhow!("{error}"))?;
    line.finish();
    Ok((shrunk, started.elapsed()))
}
