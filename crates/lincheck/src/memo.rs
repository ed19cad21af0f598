//! Lowe's memo: the configurations — (set of linearized operations, model state) — the search
//! has already reached. Two paths that linearize the same operations and leave the same state
//! have the same future, so the second is cut. This turns Wing and Gong's search over orders
//! into a search over configurations, of which realistic histories have few.

#![allow(
    clippy::disallowed_types,
    reason = "the memo is only probed and never iterated, so its hash order cannot reach a result"
)]

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use crate::frontier::LinearizedSet;

/// The configurations reached so far.
pub(crate) struct Memo<S> {
    seen: HashSet<(LinearizedSet, S), BuildHasherDefault<FoldHasher>>,
}

impl<S: Eq + Hash> Memo<S> {
    /// An empty memo.
    pub(crate) fn new() -> Self {
        Self { seen: HashSet::default() }
    }

    /// Records a configuration; returns whether it is new.
    pub(crate) fn insert(&mut self, linearized: LinearizedSet, state: S) -> bool {
        self.seen.insert((linearized, state))
    }
}

/// A fast multiply-and-rotate hasher with fixed constants (the rustc "Fx" scheme, plus a final
/// mix so the low bits the table indexes by depend on every input bit). Fixed constants keep
/// the table's layout, and so the checker's running time, the same from run to run.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FoldHasher(u64);

const MULTIPLIER: u64 = 0x517c_c1b7_2722_0a95;

impl FoldHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        let mixed = (self.0 ^ (self.0 >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed ^ (mixed >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_is_new_once() {
        let mut memo = Memo::new();
        let set = |later: &[u32]| LinearizedSet { first_pending: 1, later: later.into() };
        assert!(memo.insert(set(&[3]), 7u32));
        assert!(!memo.insert(set(&[3]), 7));
        assert!(memo.insert(set(&[3]), 8), "same operations, another state");
        assert!(memo.insert(set(&[4]), 7), "same state, other operations");
    }
}
