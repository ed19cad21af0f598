//! The acknowledged persistence contract: what a node may say or do before its disk has caught
//! up, with a driver whose writes complete only when the test says so.

mod common;

use common::*;
use raftsim_raft::{DurableState, Envelope, HardState, Node, Ready, RoleKind};

#[test]
fn a_followers_answers_wait_for_its_disk() {
    let mut follower = Node::new(config(1, &voters(3))).unwrap();
    let vote = step_unacknowledged(&mut follower, 2, request_vote(1, 0, 0));
    assert!(vote.write_id.is_some(), "the vote is written");
    assert!(vote.messages.is_empty(), "nothing leaves before the vote is durable");
    assert_eq!(vote.persisted_messages.len(), 1, "the grant waits for the disk");

    let append = step_unacknowledged(&mut follower, 2, append(1, (0, 0), entries_from(1, &[1]), 0));
    assert!(append.messages.is_empty());
    assert_eq!(append.persisted_messages.len(), 1, "the acknowledgement waits for the disk");
}

#[test]
fn a_leaders_appends_leave_before_its_own_write_is_durable() {
    let mut leader = Node::new(config(1, &voters(3))).unwrap();
    win_election(&mut leader);
    for peer in [2, 3] {
        deliver(&mut leader, peer, accepted(1, 1)); // the no-op: both followers now stream
    }
    leader.propose(b"x".into()).unwrap();
    let mut ready = Ready::default();
    leader.ready(&mut ready);
    assert!(ready.write_id.is_some());
    assert_eq!(ready.messages.len(), 2, "appends to both followers leave at once");
    assert!(ready.persisted_messages.is_empty());
}

#[test]
fn a_leader_counts_itself_only_once_its_entry_is_durable() {
    let mut leader = Node::new(config(1, &voters(5))).unwrap();
    let mut ready = tick_until_campaign(&mut leader);
    for peer in [2, 3] {
        leader.step(Envelope { from: peer, to: 1, message: vote_response(1, true) }).unwrap();
        leader.ready(&mut ready);
    }
    assert_eq!(leader.role(), RoleKind::Leader);
    let noop_write = ready.write_id.expect("the no-op is written");
    // Two followers acknowledge the no-op: with the leader that would be three of five, but
    // the leader's own copy is not durable yet.
    for peer in [2, 3] {
        leader.step(Envelope { from: peer, to: 1, message: accepted(1, 1) }).unwrap();
    }
    assert_eq!(leader.commit_index(), 0, "two durable copies of five");
    leader.on_persisted(noop_write);
    assert_eq!(leader.commit_index(), 1, "the leader's own copy makes three");
}

#[test]
fn committed_entries_are_handed_out_only_once_durable_here() {
    let mut follower = Node::new(config(1, &voters(3))).unwrap();
    let first = step_unacknowledged(&mut follower, 2, append(1, (0, 0), entries_from(1, &[1]), 1));
    assert_eq!(follower.commit_index(), 1, "the leader says entry 1 is committed");
    assert!(first.committed.is_empty(), "but it is not durable here yet");
    follower.on_persisted(first.write_id.unwrap());
    let mut second = Ready::default();
    follower.ready(&mut second);
    assert_eq!(second.committed, entries_from(1, &[1]));
}

#[test]
fn a_pending_truncation_keeps_replaced_entries_from_being_applied() {
    // Entries 1..=3 of term 1 are durable; a leader of term 2 replaces 2 and 3 and says 3 is
    // committed. Until that write is durable, only entry 1 is both durable and in the log.
    let mut follower = restarted(config(1, &voters(3)), &durable(1, None, 0, &[1, 1, 1]));
    let ready =
        step_unacknowledged(&mut follower, 2, append(2, (1, 1), entries_from(2, &[2, 2]), 3));
    assert_eq!(ready.log_from, Some(2));
    assert_eq!(follower.commit_index(), 3);
    assert_eq!(ready.committed, entries_from(1, &[1]), "entry 1 is durable and committed");
    follower.on_persisted(ready.write_id.unwrap());
    let mut after = Ready::default();
    follower.ready(&mut after);
    assert_eq!(after.committed, entries_from(2, &[2, 2]));
}

#[test]
fn acknowledging_in_order_covers_every_earlier_write() {
    let mut follower = Node::new(config(1, &voters(3))).unwrap();
    let first = step_unacknowledged(&mut follower, 2, append(1, (0, 0), entries_from(1, &[1]), 0));
    let second = step_unacknowledged(&mut follower, 2, append(1, (1, 1), entries_from(2, &[1]), 2));
    assert!(first.write_id < second.write_id);
    follower.on_persisted(second.write_id.unwrap());
    follower.on_persisted(first.write_id.unwrap()); // late and moot: harmless
    let mut ready = Ready::default();
    follower.ready(&mut ready);
    assert_eq!(ready.committed, entries_from(1, &[1, 1]));
}

/// A sole voter wins its election at once, before its new term and its vote are on its disk.
/// What it sends as leader waits for them: were that write to fail, it would restart in the
/// older term and might lead the new one a second time, with other entries, or vote for another
/// server in it, while a learner holds the first leadership's appends. (Found by a campaign of
/// membership churn down to one voter with failing fsyncs: two leaders of one term.)
#[test]
fn a_sole_voters_messages_wait_for_its_term_to_be_durable() {
    let learner_added = config_entry(1, 1, membership_of(&[1], &[2]));
    let disk = DurableState {
        hard_state: HardState { term: 1, vote: Some(1), commit: 1 },
        entries: vec![learner_added],
        ..DurableState::default()
    };
    let mut leader = node_from(&[1], &disk);
    let limit = leader.config().election_timeout_ticks_max + 1;
    for _ in 0..limit {
        if leader.role() == RoleKind::Leader {
            break;
        }
        leader.tick();
    }
    assert_eq!((leader.role(), leader.term()), (RoleKind::Leader, 2), "it won alone");
    let mut ready = Ready::default();
    leader.ready(&mut ready);
    let write = ready.write_id.expect("the new term is written");
    assert_eq!(ready.hard_state.map(|hard_state| hard_state.term), Some(2));
    assert!(ready.messages.is_empty(), "nothing leaves before term 2 is durable: {ready:?}");
    assert!(
        ready.persisted_messages.iter().any(|envelope| envelope.to == 2),
        "the learner's append waits for the disk: {ready:?}"
    );
    leader.on_persisted(write);
    deliver(&mut leader, 2, accepted(2, 2)); // the learner streams from now on
    leader.propose(b"x".into()).unwrap();
    leader.ready(&mut ready);
    assert!(ready.write_id.is_some());
    assert!(ready.messages.iter().any(|envelope| envelope.to == 2), "term 2 is durable now");
}
