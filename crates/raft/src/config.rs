//! A server's configuration: who it is, who its peers are, its timing and its limits.

use thiserror::Error;

use crate::{Bugs, LeaseClock, NODE_ID_MAX, NodeId};

/// Largest cluster a [`crate::Node`] supports: vote tallies are 32-bit sets.
pub const VOTERS_MAX: usize = 32;

/// Everything a [`crate::Node`] needs to know before it starts. Times are in ticks: the node has
/// no clock, so its driver decides how long a tick is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// This server's id, from 1 to [`NODE_ID_MAX`].
    pub id: NodeId,
    /// The voters of the cluster's first configuration, this server included; empty for a
    /// server that joins an existing cluster, which learns the configuration from its leader
    /// (a server's disk, once it holds a snapshot or a configuration entry, overrides this).
    pub voters: Vec<NodeId>,
    /// Shortest election timeout. A follower that hears from no leader for a timeout drawn
    /// uniformly from `[min, max]` starts an election; randomness breaks split votes (§5.2).
    pub election_timeout_ticks_min: u32,
    /// Longest election timeout; see `election_timeout_ticks_min`.
    pub election_timeout_ticks_max: u32,
    /// A leader sends heartbeats (and retransmits) this often; well below the election timeout.
    pub heartbeat_interval_ticks: u32,
    /// Appends a leader may have unacknowledged per follower before it waits (pipelining bound).
    pub max_inflight_messages: usize,
    /// Most entries in one AppendEntries.
    pub max_entries_per_message: usize,
    /// Most entry bytes in one AppendEntries (a single larger entry is still sent alone).
    pub max_bytes_per_message: usize,
    /// Most entries a leader holds beyond its commit index before refusing proposals: the bound
    /// that keeps a leader cut off from its quorum from growing its log without limit.
    pub max_uncommitted_entries: usize,
    /// PreVote (thesis §9.6): before campaigning, ask whether a majority would vote, without
    /// raising the term; and refuse such a request while a leader was heard within the shortest
    /// election timeout. A server cut off from the cluster then cannot inflate its term and
    /// depose a healthy leader when it comes back.
    pub pre_vote: bool,
    /// CheckQuorum (thesis §6.2): a leader that has not heard from a majority within the
    /// shortest election timeout steps down; and while a server hears from its leader it
    /// disregards vote requests of higher terms (except for a leadership transfer).
    pub check_quorum: bool,
    /// Lease reads (thesis §6.4.1), with what the node knows of clocks; `None` answers lease
    /// reads by ReadIndex. Needs `check_quorum`, on which the lease rests: without it, a
    /// lease is ignored.
    pub lease: Option<LeaseClock>,
    /// Seed of the node's private ChaCha stream, from which its election timeouts are drawn.
    pub seed: u64,
    /// Deliberately broken rules; empty for correct Raft.
    pub bugs: Bugs,
}

impl Config {
    /// A configuration with the usual timing and limits for server `id` of `voters`: the
    /// paper's Raft, with PreVote and CheckQuorum off (as in etcd and raft-rs; turn both on in
    /// production).
    pub fn new(id: NodeId, voters: Vec<NodeId>) -> Config {
        Config {
            id,
            voters,
            election_timeout_ticks_min: 10,
            election_timeout_ticks_max: 20,
            heartbeat_interval_ticks: 2,
            max_inflight_messages: 64,
            max_entries_per_message: 64,
            max_bytes_per_message: 64 * 1024,
            max_uncommitted_entries: 4096,
            pre_vote: false,
            check_quorum: false,
            lease: None,
            seed: 0,
            bugs: Bugs::NONE,
        }
    }

    /// Checks every field; a [`crate::Node`] is only ever built from a valid configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut voters = self.voters.clone();
        voters.sort_unstable();
        voters.dedup();
        if voters.len() != self.voters.len() {
            return Err(ConfigError::DuplicateVoter);
        }
        if voters.len() > VOTERS_MAX {
            return Err(ConfigError::VoterCount { count: voters.len() });
        }
        if self.id == 0 || voters.contains(&0) {
            return Err(ConfigError::ReservedId);
        }
        if let Some(&id) = voters.iter().chain([&self.id]).find(|&&id| id > NODE_ID_MAX) {
            return Err(ConfigError::IdTooLarge { id });
        }
        if !voters.is_empty() && !voters.contains(&self.id) {
            return Err(ConfigError::NotAVoter { id: self.id });
        }
        if self.election_timeout_ticks_min == 0
            || self.election_timeout_ticks_min > self.election_timeout_ticks_max
        {
            return Err(ConfigError::ElectionTimeout {
                min: self.election_timeout_ticks_min,
                max: self.election_timeout_ticks_max,
            });
        }
        if self.heartbeat_interval_ticks == 0
            || self.heartbeat_interval_ticks >= self.election_timeout_ticks_min
        {
            return Err(ConfigError::HeartbeatInterval { ticks: self.heartbeat_interval_ticks });
        }
        for (name, value) in [
            ("max_inflight_messages", self.max_inflight_messages),
            ("max_entries_per_message", self.max_entries_per_message),
            ("max_bytes_per_message", self.max_bytes_per_message),
            ("max_uncommitted_entries", self.max_uncommitted_entries),
        ] {
            if value == 0 {
                return Err(ConfigError::ZeroLimit { name });
            }
        }
        Ok(())
    }
}

/// Why a [`Config`] is not usable.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// The same id appears twice among the voters.
    #[error("a voter is listed twice")]
    DuplicateVoter,
    /// Too many voters.
    #[error("{count} voters; a cluster has at most {VOTERS_MAX}")]
    VoterCount {
        /// Voters given.
        count: usize,
    },
    /// Id 0 is reserved for "no node".
    #[error("node id 0 is reserved")]
    ReservedId,
    /// An id is beyond [`NODE_ID_MAX`].
    #[error("node id {id} is beyond {NODE_ID_MAX}")]
    IdTooLarge {
        /// The id.
        id: NodeId,
    },
    /// The server is not among the voters (which are not empty: it does not join).
    #[error("node {id} is not among the voters")]
    NotAVoter {
        /// The server's id.
        id: NodeId,
    },
    /// The election timeout range is empty or starts at zero.
    #[error("election timeout range {min}..={max} ticks is invalid")]
    ElectionTimeout {
        /// Lower bound given.
        min: u32,
        /// Upper bound given.
        max: u32,
    },
    /// The heartbeat interval is zero or not below the election timeout.
    #[error("heartbeat interval of {ticks} ticks must be positive and below the election timeout")]
    HeartbeatInterval {
        /// Interval given.
        ticks: u32,
    },
    /// A limit is zero, which would stop all progress.
    #[error("{name} must be positive")]
    ZeroLimit {
        /// The field.
        name: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        assert_eq!(Config::new(1, vec![1, 2, 3]).validate(), Ok(()));
    }

    #[test]
    fn rejects_bad_configs() {
        let base = Config::new(1, vec![1, 2, 3]);
        let cases = [
            (Config { voters: vec![1, 1], ..base.clone() }, ConfigError::DuplicateVoter),
            (Config { id: 4, ..base.clone() }, ConfigError::NotAVoter { id: 4 }),
            (Config { voters: vec![0, 1], ..base.clone() }, ConfigError::ReservedId),
            (
                Config {
                    election_timeout_ticks_min: 5,
                    election_timeout_ticks_max: 4,
                    ..base.clone()
                },
                ConfigError::ElectionTimeout { min: 5, max: 4 },
            ),
            (
                Config { heartbeat_interval_ticks: 10, ..base.clone() },
                ConfigError::HeartbeatInterval { ticks: 10 },
            ),
            (
                Config { max_inflight_messages: 0, ..base.clone() },
                ConfigError::ZeroLimit { name: "max_inflight_messages" },
            ),
        ];
        for (config, error) in cases {
            assert_eq!(config.validate(), Err(error));
        }
    }
}
