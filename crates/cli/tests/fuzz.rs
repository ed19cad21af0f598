//! `raftsim fuzz`: seeded campaigns, their JSON and JUnit summaries, a digest that does not
//! depend on threads or shards, failure traces that replay, and quiet output without a terminal.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{
    BUG, BUG_SCENARIO, BUG_SEEDS, arg, assert_code, assert_counters, files_in, fuzz_bug, json,
    last_line, parse_hash, run, stderr, stdout, terminated_campaign,
};
use serde_json::Value;
use tempfile::TempDir;

/// `fuzz --json` with traces into `out`, plus `extra`; returns the exit code and the summary.
fn fuzz_json(out: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["fuzz", "--json", "--out", arg(out)];
    args.extend_from_slice(extra);
    let output = run(&args);
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    (output.status.code().expect("an exit code"), json(&output), err)
}

fn digest_of(out: &Path, extra: &[&str]) -> u64 {
    let (code, summary, _) = fuzz_json(out, extra);
    assert_eq!(code, 0, "{summary}");
    parse_hash(&summary["digest"])
}

#[test]
fn a_passing_campaign_exits_0_with_a_complete_json_summary() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let (code, summary, _) =
        fuzz_json(&out, &["--scenario", "calm", "--seeds", "20", "--jobs", "2"]);
    assert_eq!(code, 0, "{summary}");
    for key in [
        "seeds",
        "violations",
        "failures",
        "events",
        "elapsed_s",
        "seeds_per_s",
        "events_per_s",
        "digest",
        "counters",
    ] {
        assert!(summary.get(key).is_some(), "`{key}` missing from {summary}");
    }
    assert_eq!(summary["seeds"], 20);
    assert_eq!(summary["violations"], 0);
    assert_eq!(summary["failures"], Value::Array(Vec::new()));
    assert!(summary["events"].as_u64().is_some_and(|events| events > 0), "{summary}");
    for rate in ["elapsed_s", "seeds_per_s", "events_per_s"] {
        assert!(summary[rate].as_f64().is_some_and(|value| value > 0.0), "{rate}: {summary}");
    }
    parse_hash(&summary["digest"]);
    assert_counters(&summary["counters"]);
    assert!(summary["counters"]["commits"].as_u64().is_some_and(|commits| commits > 0));
    assert!(files_in(&out).is_empty(), "a passing campaign writes no trace");
}

#[test]
fn a_campaign_sums_the_work_of_its_settled_seeds_and_names_the_least_efficient() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let (code, summary, _) = fuzz_json(&out, &["--scenario", "calm", "--seeds", "20"]);
    assert_eq!(code, 0, "{summary}");
    let efficiency = &summary["efficiency"];
    assert_eq!(efficiency["runs"], 20, "every seed of `calm` settles: {efficiency}");
    // `calm` has no fault: every frame reaches its peer, and the sums are the counters'.
    assert_eq!(efficiency["commits"], summary["counters"]["commits"]);
    assert_eq!(efficiency["frames"], summary["counters"]["frames_sent"]);
    assert_eq!(efficiency["faults"], 20, "a run's first election counts as one fault");
    let convergence: u64 = efficiency["convergence"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|count| count.as_u64().unwrap())
        .sum();
    assert_eq!(convergence, 20, "one convergence time per seed");
    let worst = &efficiency["least_efficient"];
    let per_commit = |value: &Value| {
        value["frames"].as_f64().unwrap() / value["commits"].as_f64().unwrap().max(1.0)
    };
    assert!(worst["seed"].as_u64().is_some_and(|seed| seed < 20), "{worst}");
    assert!(per_commit(worst) >= per_commit(efficiency), "the worst seed is above the mean");

    let text = stdout(&run(&["fuzz", "--scenario", "calm", "--seeds", "20"]));
    let line = text.lines().find(|line| line.starts_with("efficiency over 20 settled seeds: "));
    let line = line.unwrap_or_else(|| panic!("no efficiency line in:\n{text}"));
    let expected = format!("most frames per commit: seed {} (", worst["seed"]);
    assert!(line.contains(" frames/commit, ") && line.contains(&expected), "{line}");
}

#[test]
fn the_digest_does_not_depend_on_the_number_of_jobs() {
    let dir = TempDir::new().unwrap();
    let range = ["--scenario", "default", "--seeds", "12", "--start", "100"];
    let one = digest_of(dir.path(), &[&range[..], &["--jobs", "1"]].concat());
    let two = digest_of(dir.path(), &[&range[..], &["--jobs", "2"]].concat());
    assert_eq!(one, two);
    let other =
        digest_of(dir.path(), &["--scenario", "default", "--seeds", "12", "--start", "101"]);
    assert_ne!(one, other, "the digest should depend on the seeds run");
}

#[test]
fn the_digests_of_all_shards_xor_to_the_digest_of_the_whole_range() {
    let dir = TempDir::new().unwrap();
    let range = ["--scenario", "calm", "--seeds", "20", "--start", "5", "--jobs", "2"];
    let (code, whole, _) = fuzz_json(dir.path(), &range);
    assert_eq!(code, 0);
    let (mut digest, mut seeds) = (0, 0);
    for shard in ["1/3", "2/3", "3/3"] {
        let (code, part, _) = fuzz_json(dir.path(), &[&range[..], &["--shard", shard]].concat());
        assert_eq!(code, 0);
        assert_eq!(part["shard"], shard);
        digest ^= parse_hash(&part["digest"]);
        seeds += part["seeds"].as_u64().unwrap();
    }
    assert_eq!(seeds, 20, "the shards partition the range");
    assert_eq!(digest, parse_hash(&whole["digest"]));
}

#[test]
fn seeds_may_be_given_in_hex() {
    let dir = TempDir::new().unwrap();
    let (code, hex, _) =
        fuzz_json(dir.path(), &["--scenario", "calm", "--seeds", "4", "--start", "0x10"]);
    assert_eq!(code, 0);
    assert_eq!(hex["start"], 16);
    let (_, decimal, _) =
        fuzz_json(dir.path(), &["--scenario", "calm", "--seeds", "4", "--start", "16"]);
    assert_eq!(hex["digest"], decimal["digest"]);
}

/// Runs the bug campaign; returns the exit code, the summary, stderr and the traces written.
fn bug_campaign(out: &Path, extra: &[&str]) -> (i32, Value, String, Vec<PathBuf>) {
    let args =
        [&["--scenario", BUG_SCENARIO, "--bug", BUG, "--seeds", BUG_SEEDS][..], extra].concat();
    let (code, summary, err) = fuzz_json(out, &args);
    (code, summary, err, files_in(out))
}

#[test]
fn an_injected_bug_fails_with_one_trace_and_the_replay_command_last() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("traces");
    let (code, summary, err, traces) = bug_campaign(&out, &["--jobs", "2"]);
    assert_eq!(code, 1, "{summary}");
    assert_eq!(traces.len(), 1, "exactly one trace: {traces:?}");
    let trace = &traces[0];
    assert_eq!(summary["violations"], 1);
    let failure = &summary["failures"][0];
    let seed = failure["seed"].as_u64().expect("a seed");
    assert_eq!(summary["seeds"], seed + 1, "the campaign stops at its first failure");
    let name = trace.file_name().unwrap().to_str().unwrap();
    let property = failure["property"].as_str().expect("a property");
    assert_eq!(name, format!("{BUG_SCENARIO}-{BUG}-seed{seed}-{property}.jsonl"));
    assert!(failure["property"].is_string() && failure["step"].is_u64(), "{failure}");
    assert_eq!(failure["trace"], arg(trace));
    // The printed command runs as it is: the binary by a path that exists (it is not on the
    // PATH of the test), then `replay` and the trace.
    let line = last_line(&err);
    let command = line.strip_prefix("replay: ").expect("the replay command comes last");
    let (binary, rest) = command.split_once(' ').expect("a command and its arguments");
    assert_eq!(rest, format!("replay {}", arg(trace)));
    assert!(binary == "raftsim" || Path::new(binary).exists(), "{binary} cannot be run");

    let replay = run(&["replay", arg(trace)]);
    assert_code(&replay, 1);
    assert!(stdout(&replay).contains(failure["property"].as_str().unwrap()));
    let check = run(&["replay", "--check", arg(trace)]);
    assert_code(&check, 0);
    assert!(stderr(&check).contains("bit-exactly"), "{}", stderr(&check));
}

#[test]
fn the_smallest_failing_seed_is_reported_whatever_the_number_of_jobs() {
    let dir = TempDir::new().unwrap();
    let (_, one, _, _) = bug_campaign(&dir.path().join("one"), &["--jobs", "1"]);
    let (_, two, _, _) = bug_campaign(&dir.path().join("two"), &["--jobs", "2"]);
    for key in ["seeds", "violations", "events", "digest"] {
        assert_eq!(one[key], two[key], "{key}");
    }
    assert_eq!(one["failures"][0]["seed"], two["failures"][0]["seed"]);
    let (_, all, _, _) = bug_campaign(&dir.path().join("all"), &["--keep-going"]);
    let smallest =
        all["failures"].as_array().unwrap().iter().filter_map(|f| f["seed"].as_u64()).min();
    assert_eq!(one["failures"][0]["seed"].as_u64(), smallest);
}

#[test]
fn keep_going_reports_every_failure_and_one_trace_per_distinct_failure() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("traces");
    // This bug breaks two properties (log matching and state machine safety) within a few
    // seeds of this scenario, and most of its seeds fail.
    let args = [
        "--scenario",
        "figure8",
        "--bug",
        "unpersisted-truncation",
        "--seeds",
        "10",
        "--keep-going",
    ];
    let (code, summary, _) = fuzz_json(&out, &args);
    assert_eq!(code, 1, "{summary}");
    assert_eq!(summary["seeds"], 10, "--keep-going runs every seed");
    let failures = summary["failures"].as_array().unwrap();
    assert!(failures.len() > 2, "several failures: {summary}");
    assert_eq!(summary["violations"], failures.len());
    let with_trace: BTreeSet<String> = failures
        .iter()
        .filter_map(|failure| failure["trace"].as_str().map(str::to_owned))
        .collect();
    let written: BTreeSet<String> =
        files_in(&out).iter().map(|path| arg(path).to_owned()).collect();
    assert_eq!(with_trace, written, "each reported trace is written, and only those");
    assert_eq!(summary["distinct_failures"], written.len());
    let properties: BTreeSet<&str> =
        failures.iter().map(|failure| failure["property"].as_str().unwrap()).collect();
    assert!(written.len() >= properties.len() && written.len() >= 2, "{summary}");
    assert!(written.len() < failures.len(), "repeated failures share a trace: {summary}");
    for trace in &written {
        assert_code(&run(&["replay", "--check", trace]), 0);
    }
}

/// The test cases of a JUnit report, as (name, passed).
fn junit_cases(path: &Path) -> Vec<(String, bool)> {
    let xml = std::fs::read_to_string(path).expect("a JUnit report");
    let report = quick_junit::Report::deserialize_from_str(&xml)
        .unwrap_or_else(|error| panic!("invalid JUnit XML ({error}):\n{xml}"));
    report
        .test_suites
        .iter()
        .flat_map(|suite| &suite.test_cases)
        .map(|case| {
            let passed = matches!(case.status, quick_junit::TestCaseStatus::Success { .. });
            (case.name.to_string(), passed)
        })
        .collect()
}

#[test]
fn junit_reports_the_campaign_and_each_failing_seed() {
    let dir = TempDir::new().unwrap();
    let passing = dir.path().join("passing.xml");
    let (code, _, _) =
        fuzz_json(dir.path(), &["--scenario", "calm", "--seeds", "3", "--junit", arg(&passing)]);
    assert_eq!(code, 0);
    assert_eq!(junit_cases(&passing), [("campaign".to_owned(), true)]);

    let failing = dir.path().join("reports/failing.xml");
    let (code, summary, _, _) =
        bug_campaign(&dir.path().join("traces"), &["--junit", arg(&failing)]);
    assert_eq!(code, 1);
    let seed = &summary["failures"][0]["seed"];
    let cases = junit_cases(&failing);
    assert!(cases.contains(&("campaign".to_owned(), false)), "{cases:?}");
    assert!(cases.contains(&(format!("seed {seed}"), false)), "{cases:?}");
}

#[test]
fn without_a_terminal_output_is_plain_lines() {
    let dir = TempDir::new().unwrap();
    let args = ["fuzz", "--scenario", "calm", "--seeds", "5", "--out", arg(dir.path())];
    let output = run(&args);
    assert_code(&output, 0);
    let (out, err) = (stdout(&output), stderr(&output));
    for text in [&out, &err] {
        assert!(!text.contains('\u{1b}'), "escape codes without a terminal: {text:?}");
        assert!(!text.contains('\r'), "carriage returns without a terminal: {text:?}");
    }
    assert!(out.lines().any(|line| line.starts_with("digest 0x")), "{out}");
    let bug = fuzz_bug(&["--out", arg(dir.path())]);
    assert_code(&bug, 1);
    assert!(!stderr(&bug).contains('\u{1b}') && !stdout(&bug).contains('\u{1b}'));
}

#[test]
fn sigterm_stops_a_campaign_cleanly_with_its_summary_and_exit_130() {
    let dir = TempDir::new().unwrap();
    let output = terminated_campaign(&[
        "fuzz",
        "--scenario",
        "calm",
        "--duration",
        "30",
        "--jobs",
        "1",
        "--json",
        "--out",
        arg(dir.path()),
    ]);
    assert_eq!(output.status.code(), Some(130));
    let summary: Value = serde_json::from_slice(&output.stdout).expect("a JSON summary");
    assert_eq!(summary["interrupted"], true);
    assert!(summary["seeds"].is_u64(), "{summary}");
}

#[test]
fn a_range_reaching_the_last_seed_runs_it_or_is_refused() {
    let dir = TempDir::new().unwrap();
    let args = ["--scenario", "calm", "--start", "0xFFFFFFFFFFFFFFFF", "--seeds", "1"];
    let output = run(&[&["fuzz", "--json", "--out", arg(dir.path())][..], &args].concat());
    match output.status.code() {
        Some(2) => assert!(stderr(&output).contains("--seeds")),
        _ => assert_eq!(json(&output)["seeds"], 1, "the one seed asked for must run"),
    }
}

#[test]
fn the_readme_walkthrough_catches_commit_prior_term_with_the_default_campaign() {
    let dir = TempDir::new().unwrap();
    let output = run(&["fuzz", "--bug", BUG, "--json", "--out", arg(dir.path())]);
    assert_code(&output, 1);
    assert_eq!(files_in(dir.path()).len(), 1);
}
