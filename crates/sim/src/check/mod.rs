//! The checker: Raft's safety properties, held against the whole cluster after every step.
//!
//! Each property lives in its own module, opening with its statement from the Raft paper. The
//! checks are incremental: after a step the checker looks only at the node that changed and the
//! entries it wrote, committed or applied, comparing them with compact global records (chained
//! prefix hashes, so that "these two logs agree up to index i" is one `u64` comparison).
//! Crashed nodes keep their durable state, and the records span the whole run.

mod committed;
mod election_safety;
mod leader_append_only;
mod leader_completeness;
mod log_matching;
mod monotonicity;
mod state_machine_safety;

use raftsim_raft::{Entry, Index, NodeId, RoleKind, Term};
use serde::{Deserialize, Serialize};

pub use committed::CommitRecord;
use election_safety::ElectionSafety;
use leader_append_only::LeaderAppendOnly;
use leader_completeness::LeaderCompleteness;
use log_matching::LogMatching;
use monotonicity::Monotonicity;
use state_machine_safety::StateMachineSafety;

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
    /// No two servers apply (or commit) different entries at the same index.
    StateMachineSafety,
    /// A server's term never decreases, across restarts too.
    TermMonotonic,
    /// A server votes for at most one candidate per term, across restarts too.
    SingleVote,
    /// A server's commit index never decreases while it is up.
    CommitMonotonic,
    /// A frame damaged in transit is never acted upon.
    FrameIntegrity,
    /// Once faults heal, a leader commits a new command within the scenario's bound.
    Liveness,
    /// raftsim itself (or the Raft code under test) panicked: always a bug.
    Panic,
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
        Property::Liveness,
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
            Property::TermMonotonic => "term-monotonic",
            Property::SingleVote => "single-vote",
            Property::CommitMonotonic => "commit-monotonic",
            Property::FrameIntegrity => "frame-integrity",
            Property::Liveness => "liveness",
            Property::Panic => "panic",
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

/// A node's protocol state as the checker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeState {
    /// Whether the node is running (a crashed node's state is its durable state).
    pub up: bool,
    /// Its role.
    pub role: RoleKind,
    /// Its term.
    pub term: Term,
    /// Its vote in `term`.
    pub vote: Option<NodeId>,
    /// Its commit index.
    pub commit_index: Index,
    /// Its last log index.
    pub last_index: Index,
}

/// Read access to the whole cluster, for checks that compare a node with the others.
pub trait ClusterView {
    /// Ids of every node, ascending.
    fn node_ids(&self) -> std::ops::RangeInclusive<NodeId>;
    /// The state of `node`.
    fn node_state(&self, node: NodeId) -> NodeState;
    /// Chained prefix hashes of `node`'s durable log: element `i - 1` covers entries `1..=i`.
    fn prefix(&self, node: NodeId) -> &[u64];
}

/// What one step changed at one node.
#[derive(Clone, Copy, Debug, Default)]
pub struct Change<'a> {
    /// The node.
    pub node: NodeId,
    /// The node was (re)started from its disk in this step.
    pub restarted: bool,
    /// Log write persisted in this step: entries from this index on were replaced.
    pub written_from: Option<Index>,
    /// The entries written from `written_from`.
    pub written: &'a [Entry],
    /// Entries applied in this step, with the state machine's chained hash after each.
    pub applied: &'a [(Index, u64)],
}

/// Protocol events the checker counts as it observes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// Nodes that became candidates.
    pub elections: u64,
    /// Leaders elected.
    pub leader_changes: u64,
    /// Highest term seen.
    pub max_term: u64,
    /// Highest commit index seen.
    pub commits: u64,
}

/// All properties, with their records.
pub struct Checker {
    /// What the checker saw of each node after its last change.
    previous: Vec<NodeState>,
    monotonicity: Monotonicity,
    log_matching: LogMatching,
    leader_append_only: LeaderAppendOnly,
    election_safety: ElectionSafety,
    committed: CommitRecord,
    leader_completeness: LeaderCompleteness,
    state_machine_safety: StateMachineSafety,
    observed: Observed,
}

impl Checker {
    /// A checker for a cluster whose nodes all start empty, in term 0.
    pub fn new(nodes: usize) -> Checker {
        let initial = NodeState {
            up: true,
            role: RoleKind::Follower,
            term: 0,
            vote: None,
            commit_index: 0,
            last_index: 0,
        };
        Checker {
            previous: vec![initial; nodes],
            monotonicity: Monotonicity::new(nodes),
            log_matching: LogMatching::default(),
            leader_append_only: LeaderAppendOnly,
            election_safety: ElectionSafety::default(),
            committed: CommitRecord::default(),
            leader_completeness: LeaderCompleteness,
            state_machine_safety: StateMachineSafety::default(),
            observed: Observed::default(),
        }
    }

    /// Checks every property against what `change` did, in [`Property::ALL`]'s order.
    pub fn observe(
        &mut self,
        cluster: &impl ClusterView,
        change: &Change,
    ) -> Result<(), Box<Violation>> {
        let node = change.node;
        let now = cluster.node_state(node);
        let before = self.previous[node as usize - 1];
        self.monotonicity.check_term_and_vote(node, &now)?;
        self.log_matching.check(cluster.prefix(node), change)?;
        self.leader_append_only.check(node, &before, &now, change)?;
        let new_leader = now.role == RoleKind::Leader
            && (before.role != RoleKind::Leader || before.term != now.term);
        if new_leader {
            self.election_safety.check(node, now.term)?;
            self.leader_completeness.check_new_leader(
                node,
                now.term,
                cluster.prefix(node),
                &self.committed,
            )?;
            self.observed.leader_changes += 1;
        }
        if now.role == RoleKind::Candidate
            && (before.role != RoleKind::Candidate || before.term != now.term)
        {
            self.observed.elections += 1;
        }
        self.monotonicity.check_commit(node, &before, &now, change.restarted)?;
        let committed_before = self.committed.last_index();
        // Also after a log write below the commit index: a node that rewrites committed entries
        // without moving its commit index must be compared with the record all the same.
        let rewrote_committed = change.written_from.is_some_and(|from| from <= now.commit_index);
        if now.commit_index > before.commit_index || change.restarted || rewrote_committed {
            self.state_machine_safety.check_commit(
                node,
                now.term,
                now.commit_index,
                cluster.prefix(node),
                &mut self.committed,
            )?;
        }
        self.state_machine_safety.check_applied(node, change.applied)?;
        if self.committed.last_index() > committed_before {
            self.leader_completeness.check_leaders_after_commit(
                cluster,
                committed_before,
                &self.committed,
            )?;
        }
        self.observed.max_term = self.observed.max_term.max(now.term);
        self.observed.commits = self.committed.last_index();
        self.previous[node as usize - 1] = now;
        Ok(())
    }

    /// Records that `node` crashed: its volatile state is gone, so its next observed commit
    /// index may be lower (its durable one).
    pub fn observe_crash(&mut self, node: NodeId, durable: NodeState) {
        self.previous[node as usize - 1] = durable;
    }

    /// The state of `node` as of its last observed change.
    pub fn previous(&self, node: NodeId) -> NodeState {
        self.previous[node as usize - 1]
    }

    /// Counts of protocol events seen so far.
    pub fn observed(&self) -> Observed {
        self.observed
    }

    /// The cluster's committed entries as recorded so far.
    pub fn committed(&self) -> &CommitRecord {
        &self.committed
    }
}

#[cfg(test)]
mod tests;
