//! A leader's view of one follower's log (§5.3's nextIndex and matchIndex, plus flow control).

use std::collections::VecDeque;

use crate::{Index, NodeId};

/// How a leader is currently replicating to one follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicationState {
    /// The leader does not know where the follower's log matches its own: it sends one append at
    /// a time and waits for the answer (or a heartbeat interval) before sending another.
    Probe {
        /// Whether a probe is outstanding.
        sent: bool,
    },
    /// The follower's log matches up to `match_index`: the leader streams appends optimistically,
    /// up to the in-flight window.
    Replicate,
    /// The follower needs entries the leader compacted: the leader sends its snapshot, one
    /// chunk at a time, and no appends until the follower installed it.
    Snapshot {
        /// The snapshot's last index.
        index: Index,
        /// Where the last chunk sent ends: the follower's answer to it is this.
        sent_end: u64,
        /// What the follower last said it holds: where a resend starts.
        reported: u64,
    },
}

/// A leader's bookkeeping for one voter.
///
/// Invariant: `match_index < next_index`.
#[derive(Clone, Debug)]
pub struct Progress {
    /// The member this tracks.
    pub node: NodeId,
    /// Next index to send.
    pub next_index: Index,
    /// Highest index known to match the leader's log.
    pub match_index: Index,
    /// Probing or streaming.
    pub state: ReplicationState,
    /// Last index carried by each unacknowledged append, oldest first (Replicate only).
    /// Invariant: strictly increasing, and no longer than the configured window.
    inflight: VecDeque<Index>,
    /// Heartbeat intervals that passed with appends in flight and no advance of `match_index`;
    /// two in a row mean an append was lost, and the leader falls back to probing from
    /// `match_index`.
    silent_heartbeats: u32,
    /// Rejections acted upon since the last acceptance.
    pub(crate) rejections_in_a_row: u32,
    /// Given up on: only set under the `stalled-follower` bug, after which the leader sends
    /// this follower nothing but heartbeats and ignores its answers.
    pub(crate) abandoned: bool,
    /// Heard from since CheckQuorum last counted (the leader's own entry always is).
    pub(crate) recent_active: bool,
    /// The latest read round it confirmed.
    pub(crate) read_round: u64,
}

impl Progress {
    /// Progress for a follower right after an election: the leader assumes the follower's log is
    /// like its own and probes from the end (§5.3).
    pub fn new(node: NodeId, next_index: Index) -> Progress {
        assert!(next_index >= 1);
        Progress {
            node,
            next_index,
            match_index: 0,
            state: ReplicationState::Probe { sent: false },
            inflight: VecDeque::new(),
            silent_heartbeats: 0,
            rejections_in_a_row: 0,
            abandoned: false,
            recent_active: false,
            read_round: 0,
        }
    }

    /// Whether the leader may send another append carrying entries now.
    pub fn can_send(&self, window: usize) -> bool {
        if self.abandoned {
            return false;
        }
        match self.state {
            ReplicationState::Probe { sent } => !sent,
            ReplicationState::Replicate => self.inflight.len() < window,
            ReplicationState::Snapshot { .. } => false,
        }
    }

    /// Records an append carrying entries up to `last_index` (or none, for an empty probe).
    pub fn on_sent(&mut self, last_index: Option<Index>) {
        match self.state {
            ReplicationState::Probe { .. } => self.state = ReplicationState::Probe { sent: true },
            ReplicationState::Replicate => {
                if let Some(last) = last_index {
                    assert!(last >= self.next_index, "sent entries below next_index");
                    self.next_index = last + 1;
                    self.inflight.push_back(last);
                }
            }
            ReplicationState::Snapshot { .. } => unreachable!("no appends while snapshotting"),
        }
    }

    /// Records that the follower matches up to `index`. Returns whether `match_index` advanced.
    /// Acknowledgements may arrive out of order and duplicated: only an advance counts.
    pub fn on_accepted(&mut self, index: Index) -> bool {
        self.rejections_in_a_row = 0;
        while self.inflight.front().is_some_and(|&last| last <= index) {
            self.inflight.pop_front();
        }
        match self.state {
            ReplicationState::Probe { .. } => self.become_replicate(index.max(self.match_index)),
            // Installed (or already past it): stream from there on.
            ReplicationState::Snapshot { index: snapshot, .. } if index >= snapshot => {
                self.become_replicate(index.max(self.match_index))
            }
            ReplicationState::Snapshot { .. } | ReplicationState::Replicate => {}
        }
        if index <= self.match_index {
            return false;
        }
        // Only progress counts as a sign of life: a follower that acknowledges heartbeats but
        // never receives a lost append must still be detected as stalled.
        self.silent_heartbeats = 0;
        self.match_index = index;
        self.next_index = self.next_index.max(index + 1);
        true
    }

    /// Whether a rejection is explained by appends still in flight: in Replicate, a follower
    /// whose log is merely too short (no conflicting term) is missing entries the leader already
    /// sent and the network reordered — or, if its log ended at or before `match_index`, the
    /// rejection is older than the acknowledgement that set it. Reacting would resend the whole
    /// window for nothing; if entries were lost, stall detection recovers.
    pub fn is_gap_in_flight(&self, follower_next_index: Index, conflict: bool) -> bool {
        self.state == ReplicationState::Replicate
            && !conflict
            && follower_next_index < self.next_index
    }

    /// The follower's log now ends at `last_index`, before entries it acknowledged: its storage
    /// lost them (see [`crate::recovery`]). They no longer count, toward a commitment or
    /// anything else, and the leader probes from where the follower's log ends.
    pub fn forget_lost_entries(&mut self, last_index: Index) {
        assert!(last_index < self.match_index, "only entries acknowledged can be lost");
        self.match_index = last_index;
        self.become_probe(last_index + 1);
    }

    /// Falls back to probing from `next_index` after a rejection or a stall.
    pub fn become_probe(&mut self, next_index: Index) {
        assert!(next_index > self.match_index, "probe at or below match_index");
        self.next_index = next_index;
        self.state = ReplicationState::Probe { sent: false };
        self.inflight.clear();
        self.silent_heartbeats = 0;
    }

    /// Starts sending the snapshot ending at `index`.
    pub fn become_snapshot(&mut self, index: Index) {
        self.state = ReplicationState::Snapshot { index, sent_end: 0, reported: 0 };
        self.next_index = self.next_index.max(index + 1).max(self.match_index + 1);
        self.inflight.clear();
        self.silent_heartbeats = 0;
    }

    /// Records a snapshot chunk sent, ending at byte `end`.
    pub fn on_snapshot_sent(&mut self, end: u64) {
        if let ReplicationState::Snapshot { sent_end, .. } = &mut self.state {
            *sent_end = end;
        }
    }

    /// The follower holds the first `received` bytes of the snapshot ending at `index`. Returns
    /// whether that is the answer to the last chunk sent, so the next one should go.
    pub fn on_snapshot_progress(&mut self, index: Index, received: u64) -> bool {
        let ReplicationState::Snapshot { index: sending, sent_end, reported } = &mut self.state
        else {
            return false;
        };
        if *sending != index {
            return false;
        }
        *reported = received;
        if received != *sent_end {
            return false;
        }
        self.silent_heartbeats = 0;
        true
    }

    fn become_replicate(&mut self, match_index: Index) {
        self.state = ReplicationState::Replicate;
        self.next_index = match_index + 1;
        self.inflight.clear();
    }

    /// Called every heartbeat interval. Returns whether the follower looks stalled: appends (or
    /// a snapshot chunk) in flight and no progress for two intervals, so one was probably lost.
    pub fn on_heartbeat(&mut self) -> bool {
        match self.state {
            ReplicationState::Probe { .. } => {
                self.state = ReplicationState::Probe { sent: false };
                false
            }
            ReplicationState::Snapshot { .. } => {
                self.silent_heartbeats += 1;
                self.silent_heartbeats >= 2
            }
            ReplicationState::Replicate => {
                if self.inflight.is_empty() {
                    self.silent_heartbeats = 0;
                    return false;
                }
                self.silent_heartbeats += 1;
                self.silent_heartbeats >= 2
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_sends_one_at_a_time() {
        let mut progress = Progress::new(2, 5);
        assert!(progress.can_send(4));
        progress.on_sent(Some(5));
        assert!(!progress.can_send(4));
        assert!(!progress.on_heartbeat());
        assert!(progress.can_send(4));
    }

    #[test]
    fn acceptance_switches_to_streaming_within_the_window() {
        let mut progress = Progress::new(2, 5);
        progress.on_sent(Some(5));
        assert!(progress.on_accepted(5));
        assert_eq!(progress.state, ReplicationState::Replicate);
        assert_eq!(progress.next_index, 6);
        progress.on_sent(Some(7));
        progress.on_sent(Some(9));
        assert!(!progress.can_send(2));
        assert_eq!(progress.next_index, 10);
        assert!(progress.on_accepted(7));
        assert!(progress.can_send(2));
        assert!(!progress.on_accepted(6), "a reordered, older ack does not regress");
        assert_eq!(progress.match_index, 7);
    }

    #[test]
    fn two_silent_heartbeats_mean_a_stall() {
        let mut progress = Progress::new(2, 1);
        progress.on_accepted(0);
        progress.on_sent(Some(3));
        assert!(!progress.on_heartbeat());
        assert!(progress.on_heartbeat());
        progress.become_probe(1);
        assert_eq!(progress.state, ReplicationState::Probe { sent: false });
    }

    #[test]
    fn a_snapshot_goes_one_chunk_per_answer_and_ends_in_streaming() {
        let mut progress = Progress::new(2, 3);
        progress.become_snapshot(9);
        assert!(!progress.can_send(4), "no appends while snapshotting");
        progress.on_snapshot_sent(100);
        assert!(!progress.on_snapshot_progress(9, 0), "a stale answer");
        assert!(!progress.on_snapshot_progress(8, 100), "another snapshot's");
        assert!(progress.on_snapshot_progress(9, 100), "the last chunk arrived");
        assert!(!progress.on_heartbeat());
        assert!(progress.on_heartbeat(), "two silent intervals: resend");
        assert!(progress.on_accepted(5), "an old append's answer advances the match only");
        assert!(matches!(progress.state, ReplicationState::Snapshot { .. }));
        assert!(progress.on_accepted(9));
        assert_eq!((progress.state, progress.next_index), (ReplicationState::Replicate, 10));
    }
}
