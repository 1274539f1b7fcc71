//! Feature generation: the generic transformers (statistical, temporal,
//! categorical, text, missing data, binning) and custom SQL features, fitted
//! on `train` and computed inside the dataset's own database into
//! `{table}_features` tables (the original columns, then the features).
//!
//! Each feature is one SQL expression built through the store's
//! [`crate::dialect::Dialect`], so the same definition runs on every backend. Statistics a
//! transform needs (mean, standard deviation, range, deciles, category
//! counts and target means) come from `train` only and are kept in
//! `_metadata`, so `test` and `validation` get exactly the same transform.

mod binning;
mod builder;
mod categorical;
pub mod custom;
mod exact;
mod fit;
mod missing;
mod statistical;
mod temporal;
mod text;

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::config::FeatureEngineering;
use crate::error::{Error, Result};
use crate::metadata::{ColumnKind, DatasetMetadata, TableInfo};
use crate::model::name::distinct_name;
use crate::model::{ColumnDef, ColumnType};
use crate::store::Store;

use builder::{Builder, Candidate};
pub use custom::CustomFeature;
use fit::Train;

choice!(
    /// What produced a feature column.
    Transformer {
        Statistical => "statistical",
        Temporal => "temporal",
        Categorical => "categorical",
        Text => "text",
        Missing => "missing",
        Binning => "binning",
        Custom => "custom",
    }
);

/// The `_metadata` key holding the [`FeatureSet`].
pub const METADATA_KEY: &str = "features";

/// Suffix of the feature table of a table.
pub const TABLE_SUFFIX: &str = "_features";

/// Prefix of the feature tables a regeneration builds before swapping
/// them in.
const STAGING_PREFIX: &str = "_mdm_new_";

/// The name a regeneration builds `table` under before swapping it in.
fn staging_name(table: &str) -> String {
    format!("{STAGING_PREFIX}{table}")
}

/// Tables that get a feature table (submission files carry no features).
const FEATURE_SOURCES: &[&str] = &["train", "test", "validation"];

/// The most columns a feature table may have (PostgreSQL's limit is 1600).
const MAX_TABLE_COLUMNS: usize = 1500;

/// Features evaluated per signal-filter query.
const SIGNAL_CHUNK: usize = 200;

/// One generated column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureColumn {
    pub name: String,
    pub transformer: Transformer,
    /// The original column it derives from (none for row-level features).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
}

/// One feature table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureTable {
    /// `{source}_features`.
    pub name: String,
    pub source: String,
    pub rows: u64,
    pub features: Vec<FeatureColumn>,
}

/// What feature generation produced, stored in `_metadata` under
/// [`METADATA_KEY`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureSet {
    pub generated_at: String,
    pub tables: Vec<FeatureTable>,
    /// Generated columns dropped because they were constant or all null in train.
    pub dropped: Vec<String>,
    /// Features left out, with why (too many columns, a column missing in a table).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// The custom-features file used, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_file: Option<String>,
    /// Statistics fitted on train, per source column.
    pub fitted: BTreeMap<String, serde_json::Value>,
}

impl FeatureSet {
    /// The feature set recorded in a dataset's metadata, if any.
    pub fn from_metadata(metadata: &DatasetMetadata) -> Result<Option<FeatureSet>> {
        match metadata.fields.get(METADATA_KEY) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|e| {
                    Error::Backend(format!("corrupt `{METADATA_KEY}` entry in _metadata: {e}"))
                }),
        }
    }

    /// A dataset's tables, each followed by its feature table (unless
    /// `with_features` is false or it has none).
    pub fn tables_of(metadata: &DatasetMetadata, with_features: bool) -> Result<Vec<TableInfo>> {
        let features = if with_features {
            FeatureSet::from_metadata(metadata)?
        } else {
            None
        };
        let mut tables = Vec::new();
        for table in &metadata.tables {
            tables.push(table.clone());
            tables.extend(features.as_ref().and_then(|f| f.table_info(table)));
        }
        Ok(tables)
    }

    /// The feature table built from `source`.
    pub fn table(&self, source: &str) -> Option<&FeatureTable> {
        self.tables.iter().find(|t| t.source == source)
    }

    /// A feature table's stored columns: its source table's, then the features.
    pub fn table_info(&self, source: &TableInfo) -> Option<TableInfo> {
        let table = self.table(&source.name)?;
        let mut columns = source.columns.clone();
        columns.extend(table.features.iter().map(|f| crate::metadata::ColumnInfo {
            name: f.name.clone(),
            original_name: None,
            column_type: f.column_type,
            kind: ColumnKind::Feature,
        }));
        Some(TableInfo {
            name: table.name.clone(),
            rows: table.rows,
            columns,
        })
    }
}

/// What the dataset says about its columns' roles.
pub struct Roles<'a> {
    pub target: Option<&'a str>,
    pub id_columns: &'a [String],
    /// Columns missing in a larger fraction of train rows get no features
    /// (`validation.max_missing_ratio`).
    pub max_missing_ratio: f64,
}

/// The number of stages [`generate`] moves its progress bar through.
pub const STAGES: u64 = 10;

/// Generates the feature tables of a dataset. With `replace`, existing
/// feature tables are swapped for the new ones in one transaction at the
/// end; otherwise the tables are created directly (a fresh database).
/// `bar` advances through [`STAGES`] steps and is cleared at the end.
#[allow(clippy::too_many_arguments)]
pub fn generate(
    store: &mut dyn Store,
    metadata: &DatasetMetadata,
    roles: &Roles,
    config: &FeatureEngineering,
    custom: &[CustomFeature],
    custom_file: Option<&std::path::Path>,
    replace: bool,
    batch_size: usize,
    bar: indicatif::ProgressBar,
) -> Result<FeatureSet> {
    let train_table = metadata
        .table("train")
        .ok_or_else(|| Error::Backend("the dataset has no train table".into()))?;
    let empty = BTreeMap::new();
    let stats = metadata.statistics.get("train").unwrap_or(&empty);
    let train = Train::new(train_table, stats, roles);
    let mut stages = Stages::new(bar.clone());
    let owned_dialect = store.dialect().boxed();
    let mut builder = Builder {
        dialect: owned_dialect.as_ref(),
        candidates: Vec::new(),
        fitted: BTreeMap::new(),
    };
    if config.enabled {
        stages.next("statistical");
        builder.numeric(store, &train, config, batch_size)?;
        stages.next("temporal");
        builder.temporal_columns(&train, config);
        stages.next("categorical");
        builder.categorical_columns(store, &train, roles, config)?;
        stages.next("text");
        builder.text_columns(store, &train, config)?;
        stages.next("missing");
        builder.missing(&train, config);
    }
    stages.next("custom");
    builder.custom(store, &train, custom)?;

    let Builder {
        mut candidates,
        fitted,
        ..
    } = builder;
    let mut skipped: Vec<String> = train
        .sparse
        .iter()
        .map(|(name, ratio)| {
            format!(
                "`{name}`: {:.1}% missing in train, above validation.max_missing_ratio ({})",
                ratio * 100.0,
                roles.max_missing_ratio
            )
        })
        .collect();
    name_features(&mut candidates, train.table)?;
    let room = MAX_TABLE_COLUMNS.saturating_sub(train.table.columns.len());
    if candidates.len() > room {
        skipped.push(format!(
            "{} features beyond the {MAX_TABLE_COLUMNS}-column limit of a feature table",
            candidates.len() - room
        ));
        candidates.truncate(room);
    }

    stages.next("signal filter");
    let dropped = signal_filter(store, &mut candidates)?;

    let mut set = FeatureSet {
        generated_at: crate::time::now_rfc3339(),
        dropped,
        skipped,
        custom_file: custom_file.map(|p| p.display().to_string()),
        fitted,
        ..Default::default()
    };
    build_tables(store, metadata, &candidates, replace, &mut set, &mut stages)?;
    if replace {
        swap_in(store, &set)?;
    }
    stages.next("done");
    bar.finish_and_clear();
    Ok(set)
}

/// Creates the feature table of train, test and validation (each with the
/// candidates whose columns it has), under staging names when replacing.
fn build_tables(
    store: &mut dyn Store,
    metadata: &DatasetMetadata,
    candidates: &[Candidate],
    replace: bool,
    set: &mut FeatureSet,
    stages: &mut Stages,
) -> Result<()> {
    let staging = |name: &str| {
        if replace {
            staging_name(name)
        } else {
            name.to_string()
        }
    };
    // Nothing to add: no feature tables (they would only copy the data).
    let sources: &[&str] = if candidates.is_empty() {
        &[]
    } else {
        FEATURE_SOURCES
    };
    for source in sources {
        let Some(table) = metadata.table(source) else {
            continue;
        };
        stages.next(&format!("{source}{TABLE_SUFFIX}"));
        let present: HashSet<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let (chosen, missing): (Vec<&Candidate>, Vec<&Candidate>) = candidates
            .iter()
            .partition(|c| c.reads.iter().all(|r| present.contains(r.as_str())));
        for candidate in missing {
            set.skipped.push(format!(
                "{} in {source}: the table lacks a column it reads",
                candidate.column.name
            ));
        }
        let name = format!("{source}{TABLE_SUFFIX}");
        let chosen: Vec<&Candidate> = if *source == "train" {
            chosen
        } else {
            // Custom features are validated on train; elsewhere they must
            // also compile against the table.
            let mut kept = Vec::new();
            for candidate in chosen {
                if candidate.column.transformer == Transformer::Custom {
                    let sql = format!(
                        "SELECT {} FROM {} WHERE 1 = 0",
                        candidate.expression,
                        store.dialect().quote_identifier(source)
                    );
                    if store.query(&sql, &[], &mut |_| Ok(())).is_err() {
                        set.skipped.push(format!(
                            "{} in {source}: the expression does not apply to this table",
                            candidate.column.name
                        ));
                        continue;
                    }
                }
                kept.push(candidate);
            }
            kept
        };
        materialize(store, table, &staging(&name), &chosen)?;
        set.tables.push(FeatureTable {
            name,
            source: source.to_string(),
            rows: table.rows,
            features: chosen.iter().map(|c| c.column.clone()).collect(),
        });
    }
    Ok(())
}

/// Progress through the generation stages, each logged with its duration.
struct Stages {
    bar: indicatif::ProgressBar,
    current: Option<(String, std::time::Instant)>,
}

impl Stages {
    fn new(bar: indicatif::ProgressBar) -> Stages {
        Stages { bar, current: None }
    }

    fn next(&mut self, stage: &str) {
        if let Some((name, started)) = self.current.take() {
            log::info!("features: {name} took {:.2?}", started.elapsed());
            self.bar.inc(1);
        }
        self.bar.set_message(stage.to_string());
        self.current = Some((stage.to_string(), std::time::Instant::now()));
    }
}

/// Makes feature names distinct from the table's columns and from each
/// other (case-insensitively, as SQL compares names), with `_2`, `_3`, ...
fn name_features(candidates: &mut [Candidate], train: &TableInfo) -> Result<()> {
    let mut taken: HashSet<String> = train
        .columns
        .iter()
        .map(|c| c.name.to_lowercase())
        .collect();
    for candidate in candidates.iter_mut() {
        let base = candidate.column.name.clone();
        if candidate.column.transformer == Transformer::Custom
            && taken.contains(&base.to_lowercase())
        {
            return Err(Error::InvalidArgument(format!(
                "custom feature '{base}': the name is already a column or feature of the train table"
            )));
        }
        candidate.column.name = distinct_name(&base, &mut taken);
    }
    Ok(())
}

/// Drops candidates that are constant or all null over train (fewer than
/// two distinct non-null values): known from the fitted statistics for
/// most, found with aggregate scans of train for the others.
fn signal_filter(store: &mut dyn Store, candidates: &mut Vec<Candidate>) -> Result<Vec<String>> {
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
    for (column, members) in &groups {
        for chunk in members.chunks(SIGNAL_CHUNK) {
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
            let sql = format!(
                "SELECT {} FROM (SELECT {} FROM {source}{}) features",
                outer.join(", "),
                inner.join(", "),
                dialect.subquery_fence()
            );
            store.query(&sql, &[], &mut |row| {
                for (k, &i) in chunk.iter().enumerate() {
                    if row[k].as_i64() == Some(1) {
                        constant.insert(i);
                    }
                }
                Ok(())
            })?;
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

/// Creates `name` with the table's columns and the features and fills it
/// from one `SELECT` over the table (see [`Store::insert_select`]).
fn materialize(
    store: &mut dyn Store,
    table: &TableInfo,
    name: &str,
    features: &[&Candidate],
) -> Result<()> {
    let dialect = store.dialect();
    let mut columns: Vec<ColumnDef> = table.defs();
    columns.extend(features.iter().map(|c| ColumnDef {
        name: c.column.name.clone(),
        column_type: c.column.column_type,
    }));
    let create = dialect.create_table(name, &columns);
    let mut select: Vec<String> = table
        .columns
        .iter()
        .map(|c| dialect.quote_identifier(&c.name))
        .collect();
    select.extend(features.iter().map(|c| c.expression.clone()));
    let drop = dialect.drop_table(name);
    store.execute(&drop, &[])?;
    store.execute(&create, &[])?;
    store
        .insert_select(name, &columns, &select.join(", "), &table.name)
        .inspect_err(|_| {
            let _ = store.execute(&drop, &[]);
        })
}

/// Replaces the old feature tables with the new ones in one transaction.
fn swap_in(store: &mut dyn Store, set: &FeatureSet) -> Result<()> {
    let existing = store.table_names()?;
    let dialect = store.dialect();
    let mut statements = Vec::new();
    let fresh: HashSet<String> = set.tables.iter().map(|t| staging_name(&t.name)).collect();
    // Old feature tables, and leftovers of a regeneration that was killed.
    for name in &existing {
        if name.ends_with(TABLE_SUFFIX) && !fresh.contains(name) {
            statements.push(dialect.drop_table(name));
        }
    }
    for table in &set.tables {
        statements.push(format!(
            "ALTER TABLE {} RENAME TO {}",
            dialect.quote_identifier(&staging_name(&table.name)),
            dialect.quote_identifier(&table.name)
        ));
    }
    store.begin()?;
    for statement in &statements {
        if let Err(err) = store.execute(statement, &[]) {
            let _ = store.rollback();
            return Err(err);
        }
    }
    store.commit()
}
