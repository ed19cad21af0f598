//! Leader election (§5.2): PreVote, campaigns, votes, winning — and keeping or handing over
//! leadership (CheckQuorum, TimeoutNow).

use crate::membership::{IdSet, bit};
use crate::node::{Leadership, Role};
use crate::read::LeaderReads;
use crate::{Bug, EntryData, Message, Node, NodeId, RequestVote, RequestVoteResponse, TimeoutNow};

impl Node {
    /// The voters this server asks for votes: every voter of its configuration but itself
    /// (learners too under `learner-votes`).
    fn electorate(&self) -> Vec<NodeId> {
        let membership = self.membership();
        let mut electorate = membership.all_voters();
        if self.config.bugs.contains(Bug::LearnerVotes) {
            electorate.extend_from_slice(&membership.learners);
        }
        electorate.retain(|&peer| peer != self.config.id);
        electorate
    }

    /// Whether the votes in `granted` elect this server: a quorum of its configuration (of
    /// both voter sets while joint). Under `learner-votes`, a learner's grant counts toward
    /// each majority as a voter's would.
    pub(crate) fn wins_with(&self, granted: IdSet) -> bool {
        let membership = self.membership();
        if self.config.bugs.contains(Bug::LearnerVotes) {
            let set = |ids: &[NodeId]| ids.iter().fold(0, |set, &id| set | bit(id));
            let learners = set(&membership.learners);
            let majority = |voters: &[NodeId]| {
                ((set(voters) | learners) & granted).count_ones() as usize > voters.len() / 2
            };
            return !membership.voters.is_empty()
                && majority(&membership.voters)
                && (membership.outgoing.is_empty() || majority(&membership.outgoing));
        }
        membership.is_quorum(granted)
    }

    /// Whether this server may stand for election: it votes in its latest configuration, or in
    /// the one in effect at its commit index. The second keeps a server that holds an
    /// uncommitted change removing it able to finish that change: its log may be the only one
    /// up to date enough to win, and it leads until the change commits (thesis §4.2.2). A
    /// server whose removal it knows committed stands no more.
    pub(crate) fn may_campaign(&self) -> bool {
        let id = self.config.id;
        self.membership().is_voter(id) || self.configurations.at(self.commit_index).is_voter(id)
    }

    /// The election timer expired: campaign, or with PreVote first ask whether a campaign could
    /// win (thesis §9.6), staying in the current term until a majority says it could.
    pub(crate) fn start_election(&mut self) {
        if !self.may_elect() || !self.may_campaign() {
            // Its log may lack entries it acknowledged: it waits for a leader to repair it.
            // Or it does not vote in its configuration: only voters stand.
            self.reset_election_timer();
            return;
        }
        if !self.config.pre_vote || self.wins_with(bit(self.config.id)) {
            return self.campaign(false);
        }
        if self.config.bugs.contains(Bug::PreVoteBumpsTerm)
            && let Some(term) = self.term.checked_add(1)
        {
            self.term = term;
            self.vote = None;
        }
        let own = bit(self.config.id);
        self.role = Role::PreCandidate { granted: own, answered: own };
        self.reset_election_timer();
        self.request_votes();
    }

    /// Starts an election: a new term, a vote for itself, and a vote request to every peer.
    /// `transfer` says the leader handed over (TimeoutNow), which voters honour even while they
    /// still hear from it.
    pub(crate) fn campaign(&mut self, transfer: bool) {
        let Some(term) = self.term.checked_add(1) else {
            // Only reachable if a peer claimed the largest term there is: nothing can follow it.
            self.reset_election_timer();
            return;
        };
        self.term = term;
        self.vote = Some(self.config.id);
        let own = bit(self.config.id);
        self.role = Role::Candidate { granted: own, answered: own, transfer };
        self.reset_election_timer();
        if self.wins_with(own) {
            self.become_leader();
            return;
        }
        self.request_votes();
    }

    /// Sends RequestVote to every voter that has not answered yet. Called when the campaign
    /// starts and again every heartbeat interval while it lasts: RPCs are retried when they get
    /// no response (§5.1), so a lost request or reply does not cost a whole election timeout.
    /// A pre-candidate's PreVote requests go out the same way, for the term it would campaign in.
    pub(crate) fn request_votes(&mut self) {
        let (answered, pre, transfer) = match self.role {
            Role::Candidate { answered, transfer, .. } => (answered, false, transfer),
            Role::PreCandidate { answered, .. } => (answered, true, false),
            Role::Follower { .. } | Role::Leader(_) => return,
        };
        let Some(term) = (if pre { self.term.checked_add(1) } else { Some(self.term) }) else {
            return;
        };
        let request = RequestVote {
            term,
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
            transfer,
        };
        for peer in self.electorate() {
            if answered & bit(peer) == 0 {
                let message = if pre {
                    Message::PreVote(request.clone())
                } else {
                    Message::RequestVote(request.clone())
                };
                self.send(peer, message);
            }
        }
    }

    /// Whether this server heard from a leader of its term within the shortest election
    /// timeout (a leader hears itself): it then refuses PreVotes, and under CheckQuorum
    /// disregards higher-term candidates, since a working leader exists.
    pub(crate) fn heard_from_leader_recently(&self) -> bool {
        match self.role {
            Role::Leader(_) => true,
            _ if self.lease_guard_ticks > 0 => true,
            Role::Follower { leader: Some(_) } => {
                self.election_elapsed < self.config.election_timeout_ticks_min
            }
            Role::Follower { leader: None }
            | Role::PreCandidate { .. }
            | Role::Candidate { .. } => false,
        }
    }

    /// Answers a PreVote: would this server vote for that candidate in the term it asks about?
    /// Yes if that term is ahead of its own (or is its own with its vote still free), no leader
    /// was heard from lately, and the candidate's log is at least as up-to-date. Changes
    /// nothing here: no term, no vote, no timer.
    pub(crate) fn handle_pre_vote(&mut self, from: NodeId, request: RequestVote) {
        let free = request.term > self.term
            || (request.term == self.term && self.vote.is_none_or(|vote| vote == from));
        let granted = free
            && self.may_elect()
            && !self.heard_from_leader_recently()
            && self.log.is_up_to_date(request.last_log_index, request.last_log_term);
        let term = if granted { request.term } else { self.term };
        self.send(from, Message::PreVoteResponse(RequestVoteResponse { term, granted }));
    }

    /// Counts a PreVote answer; a majority of grants starts the real campaign.
    pub(crate) fn handle_pre_vote_response(&mut self, from: NodeId, response: RequestVoteResponse) {
        let asked = self.term.checked_add(1);
        let counts = if response.granted {
            Some(response.term) == asked
        } else {
            response.term == self.term
        };
        if !counts {
            return; // An answer to an older round.
        }
        let Role::PreCandidate { granted, answered } = &mut self.role else { return };
        *answered |= bit(from);
        if !response.granted {
            return;
        }
        *granted |= bit(from);
        let granted = *granted;
        if self.wins_with(granted) {
            self.campaign(false);
        }
    }

    /// The leader of this term handed over: campaign now, without PreVote.
    pub(crate) fn handle_timeout_now(&mut self, from: NodeId, timeout: TimeoutNow) {
        let from_leader =
            matches!(self.role, Role::Follower { leader: Some(leader) } if leader == from);
        if timeout.term == self.term && from_leader && self.may_elect() && self.may_campaign() {
            self.campaign(true);
        }
    }

    /// CheckQuorum's count, every shortest election timeout: a leader that heard from fewer than
    /// a majority (itself included) since the last count steps down. Returns whether it still
    /// leads.
    pub(crate) fn check_quorum(&mut self) -> bool {
        let id = self.config.id;
        let Role::Leader(leadership) = &mut self.role else { return false };
        let active = leadership
            .progress
            .iter()
            .filter(|progress| progress.node == id || progress.recent_active)
            .fold(0, |set, progress| set | bit(progress.node));
        leadership.quorum_elapsed = 0;
        for progress in &mut leadership.progress {
            progress.recent_active = false;
        }
        if self.membership().is_quorum(active)
            || self.config.bugs.contains(Bug::NoCheckQuorumStepdown)
        {
            return true;
        }
        self.become_follower(self.term, None);
        false
    }

    /// Tells the transfer's target to campaign now: its log matches the leader's.
    pub(crate) fn send_timeout_now(&mut self) {
        let term = self.term;
        let Role::Leader(leadership) = &mut self.role else { return };
        let Some(transfer) = &mut leadership.transfer else { return };
        if transfer.sent {
            return;
        }
        transfer.sent = true;
        let target = transfer.target;
        // The target may be elected at once, whatever its voters heard: no lease holds now.
        leadership.reads.forfeit_lease();
        self.send(target, Message::TimeoutNow(TimeoutNow { term }));
    }

    /// Grants a vote if this server has not voted for someone else in this term and the
    /// candidate's log is at least as up-to-date as its own (§5.2, §5.4.1) — whatever its own
    /// configuration says (thesis §4.1): a server just added may be needed for a quorum
    /// before its configuration entry reaches it, and the candidate decides whose votes count.
    /// (Safe because an id is never reused: a wiped server comes back under a new one.)
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
            && (up_to_date || bugs.contains(Bug::VoteWithoutLogCheck))
            && (request.transfer || self.lease_guard_ticks == 0)
            && self.may_elect();
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
            if let Role::Candidate { .. } | Role::PreCandidate { .. } = self.role {
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
        let Role::Candidate { granted, answered, .. } = &mut self.role else { return };
        *answered |= bit(from);
        if !response.granted {
            return;
        }
        *granted |= bit(from);
        let granted = *granted;
        if self.wins_with(granted) {
            self.become_leader();
        }
    }

    /// Takes over as leader: progress for every voter, and a no-op entry of the new term so that
    /// entries from earlier terms can be committed under it (§5.4.2, §8).
    pub(crate) fn become_leader(&mut self) {
        assert!(matches!(self.role, Role::Candidate { .. }), "only a candidate becomes leader");
        assert_eq!(self.vote, Some(self.config.id), "a leader voted for itself");
        self.role = Role::Leader(Leadership {
            progress: Vec::new(),
            heartbeat_elapsed: 0,
            quorum_elapsed: 0,
            transfer: None,
            reads: LeaderReads::default(),
        });
        self.track_members();
        self.append_as_leader(EntryData::Noop);
    }
}
