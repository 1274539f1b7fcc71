//! Statements: preparing and executing SQL, parameters (bound values,
//! parameter arrays, DuckDB's appender for plain inserts) and statement
//! attributes.

use std::ffi::{c_void, CStr, CString};

use libduckdb_sys as ffi;

use crate::connect::Connection;
use crate::diagnostics::{state_of, Diagnostics};
use crate::fetch::{BoundColumn, ResultSet};
use crate::handles::{guard, stmt, text_arg, with_statement, SQLFreeHandle};
use crate::odbc::{self, Handle, Len, Pointer, SqlReturn, ULen};
use crate::value::{self, Cell};

/// A parameter bound with SQLBindParameter.
#[derive(Clone, Copy)]
pub struct BoundParameter {
    pub c_type: i16,
    pub value: *mut c_void,
    pub capacity: Len,
    pub indicator: *mut Len,
}

pub struct Statement {
    pub diagnostics: Diagnostics,
    pub connection: *mut Connection,
    pub prepared: ffi::duckdb_prepared_statement,
    /// Set when the prepared statement is a plain `INSERT ... VALUES (?, ...)`:
    /// parameter arrays then go through DuckDB's appender.
    pub insert_target: Option<InsertTarget>,
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

    pub fn connection(&mut self) -> &mut Connection {
        unsafe { &mut *self.connection }
    }

    pub fn close_cursor(&mut self) {
        self.result = None;
        self.get_data = None;
    }

    pub fn destroy_prepared(&mut self) {
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

#[no_mangle]
pub unsafe extern "C" fn SQLExecDirect(handle: Handle, text: *const u8, length: i32) -> SqlReturn {
    with_statement(handle, |statement| {
        let sql = text_arg(text, length);
        {
            let outcome = statement.prepare(&sql);
            if outcome != odbc::SUCCESS {
                return outcome;
            }
            statement.execute()
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLPrepare(handle: Handle, text: *const u8, length: i32) -> SqlReturn {
    with_statement(handle, |statement| {
        let sql = text_arg(text, length);
        statement.prepare(&sql)
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLExecute(handle: Handle) -> SqlReturn {
    with_statement(handle, |statement| statement.execute())
}

#[no_mangle]
pub unsafe extern "C" fn SQLNumParams(handle: Handle, count: *mut i16) -> SqlReturn {
    with_statement(handle, |statement| {
        if !count.is_null() {
            *count = statement.parameter_count() as i16;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLDescribeParam(
    handle: Handle,
    number: u16,
    data_type: *mut i16,
    size: *mut ULen,
    digits: *mut i16,
    nullable: *mut i16,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let Some(parameter_type) = statement.parameter_type(number as usize) else {
            return statement
                .diagnostics
                .error("07009", format!("invalid parameter number {number}"));
        };
        let (sql_type, column_size, decimal_digits) = value::describe_type(parameter_type);
        if !data_type.is_null() {
            *data_type = sql_type;
        }
        if !size.is_null() {
            *size = column_size;
        }
        if !digits.is_null() {
            *digits = decimal_digits;
        }
        if !nullable.is_null() {
            *nullable = odbc::NULLABLE_UNKNOWN;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLBindParameter(
    handle: Handle,
    number: u16,
    _direction: i16,
    c_type: i16,
    _sql_type: i16,
    _size: ULen,
    _digits: i16,
    value: Pointer,
    capacity: Len,
    indicator: *mut Len,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let index = number as usize;
        if index == 0 {
            return statement
                .diagnostics
                .error("07009", "parameter numbers start at 1");
        }
        if statement.parameters.len() < index {
            statement.parameters.resize(index, None);
        }
        statement.parameters[index - 1] = Some(BoundParameter {
            c_type,
            value,
            capacity,
            indicator,
        });
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
    with_statement(handle, |statement| {
        let number = value as usize;
        match attribute {
            odbc::ATTR_ROW_ARRAY_SIZE | odbc::ROWSET_SIZE => {
                statement.row_array_size = number.max(1)
            }
            odbc::ATTR_ROW_BIND_TYPE => statement.row_bind_type = number,
            odbc::ATTR_ROWS_FETCHED_PTR => statement.rows_fetched = value as *mut ULen,
            odbc::ATTR_ROW_STATUS_PTR => statement.row_status = value as *mut u16,
            odbc::ATTR_PARAMSET_SIZE => statement.paramset_size = number.max(1),
            odbc::ATTR_PARAM_BIND_TYPE => statement.param_bind_type = number,
            odbc::ATTR_PARAMS_PROCESSED_PTR => statement.params_processed = value as *mut ULen,
            odbc::ATTR_PARAM_STATUS_PTR => statement.param_status = value as *mut u16,
            _ => {} // query timeout, cursor type, max length...: defaults suit a forward-only engine.
        }
        odbc::SUCCESS
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
            _ => {
                *(value as *mut ULen) = match attribute {
                    odbc::ATTR_ROW_ARRAY_SIZE | odbc::ROWSET_SIZE => statement.row_array_size,
                    odbc::ATTR_ROW_BIND_TYPE => statement.row_bind_type,
                    odbc::ATTR_PARAMSET_SIZE => statement.paramset_size,
                    odbc::ATTR_PARAM_BIND_TYPE => statement.param_bind_type,
                    _ => 0,
                };
                odbc::SUCCESS
            }
        }
    })
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
    with_statement(handle, |statement| {
        match option {
            odbc::CLOSE => statement.close_cursor(),
            odbc::UNBIND => statement.columns.clear(),
            odbc::RESET_PARAMS => statement.parameters.clear(),
            odbc::DROP => return SQLFreeHandle(odbc::HANDLE_STMT, handle),
            _ => {}
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLCancel(handle: Handle) -> SqlReturn {
    guard(None, || {
        if stmt(handle).is_none() {
            return odbc::INVALID_HANDLE;
        }
        odbc::SUCCESS
    })
}
