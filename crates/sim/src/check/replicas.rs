//! Every entry any server ever wrote, by `(index, term)`: the chained prefix hash it was written
//! with, and which servers made it durable *while their own current term was the entry's term*.
//!
//! That second set is the ground truth of commitment (§5.3, §5.4.2): an entry `(i, T)` is
//! committed once a majority of voters durably stored it in term T — that is, the leader of T
//! replicated it to them. A copy a server received in a later term does not count (the paper's
//! Figure 8(c): the term-2 entry on a majority is not committed), and a copy that is not yet
//! durable does not count either. Each durable append costs one lookup.

use std::collections::BTreeMap;

use crate::raft_under_test::{Index, Membership, NodeId, Term};

/// One `(index, term)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    term: Term,
    /// The chained hash of the first log seen holding this entry.
    prefix: u64,
    /// Servers (bit `id - 1`) that made it durable in its own term.
    holders: u64,
    /// Whether `holders` already reached a quorum.
    committed: bool,
}

/// The record of every `(index, term)` written after `base`: indexes at or behind every
/// server's durable snapshot are forgotten ([`Replicas::compact`]), since no server writes
/// there again.
#[derive(Default)]
pub struct Replicas {
    /// Indexes up to this one are forgotten.
    base: Index,
    /// `first[i - base - 1]`: the first term written at index `i`. Almost every index only ever
    /// sees one term, so this is the common path.
    first: Vec<Slot>,
    /// Further terms written at an index (and any index written out of order).
    others: BTreeMap<(Index, Term), Slot>,
}

/// What a write of an entry found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// First seen, or seen again on a log that agrees with the first.
    Agrees,
    /// Seen before on a log whose prefix hash was this one: the two logs hold the same entry
    /// but differ somewhere up to it.
    Differs(u64),
}

impl Replicas {
    fn slot_mut(&mut self, index: Index, term: Term, prefix: u64) -> (&mut Slot, bool) {
        let fresh = Slot { term, prefix, holders: 0, committed: false };
        assert!(index > self.base, "a write at {index}, behind every snapshot ({})", self.base);
        let position = (index - self.base) as usize - 1;
        if position == self.first.len() {
            self.first.push(fresh);
            return (self.first.last_mut().expect("just pushed"), true);
        }
        if position < self.first.len() && self.first[position].term == term {
            return (&mut self.first[position], false);
        }
        let mut inserted = false;
        let slot = self.others.entry((index, term)).or_insert_with(|| {
            inserted = true;
            fresh
        });
        (slot, inserted)
    }

    /// A server wrote `(index, term)` on a log whose prefix hash up to it is `prefix`.
    ///
    /// An index behind the base was committed and folded: only a server whose disk held
    /// nothing when it was folded (a spare, a new incarnation) writes there, from a stale
    /// append, and what it wrote is judged by the prefix hashes of its first write past it.
    pub fn record_written(&mut self, index: Index, term: Term, prefix: u64) -> Recorded {
        if index <= self.base {
            return Recorded::Agrees;
        }
        let (slot, fresh) = self.slot_mut(index, term, prefix);
        if fresh || slot.prefix == prefix {
            Recorded::Agrees
        } else {
            Recorded::Differs(slot.prefix)
        }
    }

    /// `node` made `(index, term)` durable while its own current term was `write_term`.
    /// Returns the servers holding it so far (bit `id - 1`), if that copy counts (it was made
    /// in the entry's own term) and the entry is not yet known committed: the caller decides
    /// whether they make a quorum, and says so with [`Replicas::mark_committed`].
    pub fn record_durable(
        &mut self,
        node: NodeId,
        index: Index,
        term: Term,
        prefix: u64,
        write_term: Term,
    ) -> Option<u64> {
        if write_term != term || index <= self.base {
            return None;
        }
        let (slot, _) = self.slot_mut(index, term, prefix);
        slot.holders |= Membership::bit(node);
        (!slot.committed).then_some(slot.holders)
    }

    /// The servers holding `(index, term)` in its own term, if it is recorded and not yet
    /// known committed.
    pub fn uncommitted_holders(&self, index: Index, term: Term) -> Option<u64> {
        let slot = match index.checked_sub(self.base + 1).map(|offset| offset as usize) {
            Some(offset) if self.first.get(offset).is_some_and(|slot| slot.term == term) => {
                &self.first[offset]
            }
            Some(_) => self.others.get(&(index, term))?,
            None => return None,
        };
        (!slot.committed).then_some(slot.holders)
    }

    /// `(index, term)` is committed: its holders made a quorum.
    pub fn mark_committed(&mut self, index: Index, term: Term) {
        if index <= self.base {
            return;
        }
        let offset = (index - self.base - 1) as usize;
        if let Some(slot) = self.first.get_mut(offset).filter(|slot| slot.term == term) {
            slot.committed = true;
        } else if let Some(slot) = self.others.get_mut(&(index, term)) {
            slot.committed = true;
        }
    }

    /// Forgets every index up to `index`.
    pub fn compact(&mut self, index: Index) {
        if index <= self.base {
            return;
        }
        let forget = ((index - self.base) as usize).min(self.first.len());
        self.first.drain(..forget);
        self.others = self.others.split_off(&(index + 1, 0));
        self.base = index;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_copies_made_in_their_own_term_count_until_committed() {
        let mut replicas = Replicas::default();
        assert_eq!(replicas.record_written(1, 2, 7), Recorded::Agrees);
        assert_eq!(replicas.record_durable(1, 1, 2, 7, 2), Some(0b001));
        assert_eq!(replicas.record_durable(2, 1, 2, 7, 3), None, "a copy stored in term 3");
        assert_eq!(replicas.record_durable(1, 1, 2, 7, 2), Some(0b001), "one server counts once");
        assert_eq!(replicas.record_durable(3, 1, 2, 7, 2), Some(0b101));
        assert_eq!(replicas.uncommitted_holders(1, 2), Some(0b101));
        replicas.mark_committed(1, 2);
        assert_eq!(replicas.record_durable(2, 1, 2, 7, 2), None, "already committed");
        assert_eq!(replicas.uncommitted_holders(1, 2), None);
        assert_eq!(replicas.uncommitted_holders(1, 9), None, "never written");
    }

    #[test]
    fn compaction_forgets_only_what_lies_behind() {
        let mut replicas = Replicas::default();
        for index in 1..=4 {
            replicas.record_written(index, 1, index);
        }
        replicas.record_written(2, 2, 99);
        replicas.compact(2);
        assert_eq!(replicas.others.len(), 0);
        assert_eq!(replicas.record_written(3, 1, 3), Recorded::Agrees);
        assert_eq!(replicas.record_written(4, 1, 5), Recorded::Differs(4));
        assert_eq!(replicas.record_written(5, 1, 5), Recorded::Agrees);
    }

    #[test]
    fn the_same_entry_on_a_different_log_is_reported() {
        let mut replicas = Replicas::default();
        replicas.record_written(1, 1, 10);
        replicas.record_written(2, 1, 11);
        assert_eq!(replicas.record_written(2, 1, 11), Recorded::Agrees);
        assert_eq!(replicas.record_written(2, 1, 99), Recorded::Differs(11));
        assert_eq!(
            replicas.record_written(2, 2, 99),
            Recorded::Agrees,
            "another term is another entry"
        );
    }
}
