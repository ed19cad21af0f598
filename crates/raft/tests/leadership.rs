//! Keeping and handing over leadership: PreVote (thesis §9.6), CheckQuorum and the leader
//! lease (§6.2, §4.2.3), and leadership transfer (§3.10).

mod common;

use common::*;
use raftsim_raft::{
    Config, Message, ProposeError, RequestVote, RequestVoteResponse, RoleKind, TransferError,
};

/// The usual configuration with PreVote and CheckQuorum on.
fn production(config: &mut Config) {
    config.pre_vote = true;
    config.check_quorum = true;
}

fn pre_vote(term: u64, last_log_index: u64, last_log_term: u64) -> Message {
    Message::PreVote(RequestVote { term, last_log_index, last_log_term, transfer: false })
}

fn pre_vote_response(term: u64, granted: bool) -> Message {
    Message::PreVoteResponse(RequestVoteResponse { term, granted })
}

fn transfer_vote(term: u64, last_log_index: u64, last_log_term: u64) -> Message {
    Message::RequestVote(RequestVote { term, last_log_index, last_log_term, transfer: true })
}

/// A lone server of three with PreVote on, its disk holding one entry of term 2.
fn pre_voting_server() -> raftsim_raft::Node {
    let mut config = config(1, &[1, 2, 3]);
    production(&mut config);
    restarted(config, &durable(2, None, 0, &[2]))
}

/// Ticks `node` until its role changes from follower; returns what it sent then.
fn tick_until_not_follower(node: &mut raftsim_raft::Node) -> raftsim_raft::Ready {
    for _ in 0..=node.config().election_timeout_ticks_max {
        node.tick();
        let ready = take_ready(node);
        if node.role() != RoleKind::Follower {
            return ready;
        }
    }
    panic!("node {} never left the follower role", node.id());
}

#[test]
fn a_timed_out_server_asks_for_prevotes_without_raising_its_term() {
    let mut node = pre_voting_server();
    let ready = tick_until_not_follower(&mut node);
    assert_eq!(node.role(), RoleKind::PreCandidate);
    assert_eq!((node.term(), node.vote()), (2, None), "a PreVote touches no term and no vote");
    assert_eq!(ready.hard_state, None, "nothing to persist");
    assert_eq!(messages_to(&ready, 2), vec![&pre_vote(3, 1, 2)]);
    assert_eq!(messages_to(&ready, 3), vec![&pre_vote(3, 1, 2)]);
}

#[test]
fn a_majority_of_prevotes_starts_the_real_campaign() {
    let mut node = pre_voting_server();
    tick_until_not_follower(&mut node);
    let ready = deliver(&mut node, 2, pre_vote_response(3, true));
    assert_eq!(node.role(), RoleKind::Candidate);
    assert_eq!((node.term(), node.vote()), (3, Some(1)));
    assert_eq!(
        messages_to(&ready, 3),
        vec![&Message::RequestVote(RequestVote {
            term: 3,
            last_log_index: 1,
            last_log_term: 2,
            transfer: false
        })]
    );
}

#[test]
fn refusals_and_stale_grants_do_not_start_a_campaign() {
    let mut node = pre_voting_server();
    tick_until_not_follower(&mut node);
    deliver(&mut node, 2, pre_vote_response(2, false));
    deliver(&mut node, 3, pre_vote_response(2, true));
    assert_eq!(node.role(), RoleKind::PreCandidate, "a grant must carry the term asked about");
    assert_eq!(node.term(), 2);
}

#[test]
fn a_refusal_from_a_later_term_makes_the_precandidate_follow_it() {
    let mut node = pre_voting_server();
    tick_until_not_follower(&mut node);
    deliver(&mut node, 2, pre_vote_response(5, false));
    assert_eq!((node.role(), node.term()), (RoleKind::Follower, 5));
}

#[test]
fn a_server_cut_off_from_its_peers_never_raises_its_term() {
    let mut node = pre_voting_server();
    for _ in 0..1000 {
        node.tick();
        take_ready(&mut node);
    }
    assert_eq!(node.term(), 2, "a thousand ticks alone, and still the term it had");
    assert_eq!(node.role(), RoleKind::PreCandidate);
}

#[test]
fn a_prevote_is_granted_without_changing_the_voter() {
    let mut voter = pre_voting_server();
    for _ in 0..voter.config().election_timeout_ticks_min {
        voter.tick(); // No leader heard of: the lease does not hold.
        take_ready(&mut voter);
    }
    let before = (voter.term(), voter.vote());
    let ready = deliver(&mut voter, 2, pre_vote(3, 1, 2));
    assert_eq!(only_message(&ready), &pre_vote_response(3, true));
    assert_eq!((voter.term(), voter.vote()), before);
}

#[test]
fn a_prevote_for_a_stale_log_is_refused() {
    let mut voter = pre_voting_server();
    let ready = deliver(&mut voter, 2, pre_vote(3, 1, 1));
    assert_eq!(only_message(&ready), &pre_vote_response(2, false));
}

#[test]
fn a_server_that_hears_from_its_leader_refuses_prevotes() {
    let mut voter = pre_voting_server();
    deliver(&mut voter, 3, append(2, (1, 2), Vec::new(), 0));
    assert_eq!(voter.leader_hint(), Some(3));
    let ready = deliver(&mut voter, 2, pre_vote(3, 1, 2));
    assert_eq!(only_message(&ready), &pre_vote_response(2, false));
    // Once the leader has been silent for the shortest election timeout, it may be gone.
    for _ in 0..voter.config().election_timeout_ticks_min {
        voter.tick();
        take_ready(&mut voter);
    }
    if voter.role() == RoleKind::Follower {
        let ready = deliver(&mut voter, 2, pre_vote(3, 1, 2));
        assert_eq!(only_message(&ready), &pre_vote_response(3, true));
    }
}

#[test]
fn under_check_quorum_a_server_that_hears_its_leader_disregards_a_higher_term_candidate() {
    let mut voter = pre_voting_server();
    deliver(&mut voter, 3, append(2, (1, 2), Vec::new(), 0));
    let ready = deliver(&mut voter, 2, request_vote(7, 1, 2));
    assert!(sent(&ready).is_empty(), "no answer: {ready:?}");
    assert_eq!((voter.term(), voter.leader_hint()), (2, Some(3)), "its term is untouched");
    // A candidate that the leader handed over to is answered all the same.
    let ready = deliver(&mut voter, 2, transfer_vote(3, 1, 2));
    assert_eq!(only_message(&ready), &vote_response(3, true));
}

#[test]
fn without_check_quorum_a_higher_term_candidate_is_answered() {
    let mut config = config(1, &[1, 2, 3]);
    config.pre_vote = true;
    let mut voter = restarted(config, &durable(2, None, 0, &[2]));
    deliver(&mut voter, 3, append(2, (1, 2), Vec::new(), 0));
    let ready = deliver(&mut voter, 2, request_vote(7, 1, 2));
    assert_eq!(only_message(&ready), &vote_response(7, true));
}

#[test]
fn a_cluster_with_prevote_elects_a_leader() {
    let mut cluster = Cluster::with_configs(3, production);
    cluster.elect(1);
    assert_eq!(cluster.leader(), Some(1));
    assert_eq!(cluster.node(1).term(), 1, "one election, one term");
}

#[test]
fn a_rejoining_server_does_not_depose_the_leader() {
    let mut cluster = Cluster::with_configs(5, production);
    cluster.elect(1);
    cluster.deliver_all();
    cluster.isolate(5);
    for _ in 0..200 {
        for id in cluster.ids() {
            cluster.tick(id);
        }
        cluster.deliver_all();
    }
    assert_eq!(cluster.node(5).term(), 1, "cut off, node 5 could not raise its term");
    cluster.heal();
    for _ in 0..50 {
        for id in cluster.ids() {
            cluster.tick(id);
        }
        cluster.deliver_all();
    }
    assert_eq!(cluster.leader(), Some(1));
    assert!(cluster.nodes().iter().all(|node| node.term() == 1), "nobody left term 1");
    assert_eq!(cluster.node(5).leader_hint(), Some(1));
}

#[test]
fn a_leader_that_hears_from_no_quorum_steps_down() {
    let mut cluster = Cluster::with_configs(3, production);
    cluster.elect(1);
    cluster.deliver_all();
    cluster.isolate(1);
    let timeout = cluster.node(1).config().election_timeout_ticks_min;
    cluster.tick_times(1, timeout - 1);
    assert_eq!(cluster.node(1).role(), RoleKind::Leader, "within its first round it still leads");
    cluster.tick_times(1, timeout + 1);
    assert_eq!(cluster.node(1).role(), RoleKind::Follower);
    assert_eq!(cluster.node(1).term(), 1, "it steps down in its own term");
}

#[test]
fn a_leader_that_hears_from_a_quorum_keeps_leading() {
    let mut cluster = Cluster::with_configs(5, production);
    cluster.elect(1);
    cluster.deliver_all();
    cluster.isolate(4);
    cluster.isolate(5);
    for _ in 0..100 {
        cluster.tick(1);
        cluster.deliver_all();
    }
    assert_eq!(cluster.node(1).role(), RoleKind::Leader, "itself and two followers: a quorum");
}

#[test]
fn without_check_quorum_an_isolated_leader_keeps_leading() {
    let mut cluster = Cluster::new(3);
    cluster.elect(1);
    cluster.deliver_all();
    cluster.isolate(1);
    cluster.tick_times(1, 200);
    assert_eq!(cluster.node(1).role(), RoleKind::Leader);
}

#[test]
fn a_transfer_to_an_up_to_date_follower_hands_leadership_over() {
    let mut cluster = Cluster::with_configs(3, production);
    cluster.elect(1);
    cluster.deliver_all();
    cluster.transfer(1, 2).expect("the leader takes the request");
    assert_eq!(cluster.propose(1, b"x"), Err(ProposeError::Transferring));
    cluster.deliver_all();
    assert_eq!(cluster.leader(), Some(2));
    assert_eq!(cluster.node(2).term(), 2);
    assert_eq!(cluster.node(1).role(), RoleKind::Follower);
}

#[test]
fn a_transfer_to_a_lagging_follower_waits_until_it_caught_up() {
    let mut cluster = Cluster::with_configs(3, production);
    cluster.elect(1);
    cluster.deliver_all();
    cluster.isolate(3);
    for command in [b"a", b"b", b"c"] {
        cluster.propose(1, command).expect("the leader takes it");
    }
    cluster.deliver_all();
    cluster.transfer(1, 3).expect("the leader takes the request");
    assert!(
        cluster.queue.iter().all(|envelope| !matches!(envelope.message, Message::TimeoutNow(_))),
        "node 3 is behind: no TimeoutNow yet"
    );
    cluster.heal();
    for _ in 0..4 {
        cluster.tick(1);
        cluster.deliver_all();
    }
    assert_eq!(cluster.leader(), Some(3), "caught up, then handed over");
    assert_eq!(cluster.node(3).log().last_index(), cluster.node(1).log().last_index());
}

#[test]
fn a_transfer_that_does_not_complete_is_abandoned_after_an_election_timeout() {
    let mut cluster = Cluster::with_configs(3, production);
    cluster.elect(1);
    cluster.deliver_all();
    cluster.isolate(2);
    cluster.transfer(1, 2).expect("the leader takes the request");
    assert_eq!(cluster.propose(1, b"x"), Err(ProposeError::Transferring));
    let timeout = cluster.node(1).config().election_timeout_ticks_min;
    for _ in 0..timeout {
        cluster.tick(1);
        cluster.deliver_all();
    }
    assert_eq!(cluster.leader(), Some(1));
    assert!(cluster.propose(1, b"x").is_ok(), "proposals resume once the transfer is given up");
}

#[test]
fn only_a_leader_transfers_and_only_to_another_voter() {
    let mut cluster = Cluster::with_configs(3, production);
    cluster.elect(1);
    assert_eq!(cluster.transfer(2, 3), Err(TransferError::NotLeader));
    assert_eq!(cluster.transfer(1, 1), Err(TransferError::BadTarget { target: 1 }));
    assert_eq!(cluster.transfer(1, 9), Err(TransferError::BadTarget { target: 9 }));
}
