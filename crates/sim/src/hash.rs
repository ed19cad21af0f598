//! Stable hashes: of log entries (for the checker's prefix comparisons) and of events (for the
//! run's event hash). Both use XXH3, whose output is fixed by its specification, so hashes are
//! comparable across builds, machines and raftsim versions that keep the encoding.

use raftsim_raft::{Entry, EntryData};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The hash of a log prefix that ends with `entry`, given the hash of the prefix before it.
///
/// Chaining makes one `u64` stand for a whole prefix: two logs with equal prefix hashes at an
/// index agree on every entry up to it, which turns Log Matching and State Machine Safety into
/// O(1) comparisons per entry.
pub fn chain_entry(previous: u64, entry: &Entry) -> u64 {
    let mut header = [0u8; 17];
    header[..8].copy_from_slice(&entry.index.to_le_bytes());
    header[8..16].copy_from_slice(&entry.term.to_le_bytes());
    let seed = match &entry.data {
        EntryData::Noop => {
            header[16] = 0;
            previous
        }
        EntryData::Command(bytes) => {
            header[16] = 1;
            xxh3_64_with_seed(bytes, previous)
        }
    };
    xxh3_64_with_seed(&header, seed)
}

/// Folds one event's canonical encoding into the running event hash.
pub fn chain_event(previous: u64, encoding: &[u8]) -> u64 {
    xxh3_64_with_seed(encoding, previous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftsim_raft::Payload;

    fn command(index: u64, term: u64, data: &'static [u8]) -> Entry {
        Entry { index, term, data: EntryData::Command(Payload::from_slice(data)) }
    }

    #[test]
    fn prefix_hashes_distinguish_index_term_and_data() {
        let base = chain_entry(0, &command(1, 1, b"a"));
        assert_eq!(base, chain_entry(0, &command(1, 1, b"a")));
        assert_ne!(base, chain_entry(0, &command(1, 2, b"a")));
        assert_ne!(base, chain_entry(0, &command(2, 1, b"a")));
        assert_ne!(base, chain_entry(0, &command(1, 1, b"b")));
        assert_ne!(base, chain_entry(1, &command(1, 1, b"a")));
        assert_ne!(base, chain_entry(0, &Entry { index: 1, term: 1, data: EntryData::Noop }));
    }

    #[test]
    fn hashes_are_pinned() {
        // The encoding is part of the trace format: a change here invalidates every trace.
        assert_eq!(chain_event(0, b"raftsim"), xxh3_64_with_seed(b"raftsim", 0));
        assert_eq!(chain_entry(0, &Entry { index: 1, term: 1, data: EntryData::Noop }), {
            let mut header = [0u8; 17];
            header[0] = 1;
            header[8] = 1;
            xxh3_64_with_seed(&header, 0)
        });
    }
}
