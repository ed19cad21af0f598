//! Bad input (issue 4, "Bad input"; issue 10, "The harness never panics, hangs, ..."): every
//! malformed trace, scenario, argument or output path is refused with exit code 2 and one clear
//! `error:` line naming the file, line, field or option at fault; never a panic, nothing on
//! stdout, and nothing written (no trace, no JUnit report, no directory). Endless or huge
//! inputs (`/dev/zero`, a 50 MB line) are refused within their size limits, quickly.

#![allow(
    clippy::disallowed_methods,
    reason = "endless inputs must be refused within a wall-time bound"
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{arg, calm_trace, edited_scenario, raftsim, shipped_scenario, stderr, stdout, tree};
use serde_json::Value;
use tempfile::TempDir;

/// Runs `args` in `dir` and asserts the refusal: exit 2, a first stderr line `error: ...`
/// holding every string of `mentions`, no other error line, no panic, empty stdout, and `dir`
/// unchanged. Returns all of stderr.
#[track_caller]
fn assert_refused(dir: &Path, args: &[&str], mentions: &[&str]) -> String {
    let before = tree(dir);
    let output = raftsim().current_dir(dir).args(args).output().expect("raftsim runs");
    let (out, err) = (stdout(&output), stderr(&output));
    let shown = format!("raftsim {}\nstdout:\n{out}\nstderr:\n{err}", args.join(" "));
    assert_eq!(output.status.code(), Some(2), "exit code of {shown}");
    assert!(!err.contains("panicked"), "a panic in {shown}");
    assert!(out.is_empty(), "stdout must stay empty on bad input: {shown}");
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "the first stderr line must be the error: {shown}");
    assert_eq!(err.lines().filter(|line| line.starts_with("error")).count(), 1, "{shown}");
    for mention in mentions {
        assert!(first.contains(mention), "the error line should mention `{mention}`: {shown}");
    }
    assert_eq!(tree(dir), before, "bad input must write nothing: {shown}");
    err
}

/// Asserts that `replay` refuses `trace` the same way with and without its options.
#[track_caller]
fn assert_trace_refused(dir: &Path, trace: &Path, mentions: &[&str]) {
    let name = trace.file_name().and_then(|name| name.to_str()).expect("a file name");
    let mut mentions = mentions.to_vec();
    mentions.push(name);
    for options in [&[][..], &["--check"], &["--json", "--timeline"]] {
        let mut args = vec!["replay"];
        args.extend_from_slice(options);
        args.push(arg(trace));
        assert_refused(dir, &args, &mentions);
    }
}

/// A temporary directory holding a valid trace of seed 3 of `calm`, and its lines.
fn with_trace() -> (TempDir, Vec<String>) {
    let dir = TempDir::new().expect("a temporary directory");
    let trace = calm_trace(dir.path(), 3, "good.jsonl");
    let lines = fs::read_to_string(&trace).expect("the trace").lines().map(str::to_owned).collect();
    fs::remove_file(trace).expect("removed");
    (dir, lines)
}

fn write_lines(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, lines.join("\n") + "\n").expect("written");
    path
}

/// `line` as JSON, edited by `edit`, back as one line.
fn edit_json(line: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(line).expect("a JSON line");
    edit(&mut value);
    serde_json::to_string(&value).expect("serializes")
}

#[test]
fn a_missing_trace_file_is_refused() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("missing.jsonl");
    assert_trace_refused(dir.path(), &missing, &["cannot read trace file"]);
}

#[test]
fn an_empty_trace_is_refused() {
    let dir = TempDir::new().unwrap();
    let empty = dir.path().join("empty.jsonl");
    fs::write(&empty, "").unwrap();
    assert_trace_refused(dir.path(), &empty, &["empty"]);
}

#[test]
fn a_trace_without_its_outcome_line_is_refused_as_truncated() {
    let (dir, lines) = with_trace();
    let kept = lines.len() - 1;
    let truncated = write_lines(dir.path(), "truncated.jsonl", &lines[..kept]);
    assert_trace_refused(
        dir.path(),
        &truncated,
        &["truncated", &format!("line {kept}"), "outcome"],
    );
}

#[test]
fn a_trace_that_is_not_json_is_refused_naming_line_1() {
    let dir = TempDir::new().unwrap();
    let text = dir.path().join("text.jsonl");
    fs::write(&text, "this is not a trace\n").unwrap();
    assert_trace_refused(dir.path(), &text, &["line 1", "not valid JSON"]);
    let binary = dir.path().join("binary.jsonl");
    fs::write(&binary, [0xff, 0xfe, 0x00, 0x80]).unwrap();
    assert_trace_refused(dir.path(), &binary, &["UTF-8"]);
}

#[test]
fn a_trace_of_another_format_is_refused() {
    let (dir, mut lines) = with_trace();
    lines[0] = edit_json(&lines[0], |header| header["format"] = "other-trace".into());
    let other = write_lines(dir.path(), "other.jsonl", &lines);
    assert_trace_refused(dir.path(), &other, &["line 1", "not a raftsim trace", "other-trace"]);
}

#[test]
fn a_trace_of_another_version_is_refused() {
    let (dir, mut lines) = with_trace();
    lines[0] = edit_json(&lines[0], |header| header["version"] = 9.into());
    let newer = write_lines(dir.path(), "newer.jsonl", &lines);
    assert_trace_refused(dir.path(), &newer, &["line 1", "version 9", "not supported"]);
}

#[test]
fn a_trace_whose_outcome_disagrees_with_its_header_is_refused() {
    let (dir, mut lines) = with_trace();
    let last = lines.len() - 1;
    lines[last] = edit_json(&lines[last], |line| line["outcome"]["seed"] = 4.into());
    let other_seed = write_lines(dir.path(), "other-seed.jsonl", &lines);
    let line = format!("line {}", last + 1);
    assert_trace_refused(dir.path(), &other_seed, &[&line, "seed 4", "seed 3"]);
}

#[test]
fn a_trace_missing_an_event_line_is_refused_naming_the_line() {
    let (dir, lines) = with_trace();
    // Lines 1 and 2 are the header and the schedule: line 10 holds step 8.
    let mut gap = lines.clone();
    gap.remove(9);
    let gap = write_lines(dir.path(), "gap.jsonl", &gap);
    assert_trace_refused(dir.path(), &gap, &["line 10", "step 9", "step 7"]);
    // Without its last event, the outcome's event count is wrong.
    let mut short = lines.clone();
    short.remove(lines.len() - 2);
    let short = write_lines(dir.path(), "short.jsonl", &short);
    let line = format!("line {}", lines.len() - 1);
    assert_trace_refused(dir.path(), &short, &[&line, "events"]);
}

#[test]
fn a_trace_with_content_after_its_outcome_line_is_refused() {
    let (dir, mut lines) = with_trace();
    lines.push("garbage".to_owned());
    let trailing = write_lines(dir.path(), "trailing.jsonl", &lines);
    assert_trace_refused(dir.path(), &trailing, &[&format!("line {}", lines.len())]);
}

/// A scenario file in `dir`: the shipped `flaky-network` scenario edited by `edit`.
fn scenario_file(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    edited_scenario(dir, "flaky-network", name, edit)
}

/// Asserts that `run --trace` and `fuzz --out --junit --json` both refuse `scenario` (a name or
/// a path) and write nothing.
#[track_caller]
fn assert_scenario_refused(dir: &Path, scenario: &str, mentions: &[&str]) {
    let run = ["run", "--seed", "1", "--scenario", scenario, "--trace", "run.jsonl", "--json"];
    assert_refused(dir, &run, mentions);
    let fuzz = [
        "fuzz",
        "--scenario",
        scenario,
        "--seeds",
        "2",
        "--jobs",
        "1",
        "--out",
        "out",
        "--junit",
        "report.xml",
        "--json",
    ];
    assert_refused(dir, &fuzz, mentions);
}

#[test]
fn an_unknown_scenario_name_is_refused() {
    let dir = TempDir::new().unwrap();
    assert_scenario_refused(
        dir.path(),
        "no-such-scenario",
        &["no-such-scenario", "raftsim scenarios"],
    );
}

#[test]
fn a_missing_scenario_file_is_refused() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("missing.json");
    assert_scenario_refused(
        dir.path(),
        arg(&missing),
        &["cannot read scenario file", "missing.json"],
    );
}

#[test]
fn a_scenario_file_with_an_unknown_field_is_refused_naming_the_field_and_line() {
    let dir = TempDir::new().unwrap();
    let text = shipped_scenario("calm").replacen('{', "{\n  \"bogus\": 1,", 1);
    let path = dir.path().join("unknown-field.json");
    fs::write(&path, text).unwrap();
    let mentions = ["unknown-field.json", "line 2", "unknown field `bogus`"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
}

#[test]
fn a_scenario_with_no_nodes_or_too_many_is_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    for nodes in [0, 100] {
        let name = format!("nodes-{nodes}.json");
        let path = scenario_file(dir.path(), &name, |scenario| scenario["nodes"] = nodes.into());
        let value = nodes.to_string();
        assert_scenario_refused(dir.path(), arg(&path), &[&name, "`nodes`", &value]);
    }
}

#[test]
fn a_negative_rate_is_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    let path = scenario_file(dir.path(), "negative.json", |scenario| {
        scenario["faults"]["loss"]["rate"] = serde_json::json!([-0.1, 0.3]);
    });
    let mentions = ["negative.json", "faults.loss.rate", "-0.1", "[0, 1]"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
}

#[test]
fn a_rate_above_one_is_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    let path = scenario_file(dir.path(), "above-one.json", |scenario| {
        scenario["faults"]["duplication"]["rate"] = serde_json::json!([0.05, 1.5]);
    });
    let mentions = ["above-one.json", "faults.duplication.rate", "1.5", "[0, 1]"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
}

#[test]
fn a_range_whose_min_exceeds_its_max_is_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    let path = scenario_file(dir.path(), "inverted.json", |scenario| {
        scenario["network"]["latency_ms"] = serde_json::json!([30, 1]);
    });
    let mentions = ["inverted.json", "network.latency_ms", "min 30 exceeds max 1"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
}

/// `fuzz` on `calm` with its outputs in the current directory, plus `extra`.
fn fuzz_with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--seeds", "2"];
    args.extend_from_slice(extra);
    fuzz_seeds_with(&args)
}

/// [`fuzz_with`] without `--seeds`: `extra` says how many.
fn fuzz_seeds_with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["fuzz", "--scenario", "calm", "--out", "out", "--junit", "report.xml"];
    args.extend_from_slice(extra);
    args
}

#[test]
fn a_shard_outside_its_count_or_not_k_of_n_is_refused() {
    let dir = TempDir::new().unwrap();
    for shard in ["0/2", "3/2", "x", "1/0"] {
        assert_refused(dir.path(), &fuzz_with(&["--shard", shard]), &["--shard", shard, "K/N"]);
    }
}

#[test]
fn a_seed_that_is_not_a_number_is_refused() {
    let dir = TempDir::new().unwrap();
    assert_refused(
        dir.path(),
        &fuzz_with(&["--start", "0xZZ"]),
        &["--start", "0xZZ", "not a seed"],
    );
    let run = ["run", "--seed", "0xZZ", "--scenario", "calm", "--trace", "run.jsonl"];
    assert_refused(dir.path(), &run, &["--seed", "0xZZ", "not a seed"]);
    let run = ["run", "--seed", "-1", "--scenario", "calm", "--trace", "run.jsonl"];
    assert_refused(dir.path(), &run, &["-1"]);
}

#[test]
fn run_without_a_seed_is_refused() {
    let dir = TempDir::new().unwrap();
    let run = ["run", "--scenario", "calm", "--trace", "run.jsonl"];
    // clap names the missing argument on the line after `error: ...not provided:`.
    let stderr = assert_refused(dir.path(), &run, &["required arguments were not provided"]);
    assert!(stderr.contains("--seed <SEED>"), "{stderr}");
}

#[test]
fn zero_jobs_are_refused() {
    let dir = TempDir::new().unwrap();
    assert_refused(dir.path(), &fuzz_with(&["--jobs", "0"]), &["--jobs", "at least 1"]);
}

#[test]
fn an_unknown_bug_is_refused() {
    let dir = TempDir::new().unwrap();
    let mentions = ["--bug", "no-such-bug", "raftsim bugs"];
    assert_refused(dir.path(), &fuzz_with(&["--bug", "no-such-bug"]), &mentions);
    let run = ["run", "--seed", "1", "--bug", "no-such-bug", "--trace", "run.jsonl"];
    assert_refused(dir.path(), &run, &mentions);
}

#[test]
fn a_duration_that_is_not_positive_is_refused() {
    let dir = TempDir::new().unwrap();
    for duration in ["--duration=-1", "--duration=0", "--duration=nan"] {
        assert_refused(dir.path(), &fuzz_with(&[duration]), &["--duration", "positive"]);
    }
    assert_refused(dir.path(), &fuzz_with(&["--duration", "soon"]), &["--duration", "soon"]);
}

#[test]
fn a_negative_duration_written_with_a_space_is_refused_naming_the_option() {
    let dir = TempDir::new().unwrap();
    assert_refused(dir.path(), &fuzz_with(&["--duration", "-1"]), &["--duration", "-1"]);
}

// Arguments.

#[test]
fn zero_seeds_are_refused_by_every_command_that_counts_them() {
    let dir = TempDir::new().unwrap();
    let at_least_one = "a campaign needs at least one seed";
    assert_refused(dir.path(), &fuzz_seeds_with(&["--seeds", "0"]), &["--seeds", at_least_one]);
    assert_refused(dir.path(), &["hunt", "--max-seeds", "0"], &["--max-seeds", at_least_one]);
    let bench = ["bench", "--campaign-seeds", "0"];
    assert_refused(dir.path(), &bench, &["--campaign-seeds", at_least_one]);
}

#[test]
fn a_seed_count_past_the_largest_seed_is_refused() {
    let dir = TempDir::new().unwrap();
    let start = u64::MAX.to_string();
    let args = fuzz_seeds_with(&["--start", &start, "--seeds", "2"]);
    assert_refused(dir.path(), &args, &["--start", &start, "--seeds 2", "2^64 - 1"]);
    let too_many = "18446744073709551616";
    assert_refused(dir.path(), &fuzz_seeds_with(&["--seeds", too_many]), &["--seeds", too_many]);
}

#[test]
fn a_shard_that_holds_no_seed_of_the_range_is_refused() {
    let dir = TempDir::new().unwrap();
    let args = fuzz_seeds_with(&["--seeds", "1", "--shard", "2/2"]);
    assert_refused(dir.path(), &args, &["--shard 2/2", "1 seed", "--start 0"]);
    // Timed, from the last seed there is (odd, so the second shard's): the first holds none.
    let last = u64::MAX.to_string();
    let args = fuzz_seeds_with(&["--duration", "1", "--start", &last, "--shard", "1/2"]);
    assert_refused(dir.path(), &args, &["--shard 1/2", &format!("--start {last}")]);
}

/// A huge `--jobs` once spent minutes starting threads, deaf to Ctrl-C and SIGTERM.
#[test]
fn more_jobs_than_threads_can_be_had_are_refused() {
    let dir = TempDir::new().unwrap();
    let huge = u64::MAX.to_string();
    for jobs in ["1025", huge.as_str()] {
        assert_refused(dir.path(), &fuzz_with(&["--jobs", jobs]), &["--jobs", jobs, "1024"]);
        let hunt = ["hunt", "--bug", "double-vote", "--max-seeds", "3", "--jobs", jobs];
        assert_refused(dir.path(), &hunt, &["--jobs", jobs, "1024"]);
    }
}

#[test]
fn bench_refuses_cluster_sizes_it_cannot_measure() {
    let dir = TempDir::new().unwrap();
    let bench = |nodes| ["bench", "--reference", "--nodes", nodes, "--repeat", "1"];
    assert_refused(dir.path(), &bench("0"), &["--nodes", "at least 1"]);
    assert_refused(dir.path(), &bench("100"), &["--nodes", "100", "1 to 9"]);
    // A single node sends no frames: a workload that counts deliveries would never end.
    assert_refused(dir.path(), &bench("1"), &["--nodes", "delivers no frames", "2 to 9"]);
}

#[test]
fn bench_refuses_zero_deliveries_and_repetitions_naming_the_option() {
    let dir = TempDir::new().unwrap();
    let deliveries = ["bench", "--reference", "--deliveries", "0"];
    let stderr = assert_refused(dir.path(), &deliveries, &["--deliveries", "at least 1"]);
    assert!(!stderr.contains("seed"), "deliveries are not seeds: {stderr}");
    assert_refused(dir.path(), &["bench", "--repeat", "0"], &["--repeat", "at least 1"]);
}

#[test]
fn zero_jobs_are_refused_by_hunt_and_shrink_too() {
    let dir = TempDir::new().unwrap();
    assert_refused(dir.path(), &["hunt", "--jobs", "0"], &["--jobs", "at least 1"]);
    assert_refused(dir.path(), &["shrink", "t.jsonl", "--jobs", "0"], &["--jobs", "at least 1"]);
}

#[test]
fn budgets_of_wall_time_that_are_not_positive_or_overflow_are_refused() {
    let dir = TempDir::new().unwrap();
    assert_refused(dir.path(), &["hunt", "--shrink-budget", "0"], &["--shrink-budget", "positive"]);
    let shrink = ["shrink", "trace.jsonl", "--budget", "0"];
    assert_refused(dir.path(), &shrink, &["--budget", "positive"]);
    // More seconds than a Duration holds: once a panic in the command line itself.
    for huge in [&["fuzz", "--duration", "1e300"][..], &["shrink", "t.jsonl", "--budget", "1e300"]]
    {
        assert_refused(dir.path(), huge, &["1e300", "more than 1000000000 seconds"]);
    }
}

#[test]
fn an_unknown_subcommand_or_option_is_refused() {
    let dir = TempDir::new().unwrap();
    assert_refused(dir.path(), &["frobnicate"], &["unrecognized subcommand", "frobnicate"]);
    assert_refused(dir.path(), &["scenarios", "--jobs", "1"], &["unexpected argument", "--jobs"]);
}

#[test]
fn an_option_given_twice_is_refused_naming_it() {
    let dir = TempDir::new().unwrap();
    let twice = fuzz_with(&["--json", "--json"]);
    assert_refused(dir.path(), &twice, &["--json", "cannot be used multiple times"]);
    let args = ["fuzz", "--scenario", "calm", "--scenario", "default", "--out", "out"];
    assert_refused(dir.path(), &args, &["--scenario", "cannot be used multiple times"]);
}

#[test]
fn replay_and_shrink_without_a_trace_are_refused() {
    let dir = TempDir::new().unwrap();
    for command in ["replay", "shrink"] {
        let stderr = assert_refused(dir.path(), &[command], &["required arguments"]);
        assert!(stderr.contains("<TRACE>"), "{stderr}");
    }
}

#[test]
fn an_unknown_raft_or_a_bug_it_cannot_take_is_refused() {
    let dir = TempDir::new().unwrap();
    let mentions = ["unknown Raft `etcd`", "raftsim, raft-rs"];
    assert_refused(dir.path(), &fuzz_with(&["--raft", "etcd"]), &mentions);
    let args = fuzz_with(&["--raft", "raft-rs", "--bug", "double-vote"]);
    assert_refused(dir.path(), &args, &["--raft raft-rs", "--bug", "only in raftsim's Raft"]);
}

// Output paths: refused before any work.

#[test]
fn an_out_directory_that_is_a_file_is_refused_before_the_campaign() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("taken"), "a file").unwrap();
    let fuzz = ["fuzz", "--scenario", "calm", "--seeds", "100000", "--out", "taken"];
    assert_refused(dir.path(), &fuzz, &["--out", "taken", "not a directory"]);
    let hunt = ["hunt", "--bug", "double-vote", "--out", "taken"];
    assert_refused(dir.path(), &hunt, &["--out", "taken", "not a directory"]);
}

#[test]
fn an_output_file_that_is_a_directory_is_refused_before_the_work() {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("taken")).unwrap();
    let junit = ["fuzz", "--scenario", "calm", "--seeds", "2", "--out", "out", "--junit", "taken"];
    assert_refused(dir.path(), &junit, &["--junit", "taken", "is a directory"]);
    let run = ["run", "--seed", "1", "--scenario", "calm", "--trace", "taken"];
    assert_refused(dir.path(), &run, &["--trace", "taken", "is a directory"]);
    // A name that ends in a slash is a directory's, though none exists yet: it was refused
    // only once the run was over, about a temporary file.
    let run = ["run", "--seed", "1", "--scenario", "calm", "--trace", "new/"];
    assert_refused(dir.path(), &run, &["--trace", "new/", "names a directory"]);
    let trace = calm_trace(dir.path(), 1, "good.jsonl");
    fs::remove_file(&trace).unwrap();
    let failing = common::failing_trace(dir.path());
    let shrink = ["shrink", arg(&failing), "--output", "taken"];
    assert_refused(dir.path(), &shrink, &["--output", "taken", "is a directory"]);
    let html = ["replay", arg(&failing), "--html", "taken"];
    assert_refused(dir.path(), &html, &["--html", "taken", "is a directory"]);
    let report =
        ["fuzz", "--scenario", "calm", "--seeds", "2", "--out", "out", "--report", "taken"];
    assert_refused(dir.path(), &report, &["--report", "taken", "is a directory"]);
    let merge = ["merge", "shard-1.json", "--report", "taken"];
    assert_refused(dir.path(), &merge, &["--report", "taken", "is a directory"]);
}

#[test]
fn an_output_file_under_a_file_is_refused_before_the_work() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("file"), "a file").unwrap();
    let run = ["run", "--seed", "1", "--scenario", "calm", "--trace", "file/run.jsonl"];
    assert_refused(dir.path(), &run, &["--trace", "file", "not a directory"]);
}

// Scenario files.

#[test]
fn a_scenario_with_ten_nodes_or_none_given_is_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    let ten = scenario_file(dir.path(), "ten.json", |scenario| scenario["nodes"] = 10.into());
    assert_scenario_refused(dir.path(), arg(&ten), &["ten.json", "`nodes`", "10", "[1, 9]"]);
    let missing = scenario_file(dir.path(), "no-nodes.json", |scenario| {
        scenario.as_object_mut().unwrap().remove("nodes");
    });
    let mentions = ["no-nodes.json", "line", "missing field `nodes`"];
    assert_scenario_refused(dir.path(), arg(&missing), &mentions);
}

#[test]
fn a_liveness_bound_no_seed_could_meet_is_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    let path = scenario_file(dir.path(), "bound.json", |scenario| {
        scenario["liveness_bound_ms"] = 1.into();
    });
    let mentions = ["bound.json", "`liveness_bound_ms`", "1 ms", "network.latency_ms"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
}

#[test]
fn latencies_no_election_could_outlast_are_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    let path = scenario_file(dir.path(), "slow.json", |scenario| {
        scenario["network"]["latency_ms"] = serde_json::json!([500, 600]);
    });
    let mentions = ["slow.json", "`network.latency_ms`", "election timeout"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
    let path = scenario_file(dir.path(), "slower.json", |scenario| {
        scenario["network"]["latency_ms"] = serde_json::json!([0, 100000]);
    });
    let mentions = ["slower.json", "`network.latency_ms`", "100000 is outside [0, 60000]"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
}

#[test]
fn a_budget_of_nothing_or_more_than_a_process_holds_is_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    for (field, value) in [
        ("events_max", 0_u64),
        ("events_max", 1 << 50),
        ("bytes_in_flight_max", 0),
        ("disk_bytes_max", 1 << 40),
    ] {
        let name = format!("budget-{field}-{value}.json");
        let path = scenario_file(dir.path(), &name, |scenario| {
            scenario["budget"] = serde_json::json!({ field: value });
        });
        let field = format!("`budget.{field}`");
        let value = format!("{value} is outside");
        assert_scenario_refused(dir.path(), arg(&path), &[&name, &field, &value]);
    }
}

#[test]
fn an_unknown_budget_field_is_refused_naming_it() {
    let dir = TempDir::new().unwrap();
    let path = scenario_file(dir.path(), "budget-typo.json", |scenario| {
        scenario["budget"] = serde_json::json!({ "event_max": 1000 });
    });
    let mentions = ["budget-typo.json", "unknown field `event_max`", "events_max"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
}

#[test]
fn a_burst_larger_than_the_harness_holds_is_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    let path = edited_scenario(dir.path(), "overload", "burst.json", |scenario| {
        scenario["faults"]["overload"]["burst_requests"] = serde_json::json!([1, 100_001]);
    });
    let mentions = ["burst.json", "`faults.overload.burst_requests`", "100001"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
}

#[test]
fn a_fault_without_targets_or_an_unknown_shape_is_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    let path = edited_scenario(dir.path(), "overload", "no-targets.json", |scenario| {
        scenario["faults"]["overload"]["targets"] = serde_json::json!([]);
    });
    let mentions = ["no-targets.json", "`faults.overload.targets`", "at least one"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
    let path = edited_scenario(dir.path(), "partitions", "triangle.json", |scenario| {
        scenario["faults"]["partitions"]["shapes"] = serde_json::json!(["triangle"]);
    });
    let mentions = ["triangle.json", "line", "unknown variant `triangle`", "split"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
}

#[test]
fn disk_fault_parameters_out_of_range_are_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    let cases: [(&str, &str, Value, &str); 4] = [
        ("torn.json", "torn_write_probability", serde_json::json!(2.0), "2 is outside [0, 1]"),
        ("latency.json", "fsync_latency_us", serde_json::json!([0, 10]), "0 is outside"),
        (
            "rot.json",
            "corruption",
            serde_json::json!({ "count": [1, 2], "duration_ms": [1, 2],
            "records": [1, 99], "targets": ["any"] }),
            "99 is outside [1, 16]",
        ),
        (
            "full.json",
            "full",
            serde_json::json!({ "count": [1, 2], "duration_ms": [1, 2],
            "targets": [] }),
            "at least one",
        ),
    ];
    for (name, field, value, says) in cases {
        let path = edited_scenario(dir.path(), "disk-faults", name, |scenario| {
            scenario["faults"]["disk"][field] = value;
        });
        let field = format!("`faults.disk.{field}");
        assert_scenario_refused(dir.path(), arg(&path), &[name, &field, says]);
    }
}

#[test]
fn a_scenario_with_an_empty_name_is_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    let path = scenario_file(dir.path(), "unnamed.json", |scenario| scenario["name"] = "".into());
    assert_scenario_refused(dir.path(), arg(&path), &["unnamed.json", "`name`", "empty"]);
}

#[test]
fn values_of_the_wrong_type_are_refused_naming_the_line() {
    let dir = TempDir::new().unwrap();
    for (name, value, says) in [
        ("string.json", serde_json::json!("five"), "invalid type: string \"five\", expected u32"),
        ("float.json", serde_json::json!(3.5), "invalid type: floating point `3.5`"),
        ("bool.json", serde_json::json!(true), "invalid type: boolean `true`"),
    ] {
        let path = scenario_file(dir.path(), name, |scenario| scenario["nodes"] = value);
        assert_scenario_refused(dir.path(), arg(&path), &[name, "line", "column", says]);
    }
}

#[test]
fn integers_that_overflow_or_are_negative_are_refused_naming_the_line() {
    let dir = TempDir::new().unwrap();
    let path = scenario_file(dir.path(), "u32.json", |scenario| {
        scenario["nodes"] = (1_u64 << 40).into();
    });
    let mentions = ["u32.json", "line", "integer `1099511627776`", "expected u32"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
    let text = shipped_scenario("calm").replacen(
        "\"fault_window_ms\": 6000",
        "\"fault_window_ms\": 1180591620717411303424",
        1,
    );
    let path = dir.path().join("u64.json");
    fs::write(&path, text).unwrap();
    assert_scenario_refused(dir.path(), arg(&path), &["u64.json", "line 6", "expected u64"]);
    let path = scenario_file(dir.path(), "negative-tick.json", |scenario| {
        scenario["tick_ms"] = (-1).into();
    });
    let mentions = ["negative-tick.json", "line", "integer `-1`", "expected u64"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
}

#[test]
fn a_duplicate_key_is_refused_naming_it_and_its_line() {
    let dir = TempDir::new().unwrap();
    let text =
        shipped_scenario("calm").replacen("\"nodes\": 5,", "\"nodes\": 5,\n  \"nodes\": 3,", 1);
    let path = dir.path().join("duplicate.json");
    fs::write(&path, text).unwrap();
    let mentions = ["duplicate.json", "line 5", "duplicate field `nodes`"];
    assert_scenario_refused(dir.path(), arg(&path), &mentions);
}

#[test]
fn an_empty_scenario_file_or_one_that_is_not_an_object_is_refused() {
    let dir = TempDir::new().unwrap();
    for (name, text, says) in [
        ("empty.json", "", "the file is empty"),
        ("blank.json", "\n  \n", "the file is empty"),
        ("array.json", "[]", "line 1, column 1: a scenario is a JSON object"),
        ("nested-array.json", "\n  [{\"name\": \"x\"}]", "line 2, column 3"),
        ("string.json", "\"calm\"", "not a string"),
        ("null.json", "null", "not null"),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        let stderr = assert_refused(
            dir.path(),
            &["run", "--seed", "1", "--scenario", arg(&path)],
            &[name, says],
        );
        assert!(!stderr.contains("struct Scenario"), "Rust type names in {stderr}");
    }
}

#[test]
fn a_scenario_that_is_not_utf8_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("latin1.json");
    fs::write(&path, b"{\"name\": \"caf\xe9\"}").unwrap();
    assert_scenario_refused(dir.path(), arg(&path), &["latin1.json", "not UTF-8"]);
}

#[test]
fn a_directory_given_as_a_scenario_is_refused() {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("scenario.json")).unwrap();
    let path = dir.path().join("scenario.json");
    assert_scenario_refused(dir.path(), arg(&path), &["scenario.json", "is a directory"]);
}

/// Asserts that `work` takes less than 10 seconds: endless inputs must be cut short.
#[track_caller]
fn quickly(work: impl FnOnce()) {
    let started = Instant::now();
    work();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}: endless input not cut short");
}

#[cfg(unix)]
#[test]
fn endless_devices_given_as_a_scenario_are_refused_at_the_size_limit() {
    let dir = TempDir::new().unwrap();
    for device in ["/dev/zero", "/dev/urandom"] {
        quickly(|| {
            let mentions = [device, "larger than 1048576 bytes"];
            assert_scenario_refused(dir.path(), device, &mentions);
        });
    }
}

// Traces.

#[cfg(unix)]
#[test]
fn endless_devices_given_as_a_trace_are_refused_at_a_limit() {
    let dir = TempDir::new().unwrap();
    quickly(|| {
        let mentions = ["/dev/zero", "line 1", "longer than 16777216 bytes"];
        assert_trace_refused(dir.path(), Path::new("/dev/zero"), &mentions);
        assert_refused(dir.path(), &["shrink", "/dev/zero", "-o", "small.jsonl"], &mentions);
    });
    quickly(|| {
        let mentions = ["/dev/urandom", "not UTF-8"];
        assert_trace_refused(dir.path(), Path::new("/dev/urandom"), &mentions);
    });
}

#[test]
fn a_trace_with_a_50_megabyte_line_is_refused_quickly() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("long-line.jsonl");
    let mut line = vec![b'a'; 50 << 20];
    line.push(b'\n');
    fs::write(&path, line).unwrap();
    quickly(|| {
        assert_trace_refused(dir.path(), &path, &["line 1", "longer than 16777216 bytes"]);
    });
}

#[test]
fn binary_garbage_after_a_valid_header_is_refused_naming_its_line() {
    let (dir, lines) = with_trace();
    let path = dir.path().join("garbage.jsonl");
    let mut bytes = format!("{}\n", lines[0]).into_bytes();
    bytes.extend((0..100_000_u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 0x80));
    fs::write(&path, bytes).unwrap();
    assert_trace_refused(dir.path(), &path, &["line 2", "not UTF-8"]);
}

#[test]
fn a_directory_given_as_a_trace_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("trace.jsonl");
    fs::create_dir(&path).unwrap();
    assert_trace_refused(dir.path(), &path, &["is a directory"]);
}

/// `lines` with line `number` (1-based) replaced by `line`, written as `name` in `dir`.
fn with_line(dir: &Path, name: &str, lines: &[String], number: usize, line: String) -> PathBuf {
    let mut lines = lines.to_vec();
    lines[number - 1] = line;
    write_lines(dir, name, &lines)
}

#[test]
fn a_trace_of_an_unknown_raft_is_refused_naming_the_file_and_line() {
    let (dir, lines) = with_trace();
    let header = edit_json(&lines[0], |header| header["raft"] = "etcd".into());
    let path = with_line(dir.path(), "etcd.jsonl", &lines, 1, header);
    assert_trace_refused(dir.path(), &path, &["line 1", "unknown Raft `etcd`"]);
    assert_refused(dir.path(), &["shrink", arg(&path)], &["etcd.jsonl", "line 1", "etcd"]);
}

#[test]
fn a_trace_header_with_an_unknown_bug_or_bad_options_is_refused_naming_line_1() {
    let (dir, lines) = with_trace();
    let header = edit_json(&lines[0], |header| header["bugs"] = serde_json::json!(["no-such-bug"]));
    let path = with_line(dir.path(), "bug.jsonl", &lines, 1, header);
    assert_trace_refused(dir.path(), &path, &["line 1", "unknown bug `no-such-bug`"]);
    let header = edit_json(&lines[0], |header| header["options"]["nodes"] = 0.into());
    let path = with_line(dir.path(), "nodes.jsonl", &lines, 1, header);
    assert_trace_refused(dir.path(), &path, &["line 1", "`options.nodes`", "0 is outside"]);
}

#[test]
fn a_schedule_with_an_impossible_fault_is_refused_naming_line_2() {
    let (dir, lines) = with_trace();
    let crash =
        r#"{"schedule":[{"start_us":0,"duration_us":10,"kind":{"crash":{"target":{"node":9}}}}]}"#;
    let path = with_line(dir.path(), "crash.jsonl", &lines, 2, crash.to_owned());
    assert_trace_refused(dir.path(), &path, &["line 2", "fault 0", "node 9", "cluster of 5"]);
    let burst =
        r#"{"schedule":[{"start_us":0,"duration_us":10,"kind":{"burst":{"requests":200000}}}]}"#;
    let path = with_line(dir.path(), "burst.jsonl", &lines, 2, burst.to_owned());
    assert_trace_refused(dir.path(), &path, &["line 2", "fault 0", "at most 100000 requests"]);
    // `calm` has no disks to rot: this once panicked the harness, reported as a finding.
    let rot = serde_json::json!({"schedule": [{"start_us": 1_000_000, "duration_us": 100_000,
        "kind": {"disk_corruption": {"target": {"node": 1}, "records": 1}}}]});
    let path = with_line(dir.path(), "rot.jsonl", &lines, 2, rot.to_string());
    let says = ["line 2", "fault 0", "disk-corruption", "`faults.disk`"];
    assert_trace_refused(dir.path(), &path, &says);
}

#[test]
fn a_forged_event_line_is_refused_naming_its_line() {
    let (dir, lines) = with_trace();
    for (name, edit, says) in [
        ("kind.jsonl", r#""event":"teleport""#, "unknown event kind `teleport`"),
        ("type.jsonl", r#""node":"one""#, "invalid type: string \"one\""),
        ("negative.jsonl", r#""t_us":-5"#, "invalid value: integer `-5`"),
        ("duplicate.jsonl", r#""b":0,"b":1"#, "duplicate field `b`"),
    ] {
        let (field, _) = edit.split_once(':').unwrap();
        let line = lines[6].clone();
        let start = line.find(field).expect("the field is in the event line");
        let end = start + line[start..].find([',', '}']).unwrap();
        let forged = format!("{}{edit}{}", &line[..start], &line[end..]);
        let path = with_line(dir.path(), name, &lines, 7, forged);
        assert_trace_refused(dir.path(), &path, &["line 7", says]);
    }
}

#[test]
fn shrinking_a_trace_that_passes_or_is_missing_is_refused() {
    let dir = TempDir::new().unwrap();
    let passing = calm_trace(dir.path(), 2, "passing.jsonl");
    let mentions = ["passing.jsonl", "does not violate any property"];
    assert_refused(dir.path(), &["shrink", arg(&passing)], &mentions);
    let mentions = ["cannot read trace file", "missing.jsonl"];
    assert_refused(dir.path(), &["shrink", "missing.jsonl"], &mentions);
}

#[test]
fn client_routing_and_read_knobs_that_cannot_work_are_refused_naming_the_field() {
    let dir = TempDir::new().unwrap();
    let forwarding = edited_scenario(dir.path(), "kv", "forward-offline.json", |scenario| {
        scenario["workload"]["clients"]["over_network"] = false.into();
    });
    let mentions = ["forward-offline.json", "routing", "over_network"];
    assert_scenario_refused(dir.path(), arg(&forwarding), &mentions);
    let unknown_read = edited_scenario(dir.path(), "kv-reads", "read-mode.json", |scenario| {
        scenario["workload"]["clients"]["kv"]["reads"] = serde_json::json!(["lease", "psychic"]);
    });
    assert_scenario_refused(dir.path(), arg(&unknown_read), &["read-mode.json", "psychic"]);
    let too_often = edited_scenario(dir.path(), "kv", "check-every.json", |scenario| {
        scenario["workload"]["clients"]["kv"]["check_every"] = 2_000_000.into();
    });
    let mentions = ["check-every.json", "kv.check_every", "2000000"];
    assert_scenario_refused(dir.path(), arg(&too_often), &mentions);
}
