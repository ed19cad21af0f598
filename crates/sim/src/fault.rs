//! Fault kinds and the fault schedule.
//!
//! A run's faults are drawn from the seed *before* it starts, as an explicit list of timed
//! actions. The list is what a trace carries and what the shrinker cuts: a replay executes the
//! list it is given, never re-drawing it, so removing one fault leaves the others untouched.

use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::options::Options;
use crate::raft_under_test::NodeId;
use crate::rng::{Concern, Stream, stream};
use crate::scenario::{PartitionShape, Span, TargetPolicy, WindowParams};

/// One fault: what happens, when, and for how long.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Virtual time at which it starts.
    pub start_us: u64,
    /// How long it lasts. Faults still active at the end of the fault window heal there.
    pub duration_us: u64,
    /// What it does.
    pub kind: FaultKind,
}

/// Whom a fault hits, resolved when it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A fixed node.
    Node(NodeId),
    /// Whoever leads when the fault starts; `fallback` when no node leads.
    Leader {
        /// The node hit when there is no leader.
        fallback: NodeId,
    },
    /// The first node to become leader after the fault starts, at that moment.
    NewLeader,
    /// The first node to grant a vote after the fault starts, at that moment.
    NewVoter,
}

impl Target {
    /// The target in words.
    pub fn describe(&self) -> String {
        match self {
            Target::Node(node) => format!("n{node}"),
            Target::Leader { fallback } => format!("the leader (n{fallback} if none)"),
            Target::NewLeader => "the next new leader".to_owned(),
            Target::NewVoter => "the next node to grant a vote".to_owned(),
        }
    }

    /// Whether the fault waits for a protocol moment rather than striking at its start time.
    pub fn is_trigger(self) -> bool {
        matches!(self, Target::NewLeader | Target::NewVoter)
    }
}

/// What a fault does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Cut links between groups of nodes.
    Partition(Partition),
    /// The target stops processing and ticking; its inputs queue in its inbox.
    Pause {
        /// The paused node.
        target: Target,
    },
    /// The target loses its volatile state; it restarts from its disk when the fault ends.
    Crash {
        /// The crashed node.
        target: Target,
    },
    /// The target's service time is multiplied by `factor`.
    Slow {
        /// The slowed node.
        target: Target,
        /// Service time multiplier.
        factor: u32,
    },
    /// `requests` one-shot client requests, spread over the fault's duration, to random nodes.
    Burst {
        /// How many.
        requests: u32,
    },
    /// The target's tick interval becomes `tick_percent` percent of normal.
    ClockSkew {
        /// The skewed node.
        target: Target,
        /// New tick interval, in percent of the normal one.
        tick_percent: u32,
    },
    /// The target's next fsync fails (EIO). A correct server stops at once and restarts from
    /// its disk when the fault ends.
    FsyncFailure {
        /// The server whose disk fails.
        target: Target,
    },
    /// The target's disk is full: nothing it writes reaches the disk until the fault ends.
    DiskFull {
        /// The server whose disk is full.
        target: Target,
    },
    /// The target loses power and `records` of its recent synced log records rot at rest; it
    /// finds them by their checksums when it restarts, as the fault ends. Skipped (the fault
    /// atlas) where it could destroy an entry on a majority: in clusters under 3, while any
    /// server's disk holds damage not yet repaired, and for a Raft that cannot repair a log.
    DiskCorruption {
        /// The server whose disk rots.
        target: Target,
        /// How many records.
        records: u32,
    },
    /// The leader of the moment (if any, and if it is not `to`) is asked to hand its leadership
    /// over to `to` (`raft.leader_transfer`). Not a fault, but an operator's action, scheduled
    /// the same way so that it replays and shrinks like one.
    Transfer {
        /// The node to take over.
        to: NodeId,
    },
}

/// A partition's shape, with its groups drawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Partition {
    /// `minority` and the other nodes cannot reach each other, either way.
    Split {
        /// The cut-off side.
        minority: Vec<NodeId>,
    },
    /// The leader at the start of the fault (or `fallback`) is cut off from everyone.
    IsolateLeader {
        /// The node isolated when there is no leader.
        fallback: NodeId,
    },
    /// Frames from `from` to `to` are lost; the other direction still works.
    OneWay {
        /// Senders that are not heard.
        from: Vec<NodeId>,
        /// Receivers that do not hear them.
        to: Vec<NodeId>,
    },
    /// `left` and the other nodes but `bridge` cannot reach each other; `bridge` reaches all.
    Bridge {
        /// One half.
        left: Vec<NodeId>,
        /// The node that talks to both halves.
        bridge: NodeId,
    },
    /// Quorum-loss: the leader and every other node but the hub reach only the hub (see
    /// [`ranked`] for who is who).
    QuorumLoss {
        /// Every node, in a drawn order.
        order: Vec<NodeId>,
    },
    /// Constrained election: the leader reaches no one; every other node but the hub reaches
    /// only the hub.
    ConstrainedElection {
        /// Every node, in a drawn order.
        order: Vec<NodeId>,
    },
    /// Chained: the nodes form a chain, the leader at one end, each reaching only its
    /// neighbours.
    Chained {
        /// Every node, in a drawn order.
        order: Vec<NodeId>,
    },
}

/// The roles of a partial-connectivity partition's nodes when it starts: `order` with the
/// leader of the moment moved to its front (when no node leads, `order` as drawn). The first
/// is the leader's place, the second the hub's (for a chain, the leader's neighbour).
pub fn ranked(order: &[NodeId], leader: Option<NodeId>) -> Vec<NodeId> {
    let leader = leader.filter(|leader| order.contains(leader));
    leader.into_iter().chain(order.iter().copied().filter(|&node| Some(node) != leader)).collect()
}

impl FaultKind {
    /// Whom the fault hits, for kinds that hit one node.
    pub fn target(&self) -> Option<Target> {
        match self {
            FaultKind::Pause { target }
            | FaultKind::Crash { target }
            | FaultKind::Slow { target, .. }
            | FaultKind::ClockSkew { target, .. }
            | FaultKind::FsyncFailure { target }
            | FaultKind::DiskFull { target }
            | FaultKind::DiskCorruption { target, .. } => Some(*target),
            FaultKind::Partition(_) | FaultKind::Burst { .. } | FaultKind::Transfer { .. } => None,
        }
    }

    /// The fault in words, for timelines and banners.
    pub fn describe(&self) -> String {
        let nodes = |group: &[NodeId]| {
            group.iter().map(|node| format!("n{node}")).collect::<Vec<_>>().join(",")
        };
        match self {
            FaultKind::Partition(Partition::Split { minority }) => {
                format!("partition cutting off {} from the rest", nodes(minority))
            }
            FaultKind::Partition(Partition::IsolateLeader { fallback }) => {
                format!("partition isolating the leader (n{fallback} if none)")
            }
            FaultKind::Partition(Partition::OneWay { from, to }) => {
                format!("one-way partition: {} not heard by {}", nodes(from), nodes(to))
            }
            FaultKind::Partition(Partition::Bridge { left, bridge }) => {
                format!(
                    "bridge partition: {} apart from the rest, joined by n{bridge}",
                    nodes(left)
                )
            }
            FaultKind::Partition(Partition::QuorumLoss { order }) => format!(
                "quorum-loss partition: of {}, the leader moved first, all reach only the second",
                nodes(order)
            ),
            FaultKind::Partition(Partition::ConstrainedElection { order }) => format!(
                "constrained-election partition: of {}, the leader moved first reaches no one, \
                 the others only the second",
                nodes(order)
            ),
            FaultKind::Partition(Partition::Chained { order }) => {
                format!("chained partition: {}, the leader moved first", nodes(order))
            }
            FaultKind::Pause { target } => format!("pause of {}", target.describe()),
            FaultKind::Crash { target } => format!("crash of {}", target.describe()),
            FaultKind::Slow { target, factor } => {
                format!("{} slowed {factor} times", target.describe())
            }
            FaultKind::Burst { requests } => format!("burst of {requests} client requests"),
            FaultKind::ClockSkew { target, tick_percent } => {
                format!("{}'s ticks at {tick_percent}% of normal", target.describe())
            }
            FaultKind::FsyncFailure { target } => {
                format!("{}'s next fsync fails", target.describe())
            }
            FaultKind::DiskFull { target } => format!("{}'s disk is full", target.describe()),
            FaultKind::DiskCorruption { target, records } => {
                format!("{} loses power and {records} of its log records rot", target.describe())
            }
            FaultKind::Transfer { to } => format!("leadership transfer to n{to}"),
        }
    }

    /// A short name for counters and reports.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Partition(Partition::Split { .. }) => "partition-split",
            FaultKind::Partition(Partition::IsolateLeader { .. }) => "partition-isolate-leader",
            FaultKind::Partition(Partition::OneWay { .. }) => "partition-one-way",
            FaultKind::Partition(Partition::Bridge { .. }) => "partition-bridge",
            FaultKind::Partition(Partition::QuorumLoss { .. }) => "partition-quorum-loss",
            FaultKind::Partition(Partition::ConstrainedElection { .. }) => {
                "partition-constrained-election"
            }
            FaultKind::Partition(Partition::Chained { .. }) => "partition-chained",
            FaultKind::Pause { .. } => "pause",
            FaultKind::Crash { .. } => "crash",
            FaultKind::Slow { .. } => "slow",
            FaultKind::Burst { .. } => "burst",
            FaultKind::ClockSkew { .. } => "clock-skew",
            FaultKind::FsyncFailure { .. } => "fsync-failure",
            FaultKind::DiskFull { .. } => "disk-full",
            FaultKind::DiskCorruption { .. } => "disk-corruption",
            FaultKind::Transfer { .. } => "transfer",
        }
    }
}

/// Checks that every fault of `schedule` fits a run under `options`: it names nodes of the
/// cluster, has sane parameters, and strikes only what the run has (a disk fault needs the
/// scenario's disks: only a checksummed disk can rot). A schedule read from a trace may have
/// been edited by hand. Returns the position of the first bad fault with what is wrong.
pub fn validate_schedule(schedule: &[Fault], options: &Options) -> Result<(), (usize, String)> {
    let nodes = options.nodes as NodeId;
    let node_ok = |node: &NodeId| (1..=nodes).contains(node);
    let group_ok = |group: &[NodeId]| !group.is_empty() && group.iter().all(node_ok);
    for (position, fault) in schedule.iter().enumerate() {
        let bad = |message: &str| Err((position, message.to_owned()));
        let horizon_us = crate::scenario::DURATION_MS_MAX * 1000;
        if fault.start_us > horizon_us || fault.duration_us > horizon_us {
            return bad("start_us and duration_us must be at most one day");
        }
        if let Some(Target::Node(node) | Target::Leader { fallback: node }) = fault.kind.target()
            && !node_ok(&node)
        {
            return bad(&format!("node {node} is not in a cluster of {nodes}"));
        }
        match &fault.kind {
            FaultKind::FsyncFailure { .. }
            | FaultKind::DiskFull { .. }
            | FaultKind::DiskCorruption { .. }
                if options.faults.disk.is_none() =>
            {
                return bad(&format!(
                    "a {} fault needs the scenario's `faults.disk` section",
                    fault.kind.name()
                ));
            }
            FaultKind::Partition(Partition::Split { minority: group })
            | FaultKind::Partition(Partition::Bridge { left: group, .. })
                if !group_ok(group) =>
            {
                return bad("a partition group must name existing nodes");
            }
            FaultKind::Partition(Partition::OneWay { from, to })
                if !group_ok(from) || !group_ok(to) =>
            {
                return bad("a partition group must name existing nodes");
            }
            FaultKind::Partition(
                Partition::QuorumLoss { order }
                | Partition::ConstrainedElection { order }
                | Partition::Chained { order },
            ) if !is_permutation(order, nodes) => {
                return bad(&format!(
                    "a partition's order must name each of the {nodes} nodes once"
                ));
            }
            FaultKind::Partition(Partition::IsolateLeader { fallback })
            | FaultKind::Partition(Partition::Bridge { bridge: fallback, .. })
                if !node_ok(fallback) =>
            {
                return bad(&format!("node {fallback} is not in a cluster of {nodes}"));
            }
            FaultKind::Slow { factor, .. } if !(1..=10_000).contains(factor) => {
                return bad("a slowdown factor must be in [1, 10000]");
            }
            FaultKind::ClockSkew { tick_percent, .. } if !(10..=1000).contains(tick_percent) => {
                return bad("tick_percent must be in [10, 1000]");
            }
            FaultKind::Burst { requests } if *requests > 100_000 => {
                return bad("a burst has at most 100000 requests");
            }
            FaultKind::DiskCorruption { records, .. }
                if !(1..=crate::scenario::RECENT_RECORDS).contains(records) =>
            {
                return bad(&format!(
                    "a corruption rots 1 to {} records",
                    crate::scenario::RECENT_RECORDS
                ));
            }
            FaultKind::Transfer { to } if !node_ok(to) => {
                return bad(&format!("node {to} is not in a cluster of {nodes}"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `order` names each of `1..=nodes` exactly once.
fn is_permutation(order: &[NodeId], nodes: NodeId) -> bool {
    let mut sorted = order.to_vec();
    sorted.sort_unstable();
    sorted.iter().copied().eq(1..=nodes)
}

/// Draws the fault schedule for `seed` under `options`, sorted by start time.
pub fn generate_schedule(options: &Options, seed: u64) -> Vec<Fault> {
    let mut rng = stream(seed, Concern::Faults);
    let mut faults = Vec::new();
    let window = options.fault_window_us;
    if window == 0 {
        return faults;
    }
    let nodes = options.nodes as NodeId;
    let params = &options.faults;
    let add = |faults: &mut Vec<Fault>, rng: &mut Stream, duration_ms: Span<u64>, kind| {
        let start_us = rng.random_range(0..window);
        let duration_us = rng.random_range(duration_ms.min()..=duration_ms.max()) * 1000;
        faults.push(Fault { start_us, duration_us, kind });
        (start_us, duration_us)
    };
    // Windows of one kind, each hitting a drawn target.
    let add_targeted = |faults: &mut Vec<Fault>,
                        rng: &mut Stream,
                        params: &WindowParams,
                        kind: fn(Target) -> FaultKind| {
        for _ in 0..draw_count(rng, params.count) {
            let target = draw_target(rng, &params.targets, nodes);
            add(faults, rng, params.duration_ms, kind(target));
        }
    };
    if let Some(partitions) = &params.partitions {
        for _ in 0..draw_count(&mut rng, partitions.count) {
            let shape = partitions.shapes[rng.random_range(0..partitions.shapes.len())];
            let partition = draw_partition(&mut rng, shape, nodes);
            add(&mut faults, &mut rng, partitions.duration_ms, FaultKind::Partition(partition));
        }
    }
    if let Some(pauses) = &params.pauses {
        add_targeted(&mut faults, &mut rng, pauses, |target| FaultKind::Pause { target });
    }
    if let Some(crashes) = &params.crashes {
        add_targeted(&mut faults, &mut rng, crashes, |target| FaultKind::Crash { target });
    }
    if let Some(overload) = &params.overload {
        for _ in 0..draw_count(&mut rng, overload.count) {
            let target = draw_target(&mut rng, &overload.targets, nodes);
            let factor = rng.random_range(overload.slowdown.min()..=overload.slowdown.max());
            let requests =
                rng.random_range(overload.burst_requests.min()..=overload.burst_requests.max());
            let slow = FaultKind::Slow { target, factor };
            let (start_us, duration_us) = add(&mut faults, &mut rng, overload.duration_ms, slow);
            if requests > 0 {
                faults.push(Fault { start_us, duration_us, kind: FaultKind::Burst { requests } });
            }
        }
    }
    if let Some(skew) = &params.clock_skew {
        for _ in 0..draw_count(&mut rng, skew.count) {
            let target = draw_target(&mut rng, &skew.targets, nodes);
            let tick_percent = rng.random_range(skew.tick_percent.min()..=skew.tick_percent.max());
            add(
                &mut faults,
                &mut rng,
                skew.duration_ms,
                FaultKind::ClockSkew { target, tick_percent },
            );
        }
    }
    if options.raft.leader_transfer && nodes > 1 {
        for _ in 0..draw_count(&mut rng, TRANSFERS_PER_RUN) {
            let to = draw_node(&mut rng, nodes);
            add(&mut faults, &mut rng, Span(0, 0), FaultKind::Transfer { to });
        }
    }
    // Last, so that a scenario without disk faults draws the same schedule as before.
    if let Some(disk) = &params.disk {
        if let Some(failures) = &disk.fsync_failures {
            add_targeted(&mut faults, &mut rng, failures, |target| FaultKind::FsyncFailure {
                target,
            });
        }
        if let Some(full) = &disk.full {
            add_targeted(&mut faults, &mut rng, full, |target| FaultKind::DiskFull { target });
        }
        if let Some(corruption) = &disk.corruption {
            for _ in 0..draw_count(&mut rng, corruption.count) {
                let target = draw_target(&mut rng, &corruption.targets, nodes);
                let records = draw_count(&mut rng, corruption.records);
                let kind = FaultKind::DiskCorruption { target, records };
                add(&mut faults, &mut rng, corruption.duration_ms, kind);
            }
        }
    }
    // A stable sort keeps faults that start together in their drawn order.
    faults.sort_by_key(|fault| fault.start_us);
    faults
}

/// Leadership transfers requested per run when `raft.leader_transfer` is on.
const TRANSFERS_PER_RUN: Span<u32> = Span(1, 3);

fn draw_count(rng: &mut Stream, count: Span<u32>) -> u32 {
    rng.random_range(count.min()..=count.max())
}

fn draw_node(rng: &mut Stream, nodes: NodeId) -> NodeId {
    rng.random_range(1..=nodes)
}

fn draw_target(rng: &mut Stream, policies: &[TargetPolicy], nodes: NodeId) -> Target {
    let policy = policies[rng.random_range(0..policies.len())];
    let node = draw_node(rng, nodes);
    match policy {
        TargetPolicy::Any => Target::Node(node),
        TargetPolicy::Leader => Target::Leader { fallback: node },
        TargetPolicy::NewLeader => Target::NewLeader,
        TargetPolicy::NewVoter => Target::NewVoter,
    }
}

/// A random permutation of `1..=nodes`.
fn shuffled(rng: &mut Stream, nodes: NodeId) -> Vec<NodeId> {
    let mut ids: Vec<NodeId> = (1..=nodes).collect();
    ids.shuffle(rng);
    ids
}

fn draw_partition(rng: &mut Stream, shape: PartitionShape, nodes: NodeId) -> Partition {
    assert!(nodes >= 2, "a partition needs two nodes");
    match shape {
        PartitionShape::Split => {
            let ids = shuffled(rng, nodes);
            // At most a minority; with two nodes, either one alone (neither side has a majority).
            let size = rng.random_range(1..=((nodes as usize - 1) / 2).max(1));
            let mut minority = ids[..size].to_vec();
            minority.sort_unstable();
            Partition::Split { minority }
        }
        PartitionShape::IsolateLeader => {
            Partition::IsolateLeader { fallback: draw_node(rng, nodes) }
        }
        PartitionShape::OneWay => {
            let ids = shuffled(rng, nodes);
            let cut = rng.random_range(1..nodes as usize);
            let (mut from, mut to) = (ids[..cut].to_vec(), ids[cut..].to_vec());
            from.sort_unstable();
            to.sort_unstable();
            Partition::OneWay { from, to }
        }
        PartitionShape::Bridge => {
            let ids = shuffled(rng, nodes);
            let bridge = ids[0];
            let rest = &ids[1..];
            let cut = if rest.len() < 2 { rest.len() } else { rng.random_range(1..rest.len()) };
            let mut left = rest[..cut].to_vec();
            left.sort_unstable();
            Partition::Bridge { left, bridge }
        }
        PartitionShape::QuorumLoss => Partition::QuorumLoss { order: shuffled(rng, nodes) },
        PartitionShape::ConstrainedElection => {
            Partition::ConstrainedElection { order: shuffled(rng, nodes) }
        }
        PartitionShape::Chained => Partition::Chained { order: shuffled(rng, nodes) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::builtin;

    #[test]
    fn schedules_are_deterministic_sorted_and_within_the_window() {
        let scenario = builtin("partitions").unwrap();
        for seed in 0..32 {
            let options = Options::resolve(&scenario, seed);
            let schedule = generate_schedule(&options, seed);
            assert_eq!(schedule, generate_schedule(&options, seed));
            assert!(schedule.windows(2).all(|pair| pair[0].start_us <= pair[1].start_us));
            assert!((3..=10).contains(&schedule.len()));
            for fault in &schedule {
                assert!(fault.start_us < options.fault_window_us);
                let FaultKind::Partition(partition) = &fault.kind else { panic!("{fault:?}") };
                match partition {
                    Partition::Split { minority } => assert!((1..=2).contains(&minority.len())),
                    Partition::OneWay { from, to } => assert_eq!(from.len() + to.len(), 5),
                    Partition::Bridge { left, bridge } => {
                        assert!(!left.is_empty() && left.len() < 4 && !left.contains(bridge))
                    }
                    Partition::IsolateLeader { fallback } => assert!((1..=5).contains(fallback)),
                    Partition::QuorumLoss { order }
                    | Partition::ConstrainedElection { order }
                    | Partition::Chained { order } => assert!(is_permutation(order, 5)),
                }
            }
        }
    }

    #[test]
    fn partial_connectivity_shapes_draw_every_node_once_and_put_the_leader_first() {
        let scenario = builtin("partial-connectivity").unwrap();
        let mut shapes = std::collections::BTreeSet::new();
        for seed in 0..32 {
            let options = Options::resolve(&scenario, seed);
            for fault in generate_schedule(&options, seed) {
                let FaultKind::Partition(partition) = &fault.kind else { continue };
                shapes.insert(fault.kind.name());
                let (Partition::QuorumLoss { order }
                | Partition::ConstrainedElection { order }
                | Partition::Chained { order }) = partition
                else {
                    panic!("{partition:?}")
                };
                assert!(is_permutation(order, 5), "{order:?}");
            }
        }
        assert_eq!(shapes.len(), 3, "{shapes:?}");
        assert_eq!(ranked(&[3, 1, 4, 2, 5], Some(4)), vec![4, 3, 1, 2, 5]);
        assert_eq!(ranked(&[3, 1, 4, 2, 5], None), vec![3, 1, 4, 2, 5]);
    }
}
