//! Finding the table in a delimited file. Samples are taken from the start,
//! the middle and the end of the file (not only its first bytes); every
//! candidate dialect parses them and is scored by how consistent its rows
//! are (the share of rows in their width's group, weighted by width) times
//! how many of its cells look like a value of some type: a wrong delimiter
//! makes rows ragged, a wrong quote swallows lines, a missing `, ` leaves
//! spaces in front of numbers. The structure around the table (preamble,
//! comment lines, header rows, a units row, a trailing delimiter, R's
//! unnamed row-name column) is then read off the rows of the chosen
//! dialect. Footers, bad rows and a second table are found while reading
//! the whole file (see `ops::register`).

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use super::dialect::{Dialect, Escape, Layout, ReadOptions, DELIMITERS};
use super::encoding::{self, TextEncoding};
use super::infer::{classify, is_null_token, Inferred};
use super::raw::{open_raw, read_error};
use crate::error::{Error, Result};

/// Bytes of each sample (start, middle, end), at least.
const SAMPLE_BYTES: usize = 64 * 1024;
/// Lines the start sample holds at least (it grows for wide rows, up to
/// [`MAX_SAMPLE_BYTES`]), so that rows of tens of thousands of fields are
/// seen whole.
const SAMPLE_LINES: usize = 8;
const MAX_SAMPLE_BYTES: usize = 16 << 20;
/// Rows of each sample that are scored.
const SAMPLE_ROWS: usize = 200;
/// Header rows the sniffer may join (a name row plus units or sub-names).
const MAX_HEADER_ROWS: usize = 3;

/// One parsed row of a sample and the physical line it starts on.
#[derive(Clone, Debug)]
pub struct Row {
    pub line: u64,
    pub fields: Vec<String>,
}

/// The text samples of a file, decoded.
struct Samples {
    /// The start of the file, whole lines only.
    start: String,
    /// Whole lines from the middle and the end (empty for small and
    /// compressed files).
    others: Vec<String>,
}

/// Works out the encoding, dialect and layout of the table in `path`;
/// what `forced` fixes is taken as given. Also returns the size and
/// whether the file was compressed.
pub fn sniff(path: &Path, forced: &ReadOptions) -> Result<(Layout, u64, bool)> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, "read", e))?
        .len();
    let (mut raw, compressed) = open_raw(path, Arc::default())?;
    let mut head = Vec::with_capacity(SAMPLE_BYTES);
    let mut wanted = SAMPLE_BYTES;
    let head_is_cut = loop {
        (&mut raw)
            .take((wanted - head.len()) as u64)
            .read_to_end(&mut head)
            .map_err(|e| read_error(path, e))?;
        if head.len() < wanted {
            break false;
        }
        let lines = head.iter().filter(|b| **b == b'\n').count();
        if lines >= SAMPLE_LINES || wanted >= MAX_SAMPLE_BYTES {
            break true;
        }
        wanted *= 2;
    };
    let sample_bytes = head.len().max(SAMPLE_BYTES);
    let mut raw_samples = vec![head];
    if !compressed && size > 4 * sample_bytes as u64 {
        let mut file = File::open(path).map_err(|e| Error::io(path, "open", e))?;
        // Even offsets keep UTF-16 code units whole.
        for offset in [(size / 2) & !1, (size - sample_bytes as u64) & !1] {
            let mut chunk = vec![0; sample_bytes];
            file.seek(SeekFrom::Start(offset))
                .and_then(|_| file.read_exact(&mut chunk))
                .map_err(|e| Error::io(path, "read", e))?;
            raw_samples.push(chunk);
        }
    }
    let detected = {
        let slices: Vec<&[u8]> = raw_samples.iter().map(Vec::as_slice).collect();
        encoding::detect(&slices)
    };
    let text_encoding = match forced.encoding {
        Some(encoding) => TextEncoding {
            encoding,
            // A mark of the forced encoding is still not data.
            bom: encoding::bom(&raw_samples[0])
                .filter(|b| b.encoding == encoding)
                .map_or(0, |b| b.bom),
        },
        None => detected,
    };
    let samples = decode_samples(&raw_samples, text_encoding, head_is_cut);
    if samples.start.trim().is_empty() {
        return Err(Error::General(format!(
            "{}: the file is empty",
            path.display()
        )));
    }
    let dialect = choose_dialect(&samples, forced, extension_delimiter(path));
    let mut layout = find_table(&samples, dialect, forced);
    layout.encoding = text_encoding;
    layout.forced = forced_names(forced);
    Ok((layout, size, compressed))
}

fn forced_names(forced: &ReadOptions) -> Vec<&'static str> {
    let mut names = Vec::new();
    let flags: [(&'static str, bool); 7] = [
        ("encoding", forced.encoding.is_some()),
        ("delimiter", forced.delimiter.is_some()),
        ("quote", forced.quote.is_some()),
        ("escape", forced.escape.is_some()),
        ("comment", forced.comment.is_some()),
        ("skip_rows", forced.skip_rows.is_some()),
        ("header_rows", forced.header_rows.is_some()),
    ];
    for (name, is_forced) in flags {
        if is_forced {
            names.push(name);
        }
    }
    names
}

fn decode_samples(raw: &[Vec<u8>], text_encoding: TextEncoding, head_is_cut: bool) -> Samples {
    let decode = |bytes: &[u8]| encoding::decode_sample(text_encoding.encoding, bytes);
    let mut start = decode(&raw[0][text_encoding.bom.min(raw[0].len())..]);
    if head_is_cut {
        cut_after_last_line(&mut start);
    }
    let mut others = Vec::new();
    for (index, chunk) in raw.iter().enumerate().skip(1) {
        let text = decode(chunk);
        // The first line of a chunk is cut, and so is the last one of the
        // middle chunk.
        let Some(first_break) = text.find(['\n', '\r']) else {
            continue;
        };
        let mut text = text[first_break..]
            .trim_start_matches(['\n', '\r'])
            .to_string();
        if index + 1 < raw.len() {
            cut_after_last_line(&mut text);
        }
        others.push(text);
    }
    Samples { start, others }
}

fn cut_after_last_line(text: &mut String) {
    if let Some(end) = text.rfind(['\n', '\r']) {
        text.truncate(end + 1);
    }
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

/// Parses `text` into at most `limit` rows, each with its starting line.
pub fn parse_rows(text: &str, dialect: Dialect, limit: usize) -> Vec<Row> {
    let mut reader = dialect.reader(text.as_bytes(), 64 * 1024);
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    while rows.len() < limit {
        match reader.read_byte_record(&mut record) {
            Ok(true) => rows.push(Row {
                line: super::rows::start_line(&record, reader.position().line()),
                fields: record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            }),
            Ok(false) | Err(_) => break,
        }
    }
    rows
}

/// The candidates worth trying on this sample, in order of preference.
fn candidates(text: &str, forced: &ReadOptions, hint: Option<u8>) -> Vec<Dialect> {
    let mut delimiters: Vec<(u8, bool)> = match forced.delimiter {
        Some(delimiter) => vec![delimiter],
        None => DELIMITERS
            .iter()
            .copied()
            .filter(|&(delimiter, space_after)| {
                let bytes = text.as_bytes();
                let alone = bytes.iter().filter(|b| **b == delimiter).count();
                if !space_after {
                    return alone > 0;
                }
                // `, ` only where nearly every delimiter has its space (a
                // comma file with `, ` in a title or in quotes stays `,`).
                let spaced = bytes.windows(2).filter(|w| *w == [delimiter, b' ']).count();
                spaced > 0 && spaced * 10 >= alone * 9
            })
            .collect(),
    };
    if let Some(hint) = hint.filter(|_| forced.delimiter.is_none()) {
        delimiters.retain(|d| *d != (hint, false));
        delimiters.insert(0, (hint, false));
    }
    if delimiters.is_empty() {
        delimiters.push((b',', false));
    }
    let quotes: Vec<Option<u8>> = match forced.quote {
        Some(quote) => vec![quote],
        None => [Some(b'"'), None, Some(b'\'')]
            .into_iter()
            .filter(|q| q.is_none_or(|q| q == b'"' || text.as_bytes().contains(&q)))
            .collect(),
    };
    let mut dialects = Vec::new();
    for &(delimiter, space_after) in &delimiters {
        for &quote in &quotes {
            let escapes: Vec<Escape> = match (forced.escape, quote) {
                (Some(escape), _) => vec![escape],
                (None, None) => vec![Escape::Double],
                (None, Some(q)) => {
                    let escaped = [b'\\', q];
                    if text.as_bytes().windows(2).any(|w| w == escaped) {
                        vec![Escape::Backslash, Escape::Double]
                    } else {
                        vec![Escape::Double]
                    }
                }
            };
            for escape in escapes {
                dialects.push(Dialect {
                    delimiter,
                    space_after,
                    quote,
                    escape,
                    comment: None,
                });
            }
        }
    }
    dialects
}

/// Whether a cell looks like a value rather than a piece of a wrongly
/// split one: empty, typed, or plain text without delimiter or quote
/// characters and without spaces at its ends.
fn is_clean_cell(cell: &str, dialect: &Dialect) -> bool {
    if is_null_token(cell.as_bytes()) {
        return true;
    }
    if cell.trim() != cell {
        return false;
    }
    if classify(cell) != Inferred::Text {
        return true;
    }
    if dialect.delimiter != b',' && is_decimal_comma(cell) {
        return true;
    }
    !cell
        .bytes()
        .any(|b| matches!(b, b',' | b';' | b'\t' | b'|' | b'"' | b'\'' | b'\\'))
}

/// `1234,56`, `-0,5`: a number written with a decimal comma.
pub fn is_decimal_comma(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let Some((whole, fraction)) = digits.split_once(',') else {
        return false;
    };
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// Consistency of the rows (CleverCSV's pattern score over row widths)
/// times the share of clean cells.
fn score(chunks: &[Vec<Row>], dialect: &Dialect) -> f64 {
    let mut widths: HashMap<usize, usize> = HashMap::new();
    let (mut clean, mut cells) = (0usize, 0usize);
    for row in chunks.iter().flatten() {
        *widths.entry(row.fields.len()).or_default() += 1;
        cells += row.fields.len();
        clean += row
            .fields
            .iter()
            .filter(|c| is_clean_cell(c, dialect))
            .count();
    }
    if widths.is_empty() {
        return 0.0;
    }
    let pattern: f64 = widths
        .iter()
        .map(|(&width, &count)| count as f64 * (width as f64 - 1.0) / width as f64)
        .sum::<f64>()
        / widths.len() as f64;
    let types = clean as f64 / cells.max(1) as f64;
    pattern * types.max(0.01)
}

fn chunks_for(samples: &Samples, dialect: Dialect) -> Vec<Vec<Row>> {
    std::iter::once(&samples.start)
        .chain(&samples.others)
        .map(|text| parse_rows(text, dialect, SAMPLE_ROWS))
        .collect()
}

fn choose_dialect(samples: &Samples, forced: &ReadOptions, hint: Option<u8>) -> Dialect {
    let all_text: String = std::iter::once(samples.start.as_str())
        .chain(samples.others.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("\n");
    let mut best: Option<(f64, Dialect)> = None;
    for dialect in candidates(&all_text, forced, hint) {
        let value = score(&chunks_for(samples, dialect), &dialect);
        // Strictly better only: earlier candidates win ties.
        if best.is_none_or(|(top, _)| value > top * (1.0 + 1e-9)) {
            best = Some((value, dialect));
        }
    }
    let mut dialect = best.map(|(_, d)| d).unwrap_or_default();
    dialect.comment = match forced.comment {
        Some(comment) => comment,
        None => detect_comment(samples, dialect),
    };
    dialect
}

/// `#` starts comment lines when lines start with it and none of them has
/// the table's width (then they are data that happens to start with `#`).
fn detect_comment(samples: &Samples, dialect: Dialect) -> Option<u8> {
    let rows: Vec<Row> = chunks_for(samples, dialect).into_iter().flatten().collect();
    let width = modal_width(&rows);
    let hashed: Vec<&Row> = rows
        .iter()
        .filter(|r| r.fields.first().is_some_and(|f| f.starts_with('#')))
        .collect();
    (!hashed.is_empty() && width > 1 && hashed.iter().all(|r| r.fields.len() != width))
        .then_some(b'#')
}

/// The most common row width (the wider one on a tie).
fn modal_width(rows: &[Row]) -> usize {
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for row in rows {
        *counts.entry(row.fields.len()).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|&(width, count)| (count, width))
        .map_or(1, |(width, _)| width)
}

fn line_terminator(text: &str) -> &'static str {
    let crlf = text.matches("\r\n").count();
    let cr = text.matches('\r').count() - crlf;
    let lf = text.matches('\n').count() - crlf;
    if crlf >= cr && crlf >= lf && crlf > 0 {
        "CRLF"
    } else if cr > lf {
        "CR"
    } else {
        "LF"
    }
}

fn find_table(samples: &Samples, dialect: Dialect, forced: &ReadOptions) -> Layout {
    let chunks = chunks_for(samples, dialect);
    let all: Vec<Row> = chunks.iter().flatten().cloned().collect();
    let mut width = modal_width(&all);
    let start_rows = &chunks[0];
    let mut layout = Layout {
        encoding: TextEncoding::UTF8,
        dialect,
        line_terminator: line_terminator(&samples.start),
        skip_rows: 0,
        header_rows: 1,
        width,
        trailing_delimiter: false,
        unnamed_first_column: false,
        forced: Vec::new(),
    };
    // The table starts at the first row of its width (or one less: R's
    // header, or a header without the trailing delimiter of the data) that
    // is followed by a row of its width.
    let start = match forced.skip_rows {
        Some(skip) => {
            layout.skip_rows = skip;
            start_rows
                .iter()
                .position(|r| r.line > skip)
                .unwrap_or(start_rows.len())
        }
        None => {
            let fits = |index: usize| {
                let row: &Row = &start_rows[index];
                let next = start_rows.get(index + 1);
                let own = row.fields.len();
                (own == width || (own + 1 == width && width > 1 && !is_blank(row)))
                    && next.is_none_or(|n| n.fields.len() == width)
                    && !is_sparse_line(row, &start_rows[index + 1..], width)
            };
            let mut start = (0..start_rows.len()).find(|&i| fits(i)).unwrap_or(0);
            // The file opens with a table of another width, followed by
            // a larger one: the first table is the table (the others are
            // further tables, not loaded).
            if let Some((first, first_width)) = leading_block(&start_rows[..start]) {
                start = first;
                width = first_width;
                layout.width = first_width;
            }
            // A row one short followed by a header-like row is a preamble
            // line, not a header.
            let start = if start_rows
                .get(start)
                .is_some_and(|r| r.fields.len() + 1 == width)
                && start + 2 < start_rows.len()
                && header_votes(&start_rows[start + 1..]) > 0
            {
                start + 1
            } else {
                start
            };
            if start > 0 {
                layout.skip_rows = start_rows[start].line.saturating_sub(1);
            }
            start
        }
    };
    let table = &start_rows[start.min(start_rows.len())..];
    let Some(first) = table.first() else {
        return layout;
    };
    let body: Vec<&Row> = table[1..]
        .iter()
        .chain(chunks[1..].iter().flatten())
        .filter(|r| r.fields.len() == width)
        .collect();
    let last_empty = |row: &Row| row.fields.last().is_some_and(|f| f.is_empty());
    let body_trailing = width > 1 && !body.is_empty() && body.iter().all(|r| last_empty(r));
    if first.fields.len() + 1 == width {
        if body_trailing {
            layout.trailing_delimiter = true;
            layout.width = width - 1;
        } else {
            layout.unnamed_first_column = true;
        }
        layout.header_rows = 1;
    } else if body_trailing && last_empty(first) {
        // Every row, the header too, ends with the delimiter.
        layout.trailing_delimiter = true;
        layout.width = width - 1;
    }
    if let Some(rows) = forced.header_rows {
        layout.header_rows = rows;
        return layout;
    }
    if layout.unnamed_first_column || (layout.trailing_delimiter && first.fields.len() < width) {
        layout.header_rows = 1;
    } else {
        layout.header_rows = usize::from(looks_like_header(table));
    }
    // Further rows that do not fit the body's types (a units row, the
    // second line of a long name) join the header.
    if layout.header_rows == 1 {
        while layout.header_rows < MAX_HEADER_ROWS {
            let index = layout.header_rows;
            let Some(row) = table.get(index) else { break };
            if table.len() < index + 3 || row.fields.len() != first.fields.len() {
                break;
            }
            // An empty row padded to the width between the header's lines
            // (or under them) separates; it holds no data.
            if filled(row) == 0 && table[index + 1..].iter().any(|r| filled(r) > 0) {
                layout.header_rows += 1;
                continue;
            }
            if !is_header_continuation(row, &table[index + 1..]) {
                break;
            }
            layout.header_rows += 1;
        }
    }
    layout
}

/// Rows a table at the top of the file needs (its header and data) to be
/// taken over a larger table of another width below it.
const LEADING_TABLE_ROWS: usize = 5;

/// A table that opens the file (after empty or sparse lines only): a row
/// of names over at least four rows of its width, some with numbers or
/// dates, all of one width of three or more. Its first row and width.
fn leading_block(rows: &[Row]) -> Option<(usize, usize)> {
    let first = rows.iter().position(|r| filled(r) > 0)?;
    let head = &rows[first];
    let width = head.fields.len();
    if width < 3
        || head.fields.iter().any(|f| {
            let f = f.trim();
            !f.is_empty() && classify_cell(f) != Inferred::Text
        })
        || filled(head) < 2
    {
        return None;
    }
    let block: Vec<&Row> = rows[first..]
        .iter()
        .take_while(|r| r.fields.len() == width && filled(r) > 0)
        .collect();
    let typed = block[1..].iter().any(|r| {
        r.fields
            .iter()
            .any(|f| !matches!(classify_cell(f.trim()), Inferred::Text | Inferred::Null))
    });
    (block.len() >= LEADING_TABLE_ROWS && typed).then_some((first, width))
}

/// Cells of a row that hold something.
fn filled(row: &Row) -> usize {
    row.fields.iter().filter(|f| !f.trim().is_empty()).count()
}

/// A row padded to the table's width that is not the table: empty (a
/// spreadsheet's blank line, `,,,,`), or with at most three filled cells
/// (a title, a date, a source note) where the rows below of that width
/// are at least twice as full. Such a row starts no table.
fn is_sparse_line(row: &Row, below: &[Row], width: usize) -> bool {
    let own = filled(row);
    if own == 0 {
        return width > 1;
    }
    if own > 3 || width < 3 {
        return false;
    }
    let mut dense: Vec<usize> = below
        .iter()
        .filter(|r| r.fields.len() == width)
        .take(8)
        .map(filled)
        .collect();
    if dense.is_empty() {
        return false;
    }
    dense.sort_unstable();
    let median = dense[dense.len() / 2];
    own * 2 <= median && own < width / 2 + 1
}

fn is_blank(row: &Row) -> bool {
    row.fields.iter().all(|f| f.trim().is_empty())
}

/// The type of each column over `rows` (null cells ignored).
fn column_types(rows: &[Row], columns: usize) -> Vec<Inferred> {
    let mut types = vec![Inferred::Null; columns];
    for row in rows {
        for (index, value) in row.fields.iter().enumerate().take(columns) {
            if !is_null_token(value.as_bytes()) {
                types[index] = types[index].join(classify_cell(value));
            }
        }
    }
    types
}

/// `classify`, reading a decimal comma as a number (a `,`-delimited file
/// has none in unquoted cells, so this only matters for the others).
fn classify_cell(value: &str) -> Inferred {
    match classify(value) {
        Inferred::Text if is_decimal_comma(value) => Inferred::Float,
        found => found,
    }
}

/// A row under the header that no typed column's values agree with (a
/// units row: `kg`, `cm`, blank over an ID column).
fn is_header_continuation(row: &Row, body: &[Row]) -> bool {
    let types = column_types(body, row.fields.len());
    let (mut fits, mut misfits) = (0, 0);
    for (value, column) in row.fields.iter().zip(types) {
        if matches!(column, Inferred::Null | Inferred::Text) || is_null_token(value.as_bytes()) {
            continue;
        }
        if column.join(classify_cell(value)) == column {
            fits += 1;
        } else {
            misfits += 1;
        }
    }
    misfits > 0 && fits == 0
}

/// The first row is a header unless it looks like data: a vote per column
/// whose values in later rows share a type that the first row's value does
/// (or does not) have. An empty first name over a filled column (R's row
/// names) is a header; so is a quoted number over unquoted ones. Files with
/// a single row are taken to have a header.
pub fn looks_like_header(records: &[Row]) -> bool {
    header_votes(records) >= 0
}

/// Columns whose first value disagrees with the type of the rest, minus
/// those where it agrees (`i32::MAX` when the first name is empty over
/// filled row names).
fn header_votes(records: &[Row]) -> i32 {
    let Some((first, rest)) = records.split_first() else {
        return 0;
    };
    if rest.is_empty() {
        return 0;
    }
    let types = column_types(rest, first.fields.len());
    let mut votes = 0i32;
    for (index, (head, column)) in first.fields.iter().zip(&types).enumerate() {
        if index == 0
            && head.is_empty()
            && first.fields.len() > 1
            && rest
                .iter()
                .all(|r| r.fields.first().is_some_and(|f| !f.is_empty()))
        {
            return i32::MAX;
        }
        if matches!(column, Inferred::Null | Inferred::Text) {
            continue;
        }
        if head.is_empty() || is_null_token(head.as_bytes()) {
            continue;
        }
        if column.join(classify_cell(head)) == *column {
            votes -= 1;
        } else {
            votes += 1;
        }
    }
    votes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(text: &str) -> Layout {
        let samples = Samples {
            start: text.to_string(),
            others: Vec::new(),
        };
        let forced = ReadOptions::default();
        let dialect = choose_dialect(&samples, &forced, None);
        find_table(&samples, dialect, &forced)
    }

    #[test]
    fn delimiters_are_chosen_by_consistency_and_clean_cells() {
        assert_eq!(layout("a;b\n1,5;2\n3,25;4\n").dialect.delimiter, b';');
        let spaced = layout("a, b, c\n1, 2, 3\n4, 5, 6\n");
        assert_eq!(
            (spaced.dialect.delimiter, spaced.dialect.space_after),
            (b',', true)
        );
        assert_eq!(layout("a b c\n1 2 3\n4 5 6\n").dialect.delimiter, b' ');
        assert_eq!(layout("a|b\n1|x,y\n2|z\n").dialect.delimiter, b'|');
    }

    #[test]
    fn preambles_units_rows_and_trailing_delimiters_are_found() {
        let found = layout(
            "Created as New Dataset, Sample 022\n\nid,weight,height\n1,2.5,3\n2,3.5,4\n3,4.5,5\n",
        );
        assert_eq!((found.skip_rows, found.header_rows, found.width), (2, 1, 3));
        let units = layout("id,weight,height\n,kg,cm\n1,2.5,3\n2,3.5,4\n3,4.5,5\n");
        assert_eq!(units.header_rows, 2);
        let trailing = layout("a,b\n1,2,\n3,4,\n5,6,\n");
        assert!(trailing.trailing_delimiter);
        assert_eq!(trailing.width, 2);
        let r = layout("\"\",\"x\",\"y\"\n\"1\",1,2\n\"2\",3,4\n");
        assert_eq!(r.header_rows, 1);
        let headerless = layout("1,2.5,a\n2,3.5,b\n3,4.5,c\n");
        assert_eq!(headerless.header_rows, 0);
    }
}
