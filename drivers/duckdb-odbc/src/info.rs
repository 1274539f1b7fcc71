//! SQLGetInfo (what the driver and DuckDB support, for every information
//! type clients commonly ask) and SQLGetFunctions (which entry points the
//! driver implements).

use crate::handles::{guard, with_connection};
use crate::odbc::{self, Handle, Pointer, SqlReturn};
use crate::text::{self, Count, Width};

/// An answer to SQLGetInfo.
enum Answer {
    Text(String),
    Small(u16),
    Int(u32),
}

/// The reserved words DuckDB has beyond ODBC's own list (SQL_KEYWORDS).
const KEYWORDS: &str = "ANALYZE,ANTI,ASOF,ATTACH,CHECKPOINT,COLUMNS,COPY,DETACH,EXPORT,GLOB,ILIKE,\
IMPORT,INSTALL,LAMBDA,LIMIT,LOAD,MACRO,MAP,OFFSET,PIVOT,PIVOT_LONGER,PIVOT_WIDER,POSITIONAL,PRAGMA,\
QUALIFY,RETURNING,SAMPLE,SEMI,SEQUENCE,SIMILAR,STRUCT,SUMMARIZE,TRY_CAST,UNPIVOT,VACUUM";

fn answer(info_type: u16, database: &str, read_only: bool) -> Option<Answer> {
    use Answer::*;
    let text = |s: &str| Some(Text(s.to_string()));
    let all_bits = |count: u32| Some(Int(((1u64 << count) - 1) as u32));
    match info_type {
        // Driver and data source.
        2 => text("mdm_duckdb"),                // SQL_DATA_SOURCE_NAME
        6 => text("libmdm_duckdb_odbc.so"),     // SQL_DRIVER_NAME
        7 => text("00.02.0000"),                // SQL_DRIVER_VER
        10 | 77 => text("03.80"),               // SQL_ODBC_VER, SQL_DRIVER_ODBC_VER
        13 => text(""),                         // SQL_SERVER_NAME
        16 => Some(Text(database.to_string())), // SQL_DATABASE_NAME
        17 => text("DuckDB"),                   // SQL_DBMS_NAME
        18 => text("01.05.0000"),               // SQL_DBMS_VER
        47 => text(""),                         // SQL_USER_NAME
        25 => text(if read_only { "Y" } else { "N" }), // SQL_DATA_SOURCE_READ_ONLY
        10000 => text("1995"),                  // SQL_XOPEN_CLI_YEAR
        // Limits (0: none).
        0 | 1 => Some(Small(0)), // SQL_MAX_DRIVER_CONNECTIONS, SQL_MAX_CONCURRENT_ACTIVITIES
        30..=35 | 97..=101 | 106 | 107 | 10005 => Some(Small(0)), // name lengths, columns, tables
        102 | 104 | 105 | 108 | 112 => Some(Int(0)), // index, row, statement and literal sizes
        103 => text("Y"),        // SQL_MAX_ROW_SIZE_INCLUDES_LONG
        // SQL syntax.
        29 => text("\""),               // SQL_IDENTIFIER_QUOTE_CHAR
        28 => Some(Small(4)),           // SQL_IDENTIFIER_CASE: mixed, case-insensitive
        93 => Some(Small(3)),           // SQL_QUOTED_IDENTIFIER_CASE: sensitive
        14 => text("\\"),               // SQL_SEARCH_PATTERN_ESCAPE
        94 => text(""),                 // SQL_SPECIAL_CHARACTERS
        89 => text(KEYWORDS),           // SQL_KEYWORDS
        41 => text("."),                // SQL_CATALOG_NAME_SEPARATOR
        42 => text("catalog"),          // SQL_CATALOG_TERM
        114 => Some(Small(1)),          // SQL_CATALOG_LOCATION: at the start
        10003 => text("Y"),             // SQL_CATALOG_NAME
        91 | 92 => all_bits(5),         // SQL_SCHEMA_USAGE, SQL_CATALOG_USAGE
        39 => text("schema"),           // SQL_SCHEMA_TERM
        45 => text("table"),            // SQL_TABLE_TERM
        40 => text("procedure"),        // SQL_PROCEDURE_TERM
        21 => text("N"),                // SQL_PROCEDURES
        19 | 20 => text("Y"),           // SQL_ACCESSIBLE_TABLES, SQL_ACCESSIBLE_PROCEDURES
        111 => text("N"),               // SQL_NEED_LONG_DATA_LEN
        10002 => text("Y"),             // SQL_DESCRIBE_PARAMETER
        27 => text("Y"),                // SQL_EXPRESSIONS_IN_ORDERBY
        90 => text("N"),                // SQL_ORDER_BY_COLUMNS_IN_SELECT
        88 => Some(Small(2)),           // SQL_GROUP_BY: must contain the select list's columns
        85 => Some(Small(1)),           // SQL_NULL_COLLATION: nulls last
        22 => Some(Small(0)),           // SQL_CONCAT_NULL_BEHAVIOR: null || 'a' is null
        74 => Some(Small(2)),           // SQL_CORRELATION_NAME: any
        75 => Some(Small(1)),           // SQL_NON_NULLABLE_COLUMNS
        73 => text("Y"),                // SQL_INTEGRITY
        87 => text("Y"),                // SQL_COLUMN_ALIAS
        113 => text("Y"),               // SQL_LIKE_ESCAPE_CLAUSE
        38 => text("Y"),                // SQL_OUTER_JOINS
        115 => all_bits(7),             // SQL_OJ_CAPABILITIES
        95 => all_bits(5),              // SQL_SUBQUERIES
        96 => all_bits(2),              // SQL_UNION
        86 => Some(Int(0x1 | 0x2)),     // SQL_ALTER_TABLE: add and drop column
        132 => all_bits(4),             // SQL_CREATE_TABLE
        134 | 131 => all_bits(2),       // SQL_CREATE_VIEW, SQL_CREATE_SCHEMA
        140 | 141 | 143 => all_bits(3), // SQL_DROP_SCHEMA, SQL_DROP_TABLE, SQL_DROP_VIEW
        127..=130 | 133 | 136..=139 | 142 | 117 => Some(Int(0)), // assertions, domains, ...
        170 => all_bits(2),             // SQL_DDL_INDEX
        148 => Some(Int(0x1)),          // SQL_INDEX_KEYWORDS: none
        172 => all_bits(3),             // SQL_INSERT_STATEMENT
        119 => all_bits(15),            // SQL_DATETIME_LITERALS
        118 => Some(Int(0x1)),          // SQL_SQL_CONFORMANCE: entry level
        9 | 15 => Some(Small(1)),       // SQL_ODBC_API_CONFORMANCE, SQL_ODBC_SQL_CONFORMANCE
        12 => Some(Small(1)),           // SQL_ODBC_SAG_CLI_CONFORMANCE
        152 => Some(Int(1)),            // SQL_ODBC_INTERFACE_CONFORMANCE: level 1
        166 => Some(Int(0x1)),          // SQL_STANDARD_CLI_CONFORMANCE
        169 => all_bits(7),             // SQL_AGGREGATE_FUNCTIONS
        // Scalar functions (through escape sequences and DuckDB's names).
        48 => Some(Int(0x2)),        // SQL_CONVERT_FUNCTIONS: CAST
        49 => all_bits(24),          // SQL_NUMERIC_FUNCTIONS
        50 => all_bits(19),          // SQL_STRING_FUNCTIONS
        51 => all_bits(3),           // SQL_SYSTEM_FUNCTIONS
        52 => all_bits(21),          // SQL_TIMEDATE_FUNCTIONS
        155 => all_bits(3),          // SQL_SQL92_DATETIME_FUNCTIONS
        159 => all_bits(6),          // SQL_SQL92_NUMERIC_VALUE_FUNCTIONS
        160 => all_bits(14),         // SQL_SQL92_PREDICATES
        161 => all_bits(10),         // SQL_SQL92_RELATIONAL_JOIN_OPERATORS
        163 => all_bits(4),          // SQL_SQL92_ROW_VALUE_CONSTRUCTOR
        164 => all_bits(8),          // SQL_SQL92_STRING_FUNCTIONS
        165 => all_bits(4),          // SQL_SQL92_VALUE_EXPRESSIONS
        156 | 157 => Some(Int(0x2)), // SQL_SQL92_FOREIGN_KEY_*_RULE: no action
        158 | 162 => Some(Int(0)),   // SQL_SQL92_GRANT, SQL_SQL92_REVOKE
        53..=71 | 122..=126 | 173 => Some(Int(0)), // SQL_CONVERT_*: no CONVERT function
        109 | 110 => Some(Int(0)),   // SQL_TIMEDATE_ADD/DIFF_INTERVALS
        // Transactions.
        46 => Some(Small(2)),      // SQL_TXN_CAPABLE: DML and DDL
        26 | 72 => Some(Int(8)), // SQL_DEFAULT_TXN_ISOLATION, SQL_TXN_ISOLATION_OPTION: serializable
        23 | 24 => Some(Small(2)), // SQL_CURSOR_COMMIT/ROLLBACK_BEHAVIOR: preserve
        36 => text("N"),         // SQL_MULT_RESULT_SETS
        37 => text("Y"),         // SQL_MULTIPLE_ACTIVE_TXN
        // Cursors and fetching: forward-only, read-only.
        8 => Some(Int(0x1)),               // SQL_FETCH_DIRECTION: next
        43 => Some(Int(0x1)),              // SQL_SCROLL_CONCURRENCY: read-only
        44 => Some(Int(0x1)),              // SQL_SCROLL_OPTIONS: forward-only
        11 => text("N"),                   // SQL_ROW_UPDATES
        78..=80 | 82 | 83 => Some(Int(0)), // locks, positioned operations, bookmarks
        81 => all_bits(4), // SQL_GETDATA_EXTENSIONS: any column, any order, block, bound
        84 => Some(Small(0)), // SQL_FILE_USAGE: not a single-tier file driver
        116 => Some(Int(0)), // SQL_ACTIVE_ENVIRONMENTS
        120 => Some(Int(0x2)), // SQL_BATCH_ROW_COUNT: rolled up
        121 => Some(Int(0)), // SQL_BATCH_SUPPORT
        144 | 145 | 150 | 151 | 167 | 168 => Some(Int(0)), // dynamic, keyset, static cursors
        146 => Some(Int(0x1)), // SQL_FORWARD_ONLY_CURSOR_ATTRIBUTES1: next
        147 => Some(Int(0x1 | 0x40)), // SQL_FORWARD_ONLY_CURSOR_ATTRIBUTES2: read-only, max rows
        149 => Some(Int(0x1 | 0x2 | 0x10 | 0x100 | 0x200)), // SQL_INFO_SCHEMA_VIEWS
        153 => Some(Int(2)), // SQL_PARAM_ARRAY_ROW_COUNTS: one total
        154 => Some(Int(3)), // SQL_PARAM_ARRAY_SELECTS: not for queries
        10001 => Some(Int(1)), // SQL_CURSOR_SENSITIVITY: insensitive
        10004 => text("UTF-8"), // SQL_COLLATION_SEQ
        10021..=10025 => Some(Int(0)), // asynchronous execution and pooling: none
        _ => None,
    }
}

unsafe fn get_info(
    handle: Handle,
    info_type: u16,
    value: Pointer,
    capacity: i16,
    length: *mut i16,
    width: Width,
) -> SqlReturn {
    with_connection(handle, |connection| {
        let database = connection.catalog_name();
        let Some(answer) = answer(info_type, &database, connection.read_only) else {
            return connection.diagnostics.error(
                "HY096",
                format!("information type {info_type} is not supported"),
            );
        };
        match answer {
            Answer::Text(s) => {
                if text::put16(&s, value, capacity as isize, length, width, Count::Bytes) {
                    connection
                        .diagnostics
                        .push("01004", "information truncated");
                    return odbc::SUCCESS_WITH_INFO;
                }
            }
            Answer::Small(v) => {
                if !value.is_null() {
                    *(value as *mut u16) = v;
                }
                if !length.is_null() {
                    *length = 2;
                }
            }
            Answer::Int(v) => {
                if !value.is_null() {
                    *(value as *mut u32) = v;
                }
                if !length.is_null() {
                    *length = 4;
                }
            }
        }
        odbc::SUCCESS
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
    get_info(handle, info_type, value, capacity, length, Width::Narrow)
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetInfoW(
    handle: Handle,
    info_type: u16,
    value: Pointer,
    capacity: i16,
    length: *mut i16,
) -> SqlReturn {
    get_info(handle, info_type, value, capacity, length, Width::Wide)
}

/// The ODBC function ids the driver exports (sql.h / sqlext.h numbering).
const IMPLEMENTED: &[u16] = &[
    1,    // SQLAllocConnect (through SQLAllocHandle)
    2,    // SQLAllocEnv
    3,    // SQLAllocStmt
    4,    // SQLBindCol
    5,    // SQLCancel
    6,    // SQLColAttribute
    7,    // SQLConnect
    8,    // SQLDescribeCol
    9,    // SQLDisconnect
    11,   // SQLExecDirect
    12,   // SQLExecute
    13,   // SQLFetch
    14,   // SQLFreeConnect
    15,   // SQLFreeEnv
    16,   // SQLFreeStmt
    17,   // SQLGetCursorName
    18,   // SQLNumResultCols
    19,   // SQLPrepare
    20,   // SQLRowCount
    21,   // SQLSetCursorName
    40,   // SQLColumns
    41,   // SQLDriverConnect
    43,   // SQLGetData
    44,   // SQLGetFunctions
    45,   // SQLGetInfo
    47,   // SQLGetTypeInfo
    48,   // SQLParamData
    49,   // SQLPutData
    52,   // SQLSpecialColumns
    53,   // SQLStatistics
    54,   // SQLTables
    56,   // SQLColumnPrivileges
    58,   // SQLDescribeParam
    59,   // SQLExtendedFetch
    60,   // SQLForeignKeys
    61,   // SQLMoreResults
    62,   // SQLNativeSql
    63,   // SQLNumParams
    65,   // SQLPrimaryKeys
    66,   // SQLProcedureColumns
    67,   // SQLProcedures
    70,   // SQLTablePrivileges
    72,   // SQLBindParameter
    1001, // SQLAllocHandle
    1003, // SQLCloseCursor
    1005, // SQLEndTran
    1006, // SQLFreeHandle
    1007, // SQLGetConnectAttr
    1008, // SQLGetDescField
    1010, // SQLGetDiagField
    1011, // SQLGetDiagRec
    1012, // SQLGetEnvAttr
    1014, // SQLGetStmtAttr
    1016, // SQLSetConnectAttr
    1017, // SQLSetDescField
    1019, // SQLSetEnvAttr
    1020, // SQLSetStmtAttr
    1021, // SQLFetchScroll
];

#[no_mangle]
pub unsafe extern "C" fn SQLGetFunctions(
    handle: Handle,
    function: u16,
    supported: *mut u16,
) -> SqlReturn {
    guard(None, || {
        if crate::handles::dbc(handle).is_none() {
            return odbc::INVALID_HANDLE;
        }
        if supported.is_null() {
            return odbc::SUCCESS;
        }
        match function {
            // SQL_API_ODBC3_ALL_FUNCTIONS: a 250-word bitmap.
            999 => {
                for word in 0..250 {
                    *supported.add(word) = 0;
                }
                for id in IMPLEMENTED {
                    *supported.add((*id >> 4) as usize) |= 1 << (id & 0xF);
                }
            }
            // SQL_API_ALL_FUNCTIONS (ODBC 2): 100 flags for ids below 100.
            0 => {
                for id in 0..100u16 {
                    *supported.add(id as usize) = IMPLEMENTED.contains(&id) as u16;
                }
            }
            id => *supported = IMPLEMENTED.contains(&id) as u16,
        }
        odbc::SUCCESS
    })
}
