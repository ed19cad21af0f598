//! The global record of committed entries, shared by several properties.

use raftsim_raft::{Index, Term};

/// Every index committed anywhere so far, with the chained prefix hash of the committed log up
/// to it and the term in which it was first seen committed.
///
/// Invariant: `prefixes.len() == terms.len()`, and terms never decrease along the record (an
/// index is committed no later than any index above it).
#[derive(Clone, Debug, Default)]
pub struct CommitRecord {
    prefixes: Vec<u64>,
    terms: Vec<Term>,
}

impl CommitRecord {
    /// Highest committed index.
    pub fn last_index(&self) -> Index {
        self.prefixes.len() as Index
    }

    /// The committed prefix hash at `index`, if committed.
    pub fn prefix(&self, index: Index) -> Option<u64> {
        index.checked_sub(1).and_then(|i| self.prefixes.get(i as usize)).copied()
    }

    /// Highest index first committed in a term before `term`: what a leader of `term` must hold.
    pub fn last_index_committed_before(&self, term: Term) -> Index {
        self.terms.partition_point(|&committed_in| committed_in < term) as Index
    }

    /// Records `index` as committed in `term`, with prefix hash `prefix`. Precondition: it is
    /// the next index.
    pub fn push(&mut self, index: Index, term: Term, prefix: u64) {
        assert_eq!(index, self.last_index() + 1, "commit record grows one index at a time");
        let term = term.max(self.terms.last().copied().unwrap_or(0));
        self.prefixes.push(prefix);
        self.terms.push(term);
    }
}
