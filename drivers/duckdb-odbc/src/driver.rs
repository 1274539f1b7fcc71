//! Handles and what they do: environments, connections (one DuckDB database
//! and connection each) and statements (prepared DuckDB statements, bound
//! columns and parameters, and a streamed result).

use std::ffi::{c_void, CStr, CString};

use libduckdb_sys as ffi;

use crate::odbc::{self, Len, SqlReturn, ULen};
use crate::value::{self, Cell, Written};

/// One diagnostic record.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub state: String,
    pub native: i32,
    pub message: String,
}

/// Diagnostics of one handle, cleared by each new call.
#[derive(Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, state: &str, message: impl Into<String>) {
        self.0.push(Diagnostic {
            state: state.to_string(),
            native: 0,
            message: format!("[MDM DuckDB] {}", message.into()),
        });
    }

    /// Records an error and returns SQL_ERROR.
    pub fn error(&mut self, state: &str, message: impl Into<String>) -> SqlReturn {
        self.push(state, message);
        odbc::ERROR
    }
}

/// SQLSTATE for a DuckDB error message.
fn state_of(message: &str) -> &'static str {
    if message.starts_with("Parser Error") {
        "42000"
    } else if message.starts_with("Catalog Error") {
        "42S02"
    } else if message.starts_with("Constraint Error") {
        "23000"
    } else if message.starts_with("Conversion Error") {
        "22018"
    } else {
        "HY000"
    }
}

pub struct Environment {
    pub diagnostics: Diagnostics,
    pub odbc_version: i32,
}

pub struct Connection {
    pub diagnostics: Diagnostics,
    database: ffi::duckdb_database,
    pub connection: ffi::duckdb_connection,
    pub autocommit: bool,
    /// A transaction was opened because autocommit is off.
    pub in_transaction: bool,
    pub database_path: String,
}

impl Connection {
    pub fn new() -> Connection {
        Connection {
            diagnostics: Diagnostics::default(),
            database: std::ptr::null_mut(),
            connection: std::ptr::null_mut(),
            autocommit: true,
            in_transaction: false,
            database_path: String::new(),
        }
    }

    /// Opens the database named by a connection string: `Database` (a path
    /// or `:memory:`); every other key that DuckDB knows as a setting is
    /// passed on (`access_mode`, `threads`, `memory_limit`, ...).
    pub fn connect(&mut self, connection_string: &str) -> SqlReturn {
        let attributes = parse_connection_string(connection_string);
        let mut path = ":memory:".to_string();
        let config = unsafe {
            let mut config: ffi::duckdb_config = std::ptr::null_mut();
            if ffi::duckdb_create_config(&mut config) != ffi::duckdb_state_DuckDBSuccess {
                return self
                    .diagnostics
                    .error("HY001", "cannot create a DuckDB configuration");
            }
            config
        };
        for (key, value) in &attributes {
            match key.to_ascii_lowercase().as_str() {
                "database" | "dbq" => path = value.clone(),
                "driver" | "dsn" | "uid" | "pwd" | "description" | "setup" => {}
                setting => unsafe {
                    let (name, value) = (
                        CString::new(setting).unwrap_or_default(),
                        CString::new(value.as_str()).unwrap_or_default(),
                    );
                    if ffi::duckdb_set_config(config, name.as_ptr(), value.as_ptr())
                        != ffi::duckdb_state_DuckDBSuccess
                    {
                        ffi::duckdb_destroy_config(&mut (config as ffi::duckdb_config));
                        return self.diagnostics.error(
                            "HY024",
                            format!("unknown or invalid DuckDB setting {setting}={value:?}"),
                        );
                    }
                },
            }
        }
        let c_path = CString::new(path.clone()).unwrap_or_default();
        unsafe {
            let mut error: *mut std::ffi::c_char = std::ptr::null_mut();
            let mut config = config;
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
                return self.diagnostics.error(
                    "08001",
                    format!("cannot open DuckDB database {path}: {message}"),
                );
            }
            if ffi::duckdb_connect(self.database, &mut self.connection)
                != ffi::duckdb_state_DuckDBSuccess
            {
                ffi::duckdb_close(&mut self.database);
                return self
                    .diagnostics
                    .error("08001", format!("cannot connect to DuckDB database {path}"));
            }
        }
        self.database_path = path;
        odbc::SUCCESS
    }

    pub fn disconnect(&mut self) {
        unsafe {
            if !self.connection.is_null() {
                ffi::duckdb_disconnect(&mut self.connection);
            }
            if !self.database.is_null() {
                ffi::duckdb_close(&mut self.database);
            }
        }
        self.connection = std::ptr::null_mut();
        self.database = std::ptr::null_mut();
    }

    /// Runs one statement that returns nothing (transaction control).
    pub fn run(&mut self, sql: &str) -> SqlReturn {
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

/// `key=value;...` with `{...}` quoting (`}}` escapes `}`).
pub fn parse_connection_string(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            chars.next();
            if c == '=' {
                break;
            }
            key.push(c);
        }
        let mut value = String::new();
        if chars.peek() == Some(&'{') {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '}' {
                    if chars.peek() == Some(&'}') {
                        chars.next();
                        value.push('}');
                    } else {
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            while let Some(&c) = chars.peek() {
                chars.next();
                if c == ';' {
                    break;
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                chars.next();
                if c == ';' {
                    break;
                }
                value.push(c);
            }
        }
        let key = key.trim().to_string();
        if !key.is_empty() {
            pairs.push((key, value));
        }
        if chars.peek().is_none() {
            break;
        }
    }
    pairs
}

/// A column bound with SQLBindCol.
#[derive(Clone, Copy)]
pub struct BoundColumn {
    pub c_type: i16,
    pub target: *mut c_void,
    pub capacity: Len,
    pub indicator: *mut Len,
}

/// A parameter bound with SQLBindParameter.
#[derive(Clone, Copy)]
pub struct BoundParameter {
    pub c_type: i16,
    pub value: *mut c_void,
    pub capacity: Len,
    pub indicator: *mut Len,
}

/// A result being read: its columns and the current chunk.
pub struct ResultSet {
    result: ffi::duckdb_result,
    pub names: Vec<String>,
    pub types: Vec<ffi::duckdb_type>,
    /// Scale and storage type of DECIMAL columns.
    decimals: Vec<Option<(u8, ffi::duckdb_type)>>,
    chunk: ffi::duckdb_data_chunk,
    chunk_size: usize,
    /// The next row of the chunk to deliver.
    next_row: usize,
    /// The current row (for SQLGetData), if any.
    current: Option<usize>,
    done: bool,
}

impl ResultSet {
    fn new(mut result: ffi::duckdb_result) -> ResultSet {
        unsafe {
            let count = ffi::duckdb_column_count(&mut result) as usize;
            let names = (0..count)
                .map(|i| {
                    CStr::from_ptr(ffi::duckdb_column_name(&mut result, i as u64))
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            let types: Vec<ffi::duckdb_type> = (0..count)
                .map(|i| ffi::duckdb_column_type(&mut result, i as u64))
                .collect();
            let decimals = types
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    (*t == ffi::DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL).then(|| {
                        let mut logical = ffi::duckdb_column_logical_type(&mut result, i as u64);
                        let info = (
                            ffi::duckdb_decimal_scale(logical),
                            ffi::duckdb_decimal_internal_type(logical),
                        );
                        ffi::duckdb_destroy_logical_type(&mut logical);
                        info
                    })
                })
                .collect();
            ResultSet {
                result,
                names,
                types,
                decimals,
                chunk: std::ptr::null_mut(),
                chunk_size: 0,
                next_row: 0,
                current: None,
                done: false,
            }
        }
    }

    /// Moves to the next row; false at the end.
    fn advance(&mut self) -> bool {
        if self.done {
            return false;
        }
        while self.next_row >= self.chunk_size {
            unsafe {
                if !self.chunk.is_null() {
                    ffi::duckdb_destroy_data_chunk(&mut self.chunk);
                }
                self.chunk = ffi::duckdb_fetch_chunk(self.result);
                if self.chunk.is_null() {
                    self.done = true;
                    self.current = None;
                    return false;
                }
                self.chunk_size = ffi::duckdb_data_chunk_get_size(self.chunk) as usize;
            }
            self.next_row = 0;
        }
        self.current = Some(self.next_row);
        self.next_row += 1;
        true
    }

    /// The value of column `column` (0-based) in the current row.
    pub fn cell(&self, column: usize) -> Option<Cell> {
        let row = self.current?;
        unsafe {
            let vector = ffi::duckdb_data_chunk_get_vector(self.chunk, column as u64);
            Some(value::read_cell(
                self.types[column],
                self.decimals[column],
                vector,
                row,
            ))
        }
    }
}

impl Drop for ResultSet {
    fn drop(&mut self) {
        unsafe {
            if !self.chunk.is_null() {
                ffi::duckdb_destroy_data_chunk(&mut self.chunk);
            }
            ffi::duckdb_destroy_result(&mut self.result);
        }
    }
}

pub struct Statement {
    pub diagnostics: Diagnostics,
    pub connection: *mut Connection,
    prepared: ffi::duckdb_prepared_statement,
    /// Set when the prepared statement is a plain `INSERT ... VALUES (?, ...)`:
    /// parameter arrays then go through DuckDB's appender.
    insert_target: Option<InsertTarget>,
    pub result: Option<ResultSet>,
    pub row_count: Len,
    pub columns: Vec<Option<BoundColumn>>,
    pub parameters: Vec<Option<BoundParameter>>,
    pub row_array_size: ULen,
    pub row_bind_type: ULen,
    pub rows_fetched: *mut ULen,
    pub row_status: *mut u16,
    pub paramset_size: ULen,
    pub param_bind_type: ULen,
    pub params_processed: *mut ULen,
    pub param_status: *mut u16,
    /// SQLGetData progress: (column, bytes already delivered).
    pub get_data: Option<(usize, usize)>,
    /// Fake descriptor handles for the driver manager.
    pub descriptors: [Box<u8>; 4],
}

impl Statement {
    pub fn new(connection: *mut Connection) -> Statement {
        Statement {
            diagnostics: Diagnostics::default(),
            connection,
            prepared: std::ptr::null_mut(),
            insert_target: None,
            result: None,
            row_count: -1,
            columns: Vec::new(),
            parameters: Vec::new(),
            row_array_size: 1,
            row_bind_type: 0,
            rows_fetched: std::ptr::null_mut(),
            row_status: std::ptr::null_mut(),
            paramset_size: 1,
            param_bind_type: 0,
            params_processed: std::ptr::null_mut(),
            param_status: std::ptr::null_mut(),
            get_data: None,
            descriptors: [Box::new(0), Box::new(1), Box::new(2), Box::new(3)],
        }
    }

    fn connection(&mut self) -> &mut Connection {
        unsafe { &mut *self.connection }
    }

    pub fn close_cursor(&mut self) {
        self.result = None;
        self.get_data = None;
    }

    fn destroy_prepared(&mut self) {
        if !self.prepared.is_null() {
            unsafe { ffi::duckdb_destroy_prepare(&mut self.prepared) };
            self.prepared = std::ptr::null_mut();
        }
    }

    pub fn prepare(&mut self, sql: &str) -> SqlReturn {
        self.close_cursor();
        self.destroy_prepared();
        let c_sql = match CString::new(sql) {
            Ok(s) => s,
            Err(_) => {
                return self
                    .diagnostics
                    .error("HY090", "statement text contains a NUL byte")
            }
        };
        self.insert_target = parse_plain_insert(sql);
        let connection = self.connection().connection;
        unsafe {
            if ffi::duckdb_prepare(connection, c_sql.as_ptr(), &mut self.prepared)
                != ffi::duckdb_state_DuckDBSuccess
            {
                let message = CStr::from_ptr(ffi::duckdb_prepare_error(self.prepared))
                    .to_string_lossy()
                    .into_owned();
                self.destroy_prepared();
                return self.diagnostics.error(state_of(&message), message);
            }
        }
        odbc::SUCCESS
    }

    /// The DuckDB type of parameter `number` (1-based), when known.
    pub fn parameter_type(&self, number: usize) -> Option<ffi::duckdb_type> {
        (number >= 1 && number <= self.parameter_count())
            .then(|| unsafe { ffi::duckdb_param_type(self.prepared, number as u64) })
    }

    pub fn parameter_count(&self) -> usize {
        if self.prepared.is_null() {
            0
        } else {
            unsafe { ffi::duckdb_nparams(self.prepared) as usize }
        }
    }

    /// Executes the prepared statement once per parameter set.
    pub fn execute(&mut self) -> SqlReturn {
        if self.prepared.is_null() {
            return self.diagnostics.error("HY010", "no statement is prepared");
        }
        self.close_cursor();
        let outcome = self.connection().ensure_transaction();
        if outcome != odbc::SUCCESS {
            let diagnostics = std::mem::take(&mut self.connection().diagnostics.0);
            self.diagnostics.0.extend(diagnostics);
            return outcome;
        }
        let count = self.parameter_count();
        let sets = if count == 0 {
            1
        } else {
            self.paramset_size.max(1)
        };
        if sets > 1 {
            if let Some(target) = self
                .insert_target
                .clone()
                .filter(|t| t.columns.len() == count)
            {
                return self.append_sets(&target, sets, count);
            }
        }
        let mut total_changed: Len = 0;
        for set in 0..sets {
            if count > 0 {
                let outcome = self.bind_set(set, count);
                if outcome != odbc::SUCCESS {
                    return outcome;
                }
            }
            unsafe {
                let mut result: ffi::duckdb_result = std::mem::zeroed();
                // A single execution streams its result (chunks are produced
                // as they are fetched), so large results take bounded memory.
                let state = if sets == 1 {
                    ffi::duckdb_execute_prepared_streaming(self.prepared, &mut result)
                } else {
                    ffi::duckdb_execute_prepared(self.prepared, &mut result)
                };
                if state != ffi::duckdb_state_DuckDBSuccess {
                    let message = CStr::from_ptr(ffi::duckdb_result_error(&mut result))
                        .to_string_lossy()
                        .into_owned();
                    ffi::duckdb_destroy_result(&mut result);
                    return self.diagnostics.error(state_of(&message), message);
                }
                let kind = ffi::duckdb_result_return_type(result);
                if kind == ffi::duckdb_result_type_DUCKDB_RESULT_TYPE_QUERY_RESULT && sets == 1 {
                    self.result = Some(ResultSet::new(result));
                    total_changed = -1;
                } else {
                    total_changed += ffi::duckdb_rows_changed(&mut result) as Len;
                    ffi::duckdb_destroy_result(&mut result);
                }
            }
            if !self.param_status.is_null() {
                unsafe { *self.param_status.add(set) = odbc::PARAM_SUCCESS };
            }
        }
        if !self.params_processed.is_null() {
            unsafe { *self.params_processed = sets };
        }
        self.row_count = total_changed;
        odbc::SUCCESS
    }

    /// Runs a catalog query with the given values bound, leaving its rows as
    /// the statement's result (SQLTables, SQLColumns, ...).
    pub fn catalog(&mut self, sql: &str, values: &[Cell]) -> SqlReturn {
        let outcome = self.prepare(sql);
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
            self.result = Some(ResultSet::new(result));
        }
        self.row_count = -1;
        odbc::SUCCESS
    }

    /// Inserts every parameter set through DuckDB's appender: one call per
    /// value instead of one statement per row.
    fn append_sets(&mut self, target: &InsertTarget, sets: usize, count: usize) -> SqlReturn {
        let connection = self.connection().connection;
        let schema = target
            .schema
            .as_deref()
            .map(|s| CString::new(s).unwrap_or_default());
        let table = CString::new(target.table.as_str()).unwrap_or_default();
        unsafe {
            let mut appender: ffi::duckdb_appender = std::ptr::null_mut();
            let schema_ptr = schema.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
            if ffi::duckdb_appender_create(connection, schema_ptr, table.as_ptr(), &mut appender)
                != ffi::duckdb_state_DuckDBSuccess
            {
                let message = appender_error(appender);
                ffi::duckdb_appender_destroy(&mut appender);
                return self.diagnostics.error(state_of(&message), message);
            }
            for column in &target.columns {
                let name = CString::new(column.as_str()).unwrap_or_default();
                if ffi::duckdb_appender_add_column(appender, name.as_ptr())
                    != ffi::duckdb_state_DuckDBSuccess
                {
                    let message = appender_error(appender);
                    ffi::duckdb_appender_destroy(&mut appender);
                    return self.diagnostics.error(state_of(&message), message);
                }
            }
            for set in 0..sets {
                for index in 0..count {
                    let cell = match self.parameter_cell(set, index) {
                        Ok(cell) => cell,
                        Err(outcome) => {
                            ffi::duckdb_appender_destroy(&mut appender);
                            return outcome;
                        }
                    };
                    if value::append_cell(appender, &cell) != ffi::duckdb_state_DuckDBSuccess {
                        let message = appender_error(appender);
                        ffi::duckdb_appender_destroy(&mut appender);
                        return self
                            .diagnostics
                            .error(state_of(&message), format!("row {}: {message}", set + 1));
                    }
                }
                if ffi::duckdb_appender_end_row(appender) != ffi::duckdb_state_DuckDBSuccess {
                    let message = appender_error(appender);
                    ffi::duckdb_appender_destroy(&mut appender);
                    return self
                        .diagnostics
                        .error(state_of(&message), format!("row {}: {message}", set + 1));
                }
            }
            if ffi::duckdb_appender_close(appender) != ffi::duckdb_state_DuckDBSuccess {
                let message = appender_error(appender);
                ffi::duckdb_appender_destroy(&mut appender);
                return self.diagnostics.error(state_of(&message), message);
            }
            ffi::duckdb_appender_destroy(&mut appender);
        }
        for set in 0..sets {
            if !self.param_status.is_null() {
                unsafe { *self.param_status.add(set) = odbc::PARAM_SUCCESS };
            }
        }
        if !self.params_processed.is_null() {
            unsafe { *self.params_processed = sets };
        }
        self.row_count = sets as Len;
        odbc::SUCCESS
    }

    /// The value of parameter `index` (0-based) in parameter set `set`.
    fn parameter_cell(&mut self, set: usize, index: usize) -> Result<Cell, SqlReturn> {
        let Some(Some(parameter)) = self.parameters.get(index).copied() else {
            return Err(self
                .diagnostics
                .error("07002", format!("parameter {} is not bound", index + 1)));
        };
        let element = if self.param_bind_type != 0 {
            self.param_bind_type
        } else {
            value::c_type_size(parameter.c_type).unwrap_or(parameter.capacity.max(0) as usize)
        };
        let indicator_stride = if self.param_bind_type != 0 {
            self.param_bind_type
        } else {
            std::mem::size_of::<Len>()
        };
        unsafe {
            let value_ptr =
                (parameter.value as *mut u8).wrapping_add(set * element) as *const c_void;
            let length = if parameter.indicator.is_null() {
                if matches!(parameter.c_type, odbc::C_CHAR | odbc::C_WCHAR) {
                    odbc::NTS
                } else {
                    0
                }
            } else {
                *((parameter.indicator as *mut u8).add(set * indicator_stride) as *const Len)
            };
            value::read_parameter(parameter.c_type, value_ptr, length).map_err(|state| {
                self.diagnostics
                    .error(state, format!("cannot read parameter {}", index + 1))
            })
        }
    }

    fn bind_set(&mut self, set: usize, count: usize) -> SqlReturn {
        for index in 0..count {
            let cell = match self.parameter_cell(set, index) {
                Ok(cell) => cell,
                Err(outcome) => return outcome,
            };
            if unsafe { value::bind_cell(self.prepared, index as u64 + 1, &cell) }
                != ffi::duckdb_state_DuckDBSuccess
            {
                return self.diagnostics.error(
                    "HY105",
                    format!("cannot bind parameter {} ({cell:?})", index + 1),
                );
            }
        }
        odbc::SUCCESS
    }

    /// Fetches the next rowset into the bound columns.
    pub fn fetch(&mut self) -> SqlReturn {
        let Some(result) = self.result.as_mut() else {
            return self.diagnostics.error("24000", "no result set is open");
        };
        let rows = self.row_array_size.max(1);
        let mut fetched = 0;
        let mut truncated = false;
        self.get_data = None;
        while fetched < rows {
            if !result.advance() {
                break;
            }
            for (column, bound) in self.columns.iter().enumerate() {
                let Some(bound) = bound else { continue };
                let Some(cell) = result.cell(column) else {
                    continue;
                };
                let element = if self.row_bind_type != 0 {
                    self.row_bind_type
                } else {
                    value::c_type_size(bound.c_type).unwrap_or(bound.capacity.max(0) as usize)
                };
                let indicator_stride = if self.row_bind_type != 0 {
                    self.row_bind_type
                } else {
                    std::mem::size_of::<Len>()
                };
                unsafe {
                    let target = if bound.target.is_null() {
                        bound.target
                    } else {
                        (bound.target as *mut u8).add(fetched * element) as *mut c_void
                    };
                    let indicator = if bound.indicator.is_null() {
                        bound.indicator
                    } else {
                        (bound.indicator as *mut u8).add(fetched * indicator_stride) as *mut Len
                    };
                    match value::write_cell(
                        &cell,
                        bound.c_type,
                        target,
                        bound.capacity,
                        indicator,
                        0,
                    ) {
                        Ok(Written::Complete) => {}
                        Ok(Written::Truncated) => truncated = true,
                        Err(state) => {
                            let message = format!(
                                "cannot convert column {} ({cell:?}) to C type {}",
                                column + 1,
                                bound.c_type
                            );
                            return self.diagnostics.error(state, message);
                        }
                    }
                }
            }
            if !self.row_status.is_null() {
                unsafe { *self.row_status.add(fetched) = odbc::ROW_SUCCESS };
            }
            fetched += 1;
        }
        if !self.rows_fetched.is_null() {
            unsafe { *self.rows_fetched = fetched };
        }
        if !self.row_status.is_null() {
            for row in fetched..rows {
                unsafe { *self.row_status.add(row) = odbc::ROW_NOROW };
            }
        }
        if fetched == 0 {
            return odbc::NO_DATA;
        }
        if truncated {
            self.diagnostics
                .push("01004", "string data, right truncated");
            return odbc::SUCCESS_WITH_INFO;
        }
        odbc::SUCCESS
    }

    /// SQLGetData of column `column` (1-based) of the current row.
    pub fn get_data(
        &mut self,
        column: usize,
        c_type: i16,
        target: *mut c_void,
        capacity: Len,
        indicator: *mut Len,
    ) -> SqlReturn {
        let Some(result) = self.result.as_ref() else {
            return self.diagnostics.error("24000", "no result set is open");
        };
        if column == 0 || column > result.names.len() {
            return self
                .diagnostics
                .error("07009", format!("invalid column number {column}"));
        }
        let Some(cell) = result.cell(column - 1) else {
            return self.diagnostics.error("24000", "no current row");
        };
        let c_type = if c_type == odbc::C_DEFAULT {
            value::default_c_type(value::describe_type(result.types[column - 1]).0)
        } else {
            c_type
        };
        let piecewise = matches!(c_type, odbc::C_CHAR | odbc::C_WCHAR | odbc::C_BINARY);
        let offset = match self.get_data {
            Some((previous, offset)) if previous == column && piecewise => offset,
            _ => 0,
        };
        if offset > 0 {
            let total = match c_type {
                odbc::C_WCHAR => cell
                    .text()
                    .map(|t| String::from_utf8_lossy(&t).encode_utf16().count() * 2)
                    .unwrap_or(0),
                _ => cell.text().map(|t| t.len()).unwrap_or(0),
            };
            if offset >= total {
                return odbc::NO_DATA;
            }
        }
        match unsafe { value::write_cell(&cell, c_type, target, capacity, indicator, offset) } {
            Ok(Written::Complete) => {
                self.get_data = Some((column, usize::MAX));
                odbc::SUCCESS
            }
            Ok(Written::Truncated) => {
                let terminator = match c_type {
                    odbc::C_CHAR => 1,
                    odbc::C_WCHAR => 2,
                    _ => 0,
                };
                let delivered = (capacity.max(0) as usize).saturating_sub(terminator);
                let delivered = delivered - delivered % terminator.max(1);
                self.get_data = Some((column, offset + delivered));
                self.diagnostics
                    .push("01004", "string data, right truncated");
                odbc::SUCCESS_WITH_INFO
            }
            Err(state) => self.diagnostics.error(
                state,
                format!("cannot convert column {column} ({cell:?}) to C type {c_type}"),
            ),
        }
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        self.close_cursor();
        self.destroy_prepared();
    }
}

/// The table and columns of a plain `INSERT INTO t (a, b) VALUES (?, ?)`.
#[derive(Clone, Debug, PartialEq)]
pub struct InsertTarget {
    pub schema: Option<String>,
    pub table: String,
    pub columns: Vec<String>,
}

fn appender_error(appender: ffi::duckdb_appender) -> String {
    if appender.is_null() {
        return "cannot create an appender".into();
    }
    unsafe {
        let message = ffi::duckdb_appender_error(appender);
        if message.is_null() {
            "appender error".into()
        } else {
            CStr::from_ptr(message).to_string_lossy().into_owned()
        }
    }
}

/// Recognises `INSERT INTO [schema.]table (columns) VALUES (?, ..., ?)` with
/// one `?` per column and nothing else; identifiers bare or double-quoted.
pub fn parse_plain_insert(sql: &str) -> Option<InsertTarget> {
    struct Cursor<'a> {
        text: &'a str,
    }
    impl Cursor<'_> {
        fn skip_space(&mut self) {
            self.text = self.text.trim_start();
        }
        fn keyword(&mut self, word: &str) -> bool {
            self.skip_space();
            let matched = self.text.len() >= word.len()
                && self.text[..word.len()].eq_ignore_ascii_case(word)
                && !self.text[word.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_');
            if matched {
                self.text = &self.text[word.len()..];
            }
            matched
        }
        fn symbol(&mut self, symbol: char) -> bool {
            self.skip_space();
            match self.text.strip_prefix(symbol) {
                Some(rest) => {
                    self.text = rest;
                    true
                }
                None => false,
            }
        }
        fn identifier(&mut self) -> Option<String> {
            self.skip_space();
            if let Some(rest) = self.text.strip_prefix('"') {
                let mut name = String::new();
                let mut chars = rest.char_indices().peekable();
                while let Some((i, c)) = chars.next() {
                    if c == '"' {
                        if let Some((_, '"')) = chars.peek() {
                            chars.next();
                            name.push('"');
                            continue;
                        }
                        self.text = &rest[i + 1..];
                        return Some(name);
                    }
                    name.push(c);
                }
                None
            } else {
                let end = self
                    .text
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(self.text.len());
                (end > 0).then(|| {
                    let name = self.text[..end].to_string();
                    self.text = &self.text[end..];
                    name
                })
            }
        }
    }
    let mut cursor = Cursor { text: sql };
    if !(cursor.keyword("INSERT") && cursor.keyword("INTO")) {
        return None;
    }
    let first = cursor.identifier()?;
    let (schema, table) = if cursor.symbol('.') {
        (Some(first), cursor.identifier()?)
    } else {
        (None, first)
    };
    if !cursor.symbol('(') {
        return None;
    }
    let mut columns = vec![cursor.identifier()?];
    while cursor.symbol(',') {
        columns.push(cursor.identifier()?);
    }
    if !(cursor.symbol(')') && cursor.keyword("VALUES") && cursor.symbol('(')) {
        return None;
    }
    for index in 0..columns.len() {
        if (index > 0 && !cursor.symbol(',')) || !cursor.symbol('?') {
            return None;
        }
    }
    if !cursor.symbol(')') {
        return None;
    }
    cursor.symbol(';');
    cursor.skip_space();
    cursor.text.is_empty().then_some(InsertTarget {
        schema,
        table,
        columns,
    })
}
