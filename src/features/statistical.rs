//! The statistical transformer of numeric columns: z-score, log, outlier
//! flag and train-fitted percentile rank; it also drives the binning of
//! the same columns.

use super::builder::Builder;
use super::fit::{self, Numbers, Train};
use super::Transformer;
use crate::config::{FeatureEngineering, StatisticalFeatures};
use crate::error::Result;
use crate::model::ColumnType;
use crate::store::Store;

impl Builder<'_> {
    /// Statistical and binning features of numeric columns: statistics
    /// from registration, percentiles from the data.
    pub(super) fn numeric(
        &mut self,
        store: &mut dyn Store,
        train: &Train,
        config: &FeatureEngineering,
        batch_size: usize,
    ) -> Result<()> {
        let numbers = fit::numbers(store, train, config, batch_size)?;
        for (name, n) in &numbers {
            self.fitted.insert(
                name.clone(),
                serde_json::to_value(n).unwrap_or(serde_json::Value::Null),
            );
            if config.statistical.enabled {
                self.statistical(name, n, &config.statistical);
            }
            if config.binning.enabled {
                self.binning(name, n, &config.binning.n_bins);
            }
        }

        Ok(())
    }

    /// Numeric transforms of a column with at least two distinct values:
    /// all vary, except an outlier flag when no train value is an outlier
    /// (|z| is largest at the minimum or the maximum). The z-score (with
    /// the outlier flag made from it) and the log can each be turned off.
    fn statistical(&mut self, column: &str, numbers: &Numbers, config: &StatisticalFeatures) {
        let threshold = config.outlier_threshold;
        let x = self.q(column);
        let (mean, std) = (self.float(numbers.mean), self.float(numbers.std));
        let z = format!("(({x} - {mean}) / {std})");
        if config.include_zscore {
            self.push(
                column,
                "zscore",
                Transformer::Statistical,
                ColumnType::Float,
                z.clone(),
            );
            self.varies(true);
        }
        if config.include_log && numbers.min >= 0.0 {
            let log = format!(
                "CASE WHEN {x} > {} THEN {} ELSE NULL END",
                self.float(-1.0),
                self.dialect.ln(&format!("({} + {x})", self.float(1.0)))
            );
            self.push(
                column,
                "log",
                Transformer::Statistical,
                ColumnType::Float,
                log,
            );
            self.varies(true);
        }
        if config.include_zscore {
            let outlier = self.flag(&format!("ABS({z}) > {}", self.float(threshold)));
            self.push(
                column,
                "is_outlier",
                Transformer::Statistical,
                ColumnType::Integer,
                outlier,
            );
            let z_of = |v: f64| ((v - numbers.mean) / numbers.std).abs();
            self.varies(z_of(numbers.min) > threshold || z_of(numbers.max) > threshold);
        }
        if let Some(percentiles) = &numbers.percentiles {
            let rank = self.percentile_rank(column, percentiles);
            self.push(
                column,
                "percentile_rank",
                Transformer::Statistical,
                ColumnType::Float,
                rank,
            );
            self.varies(true);
        }
    }

    /// The train-fitted percentile rank: with q_0..q_100 train's
    /// percentiles, a value in [q_k, q_k+1) with k the largest such index
    /// ranks (k + (x - q_k) / (q_k+1 - q_k)) / 100; below the minimum 0,
    /// from the maximum on 1 (a uniform quantile transform). The interval
    /// is found with a balanced tree of comparisons.
    fn percentile_rank(&self, column: &str, percentiles: &[f64]) -> String {
        // Distinct knots, each with the largest percentile index it holds.
        let mut knots: Vec<(f64, usize)> = Vec::new();
        for (index, value) in percentiles.iter().enumerate() {
            match knots.last_mut() {
                Some(last) if last.0 == *value => last.1 = index,
                _ => knots.push((*value, index)),
            }
        }
        let x = self.q(column);
        let last = knots.len() - 1;
        let steps = (percentiles.len() - 1) as f64;
        let leaf = |j: usize| {
            let (value, index) = knots[j];
            let width = knots[j + 1].0 - value;
            format!(
                "(({} + ({x} - {}) / {}) / {})",
                self.float(index as f64),
                self.float(value),
                self.float(width),
                self.float(steps)
            )
        };
        fn node(
            lo: usize,
            hi: usize,
            knots: &[(f64, usize)],
            x: &str,
            leaf: &dyn Fn(usize) -> String,
            float: &dyn Fn(f64) -> String,
        ) -> String {
            if lo == hi {
                return leaf(lo);
            }
            let mid = (lo + hi).div_ceil(2);
            format!(
                "CASE WHEN {x} < {} THEN {} ELSE {} END",
                float(knots[mid].0),
                node(lo, mid - 1, knots, x, leaf, float),
                node(mid, hi, knots, x, leaf, float)
            )
        }
        let float = |v: f64| self.float(v);
        let inner = if last == 0 {
            self.float(1.0)
        } else {
            node(0, last - 1, &knots, &x, &leaf, &float)
        };
        format!(
            "CASE WHEN {x} IS NULL THEN NULL WHEN {x} < {} THEN {} WHEN {x} >= {} THEN {} ELSE {inner} END",
            self.float(knots[0].0),
            self.float(0.0),
            self.float(knots[last].0),
            self.float(1.0)
        )
    }
}
