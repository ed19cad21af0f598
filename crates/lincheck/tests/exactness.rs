//! The checker against the definition: on tiny random single-key histories — most of them not
//! linearizable, with repeated tokens and timed-out operations — its verdict, with and without
//! the key-value model's refinement, is what trying every order says.

mod support;

use proptest::prelude::*;
use raftsim_lincheck::kv::{KvInput, KvModel, KvOutput, Value};
use raftsim_lincheck::{CheckOptions, Operation, Return, check};
use support::*;

/// A value of one or two tokens out of `1..=tokens`.
fn value(tokens: u32) -> impl Strategy<Value = Value> {
    proptest::collection::vec(1..=tokens, 1..=2)
}

/// An operation on key 0 writing tokens out of `1..=tokens`: few tokens make writes collide,
/// many make them unique, as the key-value model's refinement likes them.
fn operation(tokens: u32) -> impl Strategy<Value = KvOperation> {
    let input = prop_oneof![
        Just(KvInput::Get { key: 0 }),
        (1..=tokens).prop_map(|token| KvInput::Put { key: 0, value: vec![token] }),
        (1..=tokens).prop_map(|token| KvInput::Append { key: 0, value: vec![token] }),
        (proptest::option::of(value(tokens)), 1..=tokens)
            .prop_map(|(expected, token)| KvInput::Cas { key: 0, expected, new: vec![token] }),
    ];
    let read = proptest::option::of(value(tokens));
    (input, 0u64..12, 0u64..6, 0..4u8, read, any::<bool>()).prop_map(
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

/// One to six operations on tokens out of a range of two to eight.
fn history() -> impl Strategy<Value = Vec<KvOperation>> {
    (2..=8u32).prop_flat_map(|tokens| proptest::collection::vec(operation(tokens), 1..=6))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_verdict_is_the_definitions(history in history()) {
        let expected = brute_force(&KvModel, &history);
        let refined = check_kv(&history);
        let described = refined.verdict.describe(&KvModel);
        prop_assert_eq!(refined.is_linearizable(), expected, "{}", described);
        let unrefined = check(&UnrefinedKv, &history, &CheckOptions::default()).unwrap();
        prop_assert_eq!(unrefined.is_linearizable(), expected);
        assert_linearizations_hold(&KvModel, &history, &refined);
        if let Some(violation) = refined.violation() {
            let alone: Vec<KvOperation> =
                violation.witness.iter().map(|entry| entry.operation.clone()).collect();
            prop_assert!(!brute_force(&KvModel, &alone), "the witness is linearizable");
        }
    }
}
