//! A client history: what each client asked, when, and what it heard back, if anything.

use serde::{Deserialize, Serialize};

use crate::error::HistoryError;

/// Identifies the client that issued an operation. Used only in reports: a client's operations
/// may overlap (one that gave up on a request moves on while the request may still take effect).
pub type ClientId = u64;

/// A point in virtual time, in microseconds.
pub type Time = u64;

/// One operation of a history, as its client saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation<I, O> {
    /// The client that issued it.
    pub client: ClientId,
    /// What the client asked.
    pub input: I,
    /// When the client issued it.
    pub call_us: Time,
    /// What the client heard back and when; `None` if it never learned the outcome (it timed
    /// out, crashed, or the history was cut while the operation was in flight). Such an
    /// operation is *maybe applied*: it may have taken effect at any point after its call, or
    /// never.
    pub outcome: Option<Return<O>>,
}

/// The answer a client received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Return<O> {
    /// What the operation returned.
    pub output: O,
    /// When the client received it.
    /// Invariant (checked by [`validate`]): not before the operation's call.
    pub return_us: Time,
}

impl<I, O> Operation<I, O> {
    /// An operation that completed with `output` at `return_us`.
    pub fn completed(
        client: ClientId,
        input: I,
        call_us: Time,
        output: O,
        return_us: Time,
    ) -> Self {
        Self { client, input, call_us, outcome: Some(Return { output, return_us }) }
    }

    /// An operation whose outcome its client never learned: maybe applied.
    pub fn maybe(client: ClientId, input: I, call_us: Time) -> Self {
        Self { client, input, call_us, outcome: None }
    }

    /// When the client received the answer, if it did.
    pub fn return_us(&self) -> Option<Time> {
        self.outcome.as_ref().map(|outcome| outcome.return_us)
    }

    /// Whether the client never learned the outcome.
    pub fn is_maybe(&self) -> bool {
        self.outcome.is_none()
    }

    /// Whether this operation precedes `other` in real time: it returned strictly before
    /// `other` was called. Operations that return and are called at the same microsecond are
    /// concurrent — one timestamp cannot say which came first — so neither precedes the other.
    pub fn precedes<J, P>(&self, other: &Operation<J, P>) -> bool {
        self.return_us().is_some_and(|return_us| return_us < other.call_us)
    }
}

/// Checks that every operation returned no earlier than it was called.
pub fn validate<I, O>(history: &[Operation<I, O>]) -> Result<(), HistoryError> {
    for (index, operation) in history.iter().enumerate() {
        if let Some(return_us) = operation.return_us()
            && return_us < operation.call_us
        {
            return Err(HistoryError::ReturnBeforeCall {
                index,
                call_us: operation.call_us,
                return_us,
            });
        }
    }
    Ok(())
}

/// The history as it stood at virtual time `cut_us`: the operations called at or before the
/// cut, in their original order, where those still in flight at the cut (returned after it, or
/// never) become maybe applied. A return at exactly `cut_us` was seen.
///
/// Linearizability is prefix-closed — every prefix of a linearizable history, with its pending
/// operations maybe applied, is linearizable — so a simulator can check its history
/// periodically and stop at the first prefix that is not.
pub fn prefix<I: Clone, O: Clone>(
    history: &[Operation<I, O>],
    cut_us: Time,
) -> Vec<Operation<I, O>> {
    history
        .iter()
        .filter(|operation| operation.call_us <= cut_us)
        .map(|operation| {
            let outcome = operation.outcome.clone().filter(|outcome| outcome.return_us <= cut_us);
            Operation { outcome, ..operation.clone() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_precedes_another_only_if_it_returned_strictly_before_the_call() {
        let first = Operation::completed(1, (), 0, (), 10);
        let same_instant = Operation::<(), ()>::maybe(2, (), 10);
        let later = Operation::<(), ()>::maybe(2, (), 11);
        assert!(!first.precedes(&same_instant));
        assert!(first.precedes(&later));
        assert!(!same_instant.precedes(&first), "a maybe-applied operation never returned");
    }

    #[test]
    fn a_return_before_its_call_is_refused() {
        let history =
            vec![Operation::completed(1, (), 5, (), 7), Operation::completed(2, (), 9, (), 8)];
        assert_eq!(
            validate(&history),
            Err(HistoryError::ReturnBeforeCall { index: 1, call_us: 9, return_us: 8 })
        );
    }

    #[test]
    fn a_prefix_keeps_what_was_seen_by_the_cut() {
        let history = vec![
            Operation::completed(1, 'a', 0, (), 10),
            Operation::completed(2, 'b', 5, (), 20),
            Operation::completed(3, 'c', 21, (), 22),
        ];
        let cut = prefix(&history, 10);
        assert_eq!(cut.len(), 2);
        assert_eq!(cut[0], history[0], "a return at the cut was seen");
        assert!(cut[1].is_maybe(), "an operation in flight at the cut is maybe applied");
    }
}
