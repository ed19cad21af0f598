//! `raftsim fuzz`: a seeded campaign on every core, and the CI gate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use raftsim_raft::{Bug, Bugs};
use raftsim_sim::engine::Engine;
use raftsim_sim::hunt::plan;
use raftsim_sim::trace::format_hash;
use raftsim_sim::{Failure, Scenario};

use super::parse_bug;
use crate::campaign::{Campaign, Summary, jobs_or_cores, record_run};
use crate::exit::Exit;
use crate::files::{
    check_directory, check_output_file, load_scenario, prepare_directory, trace_file_name,
    write_trace,
};
use crate::output::{Progress, count, failure_line, outln};
use crate::report::{CampaignReport, ExceededReport, FailureReport};
use crate::seeds::{Shard, parse_jobs, parse_seconds, parse_seed, parse_seed_count};

/// Where failure traces go unless `--out` says otherwise: outside `traces/`, the regression
/// corpus that CI replays, so that a campaign never adds to it by accident.
pub const DEFAULT_OUT: &str = "raftsim-traces";

/// Run a seeded campaign: every seed of a range (or until a deadline), all cores, every
/// property after every step. Stops at the first violation unless --keep-going.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  raftsim fuzz                                  # 1000 seeds of `default`\n  \
raftsim fuzz --seeds 10000 --jobs 8\n  \
raftsim fuzz --scenario partitions --duration 60\n  \
raftsim fuzz --bug commit-prior-term          # watch the harness catch a bug\n  \
raftsim fuzz --raft raft-rs --seeds 2000       # tikv's raft-rs under the same checker\n  \
raftsim fuzz --seeds 4000 --shard 2/4 --json --junit report.xml   # one CI shard of four\n  \
raftsim fuzz --seeds 2000 --report campaign.html   # counters, coverage, failures, charts\n\n\
Exit codes: 0 no violation, 1 violation, 2 bad input, 4 a seed exceeded a harness limit \
(and no violation), 130 interrupted."
)]
pub struct FuzzArgs {
    /// A built-in scenario name or the path of a scenario JSON file. Default: `default`, or,
    /// with a single --bug, the scenario that suits that bug (as in `raftsim hunt`).
    #[arg(long, value_name = "NAME|FILE")]
    scenario: Option<String>,
    /// Seeds in the range start..start+N (default 1000, or unbounded with --duration).
    #[arg(long, value_name = "N", value_parser = parse_seed_count)]
    seeds: Option<u64>,
    /// First seed of the range, in decimal or 0x hex.
    #[arg(long, default_value = "0", value_parser = parse_seed, value_name = "SEED")]
    start: u64,
    /// Stop taking new seeds after this many seconds of wall time.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, allow_hyphen_values = true)]
    duration: Option<f64>,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = parse_jobs, value_name = "N")]
    jobs: Option<usize>,
    /// Run shard K of N (1-based): the seeds with seed % N == K-1.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Inject a bug into raftsim's Raft (repeatable); see `raftsim bugs`.
    #[arg(long = "bug", value_name = "NAME", value_parser = parse_bug)]
    bugs: Vec<Bug>,
    /// The Raft under test: `raftsim` (this repository's) or `raft-rs` (tikv's).
    #[arg(long, default_value = raftsim_sim::RAFTSIM, value_name = "NAME")]
    raft: String,
    /// Directory for failure traces (created if missing).
    #[arg(long, default_value = DEFAULT_OUT, value_name = "DIR")]
    out: PathBuf,
    /// Run every seed even after a violation; report each distinct failure once.
    #[arg(long)]
    keep_going: bool,
    /// Print one JSON summary object on stdout (human output goes to stderr).
    #[arg(long)]
    json: bool,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the report as one self-contained HTML page here: counters, coverage, each
    /// distinct failure with its replay and shrink commands, and the availability histograms.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
}

pub fn run(args: FuzzArgs) -> Result<Exit> {
    let bugs: Bugs = args.bugs.iter().copied().collect();
    let scenario_name = match (&args.scenario, args.bugs.as_slice()) {
        (Some(name), _) => name.clone(),
        (None, [bug]) => plan(*bug).scenario.to_owned(),
        (None, _) => "default".to_owned(),
    };
    let scenario = load_scenario(&scenario_name)?;
    let engine = crate::engines::by_name(&args.raft)?;
    engine
        .accepts(&engine.seed_spec(&scenario, args.start, bugs))
        .map_err(|error| anyhow::anyhow!("--raft {}: {error}", args.raft))?;
    let seeds = args.seeds.or(if args.duration.is_some() { None } else { Some(1000) });
    if let Some(count) = seeds
        && args.start.checked_add(count - 1).is_none()
    {
        bail!("--start {} plus --seeds {count} goes past the largest seed, 2^64 - 1", args.start);
    }
    let jobs = jobs_or_cores(args.jobs);
    let campaign = Campaign {
        engine,
        scenario: scenario.clone(),
        bugs,
        start: args.start,
        seeds,
        duration: args.duration.map(Duration::from_secs_f64),
        jobs,
        shard: args.shard.unwrap_or(Shard::ALL),
        keep_going: args.keep_going,
    };
    check_before_campaign(&args, &campaign)?;
    let interrupted = crate::interrupt::flag()?;
    let say = |line: String| if args.json { eprintln!("{line}") } else { outln!("{line}") };
    say(describe_campaign(&campaign, &args));
    for warning in scenario.warnings() {
        eprintln!("warning: {warning}");
    }
    let mut progress = Progress::new(campaign.planned_seeds(), &format!("fuzz {}", scenario.name));
    let mut failures_seen = 0;
    let summary = campaign.run(interrupted, |summary| {
        if summary.failures.len() > failures_seen {
            failures_seen = summary.failures.len();
            let (seed, failure) = summary.failures.last().expect("a new failure");
            progress.println(&failure_line(*seed, failure));
        }
        progress.update(summary.seeds, &count(summary.failures.len() as u64, "violation"));
    });
    progress.finish();
    let failures = report_failures(engine, &scenario, &scenario_name, bugs, &summary, &args.out);
    let report = campaign_report(&campaign, &scenario, &summary, failures);
    let written = report.publish(args.json, args.junit.as_deref(), args.report.as_deref());
    for failure in &report.failures {
        if let Some(why) = &failure.trace_error {
            eprintln!("error: the trace of seed {} was not written: {why}", failure.seed);
        }
    }
    if let Some(replay) = report.replay_command() {
        eprintln!("replay: {replay}");
    }
    Ok(report.exit(written))
}

/// Refuses, before any seed runs, a campaign that would pass vacuously or lose its results:
/// a shard that holds no seed, an output path that cannot be written. Both paths are checked
/// before either is created, so that bad input creates nothing.
fn check_before_campaign(args: &FuzzArgs, campaign: &Campaign) -> Result<()> {
    if let (Some(shard), None) = (args.shard, campaign.first_seed()) {
        let (range, remedy) = match campaign.seeds {
            Some(seeds) => {
                (format!("the {} from --start {}", count(seeds, "seed"), args.start), "more seeds")
            }
            None => (format!("the seeds from --start {} on", args.start), "an earlier --start"),
        };
        bail!("--shard {shard} holds none of {range}: use fewer shards or {remedy}");
    }
    check_directory(&args.out).context("--out")?;
    if let Some(junit) = &args.junit {
        check_output_file(junit).context("--junit")?;
    }
    if let Some(page) = &args.report {
        check_output_file(page).context("--report")?;
    }
    prepare_directory(&args.out).context("--out")
}

fn describe_campaign(campaign: &Campaign, args: &FuzzArgs) -> String {
    let range = match campaign.seeds {
        Some(count) => {
            format!("seeds {}..{}", campaign.start, campaign.start.saturating_add(count))
        }
        None => format!("seeds from {}", campaign.start),
    };
    let shard = args.shard.map(|shard| format!(", shard {shard}")).unwrap_or_default();
    let duration = args.duration.map(|secs| format!(", for {secs}s")).unwrap_or_default();
    let bugs: Vec<&str> = campaign.bugs.iter().map(|bug| bug.name()).collect();
    let bugs = if bugs.is_empty() { String::new() } else { format!(", bugs [{}]", bugs.join(",")) };
    format!(
        "raftsim fuzz: {}, scenario {}, {range}{shard}{duration}, {}{bugs}",
        campaign.engine.name(),
        campaign.scenario.name,
        count(campaign.jobs as u64, "job")
    )
}

/// What makes two failures "the same": the property and the shape of the detail (numbers
/// blanked out).
fn signature(failure: &Failure) -> String {
    let mut shape = String::new();
    let mut in_number = false;
    for c in failure.violation.detail.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                shape.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            shape.push(c);
        }
    }
    format!("{}: {shape}", failure.violation.property)
}

/// Groups failures by signature, re-runs the smallest seed of each group with recording on,
/// checks that it fails identically (a difference is a determinism bug), and writes its trace.
/// A trace that cannot be written is reported, not fatal: the failure was found all the same.
fn report_failures(
    engine: &dyn Engine,
    scenario: &Scenario,
    scenario_name: &str,
    bugs: Bugs,
    summary: &Summary,
    out: &Path,
) -> Vec<FailureReport> {
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    let mut reported: Vec<FailureReport> = Vec::new();
    for (seed, failure) in &summary.failures {
        let signature = signature(failure);
        let first = groups.get(&signature).copied();
        let trace = match first {
            Some(_) => None,
            None => Some(write_failure_trace(engine, scenario, bugs, *seed, failure, out)),
        };
        match first {
            Some(first) => reported[first].count += 1,
            None => {
                groups.insert(signature.clone(), reported.len());
            }
        }
        reported.push(FailureReport {
            seed: *seed,
            property: failure.violation.property.name().to_owned(),
            step: failure.step,
            time_us: failure.time_us,
            detail: failure.violation.detail.clone(),
            panic_location: summary.panic_locations.get(seed).cloned(),
            signature,
            count: u64::from(first.is_none()),
            trace: trace
                .as_ref()
                .and_then(|trace| trace.as_ref().ok())
                .map(|path| path.to_string_lossy().into_owned()),
            trace_error: trace.and_then(Result::err),
            run: super::run_command(*seed, scenario_name, engine.name(), bugs),
        });
    }
    reported
}

/// The report of `campaign`, which ran `scenario` with `summary` and `failures` as results.
fn campaign_report(
    campaign: &Campaign,
    scenario: &Scenario,
    summary: &Summary,
    failures: Vec<FailureReport>,
) -> CampaignReport {
    let elapsed = summary.elapsed.as_secs_f64().max(1e-9);
    let reachable = raftsim_sim::coverage::reachable(scenario);
    let unreached =
        summary.coverage.unreached().into_iter().filter(|path| reachable.contains(path));
    let exceeded = summary
        .exceeded
        .iter()
        .map(|(seed, exceeded)| ExceededReport {
            seed: *seed,
            limit: exceeded.limit,
            step: exceeded.step,
            time_us: exceeded.time_us,
            detail: exceeded.detail.clone(),
        })
        .collect();
    CampaignReport {
        format: crate::report::FORMAT.to_owned(),
        raftsim_version: env!("CARGO_PKG_VERSION").to_owned(),
        stream_fingerprint: format_hash(campaign.engine.stream_fingerprint()),
        raft: campaign.engine.name().to_owned(),
        scenario: scenario.name.clone(),
        scenario_digest: format_hash(raftsim_sim::hash::digest(scenario.to_json().as_bytes())),
        bugs: campaign.bugs.iter().map(|bug| bug.name().to_owned()).collect(),
        start: campaign.start,
        range: campaign.seeds,
        shard: campaign.shard.to_string(),
        merged: Vec::new(),
        keep_going: campaign.keep_going,
        jobs: campaign.jobs as u64,
        planned_seeds: campaign.planned_seeds(),
        seeds: summary.seeds,
        violations: failures.len() as u64,
        distinct_failures: failures.iter().filter(|failure| failure.count > 0).count() as u64,
        failures,
        exceeded,
        events: summary.events,
        elapsed_s: elapsed,
        seeds_per_s: summary.seeds as f64 / elapsed,
        events_per_s: summary.events as f64 / elapsed,
        digest: format_hash(summary.digest),
        interrupted: summary.interrupted,
        counters: summary.counters,
        coverage: summary.coverage,
        availability: summary.availability.clone(),
        efficiency: summary.efficiency.clone(),
        coverage_reachable: reachable.iter().map(|path| (*path).to_owned()).collect(),
        coverage_unreached: unreached.map(str::to_owned).collect(),
    }
}

/// Re-runs a failing seed with recording on and writes its trace into `out`.
fn write_failure_trace(
    engine: &dyn Engine,
    scenario: &Scenario,
    bugs: Bugs,
    seed: u64,
    failure: &Failure,
    out: &Path,
) -> Result<PathBuf, String> {
    if failure.step == 0 {
        return Err("the seed's options and faults could not be drawn, so it has no run".into());
    }
    let name = trace_file_name(
        engine.name(),
        &scenario.name,
        &bugs,
        seed,
        failure.violation.property.name(),
    );
    let path = out.join(name);
    let spec = engine.seed_spec(scenario, seed, bugs);
    let (result, trace) = record_run(engine, &spec);
    let same = result.failure().is_some_and(|again| {
        again.step == failure.step && again.violation.property == failure.violation.property
    });
    if !same {
        let again = match result.failure() {
            Some(again) => format!("{} at step {}", again.violation.property, again.step),
            None => "no violation".to_owned(),
        };
        return Err(format!(
            "determinism bug: seed {seed} failed with {} at step {} in the campaign, but its \
             recorded re-run ended with {again}; please report it",
            failure.violation.property, failure.step
        ));
    }
    write_trace(&path, &trace).map_err(|error| crate::output::one_line(&error))?;
    Ok(path)
}
