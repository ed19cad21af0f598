//! Stable hashes: of log entries (for the checker's prefix comparisons) and of events (for the
//! run's event hash). Both use XXH3, whose output is fixed by its specification. The event hash
//! is part of the trace format, so its encoding must not change without a new trace version;
//! entry hashes live only inside one run's checker.

use crate::raft_under_test::{EntryData, LogEntry};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The hash of a log prefix that ends with `entry`, given the hash of the prefix before it.
///
/// Chaining makes one `u64` stand for a whole prefix: two logs with equal prefix hashes at an
/// index agree on every entry up to it, which turns Log Matching and State Machine Safety into
/// O(1) comparisons per entry.
pub fn chain_entry(previous: u64, entry: &LogEntry) -> u64 {
    // Index, term and a data tag, then the payload: one XXH3 call over a stack buffer for
    // the payloads that fit it (almost all), two chained calls otherwise.
    const HEADER: usize = 17;
    const INLINE: usize = 64;
    let mut buffer = [0u8; HEADER + INLINE];
    buffer[..8].copy_from_slice(&entry.index.to_le_bytes());
    buffer[8..16].copy_from_slice(&entry.term.to_le_bytes());
    match &entry.data {
        EntryData::Empty => xxh3_64_with_seed(&buffer[..HEADER], previous),
        EntryData::Command(payload) if payload.len() <= INLINE => {
            buffer[16] = 1;
            buffer[HEADER..HEADER + payload.len()].copy_from_slice(payload);
            xxh3_64_with_seed(&buffer[..HEADER + payload.len()], previous)
        }
        EntryData::Command(payload) => {
            buffer[16] = 2;
            xxh3_64_with_seed(&buffer[..HEADER], xxh3_64_with_seed(payload, previous))
        }
        EntryData::Config(membership) => {
            buffer[16] = 3;
            let bytes = membership.to_bytes();
            xxh3_64_with_seed(&buffer[..HEADER], xxh3_64_with_seed(&bytes, previous))
        }
    }
}

/// A 32-bit digest of a frame's bytes, which stands for the frame in its event record: any
/// implementation's frames, whatever their layout.
pub fn frame_digest(frame: &[u8]) -> u32 {
    xxh3_64_with_seed(frame, 0) as u32
}

/// A digest of any bytes (a scenario's JSON, say): stable across builds and machines.
pub fn digest(bytes: &[u8]) -> u64 {
    xxh3_64_with_seed(bytes, 0)
}

/// Folds one event's canonical encoding into the running event hash.
pub fn chain_event(previous: u64, encoding: &[u8]) -> u64 {
    xxh3_64_with_seed(encoding, previous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft_under_test::Payload;

    fn command(index: u64, term: u64, data: &'static [u8]) -> LogEntry {
        LogEntry { index, term, data: EntryData::Command(Payload::from_slice(data)) }
    }

    #[test]
    fn prefix_hashes_distinguish_index_term_and_data() {
        let base = chain_entry(0, &command(1, 1, b"a"));
        assert_eq!(base, chain_entry(0, &command(1, 1, b"a")));
        assert_ne!(base, chain_entry(0, &command(1, 2, b"a")));
        assert_ne!(base, chain_entry(0, &command(2, 1, b"a")));
        assert_ne!(base, chain_entry(0, &command(1, 1, b"b")));
        assert_ne!(base, chain_entry(1, &command(1, 1, b"a")));
        assert_ne!(base, chain_entry(0, &LogEntry { index: 1, term: 1, data: EntryData::Empty }));
    }

    #[test]
    fn long_payloads_hash_too() {
        let long =
            |byte| LogEntry { index: 1, term: 1, data: EntryData::Command(vec![byte; 100].into()) };
        assert_eq!(chain_entry(0, &long(1)), chain_entry(0, &long(1)));
        assert_ne!(chain_entry(0, &long(1)), chain_entry(0, &long(2)));
    }
}
