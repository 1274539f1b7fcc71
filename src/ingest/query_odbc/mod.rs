//! The ODBC query reader: describes a query's result set (SQLDescribeCol
//! after SQLPrepare, nothing fetched) into mdm column types, then runs it
//! and fetches block cursors into typed batches. Every value arrives in a
//! typed buffer or as the driver's exact text of a decimal; nothing is
//! re-inferred from strings.

mod split;

use split::SplitReader;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use odbc_api::buffers::{AnySlice, BufferDesc, ColumnarAnyBuffer};
use odbc_api::parameter::InputParameter;
use odbc_api::{BlockCursor, Cursor, DataType, ResultSetMetadata};

use super::query::{QuerySource, SourceColumn, Split};
use super::typed::{Output, Scan};
use crate::error::{Error, Result};
use crate::model::{Batch, ColumnData, ColumnDef, ColumnType};
use crate::store::odbc::{
    close_cursor, environment, fill_column, from_odbc_date, from_odbc_timestamp, sqlstate,
    to_odbc_date, to_odbc_timestamp,
};

/// Bytes bound for one value of a column whose size the source does not
/// bound (TEXT, CLOB, VARCHAR(MAX), BLOB); a longer value is refused
/// rather than cut. 64 KiB keeps a thousand rows per fetch for a table
/// with one such column inside the buffer budget.
const LONG_VALUE_BYTES: usize = 64 << 10;

/// Bytes of fetch buffers bound at once: rows per fetch shrink when rows
/// are wide, so memory stays flat whatever the row count.
const BUFFER_BUDGET: usize = 64 << 20;

/// Decimal digits a double carries exactly through text and back: an
/// exact decimal of at most this precision is stored as a float, and
/// formatting it at its scale gives the source's value.
const FLOAT_EXACT_DIGITS: usize = 15;

/// Decimal digits that always fit an i64.
const INTEGER_EXACT_DIGITS: usize = 18;

/// How one result column is fetched and stored.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fetch {
    Integer,
    Double,
    /// Single precision: kept as the shortest decimal that reads back as
    /// the same f32, so `0.1` stays `0.1`.
    Single,
    Boolean,
    Date,
    Timestamp,
    /// The driver's text of an exact decimal, parsed to the nearest double.
    DecimalFloat,
    /// Text of at most this many bytes.
    Text(usize),
    /// Bytes of at most this length, stored as lower-case hex.
    Binary(usize),
}

impl Fetch {
    fn column_type(self) -> ColumnType {
        match self {
            Fetch::Integer => ColumnType::Integer,
            Fetch::Double | Fetch::Single | Fetch::DecimalFloat => ColumnType::Float,
            Fetch::Boolean => ColumnType::Boolean,
            Fetch::Date => ColumnType::Date,
            Fetch::Timestamp => ColumnType::Datetime,
            Fetch::Text(_) | Fetch::Binary(_) => ColumnType::Text,
        }
    }

    fn buffer(self) -> BufferDesc {
        match self {
            Fetch::Integer => BufferDesc::I64 { nullable: true },
            Fetch::Double => BufferDesc::F64 { nullable: true },
            // Fetched as double: some drivers (MariaDB's) fill a bound
            // array of floats at the stride of doubles.
            Fetch::Single => BufferDesc::F64 { nullable: true },
            Fetch::Boolean => BufferDesc::Bit { nullable: true },
            Fetch::Date => BufferDesc::Date { nullable: true },
            Fetch::Timestamp => BufferDesc::Timestamp { nullable: true },
            Fetch::DecimalFloat => BufferDesc::Text {
                max_str_len: FLOAT_EXACT_DIGITS + 8,
            },
            Fetch::Text(max_str_len) => BufferDesc::Text { max_str_len },
            Fetch::Binary(length) => BufferDesc::Binary { length },
        }
    }
}

/// Bytes for a text column of `length` characters (UTF-8: up to 4 bytes
/// each); unbounded or huge columns get [`LONG_VALUE_BYTES`].
fn text_bytes(length: Option<std::num::NonZeroUsize>) -> usize {
    match length {
        Some(n) if n.get() <= LONG_VALUE_BYTES / 4 => (n.get() * 4).max(1),
        _ => LONG_VALUE_BYTES,
    }
}

/// The mdm storage of an ODBC SQL type, with a note for the lossy ones.
fn plan(data_type: &DataType) -> (Fetch, Option<i16>, Option<String>) {
    match *data_type {
        DataType::TinyInt | DataType::SmallInt | DataType::Integer | DataType::BigInt => {
            (Fetch::Integer, None, None)
        }
        DataType::Bit => (Fetch::Boolean, None, None),
        DataType::Real => (Fetch::Single, None, None),
        // SQL_FLOAT's precision is counted in bits by some drivers and in
        // decimal digits by others (psqlODBC: 17 for float8); drivers
        // report single precision as SQL_REAL.
        DataType::Float { .. } | DataType::Double => (Fetch::Double, None, None),
        DataType::Decimal { precision, scale } | DataType::Numeric { precision, scale } => {
            if scale <= 0 && precision <= INTEGER_EXACT_DIGITS {
                (Fetch::Integer, None, None)
            } else if precision <= FLOAT_EXACT_DIGITS && scale >= 0 {
                (Fetch::DecimalFloat, Some(scale), None)
            } else {
                (
                    Fetch::Text(precision + 3),
                    None,
                    Some(format!(
                        "exact decimal of {precision} digits stored as text (a double holds {FLOAT_EXACT_DIGITS})"
                    )),
                )
            }
        }
        DataType::Date => (Fetch::Date, None, None),
        DataType::Timestamp { .. } => (Fetch::Timestamp, None, None),
        DataType::Time { .. } => (
            Fetch::Text(32),
            None,
            Some("time of day stored as text (HH:MM:SS)".into()),
        ),
        DataType::Char { length }
        | DataType::WChar { length }
        | DataType::Varchar { length }
        | DataType::WVarchar { length }
        | DataType::LongVarchar { length }
        | DataType::WLongVarchar { length } => {
            let bytes = if matches!(
                data_type,
                DataType::LongVarchar { .. } | DataType::WLongVarchar { .. }
            ) {
                LONG_VALUE_BYTES
            } else {
                text_bytes(length)
            };
            (Fetch::Text(bytes), None, None)
        }
        DataType::Binary { length }
        | DataType::Varbinary { length }
        | DataType::LongVarbinary { length } => {
            let bytes = match (data_type, length) {
                (DataType::LongVarbinary { .. }, _) => LONG_VALUE_BYTES / 2,
                (_, Some(n)) if n.get() <= LONG_VALUE_BYTES / 2 => n.get(),
                _ => LONG_VALUE_BYTES / 2,
            };
            (
                Fetch::Binary(bytes),
                None,
                Some("binary stored as lower-case hex text".into()),
            )
        }
        DataType::Unknown | DataType::Other { .. } => (
            Fetch::Text(text_bytes(data_type.utf8_len())),
            None,
            Some("type without an mdm counterpart stored as the driver's text".into()),
        ),
    }
}

/// How a type is named in the record.
fn type_name(data_type: &DataType) -> String {
    match *data_type {
        DataType::Decimal { precision, scale } => format!("DECIMAL({precision},{scale})"),
        DataType::Numeric { precision, scale } => format!("NUMERIC({precision},{scale})"),
        DataType::Other { data_type, .. } => format!("SQL type {}", data_type.0),
        ref other => {
            let text = format!("{other:?}");
            let name = text
                .split([' ', '{', '('])
                .next()
                .unwrap_or("")
                .to_uppercase();
            match other.column_size() {
                Some(size)
                    if !matches!(other, DataType::Timestamp { .. } | DataType::Time { .. }) =>
                {
                    format!("{name}({size})")
                }
                _ => name,
            }
        }
    }
}

fn connect(source: &QuerySource) -> Result<odbc_api::Connection<'static>> {
    crate::store::odbc::connect_with_string(environment()?, &source.connection).map_err(|e| {
        Error::Backend(format!(
            "cannot connect to the ODBC source {}: {}",
            super::query::redact_connection(&source.connection),
            source.redact(&e.to_string())
        ))
    })
}

/// A failed query: the source's SQLSTATE and message (exit 2); a lost
/// connection (SQLSTATE class 08) is a backend fault (exit 6).
fn query_error(source: &QuerySource, table: &str, err: odbc_api::Error) -> Error {
    let state = sqlstate(&err);
    let message = format!(
        "the query for table {table} failed{}: {}",
        state
            .as_deref()
            .map_or_else(String::new, |s| format!(" (SQLSTATE {s})")),
        source.redact(&err.to_string())
    );
    if is_connection_state(state.as_deref()) {
        Error::Backend(message)
    } else {
        Error::InvalidArgument(message)
    }
}

fn is_connection_state(state: Option<&str>) -> bool {
    // 08: connection exceptions; 57P01-57P03: the server shut the session
    // down (PostgreSQL, e.g. pg_terminate_backend); HYT01: timeout.
    state.is_some_and(|s| s.starts_with("08") || s.starts_with("57P") || s == "HYT01")
}

/// Describes the result set: names, types and how each is fetched.
fn describe(
    source: &QuerySource,
    table: &str,
    statement: &mut impl ResultSetMetadata,
) -> Result<(Vec<String>, Vec<Fetch>)> {
    let wrap = |e| query_error(source, table, e);
    let count = statement.num_result_cols().map_err(wrap)?;
    if count <= 0 {
        return Err(Error::InvalidArgument(format!(
            "the query for table {table} returns no columns; give a SELECT"
        )));
    }
    let mut names = Vec::new();
    let mut fetches = Vec::new();
    let mut described = Vec::new();
    for index in 1..=count as u16 {
        let name = statement.col_name(index).map_err(wrap)?;
        let data_type = statement.col_data_type(index).map_err(wrap)?;
        let (fetch, scale, note) = plan(&data_type);
        described.push(SourceColumn {
            name: name.clone(),
            source_type: type_name(&data_type),
            scale,
            note,
        });
        names.push(name);
        fetches.push(fetch);
    }
    let _ = source.described.set(described);
    Ok((names, fetches))
}

pub fn scan(source: &QuerySource, table: &str) -> Result<Scan> {
    let connection = connect(source)?;
    let mut prepared = connection
        .prepare(&source.sql)
        .map_err(|e| query_error(source, table, e))?;
    let (names, fetches) = describe(source, table, &mut prepared)?;
    let widest = fetches
        .iter()
        .map(|f| f.buffer().bytes_per_row() as u64 * 2)
        .max()
        .unwrap_or(0);
    Ok(Scan {
        names,
        types: fetches.iter().map(|f| f.column_type()).collect(),
        rows: 0,
        widest,
    })
}

pub fn read(
    source: &QuerySource,
    table: &str,
    columns: &[ColumnDef],
    counter: Arc<AtomicU64>,
    output: &mut Output,
) -> Result<()> {
    let connection = connect(source)?;
    let mut prepared = connection
        .prepare(&source.sql)
        .map_err(|e| query_error(source, table, e))?;
    let (names, fetches) = describe(source, table, &mut prepared)?;
    if fetches.len() != columns.len()
        || fetches
            .iter()
            .zip(columns)
            .any(|(f, c)| f.column_type() != c.column_type)
    {
        return Err(Error::General(format!(
            "the query for table {table}: its result columns changed while it was being registered"
        )));
    }
    if let Some(split) = &source.split {
        drop(prepared);
        drop(connection);
        let reader = SplitReader {
            source,
            table,
            columns,
            fetches: &fetches,
            counter,
        };
        return reader.read(&names, split, output);
    }
    let descs: Vec<BufferDesc> = fetches.iter().map(|f| f.buffer()).collect();
    let row_bytes: usize = descs
        .iter()
        .map(|d| d.bytes_per_row())
        .sum::<usize>()
        .max(1);
    // Two buffers share the budget: one is filled by the driver while the
    // rows of the other become a batch.
    let rows = (BUFFER_BUDGET / 2 / row_bytes).clamp(1, output.batch_size);
    let Some(cursor) = prepared
        .execute(())
        .map_err(|e| query_error(source, table, e))?
    else {
        return Err(Error::InvalidArgument(format!(
            "the query for table {table} returns no result set; give a SELECT"
        )));
    };
    let allocate = || {
        ColumnarAnyBuffer::try_from_descs(rows, descs.iter().copied())
            .map_err(|e| Error::General(format!("cannot allocate fetch buffers for {table}: {e}")))
    };
    let (first, second) = (allocate()?, allocate()?);
    let block = cursor
        .bind_buffer(first)
        .map_err(|e| query_error(source, table, e))?;
    let (filled_tx, filled_rx) = sync_channel::<ColumnarAnyBuffer>(1);
    let (empty_tx, empty_rx) = sync_channel::<ColumnarAnyBuffer>(1);
    let _ = empty_tx.send(second);
    std::thread::scope(|scope| {
        let fetcher = scope.spawn(move || fetch_blocks(block, &filled_tx, &empty_rx));
        let converted = (|| -> Result<()> {
            for buffer in filled_rx.iter() {
                let count = fill_batch(table, columns, &fetches, &mut output.batch, &buffer)?;
                let _ = empty_tx.send(buffer);
                counter.fetch_add(count as u64, Ordering::Relaxed);
                if !output.rows_pushed(count)? {
                    return Ok(());
                }
            }
            Ok(())
        })();
        // Stops the fetching thread when the batches are no longer wanted.
        drop(filled_rx);
        drop(empty_tx);
        let fetched = fetcher.join().unwrap_or(Err(FetchError::Panicked));
        match (converted, fetched) {
            (Err(error), _) => Err(error),
            (Ok(()), Err(FetchError::TooLong(index))) => Err(too_long(table, columns, index)),
            (Ok(()), Err(FetchError::Source(e))) => Err(fetch_failed(source, table, e)),
            (Ok(()), Err(FetchError::Panicked)) => Err(Error::General(format!(
                "the query for table {table}: the thread fetching its rows panicked"
            ))),
            (Ok(()), Ok(())) => Ok(()),
        }
    })
}

/// A value longer than its column's fetch buffer.
fn too_long(table: &str, columns: &[ColumnDef], index: usize) -> Error {
    Error::General(format!(
        "the query for table {table}, column '{}': a value is longer than {} bytes, the most mdm reads of one value",
        columns[index].name, LONG_VALUE_BYTES
    ))
}

/// The source failing while rows were fetched: a backend fault (exit 6).
fn fetch_failed(source: &QuerySource, table: &str, err: odbc_api::Error) -> Error {
    let state = sqlstate(&err);
    Error::Backend(format!(
        "the ODBC source failed while table {table} was read{}: {}",
        state
            .as_deref()
            .map_or_else(String::new, |s| format!(" (SQLSTATE {s})")),
        source.redact(&err.to_string())
    ))
}

/// Moves the fetched rows of every column into a batch.
fn fill_batch(
    table: &str,
    columns: &[ColumnDef],
    fetches: &[Fetch],
    batch: &mut Batch,
    fetched: &ColumnarAnyBuffer,
) -> Result<usize> {
    let count = fetched.num_rows();
    for (index, ((fetch, column), data)) in fetches
        .iter()
        .zip(columns)
        .zip(batch.columns.iter_mut())
        .enumerate()
    {
        fill(*fetch, data, fetched.column(index), count).map_err(|why| {
            Error::General(format!(
                "the query for table {table}, column '{}': {why}",
                column.name
            ))
        })?;
    }
    Ok(count)
}

/// Why the fetching thread stopped early.
enum FetchError {
    /// A value did not fit the buffer of the column at this index.
    TooLong(usize),
    Source(odbc_api::Error),
    Panicked,
}

/// The fetching side of the double buffer: fills the bound buffer, hands
/// it over through `filled` and binds the empty one that comes back,
/// until the result set ends or the receiving side stops. The driver's
/// own work (the bulk of a read) thus overlaps with turning the previous
/// block into a batch.
fn fetch_blocks<C: Cursor>(
    mut block: BlockCursor<C, ColumnarAnyBuffer>,
    filled: &SyncSender<ColumnarAnyBuffer>,
    empty: &Receiver<ColumnarAnyBuffer>,
) -> std::result::Result<(), FetchError> {
    let failed = |block: BlockCursor<C, ColumnarAnyBuffer>, error| {
        // After a failure the cursor is abandoned (see `close_cursor`).
        std::mem::forget(block);
        Err(error)
    };
    loop {
        match block.fetch_with_truncation_check(true) {
            Ok(Some(_)) => {}
            Ok(None) => return Ok(()),
            Err(odbc_api::Error::TooLargeValueForBuffer { buffer_index, .. }) => {
                return failed(block, FetchError::TooLong(buffer_index))
            }
            Err(e) => return failed(block, FetchError::Source(e)),
        }
        let (cursor, buffer) = match block.unbind() {
            Ok(parts) => parts,
            Err(e) => return Err(FetchError::Source(e)),
        };
        // A closed channel: the batches are no longer wanted.
        if filled.send(buffer).is_err() {
            return Ok(());
        }
        let Ok(next) = empty.recv() else {
            return Ok(());
        };
        block = match cursor.bind_buffer(next) {
            Ok(block) => block,
            Err(e) => return Err(FetchError::Source(e)),
        };
    }
}

/// Moves one fetched column into a batch column.
fn fill(
    fetch: Fetch,
    data: &mut ColumnData,
    slice: AnySlice<'_>,
    rows: usize,
) -> std::result::Result<(), String> {
    match (fetch, data, slice) {
        (Fetch::Single, ColumnData::Float(out), AnySlice::NullableF64(values)) => {
            let mut shortest = ryu::Buffer::new();
            out.extend(values.take(rows).map(|v| {
                v.map(|x| {
                    let single = *x as f32;
                    if single.is_finite() {
                        shortest.format_finite(single).parse().unwrap_or(*x)
                    } else {
                        *x
                    }
                })
            }));
            Ok(())
        }
        (Fetch::Binary(_), ColumnData::Text(out), AnySlice::Binary(view)) => {
            let mut hex = String::new();
            for row in 0..rows {
                match view.get(row) {
                    None => out.push(None),
                    Some(bytes) => {
                        hex.clear();
                        for byte in bytes {
                            hex.push_str(&format!("{byte:02x}"));
                        }
                        out.push(Some(&hex));
                    }
                }
            }
            Ok(())
        }
        (_, data, slice) => fill_column(data, slice, rows),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_stored_exactly() {
        let decimal = |precision, scale| DataType::Decimal { precision, scale };
        assert_eq!(plan(&decimal(18, 0)).0, Fetch::Integer);
        assert_eq!(plan(&decimal(12, 2)).0, Fetch::DecimalFloat);
        assert_eq!(plan(&decimal(12, 2)).1, Some(2));
        assert_eq!(plan(&decimal(30, 10)).0, Fetch::Text(33));
        assert_eq!(type_name(&decimal(12, 2)), "DECIMAL(12,2)");
    }
}
