//! Diagnostic records: what each handle reports through SQLGetDiagRec and
//! SQLGetDiagField, and the SQLSTATE of each DuckDB error.

use crate::handles::{dbc, env, guard, stmt, write_text};
use crate::odbc::{self, Handle, Pointer, SqlReturn};

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
pub fn state_of(message: &str) -> &'static str {
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

pub unsafe fn diagnostics_of<'a>(handle_type: i16, handle: Handle) -> Option<&'a mut Diagnostics> {
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
