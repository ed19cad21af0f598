//! A campaign's report as one HTML page (`fuzz --report`, `merge --report`): what ran, the
//! counters, the coverage table, each distinct failure with the commands that replay, shrink
//! and draw it, the seeds over a harness limit, and the availability histograms as bar charts.
//!
//! The page is static — tables and inline SVG, no script — and is made from the same
//! [`CampaignReport`] that `--json` prints, so that the two never disagree.

use std::fmt::Write;

use raftsim_sim::availability::Histogram;

use crate::commands::shell_word;
use crate::html::{Page, duration, escape};
use crate::output::{command_name, count};
use crate::report::{CampaignReport, FailureReport};

/// The page's own style.
const STYLE: &str = r#"
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 0 24px; }
.grid table { width: 100%; }
.charts { display: flex; flex-wrap: wrap; gap: 18px 28px; }
.chart { flex: 0 0 auto; }
.chart h3 { margin: 0 0 2px; font-size: 13.5px; font-weight: 600; }
.chart .bounds { font-size: 12px; color: var(--muted); margin-bottom: 4px; }
.failure { border-left: 3px solid var(--bad); padding: 4px 0 6px 12px; margin: 0 0 14px; }
.failure h3 { margin: 0 0 4px; font-size: 14px; }
.failure .detail { margin: 2px 0 6px; }
.failure dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.failure dt { color: var(--muted); font-size: 12.5px; padding-top: 5px; }
.failure dd { margin: 0; }
details summary { cursor: pointer; color: var(--muted); font-size: 13px; }
"#;

/// Most failing seeds listed one by one (a `--keep-going` campaign may fail on thousands).
const SEEDS_LISTED_MAX: usize = 1000;

/// The report page of `report`.
pub fn render(report: &CampaignReport) -> String {
    let title = format!("raftsim campaign: {} on {}", report.scenario, report.raft);
    let mut body = header(report);
    body.push_str(&failures(report));
    body.push_str(&exceeded(report));
    body.push_str(&availability(report));
    body.push_str(&efficiency(report));
    body.push_str(&counters(report));
    body.push_str(&coverage(report));
    Page { title: &title, style: STYLE, body: &body, data: None, script: "" }.render()
}

/// What ran, how fast, and the verdict.
fn header(report: &CampaignReport) -> String {
    let range = match report.range {
        Some(seeds) => {
            format!("{}..{}", report.start, u128::from(report.start) + u128::from(seeds))
        }
        None => format!("from {}", report.start),
    };
    let bugs = if report.bugs.is_empty() { "none".to_owned() } else { report.bugs.join(", ") };
    let merged = if report.merged.is_empty() {
        String::new()
    } else {
        format!(" · merged from {}", count(report.merged.len() as u64, "shard"))
    };
    let meta = format!(
        "Raft <b>{}</b> · scenario <b>{}</b> · bugs <b>{}</b> · seeds <b>{}</b> · shard {}{merged} \
         · {} · raftsim {} (stream {})",
        escape(&report.raft),
        escape(&report.scenario),
        escape(&bugs),
        escape(&range),
        escape(&report.shard),
        escape(&count(report.jobs, "job")),
        escape(&report.raftsim_version),
        escape(&report.stream_fingerprint),
    );
    let totals = format!(
        "{} run in {:.1} s ({:.1} seeds/s, {:.0} events/s, {} events) · digest <code>{}</code>",
        escape(&count(report.seeds, "seed")),
        report.elapsed_s,
        report.seeds_per_s,
        report.events_per_s,
        report.events,
        escape(&report.digest),
    );
    let interrupted = if report.interrupted { " The campaign was interrupted." } else { "" };
    let verdict = if report.violations > 0 {
        format!(
            "<div class=\"verdict fail\"><b>{}</b> ({} distinct).{interrupted}</div>",
            escape(&count(report.violations, "violation")),
            report.distinct_failures
        )
    } else if !report.exceeded.is_empty() || report.interrupted {
        format!(
            "<div class=\"verdict warn\">No violation; {} over a harness limit.{interrupted}</div>",
            escape(&count(report.exceeded.len() as u64, "seed"))
        )
    } else {
        "<div class=\"verdict pass\">No violation: every property held on every seed.</div>"
            .to_owned()
    };
    format!(
        "<header class=\"page\"><h1><span class=\"brand\">raftsim</span> campaign report</h1>\
         <div class=\"meta\">{meta}</div><div class=\"meta\">{totals}</div>{verdict}</header>\n"
    )
}

/// Each distinct failure with its commands, then every failing seed.
fn failures(report: &CampaignReport) -> String {
    if report.failures.is_empty() {
        return String::new();
    }
    let mut html = String::from("<section class=\"panel\"><h2>Distinct failures</h2>\n");
    for failure in report.distinct() {
        html.push_str(&failure_block(failure));
    }
    if report.failures.len() > report.distinct_failures as usize {
        let _ = write!(
            html,
            "<details><summary>Every failing seed ({})</summary><table><tr><th class=\"num\">seed\
             </th><th>property</th><th class=\"num\">step</th><th>detail</th></tr>",
            report.failures.len()
        );
        for failure in report.failures.iter().take(SEEDS_LISTED_MAX) {
            let _ = write!(
                html,
                "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                failure.seed,
                escape(&failure.property),
                failure.step,
                escape(&failure.detail)
            );
        }
        html.push_str("</table>");
        if report.failures.len() > SEEDS_LISTED_MAX {
            let _ = write!(html, "<p class=\"muted\">The first {SEEDS_LISTED_MAX} are listed.</p>");
        }
        html.push_str("</details>");
    }
    html.push_str("</section>\n");
    html
}

/// One distinct failure: what broke, and the commands that replay, shrink and draw it.
fn failure_block(failure: &FailureReport) -> String {
    let seeds =
        if failure.count > 1 { format!(" ({} seeds)", failure.count) } else { String::new() };
    let raftsim = command_name();
    let mut commands = Vec::new();
    match (&failure.trace, &failure.trace_error) {
        (Some(trace), _) => {
            let trace = shell_word(trace);
            commands.push(("replay", format!("{raftsim} replay {trace}")));
            commands.push(("shrink", format!("{raftsim} shrink {trace}")));
            commands.push(("timeline", format!("{raftsim} replay {trace} --html timeline.html")));
        }
        (None, Some(why)) => commands.push(("no trace", why.clone())),
        (None, None) => {}
    }
    commands.push(("run", failure.run.clone()));
    let mut html = format!(
        "<div class=\"failure\"><h3 class=\"bad\">{} — seed {}{seeds}</h3>\
         <div class=\"detail\">step {}, t = {}: {}</div><dl>",
        escape(&failure.property),
        failure.seed,
        failure.step,
        escape(&duration(failure.time_us)),
        escape(&failure.detail)
    );
    if let Some(location) = &failure.panic_location {
        let _ = write!(html, "<dt>panic at</dt><dd><code>{}</code></dd>", escape(location));
    }
    for (name, command) in commands {
        let _ = write!(html, "<dt>{name}</dt><dd><pre>{}</pre></dd>", escape(&command));
    }
    html.push_str("</dl></div>\n");
    html
}

/// The seeds that outgrew a harness limit.
fn exceeded(report: &CampaignReport) -> String {
    if report.exceeded.is_empty() {
        return String::new();
    }
    let mut html = String::from(
        "<section class=\"panel\"><h2>Seeds over a harness limit</h2><p class=\"muted\">A \
         verdict on the scenario and the harness, not on the Raft.</p><table><tr><th \
         class=\"num\">seed</th><th>limit</th><th class=\"num\">step</th><th>detail</th></tr>",
    );
    for exceeded in &report.exceeded {
        let _ = write!(
            html,
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            exceeded.seed,
            escape(exceeded.limit.name()),
            exceeded.step,
            escape(&exceeded.detail)
        );
    }
    html.push_str("</table></section>\n");
    html
}

/// The availability histograms, one bar chart each.
fn availability(report: &CampaignReport) -> String {
    let figures = &report.availability;
    let charts = [
        ("Time without a leader, per seed", &figures.leaderless),
        ("Slowest recovery to a leader after a fault, per seed", &figures.recovery_to_leader_max),
        ("Slowest recovery to a commit after a fault, per seed", &figures.recovery_to_commit_max),
        ("99th-percentile client latency, per seed", &figures.client_latency_p99),
    ];
    let mut html = String::from(
        "<section class=\"panel\"><h2>Availability</h2><p class=\"muted\">Seeds per bucket; \
         buckets are powers of two in milliseconds (<code>1–2</code> holds [1, 2) ms).</p>\
         <div class=\"charts\">",
    );
    for (title, histogram) in charts {
        html.push_str(&chart(title, histogram));
    }
    html.push_str("</div></section>\n");
    html
}

/// One histogram as a titled bar chart, with the bounds of its median and 99th percentile.
fn chart(title: &str, histogram: &Histogram) -> String {
    let bounds = match (histogram.percentile_bound_ms(50), histogram.percentile_bound_ms(99)) {
        (Some(median), Some(p99)) => {
            format!("{} seeds; p50 &lt; {median} ms, p99 &lt; {p99} ms", histogram.total())
        }
        _ => "no seed measured this".to_owned(),
    };
    format!(
        "<div class=\"chart\"><h3>{}</h3><div class=\"bounds\">{bounds}</div>{}</div>",
        escape(title),
        histogram_svg(title, histogram)
    )
}

/// The settled seeds' work: the campaign's ratios, the seed with the most frames per commit,
/// and each seed's convergence after the heal as a bar chart.
fn efficiency(report: &CampaignReport) -> String {
    let figures = &report.efficiency;
    let mut html = String::from("<section class=\"panel\"><h2>Efficiency</h2>");
    if figures.runs == 0 {
        html.push_str("<p class=\"muted\">No seed settled, so none was measured.</p></section>\n");
        return html;
    }
    let least = figures.least_efficient.map_or(String::new(), |worst| {
        format!(
            "; the most frames per commit: seed {} ({:.2})",
            worst.seed,
            worst.frames_per_commit()
        )
    });
    let totals = figures.totals();
    let _ = writeln!(
        html,
        "<p>Over {}: {:.2} frames and {:.0} bytes per committed entry, {:.2} elections per \
         fault{least}.</p><div class=\"charts\">{}</div></section>",
        count(figures.runs, "settled seed"),
        totals.frames_per_commit(),
        totals.bytes_per_commit(),
        totals.elections_per_fault(),
        chart("Convergence after the heal, per seed", &figures.convergence),
    );
    html
}

/// A histogram as an SVG bar chart: a bar per bucket up to the last non-empty one.
fn histogram_svg(title: &str, histogram: &Histogram) -> String {
    const WIDTH: f64 = 440.0;
    const HEIGHT: f64 = 190.0;
    const LEFT: f64 = 44.0;
    const BOTTOM: f64 = 34.0;
    const TOP: f64 = 16.0;
    let buckets = histogram.counts.len().max(1);
    let most = histogram.counts.iter().copied().max().unwrap_or(0).max(1);
    let plot_width = WIDTH - LEFT - 8.0;
    let plot_height = HEIGHT - BOTTOM - TOP;
    let slot = plot_width / buckets as f64;
    let mut svg = format!(
        "<svg class=\"histogram\" width=\"{WIDTH}\" \
         height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"{}\" font-family=\"system-ui, sans-serif\" font-size=\"10.5\">",
        escape(title)
    );
    let base = HEIGHT - BOTTOM;
    // Grid lines at 0, half and the tallest bar, labelled where the count is whole.
    for (numerator, denominator) in [(0, 1), (1, 2), (1, 1)] {
        let y = base - plot_height * numerator as f64 / denominator as f64;
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e5e7eb\"/>",
            WIDTH - 8.0
        );
        let whole = (most * numerator).is_multiple_of(denominator);
        if histogram.total() > 0 && whole {
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#6b7280\">{}</text>",
                LEFT - 5.0,
                y + 3.5,
                most * numerator / denominator
            );
        }
    }
    if histogram.total() == 0 {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#6b7280\">no data</text>",
            LEFT + plot_width / 2.0,
            TOP + plot_height / 2.0
        );
    }
    let label_every = buckets.div_ceil(12);
    for (bucket, &seeds) in histogram.counts.iter().enumerate() {
        let x = LEFT + slot * bucket as f64;
        let height = plot_height * seeds as f64 / most as f64;
        let range = escape(&bucket_range(bucket));
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\" rx=\"1.5\" \
             fill=\"#3b82f6\"><title>{range} ms: {}</title></rect>",
            x + slot * 0.12,
            base - height,
            slot * 0.76,
            escape(&count(seeds, "seed"))
        );
        if seeds > 0 && slot >= 22.0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#1e3a8a\">{seeds}</text>",
                x + slot / 2.0,
                base - height - 3.0
            );
        }
        if bucket % label_every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#475569\">{range}</text>",
                x + slot / 2.0,
                base + 13.0
            );
        }
    }
    let _ = write!(
        svg,
        "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{base}\" y2=\"{base}\" stroke=\"#94a3b8\"/>\
         <text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#6b7280\">milliseconds</text></svg>",
        WIDTH - 8.0,
        LEFT + plot_width / 2.0,
        HEIGHT - 4.0
    );
    svg
}

/// A bucket's range in milliseconds, short: `<1`, `1–2`, `2–4`, ..., `1k–2k`.
fn bucket_range(bucket: usize) -> String {
    let short = |ms: u64| match ms {
        ms if ms >= 1 << 20 => format!("{}M", ms >> 20),
        ms if ms >= 1 << 10 => format!("{}k", ms >> 10),
        ms => ms.to_string(),
    };
    match bucket {
        0 => "<1".to_owned(),
        bucket if bucket >= 64 => "huge".to_owned(),
        bucket => format!("{}–{}", short(1 << (bucket - 1)), short(1 << bucket)),
    }
}

/// The counters, summed over the seeds.
fn counters(report: &CampaignReport) -> String {
    let mut html = String::from(
        "<section class=\"panel\"><h2>Counters</h2><p class=\"muted\">Summed over the seeds \
         (<code>max_term</code> is the largest).</p><div class=\"grid\">",
    );
    let fields = report.counters.fields();
    let per_column = fields.len().div_ceil(3).max(1);
    for column in fields.chunks(per_column) {
        html.push_str("<table>");
        for (name, value) in column {
            let zero = if *value == 0 { " class=\"zero\"" } else { "" };
            let _ = write!(html, "<tr{zero}><td>{name}</td><td class=\"num\">{value}</td></tr>");
        }
        html.push_str("</table>");
    }
    html.push_str("</div></section>\n");
    html
}

/// The hard paths reached, with those the scenario can reach but never did called out.
fn coverage(report: &CampaignReport) -> String {
    let mut html = String::from(
        "<section class=\"panel\"><h2>Coverage</h2><p class=\"muted\">Hard paths reached, \
         summed over the seeds.</p><table><tr><th>path</th><th class=\"num\">reached</th>\
         <th></th></tr>",
    );
    for (name, reached) in report.coverage.fields() {
        let reachable = report.coverage_reachable.iter().any(|path| path == name);
        let mark = match (reached, reachable) {
            (0, true) => "<span class=\"bad\">never reached</span>",
            (0, false) => "<span class=\"muted\">this scenario's faults cannot reach it</span>",
            _ => "",
        };
        let zero = if reached == 0 { " class=\"zero\"" } else { "" };
        let _ = write!(
            html,
            "<tr{zero}><td>{name}</td><td class=\"num\">{reached}</td><td>{mark}</td></tr>"
        );
    }
    html.push_str("</table>");
    if !report.coverage_unreached.is_empty() {
        let _ = write!(
            html,
            "<p class=\"note\">{} of the {} this scenario can reach never happened: {}.</p>",
            escape(&count(report.coverage_unreached.len() as u64, "hard path")),
            report.coverage_reachable.len(),
            escape(&report.coverage_unreached.join(", "))
        );
    }
    html.push_str("</section>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_read_as_millisecond_ranges() {
        assert_eq!(bucket_range(0), "<1");
        assert!(histogram_svg("t", &Histogram { counts: vec![1] }).contains(">&lt;1</text>"));
        assert_eq!(bucket_range(1), "1–2");
        assert_eq!(bucket_range(11), "1k–2k");
    }

    #[test]
    fn a_histogram_draws_a_bar_per_bucket() {
        let mut histogram = Histogram::default();
        for duration_us in [500, 1_500, 1_700, 9_000] {
            histogram.record(duration_us);
        }
        let svg = histogram_svg("a <title>", &histogram);
        assert_eq!(svg.matches("<rect").count(), histogram.counts.len());
        assert!(svg.contains("aria-label=\"a &lt;title&gt;\""), "{svg}");
        assert!(svg.contains("<title>1–2 ms: 2 seeds</title>"), "{svg}");
        assert!(histogram_svg("empty", &Histogram::default()).contains("no data"));
    }
}
