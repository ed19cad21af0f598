//! The key-value store's sequential specification.

use std::sync::Arc;

use super::{Key, KvInput, KvOutput, Token, order, refine, sources};
use crate::history::Operation;
use crate::model::{Model, Refinement};

/// The key-value store as a [`Model`], partitioned per key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KvModel;

/// One key's value. Shared, so the search's many copies of a state cost a reference count,
/// and compared and hashed by content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvState {
    /// The value, `None` while the key is absent.
    value: Option<Arc<[Token]>>,
}

impl KvState {
    /// The key's value, `None` while it is absent.
    pub fn value(&self) -> Option<&[Token]> {
        self.value.as_deref()
    }

    fn set(value: &[Token]) -> Self {
        Self { value: Some(value.into()) }
    }

    fn appended(&self, tokens: &[Token]) -> Self {
        let old = self.value().unwrap_or_default();
        Self { value: Some(old.iter().chain(tokens).copied().collect()) }
    }

    fn holds(&self, expected: Option<&[Token]>) -> bool {
        self.value() == expected
    }
}

impl Model for KvModel {
    type State = KvState;
    type Input = KvInput;
    type Output = KvOutput;
    type Partition = Key;

    fn init(&self) -> KvState {
        KvState::default()
    }

    /// An output of the wrong kind for its input (a `get` answered `Put`) is impossible from
    /// every state, so a history holding one is not linearizable and its witness shows it.
    fn step(&self, state: &KvState, input: &KvInput, output: &KvOutput) -> Option<KvState> {
        match (input, output) {
            (KvInput::Get { .. }, KvOutput::Get { value }) => {
                state.holds(value.as_deref()).then(|| state.clone())
            }
            (KvInput::Put { value, .. }, KvOutput::Put) => Some(KvState::set(value)),
            (KvInput::Append { value, .. }, KvOutput::Append) => Some(state.appended(value)),
            (KvInput::Cas { expected, new, .. }, KvOutput::Cas { swapped }) => {
                match (state.holds(expected.as_deref()), swapped) {
                    (true, true) => Some(KvState::set(new)),
                    (false, false) => Some(state.clone()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn step_unobserved(&self, state: &KvState, input: &KvInput) -> Option<KvState> {
        match input {
            KvInput::Get { .. } => Some(state.clone()),
            KvInput::Put { value, .. } => Some(KvState::set(value)),
            KvInput::Append { value, .. } => Some(state.appended(value)),
            KvInput::Cas { expected, new, .. } => Some(if state.holds(expected.as_deref()) {
                KvState::set(new)
            } else {
                state.clone()
            }),
        }
    }

    fn partition(&self, input: &KvInput) -> Key {
        input.key()
    }

    fn refine(&self, history: &[&Operation<KvInput, KvOutput>]) -> Vec<Refinement<KvOutput>> {
        refine::refine(history)
    }

    fn known_order(&self, history: &[&Operation<KvInput, KvOutput>]) -> Vec<(usize, usize)> {
        order::known_order(history)
    }

    fn sources(&self, history: &[&Operation<KvInput, KvOutput>]) -> Vec<Vec<Vec<usize>>> {
        sources::sources(history)
    }

    fn describe_partition(&self, key: &Key) -> String {
        format!("key {key}")
    }

    fn describe_operation(&self, input: &KvInput, output: Option<&KvOutput>) -> String {
        let asked = match input {
            KvInput::Get { key } => format!("get({key})"),
            KvInput::Put { key, value } => format!("put({key}, {})", show(Some(value))),
            KvInput::Append { key, value } => format!("append({key}, {})", show(Some(value))),
            KvInput::Cas { key, expected, new } => {
                format!("cas({key}, {} -> {})", show(expected.as_deref()), show(Some(new)))
            }
        };
        let answered = match output {
            None => "?".to_owned(),
            Some(KvOutput::Get { value }) => show(value.as_deref()),
            Some(KvOutput::Put | KvOutput::Append) => "ok".to_owned(),
            Some(KvOutput::Cas { swapped: true }) => "swapped".to_owned(),
            Some(KvOutput::Cas { swapped: false }) => "not swapped".to_owned(),
        };
        format!("{asked} -> {answered}")
    }

    fn describe_state(&self, state: &KvState) -> String {
        show(state.value())
    }
}

/// A value as reports print it: `[1, 2]`, or `absent`.
fn show(value: Option<&[Token]>) -> String {
    match value {
        Some(tokens) => format!("{tokens:?}"),
        None => "absent".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_steps_as_a_register_would() {
        let model = KvModel;
        let empty = model.init();
        let get = |value: Option<Vec<Token>>| KvOutput::Get { value };
        assert_eq!(model.step(&empty, &KvInput::Get { key: 1 }, &get(None)), Some(empty.clone()));
        assert_eq!(model.step(&empty, &KvInput::Get { key: 1 }, &get(Some(vec![]))), None);
        let one =
            model.step(&empty, &KvInput::Append { key: 1, value: vec![1] }, &KvOutput::Append);
        let one = one.unwrap();
        assert_eq!(one.value(), Some(&[1][..]));
        let two = model.step_unobserved(&one, &KvInput::Append { key: 1, value: vec![2] }).unwrap();
        assert_eq!(two.value(), Some(&[1, 2][..]));
        let cas = KvInput::Cas { key: 1, expected: Some(vec![1, 2]), new: vec![9] };
        assert_eq!(model.step(&two, &cas, &KvOutput::Cas { swapped: false }), None);
        let swapped = model.step(&two, &cas, &KvOutput::Cas { swapped: true }).unwrap();
        assert_eq!(swapped.value(), Some(&[9][..]));
        assert_eq!(model.step_unobserved(&swapped, &cas), Some(swapped.clone()));
        let put = KvInput::Put { key: 1, value: vec![3] };
        assert_eq!(model.step(&swapped, &put, &KvOutput::Append), None, "wrong kind of answer");
    }

    #[test]
    fn operations_read_as_a_person_would_write_them() {
        let model = KvModel;
        let cas = KvInput::Cas { key: 2, expected: None, new: vec![4] };
        assert_eq!(
            model.describe_operation(&cas, Some(&KvOutput::Cas { swapped: true })),
            "cas(2, absent -> [4]) -> swapped"
        );
        assert_eq!(model.describe_operation(&KvInput::Get { key: 2 }, None), "get(2) -> ?");
    }
}
