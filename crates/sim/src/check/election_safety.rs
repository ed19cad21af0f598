//! Election Safety (§5.2, Figure 3):
//!
//! > "At most one leader can be elected in a given term."
//!
//! Checked over the whole run, from two sources: a server that reports itself leader of a term,
//! and — ground truth — a server that *sends* what only a leader of a term sends (an append, a
//! heartbeat, a snapshot, a TimeoutNow). The wire catches a leader that the reports never show,
//! such as one that stepped down before anyone looked.

use std::collections::BTreeMap;

use super::{Property, Violation};
use crate::raft_under_test::{NodeId, Term};

/// How the checker learned that a server led a term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// It reported itself leader.
    Reported,
    /// It sent a message only a leader sends.
    Sent(&'static str),
}

/// The leader of every term seen so far.
#[derive(Default)]
pub struct ElectionSafety {
    leaders: BTreeMap<Term, NodeId>,
}

impl ElectionSafety {
    /// `node` led `term`, as `evidence` shows. Returns whether this is news (the first evidence
    /// of that term's leader).
    pub fn check(
        &mut self,
        node: NodeId,
        term: Term,
        evidence: Evidence,
    ) -> Result<bool, Box<Violation>> {
        match self.leaders.get(&term) {
            Some(&leader) if leader == node => Ok(false),
            Some(&other) => {
                let how = match evidence {
                    Evidence::Reported => "reported itself leader".to_owned(),
                    Evidence::Sent(kind) => format!("sent a leader's {kind}"),
                };
                let detail = format!(
                    "node {other} led term {term}, and then node {node} {how} in term {term}"
                );
                Err(Violation::new(Property::ElectionSafety, vec![other, node], None, detail))
            }
            None => {
                self.leaders.insert(term, node);
                Ok(true)
            }
        }
    }

    /// Forgets the leaders of terms before `term`, which no server can lead any more (see
    /// [`super::Checker`]'s `forget_past_terms`): the record stays as long as the live terms.
    pub fn forget_before(&mut self, term: Term) {
        self.leaders = self.leaders.split_off(&term);
    }

    /// The leader of `term`, if one was seen.
    pub fn leader_of(&self, term: Term) -> Option<NodeId> {
        self.leaders.get(&term).copied()
    }
}
