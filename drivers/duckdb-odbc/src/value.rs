//! Values between DuckDB, ODBC buffers and DuckDB parameters: one [`Cell`]
//! per value, converted to whatever C type the application bound, with
//! ODBC's rules for each conversion (22003 when a number does not fit,
//! 22007 for dates a C struct cannot hold, hexadecimal for binary as text).

use std::ffi::c_void;

use libduckdb_sys as ffi;

use crate::odbc::{self, Date, Guid, Len, Numeric, Time, Timestamp};

/// One value in transit.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Huge(i128),
    Real(f32),
    Double(f64),
    /// Days since 1970-01-01 (±i32::MAX: ±infinity).
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
    /// Microseconds since 1970-01-01 00:00:00 (±i64::MAX: ±infinity).
    Timestamp(i64),
    /// A TIMESTAMP WITH TIME ZONE: microseconds since the epoch, in UTC.
    TimestampTz(i64),
    /// A TIMESTAMP_NS: nanoseconds since the epoch.
    TimestampNanos(i64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
    /// A DECIMAL: `value` × 10^-`scale`, exactly.
    Decimal(i128, u8),
    Uuid(u128),
    /// A DuckDB type this driver does not convert (its type id).
    Unsupported(ffi::duckdb_type),
}

const DATE_INFINITY: i32 = i32::MAX;
const TIMESTAMP_INFINITY: i64 = i64::MAX;

/// A timestamp in seconds or milliseconds as microseconds, keeping the
/// infinities.
pub fn scale_timestamp(value: i64, factor: i64) -> i64 {
    if value == TIMESTAMP_INFINITY || value == -TIMESTAMP_INFINITY {
        value
    } else {
        value.saturating_mul(factor)
    }
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

fn timestamp_text(micros: i64, nanos: Option<u32>) -> String {
    if micros == TIMESTAMP_INFINITY {
        return "infinity".into();
    }
    if micros == -TIMESTAMP_INFINITY {
        return "-infinity".into();
    }
    let (y, m, d, secs, frac) = timestamp_parts(micros);
    let mut text = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    match nanos {
        Some(nanos) if nanos != 0 => text.push_str(&format!(".{nanos:09}")),
        Some(_) => {}
        None if frac != 0 => text.push_str(&format!(".{frac:06}")),
        None => {}
    }
    text
}

fn uuid_text(value: u128) -> String {
    let hex = format!("{value:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn parse_uuid(text: &str) -> Option<u128> {
    let hex: String = text
        .trim()
        .trim_matches(|c| c == '{' || c == '}')
        .chars()
        .filter(|c| *c != '-')
        .collect();
    (hex.len() == 32)
        .then(|| u128::from_str_radix(&hex, 16).ok())
        .flatten()
}

/// Appends `text` as a JSON string.
pub fn json_escape(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Cell {
    /// The value as text, in the spelling DuckDB itself uses (binary as
    /// hexadecimal digits, as ODBC converts binary to character data).
    pub fn text(&self) -> Option<Vec<u8>> {
        Some(match self {
            Cell::Null | Cell::Unsupported(_) => return None,
            Cell::Bool(b) => {
                if *b {
                    b"true".to_vec()
                } else {
                    b"false".to_vec()
                }
            }
            Cell::Int(i) => i.to_string().into_bytes(),
            Cell::Huge(i) => i.to_string().into_bytes(),
            Cell::Real(f) => format_real(*f).into_bytes(),
            Cell::Double(f) => format_double(*f).into_bytes(),
            Cell::Date(d) => {
                if *d == DATE_INFINITY {
                    return Some(b"infinity".to_vec());
                }
                if *d == -DATE_INFINITY {
                    return Some(b"-infinity".to_vec());
                }
                let (y, m, day) = civil_from_days(*d as i64);
                format!("{y:04}-{m:02}-{day:02}").into_bytes()
            }
            Cell::Time(t) => clock_text(*t).into_bytes(),
            Cell::Timestamp(t) => timestamp_text(*t, None).into_bytes(),
            Cell::TimestampTz(t) => {
                let mut text = timestamp_text(*t, None);
                if t.abs() != TIMESTAMP_INFINITY {
                    text.push_str("+00");
                }
                text.into_bytes()
            }
            Cell::TimestampNanos(n) => {
                timestamp_text(n.div_euclid(1000), Some(n.rem_euclid(1_000_000_000) as u32))
                    .into_bytes()
            }
            Cell::Text(t) => t.clone(),
            Cell::Blob(b) => b
                .iter()
                .flat_map(|byte| format!("{byte:02X}").into_bytes())
                .collect(),
            Cell::Decimal(value, scale) => decimal_text(*value, *scale).into_bytes(),
            Cell::Uuid(u) => uuid_text(*u).into_bytes(),
        })
    }

    /// Appends the value as JSON; false when it has no JSON form.
    pub fn write_json(&self, out: &mut String) -> bool {
        match self {
            Cell::Null => out.push_str("null"),
            Cell::Unsupported(_) => return false,
            Cell::Bool(_) | Cell::Int(_) | Cell::Huge(_) | Cell::Decimal(..) => {
                out.push_str(&String::from_utf8_lossy(&self.text().unwrap_or_default()))
            }
            Cell::Real(f) if f.is_finite() => out.push_str(&format_real(*f)),
            Cell::Double(f) if f.is_finite() => out.push_str(&format_double(*f)),
            _ => json_escape(
                &String::from_utf8_lossy(&self.text().unwrap_or_default()),
                out,
            ),
        }
        true
    }

    fn as_i128(&self) -> Result<i128, &'static str> {
        match self {
            Cell::Decimal(value, scale) => {
                let divisor = 10i128.pow(*scale as u32);
                if value % divisor != 0 {
                    return Err("22003");
                }
                Ok(value / divisor)
            }
            Cell::Bool(b) => Ok(*b as i128),
            Cell::Int(i) => Ok(*i as i128),
            Cell::Huge(i) => Ok(*i),
            Cell::Real(f) => float_integer(*f as f64),
            Cell::Double(f) => float_integer(*f),
            Cell::Text(t) => {
                let text = std::str::from_utf8(t).map_err(|_| "22018")?.trim();
                match text.parse::<i128>() {
                    Ok(value) => Ok(value),
                    Err(_) => text
                        .parse::<f64>()
                        .map_err(|_| "22018")
                        .and_then(float_integer),
                }
            }
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
            Cell::Real(f) => Ok(*f as f64),
            Cell::Double(f) => Ok(*f),
            Cell::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or("22018"),
            _ => Err("07006"),
        }
    }

    /// The value as an exact decimal (mantissa, scale).
    fn as_decimal(&self) -> Result<(i128, u8), &'static str> {
        match self {
            Cell::Decimal(value, scale) => Ok((*value, *scale)),
            Cell::Bool(_) | Cell::Int(_) | Cell::Huge(_) => Ok((self.as_i128()?, 0)),
            Cell::Real(_) | Cell::Double(_) | Cell::Text(_) => {
                let text =
                    String::from_utf8(self.text().unwrap_or_default()).map_err(|_| "22018")?;
                parse_decimal(text.trim()).ok_or("22018")
            }
            _ => Err("07006"),
        }
    }

    /// Microseconds since the epoch of a date or timestamp; 22007 for the
    /// infinities, which no C struct can hold.
    fn as_timestamp_micros(&self) -> Result<(i64, u32), &'static str> {
        let (micros, nanos) = match self {
            Cell::Timestamp(t) | Cell::TimestampTz(t) => {
                (*t, (t.rem_euclid(1_000_000) * 1000) as u32)
            }
            Cell::TimestampNanos(n) => (n.div_euclid(1000), n.rem_euclid(1_000_000_000) as u32),
            Cell::Date(d) => {
                if d.abs() == DATE_INFINITY {
                    return Err("22007");
                }
                (*d as i64 * 86_400_000_000, 0)
            }
            Cell::Text(t) => {
                return parse_timestamp(&String::from_utf8_lossy(t)).ok_or("22018");
            }
            // A time of day as a timestamp is on the current date (ODBC's rule).
            Cell::Time(t) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                let today = now.div_euclid(86_400) * 86_400_000_000;
                (today + t, (t.rem_euclid(1_000_000) * 1000) as u32)
            }
            _ => return Err("07006"),
        };
        if micros.abs() == TIMESTAMP_INFINITY {
            return Err("22007");
        }
        Ok((micros, nanos))
    }
}

fn float_integer(value: f64) -> Result<i128, &'static str> {
    if value.is_finite() && value.abs() < 1.7e38 {
        Ok(value.trunc() as i128)
    } else {
        Err("22003")
    }
}

/// `-12.50` as (-1250, 2).
fn parse_decimal(text: &str) -> Option<(i128, u8)> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.contains(['e', 'E']) {
        let value: f64 = text.parse().ok()?;
        return parse_decimal(&format!("{value}"));
    }
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let fraction = &fraction[..fraction.len().min(38)];
    let mantissa: i128 = format!("{whole}{fraction}").parse().ok()?;
    Some((
        if negative { -mantissa } else { mantissa },
        fraction.len() as u8,
    ))
}

/// `YYYY-MM-DD[ HH:MM:SS[.fraction]]` as (microseconds, nanoseconds of the
/// second).
fn parse_timestamp(text: &str) -> Option<(i64, u32)> {
    let text = text.trim();
    let (date, time) = text.split_once([' ', 'T']).unwrap_or((text, "00:00:00"));
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut clock_parts = clock.splitn(3, ':');
    let hour: i64 = clock_parts.next()?.parse().ok()?;
    let minute: i64 = clock_parts.next().unwrap_or("0").parse().ok()?;
    let second: i64 = clock_parts.next().unwrap_or("0").parse().ok()?;
    let digits: String = fraction
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .take(9)
        .collect();
    let nanos: u32 = if digits.is_empty() {
        0
    } else {
        format!("{digits:0<9}").parse().ok()?
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some((seconds * 1_000_000 + (nanos / 1000) as i64, nanos))
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
        parts.push(format!("{sign}{}", trimmed_clock_text(micros.abs())));
    }
    parts.join(" ")
}

/// A time of day as DuckDB casts it to text: the fraction without its
/// trailing zeros (`04:05:06.5`).
pub fn trimmed_clock_text(micros: i64) -> String {
    let text = clock_text(micros);
    match text.find('.') {
        Some(_) => text.trim_end_matches('0').to_string(),
        None => text,
    }
}

/// A TIME WITH TIME ZONE as DuckDB casts it to text (`04:05:06.5+02:30`).
pub fn time_tz_text(micros: i64, offset_seconds: i32) -> String {
    let sign = if offset_seconds < 0 { '-' } else { '+' };
    let offset = offset_seconds.unsigned_abs();
    let mut text = format!("{}{sign}{:02}", trimmed_clock_text(micros), offset / 3600);
    if !offset.is_multiple_of(3600) {
        text.push_str(&format!(":{:02}", offset % 3600 / 60));
    }
    if !offset.is_multiple_of(60) {
        text.push_str(&format!(":{:02}", offset % 60));
    }
    text
}

/// A BIT string from DuckDB's storage: a byte giving the padding bits of
/// the first data byte, then the bits, most significant first.
pub fn bit_text(stored: &[u8]) -> String {
    let Some((&padding, bits)) = stored.split_first() else {
        return String::new();
    };
    let mut text = String::with_capacity(bits.len() * 8);
    for (index, byte) in bits.iter().enumerate() {
        let skip = if index == 0 { padding.min(8) } else { 0 };
        for bit in (0..8 - skip).rev() {
            text.push(if byte >> bit & 1 == 1 { '1' } else { '0' });
        }
    }
    text
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

fn format_real(value: f32) -> String {
    if value.is_finite() {
        format!("{value:?}")
    } else {
        format_double(value as f64)
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
        odbc::C_TYPE_TIME | odbc::C_TIME => std::mem::size_of::<Time>(),
        odbc::C_TYPE_TIMESTAMP | odbc::C_TIMESTAMP => std::mem::size_of::<Timestamp>(),
        odbc::C_NUMERIC => std::mem::size_of::<Numeric>(),
        odbc::C_GUID => std::mem::size_of::<Guid>(),
        _ => return None,
    })
}

/// Whether the driver converts to and from `c_type`.
pub fn is_known_c_type(c_type: i16) -> bool {
    c_type_size(c_type).is_some() || matches!(c_type, odbc::C_CHAR | odbc::C_WCHAR | odbc::C_BINARY)
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
        odbc::SQL_TYPE_DATE | odbc::SQL_DATE => odbc::C_TYPE_DATE,
        odbc::SQL_TYPE_TIME | odbc::SQL_TIME => odbc::C_TYPE_TIME,
        odbc::SQL_TYPE_TIMESTAMP | odbc::SQL_TIMESTAMP => odbc::C_TYPE_TIMESTAMP,
        odbc::SQL_GUID => odbc::C_GUID,
        odbc::SQL_BINARY | odbc::SQL_VARBINARY | odbc::SQL_LONGVARBINARY => odbc::C_BINARY,
        odbc::SQL_WCHAR | odbc::SQL_WVARCHAR | odbc::SQL_WLONGVARCHAR => odbc::C_WCHAR,
        _ => odbc::C_CHAR,
    }
}

/// The C type of a bound parameter (SQL_C_DEFAULT resolved by its SQL type).
pub fn parameter_c_type(c_type: i16, sql_type: i16) -> i16 {
    if c_type == odbc::C_DEFAULT {
        default_c_type(sql_type)
    } else {
        c_type
    }
}

/// Whether a length/indicator value marks data sent at execution.
pub fn is_data_at_execution(length: Len) -> bool {
    length == odbc::DATA_AT_EXEC || length <= odbc::LEN_DATA_AT_EXEC_OFFSET
}

/// Stores one fixed-size value, or only its length when the application
/// bound no buffer for it (a null target with an indicator is allowed).
unsafe fn store<T>(
    target: *mut c_void,
    value: T,
    indicator: *mut Len,
) -> Result<Written, &'static str> {
    if !target.is_null() {
        std::ptr::write_unaligned(target as *mut T, value);
    }
    if !indicator.is_null() {
        indicator.write_unaligned(std::mem::size_of::<T>() as Len);
    }
    Ok(Written::Complete)
}

fn narrow<T: TryFrom<i128>>(value: i128) -> Result<T, &'static str> {
    T::try_from(value).map_err(|_| "22003")
}

/// Writes `cell` as `c_type` into `target` (capacity `capacity` bytes for
/// character and binary types), starting `offset` bytes into its text for
/// piecewise SQLGetData, and sets `indicator`.
///
/// # Safety
/// `target` must be null or hold `capacity` bytes (or one element of a
/// fixed-size type); `indicator` may be null.
pub unsafe fn write_cell(
    cell: &Cell,
    c_type: i16,
    target: *mut c_void,
    capacity: Len,
    indicator: *mut Len,
    offset: usize,
) -> Result<Written, &'static str> {
    if let Cell::Unsupported(_) = cell {
        return Err("HYC00");
    }
    if let Cell::Null = cell {
        if indicator.is_null() {
            return Err("22002");
        }
        indicator.write_unaligned(odbc::NULL_DATA);
        return Ok(Written::Complete);
    }
    match c_type {
        odbc::C_CHAR | odbc::C_BINARY | odbc::C_WCHAR => {
            // Text and binary values are copied from the cell itself, the
            // rest from their text form.
            let bytes: std::borrow::Cow<[u8]> = match (c_type, cell) {
                (odbc::C_BINARY, Cell::Blob(b)) => b.as_slice().into(),
                (odbc::C_CHAR | odbc::C_BINARY, Cell::Text(t)) => t.as_slice().into(),
                (odbc::C_BINARY, Cell::Uuid(u)) => u.to_be_bytes().to_vec().into(),
                (odbc::C_WCHAR, _) => String::from_utf8_lossy(&cell.text().unwrap_or_default())
                    .encode_utf16()
                    .flat_map(|u| u.to_le_bytes())
                    .collect::<Vec<u8>>()
                    .into(),
                _ => cell.text().unwrap_or_default().into(),
            };
            let rest = &bytes[offset.min(bytes.len())..];
            if !indicator.is_null() {
                indicator.write_unaligned(rest.len() as Len);
            }
            let terminator = match c_type {
                odbc::C_CHAR => 1,
                odbc::C_WCHAR => 2,
                _ => 0,
            };
            if target.is_null() || capacity <= 0 {
                return Ok(if rest.is_empty() || target.is_null() {
                    Written::Complete
                } else {
                    Written::Truncated
                });
            }
            let room = (capacity as usize).saturating_sub(terminator);
            let take = rest.len().min(room - room % terminator.max(1));
            std::ptr::copy_nonoverlapping(rest.as_ptr(), target as *mut u8, take);
            if (capacity as usize) >= take + terminator {
                for i in 0..terminator {
                    *(target as *mut u8).add(take + i) = 0;
                }
            }
            Ok(if take < rest.len() {
                Written::Truncated
            } else {
                Written::Complete
            })
        }
        odbc::C_SBIGINT => store(target, narrow::<i64>(cell.as_i128()?)?, indicator),
        odbc::C_UBIGINT => store(target, narrow::<u64>(cell.as_i128()?)?, indicator),
        odbc::C_LONG | odbc::C_SLONG => store(target, narrow::<i32>(cell.as_i128()?)?, indicator),
        odbc::C_ULONG => store(target, narrow::<u32>(cell.as_i128()?)?, indicator),
        odbc::C_SHORT | odbc::C_SSHORT => store(target, narrow::<i16>(cell.as_i128()?)?, indicator),
        odbc::C_USHORT => store(target, narrow::<u16>(cell.as_i128()?)?, indicator),
        odbc::C_TINYINT | odbc::C_STINYINT => {
            store(target, narrow::<i8>(cell.as_i128()?)?, indicator)
        }
        odbc::C_UTINYINT => store(target, narrow::<u8>(cell.as_i128()?)?, indicator),
        odbc::C_BIT => {
            let value = cell.as_i128()?;
            if !(0..=1).contains(&value) {
                return Err("22003");
            }
            store(target, value as u8, indicator)
        }
        odbc::C_DOUBLE => store(target, cell.as_f64()?, indicator),
        odbc::C_FLOAT => {
            let value = cell.as_f64()?;
            if value.is_finite() && value.abs() > f32::MAX as f64 {
                return Err("22003");
            }
            store(target, value as f32, indicator)
        }
        odbc::C_NUMERIC => {
            let (value, scale) = cell.as_decimal()?;
            let mut numeric = Numeric {
                precision: 38,
                scale: scale as i8,
                sign: (value >= 0) as u8,
                value: [0; 16],
            };
            numeric.value = value.unsigned_abs().to_le_bytes();
            store(target, numeric, indicator)
        }
        odbc::C_TYPE_DATE | odbc::C_DATE => {
            let (micros, _) = cell.as_timestamp_micros()?;
            let (year, month, day) = civil_from_days(micros.div_euclid(86_400_000_000));
            let year = i16::try_from(year).map_err(|_| "22007")?;
            store(
                target,
                Date {
                    year,
                    month: month as u16,
                    day: day as u16,
                },
                indicator,
            )
        }
        odbc::C_TYPE_TIME | odbc::C_TIME => {
            let micros = match cell {
                Cell::Time(t) => *t,
                Cell::Text(t) => {
                    let text = String::from_utf8_lossy(t);
                    parse_timestamp(&format!("1970-01-01 {}", text.trim()))
                        .ok_or("22018")?
                        .0
                }
                _ => cell.as_timestamp_micros()?.0,
            };
            let seconds = micros.div_euclid(1_000_000).rem_euclid(86_400);
            store(
                target,
                Time {
                    hour: (seconds / 3600) as u16,
                    minute: (seconds % 3600 / 60) as u16,
                    second: (seconds % 60) as u16,
                },
                indicator,
            )
        }
        odbc::C_TYPE_TIMESTAMP | odbc::C_TIMESTAMP => {
            let (micros, nanos) = cell.as_timestamp_micros()?;
            let (year, month, day, secs, _) = timestamp_parts(micros);
            let year = i16::try_from(year).map_err(|_| "22007")?;
            store(
                target,
                Timestamp {
                    year,
                    month: month as u16,
                    day: day as u16,
                    hour: (secs / 3600) as u16,
                    minute: (secs % 3600 / 60) as u16,
                    second: (secs % 60) as u16,
                    fraction: nanos,
                },
                indicator,
            )
        }
        odbc::C_GUID => {
            let value = match cell {
                Cell::Uuid(u) => *u,
                Cell::Text(t) => parse_uuid(&String::from_utf8_lossy(t)).ok_or("22018")?,
                _ => return Err("07006"),
            };
            let bytes = value.to_be_bytes();
            let mut data4 = [0u8; 8];
            data4.copy_from_slice(&bytes[8..16]);
            store(
                target,
                Guid {
                    data1: u32::from_be_bytes(bytes[0..4].try_into().unwrap_or_default()),
                    data2: u16::from_be_bytes(bytes[4..6].try_into().unwrap_or_default()),
                    data3: u16::from_be_bytes(bytes[6..8].try_into().unwrap_or_default()),
                    data4,
                },
                indicator,
            )
        }
        _ => Err("HYC00"),
    }
}

/// Reads a parameter value of `c_type` (for a column of `sql_type`) at
/// `value` with length or indicator `length` (`SQL_NTS` or a byte count).
///
/// # Safety
/// `value` must point at a value of `c_type` (text of `length` bytes).
pub unsafe fn read_parameter(
    c_type: i16,
    sql_type: i16,
    value: *const c_void,
    length: Len,
) -> Result<Cell, &'static str> {
    if length == odbc::NULL_DATA {
        return Ok(Cell::Null);
    }
    if value.is_null() {
        return Err("HY009");
    }
    let binary_column = matches!(
        sql_type,
        odbc::SQL_BINARY | odbc::SQL_VARBINARY | odbc::SQL_LONGVARBINARY
    );
    let character_column = matches!(
        sql_type,
        odbc::SQL_CHAR
            | odbc::SQL_VARCHAR
            | odbc::SQL_LONGVARCHAR
            | odbc::SQL_WCHAR
            | odbc::SQL_WVARCHAR
            | odbc::SQL_WLONGVARCHAR
    );
    Ok(match c_type {
        odbc::C_CHAR | odbc::C_BINARY => {
            let bytes = if length == odbc::NTS && c_type == odbc::C_CHAR {
                std::ffi::CStr::from_ptr(value as *const std::ffi::c_char).to_bytes()
            } else {
                std::slice::from_raw_parts(value as *const u8, length.max(0) as usize)
            };
            if (c_type == odbc::C_BINARY && !character_column) || binary_column {
                Cell::Blob(bytes.to_vec())
            } else {
                numeric_text(sql_type, bytes.to_vec())
            }
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
            numeric_text(sql_type, String::from_utf16_lossy(units).into_bytes())
        }
        odbc::C_SBIGINT => Cell::Int(std::ptr::read_unaligned(value as *const i64)),
        odbc::C_UBIGINT => Cell::Huge(std::ptr::read_unaligned(value as *const u64) as i128),
        odbc::C_LONG | odbc::C_SLONG => {
            Cell::Int(std::ptr::read_unaligned(value as *const i32) as i64)
        }
        odbc::C_ULONG => Cell::Int(std::ptr::read_unaligned(value as *const u32) as i64),
        odbc::C_SHORT | odbc::C_SSHORT => {
            Cell::Int(std::ptr::read_unaligned(value as *const i16) as i64)
        }
        odbc::C_USHORT => Cell::Int(std::ptr::read_unaligned(value as *const u16) as i64),
        odbc::C_TINYINT | odbc::C_STINYINT => Cell::Int(*(value as *const i8) as i64),
        odbc::C_UTINYINT => Cell::Int(*(value as *const u8) as i64),
        odbc::C_BIT => Cell::Bool(*(value as *const u8) != 0),
        odbc::C_DOUBLE => Cell::Double(std::ptr::read_unaligned(value as *const f64)),
        odbc::C_FLOAT => Cell::Real(std::ptr::read_unaligned(value as *const f32)),
        odbc::C_NUMERIC => {
            let numeric = std::ptr::read_unaligned(value as *const Numeric);
            let magnitude = u128::from_le_bytes(numeric.value);
            let mut mantissa = i128::try_from(magnitude).map_err(|_| "22003")?;
            if numeric.sign == 0 {
                mantissa = -mantissa;
            }
            if numeric.scale < 0 {
                let factor = 10i128.checked_pow((-numeric.scale) as u32).ok_or("22003")?;
                Cell::Decimal(mantissa.checked_mul(factor).ok_or("22003")?, 0)
            } else {
                Cell::Decimal(mantissa, numeric.scale as u8)
            }
        }
        odbc::C_TYPE_DATE | odbc::C_DATE => {
            let d = std::ptr::read_unaligned(value as *const Date);
            Cell::Date(days_from_civil(d.year as i64, d.month as u32, d.day as u32) as i32)
        }
        odbc::C_TYPE_TIME | odbc::C_TIME => {
            let t = std::ptr::read_unaligned(value as *const Time);
            Cell::Time((t.hour as i64 * 3600 + t.minute as i64 * 60 + t.second as i64) * 1_000_000)
        }
        odbc::C_TYPE_TIMESTAMP | odbc::C_TIMESTAMP => {
            let t = std::ptr::read_unaligned(value as *const Timestamp);
            let days = days_from_civil(t.year as i64, t.month as u32, t.day as u32);
            let seconds =
                days * 86_400 + t.hour as i64 * 3600 + t.minute as i64 * 60 + t.second as i64;
            Cell::Timestamp(seconds * 1_000_000 + (t.fraction / 1000) as i64)
        }
        odbc::C_GUID => {
            let g = std::ptr::read_unaligned(value as *const Guid);
            let mut bytes = [0u8; 16];
            bytes[0..4].copy_from_slice(&g.data1.to_be_bytes());
            bytes[4..6].copy_from_slice(&g.data2.to_be_bytes());
            bytes[6..8].copy_from_slice(&g.data3.to_be_bytes());
            bytes[8..16].copy_from_slice(&g.data4);
            Cell::Uuid(u128::from_be_bytes(bytes))
        }
        _ => return Err("HYC00"),
    })
}

/// Text sent for a NUMERIC or DECIMAL parameter (as pyodbc sends a Python
/// `Decimal`) as an exact decimal, so that DuckDB knows its type where the
/// statement does not say (`? + 1`, `abs(?)`); other text as it is.
fn numeric_text(sql_type: i16, text: Vec<u8>) -> Cell {
    if matches!(sql_type, odbc::SQL_NUMERIC | odbc::SQL_DECIMAL) {
        if let Some((mantissa, scale)) = std::str::from_utf8(&text)
            .ok()
            .and_then(|t| parse_decimal(t.trim()))
        {
            return Cell::Decimal(mantissa, scale);
        }
    }
    Cell::Text(text)
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
        Cell::Real(f) => ffi::duckdb_bind_float(statement, index, *f),
        Cell::Double(f) => ffi::duckdb_bind_double(statement, index, *f),
        Cell::Date(d) => ffi::duckdb_bind_date(statement, index, ffi::duckdb_date { days: *d }),
        Cell::Time(t) => ffi::duckdb_bind_time(statement, index, ffi::duckdb_time { micros: *t }),
        Cell::Timestamp(t) => {
            ffi::duckdb_bind_timestamp(statement, index, ffi::duckdb_timestamp { micros: *t })
        }
        Cell::Blob(b) => ffi::duckdb_bind_blob(
            statement,
            index,
            b.as_ptr() as *const c_void,
            b.len() as u64,
        ),
        // An exact decimal as a DECIMAL of its own width and scale.
        Cell::Decimal(value, scale) if *scale <= 38 => {
            let digits = value.unsigned_abs().checked_ilog10().map_or(1, |d| d + 1) as u8;
            let width = digits.max(*scale + 1).min(38);
            let decimal = ffi::duckdb_decimal {
                width,
                scale: *scale,
                value: ffi::duckdb_hugeint {
                    lower: *value as u64,
                    upper: (*value >> 64) as i64,
                },
            };
            ffi::duckdb_bind_decimal(statement, index, decimal)
        }
        // UUIDs and the rest travel as text DuckDB casts.
        _ => {
            let text = cell.text().unwrap_or_default();
            ffi::duckdb_bind_varchar_length(
                statement,
                index,
                text.as_ptr() as *const _,
                text.len() as u64,
            )
        }
    }
}

/// Appends `cell` as the next value of an appender row.
///
/// # Safety
/// `appender` must be a valid appender.
pub unsafe fn append_cell(appender: ffi::duckdb_appender, cell: &Cell) -> ffi::duckdb_state {
    match cell {
        Cell::Unsupported(_) => ffi::duckdb_state_DuckDBError,
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
        Cell::Real(f) => ffi::duckdb_append_float(appender, *f),
        Cell::Double(f) => ffi::duckdb_append_double(appender, *f),
        Cell::Date(d) => ffi::duckdb_append_date(appender, ffi::duckdb_date { days: *d }),
        Cell::Time(t) => ffi::duckdb_append_time(appender, ffi::duckdb_time { micros: *t }),
        Cell::Timestamp(t) => {
            ffi::duckdb_append_timestamp(appender, ffi::duckdb_timestamp { micros: *t })
        }
        Cell::Blob(b) => {
            ffi::duckdb_append_blob(appender, b.as_ptr() as *const c_void, b.len() as u64)
        }
        Cell::Text(t) => {
            ffi::duckdb_append_varchar_length(appender, t.as_ptr() as *const _, t.len() as u64)
        }
        _ => {
            let text = cell.text().unwrap_or_default();
            ffi::duckdb_append_varchar_length(
                appender,
                text.as_ptr() as *const _,
                text.len() as u64,
            )
        }
    }
}

#[cfg(test)]
mod text_forms {
    use super::*;

    #[test]
    fn decimal_text_parses_exactly() {
        assert_eq!(parse_decimal("-12.50"), Some((-1250, 2)));
        assert_eq!(parse_decimal("2.5"), Some((25, 1)));
        assert_eq!(parse_decimal(".5"), Some((5, 1)));
        assert_eq!(parse_decimal("7"), Some((7, 0)));
        assert_eq!(parse_decimal("1E+3"), Some((1000, 0)));
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal("-"), None);
    }

    #[test]
    fn interval_bit_and_time_tz_text_match_duckdbs_casts() {
        assert_eq!(interval_text(0, 0, 14_706_500_000), "04:05:06.5");
        assert_eq!(
            interval_text(14, 3, 14_400_123_000),
            "1 year 2 months 3 days 04:00:00.123"
        );
        assert_eq!(interval_text(0, 0, -6_250_000), "-00:00:06.25");
        assert_eq!(bit_text(&[5, 0b1111_1101]), "101");
        assert_eq!(bit_text(&[6, 0b0000_0000, 0b1011_0011]), "0010110011");
        assert_eq!(time_tz_text(14_706_500_000, 9000), "04:05:06.5+02:30");
        assert_eq!(time_tz_text(82_800_000_000, -25_200), "23:00:00-07");
    }
}
