//! Passes 1 and 2 of a typed source through the reader its
//! [`ReaderKind`] names: Parquet, JSON, Excel, or a query on an ODBC source
//! (the `odbc` feature's reader, or a clear refusal without it). The
//! readers share [`typed`]'s batches and cells and know nothing of each
//! other.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::query::QuerySource;
use super::typed::{Output, Scan};
use super::{excel, json, parquet, ReaderKind, SourceFile};
#[cfg(not(feature = "odbc"))]
use crate::error::Error;
use crate::error::Result;
use crate::model::ColumnDef;

/// Pass 1 over a typed source.
pub fn scan(source: &SourceFile, counter: Arc<AtomicU64>) -> Result<Scan> {
    match &source.reader {
        ReaderKind::Parquet => parquet::scan(&source.path),
        ReaderKind::Json(compression) => json::scan(&source.path, *compression, counter),
        ReaderKind::Excel(sheet) => excel::scan(&source.path, sheet.as_deref()),
        ReaderKind::Query(query) => scan_query(query, &source.table),
        ReaderKind::Delimited => unreachable!("delimited text has its own path"),
    }
}

/// Pass 2: reads the source into batches of `columns` (positionally: the
/// n-th column of the file fills the n-th column), handing each full batch
/// to `output`. Returns the rows read.
pub fn read(
    source: &SourceFile,
    columns: &[ColumnDef],
    counter: Arc<AtomicU64>,
    output: &mut Output,
) -> Result<u64> {
    match &source.reader {
        ReaderKind::Parquet => parquet::read(&source.path, columns, counter, output)?,
        ReaderKind::Json(compression) => {
            json::read(&source.path, *compression, columns, counter, output)?
        }
        ReaderKind::Excel(sheet) => excel::read(&source.path, sheet.as_deref(), columns, output)?,
        ReaderKind::Query(query) => read_query(query, &source.table, columns, counter, output)?,
        ReaderKind::Delimited => unreachable!("delimited text has its own path"),
    }
    output.finish()
}

/// Describes the query's result columns (pass 1: nothing is fetched).
fn scan_query(source: &QuerySource, table: &str) -> Result<Scan> {
    imp::scan(source, table)
}

/// Runs the query and streams its rows into batches of `columns`.
fn read_query(
    source: &QuerySource,
    table: &str,
    columns: &[ColumnDef],
    counter: Arc<AtomicU64>,
    output: &mut Output,
) -> Result<()> {
    imp::read(source, table, columns, counter, output)
}

#[cfg(feature = "odbc")]
use super::query_odbc as imp;

#[cfg(not(feature = "odbc"))]
mod imp {
    use super::*;

    fn disabled() -> Error {
        Error::Config(
            "--odbc: this mdm was built without ODBC; rebuild with --features odbc (see drivers/README.md)"
                .into(),
        )
    }

    pub fn scan(_source: &QuerySource, _table: &str) -> Result<Scan> {
        Err(disabled())
    }

    pub fn read(
        _source: &QuerySource,
        _table: &str,
        _columns: &[ColumnDef],
        _counter: Arc<AtomicU64>,
        _output: &mut Output,
    ) -> Result<()> {
        Err(disabled())
    }
}
