//! Changing the configuration (thesis chapter 4): a leader proposes a change as a log entry,
//! every server uses the latest configuration in its log, and the leader finishes what the
//! change started once it is committed — leaving a joint configuration, or stepping down when
//! it removed itself.

use crate::membership::{Change, ChangeError};
use crate::node::Role;
use crate::{Bug, EntryData, Index, Node, Progress};

impl Node {
    /// Proposes a configuration change (see [`crate::Membership::apply`]): one voter at a time
    /// as a plain change, or anything with `joint` (or more than one voter changed) through a
    /// joint configuration, which the leader leaves by itself once it is committed. Returns
    /// the index of the configuration entry.
    ///
    /// Refused unless this server leads and is not handing over; refused with
    /// [`ChangeError::Pending`] while an earlier change is uncommitted or joint, and until an
    /// entry of the leader's own term is committed: a leader that changed the configuration
    /// before that could, with an earlier leader's uncommitted change, let two disjoint
    /// majorities decide (Ongaro, raft-dev, 2015).
    pub fn propose_change(
        &mut self,
        changes: &[Change],
        joint: bool,
    ) -> Result<Index, ChangeError> {
        let Role::Leader(leadership) = &self.role else {
            return Err(ChangeError::NotLeader { leader_hint: self.leader_hint() });
        };
        if leadership.transfer.is_some() {
            return Err(ChangeError::Transferring);
        }
        let committed_in_term = self.log.term(self.commit_index) == Some(self.term);
        if self.configurations.latest_index() > self.commit_index
            || (!committed_in_term
                && !self.config.bugs.contains(Bug::SingleServerNoCurrentTermCommit))
        {
            return Err(ChangeError::Pending);
        }
        let membership = self.configurations.latest().apply(changes, joint)?;
        let index = self.append_as_leader(EntryData::config(&membership));
        self.check_invariants();
        Ok(index)
    }

    /// The configuration in effect changed (an entry appended or truncated, a snapshot
    /// installed). A leader tracks the new members; its lease, which a quorum of the old
    /// voters granted, is not trusted again in this term; and a transfer to a server that no
    /// longer votes is abandoned.
    pub(crate) fn on_configuration_changed(&mut self) {
        if !matches!(self.role, Role::Leader(_)) {
            return;
        }
        self.track_members();
        let voters = self.configurations.latest().voters.clone();
        let Role::Leader(leadership) = &mut self.role else { unreachable!("leads") };
        leadership.reads.forfeit_lease();
        if leadership.transfer.is_some_and(|transfer| !voters.contains(&transfer.target)) {
            leadership.transfer = None;
        }
    }

    /// Brings a leader's progress in line with its configuration: one entry per member and one
    /// for itself (it leads even if it removed itself, until that is committed), kept for
    /// members it already tracked, new ones probing from its log's end.
    pub(crate) fn track_members(&mut self) {
        let mut members = self.configurations.latest().members();
        if let Err(position) = members.binary_search(&self.config.id) {
            members.insert(position, self.config.id);
        }
        let next_index = self.log.last_index() + 1;
        let stable_index = self.stable_index;
        let own = self.config.id;
        let Role::Leader(leadership) = &mut self.role else { return };
        let mut old = std::mem::take(&mut leadership.progress).into_iter().peekable();
        for member in members {
            while old.peek().is_some_and(|progress| progress.node < member) {
                old.next();
            }
            let progress = match old.next_if(|progress| progress.node == member) {
                Some(progress) => progress,
                None => {
                    let mut progress = Progress::new(member, next_index);
                    if member == own {
                        // Its own log counts as far as it is durable; the rest once the driver
                        // acknowledges it.
                        progress.on_accepted(stable_index);
                    }
                    progress
                }
            };
            leadership.progress.push(progress);
        }
    }

    /// The leader's commit index advanced: once the latest configuration is committed, a joint
    /// one is left for its incoming voters, and a leader that is no longer a voter steps down
    /// (thesis §4.2.2).
    pub(crate) fn after_commit_as_leader(&mut self) {
        if self.configurations.latest_index() > self.commit_index {
            return;
        }
        let membership = self.configurations.latest();
        if membership.is_joint() {
            let leave = membership.leave_joint();
            self.append_as_leader(EntryData::config(&leave));
        } else if !membership.voters.contains(&self.config.id)
            && !self.config.bugs.contains(Bug::RemovedLeaderStays)
        {
            self.become_follower(self.term, None);
        }
    }
}
