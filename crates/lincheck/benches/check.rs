//! The checker's cost on a realistic history: 10,000 key-value operations by 5 concurrent
//! clients on 8 keys, 2% of them timed out (maybe applied), generated from a seeded ChaCha
//! stream as the property tests generate theirs. Run with `cargo bench -p raftsim-lincheck`.

use divan::{Bencher, black_box};
use raftsim_lincheck::kv::{KvInput, KvModel, KvOutput};
use raftsim_lincheck::{CheckOptions, Operation, Verdict, check};

#[path = "../tests/support/generate.rs"]
#[allow(dead_code, reason = "the benchmark needs only the history")]
mod generate;

use generate::{Workload, generate};

fn main() {
    divan::main();
}

/// Checks the whole history: every key is linearizable.
#[divan::bench(sample_count = 20)]
fn check_10000_operations_5_clients_8_keys(bencher: Bencher) {
    let history = generate(0x5eed, &Workload::benchmark()).history;
    let options = CheckOptions::default();
    bencher.bench_local(|| {
        let report = check(&KvModel, black_box(&history), &options).unwrap();
        assert_eq!(report.verdict, Verdict::Linearizable);
        black_box(report)
    });
}

/// The same history with its last read of key 0 made stale: the check finds it, and shrinks
/// the key's 1,200 operations to a witness of a few.
#[divan::bench(sample_count = 20)]
fn catch_and_shrink_a_stale_read_in_10000_operations(bencher: Bencher) {
    let history = with_stale_read(generate(0x5eed, &Workload::benchmark()).history);
    let options = CheckOptions::default();
    bencher.bench_local(|| {
        let report = check(&KvModel, black_box(&history), &options).unwrap();
        assert!(report.violation().is_some_and(|violation| violation.minimal));
        black_box(report)
    });
}

/// `history` with its last completed read of key 0 answering what the latest earlier read of
/// it answered, although a write completed in between.
fn with_stale_read(
    mut history: Vec<Operation<KvInput, KvOutput>>,
) -> Vec<Operation<KvInput, KvOutput>> {
    let is_read = |operation: &Operation<_, _>| {
        operation.input == KvInput::Get { key: 0 } && !operation.is_maybe()
    };
    let reads: Vec<usize> = (0..history.len()).filter(|&index| is_read(&history[index])).collect();
    let late = *reads.last().expect("a read of key 0");
    for &early in reads.iter().rev().skip(1) {
        let (first, last) = (&history[early], &history[late]);
        let overwritten = history.iter().any(|write| {
            write.input.key() == 0
                && matches!(write.outcome.as_ref().map(|seen| &seen.output), Some(KvOutput::Put))
                && first.precedes(write)
                && write.precedes(last)
        });
        if overwritten {
            let stale = first.outcome.clone().expect("a completed read").output;
            history[late].outcome.as_mut().expect("a completed read").output = stale;
            return history;
        }
    }
    panic!("no read of key 0 to make stale");
}
