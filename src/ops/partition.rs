//! `register --partition-by COLUMN`: the train table as a range-partitioned
//! table on a date, timestamp or numeric column — by month (by year when
//! that would make more than 240 partitions) or in equal numeric ranges —
//! where the backend's dialect supports it (PostgreSQL). The table keeps
//! its name and columns, so every command reads it as before.

use crate::error::{Error, Result};
use crate::model::{ColumnDef, ColumnType, Value};
use crate::store::Store;

/// Equal ranges a numeric column is cut into.
const NUMERIC_PARTITIONS: usize = 8;
/// More monthly partitions than this become yearly ones.
const MAX_MONTHS: i64 = 240;

/// How a table was partitioned, as recorded in `_metadata`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Partitioning {
    pub column: String,
    /// `month`, `year` or `range`.
    pub by: &'static str,
    /// Partitions with bounds (a default partition holds NULLs besides).
    pub partitions: usize,
}

/// Refuses, before anything is loaded, a partitioning the backend or the
/// column cannot have.
pub fn check(
    dialect: &dyn crate::dialect::Dialect,
    backend: impl std::fmt::Display,
    columns: &[ColumnDef],
    column: &str,
) -> Result<()> {
    if !dialect.supports_range_partitions() {
        return Err(Error::InvalidArgument(format!(
            "--partition-by: range-partitioned tables are PostgreSQL's; the {backend} backend stores a table whole"
        )));
    }
    match columns.iter().find(|c| c.name == column) {
        None => Err(Error::InvalidArgument(format!(
            "--partition-by: column '{column}' is not in the train table"
        ))),
        Some(c) if matches!(c.column_type, ColumnType::Boolean | ColumnType::Text) => {
            Err(Error::InvalidArgument(format!(
                "--partition-by: column '{column}' is {}; give a date, timestamp or numeric column",
                c.column_type.as_str()
            )))
        }
        Some(_) => Ok(()),
    }
}

/// Rebuilds the loaded `table` as a partitioned table of the same name.
pub fn partition(
    store: &mut dyn Store,
    table: &str,
    columns: &[ColumnDef],
    column: &str,
) -> Result<Partitioning> {
    let column_type = columns
        .iter()
        .find(|c| c.name == column)
        .map(|c| c.column_type)
        .ok_or_else(|| Error::InvalidArgument(format!("--partition-by: no column '{column}'")))?;
    let (by, bounds) = match column_type {
        ColumnType::Date | ColumnType::Datetime => month_bounds(store, table, column)?,
        _ => ("range", numeric_bounds(store, table, column, column_type)?),
    };
    let dialect = store.dialect().boxed();
    for statement in dialect.partition_statements(table, column, &bounds) {
        store.execute(&statement, &[])?;
    }
    Ok(Partitioning {
        column: column.to_string(),
        by,
        partitions: bounds.len().saturating_sub(1),
    })
}

/// First days of the months (or years) spanning the column's values, as
/// SQL literals: the partition bounds.
fn month_bounds(
    store: &mut dyn Store,
    table: &str,
    column: &str,
) -> Result<(&'static str, Vec<String>)> {
    let dialect = store.dialect().boxed();
    let sql = dialect.month_span(table, column);
    let mut span = None;
    store.query(&sql, &[], &mut |row| {
        let values: Vec<Option<i64>> = row.iter().map(Value::as_i64).collect();
        if let [Some(y0), Some(m0), Some(y1), Some(m1)] = values[..] {
            span = Some((y0, m0, y1, m1));
        }
        Ok(())
    })?;
    let Some((y0, m0, y1, m1)) = span else {
        // No values: one default partition.
        return Ok(("month", Vec::new()));
    };
    let first = y0 * 12 + (m0 - 1);
    let last = y1 * 12 + (m1 - 1) + 1;
    let (by, step) = if last - first > MAX_MONTHS {
        ("year", 12)
    } else {
        ("month", 1)
    };
    let start = if step == 12 { y0 * 12 } else { first };
    let mut bounds = Vec::new();
    let mut month = start;
    loop {
        bounds.push(format!("'{:04}-{:02}-01'", month / 12, month % 12 + 1));
        if month >= last {
            break;
        }
        month += step;
    }
    Ok((by, bounds))
}

/// Equal ranges between the column's minimum and maximum.
fn numeric_bounds(
    store: &mut dyn Store,
    table: &str,
    column: &str,
    column_type: ColumnType,
) -> Result<Vec<String>> {
    let dialect = store.dialect().boxed();
    let sql = format!(
        "SELECT MIN({c}), MAX({c}) FROM {t}",
        c = dialect.quote_identifier(column),
        t = dialect.quote_identifier(table)
    );
    let mut span = None;
    store.query(&sql, &[], &mut |row| {
        let values: Vec<Option<f64>> = row.iter().map(Value::as_f64).collect();
        if let [Some(low), Some(high)] = values[..] {
            span = Some((low, high));
        }
        Ok(())
    })?;
    let Some((low, high)) = span else {
        return Ok(Vec::new());
    };
    let mut bounds: Vec<String> = (0..=NUMERIC_PARTITIONS)
        .map(|i| low + (high - low) * i as f64 / NUMERIC_PARTITIONS as f64)
        .map(|v| match column_type {
            ColumnType::Integer => format!("{}", v.ceil() as i64),
            _ => dialect.float_literal(v),
        })
        .collect();
    bounds.dedup();
    Ok(bounds)
}
