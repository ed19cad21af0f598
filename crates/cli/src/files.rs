//! File I/O for scenarios and traces: clear errors on the way in, atomic writes on the way out.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use raftsim_sim::Scenario;
use raftsim_sim::scenario::builtin;
use raftsim_sim::trace::Trace;

/// A scenario by built-in name, or from a file if the argument is a path to one.
pub fn load_scenario(name_or_path: &str) -> Result<Scenario> {
    let path = Path::new(name_or_path);
    let looks_like_path = name_or_path.ends_with(".json") || name_or_path.contains('/');
    if !looks_like_path {
        return builtin(name_or_path).map_err(|error| anyhow!("{error}"));
    }
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read scenario file {}", path.display()))?;
    Scenario::from_json(&text).map_err(|error| anyhow!("scenario file {}: {error}", path.display()))
}

/// Reads and parses a trace file.
pub fn read_trace(path: &Path) -> Result<Trace> {
    let bytes =
        fs::read(path).with_context(|| format!("cannot read trace file {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow!("trace file {}: not UTF-8 text", path.display()))?;
    Trace::parse(&text).map_err(|error| anyhow!("trace file {}: {error}", path.display()))
}

/// Writes `contents` to `path` atomically: to a temporary file in the same directory, flushed
/// to disk, then renamed over `path`. A reader never sees a half-written file, and an
/// interruption leaves either the old file or the new one.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let directory = path.parent().filter(|parent| !parent.as_os_str().is_empty());
    if let Some(directory) = directory {
        fs::create_dir_all(directory)
            .with_context(|| format!("cannot create directory {}", directory.display()))?;
    }
    let file_name =
        path.file_name().ok_or_else(|| anyhow!("{} is not a file path", path.display()))?;
    let mut temporary = PathBuf::from(path);
    temporary.set_file_name(format!(".{}.{}.tmp", file_name.to_string_lossy(), std::process::id()));
    let result = (|| -> Result<()> {
        let mut file = fs::File::create(&temporary)
            .with_context(|| format!("cannot create {}", temporary.display()))?;
        file.write_all(contents)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        file.sync_all().with_context(|| format!("cannot sync {}", temporary.display()))?;
        fs::rename(&temporary, path)
            .with_context(|| format!("cannot rename {} to {}", temporary.display(), path.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// Writes `trace` to `path` as JSON Lines, atomically.
pub fn write_trace(path: &Path, trace: &Trace) -> Result<()> {
    write_atomically(path, trace.to_jsonl().as_bytes())
}

/// The file name of a trace: the Raft (unless raftsim's), scenario, bugs, seed and property, so
/// a directory of traces reads as a list of findings.
pub fn trace_file_name(
    raft: &str,
    scenario: &str,
    bugs: &raftsim_raft::Bugs,
    seed: u64,
    property: &str,
) -> String {
    let mut parts = Vec::new();
    if raft != raftsim_sim::RAFTSIM {
        parts.push(sanitize(raft));
    }
    parts.push(sanitize(scenario));
    parts.extend(bugs.iter().map(|bug| bug.name().to_owned()));
    parts.push(format!("seed{seed}"));
    parts.push(property.to_owned());
    format!("{}.jsonl", parts.join("-"))
}

fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let directory = std::env::temp_dir().join(format!("raftsim-files-{}", std::process::id()));
        let path = directory.join("nested/out.txt");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
        fs::remove_dir_all(directory).unwrap();
    }

    #[test]
    fn trace_names_say_what_failed() {
        let bugs = raftsim_raft::Bugs::NONE.with(raftsim_raft::Bug::DoubleVote);
        assert_eq!(
            trace_file_name("raftsim", "my scenario", &bugs, 7, "single-vote"),
            "my_scenario-double-vote-seed7-single-vote.jsonl"
        );
        assert_eq!(
            trace_file_name("raft-rs", "calm", &raftsim_raft::Bugs::NONE, 7, "liveness"),
            "raft-rs-calm-seed7-liveness.jsonl"
        );
    }
}
