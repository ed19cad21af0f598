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
//! search backtracks from it at once if none of them fits; and since such operations are
//! interchangeable, only the earliest called is tried at each point. An operation the model
//! knows to come after another ([`crate::Model::known_order`]) is not a candidate until that
//! one is linearized.

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
    /// For each rank, the ranks of the operations that must take effect before it
    /// ([`crate::Model::known_order`]).
    predecessors: Vec<Box<[u32]>>,
}

impl<'h, I: Clone, O: Clone> Ranked<'h, I, O> {
    /// Ranks `operations`, of which those in `order` (pairs of history positions) must take
    /// effect in that order.
    pub(crate) fn new(
        mut operations: Vec<Candidate<'h, I, O>>,
        order: Vec<(usize, usize)>,
    ) -> Self {
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
        let mut predecessors: Vec<Vec<u32>> = vec![Vec::new(); operations.len()];
        for (first, second) in order {
            if let (Some(first), Some(second)) = (rank_of(first), rank_of(second)) {
                predecessors[second as usize].push(first);
            }
        }
        let predecessors = predecessors.into_iter().map(Vec::into_boxed_slice).collect();
        Self { operations, successors, predecessors }
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
    /// No linearization exists. The search never got past the frontier at `horizon_us` (the
    /// return of the operation no order of what came before lets take effect), so operations
    /// called after it played no part.
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
    let mut search = Search::new(model, ranked);
    let mut steps = 0;
    let mut horizon = 0;
    loop {
        let Some(frontier) = search.frontier.first_pending() else {
            return Searched { outcome: Outcome::Linearizable { order: search.order() }, steps };
        };
        horizon = horizon.max(frontier);
        let Some((rank, resume)) = search.next_candidate() else {
            if search.backtrack() {
                continue;
            }
            let blocked = &ranked.operations[horizon as usize];
            let horizon_us = blocked.outcome.as_ref().map_or(blocked.call_us, |(_, at)| *at);
            let outcome = Outcome::NotLinearizable { horizon_us };
            return Searched { outcome, steps };
        };
        if steps == steps_max {
            return Searched { outcome: Outcome::Exhausted, steps };
        }
        steps += 1;
        search.try_linearize(rank, resume);
    }
}

/// The search's position: the configuration, the path to it, and the next candidate to try.
struct Search<'r, 'h, M: Model> {
    model: &'r M,
    ranked: &'r Ranked<'h, M::Input, M::Output>,
    frontier: Frontier,
    memo: Memo<M::State>,
    /// The configurations on the path here, oldest first.
    stack: Vec<Frame<M::State>>,
    /// The configuration's state.
    state: M::State,
    /// The completed candidates here, in the order they are tried.
    completed: Vec<u32>,
    /// The next candidate to try here: an index into `completed`, then past it into the
    /// maybe-applied operations.
    cursor: usize,
    /// The one restricted operation tried here, if any may be: the earliest called.
    /// Restricted operations are interchangeable ([`crate::Refinement::OnlyJustBefore`]), so
    /// trying another where this one failed would fail too.
    representative: Option<u32>,
}

impl<'r, 'h, M: Model> Search<'r, 'h, M> {
    fn new(model: &'r M, ranked: &'r Ranked<'h, M::Input, M::Output>) -> Self {
        let mut search = Self {
            model,
            ranked,
            frontier: ranked.frontier(),
            memo: Memo::new(),
            stack: Vec::new(),
            state: model.init(),
            completed: Vec::new(),
            cursor: 0,
            representative: None,
        };
        search.refresh_candidates();
        search
    }

    /// The history positions of the operations linearized, in order.
    fn order(&self) -> Vec<usize> {
        self.stack.iter().map(|frame| self.ranked.operations[frame.rank as usize].index).collect()
    }

    /// Whether every operation known to take effect before `rank` has.
    fn ready(&self, rank: u32) -> bool {
        let predecessors = &self.ranked.predecessors[rank as usize];
        predecessors.iter().all(|&predecessor| self.frontier.is_linearized(predecessor))
    }

    /// Recomputes the completed candidates for the configuration, and restarts from the first.
    fn refresh_candidates(&mut self) {
        self.frontier.completed_candidates(&mut self.completed);
        let mut completed = std::mem::take(&mut self.completed);
        completed.retain(|&rank| self.ready(rank));
        self.completed = completed;
        let last = self.stack.last().map(|frame| frame.rank as usize);
        if let Some(successors) = last.and_then(|rank| self.ranked.successors[rank].as_ref()) {
            self.completed.retain(|rank| successors.binary_search(rank).is_ok());
        }
        self.cursor = 0;
        let mut position = 0;
        self.representative = None;
        while let Some((rank, next)) = self.frontier.maybe_candidate(position) {
            if self.ranked.successors[rank as usize].is_some() && self.ready(rank) {
                self.representative = Some(rank);
                break;
            }
            position = next;
        }
    }

    /// Whether the last operation linearized must be followed by one of certain operations.
    fn restricted(&self) -> bool {
        self.stack.last().is_some_and(|frame| self.ranked.successors[frame.rank as usize].is_some())
    }

    /// The next candidate to try here, with the cursor to resume from after it.
    fn next_candidate(&self) -> Option<(u32, usize)> {
        if let Some(&rank) = self.completed.get(self.cursor) {
            return Some((rank, self.cursor + 1));
        }
        if self.restricted() {
            return None;
        }
        let mut position = self.cursor - self.completed.len();
        loop {
            let (rank, next) = self.frontier.maybe_candidate(position)?;
            let restricted = self.ranked.successors[rank as usize].is_some();
            if (!restricted || self.representative == Some(rank)) && self.ready(rank) {
                return Some((rank, self.completed.len() + next));
            }
            position = next;
        }
    }

    /// Tries to linearize the candidate `rank` next: moves to the configuration that follows,
    /// if the model allows it and the memo does not know it. Otherwise moves on to the
    /// candidate at `resume`.
    fn try_linearize(&mut self, rank: u32, resume: usize) {
        self.cursor = resume;
        let operation = &self.ranked.operations[rank as usize];
        let Some(next_state) = take_effect(self.model, operation, &self.state) else { return };
        self.frontier.mark(rank);
        // A restricted operation is remembered together with the operation after it: the
        // configuration between them allows fewer moves than the same one reached otherwise.
        let restricting = self.ranked.successors[rank as usize].is_some();
        if !restricting && !self.memo.visit(self.frontier.linearized_set(), next_state.clone()) {
            self.frontier.unmark(rank);
            return;
        }
        let state = std::mem::replace(&mut self.state, next_state);
        self.stack.push(Frame { rank, state, resume });
        self.refresh_candidates();
    }

    /// Leaves the configuration, explored without success, for the one before it. Returns
    /// false at the start: there is no linearization.
    fn backtrack(&mut self) -> bool {
        let Some(frame) = self.stack.pop() else { return false };
        let left = std::mem::replace(&mut self.state, frame.state);
        if self.ranked.successors[frame.rank as usize].is_none() {
            self.memo.finish(self.frontier.linearized_set(), left);
        }
        self.frontier.unmark(frame.rank);
        self.refresh_candidates();
        self.cursor = frame.resume;
        true
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
