//! The search for a linearization of one partition: Wing and Gong's backtracking search over
//! which operation takes effect next, with Lowe's just-in-time rule and memo.
//!
//! From a configuration (operations linearized so far, model state), the search tries each
//! candidate — an operation allowed by real time to take effect now, see [`crate::frontier`] —
//! by stepping the model. If the model accepts the operation's output and the resulting
//! configuration is new to the memo, the search moves there; otherwise it tries the next
//! candidate. When none is left it backtracks, undoing the last operation and trying the
//! candidate after it. It succeeds once every completed operation is linearized (maybe-applied
//! operations left over never took effect) and fails when it backtracks past the start.
//!
//! Candidates are tried completed ones first, earliest return first, then maybe-applied ones,
//! earliest call first: a maybe-applied operation is only made to take effect when no completed
//! operation can proceed without it. A maybe-applied operation that would leave the state as it
//! is is never tried: taking effect there changes nothing, and it can still take effect later.
//! One the model restricted to take effect only immediately before certain operations
//! ([`crate::Refinement::OnlyJustBefore`]) is followed by one of those or by nothing: the
//! search backtracks from it at once if none of them fits.

use std::borrow::Cow;

use crate::frontier::Frontier;
use crate::history::Time;
use crate::memo::Memo;
use crate::model::Model;

/// One operation, ready for the search.
#[derive(Clone, Debug)]
pub(crate) struct Candidate<'h, I: Clone, O: Clone> {
    /// Its position in the whole history.
    pub(crate) index: usize,
    /// What it asked.
    pub(crate) input: &'h I,
    /// When it was called.
    pub(crate) call_us: Time,
    /// What it answered and when, or `None` if maybe applied.
    pub(crate) outcome: Option<(Cow<'h, O>, Time)>,
    /// For a maybe-applied operation the model refined so: the history positions of the
    /// completed operations it may take effect immediately before (and nowhere else).
    pub(crate) only_just_before: Option<Vec<usize>>,
}

/// A partition's operations ready for the search, by rank (see [`crate::frontier`]).
/// Invariant: the completed operations come first, in order of return, then the
/// maybe-applied ones in order of call.
#[derive(Clone, Debug)]
pub(crate) struct Ranked<'h, I: Clone, O: Clone> {
    /// The operations, by rank.
    pub(crate) operations: Vec<Candidate<'h, I, O>>,
    /// For each rank, the ranks of the operations it may take effect immediately before, in
    /// increasing order, if it is so restricted.
    successors: Vec<Option<Box<[u32]>>>,
}

impl<'h, I: Clone, O: Clone> Ranked<'h, I, O> {
    /// Ranks `operations`.
    pub(crate) fn new(mut operations: Vec<Candidate<'h, I, O>>) -> Self {
        operations.sort_by_key(|operation| match &operation.outcome {
            Some((_, return_us)) => (false, *return_us, operation.call_us, operation.index),
            None => (true, operation.call_us, 0, operation.index),
        });
        let mut rank_of_index: Vec<(usize, u32)> =
            (0..operations.len()).map(|rank| (operations[rank].index, rank as u32)).collect();
        rank_of_index.sort_unstable();
        let rank_of = |index: usize| {
            let position = rank_of_index.binary_search_by_key(&index, |&(index, _)| index);
            position.ok().map(|position| rank_of_index[position].1)
        };
        let successors = operations
            .iter()
            .map(|operation| {
                let indices = operation.only_just_before.as_ref()?;
                let mut ranks: Vec<u32> =
                    indices.iter().filter_map(|&index| rank_of(index)).collect();
                ranks.sort_unstable();
                Some(ranks.into_boxed_slice())
            })
            .collect();
        Self { operations, successors }
    }

    fn frontier(&self) -> Frontier {
        let call_us = self.operations.iter().map(|operation| operation.call_us).collect();
        let return_us = self
            .operations
            .iter()
            .map_while(|operation| operation.outcome.as_ref().map(|(_, return_us)| *return_us))
            .collect();
        Frontier::new(call_us, return_us)
    }
}

/// How a search ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A linearization: the history positions of the operations that took effect, in order.
    Linearizable {
        /// The order.
        order: Vec<usize>,
    },
    /// No linearization exists. The search never got past the frontier at `horizon_us`, so
    /// operations called after it played no part.
    NotLinearizable {
        /// The latest frontier the search reached.
        horizon_us: Time,
    },
    /// The budget ran out first.
    Exhausted,
}

/// A search's outcome and its cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Searched {
    /// How it ended.
    pub(crate) outcome: Outcome,
    /// How many times it stepped the model.
    pub(crate) steps: u64,
}

/// A configuration the search moved from, to come back to.
struct Frame<S> {
    /// The operation linearized from it.
    rank: u32,
    /// Its state.
    state: S,
    /// Which candidate to try next when the search comes back.
    resume: usize,
}

/// Searches for a linearization of `ranked`, stepping the model at most `steps_max` times.
pub(crate) fn search<M: Model>(
    model: &M,
    ranked: &Ranked<'_, M::Input, M::Output>,
    steps_max: u64,
) -> Searched {
    let mut frontier = ranked.frontier();
    let mut memo = Memo::new();
    let mut stack: Vec<Frame<M::State>> = Vec::new();
    let mut state = model.init();
    let mut completed = Vec::new();
    candidates::<_, _, M::State>(&frontier, ranked, None, &mut completed);
    let mut cursor = 0;
    let mut steps = 0;
    let mut horizon_us = 0;
    loop {
        let Some(frontier_us) = frontier.time_us() else {
            let order = stack.iter().map(|frame| ranked.operations[frame.rank as usize].index);
            return Searched { outcome: Outcome::Linearizable { order: order.collect() }, steps };
        };
        horizon_us = horizon_us.max(frontier_us);
        let restricted =
            stack.last().is_some_and(|frame| ranked.successors[frame.rank as usize].is_some());
        let next = match completed.get(cursor) {
            Some(&rank) => Some((rank, cursor + 1)),
            None if restricted => None,
            None => frontier
                .maybe_candidate(cursor - completed.len())
                .map(|(rank, position)| (rank, completed.len() + position)),
        };
        let Some((rank, resume)) = next else {
            let Some(frame) = stack.pop() else {
                return Searched { outcome: Outcome::NotLinearizable { horizon_us }, steps };
            };
            frontier.unmark(frame.rank);
            state = frame.state;
            cursor = frame.resume;
            candidates(&frontier, ranked, stack.last(), &mut completed);
            continue;
        };
        if steps == steps_max {
            return Searched { outcome: Outcome::Exhausted, steps };
        }
        steps += 1;
        cursor = resume;
        let Some(next_state) = take_effect(model, &ranked.operations[rank as usize], &state) else {
            continue;
        };
        frontier.mark(rank);
        // A restricted operation is remembered together with the operation after it: the
        // configuration between them allows fewer moves than the same one reached otherwise.
        let restricting = ranked.successors[rank as usize].is_some();
        if !restricting && !memo.insert(frontier.linearized_set(), next_state.clone()) {
            frontier.unmark(rank);
            continue;
        }
        stack.push(Frame { rank, state: std::mem::replace(&mut state, next_state), resume });
        candidates(&frontier, ranked, stack.last(), &mut completed);
        cursor = 0;
    }
}

/// Fills `completed` with the completed candidates at `frontier`: only those `last` may take
/// effect immediately before, if the last operation linearized is so restricted.
fn candidates<I: Clone, O: Clone, S>(
    frontier: &Frontier,
    ranked: &Ranked<'_, I, O>,
    last: Option<&Frame<S>>,
    completed: &mut Vec<u32>,
) {
    frontier.completed_candidates(completed);
    if let Some(successors) = last.and_then(|frame| ranked.successors[frame.rank as usize].as_ref())
    {
        completed.retain(|rank| successors.binary_search(rank).is_ok());
    }
}

/// The state after `operation` takes effect in `state`, if it can and (for a maybe-applied one)
/// if that changes anything.
fn take_effect<M: Model>(
    model: &M,
    operation: &Candidate<'_, M::Input, M::Output>,
    state: &M::State,
) -> Option<M::State> {
    match &operation.outcome {
        Some((output, _)) => model.step(state, operation.input, output),
        None => model.step_unobserved(state, operation.input).filter(|next| next != state),
    }
}
