//! Opening delimited text (from [`super::raw`]'s bytes): the byte-order
//! mark, transcoding to UTF-8, skipping the lines before the table, and the
//! `csv` reader in the sniffed dialect.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::dialect::{Layout, ReadOptions, SpaceAfterDelimiter};
use super::encoding::Transcoder;
use super::raw::{open_raw, read_error, BUFFER_SIZE};
use crate::error::{Error, Result};

/// How a delimited text file is laid out.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvFormat {
    pub path: PathBuf,
    pub layout: Layout,
    pub compressed: bool,
    /// Size of the file on disk (compressed size for `.gz`).
    pub size: u64,
    /// Its modification time when it was first read.
    pub modified: Option<std::time::SystemTime>,
}

impl CsvFormat {
    /// Whether the file on disk is no longer the one first read (its size
    /// or modification time differs).
    pub fn changed_on_disk(&self) -> bool {
        match std::fs::metadata(&self.path) {
            Ok(now) => now.len() != self.size || now.modified().ok() != self.modified,
            Err(_) => true,
        }
    }
}

/// The modification time of `path`, if the file system has one.
pub fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The UTF-8 text of a table in `layout`: decompressed, its byte-order mark
/// skipped, transcoded when it is not UTF-8, and the `skip_rows` lines
/// before the table consumed.
pub fn open_table(
    path: &Path,
    layout: &Layout,
    counter: Arc<AtomicU64>,
) -> Result<Box<dyn BufRead>> {
    let (mut raw, _) = open_raw(path, counter)?;
    let head = raw.fill_buf().map_err(|e| read_error(path, e))?;
    let bom = layout.encoding.bom.min(head.len());
    raw.consume(bom);
    let mut text: Box<dyn BufRead> = if layout.encoding.is_utf8() {
        raw
    } else {
        Box::new(Transcoder::new(raw, layout.encoding.encoding))
    };
    // CR-only files end their lines with `\r`; the others with `\n`.
    let terminator = if layout.line_terminator == "CR" {
        b'\r'
    } else {
        b'\n'
    };
    let mut line = Vec::new();
    for _ in 0..layout.skip_rows {
        line.clear();
        if text
            .read_until(terminator, &mut line)
            .map_err(|e| read_error(path, e))?
            == 0
        {
            break;
        }
    }
    Ok(text)
}

/// Opens `path` as a stream of UTF-8 text bytes: decompresses when the file
/// starts with the gzip or zstd magic, skips a UTF-8 byte-order mark, and
/// rejects UTF-16 with a hint. `counter` receives the raw bytes read. The
/// flag says whether the file was compressed.
pub fn open_text(path: &Path, counter: Arc<AtomicU64>) -> Result<(Box<dyn BufRead>, bool)> {
    let (mut text, compressed) = open_raw(path, counter)?;
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
    Ok((text, compressed))
}

/// The reader a table is parsed with.
pub type TableReader = csv::Reader<SpaceAfterDelimiter<TailReader<Box<dyn BufRead>>>>;

/// A CSV reader over the table of `format`, from its first header row.
/// Rows of any width are returned; the caller decides what fits. Line
/// numbers are relative to the table's start (add `layout.skip_rows`).
pub fn csv_reader(format: &CsvFormat, counter: Arc<AtomicU64>) -> Result<TableReader> {
    let text = open_table(&format.path, &format.layout, counter)?;
    Ok(format
        .layout
        .dialect
        .reader(TailReader::new(text), BUFFER_SIZE))
}

/// Sniffs `path` (see `ingest::sniff`), with what the user forced.
pub fn sniff(path: &Path, forced: &ReadOptions) -> Result<CsvFormat> {
    let modified = modified(path);
    let (layout, size, compressed) = super::sniff::sniff(path, forced)?;
    Ok(CsvFormat {
        path: path.to_path_buf(),
        layout,
        compressed,
        size,
        modified,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_counts_as_changed_only_when_its_size_or_time_differs() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\n1,2\n3,4\n").unwrap();
        let format = sniff(&path, &ReadOptions::default()).unwrap();
        assert!(!format.changed_on_disk());
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"5,6\n")
            .unwrap();
        assert!(format.changed_on_disk());
        // Same size, written again later: changed too.
        let format = sniff(&path, &ReadOptions::default()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, "a,b\n1,2\n3,4\n7,8\n").unwrap();
        assert!(format.changed_on_disk());
    }
}
