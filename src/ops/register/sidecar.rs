//! An export's metadata sidecar applied to a registration: what the command
//! line left open (target, ID columns, descriptive fields, column types and
//! kinds) and how its delimited files are read.

use std::path::Path;

use super::RegisterOptions;
use crate::error::{Error, Result};
use crate::ingest::dialect::ReadOptions;
use crate::metadata::{ColumnKind, Sidecar};

/// The sidecar's `read:` keys, where no flag forced the same thing; a value
/// the flag would refuse is exit 2 naming the file and key.
pub(super) fn apply_sidecar_read(
    read: &mut ReadOptions,
    keys: &crate::metadata::SidecarRead,
    path: &Path,
) -> Result<()> {
    use crate::ingest::dialect as d;
    fn parse<T>(path: &Path, key: &str, value: std::result::Result<T, String>) -> Result<T> {
        value
            .map_err(|why| Error::InvalidArgument(format!("{}: read.{key}: {why}", path.display())))
    }
    if let (None, Some(text)) = (read.delimiter, &keys.delimiter) {
        read.delimiter = Some(parse(path, "delimiter", d::parse_delimiter(text))?);
    }
    if let (None, Some(text)) = (read.quote, &keys.quote) {
        read.quote = Some(parse(path, "quote", d::parse_quote(text))?);
    }
    if let (None, Some(text)) = (read.escape, &keys.escape) {
        read.escape = Some(parse(path, "escape", text.parse())?);
    }
    read.header_rows = read.header_rows.or(keys.header_rows);
    read.skip_rows = read.skip_rows.or(keys.skip_rows);
    if let (None, Some(text)) = (read.comment, &keys.comment) {
        read.comment = Some(parse(path, "comment", d::parse_comment(text))?);
    }
    if let (None, Some(text)) = (read.encoding, &keys.encoding) {
        read.encoding = Some(parse(path, "encoding", d::parse_encoding(text))?);
    }
    if let (None, Some(text)) = (read.bad_rows, &keys.bad_rows) {
        read.bad_rows = Some(parse(path, "bad_rows", text.parse())?);
    }
    if let (None, Some(text)) = (read.decimal, &keys.decimal) {
        read.decimal = Some(parse(path, "decimal", d::parse_decimal(text))?);
    }
    for (column, text) in &keys.formats {
        if read.formats.iter().any(|(given, _)| given == column) {
            continue;
        }
        let key = format!("formats.{column}");
        let spelling = parse(
            path,
            &key,
            crate::model::spelling::Spelling::from_text(text),
        )?;
        read.formats.push((column.clone(), spelling));
    }
    Ok(())
}

/// Fills what the command line left open from an export's sidecar.
pub(super) fn apply_sidecar(options: &mut RegisterOptions, sidecar: &Sidecar) {
    if options.target.is_none() {
        options.target = sidecar.annotations.target.clone();
        options.extra_targets = sidecar
            .annotations
            .target_columns
            .iter()
            .skip(1)
            .cloned()
            .collect();
    }
    if options.split.is_none() {
        options.split = sidecar.folds.clone();
    }
    if options.id_columns.is_empty() {
        options.id_columns = sidecar.annotations.id_columns.clone();
    }
    if options.problem_type.is_none() {
        options.problem_type = sidecar.annotations.problem_type;
    }
    if options.tags.is_empty() {
        options.tags = sidecar.annotations.tags.clone();
    }
    if options.description.is_none() {
        options.description = sidecar.annotations.description.clone();
    }
    if options.ignore_columns.is_empty() {
        options.ignore_columns = sidecar.annotations.ignore_columns.clone();
    }
    for (given, exported) in [
        (&mut options.time_column, &sidecar.annotations.time_column),
        (&mut options.group_column, &sidecar.annotations.group_column),
        (
            &mut options.stratify_column,
            &sidecar.annotations.stratify_column,
        ),
        (&mut options.data_source, &sidecar.annotations.data_source),
    ] {
        if given.is_none() {
            *given = exported.clone();
        }
    }
    for column in sidecar.tables.iter().flat_map(|t| &t.columns) {
        options
            .column_types
            .entry(column.name.clone())
            .or_insert(column.column_type);
        let list = match column.kind {
            ColumnKind::Categorical => &mut options.categorical_columns,
            ColumnKind::Text => &mut options.text_columns,
            _ => continue,
        };
        if !list.contains(&column.name) {
            list.push(column.name.clone());
        }
    }
}
