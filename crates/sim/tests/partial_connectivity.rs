//! Partial connectivity (issue 12): the shapes of the OmniPaxos analysis and of Cloudflare's
//! etcd outage of November 2020, in both directions. With PreVote and CheckQuorum every seed of
//! `partial-connectivity` keeps a stable leader and settles; without them the same seeds lose
//! their leader or their liveness, and each test below says which of the two each shape needs.
//!
//! What each shape needs, measured on 200 seeds of `partial-connectivity` restricted to one
//! shape at a time (`jq '.faults.partitions.shapes=["chained"] | .raft.pre_vote=false' ...`):
//!
//! - *chained*, and *constrained election*: PreVote. Without it a server that never hears the
//!   leader campaigns, and the leader loses its term to it: chained, 127 of 200 seeds with
//!   CheckQuorum alone (the far end's inflated term comes back in its replies) and 132 with
//!   neither; constrained election, 102 of 200 with CheckQuorum alone and 5 with neither.
//!   PreVote alone keeps the leader: 0 of 200 for either shape.
//! - *quorum loss kept through the liveness phase*: CheckQuorum, once PreVote is on. PreVote
//!   alone deadlocks, 200 of 200 seeds: the hub still hears the leader, so it refuses every
//!   PreVote, and the leader, which reaches only the hub, can commit nothing and never steps
//!   down. Without PreVote the cluster gets out by itself (0 of 200 fail, with or without
//!   CheckQuorum): the other servers' campaigns raise the hub's term, the hub's reply deposes
//!   the leader, and the hub soon wins an election of its own.
//! - *quorum loss during the fault window* fails no check in any combination: the leader's
//!   loss of its quorum owes nothing until the heal.

mod common;

use common::{JOBS, assert_passed, run_seed, run_seeds, scenario};
use raftsim_raft::{Bug, Bugs};
use raftsim_sim::options::Options;
use raftsim_sim::{Property, RunResult, Scenario};

/// `partial-connectivity` with PreVote and CheckQuorum set as given.
fn partial(pre_vote: bool, check_quorum: bool) -> Scenario {
    let mut scenario = scenario("partial-connectivity");
    scenario.raft.pre_vote = pre_vote;
    scenario.raft.check_quorum = check_quorum;
    scenario
}

/// The property each failing result violated, with its seed.
fn failures(results: &[RunResult]) -> Vec<(u64, Property)> {
    results
        .iter()
        .filter_map(|result| result.failure().map(|f| (result.seed, f.violation.property)))
        .collect()
}

#[test]
fn with_prevote_and_check_quorum_every_seed_keeps_a_stable_leader_and_settles() {
    let scenario = partial(true, true);
    assert_eq!(scenario, self::scenario("partial-connectivity"), "both are on as shipped");
    let results = run_seeds(&scenario, 0..100, Bugs::NONE, JOBS);
    for result in &results {
        assert_passed(&scenario, result);
    }
    // Not vacuous: every seed partitions, and about half keep the quorum loss after the heal.
    let partitions: u64 = results.iter().map(|result| result.counters.partitions).sum();
    let kept: u64 = results.iter().map(|result| result.counters.quorum_loss_after_heal).sum();
    assert!(partitions >= 100, "{partitions} partitions over 100 seeds");
    assert!((25..=75).contains(&kept), "{kept} of 100 seeds kept the quorum loss");
}

#[test]
fn prevote_without_check_quorum_never_replaces_a_leader_that_lost_its_quorum() {
    // Only seeds whose liveness phase keeps the quorum loss fail, and then for liveness: the
    // leader reaches only the hub, and the hub's lease refuses every PreVote. Not every such
    // seed fails: where no leader was heard at the heal (a constrained election had left the
    // cluster without one, and the old leader, isolated, still believes it leads), a
    // campaign already under way can raise the hub's term before the old leader's first
    // heartbeat reaches it, and that deposes the old leader.
    let scenario = partial(true, false);
    let results = run_seeds(&scenario, 0..100, Bugs::NONE, JOBS);
    let kept: Vec<u64> =
        (0..100).filter(|&seed| Options::resolve(&scenario, seed).liveness.quorum_loss).collect();
    let failures = failures(&results);
    for &(seed, property) in &failures {
        assert!(kept.contains(&seed), "seed {seed} failed without a kept quorum loss");
        assert_eq!(property, Property::Liveness, "seed {seed}");
    }
    assert!(kept.len() >= 25, "only {} of 100 seeds kept the quorum loss", kept.len());
    assert!(
        failures.len() * 4 >= kept.len() * 3,
        "only {} of the {} seeds that kept the quorum loss lost their liveness",
        failures.len(),
        kept.len()
    );
}

#[test]
fn without_prevote_a_server_that_never_hears_the_leader_deposes_it() {
    for check_quorum in [true, false] {
        let mut scenario = partial(false, check_quorum);
        scenario.liveness.quorum_loss_probability = 0.0; // The fault window's shapes alone.
        let results = run_seeds(&scenario, 0..100, Bugs::NONE, JOBS);
        let failures = failures(&results);
        assert!(
            failures.len() >= 20,
            "check_quorum {check_quorum}: only {} of 100 seeds lost their leader",
            failures.len()
        );
        for (seed, property) in failures {
            assert_eq!(property, Property::LeaderStability, "check_quorum {check_quorum}: {seed}");
        }
    }
}

/// Plain Raft is live under a kept quorum loss (see the module's documentation): this is the
/// deadlock PreVote introduces and CheckQuorum undoes, not one of Raft's own.
#[test]
fn without_prevote_a_kept_quorum_loss_is_survived() {
    for check_quorum in [true, false] {
        let mut scenario = partial(false, check_quorum);
        scenario.faults.partitions = None;
        scenario.liveness.quorum_loss_probability = 1.0;
        for result in run_seeds(&scenario, 0..50, Bugs::NONE, JOBS) {
            assert_eq!(result.counters.quorum_loss_after_heal, 1);
            assert_passed(&scenario, &result);
        }
    }
}

#[test]
fn no_check_quorum_stepdown_is_caught_by_liveness_under_a_kept_quorum_loss() {
    let scenario = scenario("partial-connectivity");
    let bugs = Bugs::NONE.with(Bug::NoCheckQuorumStepdown);
    let (seed, result) = (0..20)
        .map(|seed| (seed, run_seed(&scenario, seed, bugs)))
        .find(|(_, result)| result.failure().is_some())
        .expect("caught within 20 seeds");
    let failure = result.failure().expect("failed");
    assert_eq!(failure.violation.property, Property::Liveness, "seed {seed}");
    assert!(failure.violation.detail.contains("quorum loss kept"), "{}", failure.violation.detail);
    assert_passed(&scenario, &run_seed(&scenario, seed, Bugs::NONE));
}

#[test]
fn a_quorum_loss_kept_after_the_heal_needs_four_nodes() {
    let mut scenario = scenario("partial-connectivity");
    scenario.nodes = 3;
    let error = scenario.validate().unwrap_err().to_string();
    assert!(error.contains("liveness.quorum_loss_probability"), "{error}");
}
