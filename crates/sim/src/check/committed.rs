//! The ground-truth committed prefix: every index committed so far, as [`super::replicas`]
//! decides commitment — from durable copies on disks, never from a server's commit index.

use crate::raft_under_test::{Index, Term};

/// One committed index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Committed {
    /// Chained prefix hash of the committed log up to this index.
    prefix: u64,
    /// The entry's own term.
    term: Term,
    /// The earliest term in which it was committed: the term of the entry whose durable
    /// majority committed it (itself, or one above it).
    committed_in: Term,
}

/// Every committed index after a folded base.
///
/// Invariant: `entries[k]` is index `base_index + 1 + k`; `committed_in` never decreases along
/// the record (an index is committed no later than any index above it). It is lowered when an
/// index turns out to be committed in an earlier term; the walk back stops at the first index
/// already low enough, so each lowering costs what it changes.
///
/// Indexes behind every server's durable snapshot are folded into the base
/// ([`CommitRecord::compact`]): no server can write, apply or install anything there again, so
/// only the base's prefix hash is needed, and memory stays O(uncompacted log).
#[derive(Clone, Debug, Default)]
pub struct CommitRecord {
    base_index: Index,
    base: Committed,
    entries: Vec<Committed>,
}

impl CommitRecord {
    /// Highest committed index.
    pub fn last_index(&self) -> Index {
        self.base_index + self.entries.len() as Index
    }

    /// The last index folded into the base (0 before any compaction).
    pub fn base_index(&self) -> Index {
        self.base_index
    }

    fn get(&self, index: Index) -> Option<&Committed> {
        if index == self.base_index {
            return Some(&self.base);
        }
        self.entries.get(index.checked_sub(self.base_index + 1)? as usize)
    }

    /// The committed prefix hash at `index`, if committed and not folded (0 for index 0).
    pub fn prefix(&self, index: Index) -> Option<u64> {
        self.get(index).map(|entry| entry.prefix)
    }

    /// The term of the committed entry at `index`, if committed and not folded.
    pub fn term(&self, index: Index) -> Option<Term> {
        self.get(index).map(|entry| entry.term)
    }

    /// Highest index committed in a term before `term`: what a leader of `term` must hold. At
    /// least the base once anything is folded: everything there is in every server's snapshot.
    pub fn last_index_committed_before(&self, term: Term) -> Index {
        self.base_index + self.entries.partition_point(|entry| entry.committed_in < term) as Index
    }

    /// Records `index` (the next one) as committed in `committed_in`.
    pub fn push(&mut self, index: Index, term: Term, prefix: u64, committed_in: Term) {
        assert_eq!(index, self.last_index() + 1, "the commit record grows one index at a time");
        self.entries.push(Committed { prefix, term, committed_in });
        self.lower(index, committed_in);
    }

    /// Every index up to `index` is committed in `term` at the latest.
    pub fn lower(&mut self, index: Index, term: Term) {
        let end = index.saturating_sub(self.base_index) as usize;
        for entry in self.entries[..end].iter_mut().rev() {
            if entry.committed_in <= term {
                break;
            }
            entry.committed_in = term;
        }
    }

    /// Folds every index up to `index` (committed, at most the last) into the base.
    pub fn compact(&mut self, index: Index) {
        if index <= self.base_index {
            return;
        }
        let index = index.min(self.last_index());
        let fold = (index - self.base_index) as usize;
        self.base = self.entries[fold - 1];
        self.entries.drain(..fold);
        self.base_index = index;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_terms_are_lowered_to_stay_sorted() {
        let mut record = CommitRecord::default();
        record.push(1, 1, 11, 1);
        record.push(2, 3, 12, 3);
        record.push(3, 3, 13, 3);
        assert_eq!(record.last_index_committed_before(3), 1);
        // A stale leader of term 2 commits index 3's prefix: 2 and 3 are committed in term 2.
        record.lower(3, 2);
        assert_eq!(record.last_index_committed_before(3), 3);
        assert_eq!(record.last_index_committed_before(2), 1);
        assert_eq!((record.prefix(2), record.term(2), record.prefix(4)), (Some(12), Some(3), None));
    }

    #[test]
    fn compaction_keeps_the_base_and_everything_after_it() {
        let mut record = CommitRecord::default();
        for index in 1..=5 {
            record.push(index, index, 10 + index, index);
        }
        record.compact(3);
        assert_eq!((record.base_index(), record.last_index()), (3, 5));
        assert_eq!(
            (record.prefix(2), record.prefix(3), record.prefix(5)),
            (None, Some(13), Some(15))
        );
        assert_eq!(record.last_index_committed_before(2), 3, "folded indexes count as held");
        assert_eq!(record.last_index_committed_before(5), 4);
        record.lower(5, 1);
        assert_eq!(record.last_index_committed_before(2), 5);
        record.push(6, 6, 16, 6);
        assert_eq!(record.term(6), Some(6));
    }
}
