//! Duplicate rows of the train table: counted, and removed when
//! `validation.drop_duplicates` asks for it.

use crate::config::Settings;
use crate::error::Result;
use crate::ingest::plan::TablePlan;
use crate::profile::ColumnStatistics;
use crate::store::Store;
use crate::ui::Ui;

/// What `validation.check_duplicates` and `drop_duplicates` found in
/// the train table.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub(super) struct Duplicates {
    found: u64,
    removed: u64,
}

/// Counts (and with `validation.drop_duplicates` removes, keeping the first
/// of each) train rows that repeat an earlier row in every column; after a
/// removal the train table's statistics are computed again.
pub(super) fn handle_duplicates(
    store: &mut dyn Store,
    train: &mut TablePlan,
    statistics: &mut Vec<ColumnStatistics>,
    settings: &Settings,
    cap: usize,
    ui: &Ui,
) -> Result<Option<Duplicates>> {
    let validation = &settings.config.validation;
    if !(validation.check_duplicates || validation.drop_duplicates) {
        return Ok(None);
    }
    let table = train.source.table.clone();
    if !train.column_groups.is_empty() {
        ui.message(&format!(
            "{table}: duplicate rows not checked (a table in column groups has no one row to compare)"
        ));
        return Ok(None);
    }
    let mut found = 0u64;
    let sql = store.dialect().count_duplicates(&table, &train.columns);
    store.query(&sql, &[], &mut |row| {
        found = row.first().and_then(|v| v.as_i64()).unwrap_or(0).max(0) as u64;
        Ok(())
    })?;
    let mut duplicates = Duplicates { found, removed: 0 };
    if found == 0 {
        ui.message(&format!("{table}: no duplicate rows"));
        return Ok(Some(duplicates));
    }
    if !validation.drop_duplicates {
        ui.message(&format!(
            "{table}: {found} rows repeat an earlier row (validation.check_duplicates; kept)"
        ));
        return Ok(Some(duplicates));
    }
    let sql = store.dialect().delete_duplicates(&table, &train.columns);
    store.execute(&sql, &[])?;
    duplicates.removed = found;
    train.rows -= found;
    let whole = crate::metadata::TableInfo {
        name: table.clone(),
        rows: train.rows,
        columns: Vec::new(),
        groups: Vec::new(),
        keyed: false,
    };
    let profiled = crate::ops::stats::profile_table(
        store,
        &whole,
        &train.columns,
        settings.config.performance.batch_size,
        cap,
    )?;
    *statistics = train
        .columns
        .iter()
        .map(|c| profiled.get(&c.name).cloned().unwrap_or_default())
        .collect();
    ui.message(&format!(
        "{table}: {found} rows repeating an earlier row removed (validation.drop_duplicates)"
    ));
    Ok(Some(duplicates))
}
