//! A simulated server: a Raft under test with its disk, its inbox, its state machine and its
//! status.

use std::collections::VecDeque;

use crate::disk::Disk;
use crate::raft_under_test::{
    MembershipChange, NodeId, NodeSetup, Observation, Payload, RaftUnderTest, ReadReady, WriteId,
};
use crate::state_machine::{CommandId, StateMachine};

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

impl Status {
    /// The status's name, for timelines.
    pub fn name(self) -> &'static str {
        match self {
            Status::Up => "up",
            Status::Paused => "paused",
            Status::Crashed => "crashed",
        }
    }
}

/// A client's write that a follower forwarded to its leader.
#[derive(Clone, Debug)]
pub struct ForwardedWrite {
    /// The client's command id.
    pub id: CommandId,
    /// The command, as forwarded.
    pub command: Payload,
    /// The leader it was last forwarded to.
    pub leader: NodeId,
}

/// An input waiting in a server's inbox.
#[derive(Clone, Debug)]
pub enum Input {
    /// Its timer fired.
    Tick,
    /// A frame from a peer.
    Frame {
        /// Sender, as the network saw it.
        from: NodeId,
        /// The bytes received.
        frame: Vec<u8>,
        /// What the network did to it (ground truth for the integrity check).
        damage: crate::event::Damage,
    },
    /// A client request.
    Request {
        /// The client.
        client: u32,
        /// Its sequence number.
        sequence: u64,
    },
    /// A write a follower forwarded, to propose as it is.
    Forwarded {
        /// The command.
        command: Payload,
    },
    /// The operator asks the server to hand its leadership over to `target`.
    Transfer {
        /// The node to take over.
        target: NodeId,
    },
    /// The operator asks the server, if it leads, to change the configuration.
    ChangeMembership {
        /// What to change.
        changes: Vec<MembershipChange>,
        /// Through a joint configuration even for one voter.
        joint: bool,
        /// Which time of asking (see [`crate::event::Event::MembershipChange`]).
        attempt: u32,
    },
    /// Its disk completed an fsync: every write up to `write` is durable. Like a tick, never
    /// dropped by a full inbox.
    Persisted {
        /// The last write the fsync covered.
        write: WriteId,
    },
    /// Its disk failed the fsync covering the writes up to `write` (EIO). Never dropped.
    PersistFailed {
        /// The last write the fsync covered.
        write: WriteId,
    },
}

/// One simulated server.
pub struct SimNode<R: RaftUnderTest> {
    /// Its id.
    pub id: NodeId,
    /// The protocol state; `None` while crashed.
    pub raft: Option<R>,
    /// What survives a crash.
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
    /// Tick interval in percent of normal (100 unless skewed); change it with
    /// [`SimNode::set_tick_percent`], which keeps the local clock running at the same rate.
    pub tick_percent: u32,
    /// The local clock's reading at a virtual time, since when it runs at `tick_percent`:
    /// `(virtual_us, local_us)`.
    clock_base: (u64, u64),
    /// Reads its Raft released, waiting for the state machine to apply their index.
    pub reads: Vec<ReadReady>,
    /// Writes it forwarded to a leader and has not yet applied (see `Routing::Forward`).
    pub forwarded: Vec<ForwardedWrite>,
    /// Commands it made up as a proxy (only under the `forwarded-write-twice` bug).
    pub proxy_sequence: u64,
    /// Its state machine (volatile).
    pub state_machine: StateMachine,
    /// The applied index of its state machine's last snapshot (taken or restored).
    pub snapshot_index: u64,
    /// Messages that wait for the disk, each with the last write it waits for, oldest first.
    pub held: VecDeque<(WriteId, R::Message)>,
    /// The id of the last write it handed to its disk in this incarnation.
    pub last_write_id: WriteId,
    /// Its incarnation: bumped at every crash, so that an fsync of an earlier one that
    /// completes later is moot.
    pub incarnation: u64,
    /// Whether it stopped because an fsync failed (and restarts when that fault ends).
    pub stopped_by_fsync: bool,
}

impl<R: RaftUnderTest> SimNode<R> {
    /// A freshly booted server, with an empty `disk`.
    pub fn boot(setup: NodeSetup, tuning: &R::Tuning, disk: Disk) -> SimNode<R> {
        let raft = R::boot(&setup, tuning, disk.image()).unwrap_or_else(|error| {
            panic!("node {} cannot boot on an empty disk: {error}", setup.id)
        });
        SimNode {
            id: setup.id,
            raft: Some(raft),
            disk,
            status: Status::Up,
            inbox: VecDeque::new(),
            busy_until_us: 0,
            process_scheduled: false,
            slowdown: 1,
            tick_percent: 100,
            clock_base: (0, 0),
            reads: Vec::new(),
            forwarded: Vec::new(),
            proxy_sequence: 0,
            state_machine: StateMachine::default(),
            snapshot_index: 0,
            held: VecDeque::new(),
            last_write_id: 0,
            incarnation: 0,
            stopped_by_fsync: false,
        }
    }

    /// The running protocol state. Precondition: the node is not crashed.
    pub fn raft_mut(&mut self) -> &mut R {
        self.raft.as_mut().expect("the node is not crashed")
    }

    /// Loses everything volatile: the protocol state, the inbox and the state machine. Returns
    /// the frames that were waiting in the inbox.
    pub fn crash(&mut self) -> Vec<Vec<u8>> {
        self.raft = None;
        self.status = Status::Crashed;
        let frames = self
            .inbox
            .drain(..)
            .filter_map(|input| match input {
                Input::Frame { frame, .. } => Some(frame),
                Input::Tick
                | Input::Request { .. }
                | Input::Forwarded { .. }
                | Input::Transfer { .. }
                | Input::ChangeMembership { .. }
                | Input::Persisted { .. }
                | Input::PersistFailed { .. } => None,
            })
            .collect();
        self.held.clear();
        self.reads.clear();
        self.forwarded.clear();
        self.last_write_id = 0;
        self.incarnation += 1;
        self.state_machine = StateMachine::default();
        self.snapshot_index = 0;
        self.process_scheduled = false;
        self.slowdown = 1;
        frames
    }

    /// Restarts from the disk with `setup` (whose seed differs per incarnation).
    pub fn restart(&mut self, setup: NodeSetup, tuning: &R::Tuning) {
        assert_eq!(self.status, Status::Crashed);
        let raft = R::boot(&setup, tuning, self.disk.image())
            .unwrap_or_else(|error| panic!("node {} cannot boot from its disk: {error}", self.id));
        self.raft = Some(raft);
        self.status = Status::Up;
    }

    /// Its local clock at virtual time `now_us`: a monotonic clock that counts a tick interval
    /// of its own per normal tick, and runs on through pauses and crashes, like a machine's.
    pub fn local_clock_us(&self, now_us: u64) -> u64 {
        let (since_us, reading_us) = self.clock_base;
        reading_us + (now_us - since_us) * 100 / u64::from(self.tick_percent)
    }

    /// Its ticks (and its clock) run at `tick_percent` percent of the normal interval from
    /// `now_us` on.
    pub fn set_tick_percent(&mut self, now_us: u64, tick_percent: u32) {
        self.clock_base = (now_us, self.local_clock_us(now_us));
        self.tick_percent = tick_percent;
    }

    /// Its account of itself, unless crashed.
    pub fn observation(&self) -> Option<Observation> {
        self.raft.as_ref().map(R::observe)
    }

    /// Whether it leads (and is running).
    pub fn is_leader(&self) -> bool {
        self.observation()
            .is_some_and(|observation| observation.role == crate::raft_under_test::Role::Leader)
    }
}
