//! The checker's entry point: split a history into partitions, search each, and on a violation
//! shrink the first failing partition to a witness.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::HistoryError;
use crate::history::{Operation, validate};
use crate::model::Model;
use crate::partition::check_partition;
use crate::search::Outcome;
use crate::shrink::{ShrinkBudget, shrink};
use crate::verdict::{
    Exhausted, PartitionOutcome, PartitionReport, Report, Verdict, Violation, WitnessOperation,
};

/// The checker's limits. Both are counted in model steps (calls of [`Model::step`] or
/// [`Model::step_unobserved`]), which bound its time and memory: see the crate documentation
/// for the cost of one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOptions {
    /// The most steps the search of one partition may take; a partition that needs more is
    /// reported [`Verdict::Unknown`], never as a violation.
    pub steps_max_per_partition: u64,
    /// The most steps the shrinking of a violation's witness may take in all (each candidate
    /// sub-history is also held to `steps_max_per_partition`). When it runs out, the witness
    /// found so far is reported, marked not minimal.
    pub shrink_steps_max: u64,
}

impl CheckOptions {
    /// The default budget for one partition: far beyond what the search of a realistic
    /// 10,000-operation history needs (a few steps per operation), and small enough that an
    /// exhausted search ends in about a second.
    pub const STEPS_MAX_PER_PARTITION_DEFAULT: u64 = 1_000_000;
    /// The default budget for shrinking a witness: some ten exhausted checks.
    pub const SHRINK_STEPS_MAX_DEFAULT: u64 = 10_000_000;
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            steps_max_per_partition: Self::STEPS_MAX_PER_PARTITION_DEFAULT,
            shrink_steps_max: Self::SHRINK_STEPS_MAX_DEFAULT,
        }
    }
}

/// The report of [`check`] for a model.
pub type ReportOf<M> = Report<<M as Model>::Partition, <M as Model>::Input, <M as Model>::Output>;

/// Checks whether `history` is linearizable with respect to `model`.
///
/// Each partition is searched on its own within `options.steps_max_per_partition`. The verdict
/// is [`Verdict::NotLinearizable`] if any partition has no linearization (the first in partition
/// order, with a witness shrunk within `options.shrink_steps_max`), else [`Verdict::Unknown`] if
/// any ran out of budget, else [`Verdict::Linearizable`]. A history in which some operation
/// returned before its call is refused.
pub fn check<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    options: &CheckOptions,
) -> Result<ReportOf<M>, HistoryError> {
    validate(history)?;
    let mut partitions: BTreeMap<M::Partition, Vec<usize>> = BTreeMap::new();
    for (index, operation) in history.iter().enumerate() {
        partitions.entry(model.partition(&operation.input)).or_default().push(index);
    }
    let mut reports = Vec::with_capacity(partitions.len());
    let mut violation = None;
    let mut exhausted = Vec::new();
    for (partition, indices) in partitions {
        let checked = check_partition(model, history, &indices, options.steps_max_per_partition);
        let steps = checked.steps;
        let outcome = match checked.outcome {
            Outcome::Linearizable { order } => PartitionOutcome::Linearizable { order },
            Outcome::NotLinearizable { horizon_us } => {
                if violation.is_none() {
                    let budget = ShrinkBudget {
                        steps_max_per_check: options.steps_max_per_partition,
                        steps_max: options.shrink_steps_max,
                    };
                    let shrunk = shrink(model, history, &indices, horizon_us, budget);
                    let witness = shrunk
                        .indices
                        .into_iter()
                        .map(|index| WitnessOperation { index, operation: history[index].clone() })
                        .collect();
                    violation = Some(Violation {
                        partition: partition.clone(),
                        witness,
                        minimal: shrunk.minimal,
                        steps: steps + shrunk.steps,
                    });
                }
                PartitionOutcome::NotLinearizable
            }
            Outcome::Exhausted => {
                exhausted.push(Exhausted { partition: partition.clone(), steps });
                PartitionOutcome::Unknown
            }
        };
        reports.push(PartitionReport { partition, operations: indices.len(), steps, outcome });
    }
    let verdict = match violation {
        Some(violation) => Verdict::NotLinearizable(violation),
        None if !exhausted.is_empty() => Verdict::Unknown { exhausted },
        None => Verdict::Linearizable,
    };
    Ok(Report { verdict, partitions: reports })
}
