//! The global record of committed entries, shared by several properties.

use raftsim_raft::{Index, Term};

/// Every index committed anywhere so far, with the chained prefix hash of the committed log up
/// to it and the term in which it was first seen committed.
///
/// Invariant: `prefixes.len() == terms.len()`, and terms never decrease along the record (an
/// index is committed no later than any index above it). Terms are lowered when a later index
/// turns out to be committed in an earlier term; a walk back over the terms it lowers, each
/// at most once per distinct term, keeps the cost proportional to what changed.
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
        // Committing `index` in `term` commits every index below it by `term` too: a stale
        // leader may commit after a later-term leader first committed lower indexes, and then
        // those are committed "in" the older term as well. Lowering keeps the record sorted.
        for earlier in self.terms.iter_mut().rev() {
            if *earlier <= term {
                break;
            }
            *earlier = term;
        }
        self.prefixes.push(prefix);
        self.terms.push(term);
    }
}
