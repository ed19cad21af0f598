//! What the checker found: a verdict for the whole history, and an account of each partition.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::history::Operation;
use crate::model::Model;

/// The checker's answer for a whole history, and how it got there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report<P, I, O> {
    /// The verdict.
    pub verdict: Verdict<P, I, O>,
    /// Each partition's outcome, in partition order.
    pub partitions: Vec<PartitionReport<P>>,
}

/// Whether a history is linearizable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict<P, I, O> {
    /// Every partition has a linearization.
    Linearizable,
    /// A partition has none: the first such in partition order, with a witness.
    NotLinearizable(Violation<P, I, O>),
    /// No partition was shown not linearizable, but some ran out of budget before an answer.
    /// Never a violation: the history may well be linearizable.
    Unknown {
        /// The partitions whose budget ran out.
        exhausted: Vec<Exhausted<P>>,
    },
}

/// A partition that is not linearizable, and the evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation<P, I, O> {
    /// The partition (the key, for a key-value store).
    pub partition: P,
    /// A few of the partition's operations that are themselves not linearizable, in history
    /// order.
    pub witness: Vec<WitnessOperation<I, O>>,
    /// Whether the witness is 1-minimal: removing any one of its operations (with those whose
    /// outputs only it explains, see [`Model::sources`]) leaves a linearizable history. False
    /// only if the shrinking ran out of budget.
    pub minimal: bool,
    /// The model steps the search and the shrinking took.
    pub steps: u64,
}

/// One operation of a witness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessOperation<I, O> {
    /// Its position in the checked history.
    pub index: usize,
    /// The operation, as the client saw it.
    pub operation: Operation<I, O>,
}

/// A partition whose search ran out of budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exhausted<P> {
    /// The partition.
    pub partition: P,
    /// The model steps spent on it: the whole budget.
    pub steps: u64,
}

/// One partition's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionReport<P> {
    /// The partition.
    pub partition: P,
    /// How many of the history's operations belong to it.
    pub operations: usize,
    /// The model steps its search took (not counting any shrinking).
    pub steps: u64,
    /// What the search found.
    pub outcome: PartitionOutcome,
}

/// What the search of one partition found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum PartitionOutcome {
    /// A linearization exists; this is one.
    Linearizable {
        /// The history positions of the operations that took effect, in the order they did.
        /// Maybe-applied operations that are absent never took effect.
        order: Vec<usize>,
    },
    /// No linearization exists.
    NotLinearizable,
    /// The budget ran out first.
    Unknown,
}

impl<P: PartialEq, I, O> Report<P, I, O> {
    /// Whether the history is linearizable.
    pub fn is_linearizable(&self) -> bool {
        matches!(self.verdict, Verdict::Linearizable)
    }

    /// The violation found, if any.
    pub fn violation(&self) -> Option<&Violation<P, I, O>> {
        match &self.verdict {
            Verdict::NotLinearizable(violation) => Some(violation),
            _ => None,
        }
    }

    /// One linearization of `partition`, if the search found one: history positions of the
    /// operations that took effect, in order.
    pub fn linearization(&self, partition: &P) -> Option<&[usize]> {
        self.partitions.iter().find(|report| &report.partition == partition).and_then(|report| {
            match &report.outcome {
                PartitionOutcome::Linearizable { order } => Some(order.as_slice()),
                _ => None,
            }
        })
    }
}

impl<P, I, O> Verdict<P, I, O> {
    /// The verdict in words, for a person: with a violation, its witness one operation a line.
    pub fn describe<M>(&self, model: &M) -> String
    where
        M: Model<Partition = P, Input = I, Output = O>,
    {
        match self {
            Verdict::Linearizable => "linearizable".to_owned(),
            Verdict::NotLinearizable(violation) => violation.describe(model),
            Verdict::Unknown { exhausted } => {
                let mut text = String::from("unknown: the search budget ran out for");
                for (position, partition) in exhausted.iter().enumerate() {
                    let separator = if position == 0 { " " } else { ", " };
                    let name = model.describe_partition(&partition.partition);
                    let _ = write!(text, "{separator}{name} ({} steps)", partition.steps);
                }
                text
            }
        }
    }
}

impl<P, I, O> Violation<P, I, O> {
    /// The violation in words: the partition, then the witness one operation a line, in order
    /// of call, with its history position, client, call and return times.
    pub fn describe<M>(&self, model: &M) -> String
    where
        M: Model<Partition = P, Input = I, Output = O>,
    {
        let minimal = if self.minimal { "1-minimal" } else { "not shown minimal" };
        let count = match self.witness.len() {
            1 => "1 operation".to_owned(),
            count => format!("{count} operations"),
        };
        let mut text = format!(
            "not linearizable: {} ({count}, {minimal}):",
            model.describe_partition(&self.partition)
        );
        let mut witness: Vec<&WitnessOperation<I, O>> = self.witness.iter().collect();
        witness.sort_by_key(|entry| (entry.operation.call_us, entry.index));
        for entry in witness {
            let operation = &entry.operation;
            let returned = match operation.return_us() {
                Some(return_us) => format!("{return_us} µs"),
                None => "never".to_owned(),
            };
            let output = operation.outcome.as_ref().map(|outcome| &outcome.output);
            let _ = write!(
                text,
                "\n  #{} client {}: called {} µs, returned {returned}: {}",
                entry.index,
                operation.client,
                operation.call_us,
                model.describe_operation(&operation.input, output)
            );
        }
        text
    }
}
