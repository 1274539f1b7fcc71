//! Excel and OpenDocument workbooks (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`,
//! `.ods`): the first sheet unless `--sheet NAME`. The first non-empty row
//! is the header and fixes the table's columns; rows without any value are
//! skipped. Types come from the cells: numbers (INTEGER when every number
//! of the column is whole, else FLOAT), booleans, date cells (DATE when
//! every one is at midnight, else TIMESTAMP) and text, which stays text.
//! Error cells (`#N/A`, `#DIV/0!`) are NULL. `.xlsx` and `.xlsb` sheets are
//! streamed cell by cell; `.xls` (at most 65,536 rows) and `.ods` sheets
//! are read whole, as their formats require.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use calamine::{Data, DataRef, Reader};

use super::infer::Inferred;
use super::typed::{conversion_error, Cell, Output, Scan, MAX_VALUE_BYTES};
use crate::error::{Error, Result};
use crate::model::ColumnDef;
use crate::time;

/// An owned cell value.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Date(i32),
    Datetime(i64),
    Text(String),
}

impl Value {
    fn cell(&self) -> Cell<'_> {
        match self {
            Value::Bool(b) => Cell::Bool(*b),
            Value::Int(i) => Cell::Int(*i),
            Value::Float(f) => Cell::Float(*f),
            Value::Date(d) => Cell::Date(*d),
            Value::Datetime(t) => Cell::Datetime(*t),
            Value::Text(t) => Cell::Text(t),
        }
    }

    /// The cell's type; a whole number counts as an integer.
    fn inferred(&self) -> Inferred {
        match self {
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
                Inferred::Integer
            }
            other => other.cell().inferred(false),
        }
    }

    fn text(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => (*f as i64).to_string(),
            other => other.cell().shown(),
        }
    }
}

fn from_datetime(value: &calamine::ExcelDateTime) -> Value {
    if value.is_duration() {
        return Value::Float(value.as_f64());
    }
    let (year, month, day, hour, minute, second, milli) = value.to_ymd_hms_milli();
    let days = time::days_from_civil(i64::from(year), u32::from(month), u32::from(day));
    let micros = (i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)) * 1_000_000
        + i64::from(milli) * 1000;
    if micros == 0 {
        Value::Date(days as i32)
    } else {
        Value::Datetime(days * 86_400_000_000 + micros)
    }
}

fn from_text(text: &str) -> Option<Value> {
    (!text.is_empty()).then(|| Value::Text(text.to_string()))
}

fn from_iso(text: &str) -> Option<Value> {
    if let Some(days) = time::parse_date(text) {
        Some(Value::Date(days))
    } else if let Some(micros) = time::parse_datetime(text) {
        Some(Value::Datetime(micros))
    } else {
        from_text(text)
    }
}

fn from_data_ref(data: &DataRef) -> Option<Value> {
    match data {
        DataRef::Int(i) => Some(Value::Int(*i)),
        DataRef::Float(f) => Some(Value::Float(*f)),
        DataRef::String(s) => from_text(s),
        DataRef::SharedString(s) => from_text(s),
        DataRef::Bool(b) => Some(Value::Bool(*b)),
        DataRef::DateTime(d) => Some(from_datetime(d)),
        DataRef::DateTimeIso(s) => from_iso(s),
        DataRef::DurationIso(s) => from_text(s),
        DataRef::Error(_) | DataRef::Empty => None,
    }
}

fn from_data(data: &Data) -> Option<Value> {
    match data {
        Data::Int(i) => Some(Value::Int(*i)),
        Data::Float(f) => Some(Value::Float(*f)),
        Data::String(s) => from_text(s),
        Data::Bool(b) => Some(Value::Bool(*b)),
        Data::DateTime(d) => Some(from_datetime(d)),
        Data::DateTimeIso(s) => from_iso(s),
        Data::DurationIso(s) => from_text(s),
        Data::Error(_) | Data::Empty => None,
    }
}

/// The kinds of workbook calamine reads.
enum Kind {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

fn kind(path: &Path) -> Result<Kind> {
    let mut head = [0u8; 4];
    {
        use std::io::Read;
        let mut file = File::open(path).map_err(|e| Error::io(path, "open", e))?;
        let _ = file.read(&mut head);
    }
    if &head != b"PK\x03\x04" {
        return Ok(Kind::Xls);
    }
    let file = File::open(path).map_err(|e| Error::io(path, "open", e))?;
    let archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
        Error::General(format!("{}: not a readable workbook ({e})", path.display()))
    })?;
    let names: Vec<&str> = archive.file_names().collect();
    Ok(if names.contains(&"xl/workbook.bin") {
        Kind::Xlsb
    } else if names.contains(&"xl/workbook.xml") {
        Kind::Xlsx
    } else {
        Kind::Ods
    })
}

fn workbook_error(path: &Path, err: impl std::fmt::Display) -> Error {
    Error::General(format!(
        "{}: not a readable Excel workbook ({err})",
        path.display()
    ))
}

/// The sheet to read: `wanted`, or the first.
fn pick_sheet(path: &Path, names: Vec<String>, wanted: Option<&str>) -> Result<String> {
    match wanted {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .cloned()
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "--sheet: no sheet '{wanted}' in {} (sheets: {})",
                    path.display(),
                    names.join(", ")
                ))
            }),
        None => names.into_iter().next().ok_or_else(|| {
            Error::General(format!("{}: the workbook has no sheets", path.display()))
        }),
    }
}

/// A row: its 1-based sheet row number and its non-empty cells by
/// 0-based sheet column.
type RowCells = [(u32, Value)];

/// Calls `each` for every row with at least one value, in sheet order,
/// until it returns false.
fn for_each_row(
    path: &Path,
    sheet: Option<&str>,
    each: &mut dyn FnMut(u32, &RowCells) -> Result<bool>,
) -> Result<()> {
    macro_rules! stream_cells {
        ($workbook:ty) => {{
            let mut workbook: $workbook =
                calamine::open_workbook(path).map_err(|e| workbook_error(path, e))?;
            let name = pick_sheet(path, workbook.sheet_names(), sheet)?;
            let mut cells = workbook
                .worksheet_cells_reader(&name)
                .map_err(|e| workbook_error(path, e))?;
            let mut row: Vec<(u32, Value)> = Vec::new();
            let mut current: Option<u32> = None;
            while let Some(cell) = cells.next_cell().map_err(|e| workbook_error(path, e))? {
                let (r, c) = cell.get_position();
                if current != Some(r) {
                    if let Some(done) = current.filter(|_| !row.is_empty()) {
                        if !each(done + 1, &row)? {
                            return Ok(());
                        }
                    }
                    row.clear();
                    current = Some(r);
                }
                if let Some(value) = from_data_ref(cell.get_value()) {
                    row.push((c, value));
                }
            }
            if let Some(done) = current.filter(|_| !row.is_empty()) {
                each(done + 1, &row)?;
            }
            Ok(())
        }};
    }
    match kind(path)? {
        Kind::Xlsx => stream_cells!(calamine::Xlsx<BufReader<File>>),
        Kind::Xlsb => stream_cells!(calamine::Xlsb<BufReader<File>>),
        Kind::Xls | Kind::Ods => {
            let mut workbook =
                calamine::open_workbook_auto(path).map_err(|e| workbook_error(path, e))?;
            let name = pick_sheet(path, workbook.sheet_names(), sheet)?;
            let range = workbook
                .worksheet_range(&name)
                .map_err(|e| workbook_error(path, e))?;
            let (first_row, first_column) = range.start().unwrap_or((0, 0));
            let mut row: Vec<(u32, Value)> = Vec::new();
            for (index, cells) in range.rows().enumerate() {
                row.clear();
                for (column, data) in cells.iter().enumerate() {
                    if let Some(value) = from_data(data) {
                        row.push((first_column + column as u32, value));
                    }
                }
                if !row.is_empty() && !each(first_row + index as u32 + 1, &row)? {
                    break;
                }
            }
            Ok(())
        }
    }
}

/// The header row's span and names.
struct Header {
    first_column: u32,
    names: Vec<String>,
    row: u32,
}

impl Header {
    fn from_row(row: u32, cells: &RowCells) -> Header {
        let first_column = cells.iter().map(|(c, _)| *c).min().unwrap_or(0);
        let last_column = cells.iter().map(|(c, _)| *c).max().unwrap_or(0);
        let mut names = vec![String::new(); (last_column - first_column + 1) as usize];
        for (column, value) in cells {
            names[(column - first_column) as usize] = value.text();
        }
        Header {
            first_column,
            names,
            row,
        }
    }

    /// The table column of a sheet column.
    fn column(&self, path: &Path, row: u32, sheet_column: u32) -> Result<usize> {
        sheet_column
            .checked_sub(self.first_column)
            .map(|c| c as usize)
            .filter(|c| *c < self.names.len())
            .ok_or_else(|| {
                Error::General(format!(
                    "{}: row {row}: a value in column {} is outside the header (row {}, columns {}-{})",
                    path.display(),
                    column_letters(sheet_column),
                    self.row,
                    column_letters(self.first_column),
                    column_letters(self.first_column + self.names.len() as u32 - 1)
                ))
            })
    }
}

/// `0 -> A`, `27 -> AB`.
fn column_letters(mut column: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII")
}

/// Pass 1: header, cell types, row count.
pub fn scan(path: &Path, sheet: Option<&str>) -> Result<Scan> {
    let mut header: Option<Header> = None;
    let mut types: Vec<Inferred> = Vec::new();
    let mut rows = 0u64;
    let mut widest = 0u64;
    for_each_row(path, sheet, &mut |row, cells| {
        let Some(header) = &header else {
            let found = Header::from_row(row, cells);
            types = vec![Inferred::Null; found.names.len()];
            header = Some(found);
            return Ok(true);
        };
        rows += 1;
        for (sheet_column, value) in cells {
            let column = header.column(path, row, *sheet_column)?;
            if let Value::Text(text) = value {
                if text.len() > MAX_VALUE_BYTES {
                    return Err(Error::General(format!(
                        "{}: row {row}: a value of {} bytes; mdm reads values up to {} MiB",
                        path.display(),
                        text.len(),
                        MAX_VALUE_BYTES >> 20
                    )));
                }
                widest = widest.max(text.len() as u64);
            }
            types[column] = types[column].join(value.inferred());
        }
        if rows.is_multiple_of(65_536) {
            crate::interrupt::check()?;
        }
        Ok(true)
    })?;
    let Some(header) = header else {
        return Err(Error::General(format!(
            "{}: the sheet is empty",
            path.display()
        )));
    };
    Ok(Scan {
        names: header.names,
        types: types.into_iter().map(Inferred::column_type).collect(),
        rows,
        widest: widest.max(24),
    })
}

/// Pass 2: the rows under the header as batches of `columns`.
pub fn read(
    path: &Path,
    sheet: Option<&str>,
    columns: &[ColumnDef],
    output: &mut Output,
) -> Result<()> {
    let mut header: Option<Header> = None;
    let mut filled = vec![false; columns.len()];
    for_each_row(path, sheet, &mut |row, cells| {
        let Some(header) = &header else {
            header = Some(Header::from_row(row, cells));
            return Ok(true);
        };
        filled.iter_mut().for_each(|f| *f = false);
        for (sheet_column, value) in cells {
            let column = header.column(path, row, *sheet_column)?;
            let cell = value.cell();
            if column >= columns.len() || !cell.push_to(&mut output.batch.columns[column]) {
                return Err(conversion_error(
                    path,
                    &format!("row {row}"),
                    &columns[column.min(columns.len() - 1)],
                    &cell,
                ));
            }
            filled[column] = true;
        }
        for (column, filled) in filled.iter().enumerate() {
            if !filled {
                output.batch.columns[column].push_null();
            }
        }
        output.rows_pushed(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_columns_have_letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
