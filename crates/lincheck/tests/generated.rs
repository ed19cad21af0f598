//! Property tests over generated histories: a history a correct store produces is always
//! linearizable (and the reported linearization is one), corrupting one read to a value the
//! key never had is always caught, every prefix of a correct history is linearizable, and the
//! key-value model's refinement of timed-out operations never changes a verdict.

mod support;

use proptest::prelude::*;
use proptest::sample::Index;
use raftsim_lincheck::kv::{KvInput, KvModel, KvOutput};
use raftsim_lincheck::{CheckOptions, Verdict, check, prefix};
use support::generate::{Workload, generate};
use support::*;

fn workload(operations_max: usize) -> impl Strategy<Value = Workload> {
    (1u64..=5, 1u32..=4, 1..=operations_max, 0.0..0.25f64, 0.0..=1.0f64, 1u64..=300, 0u64..=100)
        .prop_map(|(clients, keys, operations, timeout, never, duration, think)| Workload {
            clients,
            keys,
            operations,
            timeout_probability: timeout,
            never_applied_probability: never,
            duration_us_max: duration,
            think_us_max: think,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_history_a_correct_store_produces_is_linearizable(
        seed in any::<u64>(),
        workload in workload(300),
    ) {
        let history = generate(seed, &workload).history;
        let report = check_kv(&history);
        prop_assert!(report.is_linearizable(), "{}", report.verdict.describe(&KvModel));
        assert_linearizations_hold(&KvModel, &history, &report);
    }

    #[test]
    fn a_read_corrupted_to_a_value_the_key_never_had_is_caught(
        seed in any::<u64>(),
        workload in workload(300),
        pick in any::<Index>(),
        how in 0..3usize,
    ) {
        let generated = generate(seed, &workload);
        let mut history = generated.history;
        let reads: Vec<usize> = (0..history.len())
            .filter(|&index| {
                let operation = &history[index];
                matches!(operation.input, KvInput::Get { .. }) && !operation.is_maybe()
            })
            .collect();
        prop_assume!(!reads.is_empty());
        let corrupted = reads[pick.index(reads.len())];
        let seen = history[corrupted].outcome.as_mut().unwrap();
        let KvOutput::Get { value } = &mut seen.output else { unreachable!("a read") };
        let old = value.take().unwrap_or_default();
        // A token no write wrote: no order of the writes can produce it.
        let fresh = generated.fresh_token;
        *value = Some(match how {
            0 => vec![fresh],
            1 => old.iter().copied().chain([fresh]).collect(),
            _ => [fresh].into_iter().chain(old.iter().copied()).collect(),
        });
        let report = check_kv(&history);
        let violation = report.violation();
        prop_assert!(violation.is_some(), "{:?}", report.verdict);
        let violation = violation.unwrap();
        prop_assert_eq!(violation.partition, history[corrupted].input.key());
        // The witness is genuine, but need not hold the corrupted read: a compare-and-swap that
        // failed can, rarely, make a smaller contradiction of its own once the write that made
        // it fail is removed (see `kv::sources`).
        prop_assert!(violation.minimal);
        let alone: Vec<KvOperation> =
            violation.witness.iter().map(|entry| entry.operation.clone()).collect();
        prop_assert!(check_kv(&alone).violation().is_some());
    }

    #[test]
    fn every_prefix_of_a_correct_history_is_linearizable(
        seed in any::<u64>(),
        workload in workload(200),
        cut in 0.0..=1.0f64,
    ) {
        let history = generate(seed, &workload).history;
        let end_us = history.iter().filter_map(|operation| operation.return_us()).max();
        let end_us = end_us.unwrap_or(0);
        let cut = prefix(&history, (end_us as f64 * cut) as u64);
        let report = check_kv(&cut);
        prop_assert!(report.is_linearizable(), "{}", report.verdict.describe(&KvModel));
        assert_linearizations_hold(&KvModel, &cut, &report);
    }

    #[test]
    fn the_refinement_of_timed_out_operations_changes_no_verdict(
        seed in any::<u64>(),
        workload in workload(30),
        corruptions in proptest::collection::vec((any::<Index>(), 0..4u32), 0..3),
    ) {
        let mut history = generate(seed, &workload).history;
        prop_assume!(!history.is_empty());
        for (pick, token) in corruptions {
            let position = pick.index(history.len());
            let operation = &mut history[position];
            let Some(seen) = operation.outcome.as_mut() else { continue };
            seen.output = match &seen.output {
                KvOutput::Get { value: Some(value) } if token == 0 => {
                    KvOutput::Get { value: Some(value.get(1..).unwrap_or_default().to_vec()) }
                }
                KvOutput::Get { .. } => KvOutput::Get { value: Some(vec![token + 1]) },
                KvOutput::Cas { swapped } => KvOutput::Cas { swapped: !swapped },
                other => other.clone(),
            };
        }
        let options = CheckOptions { steps_max_per_partition: 200_000, ..CheckOptions::default() };
        let refined = check(&KvModel, &history, &options).unwrap();
        let unrefined = check(&UnrefinedKv, &history, &options).unwrap();
        let decided = |verdict: &Verdict<_, _, _>| !matches!(verdict, Verdict::Unknown { .. });
        prop_assume!(decided(&refined.verdict) && decided(&unrefined.verdict));
        prop_assert_eq!(refined.is_linearizable(), unrefined.is_linearizable());
        assert_linearizations_hold(&KvModel, &history, &refined);
        assert_linearizations_hold(&UnrefinedKv, &history, &unrefined);
    }
}
