//! Opening input files: transparent gzip, byte counting for progress, BOM
//! handling, and sniffing of the delimiter and the header row.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use super::infer::{classify, is_null_token, Inferred};
use crate::error::{Error, Result};

/// Bytes read from disk per buffer fill.
const BUFFER_SIZE: usize = 256 * 1024;
/// Bytes of decoded text looked at to sniff the format.
const SNIFF_BYTES: usize = 64 * 1024;
/// Records looked at to sniff the format.
const SNIFF_RECORDS: usize = 100;
/// Delimiters tried, in order of preference.
const DELIMITERS: &[u8] = b",\t;|";

/// How a delimited text file is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvFormat {
    pub path: PathBuf,
    pub delimiter: u8,
    pub has_header: bool,
    pub compressed: bool,
    /// Size of the file on disk (compressed size for `.gz`).
    pub size: u64,
}

/// Counts bytes read from the underlying file, for progress reporting.
struct CountingReader<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens `path` as a stream of UTF-8 text bytes: decompresses when the file
/// starts with the gzip or zstd magic, skips a UTF-8 byte-order mark, and
/// rejects UTF-16 with a hint. `counter` receives the raw bytes read. The
/// flag says whether the file was compressed.
pub fn open_text(path: &Path, counter: Arc<AtomicU64>) -> Result<(Box<dyn BufRead>, bool)> {
    let file = File::open(path).map_err(|e| Error::io(path, "open", e))?;
    let mut raw = BufReader::with_capacity(
        BUFFER_SIZE,
        CountingReader {
            inner: file,
            counter,
        },
    );
    let head = raw.fill_buf().map_err(|e| Error::io(path, "read", e))?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let zstd = head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    let mut text: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            BUFFER_SIZE,
            MultiGzDecoder::new(raw),
        ))
    } else if zstd {
        let decoder = zstd::Decoder::with_buffer(raw).map_err(|e| read_error(path, e))?;
        Box::new(BufReader::with_capacity(BUFFER_SIZE, decoder))
    } else {
        Box::new(raw)
    };
    let head = text.fill_buf().map_err(|e| read_error(path, e))?;
    if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        text.consume(3);
    } else if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Err(Error::General(format!(
            "{}: the file is UTF-16 encoded; mdm reads UTF-8. Convert it first: iconv -f UTF-16 -t UTF-8 {} > converted.csv",
            path.display(),
            path.display()
        )));
    }
    Ok((text, gzip || zstd))
}

/// An I/O error while reading (decompressing) a file.
pub fn read_error(path: &Path, err: std::io::Error) -> Error {
    match err.kind() {
        std::io::ErrorKind::InvalidInput
        | std::io::ErrorKind::InvalidData
        | std::io::ErrorKind::UnexpectedEof => Error::General(format!(
            "{}: corrupt or truncated compressed data ({err})",
            path.display()
        )),
        _ => Error::io(path, "read", err),
    }
}

/// A CSV reader over the text of `path` in `format`. Headers are handled by
/// the caller; records must all have the same number of fields.
pub fn csv_reader(
    format: &CsvFormat,
    counter: Arc<AtomicU64>,
) -> Result<csv::Reader<TailReader<Box<dyn BufRead>>>> {
    let (text, _) = open_text(&format.path, counter)?;
    Ok(csv::ReaderBuilder::new()
        .delimiter(format.delimiter)
        .has_headers(false)
        .flexible(false)
        .buffer_capacity(BUFFER_SIZE)
        .from_reader(TailReader::new(text)))
}

/// Remembers the last bytes of the decoded text, to tell a quoted field
/// that is never closed (the parser then runs to the end of the file).
pub struct TailReader<R> {
    inner: R,
    tail: [u8; 3],
}

impl<R> TailReader<R> {
    fn new(inner: R) -> Self {
        TailReader {
            inner,
            tail: [0; 3],
        }
    }

    /// Whether the text ends with a closing quote, optionally followed by
    /// a line break.
    pub fn ends_with_quote(&self) -> bool {
        matches!(
            self.tail,
            [_, _, b'"'] | [_, b'"', b'\n' | b'\r'] | [b'"', b'\r', b'\n']
        )
    }
}

impl<R: Read> Read for TailReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &byte in &buf[..n.min(buf.len())][n.saturating_sub(3)..] {
            self.tail = [self.tail[1], self.tail[2], byte];
        }
        Ok(n)
    }
}

/// Turns a csv error into a one-line message naming the file and line.
pub fn csv_error(path: &Path, err: csv::Error) -> Error {
    match err.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => Error::General(format!(
            "{}: line {}: expected {expected_len} fields like the first row, found {len}",
            path.display(),
            pos.as_ref().map_or(0, |p| p.line())
        )),
        csv::ErrorKind::Io(_) => match err.into_kind() {
            csv::ErrorKind::Io(io) => read_error(path, io),
            _ => unreachable!("matched Io above"),
        },
        _ => Error::General(format!("{}: {err}", path.display())),
    }
}

/// Works out the delimiter and whether the first row is a header.
pub fn sniff(path: &Path) -> Result<CsvFormat> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, "read", e))?
        .len();
    let (text, compressed) = open_text(path, Arc::default())?;
    let mut sample = Vec::with_capacity(SNIFF_BYTES);
    text.take(SNIFF_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(|e| read_error(path, e))?;
    let truncated = sample.len() == SNIFF_BYTES;
    if sample.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::General(format!(
            "{}: the file is empty",
            path.display()
        )));
    }

    let extension_hint = extension_delimiter(path);
    let mut best: Option<(u8, Vec<Vec<String>>)> = None;
    for &delimiter in extension_hint.as_slice().iter().chain(DELIMITERS) {
        let records = sample_records(&sample, delimiter, truncated);
        let Some(first) = records.first() else {
            continue;
        };
        let width = first.len();
        let consistent = records.iter().all(|r| r.len() == width);
        if extension_hint == Some(delimiter) || (consistent && width > 1) {
            best = Some((delimiter, records));
            break;
        }
    }
    // A single-column file (or an inconsistent one, reported later with its
    // line number) is read with commas.
    let (delimiter, records) =
        best.unwrap_or_else(|| (b',', sample_records(&sample, b',', truncated)));
    Ok(CsvFormat {
        path: path.to_path_buf(),
        delimiter,
        has_header: looks_like_header(&records),
        compressed,
        size,
    })
}

fn extension_delimiter(path: &Path) -> Option<u8> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let name = super::strip_compression_suffix(&name);
    match name.rsplit_once('.')?.1 {
        "tsv" | "tab" => Some(b'\t'),
        "psv" => Some(b'|'),
        _ => None,
    }
}

fn sample_records(sample: &[u8], delimiter: u8, truncated: bool) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(sample);
    let mut records: Vec<Vec<String>> = Vec::new();
    for record in reader.byte_records().take(SNIFF_RECORDS + 1) {
        let Ok(record) = record else { break };
        records.push(
            record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect(),
        );
    }
    // The last record of a cut sample may be cut too.
    if truncated && records.len() > 1 {
        records.pop();
    }
    records
}

/// The first row is a header unless it looks like data: a vote per column
/// whose values in later rows share a type that the first row's value does
/// (or does not) have. Files with a single row are taken to have a header.
fn looks_like_header(records: &[Vec<String>]) -> bool {
    let Some((first, rest)) = records.split_first() else {
        return true;
    };
    if rest.is_empty() {
        return true;
    }
    let mut votes = 0i32;
    for (index, head) in first.iter().enumerate() {
        let mut column = Inferred::Null;
        for record in rest {
            if let Some(value) = record.get(index).filter(|v| !is_null_token(v.as_bytes())) {
                column = column.join(classify(value));
            }
        }
        if matches!(column, Inferred::Null | Inferred::Text) {
            continue;
        }
        if head.is_empty() || is_null_token(head.as_bytes()) {
            continue;
        }
        if column.join(classify(head)) == column {
            votes -= 1;
        } else {
            votes += 1;
        }
    }
    votes >= 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, delimiter: u8) -> Vec<Vec<String>> {
        sample_records(text.as_bytes(), delimiter, false)
    }

    #[test]
    fn a_header_of_names_over_numbers_is_detected() {
        assert!(looks_like_header(&rows("a,b\n1,2\n3,4\n", b',')));
        assert!(!looks_like_header(&rows("1,2\n3,4\n5,6\n", b',')));
        assert!(looks_like_header(&rows("name,city\nann,rome\n", b',')));
    }
}
