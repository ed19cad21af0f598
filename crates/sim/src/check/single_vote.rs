//! One vote per term (§5.2 and Figure 2):
//!
//! > "Each server will vote for at most one candidate in a given term, on a first-come-first-
//! > served basis." votedFor is persistent state: "updated on stable storage before responding
//! > to RPCs."
//!
//! Judged from ground truth, not from a voter's own record: every granted vote is recorded as
//! its frame leaves, `(voter, term) → candidate`, and two grants by one voter in one term to
//! different candidates violate the property whatever the voter's state says. At the moment a
//! grant leaves, the voter's *disk* must already have recorded that very vote; and a disk never
//! records two different votes in one term, across restarts too.

use std::collections::BTreeMap;

use super::{Property, Violation};
use crate::raft_under_test::{NodeId, Term};

/// Votes seen on the wire and on disks.
#[derive(Default)]
pub struct SingleVote {
    /// `(voter, term) → candidate`, for every grant that left a voter.
    granted: BTreeMap<(NodeId, Term), NodeId>,
    /// `(voter, term) → candidate`, for every vote a disk made durable.
    durable: BTreeMap<(NodeId, Term), NodeId>,
    /// Terms before this one are forgotten: every server's durable term is past them.
    forgotten_before: Term,
}

impl SingleVote {
    /// Forgets the votes of terms before `term`, in which no server can vote any more.
    pub fn forget_before(&mut self, term: Term) {
        self.forgotten_before = self.forgotten_before.max(term);
        self.granted.retain(|&(_, voted_in), _| voted_in >= term);
        self.durable.retain(|&(_, voted_in), _| voted_in >= term);
    }

    /// `voter`'s disk made durable a vote for `candidate` in `term`.
    pub fn on_durable_vote(
        &mut self,
        voter: NodeId,
        term: Term,
        candidate: NodeId,
    ) -> Result<(), Box<Violation>> {
        let recorded = *self.durable.entry((voter, term)).or_insert(candidate);
        if recorded != candidate {
            let detail = format!(
                "node {voter}'s disk recorded a vote for {recorded} in term {term}, and then one \
                 for {candidate}"
            );
            return Err(Violation::new(
                Property::SingleVote,
                vec![voter, recorded, candidate],
                None,
                detail,
            ));
        }
        Ok(())
    }

    /// A grant of `voter`'s vote in `term` left for `candidate`.
    ///
    /// A grant of a forgotten term is moot: a server's replies wait for its disk, so one
    /// decided long ago can leave after every server has moved on, and no candidate is still in
    /// that term to count it. (A grant sent before its vote is durable is never moot: the
    /// voter's own durable term is then still before the grant's.)
    pub fn on_grant(
        &mut self,
        voter: NodeId,
        term: Term,
        candidate: NodeId,
    ) -> Result<(), Box<Violation>> {
        if term < self.forgotten_before {
            return Ok(());
        }
        let first = *self.granted.entry((voter, term)).or_insert(candidate);
        if first != candidate {
            let detail = format!(
                "node {voter} granted its vote in term {term} to {first} and then to {candidate}"
            );
            return Err(Violation::new(
                Property::SingleVote,
                vec![voter, first, candidate],
                None,
                detail,
            ));
        }
        if self.durable.get(&(voter, term)) != Some(&candidate) {
            let on_disk = match self.durable.get(&(voter, term)) {
                Some(other) => format!("its disk records a vote for {other}"),
                None => "its disk records no vote in that term".to_owned(),
            };
            let detail = format!(
                "node {voter} granted its vote in term {term} to {candidate} before the vote \
                 was durable: {on_disk}"
            );
            return Err(Violation::new(Property::SingleVote, vec![voter, candidate], None, detail));
        }
        Ok(())
    }
}
