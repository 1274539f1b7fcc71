//! Values between DuckDB vectors, ODBC buffers and DuckDB parameters: one
//! [`Cell`] per value, converted to whatever C type the application bound.

use std::ffi::c_void;

use libduckdb_sys as ffi;

use crate::odbc::{self, Date, Len, Timestamp};

/// One value in transit.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Huge(i128),
    Double(f64),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 00:00:00.
    Timestamp(i64),
    Text(Vec<u8>),
    /// A DECIMAL: `value` × 10^-`scale`, exactly.
    Decimal(i128, u8),
    /// A DuckDB type this driver does not convert yet (its type id).
    Unsupported(ffi::duckdb_type),
}

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The (year, month, day) of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn timestamp_parts(micros: i64) -> (i64, u32, u32, i64, i64) {
    let seconds = micros.div_euclid(1_000_000);
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    (
        y,
        m,
        d,
        seconds.rem_euclid(86_400),
        micros.rem_euclid(1_000_000),
    )
}

impl Cell {
    /// The value as text, in the spelling DuckDB itself uses.
    pub fn text(&self) -> Option<Vec<u8>> {
        Some(match self {
            Cell::Null => return None,
            Cell::Bool(b) => {
                if *b {
                    b"true".to_vec()
                } else {
                    b"false".to_vec()
                }
            }
            Cell::Int(i) => i.to_string().into_bytes(),
            Cell::Huge(i) => i.to_string().into_bytes(),
            Cell::Double(f) => format_double(*f).into_bytes(),
            Cell::Date(d) => {
                let (y, m, day) = civil_from_days(*d as i64);
                format!("{y:04}-{m:02}-{day:02}").into_bytes()
            }
            Cell::Timestamp(t) => {
                let (y, m, d, secs, frac) = timestamp_parts(*t);
                let mut text = format!(
                    "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
                    secs / 3600,
                    secs % 3600 / 60,
                    secs % 60
                );
                if frac != 0 {
                    text.push_str(&format!(".{frac:06}"));
                }
                text.into_bytes()
            }
            Cell::Text(t) => t.clone(),
            Cell::Decimal(value, scale) => decimal_text(*value, *scale).into_bytes(),
            Cell::Unsupported(_) => return None,
        })
    }

    fn as_i64(&self) -> Result<i64, &'static str> {
        match self {
            Cell::Decimal(value, scale) => {
                let divisor = 10i128.pow(*scale as u32);
                if value % divisor != 0 {
                    return Err("22003");
                }
                i64::try_from(value / divisor).map_err(|_| "22003")
            }
            Cell::Bool(b) => Ok(*b as i64),
            Cell::Int(i) => Ok(*i),
            Cell::Huge(i) => i64::try_from(*i).map_err(|_| "22003"),
            Cell::Double(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(*f as i64),
            Cell::Double(_) => Err("22003"),
            Cell::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or("22018"),
            _ => Err("07006"),
        }
    }

    fn as_f64(&self) -> Result<f64, &'static str> {
        match self {
            Cell::Decimal(..) => Ok(String::from_utf8(self.text().unwrap_or_default())
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(f64::NAN)),
            Cell::Bool(b) => Ok(*b as i64 as f64),
            Cell::Int(i) => Ok(*i as f64),
            Cell::Huge(i) => Ok(*i as f64),
            Cell::Double(f) => Ok(*f),
            Cell::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or("22018"),
            _ => Err("07006"),
        }
    }
}

/// A time of day in microseconds as `HH:MM:SS[.ffffff]`.
fn clock_text(micros: i64) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let mut text = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    );
    if fraction != 0 {
        text.push_str(&format!(".{fraction:06}"));
    }
    text
}

/// An interval as DuckDB prints it (`1 year 2 months 3 days 04:05:06`).
pub fn interval_text(months: i32, days: i32, micros: i64) -> String {
    let mut parts = Vec::new();
    let (years, months) = (months / 12, months % 12);
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n.abs() == 1 { "" } else { "s" });
    if years != 0 {
        parts.push(plural(years as i64, "year"));
    }
    if months != 0 {
        parts.push(plural(months as i64, "month"));
    }
    if days != 0 {
        parts.push(plural(days as i64, "day"));
    }
    if micros != 0 || parts.is_empty() {
        let sign = if micros < 0 { "-" } else { "" };
        parts.push(format!("{sign}{}", clock_text(micros.abs())));
    }
    parts.join(" ")
}

/// A scaled integer as decimal text (`-12.50` for (-1250, 2)).
fn decimal_text(value: i128, scale: u8) -> String {
    let digits = value.unsigned_abs().to_string();
    let scale = scale as usize;
    let sign = if value < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// Shortest text that reads back as the same double.
fn format_double(value: f64) -> String {
    if value.is_nan() {
        "nan".into()
    } else if value.is_infinite() {
        if value > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        let text = format!("{value:?}");
        text
    }
}

/// Reads row `row` of a DuckDB vector of logical type `column_type`.
///
/// # Safety
/// `vector` must be a vector of that type with more than `row` rows.
pub unsafe fn read_cell(
    column_type: ffi::duckdb_type,
    decimal: Option<(u8, ffi::duckdb_type)>,
    vector: ffi::duckdb_vector,
    row: usize,
) -> Cell {
    let validity = ffi::duckdb_vector_get_validity(vector);
    if !validity.is_null() && !ffi::duckdb_validity_row_is_valid(validity, row as u64) {
        return Cell::Null;
    }
    let data = ffi::duckdb_vector_get_data(vector);
    match column_type {
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN => Cell::Bool(*(data as *const bool).add(row)),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_TINYINT => Cell::Int(*(data as *const i8).add(row) as i64),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT => Cell::Int(*(data as *const i16).add(row) as i64),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_INTEGER => Cell::Int(*(data as *const i32).add(row) as i64),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT => Cell::Int(*(data as *const i64).add(row)),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT => Cell::Int(*(data as *const u8).add(row) as i64),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT => Cell::Int(*(data as *const u16).add(row) as i64),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_UINTEGER => Cell::Int(*(data as *const u32).add(row) as i64),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_UBIGINT => Cell::Huge(*(data as *const u64).add(row) as i128),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_HUGEINT => {
            let value = *(data as *const ffi::duckdb_hugeint).add(row);
            Cell::Huge(((value.upper as i128) << 64) | value.lower as i128)
        }
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_FLOAT => Cell::Double(*(data as *const f32).add(row) as f64),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE => Cell::Double(*(data as *const f64).add(row)),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_DATE => {
            Cell::Date((*(data as *const ffi::duckdb_date).add(row)).days)
        }
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP => {
            Cell::Timestamp((*(data as *const ffi::duckdb_timestamp).add(row)).micros)
        }
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR | ffi::DUCKDB_TYPE_DUCKDB_TYPE_BLOB => {
            let string = (data as *mut ffi::duckdb_string_t).add(row);
            let length = ffi::duckdb_string_t_length(*string) as usize;
            let bytes = ffi::duckdb_string_t_data(string);
            Cell::Text(std::slice::from_raw_parts(bytes as *const u8, length).to_vec())
        }
        // Times of day and intervals travel as text.
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_TIME => Cell::Text(
            clock_text((*(data as *const ffi::duckdb_time).add(row)).micros).into_bytes(),
        ),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_INTERVAL => {
            let value = *(data as *const ffi::duckdb_interval).add(row);
            Cell::Text(interval_text(value.months, value.days, value.micros).into_bytes())
        }
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL => match decimal {
            Some((scale, ffi::DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT)) => {
                Cell::Decimal(*(data as *const i16).add(row) as i128, scale)
            }
            Some((scale, ffi::DUCKDB_TYPE_DUCKDB_TYPE_INTEGER)) => {
                Cell::Decimal(*(data as *const i32).add(row) as i128, scale)
            }
            Some((scale, ffi::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT)) => {
                Cell::Decimal(*(data as *const i64).add(row) as i128, scale)
            }
            Some((scale, ffi::DUCKDB_TYPE_DUCKDB_TYPE_HUGEINT)) => {
                let value = *(data as *const ffi::duckdb_hugeint).add(row);
                Cell::Decimal(((value.upper as i128) << 64) | value.lower as i128, scale)
            }
            _ => Cell::Unsupported(column_type),
        },
        other => Cell::Unsupported(other),
    }
}

/// What writing a value into an application buffer did.
pub enum Written {
    Complete,
    /// The value did not fit; SQLSTATE 01004.
    Truncated,
}

/// The size of one element of a fixed-size C type.
pub fn c_type_size(c_type: i16) -> Option<usize> {
    Some(match c_type {
        odbc::C_SBIGINT | odbc::C_UBIGINT => 8,
        odbc::C_LONG | odbc::C_SLONG | odbc::C_ULONG => 4,
        odbc::C_SHORT | odbc::C_SSHORT | odbc::C_USHORT => 2,
        odbc::C_BIT | odbc::C_TINYINT | odbc::C_STINYINT | odbc::C_UTINYINT => 1,
        odbc::C_DOUBLE => 8,
        odbc::C_FLOAT => 4,
        odbc::C_TYPE_DATE | odbc::C_DATE => std::mem::size_of::<Date>(),
        odbc::C_TYPE_TIMESTAMP | odbc::C_TIMESTAMP => std::mem::size_of::<Timestamp>(),
        _ => return None,
    })
}

/// The C type `SQL_C_DEFAULT` stands for, for a column of `sql_type`.
pub fn default_c_type(sql_type: i16) -> i16 {
    match sql_type {
        odbc::SQL_BIGINT => odbc::C_SBIGINT,
        odbc::SQL_INTEGER => odbc::C_SLONG,
        odbc::SQL_SMALLINT => odbc::C_SSHORT,
        odbc::SQL_TINYINT => odbc::C_STINYINT,
        odbc::SQL_BIT => odbc::C_BIT,
        odbc::SQL_DOUBLE | odbc::SQL_FLOAT => odbc::C_DOUBLE,
        odbc::SQL_REAL => odbc::C_FLOAT,
        odbc::SQL_TYPE_DATE => odbc::C_TYPE_DATE,
        odbc::SQL_TYPE_TIMESTAMP => odbc::C_TYPE_TIMESTAMP,
        _ => odbc::C_CHAR,
    }
}

/// Writes `cell` as `c_type` into `target` (capacity `capacity` bytes for
/// character and binary types), starting `offset` bytes into its text for
/// piecewise SQLGetData, and sets `indicator`. Returns how much of the
/// text is still left after this piece, or an SQLSTATE.
///
/// # Safety
/// `target` must hold `capacity` bytes (or one element of a fixed-size
/// type); `indicator` may be null.
pub unsafe fn write_cell(
    cell: &Cell,
    c_type: i16,
    target: *mut c_void,
    capacity: Len,
    indicator: *mut Len,
    offset: usize,
) -> Result<Written, &'static str> {
    let set_indicator = |value: Len| {
        if !indicator.is_null() {
            *indicator = value;
        }
    };
    if let Cell::Unsupported(_) = cell {
        return Err("HYC00");
    }
    if let Cell::Null = cell {
        if indicator.is_null() {
            return Err("22002");
        }
        set_indicator(odbc::NULL_DATA);
        return Ok(Written::Complete);
    }
    match c_type {
        odbc::C_CHAR | odbc::C_BINARY | odbc::C_WCHAR => {
            let text = cell.text().unwrap_or_default();
            let text: Vec<u8> = if c_type == odbc::C_WCHAR {
                String::from_utf8_lossy(&text)
                    .encode_utf16()
                    .flat_map(|u| u.to_le_bytes())
                    .collect()
            } else {
                text
            };
            let rest = &text[offset.min(text.len())..];
            set_indicator(rest.len() as Len);
            let terminator = match c_type {
                odbc::C_CHAR => 1,
                odbc::C_WCHAR => 2,
                _ => 0,
            };
            if target.is_null() || capacity <= 0 {
                return Ok(if rest.is_empty() {
                    Written::Complete
                } else {
                    Written::Truncated
                });
            }
            let room = (capacity as usize).saturating_sub(terminator);
            let take = rest.len().min(room - room % terminator.max(1));
            std::ptr::copy_nonoverlapping(rest.as_ptr(), target as *mut u8, take);
            for i in 0..terminator {
                *(target as *mut u8).add(take + i) = 0;
            }
            Ok(if take < rest.len() {
                Written::Truncated
            } else {
                Written::Complete
            })
        }
        odbc::C_SBIGINT | odbc::C_UBIGINT => {
            *(target as *mut i64) = cell.as_i64()?;
            set_indicator(8);
            Ok(Written::Complete)
        }
        odbc::C_LONG | odbc::C_SLONG | odbc::C_ULONG => {
            *(target as *mut i32) = i32::try_from(cell.as_i64()?).map_err(|_| "22003")?;
            set_indicator(4);
            Ok(Written::Complete)
        }
        odbc::C_SHORT | odbc::C_SSHORT | odbc::C_USHORT => {
            *(target as *mut i16) = i16::try_from(cell.as_i64()?).map_err(|_| "22003")?;
            set_indicator(2);
            Ok(Written::Complete)
        }
        odbc::C_TINYINT | odbc::C_STINYINT | odbc::C_UTINYINT | odbc::C_BIT => {
            let value = cell.as_i64()?;
            *(target as *mut u8) = if c_type == odbc::C_BIT {
                (value != 0) as u8
            } else {
                value as u8
            };
            set_indicator(1);
            Ok(Written::Complete)
        }
        odbc::C_DOUBLE => {
            *(target as *mut f64) = cell.as_f64()?;
            set_indicator(8);
            Ok(Written::Complete)
        }
        odbc::C_FLOAT => {
            *(target as *mut f32) = cell.as_f64()? as f32;
            set_indicator(4);
            Ok(Written::Complete)
        }
        odbc::C_TYPE_DATE | odbc::C_DATE => {
            let days = match cell {
                Cell::Date(d) => *d as i64,
                Cell::Timestamp(t) => t.div_euclid(86_400_000_000),
                _ => return Err("07006"),
            };
            let (year, month, day) = civil_from_days(days);
            *(target as *mut Date) = Date {
                year: year as i16,
                month: month as u16,
                day: day as u16,
            };
            set_indicator(std::mem::size_of::<Date>() as Len);
            Ok(Written::Complete)
        }
        odbc::C_TYPE_TIMESTAMP | odbc::C_TIMESTAMP => {
            let micros = match cell {
                Cell::Timestamp(t) => *t,
                Cell::Date(d) => *d as i64 * 86_400_000_000,
                _ => return Err("07006"),
            };
            let (year, month, day, secs, frac) = timestamp_parts(micros);
            *(target as *mut Timestamp) = Timestamp {
                year: year as i16,
                month: month as u16,
                day: day as u16,
                hour: (secs / 3600) as u16,
                minute: (secs % 3600 / 60) as u16,
                second: (secs % 60) as u16,
                fraction: (frac * 1000) as u32,
            };
            set_indicator(std::mem::size_of::<Timestamp>() as Len);
            Ok(Written::Complete)
        }
        _ => Err("HYC00"),
    }
}

/// Reads a parameter value of `c_type` at `value` with length or
/// indicator `length` (`SQL_NULL_DATA`, `SQL_NTS` or a byte count).
///
/// # Safety
/// `value` must point at a value of `c_type` (text of `length` bytes).
pub unsafe fn read_parameter(
    c_type: i16,
    value: *const c_void,
    length: Len,
) -> Result<Cell, &'static str> {
    if length == odbc::NULL_DATA || value.is_null() {
        return Ok(Cell::Null);
    }
    Ok(match c_type {
        odbc::C_CHAR | odbc::C_BINARY => {
            let bytes = if length == odbc::NTS {
                std::ffi::CStr::from_ptr(value as *const std::ffi::c_char).to_bytes()
            } else {
                std::slice::from_raw_parts(value as *const u8, length.max(0) as usize)
            };
            Cell::Text(bytes.to_vec())
        }
        odbc::C_WCHAR => {
            let units: &[u16] = if length == odbc::NTS {
                let mut n = 0;
                while *(value as *const u16).add(n) != 0 {
                    n += 1;
                }
                std::slice::from_raw_parts(value as *const u16, n)
            } else {
                std::slice::from_raw_parts(value as *const u16, length.max(0) as usize / 2)
            };
            Cell::Text(String::from_utf16_lossy(units).into_bytes())
        }
        odbc::C_SBIGINT | odbc::C_UBIGINT => Cell::Int(*(value as *const i64)),
        odbc::C_LONG | odbc::C_SLONG => Cell::Int(*(value as *const i32) as i64),
        odbc::C_ULONG => Cell::Int(*(value as *const u32) as i64),
        odbc::C_SHORT | odbc::C_SSHORT => Cell::Int(*(value as *const i16) as i64),
        odbc::C_USHORT => Cell::Int(*(value as *const u16) as i64),
        odbc::C_TINYINT | odbc::C_STINYINT => Cell::Int(*(value as *const i8) as i64),
        odbc::C_UTINYINT => Cell::Int(*(value as *const u8) as i64),
        odbc::C_BIT => Cell::Bool(*(value as *const u8) != 0),
        odbc::C_DOUBLE => Cell::Double(*(value as *const f64)),
        odbc::C_FLOAT => Cell::Double(*(value as *const f32) as f64),
        odbc::C_TYPE_DATE | odbc::C_DATE => {
            let d = *(value as *const Date);
            Cell::Date(days_from_civil(d.year as i64, d.month as u32, d.day as u32) as i32)
        }
        odbc::C_TYPE_TIMESTAMP | odbc::C_TIMESTAMP => {
            let t = *(value as *const Timestamp);
            let days = days_from_civil(t.year as i64, t.month as u32, t.day as u32);
            let seconds =
                days * 86_400 + t.hour as i64 * 3600 + t.minute as i64 * 60 + t.second as i64;
            Cell::Timestamp(seconds * 1_000_000 + (t.fraction / 1000) as i64)
        }
        _ => return Err("HYC00"),
    })
}

/// Binds `cell` as parameter `index` (1-based) of a prepared statement.
///
/// # Safety
/// `statement` must be a valid prepared statement.
pub unsafe fn bind_cell(
    statement: ffi::duckdb_prepared_statement,
    index: u64,
    cell: &Cell,
) -> ffi::duckdb_state {
    match cell {
        Cell::Unsupported(_) => ffi::duckdb_state_DuckDBError,
        Cell::Decimal(..) => {
            let text = cell.text().unwrap_or_default();
            ffi::duckdb_bind_varchar_length(
                statement,
                index,
                text.as_ptr() as *const _,
                text.len() as u64,
            )
        }
        Cell::Null => ffi::duckdb_bind_null(statement, index),
        Cell::Bool(b) => ffi::duckdb_bind_boolean(statement, index, *b),
        Cell::Int(i) => ffi::duckdb_bind_int64(statement, index, *i),
        Cell::Huge(i) => {
            let value = ffi::duckdb_hugeint {
                lower: *i as u64,
                upper: (*i >> 64) as i64,
            };
            ffi::duckdb_bind_hugeint(statement, index, value)
        }
        Cell::Double(f) => ffi::duckdb_bind_double(statement, index, *f),
        Cell::Date(d) => ffi::duckdb_bind_date(statement, index, ffi::duckdb_date { days: *d }),
        Cell::Timestamp(t) => {
            ffi::duckdb_bind_timestamp(statement, index, ffi::duckdb_timestamp { micros: *t })
        }
        Cell::Text(t) => ffi::duckdb_bind_varchar_length(
            statement,
            index,
            t.as_ptr() as *const _,
            t.len() as u64,
        ),
    }
}

/// The SQL type, column size and decimal digits a DuckDB type is described
/// with.
pub fn describe_type(column_type: ffi::duckdb_type) -> (i16, usize, i16) {
    match column_type {
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN => (odbc::SQL_BIT, 1, 0),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_TINYINT | ffi::DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT => {
            (odbc::SQL_TINYINT, 3, 0)
        }
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT | ffi::DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT => {
            (odbc::SQL_SMALLINT, 5, 0)
        }
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_INTEGER | ffi::DUCKDB_TYPE_DUCKDB_TYPE_UINTEGER => {
            (odbc::SQL_INTEGER, 10, 0)
        }
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT => (odbc::SQL_BIGINT, 19, 0),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_UBIGINT | ffi::DUCKDB_TYPE_DUCKDB_TYPE_HUGEINT => {
            (odbc::SQL_NUMERIC, 38, 0)
        }
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_FLOAT => (odbc::SQL_REAL, 7, 0),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE => (odbc::SQL_DOUBLE, 15, 0),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_DATE => (odbc::SQL_TYPE_DATE, 10, 0),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP => (odbc::SQL_TYPE_TIMESTAMP, 26, 6),
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_BLOB => (odbc::SQL_VARBINARY, 65_535, 0),
        _ => (odbc::SQL_VARCHAR, 65_535, 0),
    }
}

/// Appends `cell` as the next value of an appender row.
///
/// # Safety
/// `appender` must be a valid appender.
pub unsafe fn append_cell(appender: ffi::duckdb_appender, cell: &Cell) -> ffi::duckdb_state {
    match cell {
        Cell::Unsupported(_) => ffi::duckdb_state_DuckDBError,
        Cell::Decimal(..) => {
            let text = cell.text().unwrap_or_default();
            ffi::duckdb_append_varchar_length(
                appender,
                text.as_ptr() as *const _,
                text.len() as u64,
            )
        }
        Cell::Null => ffi::duckdb_append_null(appender),
        Cell::Bool(b) => ffi::duckdb_append_bool(appender, *b),
        Cell::Int(i) => ffi::duckdb_append_int64(appender, *i),
        Cell::Huge(i) => ffi::duckdb_append_hugeint(
            appender,
            ffi::duckdb_hugeint {
                lower: *i as u64,
                upper: (*i >> 64) as i64,
            },
        ),
        Cell::Double(f) => ffi::duckdb_append_double(appender, *f),
        Cell::Date(d) => ffi::duckdb_append_date(appender, ffi::duckdb_date { days: *d }),
        Cell::Timestamp(t) => {
            ffi::duckdb_append_timestamp(appender, ffi::duckdb_timestamp { micros: *t })
        }
        Cell::Text(t) => {
            ffi::duckdb_append_varchar_length(appender, t.as_ptr() as *const _, t.len() as u64)
        }
    }
}
