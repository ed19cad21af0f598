//! `raftsim merge`: the shards of one campaign, run on many machines, as one campaign.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;

use crate::exit::Exit;
use crate::files::{SUMMARY_BYTES_MAX, check_output_file, read_bounded};
use crate::output::{count, outln};
use crate::report::{CampaignReport, FORMAT};

/// Merge the JSON summaries of every shard of one campaign (`raftsim fuzz --shard K/N --json`,
/// K = 1..N) into the summary of the whole range: seeds, events, digest, counters, coverage,
/// and the distinct failures with their replay commands. Refuses shards that do not fit
/// together: another build, Raft, scenario, bug list or range, a shard given twice or missing.
#[derive(Args)]
#[command(after_help = "Examples:\n  \
raftsim fuzz --seeds 8000 --shard 1/2 --json > shard-1.json   # on one machine\n  \
raftsim fuzz --seeds 8000 --shard 2/2 --json > shard-2.json   # on another\n  \
raftsim merge shard-1.json shard-2.json --junit report.xml\n  \
raftsim merge shard-*.json --report campaign.html   # the whole campaign as one page\n\n\
Exit codes: as `raftsim fuzz` for the merged campaign (0 no violation, 1 violation, 4 a seed \
exceeded a harness limit, 130 a shard was interrupted); 2 if the shards cannot be merged.")]
pub struct MergeArgs {
    /// The shard summaries, one per shard, in any order.
    #[arg(required = true, value_name = "SUMMARY.json")]
    summaries: Vec<PathBuf>,
    /// Print the merged summary as one JSON object on stdout, in `fuzz --json`'s form.
    #[arg(long)]
    json: bool,
    /// Write a JUnit XML report of the merged campaign here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the merged campaign's report as one self-contained HTML page here, as
    /// `fuzz --report` does.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
}

pub fn run(args: MergeArgs) -> Result<Exit> {
    if let Some(junit) = &args.junit {
        check_output_file(junit).context("--junit")?;
    }
    if let Some(page) = &args.report {
        check_output_file(page).context("--report")?;
    }
    let reports = args
        .summaries
        .iter()
        .map(|path| Ok((path.display().to_string(), read_report(path)?)))
        .collect::<Result<Vec<_>>>()?;
    let merged = crate::merge::merge(&reports).map_err(|error| anyhow!("{error}"))?;
    let range_end = u128::from(merged.start) + u128::from(merged.range.unwrap_or(0));
    let banner = format!(
        "raftsim merge: {} of {}, scenario {}, seeds {}..{range_end}",
        count(reports.len() as u64, "shard"),
        merged.raft,
        merged.scenario,
        merged.start,
    );
    if args.json {
        eprintln!("{banner}");
    } else {
        outln!("{banner}");
    }
    let written = merged.publish(args.json, args.junit.as_deref(), args.report.as_deref());
    if merged.seeds < merged.planned_seeds.unwrap_or(0) && !merged.interrupted {
        eprintln!(
            "note: {} of the range's {} ran: {}",
            count(merged.seeds, "seed"),
            merged.planned_seeds.unwrap_or(0),
            if merged.violations > 0 && !merged.keep_going {
                "a shard stops at its first violation (use --keep-going on every shard to run them all)"
            } else {
                "a shard stopped at its --duration"
            }
        );
    }
    if let Some(replay) = merged.replay_command() {
        eprintln!("replay: {replay}");
    }
    Ok(merged.exit(written))
}

/// Reads one shard's summary, telling another kind of JSON (or no JSON) from a summary with a
/// bad field.
fn read_report(path: &std::path::Path) -> Result<CampaignReport> {
    let name = path.display();
    let bytes = read_bounded(path, SUMMARY_BYTES_MAX)
        .with_context(|| format!("cannot read summary {name}"))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|error| anyhow!("summary {name}: not JSON: {error}"))?;
    if value.get("format").and_then(|format| format.as_str()) != Some(FORMAT) {
        bail!(
            "summary {name} is not the JSON summary of a campaign (`raftsim fuzz --json` of \
             this version writes \"format\": \"{FORMAT}\")"
        );
    }
    serde_json::from_slice(&bytes).map_err(|error| anyhow!("summary {name}: {error}"))
}
