//! Leader Append-Only (§5.3, Figure 3):
//!
//! > "A leader never overwrites or deletes entries in its log; it only appends new entries."
//!
//! Checked on every log write a server makes in a term it led (as the wire or its report
//! showed): a write that starts inside its log may only rewrite entries identical to the ones
//! it replaces (some implementations rewrite a suffix they already hold), and must not shorten
//! the log.

use super::log_view::LogView;
use super::{Checked, Property, Violation};
use crate::raft_under_test::{Index, LogEntry, NodeId, Term};

/// `node`, which led `term` and still writes in it, is about to write `entries` from `from`
/// over `log`.
pub fn check(
    node: NodeId,
    term: Term,
    log: &LogView,
    from: Index,
    entries: &[LogEntry],
) -> Checked {
    let last = log.last_index();
    if from > last {
        return Ok(());
    }
    let mut previous = log.prefix(from - 1).expect("a write starts within the log");
    for entry in entries.iter().take_while(|entry| entry.index <= last) {
        previous = crate::hash::chain_entry(previous, entry);
        if log.prefix(entry.index) != Some(previous) {
            return Err(rewrote(node, term, entry.index, last));
        }
    }
    let new_last = from + entries.len() as Index - 1;
    if new_last < last {
        return Err(rewrote(node, term, new_last + 1, last));
    }
    Ok(())
}

fn rewrote(node: NodeId, term: Term, index: Index, last: Index) -> Box<Violation> {
    let detail = format!(
        "leader {node} of term {term} overwrote or removed its own entry {index} (its log ended \
         at {last})"
    );
    Violation::new(Property::LeaderAppendOnly, vec![node], Some(index), detail)
}
