//! Writing the feature tables: a view computing the features from its
//! source table, or a table filled from the same `SELECT`; regenerated
//! ones swapped in for the old in one transaction.

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

/// The `SELECT` of a feature view: the table's columns, its row key when
/// given, then each feature under its name and type.
pub(super) fn view_select(
    dialect: &dyn crate::dialect::Dialect,
    table: &TableInfo,
    row_key: Option<&str>,
    features: &[&Candidate],
) -> String {
    let mut select: Vec<String> = table
        .columns
        .iter()
        .map(|c| dialect.quote_identifier(&c.name))
        .collect();
    select.extend(row_key.map(|key| dialect.quote_identifier(key)));
    select.extend(features.iter().map(|c| {
        format!(
            "{} AS {}",
            dialect.view_column(&c.expression, c.column.column_type),
            dialect.quote_identifier(&c.column.name)
        )
    }));
    format!(
        "SELECT {} FROM {}",
        select.join(", "),
        dialect.quote_identifier(&table.name)
    )
}

/// Creates the view `name` as `select` (a view of that name first dropped).
pub(super) fn define_view(store: &mut dyn Store, name: &str, select: &str) -> Result<()> {
    let dialect = store.dialect();
    let drop = dialect.drop_view(name);
    let create = format!("CREATE VIEW {} AS {select}", dialect.quote_identifier(name));
    store.execute(&drop, &[])?;
    store.execute(&create, &[])
}

/// Replaces the old feature tables with the new ones in one transaction:
/// new tables (built under staging names) are renamed, new views (checked
/// under staging names) are defined again under their own (`views`: name
/// and `SELECT`).
pub(super) fn swap_in(
    store: &mut dyn Store,
    set: &FeatureSet,
    views: &[(String, String)],
) -> Result<()> {
    let existing = store.table_names()?;
    let existing_views = store.view_names()?;
    let dialect = store.dialect();
    let mut statements = Vec::new();
    let fresh: HashSet<String> = set
        .tables
        .iter()
        .filter(|t| !t.view)
        .map(|t| staging_name(&t.name))
        .collect();
    // Old feature tables and views, and leftovers of a regeneration that
    // was killed.
    for name in &existing {
        if name.ends_with(TABLE_SUFFIX) && !fresh.contains(name) {
            statements.push(dialect.drop_table(name));
        }
    }
    for name in &existing_views {
        if name.ends_with(TABLE_SUFFIX) {
            statements.push(dialect.drop_view(name));
        }
    }
    for table in set.tables.iter().filter(|t| !t.view) {
        statements.push(format!(
            "ALTER TABLE {} RENAME TO {}",
            dialect.quote_identifier(&staging_name(&table.name)),
            dialect.quote_identifier(&table.name)
        ));
    }
    for (name, select) in views {
        statements.push(format!(
            "CREATE VIEW {} AS {select}",
            dialect.quote_identifier(name)
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
