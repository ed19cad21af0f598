//! Shared output helpers: standard output that never panics, one-line errors, counters,
//! options banners, progress, and how to name the binary in a printed command.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use raftsim_sim::{Counters, Failure, RunSpec};

/// The first error writing to standard output, if any: `println!` would panic on a full disk or
/// a closed pipe; [`outln!`] records the error instead, and `main` reports it and exits 2.
static STDOUT_ERROR: Mutex<Option<String>> = Mutex::new(None);

/// `println!` that records a failure to write instead of panicking (see [`STDOUT_ERROR`]).
macro_rules! outln {
    ($($arg:tt)*) => { $crate::output::write_stdout_line(format_args!($($arg)*)) };
}
pub(crate) use outln;

/// Writes one line to standard output, recording the first failure.
pub fn write_stdout_line(line: fmt::Arguments) {
    let mut error = STDOUT_ERROR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if error.is_some() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(failure) = writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        *error = Some(failure.to_string());
    }
}

/// The first failure to write to standard output, if there was one.
pub fn stdout_error() -> Option<String> {
    STDOUT_ERROR.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
}

/// `count` of `noun`, with the plural where English wants it ("1 violation", "2 violations").
pub fn count(count: impl Into<u64>, noun: &str) -> String {
    let count = count.into();
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}

/// How to run this binary in a printed command: `raftsim` when that name on the `PATH` is this
/// very binary, its path otherwise (relative to the working directory when inside it), so that
/// every printed command can be pasted as it is.
pub fn command_name() -> String {
    let Ok(this) = std::env::current_exe().and_then(|path| path.canonicalize()) else {
        return "raftsim".to_owned();
    };
    let on_path = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|directory| {
            directory.join("raftsim").canonicalize().is_ok_and(|found| found == this)
        })
    });
    if on_path {
        return "raftsim".to_owned();
    }
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| this.strip_prefix(cwd).ok().map(PathBuf::from))
        .unwrap_or_else(|| this.clone());
    crate::commands::shell_word(&relative.to_string_lossy())
}

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
         left_out_after_heal=[{}]{} bugs=[{}]",
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
        if options.liveness.quorum_loss { " quorum_loss_after_heal=true" } else { "" },
        bugs.join(","),
    )
}

/// A seed that outgrew a harness limit, in one line.
pub fn exceeded_line(seed: u64, exceeded: &raftsim_sim::world::Exceeded) -> String {
    exceeded_text(seed, exceeded.limit, exceeded.step, exceeded.time_us, &exceeded.detail)
}

/// [`exceeded_line`] from its parts, as a report keeps them.
pub fn exceeded_text(
    seed: u64,
    limit: raftsim_sim::world::Limit,
    step: u64,
    time_us: u64,
    detail: &str,
) -> String {
    format!(
        "seed {seed} exceeded its {} at step {step} (t={:.3}s): {detail} — a harness verdict on \
         the scenario, not a Raft violation",
        limit.name(),
        time_us as f64 / 1e6,
    )
}

/// A settled run's work in one line.
pub fn efficiency_text(measured: &raftsim_sim::efficiency::Efficiency) -> String {
    format!(
        "{:.2} frames/commit, {:.0} bytes/commit, {:.2} elections/fault, converged {:.0} ms after \
         the heal",
        measured.frames_per_commit(),
        measured.bytes_per_commit(),
        measured.elections_per_fault(),
        measured.convergence_us as f64 / 1e3
    )
}

/// A run's availability in a few phrases: time without a leader, recovery after faults, client
/// latency and throughput.
pub fn availability_text(figures: &raftsim_sim::availability::Availability) -> String {
    let ms = |us: u64| us as f64 / 1e3;
    let mut parts = vec![format!(
        "no leader for {:.0} ms in {} (longest {:.0} ms)",
        ms(figures.leaderless_us),
        count(figures.leaderless_episodes, "episode"),
        ms(figures.leaderless_longest_us)
    )];
    let (to_leader, to_commit) = (&figures.recovery_to_leader, &figures.recovery_to_commit);
    if to_leader.count > 0 {
        let commit = if to_commit.count > 0 {
            format!(
                ", a commit within {:.0} ms (median {:.0})",
                ms(to_commit.max_us),
                ms(to_commit.p50_us)
            )
        } else {
            String::new() // Commits are the checker's, and it was off.
        };
        parts.push(format!(
            "after {}: a leader within {:.0} ms (median {:.0}){commit}",
            count(to_leader.count, "fault end"),
            ms(to_leader.max_us),
            ms(to_leader.p50_us),
        ));
    }
    let latency = &figures.client_latency;
    if latency.count > 0 {
        parts.push(format!(
            "{}: p50 {:.1} ms, p90 {:.1}, p99 {:.1}, max {:.1}",
            count(latency.count, "client operation"),
            ms(latency.p50_us),
            ms(latency.p90_us),
            ms(latency.p99_us),
            ms(latency.max_us)
        ));
    }
    if let Some(rate) = commits_per_s(figures) {
        parts.push(format!("{rate:.0} commits/s"));
    }
    parts.join("; ")
}

/// A run's availability as JSON: the figures, and the throughput they imply.
pub fn availability_json(figures: &raftsim_sim::availability::Availability) -> serde_json::Value {
    let mut json = serde_json::json!(figures);
    json["commits_per_s"] = commits_per_s(figures).into();
    json
}

/// A campaign's availability in one line: per seed, upper bounds of the median and the 99th
/// percentile of each figure (the histograms' buckets are powers of two).
pub fn campaign_availability_text(
    figures: &raftsim_sim::availability::CampaignAvailability,
) -> String {
    format!(
        "availability per seed: time without a leader {}; slowest recovery to a leader {}, to a \
         commit {}; p99 client latency {}",
        percentile_bounds(&figures.leaderless),
        percentile_bounds(&figures.recovery_to_leader_max),
        percentile_bounds(&figures.recovery_to_commit_max),
        percentile_bounds(&figures.client_latency_p99)
    )
}

/// A campaign's work in one line: its totals' ratios, each seed's convergence after the heal
/// (upper bounds, as for availability), and the seed that sent the most frames per commit.
pub fn campaign_efficiency_text(figures: &raftsim_sim::efficiency::CampaignEfficiency) -> String {
    if figures.runs == 0 {
        return "efficiency: no seed settled".to_owned();
    }
    let convergence = percentile_bounds(&figures.convergence);
    let totals = figures.totals();
    let least = figures.least_efficient.map_or(String::new(), |worst| {
        format!("; most frames per commit: seed {} ({:.2})", worst.seed, worst.frames_per_commit())
    });
    format!(
        "efficiency over {}: {:.2} frames/commit, {:.0} bytes/commit, {:.2} elections/fault; \
         convergence after the heal {convergence}{least}",
        count(figures.runs, "settled seed"),
        totals.frames_per_commit(),
        totals.bytes_per_commit(),
        totals.elections_per_fault(),
    )
}

/// Upper bounds of a histogram's median and 99th percentile (its buckets are powers of two).
fn percentile_bounds(histogram: &raftsim_sim::availability::Histogram) -> String {
    match (histogram.percentile_bound_ms(50), histogram.percentile_bound_ms(99)) {
        (Some(median), Some(p99)) => format!("p50 < {median} ms, p99 < {p99} ms"),
        _ => "none".to_owned(),
    }
}

/// Entries committed per second of virtual time, if the checker counted them.
fn commits_per_s(figures: &raftsim_sim::availability::Availability) -> Option<f64> {
    let commits = figures.commits?;
    Some(if figures.duration_us == 0 {
        0.0
    } else {
        commits as f64 * 1e6 / figures.duration_us as f64
    })
}

/// A failure in one line.
pub fn failure_line(seed: u64, failure: &Failure) -> String {
    let property = failure.violation.property.name();
    failure_text(seed, property, failure.step, failure.time_us, &failure.violation.detail)
}

/// [`failure_line`] from its parts, as a report keeps them.
pub fn failure_text(seed: u64, property: &str, step: u64, time_us: u64, detail: &str) -> String {
    format!(
        "seed {seed}: {property} violated at step {step} (t={:.3}s): {detail}",
        time_us as f64 / 1e6
    )
}

/// Progress of long work: a bar on a terminal; elsewhere (CI logs) a line on standard error
/// every few seconds, so that a long campaign is never silent for minutes.
pub struct Progress {
    bar: Option<ProgressBar>,
    message: String,
    length: Option<u64>,
    started: Instant,
    last_line: Instant,
}

/// How often progress is written to a log that is not a terminal.
const PROGRESS_LINE_INTERVAL: Duration = Duration::from_secs(5);

impl Progress {
    /// Progress towards `length` seeds (unknown if `None`), labelled `message`.
    pub fn new(length: Option<u64>, message: &str) -> Progress {
        #[allow(clippy::disallowed_methods, reason = "progress is reported in wall time")]
        let now = Instant::now();
        Progress {
            bar: progress_bar(length, message),
            message: message.to_owned(),
            length,
            started: now,
            last_line: now,
        }
    }

    /// Records that `done` units are done; `status` says how it goes (e.g. violations so far).
    pub fn update(&mut self, done: u64, status: &str) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            bar.set_prefix(status.to_owned());
            return;
        }
        #[allow(clippy::disallowed_methods, reason = "progress is reported in wall time")]
        let now = Instant::now();
        if now.duration_since(self.last_line) >= PROGRESS_LINE_INTERVAL {
            self.last_line = now;
            let of = self.length.map(|length| format!(" of {length}")).unwrap_or_default();
            let elapsed = now.duration_since(self.started).as_secs_f64();
            eprintln!("{}: {done}{of} after {elapsed:.0}s; {status}", self.message);
        }
    }

    /// Prints `line` without breaking the bar.
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// Removes the bar.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A progress bar on a terminal; `None` elsewhere.
fn progress_bar(length: Option<u64>, message: &str) -> Option<ProgressBar> {
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
            ProgressStyle::with_template("{spinner} {msg} {pos} {per_sec} {prefix}")
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
