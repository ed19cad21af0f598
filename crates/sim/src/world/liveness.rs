//! The liveness phase: after the fault window everything heals — or, in core mode, only a
//! random majority does, and the other nodes stay isolated, muted, deafened, paused or crashed
//! — while the network stays mildly lossy. Within the scenario's bound the healed nodes must
//! settle:
//!
//! 1. a request sent after the heal completes (for the pipeline workload: a leader commits an
//!    entry proposed after it), which fixes the *target*: the committed index at that moment;
//! 2. then, at some step: one leader whose term every healed node shares, every healed node's
//!    commit index and applied index at or past the target, and every client done with a
//!    request sent after the heal.
//!
//! A run that does not settle in time fails for liveness, saying what each node still lacks.

use super::{Verdict, World};
use crate::check::{Property, Violation};
use crate::efficiency::Efficiency;
use crate::event::Event;
use crate::node::Status;
use crate::raft_under_test::{Index, NodeId, RaftUnderTest, Role};
use crate::scenario::LeftOut;

/// Where the liveness phase is.
#[derive(Clone, Debug)]
pub(super) struct Liveness {
    healed_at_us: u64,
    /// The nodes that must settle (all, or the core).
    healed: Vec<NodeId>,
    /// Highest commit index any node reported at the heal (for the pipeline workload).
    commit_at_heal: Index,
    /// The committed index every healed node must reach, once a post-heal request completed.
    target: Option<Index>,
    /// The hub of the quorum-loss partition kept through the phase, if one is.
    quorum_loss_hub: Option<NodeId>,
    /// Elections started since the heal by the nodes left out of the core. The harness cut
    /// them off, and a node that hears no leader campaigns on every timeout however correct
    /// its Raft, so these are not counted against it.
    left_out_candidacies: u64,
}

impl<R: RaftUnderTest> World<R> {
    /// Ends the fault window: heals every active fault, restarts crashed nodes, resumes paused
    /// ones, leaves the network mildly lossy, applies core mode's lasting faults, and starts the
    /// liveness clock.
    pub(super) fn heal(&mut self) -> Result<(), Box<Violation>> {
        self.armed.clear();
        for fault in 0..self.active.len() as u32 {
            self.end_fault(fault)?;
        }
        let options = self.spec.options.liveness.clone();
        self.network.heal(options.loss_rate);
        self.fault_changed();
        let left_out = |node: NodeId| {
            options.left_out.iter().find(|&&(left, _)| left == node).map(|&(_, how)| how)
        };
        for node in 1..=self.nodes.len() as NodeId {
            let sim_node = &mut self.nodes[node as usize - 1];
            sim_node.slowdown = 1;
            sim_node.set_tick_percent(self.now_us, 100);
            match (sim_node.status, left_out(node)) {
                (Status::Crashed, Some(LeftOut::Crash)) => {}
                (_, Some(LeftOut::Crash)) => self.crash(node)?,
                (Status::Crashed, _) => self.restart(node)?,
                (Status::Paused, Some(LeftOut::Pause)) | (Status::Up, None) => {}
                (Status::Paused, _) => self.resume(node),
                (Status::Up, Some(_)) => {}
            }
            let others = (1..=self.nodes.len() as NodeId).filter(move |&other| other != node);
            match left_out(node) {
                Some(LeftOut::Pause) if self.nodes[node as usize - 1].status == Status::Up => {
                    self.nodes[node as usize - 1].status = Status::Paused;
                    self.leadership_changed = true;
                }
                Some(LeftOut::Isolate) => {
                    for other in others {
                        self.network.set_cut(node, other, true);
                        self.network.set_cut(other, node, true);
                    }
                }
                Some(LeftOut::Mute) => {
                    others.for_each(|other| self.network.set_cut(node, other, true))
                }
                Some(LeftOut::Deaf) => {
                    others.for_each(|other| self.network.set_cut(other, node, true))
                }
                _ => {}
            }
        }
        self.counters.left_out_of_core += options.left_out.len() as u64;
        let quorum_loss_hub = options.quorum_loss.then(|| self.keep_quorum_loss());
        let healed = (1..=self.nodes.len() as NodeId).filter(|&node| left_out(node).is_none());
        let commit_at_heal = self
            .nodes
            .iter()
            .filter_map(|node| node.observation())
            .map(|observation| observation.commit_index)
            .max()
            .unwrap_or(0);
        self.liveness = Some(Liveness {
            healed_at_us: self.now_us,
            healed: healed.collect(),
            commit_at_heal,
            target: None,
            quorum_loss_hub,
            left_out_candidacies: 0,
        });
        let deadline = self.now_us + self.spec.options.liveness_bound_us;
        self.queue.push(deadline, Event::Deadline);
        Ok(())
    }

    /// Cuts the quorum-loss partition kept through the liveness phase and returns its hub: the
    /// leader of the moment and every other node reach only the hub, the node other than the
    /// leader whose written log is the most up to date (the lowest id among equals). Its log
    /// is at least as up to date as every other node's but perhaps the leader's, so it can win
    /// an election (Raft's up-to-date rule would refuse a hub that lags, and no other node can
    /// reach a majority: that is constrained election, which Raft cannot get out of).
    fn keep_quorum_loss(&mut self) -> NodeId {
        let nodes = self.nodes.len() as NodeId;
        let leader = self.leader();
        let up_to_date = |node: NodeId| {
            let log = self.checker.written_log(node);
            (log.last_term(), log.last_index(), std::cmp::Reverse(node))
        };
        let hub = (1..=nodes)
            .filter(|&node| Some(node) != leader)
            .max_by_key(|&node| up_to_date(node))
            .expect("a quorum-loss partition needs two nodes");
        let first = leader.unwrap_or(if hub == 1 { 2 } else { 1 });
        let rest = (1..=nodes).filter(|&node| node != first && node != hub);
        let order: Vec<NodeId> = [first, hub].into_iter().chain(rest).collect();
        for (from, to) in self.partition_cuts(&crate::fault::Partition::QuorumLoss { order }) {
            self.network.set_cut(from, to, true);
        }
        self.counters.quorum_loss_after_heal += 1;
        hub
    }

    /// After every step of the liveness phase: has the cluster settled?
    pub(super) fn check_liveness(&mut self) -> Result<(), Box<Violation>> {
        let Some(liveness) = &self.liveness else { return Ok(()) };
        let Some(target) = liveness.target else {
            let progressed = match &self.clients {
                Some(clients) => clients.any_completed_since(liveness.healed_at_us),
                None => self.leader_commit().is_some_and(|commit| commit > liveness.commit_at_heal),
            };
            if progressed {
                let target = self.checker.committed().last_index();
                self.liveness.as_mut().expect("in the liveness phase").target = Some(target);
            }
            return Ok(());
        };
        if self.settled(target) {
            let healed_at_us = liveness.healed_at_us;
            self.settle(healed_at_us)?;
        }
        Ok(())
    }

    /// `node` started an election: counted, and set apart as the harness's doing if the
    /// liveness phase left the node out of the core.
    pub(super) fn note_candidacy(&mut self, node: NodeId) {
        self.counters.elections += 1;
        if let Some(liveness) = &mut self.liveness
            && !liveness.healed.contains(&node)
        {
            liveness.left_out_candidacies += 1;
        }
    }

    /// The cluster settled: measure what the run cost and hold it to the scenario's bounds.
    fn settle(&mut self, healed_at_us: u64) -> Result<(), Box<Violation>> {
        let observed = self.checker.observed();
        let left_out_candidacies =
            self.liveness.as_ref().map_or(0, |liveness| liveness.left_out_candidacies);
        let measured = Efficiency {
            frames: self.counters.frames_sent,
            bytes: self.frame_bytes_sent,
            commits: observed.commits,
            elections: self.counters.elections - left_out_candidacies,
            faults: self.spec.schedule.len() as u64,
            convergence_us: self.now_us - healed_at_us,
        };
        self.efficiency = Some(measured);
        self.check_linearizability()?;
        let expect = self.spec.options.expect.get(&self.spec.raft);
        if let Some(detail) = expect.and_then(|expect| expect.judge(&measured)) {
            return Err(Violation::new(Property::Efficiency, Vec::new(), None, detail));
        }
        self.verdict = Some(Verdict::Pass);
        Ok(())
    }

    /// Judges the key-value clients' history, if they ran that workload: once the run has
    /// settled every client has its last answer, and only requests a client gave up on are
    /// left maybe applied.
    pub(super) fn check_linearizability(&self) -> Result<(), Box<Violation>> {
        let Some(kv) = self.clients.as_ref().and_then(|clients| clients.kv.as_ref()) else {
            return Ok(());
        };
        if !self.checking {
            return Ok(());
        }
        let report = kv.check();
        if report.violation().is_none() {
            return Ok(());
        }
        // The witness, one operation a clause, on the violation's one line.
        let detail = report.verdict.describe(&crate::kv::KvModel);
        let detail = detail.replace(":\n  ", ": ").replace("\n  ", "; ");
        Err(Violation::new(Property::Linearizability, Vec::new(), None, detail))
    }

    /// The commit index of the leader with the highest term.
    fn leader_commit(&self) -> Option<Index> {
        let leader = self.leader()?;
        self.nodes[leader as usize - 1].observation().map(|observation| observation.commit_index)
    }

    /// Whether every healed node follows one leader and has committed and applied `target`,
    /// and every client is done with a request sent after the heal.
    ///
    /// With membership changes, only the committed configuration's members are owed: the
    /// leader must be one of its voters, and a server outside it (a spare never added, one
    /// removed) need not follow anyone.
    fn settled(&self, target: Index) -> bool {
        let liveness = self.liveness.as_ref().expect("in the liveness phase");
        let membership = self.checker.committed_membership();
        let Some(leader) = self
            .leader()
            .filter(|leader| liveness.healed.contains(leader) && membership.is_voter(*leader))
        else {
            return false;
        };
        let term = self.nodes[leader as usize - 1].observation().expect("a leader runs").term;
        let members = liveness.healed.iter().filter(|&&node| membership.contains(node));
        let caught_up = members.copied().all(|node| {
            let sim_node = &self.nodes[node as usize - 1];
            sim_node.status == Status::Up
                && sim_node.observation().is_some_and(|observation| {
                    observation.term == term && observation.commit_index >= target
                })
                && sim_node.state_machine.applied_index() >= target
        });
        caught_up && self.clients_waiting(liveness.healed_at_us).is_empty()
    }

    /// The clients that have not completed a request sent at or after `since_us`, among those
    /// the cluster owes service: with client traffic on the network, a client whose server's
    /// links stay cut (left out isolated, muted or deafened) reaches no server of the core, and
    /// is owed nothing.
    fn clients_waiting(&self, since_us: u64) -> Vec<u32> {
        let Some(clients) = &self.clients else { return Vec::new() };
        let mut waiting = clients.waiting_since(since_us);
        if self.over_network {
            let core = &self.liveness.as_ref().expect("in the liveness phase").healed;
            waiting.retain(|&client| {
                let zone = self.zone(client);
                core.iter().any(|&node| {
                    self.network.is_reachable(zone, node) && self.network.is_reachable(node, zone)
                })
            });
        }
        waiting
    }

    /// The liveness bound passed: say what is still pending, node by node.
    pub(super) fn liveness_violation(&self) -> Box<Violation> {
        let liveness = self.liveness.as_ref().expect("the deadline follows the heal");
        let bound_ms = self.spec.options.liveness_bound_us as f64 / 1000.0;
        let leader = self.leader().filter(|leader| liveness.healed.contains(leader));
        let leader_commit = leader
            .and_then(|leader| self.nodes[leader as usize - 1].observation())
            .map_or(0, |observation| observation.commit_index);
        let committed = self.checker.committed().last_index();
        let mut parts = Vec::new();
        let left_out = &self.spec.options.liveness.left_out;
        if !left_out.is_empty() {
            let others: Vec<String> =
                left_out.iter().map(|(node, how)| format!("n{node} {}", how.name())).collect();
            parts.push(format!("core mode ({})", others.join(", ")));
        }
        if let Some(hub) = liveness.quorum_loss_hub {
            parts.push(format!("quorum loss kept (every node reaches only n{hub})"));
        }
        match liveness.target {
            None => parts.push("no request sent after the heal completed".to_owned()),
            Some(target) => parts.push(format!("target commit {target}")),
        }
        parts.push(match leader {
            Some(leader) => format!("leader n{leader}"),
            None => "no leader among the healed nodes".to_owned(),
        });
        let membership = self.checker.committed_membership();
        if self.reconfiguration.is_some() {
            parts.push(format!("committed configuration: {membership}"));
        }
        for &node in &liveness.healed {
            let sim_node = &self.nodes[node as usize - 1];
            if !membership.contains(node) {
                parts.push(format!("n{node}: not a member"));
                continue;
            }
            let state = match sim_node.observation() {
                None => "crashed".to_owned(),
                Some(observation) => {
                    let role = match sim_node.status {
                        Status::Paused => "paused",
                        _ => observation.role.name(),
                    };
                    let mut state = format!(
                        "{role} term {} commit {} of {} applied {}",
                        observation.term,
                        observation.commit_index,
                        leader_commit.max(committed),
                        sim_node.state_machine.applied_index()
                    );
                    if let Some(rejected) = self.last_rejection[node as usize - 1]
                        && observation.role != Role::Leader
                    {
                        state.push_str(&format!(", last append rejected at {rejected}"));
                    }
                    let own = self.checker.membership_of(node);
                    if self.reconfiguration.is_some() && own != membership {
                        state.push_str(&format!(", its log's configuration {own}"));
                    }
                    state
                }
            };
            parts.push(format!("n{node}: {state}"));
        }
        let waiting = self.clients_waiting(liveness.healed_at_us);
        if !waiting.is_empty() {
            let names: Vec<String> = waiting.iter().map(u32::to_string).collect();
            parts.push(format!("clients {} still wait", names.join(", ")));
        }
        let detail = format!("not settled within {bound_ms} ms of the heal: {}", parts.join("; "));
        let nodes = liveness.healed.clone();
        Violation::new(Property::Liveness, nodes, None, detail)
    }
}
