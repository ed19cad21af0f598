//! The checker's cost on a realistic history: 10,000 key-value operations by 5 concurrent
//! clients on 8 keys, 2% of them timed out (maybe applied), generated from a seeded ChaCha
//! stream as the property tests generate theirs. Run with `cargo bench -p raftsim-lincheck`.

use divan::{Bencher, black_box};
use raftsim_lincheck::kv::KvModel;
use raftsim_lincheck::{CheckOptions, Verdict, check};

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
