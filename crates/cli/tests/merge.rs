//! `raftsim merge`: shard summaries from separate processes combine into exactly the summary
//! one process writes for the whole range, and shards that do not fit together are refused.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;

use common::{BUG, arg, assert_code, json, raftsim, raftsim_path, run, stderr, stdout};
use serde_json::Value;
use tempfile::TempDir;

/// What differs between one process and several by design: threads, wall time and the list
/// of merged files.
const PER_PROCESS: [&str; 6] =
    ["jobs", "elapsed_s", "seeds_per_s", "events_per_s", "merged", "shard"];

/// Runs `fuzz --json` on every shard of `shards` as separate processes at once, each writing
/// its summary into `dir`; returns the summary files in shard order.
fn run_shards(dir: &Path, shards: u64, fuzz: &[&str]) -> Vec<PathBuf> {
    let children: Vec<(PathBuf, Child)> = (1..=shards)
        .map(|index| {
            let path = dir.join(format!("shard-{index}.json"));
            let file = fs::File::create(&path).unwrap();
            let child = std::process::Command::new(raftsim_path())
                .current_dir(dir)
                .args(["fuzz", "--json", "--jobs", "1", "--out", "traces"])
                .args(["--shard", &format!("{index}/{shards}")])
                .args(fuzz)
                .stdout(file)
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("raftsim starts");
            (path, child)
        })
        .collect();
    children
        .into_iter()
        .map(|(path, mut child)| {
            child.wait().unwrap();
            path
        })
        .collect()
}

/// The summary of one process over the whole range.
fn whole_range(dir: &Path, fuzz: &[&str]) -> Value {
    let mut args = vec!["fuzz", "--json", "--out", "traces"];
    args.extend_from_slice(fuzz);
    json(&raftsim().current_dir(dir).args(args).output().unwrap())
}

fn merge(dir: &Path, files: &[PathBuf], extra: &[&str]) -> std::process::Output {
    let names: Vec<&str> = files.iter().map(|file| arg(file)).collect();
    raftsim().current_dir(dir).arg("merge").args(names).args(extra).output().unwrap()
}

/// Asserts that `merged` is `whole` but for what differs per process.
#[track_caller]
fn assert_same_campaign(merged: &Value, whole: &Value) {
    let (merged, whole) = (merged.as_object().unwrap(), whole.as_object().unwrap());
    for (key, value) in whole {
        if !PER_PROCESS.contains(&key.as_str()) {
            assert_eq!(merged.get(key), Some(value), "`{key}` differs");
        }
    }
    let extra: Vec<&String> =
        merged.keys().filter(|key| !whole.contains_key(*key) && *key != "merged").collect();
    assert!(extra.is_empty(), "only in the merge: {extra:?}");
}

#[test]
fn shards_run_as_separate_processes_merge_into_the_whole_range() {
    let dir = TempDir::new().unwrap();
    let fuzz = ["--seeds", "120", "--start", "7"];
    let mut files = run_shards(dir.path(), 3, &fuzz);
    files.reverse(); // Any order.
    let merged = merge(dir.path(), &files, &["--json", "--junit", "merged.xml"]);
    assert_code(&merged, 0);
    let merged = json(&merged);
    assert_same_campaign(&merged, &whole_range(dir.path(), &fuzz));
    assert_eq!(merged["shard"], "1/1");
    assert_eq!(merged["merged"].as_array().unwrap().len(), 3);
    let junit = fs::read_to_string(dir.path().join("merged.xml")).unwrap();
    assert!(junit.contains("<testcase name=\"campaign\""), "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
}

#[test]
fn failures_found_by_different_shards_are_grouped_as_one_process_groups_them() {
    let dir = TempDir::new().unwrap();
    let fuzz = ["--seeds", "40", "--bug", BUG, "--keep-going"];
    let files = run_shards(dir.path(), 2, &fuzz);
    for file in &files {
        let shard: Value = serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap();
        assert!(shard["violations"].as_u64().unwrap() > 0, "each shard should fail: {shard}");
    }
    let output = merge(dir.path(), &files, &["--json", "--junit", "merged.xml"]);
    assert_code(&output, 1);
    let merged = json(&output);
    let whole = whole_range(dir.path(), &fuzz);
    assert!(whole["violations"].as_u64().unwrap() >= 2, "both shards should fail: {whole}");
    assert_same_campaign(&merged, &whole);
    let first = &merged["failures"][0];
    let trace = first["trace"].as_str().expect("the first failure's trace");
    assert!(dir.path().join(trace).is_file(), "{trace}");
    assert!(first["run"].as_str().unwrap().contains(&format!("--bug {BUG}")), "{first}");
    assert!(stderr(&output).contains("replay: "), "{}", stderr(&output));
    let junit = fs::read_to_string(dir.path().join("merged.xml")).unwrap();
    assert!(junit.contains("run: "), "every failure says how to reproduce it: {junit}");
    let text = merge(dir.path(), &files, &[]);
    assert_code(&text, 1);
    assert!(stdout(&text).contains("FAIL ("), "{}", stdout(&text));
    assert!(stdout(&text).contains("  run: "), "{}", stdout(&text));
}

#[test]
fn shards_that_do_not_fit_together_are_refused_with_one_line() {
    let dir = TempDir::new().unwrap();
    let files = run_shards(dir.path(), 2, &["--seeds", "10"]);
    let calm = dir.path().join("calm");
    fs::create_dir(&calm).unwrap();
    let calm = run_shards(&calm, 2, &["--seeds", "10", "--scenario", "calm"]);
    let whole = dir.path().join("whole");
    fs::create_dir(&whole).unwrap();
    let whole = run_shards(&whole, 1, &["--seeds", "10"]);
    let cases: Vec<(Vec<PathBuf>, &str)> = vec![
        (vec![files[0].clone()], "shard 2/2 missing"),
        (vec![files[0].clone(), files[0].clone()], "given twice"),
        (vec![files[0].clone(), whole[0].clone()], "shards of different splits"),
        (vec![files[0].clone(), calm[1].clone()], "its scenario is calm, not default"),
    ];
    for (files, expected) in cases {
        let output = merge(dir.path(), &files, &[]);
        assert_code(&output, 2);
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: ") && err.contains(expected), "{err}");
    }
    fs::write(dir.path().join("not.json"), "[1, 2]").unwrap();
    let output = run(&["merge", arg(&dir.path().join("not.json"))]);
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("is not the JSON summary of a campaign"),
        "{}",
        stderr(&output)
    );
    let output = run(&["merge", arg(&dir.path().join("missing.json"))]);
    assert_code(&output, 2);
    assert!(stderr(&output).contains("cannot read summary"), "{}", stderr(&output));
    let mut forged: Value = serde_json::from_str(&fs::read_to_string(&files[1]).unwrap()).unwrap();
    forged["violations"] = 14.into();
    let forged_path = dir.path().join("forged.json");
    fs::write(&forged_path, serde_json::to_string(&forged).unwrap()).unwrap();
    let output = merge(dir.path(), &[files[0].clone(), forged_path], &[]);
    assert_code(&output, 2);
    let err = stderr(&output);
    assert!(err.contains("it counts 14 violations but lists 0 failures"), "{err}");
}

/// Counts are read from files: summed past 2^64 - 1 they stay there, never wrap around (a
/// forged pair of summaries once merged into a small count) nor panic.
#[test]
fn counts_summed_past_the_largest_saturate() {
    let dir = TempDir::new().unwrap();
    let files = run_shards(dir.path(), 2, &["--seeds", "4", "--scenario", "calm"]);
    let near = u64::MAX - 1;
    for file in &files {
        let mut summary: Value = serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap();
        summary["events"] = near.into();
        summary["counters"]["commits"] = near.into();
        summary["coverage"]["split_vote"] = near.into();
        summary["efficiency"]["frames"] = near.into();
        summary["availability"]["leaderless"]["counts"][0] = near.into();
        fs::write(file, serde_json::to_string(&summary).unwrap()).unwrap();
    }
    let output = merge(dir.path(), &files, &["--json"]);
    assert_code(&output, 0);
    let merged = json(&output);
    assert_eq!(merged["events"], u64::MAX);
    assert_eq!(merged["counters"]["commits"], u64::MAX);
    assert_eq!(merged["coverage"]["split_vote"], u64::MAX);
    assert_eq!(merged["efficiency"]["frames"], u64::MAX);
    assert_eq!(merged["availability"]["leaderless"]["counts"][0], u64::MAX);
}
