//! The schema of a dataset's tables between the two passes: one type per
//! column name across tables, then the types the user forced, and a check
//! that the columns the user named exist.

use std::collections::{BTreeMap, HashMap};

use super::infer::Inferred;
use super::plan::TablePlan;
use crate::error::{Error, Result};
use crate::model::ColumnType;

/// The stored types the user forced, by column name.
#[derive(Clone, Copy, Debug)]
pub struct ForcedTypes<'a> {
    /// Exact stored types (from an export's metadata sidecar).
    pub column_types: &'a BTreeMap<String, ColumnType>,
    pub numeric_columns: &'a [String],
    pub datetime_columns: &'a [String],
    pub text_columns: &'a [String],
    pub categorical_columns: &'a [String],
}

/// A column present in several tables gets one type, the join of its
/// per-table types, so that train and test agree.
pub fn unify_types(plans: &mut [TablePlan]) {
    let mut joined: HashMap<String, Inferred> = HashMap::new();
    for plan in plans.iter() {
        for column in &plan.columns {
            let entry = joined.entry(column.name.clone()).or_insert(Inferred::Null);
            *entry = entry.join(Inferred::from(column.column_type));
        }
    }
    for plan in plans.iter_mut() {
        for column in &mut plan.columns {
            // All-null columns were stored as text; let the other tables decide.
            column.column_type = joined[&column.name].column_type();
        }
    }
}

/// Stored types forced by the user: exact types first (from an export's
/// sidecar), then the `--*-columns` flags, each naming columns of any table.
pub fn apply_forced_types(plans: &mut [TablePlan], forced: &ForcedTypes) -> Result<()> {
    for plan in plans.iter_mut() {
        for column in &mut plan.columns {
            if let Some(exact) = forced.column_types.get(&column.name) {
                column.column_type = *exact;
            }
        }
    }
    let groups: [(&str, &[String]); 4] = [
        ("--numeric-columns", forced.numeric_columns),
        ("--datetime-columns", forced.datetime_columns),
        ("--text-columns", forced.text_columns),
        ("--categorical-columns", forced.categorical_columns),
    ];
    for (flag, names) in groups {
        for name in names {
            let mut found = false;
            for plan in plans.iter_mut() {
                if let Some(column) = plan.columns.iter_mut().find(|c| &c.name == name) {
                    found = true;
                    column.column_type = match (flag, column.column_type) {
                        ("--numeric-columns", ColumnType::Integer) => ColumnType::Integer,
                        ("--numeric-columns", _) => ColumnType::Float,
                        ("--datetime-columns", ColumnType::Date) => ColumnType::Date,
                        ("--datetime-columns", _) => ColumnType::Datetime,
                        ("--text-columns", _) => ColumnType::Text,
                        (_, kept) => kept,
                    };
                }
            }
            if !found {
                return Err(unknown_column(flag, name, &plans[0]));
            }
        }
    }
    Ok(())
}

fn unknown_column(what: &str, name: &str, plan: &TablePlan) -> Error {
    let available: Vec<&str> = plan.columns.iter().map(|c| c.name.as_str()).collect();
    Error::InvalidArgument(format!(
        "{what}: column '{name}' not found in {} (columns: {})",
        plan.source.path.display(),
        available.join(", ")
    ))
}

/// The target and ID columns must exist in the train table.
pub fn check_columns(
    plans: &[TablePlan],
    target: Option<&str>,
    id_columns: &[String],
) -> Result<()> {
    let train = &plans[0];
    let has = |name: &str| train.columns.iter().any(|c| c.name == name);
    if let Some(target) = target {
        if !has(target) {
            return Err(unknown_column("--target", target, train));
        }
    }
    for id in id_columns {
        if !has(id) {
            return Err(unknown_column("--id-columns", id, train));
        }
    }
    Ok(())
}
