//! The transformers: each feature as one SQL expression built through the
//! store's [`Dialect`] from statistics fitted on train, with what the
//! fitted statistics already say about whether it varies.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::exact::ExactFloat;
use super::{CustomFeature, FeatureColumn, Roles, Transformer};
use crate::config::{FeatureEngineering, StatisticalFeatures};
use crate::dialect::{DatePart, Dialect, TextMeasure};
use crate::error::{Error, Result};
use crate::metadata::{ColumnInfo, ColumnKind, TableInfo};
use crate::model::name::{cut_name, MAX_COLUMN_NAME_BYTES};
use crate::model::{ColumnType, Value};
use crate::profile::ColumnStatistics;
use crate::quantile::{self, ColumnSummary};
use crate::store::Store;

/// A feature to compute.
pub(super) struct Candidate {
    pub(super) column: FeatureColumn,
    pub(super) expression: String,
    /// Columns the expression reads; a table lacking one gets no such feature.
    pub(super) reads: Vec<String>,
    /// Whether the feature varies over train, when the fitted statistics
    /// already tell; `None` to find out with the signal filter's scan.
    pub(super) varies: Option<bool>,
}

/// Builds the candidate expressions of one dialect.
pub(super) struct Builder<'a> {
    pub(super) dialect: &'a dyn Dialect,
    pub(super) candidates: Vec<Candidate>,
    pub(super) fitted: BTreeMap<String, serde_json::Value>,
}

impl Builder<'_> {
    fn q(&self, name: &str) -> String {
        self.dialect.quote_identifier(name)
    }

    fn float(&self, value: f64) -> String {
        self.dialect.float_literal(value)
    }

    fn push(
        &mut self,
        source: &str,
        suffix: &str,
        transformer: Transformer,
        column_type: ColumnType,
        expression: String,
    ) {
        self.candidates.push(Candidate {
            column: FeatureColumn {
                name: feature_name(source, suffix),
                transformer,
                source: Some(source.to_string()),
                column_type,
            },
            expression,
            reads: vec![source.to_string()],
            varies: None,
        });
    }

    /// Records what the fitted statistics say of the last feature pushed.
    fn varies(&mut self, varies: bool) {
        if let Some(last) = self.candidates.last_mut() {
            last.varies = Some(varies);
        }
    }

    /// 1 where `condition` holds, 0 where not, null where it is null (as
    /// it is where the column it tests is null).
    fn flag(&self, condition: &str) -> String {
        self.dialect.boolean_to_integer(condition)
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

    /// Bins of a column whose train minimum and maximum differ: the
    /// minimum is in the first bin and the maximum in the last, so all vary.
    fn binning(&mut self, column: &str, numbers: &Numbers, n_bins: &[u32]) {
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

    fn temporal(&mut self, column: &str, column_type: ColumnType, cyclical: bool) {
        let c = self.q(column);
        let d = self.dialect;
        let timestamp = column_type == ColumnType::Datetime;
        // Day counts and weekdays of timestamps come from their dates.
        let date = if timestamp { d.date_of(&c) } else { c.clone() };
        let part = |p| match p {
            DatePart::DayOfWeek => d.date_part(p, &date),
            _ => d.date_part(p, &c),
        };
        let mut parts = vec![
            ("year", part(DatePart::Year)),
            ("month", part(DatePart::Month)),
            ("day", part(DatePart::Day)),
            ("dayofweek", part(DatePart::DayOfWeek)),
        ];
        if timestamp {
            parts.push(("hour", part(DatePart::Hour)));
        }
        parts.push(("quarter", part(DatePart::Quarter)));
        let flags = [
            ("is_weekend", format!("{} >= 5", part(DatePart::DayOfWeek))),
            ("is_month_start", format!("{} = 1", part(DatePart::Day))),
            ("is_month_end", d.is_month_end(&c)),
        ];
        parts.extend(flags.map(|(suffix, condition)| (suffix, self.flag(&condition))));
        for (suffix, expression) in parts {
            self.push(
                column,
                suffix,
                Transformer::Temporal,
                ColumnType::Integer,
                expression,
            );
        }
        let days = d.days_since_epoch(&date);
        self.push(
            column,
            "days_since_epoch",
            Transformer::Temporal,
            ColumnType::Integer,
            days,
        );
        if !cyclical {
            return;
        }
        let mut cycles = vec![
            ("month", part(DatePart::Month), 12.0),
            ("dayofweek", part(DatePart::DayOfWeek), 7.0),
        ];
        if timestamp {
            cycles.push(("hour", part(DatePart::Hour), 24.0));
        }
        for (name, value, period) in cycles {
            // 2π·value/period, multiplied before dividing (as documented).
            let angle = format!(
                "({} * {} / {})",
                self.float(std::f64::consts::TAU),
                d.to_float(&value),
                self.float(period)
            );
            for function in ["SIN", "COS"] {
                let expression = format!("{function}({angle})");
                self.push(
                    column,
                    &format!("{name}_{}", function.to_ascii_lowercase()),
                    Transformer::Temporal,
                    ColumnType::Float,
                    expression,
                );
            }
        }
    }

    fn text(&mut self, column: &str) {
        let c = self.q(column);
        let d = self.dialect;
        let length = d.char_length(&c);
        let counts = [
            ("length", length.clone()),
            ("word_count", d.text_measure(TextMeasure::Words, &c)),
            ("digit_count", d.text_measure(TextMeasure::Digits, &c)),
            (
                "special_char_count",
                d.text_measure(TextMeasure::Special, &c),
            ),
        ];
        for (suffix, expression) in counts {
            self.push(
                column,
                suffix,
                Transformer::Text,
                ColumnType::Integer,
                expression,
            );
        }
        let ratio = format!(
            "CASE WHEN {c} IS NULL OR {length} = 0 THEN NULL ELSE {} / {} END",
            d.to_float(&d.text_measure(TextMeasure::Uppercase, &c)),
            d.to_float(&length)
        );
        self.push(
            column,
            "uppercase_ratio",
            Transformer::Text,
            ColumnType::Float,
            ratio,
        );
        let lower = format!("LOWER({c})");
        let url = self.flag(&format!(
            "{lower} LIKE '%http://%' OR {lower} LIKE '%https://%' OR {lower} LIKE '%www.%'"
        ));
        self.push(
            column,
            "has_url",
            Transformer::Text,
            ColumnType::Integer,
            url,
        );
        let email = self.flag(&d.contains_email(&c));
        self.push(
            column,
            "has_email",
            Transformer::Text,
            ColumnType::Integer,
            email,
        );
    }
}

/// What the numeric transforms need of a column, fitted on train.
#[derive(Clone, Debug, Serialize)]
struct Numbers {
    mean: f64,
    std: f64,
    min: f64,
    max: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    deciles: Option<Vec<f64>>,
    /// Train's percentiles 0, 1, ..., 100 (numpy's linear rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    percentiles: Option<Vec<f64>>,
}

/// `{source}_{suffix}`, cut to the stored-name limit.
fn feature_name(source: &str, suffix: &str) -> String {
    let source = cut_name(
        source,
        MAX_COLUMN_NAME_BYTES.saturating_sub(suffix.len() + 1),
    );
    if suffix.is_empty() {
        return source.to_string();
    }
    format!("{source}_{suffix}")
}

/// A category value as a column-name part: letters and digits kept, other
/// runs of characters become one `_`.
fn sanitize(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    if trimmed.is_empty() {
        "blank".into()
    } else {
        trimmed.to_string()
    }
}

fn json_number(value: Option<&serde_json::Value>) -> Option<f64> {
    value.and_then(serde_json::Value::as_f64)
}

/// Train's table and the columns transformers may use (not IDs, not the
/// target), each with its registration statistics.
pub(super) struct Train<'a> {
    pub(super) table: &'a TableInfo,
    stats: &'a BTreeMap<String, ColumnStatistics>,
    usable: Vec<(&'a ColumnInfo, &'a ColumnStatistics)>,
    /// Columns left out for missing in too many rows, with their ratio.
    pub(super) sparse: Vec<(String, f64)>,
}

impl<'a> Train<'a> {
    pub(super) fn new(
        table: &'a TableInfo,
        stats: &'a BTreeMap<String, ColumnStatistics>,
        roles: &Roles,
    ) -> Train<'a> {
        let excluded: HashSet<&str> = roles
            .id_columns
            .iter()
            .map(String::as_str)
            .chain(roles.target)
            .collect();
        let mut sparse = Vec::new();
        let usable = table
            .columns
            .iter()
            .filter(|c| !excluded.contains(c.name.as_str()))
            .filter_map(|c| stats.get(&c.name).map(|s| (c, s)))
            .filter(|(c, s)| {
                let rows = s.count + s.nulls;
                let ratio = if rows == 0 {
                    0.0
                } else {
                    s.nulls as f64 / rows as f64
                };
                if ratio > roles.max_missing_ratio {
                    sparse.push((c.name.clone(), ratio));
                    return false;
                }
                true
            })
            .collect();
        Train {
            table,
            stats,
            usable,
            sparse,
        }
    }

    /// Names of the usable columns that `keep` accepts, in table order.
    fn names_where(&self, keep: impl Fn(&ColumnInfo, &ColumnStatistics) -> bool) -> Vec<&'a str> {
        self.usable
            .iter()
            .filter(|(c, s)| keep(c, s))
            .map(|(c, _)| c.name.as_str())
            .collect()
    }
}

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
        let mut numbers: Vec<(String, Numbers)> = Vec::new();
        for (column, s) in &train.usable {
            if column.kind != ColumnKind::Numeric || !column.column_type.is_numeric() {
                continue;
            }
            let (Some(mean), Some(std), Some(min), Some(max)) = (
                s.mean,
                s.std,
                json_number(s.min.as_ref()),
                json_number(s.max.as_ref()),
            ) else {
                continue;
            };
            if s.count < 2 || !(std.is_finite() && std > 0.0 && mean.is_finite()) || min >= max {
                continue;
            }
            numbers.push((
                column.name.clone(),
                Numbers {
                    mean,
                    std,
                    min,
                    max,
                    deciles: None,
                    percentiles: None,
                },
            ));
        }
        let wants_distribution = config.binning.enabled || config.statistical.enabled;
        if config.enabled && wants_distribution && !numbers.is_empty() {
            let summaries: Vec<ColumnSummary> = numbers
                .iter()
                .map(|(name, n)| ColumnSummary {
                    column: train.table.column(name).expect("train column").def(),
                    count: train.stats[name].count,
                    min: n.min,
                    max: n.max,
                })
                .collect();
            let fractions: Vec<f64> = (0..=100).map(|i| f64::from(i) / 100.0).collect();
            let distributions =
                quantile::distributions(store, "train", &summaries, &fractions, 1, batch_size)?;
            for ((_, n), distribution) in numbers.iter_mut().zip(distributions) {
                let percentiles = distribution.percentiles;
                n.deciles = Some((1..10).map(|i| percentiles[10 * i]).collect());
                n.percentiles = Some(percentiles);
            }
        }
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

    pub(super) fn temporal_columns(&mut self, train: &Train, config: &FeatureEngineering) {
        if config.temporal.enabled {
            for (column, s) in &train.usable {
                if column.kind == ColumnKind::Datetime && s.count > 0 {
                    self.temporal(
                        &column.name,
                        column.column_type,
                        config.temporal.include_cyclical,
                    );
                }
            }
        }
    }

    /// One-hot, frequency and target encodings of categorical columns.
    pub(super) fn categorical_columns(
        &mut self,
        store: &mut dyn Store,
        train: &Train,
        roles: &Roles,
        config: &FeatureEngineering,
    ) -> Result<()> {
        let dialect = self.dialect;
        let categorical = train.names_where(|c, s| {
            c.kind == ColumnKind::Categorical
                && matches!(c.column_type, ColumnType::Text | ColumnType::Integer)
                && s.count > 0
                && (!s.distinct_exact || s.distinct <= config.categorical.max_cardinality)
        });
        let target_expression = roles
            .target
            .and_then(|t| train.table.column(t))
            .and_then(|t| match t.column_type {
                ColumnType::Integer | ColumnType::Float => Some(dialect.to_float(&self.q(&t.name))),
                ColumnType::Boolean => Some(format!(
                    "CASE WHEN {t} IS NULL THEN NULL WHEN {t} THEN {} ELSE {} END",
                    dialect.float_literal(1.0),
                    dialect.float_literal(0.0),
                    t = self.q(&t.name)
                )),
                _ => None,
            })
            .filter(|_| config.categorical.target_encoding);
        if config.categorical.enabled && !categorical.is_empty() {
            let global_mean = match &target_expression {
                Some(expression) => {
                    let average = ExactFloat::new(dialect, &format!("AVG({expression})"));
                    let sql = format!("SELECT {} FROM {}", average.select, self.q("train"));
                    let mut mean = None;
                    store.query(&sql, &[], &mut |row| {
                        mean = average.read(row, 0);
                        Ok(())
                    })?;
                    mean
                }
                None => None,
            };
            for column in categorical {
                let target = target_expression.as_deref().zip(global_mean);
                self.categorical(store, train, column, target, config)?;
            }
        }

        Ok(())
    }

    /// The encodings of one categorical column; `target` is the target
    /// expression with its overall mean in train.
    fn categorical(
        &mut self,
        store: &mut dyn Store,
        train: &Train,
        column: &str,
        target: Option<(&str, f64)>,
        config: &FeatureEngineering,
    ) -> Result<()> {
        let dialect = self.dialect;
        let limit = config.categorical.max_cardinality;
        let c = self.q(column);
        let average = target.map(|(e, _)| ExactFloat::new(dialect, &format!("AVG({e})")));
        let sql = format!(
            "SELECT {c}, COUNT(*){} FROM {} WHERE {c} IS NOT NULL GROUP BY {c}",
            average
                .as_ref()
                .map(|a| format!(", {}", a.select))
                .unwrap_or_default(),
            self.q("train")
        );
        let mut levels: Vec<(Value, i64, Option<f64>)> = Vec::new();
        let mut too_many = false;
        store.query(&sql, &[], &mut |row| {
            if levels.len() as u64 >= limit {
                too_many = true;
                return Ok(());
            }
            levels.push((
                row[0].clone(),
                row[1].as_i64().unwrap_or(0),
                average.as_ref().and_then(|a| a.read(row, 2)),
            ));
            Ok(())
        })?;
        if too_many || levels.len() < 2 {
            return Ok(());
        }
        levels.sort_by_key(|a| value_key(&a.0));
        let literal = |v: &Value| match v {
            Value::Integer(i) => i.to_string(),
            other => dialect.text_literal(&other.clone().into_text().unwrap_or_default()),
        };
        let rows = train.table.rows.max(1) as f64;
        for (value, count, _) in &levels {
            if (*count as f64) < config.categorical.min_frequency * rows {
                continue;
            }
            let expression =
                dialect.boolean_to_integer(&format!("{c} IS NOT DISTINCT FROM {}", literal(value)));
            let suffix = sanitize(&value_key(value));
            self.push(
                column,
                &suffix,
                Transformer::Categorical,
                ColumnType::Integer,
                expression,
            );
            // Other values (or nulls) exist: there are at least two levels.
            self.varies(true);
        }
        // Lookups by bisection over the values in byte (or numeric) order.
        let mut ordered: Vec<&(Value, i64, Option<f64>)> = levels.iter().collect();
        ordered.sort_by(|a, b| match (&a.0, &b.0) {
            (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
            (x, y) => value_key(x).cmp(&value_key(y)),
        });
        let numeric = matches!(ordered[0].0, Value::Integer(_));
        let lookup = |entries: &[(String, String)], default: &str| {
            bisect(dialect, &c, numeric, entries, default)
        };
        let counts: Vec<(String, String)> = ordered
            .iter()
            .map(|(value, count, _)| (literal(value), count.to_string()))
            .collect();
        let frequency = format!(
            "CASE WHEN {c} IS NULL THEN NULL ELSE {} END",
            lookup(&counts, "0")
        );
        self.push(
            column,
            "frequency",
            Transformer::Categorical,
            ColumnType::Integer,
            frequency,
        );
        self.varies(levels.iter().any(|(_, n, _)| *n != levels[0].1));
        let mut fitted = serde_json::Map::new();
        fitted.insert(
            "counts".into(),
            levels
                .iter()
                .map(|(v, n, _)| (value_key(v), serde_json::json!(n)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        );
        if let Some((_, global)) = target {
            let mut means = serde_json::Map::new();
            let mut entries = Vec::new();
            for (value, _, mean) in &ordered {
                if let Some(mean) = mean {
                    entries.push((literal(value), dialect.float_literal(*mean)));
                    means.insert(value_key(value), serde_json::json!(mean));
                }
            }
            let encoding = lookup(&entries, &dialect.float_literal(global));
            self.push(
                column,
                "target_mean",
                Transformer::Categorical,
                ColumnType::Float,
                encoding,
            );
            let mut values: Vec<f64> = levels.iter().filter_map(|l| l.2).collect();
            let counted: i64 = levels.iter().map(|l| l.1).sum();
            if (counted as u64) < train.table.rows || values.len() < levels.len() {
                values.push(global);
            }
            self.varies(values.iter().any(|v| *v != values[0]));
            fitted.insert("target_means".into(), means.into());
            fitted.insert("global_target_mean".into(), serde_json::json!(global));
        }
        self.fitted.insert(column.to_string(), fitted.into());
        Ok(())
    }

    /// Text measures of text columns long enough on average.
    pub(super) fn text_columns(
        &mut self,
        store: &mut dyn Store,
        train: &Train,
        config: &FeatureEngineering,
    ) -> Result<()> {
        let dialect = self.dialect;
        let text_columns = train.names_where(|c, s| {
            c.kind == ColumnKind::Text && c.column_type == ColumnType::Text && s.count > 0
        });
        if config.text.enabled && !text_columns.is_empty() {
            let averages: Vec<String> = text_columns
                .iter()
                .map(|c| {
                    format!(
                        "AVG({})",
                        dialect.to_float(&dialect.char_length(&self.q(c)))
                    )
                })
                .collect();
            let sql = format!("SELECT {} FROM {}", averages.join(", "), self.q("train"));
            let mut means = Vec::new();
            store.query(&sql, &[], &mut |row| {
                means = row.iter().map(Value::as_f64).collect();
                Ok(())
            })?;
            for (column, mean) in text_columns.iter().zip(means) {
                if mean.is_some_and(|m| m >= config.text.min_text_length) {
                    self.text(column);
                }
            }
        }

        Ok(())
    }

    /// Null indicators and per-row null counts.
    pub(super) fn missing(&mut self, train: &Train, config: &FeatureEngineering) {
        let dialect = self.dialect;
        if config.missing.enabled {
            let with_nulls = train.names_where(|_, s| s.nulls > 0);
            for column in &with_nulls {
                let expression = dialect.boolean_to_integer(&format!("{} IS NULL", self.q(column)));
                self.push(
                    column,
                    "is_missing",
                    Transformer::Missing,
                    ColumnType::Integer,
                    expression,
                );
                self.varies(train.stats[*column].nulls < train.table.rows);
            }
            if !with_nulls.is_empty() {
                let all: Vec<&str> = train.names_where(|_, _| true);
                let count = format!(
                    "({})",
                    all.iter()
                        .map(|c| dialect.boolean_to_integer(&format!("{} IS NULL", self.q(c))))
                        .collect::<Vec<_>>()
                        .join(" + ")
                );
                let reads: Vec<String> = all.iter().map(|c| c.to_string()).collect();
                self.candidates.push(Candidate {
                    column: FeatureColumn {
                        name: "missing_count".into(),
                        transformer: Transformer::Missing,
                        source: None,
                        column_type: ColumnType::Integer,
                    },
                    expression: count.clone(),
                    reads: reads.clone(),
                    varies: None,
                });
                self.candidates.push(Candidate {
                    column: FeatureColumn {
                        name: "missing_ratio".into(),
                        transformer: Transformer::Missing,
                        source: None,
                        column_type: ColumnType::Float,
                    },
                    expression: format!(
                        "({} / {})",
                        dialect.to_float(&count),
                        dialect.float_literal(all.len() as f64)
                    ),
                    reads,
                    varies: None,
                });
            }
        }
    }

    /// Custom features, validated against train.
    pub(super) fn custom(
        &mut self,
        store: &mut dyn Store,
        train: &Train,
        custom: &[CustomFeature],
    ) -> Result<()> {
        let dialect = self.dialect;
        for feature in custom {
            if let Some(unknown) = feature
                .columns
                .iter()
                .find(|name| train.table.column(name).is_none())
            {
                return Err(Error::InvalidArgument(format!(
                    "custom feature '{}': no column \"{unknown}\" in the train table (columns: {})",
                    feature.name,
                    train.table.column_list()
                )));
            }
            let sql = format!(
                "SELECT ({}) FROM {} WHERE 1 = 0",
                feature.expression,
                self.q("train")
            );
            store.query(&sql, &[], &mut |_| Ok(())).map_err(|e| {
                Error::InvalidArgument(format!(
                    "custom feature '{}': `{}` is not a valid expression over the train table: {}",
                    feature.name,
                    feature.expression,
                    e.to_string().lines().next().unwrap_or_default()
                ))
            })?;
            self.candidates.push(Candidate {
                column: FeatureColumn {
                    name: feature.name.clone(),
                    transformer: Transformer::Custom,
                    source: None,
                    column_type: feature.column_type,
                },
                expression: format!(
                    "CAST(({}) AS {})",
                    feature.expression,
                    dialect.type_name(feature.column_type)
                ),
                reads: Vec::new(),
                varies: None,
            });
        }

        Ok(())
    }
}

/// `column`'s result in `entries` (`(literal, result)` in ascending
/// order), `default` when absent or null: a balanced tree of comparisons.
fn bisect(
    dialect: &dyn Dialect,
    column: &str,
    numeric: bool,
    entries: &[(String, String)],
    default: &str,
) -> String {
    match entries {
        [] => default.to_string(),
        [(literal, result)] => {
            format!("CASE WHEN {column} = {literal} THEN {result} ELSE {default} END")
        }
        _ => {
            let mid = entries.len() / 2;
            let less = if numeric {
                format!("{column} < {}", entries[mid].0)
            } else {
                dialect.text_less(column, &entries[mid].0)
            };
            format!(
                "CASE WHEN {less} THEN {} ELSE {} END",
                bisect(dialect, column, numeric, &entries[..mid], default),
                bisect(dialect, column, numeric, &entries[mid..], default)
            )
        }
    }
}

fn value_key(value: &Value) -> String {
    value.clone().into_text().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_values_become_name_parts() {
        assert_eq!(sanitize("New York"), "New_York");
        assert_eq!(sanitize("a--b!!c"), "a_b_c");
        assert_eq!(sanitize("über"), "über");
        assert_eq!(sanitize("  "), "blank");
    }

    #[test]
    fn feature_names_fit_the_stored_name_limit() {
        let long = "x".repeat(70);
        let name = feature_name(&long, "zscore");
        assert_eq!(name.len(), MAX_COLUMN_NAME_BYTES);
        assert!(name.ends_with("_zscore"));
    }
}
