//! Crash and restart: what a driver made durable from each `Ready` (via
//! `Ready::persist_into`) is exactly what `Node::restart` needs to come back with the same term,
//! vote, log and commit index, and committed entries above the applied index are handed out
//! again.

mod common;

use common::*;
use raftsim_raft::{DurableState, HardState, Node, RoleKind};

/// A cluster that elected node 1, committed three commands, then elected node 2 after node 1
/// was cut off (node 1 keeps an uncommitted entry of its own), so that every disk holds
/// interesting state: several terms, votes, commits and a divergent suffix.
fn eventful_cluster() -> Cluster {
    let mut cluster = Cluster::new(3);
    cluster.elect(1);
    for command in [b"a", b"b", b"c"] {
        cluster.propose(1, command).unwrap();
    }
    cluster.deliver_all();
    cluster.tick_times(1, 2);
    cluster.deliver_all();
    cluster.isolate(1);
    cluster.propose(1, b"lost with the old leader").unwrap();
    cluster.tick_until_campaign(2);
    cluster.deliver_all();
    assert_eq!(cluster.node(2).role(), RoleKind::Leader);
    cluster
}

#[test]
fn restart_from_what_was_persisted_keeps_term_vote_log_and_commit() {
    let cluster = eventful_cluster();
    for node in cluster.nodes() {
        let disk = &cluster.disks[node.id() as usize - 1];
        assert_eq!(disk.entries, node.log().entries(), "node {}: disk holds the log", node.id());
        let restarted = Node::restart(node.config().clone(), disk, 0).unwrap();
        assert_eq!(restarted.term(), node.term(), "node {} term", node.id());
        assert_eq!(restarted.vote(), node.vote(), "node {} vote", node.id());
        assert_eq!(restarted.log(), node.log(), "node {} log", node.id());
        assert_eq!(restarted.commit_index(), node.commit_index(), "node {} commit", node.id());
        assert_eq!(restarted.role(), RoleKind::Follower, "node {} restarts following", node.id());
        assert_eq!(restarted.leader_hint(), None);
    }
}

#[test]
fn restart_hands_out_again_the_committed_entries_above_the_applied_index() {
    let cluster = eventful_cluster();
    let node = cluster.node(3);
    let disk = &cluster.disks[2];
    let commit = disk.hard_state.commit;
    assert!(commit >= 3, "several entries committed");
    for applied in [0, 1, commit - 1, commit] {
        let mut restarted = Node::restart(node.config().clone(), disk, applied).unwrap();
        assert_eq!(restarted.applied_index(), applied);
        let ready = take_ready(&mut restarted);
        let expected = &node.log().entries()[applied as usize..commit as usize];
        assert_eq!(ready.committed, expected, "applied up to {applied}");
        assert_eq!(restarted.applied_index(), commit);
        assert_eq!(ready.hard_state, None, "nothing changed to persist");
        assert_eq!(ready.log_from, None, "nothing changed to write");
    }
}

#[test]
fn restarted_voter_does_not_vote_again_in_the_same_term() {
    let mut voter = Node::new(config(1, &voters(3))).unwrap();
    let mut disk = DurableState::default();
    deliver(&mut voter, 2, request_vote(1, 0, 0)).persist_into(&mut disk);
    assert_eq!(disk.hard_state, HardState { term: 1, vote: Some(2), commit: 0 });
    let mut voter = Node::restart(voter.config().clone(), &disk, 0).unwrap();
    let ready = deliver(&mut voter, 3, request_vote(1, 0, 0));
    assert_eq!(only_message(&ready), &vote_response(1, false));
    let ready = deliver(&mut voter, 2, request_vote(1, 0, 0));
    assert_eq!(only_message(&ready), &vote_response(1, true), "the same candidate, again");
}

#[test]
fn restart_after_a_truncation_comes_back_with_the_truncated_log() {
    let disk = durable(1, None, 1, &[1, 1, 1]);
    let mut follower = restarted(config(1, &voters(3)), &disk);
    let mut disk = disk;
    deliver(&mut follower, 2, append(2, (1, 1), entries_from(2, &[2]), 1)).persist_into(&mut disk);
    assert_eq!(log_terms(&follower), vec![1, 2]);
    let restarted = Node::restart(follower.config().clone(), &disk, 1).unwrap();
    assert_eq!(log_terms(&restarted), vec![1, 2], "the removed entry does not come back");
    assert_eq!(restarted.log(), follower.log());
}

#[test]
fn hard_state_is_handed_out_only_when_it_changes() {
    let mut node = Node::new(config(1, &voters(3))).unwrap();
    let ready = deliver(&mut node, 2, append(1, (0, 0), Vec::new(), 0));
    assert_eq!(ready.hard_state, Some(HardState { term: 1, vote: None, commit: 0 }));
    let ready = deliver(&mut node, 2, append(1, (0, 0), Vec::new(), 0));
    assert_eq!(ready.hard_state, None, "the same term again");
    let ready = deliver(&mut node, 2, append(1, (0, 0), entries_from(1, &[1]), 1));
    assert_eq!(ready.hard_state, Some(HardState { term: 1, vote: None, commit: 1 }));
    assert_eq!((ready.log_from, ready.entries.len()), (Some(1), 1));
}

#[test]
fn a_crashed_leader_restarts_as_a_follower_and_the_cluster_moves_on() {
    let mut cluster = Cluster::new(3);
    cluster.elect(1);
    cluster.propose(1, b"before the crash").unwrap();
    cluster.deliver_all();
    cluster.tick_times(1, 2);
    cluster.deliver_all();
    let applied = cluster.applied[0].len() as u64;
    cluster.restart(1, applied);
    assert_eq!(cluster.node(1).role(), RoleKind::Follower);
    assert_eq!(cluster.node(1).term(), 1);
    cluster.tick_until_campaign(3);
    cluster.deliver_all();
    assert_eq!(cluster.leader(), Some(3));
    cluster.propose(3, b"after the crash").unwrap();
    cluster.deliver_all();
    cluster.tick_times(3, 2);
    cluster.deliver_all();
    cluster.assert_converged();
    cluster.assert_applied_agree();
    assert_eq!(cluster.node(1).log().last_index(), 4, "no-op, command, no-op, command");
}

#[test]
fn a_follower_that_restarts_with_nothing_applied_applies_everything_again_in_order() {
    let mut cluster = Cluster::new(3);
    cluster.elect(1);
    for command in [b"a", b"b"] {
        cluster.propose(1, command).unwrap();
    }
    cluster.deliver_all();
    cluster.tick_times(1, 2);
    cluster.deliver_all();
    let before = cluster.applied[1].clone();
    assert_eq!(before.len(), 3);
    cluster.restart(2, 0);
    assert_eq!(cluster.applied[1], before, "re-applied from the log, in order");
}
