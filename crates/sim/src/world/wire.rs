//! Client traffic as frames on the simulated network (`ClientParams::over_network`): sending
//! requests, answers and forwarded writes through the network's faults, receiving them, and
//! the follower's side of forwarding (`Routing::Forward`).
//!
//! A client sits beside one server (its zone) and reaches another only while the link between
//! the two servers is up, so a partition cuts clients off with the servers beside them.

use raftsim_raft::Bug;

use super::World;
use crate::check::Violation;
use crate::client_frame::{self, ClientFrame};
use crate::event::{Damage, Event, Reply};
use crate::kv::KvOutput;
use crate::node::{ForwardedWrite, Input, Status};
use crate::raft_under_test::{NodeId, Payload, RaftUnderTest, Role};
use crate::state_machine::{COMMAND_ID_BYTES, CommandId};

/// Client ids from here on are a follower's own commands, made when it retries a forwarded
/// write as a proxy (only under the `forwarded-write-twice` bug): `PROXY_CLIENT_BASE | node`.
const PROXY_CLIENT_BASE: u32 = 1 << 30;

/// Where a client frame goes.
#[derive(Clone, Copy, Debug)]
pub(super) enum Destination {
    /// A server.
    Server(NodeId),
    /// A client.
    Client(u32),
}

impl<R: RaftUnderTest> World<R> {
    /// The server beside which `client` sits.
    pub(super) fn zone(&self, client: u32) -> NodeId {
        1 + (client as NodeId) % self.nodes.len() as NodeId
    }

    /// Sends `message` from the zone of server `from` to `to` through the network's faults.
    pub(super) fn send_client_frame(
        &mut self,
        from: NodeId,
        to: Destination,
        message: &ClientFrame,
    ) {
        let mut frame = self.frame_buffer();
        client_frame::encode(message, &mut frame);
        self.bytes_in_flight += frame.len() as u64;
        let to_zone = match to {
            Destination::Server(node) => node,
            Destination::Client(client) => self.zone(client),
        };
        self.counters.client_frames_sent += 1;
        let transit = self.network.transit(from, to_zone, &mut frame);
        if transit.dropped {
            self.counters.client_frames_lost += 1;
            self.release_frame(frame);
            return;
        }
        let damage = if transit.corrupted { Damage::Corrupted } else { Damage::None };
        let event = |frame: Vec<u8>| match to {
            Destination::Server(node) => Event::RequestFrame { to: node, from, frame, damage },
            Destination::Client(client) => Event::ReplyFrame { client, from, frame, damage },
        };
        if transit.duplicated {
            self.counters.frames_duplicated += 1;
            self.bytes_in_flight += frame.len() as u64;
            let at_us = self.now_us + self.output_delay_us + self.network.latency_us();
            self.queue.push(at_us, event(frame.clone()));
        }
        let latency = self.output_delay_us + self.network.latency_us() + transit.extra_delay_us;
        self.queue.push(self.now_us + latency, event(frame));
    }

    /// Decodes a client frame that arrived across the link `from → to_zone`: `None` if the link
    /// was cut while it travelled or its checksum refuses it.
    fn receive_client_frame(
        &mut self,
        from: NodeId,
        to_zone: NodeId,
        frame: Vec<u8>,
        damage: Damage,
    ) -> Option<ClientFrame> {
        if !self.network.is_reachable(from, to_zone) {
            self.counters.client_frames_lost += 1;
            self.release_frame(frame);
            return None;
        }
        let decoded = client_frame::decode(&frame);
        self.release_frame(frame);
        match decoded {
            Ok(message) => {
                assert!(damage == Damage::None, "a damaged client frame passed its checksum");
                Some(message)
            }
            Err(error) => {
                assert!(damage != Damage::None, "an undamaged client frame was refused: {error}");
                self.counters.client_frames_rejected += 1;
                None
            }
        }
    }

    /// A request or a forwarded write reaches server `to`.
    pub(super) fn on_request_frame(
        &mut self,
        to: NodeId,
        from: NodeId,
        frame: Vec<u8>,
        damage: Damage,
    ) -> Result<(), Box<Violation>> {
        if self.nodes[to as usize - 1].status == Status::Crashed {
            self.counters.client_frames_lost += 1;
            self.release_frame(frame);
            return Ok(());
        }
        match self.receive_client_frame(from, to, frame, damage) {
            Some(ClientFrame::Request { client, sequence }) => {
                self.arrive(to, Input::Request { client, sequence })
            }
            Some(ClientFrame::Forward { command }) => self.arrive(to, Input::Forwarded { command }),
            Some(ClientFrame::Reply { .. }) | None => Ok(()),
        }
    }

    /// An answer reaches `client`.
    pub(super) fn on_reply_frame(
        &mut self,
        client: u32,
        from: NodeId,
        frame: Vec<u8>,
        damage: Damage,
    ) -> Result<(), Box<Violation>> {
        let zone = self.zone(client);
        if let Some(ClientFrame::Reply { client: to, sequence, reply, output }) =
            self.receive_client_frame(from, zone, frame, damage)
        {
            debug_assert_eq!(to, client, "an answer reaches the client it names");
            return self.on_client_reply(client, sequence, reply, output);
        }
        Ok(())
    }

    /// A follower forwards a client's write to `leader`, and remembers it, to answer the
    /// client once it applies the write itself. A write it already forwarded goes to the new
    /// leader with the client's own command id, which the state machine's sessions apply once
    /// however often it arrives — or, under `forwarded-write-twice`, as a new command of the
    /// follower's own, which is applied again.
    pub(super) fn forward_write(&mut self, node: NodeId, leader: NodeId, command: Payload) {
        let id = CommandId::parse(&command).expect("a request's command starts with its id");
        let sim_node = &mut self.nodes[node as usize - 1];
        let sent = match sim_node.forwarded.iter().position(|write| write.id == id) {
            Some(position) => {
                sim_node.forwarded[position].leader = leader;
                if self.spec.bugs.contains(Bug::ForwardedWriteTwice) {
                    sim_node.proxy_sequence += 1;
                    let client = PROXY_CLIENT_BASE | node as u32;
                    let proxy = CommandId { client, sequence: sim_node.proxy_sequence };
                    let mut bytes = proxy.payload(0).to_vec();
                    bytes.extend_from_slice(&command[COMMAND_ID_BYTES..]);
                    Payload::from_slice(&bytes)
                } else {
                    command
                }
            }
            None => {
                sim_node.forwarded.push(ForwardedWrite { id, command: command.clone(), leader });
                command
            }
        };
        self.counters.writes_forwarded += 1;
        let message = ClientFrame::Forward { command: sent };
        self.send_client_frame(node, Destination::Server(leader), &message);
    }

    /// After an input at `node`: if it holds forwarded writes and now follows another leader
    /// than it sent them to, it sends them to the new one.
    pub(super) fn reforward_writes(&mut self, node: NodeId) {
        let sim_node = &self.nodes[node as usize - 1];
        if sim_node.forwarded.is_empty() {
            return;
        }
        let Some(observation) = sim_node.observation() else { return };
        let Some(leader) = observation.leader.filter(|&leader| leader != node) else { return };
        if observation.role != Role::Follower {
            return;
        }
        let stale: Vec<Payload> = sim_node
            .forwarded
            .iter()
            .filter(|write| write.leader != leader)
            .map(|write| write.command.clone())
            .collect();
        for command in stale {
            self.forward_write(node, leader, command);
        }
    }

    /// `node` applied command `id`: it no longer needs forwarding.
    pub(super) fn forgo_forwarded(&mut self, node: NodeId, id: CommandId) {
        let forwarded = &mut self.nodes[node as usize - 1].forwarded;
        if !forwarded.is_empty() {
            forwarded.retain(|write| write.id != id);
        }
    }

    /// `node` answers `client`: as a frame through the network, or (without `over_network`)
    /// after a drawn latency.
    pub(super) fn reply_to_client(
        &mut self,
        node: NodeId,
        client: u32,
        sequence: u64,
        reply: Reply,
        output: Option<KvOutput>,
    ) {
        if self.over_network {
            let message = ClientFrame::Reply { client, sequence, reply, output };
            self.send_client_frame(node, Destination::Client(client), &message);
            return;
        }
        let latency = self.network_latency() + self.output_delay_us;
        let output = output.map(Box::new);
        self.queue
            .push(self.now_us + latency, Event::ClientReply { client, sequence, reply, output });
    }
}
