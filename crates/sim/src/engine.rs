//! Running a spec on a Raft chosen at run time.
//!
//! [`crate::World`] is generic over the [`RaftUnderTest`] it drives, so that the hot path is
//! monomorphised. Campaigns, the shrinker and the command line pick the implementation by name
//! ([`RunSpec::raft`]); an [`Engine`] is that choice as an object: one per implementation,
//! registered where the implementation is known (this crate knows raftsim's Raft; the command
//! line adds tikv's raft-rs).

use std::marker::PhantomData;

use crate::event::EventRecord;
use crate::raft_under_test::RaftUnderTest;
use crate::raft_under_test::raftsim::RaftsimNode;
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
    /// have), and if not, why.
    fn accepts(&self, spec: &RunSpec) -> Result<(), String>;

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
}

/// The [`Engine`] of implementation `R`.
pub struct Driven<R: RaftUnderTest> {
    name: &'static str,
    description: &'static str,
    tuning: fn(&RunSpec) -> Result<R::Tuning, String>,
    raft: PhantomData<fn() -> R>,
}

impl<R: RaftUnderTest> Driven<R> {
    /// The engine named `name` for `R`, whose tuning `tuning` derives from a spec.
    pub const fn new(
        name: &'static str,
        description: &'static str,
        tuning: fn(&RunSpec) -> Result<R::Tuning, String>,
    ) -> Driven<R> {
        Driven { name, description, tuning, raft: PhantomData }
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
        (self.tuning)(spec).map(|_| ())
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
}

/// This repository's Raft.
pub static RAFTSIM_ENGINE: Driven<RaftsimNode> =
    Driven::new(RAFTSIM, "raftsim's own Raft (crates/raft), with its injectable bugs", |spec| {
        Ok(spec.bugs)
    });
