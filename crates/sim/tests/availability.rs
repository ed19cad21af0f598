//! Availability figures measure what happened: a calm cluster is without a leader only while it
//! elects one, and a crashed leader costs an episode as long as the election that replaces
//! it, while every client operation and every commit is counted.

mod common;

use common::{JOBS, assert_passed, run_seeds, scenario};
use raftsim_raft::Bugs;
use raftsim_sim::RunSpec;
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::fault::{Fault, FaultKind, Target};

#[test]
fn a_calm_cluster_is_leaderless_only_while_it_elects() {
    let calm = scenario("calm");
    for result in &run_seeds(&calm, 0..20, Bugs::NONE, JOBS) {
        assert_passed(&calm, result);
        let figures = &result.availability;
        // Every leader the checker saw took over after one episode without a leader (calm's
        // timeouts are barely longer than its slowest round trips, so a few seeds re-elect).
        let seed = result.seed;
        assert_eq!(figures.leaderless_episodes, result.counters.leader_changes, "seed {seed}");
        let election_max_us = 20 * 10_000 + 100_000; // the longest timeout and a vote round
        assert!(figures.leaderless_longest_us <= election_max_us, "seed {seed}: {figures:?}");
        assert_eq!(figures.recovery_to_leader.count, 0, "no fault ended");
        assert_eq!(figures.client_latency.count, result.counters.client_requests);
        assert!(figures.client_latency.p50_us <= figures.client_latency.p99_us);
        assert_eq!(figures.commits, Some(result.counters.commits));
        assert_eq!(figures.duration_us, result.end_time_us);
    }
}

#[test]
fn a_crashed_leader_costs_an_episode_as_long_as_the_election_that_replaces_it() {
    let calm = scenario("calm");
    let mut spec = RunSpec::from_seed(&calm, 1, Bugs::NONE);
    let crash = FaultKind::Crash { target: Target::Leader { fallback: 1 } };
    spec.schedule = vec![Fault { start_us: 1_000_000, duration_us: 500_000, kind: crash }];
    let (result, _) = RAFTSIM_ENGINE.run(spec, Settings::default());
    assert_passed(&calm, &result);
    let figures = &result.availability;
    assert_eq!(figures.leaderless_episodes, 2, "{figures:?}");
    let timeout_min_us = 10 * 10_000; // calm's shortest election timeout
    assert!(figures.leaderless_longest_us >= timeout_min_us, "{figures:?}");
    // The crash ends (the old leader restarts) long after the new leader was elected.
    assert_eq!(figures.recovery_to_leader.count, 1, "{figures:?}");
    assert_eq!(figures.recovery_to_leader.max_us, 0, "{figures:?}");
    assert_eq!(figures.recovery_to_commit.count, 1, "{figures:?}");
}
