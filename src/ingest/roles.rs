//! Roles read from the data itself: the ID columns (named like an
//! identifier, never null, unique) and the target a Kaggle folder's sample
//! submission implies.

use super::plan::TablePlan;
use crate::error::Result;
use crate::model::ColumnType;
use crate::profile::{ColumnProfiler, ColumnStatistics};
use crate::store::Store;

/// The target implied by a Kaggle folder's sample submission, when none
/// was given.
pub fn implied_target(
    plans: &[TablePlan],
    target: Option<&str>,
    id_columns: &[String],
) -> Option<String> {
    if target.is_some() {
        return None;
    }
    let names = |table: &str| -> Option<Vec<String>> {
        plans
            .iter()
            .find(|p| p.source.table == table)
            .map(|p| p.columns.iter().map(|c| c.name.clone()).collect())
    };
    let submission = names("submission")?;
    let test = names("test");
    super::submission_target(&names("train")?, test.as_deref(), &submission, &|name| {
        looks_like_id_name(name) || id_columns.iter().any(|c| c == name)
    })
}

/// ID columns: named like an identifier (`id`, `*_id`, `*Id`, `id_*`,
/// `uuid`, `key`, `index`), never null, and unique (checked exactly in the
/// database after the distinct estimate says it may be).
pub fn detect_id_columns(
    store: &mut dyn Store,
    plan: &TablePlan,
    profilers: &[ColumnProfiler],
    statistics: &[ColumnStatistics],
    target: Option<&str>,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let columns = plan.columns.iter().zip(&plan.original_names);
    for ((column, original), (profiler, stats)) in columns.zip(profilers.iter().zip(statistics)) {
        if Some(column.name.as_str()) == target
            || !matches!(column.column_type, ColumnType::Integer | ColumnType::Text)
            || !looks_like_id_name(original)
            || stats.nulls > 0
            || stats.count == 0
            || (stats.distinct as f64) < 0.95 * stats.count as f64
        {
            continue;
        }
        if profiler.is_strictly_increasing() {
            ids.push(column.name.clone());
            continue;
        }
        let sql = store
            .dialect()
            .count_distinct(&plan.source.table, &column.name);
        let mut unique = false;
        store.query(&sql, &[], &mut |row| {
            unique = row.first().and_then(|v| v.as_i64()) == row.get(1).and_then(|v| v.as_i64());
            Ok(())
        })?;
        if unique {
            ids.push(column.name.clone());
        }
    }
    Ok(ids)
}

pub fn looks_like_id_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "id" | "uuid" | "guid" | "key" | "index")
        || lower.ends_with("_id")
        || lower.starts_with("id_")
        || name.ends_with("Id")
        || name.ends_with("ID")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_names_are_recognised() {
        for name in ["id", "PassengerId", "user_id", "ID", "id_x", "uuid"] {
            assert!(looks_like_id_name(name), "{name}");
        }
        for name in ["Survived", "width", "valid", "Paid"] {
            assert!(!looks_like_id_name(name), "{name}");
        }
    }
}
