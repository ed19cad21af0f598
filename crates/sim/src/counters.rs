//! What happened in a run, counted: every fault kind and the protocol events that matter.

use serde::{Deserialize, Serialize};

/// Declares a struct of named `u64` counts, with its field list and summation: the shape shared
/// by [`Counters`] and [`crate::Coverage`].
macro_rules! named_counts {
    (
        $(#[doc = $struct_doc:literal])*
        $struct:ident { $( $(#[doc = $doc:literal])* $name:ident ),* $(,)? }
    ) => {
        $(#[doc = $struct_doc])*
        ///
        /// A count missing from a trace written by an older build reads as 0.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $struct {
            $( $(#[doc = $doc])* pub $name: u64, )*
        }

        impl $struct {
            /// Every count as `(name, value)`, in a fixed order.
            pub fn fields(&self) -> Vec<(&'static str, u64)> {
                vec![$( (stringify!($name), self.$name) ),*]
            }

            /// Adds every count of `other` into `self`, saturating: `merge` sums counts read
            /// from files, and a forged one must not wrap around (or panic) the total.
            fn sum(&mut self, other: &$struct) {
                $( self.$name = self.$name.saturating_add(other.$name); )*
            }
        }
    };
}

pub(crate) use named_counts;

impl Counters {
    /// Adds `other` into `self`; `max_term` takes the maximum instead of the sum.
    pub fn add(&mut self, other: &Counters) {
        let max_term = self.max_term.max(other.max_term);
        self.sum(other);
        self.max_term = max_term;
    }
}

named_counts! {
    /// Counts of faults and protocol events over a run (or summed over a campaign).
    Counters {
    /// Partitions started.
    partitions,
    /// Nodes paused.
    pauses,
    /// Nodes crashed.
    crashes,
    /// Nodes restarted after a crash.
    restarts,
    /// Nodes left faulty for the liveness phase (core mode): not counted as crashes or pauses.
    left_out_of_core,
    /// Liveness phases that kept a quorum-loss partition (`liveness.quorum_loss_probability`).
    quorum_loss_after_heal,
    /// Overload episodes (slowed nodes and client bursts).
    overloads,
    /// Inputs dropped because an inbox was full.
    inbox_drops,
    /// Configuration changes a leader took (membership workload).
    membership_changes,
    /// Changes refused as invalid: the configuration moved on since the change was drawn.
    membership_changes_refused,
    /// Changes given up after being asked again and again (no leader could take them).
    membership_changes_abandoned,
    /// Removed servers wiped and booted afresh as new incarnations.
    rejoins,
    /// Frames handed to the network.
    frames_sent,
    /// Frames that reached a running receiver.
    frames_delivered,
    /// Frames lost: partitioned links, random loss, or a crashed recipient.
    frames_dropped,
    /// Frames in transit when a partition cut their link, lost at arrival.
    frames_cut_in_flight,
    /// Extra copies of frames delivered.
    frames_duplicated,
    /// Damaged frames that reached a receiver's decoder.
    frames_corrupted,
    /// Frames a receiver's decoder rejected.
    frames_rejected,
    /// Frames rewritten and resealed in transit (the `tamper` fault).
    frames_tampered,
    /// Decoded frames a receiver refused to act on (misaddressed or malformed).
    frames_refused,
    /// Clock skew episodes.
    clock_skews,
    /// Leadership transfers a leader took on (see `raft.leader_transfer`).
    transfers,
    /// Elections started (a node became candidate).
    elections,
    /// Distinct leaders elected (one per term at most).
    leader_changes,
    /// Highest term reached.
    max_term,
    /// Entries committed (the cluster's highest commit index).
    commits,
    /// Log truncations of conflicting suffixes.
    truncations,
    /// Snapshots the state machines took (each handed to its node to compact behind).
    snapshots_taken,
    /// Snapshots nodes installed from their leader.
    snapshots_installed,
    /// Client requests resent after a redirect, a timeout or a busy leader.
    client_retries,
    /// Client requests completed (applied and acknowledged).
    client_requests,
    /// Client frames (requests, answers, forwarded writes) handed to the network, with
    /// `over_network`.
    client_frames_sent,
    /// Client frames lost: partitioned links, random loss, or a crashed recipient.
    client_frames_lost,
    /// Damaged client frames refused by their checksum.
    client_frames_rejected,
    /// Writes followers forwarded to their leader (`routing: forward`), retries included.
    writes_forwarded,
    /// Client reads answered outside the log (ReadIndex or a lease), by leaders and followers.
    reads_served,
    /// Times a client's circuit breaker opened on a server (see `ClientParams::circuit_breaker`).
    breakers_opened,
    /// Requests a client sent as the half-open probe of a server whose breaker had cooled down.
    breaker_probes,
    /// Ticks delivered to running nodes.
    ticks,
    /// Fsyncs started (each covers every write handed over before it: group commit).
    fsyncs,
    /// Writes lost before they were durable: by a crash, or with a failed fsync.
    unsynced_writes_lost,
    /// Crashes that left a torn record at the log's tail, truncated by recovery.
    torn_writes,
    /// Fsyncs that failed (EIO).
    fsync_failures,
    /// Writes handed to a full disk, which waited for space.
    disk_full,
    /// Synced log records that rotted at rest.
    records_corrupted,
    /// Damaged records made good: the log was rewritten past the damage.
    records_repaired,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_sums_but_maxes_the_term() {
        let mut total = Counters { crashes: 2, max_term: 5, ..Counters::default() };
        total.add(&Counters { crashes: 3, max_term: 4, ..Counters::default() });
        assert_eq!((total.crashes, total.max_term), (5, 5));
        total.add(&Counters { max_term: 9, ..Counters::default() });
        assert_eq!(total.max_term, 9);
    }
}
