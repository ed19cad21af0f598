//! What can be wrong with a history handed to the checker.

use thiserror::Error;

use crate::history::Time;

/// A history the checker refuses, because it cannot describe anything that happened.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HistoryError {
    /// An operation returned before it was called.
    #[error("operation {index} returned at {return_us} µs, before its call at {call_us} µs")]
    ReturnBeforeCall {
        /// The operation's position in the history.
        index: usize,
        /// When it was called.
        call_us: Time,
        /// When it returned.
        return_us: Time,
    },
    /// Two call events carry the same operation id.
    #[error("operation id {id} is called twice")]
    DuplicateCall {
        /// The repeated id.
        id: u64,
    },
    /// A return event names an operation that was never called.
    #[error("operation id {id} returns but was never called")]
    ReturnWithoutCall {
        /// The unknown id.
        id: u64,
    },
    /// Two return events carry the same operation id.
    #[error("operation id {id} returns twice")]
    DuplicateReturn {
        /// The repeated id.
        id: u64,
    },
}
