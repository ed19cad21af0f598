//! Ctrl-C and SIGTERM: one flag for the whole process, which long work polls, so that an
//! interrupted command still writes its summary and its best result, then exits 130.
//!
//! A flag helps only code that polls it. While the process waits on an output that only
//! another process can release (a FIFO nobody reads yet), an interrupt ends it at once.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use anyhow::{Context, Result};

use crate::exit::Exit;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// The output the process is blocked on, if any (see [`waiting_on`]).
static WAITING_ON: Mutex<Option<PathBuf>> = Mutex::new(None);

/// [`WAITING_ON`], whose value stays meaningful even if a holder panicked.
fn waiting() -> MutexGuard<'static, Option<PathBuf>> {
    WAITING_ON.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The process's interrupt flag, with the signal handler installed on first use.
pub fn flag() -> Result<&'static AtomicBool> {
    INSTALLED
        .get_or_init(|| ctrlc::set_handler(on_signal).map_err(|error| error.to_string()))
        .clone()
        .map_err(anyhow::Error::msg)
        .context("cannot install the Ctrl-C handler")?;
    Ok(&INTERRUPTED)
}

/// Runs on the handler's own thread, not in a signal context.
fn on_signal() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let path = waiting().clone();
    if let Some(path) = path {
        eprintln!("error: interrupted while waiting to write {}", path.display());
        std::process::exit(Exit::Interrupted as i32);
    }
}

/// Runs `write`, which may block until another process reads `path`, such that an interrupt
/// meanwhile ends the process (exit 130) instead of waiting for a reader that may never come.
pub fn waiting_on<T>(path: &Path, write: impl FnOnce() -> T) -> T {
    *waiting() = Some(path.to_path_buf());
    let result = write();
    *waiting() = None;
    result
}

/// Whether Ctrl-C or SIGTERM arrived.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
