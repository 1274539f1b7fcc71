//! The entry points on statements: SQLExecDirect, SQLPrepare and
//! SQLExecute, SQLNativeSql, statement attributes, SQLRowCount,
//! SQLFreeStmt, SQLCancel and cursor names. What a statement is and does
//! is in `crate::connection::statement`.

use libduckdb_sys as ffi;

use crate::escape;
use crate::handles::{guard, stmt, with_statement, SQLFreeHandle};
use crate::odbc::{self, Handle, Len, Pointer, SqlReturn, ULen};
use crate::text::{self, Count, Width};

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
