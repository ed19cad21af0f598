//! Leader Completeness (§5.4, Figure 3):
//!
//! > "If a log entry is committed in a given term, then that entry will be present in the logs
//! > of the leaders for all higher-numbered terms."
//!
//! Checked at two moments: when a node becomes leader of term T, its log must hold every entry
//! committed in a term before T; and when new entries are committed in term T, every current
//! leader of a later term must hold them. Each check is one prefix-hash comparison: a leader
//! holds the committed prefix up to index i if and only if its prefix hash at i is the recorded
//! one.

use raftsim_raft::{Index, NodeId, RoleKind, Term};

use super::{ClusterView, CommitRecord, Property, Violation};

/// Stateless: it reads the commit record.
pub struct LeaderCompleteness;

impl LeaderCompleteness {
    /// `node` just became leader of `term` with durable log `prefix`.
    pub fn check_new_leader(
        &self,
        node: NodeId,
        term: Term,
        prefix: &[u64],
        committed: &CommitRecord,
    ) -> Result<(), Box<Violation>> {
        let required = committed.last_index_committed_before(term);
        check_holds(node, term, prefix, required, committed)
    }

    /// Entries above `committed_before` were just committed: every current leader of a term
    /// later than theirs must hold them.
    pub fn check_leaders_after_commit(
        &self,
        cluster: &impl ClusterView,
        committed_before: Index,
        committed: &CommitRecord,
    ) -> Result<(), Box<Violation>> {
        for node in cluster.node_ids() {
            let state = cluster.node_state(node);
            if !state.up || state.role != RoleKind::Leader {
                continue;
            }
            let required = committed.last_index_committed_before(state.term);
            if required > committed_before {
                check_holds(node, state.term, cluster.prefix(node), required, committed)?;
            }
        }
        Ok(())
    }
}

fn check_holds(
    node: NodeId,
    term: Term,
    prefix: &[u64],
    required: Index,
    committed: &CommitRecord,
) -> Result<(), Box<Violation>> {
    if required == 0 {
        return Ok(());
    }
    let held = prefix.get(required as usize - 1).copied();
    if held == committed.prefix(required) {
        return Ok(());
    }
    // Name the first missing entry: where the leader's log parts ways with the committed one.
    let index = (1..=required)
        .find(|&i| prefix.get(i as usize - 1).copied() != committed.prefix(i))
        .expect("the logs differ somewhere up to the required index");
    let detail = format!(
        "leader {node} of term {term} lacks committed entry {index} (its log has {} entries, \
         {required} were committed before term {term})",
        prefix.len()
    );
    Err(Violation::new(Property::LeaderCompleteness, vec![node], Some(index), detail))
}
