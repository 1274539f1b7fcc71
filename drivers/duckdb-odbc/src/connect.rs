//! The entry points on connections: SQLDriverConnect and SQLConnect (with
//! a DSN), SQLDisconnect, connection attributes and SQLEndTran. What a
//! connection is and does is in `crate::connection`.

use crate::handles::{dbc, guard, with_connection};
use crate::odbc::{self, Handle, Pointer, SqlReturn};
use crate::text::{self, Count, Width};

/// SQLDriverConnect in either encoding: connects and returns the
/// connection string as completed (the input, since nothing is prompted).
unsafe fn driver_connect(
    handle: Handle,
    input: Pointer,
    input_length: i16,
    output: Pointer,
    output_capacity: i16,
    output_length: *mut i16,
    width: Width,
) -> SqlReturn {
    with_connection(handle, |connection| {
        let text = text::optional_arg(input, input_length as isize, width).unwrap_or_default();
        let outcome = connection.connect(&text);
        if outcome != odbc::SUCCESS {
            return outcome;
        }
        if text::put16(
            &text,
            output,
            output_capacity as isize,
            output_length,
            width,
            Count::Characters,
        ) {
            connection
                .diagnostics
                .push("01004", "the completed connection string was truncated");
            return odbc::SUCCESS_WITH_INFO;
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
    driver_connect(
        handle,
        in_string as Pointer,
        in_length,
        out_string as Pointer,
        out_capacity,
        out_length,
        Width::Narrow,
    )
}

#[no_mangle]
pub unsafe extern "C" fn SQLDriverConnectW(
    handle: Handle,
    _window: Pointer,
    in_string: *const u16,
    in_length: i16,
    out_string: *mut u16,
    out_capacity: i16,
    out_length: *mut i16,
    _completion: u16,
) -> SqlReturn {
    driver_connect(
        handle,
        in_string as Pointer,
        in_length,
        out_string as Pointer,
        out_capacity,
        out_length,
        Width::Wide,
    )
}

unsafe fn connect_dsn(handle: Handle, dsn: Pointer, dsn_length: i16, width: Width) -> SqlReturn {
    with_connection(handle, |connection| {
        let dsn = text::optional_arg(dsn, dsn_length as isize, width).unwrap_or_default();
        connection.connect(&format!("DSN={{{}}}", dsn.replace('}', "}}")))
    })
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
    connect_dsn(handle, dsn as Pointer, dsn_length, Width::Narrow)
}

#[no_mangle]
pub unsafe extern "C" fn SQLConnectW(
    handle: Handle,
    dsn: *const u16,
    dsn_length: i16,
    _user: *const u16,
    _user_length: i16,
    _password: *const u16,
    _password_length: i16,
) -> SqlReturn {
    connect_dsn(handle, dsn as Pointer, dsn_length, Width::Wide)
}

#[no_mangle]
pub unsafe extern "C" fn SQLDisconnect(handle: Handle) -> SqlReturn {
    with_connection(handle, |connection| {
        if !connection.is_connected() {
            return connection
                .diagnostics
                .error("08003", "the connection is not open");
        }
        connection.disconnect();
        odbc::SUCCESS
    })
}

unsafe fn set_connect_attr(handle: Handle, attribute: i32, value: Pointer) -> SqlReturn {
    with_connection(handle, |connection| {
        let number = value as usize;
        match attribute {
            odbc::ATTR_AUTOCOMMIT => {
                let on = number != 0;
                if on && !connection.autocommit && connection.in_transaction {
                    // Switching autocommit on commits the open transaction.
                    let outcome = connection.end_transaction(true);
                    if outcome != odbc::SUCCESS {
                        return outcome;
                    }
                }
                connection.autocommit = on;
            }
            odbc::ATTR_ACCESS_MODE => {
                let read_only = number == odbc::MODE_READ_ONLY;
                if !read_only && connection.read_only_by_dsn {
                    return connection.diagnostics.error(
                        "HY024",
                        "the connection was opened with access_mode=READ_ONLY and stays read-only",
                    );
                }
                connection.read_only = read_only;
            }
            odbc::ATTR_LOGIN_TIMEOUT => connection.login_timeout = number,
            odbc::ATTR_TXN_ISOLATION if number != odbc::TXN_SERIALIZABLE => {
                connection.diagnostics.push(
                    "01S02",
                    "DuckDB transactions are serializable (snapshot isolation)",
                );
                return odbc::SUCCESS_WITH_INFO;
            }
            // Settings DuckDB has no use for are accepted as they are.
            _ => {}
        }
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
    set_connect_attr(handle, attribute, value)
}

#[no_mangle]
pub unsafe extern "C" fn SQLSetConnectAttrW(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    _length: i32,
) -> SqlReturn {
    set_connect_attr(handle, attribute, value)
}

unsafe fn get_connect_attr(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    capacity: i32,
    length: *mut i32,
    width: Width,
) -> SqlReturn {
    with_connection(handle, |connection| {
        let number = |n: u32| {
            if !value.is_null() {
                *(value as *mut u32) = n;
            }
            if !length.is_null() {
                *length = 4;
            }
            odbc::SUCCESS
        };
        match attribute {
            odbc::ATTR_AUTOCOMMIT => number(connection.autocommit as u32),
            odbc::ATTR_ACCESS_MODE => number(connection.read_only as u32),
            odbc::ATTR_TXN_ISOLATION => number(odbc::TXN_SERIALIZABLE as u32),
            odbc::ATTR_LOGIN_TIMEOUT => number(connection.login_timeout as u32),
            odbc::ATTR_CONNECTION_DEAD => number(!connection.is_connected() as u32),
            odbc::ATTR_CONNECTION_TIMEOUT | odbc::ATTR_PACKET_SIZE | odbc::ATTR_TRACE => number(0),
            odbc::ATTR_CURRENT_CATALOG => {
                let name = connection.catalog_name();
                if text::put32(&name, value, capacity as isize, length, width, Count::Bytes) {
                    connection
                        .diagnostics
                        .push("01004", "catalog name truncated");
                    return odbc::SUCCESS_WITH_INFO;
                }
                odbc::SUCCESS
            }
            _ => connection.diagnostics.error(
                "HY092",
                format!("connection attribute {attribute} is not supported"),
            ),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetConnectAttr(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    capacity: i32,
    length: *mut i32,
) -> SqlReturn {
    get_connect_attr(handle, attribute, value, capacity, length, Width::Narrow)
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetConnectAttrW(
    handle: Handle,
    attribute: i32,
    value: Pointer,
    capacity: i32,
    length: *mut i32,
) -> SqlReturn {
    get_connect_attr(handle, attribute, value, capacity, length, Width::Wide)
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
