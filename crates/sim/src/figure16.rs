//! The Raft paper's availability experiment (Ongaro and Ousterhout, "In Search of an
//! Understandable Consensus Algorithm", USENIX ATC 2014, §9.3, Figure 16): how long a cluster
//! of five servers is without a leader after its leader crashes, for a range of election
//! timeouts.
//!
//! The setup follows the paper: five servers, a broadcast time of about 15 ms (the `figure16`
//! scenario's one-way latencies are drawn in 6–9 ms, so a round trip takes 15 ms on average),
//! the heartbeat interval half the minimum election timeout, and the leader crashed at a
//! uniformly random moment within its heartbeat interval. A trial is an ordinary run of that
//! scenario, with the line's election timeouts and a schedule of one crash; the time without a
//! leader runs from the crash until a server reports leading in a later term. A simulator adds
//! what the paper's testbed could not: every trial is one seed, and reruns exactly.

use rand::Rng;
use serde::Serialize;

use crate::engine::{Engine, Settings};
use crate::fault::{Fault, FaultKind, Target};
use crate::node::Status;
use crate::raft_under_test::{NodeId, Role, Term};
use crate::rng::{Concern, stream};
use crate::scenario::{Scenario, ScenarioError, Span};
use crate::{Options, RunSpec, WorldView};

/// The experiment's scenario, which each line varies only in its election timeouts.
pub const SCENARIO: &str = "figure16";

/// After every server has booted, the time given to elect a first leader and settle before the
/// crash: far more than any line needs for its first election.
pub const SETTLE_US: u64 = 2_000_000;

/// A line of the figure: election timeouts drawn uniformly in `[min_ms, max_ms]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The minimum election timeout.
    pub min_ms: u32,
    /// The maximum election timeout.
    pub max_ms: u32,
    /// Trials the paper ran for this line.
    pub trials: u32,
}

impl Line {
    /// The line's name, as the paper labels it: `150-155ms`.
    pub fn label(&self) -> String {
        format!("{}-{}ms", self.min_ms, self.max_ms)
    }

    /// The leader's heartbeat interval: half the minimum election timeout, as in the paper.
    pub fn heartbeat_ms(&self) -> u32 {
        (self.min_ms / 2).max(1)
    }
}

/// The top graph: more and more randomness in the election timeout.
pub const RANDOMNESS: [Line; 6] = [
    Line { min_ms: 150, max_ms: 150, trials: 100 },
    Line { min_ms: 150, max_ms: 151, trials: 1000 },
    Line { min_ms: 150, max_ms: 155, trials: 1000 },
    Line { min_ms: 150, max_ms: 175, trials: 1000 },
    Line { min_ms: 150, max_ms: 200, trials: 1000 },
    Line { min_ms: 150, max_ms: 300, trials: 1000 },
];

/// The bottom graph: shorter and shorter election timeouts.
pub const SCALE: [Line; 5] = [
    Line { min_ms: 12, max_ms: 24, trials: 1000 },
    Line { min_ms: 25, max_ms: 50, trials: 1000 },
    Line { min_ms: 50, max_ms: 100, trials: 1000 },
    Line { min_ms: 100, max_ms: 200, trials: 1000 },
    Line { min_ms: 150, max_ms: 300, trials: 1000 },
];

/// Every line once, top graph first (150–300 ms is in both graphs and measured once).
pub fn lines() -> Vec<Line> {
    let mut lines = RANDOMNESS.to_vec();
    lines.extend(SCALE.iter().filter(|line| !RANDOMNESS.contains(line)));
    lines
}

/// One trial, ready to run.
#[derive(Clone, Debug)]
pub struct Trial {
    /// The run: the scenario with the line's timeouts, and one crash of the leader.
    pub spec: RunSpec,
    /// When the leader is crashed.
    pub crash_at_us: u64,
    /// How long to wait for a new leader before giving up on the trial.
    pub cap_us: u64,
}

/// What a trial measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A new leader was elected this long after the crash.
    Elected {
        /// Time without a leader.
        leaderless_us: u64,
    },
    /// No new leader within the cap: the time without a leader is longer than the cap.
    Censored,
    /// No server led when the crash came, so there was no leader to replace; the trial
    /// measures nothing (it cannot happen on a line whose first election settles in time).
    NoLeaderToCrash,
}

/// The trial of `line` with `seed`: `scenario` (the `figure16` scenario, or a user's variant
/// of it) with the line's election timeouts and heartbeat interval, and the leader crashed at a
/// time drawn uniformly within one heartbeat interval, once every server has booted and a
/// first leader has settled. The crashed server stays down past `cap_us`.
pub fn trial(scenario: &Scenario, line: Line, seed: u64, cap_us: u64) -> Result<Trial, String> {
    let ticks = |ms: u32| -> Result<u32, String> {
        let tick_ms = scenario.tick_ms;
        if u64::from(ms) % tick_ms != 0 {
            return Err(format!(
                "scenario {}: a {ms} ms timeout is not a whole number of its {tick_ms} ms ticks \
                 (Figure 16 needs 1 ms ticks)",
                scenario.name
            ));
        }
        Ok((u64::from(ms) / tick_ms) as u32)
    };
    let mut scenario = scenario.clone();
    scenario.raft.election_timeout_ticks = Span(ticks(line.min_ms)?, ticks(line.max_ms)?);
    scenario.raft.heartbeat_interval_ticks = ticks(line.heartbeat_ms())?.max(1);
    scenario.validate().map_err(|error: ScenarioError| error.to_string())?;
    let mut options = Options::resolve(&scenario, seed);
    let heartbeat_us = u64::from(scenario.raft.heartbeat_interval_ticks) * options.tick_us;
    let mut rng = stream(seed, Concern::Faults);
    let crash_at_us = options.node.boot_spread_us + SETTLE_US + rng.random_range(0..heartbeat_us);
    // The fault window (and so the crash) lasts past the cap: the crashed leader never returns
    // while the trial measures.
    options.fault_window_us = crash_at_us + cap_us + options.tick_us;
    let crash = Fault {
        start_us: crash_at_us,
        duration_us: cap_us + options.tick_us,
        kind: FaultKind::Crash { target: Target::Leader { fallback: 1 } },
    };
    let spec = RunSpec {
        seed,
        raft: crate::RAFTSIM.to_owned(),
        options,
        schedule: vec![crash],
        bugs: Default::default(),
    };
    Ok(Trial { spec, crash_at_us, cap_us })
}

/// Runs `trial` on `engine`, with the checker on: a trial that breaks a safety property is an
/// error, not a measurement.
pub fn run(engine: &dyn Engine, trial: &Trial) -> Result<Outcome, String> {
    let mut watch =
        Watch { crash_at_us: trial.crash_at_us, cap_us: trial.cap_us, ..Watch::default() };
    let (result, _) = engine
        .run_observed(trial.spec.clone(), Settings::default(), &mut |world| watch.step(world));
    if let Some(failure) = result.failure() {
        return Err(format!(
            "seed {}: {} at step {}: {}",
            trial.spec.seed,
            failure.violation.property.name(),
            failure.step,
            failure.violation.detail
        ));
    }
    if let Some(exceeded) = result.exceeded() {
        return Err(format!("seed {}: exceeded a harness limit: {exceeded:?}", trial.spec.seed));
    }
    watch.outcome.ok_or_else(|| {
        format!("seed {}: the run ended before the crash or the cap", trial.spec.seed)
    })
}

/// Follows a trial step by step: who leads until the crash, then how long until someone does.
#[derive(Default)]
struct Watch {
    crash_at_us: u64,
    cap_us: u64,
    /// The leader and its term, as of the last step before the crash.
    leader: Option<(NodeId, Term)>,
    /// When the leader crashed, and the term it led.
    crashed: Option<(u64, Term)>,
    outcome: Option<Outcome>,
}

impl Watch {
    /// Called after every step; false ends the run.
    fn step(&mut self, world: &dyn WorldView) -> bool {
        let now = world.now_us();
        let Some((crashed_at, term)) = self.crashed else {
            if now < self.crash_at_us {
                self.leader = leader(world);
                return true;
            }
            // The crash is the only fault: the step at its time crashed whoever led.
            match self.leader.filter(|&(node, _)| world.node_status(node) == Status::Crashed) {
                Some((_, term)) => self.crashed = Some((now, term)),
                None => {
                    self.outcome = Some(Outcome::NoLeaderToCrash);
                    return false;
                }
            }
            return true;
        };
        if leader(world).is_some_and(|(_, new_term)| new_term > term) {
            self.outcome = Some(Outcome::Elected { leaderless_us: now - crashed_at });
            return false;
        }
        if now - crashed_at >= self.cap_us {
            self.outcome = Some(Outcome::Censored);
            return false;
        }
        true
    }
}

/// The running server that reports leading in the highest term, if any.
fn leader(world: &dyn WorldView) -> Option<(NodeId, Term)> {
    (1..=world.node_count() as NodeId)
        .filter(|&node| world.node_status(node) == Status::Up)
        .filter_map(|node| world.node_observation(node).map(|observation| (node, observation)))
        .filter(|(_, observation)| observation.role == Role::Leader)
        .map(|(node, observation)| (node, observation.term))
        .max_by_key(|&(_, term)| term)
}

/// A line's figures, from its trials' outcomes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The line.
    pub line: Line,
    /// Trials run.
    pub trials: u32,
    /// Trials that found no leader to crash (not measured).
    pub no_leader_to_crash: u32,
    /// Trials with no new leader within the cap.
    pub censored: u32,
    /// The measured times without a leader, sorted, in microseconds; censored trials are not
    /// in it but count towards every percentile as longer than all of them.
    pub leaderless_us: Vec<u64>,
    /// The cap on a trial.
    pub cap_us: u64,
}

impl Summary {
    /// The figures of `line` from `outcomes`.
    pub fn of(line: Line, cap_us: u64, outcomes: &[Outcome]) -> Summary {
        let mut leaderless_us: Vec<u64> = outcomes
            .iter()
            .filter_map(|outcome| match outcome {
                Outcome::Elected { leaderless_us } => Some(*leaderless_us),
                _ => None,
            })
            .collect();
        leaderless_us.sort_unstable();
        let count = |wanted: Outcome| outcomes.iter().filter(|&&o| o == wanted).count() as u32;
        Summary {
            line,
            trials: outcomes.len() as u32,
            no_leader_to_crash: count(Outcome::NoLeaderToCrash),
            censored: count(Outcome::Censored),
            leaderless_us,
            cap_us,
        }
    }

    /// Trials that measured something: elected or censored.
    pub fn measured(&self) -> usize {
        self.leaderless_us.len() + self.censored as usize
    }

    /// The `percent` percentile (nearest rank) of the time without a leader; `None` when it
    /// falls among the censored trials (longer than the cap) or nothing was measured.
    pub fn percentile_us(&self, percent: f64) -> Option<u64> {
        let measured = self.measured();
        if measured == 0 {
            return None;
        }
        let rank = ((measured as f64 * percent / 100.0).ceil() as usize).max(1);
        self.leaderless_us.get(rank - 1).copied()
    }

    /// The mean over elected trials; `None` if any trial was censored (the mean is unknown).
    pub fn mean_us(&self) -> Option<u64> {
        if self.censored > 0 || self.leaderless_us.is_empty() {
            return None;
        }
        Some(self.leaderless_us.iter().sum::<u64>() / self.leaderless_us.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RAFTSIM_ENGINE;
    use crate::scenario::builtin;

    fn figure16() -> Scenario {
        builtin(SCENARIO).unwrap()
    }

    #[test]
    fn every_line_once_top_graph_first() {
        let lines = lines();
        assert_eq!(lines.len(), 10);
        assert_eq!(lines[0].label(), "150-150ms");
        assert_eq!(lines.iter().filter(|line| line.label() == "150-300ms").count(), 1);
        assert_eq!(lines.iter().map(|line| line.trials).sum::<u32>(), 9100);
    }

    #[test]
    fn a_trial_crashes_the_leader_within_one_heartbeat_interval_after_settling() {
        let line = RANDOMNESS[2];
        for seed in 0..20 {
            let trial = trial(&figure16(), line, seed, 10_000_000).unwrap();
            let options = &trial.spec.options;
            assert_eq!(options.raft.election_timeout_ticks, Span(150, 155));
            assert_eq!(options.raft.heartbeat_interval_ticks, 75);
            let settled = options.node.boot_spread_us + SETTLE_US;
            assert!((settled..settled + 75_000).contains(&trial.crash_at_us));
            assert_eq!(trial.spec.schedule.len(), 1);
            assert!(options.fault_window_us > trial.crash_at_us + trial.cap_us);
        }
    }

    #[test]
    fn servers_boot_over_the_spread() {
        let scenario = figure16();
        let spread_us = scenario.node.boot_spread_us;
        let spec = RunSpec::from_seed(&scenario, 5, Default::default());
        let (_, records) = RAFTSIM_ENGINE.run(spec, Settings::RECORD);
        let mut first_tick_us = [None; 5];
        for record in records.unwrap().iter().filter(|record| record.kind_name() == "tick") {
            first_tick_us[record.node as usize - 1].get_or_insert(record.time_us);
        }
        let first_tick_us: Vec<u64> = first_tick_us.iter().map(|tick| tick.unwrap()).collect();
        assert!(first_tick_us.iter().all(|&tick| tick < spread_us + 1000), "{first_tick_us:?}");
        let (earliest, latest) =
            (first_tick_us.iter().min().unwrap(), first_tick_us.iter().max().unwrap());
        assert!(latest - earliest > 100_000, "five draws in a second: {first_tick_us:?}");
    }

    #[test]
    fn a_timeout_finer_than_the_ticks_is_refused() {
        let mut coarse = figure16();
        coarse.tick_ms = 10;
        let error = trial(&coarse, RANDOMNESS[2], 0, 1_000_000).unwrap_err();
        assert!(error.contains("155 ms timeout is not a whole number"), "{error}");
    }

    #[test]
    fn a_crashed_leader_is_replaced_after_at_least_the_minimum_timeout_minus_a_heartbeat() {
        // A follower last heard the leader at most one heartbeat interval (plus a network
        // delay) before the crash, so no election can end before min − heartbeat after it.
        let line = RANDOMNESS[5];
        for seed in 0..10 {
            let trial = trial(&figure16(), line, seed, 10_000_000).unwrap();
            match run(&RAFTSIM_ENGINE, &trial).unwrap() {
                Outcome::Elected { leaderless_us } => {
                    assert!(leaderless_us >= 75_000 - 9_000, "seed {seed}: {leaderless_us}");
                    assert!(leaderless_us < 2_000_000, "seed {seed}: {leaderless_us}");
                }
                outcome => panic!("seed {seed}: {outcome:?}"),
            }
        }
    }

    #[test]
    fn identical_timeouts_split_votes_past_the_cap() {
        // With every timeout 150 ms, the followers' timers fire within a few milliseconds of
        // each other and before any vote request arrives (6–9 ms): every election splits.
        let trial = trial(&figure16(), RANDOMNESS[0], 3, 3_000_000).unwrap();
        assert_eq!(run(&RAFTSIM_ENGINE, &trial).unwrap(), Outcome::Censored);
    }

    #[test]
    fn trials_rerun_exactly() {
        let trial = trial(&figure16(), SCALE[0], 9, 10_000_000).unwrap();
        assert_eq!(run(&RAFTSIM_ENGINE, &trial), run(&RAFTSIM_ENGINE, &trial));
    }

    #[test]
    fn percentiles_count_censored_trials_as_longest() {
        let elected = |ms: u64| Outcome::Elected { leaderless_us: ms * 1000 };
        let outcomes =
            [elected(300), elected(100), Outcome::Censored, elected(200), Outcome::NoLeaderToCrash];
        let summary = Summary::of(RANDOMNESS[1], 5_000_000, &outcomes);
        assert_eq!((summary.trials, summary.censored, summary.no_leader_to_crash), (5, 1, 1));
        assert_eq!(summary.measured(), 4);
        assert_eq!(summary.percentile_us(50.0), Some(200_000));
        assert_eq!(summary.percentile_us(75.0), Some(300_000));
        assert_eq!(summary.percentile_us(100.0), None);
        assert_eq!(summary.mean_us(), None);
        let all_elected = Summary::of(RANDOMNESS[1], 5_000_000, &outcomes[..2]);
        assert_eq!(all_elected.mean_us(), Some(200_000));
    }
}
