//! Storage: the [`Store`] trait every backend implements, and the typed
//! column batches that flow into it. Commands talk to a `Store` and build
//! their SQL through its [`Dialect`]; nothing above this layer knows which
//! database holds a dataset.

#[cfg(feature = "odbc")]
pub mod odbc;
#[cfg(feature = "odbc")]
mod pool;
mod sqlite;
mod sqlite_fill;

pub use sqlite::SqliteStore;
pub use sqlite_fill::sweep_leftovers as sweep_fill_scratch;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dialect::{Dialect, LoadShape};
use crate::error::Result;

static ECHO: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns statement logging on (`database.sqlalchemy.echo`).
pub fn set_echo(on: bool) {
    ECHO.store(on, std::sync::atomic::Ordering::Relaxed);
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

/// The key/value metadata table inside every dataset database.
pub const METADATA_TABLE: &str = "_metadata";

/// The logical type of a stored column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Boolean,
    Integer,
    Float,
    Date,
    Datetime,
    Text,
}

impl ColumnType {
    /// The lowercase name used in metadata and output.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Boolean => "boolean",
            ColumnType::Integer => "integer",
            ColumnType::Float => "float",
            ColumnType::Date => "date",
            ColumnType::Datetime => "datetime",
            ColumnType::Text => "text",
        }
    }

    /// Whether values are numbers (statistics such as mean apply).
    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnType::Integer | ColumnType::Float)
    }
}

/// A column as stored: its name in the database and its logical type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    pub column_type: ColumnType,
}

/// Text values of one batch in one buffer (no allocation per value).
#[derive(Clone, Debug, Default)]
pub struct TextColumn {
    data: String,
    ends: Vec<usize>,
    valid: Vec<bool>,
}

impl TextColumn {
    /// Appends a value or a null.
    pub fn push(&mut self, value: Option<&str>) {
        if let Some(text) = value {
            self.data.push_str(text);
        }
        self.ends.push(self.data.len());
        self.valid.push(value.is_some());
    }

    /// The value at `row`.
    pub fn get(&self, row: usize) -> Option<&str> {
        if !self.valid[row] {
            return None;
        }
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        Some(&self.data[start..self.ends[row]])
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.valid.clear();
    }
}

/// The values of one column in one batch. Dates are days since 1970-01-01,
/// timestamps microseconds since 1970-01-01 00:00:00 UTC.
#[derive(Clone, Debug)]
pub enum ColumnData {
    Boolean(Vec<Option<bool>>),
    Integer(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Date(Vec<Option<i32>>),
    Datetime(Vec<Option<i64>>),
    Text(TextColumn),
}

impl ColumnData {
    /// An empty column of `column_type` with room for `capacity` rows.
    pub fn new(column_type: ColumnType, capacity: usize) -> ColumnData {
        match column_type {
            ColumnType::Boolean => ColumnData::Boolean(Vec::with_capacity(capacity)),
            ColumnType::Integer => ColumnData::Integer(Vec::with_capacity(capacity)),
            ColumnType::Float => ColumnData::Float(Vec::with_capacity(capacity)),
            ColumnType::Date => ColumnData::Date(Vec::with_capacity(capacity)),
            ColumnType::Datetime => ColumnData::Datetime(Vec::with_capacity(capacity)),
            ColumnType::Text => ColumnData::Text(TextColumn::default()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ColumnData::Boolean(v) => v.len(),
            ColumnData::Integer(v) => v.len(),
            ColumnData::Float(v) => v.len(),
            ColumnData::Date(v) => v.len(),
            ColumnData::Datetime(v) => v.len(),
            ColumnData::Text(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a null.
    pub fn push_null(&mut self) {
        match self {
            ColumnData::Boolean(v) => v.push(None),
            ColumnData::Integer(v) => v.push(None),
            ColumnData::Float(v) => v.push(None),
            ColumnData::Date(v) => v.push(None),
            ColumnData::Datetime(v) => v.push(None),
            ColumnData::Text(v) => v.push(None),
        }
    }

    /// Whether the value at `row` is null.
    pub fn is_null(&self, row: usize) -> bool {
        match self {
            ColumnData::Boolean(v) => v[row].is_none(),
            ColumnData::Integer(v) => v[row].is_none(),
            ColumnData::Float(v) => v[row].is_none(),
            ColumnData::Date(v) => v[row].is_none(),
            ColumnData::Datetime(v) => v[row].is_none(),
            ColumnData::Text(v) => v.get(row).is_none(),
        }
    }

    fn clear(&mut self) {
        match self {
            ColumnData::Boolean(v) => v.clear(),
            ColumnData::Integer(v) => v.clear(),
            ColumnData::Float(v) => v.clear(),
            ColumnData::Date(v) => v.clear(),
            ColumnData::Datetime(v) => v.clear(),
            ColumnData::Text(v) => v.clear(),
        }
    }
}

/// A block of rows, column by column; reused from batch to batch.
#[derive(Clone, Debug)]
pub struct Batch {
    pub columns: Vec<ColumnData>,
}

impl Batch {
    /// An empty batch for `columns`.
    pub fn new(columns: &[ColumnDef], capacity: usize) -> Batch {
        Batch {
            columns: columns
                .iter()
                .map(|c| ColumnData::new(c.column_type, capacity))
                .collect(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, ColumnData::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties every column, keeping the allocations.
    pub fn clear(&mut self) {
        self.columns.iter_mut().for_each(ColumnData::clear);
    }
}

/// `(start, rows)` pieces of at most `size` rows covering `0..total`.
pub(crate) fn chunks(total: usize, size: usize) -> impl Iterator<Item = (usize, usize)> {
    let size = size.max(1);
    (0..total)
        .step_by(size)
        .map(move |start| (start, size.min(total - start)))
}

/// One value of a query result or a bound parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Float(f64),
    Text(String),
}

impl Value {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(v) => Some(*v),
            Value::Float(v) => Some(*v as i64),
            Value::Text(t) => t.parse().ok(),
            Value::Null => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(v) => Some(*v),
            Value::Integer(v) => Some(*v as f64),
            Value::Text(t) => t.parse().ok(),
            Value::Null => None,
        }
    }

    pub fn into_text(self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Integer(v) => Some(v.to_string()),
            Value::Float(v) => Some(v.to_string()),
            Value::Text(t) => Some(t),
        }
    }
}

/// A dataset database, whatever the backend.
pub trait Store {
    /// The SQL dialect of this store.
    fn dialect(&self) -> &dyn Dialect;

    /// Runs a statement that returns no rows.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<()>;

    /// Runs a query, calling `on_row` for each row.
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()>;

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
    ) -> Result<()>;

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
    fn table_names(&mut self) -> Result<Vec<String>>;

    /// Makes the database durable and applies its long-term settings after a
    /// bulk load (for example SQLite's journal mode).
    fn finish_load(&mut self) -> Result<()>;
}

/// Writes (or replaces) metadata entries in one transaction.
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
