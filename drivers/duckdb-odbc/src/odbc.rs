//! The ODBC types and constants the driver uses (from the ODBC 3.8
//! specification's sql.h / sqlext.h).

#![allow(dead_code)]

use std::ffi::c_void;

pub type SqlReturn = i16;
pub type Handle = *mut c_void;
pub type Pointer = *mut c_void;
pub type Len = isize;
pub type ULen = usize;

pub const SUCCESS: SqlReturn = 0;
pub const SUCCESS_WITH_INFO: SqlReturn = 1;
pub const NO_DATA: SqlReturn = 100;
pub const ERROR: SqlReturn = -1;
pub const INVALID_HANDLE: SqlReturn = -2;

pub const HANDLE_ENV: i16 = 1;
pub const HANDLE_DBC: i16 = 2;
pub const HANDLE_STMT: i16 = 3;
pub const HANDLE_DESC: i16 = 4;

pub const NULL_DATA: Len = -1;
pub const NTS: Len = -3;
pub const NO_TOTAL: Len = -4;

// Environment and connection attributes.
pub const ATTR_ODBC_VERSION: i32 = 200;
pub const ATTR_AUTOCOMMIT: i32 = 102;
pub const ATTR_ACCESS_MODE: i32 = 101;
pub const ATTR_CURRENT_CATALOG: i32 = 109;

// Statement attributes.
pub const ATTR_QUERY_TIMEOUT: i32 = 0;
pub const ATTR_MAX_LENGTH: i32 = 3;
pub const ATTR_ROW_BIND_TYPE: i32 = 5;
pub const ATTR_CURSOR_TYPE: i32 = 6;
pub const ATTR_CONCURRENCY: i32 = 7;
pub const ROWSET_SIZE: i32 = 9;
pub const ATTR_PARAM_BIND_TYPE: i32 = 18;
pub const ATTR_PARAM_STATUS_PTR: i32 = 20;
pub const ATTR_PARAMS_PROCESSED_PTR: i32 = 21;
pub const ATTR_PARAMSET_SIZE: i32 = 22;
pub const ATTR_ROW_STATUS_PTR: i32 = 25;
pub const ATTR_ROWS_FETCHED_PTR: i32 = 26;
pub const ATTR_ROW_ARRAY_SIZE: i32 = 27;
pub const ATTR_APP_ROW_DESC: i32 = 10010;
pub const ATTR_APP_PARAM_DESC: i32 = 10011;
pub const ATTR_IMP_ROW_DESC: i32 = 10012;
pub const ATTR_IMP_PARAM_DESC: i32 = 10013;

// C data types.
pub const C_CHAR: i16 = 1;
pub const C_LONG: i16 = 4;
pub const C_SHORT: i16 = 5;
pub const C_FLOAT: i16 = 7;
pub const C_DOUBLE: i16 = 8;
pub const C_DATE: i16 = 9;
pub const C_TIMESTAMP: i16 = 11;
pub const C_TYPE_DATE: i16 = 91;
pub const C_TYPE_TIMESTAMP: i16 = 93;
pub const C_DEFAULT: i16 = 99;
pub const C_BIT: i16 = -7;
pub const C_TINYINT: i16 = -6;
pub const C_BINARY: i16 = -2;
pub const C_WCHAR: i16 = -8;
pub const C_SSHORT: i16 = -15;
pub const C_SLONG: i16 = -16;
pub const C_USHORT: i16 = -17;
pub const C_ULONG: i16 = -18;
pub const C_SBIGINT: i16 = -25;
pub const C_STINYINT: i16 = -26;
pub const C_UBIGINT: i16 = -27;
pub const C_UTINYINT: i16 = -28;

// SQL data types.
pub const SQL_CHAR: i16 = 1;
pub const SQL_NUMERIC: i16 = 2;
pub const SQL_DECIMAL: i16 = 3;
pub const SQL_INTEGER: i16 = 4;
pub const SQL_SMALLINT: i16 = 5;
pub const SQL_FLOAT: i16 = 6;
pub const SQL_REAL: i16 = 7;
pub const SQL_DOUBLE: i16 = 8;
pub const SQL_VARCHAR: i16 = 12;
pub const SQL_LONGVARCHAR: i16 = -1;
pub const SQL_BINARY: i16 = -2;
pub const SQL_VARBINARY: i16 = -3;
pub const SQL_BIGINT: i16 = -5;
pub const SQL_TINYINT: i16 = -6;
pub const SQL_BIT: i16 = -7;
pub const SQL_WCHAR: i16 = -8;
pub const SQL_WVARCHAR: i16 = -9;
pub const SQL_TYPE_DATE: i16 = 91;
pub const SQL_TYPE_TIME: i16 = 92;
pub const SQL_TYPE_TIMESTAMP: i16 = 93;

// SQLColAttribute fields.
pub const DESC_CONCISE_TYPE: u16 = 2;
pub const COLUMN_LENGTH: u16 = 3;
pub const COLUMN_PRECISION: u16 = 4;
pub const COLUMN_SCALE: u16 = 5;
pub const DESC_DISPLAY_SIZE: u16 = 6;
pub const DESC_UNSIGNED: u16 = 8;
pub const DESC_UPDATABLE: u16 = 10;
pub const DESC_AUTO_UNIQUE_VALUE: u16 = 11;
pub const DESC_CASE_SENSITIVE: u16 = 12;
pub const DESC_SEARCHABLE: u16 = 13;
pub const DESC_TYPE_NAME: u16 = 14;
pub const DESC_LABEL: u16 = 18;
pub const DESC_COUNT: u16 = 1001;
pub const DESC_TYPE: u16 = 1002;
pub const DESC_LENGTH: u16 = 1003;
pub const DESC_PRECISION: u16 = 1005;
pub const DESC_SCALE: u16 = 1006;
pub const DESC_NULLABLE: u16 = 1008;
pub const DESC_NAME: u16 = 1011;
pub const DESC_OCTET_LENGTH: u16 = 1013;
pub const COLUMN_NAME: u16 = 1;

pub const NULLABLE: i16 = 1;
pub const NULLABLE_UNKNOWN: i16 = 2;

// SQLFreeStmt options, SQLEndTran completions, fetch orientation.
pub const CLOSE: u16 = 0;
pub const DROP: u16 = 1;
pub const UNBIND: u16 = 2;
pub const RESET_PARAMS: u16 = 3;
pub const COMMIT: i16 = 0;
pub const ROLLBACK: i16 = 1;
pub const FETCH_NEXT: i16 = 1;

// Row and parameter status values.
pub const ROW_SUCCESS: u16 = 0;
pub const ROW_NOROW: u16 = 3;
pub const ROW_SUCCESS_WITH_INFO: u16 = 6;
pub const PARAM_SUCCESS: u16 = 0;
pub const PARAM_UNUSED: u16 = 7;

/// SQL_DATE_STRUCT.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Date {
    pub year: i16,
    pub month: u16,
    pub day: u16,
}

/// SQL_TIMESTAMP_STRUCT (fraction in nanoseconds).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Timestamp {
    pub year: i16,
    pub month: u16,
    pub day: u16,
    pub hour: u16,
    pub minute: u16,
    pub second: u16,
    pub fraction: u32,
}

// More connection attributes and their values.
pub const ATTR_LOGIN_TIMEOUT: i32 = 103;
pub const ATTR_TRACE: i32 = 104;
pub const ATTR_TXN_ISOLATION: i32 = 108;
pub const ATTR_PACKET_SIZE: i32 = 112;
pub const ATTR_CONNECTION_TIMEOUT: i32 = 113;
pub const ATTR_CONNECTION_DEAD: i32 = 1209;
pub const MODE_READ_ONLY: usize = 1;
pub const TXN_SERIALIZABLE: usize = 8;

// More statement attributes and values.
pub const ATTR_MAX_ROWS: i32 = 1;
pub const ATTR_NOSCAN: i32 = 2;
pub const ATTR_USE_BOOKMARKS: i32 = 12;
pub const ATTR_PARAM_BIND_OFFSET_PTR: i32 = 17;
pub const ATTR_PARAM_OPERATION_PTR: i32 = 19;
pub const ATTR_ROW_BIND_OFFSET_PTR: i32 = 23;
pub const NEED_DATA: SqlReturn = 99;
pub const DATA_AT_EXEC: Len = -2;
pub const LEN_DATA_AT_EXEC_OFFSET: Len = -100;
pub const PARAM_INPUT: i16 = 1;
pub const PARAM_ERROR: u16 = 5;
pub const PARAM_IGNORE: u16 = 1;

// More C and SQL types.
pub const C_NUMERIC: i16 = 2;
pub const C_TIME: i16 = 10;
pub const C_TYPE_TIME: i16 = 92;
pub const C_GUID: i16 = -11;
pub const SQL_GUID: i16 = -11;
pub const SQL_LONGVARBINARY: i16 = -4;
pub const SQL_WLONGVARCHAR: i16 = -10;
pub const SQL_DATE: i16 = 9;
pub const SQL_TIME: i16 = 10;
pub const SQL_TIMESTAMP: i16 = 11;
pub const SQL_UNKNOWN_TYPE: i16 = 0;

/// SQL_TIME_STRUCT.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Time {
    pub hour: u16,
    pub minute: u16,
    pub second: u16,
}

/// SQL_NUMERIC_STRUCT: an unsigned little-endian mantissa, a sign (1 for
/// positive) and a scale.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Numeric {
    pub precision: u8,
    pub scale: i8,
    pub sign: u8,
    pub value: [u8; 16],
}

/// SQLGUID.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Guid {
    pub data1: u32,
    pub data2: u16,
    pub data3: u16,
    pub data4: [u8; 8],
}

// More descriptor fields and values.
pub const COLUMN_NULLABLE: u16 = 7;
pub const DESC_FIXED_PREC_SCALE: u16 = 9;
pub const DESC_LOCAL_TYPE_NAME: u16 = 29;
pub const DESC_TABLE_NAME: u16 = 15;
pub const DESC_SCHEMA_NAME: u16 = 16;
pub const DESC_CATALOG_NAME: u16 = 17;
pub const DESC_BASE_COLUMN_NAME: u16 = 22;
pub const DESC_BASE_TABLE_NAME: u16 = 23;
pub const DESC_LITERAL_PREFIX: u16 = 27;
pub const DESC_LITERAL_SUFFIX: u16 = 28;
pub const DESC_NUM_PREC_RADIX: u16 = 32;
pub const DESC_DATETIME_INTERVAL_CODE: u16 = 1007;
pub const DESC_UNNAMED: u16 = 1012;
pub const C_ARD_TYPE: i16 = -99;
pub const ROW_ERROR: u16 = 5;
