//! Membership changes (§6 of the Raft paper, thesis chapter 4): a configuration takes effect
//! as soon as its entry is in a server's log; learners catch up without counting; one voter at
//! a time is a plain change, anything larger goes through a joint configuration whose
//! decisions need majorities of both voter sets; a leader changes the configuration only once
//! an entry of its term is committed and no other change is under way; a removed leader leads
//! until its removal commits.

mod common;

use common::*;
use raftsim_raft::{
    Change, ChangeError, Config, DurableState, HardState, Membership, Message, Node, NodeId,
    RoleKind, Snapshot, TransferError,
};

/// Whether `ready` carries a granted vote.
fn granted(ready: &raftsim_raft::Ready) -> bool {
    matches!(only_message(ready), Message::RequestVoteResponse(response) if response.granted)
}

/// The servers `ready` asks for votes, ascending.
fn asked_for_votes(ready: &raftsim_raft::Ready) -> Vec<NodeId> {
    let mut asked: Vec<NodeId> = ready
        .all_messages()
        .filter(|envelope| matches!(envelope.message, Message::RequestVote(_)))
        .map(|envelope| envelope.to)
        .collect();
    asked.sort_unstable();
    asked
}

/// Ticks the leader `id` through `count` heartbeat intervals, delivering everything after
/// each tick: lost appends are retried, and the commit index travels.
fn heartbeats(cluster: &mut Cluster, id: NodeId, count: u32) {
    let interval = cluster.node(id).config().heartbeat_interval_ticks;
    for _ in 0..count * interval {
        cluster.tick(id);
        cluster.deliver_all();
    }
}

/// Three voters led by node 1, with a committed no-op, and `joining_count` servers waiting to
/// join.
fn cluster_led_by_1(joining_count: u64) -> Cluster {
    let mut cluster = Cluster::with_joining(3, joining_count);
    cluster.elect(1);
    cluster.deliver_all();
    assert_eq!(cluster.node(1).commit_index(), 1, "the no-op is committed");
    cluster
}

/// A server restarted from a log of `entries` (with `commit`), in term `term`.
fn restarted_with(
    config: Config,
    term: u64,
    commit: u64,
    entries: Vec<raftsim_raft::Entry>,
) -> Node {
    let disk = DurableState {
        hard_state: HardState { term, vote: None, commit },
        snapshot: None,
        entries,
        damage: None,
    };
    restarted(config, &disk)
}

// --- Learners -------------------------------------------------------------------------------

#[test]
fn a_learner_is_added_catches_up_and_is_then_promoted_to_voter() {
    let mut cluster = cluster_led_by_1(1);
    for k in 0..3u8 {
        cluster.propose(1, &[k]).unwrap();
    }
    cluster.deliver_all();
    assert_eq!(cluster.node(4).log().last_index(), 0, "not a member: nothing is sent to it");

    let index = cluster.propose_change(1, &[Change::AddLearner(4)], false).unwrap();
    assert_eq!(index, 5);
    assert_eq!(cluster.node(1).membership(), &membership_of(&[1, 2, 3], &[4]));
    cluster.deliver_all();
    heartbeats(&mut cluster, 1, 1);
    for id in 1..=4 {
        let node = cluster.node(id);
        assert_eq!(node.membership(), &membership_of(&[1, 2, 3], &[4]), "node {id}");
        assert_eq!(node.commit_index(), 5, "node {id}: the change is committed");
    }
    assert_eq!(cluster.applied[3].len(), 5, "the learner applied the whole log");

    let index = cluster.propose_change(1, &[Change::AddVoter(4)], false).unwrap();
    let promoted = cluster.node(1).membership().clone();
    assert_eq!(promoted, membership_of(&[1, 2, 3, 4], &[]));
    assert!(!promoted.is_joint(), "one voter added: a plain change");
    cluster.deliver_all();
    heartbeats(&mut cluster, 1, 1);
    cluster.assert_converged();
    for id in 1..=4 {
        assert_eq!(cluster.node(id).membership(), &promoted, "node {id}");
        assert_eq!(cluster.node(id).commit_index(), index, "node {id}");
    }
}

#[test]
fn a_learner_catches_up_but_its_acknowledgements_do_not_count() {
    let mut cluster = cluster_led_by_1(1);
    cluster.propose_change(1, &[Change::AddLearner(4)], false).unwrap();
    cluster.deliver_all();
    heartbeats(&mut cluster, 1, 1);
    let commit = cluster.node(1).commit_index();
    assert_eq!(commit, 2, "the learner is added");

    // Only the learner hears the leader: with it, two of four servers hold the entry.
    cluster.cut(1, 2);
    cluster.cut(1, 3);
    let (index, _) = cluster.propose(1, b"x").unwrap();
    cluster.deliver_all();
    assert_eq!(cluster.node(4).log().last_index(), index, "the learner holds it");
    assert_eq!(cluster.node(1).commit_index(), commit, "but is no voter");

    cluster.heal();
    heartbeats(&mut cluster, 1, 4);
    assert_eq!(cluster.node(1).commit_index(), index, "the voters commit it");
    cluster.assert_converged();
}

// --- Joint consensus ------------------------------------------------------------------------

/// Node 1 proposes replacing node 3 by node 4 while only `first` hears it, then while only
/// `second` does; returns the cluster with node 2 still cut off. The joint entry must not
/// commit with `first` alone, and must with both.
fn replace_3_by_4_heard_by(first: NodeId, second: NodeId) -> Cluster {
    let mut cluster = cluster_led_by_1(1);
    let only = |cluster: &mut Cluster, hears: NodeId| {
        cluster.heal();
        for other in [2, 3, 4] {
            if other != hears {
                cluster.cut(1, other);
            }
        }
    };
    only(&mut cluster, first);
    let index = cluster.propose_change(1, &[Change::AddVoter(4), Change::Remove(3)], false);
    assert_eq!(index, Ok(2));
    assert_eq!(cluster.node(1).membership(), &joint_of(&[1, 2, 4], &[1, 2, 3]));
    heartbeats(&mut cluster, 1, 4);
    assert_eq!(cluster.node(first).log().last_index(), 2, "node {first} holds the joint entry");
    assert_eq!(cluster.node(first).membership(), &joint_of(&[1, 2, 4], &[1, 2, 3]));
    assert_eq!(cluster.node(1).commit_index(), 1, "{{1, {first}}} is not a quorum");
    assert_eq!(cluster.node(1).log().last_index(), 2, "still joint");

    only(&mut cluster, second);
    heartbeats(&mut cluster, 1, 4);
    assert!(cluster.node(1).commit_index() >= 2, "{{1, 3, 4}}: majorities of both");
    cluster
}

#[test]
fn a_replace_goes_joint_and_commits_only_with_majorities_of_both_voter_sets() {
    // Node 4 alone: a majority of the incoming voters {1, 2, 4}, not of the outgoing {1, 2, 3}.
    let mut cluster = replace_3_by_4_heard_by(4, 3);
    // The joint entry committed, the leader appended the leave-joint entry by itself; {1, 3}
    // is no majority of {1, 2, 4}, so it waits for node 2.
    assert_eq!(cluster.node(1).log().last_index(), 3, "the leave-joint entry");
    assert_eq!(cluster.node(1).membership(), &membership_of(&[1, 2, 4], &[]));
    assert_eq!(cluster.node(1).commit_index(), 2);
    cluster.heal();
    heartbeats(&mut cluster, 1, 4);
    assert_eq!(cluster.node(1).commit_index(), 3);

    // Node 3 alone: a majority of the outgoing voters, not of the incoming.
    let cluster = replace_3_by_4_heard_by(3, 4);
    assert_eq!(cluster.node(1).commit_index(), 3, "{{1, 4}} commits the leave-joint entry");
}

#[test]
fn the_leader_leaves_a_committed_joint_configuration_by_itself() {
    let mut cluster = replace_3_by_4_heard_by(4, 3);
    cluster.heal();
    heartbeats(&mut cluster, 1, 4);
    let leader = cluster.node(1);
    assert_eq!(leader.role(), RoleKind::Leader, "node 1 stays a voter");
    let entry = leader.log().entry(3).expect("the leave-joint entry").clone();
    assert_eq!(entry, config_entry(3, leader.term(), membership_of(&[1, 2, 4], &[])));
    for id in [1, 2, 4] {
        assert_eq!(cluster.node(id).membership(), &membership_of(&[1, 2, 4], &[]), "node {id}");
        assert_eq!(cluster.node(id).commit_index(), 3, "node {id}");
    }
    // The removed server is sent nothing after its removal: it keeps the joint configuration.
    assert_eq!(cluster.node(3).log().last_index(), 2);
    assert_eq!(
        cluster.propose_change(1, &[Change::AddLearner(3)], false),
        Ok(4),
        "the next change is taken once the leave-joint entry is committed"
    );
}

#[test]
fn a_joint_configuration_refuses_changes_until_it_is_left() {
    let mut cluster = cluster_led_by_1(2);
    let index = cluster.propose_change(1, &[Change::AddVoter(4)], true).unwrap();
    assert_eq!(cluster.node(1).membership(), &joint_of(&[1, 2, 3, 4], &[1, 2, 3]));
    let again = cluster.propose_change(1, &[Change::AddLearner(5)], false);
    assert_eq!(again, Err(ChangeError::Pending), "joint and uncommitted");
    // The joint entry commits; the leave-joint entry is appended but not yet committed.
    cluster.deliver_where(|envelope| envelope.from == 1);
    cluster.deliver_where(|envelope| envelope.to == 1);
    assert_eq!(cluster.node(1).commit_index(), index);
    assert_eq!(cluster.node(1).log().last_index(), index + 1);
    assert!(!cluster.node(1).membership().is_joint(), "left in the leader's log");
    let again = cluster.propose_change(1, &[Change::AddLearner(5)], false);
    assert_eq!(again, Err(ChangeError::Pending), "the leave-joint entry is uncommitted");
    cluster.deliver_all();
    assert_eq!(cluster.propose_change(1, &[Change::AddLearner(5)], false), Ok(index + 2));
}

#[test]
fn an_election_while_joint_needs_majorities_of_both_voter_sets() {
    // Node 1's log holds the joint configuration replacing 3 by 4.
    let joint = joint_of(&[1, 2, 4], &[1, 2, 3]);
    let entries = vec![noop(1, 1), config_entry(2, 1, joint)];
    let campaign = |grants: &[NodeId]| {
        let mut candidate = restarted_with(config(1, &voters(3)), 1, 1, entries.clone());
        let ready = tick_until_campaign(&mut candidate);
        assert_eq!(asked_for_votes(&ready), [2, 3, 4], "every voter, outgoing or incoming");
        let term = candidate.term();
        for &voter in grants {
            deliver(&mut candidate, voter, vote_response(term, true));
        }
        candidate.role()
    };
    assert_eq!(campaign(&[4]), RoleKind::Candidate, "{{1, 4}}: no outgoing majority");
    assert_eq!(campaign(&[3]), RoleKind::Candidate, "{{1, 3}}: no incoming majority");
    assert_eq!(campaign(&[3, 4]), RoleKind::Leader, "{{1, 3, 4}}: both");
    assert_eq!(campaign(&[2]), RoleKind::Leader, "{{1, 2}}: both");
}

// --- Removing the leader --------------------------------------------------------------------

#[test]
fn a_leader_that_removes_itself_leads_until_the_change_commits_then_steps_down() {
    let mut cluster = cluster_led_by_1(0);
    let index = cluster.propose_change(1, &[Change::Remove(1)], false).unwrap();
    assert_eq!(cluster.node(1).membership(), &membership_of(&[2, 3], &[]));
    assert_eq!(cluster.node(1).role(), RoleKind::Leader, "it leads the change through");
    // Node 2 holds it: one of the two new voters (the leader no longer counts).
    cluster.deliver_where(|envelope| envelope.to == 2);
    cluster.deliver_where(|envelope| envelope.from == 2);
    assert_eq!(cluster.node(1).commit_index(), index - 1);
    assert_eq!(cluster.node(1).role(), RoleKind::Leader);
    assert!(cluster.propose(1, b"still leading").is_ok());
    cluster.deliver_all();
    let leader = cluster.node(1);
    assert!(leader.commit_index() >= index, "both new voters hold the change");
    assert_eq!(leader.role(), RoleKind::Follower, "removed: it steps down");
    let refused = cluster.propose_change(1, &[Change::AddVoter(1)], false);
    assert_eq!(refused, Err(ChangeError::NotLeader { leader_hint: None }));

    // It never campaigns again; the remaining voters elect a leader among themselves.
    let term = cluster.node(1).term();
    cluster.tick_times(1, 100);
    assert_eq!((cluster.node(1).term(), cluster.node(1).role()), (term, RoleKind::Follower));
    assert!(cluster.queue.is_empty(), "node 1 said nothing");
    cluster.elect(2);
    heartbeats(&mut cluster, 2, 1);
    assert_eq!(cluster.node(2).commit_index(), cluster.node(2).log().last_index());
    assert_eq!(cluster.node(2).membership(), &membership_of(&[2, 3], &[]));
}

#[test]
fn a_leader_replaced_through_a_joint_configuration_steps_down_once_it_is_left() {
    let mut cluster = cluster_led_by_1(1);
    let index = cluster.propose_change(1, &[Change::AddVoter(4), Change::Remove(1)], false);
    assert_eq!(index, Ok(2));
    assert_eq!(cluster.node(1).membership(), &joint_of(&[2, 3, 4], &[1, 2, 3]));
    // One round: nodes 2 and 3 hold the joint entry, majorities of both voter sets.
    cluster.deliver_where(|envelope| envelope.from == 1);
    cluster.deliver_where(|envelope| envelope.to == 1);
    let leader = cluster.node(1);
    assert_eq!(leader.commit_index(), 2);
    assert_eq!(leader.role(), RoleKind::Leader, "an outgoing voter leads while joint");
    assert_eq!(leader.membership(), &membership_of(&[2, 3, 4], &[]), "leaving it");
    // The leave-joint entry commits without the leader: it steps down.
    cluster.deliver_all();
    assert_eq!(cluster.node(1).commit_index(), 3);
    assert_eq!(cluster.node(1).role(), RoleKind::Follower);
    cluster.elect(2);
    heartbeats(&mut cluster, 2, 2);
    for id in [2, 3, 4] {
        assert_eq!(cluster.node(id).membership(), &membership_of(&[2, 3, 4], &[]), "node {id}");
        assert_eq!(cluster.node(id).commit_index(), 4, "node {id}: node 2's no-op too");
    }
}

#[test]
fn a_new_leader_leaves_a_committed_joint_configuration_its_predecessor_did_not() {
    // The previous leader committed the joint entry (2) and crashed before leaving it.
    let entries = vec![noop(1, 1), config_entry(2, 1, joint_of(&[1, 2, 4], &[1, 2, 3]))];
    let mut leader = restarted_with(config(1, &voters(3)), 1, 2, entries);
    win_election(&mut leader);
    let term = leader.term();
    assert_eq!(leader.log().last_index(), 3, "its no-op");
    deliver(&mut leader, 2, accepted(term, 3));
    assert_eq!(leader.commit_index(), 3, "{{1, 2}}: majorities of both");
    let leave = leader.log().entry(4).cloned();
    assert_eq!(leave, Some(config_entry(4, term, membership_of(&[1, 2, 4], &[]))));
}

// --- When a change is refused ---------------------------------------------------------------

#[test]
fn a_change_is_refused_until_the_leaders_noop_commits() {
    // Entry 1 is an earlier leader's; the new leader's no-op is entry 2.
    let mut leader = restarted(config(1, &voters(3)), &durable(1, None, 1, &[1]));
    win_election(&mut leader);
    let refused = leader.propose_change(&[Change::AddLearner(4)], false);
    assert_eq!(refused, Err(ChangeError::Pending));
    assert_eq!(leader.log().last_index(), 2, "nothing appended");
    let term = leader.term();
    deliver(&mut leader, 2, accepted(term, 2));
    assert_eq!(leader.commit_index(), 2, "the no-op is committed");
    assert_eq!(leader.propose_change(&[Change::AddLearner(4)], false), Ok(3));
}

#[test]
fn a_change_is_refused_while_another_is_uncommitted() {
    let mut cluster = cluster_led_by_1(2);
    let index = cluster.propose_change(1, &[Change::AddLearner(4)], false).unwrap();
    let refused = cluster.propose_change(1, &[Change::AddLearner(5)], false);
    assert_eq!(refused, Err(ChangeError::Pending));
    assert_eq!(cluster.node(1).log().last_index(), index, "nothing appended");
    cluster.deliver_all();
    assert_eq!(cluster.node(1).commit_index(), index);
    assert_eq!(cluster.propose_change(1, &[Change::AddLearner(5)], false), Ok(index + 1));
}

#[test]
fn followers_refuse_changes_and_name_the_leader() {
    let mut cluster = cluster_led_by_1(0);
    let refused = cluster.propose_change(2, &[Change::AddLearner(4)], false);
    assert_eq!(refused, Err(ChangeError::NotLeader { leader_hint: Some(1) }));
    let mut alone = Node::new(config(1, &voters(3))).unwrap();
    let refused = alone.propose_change(&[Change::AddLearner(4)], false);
    assert_eq!(refused, Err(ChangeError::NotLeader { leader_hint: None }));
}

#[test]
fn a_leader_handing_over_refuses_changes() {
    let mut cluster = cluster_led_by_1(0);
    cluster.isolate(2); // So that the transfer cannot finish at once.
    assert_eq!(cluster.transfer(1, 2), Ok(()));
    let refused = cluster.propose_change(1, &[Change::AddLearner(4)], false);
    assert_eq!(refused, Err(ChangeError::Transferring));
    assert_eq!(cluster.transfer(1, 4), Err(TransferError::BadTarget { target: 4 }));
}

#[test]
fn invalid_changes_are_refused_and_change_nothing() {
    let mut cluster = cluster_led_by_1(0);
    cluster.propose_change(1, &[Change::AddLearner(4)], false).unwrap();
    cluster.deliver_all();
    let last = cluster.node(1).log().last_index();
    for changes in [
        vec![Change::AddVoter(2)],
        vec![Change::AddLearner(2)],
        vec![Change::AddLearner(4)],
        vec![Change::Remove(7)],
        vec![Change::Remove(1), Change::Remove(2), Change::Remove(3)],
        vec![Change::AddLearner(0)],
        vec![Change::AddVoter(64)],
    ] {
        let refused = cluster.propose_change(1, &changes, false);
        assert!(matches!(refused, Err(ChangeError::Invalid(_))), "{changes:?}: {refused:?}");
    }
    assert_eq!(cluster.node(1).log().last_index(), last, "nothing appended");
    assert_eq!(cluster.node(1).membership(), &membership_of(&[1, 2, 3], &[4]));
}

// --- A configuration follows the log --------------------------------------------------------

#[test]
fn a_follower_whose_log_loses_a_config_entry_reverts_to_the_previous_configuration() {
    let mut follower = Node::new(config(1, &voters(3))).unwrap();
    let grown = membership_of(&[1, 2, 3, 4], &[]);
    let entries = vec![noop(1, 1), config_entry(2, 1, grown.clone())];
    deliver(&mut follower, 2, append(1, (0, 0), entries, 1));
    assert_eq!(follower.membership(), &grown, "in effect once in the log, uncommitted");
    // The leader of term 2 never had entry 2: it is truncated, and the configuration with it.
    let ready = deliver(&mut follower, 3, append(2, (1, 1), vec![noop(2, 2)], 1));
    assert_eq!(log_terms(&follower), [1, 2]);
    assert_eq!(ready.log_from, Some(2));
    assert_eq!(follower.membership(), &Membership::of_voters(&[1, 2, 3]));
    // An older configuration entry survives a truncation after it.
    let shrunk = membership_of(&[1, 2], &[]);
    let entries = vec![config_entry(3, 2, shrunk.clone()), command(4, 2, b"x")];
    deliver(&mut follower, 3, append(2, (2, 2), entries, 2));
    deliver(&mut follower, 2, append(3, (3, 2), vec![noop(4, 3)], 3));
    assert_eq!(log_terms(&follower), [1, 2, 2, 3]);
    assert_eq!(follower.membership(), &shrunk);
}

#[test]
fn a_restarted_server_uses_the_configuration_in_its_durable_log() {
    // Its first configuration was {1, 2, 3}; the log replaced 3 by 4 since, and added learner 5.
    let latest = membership_of(&[1, 2, 4], &[5]);
    let entries = vec![
        noop(1, 1),
        config_entry(2, 1, joint_of(&[1, 2, 4], &[1, 2, 3])),
        config_entry(3, 1, membership_of(&[1, 2, 4], &[])),
        config_entry(4, 1, latest.clone()),
    ];
    let mut node = restarted_with(config(1, &voters(3)), 1, 4, entries);
    assert_eq!(node.membership(), &latest);
    let ready = tick_until_campaign(&mut node);
    assert_eq!(asked_for_votes(&ready), [2, 4], "the voters of its log's configuration");

    // From a snapshot: the configuration the snapshot carries.
    let snapshot = Snapshot { index: 4, term: 1, data: b"image".to_vec(), membership: latest };
    let disk = DurableState {
        hard_state: HardState { term: 1, vote: None, commit: 4 },
        snapshot: Some(snapshot.clone()),
        entries: vec![command(5, 1, b"x")],
        damage: None,
    };
    let node = Node::restart(config(1, &voters(3)), &disk, 4).unwrap();
    assert_eq!(node.membership(), &snapshot.membership);
}

// --- Joining ---------------------------------------------------------------------------------

#[test]
fn a_joining_server_votes_at_once_and_campaigns_once_a_voter() {
    let timeout = 10;
    let mut joining = Node::new(config_with_timeout(4, &[], timeout)).unwrap();
    assert_eq!(joining.membership(), &Membership::default(), "no configuration yet");
    let idle = |node: &mut Node| {
        let term = node.term();
        for _ in 0..3 * timeout {
            node.tick();
            let ready = take_ready(node);
            assert!(sent(&ready).is_empty(), "node 4 said {ready:?}");
        }
        node.term() == term && node.role() == RoleKind::Follower
    };
    assert!(idle(&mut joining), "no campaign without a configuration");
    assert!(
        granted(&deliver(&mut joining, 1, request_vote(1, 0, 0))),
        "but it votes: only the candidate decides whose votes count"
    );

    // It learns it is a learner.
    let learner = membership_of(&[1, 2, 3], &[4]);
    let entries = vec![noop(1, 1), config_entry(2, 1, learner.clone())];
    deliver(&mut joining, 1, append(1, (0, 0), entries, 2));
    assert_eq!(joining.membership(), &learner);
    assert!(idle(&mut joining), "a learner does not campaign");
    assert!(
        granted(&deliver(&mut joining, 2, request_vote(2, 2, 1))),
        "a learner answers votes too"
    );

    // It is promoted: now it votes, and campaigns when the leader falls silent.
    let voter = membership_of(&[1, 2, 3, 4], &[]);
    deliver(&mut joining, 1, append(2, (2, 1), vec![config_entry(3, 2, voter.clone())], 3));
    assert_eq!(joining.membership(), &voter);
    assert!(granted(&deliver(&mut joining, 3, request_vote(3, 3, 2))), "a voter votes too");
    let ready = tick_until_campaign(&mut joining);
    assert_eq!(asked_for_votes(&ready), [1, 2, 3]);
}

#[test]
fn a_joining_server_in_a_cluster_waits_for_the_leader() {
    let mut cluster = cluster_led_by_1(1);
    cluster.tick_times(4, 100);
    assert_eq!(cluster.node(4).term(), 0, "node 4 never campaigned");
    assert!(cluster.queue.is_empty(), "nor said anything");
    cluster.propose_change(1, &[Change::AddVoter(4)], false).unwrap();
    cluster.deliver_all();
    heartbeats(&mut cluster, 1, 1);
    cluster.assert_converged();
    assert_eq!(cluster.node(4).membership(), &Membership::of_voters(&[1, 2, 3, 4]));
}

// --- Snapshots --------------------------------------------------------------------------------

#[test]
fn a_snapshot_installed_on_a_follower_carries_the_membership_and_the_follower_adopts_it() {
    let mut cluster = cluster_led_by_1(1);
    // Node 4 is added as a learner while it hears nothing, and the log is compacted past it.
    cluster.isolate(4);
    cluster.propose_change(1, &[Change::AddLearner(4)], false).unwrap();
    cluster.deliver_all();
    for k in 0..3u8 {
        cluster.propose(1, &[k]).unwrap();
        cluster.deliver_all();
    }
    let commit = cluster.node(1).commit_index();
    assert_eq!(commit, 5);
    cluster.compact(1, commit, 32);
    let with_learner = membership_of(&[1, 2, 3], &[4]);
    assert_eq!(
        cluster.node(1).snapshot().map(|snapshot| &snapshot.membership),
        Some(&with_learner)
    );

    cluster.heal();
    heartbeats(&mut cluster, 1, 8);
    let learner = cluster.node(4);
    assert_eq!(learner.log().snapshot_index(), commit, "installed the snapshot");
    assert_eq!(learner.membership(), &with_learner, "and the configuration it carries");
    let disk = &cluster.disks[3];
    let durable = disk.snapshot.as_ref().map(|snapshot| &snapshot.membership);
    assert_eq!(durable, Some(&with_learner), "durable with the snapshot");
    cluster.restart(4, commit);
    assert_eq!(cluster.node(4).membership(), &with_learner, "and after a restart");

    // The learner, known only through the snapshot, is promoted.
    cluster.propose_change(1, &[Change::AddVoter(4)], false).unwrap();
    cluster.deliver_all();
    heartbeats(&mut cluster, 1, 1);
    assert_eq!(cluster.node(4).membership(), &Membership::of_voters(&[1, 2, 3, 4]));
    assert_eq!(cluster.node(4).commit_index(), cluster.node(1).commit_index());
}

#[test]
fn a_snapshot_carries_the_configuration_in_effect_at_its_index() {
    let mut cluster = cluster_led_by_1(2);
    // Entry 2 adds learner 4 and commits; entry 3 adds learner 5 and does not.
    cluster.propose_change(1, &[Change::AddLearner(4)], false).unwrap();
    cluster.deliver_all();
    cluster.isolate(2);
    cluster.isolate(3);
    cluster.propose_change(1, &[Change::AddLearner(5)], false).unwrap();
    assert_eq!(cluster.node(1).commit_index(), 2);
    cluster.compact(1, 2, 16);
    let snapshot = cluster.node(1).snapshot().expect("a snapshot").clone();
    assert_eq!(snapshot.index, 2);
    assert_eq!(snapshot.membership, membership_of(&[1, 2, 3], &[4]), "not entry 3's");
    assert_eq!(cluster.node(1).membership(), &membership_of(&[1, 2, 3], &[4, 5]), "still");
    let durable = cluster.disks[0].snapshot.as_ref().map(|snapshot| &snapshot.membership);
    assert_eq!(durable, Some(&snapshot.membership));
}

#[test]
fn a_spare_that_caught_up_by_appends_from_the_start_compacts_only_once_it_knows_a_configuration() {
    // The cluster booted as {1, 2, 3}, which no entry says. Spare 4 gets entries 1..3 before
    // the entry that adds it (seed 9,007,424 of `default`, where a spare then wrote a
    // snapshot saying "no voters").
    let mut spare = Node::new(config(4, &[])).unwrap();
    let entries = vec![noop(1, 1), command(2, 1, b"a"), command(3, 1, b"b")];
    deliver(&mut spare, 1, append(1, (0, 0), entries, 3));
    assert_eq!(spare.commit_index(), 3);
    assert!(!spare.compact(3, b"image".to_vec()), "the configuration at 3 is unknown to it");
    assert!(spare.snapshot().is_none());
    assert_eq!(spare.log().snapshot_index(), 0, "the log is kept");

    let added = membership_of(&[1, 2, 3], &[4]);
    deliver(&mut spare, 1, append(1, (3, 1), vec![config_entry(4, 1, added.clone())], 4));
    assert!(!spare.compact(3, b"image".to_vec()), "still unknown at 3");
    assert!(spare.compact(4, b"image".to_vec()), "known at 4: the entry that added it");
    let snapshot = spare.snapshot().expect("a snapshot");
    assert_eq!((snapshot.index, &snapshot.membership), (4, &added));
}

// --- Availability ----------------------------------------------------------------------------

/// Ticks the servers `ids` in turn and delivers everything, until one of them leads a term
/// past `term`, for at most `rounds` rounds. Returns the leader.
fn elect_among(cluster: &mut Cluster, ids: &[NodeId], term: u64, rounds: u32) -> Option<NodeId> {
    for _ in 0..rounds {
        for &id in ids {
            cluster.tick(id);
            cluster.deliver_all();
            let leading = |id: &NodeId| {
                let node = cluster.node(*id);
                node.role() == RoleKind::Leader && node.term() > term
            };
            if let Some(&leader) = ids.iter().find(|id| leading(id)) {
                return Some(leader);
            }
        }
    }
    None
}

// Thesis §4.1: "Servers also grant votes to candidates that are not part of the server's
// latest configuration [...]. This vote may occasionally be needed to keep the cluster
// available. For example, consider adding a fourth server to a three-server cluster. If one
// server were to fail, the new server's vote would be needed to form a majority and elect a
// leader." A candidate counts only the voters of its own configuration, so a grant from a
// server that is no voter in its own is safe (etcd's raft grants them for this reason).

#[test]
fn a_promoted_learner_that_missed_its_promotion_votes_when_a_voter_fails() {
    let mut cluster = cluster_led_by_1(1);
    cluster.propose_change(1, &[Change::AddLearner(4)], false).unwrap();
    cluster.deliver_all();
    heartbeats(&mut cluster, 1, 1);
    // Node 4 is promoted while it hears nothing: {1, 2, 3} commit it, three of four.
    cluster.isolate(4);
    let index = cluster.propose_change(1, &[Change::AddVoter(4)], false).unwrap();
    cluster.deliver_all();
    heartbeats(&mut cluster, 1, 1);
    assert_eq!(cluster.node(2).commit_index(), index, "the promotion is committed");
    assert_eq!(cluster.node(4).membership(), &membership_of(&[1, 2, 3], &[4]));
    // Node 1 fails for good. Nodes 2, 3 and 4 are three of the four voters; a leader needs
    // node 4's vote.
    let term = cluster.node(1).term();
    cluster.heal();
    cluster.isolate(1);
    let leader = elect_among(&mut cluster, &[2, 3, 4], term, 50);
    assert!(leader.is_some(), "three of four voters are up, yet no leader is elected");
}

#[test]
fn a_fourth_server_that_missed_its_addition_votes_when_one_of_the_first_three_fails() {
    // The thesis's example: node 4 joins {1, 2, 3} as a voter at once, and the change commits
    // on {1, 2, 3} before node 4 holds anything.
    let mut cluster = cluster_led_by_1(1);
    cluster.isolate(4);
    let index = cluster.propose_change(1, &[Change::AddVoter(4)], false).unwrap();
    cluster.deliver_all();
    heartbeats(&mut cluster, 1, 1);
    assert_eq!(cluster.node(2).commit_index(), index, "the addition is committed");
    assert_eq!(cluster.node(4).membership(), &Membership::default(), "node 4 knows nothing");
    // Node 1 fails for good: nodes 2, 3 and 4 are three of the four voters.
    let term = cluster.node(1).term();
    cluster.heal();
    cluster.isolate(1);
    let leader = elect_among(&mut cluster, &[2, 3, 4], term, 50);
    assert!(leader.is_some(), "three of four voters are up, yet no leader is elected");
}
