//! The commitment rule (§5.3, §5.4.2): a leader commits an entry once it is stored on a
//! majority, but counts replicas only for entries of its own term (Figure 8); a follower
//! commits up to `min(leader_commit, index of last new entry)`; committed entries are applied
//! once, in order.

mod common;

use common::*;
use raftsim_raft::{AppendOutcome, Config, Message, Node, RoleKind, Term};

/// Server 1 of `count`, whose disk holds entry 1 of term 1 (committed) and entry 2 of term 2
/// (not committed), elected leader of term 3: its no-op is entry 3.
fn leader_with_an_entry_of_an_earlier_term(count: u64) -> Node {
    let mut leader = node_from(&voters(count), &durable(2, None, 1, &[1, 2]));
    win_election(&mut leader);
    assert_eq!((leader.term(), log_terms(&leader)), (3, vec![1, 2, 3]));
    leader
}

#[test]
fn leader_does_not_commit_an_entry_of_an_earlier_term_by_counting_replicas() {
    let mut leader = leader_with_an_entry_of_an_earlier_term(3);
    // Node 2 now stores entry 2: with the leader, a majority holds it. It is still not
    // committed, because a later leader could overwrite it (Figure 8, panel c).
    let ready = deliver(&mut leader, 2, accepted(3, 2));
    assert_eq!(leader.commit_index(), 1);
    assert!(ready.committed.is_empty());
    assert_eq!(ready.hard_state, None, "nothing new to persist");
}

#[test]
fn leader_commits_an_earlier_term_entry_once_an_entry_of_its_term_above_it_is_on_a_majority() {
    let mut leader = leader_with_an_entry_of_an_earlier_term(3);
    deliver(&mut leader, 2, accepted(3, 2));
    let ready = deliver(&mut leader, 2, accepted(3, 3));
    assert_eq!(leader.commit_index(), 3);
    assert_eq!(ready.committed, vec![command(2, 2, b"2@2"), noop(3, 3)]);
    assert_eq!(ready.hard_state.map(|hard| hard.commit), Some(3));
}

#[test]
fn figure_8_in_a_cluster_a_majority_holding_an_old_entry_does_not_commit_it() {
    // One entry per message, so that node 2 acknowledges entry 2 on its own. The leader holds
    // entries 2 and 3 of term 2 and appends its no-op as entry 4: its first probe (entry 4)
    // goes past node 2's log, which holds it until entry 3 arrives.
    let voters = voters(3);
    let configs =
        voters.iter().map(|&id| Config { max_entries_per_message: 1, ..config(id, &voters) });
    let disks =
        vec![durable(2, None, 1, &[1, 2, 2]), durable(2, None, 1, &[1]), durable(2, None, 1, &[1])];
    let mut cluster = Cluster::from_disks(configs.collect(), disks);
    cluster.isolate(3);
    cluster.tick_until_campaign(1);
    let mut acknowledged = Vec::new();
    while let Some(envelope) = cluster.deliver_next() {
        if let Message::AppendEntriesResponse(response) = &envelope.message
            && let AppendOutcome::Accepted { match_index } = response.outcome
        {
            acknowledged.push(match_index);
            let commit = cluster.node(1).commit_index();
            let term = cluster.node(1).log().entry(commit).unwrap().term;
            assert!(commit == 1 || term == 3, "committed {commit} of term {term} by counting");
        }
    }
    // Entry 4 may be acknowledged twice: once with entry 3 (which released the held probe),
    // once on its own.
    acknowledged.dedup();
    assert_eq!(acknowledged, vec![2, 4], "node 2 stored entry 2, then entries 3 and 4");
    assert_eq!(cluster.node(1).role(), RoleKind::Leader);
    assert_eq!(cluster.node(1).commit_index(), 4);
}

#[test]
fn leader_commits_an_entry_of_its_term_once_a_majority_stores_it() {
    let mut leader = Node::new(config(1, &voters(5))).unwrap();
    win_election(&mut leader);
    leader.propose(b"x".into()).unwrap();
    take_ready(&mut leader);
    let acknowledgements = [(2, 0), (2, 1), (3, 2), (4, 2)];
    let expected_commits = [0, 0, 1, 2];
    for ((from, match_index), expected) in acknowledgements.into_iter().zip(expected_commits) {
        deliver(&mut leader, from, accepted(1, match_index));
        assert_eq!(leader.commit_index(), expected, "after node {from} matched {match_index}");
    }
}

#[test]
fn duplicate_acknowledgements_from_one_follower_count_once() {
    let mut leader = Node::new(config(1, &voters(5))).unwrap();
    win_election(&mut leader);
    for _ in 0..3 {
        deliver(&mut leader, 2, accepted(1, 1));
    }
    assert_eq!(leader.commit_index(), 0, "the leader and node 2 are two of five");
}

#[test]
fn acknowledgements_out_of_order_never_lower_the_commit_index() {
    let mut leader = Node::new(config(1, &voters(3))).unwrap();
    win_election(&mut leader);
    for command in [b"a", b"b", b"c"] {
        leader.propose(command.into()).unwrap();
    }
    deliver(&mut leader, 2, accepted(1, 4));
    assert_eq!(leader.commit_index(), 4);
    let ready = deliver(&mut leader, 2, accepted(1, 2));
    assert_eq!(leader.commit_index(), 4);
    assert!(ready.committed.is_empty() && ready.hard_state.is_none());
}

#[test]
fn an_acknowledgement_from_an_earlier_term_does_not_count() {
    let mut leader = leader_with_an_entry_of_an_earlier_term(3);
    deliver(&mut leader, 2, accepted(2, 3));
    assert_eq!(leader.commit_index(), 1);
}

/// One row of the follower commit table.
struct FollowerCommitCase {
    name: &'static str,
    log: &'static [Term],
    commit: u64,
    prev: (u64, Term),
    entries: &'static [Term],
    leader_commit: u64,
    commit_after: u64,
}

const FOLLOWER_COMMIT_CASES: &[FollowerCommitCase] = &[
    FollowerCommitCase {
        name: "the leader's commit index past the new entries commits up to the last one",
        log: &[],
        commit: 0,
        prev: (0, 0),
        entries: &[1, 1],
        leader_commit: 5,
        commit_after: 2,
    },
    FollowerCommitCase {
        name: "the leader's commit index within the new entries commits up to it",
        log: &[],
        commit: 0,
        prev: (0, 0),
        entries: &[1, 1, 1],
        leader_commit: 2,
        commit_after: 2,
    },
    FollowerCommitCase {
        name: "a heartbeat does not commit entries the leader did not vouch for",
        log: &[1, 1, 1],
        commit: 0,
        prev: (1, 1),
        entries: &[],
        leader_commit: 3,
        commit_after: 1,
    },
    FollowerCommitCase {
        name: "a stale duplicate commits only up to the entries it carries",
        log: &[1, 1, 1, 1],
        commit: 0,
        prev: (1, 1),
        entries: &[1],
        leader_commit: 4,
        commit_after: 2,
    },
    FollowerCommitCase {
        name: "a lower leader commit index never lowers the follower's",
        log: &[1, 1, 1],
        commit: 2,
        prev: (3, 1),
        entries: &[],
        leader_commit: 1,
        commit_after: 2,
    },
    FollowerCommitCase {
        name: "a rejected append commits nothing",
        log: &[1],
        commit: 0,
        prev: (3, 1),
        entries: &[1],
        leader_commit: 4,
        commit_after: 0,
    },
];

#[test]
fn follower_commits_up_to_the_leader_commit_or_its_last_new_entry_whichever_is_lower() {
    for case in FOLLOWER_COMMIT_CASES {
        let mut follower = node_from(&voters(3), &durable(1, None, case.commit, case.log));
        let entries = entries_from(case.prev.0 + 1, case.entries);
        let ready = deliver(&mut follower, 2, append(1, case.prev, entries, case.leader_commit));
        assert_eq!(follower.commit_index(), case.commit_after, "{}", case.name);
        let newly_committed: Vec<u64> = ready.committed.iter().map(|entry| entry.index).collect();
        let expected: Vec<u64> = (case.commit + 1..=case.commit_after).collect();
        assert_eq!(newly_committed, expected, "{}: entries to apply", case.name);
    }
}

#[test]
fn leader_hands_out_nothing_to_apply_before_commit() {
    let mut leader = Node::new(config(1, &voters(3))).unwrap();
    let ready = win_election(&mut leader);
    assert!(ready.committed.is_empty());
    leader.propose(b"x".into()).unwrap();
    assert!(take_ready(&mut leader).committed.is_empty());
    assert_eq!(leader.applied_index(), 0);
}

#[test]
fn followers_learn_the_commit_index_from_the_next_append_or_heartbeat() {
    let mut cluster = Cluster::new(3);
    cluster.elect(1);
    let interval = cluster.node(1).config().heartbeat_interval_ticks;
    cluster.tick_times(1, interval);
    cluster.deliver_all();
    cluster.propose(1, b"x").unwrap();
    cluster.deliver_all();
    assert_eq!(cluster.node(1).commit_index(), 2);
    for follower in [2, 3] {
        assert_eq!(cluster.node(follower).commit_index(), 1, "the append carried commit 1");
    }
    cluster.tick_times(1, interval);
    cluster.deliver_all();
    for follower in [2, 3] {
        assert_eq!(cluster.node(follower).commit_index(), 2, "the heartbeat carried commit 2");
    }
}

#[test]
fn every_server_applies_every_committed_entry_once_in_index_order() {
    let mut cluster = Cluster::with_configs(5, |config| config.max_entries_per_message = 3);
    cluster.elect(3);
    for round in 0..10u32 {
        cluster.propose(3, &round.to_le_bytes()).unwrap();
        if round % 3 == 0 {
            cluster.deliver_all();
            cluster.tick_times(3, 2);
        }
    }
    cluster.deliver_all();
    cluster.tick_times(3, 2);
    cluster.deliver_all();
    cluster.assert_converged();
    for applied in &cluster.applied {
        let indexes: Vec<u64> = applied.iter().map(|entry| entry.index).collect();
        assert_eq!(indexes, (1..=11).collect::<Vec<u64>>());
    }
}
