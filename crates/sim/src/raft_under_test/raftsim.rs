//! This repository's Raft (`raftsim-raft`) as a [`RaftUnderTest`].
//!
//! A thin translation: `Node`'s `Ready` becomes an [`Output`], its `on_persisted` takes the
//! simulator's acknowledgement, and its `FrameCodec` frames its messages. The one thing this
//! implementation takes beyond the [`NodeSetup`] is its set of injected bugs.

use raftsim_raft::{
    AppendOutcome, Bug, Bugs, Change, Config, DurableState, Entry, Envelope, FrameCodec, Message,
    Node, Ready, RoleKind,
};

use super::{
    AfterPersistFailure, BootError, ChangeError, DecodeError, DiskImage, EntryData, HardState,
    LogEntry, Membership, MembershipChange, MessageKind, MessageSummary, NodeId, Observation,
    Output, Payload, ProposeError, RaftUnderTest, ReadError, ReadId, ReadKind, ReadReady, Refused,
    Role, Snapshot, WriteId,
};

/// One server of raftsim's Raft, with its codec and a reused output buffer.
pub struct RaftsimNode {
    node: Node,
    codec: FrameCodec,
    ready: Ready,
}

impl RaftsimNode {
    /// The protocol state, for tests that look inside.
    pub fn node(&self) -> &Node {
        &self.node
    }
}

impl RaftUnderTest for RaftsimNode {
    type Message = Envelope;
    type Tuning = Bugs;

    fn boot(
        setup: &super::NodeSetup,
        bugs: &Bugs,
        disk: &DiskImage,
    ) -> Result<RaftsimNode, BootError> {
        let config = Config {
            election_timeout_ticks_min: setup.election_timeout_ticks_min,
            election_timeout_ticks_max: setup.election_timeout_ticks_max,
            heartbeat_interval_ticks: setup.heartbeat_interval_ticks,
            max_inflight_messages: setup.max_inflight_messages as usize,
            max_entries_per_message: setup.max_entries_per_message as usize,
            max_bytes_per_message: setup.max_bytes_per_message as usize,
            max_uncommitted_entries: setup.max_uncommitted_entries as usize,
            pre_vote: setup.pre_vote,
            check_quorum: setup.check_quorum,
            lease: setup.lease_reads.then_some(raftsim_raft::LeaseClock {
                tick_us: setup.tick_us,
                tick_percent_min: setup.tick_percent_bounds.0,
                tick_percent_max: setup.tick_percent_bounds.1,
            }),
            seed: setup.seed,
            bugs: *bugs,
            ..Config::new(setup.id, setup.voters.clone())
        };
        let snapshot = disk.snapshot.as_ref().map(|snapshot| raftsim_raft::Snapshot {
            index: snapshot.index,
            term: snapshot.term,
            data: snapshot.data.clone(),
            membership: to_raft_membership(&snapshot.membership),
        });
        // The simulator restores its state machine from the snapshot.
        let applied = snapshot.as_ref().map_or(0, |snapshot| snapshot.index);
        let durable = DurableState {
            snapshot,
            hard_state: raftsim_raft::HardState {
                term: disk.hard_state.term,
                vote: disk.hard_state.vote,
                commit: disk.hard_state.commit,
            },
            entries: disk.entries.iter().map(to_raft_entry).collect(),
            damage: disk.damage.map(|damage| raftsim_raft::LogDamage {
                from: damage.from,
                through: damage.through,
                term: damage.term,
            }),
        };
        let codec = FrameCodec::new(&setup.servers, !bugs.contains(Bug::IgnoreChecksum));
        let node = Node::restart(config, &durable, applied)
            .map_err(|error| BootError(error.to_string()))?;
        Ok(RaftsimNode { node, codec, ready: Ready::default() })
    }

    fn tick(&mut self) {
        self.node.tick();
    }

    fn step(&mut self, message: Envelope) -> Result<(), Refused> {
        self.node.step(message).map_err(|error| Refused(error.to_string()))
    }

    fn propose(&mut self, command: Payload) -> Result<(), ProposeError> {
        match self.node.propose(command) {
            Ok(_) => Ok(()),
            Err(raftsim_raft::ProposeError::NotLeader { leader_hint }) => {
                Err(ProposeError::NotLeader { leader_hint })
            }
            Err(
                raftsim_raft::ProposeError::Overloaded | raftsim_raft::ProposeError::Transferring,
            ) => Err(ProposeError::Busy),
        }
    }

    fn read(&mut self, id: ReadId, kind: ReadKind) -> Result<(), ReadError> {
        let kind = match kind {
            ReadKind::ReadIndex => raftsim_raft::ReadKind::ReadIndex,
            ReadKind::Lease => raftsim_raft::ReadKind::Lease,
        };
        self.node.read_index(id, kind).map_err(|error| match error {
            raftsim_raft::ReadError::NotLeader { leader_hint } => {
                ReadError::NotLeader { leader_hint }
            }
        })
    }

    fn clock(&mut self, local_us: u64) {
        self.node.set_clock(local_us);
    }

    const CHANGES_MEMBERSHIP: bool = true;

    fn change_membership(
        &mut self,
        changes: &[MembershipChange],
        joint: bool,
    ) -> Result<(), ChangeError> {
        let changes: Vec<Change> = changes
            .iter()
            .map(|&change| match change {
                MembershipChange::AddLearner(id) => Change::AddLearner(id),
                MembershipChange::AddVoter(id) => Change::AddVoter(id),
                MembershipChange::Remove(id) => Change::Remove(id),
            })
            .collect();
        match self.node.propose_change(&changes, joint) {
            Ok(_) => Ok(()),
            Err(raftsim_raft::ChangeError::NotLeader { leader_hint }) => {
                Err(ChangeError::NotLeader { leader_hint })
            }
            Err(raftsim_raft::ChangeError::Pending | raftsim_raft::ChangeError::Transferring) => {
                Err(ChangeError::Busy)
            }
            Err(raftsim_raft::ChangeError::Invalid(why)) => Err(ChangeError::Invalid(why)),
        }
    }

    fn transfer_leadership(&mut self, target: NodeId) -> bool {
        self.node.transfer_leadership(target).is_ok()
    }

    fn has_output(&self) -> bool {
        self.node.has_ready()
    }

    fn take_output(&mut self, out: &mut Output<Envelope>) {
        out.clear();
        let ready = &mut self.ready;
        self.node.ready(ready);
        let write = &mut out.write;
        write.id = ready.write_id;
        write.hard_state = ready.hard_state.map(|hard_state| HardState {
            term: hard_state.term,
            vote: hard_state.vote,
            commit: hard_state.commit,
        });
        write.snapshot = ready.snapshot.take().map(|snapshot| Snapshot {
            index: snapshot.index,
            term: snapshot.term,
            data: snapshot.data,
            membership: from_raft_membership(snapshot.membership),
        });
        write.snapshot_installed = ready.snapshot_installed;
        write.log_from = ready.log_from;
        write.entries.extend(ready.entries.drain(..).map(into_log_entry));
        std::mem::swap(&mut out.messages, &mut ready.messages);
        std::mem::swap(&mut out.persisted_messages, &mut ready.persisted_messages);
        out.committed.extend(ready.committed.drain(..).map(into_log_entry));
        out.reads.extend(
            ready.reads.drain(..).map(|read| ReadReady { id: read.context, index: read.index }),
        );
    }

    fn on_persisted(&mut self, write: WriteId) {
        self.node.on_persisted(write);
    }

    fn on_persist_failed(&mut self, write: WriteId) -> AfterPersistFailure {
        match self.node.on_persist_failed(write) {
            raftsim_raft::AfterPersistFailure::Stop => AfterPersistFailure::Stop,
            raftsim_raft::AfterPersistFailure::CarryOn => AfterPersistFailure::CarryOn,
        }
    }

    /// It neither votes nor campaigns until its log is repaired past the damage.
    const REPAIRS_DAMAGED_LOG: bool = true;

    fn compact(&mut self, snapshot: Snapshot) {
        self.node.compact(snapshot.index, snapshot.data);
    }

    fn observe(&self) -> Observation {
        let node = &self.node;
        Observation {
            role: match node.role() {
                RoleKind::Follower => Role::Follower,
                RoleKind::PreCandidate => Role::PreCandidate,
                RoleKind::Candidate => Role::Candidate,
                RoleKind::Leader => Role::Leader,
            },
            term: node.term(),
            vote: node.vote(),
            commit_index: node.commit_index(),
            leader: node.leader_hint(),
            last_index: node.log().last_index(),
        }
    }

    fn encode(&self, message: &Envelope, frame: &mut Vec<u8>) {
        self.codec.encode_into(message, frame);
    }

    fn decode(&self, frame: &[u8]) -> Result<Envelope, DecodeError> {
        self.codec.decode(frame).map_err(|error| DecodeError(error.to_string()))
    }

    fn summarize(message: &Envelope) -> MessageSummary {
        let pre = matches!(message.message, Message::PreVote(_) | Message::PreVoteResponse(_));
        let kind = match &message.message {
            Message::RequestVote(request) | Message::PreVote(request) => MessageKind::VoteRequest {
                pre,
                last_index: request.last_log_index,
                last_term: request.last_log_term,
            },
            Message::RequestVoteResponse(response) | Message::PreVoteResponse(response) => {
                MessageKind::VoteResponse { pre, granted: response.granted }
            }
            Message::TimeoutNow(_) => MessageKind::TimeoutNow,
            Message::InstallSnapshot(_) => MessageKind::Snapshot,
            Message::InstallSnapshotResponse(_) => MessageKind::SnapshotResponse,
            Message::ReadHeartbeat(_) => MessageKind::Heartbeat,
            Message::ReadHeartbeatResponse(_) => MessageKind::HeartbeatResponse,
            Message::ReadIndex(_) | Message::ReadIndexResponse(_) => MessageKind::Other,
            Message::AppendEntries(append) => {
                MessageKind::Append { entries: append.entries.len() as u32 }
            }
            Message::AppendEntriesResponse(response) => match response.outcome {
                AppendOutcome::Accepted { match_index } => {
                    MessageKind::AppendResponse { accepted: true, index: match_index }
                }
                AppendOutcome::Rejected { rejected_index, .. } => {
                    MessageKind::AppendResponse { accepted: false, index: rejected_index }
                }
            },
        };
        MessageSummary { from: message.from, to: message.to, term: message.message.term(), kind }
    }

    fn tamper(frame: &mut [u8], flip: &mut dyn FnMut(usize) -> Vec<usize>) -> bool {
        super::tamper_checksummed_frame(frame, flip)
    }

    fn describe(message: &Envelope) -> String {
        let answer = |granted: bool| if granted { "granted" } else { "refused" };
        match &message.message {
            Message::RequestVote(request) => format!(
                "RequestVote term {} last ({}, {}){}",
                request.term,
                request.last_log_index,
                request.last_log_term,
                if request.transfer { " (transfer)" } else { "" }
            ),
            Message::RequestVoteResponse(response) => {
                format!("RequestVoteResponse term {} {}", response.term, answer(response.granted))
            }
            Message::PreVote(request) => format!(
                "PreVote term {} last ({}, {})",
                request.term, request.last_log_index, request.last_log_term
            ),
            Message::PreVoteResponse(response) => {
                format!("PreVoteResponse term {} {}", response.term, answer(response.granted))
            }
            Message::TimeoutNow(timeout) => format!("TimeoutNow term {}", timeout.term),
            Message::InstallSnapshot(chunk) => format!(
                "InstallSnapshot term {} snapshot ({}, {}) bytes {}..{}{}",
                chunk.term,
                chunk.index,
                chunk.snapshot_term,
                chunk.offset,
                chunk.offset + chunk.data.len() as u64,
                if chunk.done { " (last)" } else { "" }
            ),
            Message::InstallSnapshotResponse(response) => format!(
                "InstallSnapshotResponse term {} snapshot {} holds {} bytes",
                response.term, response.index, response.received
            ),
            Message::ReadHeartbeat(round) => {
                format!("ReadHeartbeat term {} round {}", round.term, round.round)
            }
            Message::ReadHeartbeatResponse(round) => {
                format!("ReadHeartbeatResponse term {} round {}", round.term, round.round)
            }
            Message::ReadIndex(request) => format!(
                "ReadIndex term {} read {}{}",
                request.term,
                request.context,
                if request.lease { " (lease)" } else { "" }
            ),
            Message::ReadIndexResponse(response) => format!(
                "ReadIndexResponse term {} read {} index {}",
                response.term, response.context, response.index
            ),
            Message::AppendEntries(append) => {
                let configs: String = append
                    .entries
                    .iter()
                    .filter_map(|entry| match &entry.data {
                        raftsim_raft::EntryData::Config(_) => Some(format!(
                            ", configuration at {}: {}",
                            entry.index,
                            from_raft_membership(entry.data.membership().unwrap_or_default())
                        )),
                        _ => None,
                    })
                    .collect();
                format!(
                    "AppendEntries term {} prev ({}, {}) entries {} commit {}{configs}",
                    append.term,
                    append.prev_log_index,
                    append.prev_log_term,
                    append.entries.len(),
                    append.leader_commit
                )
            }
            Message::AppendEntriesResponse(response) => match response.outcome {
                AppendOutcome::Accepted { match_index } => {
                    format!(
                        "AppendEntriesResponse term {} accepted up to {match_index}",
                        response.term
                    )
                }
                AppendOutcome::Rejected { rejected_index, hint } => format!(
                    "AppendEntriesResponse term {} rejected after {rejected_index} (hint {}{})",
                    response.term,
                    hint.index,
                    hint.conflict_term.map(|term| format!(", term {term}")).unwrap_or_default()
                ),
            },
        }
    }
}

fn into_log_entry(entry: Entry) -> LogEntry {
    let data = match entry.data {
        raftsim_raft::EntryData::Noop => EntryData::Empty,
        raftsim_raft::EntryData::Command(payload) => EntryData::Command(payload),
        raftsim_raft::EntryData::Config(_) => {
            let membership = entry.data.membership().expect("a well-formed configuration entry");
            EntryData::Config(Box::new(from_raft_membership(membership)))
        }
    };
    LogEntry { index: entry.index, term: entry.term, data }
}

fn from_raft_membership(membership: raftsim_raft::Membership) -> Membership {
    let raftsim_raft::Membership { voters, outgoing, learners } = membership;
    Membership { voters, outgoing, learners }
}

fn to_raft_membership(membership: &Membership) -> raftsim_raft::Membership {
    let Membership { voters, outgoing, learners } = membership.clone();
    raftsim_raft::Membership { voters, outgoing, learners }
}

fn to_raft_entry(entry: &LogEntry) -> Entry {
    let data = match &entry.data {
        EntryData::Empty => raftsim_raft::EntryData::Noop,
        EntryData::Command(payload) => raftsim_raft::EntryData::Command(payload.clone()),
        EntryData::Config(membership) => {
            raftsim_raft::EntryData::config(&to_raft_membership(membership))
        }
    };
    Entry { index: entry.index, term: entry.term, data }
}
