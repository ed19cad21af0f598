//! Linearizable reads without a log entry (thesis §6.4): ReadIndex and its read rounds, reads
//! forwarded by followers, leases, a restarted server's vote guard, and the wire form of the
//! four read messages. (Each injected read bug is shown against the correct rule in
//! `injected_bugs.rs`.)

mod common;

use common::*;
use proptest::prelude::*;
use raftsim_raft::{
    Config, Envelope, FrameCodec, LeaseClock, Message, Node, NodeId, ReadError, ReadIndexRequest,
    ReadIndexResponse, ReadKind, ReadRound, ReadState, RequestVote, RoleKind, Term,
};

/// Microseconds per tick in the lease tests.
const TICK_US: u64 = 1_000;

/// Leases on, with clocks that may run at half or twice the normal rate, and CheckQuorum, on
/// which leases rest.
fn leases(config: &mut Config) {
    config.check_quorum = true;
    config.lease =
        Some(LeaseClock { tick_us: TICK_US, tick_percent_min: 50, tick_percent_max: 200 });
}

/// Whether `envelope` is a read round numbered `round`.
fn is_round(envelope: &Envelope, round: u64) -> bool {
    matches!(envelope.message, Message::ReadHeartbeat(sent) if sent.round == round)
}

/// The read rounds queued, as `(recipient, round)`.
fn queued_rounds(cluster: &Cluster) -> Vec<(NodeId, ReadRound)> {
    cluster
        .queue
        .iter()
        .filter_map(|envelope| match envelope.message {
            Message::ReadHeartbeat(round) => Some((envelope.to, round)),
            _ => None,
        })
        .collect()
}

/// Delivers round `round` to `to`, then `to`'s answer to it.
fn answer_round(cluster: &mut Cluster, to: NodeId, round: u64) {
    let delivered =
        cluster.deliver_where(|envelope| envelope.to == to && is_round(envelope, round));
    assert_eq!(delivered, 1, "round {round} to {to} was queued");
    let answered = cluster.deliver_where(|envelope| {
        envelope.from == to && matches!(envelope.message, Message::ReadHeartbeatResponse(_))
    });
    assert_eq!(answered, 1, "{to} answered round {round}");
}

fn read_state(context: u64, index: u64) -> ReadState {
    ReadState { context, index }
}

/// The reads `id` released, in order.
fn reads_of(cluster: &Cluster, id: NodeId) -> &[ReadState] {
    &cluster.reads[id as usize - 1]
}

// --- ReadIndex at the leader ----------------------------------------------------------------

#[test]
fn a_leader_releases_a_read_once_a_quorum_answered_a_round_sent_after_it_with_its_arrival_index() {
    let mut cluster = Cluster::new(5);
    cluster.elect(1);
    assert_eq!(cluster.node(1).commit_index(), 1, "the leader's no-op is committed");

    cluster.read(1, 1, ReadKind::ReadIndex).unwrap();
    let rounds = queued_rounds(&cluster);
    assert_eq!(rounds.len(), 4, "round 1 goes to every other voter: {rounds:?}");
    assert!(rounds.iter().all(|(_, round)| *round == ReadRound { term: 1, round: 1 }));
    assert_eq!(reads_of(&cluster, 1), [], "no read before a round is answered");

    // A write commits while round 1 is on its way.
    cluster.propose(1, b"x").unwrap();
    cluster.deliver_where(|envelope| matches!(envelope.message, Message::AppendEntries(_)));
    cluster.deliver_where(|envelope| matches!(envelope.message, Message::AppendEntriesResponse(_)));
    assert_eq!(cluster.node(1).commit_index(), 2);
    assert_eq!(reads_of(&cluster, 1), []);

    // The second read arrives after round 1 left: it needs a round of its own.
    cluster.read(1, 2, ReadKind::ReadIndex).unwrap();
    answer_round(&mut cluster, 2, 1);
    assert_eq!(reads_of(&cluster, 1), [], "two of five (the leader and node 2) are no quorum");
    answer_round(&mut cluster, 3, 1);
    assert_eq!(
        reads_of(&cluster, 1),
        [read_state(1, 1)],
        "released with the commit index at its arrival (1), not the later one (2)"
    );
    answer_round(&mut cluster, 4, 2);
    assert_eq!(reads_of(&cluster, 1), [read_state(1, 1)], "round 2 answered by two of five");
    answer_round(&mut cluster, 5, 2);
    assert_eq!(reads_of(&cluster, 1), [read_state(1, 1), read_state(2, 2)]);

    cluster.deliver_all();
    assert_eq!(reads_of(&cluster, 1).len(), 2, "late answers release nothing again");
}

/// Servers 1 to 3 whose disks hold entries 1 and 2 of term 1, committed (node 1, the old
/// leader, knew it) though nodes 2 and 3 know only index 1 committed. Node 2 is then elected
/// in term 2 with votes alone: its no-op (index 3) is not replicated yet.
fn new_leader_with_a_stale_commit_index() -> Cluster {
    let configs = (1..=3).map(|id| config(id, &voters(3))).collect();
    let disks = [2, 1, 1].map(|commit| durable(1, Some(1), commit, &[1, 1])).to_vec();
    let mut cluster = Cluster::from_disks(configs, disks);
    cluster.tick_until_campaign(2);
    let is_vote = |envelope: &Envelope| {
        matches!(envelope.message, Message::RequestVote(_) | Message::RequestVoteResponse(_))
    };
    while cluster.deliver_where(is_vote) > 0 {}
    assert_eq!((cluster.node(2).role(), cluster.node(2).term()), (RoleKind::Leader, 2));
    assert_eq!(cluster.node(2).commit_index(), 1, "the new leader's commit index lags");
    cluster
}

#[test]
fn a_new_leader_holds_reads_until_an_entry_of_its_term_is_committed() {
    let mut cluster = new_leader_with_a_stale_commit_index();
    cluster.read(2, 7, ReadKind::ReadIndex).unwrap();
    cluster.read(2, 8, ReadKind::Lease).unwrap();
    assert_eq!(queued_rounds(&cluster), [], "no round before the no-op is committed");
    assert_eq!(reads_of(&cluster, 2), []);

    cluster.deliver_all();
    assert_eq!(cluster.node(2).commit_index(), 3, "the no-op of term 2 is committed");
    assert_eq!(
        reads_of(&cluster, 2),
        [read_state(7, 3), read_state(8, 3)],
        "released with the commit index once the no-op is committed, not the stale 1"
    );
}

// --- Reads at followers ---------------------------------------------------------------------

/// Three servers that start in term 1, with node 1 elected in term 2 and a write committed at
/// index 2 that node 2 has stored but does not yet know committed.
fn follower_behind_its_leaders_commit() -> Cluster {
    let configs = (1..=3).map(|id| config(id, &voters(3))).collect();
    let mut cluster = Cluster::from_disks(configs, vec![durable(1, None, 0, &[]); 3]);
    cluster.elect(1);
    cluster.propose(1, b"x").unwrap();
    cluster.deliver_all();
    assert_eq!(cluster.node(1).term(), 2);
    assert_eq!(cluster.node(1).commit_index(), 2);
    assert_eq!(cluster.node(2).commit_index(), 1, "no heartbeat has carried commit 2 yet");
    cluster
}

fn read_index_response(term: Term, context: u64, index: u64) -> Message {
    Message::ReadIndexResponse(ReadIndexResponse { term, context, index })
}

#[test]
fn a_follower_forwards_a_read_and_releases_it_with_its_leaders_index() {
    let mut cluster = follower_behind_its_leaders_commit();
    cluster.read(2, 9, ReadKind::ReadIndex).unwrap();
    let forwarded: Vec<&Envelope> = cluster.queue.iter().collect();
    assert_eq!(
        forwarded,
        [&Envelope {
            from: 2,
            to: 1,
            message: Message::ReadIndex(ReadIndexRequest { term: 2, context: 9, lease: false }),
        }]
    );

    // Answers that are not for this read: of another term, and for a context never forwarded.
    let stale = Envelope { from: 1, to: 2, message: read_index_response(1, 9, 5) };
    let unknown = Envelope { from: 1, to: 2, message: read_index_response(2, 10, 5) };
    cluster.deliver_envelope(stale);
    cluster.deliver_envelope(unknown);
    assert_eq!(reads_of(&cluster, 2), [], "answers to reads it did not forward are ignored");

    cluster.deliver_next(); // The leader starts a round for it.
    assert_eq!(queued_rounds(&cluster).len(), 2);
    cluster.deliver_all();
    assert_eq!(reads_of(&cluster, 1), [], "the leader's driver does not answer it");
    assert_eq!(
        reads_of(&cluster, 2),
        [read_state(9, 2)],
        "released with the leader's commit index (2), not its own (1)"
    );
    assert_eq!(cluster.node(2).commit_index(), 1);

    let duplicate = Envelope { from: 1, to: 2, message: read_index_response(2, 9, 2) };
    cluster.deliver_envelope(duplicate);
    assert_eq!(reads_of(&cluster, 2).len(), 1, "an answered read is released once");
}

#[test]
fn a_server_without_a_leader_refuses_reads() {
    let not_leader = Err(ReadError::NotLeader { leader_hint: None });
    let mut follower = Node::new(config(1, &voters(3))).unwrap();
    assert_eq!(follower.read_index(1, ReadKind::ReadIndex), not_leader, "no leader known");
    assert_eq!(follower.read_index(2, ReadKind::Lease), not_leader);
    assert!(take_ready(&mut follower).is_empty(), "nothing sent, nothing released");

    let mut candidate = Node::new(config(1, &voters(3))).unwrap();
    tick_until_campaign(&mut candidate);
    assert_eq!(candidate.role(), RoleKind::Candidate);
    assert_eq!(candidate.read_index(1, ReadKind::ReadIndex), not_leader);
    assert!(take_ready(&mut candidate).is_empty());

    let mut config = config(1, &voters(3));
    config.pre_vote = true;
    let mut pre_candidate = Node::new(config).unwrap();
    while pre_candidate.role() == RoleKind::Follower {
        pre_candidate.tick();
        take_ready(&mut pre_candidate);
    }
    assert_eq!(pre_candidate.role(), RoleKind::PreCandidate);
    assert_eq!(pre_candidate.read_index(1, ReadKind::ReadIndex), not_leader);
}

// --- Leases ---------------------------------------------------------------------------------

/// A fresh server refuses votes for its first shortest election timeout, as it would after a
/// crash: runs the other servers' guards out (each stays a follower), then elects `leader`.
#[track_caller]
fn elect_with_leases(cluster: &mut Cluster, leader: NodeId) {
    for id in cluster.ids() {
        if id != leader {
            let ticks = cluster.node(id).config().election_timeout_ticks_min;
            cluster.tick_times(id, ticks);
            assert_eq!(cluster.node(id).role(), RoleKind::Follower, "node {id} campaigned");
        }
    }
    cluster.elect(leader);
}

/// Three servers configured by `adjust`, node 1 elected, and one read round (a ReadIndex
/// read) sent at local time `sent_at_us`, answered while the leader's clock reads
/// `answered_at_us`.
fn leader_after_a_round(
    adjust: impl Fn(&mut Config),
    sent_at_us: u64,
    answered_at_us: u64,
) -> Cluster {
    let mut cluster = Cluster::with_configs(3, adjust);
    elect_with_leases(&mut cluster, 1);
    cluster.set_clock(1, sent_at_us);
    cluster.read(1, 1, ReadKind::ReadIndex).unwrap();
    cluster.set_clock(1, answered_at_us);
    cluster.deliver_all();
    assert_eq!(reads_of(&cluster, 1), [read_state(1, 1)], "the round was confirmed");
    cluster
}

#[test]
fn a_lease_read_is_answered_at_once_within_the_lease_and_needs_a_round_after_it() {
    let mut cluster = leader_after_a_round(leases, 10_000, 10_000);
    let lease_end_us = 10_000 + 2_250;

    cluster.set_clock(1, lease_end_us - 1);
    cluster.read(1, 2, ReadKind::Lease).unwrap();
    assert_eq!(reads_of(&cluster, 1)[1..], [read_state(2, 1)], "answered at once");
    assert!(cluster.queue.is_empty(), "without a round: {:?}", cluster.queue);

    // A follower's lease read is answered from the leader's lease too.
    cluster.read(2, 3, ReadKind::Lease).unwrap();
    cluster.deliver_next();
    let answers: Vec<&Message> = cluster.queue.iter().map(|envelope| &envelope.message).collect();
    assert_eq!(answers, [&read_index_response(1, 3, 1)], "no round for it");
    cluster.deliver_all();
    assert_eq!(reads_of(&cluster, 2), [read_state(3, 1)]);

    cluster.set_clock(1, lease_end_us);
    cluster.read(1, 4, ReadKind::Lease).unwrap();
    assert_eq!(reads_of(&cluster, 1).len(), 2, "the lease has ended");
    assert_eq!(queued_rounds(&cluster).len(), 2, "a round confirms it instead");
    cluster.deliver_all();
    assert_eq!(reads_of(&cluster, 1)[2..], [read_state(4, 1)]);
    assert!(answers_lease_read_at(cluster.node(1), lease_end_us), "the new round renewed it");
}

#[test]
fn a_lease_lasts_the_shortest_election_timeout_less_a_tick_shortened_by_the_drift_bound() {
    // (min − 1) × tick_us × tick_percent_min / tick_percent_max, from the round's send time.
    for (timeout_min, tick_us, expected_us) in [(10, 1_000, 2_250), (4, 400, 300), (7, 90, 135)] {
        let adjust = |config: &mut Config| {
            leases(config);
            config.lease = Some(LeaseClock { tick_us, ..config.lease.unwrap() });
            config.election_timeout_ticks_min = timeout_min;
            config.election_timeout_ticks_max = 5 * timeout_min;
        };
        let lease_us = u64::from(timeout_min - 1) * tick_us * 50 / 200;
        assert_eq!(lease_us, expected_us);
        // The answers come back well after the round left: the lease counts from its sending.
        let cluster = leader_after_a_round(adjust, 50_000, 50_000 + lease_us / 2);
        assert_eq!(
            lease_end_us(cluster.node(1)),
            50_000 + lease_us,
            "election timeout {timeout_min} ticks of {tick_us} µs"
        );
    }
}

#[test]
fn without_check_quorum_or_a_lease_clock_a_lease_read_always_needs_a_round() {
    let no_check_quorum = |config: &mut Config| {
        leases(config);
        config.check_quorum = false;
    };
    let no_clock = |config: &mut Config| {
        leases(config);
        config.lease = None;
    };
    for (name, cluster) in [
        ("without CheckQuorum", leader_after_a_round(no_check_quorum, 10_000, 10_000)),
        ("without a lease clock", leader_after_a_round(no_clock, 10_000, 10_000)),
    ] {
        assert!(!answers_lease_read_at(cluster.node(1), 10_000), "{name}");
    }
    // The same round with both, for contrast.
    assert!(answers_lease_read_at(leader_after_a_round(leases, 10_000, 10_000).node(1), 10_000));
}

#[test]
fn after_timeout_now_was_sent_the_lease_never_holds_again_in_that_term() {
    let mut cluster = leader_after_a_round(leases, 1_000, 1_000);
    assert!(answers_lease_read_at(cluster.node(1), 1_000), "the lease holds before the transfer");

    cluster.transfer(1, 2).unwrap();
    let timeout_now = |envelope: &Envelope| matches!(envelope.message, Message::TimeoutNow(_));
    assert_eq!(cluster.drop_where(timeout_now), 1, "TimeoutNow left (and is lost)");
    cluster.read(1, 2, ReadKind::Lease).unwrap();
    assert_eq!(reads_of(&cluster, 1).len(), 1, "no lease read at once");
    cluster.deliver_all();
    assert_eq!(reads_of(&cluster, 1)[1..], [read_state(2, 1)], "answered after a round");
    assert!(!answers_lease_read_at(cluster.node(1), 1_000), "a confirmed round renews nothing");

    // The target never took over: the transfer is abandoned after the shortest election
    // timeout, and the leader takes proposals again, in the same term.
    let term = cluster.node(1).term();
    for _ in 0..cluster.node(1).config().election_timeout_ticks_min {
        cluster.tick(1);
        cluster.deliver_all();
    }
    cluster.propose(1, b"after the transfer").expect("the transfer is over");
    cluster.deliver_all();
    cluster.read(1, 3, ReadKind::Lease).unwrap();
    cluster.deliver_all();
    assert_eq!(reads_of(&cluster, 1)[2..], [read_state(3, 2)]);
    assert_eq!((cluster.node(1).role(), cluster.node(1).term()), (RoleKind::Leader, term));
    assert!(!answers_lease_read_at(cluster.node(1), 1_000), "still no lease in this term");
}

// --- A restarted server's vote guard --------------------------------------------------------

/// Server 1 of three, restarted in term 2 with one entry, CheckQuorum on and leases as given.
fn restarted_voter(lease: bool) -> Node {
    let mut config = config(1, &voters(3));
    leases(&mut config);
    if !lease {
        config.lease = None;
    }
    restarted(config, &durable(2, None, 1, &[2]))
}

fn vote_request(term: Term, transfer: bool) -> Message {
    Message::RequestVote(RequestVote { term, last_log_index: 1, last_log_term: 2, transfer })
}

#[test]
fn a_restarted_server_with_leases_refuses_votes_for_the_shortest_election_timeout() {
    let mut voter = restarted_voter(true);
    let ticks = voter.config().election_timeout_ticks_min;
    for tick in 0..ticks {
        let ready = deliver(&mut voter, 2, vote_request(5, false));
        assert!(sent(&ready).is_empty(), "after {tick} ticks the request is disregarded");
        assert_eq!((voter.term(), voter.vote()), (2, None), "after {tick} ticks");
        voter.tick();
        take_ready(&mut voter);
    }
    let ready = deliver(&mut voter, 2, vote_request(5, false));
    assert_eq!(only_message(&ready), &vote_response(5, true), "after {ticks} ticks");
    assert_eq!((voter.term(), voter.vote()), (5, Some(2)));
}

#[test]
fn a_restarted_server_grants_at_once_without_leases_or_to_a_transfer() {
    let mut voter = restarted_voter(false);
    let ready = deliver(&mut voter, 2, vote_request(5, false));
    assert_eq!(only_message(&ready), &vote_response(5, true), "no lease, no guard");

    let mut voter = restarted_voter(true);
    let ready = deliver(&mut voter, 2, vote_request(5, true));
    assert_eq!(only_message(&ready), &vote_response(5, true), "the leader handed over");
}

// --- Read rounds at followers ---------------------------------------------------------------

#[test]
fn a_read_heartbeat_from_the_leader_counts_as_hearing_from_it() {
    let mut config = config_with_timeout(1, &voters(3), 10);
    config.check_quorum = true;
    let mut follower = restarted(config, &durable(1, None, 0, &[]));
    deliver(&mut follower, 2, append(1, (0, 0), Vec::new(), 0));
    for _ in 0..9 {
        follower.tick();
        take_ready(&mut follower);
    }
    let ready = deliver(&mut follower, 2, read_heartbeat(1, 4));
    assert_eq!(only_message(&ready), &read_heartbeat_response(1, 4), "the round is confirmed");
    for _ in 0..9 {
        follower.tick();
        take_ready(&mut follower);
    }
    assert_eq!((follower.role(), follower.term()), (RoleKind::Follower, 1), "18 ticks in all");
    let ready = deliver(&mut follower, 3, request_vote(2, 0, 0));
    assert!(sent(&ready).is_empty(), "the leader was heard 9 ticks ago: no vote");
    follower.tick();
    take_ready(&mut follower);
    assert_eq!(follower.term(), 2, "10 ticks after the round it campaigns");

    // From a leader of a later term, a round makes the server its follower.
    let ready = deliver(&mut follower, 3, read_heartbeat(3, 1));
    assert_eq!(only_message(&ready), &read_heartbeat_response(3, 1));
    assert_eq!((follower.role(), follower.leader_hint()), (RoleKind::Follower, Some(3)));
}

#[test]
fn a_stale_leaders_round_is_answered_with_the_newer_term_and_deposes_it() {
    let mut cluster = Cluster::new(3);
    cluster.elect(1);
    cluster.isolate(1);
    cluster.elect(2);
    cluster.heal();
    assert_eq!((cluster.node(1).role(), cluster.node(1).term()), (RoleKind::Leader, 1));

    cluster.read(1, 1, ReadKind::ReadIndex).unwrap();
    cluster.deliver_where(|envelope| is_round(envelope, 1));
    let answers: Vec<&Envelope> = cluster.queue.iter().collect();
    let answer = |from| Envelope { from, to: 1, message: read_heartbeat_response(2, 1) };
    assert_eq!(answers, [&answer(2), &answer(3)], "the leader of term 2 and its follower");
    assert_eq!(cluster.node(3).leader_hint(), Some(2), "the follower keeps its leader");

    cluster.deliver_next();
    assert_eq!((cluster.node(1).role(), cluster.node(1).term()), (RoleKind::Follower, 2));
    cluster.deliver_all();
    assert_eq!(reads_of(&cluster, 1), [], "the deposed leader's read is never released");
}

// --- Known hole -----------------------------------------------------------------------------

/// A lease rests on every server that answered a round refusing votes for the shortest
/// election timeout. A follower that learns a higher term from a stale message (here the
/// answer to a vote request it sent long before) forgets its leader, and with it that promise:
/// it grants the next candidate of that term at once, while the old leader's lease still holds.
#[test]
fn a_server_that_answered_a_round_grants_no_vote_while_the_lease_holds() {
    let mut cluster = Cluster::with_configs(3, leases);
    let timeout_min = cluster.node(1).config().election_timeout_ticks_min;
    cluster.tick_times(2, timeout_min);
    assert_eq!(cluster.node(2).role(), RoleKind::Follower);
    // Node 3 campaigns in term 1; its request to node 2 is delayed until much later.
    cluster.tick_until_campaign(3);
    let delayed: Vec<Envelope> =
        cluster.queue.drain(..).filter(|envelope| envelope.to == 2).collect();
    cluster.elect(1);
    assert_eq!(cluster.node(3).leader_hint(), Some(1));
    cluster.set_clock(1, 1_000);
    cluster.read(1, 1, ReadKind::ReadIndex).unwrap();
    cluster.deliver_all();
    assert_eq!(reads_of(&cluster, 1).len(), 1, "the round was confirmed by nodes 2 and 3");
    assert!(answers_lease_read_at(cluster.node(1), 1_000), "node 1 holds a lease");

    // Node 2 loses its link to node 1 and campaigns; node 3 disregards it (it hears node 1).
    cluster.cut(1, 2);
    cluster.tick_until_campaign(2);
    cluster.deliver_all();
    assert_eq!((cluster.node(2).role(), cluster.node(2).term()), (RoleKind::Candidate, 2));
    assert_eq!(cluster.node(3).term(), 1, "node 3 disregarded the candidate");
    // The delayed request reaches node 2, whose refusal carries term 2 to node 3.
    for envelope in delayed {
        cluster.deliver_envelope(envelope);
    }
    cluster.deliver_all();
    for _ in 0..cluster.node(2).config().heartbeat_interval_ticks {
        cluster.tick(2); // Node 2 asks node 3 again.
    }
    cluster.deliver_all();
    if cluster.node(2).role() == RoleKind::Leader {
        cluster.propose(2, b"w").unwrap();
        cluster.deliver_all();
    }
    // Node 3 has not ticked once since it answered node 1's round.
    let committed = cluster.node(2).commit_index();
    let mut leader = cluster.node(1).clone();
    leader.read_index(9, ReadKind::Lease).unwrap();
    let released = take_ready(&mut leader).reads;
    assert!(
        released.iter().all(|read| read.index >= committed),
        "node 1 answers {released:?} from its lease, after node 2 was elected by node 3's vote \
         and committed index {committed}"
    );
}

// --- The wire form --------------------------------------------------------------------------

const MEMBERS: [NodeId; 5] = [1, 2, 3, 4, 5];

/// Any `u64`, with small values (the common case, and the shortest varints) often.
fn number() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0..16u64, 1 => any::<u64>()]
}

fn read_message() -> impl Strategy<Value = Message> {
    let round = || (number(), number()).prop_map(|(term, round)| ReadRound { term, round });
    prop_oneof![
        round().prop_map(Message::ReadHeartbeat),
        round().prop_map(Message::ReadHeartbeatResponse),
        (number(), number(), any::<bool>()).prop_map(|(term, context, lease)| {
            Message::ReadIndex(ReadIndexRequest { term, context, lease })
        }),
        (number(), number(), number()).prop_map(|(term, context, index)| {
            Message::ReadIndexResponse(ReadIndexResponse { term, context, index })
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_codec_round_trips_every_read_message(
        from in proptest::sample::select(MEMBERS.to_vec()),
        to in proptest::sample::select(MEMBERS.to_vec()),
        message in read_message(),
    ) {
        let codec = FrameCodec::new(&MEMBERS, true);
        let envelope = Envelope { from, to, message };
        let frame = codec.encode(&envelope);
        prop_assert_eq!(codec.decode(&frame), Ok(envelope));
    }
}
