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
    let stored = StoredTables::new(plan);
    for (name, columns) in &stored.tables {
        let create = if keyed {
            store.dialect().create_keyed_table(name, columns)
        } else {
            store.dialect().create_table(name, columns)
        };
        store.execute(&create, &[])?;
    }
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
            if send_key {
                let first = loaded as i64 + 1;
                key.clear();
                key.extend((first..first + rows as i64).map(Some));
            }
            appended = stored
                .append(store, &mut batch, send_key.then_some(&mut key))
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

/// The stored tables of one source table: the table itself, or for a
/// table in column groups, one per group, each with its columns.
struct StoredTables {
    tables: Vec<(String, Vec<ColumnDef>)>,
    /// Per stored table, the indexes of its columns in a parsed batch.
    groups: Vec<Vec<usize>>,
    /// The stored tables' columns followed by the row key, for loads that
    /// send it.
    keyed: Vec<Vec<ColumnDef>>,
}

impl StoredTables {
    fn new(plan: &TablePlan) -> StoredTables {
        let table = &plan.source.table;
        let groups = if plan.column_groups.is_empty() {
            vec![(0..plan.columns.len()).collect()]
        } else {
            plan.column_groups.clone()
        };
        let tables: Vec<(String, Vec<ColumnDef>)> = groups
            .iter()
            .enumerate()
            .map(|(number, indexes)| {
                let name = match number {
                    0 => table.clone(),
                    _ => crate::store::groups::group_table(table, number + 1),
                };
                let columns = indexes.iter().map(|&i| plan.columns[i].clone()).collect();
                (name, columns)
            })
            .collect();
        let keyed = tables
            .iter()
            .map(|(_, columns)| {
                let mut keyed = columns.clone();
                keyed.push(ColumnDef {
                    name: ROW_KEY.to_string(),
                    column_type: ColumnType::Integer,
                });
                keyed
            })
            .collect();
        StoredTables {
            tables,
            groups,
            keyed,
        }
    }

    /// Appends a parsed batch to every stored table (each group's columns
    /// moved out of the batch and back, not copied), with `key` as the row
    /// key's values where the load sends them.
    fn append(
        &self,
        store: &mut dyn Store,
        batch: &mut Batch,
        mut key: Option<&mut Vec<Option<i64>>>,
    ) -> Result<()> {
        if self.tables.len() == 1 && key.is_none() {
            return store.append(&self.tables[0].0, &self.tables[0].1, batch);
        }
        for (((name, columns), indexes), keyed) in
            self.tables.iter().zip(&self.groups).zip(&self.keyed)
        {
            let mut part = Batch {
                columns: indexes
                    .iter()
                    .map(|&i| {
                        std::mem::replace(&mut batch.columns[i], ColumnData::Boolean(Vec::new()))
                    })
                    .collect(),
            };
            let done = match key.as_deref_mut() {
                Some(values) => {
                    part.columns
                        .push(ColumnData::Integer(std::mem::take(values)));
                    let done = store.append(name, keyed, &part);
                    if let Some(ColumnData::Integer(taken)) = part.columns.pop() {
                        *values = taken;
                    }
                    done
                }
                None => store.append(name, columns, &part),
            };
            for (&i, column) in indexes.iter().zip(part.columns) {
                batch.columns[i] = column;
            }
            done?;
        }
        Ok(())
    }
}
