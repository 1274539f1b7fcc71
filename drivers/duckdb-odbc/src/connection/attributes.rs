//! Connection strings and DSNs: `key=value;...` pairs with `{...}`
//! quoting, a data source's attributes from odbc.ini, and which keys are
//! ODBC's and which DuckDB settings.

use std::ffi::{c_char, CStr, CString};

use libduckdb_sys as ffi;

/// Keys of a connection string that are ODBC's, not DuckDB settings.
pub(super) const ODBC_KEYS: &[&str] = &[
    "driver",
    "dsn",
    "filedsn",
    "savefile",
    "uid",
    "pwd",
    "description",
    "setup",
    "trace",
    "tracefile",
];

/// `key=value;...` with `{...}` quoting (`}}` escapes `}`).
/// Whether an ODBC flag value says yes (`1`, `yes`, `true`, `on`).
pub(super) fn is_true(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "yes" | "true" | "on" | "y"
    )
}

/// The names of DuckDB's own settings (lower case), as its C API lists them.
pub(super) fn duckdb_settings() -> &'static std::collections::HashSet<String> {
    static SETTINGS: std::sync::OnceLock<std::collections::HashSet<String>> =
        std::sync::OnceLock::new();
    SETTINGS.get_or_init(|| {
        let mut names = std::collections::HashSet::new();
        // SAFETY: DuckDB's configuration flags are static strings it owns.
        unsafe {
            for index in 0..ffi::duckdb_config_count() {
                let mut name: *const c_char = std::ptr::null();
                let mut description: *const c_char = std::ptr::null();
                if ffi::duckdb_get_config_flag(index, &mut name, &mut description)
                    == ffi::duckdb_state_DuckDBSuccess
                    && !name.is_null()
                {
                    names.insert(CStr::from_ptr(name).to_string_lossy().to_ascii_lowercase());
                }
            }
        }
        names
    })
}

pub fn parse_connection_string(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            chars.next();
            if c == '=' {
                break;
            }
            key.push(c);
        }
        let mut value = String::new();
        if chars.peek() == Some(&'{') {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '}' {
                    if chars.peek() == Some(&'}') {
                        chars.next();
                        value.push('}');
                    } else {
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            while let Some(&c) = chars.peek() {
                chars.next();
                if c == ';' {
                    break;
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                chars.next();
                if c == ';' {
                    break;
                }
                value.push(c);
            }
        }
        let key = key.trim().to_string();
        if !key.is_empty() {
            pairs.push((key, value));
        }
        if chars.peek().is_none() {
            break;
        }
    }
    pairs
}

#[link(name = "odbcinst")]
extern "C" {
    fn SQLGetPrivateProfileString(
        section: *const c_char,
        entry: *const c_char,
        default: *const c_char,
        buffer: *mut c_char,
        capacity: i32,
        file: *const c_char,
    ) -> i32;
}

/// The attributes of data source `dsn` from odbc.ini (user and system,
/// as odbcinst resolves them); `None` when no such DSN exists.
pub(super) unsafe fn dsn_attributes(dsn: &str) -> Option<Vec<(String, String)>> {
    let section = CString::new(dsn).ok()?;
    let file = c"odbc.ini";
    let empty = c"";
    let mut keys = vec![0u8; 16 * 1024];
    let n = SQLGetPrivateProfileString(
        section.as_ptr(),
        std::ptr::null(),
        empty.as_ptr(),
        keys.as_mut_ptr() as *mut c_char,
        keys.len() as i32,
        file.as_ptr(),
    );
    let mut pairs = Vec::new();
    for key in keys[..n.max(0) as usize]
        .split(|b| *b == 0)
        .filter(|k| !k.is_empty())
    {
        let c_key = CString::new(key).unwrap_or_default();
        let mut value = vec![0u8; 4096];
        let m = SQLGetPrivateProfileString(
            section.as_ptr(),
            c_key.as_ptr(),
            empty.as_ptr(),
            value.as_mut_ptr() as *mut c_char,
            value.len() as i32,
            file.as_ptr(),
        );
        pairs.push((
            String::from_utf8_lossy(key).into_owned(),
            String::from_utf8_lossy(&value[..m.max(0) as usize]).into_owned(),
        ));
    }
    (!pairs.is_empty()).then_some(pairs)
}
