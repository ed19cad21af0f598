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
use raftsim_sim::scenario::builtin;
use raftsim_sim::{RunSpec, World};

use crate::campaign::Campaign;
use crate::exit::Exit;
use crate::seeds::{Shard, parse_positive};

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
    /// Cluster size for the reference workload (default: 3 and 5).
    #[arg(long, value_parser = parse_positive, value_name = "N")]
    nodes: Option<usize>,
    /// Repetitions of each measurement; the median is reported.
    #[arg(long, default_value_t = 5, value_parser = parse_positive, value_name = "N")]
    repeat: usize,
    /// Deliveries per reference run.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    deliveries: u64,
    /// Seeds in the campaign measurement (run on one thread).
    #[arg(long, default_value_t = 500, value_name = "N")]
    campaign_seeds: u64,
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
    let sizes = match args.nodes {
        Some(nodes) => vec![nodes as u32],
        None => vec![3, 5],
    };
    let mut reference = Vec::new();
    for &nodes in &sizes {
        let runs: Vec<ReferenceRun> = (0..args.repeat)
            .map(|_| reference_run(nodes, args.deliveries))
            .collect::<Result<_>>()?;
        let events_per_s = Stat::of(
            runs.iter().map(|run| run.events as f64 / run.elapsed.as_secs_f64()).collect(),
        );
        let committed_per_s = Stat::of(
            runs.iter().map(|run| run.committed as f64 / run.elapsed.as_secs_f64()).collect(),
        );
        let ns_per_event = Stat::of(
            runs.iter().map(|run| run.elapsed.as_nanos() as f64 / run.events as f64).collect(),
        );
        if !args.json {
            println!(
                "reference, {nodes} nodes, full checker: {:.0} events/s (spread {:.0}..{:.0}), \
                 {:.0} committed entries/s, {:.1} ns/event; median of {}",
                events_per_s.median,
                events_per_s.min,
                events_per_s.max,
                committed_per_s.median,
                ns_per_event.median,
                args.repeat
            );
        }
        reference.push(serde_json::json!({
            "nodes": nodes,
            "events_per_s": events_per_s.median,
            "committed_per_s": committed_per_s.median,
            "ns_per_event": ns_per_event.median,
            "spread": { "events_per_s": events_per_s.json() },
            "repeat": args.repeat,
        }));
    }
    let mut json = serde_json::json!({ "reference": reference });
    if !args.reference {
        let campaign = campaign_figures(args.campaign_seeds, args.repeat)?;
        if !args.json {
            println!(
                "campaign, default, {} seeds on 1 thread: {:.1} seeds/s (spread {:.1}..{:.1}), \
                 {:.0} events/s, checker {:.1}% of run time, peak RSS {:.1} MiB",
                args.campaign_seeds,
                campaign.seeds_per_s.median,
                campaign.seeds_per_s.min,
                campaign.seeds_per_s.max,
                campaign.events_per_s.median,
                campaign.checker_share * 100.0,
                campaign.peak_rss_bytes as f64 / (1 << 20) as f64,
            );
        }
        json["campaign"] = serde_json::json!({
            "seeds": args.campaign_seeds,
            "seeds_per_s": campaign.seeds_per_s.median,
            "events_per_s": campaign.events_per_s.median,
            "checker_share": campaign.checker_share,
            "peak_rss_bytes": campaign.peak_rss_bytes,
            "spread": { "seeds_per_s": campaign.seeds_per_s.json() },
        });
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    Ok(Exit::Pass)
}

/// One run of the reference workload until `deliveries` frames were delivered.
#[allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]
fn reference_run(nodes: u32, deliveries: u64) -> Result<ReferenceRun> {
    let mut scenario = builtin("reference").map_err(|error| anyhow::anyhow!("{error}"))?;
    scenario.nodes = nodes;
    let mut spec = RunSpec::from_seed(&scenario, 1, Bugs::NONE);
    spec.options.fault_window_us = u64::MAX / 4;
    let mut world = World::new(spec, false);
    let started = Instant::now();
    while world.counters().frames_delivered < deliveries {
        if let Some(verdict) = world.step() {
            anyhow::bail!("the reference run ended early: {verdict:?}");
        }
    }
    let elapsed = started.elapsed();
    let result = world.result();
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
}

/// A one-thread campaign of `default`, with and without the checker: the difference in wall
/// time is the checker's share.
fn campaign_figures(seeds: u64, repeat: usize) -> Result<CampaignFigures> {
    let scenario = builtin("default").map_err(|error| anyhow::anyhow!("{error}"))?;
    let campaign = Campaign {
        scenario: scenario.clone(),
        bugs: Bugs::NONE,
        start: 0,
        seeds: Some(seeds),
        duration: None,
        jobs: 1,
        shard: Shard::ALL,
        keep_going: true,
    };
    let never = AtomicBool::new(false);
    let mut seeds_per_s = Vec::new();
    let mut events_per_s = Vec::new();
    let mut with_checker = Vec::new();
    let mut without_checker = Vec::new();
    for _ in 0..repeat {
        let summary = campaign.run(&never, |_| {});
        let elapsed = summary.elapsed.as_secs_f64();
        seeds_per_s.push(summary.seeds as f64 / elapsed);
        events_per_s.push(summary.events as f64 / elapsed);
        with_checker.push(elapsed);
        without_checker.push(unchecked_campaign_seconds(&scenario, seeds));
    }
    let checked = Stat::of(with_checker).median;
    let unchecked = Stat::of(without_checker).median;
    Ok(CampaignFigures {
        seeds_per_s: Stat::of(seeds_per_s),
        events_per_s: Stat::of(events_per_s),
        checker_share: ((checked - unchecked) / checked).max(0.0),
        peak_rss_bytes: peak_rss_bytes(),
    })
}

#[allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]
fn unchecked_campaign_seconds(scenario: &raftsim_sim::Scenario, seeds: u64) -> f64 {
    let started = Instant::now();
    for seed in 0..seeds {
        let mut world = World::new(RunSpec::from_seed(scenario, seed, Bugs::NONE), false);
        world.set_checking(false);
        world.run();
    }
    started.elapsed().as_secs_f64()
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
