//! What the key-value store's semantics say about one key's maybe-applied operations.
//!
//! The search treats a maybe-applied operation as free to take effect anywhere after its call,
//! or never, and that freedom is what makes the search expensive: every write that timed out is
//! a candidate at every later point, and useless orders of such writes are all distinct states.
//! Tokens cut most of that freedom away. A token is in a key's value only because some write
//! wrote it, so:
//!
//! 1. **A write seen took effect.** If a maybe-applied write is the only write of some token,
//!    and a completed operation saw that token — a `get` returned it, or a swapped
//!    compare-and-swap expected it — the write took effect before that operation did, so no
//!    later than the operation's return. It is checked as a completed write (a
//!    compare-and-swap, as swapped) returning then. Every linearization already places it so.
//! 2. **A write never seen cannot matter.** If a maybe-applied write writes some token that no
//!    `get` returned and no compare-and-swap expected, then from the write until the next `put`
//!    or swap the value holds that token, so no operation in between read the value: `get`s
//!    and swapped compare-and-swaps would have shown the token. Leaving the write out changes
//!    no answer — except a compare-and-swap that was *not* swapped, which the write may be the
//!    only explanation for. So such a write is left out, provided no unswapped compare-and-swap
//!    that could have met its expected value returned at or after the write's call. (One whose
//!    expected value can never be the key's value — a token nobody writes, or absent once a
//!    completed write has returned — fails whatever happened.) A maybe-applied compare-and-swap
//!    expecting that token would fail either way, and a maybe-applied one that would now
//!    succeed may be left out of the linearization too.
//! 3. **A read never seen cannot matter**: a maybe-applied `get` changes nothing.
//!
//! Both rules are exact — the refined history is linearizable if and only if the original is
//! — whether or not tokens are unique; unique tokens only make them apply more often.

use std::collections::{BTreeMap, BTreeSet};

use super::{KvInput, KvOutput, Token};
use crate::history::{Operation, Time};
use crate::model::Refinement;

/// What the completed operations of one key reveal.
#[derive(Default)]
struct Evidence {
    /// How many writes (completed or not, swapped or not) write each token.
    writers: BTreeMap<Token, u32>,
    /// For each token a completed operation saw, the earliest return of one that did.
    seen_by_us: BTreeMap<Token, Time>,
    /// Every token a `get` returned or a compare-and-swap expected.
    mentioned: BTreeSet<Token>,
    /// The earliest return of a completed write (a `put`, an `append`, a swapped
    /// compare-and-swap): after it the key is never absent again.
    first_write_return_us: Option<Time>,
}

impl Evidence {
    fn gather(history: &[&Operation<KvInput, KvOutput>]) -> Self {
        let mut evidence = Self::default();
        for operation in history {
            if let Some(written) = operation.input.written() {
                let distinct: BTreeSet<Token> = written.iter().copied().collect();
                for token in distinct {
                    *evidence.writers.entry(token).or_default() += 1;
                }
            }
            if let KvInput::Cas { expected: Some(expected), .. } = &operation.input {
                evidence.mentioned.extend(expected.iter().copied());
            }
            let Some(seen) = &operation.outcome else { continue };
            let read: &[Token] = match (&operation.input, &seen.output) {
                (_, KvOutput::Get { value }) => value.as_deref().unwrap_or_default(),
                (KvInput::Cas { expected, .. }, KvOutput::Cas { swapped: true }) => {
                    expected.as_deref().unwrap_or_default()
                }
                _ => &[],
            };
            evidence.mentioned.extend(read.iter().copied());
            for &token in read {
                let earliest = evidence.seen_by_us.entry(token).or_insert(seen.return_us);
                *earliest = (*earliest).min(seen.return_us);
            }
            let wrote = match seen.output {
                KvOutput::Put | KvOutput::Append | KvOutput::Cas { swapped: true } => true,
                KvOutput::Get { .. } | KvOutput::Cas { swapped: false } => false,
            };
            if wrote {
                let first = evidence.first_write_return_us.get_or_insert(seen.return_us);
                *first = (*first).min(seen.return_us);
            }
        }
        evidence
    }

    /// Whether the key may hold `expected` when the operation called at `call_us` takes
    /// effect, as far as tokens and the first completed write can tell.
    fn may_hold(&self, expected: Option<&[Token]>, call_us: Time) -> bool {
        match expected {
            None => self.first_write_return_us.is_none_or(|first| first >= call_us),
            Some(tokens) => tokens.iter().all(|token| self.writers.contains_key(token)),
        }
    }

    /// The latest return of a completed, unswapped compare-and-swap that might have been
    /// explained by some other write's effect: one whose expected value the key may hold.
    fn last_explainable_failure_us(
        &self,
        history: &[&Operation<KvInput, KvOutput>],
    ) -> Option<Time> {
        history
            .iter()
            .filter_map(|operation| match (&operation.input, &operation.outcome) {
                (KvInput::Cas { expected, .. }, Some(seen))
                    if seen.output == (KvOutput::Cas { swapped: false })
                        && self.may_hold(expected.as_deref(), operation.call_us) =>
                {
                    Some(seen.return_us)
                }
                _ => None,
            })
            .max()
    }
}

/// One refinement per operation of `history` (one key's operations).
pub(super) fn refine(history: &[&Operation<KvInput, KvOutput>]) -> Vec<Refinement<KvOutput>> {
    let evidence = Evidence::gather(history);
    let last_failure_us = evidence.last_explainable_failure_us(history);
    history
        .iter()
        .map(|operation| {
            if !operation.is_maybe() {
                return Refinement::Keep;
            }
            let (Some(written), Some(output)) =
                (operation.input.written(), took_effect(&operation.input))
            else {
                return Refinement::Drop;
            };
            if let Some(by_us) = seen_by_us(&evidence, written)
                && by_us >= operation.call_us
            {
                return Refinement::TookEffect { output, by_us };
            }
            let unseen = written.iter().any(|token| !evidence.mentioned.contains(token));
            let needed = last_failure_us.is_some_and(|last| last >= operation.call_us);
            if unseen && !needed { Refinement::Drop } else { Refinement::Keep }
        })
        .collect()
}

/// The earliest return of a completed operation that saw a token only this write writes.
fn seen_by_us(evidence: &Evidence, written: &[Token]) -> Option<Time> {
    written
        .iter()
        .filter(|token| evidence.writers.get(token) == Some(&1))
        .filter_map(|token| evidence.seen_by_us.get(token).copied())
        .min()
}

/// The answer of a write that took effect; `None` for a read.
fn took_effect(input: &KvInput) -> Option<KvOutput> {
    match input {
        KvInput::Get { .. } => None,
        KvInput::Put { .. } => Some(KvOutput::Put),
        KvInput::Append { .. } => Some(KvOutput::Append),
        KvInput::Cas { .. } => Some(KvOutput::Cas { swapped: true }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(value: Token, call_us: Time) -> Operation<KvInput, KvOutput> {
        Operation::maybe(1, KvInput::Put { key: 0, value: vec![value] }, call_us)
    }

    fn get(value: &[Token], call_us: Time, return_us: Time) -> Operation<KvInput, KvOutput> {
        let output = KvOutput::Get { value: Some(value.to_vec()) };
        Operation::completed(2, KvInput::Get { key: 0 }, call_us, output, return_us)
    }

    fn unswapped(
        expected: &[Token],
        call_us: Time,
        return_us: Time,
    ) -> Operation<KvInput, KvOutput> {
        let input = KvInput::Cas { key: 0, expected: Some(expected.to_vec()), new: vec![99] };
        Operation::completed(3, input, call_us, KvOutput::Cas { swapped: false }, return_us)
    }

    fn refined(history: &[Operation<KvInput, KvOutput>]) -> Vec<Refinement<KvOutput>> {
        refine(&history.iter().collect::<Vec<_>>())
    }

    #[test]
    fn a_timed_out_write_seen_later_took_effect_by_the_first_sighting() {
        let history = [put(1, 0), get(&[1], 50, 60), get(&[1], 20, 30)];
        assert_eq!(
            refined(&history)[0],
            Refinement::TookEffect { output: KvOutput::Put, by_us: 30 }
        );
    }

    #[test]
    fn a_token_two_writes_write_proves_nothing() {
        let history = [put(1, 0), put(1, 5), get(&[1], 50, 60)];
        assert_eq!(refined(&history)[..2], [Refinement::Keep, Refinement::Keep]);
    }

    #[test]
    fn a_timed_out_write_never_seen_is_left_out_unless_a_failed_swap_may_need_it() {
        assert_eq!(refined(&[put(1, 0), get(&[], 10, 20)])[0], Refinement::Drop);
        let needs = [
            put(1, 0),
            Operation::completed(1, KvInput::Put { key: 0, value: vec![2] }, 1, KvOutput::Put, 2),
            unswapped(&[2], 10, 20),
        ];
        assert_eq!(refined(&needs)[0], Refinement::Keep, "the swap may have failed because of it");
        let cannot_hold = [put(1, 0), unswapped(&[7], 10, 20)];
        assert_eq!(refined(&cannot_hold)[0], Refinement::Drop, "nobody writes 7: it fails anyway");
        let before = [unswapped(&[2], 0, 5), put(1, 6)];
        assert_eq!(refined(&before)[1], Refinement::Drop, "the swap returned before the call");
    }

    #[test]
    fn a_timed_out_get_is_left_out() {
        let history = [Operation::maybe(1, KvInput::Get { key: 0 }, 0)];
        assert_eq!(refined(&history), [Refinement::Drop]);
    }
}
