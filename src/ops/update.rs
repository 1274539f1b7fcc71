//! `mdm dataset update`: changes a dataset's descriptive fields (target,
//! ID columns, problem type, tags, description) in both its discovery file
//! and its `_metadata`, restoring the metadata if the discovery file cannot
//! be written. `--refresh` runs the recorded queries of a dataset read
//! from an ODBC source again and replaces its tables like
//! `register --force`.

use crate::backend::record::{DatasetRecord, ProblemType};
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::metadata::{self, ColumnKind, DatasetMetadata};
use crate::model::ColumnType;

/// The changes asked for; `None`/empty leaves a field alone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateOptions {
    pub description: Option<String>,
    pub target: Option<String>,
    pub problem_type: Option<ProblemType>,
    pub tags: Option<Vec<String>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub id_columns: Option<Vec<String>>,
    /// The time column (a date or timestamp column; empty clears it).
    pub time_column: Option<String>,
    /// The group column (empty clears it).
    pub group_column: Option<String>,
    /// The stratify column (empty clears it).
    pub stratify_column: Option<String>,
    /// The data-source label (empty clears it).
    pub data_source: Option<String>,
}

impl UpdateOptions {
    fn is_empty(&self) -> bool {
        self.description.is_none()
            && self.target.is_none()
            && self.problem_type.is_none()
            && self.tags.is_none()
            && self.add_tags.is_empty()
            && self.remove_tags.is_empty()
            && self.id_columns.is_none()
            && self.time_column.is_none()
            && self.group_column.is_none()
            && self.stratify_column.is_none()
            && self.data_source.is_none()
    }
}

/// Applies the changes and returns the updated record.
pub fn update(settings: &Settings, name: &str, options: &UpdateOptions) -> Result<DatasetRecord> {
    if options.is_empty() {
        return Err(Error::InvalidArgument(
            "nothing to update: give --description, --target, --problem-type, --tags, --add-tags, --remove-tags, --id-columns, --time-column, --group-column, --stratify-column or --source".into(),
        ));
    }
    let catalog = Catalog::new(settings);
    let mut old_record = catalog.get(name)?;
    let backend = crate::backend::for_settings(settings)?;
    backend.check_writer(&old_record, crate::backend::WriteScope::Rows)?;
    let mut store = backend.open(&old_record)?;
    let old_metadata = metadata::load(store.as_mut())?;
    old_metadata.apply_fields(&mut old_record);
    let train = old_metadata
        .table("train")
        .or(old_metadata.tables.first())
        .ok_or_else(|| Error::Backend(format!("dataset '{name}' has no tables in its metadata")))?
        .clone();
    let check = |flag: &str, column: &str| -> Result<()> {
        if train.column(column).is_some() {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "{flag}: column '{column}' not found in table {} (columns: {})",
                train.name,
                train.column_list()
            )))
        }
    };

    let mut record = old_record.clone();
    if let Some(description) = &options.description {
        record.annotations.description = Some(description.clone()).filter(|d| !d.is_empty());
    }
    if let Some(target) = &options.target {
        check("--target", target)?;
        record.annotations.target = Some(target.clone());
        if options.problem_type.is_none() && record.annotations.problem_type.is_none() {
            let column = train.column(target).expect("checked");
            let stats = old_metadata
                .statistics
                .get(&train.name)
                .and_then(|s| s.get(target))
                .cloned()
                .unwrap_or_default();
            record.annotations.problem_type =
                Some(metadata::infer_problem_type(column.column_type, &stats));
        }
    }
    if let Some(problem_type) = options.problem_type {
        let target_stats = record.annotations.target.as_ref().and_then(|target| {
            old_metadata
                .statistics
                .get(&train.name)
                .and_then(|s| s.get(target))
        });
        record.annotations.problem_type = Some(match target_stats {
            Some(stats) => metadata::resolve_problem_type(problem_type, stats),
            None => problem_type,
        });
    }
    if let Some(ids) = &options.id_columns {
        for id in ids {
            check("--id-columns", id)?;
        }
        record.annotations.id_columns = ids.clone();
    }
    let ignored = |flag: &str, column: &str| -> Result<()> {
        if record
            .annotations
            .ignore_columns
            .iter()
            .any(|c| c == column)
        {
            return Err(Error::InvalidArgument(format!(
                "{flag}: column '{column}' is ignored (--ignore-columns at registration); an ignored column has no role"
            )));
        }
        Ok(())
    };
    if let Some(target) = &options.target {
        ignored("--target", target)?;
    }
    for id in options.id_columns.iter().flatten() {
        ignored("--id-columns", id)?;
    }
    for (flag, given, slot) in [
        (
            "--time-column",
            &options.time_column,
            &mut record.annotations.time_column,
        ),
        (
            "--group-column",
            &options.group_column,
            &mut record.annotations.group_column,
        ),
        (
            "--stratify-column",
            &options.stratify_column,
            &mut record.annotations.stratify_column,
        ),
    ] {
        match given.as_deref() {
            None => {}
            Some("") => *slot = None,
            Some(column) => {
                check(flag, column)?;
                ignored(flag, column)?;
                let column_type = train.column(column).expect("checked").column_type;
                if flag == "--time-column"
                    && !matches!(column_type, ColumnType::Date | ColumnType::Datetime)
                {
                    return Err(Error::InvalidArgument(format!(
                        "--time-column: column '{column}' holds {} values; a time column holds dates or timestamps (register again with --time-column to store text as timestamps)",
                        column_type.as_str()
                    )));
                }
                *slot = Some(column.to_string());
            }
        }
    }
    if let Some(source) = &options.data_source {
        record.annotations.data_source = Some(source.clone()).filter(|s| !s.is_empty());
    }
    if let Some(tags) = &options.tags {
        record.annotations.tags = Vec::new();
        add_tags(&mut record.annotations.tags, tags);
    }
    add_tags(&mut record.annotations.tags, &options.add_tags);
    record
        .annotations
        .tags
        .retain(|t| !options.remove_tags.contains(t));
    record.updated_at = crate::time::now_rfc3339();

    let max_cardinality = settings.config.validation.max_categorical_cardinality;
    let mut new_metadata = old_metadata.clone();
    for table in &mut new_metadata.tables {
        let statistics = old_metadata.statistics.get(&table.name);
        for column in &mut table.columns {
            column.kind = if record.annotations.target.as_deref() == Some(column.name.as_str()) {
                ColumnKind::Target
            } else if record.annotations.id_columns.contains(&column.name) {
                ColumnKind::Id
            } else if matches!(column.kind, ColumnKind::Target | ColumnKind::Id) {
                let stats = statistics
                    .and_then(|s| s.get(&column.name))
                    .cloned()
                    .unwrap_or_default();
                metadata::natural_kind(column.column_type, &stats, max_cardinality)
            } else {
                column.kind
            };
        }
    }
    new_metadata.set_fields(&record);
    metadata::save(store.as_mut(), &new_metadata)?;
    if let Err(err) = catalog.write(&record) {
        restore(store.as_mut(), old_metadata, &old_record);
        return Err(err);
    }
    // A server lists its datasets from their description, which only the
    // owner may rewrite; a writer's change shows in `info` (read from the
    // dataset's own metadata) and in listings once the owner next writes.
    match backend.describe(&record) {
        Err(crate::Error::PermissionDenied(_)) => {
            log::info!(
                "the listing of '{name}' keeps its old description until its owner updates it"
            )
        }
        other => other?,
    }
    Ok(record)
}

fn restore(store: &mut dyn crate::store::Store, mut old: DatasetMetadata, record: &DatasetRecord) {
    old.set_fields(record);
    if let Err(err) = metadata::save(store, &old) {
        log::error!("could not restore the metadata of '{}': {err}", record.name);
    }
}

fn add_tags(tags: &mut Vec<String>, new: &[String]) {
    for tag in new {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
}

/// Runs the recorded ODBC queries again and replaces the dataset's tables
/// (staged, then published by rename, as `register --force`); the
/// annotations are kept. A password taken out of the recorded connection
/// comes from `MDM_SOURCE_PASSWORD` or, on a terminal, a prompt.
pub fn refresh(settings: &Settings, name: &str, ui: &crate::ui::Ui) -> Result<DatasetRecord> {
    use crate::ingest::query;
    let catalog = Catalog::new(settings);
    let mut record = catalog.get(name)?;
    let backend = crate::backend::for_settings(settings)?;
    backend.check_writer(&record, crate::backend::WriteScope::Tables)?;
    {
        // The latest annotations live in `_metadata`; the connection is
        // closed before the tables are replaced.
        let mut store = backend.open(&record)?;
        metadata::load(store.as_mut())?.apply_fields(&mut record);
    }
    let Some(source) = record.query_source.clone() else {
        return Err(Error::InvalidArgument(format!(
            "--refresh: dataset '{name}' was not read from an ODBC source (register --odbc); register its files again with --force"
        )));
    };
    let connection = if query::needs_password(&source.connection) {
        query::with_password(&source.connection, &source_password(&source.connection)?)
    } else {
        source.connection.clone()
    };
    let options = crate::ops::register::RegisterOptions {
        name: record.name.clone(),
        target: record.annotations.target.clone(),
        id_columns: record.annotations.id_columns.clone(),
        problem_type: record.annotations.problem_type,
        tags: record.annotations.tags.clone(),
        description: record.annotations.description.clone(),
        force: true,
        odbc: Some(query::OdbcSource {
            connection,
            queries: source
                .queries
                .iter()
                .map(|q| (q.table.clone(), q.query.clone()))
                .collect(),
            split: source.split_by.clone().map(|column| query::Split {
                column,
                parallel: source.parallel.unwrap_or_else(query::default_parallel),
            }),
        }),
        ..Default::default()
    };
    crate::ops::register::register(settings, &options, ui)
}

/// The source's password: `MDM_SOURCE_PASSWORD`, else asked for on a
/// terminal (without echo).
fn source_password(connection: &str) -> Result<String> {
    use std::io::IsTerminal;
    if let Ok(password) = std::env::var(crate::ingest::query::PASSWORD_VARIABLE) {
        if !password.is_empty() {
            return Ok(password);
        }
    }
    let missing = || {
        Error::InvalidArgument(format!(
            "--refresh: the source connection {connection} needs its password; set {} (it is never stored)",
            crate::ingest::query::PASSWORD_VARIABLE
        ))
    };
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(missing());
    }
    eprint!("password for {connection}: ");
    let stty = |arg: &str| {
        let _ = std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status();
    };
    stty("-echo");
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    stty("echo");
    eprintln!();
    read.map_err(|_| missing())?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(missing());
    }
    Ok(password)
}
