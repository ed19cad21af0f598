//! A command's bytes, as an entry carries them.

use std::fmt;
use std::ops::Deref;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::SmallVec;

/// Bytes stored inline, without a heap allocation.
pub const PAYLOAD_INLINE_BYTES: usize = 24;

/// The opaque bytes of a command.
///
/// Most commands are small (an id and an operation), and every entry is copied several times
/// on its way: into messages, into the follower's log, onto disk, to the state machine. Commands
/// up to [`PAYLOAD_INLINE_BYTES`] are therefore stored inline, so that copying one costs no
/// allocation and no reference counting; larger ones live on the heap.
#[derive(Default, PartialEq, Eq, Hash)]
pub struct Payload(SmallVec<[u8; PAYLOAD_INLINE_BYTES]>);

impl Clone for Payload {
    /// A copy of the bytes in one `memcpy` (`SmallVec`'s own `clone` copies element by
    /// element, which profiling showed as the simulator's single most expensive function).
    fn clone(&self) -> Payload {
        Payload::from_slice(&self.0)
    }
}

impl Payload {
    /// A payload holding a copy of `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Payload {
        Payload(SmallVec::from_slice(bytes))
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl Deref for Payload {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl From<&[u8]> for Payload {
    fn from(bytes: &[u8]) -> Payload {
        Payload::from_slice(bytes)
    }
}

impl<const N: usize> From<&[u8; N]> for Payload {
    fn from(bytes: &[u8; N]) -> Payload {
        Payload::from_slice(bytes)
    }
}

impl From<Vec<u8>> for Payload {
    fn from(bytes: Vec<u8>) -> Payload {
        Payload(SmallVec::from_vec(bytes))
    }
}

impl fmt::Debug for Payload {
    /// Printable ASCII as text, anything else as `\xNN`, like a byte string literal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Payload, D::Error> {
        deserializer.deserialize_bytes(PayloadVisitor)
    }
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = Payload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Payload, E> {
        Ok(Payload::from_slice(bytes))
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Payload, E> {
        Ok(Payload::from(bytes))
    }

    /// Formats without a native byte string (JSON) write bytes as a sequence of numbers.
    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Payload, A::Error> {
        let mut bytes = SmallVec::new();
        while let Some(byte) = sequence.next_element::<u8>()? {
            bytes.push(byte);
        }
        Ok(Payload(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_payloads_are_inline_and_large_ones_work_too() {
        let small = Payload::from(b"set x = 1");
        assert!(!small.0.spilled());
        assert_eq!(small.as_slice(), b"set x = 1");
        let large = Payload::from(vec![7u8; 100]);
        assert!(large.0.spilled());
        assert_eq!(large.len(), 100);
        assert_eq!(format!("{:?}", Payload::from(b"a\x00")), r#"b"a\x00""#);
    }
}
