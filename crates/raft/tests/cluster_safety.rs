//! Raft's safety properties (the paper's Figure 3) hold for a whole cluster of real nodes under
//! any schedule: ticks, proposals, and a network that delivers in any order, duplicates, loses,
//! partitions, and servers that crash and restart from their disks. Once the faults stop, the
//! cluster elects a leader and commits again (liveness).

mod common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;
use proptest::sample::Index as Position;
use proptest::strategy::ValueTree;
use raftsim_raft::{Entry, Index, NodeId, RoleKind, Term};

/// One step of a schedule. Positions pick a node or a queued message when the step runs.
#[derive(Clone, Debug)]
enum Event {
    Tick { node: Position, times: u8 },
    Propose { node: Position },
    Deliver { message: Position },
    Duplicate { message: Position },
    Lose { message: Position },
    Restart { node: Position, applied: Position },
    Isolate { node: Position },
    Heal,
}

fn event() -> impl Strategy<Value = Event> {
    let position = any::<Position>;
    prop_oneof![
        8 => (position(), 1..=3u8).prop_map(|(node, times)| Event::Tick { node, times }),
        3 => position().prop_map(|node| Event::Propose { node }),
        16 => position().prop_map(|message| Event::Deliver { message }),
        1 => position().prop_map(|message| Event::Duplicate { message }),
        2 => position().prop_map(|message| Event::Lose { message }),
        1 => (position(), position()).prop_map(|(node, applied)| Event::Restart { node, applied }),
        1 => position().prop_map(|node| Event::Isolate { node }),
        1 => Just(Event::Heal),
    ]
}

/// The cluster and what the checker remembers of its history.
struct Run {
    cluster: Cluster,
    /// Every term that had a leader, and who.
    leaders: BTreeMap<Term, NodeId>,
    /// Every entry any server applied, by index: committed, so never to change.
    committed: BTreeMap<Index, Entry>,
    /// Per server (id − 1): its term and commit index after the previous step (the commit
    /// index is reset by a restart, which loses it until the server hears from a leader).
    previous: Vec<(Term, Index)>,
    proposals: u32,
}

impl Run {
    fn new(count: u64, seed: u64) -> Run {
        let cluster = Cluster::with_configs(count, |config| {
            config.seed ^= seed;
            // Short timeouts, so that a schedule of a few hundred steps sees many elections.
            config.election_timeout_ticks_min = 4;
            config.election_timeout_ticks_max = 8;
            config.heartbeat_interval_ticks = 2;
            config.max_entries_per_message = 2;
            config.max_inflight_messages = 2;
        });
        let previous = vec![(0, 0); count as usize];
        Run {
            cluster,
            leaders: BTreeMap::new(),
            committed: BTreeMap::new(),
            previous,
            proposals: 0,
        }
    }

    fn node_id(&self, pick: &Position) -> NodeId {
        *pick.get(&self.cluster.ids())
    }

    fn apply(&mut self, event: &Event) {
        let queued = self.cluster.queue.len();
        match event {
            Event::Tick { node, times } => {
                let id = self.node_id(node);
                self.cluster.tick_times(id, u32::from(*times));
            }
            Event::Propose { node } => {
                let id = self.node_id(node);
                self.proposals += 1;
                let _ = self.cluster.propose(id, format!("command {}", self.proposals).as_bytes());
            }
            Event::Deliver { message } if queued > 0 => {
                let envelope = self.cluster.queue.remove(message.index(queued)).unwrap();
                self.cluster.deliver_envelope(envelope);
            }
            Event::Duplicate { message } if queued > 0 => {
                let envelope = self.cluster.queue[message.index(queued)].clone();
                self.cluster.deliver_envelope(envelope);
            }
            Event::Lose { message } if queued > 0 => {
                self.cluster.queue.remove(message.index(queued));
            }
            Event::Deliver { .. } | Event::Duplicate { .. } | Event::Lose { .. } => {}
            Event::Restart { node, applied } => {
                let id = self.node_id(node);
                let commit = self.cluster.disks[id as usize - 1].hard_state.commit;
                let applied = applied.index(commit as usize + 1) as Index;
                self.cluster.restart(id, applied);
                self.previous[id as usize - 1].1 = 0;
            }
            Event::Isolate { node } => {
                let id = self.node_id(node);
                self.cluster.isolate(id);
            }
            Event::Heal => self.cluster.heal(),
        }
        self.check();
    }

    /// Figure 3's properties, and monotonic terms and commit indexes.
    fn check(&mut self) {
        let cluster = &self.cluster;
        let mut newest_leader: Option<(Term, NodeId)> = None;
        for node in cluster.nodes() {
            let (term, commit) = self.previous[node.id() as usize - 1];
            assert!(node.term() >= term, "node {}: term went from {term} down", node.id());
            assert!(node.commit_index() >= commit, "node {}: commit went down", node.id());
            self.previous[node.id() as usize - 1] = (node.term(), node.commit_index());
            if node.role() == RoleKind::Leader {
                let leader = *self.leaders.entry(node.term()).or_insert(node.id());
                assert_eq!(leader, node.id(), "election safety: two leaders in {}", node.term());
                if newest_leader.is_none_or(|(term, _)| node.term() > term) {
                    newest_leader = Some((node.term(), node.id()));
                }
            }
        }
        cluster.assert_log_matching();
        for applied in &cluster.applied {
            for entry in applied {
                let first = self.committed.entry(entry.index).or_insert_with(|| entry.clone());
                assert_eq!(first, entry, "state machine safety at index {}", entry.index);
            }
        }
        // Leader completeness: the leader of the newest term that ever had one holds every
        // committed entry.
        let newest_term = self.leaders.keys().next_back().copied();
        if let Some((term, id)) = newest_leader
            && Some(term) == newest_term
        {
            let log = cluster.node(id).log();
            for (index, entry) in &self.committed {
                assert_eq!(log.entry(*index), Some(entry), "leader {id} of term {term} lacks it");
            }
        }
    }

    /// Heals everything, then runs a fault-free cluster until a new command commits everywhere.
    fn check_liveness(&mut self) {
        self.cluster.heal();
        for round in 0..400 {
            for id in self.cluster.ids() {
                self.cluster.tick(id);
            }
            self.cluster.deliver_all();
            self.check();
            if round == 399 {
                break;
            }
            let Some(leader) = self.cluster.leader() else { continue };
            if self.cluster.propose(leader, b"after the faults").is_err() {
                continue;
            }
            let index = self.cluster.node(leader).log().last_index();
            for _ in 0..10 {
                self.cluster.tick(leader);
                self.cluster.deliver_all();
            }
            self.check();
            if self.cluster.nodes().iter().all(|node| node.commit_index() >= index) {
                return;
            }
        }
        panic!("no command committed on every server after the faults healed");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_schedule_keeps_the_cluster_safe_and_it_recovers_once_healed(
        count in prop_oneof![Just(3u64), Just(5u64)],
        seed in any::<u64>(),
        events in proptest::collection::vec(event(), 1..400),
    ) {
        let mut run = Run::new(count, seed);
        for event in &events {
            run.apply(event);
        }
        run.check_liveness();
    }
}

#[test]
fn the_schedules_see_several_leaders_and_commits() {
    // A safety property that holds vacuously proves nothing: most schedules must elect more
    // than one leader and commit entries before the faults heal.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (any::<u64>(), proptest::collection::vec(event(), 200..400));
    let (mut leader_changes, mut commits) = (0, 0);
    for _ in 0..100 {
        let (seed, events) = strategy.new_tree(&mut runner).unwrap().current();
        let mut run = Run::new(3, seed);
        for event in &events {
            run.apply(event);
        }
        leader_changes += u32::from(run.leaders.len() >= 2);
        commits += u32::from(run.committed.len() >= 2);
    }
    assert!(leader_changes >= 30, "{leader_changes} of 100 schedules changed leader");
    assert!(commits >= 30, "{commits} of 100 schedules committed a command");
}
