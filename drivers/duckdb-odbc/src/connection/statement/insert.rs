//! Plain inserts through DuckDB's appender: a parameter array bound to
//! `INSERT INTO t (a, b) VALUES (?, ?)` is appended row by row instead of
//! executing the statement once per row.

use std::ffi::{CStr, CString};

use libduckdb_sys as ffi;

use super::Statement;
use crate::diagnostics::state_of;
use crate::odbc::{self, Len, SqlReturn};
use crate::value;

impl Statement {
    /// Inserts every parameter set through DuckDB's appender: one call per
    /// value instead of one statement per row.
    pub fn append_sets(&mut self, target: &InsertTarget, sets: usize, count: usize) -> SqlReturn {
        let whole_table = match target.whole_table.get() {
            Some(whole) => whole,
            None => {
                let whole = self.names_whole_table(target);
                target.whole_table.set(Some(whole));
                whole
            }
        };
        let connection = self.connection().connection;
        let schema = target
            .schema
            .as_deref()
            .map(|s| CString::new(s).unwrap_or_default());
        let table = CString::new(target.table.as_str()).unwrap_or_default();
        unsafe {
            let mut appender: ffi::duckdb_appender = std::ptr::null_mut();
            let schema_ptr = schema.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
            if ffi::duckdb_appender_create(connection, schema_ptr, table.as_ptr(), &mut appender)
                != ffi::duckdb_state_DuckDBSuccess
            {
                let message = appender_error(appender);
                ffi::duckdb_appender_destroy(&mut appender);
                return self.diagnostics.error(state_of(&message), message);
            }
            // Naming the columns re-plans the appender's chunk once per
            // column: quadratic in the column count (minutes for 5,000
            // columns). An insert of every column in table order needs none.
            for column in target.columns.iter().filter(|_| !whole_table) {
                let name = CString::new(column.as_str()).unwrap_or_default();
                if ffi::duckdb_appender_add_column(appender, name.as_ptr())
                    != ffi::duckdb_state_DuckDBSuccess
                {
                    let message = appender_error(appender);
                    ffi::duckdb_appender_destroy(&mut appender);
                    return self.diagnostics.error(state_of(&message), message);
                }
            }
            for set in 0..sets {
                for index in 0..count {
                    if let Some(state) = self.append_text(appender, set, index) {
                        if state != ffi::duckdb_state_DuckDBSuccess {
                            let message = appender_error(appender);
                            ffi::duckdb_appender_destroy(&mut appender);
                            return self
                                .diagnostics
                                .error(state_of(&message), format!("row {}: {message}", set + 1));
                        }
                        continue;
                    }
                    let cell = match self.parameter_cell(set, index) {
                        Ok(cell) => cell,
                        Err(outcome) => {
                            ffi::duckdb_appender_destroy(&mut appender);
                            return outcome;
                        }
                    };
                    if value::append_cell(appender, &cell) != ffi::duckdb_state_DuckDBSuccess {
                        let message = appender_error(appender);
                        ffi::duckdb_appender_destroy(&mut appender);
                        return self
                            .diagnostics
                            .error(state_of(&message), format!("row {}: {message}", set + 1));
                    }
                }
                if ffi::duckdb_appender_end_row(appender) != ffi::duckdb_state_DuckDBSuccess {
                    let message = appender_error(appender);
                    ffi::duckdb_appender_destroy(&mut appender);
                    return self
                        .diagnostics
                        .error(state_of(&message), format!("row {}: {message}", set + 1));
                }
            }
            if ffi::duckdb_appender_close(appender) != ffi::duckdb_state_DuckDBSuccess {
                let message = appender_error(appender);
                ffi::duckdb_appender_destroy(&mut appender);
                return self.diagnostics.error(state_of(&message), message);
            }
            ffi::duckdb_appender_destroy(&mut appender);
        }
        for set in 0..sets {
            if !self.param_status.is_null() {
                unsafe { *self.param_status.add(set) = odbc::PARAM_SUCCESS };
            }
        }
        if !self.params_processed.is_null() {
            unsafe { *self.params_processed = sets };
        }
        self.row_count = sets as Len;
        odbc::SUCCESS
    }
}

impl Statement {
    /// Appends parameter `index` of set `set` when it is text (or null)
    /// for a character column, straight from the application's buffer:
    /// the general path copies every value first. None: the parameter
    /// takes the general path.
    ///
    /// # Safety
    /// `appender` must be a valid appender; the bound buffers must be
    /// valid for `set`, as the application promised when binding them.
    unsafe fn append_text(
        &self,
        appender: ffi::duckdb_appender,
        set: usize,
        index: usize,
    ) -> Option<ffi::duckdb_state> {
        if self.data_at_execution.is_some() {
            return None;
        }
        let parameter = (*self.parameters.get(index)?)?;
        let character = matches!(
            parameter.sql_type,
            odbc::SQL_CHAR | odbc::SQL_VARCHAR | odbc::SQL_LONGVARCHAR
        );
        if value::parameter_c_type(parameter.c_type, parameter.sql_type) != odbc::C_CHAR
            || !character
        {
            return None;
        }
        let (length, address) = self.parameter_location(&parameter, odbc::C_CHAR, set);
        if length == odbc::NULL_DATA {
            return Some(ffi::duckdb_append_null(appender));
        }
        if address.is_null() {
            return None;
        }
        let bytes = if length == odbc::NTS {
            CStr::from_ptr(address as *const std::ffi::c_char).to_bytes()
        } else if length >= 0 {
            std::slice::from_raw_parts(address as *const u8, length as usize)
        } else {
            return None;
        };
        Some(ffi::duckdb_append_varchar_length(
            appender,
            bytes.as_ptr() as *const _,
            bytes.len() as u64,
        ))
    }
}

/// The table and columns of a plain `INSERT INTO t (a, b) VALUES (?, ?)`.
#[derive(Clone, Debug, PartialEq)]
pub struct InsertTarget {
    pub schema: Option<String>,
    pub table: String,
    pub columns: Vec<String>,
    /// Whether the columns are the table's, all of them in order (learnt
    /// at the first execution).
    pub whole_table: std::cell::Cell<Option<bool>>,
}

impl Statement {
    /// Whether `target` names every column of its table, in order.
    fn names_whole_table(&mut self, target: &InsertTarget) -> bool {
        let literal = |text: &str| format!("'{}'", text.replace('\'', "''"));
        let schema = target
            .schema
            .as_deref()
            .map_or_else(|| "current_schema()".to_string(), literal);
        let sql = format!(
            "SELECT string_agg(column_name, chr(31) ORDER BY column_index) FROM duckdb_columns() \
             WHERE database_name = current_database() AND schema_name = {schema} AND table_name = {}",
            literal(&target.table)
        );
        self.connection().scalar(&sql).as_deref() == Some(target.columns.join("\u{1f}").as_str())
    }
}

fn appender_error(appender: ffi::duckdb_appender) -> String {
    if appender.is_null() {
        return "cannot create an appender".into();
    }
    unsafe {
        let message = ffi::duckdb_appender_error(appender);
        if message.is_null() {
            "appender error".into()
        } else {
            CStr::from_ptr(message).to_string_lossy().into_owned()
        }
    }
}

/// Recognises `INSERT INTO [schema.]table (columns) VALUES (?, ..., ?)` with
/// one `?` per column and nothing else; identifiers bare or double-quoted.
pub fn parse_plain_insert(sql: &str) -> Option<InsertTarget> {
    struct Cursor<'a> {
        text: &'a str,
    }
    impl Cursor<'_> {
        fn skip_space(&mut self) {
            self.text = self.text.trim_start();
        }
        fn keyword(&mut self, word: &str) -> bool {
            self.skip_space();
            let matched = self.text.len() >= word.len()
                && self.text[..word.len()].eq_ignore_ascii_case(word)
                && !self.text[word.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_');
            if matched {
                self.text = &self.text[word.len()..];
            }
            matched
        }
        fn symbol(&mut self, symbol: char) -> bool {
            self.skip_space();
            match self.text.strip_prefix(symbol) {
                Some(rest) => {
                    self.text = rest;
                    true
                }
                None => false,
            }
        }
        fn identifier(&mut self) -> Option<String> {
            self.skip_space();
            if let Some(rest) = self.text.strip_prefix('"') {
                let mut name = String::new();
                let mut chars = rest.char_indices().peekable();
                while let Some((i, c)) = chars.next() {
                    if c == '"' {
                        if let Some((_, '"')) = chars.peek() {
                            chars.next();
                            name.push('"');
                            continue;
                        }
                        self.text = &rest[i + 1..];
                        return Some(name);
                    }
                    name.push(c);
                }
                None
            } else {
                let end = self
                    .text
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(self.text.len());
                (end > 0).then(|| {
                    let name = self.text[..end].to_string();
                    self.text = &self.text[end..];
                    name
                })
            }
        }
    }
    let mut cursor = Cursor { text: sql };
    if !(cursor.keyword("INSERT") && cursor.keyword("INTO")) {
        return None;
    }
    let first = cursor.identifier()?;
    let (schema, table) = if cursor.symbol('.') {
        (Some(first), cursor.identifier()?)
    } else {
        (None, first)
    };
    if !cursor.symbol('(') {
        return None;
    }
    let mut columns = vec![cursor.identifier()?];
    while cursor.symbol(',') {
        columns.push(cursor.identifier()?);
    }
    if !(cursor.symbol(')') && cursor.keyword("VALUES") && cursor.symbol('(')) {
        return None;
    }
    for index in 0..columns.len() {
        if (index > 0 && !cursor.symbol(',')) || !cursor.symbol('?') {
            return None;
        }
    }
    if !cursor.symbol(')') {
        return None;
    }
    cursor.symbol(';');
    cursor.skip_space();
    cursor.text.is_empty().then_some(InsertTarget {
        whole_table: std::cell::Cell::new(None),
        schema,
        table,
        columns,
    })
}
