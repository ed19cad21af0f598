//! Lowe's memo: the configurations — (set of linearized operations, model state) — the search
//! has already reached. Two paths that linearize the same operations and leave the same state
//! have the same future, so the second is cut. This turns Wing and Gong's search over orders
//! into a search over configurations, of which realistic histories have few.
//!
//! One refinement: a configuration is also cut if one the search already *finished* (explored
//! without success) differs from it only in having used fewer maybe-applied operations. The
//! finished one could do everything this one can — the same completed operations remain, and
//! more maybe-applied ones — so this one fails too. Without it, every maybe-applied operation
//! that could have taken effect and then been overwritten doubles the configurations after it.
//! Only finished configurations are compared so: an unfinished one is an ancestor on the search
//! path, and it has not yet shown anything.

#![allow(
    clippy::disallowed_types,
    reason = "the memo is only probed and never iterated, so its hash order cannot reach a result"
)]

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use crate::frontier::LinearizedSet;

/// The configurations reached so far, grouped by all but their maybe-applied operations.
pub(crate) struct Memo<S> {
    seen: HashMap<Key<S>, Vec<Seen>, BuildHasherDefault<FoldHasher>>,
}

/// A configuration less its maybe-applied operations.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Key<S> {
    first_pending: u32,
    ahead: Box<[u32]>,
    state: S,
}

/// The maybe-applied operations of one configuration reached.
#[derive(Debug)]
struct Seen {
    /// In increasing rank.
    maybe: Box<[u32]>,
    /// Whether the search explored it all, without success.
    finished: bool,
}

impl<S: Eq + Hash> Memo<S> {
    /// An empty memo.
    pub(crate) fn new() -> Self {
        Self { seen: HashMap::default() }
    }

    /// Records a configuration the search reached; returns whether it is worth exploring:
    /// neither reached before nor dominated by a finished one.
    pub(crate) fn visit(&mut self, linearized: LinearizedSet, state: S) -> bool {
        let LinearizedSet { first_pending, ahead, maybe } = linearized;
        let seen = self.seen.entry(Key { first_pending, ahead, state }).or_default();
        let known = seen.iter().any(|other| {
            other.maybe == maybe || (other.finished && is_subset(&other.maybe, &maybe))
        });
        if !known {
            seen.push(Seen { maybe, finished: false });
        }
        !known
    }

    /// Records that the search explored a configuration it visited, without success.
    pub(crate) fn finish(&mut self, linearized: LinearizedSet, state: S) {
        let LinearizedSet { first_pending, ahead, maybe } = linearized;
        let seen = self.seen.get_mut(&Key { first_pending, ahead, state });
        let entry = seen.and_then(|seen| seen.iter_mut().find(|other| other.maybe == maybe));
        debug_assert!(entry.is_some(), "finishing a configuration never visited");
        if let Some(entry) = entry {
            entry.finished = true;
        }
    }
}

/// Whether every member of `small` is in `large` (both increasing).
fn is_subset(small: &[u32], large: &[u32]) -> bool {
    let mut large = large.iter();
    small.iter().all(|member| large.any(|other| other == member))
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

    fn set(ahead: &[u32], maybe: &[u32]) -> LinearizedSet {
        LinearizedSet { first_pending: 1, ahead: ahead.into(), maybe: maybe.into() }
    }

    #[test]
    fn a_configuration_is_new_once() {
        let mut memo = Memo::new();
        assert!(memo.visit(set(&[3], &[]), 7u32));
        assert!(!memo.visit(set(&[3], &[]), 7));
        assert!(memo.visit(set(&[3], &[]), 8), "same operations, another state");
        assert!(memo.visit(set(&[4], &[]), 7), "same state, other operations");
    }

    #[test]
    fn a_finished_configuration_cuts_those_that_used_more_maybe_applied_operations() {
        let mut memo = Memo::new();
        assert!(memo.visit(set(&[3], &[10]), 7u32));
        assert!(memo.visit(set(&[3], &[10, 11]), 7), "the smaller one is not finished yet");
        memo.finish(set(&[3], &[10]), 7);
        assert!(!memo.visit(set(&[3], &[10, 12]), 7));
        assert!(memo.visit(set(&[3], &[11, 12]), 7), "not a superset");
        assert!(memo.visit(set(&[3], &[10, 12]), 8), "another state");
    }

    #[test]
    fn subsets_are_found_by_a_merge() {
        assert!(is_subset(&[], &[1]));
        assert!(is_subset(&[1, 5], &[1, 2, 5]));
        assert!(!is_subset(&[1, 6], &[1, 2, 5]));
        assert!(!is_subset(&[2], &[1]));
    }
}
