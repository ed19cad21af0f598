//! Leader Completeness (§5.4, Figure 3):
//!
//! > "If a log entry is committed in a given term, then that entry will be present in the logs
//! > of the leaders for all higher-numbered terms."
//!
//! Judged against the ground-truth commitment ([`super::replicas`]), at two moments: when a
//! server is first seen leading term U, its log must hold every entry committed in a term
//! before U; and when entries are committed in term T, *every* leader of a term after T must
//! have held them — the current ones, and those whose term is over, including leaders elected
//! before the majority was complete (Raft guarantees both; a counterexample is a real
//! violation). A leader's log only grows during its term (Leader Append-Only), so the log it
//! had when its term ended is remembered, in the compact form of its term runs, and checked by
//! the term at an index (which, by Log Matching, decides the whole prefix).

use std::collections::BTreeMap;

use super::log_view::{LogView, term_in_runs};
use super::{CommitRecord, Property, Violation};
use crate::raft_under_test::{Index, NodeId, Term};

/// A term whose leader's term is over, and the log that leader had at its end.
struct PastReign {
    node: NodeId,
    runs: Vec<(Index, Term)>,
    last_index: Index,
    /// The prefix hash of its log's compacted base (the first run starts there).
    base_prefix: u64,
}

/// The reigns seen so far.
pub struct LeaderCompleteness {
    /// Per node (id − 1): the term it currently leads, if any.
    active: Vec<Option<Term>>,
    past: BTreeMap<Term, PastReign>,
}

impl LeaderCompleteness {
    pub fn new(nodes: usize) -> LeaderCompleteness {
        LeaderCompleteness { active: vec![None; nodes], past: BTreeMap::new() }
    }

    /// The term `node` currently leads, if any.
    pub fn reign(&self, node: NodeId) -> Option<Term> {
        self.active[node as usize - 1]
    }

    /// `node` is first seen leading `term`, with `log`: it must hold everything committed
    /// before `term`.
    pub fn begin(
        &mut self,
        node: NodeId,
        term: Term,
        log: &LogView,
        committed: &CommitRecord,
    ) -> Result<(), Box<Violation>> {
        self.active[node as usize - 1] = Some(term);
        let required = committed.last_index_committed_before(term);
        check_view(node, term, log, required, committed)
    }

    /// Forgets the reigns of terms before `term`: nothing can be committed in a term before it
    /// any more, so no later commit can require anything of them.
    pub fn forget_before(&mut self, term: Term) {
        self.past = self.past.split_off(&term);
    }

    /// `node`'s reign, if any, is over; `log` is its log at the end.
    pub fn end(&mut self, node: NodeId, log: &LogView) {
        if let Some(term) = self.active[node as usize - 1].take() {
            let base_prefix = log.prefix(log.base_index()).expect("the base is in view");
            let reign = PastReign {
                node,
                runs: log.term_runs(),
                last_index: log.last_index(),
                base_prefix,
            };
            self.past.insert(term, reign);
        }
    }

    /// Entries up to some index were just committed in `term` (or found committed earlier than
    /// recorded): every leader of a later term, current or past, must hold what it requires.
    pub fn after_commit(
        &self,
        term: Term,
        logs: &[LogView],
        committed: &CommitRecord,
    ) -> Result<(), Box<Violation>> {
        for (position, reign) in self.active.iter().enumerate() {
            if let Some(reign) = *reign
                && reign > term
            {
                let required = committed.last_index_committed_before(reign);
                check_view(position as NodeId + 1, reign, &logs[position], required, committed)?;
            }
        }
        for (&reign_term, reign) in self.past.range(term + 1..) {
            let required = committed.last_index_committed_before(reign_term);
            if required <= committed.base_index() {
                continue; // Nothing required beyond what every snapshot holds, checked then.
            }
            let base = reign.runs[0].0;
            if required < base {
                // Compacted: the snapshot it led with must continue the committed log.
                let at = base.min(committed.last_index());
                if at == base
                    && base >= committed.base_index()
                    && committed.prefix(base) != Some(reign.base_prefix)
                {
                    let detail = format!(
                        "node {} led term {reign_term} from a snapshot at {base} that is not the \
                         committed log",
                        reign.node
                    );
                    return Err(Violation::new(
                        Property::LeaderCompleteness,
                        vec![reign.node],
                        Some(base),
                        detail,
                    ));
                }
                continue;
            }
            let held = term_in_runs(&reign.runs, reign.last_index, required);
            if held != committed.term(required) {
                let detail = format!(
                    "node {} led term {reign_term} without committed entry {required} (term {}), \
                     committed in a term before {reign_term}; its log in term {reign_term} ended \
                     at {} with term {} there",
                    reign.node,
                    committed.term(required).unwrap_or(0),
                    reign.last_index,
                    held.map_or("none".to_owned(), |term| term.to_string()),
                );
                return Err(Violation::new(
                    Property::LeaderCompleteness,
                    vec![reign.node],
                    Some(required),
                    detail,
                ));
            }
        }
        Ok(())
    }
}

/// Whether `log` holds the committed prefix up to `required`; a violation naming the first
/// committed entry it lacks otherwise.
fn check_view(
    node: NodeId,
    term: Term,
    log: &LogView,
    required: Index,
    committed: &CommitRecord,
) -> Result<(), Box<Violation>> {
    // A log compacted past `required` holds it if its snapshot continues the committed log.
    let at = required.max(log.base_index()).min(committed.last_index());
    if required == 0 || log.prefix(at) == committed.prefix(at) {
        return Ok(());
    }
    let first_missing = (log.base_index().max(1)..=required)
        .find(|&index| log.prefix(index) != committed.prefix(index))
        .unwrap_or(required);
    let detail = format!(
        "leader {node} of term {term} lacks committed entry {first_missing} (its log ends at {}, \
         and {required} entries were committed before term {term})",
        log.last_index()
    );
    Err(Violation::new(Property::LeaderCompleteness, vec![node], Some(first_missing), detail))
}
