//! A bounded search: a partition that needs more steps than its budget is `Unknown`, never a
//! violation, and says how many steps it spent.

mod support;

use raftsim_lincheck::kv::{KvModel, Token};
use raftsim_lincheck::{CheckOptions, Exhausted, PartitionOutcome, Verdict, check};
use support::*;

/// Eight appends on key 0, all concurrent, then a read of them in the one order the search
/// tries last (it tries earlier-numbered appends first): about 110,000 steps to find. A later
/// timed-out put of all eight tokens hides the order the read gives away
/// ([`raftsim_lincheck::Model::known_order`] holds only for tokens with one writer), which would
/// otherwise make this easy.
fn hard(read: &[Token]) -> Vec<KvOperation> {
    let mut history: Vec<KvOperation> =
        (1..=8).map(|token| append(token.into(), 0, &[token], 0, 1000)).collect();
    history.push(get(9, 0, Some(read), 1100, 1200));
    history.push(put_maybe(10, 0, &[1, 2, 3, 4, 5, 6, 7, 8], 1300));
    history
}

fn reversed() -> Vec<Token> {
    (1..=8).rev().collect()
}

fn options(steps_max_per_partition: u64) -> CheckOptions {
    CheckOptions { steps_max_per_partition, ..CheckOptions::default() }
}

#[test]
fn an_exhausted_budget_is_unknown_not_a_violation() {
    let report = check(&KvModel, &hard(&reversed()), &options(1000)).unwrap();
    assert_eq!(
        report.verdict,
        Verdict::Unknown { exhausted: vec![Exhausted { partition: 0, steps: 1000 }] }
    );
    assert_eq!(report.partitions[0].outcome, PartitionOutcome::Unknown);
    assert_eq!(
        report.verdict.describe(&KvModel),
        "unknown: the search budget ran out for key 0 (1000 steps)"
    );
    let report = check(&KvModel, &hard(&reversed()), &CheckOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Linearizable);
    assert!(report.partitions[0].steps > 1000, "{} steps", report.partitions[0].steps);
}

#[test]
fn a_violation_needing_more_than_the_budget_to_prove_is_unknown() {
    let impossible = hard(&[1, 2, 3, 4, 5, 6, 7, 99]);
    let report = check(&KvModel, &impossible, &options(1000)).unwrap();
    assert!(matches!(report.verdict, Verdict::Unknown { .. }));
    let report = check(&KvModel, &impossible, &CheckOptions::default()).unwrap();
    let witness = &report.violation().unwrap().witness;
    assert_eq!(witness.len(), 8, "the read, and the appends of the tokens it did see");
    assert_eq!(
        witness.iter().map(|entry| entry.index).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4, 5, 6, 8]
    );
}

#[test]
fn a_violation_elsewhere_outranks_an_exhausted_partition() {
    let mut history = hard(&reversed());
    history.extend([
        put(1, 5, &[1], 0, 10),
        put(1, 5, &[2], 20, 30),
        get(2, 5, Some(&[1]), 40, 50),
    ]);
    let report = check(&KvModel, &history, &options(1000)).unwrap();
    assert_eq!(report.violation().unwrap().partition, 5);
    assert_eq!(report.partitions[0].outcome, PartitionOutcome::Unknown);
}

#[test]
fn a_shrinking_out_of_budget_reports_its_witness_as_not_minimal() {
    let history = [put(1, 0, &[1], 0, 10), put(1, 0, &[2], 20, 30), get(2, 0, Some(&[1]), 40, 50)];
    let options = CheckOptions { shrink_steps_max: 1, ..CheckOptions::default() };
    let report = check(&KvModel, &history, &options).unwrap();
    let violation = report.violation().unwrap();
    assert!(!violation.minimal);
    assert_eq!(violation.witness.len(), 3);
    assert_linearizable(&hard(&reversed()));
}
