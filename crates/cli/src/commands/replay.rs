//! `raftsim replay`: re-run a trace and prove it reproduces, bit for bit.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use raftsim_sim::WorldView;
use raftsim_sim::engine::Settings;
use raftsim_sim::event::EventRecord;
use raftsim_sim::kv_workload::History;
use raftsim_sim::node::Status;
use raftsim_sim::trace::{Outcome, Trace, first_divergence, format_hash};

use crate::exit::Exit;
use crate::files::{check_output_file, read_trace, write_output};
use crate::output::{count, counters_json, exceeded_line, failure_line, options_banner, outln};
use crate::timeline::{PageContext, Timeline};

/// Re-run a trace from its header and fault schedule, and compare every event.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  raftsim replay traces/default-seed17-leader-completeness.jsonl\n  \
raftsim replay trace.jsonl --timeline\n  \
raftsim replay trace.jsonl --html timeline.html   # lanes, messages, faults: open in a browser\n  \
raftsim replay trace.jsonl --check    # exit 0 only if the recorded outcome is reproduced"
)]
pub struct ReplayArgs {
    /// The trace file (JSON Lines).
    trace: PathBuf,
    /// Print a per-event log around the violation: time, node, role, term, commit, message.
    #[arg(long)]
    timeline: bool,
    /// Events of timeline to show before the violation (or the end).
    #[arg(long, default_value_t = 40, value_name = "N")]
    context: usize,
    /// Write the run as one self-contained HTML page: a lane per node (role, term, status),
    /// messages as arrows, faults, commits, applies and the violation; zoom, pan, click for
    /// details. Keeps the last 200,000 events of a longer run.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Exit 0 only if the recorded outcome is reproduced (3 otherwise): the CI regression check.
    #[arg(long)]
    check: bool,
    /// Print one JSON object: seed, result, property, step, events, event_hash, counters,
    /// reproduced, diverged_at.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ReplayArgs) -> Result<Exit> {
    if let Some(html) = &args.html {
        check_output_file(html).context("--html")?;
    }
    let trace = read_trace(&args.trace)?;
    let engine = crate::engines::by_name(&trace.header.raft)
        .with_context(|| format!("trace file {}: line 1", args.trace.display()))?;
    let spec = trace.spec();
    engine.accepts(&spec).map_err(|error| anyhow::anyhow!("{}: {error}", args.trace.display()))?;
    let this_build = format_hash(engine.stream_fingerprint());
    let stream_note = (trace.header.stream_fingerprint != this_build).then(|| {
        format!(
            "this trace was recorded by raftsim {} with event-stream fingerprint {}, and this \
             build's is {this_build}: the build's random streams, hashes, codecs or protocol \
             differ, so the replay is not expected to match (record the trace again)",
            trace.header.raftsim_version, trace.header.stream_fingerprint
        )
    });
    let mut timeline: VecDeque<String> = VecDeque::with_capacity(args.context + 1);
    let mut page = args
        .html
        .as_ref()
        .map(|_| Timeline::new(spec.options.nodes as usize, trace.outcome.events));
    let describe = args.timeline || page.is_some();
    let settings = Settings { record: true, describe, unchecked: false };
    let (result, records) = engine.run_observed(spec, settings, &mut |world| {
        if args.timeline {
            push_line(&mut timeline, args.context, timeline_line(world));
        }
        if let Some(page) = &mut page {
            page.observe(world);
        }
        true
    });
    let records = records.unwrap_or_default();
    let exit = finish(&args, &trace, &result, &records, &timeline, stream_note)?;
    match (&args.html, page) {
        (Some(path), Some(page)) => {
            Ok(write_page(path, page, &args.trace, &trace, &result, &records, exit))
        }
        _ => Ok(exit),
    }
}

/// Writes the timeline page of the replay to `path`. A page that cannot be written is an
/// error, but it does not hide a violation or a divergence: `exit` stands unless it was a pass.
fn write_page(
    path: &Path,
    page: Timeline,
    trace_path: &Path,
    trace: &Trace,
    result: &raftsim_sim::RunResult,
    records: &[EventRecord],
    exit: Exit,
) -> Exit {
    let divergence = match first_divergence(&trace.events, records) {
        Some(divergence) => Some(format!("it diverged at step {}", divergence.step)),
        None if Outcome::of(result) != trace.outcome => Some(format!(
            "the trace recorded {}, the replay ended with {}",
            describe_outcome(&trace.outcome),
            describe_outcome(&Outcome::of(result))
        )),
        None => history_divergence(trace.history.as_ref(), result.kv_history.as_ref())
            .map(|at| format!("its client history differs{at}")),
    };
    let spec = trace.spec();
    let trace_name = trace_path.display().to_string();
    let context = PageContext { trace: &trace_name, spec: &spec, divergence };
    let html = crate::timeline::render(page, &context, result);
    match write_output(path, html.as_bytes()).context("--html") {
        Ok(()) => {
            eprintln!("timeline written to {}", path.display());
            exit
        }
        Err(error) => {
            eprintln!("error: {}", crate::output::one_line(&error));
            match exit {
                Exit::Pass | Exit::Exceeded => Exit::BadInput,
                other => other,
            }
        }
    }
}

fn push_line(timeline: &mut VecDeque<String>, context: usize, line: String) {
    if timeline.len() > context {
        timeline.pop_front();
    }
    timeline.push_back(line);
}

fn finish(
    args: &ReplayArgs,
    trace: &Trace,
    result: &raftsim_sim::RunResult,
    records: &[EventRecord],
    timeline: &VecDeque<String>,
    stream_note: Option<String>,
) -> Result<Exit> {
    let replayed = Outcome::of(result);
    let divergence = first_divergence(&trace.events, records);
    let history = history_divergence(trace.history.as_ref(), result.kv_history.as_ref());
    let reproduced = divergence.is_none() && replayed == trace.outcome && history.is_none();
    let failure = result.failure();
    if args.json {
        let json = serde_json::json!({
            "seed": result.seed,
            "result": replayed.result,
            "property": failure.map(|failure| failure.violation.property.name()),
            "step": failure.map(|failure| failure.step),
            "events": result.events,
            "event_hash": format_hash(result.event_hash),
            "counters": counters_json(&result.counters),
            "reproduced": reproduced,
            "diverged_at": divergence.as_ref().map(|divergence| divergence.step),
        });
        outln!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        outln!("{}", options_banner(&trace.spec()));
        for line in timeline {
            outln!("{line}");
        }
        match (failure, result.exceeded()) {
            (Some(failure), _) => outln!("{}", failure_line(result.seed, failure)),
            (None, Some(exceeded)) => outln!("{}", exceeded_line(result.seed, exceeded)),
            (None, None) => outln!("seed {}: every property held, liveness reached", result.seed),
        }
    }
    if let (Some(note), false) = (&stream_note, reproduced) {
        eprintln!("note: {note}");
    }
    if let Some(divergence) = &divergence {
        let show = |record: &Option<EventRecord>| match record {
            Some(record) => describe_record(record),
            None => "(end of run)".to_owned(),
        };
        eprintln!(
            "replay DIVERGED at step {}: the trace recorded {}, the replay produced {}",
            divergence.step,
            show(&divergence.recorded),
            show(&divergence.replayed)
        );
        return Ok(Exit::Diverged);
    }
    if replayed != trace.outcome {
        eprintln!(
            "replay DIVERGED in its outcome: the trace recorded {}, the replay ended with {}",
            describe_outcome(&trace.outcome),
            describe_outcome(&replayed)
        );
        return Ok(Exit::Diverged);
    }
    if let Some(at) = history {
        eprintln!("replay DIVERGED in its client history{at}");
        return Ok(Exit::Diverged);
    }
    eprintln!(
        "replay reproduced the trace bit-exactly: {} events, event hash {}",
        result.events,
        format_hash(result.event_hash)
    );
    Ok(match (args.check, failure, result.exceeded()) {
        (true, _, _) | (false, None, None) => Exit::Pass,
        (false, Some(_), _) => Exit::Violation,
        (false, None, Some(_)) => Exit::Exceeded,
    })
}

/// Where a replay's client history departs from the trace's, if it does, in words that follow
/// "its client history differs". The history is a record of the run like its events: a replay
/// that reproduces the run reproduces it too.
fn history_divergence(recorded: Option<&History>, replayed: Option<&History>) -> Option<String> {
    match (recorded, replayed) {
        (None, None) => None,
        (Some(recorded), Some(replayed)) => {
            let first = recorded.iter().zip(replayed).position(|(a, b)| a != b);
            let at = first.or_else(|| {
                (recorded.len() != replayed.len()).then(|| recorded.len().min(replayed.len()))
            })?;
            Some(format!(
                " from operation {at} on: the trace records {}, the replay {}",
                count(recorded.len() as u64, "operation"),
                count(replayed.len() as u64, "operation")
            ))
        }
        (Some(_), None) => Some(": the trace records one, the replay none".to_owned()),
        (None, Some(_)) => Some(": the replay records one, the trace none".to_owned()),
    }
}

/// An outcome in a few words: its result, where it ended, its hash.
fn describe_outcome(outcome: &Outcome) -> String {
    let step = match (&outcome.failure, &outcome.exceeded) {
        (Some(failure), _) => format!(" at step {}", failure.step),
        (None, Some(exceeded)) => format!(" at step {}", exceeded.step),
        (None, None) => String::new(),
    };
    format!(
        "{}{step} after {} events (hash {})",
        outcome.result, outcome.events, outcome.event_hash
    )
}

fn describe_record(record: &EventRecord) -> String {
    format!(
        "{} at t={}us (node {}, {}, {})",
        record.kind_name(),
        record.time_us,
        record.node,
        record.a,
        record.b
    )
}

/// One timeline line: the step, the time, the event, and the state of the node it concerns.
fn timeline_line(world: &dyn WorldView) -> String {
    let records = world.records().unwrap_or_default();
    let Some(record) = records.last() else { return String::new() };
    let description = world.description().unwrap_or_default();
    let node = match record.kind_name() {
        "tick" | "deliver" | "process" | "client-arrive" => Some(record.node),
        _ => None,
    };
    let state = node
        .filter(|&node| node >= 1 && node as usize <= world.node_count())
        .map(|node| match (world.node_status(node), world.node_observation(node)) {
            (Status::Up, Some(state)) => format!(
                "n{node} {:13} term {:3} commit {:5}",
                state.role.name(),
                state.term,
                state.commit_index
            ),
            (status, _) => format!("n{node} {:13} {:20}", status.name(), ""),
        })
        .unwrap_or_else(|| format!("{:40}", ""));
    format!(
        "#{:<7} t={:>10.6}s  {state}  {:13} {description}",
        world.steps(),
        record.time_us as f64 / 1e6,
        record.kind_name()
    )
}
