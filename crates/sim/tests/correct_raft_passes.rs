//! With no bug injected, the Raft under test holds every property on every seed of every
//! built-in scenario: a checker that fails a correct protocol would make every other result
//! meaningless. A failure names the seed, the property, the step, the detail and the command
//! that replays it.

mod common;

use common::{JOBS, assert_passed, run_seeds, scenario, shortened};
use raftsim_raft::Bugs;
use raftsim_sim::scenario::BUILTIN;

/// Seeds of `default`, the swarm scenario that mixes every fault kind.
const DEFAULT_SEEDS: u64 = 2000;

/// Seeds of every other built-in scenario.
const OTHER_SEEDS: u64 = 300;

/// `reference` is the benchmark's workload: 60 s of pipelined proposals with no faults, about
/// 0.7 s of wall time a seed. It runs this many seeds at full length...
const REFERENCE_FULL_SEEDS: u64 = 2;

/// ... and this many with its fault window cut to [`REFERENCE_SHORT_WINDOW_MS`].
const REFERENCE_SHORT_SEEDS: u64 = 100;

/// The cut fault window of `reference`.
const REFERENCE_SHORT_WINDOW_MS: u64 = 2000;

#[test]
fn two_thousand_default_seeds_pass() {
    let scenario = scenario("default");
    let results = run_seeds(&scenario, 0..DEFAULT_SEEDS, Bugs::NONE, JOBS);
    assert_eq!(results.len() as u64, DEFAULT_SEEDS);
    for result in &results {
        assert_passed(&scenario, result);
    }
}

#[test]
fn default_seeds_spread_over_the_whole_seed_space_pass() {
    // Campaigns draw random 64-bit seeds; the low seeds above are not special.
    let scenario = scenario("default");
    for position in 0..100u64 {
        let seed = position.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (1 << 63);
        let result = common::run_seed(&scenario, seed, Bugs::NONE);
        assert_eq!(result.seed, seed);
        assert_passed(&scenario, &result);
    }
}

#[test]
fn every_other_builtin_scenario_passes_a_few_hundred_seeds() {
    let mut checked = Vec::new();
    for &(name, _) in BUILTIN {
        if name == "default" || name == "reference" {
            continue;
        }
        let scenario = scenario(name);
        for result in &run_seeds(&scenario, 0..OTHER_SEEDS, Bugs::NONE, JOBS) {
            assert_passed(&scenario, result);
        }
        checked.push(name);
    }
    assert_eq!(checked.len(), BUILTIN.len() - 2, "checked: {checked:?}");
}

#[test]
fn the_reference_workload_passes() {
    let full = scenario("reference");
    let cut = shortened("reference", REFERENCE_SHORT_WINDOW_MS);
    let runs = [(&full, REFERENCE_FULL_SEEDS), (&cut, REFERENCE_SHORT_SEEDS)];
    for (scenario, seeds) in runs {
        for result in &run_seeds(scenario, 0..seeds, Bugs::NONE, JOBS) {
            assert_passed(scenario, result);
            assert!(result.counters.commits > 0, "seed {}: nothing committed", result.seed);
        }
    }
}
