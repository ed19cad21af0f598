//! Readable interaction transcripts, kept as `insta` snapshots in `tests/snapshots/`: a scripted
//! sequence of ticks and deliveries, with every message each step sent and every server's state
//! after it. A change in behaviour shows up as a diff a reviewer can read; regenerate on purpose
//! with `INSTA_UPDATE=always cargo test -p raftsim-raft --test transcripts` (or
//! `cargo insta review`) and read the new transcripts before keeping them.
//!
//! Every server's election timeout is exactly ten ticks, and only the servers a step names are
//! ticked, so each transcript is short and deterministic.

mod common;

use common::render::Transcript;
use common::*;
use raftsim_raft::{Config, DurableState, RoleKind};

const ELECTION_TICKS: u32 = 10;

/// A configuration for server `id` of three with a fixed election timeout.
fn fixed_config(id: u64) -> Config {
    config_with_timeout(id, &voters(3), ELECTION_TICKS)
}

/// Three servers with fixed election timeouts, starting from `disks`.
fn cluster_from(disks: Vec<DurableState>) -> Cluster {
    Cluster::from_disks((1..=3).map(fixed_config).collect(), disks)
}

/// Three fresh servers with fixed election timeouts.
fn fresh_cluster() -> Cluster {
    cluster_from(vec![DurableState::default(); 3])
}

/// Delivers what is queued, one round at a time, recording each round, until quiet.
fn deliver_rounds(transcript: &mut Transcript) {
    while !transcript.cluster.queue.is_empty() {
        let count = transcript.cluster.queue.len();
        let plural = if count == 1 { "" } else { "s" };
        transcript.step(&format!("deliver the {count} queued message{plural}"), |cluster| {
            cluster.deliver_round();
        });
    }
}

/// One heartbeat interval of `leader`, recorded, then its deliveries.
fn heartbeat(transcript: &mut Transcript, leader: u64) {
    let interval = transcript.cluster.node(leader).config().heartbeat_interval_ticks;
    transcript.step(&format!("tick n{leader} x{interval}: heartbeat"), |cluster| {
        cluster.tick_times(leader, interval);
    });
    deliver_rounds(transcript);
}

#[test]
fn three_node_election() {
    let mut transcript = Transcript::new(fresh_cluster(), "a three-node election");
    transcript.step(&format!("tick n1 x{ELECTION_TICKS}: its election timeout expires"), |c| {
        c.tick_times(1, ELECTION_TICKS);
    });
    deliver_rounds(&mut transcript);
    heartbeat(&mut transcript, 1);
    let cluster = &transcript.cluster;
    assert_eq!(cluster.leader(), Some(1));
    cluster.assert_converged();
    insta::assert_snapshot!("three_node_election", transcript.text());
}

#[test]
fn replication_and_commit_of_two_proposals() {
    let mut cluster = fresh_cluster();
    cluster.elect(1);
    cluster.tick_times(1, 2);
    cluster.deliver_all();
    let mut transcript = Transcript::new(cluster, "replication and commit of two proposals");
    transcript.step("propose x then y on n1 (each proposal is sent at once)", |cluster| {
        assert_eq!(cluster.propose(1, b"x"), Ok((2, 1)));
        assert_eq!(cluster.propose(1, b"y"), Ok((3, 1)));
    });
    deliver_rounds(&mut transcript);
    heartbeat(&mut transcript, 1);
    let cluster = &transcript.cluster;
    cluster.assert_converged();
    assert_eq!(cluster.node(2).commit_index(), 3);
    insta::assert_snapshot!("replication_and_commit_of_two_proposals", transcript.text());
}

#[test]
fn conflict_repair_by_fast_backtracking() {
    // n2 led term 2 and appended entries 3-6 that nobody else got; n1 then led term 3 and
    // replicated entries 3-5 to n3, but committed none of them. Entries 1-2 are committed.
    let disks = vec![
        durable(3, Some(1), 2, &[1, 1, 3, 3, 3]),
        durable(2, Some(2), 2, &[1, 1, 2, 2, 2, 2]),
        durable(3, Some(1), 2, &[1, 1, 3, 3, 3]),
    ];
    let mut transcript =
        Transcript::new(cluster_from(disks), "conflict repair by fast backtracking");
    transcript.note("n2's entries 3-6 of term 2 are uncommitted and will be replaced");
    transcript.step(&format!("tick n1 x{ELECTION_TICKS}: its election timeout expires"), |c| {
        c.tick_times(1, ELECTION_TICKS);
    });
    deliver_rounds(&mut transcript);
    heartbeat(&mut transcript, 1);
    let cluster = &transcript.cluster;
    cluster.assert_converged();
    assert_eq!(log_terms(cluster.node(2)), vec![1, 1, 3, 3, 3, 4]);
    insta::assert_snapshot!("conflict_repair_by_fast_backtracking", transcript.text());
}

#[test]
fn leader_change_and_the_old_leader_steps_down() {
    let mut cluster = fresh_cluster();
    cluster.elect(1);
    cluster.propose(1, b"a").unwrap();
    cluster.deliver_all();
    cluster.tick_times(1, 2);
    cluster.deliver_all();
    let mut transcript = Transcript::new(cluster, "leader change; the old leader steps down");
    transcript.step("partition n1 from n2 and n3", |cluster| cluster.isolate(1));
    transcript.step("propose b on n1: its appends are lost", |cluster| {
        assert_eq!(cluster.propose(1, b"b"), Ok((3, 1)));
    });
    transcript.step(&format!("tick n2 x{ELECTION_TICKS}: its election timeout expires"), |c| {
        c.tick_times(2, ELECTION_TICKS);
    });
    deliver_rounds(&mut transcript);
    heartbeat(&mut transcript, 2);
    transcript.step("heal the partition", Cluster::heal);
    transcript.note("n1 still believes it leads term 1");
    heartbeat(&mut transcript, 1);
    transcript.note("n1 learned of term 2 and stepped down; n2's heartbeat repairs its log");
    heartbeat(&mut transcript, 2);
    heartbeat(&mut transcript, 2);
    let cluster = &transcript.cluster;
    assert_eq!(cluster.node(1).role(), RoleKind::Follower);
    assert_eq!(cluster.leader(), Some(2));
    cluster.assert_converged();
    cluster.assert_applied_agree();
    insta::assert_snapshot!("leader_change_and_the_old_leader_steps_down", transcript.text());
}
