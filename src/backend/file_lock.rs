//! A writer meeting DuckDB's one-writer rule: while another process (a BI
//! tool, a notebook) holds the dataset file, DuckDB refuses a read-write
//! open at once. mdm retries for `database.connection_timeout` seconds and
//! then names the process that holds the file.

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
    mut open: impl FnMut() -> Result<T>,
) -> Result<T> {
    let started = Instant::now();
    let mut noted = false;
    loop {
        let err = match open() {
            Ok(opened) => return Ok(opened),
            Err(err) => err,
        };
        let Some(holder) = lock_holder(&err.to_string()) else {
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

/// The process DuckDB names in its lock conflict message ("Conflicting
/// lock is held in PROGRAM (PID N)"), as `N` or `N, PROGRAM`.
fn lock_holder(message: &str) -> Option<String> {
    let at = message.find("Conflicting lock is held")?;
    let rest = &message[at..];
    let pid: String = rest
        .find("(PID ")
        .map(|i| {
            rest[i + 5..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect()
        })
        .unwrap_or_default();
    Some(if pid.is_empty() {
        "unknown".into()
    } else {
        pid
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_is_read_from_duckdbs_message() {
        let message = "IO Error: Could not set lock on file \"/d/dataset.duckdb\": Conflicting lock is held in /usr/bin/python3.11 (PID 4242) by user root. See also https://duckdb.org/docs/stable/connect/concurrency";
        assert_eq!(lock_holder(message).as_deref(), Some("4242"));
        assert_eq!(lock_holder("IO Error: disk full"), None);
    }

    #[test]
    fn other_errors_are_not_retried() {
        let mut calls = 0;
        let result: Result<()> = wait_for_readers(
            Path::new("/x/d/dataset.duckdb"),
            Duration::from_secs(5),
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
            || {
                Err(Error::Backend("Could not set lock on file: Conflicting lock is held in /bin/x (PID 77) by user u".into()))
            },
        );
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("dataset 'sales' is in use by process 77 (a reader)"),
            "{message}"
        );
        assert!(started.elapsed() >= Duration::from_millis(500));
    }
}
