//! `mdm dataset update`: changes a dataset's descriptive fields (target,
//! ID columns, problem type, tags, description) in both its discovery file
//! and its `_metadata`, restoring the metadata if the discovery file cannot
//! be written.

use crate::catalog::{Catalog, DatasetRecord, ProblemType};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::metadata::{self, ColumnKind, DatasetMetadata};

/// The changes asked for; `None`/empty leaves a field alone.
#[derive(Clone, Debug, Default)]
pub struct UpdateOptions {
    pub description: Option<String>,
    pub target: Option<String>,
    pub problem_type: Option<ProblemType>,
    pub tags: Option<Vec<String>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub id_columns: Option<Vec<String>>,
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
    }
}

/// Applies the changes and returns the updated record.
pub fn update(settings: &Settings, name: &str, options: &UpdateOptions) -> Result<DatasetRecord> {
    if options.is_empty() {
        return Err(Error::InvalidArgument(
            "nothing to update: give --description, --target, --problem-type, --tags, --add-tags, --remove-tags or --id-columns".into(),
        ));
    }
    let catalog = Catalog::new(settings);
    let mut old_record = catalog.get(name)?;
    let backend = crate::backend::for_settings(settings)?;
    backend.check_writer(&old_record)?;
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
        record.annotations.problem_type = Some(problem_type);
    }
    if let Some(ids) = &options.id_columns {
        for id in ids {
            check("--id-columns", id)?;
        }
        record.annotations.id_columns = ids.clone();
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
