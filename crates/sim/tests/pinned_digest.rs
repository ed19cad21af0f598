//! The behaviour of the simulator is pinned: the XOR of the event hashes of seeds 0..200 of
//! the `default` scenario is fixed. An optimisation must leave it unchanged; a commit that
//! changes behaviour on purpose (the protocol, the fault model, the event encoding) updates the
//! constant and says why. `raftsim fuzz --seeds 200 --json` prints the same digest.

use raftsim_raft::Bugs;
use raftsim_sim::RunSpec;
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
use raftsim_sim::scenario::builtin;

/// Digest of seeds 0..200 of `default`.
const DEFAULT_DIGEST_0_200: u64 = 0x103299c232f48e8e;

#[test]
fn default_campaign_digest_is_pinned() {
    let scenario = builtin("default").unwrap();
    let digest = (0..200)
        .map(|seed| {
            RAFTSIM_ENGINE
                .run(RunSpec::from_seed(&scenario, seed, Bugs::NONE), Settings::default())
                .0
        })
        .inspect(|result| assert!(result.failure().is_none(), "seed {} failed", result.seed))
        .fold(0, |digest, result| digest ^ result.event_hash);
    assert_eq!(
        digest, DEFAULT_DIGEST_0_200,
        "behaviour changed: digest {digest:#018x}; if on purpose, update the constant"
    );
}
