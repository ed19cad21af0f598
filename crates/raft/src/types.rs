//! The Raft paper's basic nouns, as plain integers.

/// Identifies one server. Ids are chosen by the operator; `0` is reserved to mean "none".
pub type NodeId = u64;

/// A Raft term: a logical clock that only ever increases on each server.
pub type Term = u64;

/// A log position. The first entry has index 1; index 0 is the empty prefix with term 0.
pub type Index = u64;
