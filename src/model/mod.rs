//! The data model every layer shares, depending on nothing else in mdm but
//! the calendar in `time` and the `error` type: the logical column types,
//! column definitions, typed column batches and single values that flow
//! from readers into stores and back out; the per-type value parsers
//! ([`parse`]); and the naming rules for datasets, tables and columns
//! ([`name`]).

pub mod name;
pub mod parse;
pub mod spelling;

use serde::{Deserialize, Serialize};

/// The logical type of a stored column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Boolean,
    Integer,
    Float,
    Date,
    Datetime,
    Text,
}

impl ColumnType {
    /// The lowercase name used in metadata and output.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Boolean => "boolean",
            ColumnType::Integer => "integer",
            ColumnType::Float => "float",
            ColumnType::Date => "date",
            ColumnType::Datetime => "datetime",
            ColumnType::Text => "text",
        }
    }

    /// Whether values are numbers (statistics such as mean apply).
    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnType::Integer | ColumnType::Float)
    }
}

/// A column as stored: its name in the database and its logical type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    pub column_type: ColumnType,
}

/// Text values of one batch in one buffer (no allocation per value).
#[derive(Clone, Debug, Default)]
pub struct TextColumn {
    data: String,
    ends: Vec<usize>,
    valid: Vec<bool>,
}

impl TextColumn {
    /// Appends a value or a null.
    pub fn push(&mut self, value: Option<&str>) {
        if let Some(text) = value {
            self.data.push_str(text);
        }
        self.ends.push(self.data.len());
        self.valid.push(value.is_some());
    }

    /// The value at `row`.
    pub fn get(&self, row: usize) -> Option<&str> {
        if !self.valid[row] {
            return None;
        }
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        Some(&self.data[start..self.ends[row]])
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The values one after the other, where each row's value ends in
    /// them, and which rows hold a value (not null).
    pub fn parts(&self) -> (&str, &[usize], &[bool]) {
        (&self.data, &self.ends, &self.valid)
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.valid.clear();
    }
}

/// The values of one column in one batch. Dates are days since 1970-01-01,
/// timestamps microseconds since 1970-01-01 00:00:00 UTC.
#[derive(Clone, Debug)]
pub enum ColumnData {
    Boolean(Vec<Option<bool>>),
    Integer(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Date(Vec<Option<i32>>),
    Datetime(Vec<Option<i64>>),
    Text(TextColumn),
}

impl ColumnData {
    /// An empty column of `column_type` with room for `capacity` rows.
    pub fn new(column_type: ColumnType, capacity: usize) -> ColumnData {
        match column_type {
            ColumnType::Boolean => ColumnData::Boolean(Vec::with_capacity(capacity)),
            ColumnType::Integer => ColumnData::Integer(Vec::with_capacity(capacity)),
            ColumnType::Float => ColumnData::Float(Vec::with_capacity(capacity)),
            ColumnType::Date => ColumnData::Date(Vec::with_capacity(capacity)),
            ColumnType::Datetime => ColumnData::Datetime(Vec::with_capacity(capacity)),
            ColumnType::Text => ColumnData::Text(TextColumn::default()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ColumnData::Boolean(v) => v.len(),
            ColumnData::Integer(v) => v.len(),
            ColumnData::Float(v) => v.len(),
            ColumnData::Date(v) => v.len(),
            ColumnData::Datetime(v) => v.len(),
            ColumnData::Text(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a null.
    pub fn push_null(&mut self) {
        match self {
            ColumnData::Boolean(v) => v.push(None),
            ColumnData::Integer(v) => v.push(None),
            ColumnData::Float(v) => v.push(None),
            ColumnData::Date(v) => v.push(None),
            ColumnData::Datetime(v) => v.push(None),
            ColumnData::Text(v) => v.push(None),
        }
    }

    /// Appends the value at `row` of `other`, a column of the same type
    /// (a null when the types differ).
    pub fn push_from(&mut self, other: &ColumnData, row: usize) {
        match (self, other) {
            (ColumnData::Boolean(v), ColumnData::Boolean(o)) => v.push(o[row]),
            (ColumnData::Integer(v), ColumnData::Integer(o)) => v.push(o[row]),
            (ColumnData::Float(v), ColumnData::Float(o)) => v.push(o[row]),
            (ColumnData::Date(v), ColumnData::Date(o)) => v.push(o[row]),
            (ColumnData::Datetime(v), ColumnData::Datetime(o)) => v.push(o[row]),
            (ColumnData::Text(v), ColumnData::Text(o)) => v.push(o.get(row)),
            (column, _) => column.push_null(),
        }
    }

    /// Whether the value at `row` is null.
    pub fn is_null(&self, row: usize) -> bool {
        match self {
            ColumnData::Boolean(v) => v[row].is_none(),
            ColumnData::Integer(v) => v[row].is_none(),
            ColumnData::Float(v) => v[row].is_none(),
            ColumnData::Date(v) => v[row].is_none(),
            ColumnData::Datetime(v) => v[row].is_none(),
            ColumnData::Text(v) => v.get(row).is_none(),
        }
    }

    fn clear(&mut self) {
        match self {
            ColumnData::Boolean(v) => v.clear(),
            ColumnData::Integer(v) => v.clear(),
            ColumnData::Float(v) => v.clear(),
            ColumnData::Date(v) => v.clear(),
            ColumnData::Datetime(v) => v.clear(),
            ColumnData::Text(v) => v.clear(),
        }
    }
}

/// A block of rows, column by column; reused from batch to batch.
#[derive(Clone, Debug)]
pub struct Batch {
    pub columns: Vec<ColumnData>,
}

impl Batch {
    /// An empty batch for `columns`.
    pub fn new(columns: &[ColumnDef], capacity: usize) -> Batch {
        Batch {
            columns: columns
                .iter()
                .map(|c| ColumnData::new(c.column_type, capacity))
                .collect(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, ColumnData::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties every column, keeping the allocations.
    pub fn clear(&mut self) {
        self.columns.iter_mut().for_each(ColumnData::clear);
    }
}

/// One value of a query result or a bound parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Float(f64),
    Text(String),
}

impl Value {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(v) => Some(*v),
            Value::Float(v) => Some(*v as i64),
            Value::Text(t) => t.parse().ok(),
            Value::Null => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(v) => Some(*v),
            Value::Integer(v) => Some(*v as f64),
            Value::Text(t) => t.parse().ok(),
            Value::Null => None,
        }
    }

    pub fn into_text(self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Integer(v) => Some(v.to_string()),
            Value::Float(v) => Some(v.to_string()),
            Value::Text(t) => Some(t),
        }
    }
}
