//! PreVote, CheckQuorum and leadership transfer through the simulator (issue 12, part 1): the
//! `rejoin` scenario keeps its leader with them, and shows the loss of leader stability
//! without them; the `default` scenario transfers leadership and stays safe.

mod common;

use common::{JOBS, assert_passed, run_seeds, scenario};
use raftsim_raft::Bugs;
use raftsim_sim::{Property, Scenario};

/// `rejoin` with PreVote and CheckQuorum set as given.
fn rejoin(pre_vote: bool, check_quorum: bool) -> Scenario {
    let mut scenario = scenario("rejoin");
    scenario.raft.pre_vote = pre_vote;
    scenario.raft.check_quorum = check_quorum;
    scenario
}

#[test]
fn with_prevote_and_check_quorum_a_rejoining_minority_never_deposes_the_leader() {
    let scenario = rejoin(true, true);
    let results = run_seeds(&scenario, 0..300, Bugs::NONE, JOBS);
    for result in &results {
        assert_passed(&scenario, result);
    }
    let partitions: u64 = results.iter().map(|result| result.counters.partitions).sum();
    assert!(partitions >= 300, "every seed partitions a minority away: {partitions}");
}

#[test]
fn without_prevote_a_rejoining_minority_deposes_the_leader() {
    for check_quorum in [false, true] {
        let scenario = rejoin(false, check_quorum);
        let results = run_seeds(&scenario, 0..100, Bugs::NONE, JOBS);
        let unstable = results
            .iter()
            .filter(|result| {
                result
                    .failure()
                    .is_some_and(|failure| failure.violation.property == Property::LeaderStability)
            })
            .count();
        assert!(
            unstable >= 30,
            "check_quorum {check_quorum}: only {unstable} of 100 seeds lost their leader"
        );
        for result in &results {
            if let Some(failure) = result.failure() {
                assert_eq!(failure.violation.property, Property::LeaderStability);
            }
        }
    }
}

#[test]
fn the_default_scenario_transfers_leadership_and_stays_safe() {
    let scenario = scenario("default");
    assert!(scenario.raft.pre_vote && scenario.raft.check_quorum && scenario.raft.leader_transfer);
    let results = run_seeds(&scenario, 0..200, Bugs::NONE, JOBS);
    for result in &results {
        assert_passed(&scenario, result);
    }
    let transfers: u64 = results.iter().map(|result| result.counters.transfers).sum();
    assert!(transfers >= 100, "only {transfers} transfers over 200 seeds");
}

#[test]
fn leader_stability_is_refused_with_faults_that_depose_leaders_legitimately() {
    let mut scenario = rejoin(true, true);
    scenario.faults.pauses = self::scenario("default").faults.pauses;
    let error = scenario.validate().unwrap_err().to_string();
    assert!(error.contains("leader_stability") && error.contains("faults.pauses"), "{error}");
}
