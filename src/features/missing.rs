//! The missing-data transformer: null indicators per column and null
//! counts per row.

use super::builder::{Builder, Candidate};
use super::fit::Train;
use super::{FeatureColumn, Transformer};
use crate::config::FeatureEngineering;
use crate::model::ColumnType;

impl Builder<'_> {
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
}
