//! Efficiency as a property: every settled run is measured (frames and bytes per committed
//! entry, elections per fault, time to converge after the heal), and a run over a bound of
//! its scenario's `expect` section, for the Raft under test, fails as an `efficiency`
//! violation at its last step. The built-in bounds hold for the correct Raft with a margin.

mod common;

use common::{JOBS, assert_passed, run_seeds, scenario};
use raftsim_raft::Bugs;
use raftsim_sim::efficiency::Expect;
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::{Property, RunSpec, Scenario};

fn calm_with(expect: Expect) -> Scenario {
    let mut calm = scenario("calm");
    calm.expect.insert("raftsim".to_owned(), expect);
    calm
}

#[test]
fn a_run_over_its_bound_fails_at_its_last_step_and_one_within_it_passes() {
    let tight = calm_with(Expect { frames_per_commit_max: Some(2.0), ..Expect::default() });
    let (result, _) =
        RAFTSIM_ENGINE.run(RunSpec::from_seed(&tight, 3, Bugs::NONE), Settings::default());
    let failure = result.failure().expect("a calm run sends more than 2 frames per commit");
    assert_eq!(failure.violation.property, Property::Efficiency);
    assert_eq!(failure.step, result.events, "judged once the run settled, at its end");
    let detail = &failure.violation.detail;
    assert!(detail.contains("frames per committed entry"), "{detail}");
    assert!(detail.contains("expect.frames_per_commit_max"), "{detail}");
    let measured = result.efficiency.expect("a settled run is measured");
    assert_eq!(measured.frames, result.counters.frames_sent);
    assert_eq!(measured.commits, result.counters.commits);
    assert!(measured.frames_per_commit() > 2.0);

    let loose = calm_with(Expect { frames_per_commit_max: Some(1000.0), ..Expect::default() });
    let (result, _) =
        RAFTSIM_ENGINE.run(RunSpec::from_seed(&loose, 3, Bugs::NONE), Settings::default());
    assert!(result.failure().is_none(), "{:?}", result.verdict);
}

#[test]
fn bounds_for_another_raft_do_not_apply() {
    let mut calm = scenario("calm");
    calm.expect.clear();
    calm.expect.insert(
        "raft-rs".to_owned(),
        Expect { frames_per_commit_max: Some(1.0), ..Expect::default() },
    );
    let (result, _) =
        RAFTSIM_ENGINE.run(RunSpec::from_seed(&calm, 3, Bugs::NONE), Settings::default());
    assert!(result.failure().is_none(), "{:?}", result.verdict);
    assert!(result.efficiency.is_some(), "measured all the same");
}

/// Seed 350 of `calm` leaves one node isolated and one muted after the heal: cut off, they
/// campaign on every timeout until the core settles, 3 of the run's 6 candidacies.
#[test]
fn elections_started_by_servers_left_out_after_the_heal_are_not_counted() {
    let bounded = calm_with(Expect { elections_per_fault_max: Some(5.0), ..Expect::default() });
    let (result, _) =
        RAFTSIM_ENGINE.run(RunSpec::from_seed(&bounded, 350, Bugs::NONE), Settings::default());
    assert!(result.failure().is_none(), "{:?}", result.verdict);
    assert_eq!(result.counters.left_out_of_core, 2);
    assert_eq!(result.counters.elections, 6, "every candidacy, in the run's counters");
    let measured = result.efficiency.expect("a settled run is measured");
    assert_eq!(measured.elections, 3, "the core's candidacies only");

    for result in run_seeds(&scenario("calm"), 0..100, Bugs::NONE, JOBS) {
        let measured = result.efficiency.expect("calm settles");
        assert!(measured.elections <= result.counters.elections);
        if result.counters.left_out_of_core == 0 {
            assert_eq!(measured.elections, result.counters.elections, "seed {}", result.seed);
        }
    }
}

#[test]
fn the_built_in_bounds_hold_for_the_correct_raft() {
    let calm = scenario("calm");
    assert!(calm.expect.contains_key("raftsim") && calm.expect.contains_key("raft-rs"));
    for result in run_seeds(&calm, 0..300, Bugs::NONE, JOBS) {
        assert_passed(&calm, &result);
    }
}

#[test]
fn a_bad_bound_is_refused_with_its_field() {
    let mut json: serde_json::Value = serde_json::from_str(&scenario("calm").to_json()).unwrap();
    json["expect"]["raftsim"]["bytes_per_commit_max"] = serde_json::json!(-5);
    let error = Scenario::from_json(&json.to_string()).unwrap_err().to_string();
    assert!(error.contains("expect.raftsim.bytes_per_commit_max"), "{error}");
    json["expect"]["raftsim"] = serde_json::json!({ "frames_per_commit": 3 });
    let error = Scenario::from_json(&json.to_string()).unwrap_err().to_string();
    assert!(error.contains("frames_per_commit"), "an unknown bound is refused: {error}");
}
