//! Snapshots and log compaction (§7): the driver's state machine snapshots what it applied, the
//! node compacts its log behind it, and a leader ships its snapshot, in chunks, to a follower
//! that needs entries it no longer holds.

use crate::node::Role;
use crate::progress::ReplicationState;
use crate::{
    AppendOutcome, Bug, Index, InstallSnapshot, InstallSnapshotResponse, Log, Membership, Message,
    Node, NodeId, Term,
};

/// The state machine's image at `index`, standing in for every entry up to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Last index it covers.
    pub index: Index,
    /// Term of the entry at `index`.
    pub term: Term,
    /// The state machine's image, opaque to Raft.
    pub data: Vec<u8>,
    /// The configuration in effect at `index`: what a server that boots from or installs this
    /// snapshot starts from, before the configuration entries after it.
    pub membership: Membership,
}

/// A snapshot a follower is receiving, chunk by chunk.
#[derive(Clone, Debug)]
pub(crate) struct IncomingSnapshot {
    /// The term of the leader sending it.
    leader_term: Term,
    index: Index,
    term: Term,
    /// The bytes received so far, in order.
    data: Vec<u8>,
    membership: Membership,
}

impl Node {
    /// The driver's state machine took a snapshot at `index`, holding `data`: the log up to
    /// `index` may go. Precondition: `index` is applied here. A snapshot at or behind the
    /// current one is ignored. Returns whether the log was compacted.
    ///
    /// The snapshot is persisted through the next [`crate::Ready`] (its `snapshot`), and it is
    /// what the node sends a follower that needs compacted entries.
    ///
    /// A snapshot says which configuration was in effect at its index, so a server that does
    /// not know keeps its log. That is a server that began with no configuration (a spare, a
    /// new incarnation) and caught up by appends from the start of the log before the entry
    /// that added it: the configuration the cluster booted with is in no entry. It compacts
    /// once it holds a configuration entry at or before the index.
    pub fn compact(&mut self, index: Index, data: Vec<u8>) -> bool {
        assert!(
            index <= self.applied_index,
            "node {}: snapshot at {index}, applied only up to {}",
            self.config.id,
            self.applied_index
        );
        let index = if self.config.bugs.contains(Bug::CompactUncommitted) {
            index.max(self.stable_index) // Everything durable, committed or not.
        } else {
            index
        };
        if index <= self.log.snapshot_index() {
            return false;
        }
        let term = self.log.term(index).expect("a snapshot index within the log");
        let in_effect = self.configurations.at(index).clone();
        let membership = if self.config.bugs.contains(Bug::ConfigFromUncommittedSnapshot) {
            self.configurations.latest().clone() // Whatever the log holds, committed or not.
        } else if in_effect.voters.is_empty() {
            return false; // Unknown here: see above.
        } else {
            in_effect.clone()
        };
        self.log.compact(index, term);
        self.configurations.compact(index, in_effect);
        self.applied_index = self.applied_index.max(index);
        self.snapshot = Some(crate::Snapshot { index, term, data, membership });
        self.snapshot_unpersisted = true;
        self.check_invariants();
        true
    }

    /// The latest snapshot, if any: what the log is compacted behind.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// Sends the voter at `position` the next chunk of the leader's snapshot, starting the
    /// transfer over if it was of an older snapshot (or none). `from` is where the chunk
    /// starts, when resending.
    pub(crate) fn send_snapshot_chunk(&mut self, position: usize, from: Option<u64>) {
        let Role::Leader(leadership) = &mut self.role else { unreachable!("caller is leader") };
        let snapshot = self.snapshot.as_ref().expect("a compacted log has a snapshot");
        let progress = &mut leadership.progress[position];
        let start = match progress.state {
            ReplicationState::Snapshot { index, sent_end, .. } if index == snapshot.index => {
                from.unwrap_or(sent_end)
            }
            _ => {
                progress.become_snapshot(snapshot.index);
                0
            }
        };
        let start = start.min(snapshot.data.len() as u64);
        let end =
            (start + self.config.max_bytes_per_message as u64).min(snapshot.data.len() as u64);
        progress.on_snapshot_sent(end);
        let chunk = InstallSnapshot {
            term: self.term,
            index: snapshot.index,
            snapshot_term: snapshot.term,
            offset: start,
            data: snapshot.data[start as usize..end as usize].to_vec(),
            done: end == snapshot.data.len() as u64,
            membership: snapshot.membership.encode(),
        };
        let to = progress.node;
        self.send(to, Message::InstallSnapshot(Box::new(chunk)));
    }

    /// A follower's side of a snapshot chunk: assemble the chunks in order, and install the
    /// snapshot once it is whole (unless this server already committed past it).
    pub(crate) fn handle_install_snapshot(&mut self, from: NodeId, chunk: InstallSnapshot) {
        let respond = |node: &mut Node, received: u64| {
            let response =
                InstallSnapshotResponse { term: node.term, index: chunk.index, received };
            node.send(from, Message::InstallSnapshotResponse(response));
        };
        if chunk.term < self.term {
            return respond(self, 0); // Tells the stale leader about the newer term.
        }
        if !self.follow(from) {
            return;
        }
        if chunk.index <= self.commit_index && !self.config.bugs.contains(Bug::StaleSnapshotInstall)
        {
            // Everything the snapshot holds is committed here already: installing it could only
            // move this server back.
            self.incoming = None;
            let outcome = AppendOutcome::Accepted { match_index: self.commit_index };
            return self.respond_append(from, outcome);
        }
        let same = |incoming: &IncomingSnapshot| {
            (incoming.leader_term, incoming.index, incoming.term)
                == (chunk.term, chunk.index, chunk.snapshot_term)
        };
        let mut incoming = match self.incoming.take() {
            Some(mut incoming) if same(&incoming) && chunk.offset == incoming.data.len() as u64 => {
                incoming.data.extend_from_slice(&chunk.data);
                incoming
            }
            _ if chunk.offset == 0 => IncomingSnapshot {
                leader_term: chunk.term,
                index: chunk.index,
                term: chunk.snapshot_term,
                data: chunk.data.clone(),
                membership: Membership::decode(&chunk.membership).expect("a well-formed chunk"),
            },
            other => {
                // Out of order: say what is held, so that the leader resends from there.
                let received =
                    other.as_ref().filter(|incoming| same(incoming)).map_or(0, |i| i.data.len());
                self.incoming = other;
                return respond(self, received as u64);
            }
        };
        if !chunk.done {
            let received = incoming.data.len() as u64;
            self.incoming = Some(incoming);
            return respond(self, received);
        }
        let data = std::mem::take(&mut incoming.data);
        let membership = std::mem::take(&mut incoming.membership);
        self.install_snapshot(Snapshot {
            index: incoming.index,
            term: incoming.term,
            data,
            membership,
        });
        let outcome = AppendOutcome::Accepted { match_index: chunk.index };
        self.respond_append(from, outcome);
    }

    /// Replaces the log up to the snapshot's index with the snapshot. The entries after it stay
    /// if the log holds the snapshot's last entry (they continue it); otherwise the whole log
    /// goes, as it conflicts with or falls short of the snapshot (§7).
    fn install_snapshot(&mut self, snapshot: Snapshot) {
        let (index, term) = (snapshot.index, snapshot.term);
        let continues = self.log.term(index) == Some(term);
        if continues || self.config.bugs.contains(Bug::SnapshotKeepsSuffix) {
            self.log.compact(index, term);
            self.configurations.compact(index, snapshot.membership.clone());
        } else {
            if index < self.log.snapshot_index() {
                // Only under `stale-snapshot-install`: a snapshot behind the compacted log
                // replaces it whole, so that the checker, not the log's own assertion, sees
                // the server move back.
                self.log = Log::restore(index, term, Vec::new());
                self.commit_index = index;
            }
            self.log.compact(index, term);
            self.log.truncate_after(index);
            self.configurations.truncate(index + 1);
            self.configurations.compact(index, snapshot.membership.clone());
            self.mark_log_dirty(index + 1);
            // Durable here up to `index` only once the snapshot is.
            self.stable_index = self.stable_index.min(index);
        }
        self.commit_index = self.commit_index.max(index);
        self.applied_index = index;
        self.snapshot = Some(snapshot);
        self.snapshot_unpersisted = true;
        self.snapshot_installed = true;
        self.on_configuration_changed();
    }

    /// A leader's side of a follower's snapshot progress: the next chunk once the last one
    /// arrived whole. Anything else (a duplicate, a stale answer, a follower that lost what it
    /// had) is left to the heartbeat, which resends from what the follower last said it holds.
    pub(crate) fn handle_install_snapshot_response(
        &mut self,
        from: NodeId,
        response: InstallSnapshotResponse,
    ) {
        if response.term < self.term {
            return;
        }
        let Role::Leader(leadership) = &mut self.role else { return };
        let Some(position) = leadership.position(from) else { return };
        let progress = &mut leadership.progress[position];
        progress.recent_active = true;
        if progress.on_snapshot_progress(response.index, response.received) {
            self.send_snapshot_chunk(position, None);
        }
    }
}
