//! The dialect of a delimited file (delimiter, quote, escape, comment) and
//! the layout of its table (skipped lines, header rows, width, trailing
//! delimiter), what the user may force of them, and the `csv` reader built
//! from them.

use std::io::Read;

use serde_json::json;

use super::encoding::TextEncoding;
use crate::config::BadRows;
use crate::error::{Error, Result};
use crate::model::spelling::{DateSpelling, Spelling};

choice!(
    /// How a quote character inside a quoted field is written.
    Escape {
        Double => "double",
        Backslash => "backslash",
    }
);

/// Delimiters tried by the sniffer, in order of preference on a tie.
/// `space_after` dialects are `, ` and `; `: the delimiter plus one space.
pub const DELIMITERS: &[(u8, bool)] = &[
    (b',', false),
    (b'\t', false),
    (b';', false),
    (b'|', false),
    (b' ', false),
    (b',', true),
    (b';', true),
];

/// How fields and records are separated and quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: u8,
    /// One space after each delimiter belongs to the delimiter (`, `).
    pub space_after: bool,
    pub quote: Option<u8>,
    pub escape: Escape,
    pub comment: Option<u8>,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: b',',
            space_after: false,
            quote: Some(b'"'),
            escape: Escape::Double,
            comment: None,
        }
    }
}

impl Dialect {
    /// The delimiter as text (`,`, `\t`, `, `).
    pub fn delimiter_text(&self) -> String {
        let mut text = match self.delimiter {
            b'\t' => "\\t".to_string(),
            other => (other as char).to_string(),
        };
        if self.space_after {
            text.push(' ');
        }
        text
    }

    /// A `csv` reader over `text` in this dialect (flexible: rows of any
    /// width are returned, the caller decides what fits).
    pub fn reader<R: Read>(&self, text: R, buffer: usize) -> csv::Reader<SpaceAfterDelimiter<R>> {
        let mut builder = csv::ReaderBuilder::new();
        builder
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(buffer)
            .comment(self.comment);
        match self.quote {
            Some(quote) => {
                builder.quote(quote).quoting(true);
                if self.escape == Escape::Backslash {
                    builder.escape(Some(b'\\')).double_quote(false);
                }
            }
            None => {
                builder.quoting(false);
            }
        }
        builder.from_reader(SpaceAfterDelimiter::new(text, *self))
    }
}

/// Drops the one space that follows each delimiter outside quotes in the
/// `, ` and `; ` dialects, so that the single-byte parser sees `,`. Passes
/// everything through untouched in the others.
pub struct SpaceAfterDelimiter<R> {
    inner: R,
    active: bool,
    delimiter: u8,
    quote: Option<u8>,
    backslash: bool,
    in_quotes: bool,
    escaped: bool,
    /// A quote just closed a quoted field (a second one is a doubled quote).
    just_closed: bool,
    /// Quotes open a field only at its start, as in the parser: a stray
    /// quote inside an unquoted field is a character.
    at_field_start: bool,
    after_delimiter: bool,
}

impl<R> SpaceAfterDelimiter<R> {
    fn new(inner: R, dialect: Dialect) -> Self {
        SpaceAfterDelimiter {
            inner,
            active: dialect.space_after,
            delimiter: dialect.delimiter,
            quote: dialect.quote,
            backslash: dialect.escape == Escape::Backslash,
            in_quotes: false,
            escaped: false,
            just_closed: false,
            at_field_start: true,
            after_delimiter: false,
        }
    }

    fn track(&mut self, byte: u8) {
        let is_quote = Some(byte) == self.quote;
        if self.in_quotes {
            if self.escaped {
                self.escaped = false;
            } else if self.backslash && byte == b'\\' {
                self.escaped = true;
            } else if is_quote {
                self.in_quotes = false;
                self.just_closed = true;
            }
            return;
        }
        if std::mem::take(&mut self.just_closed) && is_quote && !self.backslash {
            self.in_quotes = true;
            return;
        }
        if self.at_field_start && is_quote {
            self.in_quotes = true;
            self.at_field_start = false;
        } else {
            self.at_field_start = matches!(byte, b'\n' | b'\r') || byte == self.delimiter;
            self.after_delimiter = byte == self.delimiter;
        }
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: Read> Read for SpaceAfterDelimiter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.active {
            return self.inner.read(buf);
        }
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let mut kept = 0;
            for index in 0..n {
                let byte = buf[index];
                if std::mem::take(&mut self.after_delimiter) && byte == b' ' {
                    continue;
                }
                self.track(byte);
                buf[kept] = byte;
                kept += 1;
            }
            if kept > 0 {
                return Ok(kept);
            }
        }
    }
}

/// What the user forced (flags, or the same keys in an export sidecar);
/// everything left `None` is detected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadOptions {
    pub delimiter: Option<(u8, bool)>,
    /// `Some(None)`: no quoting at all.
    pub quote: Option<Option<u8>>,
    pub escape: Option<Escape>,
    pub header_rows: Option<usize>,
    pub skip_rows: Option<u64>,
    /// `Some(None)`: no comment lines.
    pub comment: Option<Option<u8>>,
    pub encoding: Option<&'static encoding_rs::Encoding>,
    pub bad_rows: Option<BadRows>,
    /// `Some(b',')` reads `1234,56` as a number in every numeric column;
    /// `Some(b'.')` never does.
    pub decimal: Option<u8>,
    /// Spellings given per column (`--date-format COL=FORMAT`, an export's
    /// sidecar): every value of the column must be written so.
    pub formats: Vec<(String, Spelling)>,
}

/// Parses `--delimiter`: one character, `\t`/`tab`, `space`, `, ` or `; `.
pub fn parse_delimiter(text: &str) -> std::result::Result<(u8, bool), String> {
    match text {
        "\\t" | "tab" | "\t" => return Ok((b'\t', false)),
        "space" | " " => return Ok((b' ', false)),
        _ => {}
    }
    let bytes = text.as_bytes();
    match bytes {
        [byte] if byte.is_ascii() && !matches!(byte, b'\n' | b'\r' | b'"') => Ok((*byte, false)),
        [byte, b' '] if byte.is_ascii_punctuation() => Ok((*byte, true)),
        _ => Err(format!(
            "`{text}` is not a delimiter: give one ASCII character, `tab`, `space`, `, ` or `; `"
        )),
    }
}

/// Parses `--quote`: `"`, `'` or `none`.
pub fn parse_quote(text: &str) -> std::result::Result<Option<u8>, String> {
    match text {
        "none" | "" => Ok(None),
        "\"" | "double" => Ok(Some(b'"')),
        "'" | "single" => Ok(Some(b'\'')),
        _ => Err(format!("`{text}` is not a quote: give \", ' or none")),
    }
}

/// Parses `--comment`: one ASCII character or `none`.
pub fn parse_comment(text: &str) -> std::result::Result<Option<u8>, String> {
    match text.as_bytes() {
        b"none" | b"" => Ok(None),
        [byte] if byte.is_ascii_graphic() => Ok(Some(*byte)),
        _ => Err(format!(
            "`{text}` is not a comment character: give one character or none"
        )),
    }
}

/// Parses `--decimal`: `,` or `.`.
pub fn parse_decimal(text: &str) -> std::result::Result<u8, String> {
    match text {
        "," => Ok(b','),
        "." => Ok(b'.'),
        _ => Err(format!("`{text}` is not a decimal separator: give , or .")),
    }
}

/// Parses `--date-format COL=FORMAT` (a strftime-style date pattern).
pub fn parse_date_format(text: &str) -> std::result::Result<(String, Spelling), String> {
    let Some((column, pattern)) = text.split_once('=') else {
        return Err(format!(
            "`{text}` is not COLUMN=FORMAT (for example date=%d/%m/%Y)"
        ));
    };
    let spelling = DateSpelling::from_pattern(pattern)?;
    Ok((column.to_string(), Spelling::Date(spelling)))
}

/// Parses `--encoding` (WHATWG labels plus `cp1252`-style names).
pub fn parse_encoding(text: &str) -> std::result::Result<&'static encoding_rs::Encoding, String> {
    super::encoding::for_label(text).ok_or_else(|| {
        format!("`{text}` is not a known encoding (e.g. utf-8, utf-16le, windows-1252, latin1)")
    })
}

/// Where the table is in a file and how to read it: decided by the sniffer
/// or forced, recorded in `_metadata` and shown by `info`.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub encoding: TextEncoding,
    pub dialect: Dialect,
    /// `LF`, `CRLF` or `CR`.
    pub line_terminator: &'static str,
    /// Physical lines before the table (a preamble), skipped unread.
    pub skip_rows: u64,
    /// Records joined into the column names (0: no header).
    pub header_rows: usize,
    /// Fields per row of the table.
    pub width: usize,
    /// Data rows end with a delimiter that opens no column: an empty last
    /// field beyond `width` is dropped.
    pub trailing_delimiter: bool,
    /// The header has no name for the first column (R's row names).
    pub unnamed_first_column: bool,
    /// Which of the above the user forced.
    pub forced: Vec<&'static str>,
}

impl Layout {
    /// The layout a typed source (Parquet, JSON, Excel) stands in with:
    /// nothing to sniff, skip or record.
    pub fn typed(width: usize) -> Layout {
        Layout {
            encoding: super::encoding::TextEncoding::UTF8,
            dialect: Dialect::default(),
            line_terminator: "LF",
            skip_rows: 0,
            header_rows: 1,
            width,
            trailing_delimiter: false,
            unnamed_first_column: false,
            forced: Vec::new(),
        }
    }

    /// The layout as recorded in `_metadata`.
    pub fn describe(&self) -> serde_json::Value {
        json!({
            "encoding": self.encoding.describe(),
            "delimiter": self.dialect.delimiter_text(),
            "quote": self.dialect.quote.map(|q| (q as char).to_string()),
            "escape": self.dialect.escape,
            "comment": self.dialect.comment.map(|c| (c as char).to_string()),
            "line_terminator": self.line_terminator,
            "skip_rows": self.skip_rows,
            "header_rows": self.header_rows,
            "columns": self.width,
            "trailing_delimiter": self.trailing_delimiter,
            "unnamed_first_column": self.unnamed_first_column,
            "forced": self.forced,
        })
    }
}

/// An invalid forced value, as an argument error.
pub fn invalid(flag: &str, message: String) -> Error {
    Error::InvalidArgument(format!("{flag}: {message}"))
}

/// Result alias used by the option parsers when called from configuration.
pub fn parse_or_invalid<T>(flag: &str, value: std::result::Result<T, String>) -> Result<T> {
    value.map_err(|message| invalid(flag, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, dialect: Dialect) -> Vec<Vec<String>> {
        dialect
            .reader(text.as_bytes(), 1024)
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn a_space_after_the_delimiter_belongs_to_it_outside_quotes_only() {
        let dialect = Dialect {
            space_after: true,
            ..Dialect::default()
        };
        assert_eq!(
            rows("a, b, \"c, d\"\n1, 2, 3\n", dialect),
            [vec!["a", "b", "c, d"], vec!["1", "2", "3"]]
        );
    }

    #[test]
    fn backslash_escapes_and_unquoted_dialects_parse() {
        let dialect = Dialect {
            escape: Escape::Backslash,
            ..Dialect::default()
        };
        assert_eq!(
            rows("1,\"say \\\"hi\\\", ok\"\n", dialect),
            [vec!["1", "say \"hi\", ok"]]
        );
        let plain = Dialect {
            quote: None,
            ..Dialect::default()
        };
        assert_eq!(
            rows("1,\"a\n2,b\n", plain),
            [vec!["1", "\"a"], vec!["2", "b"]]
        );
    }

    #[test]
    fn forced_values_are_parsed_strictly() {
        assert_eq!(parse_delimiter("tab"), Ok((b'\t', false)));
        assert_eq!(parse_delimiter("; "), Ok((b';', true)));
        assert!(parse_delimiter("ab").is_err());
        assert_eq!(parse_quote("none"), Ok(None));
        assert_eq!(parse_comment("#"), Ok(Some(b'#')));
        assert!(parse_decimal(";").is_err());
    }
}
