//! What raft-rs reads back: its `Storage`, holding what the node handed out to write.
//!
//! raft-rs requires that everything a `Ready` hands out be readable through `Storage` before
//! `advance_append_async` is called, and acknowledged durable later (`on_persist_ready`): the
//! same split as the simulator's disk, whose unsynced writes a crash may lose. This storage is
//! the node's view (written, durable or not); the simulator's disk is the ground truth a
//! restart rebuilds it from.

use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use raft::{GetEntriesContext, RaftState, StorageError};

/// The log, the hard state and the latest snapshot, in memory.
pub struct SimStorage {
    hard_state: HardState,
    conf_state: ConfState,
    /// The latest snapshot; its metadata index and term stand for the entries before `entries`.
    snapshot: Snapshot,
    /// Entries after the snapshot, contiguous.
    entries: Vec<Entry>,
}

impl SimStorage {
    /// A storage holding `hard_state`, `snapshot` (possibly empty) and `entries` after it, for a
    /// cluster whose voters are `voters`.
    pub fn new(
        voters: &[u64],
        hard_state: HardState,
        snapshot: Snapshot,
        entries: Vec<Entry>,
    ) -> SimStorage {
        let conf_state = ConfState::from((voters.to_vec(), Vec::<u64>::new()));
        SimStorage { hard_state, conf_state, snapshot, entries }
    }

    fn snapshot_index(&self) -> u64 {
        self.snapshot.get_metadata().index
    }

    /// Records a new hard state.
    pub fn set_hard_state(&mut self, hard_state: HardState) {
        self.hard_state = hard_state;
    }

    /// Replaces the log with `snapshot` (one installed from the leader), keeping entries after
    /// it that continue it. Returns whether it kept them.
    pub fn apply_snapshot(&mut self, snapshot: Snapshot) -> bool {
        let (index, term) = (snapshot.get_metadata().index, snapshot.get_metadata().term);
        let keep = self.entries.iter().position(|entry| entry.index == index && entry.term == term);
        match keep {
            Some(position) => {
                self.entries.drain(..=position);
            }
            None => self.entries.clear(),
        }
        self.hard_state.commit = self.hard_state.commit.max(index);
        self.snapshot = snapshot;
        keep.is_some()
    }

    /// Compacts the log behind `snapshot`, the state machine's own, at an index this log holds:
    /// the entries after it stay. A snapshot at or behind the current one is ignored; returns
    /// whether it was taken.
    pub fn compact(&mut self, snapshot: Snapshot) -> bool {
        let index = snapshot.get_metadata().index;
        let base = self.snapshot_index();
        if index <= base {
            return false;
        }
        assert!(index <= base + self.entries.len() as u64, "compacting past the log's end");
        self.entries.drain(..(index - base) as usize);
        self.snapshot = snapshot;
        true
    }

    /// Writes `new` (contiguous), replacing every entry from its first index on.
    pub fn append(&mut self, new: &[Entry]) {
        let Some(first) = new.first() else { return };
        let base = self.snapshot_index();
        assert!(first.index > base, "raft-rs appends after its snapshot");
        let keep = (first.index - base - 1) as usize;
        assert!(keep <= self.entries.len(), "raft-rs appends without a gap");
        self.entries.truncate(keep);
        self.entries.extend_from_slice(new);
    }
}

impl raft::Storage for SimStorage {
    fn initial_state(&self) -> raft::Result<RaftState> {
        Ok(RaftState { hard_state: self.hard_state.clone(), conf_state: self.conf_state.clone() })
    }

    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        _context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        let base = self.snapshot_index();
        if low <= base {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        let last = base + self.entries.len() as u64;
        assert!(high <= last + 1, "entries up to {high} asked of a log ending at {last}");
        let mut entries =
            self.entries[(low - base - 1) as usize..(high - base - 1) as usize].to_vec();
        raft::util::limit_size(&mut entries, max_size.into());
        Ok(entries)
    }

    fn term(&self, index: u64) -> raft::Result<u64> {
        let base = self.snapshot_index();
        if index == base {
            return Ok(self.snapshot.get_metadata().term);
        }
        if index < base {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        match self.entries.get((index - base - 1) as usize) {
            Some(entry) => Ok(entry.term),
            None => Err(raft::Error::Store(StorageError::Unavailable)),
        }
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(self.snapshot_index() + 1)
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(self.snapshot_index() + self.entries.len() as u64)
    }

    fn snapshot(&self, request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        if self.snapshot_index() < request_index || self.snapshot.get_metadata().index == 0 {
            return Err(raft::Error::Store(StorageError::SnapshotTemporarilyUnavailable));
        }
        Ok(self.snapshot.clone())
    }
}
