//! tikv's raft-rs (the `raft` crate, 0.7) as a [`RaftUnderTest`]: the checker's hardest test
//! is a mature Raft it must not falsely accuse.
//!
//! The mapping follows raft-rs's own asynchronous-persistence contract:
//!
//! | raftsim | raft-rs |
//! |---|---|
//! | `take_output` | `RawNode::ready`, its entries, hard state and snapshot written into [`SimStorage`] (raft-rs must be able to read them back), then `advance_append_async` |
//! | `Output::messages` / `persisted_messages` | `Ready::take_messages` (a leader's, sent at once) / `take_persisted_messages` |
//! | `Output::committed` | `Ready::take_committed_entries`, then `advance_apply_to` |
//! | `on_persisted(write)` | `on_persist_ready(number)`: write ids are Ready numbers |
//! | `boot` from a disk image | a fresh `RawNode` over a [`SimStorage`] rebuilt from it |
//! | `compact(snapshot)` | the storage's snapshot replaced and its log compacted behind it, as raft-rs applications do; the snapshot reaches the disk with the next `Ready`'s write |
//! | `WriteBatch::snapshot_installed` | `Ready::snapshot`: one received from the leader |
//! | a snapshot message sent | `report_snapshot(to, Finish)`: the simulated network takes it at once |
//! | `read(id, kind)` | `RawNode::read_index` with `id` (8 bytes, little-endian) as the request context, always raft-rs's safe ReadIndex |
//! | `Output::reads` | `Ready::take_read_states`: each read state's context names the read, its index is the one to apply first |
//!
//! raft-rs draws a fresh randomized election timeout from `rand::thread_rng()` whenever it
//! resets (on every change of term or role), which a deterministic simulation cannot allow — and
//! pinning one value per server is no answer either: two servers with the same value then split
//! every vote forever. So after every input that changed a server's term or role, the adapter
//! replaces the timeout raft-rs just drew with one from the server's own seeded ChaCha stream,
//! in the scenario's range, through raft-rs's `set_randomized_election_timeout`. The value raft-rs
//! drew is never used: timeouts only count at the next tick, after the replacement. Messages
//! travel as `[length][crc32c][protobuf]` frames.
//!
//! raft-rs has no injectable bugs: the engine refuses a spec that asks for any.

mod codec;
mod storage;

use raft::eraftpb::{Entry, EntryType, HardState as PbHardState, Message, MessageType, Snapshot};
use raft::{RawNode, ReadState, StateRole};
use raftsim_sim::engine::Driven;
use raftsim_sim::raft_under_test::{
    BootError, DecodeError, DiskImage, EntryData, HardState, LogEntry, Membership, MessageKind,
    MessageSummary, NodeSetup, Observation, Output, Payload, ProposeError, RaftUnderTest,
    ReadError, ReadId, ReadKind, ReadReady, Refused, Role, Snapshot as SimSnapshot, WriteId,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use storage::SimStorage;

/// The engine that runs raft-rs, as `--raft raft-rs` names it.
pub static RAFT_RS_ENGINE: Driven<RaftRsNode> = Driven::new(
    "raft-rs",
    "tikv's raft-rs 0.7 (the `raft` crate), through crates/raftrs",
    |spec| {
        if spec.bugs.is_empty() {
            Ok(())
        } else {
            Err("injectable bugs (--bug) exist only in raftsim's Raft, not in raft-rs".to_owned())
        }
    },
);

/// Reads a leader may have waiting for their round of heartbeats (its own and those its
/// followers forwarded) before it refuses more: raft-rs queues them without a bound.
pub const READS_PENDING_MAX: usize = 1024;

/// One raft-rs server.
pub struct RaftRsNode {
    raw: RawNode<SimStorage>,
    voters: Vec<u64>,
    /// Draws this server's election timeouts.
    rng: ChaCha8Rng,
    /// Shortest and longest election timeout, inclusive.
    timeout_ticks: (usize, usize),
    /// Term and role when the timeout was last drawn.
    drawn_for: Option<(u64, StateRole)>,
    /// A snapshot the state machine took, for the disk with the next write.
    compacted: Option<SimSnapshot>,
    /// An installed snapshot's write and index, applied once that write is durable.
    installing: Option<(WriteId, u64)>,
}

impl RaftRsNode {
    /// Replaces raft-rs's own draw of the election timeout after a reset (see the crate
    /// documentation).
    fn pin_election_timeout(&mut self) {
        let raft = &mut self.raw.raft;
        let now = (raft.term, raft.state);
        if self.drawn_for != Some(now) {
            let (min, max) = self.timeout_ticks;
            raft.set_randomized_election_timeout(self.rng.random_range(min..=max));
            self.drawn_for = Some(now);
        }
    }
}

impl RaftUnderTest for RaftRsNode {
    type Message = Message;
    type Tuning = ();

    fn boot(setup: &NodeSetup, _: &(), disk: &DiskImage) -> Result<RaftRsNode, BootError> {
        let timeout_ticks =
            (setup.election_timeout_ticks_min as usize, setup.election_timeout_ticks_max as usize);
        let config = raft::Config {
            id: setup.id,
            election_tick: timeout_ticks.0,
            heartbeat_tick: setup.heartbeat_interval_ticks as usize,
            min_election_tick: timeout_ticks.0,
            max_election_tick: timeout_ticks.1 + 1,
            max_size_per_msg: setup.max_bytes_per_message as u64,
            max_inflight_msgs: setup.max_inflight_messages as usize,
            pre_vote: setup.pre_vote,
            check_quorum: setup.check_quorum,
            applied: disk.snapshot.as_ref().map_or(0, |snapshot| snapshot.index),
            ..raft::Config::default()
        };
        let hard_state = PbHardState {
            term: disk.hard_state.term,
            vote: disk.hard_state.vote.unwrap_or(0),
            commit: disk.hard_state.commit,
            ..PbHardState::default()
        };
        let snapshot = disk
            .snapshot
            .as_ref()
            .map_or_else(Snapshot::default, |image| to_raft_snapshot(image, &setup.voters));
        let entries = disk.entries.iter().map(to_raft_entry).collect();
        let storage = SimStorage::new(&setup.voters, hard_state, snapshot, entries);
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let raw = RawNode::new(&config, storage, &logger)
            .map_err(|error| BootError(format!("raft-rs refused to start: {error}")))?;
        let mut node = RaftRsNode {
            raw,
            voters: setup.voters.clone(),
            rng: ChaCha8Rng::seed_from_u64(setup.seed),
            timeout_ticks,
            drawn_for: None,
            compacted: None,
            installing: None,
        };
        node.pin_election_timeout();
        Ok(node)
    }

    fn tick(&mut self) {
        if self.installing.is_some() {
            // Between handing a received snapshot to storage and its persistence, raft-rs's
            // applied index lags the compacted storage, and a campaign would read the entries
            // in between and panic. TiKV's raftstore does not tick a peer with a pending
            // snapshot for this reason; neither does the adapter.
            return;
        }
        self.raw.tick();
        self.pin_election_timeout();
    }

    fn step(&mut self, message: Message) -> Result<(), Refused> {
        let id = self.raw.raft.id;
        if message.to != id {
            return Err(Refused(format!("a message for node {} reached node {id}", message.to)));
        }
        if self.installing.is_some() && message.get_msg_type() == MessageType::MsgTimeoutNow {
            // A campaign now would panic, as in `tick`.
            return Err(Refused("a TimeoutNow while a snapshot is being persisted".to_owned()));
        }
        refuse_malformed_read_message(&message)?;
        let stepped = self.raw.step(message).map_err(|error| Refused(error.to_string()));
        self.pin_election_timeout();
        stepped
    }

    fn propose(&mut self, command: Payload) -> Result<(), ProposeError> {
        let proposed = self.raw.propose(Vec::new(), command.to_vec());
        self.pin_election_timeout();
        match proposed {
            Ok(()) => Ok(()),
            // A leader drops proposals while it transfers its leadership: busy, not gone.
            Err(raft::Error::ProposalDropped) if self.raw.raft.state != StateRole::Leader => {
                let leader = self.raw.raft.leader_id;
                Err(ProposeError::NotLeader { leader_hint: (leader != 0).then_some(leader) })
            }
            Err(_) => Err(ProposeError::Busy),
        }
    }

    /// Every read is raft-rs's safe ReadIndex (`ReadOnlyOption::Safe`), a lease read
    /// included: raft-rs's `LeaseBased` option is fixed per node, and answers at once for as
    /// long as the leader's own tick count says CheckQuorum has not deposed it. A leader paused
    /// past its election timeout misses those ticks (a paused node's ticks merge into one), so
    /// on resuming it still counts itself in its lease and answers while a newer leader commits.
    ///
    /// raft-rs drops a read without a word where it cannot serve it: a follower that knows no
    /// leader, a candidate, and a leader that has not yet committed an entry of its term. The
    /// first two are refused here as `NotLeader`, the last as `Busy` (it can serve reads once
    /// its first entry commits). A follower's read is taken and then lost without a word if its
    /// leader turns out not to be one, and a leader forgets every read it holds when its term or
    /// role changes. A duplicated request or answer frame hands the same read out again (a
    /// request answered anew, with the commit index of then).
    fn read(&mut self, id: ReadId, _kind: ReadKind) -> Result<(), ReadError> {
        let raft = &self.raw.raft;
        match raft.state {
            StateRole::Leader if !raft.commit_to_current_term() => return Err(ReadError::Busy),
            StateRole::Leader if raft.pending_read_count() >= READS_PENDING_MAX => {
                return Err(ReadError::Busy);
            }
            StateRole::Leader => {}
            StateRole::Follower if raft.leader_id != raft::INVALID_ID => {}
            StateRole::Follower | StateRole::PreCandidate | StateRole::Candidate => {
                return Err(ReadError::NotLeader { leader_hint: None });
            }
        }
        self.raw.read_index(id.to_le_bytes().to_vec());
        self.pin_election_timeout();
        Ok(())
    }

    fn transfer_leadership(&mut self, target: u64) -> bool {
        if self.raw.raft.state != StateRole::Leader || target == self.raw.raft.id {
            return false;
        }
        self.raw.transfer_leader(target);
        self.pin_election_timeout();
        true
    }

    fn has_output(&self) -> bool {
        self.raw.has_ready()
    }

    fn take_output(&mut self, out: &mut Output<Message>) {
        out.clear();
        let mut ready = self.raw.ready();
        // Read states come out only in a `Ready` (never in a `LightReady`, which this adapter
        // does not take anyway): both a leader's own and those a follower's leader answered.
        out.reads.extend(ready.take_read_states().into_iter().filter_map(into_read_ready));
        let write = &mut out.write;
        if let Some(hard_state) = ready.hs() {
            let vote = (hard_state.vote != 0).then_some(hard_state.vote);
            write.hard_state =
                Some(HardState { term: hard_state.term, vote, commit: hard_state.commit });
            self.raw.mut_store().set_hard_state(hard_state.clone());
        }
        if !ready.snapshot().is_empty() {
            let snapshot = ready.snapshot().clone();
            let index = snapshot.get_metadata().index;
            let conf_state = snapshot.get_metadata().get_conf_state();
            let membership = Membership {
                voters: sorted(conf_state.get_voters()),
                outgoing: sorted(conf_state.get_voters_outgoing()),
                learners: sorted(conf_state.get_learners()),
            };
            write.snapshot = Some(SimSnapshot {
                index,
                term: snapshot.get_metadata().term,
                data: snapshot.data.to_vec(),
                membership,
            });
            write.snapshot_installed = true;
            if !self.raw.mut_store().apply_snapshot(snapshot) {
                write.log_from = Some(index + 1); // The log after it went too.
            }
            self.compacted = self.compacted.take().filter(|own| own.index > index);
        } else if let Some(own) = self.compacted.take() {
            write.snapshot = Some(own);
        }
        if let Some(first) = ready.entries().first() {
            write.log_from = Some(first.index);
            write.entries.extend(ready.entries().iter().map(into_log_entry));
            self.raw.mut_store().append(ready.entries());
        }
        if write.hard_state.is_some() || write.snapshot.is_some() || write.log_from.is_some() {
            write.id = Some(ready.number());
        }
        out.messages.extend(ready.take_messages());
        out.persisted_messages.extend(ready.take_persisted_messages());
        // raft-rs keeps a follower it sent a snapshot to paused until the transport reports the
        // send; the simulator's network takes every frame at once, so it reports at once. If
        // the network loses it, the follower's next rejection brings the snapshot again.
        let snapshots_to: Vec<u64> = out
            .messages
            .iter()
            .filter(|message| message.get_msg_type() == MessageType::MsgSnapshot)
            .map(|message| message.to)
            .collect();
        let committed = ready.take_committed_entries();
        out.committed.extend(committed.iter().map(into_log_entry));
        self.raw.advance_append_async(ready);
        if let Some(last) = committed.last() {
            self.raw.advance_apply_to(last.index);
        }
        if let (Some(snapshot), true, Some(id)) =
            (&write.snapshot, write.snapshot_installed, write.id)
        {
            // Applied (the simulator restores its state machine from it) once it is durable:
            // raft-rs takes nothing as applied that it has not persisted.
            self.installing = Some((id, snapshot.index));
        }
        for to in snapshots_to {
            self.raw.report_snapshot(to, raft::SnapshotStatus::Finish);
        }
    }

    fn on_persisted(&mut self, write: WriteId) {
        self.raw.on_persist_ready(write);
        if let Some((id, index)) = self.installing
            && id <= write
        {
            self.installing = None;
            if index > self.raw.raft.raft_log.applied {
                self.raw.advance_apply_to(index);
            }
        }
        self.pin_election_timeout();
    }

    fn compact(&mut self, snapshot: SimSnapshot) {
        if self.raw.mut_store().compact(to_raft_snapshot(&snapshot, &self.voters)) {
            self.compacted = Some(snapshot);
        }
    }

    fn observe(&self) -> Observation {
        let raft = &self.raw.raft;
        Observation {
            role: match raft.state {
                StateRole::Follower => Role::Follower,
                StateRole::PreCandidate => Role::PreCandidate,
                StateRole::Candidate => Role::Candidate,
                StateRole::Leader => Role::Leader,
            },
            term: raft.term,
            vote: (raft.vote != 0).then_some(raft.vote),
            commit_index: raft.raft_log.committed,
            leader: (raft.leader_id != 0).then_some(raft.leader_id),
            last_index: raft.raft_log.last_index(),
        }
    }

    fn encode(&self, message: &Message, frame: &mut Vec<u8>) {
        codec::encode(message, frame);
    }

    fn decode(&self, frame: &[u8]) -> Result<Message, DecodeError> {
        let message = codec::decode(frame)?;
        for node in [message.from, message.to] {
            if !self.voters.contains(&node) {
                return Err(DecodeError(format!("frame names node {node}, not a member")));
            }
        }
        Ok(message)
    }

    fn summarize(message: &Message) -> MessageSummary {
        let kind = match message.get_msg_type() {
            MessageType::MsgRequestVote => MessageKind::VoteRequest {
                pre: false,
                last_index: message.index,
                last_term: message.log_term,
            },
            MessageType::MsgRequestPreVote => MessageKind::VoteRequest {
                pre: true,
                last_index: message.index,
                last_term: message.log_term,
            },
            MessageType::MsgRequestVoteResponse => {
                MessageKind::VoteResponse { pre: false, granted: !message.reject }
            }
            MessageType::MsgRequestPreVoteResponse => {
                MessageKind::VoteResponse { pre: true, granted: !message.reject }
            }
            MessageType::MsgAppend => MessageKind::Append { entries: message.entries.len() as u32 },
            MessageType::MsgAppendResponse => {
                MessageKind::AppendResponse { accepted: !message.reject, index: message.index }
            }
            MessageType::MsgHeartbeat => MessageKind::Heartbeat,
            MessageType::MsgHeartbeatResponse => MessageKind::HeartbeatResponse,
            MessageType::MsgSnapshot => MessageKind::Snapshot,
            MessageType::MsgTimeoutNow => MessageKind::TimeoutNow,
            _ => MessageKind::Other,
        };
        MessageSummary { from: message.from, to: message.to, term: message.term, kind }
    }

    fn tamper(frame: &mut [u8], flip: &mut dyn FnMut(usize) -> Vec<usize>) -> bool {
        raftsim_sim::raft_under_test::tamper_checksummed_frame(frame, flip)
    }

    fn describe(message: &Message) -> String {
        let kind = format!("{:?}", message.get_msg_type());
        let mut text = format!(
            "{} term {} index {} log_term {} commit {}",
            kind.strip_prefix("Msg").unwrap_or(&kind),
            message.term,
            message.index,
            message.log_term,
            message.commit
        );
        if !message.entries.is_empty() {
            text.push_str(&format!(" entries {}", message.entries.len()));
        }
        if message.reject {
            text.push_str(&format!(" rejected (hint {})", message.reject_hint));
        }
        text
    }
}

/// Refuses the two read messages raft-rs would panic on, which only a tampered frame carries:
/// a ReadIndex request without its context entry (a leader indexes it), and a ReadIndex answer
/// without a term (a follower would commit the answer's index whether or not its log holds it).
fn refuse_malformed_read_message(message: &Message) -> Result<(), Refused> {
    match message.get_msg_type() {
        MessageType::MsgReadIndex if message.entries.is_empty() => {
            Err(Refused("a ReadIndex request without its context".to_owned()))
        }
        MessageType::MsgReadIndexResp if message.term == 0 => {
            Err(Refused("a ReadIndex answer without a term".to_owned()))
        }
        _ => Ok(()),
    }
}

/// The read a read state answers, named by its context: `None` for a context the adapter did
/// not make, which only a tampered frame carries.
fn into_read_ready(state: ReadState) -> Option<ReadReady> {
    let id = <[u8; 8]>::try_from(state.request_ctx.as_slice()).ok()?;
    Some(ReadReady { id: u64::from_le_bytes(id), index: state.index })
}

/// The simulator's snapshot as raft-rs's, its configuration the fixed voters.
fn to_raft_snapshot(image: &SimSnapshot, voters: &[u64]) -> Snapshot {
    let mut snapshot = Snapshot::default();
    let metadata = snapshot.mut_metadata();
    metadata.index = image.index;
    metadata.term = image.term;
    metadata.set_conf_state((voters.to_vec(), Vec::<u64>::new()).into());
    snapshot.data = image.data.clone().into();
    snapshot
}

/// `ids` ascending.
fn sorted(ids: &[u64]) -> Vec<u64> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids
}

fn into_log_entry(entry: &Entry) -> LogEntry {
    let data = match entry.get_entry_type() {
        EntryType::EntryNormal if entry.data.is_empty() => EntryData::Empty,
        EntryType::EntryNormal => EntryData::Command(Payload::from_slice(&entry.data)),
        EntryType::EntryConfChange | EntryType::EntryConfChangeV2 => {
            unreachable!("raft-rs changes no configuration here: the adapter proposes no change")
        }
    };
    LogEntry { index: entry.index, term: entry.term, data }
}

fn to_raft_entry(entry: &LogEntry) -> Entry {
    let (entry_type, data) = match &entry.data {
        EntryData::Empty => (EntryType::EntryNormal, Vec::new()),
        EntryData::Command(payload) => (EntryType::EntryNormal, payload.to_vec()),
        EntryData::Config(_) => {
            unreachable!("the simulator gives raft-rs no configuration change to write")
        }
    };
    let mut raft_entry =
        Entry { index: entry.index, term: entry.term, data: data.into(), ..Entry::default() };
    raft_entry.set_entry_type(entry_type);
    raft_entry
}
