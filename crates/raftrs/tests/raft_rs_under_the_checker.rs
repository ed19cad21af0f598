//! tikv's raft-rs under raftsim's simulator and checker: a mature Raft must raise no alarm, its
//! runs must be deterministic, and its traces must replay bit for bit. (`raftsim fuzz --raft
//! raft-rs` runs the long campaigns; these are the ones every `make test` runs.)

use raftsim_raft::{Bug, Bugs};
use raftsim_raftrs::RAFT_RS_ENGINE;
use raftsim_sim::engine::{Engine, Settings};
use raftsim_sim::scenario::builtin;
use raftsim_sim::trace::{Trace, first_divergence};
use raftsim_sim::{RunResult, RunSpec, Scenario};

fn scenario(name: &str) -> Scenario {
    builtin(name).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// The spec of `seed` for raft-rs: as campaigns make it, without membership changes, which the
/// adapter does not make.
fn spec(scenario: &Scenario, seed: u64) -> RunSpec {
    RAFT_RS_ENGINE.seed_spec(scenario, seed, Bugs::NONE)
}

fn run(spec: RunSpec) -> RunResult {
    RAFT_RS_ENGINE.run(spec, Settings::default()).0
}

/// Runs `seeds` of `scenario` on two threads and returns the results in seed order.
fn run_seeds(scenario: &Scenario, seeds: std::ops::Range<u64>) -> Vec<RunResult> {
    let seeds: Vec<u64> = seeds.collect();
    let mut results: Vec<RunResult> = std::thread::scope(|scope| {
        let workers: Vec<_> = [0, 1]
            .map(|parity| {
                let seeds = &seeds;
                scope.spawn(move || {
                    let mine = seeds.iter().filter(|&&seed| seed % 2 == parity);
                    mine.map(|&seed| run(spec(scenario, seed))).collect::<Vec<RunResult>>()
                })
            })
            .into_iter()
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().expect("a worker panicked")).collect()
    });
    results.sort_by_key(|result| result.seed);
    results
}

#[track_caller]
fn assert_all_pass(name: &str, results: &[RunResult]) {
    for result in results {
        assert!(
            result.failure().is_none(),
            "raft-rs failed seed {} of {name}: {:?}\nreplay: raftsim run --raft raft-rs --seed {} \
             --scenario {name}",
            result.seed,
            result.failure(),
            result.seed
        );
    }
}

#[test]
fn raft_rs_passes_default_seeds_with_no_false_alarm() {
    let default = scenario("default");
    assert_all_pass("default", &run_seeds(&default, 0..200));
}

#[test]
fn raft_rs_passes_every_fault_scenario() {
    for name in [
        "calm",
        "corruption",
        "crash-restart",
        "figure8",
        "flaky-network",
        "overload",
        "partitions",
        "paused-leader",
        "stale-messages",
    ] {
        assert_all_pass(name, &run_seeds(&scenario(name), 0..30));
    }
}

/// raft-rs serves the key-value scenarios linearizably: writes through its log (a raft-rs
/// follower forwards a proposal to its leader itself, so the simulator's forwarding is not
/// needed), and reads by its own ReadIndex at leaders and followers (`kv-reads`),
/// with client traffic on the faulty network.
#[test]
fn raft_rs_serves_linearizable_key_value_histories_with_its_own_read_index() {
    for name in ["kv", "kv-reads"] {
        let results = run_seeds(&scenario(name), 0..100);
        assert_all_pass(name, &results);
        let total = results.iter().fold(raftsim_sim::Counters::default(), |mut total, result| {
            total.add(&result.counters);
            total
        });
        assert!(total.client_frames_rejected > 0 && total.client_frames_lost > 0, "{total:?}");
        if name == "kv-reads" {
            assert!(total.reads_served > 10_000, "{name}: {total:?}");
        } else {
            assert!(total.client_requests > 10_000, "{name}: {total:?}");
        }
    }
}

/// raft-rs with its own PreVote and CheckQuorum keeps its leader when a minority rejoins: the
/// leader-stability property holds on it too, and its leadership transfers in `default` count.
#[test]
fn raft_rs_keeps_its_leader_when_a_minority_rejoins() {
    let rejoin = scenario("rejoin");
    assert!(rejoin.raft.pre_vote && rejoin.raft.check_quorum);
    assert_all_pass("rejoin", &run_seeds(&rejoin, 0..100));
    let transfers: u64 =
        run_seeds(&scenario("default"), 0..50).iter().map(|result| result.counters.transfers).sum();
    assert!(transfers > 0, "raft-rs took no leadership transfer in 50 default seeds");
}

/// raft-rs with its own PreVote and CheckQuorum settles under partial connectivity, keeping
/// the quorum-loss partition on after the heal in some seeds.
#[test]
fn raft_rs_settles_under_partial_connectivity() {
    let partial = scenario("partial-connectivity");
    assert!(partial.raft.pre_vote && partial.raft.check_quorum);
    assert_all_pass("partial-connectivity", &run_seeds(&partial, 0..100));
}

/// raft-rs compacts behind the simulator's snapshots and installs its leader's: the snapshot
/// checks (applied-committed, log-matching, applied-never-rolls-back) hold on it too, and
/// snapshots really are installed.
#[test]
fn raft_rs_compacts_and_installs_snapshots_under_churn() {
    let churn = scenario("snapshot-churn");
    assert!(churn.raft.snapshot_interval_entries > 0);
    let results = run_seeds(&churn, 0..100);
    assert_all_pass("snapshot-churn", &results);
    let installed: u64 = results.iter().map(|result| result.counters.snapshots_installed).sum();
    let taken: u64 = results.iter().map(|result| result.counters.snapshots_taken).sum();
    assert!(taken > 1000 && installed > 100, "{taken} snapshots taken, {installed} installed");
    // A restart from snapshot plus log replays bit for bit.
    let spec = spec(&churn, 7);
    let (first, trace) = RAFT_RS_ENGINE.record(&spec);
    assert!(first.counters.restarts > 0 && first.counters.snapshots_taken > 0);
    let parsed = Trace::parse(&trace.to_jsonl()).expect("the trace parses");
    let (replayed, _) = RAFT_RS_ENGINE.run(parsed.spec(), Settings::default());
    assert_eq!(replayed.event_hash, first.event_hash);
}

#[test]
fn raft_rs_runs_are_deterministic_and_replay_bit_for_bit() {
    let default = scenario("default");
    for seed in [3, 17] {
        let spec = spec(&default, seed);
        let (first, trace) = RAFT_RS_ENGINE.record(&spec);
        let again = run(spec.clone());
        assert_eq!(first.event_hash, again.event_hash, "seed {seed} ran differently twice");
        let parsed = Trace::parse(&trace.to_jsonl()).expect("the trace parses");
        assert_eq!(parsed.header.raft, "raft-rs");
        let (replayed, replayed_records) = RAFT_RS_ENGINE.run(parsed.spec(), Settings::RECORD);
        assert_eq!(first_divergence(&parsed.events, &replayed_records.unwrap()), None);
        assert_eq!(replayed.event_hash, first.event_hash);
    }
    // Seeds on different threads, in a different order, give the same hashes.
    let forward: Vec<u64> =
        run_seeds(&default, 0..8).iter().map(|result| result.event_hash).collect();
    let single: Vec<u64> = (0..8).map(|seed| run(spec(&default, seed)).event_hash).collect();
    assert_eq!(forward, single);
}

#[test]
fn raft_rs_refuses_injected_bugs() {
    let spec = RunSpec::from_seed(&scenario("calm"), 1, Bugs::NONE.with(Bug::DoubleVote))
        .with_raft("raft-rs");
    let refusal = RAFT_RS_ENGINE.accepts(&spec).unwrap_err();
    assert!(refusal.contains("raftsim's Raft"), "{refusal}");
}

#[test]
fn raft_rs_runs_default_without_membership_changes_and_refuses_the_membership_scenarios() {
    let default = scenario("default");
    let with_changes = (0..64)
        .find(|&seed| RunSpec::from_seed(&default, seed, Bugs::NONE).options.membership.is_some())
        .expect("default's swarm changes the membership in some seed");
    assert_eq!(spec(&default, with_changes).options.membership, None);
    assert_eq!(RAFT_RS_ENGINE.accepts(&spec(&default, with_changes)), Ok(()));
    for name in ["membership", "membership-churn"] {
        let refusal = RAFT_RS_ENGINE.accepts(&spec(&scenario(name), 0)).unwrap_err();
        assert!(refusal.contains("does not change its membership"), "{name}: {refusal}");
    }
}

#[test]
fn raft_rs_settles_in_core_mode_whatever_the_minority_does() {
    use raftsim_sim::scenario::LeftOut;
    let calm = scenario("calm");
    for how in [LeftOut::Isolate, LeftOut::Mute, LeftOut::Pause, LeftOut::Crash] {
        for seed in 0..5 {
            let mut spec = spec(&calm, seed);
            spec.options.liveness.left_out = vec![(1, how), (4, how)];
            let result = run(spec);
            assert!(result.failure().is_none(), "{how:?}, seed {seed}: {:?}", result.failure());
        }
    }
}
