//! DuckDB's types as ODBC sees them: how each is described (SQL type,
//! size, digits, type name) and how a value of it is read out of a DuckDB
//! vector into a [`Cell`]. Nested types (LIST, STRUCT, MAP, ARRAY) are
//! read as JSON text.

use std::ffi::CStr;

use libduckdb_sys as ffi;

use crate::odbc;
use crate::value::{json_escape, Cell};

/// What ODBC is told about a column or parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Description {
    pub sql_type: i16,
    pub column_size: usize,
    pub decimal_digits: i16,
    pub type_name: String,
    /// Bytes of the default C representation (SQL_DESC_OCTET_LENGTH).
    pub octet_length: usize,
    pub unsigned: bool,
}

/// The column size reported for text, binary and nested values, which
/// DuckDB does not bound.
pub const UNBOUNDED: usize = 65_535;

/// A DuckDB logical type, with what reading its values needs (decimal
/// scale, enum dictionary, nested children).
pub struct TypeInfo {
    pub id: ffi::duckdb_type,
    /// DECIMAL: width, scale and storage type.
    pub decimal: Option<(u8, u8, ffi::duckdb_type)>,
    /// ENUM: storage type and dictionary.
    pub enumeration: Option<(ffi::duckdb_type, Vec<String>)>,
    /// STRUCT fields, the LIST/ARRAY element, or MAP key and value.
    pub children: Vec<(String, TypeInfo)>,
    /// ARRAY: elements per value.
    pub array_size: usize,
    /// The SQL spelling of the type (`DECIMAL(10,2)`, `INTEGER[]`, ...).
    pub name: String,
}

impl TypeInfo {
    /// Takes ownership of `logical` (destroyed here).
    ///
    /// # Safety
    /// `logical` must be a valid logical type or null.
    pub unsafe fn of_logical(mut logical: ffi::duckdb_logical_type) -> TypeInfo {
        if logical.is_null() {
            return TypeInfo::plain(ffi::DUCKDB_TYPE_DUCKDB_TYPE_INVALID);
        }
        let id = ffi::duckdb_get_type_id(logical);
        let mut info = TypeInfo::plain(id);
        match id {
            ffi::DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL => {
                let width = ffi::duckdb_decimal_width(logical);
                let scale = ffi::duckdb_decimal_scale(logical);
                info.decimal = Some((width, scale, ffi::duckdb_decimal_internal_type(logical)));
                info.name = format!("DECIMAL({width},{scale})");
            }
            ffi::DUCKDB_TYPE_DUCKDB_TYPE_ENUM => {
                let size = ffi::duckdb_enum_dictionary_size(logical);
                let words = (0..size)
                    .map(|i| {
                        let word = ffi::duckdb_enum_dictionary_value(logical, i as u64);
                        let text = CStr::from_ptr(word).to_string_lossy().into_owned();
                        ffi::duckdb_free(word as *mut std::ffi::c_void);
                        text
                    })
                    .collect();
                info.enumeration = Some((ffi::duckdb_enum_internal_type(logical), words));
            }
            ffi::DUCKDB_TYPE_DUCKDB_TYPE_LIST => {
                let child = TypeInfo::of_logical(ffi::duckdb_list_type_child_type(logical));
                info.name = format!("{}[]", child.name);
                info.children.push((String::new(), child));
            }
            ffi::DUCKDB_TYPE_DUCKDB_TYPE_ARRAY => {
                let child = TypeInfo::of_logical(ffi::duckdb_array_type_child_type(logical));
                info.array_size = ffi::duckdb_array_type_array_size(logical) as usize;
                info.name = format!("{}[{}]", child.name, info.array_size);
                info.children.push((String::new(), child));
            }
            ffi::DUCKDB_TYPE_DUCKDB_TYPE_MAP => {
                let key = TypeInfo::of_logical(ffi::duckdb_map_type_key_type(logical));
                let value = TypeInfo::of_logical(ffi::duckdb_map_type_value_type(logical));
                info.name = format!("MAP({}, {})", key.name, value.name);
                info.children.push(("key".into(), key));
                info.children.push(("value".into(), value));
            }
            ffi::DUCKDB_TYPE_DUCKDB_TYPE_STRUCT => {
                let count = ffi::duckdb_struct_type_child_count(logical);
                for index in 0..count {
                    let name = ffi::duckdb_struct_type_child_name(logical, index);
                    let field = CStr::from_ptr(name).to_string_lossy().into_owned();
                    ffi::duckdb_free(name as *mut std::ffi::c_void);
                    let child =
                        TypeInfo::of_logical(ffi::duckdb_struct_type_child_type(logical, index));
                    info.children.push((field, child));
                }
                let fields: Vec<String> = info
                    .children
                    .iter()
                    .map(|(name, child)| format!("{name} {}", child.name))
                    .collect();
                info.name = format!("STRUCT({})", fields.join(", "));
            }
            _ => {}
        }
        ffi::duckdb_destroy_logical_type(&mut logical);
        info
    }

    pub fn plain(id: ffi::duckdb_type) -> TypeInfo {
        TypeInfo {
            id,
            decimal: None,
            enumeration: None,
            children: Vec::new(),
            array_size: 0,
            name: type_name(id).to_string(),
        }
    }

    /// How ODBC describes this type.
    pub fn describe(&self) -> Description {
        use ffi::*;
        let (sql_type, column_size, decimal_digits, octet_length, unsigned) = match self.id {
            DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN => (odbc::SQL_BIT, 1, 0, 1, false),
            DUCKDB_TYPE_DUCKDB_TYPE_TINYINT => (odbc::SQL_TINYINT, 3, 0, 1, false),
            DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT => (odbc::SQL_TINYINT, 3, 0, 1, true),
            DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT => (odbc::SQL_SMALLINT, 5, 0, 2, false),
            DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT => (odbc::SQL_SMALLINT, 5, 0, 2, true),
            DUCKDB_TYPE_DUCKDB_TYPE_INTEGER => (odbc::SQL_INTEGER, 10, 0, 4, false),
            DUCKDB_TYPE_DUCKDB_TYPE_UINTEGER => (odbc::SQL_INTEGER, 10, 0, 4, true),
            DUCKDB_TYPE_DUCKDB_TYPE_BIGINT => (odbc::SQL_BIGINT, 19, 0, 8, false),
            // Values beyond the signed 64-bit range travel as exact decimals.
            DUCKDB_TYPE_DUCKDB_TYPE_UBIGINT => (odbc::SQL_DECIMAL, 20, 0, 22, true),
            DUCKDB_TYPE_DUCKDB_TYPE_HUGEINT => (odbc::SQL_DECIMAL, 39, 0, 41, false),
            DUCKDB_TYPE_DUCKDB_TYPE_UHUGEINT => (odbc::SQL_DECIMAL, 39, 0, 41, true),
            DUCKDB_TYPE_DUCKDB_TYPE_FLOAT => (odbc::SQL_REAL, 7, 0, 4, false),
            DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE => (odbc::SQL_DOUBLE, 15, 0, 8, false),
            DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL => {
                let (width, scale, _) = self.decimal.unwrap_or((18, 3, 0));
                (
                    odbc::SQL_DECIMAL,
                    width as usize,
                    scale as i16,
                    width as usize + 2,
                    false,
                )
            }
            DUCKDB_TYPE_DUCKDB_TYPE_DATE => (odbc::SQL_TYPE_DATE, 10, 0, 6, false),
            DUCKDB_TYPE_DUCKDB_TYPE_TIME => (odbc::SQL_TYPE_TIME, 15, 6, 6, false),
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP | DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_TZ => {
                (odbc::SQL_TYPE_TIMESTAMP, 26, 6, 16, false)
            }
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_S => (odbc::SQL_TYPE_TIMESTAMP, 19, 0, 16, false),
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_MS => (odbc::SQL_TYPE_TIMESTAMP, 23, 3, 16, false),
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_NS => (odbc::SQL_TYPE_TIMESTAMP, 29, 9, 16, false),
            DUCKDB_TYPE_DUCKDB_TYPE_UUID => (odbc::SQL_GUID, 36, 0, 16, false),
            DUCKDB_TYPE_DUCKDB_TYPE_BLOB => (odbc::SQL_VARBINARY, UNBOUNDED, 0, UNBOUNDED, false),
            _ => (odbc::SQL_VARCHAR, UNBOUNDED, 0, UNBOUNDED, false),
        };
        Description {
            sql_type,
            column_size,
            decimal_digits,
            type_name: self.name.clone(),
            octet_length,
            unsigned,
        }
    }

    /// Reads row `row` of `vector`, a vector of this type.
    ///
    /// # Safety
    /// `vector` must be a vector of this type with more than `row` rows.
    pub unsafe fn read(&self, vector: ffi::duckdb_vector, row: usize) -> Cell {
        let validity = ffi::duckdb_vector_get_validity(vector);
        if !validity.is_null() && !ffi::duckdb_validity_row_is_valid(validity, row as u64) {
            return Cell::Null;
        }
        let data = ffi::duckdb_vector_get_data(vector);
        use ffi::*;
        match self.id {
            DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN => Cell::Bool(*(data as *const bool).add(row)),
            DUCKDB_TYPE_DUCKDB_TYPE_TINYINT => Cell::Int(*(data as *const i8).add(row) as i64),
            DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT => Cell::Int(*(data as *const i16).add(row) as i64),
            DUCKDB_TYPE_DUCKDB_TYPE_INTEGER => Cell::Int(*(data as *const i32).add(row) as i64),
            DUCKDB_TYPE_DUCKDB_TYPE_BIGINT => Cell::Int(*(data as *const i64).add(row)),
            DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT => Cell::Int(*(data as *const u8).add(row) as i64),
            DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT => Cell::Int(*(data as *const u16).add(row) as i64),
            DUCKDB_TYPE_DUCKDB_TYPE_UINTEGER => Cell::Int(*(data as *const u32).add(row) as i64),
            DUCKDB_TYPE_DUCKDB_TYPE_UBIGINT => Cell::Huge(*(data as *const u64).add(row) as i128),
            DUCKDB_TYPE_DUCKDB_TYPE_HUGEINT => {
                let value = *(data as *const ffi::duckdb_hugeint).add(row);
                Cell::Huge(((value.upper as i128) << 64) | value.lower as i128)
            }
            DUCKDB_TYPE_DUCKDB_TYPE_UHUGEINT => {
                let value = *(data as *const ffi::duckdb_uhugeint).add(row);
                let number = ((value.upper as u128) << 64) | value.lower as u128;
                match i128::try_from(number) {
                    Ok(fits) => Cell::Huge(fits),
                    Err(_) => Cell::Text(number.to_string().into_bytes()),
                }
            }
            DUCKDB_TYPE_DUCKDB_TYPE_FLOAT => Cell::Real(*(data as *const f32).add(row)),
            DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE => Cell::Double(*(data as *const f64).add(row)),
            DUCKDB_TYPE_DUCKDB_TYPE_DATE => {
                Cell::Date((*(data as *const ffi::duckdb_date).add(row)).days)
            }
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP => Cell::Timestamp(*(data as *const i64).add(row)),
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_TZ => {
                Cell::TimestampTz(*(data as *const i64).add(row))
            }
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_S => {
                let seconds = *(data as *const i64).add(row);
                Cell::Timestamp(crate::value::scale_timestamp(seconds, 1_000_000))
            }
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_MS => {
                let millis = *(data as *const i64).add(row);
                Cell::Timestamp(crate::value::scale_timestamp(millis, 1_000))
            }
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_NS => {
                Cell::TimestampNanos(*(data as *const i64).add(row))
            }
            DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR => Cell::Text(read_string(data, row)),
            DUCKDB_TYPE_DUCKDB_TYPE_BLOB => Cell::Blob(read_string(data, row)),
            DUCKDB_TYPE_DUCKDB_TYPE_TIME => Cell::Time(*(data as *const i64).add(row)),
            DUCKDB_TYPE_DUCKDB_TYPE_INTERVAL => {
                let value = *(data as *const ffi::duckdb_interval).add(row);
                Cell::Text(
                    crate::value::interval_text(value.months, value.days, value.micros)
                        .into_bytes(),
                )
            }
            DUCKDB_TYPE_DUCKDB_TYPE_BIT => {
                Cell::Text(crate::value::bit_text(&read_string(data, row)).into_bytes())
            }
            DUCKDB_TYPE_DUCKDB_TYPE_TIME_TZ => {
                let value = *(data as *const ffi::duckdb_time_tz).add(row);
                let parts = ffi::duckdb_from_time_tz(value);
                let time = parts.time;
                let micros = ((time.hour as i64 * 60 + time.min as i64) * 60 + time.sec as i64)
                    * 1_000_000
                    + time.micros as i64;
                Cell::Text(crate::value::time_tz_text(micros, parts.offset).into_bytes())
            }
            DUCKDB_TYPE_DUCKDB_TYPE_UUID => {
                let value = *(data as *const ffi::duckdb_hugeint).add(row);
                // DuckDB stores UUIDs with the top bit flipped, so they sort.
                let stored = ((value.upper as i128) << 64) | value.lower as i128;
                Cell::Uuid((stored as u128) ^ (1u128 << 127))
            }
            DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL => match self.decimal {
                Some((_, scale, storage)) => {
                    let raw = match storage {
                        DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT => *(data as *const i16).add(row) as i128,
                        DUCKDB_TYPE_DUCKDB_TYPE_INTEGER => *(data as *const i32).add(row) as i128,
                        DUCKDB_TYPE_DUCKDB_TYPE_BIGINT => *(data as *const i64).add(row) as i128,
                        DUCKDB_TYPE_DUCKDB_TYPE_HUGEINT => {
                            let value = *(data as *const ffi::duckdb_hugeint).add(row);
                            ((value.upper as i128) << 64) | value.lower as i128
                        }
                        _ => return Cell::Unsupported(self.id),
                    };
                    Cell::Decimal(raw, scale)
                }
                None => Cell::Unsupported(self.id),
            },
            DUCKDB_TYPE_DUCKDB_TYPE_ENUM => match &self.enumeration {
                Some((storage, words)) => {
                    let index = match *storage {
                        DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT => *(data as *const u8).add(row) as usize,
                        DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT => {
                            *(data as *const u16).add(row) as usize
                        }
                        _ => *(data as *const u32).add(row) as usize,
                    };
                    match words.get(index) {
                        Some(word) => Cell::Text(word.clone().into_bytes()),
                        None => Cell::Unsupported(self.id),
                    }
                }
                None => Cell::Unsupported(self.id),
            },
            DUCKDB_TYPE_DUCKDB_TYPE_LIST
            | DUCKDB_TYPE_DUCKDB_TYPE_ARRAY
            | DUCKDB_TYPE_DUCKDB_TYPE_MAP
            | DUCKDB_TYPE_DUCKDB_TYPE_STRUCT => {
                let mut json = String::new();
                if self.write_json(vector, row, &mut json) {
                    Cell::Text(json.into_bytes())
                } else {
                    Cell::Unsupported(self.id)
                }
            }
            other => Cell::Unsupported(other),
        }
    }

    /// Appends the value at `row` as JSON; false for a type that has no
    /// JSON form here.
    unsafe fn write_json(&self, vector: ffi::duckdb_vector, row: usize, out: &mut String) -> bool {
        use ffi::*;
        let validity = ffi::duckdb_vector_get_validity(vector);
        if !validity.is_null() && !ffi::duckdb_validity_row_is_valid(validity, row as u64) {
            out.push_str("null");
            return true;
        }
        match self.id {
            DUCKDB_TYPE_DUCKDB_TYPE_LIST | DUCKDB_TYPE_DUCKDB_TYPE_MAP => {
                let entry = *(ffi::duckdb_vector_get_data(vector) as *const ffi::duckdb_list_entry)
                    .add(row);
                let child = ffi::duckdb_list_vector_get_child(vector);
                let (start, length) = (entry.offset as usize, entry.length as usize);
                if self.id == DUCKDB_TYPE_DUCKDB_TYPE_MAP {
                    let keys = ffi::duckdb_struct_vector_get_child(child, 0);
                    let values = ffi::duckdb_struct_vector_get_child(child, 1);
                    out.push('{');
                    for index in start..start + length {
                        if index > start {
                            out.push_str(", ");
                        }
                        let key = self.children[0].1.read(keys, index);
                        let key_text = key.text().unwrap_or_default();
                        json_escape(&String::from_utf8_lossy(&key_text), out);
                        out.push_str(": ");
                        if !self.children[1].1.write_json(values, index, out) {
                            return false;
                        }
                    }
                    out.push('}');
                    return true;
                }
                out.push('[');
                for index in start..start + length {
                    if index > start {
                        out.push_str(", ");
                    }
                    if !self.children[0].1.write_json(child, index, out) {
                        return false;
                    }
                }
                out.push(']');
                true
            }
            DUCKDB_TYPE_DUCKDB_TYPE_ARRAY => {
                let child = ffi::duckdb_array_vector_get_child(vector);
                out.push('[');
                for index in 0..self.array_size {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    if !self.children[0]
                        .1
                        .write_json(child, row * self.array_size + index, out)
                    {
                        return false;
                    }
                }
                out.push(']');
                true
            }
            DUCKDB_TYPE_DUCKDB_TYPE_STRUCT => {
                out.push('{');
                for (index, (name, child_type)) in self.children.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    json_escape(name, out);
                    out.push_str(": ");
                    let child = ffi::duckdb_struct_vector_get_child(vector, index as u64);
                    if !child_type.write_json(child, row, out) {
                        return false;
                    }
                }
                out.push('}');
                true
            }
            _ => {
                let cell = self.read(vector, row);
                cell.write_json(out)
            }
        }
    }
}

unsafe fn read_string(data: *mut std::ffi::c_void, row: usize) -> Vec<u8> {
    let string = (data as *mut ffi::duckdb_string_t).add(row);
    let length = ffi::duckdb_string_t_length(*string) as usize;
    let bytes = ffi::duckdb_string_t_data(string);
    std::slice::from_raw_parts(bytes as *const u8, length).to_vec()
}

/// DuckDB's name for a type id.
pub fn type_name(id: ffi::duckdb_type) -> &'static str {
    use ffi::*;
    match id {
        DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN => "BOOLEAN",
        DUCKDB_TYPE_DUCKDB_TYPE_TINYINT => "TINYINT",
        DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT => "SMALLINT",
        DUCKDB_TYPE_DUCKDB_TYPE_INTEGER => "INTEGER",
        DUCKDB_TYPE_DUCKDB_TYPE_BIGINT => "BIGINT",
        DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT => "UTINYINT",
        DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT => "USMALLINT",
        DUCKDB_TYPE_DUCKDB_TYPE_UINTEGER => "UINTEGER",
        DUCKDB_TYPE_DUCKDB_TYPE_UBIGINT => "UBIGINT",
        DUCKDB_TYPE_DUCKDB_TYPE_HUGEINT => "HUGEINT",
        DUCKDB_TYPE_DUCKDB_TYPE_UHUGEINT => "UHUGEINT",
        DUCKDB_TYPE_DUCKDB_TYPE_FLOAT => "FLOAT",
        DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE => "DOUBLE",
        DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL => "DECIMAL",
        DUCKDB_TYPE_DUCKDB_TYPE_DATE => "DATE",
        DUCKDB_TYPE_DUCKDB_TYPE_TIME => "TIME",
        DUCKDB_TYPE_DUCKDB_TYPE_TIME_TZ => "TIME WITH TIME ZONE",
        DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP => "TIMESTAMP",
        DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_TZ => "TIMESTAMP WITH TIME ZONE",
        DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_S => "TIMESTAMP_S",
        DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_MS => "TIMESTAMP_MS",
        DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_NS => "TIMESTAMP_NS",
        DUCKDB_TYPE_DUCKDB_TYPE_INTERVAL => "INTERVAL",
        DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR => "VARCHAR",
        DUCKDB_TYPE_DUCKDB_TYPE_BLOB => "BLOB",
        DUCKDB_TYPE_DUCKDB_TYPE_UUID => "UUID",
        DUCKDB_TYPE_DUCKDB_TYPE_ENUM => "ENUM",
        DUCKDB_TYPE_DUCKDB_TYPE_LIST => "LIST",
        DUCKDB_TYPE_DUCKDB_TYPE_STRUCT => "STRUCT",
        DUCKDB_TYPE_DUCKDB_TYPE_MAP => "MAP",
        DUCKDB_TYPE_DUCKDB_TYPE_ARRAY => "ARRAY",
        DUCKDB_TYPE_DUCKDB_TYPE_UNION => "UNION",
        DUCKDB_TYPE_DUCKDB_TYPE_BIT => "BIT",
        _ => "VARCHAR",
    }
}
