//! Running a spec on a Raft chosen at run time.
//!
//! [`crate::World`] is generic over the [`RaftUnderTest`] it drives, so that the hot path is
//! monomorphised. Campaigns, the shrinker and the command line pick the implementation by name
//! ([`RunSpec::raft`]); an [`Engine`] is that choice as an object: one per implementation,
//! registered where the implementation is known (this crate knows raftsim's Raft; the command
//! line adds tikv's raft-rs).

use std::marker::PhantomData;
use std::sync::OnceLock;

use crate::event::EventRecord;
use crate::raft_under_test::RaftUnderTest;
use crate::raft_under_test::raftsim::RaftsimNode;
use crate::trace::Trace;
use crate::world::{RAFTSIM, RunResult, RunSpec, World, WorldView};

/// How to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// Keep every event's record, for a trace.
    pub record: bool,
    /// Keep a readable description of each event, for timelines.
    pub describe: bool,
    /// Run without the checker (only to measure its cost).
    pub unchecked: bool,
}

impl Settings {
    /// Recording on.
    pub const RECORD: Settings = Settings { record: true, describe: false, unchecked: false };
}

/// A run's result and, if recording, its events.
pub type Run = (RunResult, Option<Vec<EventRecord>>);

/// One Raft implementation the simulator can drive.
pub trait Engine: Sync {
    /// Its name, as `--raft` takes it and traces record it.
    fn name(&self) -> &'static str;

    /// One line saying what it is.
    fn description(&self) -> &'static str;

    /// Whether it can run `spec` (an implementation may refuse, say, injected bugs it does not
    /// have, or membership changes), and if not, why.
    fn accepts(&self, spec: &RunSpec) -> Result<(), String>;

    /// Whether it changes its membership ([`RaftUnderTest::CHANGES_MEMBERSHIP`]).
    fn changes_membership(&self) -> bool;

    /// The spec of `seed` of `scenario` with `bugs`, for this implementation. Under swarm
    /// testing, one that does not change its membership runs every seed without membership
    /// changes; a scenario that always changes the membership it does not accept.
    fn seed_spec(
        &self,
        scenario: &crate::Scenario,
        seed: u64,
        bugs: raftsim_raft::Bugs,
    ) -> RunSpec {
        let mut spec = RunSpec::from_seed(scenario, seed, bugs).with_raft(self.name());
        if scenario.swarm && !self.changes_membership() {
            spec.options.membership = None;
        }
        spec
    }

    /// Runs `spec`, turning a panic into a `panic` violation; `observe` is called after every
    /// step and may stop the run early by returning `false`. Precondition: it accepts `spec`.
    fn run_observed(
        &self,
        spec: RunSpec,
        settings: Settings,
        observe: &mut dyn FnMut(&dyn WorldView) -> bool,
    ) -> Run;

    /// Runs `spec` to its end.
    fn run(&self, spec: RunSpec, settings: Settings) -> Run {
        self.run_observed(spec, settings, &mut |_| true)
    }

    /// A fingerprint of this build's event stream on this implementation: the event hash of a
    /// short canonical run. Everything that shapes a run's events — the random number
    /// generators, the hashes, the codecs, the protocol — changes it, whatever crate it lives
    /// in, so a trace records it and a replay that no longer matches can say why.
    fn stream_fingerprint(&self) -> u64;

    /// Runs `spec` with recording on and returns the result with its trace.
    fn record(&self, spec: &RunSpec) -> (RunResult, Trace) {
        let (result, records) = self.run(spec.clone(), Settings::RECORD);
        let trace = Trace::new(
            spec,
            records.expect("recording was on"),
            &result,
            self.stream_fingerprint(),
        );
        (result, trace)
    }
}

/// The canonical run behind [`Engine::stream_fingerprint`]: 300 ms of `calm`, seed 0, which
/// elects a leader and commits.
fn canonical_spec(engine: &dyn Engine) -> RunSpec {
    let mut calm = crate::scenario::builtin("calm").expect("calm is built in");
    calm.fault_window_ms = 300;
    calm.liveness_bound_ms = 300;
    RunSpec::from_seed(&calm, 0, raftsim_raft::Bugs::NONE).with_raft(engine.name())
}

/// The [`Engine`] of implementation `R`.
pub struct Driven<R: RaftUnderTest> {
    name: &'static str,
    description: &'static str,
    tuning: fn(&RunSpec) -> Result<R::Tuning, String>,
    fingerprint: OnceLock<u64>,
    raft: PhantomData<fn() -> R>,
}

impl<R: RaftUnderTest> Driven<R> {
    /// The engine named `name` for `R`, whose tuning `tuning` derives from a spec.
    pub const fn new(
        name: &'static str,
        description: &'static str,
        tuning: fn(&RunSpec) -> Result<R::Tuning, String>,
    ) -> Driven<R> {
        Driven { name, description, tuning, fingerprint: OnceLock::new(), raft: PhantomData }
    }
}

impl<R: RaftUnderTest> Engine for Driven<R> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn description(&self) -> &'static str {
        self.description
    }

    fn accepts(&self, spec: &RunSpec) -> Result<(), String> {
        if spec.options.membership.is_some() && !R::CHANGES_MEMBERSHIP {
            return Err(format!(
                "{} does not change its membership, and scenario `{}` does",
                self.name, spec.options.scenario
            ));
        }
        (self.tuning)(spec).map(|_| ())
    }

    fn changes_membership(&self) -> bool {
        R::CHANGES_MEMBERSHIP
    }

    fn run_observed(
        &self,
        spec: RunSpec,
        settings: Settings,
        observe: &mut dyn FnMut(&dyn WorldView) -> bool,
    ) -> Run {
        let tuning = (self.tuning)(&spec).unwrap_or_else(|error| panic!("{error}"));
        let mut world = World::<R>::new(spec, tuning, settings.record);
        world.describe_events(settings.describe);
        world.set_checking(!settings.unchecked);
        world.run_catching(observe)
    }

    fn stream_fingerprint(&self) -> u64 {
        *self.fingerprint.get_or_init(|| {
            let (result, _) = self.run(canonical_spec(self), Settings::default());
            result.event_hash
        })
    }
}

/// This repository's Raft.
pub static RAFTSIM_ENGINE: Driven<RaftsimNode> =
    Driven::new(RAFTSIM, "raftsim's own Raft (crates/raft), with its injectable bugs", |spec| {
        Ok(spec.bugs)
    });
