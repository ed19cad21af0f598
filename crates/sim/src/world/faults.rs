//! Starting and ending scheduled faults. Each start records what it actually did (an
//! [`ActiveFault`]), so that its end undoes exactly that, and overlapping faults compose.

use super::World;
use crate::check::Violation;
use crate::event::Event;
use crate::fault::{FaultKind, Partition, Target, ranked};
use crate::node::Status;
use crate::raft_under_test::{NodeId, RaftUnderTest, Role};

/// What a started fault did, to be undone when it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActiveFault {
    /// Links cut, as `(from, to)` pairs.
    Cuts(Vec<(NodeId, NodeId)>),
    /// This node was paused.
    Paused(NodeId),
    /// This node was crashed.
    Crashed(NodeId),
    /// This node was slowed.
    Slowed(NodeId),
    /// This node's clock was skewed.
    Skewed(NodeId),
    /// This node's next fsync fails.
    FsyncFailing(NodeId),
    /// This node's disk is full.
    DiskFull(NodeId),
    /// This node lost power with records rotting on its disk.
    Corrupted(NodeId),
    /// A burst is under way (its requests are already scheduled).
    Burst,
    /// The fault could not apply (its target was already down) and has nothing to undo.
    Skipped,
}

impl<R: RaftUnderTest> World<R> {
    fn resolve(&self, target: Target) -> NodeId {
        match target {
            Target::Node(node) => node,
            Target::Leader { fallback } => self.leader().unwrap_or(fallback),
            Target::NewLeader | Target::NewVoter => unreachable!("trigger targets are armed"),
        }
    }

    /// A fault's start time came. Faults with a trigger target are armed instead, and strike
    /// at the protocol moment they wait for (see [`World::triggered_fault`]).
    pub(super) fn start_fault(&mut self, fault: u32) -> Result<(), Box<Violation>> {
        let target = self.spec.schedule[fault as usize].kind.target();
        if target.is_some_and(Target::is_trigger) {
            self.armed.push(fault);
            return Ok(());
        }
        self.strike(fault, None)
    }

    /// The armed fault that `node`'s last output triggers, if any: it just became leader, or
    /// just granted a vote (as its report, compared with the previous one, shows). Disarms it.
    pub(super) fn triggered_fault(&mut self, node: NodeId) -> Option<u32> {
        let before = self.checker.observation(node);
        let now = self.nodes[node as usize - 1].observation()?;
        let new_leader = now.role == Role::Leader
            && before.is_none_or(|before| before.role != Role::Leader || before.term != now.term);
        let new_vote = now.vote.is_some_and(|vote| vote != node)
            && before.is_none_or(|before| before.term != now.term || before.vote != now.vote);
        let position = self.armed.iter().position(|&fault| {
            match self.spec.schedule[fault as usize].kind.target() {
                Some(Target::NewLeader) => new_leader,
                Some(Target::NewVoter) => new_vote,
                _ => false,
            }
        })?;
        Some(self.armed.remove(position))
    }

    /// Whether the scheduled fault is a crash.
    pub(super) fn is_crash(&self, fault: u32) -> bool {
        matches!(self.spec.schedule[fault as usize].kind, FaultKind::Crash { .. })
    }

    /// Applies a fault now, to `triggered` if a trigger chose the node, and schedules its end.
    pub(super) fn strike(
        &mut self,
        fault: u32,
        triggered: Option<NodeId>,
    ) -> Result<(), Box<Violation>> {
        let spec = &self.spec.schedule[fault as usize];
        let duration_us = spec.duration_us;
        let kind = spec.kind.clone();
        let target =
            |world: &World<R>, target: Target| triggered.unwrap_or_else(|| world.resolve(target));
        let active = match kind {
            FaultKind::Partition(partition) => {
                let cuts = self.partition_cuts(&partition);
                for &(from, to) in &cuts {
                    self.network.set_cut(from, to, true);
                }
                self.counters.partitions += 1;
                ActiveFault::Cuts(cuts)
            }
            FaultKind::Pause { target: chosen } => {
                let node = target(self, chosen);
                let sim_node = &mut self.nodes[node as usize - 1];
                if sim_node.status == Status::Up {
                    sim_node.status = Status::Paused;
                    self.leadership_changed = true;
                    self.counters.pauses += 1;
                    ActiveFault::Paused(node)
                } else {
                    ActiveFault::Skipped
                }
            }
            FaultKind::Crash { target: chosen } => {
                let node = target(self, chosen);
                if self.nodes[node as usize - 1].status == Status::Crashed {
                    ActiveFault::Skipped
                } else {
                    self.crash(node)?;
                    self.counters.crashes += 1;
                    ActiveFault::Crashed(node)
                }
            }
            FaultKind::Slow { target: chosen, factor } => {
                let node = target(self, chosen);
                self.nodes[node as usize - 1].slowdown = factor.max(1);
                self.counters.overloads += 1;
                ActiveFault::Slowed(node)
            }
            FaultKind::Burst { requests } => {
                // One request at a time: each schedules the next (see `on_burst_send`), so that
                // a burst of any size keeps one event pending.
                if requests > 0 {
                    self.queue.push(self.now_us, Event::BurstSend { fault, request: 0 });
                }
                self.counters.overloads += 1;
                ActiveFault::Burst
            }
            FaultKind::ClockSkew { target: chosen, tick_percent } => {
                let node = target(self, chosen);
                self.nodes[node as usize - 1].set_tick_percent(self.now_us, tick_percent);
                self.counters.clock_skews += 1;
                ActiveFault::Skewed(node)
            }
            FaultKind::FsyncFailure { target: chosen } => {
                let node = target(self, chosen);
                if self.nodes[node as usize - 1].status == Status::Crashed {
                    ActiveFault::Skipped
                } else {
                    self.nodes[node as usize - 1].disk.fail_next_fsync = true;
                    ActiveFault::FsyncFailing(node)
                }
            }
            FaultKind::DiskFull { target: chosen } => {
                let node = target(self, chosen);
                self.nodes[node as usize - 1].disk.full = true;
                ActiveFault::DiskFull(node)
            }
            FaultKind::DiskCorruption { target: chosen, records } => {
                let node = target(self, chosen);
                if self.corrupt(node, records)? {
                    ActiveFault::Corrupted(node)
                } else {
                    ActiveFault::Skipped
                }
            }
            FaultKind::Transfer { to } => {
                // Asked like any input, so that it waits its turn behind the leader's inbox.
                if let Some(leader) = self.leader().filter(|&leader| leader != to) {
                    self.arrive(leader, crate::node::Input::Transfer { target: to })?;
                }
                ActiveFault::Skipped
            }
        };
        self.active[fault as usize] = Some(active);
        self.fault_changed();
        let end_us = self.now_us + duration_us;
        if end_us < self.spec.options.fault_window_us {
            self.queue.push(end_us, Event::FaultEnd { fault });
        }
        Ok(())
    }

    /// Undoes what the fault's start did, if it is still active. Ending twice is harmless: the
    /// heal ends every fault that is still active.
    pub(super) fn end_fault(&mut self, fault: u32) -> Result<(), Box<Violation>> {
        let Some(active) = self.active[fault as usize].take() else { return Ok(()) };
        self.fault_changed();
        if !matches!(active, ActiveFault::Skipped | ActiveFault::Burst)
            && !matches!(self.spec.schedule[fault as usize].kind, FaultKind::Transfer { .. })
        {
            self.availability.on_fault_end(self.now_us);
        }
        match active {
            ActiveFault::Cuts(cuts) => {
                for (from, to) in cuts {
                    self.network.set_cut(from, to, false);
                }
                if let FaultKind::Partition(Partition::OneWay { .. }) =
                    self.spec.schedule[fault as usize].kind
                {
                    self.coverage.one_way_partition_healed += 1;
                }
            }
            ActiveFault::Paused(node) => {
                if self.nodes[node as usize - 1].status == Status::Paused {
                    self.resume(node);
                }
            }
            ActiveFault::Crashed(node) | ActiveFault::Corrupted(node) => {
                if self.nodes[node as usize - 1].status == Status::Crashed {
                    self.restart(node)?;
                }
            }
            ActiveFault::FsyncFailing(node) => {
                let sim_node = &mut self.nodes[node as usize - 1];
                sim_node.disk.fail_next_fsync = false;
                if sim_node.status == Status::Crashed && sim_node.stopped_by_fsync {
                    self.restart(node)?;
                }
            }
            ActiveFault::DiskFull(node) => {
                self.nodes[node as usize - 1].disk.full = false;
                self.start_fsync(node);
            }
            ActiveFault::Slowed(node) => self.nodes[node as usize - 1].slowdown = 1,
            ActiveFault::Skewed(node) => {
                self.nodes[node as usize - 1].set_tick_percent(self.now_us, 100)
            }
            ActiveFault::Burst | ActiveFault::Skipped => {}
        }
        Ok(())
    }

    /// `node` loses power: what its disk had not synced is settled (some kept, the rest lost),
    /// then everything volatile goes.
    pub(super) fn crash(&mut self, node: NodeId) -> Result<(), Box<Violation>> {
        self.resumed_as_leader[node as usize - 1] = None;
        self.catching_up_to[node as usize - 1] = None;
        self.reported_leader[node as usize - 1] = None;
        self.leadership_changed = true;
        self.lose_unsynced(node)?;
        for frame in self.nodes[node as usize - 1].crash() {
            self.release_frame(frame);
        }
        self.checker.on_crash(node);
        Ok(())
    }

    /// The directed links a partition cuts.
    pub(super) fn partition_cuts(&self, partition: &Partition) -> Vec<(NodeId, NodeId)> {
        let all: Vec<NodeId> = (1..=self.nodes.len() as NodeId).collect();
        let both_ways = |side: &[NodeId], others: &[NodeId]| {
            let mut cuts = Vec::new();
            for &a in side {
                for &b in others {
                    cuts.push((a, b));
                    cuts.push((b, a));
                }
            }
            cuts
        };
        let rest = |side: &[NodeId], also_excluded: Option<NodeId>| -> Vec<NodeId> {
            all.iter()
                .copied()
                .filter(|node| !side.contains(node) && Some(*node) != also_excluded)
                .collect()
        };
        match partition {
            Partition::Split { minority } => both_ways(minority, &rest(minority, None)),
            Partition::IsolateLeader { fallback } => {
                let leader = [self.leader().unwrap_or(*fallback)];
                both_ways(&leader, &rest(&leader, None))
            }
            Partition::OneWay { from, to } => {
                from.iter().flat_map(|&a| to.iter().map(move |&b| (a, b))).collect()
            }
            Partition::Bridge { left, bridge } => both_ways(left, &rest(left, Some(*bridge))),
            Partition::QuorumLoss { order }
            | Partition::ConstrainedElection { order }
            | Partition::Chained { order } => {
                partial_cuts(partition, &ranked(order, self.leader()))
            }
        }
    }
}

/// The directed links a partial-connectivity partition cuts, given its nodes `ranked`: the
/// leader's place first, then the hub's (see [`ranked`]). Every link between two nodes the
/// shape does not join is cut, both ways.
fn partial_cuts(partition: &Partition, ranked: &[NodeId]) -> Vec<(NodeId, NodeId)> {
    let joined = |a: usize, b: usize| match partition {
        // Everyone reaches the hub, and only the hub.
        Partition::QuorumLoss { .. } => a == 1 || b == 1,
        // Likewise, but the leader reaches no one.
        Partition::ConstrainedElection { .. } => (a == 1 || b == 1) && a != 0 && b != 0,
        // Neighbours in the chain.
        Partition::Chained { .. } => a.abs_diff(b) == 1,
        _ => unreachable!("not a partial-connectivity shape: {partition:?}"),
    };
    let mut cuts = Vec::new();
    for (a, &from) in ranked.iter().enumerate() {
        for (b, &to) in ranked.iter().enumerate() {
            if a != b && !joined(a, b) {
                cuts.push((from, to));
            }
        }
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The links `cuts` leaves between `1..=nodes`, as `(from, to)` with `from < to`, checking
    /// that every cut is both ways.
    fn links(cuts: &[(NodeId, NodeId)], nodes: NodeId) -> Vec<(NodeId, NodeId)> {
        for &(from, to) in cuts {
            assert!(cuts.contains(&(to, from)), "{from} -> {to} cut one way only");
        }
        let pairs = (1..=nodes).flat_map(|a| (a + 1..=nodes).map(move |b| (a, b)));
        pairs.filter(|pair| !cuts.contains(pair)).collect()
    }

    #[test]
    fn partial_connectivity_shapes_keep_only_their_links() {
        // Node 3 leads, node 5 is the hub (the first of the order after the leader).
        let ranked = ranked(&[5, 3, 1, 4, 2], Some(3));
        assert_eq!(ranked, vec![3, 5, 1, 4, 2]);
        let quorum_loss = partial_cuts(&Partition::QuorumLoss { order: vec![] }, &ranked);
        assert_eq!(links(&quorum_loss, 5), vec![(1, 5), (2, 5), (3, 5), (4, 5)]);
        let constrained = partial_cuts(&Partition::ConstrainedElection { order: vec![] }, &ranked);
        assert_eq!(links(&constrained, 5), vec![(1, 5), (2, 5), (4, 5)]);
        let chained = partial_cuts(&Partition::Chained { order: vec![] }, &ranked);
        assert_eq!(links(&chained, 5), vec![(1, 4), (1, 5), (2, 4), (3, 5)]);
        // Three nodes in a chain: 1-2-3, with 1 and 3 apart.
        let chain = partial_cuts(&Partition::Chained { order: vec![] }, &[1, 2, 3]);
        assert_eq!(links(&chain, 3), vec![(1, 2), (2, 3)]);
    }
}
