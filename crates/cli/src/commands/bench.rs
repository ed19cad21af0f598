//! `raftsim bench`: how much of the failure space raftsim covers per CPU-second.
//!
//! Part (a) is the reference workload shared with `../shared/peers/raft-rs-loop` (3 and 5
//! nodes, no faults, 1–10 ms delays, 10 ms ticks, 64 in-flight 16-byte entries, until 1,000,000
//! deliveries; events = deliveries + ticks), with the full checker on. Part (b) is a fixed
//! campaign of the `default` scenario. Each figure is the median of several repetitions, with
//! the spread; machines are noisy, so compare ratios measured side by side.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use raftsim_raft::Bugs;
use raftsim_sim::Verdict;
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::scenario::builtin;

use crate::campaign::Campaign;
use crate::exit::Exit;
use crate::output::{count, exceeded_line, failure_line, outln};
use crate::seeds::{Shard, parse_positive, parse_positive_u64, parse_seed_count};

/// Parses a cluster size for the reference workload: one the simulator supports, and at least
/// two, since a single node sends no frames and the workload counts deliveries.
fn parse_nodes(text: &str) -> Result<usize, String> {
    let nodes = parse_positive(text)?;
    let max = raftsim_sim::scenario::NODES_MAX as usize;
    if nodes > max {
        return Err(format!("{nodes} nodes: the simulator runs 1 to {max}"));
    }
    if nodes < 2 {
        return Err(format!(
            "{nodes} node delivers no frames, and the reference workload counts deliveries: \
             use 2 to {max}"
        ));
    }
    Ok(nodes)
}

/// Most events a reference run may take per delivery asked for (ticks, inputs processed,
/// deliveries): a run that needs more is stuck and ends with an error, never a hang.
const REFERENCE_EVENTS_PER_DELIVERY_MAX: u64 = 100;

/// Measure events/s on the reference workload and seeds/s on a default campaign.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  raftsim bench\n  raftsim bench --reference --nodes 3 --json\n  \
../shared/peers/compare.sh 3 5     # side by side with raft-rs"
)]
pub struct BenchArgs {
    /// Only the reference workload (part a).
    #[arg(long)]
    reference: bool,
    /// Cluster size for the reference workload, 2 to 9 (default: 3 and 5).
    #[arg(long, value_parser = parse_nodes, value_name = "N")]
    nodes: Option<usize>,
    /// Repetitions of each measurement; the median is reported.
    #[arg(long, default_value_t = 5, value_parser = parse_positive, value_name = "N")]
    repeat: usize,
    /// Deliveries per reference run.
    #[arg(long, default_value_t = 1_000_000, value_parser = parse_positive_u64, value_name = "N")]
    deliveries: u64,
    /// Seeds in the campaign measurement (run on one thread).
    #[arg(long, default_value_t = 500, value_parser = parse_seed_count, value_name = "N")]
    campaign_seeds: u64,
    /// The Raft under test in the reference workload: `raftsim` or `raft-rs`.
    #[arg(long, default_value = raftsim_sim::RAFTSIM, value_name = "NAME")]
    raft: String,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// One reference run's figures.
#[derive(Clone, Copy, Debug)]
struct ReferenceRun {
    events: u64,
    committed: u64,
    elapsed: Duration,
}

/// Median and spread of repeated measurements.
#[derive(Clone, Copy, Debug)]
struct Stat {
    median: f64,
    min: f64,
    max: f64,
}

impl Stat {
    fn of(mut values: Vec<f64>) -> Stat {
        values.sort_by(f64::total_cmp);
        Stat { median: values[values.len() / 2], min: values[0], max: values[values.len() - 1] }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({ "median": self.median, "min": self.min, "max": self.max })
    }
}

pub fn run(args: BenchArgs) -> Result<Exit> {
    // The campaign runs first, so that its peak memory is not the reference runs' (whose logs
    // grow to hundreds of thousands of entries).
    let engine = crate::engines::by_name(&args.raft)?;
    let campaign = if args.reference { None } else { Some(campaign_figures(&args)?) };
    let sizes = match args.nodes {
        Some(nodes) => vec![nodes as u32],
        None => vec![3, 5],
    };
    let mut reference = Vec::new();
    for &nodes in &sizes {
        let own_peak = reset_peak_rss();
        let runs: Vec<ReferenceRun> = (0..args.repeat)
            .map(|_| reference_run(engine, nodes, args.deliveries))
            .collect::<Result<_>>()?;
        let per_second = |count: fn(&ReferenceRun) -> u64| {
            Stat::of(runs.iter().map(|run| count(run) as f64 / run.elapsed.as_secs_f64()).collect())
        };
        let events_per_s = per_second(|run| run.events);
        let committed_per_s = per_second(|run| run.committed);
        let ns_per_event = Stat::of(
            runs.iter().map(|run| run.elapsed.as_nanos() as f64 / run.events as f64).collect(),
        );
        let peak_rss = peak_rss_bytes();
        if !args.json {
            outln!(
                "reference, {}, {}, full checker: {:.0} events/s (spread \
                 {:.0}..{:.0}), {:.0} committed entries/s, {:.1} ns/event, peak RSS {:.1} MiB{}; \
                 median of {}",
                count(nodes, "node"),
                engine.name(),
                events_per_s.median,
                events_per_s.min,
                events_per_s.max,
                committed_per_s.median,
                ns_per_event.median,
                peak_rss as f64 / (1 << 20) as f64,
                if own_peak { "" } else { " (the whole process's)" },
                args.repeat
            );
        }
        reference.push(serde_json::json!({
            "raft": engine.name(),
            "nodes": nodes,
            "events_per_s": events_per_s.median,
            "committed_per_s": committed_per_s.median,
            "ns_per_event": ns_per_event.median,
            "peak_rss_bytes": peak_rss,
            "peak_rss_own": own_peak,
            "spread": { "events_per_s": events_per_s.json() },
            "repeat": args.repeat,
        }));
    }
    let mut json = serde_json::json!({ "reference": reference });
    if let Some(campaign) = campaign {
        if !args.json {
            outln!(
                "campaign, default, {} on 1 thread: {:.1} seeds/s (spread {:.1}..{:.1}), \
                 {:.0} events/s, checker {:.1}% of run time, peak RSS {:.1} MiB",
                count(args.campaign_seeds, "seed"),
                campaign.seeds_per_s.median,
                campaign.seeds_per_s.min,
                campaign.seeds_per_s.max,
                campaign.events_per_s.median,
                campaign.checker_share * 100.0,
                campaign.peak_rss_bytes as f64 / (1 << 20) as f64,
            );
            outln!(
                "scaling: 2 jobs run {:.2}x the seeds/s of 1 job; a fault window twice as long \
                 costs {:.2}x the time",
                campaign.jobs_speedup,
                campaign.length_cost
            );
        }
        json["campaign"] = serde_json::json!({
            "seeds": args.campaign_seeds,
            "seeds_per_s": campaign.seeds_per_s.median,
            "events_per_s": campaign.events_per_s.median,
            "checker_share": campaign.checker_share,
            "peak_rss_bytes": campaign.peak_rss_bytes,
            "jobs_2_speedup": campaign.jobs_speedup,
            "double_length_cost": campaign.length_cost,
            "spread": { "seeds_per_s": campaign.seeds_per_s.json() },
        });
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&json)?);
    }
    Ok(Exit::Pass)
}

/// One run of the reference workload on `engine` until `deliveries` frames were delivered.
#[allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]
fn reference_run(engine: &dyn Engine, nodes: u32, deliveries: u64) -> Result<ReferenceRun> {
    let mut scenario = builtin("reference").map_err(|error| anyhow::anyhow!("{error}"))?;
    scenario.nodes = nodes;
    let mut spec = engine.seed_spec(&scenario, 1, Bugs::NONE);
    spec.options.fault_window_us = u64::MAX / 4;
    spec.options.budget.events_max = u64::MAX;
    spec.options.budget.disk_bytes_max = u64::MAX;
    let events_max = deliveries.saturating_mul(REFERENCE_EVENTS_PER_DELIVERY_MAX);
    let started = Instant::now();
    let (result, _) = engine.run_observed(spec, Settings::default(), &mut |world| {
        world.counters().frames_delivered < deliveries && world.steps() < events_max
    });
    let elapsed = started.elapsed();
    if result.counters.frames_delivered < deliveries {
        let why = match &result.verdict {
            Verdict::Fail(failure) => failure_line(result.seed, failure),
            Verdict::Exceeded(exceeded) => exceeded_line(result.seed, exceeded),
            Verdict::Pass => "the run ended".to_owned(),
            Verdict::Stopped => format!("stopped after {} events", result.events),
        };
        anyhow::bail!(
            "the reference run of {} ended after {} of {deliveries} deliveries: {why}",
            count(nodes, "node"),
            result.counters.frames_delivered
        );
    }
    Ok(ReferenceRun {
        events: result.counters.frames_delivered + result.counters.ticks,
        committed: result.counters.commits,
        elapsed,
    })
}

struct CampaignFigures {
    seeds_per_s: Stat,
    events_per_s: Stat,
    checker_share: f64,
    peak_rss_bytes: u64,
    /// Seeds/s on two threads over seeds/s on one.
    jobs_speedup: f64,
    /// Wall time with the fault window doubled over wall time without.
    length_cost: f64,
}

/// A campaign of `default` on `jobs` threads.
fn default_campaign(seeds: u64, jobs: usize, fault_window_factor: u64) -> Result<Campaign> {
    let mut scenario = builtin("default").map_err(|error| anyhow::anyhow!("{error}"))?;
    scenario.fault_window_ms *= fault_window_factor;
    Ok(Campaign {
        engine: &RAFTSIM_ENGINE,
        scenario,
        bugs: Bugs::NONE,
        start: 0,
        seeds: Some(seeds),
        duration: None,
        jobs,
        shard: Shard::ALL,
        keep_going: true,
    })
}

/// One-thread campaigns of `default`, with and without the checker (the difference in wall
/// time is the checker's share), on two threads, and with a doubled fault window.
fn campaign_figures(args: &BenchArgs) -> Result<CampaignFigures> {
    let seeds = args.campaign_seeds;
    let never = AtomicBool::new(false);
    let single = default_campaign(seeds, 1, 1)?;
    let mut seeds_per_s = Vec::new();
    let mut events_per_s = Vec::new();
    let mut with_checker = Vec::new();
    let mut without_checker = Vec::new();
    let mut on_two = Vec::new();
    let mut doubled = Vec::new();
    for _ in 0..args.repeat {
        let summary = single.run(&never, |_| {});
        let elapsed = summary.elapsed.as_secs_f64();
        seeds_per_s.push(summary.seeds as f64 / elapsed);
        events_per_s.push(summary.events as f64 / elapsed);
        with_checker.push(elapsed);
        without_checker.push(unchecked_campaign_seconds(&single.scenario, seeds));
        on_two.push(default_campaign(seeds, 2, 1)?.run(&never, |_| {}).elapsed.as_secs_f64());
        doubled.push(default_campaign(seeds, 1, 2)?.run(&never, |_| {}).elapsed.as_secs_f64());
    }
    let checked = Stat::of(with_checker).median;
    let unchecked = Stat::of(without_checker).median;
    Ok(CampaignFigures {
        seeds_per_s: Stat::of(seeds_per_s),
        events_per_s: Stat::of(events_per_s),
        checker_share: ((checked - unchecked) / checked).max(0.0),
        peak_rss_bytes: peak_rss_bytes(),
        jobs_speedup: checked / Stat::of(on_two).median,
        length_cost: Stat::of(doubled).median / checked,
    })
}

#[allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]
fn unchecked_campaign_seconds(scenario: &raftsim_sim::Scenario, seeds: u64) -> f64 {
    let started = Instant::now();
    for seed in 0..seeds {
        let spec = RAFTSIM_ENGINE.seed_spec(scenario, seed, Bugs::NONE);
        RAFTSIM_ENGINE.run(spec, Settings { unchecked: true, ..Settings::default() });
    }
    started.elapsed().as_secs_f64()
}

/// Resets the process's peak resident set size to its current one (Linux's `clear_refs`), so
/// that the next reading is one measurement's own peak. Returns whether it could.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The process's peak resident set size, from /proc (0 where unavailable).
fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let kib = line.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?.trim();
                kib.parse::<u64>().ok()
            })
        })
        .map_or(0, |kib| kib * 1024)
}
