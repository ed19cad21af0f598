//! Shrinking a partition that is not linearizable to a small witness.
//!
//! Greedy, as delta debugging does it: first drop every operation called after the point the
//! failed search never got past, then try removing chunks of operations — halves, quarters, …,
//! single ones — keeping each removal after which the rest is still not linearizable, and
//! repeat single removals until none can be removed. The result is *1-minimal*: removing any one
//! of its operations makes it linearizable. Every candidate is checked in full, so a witness is
//! never anything but a genuinely non-linearizable sub-history.

use crate::history::{Operation, Time};
use crate::model::Model;
use crate::partition::check_partition;
use crate::search::Outcome;

/// A shrunk witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shrunk {
    /// Its operations' history positions, in history order.
    pub(crate) indices: Vec<usize>,
    /// Whether it is 1-minimal: the shrinking reached its fixed point, and every single removal
    /// was shown linearizable (not merely left undecided by the budget).
    pub(crate) minimal: bool,
    /// The model steps the shrinking took.
    pub(crate) steps: u64,
}

/// Shrinking's limits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShrinkBudget {
    /// For each check of a candidate.
    pub(crate) steps_max_per_check: u64,
    /// For the whole shrinking.
    pub(crate) steps_max: u64,
}

/// The state of one shrinking.
struct Shrinker<'a, M: Model> {
    model: &'a M,
    history: &'a [Operation<M::Input, M::Output>],
    budget: ShrinkBudget,
    steps: u64,
    /// Whether some check ran out of budget (its candidate was kept as not removable).
    undecided: bool,
}

impl<M: Model> Shrinker<'_, M> {
    /// `candidate` less what cannot matter, if it is still not linearizable.
    fn still_failing(&mut self, candidate: &[usize]) -> Option<Vec<usize>> {
        let steps_max = self.budget.steps_max_per_check.min(self.budget.steps_max - self.steps);
        let checked = check_partition(self.model, self.history, candidate, steps_max);
        self.steps += checked.searched.steps;
        match checked.searched.outcome {
            Outcome::NotLinearizable { horizon_us } => {
                Some(before_horizon(self.history, &checked.searched_indices, horizon_us))
            }
            Outcome::Linearizable { .. } => None,
            Outcome::Exhausted => {
                self.undecided = true;
                None
            }
        }
    }

    fn out_of_budget(&self) -> bool {
        self.steps >= self.budget.steps_max
    }
}

/// Shrinks `failing` (history positions of a non-linearizable partition, in history order),
/// whose search never got past `horizon_us` and read only `searched` of them.
pub(crate) fn shrink<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    failing: &[usize],
    horizon_us: Time,
    budget: ShrinkBudget,
) -> Shrunk {
    let mut shrinker = Shrinker { model, history, budget, steps: 0, undecided: false };
    let mut current = failing.to_vec();
    let cut = before_horizon(history, failing, horizon_us);
    if cut.len() < current.len()
        && let Some(smaller) = shrinker.still_failing(&cut)
    {
        current = smaller;
    }
    let mut chunk = (current.len() / 2).max(1);
    loop {
        let mut removed_any = false;
        shrinker.undecided = false;
        let mut start = 0;
        while start < current.len() && current.len() > 1 {
            if shrinker.out_of_budget() {
                return Shrunk { indices: current, minimal: false, steps: shrinker.steps };
            }
            let end = (start + chunk).min(current.len());
            let candidate: Vec<usize> =
                current[..start].iter().chain(&current[end..]).copied().collect();
            match shrinker.still_failing(&candidate) {
                Some(smaller) => {
                    current = smaller;
                    removed_any = true;
                }
                None => start += chunk,
            }
        }
        if chunk == 1 && !removed_any {
            let minimal = !shrinker.undecided;
            return Shrunk { indices: current, minimal, steps: shrinker.steps };
        }
        chunk = (chunk / 2).max(1);
    }
}

/// The operations of `indices` called no later than `horizon_us`.
fn before_horizon<I, O>(
    history: &[Operation<I, O>],
    indices: &[usize],
    horizon_us: Time,
) -> Vec<usize> {
    let mut kept: Vec<usize> =
        indices.iter().copied().filter(|&index| history[index].call_us <= horizon_us).collect();
    kept.sort_unstable();
    kept
}
