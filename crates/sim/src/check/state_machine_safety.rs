//! State Machine Safety (§5.4.3, Figure 3):
//!
//! > "If a server has applied a log entry at a given index to its state machine, no other
//! > server will ever apply a different log entry for the same index."
//!
//! Checked on what servers apply (each applied entry's chained hash against the first one
//! applied at that index, anywhere) and, one step earlier, on what they commit: an entry that
//! one server commits will be applied, so two servers committing different entries at one index
//! is already a violation.

use raftsim_raft::{Index, NodeId, Term};

use super::{CommitRecord, Property, Violation};

/// The chained hash of the applied log at every index applied anywhere.
#[derive(Default)]
pub struct StateMachineSafety {
    applied: Vec<u64>,
}

impl StateMachineSafety {
    /// `node`, in `term`, now has commit index `commit_index` over its durable log `prefix`.
    /// Extends the commit record with newly committed indexes, and compares the node's
    /// committed prefix with the record where they overlap (one comparison suffices: chained
    /// hashes agree at an index only if they agree everywhere below it).
    pub fn check_commit(
        &self,
        node: NodeId,
        term: Term,
        commit_index: Index,
        prefix: &[u64],
        committed: &mut CommitRecord,
    ) -> Result<(), Box<Violation>> {
        if commit_index == 0 {
            return Ok(());
        }
        if commit_index as usize > prefix.len() {
            let detail = format!(
                "node {node} commits index {commit_index} beyond its durable log of {}",
                prefix.len()
            );
            return Err(Violation::new(
                Property::StateMachineSafety,
                vec![node],
                Some(commit_index),
                detail,
            ));
        }
        let overlap = commit_index.min(committed.last_index());
        if overlap > 0 && committed.prefix(overlap) != Some(prefix[overlap as usize - 1]) {
            let index = (1..=overlap)
                .find(|&i| committed.prefix(i) != Some(prefix[i as usize - 1]))
                .expect("the prefixes differ somewhere up to the overlap");
            let detail = format!(
                "node {node} committed a different entry at index {index} than was committed \
                 before"
            );
            return Err(Violation::new(
                Property::StateMachineSafety,
                vec![node],
                Some(index),
                detail,
            ));
        }
        for index in committed.last_index() + 1..=commit_index {
            committed.push(index, term, prefix[index as usize - 1]);
        }
        Ok(())
    }

    /// `node` applied `applied` entries: `(index, chained hash after it)`, in order.
    pub fn check_applied(
        &mut self,
        node: NodeId,
        applied: &[(Index, u64)],
    ) -> Result<(), Box<Violation>> {
        for &(index, hash) in applied {
            let slot = index as usize - 1;
            if slot == self.applied.len() {
                self.applied.push(hash);
            } else if self.applied[slot] != hash {
                let detail = format!(
                    "node {node} applied a different entry at index {index} than another server"
                );
                return Err(Violation::new(
                    Property::StateMachineSafety,
                    vec![node],
                    Some(index),
                    detail,
                ));
            }
        }
        Ok(())
    }
}
