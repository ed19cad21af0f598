//! Property tests: the frame codec round-trips every envelope, never panics on any input and
//! rejects every frame damaged by up to three bit flips; and a node fed any sequence of inputs
//! never panics, keeps its local invariants, and hands out a `Ready` whose persisted form
//! restarts it as it was.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::sample::Index as Position;
use proptest::strategy::ValueTree;
use raftsim_raft::{
    AppendEntries, AppendEntriesResponse, AppendOutcome, Config, ConflictHint, DurableState, Entry,
    EntryData, Envelope, FRAME_HEADER_BYTES, FrameCodec, InstallSnapshot, InstallSnapshotResponse,
    Message, Node, NodeId, Payload, Ready, RequestVote, RequestVoteResponse, RoleKind, StepError,
    Term,
};

const MEMBERS: [NodeId; 5] = [1, 2, 3, 4, 5];

// --- Strategies for messages ----------------------------------------------------------------

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..32),
        1 => proptest::collection::vec(any::<u8>(), 32..400),
    ]
    .prop_map(Payload::from)
}

fn entry_data() -> impl Strategy<Value = EntryData> {
    prop_oneof![Just(EntryData::Noop), payload().prop_map(EntryData::Command)]
}

/// Any `u64`, with small values (the common case, and the one varints encode shortest) often.
fn number() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0..16u64, 1 => any::<u64>()]
}

fn entry() -> impl Strategy<Value = Entry> {
    (number(), number(), entry_data()).prop_map(|(index, term, data)| Entry { index, term, data })
}

fn message() -> impl Strategy<Value = Message> {
    let request_vote = (number(), number(), number()).prop_map(|(term, index, last_term)| {
        Message::RequestVote(RequestVote {
            term,
            last_log_index: index,
            last_log_term: last_term,
            transfer: false,
        })
    });
    let vote_response = (number(), any::<bool>()).prop_map(|(term, granted)| {
        Message::RequestVoteResponse(RequestVoteResponse { term, granted })
    });
    let append = (number(), number(), number(), proptest::collection::vec(entry(), 0..6), number())
        .prop_map(|(term, prev_log_index, prev_log_term, entries, leader_commit)| {
            Message::AppendEntries(AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            })
        });
    let outcome = prop_oneof![
        number().prop_map(|match_index| AppendOutcome::Accepted { match_index }),
        (number(), number(), proptest::option::of(number())).prop_map(
            |(rejected_index, index, conflict_term)| AppendOutcome::Rejected {
                rejected_index,
                hint: ConflictHint { index, conflict_term },
            }
        ),
    ];
    let append_response = (number(), outcome).prop_map(|(term, outcome)| {
        Message::AppendEntriesResponse(AppendEntriesResponse { term, outcome })
    });
    let chunk = (
        (number(), number(), number(), number()),
        proptest::collection::vec(any::<u8>(), 0..2000),
        any::<bool>(),
    )
        .prop_map(|((term, index, snapshot_term, offset), data, done)| {
            Message::InstallSnapshot(Box::new(InstallSnapshot {
                term,
                index,
                snapshot_term,
                offset,
                data,
                done,
                membership: raftsim_raft::Membership::of_voters(&[1, 2, 3]).encode(),
            }))
        });
    let chunk_response = (number(), number(), number()).prop_map(|(term, index, received)| {
        Message::InstallSnapshotResponse(InstallSnapshotResponse { term, index, received })
    });
    prop_oneof![request_vote, vote_response, append, append_response, chunk, chunk_response]
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (proptest::sample::select(&MEMBERS[..]), proptest::sample::select(&MEMBERS[..]), message())
        .prop_map(|(from, to, message)| Envelope { from, to, message })
}

/// A frame whose bits at `positions` (distinct, as bit offsets) are flipped.
fn flipped(frame: &[u8], positions: &[usize]) -> Vec<u8> {
    let mut damaged = frame.to_vec();
    for &bit in positions {
        damaged[bit / 8] ^= 1 << (bit % 8);
    }
    damaged
}

/// `count` distinct bit offsets within a frame of `bits` bits.
fn distinct_bits(bits: usize, picks: &[Position]) -> Vec<usize> {
    let mut positions: Vec<usize> = Vec::new();
    for pick in picks {
        let mut bit = pick.index(bits);
        while positions.contains(&bit) {
            bit = (bit + 1) % bits;
        }
        positions.push(bit);
    }
    positions
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn codec_round_trips_every_envelope(envelope in envelope(), prefix in any::<Vec<u8>>()) {
        let codec = FrameCodec::new(&MEMBERS, true);
        let frame = codec.encode(&envelope);
        prop_assert_eq!(codec.decode(&frame), Ok(envelope.clone()));
        let declared = u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize;
        prop_assert_eq!(declared, frame.len() - FRAME_HEADER_BYTES, "the length field");
        // `encode_into` appends the same frame after whatever the buffer already holds.
        let mut buffer = prefix.clone();
        codec.encode_into(&envelope, &mut buffer);
        prop_assert_eq!(&buffer[..prefix.len()], &prefix[..]);
        prop_assert_eq!(&buffer[prefix.len()..], &frame[..]);
    }

    #[test]
    fn codec_accepts_only_senders_and_recipients_in_the_cluster(
        from in 0..8u64,
        to in 0..8u64,
        message in message(),
    ) {
        let envelope = Envelope { from, to, message };
        let frame = FrameCodec::new(&[0, 1, 2, 3, 4, 5, 6, 7], true).encode(&envelope);
        let decoded = FrameCodec::new(&MEMBERS, true).decode(&frame);
        let members = MEMBERS.contains(&from) && MEMBERS.contains(&to);
        prop_assert_eq!(decoded.is_ok(), members, "{:?}", decoded);
    }

    #[test]
    fn any_bytes_decode_to_an_error_or_a_message_without_panicking(bytes in any::<Vec<u8>>()) {
        for verify in [true, false] {
            let _ = FrameCodec::new(&MEMBERS, verify).decode(&bytes);
        }
    }

    #[test]
    fn any_payload_behind_a_valid_length_decodes_without_panicking(
        payload in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        // Without checksum verification, the payload reaches the message decoder itself.
        let mut frame = (payload.len() as u32).to_le_bytes().to_vec();
        frame.extend_from_slice(&[0; 4]);
        frame.extend_from_slice(&payload);
        if let Ok(envelope) = FrameCodec::new(&MEMBERS, false).decode(&frame) {
            prop_assert!(MEMBERS.contains(&envelope.from) && MEMBERS.contains(&envelope.to));
        }
    }

    #[test]
    fn damaged_payload_bytes_never_panic_the_decoder(
        envelope in envelope(),
        damage in proptest::collection::vec((any::<Position>(), any::<u8>()), 1..8),
    ) {
        let codec = FrameCodec::new(&MEMBERS, false);
        let mut frame = codec.encode(&envelope);
        let payload_len = frame.len() - FRAME_HEADER_BYTES;
        for (position, byte) in damage {
            frame[FRAME_HEADER_BYTES + position.index(payload_len)] = byte;
        }
        let _ = codec.decode(&frame);
    }

    #[test]
    fn every_single_bit_flip_is_rejected(envelope in envelope()) {
        let codec = FrameCodec::new(&MEMBERS, true);
        let frame = codec.encode(&envelope);
        for bit in 0..frame.len() * 8 {
            let damaged = flipped(&frame, &[bit]);
            prop_assert!(codec.decode(&damaged).is_err(), "bit {} of {} passed", bit, frame.len());
        }
    }

    #[test]
    fn every_two_or_three_bit_flip_is_rejected(
        envelope in envelope(),
        picks in proptest::collection::vec(any::<Position>(), 2..=3),
    ) {
        let codec = FrameCodec::new(&MEMBERS, true);
        let frame = codec.encode(&envelope);
        let bits = distinct_bits(frame.len() * 8, &picks);
        prop_assert!(codec.decode(&flipped(&frame, &bits)).is_err(), "bits {:?} passed", bits);
    }

    #[test]
    fn two_or_three_bit_flips_within_the_payload_are_rejected(
        envelope in envelope(),
        picks in proptest::collection::vec(any::<Position>(), 2..=3),
    ) {
        // The same, aimed at the payload: the flips the checksum alone must catch.
        let codec = FrameCodec::new(&MEMBERS, true);
        let frame = codec.encode(&envelope);
        let payload_bits = (frame.len() - FRAME_HEADER_BYTES) * 8;
        let bits: Vec<usize> = distinct_bits(payload_bits, &picks)
            .into_iter()
            .map(|bit| bit + FRAME_HEADER_BYTES * 8)
            .collect();
        prop_assert!(codec.decode(&flipped(&frame, &bits)).is_err(), "bits {:?} passed", bits);
    }
}

// --- A node under arbitrary inputs ----------------------------------------------------------

/// One input to the node under test. Messages are described relative to the node's state and
/// resolved when applied (see `resolve`), so that they are well-formed and plausible: they could
/// have been sent by peers in some correct run. Terms are the node's term plus a small offset,
/// so that stale, current and newer terms all occur.
#[derive(Clone, Debug)]
enum Input {
    Ticks(u8),
    Propose(Vec<u8>),
    RequestVote {
        from: Position,
        term: i8,
        last_index: u8,
        last_term: i8,
    },
    VoteResponse {
        from: Position,
        term: i8,
        granted: bool,
    },
    Append {
        from: Position,
        term: i8,
        prev: u8,
        mismatch: bool,
        steps: Vec<bool>,
        commit: u8,
    },
    AppendResponse {
        from: Position,
        term: i8,
        accepted: bool,
        index: u8,
        hint: u8,
        conflict: i8,
    },
    Restart {
        applied: u8,
    },
    /// A message with arbitrary fields from an arbitrary peer, as a faulty or hostile peer (or
    /// a frame damaged past its checksum) could send: refused or survived, never a panic.
    Arbitrary {
        from: Position,
        message: Message,
    },
}

fn input() -> impl Strategy<Value = Input> {
    // Mostly the node's own term, so that candidates win and leaders hear their followers.
    let offset = || prop_oneof![4 => Just(0i8), 1 => -2..=-1i8, 1 => 1..=2i8];
    prop_oneof![
        6 => (1..=4u8).prop_map(Input::Ticks),
        2 => proptest::collection::vec(any::<u8>(), 0..8).prop_map(Input::Propose),
        2 => (any::<Position>(), offset(), any::<u8>(), -3..=0i8).prop_map(
            |(from, term, last_index, last_term)| Input::RequestVote {
                from, term, last_index, last_term,
            }
        ),
        3 => (any::<Position>(), offset(), proptest::bool::weighted(0.8))
            .prop_map(|(from, term, granted)| Input::VoteResponse { from, term, granted }),
        4 => (
            any::<Position>(), offset(), any::<u8>(), proptest::bool::weighted(0.2),
            proptest::collection::vec(proptest::bool::weighted(0.3), 0..5), any::<u8>(),
        ).prop_map(|(from, term, prev, mismatch, steps, commit)| Input::Append {
            from, term, prev, mismatch, steps, commit,
        }),
        3 => (
            any::<Position>(), offset(), proptest::bool::weighted(0.7), any::<u8>(),
            any::<u8>(), -3..=0i8,
        ).prop_map(|(from, term, accepted, index, hint, conflict)| Input::AppendResponse {
            from, term, accepted, index, hint, conflict,
        }),
        1 => any::<u8>().prop_map(|applied| Input::Restart { applied }),
        2 => (any::<Position>(), message())
            .prop_map(|(from, message)| Input::Arbitrary { from, message }),
    ]
}

/// A configuration with small limits, so that batching, windows and back-pressure all matter.
fn small_config() -> impl Strategy<Value = Config> {
    (
        prop_oneof![Just(3u64), Just(5u64)],
        1..=3u32,
        0..=4u32,
        1..=4usize,
        1..=4usize,
        1..=8usize,
        any::<u64>(),
    )
        .prop_map(|(count, heartbeat, spread, window, batch, uncommitted, seed)| {
            let election = heartbeat + 2;
            Config {
                election_timeout_ticks_min: election,
                election_timeout_ticks_max: election + spread,
                heartbeat_interval_ticks: heartbeat,
                max_inflight_messages: window,
                max_entries_per_message: batch,
                max_bytes_per_message: 64,
                max_uncommitted_entries: uncommitted,
                seed,
                ..config(1, &voters(count))
            }
        })
}

/// `base + offset`, at least 0.
fn offset_term(base: Term, offset: i8) -> Term {
    base.saturating_add_signed(offset as i64)
}

/// The message an `Input` describes, given the node's state now, and its sender.
fn resolve(node: &Node, input: &Input) -> Option<(NodeId, Message)> {
    let peers: Vec<NodeId> =
        node.config().voters.iter().copied().filter(|&id| id != node.id()).collect();
    let (term, log, last) = (node.term(), node.log(), node.log().last_index());
    let message = match input {
        Input::Ticks(_) | Input::Propose(_) | Input::Restart { .. } | Input::Arbitrary { .. } => {
            return None;
        }
        Input::RequestVote { term: offset, last_index, last_term, .. } => {
            let last_index = u64::from(*last_index) % (last + 3);
            let last_term = offset_term(log.last_term(), *last_term);
            request_vote(offset_term(term, *offset), last_index, last_term)
        }
        Input::VoteResponse { term: offset, granted, .. } => {
            vote_response(offset_term(term, *offset), *granted)
        }
        Input::Append { term: offset, prev, mismatch, steps, commit, .. } => {
            let message_term = offset_term(term, *offset);
            let prev = u64::from(*prev) % (last + 3);
            let mut prev_term = log.term(prev).unwrap_or(message_term);
            if *mismatch && prev > 0 && prev_term > 0 {
                prev_term -= 1;
            }
            // Entries up to the commit index are the node's own: every leader holds the
            // committed entries (Leader Completeness). After them, terms never decrease and never
            // exceed the message's term.
            let mut entries = Vec::new();
            let mut entry_term = prev_term;
            for (offset, &step) in steps.iter().enumerate() {
                let index = prev + 1 + offset as u64;
                let entry = match log.entry(index) {
                    Some(entry) if index <= node.commit_index() => entry.clone(),
                    _ => {
                        entry_term = (entry_term + u64::from(step)).max(entry_term);
                        if entry_term > message_term {
                            break;
                        }
                        command(index, entry_term, &index.to_le_bytes())
                    }
                };
                entry_term = entry.term;
                entries.push(entry);
            }
            let leader_commit = u64::from(*commit) % (prev + entries.len() as u64 + 2);
            append(message_term, (prev, prev_term), entries, leader_commit)
        }
        Input::AppendResponse { term: offset, accepted: true, index, .. } => {
            // A follower acknowledges only entries the leader sent it: within the log.
            accepted(offset_term(term, *offset), u64::from(*index) % (last + 1))
        }
        Input::AppendResponse { term: offset, accepted: false, index, hint, conflict, .. } => {
            let rejected_index = u64::from(*index) % (last + 1);
            let conflict_term = (*conflict < 0).then(|| offset_term(term, *conflict + 1));
            rejected(
                offset_term(term, *offset),
                rejected_index,
                u64::from(*hint) % (last + 3),
                conflict_term,
            )
        }
    };
    let from = match input {
        Input::RequestVote { from, .. }
        | Input::VoteResponse { from, .. }
        | Input::Append { from, .. }
        | Input::AppendResponse { from, .. } => from,
        Input::Ticks(_) | Input::Propose(_) | Input::Restart { .. } | Input::Arbitrary { .. } => {
            unreachable!()
        }
    };
    Some((*from.get(&peers), message))
}

/// What the test's driver keeps about the node: its disk, what it applied, and what the
/// invariants compare against.
struct Driver {
    node: Node,
    disk: DurableState,
    /// The index of the snapshot the state machine last restored (0 for none).
    applied_base: u64,
    /// What it applied after that.
    applied: Vec<Entry>,
    /// The node's log when it last was leader, with the term, while it stays leader.
    leader_log: Option<(Term, Vec<Entry>)>,
}

impl Driver {
    fn new(config: Config) -> Driver {
        let node = Node::new(config).unwrap();
        let disk = DurableState::default();
        Driver { node, disk, applied_base: 0, applied: Vec::new(), leader_log: None }
    }

    /// Applies `input`, draining the Ready and checking every invariant after each step.
    fn apply(&mut self, input: &Input) -> Result<(), TestCaseError> {
        match input {
            Input::Ticks(count) => {
                for _ in 0..*count {
                    self.checked(|driver| driver.node.tick())?;
                }
                Ok(())
            }
            Input::Propose(bytes) => self.checked(|driver| {
                let _ = driver.node.propose(bytes.as_slice().into());
            }),
            Input::Restart { applied } => {
                // The state machine restores the disk's snapshot, if any (the last one it
                // installed), and keeps some of what it applied after it.
                let base = self.disk.snapshot.as_ref().map_or(0, |snapshot| snapshot.index);
                let commit = self.disk.hard_state.commit.max(base);
                let applied = base + u64::from(*applied) % (commit - base + 1);
                let applied = applied.min(base + self.applied.len() as u64);
                let before = (self.node.term(), self.node.vote(), 0);
                let config = self.node.config().clone();
                self.node = Node::restart(config, &self.disk, applied).unwrap();
                self.applied.truncate((applied - base) as usize);
                self.leader_log = None;
                self.drain()?;
                self.check_node(before)
            }
            Input::Arbitrary { from, message } => {
                let peers: Vec<NodeId> = self.node.config().voters.clone();
                let from = *from.get(&peers);
                let to = self.node.id();
                let envelope = Envelope { from, to, message: message.clone() };
                self.checked(|driver| {
                    let _ = driver.node.step(envelope);
                })
            }
            _ => {
                let (from, message) = resolve(&self.node, input).unwrap();
                let to = self.node.id();
                // The generator can pair a stale term with entries of a later one, which no
                // leader sends: the node refuses such a message as malformed, and nothing else.
                let mut stepped = Ok(());
                self.checked(|driver| stepped = driver.node.step(Envelope { from, to, message }))?;
                match stepped {
                    Ok(()) | Err(StepError::Malformed { .. }) => Ok(()),
                    Err(error) => Err(TestCaseError::fail(format!("a plausible message: {error}"))),
                }
            }
        }
    }

    /// Runs `action` on the node, drains its Ready and checks every invariant.
    fn checked(&mut self, action: impl FnOnce(&mut Driver)) -> Result<(), TestCaseError> {
        let before = (self.node.term(), self.node.vote(), self.node.commit_index());
        action(self);
        self.drain()?;
        self.check_node(before)
    }

    /// Persists and applies `ready` as a driver would, checking that the disk then matches the
    /// node and that entries are applied in order, each index once with one value.
    fn check_ready(&mut self, ready: &Ready) -> Result<(), TestCaseError> {
        ready.persist_into(&mut self.disk);
        if let Some(write_id) = ready.write_id {
            self.node.on_persisted(write_id);
        }
        prop_assert_eq!(self.disk.entries.as_slice(), self.node.log().entries(), "disk = log");
        prop_assert_eq!(self.disk.hard_state, self.node.hard_state(), "disk = hard state");
        if ready.snapshot_installed {
            let snapshot = ready.snapshot.as_ref().expect("an installed snapshot");
            let base = self.node.log().snapshot_index();
            prop_assert_eq!(snapshot.index, base, "the log starts after the installed snapshot");
            (self.applied_base, self.applied) = (snapshot.index, Vec::new());
        }
        for entry in &ready.committed {
            let next = self.applied_base + self.applied.len() as u64 + 1;
            prop_assert_eq!(entry.index, next, "applied in order");
            self.applied.push(entry.clone());
        }
        let applied_index = self.applied_base + self.applied.len() as u64;
        prop_assert_eq!(applied_index, self.node.applied_index());
        let log = self.node.log();
        if self.applied_base >= log.snapshot_index() && !self.applied.is_empty() {
            let held = log.slice(self.applied_base + 1, applied_index);
            prop_assert_eq!(self.applied.as_slice(), held, "applied entries stay in the log");
        }
        Ok(())
    }

    /// Drains the node as a synchronous driver does: a Ready, its write acknowledged, and at
    /// most one more Ready for what the acknowledgement released (commits, entries to apply).
    fn drain(&mut self) -> Result<(), TestCaseError> {
        let mut ready = Ready::default();
        for _ in 0..2 {
            self.node.ready(&mut ready);
            self.check_ready(&ready)?;
            if !self.node.has_ready() {
                return Ok(());
            }
        }
        Err(TestCaseError::fail("two Readies drain everything"))
    }

    /// Local invariants, and that the disk restarts the node as it is.
    fn check_node(
        &mut self,
        (term, vote, commit): (Term, Option<NodeId>, u64),
    ) -> Result<(), TestCaseError> {
        let node = &self.node;
        prop_assert!(node.commit_index() <= node.log().last_index(), "commit within the log");
        prop_assert!(node.applied_index() <= node.commit_index(), "applied within commit");
        prop_assert!(node.term() >= term, "term decreased from {} to {}", term, node.term());
        prop_assert!(node.commit_index() >= commit, "commit decreased");
        if node.term() == term && vote.is_some() {
            prop_assert_eq!(node.vote(), vote, "a second vote in term {}", term);
        }
        if node.role() == RoleKind::Leader {
            prop_assert_eq!(node.log().last_term(), node.term(), "a leader's last entry");
            if let Some((leader_term, log)) = &self.leader_log
                && *leader_term == node.term()
            {
                prop_assert!(
                    node.log().entries().starts_with(log),
                    "the leader of term {} changed its log",
                    leader_term
                );
            }
            self.leader_log = Some((node.term(), node.log().entries().to_vec()));
        } else {
            self.leader_log = None;
        }
        let copy = Node::restart(node.config().clone(), &self.disk, node.commit_index()).unwrap();
        prop_assert_eq!(copy.term(), node.term());
        prop_assert_eq!(copy.vote(), node.vote());
        prop_assert_eq!(copy.log(), node.log());
        prop_assert_eq!(copy.commit_index(), node.commit_index());
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn any_input_sequence_keeps_a_nodes_invariants(
        config in small_config(),
        inputs in proptest::collection::vec(input(), 1..200),
    ) {
        let mut driver = Driver::new(config);
        for input in &inputs {
            driver.apply(input)?;
        }
    }
}

#[test]
fn the_input_generator_reaches_every_role_and_commits() {
    // A property that holds vacuously proves nothing: check that the generated runs lead,
    // commit, truncate and restart.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (small_config(), proptest::collection::vec(input(), 1..120));
    let (mut leaders, mut commits, mut truncations) = (0, 0, 0);
    for _ in 0..200 {
        let (config, inputs) = strategy.new_tree(&mut runner).unwrap().current();
        let mut driver = Driver::new(config);
        let (mut led, mut committed, mut truncated) = (false, false, false);
        for input in &inputs {
            let last = driver.node.log().last_index();
            driver.apply(input).unwrap();
            led |= driver.node.role() == RoleKind::Leader;
            committed |= driver.node.commit_index() > 0;
            truncated |=
                matches!(input, Input::Append { .. }) && driver.node.log().last_index() < last;
        }
        leaders += u32::from(led);
        commits += u32::from(committed);
        truncations += u32::from(truncated);
    }
    eprintln!("of 200 runs: {leaders} led, {commits} committed, {truncations} truncated");
    assert!(leaders > 20, "{leaders} of 200 runs had a leader");
    assert!(commits > 20, "{commits} of 200 runs committed");
    assert!(truncations > 5, "{truncations} of 200 runs truncated a log");
}

// --- A follower under reordered appends -----------------------------------------------------

/// A leader's log cut into batches of 1 to 3 entries, and an order of delivery: every batch at
/// least once, a few twice, shuffled.
fn reordered_batches() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (
        proptest::collection::vec(1..4usize, 1..16),
        proptest::collection::vec(any::<Position>(), 0..4),
    )
        .prop_flat_map(|(sizes, duplicates)| {
            let mut order: Vec<usize> = (0..sizes.len()).collect();
            order.extend(duplicates.iter().map(|pick| pick.index(sizes.len())));
            (Just(sizes), Just(order).prop_shuffle())
        })
}

proptest! {
    #[test]
    fn a_follower_ends_with_the_leaders_log_whatever_order_its_appends_arrive_in(
        (sizes, order) in reordered_batches(),
    ) {
        let total: usize = sizes.iter().sum();
        let leader_log = entries_from(1, &vec![1; total]);
        let mut batches = Vec::new();
        let mut prev = 0;
        for size in sizes {
            let prev_term = if prev == 0 { 0 } else { 1 };
            let entries = leader_log[prev..prev + size].to_vec();
            batches.push(append(1, (prev as u64, prev_term), entries, 0));
            prev += size;
        }
        let mut follower = Node::new(config(2, &[1, 2, 3])).unwrap();
        for position in order {
            let ready = deliver(&mut follower, 1, batches[position].clone());
            let answers = messages_to(&ready, 1);
            prop_assert_eq!(answers.len(), 1, "one answer per append");
            if let Message::AppendEntriesResponse(response) = answers[0]
                && let AppendOutcome::Accepted { match_index } = response.outcome
            {
                // An acknowledgement vouches only for entries the follower holds, the leader's.
                let matched = match_index as usize;
                prop_assert!(matched <= follower.log().entries().len());
                prop_assert_eq!(&follower.log().entries()[..matched], &leader_log[..matched]);
            }
        }
        prop_assert_eq!(follower.log().entries(), &leader_log[..]);
    }
}
