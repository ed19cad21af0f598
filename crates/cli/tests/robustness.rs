//! Robustness (issue 10, "The harness never panics, hangs, blames Raft for its own limits, or
//! loses a result"): what the command line does, short of refusing its input, when the input
//! is odd, the outputs fail, a seed outgrows the harness, or a signal arrives. Exit codes: 0
//! pass, 1 violation, 2 bad input, 3 replay diverged, 4 a seed exceeded a harness limit, 130
//! interrupted.

#![allow(clippy::disallowed_methods, reason = "these tests time exits and hangs in wall time")]

mod common;

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{
    BUG, BUG_SCENARIO, BUG_SEEDS, arg, assert_code, assert_no_debug_formatting, bug_seed,
    calm_trace, code, debug_formatted_lines, edited_scenario, failing_trace, files_in, fuzz_bug,
    json, last_line, raftsim, raftsim_path, run, stderr, stdout,
};
use serde_json::Value;
use tempfile::TempDir;

/// Runs `raftsim` with `args` in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    raftsim().current_dir(dir).args(args).output().expect("raftsim runs")
}

/// Asserts that nothing in `output` is a panic.
#[track_caller]
fn assert_no_panic(output: &Output) {
    let err = stderr(output);
    assert!(!err.contains("panicked"), "a panic:\n{err}");
    assert_ne!(code(output), Some(101), "the exit code of a panic:\n{err}");
}

/// The lines of stderr that are errors.
fn error_lines(output: &Output) -> Vec<String> {
    stderr(output).lines().filter(|line| line.starts_with("error")).map(str::to_owned).collect()
}

/// Asserts that stderr holds exactly one `error:` line, containing every one of `mentions`.
#[track_caller]
fn assert_one_error(output: &Output, mentions: &[&str]) {
    let errors = error_lines(output);
    assert_eq!(errors.len(), 1, "expected one error line:\n{}", stderr(output));
    for mention in mentions {
        assert!(errors[0].contains(mention), "the error should mention `{mention}`: {errors:?}");
    }
}

// Arguments.

#[test]
fn help_for_a_command_is_printed_however_it_is_asked_for() {
    let asked = [&["--help", "fuzz"][..], &["help", "fuzz"], &["fuzz", "--help"], &["-h", "fuzz"]];
    let helps: Vec<String> = asked
        .iter()
        .map(|args| {
            let output = run(args);
            assert_code(&output, 0);
            let help = stdout(&output);
            assert!(help.contains("Usage: raftsim fuzz"), "{args:?}:\n{help}");
            assert!(help.contains("--keep-going"), "{args:?}:\n{help}");
            help
        })
        .collect();
    // `-h` prints the short form; the three long forms are one text.
    assert_eq!(helps[0], helps[1]);
    assert_eq!(helps[0], helps[2]);
}

/// `fuzz` of `calm` with `extra`, its traces in `dir`.
fn fuzz_calm(dir: &Path, extra: &[&str]) -> Output {
    let out = dir.join("out");
    let mut args = vec!["fuzz", "--scenario", "calm", "--out", arg(&out)];
    args.extend_from_slice(extra);
    let output = run(&args);
    assert_no_panic(&output);
    output
}

#[test]
fn summaries_say_1_seed_and_2_seeds() {
    let dir = TempDir::new().unwrap();
    let one = fuzz_calm(dir.path(), &["--seeds", "1", "--jobs", "1"]);
    assert_code(&one, 0);
    let text = stdout(&one);
    assert!(text.contains("seeds 0..1, 1 job\n"), "{text}");
    assert!(text.contains("\n1 seed in "), "{text}");
    assert!(text.contains("; 0 violations\n"), "{text}");
    let two = fuzz_calm(dir.path(), &["--seeds", "2", "--jobs", "2"]);
    let text = stdout(&two);
    assert!(text.contains("seeds 0..2, 2 jobs\n"), "{text}");
    assert!(text.contains("\n2 seeds in "), "{text}");
}

#[test]
fn a_violation_is_counted_in_the_singular() {
    let dir = TempDir::new().unwrap();
    let junit = dir.path().join("report.xml");
    let output = fuzz_bug(&["--out", arg(dir.path()), "--junit", arg(&junit)]);
    assert_code(&output, 1);
    let seeds = bug_seed() + 1;
    let summary =
        format!("{} in ", if seeds == 1 { "1 seed".to_owned() } else { format!("{seeds} seeds") });
    assert!(stdout(&output).contains(&summary), "{}", stdout(&output));
    assert!(stdout(&output).contains("; 1 violation\n"), "{}", stdout(&output));
    let report = fs::read_to_string(&junit).unwrap();
    assert!(report.contains("1 violation and 0 seeds over a harness limit"), "{report}");
}

#[test]
fn a_bug_named_twice_is_hunted_once() {
    let dir = TempDir::new().unwrap();
    let output = run_in(
        dir.path(),
        &["hunt", "--bug", "double-vote", "--bug", "double-vote", "--shrink-budget", "2", "--json"],
    );
    assert_code(&output, 0);
    let bugs = json(&output)["bugs"].as_array().expect("a list of bugs").clone();
    assert_eq!(bugs.len(), 1, "{bugs:?}");
    assert_eq!(bugs[0]["bug"], "double-vote");
    assert_eq!(bugs[0]["caught"], true);
    assert_eq!(bugs[0]["shrink_complete"], true, "{bugs:?}");
    assert!(bugs[0]["shrink_s"].as_f64().is_some(), "{bugs:?}");
    let events = bugs[0]["events"].as_u64().unwrap();
    assert!(bugs[0]["shrunk_events"].as_u64().unwrap() <= events, "{bugs:?}");
    let table = run_in(dir.path(), &["hunt", "--bug", "double-vote", "--shrink-budget", "2"]);
    assert_code(&table, 0);
    assert!(stdout(&table).contains("1 of 1 bug caught;"), "{}", stdout(&table));
    assert!(stdout(&table).contains("fixed point"), "{}", stdout(&table));
}

#[test]
fn a_shrunk_trace_that_cannot_be_written_loses_no_row_of_the_hunt() {
    let dir = TempDir::new().unwrap();
    let hunt = |out: &str| run_in(dir.path(), &["hunt", "--bug", "double-vote", "--out", out]);
    assert_code(&hunt("first"), 0);
    let name = files_in(&dir.path().join("first")).pop().expect("a trace");
    // The same hunt again, with a directory where its trace would go.
    let blocked = dir.path().join("second").join(name.file_name().unwrap());
    fs::create_dir_all(&blocked).unwrap();
    let output = hunt("second");
    assert_code(&output, 2);
    assert_one_error(&output, &["the shrunk trace was not written"]);
    assert!(stdout(&output).contains("double-vote"), "the row is kept: {}", stdout(&output));
    assert!(stdout(&output).contains("1 of 1 bug caught"), "{}", stdout(&output));
}

#[test]
fn a_duration_shorter_than_one_seed_still_runs_one() {
    let dir = TempDir::new().unwrap();
    let output = fuzz_calm(dir.path(), &["--duration", "1e-9", "--json", "--jobs", "2"]);
    assert_code(&output, 0);
    let seeds = json(&output)["seeds"].as_u64().unwrap();
    assert!(seeds >= 1, "a campaign of no seed would pass vacuously");
}

#[test]
fn bench_on_a_tiny_workload_counts_in_the_singular() {
    let output = run(&[
        "bench",
        "--nodes",
        "2",
        "--deliveries",
        "50",
        "--repeat",
        "1",
        "--campaign-seeds",
        "1",
    ]);
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("reference, 2 nodes, raftsim"), "{text}");
    assert!(text.contains("campaign, default, 1 seed on 1 thread"), "{text}");
}

#[test]
fn bench_reports_each_reference_runs_own_peak_memory() {
    let output = run(&["bench", "--reference", "--deliveries", "2000", "--repeat", "1", "--json"]);
    assert_code(&output, 0);
    let report = json(&output);
    let sizes = report["reference"].as_array().expect("one entry per cluster size");
    assert_eq!(sizes.len(), 2);
    for size in sizes {
        let peak = size["peak_rss_bytes"].as_u64().expect("a peak RSS");
        assert!(peak > 1 << 20, "{size}");
        // On Linux the high-water mark is reset before each size, so each is its own.
        assert_eq!(size["peak_rss_own"], cfg!(target_os = "linux"), "{size}");
    }
}

// Scenarios.

#[test]
fn a_doubtful_liveness_bound_is_warned_naming_the_field_before_the_run() {
    let dir = TempDir::new().unwrap();
    let path = edited_scenario(dir.path(), "calm", "short-bound.json", |scenario| {
        scenario["liveness_bound_ms"] = 30.into();
    });
    for args in [
        &["run", "--seed", "1", "--scenario", arg(&path), "--json"][..],
        &["fuzz", "--scenario", arg(&path), "--seeds", "1", "--out", arg(dir.path()), "--json"],
    ] {
        let output = run(args);
        assert_no_panic(&output);
        let warning = stderr(&output)
            .lines()
            .find(|line| line.starts_with("warning: liveness_bound_ms 30"))
            .map(str::to_owned);
        let warning = warning.unwrap_or_else(|| panic!("no warning:\n{}", stderr(&output)));
        assert!(warning.contains("many seeds may fail for liveness"), "{warning}");
        // The run goes ahead, and its exit code is its verdict's.
        let summary = json(&output);
        let violated = summary["result"] == "violation" || summary["violations"] == 1;
        assert_eq!(code(&output), Some(i32::from(violated)), "{summary}");
    }
}

/// A scenario file named `name` in `dir`: `base` with a 300-character name.
fn long_named(dir: &Path, base: &str, name: &str) -> (PathBuf, String) {
    let long = format!("a-scenario-whose-name-goes-on-{}", "and-on-".repeat(40));
    let long = long[..300].to_owned();
    let path = edited_scenario(dir, base, name, |scenario| scenario["name"] = long.clone().into());
    (path, long)
}

#[test]
fn a_300_character_scenario_name_works_and_its_trace_name_is_bounded() {
    let dir = TempDir::new().unwrap();
    let (calm, long) = long_named(dir.path(), "calm", "long-calm.json");
    let out = dir.path().join("out");
    let output = run(&["fuzz", "--scenario", arg(&calm), "--seeds", "2", "--out", arg(&out)]);
    assert_code(&output, 0);
    assert!(stdout(&output).contains(&long), "the name is printed in full");
    let (figure8, _) = long_named(dir.path(), BUG_SCENARIO, "long-figure8.json");
    let junit = dir.path().join("report.xml");
    let output = run(&[
        "fuzz",
        "--scenario",
        arg(&figure8),
        "--bug",
        BUG,
        "--seeds",
        BUG_SEEDS,
        "--out",
        arg(&out),
        "--junit",
        arg(&junit),
        "--json",
    ]);
    assert_code(&output, 1);
    let summary = json(&output);
    assert_eq!(summary["scenario"], long.as_str());
    let trace = PathBuf::from(summary["failures"][0]["trace"].as_str().expect("a trace"));
    let name = trace.file_name().unwrap().to_str().unwrap();
    assert!(name.len() <= 200, "{} bytes: {name}", name.len());
    assert!(name.starts_with("a-scenario-whose-name-goes-on-") && name.ends_with(".jsonl"));
    assert_eq!(files_in(&out), vec![trace.clone()]);
    assert!(fs::read_to_string(&junit).unwrap().contains("<failure"), "the JUnit report");
    assert!(last_line(&stderr(&output)).starts_with("replay: "), "{}", stderr(&output));
    assert_code(&run(&["replay", "--check", arg(&trace)]), 0);
}

// Traces.

/// The lines of a trace of seed 3 of `calm`, recorded in `dir`.
fn calm_lines(dir: &Path) -> Vec<String> {
    let trace = calm_trace(dir, 3, "calm.jsonl");
    fs::read_to_string(trace).unwrap().lines().map(str::to_owned).collect()
}

/// `lines` with each line edited by `edit(number, line)`, written as `name` in `dir`.
fn rewrite(
    dir: &Path,
    name: &str,
    lines: &[String],
    mut edit: impl FnMut(usize, &mut Value),
) -> PathBuf {
    let text: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let mut value: Value = serde_json::from_str(line).unwrap();
            edit(index + 1, &mut value);
            serde_json::to_string(&value).unwrap()
        })
        .collect();
    let path = dir.join(name);
    fs::write(&path, text.join("\n") + "\n").unwrap();
    path
}

const OTHER_FINGERPRINT: &str = "0x0123456789abcdef";

#[test]
fn an_edited_fingerprint_is_noted_only_when_the_replay_diverges() {
    let dir = TempDir::new().unwrap();
    let lines = calm_lines(dir.path());
    let fingerprint = |number: usize, value: &mut Value| {
        if number == 1 {
            value["stream_fingerprint"] = OTHER_FINGERPRINT.into();
        }
    };
    let reproduced = rewrite(dir.path(), "fingerprint.jsonl", &lines, fingerprint);
    let output = run(&["replay", arg(&reproduced)]);
    assert_code(&output, 0);
    assert!(!stderr(&output).contains("note:"), "{}", stderr(&output));
    let diverged = rewrite(dir.path(), "fingerprint-forged.jsonl", &lines, |number, value| {
        fingerprint(number, value);
        if number == 7 {
            value["node"] = (value["node"].as_u64().unwrap() % 5 + 1).into();
        }
    });
    let output = run(&["replay", "--check", arg(&diverged)]);
    assert_code(&output, 3);
    let err = stderr(&output);
    let note = err.lines().find(|line| line.starts_with("note: ")).expect("a note");
    assert!(note.contains(&format!("fingerprint {OTHER_FINGERPRINT}")), "{note}");
    assert!(note.contains("this build's is 0x"), "{note}");
    assert!(note.contains("record the trace again"), "{note}");
    assert!(err.contains("replay DIVERGED at step 5"), "{err}");
}

#[test]
fn a_misdirected_event_diverges_at_its_step_naming_both_events() {
    let dir = TempDir::new().unwrap();
    let lines = calm_lines(dir.path());
    let forged = rewrite(dir.path(), "misdirected.jsonl", &lines, |number, value| {
        if number == 7 {
            value["node"] = 99.into();
        }
    });
    let output = run(&["replay", arg(&forged), "--timeline"]);
    assert_code(&output, 3);
    let err = stderr(&output);
    assert!(!err.contains("note:"), "the fingerprint is this build's: {err}");
    let diverged = last_line(&err);
    assert!(diverged.starts_with("replay DIVERGED at step 5: the trace recorded"), "{err}");
    assert!(diverged.contains("(node 99,") && diverged.contains("the replay produced"), "{err}");
    assert_no_debug_formatting("replay --timeline", &(stdout(&output) + &err));
}

#[test]
fn an_edited_outcome_diverges_in_words_not_debug_formatting() {
    let dir = TempDir::new().unwrap();
    let lines = calm_lines(dir.path());
    let last = lines.len();
    let edited = rewrite(dir.path(), "outcome.jsonl", &lines, |number, value| {
        if number == last {
            value["outcome"]["event_hash"] = "0x0000000000000001".into();
        }
    });
    for args in [&["replay", arg(&edited)][..], &["replay", "--json", arg(&edited)]] {
        let output = run(args);
        assert_code(&output, 3);
        let diverged = last_line(&stderr(&output)).to_owned();
        assert!(diverged.starts_with("replay DIVERGED in its outcome"), "{diverged}");
        assert!(diverged.contains("recorded pass after"), "{diverged}");
        assert!(diverged.contains("(hash 0x0000000000000001)"), "{diverged}");
        assert_no_debug_formatting("an outcome's divergence", &diverged);
    }
}

/// The clients' history is a record of the run like its events: a replay that reproduces the
/// run reproduces it, and one edited or dropped is a divergence (it once replayed "bit-exactly").
#[test]
fn an_edited_or_missing_client_history_diverges() {
    let dir = TempDir::new().unwrap();
    let trace = dir.path().join("kv.jsonl");
    assert_code(&run(&["run", "--seed", "1", "--scenario", "kv", "--trace", arg(&trace)]), 0);
    assert_code(&run(&["replay", "--check", arg(&trace)]), 0);
    let lines: Vec<String> =
        fs::read_to_string(&trace).unwrap().lines().map(str::to_owned).collect();
    let history = lines.len() - 1;
    assert!(lines[history - 1].starts_with(r#"{"history""#), "the history precedes the outcome");
    let edited = rewrite(dir.path(), "edited.jsonl", &lines, |number, value| {
        if number == history {
            let call = &mut value["history"][2]["call_us"];
            *call = (call.as_u64().unwrap() + 1).into();
        }
    });
    let output = run(&["replay", "--check", arg(&edited)]);
    assert_code(&output, 3);
    let diverged = last_line(&stderr(&output)).to_owned();
    assert!(
        diverged.starts_with("replay DIVERGED in its client history from operation 2 on"),
        "{diverged}"
    );
    let mut dropped = lines.clone();
    dropped.remove(history - 1);
    let dropped_path = dir.path().join("dropped.jsonl");
    fs::write(&dropped_path, dropped.join("\n") + "\n").unwrap();
    let output = run(&["replay", "--check", arg(&dropped_path)]);
    assert_code(&output, 3);
    let diverged = last_line(&stderr(&output)).to_owned();
    assert!(diverged.contains("the replay records one, the trace none"), "{diverged}");
}

#[test]
fn no_output_shows_debug_formatting() {
    let dir = TempDir::new().unwrap();
    let failing = failing_trace(dir.path());
    let out = dir.path().join("out");
    let seed = bug_seed().to_string();
    let bug_run = ["run", "--seed", &seed, "--scenario", BUG_SCENARIO, "--bug", BUG];
    let bug_fuzz = ["fuzz", "--scenario", BUG_SCENARIO, "--bug", BUG, "--seeds", BUG_SEEDS];
    let commands: Vec<(Vec<&str>, Option<i32>)> = vec![
        (vec!["replay", "--timeline", "--context", "400", arg(&failing)], Some(1)),
        (bug_run.to_vec(), Some(1)),
        ([&bug_run[..], &["--json"]].concat(), Some(1)),
        ([&bug_fuzz[..], &["--out", arg(&out)]].concat(), Some(1)),
        // Tampered frames, and tikv's raft-rs: a panic in the Raft under test, if any, is
        // caught and reported with its location.
        (
            vec![
                "fuzz",
                "--scenario",
                "tamper",
                "--raft",
                "raft-rs",
                "--seeds",
                "50",
                "--out",
                arg(&out),
            ],
            None,
        ),
    ];
    for (args, expected) in &commands {
        let output = run(args);
        assert_no_panic(&output);
        if let Some(expected) = expected {
            assert_eq!(code(&output), Some(*expected), "raftsim {args:?}:\n{}", stderr(&output));
        }
        let text = stdout(&output) + &stderr(&output);
        assert_no_debug_formatting(&args.join(" "), &text);
        if args[0] == "replay" {
            assert!(text.contains(" deliver "), "the timeline shows deliveries: {text}");
        }
    }
}

#[test]
fn the_debug_formatting_detector_detects_debug_formatting() {
    for debug in [
        "step Some(12)",
        "at step None (hash 0x1)",
        "RequestVote(RequestVote { term: 1 })",
        "got Exceeded { step: 3 }",
        "Err(\"x\")",
    ] {
        assert_eq!(debug_formatted_lines(debug), vec![debug], "{debug}");
    }
    for words in [
        "#12 t=0.1s n1 leader term 2 commit 3 deliver 1 -> 2: RequestVote term 2 last (1, 1)",
        "seed 0: applied-committed violated at step 2943 (t=3.291s): node 1 applied index 11",
        "SEED=3 raft=raftsim faults=[] left_out_after_heal=[n2:isolated] bugs=[]",
    ] {
        assert!(debug_formatted_lines(words).is_empty(), "{words}");
    }
}

// Output paths.

#[test]
fn the_default_out_is_raftsim_traces_in_the_working_directory() {
    let dir = TempDir::new().unwrap();
    let output = run_in(
        dir.path(),
        &["fuzz", "--scenario", BUG_SCENARIO, "--bug", BUG, "--seeds", BUG_SEEDS],
    );
    assert_code(&output, 1);
    let traces = files_in(&dir.path().join("raftsim-traces"));
    assert_eq!(traces.len(), 1, "{traces:?}");
    let name = traces[0].file_name().unwrap().to_str().unwrap().to_owned();
    let seed = bug_seed();
    assert!(name.starts_with(&format!("{BUG_SCENARIO}-{BUG}-seed{seed}-")), "{name}");
    let replay = last_line(&stderr(&output)).to_owned();
    assert!(replay.ends_with(&format!(" replay raftsim-traces/{name}")), "{replay}");
}

#[test]
fn output_files_in_missing_directories_are_created() {
    let dir = TempDir::new().unwrap();
    let junit = dir.path().join("reports/ci/report.xml");
    let output = fuzz_calm(dir.path(), &["--seeds", "1", "--junit", arg(&junit)]);
    assert_code(&output, 0);
    assert!(fs::read_to_string(&junit).unwrap().starts_with("<?xml"));
    let trace = dir.path().join("traces/run/calm.jsonl");
    let output = run(&["run", "--seed", "1", "--scenario", "calm", "--trace", arg(&trace)]);
    assert_code(&output, 0);
    assert_code(&run(&["replay", "--check", arg(&trace)]), 0);
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_written_through_and_stays_a_link() {
    let dir = TempDir::new().unwrap();
    let target = dir.path().join("target.xml");
    fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.xml");
    std::os::unix::fs::symlink("target.xml", &link).unwrap();
    let output = fuzz_calm(dir.path(), &["--seeds", "1", "--junit", arg(&link)]);
    assert_code(&output, 0);
    let metadata = fs::symlink_metadata(&link).unwrap();
    assert!(metadata.file_type().is_symlink(), "the link was replaced by a file");
    assert!(fs::read_to_string(&target).unwrap().starts_with("<?xml"), "the target is replaced");
    assert_eq!(files_in(dir.path()).len(), 3, "no temporary file left: {:?}", files_in(dir.path()));
    // A link to a directory is a directory.
    fs::create_dir(dir.path().join("directory")).unwrap();
    let to_directory = dir.path().join("to-directory");
    std::os::unix::fs::symlink("directory", &to_directory).unwrap();
    let output = run(&["run", "--seed", "1", "--scenario", "calm", "--trace", arg(&to_directory)]);
    assert_code(&output, 2);
    assert_one_error(&output, &["--trace", "to-directory", "is a directory"]);
    assert!(stdout(&output).is_empty(), "refused before the run");
}

#[cfg(unix)]
#[test]
fn a_device_is_written_to_and_stays_a_device() {
    let dir = TempDir::new().unwrap();
    let output = fuzz_calm(dir.path(), &["--seeds", "1", "--junit", "/dev/null"]);
    assert_code(&output, 0);
    let output = run(&["run", "--seed", "1", "--scenario", "calm", "--trace", "/dev/null"]);
    assert_code(&output, 0);
    assert!(stdout(&output).contains("trace written to /dev/null"), "{}", stdout(&output));
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::metadata("/dev/null").unwrap().file_type().is_char_device());
}

/// Makes a FIFO at `path`, or returns `false` if `mkfifo` is not available.
fn make_fifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo").arg(path).status().is_ok_and(|status| status.success())
}

/// Reads `fifo` on a thread while `write` runs, then returns what was read. If `write` never
/// opened the FIFO, the reader is released by a writer of its own, so the test cannot hang.
#[cfg(unix)]
fn read_fifo_during(fifo: &Path, write: impl FnOnce() -> Output) -> (Output, String) {
    use std::os::unix::fs::OpenOptionsExt;
    let reader = {
        let fifo = fifo.to_path_buf();
        thread::spawn(move || {
            let mut text = String::new();
            File::open(fifo).unwrap().read_to_string(&mut text).unwrap();
            text
        })
    };
    let output = write();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !reader.is_finished() {
        // Releases a reader still waiting for a writer; fails at once, being non-blocking, if
        // the reader is not there yet or already gone.
        let _ = fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(fifo);
        assert!(Instant::now() < deadline, "the FIFO's reader never finished");
        thread::sleep(Duration::from_millis(10));
    }
    (output, reader.join().unwrap())
}

#[cfg(unix)]
#[test]
fn a_fifo_is_streamed_to_and_stays_a_fifo() {
    let dir = TempDir::new().unwrap();
    let fifo = dir.path().join("report.fifo");
    if !make_fifo(&fifo) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let (output, report) =
        read_fifo_during(&fifo, || fuzz_calm(dir.path(), &["--seeds", "1", "--junit", arg(&fifo)]));
    assert_code(&output, 0);
    assert!(report.starts_with("<?xml") && report.contains("<testsuites"), "{report}");
    let (output, trace) = read_fifo_during(&fifo, || {
        run(&["run", "--seed", "1", "--scenario", "calm", "--trace", arg(&fifo)])
    });
    assert_code(&output, 0);
    assert!(
        trace.starts_with("{\"format\":\"raftsim-trace\""),
        "{}",
        &trace[..100.min(trace.len())]
    );
    assert!(trace.trim_end().ends_with("}}"), "the whole trace came through");
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

/// `/dev/full` as a standard output.
fn dev_full() -> Stdio {
    Stdio::from(fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full"))
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_standard_output_gives_one_error_line_and_exit_2_unless_a_violation_was_found() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let seed = bug_seed().to_string();
    for (args, expected) in [
        (&["scenarios"][..], 2),
        (&["bugs", "--json"], 2),
        (&["--help"], 2),
        (&["help", "fuzz"], 2),
        (&["fuzz", "--scenario", "calm", "--seeds", "1", "--json", "--out", arg(&out)], 2),
        (&["fuzz", "--scenario", "calm", "--seeds", "1", "--out", arg(&out)], 2),
        (&["run", "--seed", &seed, "--scenario", BUG_SCENARIO, "--bug", BUG], 1),
        (&["fuzz", "--scenario", BUG_SCENARIO, "--bug", BUG, "--json", "--out", arg(&out)], 1),
    ] {
        let output = std::process::Command::new(raftsim_path())
            .args(args)
            .stdout(dev_full())
            .output()
            .expect("raftsim runs");
        assert_no_panic(&output);
        assert_eq!(code(&output), Some(expected), "raftsim {args:?}:\n{}", stderr(&output));
        assert_one_error(&output, &["cannot write to standard output", "No space left"]);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_junit_report_that_cannot_be_written_is_an_error_that_hides_no_violation() {
    let dir = TempDir::new().unwrap();
    let output = fuzz_calm(dir.path(), &["--seeds", "1", "--junit", "/dev/full"]);
    assert_code(&output, 2);
    assert_one_error(&output, &["--junit", "/dev/full", "No space left"]);
    assert!(stdout(&output).contains("1 seed in "), "the summary is printed first");
    let out = dir.path().join("traces");
    let output = fuzz_bug(&["--out", arg(&out), "--junit", "/dev/full"]);
    assert_code(&output, 1);
    assert_one_error(&output, &["--junit", "/dev/full"]);
    assert_eq!(files_in(&out).len(), 1, "the trace is written");
    assert!(last_line(&stderr(&output)).contains(" replay "), "{}", stderr(&output));
}

#[cfg(target_os = "linux")]
#[test]
fn a_run_whose_trace_cannot_be_written_still_reports_its_result() {
    let seed = bug_seed().to_string();
    let failing = ["run", "--seed", &seed, "--scenario", BUG_SCENARIO, "--bug", BUG];
    let output = run(&[&failing[..], &["--trace", "/dev/full"]].concat());
    assert_code(&output, 1);
    assert!(stdout(&output).contains(&format!("FAIL seed {seed}: ")), "{}", stdout(&output));
    assert_one_error(&output, &["--trace", "/dev/full", "No space left"]);
    let replay = last_line(&stderr(&output)).to_owned();
    let rerun = format!(" run --seed {seed} --scenario {BUG_SCENARIO} --bug {BUG}");
    assert!(replay.starts_with("replay: ") && replay.ends_with(&rerun), "{replay}");
    let output = run(&["run", "--seed", "1", "--scenario", "calm", "--trace", "/dev/full"]);
    assert_code(&output, 2);
    assert!(stdout(&output).contains("PASS seed 1"), "{}", stdout(&output));
    assert_one_error(&output, &["--trace", "/dev/full"]);
}

/// The campaign of [`BUG`] with `extra`, traces into `out`.
fn bug_campaign(out: &Path, extra: &[&str]) -> Output {
    let mut args =
        vec!["fuzz", "--scenario", BUG_SCENARIO, "--bug", BUG, "--seeds", BUG_SEEDS, "--out"];
    args.push(arg(out));
    args.extend_from_slice(extra);
    let output = run(&args);
    assert_no_panic(&output);
    output
}

#[test]
fn a_trace_that_cannot_be_written_loses_no_result() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let seed = bug_seed();
    // Where the campaign will write its trace (`<scenario>-<bug>-seed<N>-<property>.jsonl`), a
    // directory is in the way.
    let probe = bug_campaign(&dir.path().join("probe"), &["--json"]);
    let property = json(&probe)["failures"][0]["property"].as_str().unwrap().to_owned();
    let blocked = out.join(format!("{BUG_SCENARIO}-{BUG}-seed{seed}-{property}.jsonl"));
    fs::create_dir_all(&blocked).unwrap();
    let junit = dir.path().join("report.xml");
    let text = bug_campaign(&out, &["--junit", arg(&junit)]);
    assert_code(&text, 1);
    assert!(stdout(&text).contains("; 1 violation\n"), "the summary: {}", stdout(&text));
    assert!(stdout(&text).contains(&format!("FAIL seed {seed}: ")), "{}", stdout(&text));
    let blocked_text = blocked.to_string_lossy();
    assert_one_error(&text, &[&format!("the trace of seed {seed} was not written"), &blocked_text]);
    let replay = last_line(&stderr(&text)).to_owned();
    assert!(
        replay.ends_with(&format!(" run --seed {seed} --scenario {BUG_SCENARIO} --bug {BUG}")),
        "{replay}"
    );
    let report = fs::read_to_string(&junit).unwrap();
    assert!(report.contains(&format!("<testcase name=\"seed {seed}\">")), "{report}");
    assert!(report.contains("no trace: "), "{report}");
    let summary = bug_campaign(&out, &["--json"]);
    assert_code(&summary, 1);
    let failure = &json(&summary)["failures"][0];
    assert_eq!(failure["seed"], seed);
    assert_eq!(failure["trace"], Value::Null);
    assert!(failure["trace_error"].as_str().unwrap().contains(&*blocked_text), "{failure}");
    assert!(blocked.is_dir(), "the directory in the way is left alone");
}

// Budgets: a harness verdict, never a Raft violation.

/// `calm` with a budget of 1000 events, in `dir`.
fn tiny_budget(dir: &Path) -> PathBuf {
    edited_scenario(dir, "calm", "tiny-budget.json", |scenario| {
        scenario["budget"] = serde_json::json!({ "events_max": 1000 });
    })
}

#[test]
fn a_campaign_over_its_event_budget_exits_4_with_a_harness_verdict() {
    let dir = TempDir::new().unwrap();
    let scenario = tiny_budget(dir.path());
    let out = dir.path().join("out");
    let junit = dir.path().join("report.xml");
    let fuzz = ["fuzz", "--scenario", arg(&scenario), "--seeds", "3", "--out", arg(&out)];
    let text = run(&[&fuzz[..], &["--junit", arg(&junit)]].concat());
    assert_code(&text, 4);
    let summary = stdout(&text);
    assert!(summary.contains("; 0 violations; 3 seeds over a harness limit\n"), "{summary}");
    let exceeded: Vec<&str> = summary.lines().filter(|line| line.starts_with("EXCEEDED")).collect();
    assert_eq!(exceeded.len(), 3, "{summary}");
    assert!(exceeded[0].starts_with("EXCEEDED seed 0 exceeded its event budget at step 1001"));
    assert!(exceeded[0].ends_with("a harness verdict on the scenario, not a Raft violation"));
    assert!(!summary.contains("FAIL"), "{summary}");
    assert!(files_in(&out).is_empty(), "a harness verdict writes no failure trace");
    let report = fs::read_to_string(&junit).unwrap();
    assert_eq!(report.matches("type=\"harness-limit\"").count(), 3, "{report}");
    assert!(report.contains("0 violations and 3 seeds over a harness limit in 3 seeds"));
    let output = run(&[&fuzz[..], &["--json"]].concat());
    assert_code(&output, 4);
    let summary = json(&output);
    assert_eq!(summary["violations"], 0);
    assert_eq!(summary["failures"], Value::Array(Vec::new()));
    let exceeded = summary["exceeded"].as_array().unwrap();
    assert_eq!(exceeded.len(), 3);
    assert_eq!(exceeded[0]["limit"], "events");
    assert_eq!(exceeded[0]["step"], 1001);
}

#[test]
fn a_run_over_its_event_budget_exits_4_and_its_trace_replays() {
    let dir = TempDir::new().unwrap();
    let scenario = tiny_budget(dir.path());
    let trace = dir.path().join("exceeded.jsonl");
    let output = run(&["run", "--seed", "1", "--scenario", arg(&scenario), "--trace", arg(&trace)]);
    assert_code(&output, 4);
    assert!(stdout(&output).contains("EXCEEDED seed 1 exceeded its event budget"));
    let output = run(&["run", "--seed", "1", "--scenario", arg(&scenario), "--json"]);
    assert_code(&output, 4);
    assert_eq!(json(&output)["result"], "exceeded");
    assert_eq!(json(&output)["property"], Value::Null);
    assert_code(&run(&["replay", arg(&trace)]), 4);
    assert_code(&run(&["replay", "--check", arg(&trace)]), 0);
}

#[test]
fn a_flood_of_burst_requests_is_never_blamed_on_the_raft() {
    let dir = TempDir::new().unwrap();
    let scenario = edited_scenario(dir.path(), "overload", "flood.json", |scenario| {
        let overload = &mut scenario["faults"]["overload"];
        overload["count"] = serde_json::json!([20, 20]);
        overload["burst_requests"] = serde_json::json!([100_000, 100_000]);
    });
    let out = dir.path().join("out");
    let output = run(&[
        "fuzz",
        "--scenario",
        arg(&scenario),
        "--seeds",
        "1",
        "--jobs",
        "1",
        "--out",
        arg(&out),
        "--json",
    ]);
    assert_no_panic(&output);
    let summary = json(&output);
    assert_eq!(summary["violations"], 0, "{summary}");
    let events = summary["events"].as_u64().unwrap();
    assert!(events > 2_000_000, "20 bursts of 100000 requests ran: {events} events");
    let exceeded = summary["exceeded"].as_array().unwrap().len();
    assert_eq!(code(&output), Some(if exceeded == 0 { 0 } else { 4 }), "{summary}");
    assert!(files_in(&out).is_empty(), "no trace: {:?}", files_in(&out));
}

// Signals.

/// A spawned `raftsim`, its output going to files in `dir`.
struct Spawned {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

fn spawn(dir: &Path, args: &[&str]) -> Spawned {
    let (stdout, stderr) = (dir.join("stdout.txt"), dir.join("stderr.txt"));
    let child = std::process::Command::new(raftsim_path())
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout).unwrap())
        .stderr(File::create(&stderr).unwrap())
        .spawn()
        .expect("raftsim starts");
    Spawned { child, stdout, stderr }
}

impl Spawned {
    /// Sends `signal` (`INT`, `TERM`) after `delay`, then waits at most `limit` for the exit;
    /// returns the exit code, the time from the signal to the exit, stdout and stderr. A process
    /// still running after `limit` is killed and the test fails: a hang cannot hang the test.
    fn signal_and_wait(
        mut self,
        delay: Duration,
        signal: &str,
        limit: Duration,
    ) -> (Option<i32>, Duration, String, String) {
        thread::sleep(delay);
        let early = self.child.try_wait().unwrap();
        assert!(early.is_none(), "exited before the signal: {early:?}\n{}", self.read().1);
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{signal} failed");
        let signalled = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if signalled.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("still running {limit:?} after SIG{signal}:\n{}", self.read().1);
            }
            thread::sleep(Duration::from_millis(20));
        };
        let elapsed = signalled.elapsed();
        let (out, err) = self.read();
        (status.code(), elapsed, out, err)
    }

    fn read(&self) -> (String, String) {
        let read = |path: &Path| fs::read_to_string(path).unwrap_or_default();
        (read(&self.stdout), read(&self.stderr))
    }
}

/// A trace of a bug whose shrinking takes seconds, in `dir`.
fn slow_to_shrink(dir: &Path) -> PathBuf {
    let out = dir.join("found");
    let output =
        run(&["fuzz", "--bug", "truncate-at-corruption", "--seeds", "200", "--out", arg(&out)]);
    assert_code(&output, 1);
    files_in(&out).pop().expect("a trace")
}

#[test]
fn sigint_to_shrink_writes_the_best_result_so_far_and_exits_130() {
    let dir = TempDir::new().unwrap();
    let trace = slow_to_shrink(dir.path());
    let shrunk = dir.path().join("shrunk.jsonl");
    let spawned = spawn(dir.path(), &["shrink", arg(&trace), "-o", arg(&shrunk), "--budget", "60"]);
    let (code, elapsed, out, err) =
        spawned.signal_and_wait(Duration::from_millis(1500), "INT", Duration::from_secs(10));
    assert_eq!(code, Some(130), "stdout:\n{out}\nstderr:\n{err}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?} to stop");
    assert!(out.contains("interrupted (result is the best so far)"), "{out}");
    assert!(out.contains(&format!("shrunk trace written to {}", shrunk.display())), "{out}");
    assert!(last_line(&err).starts_with("replay: "), "{err}");
    assert_code(&run(&["replay", "--check", arg(&shrunk)]), 0);
}

#[test]
fn sigint_to_hunt_prints_the_bugs_hunted_so_far_and_exits_130() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("hunted");
    let spawned = spawn(
        dir.path(),
        &["hunt", "--bug", "truncate-at-corruption", "--bug", "double-vote", "--out", arg(&out)],
    );
    let (code, elapsed, out_text, err) =
        spawned.signal_and_wait(Duration::from_millis(1500), "INT", Duration::from_secs(10));
    assert_eq!(code, Some(130), "stdout:\n{out_text}\nstderr:\n{err}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?} to stop");
    assert!(out_text.contains("truncate-at-corruption"), "{out_text}");
    assert!(!out_text.contains("double-vote"), "the hunt stopped at the first bug: {out_text}");
    assert!(out_text.contains("1 of 1 bug caught"), "{out_text}");
    assert!(err.contains("interrupted: the table holds the bugs hunted so far"), "{err}");
    let traces = files_in(&out);
    assert_eq!(traces.len(), 1, "the best shrunk trace is kept: {traces:?}");
    assert_code(&run(&["replay", "--check", arg(&traces[0])]), 0);
}

#[test]
fn sigterm_to_a_long_campaign_stops_it_within_a_second_with_its_summary() {
    let dir = TempDir::new().unwrap();
    let junit = dir.path().join("report.xml");
    let spawned = spawn(
        dir.path(),
        &["fuzz", "--seeds", "100000000", "--out", "out", "--json", "--junit", arg(&junit)],
    );
    let (code, elapsed, out, err) =
        spawned.signal_and_wait(Duration::from_millis(1500), "TERM", Duration::from_secs(10));
    assert_eq!(code, Some(130), "stdout:\n{out}\nstderr:\n{err}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?} to stop");
    let summary: Value = serde_json::from_str(&out).expect("the JSON summary");
    assert_eq!(summary["interrupted"], true);
    assert!(summary["seeds"].as_u64().unwrap() >= 1, "{summary}");
    assert_eq!(summary["violations"], 0);
    let report = fs::read_to_string(&junit).unwrap();
    assert!(report.contains("(interrupted)"), "{report}");
}

/// Opening a FIFO to write blocks until someone reads it, where no flag is polled: SIGTERM
/// once went unheard there, and only SIGKILL ended the process.
#[cfg(unix)]
#[test]
fn sigterm_while_waiting_for_a_fifos_reader_ends_the_process() {
    let dir = TempDir::new().unwrap();
    let fifo = dir.path().join("trace.fifo");
    if !make_fifo(&fifo) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let run = ["run", "--seed", "1", "--scenario", "calm", "--trace", arg(&fifo)];
    let (code, elapsed, out, err) = spawn(dir.path(), &run).signal_and_wait(
        Duration::from_millis(1500),
        "TERM",
        Duration::from_secs(10),
    );
    assert_eq!(code, Some(130), "stdout:\n{out}\nstderr:\n{err}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?} to stop");
    let waiting = format!("error: interrupted while waiting to write {}", fifo.display());
    assert!(err.lines().any(|line| line == waiting), "{err}");
}

#[test]
fn sigterm_to_a_run_of_a_thousand_clients_stops_it_promptly() {
    let dir = TempDir::new().unwrap();
    let scenario = edited_scenario(dir.path(), "default", "crowd.json", |scenario| {
        scenario["workload"]["clients"]["clients"] = 1000.into();
        scenario["workload"]["clients"]["think_time_ms"] = serde_json::json!([0, 0]);
        scenario["fault_window_ms"] = 600_000.into();
    });
    let trace = dir.path().join("crowd.jsonl");
    let spawned = spawn(
        dir.path(),
        &["run", "--seed", "1", "--scenario", arg(&scenario), "--trace", arg(&trace)],
    );
    let (code, elapsed, out, err) =
        spawned.signal_and_wait(Duration::from_millis(1500), "TERM", Duration::from_secs(10));
    assert_eq!(code, Some(130), "stdout:\n{out}\nstderr:\n{err}");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?} to stop");
    assert!(out.starts_with("SEED=1 "), "{out}");
    assert!(out.contains("INTERRUPTED seed 1 at step "), "{out}");
    assert!(out.contains("no trace written"), "{out}");
    assert!(!trace.exists(), "the trace of a run that did not end would not replay");
    assert!(!err.lines().any(|line| line.starts_with("error")), "{err}");
}
