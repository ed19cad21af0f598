//! A linearizability checker for client histories.
//!
//! A history records what clients asked a replicated object and what they heard back, with
//! virtual times. It is *linearizable* if every operation can be given a single instant between
//! its call and its return at which it took effect, such that the operations, taken one at a
//! time in that order, answer exactly what a sequential [`Model`] of the object would have. This
//! is the guarantee a Raft-replicated store promises its clients, and the one Jepsen found most
//! Raft systems breaking through stale reads and duplicated writes.
//!
//! ```
//! use raftsim_lincheck::kv::{KvInput, KvModel, KvOutput};
//! use raftsim_lincheck::{CheckOptions, Operation, Verdict, check};
//!
//! // Client 1 puts [1] and is told so at 10 µs; client 2 then reads the key as absent.
//! let history = vec![
//!     Operation::completed(1, KvInput::Put { key: 0, value: vec![1] }, 0, KvOutput::Put, 10),
//!     Operation::completed(2, KvInput::Get { key: 0 }, 20, KvOutput::Get { value: None }, 30),
//! ];
//! let report = check(&KvModel, &history, &CheckOptions::default()).unwrap();
//! let Verdict::NotLinearizable(violation) = &report.verdict else { panic!("a stale read") };
//! assert_eq!(violation.partition, 0);
//! assert_eq!(violation.witness.len(), 2);
//! println!("{}", report.verdict.describe(&KvModel));
//! ```
//!
//! # The algorithm
//!
//! Wing and Gong's search, with the two improvements of Lowe ("Testing for linearizability",
//! 2017) that Porcupine also uses. The search builds a linearization one operation at a time:
//! from the operations linearized so far and the model state they leave, it tries each
//! operation that may take effect next, steps the model, and backtracks when nothing fits.
//!
//! - **Just-in-time linearization.** An operation may be linearized only once every operation
//!   that returned before it was called is: the *frontier* is the earliest return not yet
//!   linearized, and the candidates are the operations called by then. The search never looks
//!   further ahead than that, so its breadth at any point is the history's concurrency there.
//! - **Memo.** Two paths that linearized the same set of operations and left the same state have
//!   the same future, so the search remembers every (set, state) configuration it reached and
//!   never enters one twice. Sets are stored compactly: the frontier's position plus the few
//!   operations linearized ahead of it. A configuration is also cut when one already explored
//!   without success differs from it only by having used fewer maybe-applied operations (it
//!   could do all this one can).
//!
//! Candidates are tried in order of return, earliest first (the one that must be linearized
//! soonest), which keeps backtracking small when a long operation overlaps many short ones. A
//! model may also name orders its outputs give away ([`Model::known_order`]: a read that
//! returned `[a, b]` says the append of `a` came first), which the search then never tries to
//! break.
//!
//! # Maybe-applied operations
//!
//! A client that timed out, crashed, or was still waiting when the history was cut never
//! learned its operation's outcome. Such an operation ([`Operation::maybe`]) may have taken
//! effect at any instant after its call, or never: it is treated as returning at +∞ with an
//! output the model accepts unconditionally ([`Model::step_unobserved`]). It therefore never
//! holds the frontier back, and the search ends as soon as every *completed* operation is
//! linearized — maybe-applied ones left over never took effect. They are tried only after every
//! completed candidate, and never where they would leave the state unchanged.
//!
//! Each maybe-applied operation is a candidate at every later point, and useless orders of them
//! are all distinct states, so a history with many of them is costly to search — Knossos and
//! Porcupine both slow down badly there. A model removes that freedom with what its semantics
//! say ([`Model::refine`]), exactly: the refined history is linearizable if and only if the
//! original is. The key-value model ([`kv`]) pins a timed-out write whose token a read saw to
//! the interval between the last read that missed it and the first that saw it, leaves out a
//! write nobody could have seen unless a failed compare-and-swap may need it, and then lets it
//! take effect only just before such a compare-and-swap. With a fresh token per write, a
//! history with 5% of its operations timed out costs a few steps per operation.
//!
//! //! # Time
//!
//! Times are virtual microseconds. An operation that returned at `t` precedes one called at
//! `t + 1`; one that returned at `t` and one called at `t` are *concurrent*, and may be
//! linearized in either order ([`Operation::precedes`]). A single clock reading cannot order two
//! events in the same microsecond, and imposing an order would raise false alarms.
//!
//! # Partitions
//!
//! Linearizability is local (Herlihy and Wing's P-compositionality): a history is linearizable
//! if and only if its sub-history for each independent part of the object is. [`Model::partition`]
//! names the part an operation touches — the key, for [`kv::KvModel`] — and each part is searched
//! on its own, which turns one search exponential in the whole history's concurrency into
//! several small ones. A violation is reported for the part it is in.
//!
//! # Cost
//!
//! The cost of a check is counted in *steps*, calls of the model's step functions. One step also
//! clones the state, hashes it with the linearized set into the memo (the set's size is the
//! number of operations linearized ahead of the frontier), and recomputes the candidates (the
//! operations pending at the frontier, sorted, plus a scan of the maybe-applied ones called by
//! then). The memo holds at most one entry per step. A history the search linearizes without
//! backtracking takes about one step per operation; backtracking is what costs, and in the worst
//! case it is exponential (checking linearizability is NP-complete). So each partition has a
//! budget of steps ([`CheckOptions::steps_max_per_partition`], a million by default, about a
//! second); a partition that exhausts it is reported [`Verdict::Unknown`] with the steps spent —
//! never as a violation. Before searching, the model's refinement reads the partition's
//! operations (for the key-value model, at worst quadratic in their number, in practice a small
//! share of the check). The crate's benchmark checks a 10,000-operation history of 5
//! clients on 8 keys, 2% of it timed out, in under 10 ms.
//!
//! Checking runs on any prefix of a history ([`prefix`]): operations in flight at the cut are
//! maybe applied. Linearizability is prefix-closed, so a simulator may check periodically and
//! stop at the first failing prefix. Each check starts afresh, so checking every `k` operations
//! of an `n`-operation history costs about `n² / 2k` steps in all.
//!
//! # Witnesses
//!
//! A violation comes with a witness: a few operations of one failing partition that are
//! themselves not linearizable. The search records the latest frontier it reached; operations
//! called after it played no part and go first. Then chunks of operations, halves down to single
//! ones, are removed while the rest stays not linearizable, and single removals are repeated to
//! a fixed point, as delta debugging does. The result is *1-minimal*: remove any one of its
//! operations and the rest is linearizable.
//!
//! Removing an operation also removes those whose outputs only it explains ([`Model::sources`]):
//! for a key-value store, the reads of values only it wrote, and a failed compare-and-swap when
//! the last write that can have made it fail goes. Without that, a stale read would shrink to
//! the bare read of "a value nobody wrote", its write removed; with it, the witness of a stale
//! read is the write of the old value, the write that replaced it, and the read. A witness is
//! always genuinely not linearizable, but not always the contradiction the history holds: the
//! writes that can have failed a compare-and-swap are a slight over-estimate, so rarely a
//! witness is a failed compare-and-swap and the write of its expected value, the write that
//! failed it removed. The shrinking has its own budget ([`CheckOptions::shrink_steps_max`]); if
//! it runs out, the witness found so far is reported and marked not minimal.
//!
//! # Determinism
//!
//! No clock, thread or global random source is read, and nothing is iterated in hash order:
//! partitions are visited in their order, candidates in a total order, and the memo is only
//! probed. The same history and options give the same report, step counts included.

#![deny(missing_docs)]

mod check;
mod error;
mod events;
mod frontier;
mod history;
pub mod kv;
mod links;
mod memo;
mod model;
mod partition;
mod search;
mod shrink;
mod verdict;

pub use check::{CheckOptions, ReportOf, check};
pub use error::HistoryError;
pub use events::{Event, operations_from_events};
pub use history::{ClientId, Operation, Return, Time, prefix, validate};
pub use model::{Model, Refinement};
pub use verdict::{
    Exhausted, PartitionOutcome, PartitionReport, Report, Verdict, Violation, WitnessOperation,
};
