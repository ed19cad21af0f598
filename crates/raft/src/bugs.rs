//! Injectable bugs: deliberate breaks of one Raft rule each, off by default.
//!
//! They exist to prove the harness catches what it claims to. Each variant documents the rule it
//! breaks; the simulator's tests show that each one is caught, by the property one would expect.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! bugs {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal, $rule:literal; )*) => {
        /// One deliberately broken rule.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Bug {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Bug {
            /// Every bug, in a fixed order.
            pub const ALL: &'static [Bug] = &[$(Bug::$variant),*];

            /// The kebab-case name used on the command line and in traces.
            pub fn name(self) -> &'static str {
                match self { $(Bug::$variant => $name,)* }
            }

            /// The rule this bug breaks, in one sentence.
            pub fn rule(self) -> &'static str {
                match self { $(Bug::$variant => $rule,)* }
            }
        }
    };
}

bugs! {
    /// A voter grants its vote without checking that the candidate's log is at least as
    /// up-to-date as its own, so a leader can be elected without committed entries.
    VoteWithoutLogCheck = "vote-without-log-check",
        "a vote is granted only to a candidate whose log is at least as up-to-date (§5.4.1)";
    /// A voter grants a vote in a term where it already voted for another candidate.
    DoubleVote = "double-vote",
        "each server votes for at most one candidate in a term (§5.2)";
    /// A restarted server forgets whom it voted for, and may vote again in the same term.
    ForgetVoteOnRestart = "forget-vote-on-restart",
        "votedFor is durable: persisted before the vote is sent and restored on restart (Figure 2)";
    /// A leader commits an entry from an earlier term by counting replicas (Figure 8).
    CommitPriorTerm = "commit-prior-term",
        "a leader commits by counting replicas only entries of its current term (§5.4.2)";
    /// A leader commits an entry stored on fewer than a majority (off-by-one quorum).
    CommitWithoutQuorum = "commit-without-quorum",
        "an entry is committed only once stored on a majority of servers (§5.3)";
    /// A follower drops the suffix after a (possibly stale) append's entries even where it does
    /// not conflict, erasing entries it already acknowledged.
    TruncateOnStaleAppend = "truncate-on-stale-append",
        "a follower deletes entries only on a real conflict: same index, different term (Figure 2)";
    /// A follower accepts an append without checking its previous entry's term.
    SkipPrevLogCheck = "skip-prev-log-check",
        "an append is accepted only if the log holds prevLogIndex with prevLogTerm (§5.3)";
    /// A server treats an AppendEntries from a stale term as coming from its current leader.
    AcceptStaleTerm = "accept-stale-term",
        "requests from an older term are rejected (Figure 2: reply false if term < currentTerm)";
    /// A server applies entries to its state machine before they are committed.
    ApplyUncommitted = "apply-uncommitted",
        "only committed entries are applied to the state machine (§5.3)";
    /// The frame decoder does not verify checksums, so corrupted frames are acted on.
    IgnoreChecksum = "ignore-checksum",
        "a frame whose checksum does not match its payload is dropped";
    /// A follower's log truncation is not made durable: its disk keeps the conflicting suffix
    /// it removed in memory, and later writes land after it.
    UnpersistedTruncation = "unpersisted-truncation",
        "persistent state, the log included, is updated on stable storage before responding (Figure 2)";
    /// A voter that already voted for another candidate in this term grants the request too,
    /// leaving its recorded vote unchanged: its durable state never shows the second vote.
    UnrecordedVote = "unrecorded-vote",
        "each server votes for at most one candidate in a term, and records the vote (§5.2)";
    /// A follower applies each entry to its state machine as soon as it appends it.
    EagerApply = "eager-apply",
        "only committed entries are applied to the state machine (§5.3)";
    /// After two rejected appends in a row, the leader stops probing that follower and never
    /// retries, so the follower never catches up (a majority still commits without it).
    StalledFollower = "stalled-follower",
        "a leader retries AppendEntries to a follower indefinitely until its log matches (§5.3)";
    /// The up-to-date check compares last indexes only, ignoring last terms.
    VoteByIndexOnly = "vote-by-index-only",
        "a log is more up-to-date if its last term is later, or equal with a longer log (§5.4.1)";
    /// A would-be candidate raises its term when it starts a PreVote, before knowing it could
    /// win: a server cut off from the cluster inflates its term and, when it comes back, deposes
    /// a healthy leader.
    PreVoteBumpsTerm = "prevote-bumps-term",
        "a PreVote changes no term: only a candidate that won it starts a new term (thesis §9.6)";
    /// A follower installs a snapshot older than its commit index, moving its state machine
    /// back to an earlier point.
    StaleSnapshotInstall = "stale-snapshot-install",
        "a server ignores a snapshot that its commit index already covers (§7)";
    /// A follower installs a snapshot whose last entry its log holds in another term, and keeps
    /// the log after it anyway: a suffix from another history follows the snapshot.
    SnapshotKeepsSuffix = "snapshot-keeps-suffix",
        "a snapshot's installer keeps the entries after it only if its log holds the snapshot's last entry (§7)";
    /// A server compacts every durable entry into its snapshot, committed or not.
    CompactUncommitted = "compact-uncommitted",
        "a server snapshots and compacts only entries it has applied, which are committed (§7)";
    /// CheckQuorum is on, but a leader that has not heard from a majority keeps leading: cut
    /// off from all but one server, it holds that server's loyalty (its lease refuses every
    /// PreVote), so no one else can be elected while the partition lasts.
    NoCheckQuorumStepdown = "no-check-quorum-stepdown",
        "under CheckQuorum, a leader that has not heard from a majority within an election timeout steps down (thesis §6.2)";
    /// A leader treats every rejected append as news, even the answer to a probe it has since
    /// superseded or to entries already in flight again: each stale rejection starts another
    /// probe. Nothing unsafe happens; the leader only sends far more frames than it needs.
    ReprobeOnStaleRejection = "reprobe-on-stale-rejection",
        "a leader ignores the rejection of an append it has already superseded, and backs off once per real conflict (§5.3)";
    /// A follower acknowledges appended entries before its disk has made them durable: a
    /// leader counts copies that a crash can still take away.
    AckBeforeFsync = "ack-before-fsync",
        "a server acknowledges entries only once they are durable (Figure 2: persist before responding to RPCs)";
    /// At restart, a server takes the first corrupted record its storage found as the end of
    /// its log and votes as if nothing were lost: its lost records may have been acknowledged
    /// and counted toward a commitment (the FAST '18 failure).
    TruncateAtCorruption = "truncate-at-corruption",
        "a server whose storage lost records it may have acknowledged does not vote until its log is repaired past them (Alagappan et al., FAST '18)";
    /// After a failed fsync, a server carries on as if its write were durable, though the
    /// kernel may have dropped it.
    RetryFsync = "retry-fsync",
        "after a failed fsync a server stops and restarts from what is durable, never retrying and carrying on (fsyncgate)";
    /// A vote is sent before the record of it is durable: a crash can make the voter forget it
    /// and vote again in the same term.
    VoteBeforeFsync = "vote-before-fsync",
        "votedFor is updated on stable storage before the vote is sent (Figure 2)";
    /// The service on top of Raft (the simulator's key-value store) forgets its client
    /// sessions: a command a client retried after losing the answer is applied again. Raft
    /// itself is unchanged; only the clients' history can show it.
    NoSessionDedup = "no-session-dedup",
        "the state machine applies each client command once, answering a retry from the client's session (§6.3)";
    /// A leader answers a read at once from what it has applied, without confirming that it
    /// still leads: a deposed leader that does not know it serves stale values.
    StaleLeaderRead = "stale-leader-read",
        "a leader confirms it still leads (a heartbeat round with a majority) before it answers a read (thesis §6.4)";
    /// ReadIndex takes the leader's commit index before the leader has committed an entry of
    /// its own term, when it may still lag behind what earlier leaders committed.
    ReadBeforeNoop = "read-before-noop",
        "a leader serves reads only once an entry of its term is committed (thesis §6.4, etcd#7331)";
    /// Lease reads take the lease to last the shortest election timeout on the leader's clock,
    /// as if every clock ran at the same rate.
    LeaseIgnoresSkew = "lease-ignores-skew",
        "a lease is shortened by the clock-drift bound: another server's clock may run faster (thesis §6.4.1)";
    /// A follower that forwarded a client's write to its leader, and sees the leader change
    /// before the write is applied, retries it as a new command of its own: the client's
    /// session no longer recognises it, and it is applied twice. (The simulator's forwarding
    /// layer, not this crate, carries it out.)
    ForwardedWriteTwice = "forwarded-write-twice",
        "a forwarded write is retried under the client's own session, so that it is applied once";
    /// A leader changes the configuration before it has committed an entry of its own term:
    /// with an earlier leader's uncommitted change, two configurations whose majorities do not
    /// meet can both decide (Ongaro's bug, raft-dev, July 2015).
    SingleServerNoCurrentTermCommit = "single-server-no-current-term-commit",
        "a leader appends a new configuration only once it has committed an entry of its current term (thesis §4.2, 2015 erratum)";
    /// While joint, the leader commits entries on a majority of the incoming voters alone.
    JointCommitNewOnly = "joint-commit-new-only",
        "while joint, an entry is committed only once stored on majorities of both the outgoing and the incoming voters (§6)";
    /// A leader that removed itself keeps leading once the change is committed.
    RemovedLeaderStays = "removed-leader-stays",
        "a leader removed from the configuration steps down once the change is committed (thesis §4.2.2)";
    /// Learners grant votes, and candidates count them toward a quorum.
    LearnerVotes = "learner-votes",
        "a learner does not vote: only voters count toward an election's quorum (thesis §4.2.1)";
    /// A server snapshots with the latest configuration in its log, committed or not, and a
    /// server installing that snapshot takes it as its own.
    ConfigFromUncommittedSnapshot = "config-from-uncommitted-snapshot",
        "a snapshot carries the configuration in effect at its last index, which is committed (§7)";
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given is not a known bug.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown bug `{0}` (run `raftsim bugs` for the list)")]
pub struct UnknownBug(pub String);

impl FromStr for Bug {
    type Err = UnknownBug;

    fn from_str(name: &str) -> Result<Bug, UnknownBug> {
        Bug::ALL
            .iter()
            .copied()
            .find(|bug| bug.name() == name)
            .ok_or_else(|| UnknownBug(name.to_owned()))
    }
}

impl Serialize for Bug {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Bug {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Bug, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// A set of enabled bugs; empty (correct Raft) by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bugs(u64);

const _: () = assert!(Bug::ALL.len() <= 64, "Bugs is a 64-bit set");

impl Bugs {
    /// No bugs: the correct protocol.
    pub const NONE: Bugs = Bugs(0);

    /// Whether `bug` is enabled.
    pub fn contains(self, bug: Bug) -> bool {
        self.0 & (1 << bug as u64) != 0
    }

    /// This set with `bug` enabled too.
    pub fn with(self, bug: Bug) -> Bugs {
        Bugs(self.0 | 1 << bug as u64)
    }

    /// Whether no bug is enabled.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The enabled bugs, in [`Bug::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL.iter().copied().filter(move |&bug| self.contains(bug))
    }
}

impl FromIterator<Bug> for Bugs {
    fn from_iter<I: IntoIterator<Item = Bug>>(iter: I) -> Bugs {
        iter.into_iter().fold(Bugs::NONE, Bugs::with)
    }
}

impl Serialize for Bugs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Bugs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Bugs, D::Error> {
        Ok(Vec::<Bug>::deserialize(deserializer)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_kebab_case() {
        for &bug in Bug::ALL {
            assert_eq!(bug.name().parse::<Bug>(), Ok(bug));
            assert!(bug.name().chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(!bug.rule().is_empty());
        }
        assert!("no-such-bug".parse::<Bug>().is_err());
    }

    #[test]
    fn set_operations() {
        let bugs = Bugs::NONE.with(Bug::DoubleVote).with(Bug::IgnoreChecksum);
        assert!(bugs.contains(Bug::DoubleVote));
        assert!(!bugs.contains(Bug::CommitPriorTerm));
        assert_eq!(bugs.iter().collect::<Vec<_>>(), vec![Bug::DoubleVote, Bug::IgnoreChecksum]);
        assert!(Bugs::NONE.is_empty());
    }
}
