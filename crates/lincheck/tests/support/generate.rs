//! Linearizable key-value histories, generated from a seed the way a correct store would
//! produce them: each client issues operations one after another; each operation takes effect
//! at a random instant inside its call–return interval, and the outputs are computed by applying
//! the operations to a sequential store in the order of those instants. Some operations time
//! out: their clients never learn the outcome and move on, while the operation itself takes
//! effect at a random instant after its call — possibly long after the client gave up — or never.
//!
//! Every write writes a fresh token, as a counter per run gives.

use std::collections::BTreeMap;

use raftsim_lincheck::Operation;
use raftsim_lincheck::kv::{Key, KvInput, KvOutput, Token, Value, apply};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The shape of a generated history.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// Concurrent clients.
    pub clients: u64,
    /// Keys, drawn uniformly.
    pub keys: Key,
    /// Operations in all.
    pub operations: usize,
    /// The chance that an operation times out (its client never learns the outcome).
    pub timeout_probability: f64,
    /// The chance that an operation that timed out never takes effect.
    pub never_applied_probability: f64,
    /// The longest an answered operation takes, µs (at least 1).
    pub duration_us_max: u64,
    /// The longest a client waits between operations, µs.
    pub think_us_max: u64,
}

impl Workload {
    /// The benchmark's shape: 10,000 operations by 5 clients on 8 keys, 2% timing out.
    pub fn benchmark() -> Self {
        Self {
            clients: 5,
            keys: 8,
            operations: 10_000,
            timeout_probability: 0.02,
            never_applied_probability: 0.3,
            duration_us_max: 400,
            think_us_max: 100,
        }
    }
}

/// A generated history and what happened underneath it.
pub struct Generated {
    /// The history, in order of call.
    pub history: Vec<Operation<KvInput, KvOutput>>,
    /// The next token no write wrote.
    pub fresh_token: Token,
}

/// One operation being generated.
struct Planned {
    client: u64,
    input: KvInput,
    call_us: u64,
    /// When the client heard back, or `None` if it timed out.
    return_us: Option<u64>,
    /// When it took effect, or `None` if never.
    effect_us: Option<u64>,
    output: Option<KvOutput>,
}

/// A history of `workload`'s shape from `seed`.
pub fn generate(seed: u64, workload: &Workload) -> Generated {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut next_token: Token = 1;
    let mut planned = plan(&mut rng, workload, &mut next_token);
    let mut effect_order: Vec<usize> =
        (0..planned.len()).filter(|&index| planned[index].effect_us.is_some()).collect();
    effect_order.sort_by_key(|&index| (planned[index].effect_us, index));
    let mut store: BTreeMap<Key, Value> = BTreeMap::new();
    let mut last_read: BTreeMap<(u64, Key), Option<Value>> = BTreeMap::new();
    for index in effect_order {
        let operation = &mut planned[index];
        let key = operation.input.key();
        let current = store.get(&key).cloned();
        if let KvInput::Cas { expected, .. } = &mut operation.input {
            *expected = match rng.random_range(0..3) {
                0 => current.clone(),
                1 => last_read.get(&(operation.client, key)).cloned().flatten(),
                _ => Some(vec![rng.random_range(1..next_token.max(2))]),
            };
        }
        let output = apply(&mut store, &operation.input);
        if let KvOutput::Get { value } = &output
            && operation.return_us.is_some()
        {
            last_read.insert((operation.client, key), value.clone());
        }
        operation.output = Some(output);
    }
    let history = planned
        .into_iter()
        .map(|operation| match (operation.return_us, operation.output) {
            (Some(return_us), Some(output)) => Operation::completed(
                operation.client,
                operation.input,
                operation.call_us,
                output,
                return_us,
            ),
            _ => Operation::maybe(operation.client, operation.input, operation.call_us),
        })
        .collect();
    Generated { history, fresh_token: next_token }
}

/// The operations, their times and inputs (a compare-and-swap's expected value is chosen when
/// it takes effect), in order of call.
fn plan(rng: &mut ChaCha8Rng, workload: &Workload, next_token: &mut Token) -> Vec<Planned> {
    let mut free_at_us: Vec<u64> = (0..workload.clients).map(|_| rng.random_range(0..50)).collect();
    let mut planned = Vec::with_capacity(workload.operations);
    while planned.len() < workload.operations {
        let client = (0..workload.clients as usize)
            .min_by_key(|&client| (free_at_us[client], client))
            .unwrap_or(0);
        let call_us = free_at_us[client] + rng.random_range(0..=workload.think_us_max);
        let duration_us = rng.random_range(1..=workload.duration_us_max.max(1));
        let key = rng.random_range(0..workload.keys.max(1));
        let input = input(rng, key, next_token);
        let (return_us, effect_us, free_us) = if rng.random_bool(workload.timeout_probability) {
            let gave_up_us = call_us + 2 * workload.duration_us_max;
            let effect_us = (!rng.random_bool(workload.never_applied_probability))
                .then(|| call_us + rng.random_range(0..=4 * workload.duration_us_max));
            (None, effect_us, gave_up_us)
        } else {
            let return_us = call_us + duration_us;
            (Some(return_us), Some(rng.random_range(call_us..=return_us)), return_us)
        };
        free_at_us[client] = free_us + 1;
        planned.push(Planned {
            client: client as u64,
            input,
            call_us,
            return_us,
            effect_us,
            output: None,
        });
    }
    planned.sort_by_key(|operation| operation.call_us);
    planned
}

fn input(rng: &mut ChaCha8Rng, key: Key, next_token: &mut Token) -> KvInput {
    let mut fresh = || {
        *next_token += 1;
        vec![*next_token - 1]
    };
    match rng.random_range(0..10) {
        0..4 => KvInput::Get { key },
        4..6 => KvInput::Put { key, value: fresh() },
        6..8 => KvInput::Append { key, value: fresh() },
        _ => KvInput::Cas { key, expected: None, new: fresh() },
    }
}
