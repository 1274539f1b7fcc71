//! Results: result sets (streamed, or read to the end when the connection
//! is needed by another statement), bound columns, block cursors,
//! SQLGetData, and the description of result columns — after SQLExecute
//! or already after SQLPrepare. The entry points are in `crate::fetch`.

use std::collections::VecDeque;
use std::ffi::{c_void, CStr};

use libduckdb_sys as ffi;

use super::Statement;
use crate::odbc::{self, Len, SqlReturn};
use crate::types::{Description, TypeInfo};
use crate::value::{self, Cell, Written};

/// A column bound with SQLBindCol.
#[derive(Clone, Copy)]
pub struct BoundColumn {
    pub c_type: i16,
    pub target: *mut c_void,
    pub capacity: Len,
    pub indicator: *mut Len,
}

/// The names and types of a result's columns.
pub struct Columns {
    pub names: Vec<String>,
    pub types: Vec<TypeInfo>,
}

impl Columns {
    /// The columns a prepared statement will return; `None` when DuckDB
    /// cannot tell before execution.
    ///
    /// # Safety
    /// `prepared` must be a valid prepared statement.
    pub unsafe fn of_prepared(prepared: ffi::duckdb_prepared_statement) -> Option<Columns> {
        let kind = ffi::duckdb_prepared_statement_type(prepared);
        if kind != ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_SELECT {
            return None;
        }
        let count = ffi::duckdb_prepared_statement_column_count(prepared);
        let mut columns = Columns {
            names: Vec::new(),
            types: Vec::new(),
        };
        for index in 0..count {
            let name = ffi::duckdb_prepared_statement_column_name(prepared, index);
            if name.is_null() {
                return None;
            }
            columns
                .names
                .push(CStr::from_ptr(name).to_string_lossy().into_owned());
            ffi::duckdb_free(name as *mut c_void);
            let logical = ffi::duckdb_prepared_statement_column_logical_type(prepared, index);
            let info = TypeInfo::of_logical(logical);
            if info.id == ffi::DUCKDB_TYPE_DUCKDB_TYPE_INVALID {
                return None;
            }
            columns.types.push(info);
        }
        Some(columns)
    }

    pub fn describe(&self, index: usize) -> Description {
        self.types[index].describe()
    }
}

/// A result being read: its columns and the current chunk.
pub struct ResultSet {
    pub result: ffi::duckdb_result,
    pub columns: Columns,
    /// Chunks read ahead when the result was read to its end.
    pub pending: VecDeque<ffi::duckdb_data_chunk>,
    /// DuckDB still produces chunks on demand (a streamed result).
    pub streaming: bool,
    /// Every chunk has been taken from DuckDB (the rest are in `pending`).
    pub exhausted: bool,
    pub chunk: ffi::duckdb_data_chunk,
    pub chunk_size: usize,
    /// The next row of the chunk to deliver.
    pub next_row: usize,
    /// The current row (for SQLGetData), if any.
    pub current: Option<usize>,
    pub done: bool,
    /// SQL_ATTR_MAX_ROWS: rows left to deliver.
    pub remaining: Option<usize>,
    /// An error DuckDB reported while producing the rest of the result.
    pub error: Option<String>,
}

impl ResultSet {
    pub fn new(mut result: ffi::duckdb_result, limit: Option<usize>, streaming: bool) -> ResultSet {
        unsafe {
            let count = ffi::duckdb_column_count(&mut result) as usize;
            let names = (0..count)
                .map(|i| {
                    CStr::from_ptr(ffi::duckdb_column_name(&mut result, i as u64))
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            let types = (0..count)
                .map(|i| {
                    TypeInfo::of_logical(ffi::duckdb_column_logical_type(&mut result, i as u64))
                })
                .collect();
            ResultSet {
                result,
                columns: Columns { names, types },
                pending: VecDeque::new(),
                streaming,
                exhausted: false,
                chunk: std::ptr::null_mut(),
                chunk_size: 0,
                next_row: 0,
                current: None,
                done: false,
                remaining: limit,
                error: None,
            }
        }
    }

    fn next_chunk(&mut self) -> ffi::duckdb_data_chunk {
        if let Some(chunk) = self.pending.pop_front() {
            return chunk;
        }
        if self.done || self.exhausted {
            return std::ptr::null_mut();
        }
        let chunk = unsafe { ffi::duckdb_fetch_chunk(self.result) };
        if chunk.is_null() {
            self.exhausted = true;
            self.note_error();
        }
        chunk
    }

    fn note_error(&mut self) {
        unsafe {
            let message = ffi::duckdb_result_error(&mut self.result);
            if !message.is_null() {
                self.error = Some(CStr::from_ptr(message).to_string_lossy().into_owned());
            }
        }
    }

    /// Reads the rest of a streamed result into memory, so that DuckDB's
    /// connection is free for another statement and no row is lost.
    pub fn materialise(&mut self) {
        if !self.streaming || self.done || self.exhausted {
            return;
        }
        loop {
            let chunk = unsafe { ffi::duckdb_fetch_chunk(self.result) };
            if chunk.is_null() {
                self.note_error();
                break;
            }
            self.pending.push_back(chunk);
        }
        self.streaming = false;
        self.exhausted = true;
    }

    /// Moves to the next row; false at the end.
    pub fn advance(&mut self) -> bool {
        if self.done || self.remaining == Some(0) {
            self.current = None;
            return false;
        }
        while self.next_row >= self.chunk_size {
            unsafe {
                if !self.chunk.is_null() {
                    ffi::duckdb_destroy_data_chunk(&mut self.chunk);
                }
            }
            self.chunk = self.next_chunk();
            if self.chunk.is_null() {
                self.done = true;
                self.current = None;
                return false;
            }
            self.chunk_size = unsafe { ffi::duckdb_data_chunk_get_size(self.chunk) } as usize;
            self.next_row = 0;
        }
        self.current = Some(self.next_row);
        self.next_row += 1;
        if let Some(remaining) = self.remaining.as_mut() {
            *remaining -= 1;
        }
        true
    }

    /// The value of column `column` (0-based) in the current row.
    pub fn cell(&self, column: usize) -> Option<Cell> {
        let row = self.current?;
        unsafe {
            let vector = ffi::duckdb_data_chunk_get_vector(self.chunk, column as u64);
            Some(self.columns.types[column].read(vector, row))
        }
    }
}

impl Drop for ResultSet {
    fn drop(&mut self) {
        unsafe {
            if !self.chunk.is_null() {
                ffi::duckdb_destroy_data_chunk(&mut self.chunk);
            }
            for mut chunk in self.pending.drain(..) {
                ffi::duckdb_destroy_data_chunk(&mut chunk);
            }
            ffi::duckdb_destroy_result(&mut self.result);
        }
    }
}

impl Statement {
    /// The columns of the open result, or of the prepared statement.
    pub fn result_columns(&self) -> Option<&Columns> {
        match &self.result {
            Some(result) => Some(&result.columns),
            None => self.prepared_columns.as_ref(),
        }
    }

    /// Where row `row` of a bound buffer is: the bound address plus the
    /// bind offset (SQL_ATTR_ROW_BIND_OFFSET_PTR), stepped by the row size
    /// (row-wise binding) or the element size (column-wise).
    fn row_address(&self, base: *mut c_void, row: usize, element: usize, offset: isize) -> *mut u8 {
        if base.is_null() {
            return std::ptr::null_mut();
        }
        let stride = if self.row_bind_type != 0 {
            self.row_bind_type
        } else {
            element
        };
        (base as *mut u8)
            .wrapping_offset(offset)
            .wrapping_add(row * stride)
    }

    /// Fetches the next rowset into the bound columns.
    pub fn fetch(&mut self) -> SqlReturn {
        if self.result.is_none() {
            return self.diagnostics.error("24000", "no result set is open");
        }
        let rows = self.row_array_size.max(1);
        let offset = if self.row_bind_offset.is_null() {
            0
        } else {
            unsafe { *self.row_bind_offset }
        };
        let mut fetched = 0;
        let mut truncated = false;
        let mut row_errors = 0;
        self.get_data = None;
        let columns = self.columns.clone();
        while fetched < rows {
            let result = self.result.as_mut().expect("open result");
            if !result.advance() {
                break;
            }
            let mut row_state = odbc::ROW_SUCCESS;
            for (column, bound) in columns.iter().enumerate() {
                let Some(bound) = bound else { continue };
                let Some(cell) = self.result.as_ref().and_then(|r| r.cell(column)) else {
                    continue;
                };
                let element =
                    value::c_type_size(bound.c_type).unwrap_or(bound.capacity.max(0) as usize);
                let target = self.row_address(bound.target, fetched, element, offset);
                let indicator = self.row_address(
                    bound.indicator as *mut c_void,
                    fetched,
                    std::mem::size_of::<Len>(),
                    offset,
                ) as *mut Len;
                match unsafe {
                    value::write_cell(
                        &cell,
                        bound.c_type,
                        target as *mut c_void,
                        bound.capacity,
                        indicator,
                        0,
                    )
                } {
                    Ok(Written::Complete) => {}
                    Ok(Written::Truncated) => {
                        truncated = true;
                        row_state = odbc::ROW_SUCCESS_WITH_INFO;
                    }
                    Err(state) => {
                        let message = format!(
                            "row {}, column {}: cannot convert {cell:?} to C type {}",
                            fetched + 1,
                            column + 1,
                            bound.c_type
                        );
                        self.diagnostics.push(state, message);
                        row_state = odbc::ROW_ERROR;
                    }
                }
            }
            if row_state == odbc::ROW_ERROR {
                row_errors += 1;
            }
            if !self.row_status.is_null() {
                unsafe { *self.row_status.add(fetched) = row_state };
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
            if let Some(message) = self.result.as_mut().and_then(|r| r.error.take()) {
                return self
                    .diagnostics
                    .error(crate::diagnostics::state_of(&message), message);
            }
            return odbc::NO_DATA;
        }
        if row_errors > 0 {
            // A single row in error fails the fetch; in a block cursor the
            // row status array tells which rows failed.
            return if rows == 1 || row_errors == fetched {
                odbc::ERROR
            } else {
                odbc::SUCCESS_WITH_INFO
            };
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
        if column == 0 || column > result.columns.names.len() {
            return self
                .diagnostics
                .error("07009", format!("invalid column number {column}"));
        }
        let Some(cell) = result.cell(column - 1) else {
            return self.diagnostics.error("24000", "no current row");
        };
        let c_type = if c_type == odbc::C_DEFAULT || c_type == odbc::C_ARD_TYPE {
            value::default_c_type(result.columns.describe(column - 1).sql_type)
        } else {
            c_type
        };
        let piecewise = matches!(c_type, odbc::C_CHAR | odbc::C_WCHAR | odbc::C_BINARY);
        let offset = match self.get_data {
            Some((previous, offset)) if previous == column => {
                if !piecewise || offset == usize::MAX {
                    return odbc::NO_DATA;
                }
                offset
            }
            _ => 0,
        };
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
