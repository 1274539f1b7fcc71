//! Text encodings of delimited files: detection (byte-order marks, UTF-16
//! without a mark, UTF-8, then the legacy encodings through `chardetng`)
//! and streaming transcoding to UTF-8 with `encoding_rs`. Bytes that are
//! invalid in the chosen encoding are an error naming line and column; they
//! are never replaced.

use std::io::{BufRead, Read};

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// How the bytes of a file are turned into text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextEncoding {
    pub encoding: &'static Encoding,
    /// Bytes of a byte-order mark at the start of the text (skipped).
    pub bom: usize,
}

impl TextEncoding {
    pub const UTF8: TextEncoding = TextEncoding {
        encoding: UTF_8,
        bom: 0,
    };

    /// The WHATWG name (`UTF-8`, `UTF-16LE`, `windows-1252`, ...), with
    /// ` (BOM)` when the file starts with a byte-order mark.
    pub fn describe(&self) -> String {
        if self.bom > 0 {
            format!("{} (BOM)", self.encoding.name())
        } else {
            self.encoding.name().to_string()
        }
    }

    /// Whether the text is UTF-8 already (read without transcoding).
    pub fn is_utf8(&self) -> bool {
        self.encoding == UTF_8
    }
}

/// An encoding named by the user (`--encoding latin1`, `cp1252`, `utf-16le`).
pub fn for_label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim();
    // Common spellings that are not WHATWG labels.
    let label = match label.to_ascii_lowercase().as_str() {
        "cp1252" | "cp-1252" => "windows-1252",
        "cp1250" => "windows-1250",
        "cp1251" => "windows-1251",
        "utf16" | "utf-16" => "utf-16le",
        "latin-1" => "latin1",
        _ => label,
    }
    .to_string();
    Encoding::for_label(label.as_bytes())
}

/// The byte-order mark at the start of `head`, if any.
pub fn bom(head: &[u8]) -> Option<TextEncoding> {
    if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        Some(TextEncoding {
            encoding: UTF_8,
            bom: 3,
        })
    } else if head.starts_with(&[0xff, 0xfe]) {
        Some(TextEncoding {
            encoding: UTF_16LE,
            bom: 2,
        })
    } else if head.starts_with(&[0xfe, 0xff]) {
        Some(TextEncoding {
            encoding: UTF_16BE,
            bom: 2,
        })
    } else {
        None
    }
}

/// UTF-16 without a byte-order mark: text that is mostly ASCII has a zero
/// byte in every other position.
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let pairs = head.len() / 2;
    if pairs < 4 {
        return None;
    }
    let even = head.iter().step_by(2).filter(|b| **b == 0).count();
    let odd = head.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    if odd * 10 >= pairs * 7 && even * 10 <= pairs {
        Some(UTF_16LE)
    } else if even * 10 >= pairs * 7 && odd * 10 <= pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Whether `sample` is UTF-8, allowing a sequence cut at either end (the
/// samples are cut out of the file at arbitrary bytes).
fn is_utf8_sample(sample: &[u8], cut_start: bool) -> bool {
    let mut bytes = sample;
    if cut_start {
        // Continuation bytes of a character that began before the sample.
        let skip = bytes
            .iter()
            .take(3)
            .take_while(|b| (**b & 0xc0) == 0x80)
            .count();
        bytes = &bytes[skip..];
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(err) => err.error_len().is_none() && bytes.len() - err.valid_up_to() < 4,
    }
}

/// Decides the encoding from raw samples of the file (the first is its
/// start; the others are cut out of its middle and end).
pub fn detect(samples: &[&[u8]]) -> TextEncoding {
    let Some(head) = samples.first() else {
        return TextEncoding::UTF8;
    };
    if let Some(found) = bom(head) {
        return found;
    }
    if let Some(encoding) = utf16_without_bom(&head[..head.len().min(4096)]) {
        return TextEncoding { encoding, bom: 0 };
    }
    if samples
        .iter()
        .enumerate()
        .all(|(index, sample)| is_utf8_sample(sample, index > 0))
    {
        return TextEncoding::UTF8;
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    for (index, sample) in samples.iter().enumerate() {
        detector.feed(sample, index + 1 == samples.len());
    }
    TextEncoding {
        encoding: detector.guess(None, Utf8Detection::Deny),
        bom: 0,
    }
}

/// Decodes a sample leniently (for sniffing only; loading is strict).
pub fn decode_sample(encoding: &'static Encoding, bytes: &[u8]) -> String {
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// Bytes that are not valid in the file's encoding.
#[derive(Debug)]
pub struct InvalidText {
    pub encoding: &'static str,
    pub line: u64,
    pub column: u64,
}

impl std::fmt::Display for InvalidText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: bytes that are not valid {}; give the file's encoding with --encoding",
            self.line, self.column, self.encoding
        )
    }
}

impl std::error::Error for InvalidText {}

/// Streams `inner` transcoded from `encoding` to UTF-8, failing on the
/// first malformed sequence with its line and column (in characters).
pub struct Transcoder<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    encoding: &'static Encoding,
    output: Vec<u8>,
    start: usize,
    end: usize,
    finished: bool,
    /// Line and column (1-based) of the next character decoded.
    line: u64,
    column: u64,
}

impl<R: BufRead> Transcoder<R> {
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        Transcoder {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            encoding,
            output: vec![0; 64 * 1024],
            start: 0,
            end: 0,
            finished: false,
            line: 1,
            column: 1,
        }
    }

    fn advance_position(&mut self, text: &[u8]) {
        for &byte in text {
            if byte == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if (byte & 0xc0) != 0x80 {
                self.column += 1;
            }
        }
    }

    fn refill(&mut self) -> std::io::Result<()> {
        while self.start == self.end && !self.finished {
            let input = self.inner.fill_buf()?;
            let last = input.is_empty();
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(input, &mut self.output, last);
            self.inner.consume(read);
            let decoded = self.output[..written].to_vec();
            self.advance_position(&decoded);
            self.start = 0;
            self.end = written;
            match result {
                DecoderResult::InputEmpty => self.finished = last,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(_, _) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        InvalidText {
                            encoding: self.encoding.name(),
                            line: self.line,
                            column: self.column,
                        },
                    ));
                }
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Read for Transcoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.refill()?;
        let n = (self.end - self.start).min(buf.len());
        buf[..n].copy_from_slice(&self.output[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Transcoder<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.refill()?;
        Ok(&self.output[self.start..self.end])
    }

    fn consume(&mut self, amount: usize) {
        self.start = (self.start + amount).min(self.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transcode(bytes: &[u8], encoding: &'static Encoding) -> std::io::Result<String> {
        let mut text = String::new();
        Transcoder::new(bytes, encoding).read_to_string(&mut text)?;
        Ok(text)
    }

    #[test]
    fn encodings_are_detected_from_marks_zero_bytes_and_content() {
        assert_eq!(detect(&[b"\xff\xfei\x00"]).encoding, UTF_16LE);
        assert_eq!(detect(&[b"i\x00d\x00,\x00x\x00\n\x00"]).encoding, UTF_16LE);
        assert_eq!(detect(&[b"\x00i\x00d\x00,\x00x\x00\n"]).encoding, UTF_16BE);
        assert_eq!(detect(&[b"id,name\n1,caf\xc3\xa9\n"]), TextEncoding::UTF8);
        let latin = detect(&[b"id,name\n1,caf\xe9 cr\xe8me br\xfbl\xe9e\n"]);
        assert_eq!(latin.encoding.name(), "windows-1252");
    }

    #[test]
    fn transcoding_is_exact_and_refuses_invalid_sequences_with_their_place() {
        assert_eq!(
            transcode(b"a,\xe9\n", encoding_rs::WINDOWS_1252).unwrap(),
            "a,é\n"
        );
        // An unpaired high surrogate on line 2.
        let bytes = b"a\x00\n\x00b\x00\x00\xd8c\x00";
        let err = transcode(bytes, UTF_16LE).unwrap_err();
        let invalid = err
            .get_ref()
            .unwrap()
            .downcast_ref::<InvalidText>()
            .unwrap();
        assert_eq!((invalid.line, invalid.column), (2, 2));
    }

    #[test]
    fn labels_include_windows_spellings() {
        assert_eq!(for_label("cp1252").unwrap().name(), "windows-1252");
        assert_eq!(for_label("latin1").unwrap().name(), "windows-1252");
        assert!(for_label("klingon").is_none());
    }
}
