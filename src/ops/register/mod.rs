//! `mdm dataset register`: two streaming passes over each source file (infer
//! the column types over the whole file, then load typed batches while
//! profiling), into a private staging directory that is published with a
//! rename once everything succeeded. The discovery YAML is written last.
//! This file orchestrates; the passes themselves are in [`crate::ingest`].

mod checks;
mod duplicates;
mod load;
mod report;
mod sidecar;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::backend::record::{Annotations, DatasetRecord, ProblemType, SourceRecord, TableRecord};
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::features::{self, FeatureSet};
use crate::ingest;
use crate::ingest::dialect::ReadOptions;
use crate::ingest::plan::TablePlan;
use crate::ingest::roles::{self, detect_id_columns};
use crate::ingest::rows::{self, REJECTS_TABLE};
use crate::ingest::scan::infer_table;
use crate::ingest::schema::{apply_forced_types, check_columns, unify_types, ForcedTypes};
use crate::ingest::typed::ReaderKind;
use crate::interrupt;
use crate::metadata::{self, find_sidecar, ColumnInfo, ColumnKind, DatasetMetadata, TableInfo};
use crate::model::name::validate_name;
use crate::model::{ColumnDef, ColumnType};
use crate::profile::{ColumnProfiler, ColumnStatistics};
use crate::store::LoadShape;
use crate::ui::Ui;
use checks::{check_existing, check_min_rows};
use duplicates::handle_duplicates;
use load::load_table;
pub use report::report_features;
use report::report_read;
use sidecar::{apply_sidecar, apply_sidecar_read};

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct RegisterOptions {
    pub name: String,
    pub path: PathBuf,
    pub target: Option<String>,
    /// Further targets (`--target y1,y2`: multilabel or multi-output
    /// regression), after `target`.
    pub extra_targets: Vec<String>,
    pub id_columns: Vec<String>,
    pub problem_type: Option<ProblemType>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub force: bool,
    pub categorical_columns: Vec<String>,
    pub datetime_columns: Vec<String>,
    pub numeric_columns: Vec<String>,
    pub text_columns: Vec<String>,
    /// Kept in the tables, never featurised nor chosen as ID or target.
    pub ignore_columns: Vec<String>,
    /// The column ordering the rows in time (stored as a date or timestamp).
    pub time_column: Option<String>,
    /// The column grouping rows that belong together.
    pub group_column: Option<String>,
    /// The column whose class shares validation folds keep.
    pub stratify_column: Option<String>,
    /// The data-source label (`--source`).
    pub data_source: Option<String>,
    /// Exact stored types (from an export's metadata sidecar); applied
    /// before the `*_columns` flags.
    pub column_types: BTreeMap<String, ColumnType>,
    /// Skip feature generation.
    pub no_features: bool,
    /// Range-partition the train table on this column (PostgreSQL).
    pub partition_by: Option<String>,
    /// Custom features to use instead of the dataset's default file.
    pub features_file: Option<PathBuf>,
    /// How delimited files are read, where the user forced it.
    pub read: ReadOptions,
    /// How source files are opened (Excel sheet, unpacking limits).
    pub ingest: ingest::IngestOptions,
    /// Read the tables from queries on an ODBC source instead of `path`.
    pub odbc: Option<ingest::query::OdbcSource>,
    /// Named files instead of `path`: (table, file), `train` first
    /// (`--train FILE --test FILE ...`).
    pub files: Vec<(String, PathBuf)>,
}

impl RegisterOptions {
    /// Every target, the first one first.
    pub fn targets(&self) -> Vec<String> {
        self.target
            .iter()
            .chain(&self.extra_targets)
            .cloned()
            .collect()
    }

    fn is_target(&self, name: &str) -> bool {
        self.target.as_deref() == Some(name) || self.extra_targets.iter().any(|t| t == name)
    }
}

/// Registers a dataset and returns its discovery record.
pub fn register(settings: &Settings, options: &RegisterOptions, ui: &Ui) -> Result<DatasetRecord> {
    match run(settings, options, ui, false)? {
        Outcome::Registered(record) => Ok(*record),
        Outcome::Planned(_) => unreachable!("only a dry run stops at the plan"),
    }
}

/// `register --dry-run`: discovery, the sniffer and type inference on the
/// files, and the checks; then what would be registered, with nothing
/// written (no database, no discovery file, no lock).
pub fn dry_run(
    settings: &Settings,
    options: &RegisterOptions,
    ui: &Ui,
) -> Result<RegistrationPlan> {
    match run(settings, options, ui, true)? {
        Outcome::Planned(plan) => Ok(*plan),
        Outcome::Registered(_) => unreachable!("a dry run registers nothing"),
    }
}

/// What [`run`] ended with.
enum Outcome {
    Registered(Box<DatasetRecord>),
    Planned(Box<RegistrationPlan>),
}

/// What a registration would store.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RegistrationPlan {
    pub name: String,
    pub backend: String,
    pub tables: Vec<PlannedTable>,
    pub target: Option<String>,
    /// Given, or `None` when it would be inferred from the loaded target.
    pub problem_type: Option<ProblemType>,
    /// Given, or `None` when they would be detected from the loaded values.
    pub id_columns: Option<Vec<String>>,
    #[serde(flatten)]
    pub roles: Annotations,
    /// Whether features would be generated, and from which train columns.
    pub features: bool,
    pub feature_columns: Vec<String>,
}

/// One table of a [`RegistrationPlan`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct PlannedTable {
    pub table: String,
    pub file: PathBuf,
    pub rows: Option<u64>,
    pub columns: Vec<PlannedColumn>,
    /// How a delimited file would be read (dialect, header, skipped lines).
    pub read: Option<serde_json::Value>,
}

/// One column of a [`PlannedTable`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct PlannedColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// target, id or ignored where given; else decided from the loaded data.
    pub role: Option<&'static str>,
}

fn plan_of(
    settings: &Settings,
    options: &RegisterOptions,
    plans: &[TablePlan],
    generate_features: bool,
) -> RegistrationPlan {
    let role = |name: &str| -> Option<&'static str> {
        if options.is_target(name) {
            Some("target")
        } else if options.id_columns.iter().any(|c| c == name) {
            Some("id")
        } else if options.ignore_columns.iter().any(|c| c == name) {
            Some("ignored")
        } else {
            None
        }
    };
    let tables: Vec<PlannedTable> = plans
        .iter()
        .map(|plan| PlannedTable {
            table: plan.source.table.clone(),
            file: absolute(&plan.source.origin),
            rows: plan
                .source
                .reader
                .counts_rows_upfront()
                .then_some(plan.rows),
            columns: plan
                .columns
                .iter()
                .map(|c| PlannedColumn {
                    name: c.name.clone(),
                    column_type: c.column_type,
                    role: role(&c.name),
                })
                .collect(),
            read: (plan.source.reader == ReaderKind::Delimited).then(|| describe_read(plan)),
        })
        .collect();
    let has_train = plans.first().is_some_and(|p| p.source.table == "train");
    let feature_columns = if generate_features && has_train {
        tables[0]
            .columns
            .iter()
            .filter(|c| c.role.is_none())
            .map(|c| c.name.clone())
            .collect()
    } else {
        Vec::new()
    };
    RegistrationPlan {
        name: options.name.clone(),
        backend: settings.backend().to_string(),
        tables,
        target: options.target.clone(),
        problem_type: options.problem_type,
        id_columns: (!options.id_columns.is_empty()).then(|| options.id_columns.clone()),
        roles: Annotations {
            ignore_columns: options.ignore_columns.clone(),
            time_column: options.time_column.clone(),
            group_column: options.group_column.clone(),
            stratify_column: options.stratify_column.clone(),
            data_source: options.data_source.clone(),
            tags: options.tags.clone(),
            description: options.description.clone(),
            ..Annotations::default()
        },
        features: generate_features && has_train,
        feature_columns,
    }
}

/// Registration, or with `dry_run` everything before the first write.
fn run(settings: &Settings, options: &RegisterOptions, ui: &Ui, dry_run: bool) -> Result<Outcome> {
    validate_name(&options.name)?;
    let mut options = options.clone();
    // Zip archives are unpacked privately (removed when this returns).
    let mut workspace =
        ingest::archive::Workspace::new(&settings.datasets_path(), options.ingest.limits);
    let named_files = !options.files.is_empty();
    let root = match &options.odbc {
        Some(_) => options.path.clone(),
        None if named_files => options.path.clone(),
        None => ingest::unpack_root(&options.path, &mut workspace)?,
    };
    let sidecar = match find_sidecar(&options.path)? {
        _ if options.odbc.is_some() || named_files => None,
        None if root != options.path => find_sidecar(&root)?,
        found => found,
    };
    // A header-less export: its columns are named by the sidecar.
    let mut sidecar_names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some((_, sidecar)) = sidecar
        .as_ref()
        .filter(|(_, s)| s.read.header_rows == Some(0))
    {
        for table in &sidecar.tables {
            sidecar_names.insert(
                table.name.clone(),
                table.columns.iter().map(|c| c.name.clone()).collect(),
            );
        }
    }
    if let Some((path, sidecar)) = sidecar {
        ui.message(&format!("using exported metadata from {}", path.display()));
        apply_sidecar(&mut options, &sidecar);
        apply_sidecar_read(&mut options.read, &sidecar.read, &path)?;
    }
    let options = &options;
    let backend = crate::backend::for_settings(settings)?;
    backend.check_name(&options.name)?;
    let catalog = Catalog::new(settings);
    let existing = check_existing(&catalog, backend.as_ref(), options)?;

    let generate_features = !options.no_features && settings.config.feature_engineering.enabled;
    let (custom_file, custom_features) = if generate_features {
        features::custom::load(settings, &options.name, options.features_file.as_deref())?
    } else {
        (None, Vec::new())
    };
    let sources = match &options.odbc {
        Some(odbc) => odbc.sources(),
        None if named_files => named_sources(&options.files, &mut workspace)?,
        None => ingest::discover(&root)?,
    };
    let mut plans = Vec::with_capacity(sources.len());
    let bad_rows = options
        .read
        .bad_rows
        .unwrap_or(settings.config.validation.bad_rows);
    for mut source in sources {
        if root != options.path {
            source.origin = options.path.clone();
        }
        if options.odbc.is_none() {
            ingest::resolve(&mut source, &mut workspace, &options.ingest)?;
        }
        let mut plan = infer_table(source, &options.read, bad_rows, ui)?;
        if let Some(names) = sidecar_names.get(&plan.source.table) {
            if names.len() == plan.columns.len() {
                for (column, name) in plan.columns.iter_mut().zip(names) {
                    column.name = name.clone();
                }
                plan.original_names = names.clone();
            }
        }
        report_read(&plan, ui);
        plans.push(plan);
    }
    let implied;
    let implied_target =
        roles::implied_target(&plans, options.target.as_deref(), &options.id_columns)
            .filter(|target| !options.ignore_columns.contains(target));
    let options = match implied_target.clone() {
        Some(target) => {
            implied = RegisterOptions {
                target: Some(target),
                ..options.clone()
            };
            &implied
        }
        None => options,
    };
    unify_types(&mut plans);
    let roles = roles_of(options);
    check_roles(&plans, &roles, options)?;
    let datetime_columns = with_time_column(&plans, options, ui)?;
    apply_forced_types(
        &mut plans,
        &ForcedTypes {
            column_types: &options.column_types,
            numeric_columns: &options.numeric_columns,
            datetime_columns: &datetime_columns,
            text_columns: &options.text_columns,
            categorical_columns: &options.categorical_columns,
        },
    )?;
    check_columns(&plans, options.target.as_deref(), &options.id_columns)?;
    for extra in &options.extra_targets {
        check_columns(&plans, Some(extra), &[])?;
    }
    if let Some(column) = &options.partition_by {
        let dialect = crate::dialect::for_backend(settings.backend());
        super::partition::check(
            dialect.as_ref(),
            settings.backend(),
            &plans[0].columns,
            column,
        )?;
    }
    let limit = crate::dialect::for_backend(settings.backend()).max_columns();
    if let Some(plan) = plans
        .iter()
        .enumerate()
        .find(|(i, p)| p.columns.len() + usize::from(*i == 0 && has_row_key(p)) > limit)
        .map(|(_, p)| p)
    {
        return Err(Error::General(format!(
            "{}: line 1: {} columns; the {} backend stores at most {limit} columns in a table (mdm adds a row key to train)",
            plan.source.path.display(),
            plan.columns.len(),
            settings.backend()
        )));
    }
    if plans[0].source.reader.counts_rows_upfront() {
        check_min_rows(&plans[0], settings)?;
    }

    if dry_run {
        return Ok(Outcome::Planned(Box::new(plan_of(
            settings,
            options,
            &plans,
            generate_features,
        ))));
    }
    let datasets_path = settings.datasets_path();
    std::fs::create_dir_all(&datasets_path)
        .map_err(|e| Error::io(&datasets_path, "create directory", e))?;
    let _lock = super::DatasetLock::exclusive(settings, &options.name).map_err(|_| {
        Error::AlreadyExists(format!(
            "dataset '{}' is being registered or removed by another mdm process",
            options.name
        ))
    })?;
    backend.sweep();
    let mut staged = backend.stage(&options.name, options.force)?;
    let store = staged.store();
    store.expect(LoadShape {
        widest_value: plans.iter().map(|p| p.widest_record).max().unwrap_or(0),
        columns: plans.iter().map(|p| p.columns.len()).max().unwrap_or(0),
    })?;
    if plans.iter().any(|p| p.outcome.rows_rejected > 0) {
        let create = store
            .dialect()
            .create_table(REJECTS_TABLE, &rows::reject_columns());
        store.execute(&create, &[])?;
    }
    let cap = settings.config.validation.max_categorical_cardinality as usize;
    let mut profilers = Vec::with_capacity(plans.len());
    for (index, plan) in plans.iter_mut().enumerate() {
        let keyed = index == 0 && has_row_key(plan);
        let (profiled, rows) = load_table(
            store,
            plan,
            settings.config.performance.batch_size,
            cap,
            keyed,
            ui,
        )?;
        profilers.push(profiled);
        // A query's rows are known once it has been read.
        if !plan.source.reader.counts_rows_upfront() {
            plan.rows = rows;
            plan.outcome.rows_loaded = rows;
        }
    }
    if !plans[0].source.reader.counts_rows_upfront() {
        check_min_rows(&plans[0], settings)?;
    }
    let mut statistics: Vec<Vec<ColumnStatistics>> = profilers
        .iter()
        .map(|table| table.iter().map(ColumnProfiler::finish).collect())
        .collect();
    let duplicates =
        handle_duplicates(store, &mut plans[0], &mut statistics[0], settings, cap, ui)?;
    let partitioning = match &options.partition_by {
        Some(column) => {
            let train = &plans[0];
            let done =
                super::partition::partition(store, &train.source.table, &train.columns, column)?;
            ui.message(&format!(
                "{}: partitioned by {} of '{column}' ({} partitions and a default one)",
                train.source.table, done.by, done.partitions
            ));
            Some(done)
        }
        None => None,
    };

    let id_columns = if !options.id_columns.is_empty() {
        options.id_columns.clone()
    } else if settings.config.validation.detect_id_columns {
        detect_id_columns(
            store,
            &plans[0],
            &profilers[0],
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
    let created_at = existing
        .as_ref()
        .map_or_else(|| now.clone(), |r| r.created_at.clone());
    let record = DatasetRecord {
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
    let mut record = record;
    let mut query_metadata = None;
    if let Some(odbc) = &options.odbc {
        let tables: Vec<_> = plans.iter().map(|p| (&p.source, p.rows)).collect();
        let (recorded, value) = ingest::query::record(&odbc.connection, &tables);
        record.query_source = Some(recorded);
        query_metadata = Some(value);
    }
    let record = record;

    let mut metadata = DatasetMetadata {
        sources: record.source_files.clone(),
        ..Default::default()
    };
    if let Some(user) = backend.user() {
        metadata
            .fields
            .insert("registered_by".into(), serde_json::json!(user));
    }
    if let Some(value) = query_metadata {
        metadata.fields.insert(QUERY_METADATA_KEY.into(), value);
    }
    if let Some(partitioning) = &partitioning {
        metadata.fields.insert(
            "partitioning".into(),
            serde_json::json!({ plans[0].source.table.as_str(): partitioning }),
        );
    }
    if let Some(duplicates) = duplicates {
        metadata.fields.insert(
            "duplicates".into(),
            serde_json::json!({ plans[0].source.table.as_str(): duplicates }),
        );
    }
    for (plan, stats) in plans.iter().zip(&statistics) {
        let columns = plan
            .columns
            .iter()
            .zip(&plan.original_names)
            .zip(stats)
            .map(|((column, original), stats)| ColumnInfo {
                name: column.name.clone(),
                original_name: (original != &column.name).then(|| original.clone()),
                column_type: column.column_type,
                kind: column_kind(column, stats, options, &id_columns, cap as u64),
            })
            .collect();
        metadata.tables.push(TableInfo {
            name: plan.source.table.clone(),
            rows: plan.rows,
            columns,
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
    // A folder of differently named files has no train table to learn from.
    if generate_features && metadata.table("train").is_none() {
        ui.message("features: none generated (the dataset has no train table)");
    } else if generate_features {
        let set = super::features::generate(
            store,
            &metadata,
            &record,
            settings,
            (&custom_features, custom_file.as_deref()),
            false,
            ui,
        )?;
        report_features(&set, ui);
        metadata.fields.insert(
            features::METADATA_KEY.into(),
            serde_json::to_value(&set).map_err(|e| Error::General(e.to_string()))?,
        );
    }
    let mut indexed: Vec<(String, Vec<String>)> = metadata
        .tables
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.columns.iter().map(|c| c.name.clone()).collect(),
            )
        })
        .collect();
    if let Ok(Some(set)) = FeatureSet::from_metadata(&metadata) {
        for table in &set.tables {
            // A feature table starts with its source table's columns.
            if let Some(source) = metadata.table(&table.source) {
                let columns = source.columns.iter().map(|c| c.name.clone()).collect();
                indexed.push((table.name.clone(), columns));
            }
        }
    }
    super::index_id_columns(store, &indexed, &record.annotations.id_columns)?;
    metadata::save(store, &metadata)?;
    interrupt::check()?;
    store.finish_load()?;
    staged.describe(&record)?;
    staged.publish(&mut || catalog.write(&record))?;
    if let Some(target) = implied_target {
        ui.message(&format!(
            "target: '{target}' (the sample submission's column that is in train but not in test; give --target to choose another)"
        ));
    }
    ui.message(&format!(
        "registered '{}': {} ({} rows) in {}",
        record.name,
        record
            .tables
            .iter()
            .map(|t| format!("{} {}", t.name, t.rows))
            .collect::<Vec<_>>()
            .join(", "),
        record.total_rows(),
        record.location.describe()
    ));
    Ok(Outcome::Registered(Box::new(record)))
}

/// The `_metadata` key recording the ODBC source a dataset was read from.
pub const QUERY_METADATA_KEY: &str = "query_source";

/// The `_metadata` key recording how each source file was read.
pub const INGEST_METADATA_KEY: &str = "ingest";

/// What was detected (or forced) in a file and where its rows went.
fn describe_read(plan: &TablePlan) -> serde_json::Value {
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

fn column_kind(
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

/// The sources of `--train FILE --test FILE ...`: each a data file (plain,
/// compressed, or a zip holding one), read as the table it was given for.
fn named_sources(
    files: &[(String, PathBuf)],
    workspace: &mut ingest::archive::Workspace,
) -> Result<Vec<ingest::SourceFile>> {
    let mut sources = Vec::with_capacity(files.len());
    for (table, file) in files {
        if !file.is_file() {
            return Err(Error::InvalidArgument(format!(
                "--{table}: {} is not a file",
                file.display()
            )));
        }
        let root = ingest::unpack_root(file, workspace)?;
        let mut found = ingest::discover(&root)?;
        if found.len() != 1 {
            return Err(Error::InvalidArgument(format!(
                "--{table}: {} holds {} data files; give one file per table",
                file.display(),
                found.len()
            )));
        }
        let mut source = found.remove(0);
        source.table = table.clone();
        source.origin = file.clone();
        sources.push(source);
    }
    Ok(sources)
}

/// The columns the modeller named (`--time-column` and the like) with
/// their flags.
fn roles_of(options: &RegisterOptions) -> Vec<(&'static str, String)> {
    [
        ("--time-column", &options.time_column),
        ("--group-column", &options.group_column),
        ("--stratify-column", &options.stratify_column),
    ]
    .into_iter()
    .filter_map(|(flag, column)| column.clone().map(|c| (flag, c)))
    .chain(
        options
            .ignore_columns
            .iter()
            .map(|c| ("--ignore-columns", c.clone())),
    )
    .collect()
}

/// Every named column exists in train (test may lack them); ignored
/// columns are not the target, an ID column or another role.
fn check_roles(
    plans: &[TablePlan],
    roles: &[(&'static str, String)],
    options: &RegisterOptions,
) -> Result<()> {
    let train = &plans[0];
    for (flag, column) in roles {
        if !train.columns.iter().any(|c| &c.name == column) {
            let available: Vec<&str> = train.columns.iter().map(|c| c.name.as_str()).collect();
            return Err(Error::InvalidArgument(format!(
                "{flag}: column '{column}' not found in {} (columns: {})",
                train.source.path.display(),
                available.join(", ")
            )));
        }
    }
    for ignored in &options.ignore_columns {
        let clash = if options.is_target(ignored) {
            Some("--target")
        } else if options.id_columns.contains(ignored) {
            Some("--id-columns")
        } else {
            roles
                .iter()
                .find(|(flag, column)| *flag != "--ignore-columns" && column == ignored)
                .map(|(flag, _)| *flag)
        };
        if let Some(flag) = clash {
            return Err(Error::InvalidArgument(format!(
                "--ignore-columns: column '{ignored}' is also given to {flag}; an ignored column has no role"
            )));
        }
    }
    Ok(())
}

/// The `--datetime-columns` to force, with the time column added when it
/// was read as text (its values must then parse as dates or timestamps);
/// a time column of numbers or booleans is refused.
fn with_time_column(
    plans: &[TablePlan],
    options: &RegisterOptions,
    ui: &Ui,
) -> Result<Vec<String>> {
    let mut datetime_columns = options.datetime_columns.clone();
    let Some(time) = &options.time_column else {
        return Ok(datetime_columns);
    };
    let column = plans[0]
        .columns
        .iter()
        .find(|c| &c.name == time)
        .expect("checked by check_roles");
    let forced = options.column_types.get(time).copied();
    match forced.unwrap_or(column.column_type) {
        ColumnType::Date | ColumnType::Datetime => {}
        ColumnType::Text if !datetime_columns.contains(time) => {
            ui.message(&format!(
                "--time-column: '{time}' was read as text; storing it as timestamps (every value must parse as one)"
            ));
            datetime_columns.push(time.clone());
        }
        ColumnType::Text => {}
        other => {
            return Err(Error::InvalidArgument(format!(
                "--time-column: column '{time}' holds {} values; a time column holds dates or timestamps",
                other.as_str()
            )))
        }
    }
    Ok(datetime_columns)
}

fn source_record(plan: &TablePlan) -> SourceRecord {
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

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Whether the train table of `plan` gets the row key: always, unless the
/// source has a column of that name already.
fn has_row_key(plan: &TablePlan) -> bool {
    plan.source.table == "train"
        && !plan
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(crate::dialect::ROW_KEY))
}
