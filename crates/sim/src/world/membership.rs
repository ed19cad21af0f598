//! The membership workload: during the fault window the operator asks the leader to change the
//! configuration — add a learner, promote it, add or remove a voter (the leader too), replace
//! one voter by another through a joint configuration — and a server whose removal is
//! committed is later wiped and comes back as a new incarnation, a spare that a later change
//! may add. Which change, and when, is drawn from the seed; the leader and its configuration are
//! read off the run as it goes, so changes land on whatever the faults left.
//!
//! A new incarnation joins under an id of its own, taken from a reserve parked since the
//! start, as etcd and LogCabin require of a server whose disk was wiped: under its old id,
//! configurations in logs and snapshots that named its earlier self a voter would count the
//! amnesiac newcomer in their quorums (a snapshot of its old sole-voter configuration, say,
//! would let it elect itself).

use rand::Rng;
use rand::seq::IndexedRandom;

use super::World;
use crate::check::Violation;
use crate::event::{Event, EventQueue};
use crate::node::{Input, Status};
use crate::options::Options;
use crate::raft_under_test::{ChangeError, MembershipChange, NodeId, RaftUnderTest};
use crate::rng::Stream;

/// How many times a change the leader cannot take yet is asked again, a tick apart.
const ATTEMPTS_MAX: u32 = 50;

/// Where the membership workload is.
pub(super) struct Reconfiguration {
    rng: Stream,
    /// Per server (id − 1): whether it has been in a committed configuration, so that its
    /// removal from one means it leaves (and comes back wiped, as a new incarnation).
    joined: Vec<bool>,
    /// Per server: whether its comeback is scheduled.
    rejoining: Vec<bool>,
    /// Per server: whether it is parked: a reserve id not yet taken by a new incarnation, or a
    /// server retired once wiped. A parked server stays down.
    parked: Vec<bool>,
    /// The next reserve id a new incarnation takes.
    next_incarnation: NodeId,
    /// The checker's count of committed configuration entries when last looked at.
    committed_seen: u64,
}

impl Reconfiguration {
    /// The workload of a run with `options`, its changes scheduled in `queue`.
    pub(super) fn new(
        options: &Options,
        mut rng: Stream,
        queue: &mut EventQueue,
    ) -> Reconfiguration {
        let params = options.membership.as_ref().expect("a membership workload");
        let changes = rng.random_range(params.changes.min()..=params.changes.max());
        for _ in 0..changes {
            let at_us = rng.random_range(0..options.fault_window_us.max(1));
            queue.push(at_us, Event::MembershipChange { attempt: 0 });
        }
        let servers = options.servers() as usize;
        let first_reserve = (options.nodes + params.spares) as usize;
        Reconfiguration {
            rng,
            joined: (0..servers).map(|slot| slot < options.nodes as usize).collect(),
            rejoining: vec![false; servers],
            parked: (0..servers).map(|slot| slot >= first_reserve).collect(),
            next_incarnation: first_reserve as NodeId + 1,
            committed_seen: 0,
        }
    }

    /// Whether `node` is parked, and stays down.
    pub(super) fn is_parked(&self, node: NodeId) -> bool {
        self.parked[node as usize - 1]
    }
}

impl<R: RaftUnderTest> World<R> {
    /// A change is due: draw one against the leader's configuration and ask the leader, like
    /// any input, so that it waits its turn behind the leader's inbox.
    pub(super) fn on_membership_change(&mut self, attempt: u32) -> Result<(), Box<Violation>> {
        if self.liveness.is_some() {
            return Ok(()); // The fault window is over: so are the changes.
        }
        let Some(leader) = self.leader() else {
            self.ask_again(attempt);
            return Ok(());
        };
        let Some((changes, joint)) = self.draw_change(leader) else { return Ok(()) };
        self.arrive(leader, Input::ChangeMembership { changes, joint, attempt })
    }

    /// `node` serves a change it was asked for.
    pub(super) fn serve_change(
        &mut self,
        node: NodeId,
        changes: &[MembershipChange],
        joint: bool,
        attempt: u32,
    ) {
        let workload = self.reconfiguration.as_ref().expect("a membership workload");
        let retired = changes.iter().any(|change| match *change {
            MembershipChange::AddLearner(added) | MembershipChange::AddVoter(added) => {
                workload.is_parked(added)
            }
            MembershipChange::Remove(_) => false,
        });
        if retired {
            // Drawn before the server it adds was retired: the operator drops it.
            self.counters.membership_changes_refused += 1;
            return;
        }
        match self.nodes[node as usize - 1].raft_mut().change_membership(changes, joint) {
            Ok(()) => self.counters.membership_changes += 1,
            Err(ChangeError::Busy | ChangeError::NotLeader { .. }) => self.ask_again(attempt),
            // The configuration moved on since the change was drawn.
            Err(ChangeError::Invalid(_)) => self.counters.membership_changes_refused += 1,
            Err(ChangeError::Unsupported) => {
                unreachable!("membership scenarios run only where changes are supported")
            }
        }
    }

    fn ask_again(&mut self, attempt: u32) {
        if attempt < ATTEMPTS_MAX {
            let at_us = self.now_us + self.spec.options.tick_us;
            self.queue.push(at_us, Event::MembershipChange { attempt: attempt + 1 });
        } else {
            self.counters.membership_changes_abandoned += 1;
        }
    }

    /// A change that fits `leader`'s configuration and the scenario's bounds on voters, drawn
    /// among the kinds possible: add a learner, promote one, add a voter directly, remove a
    /// voter (the leader perhaps) or a learner, replace a voter (joint). `None` if no kind is
    /// possible.
    fn draw_change(&mut self, leader: NodeId) -> Option<(Vec<MembershipChange>, bool)> {
        let params = self.spec.options.membership.clone().expect("a membership workload");
        let membership = self.checker.membership_of(leader).clone();
        let servers = self.nodes.len() as NodeId;
        let reconfiguration = self.reconfiguration.as_ref().expect("a membership workload");
        let outsiders: Vec<NodeId> = (1..=servers)
            .filter(|&node| !membership.contains(node) && !reconfiguration.is_parked(node))
            .collect();
        let voters = &membership.voters;
        if voters.is_empty() {
            return None; // No configuration to change (only a tampered frame leaves one so).
        }
        let learners = &membership.learners;
        let incoming: Vec<NodeId> = outsiders.iter().chain(learners).copied().collect();
        let (min, max) = (params.voters.min() as usize, params.voters.max() as usize);
        let mut kinds = Vec::new();
        if !outsiders.is_empty() {
            kinds.push(0); // Add a learner.
        }
        if !learners.is_empty() && voters.len() < max {
            kinds.push(1); // Promote a learner.
        }
        if !outsiders.is_empty() && voters.len() < max {
            kinds.push(2); // Add a voter directly.
        }
        if voters.len() > min {
            kinds.push(3); // Remove a voter, the leader perhaps.
        }
        if !learners.is_empty() {
            kinds.push(4); // Remove a learner.
        }
        if !incoming.is_empty() {
            kinds.push(5); // Replace a voter.
        }
        let reconfiguration = self.reconfiguration.as_mut().expect("a membership workload");
        let rng = &mut reconfiguration.rng;
        let &kind = kinds.choose(rng)?;
        let pick = |rng: &mut Stream, from: &[NodeId]| *from.choose(rng).expect("not empty");
        let changes = match kind {
            0 => vec![MembershipChange::AddLearner(pick(rng, &outsiders))],
            1 => vec![MembershipChange::AddVoter(pick(rng, learners))],
            2 => vec![MembershipChange::AddVoter(pick(rng, &outsiders))],
            3 => vec![MembershipChange::Remove(pick(rng, voters))],
            4 => vec![MembershipChange::Remove(pick(rng, learners))],
            _ => {
                let add = pick(rng, &incoming);
                vec![MembershipChange::AddVoter(add), MembershipChange::Remove(pick(rng, voters))]
            }
        };
        let joint = kind == 5 || rng.random_bool(params.joint_probability);
        Some((changes, joint))
    }

    /// After every step of a run with membership changes: once a server's removal is
    /// committed, it is wiped and booted afresh after the scenario's delay.
    pub(super) fn watch_membership(&mut self) {
        let Some(reconfiguration) = &mut self.reconfiguration else { return };
        let committed = self.checker.committed_configuration_entries();
        if committed == reconfiguration.committed_seen {
            return;
        }
        reconfiguration.committed_seen = committed;
        let membership = self.checker.committed_membership();
        if let Some(clients) = &mut self.clients {
            clients.set_directory(membership.members());
        }
        let delay = self.spec.options.membership.as_ref().expect("a workload").rejoin_after_ms;
        for slot in 0..self.nodes.len() {
            let node = slot as NodeId + 1;
            if membership.contains(node) {
                reconfiguration.joined[slot] = true;
            } else if reconfiguration.joined[slot] && !reconfiguration.rejoining[slot] {
                reconfiguration.rejoining[slot] = true;
                let after_ms = reconfiguration.rng.random_range(delay.min()..=delay.max());
                self.queue.push(self.now_us + after_ms * 1000, Event::Rejoin { node });
            }
        }
    }

    /// `node`'s removal was committed a while ago: unless a change added it back since (in
    /// any server's log, committed or not), it is wiped and retired, and comes back as a new
    /// incarnation under the next reserve id, a spare without a configuration (none comes back
    /// once the reserve is used up).
    pub(super) fn on_rejoin(&mut self, node: NodeId) -> Result<(), Box<Violation>> {
        let slot = node as usize - 1;
        let servers = self.nodes.len() as NodeId;
        let added_back = self.checker.committed_membership().contains(node)
            || (1..=servers).any(|server| self.checker.membership_of(server).contains(node));
        let reconfiguration = self.reconfiguration.as_mut().expect("a membership workload");
        reconfiguration.rejoining[slot] = false;
        if added_back {
            return Ok(());
        }
        reconfiguration.joined[slot] = false;
        reconfiguration.parked[slot] = true;
        let incarnation = reconfiguration.next_incarnation;
        if self.nodes[slot].status != Status::Crashed {
            self.crash(node)?;
        }
        if incarnation > servers {
            return Ok(());
        }
        let reconfiguration = self.reconfiguration.as_mut().expect("a membership workload");
        reconfiguration.next_incarnation += 1;
        reconfiguration.parked[incarnation as usize - 1] = false;
        self.counters.rejoins += 1;
        self.boot(incarnation)
    }
}
