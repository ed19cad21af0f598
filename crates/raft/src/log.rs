//! The replicated log as one server holds it in memory.

use crate::{Entry, Index, Term};

/// A server's log: the entries after its snapshot, with contiguous indexes.
///
/// Invariant: `entries[k].index == snapshot_index + 1 + k`. Everything up to `snapshot_index`
/// is compacted into the snapshot, of which the log keeps only the last index and term (for the
/// consistency check of the append that follows it). In correct Raft terms also never decrease
/// along the log; the node asserts that (an injected bug may break it, and then the simulator's
/// checker must catch the consequence), so the log itself only enforces contiguity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    snapshot_index: Index,
    snapshot_term: Term,
    entries: Vec<Entry>,
}

impl Log {
    /// A log holding `entries` after a snapshot ending at `(snapshot_index, snapshot_term)`
    /// (`(0, 0)` for none). The entries must follow it contiguously, as a durable log's do.
    pub fn restore(snapshot_index: Index, snapshot_term: Term, entries: Vec<Entry>) -> Log {
        let log = Log { snapshot_index, snapshot_term, entries };
        log.debug_check();
        log
    }

    /// A log holding `entries`, which must start at index 1 and be contiguous.
    pub fn from_entries(entries: Vec<Entry>) -> Log {
        Log::restore(0, 0, entries)
    }

    /// Last index covered by the snapshot (0 without one).
    pub fn snapshot_index(&self) -> Index {
        self.snapshot_index
    }

    /// Term of the entry at `snapshot_index` (0 without a snapshot).
    pub fn snapshot_term(&self) -> Term {
        self.snapshot_term
    }

    /// The first index the log holds an entry for (one past the snapshot).
    pub fn first_index(&self) -> Index {
        self.snapshot_index + 1
    }

    /// Index of the last entry (the snapshot's when no entry follows it).
    pub fn last_index(&self) -> Index {
        self.snapshot_index + self.entries.len() as Index
    }

    /// Term of the last entry (the snapshot's when no entry follows it).
    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(self.snapshot_term, |entry| entry.term)
    }

    /// Term at `index`: the snapshot's at its last index, `None` inside the snapshot or past
    /// the end.
    pub fn term(&self, index: Index) -> Option<Term> {
        if index == self.snapshot_index {
            return Some(self.snapshot_term);
        }
        self.entry(index).map(|entry| entry.term)
    }

    /// The entry at `index`, if the log holds it (not compacted, not past the end).
    pub fn entry(&self, index: Index) -> Option<&Entry> {
        let offset = index.checked_sub(self.first_index())?;
        self.entries.get(offset as usize)
    }

    /// The entries from `from` to `to`, both inclusive. Precondition: `first_index() <= from`
    /// and `to <= last_index()`; an empty slice when `from > to`.
    pub fn slice(&self, from: Index, to: Index) -> &[Entry] {
        assert!(
            from >= self.first_index(),
            "log slice from {from}, compacted up to {}",
            self.snapshot_index
        );
        assert!(to <= self.last_index(), "log slice to {to} past last index {}", self.last_index());
        if from > to {
            return &[];
        }
        let base = self.first_index();
        &self.entries[(from - base) as usize..=(to - base) as usize]
    }

    /// All entries after the snapshot, first index first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The first index holding `term`, searching down from `index` (which must hold `term`)
    /// no further than the first entry: the follower's half of fast backtracking.
    pub fn first_index_of_term_at(&self, index: Index) -> Index {
        let term = self.term(index).expect("index within the log");
        let mut first = index;
        while first > self.first_index() && self.term(first - 1) == Some(term) {
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
            .or_else(|| {
                (self.snapshot_term == term && self.last_term() >= term)
                    .then_some(self.snapshot_index)
            })
    }

    /// Appends one entry. Precondition: it is the next index.
    pub fn push(&mut self, entry: Entry) {
        assert_eq!(entry.index, self.last_index() + 1, "log append out of order");
        self.entries.push(entry);
    }

    /// Whether terms never decrease along the log, as Raft guarantees. O(n).
    pub fn terms_are_monotonic(&self) -> bool {
        self.entries.first().is_none_or(|first| first.term >= self.snapshot_term)
            && self.entries.windows(2).all(|pair| pair[0].term <= pair[1].term)
    }

    /// Removes every entry after `index` (at or after the snapshot). Returns how many were
    /// removed.
    pub fn truncate_after(&mut self, index: Index) -> usize {
        assert!(index >= self.snapshot_index, "truncating into the snapshot at {index}");
        let removed = self.last_index().saturating_sub(index) as usize;
        self.entries.truncate((index - self.snapshot_index) as usize);
        removed
    }

    /// Folds every entry up to `index` into the snapshot, which ends there in `term`; the
    /// entries after it stay. `index` may lie past the end (everything goes), never before the
    /// current snapshot.
    pub fn compact(&mut self, index: Index, term: Term) {
        assert!(index >= self.snapshot_index, "compacting back to {index}");
        let drop = ((index - self.snapshot_index) as usize).min(self.entries.len());
        self.entries.drain(..drop);
        self.snapshot_index = index;
        self.snapshot_term = term;
    }

    /// Whether a log ending at `(last_index, last_term)` is at least as up-to-date as this one
    /// (§5.4.1): a later last term wins; with equal last terms, the longer log wins.
    pub fn is_up_to_date(&self, last_index: Index, last_term: Term) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }

    fn debug_check(&self) {
        debug_assert!(
            self.entries
                .iter()
                .enumerate()
                .all(|(i, entry)| entry.index == self.snapshot_index + 1 + i as Index),
            "log indexes do not follow the snapshot contiguously"
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
    fn a_compacted_log_keeps_its_suffix_and_the_snapshot_position() {
        let mut log = log_of_terms(&[1, 1, 2, 2, 3]);
        log.compact(3, 2);
        assert_eq!((log.first_index(), log.last_index(), log.last_term()), (4, 5, 3));
        assert_eq!((log.term(2), log.term(3), log.term(4)), (None, Some(2), Some(2)));
        assert_eq!(log.entry(3), None, "compacted");
        assert_eq!(log.slice(4, 5).len(), 2);
        assert_eq!(log.first_index_of_term_at(4), 4, "the search stops at the snapshot");
        assert_eq!(log.last_index_of_term(2), Some(4));
        assert_eq!(log.truncate_after(3), 2);
        assert_eq!(log.last_index_of_term(2), Some(3), "the snapshot's own term");
        log.compact(9, 4);
        assert_eq!((log.last_index(), log.last_term(), log.entries().len()), (9, 4, 0));
        let restored = Log::restore(9, 4, Vec::new());
        assert_eq!(restored, log);
    }

    #[test]
    fn truncate_reports_removed_count() {
        let mut log = log_of_terms(&[1, 1, 1]);
        assert_eq!(log.truncate_after(1), 2);
        assert_eq!(log.truncate_after(5), 0);
        assert_eq!(log.last_index(), 1);
    }
}
