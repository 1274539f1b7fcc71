//! The ODBC store itself: a connection to one dataset database (made from
//! an [`OdbcTarget`], with a pool slot on servers), its setting sets (session, bulk load, bulk compute, bulk read) from the
//! backend's profile, statements and queries with bound parameters,
//! transactions, errors decided by SQLSTATE, and a disconnect that never
//! panics. Bulk inserts and block fetches are in `insert` and `fetch`.

use std::path::Path;

use odbc_api::parameter::InputParameter;
use odbc_api::{Cursor, IntoParameter, Nullable, ResultSetMetadata};

use super::profile::OdbcProfile;
use super::rows::{close_cursor, read_rows};
use super::target::{connect_with_string, environment, OdbcTarget};
use crate::dialect::{self, Dialect};
use crate::error::{Error, Result};
use crate::model::{Batch, ColumnDef, Value};
use crate::store::{ExactDouble, LoadShape, Store};

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

/// A dataset database reached over ODBC.
pub struct OdbcStore {
    /// Taken out in `drop`, which disconnects without panicking.
    pub(super) conn: std::mem::ManuallyDrop<odbc_api::Connection<'static>>,
    pub(super) dialect: Box<dyn Dialect>,
    pub(super) target: OdbcTarget,
    pub(super) database: String,
    /// Whether the connection bulk-loads a new, private database.
    pub(super) bulk_load: bool,
    /// What the bulk load will write (zeros = not known).
    pub(super) shape: LoadShape,
    /// The connection's slot in the server pool, freed after disconnecting.
    pub(super) _permit: Option<super::pool::Permit>,
    /// Whether a transaction is open (other connections do not see what
    /// it wrote).
    pub(super) in_transaction: bool,
}

impl OdbcTarget {
    /// Connects to database `database`.
    pub fn connect(&self, database: &str) -> Result<OdbcStore> {
        let permit = match self.profile.pool() {
            Some(pool) => Some(super::pool::acquire(pool)?),
            None => None,
        };
        self.connect_with_permit(database, permit)
    }

    /// Connects to `database` holding `permit` (the pool slot taken for
    /// it, if any).
    fn connect_with_permit(
        &self,
        database: &str,
        permit: Option<super::pool::Permit>,
    ) -> Result<OdbcStore> {
        let environment = environment()?;
        let connection_string = self.connection(database).connection_string(true);
        let conn = connect_with_string(environment, &connection_string).map_err(|e| {
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
            in_transaction: false,
        };
        store.apply_settings(SettingSet::Session)?;
        Ok(store)
    }

    /// Connects to a database file (SQLite, DuckDB); with `bulk_load`, the
    /// file is new and private and gets the profile's bulk-load settings.
    pub fn connect_file(&self, path: &Path, bulk_load: bool) -> Result<OdbcStore> {
        let database = path.display().to_string();
        if bulk_load {
            self.connect_for_load(&database)
        } else {
            self.connect(&database)
        }
    }

    /// Connects to a new, private database that is about to be bulk-loaded,
    /// with the profile's bulk-load settings.
    pub fn connect_for_load(&self, database: &str) -> Result<OdbcStore> {
        let mut store = self.connect(database)?;
        store.bulk_load = true;
        store.apply_settings(SettingSet::BulkLoad)?;
        Ok(store)
    }
}

/// The sets of connection settings a profile defines.
#[derive(Clone, Copy)]
pub(super) enum SettingSet {
    Session,
    BulkLoad,
    /// Computing a table of this many columns.
    BulkCompute(usize),
    /// Reading this many columns of a whole table.
    BulkRead(usize),
    /// Building an index.
    Index,
}

impl OdbcStore {
    /// The backend's ODBC profile.
    pub(super) fn profile(&self) -> &dyn OdbcProfile {
        self.target.profile.as_ref()
    }

    pub(super) fn apply_settings(&mut self, settings: SettingSet) -> Result<()> {
        let profile = self.profile();
        let statements = match settings {
            SettingSet::Session => profile.session_statements(),
            SettingSet::BulkLoad => profile.bulk_load_statements(self.shape),
            SettingSet::BulkCompute(columns) => profile.bulk_compute_statements(columns),
            SettingSet::BulkRead(columns) => profile.bulk_read_statements(columns),
            SettingSet::Index => profile.index_statements(),
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

    pub(super) fn error(&self, what: &str, err: odbc_api::Error) -> Error {
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

impl Store for OdbcStore {
    fn dialect(&self) -> &dyn Dialect {
        self.dialect.as_ref()
    }

    /// The dialect's two exact integers where the driver rounds doubles.
    fn exact_double(&self, expression: &str) -> ExactDouble {
        if self.profile().rounds_doubles() {
            if let Some((mantissa, shift)) = self.dialect.exact_float_parts(expression) {
                return ExactDouble::parts(&mantissa, &shift);
            }
        }
        ExactDouble::plain(expression)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<()> {
        let parameters = Self::parameters(params);
        let wrap = |e: odbc_api::Error| self.error(&format!("execute `{}`", short_sql(sql)), e);
        crate::store::echo(sql);
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
        crate::store::echo(sql);
        match self
            .conn
            .execute(sql, &parameters[..], None)
            .map_err(wrap)?
        {
            Some(cursor) => read_rows(cursor, on_row, &wrap),
            None => Ok(()),
        }
    }

    /// Under the profile's index settings
    /// ([`super::profile::OdbcProfile::index_statements`]).
    fn build_index(&mut self, sql: &str) -> Result<()> {
        if self.profile().index_statements().is_empty() {
            return self.execute(sql, &[]);
        }
        self.under_settings(SettingSet::Index, |store| store.execute(sql, &[]))
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
            crate::store::insert_select_statement(store, target, select, source)
        })
    }

    /// On a server, as many as the machine has cores (up to 4): a query
    /// runs on one server process, and mdm's queries read through
    /// cursors, for which PostgreSQL plans no parallel workers.
    fn concurrent_statements(&self) -> usize {
        if self.profile().pool().is_none() {
            return 1;
        }
        std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
    }

    /// Runs the statements on this connection and on more connections to
    /// the same database, as many as the pool has free slots for (none
    /// inside a transaction: the others would not see its writes).
    fn query_each(&mut self, statements: &[String]) -> Result<Vec<Vec<Vec<Value>>>> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Mutex;
        let helpers = match self.profile().pool() {
            Some(pool) if !self.in_transaction && statements.len() > 1 => {
                (1..self.concurrent_statements().min(statements.len()))
                    .map_while(|_| super::pool::try_acquire(pool))
                    .collect::<Vec<_>>()
            }
            _ => Vec::new(),
        };
        let next = AtomicUsize::new(0);
        type Rows = Vec<Vec<Value>>;
        let results: Vec<Mutex<Option<Result<Rows>>>> =
            statements.iter().map(|_| Mutex::new(None)).collect();
        let run = |store: &mut OdbcStore| {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(sql) = statements.get(index) else {
                    break;
                };
                let mut rows = Vec::new();
                let result = store
                    .query(sql, &[], &mut |row| {
                        rows.push(row.to_vec());
                        Ok(())
                    })
                    .map(|()| rows);
                let failed = result.is_err();
                *results[index].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                if failed {
                    // The others stop at their next statement.
                    next.store(statements.len(), Ordering::Relaxed);
                }
            }
        };
        let (target, database) = (self.target.clone(), self.database.clone());
        let (target, database) = (&target, database.as_str());
        std::thread::scope(|scope| {
            for permit in helpers {
                scope.spawn(|| {
                    // A connection refused (a role's connection limit) only
                    // leaves the work to the others.
                    match target.connect_with_permit(database, Some(permit)) {
                        Ok(mut helper) => run(&mut helper),
                        Err(err) => log::debug!("no helper connection: {err}"),
                    }
                });
            }
            run(self);
        });
        results
            .into_iter()
            .map(|slot| {
                slot.into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .unwrap_or_else(|| Err(Error::General("a query was not run".into())))
            })
            .collect()
    }

    fn begin(&mut self) -> Result<()> {
        self.conn
            .set_autocommit(false)
            .map_err(|e| self.error("begin a transaction", e))?;
        self.in_transaction = true;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        self.conn.commit().map_err(|e| self.error("commit", e))?;
        self.in_transaction = false;
        self.conn
            .set_autocommit(true)
            .map_err(|e| self.error("end the transaction", e))
    }

    fn rollback(&mut self) -> Result<()> {
        self.conn
            .rollback()
            .map_err(|e| self.error("roll back", e))?;
        self.in_transaction = false;
        self.conn
            .set_autocommit(true)
            .map_err(|e| self.error("end the transaction", e))
    }

    fn append(&mut self, table: &str, columns: &[ColumnDef], batch: &Batch) -> Result<()> {
        self.append_batch(table, columns, batch)
    }

    fn scan_filtered(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        filter: &crate::store::RowFilter,
        batch_size: usize,
        on_batch: &mut dyn FnMut(&Batch) -> Result<()>,
    ) -> Result<()> {
        self.under_settings(SettingSet::BulkRead(columns.len()), |store| {
            store.scan_batches(table, columns, filter, batch_size, on_batch)
        })
    }

    fn query_named(
        &mut self,
        sql: &str,
        on_columns: &mut dyn FnMut(&[String]) -> Result<()>,
        on_row: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        let wrap = |e: odbc_api::Error| self.error(&format!("query `{}`", short_sql(sql)), e);
        crate::store::echo(sql);
        match self.conn.execute(sql, (), None).map_err(wrap)? {
            Some(mut cursor) => {
                let names = cursor
                    .column_names()
                    .map_err(wrap)?
                    .collect::<std::result::Result<Vec<String>, _>>()
                    .map_err(wrap)?;
                on_columns(&names)?;
                read_rows(cursor, on_row, &wrap)
            }
            None => on_columns(&[]),
        }
    }

    fn finish_load(&mut self) -> Result<()> {
        for statement in self.profile().finish_load_statements() {
            self.execute(&statement, &[])?;
        }
        Ok(())
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
