//! Snapshots and log compaction (§7): a server compacts its log behind its state machine's
//! snapshot, a leader brings a follower that needs compacted entries up to date with its
//! snapshot in chunks, and a restarted server comes back from snapshot plus log.

mod common;

use common::*;
use raftsim_raft::{Config, Message, Node};

/// Three servers with a small per-message byte limit, so that a snapshot of a few hundred bytes
/// travels in several chunks; node 1 leads and node 3 is cut off.
fn cluster_with_lagging_follower() -> Cluster {
    let mut cluster =
        Cluster::with_configs(3, |config: &mut Config| config.max_bytes_per_message = 64);
    cluster.elect(1);
    cluster.deliver_all();
    cluster.isolate(3);
    for k in 0..20u8 {
        cluster.propose(1, &[k; 8]).expect("the leader takes proposals");
        cluster.deliver_all();
    }
    cluster
}

#[test]
fn compaction_keeps_the_log_after_the_snapshot_and_persists_the_snapshot() {
    let mut cluster = cluster_with_lagging_follower();
    let leader = cluster.node(1);
    let (commit, last) = (leader.commit_index(), leader.log().last_index());
    assert_eq!(commit, last, "everything committed by nodes 1 and 2");
    cluster.compact(1, commit - 3, 300);
    let leader = cluster.node(1);
    assert_eq!(leader.log().snapshot_index(), commit - 3);
    assert_eq!(leader.log().first_index(), commit - 2);
    assert_eq!(leader.log().last_index(), last, "the entries after the snapshot stay");
    let disk = &cluster.disks[0];
    let snapshot = disk.snapshot.as_ref().expect("the snapshot is durable");
    assert_eq!((snapshot.index, snapshot.data.len()), (commit - 3, 300));
    assert_eq!(disk.entries.first().map(|entry| entry.index), Some(commit - 2));
    // A snapshot behind the current one changes nothing.
    let mut node = Node::restart(leader.config().clone(), disk, commit).unwrap();
    assert!(!node.compact(2, b"old".to_vec()));
}

#[test]
fn a_follower_behind_the_snapshot_is_sent_it_in_chunks_and_catches_up() {
    let mut cluster = cluster_with_lagging_follower();
    let commit = cluster.node(1).commit_index();
    cluster.compact(1, commit, 300);
    cluster.heal();
    cluster.take_sent();
    for _ in 0..40 {
        cluster.tick(1);
        cluster.deliver_all();
    }
    let chunks: Vec<(u64, usize, bool)> = cluster
        .take_sent()
        .iter()
        .filter_map(|sent| match &sent.envelope.message {
            Message::InstallSnapshot(chunk) => Some((chunk.offset, chunk.data.len(), chunk.done)),
            _ => None,
        })
        .collect();
    assert_eq!(
        chunks,
        vec![(0, 64, false), (64, 64, false), (128, 64, false), (192, 64, false), (256, 44, true)],
        "one chunk per answer, each within the byte limit"
    );
    let follower = cluster.node(3);
    assert_eq!(follower.log().snapshot_index(), commit);
    assert_eq!(cluster.disks[2].snapshot, cluster.disks[0].snapshot, "installed durably");
    cluster.propose(1, b"after the snapshot").unwrap();
    cluster.deliver_all();
    cluster.tick_times(1, 4); // Heartbeats carry the last commit index.
    cluster.deliver_all();
    cluster.assert_log_matching();
    cluster.assert_applied_agree();
    cluster.assert_converged();
}

#[test]
fn lost_chunks_are_resent_from_where_the_follower_stands() {
    let mut cluster = cluster_with_lagging_follower();
    let commit = cluster.node(1).commit_index();
    cluster.compact(1, commit, 300);
    cluster.heal();
    // The first two chunks arrive; then every message to node 3 is lost for a while.
    for _ in 0..2 {
        cluster.tick_times(1, 2);
        cluster.deliver_all();
    }
    cluster.isolate(3);
    cluster.tick_times(1, 10);
    cluster.heal();
    for _ in 0..40 {
        cluster.tick(1);
        cluster.deliver_all();
    }
    assert_eq!(cluster.node(3).log().snapshot_index(), commit);
    cluster.assert_converged();
}

#[test]
fn a_snapshot_the_follower_already_covers_is_not_installed() {
    let mut cluster = Cluster::new(3);
    cluster.elect(1);
    for k in 0..5u8 {
        cluster.propose(1, &[k]).unwrap();
        cluster.deliver_all();
    }
    let commit = cluster.node(1).commit_index();
    cluster.compact(1, commit, 10);
    let chunk = raftsim_raft::InstallSnapshot {
        term: cluster.node(1).term(),
        index: commit - 2,
        snapshot_term: cluster.node(1).term(),
        offset: 0,
        data: b"stale".to_vec(),
        done: true,
        membership: raftsim_raft::Membership::of_voters(&[1, 2, 3]).encode(),
    };
    let before = cluster.node(2).log().clone();
    cluster.deliver_envelope(raftsim_raft::Envelope {
        from: 1,
        to: 2,
        message: Message::InstallSnapshot(Box::new(chunk)),
    });
    assert_eq!(cluster.node(2).log(), &before, "nothing changes");
}

#[test]
fn a_restarted_server_recovers_from_its_snapshot_and_its_log() {
    let mut cluster = cluster_with_lagging_follower();
    let (commit, last) = (cluster.node(2).commit_index(), cluster.node(2).log().last_index());
    cluster.compact(2, commit - 5, 40);
    cluster.restart(2, commit - 5);
    let node = cluster.node(2);
    assert_eq!((node.log().snapshot_index(), node.log().last_index()), (commit - 5, last));
    assert!(node.commit_index() >= commit - 5, "the snapshot's entries are committed");
    cluster.heal();
    for _ in 0..40 {
        cluster.tick(1);
        cluster.deliver_all();
    }
    cluster.assert_converged();
}
