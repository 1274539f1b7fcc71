//! SQLGetInfo: what the driver and DuckDB support, as clients ask it.

use crate::handles::{with_connection, write_text};
use crate::odbc::{self, Handle, Pointer, SqlReturn};

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
