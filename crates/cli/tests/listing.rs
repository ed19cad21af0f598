//! What the binary says about itself: `scenarios`, `bugs`, and `--help` with examples on every
//! subcommand.

mod common;

use common::{assert_code, json, run, stdout};
use serde_json::Value;

/// The built-in scenarios issue 4 requires.
const SCENARIOS: &[&str] = &[
    "default",
    "calm",
    "partitions",
    "paused-leader",
    "overload",
    "corruption",
    "crash-restart",
    "flaky-network",
    "figure8",
];

/// The name of each line of a `NAME  description` listing, up to its first blank line.
fn listed_names(out: &str) -> Vec<String> {
    out.lines()
        .take_while(|line| !line.trim().is_empty())
        .filter(|line| !line.starts_with(' ')) // A scenario's efficiency bounds, under it.
        .map(|line| line.split_whitespace().next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn scenarios_lists_every_builtin_with_a_description() {
    let output = run(&["scenarios"]);
    assert_code(&output, 0);
    let out = stdout(&output);
    let names = listed_names(&out);
    for scenario in SCENARIOS {
        assert!(names.iter().any(|name| name == scenario), "`{scenario}` not listed:\n{out}");
    }
    for line in out.lines().take(names.len()) {
        assert!(line.split_whitespace().count() > 2, "a description on each line: {line:?}");
    }
}

#[test]
fn scenarios_json_parses_and_matches_the_text_listing() {
    let output = run(&["scenarios", "--json"]);
    assert_code(&output, 0);
    let list = json(&output);
    let list = list.as_array().expect("a JSON array");
    let names: Vec<&str> = list.iter().map(|scenario| scenario["name"].as_str().unwrap()).collect();
    for scenario in SCENARIOS {
        assert!(names.contains(scenario), "`{scenario}` missing from {names:?}");
    }
    for scenario in list {
        assert!(scenario["description"].as_str().is_some_and(|text| !text.is_empty()));
        assert!(scenario["nodes"].as_u64().is_some_and(|nodes| nodes >= 1), "{scenario}");
    }
    let text = stdout(&run(&["scenarios"]));
    assert_eq!(names, listed_names(&text));
    let calm = list.iter().find(|scenario| scenario["name"] == "calm").unwrap();
    let bound = &calm["expect"]["raftsim"]["frames_per_commit_max"];
    assert!(bound.as_f64().is_some(), "calm bounds raftsim's frames per commit: {calm}");
    assert!(text.contains("efficiency bounds for raftsim: <= "), "{text}");
}

#[test]
fn every_listed_scenario_runs() {
    let list = json(&run(&["scenarios", "--json"]));
    for scenario in list.as_array().unwrap() {
        let name = scenario["name"].as_str().unwrap();
        let output = run(&["run", "--seed", "1", "--scenario", name, "--json"]);
        assert_code(&output, 0);
        assert_eq!(json(&output)["result"], "pass", "{name}");
    }
}

#[test]
fn bugs_lists_every_bug_with_the_rule_it_breaks() {
    let output = run(&["bugs", "--json"]);
    assert_code(&output, 0);
    let list = json(&output);
    let list = list.as_array().expect("a JSON array");
    assert!(list.len() >= 2, "{list:?}");
    let text = stdout(&run(&["bugs"]));
    for bug in list {
        let (name, rule) = (bug["name"].as_str().unwrap(), bug["rule"].as_str().unwrap());
        assert!(!rule.is_empty(), "{name} names no rule");
        let lines: Vec<&str> = text.lines().collect();
        let at = lines.iter().position(|line| line.trim() == name);
        let at = at.unwrap_or_else(|| panic!("`{name}` not listed:\n{text}"));
        assert!(lines[at + 1].contains(rule), "{}", lines[at + 1]);
        let (scenario, property) =
            (bug["scenario"].as_str().unwrap(), bug["caught_by"].as_str().unwrap());
        assert!(
            lines[at + 2].contains(&format!("by {property} on `{scenario}`")),
            "{}",
            lines[at + 2]
        );
    }
    let names: Vec<&Value> = list.iter().map(|bug| &bug["name"]).collect();
    assert!(names.contains(&&Value::from("commit-prior-term")), "{names:?}");
}

#[test]
fn every_listed_bug_is_accepted_by_run() {
    let list = json(&run(&["bugs", "--json"]));
    for bug in list.as_array().unwrap() {
        let name = bug["name"].as_str().unwrap();
        let output = run(&["run", "--seed", "1", "--scenario", "calm", "--bug", name, "--json"]);
        assert!(matches!(output.status.code(), Some(0 | 1)), "--bug {name}: {output:?}");
        assert_eq!(json(&output)["seed"], 1);
    }
}

#[test]
fn every_subcommand_help_has_examples() {
    for command in ["fuzz", "run", "replay", "scenarios", "bugs"] {
        let output = run(&[command, "--help"]);
        assert_code(&output, 0);
        let help = stdout(&output);
        assert!(help.contains("Examples"), "`raftsim {command} --help` lacks examples:\n{help}");
        assert!(help.contains(&format!("raftsim {command}")), "{help}");
    }
}

#[test]
fn top_level_help_lists_the_commands_and_the_exit_codes() {
    let output = run(&["--help"]);
    assert_code(&output, 0);
    let help = stdout(&output);
    for command in ["fuzz", "run", "replay", "scenarios", "bugs"] {
        assert!(help.lines().any(|line| line.trim_start().starts_with(command)), "{help}");
    }
    for code in ["0 no violation", "1 violation", "2 bad input", "3 replay diverged", "130"] {
        assert!(help.contains(code), "`{code}` missing:\n{help}");
    }
    let version = run(&["--version"]);
    assert_code(&version, 0);
    assert!(stdout(&version).starts_with("raftsim "), "{}", stdout(&version));
}
