//! Leader election (§5.2, §5.4.1): who grants a vote and who refuses, stepping down on a newer
//! term, how a candidate wins or yields, and the single-server cluster.

mod common;

use common::*;
use raftsim_raft::{EntryData, Message, Node, NodeId, RequestVoteResponse, RoleKind, Term};

/// One row of the vote table: a voter's durable state, a request, and what must follow.
struct VoteCase {
    name: &'static str,
    voter_term: Term,
    voter_vote: Option<NodeId>,
    voter_log: &'static [Term],
    candidate: NodeId,
    request_term: Term,
    request_last: (u64, Term),
    granted: bool,
    term_after: Term,
    vote_after: Option<NodeId>,
}

const VOTE_CASES: &[VoteCase] = &[
    VoteCase {
        name: "a fresh voter grants a candidate of a newer term",
        voter_term: 0,
        voter_vote: None,
        voter_log: &[],
        candidate: 2,
        request_term: 1,
        request_last: (0, 0),
        granted: true,
        term_after: 1,
        vote_after: Some(2),
    },
    VoteCase {
        name: "a request from a stale term is refused, whatever the log",
        voter_term: 5,
        voter_vote: None,
        voter_log: &[1, 1],
        candidate: 2,
        request_term: 4,
        request_last: (9, 3),
        granted: false,
        term_after: 5,
        vote_after: None,
    },
    VoteCase {
        name: "a voter that backed another candidate this term refuses",
        voter_term: 3,
        voter_vote: Some(3),
        voter_log: &[1],
        candidate: 2,
        request_term: 3,
        request_last: (5, 2),
        granted: false,
        term_after: 3,
        vote_after: Some(3),
    },
    VoteCase {
        name: "the same candidate asking again in the same term is granted again",
        voter_term: 3,
        voter_vote: Some(2),
        voter_log: &[1],
        candidate: 2,
        request_term: 3,
        request_last: (1, 1),
        granted: true,
        term_after: 3,
        vote_after: Some(2),
    },
    VoteCase {
        name: "a vote cast in an older term does not bind in a newer one",
        voter_term: 2,
        voter_vote: Some(3),
        voter_log: &[1],
        candidate: 2,
        request_term: 3,
        request_last: (1, 1),
        granted: true,
        term_after: 3,
        vote_after: Some(2),
    },
    VoteCase {
        name: "a candidate whose last term is older is refused, even with a longer log",
        voter_term: 2,
        voter_vote: None,
        voter_log: &[1, 2],
        candidate: 2,
        request_term: 3,
        request_last: (5, 1),
        granted: false,
        term_after: 3,
        vote_after: None,
    },
    VoteCase {
        name: "a candidate with the same last term and a shorter log is refused",
        voter_term: 1,
        voter_vote: None,
        voter_log: &[1, 1, 1],
        candidate: 2,
        request_term: 2,
        request_last: (2, 1),
        granted: false,
        term_after: 2,
        vote_after: None,
    },
    VoteCase {
        name: "a candidate with the same last term and an equal log is granted",
        voter_term: 1,
        voter_vote: None,
        voter_log: &[1, 1, 1],
        candidate: 2,
        request_term: 2,
        request_last: (3, 1),
        granted: true,
        term_after: 2,
        vote_after: Some(2),
    },
    VoteCase {
        name: "a candidate with the same last term and a longer log is granted",
        voter_term: 1,
        voter_vote: None,
        voter_log: &[1, 1, 1],
        candidate: 3,
        request_term: 2,
        request_last: (4, 1),
        granted: true,
        term_after: 2,
        vote_after: Some(3),
    },
    VoteCase {
        name: "a candidate whose last term is newer is granted, even with a shorter log",
        voter_term: 2,
        voter_vote: None,
        voter_log: &[1, 1, 1, 1],
        candidate: 2,
        request_term: 3,
        request_last: (2, 2),
        granted: true,
        term_after: 3,
        vote_after: Some(2),
    },
];

#[test]
fn vote_is_granted_only_by_the_rules_of_term_vote_and_log() {
    for case in VOTE_CASES {
        let disk = durable(case.voter_term, case.voter_vote, 0, case.voter_log);
        let mut voter = node_from(&[1, 2, 3], &disk);
        let (last_index, last_term) = case.request_last;
        let ready = deliver(
            &mut voter,
            case.candidate,
            request_vote(case.request_term, last_index, last_term),
        );
        let expected = Message::RequestVoteResponse(RequestVoteResponse {
            term: case.term_after,
            granted: case.granted,
        });
        let messages = sent(&ready);
        assert_eq!(messages.len(), 1, "{}: one response", case.name);
        assert_eq!(messages[0].to, case.candidate, "{}: answers the candidate", case.name);
        assert_eq!(messages[0].message, expected, "{}", case.name);
        assert_eq!(voter.term(), case.term_after, "{}: term", case.name);
        assert_eq!(voter.vote(), case.vote_after, "{}: vote", case.name);
        assert_eq!(voter.role(), RoleKind::Follower, "{}: role", case.name);
        // Whatever changed must be persisted in the same Ready that carries the answer.
        let persisted = ready.hard_state.unwrap_or(disk.hard_state);
        assert_eq!(persisted, voter.hard_state(), "{}: hard state handed out", case.name);
    }
}

#[test]
fn a_vote_granted_is_in_the_hard_state_to_persist_before_the_response_is_sent() {
    let mut voter = node_from(&[1, 2, 3], &durable(4, None, 0, &[]));
    let ready = deliver(&mut voter, 3, request_vote(4, 0, 0));
    let hard_state = ready.hard_state.expect("the vote must be persisted");
    assert_eq!((hard_state.term, hard_state.vote), (4, Some(3)));
    assert!(matches!(only_message(&ready), Message::RequestVoteResponse(r) if r.granted));
}

#[test]
fn leader_refuses_a_vote_in_its_own_term() {
    let mut leader = node_from(&[1, 2, 3], &durable(1, None, 0, &[1]));
    win_election(&mut leader);
    let term = leader.term();
    let ready = deliver(&mut leader, 3, request_vote(term, 10, term - 1));
    assert_eq!(only_message(&ready), &vote_response(term, false));
    assert_eq!(leader.role(), RoleKind::Leader);
    assert_eq!(leader.vote(), Some(1));
}

/// Puts server 1 of three, whose disk holds one entry of term 1, into `role`.
fn server_in_role(role: RoleKind) -> Node {
    let mut node = node_from(&[1, 2, 3], &durable(2, None, 0, &[1]));
    match role {
        RoleKind::Follower => {
            deliver(&mut node, 2, append(2, (1, 1), Vec::new(), 0));
        }
        RoleKind::Candidate => {
            tick_until_campaign(&mut node);
        }
        RoleKind::Leader => {
            win_election(&mut node);
        }
        RoleKind::PreCandidate => unreachable!("these servers run without PreVote"),
    }
    assert_eq!(node.role(), role);
    node
}

/// A kind of message, built for a given term.
type MessageOfTerm = (&'static str, fn(Term) -> Message);

#[test]
fn a_higher_term_in_any_message_makes_any_server_a_follower_of_that_term() {
    let roles = [RoleKind::Follower, RoleKind::Candidate, RoleKind::Leader];
    // Every kind of message; the vote request's log is behind, so no vote is granted.
    let messages: [MessageOfTerm; 4] = [
        ("RequestVote", |term| request_vote(term, 0, 0)),
        ("RequestVoteResponse", |term| vote_response(term, false)),
        ("AppendEntries", |term| append(term, (0, 0), Vec::new(), 0)),
        ("AppendEntriesResponse", |term| rejected(term, 0, 0, None)),
    ];
    for role in roles {
        for (kind, make) in messages {
            let mut node = server_in_role(role);
            let higher = node.term() + 3;
            let ready = deliver(&mut node, 3, make(higher));
            let case = format!("{role:?} receiving {kind} of a higher term");
            assert_eq!(node.role(), RoleKind::Follower, "{case}: role");
            assert_eq!(node.term(), higher, "{case}: term");
            assert_eq!(node.vote(), None, "{case}: a new term starts without a vote");
            let leader = (kind == "AppendEntries").then_some(3);
            assert_eq!(node.leader_hint(), leader, "{case}: leader hint");
            let hard_state = ready.hard_state.expect("the new term is persisted");
            assert_eq!((hard_state.term, hard_state.vote), (higher, None), "{case}");
            assert_eq!(log_terms(&node)[0], 1, "{case}: the log is kept");
        }
    }
}

#[test]
fn a_lower_term_in_any_message_changes_nothing() {
    // Every state built by `server_in_role` is at term 2 or more, so term 1 is stale.
    let stale = [
        request_vote(1, 0, 0),
        vote_response(1, true),
        append(1, (0, 0), Vec::new(), 1),
        accepted(1, 2),
    ];
    for role in [RoleKind::Follower, RoleKind::Candidate, RoleKind::Leader] {
        for message in &stale {
            let mut node = server_in_role(role);
            let before = (node.term(), node.vote(), node.log().clone(), node.commit_index());
            deliver(&mut node, 2, message.clone());
            let after = (node.term(), node.vote(), node.log().clone(), node.commit_index());
            assert_eq!(node.role(), role, "{role:?} after a stale {}", message.kind());
            assert_eq!(after, before, "{role:?} after a stale {}", message.kind());
        }
    }
}

#[test]
fn candidate_hearing_an_append_of_its_own_term_becomes_a_follower_of_the_sender() {
    let mut candidate = server_in_role(RoleKind::Candidate);
    let term = candidate.term();
    let ready = deliver(&mut candidate, 3, append(term, (1, 1), Vec::new(), 0));
    assert_eq!(candidate.role(), RoleKind::Follower);
    assert_eq!(candidate.term(), term, "the term does not change");
    assert_eq!(candidate.vote(), Some(1), "the vote it cast for itself stands");
    assert_eq!(candidate.leader_hint(), Some(3));
    assert_eq!(append_outcome(&ready), raftsim_raft::AppendOutcome::Accepted { match_index: 1 });
}

#[test]
fn campaign_starts_a_new_term_with_a_vote_for_itself_and_asks_every_peer() {
    let mut node = node_from(&[1, 2, 3], &durable(4, None, 0, &[1, 4]));
    let ready = tick_until_campaign(&mut node);
    assert_eq!((node.role(), node.term(), node.vote()), (RoleKind::Candidate, 5, Some(1)));
    assert_eq!(ready.hard_state.map(|hard| (hard.term, hard.vote)), Some((5, Some(1))));
    for peer in [2, 3] {
        assert_eq!(only_message_to(&ready, peer), &request_vote(5, 2, 4));
    }
    assert_eq!(sent(&ready).len(), 2, "no message to itself");
}

/// Ticks until a fresh server with `seed` campaigns.
fn ticks_to_first_campaign(seed: u64) -> u32 {
    let config = raftsim_raft::Config { seed, ..config(1, &[1, 2, 3]) };
    let max = config.election_timeout_ticks_max;
    let mut node = Node::new(config).unwrap();
    let mut ticks = 0;
    while node.role() == RoleKind::Follower {
        node.tick();
        ticks += 1;
        assert!(ticks <= max, "seed {seed}: no campaign within {max} ticks");
    }
    ticks
}

#[test]
fn election_timeout_is_drawn_from_the_seed_within_the_configured_range() {
    let defaults = config(1, &[1, 2, 3]);
    let (min, max) = (defaults.election_timeout_ticks_min, defaults.election_timeout_ticks_max);
    let timeouts: Vec<u32> = (0..50).map(ticks_to_first_campaign).collect();
    for (seed, &ticks) in timeouts.iter().enumerate() {
        assert!((min..=max).contains(&ticks), "seed {seed}: {ticks} ticks");
        assert_eq!(ticks_to_first_campaign(seed as u64), ticks, "seed {seed} is deterministic");
    }
    let distinct: std::collections::BTreeSet<u32> = timeouts.iter().copied().collect();
    assert!(distinct.len() > 3, "timeouts are randomized across seeds: {distinct:?}");
}

#[test]
fn candidate_with_a_majority_becomes_leader_and_appends_a_noop_of_its_term() {
    let mut node = node_from(&[1, 2, 3], &durable(2, None, 1, &[1, 2]));
    tick_until_campaign(&mut node);
    let ready = deliver(&mut node, 3, vote_response(3, true));
    assert_eq!(node.role(), RoleKind::Leader);
    assert_eq!(node.leader_hint(), Some(1));
    let last = node.log().entry(3).expect("a new entry");
    assert_eq!((last.term, &last.data), (3, &EntryData::Noop));
    assert_eq!(ready.log_from, Some(3), "the no-op is persisted");
    for peer in [2, 3] {
        assert_eq!(only_message_to(&ready, peer), &append(3, (2, 2), vec![noop(3, 3)], 1));
    }
}

#[test]
fn refused_stale_and_duplicate_votes_do_not_count_toward_a_majority() {
    let mut node = node_from(&[1, 2, 3, 4, 5], &durable(6, None, 0, &[]));
    tick_until_campaign(&mut node);
    let term = node.term();
    deliver(&mut node, 2, vote_response(term, false));
    deliver(&mut node, 3, vote_response(term - 1, true));
    deliver(&mut node, 4, vote_response(term, true));
    deliver(&mut node, 4, vote_response(term, true));
    assert_eq!(node.role(), RoleKind::Candidate, "itself and node 4 are two of five");
    deliver(&mut node, 5, vote_response(term, true));
    assert_eq!(node.role(), RoleKind::Leader, "three of five");
}

#[test]
fn candidate_asks_again_only_the_voters_that_have_not_answered() {
    let mut node = node_from(&[1, 2, 3], &durable(0, None, 0, &[]));
    tick_until_campaign(&mut node);
    deliver(&mut node, 2, vote_response(1, false));
    let interval = node.config().heartbeat_interval_ticks;
    let mut resent = Vec::new();
    for _ in 0..interval {
        node.tick();
        resent.extend(sent(&take_ready(&mut node)).into_iter().cloned());
    }
    assert_eq!(node.role(), RoleKind::Candidate);
    assert_eq!(resent.len(), 1, "one retry: {resent:?}");
    assert_eq!((resent[0].to, &resent[0].message), (3, &request_vote(1, 0, 0)));
}

#[test]
fn candidate_without_a_majority_starts_a_new_term_when_its_timeout_expires() {
    let mut node = node_from(&[1, 2, 3], &durable(0, None, 0, &[]));
    tick_until_campaign(&mut node);
    deliver(&mut node, 2, vote_response(1, false));
    deliver(&mut node, 3, vote_response(1, false));
    let ready = tick_until_campaign(&mut node);
    assert_eq!((node.role(), node.term(), node.vote()), (RoleKind::Candidate, 2, Some(1)));
    assert_eq!(sent(&ready).len(), 2, "a fresh campaign asks every peer again");
}

#[test]
fn granting_a_vote_restarts_the_election_timer() {
    let voters = [1, 2, 3];
    // The request is of the voter's own term, so only the grant can restart the timer.
    let mut voter = restarted(config_with_timeout(1, &voters, 10), &durable(1, None, 0, &[]));
    for _ in 0..9 {
        voter.tick();
    }
    let ready = deliver(&mut voter, 2, request_vote(1, 0, 0));
    assert_eq!(only_message(&ready), &vote_response(1, true));
    for _ in 0..9 {
        voter.tick();
    }
    assert_eq!(voter.role(), RoleKind::Follower, "nine ticks since the vote");
    voter.tick();
    assert_eq!(voter.role(), RoleKind::Candidate, "ten ticks since the vote");
}

#[test]
fn hearing_from_the_leader_restarts_the_election_timer() {
    let voters = [1, 2, 3];
    let mut follower = restarted(config_with_timeout(1, &voters, 10), &durable(2, None, 0, &[]));
    for _ in 0..9 {
        follower.tick();
    }
    deliver(&mut follower, 2, append(2, (0, 0), Vec::new(), 0));
    for _ in 0..9 {
        follower.tick();
    }
    assert_eq!(follower.role(), RoleKind::Follower);
    // A stale leader does not count.
    deliver(&mut follower, 3, append(1, (0, 0), Vec::new(), 0));
    follower.tick();
    assert_eq!(follower.role(), RoleKind::Candidate);
}

#[test]
fn single_node_cluster_elects_itself_and_commits_alone() {
    let mut node = Node::new(config(1, &[1])).unwrap();
    let ready = tick_until_campaign(&mut node);
    assert_eq!((node.role(), node.term()), (RoleKind::Leader, 1));
    assert_eq!(ready.committed, vec![noop(1, 1)], "its no-op commits once durable");
    assert!(sent(&ready).is_empty());
    let (index, term) = node.propose(b"x".into()).unwrap();
    assert_eq!((index, term), (2, 1));
    assert_eq!(node.commit_index(), 1, "not before the disk has it");
    let ready = take_ready(&mut node);
    assert_eq!(node.commit_index(), 2);
    assert_eq!(ready.committed, vec![command(2, 1, b"x")]);
    assert_eq!(ready.entries, vec![command(2, 1, b"x")]);
    assert!(sent(&ready).is_empty());
}

#[test]
fn three_servers_elect_exactly_one_leader_and_the_others_follow_it() {
    let mut cluster = Cluster::new(3);
    cluster.elect(2);
    let interval = cluster.node(2).config().heartbeat_interval_ticks;
    cluster.tick_times(2, interval);
    cluster.deliver_all();
    for node in cluster.nodes() {
        assert_eq!(node.term(), 1);
        assert_eq!(node.leader_hint(), Some(2), "node {}", node.id());
        assert_eq!(node.commit_index(), 1, "the no-op committed everywhere");
    }
    assert_eq!(cluster.nodes().iter().filter(|n| n.role() == RoleKind::Leader).count(), 1);
}

#[test]
fn leader_with_stale_log_is_not_elected() {
    let mut cluster = Cluster::new(3);
    cluster.elect(1);
    cluster.isolate(3);
    cluster.propose(1, b"committed without node 3").unwrap();
    cluster.deliver_all();
    cluster.tick_times(1, 2);
    cluster.deliver_all();
    assert_eq!(cluster.node(2).commit_index(), 2);
    // The leader fails; node 3, which missed entry 2, comes back and campaigns first.
    cluster.heal();
    cluster.isolate(1);
    cluster.tick_until_campaign(3);
    cluster.deliver_all();
    assert_eq!(cluster.node(3).role(), RoleKind::Candidate, "node 2 refuses a stale log");
    assert_eq!(cluster.node(2).vote(), None);
    cluster.tick_until_campaign(2);
    cluster.deliver_all();
    assert_eq!(cluster.node(2).role(), RoleKind::Leader);
    assert_eq!(cluster.node(3).log().entry(2), Some(&command(2, 1, b"committed without node 3")));
}
