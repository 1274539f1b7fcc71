//! Pass 1 over a source file: sniff the table of delimited text and infer
//! every column's type over the whole file, deciding where the table ends
//! (a footer or a further table) and which rows do not fit; or, for a
//! typed source, take the names and types its reader gives.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::dialect::{Layout, ReadOptions};
use super::infer::{classify, is_null_token, Inferred};
use super::plan::{storage_names, TablePlan};
use super::reader::{self, CsvFormat};
use super::rows::{self, Fit, Outcome};
use super::spellings::{Allowed, Candidates, Resolution};
use super::{dispatch, ReaderKind, SourceFile};
use crate::config::BadRows;
use crate::error::{Error, Result};
use crate::interrupt;
use crate::model::spelling::Spelling;
use crate::model::ColumnDef;
use crate::ui::Ui;

/// Rows of another width buffered at most while deciding whether they are
/// a footer (they end the file) or bad rows (a fitting row follows).
const MAX_FOOTER_ROWS: usize = 50;

/// A run of consecutive rows that do not fit the table.
#[derive(Default)]
struct IrregularRun {
    /// Line, field count and (in `pad` mode, for short rows) the fields.
    rows: Vec<(u64, usize, Option<csv::ByteRecord>)>,
    /// Rows in the run (more than `rows` once it is too long to buffer).
    count: u64,
    /// Every row holds at most a note in its first field.
    notes_only: bool,
    /// The run starts after blank or comment lines.
    after_gap: bool,
    /// `pad` mode, a run after a gap too long to buffer: the short rows
    /// beyond the buffer, counted and inferred into a copy of the column
    /// types that the run adopts if it turns out to be bad rows (and drops
    /// if it ends the table).
    padded_beyond: u64,
    pending_types: Option<Vec<Inferred>>,
    /// The run so far is a table of its own: a header-like first row and
    /// rows of the same width (`typed_rows`: some hold numbers or dates).
    table_like: bool,
    typed_rows: bool,
}

impl IrregularRun {
    /// A further table that follows the first without a blank line: a
    /// header of names over rows of one other width, some of them typed.
    fn is_further_table(&self) -> bool {
        self.table_like && self.typed_rows && self.count >= 2
    }
}

/// A row that could head a table: two or more filled fields, all names
/// (not numbers or dates).
fn is_header_like(record: &csv::ByteRecord) -> bool {
    let mut filled = 0;
    for field in record.iter() {
        // Bytes that are not UTF-8 are not a number or a date: a name.
        let text = std::str::from_utf8(field).unwrap_or("x").trim();
        if text.is_empty() {
            continue;
        }
        if classify(text) != Inferred::Text {
            return false;
        }
        filled += 1;
    }
    filled >= 2
}

/// A row with a number, date or boolean in it.
fn has_typed_field(record: &csv::ByteRecord) -> bool {
    record.iter().any(|field| {
        let text = std::str::from_utf8(field).unwrap_or("").trim();
        !text.is_empty()
            && !is_null_token(field)
            && !matches!(classify(text), Inferred::Text | Inferred::Null)
    })
}

/// Pass 1: sniff the table and infer every column's type over the whole
/// file; decide where the table ends (a footer or a further table) and
/// which rows do not fit.
pub fn infer_table(
    source: SourceFile,
    read: &ReadOptions,
    bad_rows: BadRows,
    ui: &Ui,
) -> Result<TablePlan> {
    if source.reader != ReaderKind::Delimited {
        return infer_typed_table(source, ui);
    }
    let format = reader::sniff(&source.path, read)?;
    let counter = Arc::new(AtomicU64::new(0));
    let bar = ui.progress(format.size, &format!("scan {}", source.table));
    let mut csv = reader::csv_reader(&format, counter.clone())?;
    let mut scan = Pass::new(&source.path, &format, read, bad_rows);
    let mut record = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => return Err(reader::csv_error(&source.path, err)),
        }
        let start = rows::start_line(&record, csv.position().line());
        if scan.row(&record, start, csv.position().line())? == Step::TableEnded {
            break;
        }
        if scan.outcome.rows_loaded.is_multiple_of(65_536) {
            interrupt::check()?;
            bar.set_position(counter.load(Ordering::Relaxed));
        }
    }
    bar.finish_and_clear();
    scan.end_of_rows()?;
    // A quoted field that is never closed runs to the end of the file, so
    // the last field ends with the file's final line break but the file
    // does not end with a closing quote.
    if let Some(line) = scan.open_quote_line {
        if !csv.get_ref().get_ref().ends_with_quote() {
            return Err(Error::General(format!(
                "{}: line {line}: a quoted field that starts in this record is never closed",
                source.path.display()
            )));
        }
    }
    let (names, columns, spellings) = scan.columns();
    let Pass {
        outcome,
        widest_record,
        end_line,
        ..
    } = scan;
    Ok(TablePlan {
        source,
        rows: outcome.rows_loaded,
        format,
        original_names: names,
        columns,
        widest_record,
        spellings,
        column_groups: Vec::new(),
        end_line,
        bad_rows,
        outcome,
    })
}

/// What a row did to the table.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Continue,
    /// A further table starts: the table ended before this row.
    TableEnded,
}

/// Pass 1's state over one delimited table: the header read so far, each
/// column's type and spelling, the irregular rows being weighed, and where
/// the table ends.
struct Pass<'a> {
    path: &'a Path,
    layout: &'a Layout,
    /// Physical lines skipped before the table.
    offset: u64,
    width: usize,
    bad_rows: BadRows,
    header: Vec<Vec<String>>,
    names: Vec<String>,
    types: Vec<Inferred>,
    /// Where cell errors point, and the spellings seen per column.
    marks: Marks<'a>,
    /// Spellings the user gave (`--date-format`, an export's sidecar), by
    /// column name, until the header is known.
    forced: Vec<(String, Spelling)>,
    outcome: Outcome,
    widest_record: u64,
    run: IrregularRun,
    end_line: Option<u64>,
    next_line: u64,
    /// The line of the last record when its last field ends with a line
    /// break (only an unclosed quote, or a quoted break, does that).
    open_quote_line: Option<u64>,
}

impl<'a> Pass<'a> {
    fn new(path: &'a Path, format: &'a CsvFormat, read: &ReadOptions, bad_rows: BadRows) -> Self {
        let layout = &format.layout;
        let width = layout.width;
        Pass {
            path,
            layout,
            offset: layout.skip_rows,
            width,
            bad_rows,
            header: Vec::new(),
            names: Vec::new(),
            types: vec![Inferred::Null; width],
            marks: Marks {
                path,
                offset: layout.skip_rows,
                width,
                allowed: Allowed {
                    decimal_comma: match read.decimal {
                        Some(separator) => separator == b',',
                        None => layout.dialect.delimiter != b',',
                    },
                    decimal_point: read.decimal != Some(b','),
                },
                dotted: vec![false; width],
                spelled: vec![None; width],
            },
            forced: read.formats.clone(),
            outcome: Outcome::default(),
            widest_record: 0,
            run: IrregularRun::default(),
            end_line: None,
            next_line: 1,
            open_quote_line: None,
        }
    }

    /// One record starting on physical line `start` (of the table's text);
    /// `next_line` is the reader's line after it.
    fn row(&mut self, record: &csv::ByteRecord, start: u64, next_line: u64) -> Result<Step> {
        let line = start + self.offset;
        let after_gap = start > self.next_line && self.header.len() == self.layout.header_rows;
        if after_gap {
            self.outcome
                .note_skipped(self.next_line + self.offset, line);
        }
        self.next_line = next_line;
        if self.header.len() < self.layout.header_rows {
            self.header
                .push(header_row(self.path, self.layout, record, line)?);
            if self.header.len() == self.layout.header_rows {
                self.names = join_header(&self.header);
            }
            return Ok(Step::Continue);
        }
        if self.names.is_empty() {
            self.names = (1..=self.width).map(|i| format!("column_{i}")).collect();
        }
        if !self.forced.is_empty() {
            self.apply_forced();
        }
        // The same header again after a gap: a second table starts.
        if after_gap && !self.header.is_empty() && self.run.count == 0 {
            let row: Vec<&[u8]> = record.iter().collect();
            if row
                .iter()
                .zip(&self.header[0])
                .all(|(a, b)| *a == b.as_bytes())
                && row.len() >= self.header[0].len()
            {
                self.end_line = Some(line);
                self.outcome.more_tables = true;
                return Ok(Step::TableEnded);
            }
        }
        let last = record.iter().next_back().unwrap_or_default();
        self.open_quote_line = (last.ends_with(b"\n") || last.ends_with(b"\r")).then_some(line);
        self.widest_record = self.widest_record.max(record.as_slice().len() as u64);
        match rows::fit(self.layout, record) {
            Fit::Fits => {
                if self.run.count > 0 {
                    self.settle()?;
                }
                self.outcome.rows_loaded += 1;
                infer_cells(record, &self.names, &mut self.types, &mut self.marks)?;
                Ok(Step::Continue)
            }
            fit => self.irregular(record, fit, line, after_gap),
        }
    }

    /// A row of another width: part of a footer, a further table or bad
    /// rows, decided once the run of such rows ends.
    fn irregular(
        &mut self,
        record: &csv::ByteRecord,
        fit: Fit,
        line: u64,
        after_gap: bool,
    ) -> Result<Step> {
        let run = &mut self.run;
        if run.count == 0 {
            run.notes_only = true;
            run.after_gap = after_gap;
            run.table_like = record.len() > 1 && is_header_like(record);
        } else {
            run.table_like &= run.rows.first().is_some_and(|r| r.1 == record.len());
            run.typed_rows |= has_typed_field(record);
        }
        run.count += 1;
        run.notes_only &= is_footer_note(record, self.types.first().copied());
        let keep = (self.bad_rows == BadRows::Pad && fit == Fit::Short).then(|| record.clone());
        if run.rows.len() < MAX_FOOTER_ROWS || !run.after_gap {
            run.rows.push((line, record.len(), keep));
        } else if keep.is_some() {
            let pending = run.pending_types.get_or_insert_with(|| self.types.clone());
            infer_cells(record, &self.names, pending, &mut self.marks)?;
            run.padded_beyond += 1;
        }
        if run.rows.len() >= MAX_FOOTER_ROWS && !run.after_gap && run.is_further_table() {
            // Another table follows directly: the first ends here.
            self.end_line = Some(run.rows[0].0);
            self.outcome.more_tables = true;
            self.run = IrregularRun::default();
            self.open_quote_line = None;
            return Ok(Step::TableEnded);
        }
        if run.rows.len() >= MAX_FOOTER_ROWS && !run.after_gap {
            // Too long for a footer: these are bad rows, this one included
            // (a short one is padded as the load will).
            self.settle()?;
        }
        Ok(Step::Continue)
    }

    /// The run of irregular rows as bad rows (rejected, or padded and typed).
    fn settle(&mut self) -> Result<()> {
        if let Some(pending) = self.run.pending_types.take() {
            self.types = pending;
        }
        let (names, types, marks) = (&self.names, &mut self.types, &mut self.marks);
        settle_run(
            self.path,
            self.width,
            self.bad_rows,
            &mut self.run,
            &mut self.outcome,
            &mut |r| infer_cells(r, names, types, marks),
        )
    }

    /// After the last row: an empty file, and a run of rows of another
    /// width that ends the file — a footer when it holds notes only, a
    /// further table when it follows a gap or starts with a header of its
    /// own, else bad rows.
    fn end_of_rows(&mut self) -> Result<()> {
        if self.header.len() < self.layout.header_rows && self.header.is_empty() {
            return Err(Error::General(format!(
                "{}: the file is empty",
                self.path.display()
            )));
        }
        if self.names.is_empty() {
            self.names = if self.header.is_empty() {
                (1..=self.width).map(|i| format!("column_{i}")).collect()
            } else {
                join_header(&self.header)
            };
        }
        let run = &self.run;
        if run.count > 0 {
            if run.notes_only || run.after_gap || run.is_further_table() {
                self.end_line = Some(run.rows[0].0);
                // Rows of one width (beyond a note) make a table; anything
                // else after the gap is a footer.
                let first_width = run.rows[0].1;
                self.outcome.more_tables = !run.notes_only
                    && first_width > 1
                    && run.count > 1
                    && run.rows.iter().all(|r| r.1 == first_width);
                self.open_quote_line = None;
            } else if run.count as usize > run.rows.len() {
                return Err(Error::General(format!(
                    "{}: line {}: {} rows of {} fields after a blank line, then rows of the table's {}; give --skip-rows or --bad-rows skip",
                    self.path.display(),
                    run.rows[0].0,
                    run.count,
                    run.rows[0].1,
                    self.width
                )));
            } else {
                self.settle()?;
            }
        }
        self.outcome.ignored_from_line = self.end_line;
        Ok(())
    }

    /// The spellings given for columns of this file, now that its header
    /// is known (a name of no column here may be another file's).
    fn apply_forced(&mut self) {
        let stored = storage_names(&self.names);
        for (name, spelling) in std::mem::take(&mut self.forced) {
            let found = self
                .names
                .iter()
                .zip(&stored)
                .position(|(original, stored)| original.trim() == name || *stored == name);
            if let Some(index) = found {
                self.marks.spelled[index] = Some(Candidates::forced(spelling));
            }
        }
    }

    /// The header as read, the stored columns with their types, and each
    /// column's spelling (recorded in the outcome, with the columns left as
    /// text because their values read two ways).
    fn columns(&mut self) -> (Vec<String>, Vec<ColumnDef>, Vec<Option<Spelling>>) {
        let names_stored = storage_names(&self.names);
        let mut spellings = vec![None; self.width];
        let evidence: Vec<_> = self
            .marks
            .spelled
            .iter()
            .flatten()
            .filter_map(Candidates::decided)
            .collect();
        for (index, candidates) in self.marks.spelled.iter().enumerate() {
            let Some(candidates) = candidates else {
                continue;
            };
            let name = &names_stored[index];
            match candidates.resolve(name, &evidence) {
                Resolution::Spelled(spelling, found) => {
                    self.types[index] = found;
                    if spelling.is_decimal_comma() {
                        self.outcome.decimal_comma_columns.push(name.clone());
                    }
                    self.outcome.formats.insert(name.clone(), spelling.text());
                    spellings[index] = Some(spelling);
                }
                Resolution::Text(why) => {
                    self.types[index] = Inferred::Text;
                    self.outcome.left_as_text.insert(name.clone(), why);
                }
            }
        }
        let columns = names_stored
            .into_iter()
            .zip(&self.types)
            .map(|(name, inferred)| ColumnDef {
                name,
                column_type: inferred.column_type(),
            })
            .collect();
        (std::mem::take(&mut self.names), columns, spellings)
    }
}

/// What inferring a row's cells needs besides the types: where errors
/// point, and the per-column spellings it narrows.
struct Marks<'a> {
    path: &'a Path,
    offset: u64,
    width: usize,
    allowed: Allowed,
    /// Per column: a plain value had a decimal point that is no group mark
    /// (so a comma cannot be the decimal mark).
    dotted: Vec<bool>,
    /// Per column: the readings still possible once a value was not a
    /// plain number or ISO date.
    spelled: Vec<Option<Candidates>>,
}

/// Joins each cell's type into its column's (`types`), or narrows the
/// column's spellings once it has some.
fn infer_cells(
    record: &csv::ByteRecord,
    names: &[String],
    types: &mut [Inferred],
    marks: &mut Marks,
) -> Result<()> {
    if record.as_slice().contains(&0) {
        return Err(nul_error(marks.path, record, names, marks.offset));
    }
    for (index, field) in record.iter().enumerate().take(marks.width) {
        let current = types[index];
        if current == Inferred::Text || is_null_token(field) {
            continue;
        }
        let text = std::str::from_utf8(field)
            .map_err(|_| utf8_error(marks.path, record, &names[index], marks.offset))?;
        if let Some(candidates) = &mut marks.spelled[index] {
            if !candidates.admit(text) {
                if candidates.forced {
                    let format = candidates.text();
                    return Err(forced_error(marks, record, &names[index], text, &format));
                }
                marks.spelled[index] = None;
                types[index] = Inferred::Text;
            }
            continue;
        }
        let found = classify(text);
        if found == Inferred::Text && current != Inferred::Text {
            match Candidates::open(text, current, marks.dotted[index], marks.allowed) {
                Some(candidates) => marks.spelled[index] = Some(candidates),
                None => types[index] = Inferred::Text,
            }
            continue;
        }
        if found == Inferred::Float
            && marks.allowed.decimal_comma
            && !marks.dotted[index]
            && text.contains('.')
            && !is_point_grouped(text)
        {
            marks.dotted[index] = true;
        }
        types[index] = current.join(found);
    }
    Ok(())
}

/// `1.234`, `-12.345.678`: an integer with points between groups of three
/// digits (a plain float to the plain parsers, a thousand where the comma
/// is the decimal mark).
fn is_point_grouped(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut groups = digits.split('.');
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len())
        && !first.starts_with('0')
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// A value of a column the user gave a spelling for that is not in it.
fn forced_error(
    marks: &Marks,
    record: &csv::ByteRecord,
    column: &str,
    value: &str,
    format: &str,
) -> Error {
    let shown: String = value.chars().take(40).collect();
    Error::General(format!(
        "{}: line {}, column '{column}': `{shown}` is not written as {} (the format given for it)",
        marks.path.display(),
        record.position().map_or(0, |p| p.line()) + marks.offset,
        format
    ))
}

/// A row that can end the table as a footer: only a first field, which
/// is not a value of the first column (a truncated last row is one) or,
/// over a text column, a sentence of several words.
fn is_footer_note(record: &csv::ByteRecord, first_column: Option<Inferred>) -> bool {
    if !rows::is_note(record) {
        return false;
    }
    let Some(Ok(note)) = record.get(0).map(std::str::from_utf8) else {
        return false;
    };
    let note = note.trim();
    if note.is_empty() {
        return false;
    }
    match first_column.unwrap_or(Inferred::Null) {
        Inferred::Text | Inferred::Null => note.split_whitespace().count() >= 3,
        column => column.join(classify(note)) != column,
    }
}

/// Decides a run of rows that do not fit, now that a fitting row follows:
/// an error (the default), or rejected and padded rows.
fn settle_run(
    path: &Path,
    width: usize,
    bad_rows: BadRows,
    run: &mut IrregularRun,
    outcome: &mut Outcome,
    infer: &mut dyn FnMut(&csv::ByteRecord) -> Result<()>,
) -> Result<()> {
    let run = std::mem::take(run);
    if bad_rows == BadRows::Error {
        let (line, found, _) = run.rows[0];
        return Err(bad_row_error(path, line, width, found));
    }
    let buffered = run.rows.len() as u64;
    for (_, found, record) in run.rows {
        match record {
            Some(record) if found < width => {
                outcome.rows_padded += 1;
                outcome.rows_loaded += 1;
                infer(&record)?;
            }
            _ => outcome.rows_rejected += 1,
        }
    }
    // Rows beyond the buffer: short ones padded (`pad`), the rest rejected.
    outcome.rows_padded += run.padded_beyond;
    outcome.rows_loaded += run.padded_beyond;
    outcome.rows_rejected += run.count - buffered - run.padded_beyond;
    Ok(())
}

fn bad_row_error(path: &Path, line: u64, width: usize, found: usize) -> Error {
    Error::General(format!(
        "{}: line {line}: expected {width} fields like the first row, found {found}; --bad-rows skip keeps the other rows (this one goes to _rejects), --bad-rows pad fills short rows with NULL",
        path.display()
    ))
}

/// One header record as names, shaped to the table's width.
fn header_row(
    path: &Path,
    layout: &Layout,
    record: &csv::ByteRecord,
    line: u64,
) -> Result<Vec<String>> {
    let mut names = Vec::with_capacity(layout.width);
    if layout.unnamed_first_column {
        names.push(String::new());
    }
    for (index, field) in record.iter().enumerate() {
        let name = std::str::from_utf8(field).map_err(|_| {
            Error::General(format!(
                "{}: line {line}: header field {} is not valid UTF-8; give the file's encoding with --encoding",
                path.display(),
                index + 1
            ))
        })?;
        names.push(name.to_string());
    }
    while names.len() > layout.width && names.last().is_some_and(|n| n.is_empty()) {
        names.pop();
    }
    if names.len() != layout.width {
        return Err(Error::General(format!(
            "{}: line {line}: the header has {} names but the rows have {} fields; give --header-rows or --skip-rows",
            path.display(),
            names.len(),
            layout.width
        )));
    }
    Ok(names)
}

/// Header rows joined per column with a space (`weight` over `kg` is
/// `weight kg`); blank parts are left out.
fn join_header(rows: &[Vec<String>]) -> Vec<String> {
    let width = rows.first().map_or(0, Vec::len);
    (0..width)
        .map(|index| {
            rows.iter()
                .map(|row| row[index].trim())
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn nul_error(path: &Path, record: &csv::ByteRecord, names: &[String], offset: u64) -> Error {
    let column = record
        .iter()
        .position(|field| field.contains(&0))
        .and_then(|index| names.get(index))
        .map_or_else(String::new, |name| format!(", column '{name}'"));
    Error::General(format!(
        "{}: line {}{column}: contains a NUL byte (binary data is not CSV text)",
        path.display(),
        record.position().map_or(0, |p| p.line()) + offset
    ))
}

pub(super) fn utf8_error(
    path: &Path,
    record: &csv::ByteRecord,
    column: &str,
    offset: u64,
) -> Error {
    Error::General(format!(
        "{}: line {}, column '{column}': invalid UTF-8; give the file's encoding with --encoding (e.g. --encoding windows-1252)",
        path.display(),
        record.position().map_or(0, |p| p.line()) + offset
    ))
}

/// Pass 1 for a typed source (Parquet, JSON, Excel): its reader gives the
/// names and types; nothing is inferred from text.
fn infer_typed_table(source: SourceFile, ui: &Ui) -> Result<TablePlan> {
    let size = match source.reader {
        ReaderKind::Query(_) => 0,
        _ => std::fs::metadata(&source.path)
            .map_err(|e| Error::io(&source.path, "read", e))?
            .len(),
    };
    let bar = ui.progress(size, &format!("scan {}", source.table));
    let scan = dispatch::scan(&source, Arc::default())?;
    bar.finish_and_clear();
    let names = storage_names(&scan.names);
    let columns = names
        .into_iter()
        .zip(&scan.types)
        .map(|(name, column_type)| ColumnDef {
            name,
            column_type: *column_type,
        })
        .collect();
    // A typed source has no delimited layout; the plan carries its size.
    let width = scan.names.len();
    let format = CsvFormat {
        path: source.path.clone(),
        layout: Layout::typed(width),
        compressed: false,
        size,
        modified: super::reader::modified(&source.path),
    };
    Ok(TablePlan {
        source,
        format,
        original_names: scan.names,
        columns,
        rows: scan.rows,
        widest_record: scan.widest,
        spellings: vec![None; width],
        column_groups: Vec::new(),
        end_line: None,
        bad_rows: BadRows::Error,
        outcome: Outcome {
            rows_loaded: scan.rows,
            ..Outcome::default()
        },
    })
}
