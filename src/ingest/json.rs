//! JSON sources: an array of objects (`[{...}, ...]`, pandas
//! `orient="records"`) or JSON Lines (one object per line, as `mdm dataset
//! export` writes), optionally compressed. Columns are the keys in order of
//! first appearance; a key missing from an object is NULL; nested objects
//! and arrays are stored as their JSON text. Both passes stream, one object
//! in memory at a time, and no object may exceed [`MAX_VALUE_BYTES`].

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::format::{self, Compression};
use super::infer::Inferred;
use super::typed::{conversion_error, Cell, Output, Scan, MAX_VALUE_BYTES};
use crate::error::{Error, Result};
use crate::model::ColumnDef;

/// One object, its keys in document order.
struct Row(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Row, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object (one row)")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Row, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(pair) = map.next_entry::<String, Value>()? {
                    pairs.push(pair);
                }
                Ok(Row(pairs))
            }
        }
        deserializer.deserialize_map(RowVisitor)
    }
}

/// Counts line breaks and the bytes of the current object as they are
/// read, and stops an object that grows past the value limit.
struct Tracked<R> {
    inner: R,
    lines: u64,
    object_bytes: usize,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        self.object_bytes += n;
        if self.object_bytes > MAX_VALUE_BYTES {
            return Err(std::io::Error::other(TooLarge));
        }
        Ok(n)
    }
}

#[derive(Debug)]
struct TooLarge;

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object larger than {} MiB", MAX_VALUE_BYTES >> 20)
    }
}

impl std::error::Error for TooLarge {}

/// A stream of the objects of a JSON file.
struct Objects {
    path: std::path::PathBuf,
    text: Box<dyn BufRead + Send>,
    /// An array of objects (else JSON Lines).
    array: bool,
    /// Line of the object last read (1-based).
    line: u64,
    /// Lines consumed before the next object.
    next_line: u64,
    records: u64,
    done: bool,
    buffer: Vec<u8>,
}

impl Objects {
    fn open(path: &Path, compression: Compression, counter: Arc<AtomicU64>) -> Result<Objects> {
        let mut text = format::open_decompressed(path, compression, counter)?;
        let head = text
            .fill_buf()
            .map_err(|e| super::raw::read_error(path, e))?;
        if head.starts_with(&[0xef, 0xbb, 0xbf]) {
            text.consume(3);
        } else if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
            return Err(Error::General(format!(
                "{}: the JSON text is UTF-16 encoded; mdm reads UTF-8 JSON (convert it with iconv -f UTF-16 -t UTF-8)",
                path.display()
            )));
        }
        let mut objects = Objects {
            path: path.to_path_buf(),
            text,
            array: false,
            line: 1,
            next_line: 1,
            records: 0,
            done: false,
            buffer: Vec::new(),
        };
        match objects.skip_blanks()? {
            Some(b'[') => {
                objects.text.consume(1);
                objects.array = true;
            }
            Some(b'{') => {}
            Some(_) => {
                return Err(objects.error("expected a JSON array of objects or one object per line"))
            }
            None => {
                return Err(Error::General(format!(
                    "{}: the file is empty",
                    path.display()
                )))
            }
        }
        Ok(objects)
    }

    fn error(&self, what: &str) -> Error {
        Error::General(format!(
            "{}: line {}: {what}",
            self.path.display(),
            self.line
        ))
    }

    /// Skips whitespace (counting lines); returns the next byte, if any.
    fn skip_blanks(&mut self) -> Result<Option<u8>> {
        loop {
            let path = &self.path;
            let buf = self
                .text
                .fill_buf()
                .map_err(|e| super::raw::read_error(path, e))?;
            if buf.is_empty() {
                return Ok(None);
            }
            let blanks = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            self.next_line += buf[..blanks].iter().filter(|&&b| b == b'\n').count() as u64;
            if blanks < buf.len() {
                let next = buf[blanks];
                self.text.consume(blanks);
                return Ok(Some(next));
            }
            let all = buf.len();
            self.text.consume(all);
        }
    }

    /// A serde error as one line naming the place in the file.
    fn parse_error(&self, err: serde_json::Error) -> Error {
        if err.is_io() {
            return Error::General(format!(
                "{}: corrupt or truncated compressed data ({err})",
                self.path.display()
            ));
        }
        let message = err.to_string();
        let message = message
            .rfind(" at line ")
            .map_or(message.as_str(), |at| &message[..at]);
        let line = self.line + err.line().saturating_sub(1) as u64;
        Error::General(format!(
            "{}: line {line}, column {}: {message}",
            self.path.display(),
            err.column()
        ))
    }

    /// The next object, or `None` at the end.
    fn next(&mut self) -> Result<Option<Row>> {
        if self.done {
            return Ok(None);
        }
        if self.array {
            return self.next_in_array();
        }
        if self.skip_blanks()?.is_none() {
            self.done = true;
            return Ok(None);
        }
        self.line = self.next_line;
        self.buffer.clear();
        let limit = MAX_VALUE_BYTES as u64 + 1;
        let path = &self.path;
        (&mut self.text)
            .take(limit)
            .read_until(b'\n', &mut self.buffer)
            .map_err(|e| super::raw::read_error(path, e))?;
        if self.buffer.len() as u64 >= limit && self.buffer.last() != Some(&b'\n') {
            return Err(self.error(&format!(
                "the line is longer than {} MiB; mdm reads values up to that size",
                MAX_VALUE_BYTES >> 20
            )));
        }
        self.next_line += 1;
        self.records += 1;
        serde_json::from_slice::<Row>(&self.buffer)
            .map(Some)
            .map_err(|e| self.parse_error(e))
    }

    fn next_in_array(&mut self) -> Result<Option<Row>> {
        let mut next = self.skip_blanks()?;
        if self.records > 0 {
            match next {
                Some(b',') => {
                    self.text.consume(1);
                    next = self.skip_blanks()?;
                }
                Some(b']') => {}
                None => {
                    self.line = self.next_line;
                    return Err(self.error("the array is not closed (a truncated file?)"));
                }
                _ => {
                    self.line = self.next_line;
                    return Err(self.error("expected `,` or `]` after an object"));
                }
            }
        }
        self.line = self.next_line;
        match next {
            Some(b']') => {
                self.text.consume(1);
                self.done = true;
                if self.skip_blanks()?.is_some() {
                    self.line = self.next_line;
                    return Err(self.error("text after the closing `]`"));
                }
                Ok(None)
            }
            Some(b'{') => {
                let mut tracked = Tracked {
                    inner: &mut self.text,
                    lines: 0,
                    object_bytes: 0,
                };
                let parsed = {
                    let mut deserializer = serde_json::Deserializer::from_reader(&mut tracked);
                    Row::deserialize(&mut deserializer)
                };
                let lines = tracked.lines;
                let too_large = tracked.object_bytes > MAX_VALUE_BYTES;
                if too_large {
                    return Err(self.error(&format!(
                        "the object is larger than {} MiB; mdm reads values up to that size",
                        MAX_VALUE_BYTES >> 20
                    )));
                }
                let row = parsed.map_err(|e| self.parse_error(e))?;
                self.next_line += lines;
                self.records += 1;
                Ok(Some(row))
            }
            Some(_) => Err(self.error("expected an object in the array")),
            None => Err(self.error("the array is not closed (a truncated file?)")),
        }
    }

    fn place(&self) -> String {
        if self.array {
            format!("line {} (object {})", self.line, self.records)
        } else {
            format!("line {}", self.line)
        }
    }
}

/// The cell of a JSON value; nested values become their JSON text, kept
/// in `nested`.
fn cell<'a>(value: &'a Value, nested: &'a mut String) -> Cell<'a> {
    match value {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Cell::Int(i),
            // Integers past i64 keep every digit as text.
            (None, _) if n.is_u64() => {
                *nested = n.to_string();
                Cell::Text(nested)
            }
            (None, Some(f)) => Cell::Float(f),
            (None, None) => Cell::Null,
        },
        Value::String(s) => Cell::Text(s),
        Value::Array(_) | Value::Object(_) => {
            *nested = value.to_string();
            Cell::Text(nested)
        }
    }
}

/// Pass 1: the keys, the type of each and the number of objects.
pub fn scan(path: &Path, compression: Compression, counter: Arc<AtomicU64>) -> Result<Scan> {
    let mut objects = Objects::open(path, compression, counter)?;
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut types: Vec<Inferred> = Vec::new();
    let mut seen: Vec<u64> = Vec::new();
    let mut widest = 0u64;
    let mut rows = 0u64;
    let mut nested = String::new();
    while let Some(row) = objects.next()? {
        rows += 1;
        for (key, value) in &row.0 {
            let column = match index.get(key) {
                Some(&column) => column,
                None => {
                    index.insert(key.clone(), names.len());
                    names.push(key.clone());
                    types.push(Inferred::Null);
                    seen.push(0);
                    names.len() - 1
                }
            };
            if seen[column] == rows {
                return Err(objects.error(&format!("key `{key}` appears twice in one object")));
            }
            seen[column] = rows;
            let cell = cell(value, &mut nested);
            widest = widest.max(match cell {
                Cell::Text(t) => t.len() as u64,
                _ => 24,
            });
            types[column] = types[column].join(cell.inferred(true));
        }
        if rows.is_multiple_of(65_536) {
            crate::interrupt::check()?;
        }
    }
    if names.is_empty() {
        return Err(Error::General(format!(
            "{}: the JSON holds no objects with keys",
            path.display()
        )));
    }
    Ok(Scan {
        names,
        types: types.into_iter().map(Inferred::column_type).collect(),
        rows,
        widest,
    })
}

/// Pass 2: the objects as batches of `columns` (in the order of [`scan`]).
pub fn read(
    path: &Path,
    compression: Compression,
    columns: &[ColumnDef],
    counter: Arc<AtomicU64>,
    output: &mut Output,
) -> Result<()> {
    let mut objects = Objects::open(path, compression, counter)?;
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut next_column = 0usize;
    let mut filled = vec![false; columns.len()];
    let mut nested = String::new();
    while let Some(row) = objects.next()? {
        filled.iter_mut().for_each(|f| *f = false);
        for (key, value) in &row.0 {
            // Keys appear in the order pass 1 numbered them.
            let column = match index.get(key) {
                Some(&column) => column,
                None => {
                    index.insert(key.clone(), next_column);
                    next_column += 1;
                    next_column - 1
                }
            };
            if column >= columns.len() || filled[column] {
                return Err(Error::General(format!(
                    "{}: the file changed while it was being registered",
                    path.display()
                )));
            }
            filled[column] = true;
            let cell = cell(value, &mut nested);
            if !cell.push_to(&mut output.batch.columns[column]) {
                return Err(conversion_error(
                    path,
                    &objects.place(),
                    &columns[column],
                    &cell,
                ));
            }
        }
        for (column, filled) in filled.iter().enumerate() {
            if !filled {
                output.batch.columns[column].push_null();
            }
        }
        if !output.rows_pushed(1)? {
            return Ok(());
        }
    }
    Ok(())
}
