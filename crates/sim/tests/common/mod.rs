//! Helpers shared by the simulation tests: running one seed or a campaign of seeds, and saying
//! which seed failed and how to replay it.
//!
//! Each test binary uses a subset of these helpers, so the unused ones are allowed.

#![allow(dead_code)]

use std::ops::Range;

use raftsim_raft::Bugs;
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::scenario::builtin;
use raftsim_sim::{RunResult, RunSpec, Scenario};

/// Threads a campaign is split across: the machine that runs CI has two cores.
pub const JOBS: usize = 2;

/// The built-in scenario called `name`.
pub fn scenario(name: &str) -> Scenario {
    builtin(name).unwrap_or_else(|error| panic!("built-in scenario `{name}`: {error}"))
}

/// `name` with its fault window cut to `fault_window_ms`, so that a seed runs in a fraction of
/// the time. Its faults are then drawn within the shorter window.
pub fn shortened(name: &str, fault_window_ms: u64) -> Scenario {
    let mut scenario = scenario(name);
    scenario.fault_window_ms = fault_window_ms;
    scenario
}

/// Runs `seed` of `scenario` without recording, turning a panic into a `panic` violation.
pub fn run_seed(scenario: &Scenario, seed: u64, bugs: Bugs) -> RunResult {
    RAFTSIM_ENGINE.run(RunSpec::from_seed(scenario, seed, bugs), Settings::default()).0
}

/// Runs every seed of `seeds` on `jobs` threads (seed `s` on thread `s % jobs`), returning the
/// results in seed order.
pub fn run_seeds(
    scenario: &Scenario,
    seeds: Range<u64>,
    bugs: Bugs,
    jobs: usize,
) -> Vec<RunResult> {
    assert!(jobs >= 1, "a campaign needs at least one thread");
    let seeds: Vec<u64> = seeds.collect();
    let mut results: Vec<Option<RunResult>> = vec![None; seeds.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|job| {
                let seeds = &seeds;
                scope.spawn(move || {
                    (job..seeds.len())
                        .step_by(jobs)
                        .map(|position| (position, run_seed(scenario, seeds[position], bugs)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            for (position, result) in worker.join().expect("a campaign thread panicked") {
                results[position] = Some(result);
            }
        }
    });
    results.into_iter().map(|result| result.expect("every seed ran")).collect()
}

/// The command that replays `seed` of `scenario` on the command line, if `scenario` is a
/// built-in one as shipped (a modified scenario replays from a trace instead).
pub fn replay_command(scenario: &Scenario, seed: u64) -> String {
    match builtin(&scenario.name) {
        Ok(shipped) if shipped == *scenario => {
            format!("raftsim run --seed {seed} --scenario {}", scenario.name)
        }
        _ => format!("seed {seed} of a modified `{}` scenario: record a trace", scenario.name),
    }
}

/// Panics with the seed, the property, the step and the detail if `result` failed.
pub fn assert_passed(scenario: &Scenario, result: &RunResult) {
    if let Some(failure) = result.failure() {
        panic!(
            "{} seed {} violated {} at step {} ({} µs), nodes {:?}: {}\n  replay: {}",
            scenario.name,
            result.seed,
            failure.violation.property,
            failure.step,
            failure.time_us,
            failure.violation.nodes,
            failure.violation.detail,
            replay_command(scenario, result.seed),
        );
    }
}

/// Every crash of `result` (scheduled, or caused by a failed fsync or corruption at rest) ended
/// in a restart, but for the servers the liveness phase left out of the core.
#[track_caller]
pub fn assert_every_crash_restarts(scenario: &Scenario, result: &RunResult) {
    let spec = RunSpec::from_seed(scenario, result.seed, Bugs::NONE);
    let counters = &result.counters;
    // A server retired by a rejoin while a crash held it down stays down too.
    let left_down = spec.options.liveness.left_out.len() as u64 + counters.rejoins;
    assert!(
        counters.restarts <= counters.crashes && counters.crashes <= counters.restarts + left_down,
        "seed {}: {} crashes, {} restarts",
        result.seed,
        counters.crashes,
        counters.restarts
    );
}
