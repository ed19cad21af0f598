//! A campaign: many seeds of one scenario, on several threads, with results that do not
//! depend on the number of threads or on sharding.
//!
//! Workers take seeds in increasing order from a shared counter. Results are folded in seed
//! order (a small reorder buffer absorbs threads finishing out of order), so that a campaign
//! that stops at its first failure summarises exactly the seeds up to the smallest failing one,
//! whatever `--jobs` is, and memory stays flat however many seeds run.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use raftsim_raft::Bugs;
use raftsim_sim::availability::{Availability, CampaignAvailability};
use raftsim_sim::efficiency::{CampaignEfficiency, Efficiency};
use raftsim_sim::engine::{Engine, Settings};
use raftsim_sim::trace::Trace;
use raftsim_sim::world::Exceeded;
use raftsim_sim::{Counters, Coverage, Failure, Property, RunSpec, Scenario, Verdict};

use crate::panics::{WORKER_THREAD_PREFIX, quietly, take_location};
use crate::seeds::Shard;

/// What to run.
#[derive(Clone)]
pub struct Campaign {
    /// The Raft under test.
    pub engine: &'static dyn Engine,
    /// The scenario.
    pub scenario: Scenario,
    /// Injected bugs.
    pub bugs: Bugs,
    /// First seed of the range.
    pub start: u64,
    /// Seeds in the range (`start..start + seeds`); `None` for no bound but `duration`.
    pub seeds: Option<u64>,
    /// Stop taking new seeds after this much wall time.
    pub duration: Option<Duration>,
    /// Worker threads.
    pub jobs: usize,
    /// Which seeds of the range this process runs.
    pub shard: Shard,
    /// Run every seed even after a failure (otherwise stop at the first).
    pub keep_going: bool,
}

/// One seed's result, as the campaign keeps it.
#[derive(Clone, Debug)]
pub struct SeedOutcome {
    /// The seed.
    pub seed: u64,
    /// Its failure, if any.
    pub failure: Option<Failure>,
    /// Where it panicked, if its failure is a panic: `file:line:column`.
    pub panic_location: Option<String>,
    /// The harness limit it outgrew, if any.
    pub exceeded: Option<Exceeded>,
    /// Events processed.
    pub events: u64,
    /// Its event hash.
    pub event_hash: u64,
    /// Its counters.
    pub counters: Counters,
    /// The hard paths it reached.
    pub coverage: Coverage,
    /// How well its cluster served (`None` if its options could not even be drawn).
    pub availability: Option<Availability>,
    /// What its work cost, if it settled.
    pub efficiency: Option<Efficiency>,
}

/// A campaign's results.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Seeds run (and counted: after a stop at the first failure, those up to it).
    pub seeds: u64,
    /// Events over those seeds.
    pub events: u64,
    /// XOR of their event hashes: independent of order, jobs and sharding, so that the digests
    /// of shards `1/N..N/N` XOR to the digest of the whole range.
    pub digest: u64,
    /// Summed counters (`max_term` is the maximum).
    pub counters: Counters,
    /// Summed coverage of hard paths.
    pub coverage: Coverage,
    /// The seeds' availability figures, as histograms.
    pub availability: CampaignAvailability,
    /// The settled seeds' work, summed.
    pub efficiency: CampaignEfficiency,
    /// Failing seeds in seed order.
    pub failures: Vec<(u64, Failure)>,
    /// Where the failing seeds that panicked did.
    pub panic_locations: BTreeMap<u64, String>,
    /// Seeds that outgrew a harness limit, in seed order: reported apart from failures.
    pub exceeded: Vec<(u64, Exceeded)>,
    /// Wall time.
    pub elapsed: Duration,
    /// Stopped by Ctrl-C or SIGTERM.
    pub interrupted: bool,
    /// Smallest and largest seed counted.
    pub seed_range: Option<(u64, u64)>,
}

impl Summary {
    fn fold(&mut self, outcome: SeedOutcome) {
        self.seeds += 1;
        self.events += outcome.events;
        self.digest ^= outcome.event_hash;
        self.counters.add(&outcome.counters);
        self.coverage.add(&outcome.coverage);
        if let Some(availability) = &outcome.availability {
            self.availability.record(availability);
        }
        if let Some(efficiency) = &outcome.efficiency {
            self.efficiency.record(outcome.seed, efficiency);
        }
        self.seed_range = Some(match self.seed_range {
            None => (outcome.seed, outcome.seed),
            Some((low, _)) => (low, outcome.seed),
        });
        if let Some(failure) = outcome.failure {
            self.failures.push((outcome.seed, failure));
        }
        if let Some(location) = outcome.panic_location {
            self.panic_locations.insert(outcome.seed, location);
        }
        if let Some(exceeded) = outcome.exceeded {
            self.exceeded.push((outcome.seed, exceeded));
        }
    }
}

/// `jobs` worker threads, or one per core.
pub fn jobs_or_cores(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |cores| cores.get()))
}

/// Runs `spec` on `engine` with recording on, turning panics into `panic` violations quietly,
/// and returns the result with its trace: how every command that keeps a trace makes it.
pub fn record_run(engine: &dyn Engine, spec: &RunSpec) -> (raftsim_sim::RunResult, Trace) {
    quietly(|| engine.record(spec))
}

/// Steps between two looks at the interrupt flag: often enough to stop within a fraction of a
/// second, rarely enough to cost nothing.
pub const INTERRUPT_CHECK_STEPS: u64 = 4096;

/// Runs one seed, turning panics into `panic` violations (a panic while drawing the seed's
/// options and faults too). Returns `None` if `interrupted` stopped it.
pub fn run_seed(
    engine: &dyn Engine,
    scenario: &Scenario,
    bugs: Bugs,
    seed: u64,
    interrupted: &AtomicBool,
) -> Option<SeedOutcome> {
    let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        engine.seed_spec(scenario, seed, bugs)
    }));
    let spec = match drawn {
        Ok(spec) => spec,
        Err(payload) => return Some(drawing_panicked(seed, payload.as_ref())),
    };
    let (result, _) = engine.run_observed(spec, Settings::default(), &mut |world| {
        world.steps() % INTERRUPT_CHECK_STEPS != 0 || !interrupted.load(Ordering::Relaxed)
    });
    if result.verdict == Verdict::Stopped {
        return None;
    }
    let panicked =
        result.failure().is_some_and(|failure| failure.violation.property == Property::Panic);
    Some(SeedOutcome {
        seed,
        failure: result.failure().cloned(),
        panic_location: panicked.then(take_location).flatten(),
        exceeded: result.exceeded().cloned(),
        events: result.events,
        event_hash: result.event_hash,
        counters: result.counters,
        coverage: result.coverage,
        availability: Some(result.availability),
        efficiency: result.efficiency,
    })
}

/// The outcome of a seed whose options and faults could not even be drawn: a bug in raftsim.
fn drawing_panicked(seed: u64, payload: &(dyn std::any::Any + Send)) -> SeedOutcome {
    let message = payload
        .downcast_ref::<&str>()
        .map(|message| message.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let detail = format!("while drawing the seed's options and faults: {message}");
    let violation = *raftsim_sim::Violation::new(Property::Panic, Vec::new(), None, detail);
    SeedOutcome {
        seed,
        failure: Some(Failure { step: 0, time_us: 0, violation }),
        panic_location: take_location(),
        exceeded: None,
        events: 0,
        event_hash: 0,
        counters: Counters::default(),
        coverage: Coverage::default(),
        availability: None,
        efficiency: None,
    }
}

impl Campaign {
    /// The `index`-th seed of this shard of the range, if it exists.
    fn nth_seed(&self, index: u64) -> Option<u64> {
        let first = self.shard.first_from(self.start)?;
        let seed = first.checked_add(index.checked_mul(self.shard.count)?)?;
        debug_assert!(self.shard.contains(seed));
        match self.last_seed() {
            Some(last) if seed > last => None,
            _ => Some(seed),
        }
    }

    /// The first seed this shard runs, if it holds any.
    pub fn first_seed(&self) -> Option<u64> {
        self.nth_seed(0)
    }

    /// The last seed of the range, if bounded. Precondition (checked by the command line):
    /// `start + seeds - 1` fits in a u64.
    fn last_seed(&self) -> Option<u64> {
        let count = self.seeds?;
        assert!(count >= 1, "a campaign has at least one seed");
        Some(self.start.checked_add(count - 1).expect("the range fits in u64"))
    }

    /// How many seeds this shard will run, if bounded.
    pub fn planned_seeds(&self) -> Option<u64> {
        Some(self.shard.seeds_in(self.start, self.last_seed()?))
    }

    /// Runs the campaign. `interrupted` stops it early (no new seeds are taken); `on_seed` is
    /// called on the calling thread after each seed, with the summary so far.
    #[allow(
        clippy::disallowed_methods,
        reason = "campaigns report wall time and honour --duration"
    )]
    pub fn run(&self, interrupted: &AtomicBool, mut on_seed: impl FnMut(&Summary)) -> Summary {
        let started = Instant::now();
        let next_index = AtomicU64::new(0);
        let stop_at_seed = AtomicU64::new(u64::MAX);
        let (sender, receiver) = mpsc::channel::<SeedOutcome>();
        let mut summary = Summary::default();
        // No more threads than seeds; and where the system grants fewer threads than asked (a
        // process or memory limit), the campaign goes on with those it got, or on this thread.
        // The outcome does not depend on how many run it.
        let threads = self.planned_seeds().map_or(self.jobs, |seeds| {
            self.jobs.min(usize::try_from(seeds).unwrap_or(usize::MAX)).max(1)
        });
        std::thread::scope(|scope| {
            let mut running = 0;
            for worker in 0..threads {
                let sender = sender.clone();
                let (next_index, stop_at_seed) = (&next_index, &stop_at_seed);
                let spawned = std::thread::Builder::new()
                    .name(format!("{WORKER_THREAD_PREFIX}-{worker}"))
                    .spawn_scoped(scope, move || {
                        self.work(next_index, stop_at_seed, interrupted, started, &sender)
                    });
                if let Err(error) = spawned {
                    eprintln!("warning: {running} of {threads} worker threads started: {error}");
                    break;
                }
                running += 1;
            }
            if running == 0 {
                self.work(&next_index, &stop_at_seed, interrupted, started, &sender);
            }
            drop(sender);
            let mut reorder: BTreeMap<u64, SeedOutcome> = BTreeMap::new();
            let mut next_to_fold = self.nth_seed(0);
            let mut folded_index = 0;
            let mut done = false;
            for outcome in receiver {
                reorder.insert(outcome.seed, outcome);
                while let Some(seed) = next_to_fold {
                    let Some(outcome) = reorder.remove(&seed) else { break };
                    folded_index += 1;
                    next_to_fold = self.nth_seed(folded_index);
                    if done {
                        continue;
                    }
                    let failed = outcome.failure.is_some();
                    summary.fold(outcome);
                    done = failed && !self.keep_going;
                    summary.elapsed = started.elapsed();
                    on_seed(&summary);
                }
            }
        });
        summary.elapsed = started.elapsed();
        summary.interrupted = interrupted.load(Ordering::SeqCst);
        summary
    }

    fn work(
        &self,
        next_index: &AtomicU64,
        stop_at_seed: &AtomicU64,
        interrupted: &AtomicBool,
        started: Instant,
        sender: &mpsc::Sender<SeedOutcome>,
    ) {
        loop {
            // However short the duration, the first seed runs: a campaign of no seed would pass
            // vacuously.
            let out_of_time = self.duration.is_some_and(|limit| started.elapsed() >= limit)
                && next_index.load(Ordering::SeqCst) > 0;
            if interrupted.load(Ordering::SeqCst) || out_of_time {
                return;
            }
            let Some(seed) = self.nth_seed(next_index.fetch_add(1, Ordering::SeqCst)) else {
                return;
            };
            if seed > stop_at_seed.load(Ordering::SeqCst) {
                return;
            }
            let Some(outcome) = run_seed(self.engine, &self.scenario, self.bugs, seed, interrupted)
            else {
                return; // Interrupted mid-seed: the seed is not counted.
            };
            if outcome.failure.is_some() && !self.keep_going {
                stop_at_seed.fetch_min(seed, Ordering::SeqCst);
            }
            if sender.send(outcome).is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftsim_sim::scenario::builtin;

    fn campaign(jobs: usize, shard: Shard) -> Campaign {
        let mut scenario = builtin("default").unwrap();
        scenario.fault_window_ms = 300;
        Campaign {
            engine: &raftsim_sim::engine::RAFTSIM_ENGINE,
            scenario,
            bugs: Bugs::NONE,
            start: 10,
            seeds: Some(12),
            duration: None,
            jobs,
            shard,
            keep_going: false,
        }
    }

    #[test]
    fn digest_does_not_depend_on_jobs_or_shards() {
        let never = AtomicBool::new(false);
        let whole = campaign(1, Shard::ALL).run(&never, |_| {});
        assert_eq!(whole.seeds, 12);
        assert_eq!(campaign(3, Shard::ALL).run(&never, |_| {}).digest, whole.digest);
        let shards: Vec<Summary> = (1..=3)
            .map(|k| campaign(2, Shard { index: k, count: 3 }).run(&never, |_| {}))
            .collect();
        assert_eq!(shards.iter().map(|s| s.seeds).sum::<u64>(), 12);
        assert_eq!(shards.iter().fold(0, |digest, s| digest ^ s.digest), whole.digest);
    }

    #[test]
    fn planned_seed_counts() {
        assert_eq!(campaign(1, Shard::ALL).planned_seeds(), Some(12));
        // Seeds 10..22: shard 1/5 takes 10, 15, 20; shard 3/5 takes 12, 17.
        assert_eq!(campaign(1, Shard { index: 1, count: 5 }).planned_seeds(), Some(3));
        assert_eq!(campaign(1, Shard { index: 3, count: 5 }).planned_seeds(), Some(2));
    }

    #[test]
    fn stopping_at_the_first_failure_is_independent_of_jobs() {
        let never = AtomicBool::new(false);
        let mut buggy = campaign(1, Shard::ALL);
        buggy.bugs = Bugs::NONE.with(raftsim_raft::Bug::DoubleVote);
        buggy.seeds = Some(200);
        let one = buggy.run(&never, |_| {});
        buggy.jobs = 4;
        let four = buggy.run(&never, |_| {});
        assert_eq!(one.failures.len(), 1);
        assert_eq!(one.failures[0].0, four.failures[0].0);
        assert_eq!((one.seeds, one.digest), (four.seeds, four.digest));
    }
}
