//! Results: streamed result sets, bound columns, block cursors, SQLGetData
//! and the description of result columns.

use std::ffi::{c_void, CStr};

use libduckdb_sys as ffi;

use crate::handles::{with_statement, write_text};
use crate::odbc::{self, Handle, Len, Pointer, SqlReturn, ULen};
use crate::statement::Statement;
use crate::value::{self, Cell, Written};

/// A column bound with SQLBindCol.
#[derive(Clone, Copy)]
pub struct BoundColumn {
    pub c_type: i16,
    pub target: *mut c_void,
    pub capacity: Len,
    pub indicator: *mut Len,
}

/// A result being read: its columns and the current chunk.
pub struct ResultSet {
    pub result: ffi::duckdb_result,
    pub names: Vec<String>,
    pub types: Vec<ffi::duckdb_type>,
    /// Scale and storage type of DECIMAL columns.
    pub decimals: Vec<Option<(u8, ffi::duckdb_type)>>,
    pub chunk: ffi::duckdb_data_chunk,
    pub chunk_size: usize,
    /// The next row of the chunk to deliver.
    pub next_row: usize,
    /// The current row (for SQLGetData), if any.
    pub current: Option<usize>,
    pub done: bool,
}

impl ResultSet {
    pub fn new(mut result: ffi::duckdb_result) -> ResultSet {
        unsafe {
            let count = ffi::duckdb_column_count(&mut result) as usize;
            let names = (0..count)
                .map(|i| {
                    CStr::from_ptr(ffi::duckdb_column_name(&mut result, i as u64))
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            let types: Vec<ffi::duckdb_type> = (0..count)
                .map(|i| ffi::duckdb_column_type(&mut result, i as u64))
                .collect();
            let decimals = types
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    (*t == ffi::DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL).then(|| {
                        let mut logical = ffi::duckdb_column_logical_type(&mut result, i as u64);
                        let info = (
                            ffi::duckdb_decimal_scale(logical),
                            ffi::duckdb_decimal_internal_type(logical),
                        );
                        ffi::duckdb_destroy_logical_type(&mut logical);
                        info
                    })
                })
                .collect();
            ResultSet {
                result,
                names,
                types,
                decimals,
                chunk: std::ptr::null_mut(),
                chunk_size: 0,
                next_row: 0,
                current: None,
                done: false,
            }
        }
    }

    /// Moves to the next row; false at the end.
    pub fn advance(&mut self) -> bool {
        if self.done {
            return false;
        }
        while self.next_row >= self.chunk_size {
            unsafe {
                if !self.chunk.is_null() {
                    ffi::duckdb_destroy_data_chunk(&mut self.chunk);
                }
                self.chunk = ffi::duckdb_fetch_chunk(self.result);
                if self.chunk.is_null() {
                    self.done = true;
                    self.current = None;
                    return false;
                }
                self.chunk_size = ffi::duckdb_data_chunk_get_size(self.chunk) as usize;
            }
            self.next_row = 0;
        }
        self.current = Some(self.next_row);
        self.next_row += 1;
        true
    }

    /// The value of column `column` (0-based) in the current row.
    pub fn cell(&self, column: usize) -> Option<Cell> {
        let row = self.current?;
        unsafe {
            let vector = ffi::duckdb_data_chunk_get_vector(self.chunk, column as u64);
            Some(value::read_cell(
                self.types[column],
                self.decimals[column],
                vector,
                row,
            ))
        }
    }
}

impl Drop for ResultSet {
    fn drop(&mut self) {
        unsafe {
            if !self.chunk.is_null() {
                ffi::duckdb_destroy_data_chunk(&mut self.chunk);
            }
            ffi::duckdb_destroy_result(&mut self.result);
        }
    }
}

impl Statement {
    /// Fetches the next rowset into the bound columns.
    pub fn fetch(&mut self) -> SqlReturn {
        let Some(result) = self.result.as_mut() else {
            return self.diagnostics.error("24000", "no result set is open");
        };
        let rows = self.row_array_size.max(1);
        let mut fetched = 0;
        let mut truncated = false;
        self.get_data = None;
        while fetched < rows {
            if !result.advance() {
                break;
            }
            for (column, bound) in self.columns.iter().enumerate() {
                let Some(bound) = bound else { continue };
                let Some(cell) = result.cell(column) else {
                    continue;
                };
                let element = if self.row_bind_type != 0 {
                    self.row_bind_type
                } else {
                    value::c_type_size(bound.c_type).unwrap_or(bound.capacity.max(0) as usize)
                };
                let indicator_stride = if self.row_bind_type != 0 {
                    self.row_bind_type
                } else {
                    std::mem::size_of::<Len>()
                };
                unsafe {
                    let target = if bound.target.is_null() {
                        bound.target
                    } else {
                        (bound.target as *mut u8).add(fetched * element) as *mut c_void
                    };
                    let indicator = if bound.indicator.is_null() {
                        bound.indicator
                    } else {
                        (bound.indicator as *mut u8).add(fetched * indicator_stride) as *mut Len
                    };
                    match value::write_cell(
                        &cell,
                        bound.c_type,
                        target,
                        bound.capacity,
                        indicator,
                        0,
                    ) {
                        Ok(Written::Complete) => {}
                        Ok(Written::Truncated) => truncated = true,
                        Err(state) => {
                            let message = format!(
                                "cannot convert column {} ({cell:?}) to C type {}",
                                column + 1,
                                bound.c_type
                            );
                            return self.diagnostics.error(state, message);
                        }
                    }
                }
            }
            if !self.row_status.is_null() {
                unsafe { *self.row_status.add(fetched) = odbc::ROW_SUCCESS };
            }
            fetched += 1;
        }
        if !self.rows_fetched.is_null() {
            unsafe { *self.rows_fetched = fetched };
        }
        if !self.row_status.is_null() {
            for row in fetched..rows {
                unsafe { *self.row_status.add(row) = odbc::ROW_NOROW };
            }
        }
        if fetched == 0 {
            return odbc::NO_DATA;
        }
        if truncated {
            self.diagnostics
                .push("01004", "string data, right truncated");
            return odbc::SUCCESS_WITH_INFO;
        }
        odbc::SUCCESS
    }

    /// SQLGetData of column `column` (1-based) of the current row.
    pub fn get_data(
        &mut self,
        column: usize,
        c_type: i16,
        target: *mut c_void,
        capacity: Len,
        indicator: *mut Len,
    ) -> SqlReturn {
        let Some(result) = self.result.as_ref() else {
            return self.diagnostics.error("24000", "no result set is open");
        };
        if column == 0 || column > result.names.len() {
            return self
                .diagnostics
                .error("07009", format!("invalid column number {column}"));
        }
        let Some(cell) = result.cell(column - 1) else {
            return self.diagnostics.error("24000", "no current row");
        };
        let c_type = if c_type == odbc::C_DEFAULT {
            value::default_c_type(value::describe_type(result.types[column - 1]).0)
        } else {
            c_type
        };
        let piecewise = matches!(c_type, odbc::C_CHAR | odbc::C_WCHAR | odbc::C_BINARY);
        let offset = match self.get_data {
            Some((previous, offset)) if previous == column && piecewise => offset,
            _ => 0,
        };
        if offset > 0 {
            let total = match c_type {
                odbc::C_WCHAR => cell
                    .text()
                    .map(|t| String::from_utf8_lossy(&t).encode_utf16().count() * 2)
                    .unwrap_or(0),
                _ => cell.text().map(|t| t.len()).unwrap_or(0),
            };
            if offset >= total {
                return odbc::NO_DATA;
            }
        }
        match unsafe { value::write_cell(&cell, c_type, target, capacity, indicator, offset) } {
            Ok(Written::Complete) => {
                self.get_data = Some((column, usize::MAX));
                odbc::SUCCESS
            }
            Ok(Written::Truncated) => {
                let terminator = match c_type {
                    odbc::C_CHAR => 1,
                    odbc::C_WCHAR => 2,
                    _ => 0,
                };
                let delivered = (capacity.max(0) as usize).saturating_sub(terminator);
                let delivered = delivered - delivered % terminator.max(1);
                self.get_data = Some((column, offset + delivered));
                self.diagnostics
                    .push("01004", "string data, right truncated");
                odbc::SUCCESS_WITH_INFO
            }
            Err(state) => self.diagnostics.error(
                state,
                format!("cannot convert column {column} ({cell:?}) to C type {c_type}"),
            ),
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn SQLNumResultCols(handle: Handle, count: *mut i16) -> SqlReturn {
    with_statement(handle, |statement| {
        if !count.is_null() {
            *count = statement.result.as_ref().map_or(0, |r| r.names.len()) as i16;
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
    with_statement(handle, |statement| {
        let Some(result) = statement.result.as_ref() else {
            return statement
                .diagnostics
                .error("07005", "the statement returns no columns");
        };
        let index = column as usize;
        if index == 0 || index > result.names.len() {
            return statement
                .diagnostics
                .error("07009", format!("invalid column number {column}"));
        }
        let (sql_type, column_size, decimal_digits) = value::describe_type(result.types[index - 1]);
        let truncated = write_text(
            &result.names[index - 1],
            name,
            capacity as isize,
            name_length,
        );
        if !data_type.is_null() {
            *data_type = sql_type;
        }
        if !size.is_null() {
            *size = column_size;
        }
        if !digits.is_null() {
            *digits = decimal_digits;
        }
        if !nullable.is_null() {
            *nullable = odbc::NULLABLE_UNKNOWN;
        }
        if truncated {
            statement.diagnostics.push("01004", "column name truncated");
            return odbc::SUCCESS_WITH_INFO;
        }
        odbc::SUCCESS
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
    with_statement(handle, |statement| {
        let Some(result) = statement.result.as_ref() else {
            return statement
                .diagnostics
                .error("07005", "the statement returns no columns");
        };
        if field == odbc::DESC_COUNT {
            if !numeric.is_null() {
                *numeric = result.names.len() as Len;
            }
            return odbc::SUCCESS;
        }
        let index = column as usize;
        if index == 0 || index > result.names.len() {
            return statement
                .diagnostics
                .error("07009", format!("invalid column number {column}"));
        }
        let (sql_type, column_size, digits) = value::describe_type(result.types[index - 1]);
        let number = |v: Len| {
            if !numeric.is_null() {
                *numeric = v;
            }
            odbc::SUCCESS
        };
        match field {
            odbc::DESC_NAME | odbc::DESC_LABEL | odbc::COLUMN_NAME => {
                write_text(
                    &result.names[index - 1],
                    character as *mut u8,
                    capacity as isize,
                    length,
                );
                odbc::SUCCESS
            }
            odbc::DESC_TYPE_NAME => {
                let name = match sql_type {
                    odbc::SQL_BIGINT => "BIGINT",
                    odbc::SQL_INTEGER => "INTEGER",
                    odbc::SQL_DOUBLE => "DOUBLE",
                    odbc::SQL_BIT => "BOOLEAN",
                    odbc::SQL_TYPE_DATE => "DATE",
                    odbc::SQL_TYPE_TIMESTAMP => "TIMESTAMP",
                    _ => "VARCHAR",
                };
                write_text(name, character as *mut u8, capacity as isize, length);
                odbc::SUCCESS
            }
            odbc::DESC_CONCISE_TYPE | odbc::DESC_TYPE => number(sql_type as Len),
            odbc::DESC_LENGTH
            | odbc::COLUMN_LENGTH
            | odbc::DESC_PRECISION
            | odbc::COLUMN_PRECISION
            | odbc::DESC_DISPLAY_SIZE => number(column_size as Len),
            odbc::DESC_OCTET_LENGTH => number(match sql_type {
                odbc::SQL_BIGINT | odbc::SQL_DOUBLE => 8,
                odbc::SQL_INTEGER | odbc::SQL_REAL => 4,
                odbc::SQL_SMALLINT => 2,
                odbc::SQL_BIT | odbc::SQL_TINYINT => 1,
                odbc::SQL_TYPE_DATE => 6,
                odbc::SQL_TYPE_TIMESTAMP => 16,
                _ => column_size as Len,
            }),
            odbc::DESC_SCALE | odbc::COLUMN_SCALE => number(digits as Len),
            odbc::DESC_NULLABLE => number(odbc::NULLABLE_UNKNOWN as Len),
            odbc::DESC_UNSIGNED => number(!matches!(
                sql_type,
                odbc::SQL_BIGINT
                    | odbc::SQL_INTEGER
                    | odbc::SQL_SMALLINT
                    | odbc::SQL_TINYINT
                    | odbc::SQL_DOUBLE
                    | odbc::SQL_REAL
                    | odbc::SQL_NUMERIC
            ) as Len),
            odbc::DESC_AUTO_UNIQUE_VALUE | odbc::DESC_UPDATABLE => number(0),
            odbc::DESC_CASE_SENSITIVE => number((sql_type == odbc::SQL_VARCHAR) as Len),
            odbc::DESC_SEARCHABLE => number(3),
            _ => statement.diagnostics.error(
                "HY091",
                format!("descriptor field {field} is not supported"),
            ),
        }
    })
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
        if statement.columns.len() < index {
            statement.columns.resize(index, None);
        }
        let c_type = if c_type == odbc::C_DEFAULT {
            let sql_type = statement
                .result
                .as_ref()
                .and_then(|r| r.types.get(index - 1))
                .map_or(odbc::SQL_VARCHAR, |t| value::describe_type(*t).0);
            value::default_c_type(sql_type)
        } else {
            c_type
        };
        statement.columns[index - 1] =
            (!target.is_null() || !indicator.is_null()).then_some(BoundColumn {
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
        {
            statement.get_data(column as usize, c_type, target, capacity, indicator)
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLMoreResults(handle: Handle) -> SqlReturn {
    with_statement(handle, |statement| {
        statement.close_cursor();
        odbc::NO_DATA
    })
}

#[no_mangle]
pub unsafe extern "C" fn SQLCloseCursor(handle: Handle) -> SqlReturn {
    with_statement(handle, |statement| {
        statement.close_cursor();
        odbc::SUCCESS
    })
}
