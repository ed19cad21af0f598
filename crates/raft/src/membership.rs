//! Cluster membership (§6 of the Raft paper, thesis chapter 4): who votes, who only listens, and
//! how that changes without two majorities ever deciding apart.
//!
//! A configuration takes effect on a server as soon as its entry is in the server's log,
//! committed or not (thesis §4.1), and the latest one in the log is the one the server uses.
//! Two ways to change it:
//! - **one voter at a time** (thesis §4.2): any majority of the old voters and any majority of
//!   the new share a server, so the change needs no intermediate step — provided the leader
//!   first committed an entry of its own term (Ongaro's 2015 fix) and only one change is
//!   uncommitted at a time;
//! - **joint consensus** (§6), for anything larger: the leader first enters a joint
//!   configuration in which elections and commitment need majorities of both the outgoing and
//!   the incoming voters, and, once that is committed, leaves it for the incoming voters alone.
//!
//! Learners receive the log but neither vote nor count toward any majority; a server catches
//! up as a learner before it is promoted, so that adding it does not stall commitment.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{Index, NodeId, VOTERS_MAX};

/// The largest id a server may have: vote tallies are 64-bit sets indexed by id.
pub const NODE_ID_MAX: NodeId = 63;

/// A configuration: the voters, the voters being left behind while joint, and the learners.
/// Each list is sorted and has no duplicates; no server is in `learners` and a voter list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    /// The (incoming) voters.
    pub voters: Vec<NodeId>,
    /// While joint, the outgoing voters; empty otherwise.
    pub outgoing: Vec<NodeId>,
    /// Servers that receive the log without voting.
    pub learners: Vec<NodeId>,
}

/// One change a configuration change asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Change {
    /// Adds a server that receives the log and does not vote.
    AddLearner(NodeId),
    /// Makes a server a voter: a new one, or a learner promoted.
    AddVoter(NodeId),
    /// Removes a server, voter or learner.
    Remove(NodeId),
}

/// Why a configuration change was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ChangeError {
    /// Only the leader changes the configuration; the hint says who leads, if known.
    #[error("not the leader (leader hint: {leader_hint:?})")]
    NotLeader {
        /// The current leader, as far as this server knows.
        leader_hint: Option<NodeId>,
    },
    /// An earlier change is not committed yet, the configuration is joint, or the leader has
    /// not committed an entry of its term: try again later.
    #[error("a configuration change is already under way")]
    Pending,
    /// The change makes no sense against the configuration in effect.
    #[error("invalid change: {0}")]
    Invalid(String),
    /// The leader is handing its leadership over and takes no new entries meanwhile.
    #[error("leadership transfer in progress")]
    Transferring,
}

/// A set of server ids, as a bit set indexed by id.
pub(crate) type IdSet = u64;

/// The bit of `id` in an [`IdSet`].
pub(crate) fn bit(id: NodeId) -> IdSet {
    debug_assert!(id <= NODE_ID_MAX, "node id {id} beyond {NODE_ID_MAX}");
    1 << id
}

fn set_of(ids: &[NodeId]) -> IdSet {
    ids.iter().fold(0, |set, &id| set | bit(id))
}

fn majority_of(voters: &[NodeId], agreed: IdSet) -> bool {
    (set_of(voters) & agreed).count_ones() as usize > voters.len() / 2
}

/// Largest index that `short + 1` fewer than a majority of `voters` holds, by `matched` (a
/// majority for `short = 0`). On the stack: a leader runs this for every acknowledgement.
fn majority_index(voters: &[NodeId], matched: &impl Fn(NodeId) -> Index, short: usize) -> Index {
    let mut indexes = [0 as Index; VOTERS_MAX];
    let count = voters.len().min(VOTERS_MAX);
    for (slot, &voter) in indexes.iter_mut().zip(&voters[..count]) {
        *slot = matched(voter);
    }
    indexes[..count].sort_unstable_by(|a, b| b.cmp(a));
    indexes[(count / 2).saturating_sub(short)]
}

impl Membership {
    /// A configuration of `voters` alone.
    pub fn of_voters(voters: &[NodeId]) -> Membership {
        let mut voters = voters.to_vec();
        voters.sort_unstable();
        voters.dedup();
        Membership { voters, outgoing: Vec::new(), learners: Vec::new() }
    }

    /// Whether it is a joint configuration.
    pub fn is_joint(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// Whether `id` votes in it (incoming or outgoing).
    pub fn is_voter(&self, id: NodeId) -> bool {
        self.voters.binary_search(&id).is_ok() || self.outgoing.binary_search(&id).is_ok()
    }

    /// Whether `id` is in it at all.
    pub fn contains(&self, id: NodeId) -> bool {
        self.is_voter(id) || self.learners.binary_search(&id).is_ok()
    }

    /// Every voter, incoming and outgoing, ascending, once each.
    pub fn all_voters(&self) -> Vec<NodeId> {
        let mut all: Vec<NodeId> = self.voters.iter().chain(&self.outgoing).copied().collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Every member, voters and learners, ascending, once each.
    pub fn members(&self) -> Vec<NodeId> {
        let mut all = self.all_voters();
        all.extend_from_slice(&self.learners);
        all.sort_unstable();
        all
    }

    /// Whether the servers in `agreed` form a quorum: a majority of the voters, and while joint
    /// a majority of the outgoing voters too. An empty voter list has no quorum.
    pub fn is_quorum(&self, agreed: IdSet) -> bool {
        !self.voters.is_empty()
            && majority_of(&self.voters, agreed)
            && (self.outgoing.is_empty() || majority_of(&self.outgoing, agreed))
    }

    /// The largest index a quorum holds, given what each voter holds.
    pub(crate) fn quorum_index(&self, matched: impl Fn(NodeId) -> Index) -> Index {
        self.quorum_index_short_by(&matched, 0)
    }

    /// As [`Membership::quorum_index`], but one server short of each majority: the
    /// `commit-without-quorum` bug.
    pub(crate) fn quorum_index_less_one(&self, matched: impl Fn(NodeId) -> Index) -> Index {
        self.quorum_index_short_by(&matched, 1)
    }

    fn quorum_index_short_by(&self, matched: &impl Fn(NodeId) -> Index, short: usize) -> Index {
        if self.voters.is_empty() {
            return 0;
        }
        let incoming = majority_index(&self.voters, matched, short);
        if self.outgoing.is_empty() {
            return incoming;
        }
        incoming.min(majority_index(&self.outgoing, matched, short))
    }

    /// What applying `changes` gives: a plain configuration if at most one voter is added or
    /// removed and `joint` is not asked for, a joint one otherwise. Refused while joint, and
    /// if a change names id 0, an id past [`NODE_ID_MAX`], a voter it already is, a server
    /// that is not there, or would leave no voter.
    pub fn apply(&self, changes: &[Change], joint: bool) -> Result<Membership, ChangeError> {
        if self.is_joint() {
            return Err(ChangeError::Pending);
        }
        let invalid = |what: String| Err(ChangeError::Invalid(what));
        let mut voters = self.voters.clone();
        let mut learners = self.learners.clone();
        for &change in changes {
            let (Change::AddLearner(id) | Change::AddVoter(id) | Change::Remove(id)) = change;
            if id == 0 || id > NODE_ID_MAX {
                return invalid(format!("node id {id} outside 1..={NODE_ID_MAX}"));
            }
            match change {
                Change::AddLearner(_) if voters.contains(&id) || learners.contains(&id) => {
                    return invalid(format!("node {id} is already a member"));
                }
                Change::AddLearner(_) => learners.push(id),
                Change::AddVoter(_) if voters.contains(&id) => {
                    return invalid(format!("node {id} is already a voter"));
                }
                Change::AddVoter(_) => {
                    learners.retain(|&learner| learner != id);
                    voters.push(id);
                }
                Change::Remove(_) if !voters.contains(&id) && !learners.contains(&id) => {
                    return invalid(format!("node {id} is not a member"));
                }
                Change::Remove(_) => {
                    voters.retain(|&voter| voter != id);
                    learners.retain(|&learner| learner != id);
                }
            }
        }
        voters.sort_unstable();
        learners.sort_unstable();
        if voters.is_empty() {
            return invalid("no voter would remain".to_owned());
        }
        if voters.len() > VOTERS_MAX || self.voters.len() + voters.len() > 2 * VOTERS_MAX {
            return invalid(format!("more than {VOTERS_MAX} voters"));
        }
        let old = set_of(&self.voters);
        let new = set_of(&voters);
        let voters_changed = (old ^ new).count_ones();
        let outgoing = if joint || voters_changed > 1 { self.voters.clone() } else { Vec::new() };
        Ok(Membership { voters, outgoing, learners })
    }

    /// The configuration that leaves this joint one: the incoming voters alone.
    pub fn leave_joint(&self) -> Membership {
        Membership {
            voters: self.voters.clone(),
            outgoing: Vec::new(),
            learners: self.learners.clone(),
        }
    }

    /// The configuration as bytes: how entries and snapshot messages carry it, in the shape of a
    /// command's bytes (see [`crate::EntryData::Config`]).
    pub fn encode(&self) -> crate::Payload {
        crate::Payload::from(postcard::to_allocvec(self).expect("a configuration encodes"))
    }

    /// The configuration `bytes` encode, if they are one and it is well formed.
    pub fn decode(bytes: &[u8]) -> Option<Membership> {
        postcard::from_bytes(bytes).ok().filter(Membership::is_well_formed)
    }

    /// Checks the structure: lists sorted, no duplicates, ids valid, learners not voting.
    pub fn is_well_formed(&self) -> bool {
        let sorted = |ids: &[NodeId]| {
            ids.windows(2).all(|pair| pair[0] < pair[1])
                && ids.iter().all(|&id| id != 0 && id <= NODE_ID_MAX)
        };
        sorted(&self.voters)
            && sorted(&self.outgoing)
            && sorted(&self.learners)
            && (set_of(&self.learners) & (set_of(&self.voters) | set_of(&self.outgoing))) == 0
    }
}

/// The configurations a log holds: the one its snapshot (or the boot) started from, and every
/// configuration entry after it, by index. The latest is the one in effect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Configurations {
    /// In effect at the log's start (its snapshot, or the boot).
    base: Membership,
    /// Configuration entries after it, by ascending index.
    entries: Vec<(Index, Membership)>,
}

impl Configurations {
    pub(crate) fn new(base: Membership) -> Configurations {
        Configurations { base, entries: Vec::new() }
    }

    /// The configuration in effect: the latest.
    pub(crate) fn latest(&self) -> &Membership {
        self.entries.last().map_or(&self.base, |(_, membership)| membership)
    }

    /// Index of the latest configuration entry (0 if the base is the latest).
    pub(crate) fn latest_index(&self) -> Index {
        self.entries.last().map_or(0, |&(index, _)| index)
    }

    /// The configuration in effect at `index`: the latest at or before it.
    pub(crate) fn at(&self, index: Index) -> &Membership {
        let position = self.entries.partition_point(|&(at, _)| at <= index);
        if position == 0 { &self.base } else { &self.entries[position - 1].1 }
    }

    /// A configuration entry at `index`, past every one recorded.
    pub(crate) fn push(&mut self, index: Index, membership: Membership) {
        debug_assert!(index > self.latest_index(), "configurations out of order");
        self.entries.push((index, membership));
    }

    /// The log lost every entry from `index` on.
    pub(crate) fn truncate(&mut self, index: Index) {
        self.entries.retain(|&(at, _)| at < index);
    }

    /// The log now starts after a snapshot at `index` whose configuration is `base`.
    pub(crate) fn compact(&mut self, index: Index, base: Membership) {
        self.entries.retain(|&(at, _)| at > index);
        self.base = base;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[NodeId]) -> IdSet {
        set_of(list)
    }

    #[test]
    fn a_quorum_needs_both_majorities_while_joint() {
        let plain = Membership::of_voters(&[1, 2, 3]);
        assert!(plain.is_quorum(ids(&[1, 2])));
        assert!(!plain.is_quorum(ids(&[1, 4, 5])));
        let joint = plain.apply(&[Change::AddVoter(4), Change::Remove(1)], false).unwrap();
        assert_eq!(joint.voters, vec![2, 3, 4]);
        assert_eq!(joint.outgoing, vec![1, 2, 3]);
        assert!(!joint.is_quorum(ids(&[3, 4])), "new majority only");
        assert!(!joint.is_quorum(ids(&[1, 2])), "old majority only");
        assert!(joint.is_quorum(ids(&[2, 3])));
        assert!(joint.leave_joint().is_quorum(ids(&[3, 4])));
        assert_eq!(joint.quorum_index(|id| [0, 9, 5, 7, 8][id as usize]), 7);
    }

    #[test]
    fn learners_never_count() {
        let with_learner = Membership::of_voters(&[1, 2, 3]).apply(&[Change::AddLearner(4)], false);
        let with_learner = with_learner.unwrap();
        assert!(!with_learner.is_joint());
        assert!(!with_learner.is_quorum(ids(&[1, 4])));
        assert_eq!(with_learner.quorum_index(|id| if id == 4 { 9 } else { id }), 2);
        let promoted = with_learner.apply(&[Change::AddVoter(4)], false).unwrap();
        assert_eq!(
            (promoted.voters.clone(), promoted.learners.clone()),
            (vec![1, 2, 3, 4], vec![])
        );
        assert!(!promoted.is_joint(), "one voter added: a plain change");
    }

    #[test]
    fn bad_changes_are_refused() {
        let plain = Membership::of_voters(&[1, 2]);
        for (changes, joint) in [
            (vec![Change::AddVoter(1)], false),
            (vec![Change::Remove(7)], false),
            (vec![Change::Remove(1), Change::Remove(2)], false),
            (vec![Change::AddLearner(0)], false),
            (vec![Change::AddLearner(64)], false),
        ] {
            assert!(matches!(plain.apply(&changes, joint), Err(ChangeError::Invalid(_))));
        }
        let joint = plain.apply(&[Change::AddVoter(3)], true).unwrap();
        assert!(joint.is_joint(), "joint when asked");
        assert_eq!(joint.apply(&[Change::AddVoter(4)], false), Err(ChangeError::Pending));
    }

    #[test]
    fn configurations_follow_the_log() {
        let mut configurations = Configurations::new(Membership::of_voters(&[1, 2, 3]));
        configurations.push(5, Membership::of_voters(&[1, 2, 3, 4]));
        configurations.push(9, Membership::of_voters(&[2, 3, 4]));
        assert_eq!(configurations.at(4).voters, vec![1, 2, 3]);
        assert_eq!(configurations.at(5).voters, vec![1, 2, 3, 4]);
        assert_eq!(configurations.latest().voters, vec![2, 3, 4]);
        configurations.truncate(9);
        assert_eq!(configurations.latest_index(), 5);
        configurations.compact(6, configurations.at(6).clone());
        assert_eq!((configurations.latest_index(), configurations.latest().voters.len()), (0, 4));
    }
}
