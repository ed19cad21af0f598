//! Applied ⊆ committed (§5.3):
//!
//! > "Once the leader has determined an entry is committed it applies it to its state machine."
//! > A server applies only committed entries, in log order.
//!
//! Each entry a state machine applies must, at that moment, be in the ground-truth committed
//! prefix at its index: the chained hash of everything the machine applied up to it equals the
//! committed prefix hash there. This implies State Machine Safety for everything applied (every
//! server applies the one committed log), and it catches an early apply even when the entry is
//! later committed after all, which comparing servers with one another never could.

use super::{Checked, CommitRecord, Property, Violation};
use crate::raft_under_test::{Index, NodeId, Snapshot};
use crate::state_machine::StateMachine;

/// `node` writes (or restores from) `snapshot`: everything up to its index applied at once. Its
/// image must be the state machine at that index, and that state the committed log's. Returns
/// the image's chained hash: the prefix hash at the snapshot's index.
///
/// A snapshot behind the record's folded base cannot be judged: only a server whose disk held
/// nothing when it was folded (a spare, a new incarnation) installs one there, from a stale
/// message, and what it goes on to write and apply is judged from the base on.
pub fn check_snapshot(
    node: NodeId,
    snapshot: &Snapshot,
    committed: &CommitRecord,
) -> Result<u64, Box<Violation>> {
    let index = snapshot.index;
    let hash = match StateMachine::restore(snapshot) {
        Ok(machine) => machine.applied_hash(),
        Err(error) => {
            let detail = format!("node {node} holds a snapshot that is not its state: {error}");
            return Err(Violation::new(
                Property::AppliedCommitted,
                vec![node],
                Some(index),
                detail,
            ));
        }
    };
    match committed.prefix(index) {
        Some(prefix) if prefix == hash => Ok(hash),
        // Behind the folded base: only a server whose disk held nothing then installs there
        // (from a stale message); the log it goes on with is judged from the base on.
        None if index < committed.base_index() => Ok(hash),
        Some(_) => {
            let detail = format!(
                "node {node} holds a snapshot at index {index} of a history other than the \
                 committed one"
            );
            Err(Violation::new(Property::AppliedCommitted, vec![node], Some(index), detail))
        }
        None => {
            let detail = format!(
                "node {node} holds a snapshot at index {index}, past the committed log (which \
                 ends at {}): it folded in uncommitted entries",
                committed.last_index()
            );
            Err(Violation::new(Property::AppliedCommitted, vec![node], Some(index), detail))
        }
    }
}

/// `node` applied the entry at `index`, its chained applied hash now `hash`.
///
/// An index behind the record's folded base cannot be judged on its own: only a server whose
/// disk held nothing when it was folded (a spare, a new incarnation) applies there, from a
/// stale append, and its applied hash chain is judged when it reaches the base.
pub fn check(node: NodeId, index: Index, hash: u64, committed: &CommitRecord) -> Checked {
    if index < committed.base_index() {
        return Ok(());
    }
    match committed.prefix(index) {
        Some(prefix) if prefix == hash => Ok(()),
        Some(_) => {
            let detail = format!(
                "node {node} applied an entry at index {index} other than the one committed \
                     there (or after a different history)"
            );
            Err(Violation::new(Property::AppliedCommitted, vec![node], Some(index), detail))
        }
        None => {
            let detail = format!(
                "node {node} applied index {index} before it was committed (no majority \
                     holds it durably in its term; committed up to {})",
                committed.last_index()
            );
            Err(Violation::new(Property::AppliedCommitted, vec![node], Some(index), detail))
        }
    }
}
