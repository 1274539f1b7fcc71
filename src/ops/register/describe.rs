//! Registration steps 5 and 7: the roles decided from the loaded data (ID
//! columns, the task), the discovery record and the metadata the dataset
//! keeps; then, after the features, its indexes and metadata written
//! before it is published.

use std::path::{Path, PathBuf};

use super::loading::Loaded;
use super::{has_row_key, RegisterOptions, INGEST_METADATA_KEY, QUERY_METADATA_KEY};
use crate::backend::record::{Annotations, DatasetRecord, SourceRecord, TableRecord};
use crate::config::Settings;
use crate::error::Result;
use crate::features::FeatureSet;
use crate::ingest;
use crate::ingest::plan::TablePlan;
use crate::ingest::roles::detect_id_columns;
use crate::ingest::ReaderKind;
use crate::interrupt;
use crate::metadata::{self, ColumnInfo, ColumnKind, DatasetMetadata, TableInfo};
use crate::model::{ColumnDef, ColumnType};
use crate::profile::ColumnStatistics;

/// Step 5: the roles decided from the loaded data (ID columns, the task),
/// the discovery record and the metadata the dataset keeps.
pub(super) fn describe_dataset(
    store: &mut dyn crate::store::Store,
    backend: &dyn crate::backend::Backend,
    options: &RegisterOptions,
    plans: &[TablePlan],
    loaded: &Loaded,
    existing: Option<&DatasetRecord>,
    settings: &Settings,
) -> Result<(DatasetRecord, DatasetMetadata)> {
    let cap = settings.config.validation.max_categorical_cardinality;
    let statistics = &loaded.statistics;
    let id_columns = if !options.id_columns.is_empty() {
        options.id_columns.clone()
    } else if settings.config.validation.detect_id_columns {
        detect_id_columns(
            store,
            &plans[0],
            &loaded.profilers[0],
            &statistics[0],
            options.target.as_deref(),
        )?
        .into_iter()
        .filter(|id| !options.ignore_columns.contains(id) && !options.is_target(id))
        .collect()
    } else {
        Vec::new()
    };
    let targets: Vec<(String, ColumnType, &ColumnStatistics)> = options
        .targets()
        .into_iter()
        .filter_map(|target| {
            let index = plans[0].columns.iter().position(|c| c.name == target)?;
            Some((
                target,
                plans[0].columns[index].column_type,
                &statistics[0][index],
            ))
        })
        .collect();
    let problem_type = metadata::problem_type_of_targets(options.problem_type, &targets)?;

    let now = crate::time::now_rfc3339();
    let created_at = existing.map_or_else(|| now.clone(), |r| r.created_at.clone());
    let mut record = DatasetRecord {
        name: options.name.clone(),
        backend: settings.backend(),
        location: backend.location(&options.name),
        tables: plans
            .iter()
            .map(|p| TableRecord {
                name: p.source.table.clone(),
                rows: p.rows,
                columns: p.columns.len() as u64,
            })
            .collect(),
        annotations: Annotations {
            target: options.target.clone(),
            target_columns: if options.extra_targets.is_empty() {
                Vec::new()
            } else {
                options.targets()
            },
            id_columns: id_columns.clone(),
            problem_type,
            tags: options.tags.clone(),
            description: options.description.clone(),
            ignore_columns: options.ignore_columns.clone(),
            time_column: options.time_column.clone(),
            group_column: options.group_column.clone(),
            stratify_column: options.stratify_column.clone(),
            data_source: options.data_source.clone(),
        },
        created_at,
        updated_at: now,
        source: match (&options.odbc, options.files.first()) {
            (Some(_), _) => None,
            (None, Some((_, train))) => Some(absolute(train)),
            (None, None) => Some(absolute(&options.path)),
        },
        source_files: match options.odbc {
            Some(_) => Vec::new(),
            None => plans.iter().map(source_record).collect(),
        },
        owner: None,
        query_source: None,
    };
    let mut metadata = DatasetMetadata {
        sources: record.source_files.clone(),
        ..Default::default()
    };
    if let Some(odbc) = &options.odbc {
        let tables: Vec<_> = plans.iter().map(|p| (&p.source, p.rows)).collect();
        let (recorded, value) = ingest::query::record(&odbc.connection, &tables);
        record.query_source = Some(recorded);
        metadata.fields.insert(QUERY_METADATA_KEY.into(), value);
    }
    if let Some(user) = backend.user() {
        metadata
            .fields
            .insert("registered_by".into(), serde_json::json!(user));
    }
    if let Some(partitioning) = &loaded.partitioning {
        metadata.fields.insert(
            "partitioning".into(),
            serde_json::json!({ plans[0].source.table.as_str(): partitioning }),
        );
    }
    if let Some(duplicates) = &loaded.duplicates {
        metadata
            .fields
            .insert("duplicates".into(), duplicates.clone());
    }
    for (plan, stats) in plans.iter().zip(statistics) {
        let columns = plan
            .columns
            .iter()
            .zip(&plan.original_names)
            .zip(stats)
            .map(|((column, original), stats)| ColumnInfo {
                name: column.name.clone(),
                original_name: (original != &column.name).then(|| original.clone()),
                column_type: column.column_type,
                kind: column_kind(column, stats, options, &id_columns, cap),
            })
            .collect();
        let groups = plan
            .column_groups
            .iter()
            .enumerate()
            .skip(1)
            .map(|(number, indexes)| crate::store::groups::ColumnGroup {
                table: crate::store::groups::group_table(&plan.source.table, number + 1),
                columns: indexes
                    .iter()
                    .map(|&i| plan.columns[i].name.clone())
                    .collect(),
            })
            .collect();
        metadata.tables.push(TableInfo {
            name: plan.source.table.clone(),
            rows: plan.rows,
            columns,
            groups,
            keyed: !plan.column_groups.is_empty()
                || (plan.source.table == "train" && has_row_key(plan)),
        });
        metadata.statistics.insert(
            plan.source.table.clone(),
            plan.columns
                .iter()
                .map(|c| c.name.clone())
                .zip(stats.iter().cloned())
                .collect(),
        );
    }
    metadata.set_fields(&record);
    if has_row_key(&plans[0]) {
        metadata.fields.insert(
            metadata::ROW_KEY_FIELD.into(),
            serde_json::Value::String(crate::dialect::ROW_KEY.into()),
        );
    }
    metadata.fields.insert(
        INGEST_METADATA_KEY.into(),
        serde_json::Value::Object(
            plans
                .iter()
                .filter(|p| p.source.reader == ReaderKind::Delimited)
                .map(|p| (p.source.table.clone(), describe_read(p)))
                .collect(),
        ),
    );
    Ok((record, metadata))
}

/// Step 7 (after features): ID indexes, the metadata and the database's
/// long-term settings, before the staged dataset is published.
pub(super) fn publish(
    store: &mut dyn crate::store::Store,
    metadata: &DatasetMetadata,
    record: &DatasetRecord,
) -> Result<()> {
    let features = FeatureSet::from_metadata(metadata)
        .ok()
        .flatten()
        .unwrap_or_default();
    crate::ops::index_tables(
        store,
        metadata,
        &features,
        true,
        &record.annotations.id_columns,
    )?;
    metadata::save(store, metadata)?;
    interrupt::check()?;
    store.finish_load()
}

/// What was detected (or forced) in a file and where its rows went.
pub(super) fn describe_read(plan: &TablePlan) -> serde_json::Value {
    let mut value = plan.format.layout.describe();
    value["file"] = serde_json::json!(absolute(&plan.source.path).display().to_string());
    value["bad_rows"] = serde_json::json!(plan.bad_rows);
    if let (Some(object), serde_json::Value::Object(outcome)) =
        (value.as_object_mut(), serde_json::json!(plan.outcome))
    {
        object.extend(outcome);
    }
    value
}

pub(super) fn column_kind(
    column: &ColumnDef,
    stats: &ColumnStatistics,
    options: &RegisterOptions,
    id_columns: &[String],
    max_cardinality: u64,
) -> ColumnKind {
    let named = |list: &[String]| list.iter().any(|n| n == &column.name);
    if options.is_target(&column.name) {
        return ColumnKind::Target;
    }
    if named(id_columns) {
        return ColumnKind::Id;
    }
    if named(&options.ignore_columns) {
        return ColumnKind::Ignored;
    }
    if named(&options.categorical_columns) {
        return ColumnKind::Categorical;
    }
    if named(&options.text_columns) {
        return ColumnKind::Text;
    }
    metadata::natural_kind(column.column_type, stats, max_cardinality)
}

pub(super) fn source_record(plan: &TablePlan) -> SourceRecord {
    let modified = std::fs::metadata(&plan.source.path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| crate::time::rfc3339(d.as_secs() as i64));
    SourceRecord {
        table: plan.source.table.clone(),
        path: absolute(&plan.source.origin),
        size: plan.format.size,
        modified,
    }
}

pub(super) fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
