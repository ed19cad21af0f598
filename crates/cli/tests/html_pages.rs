//! raftsim's HTML pages: a trace's timeline (`replay --html`) and a campaign's report
//! (`fuzz --report`, `merge --report`). Each is one self-contained file, written atomically
//! beside the command's usual output and verdict, and renders in a real browser: headless
//! Chromium, where one is installed (the browser checks are skipped, saying so, where not).

mod common;

use std::fs;
use std::path::Path;

use common::browser::{Browser, assert_screenshot, assert_self_contained, chromium};
use common::{
    arg, assert_code, calm_trace, files_in, raftsim, run, stderr, stdout, terminated_campaign,
};
use tempfile::TempDir;

/// A kept trace whose replay ends in a violation: `eager-apply` caught on 4 nodes of `calm`,
/// where node 2 applies an entry before it is committed.
const VIOLATION_TRACE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../traces/bugs/calm-eager-apply-seed0-applied-committed.jsonl"
);
/// Nodes in [`VIOLATION_TRACE`]'s run.
const VIOLATION_TRACE_NODES: usize = 4;

/// Asserts that a dumped DOM is the timeline of a run of `nodes` nodes, drawn without a script
/// error: one lane per node, labelled `n1`..`nN`, and `markers` violation markers.
#[track_caller]
fn assert_timeline_rendered(dom: &str, nodes: usize, markers: usize) {
    assert!(dom.contains("data-ready=\"true\""), "the page's script did not finish");
    assert!(!dom.contains("data-error="), "the page's script failed: {dom:.2000}");
    assert_eq!(dom.matches("class=\"lane\"").count(), nodes, "one lane per node");
    for node in 1..=nodes {
        assert!(dom.contains(&format!("data-node=\"{node}\"")), "no lane for node {node}");
        assert!(dom.contains(&format!("<span class=\"name\">n{node}</span>")), "no label n{node}");
    }
    assert_eq!(dom.matches("id=\"violation-marker\"").count(), markers, "violation markers");
}

#[test]
fn replay_html_draws_the_violation_and_keeps_the_replay_verdict() {
    let dir = TempDir::new().unwrap();
    let page = dir.path().join("timeline.html");
    let output = run(&["replay", VIOLATION_TRACE, "--html", arg(&page)]);
    assert_code(&output, 1);
    let (out, err) = (stdout(&output), stderr(&output));
    assert!(out.contains("applied-committed violated at step 68"), "{out}");
    assert!(err.contains("replay reproduced the trace bit-exactly"), "{err}");
    assert!(err.contains(&format!("timeline written to {}", page.display())), "{err}");
    assert_eq!(files_in(dir.path()), std::slice::from_ref(&page), "no temporary file is left");
    let html = fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_self_contained(&html);
    assert!(html.contains("applied-committed violated</b> at step 68"), "the verdict is shown");
    let check = run(&["replay", "--check", VIOLATION_TRACE, "--html", arg(&page)]);
    assert_code(&check, 0);

    let Some(binary) = chromium() else { return };
    let browser = Browser::new(binary);
    let dom = browser.dump_dom(&page);
    assert_timeline_rendered(&dom, VIOLATION_TRACE_NODES, 1);
    let marker = &dom[dom.find("id=\"violation-marker\"").unwrap()..];
    let marker = &marker[..marker.find("</div>").unwrap()];
    assert!(marker.contains("applied-committed") && marker.contains("step 68"), "{marker}");
    assert!(marker.contains("node 2 applied index 1 before it was committed"), "{marker}");
    let png = dir.path().join("timeline.png");
    browser.screenshot(&page, &png, 1400, 900);
    assert_screenshot(&png);
}

#[test]
fn replay_html_of_a_passing_run_has_its_lanes_and_no_violation_marker() {
    let dir = TempDir::new().unwrap();
    let trace = calm_trace(dir.path(), 3, "calm-3.jsonl");
    let page = dir.path().join("out/calm.html");
    let output = run(&["replay", arg(&trace), "--html", arg(&page), "--json"]);
    assert_code(&output, 0);
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(summary["reproduced"], true, "--json is unchanged");
    let html = fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("Every property held"), "the verdict is shown");

    let Some(binary) = chromium() else { return };
    let dom = Browser::new(binary).dump_dom(&page);
    assert_timeline_rendered(&dom, 5, 0);
}

/// Runs the campaign that catches `eager-apply` on `calm` in `dir`, with a report page.
fn failing_campaign(dir: &Path) -> (std::process::Output, String) {
    let output = raftsim()
        .current_dir(dir)
        .args(["fuzz", "--bug", "eager-apply", "--scenario", "calm", "--seeds", "20"])
        .args(["--keep-going", "--out", "traces", "--report", "reports/campaign.html"])
        .output()
        .unwrap();
    let html = fs::read_to_string(dir.join("reports/campaign.html")).expect("a report page");
    (output, html)
}

#[test]
fn fuzz_report_shows_the_counters_the_failures_with_their_commands_and_the_histograms() {
    let dir = TempDir::new().unwrap();
    let (output, html) = failing_campaign(dir.path());
    assert_code(&output, 1);
    assert_self_contained(&html);
    for counter in ["frames_sent", "elections", "client_retries", "max_term"] {
        assert!(html.contains(&format!("<td>{counter}</td>")), "counter {counter} missing");
    }
    assert!(html.contains("split_vote"), "the coverage table");
    assert!(html.contains("20 violations</b> (1 distinct)"), "the verdict");
    let trace = files_in(&dir.path().join("traces")).pop().expect("a failure trace");
    let trace = trace.strip_prefix(dir.path()).unwrap().display().to_string();
    for command in [format!(" replay {trace}</pre>"), format!(" shrink {trace}</pre>")] {
        assert!(html.contains(&command), "`{command}` missing from the report");
    }
    assert!(html.contains(" run --seed 0 --scenario calm --bug eager-apply</pre>"));
    assert_eq!(html.matches("<svg class=\"histogram\"").count(), 4, "four histograms");
    assert!(html.contains("Time without a leader, per seed"));
    assert!(html.contains("No seed settled"), "every seed failed: no efficiency was measured");
    assert!(html.contains("<title>64–128 ms: "), "a bar of the time without a leader");
    assert_eq!(files_in(&dir.path().join("reports")).len(), 1, "no temporary file is left");

    let Some(binary) = chromium() else { return };
    let browser = Browser::new(binary);
    let dom = browser.dump_dom(&dir.path().join("reports/campaign.html"));
    assert_eq!(dom.matches("<svg class=\"histogram\"").count(), 4);
    assert!(dom.contains("applied-committed"));
    let png = dir.path().join("report.png");
    browser.screenshot(&dir.path().join("reports/campaign.html"), &png, 1400, 1000);
    assert_screenshot(&png);
}

#[test]
fn fuzz_report_is_written_when_the_campaign_is_interrupted() {
    let dir = TempDir::new().unwrap();
    let page = dir.path().join("campaign.html");
    let output = terminated_campaign(&[
        "fuzz",
        "--scenario",
        "calm",
        "--duration",
        "30",
        "--jobs",
        "1",
        "--out",
        arg(dir.path()),
        "--report",
        arg(&page),
    ]);
    assert_eq!(output.status.code(), Some(130));
    let html = fs::read_to_string(&page).expect("the report is written");
    assert!(html.contains("The campaign was interrupted."), "the verdict says so");
}

#[test]
fn merge_report_shows_the_merged_campaign() {
    let dir = TempDir::new().unwrap();
    let mut files = Vec::new();
    for shard in ["1/2", "2/2"] {
        let output = raftsim()
            .current_dir(dir.path())
            .args(["fuzz", "--scenario", "calm", "--seeds", "6", "--shard", shard, "--json"])
            .args(["--out", "traces"])
            .output()
            .unwrap();
        assert_code(&output, 0);
        let file = dir.path().join(format!("shard-{}.json", files.len() + 1));
        fs::write(&file, &output.stdout).unwrap();
        files.push(file);
    }
    let page = dir.path().join("merged.html");
    let output = run(&["merge", arg(&files[0]), arg(&files[1]), "--report", arg(&page)]);
    assert_code(&output, 0);
    let html = fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("merged from 2 shards"), "the page says it is a merge");
    assert!(html.contains("6 seeds run"), "both shards' seeds");
    assert!(html.contains("No violation"), "the verdict");
    assert_eq!(html.matches("<svg class=\"histogram\"").count(), 5, "and convergence's");
    assert!(html.contains("Over 6 settled seeds: "), "the efficiency of both shards' seeds");
}
