//! The timeline as one HTML file: the header (what ran, how it ended) rendered here, the lanes,
//! arrows and bands drawn by the page's script from compact columns of data.
//!
//! The data are arrays of numbers, not objects, so that a window of 200,000 events stays a file
//! of a few megabytes that a browser parses in a blink; the script draws only what is in view.

use raftsim_sim::RunResult;
use raftsim_sim::event::RECORD_KINDS;
use serde_json::{Value, json};

use super::Timeline;
use crate::html::{Page, duration, escape, script_json};

/// The page's own style.
const STYLE: &str = include_str!("timeline.css");

/// The page's script: its three parts share one function's scope, so that the model
/// (`timeline.js`) is seen by the drawing (`draw.js`) and the interaction (`interact.js`),
/// and nothing leaks into the page's global scope. An error anywhere is noted on the body
/// (`data-error`), where a test looks for it; `data-ready` says the script ran to its end.
const SCRIPT: &str = concat!(
    "\"use strict\";\n",
    "window.addEventListener(\"error\", (event) => {\n",
    "  document.body.dataset.error = String(event.message || event);\n",
    "});\n",
    "(function () {\n",
    include_str!("timeline.js"),
    include_str!("draw.js"),
    include_str!("interact.js"),
    "})();\n"
);

/// What the page says about the run besides the timeline itself.
pub struct PageContext<'a> {
    /// The trace file, as given.
    pub trace: &'a str,
    /// The spec replayed.
    pub spec: &'a raftsim_sim::RunSpec,
    /// Whether the replay reproduced the trace (`None`: it did; otherwise how it diverged).
    pub divergence: Option<String>,
}

/// The page of `timeline`, the replay of `context.trace` that ended with `result`.
pub fn render(mut timeline: Timeline, context: &PageContext, result: &RunResult) -> String {
    let data = data(&mut timeline, context, result);
    let spec = context.spec;
    let title = format!("raftsim timeline: seed {} of {}", spec.seed, spec.options.scenario);
    let body = body(&timeline, context, result);
    Page {
        title: &title,
        style: STYLE,
        body: &body,
        data: Some(&script_json(&data)),
        script: SCRIPT,
    }
    .render()
}

/// The header: what ran, how it ended, and what the window holds.
fn body(timeline: &Timeline, context: &PageContext, result: &RunResult) -> String {
    let spec = context.spec;
    let bugs: Vec<&str> = spec.bugs.iter().map(|bug| bug.name()).collect();
    let bugs = if bugs.is_empty() { "none".to_owned() } else { bugs.join(", ") };
    let meta = format!(
        "trace <b>{}</b> · seed <b>{}</b> · scenario <b>{}</b> · Raft <b>{}</b> · {} nodes · \
         bugs <b>{}</b> · {} events · {} of virtual time",
        escape(context.trace),
        spec.seed,
        escape(&spec.options.scenario),
        escape(&spec.raft),
        spec.options.nodes,
        escape(&bugs),
        result.events,
        escape(&duration(result.end_time_us)),
    );
    let verdict = match (result.failure(), result.exceeded()) {
        (Some(failure), _) => format!(
            "<div class=\"verdict fail\"><b>{} violated</b> at step {} (t = {}): {}</div>",
            escape(failure.violation.property.name()),
            failure.step,
            escape(&duration(failure.time_us)),
            escape(&failure.violation.detail)
        ),
        (None, Some(exceeded)) => format!(
            "<div class=\"verdict warn\"><b>{} exceeded</b> at step {}: {} (a harness verdict, \
             not a Raft violation)</div>",
            escape(exceeded.limit.name()),
            exceeded.step,
            escape(&exceeded.detail)
        ),
        (None, None) => {
            "<div class=\"verdict pass\">Every property held; liveness was reached.</div>"
                .to_owned()
        }
    };
    let mut notes = String::new();
    if timeline.first_step > 1 {
        notes.push_str(&format!(
            "<div class=\"note\">This run has {} events; the timeline keeps the last {} before \
             its end (steps {} to {}). Each lane starts with the node's state at step {}.</div>",
            result.events,
            timeline.events_max,
            timeline.first_step,
            timeline.first_step + timeline.times.len() as u64 - 1,
            timeline.first_step - 1
        ));
    }
    if timeline.events_not_kept > 0 {
        notes.push_str(&format!(
            "<div class=\"note\">{} later events are not shown: the replay ran past its trace.</div>",
            timeline.events_not_kept
        ));
    }
    if let Some(divergence) = &context.divergence {
        notes.push_str(&format!(
            "<div class=\"note\">The replay did not reproduce the trace: {}. This is the run \
             this build made.</div>",
            escape(divergence)
        ));
    }
    format!(
        "<header class=\"page\"><h1><span class=\"brand\">raftsim</span> timeline</h1>\
         <div class=\"meta\">{meta}</div>{verdict}{notes}</header>\n{}",
        include_str!("timeline.html")
    )
}

/// The columns the script draws from.
fn data(timeline: &mut Timeline, context: &PageContext, result: &RunResult) -> Value {
    let first = timeline.first_step;
    let start_us = if first <= 1 { 0 } else { timeline.times.first().copied().unwrap_or(0) };
    let end_us = result.end_time_us.max(start_us + 1);
    let states: Vec<Vec<u64>> = timeline
        .states
        .iter()
        .map(|changes| {
            changes
                .iter()
                .flat_map(|(step, state)| std::iter::once(*step).chain(state.iter().copied()))
                .collect()
        })
        .collect();
    let committed: Vec<u64> =
        timeline.committed.iter().flat_map(|&(step, index)| [step, index]).collect();
    let mut message_kinds: Vec<&str> = Vec::new();
    let mut arrows: Vec<i64> = Vec::with_capacity(timeline.arrows.len() * ARROW_FIELDS);
    for arrow in &timeline.arrows {
        let kind = match message_kinds.iter().position(|&kind| kind == arrow.kind) {
            Some(position) => position,
            None => {
                message_kinds.push(arrow.kind);
                message_kinds.len() - 1
            }
        };
        // A delivery the window shows is described by its event; the others by the sender.
        let shown = arrow
            .deliver_step
            .is_some_and(|step| step >= first && ((step - first) as usize) < timeline.times.len());
        let text = if shown { -1 } else { i64::from(timeline.strings.intern(&arrow.text)) };
        arrows.extend([
            arrow.from as i64,
            arrow.to as i64,
            kind as i64,
            arrow.term as i64,
            arrow.send_step as i64,
            arrow.send_us as i64,
            arrow.deliver_us.map_or(-1, |at_us| at_us as i64),
            arrow.deliver_step.map_or(-1, |step| step as i64),
            text,
            i64::from(arrow.damage),
            i64::from(arrow.duplicate),
            i64::from(arrow.fate),
        ]);
    }
    let faults: Vec<Value> = timeline
        .bands
        .iter()
        .filter(|band| band.end.is_none_or(|(step, _)| step >= first))
        .map(|band| {
            let fault = describe_fault(context, band.fault);
            json!({
                "fault": band.fault,
                "name": fault.0,
                "text": fault.1,
                "nodes": band.nodes,
                "s": band.start.0,
                "st": band.start.1,
                "e": band.end.map(|end| end.0),
                "et": band.end.map(|end| end.1),
                "skipped": band.skipped,
            })
        })
        .collect();
    let violation = result.failure().map(|failure| {
        json!({
            "step": failure.step,
            "t": failure.time_us,
            "property": failure.violation.property.name(),
            "detail": failure.violation.detail,
            "nodes": failure.violation.nodes,
            "index": failure.violation.index,
        })
    });
    json!({
        "nodes": timeline.nodes,
        "first": first,
        "start": start_us,
        "end": end_us,
        "kinds": RECORD_KINDS,
        "ev": {
            "t": timeline.times,
            "k": timeline.kinds,
            "n": timeline.event_nodes,
            "d": timeline.texts,
        },
        "strings": timeline.strings.table,
        "states": states,
        "committed": committed,
        "msgKinds": message_kinds,
        "arrowFields": ARROW_FIELDS,
        "arrows": arrows,
        "faults": faults,
        "heal": timeline.heal.map(|(step, at_us)| [step, at_us]),
        "violation": violation,
    })
}

/// Numbers per arrow in the page's `arrows` column (see [`data`]).
const ARROW_FIELDS: usize = 12;

/// A scheduled fault's short name and description.
fn describe_fault(context: &PageContext, fault: u32) -> (String, String) {
    match context.spec.schedule.get(fault as usize) {
        Some(fault) => (fault.kind.name().to_owned(), fault.kind.describe()),
        None => ("fault".to_owned(), format!("fault {fault}")),
    }
}
