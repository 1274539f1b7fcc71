//! Pass 2 over a source file: parse it into typed batches of the planned
//! column types and profile each batch, on a thread of its own that hands
//! the batches (and the rows that do not fit, for `_rejects`) to the store
//! through a bounded channel and takes emptied batches back for reuse.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::infer::is_null_token;
use super::plan::TablePlan;
use super::reader;
use super::rows::{self, Fit};
use super::scan::utf8_error;
use super::typed;
use super::{dispatch, ReaderKind};
use crate::config::BadRows;
use crate::error::{Error, Result};
use crate::model::parse;
use crate::model::spelling::{Parsed as Spelled, Spelling};
use crate::model::{Batch, ColumnData, ColumnDef};
use crate::profile::ColumnProfiler;

/// What the parser thread hands to the store.
pub enum Parsed {
    Rows(Batch),
    Rejects(Batch),
}

/// Batches parsed ahead of the one being stored.
pub const BATCHES_AHEAD: usize = 1;

/// Values a parsed batch holds at most (rows times columns): a wide
/// table's batches have fewer rows, so that memory does not grow with the
/// column count (two batches are in flight, each some 16 bytes a value).
const BATCH_VALUES: usize = 1 << 19;

/// Rows per batch of a table of `columns` columns, at most `batch_size`.
pub fn rows_per_batch(batch_size: usize, columns: usize) -> usize {
    batch_size.min(BATCH_VALUES / columns.max(1)).max(1)
}

/// Rejected rows per batch sent to `_rejects`.
const REJECTS_BATCH: usize = 1024;

/// Reads a table's file into typed batches, profiles each and sends it to
/// `parsed`. Returns the column profiles; stops early (with `Ok`) when the
/// receiving side has gone away after an error of its own.
pub fn parse_batches(
    plan: &TablePlan,
    batch_size: usize,
    cap: usize,
    counter: Arc<AtomicU64>,
    parsed: &std::sync::mpsc::SyncSender<Parsed>,
    spent: &std::sync::mpsc::Receiver<Batch>,
) -> Result<Vec<ColumnProfiler>> {
    if plan.source.reader != ReaderKind::Delimited {
        return parse_typed_batches(plan, batch_size, cap, counter, parsed, spent);
    }
    let mut profilers = profilers(plan, cap);
    let fresh = || reuse_or_new(plan, batch_size, spent);
    let mut batch = fresh();
    let reject_columns = rows::reject_columns();
    let mut rejects = Batch::new(&reject_columns, 0);
    let path = &plan.source.path;
    let file = path.display().to_string();
    let layout = &plan.format.layout;
    let offset = layout.skip_rows;
    let width = layout.width;
    let any_spelled = plan.spellings.iter().any(Option::is_some);
    let mut csv = reader::csv_reader(&plan.format, counter)?;
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    let mut header_rows = layout.header_rows;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => return Err(reader::csv_error(path, err)),
        }
        if header_rows > 0 {
            header_rows -= 1;
            continue;
        }
        let line = rows::start_line(&record, csv.position().line()) + offset;
        if plan.end_line.is_some_and(|end| line >= end) {
            break;
        }
        let fit = rows::fit(layout, &record);
        if fit == Fit::Long || (fit == Fit::Short && plan.bad_rows != BadRows::Pad) {
            let reason = format!("expected {width} fields, found {}", record.len());
            rows::push_reject(
                &mut rejects,
                &plan.source.table,
                &file,
                line,
                &rows::raw_text(layout, &record),
                &reason,
            );
            if rejects.len() >= REJECTS_BATCH
                && parsed
                    .send(Parsed::Rejects(std::mem::replace(
                        &mut rejects,
                        Batch::new(&reject_columns, 0),
                    )))
                    .is_err()
            {
                return Ok(profilers);
            }
            continue;
        }
        rows += 1;
        for (index, ((column, data), field)) in plan
            .columns
            .iter()
            .zip(batch.columns.iter_mut())
            .zip(record.iter())
            .enumerate()
        {
            let spelling = if any_spelled {
                plan.spellings[index].as_ref()
            } else {
                None
            };
            let pushed = match spelling {
                Some(spelling) => push_spelled(data, spelling, field),
                None => push_field(data, field),
            };
            if !pushed {
                return Err(parse_error(path, &record, column, field, offset));
            }
        }
        // A padded short row: its missing fields are NULL.
        for data in batch.columns.iter_mut().skip(record.len()) {
            data.push_null();
        }
        if batch.len() >= batch_size {
            for (profiler, column) in profilers.iter_mut().zip(&batch.columns) {
                profiler.update(column);
            }
            if parsed
                .send(Parsed::Rows(std::mem::replace(&mut batch, fresh())))
                .is_err()
            {
                return Ok(profilers);
            }
        }
    }
    if rows != plan.rows {
        return Err(recount_error(plan, rows));
    }
    if !batch.is_empty() {
        for (profiler, column) in profilers.iter_mut().zip(&batch.columns) {
            profiler.update(column);
        }
        let _ = parsed.send(Parsed::Rows(batch));
    }
    if !rejects.is_empty() {
        let _ = parsed.send(Parsed::Rejects(rejects));
    }
    Ok(profilers)
}

/// The load found another number of rows than the first pass: the file
/// changed on disk, or (when it did not) the passes disagree, which is
/// mdm's fault and said so.
fn recount_error(plan: &TablePlan, rows: u64) -> Error {
    let path = plan.source.path.display();
    if plan.format.changed_on_disk() {
        Error::General(format!(
            "{path}: the file changed while it was being registered ({} rows, then {rows})",
            plan.rows
        ))
    } else {
        Error::General(format!(
            "{path}: the first pass counted {} rows and the load {rows}, in a file that did not change: an error in mdm; please report it (with the file's shape), and meanwhile give --bad-rows skip",
            plan.rows
        ))
    }
}

/// Parses one raw field into a typed column; false when it does not parse.
#[inline]
fn push_field(data: &mut ColumnData, field: &[u8]) -> bool {
    if is_null_token(field) {
        data.push_null();
        return true;
    }
    let Ok(text) = std::str::from_utf8(field) else {
        return false;
    };
    match data {
        ColumnData::Boolean(v) => parse::parse_boolean(text)
            .map(|x| v.push(Some(x)))
            .is_some(),
        ColumnData::Integer(v) => text.parse::<i64>().map(|x| v.push(Some(x))).is_ok(),
        ColumnData::Float(v) => parse::parse_float(text).map(|x| v.push(Some(x))).is_some(),
        ColumnData::Date(v) => crate::time::parse_date(text)
            .map(|x| v.push(Some(x)))
            .is_some(),
        ColumnData::Datetime(v) => parse::parse_timestamp(text)
            .map(|x| v.push(Some(x)))
            .is_some(),
        ColumnData::Text(v) => {
            v.push(Some(text));
            true
        }
    }
}

/// Parses one raw field written in a column's spelling.
fn push_spelled(data: &mut ColumnData, spelling: &Spelling, field: &[u8]) -> bool {
    if is_null_token(field) {
        data.push_null();
        return true;
    }
    let Some(parsed) = std::str::from_utf8(field)
        .ok()
        .and_then(|text| spelling.read(text))
    else {
        return false;
    };
    match (data, parsed) {
        (ColumnData::Integer(v), Spelled::Integer(x)) => v.push(Some(x)),
        (ColumnData::Float(v), Spelled::Integer(x)) => v.push(Some(x as f64)),
        (ColumnData::Float(v), Spelled::Float(x)) => v.push(Some(x)),
        (ColumnData::Date(v), Spelled::Date(x)) => v.push(Some(x)),
        (ColumnData::Datetime(v), Spelled::Date(x)) => {
            v.push(Some(i64::from(x) * crate::time::MICROS_PER_DAY))
        }
        (ColumnData::Datetime(v), Spelled::Datetime(x)) => v.push(Some(x)),
        _ => return false,
    }
    true
}

fn parse_error(
    path: &Path,
    record: &csv::ByteRecord,
    column: &ColumnDef,
    field: &[u8],
    offset: u64,
) -> Error {
    let line = record.position().map_or(0, |p| p.line()) + offset;
    let Ok(text) = std::str::from_utf8(field) else {
        return utf8_error(path, record, &column.name, offset);
    };
    let shown: String = text.chars().take(40).collect();
    Error::General(format!(
        "{}: line {line}, column '{}': `{shown}` is not a valid {} value",
        path.display(),
        column.name,
        column.column_type.as_str()
    ))
}

/// One profiler per column of the table.
fn profilers(plan: &TablePlan, cap: usize) -> Vec<ColumnProfiler> {
    plan.columns
        .iter()
        .map(|c| ColumnProfiler::new(c.column_type, cap))
        .collect()
}

/// A spent batch back from the store, or a new one.
fn reuse_or_new(
    plan: &TablePlan,
    batch_size: usize,
    spent: &std::sync::mpsc::Receiver<Batch>,
) -> Batch {
    spent
        .try_recv()
        .unwrap_or_else(|_| Batch::new(&plan.columns, batch_size))
}

/// Pass 2 for a typed source: its reader fills the batches.
fn parse_typed_batches(
    plan: &TablePlan,
    batch_size: usize,
    cap: usize,
    counter: Arc<AtomicU64>,
    parsed: &std::sync::mpsc::SyncSender<Parsed>,
    spent: &std::sync::mpsc::Receiver<Batch>,
) -> Result<Vec<ColumnProfiler>> {
    let mut profilers = profilers(plan, cap);
    let mut fresh = || reuse_or_new(plan, batch_size, spent);
    let mut emit = |batch: Batch| -> Result<bool> {
        for (profiler, column) in profilers.iter_mut().zip(&batch.columns) {
            profiler.update(column);
        }
        Ok(parsed.send(Parsed::Rows(batch)).is_ok())
    };
    let mut output = typed::Output::new(batch_size, &mut fresh, &mut emit);
    let rows = dispatch::read(&plan.source, &plan.columns, counter, &mut output)?;
    let stopped = output.is_stopped();
    drop(output);
    if !stopped && plan.source.reader.counts_rows_upfront() && rows != plan.rows {
        return Err(recount_error(plan, rows));
    }
    Ok(profilers)
}
