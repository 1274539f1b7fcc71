//! The categorical transformer: one-hot, frequency and target-mean
//! encodings of low-cardinality columns, looked up by bisection.

use super::builder::Builder;
use super::fit::{self, Level, Train};
use super::{Roles, Transformer};
use crate::config::FeatureEngineering;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::metadata::ColumnKind;
use crate::model::{ColumnType, Value};
use crate::store::Store;

impl Builder<'_> {
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
                Some(expression) => fit::target_mean(store, dialect, expression)?,
                None => None,
            };
            let target = target_expression.as_deref().zip(global_mean);
            let levels = fit::category_levels(
                store,
                dialect,
                &categorical,
                target,
                config.categorical.max_cardinality,
            )?;
            for (column, levels) in categorical.into_iter().zip(levels) {
                if let Some(levels) = levels {
                    self.categorical(train, column, levels, target, config)?;
                }
            }
        }

        Ok(())
    }

    /// The encodings of one categorical column; `target` is the target
    /// expression with its overall mean in train.
    fn categorical(
        &mut self,
        train: &Train,
        column: &str,
        mut levels: Vec<fit::Level>,
        target: Option<(&str, f64)>,
        config: &FeatureEngineering,
    ) -> Result<()> {
        let dialect = self.dialect;
        let c = self.q(column);
        if levels.len() < 2 {
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
        let mut ordered: Vec<&Level> = levels.iter().collect();
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
}
