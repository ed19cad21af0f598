//! Feeding the leader-stability property (see [`crate::check::leader_stability`]) from what the
//! simulator knows: who proved to lead by its messages, what every disk holds, which links the
//! network keeps, and which servers received a leader's messages since the last fault change.

use super::World;
use crate::check::Violation;
use crate::check::leader_stability::{LeaderStability, Member};
use crate::node::Status;
use crate::raft_under_test::{NodeId, RaftUnderTest, Term};

/// The property with what the world records for it.
#[derive(Clone, Debug)]
pub(super) struct StabilityWatch {
    property: LeaderStability,
    /// Per node (id − 1): the last leader's message it received: sender, term, time.
    heard: Vec<Option<(NodeId, Term, u64)>>,
    /// Messages received from this time on were sent after the last fault came or went.
    quiet_since_us: u64,
}

impl StabilityWatch {
    pub(super) fn new(nodes: usize) -> StabilityWatch {
        StabilityWatch {
            property: LeaderStability::default(),
            heard: vec![None; nodes],
            quiet_since_us: 0,
        }
    }
}

impl<R: RaftUnderTest> World<R> {
    /// A fault came or went: what servers heard before it no longer shows who follows whom.
    /// Messages sent before it may still arrive for one network latency.
    pub(super) fn fault_changed(&mut self) {
        let latency_max_us = self.spec.options.network.latency_us.max();
        if let Some(watch) = &mut self.stability {
            watch.quiet_since_us = self.now_us + latency_max_us;
        }
    }

    /// `node` stepped a message only a leader of `term` sends, from `from`.
    pub(super) fn heard_leader(&mut self, node: NodeId, from: NodeId, term: Term) {
        if let Some(watch) = &mut self.stability {
            watch.heard[node as usize - 1] = Some((from, term, self.now_us));
        }
    }

    /// After every step of a run that checks leader stability.
    pub(super) fn check_stability(&mut self) -> Result<(), Box<Violation>> {
        let Some(watch) = self.stability.as_ref().filter(|_| self.checking) else {
            return Ok(());
        };
        // The would-be stable leader: the one the stable record names, or else the leader with
        // the highest term, if its messages prove it led the term its disk holds, and that term
        // is the highest any disk holds (a server left in a later term by an earlier fault
        // may still depose it, legitimately).
        let terms: Vec<Term> = (1..=self.nodes.len() as NodeId)
            .map(|node| self.checker.durable_hard_state(node).term)
            .collect();
        let max_term = terms.iter().copied().max().unwrap_or(0);
        let leader = match watch.property.stable() {
            Some(stable) => Some(stable),
            None => self.leader().and_then(|leader| {
                let term = terms[leader as usize - 1];
                (term == max_term && self.checker.leader_of(term) == Some(leader))
                    .then_some((leader, term))
            }),
        };
        let members: Vec<Member> = (1..=self.nodes.len() as NodeId)
            .map(|node| {
                let heard = leader.is_some_and(|(leader, term)| {
                    node == leader
                        || watch.heard[node as usize - 1].is_some_and(|(from, of, at_us)| {
                            from == leader && of == term && at_us >= watch.quiet_since_us
                        })
                });
                Member {
                    node,
                    durable_term: terms[node as usize - 1],
                    connected: leader.is_some_and(|(leader, _)| self.connected(leader, node)),
                    heard,
                }
            })
            .collect();
        let quorum = self.nodes.len() / 2 + 1;
        let watch = self.stability.as_mut().expect("checked above");
        watch.property.check(leader, &members, quorum)
    }

    /// Whether `node` runs and `leader` (running too) reaches it and hears from it.
    fn connected(&self, leader: NodeId, node: NodeId) -> bool {
        let up = |node: NodeId| self.nodes[node as usize - 1].status == Status::Up;
        up(leader)
            && up(node)
            && (node == leader
                || (self.network.is_reachable(leader, node)
                    && self.network.is_reachable(node, leader)))
    }
}
