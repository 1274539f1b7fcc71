//! `mdm dataset stats`: column statistics of one table. The statistics
//! stored at registration answer the basic question; `--refresh` recomputes
//! them with a scan and stores them again; `--extended` adds exact
//! percentiles and a histogram per numeric column (see `quantile`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::features::FeatureSet;
use crate::interrupt;
use crate::metadata::{self, ColumnKind};
use crate::model::{ColumnDef, ColumnType};
use crate::profile::{ColumnProfiler, ColumnStatistics};
use crate::quantile::{self, ColumnSummary};
use crate::store::{self, Store};

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
    // Read-only unless statistics must be stored: a reader (a BI tool)
    // holding a DuckDB dataset open must not stop `stats`.
    let mut store = super::open_store_read_only(settings, &record)?;
    let mut metadata = metadata::load(store.as_mut())?;
    // Feature tables are profiled on demand; their statistics are not kept
    // (a regeneration would make them stale).
    let mut tables = FeatureSet::tables_of(&metadata, true)?;
    // The dataset's own tables first.
    tables.sort_by_key(|t| metadata.table(&t.name).is_none());
    let is_feature_table = metadata.table(&options.table).is_none();
    let table = tables
        .iter()
        .find(|t| t.name == options.table)
        .cloned()
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "--table: dataset '{name}' has no table '{}' (tables: {})",
                options.table,
                tables
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
            &table,
            &table.defs(),
            settings.config.performance.batch_size,
            cap,
        )?;
        metadata.statistics.insert(table.name.clone(), fresh);
        if !is_feature_table {
            let text = serde_json::to_string(&metadata.statistics).expect("statistics serialize");
            drop(store);
            // Stored when the database can be written now; computed and
            // shown anyway when another process holds it open.
            match super::open_store(settings, &record) {
                Ok(mut writer) => store::write_metadata(writer.as_mut(), &[("statistics", text)])?,
                Err(err) => log::warn!(
                    "statistics of {name}.{} computed but not stored: {err}",
                    table.name
                ),
            }
            store = super::open_store_read_only(settings, &record)?;
        }
    }
    let statistics = &metadata.statistics[&table.name];

    let mut columns: Vec<ColumnReport> = table
        .columns
        .iter()
        .filter(|c| options.columns.is_empty() || options.columns.contains(&c.name))
        .map(|column| ColumnReport {
            name: column.name.clone(),
            column_type: column.column_type,
            kind: column.kind,
            statistics: statistics.get(&column.name).cloned().unwrap_or_default(),
            percentiles: None,
            histogram: None,
        })
        .collect();
    if options.extended {
        let batch_size = settings.config.performance.batch_size;
        add_distributions(store.as_mut(), &table.name, &mut columns, batch_size)?;
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
    table: &crate::metadata::TableInfo,
    columns: &[crate::model::ColumnDef],
    batch_size: usize,
    cap: usize,
) -> Result<BTreeMap<String, ColumnStatistics>> {
    let mut profilers: Vec<ColumnProfiler> = columns
        .iter()
        .map(|c| ColumnProfiler::new(c.column_type, cap))
        .collect();
    let all = crate::store::RowFilter::default();
    table.scan(store, columns, &all, batch_size, &mut |batch| {
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

/// Adds percentiles and histograms to the numeric columns.
fn add_distributions(
    store: &mut dyn Store,
    table: &str,
    columns: &mut [ColumnReport],
    batch_size: usize,
) -> Result<()> {
    let numeric: Vec<usize> = (0..columns.len())
        .filter(|&i| columns[i].column_type.is_numeric() && columns[i].statistics.count > 0)
        .collect();
    if numeric.is_empty() {
        return Ok(());
    }
    let bound = |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| v.as_f64());
    let summaries: Vec<ColumnSummary> = numeric
        .iter()
        .map(|&i| {
            let c = &columns[i];
            ColumnSummary {
                column: ColumnDef {
                    name: c.name.clone(),
                    column_type: c.column_type,
                },
                count: c.statistics.count,
                min: bound(&c.statistics.min).unwrap_or(0.0),
                max: bound(&c.statistics.max).unwrap_or(0.0),
            }
        })
        .collect();
    let fractions: Vec<f64> = PERCENTILES.iter().map(|(_, p)| *p).collect();
    let results = quantile::distributions(
        store,
        table,
        &summaries,
        &fractions,
        HISTOGRAM_BINS,
        batch_size,
    )?;
    for (&i, result) in numeric.iter().zip(results) {
        columns[i].percentiles = Some(
            PERCENTILES
                .iter()
                .zip(&result.percentiles)
                .map(|((name, _), value)| (name.to_string(), *value))
                .collect(),
        );
        columns[i].histogram = Some(
            result
                .histogram
                .into_iter()
                .map(|(low, high, count)| Bin { low, high, count })
                .collect(),
        );
    }
    Ok(())
}
