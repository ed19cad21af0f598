//! Once every fault heals, a leader commits a new command within the scenario's bound; when it
//! cannot, the run fails for liveness and says what each node was doing.

mod common;

use common::{JOBS, assert_passed, run_seeds, scenario};
use raftsim_raft::Bugs;
use raftsim_sim::fault::{Fault, FaultKind, Target};
use raftsim_sim::{Failure, Property, RunResult, RunSpec, Scenario, World};

/// Seeds of `calm` and of `partitions` that must reach liveness.
const SEEDS: u64 = 300;

/// Virtual time from the heal to the end of the run: how long liveness took.
fn after_heal_us(spec_window_us: u64, result: &RunResult) -> u64 {
    assert!(
        result.end_time_us > spec_window_us,
        "seed {} ended at {} µs, before the heal at {spec_window_us} µs: liveness needs a \
         command sent after the heal",
        result.seed,
        result.end_time_us
    );
    result.end_time_us - spec_window_us
}

/// Runs `SEEDS` seeds of `scenario`, checks each passed, and returns how long each took to
/// reach liveness after the heal, sorted.
fn liveness_delays(scenario: &Scenario) -> Vec<u64> {
    let window_us = scenario.fault_window_ms * 1000;
    let mut delays: Vec<u64> = run_seeds(scenario, 0..SEEDS, Bugs::NONE, JOBS)
        .iter()
        .map(|result| {
            assert_passed(scenario, result);
            after_heal_us(window_us, result)
        })
        .collect();
    delays.sort_unstable();
    delays
}

#[test]
fn a_calm_cluster_commits_within_one_request_timeout_of_the_heal() {
    // With no faults, the leader of the fault window still leads at the heal: a client's next
    // request commits in a few round trips, never needing a timeout and a retry.
    let calm = scenario("calm");
    let raftsim_sim::scenario::Workload::Clients(clients) = &calm.workload else {
        panic!("calm runs closed-loop clients");
    };
    let timeout_us = clients.request_timeout_ms * 1000;
    let delays = liveness_delays(&calm);
    let slowest = *delays.last().expect("seeds ran");
    assert!(slowest < timeout_us, "slowest liveness {slowest} µs exceeds {timeout_us} µs");
}

#[test]
fn every_partitions_seed_reaches_liveness_soon_after_the_heal() {
    let partitions = scenario("partitions");
    let bound_us = partitions.liveness_bound_ms * 1000;
    let delays = liveness_delays(&partitions);
    let (median, slowest) = (delays[delays.len() / 2], *delays.last().expect("seeds ran"));
    assert!(slowest <= bound_us / 5, "slowest liveness {slowest} µs, bound {bound_us} µs");
    assert!(median <= 100_000, "median liveness {median} µs: the heal should settle quickly");
}

#[test]
fn faults_that_outlast_the_window_are_healed_and_liveness_follows() {
    // A majority crashed and the rest paused, each for a day, starting just before the heal:
    // the heal restarts and resumes them, and the cluster must recover on its own.
    let calm = scenario("calm");
    let mut spec = RunSpec::from_seed(&calm, 4, Bugs::NONE);
    let window_us = spec.options.fault_window_us;
    let day_us = 24 * 3600 * 1_000_000;
    let fault = |node, crash: bool| Fault {
        start_us: window_us - 100_000,
        duration_us: day_us,
        kind: if crash {
            FaultKind::Crash { target: Target::Node(node) }
        } else {
            FaultKind::Pause { target: Target::Node(node) }
        },
    };
    spec.schedule = vec![fault(1, true), fault(2, true), fault(3, true), fault(4, false)];
    let result = World::new(spec, false).run_catching().0;
    assert_passed(&calm, &result);
    assert_eq!((result.counters.crashes, result.counters.restarts), (3, 3));
    assert_eq!(result.counters.pauses, 1);
    let delay_us = after_heal_us(window_us, &result);
    let bound_us = calm.liveness_bound_ms * 1000;
    assert!(delay_us < bound_us, "liveness took {delay_us} µs, bound {bound_us} µs");
}

/// Runs `spec` and returns its liveness failure, checking where and when it was reported.
fn liveness_failure(spec: RunSpec) -> Failure {
    let deadline_us = spec.options.fault_window_us + spec.options.liveness_bound_us;
    let nodes = spec.options.nodes;
    let result = World::new(spec, false).run_catching().0;
    let failure = result.failure().expect("liveness cannot be reached").clone();
    assert_eq!(failure.violation.property, Property::Liveness, "{failure:?}");
    assert_eq!(failure.time_us, deadline_us, "reported at the deadline");
    assert_eq!(failure.step, result.events, "the deadline ends the run");
    assert_eq!(failure.violation.nodes, (1..=nodes as u64).collect::<Vec<_>>());
    assert_eq!(failure.violation.index, None);
    for node in 1..=nodes {
        assert!(failure.violation.detail.contains(&format!("{node}:")), "{failure:?}");
    }
    failure
}

#[test]
fn a_bound_shorter_than_any_round_trip_fails_liveness_naming_every_node() {
    // No client request sent after the heal can be answered within 1 µs: the network's latency
    // is at least 1 ms each way.
    let mut spec = RunSpec::from_seed(&scenario("calm"), 1, Bugs::NONE);
    spec.options.liveness_bound_us = 1;
    let failure = liveness_failure(spec);
    let detail = &failure.violation.detail;
    assert!(detail.contains("no new command committed"), "{detail}");
    assert_eq!(detail.matches("leader/term").count(), 1, "one leader at the heal: {detail}");
    assert_eq!(detail.matches("follower/term").count(), 4, "{detail}");
}

#[test]
fn a_cluster_that_cannot_elect_a_leader_in_time_fails_liveness_with_no_leader() {
    // The heal comes at once and the bound is shorter than the shortest election timeout, so
    // no node even becomes a candidate.
    let calm = scenario("calm");
    let mut spec = RunSpec::from_seed(&calm, 1, Bugs::NONE);
    spec.options.fault_window_us = 0;
    let election_timeout_min_us =
        spec.options.raft.election_timeout_ticks.min() as u64 * spec.options.tick_us;
    spec.options.liveness_bound_us = election_timeout_min_us / 2;
    let failure = liveness_failure(spec);
    let detail = &failure.violation.detail;
    assert_eq!(detail.matches("follower/term 0/commit 0/last 0").count(), 5, "{detail}");
    assert!(!detail.contains("leader/"), "{detail}");
}

#[test]
fn the_pipeline_workload_fails_liveness_when_no_commit_can_follow_the_heal() {
    let mut spec = RunSpec::from_seed(&scenario("reference"), 0, Bugs::NONE);
    spec.options.fault_window_us = 300_000;
    spec.options.liveness_bound_us = 1;
    let failure = liveness_failure(spec);
    assert_eq!(failure.violation.detail.matches("leader/term").count(), 1, "{failure:?}");
}
