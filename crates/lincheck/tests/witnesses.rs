//! The witness of a violation: a few operations of one key that are not linearizable, shrunk
//! until every one of them is needed — removing any one (and whatever only it explains) leaves
//! a linearizable history.

mod support;

use raftsim_lincheck::kv::{KvInput, KvModel, KvOutput};
use raftsim_lincheck::{Model, Violation};
use support::generate::{Workload, generate};
use support::*;

/// A linearizable history on two keys with timeouts, 600 operations long, in which one read of
/// key 1 is made stale: it returns the value an earlier read saw, although a write completed in
/// between. Returns the history and the stale read's position.
fn stale_read_in_noise(seed: u64) -> (Vec<KvOperation>, usize) {
    let workload =
        Workload { keys: 2, operations: 600, timeout_probability: 0.05, ..Workload::benchmark() };
    let mut history = generate(seed, &workload).history;
    let reads: Vec<usize> = (0..history.len())
        .filter(|&index| {
            matches!(history[index].input, KvInput::Get { key: 1 }) && !history[index].is_maybe()
        })
        .collect();
    for &late in reads.iter().rev() {
        for &early in reads.iter().rev() {
            let (first, last) = (&history[early], &history[late]);
            let changed_between = history.iter().any(|write| {
                write.input.key() == 1
                    && write.input.written().is_some()
                    && first.precedes(write)
                    && write.precedes(last)
                    && write
                        .outcome
                        .as_ref()
                        .is_some_and(|seen| seen.output != KvOutput::Cas { swapped: false })
            });
            let old = first.outcome.clone().unwrap().output;
            if changed_between && old != last.outcome.as_ref().unwrap().output {
                history[late].outcome.as_mut().unwrap().output = old;
                return (history, late);
            }
        }
    }
    panic!("no stale read to make in seed {seed}");
}

#[test]
fn the_witness_of_a_stale_read_in_noise_is_one_minimal() {
    for seed in 0..40 {
        let (history, stale) = stale_read_in_noise(seed);
        let report = assert_not_linearizable(&history);
        let Violation { partition, witness, minimal, .. } = report.violation().unwrap();
        assert_eq!(*partition, 1);
        assert!(*minimal, "seed {seed}");
        let witness: Vec<usize> = witness.iter().map(|entry| entry.index).collect();
        assert!(
            witness.contains(&stale),
            "seed {seed}: the stale read {stale} is not in {witness:?}"
        );
        assert!(witness.len() <= 8, "seed {seed}: a large witness {witness:?}");
        let alone: Vec<KvOperation> = witness.iter().map(|&index| history[index].clone()).collect();
        assert_not_linearizable(&alone);
        for (dropped, index) in witness.iter().enumerate() {
            let rest = without(&alone, dropped);
            assert!(check_kv(&rest).is_linearizable(), "seed {seed}: #{index} is not needed");
        }
    }
}

/// `history` less its operation at `dropped` and every operation left without a source (see
/// `Model::sources`): what "removing one operation" means for a witness.
fn without(history: &[KvOperation], dropped: usize) -> Vec<KvOperation> {
    let mut kept: Vec<bool> = (0..history.len()).map(|position| position != dropped).collect();
    let sources = KvModel.sources(&history.iter().collect::<Vec<_>>());
    loop {
        let orphan = (0..history.len()).find(|&position| {
            kept[position]
                && sources[position].iter().any(|group| group.iter().all(|&source| !kept[source]))
        });
        match orphan {
            Some(position) => kept[position] = false,
            None => break,
        }
    }
    history
        .iter()
        .zip(kept)
        .filter(|(_, kept)| *kept)
        .map(|(operation, _)| operation.clone())
        .collect()
}

#[test]
fn the_witness_is_described_one_operation_a_line_in_order_of_call() {
    let history =
        [put(7, 3, &[1], 100, 180), get(5, 3, Some(&[1]), 400, 450), put(4, 3, &[2], 200, 260)];
    let report = assert_not_linearizable(&history);
    assert_eq!(
        report.verdict.describe(&KvModel),
        "not linearizable: key 3 (3 operations, 1-minimal):\n  \
         #0 client 7: called 100 µs, returned 180 µs: put(3, [1]) -> ok\n  \
         #2 client 4: called 200 µs, returned 260 µs: put(3, [2]) -> ok\n  \
         #1 client 5: called 400 µs, returned 450 µs: get(3) -> [1]"
    );
}
