//! The world: every simulated server, the network, the clients and the checker, driven one
//! event at a time in virtual time.
//!
//! One step pops the earliest event, applies it, and tells the checker what happened. The run
//! has two phases: during the fault window the schedule's faults come and go; at its end
//! everything heals (or, in core mode, only a majority does) and the liveness phase requires
//! the cluster to settle within the scenario's bound (see [`liveness`]).

mod description;
mod faults;
mod inputs;
pub mod liveness;
mod membership;
mod stability;
mod storage;
mod wire;

use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use crate::availability::{Availability, AvailabilityWatch};
use crate::check::{Checker, Property, Violation};
use crate::client::Clients;
use crate::counters::Counters;
use crate::coverage::Coverage;
use crate::efficiency::Efficiency;
use crate::event::{Event, EventQueue, EventRecord};
use crate::fault::Fault;
use crate::hash::chain_event;
use crate::kv_workload::KvWorkload;
use crate::net::Network;
use crate::node::{SimNode, Status};
use crate::options::Options;
use crate::raft_under_test::{
    Index, Membership, NodeId, NodeSetup, Observation, Output, RaftUnderTest, Term,
};
use crate::rng::{Concern, Stream, stream};
use crate::scenario::{PipelineParams, Routing, Workload};

pub use description::SentFrame;
pub use faults::ActiveFault;
use liveness::Liveness;

/// Everything that determines a run: same spec, same binary ⇒ same events, byte for byte.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// The root seed.
    pub seed: u64,
    /// The Raft implementation under test, by name (`raftsim`, `raft-rs`).
    pub raft: String,
    /// Resolved options.
    pub options: Options,
    /// The fault schedule (drawn from the seed, or read from a trace).
    pub schedule: Vec<Fault>,
    /// Bugs injected into raftsim's Raft (empty for any other implementation).
    pub bugs: raftsim_raft::Bugs,
}

/// The name of this repository's Raft, the default implementation under test.
pub const RAFTSIM: &str = "raftsim";

impl RunSpec {
    /// The spec of `seed` under `scenario` for raftsim's Raft: options and schedule drawn from
    /// the seed.
    pub fn from_seed(scenario: &crate::Scenario, seed: u64, bugs: raftsim_raft::Bugs) -> RunSpec {
        let options = Options::resolve(scenario, seed);
        let schedule = crate::fault::generate_schedule(&options, seed);
        RunSpec { seed, raft: RAFTSIM.to_owned(), options, schedule, bugs }
    }

    /// The same spec, for the implementation named `raft`.
    pub fn with_raft(mut self, raft: &str) -> RunSpec {
        self.raft = raft.to_owned();
        self
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
    /// The run outgrew a harness limit before any violation: a verdict on the harness and the
    /// scenario, never on the Raft under test.
    Exceeded(Exceeded),
    /// The caller stopped the run early (an interrupt, a benchmark's budget): no verdict.
    Stopped,
}

/// A harness limit a run outgrew.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// More events than the scenario's `budget.events_max`.
    Events,
    /// More frame bytes in flight (in transit or waiting in inboxes) than
    /// `budget.bytes_in_flight_max`.
    BytesInFlight,
    /// More bytes of log entries written to disks than `budget.disk_bytes_max`.
    DiskBytes,
    /// More pending events than the event queue holds.
    EventQueue,
}

impl Limit {
    /// The limit's name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            Limit::Events => "event budget",
            Limit::BytesInFlight => "bytes-in-flight budget",
            Limit::DiskBytes => "disk-bytes budget",
            Limit::EventQueue => "event queue capacity",
        }
    }
}

/// Where a run outgrew a harness limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exceeded {
    /// The step at which it did.
    pub step: u64,
    /// The virtual time of that step.
    pub time_us: u64,
    /// Which limit.
    pub limit: Limit,
    /// What was measured against what, in one line.
    pub detail: String,
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
    /// What the run cost, measured once it settled (`None` if it never did).
    pub efficiency: Option<Efficiency>,
    /// How well the cluster served: time without a leader, recovery after faults, latency.
    pub availability: Availability,
    /// The key-value clients' history, in a run that records its events for a trace (a
    /// campaign's runs keep none, so its memory stays flat).
    pub kv_history: Option<crate::kv_workload::History>,
}

impl RunResult {
    /// The failure, if the run failed.
    pub fn failure(&self) -> Option<&Failure> {
        match &self.verdict {
            Verdict::Fail(failure) => Some(failure),
            Verdict::Pass | Verdict::Exceeded(_) | Verdict::Stopped => None,
        }
    }

    /// The harness limit the run outgrew, if it did.
    pub fn exceeded(&self) -> Option<&Exceeded> {
        match &self.verdict {
            Verdict::Exceeded(exceeded) => Some(exceeded),
            Verdict::Pass | Verdict::Fail(_) | Verdict::Stopped => None,
        }
    }
}

/// Most frame buffers kept for reuse.
const FRAME_POOL_MAX: usize = 1024;

/// Largest capacity of a frame buffer kept for reuse, in bytes: a buffer keeps the capacity of
/// the largest frame it ever carried, so a pool that kept every one would drift up towards
/// `FRAME_POOL_MAX` catch-up-sized buffers over a long run (a run's peak memory then grew with
/// its length). Frames this large are rare; they get a fresh buffer.
const FRAME_POOL_BUFFER_BYTES_MAX: usize = 4096;

/// Most events pending at once before a run ends with a harness verdict: well within the event
/// queue's capacity, since one step can schedule many events.
pub const QUEUE_EVENTS_MAX: usize = crate::event::EventQueue::CAPACITY_MAX / 2;

/// What a caller can see of a running world without knowing which Raft it runs: for progress
/// displays and timelines.
pub trait WorldView {
    /// Current virtual time.
    fn now_us(&self) -> u64;
    /// Steps taken.
    fn steps(&self) -> u64;
    /// The records of every event so far, if recording.
    fn records(&self) -> Option<&[EventRecord]>;
    /// The description of the last event, if describing.
    fn description(&self) -> Option<&str>;
    /// Number of nodes.
    fn node_count(&self) -> usize;
    /// Whether `node` is up, paused or crashed.
    fn node_status(&self, node: NodeId) -> Status;
    /// `node`'s account of itself, unless crashed.
    fn node_observation(&self, node: NodeId) -> Option<Observation>;
    /// Whether `node`'s disk holds damage not yet repaired (see [`crate::disk`]).
    fn disk_is_damaged(&self, node: NodeId) -> bool;
    /// Counters so far.
    fn counters(&self) -> &Counters;
    /// The frames the last step handed to the network, if describing (empty otherwise).
    fn sent_frames(&self) -> &[SentFrame];
    /// The last index of the ground-truth committed prefix (0 when the checker is off).
    fn committed_index(&self) -> Index;
    /// The index of the last entry `node`'s state machine applied.
    fn applied_index(&self, node: NodeId) -> Index;
    /// What the scheduled fault at `fault` did when it struck, while it is active.
    fn active_fault(&self, fault: u32) -> Option<&ActiveFault>;
}

/// The simulated cluster, running implementation `R`, and its environment.
pub struct World<R: RaftUnderTest> {
    spec: RunSpec,
    tuning: R::Tuning,
    now_us: u64,
    step: u64,
    queue: EventQueue,
    nodes: Vec<SimNode<R>>,
    network: Network,
    clients: Option<Clients>,
    pipeline: Option<PipelineParams>,
    pipeline_sequence: u64,
    /// Whether some client reads with a lease: servers are told their local clock before
    /// every input.
    lease_reads: bool,
    /// Whether client traffic travels as frames on the network (`over_network`).
    over_network: bool,
    /// What followers do with writes.
    routing: Routing,
    checker: Checker,
    counters: Counters,
    event_hash: u64,
    records: Option<Vec<EventRecord>>,
    /// Reused output buffer of the node being driven. Boxed, so that lending it out during a
    /// drain moves a pointer, not the whole value. Invariant: `Some` except while a drain
    /// holds it.
    output: Option<Box<Output<R::Message>>>,
    /// Buffers of delivered frames, reused for new ones. Invariant: at most
    /// [`FRAME_POOL_MAX`] buffers, none with a capacity over [`FRAME_POOL_BUFFER_BYTES_MAX`].
    frame_pool: Vec<Vec<u8>>,
    node_rngs: Vec<Stream>,
    runtime_rng: Stream,
    /// Disk decisions: fsync latencies, what crashes keep, which records rot.
    disk_rng: Stream,
    active: Vec<Option<ActiveFault>>,
    /// Faults with a trigger target whose start time passed, waiting for their moment, in
    /// start order.
    armed: Vec<u32>,
    /// The liveness phase, once the fault window is over.
    liveness: Option<Liveness>,
    /// Leader stability, in the scenarios that check it.
    stability: Option<stability::StabilityWatch>,
    verdict: Option<Verdict>,
    /// The last event in words and the frames it sent, kept only when describing (for
    /// timelines).
    description: Option<description::Description>,
    /// Hard paths reached so far.
    coverage: Coverage,
    /// Whether the checker runs (always, except to measure its cost).
    checking: bool,
    /// Per node (id − 1): the term in which it was leader when it resumed from a pause, until
    /// it steps down.
    resumed_as_leader: Vec<Option<u64>>,
    /// Per node (id − 1): the cluster's commit index when it restarted, until it catches up.
    catching_up_to: Vec<Option<u64>>,
    /// The highest term in which a node became candidate, and how many did.
    candidates: (u64, u32),
    /// Per node (id − 1): the previous index of the last append it rejected, from the wire.
    last_rejection: Vec<Option<u64>>,
    /// Bytes of frames in transit or waiting in inboxes.
    bytes_in_flight: u64,
    /// Bytes of frames handed to the network so far.
    frame_bytes_sent: u64,
    /// What the run cost, once it settled.
    efficiency: Option<Efficiency>,
    /// Availability figures, measured as the run goes.
    availability: AvailabilityWatch,
    /// The term each server last reported leading in (`None`: not leading, or crashed).
    reported_leader: Vec<Option<Term>>,
    /// The newest term any server has reported.
    newest_term_reported: Term,
    /// Whether a report or a server's status changed since availability was last watched.
    leadership_changed: bool,
    /// The committed prefix's last index when availability was last watched.
    committed_seen: Index,
    /// Bytes of log entries written to disks so far.
    disk_bytes: u64,
    /// The membership workload, in runs that change the configuration.
    reconfiguration: Option<membership::Reconfiguration>,
    /// While a node serves an input: the service time, by which its output is held back.
    output_delay_us: u64,
}

impl<R: RaftUnderTest> World<R> {
    /// A world ready to run `spec` on implementation `R` with `tuning`. With `record`, every
    /// event's record is kept for a trace; recording never changes behaviour.
    pub fn new(spec: RunSpec, tuning: R::Tuning, record: bool) -> World<R> {
        let options = &spec.options;
        let count = options.servers() as usize;
        let servers: Vec<NodeId> = (1..=count as NodeId).collect();
        let voters = &servers[..options.nodes as usize];
        let mut queue = EventQueue::default();
        let mut node_rngs: Vec<Stream> =
            servers.iter().map(|&id| stream(spec.seed, Concern::Node(id))).collect();
        let mut nodes = Vec::with_capacity(count);
        for &id in &servers {
            let rng = &mut node_rngs[id as usize - 1];
            // A spare boots without a configuration, and learns one when a change adds it.
            let voters = if id <= options.nodes as NodeId { voters } else { &[] };
            let setup = node_setup(options, id, voters, count, rng.next_u64());
            let mut first_tick_us = rng.random_range(0..options.tick_us);
            if options.node.boot_spread_us > 0 {
                first_tick_us += rng.random_range(0..options.node.boot_spread_us);
            }
            queue.push(first_tick_us, Event::Tick { node: id });
            let disk = match options.faults.disk {
                Some(_) => crate::disk::Disk::checksummed(),
                None => crate::disk::Disk::default(),
            };
            nodes.push(SimNode::boot(setup, &tuning, disk));
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
        let reconfiguration = options.membership.as_ref().map(|_| {
            assert!(R::CHANGES_MEMBERSHIP, "membership changes on a Raft without them");
            let rng = stream(spec.seed, Concern::Reconfiguration);
            let workload = membership::Reconfiguration::new(options, rng, &mut queue);
            // The reserve ids of new incarnations stay down until one is taken.
            for node in nodes.iter_mut().filter(|node| workload.is_parked(node.id)) {
                node.crash();
            }
            workload
        });
        queue.push(options.fault_window_us, Event::Heal);
        let client_params = match &options.workload {
            Workload::Clients(params) => Some(params),
            Workload::Pipeline(_) => None,
        };
        World {
            tuning,
            now_us: 0,
            step: 0,
            queue,
            nodes,
            network,
            clients,
            pipeline,
            pipeline_sequence: 0,
            lease_reads: spec.options.lease_reads(),
            over_network: client_params.is_some_and(|clients| clients.over_network),
            routing: client_params.map_or(Routing::Redirect, |clients| clients.routing),
            checker: Checker::with_servers(count, Membership::of_voters(voters)),
            counters: Counters::default(),
            event_hash: 0,
            records: record.then(Vec::new),
            output: Some(Box::default()),
            frame_pool: Vec::new(),
            node_rngs,
            runtime_rng: stream(spec.seed, Concern::Runtime),
            disk_rng: stream(spec.seed, Concern::Disk),
            active: vec![None; spec.schedule.len()],
            armed: Vec::new(),
            liveness: None,
            stability: spec.options.leader_stability.then(|| stability::StabilityWatch::new(count)),
            verdict: None,
            description: None,
            coverage: Coverage::default(),
            checking: !spec.options.is_robustness_only(),
            resumed_as_leader: vec![None; count],
            catching_up_to: vec![None; count],
            candidates: (0, 0),
            last_rejection: vec![None; count],
            bytes_in_flight: 0,
            frame_bytes_sent: 0,
            efficiency: None,
            availability: AvailabilityWatch::new(),
            reported_leader: vec![None; count],
            newest_term_reported: 0,
            leadership_changed: false,
            committed_seen: 0,
            disk_bytes: 0,
            output_delay_us: 0,
            reconfiguration,
            spec,
        }
    }

    /// Keep a readable description of each event (see [`WorldView::description`]). Slower;
    /// for timelines only.
    pub fn describe_events(&mut self, on: bool) {
        self.description = on.then(description::Description::default);
    }

    /// Turns the checker off. Only benchmarks do this, to measure the checker's share of run
    /// time; a run without its checker proves nothing. (A robustness-only run never checks.)
    pub fn set_checking(&mut self, on: bool) {
        self.checking = on && !self.spec.options.is_robustness_only();
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
        let record = event.record(time_us);
        self.event_hash = chain_event(self.event_hash, &record.encode());
        if let Some(records) = &mut self.records {
            records.push(record);
        }
        if self.description.is_some() {
            self.describe_step(&event);
        }
        let applied = self
            .apply(event)
            .and_then(|()| self.check_stability())
            .and_then(|()| self.check_liveness());
        self.watch_availability();
        self.watch_membership();
        if let Err(violation) = applied {
            let failure = Failure { step: self.step, time_us, violation: *violation };
            self.verdict = Some(Verdict::Fail(failure));
        } else if self.verdict.is_none() {
            self.check_budget();
        }
        self.verdict.as_ref()
    }

    /// Ends the run with a harness verdict if it outgrew a limit: the scenario's budget, or
    /// the event queue.
    fn check_budget(&mut self) {
        let budget = &self.spec.options.budget;
        let outgrown = if self.step > budget.events_max {
            Some((Limit::Events, format!("{} events, budget {}", self.step, budget.events_max)))
        } else if self.bytes_in_flight > budget.bytes_in_flight_max {
            Some((
                Limit::BytesInFlight,
                format!(
                    "{} frame bytes in flight, budget {}",
                    self.bytes_in_flight, budget.bytes_in_flight_max
                ),
            ))
        } else if self.disk_bytes > budget.disk_bytes_max {
            Some((
                Limit::DiskBytes,
                format!(
                    "{} bytes written to disks, budget {}",
                    self.disk_bytes, budget.disk_bytes_max
                ),
            ))
        } else if self.queue.len() > QUEUE_EVENTS_MAX {
            let detail =
                format!("{} events pending, capacity {QUEUE_EVENTS_MAX}", self.queue.len());
            Some((Limit::EventQueue, detail))
        } else {
            None
        };
        if let Some((limit, detail)) = outgrown {
            let exceeded = Exceeded { step: self.step, time_us: self.now_us, limit, detail };
            self.verdict = Some(Verdict::Exceeded(exceeded));
        }
    }

    /// Runs to the end.
    pub fn run(mut self) -> RunResult {
        while self.step().is_none() {}
        self.result()
    }

    /// Runs to the end, turning a panic (in raftsim or in the Raft code under test) into a
    /// `panic` violation at the step where it happened, so that a campaign reports it like any
    /// other failure, with a trace. `observe` is called after every step and may stop the run
    /// early by returning `false`. Returns the result and, if recording, the events.
    pub fn run_catching(
        mut self,
        mut observe: impl FnMut(&dyn WorldView) -> bool,
    ) -> (RunResult, Option<Vec<EventRecord>>) {
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            while self.step().is_none() {
                if !observe(&self) {
                    self.verdict = Some(Verdict::Stopped);
                    return;
                }
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
        (self.result(), self.records.take())
    }

    /// The result so far (final once [`World::step`] returned a verdict).
    pub fn result(&self) -> RunResult {
        let mut counters = self.counters;
        let observed = self.checker.observed();
        counters.leader_changes = observed.leader_changes;
        counters.max_term = observed.max_term;
        counters.commits = observed.commits;
        let mut coverage = self.coverage;
        coverage.follower_truncated_conflicting_suffix = counters.truncations;
        coverage.corrupted_frame_rejected = counters.frames_rejected;
        coverage.inbox_overflow = counters.inbox_drops;
        coverage.prior_term_entry_committed_indirectly = observed.prior_term_commits;
        if let Some(clients) = &self.clients {
            counters.client_retries = clients.retries;
            counters.client_requests = clients.completed;
            (counters.breakers_opened, counters.breaker_probes) = clients.breaker_counts();
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
            efficiency: self.efficiency,
            availability: self
                .availability
                .finish(self.now_us, self.checking.then(|| self.checker.committed().last_index())),
            kv_history: self.records.as_ref().and(self.kv_history()).cloned(),
        }
    }

    /// The spec being run.
    pub fn spec(&self) -> &RunSpec {
        &self.spec
    }

    /// The key-value clients' history so far, if they run that workload.
    pub fn kv_history(&self) -> Option<&crate::kv_workload::History> {
        self.clients.as_ref()?.kv.as_ref().map(|kv| kv.history())
    }

    /// The implementation running `node`, unless crashed (for tests that look inside).
    pub fn raft(&self, node: NodeId) -> Option<&R> {
        self.nodes[node as usize - 1].raft.as_ref()
    }

    fn apply(&mut self, event: Event) -> Result<(), Box<Violation>> {
        match event {
            Event::Tick { node } => self.on_tick(node),
            Event::Deliver { to, from, frame, damage } => {
                // A link cut while the frame was on its way cuts the frame too.
                if !self.network.is_reachable(from, to) {
                    self.counters.frames_cut_in_flight += 1;
                    self.release_frame(frame);
                    return Ok(());
                }
                let input = crate::node::Input::Frame { from, frame, damage };
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
            Event::ClientReply { client, sequence, reply, output } => {
                self.on_client_reply(client, sequence, reply, output.map(|output| *output))
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
            Event::Synced { node, incarnation } => self.on_synced(node, incarnation),
            Event::RequestFrame { to, from, frame, damage } => {
                self.on_request_frame(to, from, frame, damage)
            }
            Event::ReplyFrame { client, from, frame, damage } => {
                self.on_reply_frame(client, from, frame, damage)
            }
            Event::Heal => self.heal(),
            Event::MembershipChange { attempt } => self.on_membership_change(attempt),
            Event::Rejoin { node } => self.on_rejoin(node),
            Event::Deadline if self.spec.options.is_robustness_only() => {
                self.verdict = Some(Verdict::Pass); // No panic, which is all that is owed.
                Ok(())
            }
            Event::Deadline => Err(self.liveness_violation()),
        }
    }

    fn on_client_send(&mut self, client: u32) {
        let Some(clients) = &mut self.clients else { return };
        let (node, sequence) = clients.send(client, self.now_us, &mut self.queue);
        if self.over_network {
            let zone = self.zone(client);
            let request = crate::client_frame::ClientFrame::Request { client, sequence };
            self.send_client_frame(zone, wire::Destination::Server(node), &request);
            return;
        }
        let latency = self.network_latency();
        self.queue.push(self.now_us + latency, Event::ClientArrive { node, client, sequence });
    }

    pub(super) fn on_client_reply(
        &mut self,
        client: u32,
        sequence: u64,
        reply: crate::event::Reply,
        output: Option<crate::kv::KvOutput>,
    ) -> Result<(), Box<Violation>> {
        let Some(clients) = &mut self.clients else { return Ok(()) };
        let Some(done) =
            clients.on_reply(client, sequence, reply, output, self.now_us, &mut self.queue)
        else {
            return Ok(());
        };
        self.availability.on_client_completed(self.now_us - done.first_sent_at_us);
        if clients.kv.as_mut().is_some_and(KvWorkload::check_due) {
            // The history so far, its unanswered operations maybe applied: linearizability is
            // prefix-closed, so a violation here is one in every run that goes on from here.
            self.check_linearizability()?;
        }
        Ok(())
    }

    /// Tells the availability watch whether a leader exists after this step (a running server
    /// that reports leading in the newest term reported), and whether the committed prefix
    /// grew.
    fn watch_availability(&mut self) {
        if self.leadership_changed {
            self.leadership_changed = false;
            let newest = self.newest_term_reported;
            let has_leader = self.nodes.iter().zip(&self.reported_leader).any(|(node, &led)| {
                node.status == Status::Up && led.is_some_and(|term| term >= newest)
            });
            self.availability.on_leadership(self.now_us, has_leader);
        }
        let committed = self.checker.committed().last_index();
        if committed > self.committed_seen {
            self.committed_seen = committed;
            self.availability.on_commit(self.now_us);
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

    /// The leader with the highest term, as the nodes report it.
    fn leader(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .filter_map(|node| node.observation().map(|observation| (node.id, observation)))
            .filter(|(_, observation)| observation.role == crate::raft_under_test::Role::Leader)
            .max_by_key(|(_, observation)| observation.term)
            .map(|(id, _)| id)
    }

    /// The setup for a fresh incarnation of `node`: with the first configuration's voters,
    /// or without a configuration for a spare (or a new incarnation of a wiped server).
    fn fresh_setup(&mut self, node: NodeId) -> NodeSetup {
        let options = &self.spec.options;
        let nodes = options.nodes as NodeId;
        let voters: Vec<NodeId> = if node <= nodes { (1..=nodes).collect() } else { Vec::new() };
        let seed = self.node_rngs[node as usize - 1].next_u64();
        node_setup(options, node, &voters, self.nodes.len(), seed)
    }

    /// An empty buffer for a new frame, reused if one is available.
    fn frame_buffer(&mut self) -> Vec<u8> {
        let mut buffer = self.frame_pool.pop().unwrap_or_else(|| Vec::with_capacity(64));
        buffer.clear();
        buffer
    }

    /// A frame is no longer in flight (delivered, dropped or lost with its node): its bytes
    /// stop counting, and its buffer is reused.
    fn release_frame(&mut self, frame: Vec<u8>) {
        self.bytes_in_flight -= frame.len() as u64;
        if self.frame_pool.len() < FRAME_POOL_MAX && frame.capacity() <= FRAME_POOL_BUFFER_BYTES_MAX
        {
            self.frame_pool.push(frame);
        }
    }

    fn draw_node(&mut self) -> NodeId {
        self.runtime_rng.random_range(1..=self.nodes.len() as NodeId)
    }
}

impl<R: RaftUnderTest> WorldView for World<R> {
    fn now_us(&self) -> u64 {
        self.now_us
    }

    fn steps(&self) -> u64 {
        self.step
    }

    fn records(&self) -> Option<&[EventRecord]> {
        self.records.as_deref()
    }

    fn description(&self) -> Option<&str> {
        self.description.as_ref().map(|description| description.text.as_str())
    }

    fn node_count(&self) -> usize {
        self.nodes.len()
    }

    fn node_status(&self, node: NodeId) -> Status {
        self.nodes[node as usize - 1].status
    }

    fn node_observation(&self, node: NodeId) -> Option<Observation> {
        self.nodes[node as usize - 1].observation()
    }

    fn disk_is_damaged(&self, node: NodeId) -> bool {
        self.nodes[node as usize - 1].disk.is_damaged()
    }

    fn counters(&self) -> &Counters {
        &self.counters
    }

    fn sent_frames(&self) -> &[SentFrame] {
        self.description.as_ref().map_or(&[], |description| &description.sent)
    }

    fn committed_index(&self) -> Index {
        self.checker.committed().last_index()
    }

    fn applied_index(&self, node: NodeId) -> Index {
        self.nodes[node as usize - 1].state_machine.applied_index()
    }

    fn active_fault(&self, fault: u32) -> Option<&ActiveFault> {
        self.active.get(fault as usize).and_then(Option::as_ref)
    }
}

/// The setup of `id` under `options`.
fn node_setup(
    options: &Options,
    id: NodeId,
    voters: &[NodeId],
    servers: usize,
    seed: u64,
) -> NodeSetup {
    let raft = &options.raft;
    NodeSetup {
        id,
        voters: voters.to_vec(),
        servers: (1..=servers as NodeId).collect(),
        election_timeout_ticks_min: raft.election_timeout_ticks.min(),
        election_timeout_ticks_max: raft.election_timeout_ticks.max(),
        heartbeat_interval_ticks: raft.heartbeat_interval_ticks,
        max_inflight_messages: raft.max_inflight_messages,
        max_entries_per_message: raft.max_entries_per_message,
        max_bytes_per_message: raft.max_bytes_per_message,
        max_uncommitted_entries: raft.max_uncommitted_entries,
        pre_vote: raft.pre_vote,
        check_quorum: raft.check_quorum,
        lease_reads: options.lease_reads(),
        tick_us: options.tick_us,
        tick_percent_bounds: options.faults.clock_skew.as_ref().map_or((100, 100), |skew| {
            (skew.tick_percent.min().min(100), skew.tick_percent.max().max(100))
        }),
        seed,
    }
}
