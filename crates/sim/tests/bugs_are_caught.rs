//! The harness catches what it claims to: every injected bug is caught on its hunt plan's
//! scenario, by the property the plan expects, within a small fraction of the seed budget.

mod common;

use std::sync::OnceLock;

use common::{assert_passed, replay_command, run_seed, scenario};
use raftsim_raft::{Bug, Bugs};
use raftsim_sim::Property;
use raftsim_sim::hunt::{SEEDS_MAX, plan};

/// Each bug must be caught within this many seeds: a quarter of the hunt budget, so that a
/// harness that grows four times blunter fails here before `raftsim hunt` gives up.
const SEEDS_TO_DETECTION_MAX: u64 = SEEDS_MAX / 4;

/// Over all bugs, the median number of seeds until the first catch may not exceed this.
const MEDIAN_SEEDS_TO_DETECTION_MAX: u64 = 100;

/// How one bug's hunt went.
struct Caught {
    bug: Bug,
    /// The first failing seed and the property it violated, if any seed below `SEEDS_MAX` failed.
    first: Option<(u64, Property)>,
}

impl Caught {
    /// Seeds run until the first catch (the first failing seed plus one).
    fn seeds_to_detection(&self) -> u64 {
        self.first.map_or(u64::MAX, |(seed, _)| seed + 1)
    }
}

/// Every bug's hunt, run once (each bug on its own thread) for all tests here.
fn hunts() -> &'static [Caught] {
    static HUNTS: OnceLock<Vec<Caught>> = OnceLock::new();
    HUNTS.get_or_init(|| {
        std::thread::scope(|scope| {
            let workers: Vec<_> =
                Bug::ALL.iter().map(|&bug| scope.spawn(move || hunt(bug))).collect();
            workers.into_iter().map(|worker| worker.join().expect("a hunt panicked")).collect()
        })
    })
}

fn hunt(bug: Bug) -> Caught {
    let scenario = scenario(plan(bug).scenario);
    let first = (0..SEEDS_MAX).find_map(|seed| {
        let result = run_seed(&scenario, seed, Bugs::NONE.with(bug));
        result.failure().map(|failure| (seed, failure.violation.property))
    });
    Caught { bug, first }
}

/// One line per bug, for assertion messages.
fn table(hunts: &[Caught]) -> String {
    let mut lines = Vec::new();
    for hunt in hunts {
        let plan = plan(hunt.bug);
        let found = match hunt.first {
            Some((seed, property)) => format!("seed {seed} ({property})"),
            None => format!("not caught in {SEEDS_MAX} seeds"),
        };
        lines.push(format!(
            "  {:<26} on {:<15} expects {:<21} first failing: {found}",
            hunt.bug.name(),
            plan.scenario,
            plan.property.name(),
        ));
    }
    lines.join("\n")
}

#[test]
fn every_injected_bug_is_caught_by_its_expected_property_well_within_the_seed_budget() {
    let hunts = hunts();
    assert_eq!(hunts.len(), Bug::ALL.len());
    let table = table(hunts);
    for hunt in hunts {
        let plan = plan(hunt.bug);
        let Some((seed, property)) = hunt.first else {
            panic!("{} is never caught on {}:\n{table}", hunt.bug, plan.scenario);
        };
        assert_eq!(
            property,
            plan.property,
            "{} is caught by the wrong property; replay: {} --bug {}\n{table}",
            hunt.bug,
            replay_command(&scenario(plan.scenario), seed),
            hunt.bug.name(),
        );
        assert!(
            hunt.seeds_to_detection() <= SEEDS_TO_DETECTION_MAX,
            "{} took {} seeds, more than {SEEDS_TO_DETECTION_MAX}:\n{table}",
            hunt.bug,
            hunt.seeds_to_detection(),
        );
    }
    let mut seeds: Vec<u64> = hunts.iter().map(Caught::seeds_to_detection).collect();
    seeds.sort_unstable();
    let median = seeds[seeds.len() / 2];
    assert!(
        median <= MEDIAN_SEEDS_TO_DETECTION_MAX,
        "median seeds to detection {median} exceeds {MEDIAN_SEEDS_TO_DETECTION_MAX}:\n{table}"
    );
}

#[test]
fn the_correct_protocol_passes_the_seeds_that_catch_each_bug() {
    // A catch only counts if the same seed passes without the bug: otherwise the failure is
    // the harness's, not the bug's.
    for caught in hunts() {
        let Some((seed, _)) = caught.first else { continue };
        let scenario = scenario(plan(caught.bug).scenario);
        let result = run_seed(&scenario, seed, Bugs::NONE);
        assert_passed(&scenario, &result);
    }
}
