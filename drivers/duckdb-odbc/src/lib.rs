//! mdm's ODBC driver for DuckDB: an ODBC 3.8 driver (ANSI entry points;
//! the driver manager maps wide calls onto them) over DuckDB's C API.
//! Every entry point checks its handle and catches panics, so a bug turns
//! into SQL_ERROR with a diagnostic instead of taking the host down.

#![allow(non_snake_case, clippy::missing_safety_doc, clippy::too_many_arguments)]

mod driver;
mod odbc;
mod value;

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use driver::{BoundColumn, BoundParameter, Connection, Diagnostics, Environment, Statement};
use odbc::{Handle, Len, Pointer, SqlReturn, ULen};

/// Runs `body`, turning a panic into SQL_ERROR recorded on `diagnostics`.
/// Every entry point runs inside it: a panic crossing into the caller would
/// abort the host process.
fn guard(diagnostics: Option<&mut Diagnostics>, body: impl FnOnce() -> SqlReturn) -> SqlReturn {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(outcome) => outcome,
        Err(_) => {
            if let Some(diagnostics) = diagnostics {
                diagnostics.push("HY000", "internal error in the DuckDB ODBC driver");
            }
            odbc::ERROR
        }
    }
}

/// Every live handle and its type, so that a null, freed or foreign
/// pointer is answered with SQL_INVALID_HANDLE instead of being followed.
fn live() -> std::sync::MutexGuard<'static, std::collections::HashMap<usize, i16>> {
    static LIVE: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<usize, i16>>> =
        std::sync::OnceLock::new();
    let map = LIVE.get_or_init(Default::default);
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn is_live(handle: Handle, handle_type: i16) -> bool {
    live().get(&(handle as usize)) == Some(&handle_type)
}

/// Runs an entry point on a live statement: clears its diagnostics and
/// records a panic on it as SQL_ERROR.
unsafe fn with_statement(
    handle: Handle,
    body: impl FnOnce(&mut Statement) -> SqlReturn,
) -> SqlReturn {
    let Some(statement) = stmt(handle) else {
        return odbc::INVALID_HANDLE;
    };
    statement.diagnostics.0.clear();
    let diagnostics = &mut *(&mut statement.diagnostics as *mut Diagnostics);
    guard(Some(diagnostics), || body(statement))
}

/// [`with_statement`] for connections.
unsafe fn with_connection(
    handle: Handle,
    body: impl FnOnce(&mut Connection) -> SqlReturn,
) -> SqlReturn {
    let Some(connection) = dbc(handle) else {
        return odbc::INVALID_HANDLE;
    };
    connection.diagnostics.0.clear();
    let diagnostics = &mut *(&mut connection.diagnostics as *mut Diagnostics);
    guard(Some(diagnostics), || body(connection))
}

unsafe fn env<'a>(handle: Handle) -> Option<&'a mut Environment> {
    is_live(handle, odbc::HANDLE_ENV).then(|| &mut *(handle as *mut Environment))
}
unsafe fn dbc<'a>(handle: Handle) -> Option<&'a mut Connection> {
    is_live(handle, odbc::HANDLE_DBC).then(|| &mut *(handle as *mut Connection))
}
unsafe fn stmt<'a>(handle: Handle) -> Option<&'a mut Statement> {
    is_live(handle, odbc::HANDLE_STMT).then(|| &mut *(handle as *mut Statement))
}

unsafe fn text_arg(text: *const u8, length: i32) -> String {
    if text.is_null() {
        return String::new();
    }
    let bytes = if length < 0 {
        CStr::from_ptr(text as *const c_char).to_bytes()
    } else {
        std::slice::from_raw_parts(text, length as usize)
    };
    String::from_utf8_lossy(bytes).into_owned()
}

/// Copies `text` into an output string buffer (NUL-terminated, truncated
/// to fit) and reports its full length; true when it was truncated.
unsafe fn write_text(text: &str, buffer: *mut u8, capacity: isize, length: *mut i16) -> bool {
    if !length.is_null() {
        *length = text.len() as i16;
    }
    if buffer.is_null() || capacity <= 0 {
        return !text.is_empty();
    }
    let take = text.len().min(capacity as usize - 1);
    std::ptr::copy_nonoverlapping(text.as_ptr(), buffer, take);
    *buffer.add(take) = 0;
    take < text.len()
}

#[no_mangle]
pub unsafe extern "C" fn SQLAllocHandle(
    handle_type: i16,
    input: Handle,
    output: *mut Handle,
) -> SqlReturn {
    guard(None, || {
        if output.is_null() {
            return odbc::ERROR;
        }
        guard(None, || {
            let handle = match handle_type {
                odbc::HANDLE_ENV => Box::into_raw(Box::new(Environment {
                    diagnostics: Diagnostics::default(),
                    odbc_version: 3,
                })) as Handle,
                odbc::HANDLE_DBC => {
                    if env(input).is_none() {
                        return odbc::INVALID_HANDLE;
                    }
                    Box::into_raw(Box::new(Connection::new())) as Handle
                }
                odbc::HANDLE_STMT => {
                    let Some(connection) = dbc(input) else {
                        return odbc::INVALID_HANDLE;
                    };
                    Box::into_raw(Box::new(Statement::new(connection))) as Handle
                }
                _ => return odbc::ERROR,
            };
            live().insert(handle as usize, handle_type);
            *output = handle;
            odbc::SUCCESS
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLFreeHandle(handle_type: i16, handle: Handle) -> SqlReturn {
    guard(None, || {
        if live().remove(&(handle as usize)) != Some(handle_type) {
            return odbc::INVALID_HANDLE;
        }
        guard(None, || {
            match handle_type {
                odbc::HANDLE_ENV => drop(Box::from_raw(handle as *mut Environment)),
                odbc::HANDLE_DBC => drop(Box::from_raw(handle as *mut Connection)),
                odbc::HANDLE_STMT => drop(Box::from_raw(handle as *mut Statement)),
                _ => return odbc::ERROR,
            }
            odbc::SUCCESS
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLSetEnvAttr(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    _length: i32,
) -> SqlReturn {
    guard(None, || {
        let Some(environment) = env(handle) else {
            return odbc::INVALID_HANDLE;
        };
        environment.diagnostics.0.clear();
        if attribute == odbc::ATTR_ODBC_VERSION {
            // ODBC 2, 3 and 3.80 are all served the same way.
            environment.odbc_version = value as usize as i32;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetEnvAttr(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    _capacity: i32,
    _length: *mut i32,
) -> SqlReturn {
    guard(None, || {
        let Some(environment) = env(handle) else {
            return odbc::INVALID_HANDLE;
        };
        if !value.is_null() {
            *(value as *mut i32) = if attribute == odbc::ATTR_ODBC_VERSION {
                environment.odbc_version
            } else {
                0
            };
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLDriverConnect(
    handle: Handle,
    _window: Pointer,
    in_string: *const u8,
    in_length: i16,
    out_string: *mut u8,
    out_capacity: i16,
    out_length: *mut i16,
    _completion: u16,
) -> SqlReturn {
    with_connection(handle, |connection| {
        let text = text_arg(in_string, in_length as i32);
        {
            let outcome = connection.connect(&text);
            if outcome == odbc::SUCCESS {
                write_text(&text, out_string, out_capacity as isize, out_length);
            }
            outcome
        }
    })
}

#[link(name = "odbcinst")]
extern "C" {
    fn SQLGetPrivateProfileString(
        section: *const c_char,
        entry: *const c_char,
        default: *const c_char,
        buffer: *mut c_char,
        capacity: i32,
        file: *const c_char,
    ) -> i32;
}

/// The attributes of data source `dsn` from odbc.ini, as a connection
/// string.
unsafe fn dsn_connection_string(dsn: &str) -> String {
    let section = std::ffi::CString::new(dsn).unwrap_or_default();
    let file = c"odbc.ini";
    let empty = c"";
    let mut keys = vec![0u8; 4096];
    let n = SQLGetPrivateProfileString(
        section.as_ptr(),
        std::ptr::null(),
        empty.as_ptr(),
        keys.as_mut_ptr() as *mut c_char,
        keys.len() as i32,
        file.as_ptr(),
    );
    let mut parts = Vec::new();
    for key in keys[..n.max(0) as usize]
        .split(|b| *b == 0)
        .filter(|k| !k.is_empty())
    {
        let c_key = std::ffi::CString::new(key).unwrap_or_default();
        let mut value = vec![0u8; 4096];
        let m = SQLGetPrivateProfileString(
            section.as_ptr(),
            c_key.as_ptr(),
            empty.as_ptr(),
            value.as_mut_ptr() as *mut c_char,
            value.len() as i32,
            file.as_ptr(),
        );
        let value = String::from_utf8_lossy(&value[..m.max(0) as usize]);
        parts.push(format!(
            "{}={{{}}}",
            String::from_utf8_lossy(key),
            value.replace('}', "}}")
        ));
    }
    parts.join(";")
}

#[no_mangle]
pub unsafe extern "C" fn SQLConnect(
    handle: Handle,
    dsn: *const u8,
    dsn_length: i16,
    _user: *const u8,
    _user_length: i16,
    _password: *const u8,
    _password_length: i16,
) -> SqlReturn {
    with_connection(handle, |connection| {
        let dsn = text_arg(dsn, dsn_length as i32);
        {
            let text = dsn_connection_string(&dsn);
            connection.connect(&text)
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLDisconnect(handle: Handle) -> SqlReturn {
    with_connection(handle, |connection| {
        if connection.in_transaction {
            connection.end_transaction(false);
        }
        connection.disconnect();
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLSetConnectAttr(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    _length: i32,
) -> SqlReturn {
    with_connection(handle, |connection| {
        if attribute == odbc::ATTR_AUTOCOMMIT {
            let on = value as usize != 0;
            if on && !connection.autocommit && connection.in_transaction {
                // Switching autocommit on commits the open transaction.
                let outcome = connection.end_transaction(true);
                if outcome != odbc::SUCCESS {
                    return outcome;
                }
            }
            connection.autocommit = on;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetConnectAttr(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    _capacity: i32,
    _length: *mut i32,
) -> SqlReturn {
    with_connection(handle, |connection| {
        if !value.is_null() {
            *(value as *mut u32) = match attribute {
                odbc::ATTR_AUTOCOMMIT => connection.autocommit as u32,
                _ => 0,
            };
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLEndTran(
    handle_type: i16,
    handle: Handle,
    completion: i16,
) -> SqlReturn {
    guard(None, || {
        if handle_type != odbc::HANDLE_DBC {
            return odbc::SUCCESS;
        }
        let Some(connection) = dbc(handle) else {
            return odbc::INVALID_HANDLE;
        };
        connection.diagnostics.0.clear();
        connection.end_transaction(completion == odbc::COMMIT)
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetInfo(
    handle: Handle,
    info_type: u16,
    value: Pointer,
    capacity: i16,
    length: *mut i16,
) -> SqlReturn {
    with_connection(handle, |connection| {
        let text = |s: &str| {
            write_text(s, value as *mut u8, capacity as isize, length);
            odbc::SUCCESS
        };
        let small = |v: u16| {
            if !value.is_null() {
                *(value as *mut u16) = v;
            }
            if !length.is_null() {
                *length = 2;
            }
            odbc::SUCCESS
        };
        let int = |v: u32| {
            if !value.is_null() {
                *(value as *mut u32) = v;
            }
            if !length.is_null() {
                *length = 4;
            }
            odbc::SUCCESS
        };
        match info_type {
            2 => text("mdm_duckdb"),                       // SQL_DATA_SOURCE_NAME
            6 => text("libmdm_duckdb_odbc.so"),            // SQL_DRIVER_NAME
            7 => text("00.01.0000"),                       // SQL_DRIVER_VER
            13 => text(""),                                // SQL_SERVER_NAME
            16 => text(&connection.database_path.clone()), // SQL_DATABASE_NAME
            17 => text("DuckDB"),                          // SQL_DBMS_NAME
            18 => text("01.05.0000"),                      // SQL_DBMS_VER
            29 => text("\""),                              // SQL_IDENTIFIER_QUOTE_CHAR
            41 => text("."),                               // SQL_CATALOG_NAME_SEPARATOR
            42 => text("catalog"),                         // SQL_CATALOG_TERM
            39 => text("schema"),                          // SQL_SCHEMA_TERM
            45 => text("table"),                           // SQL_TABLE_TERM
            47 => text(""),                                // SQL_USER_NAME
            77 => text("03.80"),                           // SQL_DRIVER_ODBC_VER
            111 => text("N"),                              // SQL_NEED_LONG_DATA_LEN
            10002 => text("N"),                            // SQL_DESCRIBE_PARAMETER
            1 => small(0),                                 // SQL_MAX_CONCURRENT_ACTIVITIES
            23 | 24 => small(2), // SQL_CURSOR_COMMIT/ROLLBACK_BEHAVIOR: preserve
            46 => small(2),      // SQL_TXN_CAPABLE: all
            30 | 32 | 34 | 35 => small(0), // SQL_MAX_*_NAME_LEN: no limit
            81 => int(1 | 2 | 4 | 8), // SQL_GETDATA_EXTENSIONS
            153 => int(1),       // SQL_PARAM_ARRAY_ROW_COUNTS: batch
            154 => int(3),       // SQL_PARAM_ARRAY_SELECTS: no selects
            10021 => int(0),     // SQL_ASYNC_MODE: none
            _ => connection.diagnostics.error(
                "HY096",
                format!("information type {info_type} is not supported"),
            ),
        }
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
pub unsafe extern "C" fn SQLNumResultCols(handle: Handle, count: *mut i16) -> SqlReturn {
    with_statement(handle, |statement| {
        if !count.is_null() {
            *count = statement.result.as_ref().map_or(0, |r| r.names.len()) as i16;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLDescribeCol(
    handle: Handle,
    column: u16,
    name: *mut u8,
    capacity: i16,
    name_length: *mut i16,
    data_type: *mut i16,
    size: *mut ULen,
    digits: *mut i16,
    nullable: *mut i16,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let Some(result) = statement.result.as_ref() else {
            return statement
                .diagnostics
                .error("07005", "the statement returns no columns");
        };
        let index = column as usize;
        if index == 0 || index > result.names.len() {
            return statement
                .diagnostics
                .error("07009", format!("invalid column number {column}"));
        }
        let (sql_type, column_size, decimal_digits) = value::describe_type(result.types[index - 1]);
        let truncated = write_text(
            &result.names[index - 1],
            name,
            capacity as isize,
            name_length,
        );
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
        if truncated {
            statement.diagnostics.push("01004", "column name truncated");
            return odbc::SUCCESS_WITH_INFO;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLColAttribute(
    handle: Handle,
    column: u16,
    field: u16,
    character: Pointer,
    capacity: i16,
    length: *mut i16,
    numeric: *mut Len,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let Some(result) = statement.result.as_ref() else {
            return statement
                .diagnostics
                .error("07005", "the statement returns no columns");
        };
        if field == odbc::DESC_COUNT {
            if !numeric.is_null() {
                *numeric = result.names.len() as Len;
            }
            return odbc::SUCCESS;
        }
        let index = column as usize;
        if index == 0 || index > result.names.len() {
            return statement
                .diagnostics
                .error("07009", format!("invalid column number {column}"));
        }
        let (sql_type, column_size, digits) = value::describe_type(result.types[index - 1]);
        let number = |v: Len| {
            if !numeric.is_null() {
                *numeric = v;
            }
            odbc::SUCCESS
        };
        match field {
            odbc::DESC_NAME | odbc::DESC_LABEL | odbc::COLUMN_NAME => {
                write_text(
                    &result.names[index - 1],
                    character as *mut u8,
                    capacity as isize,
                    length,
                );
                odbc::SUCCESS
            }
            odbc::DESC_TYPE_NAME => {
                let name = match sql_type {
                    odbc::SQL_BIGINT => "BIGINT",
                    odbc::SQL_INTEGER => "INTEGER",
                    odbc::SQL_DOUBLE => "DOUBLE",
                    odbc::SQL_BIT => "BOOLEAN",
                    odbc::SQL_TYPE_DATE => "DATE",
                    odbc::SQL_TYPE_TIMESTAMP => "TIMESTAMP",
                    _ => "VARCHAR",
                };
                write_text(name, character as *mut u8, capacity as isize, length);
                odbc::SUCCESS
            }
            odbc::DESC_CONCISE_TYPE | odbc::DESC_TYPE => number(sql_type as Len),
            odbc::DESC_LENGTH
            | odbc::COLUMN_LENGTH
            | odbc::DESC_PRECISION
            | odbc::COLUMN_PRECISION
            | odbc::DESC_DISPLAY_SIZE => number(column_size as Len),
            odbc::DESC_OCTET_LENGTH => number(match sql_type {
                odbc::SQL_BIGINT | odbc::SQL_DOUBLE => 8,
                odbc::SQL_INTEGER | odbc::SQL_REAL => 4,
                odbc::SQL_SMALLINT => 2,
                odbc::SQL_BIT | odbc::SQL_TINYINT => 1,
                odbc::SQL_TYPE_DATE => 6,
                odbc::SQL_TYPE_TIMESTAMP => 16,
                _ => column_size as Len,
            }),
            odbc::DESC_SCALE | odbc::COLUMN_SCALE => number(digits as Len),
            odbc::DESC_NULLABLE => number(odbc::NULLABLE_UNKNOWN as Len),
            odbc::DESC_UNSIGNED => number(!matches!(
                sql_type,
                odbc::SQL_BIGINT
                    | odbc::SQL_INTEGER
                    | odbc::SQL_SMALLINT
                    | odbc::SQL_TINYINT
                    | odbc::SQL_DOUBLE
                    | odbc::SQL_REAL
                    | odbc::SQL_NUMERIC
            ) as Len),
            odbc::DESC_AUTO_UNIQUE_VALUE | odbc::DESC_UPDATABLE => number(0),
            odbc::DESC_CASE_SENSITIVE => number((sql_type == odbc::SQL_VARCHAR) as Len),
            odbc::DESC_SEARCHABLE => number(3),
            _ => statement.diagnostics.error(
                "HY091",
                format!("descriptor field {field} is not supported"),
            ),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLBindCol(
    handle: Handle,
    column: u16,
    c_type: i16,
    target: Pointer,
    capacity: Len,
    indicator: *mut Len,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let index = column as usize;
        if index == 0 {
            return statement
                .diagnostics
                .error("07009", "bookmark columns are not supported");
        }
        if statement.columns.len() < index {
            statement.columns.resize(index, None);
        }
        let c_type = if c_type == odbc::C_DEFAULT {
            let sql_type = statement
                .result
                .as_ref()
                .and_then(|r| r.types.get(index - 1))
                .map_or(odbc::SQL_VARCHAR, |t| value::describe_type(*t).0);
            value::default_c_type(sql_type)
        } else {
            c_type
        };
        statement.columns[index - 1] =
            (!target.is_null() || !indicator.is_null()).then_some(BoundColumn {
                c_type,
                target,
                capacity,
                indicator,
            });
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLFetch(handle: Handle) -> SqlReturn {
    with_statement(handle, |statement| statement.fetch())
}

#[no_mangle]
pub unsafe extern "C" fn SQLFetchScroll(
    handle: Handle,
    orientation: i16,
    _offset: Len,
) -> SqlReturn {
    with_statement(handle, |statement| {
        if orientation != odbc::FETCH_NEXT {
            return statement
                .diagnostics
                .error("HY106", "only forward fetching is supported");
        }
        statement.fetch()
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetData(
    handle: Handle,
    column: u16,
    c_type: i16,
    target: Pointer,
    capacity: Len,
    indicator: *mut Len,
) -> SqlReturn {
    with_statement(handle, |statement| {
        {
            statement.get_data(column as usize, c_type, target, capacity, indicator)
        }
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
pub unsafe extern "C" fn SQLMoreResults(handle: Handle) -> SqlReturn {
    with_statement(handle, |statement| {
        statement.close_cursor();
        odbc::NO_DATA
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLCloseCursor(handle: Handle) -> SqlReturn {
    with_statement(handle, |statement| {
        statement.close_cursor();
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

/// A catalog function's name argument as a LIKE pattern (`%` when absent).
unsafe fn pattern(text: *const u8, length: i16) -> value::Cell {
    let text = text_arg(text, length as i32);
    value::Cell::Text(if text.is_empty() {
        b"%".to_vec()
    } else {
        text.into_bytes()
    })
}

/// The ODBC SQL type of a column of information_schema, as SQL over `data_type`.
const SQL_TYPE_OF: &str = "CASE upper(data_type) \
    WHEN 'BOOLEAN' THEN -7 WHEN 'TINYINT' THEN -6 WHEN 'SMALLINT' THEN 5 WHEN 'INTEGER' THEN 4 \
    WHEN 'BIGINT' THEN -5 WHEN 'HUGEINT' THEN 2 WHEN 'FLOAT' THEN 7 WHEN 'REAL' THEN 7 WHEN 'DOUBLE' THEN 8 \
    WHEN 'DATE' THEN 91 WHEN 'TIME' THEN 92 WHEN 'TIMESTAMP' THEN 93 WHEN 'BLOB' THEN -3 \
    ELSE CASE WHEN upper(data_type) LIKE 'DECIMAL%' THEN 3 ELSE 12 END END";

#[no_mangle]
pub unsafe extern "C" fn SQLTables(
    handle: Handle,
    _catalog: *const u8,
    _catalog_length: i16,
    schema: *const u8,
    schema_length: i16,
    table: *const u8,
    table_length: i16,
    _types: *const u8,
    _types_length: i16,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let values = [pattern(schema, schema_length), pattern(table, table_length)];
        {
            statement.catalog(
            "SELECT table_catalog AS TABLE_CAT, table_schema AS TABLE_SCHEM, table_name AS TABLE_NAME, \
             CASE table_type WHEN 'BASE TABLE' THEN 'TABLE' ELSE table_type END AS TABLE_TYPE, \
             CAST(NULL AS VARCHAR) AS REMARKS \
             FROM information_schema.tables WHERE table_schema LIKE ? AND table_name LIKE ? ORDER BY 1, 2, 3",
            &values,
        )
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLColumns(
    handle: Handle,
    _catalog: *const u8,
    _catalog_length: i16,
    schema: *const u8,
    schema_length: i16,
    table: *const u8,
    table_length: i16,
    column: *const u8,
    column_length: i16,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let values = [
            pattern(schema, schema_length),
            pattern(table, table_length),
            pattern(column, column_length),
        ];
        let sql = format!(
        "SELECT table_catalog AS TABLE_CAT, table_schema AS TABLE_SCHEM, table_name AS TABLE_NAME, \
         column_name AS COLUMN_NAME, CAST({SQL_TYPE_OF} AS SMALLINT) AS DATA_TYPE, data_type AS TYPE_NAME, \
         CAST(COALESCE(character_maximum_length, numeric_precision, 26) AS INTEGER) AS COLUMN_SIZE, \
         CAST(NULL AS INTEGER) AS BUFFER_LENGTH, CAST(numeric_scale AS SMALLINT) AS DECIMAL_DIGITS, \
         CAST(numeric_precision_radix AS SMALLINT) AS NUM_PREC_RADIX, \
         CAST(CASE is_nullable WHEN 'YES' THEN 1 ELSE 0 END AS SMALLINT) AS NULLABLE, \
         CAST(NULL AS VARCHAR) AS REMARKS, column_default AS COLUMN_DEF, \
         CAST({SQL_TYPE_OF} AS SMALLINT) AS SQL_DATA_TYPE, CAST(NULL AS SMALLINT) AS SQL_DATETIME_SUB, \
         CAST(character_octet_length AS INTEGER) AS CHAR_OCTET_LENGTH, \
         CAST(ordinal_position AS INTEGER) AS ORDINAL_POSITION, is_nullable AS IS_NULLABLE \
         FROM information_schema.columns \
         WHERE table_schema LIKE ? AND table_name LIKE ? AND column_name LIKE ? \
         ORDER BY table_schema, table_name, ordinal_position"
    );
        statement.catalog(&sql, &values)
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLPrimaryKeys(
    handle: Handle,
    _catalog: *const u8,
    _catalog_length: i16,
    _schema: *const u8,
    _schema_length: i16,
    _table: *const u8,
    _table_length: i16,
) -> SqlReturn {
    with_statement(handle, |statement| {
        // mdm's tables have no primary keys: an empty result of the right shape.
        {
            statement.catalog(
                "SELECT CAST(NULL AS VARCHAR) AS TABLE_CAT, CAST(NULL AS VARCHAR) AS TABLE_SCHEM, \
             CAST(NULL AS VARCHAR) AS TABLE_NAME, CAST(NULL AS VARCHAR) AS COLUMN_NAME, \
             CAST(NULL AS SMALLINT) AS KEY_SEQ, CAST(NULL AS VARCHAR) AS PK_NAME WHERE false",
                &[],
            )
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetTypeInfo(handle: Handle, data_type: i16) -> SqlReturn {
    with_statement(handle, |statement| {
        let sql = "SELECT TYPE_NAME, CAST(DATA_TYPE AS SMALLINT) AS DATA_TYPE, CAST(COLUMN_SIZE AS INTEGER) AS COLUMN_SIZE, \
         CASE WHEN DATA_TYPE IN (12, 91, 93) THEN chr(39) END AS LITERAL_PREFIX, \
         CASE WHEN DATA_TYPE IN (12, 91, 93) THEN chr(39) END AS LITERAL_SUFFIX, \
         CAST(NULL AS VARCHAR) AS CREATE_PARAMS, CAST(1 AS SMALLINT) AS NULLABLE, \
         CAST(CASE WHEN DATA_TYPE = 12 THEN 1 ELSE 0 END AS SMALLINT) AS CASE_SENSITIVE, \
         CAST(3 AS SMALLINT) AS SEARCHABLE, CAST(0 AS SMALLINT) AS UNSIGNED_ATTRIBUTE, \
         CAST(0 AS SMALLINT) AS FIXED_PREC_SCALE, CAST(0 AS SMALLINT) AS AUTO_UNIQUE_VALUE, \
         TYPE_NAME AS LOCAL_TYPE_NAME, CAST(NULL AS SMALLINT) AS MINIMUM_SCALE, \
         CAST(NULL AS SMALLINT) AS MAXIMUM_SCALE, CAST(DATA_TYPE AS SMALLINT) AS SQL_DATA_TYPE, \
         CAST(NULL AS SMALLINT) AS SQL_DATETIME_SUB, CAST(NULL AS INTEGER) AS NUM_PREC_RADIX, \
         CAST(NULL AS SMALLINT) AS INTERVAL_PRECISION \
         FROM (VALUES ('BOOLEAN', -7, 1), ('TINYINT', -6, 3), ('SMALLINT', 5, 5), ('INTEGER', 4, 10), \
         ('BIGINT', -5, 19), ('REAL', 7, 7), ('DOUBLE', 8, 15), ('DECIMAL', 3, 38), ('VARCHAR', 12, 65535), \
         ('BLOB', -3, 65535), ('DATE', 91, 10), ('TIMESTAMP', 93, 26)) AS t(TYPE_NAME, DATA_TYPE, COLUMN_SIZE) \
         WHERE ? = 0 OR DATA_TYPE = ? ORDER BY DATA_TYPE";
        let values = [
            value::Cell::Int(data_type as i64),
            value::Cell::Int(data_type as i64),
        ];
        statement.catalog(sql, &values)
    })
}

unsafe fn diagnostics_of<'a>(handle_type: i16, handle: Handle) -> Option<&'a mut Diagnostics> {
    match handle_type {
        odbc::HANDLE_ENV => env(handle).map(|e| &mut e.diagnostics),
        odbc::HANDLE_DBC => dbc(handle).map(|c| &mut c.diagnostics),
        odbc::HANDLE_STMT => stmt(handle).map(|s| &mut s.diagnostics),
        _ => None,
    }
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetDiagRec(
    handle_type: i16,
    handle: Handle,
    record: i16,
    state: *mut u8,
    native: *mut i32,
    message: *mut u8,
    capacity: i16,
    length: *mut i16,
) -> SqlReturn {
    guard(None, || {
        let Some(diagnostics) = diagnostics_of(handle_type, handle) else {
            return odbc::INVALID_HANDLE;
        };
        let Some(diagnostic) = (record >= 1)
            .then(|| diagnostics.0.get(record as usize - 1))
            .flatten()
        else {
            return odbc::NO_DATA;
        };
        if !state.is_null() {
            let bytes = diagnostic.state.as_bytes();
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), state, bytes.len().min(5));
            *state.add(5) = 0;
        }
        if !native.is_null() {
            *native = diagnostic.native;
        }
        if write_text(&diagnostic.message, message, capacity as isize, length) {
            odbc::SUCCESS_WITH_INFO
        } else {
            odbc::SUCCESS
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetDiagField(
    handle_type: i16,
    handle: Handle,
    record: i16,
    field: i16,
    value: Pointer,
    capacity: i16,
    length: *mut i16,
) -> SqlReturn {
    guard(None, || {
        let Some(diagnostics) = diagnostics_of(handle_type, handle) else {
            return odbc::INVALID_HANDLE;
        };
        const NUMBER: i16 = 2;
        const SQLSTATE: i16 = 4;
        const MESSAGE_TEXT: i16 = 6;
        const NATIVE: i16 = 5;
        if field == NUMBER {
            if !value.is_null() {
                *(value as *mut i32) = diagnostics.0.len() as i32;
            }
            return odbc::SUCCESS;
        }
        let Some(diagnostic) = (record >= 1)
            .then(|| diagnostics.0.get(record as usize - 1))
            .flatten()
        else {
            return odbc::NO_DATA;
        };
        match field {
            SQLSTATE => {
                write_text(
                    &diagnostic.state,
                    value as *mut u8,
                    capacity as isize,
                    length,
                );
            }
            MESSAGE_TEXT => {
                write_text(
                    &diagnostic.message,
                    value as *mut u8,
                    capacity as isize,
                    length,
                );
            }
            NATIVE => {
                if !value.is_null() {
                    *(value as *mut i32) = diagnostic.native;
                }
            }
            _ => return odbc::ERROR,
        }
        odbc::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use crate::driver::{parse_plain_insert, InsertTarget};

    #[test]
    fn times_and_intervals_print_like_duckdb() {
        assert_eq!(
            crate::value::interval_text(14, 3, 4 * 3_600_000_000 + 5 * 60_000_000 + 6_000_000),
            "1 year 2 months 3 days 04:05:06"
        );
        assert_eq!(crate::value::interval_text(0, 1, 0), "1 day");
        assert_eq!(crate::value::interval_text(0, 0, 0), "00:00:00");
    }

    #[test]
    fn foreign_and_freed_handles_are_refused() {
        use crate::odbc;
        let mut env: odbc::Handle = std::ptr::null_mut();
        unsafe {
            assert_eq!(
                super::SQLAllocHandle(odbc::HANDLE_ENV, std::ptr::null_mut(), &mut env),
                odbc::SUCCESS
            );
            let mut bogus = 0u64;
            let foreign = &mut bogus as *mut u64 as odbc::Handle;
            let mut dbc: odbc::Handle = std::ptr::null_mut();
            assert_eq!(
                super::SQLAllocHandle(odbc::HANDLE_DBC, foreign, &mut dbc),
                odbc::INVALID_HANDLE
            );
            assert_eq!(
                super::SQLDisconnect(env),
                odbc::INVALID_HANDLE,
                "an environment is not a connection"
            );
            assert_eq!(super::SQLFreeHandle(odbc::HANDLE_ENV, env), odbc::SUCCESS);
            assert_eq!(
                super::SQLFreeHandle(odbc::HANDLE_ENV, env),
                odbc::INVALID_HANDLE,
                "freed twice"
            );
            assert_eq!(
                super::SQLExecute(std::ptr::null_mut()),
                odbc::INVALID_HANDLE
            );
        }
    }

    #[test]
    fn decimals_print_exactly() {
        use crate::value::Cell;
        let text = |v, s| String::from_utf8(Cell::Decimal(v, s).text().unwrap()).unwrap();
        assert_eq!(text(-1250, 2), "-12.50");
        assert_eq!(text(5, 3), "0.005");
        assert_eq!(text(42, 0), "42");
    }

    #[test]
    fn plain_inserts_are_recognised_for_the_appender() {
        assert_eq!(
            parse_plain_insert(r#"INSERT INTO "tr""ain" ("a","b c") VALUES (?,?)"#),
            Some(InsertTarget {
                schema: None,
                table: "tr\"ain".into(),
                columns: vec!["a".into(), "b c".into()]
            })
        );
        assert_eq!(
            parse_plain_insert("insert into main.t (x) values ( ? );").map(|t| (t.schema, t.table)),
            Some((Some("main".into()), "t".into()))
        );
        for other in [
            "INSERT INTO t (a, b) VALUES (?, 1)",
            "INSERT INTO t (a) SELECT ?",
            "INSERT INTO t (a) VALUES (?), (?)",
            "INSERT INTO t VALUES (?)",
            "UPDATE t SET a = ?",
        ] {
            assert_eq!(parse_plain_insert(other), None, "{other}");
        }
    }

    #[test]
    fn connection_strings_parse_with_braced_values() {
        let pairs = crate::driver::parse_connection_string(
            "Driver={MDM DuckDB};Database={/tmp/a;b}}c.duckdb};threads=2;",
        );
        assert_eq!(
            pairs[1],
            ("Database".to_string(), "/tmp/a;b}c.duckdb".to_string())
        );
        assert_eq!(pairs[2], ("threads".to_string(), "2".to_string()));
    }
}
