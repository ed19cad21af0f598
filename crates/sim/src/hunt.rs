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
            Property::LeaderCompleteness,
            "an old-term entry committed by counting is overwritten by a later leader",
        ),
        Bug::CommitWithoutQuorum => (
            "figure8",
            Property::LeaderCompleteness,
            "an entry committed on a minority is missing from the next leader",
        ),
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
            Property::StateMachineSafety,
            "an entry applied before commit is later replaced",
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
    };
    Hunt { bug, scenario, property, why }
}
