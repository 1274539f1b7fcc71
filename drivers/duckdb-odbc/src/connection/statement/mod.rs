//! A statement: its state (bound columns and parameters, attributes, the
//! prepared statement and its result), preparing (with escape translation
//! and the read-only check) and executing SQL once per parameter set, row
//! counts and timeouts. Its results are [`results`], its parameters
//! [`parameters`], plain inserts through the appender [`insert`]; the
//! entry points on statements are in `crate::statement`.

pub mod descriptors;
pub mod insert;
pub mod parameters;
pub mod results;

use std::ffi::{CStr, CString};

use libduckdb_sys as ffi;

use super::Connection;
use crate::diagnostics::{state_of, Diagnostics};
use crate::escape;
use crate::odbc::{self, Len, SqlReturn, ULen};
use crate::value::{self, Cell};
use insert::{parse_plain_insert, InsertTarget};
use parameters::{BoundParameter, DataAtExecution};
use results::{BoundColumn, Columns, ResultSet};

/// Statement types a read-only connection may run: queries, and statements
/// that change nothing stored.
const READ_ONLY_TYPES: &[ffi::duckdb_statement_type] = &[
    ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_SELECT,
    ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_EXPLAIN,
    ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_TRANSACTION,
    ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_PRAGMA,
    ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_CALL,
    ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_SET,
    ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_VARIABLE_SET,
];

/// Statement types whose changed rows SQLRowCount reports.
const COUNTED_TYPES: &[ffi::duckdb_statement_type] = &[
    ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_INSERT,
    ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_UPDATE,
    ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_DELETE,
    ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_COPY,
];

pub struct Statement {
    pub diagnostics: Diagnostics,
    pub connection: *mut Connection,
    pub prepared: ffi::duckdb_prepared_statement,
    /// The columns the prepared statement will return (SQLDescribeCol
    /// before SQLExecute).
    pub prepared_columns: Option<Columns>,
    /// Set when the prepared statement is a plain `INSERT ... VALUES (?, ...)`:
    /// parameter arrays then go through DuckDB's appender.
    pub insert_target: Option<InsertTarget>,
    pub result: Option<ResultSet>,
    pub row_count: Len,
    pub columns: Vec<Option<BoundColumn>>,
    pub parameters: Vec<Option<BoundParameter>>,
    pub row_array_size: ULen,
    pub row_bind_type: ULen,
    pub row_bind_offset: *mut Len,
    pub rows_fetched: *mut ULen,
    pub row_status: *mut u16,
    pub paramset_size: ULen,
    pub param_bind_type: ULen,
    pub param_bind_offset: *mut Len,
    pub params_processed: *mut ULen,
    pub param_status: *mut u16,
    pub param_operation: *mut u16,
    pub data_at_execution: Option<DataAtExecution>,
    /// SQLGetData progress: (column, bytes already delivered).
    pub get_data: Option<(usize, usize)>,
    /// SQL_ATTR_MAX_ROWS: the most rows a result delivers (0: all).
    pub max_rows: ULen,
    /// SQL_ATTR_QUERY_TIMEOUT in seconds (0: none).
    pub query_timeout: ULen,
    pub max_length: ULen,
    /// SQL_ATTR_NOSCAN: leave ODBC escape sequences untranslated.
    pub no_scan: bool,
    pub cursor_name: String,
    /// Fake descriptor handles for the driver manager.
    pub descriptors: [Box<u8>; 4],
    /// The statements after the current one when one SQLExecDirect held
    /// several: each runs when SQLMoreResults reaches it.
    pub pending: Option<Pending>,
}

/// Statements of one text still to run: DuckDB's extraction, the next
/// index and how many there are.
pub struct Pending {
    extracted: ffi::duckdb_extracted_statements,
    next: u64,
    count: u64,
}

impl Drop for Pending {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_destroy_extracted(&mut self.extracted) };
    }
}

impl Statement {
    pub fn new(connection: *mut Connection) -> Statement {
        Statement {
            diagnostics: Diagnostics::default(),
            connection,
            prepared: std::ptr::null_mut(),
            prepared_columns: None,
            insert_target: None,
            result: None,
            row_count: -1,
            columns: Vec::new(),
            parameters: Vec::new(),
            row_array_size: 1,
            row_bind_type: 0,
            row_bind_offset: std::ptr::null_mut(),
            rows_fetched: std::ptr::null_mut(),
            row_status: std::ptr::null_mut(),
            paramset_size: 1,
            param_bind_type: 0,
            param_bind_offset: std::ptr::null_mut(),
            params_processed: std::ptr::null_mut(),
            param_status: std::ptr::null_mut(),
            param_operation: std::ptr::null_mut(),
            data_at_execution: None,
            get_data: None,
            max_rows: 0,
            query_timeout: 0,
            max_length: 0,
            no_scan: false,
            cursor_name: String::new(),
            descriptors: [Box::new(0), Box::new(1), Box::new(2), Box::new(3)],
            pending: None,
        }
    }

    pub fn connection(&mut self) -> &mut Connection {
        unsafe { &mut *self.connection }
    }

    /// Lets a streamed result of another statement on this connection be
    /// read to its end before this statement uses the DuckDB connection.
    fn claim_connection(&mut self) {
        let me = self as *mut Statement;
        self.connection().before_query(me);
    }

    pub fn close_cursor(&mut self) {
        if self.result.take().is_some() {
            let me = self as *mut Statement;
            let connection = self.connection();
            if connection.streaming == me {
                connection.streaming = std::ptr::null_mut();
            }
        }
        self.get_data = None;
    }

    pub fn destroy_prepared(&mut self) {
        if !self.prepared.is_null() {
            unsafe { ffi::duckdb_destroy_prepare(&mut self.prepared) };
            self.prepared = std::ptr::null_mut();
        }
        self.prepared_columns = None;
    }

    pub fn prepare(&mut self, sql: &str) -> SqlReturn {
        self.close_cursor();
        self.destroy_prepared();
        self.pending = None;
        self.data_at_execution = None;
        if !self.connection().is_connected() {
            return self
                .diagnostics
                .error("08003", "the connection is not open");
        }
        let sql = if self.no_scan {
            sql.to_string()
        } else {
            escape::translate(sql)
        };
        let c_sql = match CString::new(sql.as_str()) {
            Ok(s) => s,
            Err(_) => {
                return self
                    .diagnostics
                    .error("HY090", "statement text contains a NUL byte")
            }
        };
        self.insert_target = parse_plain_insert(&sql);
        self.claim_connection();
        let connection = self.connection().connection;
        unsafe {
            if ffi::duckdb_prepare(connection, c_sql.as_ptr(), &mut self.prepared)
                != ffi::duckdb_state_DuckDBSuccess
            {
                let message = CStr::from_ptr(ffi::duckdb_prepare_error(self.prepared))
                    .to_string_lossy()
                    .into_owned();
                self.destroy_prepared();
                if !message.contains("multiple statements") {
                    return self.diagnostics.error(state_of(&message), message);
                }
                // Several statements: the first now, the others one by
                // one as SQLMoreResults reaches them.
                let mut extracted: ffi::duckdb_extracted_statements = std::ptr::null_mut();
                let count =
                    ffi::duckdb_extract_statements(connection, c_sql.as_ptr(), &mut extracted);
                let pending = Pending {
                    extracted,
                    next: 0,
                    count,
                };
                if count == 0 {
                    let message = CStr::from_ptr(ffi::duckdb_extract_statements_error(extracted))
                        .to_string_lossy()
                        .into_owned();
                    return self.diagnostics.error(state_of(&message), message);
                }
                self.pending = Some(pending);
                return self.prepare_next();
            }
            self.check_prepared()
        }
    }

    /// Prepares the next of several statements (see [`Pending`]); NO_DATA
    /// when none is left.
    pub fn prepare_next(&mut self) -> SqlReturn {
        self.close_cursor();
        self.destroy_prepared();
        let Some(pending) = self.pending.as_mut() else {
            return odbc::NO_DATA;
        };
        if pending.next >= pending.count {
            self.pending = None;
            return odbc::NO_DATA;
        }
        let index = pending.next;
        pending.next += 1;
        let extracted = pending.extracted;
        self.insert_target = None;
        self.claim_connection();
        let connection = self.connection().connection;
        unsafe {
            if ffi::duckdb_prepare_extracted_statement(
                connection,
                extracted,
                index,
                &mut self.prepared,
            ) != ffi::duckdb_state_DuckDBSuccess
            {
                let message = CStr::from_ptr(ffi::duckdb_prepare_error(self.prepared))
                    .to_string_lossy()
                    .into_owned();
                self.destroy_prepared();
                self.pending = None;
                return self.diagnostics.error(state_of(&message), message);
            }
            self.check_prepared()
        }
    }

    /// The read-only rule and the result's columns of a prepared statement.
    unsafe fn check_prepared(&mut self) -> SqlReturn {
        {
            if self.connection().read_only {
                let kind = ffi::duckdb_prepared_statement_type(self.prepared);
                if !READ_ONLY_TYPES.contains(&kind) {
                    self.destroy_prepared();
                    return self
                        .diagnostics
                        .error("25006", "the connection is read-only: only queries may run");
                }
            }
            self.prepared_columns = Columns::of_prepared(self.prepared);
        }
        odbc::SUCCESS
    }

    /// The DuckDB type of parameter `number` (1-based), when known.
    pub fn parameter_type(&self, number: usize) -> Option<crate::types::TypeInfo> {
        (number >= 1 && number <= self.parameter_count()).then(|| unsafe {
            let logical = ffi::duckdb_param_logical_type(self.prepared, number as u64);
            crate::types::TypeInfo::of_logical(logical)
        })
    }

    pub fn parameter_count(&self) -> usize {
        if self.prepared.is_null() {
            0
        } else {
            unsafe { ffi::duckdb_nparams(self.prepared) as usize }
        }
    }

    /// SQL_NEED_DATA first when parameters are sent at execution.
    pub fn execute(&mut self) -> SqlReturn {
        if self.prepared.is_null() {
            return self.diagnostics.error("HY010", "no statement is prepared");
        }
        let count = self.parameter_count();
        let sets = if count == 0 {
            1
        } else {
            self.paramset_size.max(1)
        };
        let collected = self.data_at_execution.as_ref().is_some_and(|d| d.complete);
        if !collected {
            let needed = self.data_at_execution_parameters(sets, count);
            if !needed.is_empty() {
                self.close_cursor();
                self.data_at_execution = Some(DataAtExecution {
                    needed,
                    ..Default::default()
                });
                return odbc::NEED_DATA;
            }
            self.data_at_execution = None;
        }
        let outcome = self.execute_sets(sets, count);
        self.data_at_execution = None;
        outcome
    }

    fn execute_sets(&mut self, sets: usize, count: usize) -> SqlReturn {
        self.close_cursor();
        self.claim_connection();
        let outcome = self.connection().ensure_transaction();
        if outcome != odbc::SUCCESS {
            let diagnostics = std::mem::take(&mut self.connection().diagnostics.0);
            self.diagnostics.0.extend(diagnostics);
            return outcome;
        }
        if sets > 1 && self.param_operation.is_null() && self.query_timeout == 0 {
            if let Some(target) = self
                .insert_target
                .clone()
                .filter(|t| t.columns.len() == count)
            {
                return self.append_sets(&target, sets, count);
            }
        }
        let timer = Watchdog::start(self.connection().connection, self.query_timeout);
        let mut total_changed: Len = 0;
        let mut counted = false;
        let mut processed = 0;
        let mut outcome = odbc::SUCCESS;
        for set in 0..sets {
            if !self.param_operation.is_null()
                && unsafe { *self.param_operation.add(set) } == odbc::PARAM_IGNORE
            {
                if !self.param_status.is_null() {
                    unsafe { *self.param_status.add(set) = odbc::PARAM_UNUSED };
                }
                continue;
            }
            processed += 1;
            if count > 0 {
                let bound = self.bind_set(set, count);
                if bound != odbc::SUCCESS {
                    self.mark_set(set, odbc::PARAM_ERROR);
                    outcome = bound;
                    break;
                }
            }
            unsafe {
                let mut result: ffi::duckdb_result = std::mem::zeroed();
                // A single execution streams its result (chunks are produced
                // as they are fetched), so large results take bounded memory;
                // under a timeout the whole query runs inside the timer.
                let state = if sets == 1 && self.query_timeout == 0 {
                    ffi::duckdb_execute_prepared_streaming(self.prepared, &mut result)
                } else {
                    ffi::duckdb_execute_prepared(self.prepared, &mut result)
                };
                if state != ffi::duckdb_state_DuckDBSuccess {
                    let message = CStr::from_ptr(ffi::duckdb_result_error(&mut result))
                        .to_string_lossy()
                        .into_owned();
                    ffi::duckdb_destroy_result(&mut result);
                    self.mark_set(set, odbc::PARAM_ERROR);
                    let state = if timer.as_ref().is_some_and(|t| t.fired()) {
                        "HYT00"
                    } else {
                        state_of(&message)
                    };
                    outcome = self.diagnostics.error(state, message);
                    break;
                }
                let kind = ffi::duckdb_result_return_type(result);
                if kind == ffi::duckdb_result_type_DUCKDB_RESULT_TYPE_QUERY_RESULT && sets == 1 {
                    let limit = (self.max_rows > 0).then_some(self.max_rows);
                    let streaming = self.query_timeout == 0;
                    self.result = Some(ResultSet::new(result, limit, streaming));
                    if streaming {
                        let me = self as *mut Statement;
                        self.connection().streaming = me;
                    }
                    total_changed = -1;
                } else {
                    // Row counts are those of inserts, updates and deletes;
                    // for anything else SQLRowCount says -1.
                    let kind = ffi::duckdb_result_statement_type(result);
                    if COUNTED_TYPES.contains(&kind) {
                        counted = true;
                        total_changed += ffi::duckdb_rows_changed(&mut result) as Len;
                    }
                    ffi::duckdb_destroy_result(&mut result);
                }
            }
            self.mark_set(set, odbc::PARAM_SUCCESS);
        }
        drop(timer);
        if !self.params_processed.is_null() {
            unsafe { *self.params_processed = processed };
        }
        if outcome == odbc::SUCCESS {
            self.row_count = if counted || total_changed < 0 {
                total_changed
            } else {
                -1
            };
        }
        outcome
    }

    pub fn mark_set(&mut self, set: usize, status: u16) {
        if !self.param_status.is_null() {
            unsafe { *self.param_status.add(set) = status };
        }
    }

    /// Runs a catalog query with the given values bound, leaving its rows as
    /// the statement's result (SQLTables, SQLColumns, ...).
    pub fn catalog(&mut self, sql: &str, values: &[Cell]) -> SqlReturn {
        let read_only = std::mem::replace(&mut self.connection().read_only, false);
        let no_scan = std::mem::replace(&mut self.no_scan, true);
        let outcome = self.prepare(sql);
        self.connection().read_only = read_only;
        self.no_scan = no_scan;
        if outcome != odbc::SUCCESS {
            return outcome;
        }
        unsafe {
            for (index, cell) in values.iter().enumerate() {
                if value::bind_cell(self.prepared, index as u64 + 1, cell)
                    != ffi::duckdb_state_DuckDBSuccess
                {
                    return self
                        .diagnostics
                        .error("HY000", "cannot bind a catalog pattern");
                }
            }
            let mut result: ffi::duckdb_result = std::mem::zeroed();
            if ffi::duckdb_execute_prepared(self.prepared, &mut result)
                != ffi::duckdb_state_DuckDBSuccess
            {
                let message = CStr::from_ptr(ffi::duckdb_result_error(&mut result))
                    .to_string_lossy()
                    .into_owned();
                ffi::duckdb_destroy_result(&mut result);
                return self.diagnostics.error(state_of(&message), message);
            }
            self.result = Some(ResultSet::new(result, None, false));
        }
        self.row_count = -1;
        odbc::SUCCESS
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        descriptors::unregister(self);
        self.close_cursor();
        self.destroy_prepared();
    }
}

/// Interrupts a DuckDB connection when a query outlives
/// SQL_ATTR_QUERY_TIMEOUT; dropping it stops the timer.
struct Watchdog {
    stop: std::sync::mpsc::Sender<()>,
    fired: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Watchdog {
    fn start(connection: ffi::duckdb_connection, seconds: ULen) -> Option<Watchdog> {
        if seconds == 0 {
            return None;
        }
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = fired.clone();
        let target = connection as usize;
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(std::time::Duration::from_secs(seconds as u64))
            {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                unsafe { ffi::duckdb_interrupt(target as ffi::duckdb_connection) };
            }
        });
        Some(Watchdog { stop, fired })
    }

    fn fired(&self) -> bool {
        self.fired.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let _ = self.stop.send(());
    }
}
