//! Every injected [`Bug`] breaks exactly the rule it documents: for each one, the smallest
//! situation where the rule matters, run twice with the same script — once correct, once with
//! the bug — showing the rule kept and then broken.

mod common;

use common::*;
use raftsim_raft::{
    AfterPersistFailure, AppendOutcome, Bug, Bugs, Change, ChangeError, Config, DurableState,
    Envelope, FrameCodec, InstallSnapshot, LeaseClock, LogDamage, Message, Node, NodeId, ReadKind,
    ReadState, RequestVoteResponse, RoleKind,
};

/// Runs `script` without bugs and with `bug` alone. Returns `(correct, buggy)`.
fn run_both<T>(bug: Bug, script: impl Fn(Bugs) -> T) -> (T, T) {
    (script(Bugs::NONE), script(Bugs::NONE.with(bug)))
}

/// The configuration of server `id` of `count` with `bugs`.
fn config_with(id: NodeId, count: u64, bugs: Bugs) -> Config {
    Config { bugs, ..config(id, &voters(count)) }
}

/// Whether `ready` carries a granted vote.
fn granted(ready: &raftsim_raft::Ready) -> bool {
    matches!(only_message(ready), Message::RequestVoteResponse(response) if response.granted)
}

#[test]
fn vote_without_log_check_elects_a_candidate_with_a_stale_log() {
    let (correct, buggy) = run_both(Bug::VoteWithoutLogCheck, |bugs| {
        let mut voter = restarted(config_with(1, 3, bugs), &durable(2, None, 0, &[1, 2]));
        // The candidate's last entry is of term 1; the voter holds one of term 2.
        granted(&deliver(&mut voter, 2, request_vote(3, 5, 1)))
    });
    assert!(!correct, "a less up-to-date log is refused");
    assert!(buggy, "the bug grants it");
}

#[test]
fn double_vote_backs_two_candidates_in_one_term() {
    let (correct, buggy) = run_both(Bug::DoubleVote, |bugs| {
        let mut voter = restarted(config_with(1, 3, bugs), &durable(1, Some(3), 0, &[]));
        let granted = granted(&deliver(&mut voter, 2, request_vote(1, 0, 0)));
        (granted, voter.vote())
    });
    assert_eq!(correct, (false, Some(3)), "one vote per term");
    assert_eq!(buggy, (true, Some(2)), "the bug votes again");

    // A candidate has voted for itself: under the bug it backs a rival too, and stands down.
    let (correct, buggy) = run_both(Bug::DoubleVote, |bugs| {
        let mut candidate = restarted(config_with(1, 3, bugs), &durable(0, None, 0, &[]));
        tick_until_campaign(&mut candidate);
        let granted = granted(&deliver(&mut candidate, 2, request_vote(1, 0, 0)));
        (granted, candidate.role())
    });
    assert_eq!(correct, (false, RoleKind::Candidate));
    assert_eq!(buggy, (true, RoleKind::Follower));
}

#[test]
fn forget_vote_on_restart_votes_again_in_the_same_term_after_a_crash() {
    let (correct, buggy) = run_both(Bug::ForgetVoteOnRestart, |bugs| {
        let config = config_with(1, 3, bugs);
        let mut voter = Node::new(config.clone()).unwrap();
        let mut disk = DurableState::default();
        let ready = deliver(&mut voter, 2, request_vote(1, 0, 0));
        assert!(granted(&ready));
        ready.persist_into(&mut disk);
        let mut voter = Node::restart(config, &disk, 0).unwrap();
        granted(&deliver(&mut voter, 3, request_vote(1, 0, 0)))
    });
    assert!(!correct, "the durable vote binds after a restart");
    assert!(buggy, "the bug forgets it");
}

#[test]
fn commit_prior_term_commits_an_old_entry_by_counting_replicas() {
    let (correct, buggy) = run_both(Bug::CommitPriorTerm, |bugs| {
        // Entry 2 is of term 2 and uncommitted; the leader of term 3 sees it on a majority.
        let mut leader = restarted(config_with(1, 3, bugs), &durable(2, None, 1, &[1, 2]));
        win_election(&mut leader);
        assert_eq!(leader.term(), 3);
        deliver(&mut leader, 2, accepted(3, 2));
        leader.commit_index()
    });
    assert_eq!(correct, 1, "Figure 8: not committed by counting");
    assert_eq!(buggy, 2, "the bug commits it");
}

#[test]
fn commit_without_quorum_commits_an_entry_held_by_a_minority() {
    let (correct, buggy) = run_both(Bug::CommitWithoutQuorum, |bugs| {
        let mut leader = Node::new(config_with(1, 5, bugs)).unwrap();
        win_election(&mut leader);
        // The no-op is on the leader and node 2: two of five.
        deliver(&mut leader, 2, accepted(1, 1));
        leader.commit_index()
    });
    assert_eq!(correct, 0, "three of five are needed");
    assert_eq!(buggy, 1, "the bug commits with two");
}

#[test]
fn truncate_on_stale_append_erases_entries_already_acknowledged() {
    let (correct, buggy) = run_both(Bug::TruncateOnStaleAppend, |bugs| {
        let mut follower = restarted(config_with(1, 3, bugs), &durable(1, None, 0, &[1, 1, 1]));
        // A delayed duplicate of the leader's first append, whose entry is already stored.
        let ready = deliver(&mut follower, 2, append(1, (0, 0), entries_from(1, &[1]), 0));
        assert_eq!(append_outcome(&ready), AppendOutcome::Accepted { match_index: 1 });
        log_terms(&follower)
    });
    assert_eq!(correct, vec![1, 1, 1], "no conflict, no truncation");
    assert_eq!(buggy, vec![1], "the bug drops the acknowledged suffix");
}

#[test]
fn skip_prev_log_check_appends_after_an_entry_the_leader_does_not_have() {
    let (correct, buggy) = run_both(Bug::SkipPrevLogCheck, |bugs| {
        let mut follower = restarted(config_with(1, 3, bugs), &durable(2, None, 0, &[1, 1]));
        // The leader's entry 2 is of term 2; the follower's is of term 1.
        let ready = deliver(&mut follower, 2, append(2, (2, 2), entries_from(3, &[2]), 0));
        (append_outcome(&ready), log_terms(&follower))
    });
    let rejection = AppendOutcome::Rejected {
        rejected_index: 2,
        hint: raftsim_raft::ConflictHint { index: 1, conflict_term: Some(1) },
    };
    assert_eq!(correct, (rejection, vec![1, 1]));
    assert_eq!(buggy, (AppendOutcome::Accepted { match_index: 3 }, vec![1, 1, 2]));
}

#[test]
fn accept_stale_term_follows_a_deposed_leader() {
    let (correct, buggy) = run_both(Bug::AcceptStaleTerm, |bugs| {
        let mut follower = restarted(config_with(1, 3, bugs), &durable(3, None, 0, &[]));
        let ready = deliver(&mut follower, 2, append(2, (0, 0), entries_from(1, &[2]), 0));
        let accepted = matches!(append_outcome(&ready), AppendOutcome::Accepted { .. });
        (accepted, log_terms(&follower), follower.leader_hint())
    });
    assert_eq!(correct, (false, vec![], None), "term 2 < term 3: rejected");
    assert_eq!(buggy, (true, vec![2], Some(2)), "the bug takes the stale leader's entries");
}

#[test]
fn apply_uncommitted_hands_out_entries_before_they_are_committed() {
    let (correct, buggy) = run_both(Bug::ApplyUncommitted, |bugs| {
        let mut follower = restarted(config_with(1, 3, bugs), &durable(1, None, 0, &[]));
        let ready = deliver(&mut follower, 2, append(1, (0, 0), entries_from(1, &[1, 1]), 0));
        (ready.committed.len(), follower.commit_index(), follower.applied_index())
    });
    assert_eq!(correct, (0, 0, 0), "nothing is committed, nothing is applied");
    assert_eq!(buggy, (2, 0, 2), "the bug applies past the commit index");
}

#[test]
fn ignore_checksum_acts_on_a_damaged_frame() {
    let message = Message::RequestVoteResponse(RequestVoteResponse { term: 7, granted: true });
    let envelope = Envelope { from: 2, to: 1, message };
    let (correct, buggy) = run_both(Bug::IgnoreChecksum, |bugs| {
        // The simulator builds each server's codec this way from its configuration.
        let config = config_with(1, 3, bugs);
        let codec = FrameCodec::new(&config.voters, !config.bugs.contains(Bug::IgnoreChecksum));
        let mut frame = codec.encode(&envelope);
        let last = frame.len() - 1;
        frame[last] ^= 1; // `granted` flips: the payload still decodes
        codec.decode(&frame).ok()
    });
    assert_eq!(correct, None, "the checksum rejects the frame");
    let decoded = buggy.expect("the bug decodes the damaged frame");
    assert_eq!(
        decoded.message,
        Message::RequestVoteResponse(RequestVoteResponse { term: 7, granted: false })
    );
}

#[test]
fn unpersisted_truncation_leaves_a_removed_suffix_on_disk() {
    let (correct, buggy) = run_both(Bug::UnpersistedTruncation, |bugs| {
        let mut disk = durable(1, None, 1, &[1, 1, 1]);
        let config = config_with(1, 3, bugs);
        let mut follower = restarted(config.clone(), &disk);
        deliver(&mut follower, 2, append(2, (1, 1), entries_from(2, &[2]), 1))
            .persist_into(&mut disk);
        assert_eq!(log_terms(&follower), vec![1, 2], "in memory the conflict is resolved");
        let restarted = Node::restart(config, &disk, 1).unwrap();
        (terms_of(&disk.entries), log_terms(&restarted))
    });
    assert_eq!(correct, (vec![1, 2], vec![1, 2]), "the disk follows the log");
    assert_eq!(buggy, (vec![1, 1, 1], vec![1, 1, 1]), "the bug keeps the removed entries");
}

#[test]
fn unrecorded_vote_grants_a_second_candidate_without_recording_it() {
    let (correct, buggy) = run_both(Bug::UnrecordedVote, |bugs| {
        let mut voter = restarted(config_with(1, 3, bugs), &durable(1, Some(3), 0, &[]));
        let ready = deliver(&mut voter, 2, request_vote(1, 0, 0));
        (granted(&ready), voter.vote(), ready.hard_state)
    });
    assert_eq!(correct, (false, Some(3), None), "one vote per term");
    assert_eq!(buggy, (true, Some(3), None), "the grant leaves; the recorded vote stays");
}

#[test]
fn eager_apply_applies_a_follower_entry_as_soon_as_it_is_appended() {
    let (correct, buggy) = run_both(Bug::EagerApply, |bugs| {
        let mut follower = restarted(config_with(1, 3, bugs), &durable(1, None, 0, &[]));
        // Once entry 1 is durable, the bug hands it out to apply.
        let ready = deliver(&mut follower, 2, append(1, (0, 0), entries_from(1, &[1]), 0));
        (ready.committed.len(), follower.commit_index(), follower.applied_index())
    });
    assert_eq!(correct, (0, 0, 0), "nothing is committed, nothing is applied");
    assert_eq!(buggy, (1, 0, 1), "the bug applies what it appended");
}

#[test]
fn stalled_follower_is_never_probed_again_after_two_rejections() {
    let (correct, buggy) = run_both(Bug::StalledFollower, |bugs| {
        let mut leader = restarted(config_with(1, 3, bugs), &durable(2, None, 0, &[1, 1, 2, 2]));
        win_election(&mut leader);
        let term = leader.term();
        // Node 2 holds only entries of term 1 the leader lacks: it rejects the probe after entry
        // 4, then the one after entry 2.
        let first = deliver(&mut leader, 2, rejected(term, 4, 3, Some(1)));
        let second = deliver(&mut leader, 2, rejected(term, 2, 1, None));
        let probes = appends_to(&first, 2).len() + appends_to(&second, 2).len();
        // A heartbeat interval later, does the leader still send node 2 entries?
        leader.tick();
        leader.tick();
        let later = take_ready(&mut leader);
        let entries: usize = appends_to(&later, 2).iter().map(|append| append.entries.len()).sum();
        (probes, entries > 0)
    });
    assert_eq!(correct, (2, true), "the leader probes after each rejection and keeps going");
    assert_eq!(buggy, (1, false), "the bug gives up after the second rejection");
}

#[test]
fn reprobe_on_stale_rejection_probes_again_on_a_duplicated_rejection() {
    let (correct, buggy) = run_both(Bug::ReprobeOnStaleRejection, |bugs| {
        let mut leader = restarted(config_with(1, 3, bugs), &durable(2, None, 0, &[1, 1, 2, 2]));
        win_election(&mut leader);
        let term = leader.term();
        // Node 2 rejects the append after entry 4; the leader backs off to entry 2 and probes.
        let first = deliver(&mut leader, 2, rejected(term, 4, 3, Some(1)));
        // The same rejection again (duplicated, or late): it answers a superseded probe.
        let again = deliver(&mut leader, 2, rejected(term, 4, 3, Some(1)));
        (appends_to(&first, 2).len(), appends_to(&again, 2).len())
    });
    assert_eq!(correct, (1, 0), "a stale rejection is ignored");
    assert_eq!(buggy, (1, 1), "the bug probes again for the same rejection");
}

#[test]
fn vote_by_index_only_elects_a_longer_log_of_an_older_term() {
    let (correct, buggy) = run_both(Bug::VoteByIndexOnly, |bugs| {
        let mut voter = restarted(config_with(1, 3, bugs), &durable(2, None, 0, &[1, 2]));
        // The candidate's log is longer but ends in term 1; the voter's ends in term 2.
        granted(&deliver(&mut voter, 2, request_vote(3, 5, 1)))
    });
    assert!(!correct, "a later last term is more up-to-date than a longer log");
    assert!(buggy, "the bug compares lengths only");
}

#[test]
fn prevote_bumps_term_inflates_the_term_of_a_server_cut_off_from_its_peers() {
    let (correct, buggy) = run_both(Bug::PreVoteBumpsTerm, |bugs| {
        let config = Config { pre_vote: true, ..config_with(1, 3, bugs) };
        let mut node = restarted(config, &durable(2, None, 0, &[2]));
        // Alone for ten election timeouts: every PreVote goes unanswered.
        for _ in 0..200 {
            node.tick();
            take_ready(&mut node);
        }
        node.term()
    });
    assert_eq!(correct, 2, "a PreVote never raises the term");
    assert!(buggy > 5, "the bug raises it at every attempt: {buggy}");
}

/// A whole snapshot of `(index, term)` in one chunk, from the leader of `term`.
fn snapshot_of(term: u64, index: u64, snapshot_term: u64) -> Message {
    Message::InstallSnapshot(Box::new(raftsim_raft::InstallSnapshot {
        term,
        index,
        snapshot_term,
        offset: 0,
        data: b"image".to_vec(),
        done: true,
        membership: raftsim_raft::Membership::of_voters(&[1, 2, 3]).encode(),
    }))
}

#[test]
fn stale_snapshot_install_moves_a_follower_back_behind_its_commit_index() {
    let (correct, buggy) = run_both(Bug::StaleSnapshotInstall, |bugs| {
        let mut follower = restarted(config_with(2, 3, bugs), &durable(2, None, 4, &[1, 1, 2, 2]));
        deliver(&mut follower, 1, append(2, (4, 2), Vec::new(), 4));
        let before = follower.applied_index();
        let ready = deliver(&mut follower, 1, snapshot_of(2, 2, 1));
        let reapplied: Vec<u64> = ready.committed.iter().map(|entry| entry.index).collect();
        (before, ready.snapshot.map(|snapshot| snapshot.index), reapplied)
    });
    assert_eq!(correct, (4, None, vec![]), "a snapshot behind the commit index is ignored");
    assert_eq!(
        buggy,
        (4, Some(2), vec![3, 4]),
        "the bug installs it: the state machine goes back to 2 and applies 3 and 4 again"
    );
}

#[test]
fn snapshot_keeps_suffix_leaves_entries_of_another_history_after_the_snapshot() {
    let (correct, buggy) = run_both(Bug::SnapshotKeepsSuffix, |bugs| {
        // Entries 2 and 3 of term 1 were never committed; the leader of term 3 snapshots an
        // index 2 of term 2.
        let mut follower = restarted(config_with(2, 3, bugs), &durable(1, None, 1, &[1, 1, 1]));
        let ready = deliver(&mut follower, 1, snapshot_of(3, 2, 2));
        (follower.log().last_index(), ready.log_from)
    });
    assert_eq!(correct, (2, Some(3)), "the conflicting suffix goes, on disk too");
    assert_eq!(buggy, (3, None), "the bug keeps entry 3 of term 1 after a term-2 snapshot");
}

#[test]
fn compact_uncommitted_folds_entries_past_the_commit_index_into_the_snapshot() {
    let (correct, buggy) = run_both(Bug::CompactUncommitted, |bugs| {
        let mut follower = restarted(config_with(2, 3, bugs), &durable(2, None, 2, &[1, 1, 2, 2]));
        take_ready(&mut follower);
        follower.compact(2, b"image".to_vec());
        let ready = take_ready(&mut follower);
        let snapshot = ready.snapshot.expect("a snapshot to persist");
        (snapshot.index, follower.commit_index())
    });
    assert_eq!(correct, (2, 2), "compacted up to what was applied");
    assert_eq!(buggy, (4, 2), "the bug compacts the uncommitted entries 3 and 4 too");
}

#[test]
fn no_check_quorum_stepdown_keeps_a_leader_that_hears_from_a_minority() {
    let (correct, buggy) = run_both(Bug::NoCheckQuorumStepdown, |bugs| {
        let config = Config { check_quorum: true, ..config_with(1, 5, bugs) };
        let mut leader = Node::new(config).unwrap();
        win_election(&mut leader);
        let term = leader.term();
        // Node 2 keeps answering, the other three are silent: two of five, not a majority.
        // Five election timeouts later, does it still lead the same term?
        for _ in 0..100 {
            leader.tick();
            take_ready(&mut leader);
            if leader.role() != RoleKind::Leader {
                return false;
            }
            deliver(&mut leader, 2, accepted(term, 0));
        }
        leader.term() == term
    });
    assert!(!correct, "CheckQuorum steps the leader down");
    assert!(buggy, "the bug keeps leading without a majority");
}

#[test]
fn ack_before_fsync_acknowledges_entries_before_they_are_durable() {
    let (correct, buggy) = run_both(Bug::AckBeforeFsync, |bugs| {
        let mut follower = restarted(config_with(1, 3, bugs), &durable(1, None, 0, &[]));
        let message = append(1, (0, 0), entries_from(1, &[1]), 0);
        let ready = step_unacknowledged(&mut follower, 2, message);
        assert_eq!(ready.log_from, Some(1), "the entry is handed out for writing");
        // The write is not acknowledged yet: what may leave at once?
        ready
            .messages
            .iter()
            .any(|envelope| matches!(envelope.message, Message::AppendEntriesResponse(_)))
    });
    assert!(!correct, "the acknowledgement waits for the disk");
    assert!(buggy, "the bug sends it before the fsync");
}

#[test]
fn truncate_at_corruption_votes_with_a_log_that_lost_acknowledged_entries() {
    let (correct, buggy) = run_both(Bug::TruncateAtCorruption, |bugs| {
        // Its storage found index 3 (of 4) corrupted: the log it read ends at 2.
        let damage = LogDamage { from: 3, through: 4, term: 1 };
        let disk = DurableState { damage: Some(damage), ..durable(1, None, 2, &[1, 1]) };
        let mut voter = restarted(config_with(1, 3, bugs), &disk);
        // A candidate whose log ends at 2 too: as up to date as what the voter still holds.
        let granted = granted(&deliver(&mut voter, 2, request_vote(2, 2, 1)));
        (granted, voter.log_damage().is_some())
    });
    assert_eq!(correct, (false, true), "no vote until the log is repaired past the damage");
    assert_eq!(buggy, (true, false), "the bug takes the corruption for the end of its log");
}

#[test]
fn retry_fsync_carries_on_after_a_failed_fsync() {
    let (correct, buggy) = run_both(Bug::RetryFsync, |bugs| {
        let mut follower = restarted(config_with(1, 3, bugs), &durable(1, None, 0, &[]));
        let message = append(1, (0, 0), entries_from(1, &[1]), 0);
        let ready = step_unacknowledged(&mut follower, 2, message);
        let write = ready.write_id.expect("the entry is written");
        follower.on_persist_failed(write)
    });
    assert_eq!(correct, AfterPersistFailure::Stop, "the node must restart from its disk");
    assert_eq!(buggy, AfterPersistFailure::CarryOn, "the bug takes the write as durable");
}

#[test]
fn vote_before_fsync_sends_a_grant_before_the_vote_is_durable() {
    let (correct, buggy) = run_both(Bug::VoteBeforeFsync, |bugs| {
        let mut voter = restarted(config_with(1, 3, bugs), &durable(0, None, 0, &[]));
        let ready = step_unacknowledged(&mut voter, 2, request_vote(1, 0, 0));
        assert_eq!(ready.hard_state.map(|state| state.vote), Some(Some(2)), "the vote is written");
        let early = |envelope: &Envelope| matches!(&envelope.message, Message::RequestVoteResponse(response) if response.granted);
        ready.messages.iter().any(early)
    });
    assert!(!correct, "the grant waits for the disk");
    assert!(buggy, "the bug sends it before the fsync");
}

#[test]
fn no_session_dedup_leaves_the_raft_itself_unchanged() {
    // The rule belongs to the service above Raft (the simulator's key-value store breaks it):
    // the Raft must replicate a retried command as it would any other, bug or no bug.
    let (correct, buggy) = run_both(Bug::NoSessionDedup, |bugs| {
        let mut leader = restarted(config_with(1, 3, bugs), &durable(0, None, 0, &[]));
        let mut outputs = vec![format!("{:?}", win_election(&mut leader))];
        for _ in 0..2 {
            let command = raftsim_raft::Payload::from_slice(b"the same command, retried");
            outputs.push(format!("{:?}", leader.propose(command)));
            outputs.push(format!("{:?}", take_ready(&mut leader)));
        }
        outputs
    });
    assert_eq!(correct, buggy);
    assert_eq!(correct.len(), 5, "both proposals were taken");
    assert_ne!(correct[2], correct[4], "the retry is a new entry");
}

#[test]
fn stale_leader_read_answers_a_read_without_a_round() {
    let (correct, buggy) = run_both(Bug::StaleLeaderRead, |bugs| {
        let mut leader = Node::new(config_with(1, 3, bugs)).unwrap();
        win_election(&mut leader);
        let term = leader.term();
        deliver(&mut leader, 2, accepted(term, 1));
        assert_eq!(leader.commit_index(), 1, "the no-op is committed");
        leader.read_index(7, ReadKind::ReadIndex).unwrap();
        let ready = take_ready(&mut leader);
        let rounds = ready
            .all_messages()
            .filter(|envelope| matches!(envelope.message, Message::ReadHeartbeat(_)))
            .count();
        (ready.reads, rounds)
    });
    assert_eq!(correct, (vec![], 2), "a round to both followers first");
    assert_eq!(buggy, (vec![ReadState { context: 7, index: 1 }], 0), "the bug answers at once");
}

#[test]
fn read_before_noop_answers_with_a_new_leaders_stale_commit_index() {
    let (correct, buggy) = run_both(Bug::ReadBeforeNoop, |bugs| {
        // Entry 2 was committed by the old leader; this server knows only index 1 committed.
        let mut leader = restarted(config_with(1, 3, bugs), &durable(1, None, 1, &[1, 1]));
        win_election(&mut leader);
        let term = leader.term();
        leader.read_index(7, ReadKind::ReadIndex).unwrap();
        take_ready(&mut leader);
        let mut reads = deliver(&mut leader, 2, read_heartbeat_response(term, 1)).reads;
        reads.extend(deliver(&mut leader, 2, accepted(term, 3)).reads); // The no-op commits.
        reads.extend(deliver(&mut leader, 2, read_heartbeat_response(term, 1)).reads);
        reads
    });
    assert_eq!(correct, [ReadState { context: 7, index: 3 }], "after the no-op, at its index");
    assert_eq!(buggy, [ReadState { context: 7, index: 1 }], "the bug serves the stale index");
}

#[test]
fn lease_ignores_skew_trusts_the_lease_for_a_whole_election_timeout() {
    let (correct, buggy) = run_both(Bug::LeaseIgnoresSkew, |bugs| {
        // Clocks may run at half or twice the normal rate; the shortest timeout is 10 ticks.
        let lease = LeaseClock { tick_us: 1_000, tick_percent_min: 50, tick_percent_max: 200 };
        let config = Config { check_quorum: true, lease: Some(lease), ..config_with(1, 3, bugs) };
        let mut leader = Node::new(config).unwrap();
        win_election(&mut leader);
        let term = leader.term();
        deliver(&mut leader, 2, accepted(term, 1));
        leader.set_clock(5_000);
        leader.read_index(7, ReadKind::ReadIndex).unwrap();
        take_ready(&mut leader);
        deliver(&mut leader, 2, read_heartbeat_response(term, 1)); // Sent at 5000 µs.
        lease_end_us(&leader) - 5_000
    });
    assert_eq!(correct, 2_250, "(10 − 1) ticks of 1000 µs, times 50 / 200");
    assert_eq!(buggy, 9_000, "the bug takes every clock to run at the same rate");
}

/// The test that shows `bug` breaks its rule. A `match` without a wildcard: a new bug does not
/// compile until it has a test here.
fn test_for(bug: Bug) -> (&'static str, fn()) {
    match bug {
        Bug::VoteWithoutLogCheck => (
            "vote_without_log_check_elects_a_candidate_with_a_stale_log",
            vote_without_log_check_elects_a_candidate_with_a_stale_log,
        ),
        Bug::DoubleVote => (
            "double_vote_backs_two_candidates_in_one_term",
            double_vote_backs_two_candidates_in_one_term,
        ),
        Bug::ForgetVoteOnRestart => (
            "forget_vote_on_restart_votes_again_in_the_same_term_after_a_crash",
            forget_vote_on_restart_votes_again_in_the_same_term_after_a_crash,
        ),
        Bug::CommitPriorTerm => (
            "commit_prior_term_commits_an_old_entry_by_counting_replicas",
            commit_prior_term_commits_an_old_entry_by_counting_replicas,
        ),
        Bug::CommitWithoutQuorum => (
            "commit_without_quorum_commits_an_entry_held_by_a_minority",
            commit_without_quorum_commits_an_entry_held_by_a_minority,
        ),
        Bug::TruncateOnStaleAppend => (
            "truncate_on_stale_append_erases_entries_already_acknowledged",
            truncate_on_stale_append_erases_entries_already_acknowledged,
        ),
        Bug::SkipPrevLogCheck => (
            "skip_prev_log_check_appends_after_an_entry_the_leader_does_not_have",
            skip_prev_log_check_appends_after_an_entry_the_leader_does_not_have,
        ),
        Bug::AcceptStaleTerm => (
            "accept_stale_term_follows_a_deposed_leader",
            accept_stale_term_follows_a_deposed_leader,
        ),
        Bug::ApplyUncommitted => (
            "apply_uncommitted_hands_out_entries_before_they_are_committed",
            apply_uncommitted_hands_out_entries_before_they_are_committed,
        ),
        Bug::IgnoreChecksum => {
            ("ignore_checksum_acts_on_a_damaged_frame", ignore_checksum_acts_on_a_damaged_frame)
        }
        Bug::UnpersistedTruncation => (
            "unpersisted_truncation_leaves_a_removed_suffix_on_disk",
            unpersisted_truncation_leaves_a_removed_suffix_on_disk,
        ),
        Bug::UnrecordedVote => (
            "unrecorded_vote_grants_a_second_candidate_without_recording_it",
            unrecorded_vote_grants_a_second_candidate_without_recording_it,
        ),
        Bug::EagerApply => (
            "eager_apply_applies_a_follower_entry_as_soon_as_it_is_appended",
            eager_apply_applies_a_follower_entry_as_soon_as_it_is_appended,
        ),
        Bug::StalledFollower => (
            "stalled_follower_is_never_probed_again_after_two_rejections",
            stalled_follower_is_never_probed_again_after_two_rejections,
        ),
        Bug::VoteByIndexOnly => (
            "vote_by_index_only_elects_a_longer_log_of_an_older_term",
            vote_by_index_only_elects_a_longer_log_of_an_older_term,
        ),
        Bug::PreVoteBumpsTerm => (
            "prevote_bumps_term_inflates_the_term_of_a_server_cut_off_from_its_peers",
            prevote_bumps_term_inflates_the_term_of_a_server_cut_off_from_its_peers,
        ),
        Bug::StaleSnapshotInstall => (
            "stale_snapshot_install_moves_a_follower_back_behind_its_commit_index",
            stale_snapshot_install_moves_a_follower_back_behind_its_commit_index,
        ),
        Bug::SnapshotKeepsSuffix => (
            "snapshot_keeps_suffix_leaves_entries_of_another_history_after_the_snapshot",
            snapshot_keeps_suffix_leaves_entries_of_another_history_after_the_snapshot,
        ),
        Bug::CompactUncommitted => (
            "compact_uncommitted_folds_entries_past_the_commit_index_into_the_snapshot",
            compact_uncommitted_folds_entries_past_the_commit_index_into_the_snapshot,
        ),
        Bug::NoCheckQuorumStepdown => (
            "no_check_quorum_stepdown_keeps_a_leader_that_hears_from_a_minority",
            no_check_quorum_stepdown_keeps_a_leader_that_hears_from_a_minority,
        ),
        Bug::ReprobeOnStaleRejection => (
            "reprobe_on_stale_rejection_probes_again_on_a_duplicated_rejection",
            reprobe_on_stale_rejection_probes_again_on_a_duplicated_rejection,
        ),
        Bug::AckBeforeFsync => (
            "ack_before_fsync_acknowledges_entries_before_they_are_durable",
            ack_before_fsync_acknowledges_entries_before_they_are_durable,
        ),
        Bug::TruncateAtCorruption => (
            "truncate_at_corruption_votes_with_a_log_that_lost_acknowledged_entries",
            truncate_at_corruption_votes_with_a_log_that_lost_acknowledged_entries,
        ),
        Bug::RetryFsync => (
            "retry_fsync_carries_on_after_a_failed_fsync",
            retry_fsync_carries_on_after_a_failed_fsync,
        ),
        Bug::VoteBeforeFsync => (
            "vote_before_fsync_sends_a_grant_before_the_vote_is_durable",
            vote_before_fsync_sends_a_grant_before_the_vote_is_durable,
        ),
        Bug::StaleLeaderRead => (
            "stale_leader_read_answers_a_read_without_a_round",
            stale_leader_read_answers_a_read_without_a_round,
        ),
        Bug::ReadBeforeNoop => (
            "read_before_noop_answers_with_a_new_leaders_stale_commit_index",
            read_before_noop_answers_with_a_new_leaders_stale_commit_index,
        ),
        Bug::LeaseIgnoresSkew => (
            "lease_ignores_skew_trusts_the_lease_for_a_whole_election_timeout",
            lease_ignores_skew_trusts_the_lease_for_a_whole_election_timeout,
        ),
        Bug::NoSessionDedup => (
            "no_session_dedup_leaves_the_raft_itself_unchanged",
            no_session_dedup_leaves_the_raft_itself_unchanged,
        ),
        Bug::ForwardedWriteTwice => (
            "forwarded_write_twice_leaves_the_raft_itself_unchanged",
            forwarded_write_twice_leaves_the_raft_itself_unchanged,
        ),
        Bug::SingleServerNoCurrentTermCommit => (
            "single_server_no_current_term_commit_changes_the_configuration_before_the_noop_commits",
            single_server_no_current_term_commit_changes_the_configuration_before_the_noop_commits,
        ),
        Bug::JointCommitNewOnly => (
            "joint_commit_new_only_commits_without_a_majority_of_the_outgoing_voters",
            joint_commit_new_only_commits_without_a_majority_of_the_outgoing_voters,
        ),
        Bug::RemovedLeaderStays => (
            "removed_leader_stays_keeps_leading_after_its_removal_commits",
            removed_leader_stays_keeps_leading_after_its_removal_commits,
        ),
        Bug::LearnerVotes => (
            "learner_votes_elects_a_candidate_with_a_learners_vote",
            learner_votes_elects_a_candidate_with_a_learners_vote,
        ),
        Bug::ConfigFromUncommittedSnapshot => (
            "config_from_uncommitted_snapshot_ships_an_uncommitted_configuration_in_a_snapshot",
            config_from_uncommitted_snapshot_ships_an_uncommitted_configuration_in_a_snapshot,
        ),
    }
}

/// A leader of a 3-server cluster whose no-op is committed (node 2 acknowledged it).
fn leader_with_committed_noop(config: Config) -> Node {
    let mut leader = Node::new(config).unwrap();
    win_election(&mut leader);
    let term = leader.term();
    deliver(&mut leader, 2, accepted(term, 1));
    assert_eq!(leader.commit_index(), 1, "the no-op is committed");
    leader
}

#[test]
fn forwarded_write_twice_leaves_the_raft_itself_unchanged() {
    // The rule belongs to the forwarding layer above Raft (the simulator's servers break it).
    let (correct, buggy) = run_both(Bug::ForwardedWriteTwice, |bugs| {
        let mut leader = leader_with_committed_noop(config_with(1, 3, bugs));
        let command = raftsim_raft::Payload::from_slice(b"a forwarded write");
        (leader.propose(command), format!("{:?}", take_ready(&mut leader)))
    });
    assert_eq!(correct, buggy);
}

#[test]
fn every_injected_bug_has_a_test_and_each_test_passes() {
    let mut names = std::collections::BTreeSet::new();
    for &bug in Bug::ALL {
        let (name, test) = test_for(bug);
        assert!(names.insert(name), "{bug} shares its test with another bug");
        assert!(
            name.starts_with(&bug.name().replace('-', "_")),
            "the test for {bug} is named after it: {name}"
        );
        test();
    }
    assert_eq!(names.len(), Bug::ALL.len());
}

#[test]
fn no_bug_is_enabled_by_default() {
    assert!(Config::new(1, vec![1, 2, 3]).bugs.is_empty());
    assert_eq!(Bugs::default(), Bugs::NONE);
}

#[test]
fn single_server_no_current_term_commit_changes_the_configuration_before_the_noop_commits() {
    let (correct, buggy) = run_both(Bug::SingleServerNoCurrentTermCommit, |bugs| {
        // Entry 1 is an earlier leader's and committed; the new leader's no-op (2) is not yet.
        let mut leader = restarted(config_with(1, 3, bugs), &durable(1, None, 1, &[1]));
        win_election(&mut leader);
        assert_eq!((leader.term(), leader.commit_index()), (2, 1));
        let result = leader.propose_change(&[Change::AddVoter(4)], false);
        take_ready(&mut leader);
        (result, leader.membership().voters.clone(), leader.log().last_index())
    });
    assert_eq!(correct, (Err(ChangeError::Pending), vec![1, 2, 3], 2), "not before the no-op");
    assert_eq!(buggy, (Ok(3), vec![1, 2, 3, 4], 3), "the bug appends the change at once");
}

#[test]
fn joint_commit_new_only_commits_without_a_majority_of_the_outgoing_voters() {
    let (correct, buggy) = run_both(Bug::JointCommitNewOnly, |bugs| {
        let mut leader = leader_with_committed_noop(config_with(1, 3, bugs));
        let term = leader.term();
        // Replace 3 by 4: joint, incoming {1, 2, 4}, outgoing {1, 2, 3}.
        let index = leader.propose_change(&[Change::AddVoter(4), Change::Remove(3)], false);
        assert_eq!(index, Ok(2));
        take_ready(&mut leader);
        assert_eq!(leader.membership(), &joint_of(&[1, 2, 4], &[1, 2, 3]));
        // Nodes 1 and 4 hold it: a majority of the incoming voters, one of three outgoing.
        deliver(&mut leader, 4, accepted(term, 2));
        let with_incoming_only = leader.commit_index();
        // Node 2 too: majorities of both.
        deliver(&mut leader, 2, accepted(term, 2));
        (with_incoming_only, leader.commit_index())
    });
    assert_eq!(correct, (1, 2), "both majorities are needed while joint");
    assert_eq!(buggy, (2, 2), "the bug commits with the incoming majority alone");
}

#[test]
fn removed_leader_stays_keeps_leading_after_its_removal_commits() {
    let (correct, buggy) = run_both(Bug::RemovedLeaderStays, |bugs| {
        let mut leader = leader_with_committed_noop(config_with(1, 3, bugs));
        let term = leader.term();
        assert_eq!(leader.propose_change(&[Change::Remove(1)], false), Ok(2));
        take_ready(&mut leader);
        // The new voters {2, 3} both acknowledge the change; the leader does not count.
        deliver(&mut leader, 2, accepted(term, 2));
        let before_commit = leader.role();
        deliver(&mut leader, 3, accepted(term, 2));
        assert_eq!(leader.commit_index(), 2, "the removal is committed");
        (before_commit, leader.role())
    });
    assert_eq!(correct, (RoleKind::Leader, RoleKind::Follower), "it leads until then");
    assert_eq!(buggy, (RoleKind::Leader, RoleKind::Leader), "the bug keeps leading");
}

#[test]
fn learner_votes_elects_a_candidate_with_a_learners_vote() {
    // Voters {1, 2, 3} and learner 4, known from a committed configuration entry.
    let disk = DurableState {
        entries: vec![config_entry(1, 1, membership_of(&[1, 2, 3], &[4]))],
        ..durable(1, None, 1, &[])
    };
    // A learner asked for its vote grants it, bug or not (thesis §4.1: servers answer votes
    // without consulting their configuration); whether it counts is the candidate's business.
    let (correct, buggy) = run_both(Bug::LearnerVotes, |bugs| {
        let mut learner = restarted(Config { bugs, ..config(4, &[]) }, &disk);
        granted(&deliver(&mut learner, 1, request_vote(2, 1, 1)))
    });
    assert!(correct && buggy, "a learner answers like any server");
    // A candidate has the learner's grant and its own: two of four servers, one of three voters.
    let (correct, buggy) = run_both(Bug::LearnerVotes, |bugs| {
        let mut candidate = restarted(config_with(1, 3, bugs), &disk);
        let ready = tick_until_campaign(&mut candidate);
        let asked = messages_to(&ready, 4).len();
        let term = candidate.term();
        deliver(&mut candidate, 4, vote_response(term, true));
        (asked, candidate.role())
    });
    assert_eq!(correct, (0, RoleKind::Candidate), "the learner is neither asked nor counted");
    assert_eq!(buggy, (1, RoleKind::Leader), "the bug counts the learner's vote");
}

#[test]
fn config_from_uncommitted_snapshot_ships_an_uncommitted_configuration_in_a_snapshot() {
    let (correct, buggy) = run_both(Bug::ConfigFromUncommittedSnapshot, |bugs| {
        let mut leader = leader_with_committed_noop(config_with(1, 3, bugs));
        take_ready(&mut leader);
        // The change (entry 2) is uncommitted; the state machine snapshots the no-op (1).
        assert_eq!(leader.propose_change(&[Change::AddLearner(4)], false), Ok(2));
        take_ready(&mut leader);
        assert!(leader.compact(1, b"image".to_vec()));
        let snapshot = leader.snapshot().expect("a snapshot").clone();
        assert_eq!(take_ready(&mut leader).snapshot.as_ref(), Some(&snapshot), "persisted");
        // A new server installs it before it holds entry 2.
        let mut follower = Node::new(config_with(3, 3, bugs)).unwrap();
        let chunk = InstallSnapshot {
            term: leader.term(),
            index: snapshot.index,
            snapshot_term: snapshot.term,
            offset: 0,
            data: snapshot.data.clone(),
            done: true,
            membership: snapshot.membership.encode(),
        };
        deliver(&mut follower, 1, Message::InstallSnapshot(Box::new(chunk)));
        assert_eq!(follower.log().snapshot_index(), 1, "installed");
        (snapshot.membership, follower.membership().clone())
    });
    let committed = membership_of(&[1, 2, 3], &[]);
    assert_eq!(correct, (committed.clone(), committed), "the configuration at index 1");
    let uncommitted = membership_of(&[1, 2, 3], &[4]);
    assert_eq!(buggy, (uncommitted.clone(), uncommitted), "the bug ships entry 2's");
}
