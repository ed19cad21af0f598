//! What the key-value store's semantics say about one key's maybe-applied operations.
//!
//! The search treats a maybe-applied operation as free to take effect anywhere after its call,
//! or never, and that freedom is what makes the search expensive: every write that timed out is
//! a candidate at every later point, and the useless orders of such writes are all distinct
//! states. Tokens cut most of that freedom away. A token is in a key's value only because some
//! write wrote it; say a completed operation *saw* a token if a `get` returned it or a swapped
//! compare-and-swap expected it. Then:
//!
//! 1. **A write seen took effect.** If a maybe-applied write is the only write of some token and
//!    a completed operation saw that token, the write took effect before that operation did, so
//!    no later than the operation's return: it is checked as a completed write (a
//!    compare-and-swap, as swapped) returning then. And if a completed operation saw the value
//!    without the token, and returned before another saw it, the write took effect after the
//!    first was called: before, the token would have had to be overwritten by then, never to
//!    come back. Every linearization already places it so.
//! 2. **A write nobody could see matters only to a failed compare-and-swap.** Say a
//!    maybe-applied `put` or `append` is the only write of a token that no `get` returned and no
//!    compare-and-swap (of any outcome) expected. From the write until the next `put` or swap,
//!    the value holds that token, so nothing in between read the value: a `get` would have
//!    returned the token, a swap would have expected it (so the next overwrite is a `put`), and a
//!    maybe-applied compare-and-swap in between failed. All the write can have done is make a
//!    completed, unswapped compare-and-swap fail. So in some linearization (if any exists) it
//!    takes effect immediately before such a compare-and-swap or never: moved there, it still
//!    makes it fail (its expected value lacks the token), the `append`s it passes over are read
//!    by nobody, compare-and-swaps it passes over fail without it (their expected values lack
//!    the token, or cannot be the value at all), and after the next `put` nothing differs. It is
//!    restricted to those positions ([`Refinement::OnlyJustBefore`]), and such writes are
//!    interchangeable — what each leaves is a token nobody reads until the next `put` — so
//!    the search need only try one of them at each point. The positions are the unswapped
//!    compare-and-swaps that returned no earlier than its call and whose expected value the key
//!    may hold (not one with a token nobody writes, nor absent once a completed write returned,
//!    which fail anyway). If there are none, it is left out. A maybe-applied compare-and-swap
//!    whose new value has such a token is left out under the same condition, but not
//!    restricted: whether it swaps where it is moved depends on the value there.
//! 3. **What cannot have changed anything is left out**: a maybe-applied `get`, and a
//!    maybe-applied compare-and-swap whose expected value the key cannot hold.
//!
//! All three are exact — the refined history is linearizable if and only if the original is —
//! whatever the workload; a workload that writes a fresh token in every write makes the first two
//! apply to every timed-out write.

use std::collections::{BTreeMap, BTreeSet};

use super::{KvInput, KvOutput, Token};
use crate::history::{Operation, Time};
use crate::model::Refinement;

/// What one key's history reveals about its tokens.
#[derive(Default)]
struct Evidence {
    /// How many writes (completed or not, swapped or not) write each token.
    writers: BTreeMap<Token, u32>,
    /// For each token a completed operation saw, the earliest return of one that did.
    seen_by_us: BTreeMap<Token, Time>,
    /// For each token a completed operation saw, the latest call of one that did.
    last_seen_call_us: BTreeMap<Token, Time>,
    /// Every value a completed operation saw: (call, return, its tokens, sorted).
    sightings: Vec<(Time, Time, Vec<Token>)>,
    /// Every token a completed `get` returned or any compare-and-swap expected.
    read_or_expected: BTreeSet<Token>,
    /// The earliest return of a completed write (a `put`, an `append`, a swapped
    /// compare-and-swap): after it the key is never absent again.
    first_write_return_us: Option<Time>,
}

impl Evidence {
    /// Gathers the evidence of the operations of `history` not `left_out`.
    fn gather(history: &[&Operation<KvInput, KvOutput>], left_out: &[bool]) -> Self {
        let mut evidence = Self::default();
        for (operation, _) in history.iter().zip(left_out).filter(|(_, left_out)| !**left_out) {
            if let Some(written) = operation.input.written() {
                let distinct: BTreeSet<Token> = written.iter().copied().collect();
                for token in distinct {
                    *evidence.writers.entry(token).or_default() += 1;
                }
            }
            if let KvInput::Cas { expected: Some(expected), .. } = &operation.input {
                evidence.read_or_expected.extend(expected.iter().copied());
            }
            let Some(seen) = &operation.outcome else { continue };
            let saw: &[Token] = match (&operation.input, &seen.output) {
                (_, KvOutput::Get { value }) => value.as_deref().unwrap_or_default(),
                (KvInput::Cas { expected, .. }, KvOutput::Cas { swapped: true }) => {
                    expected.as_deref().unwrap_or_default()
                }
                _ => &[],
            };
            evidence.read_or_expected.extend(saw.iter().copied());
            for &token in saw {
                let earliest = evidence.seen_by_us.entry(token).or_insert(seen.return_us);
                *earliest = (*earliest).min(seen.return_us);
                let latest = evidence.last_seen_call_us.entry(token).or_insert(operation.call_us);
                *latest = (*latest).max(operation.call_us);
            }
            let sees = matches!(
                (&operation.input, &seen.output),
                (_, KvOutput::Get { .. }) | (KvInput::Cas { .. }, KvOutput::Cas { swapped: true })
            );
            if sees {
                let mut tokens = saw.to_vec();
                tokens.sort_unstable();
                evidence.sightings.push((operation.call_us, seen.return_us, tokens));
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

    /// Whether the key may hold `expected` when an operation called at `call_us` takes effect,
    /// as far as tokens and the first completed write can tell.
    fn may_hold(&self, expected: Option<&[Token]>, call_us: Time) -> bool {
        match expected {
            None => self.first_write_return_us.is_none_or(|first| first >= call_us),
            Some(tokens) => tokens.iter().all(|token| self.writers.contains_key(token)),
        }
    }

    /// The earliest return of a completed operation that saw a token only `written`'s write
    /// writes.
    fn seen_by_us(&self, written: &[Token]) -> Option<Time> {
        written
            .iter()
            .filter(|token| self.writers.get(token) == Some(&1))
            .filter_map(|token| self.seen_by_us.get(token).copied())
            .min()
    }

    /// The latest call of a completed operation that saw the value without a token only
    /// `written`'s write writes, and returned before another saw the token: the write took
    /// effect after it. (Had it taken effect before, the token would have been overwritten by
    /// then, and nothing could have brought it back.) Zero if none.
    fn unseen_after_us(&self, written: &[Token]) -> Time {
        let mut after_us = 0;
        for token in written.iter().filter(|token| self.writers.get(token) == Some(&1)) {
            let Some(&seen_call_us) = self.last_seen_call_us.get(token) else { continue };
            for (call_us, return_us, tokens) in &self.sightings {
                if *return_us < seen_call_us && tokens.binary_search(token).is_err() {
                    after_us = after_us.max(*call_us);
                }
            }
        }
        after_us
    }

    /// Whether `written` holds a token no other write writes and nothing read or expected.
    fn unseeable(&self, written: &[Token]) -> bool {
        written.iter().any(|token| {
            self.writers.get(token) == Some(&1) && !self.read_or_expected.contains(token)
        })
    }
}

/// A completed, unswapped compare-and-swap that might have needed another write to fail.
struct Failure {
    /// Its position in the key's history.
    position: usize,
    /// When it returned.
    return_us: Time,
}

/// The completed, unswapped compare-and-swaps whose expected value the key may hold.
fn failures(history: &[&Operation<KvInput, KvOutput>], evidence: &Evidence) -> Vec<Failure> {
    let mut failures = Vec::new();
    // Only completed operations can fail, and none is ever left out.
    for (position, operation) in history.iter().enumerate() {
        if let (KvInput::Cas { expected, .. }, Some(seen)) = (&operation.input, &operation.outcome)
            && seen.output == (KvOutput::Cas { swapped: false })
            && evidence.may_hold(expected.as_deref(), operation.call_us)
        {
            failures.push(Failure { position, return_us: seen.return_us });
        }
    }
    failures
}

/// One refinement per operation of `history` (one key's operations).
///
/// Leaving an operation out can make others droppable — a compare-and-swap left out no longer
/// expects anything — so drops are repeated until none is left, each round judged on what the
/// earlier ones left. Each round is exact on its own history, so the whole is.
pub(super) fn refine(history: &[&Operation<KvInput, KvOutput>]) -> Vec<Refinement<KvOutput>> {
    let mut left_out = vec![false; history.len()];
    loop {
        let evidence = Evidence::gather(history, &left_out);
        let failures = failures(history, &evidence);
        let mut dropped_any = false;
        for (position, operation) in history.iter().enumerate() {
            if !left_out[position]
                && refinement(operation, &evidence, &failures) == Refinement::Drop
            {
                left_out[position] = true;
                dropped_any = true;
            }
        }
        if !dropped_any {
            return history
                .iter()
                .zip(left_out)
                .map(|(operation, left_out)| match left_out {
                    true => Refinement::Drop,
                    false => refinement(operation, &evidence, &failures),
                })
                .collect();
        }
    }
}

/// The refinement of one operation, given its key's evidence and failed compare-and-swaps.
fn refinement(
    operation: &Operation<KvInput, KvOutput>,
    evidence: &Evidence,
    failures: &[Failure],
) -> Refinement<KvOutput> {
    if !operation.is_maybe() {
        return Refinement::Keep;
    }
    let (Some(written), Some(output)) = (operation.input.written(), took_effect(&operation.input))
    else {
        return Refinement::Drop;
    };
    if let Some(by_us) = evidence.seen_by_us(written)
        && by_us >= operation.call_us
    {
        let after_us = evidence.unseen_after_us(written).min(by_us);
        return Refinement::TookEffect { output, after_us, by_us };
    }
    if let KvInput::Cas { expected, .. } = &operation.input
        && !evidence.may_hold(expected.as_deref(), operation.call_us)
    {
        // It can never have swapped, so it never changed anything.
        return Refinement::Drop;
    }
    if !evidence.unseeable(written) {
        return Refinement::Keep;
    }
    let successors: Vec<usize> = failures
        .iter()
        .filter(|failure| failure.return_us >= operation.call_us)
        .map(|failure| failure.position)
        .collect();
    match (&operation.input, successors.is_empty()) {
        (_, true) => Refinement::Drop,
        (KvInput::Cas { .. }, false) => Refinement::Keep,
        (_, false) => Refinement::OnlyJustBefore(successors),
    }
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
            Refinement::TookEffect { output: KvOutput::Put, after_us: 0, by_us: 30 }
        );
    }

    #[test]
    fn a_token_two_writes_write_proves_nothing() {
        let history = [put(1, 0), put(1, 5), get(&[1], 50, 60)];
        assert_eq!(refined(&history)[..2], [Refinement::Keep, Refinement::Keep]);
    }

    #[test]
    fn a_timed_out_write_never_seen_matters_only_just_before_a_failed_swap() {
        assert_eq!(refined(&[put(1, 0), get(&[], 10, 20)])[0], Refinement::Drop);
        let put_2 = KvInput::Put { key: 0, value: vec![2] };
        let needs = [
            put(1, 0),
            Operation::completed(1, put_2, 1, KvOutput::Put, 2),
            unswapped(&[2], 10, 20),
        ];
        assert_eq!(
            refined(&needs)[0],
            Refinement::OnlyJustBefore(vec![2]),
            "the swap may have failed because of it"
        );
        let cannot_hold = [put(1, 0), unswapped(&[7], 10, 20)];
        assert_eq!(refined(&cannot_hold)[0], Refinement::Drop, "nobody writes 7: it fails anyway");
        let before = [unswapped(&[2], 0, 5), put(1, 6)];
        assert_eq!(refined(&before)[1], Refinement::Drop, "the swap returned before the call");
        let expected = [put(1, 0), unswapped(&[1], 10, 20)];
        assert_eq!(refined(&expected)[0], Refinement::Keep, "a swap expected its token");
    }

    #[test]
    fn a_timed_out_get_is_left_out() {
        let history = [Operation::maybe(1, KvInput::Get { key: 0 }, 0)];
        assert_eq!(refined(&history), [Refinement::Drop]);
    }
}
