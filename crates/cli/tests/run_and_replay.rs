//! `raftsim run`, `replay` and `shrink`: one seed told in full, its trace, a replay that
//! reproduces it bit for bit or names the first step where it diverges, and its shrink.

mod common;

use std::fs;
use std::path::Path;

use common::{
    BUG, BUG_SCENARIO, arg, assert_code, assert_counters, bug_seed, calm_trace, failing_trace,
    files_in, json, last_line, parse_hash, run, stderr, stdout,
};
use serde_json::Value;
use tempfile::TempDir;

/// The `event_hash=0x...` of `run`'s human output.
fn printed_event_hash(out: &str) -> String {
    out.split_whitespace()
        .find_map(|word| word.strip_prefix("event_hash="))
        .unwrap_or_else(|| panic!("no event_hash= in:\n{out}"))
        .to_owned()
}

#[test]
fn run_prints_the_seed_banner_the_result_and_the_event_hash() {
    let output = run(&["run", "--seed", "42"]);
    assert_code(&output, 0);
    let out = stdout(&output);
    let first = out.lines().next().unwrap_or_default();
    assert!(first.starts_with("SEED=42 raft=raftsim scenario=default nodes="), "{out}");
    assert!(out.lines().any(|line| line.starts_with("PASS seed 42")), "{out}");
    let hash = printed_event_hash(&out);
    assert!(hash.starts_with("0x") && hash.len() == 18, "{hash}");
    assert!(out.contains("commits="), "counters are printed: {out}");
}

#[test]
fn run_json_has_the_result_the_event_hash_and_the_counters() {
    let output = run(&["run", "--seed", "42", "--scenario", "calm", "--json"]);
    assert_code(&output, 0);
    let result = json(&output);
    for key in ["seed", "result", "property", "step", "events", "event_hash", "counters"] {
        assert!(result.get(key).is_some(), "`{key}` missing from {result}");
    }
    assert_eq!(result["seed"], 42);
    assert_eq!(result["result"], "pass");
    assert_eq!((&result["property"], &result["step"]), (&Value::Null, &Value::Null));
    assert!(result["events"].as_u64().is_some_and(|events| events > 0));
    parse_hash(&result["event_hash"]);
    assert_counters(&result["counters"]);
}

#[test]
fn run_reports_availability_in_text_and_json() {
    let output = run(&["run", "--seed", "42", "--scenario", "calm", "--json"]);
    assert_code(&output, 0);
    let result = json(&output);
    let figures = &result["availability"];
    let operations = figures["client_latency"]["count"].as_u64().expect("a count");
    assert_eq!(operations, result["counters"]["client_requests"].as_u64().unwrap(), "{figures}");
    assert!(
        figures["client_latency"]["p99_us"].as_u64()
            >= figures["client_latency"]["p50_us"].as_u64()
    );
    assert!(figures["leaderless_episodes"].as_u64() >= Some(1), "the first election: {figures}");
    assert!(figures["commits_per_s"].as_f64().is_some_and(|rate| rate > 0.0), "{figures}");
    let text = stdout(&run(&["run", "--seed", "42", "--scenario", "calm"]));
    let line = text.lines().find(|line| line.starts_with("availability: ")).expect("a line");
    assert!(
        line.contains("no leader for") && line.contains(&format!("{operations} client operations")),
        "{line}"
    );
}

#[test]
fn the_same_seed_gives_the_same_event_hash_in_decimal_or_hex() {
    let hash = |seed: &str| printed_event_hash(&stdout(&run(&["run", "--seed", seed])));
    let first = hash("42");
    assert_eq!(hash("42"), first);
    assert_eq!(hash("0x2a"), first);
    assert_ne!(hash("43"), first, "another seed, another run");
}

#[test]
fn a_failing_run_exits_1_and_prints_the_command_that_replays_it_last() {
    let seed = bug_seed().to_string();
    let args = ["run", "--seed", &seed, "--scenario", BUG_SCENARIO, "--bug", BUG];
    let output = run(&args);
    assert_code(&output, 1);
    let out = stdout(&output);
    assert!(out.lines().any(|line| line.starts_with(&format!("FAIL seed {seed}: "))), "{out}");
    let err = stderr(&output);
    let command = last_line(&err).strip_prefix("replay: ").expect("a replay line");
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[1..], args, "{command}");
    // The binary is named so that the line pastes as it is: not on the test's PATH, by path.
    let binary = std::path::Path::new(words[0]);
    assert!(words[0] == "raftsim" || binary.exists(), "{} cannot be run", words[0]);
    let again = run(&words[1..]);
    assert_code(&again, 1);
    assert_eq!(printed_event_hash(&stdout(&again)), printed_event_hash(&out));

    let result = json(&run(&[&args[..], &["--json"]].concat()));
    assert_eq!(result["result"], "violation");
    assert!(result["property"].is_string() && result["step"].is_u64(), "{result}");
}

#[test]
fn a_trace_written_by_run_replays_bit_exactly() {
    let dir = TempDir::new().unwrap();
    let trace = calm_trace(dir.path(), 42, "calm-42.jsonl");
    assert_eq!(files_in(dir.path()), std::slice::from_ref(&trace), "no temporary file is left");
    let check = run(&["replay", "--check", arg(&trace)]);
    assert_code(&check, 0);
    assert!(stderr(&check).contains("reproduced the trace bit-exactly"), "{}", stderr(&check));
    assert_code(&run(&["replay", arg(&trace)]), 0);
}

#[test]
fn replay_json_agrees_with_run_json() {
    let dir = TempDir::new().unwrap();
    let trace = dir.path().join("nested/dir/failing.jsonl");
    let seed = bug_seed().to_string();
    let args = ["run", "--seed", &seed, "--scenario", BUG_SCENARIO, "--bug", BUG, "--json"];
    let ran = run(&[&args[..], &["--trace", arg(&trace)]].concat());
    assert_code(&ran, 1);
    let ran = json(&ran);
    let replayed = run(&["replay", "--json", arg(&trace)]);
    assert_code(&replayed, 1);
    let replayed = json(&replayed);
    assert_eq!(replayed["reproduced"], true, "{replayed}");
    assert_eq!(replayed["diverged_at"], Value::Null);
    for key in ["seed", "result", "property", "step", "events", "event_hash", "counters"] {
        assert_eq!(replayed[key], ran[key], "{key}");
    }
}

#[test]
fn replay_timeline_shows_node_role_term_commit_and_the_violation() {
    let dir = TempDir::new().unwrap();
    let trace = failing_trace(dir.path());
    let output = run(&["replay", "--timeline", "--context", "12", arg(&trace)]);
    assert_code(&output, 1);
    let out = stdout(&output);
    let events: Vec<&str> = out.lines().filter(|line| line.starts_with('#')).collect();
    assert!(events.len() >= 12, "about --context events: {out}");
    let with_state = events.iter().filter(|line| {
        let has_role = ["leader", "follower", "candidate", "crashed", "paused"]
            .iter()
            .any(|role| line.contains(role));
        line.contains(" t=")
            && line.contains(" n")
            && line.contains("term")
            && line.contains("commit")
            && has_role
    });
    assert!(with_state.count() > 0, "{out}");
    let violation = last_line(&out);
    assert!(violation.starts_with(&format!("seed {}: ", bug_seed())), "{out}");
    assert!(violation.contains(" violated at step "), "{out}");
}

/// `trace` with the `t_us` of event `step` changed, written next to it.
fn tamper(trace: &Path, step: usize) -> std::path::PathBuf {
    let text = fs::read_to_string(trace).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let line = &mut lines[step + 1];
    let mut event: Value = serde_json::from_str(line).unwrap();
    assert_eq!(event["step"], step);
    event["t_us"] = (event["t_us"].as_u64().unwrap() + 1).into();
    *line = serde_json::to_string(&event).unwrap();
    let tampered = trace.with_file_name("tampered.jsonl");
    fs::write(&tampered, lines.join("\n") + "\n").unwrap();
    tampered
}

#[test]
fn a_tampered_event_makes_replay_exit_3_naming_the_diverging_step() {
    let dir = TempDir::new().unwrap();
    let trace = calm_trace(dir.path(), 7, "calm-7.jsonl");
    let tampered = tamper(&trace, 321);
    for options in [&[][..], &["--check"], &["--timeline"]] {
        let output = run(&[&["replay"][..], options, &[arg(&tampered)]].concat());
        assert_code(&output, 3);
        let err = stderr(&output);
        assert!(err.contains("DIVERGED at step 321"), "{err}");
    }
    let output = run(&["replay", "--json", arg(&tampered)]);
    assert_code(&output, 3);
    let replayed = json(&output);
    assert_eq!(replayed["reproduced"], false);
    assert_eq!(replayed["diverged_at"], 321);
}

#[test]
fn a_tampered_outcome_makes_replay_exit_3() {
    let dir = TempDir::new().unwrap();
    let trace = calm_trace(dir.path(), 7, "calm-7.jsonl");
    let text = fs::read_to_string(&trace).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let last = lines.last_mut().unwrap();
    let mut outcome: Value = serde_json::from_str(last).unwrap();
    outcome["outcome"]["event_hash"] = "0x0000000000000001".into();
    *last = serde_json::to_string(&outcome).unwrap();
    fs::write(&trace, lines.join("\n") + "\n").unwrap();
    let output = run(&["replay", "--check", arg(&trace)]);
    assert_code(&output, 3);
    assert!(stderr(&output).contains("DIVERGED in its outcome"), "{}", stderr(&output));
}

#[test]
fn a_raft_rs_run_records_its_raft_and_replays_bit_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("raft-rs.jsonl");
    let trace_arg = trace.to_str().unwrap();
    let ran = run(&["run", "--raft", "raft-rs", "--seed", "3", "--trace", trace_arg, "--json"]);
    assert_code(&ran, 0);
    assert_eq!(json(&ran)["raft"], "raft-rs");
    let header: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&trace).unwrap().lines().next().unwrap())
            .unwrap();
    assert_eq!(header["raft"], "raft-rs");
    let replayed = run(&["replay", "--check", trace_arg]);
    assert_code(&replayed, 0);
    assert!(stderr(&replayed).contains("bit-exactly"), "{}", stderr(&replayed));
}

#[test]
fn bugs_are_refused_for_raft_rs_and_an_unknown_raft_is_named() {
    for command in ["run", "fuzz"] {
        let mut args = vec![command, "--raft", "raft-rs", "--bug", "double-vote"];
        if command == "run" {
            args.extend(["--seed", "1"]);
        }
        let refused = run(&args);
        assert_code(&refused, 2);
        assert!(stderr(&refused).contains("only in raftsim's Raft"), "{}", stderr(&refused));
    }
    let unknown = run(&["run", "--raft", "etcd", "--seed", "1"]);
    assert_code(&unknown, 2);
    assert!(stderr(&unknown).contains("unknown Raft `etcd`"), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("raftsim, raft-rs"), "{}", stderr(&unknown));
}

#[test]
fn shrinking_on_one_thread_or_two_writes_the_same_trace() {
    let dir = TempDir::new().unwrap();
    let trace = failing_trace(dir.path());
    let shrunk = |jobs: &str| {
        let path = dir.path().join(format!("shrunk-{jobs}.jsonl"));
        let output = run(&["shrink", arg(&trace), "-o", arg(&path), "--jobs", jobs]);
        assert_code(&output, 1);
        assert!(stdout(&output).contains("fixed point reached"), "{}", stdout(&output));
        fs::read(&path).unwrap()
    };
    assert_eq!(shrunk("1"), shrunk("2"), "the shrunk trace depends on --jobs");
}
