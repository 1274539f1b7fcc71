//! Rows that do not fit the table: how a record's field count compares with
//! the table's width, the `_rejects` table that keeps every row not loaded
//! (source file, line, the row's text, reason), and the account of where
//! the rows of a file went, recorded in `_metadata`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::dialect::Layout;
use crate::model::{Batch, ColumnData, ColumnDef, ColumnType};

/// The table every rejected row is kept in.
pub const REJECTS_TABLE: &str = "_rejects";

/// Lines numbers kept in the metadata per kind (the count is complete).
pub const MAX_LISTED_LINES: usize = 100;

/// How a record compares with the table's width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Exactly the table's fields (a trailing empty field of a trailing
    /// delimiter aside).
    Fits,
    Short,
    Long,
}

/// How `record` fits the table of `layout`.
#[inline]
pub fn fit(layout: &Layout, record: &csv::ByteRecord) -> Fit {
    let width = layout.width;
    let fields = record.len();
    if fields == width
        || (layout.trailing_delimiter && fields == width + 1 && record[width].is_empty())
    {
        Fit::Fits
    } else if fields < width {
        Fit::Short
    } else {
        Fit::Long
    }
}

/// The line `record` starts on. The parser dates a record from where it
/// started looking for it, before any blank or comment lines it skipped;
/// the reader's line after the record (`next_line`) minus the record's own
/// line breaks is exact (except for a last line without a line break).
#[inline]
pub fn start_line(record: &csv::ByteRecord, next_line: u64) -> u64 {
    let breaks = record.as_slice().iter().filter(|b| **b == b'\n').count() as u64;
    let start = record.position().map_or(0, |p| p.line());
    start.max(next_line.saturating_sub(1 + breaks))
}

/// Whether a row holds at most its first field (a footer's note, a title).
pub fn is_note(record: &csv::ByteRecord) -> bool {
    record
        .iter()
        .skip(1)
        .all(|f| f.iter().all(u8::is_ascii_whitespace))
}

/// The columns of `_rejects`.
pub fn reject_columns() -> Vec<ColumnDef> {
    [
        ("source_table", ColumnType::Text),
        ("source_file", ColumnType::Text),
        ("line", ColumnType::Integer),
        ("raw", ColumnType::Text),
        ("reason", ColumnType::Text),
    ]
    .into_iter()
    .map(|(name, column_type)| ColumnDef {
        name: name.into(),
        column_type,
    })
    .collect()
}

/// The row as text in the file's dialect (fields re-joined by the
/// delimiter, quoted where they hold one), invalid UTF-8 shown escaped.
pub fn raw_text(layout: &Layout, record: &csv::ByteRecord) -> String {
    let delimiter = layout.dialect.delimiter_text().replace("\\t", "\t");
    let quote = layout.dialect.quote.unwrap_or(b'"') as char;
    record
        .iter()
        .map(|field| {
            let text = String::from_utf8_lossy(field);
            if layout.dialect.quote.is_some()
                && (text.contains(layout.dialect.delimiter as char)
                    || text.contains(quote)
                    || text.contains(['\n', '\r']))
            {
                let doubled = format!("{quote}{quote}");
                format!("{quote}{}{quote}", text.replace(quote, &doubled))
            } else {
                text.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(&delimiter)
}

/// Appends one rejected row to a `_rejects` batch.
pub fn push_reject(batch: &mut Batch, table: &str, file: &str, line: u64, raw: &str, reason: &str) {
    let texts = [(0, table), (1, file), (3, raw), (4, reason)];
    for (index, value) in texts {
        if let ColumnData::Text(column) = &mut batch.columns[index] {
            column.push(Some(value));
        }
    }
    if let ColumnData::Integer(column) = &mut batch.columns[2] {
        column.push(Some(line as i64));
    }
}

/// Where the rows of one file went, and what was skipped around them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Outcome {
    /// Rows stored in the table (padded ones included).
    pub rows_loaded: u64,
    /// Short rows stored with NULLs in their missing fields.
    pub rows_padded: u64,
    /// Rows kept in `_rejects` instead of the table.
    pub rows_rejected: u64,
    /// Blank and comment lines inside the table (first few listed).
    pub skipped_lines: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_line_numbers: Vec<u64>,
    /// Lines after the table that were not read into it: a footer, or a
    /// further table (`more_tables`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored_from_line: Option<u64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub more_tables: bool,
    /// Numeric columns written with a decimal comma.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decimal_comma_columns: Vec<String>,
    /// Columns read in another spelling than plain numbers and ISO dates,
    /// with it (`%d/%m/%Y`, `1,234.5`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub formats: BTreeMap<String, String>,
    /// Columns left as text because their values read two ways, with why.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub left_as_text: BTreeMap<String, String>,
}

impl Outcome {
    pub fn note_skipped(&mut self, from: u64, to: u64) {
        for line in from..to {
            self.skipped_lines += 1;
            if self.skipped_line_numbers.len() < MAX_LISTED_LINES {
                self.skipped_line_numbers.push(line);
            }
        }
    }
}
