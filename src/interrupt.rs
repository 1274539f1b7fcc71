//! Ctrl-C handling: the first interrupt sets a flag that long-running work
//! polls between batches, so it can roll back and clean up instead of
//! leaving half-written files behind.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler (once per process).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            // A second Ctrl-C while cleaning up: give up at once.
            std::process::exit(130);
        }
    });
}

/// Returns `Err(Error::Interrupted)` once the user pressed Ctrl-C.
pub fn check() -> Result<()> {
    if INTERRUPTED.load(Ordering::Relaxed) {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

/// Asks running work to stop at its next check, as Ctrl-C does (a front end
/// with its own signal handling, such as Python's, calls this).
pub fn request() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Forgets a request once the interrupted work has stopped, so that the
/// next call runs (the Python API's process lives on after a Ctrl-C).
pub fn clear() {
    INTERRUPTED.store(false, Ordering::SeqCst);
}
