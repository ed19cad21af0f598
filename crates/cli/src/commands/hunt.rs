//! `raftsim hunt`: the harness's efficacy report. For every injectable bug, run its scenario
//! from seed 0 until the bug is caught, then shrink the failure.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use raftsim_raft::{Bug, Bugs};
use raftsim_sim::engine::RAFTSIM_ENGINE;
use raftsim_sim::hunt::{SEEDS_MAX, plan};

use super::parse_bug;
use super::shrink::shrink_with_budget;
use crate::campaign::{Campaign, jobs_or_cores, record_run};
use crate::exit::Exit;
use crate::files::{load_scenario, trace_file_name, write_trace};
use crate::output::{count, outln};
use crate::seeds::{Shard, parse_jobs};

/// For every injectable bug (or those given), fuzz the scenario that suits it from seed 0 until
/// the bug is caught, shrink the failure, and print a table: property, seeds to detection, wall
/// time, and the shrink (faults and events before and after, its wall time, whether it reached
/// a fixed point).
#[derive(Args)]
#[command(after_help = "Examples:\n  raftsim hunt\n  raftsim hunt --bug double-vote --json\n  \
raftsim hunt --out traces/bugs      # keep one shrunk trace per bug\n\n\
Exit codes: 0 every bug caught, 1 a bug not caught, 2 bad input or a shrunk trace that could not \
be written (its row is still printed), 130 interrupted.")]
pub struct HuntArgs {
    /// Hunt only these bugs (repeatable; default: all).
    #[arg(long = "bug", value_name = "NAME", value_parser = parse_bug)]
    bugs: Vec<Bug>,
    /// Give up on a bug after this many seeds.
    #[arg(long, default_value_t = SEEDS_MAX, value_parser = crate::seeds::parse_seed_count, value_name = "N")]
    max_seeds: u64,
    /// Wall-time budget for shrinking each failure, in seconds.
    #[arg(long, default_value = "60", value_parser = crate::seeds::parse_seconds, value_name = "SECS")]
    shrink_budget: f64,
    /// Worker threads for each campaign and each shrink (default: all cores).
    #[arg(long, value_parser = parse_jobs, value_name = "N")]
    jobs: Option<usize>,
    /// Write each shrunk trace into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print one JSON object: {"bugs": [{bug, caught, property, expected_property, scenario,
    /// seeds_to_detection, elapsed_s, faults, shrunk_faults, events, shrunk_events, shrink_s,
    /// shrink_runs, shrink_complete, trace}, ...]}.
    #[arg(long)]
    json: bool,
}

/// One row of the report.
struct Row {
    bug: Bug,
    scenario: &'static str,
    expected: &'static str,
    caught: Option<Caught>,
    elapsed: Duration,
    seeds: u64,
}

struct Caught {
    property: &'static str,
    seed: u64,
    /// Faults in the failing run's schedule.
    faults: usize,
    /// Events up to the violation in the failing run.
    events: u64,
    shrunk: Shrink,
    /// The shrunk trace written with `--out`, or why it could not be.
    trace: Option<Result<PathBuf, String>>,
}

/// How the failure shrank.
struct Shrink {
    faults: usize,
    events: u64,
    runs: u64,
    /// Whether it reached a fixed point within the budget.
    complete: bool,
    time: Duration,
}

pub fn run(args: HuntArgs) -> Result<Exit> {
    let mut bugs: Vec<Bug> =
        if args.bugs.is_empty() { Bug::ALL.to_vec() } else { args.bugs.clone() };
    // A bug named twice is hunted once, in the order first named.
    let mut seen = std::collections::BTreeSet::new();
    bugs.retain(|bug| seen.insert(*bug));
    let jobs = jobs_or_cores(args.jobs);
    let interrupted = crate::interrupt::flag()?;
    if let Some(directory) = &args.out {
        crate::files::prepare_directory(directory).context("--out")?;
    }
    let mut rows = Vec::new();
    for bug in bugs {
        if crate::interrupt::requested() {
            break;
        }
        let hunt = plan(bug);
        let scenario = load_scenario(hunt.scenario)?;
        let campaign = Campaign {
            engine: &RAFTSIM_ENGINE,
            scenario: scenario.clone(),
            bugs: Bugs::NONE.with(bug),
            start: 0,
            seeds: Some(args.max_seeds),
            duration: None,
            jobs,
            shard: Shard::ALL,
            keep_going: false,
        };
        let summary = campaign.run(interrupted, |_| {});
        if summary.interrupted && summary.failures.is_empty() {
            break; // The bug's hunt did not finish: no row for it.
        }
        let caught = match summary.failures.first() {
            None => None,
            Some((seed, failure)) => {
                let spec = campaign.engine.seed_spec(&scenario, *seed, campaign.bugs);
                let faults = spec.schedule.len();
                let budget = Duration::from_secs_f64(args.shrink_budget);
                let (shrunk, shrink_time) =
                    shrink_with_budget(campaign.engine, spec, budget, jobs)?;
                // A trace that cannot be written is reported in its row; the hunt goes on.
                let trace = args.out.as_ref().map(|directory| {
                    let (result, trace) = record_run(campaign.engine, &shrunk.spec);
                    let property = result.failure().expect("still failing").violation.property;
                    let name = trace_file_name(
                        campaign.engine.name(),
                        hunt.scenario,
                        &campaign.bugs,
                        shrunk.spec.seed,
                        property.name(),
                    );
                    let path = directory.join(name);
                    write_trace(&path, &trace)
                        .map(|()| path)
                        .map_err(|error| crate::output::one_line(&error))
                });
                Some(Caught {
                    property: failure.violation.property.name(),
                    seed: *seed,
                    faults,
                    events: failure.step,
                    shrunk: Shrink {
                        faults: shrunk.spec.schedule.len(),
                        events: shrunk.result.events,
                        runs: shrunk.runs,
                        complete: shrunk.complete,
                        time: shrink_time,
                    },
                    trace,
                })
            }
        };
        let row = Row {
            bug,
            scenario: hunt.scenario,
            expected: hunt.property.name(),
            caught,
            elapsed: summary.elapsed,
            seeds: summary.seeds,
        };
        if !args.json {
            print_row(&row, rows.is_empty());
        }
        rows.push(row);
    }
    if args.json {
        print_json(&rows)?;
    } else {
        print_footer(&rows);
    }
    if crate::interrupt::requested() {
        eprintln!("interrupted: the table holds the bugs hunted so far");
        return Ok(Exit::Interrupted);
    }
    let all_caught = rows.iter().all(|row| row.caught.is_some());
    let traces_written = rows
        .iter()
        .filter_map(|row| row.caught.as_ref())
        .all(|caught| !matches!(caught.trace, Some(Err(_))));
    Ok(if !all_caught {
        Exit::Violation
    } else if !traces_written {
        Exit::BadInput
    } else {
        Exit::Pass
    })
}

fn print_row(row: &Row, first: bool) {
    if first {
        outln!(
            "{:26} {:20} {:24} {:>6} {:>8}  {:<8} {:<15} {}",
            "bug",
            "scenario",
            "caught by",
            "seeds",
            "wall",
            "faults",
            "events",
            "shrink"
        );
    }
    match &row.caught {
        Some(caught) => {
            let unexpected = if caught.property == row.expected { "" } else { " (unexpected)" };
            let shrunk = &caught.shrunk;
            outln!(
                "{:26} {:20} {:24} {:>6} {:>7.2}s  {:<8} {:<15} {:.1}s, {}{unexpected}",
                row.bug.name(),
                row.scenario,
                caught.property,
                caught.seed + 1,
                row.elapsed.as_secs_f64(),
                format!("{} -> {}", caught.faults, shrunk.faults),
                format!("{} -> {}", caught.events, shrunk.events),
                shrunk.time.as_secs_f64(),
                if shrunk.complete { "fixed point" } else { "budget exhausted" },
            );
            match &caught.trace {
                Some(Ok(trace)) => outln!("{:26} trace: {}", "", trace.display()),
                Some(Err(why)) => eprintln!("error: the shrunk trace was not written: {why}"),
                None => {}
            }
        }
        None => outln!(
            "{:26} {:20} {:24} {:>6} {:>7.2}s",
            row.bug.name(),
            row.scenario,
            "NOT CAUGHT",
            row.seeds,
            row.elapsed.as_secs_f64()
        ),
    }
}

fn print_footer(rows: &[Row]) {
    let mut seeds: Vec<u64> =
        rows.iter().filter_map(|row| row.caught.as_ref().map(|caught| caught.seed + 1)).collect();
    seeds.sort_unstable();
    let caught = seeds.len();
    let median = if seeds.is_empty() { 0 } else { seeds[(seeds.len() - 1) / 2] };
    outln!(
        "{caught} of {} caught; median seeds to detection {median}, worst {}",
        count(rows.len() as u64, "bug"),
        seeds.last().copied().unwrap_or(0)
    );
}

fn print_json(rows: &[Row]) -> Result<()> {
    let bugs: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let caught = row.caught.as_ref();
            serde_json::json!({
                "bug": row.bug.name(),
                "caught": caught.is_some(),
                "property": caught.map(|caught| caught.property),
                "expected_property": row.expected,
                "scenario": row.scenario,
                "seeds_to_detection": caught.map(|caught| caught.seed + 1),
                "elapsed_s": row.elapsed.as_secs_f64(),
                "faults": caught.map(|caught| caught.faults),
                "shrunk_faults": caught.map(|caught| caught.shrunk.faults),
                "events": caught.map(|caught| caught.events),
                "shrunk_events": caught.map(|caught| caught.shrunk.events),
                "shrink_s": caught.map(|caught| caught.shrunk.time.as_secs_f64()),
                "shrink_runs": caught.map(|caught| caught.shrunk.runs),
                "shrink_complete": caught.map(|caught| caught.shrunk.complete),
                "trace": caught
                    .and_then(|caught| caught.trace.as_ref()?.as_ref().ok())
                    .map(|path| path.to_string_lossy().into_owned()),
                "trace_error": caught.and_then(|caught| caught.trace.as_ref()?.as_ref().err()),
            })
        })
        .collect();
    outln!("{}", serde_json::to_string_pretty(&serde_json::json!({ "bugs": bugs }))?);
    Ok(())
}
