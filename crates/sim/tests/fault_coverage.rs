//! A passing campaign proves little unless its faults happened. Across a `default` campaign
//! every fault kind is injected and counted, every partition shape and target policy is drawn,
//! swarm testing varies the mix from seed to seed, and a kind a seed disables never happens.

mod common;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use common::{JOBS, assert_every_crash_restarts, assert_passed, run_seeds, scenario};
use raftsim_raft::Bugs;
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::fault::{Fault, FaultKind, Partition, Target};
use raftsim_sim::node::Status;
use raftsim_sim::raft_under_test::{NodeId, Role};
use raftsim_sim::{Counters, RunResult, RunSpec};

/// Seeds of the `default` campaign below.
const SEEDS: u64 = 300;

/// The specs and results of seeds `0..SEEDS` of `default`, run once for every test here.
fn campaign() -> &'static [(RunSpec, RunResult)] {
    static CAMPAIGN: OnceLock<Vec<(RunSpec, RunResult)>> = OnceLock::new();
    CAMPAIGN.get_or_init(|| {
        let scenario = scenario("default");
        let results = run_seeds(&scenario, 0..SEEDS, Bugs::NONE, JOBS);
        results
            .into_iter()
            .map(|result| (RunSpec::from_seed(&scenario, result.seed, Bugs::NONE), result))
            .collect()
    })
}

/// Every count that shows a fault kind (or the protocol's reaction to one) happened.
fn fault_counts(counters: &Counters) -> [(&'static str, u64); 23] {
    [
        ("partitions", counters.partitions),
        ("pauses", counters.pauses),
        ("crashes", counters.crashes),
        ("restarts", counters.restarts),
        ("overloads", counters.overloads),
        ("inbox_drops", counters.inbox_drops),
        ("frames_dropped", counters.frames_dropped),
        ("frames_duplicated", counters.frames_duplicated),
        ("frames_corrupted", counters.frames_corrupted),
        ("frames_rejected", counters.frames_rejected),
        ("clock_skews", counters.clock_skews),
        ("truncations", counters.truncations),
        ("client_retries", counters.client_retries),
        ("elections", counters.elections),
        ("leader_changes", counters.leader_changes),
        ("transfers", counters.transfers),
        ("fsyncs", counters.fsyncs),
        ("unsynced_writes_lost", counters.unsynced_writes_lost),
        ("torn_writes", counters.torn_writes),
        ("fsync_failures", counters.fsync_failures),
        ("disk_full", counters.disk_full),
        ("records_corrupted", counters.records_corrupted),
        ("records_repaired", counters.records_repaired),
    ]
}

#[test]
fn every_fault_kind_happens_across_a_default_campaign() {
    let mut total = Counters::default();
    let scenario = scenario("default");
    for (_, result) in campaign() {
        assert_passed(&scenario, result);
        let counters = &result.counters;
        assert_eq!(
            counters.frames_corrupted, counters.frames_rejected,
            "seed {}: every damaged frame must be rejected",
            result.seed
        );
        assert_every_crash_restarts(&scenario, result);
        total.add(counters);
    }
    let never: Vec<&str> = fault_counts(&total)
        .into_iter()
        .filter(|&(_, count)| count == 0)
        .map(|(name, _)| name)
        .collect();
    assert!(never.is_empty(), "never happened in {SEEDS} seeds: {never:?}\n{total:#?}");
}

#[test]
fn every_corrupted_frame_is_rejected_under_heavy_corruption() {
    let scenario = scenario("corruption");
    for result in &run_seeds(&scenario, 0..40, Bugs::NONE, JOBS) {
        assert_passed(&scenario, result);
        let counters = &result.counters;
        assert!(counters.frames_corrupted > 0, "seed {}: nothing was damaged", result.seed);
        assert_eq!(counters.frames_corrupted, counters.frames_rejected, "seed {}", result.seed);
    }
}

#[test]
fn a_fault_kind_the_seed_disables_never_happens() {
    for (spec, result) in campaign() {
        let enabled = spec.options.enabled_faults();
        let counters = &result.counters;
        let seed = result.seed;
        let off = |kind: &str| !enabled.contains(&kind);
        let checks = [
            ("duplication", counters.frames_duplicated),
            ("corruption", counters.frames_corrupted),
            ("partitions", counters.partitions),
            ("pauses", counters.pauses),
            // A failed fsync or corruption at rest crashes a server too.
            ("crashes", if off("disk") { counters.crashes + counters.restarts } else { 0 }),
            (
                "disk",
                counters.fsyncs
                    + counters.unsynced_writes_lost
                    + counters.fsync_failures
                    + counters.disk_full
                    + counters.records_corrupted,
            ),
            ("overload", counters.overloads),
            ("clock-skew", counters.clock_skews),
        ];
        for (kind, count) in checks {
            assert!(!off(kind) || count == 0, "seed {seed}: {kind} is off but counted {count}");
        }
    }
}

/// The name of a fault's target policy, or `None` for kinds without a target.
fn target_name(fault: &Fault) -> Option<&'static str> {
    Some(match fault.kind.target()? {
        Target::Node(_) => "any",
        Target::Leader { .. } => "leader",
        Target::NewLeader => "new-leader",
        Target::NewVoter => "new-voter",
    })
}

#[test]
fn every_partition_shape_and_target_appears_in_generated_schedules() {
    let mut kinds = BTreeSet::new();
    let mut targets = BTreeSet::new();
    for (spec, _) in campaign() {
        for fault in &spec.schedule {
            assert!(fault.start_us < spec.options.fault_window_us, "seed {}", spec.seed);
            if let FaultKind::Partition(Partition::OneWay { from, to }) = &fault.kind {
                assert!(from.iter().all(|node| !to.contains(node)), "{fault:?}");
            }
            kinds.insert(fault.kind.name());
            targets.extend(target_name(fault));
        }
    }
    let expected_kinds = [
        "partition-split",
        "partition-isolate-leader",
        "partition-one-way",
        "partition-bridge",
        "pause",
        "crash",
        "slow",
        "burst",
        "clock-skew",
        "transfer",
        "fsync-failure",
        "disk-full",
        "disk-corruption",
    ];
    assert_eq!(kinds, BTreeSet::from(expected_kinds), "fault kinds drawn");
    let expected_targets = ["any", "leader", "new-leader", "new-voter"];
    assert_eq!(targets, BTreeSet::from(expected_targets), "target policies drawn");
}

#[test]
fn swarm_testing_varies_the_fault_mix() {
    let specs: Vec<&RunSpec> = campaign().iter().map(|(spec, _)| spec).take(200).collect();
    let mixes: BTreeSet<Vec<&str>> =
        specs.iter().map(|spec| spec.options.enabled_faults()).collect();
    assert!(mixes.len() >= 100, "only {} fault mixes in 200 seeds: {mixes:?}", mixes.len());
    let kinds = [
        "loss",
        "duplication",
        "corruption",
        "delay-spikes",
        "partitions",
        "pauses",
        "crashes",
        "overload",
        "clock-skew",
        "disk",
    ];
    for kind in kinds {
        let on = specs.iter().filter(|spec| spec.options.enabled_faults().contains(&kind)).count();
        assert!((60..=140).contains(&on), "{kind} is on in {on} of 200 seeds, not about half");
    }
    let batch_limits: BTreeSet<u32> =
        specs.iter().map(|spec| spec.options.raft.max_entries_per_message).collect();
    assert!(batch_limits.len() > 10, "swarm testing should vary batching: {batch_limits:?}");

    let without_swarm = scenario("partitions");
    let fixed: BTreeSet<Vec<&str>> = (0..50)
        .map(|seed| RunSpec::from_seed(&without_swarm, seed, Bugs::NONE).options.enabled_faults())
        .collect();
    assert_eq!(fixed, BTreeSet::from([vec!["partitions"]]), "without swarm the mix is fixed");
}

/// What a test sees of one node after a step: its status, role and vote (none while crashed).
type Seen = (Status, Option<Role>, Option<NodeId>);

/// Runs `seed` of `calm` with `schedule` instead of its own (calm draws no faults), calling
/// `observe` with the status and state of every node after each step.
fn run_calm_with(seed: u64, schedule: Vec<Fault>, mut observe: impl FnMut(&[Seen])) -> RunResult {
    let calm = scenario("calm");
    let mut spec = RunSpec::from_seed(&calm, seed, Bugs::NONE);
    assert!(spec.schedule.is_empty(), "calm injects no faults of its own");
    spec.schedule = schedule;
    let (result, _) = RAFTSIM_ENGINE.run_observed(spec, Settings::default(), &mut |world| {
        let nodes: Vec<Seen> = (1..=world.node_count() as NodeId)
            .map(|node| {
                let state = world.node_observation(node);
                (world.node_status(node), state.map(|s| s.role), state.and_then(|s| s.vote))
            })
            .collect();
        observe(&nodes);
        true
    });
    assert_passed(&calm, &result);
    result
}

#[test]
fn a_new_leader_crash_strikes_the_first_leader_as_it_is_elected() {
    let crash = FaultKind::Crash { target: Target::NewLeader };
    let schedule = vec![Fault { start_us: 0, duration_us: 100_000, kind: crash }];
    let mut previous: Option<Vec<Seen>> = None;
    let mut led_before_the_crash = false;
    let mut crashed = None;
    let result = run_calm_with(1, schedule, |nodes| {
        if crashed.is_none() {
            if let (Some(before), Some(node)) =
                (&previous, nodes.iter().position(|(status, ..)| *status == Status::Crashed))
            {
                assert_eq!(before[node].1, Some(Role::Candidate), "it crashed as it won");
                crashed = Some(node + 1);
            }
            led_before_the_crash |= nodes.iter().any(|(_, role, _)| *role == Some(Role::Leader));
        }
        previous = Some(nodes.to_vec());
    });
    assert!(crashed.is_some(), "the armed crash never struck");
    assert!(!led_before_the_crash, "a leader was seen before the new-leader crash struck");
    assert_eq!((result.counters.crashes, result.counters.restarts), (1, 1));
}

#[test]
fn a_new_voter_pause_strikes_the_first_node_to_grant_a_vote() {
    let pause = FaultKind::Pause { target: Target::NewVoter };
    let schedule = vec![Fault { start_us: 0, duration_us: 100_000, kind: pause }];
    let mut voted_before_the_pause = false;
    let mut paused = None;
    let result = run_calm_with(2, schedule, |nodes| {
        if paused.is_some() {
            return;
        }
        let granted =
            |id: usize, vote: Option<NodeId>| vote.is_some_and(|vote| vote != id as NodeId + 1);
        if let Some(node) = nodes.iter().position(|(status, ..)| *status == Status::Paused) {
            assert!(granted(node, nodes[node].2), "node {} paused without voting", node + 1);
            paused = Some(node + 1);
        } else {
            voted_before_the_pause |=
                nodes.iter().enumerate().any(|(id, (_, _, vote))| granted(id, *vote));
        }
    });
    assert!(paused.is_some(), "the armed pause never struck");
    assert!(!voted_before_the_pause, "a vote was granted before the new-voter pause struck");
    assert_eq!(result.counters.pauses, 1);
}
