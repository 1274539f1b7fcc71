//! Writing the feature tables: one filled from a `SELECT` over its source
//! table, and regenerated ones swapped in for the old in one transaction.

use std::collections::HashSet;

use super::builder::Candidate;
use super::{FeatureSet, TABLE_SUFFIX};
use crate::error::Result;
use crate::metadata::TableInfo;
use crate::model::ColumnDef;
use crate::store::Store;

/// Prefix of the feature tables a regeneration builds before swapping
/// them in.
const STAGING_PREFIX: &str = "_mdm_new_";

/// The name a regeneration builds `table` under before swapping it in.
pub(super) fn staging_name(table: &str) -> String {
    format!("{STAGING_PREFIX}{table}")
}

/// Creates `name` with the table's columns and the features and fills it
/// from one `SELECT` over the table (see [`Store::insert_select`]).
pub(super) fn materialize(
    store: &mut dyn Store,
    table: &TableInfo,
    row_key: Option<&str>,
    joined: bool,
    name: &str,
    features: &[&Candidate],
) -> Result<()> {
    let dialect = store.dialect();
    // A wide table is not copied: its feature table joins it on the key.
    let copied: &[crate::metadata::ColumnInfo] = if joined { &[] } else { &table.columns };
    let mut columns: Vec<ColumnDef> = copied.iter().map(|c| c.def()).collect();
    columns.extend(row_key.map(|key| ColumnDef {
        name: key.to_string(),
        column_type: crate::model::ColumnType::Integer,
    }));
    columns.extend(features.iter().map(|c| ColumnDef {
        name: c.column.name.clone(),
        column_type: c.column.column_type,
    }));
    let create = dialect.create_table_keeping_key(name, &columns);
    let mut select: Vec<String> = copied
        .iter()
        .map(|c| dialect.quote_identifier(&c.name))
        .collect();
    select.extend(row_key.map(|key| dialect.quote_identifier(key)));
    select.extend(features.iter().map(|c| c.expression.clone()));
    let drop = dialect.drop_table(name);
    store.execute(&drop, &[])?;
    store.execute(&create, &[])?;
    store
        .insert_select(name, &columns, &select.join(", "), &table.name)
        .inspect_err(|_| {
            let _ = store.execute(&drop, &[]);
        })
}

/// Replaces the old feature tables with the new ones in one transaction.
pub(super) fn swap_in(store: &mut dyn Store, set: &FeatureSet) -> Result<()> {
    let existing = store.table_names()?;
    let dialect = store.dialect();
    let mut statements = Vec::new();
    let fresh: HashSet<String> = set.tables.iter().map(|t| staging_name(&t.name)).collect();
    // Old feature tables, and leftovers of a regeneration that was killed.
    for name in &existing {
        if name.ends_with(TABLE_SUFFIX) && !fresh.contains(name) {
            statements.push(dialect.drop_table(name));
        }
    }
    for table in &set.tables {
        statements.push(format!(
            "ALTER TABLE {} RENAME TO {}",
            dialect.quote_identifier(&staging_name(&table.name)),
            dialect.quote_identifier(&table.name)
        ));
    }
    store.begin()?;
    for statement in &statements {
        if let Err(err) = store.execute(statement, &[]) {
            let _ = store.rollback();
            return Err(err);
        }
    }
    store.commit()
}
