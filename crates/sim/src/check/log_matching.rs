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
