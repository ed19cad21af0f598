//! One seed, one run: the same spec on the same binary produces the same events, byte for byte,
//! whether or not it records, on however many threads, and when replayed from its trace.

mod common;

use common::{JOBS, run_seeds, scenario, shortened};
use proptest::prelude::*;
use raftsim_raft::{Bug, Bugs};
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::trace::{Outcome, Trace, first_divergence};
use raftsim_sim::{RunResult, RunSpec};

/// Runs `spec`, recording, and returns the result with its trace.
fn run_recorded(spec: &RunSpec) -> (RunResult, Trace) {
    let (result, records) = RAFTSIM_ENGINE.run(spec.clone(), Settings::RECORD);
    let records = records.expect("a recording world keeps its records");
    assert_eq!(records.len() as u64, result.events, "one record per step");
    let trace = Trace::new(spec, records, &result, RAFTSIM_ENGINE.stream_fingerprint());
    (result, trace)
}

#[test]
fn the_same_seed_runs_the_same_twice() {
    for name in ["default", "figure8", "overload", "stale-messages"] {
        let scenario = scenario(name);
        for seed in [0, 1, 7, 0xdead_beef, u64::MAX] {
            let spec = RunSpec::from_seed(&scenario, seed, Bugs::NONE);
            assert_eq!(spec, RunSpec::from_seed(&scenario, seed, Bugs::NONE), "{name} {seed}");
            let first = RAFTSIM_ENGINE.run(spec.clone(), Settings::default()).0;
            let again = RAFTSIM_ENGINE.run(spec, Settings::default()).0;
            assert_eq!(first, again, "{name} seed {seed}: two runs differ");
            assert!(first.events > 0);
        }
    }
}

#[test]
fn recording_does_not_change_the_run() {
    let scenario = scenario("default");
    for seed in 0..8 {
        let spec = RunSpec::from_seed(&scenario, seed, Bugs::NONE);
        let silent = RAFTSIM_ENGINE.run(spec.clone(), Settings::default()).0;
        let (recorded, _) = run_recorded(&spec);
        assert_eq!(silent.event_hash, recorded.event_hash, "seed {seed}");
        assert_eq!(silent.verdict, recorded.verdict, "seed {seed}");
        assert_eq!(silent, recorded, "seed {seed}");
    }
}

#[test]
fn describing_does_not_change_the_run_and_matches_every_delivery_with_its_sending() {
    use std::collections::BTreeMap;
    let settings = Settings { record: true, describe: true, unchecked: false };
    for (name, seed) in [("default", 0), ("default", 3), ("corruption", 1), ("figure8", 2)] {
        let spec = RunSpec::from_seed(&scenario(name), seed, Bugs::NONE);
        let silent = RAFTSIM_ENGINE.run(spec.clone(), Settings::default()).0;
        // Frames in flight, by (delivery time, sender, recipient, digest): each delivery must
        // be one of them.
        let mut in_flight: BTreeMap<(u64, u64, u64, u32), u32> = BTreeMap::new();
        let (mut sent, mut deliveries) = (0u64, 0u64);
        let (described, _) = RAFTSIM_ENGINE.run_observed(spec, settings, &mut |world| {
            let record = *world.records().and_then(<[_]>::last).expect("recording");
            if record.kind_name() == "deliver" {
                deliveries += 1;
                let key = (record.time_us, record.a & 0xffff_ffff, record.node, record.b as u32);
                let left = in_flight.get_mut(&key).expect("a delivery of a frame sent");
                *left -= 1;
                if *left == 0 {
                    in_flight.remove(&key);
                }
            }
            for frame in world.sent_frames() {
                let addressed = (1..=world.node_count() as u64).contains(&frame.to);
                sent += u64::from(addressed && frame.to != frame.from);
                assert!(!frame.kind.is_empty() && !frame.description.is_empty(), "{frame:?}");
                for at_us in [frame.deliver_at_us, frame.duplicate_at_us].into_iter().flatten() {
                    assert!(at_us >= world.now_us(), "{frame:?}");
                    let key = (at_us, frame.from, frame.to, frame.digest);
                    *in_flight.entry(key).or_default() += 1;
                }
            }
            true
        });
        assert_eq!(silent, described, "{name} seed {seed}: describing changed the run");
        assert!(sent > 0 && deliveries > 0, "{name} seed {seed}");
        assert_eq!(sent, described.counters.frames_sent, "{name} seed {seed}: one note a frame");
    }
}

#[test]
fn results_do_not_depend_on_the_number_of_jobs_or_the_order_of_seeds() {
    let scenario = shortened("default", 2000);
    let alone = run_seeds(&scenario, 0..16, Bugs::NONE, 1);
    let split = run_seeds(&scenario, 0..16, Bugs::NONE, JOBS);
    assert_eq!(alone, split);
    let backwards: Vec<RunResult> = (0..16)
        .rev()
        .map(|seed| {
            RAFTSIM_ENGINE
                .run(RunSpec::from_seed(&scenario, seed, Bugs::NONE), Settings::default())
                .0
        })
        .collect();
    assert!(alone.iter().eq(backwards.iter().rev()), "running seeds in reverse changed a result");
}

#[test]
fn the_event_hash_tells_seeds_apart() {
    let scenario = shortened("default", 500);
    let hashes: std::collections::BTreeSet<u64> =
        run_seeds(&scenario, 0..64, Bugs::NONE, JOBS).iter().map(|run| run.event_hash).collect();
    assert_eq!(hashes.len(), 64, "two of 64 seeds share an event hash");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn any_seed_runs_the_same_twice(seed in any::<u64>()) {
        let scenario = shortened("default", 1000);
        let spec = RunSpec::from_seed(&scenario, seed, Bugs::NONE);
        let first = RAFTSIM_ENGINE.run(spec.clone(), Settings::default()).0;
        let again = RAFTSIM_ENGINE.run(spec, Settings::default()).0;
        prop_assert_eq!(first, again);
    }
}

#[test]
fn a_trace_replays_to_identical_records() {
    // Seed 5 of `default` draws a delay-spike rate that its trace does not carry exactly (see
    // `a_trace_carries_its_options_exactly`); its replay must reproduce the run all the same.
    let runs =
        [("default", 3), ("default", 5), ("default", 0xfeed), ("figure8", 11), ("overload", 5)];
    for (name, seed) in runs {
        let spec = RunSpec::from_seed(&scenario(name), seed, Bugs::NONE);
        let (result, trace) = run_recorded(&spec);
        let parsed = Trace::parse(&trace.to_jsonl())
            .unwrap_or_else(|error| panic!("{name} seed {seed}: {error}"));
        assert_eq!(parsed.header.seed, seed);
        assert_eq!(parsed.header.bugs, spec.bugs);
        assert_eq!(parsed.schedule, spec.schedule, "{name} seed {seed}: the schedule changed");
        assert_eq!(parsed.events, trace.events, "{name} seed {seed}: the events changed");
        assert_eq!(parsed.outcome, trace.outcome, "{name} seed {seed}: the outcome changed");

        let (replayed, replay) = run_recorded(&parsed.spec());
        assert_eq!(first_divergence(&parsed.events, &replay.events), None, "{name} {seed}");
        assert_eq!(replayed.event_hash, result.event_hash, "{name} seed {seed}");
        assert_eq!(Outcome::of(&replayed), parsed.outcome, "{name} seed {seed}");
    }
}

#[test]
fn a_trace_carries_its_options_exactly() {
    let scenario = shortened("default", 100);
    for seed in 0..32 {
        let spec = RunSpec::from_seed(&scenario, seed, Bugs::NONE);
        let (_, trace) = run_recorded(&spec);
        let text = trace.to_jsonl();
        let parsed = Trace::parse(&text).expect("a trace parses");
        assert_eq!(parsed.spec(), spec, "seed {seed}: the trace changed the spec");
        assert_eq!(parsed, trace, "seed {seed}: the trace does not round-trip through text");
        assert_eq!(parsed.to_jsonl(), text, "seed {seed}: rewriting the trace changed it");
    }
}

/// The first seed of `scenario` on which `bug` is caught.
fn first_failing_spec(name: &str, bug: Bug) -> RunSpec {
    let scenario = scenario(name);
    (0..200)
        .map(|seed| RunSpec::from_seed(&scenario, seed, Bugs::NONE.with(bug)))
        .find(|spec| RAFTSIM_ENGINE.run(spec.clone(), Settings::default()).0.failure().is_some())
        .unwrap_or_else(|| panic!("{bug} is not caught in 200 seeds of {name}"))
}

#[test]
fn a_failing_run_reproduces_its_failure_at_the_same_step() {
    for (name, bug) in [("default", Bug::DoubleVote), ("figure8", Bug::CommitPriorTerm)] {
        let spec = first_failing_spec(name, bug);
        let (first, trace) = run_recorded(&spec);
        let (again, _) = RAFTSIM_ENGINE.run(spec.clone(), Settings::default());
        let failure = first.failure().expect("the seed fails");
        assert_eq!(again.failure(), Some(failure), "{bug} seed {}", spec.seed);
        assert_eq!(failure.step, first.events, "a violation ends the run at its step");

        let parsed = Trace::parse(&trace.to_jsonl()).expect("a failure's trace parses");
        assert_eq!(parsed.outcome.failure.as_ref(), Some(failure));
        let (replayed, replay) = run_recorded(&parsed.spec());
        assert_eq!(replayed.failure(), Some(failure), "{bug} seed {}: replay", spec.seed);
        assert_eq!(first_divergence(&trace.events, &replay.events), None);
        assert_eq!(replayed.event_hash, first.event_hash);
    }
}
