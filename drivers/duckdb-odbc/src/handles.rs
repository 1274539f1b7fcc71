//! Handles: allocation and release, finding a live handle of the expected
//! type (see [`crate::registry`]) for every entry point, the panic guard,
//! and environments.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::connection::{Connection, Statement};
use crate::diagnostics::Diagnostics;
use crate::odbc::{self, Handle, Pointer, SqlReturn};
use crate::registry::{is_live, live};

pub struct Environment {
    pub diagnostics: Diagnostics,
    pub odbc_version: i32,
}

/// Runs `body`, turning a panic into SQL_ERROR recorded on `diagnostics`.
/// Every entry point runs inside it: a panic crossing into the caller would
/// abort the host process.
pub fn guard(diagnostics: Option<&mut Diagnostics>, body: impl FnOnce() -> SqlReturn) -> SqlReturn {
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

/// Runs an entry point on a live statement: clears its diagnostics and
/// records a panic on it as SQL_ERROR. Entry points of one connection's
/// statements run one at a time (SQLCancel, which interrupts, excepted).
pub unsafe fn with_statement(
    handle: Handle,
    body: impl FnOnce(&mut Statement) -> SqlReturn,
) -> SqlReturn {
    let Some(statement) = stmt(handle) else {
        return odbc::INVALID_HANDLE;
    };
    let _held = (!statement.connection.is_null())
        .then(|| (*(statement.connection as *const Connection)).busy.hold());
    statement.diagnostics.0.clear();
    let diagnostics = &mut *(&mut statement.diagnostics as *mut Diagnostics);
    guard(Some(diagnostics), || body(statement))
}

/// [`with_statement`] for connections.
pub unsafe fn with_connection(
    handle: Handle,
    body: impl FnOnce(&mut Connection) -> SqlReturn,
) -> SqlReturn {
    let Some(connection) = dbc(handle) else {
        return odbc::INVALID_HANDLE;
    };
    let _held = (*(connection as *const Connection)).busy.hold();
    connection.diagnostics.0.clear();
    let diagnostics = &mut *(&mut connection.diagnostics as *mut Diagnostics);
    guard(Some(diagnostics), || body(connection))
}

pub unsafe fn env<'a>(handle: Handle) -> Option<&'a mut Environment> {
    is_live(handle, odbc::HANDLE_ENV).then(|| &mut *(handle as *mut Environment))
}
pub unsafe fn dbc<'a>(handle: Handle) -> Option<&'a mut Connection> {
    is_live(handle, odbc::HANDLE_DBC).then(|| &mut *(handle as *mut Connection))
}
pub unsafe fn stmt<'a>(handle: Handle) -> Option<&'a mut Statement> {
    is_live(handle, odbc::HANDLE_STMT).then(|| &mut *(handle as *mut Statement))
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
                    if !connection.is_connected() {
                        connection.diagnostics.0.clear();
                        return connection
                            .diagnostics
                            .error("08003", "the connection is not open");
                    }
                    let statement = Box::into_raw(Box::new(Statement::new(connection)));
                    connection.statements.push(statement);
                    crate::connection::statement::descriptors::register(statement);
                    statement as Handle
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
                odbc::HANDLE_STMT => {
                    let statement = handle as *mut Statement;
                    let _held = (*((*statement).connection as *const Connection))
                        .busy
                        .hold();
                    let connection = &mut *(*statement).connection;
                    connection.statements.retain(|s| *s != statement);
                    if connection.streaming == statement {
                        connection.streaming = std::ptr::null_mut();
                    }
                    drop(Box::from_raw(statement))
                }
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
