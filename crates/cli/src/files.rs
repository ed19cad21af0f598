//! File I/O for scenarios and traces: bounded reads with clear errors on the way in; on the
//! way out, atomic replacement of regular files only.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use raftsim_sim::Scenario;
use raftsim_sim::scenario::builtin;
use raftsim_sim::trace::Trace;

/// Largest scenario file read: scenarios are a page of JSON.
pub const SCENARIO_BYTES_MAX: u64 = 1 << 20;

/// Largest trace file read.
pub const TRACE_BYTES_MAX: u64 = 1 << 30;

/// The largest campaign summary `merge` reads (a --keep-going campaign lists every failing seed).
pub const SUMMARY_BYTES_MAX: u64 = 1 << 30;

/// Longest line of a trace: the header and the schedule are the long ones.
pub const TRACE_LINE_BYTES_MAX: usize = 16 << 20;

/// Longest file name written (most file systems allow 255 bytes).
const FILE_NAME_BYTES_MAX: usize = 200;

/// A scenario by built-in name, or from a file if the argument is a path to one.
pub fn load_scenario(name_or_path: &str) -> Result<Scenario> {
    let path = Path::new(name_or_path);
    let looks_like_path = name_or_path.ends_with(".json") || name_or_path.contains('/');
    if !looks_like_path {
        return builtin(name_or_path).map_err(|error| anyhow!("{error}"));
    }
    let bytes = read_bounded(path, SCENARIO_BYTES_MAX)
        .with_context(|| format!("cannot read scenario file {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow!("scenario file {}: not UTF-8 text", path.display()))?;
    Scenario::from_json(&text).map_err(|error| anyhow!("scenario file {}: {error}", path.display()))
}

/// Reads at most `limit` bytes of `path`, refusing a longer file (or an endless one, such as
/// `/dev/zero`) instead of reading until memory runs out.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        bail!("it is a directory");
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        bail!("it is larger than {limit} bytes");
    }
    Ok(bytes)
}

/// Reads and parses a trace file, line by line within the size limits.
pub fn read_trace(path: &Path) -> Result<Trace> {
    let context = || format!("cannot read trace file {}", path.display());
    let file = fs::File::open(path).with_context(context)?;
    if file.metadata().with_context(context)?.is_dir() {
        bail!("trace file {} is a directory", path.display());
    }
    let mut reader = BufReader::new(file.take(TRACE_BYTES_MAX + 1));
    let mut text = String::new();
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        let read = (&mut reader)
            .take(TRACE_LINE_BYTES_MAX as u64 + 1)
            .read_until(b'\n', &mut line)
            .with_context(context)?;
        if read == 0 {
            break;
        }
        number += 1;
        if line.len() > TRACE_LINE_BYTES_MAX {
            bail!(
                "trace file {}: line {number} is longer than {TRACE_LINE_BYTES_MAX} bytes",
                path.display()
            );
        }
        let line = std::str::from_utf8(&line).map_err(|_| {
            anyhow!("trace file {}: line {number} is not UTF-8 text", path.display())
        })?;
        text.push_str(line);
        if text.len() as u64 > TRACE_BYTES_MAX {
            bail!("trace file {} is larger than {TRACE_BYTES_MAX} bytes", path.display());
        }
    }
    Trace::parse(&text).map_err(|error| anyhow!("trace file {}: {error}", path.display()))
}

/// Refuses a `directory` that exists and is not one, without creating anything.
pub fn check_directory(directory: &Path) -> Result<()> {
    if directory.exists() && !directory.is_dir() {
        bail!("{} exists and is not a directory", directory.display());
    }
    Ok(())
}

/// Creates `directory` if missing and checks that files can be created in it, so that a
/// campaign does not find a failure and then lose its trace.
pub fn prepare_directory(directory: &Path) -> Result<()> {
    check_directory(directory)?;
    fs::create_dir_all(directory)
        .with_context(|| format!("cannot create directory {}", directory.display()))?;
    let probe = directory.join(format!(".raftsim-probe.{}", std::process::id()));
    fs::File::create(&probe)
        .with_context(|| format!("cannot create files in {}", directory.display()))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// Checks, before long work, that `path` can be written: not a directory; a device or FIFO
/// (written in place), or a file in a directory that exists or can be made and where the
/// temporary file of an atomic replacement can be created.
pub fn check_output_file(path: &Path) -> Result<()> {
    if path.as_os_str().as_encoded_bytes().ends_with(b"/") {
        bail!("{} names a directory: name a file", path.display());
    }
    let target = resolve_links(path)?;
    match fs::metadata(&target) {
        Ok(metadata) if metadata.is_dir() => bail!("{} is a directory", path.display()),
        Ok(metadata) if !metadata.is_file() => return Ok(()),
        _ => {}
    }
    match target.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        Some(parent) => prepare_directory(parent),
        None => Ok(()),
    }
}

/// Writes `contents` to `path`. A regular file (or a new one) is replaced atomically: written
/// to a temporary file in the same directory, flushed to disk, then renamed over it, so that a
/// reader sees the old file or the new one, never half of one. A symbolic link is followed and
/// its target replaced the same way. Anything else that exists there — a device such as
/// `/dev/null`, a FIFO — is written to directly, never replaced.
pub fn write_output(path: &Path, contents: &[u8]) -> Result<()> {
    let target = resolve_links(path)?;
    match fs::metadata(&target) {
        Ok(metadata) if !metadata.is_file() => {
            if metadata.is_dir() {
                bail!("{} is a directory", path.display());
            }
            crate::interrupt::waiting_on(path, || {
                let mut file = fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                file.write_all(contents)
                    .and_then(|()| file.flush())
                    .with_context(|| format!("cannot write {}", path.display()))
            })
        }
        _ => replace_atomically(&target, contents),
    }
}

/// Follows symbolic links to the path they end at (which may not exist yet).
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let link = fs::read_link(&path)
                    .with_context(|| format!("cannot read the link {}", path.display()))?;
                path = match path.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            _ => return Ok(path),
        }
    }
    bail!("{} is a loop of symbolic links", path.display())
}

/// Temporary file, flush, rename: see [`write_output`].
fn replace_atomically(path: &Path, contents: &[u8]) -> Result<()> {
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

/// Writes `trace` to `path` as JSON Lines (see [`write_output`]), unless it is larger than
/// `raftsim replay` reads: a trace that cannot be replayed would only look like a result.
pub fn write_trace(path: &Path, trace: &Trace) -> Result<()> {
    write_trace_within(path, trace, TRACE_BYTES_MAX)
}

fn write_trace_within(path: &Path, trace: &Trace, bytes_max: u64) -> Result<()> {
    let text = trace.to_jsonl();
    if text.len() as u64 > bytes_max {
        bail!(
            "{}: the trace of {} events would be {} bytes, more than the {bytes_max} that replay \
             reads (lower the scenario's budget.events_max)",
            path.display(),
            trace.events.len(),
            text.len()
        );
    }
    write_output(path, text.as_bytes())
}

/// The file name of a trace: the Raft (unless raftsim's), scenario, bugs, seed and property, so
/// a directory of traces reads as a list of findings. Long scenario names are cut short so
/// that the name fits any file system.
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
    let mut scenario = sanitize(scenario);
    scenario.truncate(64);
    parts.push(scenario);
    parts.extend(bugs.iter().map(|bug| bug.name().to_owned()));
    parts.push(format!("seed{seed}"));
    parts.push(property.to_owned());
    let mut name = parts.join("-");
    name.truncate(FILE_NAME_BYTES_MAX - ".jsonl".len());
    format!("{name}.jsonl")
}

fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let directory =
            std::env::temp_dir().join(format!("raftsim-files-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&directory);
        fs::create_dir_all(&directory).unwrap();
        directory
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let directory = scratch("atomic");
        let path = directory.join("nested/out.txt");
        write_output(&path, b"one").unwrap();
        write_output(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
        fs::remove_dir_all(directory).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_followed_and_stays_a_link() {
        let directory = scratch("link");
        let target = directory.join("target.txt");
        fs::write(&target, b"old").unwrap();
        let link = directory.join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_output(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"new");
        fs::remove_dir_all(directory).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_to_and_never_replaced() {
        write_output(Path::new("/dev/null"), b"anything").unwrap();
        assert!(!fs::metadata("/dev/null").unwrap().is_file(), "/dev/null is still a device");
    }

    #[test]
    fn a_trace_larger_than_replay_reads_is_not_written() {
        let directory = scratch("large-trace");
        let spec = raftsim_sim::RunSpec::from_seed(
            &raftsim_sim::scenario::builtin("calm").unwrap(),
            1,
            raftsim_raft::Bugs::NONE,
        );
        let (_, trace) =
            raftsim_sim::engine::Engine::record(&raftsim_sim::engine::RAFTSIM_ENGINE, &spec);
        let path = directory.join("trace.jsonl");
        let error = write_trace_within(&path, &trace, 1000).unwrap_err().to_string();
        assert!(error.contains("more than the 1000 that replay reads"), "{error}");
        assert!(!path.exists());
        write_trace(&path, &trace).unwrap();
        assert_eq!(read_trace(&path).unwrap(), trace);
        fs::remove_dir_all(directory).unwrap();
    }

    #[test]
    fn trace_names_say_what_failed_and_stay_short() {
        let bugs = raftsim_raft::Bugs::NONE.with(raftsim_raft::Bug::DoubleVote);
        assert_eq!(
            trace_file_name("raftsim", "my scenario", &bugs, 7, "single-vote"),
            "my_scenario-double-vote-seed7-single-vote.jsonl"
        );
        assert_eq!(
            trace_file_name("raft-rs", "calm", &raftsim_raft::Bugs::NONE, 7, "liveness"),
            "raft-rs-calm-seed7-liveness.jsonl"
        );
        let long = "x".repeat(300);
        assert!(trace_file_name("raftsim", &long, &bugs, 7, "liveness").len() <= 200);
    }
}
