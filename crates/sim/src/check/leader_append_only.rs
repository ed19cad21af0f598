//! Leader Append-Only (§5.3, Figure 3):
//!
//! > "A leader never overwrites or deletes entries in its log; it only appends new entries."
//!
//! Checked per step for a node that was leader before the step and still is, in the same term:
//! any log write must start past its previous last index, and its log must not shrink.

use raftsim_raft::{NodeId, RoleKind};

use super::{Change, NodeState, Property, Violation};

/// Stateless: the previous state of the node is all it needs.
pub struct LeaderAppendOnly;

impl LeaderAppendOnly {
    pub fn check(
        &self,
        node: NodeId,
        before: &NodeState,
        now: &NodeState,
        change: &Change,
    ) -> Result<(), Box<Violation>> {
        let same_reign = before.up
            && before.role == RoleKind::Leader
            && now.role == RoleKind::Leader
            && before.term == now.term;
        if !same_reign {
            return Ok(());
        }
        let overwritten = change.written_from.filter(|&from| from <= before.last_index);
        if overwritten.is_some() || now.last_index < before.last_index {
            let from = overwritten.unwrap_or(now.last_index + 1);
            let detail = format!(
                "leader {node} of term {} rewrote its log from index {from} (last index was {})",
                now.term, before.last_index
            );
            return Err(Violation::new(Property::LeaderAppendOnly, vec![node], Some(from), detail));
        }
        Ok(())
    }
}
