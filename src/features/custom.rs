//! Custom features: named SQL expressions over a table's columns, from
//! `{paths.custom_features_path}/{dataset}.yaml` or `--features-file`.
//! An entry is an expression only: it is checked to stay one expression
//! (no statement separators, comments or unbalanced parentheses) before the
//! database validates it against train, which makes it a candidate
//! feature like the generic transformers' ones.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::builder::{Builder, Candidate};
use super::fit::Train;
use super::{FeatureColumn, Transformer};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::model::ColumnType;
use crate::store::Store;

/// The custom-features file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomFeatures {
    #[serde(default)]
    pub features: Vec<CustomFeature>,
}

/// One named expression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomFeature {
    pub name: String,
    /// A SQL expression over the table's columns (identifiers in double quotes).
    pub expression: String,
    /// The stored type: integer, float (the default), text or boolean.
    #[serde(default = "default_type", rename = "type")]
    pub column_type: ColumnType,
    /// What the feature means, shown by `info --show-features`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The columns the expression names in double quotes (found by [`load`]).
    #[serde(skip)]
    pub columns: Vec<String>,
}

fn default_type() -> ColumnType {
    ColumnType::Float
}

/// Where a dataset's custom features are looked for by default.
pub fn default_path(settings: &Settings, dataset: &str) -> PathBuf {
    settings
        .resolve(&settings.config.paths.custom_features_path)
        .join(format!("{dataset}.yaml"))
}

/// Reads the custom features of `dataset`: the given file (which must
/// exist), or the default file when present.
pub fn load(
    settings: &Settings,
    dataset: &str,
    file: Option<&Path>,
) -> Result<(Option<PathBuf>, Vec<CustomFeature>)> {
    let path = match file {
        Some(path) => path.to_path_buf(),
        None => {
            let path = default_path(settings, dataset);
            if !path.is_file() {
                return Ok((None, Vec::new()));
            }
            path
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, "read", e))?;
    let mut parsed: CustomFeatures = {
        let deserializer = serde_yaml::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            Error::InvalidArgument(format!(
                "{}: {}: {}",
                path.display(),
                if e.path().to_string() == "." {
                    "custom features".to_string()
                } else {
                    format!("`{}`", e.path())
                },
                e.inner()
            ))
        })?
    };
    let mut seen = std::collections::HashSet::new();
    for feature in &mut parsed.features {
        let fail = |message: String| {
            Error::InvalidArgument(format!(
                "{}: custom feature '{}': {message}",
                path.display(),
                feature.name
            ))
        };
        if feature.name.trim().is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{}: a custom feature has an empty name",
                path.display()
            )));
        }
        if feature.name.len() > crate::model::name::MAX_COLUMN_NAME_BYTES {
            return Err(fail(format!(
                "the name is longer than {} bytes",
                crate::model::name::MAX_COLUMN_NAME_BYTES
            )));
        }
        if !seen.insert(feature.name.to_lowercase()) {
            return Err(fail("the name is used twice".into()));
        }
        if matches!(feature.column_type, ColumnType::Date | ColumnType::Datetime) {
            return Err(fail(
                "type must be integer, float, text or boolean".to_string(),
            ));
        }
        feature.columns = check_expression(&feature.expression).map_err(fail)?;
    }
    Ok((Some(path), parsed.features))
}

/// Refuses what would let an expression become more than one expression:
/// `;`, comments, parentheses closing what they did not open, and
/// unterminated quotes. Quoted text and identifiers may hold anything.
/// Returns the identifiers written in double quotes: SQLite reads an
/// unknown double-quoted name as a string, so mdm checks them against the
/// table's columns itself.
pub fn check_expression(expression: &str) -> std::result::Result<Vec<String>, String> {
    if expression.trim().is_empty() {
        return Err("the expression is empty".into());
    }
    let mut depth = 0i64;
    let mut identifiers = Vec::new();
    let mut chars = expression.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let mut text = String::new();
                let mut closed = false;
                while let Some(inner) = chars.next() {
                    if inner == c {
                        if chars.peek() == Some(&c) {
                            chars.next();
                            text.push(c);
                            continue;
                        }
                        closed = true;
                        break;
                    }
                    text.push(inner);
                }
                if !closed {
                    return Err(format!("unterminated {c} quote"));
                }
                if c == '"' {
                    identifiers.push(text);
                }
            }
            ';' => return Err("`;` is not allowed: give one expression, not statements".into()),
            '-' if chars.peek() == Some(&'-') => {
                return Err("comments (`--`) are not allowed".into())
            }
            '/' if chars.peek() == Some(&'*') => {
                return Err("comments (`/*`) are not allowed".into())
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err("`)` without a matching `(`".into());
                }
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced parentheses".into());
    }
    Ok(identifiers)
}

impl Builder<'_> {
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

#[cfg(test)]
mod tests {
    use super::check_expression;

    #[test]
    fn expressions_stay_expressions() {
        assert!(check_expression("\"a\" * 2 + LENGTH('x;y')").is_ok());
        assert!(check_expression("(\"we\"\"ird\" + 1)").is_ok());
        assert!(check_expression("1); DROP TABLE train; --").is_err());
        assert!(check_expression("1 -- comment").is_err());
        assert!(check_expression("1 /* x */").is_err());
        assert!(check_expression("1) + (2").is_err());
        assert!(check_expression("'open").is_err());
        assert!(check_expression("  ").is_err());
    }

    #[test]
    fn double_quoted_names_are_returned_from_outside_strings() {
        assert_eq!(
            super::check_expression("\"a\" + LENGTH('\"b\"') * \"c\"\"d\""),
            Ok(vec!["a".to_string(), "c\"d".to_string()])
        );
    }
}
