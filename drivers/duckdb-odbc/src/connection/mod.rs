//! Connections: the DuckDB database instance shared by every connection
//! of this process to one file, opening (from a connection string or DSN,
//! see [`attributes`]) and closing, running statements that return nothing,
//! and transactions. A connection owns its statements ([`statement`]); the
//! entry points on connections are in `crate::connect`.

pub mod attributes;
pub mod lock;
pub mod statement;

use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::{Mutex, OnceLock};

use libduckdb_sys as ffi;

use crate::diagnostics::{state_of, Diagnostics};
use crate::odbc::{self, Handle, SqlReturn};
use attributes::{dsn_attributes, duckdb_settings, is_true, parse_connection_string, ODBC_KEYS};
use lock::ConnectionLock;
pub use statement::Statement;

/// A DuckDB database instance shared by every connection of this process
/// to the same file: two instances of one file would not see each other's
/// writes, and the last to checkpoint would overwrite the other's.
struct SharedDatabase {
    database: usize,
    users: usize,
    read_only: bool,
}

fn shared_databases() -> std::sync::MutexGuard<'static, HashMap<String, SharedDatabase>> {
    static DATABASES: OnceLock<Mutex<HashMap<String, SharedDatabase>>> = OnceLock::new();
    DATABASES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The key a database file is shared under: its canonical path (so that
/// `./a.duckdb` and `/abs/a.duckdb` meet), or `None` for in-memory
/// databases, which are private to their connection.
fn database_key(path: &str) -> Option<String> {
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    let as_given = std::path::Path::new(path);
    let absolute = std::fs::canonicalize(as_given).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|dir| dir.join(as_given))
            .unwrap_or_else(|_| as_given.to_path_buf())
    });
    Some(absolute.display().to_string())
}

pub struct Connection {
    pub diagnostics: Diagnostics,
    /// The database instance (shared per file, see [`SharedDatabase`]).
    pub database: ffi::duckdb_database,
    /// This ODBC connection's own DuckDB connection.
    pub connection: ffi::duckdb_connection,
    /// Where `database` is registered among the shared instances.
    shared_key: Option<String>,
    pub autocommit: bool,
    /// A transaction was opened because autocommit is off.
    pub in_transaction: bool,
    pub database_path: String,
    /// Statements are refused unless they only read (SQL_ATTR_ACCESS_MODE
    /// or `access_mode=READ_ONLY` in the DSN or connection string).
    pub read_only: bool,
    /// Read-only was asked for by the connection string or DSN; the
    /// application cannot lift it.
    pub read_only_by_dsn: bool,
    /// The statements allocated on this connection, freed with it.
    pub statements: Vec<*mut Statement>,
    /// The statement whose streamed result DuckDB is still producing on
    /// this connection. DuckDB abandons a streamed result when the same
    /// connection runs anything else, so it is read to the end first.
    pub streaming: *mut Statement,
    pub login_timeout: usize,
    /// Held by the thread inside an entry point on this connection or one
    /// of its statements: ODBC lets threads share a connection, DuckDB's
    /// connection runs one thing at a time.
    pub busy: ConnectionLock,
}

impl Connection {
    pub fn new() -> Connection {
        Connection {
            diagnostics: Diagnostics::default(),
            database: std::ptr::null_mut(),
            connection: std::ptr::null_mut(),
            shared_key: None,
            autocommit: true,
            in_transaction: false,
            database_path: String::new(),
            read_only: false,
            read_only_by_dsn: false,
            statements: Vec::new(),
            streaming: std::ptr::null_mut(),
            login_timeout: 0,
            busy: ConnectionLock::default(),
        }
    }

    /// The name DuckDB gives the open database (its catalog).
    pub fn catalog_name(&mut self) -> String {
        if !self.is_connected() {
            return String::new();
        }
        self.scalar("SELECT current_database()").unwrap_or_default()
    }

    /// The first value of a one-row query, as text.
    pub fn scalar(&mut self, sql: &str) -> Option<String> {
        self.before_query(std::ptr::null_mut());
        let c_sql = CString::new(sql).ok()?;
        unsafe {
            let mut result: ffi::duckdb_result = std::mem::zeroed();
            let state = ffi::duckdb_query(self.connection, c_sql.as_ptr(), &mut result);
            let value = if state == ffi::duckdb_state_DuckDBSuccess
                && ffi::duckdb_row_count(&mut result) > 0
            {
                let text = ffi::duckdb_value_varchar(&mut result, 0, 0);
                let value =
                    (!text.is_null()).then(|| CStr::from_ptr(text).to_string_lossy().into_owned());
                if !text.is_null() {
                    ffi::duckdb_free(text as *mut c_void);
                }
                value
            } else {
                None
            };
            ffi::duckdb_destroy_result(&mut result);
            value
        }
    }

    pub fn is_connected(&self) -> bool {
        !self.connection.is_null()
    }

    /// Opens the database named by a connection string: `DSN` (its
    /// attributes read from odbc.ini, those of the string taking
    /// precedence), `Database` (a path, or `:memory:`), `ReadOnly=1` (the
    /// ODBC spelling of `access_mode=READ_ONLY`); every key that DuckDB
    /// knows as a setting is passed on (`access_mode`, `threads`,
    /// `memory_limit`, ...) and any other (`Description`, `Trace`, a BI
    /// tool's or another vendor's) is ignored, as ODBC drivers do.
    pub fn connect(&mut self, connection_string: &str) -> SqlReturn {
        if self.is_connected() {
            return self
                .diagnostics
                .error("08002", "the connection is already open");
        }
        let given = parse_connection_string(connection_string);
        let mut attributes = Vec::new();
        if let Some((_, dsn)) = given
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("dsn"))
        {
            if !dsn.is_empty() {
                match unsafe { dsn_attributes(dsn) } {
                    Some(from_dsn) => attributes.extend(from_dsn),
                    None => {
                        return self.diagnostics.error(
                            "IM002",
                            format!("data source {dsn:?} is not defined in odbc.ini"),
                        )
                    }
                }
            }
        }
        // Later pairs win: the connection string overrides the DSN.
        for (key, value) in given {
            attributes.retain(|(k, _): &(String, String)| !k.eq_ignore_ascii_case(&key));
            attributes.push((key, value));
        }
        let mut path = None;
        let mut read_only = false;
        let mut settings = Vec::new();
        for (key, value) in &attributes {
            let lower = key.to_ascii_lowercase();
            match lower.as_str() {
                "database" | "dbq" => path = Some(value.trim().to_string()),
                _ if ODBC_KEYS.contains(&lower.as_str()) => {}
                "access_mode" => {
                    read_only = value.trim().eq_ignore_ascii_case("read_only");
                    settings.push((lower, value.clone()));
                }
                "readonly" | "read_only" if is_true(value) => {
                    read_only = true;
                    settings.retain(|(k, _)| k != "access_mode");
                    settings.push(("access_mode".into(), "READ_ONLY".into()));
                }
                "readonly" | "read_only" => {}
                _ if duckdb_settings().contains(&lower) => settings.push((lower, value.clone())),
                // Keys of other drivers and tools (Trace, TraceFile,
                // Trusted_Connection, a vendor's): not DuckDB's to judge.
                _ => {}
            }
        }
        let Some(path) = path.filter(|p| !p.is_empty()) else {
            return self.diagnostics.error(
                "08001",
                "no Database in the connection string or DSN (Database=:memory: opens an in-memory database)",
            );
        };
        let outcome = self.open(&path, &settings, read_only);
        if outcome != odbc::SUCCESS {
            return outcome;
        }
        self.read_only = self.read_only || read_only;
        self.read_only_by_dsn = read_only;
        self.database_path = path;
        odbc::SUCCESS
    }

    /// Opens (or joins) the database instance of `path` and connects to it.
    fn open(&mut self, path: &str, settings: &[(String, String)], read_only: bool) -> SqlReturn {
        let key = database_key(path);
        let mut registry = shared_databases();
        if let Some(shared) = key.as_ref().and_then(|k| registry.get_mut(k)) {
            if shared.read_only && !read_only {
                return self.diagnostics.error(
                    "08004",
                    format!("{path} is open read-only in this process; connect with access_mode=READ_ONLY"),
                );
            }
            shared.users += 1;
            self.database = shared.database as ffi::duckdb_database;
        } else {
            let outcome = self.open_instance(path, settings);
            if outcome != odbc::SUCCESS {
                return outcome;
            }
            if let Some(key) = &key {
                registry.insert(
                    key.clone(),
                    SharedDatabase {
                        database: self.database as usize,
                        users: 1,
                        read_only,
                    },
                );
            }
        }
        self.shared_key = key;
        drop(registry);
        unsafe {
            if ffi::duckdb_connect(self.database, &mut self.connection)
                != ffi::duckdb_state_DuckDBSuccess
            {
                self.connection = std::ptr::null_mut();
                self.release_database();
                return self
                    .diagnostics
                    .error("08001", format!("cannot connect to DuckDB database {path}"));
            }
        }
        odbc::SUCCESS
    }

    /// Opens a new DuckDB database instance with the given settings.
    fn open_instance(&mut self, path: &str, settings: &[(String, String)]) -> SqlReturn {
        unsafe {
            let mut config: ffi::duckdb_config = std::ptr::null_mut();
            if ffi::duckdb_create_config(&mut config) != ffi::duckdb_state_DuckDBSuccess {
                return self
                    .diagnostics
                    .error("HY001", "cannot create a DuckDB configuration");
            }
            for (setting, value) in settings {
                let (name, c_value) = (
                    CString::new(setting.as_str()).unwrap_or_default(),
                    CString::new(value.as_str()).unwrap_or_default(),
                );
                if ffi::duckdb_set_config(config, name.as_ptr(), c_value.as_ptr())
                    != ffi::duckdb_state_DuckDBSuccess
                {
                    ffi::duckdb_destroy_config(&mut config);
                    return self.diagnostics.error(
                        "HY024",
                        format!("unknown or invalid DuckDB setting {setting}={value:?}"),
                    );
                }
            }
            let c_path = CString::new(path).unwrap_or_default();
            let mut error: *mut c_char = std::ptr::null_mut();
            let state =
                ffi::duckdb_open_ext(c_path.as_ptr(), &mut self.database, config, &mut error);
            ffi::duckdb_destroy_config(&mut config);
            if state != ffi::duckdb_state_DuckDBSuccess {
                let message = if error.is_null() {
                    "unknown error".to_string()
                } else {
                    CStr::from_ptr(error).to_string_lossy().into_owned()
                };
                if !error.is_null() {
                    ffi::duckdb_free(error as *mut c_void);
                }
                self.database = std::ptr::null_mut();
                return self.diagnostics.error(
                    "08001",
                    format!("cannot open DuckDB database {path}: {message}"),
                );
            }
        }
        odbc::SUCCESS
    }

    /// Leaves the database instance, closing it when no connection of this
    /// process uses it any more.
    fn release_database(&mut self) {
        if self.database.is_null() {
            return;
        }
        let mut registry = shared_databases();
        let close = match self.shared_key.take() {
            Some(key) => match registry.get_mut(&key) {
                Some(shared) => {
                    shared.users -= 1;
                    if shared.users == 0 {
                        registry.remove(&key);
                        true
                    } else {
                        false
                    }
                }
                None => true,
            },
            None => true,
        };
        if close {
            unsafe { ffi::duckdb_close(&mut self.database) };
        }
        self.database = std::ptr::null_mut();
    }

    /// Frees the connection's statements, rolls back an open transaction
    /// and closes the DuckDB connection (and the database when this was its
    /// last user).
    pub fn disconnect(&mut self) {
        for statement in std::mem::take(&mut self.statements) {
            crate::registry::forget(statement as Handle);
            unsafe { drop(Box::from_raw(statement)) };
        }
        self.streaming = std::ptr::null_mut();
        if self.in_transaction && !self.connection.is_null() {
            self.end_transaction(false);
        }
        self.in_transaction = false;
        unsafe {
            if !self.connection.is_null() {
                ffi::duckdb_disconnect(&mut self.connection);
            }
        }
        self.connection = std::ptr::null_mut();
        self.release_database();
        self.read_only = false;
        self.read_only_by_dsn = false;
    }

    /// Called before anything runs on the DuckDB connection for
    /// `statement` (null for the connection itself): a streamed result of
    /// another statement is read to its end first, so it stays complete.
    pub fn before_query(&mut self, statement: *mut Statement) {
        let streaming = self.streaming;
        if streaming.is_null() || streaming == statement {
            return;
        }
        self.streaming = std::ptr::null_mut();
        if self.statements.contains(&streaming) {
            unsafe {
                if let Some(result) = (*streaming).result.as_mut() {
                    result.materialise();
                }
            }
        }
    }

    /// Runs one statement that returns nothing (transaction control).
    pub fn run(&mut self, sql: &str) -> SqlReturn {
        if self.connection.is_null() {
            return self
                .diagnostics
                .error("08003", "the connection is not open");
        }
        self.before_query(std::ptr::null_mut());
        let c_sql = CString::new(sql).unwrap_or_default();
        unsafe {
            let mut result: ffi::duckdb_result = std::mem::zeroed();
            let state = ffi::duckdb_query(self.connection, c_sql.as_ptr(), &mut result);
            let outcome = if state == ffi::duckdb_state_DuckDBSuccess {
                odbc::SUCCESS
            } else {
                let message = CStr::from_ptr(ffi::duckdb_result_error(&mut result))
                    .to_string_lossy()
                    .into_owned();
                self.diagnostics.error(state_of(&message), message)
            };
            ffi::duckdb_destroy_result(&mut result);
            outcome
        }
    }

    /// Opens a transaction before a statement when autocommit is off.
    pub fn ensure_transaction(&mut self) -> SqlReturn {
        if !self.autocommit && !self.in_transaction {
            let outcome = self.run("BEGIN TRANSACTION");
            if outcome != odbc::SUCCESS {
                return outcome;
            }
            self.in_transaction = true;
        }
        odbc::SUCCESS
    }

    pub fn end_transaction(&mut self, commit: bool) -> SqlReturn {
        if !self.in_transaction {
            return odbc::SUCCESS;
        }
        self.in_transaction = false;
        self.run(if commit { "COMMIT" } else { "ROLLBACK" })
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.disconnect();
    }
}
