//! Storage: the [`Store`] trait every backend implements (embedded SQLite,
//! and ODBC with one profile per backend and its connection pool), the
//! statement log, the metadata table's reads and writes, the SQLite
//! pragmas both SQLite paths share, and the ODBC [`Connection`]
//! description of a dataset. The typed column batches that flow into a store are
//! `crate::model`'s. Commands talk to a `Store` and build their SQL through
//! its [`Dialect`]; nothing above this layer knows which database holds a
//! dataset.

mod connection;
mod exact;
pub mod groups;
pub mod odbc;
mod sqlite;
mod sqlite_fill;
pub(crate) mod sqlite_pragmas;
mod sqlite_scan;
mod sqlite_values;

pub use connection::{quote_odbc_value, Connection};
pub use exact::ExactDouble;
pub use sqlite::SqliteStore;
pub use sqlite_fill::SCRATCH_PREFIX as FILL_SCRATCH_PREFIX;

use std::collections::BTreeMap;

use crate::dialect::Dialect;
use crate::error::Result;
use crate::model::{Batch, ColumnDef, Value};

static ECHO: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns statement logging on (`database.sqlalchemy.echo`).
pub fn set_echo(on: bool) {
    ECHO.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// The text values of the first column of a query's rows.
fn first_column_names<S: Store + ?Sized>(store: &mut S, sql: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    store.query(sql, &[], &mut |row| {
        if let Some(Value::Text(name)) = row.first() {
            names.push(name.clone());
        }
        Ok(())
    })?;
    Ok(names)
}

/// Logs `sql` at info level under the target `mdm::sql` when statement
/// logging is on. Values travel as parameters, never in the text; a
/// `PASSWORD '...'` literal is still hidden.
pub fn echo(sql: &str) {
    if ECHO.load(std::sync::atomic::Ordering::Relaxed) {
        log::info!(target: "mdm::sql", "{}", redact_password(sql));
    }
}

fn redact_password(sql: &str) -> std::borrow::Cow<'_, str> {
    let lower = sql.to_ascii_lowercase();
    let Some(at) = lower.find("password") else {
        return sql.into();
    };
    let rest = &sql[at + "password".len()..];
    match rest.trim_start().strip_prefix('\'') {
        Some(_) => format!("{}PASSWORD '***'", &sql[..at]).into(),
        None => sql.into(),
    }
}

/// `(start, rows)` pieces of at most `size` rows covering `0..total`.
pub(crate) fn chunks(total: usize, size: usize) -> impl Iterator<Item = (usize, usize)> {
    let size = size.max(1);
    (0..total)
        .step_by(size)
        .map(move |start| (start, size.min(total - start)))
}

/// Which rows a scan reads: an SQL condition over the table's columns
/// (the caller has checked it is one expression) and a row limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowFilter {
    pub condition: Option<String>,
    pub limit: Option<u64>,
    /// A column (quoted) the rows are read in the order of.
    pub order_by: Option<String>,
}

impl RowFilter {
    /// ` WHERE (...) ORDER BY c LIMIT n`, as far as given, to follow
    /// `SELECT ... FROM t`.
    pub fn clause(&self) -> String {
        let mut clause = String::new();
        if let Some(condition) = &self.condition {
            // The line break ends a `--` comment the condition may close with.
            clause.push_str(&format!(" WHERE ({condition}\n)"));
        }
        if let Some(column) = &self.order_by {
            clause.push_str(&format!(" ORDER BY {column}"));
        }
        if let Some(limit) = self.limit {
            clause.push_str(&format!(" LIMIT {limit}"));
        }
        clause
    }
}

/// What a bulk load will write: the most bytes of one value and the most
/// columns of one table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadShape {
    pub widest_value: u64,
    pub columns: usize,
}

/// A dataset database, whatever the backend.
pub trait Store {
    /// The SQL dialect of this store.
    fn dialect(&self) -> &dyn Dialect;

    /// How to select the double-valued SQL `expression` so that its value
    /// arrives exactly (some drivers round doubles when fetching them).
    fn exact_double(&self, expression: &str) -> ExactDouble;

    /// Runs a statement that returns no rows.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<()>;

    /// Runs a query, calling `on_row` for each row.
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()>;

    /// How many statements the database runs at once to good effect
    /// ([`Store::query_each`]): 1 where one connection is all there is.
    fn concurrent_statements(&self) -> usize {
        1
    }

    /// Runs each query (no parameters) and returns each one's rows, in the
    /// order given; up to [`Store::concurrent_statements`] of them at once.
    /// Callers split their work into that many statements.
    fn query_each(&mut self, statements: &[String]) -> Result<Vec<Vec<Vec<Value>>>> {
        statements
            .iter()
            .map(|sql| {
                let mut rows = Vec::new();
                self.query(sql, &[], &mut |row| {
                    rows.push(row.to_vec());
                    Ok(())
                })?;
                Ok(rows)
            })
            .collect()
    }

    /// Starts a transaction.
    fn begin(&mut self) -> Result<()>;

    /// Commits the open transaction.
    fn commit(&mut self) -> Result<()>;

    /// Rolls back the open transaction.
    fn rollback(&mut self) -> Result<()>;

    /// Appends a batch of rows to `table`, whose columns are `columns`.
    fn append(&mut self, table: &str, columns: &[ColumnDef], batch: &Batch) -> Result<()>;

    /// Reads `columns` of `table` in batches of at most `batch_size` rows,
    /// converting stored values to the columns' logical types.
    fn scan(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        batch_size: usize,
        on_batch: &mut dyn FnMut(&Batch) -> Result<()>,
    ) -> Result<()> {
        self.scan_filtered(table, columns, &RowFilter::default(), batch_size, on_batch)
    }

    /// [`Store::scan`] of the rows `filter` keeps.
    fn scan_filtered(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        filter: &RowFilter,
        batch_size: usize,
        on_batch: &mut dyn FnMut(&Batch) -> Result<()>,
    ) -> Result<()>;

    /// Runs a query, calling `on_columns` once with the result's column
    /// names, then `on_row` for each row.
    fn query_named(
        &mut self,
        sql: &str,
        on_columns: &mut dyn FnMut(&[String]) -> Result<()>,
        on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()>;

    /// Runs a `CREATE INDEX` statement (with the connection's own memory
    /// settings where a bulk load caps them: an index is built in memory).
    fn build_index(&mut self, sql: &str) -> Result<()> {
        self.execute(sql, &[])
    }

    /// Tells a bulk load what it will write, for stores that size their
    /// memory by it.
    fn expect(&mut self, shape: LoadShape) -> Result<()> {
        let _ = shape;
        Ok(())
    }

    /// Fills `target`, an empty table created with `columns`, with
    /// `SELECT {select} FROM {source}`, rows in the source's order. On an
    /// error `target` may hold some rows: the caller drops it.
    fn insert_select(
        &mut self,
        target: &str,
        columns: &[ColumnDef],
        select: &str,
        source: &str,
    ) -> Result<()>;

    /// Names of the tables in the database.
    fn table_names(&mut self) -> Result<Vec<String>> {
        let sql = self.dialect().list_tables();
        first_column_names(self, &sql)
    }

    /// Names of the views in the database.
    fn view_names(&mut self) -> Result<Vec<String>> {
        let sql = self.dialect().list_views();
        first_column_names(self, &sql)
    }

    /// Makes the database durable and applies its long-term settings after a
    /// bulk load (for example SQLite's journal mode).
    fn finish_load(&mut self) -> Result<()>;
}

/// [`Store::insert_select`] as one statement in one transaction.
pub(crate) fn insert_select_statement(
    store: &mut dyn Store,
    target: &str,
    select: &str,
    source: &str,
) -> Result<()> {
    let dialect = store.dialect();
    let sql = format!(
        "INSERT INTO {} SELECT {select} FROM {}",
        dialect.quote_identifier(target),
        dialect.quote_identifier(source)
    );
    log::debug!("{sql}");
    store.begin()?;
    match store.execute(&sql, &[]) {
        Ok(()) => store.commit(),
        Err(err) => {
            let _ = store.rollback();
            Err(err)
        }
    }
}

/// Writes (or replaces) metadata entries in one transaction.
pub fn write_metadata(store: &mut dyn Store, entries: &[(&str, String)]) -> Result<()> {
    let create = store.dialect().create_metadata_table();
    let upsert = store.dialect().upsert_metadata();
    store.begin()?;
    let result = (|| {
        store.execute(&create, &[])?;
        for (key, value) in entries {
            store.execute(
                &upsert,
                &[Value::Text(key.to_string()), Value::Text(value.clone())],
            )?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => store.commit(),
        Err(err) => {
            let _ = store.rollback();
            Err(err)
        }
    }
}

/// Reads every metadata entry.
pub fn read_metadata(store: &mut dyn Store) -> Result<BTreeMap<String, String>> {
    let sql = store.dialect().select_metadata();
    let mut entries = BTreeMap::new();
    store.query(&sql, &[], &mut |row| {
        if let [key, value] = row {
            if let (Some(key), Some(value)) = (key.clone().into_text(), value.clone().into_text()) {
                entries.insert(key, value);
            }
        }
        Ok(())
    })?;
    Ok(entries)
}
