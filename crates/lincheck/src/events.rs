//! Histories written as a stream of call and return events, the way a client harness records
//! them as they happen, turned into the operations the checker reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::HistoryError;
use crate::history::{ClientId, Operation, Return, Time};

/// One event of a history. The `id` pairs a call with its return; it is the recorder's, and
/// need not be dense or ordered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event<I, O> {
    /// A client issued an operation.
    Call {
        /// Pairs this call with its return.
        id: u64,
        /// The client that issued it.
        client: ClientId,
        /// What it asked.
        input: I,
        /// When.
        at_us: Time,
    },
    /// The client received the operation's answer.
    Return {
        /// The call this answers.
        id: u64,
        /// The answer.
        output: O,
        /// When.
        at_us: Time,
    },
}

/// The operations of an event history, in the order of their calls in `events`. A call with no
/// return becomes a maybe-applied operation.
pub fn operations_from_events<I, O>(
    events: Vec<Event<I, O>>,
) -> Result<Vec<Operation<I, O>>, HistoryError> {
    let mut position_of_id: BTreeMap<u64, usize> = BTreeMap::new();
    let mut operations: Vec<Operation<I, O>> = Vec::new();
    for event in events {
        match event {
            Event::Call { id, client, input, at_us } => {
                if position_of_id.insert(id, operations.len()).is_some() {
                    return Err(HistoryError::DuplicateCall { id });
                }
                operations.push(Operation::maybe(client, input, at_us));
            }
            Event::Return { id, output, at_us } => {
                let position =
                    *position_of_id.get(&id).ok_or(HistoryError::ReturnWithoutCall { id })?;
                let operation = &mut operations[position];
                if operation.outcome.is_some() {
                    return Err(HistoryError::DuplicateReturn { id });
                }
                operation.outcome = Some(Return { output, return_us: at_us });
            }
        }
    }
    crate::history::validate(&operations)?;
    Ok(operations)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: u64, at_us: Time) -> Event<char, ()> {
        Event::Call { id, client: id, input: 'x', at_us }
    }

    fn ret(id: u64, at_us: Time) -> Event<char, ()> {
        Event::Return { id, output: (), at_us }
    }

    #[test]
    fn calls_pair_with_their_returns_and_unanswered_calls_are_maybe() {
        let operations = operations_from_events(vec![call(7, 0), call(3, 1), ret(7, 4)]).unwrap();
        assert_eq!(operations.len(), 2);
        assert_eq!(operations[0].return_us(), Some(4));
        assert!(operations[1].is_maybe());
    }

    #[test]
    fn malformed_event_histories_are_refused() {
        assert_eq!(
            operations_from_events(vec![call(1, 0), call(1, 1)]),
            Err(HistoryError::DuplicateCall { id: 1 })
        );
        assert_eq!(
            operations_from_events(vec![ret(2, 0)]),
            Err(HistoryError::ReturnWithoutCall { id: 2 })
        );
        assert_eq!(
            operations_from_events(vec![call(1, 0), ret(1, 1), ret(1, 2)]),
            Err(HistoryError::DuplicateReturn { id: 1 })
        );
        assert_eq!(
            operations_from_events(vec![call(1, 5), ret(1, 4)]),
            Err(HistoryError::ReturnBeforeCall { index: 0, call_us: 5, return_us: 4 })
        );
    }
}
