//! Once faults heal, the cluster settles within the scenario's bound: one leader that every
//! healed node follows, every healed node caught up to what was committed when a request sent
//! after the heal completed, and every client served — on a network that still loses 1% of its
//! frames, and in core mode with a minority left isolated, muted, paused or crashed. When it
//! cannot, the run fails for liveness and says what each node still lacks.

mod common;

use common::{JOBS, assert_passed, run_seeds, scenario};
use raftsim_raft::{Bug, Bugs};
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::fault::{Fault, FaultKind, Target};
use raftsim_sim::scenario::LeftOut;
use raftsim_sim::{Failure, Property, RunResult, RunSpec, Scenario};

/// Seeds of `calm` and of `partitions` that must settle.
const SEEDS: u64 = 300;

fn run(spec: RunSpec) -> RunResult {
    RAFTSIM_ENGINE.run(spec, Settings::default()).0
}

/// Virtual time from the heal to the end of the run: how long settling took.
fn after_heal_us(spec_window_us: u64, result: &RunResult) -> u64 {
    assert!(
        result.end_time_us > spec_window_us,
        "seed {} ended at {} µs, before the heal at {spec_window_us} µs",
        result.seed,
        result.end_time_us
    );
    result.end_time_us - spec_window_us
}

/// `name` with core mode off: every seed heals everything.
fn without_core_mode(name: &str) -> Scenario {
    let mut scenario = scenario(name);
    scenario.liveness.core_probability = 0.0;
    scenario
}

/// Runs `SEEDS` seeds of `scenario`, checks each passed, and returns how long each took to
/// settle after the heal, sorted.
fn settling_delays(scenario: &Scenario) -> Vec<u64> {
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
fn a_calm_cluster_settles_within_one_request_timeout_of_the_heal() {
    // With no faults, the leader of the fault window still leads at the heal: every client's
    // next request commits in a few round trips, and every follower learns of it.
    let calm = without_core_mode("calm");
    let raftsim_sim::scenario::Workload::Clients(clients) = &calm.workload else {
        panic!("calm runs closed-loop clients");
    };
    let timeout_us = clients.request_timeout_ms * 1000;
    let delays = settling_delays(&calm);
    let slowest = *delays.last().expect("seeds ran");
    assert!(slowest < timeout_us, "slowest settling {slowest} µs exceeds {timeout_us} µs");
}

#[test]
fn every_partitions_seed_settles_soon_after_the_heal() {
    let partitions = scenario("partitions");
    let bound_us = partitions.liveness_bound_ms * 1000;
    let delays = settling_delays(&partitions);
    let (median, slowest) = (delays[delays.len() / 2], *delays.last().expect("seeds ran"));
    assert!(slowest <= bound_us / 3, "slowest settling {slowest} µs, bound {bound_us} µs");
    assert!(median <= 250_000, "median settling {median} µs: the heal should settle quickly");
}

#[test]
fn a_core_settles_whatever_the_minority_left_out_does() {
    // Two of five left out, each way a node can be: the three others must still elect a leader
    // and serve every client.
    let calm = scenario("calm");
    for how in [LeftOut::Isolate, LeftOut::Mute, LeftOut::Pause, LeftOut::Crash] {
        for seed in 0..20 {
            let mut spec = RunSpec::from_seed(&calm, seed, Bugs::NONE);
            spec.options.liveness.left_out = vec![(seed % 5 + 1, how), ((seed + 2) % 5 + 1, how)];
            spec.options.liveness.left_out.sort_unstable();
            let result = run(spec);
            assert!(result.failure().is_none(), "{how:?}, seed {seed}: {:?}", result.failure());
            assert_eq!(result.counters.left_out_of_core, 2);
        }
    }
}

#[test]
fn core_mode_is_drawn_for_some_seeds_and_recorded_in_the_options() {
    let calm = scenario("calm");
    let specs: Vec<RunSpec> =
        (0..200).map(|seed| RunSpec::from_seed(&calm, seed, Bugs::NONE)).collect();
    let core = specs.iter().filter(|spec| !spec.options.liveness.left_out.is_empty()).count();
    assert!((20..=80).contains(&core), "{core} of 200 seeds heal only a core");
    for spec in &specs {
        assert!(spec.options.liveness.left_out.len() <= 2, "a majority of five stays");
        assert!(spec.options.validate().is_ok());
    }
}

#[test]
fn faults_that_outlast_the_window_are_healed_and_the_cluster_settles() {
    // A majority crashed and the rest paused, each for a day, starting just before the heal:
    // the heal restarts and resumes them, and the cluster must recover on its own.
    let calm = without_core_mode("calm");
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
    let result = run(spec);
    assert_passed(&calm, &result);
    assert_eq!((result.counters.crashes, result.counters.restarts), (3, 3));
    assert_eq!(result.counters.pauses, 1);
    let delay_us = after_heal_us(window_us, &result);
    let bound_us = calm.liveness_bound_ms * 1000;
    assert!(delay_us < bound_us, "settling took {delay_us} µs, bound {bound_us} µs");
}

/// Runs `spec` and returns its liveness failure, checking where and when it was reported.
fn liveness_failure(spec: RunSpec) -> Failure {
    let deadline_us = spec.options.fault_window_us + spec.options.liveness_bound_us;
    let nodes = spec.options.nodes;
    let result = run(spec);
    let failure = result.failure().expect("the cluster cannot settle").clone();
    assert_eq!(failure.violation.property, Property::Liveness, "{failure:?}");
    assert_eq!(failure.time_us, deadline_us, "reported at the deadline");
    assert_eq!(failure.step, result.events, "the deadline ends the run");
    assert_eq!(failure.violation.nodes, (1..=nodes as u64).collect::<Vec<_>>());
    assert_eq!(failure.violation.index, None);
    for node in 1..=nodes {
        assert!(failure.violation.detail.contains(&format!("n{node}: ")), "{failure:?}");
    }
    failure
}

#[test]
fn a_bound_shorter_than_any_round_trip_fails_liveness_naming_every_node() {
    // No client request sent after the heal can be answered within 1 µs: the network's latency
    // is at least 1 ms each way.
    let mut spec = RunSpec::from_seed(&without_core_mode("calm"), 1, Bugs::NONE);
    spec.options.liveness_bound_us = 1;
    let failure = liveness_failure(spec);
    let detail = &failure.violation.detail;
    assert!(detail.contains("no request sent after the heal completed"), "{detail}");
    assert_eq!(detail.matches(": leader term").count(), 1, "one leader at the heal: {detail}");
    assert_eq!(detail.matches(": follower term").count(), 4, "{detail}");
    assert!(detail.contains("clients 0, 1, 2 still wait"), "{detail}");
}

#[test]
fn a_cluster_that_cannot_elect_a_leader_in_time_fails_liveness_with_no_leader() {
    // The heal comes at once and the bound is shorter than the shortest election timeout, so
    // no node even becomes a candidate.
    let mut spec = RunSpec::from_seed(&without_core_mode("calm"), 1, Bugs::NONE);
    spec.options.fault_window_us = 0;
    let election_timeout_min_us =
        spec.options.raft.election_timeout_ticks.min() as u64 * spec.options.tick_us;
    spec.options.liveness_bound_us = election_timeout_min_us / 2;
    let failure = liveness_failure(spec);
    let detail = &failure.violation.detail;
    assert_eq!(detail.matches("follower term 0 commit 0 of 0 applied 0").count(), 5, "{detail}");
    assert!(detail.contains("no leader among the healed nodes"), "{detail}");
}

#[test]
fn the_pipeline_workload_fails_liveness_when_no_commit_can_follow_the_heal() {
    let mut spec = RunSpec::from_seed(&scenario("reference"), 0, Bugs::NONE);
    spec.options.fault_window_us = 300_000;
    spec.options.liveness_bound_us = 1;
    let failure = liveness_failure(spec);
    assert_eq!(failure.violation.detail.matches(": leader term").count(), 1, "{failure:?}");
}

#[test]
fn a_follower_the_leader_gave_up_on_is_named_with_what_it_lacks() {
    // Under `stalled-follower` a majority still commits, so only convergence notices.
    let default = scenario("default");
    let bugs = Bugs::NONE.with(Bug::StalledFollower);
    let failure = (0..200)
        .find_map(|seed| run(RunSpec::from_seed(&default, seed, bugs)).failure().cloned())
        .expect("the bug is caught within 200 seeds");
    let detail = &failure.violation.detail;
    assert_eq!(failure.violation.property, Property::Liveness, "{detail}");
    assert!(detail.contains("last append rejected at"), "{detail}");
}

/// `calm` with its client traffic on the network (`over_network`).
fn calm_over_the_network() -> Scenario {
    let mut calm = without_core_mode("calm");
    let raftsim_sim::scenario::Workload::Clients(clients) = &mut calm.workload else {
        panic!("calm has clients")
    };
    clients.over_network = true;
    // Two servers left out for good campaign on and on: not what calm's efficiency bounds are
    // about.
    calm.expect.clear();
    calm
}

#[test]
fn clients_cut_off_with_a_left_out_server_are_owed_nothing_and_the_rest_are_served() {
    // Client 0 sits beside n1, client 1 beside n2, client 2 beside n3. With n1 and n2 left out
    // isolated, muted or deafened, clients 0 and 1 reach no server of the core (every frame
    // between them and the core crosses a cut link): the core settles without them.
    let calm = calm_over_the_network();
    for how in [LeftOut::Isolate, LeftOut::Mute, LeftOut::Deaf] {
        for seed in 0..10 {
            let mut spec = RunSpec::from_seed(&calm, seed, Bugs::NONE);
            spec.options.liveness.left_out = vec![(1, how), (2, how)];
            let result = run(spec);
            assert!(result.failure().is_none(), "{how:?}, seed {seed}: {:?}", result.failure());
        }
    }
}

#[test]
fn a_client_that_reaches_the_core_is_owed_service_and_named_when_it_waits() {
    // The same cut, but no request can be answered within 1 µs of the heal: the failure names
    // client 2, beside the core's n3, and not clients 0 and 1, cut off with n1 and n2.
    let calm = calm_over_the_network();
    let mut spec = RunSpec::from_seed(&calm, 1, Bugs::NONE);
    spec.options.liveness.left_out = vec![(1, LeftOut::Isolate), (2, LeftOut::Isolate)];
    spec.options.liveness_bound_us = 1;
    let result = run(spec);
    let failure = result.failure().expect("nothing settles in 1 µs");
    assert_eq!(failure.violation.property, Property::Liveness);
    assert!(failure.violation.detail.contains("clients 2 still wait"), "{failure:?}");
}

/// Seed 5011850 of `figure16` crashes the leader for the liveness phase, and its one client,
/// whose request to it times out after a second, used to draw that dead server again on every
/// retry until the bound ran out: a liveness failure of the harness's making. A client now
/// tries the servers in turn after a timeout.
#[test]
fn a_client_whose_leader_stays_down_after_the_heal_finds_the_new_one() {
    let figure16 = scenario("figure16");
    let result = run_seeds(&figure16, 5_011_850..5_011_851, Bugs::NONE, 1).remove(0);
    assert_eq!(result.counters.left_out_of_core, 2);
    assert_passed(&figure16, &result);
}
