//! The Raft implementations the command line can drive, by name (`--raft`).

use anyhow::{Result, anyhow};
use raftsim_raftrs::RAFT_RS_ENGINE;
use raftsim_sim::engine::{Engine, RAFTSIM_ENGINE};

/// Every implementation, the default first.
pub fn all() -> [&'static dyn Engine; 2] {
    [&RAFTSIM_ENGINE, &RAFT_RS_ENGINE]
}

/// The implementation named `name`.
pub fn by_name(name: &str) -> Result<&'static dyn Engine> {
    all().into_iter().find(|engine| engine.name() == name).ok_or_else(|| {
        let names: Vec<&str> = all().iter().map(|engine| engine.name()).collect();
        anyhow!("unknown Raft `{name}` (the choices are {})", names.join(", "))
    })
}
