//! Bad input (issue 4, "Bad input"): every malformed trace, scenario or argument is refused with
//! exit code 2 and one clear `error:` line naming the file, line or field at fault; never a
//! panic, nothing on stdout, and nothing written (no trace, no JUnit report, no directory).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{arg, calm_trace, raftsim, shipped_scenario, stderr, stdout, tree};
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
    let mut scenario: Value = serde_json::from_str(&shipped_scenario("flaky-network")).unwrap();
    edit(&mut scenario);
    let path = dir.join(name);
    fs::write(&path, serde_json::to_string_pretty(&scenario).unwrap()).unwrap();
    path
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
    let mut args =
        vec!["fuzz", "--scenario", "calm", "--seeds", "2", "--out", "out", "--junit", "report.xml"];
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
