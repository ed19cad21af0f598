//! `raftsim experiment figure16` (issue 16, item 2): the Raft paper's availability experiment,
//! its table, JSON and SVG, independent of `--jobs`, and its refusals.

mod common;

use std::fs;

use common::{arg, assert_code, json, raftsim, stderr, stdout, tree};
use serde_json::Value;
use tempfile::TempDir;

fn figure16(dir: &TempDir, extra: &[&str]) -> std::process::Output {
    let svg = dir.path().join("figure16.svg");
    let mut args = vec!["experiment", "figure16", "--svg", arg(&svg)];
    args.extend_from_slice(extra);
    raftsim().current_dir(dir.path()).args(&args).output().expect("raftsim runs")
}

fn line<'a>(value: &'a Value, label: &str) -> &'a Value {
    value["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|line| line["line"] == label)
        .unwrap_or_else(|| panic!("no line {label} in {value}"))
}

#[test]
fn measures_each_line_and_draws_it() {
    let dir = TempDir::new().unwrap();
    let output = figure16(&dir, &["--lines", "150-300,12-24", "--trials", "40", "--json"]);
    assert_code(&output, 0);
    let value = json(&output);
    assert_eq!(value["experiment"], "figure16");
    assert_eq!(value["latency_ms"], serde_json::json!([6, 9]));
    for (label, heartbeat_ms, floor_ms, ceiling_ms) in
        [("150-300ms", 75, 60.0, 1_000.0), ("12-24ms", 6, 5.0, 1_000.0)]
    {
        let line = line(&value, label);
        assert_eq!(line["trials"], 40);
        assert_eq!(line["heartbeat_ms"], heartbeat_ms);
        assert_eq!(line["censored"], 0);
        let samples: Vec<u64> =
            serde_json::from_value(line["leaderless_us"].clone()).expect("samples");
        assert_eq!(samples.len(), 40);
        assert!(samples.windows(2).all(|pair| pair[0] <= pair[1]), "sorted");
        // No follower can time out before min - heartbeat after the crash, and these lines
        // elect a leader within a few rounds.
        let (first, last) = (samples[0] as f64 / 1000.0, samples[39] as f64 / 1000.0);
        assert!(first >= floor_ms && last <= ceiling_ms, "{label}: {first} .. {last} ms");
        assert_eq!(line["p50_us"], samples[19]);
    }
    // Shorter timeouts, less time without a leader.
    assert!(
        line(&value, "12-24ms")["p50_us"].as_u64() < line(&value, "150-300ms")["p50_us"].as_u64()
    );
    let svg = fs::read_to_string(dir.path().join("figure16.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains(">150-300ms<") && svg.contains(">12-24ms<"));
}

#[test]
fn prints_a_table_with_censored_trials_beyond_the_cap() {
    let dir = TempDir::new().unwrap();
    let output = figure16(&dir, &["--lines", "150-150", "--trials", "3", "--cap-ms", "2000"]);
    assert_code(&output, 0);
    let text = stdout(&output);
    let row = text.lines().find(|line| line.starts_with("150-150ms")).expect("the line's row");
    // Identical timeouts split every vote: all three trials run past the cap.
    assert!(row.contains(">2000.0") && row.trim_end().ends_with('3'), "{row}");
    assert!(text.contains("one-way latency 6-9 ms"), "{text}");
    assert!(stderr(&output).contains("wrote"));
}

#[test]
fn figures_do_not_depend_on_jobs() {
    let dir = TempDir::new().unwrap();
    let args = ["--lines", "150-175,25-50", "--trials", "30", "--json", "--jobs"];
    let one = json(&figure16(&dir, &[&args[..], &["1"]].concat()));
    let two = json(&figure16(&dir, &[&args[..], &["2"]].concat()));
    assert_eq!(one, two);
}

#[test]
fn a_lower_latency_shortens_split_votes() {
    let dir = TempDir::new().unwrap();
    let measure = |latency: &str| {
        let output = figure16(
            &dir,
            &["--lines", "150-155", "--trials", "60", "--json", "--latency-ms", latency],
        );
        line(&json(&output), "150-155ms")["p50_us"].as_u64().expect("a median")
    };
    // 5 ms of randomness separates candidates only when vote requests travel faster than that.
    assert!(measure("1-2") < measure("6-9"));
}

#[test]
fn a_trial_that_breaks_a_property_stops_the_experiment_and_keeps_its_trace() {
    let dir = TempDir::new().unwrap();
    let output = figure16(&dir, &["--lines", "150-155", "--trials", "200", "--bug", "double-vote"]);
    assert_code(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("figure16 trial FAILED") && text.contains("single-vote"), "{text}");
    let traces: Vec<_> = fs::read_dir(dir.path().join("raftsim-traces"))
        .expect("the trace directory")
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(traces.len(), 1, "{traces:?}");
    let name = traces[0].file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("figure16-150-155-double-vote-seed"), "{name}");
    let replay = raftsim().args(["replay", "--check", arg(&traces[0])]).output().unwrap();
    assert_code(&replay, 0);
}

#[test]
fn bad_arguments_are_refused_with_one_line_and_nothing_written() {
    let dir = TempDir::new().unwrap();
    for (args, mention) in [
        (&["--lines", "300-150"][..], "MIN <= MAX"),
        (&["--lines", "fast"][..], "not a line"),
        (&["--cap-ms", "0"][..], "not a cap"),
        (&["--latency-ms", "9-6"][..], "not a latency range"),
        (&["--scenario", "calm"][..], "not a whole number of its 10 ms ticks"),
        (&["--svg", "."][..], "is a directory"),
    ] {
        let before = tree(dir.path());
        let mut all = vec!["experiment", "figure16"];
        all.extend_from_slice(args);
        let output = raftsim().current_dir(dir.path()).args(&all).output().unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{all:?}: {err}");
        assert!(stdout(&output).is_empty(), "{all:?}");
        assert!(!err.contains("panicked"), "{all:?}: {err}");
        assert!(err.lines().next().unwrap_or_default().contains(mention), "{all:?}: {err}");
        assert_eq!(tree(dir.path()), before, "{all:?} wrote something");
    }
}
