//! Leader election (§5.2): campaigns, votes, and winning.

use crate::node::{Leadership, Role};
use crate::{Bug, EntryData, Message, Node, NodeId, Progress, RequestVote, RequestVoteResponse};

impl Node {
    /// Starts an election: a new term, a vote for itself, and a vote request to every peer.
    pub(crate) fn campaign(&mut self) {
        let Some(term) = self.term.checked_add(1) else {
            // Only reachable if a peer claimed the largest term there is: nothing can follow it.
            self.reset_election_timer();
            return;
        };
        self.term = term;
        self.vote = Some(self.config.id);
        let own = 1 << self.voter_position(self.config.id);
        self.role = Role::Candidate { granted: own, answered: own };
        self.reset_election_timer();
        if self.quorum() == 1 {
            self.become_leader();
            return;
        }
        self.request_votes();
    }

    /// Sends RequestVote to every voter that has not answered yet. Called when the campaign
    /// starts and again every heartbeat interval while it lasts: RPCs are retried when they get
    /// no response (§5.1), so a lost request or reply does not cost a whole election timeout.
    pub(crate) fn request_votes(&mut self) {
        let Role::Candidate { answered, .. } = self.role else { return };
        let request = RequestVote {
            term: self.term,
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
        };
        for position in 0..self.config.voters.len() {
            if answered & (1 << position) == 0 {
                let peer = self.config.voters[position];
                self.send(peer, Message::RequestVote(request.clone()));
            }
        }
    }

    /// Grants a vote if this server has not voted for someone else in this term and the
    /// candidate's log is at least as up-to-date as its own (§5.2, §5.4.1).
    pub(crate) fn handle_request_vote(&mut self, from: NodeId, request: RequestVote) {
        let bugs = self.config.bugs;
        let up_to_date = if bugs.contains(Bug::VoteByIndexOnly) {
            request.last_log_index >= self.log.last_index()
        } else {
            self.log.is_up_to_date(request.last_log_index, request.last_log_term)
        };
        let free = self.vote.is_none_or(|vote| vote == from);
        let granted = request.term == self.term
            && (free || bugs.contains(Bug::DoubleVote) || bugs.contains(Bug::UnrecordedVote))
            && (up_to_date || bugs.contains(Bug::VoteWithoutLogCheck));
        if granted && !free && bugs.contains(Bug::UnrecordedVote) {
            // The grant leaves, but the recorded vote (and so the disk) still names the first
            // candidate.
            self.send(
                from,
                Message::RequestVoteResponse(RequestVoteResponse { term: self.term, granted }),
            );
            return;
        }
        if granted {
            self.vote = Some(from);
            if let Role::Candidate { .. } = self.role {
                // Only reachable under `double-vote`: a candidate has voted for itself. Having
                // now backed another, it stops campaigning.
                self.role = Role::Follower { leader: None };
            }
            // Granting a vote restarts the timer, so that this server does not itself start a
            // competing election while the candidate it just supported gathers votes.
            self.reset_election_timer();
        }
        self.send(
            from,
            Message::RequestVoteResponse(RequestVoteResponse { term: self.term, granted }),
        );
    }

    /// Counts a vote; a majority makes this candidate the leader.
    pub(crate) fn handle_vote_response(&mut self, from: NodeId, response: RequestVoteResponse) {
        if response.term != self.term {
            return;
        }
        let position = self.voter_position(from);
        let quorum = self.quorum();
        let Role::Candidate { granted, answered } = &mut self.role else { return };
        *answered |= 1 << position;
        if !response.granted {
            return;
        }
        *granted |= 1 << position;
        if granted.count_ones() as usize >= quorum {
            self.become_leader();
        }
    }

    /// Takes over as leader: progress for every voter, and a no-op entry of the new term so that
    /// entries from earlier terms can be committed under it (§5.4.2, §8).
    pub(crate) fn become_leader(&mut self) {
        assert!(matches!(self.role, Role::Candidate { .. }), "only a candidate becomes leader");
        assert_eq!(self.vote, Some(self.config.id), "a leader voted for itself");
        let next_index = self.log.last_index() + 1;
        let mut progress: Vec<Progress> =
            self.config.voters.iter().map(|&voter| Progress::new(voter, next_index)).collect();
        // The leader's own log is its match as far as it is durable; the rest counts once the
        // driver acknowledges it.
        let own = self.voter_position(self.config.id);
        progress[own].on_accepted(self.stable_index);
        self.role = Role::Leader(Leadership { progress, heartbeat_elapsed: 0 });
        self.append_as_leader(EntryData::Noop);
    }
}
