//! Exact percentiles and equal-width histograms of many numeric columns at
//! once, in bounded memory, over any store: each pass scans the table once
//! and narrows every requested rank to a finer value window (a 4096-bin
//! histogram with per-bin minimum and maximum), until a window's values are
//! few enough to sort or all equal. Usually two passes answer everything.

use std::collections::HashMap;

use crate::error::Result;
use crate::interrupt;
use crate::model::{Batch, ColumnData, ColumnDef};
use crate::store::Store;

/// Bins of each narrowing histogram.
const FINE_BINS: usize = 4096;
/// Windows with at most this many values are collected and sorted (128 KiB
/// each); larger ones are narrowed by another pass.
const COLLECT_LIMIT: u64 = 16 * 1024;

/// What is known of one numeric column before the passes.
#[derive(Clone, Debug)]
pub struct ColumnSummary {
    pub column: ColumnDef,
    /// Non-null values.
    pub count: u64,
    pub min: f64,
    pub max: f64,
}

/// Percentiles and histogram of one column.
#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    /// One value per requested fraction, in order.
    pub percentiles: Vec<f64>,
    /// `(low, high, count)` per bin; one bin when all values are equal.
    pub histogram: Vec<(f64, f64, u64)>,
}

/// One rank being searched: the k-th smallest value of a column (0-based),
/// currently known to lie in `[lo, hi]`, holding `count` values of which
/// `rank` are smaller than it.
#[derive(Clone, Debug)]
struct Search {
    column: usize,
    lo: f64,
    hi: f64,
    count: u64,
    rank: u64,
    answer: Option<f64>,
}

/// A value window scanned in one pass, shared by the searches that need it.
struct Window {
    column: usize,
    lo: f64,
    hi: f64,
    collect: bool,
    values: Vec<f64>,
    counts: Vec<u64>,
    mins: Vec<f64>,
    maxs: Vec<f64>,
}

impl Window {
    fn new(search: &Search, collect_limit: u64) -> Window {
        let finite = search.lo.is_finite() && search.hi.is_finite();
        let collect = search.count <= collect_limit || !finite;
        let bins = if collect { 0 } else { FINE_BINS };
        Window {
            column: search.column,
            lo: search.lo,
            hi: search.hi,
            collect,
            values: Vec::new(),
            counts: vec![0; bins],
            mins: vec![f64::INFINITY; bins],
            maxs: vec![f64::NEG_INFINITY; bins],
        }
    }

    #[inline]
    fn add(&mut self, value: f64) {
        if value < self.lo || value > self.hi {
            return;
        }
        if self.collect {
            self.values.push(value);
            return;
        }
        let bin = bin_of(value, self.lo, self.hi, FINE_BINS);
        self.counts[bin] += 1;
        if value < self.mins[bin] {
            self.mins[bin] = value;
        }
        if value > self.maxs[bin] {
            self.maxs[bin] = value;
        }
    }
}

#[inline]
fn bin_of(value: f64, lo: f64, hi: f64, bins: usize) -> usize {
    if hi <= lo {
        return 0;
    }
    let position = (value - lo) / (hi - lo) * bins as f64;
    (position as usize).min(bins - 1)
}

fn for_each_value(data: &ColumnData, mut f: impl FnMut(f64)) {
    match data {
        ColumnData::Integer(values) => values.iter().flatten().for_each(|v| f(*v as f64)),
        ColumnData::Float(values) => values.iter().flatten().for_each(|v| f(*v)),
        _ => {}
    }
}

/// Computes, for each column, the percentiles at `fractions` (linear
/// interpolation between closest ranks, as numpy's default) and a histogram
/// of `bins` equal-width bins over `[min, max]`.
pub fn distributions(
    store: &mut dyn Store,
    table: &str,
    columns: &[ColumnSummary],
    fractions: &[f64],
    bins: usize,
    batch_size: usize,
) -> Result<Vec<Distribution>> {
    distributions_with_limit(
        store,
        table,
        columns,
        fractions,
        bins,
        batch_size,
        COLLECT_LIMIT,
    )
}

fn distributions_with_limit(
    store: &mut dyn Store,
    table: &str,
    columns: &[ColumnSummary],
    fractions: &[f64],
    bins: usize,
    batch_size: usize,
    collect_limit: u64,
) -> Result<Vec<Distribution>> {
    let defs: Vec<ColumnDef> = columns.iter().map(|c| c.column.clone()).collect();
    let mut histograms: Vec<Vec<u64>> = columns.iter().map(|_| vec![0; bins]).collect();
    let mut searches = Vec::new();
    for (index, column) in columns.iter().enumerate() {
        for fraction in fractions {
            let position = fraction * (column.count.saturating_sub(1)) as f64;
            let below = position.floor() as u64;
            for rank in [below, (below + 1).min(column.count.saturating_sub(1))] {
                searches.push(Search {
                    column: index,
                    lo: column.min,
                    hi: column.max,
                    count: column.count,
                    rank,
                    answer: (column.min == column.max).then_some(column.min),
                });
            }
        }
    }

    // A server sorts each column itself: one query, no pass over the
    // rows here (a histogram of one bin is the count, known already).
    let mut first_pass = true;
    if bins == 1 && ranks_in_database(store, table, columns, &mut searches)? {
        first_pass = false;
        for (index, column) in columns.iter().enumerate() {
            histograms[index][0] = column.count;
        }
    }
    loop {
        let pending: Vec<usize> = (0..searches.len())
            .filter(|&i| searches[i].answer.is_none())
            .collect();
        if pending.is_empty() && !first_pass {
            break;
        }
        let mut windows: Vec<Window> = Vec::new();
        let mut window_of: HashMap<(usize, u64, u64), usize> = HashMap::new();
        let mut assignment = HashMap::new();
        for &i in &pending {
            let search = &searches[i];
            let key = (search.column, search.lo.to_bits(), search.hi.to_bits());
            let window = *window_of.entry(key).or_insert_with(|| {
                windows.push(Window::new(search, collect_limit));
                windows.len() - 1
            });
            assignment.insert(i, window);
        }
        // Each column's windows, by lower bound. Windows of one column come
        // from disjoint bins, so a value falls in at most one of them and
        // is found by bisection (a pass can have hundreds per column).
        let mut by_column: Vec<Vec<usize>> = vec![Vec::new(); columns.len()];
        for (index, window) in windows.iter().enumerate() {
            by_column[window.column].push(index);
        }
        let mut disjoint = true;
        for list in &mut by_column {
            list.sort_by(|&a, &b| windows[a].lo.total_cmp(&windows[b].lo));
            disjoint &= list.windows(2).all(|p| windows[p[0]].hi < windows[p[1]].lo);
        }
        let mut on_batch = |batch: &Batch| -> Result<()> {
            for (column, list) in by_column.iter().enumerate() {
                match list.as_slice() {
                    [] => {}
                    // One window needs no search; overlapping ones each see every value.
                    _ if list.len() == 1 || !disjoint => {
                        for &index in list {
                            let window = &mut windows[index];
                            for_each_value(&batch.columns[column], |v| window.add(v));
                        }
                    }
                    _ => for_each_value(&batch.columns[column], |v| {
                        let at = list.partition_point(|&w| windows[w].lo <= v);
                        if at > 0 {
                            windows[list[at - 1]].add(v);
                        }
                    }),
                }
            }
            if first_pass {
                for (index, column) in columns.iter().enumerate() {
                    let histogram = &mut histograms[index];
                    for_each_value(&batch.columns[index], |v| {
                        histogram[bin_of(v, column.min, column.max, bins)] += 1
                    });
                }
            }
            interrupt::check()
        };
        store.scan(table, &defs, batch_size, &mut on_batch)?;
        first_pass = false;

        for window in &mut windows {
            if window.collect {
                window.values.sort_by(f64::total_cmp);
            }
        }
        for (&i, &w) in &assignment {
            let window = &windows[w];
            let search = &mut searches[i];
            if window.collect {
                // Fewer values than recorded means the table changed since
                // the statistics were taken; answer with what is there.
                let index = (search.rank as usize).min(window.values.len().saturating_sub(1));
                search.answer = Some(window.values.get(index).copied().unwrap_or(f64::NAN));
                continue;
            }
            let mut before = 0u64;
            let mut found = false;
            for bin in 0..FINE_BINS {
                let count = window.counts[bin];
                if search.rank < before + count {
                    if window.mins[bin] == window.maxs[bin] {
                        search.answer = Some(window.mins[bin]);
                    } else {
                        search.lo = window.mins[bin];
                        search.hi = window.maxs[bin];
                        search.count = count;
                        search.rank -= before;
                    }
                    found = true;
                    break;
                }
                before += count;
            }
            if !found {
                search.answer = Some(f64::NAN);
            }
        }
    }

    let mut results = Vec::with_capacity(columns.len());
    let mut answers = searches.iter().map(|s| s.answer.unwrap_or(f64::NAN));
    for (index, column) in columns.iter().enumerate() {
        let mut percentiles = Vec::with_capacity(fractions.len());
        for fraction in fractions {
            let position = fraction * (column.count.saturating_sub(1)) as f64;
            let weight = position - position.floor();
            let (low, high) = (
                answers.next().unwrap_or(f64::NAN),
                answers.next().unwrap_or(f64::NAN),
            );
            percentiles.push(if weight == 0.0 {
                low
            } else {
                low + weight * (high - low)
            });
        }
        let width = (column.max - column.min) / bins as f64;
        let histogram = if column.max > column.min {
            histograms[index]
                .iter()
                .enumerate()
                .map(|(bin, count)| {
                    let high = if bin + 1 == bins {
                        column.max
                    } else {
                        column.min + width * (bin + 1) as f64
                    };
                    (column.min + width * bin as f64, high, *count)
                })
                .collect()
        } else {
            vec![(column.min, column.max, histograms[index].iter().sum())]
        };
        results.push(Distribution {
            percentiles,
            histogram,
        });
    }
    Ok(results)
}

/// Answers every search with one query where the database offers order
/// statistics ([`crate::dialect::Dialect::order_statistics`]); false when
/// it does not.
fn ranks_in_database(
    store: &mut dyn Store,
    table: &str,
    columns: &[ColumnSummary],
    searches: &mut [Search],
) -> Result<bool> {
    let dialect = store.dialect();
    let mut aggregates = Vec::new();
    let mut asked: Vec<Vec<usize>> = Vec::new();
    for (index, column) in columns.iter().enumerate() {
        let members: Vec<usize> = (0..searches.len())
            .filter(|&i| searches[i].column == index && searches[i].answer.is_none())
            .collect();
        if members.is_empty() {
            continue;
        }
        let ranks: Vec<u64> = members.iter().map(|&i| searches[i].rank).collect();
        let Some(aggregate) = dialect.order_statistics(&column.column.name, &ranks, column.count)
        else {
            return Ok(false);
        };
        aggregates.push(aggregate);
        asked.push(members);
    }
    if aggregates.is_empty() {
        return Ok(false);
    }
    // Each column sorts on its own: the columns are spread over as many
    // statements as the database runs at once, round robin.
    let statements_count = store.concurrent_statements().clamp(1, aggregates.len());
    let from = dialect.quote_identifier(table);
    let statements: Vec<String> = (0..statements_count)
        .map(|k| {
            let list: Vec<&str> = aggregates
                .iter()
                .skip(k)
                .step_by(statements_count)
                .map(String::as_str)
                .collect();
            format!("SELECT {} FROM {from}", list.join(", "))
        })
        .collect();
    let results = store.query_each(&statements)?;
    // Back in the columns' order.
    let mut row: Vec<crate::model::Value> = vec![crate::model::Value::Null; aggregates.len()];
    for (k, rows) in results.into_iter().enumerate() {
        let cells = rows.into_iter().next().unwrap_or_default();
        for (j, cell) in cells.into_iter().enumerate() {
            if let Some(slot) = row.get_mut(k + j * statements_count) {
                *slot = cell;
            }
        }
    }
    for (cell, members) in row.iter().zip(&asked) {
        // An array as text (`{1,2.5,3}`); none when the column is all null.
        let values: Vec<f64> = match cell {
            crate::model::Value::Text(text) => text
                .trim_matches(|c| c == '{' || c == '}')
                .split(',')
                .map(|v| v.trim().parse::<f64>().unwrap_or(f64::NAN))
                .collect(),
            _ => Vec::new(),
        };
        for (k, &i) in members.iter().enumerate() {
            searches[i].answer = Some(values.get(k).copied().unwrap_or(f64::NAN));
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SqliteSettings;
    use crate::model::{ColumnType, Value};
    use crate::store::SqliteStore;

    fn exact(sorted: &[f64], fraction: f64) -> f64 {
        let position = fraction * (sorted.len() - 1) as f64;
        let low = position.floor() as usize;
        let high = (low + 1).min(sorted.len() - 1);
        sorted[low] + (position - low as f64) * (sorted[high] - sorted[low])
    }

    #[test]
    fn narrowing_windows_find_the_exact_percentiles() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            SqliteStore::create_for_load(&dir.path().join("q.sqlite"), &SqliteSettings::default())
                .unwrap();
        let columns = [
            ColumnDef {
                name: "skewed".into(),
                column_type: ColumnType::Float,
            },
            ColumnDef {
                name: "steps".into(),
                column_type: ColumnType::Integer,
            },
        ];
        store
            .execute(&store.dialect().create_table("t", &columns), &[])
            .unwrap();
        // Heavily skewed values (most near zero, a few huge) and many ties.
        let mut skewed = Vec::new();
        let mut steps = Vec::new();
        let mut state = 12345u64;
        for i in 0..20_000u64 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            let value = if i % 997 == 0 { 1e12 * u } else { u.powi(8) };
            skewed.push(value);
            steps.push((i % 7) as i64 * 1000);
            store
                .execute(
                    "INSERT INTO t VALUES (?, ?)",
                    &[Value::Float(value), Value::Integer(*steps.last().unwrap())],
                )
                .unwrap();
        }
        let summary = |name: &str, column_type, values: &[f64]| ColumnSummary {
            column: ColumnDef {
                name: name.into(),
                column_type,
            },
            count: values.len() as u64,
            min: values.iter().cloned().fold(f64::INFINITY, f64::min),
            max: values.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        };
        let steps: Vec<f64> = steps.iter().map(|v| *v as f64).collect();
        let summaries = [
            summary("skewed", ColumnType::Float, &skewed),
            summary("steps", ColumnType::Integer, &steps),
        ];
        // A few fractions, and every percentile (hundreds of windows per
        // column in a pass, found by bisection).
        let every: Vec<f64> = (0..=100).map(|i| f64::from(i) / 100.0).collect();
        for fractions in [vec![0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0], every] {
            let results =
                distributions_with_limit(&mut store, "t", &summaries, &fractions, 10, 1000, 50)
                    .unwrap();
            for (values, result) in [&skewed, &steps].into_iter().zip(&results) {
                let mut sorted = values.clone();
                sorted.sort_by(f64::total_cmp);
                for (fraction, got) in fractions.iter().zip(&result.percentiles) {
                    assert_eq!(*got, exact(&sorted, *fraction), "fraction {fraction}");
                }
                assert_eq!(result.histogram.iter().map(|b| b.2).sum::<u64>(), 20_000);
            }
        }
    }
}
