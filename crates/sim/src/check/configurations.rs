//! The configurations a log holds, as the checker tracks them: the one at its start and every
//! configuration entry after it. A configuration takes effect as soon as its entry is in a log
//! (thesis §4.1), so the configuration in effect at index `i` of a log is the latest one at or
//! before `i`; by Log Matching, every log that holds `(i, term)` agrees on it.

use crate::raft_under_test::{EntryData, Index, LogEntry, Membership};

/// A log's configurations. `None` for the base means the cluster's first configuration, which
/// the checker knows and a log does not carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Configurations {
    base: Option<Membership>,
    /// Configuration entries after the base, by ascending index.
    entries: Vec<(Index, Membership)>,
}

impl Configurations {
    /// The configuration in effect at `index` (`None`: the cluster's first).
    pub fn at(&self, index: Index) -> Option<&Membership> {
        let position = self.entries.partition_point(|&(at, _)| at <= index);
        match position {
            0 => self.base.as_ref(),
            _ => Some(&self.entries[position - 1].1),
        }
    }

    /// The configuration in effect at the log's end.
    pub fn latest(&self) -> Option<&Membership> {
        self.entries.last().map(|(_, membership)| membership).or(self.base.as_ref())
    }

    /// Index of the latest configuration entry (0 if there is none after the base).
    pub fn latest_index(&self) -> Index {
        self.entries.last().map_or(0, |&(index, _)| index)
    }

    /// The configuration entries after `index`, ascending.
    pub fn after(&self, index: Index) -> &[(Index, Membership)] {
        &self.entries[self.entries.partition_point(|&(at, _)| at <= index)..]
    }

    /// Whether the log holds configuration entries after its base.
    pub fn has_entries(&self) -> bool {
        !self.entries.is_empty()
    }

    /// The log was replaced from `from` on by `entries`.
    pub fn write(&mut self, from: Index, entries: &[LogEntry]) {
        self.truncate(from);
        for entry in entries {
            if let EntryData::Config(membership) = &entry.data {
                self.entries.push((entry.index, Membership::clone(membership)));
            }
        }
    }

    /// The log was replaced from `from` on by entries whose configurations are `configs`.
    pub fn write_configs(&mut self, from: Index, configs: &[(Index, Membership)]) {
        self.truncate(from);
        self.entries.extend_from_slice(configs);
    }

    /// The configuration entries among `entries`, as [`Configurations::write_configs`] takes
    /// them.
    pub fn of_entries(entries: &[LogEntry]) -> Vec<(Index, Membership)> {
        entries
            .iter()
            .filter_map(|entry| match &entry.data {
                EntryData::Config(membership) => Some((entry.index, Membership::clone(membership))),
                EntryData::Empty | EntryData::Command(_) => None,
            })
            .collect()
    }

    fn truncate(&mut self, from: Index) {
        let keep = self.entries.partition_point(|&(at, _)| at < from);
        self.entries.truncate(keep);
    }

    /// The log now starts after a snapshot at `index` whose configuration is `base`; the
    /// entries after it stay only if `keeps_suffix`.
    pub fn compact(&mut self, index: Index, base: Membership, keeps_suffix: bool) {
        if keeps_suffix {
            self.entries.retain(|&(at, _)| at > index);
        } else {
            self.entries.clear();
        }
        self.base = Some(base);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(index: Index, voters: &[u64]) -> LogEntry {
        LogEntry {
            index,
            term: 1,
            data: EntryData::Config(Box::new(Membership::of_voters(voters))),
        }
    }

    fn plain(index: Index) -> LogEntry {
        LogEntry { index, term: 1, data: EntryData::Empty }
    }

    #[test]
    fn configurations_follow_writes_and_compaction() {
        let mut configurations = Configurations::default();
        configurations.write(1, &[plain(1), config(2, &[1, 2]), plain(3), config(4, &[1, 2, 3])]);
        assert_eq!(configurations.at(1), None, "the cluster's first");
        assert_eq!(configurations.at(3).unwrap().voters, vec![1, 2]);
        assert_eq!(configurations.latest_index(), 4);
        assert_eq!(configurations.after(2).len(), 1);
        configurations.write(4, &[plain(4)]);
        assert_eq!(configurations.latest().unwrap().voters, vec![1, 2], "truncated away");
        configurations.compact(3, Membership::of_voters(&[1, 2]), true);
        assert_eq!(
            (configurations.at(3).unwrap().voters.len(), configurations.has_entries()),
            (2, false)
        );
        configurations.write_configs(4, &Configurations::of_entries(&[config(4, &[2])]));
        assert_eq!(configurations.latest().unwrap().voters, vec![2]);
        configurations.compact(9, Membership::of_voters(&[5]), false);
        assert_eq!(configurations.at(20).unwrap().voters, vec![5]);
    }
}
