//! Writing typed batches to files: CSV, JSON Lines and Parquet, optionally
//! compressed (gzip, zstd, zip). Files are written under a temporary name
//! and renamed into place when complete, so a failed export leaves nothing
//! half-written.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::BooleanBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::config::{Compression, ExportFormat};
use crate::error::{Error, Result};
use crate::model::spelling::{Parsed, Spelling};
use crate::model::{Batch, ColumnData, ColumnDef, ColumnType};
use crate::time;

/// Most rows per Parquet row group.
const PARQUET_ROW_GROUP_ROWS: usize = 128 * 1024;

/// Bytes of values a Parquet row group holds at most (estimated): a row
/// group is buffered in memory until complete, so wide tables (a feature
/// table has over a hundred columns) get fewer rows per group.
const PARQUET_ROW_GROUP_BYTES: usize = 16 * 1024 * 1024;

/// Rows per Parquet row group for a table of these columns.
fn parquet_row_group_rows(columns: &[ColumnDef]) -> usize {
    let row_bytes: usize = columns
        .iter()
        .map(|c| match c.column_type {
            ColumnType::Boolean => 1,
            ColumnType::Integer | ColumnType::Float => 8,
            ColumnType::Date => 4,
            ColumnType::Datetime => 8,
            ColumnType::Text => 32,
        })
        .sum();
    (PARQUET_ROW_GROUP_BYTES / row_bytes.max(1)).clamp(4096, PARQUET_ROW_GROUP_ROWS)
}

/// The file extension of a format (before any compression suffix).
pub fn extension(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Json => "jsonl",
        ExportFormat::Parquet => "parquet",
    }
}

/// The suffix a compression adds to file names (Parquet compresses inside).
pub fn compression_suffix(format: ExportFormat, compression: Compression) -> &'static str {
    match (format, compression) {
        (ExportFormat::Parquet, _) | (_, Compression::None) => "",
        (_, Compression::Gzip) => ".gz",
        (_, Compression::Zstd) => ".zst",
        (_, Compression::Zip) => ".zip",
    }
}

/// Where the bytes finally go: a file, or standard output (`--output -`).
enum Base {
    File(File),
    Stdout(std::io::Stdout),
}

impl Write for Base {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Base::File(f) => f.write(buf),
            Base::Stdout(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Base::File(f) => f.flush(),
            Base::Stdout(s) => s.flush(),
        }
    }
}

impl std::io::Seek for Base {
    fn seek(&mut self, position: std::io::SeekFrom) -> std::io::Result<u64> {
        match self {
            Base::File(f) => f.seek(position),
            Base::Stdout(_) => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "standard output cannot seek",
            )),
        }
    }
}

/// A compressed (or plain) byte stream.
enum Stream {
    Plain(BufWriter<Base>),
    Gzip(flate2::write::GzEncoder<BufWriter<Base>>),
    Zstd(zstd::Encoder<'static, BufWriter<Base>>),
    Zip(zip::ZipWriter<BufWriter<Base>>),
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(w) => w.write(buf),
            Stream::Gzip(w) => w.write(buf),
            Stream::Zstd(w) => w.write(buf),
            Stream::Zip(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Plain(w) => w.write_all(buf),
            Stream::Gzip(w) => w.write_all(buf),
            Stream::Zstd(w) => w.write_all(buf),
            Stream::Zip(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(w) => w.flush(),
            Stream::Gzip(w) => w.flush(),
            Stream::Zstd(w) => w.flush(),
            Stream::Zip(w) => w.flush(),
        }
    }
}

impl Stream {
    fn open(base: Base, compression: Compression, entry_name: &str) -> std::io::Result<Stream> {
        let buffered = BufWriter::with_capacity(256 * 1024, base);
        Ok(match compression {
            Compression::None => Stream::Plain(buffered),
            Compression::Gzip => Stream::Gzip(flate2::write::GzEncoder::new(
                buffered,
                flate2::Compression::default(),
            )),
            Compression::Zstd => Stream::Zstd(zstd::Encoder::new(buffered, 3)?),
            Compression::Zip => {
                let mut zip = zip::ZipWriter::new(buffered);
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .large_file(true);
                zip.start_file(entry_name, options)
                    .map_err(std::io::Error::other)?;
                Stream::Zip(zip)
            }
        })
    }

    /// Finishes the compression and returns the destination, flushed.
    fn finish(self) -> std::io::Result<Base> {
        let buffered = match self {
            Stream::Plain(w) => w,
            Stream::Gzip(w) => w.finish()?,
            Stream::Zstd(w) => w.finish()?,
            Stream::Zip(w) => w.finish().map_err(std::io::Error::other)?,
        };
        buffered.into_inner().map_err(|e| e.into_error())
    }
}

/// Where rows go.
enum Writer {
    Csv(Box<csv::Writer<Stream>>),
    Json(Box<Stream>),
    Parquet(Box<ArrowWriter<Base>>, Arc<Schema>),
}

/// The path that means standard output.
pub const STDOUT: &str = "-";

/// One export file being written.
pub struct FileSink {
    target: PathBuf,
    /// `None` when writing to standard output.
    temporary: Option<PathBuf>,
    columns: Vec<ColumnDef>,
    json_keys: Vec<String>,
    writer: Option<Writer>,
    rows: u64,
    /// Per column: its source spelling (CSV only; empty: none).
    spellings: Vec<Option<Spelling>>,
}

impl FileSink {
    /// Starts writing `target` (which must not exist unless `overwrite`).
    pub fn create(
        target: &Path,
        format: ExportFormat,
        compression: Compression,
        columns: &[ColumnDef],
        overwrite: bool,
        header: bool,
    ) -> Result<FileSink> {
        let to_stdout = target.as_os_str() == STDOUT;
        if to_stdout && compression == Compression::Zip {
            return Err(Error::InvalidArgument(
                "--compression zip cannot be streamed to standard output; use gzip or zstd".into(),
            ));
        }
        if !to_stdout && target.exists() && !overwrite {
            return Err(Error::General(format!(
                "{} already exists; use --force to overwrite it",
                target.display()
            )));
        }
        if format == ExportFormat::Parquet && compression == Compression::Zip {
            return Err(Error::InvalidArgument(
                "--compression zip applies to csv and json; Parquet compresses internally (use none, gzip or zstd)".into(),
            ));
        }
        let file_name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("export");
        let (file, temporary) = if to_stdout {
            (Base::Stdout(std::io::stdout()), None)
        } else {
            let temporary =
                target.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
            let file = File::create(&temporary).map_err(|e| Error::io(&temporary, "create", e))?;
            (Base::File(file), Some(temporary))
        };
        let entry_name = file_name
            .strip_suffix(".zip")
            .unwrap_or(file_name)
            .to_string();
        let io = |e: std::io::Error| Error::io(target, "write", e);
        let writer = match format {
            ExportFormat::Csv => {
                let mut writer = csv::Writer::from_writer(
                    Stream::open(file, compression, &entry_name).map_err(io)?,
                );
                if header {
                    writer
                        .write_record(columns.iter().map(|c| c.name.as_bytes()))
                        .map_err(|e| csv_write_error(target, e))?;
                }
                Writer::Csv(Box::new(writer))
            }
            ExportFormat::Json => Writer::Json(Box::new(
                Stream::open(file, compression, &entry_name).map_err(io)?,
            )),
            ExportFormat::Parquet => {
                let schema = Arc::new(arrow_schema(columns));
                let codec = match compression {
                    Compression::None | Compression::Zip => {
                        parquet::basic::Compression::UNCOMPRESSED
                    }
                    Compression::Gzip => parquet::basic::Compression::GZIP(GzipLevel::default()),
                    Compression::Zstd => parquet::basic::Compression::ZSTD(ZstdLevel::default()),
                };
                // Row groups are buffered in memory until complete: keep them
                // small enough for flat memory, large enough for good scans.
                let properties = WriterProperties::builder()
                    .set_compression(codec)
                    .set_max_row_group_size(parquet_row_group_rows(columns))
                    .build();
                let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))
                    .map_err(|e| Error::General(format!("{}: {e}", target.display())))?;
                Writer::Parquet(Box::new(writer), schema)
            }
        };
        let json_keys = columns
            .iter()
            .map(|c| serde_json::to_string(&c.name).expect("strings serialize"))
            .collect();
        Ok(FileSink {
            target: target.to_path_buf(),
            temporary,
            columns: columns.to_vec(),
            json_keys,
            writer: Some(writer),
            rows: 0,
            spellings: Vec::new(),
        })
    }

    /// Writes CSV values in these per-column spellings (`export
    /// --source-format`) instead of ISO dates and plain numbers.
    pub fn with_spellings(mut self, spellings: Vec<Option<Spelling>>) -> FileSink {
        self.spellings = spellings;
        self
    }

    /// Appends a batch of rows.
    pub fn write(&mut self, batch: &Batch) -> Result<()> {
        let target = self.target.clone();
        match self.writer.as_mut().expect("not finished") {
            Writer::Csv(writer) => write_csv(writer, batch, &self.spellings)
                .map_err(|e| csv_write_error(&target, e))?,
            Writer::Json(stream) => write_json(stream, &self.json_keys, batch)
                .map_err(|e| Error::io(&target, "write", e))?,
            Writer::Parquet(writer, schema) => {
                let record_batch = record_batch(schema, batch)?;
                writer
                    .write(&record_batch)
                    .map_err(|e| Error::General(format!("{}: {e}", target.display())))?;
            }
        }
        self.rows += batch.len() as u64;
        Ok(())
    }

    /// Completes the file and moves it into place; returns the rows written.
    pub fn finish(mut self) -> Result<u64> {
        let target = self.target.clone();
        let io = |e: std::io::Error| Error::io(&target, "write", e);
        let base = match self.writer.take().expect("not finished") {
            Writer::Csv(writer) => writer
                .into_inner()
                .map_err(|e| io(e.into_error()))?
                .finish()
                .map_err(io)?,
            Writer::Json(stream) => stream.finish().map_err(io)?,
            Writer::Parquet(writer, _) => writer
                .into_inner()
                .map_err(|e| Error::General(format!("{}: {e}", target.display())))?,
        };
        match (base, &self.temporary) {
            (Base::File(file), Some(temporary)) => {
                file.sync_all().map_err(io)?;
                std::fs::rename(temporary, &target).map_err(io)?;
            }
            (mut base, _) => base.flush().map_err(io)?,
        }
        Ok(self.rows)
    }

    /// The columns being written.
    pub fn columns(&self) -> &[ColumnDef] {
        &self.columns
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        if let (Some(_), Some(temporary)) = (&self.writer, &self.temporary) {
            // Not finished (an error or an interrupt): leave nothing behind.
            let _ = std::fs::remove_file(temporary);
        }
    }
}

fn csv_write_error(path: &Path, err: csv::Error) -> Error {
    match err.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, "write", io),
        other => Error::General(format!("{}: {other:?}", path.display())),
    }
}

fn write_csv(
    writer: &mut csv::Writer<Stream>,
    batch: &Batch,
    spellings: &[Option<Spelling>],
) -> csv::Result<()> {
    let mut integers = itoa::Buffer::new();
    let mut floats = ryu::Buffer::new();
    let mut spelled = String::new();
    for row in 0..batch.len() {
        for (index, column) in batch.columns.iter().enumerate() {
            if let Some(Some(spelling)) = spellings.get(index) {
                spelled.clear();
                if let Some(value) = spelled_value(column, row) {
                    spelling.format(&mut spelled, value);
                }
                writer.write_field(&spelled)?;
                continue;
            }
            match column {
                ColumnData::Integer(v) => match v[row] {
                    Some(x) => writer.write_field(integers.format(x))?,
                    None => writer.write_field("")?,
                },
                ColumnData::Float(v) => match v[row] {
                    Some(x) => writer.write_field(format_float(&mut floats, x))?,
                    None => writer.write_field("")?,
                },
                ColumnData::Boolean(v) => match v[row] {
                    Some(x) => writer.write_field(if x { "true" } else { "false" })?,
                    None => writer.write_field("")?,
                },
                ColumnData::Date(v) => match v[row] {
                    Some(x) => writer.write_field(time::format_date(x))?,
                    None => writer.write_field("")?,
                },
                ColumnData::Datetime(v) => match v[row] {
                    Some(x) => writer.write_field(time::format_datetime(x))?,
                    None => writer.write_field("")?,
                },
                // CSV cannot tell an empty string from a missing value: both
                // are an empty field and read back as NULL.
                ColumnData::Text(v) => writer.write_field(v.get(row).unwrap_or(""))?,
            }
        }
        writer.write_record(None::<&[u8]>)?;
    }
    Ok(())
}

/// A number or date of a column written in a spelling, `None` when null
/// (or of another type).
fn spelled_value(column: &ColumnData, row: usize) -> Option<Parsed> {
    match column {
        ColumnData::Integer(v) => v[row].map(Parsed::Integer),
        ColumnData::Float(v) => v[row].map(Parsed::Float),
        ColumnData::Date(v) => v[row].map(Parsed::Date),
        ColumnData::Datetime(v) => v[row].map(Parsed::Datetime),
        ColumnData::Boolean(_) | ColumnData::Text(_) => None,
    }
}

/// Shortest text that reads back as the same double (`1e308`, `-0.0`,
/// `inf`).
fn format_float(buffer: &mut ryu::Buffer, value: f64) -> &str {
    if value.is_finite() {
        buffer.format_finite(value)
    } else if value.is_nan() {
        "NaN"
    } else if value > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

fn write_json(out: &mut Stream, keys: &[String], batch: &Batch) -> std::io::Result<()> {
    let mut integers = itoa::Buffer::new();
    let mut floats = ryu::Buffer::new();
    let mut line = Vec::with_capacity(256);
    for row in 0..batch.len() {
        line.clear();
        line.push(b'{');
        for (index, (key, column)) in keys.iter().zip(&batch.columns).enumerate() {
            if index > 0 {
                line.push(b',');
            }
            line.extend_from_slice(key.as_bytes());
            line.push(b':');
            match column {
                ColumnData::Integer(v) => match v[row] {
                    Some(x) => line.extend_from_slice(integers.format(x).as_bytes()),
                    None => line.extend_from_slice(b"null"),
                },
                // JSON has no infinities: they are written as null.
                ColumnData::Float(v) => match v[row].filter(|x| x.is_finite()) {
                    Some(x) => line.extend_from_slice(floats.format_finite(x).as_bytes()),
                    None => line.extend_from_slice(b"null"),
                },
                ColumnData::Boolean(v) => match v[row] {
                    Some(x) => line.extend_from_slice(if x { b"true" } else { b"false" }),
                    None => line.extend_from_slice(b"null"),
                },
                ColumnData::Date(v) => match v[row] {
                    Some(x) => serde_json::to_writer(&mut line, &time::format_date(x))?,
                    None => line.extend_from_slice(b"null"),
                },
                ColumnData::Datetime(v) => match v[row] {
                    Some(x) => serde_json::to_writer(&mut line, &time::format_datetime(x))?,
                    None => line.extend_from_slice(b"null"),
                },
                ColumnData::Text(v) => match v.get(row) {
                    Some(x) => serde_json::to_writer(&mut line, x)?,
                    None => line.extend_from_slice(b"null"),
                },
            }
        }
        line.extend_from_slice(b"}\n");
        out.write_all(&line)?;
    }
    Ok(())
}

/// The Arrow schema of the columns: int64, double, bool, date32,
/// timestamp(us), utf8.
pub fn arrow_schema(columns: &[ColumnDef]) -> Schema {
    use crate::model::ColumnType;
    Schema::new(
        columns
            .iter()
            .map(|c| {
                let data_type = match c.column_type {
                    ColumnType::Boolean => DataType::Boolean,
                    ColumnType::Integer => DataType::Int64,
                    ColumnType::Float => DataType::Float64,
                    ColumnType::Date => DataType::Date32,
                    ColumnType::Datetime => DataType::Timestamp(TimeUnit::Microsecond, None),
                    ColumnType::Text => DataType::Utf8,
                };
                Field::new(&c.name, data_type, true)
            })
            .collect::<Vec<_>>(),
    )
}

/// A batch of typed columns as an Arrow record batch of `schema`
/// ([`arrow_schema`] of its columns).
pub fn record_batch(schema: &Arc<Schema>, batch: &Batch) -> Result<RecordBatch> {
    use arrow_array::types::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
    let arrays: Vec<ArrayRef> = batch
        .columns
        .iter()
        .map(|column| -> Result<ArrayRef> {
            Ok(match column {
                ColumnData::Boolean(v) => {
                    let mut b = BooleanBuilder::with_capacity(v.len());
                    v.iter().for_each(|x| b.append_option(*x));
                    Arc::new(b.finish())
                }
                ColumnData::Integer(v) => primitive::<Int64Type>(v),
                ColumnData::Float(v) => primitive::<Float64Type>(v),
                ColumnData::Date(v) => primitive::<Date32Type>(v),
                ColumnData::Datetime(v) => primitive::<TimestampMicrosecondType>(v),
                ColumnData::Text(v) => text_array(v)?,
            })
        })
        .collect::<Result<_>>()?;
    RecordBatch::try_new(schema.clone(), arrays)
        .map_err(|e| Error::General(format!("cannot build an Arrow batch: {e}")))
}

/// The validity of `valid`'s rows, none when every row holds a value.
fn nulls(valid: impl ExactSizeIterator<Item = bool> + Clone) -> Option<arrow_buffer::NullBuffer> {
    let mut all = valid.clone();
    if all.all(|v| v) {
        return None;
    }
    Some(arrow_buffer::NullBuffer::from_iter(valid))
}

/// A column of numbers as one values buffer and its validity.
fn primitive<T: arrow_array::ArrowPrimitiveType>(values: &[Option<T::Native>]) -> ArrayRef {
    let buffer: arrow_buffer::ScalarBuffer<T::Native> = values
        .iter()
        .map(|x| x.unwrap_or_default())
        .collect::<Vec<_>>()
        .into();
    Arc::new(arrow_array::PrimitiveArray::<T>::new(
        buffer,
        nulls(values.iter().map(Option::is_some)),
    ))
}

/// A text column as Arrow's offsets and values, taken over whole (its
/// values already lie one after the other).
fn text_array(column: &crate::model::TextColumn) -> Result<ArrayRef> {
    let (data, ends, valid) = column.parts();
    let Ok(total) = i32::try_from(data.len()) else {
        // Arrow's 32-bit offsets cannot hold more than 2 GiB of text.
        return Err(Error::General(format!(
            "a batch holds {} bytes of text in one column, more than an Arrow string column takes",
            data.len()
        )));
    };
    let mut offsets = Vec::with_capacity(ends.len() + 1);
    offsets.push(0i32);
    // Each end is at most `total`, which fits.
    offsets.extend(ends.iter().map(|&end| end as i32));
    debug_assert!(offsets.last().is_none_or(|&last| last <= total));
    let array = arrow_array::StringArray::try_new(
        arrow_buffer::OffsetBuffer::new(offsets.into()),
        arrow_buffer::Buffer::from(data.as_bytes()),
        nulls(valid.iter().copied()),
    )
    .map_err(|e| Error::General(format!("cannot build an Arrow batch: {e}")))?;
    Ok(Arc::new(array))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(count: usize, column_type: ColumnType) -> Vec<ColumnDef> {
        (0..count)
            .map(|i| ColumnDef {
                name: format!("c{i}"),
                column_type,
            })
            .collect()
    }

    #[test]
    fn arrow_batches_keep_every_value_and_null() {
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Date32Type, Float64Type, Int64Type};
        use arrow_array::Array;
        let defs = vec![
            ColumnDef {
                name: "i".into(),
                column_type: ColumnType::Integer,
            },
            ColumnDef {
                name: "f".into(),
                column_type: ColumnType::Float,
            },
            ColumnDef {
                name: "d".into(),
                column_type: ColumnType::Date,
            },
            ColumnDef {
                name: "t".into(),
                column_type: ColumnType::Text,
            },
            ColumnDef {
                name: "n".into(),
                column_type: ColumnType::Text,
            },
        ];
        type Row<'a> = (Option<i64>, Option<f64>, Option<i32>, Option<&'a str>);
        let rows: [Row; 4] = [
            (Some(i64::MAX), Some(-0.0), Some(-719_162), Some("Kraków")),
            (None, None, None, None),
            (Some(-1), Some(f64::MIN_POSITIVE), Some(0), Some("")),
            (Some(0), Some(1.5), Some(20_000), Some("a\"b,c")),
        ];
        let text = |values: &mut dyn Iterator<Item = Option<&str>>| {
            let mut column = crate::model::TextColumn::default();
            values.for_each(|v| column.push(v));
            ColumnData::Text(column)
        };
        let batch = Batch {
            columns: vec![
                ColumnData::Integer(rows.map(|r| r.0).to_vec()),
                ColumnData::Float(rows.map(|r| r.1).to_vec()),
                ColumnData::Date(rows.map(|r| r.2).to_vec()),
                text(&mut rows.iter().map(|r| r.3)),
                text(&mut rows.iter().map(|_| Some("x"))),
            ],
        };
        let schema = Arc::new(arrow_schema(&defs));
        let arrow = record_batch(&schema, &batch).unwrap();
        let ints = arrow.column(0).as_primitive::<Int64Type>();
        assert_eq!(ints.iter().collect::<Vec<_>>(), rows.map(|r| r.0).to_vec());
        let floats = arrow.column(1).as_primitive::<Float64Type>();
        let bits = |v: Vec<Option<f64>>| {
            v.into_iter()
                .map(|x| x.map(f64::to_bits))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            bits(floats.iter().collect()),
            bits(rows.map(|r| r.1).to_vec())
        );
        let dates = arrow.column(2).as_primitive::<Date32Type>();
        assert_eq!(dates.iter().collect::<Vec<_>>(), rows.map(|r| r.2).to_vec());
        let texts = arrow.column(3).as_string::<i32>();
        assert_eq!(texts.iter().collect::<Vec<_>>(), rows.map(|r| r.3).to_vec());
        assert_eq!(texts.null_count(), 1);
        // A column without nulls carries no validity buffer.
        assert!(arrow.column(4).nulls().is_none());
    }

    #[test]
    fn wide_tables_get_smaller_parquet_row_groups() {
        assert_eq!(
            parquet_row_group_rows(&columns(12, ColumnType::Integer)),
            PARQUET_ROW_GROUP_ROWS
        );
        assert_eq!(
            parquet_row_group_rows(&columns(128, ColumnType::Float)),
            PARQUET_ROW_GROUP_BYTES / (128 * 8)
        );
        assert_eq!(
            parquet_row_group_rows(&columns(5000, ColumnType::Text)),
            4096
        );
    }
}
