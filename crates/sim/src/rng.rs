//! Seed streams: one root seed, an independent ChaCha stream per concern.
//!
//! Each concern (the network, the fault schedule, the workload, each node) draws from its own
//! stream, so that a change in how one concern consumes randomness does not reshuffle the
//! others. This is what lets the shrinker remove a fault without changing the rest of the run.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The deterministic random source of one concern.
pub type Stream = ChaCha8Rng;

/// The concerns that draw randomness, each with its own stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Concern {
    /// Swarm choices and rates: which fault kinds a seed enables.
    Options,
    /// The fault schedule.
    Faults,
    /// Per-frame network decisions: latency, loss, duplication, corruption.
    Network,
    /// Clients: targets, payloads, backoff jitter.
    Workload,
    /// Fault targets resolved while running (e.g. a node to isolate when there is no leader).
    Runtime,
    /// Disks: fsync latencies, what a crash keeps of unsynced writes, which records rot.
    Disk,
    /// Whether a seed changes the configuration (under swarm testing).
    Membership,
    /// The membership workload: when it asks for changes, which, and when removed servers
    /// come back.
    Reconfiguration,
    /// One node: its tick phase and the seeds of each incarnation's election timer.
    Node(u64),
}

impl Concern {
    fn id(self) -> u64 {
        match self {
            Concern::Options => 1,
            Concern::Faults => 2,
            Concern::Network => 3,
            Concern::Workload => 4,
            Concern::Runtime => 5,
            Concern::Disk => 6,
            Concern::Membership => 7,
            Concern::Reconfiguration => 8,
            Concern::Node(id) => 1_000 + id,
        }
    }
}

/// The stream of `concern` under the root `seed`: the ChaCha key comes from the seed, and each
/// concern reads its own ChaCha stream (a distinct nonce), so streams never overlap.
pub fn stream(seed: u64, concern: Concern) -> Stream {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(concern.id());
    rng
}

#[cfg(test)]
mod tests {
    use rand::RngCore;

    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a = stream(7, Concern::Network).next_u64();
        assert_eq!(a, stream(7, Concern::Network).next_u64());
        assert_ne!(a, stream(7, Concern::Faults).next_u64());
        assert_ne!(a, stream(8, Concern::Network).next_u64());
        assert_ne!(stream(7, Concern::Node(1)).next_u64(), stream(7, Concern::Node(2)).next_u64());
    }
}
