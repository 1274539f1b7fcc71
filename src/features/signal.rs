//! The signal filter: candidates constant or all null over train are
//! dropped before any feature table is written.

use std::collections::{BTreeMap, HashSet};

use super::builder::Candidate;
use super::Transformer;
use crate::error::Result;
use crate::store::Store;

/// Features evaluated per signal-filter query.
const SIGNAL_CHUNK: usize = 200;

/// Drops candidates that are constant or all null over train (fewer than
/// two distinct non-null values): known from the fitted statistics for
/// most, found with aggregate scans of train for the others.
pub(super) fn signal_filter(
    store: &mut dyn Store,
    candidates: &mut Vec<Candidate>,
) -> Result<Vec<String>> {
    let mut constant: HashSet<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].varies == Some(false))
        .collect();
    // A feature of one column is a function of its value: evaluate it over
    // the column's distinct values only (dates have few). Others need
    // every row.
    let mut groups: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    for (i, candidate) in candidates.iter().enumerate() {
        if candidate.varies.is_some() {
            continue;
        }
        let key = match candidate.reads.as_slice() {
            [only] if candidate.column.transformer != Transformer::Custom => Some(only.clone()),
            _ => None,
        };
        groups.entry(key).or_default().push(i);
    }
    // One statement per chunk of features, run as many at once as the
    // database takes. The features over all of train are spread over that
    // many statements; a column's features stay together (reading its
    // distinct values twice costs more than evaluating them).
    let at_once = store.concurrent_statements().max(1);
    let mut statements = Vec::new();
    let mut chunks: Vec<&[usize]> = Vec::new();
    for (column, members) in &groups {
        let size = match column {
            Some(_) => SIGNAL_CHUNK,
            None => members.len().div_ceil(at_once).clamp(1, SIGNAL_CHUNK),
        };
        for chunk in members.chunks(size) {
            let dialect = store.dialect();
            let train = dialect.quote_identifier("train");
            let source = match column {
                Some(column) => format!(
                    "(SELECT DISTINCT {} FROM {train}) {train}",
                    dialect.quote_identifier(column)
                ),
                None => train,
            };
            let inner: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(k, &i)| format!("{} AS f{k}", candidates[i].expression))
                .collect();
            let outer: Vec<String> = (0..chunk.len())
                .map(|k| {
                    format!(
                        "CASE WHEN MIN(f{k}) IS NULL OR MIN(f{k}) = MAX(f{k}) THEN 1 ELSE 0 END"
                    )
                })
                .collect();
            statements.push(format!(
                "SELECT {} FROM (SELECT {} FROM {source}{}) features",
                outer.join(", "),
                inner.join(", "),
                dialect.subquery_fence()
            ));
            chunks.push(chunk);
        }
    }
    let results = store.query_each(&statements)?;
    for (rows, chunk) in results.iter().zip(&chunks) {
        for row in rows {
            for (k, &i) in chunk.iter().enumerate() {
                if row[k].as_i64() == Some(1) {
                    constant.insert(i);
                }
            }
        }
    }
    let mut dropped = Vec::new();
    let mut index = 0;
    candidates.retain(|c| {
        let keep = !constant.contains(&index);
        index += 1;
        if !keep {
            dropped.push(c.column.name.clone());
        }
        keep
    });
    Ok(dropped)
}
