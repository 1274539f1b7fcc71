//! Column groups: a table wider than its database takes in one table
//! (SQLite's 2,000 columns; PostgreSQL's 1,600 and its 8 KB rows) is
//! stored as the table itself, holding the first group, and tables
//! `{table}__cols2`, `{table}__cols3`, ... holding the others, each with
//! the row key. This file splits a table's columns into groups and reads
//! a grouped table back whole: each group in windows of the row key, put
//! back together row by row, so that no one query returns more columns
//! than the database allows.

use serde::{Deserialize, Serialize};

use super::{RowFilter, Store};
use crate::dialect::ROW_KEY;
use crate::error::Result;
use crate::model::{Batch, ColumnData, ColumnDef, ColumnType};

/// A table holding some of a logical table's columns, keyed by the row key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnGroup {
    pub table: String,
    pub columns: Vec<String>,
}

/// The table of a table's `number`th column group (2, 3, ...).
pub fn group_table(table: &str, number: usize) -> String {
    format!("{table}__cols{number}")
}

/// Values a window of a grouped scan holds at most (rows times columns),
/// so that memory stays flat however wide the table is.
const WINDOW_VALUES: usize = 1_000_000;

/// Splits `count` columns into groups of at most `size`: the first is
/// the table's own (the columns in `first`, then the others in order
/// until it is full), the rest follow in order. One group when all fit.
pub fn split(count: usize, first: &[usize], size: usize) -> Vec<Vec<usize>> {
    let size = size.max(1);
    if count <= size {
        return vec![(0..count).collect()];
    }
    let mut own: Vec<usize> = Vec::with_capacity(size);
    for &index in first {
        if index < count && !own.contains(&index) && own.len() < size {
            own.push(index);
        }
    }
    let mut rest = Vec::with_capacity(count);
    for index in 0..count {
        if own.contains(&index) {
            continue;
        }
        if own.len() < size {
            own.push(index);
        } else {
            rest.push(index);
        }
    }
    own.sort_unstable();
    let mut groups = vec![own];
    groups.extend(rest.chunks(size).map(<[usize]>::to_vec));
    groups
}

fn key_column() -> ColumnDef {
    ColumnDef {
        name: ROW_KEY.to_string(),
        column_type: ColumnType::Integer,
    }
}

/// Reads `columns` of `table`, some of them stored in `groups` (none: all
/// in the table itself), in batches; `filter`'s condition may name the
/// table's own columns only.
pub fn scan(
    store: &mut dyn Store,
    table: &str,
    groups: &[ColumnGroup],
    columns: &[ColumnDef],
    filter: &RowFilter,
    batch_size: usize,
    on_batch: &mut dyn FnMut(&Batch) -> Result<()>,
) -> Result<()> {
    let place: Vec<Option<usize>> = columns
        .iter()
        .map(|c| groups.iter().position(|g| g.columns.contains(&c.name)))
        .collect();
    if place.iter().all(Option::is_none) {
        return store.scan_filtered(table, columns, filter, batch_size, on_batch);
    }
    let dialect = store.dialect().boxed();
    let key = dialect.quote_identifier(ROW_KEY);
    let Some((low, high)) = key_range(store, table, &key)? else {
        return Ok(());
    };
    let window = (WINDOW_VALUES / columns.len().max(1)).clamp(1, batch_size.max(1)) as i64;
    let mut remaining = filter.limit;
    let own: Vec<ColumnDef> = columns
        .iter()
        .zip(&place)
        .filter(|(_, p)| p.is_none())
        .map(|(c, _)| c.clone())
        .chain(std::iter::once(key_column()))
        .collect();
    let mut start = low;
    while start <= high && remaining != Some(0) {
        let end = start.saturating_add(window - 1);
        let range = format!("{key} BETWEEN {start} AND {end}");
        let condition = match &filter.condition {
            Some(condition) => format!("({condition}\n) AND {range}"),
            None => range.clone(),
        };
        let rows_filter = RowFilter {
            condition: Some(condition),
            limit: remaining,
            order_by: Some(key.clone()),
        };
        let mut base = collect(store, table, &own, &rows_filter, window as usize)?;
        let base_keys = keys(&base);
        let mut parts: Vec<Option<(Batch, Vec<i64>)>> = vec![None; groups.len()];
        for (number, group) in groups.iter().enumerate() {
            let wanted: Vec<ColumnDef> = columns
                .iter()
                .zip(&place)
                .filter(|(_, p)| **p == Some(number))
                .map(|(c, _)| c.clone())
                .chain(std::iter::once(key_column()))
                .collect();
            if wanted.len() == 1 {
                continue;
            }
            let group_filter = RowFilter {
                condition: Some(range.clone()),
                limit: None,
                order_by: Some(key.clone()),
            };
            let batch = collect(store, &group.table, &wanted, &group_filter, window as usize)?;
            let group_keys = keys(&batch);
            parts[number] = Some((batch, group_keys));
        }
        let mut out = Batch::new(columns, base_keys.len());
        let (mut own_index, mut group_index) = (0usize, vec![0usize; groups.len()]);
        for (slot, location) in place.iter().enumerate() {
            match location {
                None => {
                    out.columns[slot] = std::mem::replace(
                        &mut base.columns[own_index],
                        ColumnData::Integer(Vec::new()),
                    );
                    own_index += 1;
                }
                Some(number) => {
                    let (batch, group_keys) = parts[*number].as_mut().expect("read above");
                    let source = &mut batch.columns[group_index[*number]];
                    group_index[*number] += 1;
                    gather(&mut out.columns[slot], source, group_keys, &base_keys);
                }
            }
        }
        if !out.is_empty() {
            on_batch(&out)?;
        }
        if let Some(left) = remaining.as_mut() {
            *left = left.saturating_sub(base_keys.len() as u64);
        }
        start = end.saturating_add(1);
    }
    Ok(())
}

/// The lowest and highest row key of `table`, `None` when it is empty.
fn key_range(store: &mut dyn Store, table: &str, key: &str) -> Result<Option<(i64, i64)>> {
    let sql = format!(
        "SELECT MIN({key}), MAX({key}) FROM {}",
        store.dialect().quote_identifier(table)
    );
    let mut range = None;
    store.query(&sql, &[], &mut |row| {
        if let (Some(low), Some(high)) = (row[0].as_i64(), row[1].as_i64()) {
            range = Some((low, high));
        }
        Ok(())
    })?;
    Ok(range)
}

/// One window of `table` as one batch.
fn collect(
    store: &mut dyn Store,
    table: &str,
    columns: &[ColumnDef],
    filter: &RowFilter,
    window: usize,
) -> Result<Batch> {
    let mut whole = Batch::new(columns, 0);
    let mut first = true;
    store.scan_filtered(table, columns, filter, window, &mut |batch| {
        if first {
            whole = batch.clone();
            first = false;
        } else {
            for (into, from) in whole.columns.iter_mut().zip(&batch.columns) {
                for row in 0..from.len() {
                    into.push_from(from, row);
                }
            }
        }
        Ok(())
    })?;
    Ok(whole)
}

/// The row keys of a batch whose last column is the key.
fn keys(batch: &Batch) -> Vec<i64> {
    match batch.columns.last() {
        Some(ColumnData::Integer(values)) => values.iter().map(|k| k.unwrap_or(i64::MIN)).collect(),
        _ => Vec::new(),
    }
}

/// `into` gets, for each key of `wanted`, the value of `source` at the
/// same key (`source_keys`, ascending like `wanted`), or a null; the
/// whole column is moved when the keys are the same.
fn gather(into: &mut ColumnData, source: &mut ColumnData, source_keys: &[i64], wanted: &[i64]) {
    if source_keys == wanted {
        *into = std::mem::replace(source, ColumnData::Boolean(Vec::new()));
        return;
    }
    let mut at = 0;
    for key in wanted {
        while at < source_keys.len() && source_keys[at] < *key {
            at += 1;
        }
        if at < source_keys.len() && source_keys[at] == *key {
            into.push_from(source, at);
        } else {
            into.push_null();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_stay_with_the_table_and_the_rest_follow_in_order() {
        assert_eq!(split(3, &[], 5), vec![vec![0, 1, 2]]);
        assert_eq!(
            split(7, &[], 3),
            vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]
        );
        assert_eq!(
            split(7, &[6], 3),
            vec![vec![0, 1, 6], vec![2, 3, 4], vec![5]]
        );
    }

    #[test]
    fn gathering_by_key_fills_missing_rows_with_null() {
        let mut source = ColumnData::Integer(vec![Some(10), Some(30)]);
        let mut into = ColumnData::Integer(Vec::new());
        gather(&mut into, &mut source, &[1, 3], &[1, 2, 3]);
        match into {
            ColumnData::Integer(values) => assert_eq!(values, [Some(10), None, Some(30)]),
            _ => unreachable!(),
        }
    }
}
