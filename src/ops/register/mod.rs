//! `mdm dataset register`: two streaming passes over each source file (infer
//! the column types over the whole file, then load typed batches while
//! profiling), into a private staging directory that is published with a
//! rename once everything succeeded. The discovery YAML is written last.
//! This file orchestrates; the passes themselves are in [`crate::ingest`].

mod checks;
mod describe;
mod duplicates;
mod load;
mod loading;
mod plan;
mod report;
mod sidecar;
mod sources;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::backend::record::{Annotations, DatasetRecord, ProblemType};
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::features;
use crate::ingest;
use crate::ingest::dialect::ReadOptions;
use crate::ingest::plan::TablePlan;
use crate::ingest::ReaderKind;
use crate::model::name::validate_name;
use crate::model::ColumnType;
use crate::ui::Ui;
use checks::check_existing;
use describe::{absolute, describe_dataset, describe_read, publish};
use loading::load_tables;
use plan::plan_tables;
use sources::{read_and_infer, resolve_sources};

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct RegisterOptions {
    pub name: String,
    pub path: PathBuf,
    pub target: Option<String>,
    /// Further targets (`--target y1,y2`: multilabel or multi-output
    /// regression), after `target`.
    pub extra_targets: Vec<String>,
    /// Folds to make once registered (an export's, from its sidecar).
    pub split: Option<crate::metadata::FoldSettings>,
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
/// The registration pipeline, in its named steps: resolve the sources,
/// read and infer each table, plan (roles, types and checks; a dry run
/// stops here), load into a staged database, describe (roles, record,
/// metadata), features, publish.
fn run(settings: &Settings, options: &RegisterOptions, ui: &Ui, dry_run: bool) -> Result<Outcome> {
    validate_name(&options.name)?;
    // Zip archives are unpacked privately (removed when this returns).
    let mut workspace =
        ingest::archive::Workspace::new(&settings.datasets_path(), options.ingest.limits);
    let resolved = resolve_sources(options, &mut workspace, ui)?;
    let options = &resolved.options;
    let backend = crate::backend::for_settings(settings)?;
    backend.check_name(&options.name)?;
    let catalog = Catalog::new(settings);
    let existing = check_existing(&catalog, backend.as_ref(), options)?;
    let generate_features = !options.no_features && settings.config.feature_engineering.enabled;
    let custom = if generate_features {
        features::custom::load(settings, &options.name, options.features_file.as_deref())?
    } else {
        (None, Vec::new())
    };
    let plans = read_and_infer(settings, &resolved, &mut workspace, ui)?;
    let (mut plans, planned) = plan_tables(settings, options, plans, ui)?;
    let options = &planned.options;
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
    let lock = super::DatasetLock::exclusive(settings, &options.name).map_err(|_| {
        Error::AlreadyExists(format!(
            "dataset '{}' is being registered or removed by another mdm process",
            options.name
        ))
    })?;
    backend.sweep();
    let mut staged = backend.stage(&options.name, options.force)?;
    let store = staged.store();
    let loaded = load_tables(store, &mut plans, options, settings, ui)?;
    let (record, mut metadata) = describe_dataset(
        store,
        backend.as_ref(),
        options,
        &plans,
        &loaded,
        existing.as_ref(),
        settings,
    )?;
    // A folder of differently named files has no train table to learn from.
    if generate_features && metadata.table("train").is_none() {
        ui.message("features: none generated (the dataset has no train table)");
    } else if generate_features {
        let (custom_file, custom_features) = &custom;
        let set = super::features::generate(
            store,
            &metadata,
            &record,
            settings,
            (custom_features, custom_file.as_deref()),
            false,
            ui,
        )?;
        super::features::report_features(&set, ui);
        metadata.fields.insert(
            features::METADATA_KEY.into(),
            serde_json::to_value(&set).map_err(|e| Error::General(e.to_string()))?,
        );
    }
    publish(store, &metadata, &record)?;
    staged.describe(&record)?;
    staged.publish(&mut || catalog.write(&record))?;
    drop(lock);
    if let Some(split) = &options.split {
        remake_folds(settings, &record.name, split, ui);
    }
    if let Some(target) = &planned.implied_target {
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

/// Whether the train table of `plan` gets the row key: always, unless the
/// source has a column of that name already.
fn has_row_key(plan: &TablePlan) -> bool {
    plan.source.table == "train"
        && !plan
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(crate::dialect::ROW_KEY))
}

/// Makes an export's folds again on the registered dataset (the same
/// settings over the same rows give the same folds); a failure leaves the
/// dataset registered without folds, and says so.
fn remake_folds(settings: &Settings, name: &str, split: &crate::metadata::FoldSettings, ui: &Ui) {
    let options = super::split::SplitOptions {
        folds: split.folds,
        by: split.by.parse().ok(),
        gap: split.gap,
        seed: split.seed,
    };
    match super::split::split(settings, name, &options) {
        Ok(folds) => ui.message(&format!(
            "{name}: {} folds by {} made again as exported, in {}",
            folds.settings.folds, folds.settings.by, folds.table
        )),
        Err(err) => ui.warn(&format!(
            "{name}: the exported folds were not made again: {err}"
        )),
    }
}
