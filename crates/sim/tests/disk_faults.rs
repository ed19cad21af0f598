//! The disk as a fault domain, seen from outside: the faults happen, stay within the fault
//! atlas, run with the checker off as with it on, and every server a disk stopped comes back.

mod common;

use common::{JOBS, assert_every_crash_restarts, assert_passed, run_seeds, scenario};
use raftsim_raft::Bugs;
use raftsim_sim::RunSpec;
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::fault::{Fault, FaultKind, Target};
use raftsim_sim::raft_under_test::NodeId;
use raftsim_sim::scenario::{DiskParams, Span};

/// Seeds of `disk-faults` run by the tests here.
const SEEDS: u64 = 200;

#[test]
fn every_disk_fault_happens_and_every_server_it_stops_restarts() {
    let scenario = scenario("disk-faults");
    let results = run_seeds(&scenario, 0..SEEDS, Bugs::NONE, JOBS);
    let mut total = raftsim_sim::Counters::default();
    for result in &results {
        assert_passed(&scenario, result);
        assert_every_crash_restarts(&scenario, result);
        let counters = &result.counters;
        assert!(counters.records_repaired <= counters.records_corrupted, "seed {}", result.seed);
        total.add(counters);
    }
    let kinds = [
        ("fsyncs", total.fsyncs),
        ("unsynced_writes_lost", total.unsynced_writes_lost),
        ("torn_writes", total.torn_writes),
        ("fsync_failures", total.fsync_failures),
        ("disk_full", total.disk_full),
        ("records_corrupted", total.records_corrupted),
        ("records_repaired", total.records_repaired),
    ];
    for (name, count) in kinds {
        assert!(count > 0, "{name} never happened in {SEEDS} seeds of disk-faults: {total:#?}");
    }
}

#[test]
fn corruption_never_leaves_two_disks_damaged_at_once() {
    let scenario = scenario("disk-faults");
    let mut seeds_with_damage = 0;
    for seed in 0..SEEDS / 2 {
        let spec = RunSpec::from_seed(&scenario, seed, Bugs::NONE);
        let mut damaged_at_some_step = false;
        let (result, _) = RAFTSIM_ENGINE.run_observed(spec, Settings::default(), &mut |world| {
            let damaged = (1..=world.node_count() as NodeId)
                .filter(|&node| world.disk_is_damaged(node))
                .count();
            assert!(damaged <= 1, "seed {seed}: {damaged} disks damaged at step {}", world.steps());
            damaged_at_some_step |= damaged == 1;
            true
        });
        assert_passed(&scenario, &result);
        seeds_with_damage += u32::from(damaged_at_some_step);
    }
    assert!(seeds_with_damage >= 10, "only {seeds_with_damage} seeds ever held damage");
}

#[test]
fn disk_faults_run_with_the_checker_off() {
    // `raftsim bench` measures the checker's share by running campaigns without it: corruption
    // found at a restart must not reach a checker that is not watching.
    let scenario = scenario("disk-faults");
    let mut corrupted = 0;
    for seed in 0..SEEDS / 4 {
        let spec = RunSpec::from_seed(&scenario, seed, Bugs::NONE);
        let unchecked = Settings { unchecked: true, ..Settings::default() };
        let (result, _) = RAFTSIM_ENGINE.run(spec, unchecked);
        assert!(result.failure().is_none(), "seed {seed} unchecked: {:?}", result.failure());
        corrupted += result.counters.records_corrupted;
    }
    assert!(corrupted > 0, "no record rotted in {} seeds", SEEDS / 4);
}

#[test]
fn a_server_that_learns_of_its_failed_fsync_after_the_heal_is_restarted() {
    // Node 1, slowed a thousandfold from 500 ms, has a full inbox when its fsync fails: it
    // learns of the failure only after the heal at 1,000 ms has ended every fault, stops, and
    // must be restarted then, or the cluster never settles with it (`default` seed 697 once;
    // without the fix this run fails liveness with node 1 crashed).
    let calm = scenario("calm");
    let mut spec = RunSpec::from_seed(&calm, 3, Bugs::NONE);
    spec.options.fault_window_us = 1_000_000;
    spec.options.node.service_time_us = 20; // `calm` costs nothing per input: nothing to slow.
    spec.options.faults.disk = Some(DiskParams {
        fsync_latency_us: Span(100, 100),
        torn_write_probability: 0.0,
        fsync_failures: None,
        full: None,
        corruption: None,
    });
    let window = |start_ms: u64, end_ms: u64, kind| Fault {
        start_us: start_ms * 1000,
        duration_us: (end_ms - start_ms) * 1000,
        kind,
    };
    spec.schedule = vec![
        window(500, 1500, FaultKind::Slow { target: Target::Node(1), factor: 1000 }),
        window(700, 999, FaultKind::FsyncFailure { target: Target::Node(1) }),
    ];
    let (result, _) = RAFTSIM_ENGINE.run(spec, Settings::default());
    assert_passed(&calm, &result);
    assert_eq!(result.counters.fsync_failures, 1, "{:#?}", result.counters);
    assert_eq!(result.counters.crashes, 1, "the failed fsync stopped node 1");
    assert_eq!(result.counters.restarts, 1, "and it was restarted");
}
