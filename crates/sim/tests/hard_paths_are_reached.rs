//! A passing campaign proves little unless it drove the cluster through the hard paths. Over
//! 2,000 seeds of `default`, every path that `Coverage` counts must be reached.

use raftsim_raft::Bugs;
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::scenario::builtin;
use raftsim_sim::{Coverage, RunSpec};

#[test]
fn a_default_campaign_reaches_every_hard_path() {
    let scenario = builtin("default").unwrap();
    let run = |seeds: std::ops::Range<u64>| {
        let mut coverage = Coverage::default();
        for seed in seeds {
            let result = RAFTSIM_ENGINE
                .run(RunSpec::from_seed(&scenario, seed, Bugs::NONE), Settings::default())
                .0;
            assert!(result.failure().is_none(), "seed {seed}: {:?}", result.failure());
            coverage.add(&result.coverage);
        }
        coverage
    };
    let mut coverage = Coverage::default();
    std::thread::scope(|scope| {
        let halves = [scope.spawn(|| run(0..1000)), scope.spawn(|| run(1000..2000))];
        for half in halves {
            coverage.add(&half.join().unwrap());
        }
    });
    assert_eq!(coverage.unreached(), Vec::<&str>::new(), "{coverage:?}");
}
