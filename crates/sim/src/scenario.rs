//! The scenario file format: named, checked-in descriptions of a cluster, its workload, and the
//! bounds within which each seed draws its faults.
//!
//! Scenarios are JSON. Unknown fields are refused, every value is range-checked, and every error
//! names the field (or the line and column) it is about. Ranges are written `[min, max]`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::efficiency::Expect;
use thiserror::Error;

/// Most nodes a scenario may simulate.
pub const NODES_MAX: u32 = 9;

/// An inclusive range `[min, max]`, written as a two-element array.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Span<T>(pub T, pub T);

impl<T: Copy + PartialOrd> Span<T> {
    /// The lower bound.
    pub fn min(&self) -> T {
        self.0
    }
    /// The upper bound.
    pub fn max(&self) -> T {
        self.1
    }
}

/// A named scenario, as read from `scenarios/*.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name, used on the command line and in trace file names.
    pub name: String,
    /// One line saying what the scenario exercises.
    pub description: String,
    /// Cluster size.
    pub nodes: u32,
    /// Virtual time between two ticks of a node.
    pub tick_ms: u64,
    /// Length of the safety phase, during which faults happen.
    pub fault_window_ms: u64,
    /// After the fault window everything heals; a leader must then commit a new command within
    /// this bound, or the run fails for liveness.
    pub liveness_bound_ms: u64,
    /// Protocol timing and limits.
    #[serde(default)]
    pub raft: RaftParams,
    /// How each simulated server processes its inputs.
    #[serde(default)]
    pub node: NodeParams,
    /// Fault-free network behaviour.
    #[serde(default)]
    pub network: NetworkParams,
    /// What the clients do.
    pub workload: Workload,
    /// Membership changes while the faults happen: servers added, promoted, removed and
    /// replaced, spares that join, removed servers that come back on wiped disks. Under swarm
    /// testing, on in half the seeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership: Option<MembershipParams>,
    /// Swarm testing: each seed enables a random subset of the fault kinds listed in `faults`
    /// (each with probability 1/2), so a campaign covers many fault mixes. Without swarm every
    /// listed kind is on in every seed.
    #[serde(default)]
    pub swarm: bool,
    /// The fault kinds this scenario may inject, with their bounds. Absent kinds never happen.
    #[serde(default)]
    pub faults: FaultParams,
    /// How the liveness phase heals the cluster.
    #[serde(default)]
    pub liveness: LivenessParams,
    /// What one seed may cost the harness before it ends with a harness verdict.
    #[serde(default)]
    pub budget: BudgetParams,
    /// Check leader stability (what PreVote and CheckQuorum promise): once a leader is
    /// connected to a quorum of servers in its term, none of them enters a later term while
    /// that quorum stays up and connected. Only partitions may be on: other faults (a pause, a
    /// crash, loss, overload) can depose a leader legitimately.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub leader_stability: bool,
    /// Bounds on a settled run's work (frames and bytes per commit, elections per fault, time
    /// to converge), per Raft under test (by `--raft` name): implementations do different work
    /// for the same result, so each is held to its own measured bounds, and one without an
    /// entry is measured but not bounded. A run over a bound fails as an `efficiency` violation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expect: BTreeMap<String, Expect>,
}

/// What one seed may cost the harness. A run that outgrows its budget ends with a harness
/// verdict ("seed N exceeded its event budget"), reported apart from property violations: a
/// runaway scenario is the scenario's problem, not the Raft's. (Virtual time needs no budget of
/// its own: every run ends at its liveness deadline.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetParams {
    /// Most events (steps) one run may take.
    pub events_max: u64,
    /// Most bytes of frames in transit or waiting in inboxes at once.
    pub bytes_in_flight_max: u64,
    /// Most bytes of log entries all disks may be asked to write over the run.
    pub disk_bytes_max: u64,
}

impl Default for BudgetParams {
    fn default() -> BudgetParams {
        BudgetParams {
            events_max: 20_000_000,
            bytes_in_flight_max: 256 << 20,
            disk_bytes_max: 1 << 30,
        }
    }
}

/// How the liveness phase heals: the network stays mildly lossy, and some seeds heal only a
/// *core* (a random majority), leaving every other node faulty for the rest of the run, as
/// TigerBeetle's VOPR does: the core alone must then elect a stable leader and converge, and
/// no stale or half-connected node may hold it hostage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LivenessParams {
    /// Probability that a frame is still lost after the heal.
    pub loss_rate: f64,
    /// Probability that a seed heals only a core.
    pub core_probability: f64,
    /// What may happen to a node left out of the core, drawn per node.
    pub left_out: Vec<LeftOut>,
    /// Probability that a seed that heals no core keeps a quorum-loss partition instead, for
    /// the whole liveness phase: the leader of the moment, like every other node, reaches only
    /// the hub, the most up-to-date of the other nodes. The hub reaches everyone, so every node
    /// must still settle — once CheckQuorum has deposed the leader and, with PreVote, no
    /// campaign of a node that hears no leader keeps resetting the hub's election timer.
    pub quorum_loss_probability: f64,
}

impl Default for LivenessParams {
    fn default() -> LivenessParams {
        LivenessParams {
            loss_rate: 0.01,
            core_probability: 0.25,
            left_out: vec![LeftOut::Isolate, LeftOut::Mute, LeftOut::Pause, LeftOut::Crash],
            quorum_loss_probability: 0.0,
        }
    }
}

/// The fault a node left out of the core keeps for the whole liveness phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeftOut {
    /// Cut off from everyone, both ways.
    Isolate,
    /// Hears everyone, heard by no one.
    Mute,
    /// Heard by everyone, hears no one: it sees no leader and keeps campaigning, which only
    /// PreVote keeps from disrupting the core.
    Deaf,
    /// Paused: its inputs pile up, unprocessed.
    Pause,
    /// Crashed, never restarted.
    Crash,
}

impl LeftOut {
    /// The kind's name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            LeftOut::Isolate => "isolated",
            LeftOut::Mute => "muted",
            LeftOut::Deaf => "deafened",
            LeftOut::Pause => "paused",
            LeftOut::Crash => "crashed",
        }
    }
}

/// Raft timing and limits, passed to every node's `Config`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftParams {
    /// Election timeout range, in ticks.
    pub election_timeout_ticks: Span<u32>,
    /// Leader heartbeat interval, in ticks.
    pub heartbeat_interval_ticks: u32,
    /// Unacknowledged appends per follower.
    pub max_inflight_messages: u32,
    /// Entries per append.
    pub max_entries_per_message: u32,
    /// Entry bytes per append.
    pub max_bytes_per_message: u32,
    /// Uncommitted entries a leader accepts before refusing proposals.
    pub max_uncommitted_entries: u32,
    /// PreVote: a would-be candidate first asks whether it could win, without a new term.
    pub pre_vote: bool,
    /// CheckQuorum: a leader that stops hearing from a majority steps down, and a server that
    /// hears from its leader disregards higher-term candidates.
    pub check_quorum: bool,
    /// Leadership transfer: a few times per run the simulator asks the leader to hand over to
    /// a drawn node (scheduled like faults, `transfer` in the schedule).
    pub leader_transfer: bool,
    /// The state machine takes a snapshot every this many applied entries, and the node
    /// compacts its log behind it; 0 never does.
    pub snapshot_interval_entries: u32,
}

impl Default for RaftParams {
    fn default() -> RaftParams {
        RaftParams {
            election_timeout_ticks: Span(10, 20),
            heartbeat_interval_ticks: 2,
            max_inflight_messages: 16,
            max_entries_per_message: 32,
            max_bytes_per_message: 16 * 1024,
            max_uncommitted_entries: 1024,
            pre_vote: false,
            check_quorum: false,
            leader_transfer: false,
            snapshot_interval_entries: 0,
        }
    }
}

/// How a simulated server processes inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeParams {
    /// Virtual time a server spends on each message or client request; inputs that arrive while
    /// it is busy wait in its inbox.
    pub service_time_us: u64,
    /// Inputs an inbox holds; more are dropped and counted (`inbox_drops`).
    pub inbox_capacity: u32,
    /// Each server starts its clock at a time drawn in `[0, boot_spread_us)`: the servers of a
    /// real cluster do not boot within one tick of each other, and with identical election
    /// timeouts (the Figure 16 experiment's 150–150 ms line) servers that did would split
    /// every vote forever. 0 (the default) starts them within the first tick.
    #[serde(skip_serializing_if = "is_zero")]
    pub boot_spread_us: u64,
}

impl Default for NodeParams {
    fn default() -> NodeParams {
        NodeParams { service_time_us: 20, inbox_capacity: 256, boot_spread_us: 0 }
    }
}

/// Whether a value is zero: an absent optional knob, left out of serialized options so that
/// traces recorded before the knob existed read back unchanged.
fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// The network when no fault is active.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkParams {
    /// One-way latency, drawn uniformly per message; messages overtake each other when their
    /// latencies differ, which is how the network reorders.
    pub latency_ms: Span<u64>,
}

impl Default for NetworkParams {
    fn default() -> NetworkParams {
        NetworkParams { latency_ms: Span(1, 10) }
    }
}

/// What drives proposals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Workload {
    /// Closed-loop clients that talk to servers over the network, follow leader hints, retry
    /// with backoff and expect exactly-once application.
    Clients(ClientParams),
    /// A benchmark load: proposals made directly at the leader, keeping `window` uncommitted
    /// entries in flight (the reference workload of `raftsim bench`).
    Pipeline(PipelineParams),
}

/// Closed-loop clients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientParams {
    /// Number of clients, each with one request outstanding at a time.
    pub clients: u32,
    /// Size of each command's payload.
    pub payload_bytes: u32,
    /// A client that hears nothing for this long retries.
    pub request_timeout_ms: u64,
    /// Pause between a reply and the next request.
    pub think_time_ms: Span<u64>,
    /// Upper bound of the exponential retry backoff.
    pub backoff_ms_max: u64,
    /// A key-value workload: each request is an operation on the replicated store, and the
    /// clients' history is checked for linearizability at the end of the run. Absent: each
    /// request is an opaque command of `payload_bytes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv: Option<KvParams>,
    /// A circuit breaker per client and server: after `failures` failed attempts in a row at
    /// a server (timeouts, busy answers) the client stops sending to it for `cooldown_ms`,
    /// then lets one request through as a probe (half-open), whose success closes the breaker
    /// and whose failure opens it again. Absent: clients try any server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<BreakerParams>,
    /// Requests and answers travel as checksummed frames on the simulated network, with all
    /// its faults: client `i` sits beside server `1 + i % nodes`, and reaches another server
    /// only while the link between the two is up. Absent or false: client traffic is exempt
    /// from faults (only its latency is drawn).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub over_network: bool,
    /// What a follower does with a write (with `over_network`).
    #[serde(default, skip_serializing_if = "Routing::is_redirect")]
    pub routing: Routing,
}

/// What a follower does with a client's write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Routing {
    /// It answers with its leader hint, and the client goes there.
    #[default]
    Redirect,
    /// It forwards the write to its leader, forwards it again to the next leader if the
    /// leader changes before the write is applied, and answers the client once it applies the
    /// write itself.
    Forward,
}

impl Routing {
    fn is_redirect(&self) -> bool {
        *self == Routing::Redirect
    }
}

/// A client's circuit breaker (see [`ClientParams::circuit_breaker`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerParams {
    /// Failed attempts in a row that open the breaker.
    pub failures: u32,
    /// How long an open breaker keeps requests away from the server.
    pub cooldown_ms: u64,
}

/// The key-value workload's operations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KvParams {
    /// Keys are drawn uniformly in `0..keys`: few, so that operations on one key overlap.
    pub keys: u32,
    /// Relative weights of the operations a request draws.
    pub mix: KvMix,
    /// How the clients read: client `i` reads the `i % len`-th way. Absent or empty: every
    /// read goes through the log, as a command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<ReadMode>,
    /// Also judge the history so far every this many completed operations, not only once the
    /// run has settled: a violation is then reported at the step after which it shows, while
    /// the run is still in its faults. 0 (or absent): only at the end. Each check takes the
    /// whole history so far, so this costs time in long runs.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub check_every: u64,
}

/// How a client's reads (`get`s) are served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// Through the log, as a command: committed, then answered by the server that applied it.
    Log,
    /// ReadIndex at the leader (thesis §6.4): the client goes to the leader as it does with a
    /// write.
    ReadIndex,
    /// A lease read at the leader (thesis §6.4.1), falling back to ReadIndex when the lease
    /// has lapsed.
    Lease,
    /// At any server: a follower asks its leader for a read index (ReadIndex), waits until it
    /// has applied that far, and answers from its own state machine.
    Follower,
}

impl ReadMode {
    /// The kind of read the Raft is asked for, or `None` through the log.
    pub fn kind(self) -> Option<crate::raft_under_test::ReadKind> {
        use crate::raft_under_test::ReadKind;
        match self {
            ReadMode::Log => None,
            ReadMode::ReadIndex | ReadMode::Follower => Some(ReadKind::ReadIndex),
            ReadMode::Lease => Some(ReadKind::Lease),
        }
    }
}

/// Relative weights of the key-value operations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KvMix {
    /// Reads.
    pub get: u32,
    /// Overwrites with a fresh token.
    pub put: u32,
    /// Appends of a fresh token.
    pub append: u32,
    /// Compare-and-swaps from the value the client last saw for the key to a fresh token.
    pub cas: u32,
}

/// Direct proposals at the leader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineParams {
    /// Uncommitted entries kept in flight.
    pub window: u32,
    /// Size of each command's payload.
    pub payload_bytes: u32,
}

/// The fault kinds a scenario may inject. Each is optional; absent means never.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultParams {
    /// Frames lost in transit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<RateParams>,
    /// Frames delivered twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplication: Option<RateParams>,
    /// Frames with one to three bits flipped in transit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corruption: Option<RateParams>,
    /// Frames rewritten and resealed so that they pass their checksum (a faulty NIC, a buggy
    /// proxy): outside Raft's fault model, so a run with it on is judged only on robustness —
    /// the Raft must never panic. Never in `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tamper: Option<RateParams>,
    /// Frames held back for a long extra delay, overtaken by later ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_spikes: Option<DelaySpikeParams>,
    /// Network partitions, each healed after its duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<PartitionParams>,
    /// Unresponsive servers: paused (no processing, no ticks), inputs queue in their inboxes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pauses: Option<WindowParams>,
    /// Crashes: volatile state is lost; the server restarts from its disk after the downtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crashes: Option<WindowParams>,
    /// Overload: a server slowed by a factor, and a burst of client requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overload: Option<OverloadParams>,
    /// Clock skew: a server's ticks run fast or slow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew: Option<ClockSkewParams>,
    /// The disk as a fault domain: fsyncs take time, a crash loses what was not synced, and
    /// the disk can fail an fsync, fill up, or rot. Absent, every disk is synchronous and
    /// perfect: a write is durable the moment it is handed over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<DiskParams>,
}

/// The simulated disks (see `crate::disk`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskParams {
    /// How long an fsync takes, drawn per fsync. One is in flight per disk at a time; it
    /// covers every write handed over before it started (group commit).
    pub fsync_latency_us: Span<u64>,
    /// Probability that a crash which loses unsynced writes leaves the first of them torn: a
    /// partial record at the log's tail, which recovery finds by its checksum and truncates.
    pub torn_write_probability: f64,
    /// Windows in which the target's next fsync fails (EIO). A correct server then stops; it
    /// restarts when the window ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsync_failures: Option<WindowParams>,
    /// Windows in which the target's disk is full: no write reaches it until the window ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full: Option<WindowParams>,
    /// Windows in which the target loses power and some of its synced log records rot (latent
    /// sector errors), found by their checksums when it restarts at the window's end. Never
    /// two servers with damaged records at once, so no entry is destroyed on a majority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corruption: Option<CorruptionParams>,
}

/// Corruption at rest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorruptionParams {
    /// Corruptions per run.
    pub count: Span<u32>,
    /// How long the target stays down.
    pub duration_ms: Span<u64>,
    /// Records corrupted per fault, drawn among the last `RECENT_RECORDS` synced ones.
    pub records: Span<u32>,
    /// Whom they hit, drawn uniformly per fault.
    pub targets: Vec<TargetPolicy>,
}

/// A per-frame probability, drawn per seed from `rate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateParams {
    /// Probability per frame, in `[0, 1]`.
    pub rate: Span<f64>,
}

/// Delay spikes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelaySpikeParams {
    /// Probability per frame, in `[0, 1]`.
    pub rate: Span<f64>,
    /// Extra delay of a spiked frame, drawn uniformly.
    pub delay_ms: Span<u64>,
}

/// Which server a fault hits. A fault's target is drawn uniformly from its kind's `targets`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetPolicy {
    /// A server drawn uniformly.
    Any,
    /// Whoever leads when the fault starts (a drawn server if none does).
    Leader,
    /// The first server to become leader after the fault starts, hit at that very moment. A
    /// crash lands after it persisted its first output and before that output was sent.
    NewLeader,
    /// The first server to grant a vote after the fault starts, hit at that moment. A crash
    /// lands after the vote is persisted and before the reply is sent.
    NewVoter,
}

/// Faults that hold for a window of time: how many per run, how long each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowParams {
    /// Faults of this kind per run.
    pub count: Span<u32>,
    /// How long each lasts.
    pub duration_ms: Span<u64>,
    /// Whom they hit, drawn uniformly per fault.
    pub targets: Vec<TargetPolicy>,
}

/// The shapes a partition can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionShape {
    /// A random minority cut off from the majority, both ways.
    Split,
    /// The current leader cut off from everyone, both ways.
    IsolateLeader,
    /// One group does not hear another, while the other direction still works.
    OneWay,
    /// Two halves that cannot talk, joined by one server that talks to both.
    Bridge,
    /// Partial connectivity, the OmniPaxos analysis's *quorum-loss*: the leader of the moment
    /// reaches only one server (the hub), and so does every other server. The hub alone can
    /// reach a majority; the leader can commit nothing, and only CheckQuorum makes it step
    /// down so that the hub, which still hears it, can be elected.
    QuorumLoss,
    /// Partial connectivity, *constrained election*: the leader of the moment is cut off from
    /// everyone, and every other server reaches only the hub, the one server that can reach a
    /// majority. Only the hub can be elected, and only if its log is up to date with a
    /// majority of those it reaches: Raft may stay without a leader while it lasts.
    ConstrainedElection,
    /// Partial connectivity, *chained*: the servers form a chain, the leader of the moment at
    /// one end (1–2–3: 1 and 3 do not reach each other), each reaching only its neighbours.
    /// A server at the far end, which never hears the leader, keeps timing out: without
    /// PreVote or CheckQuorum its campaigns depose the leader over and over (the Cloudflare
    /// outage of November 2020).
    Chained,
}

/// Partitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionParams {
    /// Partitions per run.
    pub count: Span<u32>,
    /// How long each lasts.
    pub duration_ms: Span<u64>,
    /// Shapes to draw from, uniformly.
    pub shapes: Vec<PartitionShape>,
}

/// Overload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverloadParams {
    /// Overload episodes per run.
    pub count: Span<u32>,
    /// How long each lasts.
    pub duration_ms: Span<u64>,
    /// Whom a slowdown hits, drawn uniformly per episode.
    pub targets: Vec<TargetPolicy>,
    /// Factor by which the target's service time grows.
    pub slowdown: Span<u32>,
    /// Extra one-shot client requests sent during the episode, spread over it.
    pub burst_requests: Span<u32>,
}

/// Clock skew.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSkewParams {
    /// Skew episodes per run.
    pub count: Span<u32>,
    /// How long each lasts.
    pub duration_ms: Span<u64>,
    /// Whom they hit, drawn uniformly per fault.
    pub targets: Vec<TargetPolicy>,
    /// The skewed tick interval, in percent of the normal one (50 = ticks twice as fast).
    pub tick_percent: Span<u32>,
}

/// The membership workload: configuration changes asked of the leader during the fault window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipParams {
    /// Servers beyond `nodes` (ids `nodes + 1` on), outside the first configuration: spares
    /// that a change can add. The network holds them all from the start.
    pub spares: u32,
    /// Changes asked for per run, at times spread over the fault window. A change the leader
    /// cannot take yet (one is under way, it has not committed in its term) is asked again a
    /// tick later, so changes also come back to back.
    pub changes: Span<u32>,
    /// How many voters the changes keep, at least and at most.
    pub voters: Span<u32>,
    /// Probability that a change of one voter goes through a joint configuration anyway (a
    /// replacement always does).
    pub joint_probability: f64,
    /// How long after its removal is committed a server is wiped and comes back as a new
    /// incarnation, a spare that a later change may add.
    pub rejoin_after_ms: Span<u64>,
    /// How many new incarnations may come back in a run: each takes an id of its own, beyond
    /// the spares (a wiped server must not reuse its id), so the network holds
    /// `nodes + spares + rejoins` servers.
    pub rejoins: u32,
}

/// Most spare servers.
pub const SPARES_MAX: u32 = 8;
/// Most new incarnations in a run.
pub const REJOINS_MAX: u32 = 16;

/// Why a scenario is not usable.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ScenarioError {
    /// The text is not valid JSON, or does not have the scenario's shape (unknown field, wrong
    /// type, missing field).
    #[error("line {line}, column {column}: {message}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A field's value is out of range.
    #[error("field `{field}`: {message}")]
    Field {
        /// Dotted path of the field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// No built-in scenario has this name.
    #[error("no built-in scenario is named `{0}` (run `raftsim scenarios` for the list)")]
    UnknownName(String),
}

/// Checks the membership workload of a cluster of `nodes`.
pub(crate) fn validate_membership(
    field: &str,
    params: &MembershipParams,
    nodes: u32,
) -> Result<(), ScenarioError> {
    check_value(&format!("{field}.spares"), params.spares, 0, SPARES_MAX)?;
    check_value(&format!("{field}.rejoins"), params.rejoins, 0, REJOINS_MAX)?;
    check_span(&format!("{field}.changes"), params.changes, 0, FAULT_COUNT_MAX)?;
    check_span(
        &format!("{field}.voters"),
        params.voters,
        1,
        nodes + params.spares + params.rejoins,
    )?;
    check_value(&format!("{field}.joint_probability"), params.joint_probability, 0.0, 1.0)?;
    check_span(&format!("{field}.rejoin_after_ms"), params.rejoin_after_ms, 0, DURATION_MS_MAX)
}

pub(crate) fn field_error(field: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Field { field: field.to_owned(), message: message.into() }
}

pub(crate) fn check_span<T: Copy + PartialOrd + std::fmt::Display>(
    field: &str,
    span: Span<T>,
    low: T,
    high: T,
) -> Result<(), ScenarioError> {
    for value in [span.min(), span.max()] {
        if !(value >= low && value <= high) {
            return Err(field_error(field, format!("{value} is outside [{low}, {high}]")));
        }
    }
    if span.min() > span.max() {
        return Err(field_error(field, format!("min {} exceeds max {}", span.min(), span.max())));
    }
    Ok(())
}

pub(crate) fn check_value<T: Copy + PartialOrd + std::fmt::Display>(
    field: &str,
    value: T,
    low: T,
    high: T,
) -> Result<(), ScenarioError> {
    check_span(field, Span(value, value), low, high)
}

/// Refuses a text that is not a JSON object before serde sees it: serde would also take an
/// array for a struct and explain the refusal in terms of Rust types.
fn check_is_object(text: &str) -> Result<(), ScenarioError> {
    let Some(offset) = text.find(|c: char| !c.is_whitespace()) else {
        return Err(ScenarioError::Parse {
            line: 1,
            column: 1,
            message: "the file is empty: a scenario is a JSON object, `{ ... }`".to_owned(),
        });
    };
    let found = match text[offset..].chars().next() {
        Some('{') => return Ok(()),
        Some('[') => "an array",
        Some('"') => "a string",
        Some('t' | 'f') => "a boolean",
        Some('n') => "null",
        Some('-' | '0'..='9') => "a number",
        _ => return Ok(()), // Not JSON at all: serde says where and why.
    };
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = offset - before.rfind('\n').map_or(0, |newline| newline + 1) + 1;
    Err(ScenarioError::Parse {
        line,
        column,
        message: format!("a scenario is a JSON object, `{{ ... }}`, not {found}"),
    })
}

/// Longest virtual time any one duration in a scenario may span: one day.
pub(crate) const DURATION_MS_MAX: u64 = 24 * 3600 * 1000;
/// Most faults of one kind in one run.
const FAULT_COUNT_MAX: u32 = 1000;

impl Scenario {
    /// Parses and validates a scenario.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        check_is_object(text)?;
        let scenario: Scenario =
            serde_json::from_str(text).map_err(|error| ScenarioError::Parse {
                line: error.line(),
                column: error.column(),
                message: error.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
            })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// The scenario as pretty JSON, as it would be written to a file.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario serializes")
    }

    /// Checks every value's range.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.name.is_empty() {
            return Err(field_error("name", "must not be empty"));
        }
        check_value("nodes", self.nodes, 1, NODES_MAX)?;
        check_value("tick_ms", self.tick_ms, 1, 1000)?;
        check_value("fault_window_ms", self.fault_window_ms, 0, DURATION_MS_MAX)?;
        check_value("liveness_bound_ms", self.liveness_bound_ms, 1, DURATION_MS_MAX)?;
        validate_raft("raft", &self.raft)?;
        validate_node("node", &self.node)?;
        check_span("network.latency_ms", self.network.latency_ms, 0, 60_000)?;
        validate_workload("workload", &self.workload)?;
        validate_faults("faults", &self.faults, self.nodes)?;
        validate_liveness("liveness", &self.liveness)?;
        if let Some(membership) = &self.membership {
            validate_membership("membership", membership, self.nodes)?;
            if self.leader_stability {
                return Err(field_error(
                    "leader_stability",
                    "cannot be checked with membership changes, which depose leaders legitimately",
                ));
            }
        }
        if self.liveness.quorum_loss_probability > 0.0 && self.nodes < 4 {
            return Err(field_error(
                "liveness.quorum_loss_probability",
                "needs at least 4 nodes (with fewer, a leader that reaches the hub keeps a \
                 quorum, and a node it cannot reach never catches up)",
            ));
        }
        validate_budget("budget", &self.budget)?;
        for (raft, expect) in &self.expect {
            expect.validate().map_err(|(field, message)| {
                field_error(&format!("expect.{raft}.{field}"), message)
            })?;
        }
        self.validate_stability()?;
        self.validate_relations()
    }

    /// Leader stability is a promise under partitions alone: any other fault can depose a leader
    /// legitimately, and would be blamed on the Raft.
    fn validate_stability(&self) -> Result<(), ScenarioError> {
        if !self.leader_stability {
            return Ok(());
        }
        let faults = &self.faults;
        let others = [
            ("loss", faults.loss.is_some()),
            ("duplication", faults.duplication.is_some()),
            ("corruption", faults.corruption.is_some()),
            ("tamper", faults.tamper.is_some()),
            ("delay_spikes", faults.delay_spikes.is_some()),
            ("pauses", faults.pauses.is_some()),
            ("crashes", faults.crashes.is_some()),
            ("overload", faults.overload.is_some()),
            ("clock_skew", faults.clock_skew.is_some()),
            ("disk", faults.disk.is_some()),
        ];
        if let Some((kind, _)) = others.iter().find(|(_, on)| *on) {
            return Err(field_error(
                "leader_stability",
                format!(
                    "holds only under partitions, but faults.{kind} is on (it can depose a \
                     leader legitimately)"
                ),
            ));
        }
        if self.liveness.core_probability > 0.0 {
            return Err(field_error(
                "leader_stability",
                "holds only if everything heals: set liveness.core_probability to 0",
            ));
        }
        Ok(())
    }

    /// Refuses what can never be live, whatever the Raft does: every seed would be blamed on
    /// it for the scenario's impossibility.
    fn validate_relations(&self) -> Result<(), ScenarioError> {
        let round_trip_ms = 2 * self.network.latency_ms.min();
        if round_trip_ms >= self.liveness_bound_ms {
            return Err(field_error(
                "liveness_bound_ms",
                format!(
                    "{} ms cannot hold a single client round trip ({round_trip_ms} ms at the \
                     shortest network.latency_ms): no seed could ever be live",
                    self.liveness_bound_ms
                ),
            ));
        }
        let timeout_ms = self.raft.election_timeout_ticks.max() as u64 * self.tick_ms;
        if round_trip_ms >= timeout_ms {
            return Err(field_error(
                "network.latency_ms",
                format!(
                    "a vote's round trip ({round_trip_ms} ms at the shortest) never fits the \
                     longest election timeout ({timeout_ms} ms): no election could complete"
                ),
            ));
        }
        Ok(())
    }

    /// What is allowed but doubtful: settings under which most seeds will likely fail for
    /// liveness, said before a campaign runs.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let latency_max_ms = self.network.latency_ms.max();
        let timeout_max_ms = self.raft.election_timeout_ticks.max() as u64 * self.tick_ms;
        let timeout_min_ms = self.raft.election_timeout_ticks.min() as u64 * self.tick_ms;
        let settle_ms = timeout_max_ms + 4 * latency_max_ms;
        if self.liveness_bound_ms < settle_ms {
            warnings.push(format!(
                "liveness_bound_ms {} is shorter than an election timeout and two round trips \
                 ({settle_ms} ms): many seeds may fail for liveness",
                self.liveness_bound_ms
            ));
        }
        if 2 * latency_max_ms >= timeout_min_ms {
            warnings.push(format!(
                "a round trip can take {} ms, as long as the shortest election timeout \
                 ({timeout_min_ms} ms): elections may keep timing out",
                2 * latency_max_ms
            ));
        }
        warnings
    }
}

/// Checks a budget: positive, and within what one process can hold.
pub(crate) fn validate_budget(at: &str, budget: &BudgetParams) -> Result<(), ScenarioError> {
    check_value(&format!("{at}.events_max"), budget.events_max, 1, 1 << 40)?;
    check_value(&format!("{at}.bytes_in_flight_max"), budget.bytes_in_flight_max, 1, 16 << 30)?;
    check_value(&format!("{at}.disk_bytes_max"), budget.disk_bytes_max, 1, 64 << 30)
}

/// Checks the liveness phase's parameters.
pub(crate) fn validate_liveness(at: &str, liveness: &LivenessParams) -> Result<(), ScenarioError> {
    check_value(&format!("{at}.loss_rate"), liveness.loss_rate, 0.0, 0.5)?;
    check_value(&format!("{at}.core_probability"), liveness.core_probability, 0.0, 1.0)?;
    check_value(
        &format!("{at}.quorum_loss_probability"),
        liveness.quorum_loss_probability,
        0.0,
        1.0,
    )?;
    if liveness.core_probability > 0.0 && liveness.left_out.is_empty() {
        return Err(field_error(
            &format!("{at}.left_out"),
            "must name at least one fault when core_probability is above 0",
        ));
    }
    Ok(())
}

/// Checks protocol parameters; `at` prefixes field names in errors.
pub(crate) fn validate_raft(at: &str, raft: &RaftParams) -> Result<(), ScenarioError> {
    check_span(&format!("{at}.election_timeout_ticks"), raft.election_timeout_ticks, 2, 100_000)?;
    check_value(
        &format!("{at}.heartbeat_interval_ticks"),
        raft.heartbeat_interval_ticks,
        1,
        raft.election_timeout_ticks.min() - 1,
    )?;
    for (name, value, max) in [
        ("max_inflight_messages", raft.max_inflight_messages, 100_000),
        ("max_entries_per_message", raft.max_entries_per_message, 100_000),
        ("max_bytes_per_message", raft.max_bytes_per_message, 1 << 24),
        ("max_uncommitted_entries", raft.max_uncommitted_entries, 1 << 24),
    ] {
        check_value(&format!("{at}.{name}"), value, 1, max)?;
    }
    Ok(())
}

/// Checks server processing parameters.
pub(crate) fn validate_node(at: &str, node: &NodeParams) -> Result<(), ScenarioError> {
    check_value(&format!("{at}.service_time_us"), node.service_time_us, 0, 1_000_000)?;
    check_value(&format!("{at}.inbox_capacity"), node.inbox_capacity, 1, 1_000_000)?;
    check_value(&format!("{at}.boot_spread_us"), node.boot_spread_us, 0, DURATION_MS_MAX * 1000)
}

/// Checks the workload.
pub(crate) fn validate_workload(at: &str, workload: &Workload) -> Result<(), ScenarioError> {
    match workload {
        Workload::Clients(clients) => {
            let at = format!("{at}.clients");
            check_value(&format!("{at}.clients"), clients.clients, 1, 1000)?;
            check_value(&format!("{at}.payload_bytes"), clients.payload_bytes, 0, 1 << 20)?;
            check_value(
                &format!("{at}.request_timeout_ms"),
                clients.request_timeout_ms,
                1,
                DURATION_MS_MAX,
            )?;
            check_span(&format!("{at}.think_time_ms"), clients.think_time_ms, 0, 60_000)?;
            check_value(&format!("{at}.backoff_ms_max"), clients.backoff_ms_max, 1, 60_000)?;
            if let Some(breaker) = &clients.circuit_breaker {
                check_value(&format!("{at}.circuit_breaker.failures"), breaker.failures, 1, 1_000)?;
                check_value(
                    &format!("{at}.circuit_breaker.cooldown_ms"),
                    breaker.cooldown_ms,
                    1,
                    60_000,
                )?;
            }
            if clients.routing == Routing::Forward && !clients.over_network {
                return Err(field_error(
                    &format!("{at}.routing"),
                    "forwarding needs client traffic on the network (\"over_network\": true)",
                ));
            }
            if let Some(kv) = &clients.kv {
                check_value(&format!("{at}.kv.keys"), kv.keys, 1, 1_000)?;
                check_value(&format!("{at}.kv.check_every"), kv.check_every, 0, 1_000_000)?;
                let mix = &kv.mix;
                for (name, weight) in
                    [("get", mix.get), ("put", mix.put), ("append", mix.append), ("cas", mix.cas)]
                {
                    check_value(&format!("{at}.kv.mix.{name}"), weight, 0, 1_000_000)?;
                }
                if mix.get + mix.put + mix.append + mix.cas == 0 {
                    return Err(field_error(&format!("{at}.kv.mix"), "every weight is 0"));
                }
            }
            Ok(())
        }
        Workload::Pipeline(pipeline) => {
            let at = format!("{at}.pipeline");
            check_value(&format!("{at}.window"), pipeline.window, 1, 1_000_000)?;
            check_value(&format!("{at}.payload_bytes"), pipeline.payload_bytes, 0, 1 << 20)
        }
    }
}

/// Checks the fault bounds for a cluster of `nodes`.
pub(crate) fn validate_faults(
    at: &str,
    faults: &FaultParams,
    nodes: u32,
) -> Result<(), ScenarioError> {
    for (name, rate) in [
        ("loss", &faults.loss),
        ("duplication", &faults.duplication),
        ("corruption", &faults.corruption),
        ("tamper", &faults.tamper),
    ] {
        if let Some(rate) = rate {
            check_span(&format!("{at}.{name}.rate"), rate.rate, 0.0, 1.0)?;
        }
    }
    if let Some(spikes) = &faults.delay_spikes {
        check_span(&format!("{at}.delay_spikes.rate"), spikes.rate, 0.0, 1.0)?;
        check_span(&format!("{at}.delay_spikes.delay_ms"), spikes.delay_ms, 0, 600_000)?;
    }
    let window = |name: &str, count: Span<u32>, duration: Span<u64>| {
        check_span(&format!("{at}.{name}.count"), count, 0, FAULT_COUNT_MAX)?;
        check_span(&format!("{at}.{name}.duration_ms"), duration, 1, DURATION_MS_MAX)
    };
    let targets = |name: &str, targets: &[TargetPolicy]| {
        if targets.is_empty() {
            return Err(field_error(&format!("{at}.{name}.targets"), "must list at least one"));
        }
        Ok(())
    };
    if let Some(partitions) = &faults.partitions {
        window("partitions", partitions.count, partitions.duration_ms)?;
        if partitions.shapes.is_empty() {
            return Err(field_error(&format!("{at}.partitions.shapes"), "must list at least one"));
        }
        if nodes < 2 {
            return Err(field_error(
                &format!("{at}.partitions"),
                "partitions need at least 2 nodes",
            ));
        }
    }
    if let Some(pauses) = &faults.pauses {
        window("pauses", pauses.count, pauses.duration_ms)?;
        targets("pauses", &pauses.targets)?;
    }
    if let Some(crashes) = &faults.crashes {
        window("crashes", crashes.count, crashes.duration_ms)?;
        targets("crashes", &crashes.targets)?;
    }
    if let Some(overload) = &faults.overload {
        window("overload", overload.count, overload.duration_ms)?;
        targets("overload", &overload.targets)?;
        check_span(&format!("{at}.overload.slowdown"), overload.slowdown, 1, 10_000)?;
        check_span(&format!("{at}.overload.burst_requests"), overload.burst_requests, 0, 100_000)?;
    }
    if let Some(skew) = &faults.clock_skew {
        window("clock_skew", skew.count, skew.duration_ms)?;
        targets("clock_skew", &skew.targets)?;
        check_span(&format!("{at}.clock_skew.tick_percent"), skew.tick_percent, 10, 1000)?;
    }
    if let Some(disk) = &faults.disk {
        check_span(&format!("{at}.disk.fsync_latency_us"), disk.fsync_latency_us, 1, 10_000_000)?;
        let torn = disk.torn_write_probability;
        check_value(&format!("{at}.disk.torn_write_probability"), torn, 0.0, 1.0)?;
        if let Some(failures) = &disk.fsync_failures {
            window("disk.fsync_failures", failures.count, failures.duration_ms)?;
            targets("disk.fsync_failures", &failures.targets)?;
        }
        if let Some(full) = &disk.full {
            window("disk.full", full.count, full.duration_ms)?;
            targets("disk.full", &full.targets)?;
        }
        if let Some(corruption) = &disk.corruption {
            window("disk.corruption", corruption.count, corruption.duration_ms)?;
            targets("disk.corruption", &corruption.targets)?;
            let records = corruption.records;
            check_span(&format!("{at}.disk.corruption.records"), records, 1, RECENT_RECORDS)?;
        }
    }
    Ok(())
}

/// How far back from a log's end corruption at rest strikes: recent records, which are the
/// ones that may still matter to an election.
pub const RECENT_RECORDS: u32 = 16;

/// The scenarios shipped with raftsim, as `(name, JSON text)`, embedded at build time from the
/// repository's `scenarios/` directory.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../../scenarios/default.json")),
    ("calm", include_str!("../../../scenarios/calm.json")),
    ("partitions", include_str!("../../../scenarios/partitions.json")),
    ("paused-leader", include_str!("../../../scenarios/paused-leader.json")),
    ("overload", include_str!("../../../scenarios/overload.json")),
    ("corruption", include_str!("../../../scenarios/corruption.json")),
    ("crash-restart", include_str!("../../../scenarios/crash-restart.json")),
    ("flaky-network", include_str!("../../../scenarios/flaky-network.json")),
    ("figure8", include_str!("../../../scenarios/figure8.json")),
    ("stale-messages", include_str!("../../../scenarios/stale-messages.json")),
    ("reference", include_str!("../../../scenarios/reference.json")),
    ("tamper", include_str!("../../../scenarios/tamper.json")),
    ("rejoin", include_str!("../../../scenarios/rejoin.json")),
    ("snapshot-churn", include_str!("../../../scenarios/snapshot-churn.json")),
    ("partial-connectivity", include_str!("../../../scenarios/partial-connectivity.json")),
    ("disk-faults", include_str!("../../../scenarios/disk-faults.json")),
    ("figure16", include_str!("../../../scenarios/figure16.json")),
    ("kv", include_str!("../../../scenarios/kv.json")),
    ("kv-reads", include_str!("../../../scenarios/kv-reads.json")),
    ("membership", include_str!("../../../scenarios/membership.json")),
    ("membership-churn", include_str!("../../../scenarios/membership-churn.json")),
];

/// The built-in scenario called `name`.
pub fn builtin(name: &str) -> Result<Scenario, ScenarioError> {
    let (_, text) = BUILTIN
        .iter()
        .find(|(builtin, _)| *builtin == name)
        .ok_or_else(|| ScenarioError::UnknownName(name.to_owned()))?;
    Scenario::from_json(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_and_is_named_like_its_file() {
        for (name, text) in BUILTIN {
            let scenario = Scenario::from_json(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&scenario.name, name);
            assert_eq!(Scenario::from_json(&scenario.to_json()), Ok(scenario));
        }
    }

    #[test]
    fn errors_name_the_field() {
        let base = builtin("default").unwrap();
        let mut bad = base.clone();
        bad.nodes = 0;
        assert_eq!(bad.validate(), Err(field_error("nodes", "0 is outside [1, 9]")),);
        let mut bad = base.clone();
        bad.faults.loss = Some(RateParams { rate: Span(-0.1, 0.2) });
        assert!(
            matches!(bad.validate(), Err(ScenarioError::Field { field, .. }) if field == "faults.loss.rate")
        );
        let error = Scenario::from_json("\n  [1, 2]").unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 2, column 3: a scenario is a JSON object, `{ ... }`, not an array"
        );
        assert!(Scenario::from_json(" \n").unwrap_err().to_string().contains("empty"));
        let text = base.to_json().replacen("\"nodes\"", "\"nodez\"", 1);
        let error = Scenario::from_json(&text).unwrap_err();
        assert!(error.to_string().contains("unknown field `nodez`"), "{error}");
        assert!(builtin("nope").is_err());
    }
}
