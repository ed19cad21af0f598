//! `raftsim scenarios` and `raftsim bugs`: what can be run and injected.

use anyhow::{Result, anyhow};
use clap::Args;
use raftsim_raft::Bug;
use raftsim_sim::hunt::plan;
use raftsim_sim::scenario::{BUILTIN, Scenario};

use crate::exit::Exit;
use crate::output::outln;

/// List the built-in scenarios.
#[derive(Args)]
#[command(after_help = "Examples:\n  raftsim scenarios\n  raftsim scenarios --json")]
pub struct ScenariosArgs {
    /// Print a JSON array of {name, description, nodes, swarm, faults}.
    #[arg(long)]
    json: bool,
}

/// List the injectable bugs and the rule each one breaks.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  raftsim bugs\n  raftsim fuzz --bug commit-prior-term --scenario figure8"
)]
pub struct BugsArgs {
    /// Print a JSON array of {name, rule, scenario, caught_by}.
    #[arg(long)]
    json: bool,
}

pub fn scenarios(args: ScenariosArgs) -> Result<Exit> {
    let scenarios = BUILTIN
        .iter()
        .map(|(name, text)| {
            Scenario::from_json(text).map_err(|error| anyhow!("built-in {name}: {error}"))
        })
        .collect::<Result<Vec<_>>>()?;
    if args.json {
        let list: Vec<serde_json::Value> = scenarios
            .iter()
            .map(|scenario| {
                serde_json::json!({
                    "name": scenario.name,
                    "description": scenario.description,
                    "nodes": scenario.nodes,
                    "swarm": scenario.swarm,
                    "faults": serde_json::to_value(&scenario.faults).expect("faults serialize"),
                    "expect": serde_json::to_value(&scenario.expect).expect("bounds serialize"),
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        let width = scenarios.iter().map(|scenario| scenario.name.len()).max().unwrap_or(0);
        for scenario in &scenarios {
            outln!("{:width$}  {}", scenario.name, scenario.description);
            for (raft, expect) in &scenario.expect {
                outln!("{:width$}    efficiency bounds for {raft}: {}", "", expect.summary());
            }
        }
        outln!("\nRun one with `raftsim fuzz --scenario NAME`, or pass the path of a JSON file.");
    }
    Ok(Exit::Pass)
}

pub fn bugs(args: BugsArgs) -> Result<Exit> {
    if args.json {
        let list: Vec<serde_json::Value> = Bug::ALL
            .iter()
            .map(|bug| {
                let hunt = plan(*bug);
                serde_json::json!({
                    "name": bug.name(),
                    "rule": bug.rule(),
                    "scenario": hunt.scenario,
                    "caught_by": hunt.property.name(),
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        for bug in Bug::ALL {
            let hunt = plan(*bug);
            outln!("{}", bug.name());
            outln!("    breaks:  {}", bug.rule());
            outln!("    caught:  by {} on `{}`: {}", hunt.property, hunt.scenario, hunt.why);
        }
        outln!("\nInject one with `raftsim fuzz --bug NAME` to see the harness catch it.");
    }
    Ok(Exit::Pass)
}
