//! The checker against the definition: on tiny random single-key histories — most of them not
//! linearizable, with repeated tokens and timed-out operations — its verdict, with and without
//! the key-value model's refinement, is what trying every order says.

mod support;

use proptest::prelude::*;
use raftsim_lincheck::kv::{KvInput, KvModel, KvOutput, Value};
use raftsim_lincheck::{Operation, Return};
use support::*;

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(vec![1]),
        Just(vec![2]),
        Just(vec![3]),
        Just(vec![1, 2]),
        Just(vec![2, 1]),
        Just(vec![1, 3])
    ]
}

fn operation() -> impl Strategy<Value = KvOperation> {
    let input = prop_oneof![
        Just(KvInput::Get { key: 0 }),
        (1u32..=3).prop_map(|token| KvInput::Put { key: 0, value: vec![token] }),
        (1u32..=3).prop_map(|token| KvInput::Append { key: 0, value: vec![token] }),
        (proptest::option::of(value()), 1u32..=3).prop_map(|(expected, token)| KvInput::Cas {
            key: 0,
            expected,
            new: vec![token]
        }),
    ];
    (input, 0u64..12, 0u64..6, 0..4u8, proptest::option::of(value()), any::<bool>()).prop_map(
        |(input, call_us, duration_us, maybe, read, swapped)| {
            let output = match input {
                KvInput::Get { .. } => KvOutput::Get { value: read },
                KvInput::Put { .. } => KvOutput::Put,
                KvInput::Append { .. } => KvOutput::Append,
                KvInput::Cas { .. } => KvOutput::Cas { swapped },
            };
            let outcome =
                (maybe != 0).then_some(Return { output, return_us: call_us + duration_us });
            Operation { client: 1, input, call_us, outcome }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_verdict_is_the_definitions(history in proptest::collection::vec(operation(), 1..=6)) {
        let expected = brute_force(&KvModel, &history);
        let refined = check_kv(&history);
        prop_assert_eq!(refined.is_linearizable(), expected, "{}", refined.verdict.describe(&KvModel));
        let unrefined = raftsim_lincheck::check(&UnrefinedKv, &history, &Default::default()).unwrap();
        prop_assert_eq!(unrefined.is_linearizable(), expected);
        assert_linearizations_hold(&KvModel, &history, &refined);
        if let Some(violation) = refined.violation() {
            let alone: Vec<KvOperation> = violation.witness.iter().map(|entry| entry.operation.clone()).collect();
            prop_assert!(!brute_force(&KvModel, &alone), "the witness is linearizable");
        }
    }
}
