//! The key-value store the simulated servers replicate when a scenario's clients run a
//! key-value workload (`workload.clients.kv`): `get`, `put`, `append` and compare-and-swap on a
//! few small integer keys, so that operations collide.
//!
//! An operation travels in its command's payload, after the command's id (see
//! [`crate::state_machine::CommandId`]): the marker `KV`, then the operation. Payloads of the
//! plain client workload are padded with one repeated byte, so they never start with the
//! two-byte marker, and a plain run's state machine never sees a key-value command.
//!
//! Every value written carries a token no other write carries (the workload numbers them), so a
//! value read names the writes that made it, which lets the linearizability checker
//! ([`raftsim_lincheck`]) place writes whose outcome their client never learned.

pub use raftsim_lincheck::kv::{Key, KvInput, KvModel, KvOutput, Store, Token, Value, apply};

/// What follows a command's id in a key-value command's payload.
pub const MARKER: &[u8; 2] = b"KV";

/// Longest value, in tokens, that a payload or snapshot image may carry; longer is refused as
/// damaged. Appends make values grow; a workload's puts keep them short.
pub const VALUE_TOKENS_MAX: usize = 1 << 16;

/// Appends the encoding of `input` (marker included) to `bytes`.
pub fn encode_input(input: &KvInput, bytes: &mut Vec<u8>) {
    bytes.extend_from_slice(MARKER);
    match input {
        KvInput::Get { key } => {
            bytes.push(0);
            bytes.extend_from_slice(&key.to_le_bytes());
        }
        KvInput::Put { key, value } => {
            bytes.push(1);
            bytes.extend_from_slice(&key.to_le_bytes());
            encode_value(value, bytes);
        }
        KvInput::Append { key, value } => {
            bytes.push(2);
            bytes.extend_from_slice(&key.to_le_bytes());
            encode_value(value, bytes);
        }
        KvInput::Cas { key, expected, new } => {
            bytes.push(3);
            bytes.extend_from_slice(&key.to_le_bytes());
            encode_optional_value(expected.as_deref(), bytes);
            encode_value(new, bytes);
        }
    }
}

/// The operation at the front of `bytes` (after a command's id), if they hold one: `None` for
/// a payload of the plain workload. Refuses trailing bytes.
pub fn decode_input(bytes: &[u8]) -> Option<KvInput> {
    let mut reader = Reader(bytes.strip_prefix(MARKER)?);
    let kind = reader.byte()?;
    let key = reader.u32()?;
    let input = match kind {
        0 => KvInput::Get { key },
        1 => KvInput::Put { key, value: reader.value()? },
        2 => KvInput::Append { key, value: reader.value()? },
        3 => KvInput::Cas { key, expected: reader.optional_value()?, new: reader.value()? },
        _ => return None,
    };
    reader.0.is_empty().then_some(input)
}

/// Appends the encoding of `output` to `bytes`.
pub fn encode_output(output: &KvOutput, bytes: &mut Vec<u8>) {
    match output {
        KvOutput::Get { value } => {
            bytes.push(0);
            encode_optional_value(value.as_deref(), bytes);
        }
        KvOutput::Put => bytes.push(1),
        KvOutput::Append => bytes.push(2),
        KvOutput::Cas { swapped } => bytes.extend_from_slice(&[3, u8::from(*swapped)]),
    }
}

/// Appends the encoding of a value: its length in tokens, then each token, little-endian.
pub fn encode_value(value: &[Token], bytes: &mut Vec<u8>) {
    bytes.extend_from_slice(&(value.len() as u32).to_le_bytes());
    for token in value {
        bytes.extend_from_slice(&token.to_le_bytes());
    }
}

fn encode_optional_value(value: Option<&[Token]>, bytes: &mut Vec<u8>) {
    match value {
        None => bytes.push(0),
        Some(value) => {
            bytes.push(1);
            encode_value(value, bytes);
        }
    }
}

/// Reads encodings from the front of a byte slice, refusing anything out of bounds.
pub struct Reader<'a>(pub &'a [u8]);

impl Reader<'_> {
    fn take(&mut self, count: usize) -> Option<&[u8]> {
        if self.0.len() < count {
            return None;
        }
        let (front, rest) = self.0.split_at(count);
        self.0 = rest;
        Some(front)
    }

    /// One byte.
    pub fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|bytes| bytes[0])
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|bytes| u32::from_le_bytes(bytes.try_into().expect("4 bytes")))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|bytes| u64::from_le_bytes(bytes.try_into().expect("8 bytes")))
    }

    /// A value (see [`encode_value`]).
    pub fn value(&mut self) -> Option<Value> {
        let length = self.u32()? as usize;
        if length > VALUE_TOKENS_MAX || self.0.len() < length * 4 {
            return None;
        }
        (0..length).map(|_| self.u32()).collect()
    }

    /// An optional value.
    pub fn optional_value(&mut self) -> Option<Option<Value>> {
        match self.byte()? {
            0 => Some(None),
            1 => self.value().map(Some),
            _ => None,
        }
    }

    /// An output (see [`encode_output`]).
    pub fn output(&mut self) -> Option<KvOutput> {
        match self.byte()? {
            0 => Some(KvOutput::Get { value: self.optional_value()? }),
            1 => Some(KvOutput::Put),
            2 => Some(KvOutput::Append),
            3 => match self.byte()? {
                0 => Some(KvOutput::Cas { swapped: false }),
                1 => Some(KvOutput::Cas { swapped: true }),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn value() -> impl Strategy<Value = Value> {
        proptest::collection::vec(any::<Token>(), 0..6)
    }

    fn input() -> impl Strategy<Value = KvInput> {
        let key = any::<Key>();
        prop_oneof![
            key.prop_map(|key| KvInput::Get { key }),
            (key, value()).prop_map(|(key, value)| KvInput::Put { key, value }),
            (key, value()).prop_map(|(key, value)| KvInput::Append { key, value }),
            (key, proptest::option::of(value()), value())
                .prop_map(|(key, expected, new)| KvInput::Cas { key, expected, new }),
        ]
    }

    proptest! {
        #[test]
        fn every_input_round_trips(input in input()) {
            let mut bytes = Vec::new();
            encode_input(&input, &mut bytes);
            prop_assert_eq!(decode_input(&bytes), Some(input));
        }

        #[test]
        fn the_store_answers_as_the_checker_s_model_expects(
            inputs in proptest::collection::vec(input(), 0..40)
        ) {
            use raftsim_lincheck::Model;
            // Few keys, so that operations meet; the model (one state per key, as it
            // partitions) must accept every answer.
            let mut store = Store::new();
            let mut states = std::collections::BTreeMap::new();
            for mut input in inputs {
                match &mut input {
                    KvInput::Get { key }
                    | KvInput::Put { key, .. }
                    | KvInput::Append { key, .. }
                    | KvInput::Cas { key, .. } => *key %= 3,
                }
                let output = apply(&mut store, &input);
                let state = states.entry(input.key()).or_insert_with(|| KvModel.init());
                let next = KvModel.step(state, &input, &output);
                prop_assert!(next.is_some(), "{input:?} -> {output:?} refused");
                *state = next.unwrap();
            }
        }

        #[test]
        fn any_bytes_decode_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut marked = MARKER.to_vec();
            marked.extend_from_slice(&bytes);
            if let Some(input) = decode_input(&marked) {
                let mut again = Vec::new();
                encode_input(&input, &mut again);
                prop_assert_eq!(again, marked, "a decoded payload is the encoding of its input");
            }
            let _ = Reader(&bytes).output();
        }
    }

    fn inputs() -> Vec<KvInput> {
        vec![
            KvInput::Get { key: 3 },
            KvInput::Put { key: 1, value: vec![7] },
            KvInput::Append { key: 1, value: vec![8, 9] },
            KvInput::Cas { key: 2, expected: None, new: vec![10] },
            KvInput::Cas { key: 2, expected: Some(vec![10]), new: vec![] },
        ]
    }

    #[test]
    fn inputs_round_trip_and_refuse_damage() {
        for input in inputs() {
            let mut bytes = Vec::new();
            encode_input(&input, &mut bytes);
            assert_eq!(decode_input(&bytes), Some(input.clone()));
            assert_eq!(decode_input(&bytes[..bytes.len() - 1]), None, "{input:?} truncated");
            bytes.push(0);
            assert_eq!(decode_input(&bytes), None, "{input:?} with a trailing byte");
        }
        assert_eq!(decode_input(&[0x4b; 20]), None, "a plain payload's padding");
        let mut huge = MARKER.to_vec();
        huge.extend_from_slice(&[1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(decode_input(&huge), None, "a length past the end");
    }

    #[test]
    fn the_store_answers_like_the_checker_s_model() {
        let mut store = Store::new();
        let answers: Vec<KvOutput> =
            inputs().iter().map(|input| apply(&mut store, input)).collect();
        assert_eq!(
            answers,
            vec![
                KvOutput::Get { value: None },
                KvOutput::Put,
                KvOutput::Append,
                KvOutput::Cas { swapped: true },
                KvOutput::Cas { swapped: true },
            ]
        );
        assert_eq!(store.get(&1), Some(&vec![7, 8, 9]));
        assert_eq!(store.get(&2), Some(&vec![]));
        assert_eq!(
            apply(&mut store, &KvInput::Cas { key: 1, expected: None, new: vec![1] }),
            KvOutput::Cas { swapped: false }
        );
    }

    #[test]
    fn outputs_round_trip() {
        for output in [
            KvOutput::Get { value: None },
            KvOutput::Get { value: Some(vec![1, 2]) },
            KvOutput::Put,
            KvOutput::Append,
            KvOutput::Cas { swapped: false },
            KvOutput::Cas { swapped: true },
        ] {
            let mut bytes = Vec::new();
            encode_output(&output, &mut bytes);
            let mut reader = Reader(&bytes);
            assert_eq!(reader.output(), Some(output));
            assert!(reader.0.is_empty());
        }
    }
}
