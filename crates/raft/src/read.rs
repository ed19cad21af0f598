//! Linearizable reads without a log entry (thesis §6.4): ReadIndex, its forwarding from
//! followers, and leases.
//!
//! **ReadIndex.** A leader asked for a read takes its commit index as the read's index — but
//! only once an entry of its own term is committed, since until then its commit index may lag
//! behind what earlier leaders committed (etcd#7331). It then confirms that it still leads: it
//! sends a numbered round ([`Message::ReadHeartbeat`]), and once a majority (itself included)
//! has answered that round or a later one in its term, no other leader can have been elected
//! before those answers, so every write that completed before the read arrived is at or below
//! the index. The driver answers the read once its state machine has applied the index.
//!
//! **Followers** forward a read to their leader ([`Message::ReadIndex`]) and serve it
//! themselves once they have applied the index the leader sends back.
//!
//! **Leases** (§6.4.1). With CheckQuorum on, a follower that heard from its leader refuses to
//! vote for anyone else for the shortest election timeout, counted in its own ticks. A leader
//! whose round, sent at local time `t`, a majority answered therefore knows that no other
//! leader is elected before `t` plus that timeout — on the followers' clocks. It answers lease
//! reads at once until then, shortened by the worst ratio of clock rates it is told of
//! ([`LeaseClock`]) and by one tick (a follower's count starts at its next tick). Three holes
//! are closed: the lease is measured on the local clock the driver reports, which runs on
//! while the process is paused (a tick count stops, as in etcd#20418); a restarted server
//! refuses votes for a shortest election timeout too, since it forgot whom it heard from; and
//! a leader that sent TimeoutNow, which lets its target be elected at once, never trusts its
//! lease again in that term.

use std::collections::VecDeque;

use thiserror::Error;

use crate::node::Role;
use crate::{Bug, Index, Message, Node, NodeId, ReadIndexRequest, ReadIndexResponse, ReadRound};

/// Reads forwarded to a leader and not yet answered that a follower remembers: answers to
/// older ones are ignored (their clients have long given up).
const FORWARDED_MAX: usize = 1024;

/// How a read is confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadKind {
    /// A round of heartbeats after the read arrived.
    ReadIndex,
    /// The leader's lease, if it holds; otherwise as [`ReadKind::ReadIndex`].
    Lease,
}

/// A read the driver may answer once its state machine has applied `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadState {
    /// The read, as the driver named it.
    pub context: u64,
    /// The index to apply first.
    pub index: Index,
}

/// Why a read was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ReadError {
    /// Neither the leader nor a follower of a known leader.
    #[error("no known leader (leader hint: {leader_hint:?})")]
    NotLeader {
        /// The leader, as far as this server knows.
        leader_hint: Option<NodeId>,
    },
}

/// What a server knows of clocks, for leases: a tick's length at the normal rate, and how much
/// slower or faster than that any server's clock may run, in percent of a normal tick interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseClock {
    /// Microseconds per tick at the normal rate.
    pub tick_us: u64,
    /// The shortest tick interval any server may have, in percent of the normal one.
    pub tick_percent_min: u32,
    /// The longest.
    pub tick_percent_max: u32,
}

/// A leader's reads: those waiting for a round, and its lease.
#[derive(Clone, Debug, Default)]
pub(crate) struct LeaderReads {
    /// The last round sent.
    round: u64,
    /// Rounds sent and not yet confirmed, with the local time each left (for the lease).
    sent_at_us: VecDeque<(u64, u64)>,
    /// Reads waiting for their round, in round order.
    pending: VecDeque<PendingRead>,
    /// Reads that arrived before an entry of this term was committed.
    before_commit: Vec<(NodeId, u64, ReadKind)>,
    /// Local time until which the lease holds.
    lease_until_us: u64,
    /// Set once TimeoutNow left: the lease is never trusted again in this term.
    lease_forfeited: bool,
}

/// A read waiting for its round to be confirmed.
#[derive(Clone, Copy, Debug)]
struct PendingRead {
    /// The server whose driver answers it: the leader, or the follower that forwarded it.
    origin: NodeId,
    context: u64,
    index: Index,
    round: u64,
}

impl LeaderReads {
    /// The lease may no longer be trusted in this term.
    pub(crate) fn forfeit_lease(&mut self) {
        self.lease_forfeited = true;
        self.lease_until_us = 0;
    }
}

impl Node {
    /// The server's local clock reads `local_us` (monotonic; it runs on while the process is
    /// paused). Only leases use it.
    pub fn set_clock(&mut self, local_us: u64) {
        self.clock_us = self.clock_us.max(local_us);
    }

    /// A client asks for a linearizable read, named `context`. It comes out in
    /// [`crate::Ready::reads`] once it may be answered; a read that loses its leader never
    /// does, and its client retries.
    pub fn read_index(&mut self, context: u64, kind: ReadKind) -> Result<(), ReadError> {
        match self.role {
            Role::Leader(_) => self.leader_read(self.config.id, context, kind),
            Role::Follower { leader: Some(leader) } => {
                if self.forwarded.len() == FORWARDED_MAX {
                    self.forwarded.pop_front();
                }
                self.forwarded.push_back((self.term, context));
                let lease = kind == ReadKind::Lease;
                let request = ReadIndexRequest { term: self.term, context, lease };
                self.send(leader, Message::ReadIndex(request));
            }
            Role::Follower { leader: None }
            | Role::PreCandidate { .. }
            | Role::Candidate { .. } => {
                return Err(ReadError::NotLeader { leader_hint: None });
            }
        }
        self.check_invariants();
        Ok(())
    }

    /// A read at the leader, its own or forwarded by `origin`.
    fn leader_read(&mut self, origin: NodeId, context: u64, kind: ReadKind) {
        let bugs = self.config.bugs;
        if bugs.contains(Bug::StaleLeaderRead) {
            self.release_read(origin, context, self.commit_index);
            return;
        }
        let committed_in_term = self.log.term(self.commit_index) == Some(self.term);
        let lease_holds = self.lease_holds();
        let index = self.commit_index;
        let Role::Leader(leadership) = &mut self.role else { unreachable!("a leader reads") };
        if !committed_in_term && !bugs.contains(Bug::ReadBeforeNoop) {
            leadership.reads.before_commit.push((origin, context, kind));
        } else if kind == ReadKind::Lease && lease_holds {
            self.release_read(origin, context, index);
        } else {
            let round = leadership.reads.round + 1;
            leadership.reads.pending.push_back(PendingRead { origin, context, index, round });
            self.send_read_round();
        }
    }

    /// Whether the leader's lease holds now.
    fn lease_holds(&self) -> bool {
        let Role::Leader(leadership) = &self.role else { return false };
        self.config.lease.is_some()
            && self.config.check_quorum
            && leadership.transfer.is_none()
            && !leadership.reads.lease_forfeited
            && self.clock_us < leadership.reads.lease_until_us
    }

    /// How long a confirmed round's lease lasts on the leader's clock: the shortest election
    /// timeout less a tick, scaled by the slowest over the fastest clock rate.
    fn lease_us(&self, clock: LeaseClock) -> u64 {
        let timeout_us = u64::from(self.config.election_timeout_ticks_min - 1) * clock.tick_us;
        if self.config.bugs.contains(Bug::LeaseIgnoresSkew) {
            return timeout_us;
        }
        timeout_us * u64::from(clock.tick_percent_min) / u64::from(clock.tick_percent_max)
    }

    /// Sends the next round to every other voter; in a cluster of one it is confirmed at once.
    fn send_read_round(&mut self) {
        let term = self.term;
        let clock_us = self.clock_us;
        let id = self.config.id;
        let Role::Leader(leadership) = &mut self.role else { return };
        leadership.reads.round += 1;
        let round = leadership.reads.round;
        if self.config.lease.is_some() {
            leadership.reads.sent_at_us.push_back((round, clock_us));
        }
        // The leader tracks every member, in ascending order: the voters among them get the
        // round, without copying the configuration.
        for position in 0..leadership.progress.len() {
            let Role::Leader(leadership) = &self.role else { unreachable!("leads") };
            let member = leadership.progress[position].node;
            if member != id && self.configurations.latest().is_voter(member) {
                self.send(member, Message::ReadHeartbeat(ReadRound { term, round }));
            }
        }
        self.confirm_reads();
    }

    /// An entry of the leader's term is committed: the reads that waited for it take the commit
    /// index and a round (or the lease).
    pub(crate) fn on_committed_in_term(&mut self) {
        let Role::Leader(leadership) = &mut self.role else { return };
        if leadership.reads.before_commit.is_empty() {
            return;
        }
        let waiting = std::mem::take(&mut leadership.reads.before_commit);
        for (origin, context, kind) in waiting {
            self.leader_read(origin, context, kind);
        }
    }

    /// Answers a leader's read round: a follower of its term follows it (this is word from the
    /// leader like a heartbeat) and confirms; a server of a later term answers with its term,
    /// which deposes the stale leader.
    pub(crate) fn handle_read_heartbeat(&mut self, from: NodeId, round: ReadRound) {
        if round.term == self.term && !self.follow(from) {
            return;
        }
        let response = ReadRound { term: self.term, round: round.round };
        self.send(from, Message::ReadHeartbeatResponse(response));
    }

    /// Counts a follower's confirmation of a round.
    pub(crate) fn handle_read_heartbeat_response(&mut self, from: NodeId, round: ReadRound) {
        if round.term != self.term {
            return;
        }
        let Role::Leader(leadership) = &mut self.role else { return };
        let Some(position) = leadership.position(from) else { return };
        let progress = &mut leadership.progress[position];
        progress.read_round = progress.read_round.max(round.round.min(leadership.reads.round));
        progress.recent_active = true;
        self.confirm_reads();
    }

    /// Releases every read whose round a majority confirmed, and extends the lease.
    fn confirm_reads(&mut self) {
        let id = self.config.id;
        let lease_us = self.config.lease.map(|clock| self.lease_us(clock));
        let membership = self.configurations.latest();
        let Role::Leader(leadership) = &mut self.role else { return };
        let confirmed = membership.quorum_index(|voter| match leadership.position(voter) {
            _ if voter == id => leadership.reads.round,
            Some(position) => leadership.progress[position].read_round,
            None => 0,
        });
        let reads = &mut leadership.reads;
        while reads.sent_at_us.front().is_some_and(|&(round, _)| round <= confirmed) {
            let (_, sent_at_us) = reads.sent_at_us.pop_front().expect("a round");
            if let Some(lease_us) = lease_us
                && !reads.lease_forfeited
                && leadership.transfer.is_none()
            {
                reads.lease_until_us = reads.lease_until_us.max(sent_at_us + lease_us);
            }
        }
        let mut released = Vec::new();
        while reads.pending.front().is_some_and(|read| read.round <= confirmed) {
            released.push(reads.pending.pop_front().expect("a read"));
        }
        for read in released {
            self.release_read(read.origin, read.context, read.index);
        }
    }

    /// A leader's answer to a follower's read.
    pub(crate) fn handle_read_index(&mut self, from: NodeId, request: ReadIndexRequest) {
        if request.term != self.term || !matches!(self.role, Role::Leader(_)) {
            return; // Its client times out and retries.
        }
        let kind = if request.lease { ReadKind::Lease } else { ReadKind::ReadIndex };
        self.leader_read(from, request.context, kind);
    }

    /// A follower's read came back from its leader with the index to apply.
    pub(crate) fn handle_read_index_response(&mut self, response: ReadIndexResponse) {
        let asked = (response.term, response.context);
        let Some(position) = self.forwarded.iter().position(|&read| read == asked) else {
            return;
        };
        self.forwarded.remove(position);
        self.read_states.push(ReadState { context: response.context, index: response.index });
    }

    /// A read may be answered at `index`: by this server's driver, or by the follower that
    /// forwarded it.
    fn release_read(&mut self, origin: NodeId, context: u64, index: Index) {
        if origin == self.config.id {
            self.read_states.push(ReadState { context, index });
        } else {
            let response = ReadIndexResponse { term: self.term, context, index };
            self.send(origin, Message::ReadIndexResponse(response));
        }
    }
}
