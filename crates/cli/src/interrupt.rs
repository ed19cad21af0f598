//! Ctrl-C and SIGTERM: one flag for the whole process, which long work polls, so that an
//! interrupted command still writes its summary and its best result, then exits 130.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// The process's interrupt flag, with the signal handler installed on first use.
pub fn flag() -> Result<&'static AtomicBool> {
    INSTALLED
        .get_or_init(|| {
            ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst))
                .map_err(|error| error.to_string())
        })
        .clone()
        .map_err(anyhow::Error::msg)
        .context("cannot install the Ctrl-C handler")?;
    Ok(&INTERRUPTED)
}

/// Whether Ctrl-C or SIGTERM arrived.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
