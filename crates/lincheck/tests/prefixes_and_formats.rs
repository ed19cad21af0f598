//! Checking a prefix of a history, histories given as events, and the serialized forms.

mod support;

use raftsim_lincheck::kv::{KvInput, KvModel, KvOutput};
use raftsim_lincheck::{CheckOptions, Event, Operation, check, operations_from_events, prefix};
use support::*;

fn stale_read() -> Vec<KvOperation> {
    vec![
        put(1, 0, &[1], 0, 10),
        get(3, 0, Some(&[1]), 15, 25),
        put(2, 0, &[2], 20, 30),
        get(3, 0, Some(&[1]), 40, 50),
    ]
}

#[test]
fn a_prefix_is_checked_with_operations_in_flight_maybe_applied() {
    let history = stale_read();
    let before = prefix(&history, 45);
    assert!(before[3].is_maybe(), "the stale read had not returned by 45 µs");
    assert_linearizable(&before);
    assert_not_linearizable(&prefix(&history, 50));
    let cut = prefix(&history, 12);
    assert_eq!(cut.len(), 1, "the operations called after the cut are left out");
}

#[test]
fn an_event_history_is_checked_as_its_operations() {
    let events = vec![
        Event::Call { id: 10, client: 1, input: KvInput::Put { key: 0, value: vec![1] }, at_us: 0 },
        Event::Return { id: 10, output: KvOutput::Put, at_us: 10 },
        Event::Call {
            id: 11,
            client: 2,
            input: KvInput::Put { key: 0, value: vec![2] },
            at_us: 20,
        },
        Event::Call { id: 12, client: 1, input: KvInput::Get { key: 0 }, at_us: 40 },
        Event::Return { id: 12, output: KvOutput::Get { value: Some(vec![2]) }, at_us: 50 },
        Event::Call { id: 13, client: 1, input: KvInput::Get { key: 0 }, at_us: 60 },
        Event::Return { id: 13, output: KvOutput::Get { value: Some(vec![1]) }, at_us: 70 },
    ];
    let operations = operations_from_events(events).unwrap();
    assert!(operations[1].is_maybe(), "the second put never returned");
    let report = assert_not_linearizable(&operations);
    let witness: Vec<usize> =
        report.violation().unwrap().witness.iter().map(|entry| entry.index).collect();
    assert_eq!(witness, [0, 1, 2, 3]);
}

#[test]
fn histories_and_reports_round_trip_through_json() {
    let history = stale_read();
    let json = serde_json::to_string(&history).unwrap();
    let first = serde_json::json!({
        "client": 1,
        "input": { "op": "put", "key": 0, "value": [1] },
        "call_us": 0,
        "outcome": { "output": { "op": "put" }, "return_us": 10 },
    });
    assert_eq!(serde_json::to_value(&history[0]).unwrap(), first);
    let back: Vec<KvOperation> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, history);
    let report = check(&KvModel, &history, &CheckOptions::default()).unwrap();
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        json.starts_with(
            r#"{"verdict":{"verdict":"not-linearizable","partition":0,"witness":[{"index":"#
        ),
        "{json}"
    );
    let back: raftsim_lincheck::ReportOf<KvModel> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
    let options = serde_json::to_string(&CheckOptions::default()).unwrap();
    assert_eq!(options, r#"{"steps_max_per_partition":1000000,"shrink_steps_max":10000000}"#);
    let maybe: KvOperation = Operation::maybe(4, KvInput::Get { key: 2 }, 7);
    assert_eq!(
        serde_json::to_string(&maybe).unwrap(),
        r#"{"client":4,"input":{"op":"get","key":2},"call_us":7,"outcome":null}"#
    );
}

#[test]
fn the_same_history_gives_the_same_report_step_for_step() {
    let workload = support::generate::Workload {
        operations: 2000,
        timeout_probability: 0.05,
        ..support::generate::Workload::benchmark()
    };
    let history = support::generate::generate(42, &workload).history;
    let first = check_kv(&history);
    assert!(first.is_linearizable());
    assert_eq!(check_kv(&history), first);
    let mut stale = history.clone();
    let read = stale.iter().rposition(|operation| {
        matches!(operation.input, KvInput::Get { .. }) && !operation.is_maybe()
    });
    let seen = stale[read.unwrap()].outcome.as_mut().unwrap();
    seen.output = KvOutput::Get { value: Some(vec![u32::MAX]) };
    assert_eq!(check_kv(&stale), check_kv(&stale));
}
