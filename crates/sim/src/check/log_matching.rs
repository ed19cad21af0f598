//! Log Matching (§5.3, Figure 3):
//!
//! > "If two logs contain an entry with the same index and term, then the logs are identical in
//! > all entries up through the given index."
//!
//! Every entry any node writes is recorded by `(index, term)` with the chained hash of the
//! writer's log up to it. A later write of the same `(index, term)` with a different prefix
//! hash means two logs agree on that entry but not on everything before it (or not on the entry
//! itself). Cost: one lookup per written entry.

use std::collections::BTreeMap;

use raftsim_raft::{Index, Term};

use super::{Change, Property, Violation};

/// The prefix hash of every `(index, term)` ever written.
#[derive(Default)]
pub struct LogMatching {
    /// The first term written at each index (index − 1), with its prefix hash: almost every
    /// index only ever sees one term.
    first: Vec<(Term, u64)>,
    /// Further terms written at an index.
    others: BTreeMap<(Index, Term), u64>,
}

impl LogMatching {
    /// `prefix` is the writer's durable log after `change`.
    pub fn check(&mut self, prefix: &[u64], change: &Change) -> Result<(), Box<Violation>> {
        let Some(from) = change.written_from else { return Ok(()) };
        for entry in change.written {
            debug_assert!(entry.index >= from);
            let hash = prefix[entry.index as usize - 1];
            let slot = entry.index as usize - 1;
            let recorded = if slot == self.first.len() {
                self.first.push((entry.term, hash));
                continue;
            } else if self.first[slot].0 == entry.term {
                self.first[slot].1
            } else {
                *self.others.entry((entry.index, entry.term)).or_insert(hash)
            };
            if recorded != hash {
                let detail = format!(
                    "node {} holds entry (index {}, term {}) on a log that differs from another \
                     log holding the same entry",
                    change.node, entry.index, entry.term
                );
                return Err(Violation::new(
                    Property::LogMatching,
                    vec![change.node],
                    Some(entry.index),
                    detail,
                ));
            }
        }
        Ok(())
    }
}
