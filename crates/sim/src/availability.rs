//! How well the cluster served while faults came and went: how long it was without a leader,
//! how fast it recovered after each fault ended, and what its clients waited.
//!
//! Safety says nothing bad happened; these figures say how good the run was. They are measured
//! from what the simulator saw: which servers were running (its own record), the committed
//! prefix (the checker's ground truth), when clients sent and were answered (the simulated
//! clients), and, for leadership, the servers' reports of their role and term — the one thing
//! only a server can say. "A leader" is a running server that reports leading in the newest
//! term any server has reported: a deposed leader that has not heard the news does not count,
//! nor does a paused one.

use serde::{Deserialize, Serialize};

/// Client latencies kept per run for percentiles; past this, further ones are counted but not
/// kept (a run's clients complete far fewer requests than this).
pub const LATENCY_SAMPLES_MAX: usize = 65_536;

/// Fault ends whose recovery is tracked at once; one past this is not timed.
pub const RECOVERIES_PENDING_MAX: usize = 1_024;

/// Percentiles of a set of durations, in microseconds (nearest rank).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    /// How many were measured.
    pub count: u64,
    /// The median.
    pub p50_us: u64,
    /// The 90th percentile.
    pub p90_us: u64,
    /// The 99th percentile.
    pub p99_us: u64,
    /// The largest.
    pub max_us: u64,
}

impl Percentiles {
    /// The percentiles of `samples` (sorted here); `count` may exceed the samples kept.
    fn of(samples: &mut [u64], count: u64) -> Percentiles {
        samples.sort_unstable();
        let rank = |percent: usize| {
            if samples.is_empty() {
                return 0;
            }
            let position = (samples.len() * percent).div_ceil(100).max(1) - 1;
            samples[position]
        };
        Percentiles {
            count,
            p50_us: rank(50),
            p90_us: rank(90),
            p99_us: rank(99),
            max_us: samples.last().copied().unwrap_or(0),
        }
    }
}

/// A run's availability figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    /// Virtual time without a leader, in total.
    pub leaderless_us: u64,
    /// Episodes without a leader (the start of the run, before the first election, is one).
    pub leaderless_episodes: u64,
    /// The longest episode.
    pub leaderless_longest_us: u64,
    /// From each fault's end to the first moment a leader existed (0 if one already did).
    pub recovery_to_leader: Percentiles,
    /// From each fault's end to the next commit (only with the checker on).
    pub recovery_to_commit: Percentiles,
    /// Client operations, from a request's first attempt to the reply that completed it.
    pub client_latency: Percentiles,
    /// Entries committed, by the checker's ground truth (`None` with the checker off).
    pub commits: Option<u64>,
    /// Virtual time the run lasted.
    pub duration_us: u64,
}

/// Watches a run and measures its [`Availability`].
#[derive(Clone, Debug, Default)]
pub struct AvailabilityWatch {
    /// When the current episode without a leader began, if there is no leader now.
    leaderless_since: Option<u64>,
    leaderless_us: u64,
    leaderless_episodes: u64,
    leaderless_longest_us: u64,
    /// Fault ends still waiting for a leader, and for a commit. Invariant: at most
    /// [`RECOVERIES_PENDING_MAX`] each.
    awaiting_leader: Vec<u64>,
    awaiting_commit: Vec<u64>,
    to_leader_us: Vec<u64>,
    to_commit_us: Vec<u64>,
    /// Client latencies kept. Invariant: at most [`LATENCY_SAMPLES_MAX`].
    latencies_us: Vec<u64>,
    latencies: u64,
}

impl AvailabilityWatch {
    /// A watch over a run that starts at time 0 without a leader.
    pub fn new() -> AvailabilityWatch {
        AvailabilityWatch {
            leaderless_since: Some(0),
            leaderless_episodes: 1,
            ..Default::default()
        }
    }

    /// After a step at `now_us`: whether a leader exists now.
    pub fn on_leadership(&mut self, now_us: u64, has_leader: bool) {
        match (self.leaderless_since, has_leader) {
            (Some(since), true) => {
                let episode = now_us - since;
                self.leaderless_us += episode;
                self.leaderless_longest_us = self.leaderless_longest_us.max(episode);
                self.leaderless_since = None;
                self.to_leader_us.extend(self.awaiting_leader.drain(..).map(|end| now_us - end));
            }
            (None, false) => {
                self.leaderless_since = Some(now_us);
                self.leaderless_episodes += 1;
            }
            (Some(_), false) | (None, true) => {}
        }
    }

    /// A fault ended at `now_us`: its recovery is timed from here.
    pub fn on_fault_end(&mut self, now_us: u64) {
        if self.leaderless_since.is_none() {
            self.to_leader_us.push(0);
        } else if self.awaiting_leader.len() < RECOVERIES_PENDING_MAX {
            self.awaiting_leader.push(now_us);
        }
        if self.awaiting_commit.len() < RECOVERIES_PENDING_MAX {
            self.awaiting_commit.push(now_us);
        }
    }

    /// The committed prefix grew at `now_us`.
    pub fn on_commit(&mut self, now_us: u64) {
        self.to_commit_us.extend(self.awaiting_commit.drain(..).map(|end| now_us - end));
    }

    /// A client operation completed after `latency_us`.
    pub fn on_client_completed(&mut self, latency_us: u64) {
        self.latencies += 1;
        if self.latencies_us.len() < LATENCY_SAMPLES_MAX {
            self.latencies_us.push(latency_us);
        }
    }

    /// The figures of a run that ended at `now_us` with `commits` committed entries (if the
    /// checker, which knows, was on).
    pub fn finish(&self, now_us: u64, commits: Option<u64>) -> Availability {
        let open = self.leaderless_since.map_or(0, |since| now_us - since);
        let mut to_leader = self.to_leader_us.clone();
        let mut to_commit = self.to_commit_us.clone();
        let mut latencies = self.latencies_us.clone();
        Availability {
            leaderless_us: self.leaderless_us + open,
            leaderless_episodes: self.leaderless_episodes,
            leaderless_longest_us: self.leaderless_longest_us.max(open),
            recovery_to_leader: Percentiles::of(&mut to_leader, self.to_leader_us.len() as u64),
            recovery_to_commit: Percentiles::of(&mut to_commit, self.to_commit_us.len() as u64),
            client_latency: Percentiles::of(&mut latencies, self.latencies),
            commits,
            duration_us: now_us,
        }
    }
}

/// Counts of durations in power-of-two millisecond buckets: bucket 0 holds durations under
/// 1 ms, bucket `i` those in `[2^(i-1), 2^i)` ms. Two histograms merge by adding counts, so a
/// campaign's shards combine exactly; trailing empty buckets are not kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Histogram {
    /// Counts per bucket.
    pub counts: Vec<u64>,
}

impl Histogram {
    /// Counts one duration.
    pub fn record(&mut self, duration_us: u64) {
        let ms = duration_us / 1000;
        let bucket = (u64::BITS - ms.leading_zeros()) as usize;
        if self.counts.len() <= bucket {
            self.counts.resize(bucket + 1, 0);
        }
        self.counts[bucket] += 1;
    }

    /// Adds `other`'s counts, saturating (they may come from files `merge` reads).
    pub fn add(&mut self, other: &Histogram) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (count, more) in self.counts.iter_mut().zip(&other.counts) {
            *count = count.saturating_add(*more);
        }
    }

    /// Durations counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// An upper bound, in milliseconds, of the `percent`-th percentile (nearest rank): the
    /// exclusive end of its bucket. `None` if nothing was counted.
    pub fn percentile_bound_ms(&self, percent: u64) -> Option<u64> {
        let rank = (self.total() * percent).div_ceil(100).max(1);
        let mut seen = 0;
        self.counts
            .iter()
            .position(|&count| {
                seen += count;
                seen >= rank
            })
            .map(|bucket| 1 << bucket)
    }
}

/// The availability of many runs, as histograms of per-run figures: what a campaign reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignAvailability {
    /// Each run's total time without a leader.
    pub leaderless: Histogram,
    /// Each run's slowest recovery from a fault's end to a leader (runs with fault ends).
    pub recovery_to_leader_max: Histogram,
    /// Each run's slowest recovery from a fault's end to a commit (runs with fault ends).
    pub recovery_to_commit_max: Histogram,
    /// Each run's 99th-percentile client operation latency (runs with client operations).
    pub client_latency_p99: Histogram,
}

impl CampaignAvailability {
    /// Counts one run.
    pub fn record(&mut self, run: &Availability) {
        self.leaderless.record(run.leaderless_us);
        if run.recovery_to_leader.count > 0 {
            self.recovery_to_leader_max.record(run.recovery_to_leader.max_us);
        }
        if run.recovery_to_commit.count > 0 {
            self.recovery_to_commit_max.record(run.recovery_to_commit.max_us);
        }
        if run.client_latency.count > 0 {
            self.client_latency_p99.record(run.client_latency.p99_us);
        }
    }

    /// Adds another campaign's (a shard's) runs.
    pub fn add(&mut self, other: &CampaignAvailability) {
        self.leaderless.add(&other.leaderless);
        self.recovery_to_leader_max.add(&other.recovery_to_leader_max);
        self.recovery_to_commit_max.add(&other.recovery_to_commit_max);
        self.client_latency_p99.add(&other.client_latency_p99);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn episodes_without_a_leader_are_timed_from_the_start_of_the_run() {
        let mut watch = AvailabilityWatch::new();
        watch.on_leadership(100, true);
        watch.on_leadership(150, true);
        watch.on_leadership(200, false);
        watch.on_leadership(500, true);
        watch.on_leadership(900, false);
        let figures = watch.finish(1_000, Some(7));
        assert_eq!(figures.leaderless_episodes, 3);
        assert_eq!(figures.leaderless_us, 100 + 300 + 100, "the last episode runs to the end");
        assert_eq!(figures.leaderless_longest_us, 300);
        assert_eq!((figures.commits, figures.duration_us), (Some(7), 1_000));
    }

    #[test]
    fn recovery_is_timed_from_each_fault_end_to_a_leader_and_to_a_commit() {
        let mut watch = AvailabilityWatch::new();
        watch.on_leadership(10, true);
        watch.on_fault_end(20); // A leader is there: recovered at once.
        watch.on_leadership(30, false);
        watch.on_fault_end(40);
        watch.on_fault_end(50);
        watch.on_leadership(90, true);
        watch.on_commit(100);
        let figures = watch.finish(200, Some(1));
        assert_eq!(figures.recovery_to_leader.count, 3);
        assert_eq!(figures.recovery_to_leader.max_us, 50, "from 40 to 90");
        assert_eq!(figures.recovery_to_leader.p50_us, 40, "0, 40 and 50");
        assert_eq!(figures.recovery_to_commit.count, 3);
        assert_eq!(figures.recovery_to_commit.max_us, 80, "from 20 to 100");
    }

    #[test]
    fn percentiles_take_the_nearest_rank_and_count_what_was_not_kept() {
        let mut samples: Vec<u64> = (1..=100).rev().collect();
        let percentiles = Percentiles::of(&mut samples, 150);
        assert_eq!(
            percentiles,
            Percentiles { count: 150, p50_us: 50, p90_us: 90, p99_us: 99, max_us: 100 }
        );
        assert_eq!(Percentiles::of(&mut [], 0), Percentiles::default());
        assert_eq!(Percentiles::of(&mut [7], 1).p50_us, 7);
    }

    #[test]
    fn histograms_bucket_by_powers_of_two_milliseconds_and_merge_by_adding() {
        let mut histogram = Histogram::default();
        for duration_us in [0, 999, 1_000, 1_999, 2_000, 5_000, 1_000_000] {
            histogram.record(duration_us);
        }
        assert_eq!(histogram.counts[..4], [2, 2, 1, 1], "<1, [1,2), [2,4), [4,8) ms");
        assert_eq!(histogram.counts.len(), 11, "1000 ms is in [512, 1024)");
        assert_eq!(histogram.percentile_bound_ms(50), Some(2));
        assert_eq!(histogram.percentile_bound_ms(100), Some(1024));
        let mut merged = Histogram::default();
        merged.add(&histogram);
        merged.add(&Histogram { counts: vec![1] });
        assert_eq!(merged.total(), 8);
        assert_eq!(merged.counts[0], 3);
        assert_eq!(Histogram::default().percentile_bound_ms(50), None);
    }

    #[test]
    fn a_campaign_counts_each_runs_figures_once_and_merges_shards() {
        let run = |leaderless_us, faults, operations| Availability {
            leaderless_us,
            recovery_to_leader: Percentiles { count: faults, max_us: 3_000, ..Default::default() },
            recovery_to_commit: Percentiles { count: faults, max_us: 9_000, ..Default::default() },
            client_latency: Percentiles { count: operations, p99_us: 40_000, ..Default::default() },
            ..Default::default()
        };
        let (mut one, mut two) = (CampaignAvailability::default(), CampaignAvailability::default());
        one.record(&run(150_000, 2, 10));
        two.record(&run(0, 0, 0));
        one.add(&two);
        assert_eq!(one.leaderless.total(), 2);
        assert_eq!(one.recovery_to_leader_max.total(), 1, "the run without faults has none");
        assert_eq!(one.client_latency_p99.total(), 1);
        assert_eq!(one.recovery_to_commit_max.percentile_bound_ms(50), Some(16));
    }

    #[test]
    fn client_latencies_past_the_limit_are_counted_not_kept() {
        let mut watch = AvailabilityWatch::new();
        for latency in 0..LATENCY_SAMPLES_MAX as u64 + 10 {
            watch.on_client_completed(latency);
        }
        let figures = watch.finish(1, None);
        assert_eq!(figures.client_latency.count, LATENCY_SAMPLES_MAX as u64 + 10);
        assert_eq!(watch.latencies_us.len(), LATENCY_SAMPLES_MAX);
    }
}
