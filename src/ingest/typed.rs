//! The reader abstraction for sources other than delimited text:
//! `source -> column schema (names + types) -> stream of typed batches`.
//! Parquet, JSON and Excel readers implement `scan` (pass 1: names, types,
//! row count, widest value, as a [`Scan`]) and `read` (pass 2: batches of
//! the planned column types, into an [`Output`]), reached through
//! [`super::dispatch`]. Values carry their own types (a JSON number, an
//! Excel date cell, a Parquet int32), so nothing is re-inferred from text;
//! a planned type that differs (from an export's sidecar or a
//! `--*-columns` flag) is reached by the conversions here.

use std::path::Path;

use super::infer::Inferred;
use crate::error::{Error, Result};
use crate::model::parse;
use crate::model::{Batch, ColumnData, ColumnDef, ColumnType};
use crate::time;

/// The most bytes of one text value read from JSON or Excel: a value past
/// this is refused rather than buffered (PostgreSQL's own limit is 1 GiB;
/// nothing in a tabular ML dataset comes near).
pub const MAX_VALUE_BYTES: usize = 64 << 20;

/// What pass 1 learned about a typed source.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scan {
    /// Column names as in the file.
    pub names: Vec<String>,
    pub types: Vec<ColumnType>,
    pub rows: u64,
    /// An upper bound on the bytes of any one value.
    pub widest: u64,
}

/// Where a typed reader puts its rows: the batch being filled, a supply of
/// empty batches and the consumer of full ones.
pub struct Output<'a> {
    pub batch: Batch,
    pub batch_size: usize,
    fresh: &'a mut dyn FnMut() -> Batch,
    emit: &'a mut dyn FnMut(Batch) -> Result<bool>,
    rows: u64,
    stopped: bool,
}

impl<'a> Output<'a> {
    pub fn new(
        batch_size: usize,
        fresh: &'a mut dyn FnMut() -> Batch,
        emit: &'a mut dyn FnMut(Batch) -> Result<bool>,
    ) -> Output<'a> {
        Output {
            batch: fresh(),
            batch_size: batch_size.max(1),
            fresh,
            emit,
            rows: 0,
            stopped: false,
        }
    }

    /// Records that `rows` rows were pushed and hands the batch on when
    /// full. False when the consumer has stopped (the reader then stops).
    pub fn rows_pushed(&mut self, rows: usize) -> Result<bool> {
        self.rows += rows as u64;
        if self.batch.len() >= self.batch_size {
            self.hand_on()?;
        }
        Ok(!self.stopped)
    }

    fn hand_on(&mut self) -> Result<()> {
        let full = std::mem::replace(&mut self.batch, (self.fresh)());
        if !(self.emit)(full)? {
            self.stopped = true;
        }
        crate::interrupt::check()
    }

    pub(super) fn finish(&mut self) -> Result<u64> {
        if !self.batch.is_empty() && !self.stopped {
            self.hand_on()?;
        }
        Ok(self.rows)
    }

    /// An empty batch to fill elsewhere and hand on with [`Self::push_batch`]
    /// (one the consumer is done with, when there is one).
    pub fn empty_batch(&mut self) -> Batch {
        (self.fresh)()
    }

    /// Hands on a batch filled elsewhere (a reader filling several batches
    /// at once); the batch being filled here is left as it is. False when
    /// the consumer has stopped.
    pub fn push_batch(&mut self, batch: Batch) -> Result<bool> {
        if batch.is_empty() || self.stopped {
            return Ok(!self.stopped);
        }
        self.rows += batch.len() as u64;
        if !(self.emit)(batch)? {
            self.stopped = true;
        }
        crate::interrupt::check()?;
        Ok(!self.stopped)
    }

    /// Whether the consumer has stopped.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }
}

/// One value of a JSON document or an Excel cell, with its own type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    Datetime(i64),
    Text(&'a str),
}

impl Cell<'_> {
    /// The type of this value; text stays text unless `dates_in_text`
    /// (JSON has no date type: ISO dates and timestamps in strings count).
    pub fn inferred(&self, dates_in_text: bool) -> Inferred {
        match self {
            Cell::Null => Inferred::Null,
            Cell::Bool(_) => Inferred::Boolean,
            Cell::Int(_) => Inferred::Integer,
            Cell::Float(_) => Inferred::Float,
            Cell::Date(_) => Inferred::Date,
            Cell::Datetime(_) => Inferred::Datetime,
            Cell::Text(text) if dates_in_text => {
                if time::parse_date(text).is_some() {
                    Inferred::Date
                } else if time::parse_datetime(text).is_some() {
                    Inferred::Datetime
                } else {
                    Inferred::Text
                }
            }
            Cell::Text(_) => Inferred::Text,
        }
    }

    /// Appends this value to `data`, converted to the column's type; false
    /// when it does not convert without loss.
    pub fn push_to(&self, data: &mut ColumnData) -> bool {
        let cell = *self;
        if cell == Cell::Null {
            data.push_null();
            return true;
        }
        match data {
            ColumnData::Boolean(v) => match cell {
                Cell::Bool(b) => v.push(Some(b)),
                Cell::Text(t) => match parse::parse_boolean(t) {
                    Some(b) => v.push(Some(b)),
                    None => return false,
                },
                _ => return false,
            },
            ColumnData::Integer(v) => match cell {
                Cell::Int(i) => v.push(Some(i)),
                Cell::Float(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
                    v.push(Some(f as i64))
                }
                Cell::Text(t) => match t.parse::<i64>() {
                    Ok(i) => v.push(Some(i)),
                    Err(_) => return false,
                },
                _ => return false,
            },
            ColumnData::Float(v) => match cell {
                Cell::Int(i) => v.push(Some(i as f64)),
                Cell::Float(f) => v.push(Some(f)),
                Cell::Text(t) => match parse::parse_float(t) {
                    Some(f) => v.push(Some(f)),
                    None => return false,
                },
                _ => return false,
            },
            ColumnData::Date(v) => match cell {
                Cell::Date(d) => v.push(Some(d)),
                Cell::Datetime(micros) if micros.rem_euclid(86_400_000_000) == 0 => {
                    v.push(Some(micros.div_euclid(86_400_000_000) as i32))
                }
                Cell::Text(t) => match time::parse_date(t) {
                    Some(d) => v.push(Some(d)),
                    None => return false,
                },
                _ => return false,
            },
            ColumnData::Datetime(v) => match cell {
                Cell::Datetime(micros) => v.push(Some(micros)),
                Cell::Date(d) => v.push(Some(i64::from(d) * 86_400_000_000)),
                Cell::Text(t) => match parse::parse_timestamp(t) {
                    Some(micros) => v.push(Some(micros)),
                    None => return false,
                },
                _ => return false,
            },
            ColumnData::Text(v) => match cell {
                Cell::Text(t) => v.push(Some(t)),
                Cell::Bool(b) => v.push(Some(if b { "true" } else { "false" })),
                Cell::Int(i) => v.push(Some(itoa::Buffer::new().format(i))),
                Cell::Float(f) => v.push(Some(&format_float(f))),
                Cell::Date(d) => v.push(Some(&time::format_date(d))),
                Cell::Datetime(micros) => v.push(Some(&time::format_datetime(micros))),
                Cell::Null => unreachable!("handled above"),
            },
        }
        true
    }

    /// A short rendering for error messages.
    pub fn shown(&self) -> String {
        let mut data = ColumnData::new(ColumnType::Text, 1);
        self.push_to(&mut data);
        match &data {
            ColumnData::Text(v) => v
                .get(0)
                .map_or_else(|| "null".into(), |t| t.chars().take(40).collect()),
            _ => unreachable!("a text column"),
        }
    }
}

/// Shortest text that reads back as the same double (as exports write it).
fn format_float(value: f64) -> String {
    if value.is_finite() {
        ryu::Buffer::new().format_finite(value).to_string()
    } else if value.is_nan() {
        "NaN".into()
    } else if value > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

/// The error for a value that does not convert to its column's type.
pub fn conversion_error(path: &Path, place: &str, column: &ColumnDef, cell: &Cell) -> Error {
    Error::General(format!(
        "{}: {place}, column '{}': `{}` is not a valid {} value",
        path.display(),
        column.name,
        cell.shown(),
        column.column_type.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_convert_to_planned_types_without_loss() {
        let mut integers = ColumnData::new(ColumnType::Integer, 4);
        assert!(Cell::Float(3.0).push_to(&mut integers));
        assert!(!Cell::Float(3.5).push_to(&mut integers));
        assert!(Cell::Text("-7").push_to(&mut integers));
        let mut text = ColumnData::new(ColumnType::Text, 4);
        assert!(Cell::Float(0.1).push_to(&mut text));
        assert!(Cell::Date(0).push_to(&mut text));
        match text {
            ColumnData::Text(v) => {
                assert_eq!(v.get(0), Some("0.1"));
                assert_eq!(v.get(1), Some("1970-01-01"));
            }
            _ => unreachable!(),
        }
        assert_eq!(Cell::Text("2024-02-29").inferred(true), Inferred::Date);
        assert_eq!(Cell::Text("2024-02-29").inferred(false), Inferred::Text);
    }
}
