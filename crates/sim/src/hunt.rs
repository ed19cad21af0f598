//! Where each injected bug is hunted: the scenario that exposes it best and the property that
//! should catch it. `raftsim hunt` and the tests that prove each bug is caught share this plan.

use raftsim_raft::Bug;

use crate::check::Property;

/// How to hunt one bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hunt {
    /// The bug.
    pub bug: Bug,
    /// The built-in scenario that exposes it best.
    pub scenario: &'static str,
    /// The property expected to catch it first.
    pub property: Property,
    /// Why that property, in one line.
    pub why: &'static str,
}

/// Seeds within which every bug must be caught on its scenario.
pub const SEEDS_MAX: u64 = 2000;

/// The plan for `bug`.
pub fn plan(bug: Bug) -> Hunt {
    let (scenario, property, why) = match bug {
        Bug::PreVoteBumpsTerm => (
            "rejoin",
            Property::LeaderStability,
            "a server cut off from the cluster comes back with an inflated term and deposes a \
             healthy leader",
        ),
        Bug::NoCheckQuorumStepdown => (
            "partial-connectivity",
            Property::Liveness,
            "a leader cut off from all but one server keeps that server's loyalty, so the rest \
             of the cluster can never elect a leader while the partition lasts",
        ),
        Bug::ReprobeOnStaleRejection => (
            "reference",
            Property::Efficiency,
            "a pipelining leader re-probes on every stale rejection and sends its entries again \
             and again: over three times the bytes per commit, and nothing else amiss",
        ),
        Bug::VoteWithoutLogCheck => (
            "figure8",
            Property::LeaderCompleteness,
            "a candidate missing committed entries wins an election",
        ),
        Bug::DoubleVote => {
            ("default", Property::SingleVote, "a server backs two candidates in one term")
        }
        Bug::ForgetVoteOnRestart => (
            "crash-restart",
            Property::SingleVote,
            "a server that crashed right after voting votes again in the same term",
        ),
        Bug::CommitPriorTerm => (
            "figure8",
            Property::AppliedCommitted,
            "an old-term entry counted onto a majority by a later leader is applied, though no \
             majority stored it in its own term",
        ),
        Bug::CommitWithoutQuorum => {
            ("figure8", Property::AppliedCommitted, "an entry stored on a minority is applied")
        }
        Bug::TruncateOnStaleAppend => (
            "stale-messages",
            Property::LeaderCompleteness,
            "a delayed append erases acknowledged entries that were then committed",
        ),
        Bug::SkipPrevLogCheck => (
            "default",
            Property::LogMatching,
            "entries land after a previous entry the leader does not have",
        ),
        Bug::AcceptStaleTerm => (
            "partitions",
            Property::CommitMonotonic,
            "a deposed leader's append makes a follower discard committed entries",
        ),
        Bug::ApplyUncommitted => (
            "default",
            Property::AppliedCommitted,
            "an entry is applied before a majority holds it durably",
        ),
        Bug::IgnoreChecksum => (
            "corruption",
            Property::FrameIntegrity,
            "a frame damaged in transit is decoded and acted upon",
        ),
        Bug::UnpersistedTruncation => (
            "partitions",
            Property::LogMatching,
            "the disk keeps a removed suffix, and new entries land after it",
        ),
        Bug::UnrecordedVote => (
            "default",
            Property::SingleVote,
            "a second grant in a term leaves on the wire while the disk still names the first",
        ),
        Bug::EagerApply => (
            "calm",
            Property::AppliedCommitted,
            "a follower applies an entry before a majority holds it, though nothing diverges",
        ),
        Bug::StalledFollower => (
            "default",
            Property::Liveness,
            "a follower the leader gave up on never catches up after the heal",
        ),
        Bug::VoteByIndexOnly => (
            "figure8",
            Property::LeaderCompleteness,
            "a longer log of an older term wins an election without a committed entry",
        ),
        Bug::SingleServerNoCurrentTermCommit => (
            "membership",
            Property::DisjointQuorums,
            "a new leader appends a configuration before an entry of its term is committed, \
             while an earlier leader's change may sit on a minority with a quorum disjoint \
             from it",
        ),
        Bug::JointCommitNewOnly => (
            "membership",
            Property::DisjointQuorums,
            "while joint, the leader counts only the incoming voters: it commits the joint \
             configuration and leaves it though no majority of the outgoing voters holds it",
        ),
        Bug::RemovedLeaderStays => (
            "membership",
            Property::RemovedLeaderStepsDown,
            "a leader that removed itself still leads once it knows the change committed",
        ),
        Bug::LearnerVotes => (
            "membership",
            Property::DisjointQuorums,
            "a candidate counts a learner's vote and leads without a quorum of voters",
        ),
        Bug::ConfigFromUncommittedSnapshot => (
            "membership-churn",
            Property::SnapshotConfiguration,
            "a snapshot carries a configuration its index has not reached, which an \
             installer takes as its own",
        ),
        Bug::StaleSnapshotInstall => (
            "snapshot-churn",
            Property::AppliedNeverRollsBack,
            "a delayed or duplicated snapshot reaches a follower that applied past it",
        ),
        Bug::SnapshotKeepsSuffix => (
            "snapshot-churn",
            Property::LogMatching,
            "a follower with entries of a deposed leader installs a snapshot and keeps them",
        ),
        Bug::CompactUncommitted => (
            "snapshot-churn",
            Property::AppliedCommitted,
            "a snapshot folds in entries that no majority holds yet",
        ),
        Bug::AckBeforeFsync => (
            "disk-faults",
            Property::AppliedCommitted,
            "a leader counts an acknowledgement its follower's disk has not made good, and \
             applies an entry no majority holds durably",
        ),
        Bug::TruncateAtCorruption => (
            "disk-faults",
            Property::LeaderCompleteness,
            "a server that lost acknowledged records to corruption votes for a candidate \
             without them, which wins without a committed entry",
        ),
        Bug::RetryFsync => (
            "disk-faults",
            Property::AppliedCommitted,
            "a server carries on after a failed fsync and acknowledges entries its disk lost, \
             which the leader then counts and applies",
        ),
        Bug::VoteBeforeFsync => {
            ("disk-faults", Property::SingleVote, "a grant leaves before the disk records the vote")
        }
        Bug::NoSessionDedup => (
            "kv",
            Property::Linearizability,
            "a write whose answer was lost is retried and applied twice, so a read sees it \
             twice or after a later write",
        ),
        Bug::StaleLeaderRead => (
            "kv-reads",
            Property::Linearizability,
            "a leader answers a read from what it has applied, unconfirmed: deposed without knowing \
             it, or not yet caught up, it misses a write another leader acknowledged",
        ),
        Bug::ReadBeforeNoop => (
            "kv-reads",
            Property::Linearizability,
            "a new leader's commit index lags behind what its predecessor committed, and a read \
             index taken from it misses an acknowledged write",
        ),
        Bug::LeaseIgnoresSkew => (
            "kv-reads",
            Property::Linearizability,
            "a leader whose clock runs slow trusts its lease after followers with fast clocks \
             have elected another leader, and answers a stale read",
        ),
        Bug::ForwardedWriteTwice => (
            "kv",
            Property::Linearizability,
            "a write a follower forwarded is applied, the follower sees a new leader before it \
             applies it too, and its retry under a new id applies it again",
        ),
    };
    Hunt { bug, scenario, property, why }
}
