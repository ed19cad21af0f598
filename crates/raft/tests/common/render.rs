//! Compact text for messages and server states, for transcripts and assertion messages.
//!
//! A message is one line: `1->2 AppendEntries term=2 prev=(3,1) entries=[4@2] commit=3`, where
//! `prev` is `(index,term)` and an entry is `index@term`, with `:noop` for a leader's no-op.

use std::fmt::Write as _;

use raftsim_raft::{AppendOutcome, Entry, EntryData, Envelope, Message, Node, RoleKind};

use super::{Cluster, Sent};

/// One entry: `4@2`, `3@2:noop`, or `5@2:config[1, 2, 4]`.
pub fn entry(entry: &Entry) -> String {
    match &entry.data {
        EntryData::Noop => format!("{}@{}:noop", entry.index, entry.term),
        EntryData::Command(_) => format!("{}@{}", entry.index, entry.term),
        EntryData::Config(_) => {
            let voters = entry.data.membership().map(|membership| membership.voters);
            format!("{}@{}:config{:?}", entry.index, entry.term, voters.unwrap_or_default())
        }
    }
}

/// Entries separated by spaces.
pub fn entries(entries: &[Entry]) -> String {
    entries.iter().map(entry).collect::<Vec<_>>().join(" ")
}

/// One message, on one line.
pub fn message(envelope: &Envelope) -> String {
    let body = match &envelope.message {
        Message::RequestVote(request) => format!(
            "RequestVote term={} last=({},{}){}",
            request.term,
            request.last_log_index,
            request.last_log_term,
            if request.transfer { " transfer" } else { "" }
        ),
        Message::PreVote(request) => format!(
            "PreVote term={} last=({},{})",
            request.term, request.last_log_index, request.last_log_term
        ),
        Message::PreVoteResponse(response) => format!(
            "PreVoteResponse term={} {}",
            response.term,
            if response.granted { "granted" } else { "refused" }
        ),
        Message::TimeoutNow(timeout) => format!("TimeoutNow term={}", timeout.term),
        Message::InstallSnapshot(chunk) => format!(
            "InstallSnapshot term={} snapshot=({},{}) bytes={}..{}{}",
            chunk.term,
            chunk.index,
            chunk.snapshot_term,
            chunk.offset,
            chunk.offset + chunk.data.len() as u64,
            if chunk.done { " done" } else { "" }
        ),
        Message::InstallSnapshotResponse(response) => format!(
            "InstallSnapshotResponse term={} snapshot={} received={}",
            response.term, response.index, response.received
        ),
        Message::RequestVoteResponse(response) => format!(
            "RequestVoteResponse term={} {}",
            response.term,
            if response.granted { "granted" } else { "refused" }
        ),
        Message::AppendEntries(append) => format!(
            "AppendEntries term={} prev=({},{}) entries=[{}] commit={}",
            append.term,
            append.prev_log_index,
            append.prev_log_term,
            entries(&append.entries),
            append.leader_commit
        ),
        Message::AppendEntriesResponse(response) => match response.outcome {
            AppendOutcome::Accepted { match_index } => {
                format!("AppendEntriesResponse term={} accepted match={match_index}", response.term)
            }
            AppendOutcome::Rejected { rejected_index, hint } => format!(
                "AppendEntriesResponse term={} rejected prev={rejected_index} hint=(index={}, term={})",
                response.term,
                hint.index,
                hint.conflict_term.map_or("none".to_owned(), |term| term.to_string())
            ),
        },
        Message::ReadHeartbeat(round) => {
            format!("ReadHeartbeat term={} round={}", round.term, round.round)
        }
        Message::ReadHeartbeatResponse(round) => {
            format!("ReadHeartbeatResponse term={} round={}", round.term, round.round)
        }
        Message::ReadIndex(request) => format!(
            "ReadIndex term={} context={}{}",
            request.term,
            request.context,
            if request.lease { " lease" } else { "" }
        ),
        Message::ReadIndexResponse(response) => format!(
            "ReadIndexResponse term={} context={} index={}",
            response.term, response.context, response.index
        ),
    };
    format!("{}->{} {body}", envelope.from, envelope.to)
}

/// One server's state: role, term, vote, commit, last index, and its log's terms.
pub fn node(node: &Node) -> String {
    let role = match node.role() {
        RoleKind::Follower => "follower",
        RoleKind::PreCandidate => "precandidate",
        RoleKind::Candidate => "candidate",
        RoleKind::Leader => "leader",
    };
    let vote = node.vote().map_or("-".to_owned(), |vote| vote.to_string());
    let terms: Vec<String> =
        node.log().entries().iter().map(|entry| entry.term.to_string()).collect();
    format!(
        "n{} {role:<9} term={} vote={vote} commit={} last={} log=[{}]",
        node.id(),
        node.term(),
        node.commit_index(),
        node.log().last_index(),
        terms.join(" ")
    )
}

/// A transcript: a cluster driven by a script, with what each step sent (`sent`, or `lost` on a
/// cut link) and the state of every server after it (lines starting with `|`).
pub struct Transcript {
    /// The cluster being driven.
    pub cluster: Cluster,
    text: String,
}

impl Transcript {
    /// Starts a transcript of `cluster`, with its initial state.
    pub fn new(cluster: Cluster, title: &str) -> Transcript {
        let mut transcript = Transcript { cluster, text: String::new() };
        writeln!(transcript.text, "# {title}").unwrap();
        transcript.text.push_str(
            "# prev=(index,term); an entry is index@term; log=[...] lists terms by index\n\
             # after each step: the messages it sent (or lost on a cut link), then every server\n",
        );
        transcript.cluster.take_sent();
        transcript.write_states("initial state");
        transcript
    }

    /// Runs one scripted step and records what it sent and the states after it.
    pub fn step(&mut self, description: &str, action: impl FnOnce(&mut Cluster)) {
        action(&mut self.cluster);
        self.write_states(description);
    }

    /// Adds a free-text note (an explanation) to the transcript.
    pub fn note(&mut self, note: &str) {
        writeln!(self.text, "# {note}").unwrap();
    }

    fn write_states(&mut self, description: &str) {
        writeln!(self.text, "\n> {description}").unwrap();
        for Sent { envelope, dropped } in self.cluster.take_sent() {
            let verb = if dropped { "lost" } else { "sent" };
            writeln!(self.text, "  {verb} {}", message(&envelope)).unwrap();
        }
        for node in self.cluster.nodes() {
            writeln!(self.text, "  | {}", self::node(node)).unwrap();
        }
    }

    /// The text so far.
    pub fn text(&self) -> &str {
        &self.text
    }
}
