//! A key-value store, the object raftsim's KV state machine implements: `get`, `put`, `append`
//! and compare-and-swap on small integer keys, each key an independent register.
//!
//! Values are sequences of small tokens (`u32`s): a `put` sets the sequence, an `append` extends
//! it, a `get` reads all of it. The state is one key's value behind a shared pointer, so the
//! search's copies of it are cheap, and it hashes and compares by content.
//!
//! A workload that writes a fresh token in every write (as a counter per run gives) makes each
//! value tell which writes produced it, and in which order. [`KvModel`] uses that three ways,
//! each exact whatever the workload and most effective with fresh tokens: to pin down or leave
//! out timed-out writes before the search (`refine`), to tell the search the order of appends
//! a read gives away (`order`), and to keep a witness's reads with the writes they read
//! (`sources`).

mod model;
mod order;
mod refine;
mod sources;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use model::{KvModel, KvState};

/// A key. Small on purpose: a workload draws keys from a handful so operations collide.
pub type Key = u32;

/// One unit of a value.
pub type Token = u32;

/// A value: the tokens put and appended, in order.
pub type Value = Vec<Token>;

/// What a client asks the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum KvInput {
    /// Read the key's value.
    Get {
        /// The key.
        key: Key,
    },
    /// Set the key's value.
    Put {
        /// The key.
        key: Key,
        /// The new value.
        value: Value,
    },
    /// Extend the key's value (an absent key starts empty).
    Append {
        /// The key.
        key: Key,
        /// The tokens to append.
        value: Value,
    },
    /// Set the key's value to `new` if and only if it is `expected` (`None`: absent).
    Cas {
        /// The key.
        key: Key,
        /// The value the key must hold.
        expected: Option<Value>,
        /// The value to set.
        new: Value,
    },
}

/// What the store answers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum KvOutput {
    /// The answer to [`KvInput::Get`].
    Get {
        /// The key's value, `None` if absent.
        value: Option<Value>,
    },
    /// The answer to [`KvInput::Put`].
    Put,
    /// The answer to [`KvInput::Append`].
    Append,
    /// The answer to [`KvInput::Cas`].
    Cas {
        /// Whether the key held the expected value, and so now holds the new one.
        swapped: bool,
    },
}

impl KvInput {
    /// The key it touches.
    pub fn key(&self) -> Key {
        match self {
            KvInput::Get { key }
            | KvInput::Put { key, .. }
            | KvInput::Append { key, .. }
            | KvInput::Cas { key, .. } => *key,
        }
    }

    /// The tokens it writes, if it writes (for a compare-and-swap, if it swaps).
    pub fn written(&self) -> Option<&[Token]> {
        match self {
            KvInput::Get { .. } => None,
            KvInput::Put { value, .. } | KvInput::Append { value, .. } => Some(value),
            KvInput::Cas { new, .. } => Some(new),
        }
    }
}

/// A whole store, key by key: what a sequential key-value store holds.
pub type Store = BTreeMap<Key, Value>;

/// Applies `input` to a sequential `store` and returns its answer: the object [`KvModel`]
/// specifies, for a store to implement and a test to generate correct histories with.
pub fn apply(store: &mut Store, input: &KvInput) -> KvOutput {
    match input {
        KvInput::Get { key } => KvOutput::Get { value: store.get(key).cloned() },
        KvInput::Put { key, value } => {
            store.insert(*key, value.clone());
            KvOutput::Put
        }
        KvInput::Append { key, value } => {
            store.entry(*key).or_default().extend_from_slice(value);
            KvOutput::Append
        }
        KvInput::Cas { key, expected, new } => {
            let swapped = store.get(key) == expected.as_ref();
            if swapped {
                store.insert(*key, new.clone());
            }
            KvOutput::Cas { swapped }
        }
    }
}
