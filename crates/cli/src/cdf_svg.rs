//! Cumulative distributions as SVG, drawn as the Raft paper draws its Figure 16: milliseconds
//! without a leader on a logarithmic x axis, the cumulative percent of trials on the y axis,
//! one step line per range of election timeouts.

use std::fmt::Write;

use raftsim_sim::figure16::{Line, RANDOMNESS, SCALE, Summary};

use crate::html::escape;

const WIDTH: f64 = 860.0;
const PANEL_HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
/// Room right of the plot for the legend.
const RIGHT: f64 = 210.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 46.0;
const COLOURS: [&str; 6] = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#111111"];

/// The figure: the paper's two graphs (more randomness at a 150 ms minimum; shorter timeouts),
/// each with the lines of `summaries` that belong to it, and a third for any other line.
pub fn figure16(summaries: &[Summary]) -> String {
    let in_graph = |graph: &[Line]| -> Vec<&Summary> {
        summaries.iter().filter(|summary| graph.contains(&summary.line)).collect()
    };
    let others: Vec<&Summary> = summaries
        .iter()
        .filter(|summary| !RANDOMNESS.contains(&summary.line) && !SCALE.contains(&summary.line))
        .collect();
    let panels: Vec<(&str, Vec<&Summary>)> = [
        ("Randomness: election timeouts from 150 ms, wider and wider", in_graph(&RANDOMNESS)),
        ("Scale: shorter and shorter election timeouts", in_graph(&SCALE)),
        ("Other election timeouts", others),
    ]
    .into_iter()
    .filter(|(_, lines)| !lines.is_empty())
    .collect();
    let axis = Axis::spanning(summaries);
    let height = PANEL_HEIGHT * panels.len().max(1) as f64;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (position, (title, lines)) in panels.iter().enumerate() {
        panel(&mut svg, position as f64 * PANEL_HEIGHT, title, lines, &axis);
    }
    svg.push_str("</svg>\n");
    svg
}

/// The logarithmic x axis, in whole decades of milliseconds.
struct Axis {
    low_decade: i32,
    high_decade: i32,
}

impl Axis {
    /// Decades covering every sample, and the cap where a line has censored trials.
    fn spanning(summaries: &[Summary]) -> Axis {
        let mut low = f64::INFINITY;
        let mut high: f64 = 1.0;
        for summary in summaries {
            if let (Some(first), Some(last)) =
                (summary.leaderless_us.first(), summary.leaderless_us.last())
            {
                low = low.min(*first as f64 / 1000.0);
                high = high.max(*last as f64 / 1000.0);
            }
            if summary.censored > 0 {
                high = high.max(summary.cap_us as f64 / 1000.0);
            }
        }
        let low_decade = if low.is_finite() { low.max(1.0).log10().floor() as i32 } else { 1 };
        let high_decade = (high.log10().ceil() as i32).max(low_decade + 1);
        Axis { low_decade, high_decade }
    }

    /// The x position of `ms` in the plot area `[LEFT, WIDTH - RIGHT]`.
    fn x(&self, ms: f64) -> f64 {
        let span = f64::from(self.high_decade - self.low_decade);
        let fraction = (ms.max(1e-3).log10() - f64::from(self.low_decade)) / span;
        LEFT + fraction.clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT)
    }
}

fn panel(svg: &mut String, top: f64, title: &str, lines: &[&Summary], axis: &Axis) {
    let plot_top = top + TOP;
    let plot_bottom = top + PANEL_HEIGHT - BOTTOM;
    let y = |percent: f64| plot_bottom - percent / 100.0 * (plot_bottom - plot_top);
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="{}" font-size="13" font-weight="bold">{}</text>"#,
        top + 20.0,
        escape(title)
    );
    // Grid and axes.
    for percent in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{percent}%</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y(percent) + 4.0,
            y = y(percent)
        );
    }
    for decade in axis.low_decade..=axis.high_decade {
        let value = 10f64.powi(decade);
        let x = axis.x(value);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{plot_top}" y2="{plot_bottom}" stroke="#ccc"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            plot_bottom + 16.0,
            value
        );
        if decade < axis.high_decade {
            for step in 2..10 {
                let x = axis.x(value * f64::from(step));
                let _ = writeln!(
                    svg,
                    r##"<line x1="{x:.1}" x2="{x:.1}" y1="{plot_bottom}" y2="{:.1}" stroke="#999"/>"##,
                    plot_bottom - 4.0
                );
            }
        }
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{plot_top}" width="{}" height="{}" fill="none" stroke="#333"/>"##,
        WIDTH - LEFT - RIGHT,
        plot_bottom - plot_top
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">time without leader (ms)</text>"#,
        (LEFT + WIDTH - RIGHT) / 2.0,
        plot_bottom + 34.0
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">cumulative percent</text>"#,
        (plot_top + plot_bottom) / 2.0
    );
    // One step line per range of timeouts, and its legend entry.
    for (position, summary) in lines.iter().enumerate() {
        let colour = COLOURS[position % COLOURS.len()];
        let _ = writeln!(
            svg,
            r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="1.6"/>"#,
            step_path(summary, axis, &y)
        );
        let legend_y = plot_top + 10.0 + 18.0 * position as f64;
        let legend_x = WIDTH - RIGHT + 14.0;
        let censored = match summary.censored {
            0 => String::new(),
            censored if censored as usize == summary.measured() => " (none within cap)".to_owned(),
            censored => format!(" ({censored} &gt; cap)"),
        };
        let _ = writeln!(
            svg,
            r#"<line x1="{legend_x}" x2="{}" y1="{legend_y}" y2="{legend_y}" stroke="{colour}" stroke-width="2"/><text x="{}" y="{}">{}{censored}</text>"#,
            legend_x + 22.0,
            legend_x + 28.0,
            legend_y + 4.0,
            escape(&summary.line.label())
        );
    }
}

/// The cumulative distribution as a step path; points that fall on the same half pixel are
/// merged, so a thousand trials make a small file. Censored trials keep the line below 100%.
fn step_path(summary: &Summary, axis: &Axis, y: &impl Fn(f64) -> f64) -> String {
    let measured = summary.measured().max(1) as f64;
    let mut path = String::new();
    let mut last: Option<(f64, f64)> = None;
    for (rank, sample) in summary.leaderless_us.iter().enumerate() {
        let x = (axis.x(*sample as f64 / 1000.0) * 2.0).round() / 2.0;
        let below = y(rank as f64 / measured * 100.0);
        let above = y((rank + 1) as f64 / measured * 100.0);
        match last {
            None => {
                let _ = write!(path, "M{x:.1},{below:.1}V{above:.1}");
            }
            Some((last_x, _)) if last_x == x => {
                let _ = write!(path, "V{above:.1}");
            }
            Some(_) => {
                let _ = write!(path, "H{x:.1}V{above:.1}");
            }
        }
        last = Some((x, above));
    }
    if summary.censored > 0 && last.is_some() {
        let _ = write!(path, "H{:.1}", axis.x(summary.cap_us as f64 / 1000.0));
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftsim_sim::figure16::Outcome;

    fn summary(line: Line, samples_ms: &[u64], censored: usize) -> Summary {
        let mut outcomes: Vec<Outcome> =
            samples_ms.iter().map(|ms| Outcome::Elected { leaderless_us: ms * 1000 }).collect();
        outcomes.extend(std::iter::repeat_n(Outcome::Censored, censored));
        Summary::of(line, 100_000_000, &outcomes)
    }

    #[test]
    fn draws_each_graph_with_its_lines_on_decades_covering_the_samples() {
        let svg = figure16(&[
            summary(RANDOMNESS[2], &[160, 200, 287, 400], 0),
            summary(SCALE[0], &[20, 35, 152], 0),
        ]);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Randomness") && svg.contains("Scale"));
        assert!(svg.contains(">150-155ms<") && svg.contains(">12-24ms<"));
        assert_eq!(svg.matches("<path").count(), 2);
        // 20 ms to 400 ms: decades 10 to 1000.
        assert!(svg.contains(">10<") && svg.contains(">1000<") && !svg.contains(">10000<"));
    }

    #[test]
    fn a_line_with_censored_trials_runs_to_the_cap_below_one_hundred_percent() {
        let svg = figure16(&[summary(RANDOMNESS[0], &[12_000], 3)]);
        assert!(svg.contains("(3 &gt; cap)"));
        assert!(svg.contains(">100000<"), "the axis reaches the 100 s cap");
    }

    #[test]
    fn merges_points_on_one_pixel() {
        let samples: Vec<u64> = (0..1000).map(|i| 150 + i % 10).collect();
        let path = step_path(
            &summary(SCALE[4], &samples, 0),
            &Axis { low_decade: 1, high_decade: 5 },
            &|p| p,
        );
        assert!(path.matches('H').count() < 30, "{path}");
    }
}
