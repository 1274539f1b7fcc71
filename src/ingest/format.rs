//! What a file is, decided from its content (magic bytes) and only then
//! from its name: compression wrappers (gzip, zstd, bzip2, xz), zip
//! archives, Parquet, Excel workbooks, JSON and delimited text. Known
//! binary formats mdm does not read are named, so that a user never gets an
//! encoding hint for a file that is not text at all.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

/// Bytes read from disk per buffer fill.
const BUFFER_SIZE: usize = 256 * 1024;
/// Decompressed bytes looked at to tell JSON from delimited text.
const HEAD_BYTES: usize = 4096;

/// A compression wrapper around a file's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

impl Compression {
    fn from_magic(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.starts_with(b"BZh") && head.get(3).is_some_and(u8::is_ascii_digit) {
            Compression::Bzip2
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else {
            Compression::None
        }
    }

    /// The file-name suffix this compression usually adds.
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
            Compression::Bzip2 => ".bz2",
            Compression::Xz => ".xz",
        }
    }
}

/// The format of a file's (decompressed) content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CSV, TSV and other delimited text (the sniffer decides the dialect).
    Delimited,
    /// An array of objects or JSON Lines.
    Json,
    Parquet,
    /// Office Open XML workbook (`.xlsx`, `.xlsm`, `.xlsb`) or OpenDocument
    /// spreadsheet: a zip holding a workbook.
    Workbook,
    /// Legacy Excel (`.xls`, an OLE2 compound file).
    Xls,
    /// Any other zip archive.
    Zip,
}

impl Format {
    pub fn describe(self) -> &'static str {
        match self {
            Format::Delimited => "delimited text",
            Format::Json => "JSON",
            Format::Parquet => "Parquet",
            Format::Workbook | Format::Xls => "Excel",
            Format::Zip => "zip archive",
        }
    }
}

/// A file's format and the compression around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detected {
    pub format: Format,
    pub compression: Compression,
}

/// Binary formats mdm does not read, by their magic bytes.
const UNSUPPORTED: &[(&[u8], &str)] = &[
    (b"ARROW1", "an Arrow IPC (Feather v2) file"),
    (b"FEA1", "a Feather v1 file"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"SQLite format 3\0", "a SQLite database"),
    (b"\x93NUMPY", "a NumPy array file"),
    (b"Obj\x01", "an Avro file"),
    (b"ORC", "an ORC file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
];

/// Decides what `path` holds from its first bytes (decompressing a
/// compressed file's beginning).
pub fn detect(path: &Path) -> Result<Detected> {
    let mut raw = BufReader::with_capacity(
        HEAD_BYTES,
        File::open(path).map_err(|e| Error::io(path, "open", e))?,
    );
    let head = raw.fill_buf().map_err(|e| Error::io(path, "read", e))?;
    let compression = Compression::from_magic(head);
    if compression == Compression::None {
        let head = head.to_vec();
        return Ok(Detected {
            format: classify(path, &head, true)?,
            compression,
        });
    }
    let mut inner = Vec::with_capacity(HEAD_BYTES);
    decompress(path, compression, Box::new(raw))?
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut inner)
        .map_err(|e| super::raw::read_error(path, e))?;
    Ok(Detected {
        format: classify(path, &inner, false)?,
        compression,
    })
}

/// The format of content starting with `head`; `seekable` is false inside
/// a compressed stream (where a zip's directory cannot be looked at).
fn classify(path: &Path, head: &[u8], seekable: bool) -> Result<Format> {
    if head.starts_with(b"PAR1") {
        return Ok(Format::Parquet);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        let workbook = seekable && is_workbook(path);
        return Ok(if workbook {
            Format::Workbook
        } else {
            Format::Zip
        });
    }
    if head.starts_with(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        return Ok(Format::Xls);
    }
    if let Some((_, what)) = UNSUPPORTED
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
    {
        return Err(Error::General(format!(
            "{}: {what}, which mdm does not read (it reads CSV/TSV, JSON, Parquet, Excel, zip, gzip, zstd, bzip2 and xz files)",
            path.display()
        )));
    }
    if looks_like_json(head) || has_json_extension(path) {
        return Ok(Format::Json);
    }
    Ok(Format::Delimited)
}

/// Whether the zip at `path` is a spreadsheet (its directory names a
/// workbook part).
fn is_workbook(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let Ok(archive) = zip::ZipArchive::new(BufReader::new(file)) else {
        return false;
    };
    let mut names = archive.file_names();
    let open_document = has_extension(path, &["ods"]);
    names.any(|name| {
        matches!(name, "xl/workbook.xml" | "xl/workbook.bin")
            || (open_document && name == "content.xml")
    })
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = strip_compression(&name);
    name.rsplit_once('.')
        .is_some_and(|(_, extension)| extensions.contains(&extension))
}

fn has_json_extension(path: &Path) -> bool {
    has_extension(path, &["json", "jsonl", "ndjson"])
}

/// Drops one compression suffix (`.gz`, `.zst`, `.bz2`, `.xz`, `.zip`).
pub fn strip_compression(name: &str) -> &str {
    [".gz", ".zst", ".bz2", ".xz", ".zip"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
}

/// JSON text starts (after a byte-order mark and blanks) with an object or
/// an array of objects; a delimited header never does.
fn looks_like_json(head: &[u8]) -> bool {
    let head = head.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(head);
    let mut rest = head.iter().skip_while(|b| b.is_ascii_whitespace());
    match rest.next() {
        Some(b'{') => matches!(
            rest.find(|b| !b.is_ascii_whitespace()),
            Some(b'"' | b'}') | None
        ),
        Some(b'[') => matches!(
            rest.find(|b| !b.is_ascii_whitespace()),
            Some(b'{' | b']') | None
        ),
        _ => false,
    }
}

/// Counts bytes read from the underlying file, for progress reporting.
pub struct CountingReader<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R> CountingReader<R> {
    pub fn new(inner: R, counter: Arc<AtomicU64>) -> Self {
        CountingReader { inner, counter }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Wraps `raw` in the decoder of `compression`.
fn decompress(
    path: &Path,
    compression: Compression,
    raw: Box<dyn BufRead + Send>,
) -> Result<Box<dyn BufRead + Send>> {
    let buffered = |r: Box<dyn Read + Send>| -> Box<dyn BufRead + Send> {
        Box::new(BufReader::with_capacity(BUFFER_SIZE, r))
    };
    Ok(match compression {
        Compression::None => raw,
        Compression::Gzip => buffered(Box::new(flate2::bufread::MultiGzDecoder::new(raw))),
        Compression::Zstd => buffered(Box::new(
            zstd::Decoder::with_buffer(raw).map_err(|e| super::raw::read_error(path, e))?,
        )),
        Compression::Bzip2 => buffered(Box::new(bzip2::bufread::MultiBzDecoder::new(raw))),
        Compression::Xz => buffered(Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(
            raw,
        ))),
    })
}

/// Opens `path` as a stream of its decompressed bytes; `counter` receives
/// the raw bytes read from disk.
pub fn open_decompressed(
    path: &Path,
    compression: Compression,
    counter: Arc<AtomicU64>,
) -> Result<Box<dyn BufRead + Send>> {
    let file = File::open(path).map_err(|e| Error::io(path, "open", e))?;
    let raw = Box::new(BufReader::with_capacity(
        BUFFER_SIZE,
        CountingReader::new(file, counter),
    ));
    decompress(path, compression, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_told_from_delimited_text_by_its_first_bytes() {
        assert!(looks_like_json(b"{\"a\": 1}\n"));
        assert!(looks_like_json(b"\xef\xbb\xbf  [\n  {\"a\": 1}]"));
        assert!(looks_like_json(b"[]"));
        assert!(!looks_like_json(b"a,b\n1,2\n"));
        assert!(!looks_like_json(b"[1],[2]\n"));
        assert!(!looks_like_json(b"{x},y\n"));
    }

    #[test]
    fn compression_is_told_by_magic_bytes() {
        assert_eq!(Compression::from_magic(b"BZh91AY"), Compression::Bzip2);
        assert_eq!(
            Compression::from_magic(b"\xfd7zXZ\x00\x00"),
            Compression::Xz
        );
        assert_eq!(Compression::from_magic(b"BZhx"), Compression::None);
    }
}
