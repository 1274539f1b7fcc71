//! Parquet sources, with every compression pyarrow writes (snappy, gzip,
//! brotli, zstd, lz4). Types come from the file's schema, not from its
//! values:
//!
//! - int8..int64, uint8..uint32 -> INTEGER; uint64 -> INTEGER, and a value
//!   past the signed 64-bit range is an error naming column and row;
//! - float16/32/64 -> FLOAT; boolean -> BOOLEAN;
//! - date32/date64 -> DATE; timestamp (any unit, with or without a time
//!   zone) -> TIMESTAMP as the UTC instant, nanoseconds cut to microseconds;
//! - decimal with scale 0 and up to 18 digits -> INTEGER (exact), other
//!   decimals -> FLOAT (the nearest double: mdm has no decimal type);
//! - string, large string, string view, dictionary-encoded strings (pandas
//!   categoricals) -> TEXT; time of day -> TEXT (`HH:MM:SS[.f]`);
//! - binary -> TEXT as lowercase hex;
//! - list, struct, map, union, duration and interval -> an error naming the
//!   column: mdm stores flat tables.
//!
//! Pass 1 reads only the footer; pass 2 reads row groups in batches.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float64Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::typed::{Output, Scan};
use crate::error::{Error, Result};
use crate::model::{ColumnData, ColumnDef, ColumnType};

fn open(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).map_err(|e| Error::io(path, "open", e))?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(path, &e))
}

/// A Parquet file the reader refuses: truncated, corrupt, or using a
/// feature the reader lacks.
fn unreadable(path: &Path, err: &parquet::errors::ParquetError) -> Error {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let what = if size < 12 || !ends_with_magic(path) {
        "a truncated Parquet file (its footer is missing)".to_string()
    } else {
        format!("a Parquet file mdm cannot read ({err})")
    };
    Error::General(format!("{}: {what}", path.display()))
}

fn ends_with_magic(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let mut tail = [0u8; 4];
    file.seek(SeekFrom::End(-4)).is_ok() && file.read_exact(&mut tail).is_ok() && &tail == b"PAR1"
}

/// The stored type of an Arrow field, or why it cannot be stored.
fn column_type(path: &Path, field: &Field) -> Result<ColumnType> {
    let stored = match field.data_type() {
        DataType::Boolean => ColumnType::Boolean,
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => ColumnType::Integer,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => ColumnType::Float,
        DataType::Decimal128(precision, 0) | DataType::Decimal256(precision, 0)
            if *precision <= 18 =>
        {
            ColumnType::Integer
        }
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => ColumnType::Float,
        DataType::Date32 | DataType::Date64 => ColumnType::Date,
        DataType::Timestamp(..) => ColumnType::Datetime,
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_)
        | DataType::Time32(_)
        | DataType::Time64(_)
        | DataType::Null => ColumnType::Text,
        DataType::Dictionary(_, values) => {
            return column_type(path, &Field::new(field.name(), (**values).clone(), true))
        }
        other => {
            let kind = match other {
                DataType::List(_)
                | DataType::LargeList(_)
                | DataType::FixedSizeList(..)
                | DataType::ListView(_)
                | DataType::LargeListView(_) => "LIST".to_string(),
                DataType::Struct(_) => "STRUCT".to_string(),
                DataType::Map(..) => "MAP".to_string(),
                other => other.to_string().to_uppercase(),
            };
            return Err(Error::General(format!(
                "{}: a Parquet file whose column `{}` has type {kind}, which mdm cannot store (flatten it, or convert it to text, before registering)",
                path.display(),
                field.name()
            )));
        }
    };
    Ok(stored)
}

/// Pass 1: the schema and row count from the footer.
pub fn scan(path: &Path) -> Result<Scan> {
    let builder = open(path)?;
    let schema = builder.schema().clone();
    let metadata = builder.metadata().clone();
    let types = schema
        .fields()
        .iter()
        .map(|f| column_type(path, f))
        .collect::<Result<Vec<_>>>()?;
    if types.is_empty() {
        return Err(Error::General(format!(
            "{}: the Parquet file has no columns",
            path.display()
        )));
    }
    // No value is longer than the uncompressed size of its column chunk.
    let widest = metadata
        .row_groups()
        .iter()
        .flat_map(|g| g.columns())
        .map(|c| c.uncompressed_size().max(0) as u64)
        .max()
        .unwrap_or(0);
    Ok(Scan {
        names: schema.fields().iter().map(|f| f.name().clone()).collect(),
        types,
        rows: metadata.file_metadata().num_rows().max(0) as u64,
        widest,
    })
}

/// Pass 2: row groups as batches of `columns`.
pub fn read(
    path: &Path,
    columns: &[ColumnDef],
    counter: Arc<AtomicU64>,
    output: &mut Output,
) -> Result<()> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let builder = open(path)?;
    let total = builder.metadata().file_metadata().num_rows().max(1) as u64;
    let reader = builder
        .with_batch_size(output.batch_size)
        .build()
        .map_err(|e| unreadable(path, &e))?;
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| {
            Error::General(format!(
                "{}: row {}: corrupt Parquet data ({e})",
                path.display(),
                rows + 1
            ))
        })?;
        for ((array, column), data) in batch
            .columns()
            .iter()
            .zip(columns)
            .zip(output.batch.columns.iter_mut())
        {
            push_array(path, rows, array, column, data)?;
        }
        rows += batch.num_rows() as u64;
        counter.store(size.saturating_mul(rows) / total, Ordering::Relaxed);
        if !output.rows_pushed(batch.num_rows())? {
            return Ok(());
        }
    }
    Ok(())
}

/// Appends an Arrow array to a column of the planned type.
fn push_array(
    path: &Path,
    first_row: u64,
    array: &ArrayRef,
    column: &ColumnDef,
    data: &mut ColumnData,
) -> Result<()> {
    let array = normalize(path, first_row, array, column)?;
    let wanted = match column.column_type {
        ColumnType::Boolean => DataType::Boolean,
        ColumnType::Integer => DataType::Int64,
        ColumnType::Float => DataType::Float64,
        ColumnType::Date => DataType::Date32,
        ColumnType::Datetime => DataType::Timestamp(TimeUnit::Microsecond, None),
        ColumnType::Text => DataType::Utf8,
    };
    let array = if array.data_type() == &wanted {
        array
    } else {
        // A type chosen by a flag or a sidecar: converted, never guessed.
        let options = arrow_cast::CastOptions {
            safe: false,
            ..Default::default()
        };
        arrow_cast::cast_with_options(&array, &wanted, &options).map_err(|e| {
            Error::General(format!(
                "{}: column '{}': its values do not convert to {} ({e})",
                path.display(),
                column.name,
                column.column_type.as_str()
            ))
        })?
    };
    match data {
        ColumnData::Boolean(v) => v.extend(array.as_boolean().iter()),
        ColumnData::Integer(v) => v.extend(array.as_primitive::<Int64Type>().iter()),
        ColumnData::Float(v) => v.extend(array.as_primitive::<Float64Type>().iter()),
        ColumnData::Date(v) => v.extend(array.as_primitive::<Date32Type>().iter()),
        ColumnData::Datetime(v) => {
            v.extend(array.as_primitive::<TimestampMicrosecondType>().iter())
        }
        ColumnData::Text(v) => array
            .as_string::<i32>()
            .iter()
            .for_each(|value| v.push(value)),
    }
    Ok(())
}

/// The array in one of the six Arrow types mdm's columns map to: int64,
/// float64, boolean, date32, timestamp(µs, no zone) or utf8.
fn normalize(
    path: &Path,
    first_row: u64,
    array: &ArrayRef,
    column: &ColumnDef,
) -> Result<ArrayRef> {
    let cast = |to: &DataType| -> Result<ArrayRef> {
        arrow_cast::cast(array, to).map_err(|e| {
            Error::General(format!("{}: column '{}': {e}", path.display(), column.name))
        })
    };
    Ok(match array.data_type() {
        DataType::Boolean
        | DataType::Int64
        | DataType::Float64
        | DataType::Date32
        | DataType::Utf8 => array.clone(),
        DataType::Timestamp(TimeUnit::Microsecond, None) => array.clone(),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => cast(&DataType::Int64)?,
        DataType::UInt64 => {
            let values = array.as_primitive::<UInt64Type>();
            if let Some((row, value)) = values
                .iter()
                .enumerate()
                .find_map(|(row, v)| v.filter(|v| *v > i64::MAX as u64).map(|v| (row, v)))
            {
                return Err(Error::General(format!(
                    "{}: row {}, column '{}': {value} is past the signed 64-bit range mdm stores (uint64 values must be below 2^63)",
                    path.display(),
                    first_row + row as u64 + 1,
                    column.name
                )));
            }
            cast(&DataType::Int64)?
        }
        DataType::Float16 | DataType::Float32 => cast(&DataType::Float64)?,
        DataType::Decimal128(precision, 0) | DataType::Decimal256(precision, 0)
            if *precision <= 18 =>
        {
            cast(&DataType::Int64)?
        }
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => cast(&DataType::Float64)?,
        DataType::Date64 => cast(&DataType::Date32)?,
        DataType::Timestamp(unit, _) => {
            // Arrow timestamps are instants since the epoch in UTC whatever
            // the zone: the zone only says how to display them.
            let micros: arrow_array::TimestampMicrosecondArray = match unit {
                TimeUnit::Second => array
                    .as_primitive::<TimestampSecondType>()
                    .unary(|s| s.saturating_mul(1_000_000)),
                TimeUnit::Millisecond => array
                    .as_primitive::<TimestampMillisecondType>()
                    .unary(|ms| ms.saturating_mul(1_000)),
                TimeUnit::Microsecond => array
                    .as_primitive::<TimestampMicrosecondType>()
                    .unary(|us| us),
                TimeUnit::Nanosecond => array
                    .as_primitive::<TimestampNanosecondType>()
                    .unary(|ns| ns.div_euclid(1_000)),
            };
            Arc::new(micros)
        }
        DataType::LargeUtf8 | DataType::Utf8View | DataType::Time32(_) | DataType::Time64(_) => {
            cast(&DataType::Utf8)?
        }
        DataType::Null => arrow_array::new_null_array(&DataType::Utf8, array.len()),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => {
            let binary = cast(&DataType::LargeBinary)?;
            let binary = binary.as_binary::<i64>();
            let mut builder = arrow_array::builder::StringBuilder::new();
            let mut hex = String::new();
            for value in binary.iter() {
                match value {
                    Some(bytes) => {
                        hex.clear();
                        for byte in bytes {
                            hex.push_str(&format!("{byte:02x}"));
                        }
                        builder.append_value(&hex);
                    }
                    None => builder.append_null(),
                }
            }
            Arc::new(builder.finish())
        }
        DataType::Dictionary(_, values) => {
            let plain = cast(values)?;
            normalize(path, first_row, &plain, column)?
        }
        other => {
            return Err(Error::General(format!(
                "{}: column '{}' has type {other}, which mdm cannot store",
                path.display(),
                column.name
            )))
        }
    })
}
