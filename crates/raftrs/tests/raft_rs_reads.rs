//! Linearizable reads on tikv's raft-rs, through the `RaftUnderTest` trait alone: three servers
//! wired by a scripted network (every frame encoded and decoded, a write durable when the script
//! says so), so that each test decides which frames arrive and when.

use std::collections::{BTreeSet, VecDeque};

use raft::eraftpb::{Entry, Message, MessageType};
use raftsim_raftrs::{READS_PENDING_MAX, RaftRsNode};
use raftsim_sim::raft_under_test::{
    DiskImage, Index, Membership, NodeId, NodeSetup, Output, Payload, RaftUnderTest, ReadError,
    ReadKind, ReadReady, Role, Snapshot, WriteId,
};

const VOTERS: [NodeId; 3] = [1, 2, 3];
const ELECTION_TIMEOUT_TICKS_MIN: u32 = 10;
const HEARTBEAT_INTERVAL_TICKS: u32 = 2;
/// Frames one `settle` may deliver before the script is judged to be looping.
const FRAMES_PER_SETTLE_MAX: usize = 10_000;

fn setup(id: NodeId) -> NodeSetup {
    NodeSetup {
        id,
        voters: VOTERS.to_vec(),
        servers: VOTERS.to_vec(),
        election_timeout_ticks_min: ELECTION_TIMEOUT_TICKS_MIN,
        election_timeout_ticks_max: 2 * ELECTION_TIMEOUT_TICKS_MIN,
        heartbeat_interval_ticks: HEARTBEAT_INTERVAL_TICKS,
        max_inflight_messages: 64,
        max_entries_per_message: 64,
        max_bytes_per_message: 1 << 20,
        max_uncommitted_entries: 1024,
        pre_vote: false,
        check_quorum: false,
        lease_reads: false,
        tick_us: 10_000,
        tick_percent_bounds: (100, 100),
        seed: id,
    }
}

/// Three raft-rs servers and the frames between them.
struct Cluster {
    nodes: Vec<RaftRsNode>,
    /// Frames in flight, oldest first: sender, recipient, frame.
    wire: VecDeque<(NodeId, NodeId, Vec<u8>)>,
    /// Servers whose frames, both ways, are lost.
    cut: BTreeSet<NodeId>,
    /// Per server: the latest write its disk holds back, if it holds its writes back.
    held_write: Vec<Option<WriteId>>,
    /// Per server: messages waiting for its held-back write.
    held_messages: Vec<Vec<Message>>,
    /// Servers whose writes are held back until `persist`.
    holding: BTreeSet<NodeId>,
    /// Per server: the reads it handed out, in order.
    reads: Vec<Vec<ReadReady>>,
    /// Per server: snapshots it received from its leader and handed out to write.
    snapshots_installed: Vec<u32>,
}

impl Cluster {
    fn new() -> Cluster {
        let nodes = VOTERS
            .iter()
            .map(|&id| RaftRsNode::boot(&setup(id), &(), &DiskImage::default()).expect("boots"))
            .collect();
        Cluster {
            nodes,
            wire: VecDeque::new(),
            cut: BTreeSet::new(),
            held_write: vec![None; VOTERS.len()],
            held_messages: vec![Vec::new(); VOTERS.len()],
            holding: BTreeSet::new(),
            reads: vec![Vec::new(); VOTERS.len()],
            snapshots_installed: vec![0; VOTERS.len()],
        }
    }

    fn node(&self, id: NodeId) -> &RaftRsNode {
        &self.nodes[id as usize - 1]
    }

    fn node_mut(&mut self, id: NodeId) -> &mut RaftRsNode {
        &mut self.nodes[id as usize - 1]
    }

    fn commit_index(&self, id: NodeId) -> Index {
        self.node(id).observe().commit_index
    }

    /// Takes every output of `id`: its writes durable at once (unless it holds them back), its
    /// messages on the wire (those that wait for a held-back write held with it), its reads
    /// recorded.
    fn drain(&mut self, id: NodeId) {
        let slot = id as usize - 1;
        let mut out = Output::default();
        while self.nodes[slot].has_output() {
            self.nodes[slot].take_output(&mut out);
            self.snapshots_installed[slot] += u32::from(out.write.snapshot_installed);
            if let Some(write) = out.write.id {
                if self.holding.contains(&id) {
                    self.held_write[slot] = Some(write);
                } else {
                    self.nodes[slot].on_persisted(write);
                }
            }
            let mut messages = std::mem::take(&mut out.messages);
            if self.held_write[slot].is_some() {
                self.held_messages[slot].append(&mut out.persisted_messages);
            } else {
                messages.append(&mut out.persisted_messages);
            }
            self.send(id, messages);
            self.reads[slot].append(&mut out.reads);
        }
    }

    fn send(&mut self, from: NodeId, messages: Vec<Message>) {
        for message in messages {
            let mut frame = Vec::new();
            self.node(from).encode(&message, &mut frame);
            self.wire.push_back((from, message.to, frame));
        }
    }

    /// Delivers the oldest frame in flight (lost if either end is cut) and takes the
    /// recipient's output. Returns false if nothing was in flight.
    fn deliver_next(&mut self) -> bool {
        let Some((from, to, frame)) = self.wire.pop_front() else { return false };
        if self.cut.contains(&from) || self.cut.contains(&to) {
            return true;
        }
        let message = self.node(to).decode(&frame).expect("a sound frame decodes");
        self.node_mut(to).step(message).expect("raft-rs takes the message");
        self.drain(to);
        true
    }

    /// Delivers frames until `done` holds.
    fn deliver_until(&mut self, done: impl Fn(&Cluster) -> bool) {
        while !done(self) {
            assert!(self.deliver_next(), "nothing left in flight, and not done");
        }
    }

    /// Takes every server's output and delivers frames until nothing is in flight.
    fn settle(&mut self) {
        for id in VOTERS {
            self.drain(id);
        }
        let mut delivered = 0;
        while self.deliver_next() {
            delivered += 1;
            assert!(delivered < FRAMES_PER_SETTLE_MAX, "the cluster never settles");
        }
    }

    fn tick(&mut self, id: NodeId, ticks: u32) {
        for _ in 0..ticks {
            self.node_mut(id).tick();
            self.drain(id);
        }
    }

    /// Ticks only `id` until it campaigns, and lets the election run: `id` leads.
    fn elect(&mut self, id: NodeId) {
        for _ in 0..=2 * ELECTION_TIMEOUT_TICKS_MIN {
            self.tick(id, 1);
            if self.node(id).observe().role == Role::Candidate {
                break;
            }
        }
        self.settle();
        let observation = self.node(id).observe();
        assert_eq!(observation.role, Role::Leader, "node {id} did not win: {observation:?}");
    }

    /// A leader's heartbeat interval passes at `id`, and the cluster settles.
    fn heartbeat(&mut self, id: NodeId) {
        self.tick(id, HEARTBEAT_INTERVAL_TICKS);
        self.settle();
    }

    /// Makes the writes `id` held back durable, and sends what waited for them.
    fn persist(&mut self, id: NodeId) {
        let slot = id as usize - 1;
        self.holding.remove(&id);
        if let Some(write) = self.held_write[slot].take() {
            self.nodes[slot].on_persisted(write);
        }
        let messages = std::mem::take(&mut self.held_messages[slot]);
        self.send(id, messages);
        self.drain(id);
    }

    fn propose(&mut self, id: NodeId, commands: u32) {
        for command in 0..commands {
            let payload = Payload::from_slice(&command.to_le_bytes());
            self.node_mut(id).propose(payload).expect("the leader takes the proposal");
        }
        self.settle();
    }

    fn take_reads(&mut self, id: NodeId) -> Vec<ReadReady> {
        std::mem::take(&mut self.reads[id as usize - 1])
    }
}

/// Node 1 leads, and every server has committed its empty entry and `commands` more.
fn cluster_led_by_1(commands: u32) -> Cluster {
    let mut cluster = Cluster::new();
    cluster.elect(1);
    cluster.propose(1, commands);
    cluster.heartbeat(1);
    for id in VOTERS {
        assert_eq!(cluster.commit_index(id), 1 + commands as Index, "node {id}");
    }
    cluster
}

#[test]
fn a_read_at_the_leader_comes_out_at_its_commit_index_once_a_quorum_answers_its_heartbeats() {
    let mut cluster = cluster_led_by_1(3);
    let commit = cluster.commit_index(1);
    cluster.cut.extend([2, 3]);
    assert_eq!(cluster.node_mut(1).read(7, ReadKind::ReadIndex), Ok(()));
    cluster.settle();
    assert_eq!(cluster.take_reads(1), [], "answered without a quorum");
    // One follower back is a quorum; the leader repeats the read's context in its next
    // heartbeats, so the lost round is made up.
    cluster.cut.remove(&2);
    cluster.heartbeat(1);
    assert_eq!(cluster.take_reads(1), [ReadReady { id: 7, index: commit }]);
    assert_eq!(cluster.take_reads(2), []);
}

#[test]
fn a_lease_read_waits_for_its_round_of_heartbeats_too() {
    let mut cluster = cluster_led_by_1(1);
    let commit = cluster.commit_index(1);
    cluster.cut.extend([2, 3]);
    assert_eq!(cluster.node_mut(1).read(8, ReadKind::Lease), Ok(()));
    cluster.settle();
    assert_eq!(cluster.take_reads(1), [], "a lease read answered without a round");
    cluster.cut.clear();
    cluster.heartbeat(1);
    assert_eq!(cluster.take_reads(1), [ReadReady { id: 8, index: commit }]);
}

#[test]
fn a_read_at_a_follower_comes_out_there_with_the_leaders_commit_index() {
    let mut cluster = cluster_led_by_1(1);
    // Node 2 misses two commands the leader commits with node 3.
    cluster.cut.insert(2);
    cluster.propose(1, 2);
    cluster.cut.clear();
    let (leader_commit, follower_commit) = (cluster.commit_index(1), cluster.commit_index(2));
    assert!(follower_commit < leader_commit, "{follower_commit} {leader_commit}");
    assert_eq!(cluster.node_mut(2).read(9, ReadKind::ReadIndex), Ok(()));
    cluster.settle();
    assert_eq!(cluster.take_reads(2), [ReadReady { id: 9, index: leader_commit }]);
    assert_eq!(cluster.take_reads(1), [], "the leader answered the follower's read itself");
    assert_eq!(cluster.take_reads(3), []);
}

#[test]
fn a_read_at_a_server_that_knows_no_leader_is_refused() {
    let mut cluster = Cluster::new();
    let refused = Err(ReadError::NotLeader { leader_hint: None });
    assert_eq!(cluster.node_mut(2).read(1, ReadKind::ReadIndex), refused);
    assert_eq!(cluster.node_mut(2).read(2, ReadKind::Lease), refused);
    // A candidate knows no leader either.
    cluster.cut.insert(1);
    cluster.tick(1, 2 * ELECTION_TIMEOUT_TICKS_MIN + 1);
    assert_eq!(cluster.node(1).observe().role, Role::Candidate);
    assert_eq!(cluster.node_mut(1).read(3, ReadKind::ReadIndex), refused);
    cluster.cut.clear();
    cluster.settle();
    assert!(cluster.reads.iter().all(Vec::is_empty), "{:?}", cluster.reads);
}

/// raft-rs drops a read at a leader whose commit index is not yet of its term (thesis §6.4:
/// until then it does not know the latest commit index); the adapter says so rather than
/// letting the read vanish.
#[test]
fn a_leader_refuses_reads_until_an_entry_of_its_term_commits() {
    let mut cluster = Cluster::new();
    cluster.tick(1, 2 * ELECTION_TIMEOUT_TICKS_MIN + 1);
    cluster.deliver_until(|cluster| cluster.node(1).observe().role == Role::Leader);
    // Its empty entry reaches no follower.
    cluster.cut.extend([2, 3]);
    cluster.settle();
    assert_eq!(cluster.commit_index(1), 0);
    assert_eq!(cluster.node_mut(1).read(4, ReadKind::ReadIndex), Err(ReadError::Busy));
    cluster.cut.clear();
    cluster.heartbeat(1);
    assert_eq!(cluster.commit_index(1), 1);
    assert_eq!(cluster.node_mut(1).read(5, ReadKind::ReadIndex), Ok(()));
    cluster.heartbeat(1);
    assert_eq!(cluster.take_reads(1), [ReadReady { id: 5, index: 1 }]);
}

#[test]
fn a_leader_refuses_reads_beyond_its_limit_until_a_round_answers_them() {
    let mut cluster = cluster_led_by_1(0);
    cluster.cut.extend([2, 3]);
    for id in 0..READS_PENDING_MAX as u64 {
        assert_eq!(cluster.node_mut(1).read(id, ReadKind::ReadIndex), Ok(()), "read {id}");
    }
    let over = READS_PENDING_MAX as u64;
    assert_eq!(cluster.node_mut(1).read(over, ReadKind::ReadIndex), Err(ReadError::Busy));
    cluster.cut.clear();
    cluster.heartbeat(1);
    assert_eq!(cluster.take_reads(1).len(), READS_PENDING_MAX);
    assert_eq!(cluster.node_mut(1).read(over, ReadKind::ReadIndex), Ok(()));
}

/// A follower installing a snapshot neither ticks nor campaigns until the snapshot is durable
/// (raft-rs would read compacted entries and panic): a read answered meanwhile must not open
/// another way there.
#[test]
fn a_read_at_a_follower_installing_a_snapshot_comes_out_without_a_panic() {
    let mut cluster = Cluster::new();
    cluster.cut.insert(3);
    cluster.elect(1);
    cluster.propose(1, 4);
    let (index, term) = (cluster.commit_index(1), cluster.node(1).observe().term);
    let membership = Membership::of_voters(&[1, 2, 3]);
    let image = Snapshot { index, term, data: b"state machine".to_vec(), membership };
    cluster.node_mut(1).compact(image);
    cluster.settle();
    // Node 3 is back: the leader's heartbeat tells it who leads, and the leader answers its
    // heartbeat response with the snapshot. Its read is on the wire behind that response, and
    // from then on node 3 holds its writes back: the leader's answer to the read arrives while
    // the snapshot is not yet durable.
    cluster.cut.clear();
    cluster.tick(1, HEARTBEAT_INTERVAL_TICKS);
    cluster.deliver_until(|cluster| cluster.node(3).observe().leader == Some(1));
    assert_eq!(cluster.node_mut(3).read(11, ReadKind::ReadIndex), Ok(()));
    cluster.drain(3);
    cluster.holding.insert(3);
    cluster.settle();
    assert_eq!(cluster.snapshots_installed[2], 1, "node 3 installed no snapshot");
    assert!(cluster.held_write[2].is_some(), "node 3's snapshot is already durable");
    assert_eq!(cluster.take_reads(3), [ReadReady { id: 11, index }]);
    // Nothing moves at node 3 until the snapshot is durable, and then it catches up.
    cluster.tick(3, 2 * ELECTION_TIMEOUT_TICKS_MIN + 1);
    cluster.persist(3);
    cluster.heartbeat(1);
    assert_eq!(cluster.node(1).observe().role, Role::Leader);
    assert_eq!(cluster.commit_index(3), index);
    assert_eq!(cluster.node_mut(3).read(12, ReadKind::ReadIndex), Ok(()));
    cluster.settle();
    assert_eq!(cluster.take_reads(3), [ReadReady { id: 12, index }]);
}

/// Outside the fault model, a tampered frame can carry any read message. raft-rs panics on two
/// shapes of them, which the adapter refuses; a context it did not make is no read of its.
#[test]
fn read_messages_raft_rs_would_panic_on_are_refused_and_foreign_contexts_ignored() {
    let mut cluster = cluster_led_by_1(1);
    let term = cluster.node(1).observe().term;
    let commit = cluster.commit_index(1);
    let message = |kind: MessageType, from: NodeId, to: NodeId, term: u64, context: &[&[u8]]| {
        let mut message = Message { from, to, term, index: commit + 100, ..Message::default() };
        message.set_msg_type(kind);
        let entries =
            context.iter().map(|data| Entry { data: data.to_vec().into(), ..Entry::default() });
        message.set_entries(entries.collect::<Vec<Entry>>().into());
        message
    };
    let without_context = message(MessageType::MsgReadIndex, 2, 1, 0, &[]);
    assert!(cluster.node_mut(1).step(without_context).is_err());
    let without_term = message(MessageType::MsgReadIndexResp, 1, 2, 0, &[&7u64.to_le_bytes()]);
    assert!(cluster.node_mut(2).step(without_term).is_err());
    // An answer with a context of the wrong length is no read; one of the right length is
    // handed out as it stands, whoever asked.
    for context in [&b"abc"[..], &[0; 9][..], &13u64.to_le_bytes()[..]] {
        let mut answer = message(MessageType::MsgReadIndexResp, 1, 2, term, &[context]);
        answer.index = commit;
        assert_eq!(cluster.node_mut(2).step(answer), Ok(()));
    }
    cluster.settle();
    assert_eq!(cluster.take_reads(2), [ReadReady { id: 13, index: commit }]);
    assert_eq!(cluster.node(1).observe().role, Role::Leader);
}
