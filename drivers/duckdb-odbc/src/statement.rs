//! Statements: preparing (with escape translation and the read-only
//! check) and executing SQL once per parameter set, statement attributes,
//! row counts, cancellation and timeouts. Parameters themselves are in
//! `parameters`.

use std::ffi::{CStr, CString};

use libduckdb_sys as ffi;

use crate::connect::Connection;
use crate::diagnostics::{state_of, Diagnostics};
use crate::escape;
use crate::fetch::{BoundColumn, Columns, ResultSet};
use crate::handles::{guard, stmt, with_statement, SQLFreeHandle};
use crate::insert::{parse_plain_insert, InsertTarget};
use crate::odbc::{self, Handle, Len, Pointer, SqlReturn, ULen};
use crate::parameters::{BoundParameter, DataAtExecution};
use crate::text::{self, Count, Width};
use crate::value::{self, Cell};

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
        crate::descriptors::unregister(self);
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

unsafe fn exec_direct(handle: Handle, text: Pointer, length: isize, width: Width) -> SqlReturn {
    with_statement(handle, |statement| {
        let sql = text::optional_arg(text, length, width).unwrap_or_default();
        let outcome = statement.prepare(&sql);
        if outcome != odbc::SUCCESS {
            return outcome;
        }
        statement.execute()
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLExecDirect(handle: Handle, text: *const u8, length: i32) -> SqlReturn {
    exec_direct(handle, text as Pointer, length as isize, Width::Narrow)
}

#[no_mangle]
pub unsafe extern "C" fn SQLExecDirectW(
    handle: Handle,
    text: *const u16,
    length: i32,
) -> SqlReturn {
    exec_direct(handle, text as Pointer, length as isize, Width::Wide)
}

unsafe fn prepare(handle: Handle, text: Pointer, length: isize, width: Width) -> SqlReturn {
    with_statement(handle, |statement| {
        let sql = text::optional_arg(text, length, width).unwrap_or_default();
        statement.prepare(&sql)
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLPrepare(handle: Handle, text: *const u8, length: i32) -> SqlReturn {
    prepare(handle, text as Pointer, length as isize, Width::Narrow)
}

#[no_mangle]
pub unsafe extern "C" fn SQLPrepareW(handle: Handle, text: *const u16, length: i32) -> SqlReturn {
    prepare(handle, text as Pointer, length as isize, Width::Wide)
}

#[no_mangle]
pub unsafe extern "C" fn SQLExecute(handle: Handle) -> SqlReturn {
    with_statement(handle, |statement| statement.execute())
}

unsafe fn native_sql(
    handle: Handle,
    input: Pointer,
    input_length: i32,
    output: Pointer,
    capacity: i32,
    length: *mut i32,
    width: Width,
) -> SqlReturn {
    crate::handles::with_connection(handle, |connection| {
        let sql = text::optional_arg(input, input_length as isize, width).unwrap_or_default();
        if text::put32(
            &escape::translate(&sql),
            output,
            capacity as isize,
            length,
            width,
            Count::Characters,
        ) {
            connection
                .diagnostics
                .push("01004", "statement text truncated");
            return odbc::SUCCESS_WITH_INFO;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLNativeSql(
    handle: Handle,
    input: *const u8,
    input_length: i32,
    output: *mut u8,
    capacity: i32,
    length: *mut i32,
) -> SqlReturn {
    native_sql(
        handle,
        input as Pointer,
        input_length,
        output as Pointer,
        capacity,
        length,
        Width::Narrow,
    )
}

#[no_mangle]
pub unsafe extern "C" fn SQLNativeSqlW(
    handle: Handle,
    input: *const u16,
    input_length: i32,
    output: *mut u16,
    capacity: i32,
    length: *mut i32,
) -> SqlReturn {
    native_sql(
        handle,
        input as Pointer,
        input_length,
        output as Pointer,
        capacity,
        length,
        Width::Wide,
    )
}

unsafe fn set_stmt_attr(handle: Handle, attribute: i32, value: Pointer) -> SqlReturn {
    with_statement(handle, |statement| {
        let number = value as usize;
        match attribute {
            odbc::ATTR_ROW_ARRAY_SIZE | odbc::ROWSET_SIZE => {
                statement.row_array_size = number.max(1)
            }
            odbc::ATTR_ROW_BIND_TYPE => statement.row_bind_type = number,
            odbc::ATTR_ROW_BIND_OFFSET_PTR => statement.row_bind_offset = value as *mut Len,
            odbc::ATTR_ROWS_FETCHED_PTR => statement.rows_fetched = value as *mut ULen,
            odbc::ATTR_ROW_STATUS_PTR => statement.row_status = value as *mut u16,
            odbc::ATTR_PARAMSET_SIZE => statement.paramset_size = number.max(1),
            odbc::ATTR_PARAM_BIND_TYPE => statement.param_bind_type = number,
            odbc::ATTR_PARAM_BIND_OFFSET_PTR => statement.param_bind_offset = value as *mut Len,
            odbc::ATTR_PARAMS_PROCESSED_PTR => statement.params_processed = value as *mut ULen,
            odbc::ATTR_PARAM_STATUS_PTR => statement.param_status = value as *mut u16,
            odbc::ATTR_PARAM_OPERATION_PTR => statement.param_operation = value as *mut u16,
            odbc::ATTR_MAX_ROWS => statement.max_rows = number,
            odbc::ATTR_QUERY_TIMEOUT => statement.query_timeout = number,
            odbc::ATTR_MAX_LENGTH => statement.max_length = number,
            odbc::ATTR_NOSCAN => statement.no_scan = number == 1,
            odbc::ATTR_CURSOR_TYPE if number != 0 => {
                statement
                    .diagnostics
                    .push("01S02", "only forward-only cursors are supported");
                return odbc::SUCCESS_WITH_INFO;
            }
            odbc::ATTR_CONCURRENCY if number != 1 => {
                statement
                    .diagnostics
                    .push("01S02", "only read-only cursors are supported");
                return odbc::SUCCESS_WITH_INFO;
            }
            odbc::ATTR_USE_BOOKMARKS if number != 0 => {
                return statement
                    .diagnostics
                    .error("HYC00", "bookmarks are not supported");
            }
            // Asynchronous execution, scrollability, sensitivity, ...: the
            // defaults (off, forward-only) are all a streaming engine offers.
            _ => {}
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLSetStmtAttr(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    _length: i32,
) -> SqlReturn {
    set_stmt_attr(handle, attribute, value)
}

#[no_mangle]
pub unsafe extern "C" fn SQLSetStmtAttrW(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    _length: i32,
) -> SqlReturn {
    set_stmt_attr(handle, attribute, value)
}

unsafe fn get_stmt_attr(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    length: *mut i32,
) -> SqlReturn {
    with_statement(handle, |statement| {
        if value.is_null() {
            return odbc::SUCCESS;
        }
        let pointer = |p: Pointer| {
            *(value as *mut Pointer) = p;
            if !length.is_null() {
                *length = std::mem::size_of::<Pointer>() as i32;
            }
            odbc::SUCCESS
        };
        match attribute {
            // Implicit descriptors: the driver manager asks for handles; mdm's
            // driver has none to offer beyond opaque, distinct values.
            odbc::ATTR_APP_ROW_DESC => pointer(&*statement.descriptors[0] as *const u8 as Pointer),
            odbc::ATTR_APP_PARAM_DESC => {
                pointer(&*statement.descriptors[1] as *const u8 as Pointer)
            }
            odbc::ATTR_IMP_ROW_DESC => pointer(&*statement.descriptors[2] as *const u8 as Pointer),
            odbc::ATTR_IMP_PARAM_DESC => {
                pointer(&*statement.descriptors[3] as *const u8 as Pointer)
            }
            odbc::ATTR_ROWS_FETCHED_PTR => pointer(statement.rows_fetched as Pointer),
            odbc::ATTR_ROW_STATUS_PTR => pointer(statement.row_status as Pointer),
            odbc::ATTR_ROW_BIND_OFFSET_PTR => pointer(statement.row_bind_offset as Pointer),
            odbc::ATTR_PARAM_BIND_OFFSET_PTR => pointer(statement.param_bind_offset as Pointer),
            odbc::ATTR_PARAMS_PROCESSED_PTR => pointer(statement.params_processed as Pointer),
            odbc::ATTR_PARAM_STATUS_PTR => pointer(statement.param_status as Pointer),
            odbc::ATTR_PARAM_OPERATION_PTR => pointer(statement.param_operation as Pointer),
            _ => {
                *(value as *mut ULen) = match attribute {
                    odbc::ATTR_ROW_ARRAY_SIZE | odbc::ROWSET_SIZE => statement.row_array_size,
                    odbc::ATTR_ROW_BIND_TYPE => statement.row_bind_type,
                    odbc::ATTR_PARAMSET_SIZE => statement.paramset_size,
                    odbc::ATTR_PARAM_BIND_TYPE => statement.param_bind_type,
                    odbc::ATTR_MAX_ROWS => statement.max_rows,
                    odbc::ATTR_QUERY_TIMEOUT => statement.query_timeout,
                    odbc::ATTR_MAX_LENGTH => statement.max_length,
                    odbc::ATTR_NOSCAN => statement.no_scan as ULen,
                    odbc::ATTR_CONCURRENCY => 1, // SQL_CONCUR_READ_ONLY
                    _ => 0,
                };
                if !length.is_null() {
                    *length = std::mem::size_of::<ULen>() as i32;
                }
                odbc::SUCCESS
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetStmtAttr(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    _capacity: i32,
    length: *mut i32,
) -> SqlReturn {
    get_stmt_attr(handle, attribute, value, length)
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetStmtAttrW(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    _capacity: i32,
    length: *mut i32,
) -> SqlReturn {
    get_stmt_attr(handle, attribute, value, length)
}

#[no_mangle]
pub unsafe extern "C" fn SQLRowCount(handle: Handle, count: *mut Len) -> SqlReturn {
    with_statement(handle, |statement| {
        if !count.is_null() {
            *count = statement.row_count;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLFreeStmt(handle: Handle, option: u16) -> SqlReturn {
    if option == odbc::DROP {
        return SQLFreeHandle(odbc::HANDLE_STMT, handle);
    }
    with_statement(handle, |statement| {
        match option {
            odbc::CLOSE => {
                // Results not yet reached are discarded too.
                statement.pending = None;
                statement.close_cursor()
            }
            odbc::UNBIND => statement.columns.clear(),
            odbc::RESET_PARAMS => statement.parameters.clear(),
            _ => {
                return statement
                    .diagnostics
                    .error("HY092", format!("SQLFreeStmt option {option} is not valid"))
            }
        }
        odbc::SUCCESS
    })
}

/// Interrupts whatever the statement's connection is running (SQLCancel
/// may come from another thread), and abandons a data-at-execution
/// sequence.
#[no_mangle]
pub unsafe extern "C" fn SQLCancel(handle: Handle) -> SqlReturn {
    guard(None, || {
        let Some(statement) = stmt(handle) else {
            return odbc::INVALID_HANDLE;
        };
        let connection = &*statement.connection;
        if !connection.connection.is_null() {
            ffi::duckdb_interrupt(connection.connection);
        }
        if statement.data_at_execution.is_some() {
            statement.data_at_execution = None;
        }
        odbc::SUCCESS
    })
}

unsafe fn get_cursor_name(
    handle: Handle,
    name: Pointer,
    capacity: i16,
    length: *mut i16,
    width: Width,
) -> SqlReturn {
    with_statement(handle, |statement| {
        if statement.cursor_name.is_empty() {
            statement.cursor_name = format!("SQL_CUR{:x}", handle as usize);
        }
        let cursor_name = statement.cursor_name.clone();
        if text::put16(
            &cursor_name,
            name,
            capacity as isize,
            length,
            width,
            Count::Characters,
        ) {
            statement.diagnostics.push("01004", "cursor name truncated");
            return odbc::SUCCESS_WITH_INFO;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetCursorName(
    handle: Handle,
    name: *mut u8,
    capacity: i16,
    length: *mut i16,
) -> SqlReturn {
    get_cursor_name(handle, name as Pointer, capacity, length, Width::Narrow)
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetCursorNameW(
    handle: Handle,
    name: *mut u16,
    capacity: i16,
    length: *mut i16,
) -> SqlReturn {
    get_cursor_name(handle, name as Pointer, capacity, length, Width::Wide)
}

unsafe fn set_cursor_name(handle: Handle, name: Pointer, length: i16, width: Width) -> SqlReturn {
    with_statement(handle, |statement| {
        statement.cursor_name =
            text::optional_arg(name, length as isize, width).unwrap_or_default();
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLSetCursorName(
    handle: Handle,
    name: *const u8,
    length: i16,
) -> SqlReturn {
    set_cursor_name(handle, name as Pointer, length, Width::Narrow)
}

#[no_mangle]
pub unsafe extern "C" fn SQLSetCursorNameW(
    handle: Handle,
    name: *const u16,
    length: i16,
) -> SqlReturn {
    set_cursor_name(handle, name as Pointer, length, Width::Wide)
}
