//! What mdm keeps inside each dataset database, in the `_metadata`
//! key/value table: the schema (column types, kinds, original names), the
//! column statistics from registration, the source files and the dataset's
//! descriptive fields. Values are JSON so any SQL client can read them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::backend::record::{Annotations, DatasetRecord, ProblemType, SourceRecord};
use crate::error::{Error, Result};
use crate::model::{ColumnDef, ColumnType};
use crate::profile::ColumnStatistics;
use crate::store::groups::ColumnGroup;
use crate::store::{self, Store};

choice!(
    /// What a column means for machine learning (beyond its stored type).
    ColumnKind {
        Id => "id",
        Target => "target",
        Numeric => "numeric",
        Categorical => "categorical",
        Boolean => "boolean",
        Datetime => "datetime",
        Text => "text",
        Feature => "feature",
        Ignored => "ignored",
    }
);

/// Integer targets with at most this many classes are classification.
const MAX_CLASSES: u64 = 20;

/// What a column is when no role (target, ID) or flag says otherwise: text
/// with few distinct values (at most `max_cardinality` and at most half the
/// values) is categorical.
pub fn natural_kind(
    column_type: ColumnType,
    stats: &ColumnStatistics,
    max_cardinality: u64,
) -> ColumnKind {
    match column_type {
        ColumnType::Integer | ColumnType::Float => ColumnKind::Numeric,
        ColumnType::Boolean => ColumnKind::Boolean,
        ColumnType::Date | ColumnType::Datetime => ColumnKind::Datetime,
        ColumnType::Text => {
            let few = stats.distinct <= max_cardinality
                && (stats.distinct as f64) <= 0.5 * stats.count as f64;
            if few || stats.count == 0 {
                ColumnKind::Categorical
            } else {
                ColumnKind::Text
            }
        }
    }
}

/// The problem type a target suggests: classification for text, boolean
/// and integer targets with at most 20 classes (binary with two, else
/// multiclass); time series for dates; regression otherwise.
pub fn infer_problem_type(column_type: ColumnType, stats: &ColumnStatistics) -> ProblemType {
    let problem_type = match column_type {
        ColumnType::Text | ColumnType::Boolean => ProblemType::Classification,
        ColumnType::Integer if stats.distinct <= MAX_CLASSES => ProblemType::Classification,
        ColumnType::Date | ColumnType::Datetime => ProblemType::TimeSeries,
        _ => ProblemType::Regression,
    };
    resolve_problem_type(problem_type, stats)
}

/// The task of one or several targets: as given (`classification` of
/// several is `multilabel`), or inferred from each; several targets must
/// all be classes (multilabel) or all numbers (multi-output regression).
pub fn problem_type_of_targets(
    given: Option<ProblemType>,
    targets: &[(String, ColumnType, &ColumnStatistics)],
) -> crate::Result<Option<ProblemType>> {
    match (given, targets) {
        (given, []) => Ok(given),
        (Some(given), [(_, _, stats)]) => Ok(Some(resolve_problem_type(given, stats))),
        (None, [(_, column_type, stats)]) => Ok(Some(infer_problem_type(*column_type, stats))),
        (Some(given), _) if given.is_a(ProblemType::Classification) => {
            Ok(Some(ProblemType::Multilabel))
        }
        (Some(given), _) => Ok(Some(given)),
        (None, several) => {
            let kinds: Vec<(&str, ProblemType)> = several
                .iter()
                .map(|(name, column_type, stats)| {
                    (name.as_str(), infer_problem_type(*column_type, stats))
                })
                .collect();
            if kinds
                .iter()
                .all(|(_, p)| p.is_a(ProblemType::Classification))
            {
                Ok(Some(ProblemType::Multilabel))
            } else if kinds.iter().all(|(_, p)| *p == ProblemType::Regression) {
                Ok(Some(ProblemType::Regression))
            } else {
                let described: Vec<String> = kinds
                    .iter()
                    .map(|(name, p)| format!("'{name}' {p}"))
                    .collect();
                Err(crate::Error::InvalidArgument(format!(
                    "--target: the targets are of different kinds ({}); give --problem-type multilabel or regression",
                    described.join(", ")
                )))
            }
        }
    }
}

/// `classification` as binary (at most two distinct target values) or
/// multiclass; any other type as it is.
pub fn resolve_problem_type(problem_type: ProblemType, target: &ColumnStatistics) -> ProblemType {
    match problem_type {
        ProblemType::Classification if target.distinct <= 2 => ProblemType::BinaryClassification,
        ProblemType::Classification => ProblemType::MulticlassClassification,
        other => other,
    }
}

/// One stored column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    /// The header in the source file, when mdm had to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_name: Option<String>,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    pub kind: ColumnKind,
}

impl ColumnInfo {
    pub fn def(&self) -> ColumnDef {
        ColumnDef {
            name: self.name.clone(),
            column_type: self.column_type,
        }
    }
}

/// One table as its readers see it: its columns in source order, and
/// for a table wider than its database takes, the column groups holding
/// the columns that are not in the table `name` itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    pub name: String,
    pub rows: u64,
    pub columns: Vec<ColumnInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<ColumnGroup>,
    /// The table has the row key (train always; another table when it
    /// is wide), so that other tables can join it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keyed: bool,
}

impl TableInfo {
    /// Reads `columns` of the table (from its groups as needed) in batches.
    pub fn scan(
        &self,
        store: &mut dyn Store,
        columns: &[ColumnDef],
        filter: &crate::store::RowFilter,
        batch_size: usize,
        on_batch: &mut dyn FnMut(&crate::model::Batch) -> Result<()>,
    ) -> Result<()> {
        crate::store::groups::scan(
            store,
            &self.name,
            &self.groups,
            columns,
            filter,
            batch_size,
            on_batch,
        )
    }

    /// The table holding `column`: a group's, or the table itself.
    pub fn table_of(&self, column: &str) -> &str {
        self.groups
            .iter()
            .find(|g| g.columns.iter().any(|c| c == column))
            .map_or(&self.name, |g| &g.table)
    }

    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn defs(&self) -> Vec<ColumnDef> {
        self.columns.iter().map(ColumnInfo::def).collect()
    }

    /// The column names, comma-separated (for messages).
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The `_metadata` key naming the train table's row key column, when it
/// has one (datasets registered before mdm added it have none).
pub const ROW_KEY_FIELD: &str = "row_key";

/// The `_metadata` key holding the current validation folds.
pub const FOLDS_FIELD: &str = "folds";

/// Everything in `_metadata`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DatasetMetadata {
    pub tables: Vec<TableInfo>,
    /// table -> column -> statistics.
    pub statistics: BTreeMap<String, BTreeMap<String, ColumnStatistics>>,
    pub sources: Vec<SourceRecord>,
    pub fields: BTreeMap<String, serde_json::Value>,
}

impl DatasetMetadata {
    /// The train table's row key column, when it has one.
    pub fn row_key(&self) -> Option<&str> {
        self.fields.get(ROW_KEY_FIELD).and_then(|v| v.as_str())
    }

    pub fn table(&self, name: &str) -> Option<&TableInfo> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Takes the descriptive fields into a record: the dataset's own
    /// database is their authority (a server's catalog entry or a
    /// discovery file may lag behind an update).
    pub fn apply_fields(&self, record: &mut DatasetRecord) {
        let field = |key: &str| self.fields.get(key).cloned();
        let annotations = &mut record.annotations;
        if let Some(value) = field("target").and_then(|v| serde_json::from_value(v).ok()) {
            annotations.target = value;
        }
        if let Some(value) = field("target_columns").and_then(|v| serde_json::from_value(v).ok()) {
            annotations.target_columns = value;
        }
        if let Some(value) = field("id_columns").and_then(|v| serde_json::from_value(v).ok()) {
            annotations.id_columns = value;
        }
        if let Some(value) = field("problem_type").and_then(|v| serde_json::from_value(v).ok()) {
            annotations.problem_type = value;
        }
        if let Some(value) = field("tags").and_then(|v| serde_json::from_value(v).ok()) {
            annotations.tags = value;
        }
        if let Some(value) = field("description").and_then(|v| serde_json::from_value(v).ok()) {
            annotations.description = value;
        }
        if let Some(value) = field("ignore_columns").and_then(|v| serde_json::from_value(v).ok()) {
            annotations.ignore_columns = value;
        }
        if let Some(value) = field("time_column").and_then(|v| serde_json::from_value(v).ok()) {
            annotations.time_column = value;
        }
        if let Some(value) = field("group_column").and_then(|v| serde_json::from_value(v).ok()) {
            annotations.group_column = value;
        }
        if let Some(value) = field("stratify_column").and_then(|v| serde_json::from_value(v).ok()) {
            annotations.stratify_column = value;
        }
        if let Some(value) = field("data_source").and_then(|v| serde_json::from_value(v).ok()) {
            annotations.data_source = value;
        }
        if let Some(serde_json::Value::String(at)) = field("updated_at") {
            record.updated_at = at;
        }
    }

    /// Copies the descriptive fields of a dataset record.
    pub fn set_fields(&mut self, record: &DatasetRecord) {
        let fields = [
            ("name", json(&record.name)),
            ("target", json(&record.annotations.target)),
            ("target_columns", json(&record.annotations.target_columns)),
            ("id_columns", json(&record.annotations.id_columns)),
            ("problem_type", json(&record.annotations.problem_type)),
            ("tags", json(&record.annotations.tags)),
            ("description", json(&record.annotations.description)),
            ("ignore_columns", json(&record.annotations.ignore_columns)),
            ("time_column", json(&record.annotations.time_column)),
            ("group_column", json(&record.annotations.group_column)),
            ("stratify_column", json(&record.annotations.stratify_column)),
            ("data_source", json(&record.annotations.data_source)),
            ("created_at", json(&record.created_at)),
            ("updated_at", json(&record.updated_at)),
            ("mdm_version", json(&env!("CARGO_PKG_VERSION"))),
        ];
        for (key, value) in fields {
            self.fields.insert(key.to_string(), value);
        }
    }
}

fn json<T: Serialize + ?Sized>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("metadata serializes")
}

/// Writes all metadata into the store, in one transaction.
pub fn save(store: &mut dyn Store, metadata: &DatasetMetadata) -> Result<()> {
    let mut entries: Vec<(&str, String)> = vec![
        ("schema", to_json(&metadata.tables)),
        ("statistics", to_json(&metadata.statistics)),
        ("sources", to_json(&metadata.sources)),
    ];
    for (key, value) in &metadata.fields {
        entries.push((key.as_str(), value.to_string()));
    }
    store::write_metadata(store, &entries)
}

/// Reads the metadata back.
pub fn load(store: &mut dyn Store) -> Result<DatasetMetadata> {
    let mut entries = store::read_metadata(store)?;
    let mut metadata = DatasetMetadata {
        tables: typed_entry(&mut entries, "schema")?.unwrap_or_default(),
        statistics: typed_entry(&mut entries, "statistics")?.unwrap_or_default(),
        sources: typed_entry(&mut entries, "sources")?.unwrap_or_default(),
        fields: BTreeMap::new(),
    };
    for (key, text) in entries {
        let value = serde_json::from_str(&text).map_err(|e| corrupt(&key, e))?;
        metadata.fields.insert(key, value);
    }
    Ok(metadata)
}

fn corrupt(key: &str, err: serde_json::Error) -> Error {
    Error::Backend(format!("corrupt `{key}` entry in _metadata: {err}"))
}

/// Takes `key` out of the entries and parses it as `T`.
fn typed_entry<T: serde::de::DeserializeOwned>(
    entries: &mut BTreeMap<String, String>,
    key: &str,
) -> Result<Option<T>> {
    match entries.remove(key) {
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| corrupt(key, e)),
        None => Ok(None),
    }
}

/// File-name suffix of the metadata sidecar written next to exports.
pub const SIDECAR_SUFFIX: &str = "_metadata.yaml";

/// The sidecar `{name}_metadata.yaml` written by `export`: what
/// re-registration needs to rebuild the same dataset (types, target, ID
/// columns, descriptive fields).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    pub name: String,
    pub exported_at: String,
    pub mdm_version: String,
    pub format: String,
    #[serde(flatten)]
    pub annotations: Annotations,
    pub tables: Vec<SidecarTable>,
    /// How delimited files beside it are read, with the names and values
    /// of `register`'s flags (`delimiter`, `quote`, `escape`, `header_rows`,
    /// `skip_rows`, `comment`, `encoding`, `bad_rows`, `decimal`, and
    /// `formats` per column as `--date-format` takes them); a flag
    /// given on the command line wins.
    #[serde(default, skip_serializing_if = "SidecarRead::is_empty")]
    pub read: SidecarRead,
    /// The validation folds' settings (`dataset split`), made again the
    /// same way when the export is registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folds: Option<FoldSettings>,
}

/// How folds were made: enough to make the same ones again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FoldSettings {
    pub folds: usize,
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<i64>,
}

/// The `read:` section of a sidecar, as text the flags' parsers take.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SidecarRead {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escape: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_rows: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_rows: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bad_rows: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimal: Option<String>,
    /// Per column, how its values are written when not plainly
    /// (`%d/%m/%Y`, `1,234.5`): an export with `--source-format`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub formats: BTreeMap<String, String>,
}

impl SidecarRead {
    pub fn is_empty(&self) -> bool {
        *self == SidecarRead::default()
    }

    /// How mdm's own CSV exports are written, so that reading them back
    /// depends on nothing detected.
    pub fn csv_export() -> SidecarRead {
        SidecarRead {
            delimiter: Some(",".into()),
            quote: Some("\"".into()),
            escape: Some("double".into()),
            header_rows: Some(1),
            skip_rows: Some(0),
            encoding: Some("utf-8".into()),
            ..SidecarRead::default()
        }
    }
}

/// The metadata sidecar of an export: the only `*_metadata.yaml` in a
/// folder, or the one next to a file that lists it.
pub fn find_sidecar(path: &Path) -> Result<Option<(PathBuf, Sidecar)>> {
    let (dir, file_name) = if path.is_dir() {
        (path.to_path_buf(), None)
    } else {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        (
            dir.to_path_buf(),
            path.file_name().map(|n| n.to_string_lossy().into_owned()),
        )
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(None);
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let candidate = entry.path();
        if !candidate.to_string_lossy().ends_with(SIDECAR_SUFFIX) || !candidate.is_file() {
            continue;
        }
        let text =
            std::fs::read_to_string(&candidate).map_err(|e| Error::io(&candidate, "read", e))?;
        let sidecar: Sidecar = serde_yaml::from_str(&text).map_err(|e| {
            Error::General(format!(
                "{}: not a valid mdm metadata file: {e}",
                candidate.display()
            ))
        })?;
        let relevant = match &file_name {
            Some(name) => sidecar.tables.iter().any(|t| &t.file == name),
            None => true,
        };
        if relevant {
            found.push((candidate, sidecar));
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(Error::InvalidArgument(format!(
            "{} holds several metadata files ({}); keep one",
            dir.display(),
            found
                .iter()
                .map(|(p, _)| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// One exported table in a sidecar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SidecarTable {
    pub name: String,
    pub file: String,
    pub rows: u64,
    pub columns: Vec<ColumnInfo>,
}
