//! SQLGetDiagRec and SQLGetDiagField: the diagnostic records of any
//! handle, in either encoding.

use crate::diagnostics::Diagnostics;
use crate::handles::{dbc, env, guard, stmt};
use crate::odbc::{self, Handle, Len, Pointer, SqlReturn};
use crate::text::{self, Count, Width};

pub unsafe fn diagnostics_of<'a>(handle_type: i16, handle: Handle) -> Option<&'a mut Diagnostics> {
    match handle_type {
        odbc::HANDLE_ENV => env(handle).map(|e| &mut e.diagnostics),
        odbc::HANDLE_DBC => dbc(handle).map(|c| &mut c.diagnostics),
        odbc::HANDLE_STMT => stmt(handle).map(|s| &mut s.diagnostics),
        _ => None,
    }
}

unsafe fn get_diag_rec(
    handle_type: i16,
    handle: Handle,
    record: i16,
    state: Pointer,
    native: *mut i32,
    message: Pointer,
    capacity: i16,
    length: *mut i16,
    width: Width,
) -> SqlReturn {
    guard(None, || {
        let Some(diagnostics) = diagnostics_of(handle_type, handle) else {
            return odbc::INVALID_HANDLE;
        };
        if record < 1 {
            return odbc::ERROR;
        }
        let Some(diagnostic) = diagnostics.0.get(record as usize - 1) else {
            return odbc::NO_DATA;
        };
        if !state.is_null() {
            text::put(&diagnostic.state, state, 6, width, Count::Characters);
        }
        if !native.is_null() {
            *native = diagnostic.native;
        }
        if capacity < 0 {
            return odbc::ERROR;
        }
        if text::put16(
            &diagnostic.message,
            message,
            capacity as isize,
            length,
            width,
            Count::Characters,
        ) {
            odbc::SUCCESS_WITH_INFO
        } else {
            odbc::SUCCESS
        }
    })
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
    get_diag_rec(
        handle_type,
        handle,
        record,
        state as Pointer,
        native,
        message as Pointer,
        capacity,
        length,
        Width::Narrow,
    )
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetDiagRecW(
    handle_type: i16,
    handle: Handle,
    record: i16,
    state: *mut u16,
    native: *mut i32,
    message: *mut u16,
    capacity: i16,
    length: *mut i16,
) -> SqlReturn {
    get_diag_rec(
        handle_type,
        handle,
        record,
        state as Pointer,
        native,
        message as Pointer,
        capacity,
        length,
        Width::Wide,
    )
}

unsafe fn get_diag_field(
    handle_type: i16,
    handle: Handle,
    record: i16,
    field: i16,
    value: Pointer,
    capacity: i16,
    length: *mut i16,
    width: Width,
) -> SqlReturn {
    guard(None, || {
        let Some(diagnostics) = diagnostics_of(handle_type, handle) else {
            return odbc::INVALID_HANDLE;
        };
        const RETURNCODE: i16 = 1;
        const NUMBER: i16 = 2;
        const ROW_COUNT: i16 = 3;
        const SQLSTATE: i16 = 4;
        const NATIVE: i16 = 5;
        const MESSAGE_TEXT: i16 = 6;
        const DYNAMIC_FUNCTION: i16 = 7;
        const CLASS_ORIGIN: i16 = 8;
        const SUBCLASS_ORIGIN: i16 = 9;
        const CONNECTION_NAME: i16 = 10;
        const SERVER_NAME: i16 = 11;
        const DYNAMIC_FUNCTION_CODE: i16 = 12;
        const CURSOR_ROW_COUNT: i16 = -1249;
        const ROW_NUMBER: i16 = -1248;
        const COLUMN_NUMBER: i16 = -1247;
        let string = |s: &str| {
            if text::put16(s, value, capacity as isize, length, width, Count::Bytes) {
                odbc::SUCCESS_WITH_INFO
            } else {
                odbc::SUCCESS
            }
        };
        match field {
            NUMBER => {
                if !value.is_null() {
                    *(value as *mut i32) = diagnostics.0.len() as i32;
                }
                return odbc::SUCCESS;
            }
            RETURNCODE => {
                if !value.is_null() {
                    *(value as *mut i16) = if diagnostics.0.is_empty() {
                        odbc::SUCCESS
                    } else {
                        odbc::ERROR
                    };
                }
                return odbc::SUCCESS;
            }
            ROW_COUNT | CURSOR_ROW_COUNT | DYNAMIC_FUNCTION_CODE => {
                if !value.is_null() {
                    *(value as *mut Len) = 0;
                }
                return odbc::SUCCESS;
            }
            DYNAMIC_FUNCTION => return string(""),
            _ => {}
        }
        if record < 1 {
            return odbc::ERROR;
        }
        let Some(diagnostic) = diagnostics.0.get(record as usize - 1) else {
            return odbc::NO_DATA;
        };
        match field {
            SQLSTATE => string(&diagnostic.state),
            MESSAGE_TEXT => string(&diagnostic.message),
            CLASS_ORIGIN | SUBCLASS_ORIGIN => string(if diagnostic.state.starts_with("IM") {
                "ODBC 3.0"
            } else {
                "ISO 9075"
            }),
            CONNECTION_NAME | SERVER_NAME => string(""),
            NATIVE => {
                if !value.is_null() {
                    *(value as *mut i32) = diagnostic.native;
                }
                odbc::SUCCESS
            }
            ROW_NUMBER | COLUMN_NUMBER => {
                if !value.is_null() {
                    // SQL_ROW_NUMBER_UNKNOWN / SQL_COLUMN_NUMBER_UNKNOWN
                    *(value as *mut Len) = -2;
                }
                odbc::SUCCESS
            }
            _ => odbc::ERROR,
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
    get_diag_field(
        handle_type,
        handle,
        record,
        field,
        value,
        capacity,
        length,
        Width::Narrow,
    )
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetDiagFieldW(
    handle_type: i16,
    handle: Handle,
    record: i16,
    field: i16,
    value: Pointer,
    capacity: i16,
    length: *mut i16,
) -> SqlReturn {
    get_diag_field(
        handle_type,
        handle,
        record,
        field,
        value,
        capacity,
        length,
        Width::Wide,
    )
}
