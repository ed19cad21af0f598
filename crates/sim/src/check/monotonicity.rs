//! Per-server monotonicity (Figure 2's persistent state and §5.1):
//!
//! > "currentTerm: latest term server has seen (initialized to 0 on first boot, increases
//! > monotonically)."
//!
//! The term is persistent, so it holds across restarts: checked on what the disk makes durable,
//! and on what a running server reports (never below its own disk). The commit index is
//! volatile but must never decrease while a server is up: committed is forever.

use super::{Checked, Property, Violation};
use crate::raft_under_test::{NodeId, Observation, Term};

/// `node`'s disk replaced durable term `before` with `now`.
pub fn check_durable_term(node: NodeId, before: Term, now: Term) -> Checked {
    if now < before {
        let detail = format!("node {node}'s disk recorded term {now} after term {before}");
        return Err(Violation::new(Property::TermMonotonic, vec![node], None, detail));
    }
    Ok(())
}

/// `node` reports `now`; `before` is its previous report while running (none after a restart),
/// and `durable_term` the term its disk holds.
pub fn check_observed(
    node: NodeId,
    before: Option<&Observation>,
    now: &Observation,
    durable_term: Term,
) -> Checked {
    let floor = before.map_or(durable_term, |before| before.term.max(durable_term));
    if now.term < floor {
        let detail = format!("node {node}'s term went from {floor} down to {}", now.term);
        return Err(Violation::new(Property::TermMonotonic, vec![node], None, detail));
    }
    if let Some(before) = before
        && now.commit_index < before.commit_index
    {
        let detail = format!(
            "node {node}'s commit index went from {} down to {}",
            before.commit_index, now.commit_index
        );
        let index = Some(before.commit_index);
        return Err(Violation::new(Property::CommitMonotonic, vec![node], index, detail));
    }
    Ok(())
}
