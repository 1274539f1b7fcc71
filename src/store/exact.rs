//! Doubles that arrive exactly: how a store selects a double-valued
//! expression so that reading it back gives the very value the database
//! computed, whatever its driver does to doubles on the way
//! ([`crate::store::Store::exact_double`]).

use crate::dialect::float_from_parts;
use crate::model::Value;

/// A double-valued expression as select-list items, and how to read its
/// value back from a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExactDouble {
    select: String,
    /// Whether the items are a dialect's `(mantissa, shift)` pair.
    parts: bool,
}

impl ExactDouble {
    /// The expression selected as itself: the store fetches doubles exactly.
    pub fn plain(expression: &str) -> ExactDouble {
        ExactDouble {
            select: expression.to_string(),
            parts: false,
        }
    }

    /// The two integer items of
    /// [`crate::dialect::Dialect::exact_float_parts`].
    pub fn parts(mantissa: &str, shift: &str) -> ExactDouble {
        ExactDouble {
            select: format!("{mantissa}, {shift}"),
            parts: true,
        }
    }

    /// The select-list items (one, or two joined by a comma).
    pub fn select(&self) -> &str {
        &self.select
    }

    /// How many select-list items [`ExactDouble::select`] is.
    pub fn width(&self) -> usize {
        if self.parts {
            2
        } else {
            1
        }
    }

    /// The value, from a row's items starting at `at`.
    pub fn read(&self, row: &[Value], at: usize) -> Option<f64> {
        if self.parts {
            let part = |i: usize| row.get(i).and_then(Value::as_i64);
            float_from_parts(part(at).as_ref(), part(at + 1).as_ref())
        } else {
            row.get(at).and_then(Value::as_f64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_double_and_its_parts_read_back_the_same_value() {
        let plain = ExactDouble::plain("AVG(x)");
        assert_eq!((plain.select(), plain.width()), ("AVG(x)", 1));
        assert_eq!(plain.read(&[Value::Float(0.1)], 0), Some(0.1));
        let parts = ExactDouble::parts("m", "s");
        assert_eq!((parts.select(), parts.width()), ("m, s", 2));
        // 0.1 = 7205759403792794 x 2^-56.
        let row = [
            Value::Null,
            Value::Integer(7_205_759_403_792_794),
            Value::Integer(56),
        ];
        assert_eq!(parts.read(&row, 1), Some(0.1));
        assert_eq!(parts.read(&row, 0), None);
    }

    #[test]
    fn doubles_are_rebuilt_exactly_from_their_parts() {
        for value in [
            1.0f64,
            0.1,
            -0.30000000000000004,
            123456789.12345679,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -1.5e-300,
            1e308,
        ] {
            // What the SQL expression computes: floor(log2|x|), give or take one.
            for error in [-1i64, 0, 1] {
                let exponent = value.abs().log2().floor() as i64 + error;
                let shift = 54 - exponent;
                let first = (shift / 2) as i32;
                let second = (shift - shift / 2) as i32;
                let scaled = value * 2f64.powi(first) * 2f64.powi(second);
                assert_eq!(scaled.fract(), 0.0, "{value} scaled by {shift}");
                let rebuilt = float_from_parts(Some(&(scaled as i64)), Some(&shift)).unwrap();
                assert_eq!(
                    rebuilt.to_bits(),
                    value.to_bits(),
                    "{value} via shift {shift}"
                );
            }
        }
        assert_eq!(
            float_from_parts(Some(&-1), Some(&-100_000)),
            Some(f64::NEG_INFINITY)
        );
        assert_eq!(float_from_parts(None, None), None);
    }
}
