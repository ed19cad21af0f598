//! Per-server monotonicity (Figure 2's persistent state and §5.1–§5.2):
//!
//! > "currentTerm: latest term server has seen (initialized to 0 on first boot, increases
//! > monotonically)". "votedFor: candidateId that received vote in current term" — and "each
//! > server will vote for at most one candidate in a given term".
//!
//! Both are persistent, so they hold across restarts. The commit index is volatile but must
//! never decrease while a server is up: committed is forever.

use raftsim_raft::{NodeId, Term};

use super::{NodeState, Property, Violation};

/// The highest term and the vote of each node, remembered across its restarts.
pub struct Monotonicity {
    /// Per node (id − 1): the highest term seen and the first vote cast in it.
    seen: Vec<(Term, Option<NodeId>)>,
}

impl Monotonicity {
    pub fn new(nodes: usize) -> Monotonicity {
        Monotonicity { seen: vec![(0, None); nodes] }
    }

    /// Term never decreases; at most one vote per term.
    pub fn check_term_and_vote(
        &mut self,
        node: NodeId,
        now: &NodeState,
    ) -> Result<(), Box<Violation>> {
        let (term, vote) = &mut self.seen[node as usize - 1];
        if now.term < *term {
            let detail = format!("node {node}'s term went from {term} down to {}", now.term);
            return Err(Violation::new(Property::TermMonotonic, vec![node], None, detail));
        }
        if now.term > *term {
            *term = now.term;
            *vote = now.vote;
            return Ok(());
        }
        match (*vote, now.vote) {
            (Some(first), Some(second)) if first != second => {
                let detail = format!(
                    "node {node} voted for {first} and then for {second} in term {}",
                    now.term
                );
                Err(Violation::new(Property::SingleVote, vec![node, first, second], None, detail))
            }
            (None, Some(_)) => {
                *vote = now.vote;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The commit index never decreases while the node is up.
    pub fn check_commit(
        &self,
        node: NodeId,
        before: &NodeState,
        now: &NodeState,
        restarted: bool,
    ) -> Result<(), Box<Violation>> {
        if !restarted && before.up && now.commit_index < before.commit_index {
            let detail = format!(
                "node {node}'s commit index went from {} down to {}",
                before.commit_index, now.commit_index
            );
            let index = Some(before.commit_index);
            return Err(Violation::new(Property::CommitMonotonic, vec![node], index, detail));
        }
        Ok(())
    }
}
