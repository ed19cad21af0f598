//! A client's circuit breakers, one per server: a client stops sending to a server that keeps
//! failing it, so that a crashed or stalled server costs it one cool-down instead of a timeout
//! per request, and tries it again with a single probe once the cool-down is over.
//!
//! The states are the usual three: *closed* (requests go through; failures are counted),
//! *open* (no request goes to the server until the cool-down ends) and *half-open* (one probe
//! request is out; its success closes the breaker, its failure opens it again).

use crate::raft_under_test::NodeId;
use crate::scenario::BreakerParams;

/// One server's breaker, as one client sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Breaker {
    /// Failed attempts in a row.
    failures: u32,
    /// While open: when the cool-down ends.
    open_until_us: Option<u64>,
    /// Whether the one probe of a half-open breaker is out.
    probing: bool,
}

/// A client's breakers for every server.
#[derive(Clone, Debug)]
pub struct Breakers {
    params: BreakerParams,
    /// Indexed by server id − 1.
    servers: Vec<Breaker>,
    /// Breakers opened so far.
    pub opened: u64,
    /// Half-open probes sent so far.
    pub probes: u64,
}

impl Breakers {
    /// Closed breakers for `servers` servers.
    pub fn new(params: BreakerParams, servers: NodeId) -> Breakers {
        Breakers {
            params,
            servers: vec![Breaker::default(); servers as usize],
            opened: 0,
            probes: 0,
        }
    }

    /// Whether a request may go to `server` at `now_us`: its breaker is closed, or its
    /// cool-down is over and no probe is out yet.
    pub fn allows(&self, server: NodeId, now_us: u64) -> bool {
        let breaker = &self.servers[server as usize - 1];
        match breaker.open_until_us {
            None => true,
            Some(until) => now_us >= until && !breaker.probing,
        }
    }

    /// A request goes to `server` (which [`Breakers::allows`] it): a half-open breaker's probe.
    pub fn on_send(&mut self, server: NodeId) {
        let breaker = &mut self.servers[server as usize - 1];
        if breaker.open_until_us.is_some() {
            breaker.probing = true;
            self.probes += 1;
        }
    }

    /// `server` answered the request.
    pub fn on_success(&mut self, server: NodeId) {
        self.servers[server as usize - 1] = Breaker::default();
    }

    /// The request to `server` failed (timed out, or the server was busy).
    pub fn on_failure(&mut self, server: NodeId, now_us: u64) {
        let cooldown_us = self.params.cooldown_ms * 1000;
        let threshold = self.params.failures;
        let breaker = &mut self.servers[server as usize - 1];
        breaker.failures = breaker.failures.saturating_add(1);
        if breaker.probing || breaker.failures >= threshold {
            *breaker = Breaker {
                failures: breaker.failures,
                open_until_us: Some(now_us + cooldown_us),
                probing: false,
            };
            self.opened += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breakers() -> Breakers {
        Breakers::new(BreakerParams { failures: 2, cooldown_ms: 100 }, 3)
    }

    #[test]
    fn opens_after_failures_in_a_row_and_a_success_resets_the_count() {
        let mut breakers = breakers();
        breakers.on_failure(2, 0);
        breakers.on_success(2);
        breakers.on_failure(2, 10);
        assert!(breakers.allows(2, 10), "one failure since the success");
        breakers.on_failure(2, 20);
        assert!(!breakers.allows(2, 20) && !breakers.allows(2, 100_019));
        assert!(breakers.allows(1, 20) && breakers.allows(3, 20), "one breaker per server");
        assert_eq!(breakers.opened, 1);
    }

    #[test]
    fn half_open_lets_one_probe_through_which_closes_or_reopens_it() {
        let mut breakers = breakers();
        breakers.on_failure(1, 0);
        breakers.on_failure(1, 0);
        assert!(breakers.allows(1, 100_000), "cooled down: half-open");
        breakers.on_send(1);
        assert!(!breakers.allows(1, 100_000), "one probe at a time");
        breakers.on_failure(1, 150_000);
        assert!(!breakers.allows(1, 249_999), "a failed probe opens it again at once");
        assert!(breakers.allows(1, 250_000));
        breakers.on_send(1);
        breakers.on_success(1);
        assert!(breakers.allows(1, 250_001));
        breakers.on_send(1);
        assert_eq!((breakers.opened, breakers.probes), (2, 2), "a closed breaker sends no probe");
    }
}
