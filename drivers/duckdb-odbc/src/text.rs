//! Text arguments and output strings of the entry points, in both ODBC
//! encodings: the ANSI functions take and return UTF-8 bytes, the wide
//! (`...W`) functions UTF-16 code units. DuckDB works in UTF-8, so every
//! string is decoded on the way in and encoded on the way out here.

use std::ffi::{c_char, CStr};

use crate::odbc::Pointer;

/// Which encoding an entry point speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// UTF-8 bytes (`SQLExecDirect`, ...).
    Narrow,
    /// UTF-16 code units (`SQLExecDirectW`, ...).
    Wide,
}

/// How an output buffer's capacity and the reported length are counted:
/// in characters (code units) for names and messages, in bytes for
/// attribute and descriptor values (ODBC's rule for each function).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    Characters,
    Bytes,
}

/// A UTF-8 input string of `length` bytes (or NUL-terminated when
/// `length` is negative, as with SQL_NTS).
///
/// # Safety
/// `text` must be null or point at that many readable bytes.
pub unsafe fn narrow_arg(text: *const u8, length: isize) -> String {
    if text.is_null() {
        return String::new();
    }
    let bytes = if length < 0 {
        CStr::from_ptr(text as *const c_char).to_bytes()
    } else {
        std::slice::from_raw_parts(text, length as usize)
    };
    String::from_utf8_lossy(bytes).into_owned()
}

/// A UTF-16 input string of `length` code units (NUL-terminated when
/// negative).
///
/// # Safety
/// `text` must be null or point at that many readable code units.
pub unsafe fn wide_arg(text: *const u16, length: isize) -> String {
    if text.is_null() {
        return String::new();
    }
    let units = if length < 0 {
        let mut count = 0;
        while *text.add(count) != 0 {
            count += 1;
        }
        std::slice::from_raw_parts(text, count)
    } else {
        std::slice::from_raw_parts(text, length as usize)
    };
    String::from_utf16_lossy(units)
}

/// An input string in either encoding; `None` when the pointer is null
/// (catalog functions tell "absent" from "empty").
pub unsafe fn optional_arg(text: Pointer, length: isize, width: Width) -> Option<String> {
    if text.is_null() {
        return None;
    }
    Some(match width {
        Width::Narrow => narrow_arg(text as *const u8, length),
        Width::Wide => wide_arg(text as *const u16, length),
    })
}

/// Copies `text` into an output buffer of `capacity` (counted as `count`
/// says), always NUL-terminated, cut at a character boundary when it does
/// not fit. Returns the full length to report (in the same count) and
/// whether the text was truncated (SQLSTATE 01004).
///
/// # Safety
/// `buffer` must be null or hold `capacity` units.
pub unsafe fn put(
    text: &str,
    buffer: Pointer,
    capacity: isize,
    width: Width,
    count: Count,
) -> (isize, bool) {
    match width {
        Width::Narrow => {
            let bytes = text.as_bytes();
            let full = bytes.len() as isize;
            if buffer.is_null() || capacity <= 0 {
                return (full, !bytes.is_empty() && !buffer.is_null());
            }
            let mut take = bytes.len().min(capacity as usize - 1);
            while take > 0 && !text.is_char_boundary(take) {
                take -= 1;
            }
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), buffer as *mut u8, take);
            *(buffer as *mut u8).add(take) = 0;
            (full, take < bytes.len())
        }
        Width::Wide => {
            let units: Vec<u16> = text.encode_utf16().collect();
            let unit_size = if count == Count::Bytes { 2 } else { 1 };
            let full = units.len() as isize * unit_size;
            let room = if count == Count::Bytes {
                capacity / 2
            } else {
                capacity
            };
            if buffer.is_null() || room <= 0 {
                return (full, !units.is_empty() && !buffer.is_null());
            }
            let mut take = units.len().min(room as usize - 1);
            // Never leave half of a surrogate pair at the end.
            if take > 0 && take < units.len() && (0xD800..0xDC00).contains(&units[take - 1]) {
                take -= 1;
            }
            std::ptr::copy_nonoverlapping(units.as_ptr(), buffer as *mut u16, take);
            *(buffer as *mut u16).add(take) = 0;
            (full, take < units.len())
        }
    }
}

/// [`put`] with the length reported through a SQLSMALLINT pointer.
pub unsafe fn put16(
    text: &str,
    buffer: Pointer,
    capacity: isize,
    length: *mut i16,
    width: Width,
    count: Count,
) -> bool {
    let (full, truncated) = put(text, buffer, capacity, width, count);
    if !length.is_null() {
        *length = full.min(i16::MAX as isize) as i16;
    }
    truncated
}

/// [`put`] with the length reported through a SQLINTEGER pointer.
pub unsafe fn put32(
    text: &str,
    buffer: Pointer,
    capacity: isize,
    length: *mut i32,
    width: Width,
    count: Count,
) -> bool {
    let (full, truncated) = put(text, buffer, capacity, width, count);
    if !length.is_null() {
        *length = full.min(i32::MAX as isize) as i32;
    }
    truncated
}
