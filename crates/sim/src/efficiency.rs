//! Efficiency as a property: what a run cost the network, and a scenario's bounds on it.
//!
//! Some bugs cost only work. A leader that re-probes a follower on every stale rejection, or
//! re-elects needlessly after each fault, passes every safety and liveness check while sending
//! several times the frames a correct Raft does. So every run that settles is measured, from
//! ground truth the simulator holds itself (frames and bytes handed to the network, entries the
//! checker saw committed by a majority, elections it saw won, the time from the heal to the
//! settled cluster), and a scenario may bound the ratios in its `expect` section; a run over a
//! bound fails as an `efficiency` violation, so a CI gate catches regressions in work too.

use serde::{Deserialize, Serialize};

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
    /// Most elections won per scheduled fault (the first election counts as one fault's worth,
    /// so a run without faults is bounded too).
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
    /// Elections won.
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
}
