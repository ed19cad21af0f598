//! Hand-built histories for the configuration-aware rules: commitment by the configuration in
//! effect, `disjoint-quorums`, `removed-leader-steps-down`, `snapshot-configuration`, and the
//! spares that join behind the folded base.

use super::*;

#[test]
fn after_a_configuration_that_adds_voters_an_entry_needs_a_quorum_of_the_new_voters() {
    let mut h = Harness::with_servers(5, voters(&[1, 2, 3]));
    h.lead(1, 1).unwrap();
    for node in 2..=5 {
        h.term(node, 1, None).unwrap();
    }
    h.write(1, 1, &[1]).unwrap();
    h.write(2, 1, &[1]).unwrap();
    assert_eq!(h.committed(), 1, "a majority of voters 1, 2 and 3");
    h.configure(1, 2, voters(&[1, 2, 3, 4, 5])).unwrap();
    h.write(1, 3, &[1]).unwrap();
    h.replicate(1, 2, 2).unwrap();
    assert_eq!(h.committed(), 1, "nodes 1 and 2 are two of the five voters in effect at 2 and 3");
    let detail = violated(h.apply(2, 3), Property::AppliedCommitted);
    assert!(detail.contains("applied index 2 before it was committed"), "{detail}");
    h.replicate(1, 4, 1).unwrap();
    assert_eq!(h.committed(), 3, "nodes 1, 2 and 4 are three of the five");
    h.apply(1, 3).unwrap();
}

/// Node 3 leads term 1 of voters 1, 2 and 3 (nodes 4 and 5 are spares, every node in term 1):
/// its no-op at index 1 is committed on nodes 2 and 3; at index 2 it enters the joint
/// configuration that leaves voters 1, 2, 3 for 3, 4, 5, and appends an entry at 3.
fn joint_from_1_2_3_to_3_4_5() -> Harness {
    let mut h = Harness::with_servers(5, voters(&[1, 2, 3]));
    h.lead(3, 1).unwrap();
    for node in [1, 2, 4, 5] {
        h.term(node, 1, None).unwrap();
    }
    h.write(3, 1, &[1]).unwrap();
    h.write(2, 1, &[1]).unwrap();
    assert_eq!(h.committed(), 1);
    h.configure(3, 2, joint(&[3, 4, 5], &[1, 2, 3])).unwrap();
    h.write(3, 3, &[1]).unwrap();
    h
}

#[test]
fn while_joint_an_entry_on_the_incoming_voters_alone_is_not_committed() {
    let mut h = joint_from_1_2_3_to_3_4_5();
    h.replicate(3, 4, 1).unwrap();
    h.replicate(3, 5, 1).unwrap();
    assert_eq!(h.committed(), 1, "of nodes 3, 4 and 5, only 3 is an outgoing voter");
    let detail = violated(h.apply(4, 3), Property::AppliedCommitted);
    assert!(detail.contains("applied index 2 before it was committed"), "{detail}");
    h.replicate(3, 1, 1).unwrap();
    assert_eq!(h.committed(), 3, "nodes 1, 3, 4 and 5 are majorities of both");
    h.apply(3, 3).unwrap();
}

#[test]
fn while_joint_an_entry_on_the_outgoing_voters_alone_is_not_committed() {
    let mut h = joint_from_1_2_3_to_3_4_5();
    h.replicate(3, 1, 1).unwrap();
    h.replicate(3, 2, 2).unwrap();
    assert_eq!(h.committed(), 1, "of nodes 1, 2 and 3, only 3 is an incoming voter");
    violated(h.apply(1, 3), Property::AppliedCommitted);
    h.replicate(3, 5, 1).unwrap();
    assert_eq!(h.committed(), 3, "nodes 1, 2, 3 and 5 are majorities of both");
    h.apply(2, 3).unwrap();
}

#[test]
fn a_leader_commits_its_earlier_entries_by_the_quorum_of_a_configuration_it_appends_after_them() {
    let mut h = Harness::new(4);
    h.lead(1, 1).unwrap();
    for node in 2..=4 {
        h.term(node, 1, Some(1)).unwrap();
    }
    h.write(1, 1, &[1, 1]).unwrap();
    h.write(2, 1, &[1, 1]).unwrap();
    h.write(3, 1, &[1]).unwrap();
    assert_eq!(h.committed(), 1, "entry 2 is on nodes 1 and 2: two of four voters");
    // Removing node 4, the leader counts entry 2 by voters 1, 2 and 3 from now on: nodes 1 and
    // 2 are a majority of them, and of four voters any three include one of them.
    h.configure(1, 3, voters(&[1, 2, 3])).unwrap();
    assert_eq!(h.committed(), 2, "committed once the configuration is written");
    h.apply(1, 2).unwrap();
}

/// Node 1 led term 1 and committed entries 1 and 2 on nodes 1 and 2; node 2 leads term 2 (node
/// 1 voted for it) and has appended its no-op at index 3, on its own disk only.
fn new_leader_with_its_noop_uncommitted() -> Harness {
    let mut h = Harness::new(3);
    h.lead(1, 1).unwrap();
    h.term(2, 1, Some(1)).unwrap();
    h.write(1, 1, &[1, 1]).unwrap();
    h.write(2, 1, &[1, 1]).unwrap();
    assert_eq!(h.committed(), 2);
    h.term(1, 2, Some(2)).unwrap();
    h.lead(2, 2).unwrap();
    h.write(2, 3, &[2]).unwrap();
    h
}

#[test]
fn a_configuration_appended_before_an_entry_of_the_leaders_term_is_committed_is_caught() {
    let mut h = new_leader_with_its_noop_uncommitted();
    let detail = violated(h.configure(2, 4, voters(&[1, 2])), Property::DisjointQuorums);
    assert!(detail.contains("before any entry of term 2 was committed"), "{detail}");
    // Once its no-op is committed, the same change is legal.
    let mut h = new_leader_with_its_noop_uncommitted();
    h.replicate(2, 1, 3).unwrap();
    assert_eq!(h.committed(), 3);
    h.configure(2, 4, voters(&[1, 2])).unwrap();
}

#[test]
fn a_second_configuration_appended_while_the_first_is_uncommitted_is_caught() {
    let changed = || {
        let mut h = new_leader_with_its_noop_uncommitted();
        h.replicate(2, 1, 3).unwrap();
        h.configure(2, 4, voters(&[1, 2])).unwrap();
        h
    };
    let mut h = changed();
    let detail = violated(h.configure(2, 5, voters(&[1, 2, 3])), Property::DisjointQuorums);
    assert!(detail.contains("while the configuration at index 4 was not committed"), "{detail}");
    let mut h = changed();
    h.replicate(2, 1, 4).unwrap();
    assert_eq!(h.committed(), 4, "nodes 1 and 2 are both voters of the configuration at 4");
    h.configure(2, 5, voters(&[1, 2, 3])).unwrap();
}

#[test]
fn a_leader_that_knows_its_own_removal_committed_and_still_leads_is_caught() {
    let mut h = Harness::new(3);
    h.lead(1, 1).unwrap();
    for node in [2, 3] {
        h.term(node, 1, Some(1)).unwrap();
    }
    h.write(1, 1, &[1]).unwrap();
    h.write(2, 1, &[1]).unwrap();
    h.configure(1, 2, voters(&[2, 3])).unwrap();
    h.replicate(1, 2, 2).unwrap();
    h.replicate(1, 3, 1).unwrap();
    assert_eq!(h.committed(), 2);
    // Until it learns the removal committed, it leads on (thesis §4.2.2).
    h.report(1, Role::Leader, 1, 1).unwrap();
    let detail = violated(h.report(1, Role::Leader, 1, 2), Property::RemovedLeaderStepsDown);
    assert!(detail.contains("index 2 (voters [2, 3]) committed, which removed it"), "{detail}");
}

#[test]
fn a_leader_still_outgoing_in_a_joint_configuration_leads_until_the_one_without_it_commits() {
    let mut h = Harness::with_servers(4, voters(&[1, 2, 3]));
    h.lead(1, 1).unwrap();
    for node in 2..=4 {
        h.term(node, 1, None).unwrap();
    }
    h.write(1, 1, &[1]).unwrap();
    h.write(2, 1, &[1]).unwrap();
    h.configure(1, 2, joint(&[2, 3, 4], &[1, 2, 3])).unwrap();
    h.replicate(1, 2, 2).unwrap();
    h.replicate(1, 3, 1).unwrap();
    assert_eq!(h.committed(), 2);
    h.report(1, Role::Leader, 1, 2).unwrap();
    h.configure(1, 3, voters(&[2, 3, 4])).unwrap();
    h.report(1, Role::Leader, 1, 2).unwrap();
    h.replicate(1, 2, 3).unwrap();
    h.replicate(1, 3, 3).unwrap();
    assert_eq!(h.committed(), 3);
    violated(h.report(1, Role::Leader, 1, 3), Property::RemovedLeaderStepsDown);
}

/// Node 1 leads term 1 of voters 1, 2 and 3 (node 4 a spare): its no-op at index 1 is committed
/// and applied, and at index 2 it adds voter 4, on its own disk only.
fn adding_a_fourth_voter() -> Harness {
    let mut h = Harness::with_servers(4, voters(&[1, 2, 3]));
    h.lead(1, 1).unwrap();
    for node in [2, 3] {
        h.term(node, 1, Some(1)).unwrap();
    }
    h.write(1, 1, &[1]).unwrap();
    h.write(2, 1, &[1]).unwrap();
    h.configure(1, 2, voters(&[1, 2, 3, 4])).unwrap();
    h.apply(1, 1).unwrap();
    h
}

#[test]
fn a_snapshot_carrying_a_configuration_its_index_has_not_reached_is_caught() {
    let mut h = adding_a_fourth_voter();
    // The latest configuration in the log, not the one in effect (and committed) at index 1.
    let ahead = Snapshot { membership: voters(&[1, 2, 3, 4]), ..snapshot_of(&h.logs[0], 1) };
    let detail = violated(h.snapshot(1, ahead, false, false), Property::SnapshotConfiguration);
    assert!(detail.contains("the committed configuration there is voters [1, 2, 3]"), "{detail}");
    // The refused write changed nothing: the right snapshot is taken.
    h.snapshot(1, snapshot_of(&h.logs[0], 1), false, false).unwrap();
}

#[test]
fn a_snapshot_past_a_committed_change_that_carries_the_old_configuration_is_caught() {
    let mut h = adding_a_fourth_voter();
    h.replicate(1, 2, 2).unwrap();
    h.replicate(1, 3, 1).unwrap();
    assert_eq!(h.committed(), 2);
    h.apply(1, 2).unwrap();
    let stale = Snapshot { membership: voters(&[1, 2, 3]), ..snapshot_of(&h.logs[0], 2) };
    violated(h.snapshot(1, stale, false, false), Property::SnapshotConfiguration);
    let snapshot = snapshot_of(&h.logs[0], 2);
    assert_eq!(snapshot.membership, voters(&[1, 2, 3, 4]));
    h.snapshot(1, snapshot, false, false).unwrap();
}

/// Voters 1, 2 and 3, with spares 4 and 5 that never wrote anything: node 1 led term 1 and
/// committed four entries, and every voter holds a snapshot at index 3.
fn folded_beside_two_spares() -> Harness {
    let mut h = Harness::with_servers(5, voters(&[1, 2, 3]));
    h.lead(1, 1).unwrap();
    h.term(2, 1, Some(1)).unwrap();
    h.term(3, 1, None).unwrap();
    h.write(1, 1, &[1, 1, 1, 1]).unwrap();
    h.write(2, 1, &[1, 1, 1, 1]).unwrap();
    h.apply(1, 4).unwrap();
    h.apply(2, 4).unwrap();
    let snapshot = snapshot_of(&h.logs[0], 3);
    h.snapshot(1, snapshot.clone(), false, false).unwrap();
    h.snapshot(2, snapshot.clone(), false, false).unwrap();
    h.snapshot(3, snapshot, true, true).unwrap();
    h
}

#[test]
fn a_spare_that_never_wrote_does_not_hold_back_folding_and_may_catch_up_from_behind_the_base() {
    let mut h = folded_beside_two_spares();
    assert_eq!(h.checker.committed().base_index(), 3, "the spares hold nothing back");
    // Added since, node 4 takes a stale append from index 1, behind the folded base.
    h.term(4, 1, None).unwrap();
    h.write(4, 1, &[1, 1]).unwrap();
    h.apply(4, 2).unwrap();
    h.write(4, 3, &[1, 1]).unwrap();
    h.apply(4, 4).unwrap();
    // Node 5 installs a stale snapshot behind the base, then catches up by appends.
    h.term(5, 1, None).unwrap();
    h.snapshot(5, snapshot_of(&h.logs[0], 2), true, true).unwrap();
    h.logs[4] = h.logs[0][..2].to_vec();
    h.write(5, 3, &[1, 1]).unwrap();
    h.apply(5, 4).unwrap();
}

#[test]
fn a_spare_that_applies_another_entry_at_the_folded_base_is_caught() {
    let mut h = folded_beside_two_spares();
    h.term(5, 2, None).unwrap();
    h.snapshot(5, snapshot_of(&h.logs[0], 2), true, true).unwrap();
    h.logs[4] = h.logs[0][..2].to_vec();
    // An entry of a term that never committed at index 3, where the base holds (3, 1).
    h.write(5, 3, &[2]).unwrap();
    let detail = violated(h.apply(5, 3), Property::AppliedCommitted);
    assert!(
        detail.contains("applied an entry at index 3 other than the one committed"),
        "{detail}"
    );
}
