//! Merging shard reports into the report of the whole range, as one process would have written
//! it: the same seeds, events, digest, counters, coverage and failures, grouped by signature
//! across shards. Shards that do not fit together are refused, never merged into a report that
//! would claim a range it does not cover.

use std::collections::BTreeMap;

use raftsim_sim::trace::format_hash;

use crate::output::count;
use crate::report::{CampaignReport, FailureReport};
use crate::seeds::Shard;

/// Why shard reports cannot be merged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Two reports differ in what they ran.
    #[error("{file} does not fit {first}: its {what} is {theirs}, not {ours}")]
    Misfit { file: String, first: String, what: &'static str, theirs: String, ours: String },
    /// A report ran an open range.
    #[error(
        "{0} ran an open range (--duration without --seeds): only shards of one bounded range \
         can be checked for gaps and merged"
    )]
    OpenRange(String),
    /// A report's shard is not `K/N`.
    #[error("{file}: shard `{shard}` is not K/N")]
    BadShard { file: String, shard: String },
    /// Two reports split the range differently.
    #[error("{file} is shard {theirs} but {first} is shard {ours}: shards of different splits")]
    Split { file: String, first: String, theirs: String, ours: String },
    /// One shard given twice.
    #[error("shard {shard} given twice: {first} and {second}")]
    Twice { shard: String, first: String, second: String },
    /// Shards missing.
    #[error("{missing} missing: the merge would not cover seeds {start}..{end}")]
    Missing { missing: String, start: u64, end: u128 },
    /// A report contradicts itself.
    #[error("{file}: {why}")]
    Inconsistent { file: String, why: String },
}

/// Merges `reports` (each with the file it came from), which must be every shard `1/N..N/N`
/// of one range, run by one build on one scenario with the same bugs.
pub fn merge(reports: &[(String, CampaignReport)]) -> Result<CampaignReport, MergeError> {
    let (first_file, first) = reports.first().expect("merge needs at least one report");
    let shards = shards_in_order(reports)?;
    for (file, report) in reports {
        check_fit(first_file, first, file, report)?;
        check_consistent(file, report)?;
    }
    let ordered: Vec<&(String, CampaignReport)> =
        shards.values().map(|&position| &reports[position]).collect();
    let mut merged = first.clone();
    merged.shard = Shard::ALL.to_string();
    merged.merged = ordered.iter().map(|(file, _)| file.clone()).collect();
    merged.jobs = 0;
    merged.seeds = 0;
    merged.events = 0;
    merged.elapsed_s = 0.0;
    merged.interrupted = false;
    merged.counters = Default::default();
    merged.coverage = Default::default();
    merged.availability = Default::default();
    merged.efficiency = Default::default();
    merged.failures.clear();
    merged.exceeded.clear();
    let (mut digest, mut planned) = (0, 0);
    for (file, report) in &ordered {
        // Each shard's seeds fit its range (checked), but other counts are read from files:
        // sums saturate rather than wrap around.
        merged.jobs = merged.jobs.saturating_add(report.jobs);
        planned += report.planned_seeds.unwrap_or(0);
        merged.seeds += report.seeds;
        merged.events = merged.events.saturating_add(report.events);
        merged.elapsed_s = merged.elapsed_s.max(report.elapsed_s);
        merged.interrupted |= report.interrupted;
        merged.counters.add(&report.counters);
        merged.coverage.add(&report.coverage);
        merged.availability.add(&report.availability);
        merged.efficiency.add(&report.efficiency);
        merged.failures.extend(report.failures.iter().cloned());
        merged.exceeded.extend(report.exceeded.iter().cloned());
        digest ^= parse_hash(&report.digest).ok_or_else(|| MergeError::Inconsistent {
            file: file.clone(),
            why: format!("digest `{}` is not a 64-bit hex hash", report.digest),
        })?;
    }
    merged.digest = format_hash(digest);
    merged.planned_seeds = Some(planned);
    merged.exceeded.sort_by_key(|exceeded| exceeded.seed);
    regroup(&mut merged.failures);
    merged.violations = merged.failures.len() as u64;
    merged.distinct_failures = merged.distinct().count() as u64;
    let elapsed = merged.elapsed_s.max(1e-9);
    merged.seeds_per_s = merged.seeds as f64 / elapsed;
    merged.events_per_s = merged.events as f64 / elapsed;
    merged.coverage_unreached = merged
        .coverage
        .unreached()
        .into_iter()
        .filter(|path| merged.coverage_reachable.iter().any(|reachable| reachable == path))
        .map(str::to_owned)
        .collect();
    Ok(merged)
}

/// The shards of `reports` by index, checking that they are `1/N..N/N`, each once.
fn shards_in_order(
    reports: &[(String, CampaignReport)],
) -> Result<BTreeMap<u64, usize>, MergeError> {
    let (first_file, first) = &reports[0];
    let parse = |file: &String, report: &CampaignReport| {
        report
            .shard
            .parse::<Shard>()
            .map_err(|_| MergeError::BadShard { file: file.clone(), shard: report.shard.clone() })
    };
    let count = parse(first_file, first)?.count;
    let mut shards: BTreeMap<u64, usize> = BTreeMap::new();
    for (position, (file, report)) in reports.iter().enumerate() {
        let shard = parse(file, report)?;
        if shard.count != count {
            return Err(MergeError::Split {
                file: file.clone(),
                first: first_file.clone(),
                theirs: report.shard.clone(),
                ours: first.shard.clone(),
            });
        }
        if let Some(&before) = shards.get(&shard.index) {
            return Err(MergeError::Twice {
                shard: shard.to_string(),
                first: reports[before].0.clone(),
                second: file.clone(),
            });
        }
        shards.insert(shard.index, position);
    }
    let missing: Vec<String> = (1..=count)
        .filter(|index| !shards.contains_key(index))
        .map(|index| format!("{index}/{count}"))
        .collect();
    if !missing.is_empty() {
        let noun = if missing.len() == 1 { "shard" } else { "shards" };
        return Err(MergeError::Missing {
            missing: format!("{noun} {}", missing.join(", ")),
            start: first.start,
            end: u128::from(first.start) + u128::from(first.range.unwrap_or(0)),
        });
    }
    Ok(shards)
}

/// Refuses `report` unless it ran what `first` ran: same build, Raft, scenario, bugs, range.
fn check_fit(
    first_file: &str,
    first: &CampaignReport,
    file: &str,
    report: &CampaignReport,
) -> Result<(), MergeError> {
    let misfit = |what: &'static str, theirs: String, ours: String| {
        Err(MergeError::Misfit {
            file: file.to_owned(),
            first: first_file.to_owned(),
            what,
            theirs,
            ours,
        })
    };
    if report.range.is_none() {
        return Err(MergeError::OpenRange(file.to_owned()));
    }
    let fields: [(&'static str, String, String); 9] = [
        ("raftsim version", report.raftsim_version.clone(), first.raftsim_version.clone()),
        ("stream fingerprint", report.stream_fingerprint.clone(), first.stream_fingerprint.clone()),
        ("Raft", report.raft.clone(), first.raft.clone()),
        ("scenario", report.scenario.clone(), first.scenario.clone()),
        ("scenario digest", report.scenario_digest.clone(), first.scenario_digest.clone()),
        ("bug list", format!("[{}]", report.bugs.join(",")), format!("[{}]", first.bugs.join(","))),
        ("first seed", report.start.to_string(), first.start.to_string()),
        ("range", range_text(report.range), range_text(first.range)),
        ("--keep-going", report.keep_going.to_string(), first.keep_going.to_string()),
    ];
    for (what, theirs, ours) in fields {
        if theirs != ours {
            return misfit(what, theirs, ours);
        }
    }
    Ok(())
}

/// A report's range in words.
fn range_text(range: Option<u64>) -> String {
    match range {
        Some(seeds) => format!("{seeds} seeds"),
        None => "open (--duration)".to_owned(),
    }
}

/// Refuses a report that contradicts itself: a seed count its shard cannot hold, a count of
/// violations other than its list of failures, a failing seed outside its shard.
fn check_consistent(file: &str, report: &CampaignReport) -> Result<(), MergeError> {
    let inconsistent = |why: String| Err(MergeError::Inconsistent { file: file.to_owned(), why });
    let shard: Shard = report.shard.parse().expect("shards were parsed");
    let range = report.range.expect("open ranges were refused");
    if range == 0 {
        return inconsistent("its range holds no seed".to_owned());
    }
    let Some(last) = report.start.checked_add(range - 1) else {
        return inconsistent("its range goes past the largest seed".to_owned());
    };
    let holds = shard.seeds_in(report.start, last);
    if report.planned_seeds != Some(holds) || report.seeds > holds {
        return inconsistent(format!(
            "shard {shard} of seeds {}..={last} holds {holds} seeds, but the report says it \
             planned {} and ran {}",
            report.start,
            report.planned_seeds.map_or_else(|| "no count".to_owned(), |seeds| seeds.to_string()),
            report.seeds
        ));
    }
    if report.violations != report.failures.len() as u64 {
        return inconsistent(format!(
            "it counts {} but lists {}",
            count(report.violations, "violation"),
            count(report.failures.len() as u64, "failure")
        ));
    }
    let seeds = report
        .failures
        .iter()
        .map(|failure| failure.seed)
        .chain(report.exceeded.iter().map(|exceeded| exceeded.seed));
    for seed in seeds {
        if !shard.contains(seed) || seed < report.start || seed > last {
            return inconsistent(format!("seed {seed} is not in shard {shard} of the range"));
        }
    }
    Ok(())
}

/// Sorts `failures` by seed and regroups them by signature, as one process groups them: the
/// smallest seed of each signature carries the group's count and its trace, the others a count
/// of 0 and no trace (a shard's trace of a later seed stays in that shard's directory).
fn regroup(failures: &mut [FailureReport]) {
    failures.sort_by_key(|failure| failure.seed);
    let mut first_of: BTreeMap<String, usize> = BTreeMap::new();
    for position in 0..failures.len() {
        failures[position].count = 0;
        match first_of.get(&failures[position].signature) {
            Some(&first) => {
                failures[first].count += 1;
                failures[position].trace = None;
                failures[position].trace_error = None;
            }
            None => {
                first_of.insert(failures[position].signature.clone(), position);
                failures[position].count = 1;
            }
        }
    }
}

/// Parses a hash as [`format_hash`] writes it.
fn parse_hash(text: &str) -> Option<u64> {
    u64::from_str_radix(text.strip_prefix("0x")?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ExceededReport, FORMAT};

    /// Shard `index` of `count` over seeds 0..10, which ran all its seeds; its digest is its
    /// index, and each seed's only counter is one commit.
    fn shard(index: u64, count: u64) -> (String, CampaignReport) {
        let shard = Shard { index, count };
        let seeds = shard.seeds_in(0, 9);
        let report = CampaignReport {
            format: FORMAT.to_owned(),
            raftsim_version: "0.1.0".to_owned(),
            stream_fingerprint: "0x0000000000000001".to_owned(),
            raft: "raftsim".to_owned(),
            scenario: "default".to_owned(),
            scenario_digest: "0x0000000000000002".to_owned(),
            bugs: Vec::new(),
            start: 0,
            range: Some(10),
            shard: shard.to_string(),
            merged: Vec::new(),
            keep_going: true,
            jobs: 1,
            planned_seeds: Some(seeds),
            seeds,
            violations: 0,
            distinct_failures: 0,
            failures: Vec::new(),
            exceeded: Vec::new(),
            events: 100 * seeds,
            elapsed_s: index as f64,
            seeds_per_s: 0.0,
            events_per_s: 0.0,
            digest: format_hash(index),
            interrupted: false,
            counters: raftsim_sim::Counters { commits: seeds, ..Default::default() },
            coverage: Default::default(),
            availability: Default::default(),
            efficiency: Default::default(),
            coverage_reachable: vec!["split_vote".to_owned()],
            coverage_unreached: vec!["split_vote".to_owned()],
        };
        (format!("shard-{index}.json"), report)
    }

    fn failure(seed: u64, signature: &str, count: u64) -> FailureReport {
        FailureReport {
            seed,
            property: "single-vote".to_owned(),
            step: 10,
            time_us: 1000,
            detail: "a vote, and then another".to_owned(),
            panic_location: None,
            signature: signature.to_owned(),
            count,
            trace: (count > 0).then(|| format!("traces/seed{seed}.jsonl")),
            trace_error: None,
            run: format!("raftsim run --seed {seed}"),
        }
    }

    #[test]
    fn every_shard_of_a_range_merges_into_the_whole_range() {
        let mut shards: Vec<_> = (1..=3).rev().map(|index| shard(index, 3)).collect();
        // Seeds 3 (shard 1/3) and 4 (shard 2/3) fail alike, seed 7 (shard 2/3) otherwise.
        shards[2].1.failures = vec![failure(3, "single-vote: a", 1)];
        shards[1].1.failures =
            vec![failure(4, "single-vote: a", 1), failure(7, "single-vote: b", 1)];
        shards[2].1.violations = 1;
        shards[1].1.violations = 2;
        shards[0].1.exceeded = vec![ExceededReport {
            seed: 5,
            limit: raftsim_sim::world::Limit::Events,
            step: 1,
            time_us: 1,
            detail: "too many".to_owned(),
        }];
        shards[1].1.coverage.split_vote = 2;
        let merged = merge(&shards).unwrap();
        assert_eq!(merged.shard, "1/1");
        assert_eq!(merged.merged, ["shard-1.json", "shard-2.json", "shard-3.json"]);
        assert_eq!(merged.seeds, 10);
        assert_eq!(merged.planned_seeds, Some(10));
        assert_eq!(merged.events, 1000);
        assert_eq!(merged.digest, format_hash(1 ^ 2 ^ 3));
        assert_eq!(merged.counters.commits, 10);
        assert_eq!(merged.elapsed_s, 3.0, "shards run side by side: the longest one's time");
        assert_eq!(merged.jobs, 3);
        let seeds: Vec<(u64, u64)> =
            merged.failures.iter().map(|failure| (failure.seed, failure.count)).collect();
        assert_eq!(seeds, [(3, 2), (4, 0), (7, 1)], "grouped by signature across shards");
        assert_eq!(merged.failures[1].trace, None, "one trace per signature, as in one process");
        assert_eq!((merged.violations, merged.distinct_failures), (3, 2));
        assert_eq!(merged.exceeded.len(), 1);
        assert!(merged.coverage_unreached.is_empty(), "reached in shard 2");
    }

    #[test]
    fn shards_that_do_not_fit_together_are_refused() {
        let whole = || vec![shard(1, 2), shard(2, 2)];
        let refused = |change: &dyn Fn(&mut CampaignReport)| {
            let mut shards = whole();
            change(&mut shards[1].1);
            merge(&shards).unwrap_err().to_string()
        };
        assert!(merge(&whole()).is_ok());
        let misfit = refused(&|report| report.scenario = "partitions".to_owned());
        assert_eq!(
            misfit,
            "shard-2.json does not fit shard-1.json: its scenario is partitions, not default"
        );
        assert!(refused(&|report| report.scenario_digest = "0x3".to_owned()).contains("digest"));
        let build = refused(&|report| report.stream_fingerprint = "0x9".to_owned());
        assert!(build.contains("stream fingerprint"), "{build}");
        assert!(refused(&|report| report.bugs = vec!["double-vote".to_owned()]).contains("bug"));
        assert!(refused(&|report| report.raft = "raft-rs".to_owned()).contains("Raft"));
        assert!(refused(&|report| report.start = 1).contains("first seed"));
        assert!(refused(&|report| report.keep_going = false).contains("--keep-going"));
        let open = refused(&|report| report.range = None);
        assert!(open.contains("open range"), "{open}");
        let twice = refused(&|report| report.shard = "1/2".to_owned());
        assert_eq!(twice, "shard 1/2 given twice: shard-1.json and shard-2.json");
        let split = refused(&|report| report.shard = "2/3".to_owned());
        assert!(split.contains("shards of different splits"), "{split}");
        assert!(refused(&|report| report.shard = "two".to_owned()).contains("is not K/N"));
        let missing = merge(&[shard(1, 3), shard(3, 3)]).unwrap_err().to_string();
        assert_eq!(missing, "shard 2/3 missing: the merge would not cover seeds 0..10");
    }

    #[test]
    fn a_report_that_contradicts_itself_is_refused() {
        let refused = |change: &dyn Fn(&mut CampaignReport)| {
            let mut shards = vec![shard(1, 2), shard(2, 2)];
            change(&mut shards[0].1);
            merge(&shards).unwrap_err().to_string()
        };
        let outside = refused(&|report| {
            report.failures = vec![failure(1, "s", 1)];
            report.violations = 1;
        });
        assert_eq!(outside, "shard-1.json: seed 1 is not in shard 1/2 of the range");
        let uncounted = refused(&|report| report.failures = vec![failure(2, "s", 1)]);
        assert_eq!(uncounted, "shard-1.json: it counts 0 violations but lists 1 failure");
        let too_many = refused(&|report| report.seeds = 6);
        assert!(too_many.contains("holds 5 seeds"), "{too_many}");
        assert!(refused(&|report| report.digest = "beef".to_owned()).contains("not a 64-bit"));
    }
}
