//! Loading one table: its parsed batches (from the parser thread of
//! [`crate::ingest::batches`]) appended to the store in one transaction,
//! with the rows that do not fit kept in `_rejects`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::dialect::ROW_KEY;
use crate::error::{Error, Result};
use crate::ingest::batches::{parse_batches, Parsed, BATCHES_AHEAD};
use crate::ingest::plan::TablePlan;
use crate::ingest::rows::{self, REJECTS_TABLE};
use crate::interrupt;
use crate::model::{Batch, ColumnData, ColumnDef, ColumnType};
use crate::profile::ColumnProfiler;
use crate::store::Store;
use crate::ui::Ui;

/// Pass 2: parse typed batches, profile them and append them to the store,
/// in one transaction per table; rows that do not fit go to `_rejects` in
/// the same transaction. Parsing and profiling run on their own thread, so
/// they overlap with the store's work (and a server's).
pub(super) fn load_table(
    store: &mut dyn Store,
    plan: &TablePlan,
    batch_size: usize,
    cap: usize,
    keyed: bool,
    ui: &Ui,
) -> Result<(Vec<ColumnProfiler>, u64)> {
    let table = &plan.source.table;
    // Where the database numbers the key itself, rows are sent without it.
    let send_key = keyed && !store.dialect().numbers_row_key();
    let create = if keyed {
        store.dialect().create_keyed_table(table, &plan.columns)
    } else {
        store.dialect().create_table(table, &plan.columns)
    };
    store.execute(&create, &[])?;
    store.begin()?;
    let counter = Arc::new(AtomicU64::new(0));
    let bar = if plan.source.reader.counts_rows_upfront() {
        ui.progress(plan.format.size, &format!("load {table}"))
    } else {
        ui.progress_rows_unknown(&format!("load {table}"))
    };
    let mut loaded = 0u64;
    let reject_columns = rows::reject_columns();
    // With the row key, each batch is appended with one more column: the
    // rows' positions, counted here.
    let mut key: Vec<Option<i64>> = Vec::new();
    let mut keyed_columns = plan.columns.clone();
    keyed_columns.push(ColumnDef {
        name: ROW_KEY.to_string(),
        column_type: ColumnType::Integer,
    });
    // Parsed batches waiting for the store; emptied ones come back for reuse.
    let (parsed_tx, parsed_rx) = std::sync::mpsc::sync_channel::<Parsed>(BATCHES_AHEAD);
    let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Batch>();
    let (appended, parsed) = std::thread::scope(|scope| {
        let reader_counter = counter.clone();
        let parser = scope.spawn(move || {
            parse_batches(plan, batch_size, cap, reader_counter, &parsed_tx, &spent_rx)
        });
        let mut appended = Ok(());
        for parsed in parsed_rx.iter() {
            let mut batch = match parsed {
                Parsed::Rejects(batch) => {
                    appended = store
                        .append(REJECTS_TABLE, &reject_columns, &batch)
                        .and_then(|()| interrupt::check());
                    if appended.is_err() {
                        break;
                    }
                    continue;
                }
                Parsed::Rows(batch) => batch,
            };
            let rows = batch.len() as u64;
            appended = if send_key {
                let first = loaded as i64 + 1;
                key.clear();
                key.extend((first..first + rows as i64).map(Some));
                batch
                    .columns
                    .push(ColumnData::Integer(std::mem::take(&mut key)));
                let done = store.append(table, &keyed_columns, &batch);
                if let Some(ColumnData::Integer(values)) = batch.columns.pop() {
                    key = values;
                }
                done
            } else {
                store.append(table, &plan.columns, &batch)
            }
            .and_then(|()| interrupt::check());
            if appended.is_err() {
                break;
            }
            loaded += rows;
            bar.set_position(counter.load(Ordering::Relaxed));
            batch.clear();
            let _ = spent_tx.send(batch);
        }
        // Stops the parser if the store failed.
        drop(parsed_rx);
        let parsed = parser
            .join()
            .unwrap_or_else(|_| Err(Error::General("the CSV parser thread panicked".into())));
        (appended, parsed)
    });
    appended?;
    let profilers = parsed?;
    store.commit()?;
    bar.finish_and_clear();
    Ok((profilers, loaded))
}
