//! The one plug between the simulator and a Raft: the [`RaftUnderTest`] trait, and the plain
//! vocabulary it speaks.
//!
//! The simulator meets a Raft only here. Everything it needs from one is what every Raft has:
//! boot from what its disk holds, tick, step a message, propose a command, hand out its output
//! (what to write, what to send now, what to send once the write is durable, what to apply),
//! take a persistence acknowledgement, encode and decode its messages, say what a message is,
//! and report an observation of itself. The disk, the network, the faults and the checker stay
//! on the simulator's side: an implementation never sees them, and nothing here mentions one
//! implementation's types or its injectable bugs.
//!
//! The shape follows tikv raft-rs's `RawNode` → `Ready` → `advance`/`on_persist_ready`, and
//! etcd's `Ready`/`Advance`: output is taken, the write is made durable by the simulator's disk
//! (at once, or after a drawn fsync latency), and the node is told so with
//! [`RaftUnderTest::on_persisted`]. Snapshots travel in the same write ([`WriteBatch::snapshot`])
//! and boot from the same image ([`DiskImage::snapshot`]): the simulator's state machine takes
//! a snapshot every so many applied entries and hands it over with [`RaftUnderTest::compact`],
//! and a snapshot the implementation installs from its leader comes back in a write marked
//! [`WriteBatch::snapshot_installed`], from which the state machine restores.
//!
//! [`raftsim`] implements the trait for this repository's Raft; `crates/raftrs` does it for
//! tikv's raft-rs.

pub mod raftsim;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use raftsim_raft::Payload;

/// Identifies a server; `0` means none.
pub type NodeId = u64;
/// A Raft term.
pub type Term = u64;
/// A log position; the first entry has index 1.
pub type Index = u64;
/// Identifies one write an implementation handed out, in increasing order.
pub type WriteId = u64;

/// Everything a server is told when it boots: who it is, who the voters are, and the timing and
/// limits the scenario chose. Times are in ticks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSetup {
    /// This server's id.
    pub id: NodeId,
    /// The voters of the cluster's first configuration, this server included, ascending; empty
    /// for a server that joins a running cluster (a spare, or a new incarnation on a wiped
    /// disk), which learns the configuration from a leader once it is added.
    pub voters: Vec<NodeId>,
    /// Every server the run may ever hold, ascending: the ids that may appear on the wire.
    pub servers: Vec<NodeId>,
    /// Shortest election timeout.
    pub election_timeout_ticks_min: u32,
    /// Longest election timeout.
    pub election_timeout_ticks_max: u32,
    /// A leader's heartbeat interval.
    pub heartbeat_interval_ticks: u32,
    /// Unacknowledged appends a leader may have in flight per follower.
    pub max_inflight_messages: u32,
    /// Entries per append.
    pub max_entries_per_message: u32,
    /// Entry bytes per append.
    pub max_bytes_per_message: u32,
    /// Uncommitted entries a leader accepts before refusing proposals.
    pub max_uncommitted_entries: u32,
    /// PreVote on (thesis §9.6).
    pub pre_vote: bool,
    /// CheckQuorum on (thesis §6.2).
    pub check_quorum: bool,
    /// Whether clients may ask for lease reads ([`ReadKind::Lease`]). An implementation that
    /// keeps leases may have to behave differently from its first tick (a restarted server
    /// must not vote at once), so it is told at boot.
    pub lease_reads: bool,
    /// Virtual time between two ticks of a clock that runs at its normal rate.
    pub tick_us: u64,
    /// How fast or slow any server's clock may run, as the slowest and the fastest tick
    /// interval in percent of the normal one (100 and 100 when clocks never drift): the
    /// bound a lease must hold under (thesis §6.4.1). [`RaftUnderTest::clock`] and
    /// [`RaftUnderTest::tick`] both run at the server's own rate.
    pub tick_percent_bounds: (u32, u32),
    /// Seed for whatever randomness the implementation needs (election timeouts): a fresh one
    /// for each incarnation of the server, drawn from the run's seed.
    pub seed: u64,
}

/// Figure 2's persistent state, plus the commit index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardState {
    /// Latest term the server has seen.
    pub term: Term,
    /// Whom it voted for in `term`.
    pub vote: Option<NodeId>,
    /// Highest index it knows committed.
    pub commit: Index,
}

/// What an entry carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryData {
    /// No command: a new leader's first entry, or any entry without a payload.
    Empty,
    /// A command for the state machine.
    Command(Payload),
    /// A new configuration, in effect from the moment the entry is in a log; the state machine
    /// applies it as a no-op. Boxed, so that other entries do not carry its size.
    Config(Box<Membership>),
}

/// A cluster configuration: the voters, the voters being left while joint, and the learners,
/// each list ascending. It is what the checker judges quorums against (see
/// [`RaftUnderTest::change_membership`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    /// The (incoming) voters.
    pub voters: Vec<NodeId>,
    /// While joint, the outgoing voters; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outgoing: Vec<NodeId>,
    /// Servers that receive the log and do not vote.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learners: Vec<NodeId>,
}

impl Membership {
    /// No configuration at all.
    pub const EMPTY: Membership =
        Membership { voters: Vec::new(), outgoing: Vec::new(), learners: Vec::new() };

    /// The voters `voters` alone.
    pub fn of_voters(voters: &[NodeId]) -> Membership {
        Membership { voters: voters.to_vec(), outgoing: Vec::new(), learners: Vec::new() }
    }

    /// Whether `node` votes in it (incoming or outgoing).
    pub fn is_voter(&self, node: NodeId) -> bool {
        self.voters.contains(&node) || self.outgoing.contains(&node)
    }

    /// Whether `node` is in it at all.
    pub fn contains(&self, node: NodeId) -> bool {
        self.is_voter(node) || self.learners.contains(&node)
    }

    /// Every member, voters and learners, ascending, once each.
    pub fn members(&self) -> Vec<NodeId> {
        let mut members: Vec<NodeId> =
            self.voters.iter().chain(&self.outgoing).chain(&self.learners).copied().collect();
        members.sort_unstable();
        members.dedup();
        members
    }

    /// The configuration as bytes, for checksums and hashes: each list's length and ids, as
    /// little-endian `u64`s.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for list in [&self.voters, &self.outgoing, &self.learners] {
            bytes.extend_from_slice(&(list.len() as u64).to_le_bytes());
            for id in list {
                bytes.extend_from_slice(&id.to_le_bytes());
            }
        }
        bytes
    }

    /// The bit of `node` in a set of servers, as [`Membership::is_quorum`] takes one: bit
    /// `node - 1`.
    pub fn bit(node: NodeId) -> u64 {
        1 << (node - 1)
    }

    /// Whether the servers in `agreed` (see [`Membership::bit`]) make a quorum: a majority of
    /// the voters, and while joint of the outgoing voters too.
    pub fn is_quorum(&self, agreed: u64) -> bool {
        let majority = |voters: &[NodeId]| {
            let count =
                voters.iter().filter(|&&voter| agreed & Membership::bit(voter) != 0).count();
            count > voters.len() / 2
        };
        !self.voters.is_empty()
            && majority(&self.voters)
            && (self.outgoing.is_empty() || majority(&self.outgoing))
    }
}

impl std::fmt::Display for Membership {
    /// `voters [1, 2, 3]`, with `, leaving [..]` while joint and `, learners [..]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "voters {:?}", self.voters)?;
        if !self.outgoing.is_empty() {
            write!(f, ", leaving {:?}", self.outgoing)?;
        }
        if !self.learners.is_empty() {
            write!(f, ", learners {:?}", self.learners)?;
        }
        Ok(())
    }
}

/// One change a configuration change asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MembershipChange {
    /// Adds a server that receives the log and does not vote.
    AddLearner(NodeId),
    /// Makes a server a voter: a learner promoted, or a server added directly.
    AddVoter(NodeId),
    /// Removes a server, voter or learner.
    Remove(NodeId),
}

/// Why a server refused a configuration change.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ChangeError {
    /// It does not lead; the hint says who does, if it knows.
    #[error("not the leader (leader hint: {leader_hint:?})")]
    NotLeader {
        /// The leader, as far as this server knows.
        leader_hint: Option<NodeId>,
    },
    /// It leads, but cannot take a change now (one is under way, or it has not committed an
    /// entry of its term yet): ask again later.
    #[error("a change is under way")]
    Busy,
    /// The change does not fit the configuration in effect.
    #[error("invalid change: {0}")]
    Invalid(String),
    /// The implementation does not change its membership.
    #[error("membership changes are not supported")]
    Unsupported,
}

/// One log entry, as written to disk and applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// Its position.
    pub index: Index,
    /// The term of the leader that created it.
    pub term: Term,
    /// What it carries.
    pub data: EntryData,
}

impl LogEntry {
    /// Bytes it takes: a fixed header and its payload.
    pub fn size_bytes(&self) -> u64 {
        const HEADER_BYTES: u64 = 24;
        HEADER_BYTES
            + match &self.data {
                EntryData::Empty => 0,
                EntryData::Command(payload) => payload.len() as u64,
                EntryData::Config(membership) => {
                    8 * (membership.voters.len()
                        + membership.outgoing.len()
                        + membership.learners.len()) as u64
                }
            }
    }
}

/// A snapshot of the state machine at `index`, replacing every entry up to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Last index it covers.
    pub index: Index,
    /// Term of that entry.
    pub term: Term,
    /// The state machine's image, as the simulator made it.
    pub data: Vec<u8>,
    /// The configuration in effect at `index`. In a snapshot the simulator hands over
    /// ([`RaftUnderTest::compact`]) it is the configuration its state machine last applied;
    /// in one an implementation writes, it is what the implementation says, and the checker
    /// holds it to the committed configuration at `index`.
    pub membership: Membership,
}

/// What a server's disk holds, as the server reads it when it boots. A server with a snapshot
/// boots with its state machine restored from it: it hands out for applying only the committed
/// entries after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskImage {
    /// The last hard state written.
    pub hard_state: HardState,
    /// The latest snapshot, if any: the log starts after it.
    pub snapshot: Option<Snapshot>,
    /// The log after the snapshot (from index 1 without one), contiguous.
    pub entries: Vec<LogEntry>,
    /// Records the disk found corrupted when it was last read, and has not seen rewritten
    /// since: the log above ends before them. `None` on a sound disk (and always, unless the
    /// scenario corrupts disks at rest).
    pub damage: Option<LogDamage>,
}

/// Log records a server's disk found corrupted at boot, by their checksums. A torn tail (a
/// write cut short by a crash, never acknowledged) is truncated and is not damage; a record
/// that was synced may have been acknowledged to a leader and counted toward a quorum, so its
/// loss is reported here rather than silently taken as the end of the log (Alagappan et al.,
/// FAST '18). The image's log ends at `from - 1`.
///
/// The disk keeps reporting the damage at every boot until its durable log has been rewritten
/// past it: it reaches `through` again, or holds an entry of a term after `term` (one a leader
/// elected without this server's old log sent it). What a server must do meanwhile is its
/// implementation's business; raftsim's Raft neither votes nor campaigns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogDamage {
    /// The first corrupted record's index.
    pub from: Index,
    /// The log's last index when the damage was found: every record up to it may have been
    /// acknowledged.
    pub through: Index,
    /// The server's durable term when the damage was found: no entry it lost is of a later
    /// term.
    pub term: Term,
}

/// What a server does after its disk failed to make a write durable (fsync returned EIO).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterPersistFailure {
    /// Stop at once and restart from the disk: the only safe answer, since the failed fsync
    /// may have dropped the written data from the page cache, and a retry that succeeds says
    /// nothing about it (the PostgreSQL "fsyncgate" lesson, 2018).
    Stop,
    /// Retry the fsync and carry on as if it had worked: unsafe, simulated as Linux behaves —
    /// the retry succeeds, and the data the failed one covered is gone.
    CarryOn,
}

impl DiskImage {
    /// Index of the last entry (or of the snapshot, if the log after it is empty).
    pub fn last_index(&self) -> Index {
        match self.entries.last() {
            Some(entry) => entry.index,
            None => self.snapshot.as_ref().map_or(0, |snapshot| snapshot.index),
        }
    }
}

/// One write a server asks its disk to make, after every earlier one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteBatch {
    /// The write's id, to acknowledge it with; `None` when there is nothing to write.
    pub id: Option<WriteId>,
    /// A new hard state.
    pub hard_state: Option<HardState>,
    /// A snapshot replacing every durable entry up to its index, written before the entries.
    /// The durable entries after it stay, whatever they are, unless `log_from` replaces them: an
    /// implementation installing a snapshot its log does not continue must say so with
    /// `log_from = snapshot.index + 1`.
    pub snapshot: Option<Snapshot>,
    /// Whether `snapshot` came from the leader rather than from [`RaftUnderTest::compact`]: the
    /// state machine restores from it, once it is durable, before applying `committed`.
    pub snapshot_installed: bool,
    /// If set, every entry from this index on is replaced by `entries`.
    pub log_from: Option<Index>,
    /// Entries from `log_from` on, contiguous; empty when only truncating.
    pub entries: Vec<LogEntry>,
}

impl WriteBatch {
    /// Empties it, keeping its allocation.
    pub fn clear(&mut self) {
        self.id = None;
        self.hard_state = None;
        self.snapshot = None;
        self.snapshot_installed = false;
        self.log_from = None;
        self.entries.clear();
    }
}

/// A server's output since it was last taken. The simulator writes `write` to the disk, sends
/// `messages` at once, sends `persisted_messages` once every write taken so far is durable, and
/// applies `committed` in order.
#[derive(Clone, Debug)]
pub struct Output<M> {
    /// What to make durable.
    pub write: WriteBatch,
    /// Messages that may leave at once.
    pub messages: Vec<M>,
    /// Messages that may leave only once every write handed out so far is durable.
    pub persisted_messages: Vec<M>,
    /// Committed entries to apply, in index order, each already durable on this server.
    pub committed: Vec<LogEntry>,
    /// Reads that may be answered once their index is applied (after `committed`).
    pub reads: Vec<ReadReady>,
}

impl<M> Default for Output<M> {
    fn default() -> Output<M> {
        Output {
            write: WriteBatch::default(),
            messages: Vec::new(),
            persisted_messages: Vec::new(),
            committed: Vec::new(),
            reads: Vec::new(),
        }
    }
}

impl<M> Output<M> {
    /// Empties it, keeping its allocations.
    pub fn clear(&mut self) {
        self.write.clear();
        self.messages.clear();
        self.persisted_messages.clear();
        self.committed.clear();
        self.reads.clear();
    }
}

/// A server's role, as it reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Follows a leader, or waits for one.
    Follower,
    /// Asks whether it could win before campaigning (PreVote).
    PreCandidate,
    /// Campaigns.
    Candidate,
    /// Leads.
    Leader,
}

impl Role {
    /// The role's name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre-candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// A running server's account of itself. The checker uses it only where nothing better exists
/// (who claims to lead, what a server says its commit index is): terms, votes and logs are
/// judged from the disk and the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Its role.
    pub role: Role,
    /// Its current term.
    pub term: Term,
    /// Its vote in that term.
    pub vote: Option<NodeId>,
    /// Its commit index.
    pub commit_index: Index,
    /// The leader it follows (itself when leading), if known.
    pub leader: Option<NodeId>,
    /// Last index of its log in memory.
    pub last_index: Index,
}

/// What kind of message a message is, as far as the checker and the reports care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// A request for a vote (or, with `pre`, a PreVote request).
    VoteRequest {
        /// A PreVote: asks whether the sender could win, without a new term.
        pre: bool,
        /// The candidate's last log index, for the up-to-date check (§5.4.1).
        last_index: Index,
        /// The candidate's last log term.
        last_term: Term,
    },
    /// An answer to a vote request.
    VoteResponse {
        /// An answer to a PreVote request.
        pre: bool,
        /// Whether the vote is granted.
        granted: bool,
    },
    /// Entries (or none) from a leader.
    Append {
        /// Entries carried.
        entries: u32,
    },
    /// An answer to an append.
    AppendResponse {
        /// Whether the follower's log now matches.
        accepted: bool,
        /// The match index if accepted; the rejected previous index otherwise.
        index: Index,
    },
    /// A leader's heartbeat (where the implementation has a distinct one).
    Heartbeat,
    /// An answer to a heartbeat.
    HeartbeatResponse,
    /// A snapshot (or a chunk of one) from a leader.
    Snapshot,
    /// A follower's progress on receiving a snapshot.
    SnapshotResponse,
    /// A leader handing over leadership (TimeoutNow).
    TimeoutNow,
    /// Anything else (forwarded proposals, read requests, ...).
    Other,
}

impl MessageKind {
    /// Whether only a leader of the message's term can send it: a sender of one of these in
    /// term T is, by what it sent, the leader of T.
    pub fn is_from_leader(self) -> bool {
        matches!(
            self,
            MessageKind::Append { .. }
                | MessageKind::Heartbeat
                | MessageKind::Snapshot
                | MessageKind::TimeoutNow
        )
    }

    /// A short name for reports and timelines.
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::VoteRequest { pre: false, .. } => "vote-request",
            MessageKind::VoteRequest { pre: true, .. } => "prevote-request",
            MessageKind::VoteResponse { pre: false, .. } => "vote-response",
            MessageKind::VoteResponse { pre: true, .. } => "prevote-response",
            MessageKind::Append { .. } => "append",
            MessageKind::AppendResponse { .. } => "append-response",
            MessageKind::Heartbeat => "heartbeat",
            MessageKind::HeartbeatResponse => "heartbeat-response",
            MessageKind::Snapshot => "snapshot",
            MessageKind::SnapshotResponse => "snapshot-response",
            MessageKind::TimeoutNow => "timeout-now",
            MessageKind::Other => "other",
        }
    }
}

/// What the simulator reads off a message: who, to whom, in which term, and what kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageSummary {
    /// The sender.
    pub from: NodeId,
    /// The recipient.
    pub to: NodeId,
    /// The sender's term, as the message states it.
    pub term: Term,
    /// What kind of message.
    pub kind: MessageKind,
}

/// Identifies one read a server was asked to serve, chosen by the simulator.
pub type ReadId = u64;

/// How a server makes sure a read sees every write that completed before it was asked
/// (thesis §6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadKind {
    /// ReadIndex: the leader notes its commit index, once an entry of its term is committed,
    /// and confirms with a round of heartbeats that it still leads. A follower asks its leader
    /// for the index.
    ReadIndex,
    /// A lease: a leader that heard from a quorum recently enough that no other leader can
    /// have been elected since answers without a round, trusting clocks to drift no more than
    /// [`NodeSetup::tick_percent_bounds`]. Otherwise as [`ReadKind::ReadIndex`].
    Lease,
}

/// A read the server may now answer: once its state machine has applied `index`, what it holds
/// is what the read must see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadReady {
    /// The read, as the simulator named it.
    pub id: ReadId,
    /// The index the state machine must have applied first.
    pub index: Index,
}

/// Why a server refused a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ReadError {
    /// It knows of no leader to confirm the read with; the hint says who leads, if it knows.
    #[error("no leader to read from (leader hint: {leader_hint:?})")]
    NotLeader {
        /// The leader, as far as this server knows.
        leader_hint: Option<NodeId>,
    },
    /// It cannot take more reads now.
    #[error("busy")]
    Busy,
    /// The implementation serves no reads outside the log: reads go through it as commands.
    #[error("reads outside the log are not supported")]
    Unsupported,
}

/// Why a server refused a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ProposeError {
    /// It does not lead; the hint says who does, if it knows.
    #[error("not the leader (leader hint: {leader_hint:?})")]
    NotLeader {
        /// The leader, as far as this server knows.
        leader_hint: Option<NodeId>,
    },
    /// It leads, but will not take more now.
    #[error("the leader is busy")]
    Busy,
}

/// Why a decoded message was refused by the server it reached.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Why a frame did not decode.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// Why a server could not boot from its disk image.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct BootError(pub String);

/// A Raft server, without I/O, as the simulator drives it.
///
/// The simulator calls, after every input ([`tick`](Self::tick), [`step`](Self::step),
/// [`propose`](Self::propose), [`on_persisted`](Self::on_persisted)), [`take_output`](
/// Self::take_output) until [`has_output`](Self::has_output) is false, and then
/// [`observe`](Self::observe). Implementations must be deterministic: the same calls produce the
/// same output, with randomness drawn only from [`NodeSetup::seed`].
pub trait RaftUnderTest: Sized {
    /// A message, decoded.
    type Message;
    /// What the implementation needs beyond [`NodeSetup`], fixed for a whole run.
    type Tuning: Clone;

    /// Boots a server from what its disk holds (an empty image on first boot).
    fn boot(setup: &NodeSetup, tuning: &Self::Tuning, disk: &DiskImage) -> Result<Self, BootError>;

    /// One tick of its logical clock.
    fn tick(&mut self);

    /// A message arrived from a peer.
    fn step(&mut self, message: Self::Message) -> Result<(), Refused>;

    /// A client asks it to replicate `command`.
    fn propose(&mut self, command: Payload) -> Result<(), ProposeError>;

    /// A client asks it for a linearizable read, named `id`: once it may be answered, the id
    /// comes out in [`Output::reads`] with the index to apply first. A read that never comes
    /// out (the server lost leadership, the confirmation was lost) is simply not answered; the
    /// client retries elsewhere. An implementation without reads keeps the default, and the
    /// simulator sends its reads through the log.
    fn read(&mut self, id: ReadId, kind: ReadKind) -> Result<(), ReadError> {
        let _ = (id, kind);
        Err(ReadError::Unsupported)
    }

    /// Its local clock reads `local_us`: virtual time as this server's clock counts it, at the
    /// same rate as its ticks, monotonic for as long as it runs (a paused process's clock runs
    /// on). Told before every input when the scenario's clients read with leases; an
    /// implementation that does not keep leases by the clock keeps the default, which ignores
    /// it.
    fn clock(&mut self, local_us: u64) {
        let _ = local_us;
    }

    /// Whether [`take_output`](Self::take_output) would hand out anything.
    fn has_output(&self) -> bool;

    /// Whether the implementation changes its membership ([`Self::change_membership`]): the
    /// simulator runs membership scenarios only on one that does.
    const CHANGES_MEMBERSHIP: bool = false;

    /// The operator asks this server, if it leads, to change the configuration by `changes`:
    /// through a joint configuration if `joint` is set or more than one voter changes (the
    /// implementation leaves it by itself once it is committed), as one plain change
    /// otherwise. The change is a [`EntryData::Config`] entry carrying the configuration it
    /// leads to, which takes effect as soon as it is in a server's log (thesis §4.1): the
    /// checker judges every entry's commitment, and every election, by the configuration in
    /// effect in the log that holds it.
    fn change_membership(
        &mut self,
        changes: &[MembershipChange],
        joint: bool,
    ) -> Result<(), ChangeError> {
        let _ = (changes, joint);
        Err(ChangeError::Unsupported)
    }

    /// The operator asks this server, if it leads, to hand leadership over to `target`.
    /// Returns whether it took the request; an implementation without leadership transfer
    /// keeps the default, which declines.
    fn transfer_leadership(&mut self, target: NodeId) -> bool {
        let _ = target;
        false
    }

    /// Hands out its output into `out` (cleared first).
    fn take_output(&mut self, out: &mut Output<Self::Message>);

    /// Every write up to `write` is durable.
    fn on_persisted(&mut self, write: WriteId);

    /// The disk failed the fsync covering the writes up to `write` (EIO): what they held may
    /// or may not be on the disk. The default, and the only safe answer, is to stop.
    fn on_persist_failed(&mut self, write: WriteId) -> AfterPersistFailure {
        let _ = write;
        AfterPersistFailure::Stop
    }

    /// Whether the implementation boots safely from a damaged log ([`DiskImage::damage`]).
    /// The simulator corrupts disks at rest only for one that does.
    const REPAIRS_DAMAGED_LOG: bool = false;

    /// The state machine took `snapshot` of everything it applied, up to `snapshot.index`: the
    /// implementation may compact its log behind it (persisting the snapshot through its next
    /// write), and sends it to followers that need compacted entries. An implementation without
    /// snapshots keeps the default, which ignores it.
    fn compact(&mut self, snapshot: Snapshot) {
        let _ = snapshot;
    }

    /// Its account of itself.
    fn observe(&self) -> Observation;

    /// Encodes `message` into `frame` (cleared first): a checksummed frame, so that the
    /// receiver can refuse one damaged in transit.
    fn encode(&self, message: &Self::Message, frame: &mut Vec<u8>);

    /// Decodes a frame that reached this server, refusing a damaged or foreign one.
    fn decode(&self, frame: &[u8]) -> Result<Self::Message, DecodeError>;

    /// What `message` is.
    fn summarize(message: &Self::Message) -> MessageSummary;

    /// A one-line description of `message`, for timelines.
    fn describe(message: &Self::Message) -> String;

    /// Rewrites part of a frame's message at the bits `flip` chooses (bit positions within the
    /// payload, which is `payload_bytes` long) and reseals it, so that it still passes its
    /// checksum: the `tamper` fault, outside Raft's fault model. Returns false if the
    /// implementation's frames cannot be resealed; the frame is then left alone.
    fn tamper(frame: &mut [u8], flip: &mut dyn FnMut(usize) -> Vec<usize>) -> bool {
        let _ = (frame, flip);
        false
    }
}

/// [`RaftUnderTest::tamper`] for frames laid out `[length: u32][crc32c: u32][payload]`, the
/// layout of both built-in implementations.
pub fn tamper_checksummed_frame(
    frame: &mut [u8],
    flip: &mut dyn FnMut(usize) -> Vec<usize>,
) -> bool {
    const HEADER_BYTES: usize = 8;
    if frame.len() <= HEADER_BYTES {
        return false;
    }
    let payload = &mut frame[HEADER_BYTES..];
    for bit in flip(payload.len()) {
        payload[bit / 8] ^= 1 << (bit % 8);
    }
    let checksum = crc32c::crc32c(&frame[HEADER_BYTES..]);
    frame[4..8].copy_from_slice(&checksum.to_le_bytes());
    true
}
