//! The disk as a fault domain, seen from outside: the faults happen, stay within the fault
//! atlas, run with the checker off as with it on, and every server a disk stopped comes back.

mod common;

use common::{JOBS, assert_every_crash_restarts, assert_passed, run_seeds, scenario};
use raftsim_raft::Bugs;
use raftsim_sim::RunSpec;
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::raft_under_test::NodeId;

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
