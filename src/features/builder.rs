//! The candidate features and the builder every transformer family adds
//! to: naming, quoting and the flags shared by the families.

use std::collections::BTreeMap;

use super::{FeatureColumn, Transformer};
use crate::dialect::Dialect;
use crate::model::name::{cut_name, MAX_COLUMN_NAME_BYTES};
use crate::model::ColumnType;

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
    pub(super) fn q(&self, name: &str) -> String {
        self.dialect.quote_identifier(name)
    }

    pub(super) fn float(&self, value: f64) -> String {
        self.dialect.float_literal(value)
    }

    pub(super) fn push(
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

    /// Adds columns the last feature pushed reads besides its source.
    pub(super) fn reads_also(&mut self, columns: &[String]) {
        if let Some(last) = self.candidates.last_mut() {
            last.reads.extend(columns.iter().cloned());
        }
    }

    /// Records what the fitted statistics say of the last feature pushed.
    pub(super) fn varies(&mut self, varies: bool) {
        if let Some(last) = self.candidates.last_mut() {
            last.varies = Some(varies);
        }
    }

    /// 1 where `condition` holds, 0 where not, null where it is null (as
    /// it is where the column it tests is null).
    pub(super) fn flag(&self, condition: &str) -> String {
        self.dialect.boolean_to_integer(condition)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_names_fit_the_stored_name_limit() {
        let long = "x".repeat(70);
        let name = feature_name(&long, "zscore");
        assert_eq!(name.len(), MAX_COLUMN_NAME_BYTES);
        assert!(name.ends_with("_zscore"));
    }
}
