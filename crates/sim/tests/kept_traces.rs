//! Every trace kept in the repository's `traces/` replays bit for bit, and every injected bug
//! has a kept, shrunk trace in `traces/bugs/` whose violation is the one its hunt plan expects.

use std::path::{Path, PathBuf};

use raftsim_raft::Bug;
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::hunt::plan;
use raftsim_sim::trace::{Outcome, Trace, first_divergence};

fn traces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../traces")
}

fn kept_traces(directory: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(directory).expect("traces/ exists") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            found.extend(kept_traces(&path));
        } else if path.extension().is_some_and(|extension| extension == "jsonl") {
            found.push(path);
        }
    }
    found.sort();
    found
}

fn load(path: &Path) -> Trace {
    let text = std::fs::read_to_string(path).expect("a readable trace");
    Trace::parse(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn every_kept_trace_replays_bit_for_bit() {
    let traces = kept_traces(&traces_dir());
    assert!(!traces.is_empty(), "traces/ holds the regression corpus");
    for path in traces {
        let trace = load(&path);
        let (result, records) = RAFTSIM_ENGINE.run(trace.spec(), Settings::RECORD);
        let records = records.expect("recording");
        assert_eq!(first_divergence(&trace.events, &records), None, "{}", path.display());
        assert_eq!(Outcome::of(&result), trace.outcome, "{}", path.display());
    }
}

#[test]
fn every_injected_bug_has_a_shrunk_trace_caught_by_its_expected_property() {
    let traces: Vec<Trace> =
        kept_traces(&traces_dir().join("bugs")).iter().map(|path| load(path)).collect();
    for &bug in Bug::ALL {
        let trace =
            traces.iter().find(|trace| trace.header.bugs.iter().eq([bug])).unwrap_or_else(|| {
                panic!("traces/bugs/ has no trace for {bug}: run `raftsim hunt --out traces/bugs`")
            });
        let failure = trace.outcome.failure.as_ref().expect("a bug trace records a violation");
        assert_eq!(failure.violation.property, plan(bug).property, "{bug}");
        assert!(
            trace.schedule.len() <= 5,
            "{bug}: {} faults is not a handful",
            trace.schedule.len()
        );
    }
}
