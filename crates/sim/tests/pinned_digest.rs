//! The behaviour of the simulator is pinned: the XOR of the event hashes of seeds 0..200 of
//! the `default` scenario is fixed. An optimisation must leave it unchanged; a commit that
//! changes behaviour on purpose (the protocol, the fault model, the event encoding) updates the
//! constant and says why. `raftsim fuzz --seeds 200 --json` prints the same digest.

use raftsim_raft::Bugs;
use raftsim_sim::scenario::builtin;
use raftsim_sim::{RunSpec, World};

/// Digest of seeds 0..200 of `default`.
const DEFAULT_DIGEST_0_200: u64 = 0xd1d2bb75803784c7;

#[test]
fn default_campaign_digest_is_pinned() {
    let scenario = builtin("default").unwrap();
    let digest = (0..200)
        .map(|seed| World::new(RunSpec::from_seed(&scenario, seed, Bugs::NONE), false).run())
        .inspect(|result| assert!(result.failure().is_none(), "seed {} failed", result.seed))
        .fold(0, |digest, result| digest ^ result.event_hash);
    assert_eq!(
        digest, DEFAULT_DIGEST_0_200,
        "behaviour changed: digest {digest:#018x}; if on purpose, update the constant"
    );
}
