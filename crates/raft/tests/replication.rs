//! Log replication (§5.3): how a follower reconciles its log with an append, how a leader finds
//! where a follower's log matches (fast backtracking), flow control (batching, the in-flight
//! window, the bound on uncommitted entries), and retransmission of lost appends.

mod common;

use common::*;
use raftsim_raft::{
    AppendEntries, AppendOutcome, Config, ConflictHint, Message, Node, ProposeError, RoleKind, Term,
};

/// One row of the follower table: the follower's log, an append, and what must follow.
struct AppendCase {
    name: &'static str,
    log: &'static [Term],
    commit: u64,
    /// The follower's term.
    current_term: Term,
    /// The append's term.
    term: Term,
    prev: (u64, Term),
    entries: &'static [Term],
    leader_commit: u64,
    outcome: AppendOutcome,
    log_after: &'static [Term],
    /// Where the Ready's log write starts, if there is one.
    written_from: Option<u64>,
    commit_after: u64,
}

const fn accepted_at(match_index: u64) -> AppendOutcome {
    AppendOutcome::Accepted { match_index }
}

const fn rejected_at(prev: u64, index: u64, conflict_term: Option<Term>) -> AppendOutcome {
    AppendOutcome::Rejected { rejected_index: prev, hint: ConflictHint { index, conflict_term } }
}

const APPEND_CASES: &[AppendCase] = &[
    AppendCase {
        name: "an append to an empty log is accepted",
        log: &[],
        commit: 0,
        current_term: 3,
        term: 3,
        prev: (0, 0),
        entries: &[1, 1],
        leader_commit: 0,
        outcome: accepted_at(2),
        log_after: &[1, 1],
        written_from: Some(1),
        commit_after: 0,
    },
    AppendCase {
        name: "an append right after the last entry extends the log",
        log: &[1, 1],
        commit: 0,
        current_term: 3,
        term: 3,
        prev: (2, 1),
        entries: &[3],
        leader_commit: 0,
        outcome: accepted_at(3),
        log_after: &[1, 1, 3],
        written_from: Some(3),
        commit_after: 0,
    },
    AppendCase {
        name: "a heartbeat at a matching entry is accepted and writes nothing",
        log: &[1, 1],
        commit: 0,
        current_term: 3,
        term: 3,
        prev: (2, 1),
        entries: &[],
        leader_commit: 0,
        outcome: accepted_at(2),
        log_after: &[1, 1],
        written_from: None,
        commit_after: 0,
    },
    AppendCase {
        name: "a missing previous entry is rejected with the log's end as the hint",
        log: &[1, 1],
        commit: 0,
        current_term: 3,
        term: 3,
        prev: (4, 3),
        entries: &[3],
        leader_commit: 4,
        outcome: rejected_at(4, 3, None),
        log_after: &[1, 1],
        written_from: None,
        commit_after: 0,
    },
    AppendCase {
        name: "a previous entry of another term is rejected with that term's first index",
        log: &[1, 2, 2, 2],
        commit: 1,
        current_term: 3,
        term: 3,
        prev: (4, 3),
        entries: &[3],
        leader_commit: 4,
        outcome: rejected_at(4, 2, Some(2)),
        log_after: &[1, 2, 2, 2],
        written_from: None,
        commit_after: 1,
    },
    AppendCase {
        name: "a conflict at the first entry hints index 1",
        log: &[2, 2],
        commit: 0,
        current_term: 3,
        term: 3,
        prev: (1, 1),
        entries: &[],
        leader_commit: 0,
        outcome: rejected_at(1, 1, Some(2)),
        log_after: &[2, 2],
        written_from: None,
        commit_after: 0,
    },
    AppendCase {
        name: "a real conflict truncates the suffix from the conflicting entry",
        log: &[1, 1, 2, 2],
        commit: 2,
        current_term: 3,
        term: 3,
        prev: (2, 1),
        entries: &[3],
        leader_commit: 2,
        outcome: accepted_at(3),
        log_after: &[1, 1, 3],
        written_from: Some(3),
        commit_after: 2,
    },
    AppendCase {
        name: "a conflict after matching entries truncates only from the conflict",
        log: &[1, 1, 2, 2],
        commit: 0,
        current_term: 3,
        term: 3,
        prev: (1, 1),
        entries: &[1, 3],
        leader_commit: 0,
        outcome: accepted_at(3),
        log_after: &[1, 1, 3],
        written_from: Some(3),
        commit_after: 0,
    },
    AppendCase {
        name: "a stale duplicate whose entries are present does not truncate the suffix",
        log: &[1, 1, 1, 1],
        commit: 0,
        current_term: 1,
        term: 1,
        prev: (1, 1),
        entries: &[1],
        leader_commit: 0,
        outcome: accepted_at(2),
        log_after: &[1, 1, 1, 1],
        written_from: None,
        commit_after: 0,
    },
    AppendCase {
        name: "an empty append before the end does not truncate the suffix",
        log: &[1, 1, 1],
        commit: 0,
        current_term: 1,
        term: 1,
        prev: (1, 1),
        entries: &[],
        leader_commit: 0,
        outcome: accepted_at(1),
        log_after: &[1, 1, 1],
        written_from: None,
        commit_after: 0,
    },
    AppendCase {
        name: "overlapping entries append only what is new",
        log: &[1, 1],
        commit: 0,
        current_term: 1,
        term: 1,
        prev: (1, 1),
        entries: &[1, 1, 1],
        leader_commit: 0,
        outcome: accepted_at(4),
        log_after: &[1, 1, 1, 1],
        written_from: Some(3),
        commit_after: 0,
    },
    AppendCase {
        name: "an append from a stale term is rejected with the current term",
        log: &[1],
        commit: 0,
        current_term: 3,
        term: 2,
        prev: (1, 1),
        entries: &[2],
        leader_commit: 1,
        outcome: rejected_at(1, 0, None),
        log_after: &[1],
        written_from: None,
        commit_after: 0,
    },
];

#[test]
fn follower_reconciles_its_log_only_at_a_real_conflict() {
    for case in APPEND_CASES {
        let follower_term = case.current_term;
        let disk = durable(follower_term, None, case.commit, case.log);
        let mut follower = node_from(&[1, 2, 3], &disk);
        let entries = entries_from(case.prev.0 + 1, case.entries);
        let message = append(case.term, case.prev, entries, case.leader_commit);
        let ready = deliver(&mut follower, 2, message);
        let name = case.name;
        match only_message(&ready) {
            Message::AppendEntriesResponse(response) => {
                assert_eq!(response.outcome, case.outcome, "{name}: outcome");
                assert_eq!(response.term, follower_term, "{name}: response term");
            }
            other => panic!("{name}: expected a response, got {other:?}"),
        }
        assert_eq!(log_terms(&follower), case.log_after, "{name}: log");
        assert_eq!(ready.log_from, case.written_from, "{name}: log write");
        assert_eq!(follower.commit_index(), case.commit_after, "{name}: commit");
        // What the Ready writes makes the disk equal the log in memory.
        let mut disk = disk.clone();
        ready.persist_into(&mut disk);
        assert_eq!(disk.entries, follower.log().entries(), "{name}: disk after persisting");
    }
}

#[test]
fn follower_acknowledges_only_what_the_append_vouched_for() {
    // The follower holds entries 3 and 4 of term 1 too, but the append only covers up to 2: the
    // leader has not vouched for the rest, so the match index is 2.
    let mut follower = node_from(&[1, 2, 3], &durable(1, None, 0, &[1, 1, 1, 1]));
    let ready = deliver(&mut follower, 2, append(1, (0, 0), entries_from(1, &[1, 1]), 0));
    assert_eq!(append_outcome(&ready), AppendOutcome::Accepted { match_index: 2 });
}

/// The AppendEntries that `from` sent `to` in `sent`, in order.
fn appends_between(sent: &[Sent], from: u64, to: u64) -> Vec<AppendEntries> {
    sent.iter()
        .filter(|sent| sent.envelope.from == from && sent.envelope.to == to)
        .filter_map(|sent| match &sent.envelope.message {
            Message::AppendEntries(append) => Some(append.clone()),
            _ => None,
        })
        .collect()
}

/// Rejections that `from` sent `to` in `sent`, as `(rejected_index, hint)`.
fn rejections_between(sent: &[Sent], from: u64, to: u64) -> Vec<(u64, ConflictHint)> {
    sent.iter()
        .filter(|sent| sent.envelope.from == from && sent.envelope.to == to)
        .filter_map(|sent| match &sent.envelope.message {
            Message::AppendEntriesResponse(response) => match response.outcome {
                AppendOutcome::Rejected { rejected_index, hint } => Some((rejected_index, hint)),
                AppendOutcome::Accepted { .. } => None,
            },
            _ => None,
        })
        .collect()
}

/// Elects node 1 of a cluster whose disks hold logs with the given terms (node 3's log is the
/// leader's, so that it votes for it), and returns what was sent on the way.
fn repair(leader_log: &[Term], follower_log: &[Term]) -> (Cluster, Vec<Sent>) {
    let voters = voters(3);
    let leader_term = *leader_log.last().unwrap();
    let follower_term = *follower_log.last().unwrap();
    let disks = vec![
        durable(leader_term, None, 1, leader_log),
        durable(follower_term, None, 1, follower_log),
        durable(leader_term, None, 1, leader_log),
    ];
    let configs = voters.iter().map(|&id| config(id, &voters)).collect();
    let mut cluster = Cluster::from_disks(configs, disks);
    cluster.elect(1);
    let sent = cluster.take_sent();
    (cluster, sent)
}

#[test]
fn leader_skips_a_whole_conflicting_term_it_does_not_have() {
    // The paper's Figure 7, follower (f): it holds terms 2 and 3 that no leader kept.
    let leader_log = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    let follower_log = [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3];
    let (cluster, sent) = repair(&leader_log, &follower_log);
    let prevs: Vec<(u64, Term)> = appends_between(&sent, 1, 2)
        .iter()
        .map(|append| (append.prev_log_index, append.prev_log_term))
        .collect();
    assert_eq!(prevs, vec![(10, 6), (6, 5), (3, 1)], "one probe per conflicting term");
    let rejections = rejections_between(&sent, 2, 1);
    let hints = [
        (10, ConflictHint { index: 7, conflict_term: Some(3) }),
        (6, ConflictHint { index: 4, conflict_term: Some(2) }),
    ];
    assert_eq!(rejections, hints);
    assert_eq!(cluster.node(2).log(), cluster.node(1).log(), "the follower is repaired");
}

#[test]
fn leader_that_has_the_conflicting_term_resumes_after_its_last_entry_of_that_term() {
    let (cluster, sent) = repair(&[1, 1, 2, 3], &[1, 1, 2, 2, 2]);
    let prevs: Vec<u64> =
        appends_between(&sent, 1, 2).iter().map(|append| append.prev_log_index).collect();
    assert_eq!(prevs, vec![4, 3], "term 2 ends at index 3 in the leader's log");
    assert_eq!(rejections_between(&sent, 2, 1).len(), 1);
    assert_eq!(log_terms(cluster.node(2)), vec![1, 1, 2, 3, 4]);
}

#[test]
fn leader_probes_a_short_follower_from_the_end_of_its_log() {
    let (cluster, sent) = repair(&[1, 1, 1, 1], &[1]);
    let prevs: Vec<u64> =
        appends_between(&sent, 1, 2).iter().map(|append| append.prev_log_index).collect();
    assert_eq!(prevs, vec![4, 1]);
    let hint = ConflictHint { index: 2, conflict_term: None };
    assert_eq!(rejections_between(&sent, 2, 1), vec![(4, hint)]);
    assert_eq!(cluster.node(2).log(), cluster.node(1).log());
}

#[test]
fn leader_ignores_a_rejection_of_a_probe_it_no_longer_waits_for() {
    let mut leader = Node::new(config(1, &[1, 2, 3])).unwrap();
    win_election(&mut leader);
    leader.propose(b"a".into()).unwrap();
    take_ready(&mut leader);
    // The outstanding probe to node 2 has prev index 0; a rejection of prev index 5 is stale.
    let ready = deliver(&mut leader, 2, rejected(1, 5, 1, None));
    assert!(sent(&ready).is_empty(), "no new probe: {:?}", sent(&ready));
}

/// Server 1 of three, leader of term 1, with node 2 acknowledging its no-op (so the leader
/// streams to node 2) and node 3 silent (so the leader still probes node 3).
fn leader_streaming_to_node_2(adjust: impl Fn(&mut Config)) -> Node {
    let mut config = config(1, &[1, 2, 3]);
    adjust(&mut config);
    let mut leader = Node::new(config).unwrap();
    win_election(&mut leader);
    deliver(&mut leader, 2, accepted(1, 1));
    leader
}

/// Asserts that `appends` carry consecutive runs of entries starting right after `prev`.
#[track_caller]
fn assert_contiguous(appends: &[&AppendEntries], mut prev: u64) {
    for append in appends {
        assert_eq!(append.prev_log_index, prev, "batches follow one another");
        for (offset, entry) in append.entries.iter().enumerate() {
            assert_eq!(entry.index, prev + 1 + offset as u64);
        }
        prev += append.entries.len() as u64;
    }
}

#[test]
fn leader_batches_at_most_max_entries_per_message() {
    let mut leader = leader_streaming_to_node_2(|config| config.max_entries_per_message = 2);
    for command in [b"a", b"b", b"c", b"d", b"e"] {
        leader.propose(command.into()).unwrap();
    }
    let ready = take_ready(&mut leader);
    let appends = appends_to(&ready, 2);
    let sizes: Vec<usize> = appends.iter().map(|append| append.entries.len()).collect();
    assert_eq!(sizes, vec![2, 2, 1]);
    assert_contiguous(&appends, 1);
    assert!(appends_to(&ready, 3).is_empty(), "node 3's probe is still outstanding");
}

#[test]
fn leader_batches_at_most_max_bytes_per_message_but_sends_a_large_entry_alone() {
    let max_bytes = 100;
    let mut leader = leader_streaming_to_node_2(|config| config.max_bytes_per_message = max_bytes);
    let commands = [vec![1u8; 30], vec![2; 30], vec![3; 30], vec![4; 500], vec![5; 10]];
    for command in &commands {
        leader.propose(command.clone().into()).unwrap();
    }
    let ready = take_ready(&mut leader);
    let appends = appends_to(&ready, 2);
    assert_contiguous(&appends, 1);
    let sent: usize = appends.iter().map(|append| append.entries.len()).sum();
    assert_eq!(sent, commands.len(), "everything is sent");
    for append in &appends {
        let bytes: usize = append.entries.iter().map(|entry| entry.size_bytes()).sum();
        assert!(
            bytes <= max_bytes || append.entries.len() == 1,
            "{} entries of {bytes} bytes in one message",
            append.entries.len()
        );
    }
    let large = appends.iter().find(|append| append.entries[0].index == 5).unwrap();
    assert_eq!(large.entries.len(), 1, "the 500-byte entry travels alone");
    assert!(appends.len() >= 4, "{} messages", appends.len());
}

#[test]
fn leader_keeps_at_most_max_inflight_messages_unacknowledged_per_follower() {
    let mut leader = leader_streaming_to_node_2(|config| {
        config.max_inflight_messages = 2;
        config.max_entries_per_message = 1;
    });
    for command in [b"a", b"b", b"c", b"d", b"e"] {
        leader.propose(command.into()).unwrap();
    }
    let ready = take_ready(&mut leader);
    let first: Vec<u64> =
        appends_to(&ready, 2).iter().map(|append| append.entries[0].index).collect();
    assert_eq!(first, vec![2, 3], "the window holds two");
    let ready = deliver(&mut leader, 2, accepted(1, 2));
    let next: Vec<u64> =
        appends_to(&ready, 2).iter().map(|append| append.entries[0].index).collect();
    assert_eq!(next, vec![4], "one acknowledgement frees one slot");
    let ready = deliver(&mut leader, 2, accepted(1, 4));
    let next: Vec<u64> =
        appends_to(&ready, 2).iter().map(|append| append.entries[0].index).collect();
    assert_eq!(next, vec![5, 6], "a cumulative acknowledgement frees both");
}

#[test]
fn leader_sends_one_probe_at_a_time_until_the_follower_answers() {
    let mut leader = Node::new(config(1, &[1, 2, 3])).unwrap();
    let ready = win_election(&mut leader);
    assert_eq!(append_to(&ready, 3).entries, vec![noop(1, 1)]);
    leader.propose(b"a".into()).unwrap();
    assert!(appends_to(&take_ready(&mut leader), 3).is_empty(), "the probe is outstanding");
    // A heartbeat interval later the probe is sent again, now with everything after it.
    for _ in 0..leader.config().heartbeat_interval_ticks {
        leader.tick();
    }
    let ready = take_ready(&mut leader);
    let retry = append_to(&ready, 3);
    assert_eq!((retry.prev_log_index, retry.entries.len()), (0, 2));
}

#[test]
fn proposals_on_a_follower_or_candidate_return_not_leader_with_a_leader_hint() {
    let mut cluster = Cluster::new(3);
    cluster.elect(1);
    assert_eq!(cluster.propose(2, b"x"), Err(ProposeError::NotLeader { leader_hint: Some(1) }));
    assert_eq!(cluster.propose(1, b"x"), Ok((2, 1)));
    let mut fresh = Node::new(config(1, &[1, 2, 3])).unwrap();
    assert_eq!(fresh.propose(b"x".into()), Err(ProposeError::NotLeader { leader_hint: None }));
    tick_until_campaign(&mut fresh);
    assert_eq!(fresh.role(), RoleKind::Candidate);
    assert_eq!(fresh.propose(b"x".into()), Err(ProposeError::NotLeader { leader_hint: None }));
    assert_eq!(fresh.log().last_index(), 0, "a refused proposal is not appended");
}

#[test]
fn leader_refuses_proposals_past_max_uncommitted_entries_until_some_commit() {
    let mut config = config(1, &[1, 2, 3]);
    config.max_uncommitted_entries = 3;
    let mut leader = Node::new(config).unwrap();
    win_election(&mut leader);
    // The no-op is the first uncommitted entry.
    assert_eq!(leader.propose(b"a".into()), Ok((2, 1)));
    assert_eq!(leader.propose(b"b".into()), Ok((3, 1)));
    assert_eq!(leader.propose(b"c".into()), Err(ProposeError::Overloaded));
    assert_eq!(leader.log().last_index(), 3, "a refused proposal is not appended");
    deliver(&mut leader, 2, accepted(1, 2));
    assert_eq!(leader.commit_index(), 2);
    assert_eq!(leader.propose(b"c".into()), Ok((4, 1)));
    assert_eq!(leader.propose(b"d".into()), Ok((5, 1)));
    assert_eq!(leader.propose(b"e".into()), Err(ProposeError::Overloaded));
}

/// A three-server cluster with node 1 leading and every follower caught up and streaming.
fn steady_cluster() -> Cluster {
    let mut cluster = Cluster::new(3);
    cluster.elect(1);
    heartbeat(&mut cluster);
    cluster
}

/// One heartbeat interval of the leader's clock, then every delivery it causes.
fn heartbeat(cluster: &mut Cluster) {
    let leader = cluster.leader().expect("a leader");
    let interval = cluster.node(leader).config().heartbeat_interval_ticks;
    cluster.tick_times(leader, interval);
    cluster.deliver_all();
}

#[test]
fn lost_append_is_retransmitted_once_the_leader_detects_the_stall() {
    let mut cluster = steady_cluster();
    cluster.propose(1, b"lost on the way to node 2").unwrap();
    assert_eq!(cluster.drop_where(|envelope| envelope.to == 2), 1);
    cluster.deliver_all();
    assert_eq!(cluster.node(1).commit_index(), 2, "committed with node 3");
    assert_eq!(cluster.node(2).log().last_index(), 1);
    heartbeat(&mut cluster);
    assert_eq!(cluster.node(2).log().last_index(), 1, "one silent heartbeat is not a stall");
    heartbeat(&mut cluster);
    assert_eq!(cluster.node(2).log().last_index(), 2, "two are: the entry is sent again");
    heartbeat(&mut cluster);
    cluster.assert_converged();
}

#[test]
fn lost_probe_is_retransmitted_every_heartbeat() {
    let mut cluster = Cluster::new(3);
    cluster.tick_until_campaign(1);
    cluster.deliver_round(); // the vote requests
    cluster.deliver_round(); // the votes
    assert_eq!(cluster.node(1).role(), RoleKind::Leader);
    cluster.take_sent();
    for attempt in 0..3 {
        assert_eq!(cluster.drop_where(|envelope| envelope.to == 3), 1, "attempt {attempt}");
        cluster.deliver_all();
        let interval = cluster.node(1).config().heartbeat_interval_ticks;
        cluster.tick_times(1, interval);
        let probes = appends_between(&cluster.take_sent(), 1, 3);
        assert_eq!(probes.len(), 1, "attempt {attempt}: one probe per heartbeat");
        assert_eq!((probes[0].prev_log_index, probes[0].entries.len()), (0, 1));
    }
    assert_eq!(cluster.node(3).log().last_index(), 0);
    cluster.deliver_all();
    heartbeat(&mut cluster);
    cluster.assert_converged();
}

#[test]
fn a_follower_holds_an_append_ahead_of_its_log_and_acknowledges_both_once_the_gap_fills() {
    let mut follower = node_from(&[1, 2, 3], &durable(1, None, 0, &[1]));
    // Entry 3 arrives before entry 2: rejected (a leader's probe may have gone too far), held.
    let ready = deliver(&mut follower, 2, append(1, (2, 1), entries_from(3, &[1]), 0));
    let hint = ConflictHint { index: 2, conflict_term: None };
    assert_eq!(append_outcome(&ready), AppendOutcome::Rejected { rejected_index: 2, hint });
    assert_eq!(follower.log().last_index(), 1);
    // Entry 2 fills the gap: the held append follows, and one answer acknowledges both.
    let ready = deliver(&mut follower, 2, append(1, (1, 1), entries_from(2, &[1]), 0));
    assert_eq!(append_outcome(&ready), AppendOutcome::Accepted { match_index: 3 });
    assert_eq!(log_terms(&follower), vec![1, 1, 1]);
    assert_eq!(ready.log_from, Some(2), "both entries are written");
}

#[test]
fn a_held_append_of_an_older_term_is_let_go() {
    let mut follower = node_from(&[1, 2, 3], &durable(1, None, 0, &[1]));
    deliver(&mut follower, 2, append(1, (2, 1), entries_from(3, &[1]), 0));
    // A new leader of term 2 fills the gap with an entry of its own: the held entry 3 of
    // term 1 came from the deposed leader, and is not taken.
    let ready = deliver(&mut follower, 3, append(2, (1, 1), entries_from(2, &[2]), 0));
    assert_eq!(append_outcome(&ready), AppendOutcome::Accepted { match_index: 2 });
    assert_eq!(log_terms(&follower), vec![1, 2]);
}

#[test]
fn reordered_appends_reach_the_follower_once_without_waiting_for_a_stall() {
    let mut cluster = Cluster::with_configs(3, |config| config.max_entries_per_message = 1);
    cluster.elect(1);
    heartbeat(&mut cluster);
    cluster.take_sent();
    for command in [b"a", b"b", b"c"] {
        cluster.propose(1, command).unwrap();
    }
    // Deliver node 2's appends newest first.
    let mut to_node_2: Vec<_> = cluster.queue.iter().filter(|e| e.to == 2).cloned().collect();
    cluster.drop_where(|envelope| envelope.to == 2);
    to_node_2.reverse();
    for envelope in to_node_2 {
        cluster.deliver_envelope(envelope);
    }
    cluster.deliver_all();
    assert_eq!(cluster.node(2).log(), cluster.node(1).log(), "no heartbeat was needed");
    for _ in 0..4 {
        heartbeat(&mut cluster);
    }
    let entries: usize =
        appends_between(&cluster.take_sent(), 1, 2).iter().map(|a| a.entries.len()).sum();
    assert_eq!(entries, 3, "each entry was sent to node 2 once");
    cluster.assert_converged();
    cluster.assert_applied_agree();
}

#[test]
fn a_streaming_leader_ignores_a_gap_rejection_older_than_an_acknowledgement() {
    let mut leader = leader_streaming_to_node_2(|_| {});
    for command in [b"a", b"b", b"c"] {
        leader.propose(command.as_slice().into()).unwrap();
    }
    take_ready(&mut leader);
    deliver(&mut leader, 2, accepted(1, 3));
    // Node 2 rejected entry 4 when its log ended at 2; that answer arrives after its later
    // acknowledgement of 3: nothing to resend, entry 4 is still on its way.
    let ready = deliver(&mut leader, 2, rejected(1, 3, 3, None));
    assert!(messages_to(&ready, 2).is_empty(), "resent: {:?}", messages_to(&ready, 2));
}

#[test]
fn a_follower_whose_disk_lost_acknowledged_entries_is_probed_from_where_its_log_ends() {
    let mut leader = leader_streaming_to_node_2(|_| {});
    for command in [b"a", b"b", b"c"] {
        leader.propose(command.as_slice().into()).unwrap();
    }
    take_ready(&mut leader);
    deliver(&mut leader, 2, accepted(1, 4));
    // Node 2 restarts with its log cut at 2 (records 3 and 4 rotted); entry 5 reaches it ahead
    // of its log, and its refusal looks like one the network reordered.
    leader.propose(b"d".into()).unwrap();
    take_ready(&mut leader);
    let ready = deliver(&mut leader, 2, rejected(1, 4, 3, None));
    assert!(messages_to(&ready, 2).is_empty(), "entry 5 may still be on its way");
    // Two silent heartbeats make a stall: the leader probes after the entries it thinks node 2
    // holds, and node 2 refuses that too.
    for _ in 0..2 * leader.config().heartbeat_interval_ticks {
        leader.tick();
    }
    let ready = take_ready(&mut leader);
    let probe = *appends_to(&ready, 2).last().expect("a heartbeat, then the probe");
    assert_eq!((probe.prev_log_index, probe.entries.len()), (4, 1), "a probe at the match point");
    let ready = deliver(&mut leader, 2, rejected(1, 4, 3, None));
    let resend = append_to(&ready, 2);
    assert_eq!(resend.prev_log_index, 2, "not the same probe again, refused again at once");
    assert_contiguous(&[resend], 2);
    assert_eq!(resend.entries.last().map(|entry| entry.index), Some(5));
    // Node 2 holds them again: entry 5 is on a majority, and committed.
    let committed = deliver(&mut leader, 2, accepted(1, 5)).committed;
    assert_eq!(committed.iter().map(|entry| entry.index).collect::<Vec<_>>(), vec![5]);
}

#[test]
fn replication_converges_after_losing_every_third_message() {
    let mut cluster = Cluster::with_configs(3, |config| config.max_entries_per_message = 2);
    cluster.elect(1);
    let mut sent = 0u64;
    for round in 0..30 {
        if round % 3 == 0 {
            cluster.propose(1, format!("command {round}").as_bytes()).unwrap();
        }
        cluster.tick(1);
        while let Some(envelope) = cluster.queue.pop_front() {
            sent += 1;
            if !sent.is_multiple_of(3) {
                cluster.deliver_envelope(envelope);
            }
        }
    }
    for _ in 0..6 {
        heartbeat(&mut cluster);
    }
    assert_eq!(cluster.leader(), Some(1));
    assert_eq!(cluster.node(1).log().last_index(), 11, "the no-op and ten commands");
    cluster.assert_converged();
    cluster.assert_applied_agree();
}
