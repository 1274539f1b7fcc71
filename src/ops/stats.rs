//! `mdm dataset stats`: column statistics of one table. The statistics
//! stored at registration answer the basic question; `--refresh` recomputes
//! them with a scan and stores them again; `--extended` adds percentiles and
//! a histogram per numeric column from one sorted pass in the database.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::interrupt;
use crate::metadata::{self, ColumnKind};
use crate::profile::{ColumnProfiler, ColumnStatistics};
use crate::store::{self, ColumnType, Store, Value};

/// Percentiles reported by `--extended`.
pub const PERCENTILES: [(&str, f64); 5] = [
    ("p5", 0.05),
    ("p25", 0.25),
    ("p50", 0.5),
    ("p75", 0.75),
    ("p95", 0.95),
];
/// Bins of the `--extended` histograms.
pub const HISTOGRAM_BINS: usize = 10;

/// What to compute.
#[derive(Clone, Debug, Default)]
pub struct StatsOptions {
    pub table: String,
    pub columns: Vec<String>,
    pub extended: bool,
    pub refresh: bool,
}

/// One histogram bin, `[low, high)` (the last bin includes `high`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bin {
    pub low: f64,
    pub high: f64,
    pub count: u64,
}

/// The statistics of one column.
#[derive(Clone, Debug, Serialize)]
pub struct ColumnReport {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    pub kind: ColumnKind,
    #[serde(flatten)]
    pub statistics: ColumnStatistics,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentiles: Option<BTreeMap<String, f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Vec<Bin>>,
}

/// The statistics of a table.
#[derive(Clone, Debug, Serialize)]
pub struct StatsReport {
    pub dataset: String,
    pub table: String,
    pub rows: u64,
    /// Whether the statistics were recomputed by this call.
    pub refreshed: bool,
    pub columns: Vec<ColumnReport>,
}

/// Statistics of one table of dataset `name`.
pub fn stats(settings: &Settings, name: &str, options: &StatsOptions) -> Result<StatsReport> {
    let record = Catalog::new(settings).get(name)?;
    let mut store = super::open_store(settings, &record)?;
    let mut metadata = metadata::load(store.as_mut())?;
    let table = metadata.table(&options.table).cloned().ok_or_else(|| {
        Error::InvalidArgument(format!(
            "--table: dataset '{name}' has no table '{}' (tables: {})",
            options.table,
            metadata
                .tables
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    for column in &options.columns {
        if table.column(column).is_none() {
            return Err(Error::InvalidArgument(format!(
                "--columns: table '{}' has no column '{column}'",
                table.name
            )));
        }
    }

    let stored = metadata.statistics.get(&table.name);
    let complete = stored.is_some_and(|s| table.columns.iter().all(|c| s.contains_key(&c.name)));
    let refreshed = options.refresh || !complete;
    if refreshed {
        let cap = settings.config.validation.max_categorical_cardinality as usize;
        let fresh = profile_table(
            store.as_mut(),
            &table.name,
            &table.defs(),
            settings.config.performance.batch_size,
            cap,
        )?;
        metadata.statistics.insert(table.name.clone(), fresh);
        let text = serde_json::to_string(&metadata.statistics).expect("statistics serialize");
        store::write_metadata(store.as_mut(), &[("statistics", text)])?;
    }
    let statistics = &metadata.statistics[&table.name];

    let mut columns = Vec::new();
    for column in &table.columns {
        if !options.columns.is_empty() && !options.columns.contains(&column.name) {
            continue;
        }
        let stats = statistics.get(&column.name).cloned().unwrap_or_default();
        let (percentiles, histogram) =
            if options.extended && column.column_type.is_numeric() && stats.count > 0 {
                let (p, h) = distribution(store.as_mut(), &table.name, &column.name, &stats)?;
                (Some(p), Some(h))
            } else {
                (None, None)
            };
        columns.push(ColumnReport {
            name: column.name.clone(),
            column_type: column.column_type,
            kind: column.kind,
            statistics: stats,
            percentiles,
            histogram,
        });
    }
    Ok(StatsReport {
        dataset: record.name,
        table: table.name,
        rows: table.rows,
        refreshed,
        columns,
    })
}

/// Profiles every column of a table with one scan.
pub fn profile_table(
    store: &mut dyn Store,
    table: &str,
    columns: &[crate::store::ColumnDef],
    batch_size: usize,
    cap: usize,
) -> Result<BTreeMap<String, ColumnStatistics>> {
    let mut profilers: Vec<ColumnProfiler> = columns
        .iter()
        .map(|c| ColumnProfiler::new(c.column_type, cap))
        .collect();
    store.scan(table, columns, batch_size, &mut |batch| {
        for (profiler, data) in profilers.iter_mut().zip(&batch.columns) {
            profiler.update(data);
        }
        interrupt::check()
    })?;
    Ok(columns
        .iter()
        .zip(&profilers)
        .map(|(c, p)| (c.name.clone(), p.finish()))
        .collect())
}

/// Percentiles (linear interpolation between closest ranks, as numpy's
/// default) and an equal-width histogram over `[min, max]`, from one pass
/// over the sorted non-null values.
fn distribution(
    store: &mut dyn Store,
    table: &str,
    column: &str,
    stats: &ColumnStatistics,
) -> Result<(BTreeMap<String, f64>, Vec<Bin>)> {
    let count = stats.count;
    let min = stats.min.as_ref().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let max = stats.max.as_ref().and_then(|v| v.as_f64()).unwrap_or(min);
    let width = (max - min) / HISTOGRAM_BINS as f64;
    let mut bins: Vec<Bin> = (0..HISTOGRAM_BINS)
        .map(|i| Bin {
            low: min + width * i as f64,
            high: if i + 1 == HISTOGRAM_BINS {
                max
            } else {
                min + width * (i + 1) as f64
            },
            count: 0,
        })
        .collect();
    // For each percentile: the rank below, the fraction towards the next,
    // and the two values once seen.
    let ranks: Vec<(u64, f64)> = PERCENTILES
        .iter()
        .map(|(_, p)| {
            let position = p * (count - 1) as f64;
            (position.floor() as u64, position - position.floor())
        })
        .collect();
    let mut below = vec![f64::NAN; ranks.len()];
    let mut above = vec![f64::NAN; ranks.len()];
    let mut index = 0u64;
    let sql = store.dialect().select_sorted(table, column);
    store.query(&sql, &[], &mut |row| {
        let value = match row.first() {
            Some(Value::Integer(v)) => *v as f64,
            Some(Value::Float(v)) => *v,
            Some(Value::Text(t)) => t.parse().unwrap_or(f64::NAN),
            _ => return Ok(()),
        };
        for (slot, (rank, _)) in ranks.iter().enumerate() {
            if index == *rank {
                below[slot] = value;
            }
            if index == rank + 1 {
                above[slot] = value;
            }
        }
        let bin = if width > 0.0 {
            (((value - min) / width) as usize).min(HISTOGRAM_BINS - 1)
        } else {
            0
        };
        bins[bin].count += 1;
        index += 1;
        if index.is_multiple_of(65_536) {
            interrupt::check()?;
        }
        Ok(())
    })?;
    if width == 0.0 {
        bins.truncate(1);
    }
    let percentiles = PERCENTILES
        .iter()
        .zip(ranks.iter().zip(below.iter().zip(&above)))
        .map(|((name, _), ((_, fraction), (low, high)))| {
            let value = if *fraction == 0.0 || high.is_nan() {
                *low
            } else {
                low + fraction * (high - low)
            };
            (name.to_string(), value)
        })
        .collect();
    Ok((percentiles, bins))
}
