//! A server's simulated disk: what survives a crash.
//!
//! Writes are applied in the order the server handed them out. The disk holds the durable
//! image that a restarted server boots from ([`DiskImage`]): the last hard state, the latest
//! snapshot, and the log after it.

use crate::raft_under_test::{DiskImage, WriteBatch};

/// One server's disk.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    image: DiskImage,
}

impl Disk {
    /// What the disk holds.
    pub fn image(&self) -> &DiskImage {
        &self.image
    }

    /// Makes `write` durable, taking its entries (moved, not copied: every entry of a run
    /// passes through here). Returns whether it replaced entries the log already held (a
    /// truncation).
    pub fn write(&mut self, write: &mut WriteBatch) -> bool {
        let image = &mut self.image;
        if let Some(hard_state) = write.hard_state {
            image.hard_state = hard_state;
        }
        if let Some(snapshot) = &write.snapshot {
            let keep = image.entries.partition_point(|entry| entry.index <= snapshot.index);
            let continues = image
                .entries
                .get(keep.wrapping_sub(1))
                .is_some_and(|entry| entry.index == snapshot.index && entry.term == snapshot.term);
            if continues {
                image.entries.drain(..keep);
            } else {
                image.entries.clear();
            }
            image.snapshot = Some(snapshot.clone());
        }
        let Some(from) = write.log_from else { return false };
        let base = image.snapshot.as_ref().map_or(0, |snapshot| snapshot.index);
        assert!(
            from > base && from <= image.last_index() + 1,
            "a log write from {from} leaves a gap after {} (or reaches into the snapshot at {base})",
            image.last_index()
        );
        let keep = (from - base - 1) as usize;
        let truncated = keep < image.entries.len();
        image.entries.truncate(keep);
        image.entries.append(&mut write.entries);
        truncated
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft_under_test::{EntryData, HardState, LogEntry, Snapshot};

    fn entries(first: u64, terms: &[u64]) -> Vec<LogEntry> {
        terms
            .iter()
            .enumerate()
            .map(|(k, &term)| LogEntry { index: first + k as u64, term, data: EntryData::Empty })
            .collect()
    }

    #[test]
    fn writes_replace_the_log_suffix_and_report_truncations() {
        let mut disk = Disk::default();
        let hard_state = HardState { term: 2, vote: Some(1), commit: 0 };
        let mut first = WriteBatch {
            id: Some(1),
            hard_state: Some(hard_state),
            log_from: Some(1),
            entries: entries(1, &[1, 1, 2]),
            ..WriteBatch::default()
        };
        assert!(!disk.write(&mut first));
        assert!(first.entries.is_empty(), "the disk takes the entries");
        let mut second =
            WriteBatch { id: Some(2), log_from: Some(2), entries: entries(2, &[3]), ..first };
        assert!(disk.write(&mut second));
        assert_eq!(disk.image().hard_state, hard_state);
        assert_eq!(disk.image().entries, entries(1, &[1, 3]));
    }

    #[test]
    fn a_snapshot_keeps_the_log_after_it_only_if_the_log_continues_it() {
        let mut disk = Disk::default();
        disk.write(&mut WriteBatch {
            log_from: Some(1),
            entries: entries(1, &[1, 1, 1]),
            ..Default::default()
        });
        let snapshot = Snapshot { index: 2, term: 1, data: Vec::new() };
        disk.write(&mut WriteBatch { snapshot: Some(snapshot.clone()), ..Default::default() });
        assert_eq!(disk.image().entries, entries(3, &[1]));
        let other = Snapshot { index: 5, term: 4, data: Vec::new() };
        disk.write(&mut WriteBatch { snapshot: Some(other), ..Default::default() });
        assert!(disk.image().entries.is_empty());
        assert_eq!(disk.image().last_index(), 5);
    }
}
