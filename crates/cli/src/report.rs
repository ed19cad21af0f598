//! A campaign's report: what `fuzz` prints (as text, as `--json`, as JUnit) and what `merge`
//! reads back from many shards and combines into the report of the whole range.
//!
//! The JSON form carries everything a merge needs to refuse shards that do not fit together
//! (the build, the Raft, the scenario's digest, the bugs, the range and the shard) and to
//! combine those that do exactly as one process would have: summed counts, the XOR of the
//! event hashes, and every failure with its signature, so that distinct failures are grouped
//! across shards as they are within one.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use raftsim_sim::availability::CampaignAvailability;
use raftsim_sim::efficiency::CampaignEfficiency;
use raftsim_sim::world::Limit;
use raftsim_sim::{Counters, Coverage};

use crate::exit::Exit;
use crate::output::{count, exceeded_text, failure_text, outln, rate};

/// Names this kind of file, so that `merge` can tell it from other JSON.
pub const FORMAT: &str = "raftsim-campaign";

/// A campaign's report (one process's shard, or several merged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignReport {
    /// Always [`FORMAT`].
    pub format: String,
    /// The raftsim version that ran it.
    pub raftsim_version: String,
    /// The event-stream fingerprint of the build and Raft that ran it.
    pub stream_fingerprint: String,
    /// The Raft under test.
    pub raft: String,
    /// The scenario's name.
    pub scenario: String,
    /// A digest of the scenario's every setting, so that two files of one name are told apart.
    pub scenario_digest: String,
    /// Injected bugs.
    pub bugs: Vec<String>,
    /// First seed of the range.
    pub start: u64,
    /// Seeds in the range (`None`: open, bounded only by `--duration`).
    pub range: Option<u64>,
    /// Which shard of the range this is (`1/1` for the whole range).
    pub shard: String,
    /// The shard reports merged into this one, in shard order (empty if not merged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<String>,
    /// Whether every seed ran even after a violation.
    pub keep_going: bool,
    /// Worker threads (summed over merged shards).
    pub jobs: u64,
    /// Seeds of the range this shard holds (`None` for an open range).
    pub planned_seeds: Option<u64>,
    /// Seeds run and counted.
    pub seeds: u64,
    /// Failing seeds.
    pub violations: u64,
    /// Failures with distinct signatures.
    pub distinct_failures: u64,
    /// Every failing seed, in seed order.
    pub failures: Vec<FailureReport>,
    /// Seeds that outgrew a harness limit, in seed order.
    pub exceeded: Vec<ExceededReport>,
    /// Events over the seeds run.
    pub events: u64,
    /// Wall time (the longest shard's, when merged).
    pub elapsed_s: f64,
    /// Seeds per second of wall time.
    pub seeds_per_s: f64,
    /// Events per second of wall time.
    pub events_per_s: f64,
    /// XOR of the seeds' event hashes: the digests of shards XOR to the whole range's.
    pub digest: String,
    /// Stopped by Ctrl-C or SIGTERM.
    pub interrupted: bool,
    /// Summed counters (`max_term` is the maximum).
    pub counters: Counters,
    /// Summed coverage of hard paths.
    pub coverage: Coverage,
    /// The seeds' availability figures, as histograms that merge by adding.
    #[serde(default)]
    pub availability: CampaignAvailability,
    /// The settled seeds' work: summed counts, so that shards add up exactly.
    #[serde(default)]
    pub efficiency: CampaignEfficiency,
    /// The hard paths this scenario's faults can reach.
    pub coverage_reachable: Vec<String>,
    /// Reachable hard paths that were never reached.
    pub coverage_unreached: Vec<String>,
}

/// One failing seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureReport {
    /// The seed.
    pub seed: u64,
    /// The property violated.
    pub property: String,
    /// The step of the violation.
    pub step: u64,
    /// Its virtual time.
    pub time_us: u64,
    /// What was wrong, in one line.
    pub detail: String,
    /// Where it panicked, for a panic.
    pub panic_location: Option<String>,
    /// What makes two failures the same: the property and the detail with numbers blanked.
    pub signature: String,
    /// Failures of this signature, on its smallest seed; 0 on the others.
    pub count: u64,
    /// The trace written (on the first seed of each signature).
    pub trace: Option<String>,
    /// Why no trace was written, on the first seed of a signature that has none.
    pub trace_error: Option<String>,
    /// The `raftsim run` command that reproduces it anywhere.
    pub run: String,
}

impl FailureReport {
    /// The failure in one line, with the culprit of a panic.
    pub fn line(&self) -> String {
        let property = match &self.panic_location {
            Some(location) => {
                format!("{} ({} at {location})", self.property, crate::panics::culprit(location))
            }
            None => self.property.clone(),
        };
        failure_text(self.seed, &property, self.step, self.time_us, &self.detail)
    }
}

/// One seed that outgrew a harness limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceededReport {
    /// The seed.
    pub seed: u64,
    /// Which limit.
    pub limit: Limit,
    /// The step at which it did.
    pub step: u64,
    /// Its virtual time.
    pub time_us: u64,
    /// What was measured against what.
    pub detail: String,
}

impl ExceededReport {
    /// The verdict in one line.
    pub fn line(&self) -> String {
        exceeded_text(self.seed, self.limit, self.step, self.time_us, &self.detail)
    }
}

impl CampaignReport {
    /// The distinct failures: the first seed of each signature.
    pub fn distinct(&self) -> impl Iterator<Item = &FailureReport> {
        self.failures.iter().filter(|failure| failure.count > 0)
    }

    /// The report as pretty JSON, one field per line.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes")
    }

    /// Prints the report (one JSON object, or the text summary), writes its JUnit report to
    /// `junit` and its HTML page to `page` if given; returns whether those were written. A
    /// report that cannot be written is an error, but it does not hide a violation.
    pub fn publish(&self, json: bool, junit: Option<&Path>, page: Option<&Path>) -> bool {
        if json {
            outln!("{}", self.to_json());
        } else {
            for line in self.text_lines() {
                outln!("{line}");
            }
        }
        let written = |result: Result<()>, option: &'static str| {
            result
                .context(option)
                .map_err(|error| eprintln!("error: {}", crate::output::one_line(&error)))
                .is_ok()
        };
        let junit_written = junit.is_none_or(|path| written(self.write_junit(path), "--junit"));
        let page_written = page.is_none_or(|path| written(self.write_page(path), "--report"));
        junit_written && page_written
    }

    /// Writes the report as one HTML page (see [`crate::campaign_page`]).
    pub fn write_page(&self, path: &Path) -> Result<()> {
        crate::files::write_output(path, crate::campaign_page::render(self).as_bytes())
    }

    /// The campaign's exit code, given whether its reports (JUnit, HTML) were written.
    pub fn exit(&self, reports_written: bool) -> Exit {
        if self.interrupted {
            Exit::Interrupted
        } else if self.violations > 0 {
            Exit::Violation
        } else if !reports_written {
            Exit::BadInput
        } else if !self.exceeded.is_empty() {
            Exit::Exceeded
        } else {
            Exit::Pass
        }
    }

    /// The one command that replays the first failure: its trace, or, if no trace could be
    /// written, the `raftsim run` of its seed.
    pub fn replay_command(&self) -> Option<String> {
        let trace = self.failures.iter().find_map(|failure| failure.trace.as_ref());
        if let Some(trace) = trace {
            let trace = crate::commands::shell_word(trace);
            return Some(format!("{} replay {trace}", crate::output::command_name()));
        }
        Some(self.failures.first()?.run.clone())
    }

    /// The human summary, line by line: totals, digest, counters, coverage, failures.
    pub fn text_lines(&self) -> Vec<String> {
        let elapsed = std::time::Duration::from_secs_f64(self.elapsed_s.max(1e-9));
        let exceeded = if self.exceeded.is_empty() {
            String::new()
        } else {
            format!("; {} over a harness limit", count(self.exceeded.len() as u64, "seed"))
        };
        let mut lines = vec![
            format!(
                "{} in {:.1}s ({} seeds/s, {} events/s, {} events); {}{exceeded}{}",
                count(self.seeds, "seed"),
                self.elapsed_s,
                rate(self.seeds, elapsed),
                rate(self.events, elapsed),
                self.events,
                count(self.violations, "violation"),
                if self.interrupted { "; INTERRUPTED" } else { "" },
            ),
            format!("digest {}", self.digest),
            format!("counters:\n  {}", crate::output::counters_text(&self.counters)),
            crate::output::campaign_availability_text(&self.availability),
            crate::output::campaign_efficiency_text(&self.efficiency),
            self.coverage_table(),
        ];
        for failure in self.distinct() {
            let seeds = if failure.count > 1 {
                format!(" ({} seeds)", failure.count)
            } else {
                String::new()
            };
            lines.push(format!("FAIL{seeds} {}", failure.line()));
            if let Some(trace) = &failure.trace {
                lines.push(format!("  trace: {trace}"));
            }
            if !self.merged.is_empty() {
                lines.push(format!("  run: {}", failure.run));
            }
        }
        for exceeded in &self.exceeded {
            lines.push(format!("EXCEEDED {}", exceeded.line()));
        }
        lines
    }

    /// The hard paths as a table, with a warning for those the scenario can reach but never
    /// did.
    fn coverage_table(&self) -> String {
        let fields = self.coverage.fields();
        let width = fields.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        let reachable = |name: &str| self.coverage_reachable.iter().any(|path| path == name);
        let mut table = String::from("coverage (hard paths reached, summed over seeds):");
        for (name, reached) in &fields {
            let mark = match (*reached, reachable(name)) {
                (0, true) => "  <- never reached",
                (0, false) => "  (this scenario's faults cannot reach it)",
                _ => "",
            };
            table.push_str(&format!("\n  {name:width$} {reached:>10}{mark}"));
        }
        if !self.coverage_unreached.is_empty() {
            table.push_str(&format!(
                "\nwarning: {} of the {} this scenario can reach never happened: {}",
                count(self.coverage_unreached.len() as u64, "hard path"),
                self.coverage_reachable.len(),
                self.coverage_unreached.join(", ")
            ));
        }
        table
    }

    /// Writes the report as JUnit XML: a test case per failing or exceeding seed, and one for
    /// the campaign.
    pub fn write_junit(&self, path: &Path) -> Result<()> {
        use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
        let mut suite = TestSuite::new(format!("raftsim fuzz {}", self.scenario));
        for failure in &self.failures {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(failure.line());
            let replay = match (&failure.trace, &failure.trace_error) {
                (Some(trace), _) => format!(
                    "replay: {} replay {}",
                    crate::output::command_name(),
                    crate::commands::shell_word(trace)
                ),
                (None, Some(why)) => format!("no trace: {why}"),
                (None, None) => {
                    "no trace: one was written for the first seed of this signature".to_owned()
                }
            };
            status.set_description(format!("{replay}\nrun: {}", failure.run));
            suite.add_test_case(TestCase::new(format!("seed {}", failure.seed), status));
        }
        for exceeded in &self.exceeded {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(exceeded.line());
            status.set_type("harness-limit");
            suite.add_test_case(TestCase::new(format!("seed {}", exceeded.seed), status));
        }
        let campaign_status =
            if self.failures.is_empty() && self.exceeded.is_empty() && !self.interrupted {
                TestCaseStatus::success()
            } else {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(format!(
                    "{} and {} over a harness limit in {}{}",
                    count(self.violations, "violation"),
                    count(self.exceeded.len() as u64, "seed"),
                    count(self.seeds, "seed"),
                    if self.interrupted { " (interrupted)" } else { "" }
                ));
                status
            };
        let mut case = TestCase::new("campaign", campaign_status);
        case.set_time(std::time::Duration::from_secs_f64(self.elapsed_s.max(0.0)));
        suite.add_test_case(case);
        let mut report = Report::new("raftsim");
        report.add_test_suite(suite);
        let xml = report.to_string().context("cannot render the JUnit report")?;
        crate::files::write_output(path, xml.as_bytes())
    }
}
