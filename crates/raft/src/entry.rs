//! Log entries: the unit that Raft replicates and that the state machine applies.

use serde::{Deserialize, Serialize};

use crate::{Index, Membership, Payload, Term};

/// One log entry. Its `(index, term)` pair identifies it uniquely across the cluster: by the Log
/// Matching property two entries with the same index and term carry the same data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the log, starting at 1.
    pub index: Index,
    /// Term of the leader that created the entry.
    pub term: Term,
    /// What the entry carries.
    pub data: EntryData,
}

/// The payload of an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryData {
    /// Appended by every new leader at the start of its term so that it can commit (and learn
    /// the commit point of) entries from earlier terms, which it may not commit by counting
    /// replicas alone (the paper's Figure 8 and §5.4.2).
    Noop,
    /// An opaque command for the replicated state machine.
    Command(Payload),
    /// A new configuration (see [`EntryData::config`]), in effect from the moment it is in a
    /// log (thesis §4.1). Kept encoded, in the same shape as a command: configuration entries
    /// are rare, and a variant of another shape would cost every entry's copy and drop on the
    /// hot path.
    Config(Payload),
}

impl EntryData {
    /// The entry data of a configuration entry for `membership`.
    pub fn config(membership: &Membership) -> EntryData {
        EntryData::Config(membership.encode())
    }

    /// The configuration a configuration entry carries; `None` for any other entry, or for
    /// bytes that are not a well-formed configuration (which a well-formed message never
    /// carries).
    pub fn membership(&self) -> Option<Membership> {
        match self {
            EntryData::Config(bytes) => Membership::decode(bytes),
            EntryData::Noop | EntryData::Command(_) => None,
        }
    }
}

impl Entry {
    /// Bytes this entry adds to a message, for the per-message byte limit. An estimate of the
    /// encoded size that is cheap to compute and never smaller than the payload.
    pub fn size_bytes(&self) -> usize {
        const HEADER_BYTES: usize = 16;
        HEADER_BYTES
            + match &self.data {
                EntryData::Noop => 0,
                EntryData::Command(bytes) | EntryData::Config(bytes) => bytes.len(),
            }
    }
}
