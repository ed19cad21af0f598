//! The simulated network: directed reachability, and per-frame fault rules.
//!
//! Each frame a node sends passes a fixed sequence of rules; each rule looks at the frame and
//! the network's state and updates the frame's [`Transit`]: drop it, corrupt it, duplicate it or
//! delay it. Rules with a zero rate draw nothing from the random stream, so turning a rule off
//! changes no other rule's draws for frames it would not have touched. New fault kinds are new
//! rules; the event loop does not change.

use rand::Rng;

use crate::options::NetworkOptions;
use crate::raft_under_test::NodeId;
use crate::rng::Stream;

/// What the rules decided for one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transit {
    /// Lost: not delivered at all.
    pub dropped: bool,
    /// Bits were flipped.
    pub corrupted: bool,
    /// Delivered a second time, with its own latency.
    pub duplicated: bool,
    /// Extra latency on top of the drawn one.
    pub extra_delay_us: u64,
    /// To be rewritten and resealed by the sender's implementation (the `tamper` fault).
    pub tampered: bool,
}

/// One per-frame fault rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// Frames across a cut link are dropped.
    Partition,
    /// Frames are lost with this probability.
    Loss(f64),
    /// Frames get one to three bits flipped with this probability.
    Corrupt(f64),
    /// Frames are delivered twice with this probability.
    Duplicate(f64),
    /// Frames are rewritten and resealed, still passing their checksum, with this
    /// probability (outside Raft's fault model: see `Options::is_robustness_only`).
    Tamper(f64),
    /// Frames are held back by a delay drawn from `[min_us, max_us]` with probability `rate`.
    DelaySpike {
        /// Probability per frame.
        rate: f64,
        /// Shortest extra delay.
        min_us: u64,
        /// Longest extra delay.
        max_us: u64,
    },
}

/// Links, rules and latency.
pub struct Network {
    nodes: usize,
    /// `cuts[from * nodes + to]`: how many active partitions cut the link from `from` to `to`
    /// (ids minus one). Counting lets overlapping partitions heal independently.
    cuts: Vec<u16>,
    latency_us_min: u64,
    latency_us_max: u64,
    rules: Vec<Rule>,
    rng: Stream,
}

impl Network {
    /// A fully connected network of `nodes` with the given behaviour.
    pub fn new(nodes: usize, options: &NetworkOptions, rng: Stream) -> Network {
        let mut network = Network {
            nodes,
            cuts: vec![0; nodes * nodes],
            latency_us_min: options.latency_us.min(),
            latency_us_max: options.latency_us.max(),
            rules: Vec::new(),
            rng,
        };
        network.set_rules(options);
        network
    }

    /// Installs the rules for `options`, in their fixed order.
    pub fn set_rules(&mut self, options: &NetworkOptions) {
        let mut rules = vec![Rule::Partition];
        if options.loss_rate > 0.0 {
            rules.push(Rule::Loss(options.loss_rate));
        }
        if options.corrupt_rate > 0.0 {
            rules.push(Rule::Corrupt(options.corrupt_rate));
        }
        if options.tamper_rate > 0.0 {
            rules.push(Rule::Tamper(options.tamper_rate));
        }
        if options.duplicate_rate > 0.0 {
            rules.push(Rule::Duplicate(options.duplicate_rate));
        }
        if options.delay_spike_rate > 0.0 {
            rules.push(Rule::DelaySpike {
                rate: options.delay_spike_rate,
                min_us: options.delay_spike_us.min(),
                max_us: options.delay_spike_us.max(),
            });
        }
        self.rules = rules;
    }

    /// Heals the network: no cut links, and of the per-frame faults only a loss of
    /// `loss_rate` left (the mildly lossy network of the liveness phase).
    pub fn heal(&mut self, loss_rate: f64) {
        self.cuts.iter_mut().for_each(|cut| *cut = 0);
        self.rules.truncate(1);
        if loss_rate > 0.0 {
            self.rules.push(Rule::Loss(loss_rate));
        }
    }

    fn link(&self, from: NodeId, to: NodeId) -> usize {
        (from as usize - 1) * self.nodes + (to as usize - 1)
    }

    /// Cuts (or, with `cut == false`, restores) the directed link `from → to`.
    pub fn set_cut(&mut self, from: NodeId, to: NodeId, cut: bool) {
        if from == to {
            return;
        }
        let link = self.link(from, to);
        if cut {
            self.cuts[link] += 1;
        } else {
            self.cuts[link] = self.cuts[link].saturating_sub(1);
        }
    }

    /// Whether frames from `from` currently reach `to`.
    pub fn is_reachable(&self, from: NodeId, to: NodeId) -> bool {
        self.cuts[self.link(from, to)] == 0
    }

    /// Runs `frame` from `from` to `to` through the rules, flipping its bits if it is corrupted.
    pub fn transit(&mut self, from: NodeId, to: NodeId, frame: &mut [u8]) -> Transit {
        let mut transit = Transit::default();
        for index in 0..self.rules.len() {
            match self.rules[index] {
                Rule::Partition => transit.dropped = !self.is_reachable(from, to),
                Rule::Loss(rate) => transit.dropped = self.rng.random_bool(rate),
                Rule::Corrupt(rate) => {
                    if self.rng.random_bool(rate) {
                        flip_bits(&mut self.rng, frame);
                        transit.corrupted = true;
                    }
                }
                Rule::Tamper(rate) => transit.tampered = self.rng.random_bool(rate),
                Rule::Duplicate(rate) => transit.duplicated = self.rng.random_bool(rate),
                Rule::DelaySpike { rate, min_us, max_us } => {
                    if self.rng.random_bool(rate) {
                        transit.extra_delay_us = self.rng.random_range(min_us..=max_us);
                    }
                }
            }
            if transit.dropped {
                break;
            }
        }
        transit
    }

    /// One to three distinct bit positions below `bits`, for a tampered frame.
    pub fn tamper_bits(&mut self, bytes: usize) -> Vec<usize> {
        let bits = bytes * 8;
        let count = self.rng.random_range(1..=3usize.min(bits));
        let mut chosen = Vec::with_capacity(count);
        while chosen.len() < count {
            let bit = self.rng.random_range(0..bits);
            if !chosen.contains(&bit) {
                chosen.push(bit);
            }
        }
        chosen
    }

    /// A one-way latency drawn from the configured range.
    pub fn latency_us(&mut self) -> u64 {
        self.rng.random_range(self.latency_us_min..=self.latency_us_max)
    }
}

/// Flips one to three distinct bits of `frame`. CRC-32C detects every such error, and a flip in
/// the length field is caught by the length check, so a correct receiver rejects every frame
/// this damages: any corrupted frame it accepts is a bug.
pub fn flip_bits(rng: &mut Stream, frame: &mut [u8]) {
    let bits = frame.len() * 8;
    assert!(bits > 0, "cannot corrupt an empty frame");
    let count = rng.random_range(1..=3usize.min(bits));
    let mut flipped = [usize::MAX; 3];
    let mut done = 0;
    while done < count {
        let bit = rng.random_range(0..bits);
        if flipped[..done].contains(&bit) {
            continue;
        }
        flipped[done] = bit;
        frame[bit / 8] ^= 1 << (bit % 8);
        done += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Concern, stream};
    use crate::scenario::Span;

    fn options() -> NetworkOptions {
        NetworkOptions {
            latency_us: Span(1000, 2000),
            loss_rate: 0.0,
            duplicate_rate: 0.0,
            corrupt_rate: 0.0,
            tamper_rate: 0.0,
            delay_spike_rate: 0.0,
            delay_spike_us: Span(0, 0),
        }
    }

    #[test]
    fn cuts_are_directed_and_counted() {
        let mut network = Network::new(3, &options(), stream(1, Concern::Network));
        network.set_cut(1, 2, true);
        network.set_cut(1, 2, true);
        assert!(!network.is_reachable(1, 2));
        assert!(network.is_reachable(2, 1));
        network.set_cut(1, 2, false);
        assert!(!network.is_reachable(1, 2), "still cut by the second partition");
        network.set_cut(1, 2, false);
        assert!(network.is_reachable(1, 2));
        let mut frame = [0u8; 16];
        network.set_cut(3, 1, true);
        assert!(network.transit(3, 1, &mut frame).dropped);
        network.heal(0.0);
        assert!(!network.transit(3, 1, &mut frame).dropped);
    }

    #[test]
    fn flips_change_one_to_three_bits() {
        let mut rng = stream(9, Concern::Network);
        for _ in 0..1000 {
            let mut frame = [0u8; 24];
            flip_bits(&mut rng, &mut frame);
            let ones: u32 = frame.iter().map(|byte| byte.count_ones()).sum();
            assert!((1..=3).contains(&ones), "{ones} bits flipped");
        }
    }

    #[test]
    fn rates_are_honoured() {
        let options = NetworkOptions { loss_rate: 0.25, duplicate_rate: 0.5, ..options() };
        let mut network = Network::new(2, &options, stream(2, Concern::Network));
        let mut frame = [0u8; 8];
        let transits: Vec<Transit> = (0..4000).map(|_| network.transit(1, 2, &mut frame)).collect();
        let dropped = transits.iter().filter(|transit| transit.dropped).count();
        let duplicated = transits.iter().filter(|transit| transit.duplicated).count();
        assert!((800..1200).contains(&dropped), "{dropped}");
        assert!((1300..1700).contains(&duplicated), "{duplicated} of 3000 delivered");
    }
}
