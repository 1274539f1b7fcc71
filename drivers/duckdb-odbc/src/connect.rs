//! Connections: connection strings and DSNs, opening DuckDB databases,
//! connection attributes and transactions.

use std::ffi::{c_char, c_void, CStr, CString};

use libduckdb_sys as ffi;

use crate::diagnostics::{state_of, Diagnostics};
use crate::handles::{dbc, guard, text_arg, with_connection, write_text};
use crate::odbc::{self, Handle, Pointer, SqlReturn};

pub struct Connection {
    pub diagnostics: Diagnostics,
    pub database: ffi::duckdb_database,
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
