//! Events and the event queue, in virtual time.
//!
//! The queue orders events by `(time, sequence number)`: the sequence number is assigned at
//! scheduling and breaks ties, so the order is total and the same on every run of a seed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::raft_under_test::NodeId;
use serde::{Deserialize, Serialize};

/// Something that happens at an instant of virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A node's timer fires.
    Tick {
        /// The node.
        node: NodeId,
    },
    /// A frame arrives at a node.
    Deliver {
        /// Recipient.
        to: NodeId,
        /// Sender, as the network saw it (not read from the frame, which may be damaged).
        from: NodeId,
        /// The bytes, possibly damaged in transit.
        frame: Vec<u8>,
        /// What the network did to it: ground truth for the integrity check.
        damage: Damage,
    },
    /// A busy node finishes its current input and takes the next from its inbox.
    Process {
        /// The node.
        node: NodeId,
    },
    /// A client sends (or resends) its current request.
    ClientSend {
        /// The client.
        client: u32,
    },
    /// A client request arrives at a node.
    ClientArrive {
        /// The node.
        node: NodeId,
        /// The client.
        client: u32,
        /// The request's sequence number.
        sequence: u64,
    },
    /// A node's answer arrives at a client.
    ClientReply {
        /// The client.
        client: u32,
        /// The request answered.
        sequence: u64,
        /// The answer.
        reply: Reply,
        /// The key-value store's answer, with [`Reply::Applied`] in the key-value workload.
        output: Option<Box<crate::kv::KvOutput>>,
    },
    /// A client's request timer fires.
    ClientTimeout {
        /// The client.
        client: u32,
        /// The request it was waiting on.
        sequence: u64,
        /// Which attempt the timer belongs to; later attempts make older timers moot.
        attempt: u32,
    },
    /// A scheduled fault starts.
    FaultStart {
        /// Position in the schedule.
        fault: u32,
    },
    /// A scheduled fault ends.
    FaultEnd {
        /// Position in the schedule.
        fault: u32,
    },
    /// One request of a burst is sent.
    BurstSend {
        /// Position of the burst fault in the schedule.
        fault: u32,
        /// Which request of the burst.
        request: u32,
    },
    /// A node's fsync completes (or fails).
    Synced {
        /// The node.
        node: NodeId,
        /// Its incarnation when the fsync started: one of an earlier incarnation is moot.
        incarnation: u64,
    },
    /// The fault window ends: everything heals and the liveness phase starts.
    Heal,
    /// A client frame (a request, or a write a follower forwards) arrives at a server.
    RequestFrame {
        /// The server.
        to: NodeId,
        /// Where it left from: the sending server, or the server beside the sending client.
        from: NodeId,
        /// The bytes, possibly damaged in transit.
        frame: Vec<u8>,
        /// What the network did to it.
        damage: Damage,
    },
    /// A server's answer arrives at a client, as a frame.
    ReplyFrame {
        /// The client.
        client: u32,
        /// The server that sent it.
        from: NodeId,
        /// The bytes, possibly damaged in transit.
        frame: Vec<u8>,
        /// What the network did to it.
        damage: Damage,
    },
    /// The liveness budget is spent.
    Deadline,
    /// The membership workload asks the leader for a configuration change.
    MembershipChange {
        /// Which time of asking for this change: a change the leader cannot take yet is asked
        /// again a tick later, a bounded number of times.
        attempt: u32,
    },
    /// A server whose removal was committed is wiped and booted afresh, as a spare that a
    /// later change may add again.
    Rejoin {
        /// The server.
        node: NodeId,
    },
}

/// What the network did to a frame's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damage {
    /// Nothing: the frame is as sent.
    None = 0,
    /// Bits flipped: the receiver must refuse it.
    Corrupted = 1,
    /// Rewritten and resealed, passing its checksum (the `tamper` fault): the receiver may
    /// refuse it or act on it, but never panic.
    Tampered = 2,
}

/// A node's answer to a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// The command was applied.
    Applied,
    /// Not the leader; try the hinted node.
    Redirect(Option<NodeId>),
    /// The leader is overloaded; try later.
    Busy,
}

impl Reply {
    /// The reply in words, for timelines.
    pub fn describe(&self) -> String {
        match self {
            Reply::Applied => "applied".to_owned(),
            Reply::Redirect(Some(leader)) => format!("redirect to n{leader}"),
            Reply::Redirect(None) => "redirect, leader unknown".to_owned(),
            Reply::Busy => "busy".to_owned(),
        }
    }
}

/// The record of an event, as traces store it and as the event hash covers it.
///
/// Its canonical encoding is fixed-width little-endian: `time_us`, `kind`, `node`, `a`, `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// When it happened.
    pub time_us: u64,
    /// Which kind of event (see [`Event::record`]).
    pub kind: u8,
    /// The node (or client) it concerns.
    pub node: u64,
    /// First kind-specific field.
    pub a: u64,
    /// Second kind-specific field.
    pub b: u64,
}

/// Names of the record kinds, indexed by `EventRecord::kind`.
pub const RECORD_KINDS: &[&str] = &[
    "tick",
    "deliver",
    "process",
    "client-send",
    "client-arrive",
    "client-reply",
    "client-timeout",
    "fault-start",
    "fault-end",
    "burst-send",
    "heal",
    "deadline",
    "fsync",
    "request-frame",
    "reply-frame",
    "membership-change",
    "rejoin",
];

impl EventRecord {
    /// Bytes in the canonical encoding.
    pub const ENCODED_BYTES: usize = 33;

    /// The canonical encoding hashed into the event hash.
    pub fn encode(&self) -> [u8; Self::ENCODED_BYTES] {
        let mut out = [0u8; Self::ENCODED_BYTES];
        out[0..8].copy_from_slice(&self.time_us.to_le_bytes());
        out[8] = self.kind;
        out[9..17].copy_from_slice(&self.node.to_le_bytes());
        out[17..25].copy_from_slice(&self.a.to_le_bytes());
        out[25..33].copy_from_slice(&self.b.to_le_bytes());
        out
    }

    /// The kind's name.
    pub fn kind_name(&self) -> &'static str {
        RECORD_KINDS.get(self.kind as usize).copied().unwrap_or("unknown")
    }
}

impl Event {
    /// The record of this event at `time_us`. Frames are represented by their length and a
    /// 32-bit digest of their content, so hashing stays cheap.
    pub fn record(&self, time_us: u64) -> EventRecord {
        let (kind, node, a, b) = match self {
            Event::Tick { node } => (0, *node, 0, 0),
            Event::Deliver { to, from, frame, damage } => {
                let (a, b) = frame_fields(*from, frame, *damage);
                (1, *to, a, b)
            }
            Event::Process { node } => (2, *node, 0, 0),
            Event::ClientSend { client } => (3, *client as u64, 0, 0),
            Event::ClientArrive { node, client, sequence } => (4, *node, *client as u64, *sequence),
            Event::ClientReply { client, sequence, reply, output } => {
                let code = match reply {
                    Reply::Applied => 0,
                    Reply::Redirect(hint) => 1 + hint.unwrap_or(0),
                    Reply::Busy => u64::MAX,
                };
                // The store's answer is part of the run: its digest joins the reply's code.
                let answer = output.as_ref().map_or(0, |output| {
                    let mut bytes = Vec::new();
                    crate::kv::encode_output(output, &mut bytes);
                    xxhash_rust::xxh3::xxh3_64(&bytes) | 1 << 63
                });
                (5, *client as u64, *sequence, code ^ answer)
            }
            Event::ClientTimeout { client, sequence, attempt } => {
                (6, *client as u64, *sequence, *attempt as u64)
            }
            Event::FaultStart { fault } => (7, 0, *fault as u64, 0),
            Event::FaultEnd { fault } => (8, 0, *fault as u64, 0),
            Event::BurstSend { fault, request } => (9, 0, *fault as u64, *request as u64),
            Event::Heal => (10, 0, 0, 0),
            Event::Deadline => (11, 0, 0, 0),
            Event::Synced { node, incarnation } => (12, *node, *incarnation, 0),
            Event::RequestFrame { to, from, frame, damage } => {
                let (a, b) = frame_fields(*from, frame, *damage);
                (13, *to, a, b)
            }
            Event::ReplyFrame { client, from, frame, damage } => {
                let (a, b) = frame_fields(*from, frame, *damage);
                (14, *client as u64, a, b)
            }
            Event::MembershipChange { attempt } => (15, 0, *attempt as u64, 0),
            Event::Rejoin { node } => (16, *node, 0, 0),
        };
        EventRecord { time_us, kind, node, a, b }
    }
}

/// A frame event's record fields: the sender with the damage in its high 32 bits, and the
/// frame's digest with its length in the high 32 bits.
fn frame_fields(from: NodeId, frame: &[u8], damage: Damage) -> (u64, u64) {
    let digest = crate::hash::frame_digest(frame) as u64;
    (from | (damage as u64) << 32, digest | (frame.len() as u64) << 32)
}

/// Pending events in virtual time.
///
/// The heap holds only packed keys, `(time << 64) | (sequence << 20) | slot`, so that ordering
/// is one integer comparison and sifting moves 16 bytes; each event waits in its slot.
#[derive(Default)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<u128>>,
    /// Events by slot; `None` for free slots. Invariant: every key in `heap` names a `Some`
    /// slot, and every `None` slot is in `free`.
    slots: Vec<Option<Event>>,
    free: Vec<u32>,
    next_sequence: u64,
}

/// Bits of a key that hold the slot.
const SLOT_BITS: u32 = 20;

impl EventQueue {
    /// Most events pending at once; more means a runaway feedback loop in the simulation.
    pub const CAPACITY_MAX: usize = 1 << SLOT_BITS;

    /// Most events one run may schedule (the sequence number's width in a key).
    pub const SEQUENCE_MAX: u64 = 1 << (64 - SLOT_BITS);

    /// Schedules `event` at `time_us`.
    pub fn push(&mut self, time_us: u64, event: Event) {
        assert!(self.heap.len() < Self::CAPACITY_MAX, "event queue overflow");
        let sequence = self.next_sequence;
        assert!(sequence < Self::SEQUENCE_MAX, "event sequence overflow");
        self.next_sequence += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                (self.slots.len() - 1) as u32
            }
        };
        let key = (time_us as u128) << 64 | (sequence as u128) << SLOT_BITS | slot as u128;
        self.heap.push(Reverse(key));
    }

    /// The earliest event, with its time.
    pub fn pop(&mut self) -> Option<(u64, Event)> {
        let Reverse(key) = self.heap.pop()?;
        let slot = (key as u32) & ((1 << SLOT_BITS) - 1);
        let event = self.slots[slot as usize].take().expect("a queued key names an event");
        self.free.push(slot);
        Some(((key >> 64) as u64, event))
    }

    /// Events pending.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut queue = EventQueue::default();
        queue.push(20, Event::Tick { node: 1 });
        queue.push(10, Event::Tick { node: 2 });
        queue.push(20, Event::Tick { node: 3 });
        queue.push(10, Event::Tick { node: 4 });
        let order: Vec<_> = std::iter::from_fn(|| queue.pop())
            .map(|(time, event)| match event {
                Event::Tick { node } => (time, node),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(order, vec![(10, 2), (10, 4), (20, 1), (20, 3)]);
    }

    #[test]
    fn records_encode_every_field() {
        let record = Event::ClientArrive { node: 2, client: 3, sequence: 4 }.record(5);
        let encoded = record.encode();
        assert_eq!(record.kind_name(), "client-arrive");
        assert_eq!(&encoded[0..8], &5u64.to_le_bytes());
        assert_eq!(encoded[8], 4);
        assert_eq!(&encoded[25..33], &4u64.to_le_bytes());
    }
}
