//! A writer meeting DuckDB's one-writer rule: while another process (a BI
//! tool, a notebook) holds the dataset file, DuckDB refuses a read-write
//! open at once. mdm retries for `database.connection_timeout` seconds and
//! then names the process that holds the file (as the backend's profile
//! reads it from the driver's message).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How often the open is retried while the file is held.
const RETRY: Duration = Duration::from_millis(200);

/// Runs `open` until it succeeds, fails for another reason, or `wait` has
/// passed with the file held by another process.
pub(crate) fn wait_for_readers<T>(
    path: &Path,
    wait: Duration,
    holder_of: impl Fn(&str) -> Option<String>,
    mut open: impl FnMut() -> Result<T>,
) -> Result<T> {
    let started = Instant::now();
    let mut noted = false;
    loop {
        let err = match open() {
            Ok(opened) => return Ok(opened),
            Err(err) => err,
        };
        let Some(holder) = holder_of(&err.to_string()) else {
            return Err(err);
        };
        if started.elapsed() >= wait {
            let name = path.parent().and_then(Path::file_name).map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            return Err(Error::Backend(format!(
                "dataset '{name}' is in use by process {holder} (a reader); close it and retry (waited {} s, database.connection_timeout)",
                wait.as_secs()
            )));
        }
        if !noted {
            log::info!(
                "{} is held by process {holder}; waiting up to {} s",
                path.display(),
                wait.as_secs()
            );
            noted = true;
        }
        crate::interrupt::check()?;
        std::thread::sleep(RETRY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A holder named in the message after "held by".
    fn held_by(message: &str) -> Option<String> {
        message
            .split_once("held by ")
            .map(|(_, pid)| pid.to_string())
    }

    #[test]
    fn other_errors_are_not_retried() {
        let mut calls = 0;
        let result: Result<()> = wait_for_readers(
            Path::new("/x/d/dataset.duckdb"),
            Duration::from_secs(5),
            held_by,
            || {
                calls += 1;
                Err(Error::Backend("syntax error".into()))
            },
        );
        assert!(result.is_err());
        assert_eq!(calls, 1);
    }

    #[test]
    fn a_held_file_fails_after_the_wait_naming_the_process() {
        let started = Instant::now();
        let result: Result<()> = wait_for_readers(
            Path::new("/x/sales/dataset.duckdb"),
            Duration::from_millis(500),
            held_by,
            || Err(Error::Backend("the file is held by 77".into())),
        );
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("dataset 'sales' is in use by process 77 (a reader)"),
            "{message}"
        );
        assert!(started.elapsed() >= Duration::from_millis(500));
    }
}
