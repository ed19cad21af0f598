//! Hand-built key-value histories: for each anomaly, one history that shows it (caught) and a
//! nearby legal one (accepted). Times are virtual microseconds; `put(client, key, value, call,
//! return)` and friends build one operation each.

mod support;

use raftsim_lincheck::kv::KvModel;
use raftsim_lincheck::{PartitionOutcome, Verdict};
use support::*;

#[test]
fn a_stale_read_after_a_completed_write_is_caught() {
    let history = [put(1, 0, &[1], 0, 10), put(1, 0, &[2], 20, 30), get(2, 0, Some(&[1]), 40, 50)];
    let report = assert_not_linearizable(&history);
    let violation = report.violation().unwrap();
    let witness: Vec<usize> = violation.witness.iter().map(|entry| entry.index).collect();
    // Removing the first put would leave a read of a value nobody wrote: the read goes with it.
    assert_eq!(witness, [0, 1, 2]);
    assert!(violation.minimal);
}

#[test]
fn a_read_after_a_completed_write_sees_it() {
    assert_linearizable(&[
        put(1, 0, &[1], 0, 10),
        put(1, 0, &[2], 20, 30),
        get(2, 0, Some(&[2]), 40, 50),
    ]);
}

#[test]
fn a_read_overlapping_a_write_may_see_either_value() {
    let before = put(1, 0, &[1], 0, 10);
    let write = put(1, 0, &[2], 20, 40);
    assert_linearizable(&[before.clone(), write.clone(), get(2, 0, Some(&[1]), 25, 35)]);
    assert_linearizable(&[before.clone(), write.clone(), get(2, 0, Some(&[2]), 25, 35)]);
    // Two overlapping reads may even disagree, as long as the old value is not seen after the
    // new one was.
    assert_linearizable(&[
        before.clone(),
        write.clone(),
        get(2, 0, Some(&[2]), 21, 30),
        get(3, 0, Some(&[1]), 22, 31),
    ]);
    let new_then_old =
        [before, write, get(2, 0, Some(&[2]), 21, 25), get(3, 0, Some(&[1]), 26, 31)];
    assert_not_linearizable(&new_then_old);
}

#[test]
fn a_read_of_a_value_never_written_is_caught() {
    let history = [put(1, 0, &[1], 0, 10), get(2, 0, Some(&[7]), 5, 15)];
    let report = assert_not_linearizable(&history);
    let witness = &report.violation().unwrap().witness;
    assert_eq!(witness.len(), 1, "the read alone is impossible");
    assert_eq!(witness[0].index, 1);
    assert_not_linearizable(&[get(2, 0, Some(&[]), 0, 1)]);
    assert_linearizable(&[get(2, 0, None, 0, 1), put(1, 0, &[], 2, 3), get(2, 0, Some(&[]), 4, 5)]);
}

#[test]
fn two_swaps_from_the_same_expected_value_cannot_both_succeed() {
    let lost_update = [
        put(1, 0, &[1], 0, 10),
        cas(2, 0, Some(&[1]), &[2], true, 20, 40),
        cas(3, 0, Some(&[1]), &[3], true, 25, 45),
    ];
    assert_not_linearizable(&lost_update);
    let one_wins = [
        put(1, 0, &[1], 0, 10),
        cas(2, 0, Some(&[1]), &[2], true, 20, 40),
        cas(3, 0, Some(&[1]), &[3], false, 25, 45),
        get(1, 0, Some(&[2]), 50, 60),
    ];
    assert_linearizable(&one_wins);
}

#[test]
fn a_swap_expecting_absence_creates_the_key_once() {
    assert_linearizable(&[
        cas(1, 0, None, &[1], true, 0, 10),
        cas(2, 0, None, &[2], false, 5, 15),
        get(3, 0, Some(&[1]), 20, 30),
    ]);
    assert_not_linearizable(&[
        cas(1, 0, None, &[1], true, 0, 10),
        cas(2, 0, None, &[2], true, 20, 30),
    ]);
}

#[test]
fn a_timed_out_put_whose_effect_is_seen_later_took_effect() {
    let history = [
        put(1, 0, &[1], 0, 10),
        put_maybe(2, 0, &[2], 20),
        get(3, 0, Some(&[1]), 30, 40),
        get(3, 0, Some(&[2]), 500, 510),
        get(1, 0, Some(&[2]), 600, 610),
    ];
    assert_linearizable(&history);
}

#[test]
fn a_timed_out_put_seen_and_then_unseen_is_caught() {
    let history = [
        put(1, 0, &[1], 0, 10),
        put_maybe(2, 0, &[2], 20),
        get(3, 0, Some(&[2]), 30, 40),
        get(3, 0, Some(&[1]), 50, 60),
    ];
    let report = assert_not_linearizable(&history);
    let witness: Vec<usize> =
        report.violation().unwrap().witness.iter().map(|entry| entry.index).collect();
    assert_eq!(witness, [0, 1, 2, 3]);
    assert_eq!(
        report.verdict.describe(&KvModel),
        "not linearizable: key 0 (4 operations, 1-minimal):\n  \
         #0 client 1: called 0 µs, returned 10 µs: put(0, [1]) -> ok\n  \
         #1 client 2: called 20 µs, returned never: put(0, [2]) -> ?\n  \
         #2 client 3: called 30 µs, returned 40 µs: get(0) -> [2]\n  \
         #3 client 3: called 50 µs, returned 60 µs: get(0) -> [1]"
    );
}

#[test]
fn a_timed_out_operation_that_never_took_effect_is_accepted() {
    assert_linearizable(&[
        put(1, 0, &[1], 0, 10),
        put_maybe(2, 0, &[2], 20),
        append_maybe(2, 0, &[3], 25),
        cas_maybe(2, 0, Some(&[1]), &[4], 27),
        get(3, 0, Some(&[1]), 30, 40),
        get(3, 0, Some(&[1]), 500, 510),
    ]);
}

#[test]
fn a_timed_out_write_may_be_what_made_a_swap_fail() {
    // Nobody ever reads [2], yet the swap expecting [1] failed: only the timed-out put can have
    // changed the value in between, and the later put hid it.
    let history = [
        put(1, 0, &[1], 0, 10),
        put_maybe(2, 0, &[2], 20),
        cas(3, 0, Some(&[1]), &[9], false, 30, 40),
        put(1, 0, &[3], 50, 60),
        get(3, 0, Some(&[3]), 70, 80),
    ];
    assert_linearizable(&history);
    let without_it: Vec<_> = history
        .iter()
        .enumerate()
        .filter(|&(index, _)| index != 1)
        .map(|(_, operation)| operation.clone())
        .collect();
    assert_not_linearizable(&without_it);
}

#[test]
fn appends_seen_in_different_orders_by_two_readers_are_caught() {
    let appends = [append(1, 0, &[1], 0, 100), append(2, 0, &[2], 0, 100)];
    let mut history = appends.to_vec();
    history.push(get(3, 0, Some(&[1, 2]), 110, 120));
    history.push(get(4, 0, Some(&[2, 1]), 110, 120));
    assert_not_linearizable(&history);
    let mut agreeing = appends.to_vec();
    agreeing.push(get(3, 0, Some(&[2, 1]), 110, 120));
    agreeing.push(get(4, 0, Some(&[2, 1]), 110, 120));
    agreeing.push(get(4, 0, Some(&[2]), 50, 60));
    assert_linearizable(&agreeing);
}

#[test]
fn a_violation_on_one_key_is_reported_for_that_key_only() {
    let history = [
        put(1, 0, &[1], 0, 10),
        put(1, 1, &[1], 0, 10),
        put(2, 1, &[2], 20, 30),
        get(3, 0, Some(&[1]), 40, 50),
        get(3, 1, Some(&[1]), 40, 50),
        append(1, 2, &[5], 60, 70),
        get(2, 2, Some(&[5]), 80, 90),
    ];
    let report = assert_not_linearizable(&history);
    let violation = report.violation().unwrap();
    assert_eq!(violation.partition, 1);
    assert!(violation.witness.iter().all(|entry| entry.operation.input.key() == 1));
    let outcomes: Vec<(u32, bool)> = report
        .partitions
        .iter()
        .map(|partition| {
            (partition.partition, partition.outcome == PartitionOutcome::NotLinearizable)
        })
        .collect();
    assert_eq!(outcomes, [(0, false), (1, true), (2, false)]);
    assert_eq!(report.linearization(&0), Some(&[0, 3][..]));
    assert_eq!(report.linearization(&2), Some(&[5, 6][..]));
}

#[test]
fn keys_are_independent_registers() {
    // As one register this would be a stale read; as two keys it is fine.
    assert_linearizable(&[
        put(1, 0, &[1], 0, 10),
        get(2, 1, None, 20, 30),
        put(1, 1, &[2], 40, 50),
        get(2, 0, Some(&[1]), 60, 70),
    ]);
}

#[test]
fn a_write_that_returned_when_a_read_was_called_is_concurrent_with_it() {
    // The put returned at 10. A get called at 10 may still precede it: one timestamp cannot
    // order two events in the same microsecond. A get called at 11 may not.
    let history = |read_call_us| [put(1, 0, &[1], 0, 10), get(2, 0, None, read_call_us, 20)];
    assert_linearizable(&history(10));
    assert_not_linearizable(&history(11));
    // The same boundary holds between two completed writes.
    let writes = |second_call_us| {
        [put(1, 0, &[1], 0, 10), put(2, 0, &[2], second_call_us, 20), get(3, 0, Some(&[1]), 30, 40)]
    };
    assert_linearizable(&writes(10));
    assert_not_linearizable(&writes(11));
}

#[test]
fn an_instantaneous_operation_is_well_formed() {
    assert_linearizable(&[put(1, 0, &[1], 5, 5), get(2, 0, Some(&[1]), 5, 5)]);
}

#[test]
fn an_answer_of_the_wrong_kind_is_impossible() {
    let mut history = vec![put(1, 0, &[1], 0, 10)];
    history[0].outcome.as_mut().unwrap().output = raftsim_lincheck::kv::KvOutput::Append;
    assert_not_linearizable(&history);
}

#[test]
fn a_history_with_a_return_before_its_call_is_refused() {
    let history = [put(1, 0, &[1], 10, 5)];
    let error = raftsim_lincheck::check(&KvModel, &history, &Default::default()).unwrap_err();
    assert_eq!(error.to_string(), "operation 0 returned at 5 µs, before its call at 10 µs");
}

#[test]
fn an_empty_history_is_linearizable() {
    let report = check_kv(&[]);
    assert_eq!(report.verdict, Verdict::Linearizable);
    assert!(report.partitions.is_empty());
}
