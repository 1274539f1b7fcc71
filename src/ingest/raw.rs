//! Opening input files as bytes: transparent gzip and zstd, byte counting
//! for progress, and the error of a read that fails. Sniffing, format
//! detection and the readers all start here.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use super::encoding::InvalidText;
use crate::error::{Error, Result};

/// Bytes read from disk per buffer fill.
pub(super) const BUFFER_SIZE: usize = 256 * 1024;

/// Counts bytes read from the underlying file, for progress reporting.
pub(super) struct CountingReader<R> {
    pub(super) inner: R,
    pub(super) counter: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens `path` as a stream of bytes, decompressed when the file starts
/// with the gzip or zstd magic. `counter` receives the raw bytes read. The
/// flag says whether the file was compressed.
pub fn open_raw(path: &Path, counter: Arc<AtomicU64>) -> Result<(Box<dyn BufRead>, bool)> {
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
    let text: Box<dyn BufRead> = if gzip {
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
    Ok((text, gzip || zstd))
}

/// An I/O error while reading (decompressing) a file.
pub fn read_error(path: &Path, err: std::io::Error) -> Error {
    if let Some(invalid) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<InvalidText>())
    {
        return Error::General(format!("{}: {invalid}", path.display()));
    }
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
