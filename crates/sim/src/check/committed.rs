//! The ground-truth committed prefix: every index committed so far, as [`super::replicas`]
//! decides commitment — from durable copies on disks, never from a server's commit index.

use crate::raft_under_test::{Index, Term};

/// One committed index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Committed {
    /// Chained prefix hash of the committed log up to this index.
    prefix: u64,
    /// The entry's own term.
    term: Term,
    /// The earliest term in which it was committed: the term of the entry whose durable
    /// majority committed it (itself, or one above it).
    committed_in: Term,
}

/// Every committed index, 1 first.
///
/// Invariant: `committed_in` never decreases along the record (an index is committed no later
/// than any index above it). It is lowered when an index turns out to be committed in an
/// earlier term; the walk back stops at the first index already low enough, so each lowering
/// costs what it changes.
#[derive(Clone, Debug, Default)]
pub struct CommitRecord {
    entries: Vec<Committed>,
}

impl CommitRecord {
    /// Highest committed index.
    pub fn last_index(&self) -> Index {
        self.entries.len() as Index
    }

    /// The committed prefix hash at `index`, if committed (0 for index 0).
    pub fn prefix(&self, index: Index) -> Option<u64> {
        if index == 0 {
            return Some(0);
        }
        self.entries.get(index as usize - 1).map(|entry| entry.prefix)
    }

    /// The term of the committed entry at `index`, if committed.
    pub fn term(&self, index: Index) -> Option<Term> {
        if index == 0 {
            return Some(0);
        }
        self.entries.get(index as usize - 1).map(|entry| entry.term)
    }

    /// Highest index committed in a term before `term`: what a leader of `term` must hold.
    pub fn last_index_committed_before(&self, term: Term) -> Index {
        self.entries.partition_point(|entry| entry.committed_in < term) as Index
    }

    /// Records `index` (the next one) as committed in `committed_in`.
    pub fn push(&mut self, index: Index, term: Term, prefix: u64, committed_in: Term) {
        assert_eq!(index, self.last_index() + 1, "the commit record grows one index at a time");
        self.entries.push(Committed { prefix, term, committed_in });
        self.lower(index, committed_in);
    }

    /// Every index up to `index` is committed in `term` at the latest.
    pub fn lower(&mut self, index: Index, term: Term) {
        for entry in self.entries[..index as usize].iter_mut().rev() {
            if entry.committed_in <= term {
                break;
            }
            entry.committed_in = term;
        }
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
}
