//! Micro-benchmarks of the Raft core's hot paths, without a simulator: a follower stepping an
//! AppendEntries batch, a leader's heartbeat round, and a whole three-node election. Run with
//! `cargo bench -p raftsim-raft`; `raftsim bench` measures the whole simulator.

use divan::{Bencher, black_box};
use raftsim_raft::{
    AppendEntries, Config, Entry, EntryData, Envelope, FrameCodec, Message, Node, Payload, Ready,
    RoleKind,
};

fn main() {
    divan::main();
}

fn config(id: u64) -> Config {
    Config { seed: id, ..Config::new(id, vec![1, 2, 3]) }
}

/// A three-node cluster whose node 1 has been elected, with messages delivered instantly.
fn elected_cluster() -> Vec<Node> {
    let mut nodes: Vec<Node> = (1..=3).map(|id| Node::new(config(id)).unwrap()).collect();
    let mut ready = Ready::default();
    while nodes[0].role() != RoleKind::Leader {
        nodes[0].tick();
        deliver_all(&mut nodes, &mut ready);
    }
    nodes
}

/// Drains every node's output and delivers messages until the cluster is quiet.
fn deliver_all(nodes: &mut [Node], ready: &mut Ready) {
    let mut in_flight: Vec<Envelope> = Vec::new();
    loop {
        for node in nodes.iter_mut() {
            node.ready(ready);
            if let Some(write_id) = ready.write_id {
                node.on_persisted(write_id);
            }
            in_flight.append(&mut ready.messages);
            in_flight.append(&mut ready.persisted_messages);
        }
        if in_flight.is_empty() {
            return;
        }
        for envelope in in_flight.drain(..) {
            let to = envelope.to as usize - 1;
            nodes[to].step(envelope).unwrap();
        }
    }
}

/// Node 1's first append of term 1 to node 2, carrying `entries` 16-byte commands.
fn append_batch(entries: u64) -> Envelope {
    let entries = (1..=entries)
        .map(|index| Entry { index, term: 1, data: EntryData::Command(Payload::from(&[7; 16])) })
        .collect();
    let append =
        AppendEntries { term: 1, prev_log_index: 0, prev_log_term: 0, entries, leader_commit: 0 };
    Envelope { from: 1, to: 2, message: Message::AppendEntries(append) }
}

/// A follower appends a batch of `entries` 16-byte commands and answers.
#[divan::bench(args = [1, 16, 64])]
fn follower_steps_append_batch(bencher: Bencher, entries: u64) {
    let append = append_batch(entries);
    let mut ready = Ready::default();
    bencher.with_inputs(|| (Node::new(config(2)).unwrap(), append.clone())).bench_local_values(
        |(mut node, append)| {
            node.step(append).unwrap();
            node.ready(&mut ready);
            black_box(ready.persisted_messages.len())
        },
    );
}

/// A leader's heartbeat round: ticks until it sends heartbeats, and both followers answer.
#[divan::bench]
fn heartbeat_round(bencher: Bencher) {
    let mut nodes = elected_cluster();
    let mut ready = Ready::default();
    bencher.bench_local(|| {
        for _ in 0..config(1).heartbeat_interval_ticks {
            nodes[0].tick();
        }
        deliver_all(&mut nodes, &mut ready);
    });
}

/// A whole election in a three-node cluster, from the first timeout to a committed no-op.
#[divan::bench]
fn election(bencher: Bencher) {
    bencher.bench_local(|| black_box(elected_cluster()));
}

/// Encoding and decoding a 16-entry append as a checksummed frame.
#[divan::bench]
fn frame_round_trip(bencher: Bencher) {
    let codec = FrameCodec::new(&[1, 2, 3], true);
    let envelope = append_batch(16);
    let mut buffer = Vec::new();
    bencher.bench_local(|| {
        buffer.clear();
        codec.encode_into(&envelope, &mut buffer);
        black_box(codec.decode(&buffer).unwrap())
    });
}
