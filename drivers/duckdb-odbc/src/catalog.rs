//! Catalog functions (SQLTables, SQLColumns, SQLPrimaryKeys,
//! SQLForeignKeys, SQLStatistics, SQLSpecialColumns, SQLProcedures,
//! SQLGetTypeInfo, ...), answered by queries over DuckDB's own catalog
//! (`information_schema`, `duckdb_columns()`, `duckdb_constraints()`), with
//! the columns ODBC specifies and the same types result sets describe.

use crate::connection::Statement;
use crate::handles::with_statement;
use crate::odbc::{Handle, Pointer, SqlReturn};
use crate::text::{self, Width};
use crate::value::Cell;

/// Every type the driver describes, with what SQLGetTypeInfo and
/// SQLColumns report for it: name, SQL type, column size, decimal digits,
/// radix, octet length, literal quote, create parameters, unsigned.
const TYPES: &str = "(VALUES \
    ('BOOLEAN', -7, 1, 0, NULL, 1, NULL, NULL, 0), \
    ('TINYINT', -6, 3, 0, 10, 1, NULL, NULL, 0), \
    ('UTINYINT', -6, 3, 0, 10, 1, NULL, NULL, 1), \
    ('BIGINT', -5, 19, 0, 10, 8, NULL, NULL, 0), \
    ('UUID', -11, 36, NULL, NULL, 16, '''', NULL, NULL), \
    ('BLOB', -3, 65535, NULL, NULL, 65535, NULL, NULL, NULL), \
    ('VARCHAR', 12, 65535, NULL, NULL, 65535, '''', NULL, NULL), \
    ('DECIMAL', 3, 38, NULL, 10, 40, NULL, 'precision,scale', 0), \
    ('UBIGINT', 3, 20, 0, 10, 22, NULL, NULL, 1), \
    ('HUGEINT', 3, 39, 0, 10, 41, NULL, NULL, 0), \
    ('UHUGEINT', 3, 39, 0, 10, 41, NULL, NULL, 1), \
    ('INTEGER', 4, 10, 0, 10, 4, NULL, NULL, 0), \
    ('UINTEGER', 4, 10, 0, 10, 4, NULL, NULL, 1), \
    ('SMALLINT', 5, 5, 0, 10, 2, NULL, NULL, 0), \
    ('USMALLINT', 5, 5, 0, 10, 2, NULL, NULL, 1), \
    ('FLOAT', 7, 7, NULL, 2, 4, NULL, NULL, 0), \
    ('DOUBLE', 8, 15, NULL, 2, 8, NULL, NULL, 0), \
    ('DATE', 91, 10, NULL, NULL, 6, '''', NULL, NULL), \
    ('TIME', 92, 15, 6, NULL, 6, '''', NULL, NULL), \
    ('TIMESTAMP', 93, 26, 6, NULL, 16, '''', NULL, NULL), \
    ('TIMESTAMP WITH TIME ZONE', 93, 26, 6, NULL, 16, '''', NULL, NULL), \
    ('TIMESTAMP_S', 93, 19, 0, NULL, 16, '''', NULL, NULL), \
    ('TIMESTAMP_MS', 93, 23, 3, NULL, 16, '''', NULL, NULL), \
    ('TIMESTAMP_NS', 93, 29, 9, NULL, 16, '''', NULL, NULL))";

/// Further SQL types SQLGetTypeInfo answers with a DuckDB type that holds
/// them (clients choose column types from it): the wide, long and fixed
/// character types are VARCHAR, NUMERIC is DuckDB's name for DECIMAL, the
/// long and fixed binary types are BLOB.
const MORE_TYPES: &str = "(VALUES \
    ('VARCHAR', 1, 65535, NULL, NULL, 65535, '''', 'length', NULL), \
    ('VARCHAR', -1, 65535, NULL, NULL, 65535, '''', NULL, NULL), \
    ('VARCHAR', -8, 65535, NULL, NULL, 65535, '''', 'length', NULL), \
    ('VARCHAR', -9, 65535, NULL, NULL, 65535, '''', NULL, NULL), \
    ('VARCHAR', -10, 65535, NULL, NULL, 65535, '''', NULL, NULL), \
    ('NUMERIC', 2, 38, NULL, 10, 40, NULL, 'precision,scale', 0), \
    ('BLOB', -2, 65535, NULL, NULL, 65535, NULL, NULL, NULL), \
    ('BLOB', -4, 65535, NULL, NULL, 65535, NULL, NULL, NULL))";

/// [`TYPES`] as a table named `alias`.
fn types_table(alias: &str) -> String {
    format!(
        "{TYPES} AS {alias}(name, data_type, column_size, decimal_digits, radix, octet_length, \
         quote, create_params, unsigned)"
    )
}

/// The [`TYPES`] row of a DuckDB type name in column `expression`
/// (`DECIMAL(10,2)` is a DECIMAL; any other unknown type is text).
fn type_key(expression: &str) -> String {
    format!(
        "CASE WHEN {expression} LIKE 'DECIMAL(%' THEN 'DECIMAL' \
         WHEN {expression} IN (SELECT name FROM {}) THEN {expression} ELSE 'VARCHAR' END",
        types_table("known")
    )
}

/// The catalog function's name arguments, decoded.
unsafe fn names(width: Width, arguments: &[(Pointer, i16)]) -> Vec<Option<String>> {
    arguments
        .iter()
        .map(|(text, length)| text::optional_arg(*text, *length as isize, width))
        .collect()
}

/// A pattern argument as a LIKE pattern (`%` when absent or empty).
fn pattern(name: &Option<String>) -> Cell {
    match name.as_deref() {
        None | Some("") => Cell::Text(b"%".to_vec()),
        Some(text) => Cell::Text(text.as_bytes().to_vec()),
    }
}

/// An ordinary (not pattern) argument: `%` matches all when absent, else
/// the name with LIKE's wildcards escaped.
fn exact(name: &Option<String>) -> Cell {
    match name.as_deref() {
        None | Some("") => Cell::Text(b"%".to_vec()),
        Some(text) => Cell::Text(
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
                .into_bytes(),
        ),
    }
}

fn tables(statement: &mut Statement, arguments: Vec<Option<String>>) -> SqlReturn {
    let (catalog, schema, table, types) =
        (&arguments[0], &arguments[1], &arguments[2], &arguments[3]);
    let is = |name: &Option<String>, value: &str| name.as_deref() == Some(value);
    let empty = |name: &Option<String>| name.as_deref().unwrap_or("").is_empty();
    let null_columns = "CAST(NULL AS VARCHAR) AS TABLE_NAME, CAST(NULL AS VARCHAR) AS TABLE_TYPE, \
                        CAST(NULL AS VARCHAR) AS REMARKS";
    if is(catalog, "%") && empty(schema) && empty(table) {
        return statement.catalog(
            &format!(
                "SELECT DISTINCT database_name AS TABLE_CAT, CAST(NULL AS VARCHAR) AS TABLE_SCHEM, \
                 {null_columns} FROM duckdb_databases() WHERE NOT internal ORDER BY 1"
            ),
            &[],
        );
    }
    if is(schema, "%") && empty(catalog) && empty(table) {
        return statement.catalog(
            &format!(
                "SELECT DISTINCT CAST(NULL AS VARCHAR) AS TABLE_CAT, schema_name AS TABLE_SCHEM, \
                 {null_columns} FROM duckdb_schemas() WHERE NOT internal OR schema_name = 'main' ORDER BY 2"
            ),
            &[],
        );
    }
    if is(types, "%") && empty(catalog) && empty(schema) && empty(table) {
        return statement.catalog(
            "SELECT CAST(NULL AS VARCHAR) AS TABLE_CAT, CAST(NULL AS VARCHAR) AS TABLE_SCHEM, \
             CAST(NULL AS VARCHAR) AS TABLE_NAME, TABLE_TYPE, CAST(NULL AS VARCHAR) AS REMARKS \
             FROM (VALUES ('LOCAL TEMPORARY'), ('TABLE'), ('VIEW')) AS t(TABLE_TYPE) ORDER BY 4",
            &[],
        );
    }
    // 'TABLE','VIEW' (quoted or not) as TABLE,VIEW; empty for every type.
    let wanted: Vec<String> = types
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(|t| t.trim().trim_matches('\'').trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty() && t != "%")
        .collect();
    statement.catalog(
        "SELECT * FROM (SELECT table_catalog AS TABLE_CAT, table_schema AS TABLE_SCHEM, \
         table_name AS TABLE_NAME, \
         CASE table_type WHEN 'BASE TABLE' THEN 'TABLE' ELSE table_type END AS TABLE_TYPE, \
         CAST(NULL AS VARCHAR) AS REMARKS \
         FROM information_schema.tables \
         WHERE table_catalog LIKE ? ESCAPE '\\' AND table_schema LIKE ? ESCAPE '\\' \
         AND table_name LIKE ? ESCAPE '\\') \
         WHERE ? = '' OR list_contains(string_split(?, ','), TABLE_TYPE) \
         ORDER BY TABLE_TYPE, TABLE_CAT, TABLE_SCHEM, TABLE_NAME",
        &[
            exact(catalog),
            pattern(schema),
            pattern(table),
            Cell::Text(wanted.join(",").into_bytes()),
            Cell::Text(wanted.join(",").into_bytes()),
        ],
    )
}

fn columns(statement: &mut Statement, arguments: Vec<Option<String>>) -> SqlReturn {
    let key = type_key("c.data_type");
    let sql = format!(
        "SELECT c.database_name AS TABLE_CAT, c.schema_name AS TABLE_SCHEM, c.table_name AS TABLE_NAME, \
         c.column_name AS COLUMN_NAME, CAST(t.data_type AS SMALLINT) AS DATA_TYPE, \
         c.data_type AS TYPE_NAME, \
         CAST(CASE WHEN t.name = 'DECIMAL' THEN c.numeric_precision ELSE t.column_size END AS INTEGER) AS COLUMN_SIZE, \
         CAST(CASE WHEN t.name = 'DECIMAL' THEN c.numeric_precision + 2 ELSE t.octet_length END AS INTEGER) AS BUFFER_LENGTH, \
         CAST(CASE WHEN t.name = 'DECIMAL' THEN c.numeric_scale ELSE t.decimal_digits END AS SMALLINT) AS DECIMAL_DIGITS, \
         CAST(t.radix AS SMALLINT) AS NUM_PREC_RADIX, \
         CAST(CASE WHEN c.is_nullable THEN 1 ELSE 0 END AS SMALLINT) AS NULLABLE, \
         c.comment AS REMARKS, c.column_default AS COLUMN_DEF, \
         CAST(CASE WHEN t.data_type IN (91, 92, 93) THEN 9 ELSE t.data_type END AS SMALLINT) AS SQL_DATA_TYPE, \
         CAST(CASE t.data_type WHEN 91 THEN 1 WHEN 92 THEN 2 WHEN 93 THEN 3 END AS SMALLINT) AS SQL_DATETIME_SUB, \
         CAST(CASE WHEN t.data_type IN (12, -3) THEN t.octet_length END AS INTEGER) AS CHAR_OCTET_LENGTH, \
         CAST(c.column_index AS INTEGER) AS ORDINAL_POSITION, \
         CASE WHEN c.is_nullable THEN 'YES' ELSE 'NO' END AS IS_NULLABLE \
         FROM duckdb_columns() c JOIN {} ON t.name = {key} \
         WHERE NOT c.internal AND c.database_name LIKE ? ESCAPE '\\' AND c.schema_name LIKE ? ESCAPE '\\' \
         AND c.table_name LIKE ? ESCAPE '\\' AND c.column_name LIKE ? ESCAPE '\\' \
         ORDER BY 1, 2, 3, ORDINAL_POSITION",
        types_table("t")
    );
    statement.catalog(
        &sql,
        &[
            exact(&arguments[0]),
            pattern(&arguments[1]),
            pattern(&arguments[2]),
            pattern(&arguments[3]),
        ],
    )
}

fn primary_keys(statement: &mut Statement, arguments: Vec<Option<String>>) -> SqlReturn {
    statement.catalog(
        "SELECT database_name AS TABLE_CAT, schema_name AS TABLE_SCHEM, table_name AS TABLE_NAME, \
         unnest(constraint_column_names) AS COLUMN_NAME, \
         CAST(unnest(generate_series(1, len(constraint_column_names))) AS SMALLINT) AS KEY_SEQ, \
         constraint_name AS PK_NAME \
         FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' \
         AND database_name LIKE ? ESCAPE '\\' AND schema_name LIKE ? ESCAPE '\\' AND table_name LIKE ? ESCAPE '\\' \
         ORDER BY 1, 2, 3, 5",
        &[exact(&arguments[0]), exact(&arguments[1]), exact(&arguments[2])],
    )
}

fn foreign_keys(statement: &mut Statement, arguments: Vec<Option<String>>) -> SqlReturn {
    // A foreign key names its referenced table only; it lives in the
    // referencing table's catalog and schema.
    statement.catalog(
        "SELECT * FROM (SELECT database_name AS PKTABLE_CAT, schema_name AS PKTABLE_SCHEM, \
         referenced_table AS PKTABLE_NAME, unnest(referenced_column_names) AS PKCOLUMN_NAME, \
         database_name AS FKTABLE_CAT, schema_name AS FKTABLE_SCHEM, table_name AS FKTABLE_NAME, \
         unnest(constraint_column_names) AS FKCOLUMN_NAME, \
         CAST(unnest(generate_series(1, len(constraint_column_names))) AS SMALLINT) AS KEY_SEQ, \
         CAST(1 AS SMALLINT) AS UPDATE_RULE, CAST(1 AS SMALLINT) AS DELETE_RULE, \
         constraint_name AS FK_NAME, CAST(NULL AS VARCHAR) AS PK_NAME, CAST(7 AS SMALLINT) AS DEFERRABILITY \
         FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY') \
         WHERE PKTABLE_CAT LIKE ? ESCAPE '\\' AND PKTABLE_SCHEM LIKE ? ESCAPE '\\' AND PKTABLE_NAME LIKE ? ESCAPE '\\' \
         AND FKTABLE_CAT LIKE ? ESCAPE '\\' AND FKTABLE_SCHEM LIKE ? ESCAPE '\\' AND FKTABLE_NAME LIKE ? ESCAPE '\\' \
         ORDER BY 5, 6, 7, 9",
        &[
            exact(&arguments[0]),
            exact(&arguments[1]),
            exact(&arguments[2]),
            exact(&arguments[3]),
            exact(&arguments[4]),
            exact(&arguments[5]),
        ],
    )
}

fn statistics(statement: &mut Statement, arguments: Vec<Option<String>>) -> SqlReturn {
    // Primary keys and unique constraints are DuckDB's unique indexes.
    statement.catalog(
        "SELECT database_name AS TABLE_CAT, schema_name AS TABLE_SCHEM, table_name AS TABLE_NAME, \
         CAST(0 AS SMALLINT) AS NON_UNIQUE, CAST(NULL AS VARCHAR) AS INDEX_QUALIFIER, \
         constraint_name AS INDEX_NAME, CAST(3 AS SMALLINT) AS TYPE, \
         CAST(unnest(generate_series(1, len(constraint_column_names))) AS SMALLINT) AS ORDINAL_POSITION, \
         unnest(constraint_column_names) AS COLUMN_NAME, 'A' AS ASC_OR_DESC, \
         CAST(NULL AS INTEGER) AS CARDINALITY, CAST(NULL AS INTEGER) AS PAGES, \
         CAST(NULL AS VARCHAR) AS FILTER_CONDITION \
         FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE') \
         AND database_name LIKE ? ESCAPE '\\' AND schema_name LIKE ? ESCAPE '\\' AND table_name LIKE ? ESCAPE '\\' \
         ORDER BY 4, 6, 8",
        &[exact(&arguments[0]), exact(&arguments[1]), exact(&arguments[2])],
    )
}

fn special_columns(
    statement: &mut Statement,
    identifier_type: u16,
    arguments: Vec<Option<String>>,
) -> SqlReturn {
    // SQL_BEST_ROWID (1): the primary key, if any; no row versions (2).
    let key = type_key("c.data_type");
    let sql = format!(
        "SELECT CAST(2 AS SMALLINT) AS SCOPE, c.column_name AS COLUMN_NAME, \
         CAST(t.data_type AS SMALLINT) AS DATA_TYPE, c.data_type AS TYPE_NAME, \
         CAST(t.column_size AS INTEGER) AS COLUMN_SIZE, CAST(t.octet_length AS INTEGER) AS BUFFER_LENGTH, \
         CAST(t.decimal_digits AS SMALLINT) AS DECIMAL_DIGITS, CAST(1 AS SMALLINT) AS PSEUDO_COLUMN \
         FROM duckdb_constraints() k, duckdb_columns() c JOIN {} ON t.name = {key} \
         WHERE ? = 1 AND k.constraint_type = 'PRIMARY KEY' AND c.database_name = k.database_name \
         AND c.schema_name = k.schema_name AND c.table_name = k.table_name \
         AND list_contains(k.constraint_column_names, c.column_name) \
         AND k.database_name LIKE ? ESCAPE '\\' AND k.schema_name LIKE ? ESCAPE '\\' AND k.table_name LIKE ? ESCAPE '\\' \
         ORDER BY c.column_index",
        types_table("t")
    );
    statement.catalog(
        &sql,
        &[
            Cell::Int(identifier_type as i64),
            exact(&arguments[0]),
            exact(&arguments[1]),
            exact(&arguments[2]),
        ],
    )
}

fn type_info(statement: &mut Statement, data_type: i16) -> SqlReturn {
    // ODBC 2 applications ask for the date and time types by their old codes.
    let data_type = match data_type {
        9 => 91,
        10 => 92,
        11 => 93,
        other => other,
    };
    let sql = format!(
        "SELECT name AS TYPE_NAME, CAST(data_type AS SMALLINT) AS DATA_TYPE, \
         CAST(column_size AS INTEGER) AS COLUMN_SIZE, quote AS LITERAL_PREFIX, quote AS LITERAL_SUFFIX, \
         create_params AS CREATE_PARAMS, CAST(1 AS SMALLINT) AS NULLABLE, \
         CAST(CASE WHEN data_type = 12 THEN 1 ELSE 0 END AS SMALLINT) AS CASE_SENSITIVE, \
         CAST(3 AS SMALLINT) AS SEARCHABLE, CAST(unsigned AS SMALLINT) AS UNSIGNED_ATTRIBUTE, \
         CAST(0 AS SMALLINT) AS FIXED_PREC_SCALE, CAST(0 AS SMALLINT) AS AUTO_UNIQUE_VALUE, \
         name AS LOCAL_TYPE_NAME, \
         CAST(CASE WHEN name IN ('DECIMAL', 'NUMERIC') THEN 0 ELSE decimal_digits END AS SMALLINT) AS MINIMUM_SCALE, \
         CAST(CASE WHEN name IN ('DECIMAL', 'NUMERIC') THEN 38 ELSE decimal_digits END AS SMALLINT) AS MAXIMUM_SCALE, \
         CAST(CASE WHEN data_type IN (91, 92, 93) THEN 9 ELSE data_type END AS SMALLINT) AS SQL_DATA_TYPE, \
         CAST(CASE data_type WHEN 91 THEN 1 WHEN 92 THEN 2 WHEN 93 THEN 3 END AS SMALLINT) AS SQL_DATETIME_SUB, \
         CAST(radix AS INTEGER) AS NUM_PREC_RADIX, CAST(NULL AS SMALLINT) AS INTERVAL_PRECISION \
         FROM (SELECT * FROM {TYPES} UNION ALL SELECT * FROM {MORE_TYPES}) \
         AS t(name, data_type, column_size, decimal_digits, radix, octet_length, quote, create_params, unsigned) \
         WHERE name NOT LIKE 'U%INT' AND (? = 0 OR data_type = ?) \
         ORDER BY DATA_TYPE, CASE name WHEN 'DECIMAL' THEN 0 WHEN 'TIMESTAMP' THEN 0 ELSE 1 END, TYPE_NAME"
    );
    statement.catalog(
        &sql,
        &[Cell::Int(data_type as i64), Cell::Int(data_type as i64)],
    )
}

/// An empty result with the given columns (procedures, privileges: DuckDB
/// has none to list).
fn empty(statement: &mut Statement, columns: &[&str]) -> SqlReturn {
    let list: Vec<String> = columns
        .iter()
        .map(|c| format!("CAST(NULL AS VARCHAR) AS {c}"))
        .collect();
    statement.catalog(&format!("SELECT {} WHERE false", list.join(", ")), &[])
}

const PROCEDURE_COLUMNS: &[&str] = &[
    "PROCEDURE_CAT",
    "PROCEDURE_SCHEM",
    "PROCEDURE_NAME",
    "NUM_INPUT_PARAMS",
    "NUM_OUTPUT_PARAMS",
    "NUM_RESULT_SETS",
    "REMARKS",
    "PROCEDURE_TYPE",
];
const PROCEDURE_COLUMN_COLUMNS: &[&str] = &[
    "PROCEDURE_CAT",
    "PROCEDURE_SCHEM",
    "PROCEDURE_NAME",
    "COLUMN_NAME",
    "COLUMN_TYPE",
    "DATA_TYPE",
    "TYPE_NAME",
    "COLUMN_SIZE",
    "BUFFER_LENGTH",
    "DECIMAL_DIGITS",
    "NUM_PREC_RADIX",
    "NULLABLE",
    "REMARKS",
    "COLUMN_DEF",
    "SQL_DATA_TYPE",
    "SQL_DATETIME_SUB",
    "CHAR_OCTET_LENGTH",
    "ORDINAL_POSITION",
    "IS_NULLABLE",
];
const TABLE_PRIVILEGE_COLUMNS: &[&str] = &[
    "TABLE_CAT",
    "TABLE_SCHEM",
    "TABLE_NAME",
    "GRANTOR",
    "GRANTEE",
    "PRIVILEGE",
    "IS_GRANTABLE",
];
const COLUMN_PRIVILEGE_COLUMNS: &[&str] = &[
    "TABLE_CAT",
    "TABLE_SCHEM",
    "TABLE_NAME",
    "COLUMN_NAME",
    "GRANTOR",
    "GRANTEE",
    "PRIVILEGE",
    "IS_GRANTABLE",
];

/// Defines the narrow and wide entry points of a catalog function whose
/// arguments are name/length pairs.
macro_rules! catalog_function {
    ($narrow:ident, $wide:ident, [$($name:ident, $length:ident),+], |$statement:ident, $arguments:ident| $body:expr) => {
        #[no_mangle]
        pub unsafe extern "C" fn $narrow(
            handle: Handle,
            $($name: *const u8, $length: i16),+
        ) -> SqlReturn {
            with_statement(handle, |$statement| {
                let $arguments = names(Width::Narrow, &[$(($name as Pointer, $length)),+]);
                $body
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn $wide(
            handle: Handle,
            $($name: *const u16, $length: i16),+
        ) -> SqlReturn {
            with_statement(handle, |$statement| {
                let $arguments = names(Width::Wide, &[$(($name as Pointer, $length)),+]);
                $body
            })
        }
    };
}

catalog_function!(
    SQLTables,
    SQLTablesW,
    [
        catalog,
        catalog_length,
        schema,
        schema_length,
        table,
        table_length,
        types,
        types_length
    ],
    |statement, arguments| tables(statement, arguments)
);

catalog_function!(
    SQLColumns,
    SQLColumnsW,
    [
        catalog,
        catalog_length,
        schema,
        schema_length,
        table,
        table_length,
        column,
        column_length
    ],
    |statement, arguments| columns(statement, arguments)
);

catalog_function!(
    SQLPrimaryKeys,
    SQLPrimaryKeysW,
    [
        catalog,
        catalog_length,
        schema,
        schema_length,
        table,
        table_length
    ],
    |statement, arguments| primary_keys(statement, arguments)
);

catalog_function!(
    SQLForeignKeys,
    SQLForeignKeysW,
    [
        pk_catalog,
        pk_catalog_length,
        pk_schema,
        pk_schema_length,
        pk_table,
        pk_table_length,
        fk_catalog,
        fk_catalog_length,
        fk_schema,
        fk_schema_length,
        fk_table,
        fk_table_length
    ],
    |statement, arguments| foreign_keys(statement, arguments)
);

catalog_function!(
    SQLProcedures,
    SQLProceduresW,
    [
        catalog,
        catalog_length,
        schema,
        schema_length,
        procedure,
        procedure_length
    ],
    |statement, _arguments| empty(statement, PROCEDURE_COLUMNS)
);

catalog_function!(
    SQLProcedureColumns,
    SQLProcedureColumnsW,
    [
        catalog,
        catalog_length,
        schema,
        schema_length,
        procedure,
        procedure_length,
        column,
        column_length
    ],
    |statement, _arguments| empty(statement, PROCEDURE_COLUMN_COLUMNS)
);

catalog_function!(
    SQLTablePrivileges,
    SQLTablePrivilegesW,
    [
        catalog,
        catalog_length,
        schema,
        schema_length,
        table,
        table_length
    ],
    |statement, _arguments| empty(statement, TABLE_PRIVILEGE_COLUMNS)
);

catalog_function!(
    SQLColumnPrivileges,
    SQLColumnPrivilegesW,
    [
        catalog,
        catalog_length,
        schema,
        schema_length,
        table,
        table_length,
        column,
        column_length
    ],
    |statement, _arguments| empty(statement, COLUMN_PRIVILEGE_COLUMNS)
);

unsafe fn statistics_entry(
    handle: Handle,
    arguments: [(Pointer, i16); 3],
    width: Width,
) -> SqlReturn {
    with_statement(handle, |statement| {
        statistics(statement, names(width, &arguments))
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLStatistics(
    handle: Handle,
    catalog: *const u8,
    catalog_length: i16,
    schema: *const u8,
    schema_length: i16,
    table: *const u8,
    table_length: i16,
    _unique: u16,
    _reserved: u16,
) -> SqlReturn {
    statistics_entry(
        handle,
        [
            (catalog as Pointer, catalog_length),
            (schema as Pointer, schema_length),
            (table as Pointer, table_length),
        ],
        Width::Narrow,
    )
}

#[no_mangle]
pub unsafe extern "C" fn SQLStatisticsW(
    handle: Handle,
    catalog: *const u16,
    catalog_length: i16,
    schema: *const u16,
    schema_length: i16,
    table: *const u16,
    table_length: i16,
    _unique: u16,
    _reserved: u16,
) -> SqlReturn {
    statistics_entry(
        handle,
        [
            (catalog as Pointer, catalog_length),
            (schema as Pointer, schema_length),
            (table as Pointer, table_length),
        ],
        Width::Wide,
    )
}

unsafe fn special_columns_entry(
    handle: Handle,
    identifier_type: u16,
    arguments: [(Pointer, i16); 3],
    width: Width,
) -> SqlReturn {
    with_statement(handle, |statement| {
        special_columns(statement, identifier_type, names(width, &arguments))
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLSpecialColumns(
    handle: Handle,
    identifier_type: u16,
    catalog: *const u8,
    catalog_length: i16,
    schema: *const u8,
    schema_length: i16,
    table: *const u8,
    table_length: i16,
    _scope: u16,
    _nullable: u16,
) -> SqlReturn {
    special_columns_entry(
        handle,
        identifier_type,
        [
            (catalog as Pointer, catalog_length),
            (schema as Pointer, schema_length),
            (table as Pointer, table_length),
        ],
        Width::Narrow,
    )
}

#[no_mangle]
pub unsafe extern "C" fn SQLSpecialColumnsW(
    handle: Handle,
    identifier_type: u16,
    catalog: *const u16,
    catalog_length: i16,
    schema: *const u16,
    schema_length: i16,
    table: *const u16,
    table_length: i16,
    _scope: u16,
    _nullable: u16,
) -> SqlReturn {
    special_columns_entry(
        handle,
        identifier_type,
        [
            (catalog as Pointer, catalog_length),
            (schema as Pointer, schema_length),
            (table as Pointer, table_length),
        ],
        Width::Wide,
    )
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetTypeInfo(handle: Handle, data_type: i16) -> SqlReturn {
    with_statement(handle, |statement| type_info(statement, data_type))
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetTypeInfoW(handle: Handle, data_type: i16) -> SqlReturn {
    with_statement(handle, |statement| type_info(statement, data_type))
}
