//! Shrinking a partition that is not linearizable to a small witness.
//!
//! A witness is a set `W` of the partition's operations that cannot be linearized *whatever the
//! other operations did*: with every other operation of the partition turned maybe-applied —
//! free to have taken effect at any instant, or never — the partition is still not
//! linearizable. In particular `W` on its own is not linearizable (every other operation never
//! took effect). Deleting the other operations instead would be a weaker test, and would shrink
//! a stale read to the bare read — "a value nobody wrote" — whose writer was merely deleted.
//!
//! Shrinking is greedy, as delta debugging does it. Operations called after the latest frontier
//! the failing search reached played no part and go first. Then chunks of the witness — halves,
//! quarters, …, single operations — are turned maybe-applied, and each change after which the
//! partition is still not linearizable is kept; single operations are retried until none can
//! go. The result is *1-minimal*: turning any one of its operations maybe-applied as well makes
//! the partition linearizable. Every candidate is checked in full, so a witness is always
//! genuine.

use crate::history::{Operation, Time};
use crate::model::Model;
use crate::partition::check_partition;
use crate::search::Outcome;

/// A shrunk witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shrunk {
    /// Its operations' history positions, in history order.
    pub(crate) indices: Vec<usize>,
    /// Whether it is 1-minimal: the shrinking reached its fixed point, and every operation's
    /// removal was shown linearizable (not merely left undecided by the budget).
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
    /// The operations that may matter: the partition's, called by the latest frontier a failing
    /// search reached. Those called later are left out altogether, in history order.
    context: Vec<usize>,
    /// Whether some check ran out of budget (its candidate counted as linearizable).
    undecided: bool,
}

impl<M: Model> Shrinker<'_, M> {
    /// Checks the context with only `witness` (history positions, a subset of the context) as
    /// completed; if it is still not linearizable, narrows the context to what the failing
    /// search reached and returns the witness within it.
    fn still_failing(&mut self, witness: &[usize]) -> Option<Vec<usize>> {
        let operations: Vec<Operation<M::Input, M::Output>> = self
            .context
            .iter()
            .map(|&index| {
                let operation = &self.history[index];
                match witness.binary_search(&index) {
                    Ok(_) => operation.clone(),
                    Err(_) => Operation { outcome: None, ..operation.clone() },
                }
            })
            .collect();
        let positions: Vec<usize> = (0..operations.len()).collect();
        let steps_max = self.budget.steps_max_per_check.min(self.budget.steps_max - self.steps);
        let checked = check_partition(self.model, &operations, &positions, steps_max);
        self.steps += checked.steps;
        match checked.outcome {
            Outcome::NotLinearizable { horizon_us } => {
                self.narrow(horizon_us);
                Some(before(self.history, witness, horizon_us))
            }
            Outcome::Linearizable { .. } => None,
            Outcome::Exhausted => {
                self.undecided = true;
                None
            }
        }
    }

    fn narrow(&mut self, horizon_us: Time) {
        self.context = before(self.history, &self.context, horizon_us);
    }

    fn out_of_budget(&self) -> bool {
        self.steps >= self.budget.steps_max
    }
}

/// Shrinks `failing` (history positions of a non-linearizable partition, in history order),
/// whose search never got past the frontier at `horizon_us`.
pub(crate) fn shrink<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    failing: &[usize],
    horizon_us: Time,
    budget: ShrinkBudget,
) -> Shrunk {
    let context = before(history, failing, horizon_us);
    let mut shrinker = Shrinker { model, history, budget, steps: 0, context, undecided: false };
    // A maybe-applied operation is as free inside the witness as outside it.
    let mut witness: Vec<usize> =
        shrinker.context.iter().copied().filter(|&index| !history[index].is_maybe()).collect();
    let mut chunk = (witness.len() / 2).max(1);
    loop {
        let mut shrunk_any = false;
        shrinker.undecided = false;
        let mut start = 0;
        while start < witness.len() {
            if shrinker.out_of_budget() {
                return Shrunk { indices: witness, minimal: false, steps: shrinker.steps };
            }
            let end = (start + chunk).min(witness.len());
            let candidate: Vec<usize> =
                witness[..start].iter().chain(&witness[end..]).copied().collect();
            match shrinker.still_failing(&candidate) {
                Some(smaller) => {
                    witness = smaller;
                    shrunk_any = true;
                }
                None => start += chunk,
            }
        }
        if chunk == 1 && !shrunk_any {
            let minimal = !shrinker.undecided;
            return Shrunk { indices: witness, minimal, steps: shrinker.steps };
        }
        chunk = (chunk / 2).max(1);
    }
}

/// The operations of `indices` called no later than `horizon_us`, in history order.
fn before<I, O>(history: &[Operation<I, O>], indices: &[usize], horizon_us: Time) -> Vec<usize> {
    let mut kept: Vec<usize> =
        indices.iter().copied().filter(|&index| history[index].call_us <= horizon_us).collect();
    kept.sort_unstable();
    kept
}
