//! A follower's reorder buffer: appends that arrived ahead of its log, held until the gap
//! before them fills.
//!
//! A leader pipelines appends, and the network may reorder them. A follower that answers an
//! append whose previous entry it does not hold yet with a rejection, and forgets it, loses it
//! for good: the earlier append fills the gap a moment later, but the later one is gone, and
//! only the leader's stall detection sends it again — with everything after the follower's
//! match point, a whole window of entries. Holding the append and handling it once the gap is
//! filled is exactly the network delivering it later, which Raft tolerates by design, so it
//! cannot make the protocol unsafe. The rejection is still sent: a leader whose probe went past
//! the follower's log must still learn where to back off to.

use crate::{AppendEntries, Index, NodeId, Term};

/// Appends of one term, from its leader, that start past the end of this server's log.
///
/// Invariants: every held append has entries and the buffer's term; at most `capacity` are held
/// (the node asserts it after every input, in `check_invariants`).
#[derive(Clone, Debug, Default)]
pub(crate) struct HeldAppends {
    term: Term,
    appends: Vec<(NodeId, AppendEntries)>,
}

impl HeldAppends {
    /// Holds `append` (from `from`) until the log reaches its previous entry. An append of a
    /// newer term replaces whatever an older leader left; when the buffer is full the append
    /// furthest ahead is let go (stall detection is the leader's fallback, as without a buffer).
    pub(crate) fn hold(&mut self, from: NodeId, append: AppendEntries, capacity: usize) {
        if append.entries.is_empty() || append.term < self.term {
            return;
        }
        if append.term > self.term {
            self.appends.clear();
            self.term = append.term;
        }
        // A duplicate carries nothing new.
        let last = append.entries.last().map(|entry| entry.index);
        if self.appends.iter().any(|(_, held)| {
            held.prev_log_index == append.prev_log_index
                && held.entries.last().map(|entry| entry.index) == last
        }) {
            return;
        }
        self.appends.push((from, append));
        if self.appends.len() > capacity {
            let furthest = (0..self.appends.len())
                .max_by_key(|&i| self.appends[i].1.prev_log_index)
                .expect("the buffer is not empty");
            self.appends.swap_remove(furthest);
        }
    }

    /// Takes the held append of `term` that follows on from a log ending at `last_index` (the
    /// one starting earliest, if several do), letting go of any held in another term.
    pub(crate) fn take_ready(
        &mut self,
        last_index: Index,
        term: Term,
    ) -> Option<(NodeId, AppendEntries)> {
        if self.appends.is_empty() {
            return None;
        }
        if term != self.term {
            self.appends.clear();
            return None;
        }
        let position = (0..self.appends.len())
            .filter(|&i| self.appends[i].1.prev_log_index <= last_index)
            .min_by_key(|&i| self.appends[i].1.prev_log_index)?;
        Some(self.appends.swap_remove(position))
    }

    /// How many appends are held.
    pub(crate) fn len(&self) -> usize {
        self.appends.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Entry, EntryData, Payload};

    fn append(term: Term, prev_log_index: Index, count: u64) -> AppendEntries {
        let entries = (1..=count)
            .map(|i| Entry {
                index: prev_log_index + i,
                term,
                data: EntryData::Command(Payload::from_slice(b"x")),
            })
            .collect();
        AppendEntries { term, prev_log_index, prev_log_term: term, entries, leader_commit: 0 }
    }

    #[test]
    fn an_append_is_released_once_the_log_reaches_its_previous_entry() {
        let mut held = HeldAppends::default();
        held.hold(1, append(2, 10, 3), 4);
        assert!(held.take_ready(9, 2).is_none(), "the gap is not filled yet");
        let (from, released) = held.take_ready(10, 2).expect("the gap is filled");
        assert_eq!((from, released.prev_log_index), (1, 10));
        assert_eq!(held.len(), 0);
    }

    #[test]
    fn the_earliest_append_goes_first() {
        let mut held = HeldAppends::default();
        held.hold(1, append(2, 16, 3), 4);
        held.hold(1, append(2, 13, 3), 4);
        assert_eq!(held.take_ready(20, 2).unwrap().1.prev_log_index, 13);
        assert_eq!(held.take_ready(20, 2).unwrap().1.prev_log_index, 16);
        assert!(held.take_ready(20, 2).is_none());
    }

    #[test]
    fn a_full_buffer_lets_the_furthest_append_go() {
        let mut held = HeldAppends::default();
        held.hold(1, append(2, 20, 1), 2);
        held.hold(1, append(2, 30, 1), 2);
        held.hold(1, append(2, 25, 1), 2);
        assert_eq!(held.len(), 2);
        assert_eq!(held.take_ready(100, 2).unwrap().1.prev_log_index, 20);
        assert_eq!(held.take_ready(100, 2).unwrap().1.prev_log_index, 25);
    }

    #[test]
    fn other_terms_empty_appends_and_duplicates_are_not_held() {
        let mut held = HeldAppends::default();
        held.hold(1, append(3, 10, 1), 4);
        held.hold(1, append(3, 10, 1), 4);
        held.hold(1, append(3, 12, 0), 4);
        held.hold(2, append(2, 11, 1), 4);
        assert_eq!(held.len(), 1, "a duplicate, a heartbeat and a stale term are dropped");
        held.hold(2, append(4, 11, 1), 4);
        assert_eq!(held.len(), 1, "a newer term replaces the older leader's");
        assert!(held.take_ready(100, 5).is_none(), "the server moved on to another term");
        assert_eq!(held.len(), 0);
    }
}
