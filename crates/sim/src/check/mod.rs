//! The checker: Raft's safety properties, held against the whole cluster after every step, and
//! judged from ground truth.
//!
//! The simulator tells the checker what it saw happen, as it happens: each write a server handed
//! its disk ([`Checker::on_write`]), each write the disk made durable ([`Checker::on_durable`]),
//! each message that left a server ([`Checker::on_message`]), each entry a state machine applied
//! ([`Checker::on_applied`]), and, after every input, the server's account of itself
//! ([`Checker::on_observe`]). Commitment is derived from the disks — an entry is committed once
//! a quorum durably stored it in its own term — never from a commit index; votes are judged
//! from the frames that carried them; and a server's own report is used only where nothing
//! else exists (who claims to lead, what it says its commit index is).
//!
//! Quorums are those of the configuration in effect: at an entry, the latest configuration at
//! or before it in the log that holds it (both majorities while joint), or one its leader
//! appended after it in the same term, which the leader commits by as soon as it has it.
//! Configuration entries are read from the writes like every other entry.
//!
//! Each property lives in its own module, opening with its statement from the Raft paper. The
//! checks are incremental, and chained prefix hashes turn "these logs agree up to index i" into
//! one `u64` comparison.

mod applied;
mod applied_never_rolls_back;
mod committed;
mod configurations;
mod disjoint_quorums;
mod election_safety;
mod leader_append_only;
mod leader_completeness;
pub mod leader_stability;
mod log_matching;
mod log_view;
mod monotonicity;
mod replicas;
mod single_vote;

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

pub use committed::CommitRecord;
pub use configurations::Configurations;
pub use election_safety::Evidence;
pub use log_view::LogView;

use disjoint_quorums::DisjointQuorums;
use election_safety::ElectionSafety;
use leader_completeness::LeaderCompleteness;
use replicas::Replicas;
use single_vote::SingleVote;

use crate::raft_under_test::{
    HardState, Index, Membership, MessageKind, MessageSummary, NodeId, Observation, Role, Snapshot,
    Term, WriteBatch, WriteId,
};

/// A property a run can violate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Property {
    /// At most one leader per term.
    ElectionSafety,
    /// A leader never overwrites or deletes entries in its log.
    LeaderAppendOnly,
    /// Logs that agree on an entry's index and term agree on everything before it.
    LogMatching,
    /// A committed entry is in the log of every leader of a later term.
    LeaderCompleteness,
    /// No two different entries are ever committed at the same index.
    StateMachineSafety,
    /// Every entry a server applies is, at that moment, committed.
    AppliedCommitted,
    /// A server's term never decreases, across restarts too.
    TermMonotonic,
    /// A server votes for at most one candidate per term, and records it before granting it.
    SingleVote,
    /// A server's commit index never decreases while it is up.
    CommitMonotonic,
    /// A frame damaged in transit is never acted upon.
    FrameIntegrity,
    /// Once faults heal, the cluster settles: one stable leader, every live server caught up,
    /// every client request answered, within the scenario's bound.
    Liveness,
    /// Once a leader is connected to a quorum in its term and no fault is active, the term
    /// does not change (PreVote and CheckQuorum; checked where the scenario asks).
    LeaderStability,
    /// A server's applied index and state never move backwards: not by installing a snapshot,
    /// not across a restart (which restores at least the snapshot it made durable).
    AppliedNeverRollsBack,
    /// A settled run did no more work than its scenario's `expect` bounds allow (frames and
    /// bytes per committed entry, elections per fault, time to converge after the heal).
    Efficiency,
    /// The clients' history of the key-value store is linearizable: every operation took
    /// effect at one instant between its call and its answer (judged when the run settles).
    Linearizability,
    /// raftsim itself (or the Raft code under test) panicked: always a bug.
    Panic,
    /// No two candidates gather a quorum of their configurations in one term, and no server
    /// leads a term in which it campaigned without one.
    DisjointQuorums,
    /// A leader that is not a voter of its configuration steps down once that configuration is
    /// committed.
    RemovedLeaderStepsDown,
    /// A snapshot carries the committed configuration at its last index.
    SnapshotConfiguration,
}

impl Property {
    /// Every property, in the order a step checks them.
    pub const ALL: &'static [Property] = &[
        Property::FrameIntegrity,
        Property::TermMonotonic,
        Property::SingleVote,
        Property::LogMatching,
        Property::LeaderAppendOnly,
        Property::ElectionSafety,
        Property::LeaderCompleteness,
        Property::CommitMonotonic,
        Property::StateMachineSafety,
        Property::AppliedCommitted,
        Property::AppliedNeverRollsBack,
        Property::DisjointQuorums,
        Property::RemovedLeaderStepsDown,
        Property::SnapshotConfiguration,
        Property::Liveness,
        Property::LeaderStability,
        Property::Efficiency,
        Property::Linearizability,
        Property::Panic,
    ];

    /// The kebab-case name used in reports and traces.
    pub fn name(self) -> &'static str {
        match self {
            Property::ElectionSafety => "election-safety",
            Property::LeaderAppendOnly => "leader-append-only",
            Property::LogMatching => "log-matching",
            Property::LeaderCompleteness => "leader-completeness",
            Property::StateMachineSafety => "state-machine-safety",
            Property::AppliedCommitted => "applied-committed",
            Property::TermMonotonic => "term-monotonic",
            Property::SingleVote => "single-vote",
            Property::CommitMonotonic => "commit-monotonic",
            Property::FrameIntegrity => "frame-integrity",
            Property::Liveness => "liveness",
            Property::LeaderStability => "leader-stability",
            Property::AppliedNeverRollsBack => "applied-never-rolls-back",
            Property::Efficiency => "efficiency",
            Property::Linearizability => "linearizability",
            Property::Panic => "panic",
            Property::DisjointQuorums => "disjoint-quorums",
            Property::RemovedLeaderStepsDown => "removed-leader-steps-down",
            Property::SnapshotConfiguration => "snapshot-configuration",
        }
    }

    /// The property with this name.
    pub fn from_name(name: &str) -> Option<Property> {
        Property::ALL.iter().copied().find(|property| property.name() == name)
    }
}

impl std::fmt::Display for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A property violated: which, by whom, and what was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Violation {
    /// The property.
    pub property: Property,
    /// The nodes involved.
    pub nodes: Vec<NodeId>,
    /// The log index involved, if any.
    pub index: Option<Index>,
    /// What was seen, in one line.
    pub detail: String,
}

impl Violation {
    /// A violation of `property` by `nodes` at `index`. Boxed: a violation is rare and large,
    /// and the results that may carry one are returned through every step of the hot path.
    pub fn new(
        property: Property,
        nodes: Vec<NodeId>,
        index: Option<Index>,
        detail: String,
    ) -> Box<Violation> {
        Box::new(Violation { property, nodes, index, detail })
    }
}

/// What the checker reports as it goes.
pub type Checked = Result<(), Box<Violation>>;

/// Protocol events the checker counts as it observes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// Terms that had a leader.
    pub leader_changes: u64,
    /// Highest term seen.
    pub max_term: u64,
    /// Highest committed index (ground truth).
    pub commits: u64,
    /// Entries of an earlier term committed by a majority of a later-term entry above them.
    pub prior_term_commits: u64,
}

/// What the checker knows of one server besides its logs.
#[derive(Clone, Debug, Default)]
struct NodeRecord {
    /// The term of the last hard state it handed its disk.
    written_term: Term,
    /// The last hard state its disk made durable.
    durable: HardState,
    /// Its last account of itself while running; `None` until it reports, and after a crash.
    observed: Option<Observation>,
    /// Log writes handed to the disk and not yet durable, oldest first.
    pending: VecDeque<PendingWrite>,
    /// Emptied buffers of `pending`, for reuse.
    spare: Vec<Vec<(Term, u64)>>,
    /// The last index its state machine applied (or restored from a snapshot) since it booted.
    applied: Index,
    /// The index of the snapshot its disk holds (0 for none).
    durable_snapshot: Index,
    /// Whether it booted without a configuration, to join the cluster (a spare, or a new
    /// incarnation on a wiped disk).
    joining: bool,
}

/// A log write handed to the disk and not yet durable, with the terms and prefix hashes of what
/// it writes (computed once, when written) and the configuration entries among them.
#[derive(Clone, Debug)]
struct PendingWrite {
    id: WriteId,
    hashes: Vec<(Term, u64)>,
    configs: Vec<(Index, Membership)>,
}

impl NodeRecord {
    /// Whether its disk never held anything.
    fn pristine(&self) -> bool {
        self.durable == HardState::default() && self.durable_snapshot == 0 && self.written_term == 0
    }
}

/// All properties, with their records.
pub struct Checker {
    /// The cluster's first configuration.
    initial: Membership,
    /// A majority of `initial`: every quorum while no configuration entry was written.
    quorum: usize,
    /// Whether any server wrote a configuration entry: until then, commitment is a count.
    reconfigured: bool,
    /// Configuration entries committed so far.
    committed_configuration_entries: u64,
    nodes: Vec<NodeRecord>,
    /// Per node (id − 1): its log as written (everything it handed its disk).
    written: Vec<LogView>,
    /// Per node (id − 1): its log as its disk made it durable.
    durable: Vec<LogView>,
    replicas: Replicas,
    committed: CommitRecord,
    /// The configurations of the committed prefix.
    committed_configurations: Configurations,
    disjoint_quorums: DisjointQuorums,
    election_safety: ElectionSafety,
    leader_completeness: LeaderCompleteness,
    single_vote: SingleVote,
    observed: Observed,
}

impl Checker {
    /// A checker for a cluster of `nodes` voters that all start empty, in term 0.
    pub fn new(nodes: usize) -> Checker {
        let voters: Vec<NodeId> = (1..=nodes as NodeId).collect();
        Checker::with_servers(nodes, Membership::of_voters(&voters))
    }

    /// A checker for `servers` servers (ids `1..=servers`) that all start empty, in term 0,
    /// whose first configuration is `initial`.
    pub fn with_servers(servers: usize, initial: Membership) -> Checker {
        let nodes = (1..=servers as NodeId)
            .map(|node| NodeRecord { joining: !initial.is_voter(node), ..NodeRecord::default() })
            .collect();
        Checker {
            nodes,
            quorum: initial.voters.len() / 2 + 1,
            initial,
            reconfigured: false,
            committed_configuration_entries: 0,
            written: vec![LogView::new(); servers],
            durable: vec![LogView::new(); servers],
            replicas: Replicas::default(),
            committed: CommitRecord::default(),
            committed_configurations: Configurations::default(),
            disjoint_quorums: DisjointQuorums::default(),
            election_safety: ElectionSafety::default(),
            leader_completeness: LeaderCompleteness::new(servers),
            single_vote: SingleVote::default(),
            observed: Observed::default(),
        }
    }

    fn slot(node: NodeId) -> usize {
        node as usize - 1
    }

    /// `node` handed its disk `write`.
    pub fn on_write(&mut self, node: NodeId, write: &WriteBatch) -> Checked {
        let slot = Checker::slot(node);
        if let Some(hard_state) = write.hard_state {
            self.nodes[slot].written_term = hard_state.term;
        }
        if let Some(snapshot) = &write.snapshot {
            self.on_snapshot_written(node, snapshot, write)?;
        }
        let Some(from) = write.log_from else { return Ok(()) };
        let term = self.nodes[slot].written_term;
        let log = &mut self.written[slot];
        let leads = self.election_safety.leader_of(term) == Some(node);
        if leads {
            leader_append_only::check(node, term, log, from, &write.entries)?;
        }
        log.write(from, &write.entries);
        let id = write.id.expect("a write has an id");
        let record = &mut self.nodes[slot];
        let mut hashes = record.spare.pop().unwrap_or_default();
        hashes.clear();
        hashes.extend_from_slice(log.entries_from(from));
        let configs = Configurations::of_entries(&write.entries);
        let reconfigures = !configs.is_empty();
        record.pending.push_back(PendingWrite { id, hashes, configs });
        log_matching::check(node, log, &write.entries, &mut self.replicas)?;
        if reconfigures {
            self.reconfigured = true;
            if leads {
                let log = &self.written[slot];
                let written = self.nodes[slot].pending.back().expect("just pushed");
                for &(index, _) in &written.configs {
                    let committed = &self.committed;
                    disjoint_quorums::check_configuration_append(
                        node, term, log, index, committed,
                    )?;
                }
                self.recheck_commitment(node, term)?;
            }
        }
        Ok(())
    }

    /// The leader of `term` wrote a configuration entry: it commits its term's entries before
    /// it by the new configuration's quorums from now on, so copies already durable may make
    /// one.
    fn recheck_commitment(&mut self, leader: NodeId, term: Term) -> Checked {
        let log = &self.written[Checker::slot(leader)];
        let first = self.committed.last_index() + 1;
        let newest = (first..log.last_index())
            .rev()
            .filter(|&index| log.term(index) == Some(term))
            .find_map(|index| {
                let holders = self.replicas.uncommitted_holders(index, term)?;
                self.is_commit_quorum(log, index, term, holders).then_some((index, holders))
            });
        let Some((index, holders)) = newest else { return Ok(()) };
        let prefix = log.prefix(index).expect("in the log");
        let Some(holder) = (1..=self.nodes.len() as NodeId).find(|&node| {
            holders & Membership::bit(node) != 0
                && self.durable[Checker::slot(node)].prefix(index) == Some(prefix)
        }) else {
            return Ok(()); // Every copy was lost since: the holders are gone.
        };
        self.replicas.mark_committed(index, term);
        self.on_majority(holder, index, term, prefix)
    }

    /// Whether `holders` (bit `id - 1`), who durably stored `(index, term)` in its term, are a
    /// quorum of a configuration that commits it: the one in effect at `index` in `log` (a log
    /// that holds the entry), or one the entry's leader appended after it in that term.
    fn is_commit_quorum(&self, log: &LogView, index: Index, term: Term, holders: u64) -> bool {
        if !self.reconfigured {
            return holders.count_ones() as usize >= self.quorum;
        }
        let configurations = log.configurations();
        if configurations.at(index).unwrap_or(&self.initial).is_quorum(holders) {
            return true;
        }
        let Some(leader) = self.election_safety.leader_of(term) else { return false };
        let leader_log = &self.written[Checker::slot(leader)];
        leader_log.configurations().after(index).iter().any(|(at, membership)| {
            leader_log.term(*at) == Some(term) && membership.is_quorum(holders)
        })
    }

    /// `node` hands its disk `snapshot`, in `write`: it must move its state forward, be the
    /// committed state, and the entries kept after it must continue it. The written log is
    /// then compacted behind it.
    fn on_snapshot_written(
        &mut self,
        node: NodeId,
        snapshot: &Snapshot,
        write: &WriteBatch,
    ) -> Checked {
        let slot = Checker::slot(node);
        let record = &self.nodes[slot];
        applied_never_rolls_back::check_snapshot(
            node,
            snapshot.index,
            write.snapshot_installed,
            record.applied,
            record.durable_snapshot.max(self.written[slot].base_index()),
        )?;
        let prefix = applied::check_snapshot(node, snapshot, &self.committed)?;
        let committed = self.committed_configurations.at(snapshot.index).unwrap_or(&self.initial);
        let judged = snapshot.index >= self.committed.base_index();
        if judged && snapshot.membership != *committed {
            let detail = format!(
                "node {node}'s snapshot at index {} says the configuration is {}, but the \
                 committed configuration there is {committed}",
                snapshot.index, snapshot.membership
            );
            let property = Property::SnapshotConfiguration;
            return Err(Violation::new(property, vec![node], Some(snapshot.index), detail));
        }
        let log = &mut self.written[slot];
        log_matching::check_snapshot_suffix(node, log, snapshot.index, prefix, write.log_from)?;
        log.compact(snapshot.index, snapshot.term, prefix, &snapshot.membership);
        Ok(())
    }

    /// `node`'s disk made `write` durable.
    pub fn on_durable(&mut self, node: NodeId, write: &WriteBatch) -> Checked {
        let slot = Checker::slot(node);
        if let Some(hard_state) = write.hard_state {
            let before = self.nodes[slot].durable;
            monotonicity::check_durable_term(node, before.term, hard_state.term)?;
            if let Some(candidate) = hard_state.vote {
                self.single_vote.on_durable_vote(node, hard_state.term, candidate)?;
            }
            let moved = hard_state.term > self.nodes[slot].durable.term;
            self.nodes[slot].durable = hard_state;
            if moved {
                self.forget_past_terms();
            }
        }
        if let Some(snapshot) = &write.snapshot {
            // Checked when written; the image's hash is the prefix hash at its index.
            let (_, prefix) = crate::state_machine::image_position(&snapshot.data)
                .expect("a written snapshot's image was checked");
            let durable = &mut self.durable[slot];
            durable.compact(snapshot.index, snapshot.term, prefix, &snapshot.membership);
            self.nodes[slot].durable_snapshot = snapshot.index;
            self.forget_behind_snapshots();
        }
        let Some(from) = write.log_from else { return Ok(()) };
        let write_term = self.nodes[slot].durable.term;
        let record = &mut self.nodes[slot];
        while record.pending.front().is_some_and(|pending| Some(pending.id) < write.id) {
            record.pending.pop_front();
        }
        match record.pending.pop_front() {
            Some(PendingWrite { id, hashes, configs }) if Some(id) == write.id => {
                self.durable[slot].write_hashed(from, &hashes, &configs);
                record.spare.push(hashes);
            }
            _ => {
                self.durable[slot].write(from, &write.entries);
            }
        }
        for entry in &write.entries {
            let prefix = self.durable[slot].prefix(entry.index).expect("just written");
            let (index, term) = (entry.index, entry.term);
            let Some(holders) = self.replicas.record_durable(node, index, term, prefix, write_term)
            else {
                continue;
            };
            if self.is_commit_quorum(&self.durable[slot], index, term, holders) {
                self.replicas.mark_committed(index, term);
                self.on_majority(node, index, term, prefix)?;
            }
        }
        Ok(())
    }

    /// Summarises the terms every server's disk has left behind. A server never goes back to an
    /// earlier term (checked), so once every disk holds term F or later nobody can lead a term
    /// before F again, nor can anything be committed in one (commitment needs a majority whose
    /// durable term is the entry's): their election-safety and leader-completeness records are
    /// dropped, and so are the votes of those terms. One term of margin covers messages stamped
    /// with a term their sender just left.
    ///
    /// A server whose disk never held anything (a spare not yet added, a new incarnation) is
    /// left out: it learns its term from the others, which are past the floor.
    fn forget_past_terms(&mut self) {
        let live = self.nodes.iter().filter(|record| !record.pristine());
        let floor = live.map(|record| record.durable.term).min().unwrap_or(0);
        let forget_before = floor.saturating_sub(1);
        self.disjoint_quorums.forget_before(forget_before);
        self.election_safety.forget_before(forget_before);
        self.leader_completeness.forget_before(forget_before);
        self.single_vote.forget_before(forget_before);
    }

    /// Folds what lies behind every server's durable snapshot: no server writes, applies or
    /// installs there again (a snapshot never moves back, which is checked), so the checker's
    /// memory follows the uncompacted logs, not the run's length.
    fn forget_behind_snapshots(&mut self) {
        let live = self.nodes.iter().filter(|record| !record.pristine());
        let behind = live.map(|record| record.durable_snapshot).min().unwrap_or(0);
        let behind = behind.min(self.committed.last_index());
        if behind > self.committed.base_index() {
            self.committed.compact(behind);
            self.replicas.compact(behind);
            let configurations = &mut self.committed_configurations;
            let base = configurations.at(behind).unwrap_or(&self.initial).clone();
            configurations.compact(behind, base, true);
        }
    }

    /// `(index, term)` with `prefix` is now durable on a majority in its own term, the last
    /// copy on `node`: it and everything before it are committed.
    fn on_majority(&mut self, node: NodeId, index: Index, term: Term, prefix: u64) -> Checked {
        let committed = &mut self.committed;
        if index <= committed.last_index() {
            if committed.prefix(index) != Some(prefix) {
                let detail = format!(
                    "entry (index {index}, term {term}) is durable on a majority in its term, \
                     so committed, but a different entry was committed at index {index} before"
                );
                return Err(Violation::new(
                    Property::StateMachineSafety,
                    vec![node],
                    Some(index),
                    detail,
                ));
            }
            committed.lower(index, term);
        } else {
            let log = &self.durable[Checker::slot(node)];
            let last = committed.last_index();
            if last >= log.base_index() && log.prefix(last) != committed.prefix(last) {
                let detail = format!(
                    "entry (index {index}, term {term}) is durable on a majority in its term, \
                     so committed, but its log differs from the committed log at or before \
                     index {last}"
                );
                return Err(Violation::new(
                    Property::StateMachineSafety,
                    vec![node],
                    Some(last),
                    detail,
                ));
            }
            let configs = log.configurations().after(last);
            let configs = &configs[..configs.partition_point(|&(at, _)| at <= index)];
            self.committed_configurations.write_configs(last + 1, configs);
            self.committed_configuration_entries += configs.len() as u64;
            for at in last + 1..=index {
                let entry_term = log.term(at).expect("a committed prefix is in the durable log");
                let entry_prefix = log.prefix(at).expect("a committed prefix is in the log");
                committed.push(at, entry_term, entry_prefix, term);
                if entry_term < term {
                    self.observed.prior_term_commits += 1;
                }
            }
        }
        self.observed.commits = self.committed.last_index();
        self.leader_completeness.after_commit(term, &self.written, &self.committed)
    }

    /// A message `summary` left its sender.
    pub fn on_message(&mut self, summary: &MessageSummary) -> Checked {
        match summary.kind {
            MessageKind::VoteRequest { pre: false, last_index, .. } => {
                let log = &self.written[Checker::slot(summary.from)];
                let membership = log.configurations().at(last_index).unwrap_or(&self.initial);
                self.disjoint_quorums.on_vote_request(summary.from, summary.term, membership);
                Ok(())
            }
            MessageKind::VoteResponse { pre: false, granted: true } => {
                self.single_vote.on_grant(summary.from, summary.term, summary.to)?;
                self.disjoint_quorums.on_grant(summary.from, summary.term, summary.to)
            }
            kind if kind.is_from_leader() => {
                self.led(summary.from, summary.term, Evidence::Sent(kind.name()))
            }
            _ => Ok(()),
        }
    }

    /// `node` led `term`, as `evidence` shows.
    fn led(&mut self, node: NodeId, term: Term, evidence: Evidence) -> Checked {
        if self.leader_completeness.reign(node) == Some(term) {
            return Ok(()); // Already known: the common case, a leader's every message.
        }
        if self.election_safety.check(node, term, evidence)? {
            self.disjoint_quorums.on_led(node, term)?;
            self.observed.leader_changes += 1;
            let log = &self.written[Checker::slot(node)];
            self.leader_completeness.begin(node, term, log, &self.committed)?;
        }
        Ok(())
    }

    /// `node`'s state machine applied the entry at `index`, its applied hash chain now `hash`.
    pub fn on_applied(&mut self, node: NodeId, index: Index, hash: u64) -> Checked {
        let record = &mut self.nodes[Checker::slot(node)];
        applied_never_rolls_back::check_entry(node, index, record.applied)?;
        record.applied = index;
        applied::check(node, index, hash, &self.committed)
    }

    /// `node`'s state machine restored `snapshot`: installed from a leader (and checked when it
    /// was written), or from its own disk at a restart.
    pub fn on_restored(&mut self, node: NodeId, snapshot: &Snapshot) -> Checked {
        applied::check_snapshot(node, snapshot, &self.committed)?;
        self.nodes[Checker::slot(node)].applied = snapshot.index;
        Ok(())
    }

    /// `node`, running, reports `now`.
    pub fn on_observe(&mut self, node: NodeId, now: &Observation) -> Checked {
        let slot = Checker::slot(node);
        let before = self.nodes[slot].observed;
        monotonicity::check_observed(node, before.as_ref(), now, self.nodes[slot].durable.term)?;
        if now.role == Role::Leader {
            self.led(node, now.term, Evidence::Reported)?;
            self.check_leader_is_voter(node, now)?;
        }
        if let Some(term) = self.leader_completeness.reign(node)
            && (now.role != Role::Leader || now.term != term)
        {
            self.leader_completeness.end(node, &self.written[slot]);
        }
        self.observed.max_term = self.observed.max_term.max(now.term);
        self.nodes[slot].observed = Some(*now);
        Ok(())
    }

    /// `node` reports leading: unless its configuration keeps it a voter, it must not know that
    /// configuration committed (thesis §4.2.2). Its own word on its commit index is all there
    /// is to know what it knows.
    fn check_leader_is_voter(&self, node: NodeId, now: &Observation) -> Checked {
        if !self.reconfigured {
            return Ok(()); // Every server that can lead is a voter of the first configuration.
        }
        let configurations = self.written[Checker::slot(node)].configurations();
        let latest = configurations.latest().unwrap_or(&self.initial);
        let index = configurations.latest_index();
        if latest.is_voter(node) || now.commit_index < index {
            return Ok(());
        }
        let detail = format!(
            "node {node} leads term {} with commit index {}, so knows the configuration at index \
             {index} ({latest}) committed, which removed it",
            now.term, now.commit_index
        );
        Err(Violation::new(Property::RemovedLeaderStepsDown, vec![node], Some(index), detail))
    }

    /// The cluster's first configuration.
    pub fn initial_membership(&self) -> &Membership {
        &self.initial
    }

    /// How many configuration entries were committed so far.
    pub fn committed_configuration_entries(&self) -> u64 {
        self.committed_configuration_entries
    }

    /// The committed configuration: the latest in the committed prefix.
    pub fn committed_membership(&self) -> &Membership {
        self.committed_configurations.latest().unwrap_or(&self.initial)
    }

    /// The configuration in effect at the end of `node`'s written log, as the node sees it: a
    /// server that booted without a configuration (a spare, a new incarnation) knows none
    /// until its log holds one.
    pub fn membership_of(&self, node: NodeId) -> &Membership {
        // A `const` item, which lives for the program (a `Vec`'s drop keeps the expression from
        // being promoted to one).
        const NONE: &Membership = &Membership::EMPTY;
        let slot = Checker::slot(node);
        let known = if self.nodes[slot].joining { NONE } else { &self.initial };
        self.written[slot].configurations().latest().unwrap_or(known)
    }

    /// `node` crashed: what it had not made durable is gone.
    pub fn on_crash(&mut self, node: NodeId) {
        let slot = Checker::slot(node);
        self.leader_completeness.end(node, &self.written[slot]);
        self.written[slot] = self.durable[slot].clone();
        let record = &mut self.nodes[slot];
        record.observed = None;
        record.pending.clear();
        record.written_term = record.durable.term;
        record.applied = record.durable_snapshot;
    }

    /// `node`, crashed, found its durable log corrupted from `from` on when it read it back, and
    /// lost those records: its durable (and so written) log now ends before `from`.
    ///
    /// Commitment already established stays: an entry that was durable on a majority in its
    /// term was committed then, and Raft owes every later leader that entry; a server that lost
    /// its copy to corruption must not help elect one without it (which is what the leader
    /// completeness check holds it to). The fault atlas corrupts one server at a time, so a
    /// majority of intact copies always remains.
    pub fn on_damaged(&mut self, node: NodeId, from: Index) {
        let slot = Checker::slot(node);
        self.durable[slot].write(from, &[]);
        self.written[slot] = self.durable[slot].clone();
    }

    /// `node`'s last account of itself, while running.
    pub fn observation(&self, node: NodeId) -> Option<Observation> {
        self.nodes[Checker::slot(node)].observed
    }

    /// `node`'s log as written.
    pub fn written_log(&self, node: NodeId) -> &LogView {
        &self.written[Checker::slot(node)]
    }

    /// The server that led `term`, as the messages it sent in that term prove.
    pub fn leader_of(&self, term: Term) -> Option<NodeId> {
        self.election_safety.leader_of(term)
    }

    /// `node`'s durable hard state.
    pub fn durable_hard_state(&self, node: NodeId) -> HardState {
        self.nodes[Checker::slot(node)].durable
    }

    /// Counts of protocol events seen so far.
    pub fn observed(&self) -> Observed {
        self.observed
    }

    /// The ground-truth committed prefix so far.
    pub fn committed(&self) -> &CommitRecord {
        &self.committed
    }
}

#[cfg(test)]
mod tests;
