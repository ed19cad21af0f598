//! "Sometimes" properties: the hard paths a run drove the cluster through.
//!
//! Safety properties must *always* hold; these paths should *sometimes* happen. A campaign
//! that passes without reaching them proves little, so every run counts them and a campaign
//! reports the ones it never reached.

use serde::{Deserialize, Serialize};

use crate::counters::named_counts;

impl Coverage {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Coverage) {
        self.sum(other);
    }

    /// Names of the paths never reached.
    pub fn unreached(&self) -> Vec<&'static str> {
        self.fields().into_iter().filter(|(_, count)| *count == 0).map(|(name, _)| name).collect()
    }
}

named_counts! {
    /// How often each hard path was reached in a run (or summed over a campaign).
    Coverage {
    /// Two candidates campaigned in the same term, splitting its votes.
    split_vote,
    /// A leader stepped down while holding entries it had not committed.
    leader_deposed_with_uncommitted_entries,
    /// A follower truncated a conflicting suffix of its log.
    follower_truncated_conflicting_suffix,
    /// A leader paused, resumed on a stale view, and stepped down.
    stale_leader_resumed_and_stepped_down,
    /// A vote was refused because the candidate's log was behind the voter's.
    vote_refused_for_stale_log,
    /// Entries of an earlier term were committed by committing an entry of the leader's term.
    prior_term_entry_committed_indirectly,
    /// A restarted node caught up with the commit index the cluster had when it restarted.
    restarted_node_caught_up,
    /// A frame damaged in transit was rejected by its receiver.
    corrupted_frame_rejected,
    /// An inbox overflowed and dropped an input.
    inbox_overflow,
    /// A one-way partition healed.
    one_way_partition_healed,
    /// A client retried after a redirect to the leader.
    client_retried_after_redirect,
    }
}

/// The hard paths `scenario` can reach at all: a path that needs a fault the scenario never
/// injects (a rejected corrupted frame without corruption) is no gap in a campaign's coverage.
pub fn reachable(scenario: &crate::Scenario) -> Vec<&'static str> {
    let faults = &scenario.faults;
    let disruptive = faults.partitions.is_some()
        || faults.pauses.is_some()
        || faults.crashes.is_some()
        || faults.overload.is_some()
        || faults.clock_skew.is_some()
        || faults.loss.is_some()
        || faults.delay_spikes.is_some()
        || scenario.liveness.core_probability > 0.0;
    let one_way = faults.partitions.as_ref().is_some_and(|partitions| {
        partitions.shapes.contains(&crate::scenario::PartitionShape::OneWay)
    });
    let clients = matches!(scenario.workload, crate::scenario::Workload::Clients(_));
    let reachable = |name: &str| match name {
        "corrupted_frame_rejected" => faults.corruption.is_some(),
        "inbox_overflow" => faults.overload.is_some() || faults.pauses.is_some(),
        "one_way_partition_healed" => one_way,
        "stale_leader_resumed_and_stepped_down" => faults.pauses.is_some(),
        "restarted_node_caught_up" => faults.crashes.is_some(),
        "client_retried_after_redirect" => clients,
        _ => disruptive,
    };
    Coverage::default()
        .fields()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|&name| reachable(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreached_lists_zero_counts() {
        let mut coverage = Coverage { split_vote: 2, ..Coverage::default() };
        coverage.add(&Coverage { inbox_overflow: 1, ..Coverage::default() });
        let unreached = coverage.unreached();
        assert!(!unreached.contains(&"split_vote"));
        assert!(!unreached.contains(&"inbox_overflow"));
        assert_eq!(unreached.len(), coverage.fields().len() - 2);
    }

    #[test]
    fn a_path_needs_the_faults_that_lead_to_it() {
        let calm = crate::scenario::builtin("calm").unwrap();
        let reachable = reachable(&calm);
        assert!(!reachable.contains(&"corrupted_frame_rejected"));
        assert!(reachable.contains(&"client_retried_after_redirect"));
        let default = crate::scenario::builtin("default").unwrap();
        assert_eq!(super::reachable(&default).len(), Coverage::default().fields().len());
    }
}
