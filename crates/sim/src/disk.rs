//! A server's simulated disk: what survives a crash.
//!
//! Writes are applied in the order the server handed them out. The disk holds the durable
//! image that a restarted server boots from ([`DiskImage`]): the last hard state, the latest
//! snapshot, and the log after it.
//!
//! A scenario without disk faults gets a perfect disk: [`Disk::write`] makes a write durable
//! at once. With them (`faults.disk`), the disk is a fault domain, modelled on what real ones
//! do and what FoundationDB's simulator and TigerBeetle's VOPR inject:
//!
//! - **Writes are buffered.** [`Disk::submit`] puts a write in the unsynced buffer (the page
//!   cache); an fsync ([`Disk::begin_fsync`]) covers every write submitted before it started
//!   and completes after a drawn latency, one at a time per disk (group commit).
//! - **A crash loses unsynced writes**: it keeps a random prefix of them (the kernel wrote some
//!   back on its own), and the first it loses may be *torn* — a partial record at the log's
//!   tail, which recovery finds by its checksum and truncates. Nothing torn was ever
//!   acknowledged, so truncating it is safe.
//! - **An fsync can fail (EIO).** The writes it covered are gone: after a failed fsync the
//!   kernel may drop the dirty pages and report success to the next one (PostgreSQL's
//!   "fsyncgate", 2018), so the simulator drops them. Records are appended to a log-structured
//!   file, so every later write of the same incarnation lands behind that hole, where recovery
//!   never reads: later fsyncs "succeed", and nothing they cover becomes durable.
//! - **The disk can be full**: no fsync starts, and nothing written reaches the disk, until
//!   space frees.
//! - **Records rot at rest** (latent sector errors). Every log record carries a CRC32C, checked
//!   when the server boots ([`Disk::recover`]). A corrupted *synced* record may have been
//!   acknowledged, so it is not taken as the end of the log: the image reports it as
//!   [`LogDamage`] until the log has been rewritten past it.
//!
//! Hard state and snapshots are not corrupted: they are small and kept in two copies (as
//! TigerBeetle keeps its superblock), which the model takes as always recoverable.

use std::collections::VecDeque;

use crate::raft_under_test::{
    DiskImage, EntryData, Index, LogDamage, LogEntry, WriteBatch, WriteId,
};

/// One server's disk.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    image: DiskImage,
    /// The checksum each record of `image.entries` was written with; kept only by a disk that
    /// can rot (see [`Disk::checksummed`]).
    checksums: Option<Vec<u32>>,
    /// Writes handed over and not yet durable, oldest first.
    unsynced: VecDeque<WriteBatch>,
    /// How many of `unsynced` the fsync in flight covers; 0 when none is in flight.
    syncing: usize,
    /// Id of the last write made durable.
    synced_through: WriteId,
    /// Id of the last write the server was told is durable: behind [`Disk::synced_through`],
    /// except on a holed disk, whose writes are lost while their fsyncs "succeed".
    told_durable: WriteId,
    /// Whether the disk is full: no fsync starts.
    pub full: bool,
    /// Whether the next fsync to complete fails.
    pub fail_next_fsync: bool,
    /// Whether records rotted since the disk was last read.
    rotten: bool,
    /// How many corrupted records the damage in `image.damage` stands for.
    corrupted_records: u64,
    /// Whether a failed fsync left a hole in the file since the last crash: nothing written
    /// after it is ever read back.
    holed: bool,
}

/// What a restart's read of the disk found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Records whose checksum did not match.
    pub corrupted: u64,
    /// The first corrupted record, if any: the log now ends before it.
    pub truncated_from: Option<Index>,
}

/// The checksum of a log record, over its position and content.
fn record_checksum(entry: &LogEntry) -> u32 {
    let config;
    let (kind, payload): (u8, &[u8]) = match &entry.data {
        EntryData::Empty => (0, &[]),
        EntryData::Command(payload) => (1, payload.as_slice()),
        EntryData::Config(membership) => {
            config = membership.to_bytes();
            (2, &config)
        }
    };
    let header = [entry.index.to_le_bytes(), entry.term.to_le_bytes()].concat();
    let checksum = crc32c::crc32c_append(crc32c::crc32c(&header), &[kind]);
    crc32c::crc32c_append(checksum, payload)
}

impl Disk {
    /// A disk that checksums its records, so that they can rot and be found out.
    pub fn checksummed() -> Disk {
        Disk { checksums: Some(Vec::new()), ..Disk::default() }
    }

    /// What the disk holds durably.
    pub fn image(&self) -> &DiskImage {
        &self.image
    }

    /// The snapshot the server wrote last, durable or not: the one its state machine restores
    /// from when the server installs it.
    pub fn latest_snapshot(&self) -> Option<&crate::raft_under_test::Snapshot> {
        let unsynced = self.unsynced.iter().rev().find_map(|write| write.snapshot.as_ref());
        unsynced.or(self.image.snapshot.as_ref())
    }

    /// Makes `write` durable, taking its snapshot and entries (moved, not copied: every entry of
    /// a run passes through here). Returns whether it replaced entries the log already held (a
    /// truncation).
    pub fn write(&mut self, write: &mut WriteBatch) -> bool {
        let image = &mut self.image;
        if let Some(id) = write.id {
            self.synced_through = self.synced_through.max(id);
        }
        if let Some(hard_state) = write.hard_state {
            image.hard_state = hard_state;
        }
        if let Some(snapshot) = write.snapshot.take() {
            // Entries up to the snapshot go; those after it stay, whether or not they continue
            // it: a write that means to drop them says so with `log_from`.
            let drop = image.entries.partition_point(|entry| entry.index <= snapshot.index);
            image.entries.drain(..drop);
            if let Some(checksums) = &mut self.checksums {
                checksums.drain(..drop);
            }
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
        if let Some(checksums) = &mut self.checksums {
            checksums.truncate(keep);
            checksums.extend(write.entries.iter().map(record_checksum));
        }
        image.entries.append(&mut write.entries);
        truncated
    }

    /// Whether a failed fsync left a hole that every later write of this incarnation lands
    /// behind: such writes complete their fsyncs but never become durable.
    pub fn is_holed(&self) -> bool {
        self.holed
    }

    /// Hands `write` over without making it durable: it waits for an fsync.
    pub fn submit(&mut self, write: WriteBatch) {
        debug_assert!(write.id.is_some(), "only writes with an id are submitted");
        self.unsynced.push_back(write);
    }

    /// Starts an fsync of everything submitted so far, unless one is in flight, there is
    /// nothing to sync, or the disk is full. Returns whether it started.
    pub fn begin_fsync(&mut self) -> bool {
        if self.syncing > 0 || self.unsynced.is_empty() || self.full {
            return false;
        }
        self.syncing = self.unsynced.len();
        true
    }

    /// Whether an fsync is in flight.
    pub fn is_syncing(&self) -> bool {
        self.syncing > 0
    }

    /// The next write the completing fsync made durable, to be recorded and then
    /// [`written`](Self::write); `None` once the fsync's writes are all taken.
    pub fn pop_synced(&mut self) -> Option<WriteBatch> {
        if self.syncing == 0 {
            return None;
        }
        self.syncing -= 1;
        self.unsynced.pop_front()
    }

    /// The fsync in flight failed: the writes it covered are lost, and so is every later one
    /// until the next crash (see [`Disk::is_holed`]). Returns how many, and the id of the last.
    pub fn fail_fsync(&mut self) -> (u64, WriteId) {
        self.fail_next_fsync = false;
        self.holed = true;
        let lost = std::mem::take(&mut self.syncing);
        let last = self.unsynced.drain(..lost).next_back().and_then(|write| write.id);
        (lost as u64, last.unwrap_or(self.synced_through))
    }

    /// Id of the last write made durable.
    pub fn synced_through(&self) -> WriteId {
        self.synced_through
    }

    /// The server was told that its writes through `write` are durable. Behind a hole they
    /// are not, and a server that carries on after a failed fsync acts on them all the same.
    pub fn told_durable(&mut self, write: WriteId) {
        self.told_durable = self.told_durable.max(write);
    }

    /// Whether what waits for `write` may leave: it is durable, or the server was told so
    /// (Linux reports success for fsyncs behind the hole a failed one left).
    pub fn releases(&self, write: WriteId) -> bool {
        self.synced_through.max(self.told_durable) >= write
    }

    /// Unsynced writes waiting.
    pub fn unsynced(&self) -> usize {
        self.unsynced.len()
    }

    /// The oldest unsynced write, made durable by a crash that keeps it (the kernel wrote it
    /// back before the power went): to be recorded and then written.
    pub fn pop_unsynced(&mut self) -> Option<WriteBatch> {
        self.syncing = self.syncing.saturating_sub(1);
        self.unsynced.pop_front()
    }

    /// A crash: every write still unsynced is lost, and the fsync in flight with it (the
    /// server's next incarnation numbers its writes afresh). Returns how many were lost.
    pub fn lose_unsynced(&mut self) -> u64 {
        let lost = self.unsynced.len() as u64;
        self.unsynced.clear();
        self.syncing = 0;
        self.synced_through = 0;
        self.told_durable = 0;
        self.holed = false;
        lost
    }

    /// Whether the disk holds damage that is not repaired: records that rotted since it was
    /// last read, or damage a read found and the log has not been rewritten past.
    pub fn is_damaged(&self) -> bool {
        self.rotten || self.image.damage.is_some()
    }

    /// How many log records the disk holds.
    pub fn records(&self) -> usize {
        self.image.entries.len()
    }

    /// The record `back` places from the log's end (0: the last) rots: its stored bits no
    /// longer match its checksum. Only a checksummed disk can rot.
    pub fn rot(&mut self, back: usize) {
        let checksums = self.checksums.as_mut().expect("only a checksummed disk rots");
        let position = checksums.len() - 1 - back;
        checksums[position] ^= 0x5a5a_0001;
        self.rotten = true;
    }

    /// A restart reads the log and checks every record's checksum. The log ends before the
    /// first corrupted record, and the damage is recorded in the image, merged with any earlier
    /// damage not yet repaired, for the server to see.
    pub fn recover(&mut self) -> Recovery {
        let Some(checksums) = &mut self.checksums else { return Recovery::default() };
        self.rotten = false;
        let (through, term) = (self.image.last_index(), self.image.hard_state.term);
        let entries = &mut self.image.entries;
        let bad = |position: &usize| record_checksum(&entries[*position]) != checksums[*position];
        let mut corrupted = (0..entries.len()).filter(bad);
        let Some(first) = corrupted.next() else { return Recovery::default() };
        let count = 1 + corrupted.count() as u64;
        self.corrupted_records += count;
        let from = entries[first].index;
        entries.truncate(first);
        checksums.truncate(first);
        self.image.damage = Some(match self.image.damage {
            Some(earlier) => LogDamage {
                from: earlier.from.min(from),
                through: earlier.through.max(through),
                term: earlier.term.max(term),
            },
            None => LogDamage { from, through, term },
        });
        Recovery { corrupted: count, truncated_from: Some(from) }
    }

    /// Clears the damage once the durable log has been rewritten past it (see [`LogDamage`]).
    /// Returns how many corrupted records that made good.
    pub fn repair(&mut self) -> Option<u64> {
        let damage = self.image.damage?;
        let last_term = match self.image.entries.last() {
            Some(entry) => entry.term,
            None => self.image.snapshot.as_ref().map_or(0, |snapshot| snapshot.term),
        };
        if self.image.last_index() < damage.through && last_term <= damage.term {
            return None;
        }
        self.image.damage = None;
        Some(std::mem::take(&mut self.corrupted_records))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft_under_test::{HardState, Snapshot};

    fn entries(first: u64, terms: &[u64]) -> Vec<LogEntry> {
        terms
            .iter()
            .enumerate()
            .map(|(k, &term)| LogEntry { index: first + k as u64, term, data: EntryData::Empty })
            .collect()
    }

    fn append(id: WriteId, from: Index, terms: &[u64]) -> WriteBatch {
        WriteBatch {
            id: Some(id),
            log_from: Some(from),
            entries: entries(from, terms),
            ..WriteBatch::default()
        }
    }

    #[test]
    fn writes_replace_the_log_suffix_and_report_truncations() {
        let mut disk = Disk::default();
        let hard_state = HardState { term: 2, vote: Some(1), commit: 0 };
        let mut first = WriteBatch { hard_state: Some(hard_state), ..append(1, 1, &[1, 1, 2]) };
        assert!(!disk.write(&mut first));
        assert!(first.entries.is_empty(), "the disk takes the entries");
        let mut second =
            WriteBatch { id: Some(2), log_from: Some(2), entries: entries(2, &[3]), ..first };
        assert!(disk.write(&mut second));
        assert_eq!(disk.image().hard_state, hard_state);
        assert_eq!(disk.image().entries, entries(1, &[1, 3]));
        assert_eq!(disk.synced_through(), 2);
    }

    #[test]
    fn a_snapshot_replaces_the_entries_up_to_it_and_a_log_write_the_rest() {
        let mut disk = Disk::checksummed();
        disk.write(&mut append(1, 1, &[1, 1, 1, 1]));
        let snapshot =
            Snapshot { index: 2, term: 1, data: Vec::new(), membership: Default::default() };
        disk.write(&mut WriteBatch { snapshot: Some(snapshot), ..Default::default() });
        assert_eq!(disk.image().entries, entries(3, &[1, 1]));
        // An installed snapshot the log does not continue, with the truncation that says so.
        let other =
            Snapshot { index: 3, term: 4, data: Vec::new(), membership: Default::default() };
        let mut install =
            WriteBatch { snapshot: Some(other), log_from: Some(4), ..Default::default() };
        assert!(disk.write(&mut install), "entry 4 went");
        assert!(disk.image().entries.is_empty());
        assert_eq!(disk.image().last_index(), 3);
        let beyond =
            Snapshot { index: 9, term: 4, data: Vec::new(), membership: Default::default() };
        disk.write(&mut WriteBatch { snapshot: Some(beyond), ..Default::default() });
        assert_eq!(disk.image().last_index(), 9, "a snapshot past the log's end replaces it");
        assert_eq!(disk.recover(), Recovery::default(), "checksums followed the compactions");
    }

    #[test]
    fn an_fsync_covers_what_was_submitted_before_it_and_one_runs_at_a_time() {
        let mut disk = Disk::default();
        assert!(!disk.begin_fsync(), "nothing to sync");
        disk.submit(append(1, 1, &[1]));
        disk.submit(append(2, 2, &[1]));
        assert!(disk.begin_fsync());
        disk.submit(append(3, 3, &[1]));
        assert!(!disk.begin_fsync(), "one in flight");
        let mut synced = Vec::new();
        while let Some(mut write) = disk.pop_synced() {
            synced.push(write.id);
            disk.write(&mut write);
        }
        assert_eq!(synced, vec![Some(1), Some(2)]);
        assert_eq!((disk.image().last_index(), disk.synced_through()), (2, 2));
        assert!(disk.unsynced() > 0);
        disk.full = true;
        assert!(!disk.begin_fsync(), "a full disk takes nothing");
        disk.full = false;
        assert!(disk.begin_fsync());
        assert_eq!(disk.lose_unsynced(), 1, "a crash loses the write being synced");
        assert!(disk.unsynced() == 0 && !disk.is_syncing());
        assert_eq!(disk.image().last_index(), 2);
    }

    #[test]
    fn a_failed_fsync_loses_its_writes_and_leaves_a_hole_until_the_next_crash() {
        let mut disk = Disk::default();
        disk.write(&mut append(1, 1, &[1]));
        disk.submit(append(2, 2, &[1, 1]));
        assert!(disk.begin_fsync());
        disk.fail_next_fsync = true;
        assert_eq!(disk.fail_fsync(), (1, 2));
        assert!(!disk.fail_next_fsync && disk.unsynced() == 0);
        assert!(disk.is_holed(), "what is written next lands behind the hole");
        disk.submit(append(3, 2, &[1]));
        assert!(disk.begin_fsync());
        disk.pop_synced().expect("the fsync covers it");
        assert!(!disk.releases(3), "lost, and the server not told otherwise yet");
        disk.told_durable(3);
        assert!(disk.releases(3), "told it is durable, the server sends what waited for it");
        assert_eq!((disk.synced_through(), disk.image().last_index()), (1, 1), "it is not");
        disk.submit(append(4, 2, &[1]));
        assert_eq!(disk.lose_unsynced(), 1);
        assert!(!disk.releases(3), "a new incarnation numbers its writes afresh");
        assert!(!disk.is_holed(), "a restart's recovery truncates the file at the hole");
        assert_eq!(disk.image().last_index(), 1);
    }

    #[test]
    fn recovery_finds_rotten_records_by_checksum_and_reports_the_damage_until_rewritten() {
        let mut disk = Disk::checksummed();
        disk.write(&mut WriteBatch {
            hard_state: Some(HardState { term: 3, vote: None, commit: 4 }),
            ..append(1, 1, &[1, 2, 2, 3, 3])
        });
        disk.rot(3); // index 2
        disk.rot(1); // index 4
        assert!(disk.is_damaged());
        let recovery = disk.recover();
        assert_eq!(recovery, Recovery { corrupted: 2, truncated_from: Some(2) });
        assert_eq!(disk.image().last_index(), 1, "not read past the first bad record");
        assert_eq!(disk.image().damage, Some(LogDamage { from: 2, through: 5, term: 3 }));
        assert_eq!(disk.repair(), None);
        // Rewritten from a leader of term 3 up to index 4: not yet past the damage.
        disk.write(&mut append(2, 2, &[2, 2, 3]));
        assert_eq!(disk.repair(), None);
        assert!(disk.is_damaged());
        // A second read finds nothing new and keeps the damage.
        assert_eq!(disk.recover(), Recovery::default());
        assert!(disk.image().damage.is_some());
        disk.write(&mut append(3, 5, &[3]));
        assert_eq!(disk.repair(), Some(2), "both corrupted records are made good");
        assert!(!disk.is_damaged());
    }

    #[test]
    fn an_entry_of_a_later_term_repairs_a_log_that_stays_short() {
        let mut disk = Disk::checksummed();
        disk.write(&mut WriteBatch {
            hard_state: Some(HardState { term: 2, vote: None, commit: 0 }),
            ..append(1, 1, &[1, 2, 2, 2])
        });
        disk.rot(1);
        disk.recover();
        assert_eq!(disk.image().damage, Some(LogDamage { from: 3, through: 4, term: 2 }));
        // A leader of term 4, elected without this server, overwrote index 3's term-2 entry,
        // and its log ends there.
        disk.write(&mut append(2, 3, &[4]));
        assert_eq!(disk.image().last_index(), 3);
        assert_eq!(disk.repair(), Some(1));
    }

    #[test]
    fn a_perfect_disk_keeps_no_checksums_and_finds_nothing() {
        let mut disk = Disk::default();
        disk.write(&mut append(1, 1, &[1, 1]));
        assert_eq!(disk.recover(), Recovery::default());
        assert!(!disk.is_damaged());
    }
}
