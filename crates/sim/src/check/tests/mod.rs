//! Hand-built histories for each check: a violating one is caught, a legal one is not.
//!
//! The harness feeds the checker exactly what the simulator would — writes handed to a disk,
//! writes made durable, messages on the wire, entries applied, and each server's report of
//! itself — for a fake cluster whose logs it keeps, so that applied hashes chain as a real state
//! machine's do. Logs are written as lists of terms; an entry `(i, T)` carries a payload naming
//! both, so equal `(index, term)` pairs are equal entries.

use super::{Checked, Checker, Property};
use crate::hash::chain_entry;
use crate::raft_under_test::{
    EntryData, HardState, Index, LogEntry, Membership, MessageKind, MessageSummary, NodeId,
    Observation, Role, Snapshot, Term, WriteBatch,
};
use crate::state_machine::StateMachine;

/// The entry `(index, term)`.
fn entry(index: Index, term: Term) -> LogEntry {
    let payload = format!("{index}@{term}");
    LogEntry { index, term, data: EntryData::Command(payload.as_bytes().into()) }
}

/// Entries from `first` on, one per term in `terms`.
fn entries(first: Index, terms: &[Term]) -> Vec<LogEntry> {
    terms.iter().enumerate().map(|(k, &term)| entry(first + k as Index, term)).collect()
}

/// The configuration entry `(index, term)`, making `membership` the configuration.
fn config(index: Index, term: Term, membership: Membership) -> LogEntry {
    LogEntry { index, term, data: EntryData::Config(Box::new(membership)) }
}

/// The configuration of `voters` alone.
fn voters(voters: &[NodeId]) -> Membership {
    Membership::of_voters(voters)
}

/// The joint configuration that leaves `outgoing` for `voters`.
fn joint(voters: &[NodeId], outgoing: &[NodeId]) -> Membership {
    Membership { outgoing: outgoing.to_vec(), ..Membership::of_voters(voters) }
}

struct Harness {
    checker: Checker,
    /// Each node's log as written, to chain applied hashes from.
    logs: Vec<Vec<LogEntry>>,
    /// Each node's state machine: last applied index and chained hash.
    applied: Vec<(Index, u64)>,
    /// Each node's current term and vote, as its disk has them.
    hard: Vec<HardState>,
    next_write: u64,
}

impl Harness {
    fn new(nodes: usize) -> Harness {
        let ids: Vec<NodeId> = (1..=nodes as NodeId).collect();
        Harness::with_servers(nodes, voters(&ids))
    }

    /// `servers` servers whose first configuration is `initial`: the others are spares.
    fn with_servers(servers: usize, initial: Membership) -> Harness {
        Harness {
            checker: Checker::with_servers(servers, initial),
            logs: vec![Vec::new(); servers],
            applied: vec![(0, 0); servers],
            hard: vec![HardState::default(); servers],
            next_write: 0,
        }
    }

    fn batch(
        &mut self,
        node: NodeId,
        hard: Option<HardState>,
        from: Index,
        new: &[LogEntry],
    ) -> WriteBatch {
        self.next_write += 1;
        let log = &mut self.logs[node as usize - 1];
        log.truncate(from as usize - 1);
        log.extend(new.iter().cloned());
        if let Some(hard) = hard {
            self.hard[node as usize - 1] = hard;
        }
        WriteBatch {
            id: Some(self.next_write),
            hard_state: hard,
            snapshot: None,
            snapshot_installed: false,
            log_from: (!new.is_empty() || from <= self.logs[node as usize - 1].len() as Index + 1)
                .then_some(from),
            entries: new.to_vec(),
        }
    }

    /// `node` moves to `term` (voting for `vote`) on disk, durably.
    fn term(&mut self, node: NodeId, term: Term, vote: Option<NodeId>) -> Checked {
        let hard = HardState { term, vote, commit: self.hard[node as usize - 1].commit };
        self.next_write += 1;
        self.hard[node as usize - 1] = hard;
        let write = WriteBatch {
            id: Some(self.next_write),
            hard_state: Some(hard),
            ..WriteBatch::default()
        };
        self.checker.on_write(node, &write)?;
        self.checker.on_durable(node, &write)
    }

    /// `node` writes `terms` from `from` on, durably, in its current term.
    fn write(&mut self, node: NodeId, from: Index, terms: &[Term]) -> Checked {
        self.write_entries(node, from, &entries(from, terms))
    }

    /// `node` writes `new` from `from` on, durably, in its current term.
    fn write_entries(&mut self, node: NodeId, from: Index, new: &[LogEntry]) -> Checked {
        let write = self.batch(node, None, from, new);
        self.checker.on_write(node, &write)?;
        self.checker.on_durable(node, &write)
    }

    /// `node` appends, durably, a configuration entry of its current term at `index`.
    fn configure(&mut self, node: NodeId, index: Index, membership: Membership) -> Checked {
        let term = self.hard[node as usize - 1].term;
        self.write_entries(node, index, &[config(index, term, membership)])
    }

    /// `follower` copies `leader`'s log from `from` on, durably, in its own current term.
    fn replicate(&mut self, leader: NodeId, follower: NodeId, from: Index) -> Checked {
        let new = self.logs[leader as usize - 1][from as usize - 1..].to_vec();
        self.write_entries(follower, from, &new)
    }

    /// `node` hands its disk `terms` from `from` on; returns the write, not yet durable.
    fn write_pending(
        &mut self,
        node: NodeId,
        from: Index,
        terms: &[Term],
    ) -> Result<WriteBatch, Box<super::Violation>> {
        let new = entries(from, terms);
        let write = self.batch(node, None, from, &new);
        self.checker.on_write(node, &write)?;
        Ok(write)
    }

    /// `node` reports itself.
    fn report(&mut self, node: NodeId, role: Role, term: Term, commit_index: Index) -> Checked {
        let last_index = self.logs[node as usize - 1].len() as Index;
        let vote = self.hard[node as usize - 1].vote;
        let observation = Observation { role, term, vote, commit_index, leader: None, last_index };
        self.checker.on_observe(node, &observation)
    }

    /// `node` campaigns in `term` and reports itself leader.
    fn lead(&mut self, node: NodeId, term: Term) -> Checked {
        self.term(node, term, Some(node))?;
        let commit = self.checker.observation(node).map_or(0, |observed| observed.commit_index);
        self.report(node, Role::Leader, term, commit)
    }

    fn send(&mut self, from: NodeId, to: NodeId, term: Term, kind: MessageKind) -> Checked {
        self.checker.on_message(&MessageSummary { from, to, term, kind })
    }

    fn grant(&mut self, voter: NodeId, candidate: NodeId, term: Term) -> Checked {
        self.send(voter, candidate, term, MessageKind::VoteResponse { pre: false, granted: true })
    }

    /// `node`'s state machine applies its log up to `index`.
    fn apply(&mut self, node: NodeId, index: Index) -> Checked {
        let slot = node as usize - 1;
        while self.applied[slot].0 < index {
            let next = self.applied[slot].0 + 1;
            let hash = chain_entry(self.applied[slot].1, &self.logs[slot][next as usize - 1]);
            self.applied[slot] = (next, hash);
            self.checker.on_applied(node, next, hash)?;
        }
        Ok(())
    }

    fn crash(&mut self, node: NodeId) {
        self.checker.on_crash(node);
    }

    /// `node`, crashed, read its log back and found it corrupted from `from` on.
    fn damage(&mut self, node: NodeId, from: Index) {
        self.checker.on_damaged(node, from);
        self.logs[node as usize - 1].truncate(from as usize - 1);
    }

    fn committed(&self) -> Index {
        self.checker.committed().last_index()
    }
}

#[track_caller]
fn violated(result: Checked, property: Property) -> String {
    match result {
        Err(violation) => {
            assert_eq!(violation.property, property, "{}", violation.detail);
            violation.detail
        }
        Ok(()) => panic!("expected a {property} violation"),
    }
}

/// Figure 8's state (a): S1 leads term 2 and has replicated (2, 2) to S2; index 1 (term 1) is
/// committed everywhere.
fn figure8_a() -> Harness {
    let mut h = Harness::new(5);
    h.lead(1, 1).unwrap();
    for node in 1..=5 {
        if node != 1 {
            h.term(node, 1, None).unwrap();
        }
        h.write(node, 1, &[1]).unwrap();
    }
    assert_eq!(h.committed(), 1);
    h.report(1, Role::Follower, 1, 1).unwrap();
    h.lead(1, 2).unwrap();
    h.write(1, 2, &[2]).unwrap();
    h.term(2, 2, Some(1)).unwrap();
    h.write(2, 2, &[2]).unwrap();
    h
}

/// (b): S1 crashes; S5 leads term 3 with votes of S3 and S4, and appends (2, 3).
/// (c): S5 crashes; S1 restarts and leads term 4, and replicates (2, 2) to S3 in term 4.
fn figure8_c() -> Harness {
    let mut h = figure8_a();
    h.crash(1);
    for voter in [3, 4] {
        h.term(voter, 3, Some(5)).unwrap();
        h.grant(voter, 5, 3).unwrap();
    }
    h.lead(5, 3).unwrap();
    h.write(5, 2, &[3]).unwrap();
    h.crash(5);
    for voter in [2, 3] {
        h.term(voter, 4, Some(1)).unwrap();
        h.grant(voter, 1, 4).unwrap();
    }
    h.lead(1, 4).unwrap();
    h.write(3, 2, &[2]).unwrap();
    h
}

#[test]
fn figure8_c_a_prior_term_entry_on_a_majority_is_not_committed() {
    let h = figure8_c();
    assert_eq!(h.committed(), 1, "(2, 2) is on S1, S2, S3, but S3 stored it in term 4");
}

#[test]
fn figure8_d_overwriting_an_uncommitted_entry_is_legal() {
    let mut h = figure8_c();
    h.crash(1);
    for voter in [2, 3, 4] {
        h.term(voter, 5, Some(5)).unwrap();
        h.grant(voter, 5, 5).unwrap();
    }
    h.lead(5, 5).unwrap();
    for follower in [2, 3, 4] {
        h.write(follower, 2, &[3]).unwrap();
    }
    assert_eq!(h.committed(), 1, "(2, 3) was stored in term 5, not 3");
}

#[test]
fn figure8_e_then_d_a_later_leader_without_the_committed_entries_is_caught() {
    let mut h = figure8_c();
    // (e): S1 appends (3, 4) and replicates it to S2 and S3 in term 4: committed, and with it
    // (2, 2).
    h.write(1, 3, &[4]).unwrap();
    h.write(2, 3, &[4]).unwrap();
    h.write(3, 3, &[4]).unwrap();
    assert_eq!(h.committed(), 3);
    // (d) now: S5 wins term 5 with a log that lacks both.
    h.crash(1);
    let detail = violated(h.lead(5, 5), Property::LeaderCompleteness);
    assert!(detail.contains("lacks committed entry 2"), "{detail}");
}

#[test]
fn a_leader_elected_before_the_majority_was_complete_is_checked_when_it_completes() {
    let mut h = figure8_c();
    h.write(1, 3, &[4]).unwrap();
    h.write(2, 3, &[4]).unwrap();
    // S5 leads term 5 while (3, 4) is on two servers only: no alarm yet.
    h.lead(5, 5).unwrap();
    // S3, still in term 4, stores (3, 4): now it is on a majority in its term.
    let detail = violated(h.write(3, 3, &[4]), Property::LeaderCompleteness);
    assert!(detail.contains("leader 5 of term 5"), "{detail}");
}

#[test]
fn a_leader_whose_term_is_over_is_still_held_to_later_commits() {
    let mut h = figure8_c();
    h.write(1, 3, &[4]).unwrap();
    h.write(2, 3, &[4]).unwrap();
    h.lead(5, 5).unwrap();
    h.report(5, Role::Follower, 6, 0).unwrap();
    let detail = violated(h.write(3, 3, &[4]), Property::LeaderCompleteness);
    assert!(detail.contains("node 5 led term 5"), "{detail}");
}

#[test]
fn a_commit_nobody_learned_of_still_binds_later_leaders() {
    let mut h = Harness::new(3);
    h.lead(1, 1).unwrap();
    h.write(1, 1, &[1]).unwrap();
    h.term(2, 1, Some(1)).unwrap();
    h.write(2, 1, &[1]).unwrap();
    // (1, 1) is durable on S1 and S2 in term 1: committed, though no commit index moved.
    assert_eq!(h.committed(), 1);
    h.crash(1);
    h.term(3, 2, Some(3)).unwrap();
    violated(h.lead(3, 2), Property::LeaderCompleteness);
}

#[test]
fn a_commitment_outlives_a_copy_lost_to_corruption() {
    // (1, 1) is durable on S1 and S2 in term 1, so committed; S2's copy then rots, and S2,
    // taking its shortened log for whole, wins term 2. Its disk no longer holds the entry, so
    // the checker no longer counts it as holding it.
    let mut h = Harness::new(3);
    h.lead(1, 1).unwrap();
    h.write(1, 1, &[1]).unwrap();
    h.term(2, 1, Some(1)).unwrap();
    h.write(2, 1, &[1]).unwrap();
    assert_eq!(h.committed(), 1);
    h.crash(2);
    h.damage(2, 1);
    h.crash(1);
    let detail = violated(h.lead(2, 2), Property::LeaderCompleteness);
    assert!(detail.contains("lacks committed entry 1"), "{detail}");
}

#[test]
fn a_log_lost_to_corruption_is_legally_rewritten_by_a_leader_that_holds_it() {
    let mut h = Harness::new(3);
    h.lead(1, 1).unwrap();
    h.write(1, 1, &[1, 1]).unwrap();
    h.term(2, 1, Some(1)).unwrap();
    h.write(2, 1, &[1, 1]).unwrap();
    h.crash(2);
    h.damage(2, 2);
    // S1, which holds both entries, leads term 2 and rewrites S2's log from the damage on.
    h.lead(1, 2).unwrap();
    h.write(1, 3, &[2]).unwrap();
    h.term(2, 2, Some(1)).unwrap();
    h.write(2, 2, &[1, 2]).unwrap();
    assert_eq!(h.committed(), 3);
}

#[test]
fn only_durable_copies_count_toward_commitment() {
    let mut h = Harness::new(3);
    h.lead(1, 1).unwrap();
    h.write(1, 1, &[1]).unwrap();
    h.term(2, 1, Some(1)).unwrap();
    let pending = h.write_pending(2, 1, &[1]).unwrap();
    assert_eq!(h.committed(), 0, "S2's copy is not durable yet");
    violated(h.apply(1, 1), Property::AppliedCommitted);
    h.checker.on_durable(2, &pending).unwrap();
    assert_eq!(h.committed(), 1);
}

#[test]
fn an_early_apply_is_caught_even_when_nothing_diverges() {
    let mut h = Harness::new(5);
    h.lead(1, 1).unwrap();
    h.write(1, 1, &[1]).unwrap();
    h.term(2, 1, Some(1)).unwrap();
    h.write(2, 1, &[1]).unwrap();
    let detail = violated(h.apply(2, 1), Property::AppliedCommitted);
    assert!(detail.contains("before it was committed"), "{detail}");
}

#[test]
fn applying_what_is_committed_is_legal() {
    let mut h = Harness::new(3);
    h.lead(1, 1).unwrap();
    h.write(1, 1, &[1, 1]).unwrap();
    h.term(2, 1, Some(1)).unwrap();
    h.write(2, 1, &[1, 1]).unwrap();
    h.apply(1, 2).unwrap();
    h.apply(2, 2).unwrap();
}

#[test]
fn an_unrecorded_second_vote_is_caught_on_the_wire() {
    let mut h = Harness::new(3);
    h.term(1, 2, Some(2)).unwrap();
    h.grant(1, 2, 2).unwrap();
    // The disk still says "voted for 2", but a grant for 3 leaves in the same term.
    let detail = violated(h.grant(1, 3, 2), Property::SingleVote);
    assert!(detail.contains("to 2 and then to 3"), "{detail}");
}

#[test]
fn a_grant_that_leaves_before_the_vote_is_durable_is_caught() {
    let mut h = Harness::new(3);
    h.term(1, 2, None).unwrap();
    let detail = violated(h.grant(1, 2, 2), Property::SingleVote);
    assert!(detail.contains("before the vote was durable"), "{detail}");
}

#[test]
fn a_grant_held_behind_the_disk_until_every_disk_left_its_term_is_moot() {
    // S1 voted for S2 in term 2; its grant waits for the disk while every server moves on to
    // term 4. No candidate is left in term 2 to count the grant when it finally leaves.
    let mut h = Harness::new(3);
    h.term(1, 2, Some(2)).unwrap();
    for node in 1..=3 {
        h.term(node, 4, None).unwrap();
    }
    h.grant(1, 2, 2).unwrap();
    // Term 3 is still remembered (a term of margin), and S1's disk has no vote in it.
    violated(h.grant(1, 3, 3), Property::SingleVote);
}

#[test]
fn a_disk_that_records_two_votes_in_a_term_is_caught() {
    let mut h = Harness::new(3);
    h.term(1, 2, Some(2)).unwrap();
    violated(h.term(1, 2, Some(3)), Property::SingleVote);
}

#[test]
fn repeating_a_grant_is_legal() {
    let mut h = Harness::new(3);
    h.term(1, 2, Some(2)).unwrap();
    h.grant(1, 2, 2).unwrap();
    h.grant(1, 2, 2).unwrap();
    h.term(1, 3, Some(3)).unwrap();
    h.grant(1, 3, 3).unwrap();
}

#[test]
fn two_leaders_of_one_term_are_caught_from_reports_or_from_the_wire() {
    let mut h = Harness::new(3);
    h.lead(1, 2).unwrap();
    violated(h.lead(2, 2), Property::ElectionSafety);
    let mut h = Harness::new(3);
    h.lead(1, 2).unwrap();
    // Node 2 never reports itself leader, but sends what only a leader sends.
    let detail =
        violated(h.send(2, 3, 2, MessageKind::Append { entries: 0 }), Property::ElectionSafety);
    assert!(detail.contains("sent a leader's append"), "{detail}");
}

#[test]
fn a_leader_that_rewrites_identical_entries_is_legal_and_one_that_changes_them_is_not() {
    let mut h = Harness::new(3);
    h.lead(1, 1).unwrap();
    h.write(1, 1, &[1, 1, 1]).unwrap();
    h.write(1, 2, &[1, 1]).unwrap();
    h.write(1, 3, &[1, 1]).unwrap();
    violated(h.write(1, 2, &[1]), Property::LeaderAppendOnly);
    let mut h = Harness::new(3);
    h.term(2, 1, None).unwrap();
    h.write(2, 1, &[1, 1]).unwrap();
    h.lead(2, 2).unwrap();
    violated(h.write(2, 2, &[2]), Property::LeaderAppendOnly);
}

#[test]
fn a_follower_truncating_a_conflicting_suffix_is_legal() {
    let mut h = Harness::new(3);
    h.term(2, 1, None).unwrap();
    h.write(2, 1, &[1, 1, 1]).unwrap();
    h.term(2, 2, None).unwrap();
    h.write(2, 2, &[2]).unwrap();
}

#[test]
fn two_logs_that_share_an_entry_but_not_its_prefix_are_caught() {
    let mut h = Harness::new(3);
    h.write(1, 1, &[1, 2]).unwrap();
    violated(h.write(2, 1, &[2, 2]), Property::LogMatching);
}

#[test]
fn a_term_that_goes_down_on_disk_or_in_a_report_is_caught() {
    let mut h = Harness::new(3);
    h.term(1, 3, None).unwrap();
    violated(h.term(1, 2, None), Property::TermMonotonic);
    let mut h = Harness::new(3);
    h.term(1, 3, None).unwrap();
    violated(h.report(1, Role::Follower, 2, 0), Property::TermMonotonic);
}

#[test]
fn a_commit_index_may_run_ahead_of_the_local_log_but_never_back() {
    let mut h = Harness::new(3);
    h.report(1, Role::Follower, 1, 7).unwrap();
    violated(h.report(1, Role::Follower, 1, 5), Property::CommitMonotonic);
    // After a crash the commit index restarts from the disk.
    let mut h = Harness::new(3);
    h.report(1, Role::Follower, 1, 7).unwrap();
    h.crash(1);
    h.report(1, Role::Follower, 1, 0).unwrap();
}

#[test]
fn two_different_entries_committed_at_one_index_are_caught() {
    // Only possible if some later leader lacked the first: with no leader in sight, the
    // commitment record itself must notice.
    let mut h = Harness::new(3);
    for node in 1..=3 {
        h.term(node, 1, None).unwrap();
    }
    h.write(1, 1, &[1]).unwrap();
    h.write(2, 1, &[1]).unwrap();
    assert_eq!(h.committed(), 1);
    for node in [2, 3] {
        h.term(node, 2, None).unwrap();
    }
    h.write(3, 1, &[2]).unwrap();
    let detail = violated(h.write(2, 1, &[2]), Property::StateMachineSafety);
    assert!(detail.contains("a different entry was committed at index 1"), "{detail}");
}

/// The snapshot of `log` (a list of entries from index 1, of a cluster that started as voters
/// 1, 2 and 3) at `index`.
fn snapshot_of(log: &[LogEntry], index: Index) -> Snapshot {
    let mut machine = StateMachine::default();
    for entry in &log[..index as usize] {
        machine.apply(entry);
    }
    machine.snapshot(&Membership::of_voters(&[1, 2, 3]))
}

impl Harness {
    /// `node` writes `snapshot`, durably: installed from a leader (then truncating the log
    /// after it when `truncate`) or compacted from its own state machine.
    fn snapshot(
        &mut self,
        node: NodeId,
        snapshot: Snapshot,
        installed: bool,
        truncate: bool,
    ) -> Checked {
        self.next_write += 1;
        let index = snapshot.index;
        let write = WriteBatch {
            id: Some(self.next_write),
            snapshot: Some(snapshot.clone()),
            snapshot_installed: installed,
            log_from: truncate.then_some(index + 1),
            ..WriteBatch::default()
        };
        self.checker.on_write(node, &write)?;
        self.checker.on_durable(node, &write)?;
        if installed {
            self.checker.on_restored(node, &snapshot)?;
            self.applied[node as usize - 1] = (index, snapshot_hash(&snapshot));
        }
        Ok(())
    }
}

fn snapshot_hash(snapshot: &Snapshot) -> u64 {
    crate::state_machine::image_position(&snapshot.data).expect("an image").1
}

/// Node 1 leads term 1 and replicates four entries to node 2: committed; node 3 has nothing.
fn committed_four() -> Harness {
    let mut h = Harness::new(3);
    h.lead(1, 1).unwrap();
    h.term(2, 1, Some(1)).unwrap();
    h.write(1, 1, &[1, 1, 1, 1]).unwrap();
    h.write(2, 1, &[1, 1, 1, 1]).unwrap();
    assert_eq!(h.committed(), 4);
    h
}

#[test]
fn compacting_and_installing_the_committed_state_is_legal() {
    let mut h = committed_four();
    h.apply(1, 4).unwrap();
    let snapshot = snapshot_of(&h.logs[0], 3);
    h.snapshot(1, snapshot.clone(), false, false).unwrap();
    h.term(3, 1, None).unwrap();
    h.snapshot(3, snapshot, true, true).unwrap();
    h.logs[2] = h.logs[0][..3].to_vec();
    h.write(3, 4, &[1]).unwrap();
    h.apply(3, 4).unwrap();
    // A crash loses the state machine; the restart restores the snapshot and applies again.
    h.crash(3);
    h.checker.on_restored(3, &snapshot_of(&h.logs[0], 3)).unwrap();
    h.applied[2] = (3, snapshot_hash(&snapshot_of(&h.logs[0], 3)));
    h.apply(3, 4).unwrap();
}

#[test]
fn installing_a_snapshot_behind_what_was_applied_is_caught() {
    let mut h = committed_four();
    h.apply(2, 4).unwrap();
    let stale = snapshot_of(&h.logs[0], 2);
    let detail = violated(h.snapshot(2, stale, true, false), Property::AppliedNeverRollsBack);
    assert!(detail.contains("behind the 4 entries"), "{detail}");
}

#[test]
fn compacting_behind_the_durable_snapshot_is_caught() {
    let mut h = committed_four();
    h.apply(1, 4).unwrap();
    h.snapshot(1, snapshot_of(&h.logs[0], 4), false, false).unwrap();
    let older = snapshot_of(&h.logs[0], 2);
    violated(h.snapshot(1, older, false, false), Property::AppliedNeverRollsBack);
}

#[test]
fn applying_an_index_again_is_caught() {
    let mut h = committed_four();
    h.apply(1, 3).unwrap();
    let hash = h.applied[0].1;
    violated(h.checker.on_applied(1, 3, hash), Property::AppliedNeverRollsBack);
}

#[test]
fn a_snapshot_of_uncommitted_entries_is_caught() {
    let mut h = committed_four();
    h.write(1, 5, &[1, 1]).unwrap(); // Only on node 1.
    let detail = violated(
        h.snapshot(1, snapshot_of(&h.logs[0], 6), false, false),
        Property::AppliedCommitted,
    );
    assert!(detail.contains("past the committed log"), "{detail}");
}

#[test]
fn a_snapshot_whose_image_is_of_another_index_is_caught() {
    let mut h = committed_four();
    let mislabelled = Snapshot { index: 4, ..snapshot_of(&h.logs[0], 2) };
    let detail = violated(h.snapshot(1, mislabelled, false, false), Property::AppliedCommitted);
    assert!(detail.contains("holds the state machine at index 2"), "{detail}");
}

/// Node 3 holds entries 2 and 3 of a deposed term-1 leader (itself); the committed log has
/// term 2 from index 2 on. Returns the cluster and the committed snapshot at index 2.
fn deposed_suffix() -> (Harness, Snapshot) {
    let mut h = Harness::new(3);
    h.lead(3, 1).unwrap();
    h.write(3, 1, &[1, 1, 1]).unwrap();
    h.lead(1, 2).unwrap();
    h.term(2, 2, Some(1)).unwrap();
    h.write(1, 1, &[1, 2, 2]).unwrap();
    h.write(2, 1, &[1, 2, 2]).unwrap();
    h.term(3, 2, None).unwrap();
    let snapshot = snapshot_of(&h.logs[0], 2);
    (h, snapshot)
}

#[test]
fn keeping_a_suffix_that_does_not_continue_the_snapshot_is_caught() {
    let (mut legal, snapshot) = deposed_suffix();
    legal.snapshot(3, snapshot, true, true).expect("installing with the truncation is legal");
    let (mut h, snapshot) = deposed_suffix();
    let detail = violated(h.snapshot(3, snapshot, true, false), Property::LogMatching);
    assert!(detail.contains("keeps its entries 3..=3"), "{detail}");
}

#[test]
fn once_every_server_holds_a_snapshot_the_records_behind_it_are_folded() {
    let mut h = committed_four();
    h.apply(1, 4).unwrap();
    h.apply(2, 4).unwrap();
    let snapshot = snapshot_of(&h.logs[0], 3);
    h.snapshot(1, snapshot.clone(), false, false).unwrap();
    h.term(3, 1, None).unwrap();
    h.snapshot(2, snapshot.clone(), false, false).unwrap();
    assert_eq!(h.checker.committed().base_index(), 0, "node 3 has no snapshot yet");
    h.snapshot(3, snapshot, true, true).unwrap();
    assert_eq!(h.checker.committed().base_index(), 3);
    // The checks go on past the fold: a later entry commits and applies.
    h.logs[2] = h.logs[0][..3].to_vec();
    h.write(3, 4, &[1]).unwrap();
    h.write(1, 5, &[1]).unwrap();
    h.write(2, 5, &[1]).unwrap();
    assert_eq!(h.committed(), 5);
    h.apply(3, 4).unwrap();
    h.apply(1, 5).unwrap();
}

#[test]
fn terms_every_disk_left_behind_are_forgotten_and_later_ones_still_checked() {
    let mut h = Harness::new(3);
    h.term(2, 1, Some(1)).unwrap();
    h.grant(2, 1, 1).unwrap();
    h.lead(1, 1).unwrap();
    for node in 1..=3 {
        h.term(node, 3, None).unwrap();
    }
    // Every disk is in term 3: terms 1 and before are gone, term 2 and later kept.
    assert_eq!(h.checker.leader_of(1), None);
    h.lead(2, 4).unwrap();
    assert_eq!(h.checker.leader_of(4), Some(2));
    violated(h.lead(3, 4), Property::ElectionSafety);
}

mod membership;
