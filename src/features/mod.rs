//! Feature generation: the generic transformers (statistical, temporal,
//! categorical, text, missing data, binning) and custom SQL features, fitted
//! on `train` and computed inside the dataset's own database into
//! `{table}_features` (the original columns, then the features): views
//! computing them from the source when read, or tables with
//! `feature_engineering.materialize`.
//!
//! Each feature is one SQL expression built through the store's
//! [`crate::dialect::Dialect`], so the same definition runs on every backend. Statistics a
//! transform needs (mean, standard deviation, range, deciles, category
//! counts and target means) come from `train` only and are kept in
//! `_metadata`, so `test` and `validation` get exactly the same transform.
//!
//! The orchestration is in `generation` (stages, naming, the column
//! limit), the signal filter in `signal`, writing and swapping the tables
//! in `tables`; what is learnt of train in `fit`; each transformer family
//! in a file of its own over the shared `builder`.

mod binning;
mod builder;
mod categorical;
pub mod custom;
mod fit;
mod generation;
mod missing;
mod signal;
mod statistical;
mod tables;
mod temporal;
mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metadata::{ColumnKind, DatasetMetadata, TableInfo};
use crate::model::ColumnType;

pub use custom::CustomFeature;
pub use generation::{generate, STAGES};

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
    /// The table holds the row key and the features only, and reads its
    /// source's columns by the key (a wide source is not copied).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub joined: bool,
    /// A view computing the features from its source when read (nothing
    /// stored but the definition), unless `feature_engineering.materialize`
    /// asks for a table.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub view: bool,
}

/// Whether the feature table of a source of `columns` columns joins it on
/// the row key instead of copying it: when a copy and a full set of
/// features would not fit in a feature table.
pub fn joins_source(columns: usize, config: &crate::config::FeatureEngineering) -> bool {
    columns + 1 + config.max_features > generation::PORTABLE_TABLE_COLUMNS
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
        // A joined feature table holds the features only: the source's
        // columns are read from its tables.
        let groups = if !table.joined {
            Vec::new()
        } else {
            let own = crate::store::groups::ColumnGroup {
                table: source.name.clone(),
                columns: source
                    .columns
                    .iter()
                    .map(|c| c.name.clone())
                    .filter(|c| source.table_of(c) == source.name)
                    .collect(),
            };
            std::iter::once(own)
                .chain(source.groups.iter().cloned())
                .collect()
        };
        Some(TableInfo {
            name: table.name.clone(),
            rows: table.rows,
            columns,
            groups,
            keyed: table.joined,
        })
    }
}

/// What the dataset says about its columns' roles.
pub struct Roles<'a> {
    /// The one target (target encodings are made against it).
    pub target: Option<&'a str>,
    /// Every target, also when there are several (none is a feature).
    pub targets: &'a [String],
    pub id_columns: &'a [String],
    /// Columns missing in a larger fraction of train rows get no features
    /// (`validation.max_missing_ratio`).
    pub max_missing_ratio: f64,
    /// The time column lags are ordered by, and the group column they are
    /// taken within.
    pub time_column: Option<&'a str>,
    pub group_column: Option<&'a str>,
}
