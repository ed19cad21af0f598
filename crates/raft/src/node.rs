//! One server's protocol state and its inputs: `tick`, `step`, `propose`; and its output, `ready`.

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use thiserror::Error;

use crate::held_appends::HeldAppends;
use crate::membership::{Configurations, IdSet};
use crate::read::{LeaderReads, ReadState};
use crate::snapshot::IncomingSnapshot;
use crate::{
    AfterPersistFailure, Bug, Config, ConfigError, DurableState, Entry, EntryData, Envelope,
    HardState, Index, Log, LogDamage, Membership, Message, NODE_ID_MAX, NodeId, Payload, Progress,
    Ready, Snapshot, Term, WriteId,
};

/// A server's role, with the state only that role has (§5.1). Leader-only state cannot be
/// touched by a follower because it does not exist outside the `Leader` variant.
#[derive(Clone, Debug)]
pub(crate) enum Role {
    Follower {
        /// The leader of the current term, once heard from.
        leader: Option<NodeId>,
    },
    /// Asks whether it could win (PreVote), still in its old term.
    PreCandidate {
        /// Voters that granted, as a bit set by id.
        granted: IdSet,
        /// Voters that answered at all, as a bit set by id.
        answered: IdSet,
    },
    Candidate {
        /// Voters that granted their vote, as a bit set by id.
        granted: IdSet,
        /// Voters that answered at all, as a bit set by id: the others get the request again.
        answered: IdSet,
        /// Campaigning because the leader handed over (TimeoutNow).
        transfer: bool,
    },
    Leader(Leadership),
}

/// A leader's state: one [`Progress`] per member of its configuration, itself included.
#[derive(Clone, Debug)]
pub(crate) struct Leadership {
    /// One per member and the leader itself, by ascending node id; rebuilt when the
    /// configuration changes.
    pub(crate) progress: Vec<Progress>,
    pub(crate) heartbeat_elapsed: u32,
    /// Ticks since CheckQuorum last counted the followers heard from.
    pub(crate) quorum_elapsed: u32,
    /// A leadership transfer under way.
    pub(crate) transfer: Option<Transfer>,
    /// Reads waiting for confirmation, and the lease.
    pub(crate) reads: LeaderReads,
}

impl Leadership {
    /// Position of `node` in `progress`.
    pub(crate) fn position(&self, node: NodeId) -> Option<usize> {
        self.progress.binary_search_by_key(&node, |progress| progress.node).ok()
    }
}

/// A leadership transfer: the leader brings `target` up to date, then tells it to campaign.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transfer {
    pub(crate) target: NodeId,
    /// Ticks since it began: it is abandoned after the shortest election timeout.
    pub(crate) elapsed: u32,
    /// Whether TimeoutNow has left.
    pub(crate) sent: bool,
}

/// The role, as callers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleKind {
    /// Follows a leader, or waits for one.
    Follower,
    /// Is asking whether it could win an election (PreVote), without a new term yet.
    PreCandidate,
    /// Is asking for votes.
    Candidate,
    /// Replicates its log to the others.
    Leader,
}

/// Why a proposal was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ProposeError {
    /// Only the leader accepts proposals; the hint says who the leader is, if known.
    #[error("not the leader (leader hint: {leader_hint:?})")]
    NotLeader {
        /// The current leader, as far as this server knows.
        leader_hint: Option<NodeId>,
    },
    /// The leader already holds `Config::max_uncommitted_entries` uncommitted entries.
    #[error("too many uncommitted entries")]
    Overloaded,
    /// The leader is handing its leadership over and takes no new entries meanwhile.
    #[error("leadership transfer in progress")]
    Transferring,
}

/// Why a leadership transfer was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum TransferError {
    /// Only the leader can hand leadership over.
    #[error("not the leader")]
    NotLeader,
    /// The target is this server, or not a voter.
    #[error("node {target} cannot take over")]
    BadTarget {
        /// The requested target.
        target: NodeId,
    },
}

/// Why a message was not stepped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum StepError {
    /// The envelope is addressed to another server.
    #[error("message for node {to} delivered to node {node}")]
    WrongRecipient {
        /// The recipient named in the envelope.
        to: NodeId,
        /// This server.
        node: NodeId,
    },
    /// The sender is this server, or no valid server id.
    #[error("message from node {from}, which is not a peer")]
    UnknownSender {
        /// The sender named in the envelope.
        from: NodeId,
    },
    /// The message contradicts itself (see [`Message::is_well_formed`]).
    #[error("malformed message from node {from}")]
    Malformed {
        /// The sender named in the envelope.
        from: NodeId,
    },
}

/// One Raft server, without I/O. See the crate documentation for the driver contract.
#[derive(Clone, Debug)]
pub struct Node {
    pub(crate) config: Config,
    /// Invariant: never decreases.
    pub(crate) term: Term,
    pub(crate) vote: Option<NodeId>,
    pub(crate) log: Log,
    /// The configurations the log holds; the latest is in effect (thesis §4.1).
    pub(crate) configurations: Configurations,
    /// Invariant: `commit_index <= log.last_index()`, and never decreases.
    pub(crate) commit_index: Index,
    /// Entries handed to the driver to apply. Invariant: `applied_index <= commit_index`
    /// (except under the `apply-uncommitted` bug).
    pub(crate) applied_index: Index,
    pub(crate) role: Role,
    pub(crate) election_elapsed: u32,
    pub(crate) election_timeout: u32,
    rng: ChaCha8Rng,
    /// Messages produced since the last `Ready` that may leave at once (a leader's).
    pub(crate) messages: Vec<Envelope>,
    /// Messages produced since the last `Ready` that must wait for the disk.
    pub(crate) persisted_messages: Vec<Envelope>,
    /// The hard state last handed out in a `Ready` (or restored from disk).
    persisted_hard_state: HardState,
    /// The newest term acknowledged durable. A leader's messages leave at once only in a
    /// durable term: a candidate's votes wait for its own vote on disk, but a sole voter wins
    /// at once, and a term lost with a failed write could be led a second time.
    durable_term: Term,
    /// Lowest log index written or removed since the last `Ready`.
    pub(crate) log_dirty_from: Option<Index>,
    /// The last index handed out for persisting (only the `unpersisted-truncation` bug needs
    /// it).
    persisted_last_index: Index,
    /// Writes handed out and not yet acknowledged durable, oldest first.
    pending_writes: VecDeque<PendingWrite>,
    /// Id of the last write handed out.
    last_write_id: WriteId,
    /// Highest index up to which the in-memory log is known durable: every entry up to it was
    /// acknowledged, and no write still pending replaces it.
    /// Invariant: `stable_index <= log.last_index()`.
    pub(crate) stable_index: Index,
    /// The latest snapshot, which the log is compacted behind (`log.snapshot_index()`).
    pub(crate) snapshot: Option<Snapshot>,
    /// Whether `snapshot` has yet to be handed out for persisting.
    pub(crate) snapshot_unpersisted: bool,
    /// Whether that snapshot came from the leader, so the state machine must restore from it.
    pub(crate) snapshot_installed: bool,
    /// A snapshot being received from the leader.
    pub(crate) incoming: Option<IncomingSnapshot>,
    /// Records its storage lost at the last restart and its log has not been repaired past:
    /// while set, it neither votes nor campaigns (see [`crate::LogDamage`]).
    pub(crate) damage: Option<LogDamage>,
    /// The local clock, as the driver last reported it (only leases read it).
    pub(crate) clock_us: u64,
    /// Reads that may be answered, for the next `Ready`.
    pub(crate) read_states: Vec<ReadState>,
    /// Reads forwarded to a leader, by the term they were forwarded in, oldest first.
    pub(crate) forwarded: VecDeque<(Term, u64)>,
    /// With leases on, ticks left during which this server refuses votes (but to a leadership
    /// transfer) as if it had just heard from a leader, though it no longer knows one: after a
    /// restart, it may have confirmed a lease before its crash; after a higher term made it
    /// forget its leader, it may have confirmed that leader's lease moments before.
    pub(crate) lease_guard_ticks: u32,
    /// Appends that arrived ahead of the log, until the gap before them fills.
    pub(crate) held_appends: HeldAppends,
}

/// A write handed out in a `Ready` and not yet acknowledged.
#[derive(Clone, Copy, Debug)]
struct PendingWrite {
    id: WriteId,
    /// First index it replaces, if it writes the log.
    log_from: Option<Index>,
    /// Last index of the log once it is durable.
    last_index: Index,
    /// The term once it is durable (handed out in this write or an earlier one).
    term: Term,
}

impl Node {
    /// A new server with an empty log, as at the first boot of a cluster.
    pub fn new(config: Config) -> Result<Node, ConfigError> {
        Node::restart(config, &DurableState::default(), 0)
    }

    /// A server rebuilt from what its driver made durable. `applied_index` is how far the
    /// driver's state machine already applied: at least the snapshot's index (the state machine
    /// restores from the snapshot), or 0 without one for a state machine that is rebuilt from
    /// the log; committed entries above it will be handed out again.
    pub fn restart(
        config: Config,
        durable: &DurableState,
        applied_index: Index,
    ) -> Result<Node, ConfigError> {
        config.validate()?;
        let (snapshot_index, snapshot_term) =
            durable.snapshot.as_ref().map_or((0, 0), |snapshot| (snapshot.index, snapshot.term));
        let log = Log::restore(snapshot_index, snapshot_term, durable.entries.clone());
        let base = durable.snapshot.as_ref().map_or_else(
            || Membership::of_voters(&config.voters),
            |snapshot| snapshot.membership.clone(),
        );
        let mut configurations = Configurations::new(base);
        for entry in &durable.entries {
            if let Some(membership) = entry.data.membership() {
                configurations.push(entry.index, membership);
            }
        }
        debug_assert!(
            !config.bugs.is_empty() || log.terms_are_monotonic(),
            "a durable log's terms decrease"
        );
        let mut hard_state = durable.hard_state;
        if durable.damage.is_some() {
            // The storage lost records up to which this server knew entries committed: they are
            // still committed, but it no longer holds them, and learns the commit index again
            // from its leader.
            hard_state.commit = hard_state.commit.min(log.last_index());
        }
        // The snapshot holds only applied, so committed, entries (under `compact-uncommitted`
        // the commit index is left where it was).
        if config.bugs.is_empty() {
            hard_state.commit = hard_state.commit.max(snapshot_index);
        }
        assert!(hard_state.commit <= log.last_index(), "durable commit index past the log");
        assert!(
            applied_index <= hard_state.commit.max(snapshot_index),
            "applied past the durable commit index"
        );
        assert!(applied_index >= snapshot_index, "applied behind the snapshot it restored");
        let vote =
            if config.bugs.contains(Bug::ForgetVoteOnRestart) { None } else { hard_state.vote };
        let damage = durable.damage.filter(|_| !config.bugs.contains(Bug::TruncateAtCorruption));
        let mut node = Node {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            term: hard_state.term,
            vote,
            log,
            configurations,
            commit_index: hard_state.commit,
            applied_index,
            role: Role::Follower { leader: None },
            election_elapsed: 0,
            election_timeout: 0,
            messages: Vec::new(),
            persisted_messages: Vec::new(),
            persisted_hard_state: hard_state,
            durable_term: hard_state.term,
            log_dirty_from: None,
            persisted_last_index: snapshot_index + durable.entries.len() as Index,
            pending_writes: VecDeque::new(),
            last_write_id: 0,
            stable_index: snapshot_index + durable.entries.len() as Index,
            snapshot: durable.snapshot.clone(),
            snapshot_unpersisted: false,
            snapshot_installed: false,
            incoming: None,
            damage,
            clock_us: 0,
            read_states: Vec::new(),
            forwarded: VecDeque::new(),
            lease_guard_ticks: if config.lease.is_some() && config.check_quorum {
                config.election_timeout_ticks_min
            } else {
                0
            },
            held_appends: HeldAppends::default(),
            config,
        };
        node.maybe_repaired();
        node.reset_election_timer();
        node.check_invariants();
        Ok(node)
    }

    /// This server's id.
    pub fn id(&self) -> NodeId {
        self.config.id
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The cluster configuration in effect here: the latest in its log.
    pub fn membership(&self) -> &Membership {
        self.configurations.latest()
    }

    /// The current term.
    pub fn term(&self) -> Term {
        self.term
    }

    /// Whom this server voted for in the current term.
    pub fn vote(&self) -> Option<NodeId> {
        self.vote
    }

    /// The log.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// Highest index known to be committed.
    pub fn commit_index(&self) -> Index {
        self.commit_index
    }

    /// Highest index handed to the driver to apply.
    pub fn applied_index(&self) -> Index {
        self.applied_index
    }

    /// The current role.
    pub fn role(&self) -> RoleKind {
        match self.role {
            Role::Follower { .. } => RoleKind::Follower,
            Role::PreCandidate { .. } => RoleKind::PreCandidate,
            Role::Candidate { .. } => RoleKind::Candidate,
            Role::Leader(_) => RoleKind::Leader,
        }
    }

    /// The leader of the current term as far as this server knows: itself when leading.
    pub fn leader_hint(&self) -> Option<NodeId> {
        match self.role {
            Role::Follower { leader } => leader,
            Role::PreCandidate { .. } | Role::Candidate { .. } => None,
            Role::Leader(_) => Some(self.config.id),
        }
    }

    /// Advances the node's logical clock by one tick: followers and candidates count toward an
    /// election timeout, leaders toward their next heartbeat, their CheckQuorum round and the
    /// end of a leadership transfer.
    pub fn tick(&mut self) {
        match &mut self.role {
            Role::Leader(leadership) => {
                let timeout_min = self.config.election_timeout_ticks_min;
                leadership.heartbeat_elapsed += 1;
                leadership.quorum_elapsed += 1;
                if let Some(transfer) = &mut leadership.transfer {
                    transfer.elapsed += 1;
                    if transfer.elapsed >= timeout_min {
                        leadership.transfer = None; // The target did not take over: give up.
                    }
                }
                let count_quorum =
                    self.config.check_quorum && leadership.quorum_elapsed >= timeout_min;
                let heartbeat =
                    leadership.heartbeat_elapsed >= self.config.heartbeat_interval_ticks;
                if count_quorum && !self.check_quorum() {
                    // Stepped down: no heartbeat from a follower.
                } else if heartbeat {
                    let Role::Leader(leadership) = &mut self.role else { unreachable!("leads") };
                    leadership.heartbeat_elapsed = 0;
                    self.broadcast_heartbeat();
                }
            }
            Role::Follower { .. } | Role::PreCandidate { .. } | Role::Candidate { .. } => {
                self.lease_guard_ticks = self.lease_guard_ticks.saturating_sub(1);
                self.election_elapsed += 1;
                if self.election_elapsed >= self.election_timeout {
                    self.start_election();
                } else if self.election_elapsed.is_multiple_of(self.config.heartbeat_interval_ticks)
                {
                    self.request_votes();
                }
            }
        }
        self.check_invariants();
    }

    /// Hands leadership to `target` (thesis §3.10): the leader stops taking proposals, brings
    /// the target's log up to date, and then sends it TimeoutNow, upon which the target
    /// campaigns at once. Abandoned if the target has not taken over within the shortest
    /// election timeout; a new request replaces one under way.
    pub fn transfer_leadership(&mut self, target: NodeId) -> Result<(), TransferError> {
        if !matches!(self.role, Role::Leader(_)) {
            return Err(TransferError::NotLeader);
        }
        if target == self.config.id || !self.membership().voters.contains(&target) {
            return Err(TransferError::BadTarget { target });
        }
        let position = self.progress_position(target).expect("a leader tracks every voter");
        let Role::Leader(leadership) = &mut self.role else { unreachable!("checked above") };
        leadership.transfer = Some(Transfer { target, elapsed: 0, sent: false });
        let caught_up = leadership.progress[position].match_index == self.log.last_index();
        if caught_up {
            self.send_timeout_now();
        }
        self.check_invariants();
        Ok(())
    }

    /// Handles one message from a peer. Applies Figure 2's rule for all servers first: a
    /// message from a higher term makes this server a follower of that term.
    pub fn step(&mut self, envelope: Envelope) -> Result<(), StepError> {
        let Envelope { from, to, message } = envelope;
        if to != self.config.id {
            return Err(StepError::WrongRecipient { to, node: self.config.id });
        }
        if from == self.config.id || from == 0 || from > NODE_ID_MAX {
            return Err(StepError::UnknownSender { from });
        }
        if !message.is_well_formed() {
            return Err(StepError::Malformed { from });
        }
        let term = message.term();
        if term > self.term {
            match &message {
                // A PreVote asks about a term without entering it, and a granted one answers
                // with the term asked about: neither moves this server to that term.
                Message::PreVote(_) => {}
                Message::PreVoteResponse(response) if response.granted => {}
                // A server that hears from its leader disregards a higher-term candidate, which
                // could only disrupt a working cluster (thesis §4.2.3) — unless the leader
                // itself handed over.
                Message::RequestVote(request)
                    if self.config.check_quorum
                        && !request.transfer
                        && self.heard_from_leader_recently() =>
                {
                    self.check_invariants();
                    return Ok(());
                }
                _ => {
                    let leader = matches!(
                        message,
                        Message::AppendEntries(_)
                            | Message::InstallSnapshot(_)
                            | Message::ReadHeartbeat(_)
                    )
                    .then_some(from);
                    self.become_follower(term, leader);
                }
            }
        }
        match message {
            Message::RequestVote(request) => self.handle_request_vote(from, request),
            Message::RequestVoteResponse(response) => self.handle_vote_response(from, response),
            Message::AppendEntries(request) => self.handle_append_entries(from, request),
            Message::AppendEntriesResponse(response) => self.handle_append_response(from, response),
            Message::PreVote(request) => self.handle_pre_vote(from, request),
            Message::PreVoteResponse(response) => self.handle_pre_vote_response(from, response),
            Message::TimeoutNow(timeout) => self.handle_timeout_now(from, timeout),
            Message::InstallSnapshot(chunk) => self.handle_install_snapshot(from, *chunk),
            Message::InstallSnapshotResponse(response) => {
                self.handle_install_snapshot_response(from, response)
            }
            Message::ReadHeartbeat(round) => self.handle_read_heartbeat(from, round),
            Message::ReadHeartbeatResponse(round) => {
                self.handle_read_heartbeat_response(from, round)
            }
            Message::ReadIndex(request) => self.handle_read_index(from, request),
            Message::ReadIndexResponse(response) => self.handle_read_index_response(response),
        }
        self.check_invariants();
        Ok(())
    }

    /// Appends a command to the leader's log. Returns its index and term; the command is
    /// committed once an entry with that index *and term* is committed (a different term there
    /// means the command was lost with a deposed leader and must be retried).
    pub fn propose(&mut self, command: Payload) -> Result<(Index, Term), ProposeError> {
        let Role::Leader(leadership) = &self.role else {
            return Err(ProposeError::NotLeader { leader_hint: self.leader_hint() });
        };
        if leadership.transfer.is_some() {
            return Err(ProposeError::Transferring);
        }
        let uncommitted = self.log.last_index() - self.commit_index;
        if uncommitted >= self.config.max_uncommitted_entries as Index {
            return Err(ProposeError::Overloaded);
        }
        let index = self.append_as_leader(EntryData::Command(command));
        self.check_invariants();
        Ok((index, self.term))
    }

    /// Whether a [`Ready`] would carry anything.
    pub fn has_ready(&self) -> bool {
        !self.messages.is_empty()
            || !self.persisted_messages.is_empty()
            || self.log_dirty_from.is_some()
            || self.snapshot_unpersisted
            || self.hard_state() != self.persisted_hard_state
            || self.applied_index < self.apply_limit()
            || self.has_appends_to_send()
            || !self.read_states.is_empty()
    }

    /// Drains this node's output into `out` (cleared first). The driver must then write, send
    /// and apply, in that order, and acknowledge the write: see [`Ready`].
    pub fn ready(&mut self, out: &mut Ready) {
        out.clear();
        self.send_appends();
        let hard_state = self.hard_state();
        if hard_state != self.persisted_hard_state {
            out.hard_state = Some(hard_state);
            self.persisted_hard_state = hard_state;
        }
        if self.snapshot_unpersisted {
            out.snapshot = self.snapshot.clone();
            out.snapshot_installed = self.snapshot_installed;
            (self.snapshot_unpersisted, self.snapshot_installed) = (false, false);
        }
        if let Some(mut from) = self.log_dirty_from.take() {
            if self.config.bugs.contains(Bug::UnpersistedTruncation) {
                // Only entries past the old durable end are written; the removed ones stay.
                from = from.max(self.persisted_last_index + 1);
            }
            if from <= self.log.last_index() + 1 {
                out.log_from = Some(from);
                out.entries.extend_from_slice(self.log.slice(from, self.log.last_index()));
                self.persisted_last_index = self.log.last_index();
            }
        }
        if out.hard_state.is_some() || out.log_from.is_some() || out.snapshot.is_some() {
            self.last_write_id += 1;
            out.write_id = Some(self.last_write_id);
            self.pending_writes.push_back(PendingWrite {
                id: self.last_write_id,
                log_from: out.log_from,
                last_index: self.log.last_index(),
                term: self.term,
            });
        }
        std::mem::swap(&mut out.messages, &mut self.messages);
        std::mem::swap(&mut out.persisted_messages, &mut self.persisted_messages);
        std::mem::swap(&mut out.reads, &mut self.read_states);
        let limit = self.apply_limit();
        if self.applied_index < limit {
            out.committed.extend_from_slice(self.log.slice(self.applied_index + 1, limit));
            self.applied_index = limit;
        }
        self.check_invariants();
    }

    /// The driver's acknowledgement that every write up to `write_id` is durable (see
    /// [`Ready`]). Entries become appliable once durable here, and a leader counts its own
    /// entries toward a quorum only from now on. Acknowledging a write twice, or one that a
    /// crash made moot, is harmless.
    pub fn on_persisted(&mut self, write_id: WriteId) {
        assert!(
            write_id <= self.last_write_id,
            "node {}: write {write_id} acknowledged, only {} handed out",
            self.config.id,
            self.last_write_id
        );
        let mut durable_last = None;
        while let Some(write) = self.pending_writes.front().copied().filter(|w| w.id <= write_id) {
            self.pending_writes.pop_front();
            durable_last = Some(write.last_index);
            self.durable_term = self.durable_term.max(write.term);
        }
        let Some(durable_last) = durable_last else { return };
        // Later writes still pending replace the log from their first index on: only the part
        // before that is both durable and still this node's log.
        let replaced_from = self.pending_writes.iter().filter_map(|write| write.log_from).min();
        let stable = replaced_from.map_or(durable_last, |from| durable_last.min(from - 1));
        self.stable_index = stable.min(self.log.last_index());
        self.maybe_repaired();
        if let Role::Leader(leadership) = &mut self.role {
            let own = leadership.position(self.config.id).expect("a leader tracks itself");
            if leadership.progress[own].on_accepted(self.stable_index) {
                self.maybe_commit();
            }
        }
        self.check_invariants();
    }

    /// The driver's report that its storage failed to make the write `write_id` durable (an
    /// fsync returned an error). A correct node answers [`AfterPersistFailure::Stop`]: the
    /// driver must discard it and restart it from what is durable, since nothing it holds in
    /// memory can be trusted to be on the disk any more.
    pub fn on_persist_failed(&mut self, write_id: WriteId) -> AfterPersistFailure {
        if self.config.bugs.contains(Bug::RetryFsync) {
            // The retry "succeeds", as it does on Linux, over pages the kernel already dropped.
            self.on_persisted(write_id);
            return AfterPersistFailure::CarryOn;
        }
        AfterPersistFailure::Stop
    }

    /// The hard state as it is now.
    pub fn hard_state(&self) -> HardState {
        HardState { term: self.term, vote: self.vote, commit: self.commit_index }
    }

    /// How far entries may be handed out for applying: the commit index, as far as the log is
    /// durable here. Under the `apply-uncommitted` bug the whole durable log, and under
    /// `eager-apply` a follower's.
    fn apply_limit(&self) -> Index {
        let bugs = self.config.bugs;
        if bugs.contains(Bug::ApplyUncommitted)
            || (bugs.contains(Bug::EagerApply) && matches!(self.role, Role::Follower { .. }))
        {
            self.stable_index.max(self.applied_index)
        } else {
            self.commit_index.min(self.stable_index).max(self.applied_index)
        }
    }

    /// Becomes a follower in `term` (which may be the current one), of `leader` if known.
    pub(crate) fn become_follower(&mut self, term: Term, leader: Option<NodeId>) {
        assert!(term >= self.term, "term would decrease from {} to {term}", self.term);
        let timeout_min = self.config.election_timeout_ticks_min;
        if self.config.lease.is_some()
            && self.config.check_quorum
            && matches!(self.role, Role::Follower { leader: Some(_) })
            && self.election_elapsed < timeout_min
        {
            // It may have confirmed its leader's lease: that promise not to vote for another
            // candidate outlives forgetting the leader (a higher term from anyone else).
            self.lease_guard_ticks =
                self.lease_guard_ticks.max(timeout_min - self.election_elapsed);
        }
        if term > self.term {
            self.term = term;
            self.vote = None;
        }
        self.role = Role::Follower { leader };
        self.reset_election_timer();
    }

    /// Restarts the election timer with a fresh random timeout (§5.2).
    pub(crate) fn reset_election_timer(&mut self) {
        self.election_elapsed = 0;
        self.election_timeout = self.rng.random_range(
            self.config.election_timeout_ticks_min..=self.config.election_timeout_ticks_max,
        );
    }

    /// Position of `node` in a leader's progress, if it tracks it.
    pub(crate) fn progress_position(&self, node: NodeId) -> Option<usize> {
        let Role::Leader(leadership) = &self.role else { return None };
        leadership.position(node)
    }

    /// Queues `message` for `to`: a leader's leaves at once, anyone else's once the disk has
    /// caught up (see [`Ready`]).
    pub(crate) fn send(&mut self, to: NodeId, message: Message) {
        debug_assert_ne!(to, self.config.id, "a node never messages itself");
        let envelope = Envelope { from: self.config.id, to, message };
        let bugs = self.config.bugs;
        let early = match envelope.message {
            Message::AppendEntriesResponse(_) => bugs.contains(Bug::AckBeforeFsync),
            Message::RequestVoteResponse(_) => bugs.contains(Bug::VoteBeforeFsync),
            _ => false,
        };
        match self.role {
            Role::Leader(_) if self.durable_term == self.term => self.messages.push(envelope),
            Role::Leader(_) => self.persisted_messages.push(envelope),
            Role::Follower { .. } | Role::PreCandidate { .. } | Role::Candidate { .. } if early => {
                self.messages.push(envelope)
            }
            Role::Follower { .. } | Role::PreCandidate { .. } | Role::Candidate { .. } => {
                self.persisted_messages.push(envelope)
            }
        }
    }

    /// Appends `entry` to the log and records that the log must be persisted from there.
    pub(crate) fn append_to_log(&mut self, entry: Entry) {
        if self.config.bugs.is_empty() {
            assert!(
                entry.term >= self.log.last_term(),
                "node {}: appending entry {} of term {} after term {}",
                self.config.id,
                entry.index,
                entry.term,
                self.log.last_term()
            );
        }
        let index = entry.index;
        let membership = match &entry.data {
            EntryData::Config(_) => {
                Some(entry.data.membership().expect("a well-formed configuration entry"))
            }
            EntryData::Noop | EntryData::Command(_) => None,
        };
        self.log.push(entry);
        self.mark_log_dirty(index);
        if let Some(membership) = membership {
            self.configurations.push(index, membership);
            self.on_configuration_changed();
        }
    }

    pub(crate) fn mark_log_dirty(&mut self, index: Index) {
        self.log_dirty_from = Some(self.log_dirty_from.map_or(index, |from| from.min(index)));
    }

    /// Local invariants, checked after every input (TigerBeetle style: cheap ones always).
    ///
    /// Under an injected bug, rules these invariants rest on are broken on purpose, and it is
    /// the simulator's global checker that must notice the consequences: a local assertion
    /// would stop the run first and hide whether the harness can find the bug. So with any bug
    /// enabled only the structural invariant (commit within the log) is asserted.
    pub(crate) fn check_invariants(&self) {
        assert!(
            self.applied_index >= self.log.snapshot_index(),
            "node {}: applied {} behind the snapshot at {}",
            self.config.id,
            self.applied_index,
            self.log.snapshot_index()
        );
        assert!(
            self.commit_index <= self.log.last_index(),
            "node {}: commit index {} past last index {}",
            self.config.id,
            self.commit_index,
            self.log.last_index()
        );
        if self.config.bugs.is_empty() {
            assert!(
                self.log.snapshot_index() <= self.commit_index,
                "node {}: snapshot at {} past commit {}",
                self.config.id,
                self.log.snapshot_index(),
                self.commit_index
            );
            assert!(
                self.applied_index <= self.commit_index,
                "node {}: applied {} past commit {}",
                self.config.id,
                self.applied_index,
                self.commit_index
            );
        }
        assert!(
            self.held_appends.len() <= self.config.max_inflight_messages,
            "node {}: more appends held than a leader's window",
            self.config.id
        );
        if let Role::Leader(_) = self.role {
            debug_assert!(
                self.log.last_term() == self.term,
                "node {}: a leader's last entry is from its own term",
                self.config.id
            );
        }
    }
}
