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

    /// Makes `write` durable, taking its snapshot and entries (moved, not copied: every entry of
    /// a run passes through here). Returns whether it replaced entries the log already held (a
    /// truncation).
    pub fn write(&mut self, write: &mut WriteBatch) -> bool {
        let image = &mut self.image;
        if let Some(hard_state) = write.hard_state {
            image.hard_state = hard_state;
        }
        if let Some(snapshot) = write.snapshot.take() {
            // Entries up to the snapshot go; those after it stay, whether or not they continue
            // it: a write that means to drop them says so with `log_from`.
            let drop = image.entries.partition_point(|entry| entry.index <= snapshot.index);
            image.entries.drain(..drop);
            image.snapshot = Some(snapshot);
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
    fn a_snapshot_replaces_the_entries_up_to_it_and_a_log_write_the_rest() {
        let mut disk = Disk::default();
        disk.write(&mut WriteBatch {
            log_from: Some(1),
            entries: entries(1, &[1, 1, 1, 1]),
            ..Default::default()
        });
        let snapshot = Snapshot { index: 2, term: 1, data: Vec::new() };
        disk.write(&mut WriteBatch { snapshot: Some(snapshot), ..Default::default() });
        assert_eq!(disk.image().entries, entries(3, &[1, 1]));
        // An installed snapshot the log does not continue, with the truncation that says so.
        let other = Snapshot { index: 3, term: 4, data: Vec::new() };
        let mut install =
            WriteBatch { snapshot: Some(other), log_from: Some(4), ..Default::default() };
        assert!(disk.write(&mut install), "entry 4 went");
        assert!(disk.image().entries.is_empty());
        assert_eq!(disk.image().last_index(), 3);
        let beyond = Snapshot { index: 9, term: 4, data: Vec::new() };
        disk.write(&mut WriteBatch { snapshot: Some(beyond), ..Default::default() });
        assert_eq!(disk.image().last_index(), 9, "a snapshot past the log's end replaces it");
    }
}
