//! Driving one node: its inputs (ticks, frames, client requests), its inbox and service time,
//! and the processing of its output in the order the contract requires — write, send, apply.

use raftsim_raft::Bug;

use super::World;
use crate::check::{Property, Violation};
use crate::client::BURST_CLIENT_BASE;
use crate::event::{Damage, Event, Reply};
use crate::kv::{KvInput, KvOutput};
use crate::node::{Input, Status};
use crate::raft_under_test::{
    LogEntry, MessageKind, MessageSummary, NodeId, Observation, Payload, ProposeError,
    RaftUnderTest, ReadError, ReadId, ReadKind, Role,
};
use crate::scenario::Routing;
use crate::state_machine::{Applied, CommandId, StateMachine};

/// The client id under which the pipeline workload proposes.
const PIPELINE_CLIENT: u32 = u32::MAX;

impl<R: RaftUnderTest> World<R> {
    /// A node's timer fires. The tick is an input like any other: it waits for the node to
    /// finish what it is doing (an overloaded leader heartbeats late), and a tick that finds
    /// another still waiting merges with it, as a lagging event loop's timer events do.
    pub(super) fn on_tick(&mut self, node: NodeId) -> Result<(), Box<Violation>> {
        let sim_node = &mut self.nodes[node as usize - 1];
        let interval = (self.spec.options.tick_us * sim_node.tick_percent as u64 / 100).max(1);
        self.queue.push(self.now_us + interval, Event::Tick { node });
        if sim_node.status != Status::Up
            || sim_node.inbox.iter().any(|input| matches!(input, Input::Tick))
        {
            return Ok(());
        }
        self.arrive(node, Input::Tick)
    }

    /// Virtual time `node` spends on one input.
    fn service_time_us(&self, node: NodeId) -> u64 {
        let slowdown = self.nodes[node as usize - 1].slowdown as u64;
        self.spec.options.node.service_time_us * slowdown
    }

    /// An input reaches `node`. It waits in the inbox until the node is free, then is served
    /// for the node's service time; its output leaves when service ends. (The node's state
    /// changes when service starts, and its output is held back for the service time: the same
    /// to everyone else, and without an event per input.)
    pub(super) fn arrive(&mut self, node: NodeId, input: Input) -> Result<(), Box<Violation>> {
        let capacity = self.spec.options.node.inbox_capacity as usize;
        let sim_node = &mut self.nodes[node as usize - 1];
        match sim_node.status {
            Status::Crashed => {
                if let Input::Frame { frame, .. } = input {
                    self.counters.frames_dropped += 1;
                    self.release_frame(frame);
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
        let droppable =
            !matches!(input, Input::Tick | Input::Persisted { .. } | Input::PersistFailed { .. });
        if sim_node.inbox.len() >= capacity && droppable {
            self.counters.inbox_drops += 1;
            if let Input::Frame { frame, .. } = input {
                self.release_frame(frame);
            }
            return Ok(());
        }
        sim_node.inbox.push_back(input);
        self.schedule_processing(node);
        Ok(())
    }

    /// Makes sure a running node with queued inputs has a `Process` event pending for when it
    /// is free.
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

    /// A node is free: serve its next input.
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

    /// Serves one input at a running node: it is busy for its service time, and what it says
    /// in answer leaves when that time is over.
    fn process(&mut self, node: NodeId, input: Input) -> Result<(), Box<Violation>> {
        let service_us = self.service_time_us(node);
        self.output_delay_us = service_us;
        let sim_node = &mut self.nodes[node as usize - 1];
        sim_node.busy_until_us = self.now_us + service_us;
        let served = self.serve(node, input);
        self.output_delay_us = 0;
        served
    }

    fn serve(&mut self, node: NodeId, input: Input) -> Result<(), Box<Violation>> {
        let sim_node = &mut self.nodes[node as usize - 1];
        if self.lease_reads {
            let local_us = sim_node.local_clock_us(self.now_us);
            sim_node.raft_mut().clock(local_us);
        }
        match input {
            Input::Tick => {
                self.counters.ticks += 1;
                sim_node.raft_mut().tick();
            }
            Input::Frame { from, frame, damage } => self.receive(node, from, frame, damage)?,
            Input::Request { client, sequence } => {
                if let Some(reply) = self.serve_request(node, client, sequence)
                    && client < BURST_CLIENT_BASE
                {
                    self.reply_to_client(node, client, sequence, reply, None);
                }
            }
            Input::Forwarded { command } => {
                // Refused (no longer the leader, or busy): the follower forwards it again when
                // it hears of a new leader, and its client retries meanwhile.
                let _ = self.nodes[node as usize - 1].raft_mut().propose(command);
            }
            Input::Transfer { target } => {
                if sim_node.raft_mut().transfer_leadership(target) {
                    self.counters.transfers += 1;
                }
            }
            Input::ChangeMembership { changes, joint, attempt } => {
                self.serve_change(node, &changes, joint, attempt)
            }
            Input::Persisted { write } => self.on_persisted(node, write)?,
            Input::PersistFailed { write } => self.on_persist_failed(node, write)?,
        }
        self.after_input(node, false)
    }

    /// A frame reaches a running node: decoded (a damaged one must be refused), then stepped.
    fn receive(
        &mut self,
        node: NodeId,
        from: NodeId,
        frame: Vec<u8>,
        damage: Damage,
    ) -> Result<(), Box<Violation>> {
        if damage == Damage::Corrupted {
            self.counters.frames_corrupted += 1;
        }
        let raft = self.nodes[node as usize - 1].raft_mut();
        let decoded = raft.decode(&frame);
        self.release_frame(frame);
        let message = match decoded {
            Ok(message) => message,
            Err(error) => {
                assert!(
                    damage != Damage::None,
                    "node {node}'s decoder refused an undamaged frame from node {from}: {error}"
                );
                if damage == Damage::Corrupted {
                    self.counters.frames_rejected += 1;
                } else {
                    self.counters.frames_refused += 1;
                }
                return Ok(());
            }
        };
        if damage == Damage::Corrupted {
            let detail = format!(
                "node {node} accepted a frame from node {from} that was damaged in transit: {}",
                R::describe(&message)
            );
            return Err(Violation::new(Property::FrameIntegrity, vec![node, from], None, detail));
        }
        self.counters.frames_delivered += 1;
        let summary = R::summarize(&message);
        if let MessageKind::VoteRequest { pre: false, last_index, last_term } = summary.kind {
            let log = self.checker.written_log(node);
            let term = self.checker.observation(node).map_or(0, |observation| observation.term);
            if summary.term >= term && (last_term, last_index) < (log.last_term(), log.last_index())
            {
                self.coverage.vote_refused_for_stale_log += 1;
            }
        }
        if self.nodes[node as usize - 1].raft_mut().step(message).is_err() {
            self.counters.frames_refused += 1;
        } else if summary.kind.is_from_leader() {
            self.heard_leader(node, from, summary.term);
        }
        Ok(())
    }

    /// The command a client's request carries: its id, then its key-value operation in the
    /// key-value workload (the request carries the operation the client drew for it), else
    /// padding to the workload's payload size.
    fn request_payload(&self, client: u32, sequence: u64) -> Payload {
        let id = CommandId { client, sequence };
        let Some(clients) = &self.clients else { return id.payload(0) };
        match clients.kv.as_ref().and_then(|kv| kv.input(client, sequence)) {
            Some(input) => {
                let mut bytes = id.payload(0).to_vec();
                crate::kv::encode_input(input, &mut bytes);
                Payload::from_slice(&bytes)
            }
            None => id.payload(clients.payload_bytes()),
        }
    }

    /// A client's request at `node`: a read outside the log, if its client reads that way and
    /// the Raft serves such reads; otherwise a command through the log, which a follower may
    /// forward to its leader. Returns the answer to send at once, if any.
    fn serve_request(&mut self, node: NodeId, client: u32, sequence: u64) -> Option<Reply> {
        if let Some(kind) = self.read_kind(client, sequence) {
            let raft = self.nodes[node as usize - 1].raft_mut();
            match raft.read(read_id(client, sequence), kind) {
                Ok(()) => return None,
                Err(ReadError::NotLeader { leader_hint }) => {
                    return Some(Reply::Redirect(leader_hint));
                }
                Err(ReadError::Busy) => return Some(Reply::Busy),
                Err(ReadError::Unsupported) => {} // Through the log, then.
            }
        }
        let payload = self.request_payload(client, sequence);
        match self.nodes[node as usize - 1].raft_mut().propose(payload) {
            Ok(()) => None,
            Err(ProposeError::NotLeader { leader_hint: Some(leader) })
                if self.routing == Routing::Forward
                    && leader != node
                    && client < BURST_CLIENT_BASE =>
            {
                let payload = self.request_payload(client, sequence);
                self.forward_write(node, leader, payload);
                None
            }
            Err(ProposeError::NotLeader { leader_hint }) => Some(Reply::Redirect(leader_hint)),
            Err(ProposeError::Busy) => Some(Reply::Busy),
        }
    }

    /// How a client's request reads, if it is a read its client makes outside the log.
    fn read_kind(&self, client: u32, sequence: u64) -> Option<ReadKind> {
        let modes = self.spec.options.read_modes();
        if modes.is_empty() || client >= BURST_CLIENT_BASE {
            return None;
        }
        let kv = self.clients.as_ref()?.kv.as_ref()?;
        let KvInput::Get { .. } = kv.input(client, sequence)? else { return None };
        modes[client as usize % modes.len()].kind()
    }

    /// Answers every read `node` released whose index its state machine has applied, from the
    /// state machine as it is now.
    fn answer_reads(&mut self, node: NodeId) {
        let sim_node = &mut self.nodes[node as usize - 1];
        if sim_node.reads.is_empty() {
            return;
        }
        let applied = sim_node.state_machine.applied_index();
        let mut answers = Vec::new();
        sim_node.reads.retain(|read| {
            let ready = read.index <= applied;
            if ready {
                answers.push(read.id);
            }
            !ready
        });
        for id in answers {
            let (client, sequence) = read_client(id);
            let Some(clients) = &self.clients else { return };
            if !clients.awaits(client, sequence, node) {
                continue;
            }
            let Some(KvInput::Get { key }) =
                clients.kv.as_ref().and_then(|kv| kv.input(client, sequence))
            else {
                continue;
            };
            let store = self.nodes[node as usize - 1].state_machine.store();
            let output = KvOutput::Get { value: store.get(key).cloned() };
            self.counters.reads_served += 1;
            self.reply_to_client(node, client, sequence, Reply::Applied, Some(output));
        }
    }

    /// After any input: the node's output, then the pipeline workload's proposals if it leads.
    /// The pipeline proposes one entry at a time and drains each before the next, so that every
    /// proposal travels in its own append, as when each client request arrives on its own. At
    /// most a window's worth per input: a leader alone in its cluster commits each proposal as
    /// it drains it, so its window never fills, and the step would never end.
    pub(super) fn after_input(
        &mut self,
        node: NodeId,
        restarted: bool,
    ) -> Result<(), Box<Violation>> {
        self.drain_output(node, restarted)?;
        if self.routing == Routing::Forward {
            self.reforward_writes(node);
        }
        let window = self.pipeline.as_ref().map_or(0, |pipeline| pipeline.window);
        for _ in 0..window {
            if !self.propose_pipelined(node) {
                break;
            }
            self.drain_output(node, false)?;
        }
        Ok(())
    }

    /// Processes the node's output as the contract requires — write, send, apply — until it
    /// has nothing more to say, telling the checker what happened; then the node's account of
    /// itself.
    fn drain_output(&mut self, node: NodeId, restarted: bool) -> Result<(), Box<Violation>> {
        let index = node as usize - 1;
        let mut drained = Ok(());
        let mut fired = None;
        while fired.is_none() && self.nodes[index].raft.as_ref().is_some_and(R::has_output) {
            drained = self.drain_once(node, &mut fired);
            if drained.is_err() {
                break;
            }
        }
        drained?;
        if let Some(fault) = fired {
            return self.strike(fault, Some(node));
        }
        let Some(now) = self.nodes[index].observation() else { return Ok(()) };
        let leads = (now.role == Role::Leader).then_some(now.term);
        if self.reported_leader[index] != leads || now.term > self.newest_term_reported {
            self.reported_leader[index] = leads;
            self.newest_term_reported = self.newest_term_reported.max(now.term);
            self.leadership_changed = true;
        }
        self.observe_paths(node, &now, restarted);
        if self.checking {
            self.checker.on_observe(node, &now)?;
        }
        Ok(())
    }

    /// One output of `node`: handed to its disk (and, a perfect disk being synchronous,
    /// acknowledged), sent (what must wait for the disk, once it has caught up), and applied.
    /// Sets `fired` if the output triggers an armed fault, which then strikes between the write
    /// and the sending.
    fn drain_once(&mut self, node: NodeId, fired: &mut Option<u32>) -> Result<(), Box<Violation>> {
        let index = node as usize - 1;
        let mut output = self.output.take().expect("drains do not nest");
        self.nodes[index].raft_mut().take_output(&mut output);
        let installed = output.write.snapshot_installed && output.write.snapshot.is_some();
        let result = (|| {
            // 1. Write, and (a perfect disk being synchronous) acknowledge. Nothing below may
            //    run before this: messages that wait for the disk, and applied entries, may
            //    only reflect state that would survive a crash.
            if let Some(write_id) = output.write.id {
                if self.checking {
                    self.checker.on_write(node, &output.write)?;
                }
                self.disk_bytes +=
                    output.write.entries.iter().map(LogEntry::size_bytes).sum::<u64>();
                self.hand_over(node, &mut output.write)?;
                *fired = if self.armed.is_empty() { None } else { self.triggered_fault(node) };
                if fired.is_some_and(|fault| self.is_crash(fault)) {
                    // The crash lands between persisting and sending: nothing of this output
                    // leaves.
                    return self.sync_now(node);
                }
                if self.disks_are_perfect() {
                    self.nodes[index].raft_mut().on_persisted(write_id);
                }
            }
            // 2. Send.
            for message in output.messages.drain(..) {
                self.send(node, message)?;
            }
            self.send_or_hold(node, &mut output.persisted_messages)?;
            // 3. Apply: restore an installed snapshot (from the disk, where it now is), then the
            //    committed entries, then take a snapshot if one is due.
            if installed {
                self.counters.snapshots_installed += 1;
                self.restore_snapshot(node)?;
            }
            for entry in output.committed.drain(..) {
                let sim_node = &mut self.nodes[index];
                let dedup = !self.spec.bugs.contains(Bug::NoSessionDedup);
                let applied = sim_node.state_machine.apply_with(&entry, dedup);
                let hash = sim_node.state_machine.applied_hash();
                if self.checking {
                    self.checker.on_applied(node, entry.index, hash)?;
                }
                if let Applied::Command(id, answer) | Applied::Duplicate(id, answer) = applied {
                    self.forgo_forwarded(node, id);
                    if self
                        .clients
                        .as_ref()
                        .is_some_and(|clients| clients.awaits(id.client, id.sequence, node))
                    {
                        self.reply_to_client(node, id.client, id.sequence, Reply::Applied, answer);
                    }
                }
            }
            self.snapshot_if_due(node);
            // 4. Reads released, answered once their index is applied.
            self.nodes[index].reads.append(&mut output.reads);
            self.answer_reads(node);
            Ok(())
        })();
        output.clear();
        self.output = Some(output);
        result
    }

    /// `node`'s state machine restores the snapshot it last wrote: one installed from the
    /// leader (durable or not yet), or at a restart the one its disk holds. An image that is
    /// not one this simulator's state machine made (the implementation damaged or mislabelled
    /// it) is a violation, checked or not: the state machine cannot go on from it. Only where
    /// frames are tampered with, outside Raft's fault model, may a Raft take a rewritten image:
    /// there the state machine keeps its state, and nothing but panics is judged.
    pub(super) fn restore_snapshot(&mut self, node: NodeId) -> Result<(), Box<Violation>> {
        let sim_node = &mut self.nodes[node as usize - 1];
        let Some(snapshot) = sim_node.disk.latest_snapshot() else { return Ok(()) };
        match StateMachine::restore(snapshot) {
            Ok(machine) => {
                sim_node.state_machine = machine;
                sim_node.snapshot_index = snapshot.index;
                if self.checking {
                    self.checker.on_restored(node, snapshot)?;
                }
                Ok(())
            }
            Err(_) if self.spec.options.is_robustness_only() => Ok(()),
            Err(error) => {
                let detail =
                    format!("node {node} restores a snapshot that is not a state: {error}");
                let index = Some(snapshot.index);
                Err(Violation::new(Property::AppliedCommitted, vec![node], index, detail))
            }
        }
    }

    /// Every `snapshot_interval_entries` applied entries, the state machine takes a snapshot
    /// and hands it to the node, which may compact its log behind it.
    fn snapshot_if_due(&mut self, node: NodeId) {
        let interval = self.spec.options.raft.snapshot_interval_entries as u64;
        let sim_node = &mut self.nodes[node as usize - 1];
        let applied = sim_node.state_machine.applied_index();
        if interval == 0 || applied < sim_node.snapshot_index + interval {
            return;
        }
        sim_node.snapshot_index = applied;
        let initial = self.checker.initial_membership();
        let snapshot = sim_node.state_machine.snapshot(initial);
        sim_node.raft_mut().compact(snapshot);
        self.counters.snapshots_taken += 1;
    }

    /// Encodes `message` and hands its frame to the network, which may drop, damage,
    /// duplicate or delay it.
    pub(super) fn send(&mut self, node: NodeId, message: R::Message) -> Result<(), Box<Violation>> {
        // The wire knows who sent a message, whatever it says of itself (raft-rs forwards a
        // proposal with its original sender): the checker reads the sender from the wire.
        let summary = MessageSummary { from: node, ..R::summarize(&message) };
        if self.checking {
            self.checker.on_message(&summary)?;
        }
        if let MessageKind::AppendResponse { accepted: false, index } = summary.kind {
            self.last_rejection[node as usize - 1] = Some(index);
        }
        let mut frame = self.frame_buffer();
        self.nodes[node as usize - 1]
            .raft
            .as_ref()
            .expect("a sender runs")
            .encode(&message, &mut frame);
        self.bytes_in_flight += frame.len() as u64;
        let to = summary.to;
        if to == 0 || to as usize > self.nodes.len() || to == node {
            // An implementation addressed a node that does not exist: nothing receives it.
            self.note_sent(&summary, &message, None, None, None, Damage::None);
            self.counters.frames_dropped += 1;
            self.release_frame(frame);
            return Ok(());
        }
        self.counters.frames_sent += 1;
        self.frame_bytes_sent += frame.len() as u64;
        let transit = self.network.transit(node, to, &mut frame);
        if transit.dropped {
            self.note_sent(&summary, &message, None, None, None, Damage::None);
            self.counters.frames_dropped += 1;
            self.release_frame(frame);
            return Ok(());
        }
        let resealed =
            transit.tampered && R::tamper(&mut frame, &mut |bytes| self.network.tamper_bits(bytes));
        if resealed {
            self.counters.frames_tampered += 1;
        }
        // A corrupted frame that is then resealed passes its checksum again: it is tampered,
        // which a Raft may accept, not corrupted, which it must refuse.
        let damage = match (transit.corrupted && !resealed, transit.tampered) {
            (true, _) => Damage::Corrupted,
            (false, true) => Damage::Tampered,
            (false, false) => Damage::None,
        };
        let mut duplicate_at_us = None;
        if transit.duplicated {
            self.counters.frames_duplicated += 1;
            let latency = self.network.latency_us();
            self.bytes_in_flight += frame.len() as u64;
            let copy = Event::Deliver { to, from: node, frame: frame.clone(), damage };
            let at_us = self.now_us + self.output_delay_us + latency;
            duplicate_at_us = Some(at_us);
            self.queue.push(at_us, copy);
        }
        let latency = self.output_delay_us + self.network.latency_us() + transit.extra_delay_us;
        let at_us = self.now_us + latency;
        self.note_sent(&summary, &message, Some(&frame), Some(at_us), duplicate_at_us, damage);
        self.queue.push(at_us, Event::Deliver { to, from: node, frame, damage });
        Ok(())
    }

    /// Counts the hard paths `node`'s last step went through (see [`crate::coverage`]), by
    /// comparing its report with its previous one.
    fn observe_paths(&mut self, node: NodeId, now: &Observation, restarted: bool) {
        let index = node as usize - 1;
        let before = if restarted { None } else { self.checker.observation(node) };
        let new_candidacy = now.role == Role::Candidate
            && before
                .is_none_or(|before| before.role != Role::Candidate || before.term != now.term);
        if new_candidacy {
            self.note_candidacy(node);
            if now.term > self.candidates.0 {
                self.candidates = (now.term, 1);
            } else if now.term == self.candidates.0 {
                self.candidates.1 += 1;
                if self.candidates.1 == 2 {
                    self.coverage.split_vote += 1;
                }
            }
        }
        if let Some(before) = before
            && before.role == Role::Leader
            && now.role != Role::Leader
        {
            if before.last_index > before.commit_index {
                self.coverage.leader_deposed_with_uncommitted_entries += 1;
            }
            if self.resumed_as_leader[index].take().is_some() {
                self.coverage.stale_leader_resumed_and_stepped_down += 1;
            }
        }
        if let Some(target) = self.catching_up_to[index]
            && now.commit_index >= target
        {
            self.catching_up_to[index] = None;
            self.coverage.restarted_node_caught_up += 1;
        }
    }

    /// The pipeline workload keeps `window` uncommitted entries in flight at the leader: makes
    /// one proposal if the node leads and the window has room. Returns whether it proposed.
    fn propose_pipelined(&mut self, node: NodeId) -> bool {
        let Some(pipeline) = &self.pipeline else { return false };
        let (window, payload_bytes) = (pipeline.window as u64, pipeline.payload_bytes as usize);
        let Some(raft) = self.nodes[node as usize - 1].raft.as_mut() else { return false };
        let now = raft.observe();
        if now.role != Role::Leader || now.last_index - now.commit_index >= window {
            return false;
        }
        let id = CommandId { client: PIPELINE_CLIENT, sequence: self.pipeline_sequence + 1 };
        if raft.propose(id.payload(payload_bytes)).is_err() {
            return false;
        }
        self.pipeline_sequence += 1;
        true
    }

    /// Restarts a crashed node from its disk and processes its first output.
    pub(super) fn restart(&mut self, node: NodeId) -> Result<(), Box<Violation>> {
        if self.reconfiguration.as_ref().is_some_and(|workload| workload.is_parked(node)) {
            return Ok(()); // A reserve id not taken yet, or a server retired: it stays down.
        }
        self.counters.restarts += 1;
        self.boot(node)
    }

    /// Boots a crashed `node` from its disk.
    pub(super) fn boot(&mut self, node: NodeId) -> Result<(), Box<Violation>> {
        let setup = self.fresh_setup(node);
        self.read_back(node);
        self.nodes[node as usize - 1].stopped_by_fsync = false;
        self.nodes[node as usize - 1].restart(setup, &self.tuning);
        self.leadership_changed = true;
        self.restore_snapshot(node)?;
        let cluster_commit = self.checker.committed().last_index();
        self.catching_up_to[node as usize - 1] = Some(cluster_commit);
        self.after_input(node, true)
    }

    /// Resumes a paused node: its queued inputs are processed from now on.
    pub(super) fn resume(&mut self, node: NodeId) {
        self.leadership_changed = true;
        let sim_node = &mut self.nodes[node as usize - 1];
        sim_node.status = Status::Up;
        if let Some(observation) = sim_node.observation()
            && observation.role == Role::Leader
        {
            self.resumed_as_leader[node as usize - 1] = Some(observation.term);
        }
        self.schedule_processing(node);
    }

    /// One request of a burst fault is sent, and the next scheduled: a burst of `requests`
    /// spreads them evenly over the fault's duration.
    pub(super) fn on_burst_send(&mut self, fault: u32, request: u32) {
        let spec = &self.spec.schedule[fault as usize];
        if let crate::fault::FaultKind::Burst { requests } = spec.kind
            && request + 1 < requests
        {
            let offset = |request: u32| spec.duration_us * request as u64 / requests as u64;
            let next_us = self.now_us + offset(request + 1) - offset(request);
            self.queue.push(next_us, Event::BurstSend { fault, request: request + 1 });
        }
        let node = self.draw_node();
        let client = BURST_CLIENT_BASE + fault * 100_000 + request;
        let latency = self.network_latency();
        self.queue.push(self.now_us + latency, Event::ClientArrive { node, client, sequence: 1 });
    }

    /// A one-line description of `event` for timelines.
    pub(super) fn describe(&self, event: &Event) -> String {
        match event {
            Event::Deliver { to, from, frame, damage } => {
                let what =
                    match self.nodes[*to as usize - 1].raft.as_ref().map(|raft| raft.decode(frame))
                    {
                        Some(Ok(message)) => R::describe(&message),
                        Some(Err(error)) => format!("rejected frame: {error}"),
                        None => "dropped: the recipient is down".to_owned(),
                    };
                let damaged = match damage {
                    Damage::None => "",
                    Damage::Corrupted => " [corrupted]",
                    Damage::Tampered => " [tampered]",
                };
                format!("{from} -> {to}{damaged}: {what}")
            }
            Event::FaultStart { fault } => {
                format!(
                    "fault {fault} starts: {}",
                    self.spec.schedule[*fault as usize].kind.describe()
                )
            }
            Event::FaultEnd { fault } => format!("fault {fault} ends"),
            Event::Heal => "fault window over: heal".to_owned(),
            Event::Deadline => "liveness deadline".to_owned(),
            Event::Tick { node } => format!("tick n{node}"),
            Event::Process { node } => format!("n{node} takes its next input"),
            Event::ClientSend { client } => format!("client {client} sends"),
            Event::ClientArrive { node, client, sequence } => {
                format!("request {sequence} of client {client} reaches n{node}")
            }
            Event::ClientReply { client, sequence, reply, output: None } => {
                format!("reply to request {sequence} of client {client}: {}", reply.describe())
            }
            Event::ClientReply { client, sequence, output: Some(output), .. } => {
                format!("reply to request {sequence} of client {client}: {output:?}")
            }
            Event::ClientTimeout { client, sequence, attempt } => {
                format!("client {client} times out on request {sequence} (attempt {attempt})")
            }
            Event::BurstSend { fault, request } => format!("burst {fault} sends request {request}"),
            Event::Synced { node, .. } => format!("n{node}'s fsync completes"),
            Event::RequestFrame { to, from, frame, damage } => {
                let what = describe_client_frame(frame, *damage);
                format!("client frame from n{from}'s side reaches n{to}{what}")
            }
            Event::ReplyFrame { client, from, frame, damage } => {
                let what = describe_client_frame(frame, *damage);
                format!("answer from n{from} reaches client {client}{what}")
            }
            Event::MembershipChange { attempt: 0 } => "a membership change is due".to_owned(),
            Event::MembershipChange { attempt } => {
                format!("a membership change is asked again (attempt {attempt})")
            }
            Event::Rejoin { node } => {
                format!(
                    "n{node} was removed: unless added back since, it is wiped and boots afresh"
                )
            }
        }
    }
}

/// A client frame's content in words, after a colon: what it says, or why it was refused.
fn describe_client_frame(frame: &[u8], damage: Damage) -> String {
    let damaged = if damage == Damage::Corrupted { " [corrupted]" } else { "" };
    match crate::client_frame::decode(frame) {
        Ok(message) => format!("{damaged}: {message:?}"),
        Err(error) => format!("{damaged}: rejected frame: {error}"),
    }
}

/// The id under which a client's request is read: the client above the sequence number.
fn read_id(client: u32, sequence: u64) -> ReadId {
    debug_assert!(sequence < 1 << 40, "sequence numbers stay below 2^40");
    (u64::from(client) << 40) | sequence
}

/// The client and the request a read id names.
fn read_client(id: ReadId) -> (u32, u64) {
    ((id >> 40) as u32, id & ((1 << 40) - 1))
}
