//! Filling a table from a query on the embedded store, split across cores.
//!
//! SQLite runs one statement on one core, and a feature table's `INSERT …
//! SELECT` spends most of its time evaluating expressions, not writing. So
//! the source's rowid range is cut into slices; each slice is computed by
//! its own connection, in its own thread, into a private scratch database
//! next to the dataset; the slices are then appended to the target in
//! order. Appending `SELECT *` from an identical table is SQLite's transfer
//! optimisation (records are copied without being decoded), a small part of
//! the cost of computing them.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::model::ColumnDef;

/// The fewest rows worth a slice of their own.
const MIN_SLICE_ROWS: i64 = 10_000;

/// Slices computed at once when the configuration leaves it to the machine:
/// beyond this the single writer that appends them dominates.
const MAX_AUTO_WORKERS: usize = 4;

/// The alias used to reach the dataset from a scratch connection.
const SOURCE_SCHEMA: &str = "mdm_source";

/// What a fill needs to know about the store it runs on.
pub(super) struct FillPlan<'a> {
    pub conn: &'a Connection,
    pub path: &'a Path,
    pub dialect: &'a dyn Dialect,
    /// Configures a new scratch connection like a bulk-load connection.
    pub prepare: &'a (dyn Fn(&Connection, &Path) -> Result<()> + Sync),
}

/// The number of slices worth computing for `rows` rows with `configured`
/// workers (0 = one per core); 1 means one plain statement.
pub(super) fn workers_for(rows: i64, configured: usize) -> usize {
    let workers = match configured {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(MAX_AUTO_WORKERS),
        n => n,
    };
    let by_rows = usize::try_from(rows / MIN_SLICE_ROWS).unwrap_or(0);
    workers.min(by_rows).max(1)
}

/// Whether a select list holds a window function (`... OVER (`), whose
/// frames span rows a slice would not have.
pub(super) fn uses_windows(select: &str) -> bool {
    let lower = select.to_ascii_lowercase();
    lower.match_indices("over").any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + 4..].trim_start();
        before.is_some_and(|c| c.is_whitespace() || c == ')') && after.starts_with('(')
    })
}

/// A name for the rowid that no column of the table (`names`) shadows.
pub(super) fn rowid_alias<'a>(
    names: impl Iterator<Item = &'a str> + Clone,
) -> Option<&'static str> {
    ["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|alias| !names.clone().any(|n| n.eq_ignore_ascii_case(alias)))
}

/// How scratch database files start: `{SCRATCH_PREFIX}{pid}_{slice}.sqlite`,
/// named after the process that fills. The file backend sweeps those of
/// killed processes before it opens the dataset (see `backend/files.rs`).
pub const SCRATCH_PREFIX: &str = "_mdm_fill_";

/// Scratch databases, removed however the fill ends.
struct Scratch(Vec<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Fills `target` (created, empty) from `SELECT {select} FROM {source}` in
/// `workers` slices of the rowid range `first..=last`. The store's
/// connection must not hold a lock that keeps readers out.
#[allow(clippy::too_many_arguments)]
pub(super) fn fill_in_slices(
    plan: &FillPlan,
    target: &str,
    columns: &[ColumnDef],
    select: &str,
    source: &str,
    rowid: &str,
    (first, last): (i64, i64),
    workers: usize,
) -> Result<()> {
    let dialect = plan.dialect;
    let directory = plan.path.parent().unwrap_or(Path::new("."));
    let scratch = Scratch(
        (0..workers)
            .map(|slice| {
                directory.join(format!(
                    "{SCRATCH_PREFIX}{}_{slice}.sqlite",
                    std::process::id()
                ))
            })
            .collect(),
    );
    let create = dialect.create_table_keeping_key(target, columns);
    let insert = format!(
        "INSERT INTO main.{} SELECT {select} FROM {SOURCE_SCHEMA}.{} WHERE {rowid} BETWEEN ?1 AND ?2",
        dialect.quote_identifier(target),
        dialect.quote_identifier(source)
    );
    log::debug!("{insert}");
    let span = last - first + 1;
    let bounds: Vec<(i64, i64)> = (0..workers as i64)
        .map(|slice| {
            let start = first + span * slice / workers as i64;
            let end = first + span * (slice + 1) / workers as i64 - 1;
            (start, end)
        })
        .collect();
    let started = std::time::Instant::now();
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = scratch
            .0
            .iter()
            .zip(&bounds)
            .map(|(path, &(start, end))| {
                let (create, insert) = (&create, &insert);
                let (source_path, prepare) = (plan.path, plan.prepare);
                scope.spawn(move || {
                    compute_slice(source_path, prepare, path, create, insert, (start, end))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(Error::General("a fill worker panicked".into())))
            })
            .collect()
    });
    results.into_iter().collect::<Result<Vec<()>>>()?;
    log::debug!(
        "fill {target}: {workers} slices computed in {:.2?}",
        started.elapsed()
    );
    crate::interrupt::check()?;
    let wrap = |e| Error::sqlite(plan.path, e);
    let append = format!(
        "INSERT INTO main.{0} SELECT * FROM mdm_slice.{0}",
        dialect.quote_identifier(target)
    );
    for path in &scratch.0 {
        plan.conn
            .execute("ATTACH DATABASE ?1 AS mdm_slice", [path.to_string_lossy()])
            .map_err(wrap)?;
        super::echo(&append);
        let appended = plan.conn.execute(&append, []).map_err(wrap);
        plan.conn
            .execute_batch("DETACH DATABASE mdm_slice")
            .map_err(wrap)?;
        appended?;
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Computes the rows `start..=end` into a new scratch database at `path`.
fn compute_slice(
    source_path: &Path,
    prepare: &(dyn Fn(&Connection, &Path) -> Result<()> + Sync),
    path: &Path,
    create: &str,
    insert: &str,
    (start, end): (i64, i64),
) -> Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| Error::sqlite(path, e))?;
    prepare(&conn, path)?;
    let wrap = |e| Error::sqlite(path, e);
    conn.execute(
        &format!("ATTACH DATABASE ?1 AS {SOURCE_SCHEMA}"),
        [source_path.to_string_lossy()],
    )
    .map_err(wrap)?;
    super::echo(create);
    conn.execute_batch(create).map_err(wrap)?;
    super::echo(insert);
    // A failing expression is the dataset's error, as in one statement.
    conn.execute(insert, [start, end])
        .map_err(|e| Error::sqlite(source_path, e))?;
    Ok(())
}

#[cfg(test)]
mod window_tests {
    use super::*;

    #[test]
    fn window_functions_are_recognised() {
        assert!(uses_windows("\"a\", LAG(\"x\", 1) OVER (ORDER BY \"t\")"));
        assert!(uses_windows("avg(x) over(partition by g)"));
        assert!(!uses_windows("\"turnover\", \"x\" + 1"));
        assert!(!uses_windows("CASE WHEN \"a\" > 0 THEN 1 END AS over_zero"));
    }
}
