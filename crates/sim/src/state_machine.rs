//! The replicated state machine each simulated server applies committed entries to.
//!
//! Commands carry `(client id, sequence number)`; the state machine applies each pair exactly
//! once, so a client that retries a command (after a timeout, a redirect or a lost reply)
//! cannot apply it twice. It also chains a hash over every applied entry, which the checker
//! compares across servers (State Machine Safety).

use std::collections::BTreeMap;

use raftsim_raft::PAYLOAD_INLINE_BYTES;

use crate::raft_under_test::{EntryData, Index, LogEntry, Payload};
use smallvec::SmallVec;

use crate::hash::chain_entry;

/// A command's identity, encoded at the front of its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CommandId {
    /// The client.
    pub client: u32,
    /// The client's sequence number: 1, 2, 3, ...
    pub sequence: u64,
}

/// Bytes of a payload taken by the command id.
pub const COMMAND_ID_BYTES: usize = 12;

impl CommandId {
    /// A payload of at least `payload_bytes` carrying this id, padded with a pattern derived
    /// from it (so two commands' payloads differ wherever their ids do).
    pub fn payload(self, payload_bytes: usize) -> Payload {
        let mut bytes: SmallVec<[u8; PAYLOAD_INLINE_BYTES]> = SmallVec::new();
        bytes.extend_from_slice(&self.client.to_le_bytes());
        bytes.extend_from_slice(&self.sequence.to_le_bytes());
        let fill = (self.sequence as u8) ^ (self.client as u8);
        bytes.resize(payload_bytes.max(COMMAND_ID_BYTES), fill);
        Payload::from_slice(&bytes)
    }

    /// The id at the front of `payload`, if it is long enough.
    pub fn parse(payload: &[u8]) -> Option<CommandId> {
        let client = u32::from_le_bytes(payload.get(0..4)?.try_into().ok()?);
        let sequence = u64::from_le_bytes(payload.get(4..12)?.try_into().ok()?);
        Some(CommandId { client, sequence })
    }
}

/// What applying one entry did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// A no-op entry.
    Noop,
    /// A command applied for the first time.
    Command(CommandId),
    /// A command already applied earlier (a retry): skipped.
    Duplicate(CommandId),
}

/// One server's state machine. Volatile: a crash loses it, and a restart rebuilds it by
/// re-applying the committed log.
#[derive(Clone, Debug, Default)]
pub struct StateMachine {
    /// Index of the last applied entry. Invariant: entries are applied in index order.
    applied_index: Index,
    /// Chained hash of every applied entry.
    applied_hash: u64,
    /// Highest sequence number applied per client.
    sessions: BTreeMap<u32, u64>,
}

impl StateMachine {
    /// Applies `entry`, which must be the next index. Returns what it did.
    pub fn apply(&mut self, entry: &LogEntry) -> Applied {
        assert_eq!(entry.index, self.applied_index + 1, "entries apply in index order");
        self.applied_index = entry.index;
        self.applied_hash = chain_entry(self.applied_hash, entry);
        let EntryData::Command(payload) = &entry.data else { return Applied::Noop };
        let Some(id) = CommandId::parse(payload) else { return Applied::Noop };
        let last = self.sessions.entry(id.client).or_insert(0);
        if id.sequence <= *last {
            return Applied::Duplicate(id);
        }
        *last = id.sequence;
        Applied::Command(id)
    }

    /// Index of the last applied entry.
    pub fn applied_index(&self) -> Index {
        self.applied_index
    }

    /// Chained hash of the applied entries.
    pub fn applied_hash(&self) -> u64 {
        self.applied_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: Index, client: u32, sequence: u64) -> LogEntry {
        let data = EntryData::Command(CommandId { client, sequence }.payload(16));
        LogEntry { index, term: 1, data }
    }

    #[test]
    fn commands_apply_exactly_once() {
        let mut machine = StateMachine::default();
        let id = CommandId { client: 7, sequence: 1 };
        assert_eq!(machine.apply(&entry(1, 7, 1)), Applied::Command(id));
        assert_eq!(machine.apply(&entry(2, 7, 1)), Applied::Duplicate(id));
        assert_eq!(
            machine.apply(&entry(3, 7, 2)),
            Applied::Command(CommandId { client: 7, sequence: 2 })
        );
        assert_eq!(
            machine.apply(&LogEntry { index: 4, term: 1, data: EntryData::Empty }),
            Applied::Noop
        );
        assert_eq!(machine.applied_index(), 4);
    }

    #[test]
    fn payload_round_trips_and_pads() {
        let id = CommandId { client: 3, sequence: 99 };
        let payload = id.payload(40);
        assert_eq!(payload.len(), 40);
        assert_eq!(CommandId::parse(&payload), Some(id));
        assert_eq!(id.payload(0).len(), COMMAND_ID_BYTES);
        assert_eq!(CommandId::parse(&payload[..5]), None);
    }
}
