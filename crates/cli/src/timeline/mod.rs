//! A trace's run as one HTML page (`raftsim replay --html`): a lane per node with its role,
//! term and status over virtual time, messages as arrows from their sending to their delivery,
//! faults as bands, commits and applies, and the violation marked.
//!
//! A [`Timeline`] watches a describing replay step by step and keeps what the page draws, in
//! compact columns; [`page`] turns it into the file. A trace may run to millions of events, so
//! the timeline keeps the last [`EVENTS_MAX`] of them, the ones that lead to the violation (or
//! the end), and the page says so; what came before is folded into the state at the window's
//! start, so that the lanes still show each node's role and term from the first step kept.

mod page;

use std::collections::BTreeMap;

use raftsim_sim::WorldView;
use raftsim_sim::event::EventRecord;
use raftsim_sim::node::Status;
use raftsim_sim::raft_under_test::{NodeId, Role};
use raftsim_sim::world::ActiveFault;

pub use page::{PageContext, render};

/// Most events a timeline keeps: the page stays responsive, and its file a few tens of
/// megabytes at most.
pub const EVENTS_MAX: usize = 200_000;

/// How often, in steps, arrows sent before the window that can no longer reach into it are
/// let go.
const PRUNE_INTERVAL_STEPS: u64 = 4096;

/// Record kinds the timeline treats specially (positions in `RECORD_KINDS`).
const KIND_DELIVER: u8 = 1;
const KIND_FAULT_START: u8 = 7;
const KIND_FAULT_END: u8 = 8;
const KIND_HEAL: u8 = 10;

/// A node's state as the lanes draw it: role, term, status, commit index, applied index.
type NodeState = [u64; 5];

/// One message: a frame handed to the network, and its delivery (one arrow per copy
/// delivered).
struct Arrow {
    from: NodeId,
    to: NodeId,
    kind: &'static str,
    term: u64,
    send_step: u64,
    send_us: u64,
    /// `None`: lost in the network (or addressed to no node of the cluster).
    deliver_us: Option<u64>,
    /// The step of its delivery, once it happened.
    deliver_step: Option<u64>,
    /// The message in words, as its sender's implementation describes it.
    text: String,
    /// What the network did to its bytes (0 nothing, 1 corrupted, 2 tampered).
    damage: u8,
    /// A copy the network made.
    duplicate: bool,
    /// The digest of the bytes delivered, to match the delivery's record.
    digest: u32,
    /// What became of it: [`FATE_DELIVERED`] (or on its way), [`FATE_LOST`],
    /// [`FATE_CUT`] or [`FATE_DROPPED`].
    fate: u8,
}

/// It reached its recipient (or was still on its way when the run ended).
const FATE_DELIVERED: u8 = 0;
/// The network lost it as it was sent (loss, a partition, or an address of no node).
const FATE_LOST: u8 = 1;
/// A partition cut its link while it travelled.
const FATE_CUT: u8 = 2;
/// It arrived at a crashed node, or at a full inbox.
const FATE_DROPPED: u8 = 3;

/// A scheduled fault, from the moment it struck until it ended.
struct Band {
    fault: u32,
    /// The nodes it concerned; empty for all of them.
    nodes: Vec<NodeId>,
    start: (u64, u64),
    end: Option<(u64, u64)>,
    /// It struck but could do nothing (its target was already down), or it is an operator's
    /// action rather than a lasting fault (a leadership transfer).
    skipped: bool,
}

/// What a timeline page shows, gathered from a describing replay.
pub struct Timeline {
    nodes: usize,
    /// Most events kept ([`EVENTS_MAX`] but in tests).
    events_max: usize,
    /// The first step kept. Invariant: at most `events_max` events from it on are kept.
    first_step: u64,
    times: Vec<u64>,
    kinds: Vec<u8>,
    event_nodes: Vec<u64>,
    texts: Vec<u32>,
    strings: Strings,
    /// Events after the window was full (only if the replay outran its trace).
    events_not_kept: u64,
    /// Per node (id − 1): its state after the window's first step, then at every change.
    states: Vec<Vec<(u64, NodeState)>>,
    current: Vec<NodeState>,
    /// The ground-truth committed prefix's last index: at the window's start, then at every
    /// advance.
    committed: Vec<(u64, u64)>,
    committed_now: u64,
    arrows: Vec<Arrow>,
    /// Arrows not yet delivered, by (delivery time, sender, recipient, digest): what a delivery
    /// record carries.
    awaited: BTreeMap<(u64, u64, u64, u32), Vec<usize>>,
    bands: Vec<Band>,
    /// Faults that started but wait for their protocol moment to strike.
    armed: Vec<u32>,
    heal: Option<(u64, u64)>,
    /// Frames dropped, cut in flight, and dropped by full inboxes, as of the last step: a
    /// delivery step that raises one lost its frame.
    losses: [u64; 3],
}

impl Timeline {
    /// A timeline of a run of `nodes` nodes expected to last `events` steps: it keeps the last
    /// [`EVENTS_MAX`] of them.
    pub fn new(nodes: usize, events: u64) -> Timeline {
        Timeline::keeping(nodes, events, EVENTS_MAX)
    }

    /// A timeline that keeps the last `events_max` of `events`.
    fn keeping(nodes: usize, events: u64, events_max: usize) -> Timeline {
        let boot: NodeState = [role_code(Role::Follower), 0, status_code(Status::Up), 0, 0];
        Timeline {
            nodes,
            events_max,
            first_step: events.saturating_sub(events_max as u64) + 1,
            times: Vec::new(),
            kinds: Vec::new(),
            event_nodes: Vec::new(),
            texts: Vec::new(),
            strings: Strings::default(),
            events_not_kept: 0,
            states: vec![Vec::new(); nodes],
            current: vec![boot; nodes],
            committed: Vec::new(),
            committed_now: 0,
            arrows: Vec::new(),
            awaited: BTreeMap::new(),
            bands: Vec::new(),
            armed: Vec::new(),
            heal: None,
            losses: [0; 3],
        }
    }

    /// Takes in the step `world` just made. Precondition: the world records and describes.
    pub fn observe(&mut self, world: &dyn WorldView) {
        let Some(&record) = world.records().and_then(<[EventRecord]>::last) else { return };
        let step = world.steps();
        let in_window = step >= self.first_step;
        if step == self.first_step {
            self.open_window(record.time_us);
        } else if !in_window && step.is_multiple_of(PRUNE_INTERVAL_STEPS) {
            self.prune_arrows(record.time_us);
        }
        if in_window {
            self.keep_event(world, &record);
        }
        let counters = world.counters();
        let losses = [counters.frames_dropped, counters.frames_cut_in_flight, counters.inbox_drops];
        if record.kind == KIND_DELIVER {
            self.note_delivery(world, &record, step, losses);
        }
        self.losses = losses;
        self.note_sends(world, step);
        self.note_faults(world, &record, step);
        self.note_states(world, step, in_window);
    }

    /// The window starts at this step: what came before is reduced to the state it left.
    fn open_window(&mut self, now_us: u64) {
        self.prune_arrows(now_us);
        let before = self.first_step - 1;
        for (states, &current) in self.states.iter_mut().zip(&self.current) {
            states.push((before, current));
        }
        self.committed.push((before, self.committed_now));
    }

    /// Lets go of arrows that can no longer reach into the window: delivered, or lost, before
    /// `now_us`.
    fn prune_arrows(&mut self, now_us: u64) {
        self.arrows.retain(|arrow| arrow.deliver_us.is_some_and(|at_us| at_us >= now_us));
        self.awaited.clear();
        for (position, arrow) in self.arrows.iter().enumerate() {
            if arrow.deliver_step.is_none() {
                let at_us = arrow.deliver_us.expect("kept arrows are delivered");
                let key = (at_us, arrow.from, arrow.to, arrow.digest);
                self.awaited.entry(key).or_default().push(position);
            }
        }
    }

    fn keep_event(&mut self, world: &dyn WorldView, record: &EventRecord) {
        if self.times.len() >= self.events_max {
            self.events_not_kept += 1;
            return;
        }
        let node = match record.kind_name() {
            "tick" | "deliver" | "process" | "client-arrive" | "request-frame" | "fsync" => {
                record.node
            }
            _ => 0,
        };
        let node = if node as usize <= self.nodes { node } else { 0 };
        let text = self.strings.intern(world.description().unwrap_or_default());
        self.times.push(record.time_us);
        self.kinds.push(record.kind);
        self.event_nodes.push(node);
        self.texts.push(text);
    }

    /// Matches a delivery with its sending, and tells whether the frame got through: a step
    /// that delivers one frame and cuts or drops one (beyond the frames it lost sending) lost
    /// that frame.
    fn note_delivery(
        &mut self,
        world: &dyn WorldView,
        record: &EventRecord,
        step: u64,
        losses: [u64; 3],
    ) {
        let key = (record.time_us, record.a & 0xffff_ffff, record.node, record.b as u32);
        let Some(waiting) = self.awaited.get_mut(&key) else { return };
        let arrow = waiting.remove(0);
        if waiting.is_empty() {
            self.awaited.remove(&key);
        }
        let lost_sending =
            world.sent_frames().iter().filter(|frame| frame.deliver_at_us.is_none()).count();
        let dropped = losses[0] - self.losses[0] > lost_sending as u64;
        let arrow = &mut self.arrows[arrow];
        arrow.deliver_step = Some(step);
        if losses[1] > self.losses[1] {
            arrow.fate = FATE_CUT;
        } else if dropped || losses[2] > self.losses[2] {
            arrow.fate = FATE_DROPPED;
        }
    }

    fn note_sends(&mut self, world: &dyn WorldView, step: u64) {
        let now_us = world.now_us();
        for frame in world.sent_frames() {
            let addressed = (1..=self.nodes as u64).contains(&frame.to) && frame.to != frame.from;
            if !addressed {
                continue;
            }
            let copies = match (frame.deliver_at_us, frame.duplicate_at_us) {
                (None, _) => vec![(None, false)],
                (Some(at_us), None) => vec![(Some(at_us), false)],
                (Some(at_us), Some(copy_us)) => vec![(Some(at_us), false), (Some(copy_us), true)],
            };
            for (deliver_us, duplicate) in copies {
                if let Some(at_us) = deliver_us {
                    let key = (at_us, frame.from, frame.to, frame.digest);
                    self.awaited.entry(key).or_default().push(self.arrows.len());
                }
                self.arrows.push(Arrow {
                    from: frame.from,
                    to: frame.to,
                    kind: frame.kind,
                    term: frame.term,
                    send_step: step,
                    send_us: now_us,
                    deliver_us,
                    deliver_step: None,
                    text: frame.description.clone(),
                    damage: frame.damage as u8,
                    duplicate,
                    digest: frame.digest,
                    fate: if deliver_us.is_some() { FATE_DELIVERED } else { FATE_LOST },
                });
            }
        }
    }

    /// Faults strike at their start, or, armed, at the protocol moment they wait for; they end
    /// at their end or at the heal.
    fn note_faults(&mut self, world: &dyn WorldView, record: &EventRecord, step: u64) {
        let now = (step, record.time_us);
        match record.kind {
            KIND_FAULT_START => self.armed.push(record.a as u32),
            KIND_FAULT_END => {
                let fault = record.a as u32;
                if world.active_fault(fault).is_none() {
                    self.close_band(fault, now);
                }
            }
            KIND_HEAL => {
                self.armed.clear();
                let open: Vec<u32> = self
                    .bands
                    .iter()
                    .filter(|band| band.end.is_none())
                    .map(|band| band.fault)
                    .collect();
                for fault in open {
                    self.close_band(fault, now);
                }
                self.heal = Some(now);
            }
            _ => {}
        }
        if self.armed.is_empty() {
            return;
        }
        let nodes = self.nodes;
        let mut struck = Vec::new();
        self.armed.retain(|&fault| match world.active_fault(fault) {
            Some(active) => {
                struck.push((fault, active.clone()));
                false
            }
            None => true,
        });
        for (fault, active) in struck {
            let skipped = matches!(active, ActiveFault::Skipped);
            self.bands.push(Band {
                fault,
                nodes: fault_nodes(&active, nodes),
                start: now,
                end: skipped.then_some(now),
                skipped,
            });
        }
    }

    fn close_band(&mut self, fault: u32, now: (u64, u64)) {
        if let Some(band) =
            self.bands.iter_mut().rev().find(|band| band.fault == fault && band.end.is_none())
        {
            band.end = Some(now);
        }
    }

    /// Each node's role, term, status, commit and applied index, and the committed prefix,
    /// where they changed.
    fn note_states(&mut self, world: &dyn WorldView, step: u64, in_window: bool) {
        for node in 1..=self.nodes as NodeId {
            let index = node as usize - 1;
            let previous = self.current[index];
            let status = world.node_status(node);
            let state = match (status, world.node_observation(node)) {
                (Status::Crashed, _) | (_, None) => {
                    [previous[0], previous[1], status_code(status), previous[3], previous[4]]
                }
                (_, Some(observed)) => [
                    role_code(observed.role),
                    observed.term,
                    status_code(status),
                    observed.commit_index,
                    world.applied_index(node),
                ],
            };
            if state != previous {
                self.current[index] = state;
                if in_window {
                    self.states[index].push((step, state));
                }
            }
        }
        let committed = world.committed_index();
        if committed != self.committed_now {
            self.committed_now = committed;
            if in_window {
                self.committed.push((step, committed));
            }
        }
    }
}

/// The nodes a fault concerned, as the lanes to shade; empty for all of them. A partition
/// concerns the side it cut off: the nodes with the most links cut (the minority of a split,
/// the isolated leader, the unheard senders of a one-way cut; every node, where the cut is
/// symmetric).
fn fault_nodes(active: &ActiveFault, nodes: usize) -> Vec<NodeId> {
    match active {
        ActiveFault::Cuts(cuts) => {
            let mut degree = vec![0usize; nodes + 1];
            for &(from, to) in cuts {
                for node in [from, to] {
                    if let Some(count) = degree.get_mut(node as usize) {
                        *count += 1;
                    }
                }
            }
            let most = degree.iter().copied().max().unwrap_or(0);
            let side: Vec<NodeId> =
                (1..=nodes as NodeId).filter(|&node| degree[node as usize] == most).collect();
            if most == 0 || side.len() == nodes { Vec::new() } else { side }
        }
        ActiveFault::Paused(node)
        | ActiveFault::Crashed(node)
        | ActiveFault::Slowed(node)
        | ActiveFault::Skewed(node)
        | ActiveFault::FsyncFailing(node)
        | ActiveFault::DiskFull(node)
        | ActiveFault::Corrupted(node) => vec![*node],
        ActiveFault::Burst | ActiveFault::Skipped => Vec::new(),
    }
}

/// A role as the page codes it (see `ROLES` in the page's script).
fn role_code(role: Role) -> u64 {
    match role {
        Role::Follower => 0,
        Role::PreCandidate => 1,
        Role::Candidate => 2,
        Role::Leader => 3,
    }
}

/// A status as the page codes it (see `STATUSES` in the page's script).
fn status_code(status: Status) -> u64 {
    match status {
        Status::Up => 0,
        Status::Paused => 1,
        Status::Crashed => 2,
    }
}

/// A table of strings, each kept once: most event descriptions repeat (`tick n3`).
#[derive(Default)]
struct Strings {
    positions: BTreeMap<String, u32>,
    table: Vec<String>,
}

impl Strings {
    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&position) = self.positions.get(text) {
            return position;
        }
        let position = self.table.len() as u32;
        self.positions.insert(text.to_owned(), position);
        self.table.push(text.to_owned());
        position
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftsim_sim::RunSpec;
    use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};

    /// Seed `seed` of `scenario`, watched by a timeline keeping the last `events_max` events.
    fn watched(scenario: &str, seed: u64, events_max: usize) -> (Timeline, raftsim_sim::RunResult) {
        let scenario = raftsim_sim::scenario::builtin(scenario).unwrap();
        let spec = RunSpec::from_seed(&scenario, seed, raftsim_raft::Bugs::NONE);
        let (plain, _) = RAFTSIM_ENGINE.run(spec.clone(), Settings::default());
        let mut timeline = Timeline::keeping(spec.options.nodes as usize, plain.events, events_max);
        let settings = Settings { record: true, describe: true, unchecked: false };
        let (result, _) = RAFTSIM_ENGINE.run_observed(spec, settings, &mut |world| {
            timeline.observe(world);
            true
        });
        assert_eq!(result, plain, "watching changes nothing");
        (timeline, result)
    }

    #[test]
    fn every_delivery_is_an_arrow_and_every_node_has_its_states() {
        let (timeline, result) = watched("partitions", 1, EVENTS_MAX);
        assert_eq!(timeline.first_step, 1);
        assert_eq!(timeline.times.len() as u64, result.events);
        let deliveries = timeline.kinds.iter().filter(|&&kind| kind == KIND_DELIVER).count();
        let delivered = timeline.arrows.iter().filter(|arrow| arrow.deliver_step.is_some());
        assert_eq!(delivered.count(), deliveries, "each delivery is an arrow's");
        for arrow in &timeline.arrows {
            let due = arrow.deliver_us.is_some_and(|at_us| at_us <= result.end_time_us);
            assert!(!due || arrow.deliver_step.is_some(), "an arrow due but never delivered");
            assert_eq!(arrow.deliver_us.is_none(), arrow.fate == FATE_LOST);
        }
        let lost = timeline.arrows.iter().filter(|arrow| arrow.fate != FATE_DELIVERED).count();
        assert!(lost > 0, "a partition loses frames");
        assert!(!timeline.bands.is_empty(), "the partitions struck");
        assert!(timeline.heal.is_some());
        for states in &timeline.states {
            assert_eq!(states[0].0, 0, "every lane starts at the boot");
            assert!(states.iter().any(|(_, state)| state[1] > 0), "every node reaches a term");
        }
        assert!(timeline.committed.len() > 1, "entries are committed");
    }

    #[test]
    fn a_long_run_keeps_its_last_events_and_the_state_they_start_from() {
        let (timeline, result) = watched("default", 2, 500);
        assert!(result.events > 1000, "a run longer than the window");
        assert_eq!(timeline.times.len(), 500);
        assert_eq!(timeline.first_step, result.events - 499);
        for states in &timeline.states {
            assert_eq!(states[0].0, timeline.first_step - 1, "a lane starts with the window");
        }
        assert_eq!(timeline.committed[0].0, timeline.first_step - 1);
        let start_us = timeline.times[0];
        for arrow in &timeline.arrows {
            let reaches =
                arrow.send_us >= start_us || arrow.deliver_us.is_some_and(|at| at >= start_us);
            assert!(reaches, "an arrow that never reaches into the window is let go");
        }
    }

    #[test]
    fn a_partition_shades_the_side_it_cut_off() {
        let split = ActiveFault::Cuts(vec![(1, 2), (2, 1), (1, 3), (3, 1), (1, 4), (4, 1)]);
        assert_eq!(fault_nodes(&split, 4), vec![1]);
        let one_way = ActiveFault::Cuts(vec![(1, 2), (1, 3)]);
        assert_eq!(fault_nodes(&one_way, 3), vec![1]);
        let halves =
            ActiveFault::Cuts(vec![(1, 3), (3, 1), (1, 4), (4, 1), (2, 3), (3, 2), (2, 4), (4, 2)]);
        assert_eq!(fault_nodes(&halves, 4), Vec::<NodeId>::new(), "symmetric: every lane");
        assert_eq!(fault_nodes(&ActiveFault::Crashed(2), 3), vec![2]);
    }

    #[test]
    fn strings_are_kept_once() {
        let mut strings = Strings::default();
        assert_eq!(strings.intern("tick n1"), 0);
        assert_eq!(strings.intern("tick n2"), 1);
        assert_eq!(strings.intern("tick n1"), 0);
        assert_eq!(strings.table.len(), 2);
    }
}
