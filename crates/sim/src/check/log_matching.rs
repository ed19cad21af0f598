//! Log Matching (§5.3, Figure 3):
//!
//! > "If two logs contain an entry with the same index and term, then the logs are identical in
//! > all entries up through the given index."
//!
//! Every entry any server writes is recorded by `(index, term)` with the chained hash of the
//! writer's log up to it ([`super::replicas`]). A later write of the same `(index, term)` with
//! a different prefix hash means two logs agree on that entry but not on everything before it
//! (or not on the entry itself). Cost: one lookup per written entry.

use super::log_view::LogView;
use super::replicas::{Recorded, Replicas};
use super::{Checked, Property, Violation};
use crate::raft_under_test::{LogEntry, NodeId};

/// `node` just wrote `entries`, and `log` is its log after the write.
pub fn check(
    node: NodeId,
    log: &LogView,
    entries: &[LogEntry],
    replicas: &mut Replicas,
) -> Checked {
    for entry in entries {
        let prefix = log.prefix(entry.index).expect("just written");
        if let Recorded::Differs(_) = replicas.record_written(entry.index, entry.term, prefix) {
            let detail = format!(
                "node {node} holds entry (index {}, term {}) on a log that differs from another \
                 log holding the same entry",
                entry.index, entry.term
            );
            return Err(Violation::new(
                Property::LogMatching,
                vec![node],
                Some(entry.index),
                detail,
            ));
        }
    }
    Ok(())
}

/// `node` writes a snapshot at `index` with prefix hash `prefix` onto `log` (its log before the
/// write), replacing the log from `log_from` on if that is set. The entries it keeps after the
/// snapshot must continue it: a log holding a snapshot of one history followed by entries of
/// another matches nothing.
pub fn check_snapshot_suffix(
    node: NodeId,
    log: &LogView,
    index: crate::raft_under_test::Index,
    prefix: u64,
    log_from: Option<crate::raft_under_test::Index>,
) -> Checked {
    let kept_last = log_from.map_or(log.last_index(), |from| log.last_index().min(from - 1));
    if kept_last <= index || log.prefix(index) == Some(prefix) {
        return Ok(());
    }
    let detail = format!(
        "node {node} installs a snapshot at index {index} that its log does not hold, and keeps \
         its entries {}..={kept_last} after it: they continue another history",
        index + 1
    );
    Err(Violation::new(Property::LogMatching, vec![node], Some(index + 1), detail))
}
