//! Driving one node: its inputs (ticks, frames, client requests), its inbox and service time,
//! and the processing of its output in the order the sans-IO contract requires.

use raftsim_raft::{NodeId, ProposeError, RoleKind};

use super::World;
use crate::check::{Change, Property, Violation};
use crate::client::BURST_CLIENT_BASE;
use crate::event::{Event, Reply};
use crate::node::{Input, Status};
use crate::state_machine::{Applied, CommandId};

/// The client id under which the pipeline workload proposes.
const PIPELINE_CLIENT: u32 = u32::MAX;

impl World {
    pub(super) fn on_tick(&mut self, node: NodeId) -> Result<(), Box<Violation>> {
        let sim_node = &mut self.nodes[node as usize - 1];
        let interval = (self.spec.options.tick_us * sim_node.tick_percent as u64 / 100).max(1);
        self.queue.push(self.now_us + interval, Event::Tick { node });
        if sim_node.status != Status::Up {
            return Ok(());
        }
        self.counters.ticks += 1;
        sim_node.raft_mut().tick();
        self.after_input(node, false)
    }

    /// An input reaches `node`: processed at once if the node is idle, queued otherwise.
    pub(super) fn arrive(&mut self, node: NodeId, input: Input) -> Result<(), Box<Violation>> {
        let capacity = self.spec.options.node.inbox_capacity as usize;
        let sim_node = &mut self.nodes[node as usize - 1];
        match sim_node.status {
            Status::Crashed => {
                if let Input::Frame { .. } = input {
                    self.counters.frames_dropped += 1;
                }
                return Ok(());
            }
            Status::Up
                if sim_node.inbox.is_empty()
                    && !sim_node.process_scheduled
                    && sim_node.busy_until_us <= self.now_us =>
            {
                return self.process(node, input);
            }
            Status::Up | Status::Paused => {}
        }
        if sim_node.inbox.len() >= capacity {
            self.counters.inbox_drops += 1;
            return Ok(());
        }
        sim_node.inbox.push_back(input);
        self.schedule_processing(node);
        Ok(())
    }

    /// Makes sure a running node with queued inputs has a `Process` event pending.
    pub(super) fn schedule_processing(&mut self, node: NodeId) {
        let sim_node = &mut self.nodes[node as usize - 1];
        if sim_node.status == Status::Up
            && !sim_node.process_scheduled
            && !sim_node.inbox.is_empty()
        {
            sim_node.process_scheduled = true;
            let at = sim_node.busy_until_us.max(self.now_us);
            self.queue.push(at, Event::Process { node });
        }
    }

    pub(super) fn on_process(&mut self, node: NodeId) -> Result<(), Box<Violation>> {
        let sim_node = &mut self.nodes[node as usize - 1];
        sim_node.process_scheduled = false;
        if sim_node.status != Status::Up {
            return Ok(()); // Resuming or restarting reschedules.
        }
        let Some(input) = sim_node.inbox.pop_front() else { return Ok(()) };
        self.process(node, input)?;
        self.schedule_processing(node);
        Ok(())
    }

    /// Handles one input at a running node, which is then busy for its service time.
    fn process(&mut self, node: NodeId, input: Input) -> Result<(), Box<Violation>> {
        let service_us = self.spec.options.node.service_time_us;
        let sim_node = &mut self.nodes[node as usize - 1];
        sim_node.busy_until_us = self.now_us + service_us * sim_node.slowdown as u64;
        match input {
            Input::Frame { from, frame, corrupted } => {
                if corrupted {
                    self.counters.frames_corrupted += 1;
                }
                let decoded = sim_node.codec.decode(&frame);
                self.recycle_frame(frame);
                let envelope = match decoded {
                    Ok(envelope) => envelope,
                    Err(error) => {
                        assert!(corrupted, "an undamaged frame from {from} was rejected: {error}");
                        self.counters.frames_rejected += 1;
                        return Ok(());
                    }
                };
                let sim_node = &mut self.nodes[node as usize - 1];
                if corrupted {
                    let detail = format!(
                        "node {node} accepted a frame from node {from} that was damaged in \
                         transit: {} {:?}",
                        envelope.message.kind(),
                        envelope.message
                    );
                    return Err(Violation::new(
                        Property::FrameIntegrity,
                        vec![node, from],
                        None,
                        detail,
                    ));
                }
                self.counters.frames_delivered += 1;
                let raft = sim_node.raft_mut();
                if let raftsim_raft::Message::RequestVote(request) = &envelope.message
                    && request.term >= raft.term()
                    && !raft.log().is_up_to_date(request.last_log_index, request.last_log_term)
                {
                    self.coverage.vote_refused_for_stale_log += 1;
                }
                raft.step(envelope).expect("the codec checked the envelope's ids");
            }
            Input::Request { client, sequence } => {
                let payload_bytes =
                    self.clients.as_ref().map_or(0, |clients| clients.payload_bytes());
                let payload = CommandId { client, sequence }.payload(payload_bytes);
                let reply = match sim_node.raft_mut().propose(payload) {
                    Ok(_) => None,
                    Err(ProposeError::NotLeader { leader_hint }) => {
                        Some(Reply::Redirect(leader_hint))
                    }
                    Err(ProposeError::Overloaded) => Some(Reply::Busy),
                };
                if let Some(reply) = reply
                    && client < BURST_CLIENT_BASE
                {
                    self.reply_to_client(client, sequence, reply);
                }
            }
        }
        self.after_input(node, false)
    }

    fn reply_to_client(&mut self, client: u32, sequence: u64, reply: Reply) {
        let latency = self.network_latency();
        self.queue.push(self.now_us + latency, Event::ClientReply { client, sequence, reply });
    }

    /// After any input: the node's output, then the pipeline workload's proposals if it leads.
    /// The pipeline proposes one entry at a time and drains each before the next, so that every
    /// proposal travels in its own append, as when each client request arrives on its own.
    pub(super) fn after_input(
        &mut self,
        node: NodeId,
        restarted: bool,
    ) -> Result<(), Box<Violation>> {
        self.drain_output(node, restarted)?;
        while self.propose_pipelined(node) {
            self.drain_output(node, false)?;
        }
        Ok(())
    }

    /// Processes the node's output as the sans-IO contract requires (persist, then send, then
    /// apply), then runs the checker on what changed.
    fn drain_output(&mut self, node: NodeId, restarted: bool) -> Result<(), Box<Violation>> {
        let mut ready = self.ready.take().expect("drains do not nest");
        let index = node as usize - 1;
        self.nodes[index].raft_mut().ready(&mut ready);
        // 1. Persist. Nothing below may run before this: messages and applied entries may only
        //    reflect state that would survive a crash.
        if self.nodes[index].disk.persist(&ready) {
            self.counters.truncations += 1;
        }
        let fired = if self.armed.is_empty() { None } else { self.triggered_fault(node) };
        if fired.is_some_and(|fault| {
            matches!(self.spec.schedule[fault as usize].kind, crate::fault::FaultKind::Crash { .. })
        }) {
            // The crash lands between persisting and sending: nothing of this output leaves.
            ready.messages.clear();
            ready.committed.clear();
        }
        // 2. Send.
        for envelope in ready.messages.drain(..) {
            let mut frame = self.frame_buffer();
            self.encoder.encode_into(&envelope, &mut frame);
            self.send_frame(envelope.from, envelope.to, frame);
        }
        // 3. Apply.
        self.applied.clear();
        for entry in &ready.committed {
            let sim_node = &mut self.nodes[index];
            let applied = sim_node.state_machine.apply(entry);
            self.applied.push((entry.index, sim_node.state_machine.applied_hash()));
            if let Applied::Command(id) | Applied::Duplicate(id) = applied
                && self
                    .clients
                    .as_ref()
                    .is_some_and(|clients| clients.awaits(id.client, id.sequence, node))
            {
                self.reply_to_client(id.client, id.sequence, Reply::Applied);
            }
        }
        self.observe_paths(node);
        let change = Change {
            node,
            restarted,
            written_from: ready.log_from,
            written: &ready.entries,
            applied: &self.applied,
        };
        let checked = if self.checking {
            self.checker.observe(&super::Cluster(&self.nodes), &change)
        } else {
            Ok(())
        };
        self.ready = Some(ready);
        checked?;
        if let Some(fault) = fired {
            self.strike(fault, Some(node))?;
        }
        if self.pipeline.is_some() {
            self.check_pipeline_liveness(node);
        }
        Ok(())
    }

    /// Counts the hard paths `node`'s last step went through (see [`crate::coverage`]), by
    /// comparing its state with the checker's record of it before the step.
    fn observe_paths(&mut self, node: NodeId) {
        let index = node as usize - 1;
        let before = self.checker.previous(node);
        let now = self.nodes[index].state();
        if now.role == RoleKind::Candidate
            && (before.role != RoleKind::Candidate || before.term != now.term)
        {
            if now.term > self.candidates.0 {
                self.candidates = (now.term, 1);
            } else if now.term == self.candidates.0 {
                self.candidates.1 += 1;
                if self.candidates.1 == 2 {
                    self.coverage.split_vote += 1;
                }
            }
        }
        if before.up && before.role == RoleKind::Leader && now.role != RoleKind::Leader {
            if before.last_index > before.commit_index {
                self.coverage.leader_deposed_with_uncommitted_entries += 1;
            }
            if self.resumed_as_leader[index].take().is_some() {
                self.coverage.stale_leader_resumed_and_stepped_down += 1;
            }
        }
        if now.role == RoleKind::Leader
            && now.commit_index > before.commit_index
            && before.term == now.term
        {
            let raft = self.nodes[index].raft.as_ref().expect("a leader is up");
            if raft.log().term(before.commit_index + 1).is_some_and(|term| term < now.term) {
                self.coverage.prior_term_entry_committed_indirectly += 1;
            }
        }
        if let Some(target) = self.catching_up_to[index]
            && now.commit_index >= target
        {
            self.catching_up_to[index] = None;
            self.coverage.restarted_node_caught_up += 1;
        }
    }

    /// Hands a frame to the network, which may drop, damage, duplicate or delay it.
    fn send_frame(&mut self, from: NodeId, to: NodeId, mut frame: Vec<u8>) {
        self.counters.frames_sent += 1;
        let transit = self.network.transit(from, to, &mut frame);
        if transit.dropped {
            self.counters.frames_dropped += 1;
            self.recycle_frame(frame);
            return;
        }
        let corrupted = transit.corrupted;
        if transit.duplicated {
            self.counters.frames_duplicated += 1;
            let latency = self.network.latency_us();
            let copy = Event::Deliver { to, from, frame: frame.clone(), corrupted };
            self.queue.push(self.now_us + latency, copy);
        }
        let latency = self.network.latency_us() + transit.extra_delay_us;
        self.queue.push(self.now_us + latency, Event::Deliver { to, from, frame, corrupted });
    }

    /// The pipeline workload keeps `window` uncommitted entries in flight at the leader: makes
    /// one proposal if the node leads and the window has room. Returns whether it proposed.
    fn propose_pipelined(&mut self, node: NodeId) -> bool {
        let Some(pipeline) = &self.pipeline else { return false };
        let (window, payload_bytes) = (pipeline.window as u64, pipeline.payload_bytes as usize);
        let Some(raft) = self.nodes[node as usize - 1].raft.as_mut() else { return false };
        if raft.role() != RoleKind::Leader
            || raft.log().last_index() - raft.commit_index() >= window
        {
            return false;
        }
        let id = CommandId { client: PIPELINE_CLIENT, sequence: self.pipeline_sequence + 1 };
        if raft.propose(id.payload(payload_bytes)).is_err() {
            return false;
        }
        self.pipeline_sequence += 1;
        true
    }

    /// Restarts a crashed node from its disk and processes its first output (which re-applies
    /// its committed entries to a fresh state machine).
    pub(super) fn restart(&mut self, node: NodeId) -> Result<(), Box<Violation>> {
        let config = self.fresh_config(node);
        self.nodes[node as usize - 1].restart(config);
        self.counters.restarts += 1;
        let cluster_commit = self.nodes.iter().map(|node| node.state().commit_index).max();
        self.catching_up_to[node as usize - 1] = cluster_commit;
        self.after_input(node, true)
    }

    /// Resumes a paused node: its queued inputs are processed from now on.
    pub(super) fn resume(&mut self, node: NodeId) {
        let sim_node = &mut self.nodes[node as usize - 1];
        sim_node.status = Status::Up;
        if sim_node.is_leader() {
            self.resumed_as_leader[node as usize - 1] = Some(sim_node.state().term);
        }
        self.schedule_processing(node);
    }

    pub(super) fn on_burst_send(&mut self, fault: u32, request: u32) {
        let node = self.draw_node();
        let client = BURST_CLIENT_BASE + fault * 100_000 + request;
        let latency = self.network_latency();
        self.queue.push(self.now_us + latency, Event::ClientArrive { node, client, sequence: 1 });
    }

    /// A one-line description of `event` for timelines.
    pub(super) fn describe(&self, event: &Event) -> String {
        match event {
            Event::Deliver { to, from, frame, corrupted } => {
                let what = match self.nodes[*to as usize - 1].codec.decode(frame) {
                    Ok(envelope) => format!("{:?}", envelope.message),
                    Err(error) => format!("rejected frame: {error}"),
                };
                let damaged = if *corrupted { " [corrupted]" } else { "" };
                format!("{from} -> {to}{damaged}: {what}")
            }
            Event::FaultStart { fault } => {
                format!("fault {fault} starts: {:?}", self.spec.schedule[*fault as usize].kind)
            }
            Event::FaultEnd { fault } => format!("fault {fault} ends"),
            Event::Heal => "fault window over: heal everything".to_owned(),
            Event::Deadline => "liveness deadline".to_owned(),
            other => format!("{other:?}"),
        }
    }
}
