//! The entry points on results: SQLNumResultCols, SQLDescribeCol,
//! SQLColAttribute, SQLBindCol, SQLFetch, SQLFetchScroll and
//! SQLExtendedFetch, SQLGetData, SQLMoreResults and SQLCloseCursor. What a
//! result is and does is in `crate::connection::statement::results`.

use crate::connection::statement::results::BoundColumn;
use crate::connection::Statement;
use crate::handles::with_statement;
use crate::odbc::{self, Handle, Len, Pointer, SqlReturn, ULen};
use crate::text::{self, Count, Width};
use crate::value;

#[no_mangle]
pub unsafe extern "C" fn SQLNumResultCols(handle: Handle, count: *mut i16) -> SqlReturn {
    with_statement(handle, |statement| {
        if !count.is_null() {
            *count = statement.result_columns().map_or(0, |c| c.names.len()) as i16;
        }
        odbc::SUCCESS
    })
}

unsafe fn describe_col(
    handle: Handle,
    column: u16,
    name: Pointer,
    capacity: i16,
    name_length: *mut i16,
    data_type: *mut i16,
    size: *mut ULen,
    digits: *mut i16,
    nullable: *mut i16,
    width: Width,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let Some(columns) = statement.result_columns() else {
            return statement
                .diagnostics
                .error("07005", "the statement returns no columns");
        };
        let index = column as usize;
        if index == 0 || index > columns.names.len() {
            return statement
                .diagnostics
                .error("07009", format!("invalid column number {column}"));
        }
        let description = columns.describe(index - 1);
        let truncated = text::put16(
            &columns.names[index - 1],
            name,
            capacity as isize,
            name_length,
            width,
            Count::Characters,
        );
        if !data_type.is_null() {
            *data_type = description.sql_type;
        }
        if !size.is_null() {
            *size = description.column_size;
        }
        if !digits.is_null() {
            *digits = description.decimal_digits;
        }
        if !nullable.is_null() {
            *nullable = odbc::NULLABLE;
        }
        if truncated {
            statement.diagnostics.push("01004", "column name truncated");
            return odbc::SUCCESS_WITH_INFO;
        }
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLDescribeCol(
    handle: Handle,
    column: u16,
    name: *mut u8,
    capacity: i16,
    name_length: *mut i16,
    data_type: *mut i16,
    size: *mut ULen,
    digits: *mut i16,
    nullable: *mut i16,
) -> SqlReturn {
    describe_col(
        handle,
        column,
        name as Pointer,
        capacity,
        name_length,
        data_type,
        size,
        digits,
        nullable,
        Width::Narrow,
    )
}

#[no_mangle]
pub unsafe extern "C" fn SQLDescribeColW(
    handle: Handle,
    column: u16,
    name: *mut u16,
    capacity: i16,
    name_length: *mut i16,
    data_type: *mut i16,
    size: *mut ULen,
    digits: *mut i16,
    nullable: *mut i16,
) -> SqlReturn {
    describe_col(
        handle,
        column,
        name as Pointer,
        capacity,
        name_length,
        data_type,
        size,
        digits,
        nullable,
        Width::Wide,
    )
}

unsafe fn col_attribute(
    handle: Handle,
    column: u16,
    field: u16,
    character: Pointer,
    capacity: i16,
    length: *mut i16,
    numeric: *mut Len,
    width: Width,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let Some(columns) = statement.result_columns() else {
            return statement
                .diagnostics
                .error("07005", "the statement returns no columns");
        };
        let count = columns.names.len();
        if field == odbc::DESC_COUNT {
            if !numeric.is_null() {
                *numeric = count as Len;
            }
            return odbc::SUCCESS;
        }
        let index = column as usize;
        if index == 0 || index > count {
            return statement
                .diagnostics
                .error("07009", format!("invalid column number {column}"));
        }
        let description = columns.describe(index - 1);
        let name = columns.names[index - 1].clone();
        let number = |v: Len| {
            if !numeric.is_null() {
                *numeric = v;
            }
            odbc::SUCCESS
        };
        let string = |statement: &mut Statement, s: &str| {
            if text::put16(s, character, capacity as isize, length, width, Count::Bytes) {
                statement
                    .diagnostics
                    .push("01004", "attribute value truncated");
                return odbc::SUCCESS_WITH_INFO;
            }
            odbc::SUCCESS
        };
        let sql = description.sql_type;
        match field {
            odbc::DESC_NAME
            | odbc::DESC_LABEL
            | odbc::COLUMN_NAME
            | odbc::DESC_BASE_COLUMN_NAME => string(statement, &name),
            odbc::DESC_TYPE_NAME | odbc::DESC_LOCAL_TYPE_NAME => {
                string(statement, &description.type_name)
            }
            // DuckDB does not tell which table a result column comes from.
            odbc::DESC_TABLE_NAME
            | odbc::DESC_BASE_TABLE_NAME
            | odbc::DESC_SCHEMA_NAME
            | odbc::DESC_CATALOG_NAME => string(statement, ""),
            odbc::DESC_LITERAL_PREFIX | odbc::DESC_LITERAL_SUFFIX => string(
                statement,
                match sql {
                    odbc::SQL_VARCHAR
                    | odbc::SQL_TYPE_DATE
                    | odbc::SQL_TYPE_TIME
                    | odbc::SQL_TYPE_TIMESTAMP
                    | odbc::SQL_GUID => "'",
                    _ => "",
                },
            ),
            odbc::DESC_CONCISE_TYPE => number(sql as Len),
            odbc::DESC_TYPE => number(match sql {
                // The verbose type of date and time types is SQL_DATETIME.
                odbc::SQL_TYPE_DATE | odbc::SQL_TYPE_TIME | odbc::SQL_TYPE_TIMESTAMP => 9,
                _ => sql as Len,
            }),
            odbc::DESC_DATETIME_INTERVAL_CODE => number(match sql {
                odbc::SQL_TYPE_DATE => 1,
                odbc::SQL_TYPE_TIME => 2,
                odbc::SQL_TYPE_TIMESTAMP => 3,
                _ => 0,
            }),
            odbc::DESC_LENGTH
            | odbc::COLUMN_LENGTH
            | odbc::DESC_PRECISION
            | odbc::COLUMN_PRECISION => number(description.column_size as Len),
            odbc::DESC_DISPLAY_SIZE => number(match sql {
                odbc::SQL_BIT => 1,
                odbc::SQL_TINYINT => 4,
                odbc::SQL_SMALLINT => 6,
                odbc::SQL_INTEGER => 11,
                odbc::SQL_BIGINT => 20,
                odbc::SQL_REAL => 14,
                odbc::SQL_DOUBLE => 24,
                odbc::SQL_DECIMAL => description.column_size as Len + 2,
                _ => description.column_size as Len,
            }),
            odbc::DESC_OCTET_LENGTH => number(description.octet_length as Len),
            odbc::DESC_SCALE | odbc::COLUMN_SCALE => number(description.decimal_digits as Len),
            odbc::DESC_NUM_PREC_RADIX => number(match sql {
                odbc::SQL_REAL | odbc::SQL_DOUBLE => 2,
                odbc::SQL_TINYINT
                | odbc::SQL_SMALLINT
                | odbc::SQL_INTEGER
                | odbc::SQL_BIGINT
                | odbc::SQL_DECIMAL => 10,
                _ => 0,
            }),
            // DuckDB does not say which result columns can hold NULL: all may.
            odbc::DESC_NULLABLE | odbc::COLUMN_NULLABLE => number(odbc::NULLABLE as Len),
            odbc::DESC_UNSIGNED => number(
                (description.unsigned
                    || !matches!(
                        sql,
                        odbc::SQL_BIGINT
                            | odbc::SQL_INTEGER
                            | odbc::SQL_SMALLINT
                            | odbc::SQL_TINYINT
                            | odbc::SQL_DOUBLE
                            | odbc::SQL_REAL
                            | odbc::SQL_DECIMAL
                    )) as Len,
            ),
            odbc::DESC_FIXED_PREC_SCALE => number(0),
            odbc::DESC_AUTO_UNIQUE_VALUE | odbc::DESC_UPDATABLE => number(0),
            odbc::DESC_CASE_SENSITIVE => number((sql == odbc::SQL_VARCHAR) as Len),
            odbc::DESC_SEARCHABLE => number(3),
            odbc::DESC_UNNAMED => number(0),
            _ => statement.diagnostics.error(
                "HY091",
                format!("descriptor field {field} is not supported"),
            ),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLColAttribute(
    handle: Handle,
    column: u16,
    field: u16,
    character: Pointer,
    capacity: i16,
    length: *mut i16,
    numeric: *mut Len,
) -> SqlReturn {
    col_attribute(
        handle,
        column,
        field,
        character,
        capacity,
        length,
        numeric,
        Width::Narrow,
    )
}

#[no_mangle]
pub unsafe extern "C" fn SQLColAttributeW(
    handle: Handle,
    column: u16,
    field: u16,
    character: Pointer,
    capacity: i16,
    length: *mut i16,
    numeric: *mut Len,
) -> SqlReturn {
    col_attribute(
        handle,
        column,
        field,
        character,
        capacity,
        length,
        numeric,
        Width::Wide,
    )
}

#[no_mangle]
pub unsafe extern "C" fn SQLBindCol(
    handle: Handle,
    column: u16,
    c_type: i16,
    target: Pointer,
    capacity: Len,
    indicator: *mut Len,
) -> SqlReturn {
    with_statement(handle, |statement| {
        let index = column as usize;
        if index == 0 {
            return statement
                .diagnostics
                .error("07009", "bookmark columns are not supported");
        }
        if target.is_null() && indicator.is_null() {
            // Unbinds the column.
            if let Some(slot) = statement.columns.get_mut(index - 1) {
                *slot = None;
            }
            return odbc::SUCCESS;
        }
        let c_type = if c_type == odbc::C_DEFAULT {
            let sql_type = statement
                .result_columns()
                .filter(|c| index <= c.names.len())
                .map_or(odbc::SQL_VARCHAR, |c| c.describe(index - 1).sql_type);
            value::default_c_type(sql_type)
        } else {
            c_type
        };
        if !value::is_known_c_type(c_type) {
            return statement
                .diagnostics
                .error("HY003", format!("C type {c_type} is not supported"));
        }
        if capacity < 0 {
            return statement
                .diagnostics
                .error("HY090", "the buffer length is negative");
        }
        if statement.columns.len() < index {
            statement.columns.resize(index, None);
        }
        statement.columns[index - 1] = Some(BoundColumn {
            c_type,
            target,
            capacity,
            indicator,
        });
        odbc::SUCCESS
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLFetch(handle: Handle) -> SqlReturn {
    with_statement(handle, |statement| statement.fetch())
}

#[no_mangle]
pub unsafe extern "C" fn SQLFetchScroll(
    handle: Handle,
    orientation: i16,
    _offset: Len,
) -> SqlReturn {
    with_statement(handle, |statement| {
        if orientation != odbc::FETCH_NEXT {
            return statement
                .diagnostics
                .error("HY106", "only forward fetching is supported");
        }
        statement.fetch()
    })
}

/// ODBC 2's block fetch: SQLFetchScroll with the row count and row status
/// array given as arguments (its rowset size is SQL_ROWSET_SIZE).
#[no_mangle]
pub unsafe extern "C" fn SQLExtendedFetch(
    handle: Handle,
    orientation: u16,
    _offset: Len,
    row_count: *mut ULen,
    row_status: *mut u16,
) -> SqlReturn {
    with_statement(handle, |statement| {
        if orientation as i16 != odbc::FETCH_NEXT {
            return statement
                .diagnostics
                .error("HY106", "only forward fetching is supported");
        }
        let saved = (statement.rows_fetched, statement.row_status);
        statement.rows_fetched = row_count;
        statement.row_status = row_status;
        let outcome = statement.fetch();
        (statement.rows_fetched, statement.row_status) = saved;
        outcome
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLGetData(
    handle: Handle,
    column: u16,
    c_type: i16,
    target: Pointer,
    capacity: Len,
    indicator: *mut Len,
) -> SqlReturn {
    with_statement(handle, |statement| {
        statement.get_data(column as usize, c_type, target, capacity, indicator)
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLMoreResults(handle: Handle) -> SqlReturn {
    with_statement(handle, |statement| {
        statement.close_cursor();
        // The next statement of a text that held several runs now.
        let outcome = statement.prepare_next();
        if outcome != odbc::SUCCESS {
            return outcome;
        }
        statement.execute()
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLCloseCursor(handle: Handle) -> SqlReturn {
    with_statement(handle, |statement| {
        if statement.result.is_none() {
            return statement.diagnostics.error("24000", "no cursor is open");
        }
        statement.close_cursor();
        odbc::SUCCESS
    })
}
