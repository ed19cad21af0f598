//! What a timeline sees of a step beyond its record: the event in words, and every frame the
//! step handed to the network, with where the network sent it.
//!
//! A record says that a frame was delivered, not when it left or what it was; a timeline that
//! draws messages as arrows from their sending to their delivery needs both. The world keeps
//! this only while describing ([`World::describe_events`]): otherwise it costs one branch per
//! frame sent, and noting never draws from a random stream or touches the run, so describing
//! never changes behaviour.

use super::World;
use crate::event::{Damage, Event};
use crate::raft_under_test::{MessageSummary, NodeId, RaftUnderTest, Term};

/// One frame handed to the network during the current step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentFrame {
    /// The sender.
    pub from: NodeId,
    /// The recipient, as the message addressed it (possibly no node of the cluster, in which
    /// case nothing receives it).
    pub to: NodeId,
    /// The message's kind ([`crate::raft_under_test::MessageKind::name`]).
    pub kind: &'static str,
    /// The sender's term, as the message states it.
    pub term: Term,
    /// The message in words ([`RaftUnderTest::describe`]).
    pub description: String,
    /// When the network delivers it; `None` if the network (or the address) lost it.
    pub deliver_at_us: Option<u64>,
    /// When the network delivers a duplicate of it, if it made one.
    pub duplicate_at_us: Option<u64>,
    /// What the network did to its bytes.
    pub damage: Damage,
    /// The digest of the bytes delivered, as the delivery's record carries it (its `b` field's
    /// low 32 bits), so that a delivery can be matched with its sending.
    pub digest: u32,
}

/// What the world keeps of the current step while describing.
#[derive(Clone, Debug, Default)]
pub(super) struct Description {
    /// The last event in words.
    pub(super) text: String,
    /// Frames the last event's step handed to the network, in the order it did.
    pub(super) sent: Vec<SentFrame>,
}

impl<R: RaftUnderTest> World<R> {
    /// Starts describing the step that processes `event`. Precondition: describing.
    pub(super) fn describe_step(&mut self, event: &Event) {
        let text = self.describe(event);
        let description = self.description.as_mut().expect("describing");
        description.text = text;
        description.sent.clear();
    }

    /// Notes, if describing, that `message` left as `frame` (`None`: lost before the wire, or
    /// the bytes do not matter) to be delivered at `deliver_at_us` (and a duplicate at
    /// `duplicate_at_us`).
    pub(super) fn note_sent(
        &mut self,
        summary: &MessageSummary,
        message: &R::Message,
        frame: Option<&[u8]>,
        deliver_at_us: Option<u64>,
        duplicate_at_us: Option<u64>,
        damage: Damage,
    ) {
        let Some(description) = &mut self.description else { return };
        description.sent.push(SentFrame {
            from: summary.from,
            to: summary.to,
            kind: summary.kind.name(),
            term: summary.term,
            description: R::describe(message),
            deliver_at_us,
            duplicate_at_us,
            damage,
            digest: frame.map_or(0, crate::hash::frame_digest),
        });
    }
}
