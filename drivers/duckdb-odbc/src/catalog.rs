//! Catalog functions: SQLTables, SQLColumns, SQLPrimaryKeys and
//! SQLGetTypeInfo, answered by queries over DuckDB's information_schema.

use crate::handles::{text_arg, with_statement};
use crate::odbc::{Handle, SqlReturn};
use crate::value;

/// A catalog function's name argument as a LIKE pattern (`%` when absent).
unsafe fn pattern(text: *const u8, length: i16) -> value::Cell {
    let text = text_arg(text, length as i32);
    value::Cell::Text(if text.is_empty() {
        b"%".to_vec()
    } else {
        text.into_bytes()
    })
}

/// The ODBC SQL type of a column of information_schema, as SQL over `data_type`.
const SQL_TYPE_OF: &str = "CASE upper(data_type) \
    WHEN 'BOOLEAN' THEN -7 WHEN 'TINYINT' THEN -6 WHEN 'SMALLINT' THEN 5 WHEN 'INTEGER' THEN 4 \
    WHEN 'BIGINT' THEN -5 WHEN 'HUGEINT' THEN 2 WHEN 'FLOAT' THEN 7 WHEN 'REAL' THEN 7 WHEN 'DOUBLE' THEN 8 \
    WHEN 'DATE' THEN 91 WHEN 'TIME' THEN 92 WHEN 'TIMESTAMP' THEN 93 WHEN 'BLOB' THEN -3 \
    ELSE CASE WHEN upper(data_type) LIKE 'DECIMAL%' THEN 3 ELSE 12 END END";

#[no_mangle]
pub unsafe extern "C" fn SQLTables(
    handle: Handle,
    _catalog: *const u8,
    _catalog_length: i16,
    schema: *const u8,
    schema_length: i16,
    table: *const u8,
    table_length: i16,
    _types: *const u8,
    _types_length: i16,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let values = [pattern(schema, schema_length), pattern(table, table_length)];
        {
            statement.catalog(
            "SELECT table_catalog AS TABLE_CAT, table_schema AS TABLE_SCHEM, table_name AS TABLE_NAME, \
             CASE table_type WHEN 'BASE TABLE' THEN 'TABLE' ELSE table_type END AS TABLE_TYPE, \
             CAST(NULL AS VARCHAR) AS REMARKS \
             FROM information_schema.tables WHERE table_schema LIKE ? AND table_name LIKE ? ORDER BY 1, 2, 3",
            &values,
        )
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLColumns(
    handle: Handle,
    _catalog: *const u8,
    _catalog_length: i16,
    schema: *const u8,
    schema_length: i16,
    table: *const u8,
    table_length: i16,
    column: *const u8,
    column_length: i16,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let values = [
            pattern(schema, schema_length),
            pattern(table, table_length),
            pattern(column, column_length),
        ];
        let sql = format!(
        "SELECT table_catalog AS TABLE_CAT, table_schema AS TABLE_SCHEM, table_name AS TABLE_NAME, \
         column_name AS COLUMN_NAME, CAST({SQL_TYPE_OF} AS SMALLINT) AS DATA_TYPE, data_type AS TYPE_NAME, \
         CAST(COALESCE(character_maximum_length, numeric_precision, 26) AS INTEGER) AS COLUMN_SIZE, \
         CAST(NULL AS INTEGER) AS BUFFER_LENGTH, CAST(numeric_scale AS SMALLINT) AS DECIMAL_DIGITS, \
         CAST(numeric_precision_radix AS SMALLINT) AS NUM_PREC_RADIX, \
         CAST(CASE is_nullable WHEN 'YES' THEN 1 ELSE 0 END AS SMALLINT) AS NULLABLE, \
         CAST(NULL AS VARCHAR) AS REMARKS, column_default AS COLUMN_DEF, \
         CAST({SQL_TYPE_OF} AS SMALLINT) AS SQL_DATA_TYPE, CAST(NULL AS SMALLINT) AS SQL_DATETIME_SUB, \
         CAST(character_octet_length AS INTEGER) AS CHAR_OCTET_LENGTH, \
         CAST(ordinal_position AS INTEGER) AS ORDINAL_POSITION, is_nullable AS IS_NULLABLE \
         FROM information_schema.columns \
         WHERE table_schema LIKE ? AND table_name LIKE ? AND column_name LIKE ? \
         ORDER BY table_schema, table_name, ordinal_position"
    );
        statement.catalog(&sql, &values)
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLPrimaryKeys(
    handle: Handle,
    _catalog: *const u8,
    _catalog_length: i16,
    _schema: *const u8,
    _schema_length: i16,
    _table: *const u8,
    _table_length: i16,
) -> SqlReturn {
    with_statement(handle, |statement| {
        // mdm's tables have no primary keys: an empty result of the right shape.
        {
            statement.catalog(
                "SELECT CAST(NULL AS VARCHAR) AS TABLE_CAT, CAST(NULL AS VARCHAR) AS TABLE_SCHEM, \
             CAST(NULL AS VARCHAR) AS TABLE_NAME, CAST(NULL AS VARCHAR) AS COLUMN_NAME, \
             CAST(NULL AS SMALLINT) AS KEY_SEQ, CAST(NULL AS VARCHAR) AS PK_NAME WHERE false",
                &[],
            )
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetTypeInfo(handle: Handle, data_type: i16) -> SqlReturn {
    with_statement(handle, |statement| {
        let sql = "SELECT TYPE_NAME, CAST(DATA_TYPE AS SMALLINT) AS DATA_TYPE, CAST(COLUMN_SIZE AS INTEGER) AS COLUMN_SIZE, \
         CASE WHEN DATA_TYPE IN (12, 91, 93) THEN chr(39) END AS LITERAL_PREFIX, \
         CASE WHEN DATA_TYPE IN (12, 91, 93) THEN chr(39) END AS LITERAL_SUFFIX, \
         CAST(NULL AS VARCHAR) AS CREATE_PARAMS, CAST(1 AS SMALLINT) AS NULLABLE, \
         CAST(CASE WHEN DATA_TYPE = 12 THEN 1 ELSE 0 END AS SMALLINT) AS CASE_SENSITIVE, \
         CAST(3 AS SMALLINT) AS SEARCHABLE, CAST(0 AS SMALLINT) AS UNSIGNED_ATTRIBUTE, \
         CAST(0 AS SMALLINT) AS FIXED_PREC_SCALE, CAST(0 AS SMALLINT) AS AUTO_UNIQUE_VALUE, \
         TYPE_NAME AS LOCAL_TYPE_NAME, CAST(NULL AS SMALLINT) AS MINIMUM_SCALE, \
         CAST(NULL AS SMALLINT) AS MAXIMUM_SCALE, CAST(DATA_TYPE AS SMALLINT) AS SQL_DATA_TYPE, \
         CAST(NULL AS SMALLINT) AS SQL_DATETIME_SUB, CAST(NULL AS INTEGER) AS NUM_PREC_RADIX, \
         CAST(NULL AS SMALLINT) AS INTERVAL_PRECISION \
         FROM (VALUES ('BOOLEAN', -7, 1), ('TINYINT', -6, 3), ('SMALLINT', 5, 5), ('INTEGER', 4, 10), \
         ('BIGINT', -5, 19), ('REAL', 7, 7), ('DOUBLE', 8, 15), ('DECIMAL', 3, 38), ('VARCHAR', 12, 65535), \
         ('BLOB', -3, 65535), ('DATE', 91, 10), ('TIMESTAMP', 93, 26)) AS t(TYPE_NAME, DATA_TYPE, COLUMN_SIZE) \
         WHERE ? = 0 OR DATA_TYPE = ? ORDER BY DATA_TYPE";
        let values = [
            value::Cell::Int(data_type as i64),
            value::Cell::Int(data_type as i64),
        ];
        statement.catalog(sql, &values)
    })
}
