//! Election Safety (§5.2, Figure 3):
//!
//! > "At most one leader can be elected in a given term."
//!
//! Checked over the whole run: every term's leader is remembered, so a second leader in the
//! same term is caught even if the first has long since stepped down or crashed.

use std::collections::BTreeMap;

use raftsim_raft::{NodeId, Term};

use super::{Property, Violation};

/// The leader of every term seen so far.
#[derive(Default)]
pub struct ElectionSafety {
    leaders: BTreeMap<Term, NodeId>,
}

impl ElectionSafety {
    /// `node` just became leader of `term`.
    pub fn check(&mut self, node: NodeId, term: Term) -> Result<(), Box<Violation>> {
        match self.leaders.insert(term, node) {
            Some(other) if other != node => {
                let detail = format!("nodes {other} and {node} both became leader of term {term}");
                Err(Violation::new(Property::ElectionSafety, vec![other, node], None, detail))
            }
            _ => Ok(()),
        }
    }
}
