//! The checked-in campaign definitions for machines beyond this one: the Kubernetes manifest
//! (validated against the Kubernetes API types, field by field) and the GitHub Actions
//! workflow. Both are also run here, as far as a laptop can: their shard and merge scripts,
//! taken from the files, run locally for every shard, and their merge must give the whole
//! range's digest.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{arg, assert_code, json, raftsim, raftsim_path, stdout};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use serde::Deserialize;
use serde_json::Value;
use tempfile::TempDir;

fn repository_file(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// Every YAML document of `text`, as JSON values.
fn documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|document| Value::deserialize(document).expect("valid YAML"))
        .collect()
}

/// `value` read as the Kubernetes type `T` and written back: equal to `value` only if every
/// field is one the API knows, with the type it expects.
fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(value: &Value) -> Value {
    let typed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|error| panic!("not a valid {}: {error}", std::any::type_name::<T>()));
    serde_json::to_value(typed).unwrap()
}

/// Runs `script` with `sh` in `dir`, with `env` and the raftsim binary first on the `PATH`.
fn shell(dir: &Path, script: &str, env: &[(&str, String)]) -> Output {
    let bin = raftsim_path().parent().unwrap().to_owned();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut command = Command::new("sh");
    command.current_dir(dir).arg("-c").arg(script).env("PATH", path);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("sh runs")
}

/// The digest of one process over `seeds` of `default`.
fn whole_range_digest(dir: &Path, seeds: u64) -> String {
    let output = raftsim()
        .current_dir(dir)
        .args(["fuzz", "--json", "--out", "whole-traces", "--seeds", &seeds.to_string()])
        .output()
        .unwrap();
    json(&output)["digest"].as_str().unwrap().to_owned()
}

/// A container's environment variable in a manifest.
fn env_value(container: &Value, name: &str) -> String {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|variable| variable["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {container}"))["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_kubernetes_manifest_is_valid_and_its_scripts_merge_every_shard() {
    let manifest = documents(&repository_file("deploy/kubernetes/raftsim-campaign.yaml"));
    let kinds: Vec<&str> =
        manifest.iter().map(|document| document["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["PersistentVolumeClaim", "Job", "Job"]);
    assert_eq!(round_trip::<PersistentVolumeClaim>(&manifest[0]), manifest[0]);
    for job in &manifest[1..] {
        assert_eq!(&round_trip::<Job>(job), job, "a field the Job API does not know, or mistyped");
    }
    let (shards, merge) = (&manifest[1], &manifest[2]);
    assert_eq!(shards["spec"]["completionMode"], "Indexed");
    let fuzz = &shards["spec"]["template"]["spec"]["containers"][0];
    let merger = &merge["spec"]["template"]["spec"]["containers"][0];
    let count: u64 = env_value(fuzz, "SHARDS").parse().unwrap();
    assert_eq!(shards["spec"]["completions"], count, "SHARDS is the number of completions");
    assert_eq!(shards["spec"]["parallelism"], count);
    assert_eq!(env_value(merger, "SHARDS"), count.to_string());

    let dir = TempDir::new().unwrap();
    let seeds = 60;
    let results = dir.path().join("results");
    std::fs::create_dir(&results).unwrap();
    let shard_script = fuzz["args"][0].as_str().unwrap();
    for index in 0..count {
        let env = [
            ("JOB_COMPLETION_INDEX", index.to_string()),
            ("SHARDS", count.to_string()),
            ("SEEDS", seeds.to_string()),
            ("SCENARIO", env_value(fuzz, "SCENARIO")),
            ("RESULTS", arg(&results).to_owned()),
        ];
        let output = shell(dir.path(), shard_script, &env);
        assert_code(&output, 0);
        assert!(results.join(format!("shard-{}.json", index + 1)).is_file());
    }
    let env = [("SHARDS", count.to_string()), ("RESULTS", arg(&results).to_owned())];
    let merged = shell(dir.path(), merger["args"][0].as_str().unwrap(), &env);
    assert_code(&merged, 0);
    let digest = whole_range_digest(dir.path(), seeds);
    assert!(stdout(&merged).contains(&format!("\ndigest {digest}\n")), "{}", stdout(&merged));
    assert!(results.join("raftsim-junit.xml").is_file());
}

/// The `run` script of the step named `name` of `job` in a workflow.
fn step_script<'a>(workflow: &'a Value, job: &str, name: &str) -> &'a str {
    workflow["jobs"][job]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["name"].as_str().is_some_and(|step| step.starts_with(name)))
        .unwrap_or_else(|| panic!("no step `{name}` in job {job}"))["run"]
        .as_str()
        .unwrap()
}

#[test]
fn the_github_workflow_shards_and_merges_as_the_command_line_does() {
    let workflow = documents(&repository_file(".github/workflows/raftsim-campaign.yml")).remove(0);
    let matrix: Vec<u64> = workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|shard| shard.as_u64().unwrap())
        .collect();
    let count = matrix.len() as u64;
    assert_eq!(matrix, (1..=count).collect::<Vec<_>>(), "every shard once");
    assert_eq!(workflow["jobs"]["merge"]["needs"], "shard");
    let fuzz = step_script(&workflow, "shard", "fuzz shard");
    assert!(fuzz.contains(&format!("--shard ${{{{ matrix.shard }}}}/{count}")), "{fuzz}");
    let merge = step_script(&workflow, "merge", "merge the shards");

    // Each shard in its own checkout, its artifacts then downloaded into one directory.
    let dir = TempDir::new().unwrap();
    let binary = raftsim_path();
    let shards = dir.path().join("shards");
    std::fs::create_dir(&shards).unwrap();
    let seeds = 40;
    for shard in 1..=count {
        let checkout = dir.path().join(format!("runner-{shard}"));
        std::fs::create_dir(&checkout).unwrap();
        let script = fuzz
            .replace("${{ matrix.shard }}", &shard.to_string())
            .replace("target/release/raftsim", arg(&binary));
        assert_code(&shell(&checkout, &script, &[("SEEDS", seeds.to_string())]), 0);
        let summary = format!("summary-{shard}.json");
        std::fs::copy(checkout.join(&summary), shards.join(&summary)).unwrap();
    }
    let script = merge.replace("../target/release/raftsim", arg(&binary));
    let merged = shell(&shards, &script, &[]);
    assert_code(&merged, 0);
    let digest = whole_range_digest(dir.path(), seeds);
    assert!(stdout(&merged).contains(&format!("\ndigest {digest}\n")), "{}", stdout(&merged));
    assert!(shards.join("raftsim-junit.xml").is_file());
}
