//! Parameters: what SQLBindParameter bound (with column- or row-wise
//! arrays and bind offsets), reading each parameter set's values out of the
//! application's buffers and binding them, and data sent at execution. The
//! entry points are in `crate::parameters`.

use std::collections::HashMap;
use std::ffi::{c_void, CStr};

use libduckdb_sys as ffi;

use super::Statement;
use crate::odbc::{self, Len, Pointer, SqlReturn};
use crate::value::{self, Cell};

/// A parameter bound with SQLBindParameter.
#[derive(Clone, Copy)]
pub struct BoundParameter {
    pub c_type: i16,
    pub sql_type: i16,
    pub value: *mut c_void,
    pub capacity: Len,
    pub indicator: *mut Len,
}

/// Values sent with SQLPutData for parameters bound as data at execution,
/// and which parameter is being sent.
#[derive(Default)]
pub struct DataAtExecution {
    /// (parameter set, parameter index) of every parameter still to send,
    /// in the order SQLParamData asks for them.
    pub needed: Vec<(usize, usize)>,
    pub next: usize,
    pub current: Option<(usize, usize)>,
    /// The bytes sent for each parameter; `None` for SQL_NULL_DATA.
    pub values: HashMap<(usize, usize), Option<Vec<u8>>>,
    pub complete: bool,
}

impl Statement {
    /// The parameters bound as data at execution, per parameter set.
    pub fn data_at_execution_parameters(&self, sets: usize, count: usize) -> Vec<(usize, usize)> {
        let mut needed = Vec::new();
        for set in 0..sets {
            for index in 0..count {
                let Some(Some(parameter)) = self.parameters.get(index) else {
                    continue;
                };
                let indicator = self.parameter_indicator(parameter, set);
                if !indicator.is_null()
                    && value::is_data_at_execution(unsafe { indicator.read_unaligned() })
                {
                    needed.push((set, index));
                }
            }
        }
        needed
    }

    /// Executes the prepared statement once per parameter set; returns
    /// Where element `set` of a bound buffer is: the bound address plus the
    /// bind offset (SQL_ATTR_PARAM_BIND_OFFSET_PTR), stepped by the row size
    /// (row-wise binding) or the element size (column-wise). Applications
    /// such as pyodbc bind relative addresses and set the offset.
    pub fn parameter_address(&self, base: *mut c_void, set: usize, element: usize) -> *mut u8 {
        let offset = if self.param_bind_offset.is_null() {
            0
        } else {
            unsafe { *self.param_bind_offset }
        };
        // A null address stays unbound; applications that bind relative
        // addresses start them above zero (pyodbc starts at 16).
        if base.is_null() {
            return std::ptr::null_mut();
        }
        let stride = if self.param_bind_type != 0 {
            self.param_bind_type
        } else {
            element
        };
        (base as *mut u8)
            .wrapping_offset(offset)
            .wrapping_add(set * stride)
    }

    pub fn parameter_indicator(&self, parameter: &BoundParameter, set: usize) -> *mut Len {
        if parameter.indicator.is_null() {
            return std::ptr::null_mut();
        }
        self.parameter_address(
            parameter.indicator as *mut c_void,
            set,
            std::mem::size_of::<Len>(),
        ) as *mut Len
    }

    /// Where set `set`'s value of a bound parameter read as `c_type` is:
    /// its length (from the indicator; unindicated text is null-terminated)
    /// and its address (null when the parameter has no value buffer).
    pub fn parameter_location(
        &self,
        parameter: &BoundParameter,
        c_type: i16,
        set: usize,
    ) -> (Len, *mut u8) {
        let element = value::c_type_size(c_type).unwrap_or(parameter.capacity.max(0) as usize);
        let indicator = self.parameter_indicator(parameter, set);
        let length = if indicator.is_null() {
            if matches!(c_type, odbc::C_CHAR | odbc::C_WCHAR) {
                odbc::NTS
            } else {
                0
            }
        } else {
            // Row-wise bound structures need not align their members.
            unsafe { indicator.read_unaligned() }
        };
        (
            length,
            self.parameter_address(parameter.value, set, element),
        )
    }

    /// The value of parameter `index` (0-based) in parameter set `set`.
    pub fn parameter_cell(&mut self, set: usize, index: usize) -> Result<Cell, SqlReturn> {
        let Some(Some(parameter)) = self.parameters.get(index).copied() else {
            return Err(self
                .diagnostics
                .error("07002", format!("parameter {} is not bound", index + 1)));
        };
        let c_type = value::parameter_c_type(parameter.c_type, parameter.sql_type);
        if let Some(sent) = self
            .data_at_execution
            .as_ref()
            .and_then(|d| d.values.get(&(set, index)))
        {
            return match sent {
                None => Ok(Cell::Null),
                Some(bytes) => unsafe {
                    value::read_parameter(
                        c_type,
                        parameter.sql_type,
                        bytes.as_ptr() as *const c_void,
                        bytes.len() as Len,
                    )
                }
                .map_err(|state| {
                    self.diagnostics
                        .error(state, format!("cannot read parameter {}", index + 1))
                }),
            };
        }
        let (length, address) = self.parameter_location(&parameter, c_type, set);
        if length == odbc::NULL_DATA {
            return Ok(Cell::Null);
        }
        if address.is_null() {
            return Err(self.diagnostics.error(
                "HY009",
                format!("parameter {} has no value buffer", index + 1),
            ));
        }
        unsafe {
            value::read_parameter(c_type, parameter.sql_type, address as *const c_void, length)
                .map_err(|state| {
                    self.diagnostics
                        .error(state, format!("cannot read parameter {}", index + 1))
                })
        }
    }

    pub fn bind_set(&mut self, set: usize, count: usize) -> SqlReturn {
        for index in 0..count {
            let cell = match self.parameter_cell(set, index) {
                Ok(cell) => cell,
                Err(outcome) => return outcome,
            };
            if unsafe { value::bind_cell(self.prepared, index as u64 + 1, &cell) }
                != ffi::duckdb_state_DuckDBSuccess
            {
                return self.diagnostics.error(
                    "HY105",
                    format!("cannot bind parameter {} ({cell:?})", index + 1),
                );
            }
        }
        odbc::SUCCESS
    }

    /// SQLParamData: names the next parameter to send, or executes once
    /// all have been sent.
    pub fn param_data(&mut self, token: *mut Pointer) -> SqlReturn {
        let Some(pending) = self.data_at_execution.as_mut() else {
            return self
                .diagnostics
                .error("HY010", "no parameter is waiting for data");
        };
        if pending.next < pending.needed.len() {
            let (set, index) = pending.needed[pending.next];
            pending.next += 1;
            pending.current = Some((set, index));
            if !token.is_null() {
                let parameter = self.parameters[index].expect("bound");
                let c_type = value::parameter_c_type(parameter.c_type, parameter.sql_type);
                let element =
                    value::c_type_size(c_type).unwrap_or(parameter.capacity.max(0) as usize);
                unsafe {
                    *token = self.parameter_address(parameter.value, set, element) as Pointer
                };
            }
            return odbc::NEED_DATA;
        }
        pending.current = None;
        pending.complete = true;
        self.execute()
    }

    /// SQLPutData: one more piece of the parameter being sent.
    pub fn put_data(&mut self, data: Pointer, length: Len) -> SqlReturn {
        let Some(pending) = self.data_at_execution.as_mut() else {
            return self
                .diagnostics
                .error("HY010", "no parameter is waiting for data");
        };
        let Some(key) = pending.current else {
            return self
                .diagnostics
                .error("HY010", "call SQLParamData before SQLPutData");
        };
        let parameter = self.parameters[key.1].expect("bound");
        let c_type = value::parameter_c_type(parameter.c_type, parameter.sql_type);
        let entry = pending
            .values
            .entry(key)
            .or_insert_with(|| Some(Vec::new()));
        if length == odbc::NULL_DATA {
            *entry = None;
            return odbc::SUCCESS;
        }
        let bytes: &[u8] = unsafe {
            if data.is_null() {
                &[]
            } else if length == odbc::NTS || length < 0 {
                match c_type {
                    odbc::C_WCHAR => {
                        let mut units = 0;
                        while *(data as *const u16).add(units) != 0 {
                            units += 1;
                        }
                        std::slice::from_raw_parts(data as *const u8, units * 2)
                    }
                    _ => CStr::from_ptr(data as *const std::ffi::c_char).to_bytes(),
                }
            } else if let Some(size) = value::c_type_size(c_type) {
                std::slice::from_raw_parts(data as *const u8, size)
            } else {
                std::slice::from_raw_parts(data as *const u8, length as usize)
            }
        };
        match entry {
            Some(buffer) => buffer.extend_from_slice(bytes),
            None => *entry = Some(bytes.to_vec()),
        }
        odbc::SUCCESS
    }
}
