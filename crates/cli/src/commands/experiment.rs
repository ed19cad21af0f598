//! `raftsim experiment`: published measurements, reproduced in the simulator.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE};
use raftsim_sim::figure16::{self, Line, Outcome, Summary, Trial};
use raftsim_sim::scenario::Span;

use raftsim_raft::{Bug, Bugs};

use super::{parse_bug, shell_word};
use crate::campaign::jobs_or_cores;
use crate::exit::Exit;
use crate::files::{
    check_directory, check_output_file, load_scenario, prepare_directory, write_output, write_trace,
};
use crate::output::{Progress, command_name, count, outln};
use crate::seeds::{parse_jobs, parse_positive, parse_seed};

/// Reproduce a published measurement in the simulator.
#[derive(Args)]
pub struct ExperimentArgs {
    #[command(subcommand)]
    experiment: Experiment,
}

#[derive(Subcommand)]
enum Experiment {
    Figure16(Figure16Args),
}

/// The Raft paper's Figure 16 (USENIX ATC 2014, §9.3): the time a five-server cluster is
/// without a leader after its leader crashes, for eleven ranges of election timeouts, 9,100
/// trials in all. Prints a table of percentiles per line and writes the cumulative
/// distributions as an SVG drawn like the paper's.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  raftsim experiment figure16                         # every line, as the paper ran it\n  \
raftsim experiment figure16 --lines 150-155,12-24 --trials 200\n  \
raftsim experiment figure16 --json --svg docs/figure16.svg\n\n\
Exit codes: 0 done, 1 a trial broke a safety property (its trace is kept), 2 bad input, \
130 interrupted (the table of the trials done is still printed)."
)]
pub struct Figure16Args {
    /// Only these lines, by their election timeouts: `150-155,12-24` (default: all eleven).
    #[arg(long, value_delimiter = ',', value_parser = parse_line, value_name = "MIN-MAX,...")]
    lines: Vec<Line>,
    /// Trials per line (default: the paper's, 100 for 150-150 and 1,000 for every other).
    #[arg(long, value_parser = parse_positive, value_name = "N")]
    trials: Option<usize>,
    /// Seed of each line's first trial; trial i runs seed SEED+i.
    #[arg(long, default_value = "0", value_parser = parse_seed, value_name = "SEED")]
    seed: u64,
    /// Give up on a trial without a new leader after this long: it counts as longer than the
    /// cap in every percentile.
    #[arg(long, default_value_t = 100_000, value_parser = parse_cap, value_name = "MS")]
    cap_ms: u64,
    /// A variant of the `figure16` scenario (name or JSON file); each line replaces its
    /// election timeouts and heartbeat interval.
    #[arg(long, default_value = figure16::SCENARIO, value_name = "NAME|FILE")]
    scenario: String,
    /// One-way network latency, drawn per message in [MIN, MAX] ms, instead of the scenario's
    /// (6-9 ms, for a 15 ms broadcast time): how the figure depends on the network.
    #[arg(long, value_parser = parse_latency, value_name = "MIN-MAX")]
    latency_ms: Option<Span<u64>>,
    /// Where to write the cumulative distributions as SVG.
    #[arg(long, default_value = "figure16.svg", value_name = "FILE")]
    svg: PathBuf,
    /// Print one JSON object (every line's percentiles and sorted samples) instead of a table.
    #[arg(long)]
    json: bool,
    /// Worker threads (default: all cores). The figures do not depend on it.
    #[arg(long, value_parser = parse_jobs, value_name = "N")]
    jobs: Option<usize>,
    /// Inject a bug into raftsim's Raft (repeatable; see `raftsim bugs`): a trial that breaks a
    /// property stops the experiment and keeps its trace.
    #[arg(long = "bug", value_name = "NAME", value_parser = parse_bug)]
    bugs: Vec<Bug>,
    /// Where the trace of a trial that breaks a property is written.
    #[arg(long, default_value = super::fuzz::DEFAULT_OUT, value_name = "DIR")]
    out: PathBuf,
}

/// Most trials a line may ask for.
const TRIALS_MAX: usize = 1_000_000;

fn parse_line(text: &str) -> Result<Line, String> {
    let parsed = text.trim_end_matches("ms").split_once('-').and_then(|(min, max)| {
        Some((min.trim().parse::<u32>().ok()?, max.trim().parse::<u32>().ok()?))
    });
    let Some((min_ms, max_ms)) = parsed else {
        return Err(format!(
            "`{text}` is not a line: write its election timeouts as MIN-MAX, e.g. 150-300"
        ));
    };
    if min_ms == 0 || min_ms > max_ms || max_ms > 60_000 {
        return Err(format!("`{text}`: the timeouts must satisfy 1 <= MIN <= MAX <= 60000"));
    }
    let paper =
        figure16::lines().into_iter().find(|line| (line.min_ms, line.max_ms) == (min_ms, max_ms));
    Ok(paper.unwrap_or(Line { min_ms, max_ms, trials: 1000 }))
}

fn parse_latency(text: &str) -> Result<Span<u64>, String> {
    let parsed = text.split_once('-').and_then(|(min, max)| {
        Some((min.trim().parse::<u64>().ok()?, max.trim().parse::<u64>().ok()?))
    });
    match parsed {
        Some((min, max)) if min <= max && max <= 60_000 => Ok(Span(min, max)),
        _ => Err(format!("`{text}` is not a latency range: write MIN-MAX in ms, e.g. 6-9")),
    }
}

fn parse_cap(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(ms @ 1..=3_600_000) => Ok(ms),
        _ => Err(format!("`{text}` is not a cap in milliseconds between 1 and 3600000")),
    }
}

pub fn run(args: ExperimentArgs) -> Result<Exit> {
    match args.experiment {
        Experiment::Figure16(args) => figure16(args),
    }
}

fn figure16(args: Figure16Args) -> Result<Exit> {
    let mut scenario = load_scenario(&args.scenario)?;
    if let Some(latency) = args.latency_ms {
        scenario.network.latency_ms = latency;
    }
    let lines = if args.lines.is_empty() { figure16::lines() } else { args.lines.clone() };
    let cap_us = args.cap_ms * 1000;
    let bugs: Bugs = args.bugs.iter().copied().collect();
    let mut trials: Vec<(usize, Trial)> = Vec::new();
    for (position, line) in lines.iter().enumerate() {
        let count = args.trials.unwrap_or(line.trials as usize).min(TRIALS_MAX) as u64;
        for index in 0..count {
            let Some(seed) = args.seed.checked_add(index) else {
                bail!("--seed {} plus {count} trials goes past the largest seed", args.seed);
            };
            let mut trial = figure16::trial(&scenario, *line, seed, cap_us)
                .map_err(|error| anyhow::anyhow!("line {}: {error}", line.label()))?;
            trial.spec.bugs = bugs;
            trials.push((position, trial));
        }
    }
    check_output_file(&args.svg)?;
    check_directory(&args.out)?;
    let interrupted = crate::interrupt::flag()?;
    let jobs = jobs_or_cores(args.jobs);
    let outcomes = run_trials(&RAFTSIM_ENGINE, &trials, jobs, interrupted);
    if let Some((position, error)) = outcomes.iter().enumerate().find_map(|(position, outcome)| {
        outcome.as_ref().and_then(|outcome| outcome.as_ref().err()).map(|error| (position, error))
    }) {
        return keep_failure(&args, &trials[position].1, error);
    }
    let summaries: Vec<Summary> = lines
        .iter()
        .enumerate()
        .map(|(position, line)| {
            let done: Vec<Outcome> = trials
                .iter()
                .zip(&outcomes)
                .filter(|((line_position, _), _)| *line_position == position)
                .filter_map(|(_, outcome)| outcome.clone().and_then(Result::ok))
                .collect();
            Summary::of(*line, cap_us, &done)
        })
        .collect();
    write_output(&args.svg, crate::cdf_svg::figure16(&summaries).as_bytes())?;
    if args.json {
        let json = serde_json::json!({
            "experiment": "figure16",
            "scenario": scenario.name,
            "seed": args.seed,
            "cap_ms": args.cap_ms,
            "latency_ms": [scenario.network.latency_ms.min(), scenario.network.latency_ms.max()],
            "lines": summaries.iter().map(summary_json).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        outln!("{}", table(&summaries));
        outln!(
            "milliseconds without a leader after the leader crashed (one-way latency {}-{} ms); \
             >cap: trials with no new leader within {} ms",
            scenario.network.latency_ms.min(),
            scenario.network.latency_ms.max(),
            args.cap_ms
        );
        eprintln!("wrote {}", args.svg.display());
    }
    Ok(if crate::interrupt::requested() { Exit::Interrupted } else { Exit::Pass })
}

/// Runs every trial on `jobs` threads; each slot holds its trial's outcome, or `None` if an
/// interrupt came first. The outcomes do not depend on `jobs`: each trial is its own run.
fn run_trials(
    engine: &dyn Engine,
    trials: &[(usize, Trial)],
    jobs: usize,
    interrupted: &std::sync::atomic::AtomicBool,
) -> Vec<Option<Result<Outcome, String>>> {
    let outcomes: Mutex<Vec<Option<Result<Outcome, String>>>> =
        Mutex::new(vec![None; trials.len()]);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let progress = Mutex::new(Progress::new(Some(trials.len() as u64), "figure16 trials"));
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(trials.len()).max(1) {
            scope.spawn(|| {
                loop {
                    if interrupted.load(Ordering::SeqCst) {
                        return;
                    }
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some((_, trial)) = trials.get(index) else { return };
                    let outcome = figure16::run(engine, trial);
                    let failed = outcome.is_err();
                    outcomes.lock().expect("no worker panics holding it")[index] = Some(outcome);
                    let finished = done.fetch_add(1, Ordering::SeqCst) + 1;
                    progress
                        .lock()
                        .expect("no worker panics holding it")
                        .update(finished as u64, "");
                    if failed {
                        // One broken trial is the finding: stop taking new ones.
                        next.store(trials.len(), Ordering::SeqCst);
                    }
                }
            });
        }
    });
    progress.into_inner().expect("no worker panicked").finish();
    outcomes.into_inner().expect("no worker panicked")
}

/// A trial broke a property: keep its trace, say how to replay it, exit 1.
fn keep_failure(args: &Figure16Args, trial: &Trial, error: &str) -> Result<Exit> {
    prepare_directory(&args.out)?;
    let (_, trace) = RAFTSIM_ENGINE.record(&trial.spec);
    let timeouts = trial.spec.options.raft.election_timeout_ticks;
    let mut name = format!("figure16-{}-{}", timeouts.min(), timeouts.max());
    for bug in trial.spec.bugs.iter() {
        name.push_str(&format!("-{bug}"));
    }
    let path = args.out.join(format!("{name}-seed{}.jsonl", trial.spec.seed));
    write_trace(&path, &trace)?;
    outln!("figure16 trial FAILED: {error}");
    outln!("replay: {} replay {}", command_name(), shell_word(&path.display().to_string()));
    Ok(Exit::Violation)
}

fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1000.0)
}

/// A percentile in milliseconds, or `>CAP` when it falls among the censored trials.
fn percentile(summary: &Summary, percent: f64) -> String {
    if summary.measured() == 0 {
        return "-".to_owned();
    }
    summary.percentile_us(percent).map_or_else(|| format!(">{}", ms(summary.cap_us)), ms)
}

fn table(summaries: &[Summary]) -> String {
    let mut lines = vec![format!(
        "{:<11} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "timeouts", "trials", "min", "p50", "p90", "p99", "max", "mean", ">cap"
    )];
    for summary in summaries {
        let mean = summary.mean_us().map_or_else(|| "-".to_owned(), ms);
        lines.push(format!(
            "{:<11} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            summary.line.label(),
            summary.measured(),
            percentile(summary, 0.0),
            percentile(summary, 50.0),
            percentile(summary, 90.0),
            percentile(summary, 99.0),
            percentile(summary, 100.0),
            mean,
            summary.censored
        ));
        if summary.no_leader_to_crash > 0 {
            lines.push(format!(
                "  ({} found no leader to crash and measured nothing)",
                count(summary.no_leader_to_crash, "trial")
            ));
        }
    }
    lines.join("\n")
}

fn summary_json(summary: &Summary) -> serde_json::Value {
    let value = |percent: f64| summary.percentile_us(percent);
    serde_json::json!({
        "line": summary.line.label(),
        "min_ms": summary.line.min_ms,
        "max_ms": summary.line.max_ms,
        "heartbeat_ms": summary.line.heartbeat_ms(),
        "trials": summary.measured(),
        "censored": summary.censored,
        "no_leader_to_crash": summary.no_leader_to_crash,
        "min_us": value(0.0),
        "p50_us": value(50.0),
        "p90_us": value(90.0),
        "p99_us": value(99.0),
        "max_us": value(100.0),
        "mean_us": summary.mean_us(),
        "leaderless_us": summary.leaderless_us,
    })
}
