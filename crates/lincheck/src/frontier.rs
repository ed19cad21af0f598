//! Where the search stands in real time: which operations are linearized, which one must be
//! linearized next at the latest (the *frontier*), and which may be linearized now.
//!
//! Operations are numbered by *rank*: completed operations first, in order of return (ties by
//! call, then by history position), then maybe-applied ones in order of call. The frontier is
//! the first completed operation not yet linearized; by the rank order, every completed
//! operation before it is linearized. Lowe's just-in-time rule says an operation may be
//! linearized only once every operation that returned before its call is: that is, when its
//! call is not after the frontier's return. A call at the same microsecond as the frontier's
//! return is concurrent with it (see [`crate::history::Operation::precedes`]) and so allowed.

use crate::history::Time;
use crate::links::Links;

/// The set of linearized operations, in the compact form the memo stores: all completed
/// operations ranked before `first_pending`, plus the completed ones linearized ahead of it,
/// plus the maybe-applied ones that took effect. A search rarely runs far ahead of its
/// frontier, so the set stays short however long the history.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct LinearizedSet {
    /// The rank of the frontier (the number of completed operations, if all are linearized).
    pub(crate) first_pending: u32,
    /// The completed operations linearized ahead of the frontier, in increasing rank.
    pub(crate) ahead: Box<[u32]>,
    /// The maybe-applied operations that took effect, in increasing rank.
    pub(crate) maybe: Box<[u32]>,
}

/// The search's position.
#[derive(Clone, Debug)]
pub(crate) struct Frontier {
    /// How many operations completed; they hold ranks `0..completed`.
    completed: u32,
    /// Each operation's call time, by rank.
    call_us: Vec<Time>,
    /// Each completed operation's return time, by rank. Invariant: non-decreasing.
    return_us: Vec<Time>,
    /// The completed operations' ranks in order of call.
    by_call: Vec<u32>,
    /// Each completed operation's position in `by_call`.
    call_position: Vec<u32>,
    /// The completed operations not yet linearized, over ranks: its head is the frontier.
    pending_returns: Links,
    /// The completed operations not yet linearized, over positions in `by_call`.
    pending_calls: Links,
    /// One bit per rank: linearized.
    linearized: Vec<u64>,
}

impl Frontier {
    /// A search over operations whose call times by rank are `call_us`, of which the first
    /// `return_us.len()` completed at those times (in rank order), before anything is linearized.
    pub(crate) fn new(call_us: Vec<Time>, return_us: Vec<Time>) -> Self {
        assert!(return_us.len() <= call_us.len(), "more returns than operations");
        assert!(u32::try_from(call_us.len()).is_ok(), "over 2^32 operations in one partition");
        debug_assert!(return_us.is_sorted(), "completed operations are not in return order");
        let completed = return_us.len() as u32;
        debug_assert!(
            call_us[completed as usize..].is_sorted(),
            "maybe-applied operations are not in call order"
        );
        let mut by_call: Vec<u32> = (0..completed).collect();
        by_call.sort_by_key(|&rank| (call_us[rank as usize], rank));
        let mut call_position = vec![0; completed as usize];
        for (position, &rank) in by_call.iter().enumerate() {
            call_position[rank as usize] = position as u32;
        }
        let words = call_us.len().div_ceil(64);
        Self {
            completed,
            call_us,
            return_us,
            by_call,
            call_position,
            pending_returns: Links::new(completed),
            pending_calls: Links::new(completed),
            linearized: vec![0; words],
        }
    }

    /// The rank of the frontier; `None` once every completed operation is linearized.
    pub(crate) fn first_pending(&self) -> Option<u32> {
        self.pending_returns.first()
    }

    /// The frontier's return time; `None` once every completed operation is linearized.
    pub(crate) fn time_us(&self) -> Option<Time> {
        self.first_pending().map(|rank| self.return_us[rank as usize])
    }

    /// Whether the operation of `rank` completed (as opposed to maybe applied).
    pub(crate) fn is_completed(&self, rank: u32) -> bool {
        rank < self.completed
    }

    /// Fills `candidates` with the completed operations that may be linearized now, earliest
    /// return first: the one that must be linearized soonest is tried first, which finds a
    /// linearization with less backtracking than trying them in order of call when a long
    /// operation overlaps many short ones.
    pub(crate) fn completed_candidates(&self, candidates: &mut Vec<u32>) {
        candidates.clear();
        let Some(frontier_us) = self.time_us() else { return };
        let mut position = self.pending_calls.first();
        while let Some(at) = position {
            let rank = self.by_call[at as usize];
            if self.call_us[rank as usize] > frontier_us {
                break;
            }
            candidates.push(rank);
            position = self.pending_calls.after(at);
        }
        candidates.sort_unstable();
    }

    /// The first maybe-applied operation at or after the `from`-th (in call order) that may be
    /// linearized now, with the position to resume from after it.
    pub(crate) fn maybe_candidate(&self, from: usize) -> Option<(u32, usize)> {
        let frontier_us = self.time_us()?;
        let first = self.completed as usize;
        for position in from..self.call_us.len() - first {
            let rank = (first + position) as u32;
            if self.call_us[rank as usize] > frontier_us {
                return None;
            }
            if !self.is_linearized(rank) {
                return Some((rank, position + 1));
            }
        }
        None
    }

    /// Whether the operation of `rank` is linearized.
    pub(crate) fn is_linearized(&self, rank: u32) -> bool {
        self.linearized[rank as usize / 64] & (1 << (rank % 64)) != 0
    }

    /// Linearizes the operation of `rank`, which must be a candidate.
    pub(crate) fn mark(&mut self, rank: u32) {
        debug_assert!(!self.is_linearized(rank), "rank {rank} is linearized twice");
        self.linearized[rank as usize / 64] |= 1 << (rank % 64);
        if self.is_completed(rank) {
            self.pending_returns.unlink(rank);
            self.pending_calls.unlink(self.call_position[rank as usize]);
        }
    }

    /// Undoes the last [`Frontier::mark`] not yet undone, which was of `rank`.
    pub(crate) fn unmark(&mut self, rank: u32) {
        debug_assert!(self.is_linearized(rank), "rank {rank} is not linearized");
        self.linearized[rank as usize / 64] &= !(1 << (rank % 64));
        if self.is_completed(rank) {
            self.pending_calls.relink(self.call_position[rank as usize]);
            self.pending_returns.relink(rank);
        }
    }

    /// The linearized set, in the form the memo stores.
    pub(crate) fn linearized_set(&self) -> LinearizedSet {
        let first_pending = self.first_pending().unwrap_or(self.completed);
        let mut later = Vec::new();
        let start = first_pending as usize + 1;
        for word_index in start / 64..self.linearized.len() {
            let mut word = self.linearized[word_index];
            if word_index == start / 64 {
                word &= !0u64 << (start % 64);
            }
            while word != 0 {
                later.push((word_index * 64) as u32 + word.trailing_zeros());
                word &= word - 1;
            }
        }
        let split = later.partition_point(|&rank| rank < self.completed);
        let maybe = later.split_off(split).into_boxed_slice();
        LinearizedSet { first_pending, ahead: later.into_boxed_slice(), maybe }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three completed operations — [0, 10], [2, 4], [12, 20] in call order, so ranks 1, 0, 2 by
    /// return — and one maybe-applied operation called at 3.
    fn frontier() -> Frontier {
        Frontier::new(vec![2, 0, 12, 3], vec![4, 10, 20])
    }

    #[test]
    fn candidates_are_the_operations_called_by_the_frontier_earliest_return_first() {
        let mut frontier = frontier();
        let mut candidates = Vec::new();
        frontier.completed_candidates(&mut candidates);
        assert_eq!(frontier.time_us(), Some(4));
        assert_eq!(candidates, [0, 1]);
        assert_eq!(frontier.maybe_candidate(0), Some((3, 1)));
        frontier.mark(0);
        frontier.completed_candidates(&mut candidates);
        assert_eq!(frontier.time_us(), Some(10));
        assert_eq!(
            candidates,
            [1],
            "the operation called at 12 must wait for the one returning at 10"
        );
        frontier.mark(1);
        frontier.completed_candidates(&mut candidates);
        assert_eq!(candidates, [2]);
        frontier.mark(3);
        assert_eq!(frontier.maybe_candidate(0), None);
        frontier.mark(2);
        assert_eq!(frontier.time_us(), None);
    }

    #[test]
    fn a_call_at_the_frontiers_return_time_is_concurrent_with_it() {
        let frontier = Frontier::new(vec![0, 10], vec![10, 11]);
        let mut candidates = Vec::new();
        frontier.completed_candidates(&mut candidates);
        assert_eq!(candidates, [0, 1]);
    }

    #[test]
    fn the_linearized_set_is_the_frontier_and_what_runs_ahead_of_it() {
        let mut frontier = frontier();
        frontier.mark(1);
        frontier.mark(3);
        let set = |first_pending, ahead: &[u32], maybe: &[u32]| LinearizedSet {
            first_pending,
            ahead: ahead.into(),
            maybe: maybe.into(),
        };
        assert_eq!(frontier.linearized_set(), set(0, &[1], &[3]));
        frontier.mark(0);
        assert_eq!(frontier.linearized_set(), set(2, &[], &[3]));
        frontier.unmark(0);
        frontier.unmark(3);
        frontier.unmark(1);
        assert_eq!(frontier.linearized_set(), set(0, &[], &[]));
    }
}
