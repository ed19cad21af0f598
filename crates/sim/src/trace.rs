//! Trace files: a failing (or any) run, written so that it replays byte for byte.
//!
//! A trace is JSON Lines:
//!
//! 1. a header: format name and version, the raftsim version, the seed, the resolved options
//!    and the injected bugs;
//! 2. the explicit fault schedule;
//! 3. one line per event, in order;
//! 4. in a key-value run, the clients' history: each operation's client, input, call time and
//!    answer (output and return time; none if the client never learned it);
//! 5. an outcome line: the result, the violation if any, the event count and the event hash.
//!
//! Replay re-runs the header and schedule (never re-drawing them from the seed, so a shrunk
//! trace replays as written) and compares every event. This module only turns traces into text
//! and back; the caller does the file I/O.

use std::fmt::Write as _;

use raftsim_raft::Bugs;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::counters::Counters;
use crate::event::{EventRecord, RECORD_KINDS};
use crate::fault::{Fault, validate_schedule};
use crate::kv_workload::History;
use crate::options::Options;
use crate::world::{Exceeded, Failure, RunResult, RunSpec, Verdict};

/// The format name in every trace header.
pub const FORMAT: &str = "raftsim-trace";

/// The trace format version this build reads and writes.
pub const VERSION: u32 = 3;

/// The first line of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version.
    pub version: u32,
    /// The raftsim version that wrote it.
    pub raftsim_version: String,
    /// The Raft implementation the run drove.
    pub raft: String,
    /// The event-stream fingerprint of the build that wrote it (`Engine::stream_fingerprint`):
    /// a replay on a build with another fingerprint is not expected to reproduce it.
    pub stream_fingerprint: String,
    /// The root seed.
    pub seed: u64,
    /// The resolved options.
    pub options: Options,
    /// Injected bugs.
    pub bugs: Bugs,
}

/// The second line: the fault schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleLine {
    schedule: Vec<Fault>,
}

/// One event line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventLine {
    step: u64,
    t_us: u64,
    event: String,
    node: u64,
    a: u64,
    b: u64,
}

/// The last line: how the run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// `pass`, `violation`, `exceeded` (a harness limit) or `stopped` (ended early by its
    /// caller).
    pub result: String,
    /// The seed, repeated so that a header and an outcome from different runs disagree.
    pub seed: u64,
    /// The violation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// The harness limit outgrown, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceeded: Option<Exceeded>,
    /// Events processed.
    pub events: u64,
    /// The event hash, as `0x` and 16 hex digits.
    pub event_hash: String,
    /// Virtual time at the end.
    pub end_time_us: u64,
    /// What happened.
    pub counters: Counters,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomeLine {
    outcome: Outcome,
}

impl Outcome {
    /// The outcome of `result`.
    pub fn of(result: &RunResult) -> Outcome {
        let name = match &result.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail(_) => "violation",
            Verdict::Exceeded(_) => "exceeded",
            Verdict::Stopped => "stopped",
        };
        Outcome {
            result: name.to_owned(),
            seed: result.seed,
            failure: result.failure().cloned(),
            exceeded: result.exceeded().cloned(),
            events: result.events,
            event_hash: format_hash(result.event_hash),
            end_time_us: result.end_time_us,
            counters: result.counters,
        }
    }
}

/// A hash as `0x` and 16 hex digits.
pub fn format_hash(hash: u64) -> String {
    format!("{hash:#018x}")
}

/// A whole trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Who, what and with which options.
    pub header: Header,
    /// The faults, as run.
    pub schedule: Vec<Fault>,
    /// Every event, in order.
    pub events: Vec<EventRecord>,
    /// What the key-value clients asked and heard, in a key-value run (the line before the
    /// outcome): what the linearizability check judged, for a reader or another checker.
    pub history: Option<History>,
    /// How the run ended.
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryLine {
    history: History,
}

/// Why a text is not a usable trace. Every variant names the line it is about.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TraceError {
    /// Nothing in it.
    #[error("the trace is empty")]
    Empty,
    /// A line is not valid JSON or not the expected record.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Not a raftsim trace.
    #[error("line 1: not a raftsim trace (format `{0}`, expected `{FORMAT}`)")]
    Format(String),
    /// A format version this build does not read.
    #[error(
        "line 1: trace format version {0} is not supported (this raftsim reads version {VERSION})"
    )]
    Version(String),
    /// The file ends before its outcome line.
    #[error("the trace is truncated after line {0}: it has no outcome line")]
    Truncated(usize),
    /// The parts of the trace contradict each other.
    #[error("line {line}: {message}")]
    Inconsistent {
        /// 1-based line number.
        line: usize,
        /// What disagrees.
        message: String,
    },
}

impl Trace {
    /// The trace of a run of `spec` that recorded `events` and ended with `result`, on a build
    /// whose stream fingerprint is `stream_fingerprint`.
    pub fn new(
        spec: &RunSpec,
        events: Vec<EventRecord>,
        result: &RunResult,
        stream_fingerprint: u64,
    ) -> Trace {
        Trace {
            header: Header {
                format: FORMAT.to_owned(),
                version: VERSION,
                raftsim_version: env!("CARGO_PKG_VERSION").to_owned(),
                raft: spec.raft.clone(),
                stream_fingerprint: format_hash(stream_fingerprint),
                seed: spec.seed,
                options: spec.options.clone(),
                bugs: spec.bugs,
            },
            schedule: spec.schedule.clone(),
            events,
            history: result.kv_history.clone(),
            outcome: Outcome::of(result),
        }
    }

    /// The spec to replay.
    pub fn spec(&self) -> RunSpec {
        RunSpec {
            seed: self.header.seed,
            raft: self.header.raft.clone(),
            options: self.header.options.clone(),
            schedule: self.schedule.clone(),
            bugs: self.header.bugs,
        }
    }

    /// The trace as JSON Lines.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::with_capacity(128 + self.events.len() * 72);
        out.push_str(&json_line(&self.header));
        out.push('\n');
        out.push_str(&json_line(&ScheduleLine { schedule: self.schedule.clone() }));
        out.push('\n');
        for (position, record) in self.events.iter().enumerate() {
            writeln!(
                out,
                r#"{{"step":{},"t_us":{},"event":"{}","node":{},"a":{},"b":{}}}"#,
                position + 1,
                record.time_us,
                record.kind_name(),
                record.node,
                record.a,
                record.b
            )
            .expect("writing to a String cannot fail");
        }
        if let Some(history) = &self.history {
            out.push_str(&json_line(&HistoryLine { history: history.clone() }));
            out.push('\n');
        }
        out.push_str(&json_line(&OutcomeLine { outcome: self.outcome.clone() }));
        out.push('\n');
        out
    }

    /// Parses and cross-checks a trace.
    pub fn parse(text: &str) -> Result<Trace, TraceError> {
        if text.trim().is_empty() {
            return Err(TraceError::Empty);
        }
        let mut lines = text.lines().enumerate().map(|(index, line)| (index + 1, line));
        let (_, first) = lines.next().ok_or(TraceError::Empty)?;
        if first.trim().is_empty() {
            let message = "a blank line where the header should be".to_owned();
            return Err(TraceError::Line { line: 1, message });
        }
        let header = parse_header(first)?;
        let (number, second) = lines.next().ok_or(TraceError::Truncated(1))?;
        let schedule = parse_line::<ScheduleLine>(number, second, "the fault schedule")?.schedule;
        let mut events = Vec::new();
        let mut history = None;
        let mut last_number = number;
        while let Some((number, line)) = lines.next() {
            last_number = number;
            if history.is_some() && !line.starts_with(r#"{"outcome""#) {
                return Err(TraceError::Line {
                    line: number,
                    message: "the client history must be followed by the outcome".to_owned(),
                });
            }
            if line.starts_with(r#"{"history""#) {
                history =
                    Some(parse_line::<HistoryLine>(number, line, "the client history")?.history);
                continue;
            }
            if line.starts_with(r#"{"outcome""#) {
                let outcome = parse_line::<OutcomeLine>(number, line, "the outcome")?.outcome;
                if let Some((extra, _)) = lines.find(|(_, line)| !line.trim().is_empty()) {
                    return Err(TraceError::Line {
                        line: extra,
                        message: "text after the outcome line (two traces joined?)".to_owned(),
                    });
                }
                let trace = Trace { header, schedule, events, history, outcome };
                trace.cross_check(number)?;
                trace
                    .header
                    .options
                    .validate()
                    .map_err(|error| TraceError::Line { line: 1, message: error.to_string() })?;
                validate_schedule(&trace.schedule, &trace.header.options).map_err(
                    |(position, message)| TraceError::Line {
                        line: 2,
                        message: format!("fault {position} of the schedule: {message}"),
                    },
                )?;
                return Ok(trace);
            }
            let event = parse_line::<EventLine>(number, line, "an event")?;
            if event.step != events.len() as u64 + 1 {
                return Err(TraceError::Inconsistent {
                    line: number,
                    message: format!("event step {} follows step {}", event.step, events.len()),
                });
            }
            let kind =
                RECORD_KINDS.iter().position(|&kind| kind == event.event).ok_or_else(|| {
                    TraceError::Line {
                        line: number,
                        message: format!("unknown event kind `{}`", event.event),
                    }
                })?;
            events.push(EventRecord {
                time_us: event.t_us,
                kind: kind as u8,
                node: event.node,
                a: event.a,
                b: event.b,
            });
        }
        Err(TraceError::Truncated(last_number))
    }

    fn cross_check(&self, line: usize) -> Result<(), TraceError> {
        let inconsistent = |message: String| Err(TraceError::Inconsistent { line, message });
        if self.outcome.seed != self.header.seed {
            return inconsistent(format!(
                "the outcome is for seed {} but the header for seed {}",
                self.outcome.seed, self.header.seed
            ));
        }
        if self.outcome.events != self.events.len() as u64 {
            return inconsistent(format!(
                "the outcome counts {} events but the trace holds {}",
                self.outcome.events,
                self.events.len()
            ));
        }
        let outcome = &self.outcome;
        let step = |step: u64| {
            if step <= outcome.events {
                Ok(())
            } else {
                inconsistent(format!("the outcome is at step {step} of {} events", outcome.events))
            }
        };
        match (outcome.result.as_str(), &outcome.failure, &outcome.exceeded) {
            ("pass" | "stopped", None, None) => Ok(()),
            ("violation", Some(failure), None) => step(failure.step),
            ("exceeded", None, Some(exceeded)) => step(exceeded.step),
            (result, _, _) => inconsistent(format!(
                "result `{result}` does not match the failure and exceeded fields"
            )),
        }
    }
}

fn parse_header(line: &str) -> Result<Header, TraceError> {
    // Check the format and version before the rest, so that another format or version gets a
    // message about that rather than about an unknown field.
    let value: serde_json::Value = serde_json::from_str(line).map_err(|error| {
        TraceError::Line { line: 1, message: format!("not valid JSON: {error}") }
    })?;
    let format = value.get("format").and_then(|format| format.as_str()).unwrap_or("");
    if format != FORMAT {
        return Err(TraceError::Format(format.to_owned()));
    }
    match value.get("version") {
        Some(version) if version.as_u64() == Some(VERSION as u64) => {}
        Some(version) => return Err(TraceError::Version(version.to_string())),
        None => return Err(TraceError::Version("(none)".to_owned())),
    }
    parse_line(1, line, "the header")
}

fn parse_line<T: for<'de> Deserialize<'de>>(
    number: usize,
    line: &str,
    what: &str,
) -> Result<T, TraceError> {
    serde_json::from_str(line).map_err(|error| TraceError::Line {
        line: number,
        message: format!("expected {what}: {error}"),
    })
}

fn json_line<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("trace records serialize")
}

/// Where a replay first differs from its trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The 1-based step.
    pub step: u64,
    /// What the trace recorded there (`None` past its end).
    pub recorded: Option<EventRecord>,
    /// What the replay produced (`None` past its end).
    pub replayed: Option<EventRecord>,
}

/// The first step at which `replayed` differs from `recorded`, if any.
pub fn first_divergence(recorded: &[EventRecord], replayed: &[EventRecord]) -> Option<Divergence> {
    let common = recorded.len().min(replayed.len());
    let at = (0..common)
        .find(|&i| recorded[i] != replayed[i])
        .or_else(|| (recorded.len() != replayed.len()).then_some(common))?;
    Some(Divergence {
        step: at as u64 + 1,
        recorded: recorded.get(at).copied(),
        replayed: replayed.get(at).copied(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, RAFTSIM_ENGINE};
    use crate::scenario::builtin;

    fn sample() -> Trace {
        let scenario = builtin("calm").unwrap();
        let mut spec = RunSpec::from_seed(&scenario, 5, Bugs::NONE);
        spec.options.fault_window_us = 200_000;
        RAFTSIM_ENGINE.record(&spec).1
    }

    #[test]
    fn round_trips_through_text() {
        let trace = sample();
        let text = trace.to_jsonl();
        assert_eq!(Trace::parse(&text), Ok(trace));
    }

    #[test]
    fn a_key_value_run_carries_its_clients_history_before_the_outcome() {
        let scenario = builtin("kv").unwrap();
        let mut spec = RunSpec::from_seed(&scenario, 2, Bugs::NONE);
        spec.options.fault_window_us = 300_000;
        let (result, trace) = RAFTSIM_ENGINE.record(&spec);
        let history = trace.history.as_ref().expect("a kv run records its history");
        assert!(history.len() > 10 && history.iter().any(|operation| operation.outcome.is_some()));
        assert_eq!(result.kv_history.as_ref(), Some(history));
        let text = trace.to_jsonl();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[lines.len() - 2].starts_with(r#"{"history":[{"client":"#));
        assert_eq!(Trace::parse(&text), Ok(trace.clone()));
        // Nothing may come between the history and the outcome.
        let mut misplaced = lines.clone();
        misplaced.swap(lines.len() - 2, lines.len() - 3);
        let error = Trace::parse(&misplaced.join("\n")).unwrap_err();
        assert!(error.to_string().contains("followed by the outcome"), "{error}");
        // A campaign's run keeps no history; a plain workload has none.
        let (unrecorded, _) = RAFTSIM_ENGINE.run(spec, crate::engine::Settings::default());
        assert_eq!(unrecorded.kv_history, None);
        assert_eq!(sample().history, None);
    }

    #[test]
    fn refuses_malformed_traces_naming_the_line() {
        let text = sample().to_jsonl();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(Trace::parse(""), Err(TraceError::Empty));
        assert!(matches!(Trace::parse("not json"), Err(TraceError::Line { line: 1, .. })));
        let truncated = lines[..lines.len() - 1].join("\n");
        assert!(matches!(Trace::parse(&truncated), Err(TraceError::Truncated(_))));
        let other = text.replacen(FORMAT, "other-format", 1);
        assert_eq!(Trace::parse(&other), Err(TraceError::Format("other-format".into())));
        let newer = text.replacen(r#""version":3"#, r#""version":9"#, 1);
        assert_eq!(Trace::parse(&newer), Err(TraceError::Version("9".into())));
        for (version, shown) in [("1e25", "1e+25"), ("-3", "-3"), ("\"3\"", "\"3\"")] {
            let odd = text.replacen(r#""version":3"#, &format!(r#""version":{version}"#), 1);
            assert_eq!(Trace::parse(&odd), Err(TraceError::Version(shown.into())), "{version}");
        }
        let blank_first = format!("\n{text}");
        let error = Trace::parse(&blank_first).unwrap_err();
        assert!(matches!(error, TraceError::Line { line: 1, .. }), "{error}");
        assert_eq!(Trace::parse(" \n\n"), Err(TraceError::Empty));
        let mut missing_event = lines.clone();
        missing_event.remove(5);
        let error = Trace::parse(&missing_event.join("\n")).unwrap_err();
        assert!(matches!(error, TraceError::Inconsistent { line: 6, .. }), "{error}");
        let wrong_seed = text.replace(r#""seed":5,"failure""#, r#""seed":6,"failure""#).replace(
            r#"{"outcome":{"result":"pass","seed":5"#,
            r#"{"outcome":{"result":"pass","seed":6"#,
        );
        assert!(matches!(Trace::parse(&wrong_seed), Err(TraceError::Inconsistent { .. })));
    }

    #[test]
    fn finds_the_first_divergence() {
        let record = |time_us| EventRecord { time_us, kind: 0, node: 1, a: 0, b: 0 };
        let a = [record(1), record(2), record(3)];
        assert_eq!(first_divergence(&a, &a), None);
        let b = [record(1), record(9), record(3)];
        assert_eq!(first_divergence(&a, &b).unwrap().step, 2);
        assert_eq!(first_divergence(&a, &a[..2]).unwrap().replayed, None);
    }
}
