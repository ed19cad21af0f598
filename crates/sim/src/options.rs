//! A run's options: every knob resolved from the scenario and the seed, in one value.
//!
//! Options are printed at the start of a run and stored in a trace's header, so that a replay
//! (or a shrunk trace, whose options may have been reduced) does not depend on re-deriving them.

use std::collections::BTreeMap;

use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::efficiency::Expect;
use crate::raft_under_test::NodeId;
use crate::rng::{Concern, stream};
use crate::scenario::{
    BudgetParams, ClientParams, DURATION_MS_MAX, FaultParams, LeftOut, MembershipParams, NODES_MAX,
    NodeParams, RaftParams, Scenario, ScenarioError, Span, Workload, check_span, check_value,
    field_error, validate_budget, validate_faults, validate_membership, validate_node,
    validate_raft, validate_workload,
};

/// Everything that shapes one run besides the seed and the fault schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Name of the scenario these options were resolved from.
    pub scenario: String,
    /// Cluster size; nodes have ids `1..=nodes`.
    pub nodes: u32,
    /// Virtual time between ticks.
    pub tick_us: u64,
    /// End of the safety phase: every fault heals here.
    pub fault_window_us: u64,
    /// Budget for the liveness phase that follows.
    pub liveness_bound_us: u64,
    /// Protocol parameters.
    pub raft: RaftParams,
    /// Server processing parameters.
    pub node: NodeParams,
    /// Network behaviour during the fault window, with this seed's drawn rates.
    pub network: NetworkOptions,
    /// The workload.
    pub workload: Workload,
    /// The membership workload, if this seed changes the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership: Option<MembershipParams>,
    /// The windowed fault kinds this seed enables (partitions, pauses, crashes, overload,
    /// clock skew, disks), with their bounds; the per-frame kinds are resolved into `network`.
    pub faults: FaultParams,
    /// How the liveness phase heals, as this seed drew it.
    pub liveness: LivenessOptions,
    /// What the run may cost the harness.
    pub budget: BudgetParams,
    /// Whether leader stability is checked (see `Scenario::leader_stability`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub leader_stability: bool,
    /// Bounds on the settled run's work, per Raft under test (see `Scenario::expect`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expect: BTreeMap<String, Expect>,
}

/// How this seed's liveness phase heals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivenessOptions {
    /// Probability that a frame is still lost after the heal.
    pub loss_rate: f64,
    /// The nodes left out of the core, each with the fault it keeps; empty when everything
    /// heals.
    pub left_out: Vec<(NodeId, LeftOut)>,
    /// Whether a quorum-loss partition is kept through the liveness phase (see
    /// `LivenessParams::quorum_loss_probability`); never together with a core.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub quorum_loss: bool,
}

/// The network's per-frame behaviour, with concrete rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkOptions {
    /// One-way latency range.
    pub latency_us: Span<u64>,
    /// Probability that a frame is lost.
    pub loss_rate: f64,
    /// Probability that a frame is delivered twice.
    pub duplicate_rate: f64,
    /// Probability that a frame has bits flipped.
    pub corrupt_rate: f64,
    /// Probability that a frame is rewritten and resealed (outside Raft's fault model).
    #[serde(default)]
    pub tamper_rate: f64,
    /// Probability that a frame is held back for a delay spike.
    pub delay_spike_rate: f64,
    /// Extra delay of a spiked frame.
    pub delay_spike_us: Span<u64>,
}

impl NetworkOptions {
    /// Whether any per-frame fault is enabled.
    pub fn is_faulty(&self) -> bool {
        self.loss_rate > 0.0
            || self.duplicate_rate > 0.0
            || self.corrupt_rate > 0.0
            || self.tamper_rate > 0.0
            || self.delay_spike_rate > 0.0
    }
}

const MS: u64 = 1000;

fn draw_rate(rng: &mut impl Rng, span: Span<f64>) -> f64 {
    if span.min() >= span.max() { span.min() } else { rng.random_range(span.min()..=span.max()) }
}

impl Options {
    /// Resolves `scenario` for `seed`: under swarm testing, the seed decides which fault kinds
    /// are on (each with probability 1/2) and the batching limits (up to the scenario's); the
    /// seed also draws each per-frame rate.
    pub fn resolve(scenario: &Scenario, seed: u64) -> Options {
        let mut rng = stream(seed, Concern::Options);
        let faults = &scenario.faults;
        let mut enabled = |present: bool| present && (!scenario.swarm || rng.random_bool(0.5));
        let loss = faults.loss.clone().filter(|_| enabled(true));
        let duplication = faults.duplication.clone().filter(|_| enabled(true));
        let corruption = faults.corruption.clone().filter(|_| enabled(true));
        let spikes = faults.delay_spikes.clone().filter(|_| enabled(true));
        let tamper = faults.tamper.clone().filter(|_| enabled(true));
        let mut windowed = FaultParams {
            partitions: faults.partitions.clone().filter(|_| enabled(true)),
            pauses: faults.pauses.clone().filter(|_| enabled(true)),
            crashes: faults.crashes.clone().filter(|_| enabled(true)),
            overload: faults.overload.clone().filter(|_| enabled(true)),
            clock_skew: faults.clock_skew.clone().filter(|_| enabled(true)),
            ..FaultParams::default()
        };
        let mut raft = scenario.raft.clone();
        if scenario.swarm {
            // Batching limits shape which interleavings are possible (a leader's first append
            // of a term carries old entries with the new no-op only if they fit one message),
            // so swarm testing varies them too, up to the scenario's values.
            raft.max_entries_per_message = rng.random_range(1..=raft.max_entries_per_message);
            raft.max_inflight_messages = rng.random_range(1..=raft.max_inflight_messages);
        }
        let latency = scenario.network.latency_ms;
        let network = NetworkOptions {
            latency_us: Span(latency.min() * MS, latency.max() * MS),
            loss_rate: loss.map_or(0.0, |params| draw_rate(&mut rng, params.rate)),
            duplicate_rate: duplication.map_or(0.0, |params| draw_rate(&mut rng, params.rate)),
            corrupt_rate: corruption.map_or(0.0, |params| draw_rate(&mut rng, params.rate)),
            tamper_rate: tamper.map_or(0.0, |params| draw_rate(&mut rng, params.rate)),
            delay_spike_rate: spikes
                .as_ref()
                .map_or(0.0, |params| draw_rate(&mut rng, params.rate)),
            delay_spike_us: spikes.map_or(Span(0, 0), |params| {
                Span(params.delay_ms.min() * MS, params.delay_ms.max() * MS)
            }),
        };
        let mut liveness = draw_liveness(&mut rng, scenario);
        // Its own stream, so that a scenario without membership changes draws as before.
        let mut membership_rng = stream(seed, Concern::Membership);
        let membership = scenario
            .membership
            .clone()
            .filter(|_| !scenario.swarm || membership_rng.random_bool(0.5));
        if membership.is_some() {
            // A core, or a quorum kept apart, is chosen among the first configuration's
            // voters, which the changes replace: healing everything keeps liveness owed.
            liveness.left_out.clear();
            liveness.quorum_loss = false;
        }
        // Drawn after everything else, so that a scenario without disk faults draws as before.
        windowed.disk = faults.disk.clone().filter(|_| !scenario.swarm || rng.random_bool(0.5));
        Options {
            scenario: scenario.name.clone(),
            nodes: scenario.nodes,
            tick_us: scenario.tick_ms * MS,
            fault_window_us: scenario.fault_window_ms * MS,
            liveness_bound_us: scenario.liveness_bound_ms * MS,
            raft,
            node: scenario.node.clone(),
            network,
            workload: scenario.workload.clone(),
            membership,
            faults: windowed,
            liveness,
            budget: scenario.budget.clone(),
            leader_stability: scenario.leader_stability,
            expect: scenario.expect.clone(),
        }
    }

    /// Checks every value's range, as [`Scenario::validate`] does for a scenario: options read
    /// from a trace file may have been edited by hand.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        check_value("options.nodes", self.nodes, 1, NODES_MAX)?;
        check_value("options.tick_us", self.tick_us, 1, 1_000_000)?;
        check_value("options.fault_window_us", self.fault_window_us, 0, DURATION_MS_MAX * MS)?;
        check_value("options.liveness_bound_us", self.liveness_bound_us, 1, DURATION_MS_MAX * MS)?;
        validate_raft("options.raft", &self.raft)?;
        validate_node("options.node", &self.node)?;
        validate_workload("options.workload", &self.workload)?;
        if let Some(membership) = &self.membership {
            validate_membership("options.membership", membership, self.nodes)?;
        }
        validate_faults("options.faults", &self.faults, self.nodes)?;
        let network = &self.network;
        check_span("options.network.latency_us", network.latency_us, 0, 60_000 * MS)?;
        for (name, rate) in [
            ("loss_rate", network.loss_rate),
            ("duplicate_rate", network.duplicate_rate),
            ("corrupt_rate", network.corrupt_rate),
            ("tamper_rate", network.tamper_rate),
            ("delay_spike_rate", network.delay_spike_rate),
        ] {
            check_value(&format!("options.network.{name}"), rate, 0.0, 1.0)?;
        }
        check_span("options.network.delay_spike_us", network.delay_spike_us, 0, 600_000 * MS)?;
        let liveness = &self.liveness;
        check_value("options.liveness.loss_rate", liveness.loss_rate, 0.0, 0.5)?;
        validate_budget("options.budget", &self.budget)?;
        if liveness.quorum_loss && (self.nodes < 4 || !liveness.left_out.is_empty()) {
            return Err(field_error(
                "options.liveness.quorum_loss",
                "needs at least 4 nodes and no node left out of a core",
            ));
        }
        let mut left_out: Vec<NodeId> = liveness.left_out.iter().map(|&(node, _)| node).collect();
        left_out.sort_unstable();
        left_out.dedup();
        let majority = self.nodes as usize / 2 + 1;
        if left_out.len() != liveness.left_out.len()
            || left_out.iter().any(|&node| node == 0 || node > self.nodes as NodeId)
            || self.nodes as usize - left_out.len() < majority
        {
            return Err(field_error(
                "options.liveness.left_out",
                "must name distinct nodes of the cluster and leave a majority in the core",
            ));
        }
        Ok(())
    }

    /// Every server of the run: the first configuration's voters and the spares.
    pub fn servers(&self) -> u32 {
        self.nodes
            + self
                .membership
                .as_ref()
                .map_or(0, |membership| membership.spares + membership.rejoins)
    }

    /// Whether the run is judged on robustness alone: with `tamper` on, frames that pass their
    /// checksum can carry anything, which Raft's fault model excludes, so no safety or liveness
    /// property can be owed. Such a run fails only if the Raft (or raftsim) panics.
    pub fn is_robustness_only(&self) -> bool {
        self.network.tamper_rate > 0.0
    }

    /// The read mode of each client, if the clients run the key-value workload with reads
    /// outside the log (client `i` reads the `i % len`-th way).
    pub fn read_modes(&self) -> &[crate::scenario::ReadMode] {
        match &self.workload {
            Workload::Clients(ClientParams { kv: Some(kv), .. }) => &kv.reads,
            _ => &[],
        }
    }

    /// Whether some client reads with a lease.
    pub fn lease_reads(&self) -> bool {
        self.read_modes().contains(&crate::scenario::ReadMode::Lease)
    }

    /// The enabled fault kinds, by name, for banners and reports.
    pub fn enabled_faults(&self) -> Vec<&'static str> {
        let network = &self.network;
        let faults = &self.faults;
        [
            ("loss", network.loss_rate > 0.0),
            ("duplication", network.duplicate_rate > 0.0),
            ("corruption", network.corrupt_rate > 0.0),
            ("tamper", network.tamper_rate > 0.0),
            ("delay-spikes", network.delay_spike_rate > 0.0),
            ("partitions", faults.partitions.is_some()),
            ("pauses", faults.pauses.is_some()),
            ("crashes", faults.crashes.is_some()),
            ("overload", faults.overload.is_some()),
            ("clock-skew", faults.clock_skew.is_some()),
            ("disk", faults.disk.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
    }
}

/// Draws whether this seed heals only a core, and if so which nodes are left out and how, and
/// else whether it keeps a quorum-loss partition. Drawn last from the options stream, so that
/// it shifts no other draw (and the quorum-loss draw only where its probability is above 0).
fn draw_liveness(rng: &mut impl Rng, scenario: &Scenario) -> LivenessOptions {
    let params = &scenario.liveness;
    let nodes = scenario.nodes as usize;
    let spare = nodes - (nodes / 2 + 1);
    let mut left_out = Vec::new();
    if spare > 0 && params.core_probability > 0.0 && rng.random_bool(params.core_probability) {
        let mut ids: Vec<NodeId> = (1..=nodes as NodeId).collect();
        ids.shuffle(rng);
        for &node in &ids[..spare] {
            left_out.push((node, params.left_out[rng.random_range(0..params.left_out.len())]));
        }
        left_out.sort_unstable();
    }
    let quorum_loss = left_out.is_empty()
        && params.quorum_loss_probability > 0.0
        && rng.random_bool(params.quorum_loss_probability);
    LivenessOptions { loss_rate: params.loss_rate, left_out, quorum_loss }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::builtin;

    #[test]
    fn resolution_is_deterministic_and_swarm_varies_the_mix() {
        let scenario = builtin("default").unwrap();
        assert_eq!(Options::resolve(&scenario, 3), Options::resolve(&scenario, 3));
        let mixes: std::collections::BTreeSet<Vec<&str>> =
            (0..64).map(|seed| Options::resolve(&scenario, seed).enabled_faults()).collect();
        assert!(mixes.len() > 20, "swarm testing should produce many fault mixes: {mixes:?}");
    }

    #[test]
    fn without_swarm_every_listed_kind_is_on() {
        let scenario = builtin("flaky-network").unwrap();
        for seed in 0..16 {
            let options = Options::resolve(&scenario, seed);
            assert_eq!(options.enabled_faults(), vec!["loss", "duplication", "delay-spikes"]);
            assert!((0.05..=0.3).contains(&options.network.loss_rate));
        }
    }
}
