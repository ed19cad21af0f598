//! The messages servers exchange. Plain Rust values: the codec turns them into frames.

use serde::{Deserialize, Serialize};

use crate::{Entry, Index, Membership, NodeId, Payload, Term};

/// A message with its sender and recipient: the unit the network carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The sending server.
    pub from: NodeId,
    /// The receiving server.
    pub to: NodeId,
    /// What is said.
    pub message: Message,
}

/// A Raft RPC or its response (the paper's Figure 2, and the thesis's PreVote and leadership
/// transfer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// A candidate asks for a vote.
    RequestVote(RequestVote),
    /// A server answers a vote request.
    RequestVoteResponse(RequestVoteResponse),
    /// A leader replicates entries (or, with none, asserts its leadership and commit point).
    AppendEntries(AppendEntries),
    /// A follower answers an append.
    AppendEntriesResponse(AppendEntriesResponse),
    /// A would-be candidate asks whether it could win an election (thesis §9.6). Its `term` is
    /// the term it would campaign in; neither side enters that term.
    PreVote(RequestVote),
    /// A server answers a PreVote: a grant carries the asked term, a refusal its own.
    PreVoteResponse(RequestVoteResponse),
    /// A leader hands its leadership over: the recipient campaigns at once (thesis §3.10).
    TimeoutNow(TimeoutNow),
    /// A leader sends one chunk of its snapshot to a follower that needs compacted entries
    /// (§7). Boxed: a chunk is rare and large, and every other message would otherwise carry
    /// its size through each move.
    InstallSnapshot(Box<InstallSnapshot>),
    /// A follower says how much of a snapshot it holds, so the leader sends the next chunk.
    /// (Once installed, the follower answers with an accepting [`AppendEntriesResponse`].)
    InstallSnapshotResponse(InstallSnapshotResponse),
    /// A leader asks its followers to confirm that it still leads, for the reads waiting on a
    /// round (thesis §6.4). (Variants are appended at the end: earlier ones keep their
    /// encoding.)
    ReadHeartbeat(ReadRound),
    /// A follower of the sender's term confirms a read round; one of a later term deposes it.
    ReadHeartbeatResponse(ReadRound),
    /// A follower asks its leader for a read index on behalf of a client.
    ReadIndex(ReadIndexRequest),
    /// A leader's answer to a [`Message::ReadIndex`]: the read may be served once `index` is
    /// applied.
    ReadIndexResponse(ReadIndexResponse),
}

impl Message {
    /// The sender's term: every message carries one, and a higher term always wins.
    pub fn term(&self) -> Term {
        match self {
            Message::RequestVote(m) => m.term,
            Message::RequestVoteResponse(m) => m.term,
            Message::AppendEntries(m) => m.term,
            Message::AppendEntriesResponse(m) => m.term,
            Message::PreVote(m) => m.term,
            Message::PreVoteResponse(m) => m.term,
            Message::TimeoutNow(m) => m.term,
            Message::InstallSnapshot(m) => m.term,
            Message::InstallSnapshotResponse(m) => m.term,
            Message::ReadHeartbeat(m) | Message::ReadHeartbeatResponse(m) => m.term,
            Message::ReadIndex(m) => m.term,
            Message::ReadIndexResponse(m) => m.term,
        }
    }

    /// Whether the message is internally consistent, as every message a correct server sends
    /// is. A node refuses anything else rather than act on it (or panic on it): a frame that
    /// passes its checksum can still be impossible, if something rewrote it on the way.
    ///
    /// - every message is of a term of at least 1 (term 0 precedes every election);
    /// - a log position `(index, term)` has index 0 exactly when its term is 0;
    /// - a vote or PreVote request's last term is below its term (a candidate has no entry of
    ///   its own term);
    /// - an append's entries follow `prev_log_index` contiguously, with terms that never
    ///   decrease, starting at or above `prev_log_term` and ending at or below the leader's term;
    /// - a rejection's conflict term is a real term no later than the response's;
    /// - a snapshot chunk describes a snapshot of a real entry no later than the leader's term,
    ///   and a chunk's end does not overflow.
    pub fn is_well_formed(&self) -> bool {
        let position = |index: Index, term: Term| (index == 0) == (term == 0);
        if self.term() == 0 {
            return false;
        }
        match self {
            Message::RequestVote(request) | Message::PreVote(request) => {
                position(request.last_log_index, request.last_log_term)
                    && request.last_log_term < request.term
            }
            Message::RequestVoteResponse(_)
            | Message::PreVoteResponse(_)
            | Message::TimeoutNow(_)
            | Message::InstallSnapshotResponse(_)
            | Message::ReadHeartbeat(_)
            | Message::ReadHeartbeatResponse(_)
            | Message::ReadIndex(_)
            | Message::ReadIndexResponse(_) => true,
            Message::InstallSnapshot(chunk) => {
                chunk.index >= 1
                    && chunk.snapshot_term >= 1
                    && chunk.snapshot_term <= chunk.term
                    && chunk.offset.checked_add(chunk.data.len() as u64).is_some()
                    && Membership::decode(&chunk.membership).is_some()
            }
            Message::AppendEntries(append) => {
                if !position(append.prev_log_index, append.prev_log_term)
                    || append.prev_log_term > append.term
                {
                    return false;
                }
                let mut previous = (append.prev_log_index, append.prev_log_term);
                for entry in &append.entries {
                    if Some(entry.index) != previous.0.checked_add(1) || entry.term < previous.1 {
                        return false;
                    }
                    if let crate::EntryData::Config(_) = &entry.data
                        && entry
                            .data
                            .membership()
                            .is_none_or(|membership| membership.voters.is_empty())
                    {
                        return false;
                    }
                    previous = (entry.index, entry.term);
                }
                previous.1 <= append.term
            }
            Message::AppendEntriesResponse(response) => match response.outcome {
                AppendOutcome::Accepted { .. } => true,
                AppendOutcome::Rejected { hint, .. } => {
                    hint.conflict_term.is_none_or(|term| term >= 1 && term <= response.term)
                }
            },
        }
    }

    /// A short name for logs and timelines.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::RequestVote(_) => "RequestVote",
            Message::RequestVoteResponse(_) => "RequestVoteResponse",
            Message::AppendEntries(_) => "AppendEntries",
            Message::AppendEntriesResponse(_) => "AppendEntriesResponse",
            Message::PreVote(_) => "PreVote",
            Message::PreVoteResponse(_) => "PreVoteResponse",
            Message::TimeoutNow(_) => "TimeoutNow",
            Message::InstallSnapshot(_) => "InstallSnapshot",
            Message::InstallSnapshotResponse(_) => "InstallSnapshotResponse",
            Message::ReadHeartbeat(_) => "ReadHeartbeat",
            Message::ReadHeartbeatResponse(_) => "ReadHeartbeatResponse",
            Message::ReadIndex(_) => "ReadIndex",
            Message::ReadIndexResponse(_) => "ReadIndexResponse",
        }
    }
}

/// RequestVote: sent by a candidate to every other voter (and, as a PreVote, by a would-be
/// candidate).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestVote {
    /// The candidate's term.
    pub term: Term,
    /// Index of the candidate's last log entry, for the up-to-date check (§5.4.1).
    pub last_log_index: Index,
    /// Term of the candidate's last log entry, for the up-to-date check (§5.4.1).
    pub last_log_term: Term,
    /// The candidate campaigns because its leader handed leadership over (TimeoutNow): voters
    /// answer it even while they still hear from that leader.
    pub transfer: bool,
}

/// TimeoutNow: a leader tells an up-to-date follower to start an election now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeoutNow {
    /// The leader's term.
    pub term: Term,
}

/// One chunk of a leader's snapshot. Chunks are sent one at a time, each after the follower
/// said how much it holds, so a follower assembles them in order; `done` marks the last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallSnapshot {
    /// The leader's term.
    pub term: Term,
    /// Last index the snapshot covers.
    pub index: Index,
    /// Term of the entry at `index`.
    pub snapshot_term: Term,
    /// Where this chunk starts in the snapshot's data.
    pub offset: u64,
    /// The chunk's bytes.
    pub data: Vec<u8>,
    /// Whether this chunk ends the snapshot.
    pub done: bool,
    /// The configuration in effect at `index` ([`Membership::encode`]), which the installer
    /// takes as its log's start. Kept encoded, as configuration entries are: a message is
    /// moved and encoded at every hop, and the other kinds should pay nothing for it.
    pub membership: Payload,
}

/// A follower's progress on a snapshot: it holds its first `received` bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallSnapshotResponse {
    /// The follower's current term.
    pub term: Term,
    /// The snapshot's last index.
    pub index: Index,
    /// Bytes of it the follower holds, in order from the start.
    pub received: u64,
}

/// A round of read confirmation: the leader's term and the round's number, which grows within a
/// leadership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadRound {
    /// The sender's term.
    pub term: Term,
    /// The round.
    pub round: u64,
}

/// A follower's request for a read index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadIndexRequest {
    /// The follower's term.
    pub term: Term,
    /// The read, as the follower's driver named it.
    pub context: u64,
    /// Whether the client asked for a lease read, which the leader may answer without a round.
    pub lease: bool,
}

/// A leader's read index for a follower's read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadIndexResponse {
    /// The leader's term.
    pub term: Term,
    /// The read, as the follower named it.
    pub context: u64,
    /// The index the follower must have applied before it answers.
    pub index: Index,
}

/// The answer to a [`RequestVote`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestVoteResponse {
    /// The voter's current term, so that a stale candidate steps down.
    pub term: Term,
    /// Whether the vote was granted.
    pub granted: bool,
}

/// AppendEntries: sent by a leader to replicate entries and as a heartbeat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendEntries {
    /// The leader's term.
    pub term: Term,
    /// Index of the entry just before `entries`.
    pub prev_log_index: Index,
    /// Term of the entry at `prev_log_index`: the follower accepts only if its log agrees.
    pub prev_log_term: Term,
    /// Entries to store, contiguous from `prev_log_index + 1`; empty for a heartbeat.
    pub entries: Vec<Entry>,
    /// The leader's commit index.
    pub leader_commit: Index,
}

/// The answer to an [`AppendEntries`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendEntriesResponse {
    /// The follower's current term, so that a stale leader steps down.
    pub term: Term,
    /// Whether the append matched, and if not, where to retry.
    pub outcome: AppendOutcome,
}

/// The result of an append, as the follower reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppendOutcome {
    /// The follower's log now matches the leader's up to `match_index` (the request's
    /// `prev_log_index` plus the number of entries it carried; never the follower's own last
    /// index, whose tail the leader has not vouched for).
    Accepted {
        /// Highest index known to match the leader's log.
        match_index: Index,
    },
    /// The follower's log does not hold the request's previous entry.
    Rejected {
        /// The `prev_log_index` of the rejected request, so the leader can ignore stale
        /// rejections.
        rejected_index: Index,
        /// Where the leader should look next (fast backtracking, §5.3).
        hint: ConflictHint,
    },
}

/// A follower's hint for fast log backtracking: instead of retrying one index at a time, the
/// leader skips a whole conflicting term at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictHint {
    /// If the follower's log is too short: its last index + 1. Otherwise the first index the
    /// follower holds of `conflict_term`.
    pub index: Index,
    /// The term of the follower's entry at the rejected index, if it has one.
    pub conflict_term: Option<Term>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EntryData;

    fn append(term: Term, prev: (Index, Term), entries: &[(Index, Term)]) -> Message {
        let entries =
            entries.iter().map(|&(index, term)| Entry { index, term, data: EntryData::Noop });
        Message::AppendEntries(AppendEntries {
            term,
            prev_log_index: prev.0,
            prev_log_term: prev.1,
            entries: entries.collect(),
            leader_commit: 0,
        })
    }

    fn rejection(term: Term, conflict_term: Option<Term>) -> Message {
        let hint = ConflictHint { index: 1, conflict_term };
        let outcome = AppendOutcome::Rejected { rejected_index: 1, hint };
        Message::AppendEntriesResponse(AppendEntriesResponse { term, outcome })
    }

    fn snapshot_chunk(term: Term, index: Index, snapshot_term: Term, offset: u64) -> Message {
        let data = vec![1, 2, 3];
        Message::InstallSnapshot(Box::new(InstallSnapshot {
            term,
            index,
            snapshot_term,
            offset,
            data,
            done: true,
            membership: crate::Membership::of_voters(&[1, 2, 3]).encode(),
        }))
    }

    #[test]
    fn impossible_messages_of_every_kind_are_malformed() {
        let vote = |term, last_log_index, last_log_term| {
            Message::RequestVote(RequestVote {
                term,
                last_log_index,
                last_log_term,
                transfer: false,
            })
        };
        let well_formed = [
            vote(1, 0, 0),
            vote(3, 7, 2),
            Message::RequestVoteResponse(RequestVoteResponse { term: 1, granted: true }),
            append(2, (0, 0), &[(1, 1), (2, 2)]),
            append(2, (4, 2), &[]),
            rejection(3, Some(2)),
            rejection(3, None),
            snapshot_chunk(4, 9, 3, 0),
        ];
        for message in &well_formed {
            assert!(message.is_well_formed(), "{message:?}");
        }
        let malformed = [
            ("term 0", vote(0, 0, 0)),
            ("index without term", vote(2, 5, 0)),
            ("term without index", vote(2, 0, 1)),
            ("a candidate's entry of its own term", vote(2, 3, 2)),
            (
                "a response of term 0",
                Message::RequestVoteResponse(RequestVoteResponse { term: 0, granted: true }),
            ),
            ("prev term after the leader's", append(2, (4, 3), &[])),
            ("prev index without term", append(2, (4, 0), &[])),
            ("a gap", append(2, (0, 0), &[(2, 1)])),
            ("terms going down", append(3, (0, 0), &[(1, 2), (2, 1)])),
            ("an entry after the leader's term", append(2, (0, 0), &[(1, 3)])),
            ("conflict term 0", rejection(3, Some(0))),
            ("conflict term after the response's", rejection(3, Some(4))),
            ("a snapshot of index 0", snapshot_chunk(4, 0, 0, 0)),
            ("a snapshot of a later term", snapshot_chunk(4, 9, 5, 0)),
            ("a chunk past the end of memory", snapshot_chunk(4, 9, 3, u64::MAX)),
        ];
        for (name, message) in &malformed {
            assert!(!message.is_well_formed(), "{name}: {message:?}");
        }
    }
}
