//! What a key-value operation's output shows other operations did, so that shrinking a witness
//! never keeps an operation without what explains it (see [`crate::Model::sources`]).
//!
//! - Each token a `get` returned needs one of the writes of that token; so does each token a
//!   compare-and-swap expected, if it swapped or may have (a maybe-applied one matters only if
//!   it swapped). A token nobody wrote needs nothing: such an operation is a violation on its
//!   own.
//! - A compare-and-swap that did not swap shows that the value was not its expected one: some
//!   write made it differ. It needs one of the writes that can have: called before it returned,
//!   not one of the writes of the expected value itself (nor what those needed), and, if the
//!   expected value began with a `put` (or swap) of its first tokens, not returned before that,
//!   or what it needed, was called, nor before a later read that still saw that `put` and no
//!   trace of it. Without that, a witness could hold the writes of the expected value and the
//!   failed compare-and-swap, with the write that made it fail removed: a violation of the
//!   witness's own making. A compare-and-swap whose expected value nobody wrote fails whatever
//!   happened, and needs nothing. The group is a little wider than the truth (a write in it may
//!   in fact have been overwritten in time), so such an artifact remains possible, if rare.

use std::collections::{BTreeMap, BTreeSet};

use super::{KvInput, KvOutput, Token};
use crate::history::{Operation, Return, Time};

/// For each operation of `history` (one key's operations), its groups of sources.
pub(super) fn sources(history: &[&Operation<KvInput, KvOutput>]) -> Vec<Vec<Vec<usize>>> {
    let mut writers: BTreeMap<Token, Vec<usize>> = BTreeMap::new();
    for (position, operation) in history.iter().enumerate() {
        let written: BTreeSet<Token> =
            operation.input.written().unwrap_or_default().iter().copied().collect();
        for token in written {
            writers.entry(token).or_default().push(position);
        }
    }
    let mut sources: Vec<Vec<Vec<usize>>> = history
        .iter()
        .map(|operation| match (&operation.input, &operation.outcome) {
            (_, Some(Return { output: KvOutput::Get { value: Some(value) }, .. })) => {
                groups_of_tokens(value, &writers)
            }
            (
                KvInput::Cas { expected: Some(expected), .. },
                None | Some(Return { output: KvOutput::Cas { swapped: true }, .. }),
            ) => groups_of_tokens(expected, &writers),
            _ => Vec::new(),
        })
        .collect();
    let first_write_us = history
        .iter()
        .filter(|operation| operation.outcome.is_some() && may_write(operation))
        .filter_map(|operation| operation.return_us())
        .min();
    for (position, operation) in history.iter().enumerate() {
        if let (KvInput::Cas { expected, .. }, Some(seen)) = (&operation.input, &operation.outcome)
            && seen.output == (KvOutput::Cas { swapped: false })
        {
            let failure =
                Failure { position, expected: expected.as_deref(), return_us: seen.return_us };
            sources[position] = failure.groups(history, &writers, &sources, first_write_us);
        }
    }
    sources
}

/// One group per distinct token of `value` that some write wrote: its writers.
fn groups_of_tokens(value: &[Token], writers: &BTreeMap<Token, Vec<usize>>) -> Vec<Vec<usize>> {
    let distinct: BTreeSet<Token> = value.iter().copied().collect();
    distinct.iter().filter_map(|token| writers.get(token).cloned()).collect()
}

/// A compare-and-swap that did not swap.
struct Failure<'a> {
    /// Its position in the key's history.
    position: usize,
    /// What it expected.
    expected: Option<&'a [Token]>,
    /// When it returned.
    return_us: Time,
}

impl Failure<'_> {
    /// Its group: the writes that can have made the value other than what it expected — called
    /// by its return, returned no earlier than the call of the write the expected value grew
    /// from (if known) or of what that write needed, and none of the writes the expected value
    /// shows came before (its tokens' writers, and what they in turn needed).
    fn groups(
        &self,
        history: &[&Operation<KvInput, KvOutput>],
        writers: &BTreeMap<Token, Vec<usize>>,
        sources: &[Vec<Vec<usize>>],
        first_write_us: Option<Time>,
    ) -> Vec<Vec<usize>> {
        let tokens = self.expected.unwrap_or_default();
        if tokens.iter().any(|token| !writers.contains_key(token)) {
            return Vec::new();
        }
        // The write that set the value the expected one grew from, if it is known: nothing
        // before it can have broken the expected value. Without one (the expected value began
        // with appends to an absent key, or is absence itself), anything before can have.
        let anchor = tokens.first().and_then(|token| match writers.get(token).map(Vec::as_slice) {
            Some(&[position]) => match history[position].input {
                KvInput::Put { .. } | KvInput::Cas { .. } => Some(position),
                _ => None,
            },
            _ => None,
        });
        let before = ancestors(tokens, writers, sources);
        // What came before the anchor, and what the anchor needed: a write that returned
        // before one of those was called took effect before the anchor did.
        let anchor_ancestry: Vec<usize> = anchor
            .map(|anchor| {
                let mut ancestry = vec![anchor];
                ancestry.extend(ancestors_of(anchor, sources));
                ancestry
            })
            .unwrap_or_default();
        // The values seen later that still held the anchor's token: a write that returned
        // before one of those was seen, and left no trace in it, took effect before the anchor
        // (an overwrite after it would have removed its token for good, and an append after it
        // would show).
        let anchor_token = anchor.and(tokens.first());
        let sightings: Vec<(Time, &[Token])> = history
            .iter()
            .filter_map(|operation| sighting(operation))
            .filter(|(_, seen)| anchor_token.is_some_and(|token| seen.contains(token)))
            .collect();
        let group: Vec<usize> = history
            .iter()
            .enumerate()
            .filter(|&(position, write)| {
                let after_anchor =
                    anchor_ancestry.iter().all(|&earlier| {
                        write.return_us().is_none_or(|at| at >= history[earlier].call_us)
                    }) && !sightings.iter().any(|&(call_us, seen)| hidden(write, call_us, seen));
                may_write(write)
                    && can_swap(write, writers, first_write_us)
                    && position != self.position
                    && write.call_us <= self.return_us
                    && after_anchor
                    && !before.contains(&position)
            })
            .map(|(position, _)| position)
            .collect();
        if group.is_empty() { Vec::new() } else { vec![group] }
    }
}

/// The value a completed operation saw, with its call: a `get`'s, or what a swapped
/// compare-and-swap expected.
fn sighting<'a>(operation: &&'a Operation<KvInput, KvOutput>) -> Option<(Time, &'a [Token])> {
    match (&operation.input, &operation.outcome) {
        (_, Some(Return { output: KvOutput::Get { value: Some(value) }, .. })) => {
            Some((operation.call_us, value))
        }
        (
            KvInput::Cas { expected: Some(expected), .. },
            Some(Return { output: KvOutput::Cas { swapped: true }, .. }),
        ) => Some((operation.call_us, expected)),
        _ => None,
    }
}

/// Whether `write` returned before a value seen at `seen_call_us` and left no trace in it: an
/// overwrite always would have (the value would be its own), an append would show its tokens.
fn hidden(write: &Operation<KvInput, KvOutput>, seen_call_us: Time, seen: &[Token]) -> bool {
    let before = write.return_us().is_some_and(|at| at < seen_call_us);
    let traceless = match &write.input {
        KvInput::Append { value, .. } => value.iter().any(|token| !seen.contains(token)),
        _ => true,
    };
    before && traceless
}

/// Whether `operation` wrote, or may have: anything but a read or a compare-and-swap that did
/// not swap.
fn may_write(operation: &Operation<KvInput, KvOutput>) -> bool {
    operation.input.written().is_some()
        && operation
            .outcome
            .as_ref()
            .is_none_or(|seen| seen.output != KvOutput::Cas { swapped: false })
}

/// Whether `operation`, if a maybe-applied compare-and-swap, expects a value the key may hold:
/// no token nobody writes, and not absence once a completed write has returned before its call.
fn can_swap(
    operation: &Operation<KvInput, KvOutput>,
    writers: &BTreeMap<Token, Vec<usize>>,
    first_write_us: Option<Time>,
) -> bool {
    match (&operation.input, &operation.outcome) {
        (KvInput::Cas { expected: None, .. }, None) => {
            first_write_us.is_none_or(|first| first >= operation.call_us)
        }
        (KvInput::Cas { expected: Some(tokens), .. }, None) => {
            tokens.iter().all(|token| writers.contains_key(token))
        }
        _ => true,
    }
}

/// The writes of `tokens`, and every operation in their groups of sources, transitively.
fn ancestors(
    tokens: &[Token],
    writers: &BTreeMap<Token, Vec<usize>>,
    sources: &[Vec<Vec<usize>>],
) -> BTreeSet<usize> {
    let writes = tokens.iter().filter_map(|token| writers.get(token)).flatten().copied();
    closure(writes.collect(), sources)
}

/// Every operation in the groups of sources of the one at `position`, transitively.
fn ancestors_of(position: usize, sources: &[Vec<Vec<usize>>]) -> BTreeSet<usize> {
    closure(sources[position].iter().flatten().copied().collect(), sources)
}

/// `pending`, and every operation in their groups of sources, transitively.
fn closure(mut pending: Vec<usize>, sources: &[Vec<Vec<usize>>]) -> BTreeSet<usize> {
    let mut found = BTreeSet::new();
    while let Some(position) = pending.pop() {
        if found.insert(position) {
            pending.extend(sources[position].iter().flatten().copied());
        }
    }
    found
}
