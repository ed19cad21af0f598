//! One server's log as the checker keeps it: the term and the chained prefix hash of every
//! entry, never the entries themselves.
//!
//! The checker keeps two views per server, both fed by the writes the server handed its disk:
//! the *written* log (every write issued, the server's log as the world can see it) and the
//! *durable* log (only writes the disk made durable). Chained hashes make "these two logs agree
//! up to index i" one `u64` comparison.

use super::configurations::Configurations;
use crate::hash::chain_entry;
use crate::raft_under_test::{Index, LogEntry, Membership, Term};

/// A log of `(term, prefix hash)` per index, after a compacted base.
///
/// Invariant: `entries[k]` describes index `base_index + 1 + k`, and its prefix hash chains from
/// `base_prefix` through every entry before it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogView {
    base_index: Index,
    base_term: Term,
    base_prefix: u64,
    entries: Vec<(Term, u64)>,
    /// The configurations the log holds.
    configurations: Configurations,
}

impl LogView {
    /// An empty log.
    pub fn new() -> LogView {
        LogView::default()
    }

    /// The configurations the log holds.
    pub fn configurations(&self) -> &Configurations {
        &self.configurations
    }

    /// Index of the last entry (the base's when nothing follows it).
    pub fn last_index(&self) -> Index {
        self.base_index + self.entries.len() as Index
    }

    /// Term of the last entry.
    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(self.base_term, |&(term, _)| term)
    }

    /// The first index this view can describe (the base's).
    pub fn base_index(&self) -> Index {
        self.base_index
    }

    /// Term at `index`: `Some(0)` for index 0, `None` outside the view.
    pub fn term(&self, index: Index) -> Option<Term> {
        if index == self.base_index {
            return Some(self.base_term);
        }
        self.slot(index).map(|(term, _)| term)
    }

    /// Chained prefix hash up to `index`: `Some(0)` for index 0, `None` outside the view.
    pub fn prefix(&self, index: Index) -> Option<u64> {
        if index == self.base_index {
            return Some(self.base_prefix);
        }
        self.slot(index).map(|(_, prefix)| prefix)
    }

    fn slot(&self, index: Index) -> Option<(Term, u64)> {
        let offset = index.checked_sub(self.base_index + 1)?;
        self.entries.get(offset as usize).copied()
    }

    /// The prefix hash `entry` would have if appended after `index - 1`, if that is in view.
    pub fn chained(&self, entry: &LogEntry) -> Option<u64> {
        self.prefix(entry.index.checked_sub(1)?).map(|previous| chain_entry(previous, entry))
    }

    /// Replaces everything from `from` on with `entries` (contiguous from `from`). Returns how
    /// many entries were removed or replaced. Precondition: `base_index < from <= last + 1`.
    pub fn write(&mut self, from: Index, entries: &[LogEntry]) -> Index {
        assert!(
            from > self.base_index && from <= self.last_index() + 1,
            "a write from {from} does not fit a log of ({}, {}]",
            self.base_index,
            self.last_index()
        );
        let removed = self.last_index() + 1 - from;
        self.configurations.write(from, entries);
        self.entries.truncate((from - self.base_index - 1) as usize);
        let mut previous = self.prefix(from - 1).expect("from - 1 is in view");
        for entry in entries {
            assert_eq!(entry.index, self.last_index() + 1, "written entries are contiguous");
            previous = chain_entry(previous, entry);
            self.entries.push((entry.term, previous));
        }
        removed
    }

    /// Replaces everything from `from` on with entries whose terms and prefix hashes another
    /// view already computed (`written`, as [`LogView::entries_from`] returned them), with the
    /// configuration entries among them.
    pub fn write_hashed(
        &mut self,
        from: Index,
        written: &[(Term, u64)],
        configs: &[(Index, Membership)],
    ) {
        assert!(
            from > self.base_index && from <= self.last_index() + 1,
            "a write from {from} does not fit a log of ({}, {}]",
            self.base_index,
            self.last_index()
        );
        self.entries.truncate((from - self.base_index - 1) as usize);
        self.entries.extend_from_slice(written);
        self.configurations.write_configs(from, configs);
    }

    /// The terms and prefix hashes from `from` on.
    pub fn entries_from(&self, from: Index) -> &[(Term, u64)] {
        &self.entries[(from - self.base_index - 1) as usize..]
    }

    /// Folds every entry up to `index` into the base (as a snapshot at `index` does).
    /// Entries above it stay if they continue the same log; otherwise the view restarts at
    /// the snapshot. `prefix` is the snapshot's prefix hash, `membership` its configuration.
    pub fn compact(&mut self, index: Index, term: Term, prefix: u64, membership: &Membership) {
        let keeps_suffix = self.prefix(index) == Some(prefix);
        self.configurations.compact(index, membership.clone(), keeps_suffix);
        let keep_from = if keeps_suffix && index >= self.base_index {
            (index - self.base_index) as usize
        } else {
            self.entries.len()
        };
        self.entries.drain(..keep_from.min(self.entries.len()));
        if !keeps_suffix {
            self.entries.clear();
        }
        (self.base_index, self.base_term, self.base_prefix) = (index, term, prefix);
    }

    /// The log's terms as runs `(first index, term)`, ascending: the compact form in which a
    /// leader's log is remembered after its term.
    pub fn term_runs(&self) -> Vec<(Index, Term)> {
        let mut runs: Vec<(Index, Term)> = vec![(self.base_index, self.base_term)];
        for (offset, &(term, _)) in self.entries.iter().enumerate() {
            if runs.last().is_some_and(|&(_, last)| last != term) {
                runs.push((self.base_index + 1 + offset as Index, term));
            }
        }
        runs
    }
}

/// The term at `index` of a log remembered as `runs` ending at `last_index`.
pub fn term_in_runs(runs: &[(Index, Term)], last_index: Index, index: Index) -> Option<Term> {
    if index > last_index || runs.first().is_none_or(|&(first, _)| index < first) {
        return None;
    }
    let position = runs.partition_point(|&(first, _)| first <= index);
    Some(runs[position - 1].1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft_under_test::EntryData;

    fn entries(first: Index, terms: &[Term]) -> Vec<LogEntry> {
        terms
            .iter()
            .enumerate()
            .map(|(k, &term)| LogEntry { index: first + k as Index, term, data: EntryData::Empty })
            .collect()
    }

    #[test]
    fn writes_replace_the_suffix_and_chain_hashes() {
        let mut view = LogView::new();
        assert_eq!(view.write(1, &entries(1, &[1, 1, 2])), 0);
        let before = view.prefix(2);
        assert_eq!(view.write(3, &entries(3, &[3])), 1);
        assert_eq!((view.last_index(), view.last_term()), (3, 3));
        assert_eq!(view.prefix(2), before, "entries before the write keep their hashes");
        let mut other = LogView::new();
        other.write(1, &entries(1, &[1, 1, 3]));
        assert_eq!(view.prefix(3), other.prefix(3), "equal logs, equal hashes");
        assert_eq!(view.term(0), Some(0));
        assert_eq!(view.term(4), None);
    }

    #[test]
    fn term_runs_describe_the_log() {
        let mut view = LogView::new();
        view.write(1, &entries(1, &[1, 1, 2, 2, 2, 5]));
        let runs = view.term_runs();
        assert_eq!(runs, vec![(0, 0), (1, 1), (3, 2), (6, 5)]);
        for index in 0..=6 {
            assert_eq!(term_in_runs(&runs, 6, index), view.term(index), "index {index}");
        }
        assert_eq!(term_in_runs(&runs, 6, 7), None);
    }

    #[test]
    fn compaction_keeps_a_matching_suffix() {
        let mut view = LogView::new();
        view.write(1, &entries(1, &[1, 1, 2, 2]));
        let (term, prefix) = (view.term(2).unwrap(), view.prefix(2).unwrap());
        let last = view.prefix(4);
        view.compact(2, term, prefix, &Membership::default());
        assert_eq!((view.base_index(), view.last_index(), view.prefix(4)), (2, 4, last));
        assert_eq!(view.prefix(1), None, "compacted away");
        view.compact(3, 9, 42, &Membership::default());
        assert_eq!((view.base_index(), view.last_index(), view.last_term()), (3, 3, 9));
    }
}
