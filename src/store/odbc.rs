//! The generic ODBC store: one code path (odbc-api over unixODBC) for the
//! SQLite, DuckDB and PostgreSQL drivers. What differs between them comes
//! from the [`Dialect`]: type names, how values travel through buffers,
//! session settings and catalog queries. Parameter arrays carry whole
//! batches per round trip; block cursors fetch whole batches.

use std::path::Path;
use std::sync::OnceLock;

use odbc_api::buffers::{AnySlice, BufferDesc, ColumnarAnyBuffer};
use odbc_api::handles::StatementImpl;
use odbc_api::parameter::InputParameter;
use odbc_api::sys::{Date, Timestamp};
use odbc_api::{
    Bit, ConnectionOptions, Cursor, CursorImpl, DataType, Environment, IntoParameter, Nullable,
    ResultSetMetadata,
};

use super::{Connection, Store};
use crate::config::{Backend, Config, OdbcSettings, Settings};
use crate::dialect::{self, Dialect, LoadShape, Transfer};
use crate::error::{Error, Result};
use crate::model::parse::{parse_boolean, parse_timestamp};
use crate::model::{Batch, ColumnData, ColumnDef, ColumnType, Value};
use crate::time;

/// SQLSTATE of a refused privilege (PostgreSQL 42501).
const INSUFFICIENT_PRIVILEGE: &str = "42501";
/// SQLSTATE of `CREATE`/`ALTER DATABASE ... RENAME` onto a taken name.
const DUPLICATE_DATABASE: &str = "42P04";

/// The SQLSTATE of an ODBC error, when the driver gave one.
pub fn sqlstate(err: &odbc_api::Error) -> Option<String> {
    match err {
        odbc_api::Error::Diagnostics { record, .. } => Some(record.state.as_str().to_string()),
        _ => None,
    }
}

/// Bytes of text buffers bound at once; batches with long values are split
/// so that memory stays bounded.
const BUFFER_BUDGET: usize = 64 * 1024 * 1024;

/// The default ODBC driver of each backend, as registered by drivers/setup.sh.
pub fn default_driver(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "MDM SQLite3",
        Backend::Duckdb => "MDM DuckDB",
        Backend::Postgresql => "MDM PostgreSQL",
    }
}

pub(crate) fn environment() -> Result<&'static Environment> {
    static ENVIRONMENT: OnceLock<std::result::Result<Environment, String>> = OnceLock::new();
    ENVIRONMENT
        .get_or_init(|| Environment::new().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Backend(format!("cannot initialise unixODBC: {e}")))
}

/// How to reach one backend over ODBC: the DSN or driver, the attributes
/// that do not depend on the dataset, and the secret to keep out of
/// messages.
#[derive(Clone)]
pub struct OdbcTarget {
    backend: Backend,
    /// `DSN=` or `Driver=` first, then fixed attributes.
    attributes: Vec<(String, String)>,
    password: Option<String>,
    config: Config,
    /// What the connection is called in messages (DSN or driver name).
    label: String,
}

impl OdbcTarget {
    /// The ODBC target of `backend` in `settings`.
    pub fn new(settings: &Settings, backend: Backend) -> Result<OdbcTarget> {
        let database = &settings.config.database;
        let odbc = match backend {
            Backend::Sqlite => database.sqlite.odbc.clone(),
            Backend::Duckdb => database.duckdb.odbc.clone(),
            Backend::Postgresql => database.postgresql.odbc.clone(),
        }
        .unwrap_or_default();
        let OdbcSettings {
            dsn,
            driver,
            options,
        } = odbc;
        let (mut attributes, label) = match (dsn, driver) {
            (Some(dsn), _) => (vec![("DSN".to_string(), dsn.clone())], format!("DSN {dsn}")),
            (None, Some(driver)) => (
                vec![("Driver".to_string(), driver.clone())],
                format!("driver {driver}"),
            ),
            (None, None) => {
                let driver = default_driver(backend).to_string();
                (
                    vec![("Driver".to_string(), driver.clone())],
                    format!("driver {driver}"),
                )
            }
        };
        let uses_dsn = attributes[0].0 == "DSN";
        let mut password = None;
        match backend {
            Backend::Postgresql => {
                let pg = &database.postgresql;
                if !uses_dsn {
                    attributes.push(("Server".into(), pg.host.clone()));
                    attributes.push(("Port".into(), pg.port.to_string()));
                }
                if let Some(user) = &pg.user {
                    attributes.push(("Uid".into(), user.clone()));
                }
                attributes.push(("SSLmode".into(), pg.sslmode.to_string()));
                // libpq settings psqlODBC has no keyword of its own for go
                // through `pqopt`: the certificate files and the connect
                // timeout.
                let mut libpq = vec![format!("connect_timeout={}", database.connection_timeout)];
                for (key, value) in [
                    ("sslcert", &pg.sslcert),
                    ("sslkey", &pg.sslkey),
                    ("sslrootcert", &pg.sslrootcert),
                ] {
                    if let Some(value) = value {
                        libpq.push(format!(
                            "{key}='{}'",
                            value.replace('\\', "\\\\").replace('\'', "\\'")
                        ));
                    }
                }
                attributes.push(("pqopt".into(), libpq.join(" ")));
                // Booleans as SQL_BIT, text without the 8190-byte default
                // limit, and results fetched in chunks instead of buffered
                // whole in the driver.
                attributes.push(("BoolsAsChar".into(), "0".into()));
                attributes.push(("MaxLongVarcharSize".into(), "1073741823".into()));
                attributes.push(("UseDeclareFetch".into(), "1".into()));
                attributes.push((
                    "Fetch".into(),
                    settings.config.performance.batch_size.to_string(),
                ));
                attributes.push(("ConnSettings".into(), String::new()));
                attributes.retain(|(k, v)| !(k == "ConnSettings" && v.is_empty()));
                password = pg.password.clone().filter(|p| !p.is_empty());
            }
            Backend::Sqlite => {
                attributes.push((
                    "Timeout".into(),
                    (database.connection_timeout * 1000).to_string(),
                ));
                // Step through results instead of materialising them whole
                // in the driver (which took 660 MB to export 1M rows).
                attributes.push(("StepAPI".into(), "1".into()));
            }
            Backend::Duckdb => {
                let d = &database.duckdb;
                attributes.push(("access_mode".into(), d.access_mode.to_string()));
            }
        }
        for (key, value) in options {
            attributes.push((key, value));
        }
        Ok(OdbcTarget {
            backend,
            attributes,
            password,
            config: settings.config.clone(),
            label,
        })
    }

    /// The backend this target reaches.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How a client reaches database `database` (a file path for SQLite and
    /// DuckDB, a database name for PostgreSQL).
    pub fn connection(&self, database: &str) -> Connection {
        let mut attributes = self.attributes.clone();
        attributes.insert(1, ("Database".to_string(), database.to_string()));
        Connection {
            attributes,
            password: self.password.clone(),
        }
    }

    /// Hides the password in any text, on one line (driver diagnostics
    /// span several lines).
    pub fn redact(&self, text: &str) -> String {
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        match &self.password {
            Some(password) if !password.is_empty() => one_line.replace(password.as_str(), "***"),
            _ => one_line,
        }
    }

    /// Connects to database `database`.
    pub fn connect(&self, database: &str) -> Result<OdbcStore> {
        let environment = environment()?;
        let permit = match self.backend {
            Backend::Postgresql => Some(super::pool::acquire(self.config.database.pool())?),
            _ => None,
        };
        let connection_string = self.connection(database).connection_string(true);
        let conn = environment
            .connect_with_connection_string(&connection_string, ConnectionOptions::default())
            .map_err(|e| {
                Error::Backend(format!(
                    "cannot connect to {} database {database} through ODBC {}: {}",
                    self.backend,
                    self.label,
                    self.redact(&e.to_string())
                ))
            })?;
        let mut store = OdbcStore {
            conn: std::mem::ManuallyDrop::new(conn),
            dialect: dialect::for_backend(self.backend),
            target: self.clone(),
            database: database.to_string(),
            bulk_load: false,
            shape: LoadShape::default(),
            _permit: permit,
        };
        store.apply_settings(SettingSet::Session)?;
        Ok(store)
    }

    /// Connects to a database file (SQLite, DuckDB); with `bulk_load`, the
    /// file is new and private and gets the dialect's bulk-load settings.
    pub fn connect_file(&self, path: &Path, bulk_load: bool) -> Result<OdbcStore> {
        let database = path.display().to_string();
        if bulk_load {
            self.connect_for_load(&database)
        } else {
            self.connect(&database)
        }
    }

    /// Connects to a new, private database that is about to be bulk-loaded,
    /// with the dialect's bulk-load settings.
    pub fn connect_for_load(&self, database: &str) -> Result<OdbcStore> {
        let mut store = self.connect(database)?;
        store.bulk_load = true;
        store.apply_settings(SettingSet::BulkLoad)?;
        Ok(store)
    }

    /// The configuration this target was made from.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// A dataset database reached over ODBC.
pub struct OdbcStore {
    /// Taken out in `drop`, which disconnects without panicking.
    conn: std::mem::ManuallyDrop<odbc_api::Connection<'static>>,
    dialect: Box<dyn Dialect>,
    target: OdbcTarget,
    database: String,
    /// Whether the connection bulk-loads a new, private database.
    bulk_load: bool,
    /// What the bulk load will write (zeros = not known).
    shape: LoadShape,
    /// The connection's slot in the server pool, freed after disconnecting.
    _permit: Option<super::pool::Permit>,
}

/// The sets of connection settings a dialect defines.
#[derive(Clone, Copy)]
enum SettingSet {
    Session,
    BulkLoad,
    /// Computing a table of this many columns.
    BulkCompute(usize),
    /// Reading this many columns of a whole table.
    BulkRead(usize),
}

impl OdbcStore {
    fn apply_settings(&mut self, settings: SettingSet) -> Result<()> {
        let config = self.target.config();
        let statements = match settings {
            SettingSet::Session => self.dialect.session_statements(config),
            SettingSet::BulkLoad => self.dialect.bulk_load_statements(config, self.shape),
            SettingSet::BulkCompute(columns) => {
                self.dialect.bulk_compute_statements(config, columns)
            }
            SettingSet::BulkRead(columns) => self.dialect.bulk_read_statements(config, columns),
        };
        for statement in statements {
            self.execute(&statement, &[])?;
        }
        Ok(())
    }

    /// Runs `work` under one of the bulk setting sets, then puts the
    /// connection's own settings back, whatever the outcome.
    fn under_settings<T>(
        &mut self,
        settings: SettingSet,
        work: impl FnOnce(&mut OdbcStore) -> Result<T>,
    ) -> Result<T> {
        self.apply_settings(settings)?;
        let result = work(self);
        let restored = self.apply_settings(SettingSet::Session).and_then(|()| {
            if self.bulk_load {
                self.apply_settings(SettingSet::BulkLoad)
            } else {
                Ok(())
            }
        });
        let value = result?;
        restored?;
        Ok(value)
    }

    /// [`Store::scan`] under the connection's current settings.
    fn scan_batches(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        batch_size: usize,
        on_batch: &mut dyn FnMut(&Batch) -> Result<()>,
    ) -> Result<()> {
        let lengths = self.max_text_lengths(table, columns)?;
        // What each column fetches: one buffer (`Some(transfer)`), or two
        // integers for doubles the driver would round (`None`).
        let mut expressions = Vec::new();
        let mut descs = Vec::new();
        let mut plans = Vec::new();
        for (column, length) in columns.iter().zip(&lengths) {
            let quoted = self.dialect.quote_identifier(&column.name);
            let transfer = self.dialect.transfer(column.column_type);
            if transfer == Transfer::Float {
                if let Some((mantissa, shift)) = self.dialect.exact_float_parts(&quoted) {
                    plans.push((None, descs.len()));
                    expressions.extend([mantissa, shift]);
                    descs.extend([
                        BufferDesc::I64 { nullable: true },
                        BufferDesc::I64 { nullable: true },
                    ]);
                    continue;
                }
            }
            plans.push((Some(transfer), descs.len()));
            expressions.push(quoted);
            descs.push(match transfer {
                Transfer::Integer => BufferDesc::I64 { nullable: true },
                Transfer::Float => BufferDesc::F64 { nullable: true },
                Transfer::Bit => BufferDesc::Bit { nullable: true },
                Transfer::Date => BufferDesc::Date { nullable: true },
                Transfer::Timestamp => BufferDesc::Timestamp { nullable: true },
                Transfer::Text => BufferDesc::Text {
                    max_str_len: *length,
                },
            });
        }
        let row_bytes: usize = descs
            .iter()
            .map(|d| d.bytes_per_row())
            .sum::<usize>()
            .max(1);
        let rows = (BUFFER_BUDGET / row_bytes).clamp(1, batch_size.max(1));
        let sql = format!(
            "SELECT {} FROM {}",
            expressions.join(", "),
            self.dialect.quote_identifier(table)
        );
        let wrap = |e: odbc_api::Error| self.error(&format!("read {table}"), e);
        super::echo(&sql);
        let Some(cursor) = self.conn.execute(&sql, (), None).map_err(wrap)? else {
            return Ok(());
        };
        let buffer = ColumnarAnyBuffer::try_from_descs(rows, descs).map_err(|e| {
            Error::Backend(format!("cannot allocate fetch buffers for {table}: {e}"))
        })?;
        let mut block = cursor.bind_buffer(buffer).map_err(wrap)?;
        let mut batch = Batch::new(columns, rows);
        let result = (|| -> Result<()> {
            while let Some(fetched) = block.fetch_with_truncation_check(true).map_err(wrap)? {
                batch.clear();
                let count = fetched.num_rows();
                for ((column, data), (transfer, at)) in
                    columns.iter().zip(batch.columns.iter_mut()).zip(&plans)
                {
                    let filled = match (transfer, data) {
                        (None, ColumnData::Float(out)) => {
                            match (fetched.column(*at), fetched.column(at + 1)) {
                                (
                                    AnySlice::NullableI64(mantissas),
                                    AnySlice::NullableI64(shifts),
                                ) => {
                                    out.extend(
                                        mantissas
                                            .zip(shifts)
                                            .take(count)
                                            .map(|(m, s)| crate::dialect::float_from_parts(m, s)),
                                    );
                                    Ok(())
                                }
                                _ => Err("unexpected buffers for an exact double".to_string()),
                            }
                        }
                        (_, data) => fill_column(data, fetched.column(*at), count),
                    };
                    filled.map_err(|why| {
                        Error::Backend(format!(
                            "{} database {}: table {table}, column '{}': {why}",
                            self.target.backend, self.database, column.name
                        ))
                    })?;
                }
                on_batch(&batch)?;
            }
            Ok(())
        })();
        close_cursor(block, result)
    }

    fn error(&self, what: &str, err: odbc_api::Error) -> Error {
        let message = format!(
            "{} database {} ({}): {what}: {}",
            self.target.backend,
            self.database,
            self.target.label,
            self.target.redact(&err.to_string())
        );
        // Decided by SQLSTATE, whatever language the server speaks.
        let sqlstate = sqlstate(&err);
        match sqlstate.as_deref() {
            Some(INSUFFICIENT_PRIVILEGE) => Error::PermissionDenied(message),
            Some(DUPLICATE_DATABASE) => Error::AlreadyExists(message),
            _ => Error::Odbc {
                message,
                sqlstate,
                source: err,
            },
        }
    }

    fn parameters(params: &[Value]) -> Vec<Box<dyn InputParameter>> {
        params
            .iter()
            .map(|value| -> Box<dyn InputParameter> {
                match value {
                    Value::Null => Box::new(Nullable::<i64>::null()),
                    Value::Integer(v) => Box::new(*v),
                    Value::Float(v) => Box::new(*v),
                    Value::Text(t) => Box::new(t.clone().into_parameter()),
                }
            })
            .collect()
    }

    /// Inserts a batch with one array parameter per column.
    fn insert_arrays(&mut self, sql: &str, table: &str, batch: &Batch) -> Result<()> {
        let arrays: Vec<String> = batch.columns.iter().map(array_literal).collect();
        let parameters: Vec<Box<dyn InputParameter>> = arrays
            .into_iter()
            .map(|a| -> Box<dyn InputParameter> { Box::new(a.into_parameter()) })
            .collect();
        super::echo(sql);
        self.conn
            .execute(sql, &parameters[..], None)
            .map(|_| ())
            .map_err(|e| self.error(&format!("insert into {table}"), e))
    }

    /// Inserts `rows` rows from `start`: full statements of the dialect's
    /// rows per `INSERT` as one parameter array, then one statement for the
    /// rest.
    fn insert_chunk(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        batch: &Batch,
        start: usize,
        rows: usize,
    ) -> Result<()> {
        let per_statement = self
            .dialect
            .rows_per_insert(columns.len())
            .clamp(1, rows.max(1));
        let full = rows / per_statement;
        if full > 0 {
            self.insert_statements(table, columns, batch, start, per_statement, full)?;
        }
        let rest = rows - full * per_statement;
        if rest > 0 {
            self.insert_statements(table, columns, batch, start + full * per_statement, rest, 1)?;
        }
        Ok(())
    }

    /// Executes an `INSERT` of `per_statement` rows once per parameter set;
    /// set `k` carries rows `first + k * per_statement ..` of the batch.
    fn insert_statements(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        batch: &Batch,
        first: usize,
        per_statement: usize,
        sets: usize,
    ) -> Result<()> {
        let rows = per_statement * sets;
        let transfers: Vec<Transfer> = columns
            .iter()
            .map(|c| self.dialect.transfer(c.column_type))
            .collect();
        let texts: Vec<Option<Vec<Option<String>>>> = batch
            .columns
            .iter()
            .zip(&transfers)
            .map(|(data, transfer)| {
                (*transfer == Transfer::Text).then(|| text_values(data, first, rows))
            })
            .collect();
        let column_descs: Vec<BufferDesc> = transfers
            .iter()
            .zip(&texts)
            .map(|(transfer, text)| match transfer {
                Transfer::Integer => BufferDesc::I64 { nullable: true },
                Transfer::Float => BufferDesc::F64 { nullable: true },
                Transfer::Bit => BufferDesc::Bit { nullable: true },
                Transfer::Date => BufferDesc::Date { nullable: true },
                Transfer::Timestamp => BufferDesc::Timestamp { nullable: true },
                Transfer::Text => BufferDesc::Text {
                    max_str_len: text
                        .as_ref()
                        .map(|values| values.iter().flatten().map(String::len).max().unwrap_or(0))
                        .unwrap_or(0)
                        .max(1),
                },
            })
            .collect();
        let descs: Vec<BufferDesc> = (0..per_statement)
            .flat_map(|_| column_descs.iter().copied())
            .collect();
        let sql = self.dialect.insert(table, columns, per_statement);
        super::echo(&sql);
        let prepared = self
            .conn
            .prepare(&sql)
            .map_err(|e| self.error("prepare insert", e))?;
        let mut inserter = prepared.into_column_inserter(sets, descs).map_err(|e| {
            Error::Backend(format!(
                "cannot bind insert buffers: {}",
                self.target.redact(&e.to_string())
            ))
        })?;
        inserter.set_num_rows(sets);
        let width = columns.len();
        for slot in 0..per_statement {
            // Batch rows of this placeholder row, one per parameter set.
            let offsets = || (0..sets).map(move |set| set * per_statement + slot);
            for (index, ((data, transfer), text)) in
                batch.columns.iter().zip(&transfers).zip(&texts).enumerate()
            {
                let column = inserter.column_mut(slot * width + index);
                match (transfer, data) {
                    (Transfer::Text, _) => {
                        let values = text.as_ref().expect("text values");
                        let mut view = column.as_text_view().expect("text buffer");
                        for (set, offset) in offsets().enumerate() {
                            view.set_cell(set, values[offset].as_deref().map(str::as_bytes));
                        }
                    }
                    (Transfer::Integer, ColumnData::Integer(v)) => {
                        let mut cells = column.as_nullable_slice::<i64>().expect("i64 buffer");
                        cells.write(offsets().map(|o| v[first + o]));
                    }
                    (Transfer::Integer, ColumnData::Boolean(v)) => {
                        let mut cells = column.as_nullable_slice::<i64>().expect("i64 buffer");
                        cells.write(offsets().map(|o| v[first + o].map(i64::from)));
                    }
                    (Transfer::Float, ColumnData::Float(v)) => {
                        let mut cells = column.as_nullable_slice::<f64>().expect("f64 buffer");
                        cells.write(offsets().map(|o| v[first + o]));
                    }
                    (Transfer::Bit, ColumnData::Boolean(v)) => {
                        let mut cells = column.as_nullable_slice::<Bit>().expect("bit buffer");
                        cells.write(offsets().map(|o| v[first + o].map(Bit::from_bool)));
                    }
                    (Transfer::Date, ColumnData::Date(v)) => {
                        let mut cells = column.as_nullable_slice::<Date>().expect("date buffer");
                        cells.write(offsets().map(|o| v[first + o].map(to_odbc_date)));
                    }
                    (Transfer::Timestamp, ColumnData::Datetime(v)) => {
                        let mut cells = column
                            .as_nullable_slice::<Timestamp>()
                            .expect("timestamp buffer");
                        cells.write(offsets().map(|o| v[first + o].map(to_odbc_timestamp)));
                    }
                    (transfer, _) => {
                        return Err(Error::Backend(format!(
                            "the {} dialect cannot bind column '{}' as {transfer:?}",
                            self.dialect.name(),
                            columns[index].name
                        )))
                    }
                }
            }
        }
        inserter
            .execute()
            .map_err(|e| self.error(&format!("insert into {table}"), e))?;
        Ok(())
    }

    fn max_text_lengths(&mut self, table: &str, columns: &[ColumnDef]) -> Result<Vec<usize>> {
        let text_columns: Vec<usize> = (0..columns.len())
            .filter(|&i| self.dialect.transfer(columns[i].column_type) == Transfer::Text)
            .collect();
        let mut lengths = vec![0usize; columns.len()];
        if text_columns.is_empty() {
            return Ok(lengths);
        }
        let expressions: Vec<String> = text_columns
            .iter()
            .map(|&i| {
                let column = self.dialect.quote_identifier(&columns[i].name);
                format!("MAX({})", self.dialect.octet_length(&column))
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM {}",
            expressions.join(", "),
            self.dialect.quote_identifier(table)
        );
        let mut found = Vec::new();
        self.query(&sql, &[], &mut |row| {
            found = row
                .iter()
                .map(|v| v.as_i64().unwrap_or(0).max(0) as usize)
                .collect();
            Ok(())
        })?;
        for (slot, &index) in text_columns.iter().enumerate() {
            // Dates and timestamps as text are at most 26 bytes.
            lengths[index] = found.get(slot).copied().unwrap_or(0).max(32);
        }
        Ok(lengths)
    }
}

impl Drop for OdbcStore {
    /// Disconnects, rolling back whatever is open. odbc-api's own drop panics
    /// when a driver refuses (the SQLite driver does after a failed write:
    /// "incomplete transaction"), which would turn a clean error into a
    /// crash; a connection that cannot be closed is left to the process exit.
    fn drop(&mut self) {
        // Safety: `conn` is not used again after this.
        let conn = unsafe { std::mem::ManuallyDrop::take(&mut self.conn) };
        let mut handle = conn.into_handle();
        if handle.disconnect().into_result(&handle).is_ok() {
            return;
        }
        let _ = handle.rollback();
        let _ = handle.set_autocommit(true);
        if handle.disconnect().into_result(&handle).is_err() {
            log::debug!(
                "cannot disconnect from {} database {}",
                self.target.backend,
                self.database
            );
            std::mem::forget(handle);
        }
    }
}

/// A column as an array literal (`{1,NULL,"text"}`): numbers in shortest
/// round-trip form, text always quoted with `\\` and `"` escaped.
fn array_literal(data: &ColumnData) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(data.len() * 12 + 2);
    out.push('{');
    let mut integers = itoa::Buffer::new();
    let mut floats = ryu::Buffer::new();
    for row in 0..data.len() {
        if row > 0 {
            out.push(',');
        }
        match data {
            ColumnData::Integer(v) => match v[row] {
                Some(x) => out.push_str(integers.format(x)),
                None => out.push_str("NULL"),
            },
            ColumnData::Float(v) => match v[row] {
                Some(x) if x.is_finite() => out.push_str(floats.format_finite(x)),
                Some(x) if x > 0.0 => out.push_str("Infinity"),
                Some(_) => out.push_str("-Infinity"),
                None => out.push_str("NULL"),
            },
            ColumnData::Boolean(v) => match v[row] {
                Some(x) => out.push(if x { 't' } else { 'f' }),
                None => out.push_str("NULL"),
            },
            ColumnData::Date(v) => match v[row] {
                Some(x) => out.push_str(&time::format_date(x)),
                None => out.push_str("NULL"),
            },
            ColumnData::Datetime(v) => match v[row] {
                Some(x) => {
                    let _ = write!(out, "\"{}\"", time::format_datetime(x));
                }
                None => out.push_str("NULL"),
            },
            ColumnData::Text(v) => match v.get(row) {
                Some(text) => {
                    out.push('"');
                    for c in text.chars() {
                        if c == '"' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push('"');
                }
                None => out.push_str("NULL"),
            },
        }
    }
    out.push('}');
    out
}

/// A column's values in mdm's canonical text form.
fn text_values(data: &ColumnData, start: usize, rows: usize) -> Vec<Option<String>> {
    let range = start..start + rows;
    match data {
        ColumnData::Text(v) => range.map(|r| v.get(r).map(str::to_string)).collect(),
        ColumnData::Date(v) => v[range].iter().map(|d| d.map(time::format_date)).collect(),
        ColumnData::Datetime(v) => v[range]
            .iter()
            .map(|t| t.map(time::format_datetime))
            .collect(),
        ColumnData::Integer(v) => v[range].iter().map(|x| x.map(|x| x.to_string())).collect(),
        ColumnData::Float(v) => v[range]
            .iter()
            .map(|x| x.map(|x| ryu::Buffer::new().format(x).to_string()))
            .collect(),
        ColumnData::Boolean(v) => v[range].iter().map(|x| x.map(|x| x.to_string())).collect(),
    }
}

fn to_odbc_date(days: i32) -> Date {
    let (year, month, day) = time::civil_from_days(days as i64);
    Date {
        year: year as i16,
        month: month as u16,
        day: day as u16,
    }
}

fn to_odbc_timestamp(micros: i64) -> Timestamp {
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let (year, month, day) = time::civil_from_days(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    Timestamp {
        year: year as i16,
        month: month as u16,
        day: day as u16,
        hour: (in_day / 3600) as u16,
        minute: (in_day % 3600 / 60) as u16,
        second: (in_day % 60) as u16,
        fraction: (fraction * 1000) as u32,
    }
}

pub(crate) fn from_odbc_date(date: &Date) -> i32 {
    time::days_from_civil(date.year as i64, date.month as u32, date.day as u32) as i32
}

pub(crate) fn from_odbc_timestamp(ts: &Timestamp) -> i64 {
    let days = time::days_from_civil(ts.year as i64, ts.month as u32, ts.day as u32);
    let seconds = days * 86_400 + ts.hour as i64 * 3600 + ts.minute as i64 * 60 + ts.second as i64;
    seconds * 1_000_000 + (ts.fraction / 1000) as i64
}

fn is_integer_type(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::TinyInt
            | DataType::SmallInt
            | DataType::Integer
            | DataType::BigInt
            | DataType::Bit
    ) || matches!(
        data_type,
        DataType::Numeric { scale: 0, .. } | DataType::Decimal { scale: 0, .. }
    )
}

fn is_float_type(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Float { .. }
            | DataType::Real
            | DataType::Double
            | DataType::Numeric { .. }
            | DataType::Decimal { .. }
    )
}

/// Closes a cursor after its rows were read. After a failure — a
/// connection that is gone, most often — the cursor is left open instead:
/// odbc-api panics when closing fails, and the connection is abandoned
/// with the error anyway.
pub(crate) fn close_cursor<C>(cursor: C, result: Result<()>) -> Result<()> {
    if result.is_err() {
        std::mem::forget(cursor);
    }
    result
}

/// Reads all rows of a cursor as generic values.
fn read_rows(
    mut cursor: CursorImpl<StatementImpl<'_>>,
    on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    wrap: &dyn Fn(odbc_api::Error) -> Error,
) -> Result<()> {
    let result = read_all_rows(&mut cursor, on_row, wrap);
    close_cursor(cursor, result)
}

fn read_all_rows(
    cursor: &mut CursorImpl<StatementImpl<'_>>,
    on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    wrap: &dyn Fn(odbc_api::Error) -> Error,
) -> Result<()> {
    let width = cursor.num_result_cols().map_err(wrap)? as u16;
    let mut types = Vec::with_capacity(width as usize);
    for column in 1..=width {
        types.push(cursor.col_data_type(column).map_err(wrap)?);
    }
    let mut text = Vec::new();
    let mut values = Vec::with_capacity(width as usize);
    while let Some(mut row) = cursor.next_row().map_err(wrap)? {
        values.clear();
        for (index, data_type) in types.iter().enumerate() {
            let column = index as u16 + 1;
            let value = if is_integer_type(data_type) {
                let mut v = Nullable::<i64>::null();
                row.get_data(column, &mut v).map_err(wrap)?;
                v.into_opt().map_or(Value::Null, Value::Integer)
            } else if is_float_type(data_type) {
                let mut v = Nullable::<f64>::null();
                row.get_data(column, &mut v).map_err(wrap)?;
                v.into_opt().map_or(Value::Null, Value::Float)
            } else if row.get_text(column, &mut text).map_err(wrap)? {
                Value::Text(String::from_utf8_lossy(&text).into_owned())
            } else {
                Value::Null
            };
            values.push(value);
        }
        on_row(&values)?;
    }
    Ok(())
}

impl Store for OdbcStore {
    fn dialect(&self) -> &dyn Dialect {
        self.dialect.as_ref()
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<()> {
        let parameters = Self::parameters(params);
        let wrap = |e: odbc_api::Error| self.error(&format!("execute `{}`", short_sql(sql)), e);
        super::echo(sql);
        // Drivers that step lazily (SQLite with StepAPI) only run a
        // statement that returns rows (`PRAGMA journal_mode = WAL`) as its
        // rows are fetched.
        if let Some(mut cursor) = self
            .conn
            .execute(sql, &parameters[..], None)
            .map_err(wrap)?
        {
            let result = (|| {
                while cursor.next_row().map_err(wrap)?.is_some() {}
                Ok(())
            })();
            return close_cursor(cursor, result);
        }
        Ok(())
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        let parameters = Self::parameters(params);
        let wrap = |e: odbc_api::Error| self.error(&format!("query `{}`", short_sql(sql)), e);
        super::echo(sql);
        match self
            .conn
            .execute(sql, &parameters[..], None)
            .map_err(wrap)?
        {
            Some(cursor) => read_rows(cursor, on_row, &wrap),
            None => Ok(()),
        }
    }

    fn expect(&mut self, shape: LoadShape) -> Result<()> {
        self.shape = shape;
        if self.bulk_load {
            self.apply_settings(SettingSet::BulkLoad)?;
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
        self.under_settings(SettingSet::BulkCompute(columns.len()), |store| {
            super::insert_select_statement(store, target, select, source)
        })
    }

    fn begin(&mut self) -> Result<()> {
        self.conn
            .set_autocommit(false)
            .map_err(|e| self.error("begin a transaction", e))
    }

    fn commit(&mut self) -> Result<()> {
        self.conn.commit().map_err(|e| self.error("commit", e))?;
        self.conn
            .set_autocommit(true)
            .map_err(|e| self.error("end the transaction", e))
    }

    fn rollback(&mut self) -> Result<()> {
        self.conn
            .rollback()
            .map_err(|e| self.error("roll back", e))?;
        self.conn
            .set_autocommit(true)
            .map_err(|e| self.error("end the transaction", e))
    }

    fn append(&mut self, table: &str, columns: &[ColumnDef], batch: &Batch) -> Result<()> {
        if let Some(sql) = self.dialect.insert_column_arrays(table, columns) {
            return self.insert_arrays(&sql, table, batch);
        }
        // Rows per round trip, bounded by the bytes their text buffers need.
        let total = batch.len();
        let row_bytes: usize = batch
            .columns
            .iter()
            .zip(columns)
            .map(
                |(data, c)| match (self.dialect.transfer(c.column_type), data) {
                    (Transfer::Text, ColumnData::Text(v)) => {
                        (0..v.len())
                            .map(|r| v.get(r).map_or(0, str::len))
                            .max()
                            .unwrap_or(0)
                            + 1
                    }
                    (Transfer::Text, _) => 32,
                    _ => 16,
                },
            )
            .sum::<usize>()
            .max(1);
        for (start, rows) in super::chunks(total, BUFFER_BUDGET / row_bytes) {
            self.insert_chunk(table, columns, batch, start, rows)?;
        }
        Ok(())
    }

    fn scan(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        batch_size: usize,
        on_batch: &mut dyn FnMut(&Batch) -> Result<()>,
    ) -> Result<()> {
        self.under_settings(SettingSet::BulkRead(columns.len()), |store| {
            store.scan_batches(table, columns, batch_size, on_batch)
        })
    }

    fn table_names(&mut self) -> Result<Vec<String>> {
        let sql = self.dialect.list_tables();
        let mut names = Vec::new();
        self.query(&sql, &[], &mut |row| {
            if let Some(Value::Text(name)) = row.first() {
                names.push(name.clone());
            }
            Ok(())
        })?;
        Ok(names)
    }

    fn finish_load(&mut self) -> Result<()> {
        for statement in self.dialect.finish_load_statements(self.target.config()) {
            self.execute(&statement, &[])?;
        }
        Ok(())
    }
}

/// Moves one fetched column into a typed batch column.
pub(crate) fn fill_column(
    data: &mut ColumnData,
    slice: AnySlice<'_>,
    rows: usize,
) -> std::result::Result<(), String> {
    match (data, slice) {
        (ColumnData::Integer(out), AnySlice::NullableI64(values)) => {
            out.extend(values.take(rows).map(|v| v.copied()))
        }
        (ColumnData::Boolean(out), AnySlice::NullableI64(values)) => {
            out.extend(values.take(rows).map(|v| v.map(|x| *x != 0)))
        }
        (ColumnData::Float(out), AnySlice::NullableF64(values)) => {
            out.extend(values.take(rows).map(|v| v.copied()))
        }
        (ColumnData::Boolean(out), AnySlice::NullableBit(values)) => {
            out.extend(values.take(rows).map(|v| v.map(|b| b.as_bool())))
        }
        (ColumnData::Date(out), AnySlice::NullableDate(values)) => {
            out.extend(values.take(rows).map(|v| v.map(from_odbc_date)))
        }
        (ColumnData::Datetime(out), AnySlice::NullableTimestamp(values)) => {
            out.extend(values.take(rows).map(|v| v.map(from_odbc_timestamp)))
        }
        (data, AnySlice::Text(view)) => {
            for row in 0..rows {
                match view.get(row) {
                    None => data.push_null(),
                    Some(bytes) => {
                        let text = std::str::from_utf8(bytes)
                            .map_err(|_| format!("row {}: invalid UTF-8", row + 1))?;
                        let ok = match data {
                            ColumnData::Text(v) => {
                                v.push(Some(text));
                                true
                            }
                            ColumnData::Date(v) => {
                                time::parse_date(text).map(|d| v.push(Some(d))).is_some()
                            }
                            ColumnData::Datetime(v) => {
                                parse_timestamp(text).map(|t| v.push(Some(t))).is_some()
                            }
                            ColumnData::Boolean(v) => {
                                parse_boolean(text).map(|b| v.push(Some(b))).is_some()
                            }
                            ColumnData::Integer(v) => text.parse().map(|i| v.push(Some(i))).is_ok(),
                            ColumnData::Float(v) => text.parse().map(|f| v.push(Some(f))).is_ok(),
                        };
                        if !ok {
                            return Err(format!(
                                "row {}: stored value {text:?} does not fit its type",
                                row + 1
                            ));
                        }
                    }
                }
            }
        }
        (data, _) => {
            return Err(format!(
                "unexpected buffer for a {} column",
                column_type_name(data)
            ))
        }
    }
    Ok(())
}

fn column_type_name(data: &ColumnData) -> &'static str {
    match data {
        ColumnData::Boolean(_) => ColumnType::Boolean.as_str(),
        ColumnData::Integer(_) => ColumnType::Integer.as_str(),
        ColumnData::Float(_) => ColumnType::Float.as_str(),
        ColumnData::Date(_) => ColumnType::Date.as_str(),
        ColumnData::Datetime(_) => ColumnType::Datetime.as_str(),
        ColumnData::Text(_) => ColumnType::Text.as_str(),
    }
}

fn short_sql(sql: &str) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 80 {
        format!("{}…", flat.chars().take(79).collect::<String>())
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literals_quote_text_and_spell_nulls() {
        let mut text = crate::model::TextColumn::default();
        for value in [
            Some("a\"b"),
            None,
            Some("NULL"),
            Some("back\\slash"),
            Some(""),
        ] {
            text.push(value);
        }
        assert_eq!(
            array_literal(&ColumnData::Text(text)),
            r#"{"a\"b",NULL,"NULL","back\\slash",""}"#
        );
        let floats =
            ColumnData::Float(vec![Some(1e308), None, Some(f64::NEG_INFINITY), Some(-0.0)]);
        assert_eq!(array_literal(&floats), "{1e308,NULL,-Infinity,-0.0}");
        assert_eq!(
            array_literal(&ColumnData::Boolean(vec![Some(true), None])),
            "{t,NULL}"
        );
    }

    #[test]
    fn doubles_are_rebuilt_exactly_from_their_parts() {
        for value in [
            1.0f64,
            0.1,
            -0.30000000000000004,
            123456789.12345679,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -1.5e-300,
            1e308,
        ] {
            // What the SQL expression computes: floor(log2|x|), give or take one.
            for error in [-1i64, 0, 1] {
                let exponent = value.abs().log2().floor() as i64 + error;
                let shift = 54 - exponent;
                let first = (shift / 2) as i32;
                let second = (shift - shift / 2) as i32;
                let scaled = value * 2f64.powi(first) * 2f64.powi(second);
                assert_eq!(scaled.fract(), 0.0, "{value} scaled by {shift}");
                let rebuilt =
                    crate::dialect::float_from_parts(Some(&(scaled as i64)), Some(&shift)).unwrap();
                assert_eq!(
                    rebuilt.to_bits(),
                    value.to_bits(),
                    "{value} via shift {shift}"
                );
            }
        }
        assert_eq!(
            crate::dialect::float_from_parts(Some(&-1), Some(&-100_000)),
            Some(f64::NEG_INFINITY)
        );
        assert_eq!(crate::dialect::float_from_parts(None, None), None);
    }

    #[test]
    fn odbc_dates_and_timestamps_convert_both_ways() {
        for micros in [0i64, -1, 1_709_164_800_123_456, -62_135_596_800_000_000] {
            assert_eq!(from_odbc_timestamp(&to_odbc_timestamp(micros)), micros);
        }
        for days in [0, -1, 19_782, -719_162] {
            assert_eq!(from_odbc_date(&to_odbc_date(days)), days);
        }
    }
}
