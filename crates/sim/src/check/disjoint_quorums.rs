//! No two disjoint quorums in one term (Raft §5.2 and §6, thesis §4.1):
//!
//! > "Each server will vote for at most one candidate in a given term [...] The majority rule
//! > ensures that at most one candidate can win the election for a particular term."
//!
//! With a fixed membership, election safety follows from one vote per voter per term. While
//! the membership changes, it also needs every two configurations in use at once to share a
//! voter in all their quorums — which is what one-at-a-time changes, joint consensus, and
//! committing an entry of the leader's term before a change (Ongaro's 2015 fix) guarantee, and
//! what a learner counted as a voter breaks. So the checker holds every election to it, from
//! the wire: each candidate's configuration is the one in effect at the end of the log it
//! campaigned with (its written log when its vote request left), its votes are its own and the
//! grants that left its voters; once those are a quorum of that configuration, the term has a
//! quorum. Two candidates with a quorum in one term, or a server that leads a term in which it
//! campaigned without gathering one, violate the property.
//!
//! Across terms, two configurations can only elect apart if one was created beside another
//! still uncommitted: so a leader appends a configuration only once the one before it in its
//! log is committed and an entry of its own term is (the second is Ongaro's 2015 fix: without
//! it, an earlier leader's change that reached only a minority can still win an election
//! later, with a quorum disjoint from the new change's). The checker judges this from ground
//! truth too: what the leader wrote, against what is committed.

use std::collections::BTreeMap;

use super::{CommitRecord, LogView, Property, Violation};
use crate::raft_under_test::{Index, Membership, NodeId, Term};

/// One candidate's campaign in one term.
struct Candidacy {
    /// The configuration it campaigned in.
    membership: Membership,
    /// Servers whose vote it has (itself included), bit `id - 1`.
    votes: u64,
}

/// Every campaign of the live terms, and the quorum each term had.
#[derive(Default)]
pub struct DisjointQuorums {
    candidacies: BTreeMap<(Term, NodeId), Candidacy>,
    /// The candidate whose votes first made a quorum in each term.
    quorum_of: BTreeMap<Term, NodeId>,
}

fn describe(votes: u64) -> Vec<NodeId> {
    (1..=64).filter(|&node| votes & Membership::bit(node) != 0).collect()
}

impl DisjointQuorums {
    /// `candidate` asked for votes in `term`, campaigning in `membership`. Its first request of
    /// the term fixes it: a candidate's log does not change while it campaigns.
    pub fn on_vote_request(&mut self, candidate: NodeId, term: Term, membership: &Membership) {
        self.candidacies.entry((term, candidate)).or_insert_with(|| Candidacy {
            membership: membership.clone(),
            votes: Membership::bit(candidate),
        });
    }

    /// `voter` granted `candidate` its vote in `term`.
    pub fn on_grant(
        &mut self,
        voter: NodeId,
        term: Term,
        candidate: NodeId,
    ) -> Result<(), Box<Violation>> {
        let Some(candidacy) = self.candidacies.get_mut(&(term, candidate)) else {
            return Ok(()); // A request of a forgotten term.
        };
        candidacy.votes |= Membership::bit(voter);
        if !candidacy.membership.is_quorum(candidacy.votes) {
            return Ok(());
        }
        match self.quorum_of.get(&term) {
            None => {
                self.quorum_of.insert(term, candidate);
                Ok(())
            }
            Some(&first) if first == candidate => Ok(()),
            Some(&first) => {
                let other = &self.candidacies[&(term, first)];
                let candidacy = &self.candidacies[&(term, candidate)];
                let detail = format!(
                    "two quorums in term {term}: node {first} had votes from {:?} ({}), and \
                     node {candidate} from {:?} ({})",
                    describe(other.votes),
                    other.membership,
                    describe(candidacy.votes),
                    candidacy.membership
                );
                Err(Violation::new(Property::DisjointQuorums, vec![first, candidate], None, detail))
            }
        }
    }

    /// `node` led `term`: if it campaigned in that term, it must have had a quorum.
    pub fn on_led(&self, node: NodeId, term: Term) -> Result<(), Box<Violation>> {
        let Some(candidacy) = self.candidacies.get(&(term, node)) else { return Ok(()) };
        if self.quorum_of.get(&term) == Some(&node) {
            return Ok(());
        }
        let detail = format!(
            "node {node} leads term {term} with votes from {:?} only, not a quorum of its \
             configuration ({})",
            describe(candidacy.votes),
            candidacy.membership
        );
        Err(Violation::new(Property::DisjointQuorums, vec![node], None, detail))
    }

    /// Forgets the terms before `term`, in which nobody can campaign or vote any more.
    pub fn forget_before(&mut self, term: Term) {
        self.candidacies = self.candidacies.split_off(&(term, 0));
        self.quorum_of = self.quorum_of.split_off(&term);
    }
}

/// The leader of `term` wrote a configuration entry at `index` into `log`: the configuration
/// before it in the log, and an entry of `term`, must already be committed.
pub fn check_configuration_append(
    leader: NodeId,
    term: Term,
    log: &LogView,
    index: Index,
    committed: &CommitRecord,
) -> Result<(), Box<Violation>> {
    let committed_through = committed.last_index();
    let configurations = log.configurations().after(0);
    let previous = configurations.iter().rev().map(|&(at, _)| at).find(|&at| at < index);
    let previous = previous.unwrap_or(0); // The first configuration, or a snapshot's: committed.
    // The leader's entries of its term end its log, contiguous: the first is its no-op.
    let mut first_of_term = index;
    while first_of_term > log.base_index() && log.term(first_of_term - 1) == Some(term) {
        first_of_term -= 1;
    }
    // A snapshot holds only committed entries: one ending in the term counts too.
    let snapshot_in_term = first_of_term == log.base_index() + 1
        && log.base_index() > 0
        && log.term(log.base_index()) == Some(term);
    let in_term = (first_of_term < index && first_of_term <= committed_through) || snapshot_in_term;
    let (what, why) = if previous > committed_through {
        (format!("while the configuration at index {previous} was not committed"), "")
    } else if !in_term {
        (
            format!("before any entry of term {term} was committed"),
            ": a change an earlier leader left on a minority may still be elected, with a \
             quorum disjoint from this one's (Ongaro, 2015)",
        )
    } else {
        return Ok(());
    };
    let detail = format!(
        "leader {leader} of term {term} appended a configuration at index {index} {what}{why}"
    );
    Err(Violation::new(Property::DisjointQuorums, vec![leader], Some(index), detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joint(voters: &[NodeId], outgoing: &[NodeId]) -> Membership {
        Membership { voters: voters.to_vec(), outgoing: outgoing.to_vec(), learners: Vec::new() }
    }

    #[test]
    fn configurations_whose_quorums_do_not_meet_are_caught() {
        // Ongaro's bug: node 1 campaigns in {1, 2, 3, 4, 5} with an uncommitted addition, node
        // 2 in {2, 3, 4} with a removal: {1, 4, 5} and {2, 3} are quorums of each, disjoint.
        let mut quorums = DisjointQuorums::default();
        quorums.on_vote_request(1, 3, &Membership::of_voters(&[1, 2, 3, 4, 5]));
        quorums.on_vote_request(2, 3, &Membership::of_voters(&[2, 3, 4]));
        quorums.on_grant(4, 3, 1).unwrap();
        quorums.on_grant(5, 3, 1).unwrap();
        quorums.on_led(1, 3).unwrap();
        let violation = quorums.on_grant(3, 3, 2).unwrap_err();
        assert_eq!(violation.property, Property::DisjointQuorums);
        assert_eq!(violation.nodes, vec![1, 2]);
    }

    #[test]
    fn a_leader_without_a_quorum_is_caught_and_joint_needs_both_majorities() {
        let mut quorums = DisjointQuorums::default();
        // Joint {1, 2, 3} → {3, 4, 5}: votes from 1 and 2 are the old majority only.
        quorums.on_vote_request(1, 2, &joint(&[3, 4, 5], &[1, 2, 3]));
        quorums.on_grant(2, 2, 1).unwrap();
        let violation = quorums.on_led(1, 2).unwrap_err();
        assert!(violation.detail.contains("not a quorum"), "{}", violation.detail);
        quorums.on_grant(4, 2, 1).unwrap();
        assert!(quorums.on_led(1, 2).is_err(), "still no incoming majority");
        quorums.on_grant(5, 2, 1).unwrap();
        quorums.on_led(1, 2).unwrap();
    }

    #[test]
    fn legal_elections_pass_and_old_terms_are_forgotten() {
        let mut quorums = DisjointQuorums::default();
        let voters = Membership::of_voters(&[1, 2, 3]);
        // A split vote, then a winner in the next term; a late grant to a loser changes nothing.
        quorums.on_vote_request(1, 1, &voters);
        quorums.on_vote_request(2, 1, &voters);
        quorums.on_grant(3, 1, 2).unwrap();
        quorums.on_led(2, 1).unwrap();
        quorums.on_vote_request(1, 2, &voters);
        quorums.on_grant(2, 2, 1).unwrap();
        quorums.on_grant(3, 2, 1).unwrap();
        quorums.on_led(1, 2).unwrap();
        // A server seen leading without campaigning is election safety's business, not this.
        quorums.on_led(3, 5).unwrap();
        quorums.forget_before(2);
        assert!(quorums.candidacies.keys().all(|&(term, _)| term >= 2));
        quorums.on_grant(2, 1, 1).unwrap(); // A grant of a forgotten term is moot.
    }
}
