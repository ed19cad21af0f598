//! The world: every simulated server, the network, the clients and the checker, driven one
//! event at a time in virtual time.
//!
//! One step pops the earliest event, applies it, and runs the checker on whatever changed. The
//! run has two phases: during the fault window the schedule's faults come and go; at its end
//! everything heals and the liveness phase requires a leader to commit a new command within the
//! scenario's bound.

mod faults;
mod inputs;

use raftsim_raft::{Bugs, Config, FrameCodec, NodeId, Ready, RoleKind};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use crate::check::{Checker, ClusterView, NodeState, Property, Violation};
use crate::client::Clients;
use crate::counters::Counters;
use crate::coverage::Coverage;
use crate::event::{Event, EventQueue, EventRecord};
use crate::fault::Fault;
use crate::hash::chain_event;
use crate::net::Network;
use crate::node::{SimNode, Status};
use crate::options::Options;
use crate::rng::{Concern, Stream, stream};
use crate::scenario::{PipelineParams, Workload};

pub use faults::ActiveFault;

/// Everything that determines a run: same spec, same binary ⇒ same events, byte for byte.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// The root seed.
    pub seed: u64,
    /// Resolved options.
    pub options: Options,
    /// The fault schedule (drawn from the seed, or read from a trace).
    pub schedule: Vec<Fault>,
    /// Injected bugs.
    pub bugs: Bugs,
}

impl RunSpec {
    /// The spec of `seed` under `scenario`: options and schedule drawn from the seed.
    pub fn from_seed(scenario: &crate::Scenario, seed: u64, bugs: Bugs) -> RunSpec {
        let options = Options::resolve(scenario, seed);
        let schedule = crate::fault::generate_schedule(&options, seed);
        RunSpec { seed, options, schedule, bugs }
    }
}

/// A property violation, located in the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    /// The step (1-based event number) at which it was detected.
    pub step: u64,
    /// The virtual time of that step.
    pub time_us: u64,
    /// What was violated.
    #[serde(flatten)]
    pub violation: Violation,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every property held, and liveness was reached after the heal.
    Pass,
    /// A property was violated.
    Fail(Failure),
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunResult {
    /// The seed.
    pub seed: u64,
    /// Pass or the violation.
    pub verdict: Verdict,
    /// Events processed (steps).
    pub events: u64,
    /// Chained hash of every event's canonical encoding.
    pub event_hash: u64,
    /// Virtual time at the end.
    pub end_time_us: u64,
    /// What happened.
    pub counters: Counters,
    /// Which hard paths were reached.
    pub coverage: Coverage,
}

impl RunResult {
    /// The failure, if the run failed.
    pub fn failure(&self) -> Option<&Failure> {
        match &self.verdict {
            Verdict::Pass => None,
            Verdict::Fail(failure) => Some(failure),
        }
    }
}

/// Where the run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Faults come and go.
    Faults,
    /// Everything healed at `healed_at_us`; waiting for a new command to commit.
    Liveness {
        healed_at_us: u64,
        /// Highest commit index anywhere at the heal.
        commit_at_heal: u64,
    },
}

/// Most frame buffers kept for reuse.
const FRAME_POOL_MAX: usize = 1024;

/// Most steps one run may take: far beyond any scenario's needs, a guard against a runaway.
pub const STEPS_MAX: u64 = 200_000_000;

/// The simulated cluster and its environment.
pub struct World {
    spec: RunSpec,
    now_us: u64,
    step: u64,
    queue: EventQueue,
    nodes: Vec<SimNode>,
    network: Network,
    clients: Option<Clients>,
    pipeline: Option<PipelineParams>,
    pipeline_sequence: u64,
    checker: Checker,
    counters: Counters,
    event_hash: u64,
    records: Option<Vec<EventRecord>>,
    /// Reused output buffer of the node being driven.
    /// Boxed, so that lending it out during a drain moves a pointer, not the whole value.
    /// Invariant: `Some` except while a drain holds it.
    ready: Option<Box<Ready>>,
    /// Reused buffer of `(index, applied hash)` for the checker.
    applied: Vec<(u64, u64)>,
    /// Encodes frames (every node encodes the same way).
    encoder: FrameCodec,
    /// Buffers of delivered frames, reused for new ones. Invariant: at most
    /// [`FRAME_POOL_MAX`] buffers.
    frame_pool: Vec<Vec<u8>>,
    node_rngs: Vec<Stream>,
    runtime_rng: Stream,
    active: Vec<Option<ActiveFault>>,
    /// Faults with a trigger target whose start time passed, waiting for their moment, in
    /// start order.
    armed: Vec<u32>,
    phase: Phase,
    verdict: Option<Verdict>,
    /// A description of the last event, kept only when describing (for timelines).
    description: Option<String>,
    /// Hard paths reached so far.
    coverage: Coverage,
    /// Whether the checker runs after each step (always, except to measure its cost).
    checking: bool,
    /// Per node (id − 1): the term in which it was leader when it resumed from a pause, until
    /// it steps down.
    resumed_as_leader: Vec<Option<u64>>,
    /// Per node (id − 1): the cluster's commit index when it restarted, until it catches up.
    catching_up_to: Vec<Option<u64>>,
    /// The highest term in which a node became candidate, and how many did.
    candidates: (u64, u32),
}

impl World {
    /// A world ready to run `spec`. With `record`, every event's record is kept for a trace;
    /// recording never changes behaviour.
    pub fn new(spec: RunSpec, record: bool) -> World {
        let options = &spec.options;
        let count = options.nodes as usize;
        let voters: Vec<NodeId> = (1..=count as NodeId).collect();
        let mut queue = EventQueue::default();
        let mut node_rngs: Vec<Stream> =
            voters.iter().map(|&id| stream(spec.seed, Concern::Node(id))).collect();
        let verify_checksum = !spec.bugs.contains(raftsim_raft::Bug::IgnoreChecksum);
        let mut nodes = Vec::with_capacity(count);
        for &id in &voters {
            let rng = &mut node_rngs[id as usize - 1];
            let config = node_config(options, spec.bugs, id, &voters, rng.next_u64());
            let phase_us = rng.random_range(0..options.tick_us);
            queue.push(phase_us, Event::Tick { node: id });
            nodes.push(SimNode::new(config, FrameCodec::new(&voters, verify_checksum)));
        }
        let network = Network::new(count, &options.network, stream(spec.seed, Concern::Network));
        let (clients, pipeline) = match &options.workload {
            Workload::Clients(params) => {
                let rng = stream(spec.seed, Concern::Workload);
                (Some(Clients::new(params.clone(), count as NodeId, rng, &mut queue)), None)
            }
            Workload::Pipeline(params) => (None, Some(params.clone())),
        };
        for (position, fault) in spec.schedule.iter().enumerate() {
            if fault.start_us < options.fault_window_us {
                queue.push(fault.start_us, Event::FaultStart { fault: position as u32 });
            }
        }
        queue.push(options.fault_window_us, Event::Heal);
        World {
            now_us: 0,
            step: 0,
            queue,
            nodes,
            network,
            clients,
            pipeline,
            pipeline_sequence: 0,
            checker: Checker::new(count),
            counters: Counters::default(),
            event_hash: 0,
            records: record.then(Vec::new),
            ready: Some(Box::default()),
            applied: Vec::new(),
            encoder: FrameCodec::new(&voters, true),
            frame_pool: Vec::new(),
            node_rngs,
            runtime_rng: stream(spec.seed, Concern::Runtime),
            active: vec![None; spec.schedule.len()],
            armed: Vec::new(),
            phase: Phase::Faults,
            verdict: None,
            description: None,
            coverage: Coverage::default(),
            checking: true,
            resumed_as_leader: vec![None; count],
            catching_up_to: vec![None; count],
            candidates: (0, 0),
            spec,
        }
    }

    /// Keep a readable description of each event (see [`World::description`]). Slower; for
    /// timelines only.
    pub fn describe_events(&mut self, on: bool) {
        self.description = on.then(String::new);
    }

    /// Turns the checker off (or back on). Only benchmarks do this, to measure the checker's
    /// share of run time; a run without its checker proves nothing.
    pub fn set_checking(&mut self, on: bool) {
        self.checking = on;
    }

    /// Processes one event. Returns the verdict once the run is over (and on every later call).
    pub fn step(&mut self) -> Option<&Verdict> {
        if self.verdict.is_some() {
            return self.verdict.as_ref();
        }
        let Some((time_us, event)) = self.queue.pop() else {
            unreachable!("node ticks keep the queue non-empty until the deadline");
        };
        assert!(time_us >= self.now_us, "virtual time went backwards");
        self.now_us = time_us;
        self.step += 1;
        assert!(self.step <= STEPS_MAX, "run exceeded {STEPS_MAX} steps");
        let record = event.record(time_us);
        self.event_hash = chain_event(self.event_hash, &record.encode());
        if let Some(records) = &mut self.records {
            records.push(record);
        }
        if self.description.is_some() {
            self.description = Some(self.describe(&event));
        }
        if let Err(violation) = self.apply(event) {
            let failure = Failure { step: self.step, time_us, violation: *violation };
            self.verdict = Some(Verdict::Fail(failure));
        }
        self.verdict.as_ref()
    }

    /// Runs to the end.
    pub fn run(mut self) -> RunResult {
        while self.step().is_none() {}
        self.result()
    }

    /// Runs to the end, turning a panic (in raftsim or in the Raft code under test) into a
    /// `panic` violation at the step where it happened, so that a campaign reports it like any
    /// other failure, with a trace. Returns the result and, if recording, the events.
    pub fn run_catching(self) -> (RunResult, Option<Vec<EventRecord>>) {
        self.run_catching_with(|_| {})
    }

    /// [`World::run_catching`], calling `observe` after every step (for timelines).
    pub fn run_catching_with(
        mut self,
        mut observe: impl FnMut(&World),
    ) -> (RunResult, Option<Vec<EventRecord>>) {
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            while self.step().is_none() {
                observe(&self);
            }
            observe(&self);
        }));
        if let Err(payload) = ran {
            let message = payload
                .downcast_ref::<&str>()
                .map(|message| message.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            let violation = *Violation::new(Property::Panic, Vec::new(), None, message);
            let failure = Failure { step: self.step, time_us: self.now_us, violation };
            self.verdict = Some(Verdict::Fail(failure));
        }
        (self.result(), self.take_records())
    }

    /// The result so far (final once [`World::step`] returned a verdict).
    pub fn result(&self) -> RunResult {
        let mut counters = self.counters;
        let observed = self.checker.observed();
        counters.elections = observed.elections;
        counters.leader_changes = observed.leader_changes;
        counters.max_term = observed.max_term;
        counters.commits = observed.commits;
        let mut coverage = self.coverage;
        coverage.follower_truncated_conflicting_suffix = counters.truncations;
        coverage.corrupted_frame_rejected = counters.frames_rejected;
        coverage.inbox_overflow = counters.inbox_drops;
        if let Some(clients) = &self.clients {
            counters.client_retries = clients.retries;
            counters.client_requests = clients.completed;
            coverage.client_retried_after_redirect = clients.redirect_retries;
        }
        RunResult {
            seed: self.spec.seed,
            verdict: self.verdict.clone().unwrap_or(Verdict::Pass),
            events: self.step,
            event_hash: self.event_hash,
            end_time_us: self.now_us,
            counters,
            coverage,
        }
    }

    /// The records of every event so far, if recording.
    pub fn records(&self) -> Option<&[EventRecord]> {
        self.records.as_deref()
    }

    /// Takes the records out, if recording.
    pub fn take_records(&mut self) -> Option<Vec<EventRecord>> {
        self.records.take()
    }

    /// The description of the last event, if describing.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The spec being run.
    pub fn spec(&self) -> &RunSpec {
        &self.spec
    }

    /// Current virtual time.
    pub fn now_us(&self) -> u64 {
        self.now_us
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Counters so far (without the checker's; see [`World::result`]).
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The state of `node` as the checker sees it.
    pub fn node_state(&self, node: NodeId) -> NodeState {
        self.nodes[node as usize - 1].state()
    }

    /// Whether `node` is up, paused or crashed.
    pub fn node_status(&self, node: NodeId) -> Status {
        self.nodes[node as usize - 1].status
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    fn apply(&mut self, event: Event) -> Result<(), Box<Violation>> {
        match event {
            Event::Tick { node } => self.on_tick(node),
            Event::Deliver { to, from, frame, corrupted } => {
                let input = crate::node::Input::Frame { from, frame, corrupted };
                self.arrive(to, input)
            }
            Event::Process { node } => self.on_process(node),
            Event::ClientSend { client } => {
                self.on_client_send(client);
                Ok(())
            }
            Event::ClientArrive { node, client, sequence } => {
                self.arrive(node, crate::node::Input::Request { client, sequence })
            }
            Event::ClientReply { client, sequence, reply } => {
                self.on_client_reply(client, sequence, reply);
                Ok(())
            }
            Event::ClientTimeout { client, sequence, attempt } => {
                if let Some(clients) = &mut self.clients {
                    clients.on_timeout(client, sequence, attempt, self.now_us, &mut self.queue);
                }
                Ok(())
            }
            Event::FaultStart { fault } => self.start_fault(fault),
            Event::FaultEnd { fault } => self.end_fault(fault),
            Event::BurstSend { fault, request } => {
                self.on_burst_send(fault, request);
                Ok(())
            }
            Event::Heal => self.heal(),
            Event::Deadline => Err(self.liveness_violation()),
        }
    }

    fn on_client_send(&mut self, client: u32) {
        let Some(clients) = &mut self.clients else { return };
        let (node, sequence) = clients.send(client, self.now_us, &mut self.queue);
        let latency = self.network_latency();
        self.queue.push(self.now_us + latency, Event::ClientArrive { node, client, sequence });
    }

    fn on_client_reply(&mut self, client: u32, sequence: u64, reply: crate::event::Reply) {
        let Some(clients) = &mut self.clients else { return };
        let completion = clients.on_reply(client, sequence, reply, self.now_us, &mut self.queue);
        if let (Some(completion), Phase::Liveness { healed_at_us, .. }) = (completion, self.phase)
            && completion.sent_at_us >= healed_at_us
        {
            self.verdict = Some(Verdict::Pass);
        }
    }

    /// A latency for client traffic, drawn from the workload's stream.
    fn network_latency(&mut self) -> u64 {
        let latency = self.spec.options.network.latency_us;
        match &mut self.clients {
            Some(clients) => clients.latency_us(latency.min(), latency.max()),
            None => latency.min(),
        }
    }

    /// Ends the fault window: heals every active fault, restarts crashed nodes, resumes paused
    /// ones, turns the network's fault rules off, and starts the liveness clock.
    fn heal(&mut self) -> Result<(), Box<Violation>> {
        self.armed.clear();
        for fault in 0..self.active.len() as u32 {
            self.end_fault(fault)?;
        }
        self.network.heal();
        for node in 1..=self.nodes.len() as NodeId {
            match self.nodes[node as usize - 1].status {
                Status::Crashed => self.restart(node)?,
                Status::Paused => self.resume(node),
                Status::Up => {}
            }
            let sim_node = &mut self.nodes[node as usize - 1];
            sim_node.slowdown = 1;
            sim_node.tick_percent = 100;
        }
        let commit_at_heal =
            self.nodes.iter().map(|node| node.state().commit_index).max().unwrap_or(0);
        self.phase = Phase::Liveness { healed_at_us: self.now_us, commit_at_heal };
        let deadline = self.now_us + self.spec.options.liveness_bound_us;
        self.queue.push(deadline, Event::Deadline);
        Ok(())
    }

    /// The liveness bound passed: say what is still pending.
    fn liveness_violation(&self) -> Box<Violation> {
        let mut states = Vec::new();
        for node in &self.nodes {
            let state = node.state();
            let role = match state.role {
                RoleKind::Leader => "leader",
                RoleKind::Candidate => "candidate",
                RoleKind::Follower => "follower",
            };
            states.push(format!(
                "{}:{role}/term {}/commit {}/last {}/inbox {}",
                node.id,
                state.term,
                state.commit_index,
                state.last_index,
                node.inbox.len()
            ));
        }
        let bound_ms = self.spec.options.liveness_bound_us as f64 / 1000.0;
        let detail = format!(
            "no new command committed within {bound_ms} ms after the heal; nodes: {}",
            states.join(", ")
        );
        let nodes = (1..=self.nodes.len() as NodeId).collect();
        Violation::new(Property::Liveness, nodes, None, detail)
    }

    /// For the pipeline workload, liveness is reached when a leader commits past the heal.
    fn check_pipeline_liveness(&mut self, node: NodeId) {
        if let Phase::Liveness { commit_at_heal, .. } = self.phase {
            let state = self.nodes[node as usize - 1].state();
            if state.role == RoleKind::Leader && state.commit_index > commit_at_heal {
                self.verdict = Some(Verdict::Pass);
            }
        }
    }

    fn leader(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .filter(|node| node.is_leader())
            .max_by_key(|node| node.state().term)
            .map(|node| node.id)
    }

    fn fresh_config(&mut self, node: NodeId) -> Config {
        let voters: Vec<NodeId> = (1..=self.nodes.len() as NodeId).collect();
        let seed = self.node_rngs[node as usize - 1].next_u64();
        node_config(&self.spec.options, self.spec.bugs, node, &voters, seed)
    }

    /// An empty buffer for a new frame, reused if one is available.
    fn frame_buffer(&mut self) -> Vec<u8> {
        let mut buffer = self.frame_pool.pop().unwrap_or_else(|| Vec::with_capacity(64));
        buffer.clear();
        buffer
    }

    /// Gives a frame's buffer back for reuse.
    fn recycle_frame(&mut self, frame: Vec<u8>) {
        if self.frame_pool.len() < FRAME_POOL_MAX {
            self.frame_pool.push(frame);
        }
    }

    fn draw_node(&mut self) -> NodeId {
        self.runtime_rng.random_range(1..=self.nodes.len() as NodeId)
    }
}

/// The Raft configuration of `id` under `options`.
fn node_config(options: &Options, bugs: Bugs, id: NodeId, voters: &[NodeId], seed: u64) -> Config {
    let raft = &options.raft;
    Config {
        election_timeout_ticks_min: raft.election_timeout_ticks.min(),
        election_timeout_ticks_max: raft.election_timeout_ticks.max(),
        heartbeat_interval_ticks: raft.heartbeat_interval_ticks,
        max_inflight_messages: raft.max_inflight_messages as usize,
        max_entries_per_message: raft.max_entries_per_message as usize,
        max_bytes_per_message: raft.max_bytes_per_message as usize,
        max_uncommitted_entries: raft.max_uncommitted_entries as usize,
        seed,
        bugs,
        ..Config::new(id, voters.to_vec())
    }
}

/// The cluster as the checker reads it.
struct Cluster<'a>(&'a [SimNode]);

impl ClusterView for Cluster<'_> {
    fn node_ids(&self) -> std::ops::RangeInclusive<NodeId> {
        1..=self.0.len() as NodeId
    }

    fn node_state(&self, node: NodeId) -> NodeState {
        self.0[node as usize - 1].state()
    }

    fn prefix(&self, node: NodeId) -> &[u64] {
        &self.0[node as usize - 1].disk.prefix
    }
}
