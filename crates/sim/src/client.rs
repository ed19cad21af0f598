//! Closed-loop clients: each keeps one request outstanding, follows leader hints, and retries
//! with capped exponential backoff and jitter until its request is applied; with circuit
//! breakers (see [`crate::breaker`]), it keeps away from servers that keep failing it.

use rand::Rng;

use crate::breaker::Breakers;
use crate::event::{Event, EventQueue, Reply};
use crate::kv::{KvInput, KvOutput};
use crate::kv_workload::KvWorkload;
use crate::raft_under_test::NodeId;
use crate::rng::Stream;
use crate::scenario::{ClientParams, ReadMode};

/// Client ids from here on are one-shot burst requests, which expect no reply.
pub const BURST_CLIENT_BASE: u32 = 1 << 20;

/// Shortest retry backoff, doubled per attempt up to the scenario's maximum.
const BACKOFF_US_BASE: u64 = 5_000;

/// One client.
#[derive(Clone, Debug)]
struct Client {
    /// Sequence number of the current request (1, 2, ...).
    sequence: u64,
    /// Attempts made at the current request; 0 before the first send.
    attempt: u32,
    /// Where the next attempt goes: the last known leader, if any.
    leader_hint: Option<NodeId>,
    /// Node the current attempt went to, while waiting for its reply.
    awaiting: Option<NodeId>,
    /// While the client knows no leader: the node its last attempt went to, which timed out or
    /// knew no leader either. The next attempt goes to the one after it, so that the client
    /// tries every server in turn and reaches the leader within one round of them, instead of
    /// drawing a dead or cut-off one again and again.
    tried_last: Option<NodeId>,
    /// When the current attempt was sent.
    sent_at_us: u64,
    /// When the current request's first attempt was sent.
    first_sent_at_us: u64,
    /// When the attempt that completed its last request was sent, if any completed.
    last_completed_sent_at_us: Option<u64>,
    /// Its circuit breakers, one per server, if the scenario gives clients breakers.
    breakers: Option<Breakers>,
}

/// A reply that completed a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// When the completed attempt was sent.
    pub sent_at_us: u64,
    /// When the request's first attempt was sent: its client waited from then.
    pub first_sent_at_us: u64,
}

/// All clients of a run.
pub struct Clients {
    params: ClientParams,
    nodes: NodeId,
    /// The servers the operator lists for clients to try, when the membership changes (the
    /// members of the committed configuration); every node otherwise.
    directory: Option<Vec<NodeId>>,
    clients: Vec<Client>,
    rng: Stream,
    /// Retries made (redirects, timeouts, busy leaders).
    pub retries: u64,
    /// Requests completed.
    pub completed: u64,
    /// Retries that followed a redirect.
    pub redirect_retries: u64,
    /// The key-value workload's operations and history, if the clients run it.
    pub kv: Option<KvWorkload>,
}

impl Clients {
    /// `params.clients` clients of a cluster of `nodes`, each sending its first request after
    /// a think time.
    pub fn new(
        params: ClientParams,
        nodes: NodeId,
        rng: Stream,
        queue: &mut EventQueue,
    ) -> Clients {
        let count = params.clients as usize;
        let kv = params.kv.clone().map(|kv| KvWorkload::new(kv, count));
        let idle = Client {
            sequence: 1,
            attempt: 0,
            leader_hint: None,
            awaiting: None,
            tried_last: None,
            sent_at_us: 0,
            first_sent_at_us: 0,
            last_completed_sent_at_us: None,
            breakers: params.circuit_breaker.map(|breaker| Breakers::new(breaker, nodes)),
        };
        let mut clients = Clients {
            params,
            nodes,
            directory: None,
            clients: vec![idle; count],
            rng,
            retries: 0,
            completed: 0,
            redirect_retries: 0,
            kv,
        };
        for client in 0..count as u32 {
            let delay = clients.think_time_us();
            queue.push(delay, Event::ClientSend { client });
        }
        clients
    }

    fn think_time_us(&mut self) -> u64 {
        let span = self.params.think_time_ms;
        self.rng.random_range(span.min()..=span.max()) * 1000
    }

    /// Payload size of each command.
    pub fn payload_bytes(&self) -> usize {
        self.params.payload_bytes as usize
    }

    /// The operator lists `members` as the servers to try.
    pub fn set_directory(&mut self, members: Vec<NodeId>) {
        self.directory = Some(members);
    }

    /// A node drawn at random from the directory (or among every node).
    fn pick_listed(&mut self) -> NodeId {
        match &self.directory {
            Some(members) if !members.is_empty() => {
                members[self.rng.random_range(0..members.len())]
            }
            _ => self.rng.random_range(1..=self.nodes),
        }
    }

    /// The node a client's request should go to: the leader it last heard of, else the node
    /// after the one it last tried in vain, else a random one — among those its breakers let
    /// through, if it has breakers and any does.
    fn pick_target(&mut self, client: usize, now_us: u64) -> NodeId {
        let state = &self.clients[client];
        let allows = |node: NodeId| {
            state.breakers.as_ref().is_none_or(|breakers| breakers.allows(node, now_us))
        };
        if let Some(node) = state.leader_hint.filter(|&node| allows(node)) {
            return node;
        }
        if let Some(node) = state.tried_last.and_then(|tried| self.next_after(tried, allows)) {
            return node;
        }
        self.pick_any(client, now_us)
    }

    /// The first node after `tried` in id order, cyclically, among the directory (or every
    /// node) and those `allows` lets through; `None` if it lets none through.
    fn next_after(&self, tried: NodeId, allows: impl Fn(NodeId) -> bool) -> Option<NodeId> {
        let listed: Vec<NodeId> = match &self.directory {
            Some(members) if !members.is_empty() => members.clone(),
            _ => (1..=self.nodes).collect(),
        };
        let open = || listed.iter().copied().filter(|&node| allows(node));
        open().filter(|&node| node > tried).min().or_else(|| open().min())
    }

    /// Any node, drawn at random among those the client's breakers let through (if it has
    /// breakers and any does).
    fn pick_any(&mut self, client: usize, now_us: u64) -> NodeId {
        let Some(breakers) = &self.clients[client].breakers else {
            return self.pick_listed();
        };
        let open: Vec<NodeId> =
            (1..=self.nodes).filter(|&node| breakers.allows(node, now_us)).collect();
        match open.len() {
            0 => self.rng.random_range(1..=self.nodes),
            count => open[self.rng.random_range(0..count)],
        }
    }

    /// Breakers opened and half-open probes sent, over every client.
    pub fn breaker_counts(&self) -> (u64, u64) {
        self.clients
            .iter()
            .filter_map(|client| client.breakers.as_ref())
            .fold((0, 0), |(opened, probes), breakers| {
                (opened + breakers.opened, probes + breakers.probes)
            })
    }

    /// A one-way latency between a client and a node.
    pub fn latency_us(&mut self, latency_us_min: u64, latency_us_max: u64) -> u64 {
        self.rng.random_range(latency_us_min..=latency_us_max)
    }

    /// `client` sends its current request: returns the target node and schedules a timeout.
    pub fn send(&mut self, client: u32, now_us: u64, queue: &mut EventQueue) -> (NodeId, u64) {
        let index = client as usize;
        let mut node = self.pick_target(index, now_us);
        let timeout_us = self.params.request_timeout_ms * 1000;
        let state = &mut self.clients[index];
        if state.attempt == 0 {
            state.first_sent_at_us = now_us;
            if let Some(kv) = &mut self.kv {
                kv.call(client, state.sequence, now_us, &mut self.rng);
            }
        }
        if self.reads_at_any_server(client) {
            node = self.pick_any(index, now_us);
        }
        let state = &mut self.clients[index];
        if let Some(breakers) = &mut state.breakers {
            breakers.on_send(node);
        }
        state.attempt += 1;
        state.awaiting = Some(node);
        state.sent_at_us = now_us;
        let (sequence, attempt) = (state.sequence, state.attempt);
        queue.push(now_us + timeout_us, Event::ClientTimeout { client, sequence, attempt });
        (node, sequence)
    }

    /// Whether `client`'s current request is a read it may make at any server (follower
    /// reads).
    fn reads_at_any_server(&self, client: u32) -> bool {
        let Some(kv) = &self.kv else { return false };
        let modes = &kv.params().reads;
        if modes.get(client as usize % modes.len().max(1)) != Some(&ReadMode::Follower) {
            return false;
        }
        let sequence = self.clients[client as usize].sequence;
        matches!(kv.input(client, sequence), Some(KvInput::Get { .. }))
    }

    /// Whether `client` (not a burst request) waits for `sequence` from `node`.
    pub fn awaits(&self, client: u32, sequence: u64, node: NodeId) -> bool {
        self.clients
            .get(client as usize)
            .is_some_and(|state| state.sequence == sequence && state.awaiting == Some(node))
    }

    /// Whether some client completed a request it sent at or after `since_us`.
    pub fn any_completed_since(&self, since_us: u64) -> bool {
        self.clients.iter().any(|client| client.last_completed_sent_at_us >= Some(since_us))
    }

    /// The clients that have not completed a request sent at or after `since_us`.
    pub fn waiting_since(&self, since_us: u64) -> Vec<u32> {
        (0..self.clients.len() as u32)
            .filter(|&client| {
                self.clients[client as usize].last_completed_sent_at_us < Some(since_us)
            })
            .collect()
    }

    /// A reply arrived, with the store's answer in the key-value workload. Returns the
    /// completion if it finished the current request.
    pub fn on_reply(
        &mut self,
        client: u32,
        sequence: u64,
        reply: Reply,
        output: Option<KvOutput>,
        now_us: u64,
        queue: &mut EventQueue,
    ) -> Option<Completion> {
        let index = client as usize;
        let state = self.clients.get(index)?;
        let Some(server) = state.awaiting.filter(|_| state.sequence == sequence) else {
            return None; // A late or duplicate reply.
        };
        // A server that knows no leader sends the client on to the next; any other answer
        // ends the round.
        self.clients[index].tried_last = (reply == Reply::Redirect(None)).then_some(server);
        if let Some(breakers) = &mut self.clients[index].breakers {
            match reply {
                Reply::Busy => breakers.on_failure(server, now_us),
                Reply::Applied | Reply::Redirect(_) => breakers.on_success(server),
            }
        }
        let state = &self.clients[index];
        match reply {
            Reply::Applied => {
                let completion = Completion {
                    sent_at_us: state.sent_at_us,
                    first_sent_at_us: state.first_sent_at_us,
                };
                let leader = state.awaiting;
                if let (Some(kv), Some(output)) = (&mut self.kv, output) {
                    kv.complete(client, sequence, output, now_us);
                }
                let think = self.think_time_us();
                let state = &mut self.clients[index];
                state.sequence += 1;
                state.attempt = 0;
                state.awaiting = None;
                state.leader_hint = leader;
                state.last_completed_sent_at_us = Some(completion.sent_at_us);
                self.completed += 1;
                queue.push(now_us + think, Event::ClientSend { client });
                Some(completion)
            }
            Reply::Redirect(hint) => {
                self.clients[index].leader_hint = hint;
                self.redirect_retries += 1;
                self.retry(client, now_us, queue);
                None
            }
            Reply::Busy => {
                self.retry(client, now_us, queue);
                None
            }
        }
    }

    /// A request timer fired: retry if it is still the current attempt.
    pub fn on_timeout(
        &mut self,
        client: u32,
        sequence: u64,
        attempt: u32,
        now_us: u64,
        queue: &mut EventQueue,
    ) {
        let state = &mut self.clients[client as usize];
        if state.sequence == sequence
            && state.attempt == attempt
            && let Some(server) = state.awaiting
        {
            // The node may be down or partitioned away: forget the hint and try the next one.
            state.leader_hint = None;
            state.tried_last = Some(server);
            if let Some(breakers) = &mut state.breakers {
                breakers.on_failure(server, now_us);
            }
            self.retry(client, now_us, queue);
        }
    }

    fn retry(&mut self, client: u32, now_us: u64, queue: &mut EventQueue) {
        let state = &mut self.clients[client as usize];
        state.awaiting = None;
        let exponent = state.attempt.min(16);
        let cap_us = (BACKOFF_US_BASE << exponent).min(self.params.backoff_ms_max * 1000);
        let delay = self.rng.random_range(0..=cap_us);
        self.retries += 1;
        queue.push(now_us + delay, Event::ClientSend { client });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Concern, stream};
    use crate::scenario::{BreakerParams, Routing, Span};

    const NODES: NodeId = 5;

    fn clients(breaker: Option<BreakerParams>) -> (Clients, EventQueue) {
        let params = ClientParams {
            clients: 1,
            payload_bytes: 16,
            request_timeout_ms: 1_000,
            think_time_ms: Span(0, 0),
            backoff_ms_max: 0,
            kv: None,
            circuit_breaker: breaker,
            over_network: false,
            routing: Routing::Redirect,
        };
        let mut queue = EventQueue::default();
        let clients = Clients::new(params, NODES, stream(7, Concern::Workload), &mut queue);
        (clients, queue)
    }

    /// Sends client 0's request and lets it time out `times` times in a row: the servers tried.
    fn time_out(clients: &mut Clients, queue: &mut EventQueue, times: usize) -> Vec<NodeId> {
        let mut tried = Vec::new();
        let mut now_us = 0;
        for _ in 0..times {
            let (node, sequence) = clients.send(0, now_us, queue);
            tried.push(node);
            now_us += 1_000_000;
            let attempt = clients.clients[0].attempt;
            clients.on_timeout(0, sequence, attempt, now_us, queue);
        }
        tried
    }

    #[test]
    fn after_a_timeout_a_client_tries_the_next_server_in_turn() {
        let (mut clients, mut queue) = clients(None);
        let tried = time_out(&mut clients, &mut queue, 7);
        let first = tried[0];
        let expected: Vec<NodeId> = (0..7).map(|k| 1 + (first - 1 + k) % NODES).collect();
        assert_eq!(tried, expected, "every server once before any again");
    }

    #[test]
    fn turns_follow_the_directory_when_the_operator_lists_one() {
        let (mut clients, mut queue) = clients(None);
        clients.set_directory(vec![5, 1, 3]);
        let tried = time_out(&mut clients, &mut queue, 4);
        let next = |node: NodeId| match node {
            1 => 3,
            3 => 5,
            _ => 1,
        };
        assert!([1, 3, 5].contains(&tried[0]), "{tried:?}");
        assert_eq!(tried[1..], [next(tried[0]), next(next(tried[0])), tried[0]], "{tried:?}");
    }

    #[test]
    fn turns_skip_the_servers_whose_breakers_are_open() {
        let breaker = BreakerParams { failures: 1, cooldown_ms: 60_000 };
        let (mut clients, mut queue) = clients(Some(breaker));
        clients.clients[0].breakers.as_mut().expect("breakers").on_failure(3, 0);
        let tried = time_out(&mut clients, &mut queue, 4);
        let turn = [1, 2, 4, 5];
        let start = turn.iter().position(|&node| node == tried[0]).expect("not server 3");
        let expected: Vec<NodeId> = (0..4).map(|k| turn[(start + k) % 4]).collect();
        assert_eq!(tried, expected, "in turn, past server 3's open breaker");
    }

    #[test]
    fn a_server_that_knows_no_leader_passes_the_turn_on_and_a_hint_ends_it() {
        let (mut clients, mut queue) = clients(None);
        let tried = time_out(&mut clients, &mut queue, 1);
        let (node, sequence) = clients.send(0, 2_000_000, &mut queue);
        assert_eq!(node, 1 + tried[0] % NODES, "the next server after the timeout");
        clients.on_reply(0, sequence, Reply::Redirect(None), None, 2_100_000, &mut queue);
        let (next, sequence) = clients.send(0, 2_200_000, &mut queue);
        assert_eq!(next, 1 + node % NODES, "and the next after the one that knew no leader");
        let turn = 1 + next % NODES;
        let hint = if turn == 2 { 3 } else { 2 };
        clients.on_reply(0, sequence, Reply::Redirect(Some(hint)), None, 2_300_000, &mut queue);
        assert_eq!(clients.clients[0].tried_last, None);
        assert_eq!(clients.send(0, 2_400_000, &mut queue).0, hint, "the hint, not the turn");
    }
}
