//! Shared output helpers: one-line errors, counters, options banners, progress bars.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use raftsim_sim::{Counters, Failure, RunSpec};

/// An error and its causes on one line, outermost first.
pub fn one_line(error: &anyhow::Error) -> String {
    error.chain().map(|cause| cause.to_string()).collect::<Vec<_>>().join(": ")
}

/// Counters as `name=value` pairs, wrapped at about 100 columns.
pub fn counters_text(counters: &Counters) -> String {
    let mut lines = vec![String::new()];
    for (name, value) in counters.fields() {
        let field = format!("{name}={value}");
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + field.len() > 100 {
            lines.push(field);
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&field);
        }
    }
    lines.join("\n  ")
}

/// Counters as a JSON object.
pub fn counters_json(counters: &Counters) -> serde_json::Value {
    serde_json::to_value(counters).expect("counters serialize")
}

/// The options banner of a run (TigerBeetle prints `SEED=` and every derived parameter).
pub fn options_banner(spec: &RunSpec) -> String {
    let options = &spec.options;
    let faults = options.enabled_faults();
    let network = &options.network;
    let bugs: Vec<&str> = spec.bugs.iter().map(|bug| bug.name()).collect();
    let left_out: Vec<String> = options
        .liveness
        .left_out
        .iter()
        .map(|(node, how)| format!("n{node}:{}", how.name()))
        .collect();
    format!(
        "SEED={} raft={} scenario={} nodes={} fault_window_ms={} liveness_bound_ms={} \
         faults=[{}] loss={:.3} duplicate={:.3} corrupt={:.3} delay_spikes={:.3} \
         left_out_after_heal=[{}] bugs=[{}]",
        spec.seed,
        spec.raft,
        options.scenario,
        options.nodes,
        options.fault_window_us / 1000,
        options.liveness_bound_us / 1000,
        faults.join(","),
        network.loss_rate,
        network.duplicate_rate,
        network.corrupt_rate,
        network.delay_spike_rate,
        left_out.join(","),
        bugs.join(","),
    )
}

/// A failure in one line.
pub fn failure_line(seed: u64, failure: &Failure) -> String {
    format!(
        "seed {seed}: {} violated at step {} (t={:.3}s): {}",
        failure.violation.property,
        failure.step,
        failure.time_us as f64 / 1e6,
        failure.violation.detail
    )
}

/// A progress bar on a terminal; `None` elsewhere (CI logs stay line-oriented).
pub fn progress_bar(length: Option<u64>, message: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match length {
        Some(length) => ProgressBar::new(length).with_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} seeds {per_sec} eta {eta} {prefix}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {msg} {pos} seeds {per_sec} {prefix}")
                .expect("a valid template"),
        ),
    };
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// Events per second, as a short human figure (e.g. `3.5M`).
pub fn rate(count: u64, elapsed: Duration) -> String {
    let per_second = count as f64 / elapsed.as_secs_f64().max(1e-9);
    if per_second >= 1e6 {
        format!("{:.2}M", per_second / 1e6)
    } else if per_second >= 1e3 {
        format!("{:.1}k", per_second / 1e3)
    } else {
        format!("{per_second:.1}")
    }
}
