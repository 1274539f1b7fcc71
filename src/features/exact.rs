//! Doubles read back exactly: an aggregate selected as itself, or as two
//! integer parts where the driver would round doubles.

use crate::dialect::Dialect;
use crate::model::Value;

/// A double expression selected so that it arrives exactly: as itself,
/// or as the two integer parts of [`Dialect::exact_float_parts`] where the
/// driver would round doubles.
pub(super) struct ExactFloat {
    pub(super) select: String,
    parts: bool,
}

impl ExactFloat {
    pub(super) fn new(dialect: &dyn Dialect, expression: &str) -> ExactFloat {
        match dialect.exact_float_parts(expression) {
            Some((mantissa, shift)) => ExactFloat {
                select: format!("{mantissa}, {shift}"),
                parts: true,
            },
            None => ExactFloat {
                select: expression.to_string(),
                parts: false,
            },
        }
    }

    /// The value, from the row's items starting at `at`.
    pub(super) fn read(&self, row: &[Value], at: usize) -> Option<f64> {
        if self.parts {
            let part = |i: usize| row.get(i).and_then(Value::as_i64);
            crate::dialect::float_from_parts(part(at).as_ref(), part(at + 1).as_ref())
        } else {
            row.get(at).and_then(Value::as_f64)
        }
    }
}
