//! A deterministic discrete-event simulator for `raftsim-raft` clusters.
//!
//! One `u64` seed drives a whole run: the cluster, the workload and the faults. After every
//! step the [`check`] module holds the cluster's global state against Raft's safety properties;
//! once faults heal, the run must reach liveness. The same [`RunSpec`] on the same binary
//! produces the same events, byte for byte, which the [`RunResult::event_hash`] proves.
//!
//! ```
//! use raftsim_sim::{RunSpec, World, scenario};
//!
//! let scenario = scenario::builtin("calm").unwrap();
//! let spec = RunSpec::from_seed(&scenario, 42, Default::default());
//! let first = World::new(spec.clone(), false).run();
//! let again = World::new(spec, true).run();
//! assert!(first.failure().is_none());
//! assert_eq!(first.event_hash, again.event_hash);
//! ```

#![deny(missing_docs)]

pub mod check;
pub mod client;
pub mod counters;
pub mod coverage;
pub mod event;
pub mod fault;
pub mod hash;
pub mod hunt;
pub mod net;
pub mod node;
pub mod options;
pub mod rng;
pub mod scenario;
pub mod shrink;
pub mod state_machine;
pub mod trace;
pub mod world;

pub use check::{Property, Violation};
pub use counters::Counters;
pub use coverage::Coverage;
pub use fault::{Fault, FaultKind};
pub use options::Options;
pub use scenario::Scenario;
pub use world::{Failure, RunResult, RunSpec, Verdict, World};
