//! The replicated state machine each simulated server applies committed entries to.
//!
//! Commands carry `(client id, sequence number)`; the state machine applies each pair exactly
//! once, so a client that retries a command (after a timeout, a redirect or a lost reply)
//! cannot apply it twice. It also chains a hash over every applied entry, which the checker
//! compares with the committed log (State Machine Safety).
//!
//! Commands of the key-value workload also carry an operation (see [`crate::kv`]), which the
//! machine applies to its store; a session then keeps the answer to the client's last command,
//! so that a retry of it is answered as the first application was, not applied again.
//!
//! Its snapshot image ([`StateMachine::image`]) is the whole machine: the applied index, the
//! chained hash (the checker's prefix hash at that index, so log matching and state machine
//! safety stay exact across compaction), the client session table, and, once the key-value
//! store holds anything, the store and the sessions' kept answers.

use std::collections::BTreeMap;

use raftsim_raft::PAYLOAD_INLINE_BYTES;

use crate::raft_under_test::{EntryData, Index, LogEntry, Membership, Payload, Snapshot, Term};
use smallvec::SmallVec;

use crate::hash::chain_entry;
use crate::kv::{self, KvOutput, Reader, Store};

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// A no-op entry.
    Noop,
    /// A command applied for the first time, with the key-value store's answer if it carried
    /// an operation.
    Command(CommandId, Option<KvOutput>),
    /// A command already applied earlier (a retry): skipped, with the answer its first
    /// application gave if it is the client's latest command and carried an operation.
    Duplicate(CommandId, Option<KvOutput>),
}

/// One server's state machine. Volatile: a crash loses it, and a restart rebuilds it from the
/// disk's snapshot and by re-applying the committed log after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateMachine {
    /// Index of the last applied entry. The Raft under test hands entries out in index order;
    /// if it does not, the chained hash shows it to the checker.
    applied_index: Index,
    /// Term of the last applied entry (of the snapshot's last entry, after a restore).
    applied_term: Term,
    /// Chained hash of every applied entry.
    applied_hash: u64,
    /// Highest sequence number applied per client.
    sessions: BTreeMap<u32, u64>,
    /// The key-value store (empty outside the key-value workload).
    store: Store,
    /// Per client, the answer to its highest applied command, if that carried an operation.
    answers: BTreeMap<u32, KvOutput>,
    /// The configuration of the last configuration entry applied (or of the snapshot restored);
    /// `None` while it is still the cluster's first.
    membership: Option<Membership>,
}

impl StateMachine {
    /// Applies `entry`, which must be the next index. Returns what it did.
    pub fn apply(&mut self, entry: &LogEntry) -> Applied {
        self.apply_with(entry, true)
    }

    /// Applies `entry`; without `dedup` (the `no-session-dedup` bug), a retried command is
    /// applied again instead of being answered from its client's session.
    pub fn apply_with(&mut self, entry: &LogEntry, dedup: bool) -> Applied {
        self.applied_index = entry.index;
        self.applied_term = entry.term;
        self.applied_hash = chain_entry(self.applied_hash, entry);
        if let EntryData::Config(membership) = &entry.data {
            self.membership = Some(Membership::clone(membership));
        }
        let EntryData::Command(payload) = &entry.data else { return Applied::Noop };
        let Some(id) = CommandId::parse(payload) else { return Applied::Noop };
        let last = self.sessions.entry(id.client).or_insert(0);
        if dedup && id.sequence <= *last {
            let answer = (id.sequence == *last).then(|| self.answers.get(&id.client).cloned());
            return Applied::Duplicate(id, answer.flatten());
        }
        *last = (*last).max(id.sequence);
        let Some(input) = kv::decode_input(&payload[COMMAND_ID_BYTES..]) else {
            return Applied::Command(id, None);
        };
        let answer = kv::apply(&mut self.store, &input);
        self.answers.insert(id.client, answer.clone());
        Applied::Command(id, Some(answer))
    }

    /// The key-value store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Index of the last applied entry.
    pub fn applied_index(&self) -> Index {
        self.applied_index
    }

    /// Chained hash of the applied entries.
    pub fn applied_hash(&self) -> u64 {
        self.applied_hash
    }

    /// A snapshot of everything applied, with the configuration in effect at its index (the
    /// cluster's first, `initial`, if no configuration entry was applied).
    pub fn snapshot(&self, initial: &Membership) -> Snapshot {
        Snapshot {
            index: self.applied_index,
            term: self.applied_term,
            data: self.image(),
            membership: self.membership.clone().unwrap_or_else(|| initial.clone()),
        }
    }

    /// The machine as bytes: applied index, chained hash, then each session as (client, last
    /// sequence), all little-endian.
    pub fn image(&self) -> Vec<u8> {
        let mut image = Vec::with_capacity(IMAGE_HEADER_BYTES + self.sessions.len() * 12);
        image.extend_from_slice(&self.applied_index.to_le_bytes());
        image.extend_from_slice(&self.applied_hash.to_le_bytes());
        image.extend_from_slice(&(self.sessions.len() as u32).to_le_bytes());
        for (client, sequence) in &self.sessions {
            image.extend_from_slice(&client.to_le_bytes());
            image.extend_from_slice(&sequence.to_le_bytes());
        }
        if !self.store.is_empty() || !self.answers.is_empty() {
            // Only the key-value workload adds this part, so other runs' images (and the
            // frames that carry them) stay as they were.
            image.extend_from_slice(kv::MARKER);
            image.extend_from_slice(&(self.store.len() as u32).to_le_bytes());
            for (key, value) in &self.store {
                image.extend_from_slice(&key.to_le_bytes());
                kv::encode_value(value, &mut image);
            }
            image.extend_from_slice(&(self.answers.len() as u32).to_le_bytes());
            for (client, answer) in &self.answers {
                image.extend_from_slice(&client.to_le_bytes());
                kv::encode_output(answer, &mut image);
            }
        }
        image
    }

    /// The machine a snapshot holds, or why its image is not one this simulator made.
    pub fn restore(snapshot: &Snapshot) -> Result<StateMachine, String> {
        let image = &snapshot.data;
        let (index, hash) = image_position(image)
            .ok_or_else(|| format!("a snapshot image of {} bytes is truncated", image.len()))?;
        if index != snapshot.index {
            return Err(format!(
                "the snapshot at index {} holds the state machine at index {index}",
                snapshot.index
            ));
        }
        let count = u32::from_le_bytes(image[16..20].try_into().expect("4 bytes")) as usize;
        let mut reader = Reader(&image[IMAGE_HEADER_BYTES..]);
        let damaged = || format!("a snapshot image's session table is not {count} sessions");
        if reader.0.len() < count.saturating_mul(12) {
            return Err(damaged());
        }
        let mut sessions = BTreeMap::new();
        for _ in 0..count {
            let client = reader.u32().ok_or_else(damaged)?;
            sessions.insert(client, reader.u64().ok_or_else(damaged)?);
        }
        let (store, answers) = match reader.0 {
            [] => Default::default(),
            _ => read_key_value_part(&mut reader)
                .filter(|_| reader.0.is_empty())
                .ok_or("a snapshot image's key-value store is damaged")?,
        };
        Ok(StateMachine {
            applied_index: index,
            applied_term: snapshot.term,
            applied_hash: hash,
            sessions,
            store,
            answers,
            membership: Some(snapshot.membership.clone()),
        })
    }
}

/// The store and kept answers of an image, after its sessions.
fn read_key_value_part(reader: &mut Reader) -> Option<(Store, BTreeMap<u32, KvOutput>)> {
    reader.0 = reader.0.strip_prefix(kv::MARKER)?;
    let mut store = Store::new();
    for _ in 0..reader.u32()? {
        let key = reader.u32()?;
        store.insert(key, reader.value()?);
    }
    let mut answers = BTreeMap::new();
    for _ in 0..reader.u32()? {
        let client = reader.u32()?;
        answers.insert(client, reader.output()?);
    }
    Some((store, answers))
}

/// Bytes of an image before its sessions.
const IMAGE_HEADER_BYTES: usize = 20;

/// The applied index and chained hash an image records, if it is long enough to record them.
pub fn image_position(image: &[u8]) -> Option<(Index, u64)> {
    if image.len() < IMAGE_HEADER_BYTES {
        return None;
    }
    let index = u64::from_le_bytes(image[..8].try_into().ok()?);
    let hash = u64::from_le_bytes(image[8..16].try_into().ok()?);
    Some((index, hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::KvInput;

    fn entry(index: Index, client: u32, sequence: u64) -> LogEntry {
        let data = EntryData::Command(CommandId { client, sequence }.payload(16));
        LogEntry { index, term: 1, data }
    }

    #[test]
    fn commands_apply_exactly_once() {
        let mut machine = StateMachine::default();
        let id = CommandId { client: 7, sequence: 1 };
        assert_eq!(machine.apply(&entry(1, 7, 1)), Applied::Command(id, None));
        assert_eq!(machine.apply(&entry(2, 7, 1)), Applied::Duplicate(id, None));
        assert_eq!(
            machine.apply(&entry(3, 7, 2)),
            Applied::Command(CommandId { client: 7, sequence: 2 }, None)
        );
        assert_eq!(
            machine.apply(&LogEntry { index: 4, term: 1, data: EntryData::Empty }),
            Applied::Noop
        );
        assert_eq!(machine.applied_index(), 4);
    }

    #[test]
    fn a_snapshot_restores_the_whole_machine() {
        let mut machine = StateMachine::default();
        machine.apply(&entry(1, 7, 1));
        machine.apply(&entry(2, 9, 4));
        let initial = Membership::of_voters(&[1, 2, 3]);
        let snapshot = machine.snapshot(&initial);
        assert_eq!((snapshot.index, snapshot.term), (2, 1));
        let mut restored = StateMachine::restore(&snapshot).unwrap();
        // The restored machine knows the configuration it was restored with.
        assert_eq!(restored, StateMachine { membership: Some(initial), ..machine.clone() });
        assert_eq!(image_position(&snapshot.data), Some((2, machine.applied_hash())));
        assert_eq!(
            restored.apply(&entry(3, 9, 4)),
            Applied::Duplicate(CommandId { client: 9, sequence: 4 }, None),
            "the session table came along"
        );
        let mislabelled = Snapshot { index: 5, ..snapshot.clone() };
        assert!(StateMachine::restore(&mislabelled).unwrap_err().contains("at index 2"));
        let truncated = Snapshot { data: snapshot.data[..25].to_vec(), ..snapshot };
        assert!(StateMachine::restore(&truncated).is_err());
    }

    fn kv_entry(index: Index, client: u32, sequence: u64, input: &KvInput) -> LogEntry {
        let mut payload = CommandId { client, sequence }.payload(0).to_vec();
        kv::encode_input(input, &mut payload);
        LogEntry { index, term: 1, data: EntryData::Command(Payload::from_slice(&payload)) }
    }

    #[test]
    fn key_value_commands_apply_once_and_a_retry_gets_the_first_answer() {
        let mut machine = StateMachine::default();
        let put = KvInput::Put { key: 1, value: vec![5] };
        let cas = KvInput::Cas { key: 1, expected: Some(vec![5]), new: vec![6] };
        let id = |sequence| CommandId { client: 2, sequence };
        assert_eq!(
            machine.apply(&kv_entry(1, 2, 1, &put)),
            Applied::Command(id(1), Some(KvOutput::Put))
        );
        let swapped = Some(KvOutput::Cas { swapped: true });
        assert_eq!(
            machine.apply(&kv_entry(2, 2, 2, &cas)),
            Applied::Command(id(2), swapped.clone())
        );
        // The retried compare-and-swap would fail now; its client hears the first answer.
        assert_eq!(machine.apply(&kv_entry(3, 2, 2, &cas)), Applied::Duplicate(id(2), swapped));
        assert_eq!(machine.apply(&kv_entry(4, 2, 1, &put)), Applied::Duplicate(id(1), None));
        assert_eq!(machine.store().get(&1), Some(&vec![6]));
        let get = KvInput::Get { key: 1 };
        assert_eq!(
            machine.apply(&kv_entry(5, 3, 1, &get)),
            Applied::Command(
                CommandId { client: 3, sequence: 1 },
                Some(KvOutput::Get { value: Some(vec![6]) })
            )
        );
    }

    #[test]
    fn a_snapshot_keeps_the_store_and_the_answers() {
        let mut machine = StateMachine::default();
        machine.apply(&kv_entry(1, 2, 1, &KvInput::Append { key: 4, value: vec![1, 2] }));
        machine.apply(&kv_entry(2, 3, 1, &KvInput::Cas { key: 9, expected: None, new: vec![] }));
        let snapshot = machine.snapshot(&Membership::default());
        let mut restored = StateMachine::restore(&snapshot).unwrap();
        assert_eq!(restored, StateMachine { membership: Some(Membership::default()), ..machine });
        assert_eq!(
            restored.apply(&kv_entry(
                3,
                3,
                1,
                &KvInput::Cas { key: 9, expected: None, new: vec![] }
            )),
            Applied::Duplicate(
                CommandId { client: 3, sequence: 1 },
                Some(KvOutput::Cas { swapped: true })
            )
        );
        for cut in [snapshot.data.len() - 1, snapshot.data.len() - 6, 40] {
            let damaged = Snapshot { data: snapshot.data[..cut].to_vec(), ..snapshot.clone() };
            assert!(StateMachine::restore(&damaged).is_err(), "cut at {cut}");
        }
        let mut longer = snapshot.clone();
        longer.data.push(0);
        assert!(StateMachine::restore(&longer).is_err());
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
