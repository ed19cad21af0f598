//! Leader stability: what PreVote and CheckQuorum promise (Raft thesis §9.6 and §6.2).
//!
//! > "A server that has been partitioned from the cluster is likely to time out and start a
//! > new election [...] when it rejoins, it will cause the cluster's leader to step down. The
//! > Pre-Vote phase prevents this."
//!
//! Stated as a property: once a leader is connected (both ways) to a quorum of servers in its
//! term, no disk holds a later term, and every server connected to it has heard from it since
//! the last fault came or went, none of those servers durably enters a later term for as long
//! as they all stay up and connected to it — whatever the servers outside do (a partitioned
//! server that comes back must not depose it). Hearing from the leader is what puts a server
//! in its lease; before that, votes granted in the confusion of a fault may still be in
//! flight, and a term change is legitimate. It is not a law of every Raft:
//! faults other than partitions (a pause, a crash of the leader, loss, overload) can depose a
//! leader legitimately, so it is checked only in the scenarios built for it
//! (`leader_stability`), whose only faults are partitions. Judged from ground truth: the leader
//! is one that sent a leader's messages in its term, terms are what the disks hold, and
//! connectivity is the network's.

use super::{Checked, Property, Violation};
use crate::raft_under_test::{NodeId, Term};

/// One server, as the simulator sees it after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// The server.
    pub node: NodeId,
    /// The term its disk holds.
    pub durable_term: Term,
    /// Whether it runs and is connected both ways to the would-be stable leader (which is
    /// connected to itself).
    pub connected: bool,
    /// Whether it received a leader's message from the would-be stable leader, in its term,
    /// since the last fault came or went (the leader has heard from itself).
    pub heard: bool,
}

/// The stable leader, once there is one, and the servers that were in its term with it.
#[derive(Clone, Debug, Default)]
pub struct LeaderStability {
    stable: Option<Stable>,
}

#[derive(Clone, Debug)]
struct Stable {
    leader: NodeId,
    term: Term,
    /// The quorum that was in `term`, connected to the leader, when it became stable.
    members: Vec<NodeId>,
}

impl LeaderStability {
    /// After a step: `leader` led `term` (as its messages prove, and no disk holds a later
    /// term), and `members` is every server, connected or not to the stable leader if there is
    /// one, else to `leader`. Establishes the stable leader once every server connected to it
    /// has heard from it and they are a quorum of `quorum` in its term; from then on reports any
    /// of those servers entering a later term, unless one of them went down or lost its link to
    /// the leader first, which voids the promise until a leader is stable again.
    pub fn check(
        &mut self,
        leader: Option<(NodeId, Term)>,
        members: &[Member],
        quorum: usize,
    ) -> Checked {
        let Some(stable) = &self.stable else {
            let Some((leader, term)) = leader else { return Ok(()) };
            let connected = || members.iter().filter(|member| member.connected);
            if !connected().all(|member| member.heard) {
                return Ok(());
            }
            let with_it: Vec<NodeId> = connected()
                .filter(|member| member.durable_term == term)
                .map(|member| member.node)
                .collect();
            if with_it.contains(&leader) && with_it.len() >= quorum {
                self.stable = Some(Stable { leader, term, members: with_it });
            }
            return Ok(());
        };
        let in_quorum = |member: &&Member| stable.members.contains(&member.node);
        if members.iter().filter(in_quorum).any(|member| !member.connected) {
            self.stable = None;
            return Ok(());
        }
        for member in members.iter().filter(in_quorum) {
            if member.durable_term > stable.term {
                let detail = format!(
                    "node {} entered term {} after node {} led term {} with a quorum ({}) and \
                     no fault active",
                    member.node,
                    member.durable_term,
                    stable.leader,
                    stable.term,
                    names(&stable.members)
                );
                return Err(Violation::new(
                    Property::LeaderStability,
                    vec![member.node, stable.leader],
                    None,
                    detail,
                ));
            }
        }
        Ok(())
    }

    /// The stable leader and its term, once established.
    pub fn stable(&self) -> Option<(NodeId, Term)> {
        self.stable.as_ref().map(|stable| (stable.leader, stable.term))
    }
}

fn names(nodes: &[NodeId]) -> String {
    nodes.iter().map(|node| format!("n{node}")).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Servers `1..` with their durable terms and connectivity; the connected ones have heard
    /// from the leader.
    fn members(terms: &[(Term, bool)]) -> Vec<Member> {
        terms
            .iter()
            .enumerate()
            .map(|(k, &(durable_term, connected))| Member {
                node: k as NodeId + 1,
                durable_term,
                connected,
                heard: connected,
            })
            .collect()
    }

    #[test]
    fn a_rejoining_server_that_deposes_a_stable_leader_is_caught() {
        let mut stability = LeaderStability::default();
        // Node 5 comes back from a partition with an inflated term; nodes 1-4 follow node 1.
        let before = members(&[(3, true), (3, true), (3, true), (3, true), (9, true)]);
        stability.check(Some((1, 3)), &before, 3).unwrap();
        assert_eq!(stability.stable(), Some((1, 3)));
        // Its higher term reaches the leader, which steps down into term 9.
        let after = members(&[(9, true), (3, true), (3, true), (3, true), (9, true)]);
        let violation = stability.check(None, &after, 3).unwrap_err();
        assert_eq!(violation.property, Property::LeaderStability);
        assert_eq!(violation.nodes, vec![1, 1]);
    }

    #[test]
    fn a_rejoining_server_that_follows_the_leader_is_legal() {
        let mut stability = LeaderStability::default();
        let before = members(&[(3, true), (3, true), (3, true), (3, true), (2, true)]);
        stability.check(Some((1, 3)), &before, 3).unwrap();
        // With PreVote the rejoining node never raised its term; it adopts the leader's.
        let after = members(&[(3, true), (3, true), (3, true), (3, true), (3, true)]);
        stability.check(Some((1, 3)), &after, 3).unwrap();
    }

    #[test]
    fn a_server_outside_the_stable_quorum_may_move_on() {
        let mut stability = LeaderStability::default();
        let before = members(&[(3, true), (3, true), (3, true), (1, false), (1, false)]);
        stability.check(Some((1, 3)), &before, 3).unwrap();
        let after = members(&[(3, true), (3, true), (3, true), (7, false), (1, false)]);
        stability.check(Some((1, 3)), &after, 3).unwrap();
    }

    #[test]
    fn no_stable_leader_until_every_connected_server_heard_from_it() {
        let mut stability = LeaderStability::default();
        let mut healed = members(&[(3, true), (3, true), (3, true), (3, true), (3, true)]);
        healed[4].heard = false; // Node 5 rejoined and has not heard from node 1 yet.
        stability.check(Some((1, 3)), &healed, 3).unwrap();
        assert_eq!(stability.stable(), None);
        // It campaigns on votes granted before the others heard from the leader: legitimate.
        let mut campaigned = members(&[(3, true), (4, true), (3, true), (3, true), (4, true)]);
        campaigned[4].heard = false;
        stability.check(None, &campaigned, 3).unwrap();
    }

    #[test]
    fn a_fault_that_cuts_the_quorum_voids_the_promise() {
        let mut stability = LeaderStability::default();
        let before = members(&[(3, true), (3, true), (3, true), (3, true), (3, true)]);
        stability.check(Some((1, 3)), &before, 3).unwrap();
        // A new partition cuts node 2 off: it may time out and campaign legitimately.
        let cut = members(&[(3, true), (3, false), (3, true), (3, true), (3, true)]);
        stability.check(Some((1, 3)), &cut, 3).unwrap();
        assert_eq!(stability.stable(), None);
        let campaigned = members(&[(3, true), (4, false), (3, true), (3, true), (3, true)]);
        stability.check(Some((1, 3)), &campaigned, 3).unwrap();
    }

    #[test]
    fn no_stable_leader_without_a_connected_quorum_in_its_term() {
        let mut stability = LeaderStability::default();
        let split = members(&[(3, true), (3, false), (2, true), (3, false), (3, false)]);
        stability.check(Some((1, 3)), &split, 3).unwrap();
        assert_eq!(stability.stable(), None, "only one server in term 3 is connected to it");
        let later = members(&[(4, true), (4, true), (4, true), (4, true), (4, true)]);
        stability.check(None, &later, 3).unwrap();
        assert_eq!(stability.stable(), None);
    }
}
