//! Shrinking a partition that is not linearizable to a small witness.
//!
//! Greedy, as delta debugging does it. Operations called after the latest frontier the failing
//! search reached played no part and go first. Then chunks of operations — halves, quarters,
//! …, single ones — are removed, keeping each removal after which the rest is still not
//! linearizable, and single removals are retried until none can go. The result is *1-minimal*:
//! remove any one of its operations and the rest is linearizable.
//!
//! With one twist: an operation whose output shows that another took effect (a read, the write
//! of the value it returned) is removed along with the last operation that could have produced
//! it ([`Model::sources`]). Plain removal would shrink a stale read to the read alone — a read
//! of a value nobody wrote, once the write is removed — and report that instead of the stale
//! read. So "remove any one" means: remove it, and whatever only it explains.
//!
//! Every candidate is checked in full, so a witness is always genuinely not linearizable. Each
//! check searches fewer operations than the original did, and usually costs less.

use crate::history::{Operation, Time};
use crate::model::Model;
use crate::partition::check_partition;
use crate::search::Outcome;

/// A shrunk witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shrunk {
    /// Its operations' history positions, in history order.
    pub(crate) indices: Vec<usize>,
    /// Whether it is 1-minimal: the shrinking reached its fixed point, and every removal was
    /// shown linearizable (not merely left undecided by the budget).
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
    /// For each history position in the partition, its groups of sources (history positions).
    sources: Vec<(usize, Vec<Vec<usize>>)>,
    /// Whether some check ran out of budget (its candidate counted as linearizable).
    undecided: bool,
}

impl<M: Model> Shrinker<'_, M> {
    /// `kept` (history positions, in history order) less every operation left without a
    /// source, repeatedly.
    fn close(&self, mut kept: Vec<usize>) -> Vec<usize> {
        loop {
            let before = kept.len();
            let sourced = |index: &usize| {
                let groups = self
                    .sources
                    .binary_search_by_key(index, |(source, _)| *source)
                    .map(|position| &self.sources[position].1);
                groups.map_or(true, |groups| {
                    groups
                        .iter()
                        .all(|group| group.iter().any(|source| kept.binary_search(source).is_ok()))
                })
            };
            let closed: Vec<usize> = kept.iter().copied().filter(sourced).collect();
            kept = closed;
            if kept.len() == before {
                return kept;
            }
        }
    }

    /// Whether `candidate` (history positions, in history order) is not linearizable. A
    /// candidate that runs out of budget counts as linearizable.
    fn fails(&mut self, candidate: &[usize]) -> bool {
        let steps_max = self.budget.steps_max_per_check.min(self.budget.steps_max - self.steps);
        let checked = check_partition(self.model, self.history, candidate, steps_max);
        self.steps += checked.steps;
        match checked.outcome {
            Outcome::NotLinearizable { .. } => true,
            Outcome::Linearizable { .. } => false,
            Outcome::Exhausted => {
                self.undecided = true;
                false
            }
        }
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
    let operations: Vec<&Operation<M::Input, M::Output>> =
        failing.iter().map(|&index| &history[index]).collect();
    let mut sources: Vec<(usize, Vec<Vec<usize>>)> = Vec::with_capacity(failing.len());
    for (&index, groups) in failing.iter().zip(model.sources(&operations)) {
        let groups = groups
            .into_iter()
            .map(|group| group.into_iter().filter_map(|position| failing.get(position).copied()))
            .map(|group| group.collect::<Vec<usize>>())
            .filter(|group| !group.is_empty())
            .collect();
        sources.push((index, groups));
    }
    let mut shrinker = Shrinker { model, history, budget, steps: 0, sources, undecided: false };
    let mut witness = failing.to_vec();
    let before_horizon: Vec<usize> =
        failing.iter().copied().filter(|&index| history[index].call_us <= horizon_us).collect();
    let cut = shrinker.close(before_horizon);
    if cut.len() < witness.len() && shrinker.fails(&cut) {
        witness = cut;
    }
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
            let rest = witness[..start].iter().chain(&witness[end..]).copied().collect();
            let candidate = shrinker.close(rest);
            if !candidate.is_empty() && shrinker.fails(&candidate) {
                witness = candidate;
                shrunk_any = true;
            } else {
                start += chunk;
            }
        }
        if chunk == 1 && !shrunk_any {
            let minimal = !shrinker.undecided;
            return Shrunk { indices: witness, minimal, steps: shrinker.steps };
        }
        chunk = (chunk / 2).max(1);
    }
}
