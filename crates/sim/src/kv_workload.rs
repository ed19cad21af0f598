//! The key-value workload's clients' side: which operation each request carries, and the
//! history of what every client asked and heard, which the linearizability checker judges.
//!
//! The history is the clients' own record, not the servers': an operation is called when its
//! client first sends the request and returns when the client receives the answer that
//! completes it. A request still unanswered when the run ends is *maybe applied* — its client
//! never learned whether it took effect.

use std::collections::BTreeMap;

use raftsim_lincheck::{CheckOptions, Operation, check};
use rand::Rng;

use crate::kv::{Key, KvInput, KvModel, KvOutput, Token, Value};
use crate::rng::Stream;
use crate::scenario::KvParams;

/// A client history of the key-value store.
pub type History = Vec<Operation<KvInput, KvOutput>>;

/// The linearizability checker's report on a history.
pub type Report = raftsim_lincheck::ReportOf<KvModel>;

/// The operations the clients drew, and what came of them.
#[derive(Clone, Debug)]
pub struct KvWorkload {
    params: KvParams,
    /// The next token a write carries: each write's token is its own.
    next_token: Token,
    /// Every operation, in the order the clients called them.
    history: History,
    /// Per client, the position in `history` of each of its requests (sequence 1 first).
    requests: Vec<Vec<usize>>,
    /// The value each client last saw for a key, which its next compare-and-swap expects.
    seen: BTreeMap<(u32, Key), Option<Value>>,
    /// Operations completed since the history was last judged during the run.
    completed_since_check: u64,
}

impl KvWorkload {
    /// The workload of `clients` clients.
    pub fn new(params: KvParams, clients: usize) -> KvWorkload {
        KvWorkload {
            params,
            next_token: 1,
            history: Vec::new(),
            requests: vec![Vec::new(); clients],
            seen: BTreeMap::new(),
            completed_since_check: 0,
        }
    }

    /// `client` sends request `sequence` for the first time at `now_us`: draws its operation.
    pub fn call(&mut self, client: u32, sequence: u64, now_us: u64, rng: &mut Stream) {
        let requests = &self.requests[client as usize];
        debug_assert_eq!(requests.len() as u64 + 1, sequence, "requests are numbered 1, 2, ...");
        let input = self.draw(client, rng);
        self.requests[client as usize].push(self.history.len());
        self.history.push(Operation::maybe(u64::from(client), input, now_us));
    }

    fn draw(&mut self, client: u32, rng: &mut Stream) -> KvInput {
        let key = rng.random_range(0..self.params.keys);
        let mix = &self.params.mix;
        let total = mix.get + mix.put + mix.append + mix.cas;
        let mut pick = rng.random_range(0..total);
        let mut token = || {
            let token = self.next_token;
            self.next_token += 1;
            vec![token]
        };
        if pick < mix.get {
            return KvInput::Get { key };
        }
        pick -= mix.get;
        if pick < mix.put {
            return KvInput::Put { key, value: token() };
        }
        pick -= mix.put;
        if pick < mix.append {
            return KvInput::Append { key, value: token() };
        }
        let expected = self.seen.get(&(client, key)).cloned().flatten();
        KvInput::Cas { key, expected, new: token() }
    }

    /// The operation of `client`'s request `sequence`, if it drew one.
    pub fn input(&self, client: u32, sequence: u64) -> Option<&KvInput> {
        let position =
            *self.requests.get(client as usize)?.get(sequence.checked_sub(1)? as usize)?;
        Some(&self.history[position].input)
    }

    /// `client` received `output`, completing request `sequence`, at `now_us`.
    pub fn complete(&mut self, client: u32, sequence: u64, output: KvOutput, now_us: u64) {
        let Some(&position) = self
            .requests
            .get(client as usize)
            .and_then(|requests| requests.get(sequence as usize - 1))
        else {
            return;
        };
        let operation = &mut self.history[position];
        let key = operation.input.key();
        let seen = match (&operation.input, &output) {
            (_, KvOutput::Get { value }) => Some(value.clone()),
            (KvInput::Put { value, .. }, _) => Some(Some(value.clone())),
            (KvInput::Cas { new, .. }, KvOutput::Cas { swapped: true }) => Some(Some(new.clone())),
            // After an append or a failed swap the client does not know the value.
            _ => None,
        };
        operation.outcome = Some(raftsim_lincheck::Return { output, return_us: now_us });
        match seen {
            Some(value) => self.seen.insert((client, key), value),
            None => self.seen.remove(&(client, key)),
        };
    }

    /// The workload's parameters.
    pub fn params(&self) -> &KvParams {
        &self.params
    }

    /// An operation completed: whether the history is due to be judged now
    /// ([`KvParams::check_every`]).
    pub fn check_due(&mut self) -> bool {
        if self.params.check_every == 0 {
            return false;
        }
        self.completed_since_check += 1;
        if self.completed_since_check < self.params.check_every {
            return false;
        }
        self.completed_since_check = 0;
        true
    }

    /// The history so far; operations not yet answered are maybe applied.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Checks the history for linearizability, key by key.
    pub fn check(&self) -> Report {
        check(&KvModel, &self.history, &CheckOptions::default())
            .expect("the clients record no answer before its call")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Concern, stream};
    use crate::scenario::KvMix;

    fn workload(mix: KvMix) -> KvWorkload {
        KvWorkload::new(KvParams { keys: 2, mix, reads: Vec::new(), check_every: 0 }, 2)
    }

    #[test]
    fn every_write_carries_a_fresh_token_and_a_swap_expects_what_its_client_saw() {
        let mut rng = stream(1, Concern::Workload);
        let mut writes = workload(KvMix { get: 0, put: 1, append: 1, cas: 0 });
        for sequence in 1..=50 {
            writes.call(0, sequence, sequence * 10, &mut rng);
        }
        let mut tokens: Vec<Token> = writes
            .history()
            .iter()
            .flat_map(|operation| operation.input.written().unwrap().to_vec())
            .collect();
        tokens.sort_unstable();
        tokens.dedup();
        assert_eq!(tokens.len(), 50);

        let mut swaps = workload(KvMix { get: 1, put: 0, append: 0, cas: 1 });
        let mut sequence = 0;
        let mut saw = None;
        while saw.is_none() {
            sequence += 1;
            swaps.call(1, sequence, sequence, &mut rng);
            match swaps.input(1, sequence).cloned().unwrap() {
                KvInput::Get { key } => {
                    swaps.complete(1, sequence, KvOutput::Get { value: Some(vec![77]) }, sequence);
                    saw = Some(key);
                }
                _ => swaps.complete(1, sequence, KvOutput::Cas { swapped: false }, sequence),
            }
        }
        let key = saw.unwrap();
        loop {
            sequence += 1;
            swaps.call(1, sequence, sequence, &mut rng);
            if let KvInput::Cas { key: swapped, expected, .. } =
                swaps.input(1, sequence).cloned().unwrap()
                && swapped == key
            {
                assert_eq!(expected, Some(vec![77]));
                break;
            }
            swaps.complete(1, sequence, KvOutput::Get { value: Some(vec![77]) }, sequence);
        }
    }

    #[test]
    fn unanswered_requests_are_maybe_applied_and_a_stale_read_is_caught() {
        let mut rng = stream(2, Concern::Workload);
        let mut workload = workload(KvMix { get: 0, put: 1, append: 0, cas: 0 });
        workload.call(0, 1, 0, &mut rng);
        workload.complete(0, 1, KvOutput::Put, 10);
        workload.call(0, 2, 20, &mut rng);
        assert!(workload.history()[1].is_maybe());
        assert!(workload.check().is_linearizable());
        // A read after the first put completed that sees nothing: stale.
        let key = workload.history()[0].input.key();
        workload.history.push(Operation::completed(
            1,
            KvInput::Get { key },
            30,
            KvOutput::Get { value: None },
            40,
        ));
        assert!(workload.check().violation().is_some());
    }
}
