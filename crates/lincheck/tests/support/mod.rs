//! Helpers shared by the integration tests: terse constructors for hand-built key-value
//! histories, a check that a reported linearization really is one, a brute-force checker for
//! tiny histories, and the key-value model with its refinement switched off.

#![allow(dead_code, reason = "each test file uses its own subset")]

pub mod generate;

use raftsim_lincheck::kv::{Key, KvInput, KvModel, KvOutput, KvState, Token};
use raftsim_lincheck::{CheckOptions, Model, Operation, ReportOf, Time, check};

/// A key-value operation.
pub type KvOperation = Operation<KvInput, KvOutput>;

/// A completed `get` of `key` that returned `value`.
pub fn get(
    client: u64,
    key: Key,
    value: Option<&[Token]>,
    call_us: Time,
    return_us: Time,
) -> KvOperation {
    let output = KvOutput::Get { value: value.map(<[Token]>::to_vec) };
    Operation::completed(client, KvInput::Get { key }, call_us, output, return_us)
}

/// A completed `put`.
pub fn put(client: u64, key: Key, value: &[Token], call_us: Time, return_us: Time) -> KvOperation {
    let input = KvInput::Put { key, value: value.to_vec() };
    Operation::completed(client, input, call_us, KvOutput::Put, return_us)
}

/// A `put` whose client never heard back.
pub fn put_maybe(client: u64, key: Key, value: &[Token], call_us: Time) -> KvOperation {
    Operation::maybe(client, KvInput::Put { key, value: value.to_vec() }, call_us)
}

/// A completed `append`.
pub fn append(
    client: u64,
    key: Key,
    value: &[Token],
    call_us: Time,
    return_us: Time,
) -> KvOperation {
    let input = KvInput::Append { key, value: value.to_vec() };
    Operation::completed(client, input, call_us, KvOutput::Append, return_us)
}

/// An `append` whose client never heard back.
pub fn append_maybe(client: u64, key: Key, value: &[Token], call_us: Time) -> KvOperation {
    Operation::maybe(client, KvInput::Append { key, value: value.to_vec() }, call_us)
}

/// A completed compare-and-swap.
pub fn cas(
    client: u64,
    key: Key,
    expected: Option<&[Token]>,
    new: &[Token],
    swapped: bool,
    call_us: Time,
    return_us: Time,
) -> KvOperation {
    let input = KvInput::Cas { key, expected: expected.map(<[Token]>::to_vec), new: new.to_vec() };
    Operation::completed(client, input, call_us, KvOutput::Cas { swapped }, return_us)
}

/// A compare-and-swap whose client never heard back.
pub fn cas_maybe(
    client: u64,
    key: Key,
    expected: Option<&[Token]>,
    new: &[Token],
    call_us: Time,
) -> KvOperation {
    let input = KvInput::Cas { key, expected: expected.map(<[Token]>::to_vec), new: new.to_vec() };
    Operation::maybe(client, input, call_us)
}

/// Checks with the default options.
pub fn check_kv(history: &[KvOperation]) -> ReportOf<KvModel> {
    check(&KvModel, history, &CheckOptions::default()).expect("a well-formed history")
}

/// Asserts that the history is linearizable and that every reported linearization is one.
pub fn assert_linearizable(history: &[KvOperation]) {
    let report = check_kv(history);
    assert!(report.is_linearizable(), "{}", report.verdict.describe(&KvModel));
    assert_linearizations_hold(&KvModel, history, &report);
}

/// Asserts that the history is not linearizable, and returns the report.
pub fn assert_not_linearizable(history: &[KvOperation]) -> ReportOf<KvModel> {
    let report = check_kv(history);
    assert!(report.violation().is_some(), "expected a violation, got {:?}", report.verdict);
    report
}

/// Asserts that every linearization in `report` is one: each completed operation of the
/// partition appears once and each maybe-applied one at most once, real-time order is kept,
/// and the model, stepped along it, accepts every output.
pub fn assert_linearizations_hold<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    report: &ReportOf<M>,
) {
    for partition in &report.partitions {
        let Some(order) = report.linearization(&partition.partition) else { continue };
        let mut seen = vec![false; history.len()];
        let mut state = model.init();
        for (position, &index) in order.iter().enumerate() {
            let operation = &history[index];
            assert_eq!(
                model.partition(&operation.input),
                partition.partition,
                "#{index} is in another partition"
            );
            assert!(!seen[index], "#{index} is linearized twice");
            seen[index] = true;
            for &later in &order[position + 1..] {
                assert!(
                    !history[later].precedes(operation),
                    "#{later} returned before #{index} was called"
                );
            }
            state = match &operation.outcome {
                Some(seen) => model.step(&state, &operation.input, &seen.output),
                None => model.step_unobserved(&state, &operation.input),
            }
            .unwrap_or_else(|| panic!("#{index} cannot answer so from {state:?}"));
        }
        for (index, operation) in history.iter().enumerate() {
            if model.partition(&operation.input) == partition.partition && !operation.is_maybe() {
                assert!(seen[index], "completed #{index} is missing from the linearization");
            }
        }
    }
}

/// Whether `history` is linearizable, by trying every order (and every subset of the
/// maybe-applied operations): the definition, for histories of a handful of operations.
pub fn brute_force<M: Model>(model: &M, history: &[Operation<M::Input, M::Output>]) -> bool {
    fn extend<M: Model>(
        model: &M,
        history: &[Operation<M::Input, M::Output>],
        left: &mut Vec<usize>,
        state: &M::State,
    ) -> bool {
        if left.iter().all(|&index| history[index].is_maybe()) {
            return true;
        }
        for position in 0..left.len() {
            let index = left[position];
            let operation = &history[index];
            if left.iter().any(|&other| history[other].precedes(operation)) {
                continue;
            }
            let next = match &operation.outcome {
                Some(seen) => model.step(state, &operation.input, &seen.output),
                None => model.step_unobserved(state, &operation.input),
            };
            let Some(next) = next else { continue };
            left.remove(position);
            let found = extend(model, history, left, &next);
            left.insert(position, index);
            if found {
                return true;
            }
        }
        false
    }
    let mut left: Vec<usize> = (0..history.len()).collect();
    extend(model, history, &mut left, &model.init())
}

/// The key-value model without its refinement: every maybe-applied operation stays free.
/// Checking with both and comparing shows the refinement is exact.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnrefinedKv;

impl Model for UnrefinedKv {
    type State = KvState;
    type Input = KvInput;
    type Output = KvOutput;
    type Partition = Key;

    fn init(&self) -> KvState {
        KvModel.init()
    }

    fn step(&self, state: &KvState, input: &KvInput, output: &KvOutput) -> Option<KvState> {
        KvModel.step(state, input, output)
    }

    fn step_unobserved(&self, state: &KvState, input: &KvInput) -> Option<KvState> {
        KvModel.step_unobserved(state, input)
    }

    fn partition(&self, input: &KvInput) -> Key {
        KvModel.partition(input)
    }
}
