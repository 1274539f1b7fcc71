//! `mdm dataset stats NAME --time`: the recorded time column of a table
//! seen as a series — its range, its most common step (the frequency), the
//! steps missing from it and how many rows each time holds.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::features::FeatureSet;
use crate::metadata;
use crate::model::{ColumnData, ColumnType};
use crate::time::MICROS_PER_DAY as DAY;

/// The first missing times listed.
const MISSING_SHOWN: usize = 10;

/// What `stats --time` reports.
#[derive(Clone, Debug, Serialize)]
pub struct TimeReport {
    pub dataset: String,
    pub table: String,
    pub column: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    pub rows: u64,
    /// Rows without a time.
    pub nulls: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    /// Distinct times.
    pub times: u64,
    /// The most common step between consecutive distinct times, in words
    /// (`1 day`, `1 hour`, `7 days`) and in seconds.
    pub step: Option<String>,
    pub step_seconds: Option<f64>,
    /// Steps of that size missing between the first and last time.
    pub missing_steps: u64,
    /// The first of them.
    pub first_missing: Vec<String>,
    /// Rows per distinct time: fewest, mean, most.
    pub rows_per_time: Option<RowsPerTime>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RowsPerTime {
    pub min: u64,
    pub mean: f64,
    pub max: u64,
}

/// The report of dataset `name`'s time column in `table` (the dataset's
/// read-only connection: readers are not disturbed).
pub fn time_report(settings: &Settings, name: &str, table: &str) -> Result<TimeReport> {
    let mut record = Catalog::new(settings).get(name)?;
    let mut store = super::open_store_read_only(settings, &record)?;
    let metadata = metadata::load(store.as_mut())?;
    metadata.apply_fields(&mut record);
    let Some(column) = record.annotations.time_column.clone() else {
        return Err(Error::InvalidArgument(format!(
            "--time: dataset '{name}' has no time column; set one with `mdm dataset update {name} --time-column COLUMN`"
        )));
    };
    let tables = FeatureSet::tables_of(&metadata, true)?;
    let info = tables.iter().find(|t| t.name == table).ok_or_else(|| {
        Error::InvalidArgument(format!("--table: dataset '{name}' has no table '{table}'"))
    })?;
    let def = info
        .column(&column)
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "--time: table '{table}' has no time column '{column}'"
            ))
        })?
        .def();
    // Distinct times with their row counts, as microseconds.
    let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
    let (mut rows, mut nulls) = (0u64, 0u64);
    store.scan(table, std::slice::from_ref(&def), 65_536, &mut |batch| {
        let values: Box<dyn Iterator<Item = Option<i64>>> = match &batch.columns[0] {
            ColumnData::Date(days) => Box::new(days.iter().map(|d| d.map(|d| d as i64 * DAY))),
            ColumnData::Datetime(micros) => Box::new(micros.iter().copied()),
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "--time: column '{column}' is not a date or timestamp column"
                )))
            }
        };
        for value in values {
            rows += 1;
            match value {
                Some(at) => *counts.entry(at).or_default() += 1,
                None => nulls += 1,
            }
        }
        crate::interrupt::check()
    })?;
    let render = |micros: i64| match def.column_type {
        ColumnType::Date => crate::time::format_date((micros / DAY) as i32),
        _ => crate::time::format_datetime(micros),
    };
    let times: Vec<i64> = counts.keys().copied().collect();
    let mut steps: BTreeMap<i64, u64> = BTreeMap::new();
    for pair in times.windows(2) {
        *steps.entry(pair[1] - pair[0]).or_default() += 1;
    }
    // The most common step; the smaller one on a tie.
    let step = steps
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(step, _)| *step);
    let mut missing_steps = 0u64;
    let mut first_missing = Vec::new();
    if let Some(step) = step.filter(|s| *s > 0) {
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            if gap > step && gap % step == 0 {
                let missing = (gap / step - 1) as u64;
                missing_steps += missing;
                let mut at = pair[0] + step;
                while at < pair[1] && first_missing.len() < MISSING_SHOWN {
                    first_missing.push(render(at));
                    at += step;
                }
            }
        }
    }
    let rows_per_time = (!counts.is_empty()).then(|| RowsPerTime {
        min: counts.values().copied().min().unwrap_or(0),
        mean: (rows - nulls) as f64 / counts.len() as f64,
        max: counts.values().copied().max().unwrap_or(0),
    });
    Ok(TimeReport {
        dataset: record.name,
        table: table.to_string(),
        column,
        column_type: def.column_type,
        rows,
        nulls,
        first: times.first().map(|t| render(*t)),
        last: times.last().map(|t| render(*t)),
        times: times.len() as u64,
        step: step.map(describe_step),
        step_seconds: step.map(|s| s as f64 / 1e6),
        missing_steps,
        first_missing,
        rows_per_time,
    })
}

/// A step in words: whole weeks, days, hours, minutes or seconds.
fn describe_step(micros: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    const UNITS: [(i64, &str); 5] = [
        (7 * DAY, "week"),
        (DAY, "day"),
        (3_600_000_000, "hour"),
        (60_000_000, "minute"),
        (1_000_000, "second"),
    ];
    for (size, unit) in UNITS {
        if micros >= size && micros % size == 0 {
            return plural(micros / size, unit);
        }
    }
    format!("{} seconds", micros as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_named_in_the_largest_whole_unit() {
        assert_eq!(describe_step(DAY), "1 day");
        assert_eq!(describe_step(14 * DAY), "2 weeks");
        assert_eq!(describe_step(3 * DAY), "3 days");
        assert_eq!(describe_step(3_600_000_000), "1 hour");
        assert_eq!(describe_step(90_000_000), "90 seconds");
        assert_eq!(describe_step(1_500_000), "1.5 seconds");
    }
}
