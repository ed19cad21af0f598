//! The replicated log as one server holds it in memory.

use crate::{Entry, Index, Term};

/// A server's log: entries with contiguous indexes from 1.
///
/// Invariant: `entries[i].index == i + 1`. In correct Raft terms also never decrease along the
/// log; the node asserts that (an injected bug may break it, and then the simulator's checker
/// must catch the consequence), so the log itself only enforces contiguity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    entries: Vec<Entry>,
}

impl Log {
    /// A log holding `entries`, which must start at index 1 and be contiguous (as a durable log
    /// always is).
    pub fn from_entries(entries: Vec<Entry>) -> Log {
        let log = Log { entries };
        log.debug_check();
        log
    }

    /// Index of the last entry, 0 when empty.
    pub fn last_index(&self) -> Index {
        self.entries.len() as Index
    }

    /// Term of the last entry, 0 when empty.
    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(0, |entry| entry.term)
    }

    /// Term of the entry at `index`: 0 for index 0, `None` past the end.
    pub fn term(&self, index: Index) -> Option<Term> {
        if index == 0 {
            return Some(0);
        }
        self.entries.get(index as usize - 1).map(|entry| entry.term)
    }

    /// The entry at `index`, if present.
    pub fn entry(&self, index: Index) -> Option<&Entry> {
        if index == 0 {
            return None;
        }
        self.entries.get(index as usize - 1)
    }

    /// The entries from `from` to `to`, both inclusive. Precondition: `1 <= from` and
    /// `to <= last_index()`; an empty slice when `from > to`.
    pub fn slice(&self, from: Index, to: Index) -> &[Entry] {
        assert!(from >= 1, "log slice from index 0");
        assert!(to <= self.last_index(), "log slice to {to} past last index {}", self.last_index());
        if from > to {
            return &[];
        }
        &self.entries[from as usize - 1..to as usize]
    }

    /// All entries, index 1 first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The first index holding `term`, searching down from `index` (which must hold `term`):
    /// the follower's half of fast backtracking.
    pub fn first_index_of_term_at(&self, index: Index) -> Index {
        let term = self.term(index).expect("index within the log");
        let mut first = index;
        while first > 1 && self.term(first - 1) == Some(term) {
            first -= 1;
        }
        first
    }

    /// The last index holding `term`, if any: the leader's half of fast backtracking. Searches
    /// down from the end, stopping as soon as terms drop below `term`.
    pub fn last_index_of_term(&self, term: Term) -> Option<Index> {
        self.entries
            .iter()
            .rev()
            .take_while(|entry| entry.term >= term)
            .find(|entry| entry.term == term)
            .map(|entry| entry.index)
    }

    /// Appends one entry. Precondition: it is the next index.
    pub fn push(&mut self, entry: Entry) {
        assert_eq!(entry.index, self.last_index() + 1, "log append out of order");
        self.entries.push(entry);
    }

    /// Whether terms never decrease along the log, as Raft guarantees. O(n).
    pub fn terms_are_monotonic(&self) -> bool {
        self.entries.windows(2).all(|pair| pair[0].term <= pair[1].term)
    }

    /// Removes every entry after `index`. Returns how many were removed.
    pub fn truncate_after(&mut self, index: Index) -> usize {
        let removed = self.last_index().saturating_sub(index) as usize;
        self.entries.truncate(index as usize);
        removed
    }

    /// Whether a log ending at `(last_index, last_term)` is at least as up-to-date as this one
    /// (§5.4.1): a later last term wins; with equal last terms, the longer log wins.
    pub fn is_up_to_date(&self, last_index: Index, last_term: Term) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }

    fn debug_check(&self) {
        debug_assert!(
            self.entries.iter().enumerate().all(|(i, entry)| entry.index == i as Index + 1),
            "log indexes are not contiguous from 1"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EntryData;

    fn log_of_terms(terms: &[Term]) -> Log {
        Log::from_entries(
            terms
                .iter()
                .enumerate()
                .map(|(i, &term)| Entry { index: i as Index + 1, term, data: EntryData::Noop })
                .collect(),
        )
    }

    #[test]
    fn terms_and_bounds() {
        let log = log_of_terms(&[1, 1, 2, 4]);
        assert_eq!(log.term(0), Some(0));
        assert_eq!(log.term(3), Some(2));
        assert_eq!(log.term(5), None);
        assert_eq!((log.last_index(), log.last_term()), (4, 4));
        assert_eq!(log.slice(2, 3).len(), 2);
        assert!(log.slice(3, 2).is_empty());
    }

    #[test]
    fn backtracking_helpers() {
        let log = log_of_terms(&[1, 1, 2, 2, 2, 4]);
        assert_eq!(log.first_index_of_term_at(5), 3);
        assert_eq!(log.first_index_of_term_at(2), 1);
        assert_eq!(log.last_index_of_term(2), Some(5));
        assert_eq!(log.last_index_of_term(3), None);
        assert_eq!(log.last_index_of_term(4), Some(6));
    }

    #[test]
    fn up_to_date_compares_last_term_then_length() {
        let log = log_of_terms(&[1, 2, 2]);
        assert!(log.is_up_to_date(3, 2));
        assert!(log.is_up_to_date(1, 3));
        assert!(!log.is_up_to_date(2, 2));
        assert!(!log.is_up_to_date(9, 1));
    }

    #[test]
    fn truncate_reports_removed_count() {
        let mut log = log_of_terms(&[1, 1, 1]);
        assert_eq!(log.truncate_after(1), 2);
        assert_eq!(log.truncate_after(5), 0);
        assert_eq!(log.last_index(), 1);
    }
}
