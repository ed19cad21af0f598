//! Efficiency as a property: what a run cost the network, and a scenario's bounds on it.
//!
//! Some bugs cost only work. A leader that re-probes a follower on every stale rejection, or
//! re-elects needlessly after each fault, passes every safety and liveness check while sending
//! several times the frames a correct Raft does. So every run that settles is measured, from
//! ground truth the simulator holds itself (frames and bytes handed to the network, entries the
//! checker saw committed by a majority, elections it saw started, the time from the heal to the
//! settled cluster), and a scenario may bound the ratios in its `expect` section; a run over a
//! bound fails as an `efficiency` violation, so a CI gate catches regressions in work too.

use serde::{Deserialize, Serialize};

use crate::availability::Histogram;

/// A scenario's bounds on a run's work, each optional. Checked once the run has settled.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Expect {
    /// Most frames sent per committed entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_per_commit_max: Option<f64>,
    /// Most frame bytes sent per committed entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_per_commit_max: Option<f64>,
    /// Most elections started per scheduled fault (the first election counts as one fault's
    /// worth, so a run without faults is bounded too). Elections started by the servers the
    /// liveness phase leaves cut off are the harness's doing and not counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elections_per_fault_max: Option<f64>,
    /// Most virtual milliseconds from the heal to the settled cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convergence_ms_max: Option<u64>,
    /// The ratio bounds hold only over runs that commit at least this many entries (default
    /// [`COMMITS_MIN`]): a run of a few commits says nothing of the cost per commit (its first
    /// election alone is most of its frames), and a shrinker would otherwise find exactly such
    /// runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits_min: Option<u64>,
}

/// Commits below which a run's ratios are not judged, unless a scenario says otherwise.
pub const COMMITS_MIN: u64 = 100;

impl Expect {
    /// Whether no bound is set.
    pub fn is_empty(&self) -> bool {
        *self == Expect::default()
    }

    /// Checks that every bound is a positive, finite number; names the first that is not
    /// (its field within `expect`, and what is wrong).
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let ratios = [
            ("frames_per_commit_max", self.frames_per_commit_max),
            ("bytes_per_commit_max", self.bytes_per_commit_max),
            ("elections_per_fault_max", self.elections_per_fault_max),
        ];
        for (name, bound) in ratios {
            if let Some(bound) = bound
                && !(bound.is_finite() && bound > 0.0)
            {
                return Err((name, format!("must be a positive number, not {bound}")));
            }
        }
        if self.convergence_ms_max == Some(0) {
            return Err(("convergence_ms_max", "must be at least 1".to_owned()));
        }
        Ok(())
    }

    /// The bounds in one line, for `raftsim scenarios` (empty if none).
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(bound) = self.frames_per_commit_max {
            parts.push(format!("<= {bound} frames/commit"));
        }
        if let Some(bound) = self.bytes_per_commit_max {
            parts.push(format!("<= {bound} bytes/commit"));
        }
        if let Some(bound) = self.elections_per_fault_max {
            parts.push(format!("<= {bound} elections/fault"));
        }
        if let Some(bound) = self.convergence_ms_max {
            parts.push(format!("converges <= {bound} ms"));
        }
        parts.join(", ")
    }

    /// Why `measured` breaks a bound, or `None` if it keeps them all.
    pub fn judge(&self, measured: &Efficiency) -> Option<String> {
        let judged = measured.commits >= self.commits_min.unwrap_or(COMMITS_MIN);
        let over = |what: &str, value: f64, bound: Option<f64>, name: &str| {
            bound.filter(|&bound| judged && value > bound).map(|bound| {
                format!(
                    "{value:.2} {what}, more than the scenario's bound of {bound} \
                     (expect.{name}): {}",
                    measured.describe()
                )
            })
        };
        over(
            "frames per committed entry",
            measured.frames_per_commit(),
            self.frames_per_commit_max,
            "frames_per_commit_max",
        )
        .or_else(|| {
            over(
                "bytes per committed entry",
                measured.bytes_per_commit(),
                self.bytes_per_commit_max,
                "bytes_per_commit_max",
            )
        })
        .or_else(|| {
            over(
                "elections per fault",
                measured.elections_per_fault(),
                self.elections_per_fault_max,
                "elections_per_fault_max",
            )
        })
        .or_else(|| {
            let bound = self.convergence_ms_max?;
            let ms = measured.convergence_us.div_ceil(1000);
            (ms > bound).then(|| {
                format!(
                    "converged {ms} ms after the heal, later than the scenario's bound of \
                         {bound} ms (expect.convergence_ms_max): {}",
                    measured.describe()
                )
            })
        })
    }
}

/// What a settled run cost: raw counts, so that campaigns can sum them as well as compare
/// their ratios.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Efficiency {
    /// Frames handed to the network.
    pub frames: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Entries committed (stored by a majority, as the checker judges).
    pub commits: u64,
    /// Elections started (candidacies), but for those of the servers the liveness phase left
    /// cut off.
    pub elections: u64,
    /// Faults in the schedule.
    pub faults: u64,
    /// Virtual time from the heal to the settled cluster.
    pub convergence_us: u64,
}

impl Efficiency {
    /// Frames per committed entry (per entry-or-none: a run that commits nothing divides by 1).
    pub fn frames_per_commit(&self) -> f64 {
        self.frames as f64 / self.commits.max(1) as f64
    }

    /// Frame bytes per committed entry.
    pub fn bytes_per_commit(&self) -> f64 {
        self.bytes as f64 / self.commits.max(1) as f64
    }

    /// Elections per scheduled fault, the first election counting as one fault's worth.
    pub fn elections_per_fault(&self) -> f64 {
        self.elections as f64 / self.faults.max(1) as f64
    }

    /// The measurement in one line.
    pub fn describe(&self) -> String {
        format!(
            "{} frames, {} bytes, {} commits, {} elections, {} faults, converged {:.3}s after \
             the heal",
            self.frames,
            self.bytes,
            self.commits,
            self.elections,
            self.faults,
            self.convergence_us as f64 / 1e6
        )
    }
}

/// The efficiency of many runs, as a campaign reports it: the sums of their counts, so that its
/// ratios are the whole campaign's (every frame over every commit) and shards add up to
/// exactly the whole range's; each run's convergence time, as a histogram; and the run that
/// sent the most frames per commit, the one to look at first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignEfficiency {
    /// Runs measured (those that settled).
    pub runs: u64,
    /// Frames handed to the network, over those runs.
    pub frames: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Entries committed.
    pub commits: u64,
    /// Elections started, as [`Efficiency::elections`] counts them.
    pub elections: u64,
    /// Faults scheduled, at least one a run: a run's first election counts as one fault's worth,
    /// as it does for the run alone.
    pub faults: u64,
    /// Each run's time from the heal to the settled cluster.
    pub convergence: Histogram,
    /// The run with the most frames per commit (the smallest seed among equals).
    pub least_efficient: Option<SeedEfficiency>,
}

/// One seed's frames and commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEfficiency {
    /// The seed.
    pub seed: u64,
    /// Frames it sent.
    pub frames: u64,
    /// Entries it committed.
    pub commits: u64,
}

impl SeedEfficiency {
    /// Frames per committed entry (a run that commits nothing divides by 1).
    pub fn frames_per_commit(&self) -> f64 {
        self.frames as f64 / self.commits.max(1) as f64
    }

    /// Whether it sent more frames per commit than `other`, or as many from a smaller seed:
    /// compared exactly, so that the campaign's choice does not depend on the order runs and
    /// shards are added in.
    fn is_worse_than(&self, other: &SeedEfficiency) -> bool {
        let mine = u128::from(self.frames) * u128::from(other.commits.max(1));
        let theirs = u128::from(other.frames) * u128::from(self.commits.max(1));
        mine > theirs || (mine == theirs && self.seed < other.seed)
    }
}

impl CampaignEfficiency {
    /// Counts `seed`'s measurement.
    pub fn record(&mut self, seed: u64, measured: &Efficiency) {
        self.runs += 1;
        self.frames += measured.frames;
        self.bytes += measured.bytes;
        self.commits += measured.commits;
        self.elections += measured.elections;
        self.faults += measured.faults.max(1);
        self.convergence.record(measured.convergence_us);
        let run = SeedEfficiency { seed, frames: measured.frames, commits: measured.commits };
        self.keep_worse(Some(run));
    }

    /// Adds another campaign's (a shard's) runs, saturating (they may come from files `merge`
    /// reads).
    pub fn add(&mut self, other: &CampaignEfficiency) {
        self.runs = self.runs.saturating_add(other.runs);
        self.frames = self.frames.saturating_add(other.frames);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.commits = self.commits.saturating_add(other.commits);
        self.elections = self.elections.saturating_add(other.elections);
        self.faults = self.faults.saturating_add(other.faults);
        self.convergence.add(&other.convergence);
        self.keep_worse(other.least_efficient);
    }

    fn keep_worse(&mut self, run: Option<SeedEfficiency>) {
        if let Some(run) = run
            && self.least_efficient.is_none_or(|kept| run.is_worse_than(&kept))
        {
            self.least_efficient = Some(run);
        }
    }

    /// The totals as one measurement, for its ratios over every run (its `convergence_us`, a
    /// per-run figure, is left at 0: see `convergence`).
    pub fn totals(&self) -> Efficiency {
        Efficiency {
            frames: self.frames,
            bytes: self.bytes,
            commits: self.commits,
            elections: self.elections,
            faults: self.faults,
            convergence_us: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured() -> Efficiency {
        Efficiency {
            frames: 1000,
            bytes: 50_000,
            commits: 100,
            elections: 3,
            faults: 2,
            convergence_us: 1_500_000,
        }
    }

    #[test]
    fn a_run_within_every_bound_passes() {
        let expect = Expect {
            frames_per_commit_max: Some(10.0),
            bytes_per_commit_max: Some(500.0),
            elections_per_fault_max: Some(1.5),
            convergence_ms_max: Some(1500),
            commits_min: None,
        };
        assert_eq!(expect.judge(&measured()), None);
        assert_eq!(Expect::default().judge(&measured()), None, "no bound, no verdict");
    }

    #[test]
    fn a_run_over_any_bound_is_named_with_the_bound() {
        let frames = Expect { frames_per_commit_max: Some(9.99), ..Expect::default() };
        let detail = frames.judge(&measured()).unwrap();
        assert!(detail.starts_with("10.00 frames per committed entry, more than the scenario's bound of 9.99 (expect.frames_per_commit_max)"), "{detail}");
        let bytes = Expect { bytes_per_commit_max: Some(499.0), ..Expect::default() };
        assert!(bytes.judge(&measured()).unwrap().contains("bytes_per_commit_max"));
        let elections = Expect { elections_per_fault_max: Some(1.0), ..Expect::default() };
        assert!(elections.judge(&measured()).unwrap().starts_with("1.50 elections per fault"));
        let slow = Expect { convergence_ms_max: Some(1499), ..Expect::default() };
        assert!(slow.judge(&measured()).unwrap().starts_with("converged 1500 ms after the heal"));
    }

    #[test]
    fn ratios_are_judged_only_over_enough_commits() {
        let frames = Expect { frames_per_commit_max: Some(1.0), ..Expect::default() };
        let short = Efficiency { commits: COMMITS_MIN - 1, ..measured() };
        assert_eq!(frames.judge(&short), None, "too few commits to judge");
        assert!(frames.judge(&Efficiency { commits: COMMITS_MIN, ..measured() }).is_some());
        let lowered = Expect { commits_min: Some(10), ..frames.clone() };
        assert!(lowered.judge(&Efficiency { commits: 10, ..measured() }).is_some());
        let slow = Expect { convergence_ms_max: Some(1), ..Expect::default() };
        assert!(slow.judge(&short).is_some(), "convergence is judged however short the run");
    }

    #[test]
    fn ratios_of_runs_without_commits_or_faults_are_defined() {
        let idle = Efficiency { frames: 7, elections: 1, ..Efficiency::default() };
        assert_eq!(idle.frames_per_commit(), 7.0);
        assert_eq!(idle.elections_per_fault(), 1.0);
    }

    #[test]
    fn bounds_must_be_positive_and_finite() {
        assert!(Expect::default().validate().is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let expect = Expect { frames_per_commit_max: Some(bad), ..Expect::default() };
            assert_eq!(expect.validate().unwrap_err().0, "frames_per_commit_max", "{bad}");
        }
        let zero = Expect { convergence_ms_max: Some(0), ..Expect::default() };
        assert!(zero.validate().is_err());
    }

    #[test]
    fn a_campaign_sums_its_runs_and_keeps_the_one_with_the_most_frames_per_commit() {
        let run = |frames, commits, faults, convergence_us| Efficiency {
            frames,
            bytes: frames * 40,
            commits,
            elections: 2,
            faults,
            convergence_us,
        };
        let mut campaign = CampaignEfficiency::default();
        campaign.record(7, &run(300, 100, 0, 500));
        campaign.record(8, &run(600, 100, 3, 5_000));
        campaign.record(9, &run(60, 10, 1, 70_000));
        assert_eq!((campaign.runs, campaign.frames, campaign.commits), (3, 960, 210));
        assert_eq!(campaign.faults, 5, "the run without faults counts as one");
        let totals = campaign.totals();
        assert!((totals.frames_per_commit() - 960.0 / 210.0).abs() < 1e-9);
        assert!((totals.bytes_per_commit() - 40.0 * 960.0 / 210.0).abs() < 1e-9);
        assert!((totals.elections_per_fault() - 6.0 / 5.0).abs() < 1e-9);
        assert_eq!(campaign.convergence.total(), 3);
        let worst = campaign.least_efficient.unwrap();
        assert_eq!(worst.seed, 8, "6 frames per commit, then 6 from a larger seed, then 3");
        assert_eq!(worst.frames_per_commit(), 6.0);
    }

    #[test]
    fn shards_of_a_campaign_add_up_to_the_whole_whatever_their_order() {
        let run = |frames, commits| Efficiency { frames, commits, ..Efficiency::default() };
        let runs = [(1, run(50, 10)), (2, run(90, 10)), (3, run(45, 5)), (4, run(0, 0))];
        let mut whole = CampaignEfficiency::default();
        for (seed, measured) in &runs {
            whole.record(*seed, measured);
        }
        let (mut first, mut second) =
            (CampaignEfficiency::default(), CampaignEfficiency::default());
        for (seed, measured) in &runs {
            let shard = if seed % 2 == 0 { &mut second } else { &mut first };
            shard.record(*seed, measured);
        }
        for (a, b) in [(&first, &second), (&second, &first)] {
            let mut merged = a.clone();
            merged.add(b);
            assert_eq!(merged, whole);
        }
        assert_eq!(whole.least_efficient.unwrap().seed, 2, "9 per commit; seed 3 ties at 9");
    }
}
