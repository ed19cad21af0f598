//! A sans-IO Raft state machine.
//!
//! # The model
//!
//! A [`Node`] is one Raft server's protocol state and nothing else: it owns no sockets, files,
//! threads, clocks or global randomness. Everything it learns comes in through three inputs,
//! and everything it wants done comes out through one output:
//!
//! | input | meaning |
//! |---|---|
//! | [`Node::tick`] | one unit of logical time passed (the driver decides how long a tick is) |
//! | [`Node::step`] | a message from a peer arrived |
//! | [`Node::propose`] | a client asks the leader to replicate a command |
//! | [`Node::compact`] | the driver's state machine took a snapshot: the log may be compacted behind it |
//!
//! The output is a [`Ready`], drained with [`Node::ready`]: state that must become durable
//! (hard state and log writes), messages to send, and committed entries to apply. Because the
//! node never performs I/O, the same code runs under the deterministic simulator in
//! `raftsim-sim` and could run under a real network runtime unchanged.
//!
//! The protocol is Raft as in the paper's Figure 2: randomized election timeouts drawn from a
//! seeded ChaCha stream in the [`Config`]; RequestVote with the up-to-date-log check and one
//! vote per term; AppendEntries with the previous-entry consistency check, truncation only on a
//! real conflict and fast backtracking by conflict term; a no-op entry at the start of each
//! leader term; and the commitment rule that counts replicas only for entries of the leader's
//! own term (Figure 8). Leaders pipeline appends per follower within a bounded window
//! ([`Progress`]) and batch entries by count and bytes; a follower holds an append that the
//! network delivered ahead of the one before it until that one arrives, so reordering costs no
//! resend. The log starts after a [`Snapshot`]
//! (§7): the driver snapshots its state machine and calls [`Node::compact`], and a leader sends
//! a follower that needs compacted entries its snapshot, one chunk per answer, each within the
//! per-message byte limit.
//!
//! # The driver contract
//!
//! After any input the driver takes a [`Ready`] and must, in this order:
//! 1. **write** its hard state and log write to stable storage, and acknowledge them with
//!    [`Node::on_persisted`] once they are durable (at once, for a synchronous disk; when the
//!    fsync completes, for an asynchronous one),
//! 2. **send** its messages: `messages` at once, `persisted_messages` once every write handed
//!    out so far is durable,
//! 3. **apply** its committed entries — after restoring the state machine from `snapshot` if
//!    the node installed one from its leader (`snapshot_installed`).
//!
//! [`Ready`]'s documentation explains why. To restart a crashed server, hand
//! [`Node::restart`] exactly what step 1 made durable, as a [`DurableState`], with the state
//! machine restored from its snapshot (if any).
//!
//! Storage fails, and the contract says how. If an fsync fails, report it with
//! [`Node::on_persist_failed`]: a correct node answers [`AfterPersistFailure::Stop`], and the
//! driver must discard it and restart it from its disk — the failed write may be gone whatever
//! a retry says. If, at restart, the storage finds log records corrupted (by their checksums)
//! that were durable and so may have been acknowledged, it hands back the log up to the first
//! bad record and says what was lost in [`DurableState::damage`]; the node then neither votes
//! nor campaigns until its leader has repaired its log past the damage ([`LogDamage`] explains
//! why that is safe). A torn tail — a write a crash cut short, never acknowledged — is simply
//! truncated and is not damage.
//!
//! Messages travel as checksummed frames: [`FrameCodec`] encodes an [`Envelope`] and decodes
//! one, rejecting any damaged, truncated or foreign frame with a [`CodecError`].
//!
//! # An example driver loop
//!
//! Three servers in one process, with a perfect network that delivers every message at once:
//!
//! ```
//! use raftsim_raft::{Config, DurableState, FrameCodec, Node, Ready, RoleKind};
//!
//! let voters = vec![1, 2, 3];
//! let mut nodes: Vec<Node> = voters
//!     .iter()
//!     .map(|&id| Node::new(Config { seed: id, ..Config::new(id, voters.clone()) }).unwrap())
//!     .collect();
//! let mut disks = vec![DurableState::default(); 3];
//! let codec = FrameCodec::new(&voters, true);
//! let mut network: Vec<Vec<u8>> = Vec::new();
//! let mut applied = vec![Vec::new(); 3];
//! let mut ready = Ready::default();
//!
//! for _ in 0..100 {
//!     for i in 0..3 {
//!         nodes[i].tick();
//!     }
//!     // Deliver until the network is quiet, draining each node's output after each input.
//!     loop {
//!         for i in 0..3 {
//!             nodes[i].ready(&mut ready);
//!             ready.persist_into(&mut disks[i]); // 1. write, synchronously, and acknowledge
//!             if let Some(write_id) = ready.write_id {
//!                 nodes[i].on_persisted(write_id);
//!             }
//!             for envelope in ready.all_messages() {
//!                 network.push(codec.encode(envelope)); // 2. send
//!             }
//!             applied[i].extend(ready.committed.iter().map(|entry| entry.index)); // 3. apply
//!         }
//!         let Some(frame) = network.pop() else { break };
//!         let envelope = codec.decode(&frame).expect("an undamaged frame");
//!         let to = (envelope.to - 1) as usize;
//!         nodes[to].step(envelope).unwrap();
//!     }
//!     if let Some(leader) = nodes.iter_mut().find(|node| node.role() == RoleKind::Leader) {
//!         let _ = leader.propose(b"set x = 1".into());
//!     }
//! }
//! assert_eq!(nodes.iter().filter(|node| node.role() == RoleKind::Leader).count(), 1);
//! assert!(applied.iter().all(|entries| entries.len() > 10));
//!
//! // A crash loses everything but the disk; the server comes back from it.
//! let restarted = Node::restart(nodes[0].config().clone(), &disks[0], 0).unwrap();
//! assert_eq!(restarted.term(), nodes[0].term());
//! assert_eq!(restarted.log(), nodes[0].log());
//! ```
//!
//! # Injected bugs
//!
//! [`Config::bugs`] can break one rule at a time ([`Bug`]), to prove that the simulator catches
//! each broken rule. All are off by default.
//!
//! # Local invariants
//!
//! The node asserts its own invariants after every input (commit index within the log, applied
//! index within the commit index, terms never decreasing, a leader never truncating its own
//! log). The simulator checks the same properties globally, across all servers.

#![deny(missing_docs)]

mod bugs;
mod codec;
mod config;
mod election;
mod entry;
mod held_appends;
mod log;
mod membership;
mod message;
mod node;
mod payload;
mod progress;
mod read;
mod ready;
mod reconfiguration;
mod recovery;
mod replication;
mod snapshot;
mod types;

pub use bugs::{Bug, Bugs, UnknownBug};
pub use codec::{CodecError, FRAME_HEADER_BYTES, FRAME_PAYLOAD_BYTES_MAX, FrameCodec};
pub use config::{Config, ConfigError, VOTERS_MAX};
pub use entry::{Entry, EntryData};
pub use log::Log;
pub use membership::{Change, ChangeError, Membership, NODE_ID_MAX};
pub use message::{
    AppendEntries, AppendEntriesResponse, AppendOutcome, ConflictHint, Envelope, InstallSnapshot,
    InstallSnapshotResponse, Message, ReadIndexRequest, ReadIndexResponse, ReadRound, RequestVote,
    RequestVoteResponse, TimeoutNow,
};
pub use node::{Node, ProposeError, RoleKind, StepError, TransferError};
pub use payload::{PAYLOAD_INLINE_BYTES, Payload};
pub use progress::{Progress, ReplicationState};
pub use read::{LeaseClock, ReadError, ReadKind, ReadState};
pub use ready::{AfterPersistFailure, DurableState, HardState, Ready, WriteId};
pub use recovery::LogDamage;
pub use snapshot::Snapshot;
pub use types::{Index, NodeId, Term};
