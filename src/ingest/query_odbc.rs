//! The ODBC query reader: describes a query's result set (SQLDescribeCol
//! after SQLPrepare, nothing fetched) into mdm column types, then runs it
//! and fetches block cursors into typed batches. Every value arrives in a
//! typed buffer or as the driver's exact text of a decimal; nothing is
//! re-inferred from strings.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use odbc_api::buffers::{AnySlice, BufferDesc, ColumnarAnyBuffer};
use odbc_api::parameter::InputParameter;
use odbc_api::{BlockCursor, ConnectionOptions, Cursor, DataType, ResultSetMetadata};

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
    environment()?
        .connect_with_connection_string(&source.connection, ConnectionOptions::default())
        .map_err(|e| {
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

/// The type of a `--split-by` column, its values as `i64` keys: the
/// integer, days since 1970-01-01, or microseconds since then.
#[derive(Clone, Copy, Debug, PartialEq)]
enum SplitKey {
    Integer,
    Date,
    Timestamp,
}

impl SplitKey {
    fn of(fetch: Fetch) -> Option<SplitKey> {
        match fetch {
            Fetch::Integer => Some(SplitKey::Integer),
            Fetch::Date => Some(SplitKey::Date),
            Fetch::Timestamp => Some(SplitKey::Timestamp),
            _ => None,
        }
    }

    fn key(self, slice: AnySlice<'_>) -> Option<i64> {
        match (self, slice) {
            (SplitKey::Integer, AnySlice::NullableI64(mut values)) => values.next()?.copied(),
            (SplitKey::Date, AnySlice::NullableDate(mut values)) => {
                values.next()?.map(|d| from_odbc_date(d) as i64)
            }
            (SplitKey::Timestamp, AnySlice::NullableTimestamp(mut values)) => {
                values.next()?.map(from_odbc_timestamp)
            }
            _ => None,
        }
    }

    /// A key as a bound parameter of the column's type.
    fn parameter(self, key: i64) -> Box<dyn InputParameter> {
        match self {
            SplitKey::Integer => Box::new(key),
            SplitKey::Date => Box::new(to_odbc_date(key as i32)),
            SplitKey::Timestamp => Box::new(odbc_api::parameter::WithDataType {
                value: to_odbc_timestamp(key),
                data_type: DataType::Timestamp { precision: 6 },
            }),
        }
    }
}

/// The keys that cut `[low, high]` into at most `parts` ranges of equal
/// width: each is the first key of a range after the first. Empty when
/// the column holds a single value (one range then).
fn split_points(low: i64, high: i64, parts: usize) -> Vec<i64> {
    let width = high as i128 - low as i128 + 1;
    let mut points: Vec<i64> = (1..parts as i128)
        .map(|i| (low as i128 + width * i / parts as i128) as i64)
        .filter(|&point| point > low)
        .collect();
    points.dedup();
    points
}

/// The identifier quote character of the source (SQLGetInfo
/// SQL_IDENTIFIER_QUOTE_CHAR); `None` when it quotes none.
fn identifier_quote(source: &QuerySource) -> Result<Option<char>> {
    let mut handle = connect(source)?.into_handle();
    let mut buffer = [0u8; 8];
    let mut length: i16 = 0;
    // SAFETY: `handle` is a connected connection handle, and the driver
    // writes at most `buffer.len()` bytes into `buffer`.
    let returned = unsafe {
        odbc_api::sys::SQLGetInfo(
            handle.as_sys(),
            odbc_api::sys::InfoType::IdentifierQuoteChar,
            buffer.as_mut_ptr().cast(),
            buffer.len() as i16,
            &mut length,
        )
    };
    let _ = handle.disconnect();
    if returned != odbc_api::sys::SqlReturn::SUCCESS
        && returned != odbc_api::sys::SqlReturn::SUCCESS_WITH_INFO
    {
        return Err(Error::Backend(format!(
            "the ODBC source {} did not say how it quotes names (SQLGetInfo)",
            super::query::redact_connection(&source.connection)
        )));
    }
    let text = String::from_utf8_lossy(&buffer[..(length.max(0) as usize).min(buffer.len())]);
    Ok(text.trim().chars().next())
}

/// `name` quoted with the source's quote character, the character doubled
/// inside; a source that quotes nothing takes plain names only.
fn quote_identifier(name: &str, quote: Option<char>) -> Option<String> {
    match quote {
        Some(q) => Some(format!("{q}{}{q}", name.replace(q, &format!("{q}{q}")))),
        None => (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .then(|| name.to_string()),
    }
}

/// One range of a split read: its SQL, the keys bound to its `?`, and how
/// its rows are fetched.
struct Range<'a> {
    sql: &'a str,
    keys: &'a [i64],
    key: SplitKey,
    descs: &'a [BufferDesc],
    /// Rows per fetch.
    rows: usize,
    /// Rows per batch handed on.
    batch_size: usize,
}

/// One query read as ranges of a column, each over its own connection on
/// its own thread.
struct SplitReader<'a> {
    source: &'a QuerySource,
    table: &'a str,
    columns: &'a [ColumnDef],
    fetches: &'a [Fetch],
    counter: Arc<AtomicU64>,
}

impl SplitReader<'_> {
    /// MIN and MAX of the split column over the query (`None` when every
    /// value is NULL or there are no rows), then the ranges read at once.
    /// Whole batches are handed on as each range fills one, so rows are
    /// stored in the order they arrive, not in the query's order.
    fn read(&self, names: &[String], split: &Split, output: &mut Output) -> Result<()> {
        let table = self.table;
        let index = names
            .iter()
            .position(|n| *n == split.column)
            .or_else(|| {
                let mut same = names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.eq_ignore_ascii_case(&split.column));
                match (same.next(), same.next()) {
                    (Some((index, _)), None) => Some(index),
                    _ => None,
                }
            })
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "--split-by: the query for table {table} returns no column '{}' (it returns {})",
                    split.column,
                    names.join(", ")
                ))
            })?;
        let key = SplitKey::of(self.fetches[index]).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "--split-by: column '{}' of table {table} is {}; give an integer, date or timestamp column",
                names[index],
                self.fetches[index].column_type().as_str()
            ))
        })?;
        let column =
            quote_identifier(&names[index], identifier_quote(self.source)?).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "--split-by: the source quotes no names and '{}' is not a plain name",
                    names[index]
                ))
            })?;
        let inner = format!("SELECT * FROM ({}) mdm_split", self.source.sql);
        let points = match self.bounds(&column, key, self.fetches[index])? {
            Some((low, high)) => split_points(low, high, split.parallel),
            None => Vec::new(),
        };
        let mut ranges: Vec<(String, Vec<i64>)> = Vec::new();
        if let (Some(first), Some(last)) = (points.first(), points.last()) {
            ranges.push((
                format!("{inner} WHERE {column} < ? OR {column} IS NULL"),
                vec![*first],
            ));
            for pair in points.windows(2) {
                ranges.push((
                    format!("{inner} WHERE {column} >= ? AND {column} < ?"),
                    pair.to_vec(),
                ));
            }
            ranges.push((format!("{inner} WHERE {column} >= ?"), vec![*last]));
        } else {
            ranges.push((self.source.sql.clone(), Vec::new()));
        }
        log::debug!(
            "table {table}: {} range(s) of {} read at once",
            ranges.len(),
            names[index]
        );
        self.read_ranges(&ranges, key, output)
    }

    fn bounds(&self, column: &str, key: SplitKey, fetch: Fetch) -> Result<Option<(i64, i64)>> {
        let (source, table) = (self.source, self.table);
        let wrap = |e| query_error(source, table, e);
        let sql = format!(
            "SELECT MIN({column}), MAX({column}) FROM ({}) mdm_split",
            source.sql
        );
        let connection = connect(source)?;
        let Some(cursor) = connection.execute(&sql, (), None).map_err(wrap)? else {
            return Ok(None);
        };
        let buffer = ColumnarAnyBuffer::try_from_descs(1, [fetch.buffer(), fetch.buffer()])
            .map_err(|e| Error::General(format!("cannot allocate a fetch buffer: {e}")))?;
        let mut block = cursor.bind_buffer(buffer).map_err(wrap)?;
        let bounds = match block.fetch() {
            Ok(Some(row)) if row.num_rows() == 1 => key
                .key(row.column(0))
                .zip(key.key(row.column(1)))
                .filter(|(low, high)| low <= high),
            Ok(_) => None,
            Err(e) => return close_cursor(block, Err(wrap(e))).map(|()| None),
        };
        Ok(bounds)
    }

    /// Reads every range on its own thread; this thread hands the filled
    /// batches on and gives each range an emptied one back.
    fn read_ranges(
        &self,
        ranges: &[(String, Vec<i64>)],
        key: SplitKey,
        output: &mut Output,
    ) -> Result<()> {
        let descs: Vec<BufferDesc> = self.fetches.iter().map(|f| f.buffer()).collect();
        let row_bytes: usize = descs
            .iter()
            .map(|d| d.bytes_per_row())
            .sum::<usize>()
            .max(1);
        let rows = (BUFFER_BUDGET / ranges.len() / row_bytes).clamp(1, output.batch_size);
        let batch_size = output.batch_size;
        let (filled_tx, filled_rx) = sync_channel::<(usize, Batch)>(ranges.len());
        // Set by a range that failed: the others stop at their next batch.
        let failed = AtomicBool::new(false);
        let failed = &failed;
        std::thread::scope(|scope| {
            let mut emptied = Vec::new();
            let mut readers = Vec::new();
            for (index, (sql, keys)) in ranges.iter().enumerate() {
                let (empty_tx, empty_rx) = sync_channel::<Batch>(1);
                emptied.push(empty_tx);
                let filled = filled_tx.clone();
                let range = Range {
                    sql,
                    keys,
                    key,
                    descs: &descs,
                    rows,
                    batch_size,
                };
                let first = output.empty_batch();
                readers.push(scope.spawn(move || {
                    let read = self.read_range(range, first, |batch| {
                        if failed.load(Ordering::Relaxed) {
                            return None;
                        }
                        filled.send((index, batch)).ok()?;
                        empty_rx.recv().ok()
                    });
                    if read.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    read
                }));
            }
            drop(filled_tx);
            let handed_on = (|| -> Result<()> {
                for (index, batch) in filled_rx.iter() {
                    if !output.push_batch(batch)? {
                        return Ok(());
                    }
                    let _ = emptied[index].send(output.empty_batch());
                }
                Ok(())
            })();
            // Stops the readers when the batches are no longer wanted.
            drop(filled_rx);
            drop(emptied);
            // The error of a range is the one that counts: the others only
            // stopped because of it.
            let mut result = Ok(());
            for reader in readers {
                let read = reader.join().unwrap_or_else(|_| {
                    Err(Error::General(format!(
                        "the query for table {}: a thread reading its rows panicked",
                        self.table
                    )))
                });
                if result.is_ok() {
                    result = read;
                }
            }
            handed_on.and(result)
        })
    }

    /// One range over its own connection: fetched blocks are moved into
    /// batches, and each full batch goes to `hand_on`, which returns an
    /// empty one (`None` when the batches are no longer wanted).
    fn read_range(
        &self,
        range: Range<'_>,
        mut batch: Batch,
        mut hand_on: impl FnMut(Batch) -> Option<Batch>,
    ) -> Result<()> {
        let Range {
            sql,
            keys,
            key,
            descs,
            rows,
            batch_size,
        } = range;
        let (source, table) = (self.source, self.table);
        let connection = connect(source)?;
        let parameters: Vec<Box<dyn InputParameter>> =
            keys.iter().map(|k| key.parameter(*k)).collect();
        let Some(cursor) = connection
            .execute(sql, &parameters[..], None)
            .map_err(|e| query_error(source, table, e))?
        else {
            return Err(Error::InvalidArgument(format!(
                "the query for table {table} returns no result set; give a SELECT"
            )));
        };
        let buffer =
            ColumnarAnyBuffer::try_from_descs(rows, descs.iter().copied()).map_err(|e| {
                Error::General(format!("cannot allocate fetch buffers for {table}: {e}"))
            })?;
        let mut block = cursor
            .bind_buffer(buffer)
            .map_err(|e| query_error(source, table, e))?;
        let result = (|| -> Result<()> {
            loop {
                let fetched = match block.fetch_with_truncation_check(true) {
                    Ok(Some(fetched)) => fetched,
                    Ok(None) => break,
                    Err(odbc_api::Error::TooLargeValueForBuffer { buffer_index, .. }) => {
                        return Err(too_long(table, self.columns, buffer_index))
                    }
                    Err(e) => return Err(fetch_failed(source, table, e)),
                };
                let count = fill_batch(table, self.columns, self.fetches, &mut batch, fetched)?;
                self.counter.fetch_add(count as u64, Ordering::Relaxed);
                if batch.len() >= batch_size {
                    let Some(empty) = hand_on(batch) else {
                        return Ok(());
                    };
                    batch = empty;
                }
            }
            if !batch.is_empty() {
                let _ = hand_on(batch);
            }
            Ok(())
        })();
        close_cursor(block, result)
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

    #[test]
    fn split_points_cut_the_range_into_equal_parts_without_empty_ones() {
        assert_eq!(split_points(1, 100, 4), [26, 51, 76]);
        assert_eq!(split_points(-10, 9, 2), [0]);
        assert_eq!(split_points(5, 5, 4), Vec::<i64>::new());
        assert_eq!(split_points(0, 2, 8), [1, 2]);
        assert_eq!(split_points(i64::MIN, i64::MAX, 2), [0]);
    }

    #[test]
    fn identifiers_are_quoted_with_the_source_quote_doubled_inside() {
        assert_eq!(quote_identifier("Grp", Some('"')).unwrap(), "\"Grp\"");
        assert_eq!(quote_identifier("a`b", Some('`')).unwrap(), "`a``b`");
        assert_eq!(quote_identifier("plain_1", None).unwrap(), "plain_1");
        assert!(quote_identifier("two words", None).is_none());
    }
}
