//! Registration step 4: every table loaded into the staged store (each in
//! one transaction, profiled on the way), duplicates handled and train
//! partitioned where asked.

use super::checks::check_min_rows;
use super::duplicates::handle_duplicates;
use super::load::load_table;
use super::{has_row_key, RegisterOptions};
use crate::config::Settings;
use crate::error::Result;
use crate::ingest::plan::TablePlan;
use crate::ingest::rows::{self, REJECTS_TABLE};
use crate::profile::{ColumnProfiler, ColumnStatistics};
use crate::store::LoadShape;
use crate::ui::Ui;

/// Step 4's result: what loading learnt of the tables.
pub(super) struct Loaded {
    pub(super) profilers: Vec<Vec<ColumnProfiler>>,
    pub(super) statistics: Vec<Vec<ColumnStatistics>>,
    pub(super) duplicates: Option<serde_json::Value>,
    pub(super) partitioning: Option<crate::ops::partition::Partitioning>,
}

/// Step 4: every table loaded into the staged store (profiled on the way),
/// duplicates handled and train partitioned where asked.
pub(super) fn load_tables(
    store: &mut dyn crate::store::Store,
    plans: &mut [TablePlan],
    options: &RegisterOptions,
    settings: &Settings,
    ui: &Ui,
) -> Result<Loaded> {
    store.expect(LoadShape {
        widest_value: plans.iter().map(|p| p.widest_record).max().unwrap_or(0),
        columns: plans.iter().map(|p| p.columns.len()).max().unwrap_or(0),
    })?;
    if plans.iter().any(|p| p.outcome.rows_rejected > 0) {
        let create = store
            .dialect()
            .create_table(REJECTS_TABLE, &rows::reject_columns());
        store.execute(&create, &[])?;
    }
    let cap = settings.config.validation.max_categorical_cardinality as usize;
    let mut profilers = Vec::with_capacity(plans.len());
    for (index, plan) in plans.iter_mut().enumerate() {
        // A table in column groups joins them on the row key.
        let keyed = (index == 0 && has_row_key(plan)) || !plan.column_groups.is_empty();
        let batch_rows = crate::ingest::batches::rows_per_batch(
            settings.config.performance.batch_size,
            plan.columns.len(),
        );
        let (profiled, rows) = load_table(
            store,
            plan,
            batch_rows,
            crate::profile::exact_count_cap(cap, plan.columns.len()),
            keyed,
            ui,
        )?;
        profilers.push(profiled);
        // A query's rows are known once it has been read.
        if !plan.source.reader.counts_rows_upfront() {
            plan.rows = rows;
            plan.outcome.rows_loaded = rows;
        }
    }
    if !plans[0].source.reader.counts_rows_upfront() {
        check_min_rows(&plans[0], settings)?;
    }
    let mut statistics: Vec<Vec<ColumnStatistics>> = profilers
        .iter()
        .map(|table| table.iter().map(ColumnProfiler::finish).collect())
        .collect();
    let duplicates =
        handle_duplicates(store, &mut plans[0], &mut statistics[0], settings, cap, ui)?
            .map(|d| serde_json::json!({ plans[0].source.table.as_str(): d }));
    let partitioning = match &options.partition_by {
        Some(column) => {
            let train = &plans[0];
            let done = crate::ops::partition::partition(
                store,
                &train.source.table,
                &train.columns,
                column,
            )?;
            ui.message(&format!(
                "{}: partitioned by {} of '{column}' ({} partitions and a default one)",
                train.source.table, done.by, done.partitions
            ));
            Some(done)
        }
        None => None,
    };
    Ok(Loaded {
        profilers,
        statistics,
        duplicates,
        partitioning,
    })
}
