//! Helpers shared by the integration tests of `raftsim-raft`: configurations with fixed seeds,
//! builders for logs and messages, helpers that step a lone node and drain its output, and a
//! small in-memory cluster whose network delivers messages only when the test script says so
//! (its driver persists, then sends, then applies each `Ready`).
//!
//! Everything here uses the crate's public API only.

#![allow(dead_code, reason = "each test file uses a different subset of these helpers")]

pub mod render;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use raftsim_raft::{
    AppendEntries, AppendEntriesResponse, AppendOutcome, Change, ChangeError, Config, ConflictHint,
    DurableState, Entry, EntryData, Envelope, FrameCodec, HardState, Index, Membership, Message,
    Node, NodeId, ProposeError, ReadError, ReadKind, ReadRound, ReadState, Ready, RequestVote,
    RequestVoteResponse, RoleKind, Term, TransferError,
};

/// Voter ids `1..=count`.
pub fn voters(count: u64) -> Vec<NodeId> {
    (1..=count).collect()
}

/// The usual configuration for server `id` of `voters`, with its seed fixed to its id so that
/// every run draws the same election timeouts.
pub fn config(id: NodeId, voters: &[NodeId]) -> Config {
    Config { seed: id, ..Config::new(id, voters.to_vec()) }
}

/// A configuration whose election timeout is exactly `ticks`: no randomness, for scripts that
/// count ticks.
pub fn config_with_timeout(id: NodeId, voters: &[NodeId], ticks: u32) -> Config {
    Config {
        election_timeout_ticks_min: ticks,
        election_timeout_ticks_max: ticks,
        ..config(id, voters)
    }
}

/// A no-op entry.
pub fn noop(index: Index, term: Term) -> Entry {
    Entry { index, term, data: EntryData::Noop }
}

/// A command entry carrying `bytes`.
pub fn command(index: Index, term: Term, bytes: &[u8]) -> Entry {
    Entry { index, term, data: EntryData::Command(bytes.into()) }
}

/// Entries from index `first` on, one per term in `terms`. Each is a command naming its own
/// position (`"3@2"`), so that two entries with the same index and term are also equal.
pub fn entries_from(first: Index, terms: &[Term]) -> Vec<Entry> {
    terms
        .iter()
        .enumerate()
        .map(|(offset, &term)| {
            let index = first + offset as Index;
            command(index, term, format!("{index}@{term}").as_bytes())
        })
        .collect()
}

/// A whole log, from index 1, one entry per term in `terms`.
pub fn log_of_terms(terms: &[Term]) -> Vec<Entry> {
    entries_from(1, terms)
}

/// A configuration entry.
pub fn config_entry(index: Index, term: Term, membership: Membership) -> Entry {
    Entry { index, term, data: EntryData::config(&membership) }
}

/// A configuration of `voters`, with `learners`.
pub fn membership_of(voters: &[NodeId], learners: &[NodeId]) -> Membership {
    Membership { learners: learners.to_vec(), ..Membership::of_voters(voters) }
}

/// A joint configuration: `incoming` voters, leaving `outgoing` behind.
pub fn joint_of(incoming: &[NodeId], outgoing: &[NodeId]) -> Membership {
    Membership { outgoing: outgoing.to_vec(), ..Membership::of_voters(incoming) }
}

/// The terms of a log's entries, index 1 first.
pub fn terms_of(entries: &[Entry]) -> Vec<Term> {
    entries.iter().map(|entry| entry.term).collect()
}

/// The terms of `node`'s log, index 1 first.
pub fn log_terms(node: &Node) -> Vec<Term> {
    terms_of(node.log().entries())
}

/// A disk holding a log with `terms`, and the given hard state.
pub fn durable(term: Term, vote: Option<NodeId>, commit: Index, terms: &[Term]) -> DurableState {
    DurableState {
        hard_state: HardState { term, vote, commit },
        snapshot: None,
        entries: log_of_terms(terms),
        damage: None,
    }
}

/// A server restarted from `durable`, its state machine caught up to the durable commit index
/// (so that nothing is handed out again).
pub fn restarted(config: Config, durable: &DurableState) -> Node {
    Node::restart(config, durable, durable.hard_state.commit).expect("a valid configuration")
}

/// Server 1 of `voters` with the given durable state and a fixed seed.
pub fn node_from(voters: &[NodeId], durable: &DurableState) -> Node {
    restarted(config(1, voters), durable)
}

// --- Messages -------------------------------------------------------------------------------

/// A RequestVote.
pub fn request_vote(term: Term, last_log_index: Index, last_log_term: Term) -> Message {
    Message::RequestVote(RequestVote { term, last_log_index, last_log_term, transfer: false })
}

/// A RequestVoteResponse.
pub fn vote_response(term: Term, granted: bool) -> Message {
    Message::RequestVoteResponse(RequestVoteResponse { term, granted })
}

/// An AppendEntries; `prev` is `(index, term)`.
pub fn append(
    term: Term,
    prev: (Index, Term),
    entries: Vec<Entry>,
    leader_commit: Index,
) -> Message {
    Message::AppendEntries(AppendEntries {
        term,
        prev_log_index: prev.0,
        prev_log_term: prev.1,
        entries,
        leader_commit,
    })
}

/// An AppendEntriesResponse that accepts up to `match_index`.
pub fn accepted(term: Term, match_index: Index) -> Message {
    Message::AppendEntriesResponse(AppendEntriesResponse {
        term,
        outcome: AppendOutcome::Accepted { match_index },
    })
}

/// An AppendEntriesResponse that rejects the append with previous index `rejected_index`.
pub fn rejected(
    term: Term,
    rejected_index: Index,
    index: Index,
    conflict_term: Option<Term>,
) -> Message {
    Message::AppendEntriesResponse(AppendEntriesResponse {
        term,
        outcome: AppendOutcome::Rejected {
            rejected_index,
            hint: ConflictHint { index, conflict_term },
        },
    })
}

/// A leader's read round.
pub fn read_heartbeat(term: Term, round: u64) -> Message {
    Message::ReadHeartbeat(ReadRound { term, round })
}

/// A confirmation of a read round (or, of a later term, its refusal).
pub fn read_heartbeat_response(term: Term, round: u64) -> Message {
    Message::ReadHeartbeatResponse(ReadRound { term, round })
}

// --- Driving one node -----------------------------------------------------------------------

/// Drains `node`'s output as a driver with a synchronous disk does, acknowledging each write at
/// once, until the node has nothing more to say; returns everything it said as one `Ready` (an
/// acknowledgement can release more: a leader's commit, a follower's entries to apply).
#[track_caller]
pub fn take_ready(node: &mut Node) -> Ready {
    let mut all = Ready::default();
    let mut ready = Ready::default();
    loop {
        node.ready(&mut ready);
        if let Some(write_id) = ready.write_id {
            node.on_persisted(write_id);
        }
        if ready.log_from.is_some() {
            assert!(all.log_from.is_none(), "one input wrote the log twice: {all:?} {ready:?}");
            all.log_from = ready.log_from;
            all.entries.append(&mut ready.entries);
        }
        all.write_id = ready.write_id.or(all.write_id);
        all.hard_state = ready.hard_state.or(all.hard_state);
        if ready.snapshot.is_some() {
            all.snapshot = ready.snapshot.take();
            all.snapshot_installed = ready.snapshot_installed;
        }
        all.messages.append(&mut ready.messages);
        all.persisted_messages.append(&mut ready.persisted_messages);
        all.committed.append(&mut ready.committed);
        all.reads.append(&mut ready.reads);
        if !node.has_ready() {
            return all;
        }
    }
}

/// Steps `message` from `from` into `node` and takes one `Ready`, without acknowledging its
/// write: what the node says while its disk has not caught up.
#[track_caller]
pub fn step_unacknowledged(node: &mut Node, from: NodeId, message: Message) -> Ready {
    let to = node.id();
    node.step(Envelope { from, to, message }).expect("a valid sender and recipient");
    let mut ready = Ready::default();
    node.ready(&mut ready);
    ready
}

/// Every message in `ready`, those that wait for the disk included, in sending order.
pub fn sent(ready: &Ready) -> Vec<&Envelope> {
    ready.all_messages().collect()
}

/// Steps `message` from `from` into `node` and drains its output.
#[track_caller]
pub fn deliver(node: &mut Node, from: NodeId, message: Message) -> Ready {
    let to = node.id();
    node.step(Envelope { from, to, message }).expect("a valid sender and recipient");
    take_ready(node)
}

/// The messages in `ready` that go to `to`.
pub fn messages_to(ready: &Ready, to: NodeId) -> Vec<&Message> {
    ready.all_messages().filter(|envelope| envelope.to == to).map(|e| &e.message).collect()
}

/// The one message in `ready`, which must hold exactly one.
#[track_caller]
pub fn only_message(ready: &Ready) -> &Message {
    let messages = sent(ready);
    assert_eq!(messages.len(), 1, "expected one message, got {messages:#?}");
    &messages[0].message
}

/// The one message to `to` in `ready`.
#[track_caller]
pub fn only_message_to(ready: &Ready, to: NodeId) -> &Message {
    let messages = messages_to(ready, to);
    assert_eq!(messages.len(), 1, "expected one message to {to}, got {messages:#?}");
    messages[0]
}

/// The outcome of the one AppendEntriesResponse in `ready`.
#[track_caller]
pub fn append_outcome(ready: &Ready) -> AppendOutcome {
    match only_message(ready) {
        Message::AppendEntriesResponse(response) => response.outcome,
        other => panic!("expected an AppendEntriesResponse, got {other:?}"),
    }
}

/// The one AppendEntries to `to` in `ready`.
#[track_caller]
pub fn append_to(ready: &Ready, to: NodeId) -> &AppendEntries {
    match only_message_to(ready, to) {
        Message::AppendEntries(append) => append,
        other => panic!("expected an AppendEntries to {to}, got {other:?}"),
    }
}

/// Every AppendEntries to `to` in `ready`, in order.
pub fn appends_to(ready: &Ready, to: NodeId) -> Vec<&AppendEntries> {
    messages_to(ready, to)
        .into_iter()
        .filter_map(|message| match message {
            Message::AppendEntries(append) => Some(append),
            _ => None,
        })
        .collect()
}

/// Whether `node` answers a lease read at local time `clock_us` at once, without a round. Asks
/// a copy: `node` itself is unchanged.
#[track_caller]
pub fn answers_lease_read_at(node: &Node, clock_us: u64) -> bool {
    let mut copy = node.clone();
    copy.set_clock(clock_us);
    copy.read_index(u64::MAX, ReadKind::Lease).expect("a leader reads");
    let ready = take_ready(&mut copy);
    let rounds = ready
        .all_messages()
        .filter(|envelope| matches!(envelope.message, Message::ReadHeartbeat(_)))
        .count();
    assert_eq!(ready.reads.is_empty(), rounds > 0, "a read is answered or sends a round");
    !ready.reads.is_empty()
}

/// The earliest local time (on `node`'s clock) at which `node` no longer answers lease reads
/// at once: where its lease ends. `node` must hold a lease, and lease reads are answered at
/// once up to some time and never after it.
#[track_caller]
pub fn lease_end_us(node: &Node) -> u64 {
    let (mut holds, mut ends) = (0, 1 << 40);
    assert!(answers_lease_read_at(node, holds), "node {} holds no lease", node.id());
    assert!(!answers_lease_read_at(node, ends), "node {}'s lease never ends", node.id());
    while ends - holds > 1 {
        let middle = holds + (ends - holds) / 2;
        if answers_lease_read_at(node, middle) {
            holds = middle;
        } else {
            ends = middle;
        }
    }
    ends
}

/// Ticks `node` until it campaigns (or, alone, wins), draining after each tick. Returns the
/// output of the tick that started the campaign.
#[track_caller]
pub fn tick_until_campaign(node: &mut Node) -> Ready {
    let limit = node.config().election_timeout_ticks_max + 1;
    let term = node.term();
    for _ in 0..limit {
        node.tick();
        let ready = take_ready(node);
        if node.term() > term {
            return ready;
        }
    }
    panic!("node {} did not campaign within {limit} ticks", node.id());
}

/// Makes `node` the leader of the next term with votes granted by its peers, in voter order.
/// Returns the output of the vote that won the election (the appends carrying its no-op).
#[track_caller]
pub fn win_election(node: &mut Node) -> Ready {
    let mut ready = tick_until_campaign(node);
    let peers: Vec<NodeId> =
        node.config().voters.iter().copied().filter(|&id| id != node.id()).collect();
    for peer in peers {
        if node.role() == RoleKind::Leader {
            break;
        }
        ready = deliver(node, peer, vote_response(node.term(), true));
    }
    assert_eq!(node.role(), RoleKind::Leader, "node {} did not win", node.id());
    ready
}

// --- A scripted cluster ---------------------------------------------------------------------

/// A message the cluster's network saw being sent, for transcripts.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The message.
    pub envelope: Envelope,
    /// Whether a cut link dropped it.
    pub dropped: bool,
}

/// Servers `1..=n` with in-memory disks and state machines, and a network that holds every
/// message until the script delivers or drops it. After every input to a server the cluster
/// drains its `Ready` as a driver must: persist to its disk, then send, then apply.
pub struct Cluster {
    nodes: Vec<Node>,
    /// Per server (id − 1): what it made durable.
    pub disks: Vec<DurableState>,
    /// Per server (id − 1): the entries it applied, in order.
    pub applied: Vec<Vec<Entry>>,
    /// Per server (id − 1): the reads it released, in order.
    pub reads: Vec<Vec<ReadState>>,
    /// Messages sent and not yet delivered, oldest first.
    pub queue: VecDeque<Envelope>,
    /// Directed links `(from, to)` that drop everything sent on them.
    cut: BTreeSet<(NodeId, NodeId)>,
    /// Every message sent since the last `take_sent`.
    sent: Vec<Sent>,
    codec: FrameCodec,
    /// The state machine images snapshots were made of: each names the entries it applied.
    images: BTreeMap<Vec<u8>, Vec<Entry>>,
}

impl Cluster {
    /// `count` servers with the usual configuration and seeds fixed to their ids.
    pub fn new(count: u64) -> Cluster {
        Cluster::with_configs(count, |_| {})
    }

    /// `count` servers whose configurations `adjust` changes first.
    pub fn with_configs(count: u64, adjust: impl Fn(&mut Config)) -> Cluster {
        let voters = voters(count);
        let disks = vec![DurableState::default(); count as usize];
        let configs = voters
            .iter()
            .map(|&id| {
                let mut config = config(id, &voters);
                adjust(&mut config);
                config
            })
            .collect();
        Cluster::from_disks(configs, disks)
    }

    /// `voter_count` servers forming the first configuration, and `joining_count` more after
    /// them whose first configuration is empty: they wait to learn one from a leader.
    pub fn with_joining(voter_count: u64, joining_count: u64) -> Cluster {
        let voters = voters(voter_count);
        let configs = (1..=voter_count + joining_count)
            .map(|id| config(id, if id <= voter_count { &voters } else { &[] }))
            .collect();
        let disks = vec![DurableState::default(); (voter_count + joining_count) as usize];
        Cluster::from_disks(configs, disks)
    }

    /// Servers restarted from `disks` (one per configuration, in id order), their state
    /// machines caught up to each disk's commit index.
    pub fn from_disks(configs: Vec<Config>, disks: Vec<DurableState>) -> Cluster {
        assert_eq!(configs.len(), disks.len());
        let nodes: Vec<Node> =
            configs.into_iter().zip(&disks).map(|(config, disk)| restarted(config, disk)).collect();
        for (position, node) in nodes.iter().enumerate() {
            assert_eq!(node.id(), position as NodeId + 1, "configs in id order");
        }
        let applied = disks
            .iter()
            .map(|disk| disk.entries[..disk.hard_state.commit as usize].to_vec())
            .collect();
        // Every server of the cluster may send and receive, those still joining (whose first
        // configuration is empty) included.
        let ids: Vec<NodeId> = nodes.iter().map(Node::id).collect();
        let codec = FrameCodec::new(&ids, true);
        let reads = vec![Vec::new(); nodes.len()];
        Cluster {
            nodes,
            disks,
            applied,
            reads,
            queue: VecDeque::new(),
            cut: BTreeSet::new(),
            sent: Vec::new(),
            codec,
            images: BTreeMap::new(),
        }
    }

    /// The server with `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize - 1]
    }

    /// All servers, in id order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The ids of all servers.
    pub fn ids(&self) -> Vec<NodeId> {
        self.nodes.iter().map(Node::id).collect()
    }

    /// The leader with the highest term, if any.
    pub fn leader(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .filter(|node| node.role() == RoleKind::Leader)
            .max_by_key(|node| node.term())
            .map(Node::id)
    }

    /// Processes `id`'s output as a driver with a synchronous disk must: persist (and
    /// acknowledge), then send, then apply, until the node has nothing more to say.
    pub fn drain(&mut self, id: NodeId) {
        let position = id as usize - 1;
        while self.nodes[position].has_ready() {
            self.drain_once(position);
        }
    }

    fn drain_once(&mut self, position: usize) {
        let mut ready = Ready::default();
        self.nodes[position].ready(&mut ready);
        ready.persist_into(&mut self.disks[position]);
        if let Some(write_id) = ready.write_id {
            self.nodes[position].on_persisted(write_id);
        }
        let messages = std::mem::take(&mut ready.messages);
        for envelope in messages.into_iter().chain(ready.persisted_messages) {
            let dropped = self.cut.contains(&(envelope.from, envelope.to));
            if !dropped {
                self.queue.push_back(envelope.clone());
            }
            self.sent.push(Sent { envelope, dropped });
        }
        if ready.snapshot_installed {
            let snapshot = ready.snapshot.as_ref().expect("an installed snapshot");
            self.applied[position] = self.images[&snapshot.data].clone();
        }
        self.applied[position].extend(ready.committed);
        self.reads[position].extend(ready.reads);
    }

    /// `id`'s state machine snapshots what it applied (up to `index`), as an image of
    /// `image_bytes` bytes, and the node compacts its log behind it.
    pub fn compact(&mut self, id: NodeId, index: Index, image_bytes: usize) {
        let position = id as usize - 1;
        let mut image = format!("n{id}@{index}").into_bytes();
        image.resize(image_bytes.max(image.len()), b'.');
        self.images.insert(image.clone(), self.applied[position][..index as usize].to_vec());
        self.nodes[position].compact(index, image);
        self.drain(id);
    }

    /// Asks `id` to hand its leadership over to `target`, and drains its output.
    pub fn transfer(&mut self, id: NodeId, target: NodeId) -> Result<(), TransferError> {
        let result = self.nodes[id as usize - 1].transfer_leadership(target);
        self.drain(id);
        result
    }

    /// One tick of `id`'s clock.
    pub fn tick(&mut self, id: NodeId) {
        self.nodes[id as usize - 1].tick();
        self.drain(id);
    }

    /// `times` ticks of `id`'s clock.
    pub fn tick_times(&mut self, id: NodeId, times: u32) {
        for _ in 0..times {
            self.tick(id);
        }
    }

    /// Ticks `id` until it starts a campaign (with PreVote: until it asks for PreVotes).
    /// Returns the ticks it took.
    #[track_caller]
    pub fn tick_until_campaign(&mut self, id: NodeId) -> u32 {
        let limit = self.node(id).config().election_timeout_ticks_max + 1;
        let term = self.node(id).term();
        for ticks in 1..=limit {
            self.tick(id);
            if self.node(id).term() > term || self.node(id).role() == RoleKind::PreCandidate {
                return ticks;
            }
        }
        panic!("node {id} did not campaign within {limit} ticks");
    }

    /// Makes `id` campaign, then delivers everything until the network is quiet; `id` must
    /// have won.
    #[track_caller]
    pub fn elect(&mut self, id: NodeId) {
        self.tick_until_campaign(id);
        self.deliver_all();
        assert_eq!(self.node(id).role(), RoleKind::Leader, "node {id} was not elected");
    }

    /// A client's command to `id`.
    pub fn propose(&mut self, id: NodeId, bytes: &[u8]) -> Result<(Index, Term), ProposeError> {
        let result = self.nodes[id as usize - 1].propose(bytes.into());
        self.drain(id);
        result
    }

    /// A configuration change proposed to `id`.
    pub fn propose_change(
        &mut self,
        id: NodeId,
        changes: &[Change],
        joint: bool,
    ) -> Result<Index, ChangeError> {
        let result = self.nodes[id as usize - 1].propose_change(changes, joint);
        self.drain(id);
        result
    }

    /// A client's read at `id`, named `context`.
    pub fn read(&mut self, id: NodeId, context: u64, kind: ReadKind) -> Result<(), ReadError> {
        let result = self.nodes[id as usize - 1].read_index(context, kind);
        self.drain(id);
        result
    }

    /// `id`'s local clock now reads `local_us`.
    pub fn set_clock(&mut self, id: NodeId, local_us: u64) {
        self.nodes[id as usize - 1].set_clock(local_us);
    }

    /// Delivers `envelope` now: through the codec, into its recipient, then drains it.
    #[track_caller]
    pub fn deliver_envelope(&mut self, envelope: Envelope) {
        let frame = self.codec.encode(&envelope);
        let decoded = self.codec.decode(&frame).expect("an undamaged frame decodes");
        assert_eq!(decoded, envelope, "the codec round-trips");
        let to = decoded.to;
        self.nodes[to as usize - 1].step(decoded).expect("a valid sender and recipient");
        self.drain(to);
    }

    /// Delivers the oldest queued message, if any, and returns it.
    pub fn deliver_next(&mut self) -> Option<Envelope> {
        let envelope = self.queue.pop_front()?;
        self.deliver_envelope(envelope.clone());
        Some(envelope)
    }

    /// Delivers every message queued now, oldest first; what they cause stays queued.
    /// Returns how many were delivered.
    pub fn deliver_round(&mut self) -> usize {
        let round: Vec<Envelope> = self.queue.drain(..).collect();
        let count = round.len();
        for envelope in round {
            self.deliver_envelope(envelope);
        }
        count
    }

    /// Delivers until the network is quiet.
    #[track_caller]
    pub fn deliver_all(&mut self) {
        for _ in 0..10_000 {
            if self.deliver_next().is_none() {
                return;
            }
        }
        panic!("the network did not go quiet within 10000 deliveries");
    }

    /// Delivers the queued messages that `wanted` selects, oldest first, and keeps the rest
    /// queued. Returns how many were delivered.
    pub fn deliver_where(&mut self, wanted: impl Fn(&Envelope) -> bool) -> usize {
        let (chosen, kept): (Vec<Envelope>, Vec<Envelope>) =
            self.queue.drain(..).partition(|envelope| wanted(envelope));
        self.queue = kept.into();
        let count = chosen.len();
        for envelope in chosen {
            self.deliver_envelope(envelope);
        }
        count
    }

    /// Removes the queued messages that `unwanted` selects. Returns how many were dropped.
    pub fn drop_where(&mut self, unwanted: impl Fn(&Envelope) -> bool) -> usize {
        let before = self.queue.len();
        self.queue.retain(|envelope| !unwanted(envelope));
        before - self.queue.len()
    }

    /// Cuts every link to and from `id`, and drops what is queued on them.
    pub fn isolate(&mut self, id: NodeId) {
        for other in self.ids() {
            if other != id {
                self.cut.insert((id, other));
                self.cut.insert((other, id));
            }
        }
        self.drop_where(|envelope| envelope.from == id || envelope.to == id);
    }

    /// Cuts the links between `a` and `b`, both ways, and drops what is queued on them.
    pub fn cut(&mut self, a: NodeId, b: NodeId) {
        self.cut.insert((a, b));
        self.cut.insert((b, a));
        self.drop_where(|envelope| {
            (envelope.from, envelope.to) == (a, b) || (envelope.from, envelope.to) == (b, a)
        });
    }

    /// Restores every link.
    pub fn heal(&mut self) {
        self.cut.clear();
    }

    /// Crashes `id` and restarts it from its disk, its state machine having applied up to
    /// `applied_index`. Messages on their way to it are lost with its inbox.
    pub fn restart(&mut self, id: NodeId, applied_index: Index) {
        let position = id as usize - 1;
        let config = self.nodes[position].config().clone();
        self.nodes[position] =
            Node::restart(config, &self.disks[position], applied_index).expect("a valid config");
        self.applied[position].truncate(applied_index as usize);
        self.drop_where(|envelope| envelope.to == id);
        self.drain(id);
    }

    /// The messages sent since the last call.
    pub fn take_sent(&mut self) -> Vec<Sent> {
        std::mem::take(&mut self.sent)
    }

    /// Asserts Log Matching across the cluster: two logs with an entry of the same index and
    /// term are identical up to it.
    #[track_caller]
    pub fn assert_log_matching(&self) {
        for a in &self.nodes {
            for b in &self.nodes {
                let (a_log, b_log) = (a.log(), b.log());
                let first = a_log.first_index().max(b_log.first_index());
                let last = a_log.last_index().min(b_log.last_index());
                if let Some(last) =
                    (first..=last).rev().find(|&at| a_log.term(at) == b_log.term(at))
                {
                    assert_eq!(
                        a_log.slice(first, last),
                        b_log.slice(first, last),
                        "nodes {} and {} break log matching",
                        a.id(),
                        b.id()
                    );
                }
            }
        }
    }

    /// Asserts State Machine Safety: no two servers applied different entries at an index.
    #[track_caller]
    pub fn assert_applied_agree(&self) {
        for a in &self.applied {
            for b in &self.applied {
                let shared = a.len().min(b.len());
                assert_eq!(a[..shared], b[..shared], "two servers applied different entries");
            }
        }
    }

    /// Asserts that every server holds the same log and commit index, and applied all of it.
    #[track_caller]
    pub fn assert_converged(&self) {
        let first = &self.nodes[0];
        for node in &self.nodes {
            let (log, other) = (node.log(), first.log());
            assert_eq!(log.last_index(), other.last_index(), "node {} log length", node.id());
            let from = log.first_index().max(other.first_index());
            let to = log.last_index();
            assert_eq!(log.slice(from, to), other.slice(from, to), "node {} log", node.id());
            assert_eq!(node.commit_index(), first.commit_index(), "node {} commit", node.id());
            assert_eq!(node.commit_index(), node.log().last_index(), "all committed");
        }
        for (position, applied) in self.applied.iter().enumerate() {
            assert_eq!(
                applied.len() as Index,
                first.commit_index(),
                "node {} applied",
                position + 1
            );
            assert_eq!(applied, &self.applied[0], "node {} applied", position + 1);
        }
    }
}
