//! Helpers shared by the command-line integration tests: running the binary, reading its
//! output, and making traces and scenario files in temporary directories.

#![allow(dead_code, reason = "each test file uses a different subset of these helpers")]

pub mod browser;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

/// The `raftsim` binary, ready to take arguments.
pub fn raftsim() -> Command {
    Command::cargo_bin("raftsim").expect("the raftsim binary is built for integration tests")
}

/// Runs `raftsim` with `args` and returns what it did, whatever its exit code.
pub fn run(args: &[&str]) -> Output {
    raftsim().args(args).output().expect("raftsim runs")
}

/// Its exit code (`None` if killed by a signal).
pub fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// Its standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Its standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Its standard output parsed as one JSON value.
pub fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not one JSON value ({error}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// Asserts the exit code, showing the output if it differs.
#[track_caller]
pub fn assert_code(output: &Output, expected: i32) {
    assert_eq!(
        code(output),
        Some(expected),
        "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// The last non-empty line of `text`.
pub fn last_line(text: &str) -> &str {
    text.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("")
}

/// A path as a `&str` argument.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// The files directly in `dir`, sorted; empty if `dir` does not exist.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.map(|entry| entry.expect("a directory entry").path()).collect();
    files.sort();
    files
}

/// Every path under `dir` (files and directories), relative to it, sorted.
pub fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for path in files_in(&current) {
            if path.is_dir() {
                pending.push(path.clone());
            }
            paths.push(path.strip_prefix(dir).expect("under dir").to_path_buf());
        }
    }
    paths.sort();
    paths
}

/// Runs one seed of `calm` with recording on and returns its trace, written as `name` in `dir`.
pub fn calm_trace(dir: &Path, seed: u64, name: &str) -> PathBuf {
    let path = dir.join(name);
    let output =
        run(&["run", "--seed", &seed.to_string(), "--scenario", "calm", "--trace", arg(&path)]);
    assert_code(&output, 0);
    assert!(path.is_file(), "run --trace wrote no trace");
    path
}

/// The injected bug and the scenario of the README's walkthrough: a campaign of
/// [`BUG_SEEDS`] seeds catches it.
pub const BUG: &str = "commit-prior-term";
/// See [`BUG`].
pub const BUG_SCENARIO: &str = "figure8";
/// How many seeds (from 0) a campaign of [`BUG`] on [`BUG_SCENARIO`] runs to catch it.
pub const BUG_SEEDS: &str = "200";

/// Runs the campaign that catches [`BUG`] (`fuzz` on [`BUG_SCENARIO`], [`BUG_SEEDS`] seeds)
/// with `extra` arguments.
pub fn fuzz_bug(extra: &[&str]) -> Output {
    let mut args = vec!["fuzz", "--scenario", BUG_SCENARIO, "--bug", BUG, "--seeds", BUG_SEEDS];
    args.extend_from_slice(extra);
    run(&args)
}

/// The smallest seed below [`BUG_SEEDS`] at which [`BUG`] on [`BUG_SCENARIO`] fails, found by
/// a campaign (once per test binary), so that the tests do not hard-code what the protocol's
/// details decide.
pub fn bug_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let dir = tempfile::TempDir::new().expect("a temporary directory");
        let output = fuzz_bug(&["--json", "--out", arg(dir.path())]);
        assert_code(&output, 1);
        json(&output)["failures"][0]["seed"].as_u64().expect("a failing seed")
    })
}

/// Runs the failing seed of [`BUG`] with recording on and returns its trace in `dir`.
pub fn failing_trace(dir: &Path) -> PathBuf {
    let path = dir.join("failing.jsonl");
    let output = run(&[
        "run",
        "--seed",
        &bug_seed().to_string(),
        "--scenario",
        BUG_SCENARIO,
        "--bug",
        BUG,
        "--trace",
        arg(&path),
    ]);
    assert_code(&output, 1);
    path
}

/// The text of a scenario shipped in the repository's `scenarios/` directory.
pub fn shipped_scenario(name: &str) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(format!("{name}.json"));
    fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// The counters every run reports, as named in the simulator issue.
pub const COUNTERS: &[&str] = &[
    "partitions",
    "pauses",
    "crashes",
    "restarts",
    "overloads",
    "inbox_drops",
    "frames_sent",
    "frames_dropped",
    "frames_duplicated",
    "frames_corrupted",
    "frames_rejected",
    "clock_skews",
    "elections",
    "leader_changes",
    "max_term",
    "commits",
    "truncations",
    "client_retries",
];

/// Asserts that `value` is an object holding every counter as a number.
#[track_caller]
pub fn assert_counters(value: &Value) {
    for name in COUNTERS {
        assert!(value.get(name).is_some_and(Value::is_u64), "counter `{name}` missing in {value}");
    }
}

/// Parses a `0x`-prefixed hash as the CLI prints it.
#[track_caller]
pub fn parse_hash(value: &Value) -> u64 {
    let text = value.as_str().unwrap_or_else(|| panic!("{value} is not a string"));
    let hex = text.strip_prefix("0x").unwrap_or_else(|| panic!("{text} lacks 0x"));
    assert_eq!(hex.len(), 16, "{text} is not 16 hex digits");
    u64::from_str_radix(hex, 16).unwrap_or_else(|error| panic!("{text}: {error}"))
}

/// The path of the `raftsim` binary, for tests that spawn it and signal it.
pub fn raftsim_path() -> PathBuf {
    assert_cmd::cargo::cargo_bin("raftsim")
}

/// A scenario file `name` in `dir`: the shipped scenario `base` edited by `edit`.
pub fn edited_scenario(
    dir: &Path,
    base: &str,
    name: &str,
    edit: impl FnOnce(&mut Value),
) -> PathBuf {
    let mut scenario: Value = serde_json::from_str(&shipped_scenario(base)).expect("JSON");
    edit(&mut scenario);
    let path = dir.join(name);
    fs::write(&path, serde_json::to_string_pretty(&scenario).expect("serializes"))
        .expect("written");
    path
}

/// The lines of `text` that show Rust's `Debug` formatting rather than words: `Some(..)`,
/// `None`, `Ok(..)`, `Err(..)`, or a capitalised name followed by `(` or ` {` (an enum variant
/// or a struct, as in `RequestVote(RequestVote { term: 1, .. })`).
pub fn debug_formatted_lines(text: &str) -> Vec<&str> {
    let debug_like = |line: &str| {
        let words: Vec<&str> =
            line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).collect();
        if words.contains(&"None") {
            return true;
        }
        let bytes = line.as_bytes();
        (0..bytes.len()).any(|start| {
            let at_word_start = start == 0 || !(bytes[start - 1].is_ascii_alphanumeric());
            if !at_word_start || !bytes[start].is_ascii_uppercase() {
                return false;
            }
            let end = (start..bytes.len())
                .find(|&i| !(bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_'))
                .unwrap_or(bytes.len());
            let rest = &line[end..];
            end - start >= 2 && (rest.starts_with('(') || rest.starts_with(" { "))
        })
    };
    text.lines().filter(|line| debug_like(line)).collect()
}

/// Asserts that `text` (some command's output) shows no `Debug` formatting.
#[track_caller]
pub fn assert_no_debug_formatting(what: &str, text: &str) {
    let lines = debug_formatted_lines(text);
    assert!(lines.is_empty(), "{what} shows Debug formatting:\n{}", lines.join("\n"));
}

/// Starts `raftsim ARGS` (a long campaign), waits for the banner line it prints once its signal
/// handler is in place (on standard error with `--json`, else on standard output), sends it
/// SIGTERM, and returns its output: the exit status and whatever it printed after the banner.
pub fn terminated_campaign(args: &[&str]) -> Output {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = std::process::Command::new(raftsim_path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("raftsim starts");
    // The banner's stream stays open until the end (closing it would kill the campaign with
    // SIGPIPE at its next line); the other is collected with the exit status.
    let mut banner: Box<dyn BufRead> = if args.contains(&"--json") {
        Box::new(BufReader::new(child.stderr.take().unwrap()))
    } else {
        Box::new(BufReader::new(child.stdout.take().unwrap()))
    };
    let mut first = String::new();
    banner.read_line(&mut first).unwrap();
    assert!(first.starts_with("raftsim fuzz:"), "{first}");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    drop(banner);
    output
}
