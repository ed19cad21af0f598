//! Applied never rolls back (§7, and §5.3's "apply in log order"):
//!
//! > A server's state machine only ever moves forward: it applies each entry once, in index
//! > order, and a snapshot replaces its state only with a later one.
//!
//! Held per server against what the checker saw it apply: an installed snapshot must not lie
//! behind the last index its state machine applied, an entry must not be applied at or below
//! it, and a snapshot the server compacts into must not lie behind the one its disk already
//! holds — the state it restarts from. (A crash loses the volatile state machine; the restart
//! restores the durable snapshot and re-applies what follows it, which is recovery, not a
//! rollback.)

use super::{Checked, Property, Violation};
use crate::raft_under_test::{Index, NodeId};

/// `node` writes a snapshot at `index`, installed from a leader or (not `installed`) compacted
/// from its own state machine. It has applied up to `applied`, and its disk's snapshot is at
/// `durable`.
pub fn check_snapshot(
    node: NodeId,
    index: Index,
    installed: bool,
    applied: Index,
    durable: Index,
) -> Checked {
    let detail = if installed && index < applied {
        format!(
            "node {node} installs a snapshot at index {index}, behind the {applied} entries its \
             state machine applied: its state would move back"
        )
    } else if index < durable {
        format!(
            "node {node} replaces its durable snapshot at index {durable} with one at {index}: \
             a restart would move its state back"
        )
    } else {
        return Ok(());
    };
    Err(Violation::new(Property::AppliedNeverRollsBack, vec![node], Some(index), detail))
}

/// `node` applies the entry at `index`, having applied up to `applied`.
pub fn check_entry(node: NodeId, index: Index, applied: Index) -> Checked {
    if index > applied {
        return Ok(());
    }
    let detail = format!(
        "node {node} applies index {index} again, having applied up to {applied}: its state \
         machine moves back"
    );
    Err(Violation::new(Property::AppliedNeverRollsBack, vec![node], Some(index), detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_forward_moves_pass() {
        assert!(check_snapshot(1, 10, true, 10, 5).is_ok(), "a snapshot of what was applied");
        assert!(check_snapshot(1, 20, true, 10, 5).is_ok(), "a later snapshot");
        assert!(check_snapshot(1, 8, false, 10, 5).is_ok(), "compacting behind what is applied");
        let back = check_snapshot(1, 8, true, 10, 5).unwrap_err();
        assert_eq!((back.property, back.index), (Property::AppliedNeverRollsBack, Some(8)));
        assert!(check_snapshot(1, 4, false, 10, 5).is_err(), "behind the durable snapshot");
        assert!(check_entry(1, 11, 10).is_ok());
        assert!(check_entry(1, 10, 10).is_err());
        assert!(check_entry(1, 3, 10).is_err());
    }
}
