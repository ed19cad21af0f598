//! One partition of a history, refined by its model and searched.

use std::borrow::Cow;

use crate::history::Operation;
use crate::model::{Model, Refinement};
use crate::search::{Candidate, Ranked, Searched, search};

/// Checks the operations of `history` at `indices` (one partition, in history order), stepping
/// the model at most `steps_max` times.
pub(crate) fn check_partition<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    indices: &[usize],
    steps_max: u64,
) -> Searched {
    search(model, &rank(model, history, indices), steps_max)
}

/// The operations at `indices`, refined by the model and ranked for the search.
fn rank<'h, M: Model>(
    model: &M,
    history: &'h [Operation<M::Input, M::Output>],
    indices: &[usize],
) -> Ranked<'h, M::Input, M::Output> {
    let operations = operations_of(history, indices);
    let mut refinements = model.refine(&operations);
    if refinements.len() != operations.len() {
        debug_assert!(
            false,
            "the model refined {} of {} operations",
            refinements.len(),
            operations.len()
        );
        refinements = vec![Refinement::Keep; operations.len()];
    }
    let mut candidates = Vec::with_capacity(operations.len());
    for ((&index, operation), refinement) in indices.iter().zip(operations).zip(refinements) {
        let mut only_just_before = None;
        let mut call_us = operation.call_us;
        let outcome = match (&operation.outcome, refinement) {
            (Some(seen), _) => Some((Cow::Borrowed(&seen.output), seen.return_us)),
            (None, Refinement::Drop) => continue,
            (None, Refinement::TookEffect { output, after_us, by_us })
                if by_us >= operation.call_us.max(after_us) =>
            {
                call_us = operation.call_us.max(after_us);
                Some((Cow::Owned(output), by_us))
            }
            (None, Refinement::OnlyJustBefore(positions)) => {
                let successors: Vec<usize> = positions
                    .into_iter()
                    .filter_map(|position| indices.get(position).copied())
                    .filter(|&successor| !history[successor].is_maybe())
                    .collect();
                if successors.is_empty() {
                    continue;
                }
                only_just_before = Some(successors);
                None
            }
            (None, _) => None,
        };
        candidates.push(Candidate {
            index,
            input: &operation.input,
            call_us,
            outcome,
            only_just_before,
        });
    }
    let order = model
        .known_order(&operations_of(history, indices))
        .into_iter()
        .filter_map(|(first, second)| Some((*indices.get(first)?, *indices.get(second)?)))
        .collect();
    Ranked::new(candidates, order)
}

/// The operations of `history` at `indices`.
fn operations_of<'h, I, O>(
    history: &'h [Operation<I, O>],
    indices: &[usize],
) -> Vec<&'h Operation<I, O>> {
    indices.iter().map(|&index| &history[index]).collect()
}
