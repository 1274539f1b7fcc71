//! The embedded SQLite store (rusqlite with a bundled SQLite): the default
//! backend, always compiled, needing nothing from the system.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::sqlite_values::{from_sql, push_row, to_sql};
use super::{sqlite_fill, sqlite_pragmas, sqlite_scan, ExactDouble, Store};
use crate::config::SqliteSettings;
use crate::dialect::{Dialect, SqliteDialect, TextMeasure};
use crate::error::{Error, Result};
use crate::model::{Batch, ColumnData, ColumnDef, Value};

/// Rows per multi-row `INSERT`; more saves little and costs parse time.
const ROWS_PER_INSERT: usize = 256;

/// SQLITE_MAX_VARIABLE_NUMBER of the bundled SQLite.
const MAX_PARAMETERS: usize = 32_766;

/// One dataset database file opened with rusqlite.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    settings: SqliteSettings,
    dialect: SqliteDialect,
    format_buffer: String,
    /// Whether the connection keeps the file locked (a bulk load).
    exclusive: bool,
    /// Threads for [`Store::insert_select`] and large scans; 0 = one per
    /// core.
    workers: usize,
    /// How long a statement waits for a lock (the connections of a
    /// parallel scan wait as long).
    timeout_seconds: u64,
}

/// Registers the text measures of feature generation as SQL functions
/// (`mdm_word_count(text)`, ...): SQLite has no regular expressions.
fn register_text_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::ValueRef;
    for measure in [
        TextMeasure::Uppercase,
        TextMeasure::Digits,
        TextMeasure::Special,
        TextMeasure::Words,
    ] {
        conn.create_scalar_function(
            measure.function_name(),
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            move |context| {
                Ok(match context.get_raw(0) {
                    ValueRef::Null => None,
                    ValueRef::Text(bytes) => Some(measure.count(&String::from_utf8_lossy(bytes))),
                    other => Some(measure.count(&match other {
                        ValueRef::Integer(v) => v.to_string(),
                        ValueRef::Real(v) => v.to_string(),
                        _ => String::new(),
                    })),
                })
            },
        )?;
    }
    Ok(())
}

/// Runs `PRAGMA` statements of [`sqlite_pragmas`].
fn apply_pragmas(conn: &Connection, path: &Path, pragmas: &[String]) -> Result<()> {
    for pragma in pragmas {
        conn.query_row(pragma, [], |_| Ok(()))
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(()),
                other => Err(other),
            })
            .map_err(|e| Error::sqlite(path, e))?;
    }
    Ok(())
}

impl SqliteStore {
    /// Creates a new database file for a bulk load. The file is private to
    /// the registration until it is published, so it is written without a
    /// journal; [`Store::finish_load`] switches to the configured journal
    /// mode. The connection also skips memory mapping and keeps temporary
    /// b-trees (uniqueness checks) on disk: mapped pages and in-memory sorts
    /// would make the resident size grow with the input. The configured
    /// cache, mmap and temp-store settings apply whenever the published
    /// dataset is opened.
    pub fn create_for_load(path: &Path, settings: &SqliteSettings) -> Result<SqliteStore> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| Error::sqlite(path, e))?;
        let mut store = SqliteStore::new(conn, path, settings)?;
        store.pragmas(&sqlite_pragmas::bulk_load_in_process())?;
        store.pragmas(&[sqlite_pragmas::locking_mode(true)])?;
        store.exclusive = true;
        Ok(store)
    }

    /// Opens an existing dataset database with the configured pragmas.
    pub fn open(
        path: &Path,
        settings: &SqliteSettings,
        timeout_seconds: u64,
    ) -> Result<SqliteStore> {
        if !path.is_file() {
            return Err(Error::Backend(format!(
                "the dataset database {} is missing",
                path.display()
            )));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| Error::sqlite(path, e))?;
        conn.busy_timeout(Duration::from_secs(timeout_seconds))
            .map_err(|e| Error::sqlite(path, e))?;
        let mut store = SqliteStore::new(conn, path, settings)?;
        store.timeout_seconds = timeout_seconds;
        store.apply_durability_settings()?;
        store.apply_cache_settings()?;
        Ok(store)
    }

    fn new(conn: Connection, path: &Path, settings: &SqliteSettings) -> Result<SqliteStore> {
        register_text_functions(&conn).map_err(|e| Error::sqlite(path, e))?;
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            settings: settings.clone(),
            dialect: SqliteDialect {
                text_functions: true,
            },
            format_buffer: String::new(),
            exclusive: false,
            workers: 0,
            timeout_seconds: 0,
        })
    }

    /// Sets how many threads fill a table from a query (0 = one per core).
    pub fn with_workers(mut self, workers: usize) -> SqliteStore {
        self.workers = workers;
        self
    }

    fn pragmas(&self, pragmas: &[String]) -> Result<()> {
        apply_pragmas(&self.conn, &self.path, pragmas)
    }

    fn apply_cache_settings(&self) -> Result<()> {
        self.pragmas(&sqlite_pragmas::cache(&self.settings))
    }

    fn apply_durability_settings(&self) -> Result<()> {
        self.pragmas(&sqlite_pragmas::durability(&self.settings))
    }

    /// How a scan of `table` is read on several threads, when it is worth
    /// it: every row (a condition is fine; an order or a limit is not) of
    /// a published dataset's table, outside a transaction (other
    /// connections see what this one does), many batches long.
    fn ranges_to_read(
        &self,
        table: &str,
        select: &str,
        filter: &super::RowFilter,
        batch_size: usize,
    ) -> Option<(sqlite_scan::Ranges, usize)> {
        if self.exclusive
            || !self.conn.is_autocommit()
            || filter.limit.is_some()
            || filter.order_by.is_some()
        {
            return None;
        }
        // A table mdm did not shape (no rowid) is read as one statement.
        let ranges = sqlite_scan::ranges(&self.conn, &self.dialect, table).ok()??;
        let span = ranges.last.saturating_sub(ranges.first).saturating_add(1);
        if span < 4 * batch_size.max(1) as i64 {
            return None;
        }
        let workers = sqlite_fill::workers_for(span, self.workers);
        let sql = sqlite_scan::range_select(select, filter, &ranges.column);
        (workers > 1 && sqlite_scan::finds_ranges(&self.conn, &sql)).then_some((ranges, workers))
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        Error::sqlite(&self.path, e)
    }

    fn insert_rows(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        batch: &Batch,
        start: usize,
        rows: usize,
    ) -> Result<()> {
        let sql = self.dialect.insert(table, columns, rows);
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| Error::sqlite(&self.path, e))?;
        let width = columns.len();
        let buffer = &mut self.format_buffer;
        for offset in 0..rows {
            let row = start + offset;
            for (index, column) in batch.columns.iter().enumerate() {
                let parameter = offset * width + index + 1;
                let bound = match column {
                    ColumnData::Boolean(v) => stmt.raw_bind_parameter(parameter, v[row]),
                    ColumnData::Integer(v) => stmt.raw_bind_parameter(parameter, v[row]),
                    ColumnData::Float(v) => stmt.raw_bind_parameter(parameter, v[row]),
                    ColumnData::Text(v) => stmt.raw_bind_parameter(parameter, v.get(row)),
                    ColumnData::Date(v) => match v[row] {
                        Some(days) => {
                            buffer.clear();
                            let _ = write!(buffer, "{}", crate::time::format_date(days));
                            stmt.raw_bind_parameter(parameter, buffer.as_str())
                        }
                        None => stmt.raw_bind_parameter(parameter, rusqlite::types::Null),
                    },
                    ColumnData::Datetime(v) => match v[row] {
                        Some(micros) => {
                            buffer.clear();
                            buffer.push_str(&crate::time::format_datetime(micros));
                            stmt.raw_bind_parameter(parameter, buffer.as_str())
                        }
                        None => stmt.raw_bind_parameter(parameter, rusqlite::types::Null),
                    },
                };
                bound.map_err(|e| Error::sqlite(&self.path, e))?;
            }
        }
        stmt.raw_execute()
            .map_err(|e| Error::sqlite(&self.path, e))?;
        Ok(())
    }
}

impl SqliteStore {
    /// Runs a query: its column names to `on_columns`, then each row.
    fn rows(
        &mut self,
        sql: &str,
        params: &[Value],
        on_columns: &mut dyn FnMut(&[String]) -> Result<()>,
        on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        let path = self.path.clone();
        let wrap = |e| Error::sqlite(&path, e);
        super::echo(sql);
        let mut stmt = self.conn.prepare(sql).map_err(wrap)?;
        let names: Vec<String> = stmt.column_names().iter().map(|n| n.to_string()).collect();
        on_columns(&names)?;
        let params: Vec<_> = params.iter().map(to_sql).collect();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(wrap)?;
        let mut values = Vec::with_capacity(names.len());
        while let Some(row) = rows.next().map_err(wrap)? {
            values.clear();
            for index in 0..names.len() {
                values.push(from_sql(row.get_ref(index).map_err(wrap)?));
            }
            on_row(&values)?;
        }
        Ok(())
    }
}

/// Columns from which a new database gets [`WIDE_PAGE_SIZE`] pages.
const WIDE_COLUMNS: usize = 500;

/// Page size of a new database holding a wide table: its rows (some 8 KB
/// per 1,000 numbers) fit in a page instead of spilling into chains of
/// overflow pages, which SQLite reads with one system call per value
/// (exporting 20,000 rows x 5,000 columns took 47 s, almost all of it in
/// those reads).
const WIDE_PAGE_SIZE: u32 = 16_384;

impl Store for SqliteStore {
    /// A new database about to hold a wide table gets large pages (the
    /// pragma does nothing once the file has tables).
    fn expect(&mut self, shape: super::LoadShape) -> Result<()> {
        if shape.columns >= WIDE_COLUMNS {
            self.pragmas(&[format!("PRAGMA page_size = {WIDE_PAGE_SIZE}")])?;
        }
        Ok(())
    }

    fn dialect(&self) -> &dyn Dialect {
        &self.dialect
    }

    /// rusqlite reads REAL values as they are stored.
    fn exact_double(&self, expression: &str) -> ExactDouble {
        ExactDouble::plain(expression)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<()> {
        super::echo(sql);
        let params: Vec<_> = params.iter().map(to_sql).collect();
        self.conn
            .execute(sql, rusqlite::params_from_iter(params))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        self.rows(sql, params, &mut |_| Ok(()), on_row)
    }

    fn query_named(
        &mut self,
        sql: &str,
        on_columns: &mut dyn FnMut(&[String]) -> Result<()>,
        on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        self.rows(sql, &[], on_columns, on_row)
    }

    fn begin(&mut self) -> Result<()> {
        self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))
    }

    fn commit(&mut self) -> Result<()> {
        self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))
    }

    fn rollback(&mut self) -> Result<()> {
        self.conn.execute_batch("ROLLBACK").map_err(|e| self.err(e))
    }

    fn append(&mut self, table: &str, columns: &[ColumnDef], batch: &Batch) -> Result<()> {
        let per_statement = (MAX_PARAMETERS / columns.len().max(1)).clamp(1, ROWS_PER_INSERT);
        for (start, rows) in super::chunks(batch.len(), per_statement) {
            self.insert_rows(table, columns, batch, start, rows)?;
        }
        Ok(())
    }

    fn scan_filtered(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        filter: &super::RowFilter,
        batch_size: usize,
        on_batch: &mut dyn FnMut(&Batch) -> Result<()>,
    ) -> Result<()> {
        let select = self.dialect.select_columns(table, columns);
        if let Some((ranges, workers)) = self.ranges_to_read(table, &select, filter, batch_size) {
            super::echo(&select);
            let (path, settings, timeout) = (&self.path, &self.settings, self.timeout_seconds);
            let open = move || SqliteStore::open(path, settings, timeout).map(|store| store.conn);
            return sqlite_scan::scan_in_ranges(
                &open, &self.path, table, &select, filter, &ranges, columns, batch_size, workers,
                on_batch,
            );
        }
        let sql = select + &filter.clause();
        let path = self.path.clone();
        let wrap = |e| Error::sqlite(&path, e);
        super::echo(&sql);
        let mut stmt = self.conn.prepare(&sql).map_err(wrap)?;
        let mut rows = stmt.query([]).map_err(wrap)?;
        let mut batch = Batch::new(columns, batch_size);
        let mut number = 0u64;
        while let Some(row) = rows.next().map_err(wrap)? {
            number += 1;
            push_row(row, columns, &mut batch, &path, table, &|| {
                format!("row {number}")
            })?;
            if batch.len() >= batch_size {
                on_batch(&batch)?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            on_batch(&batch)?;
        }
        Ok(())
    }

    fn insert_select(
        &mut self,
        target: &str,
        columns: &[ColumnDef],
        select: &str,
        source: &str,
    ) -> Result<()> {
        let mut split = None;
        // A window function (lags) needs every row of the table in one
        // statement: slices would cut its frames.
        let windowed = sqlite_fill::uses_windows(select);
        if let Some(rowid) =
            sqlite_fill::rowid_alias(columns.iter().map(|c| c.name.as_str())).filter(|_| !windowed)
        {
            let bounds =
                sqlite_scan::bounds(&self.conn, rowid, &self.dialect.quote_identifier(source))
                    .map_err(|e| self.err(e))?;
            if let Some((first, last)) = bounds {
                let workers = sqlite_fill::workers_for(last - first + 1, self.workers);
                if workers > 1 {
                    split = Some((rowid, (first, last), workers));
                }
            }
        }
        let Some((rowid, range, workers)) = split else {
            return super::insert_select_statement(self, target, select, source);
        };
        if self.exclusive {
            // Readers are let in once the lock is dropped, which happens on
            // the next access in normal mode.
            self.pragmas(&[sqlite_pragmas::locking_mode(false)])?;
            self.conn
                .query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
                .map_err(|e| self.err(e))?;
        }
        // Only another process writing the dataset could make a slice wait.
        let timeout = Duration::from_secs(30);
        let prepare = move |conn: &Connection, path: &Path| -> Result<()> {
            register_text_functions(conn).map_err(|e| Error::sqlite(path, e))?;
            conn.busy_timeout(timeout)
                .map_err(|e| Error::sqlite(path, e))?;
            apply_pragmas(conn, path, &sqlite_pragmas::bulk_load_in_process())
        };
        let plan = sqlite_fill::FillPlan {
            conn: &self.conn,
            path: &self.path,
            dialect: &self.dialect,
            prepare: &prepare,
        };
        let filled = sqlite_fill::fill_in_slices(
            &plan, target, columns, select, source, rowid, range, workers,
        );
        if self.exclusive {
            self.pragmas(&[sqlite_pragmas::locking_mode(true)])?;
        }
        filled
    }

    fn finish_load(&mut self) -> Result<()> {
        self.pragmas(&[sqlite_pragmas::locking_mode(false)])?;
        self.exclusive = false;
        self.apply_durability_settings()?;
        // A checkpoint-free way to get everything on disk before publishing.
        self.conn
            .execute_batch("PRAGMA synchronous = FULL; BEGIN IMMEDIATE; COMMIT;")
            .map_err(|e| self.err(e))?;
        self.apply_durability_settings()?;
        std::fs::File::open(&self.path)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(&self.path, "sync", e))
    }
}
