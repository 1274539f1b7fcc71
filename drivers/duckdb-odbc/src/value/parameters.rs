//! Parameter values: read out of the application's buffers as a [`Cell`],
//! then bound to a DuckDB prepared statement or appended to an appender
//! row.

use std::ffi::c_void;

use libduckdb_sys as ffi;

use super::text::{days_from_civil, parse_decimal};
use super::Cell;
use crate::odbc::{self, Date, Guid, Len, Numeric, Time, Timestamp};

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
pub(super) fn numeric_text(sql_type: i16, text: Vec<u8>) -> Cell {
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
