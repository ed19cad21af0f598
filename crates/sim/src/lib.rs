//! A deterministic discrete-event simulator for Raft clusters.
//!
//! One `u64` seed drives a whole run: the cluster, the workload and the faults. The simulator
//! drives any sans-IO Raft through one trait, [`raft_under_test::RaftUnderTest`]; after every
//! step the [`check`] module holds the cluster against Raft's safety properties, judged from
//! what was sent and what is durable; once faults heal, the run must settle. The same
//! [`RunSpec`] on the same binary produces the same events, byte for byte, which the
//! [`RunResult::event_hash`] proves.
//!
//! ```
//! use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE, Settings};
//! use raftsim_sim::{RunSpec, scenario};
//!
//! let scenario = scenario::builtin("calm").unwrap();
//! let spec = RunSpec::from_seed(&scenario, 42, Default::default());
//! let (first, _) = RAFTSIM_ENGINE.run(spec.clone(), Settings::default());
//! let (again, records) = RAFTSIM_ENGINE.run(spec, Settings::RECORD);
//! assert!(first.failure().is_none());
//! assert_eq!(first.event_hash, again.event_hash);
//! assert_eq!(records.unwrap().len() as u64, again.events);
//! ```

#![deny(missing_docs)]

pub mod availability;
pub mod breaker;
pub mod check;
pub mod client;
pub mod client_frame;
pub mod counters;
pub mod coverage;
pub mod disk;
pub mod efficiency;
pub mod engine;
pub mod event;
pub mod fault;
pub mod figure16;
pub mod hash;
pub mod hunt;
pub mod kv;
pub mod kv_workload;
pub mod net;
pub mod node;
pub mod options;
pub mod raft_under_test;
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
pub use world::{Failure, RAFTSIM, RunResult, RunSpec, Verdict, World, WorldView};
