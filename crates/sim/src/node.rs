//! A simulated server: a Raft node with its disk, its inbox, its state machine and its status.

use std::collections::VecDeque;

use raftsim_raft::{Config, DurableState, FrameCodec, Node, NodeId, Ready, RoleKind};

use crate::check::NodeState;
use crate::hash::chain_entry;
use crate::state_machine::StateMachine;

/// Whether a server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Processing inputs and ticking.
    Up,
    /// Unresponsive: neither processing nor ticking; inputs queue in the inbox.
    Paused,
    /// Down: volatile state lost, inputs dropped, until it restarts from its disk.
    Crashed,
}

/// An input waiting in a server's inbox.
#[derive(Clone, Debug)]
pub enum Input {
    /// A frame from a peer.
    Frame {
        /// Sender, as the network saw it.
        from: NodeId,
        /// The bytes received.
        frame: Vec<u8>,
        /// Whether the network damaged it (ground truth for the integrity check).
        corrupted: bool,
    },
    /// A client request.
    Request {
        /// The client.
        client: u32,
        /// Its sequence number.
        sequence: u64,
    },
}

/// What survives a crash: the hard state and log the server persisted, with the chained prefix
/// hash of that log (kept alongside so the checker never rehashes a log).
#[derive(Clone, Debug, Default)]
pub struct Disk {
    /// The persisted state, as [`Node::restart`] takes it.
    pub durable: DurableState,
    /// `prefix[i - 1]`: chained hash of entries `1..=i` of `durable.entries`.
    pub prefix: Vec<u64>,
}

impl Disk {
    /// Persists the storage half of `ready`. Returns whether it truncated existing entries.
    pub fn persist(&mut self, ready: &Ready) -> bool {
        let mut truncated = false;
        if let Some(from) = ready.log_from {
            let keep = from as usize - 1;
            truncated = keep < self.durable.entries.len();
            self.prefix.truncate(keep);
            let mut hash = self.prefix.last().copied().unwrap_or(0);
            for entry in &ready.entries {
                hash = chain_entry(hash, entry);
                self.prefix.push(hash);
            }
        }
        ready.persist_into(&mut self.durable);
        debug_assert_eq!(self.prefix.len(), self.durable.entries.len());
        truncated
    }
}

/// One simulated server.
pub struct SimNode {
    /// Its id.
    pub id: NodeId,
    /// The protocol state; `None` while crashed.
    pub raft: Option<Node>,
    /// What it made durable.
    pub disk: Disk,
    /// Running, paused or crashed.
    pub status: Status,
    /// Inputs waiting to be processed. Invariant: at most the configured capacity.
    pub inbox: VecDeque<Input>,
    /// Virtual time until which it is busy with its last input.
    pub busy_until_us: u64,
    /// Whether a `Process` event is pending for it.
    pub process_scheduled: bool,
    /// Service time multiplier (1 unless slowed by an overload fault).
    pub slowdown: u32,
    /// Tick interval in percent of normal (100 unless skewed).
    pub tick_percent: u32,
    /// Its state machine (volatile).
    pub state_machine: StateMachine,
    /// Its frame decoder.
    pub codec: FrameCodec,
}

impl SimNode {
    /// A freshly booted server, with an empty disk.
    pub fn new(config: Config, codec: FrameCodec) -> SimNode {
        let id = config.id;
        let raft = Node::new(config).expect("the simulator builds valid configs");
        SimNode {
            id,
            raft: Some(raft),
            disk: Disk::default(),
            status: Status::Up,
            inbox: VecDeque::new(),
            busy_until_us: 0,
            process_scheduled: false,
            slowdown: 1,
            tick_percent: 100,
            state_machine: StateMachine::default(),
            codec,
        }
    }

    /// The running protocol state. Precondition: the node is not crashed.
    pub fn raft_mut(&mut self) -> &mut Node {
        self.raft.as_mut().expect("the node is not crashed")
    }

    /// Loses everything volatile: the protocol state, the inbox and the state machine.
    pub fn crash(&mut self) {
        self.raft = None;
        self.status = Status::Crashed;
        self.inbox.clear();
        self.state_machine = StateMachine::default();
        self.process_scheduled = false;
        self.slowdown = 1;
    }

    /// Restarts from the disk with `config` (whose seed differs per incarnation).
    pub fn restart(&mut self, config: Config) {
        assert_eq!(self.status, Status::Crashed);
        let raft = Node::restart(config, &self.disk.durable, 0)
            .expect("the simulator builds valid configs");
        self.raft = Some(raft);
        self.status = Status::Up;
    }

    /// The node as the checker sees it: live state when running, durable state when crashed.
    pub fn state(&self) -> NodeState {
        match &self.raft {
            Some(raft) => NodeState {
                up: true,
                role: raft.role(),
                term: raft.term(),
                vote: raft.vote(),
                commit_index: raft.commit_index(),
                last_index: raft.log().last_index(),
            },
            None => {
                let hard_state = self.disk.durable.hard_state;
                NodeState {
                    up: false,
                    role: RoleKind::Follower,
                    term: hard_state.term,
                    vote: hard_state.vote,
                    commit_index: hard_state.commit,
                    last_index: self.disk.durable.entries.len() as u64,
                }
            }
        }
    }

    /// Whether it leads (and is running).
    pub fn is_leader(&self) -> bool {
        self.raft.as_ref().is_some_and(|raft| raft.role() == RoleKind::Leader)
    }
}
