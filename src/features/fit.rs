//! The fitting: what the transformers need to know of train, from the
//! registration statistics and from queries over train (percentiles,
//! category counts and target means, text lengths).

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::Roles;
use crate::config::FeatureEngineering;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::metadata::{ColumnInfo, ColumnKind, TableInfo};
use crate::model::Value;
use crate::profile::ColumnStatistics;
use crate::quantile::{self, ColumnSummary};
use crate::store::Store;

/// What the numeric transforms need of a column, fitted on train.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Numbers {
    pub(super) mean: f64,
    pub(super) std: f64,
    pub(super) min: f64,
    pub(super) max: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) deciles: Option<Vec<f64>>,
    /// Train's percentiles 0, 1, ..., 100 (numpy's linear rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) percentiles: Option<Vec<f64>>,
}

fn json_number(value: Option<&serde_json::Value>) -> Option<f64> {
    value.and_then(serde_json::Value::as_f64)
}

/// Train's table and the columns transformers may use (not IDs, not the
/// target), each with its registration statistics.
pub(super) struct Train<'a> {
    pub(super) table: &'a TableInfo,
    pub(super) stats: &'a BTreeMap<String, ColumnStatistics>,
    pub(super) usable: Vec<(&'a ColumnInfo, &'a ColumnStatistics)>,
    /// Columns left out for missing in too many rows, with their ratio.
    pub(super) sparse: Vec<(String, f64)>,
    /// Columns of a wide table beyond those features are made from.
    pub(super) left_out: usize,
}

impl<'a> Train<'a> {
    pub(super) fn new(
        table: &'a TableInfo,
        stats: &'a BTreeMap<String, ColumnStatistics>,
        roles: &Roles,
        considered: Option<usize>,
    ) -> Train<'a> {
        let excluded: HashSet<&str> = roles
            .id_columns
            .iter()
            .map(String::as_str)
            .chain(roles.target)
            .chain(roles.targets.iter().map(String::as_str))
            .collect();
        let mut sparse = Vec::new();
        // Columns with a role sit in a wide table's first column group
        // ahead of the others: they take room there and are always read.
        let placed: HashSet<&str> = excluded
            .iter()
            .copied()
            .chain(roles.time_column)
            .chain(roles.group_column)
            .filter(|name| table.column(name).is_some())
            .collect();
        let considered = considered.map(|most| most.saturating_sub(placed.len()));
        let mut seen = 0usize;
        let mut left_out = 0usize;
        let usable = table
            .columns
            .iter()
            .filter(|c| !excluded.contains(c.name.as_str()))
            // In a table stored as column groups, features read the
            // columns of the table itself (no join per feature).
            .filter(|c| {
                let role = placed.contains(c.name.as_str());
                seen += usize::from(!role);
                let kept = table.table_of(&c.name) == table.name
                    && (role || considered.is_none_or(|most| seen <= most));
                left_out += usize::from(!kept);
                kept
            })
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
            left_out,
        }
    }

    /// Names of the usable columns that `keep` accepts, in table order.
    pub(super) fn names_where(
        &self,
        keep: impl Fn(&ColumnInfo, &ColumnStatistics) -> bool,
    ) -> Vec<&'a str> {
        self.usable
            .iter()
            .filter(|(c, s)| keep(c, s))
            .map(|(c, _)| c.name.as_str())
            .collect()
    }
}

/// The numeric columns worth transforming (at least two distinct values,
/// a finite mean and a positive standard deviation), with their
/// registration statistics and, when a transform wants them, train's
/// percentiles and deciles from the data.
pub(super) fn numbers(
    store: &mut dyn Store,
    train: &Train,
    config: &FeatureEngineering,
    batch_size: usize,
) -> Result<Vec<(String, Numbers)>> {
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
    Ok(numbers)
}

/// The mean of `expression` (the target) over train, read exactly.
pub(super) fn target_mean(
    store: &mut dyn Store,
    dialect: &dyn Dialect,
    expression: &str,
) -> Result<Option<f64>> {
    let average = store.exact_double(&format!("AVG({expression})"));
    let sql = format!(
        "SELECT {} FROM {}",
        average.select(),
        dialect.quote_identifier("train")
    );
    let mut mean = None;
    store.query(&sql, &[], &mut |row| {
        mean = average.read(row, 0);
        Ok(())
    })?;
    Ok(mean)
}

/// One value of a categorical column in train: the value, its count and,
/// with a target, the target's mean over its rows.
pub(super) type Level = (Value, i64, Option<f64>);

/// The non-null values of each categorical column of `columns` in train
/// (in the order the database groups them), each with its count and, when
/// `target` gives the target expression, the target's mean; `None` for a
/// column with more than `limit` values. The columns' queries run as many
/// at once as the database takes.
pub(super) fn category_levels(
    store: &mut dyn Store,
    dialect: &dyn Dialect,
    columns: &[&str],
    target: Option<(&str, f64)>,
    limit: u64,
) -> Result<Vec<Option<Vec<Level>>>> {
    let average = target.map(|(e, _)| store.exact_double(&format!("AVG({e})")));
    let statements: Vec<String> = columns
        .iter()
        .map(|column| {
            let c = dialect.quote_identifier(column);
            format!(
                "SELECT {c}, COUNT(*){} FROM {} WHERE {c} IS NOT NULL GROUP BY {c} LIMIT {}",
                average
                    .as_ref()
                    .map(|a| format!(", {}", a.select()))
                    .unwrap_or_default(),
                dialect.quote_identifier("train"),
                limit.saturating_add(1)
            )
        })
        .collect();
    let results = store.query_each(&statements)?;
    Ok(results
        .into_iter()
        .map(|rows| {
            (rows.len() as u64 <= limit).then(|| {
                rows.iter()
                    .map(|row| {
                        (
                            row[0].clone(),
                            row[1].as_i64().unwrap_or(0),
                            average.as_ref().and_then(|a| a.read(row, 2)),
                        )
                    })
                    .collect()
            })
        })
        .collect())
}

/// The mean length in characters of each of `columns` over train (null
/// where a column has no values), in one scan.
pub(super) fn mean_lengths(
    store: &mut dyn Store,
    dialect: &dyn Dialect,
    columns: &[&str],
) -> Result<Vec<Option<f64>>> {
    let averages: Vec<String> = columns
        .iter()
        .map(|c| {
            format!(
                "AVG({})",
                dialect.to_float(&dialect.char_length(&dialect.quote_identifier(c)))
            )
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM {}",
        averages.join(", "),
        dialect.quote_identifier("train")
    );
    let mut means = Vec::new();
    store.query(&sql, &[], &mut |row| {
        means = row.iter().map(Value::as_f64).collect();
        Ok(())
    })?;
    Ok(means)
}
