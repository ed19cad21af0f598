//! Recovery from a damaged log: a server whose storage lost records it may have acknowledged
//! takes no part in elections until its log is repaired past them, and still accepts and
//! acknowledges a leader's appends, which is how it is repaired.

mod common;

use common::*;
use raftsim_raft::{
    AfterPersistFailure, AppendOutcome, Config, DurableState, LogDamage, Message, Node, Ready,
    RequestVote, RoleKind,
};

/// Server 1 of 3, restarted from a log of `terms` whose storage reported `damage`, at `term`.
fn damaged(term: u64, terms: &[u64], damage: LogDamage) -> Node {
    let disk = DurableState { damage: Some(damage), ..durable(term, None, 0, terms) };
    Node::restart(Config { pre_vote: true, ..config(1, &voters(3)) }, &disk, 0).expect("valid")
}

/// Whether `ready` grants a vote or a PreVote.
fn grants(ready: &Ready) -> bool {
    sent(ready).iter().any(|envelope| match &envelope.message {
        Message::RequestVoteResponse(response) | Message::PreVoteResponse(response) => {
            response.granted
        }
        _ => false,
    })
}

#[test]
fn a_damaged_server_neither_votes_nor_grants_a_pre_vote() {
    let mut server = damaged(2, &[1, 2], LogDamage { from: 3, through: 5, term: 2 });
    assert!(!grants(&deliver(&mut server, 2, request_vote(3, 2, 2))));
    let pre_vote = Message::PreVote(RequestVote {
        term: 4,
        last_log_index: 9,
        last_log_term: 3,
        transfer: false,
    });
    assert!(!grants(&deliver(&mut server, 3, pre_vote)));
    assert_eq!(server.vote(), None, "no vote recorded either");
}

#[test]
fn a_damaged_server_never_campaigns() {
    let mut server = damaged(2, &[1, 2], LogDamage { from: 3, through: 5, term: 2 });
    for _ in 0..10 * server.config().election_timeout_ticks_max {
        server.tick();
        take_ready(&mut server);
    }
    assert_eq!(server.role(), RoleKind::Follower);
    assert_eq!(server.term(), 2, "no campaign, no PreVote round");
}

#[test]
fn rewriting_the_log_up_to_the_damage_repairs_it_and_restores_the_vote() {
    let mut server = damaged(2, &[1, 2], LogDamage { from: 3, through: 4, term: 2 });
    // The leader of term 2 resends entry 3: accepted and acknowledged, still short of 4.
    let ready = deliver(&mut server, 2, append(2, (2, 2), entries_from(3, &[2]), 0));
    assert!(matches!(append_outcome(&ready), AppendOutcome::Accepted { .. }));
    assert!(server.log_damage().is_some(), "index 4 may still be missing");
    deliver(&mut server, 2, append(2, (3, 2), entries_from(4, &[2]), 0));
    assert_eq!(server.log_damage(), None, "durable through index 4 again");
    assert!(grants(&deliver(&mut server, 3, request_vote(3, 4, 2))), "it votes again");
}

#[test]
fn an_entry_of_a_later_term_repairs_a_log_that_stays_shorter() {
    let mut server = damaged(2, &[1, 2], LogDamage { from: 3, through: 9, term: 2 });
    // A leader of term 3, elected without it, holds everything committed: its entry 3 of term 3
    // follows entry 2, so this log now matches the leader's up to there.
    deliver(&mut server, 2, append(3, (2, 2), entries_from(3, &[3]), 0));
    assert_eq!(server.log_damage(), None);
}

#[test]
fn the_repair_counts_only_once_the_rewrite_is_durable() {
    let mut server = damaged(2, &[1, 2], LogDamage { from: 3, through: 3, term: 2 });
    let ready = step_unacknowledged(&mut server, 2, append(2, (2, 2), entries_from(3, &[2]), 0));
    assert!(server.log_damage().is_some(), "written, not yet durable");
    server.on_persisted(ready.write_id.expect("a write"));
    assert_eq!(server.log_damage(), None);
}

#[test]
fn a_commit_index_past_the_damaged_log_is_brought_back_within_it() {
    let disk = DurableState {
        damage: Some(LogDamage { from: 3, through: 5, term: 2 }),
        ..durable(2, None, 5, &[1, 2])
    };
    let server = Node::restart(config(1, &voters(3)), &disk, 0).expect("a valid restart");
    assert_eq!(server.commit_index(), 2, "it learns the rest from its leader again");
}

#[test]
fn a_failed_fsync_tells_the_driver_to_stop() {
    let mut follower = Node::new(config(1, &voters(3))).unwrap();
    let message = append(1, (0, 0), entries_from(1, &[1]), 0);
    let ready = step_unacknowledged(&mut follower, 2, message);
    let write = ready.write_id.expect("a write");
    assert_eq!(follower.on_persist_failed(write), AfterPersistFailure::Stop);
}
