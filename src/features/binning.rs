//! The binning transformer of numeric columns: equal-width bins over
//! train's range and train's deciles.

use super::builder::Builder;
use super::fit::Numbers;
use super::Transformer;
use crate::model::ColumnType;

impl Builder<'_> {
    /// Bins of a column whose train minimum and maximum differ: the
    /// minimum is in the first bin and the maximum in the last, so all vary.
    pub(super) fn binning(&mut self, column: &str, numbers: &Numbers, n_bins: &[u32]) {
        let x = self.q(column);
        let (min, max) = (self.float(numbers.min), self.float(numbers.max));
        for &n in n_bins {
            let width = (numbers.max - numbers.min) / f64::from(n);
            if !(width.is_finite() && width > 0.0) {
                continue;
            }
            let index = self
                .dialect
                .floor_integer(&format!("(({x} - {min}) / {})", self.float(width)));
            let last = n - 1;
            // Below the maximum, rounding can still reach bin n.
            let expression = format!(
                "CASE WHEN {x} IS NULL THEN NULL WHEN {x} <= {min} THEN 0 WHEN {x} >= {max} THEN {last} \
                 ELSE {} END",
                self.dialect.least(&index, &last.to_string())
            );
            self.push(
                column,
                &format!("bin{n}"),
                Transformer::Binning,
                ColumnType::Integer,
                expression,
            );
            self.varies(true);
        }
        if let Some(deciles) = &numbers.deciles {
            // The number of deciles below the value, by bisection.
            fn count_below(x: &str, edges: &[String], lo: usize, hi: usize) -> String {
                if lo == hi {
                    return lo.to_string();
                }
                let mid = (lo + hi) / 2;
                format!(
                    "CASE WHEN {x} <= {} THEN {} ELSE {} END",
                    edges[mid],
                    count_below(x, edges, lo, mid),
                    count_below(x, edges, mid + 1, hi)
                )
            }
            let edges: Vec<String> = deciles.iter().map(|d| self.float(*d)).collect();
            let expression = format!(
                "CASE WHEN {x} IS NULL THEN NULL ELSE {} END",
                count_below(&x, &edges, 0, edges.len())
            );
            self.push(
                column,
                "decile",
                Transformer::Binning,
                ColumnType::Integer,
                expression,
            );
            // The minimum is at or below the first decile; the maximum is
            // above the last unless that equals the maximum.
            self.varies(deciles.first().is_some_and(|d| numbers.max > *d));
        }
    }
}
