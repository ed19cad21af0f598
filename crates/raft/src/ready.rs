//! What a node hands its driver: the output half of the sans-IO contract.

use crate::{Entry, Envelope, Index, NodeId, ReadState, Snapshot, Term};

/// The part of a server's state that must survive a crash, besides its log (Figure 2's
/// "persistent state", plus the commit index so a restart need not rediscover it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HardState {
    /// Latest term the server has seen.
    pub term: Term,
    /// Candidate that received the server's vote in `term`, if any.
    pub vote: Option<NodeId>,
    /// Highest index known to be committed.
    pub commit: Index,
}

/// Everything a server made durable: what its driver hands [`crate::Node::restart`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DurableState {
    /// The last hard state persisted.
    pub hard_state: HardState,
    /// The latest snapshot persisted, if any: the log starts after it.
    pub snapshot: Option<Snapshot>,
    /// The persisted log after the snapshot (from index 1 without one), contiguous.
    pub entries: Vec<Entry>,
    /// Records the storage found corrupted when it read the log back (the log above ends
    /// before them), not yet repaired: see [`crate::LogDamage`]. `None` on a sound disk.
    pub damage: Option<crate::LogDamage>,
}

/// What the driver must do after its storage failed to make a write durable (fsync returned
/// an error), as [`crate::Node::on_persist_failed`] answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterPersistFailure {
    /// Stop the node and restart it from what is durable: after a failed fsync the kernel may
    /// have dropped the written pages and will report the next fsync as a success, so neither
    /// a retry nor the node's memory says anything about the disk (PostgreSQL's "fsyncgate",
    /// 2018). The only safe answer, and the one a correct node gives.
    Stop,
    /// The node carries on as if the write were durable (only under the `retry-fsync` bug).
    CarryOn,
}

/// Identifies one write a [`Ready`] hands out: writes are numbered 1, 2, 3, ... in the order
/// they are handed out, and acknowledged in that order with [`crate::Node::on_persisted`].
pub type WriteId = u64;

/// The output of a node since its last `Ready`, which the driver must process **in this
/// order**:
///
/// 1. **Write** `hard_state`, the `snapshot` and then the log write (`log_from` and `entries`)
///    to stable storage,
///    after every earlier write, and acknowledge with [`crate::Node::on_persisted`]`(write_id)`
///    once it (and so every earlier one) is durable. A driver that writes synchronously
///    acknowledges at once; one with an asynchronous disk acknowledges when its fsync completes.
/// 2. **Send** `messages` at once, and `persisted_messages` only once every write handed out so
///    far (this one included) is durable.
/// 3. **Apply**: if `snapshot_installed`, first restore the state machine from `snapshot`; then
///    apply `committed` entries, in index order. They are committed and already durable on this
///    server, so they may be applied at once.
///
/// Why the order matters: a vote, a term or an acknowledged entry that is sent before it is
/// durable can be forgotten by a crash after the peer has acted on it: the server could then
/// vote twice in a term, or a leader could count an entry that no longer exists toward a quorum.
/// So every message a follower or candidate sends waits for the disk. A leader's own messages
/// (appends and heartbeats) need not wait: the leader counts *itself* toward a quorum only once
/// its entries are acknowledged durable, so its disk and its followers' work in parallel (the
/// thesis, §10.2.1).
///
/// A driver that takes a `Ready` commits to processing all of it; the node treats its contents
/// as handed over. `Ready` owns its data, and may be reused across calls to avoid allocation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ready {
    /// The id of this `Ready`'s write, if it has one (`hard_state` or `log_from` set).
    pub write_id: Option<WriteId>,
    /// The new hard state, if it changed since the last `Ready`.
    pub hard_state: Option<HardState>,
    /// A snapshot to persist: it replaces every durable entry up to its index, and the entries
    /// after it stay (unless the log write replaces them). Written before the log write.
    pub snapshot: Option<Snapshot>,
    /// Whether `snapshot` came from the leader: the state machine must restore from it. (One
    /// the driver made itself, through [`crate::Node::compact`], is only persisted.)
    pub snapshot_installed: bool,
    /// If set, the durable log must become its entries before `log_from` followed by `entries`:
    /// everything from `log_from` on is replaced. `log_from` at or below the durable last index
    /// means a truncation.
    pub log_from: Option<Index>,
    /// Entries to write from `log_from` on, contiguous. Empty when only truncating.
    pub entries: Vec<Entry>,
    /// Messages that may be sent at once (a leader's).
    pub messages: Vec<Envelope>,
    /// Messages to send only once every write handed out so far is durable.
    pub persisted_messages: Vec<Envelope>,
    /// Entries to apply, in index order.
    pub committed: Vec<Entry>,
    /// Reads to answer, each once the state machine has applied its index (after `committed`).
    pub reads: Vec<ReadState>,
}

impl Ready {
    /// Empties every field, keeping allocated capacity.
    pub fn clear(&mut self) {
        self.write_id = None;
        self.hard_state = None;
        self.snapshot = None;
        self.snapshot_installed = false;
        self.log_from = None;
        self.entries.clear();
        self.messages.clear();
        self.persisted_messages.clear();
        self.committed.clear();
        self.reads.clear();
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.hard_state.is_none()
            && self.snapshot.is_none()
            && self.log_from.is_none()
            && self.messages.is_empty()
            && self.persisted_messages.is_empty()
            && self.committed.is_empty()
            && self.reads.is_empty()
    }

    /// Every message, in the order a synchronous driver sends them: `messages`, then
    /// `persisted_messages`.
    pub fn all_messages(&self) -> impl Iterator<Item = &Envelope> {
        self.messages.iter().chain(&self.persisted_messages)
    }

    /// Applies this `Ready`'s persistence half to `durable`: the reference implementation of
    /// step 1, used by in-memory drivers and tests.
    pub fn persist_into(&self, durable: &mut DurableState) {
        if let Some(snapshot) = &self.snapshot {
            durable.entries.retain(|entry| entry.index > snapshot.index);
            durable.snapshot = Some(snapshot.clone());
        }
        if let Some(from) = self.log_from {
            let base = durable.snapshot.as_ref().map_or(0, |snapshot| snapshot.index);
            let last = base + durable.entries.len() as Index;
            assert!(from > base, "log write from {from} into the snapshot at {base}");
            assert!(from <= last + 1, "log write from {from} leaves a gap after {last}");
            durable.entries.truncate((from - base - 1) as usize);
            durable.entries.extend(self.entries.iter().cloned());
        }
        if let Some(hard_state) = self.hard_state {
            durable.hard_state = hard_state;
        }
    }
}
