//! Log replication (§5.3) and the commitment rule (§5.4.2): how a leader ships entries, how a
//! follower reconciles its log, and when an entry is committed.

use crate::node::{Leadership, Role};
use crate::progress::ReplicationState;
use crate::{
    AppendEntries, AppendEntriesResponse, AppendOutcome, Bug, ConflictHint, Entry, EntryData,
    Index, Message, Node, NodeId,
};

impl Node {
    /// Appends an entry of the current term to a leader's own log. Returns its index.
    /// The leader's own progress advances only when the driver acknowledges the write
    /// ([`Node::on_persisted`]): counting an entry that is not yet durable here toward a quorum
    /// could commit an entry that a crash of the leader then loses.
    pub(crate) fn append_as_leader(&mut self, data: EntryData) -> Index {
        let index = self.log.last_index() + 1;
        self.append_to_log(Entry { index, term: self.term, data });
        index
    }

    /// Whether some follower can be sent entries now.
    pub(crate) fn has_appends_to_send(&self) -> bool {
        let Role::Leader(leadership) = &self.role else { return false };
        let last_index = self.log.last_index();
        leadership.progress.iter().any(|progress| {
            progress.node != self.config.id
                && progress.next_index <= last_index
                && progress.can_send(self.config.max_inflight_messages)
        })
    }

    /// Sends every follower what it is missing, within its window: called when the driver takes
    /// a `Ready`, so that proposals made since the last one travel together.
    pub(crate) fn send_appends(&mut self) {
        if !self.has_appends_to_send() {
            return;
        }
        let Role::Leader(leadership) = &self.role else { return };
        for position in 0..leadership.progress.len() {
            while self.try_send_append(position) {}
        }
    }

    /// Sends one append with entries to the voter at `position` if its progress allows.
    /// Returns whether it sent.
    fn try_send_append(&mut self, position: usize) -> bool {
        let Role::Leader(leadership) = &self.role else { return false };
        let progress = &leadership.progress[position];
        if progress.node == self.config.id
            || progress.next_index > self.log.last_index()
            || !progress.can_send(self.config.max_inflight_messages)
        {
            return false;
        }
        self.send_append(position, progress.next_index);
        true
    }

    /// Sends the voter at `position` an append starting after `prev_log_index + 1`, with as
    /// many entries as the batching limits allow (possibly none: a probe or a heartbeat).
    fn send_append(&mut self, position: usize, next_index: Index) {
        if next_index <= self.log.snapshot_index() {
            return self.send_snapshot_chunk(position, None); // Those entries are compacted.
        }
        let prev_log_index = next_index - 1;
        let prev_log_term = self.log.term(prev_log_index).expect("a leader holds next_index - 1");
        let last = self.batch_end(next_index);
        let entries = self.log.slice(next_index, last).to_vec();
        let sent_last = (!entries.is_empty()).then_some(last);
        let message = AppendEntries {
            term: self.term,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.commit_index,
        };
        let Role::Leader(leadership) = &mut self.role else { unreachable!("caller is leader") };
        let progress = &mut leadership.progress[position];
        progress.on_sent(sent_last);
        let to = progress.node;
        self.send(to, Message::AppendEntries(message));
    }

    /// The last index of a batch starting at `from`: at most `max_entries_per_message` entries
    /// and `max_bytes_per_message` bytes, but always at least one entry if any exist.
    fn batch_end(&self, from: Index) -> Index {
        let last_index = self.log.last_index();
        let mut end = from.saturating_sub(1);
        let mut bytes = 0;
        while end < last_index && ((end + 1 - from) as usize) < self.config.max_entries_per_message
        {
            let size = self.log.entry(end + 1).expect("within the log").size_bytes();
            if end >= from && bytes + size > self.config.max_bytes_per_message {
                break;
            }
            bytes += size;
            end += 1;
        }
        end
    }

    /// Every heartbeat interval: retransmit probes, detect stalled pipelines, and assert
    /// leadership (with the commit point) to followers that are up to date.
    pub(crate) fn broadcast_heartbeat(&mut self) {
        let Role::Leader(leadership) = &self.role else { unreachable!("caller is leader") };
        for position in 0..leadership.progress.len() {
            let Role::Leader(leadership) = &mut self.role else { unreachable!("caller is leader") };
            let progress = &mut leadership.progress[position];
            if progress.node == self.config.id {
                continue;
            }
            let stalled = progress.on_heartbeat();
            if let ReplicationState::Snapshot { reported, .. } = progress.state {
                if stalled {
                    self.send_snapshot_chunk(position, Some(reported));
                }
                continue;
            }
            if stalled {
                let match_index = progress.match_index;
                progress.become_probe(match_index + 1);
            }
            if progress.match_index < self.log.snapshot_index() {
                // The follower is behind the snapshot: no heartbeat at its match point is
                // possible, and the snapshot is what it needs.
                if !progress.abandoned {
                    self.send_snapshot_chunk(position, None);
                }
                continue;
            }
            match progress.state {
                ReplicationState::Probe { .. } if !progress.abandoned => {
                    let next_index = progress.next_index;
                    self.send_append(position, next_index);
                }
                ReplicationState::Snapshot { .. } => unreachable!("handled above"),
                ReplicationState::Probe { .. } | ReplicationState::Replicate => {
                    // An empty append at the known match point: always accepted, it carries
                    // the commit index without resending entries that may still be in flight.
                    let match_index = progress.match_index;
                    let to = progress.node;
                    let heartbeat = AppendEntries {
                        term: self.term,
                        prev_log_index: match_index,
                        prev_log_term: self.log.term(match_index).expect("match within the log"),
                        entries: Vec::new(),
                        leader_commit: self.commit_index,
                    };
                    self.send(to, Message::AppendEntries(heartbeat));
                }
            }
        }
    }

    /// A follower's side of AppendEntries (Figure 2, receiver implementation), followed by the
    /// held appends that the log now reaches (see [`crate::held_appends`]). Acknowledgements
    /// are cumulative, so one answer, with the furthest match, answers the request and the
    /// appends it released: the leader hears no more than it would have without reordering.
    pub(crate) fn handle_append_entries(&mut self, from: NodeId, request: AppendEntries) {
        let Some(mut outcome) = self.handle_one_append(from, request) else { return };
        if let AppendOutcome::Accepted { match_index } = outcome {
            let mut matched = match_index;
            while let Some((held_from, held)) =
                self.held_appends.take_ready(self.log.last_index(), self.term)
            {
                match self.handle_one_append(held_from, held) {
                    Some(AppendOutcome::Accepted { match_index }) if held_from == from => {
                        matched = matched.max(match_index);
                    }
                    Some(other) => self.respond_append(held_from, other),
                    None => {}
                }
            }
            // Under an injected bug a later append may have cut the log short of an earlier
            // one's match: never acknowledge more than the log holds.
            outcome = AppendOutcome::Accepted { match_index: matched.min(self.log.last_index()) };
        }
        self.respond_append(from, outcome);
    }

    /// One append: the answer it gets, or none if this server must ignore it.
    fn handle_one_append(&mut self, from: NodeId, request: AppendEntries) -> Option<AppendOutcome> {
        if request.term < self.term && !self.config.bugs.contains(Bug::AcceptStaleTerm) {
            // Tell the stale leader about the newer term, so that it steps down.
            let hint = ConflictHint { index: 0, conflict_term: None };
            return Some(AppendOutcome::Rejected { rejected_index: request.prev_log_index, hint });
        }
        if !self.follow(from) {
            return None;
        }
        let leader_commit = request.leader_commit;
        let outcome = self.reconcile_log(from, request);
        if let AppendOutcome::Accepted { match_index } = outcome {
            let commit = leader_commit.min(match_index);
            if commit > self.commit_index {
                self.commit_index = commit;
            }
        }
        Some(outcome)
    }

    /// A request from `from`, the leader of the current term, arrived: follow it. Returns
    /// false if this server leads the same term itself, and must ignore the request.
    pub(crate) fn follow(&mut self, from: NodeId) -> bool {
        match self.role {
            // Two leaders in one term cannot happen in correct Raft (election safety); under an
            // injected bug it can, and the simulator's checker reports it.
            Role::Leader(_) => return false,
            Role::PreCandidate { .. } | Role::Candidate { .. } => {
                self.become_follower(self.term, Some(from))
            }
            Role::Follower { .. } => {
                self.role = Role::Follower { leader: Some(from) };
                self.election_elapsed = 0;
            }
        }
        true
    }

    /// Checks the request's previous entry and merges its entries into the log, truncating only
    /// at a real conflict (same index, different term). Returns the response's outcome.
    fn reconcile_log(&mut self, from: NodeId, mut request: AppendEntries) -> AppendOutcome {
        let bugs = self.config.bugs;
        let snapshot_index = self.log.snapshot_index();
        if request.prev_log_index < snapshot_index {
            // The request starts inside the snapshot, whose entries are committed, so the
            // leader's log holds them too: only what follows the snapshot is news.
            let Some(last) = request.entries.last().map(|entry| entry.index) else {
                return AppendOutcome::Accepted { match_index: snapshot_index };
            };
            if last <= snapshot_index {
                return AppendOutcome::Accepted { match_index: snapshot_index };
            }
            let skip = (snapshot_index - request.prev_log_index) as usize;
            request.prev_log_term = request.entries[skip - 1].term;
            request.entries.drain(..skip);
            request.prev_log_index = snapshot_index;
        }
        let prev = request.prev_log_index;
        let Some(prev_term) = self.log.term(prev) else {
            // Ahead of the log: most likely reordered behind an append still on its way.
            let hint = ConflictHint { index: self.log.last_index() + 1, conflict_term: None };
            self.held_appends.hold(from, request, self.config.max_inflight_messages);
            return AppendOutcome::Rejected { rejected_index: prev, hint };
        };
        if prev_term != request.prev_log_term && !bugs.contains(Bug::SkipPrevLogCheck) {
            let hint = ConflictHint {
                index: self.log.first_index_of_term_at(prev),
                conflict_term: Some(prev_term),
            };
            return AppendOutcome::Rejected { rejected_index: prev, hint };
        }
        let match_index = prev + request.entries.len() as Index;
        for entry in request.entries {
            match self.log.term(entry.index) {
                Some(term) if term == entry.term => continue,
                Some(_) if entry.index <= self.commit_index && bugs.is_empty() => {
                    // A log that contradicts a committed entry cannot be a legitimate leader's
                    // (Leader Completeness); nothing has been changed yet, so refuse it whole.
                    let hint = ConflictHint { index: self.commit_index + 1, conflict_term: None };
                    return AppendOutcome::Rejected { rejected_index: prev, hint };
                }
                Some(_) => self.truncate_log_after(entry.index - 1),
                None => {}
            }
            self.append_to_log(entry);
        }
        if bugs.contains(Bug::TruncateOnStaleAppend) && self.log.last_index() > match_index {
            self.truncate_log_after(match_index.max(self.commit_index));
        }
        AppendOutcome::Accepted { match_index }
    }

    /// Removes the log's entries after `index`: only ever on a follower, and never a committed
    /// entry (by Leader Completeness, a legitimate leader's log agrees with every committed one).
    fn truncate_log_after(&mut self, index: Index) {
        assert!(!matches!(self.role, Role::Leader(_)), "a leader never truncates its own log");
        if self.config.bugs.is_empty() {
            assert!(
                index >= self.commit_index,
                "node {}: truncating committed entries after {index} (commit {})",
                self.config.id,
                self.commit_index
            );
        }
        // Under an injected bug a committed entry may be cut; keep the local invariant
        // commit <= last index so that the global checker, not an assertion, reports it.
        self.commit_index = self.commit_index.min(index);
        self.stable_index = self.stable_index.min(index);
        if self.log.truncate_after(index) > 0 {
            self.mark_log_dirty(index + 1);
            if self.configurations.latest_index() > index {
                self.configurations.truncate(index + 1);
                self.on_configuration_changed();
            }
        }
    }

    pub(crate) fn respond_append(&mut self, to: NodeId, outcome: AppendOutcome) {
        let response = AppendEntriesResponse { term: self.term, outcome };
        self.send(to, Message::AppendEntriesResponse(response));
    }

    /// A leader's side of an append's answer: advance the follower's progress and the commit
    /// index, or back off to where the follower's log matches.
    pub(crate) fn handle_append_response(&mut self, from: NodeId, response: AppendEntriesResponse) {
        if response.term < self.term {
            return;
        }
        let last_index = self.log.last_index();
        let Role::Leader(leadership) = &mut self.role else { return };
        let Some(position) = leadership.position(from) else { return };
        let progress = &mut leadership.progress[position];
        progress.recent_active = true;
        if progress.abandoned {
            return;
        }
        let transfer_target = leadership.transfer.map(|transfer| transfer.target);
        match response.outcome {
            // A follower never acknowledges, or is asked about, entries beyond the leader's
            // log; such an answer cannot come from an honest peer, and is ignored.
            AppendOutcome::Accepted { match_index }
            | AppendOutcome::Rejected { rejected_index: match_index, .. }
                if match_index > last_index => {}
            AppendOutcome::Accepted { match_index } => {
                if progress.on_accepted(match_index) {
                    self.maybe_commit();
                }
                if transfer_target == Some(from) && match_index == last_index {
                    self.send_timeout_now();
                }
            }
            AppendOutcome::Rejected { rejected_index, hint } => {
                let reprobe = self.config.bugs.contains(Bug::ReprobeOnStaleRejection);
                if matches!(progress.state, ReplicationState::Snapshot { .. })
                    || rejected_index < progress.match_index
                    || (!reprobe
                        && progress.is_gap_in_flight(hint.index, hint.conflict_term.is_some()))
                {
                    return;
                }
                if let ReplicationState::Probe { .. } = progress.state
                    && !reprobe
                {
                    if rejected_index + 1 != progress.next_index {
                        return; // An answer to an older probe.
                    }
                    if hint.conflict_term.is_none()
                        && (1..=progress.match_index).contains(&hint.index)
                    {
                        // The answer to the current probe says the follower's log ends before
                        // entries it acknowledged: it lost them (see `crate::recovery`). A
                        // streaming leader gets here once it stalls and probes.
                        progress.forget_lost_entries(hint.index - 1);
                    }
                }
                let next = match hint.conflict_term {
                    Some(term) => match self.log.last_index_of_term(term) {
                        Some(index) => index + 1,
                        None => hint.index,
                    },
                    None => hint.index,
                };
                let next = next.min(rejected_index).max(progress.match_index + 1);
                progress.become_probe(next);
                progress.rejections_in_a_row += 1;
                if self.config.bugs.contains(Bug::StalledFollower)
                    && progress.rejections_in_a_row >= 2
                {
                    progress.abandoned = true;
                    return;
                }
                self.send_append(position, next);
            }
        }
    }

    /// Advances the commit index to the highest index stored on a quorum, if that entry is from
    /// the current term. Entries of earlier terms are committed only indirectly, by this rule,
    /// never by counting their own replicas (§5.4.2, Figure 8). Returns whether it advanced.
    pub(crate) fn maybe_commit(&mut self) -> bool {
        let Role::Leader(Leadership { progress, .. }) = &self.role else { return false };
        let bugs = self.config.bugs;
        let matched = |node| {
            progress
                .binary_search_by_key(&node, |progress| progress.node)
                .map_or(0, |position| progress[position].match_index)
        };
        let mut membership = self.configurations.latest();
        let new_only;
        if bugs.contains(Bug::JointCommitNewOnly) && membership.is_joint() {
            new_only = membership.leave_joint();
            membership = &new_only;
        }
        let candidate = if bugs.contains(Bug::CommitWithoutQuorum) {
            membership.quorum_index_less_one(matched)
        } else {
            membership.quorum_index(matched)
        };
        if candidate <= self.commit_index {
            return false;
        }
        // A quorum's match is in the leader's log, after its snapshot (which only ever holds
        // committed entries, except under `compact-uncommitted`).
        let Some(term) = self.log.term(candidate) else { return false };
        if term != self.term && !bugs.contains(Bug::CommitPriorTerm) {
            return false;
        }
        self.commit_index = candidate;
        self.on_committed_in_term();
        self.after_commit_as_leader();
        true
    }
}
