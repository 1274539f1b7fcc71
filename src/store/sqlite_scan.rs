//! Reading a large table of a published dataset on several connections at
//! once: its rows are cut into ranges of the row number (`rowid`, or the
//! row key of a view that has one), each range read by one of a few
//! threads with a connection of its own, and the ranges handed on in
//! order. SQLite runs one statement on one core; a reader of a dataset
//! (an export, a Python load) is then held up by the decoding of values
//! on that core while the others idle.

use std::path::Path;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};

use rusqlite::{Connection, Statement};

use super::RowFilter;
use crate::dialect::{Dialect, ROW_KEY};
use crate::error::{Error, Result};
use crate::model::{Batch, ColumnDef};

/// Ranges a reading thread may have read ahead of the one being handed on.
const RANGES_AHEAD: usize = 1;

/// How a table's rows are cut into ranges: the column numbering them and
/// its smallest and largest value.
pub(super) struct Ranges {
    pub column: String,
    pub first: i64,
    pub last: i64,
}

/// The column that numbers `table`'s rows and its bounds, when the rows can
/// be read in ranges: a table's `rowid`, or a view's row key (a view over
/// train keeps train's key, whose ranges SQLite looks up in train's b-tree).
/// `None` for an empty table or a view without the key.
pub(super) fn ranges(
    conn: &Connection,
    dialect: &dyn Dialect,
    table: &str,
) -> rusqlite::Result<Option<Ranges>> {
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_schema WHERE name = ?1",
            [table],
            |row| row.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            other => Err(other),
        })?;
    let names: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")?
        .query_map([table], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let column = match kind.as_deref() {
        // The table's own columns may hide a name of the row number.
        Some("table") => match super::sqlite_fill::rowid_alias(names.iter().map(String::as_str)) {
            Some(alias) => alias.to_string(),
            None => return Ok(None),
        },
        Some("view") if names.iter().any(|n| n == ROW_KEY) => dialect.quote_identifier(ROW_KEY),
        _ => return Ok(None),
    };
    Ok(
        bounds(conn, &column, &dialect.quote_identifier(table))?.map(|(first, last)| Ranges {
            column,
            first,
            last,
        }),
    )
}

/// The smallest and largest value of `column` (quoted) in `table` (quoted),
/// none for an empty table. Each in a query of its own: SQLite looks up a
/// lone `min` or `max` of a key in its b-tree, but scans the table for
/// both in one select list.
pub(super) fn bounds(
    conn: &Connection,
    column: &str,
    table: &str,
) -> rusqlite::Result<Option<(i64, i64)>> {
    let (first, last): (Option<i64>, Option<i64>) = conn.query_row(
        &format!("SELECT (SELECT min({column}) FROM {table}), (SELECT max({column}) FROM {table})"),
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok(first.zip(last))
}

/// `select` under `filter`'s condition, for the rows whose `column` is
/// between the two parameters, in its order.
pub(super) fn range_select(select: &str, filter: &RowFilter, column: &str) -> String {
    match &filter.condition {
        Some(condition) => format!(
            "{select} WHERE ({condition}\n) AND {column} BETWEEN ?1 AND ?2 ORDER BY {column}"
        ),
        None => format!("{select} WHERE {column} BETWEEN ?1 AND ?2 ORDER BY {column}"),
    }
}

/// Whether SQLite finds a range of `sql` ([`range_select`]) by searching
/// a b-tree rather than scanning a table (a view's key column may be a
/// plain column of the table under it) or sorting.
pub(super) fn finds_ranges(conn: &Connection, sql: &str) -> bool {
    let plan = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .and_then(|mut stmt| {
            stmt.query_map([0i64, 0i64], |row| row.get::<_, String>(3))?
                .collect::<rusqlite::Result<Vec<String>>>()
        });
    plan.is_ok_and(|details| {
        !details.is_empty()
            && details.iter().all(|d| {
                let scans = d.starts_with("SCAN") && d != "SCAN CONSTANT ROW";
                !scans && !d.contains("TEMP B-TREE")
            })
    })
}

/// Reads the rows `select` (a `SELECT ... FROM table`) returns under
/// `filter`'s condition, range by range of `ranges` (`batch_size` row
/// numbers each), on `workers` threads, each with a connection `open`
/// gives it; `on_batch` gets each range's rows in order.
#[allow(clippy::too_many_arguments)]
pub(super) fn scan_in_ranges(
    open: &(dyn Fn() -> Result<Connection> + Sync),
    path: &Path,
    table: &str,
    select: &str,
    filter: &RowFilter,
    ranges: &Ranges,
    columns: &[ColumnDef],
    batch_size: usize,
    workers: usize,
    on_batch: &mut dyn FnMut(&Batch) -> Result<()>,
) -> Result<()> {
    let width = batch_size.max(1) as i64;
    let count = ((ranges.last - ranges.first) / width + 1) as usize;
    let sql = range_select(select, filter, &ranges.column);
    let sql = sql.as_str();
    log::debug!("read {table} in {count} ranges on {workers} connections");
    std::thread::scope(|scope| {
        let mut receivers: Vec<Receiver<Result<Batch>>> = Vec::with_capacity(workers);
        // Batches handed on come back to their thread to be filled again.
        let mut returns: Vec<Sender<Batch>> = Vec::with_capacity(workers);
        for worker in 0..workers {
            let (sender, receiver) = sync_channel::<Result<Batch>>(RANGES_AHEAD);
            let (spent_sender, spent) = channel::<Batch>();
            receivers.push(receiver);
            returns.push(spent_sender);
            scope.spawn(move || {
                let read = || -> Result<()> {
                    let conn = open()?;
                    let wrap = |e| Error::sqlite(path, e);
                    // One snapshot for all the ranges this thread reads.
                    conn.execute_batch("BEGIN").map_err(wrap)?;
                    let mut stmt = conn.prepare(sql).map_err(wrap)?;
                    for range in (worker..count).step_by(workers) {
                        let low = ranges.first + range as i64 * width;
                        let high = low.saturating_add(width - 1);
                        let mut batch = spent
                            .try_recv()
                            .unwrap_or_else(|_| Batch::new(columns, (high - low + 1) as usize));
                        read_range(&mut stmt, path, table, columns, low, high, &mut batch)?;
                        if sender.send(Ok(batch)).is_err() {
                            // The reader stopped: nothing more is wanted.
                            return Ok(());
                        }
                    }
                    Ok(())
                };
                if let Err(err) = read() {
                    let _ = sender.send(Err(err));
                }
            });
        }
        for range in 0..count {
            let mut batch = receivers[range % workers]
                .recv()
                .map_err(|_| Error::General("a reading thread stopped early".into()))??;
            if !batch.is_empty() {
                on_batch(&batch)?;
            }
            batch.clear();
            let _ = returns[range % workers].send(batch);
        }
        Ok(())
        // Returning drops the receivers: threads still reading stop at
        // their next range.
    })
}

/// The rows of one range, into `batch` (empty).
fn read_range(
    stmt: &mut Statement<'_>,
    path: &Path,
    table: &str,
    columns: &[ColumnDef],
    low: i64,
    high: i64,
    batch: &mut Batch,
) -> Result<()> {
    let wrap = |e| Error::sqlite(path, e);
    let mut rows = stmt.query([low, high]).map_err(wrap)?;
    while let Some(row) = rows.next().map_err(wrap)? {
        let at = || format!("a row numbered {low} to {high}");
        super::sqlite_values::push_row(row, columns, batch, path, table, &at)?;
    }
    Ok(())
}
