//! `mdm dataset register`: two streaming passes over each source file (infer
//! the column types over the whole file, then load typed batches while
//! profiling), into a private staging directory that is published with a
//! rename once everything succeeded. The discovery YAML is written last.
//! This file orchestrates; the passes themselves are in [`crate::ingest`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::backend::record::{Annotations, DatasetRecord, ProblemType, SourceRecord, TableRecord};
use crate::backend::Lookup;
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::dialect::LoadShape;
use crate::error::{Error, Result};
use crate::features::{self, FeatureSet};
use crate::ingest;
use crate::ingest::batches::{parse_batches, Parsed, BATCHES_AHEAD};
use crate::ingest::dialect::ReadOptions;
use crate::ingest::plan::TablePlan;
use crate::ingest::roles::{self, detect_id_columns};
use crate::ingest::rows::{self, REJECTS_TABLE};
use crate::ingest::scan::infer_table;
use crate::ingest::schema::{apply_forced_types, check_columns, unify_types, ForcedTypes};
use crate::ingest::typed::ReaderKind;
use crate::interrupt;
use crate::metadata::{
    self, ColumnInfo, ColumnKind, DatasetMetadata, Sidecar, TableInfo, SIDECAR_SUFFIX,
};
use crate::model::name::validate_name;
use crate::model::{Batch, ColumnDef, ColumnType};
use crate::profile::{ColumnProfiler, ColumnStatistics};
use crate::store::Store;
use crate::ui::Ui;

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct RegisterOptions {
    pub name: String,
    pub path: PathBuf,
    pub target: Option<String>,
    pub id_columns: Vec<String>,
    pub problem_type: Option<ProblemType>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub force: bool,
    pub categorical_columns: Vec<String>,
    pub datetime_columns: Vec<String>,
    pub numeric_columns: Vec<String>,
    pub text_columns: Vec<String>,
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
}

/// Registers a dataset and returns its discovery record.
pub fn register(settings: &Settings, options: &RegisterOptions, ui: &Ui) -> Result<DatasetRecord> {
    validate_name(&options.name)?;
    let mut options = options.clone();
    // Zip archives are unpacked privately (removed when this returns).
    let mut workspace =
        ingest::archive::Workspace::new(&settings.datasets_path(), options.ingest.limits);
    let root = match &options.odbc {
        Some(_) => options.path.clone(),
        None => ingest::unpack_root(&options.path, &mut workspace)?,
    };
    let sidecar = match find_sidecar(&options.path)? {
        _ if options.odbc.is_some() => None,
        None if root != options.path => find_sidecar(&root)?,
        found => found,
    };
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

    let generate_features = !options.no_features && settings.config.feature_engineering.enabled;
    let (custom_file, custom_features) = if generate_features {
        features::custom::load(settings, &options.name, options.features_file.as_deref())?
    } else {
        (None, Vec::new())
    };
    let sources = match &options.odbc {
        Some(odbc) => odbc.sources(),
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
        let plan = infer_table(source, &options.read, bad_rows, ui)?;
        report_read(&plan, ui);
        plans.push(plan);
    }
    let implied;
    let implied_target =
        roles::implied_target(&plans, options.target.as_deref(), &options.id_columns);
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
    apply_forced_types(
        &mut plans,
        &ForcedTypes {
            column_types: &options.column_types,
            numeric_columns: &options.numeric_columns,
            datetime_columns: &options.datetime_columns,
            text_columns: &options.text_columns,
            categorical_columns: &options.categorical_columns,
        },
    )?;
    check_columns(&plans, options.target.as_deref(), &options.id_columns)?;
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
    if let Some(plan) = plans.iter().find(|p| p.columns.len() > limit) {
        return Err(Error::General(format!(
            "{}: line 1: {} columns; the {} backend stores at most {limit} columns in a table",
            plan.source.path.display(),
            plan.columns.len(),
            settings.backend()
        )));
    }
    if plans[0].source.reader.counts_rows_upfront() {
        check_min_rows(&plans[0], settings)?;
    }

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
    for plan in plans.iter_mut() {
        let (profiled, rows) =
            load_table(store, plan, settings.config.performance.batch_size, cap, ui)?;
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
    } else {
        Vec::new()
    };
    let problem_type = options.problem_type.or_else(|| {
        let target = options.target.as_deref()?;
        let index = plans[0].columns.iter().position(|c| c.name == target)?;
        Some(metadata::infer_problem_type(
            plans[0].columns[index].column_type,
            &statistics[0][index],
        ))
    });

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
            id_columns: id_columns.clone(),
            problem_type,
            tags: options.tags.clone(),
            description: options.description.clone(),
        },
        created_at,
        updated_at: now,
        source: options.odbc.is_none().then(|| absolute(&options.path)),
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
        let set = features::generate(
            store,
            &metadata,
            &features::Roles {
                target: record.annotations.target.as_deref(),
                id_columns: &record.annotations.id_columns,
                max_missing_ratio: settings.config.validation.max_missing_ratio,
            },
            &settings.config.feature_engineering,
            &custom_features,
            custom_file.as_deref(),
            false,
            settings.config.performance.batch_size,
            ui.progress_steps(features::STAGES, "features"),
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
    Ok(record)
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
    if options.target.as_deref() == Some(column.name.as_str()) {
        return ColumnKind::Target;
    }
    if named(id_columns) {
        return ColumnKind::Id;
    }
    if named(&options.categorical_columns) {
        return ColumnKind::Categorical;
    }
    if named(&options.text_columns) {
        return ColumnKind::Text;
    }
    metadata::natural_kind(column.column_type, stats, max_cardinality)
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

/// `validation.min_rows` over the train table.
fn check_min_rows(train: &TablePlan, settings: &Settings) -> Result<()> {
    let train_rows = train.rows;
    if train_rows < settings.config.validation.min_rows {
        return Err(Error::General(format!(
            "{}: the train table has {train_rows} rows; at least {} are required (validation.min_rows)",
            train.source.path.display(),
            settings.config.validation.min_rows
        )));
    }
    Ok(())
}

/// Refuses to overwrite without `--force`. Only the current backend's
/// datasets count: the same name in another backend is invisible here and
/// is never touched (the backend document's move is export, switch and
/// register under the same name).
fn check_existing(
    catalog: &Catalog,
    backend: &dyn crate::backend::Backend,
    options: &RegisterOptions,
) -> Result<Option<DatasetRecord>> {
    let existing = match catalog.lookup(&options.name)? {
        Lookup::Missing => return Ok(None),
        // One namespace per server: a dataset this user cannot even read
        // still holds its name.
        Lookup::Denied { owner } if options.force => {
            return Err(Error::PermissionDenied(format!(
                "dataset '{}' is owned by {owner}; ask them or a superuser",
                options.name
            )))
        }
        Lookup::Denied { owner } => {
            return Err(Error::AlreadyExists(format!(
                "dataset '{}' already exists on the {} server (owned by {owner})",
                options.name,
                catalog.backend()
            )))
        }
        Lookup::Present(existing) => *existing,
    };
    if existing.name != options.name {
        return Err(Error::AlreadyExists(format!(
            "dataset '{}' already exists in the {} backend; names differing only in case are not allowed",
            existing.name,
            catalog.backend()
        )));
    }
    if !options.force {
        return Err(Error::AlreadyExists(format!(
            "dataset '{}' already exists in the {} backend; use --force to replace it",
            existing.name,
            catalog.backend()
        )));
    }
    backend.check_writer(&existing, crate::backend::WriteScope::Tables)?;
    Ok(Some(existing))
}

/// What `validation.check_duplicates` and `drop_duplicates` found in
/// the train table.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
struct Duplicates {
    found: u64,
    removed: u64,
}

/// Counts (and with `validation.drop_duplicates` removes, keeping the first
/// of each) train rows that repeat an earlier row in every column; after a
/// removal the train table's statistics are computed again.
fn handle_duplicates(
    store: &mut dyn Store,
    train: &mut TablePlan,
    statistics: &mut Vec<ColumnStatistics>,
    settings: &Settings,
    cap: usize,
    ui: &Ui,
) -> Result<Option<Duplicates>> {
    let validation = &settings.config.validation;
    if !(validation.check_duplicates || validation.drop_duplicates) {
        return Ok(None);
    }
    let table = train.source.table.clone();
    let mut found = 0u64;
    let sql = store.dialect().count_duplicates(&table, &train.columns);
    store.query(&sql, &[], &mut |row| {
        found = row.first().and_then(|v| v.as_i64()).unwrap_or(0).max(0) as u64;
        Ok(())
    })?;
    let mut duplicates = Duplicates { found, removed: 0 };
    if found == 0 {
        ui.message(&format!("{table}: no duplicate rows"));
        return Ok(Some(duplicates));
    }
    if !validation.drop_duplicates {
        ui.message(&format!(
            "{table}: {found} rows repeat an earlier row (validation.check_duplicates; kept)"
        ));
        return Ok(Some(duplicates));
    }
    let sql = store.dialect().delete_duplicates(&table, &train.columns);
    store.execute(&sql, &[])?;
    duplicates.removed = found;
    train.rows -= found;
    let profiled = super::stats::profile_table(
        store,
        &table,
        &train.columns,
        settings.config.performance.batch_size,
        cap,
    )?;
    *statistics = train
        .columns
        .iter()
        .map(|c| profiled.get(&c.name).cloned().unwrap_or_default())
        .collect();
    ui.message(&format!(
        "{table}: {found} rows repeating an earlier row removed (validation.drop_duplicates)"
    ));
    Ok(Some(duplicates))
}

/// Pass 2: parse typed batches, profile them and append them to the store,
/// in one transaction per table; rows that do not fit go to `_rejects` in
/// the same transaction. Parsing and profiling run on their own thread, so
/// they overlap with the store's work (and a server's).
fn load_table(
    store: &mut dyn Store,
    plan: &TablePlan,
    batch_size: usize,
    cap: usize,
    ui: &Ui,
) -> Result<(Vec<ColumnProfiler>, u64)> {
    let table = &plan.source.table;
    let create = store.dialect().create_table(table, &plan.columns);
    store.execute(&create, &[])?;
    store.begin()?;
    let counter = Arc::new(AtomicU64::new(0));
    let bar = if plan.source.reader.counts_rows_upfront() {
        ui.progress(plan.format.size, &format!("load {table}"))
    } else {
        ui.progress_rows_unknown(&format!("load {table}"))
    };
    let mut loaded = 0u64;
    let reject_columns = rows::reject_columns();
    // Parsed batches waiting for the store; emptied ones come back for reuse.
    let (parsed_tx, parsed_rx) = std::sync::mpsc::sync_channel::<Parsed>(BATCHES_AHEAD);
    let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Batch>();
    let (appended, parsed) = std::thread::scope(|scope| {
        let reader_counter = counter.clone();
        let parser = scope.spawn(move || {
            parse_batches(plan, batch_size, cap, reader_counter, &parsed_tx, &spent_rx)
        });
        let mut appended = Ok(());
        for parsed in parsed_rx.iter() {
            appended = match &parsed {
                Parsed::Rows(batch) => store.append(table, &plan.columns, batch),
                Parsed::Rejects(batch) => store.append(REJECTS_TABLE, &reject_columns, batch),
            }
            .and_then(|()| interrupt::check());
            if appended.is_err() {
                break;
            }
            if let Parsed::Rows(mut batch) = parsed {
                loaded += batch.len() as u64;
                bar.set_position(counter.load(Ordering::Relaxed));
                batch.clear();
                let _ = spent_tx.send(batch);
            }
        }
        // Stops the parser if the store failed.
        drop(parsed_rx);
        let parsed = parser
            .join()
            .unwrap_or_else(|_| Err(Error::General("the CSV parser thread panicked".into())));
        (appended, parsed)
    });
    appended?;
    let profilers = parsed?;
    store.commit()?;
    bar.finish_and_clear();
    Ok((profilers, loaded))
}

/// One line on what was not read into a table, when anything was not.
fn report_read(plan: &TablePlan, ui: &Ui) {
    let layout = &plan.format.layout;
    let outcome = &plan.outcome;
    let mut parts = Vec::new();
    if layout.skip_rows > 0 {
        parts.push(format!(
            "skipped {} line(s) before the table",
            layout.skip_rows
        ));
    }
    if let Some(line) = outcome.ignored_from_line {
        parts.push(format!(
            "ignored lines from {line} on ({})",
            if outcome.more_tables {
                "another table; only the first is loaded"
            } else {
                "a footer"
            }
        ));
    }
    if outcome.rows_padded > 0 {
        parts.push(format!(
            "{} short row(s) padded with NULL",
            outcome.rows_padded
        ));
    }
    if outcome.rows_rejected > 0 {
        parts.push(format!(
            "{} row(s) kept in {REJECTS_TABLE}",
            outcome.rows_rejected
        ));
    }
    if !parts.is_empty() {
        ui.message(&format!(
            "{}: {}",
            plan.source.path.display(),
            parts.join("; ")
        ));
    }
}

/// One line on what feature generation made.
pub fn report_features(set: &FeatureSet, ui: &Ui) {
    let count = set.tables.first().map_or(0, |t| t.features.len());
    let tables: Vec<&str> = set.tables.iter().map(|t| t.name.as_str()).collect();
    ui.message(&format!(
        "features: {count} generated into {}; {} constant or empty dropped{}",
        if tables.is_empty() {
            "-".to_string()
        } else {
            tables.join(", ")
        },
        set.dropped.len(),
        if set.skipped.is_empty() {
            String::new()
        } else {
            format!(
                "; {} skipped ({})",
                set.skipped.len(),
                set.skipped.join("; ")
            )
        }
    ));
}

/// The sidecar's `read:` keys, where no flag forced the same thing; a value
/// the flag would refuse is exit 2 naming the file and key.
fn apply_sidecar_read(
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
    Ok(())
}

/// Fills what the command line left open from an export's sidecar.
fn apply_sidecar(options: &mut RegisterOptions, sidecar: &Sidecar) {
    if options.target.is_none() {
        options.target = sidecar.annotations.target.clone();
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

/// The metadata sidecar of an export: the only `*_metadata.yaml` in a
/// folder, or the one next to a file that lists it.
fn find_sidecar(path: &Path) -> Result<Option<(PathBuf, Sidecar)>> {
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
