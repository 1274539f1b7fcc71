//! `mdm dataset register`: two streaming passes over each source file (infer
//! the column types over the whole file, then load typed batches while
//! profiling), into a private staging directory that is published with a
//! rename once everything succeeded. The discovery YAML is written last.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::backend::record::{Annotations, DatasetRecord, ProblemType, SourceRecord, TableRecord};
use crate::backend::Lookup;
use crate::catalog::Catalog;
use crate::config::{BadRows, Settings};
use crate::error::{Error, Result};
use crate::features::{self, FeatureSet};
use crate::ingest::dialect::{Layout, ReadOptions};
use crate::ingest::infer::{classify, is_null_token, Inferred};
use crate::ingest::reader::{self, CsvFormat};
use crate::ingest::rows::{self, Fit, Outcome, REJECTS_TABLE};
use crate::ingest::sniff::is_decimal_comma;
use crate::ingest::typed::{self, ReaderKind};
use crate::ingest::{self, SourceFile};
use crate::interrupt;
use crate::metadata::{
    self, ColumnInfo, ColumnKind, DatasetMetadata, Sidecar, TableInfo, SIDECAR_SUFFIX,
};
use crate::model::name::{cut_name, distinct_name, validate_name, MAX_COLUMN_NAME_BYTES};
use crate::model::parse;
use crate::model::{Batch, ColumnData, ColumnDef, ColumnType};
use crate::profile::{ColumnProfiler, ColumnStatistics};
use crate::store::LoadShape;
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

/// One source file after the inference pass.
struct TablePlan {
    source: SourceFile,
    format: CsvFormat,
    /// Header as in the file (or generated names when it has none).
    original_names: Vec<String>,
    columns: Vec<ColumnDef>,
    rows: u64,
    /// Bytes of the longest record (a bound on any one value).
    widest_record: u64,
    /// Per column: numbers written with a decimal comma.
    decimal_comma: Vec<bool>,
    /// The line where the table ends (a footer or a further table).
    end_line: Option<u64>,
    bad_rows: BadRows,
    outcome: Outcome,
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
    let implied_target = submission_target(&plans, options);
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
    apply_forced_types(&mut plans, options)?;
    check_columns(&plans, options)?;
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

/// Rows of another width buffered at most while deciding whether they are
/// a footer (they end the file) or bad rows (a fitting row follows).
const MAX_FOOTER_ROWS: usize = 50;

/// A run of consecutive rows that do not fit the table.
#[derive(Default)]
struct IrregularRun {
    /// Line, field count and (in `pad` mode, for short rows) the fields.
    rows: Vec<(u64, usize, Option<csv::ByteRecord>)>,
    /// Rows in the run (more than `rows` once it is too long to buffer).
    count: u64,
    /// Every row holds at most a note in its first field.
    notes_only: bool,
    /// The run starts after blank or comment lines.
    after_gap: bool,
}

/// Pass 1: sniff the table and infer every column's type over the whole
/// file; decide where the table ends (a footer or a further table) and
/// which rows do not fit.
fn infer_table(
    source: SourceFile,
    read: &ReadOptions,
    bad_rows: BadRows,
    ui: &Ui,
) -> Result<TablePlan> {
    if source.reader != ReaderKind::Delimited {
        return infer_typed_table(source, ui);
    }
    let format = reader::sniff(&source.path, read)?;
    let layout = &format.layout;
    let offset = layout.skip_rows;
    let counter = Arc::new(AtomicU64::new(0));
    let bar = ui.progress(format.size, &format!("scan {}", source.table));
    let mut csv = reader::csv_reader(&format, counter.clone())?;
    let path = &source.path;
    let width = layout.width;
    let decimal_allowed = match read.decimal {
        Some(separator) => separator == b',',
        None => layout.dialect.delimiter != b',',
    };
    let mut record = csv::ByteRecord::new();
    let mut header: Vec<Vec<String>> = Vec::new();
    let mut types: Vec<Inferred> = vec![Inferred::Null; width];
    let mut comma = vec![false; width];
    let mut dot = vec![false; width];
    let mut outcome = Outcome::default();
    let mut widest_record = 0u64;
    let mut run = IrregularRun::default();
    let mut end_line: Option<u64> = None;
    let mut next_line = 1u64;
    let mut names: Vec<String> = Vec::new();
    // The line of the last record when its last field ends with a line
    // break (only an unclosed quote, or a quoted break, does that).
    let mut open_quote_line: Option<u64> = None;

    let mut infer =
        |record: &csv::ByteRecord, names: &[String], types: &mut Vec<Inferred>| -> Result<()> {
            if record.as_slice().contains(&0) {
                return Err(nul_error(path, record, names, offset));
            }
            for (index, field) in record.iter().enumerate().take(width) {
                let current = types[index];
                if current == Inferred::Text || is_null_token(field) {
                    continue;
                }
                let text = std::str::from_utf8(field)
                    .map_err(|_| utf8_error(path, record, &names[index], offset))?;
                let mut found = classify(text);
                if decimal_allowed {
                    if found == Inferred::Text && is_decimal_comma(text) {
                        found = Inferred::Float;
                        comma[index] = true;
                    } else if found == Inferred::Float && text.contains('.') {
                        dot[index] = true;
                    }
                }
                types[index] = current.join(found);
            }
            Ok(())
        };

    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => return Err(reader::csv_error(path, err)),
        }
        let start = rows::start_line(&record, csv.position().line());
        let line = start + offset;
        let after_gap = start > next_line && header.len() == layout.header_rows;
        if after_gap {
            outcome.note_skipped(next_line + offset, line);
        }
        next_line = csv.position().line();
        if header.len() < layout.header_rows {
            header.push(header_row(path, layout, &record, line)?);
            if header.len() == layout.header_rows {
                names = join_header(&header);
            }
            continue;
        }
        if names.is_empty() {
            names = (1..=width).map(|i| format!("column_{i}")).collect();
        }
        // The same header again after a gap: a second table starts.
        if after_gap && !header.is_empty() && run.count == 0 {
            let row: Vec<&[u8]> = record.iter().collect();
            if row.iter().zip(&header[0]).all(|(a, b)| *a == b.as_bytes())
                && row.len() >= header[0].len()
            {
                end_line = Some(line);
                outcome.more_tables = true;
                break;
            }
        }
        let last = record.iter().next_back().unwrap_or_default();
        open_quote_line = (last.ends_with(b"\n") || last.ends_with(b"\r")).then_some(line);
        match rows::fit(layout, &record) {
            Fit::Fits => {
                if run.count > 0 {
                    settle_run(path, width, bad_rows, &mut run, &mut outcome, &mut |r| {
                        infer(r, &names, &mut types)
                    })?;
                }
                outcome.rows_loaded += 1;
                widest_record = widest_record.max(record.as_slice().len() as u64);
                infer(&record, &names, &mut types)?;
            }
            fit => {
                if run.count == 0 {
                    run.notes_only = true;
                    run.after_gap = after_gap;
                }
                run.count += 1;
                run.notes_only &= is_footer_note(&record, types.first().copied());
                let keep = (bad_rows == BadRows::Pad && fit == Fit::Short).then(|| record.clone());
                if run.rows.len() < MAX_FOOTER_ROWS {
                    run.rows.push((line, record.len(), keep));
                } else if !run.after_gap {
                    // Too long for a footer: these are bad rows.
                    settle_run(path, width, bad_rows, &mut run, &mut outcome, &mut |r| {
                        infer(r, &names, &mut types)
                    })?;
                }
                widest_record = widest_record.max(record.as_slice().len() as u64);
            }
        }
        if outcome.rows_loaded.is_multiple_of(65_536) {
            interrupt::check()?;
            bar.set_position(counter.load(Ordering::Relaxed));
        }
    }
    bar.finish_and_clear();
    if header.len() < layout.header_rows && header.is_empty() {
        return Err(Error::General(format!(
            "{}: the file is empty",
            path.display()
        )));
    }
    if names.is_empty() {
        names = if header.is_empty() {
            (1..=width).map(|i| format!("column_{i}")).collect()
        } else {
            join_header(&header)
        };
    }
    // A run of rows of another width that ends the file is a footer when
    // it holds notes only, or a further table when it follows a gap.
    if run.count > 0 {
        if run.notes_only || run.after_gap {
            end_line = Some(run.rows[0].0);
            // Rows of one width (beyond a note) make a table; anything
            // else after the gap is a footer.
            let first_width = run.rows[0].1;
            outcome.more_tables = !run.notes_only
                && first_width > 1
                && run.count > 1
                && run.rows.iter().all(|r| r.1 == first_width);
            open_quote_line = None;
        } else if run.count as usize > run.rows.len() {
            return Err(Error::General(format!(
                "{}: line {}: {} rows of {} fields after a blank line, then rows of the table's {width}; give --skip-rows or --bad-rows skip",
                path.display(),
                run.rows[0].0,
                run.count,
                run.rows[0].1
            )));
        } else {
            settle_run(path, width, bad_rows, &mut run, &mut outcome, &mut |r| {
                infer(r, &names, &mut types)
            })?;
        }
    }
    outcome.ignored_from_line = end_line;
    // A quoted field that is never closed runs to the end of the file, so
    // the last field ends with the file's final line break but the file
    // does not end with a closing quote.
    if let Some(line) = open_quote_line {
        if !csv.get_ref().get_ref().ends_with_quote() {
            return Err(Error::General(format!(
                "{}: line {line}: a quoted field that starts in this record is never closed",
                path.display()
            )));
        }
    }
    let mut decimal_comma = vec![false; width];
    for index in 0..width {
        if comma[index] && types[index] == Inferred::Float {
            if dot[index] {
                // `1.5` and `1,5` in one column: neither reading is safe.
                types[index] = Inferred::Text;
            } else {
                decimal_comma[index] = true;
            }
        }
    }
    let names_stored = storage_names(&names);
    outcome.decimal_comma_columns = names_stored
        .iter()
        .zip(&decimal_comma)
        .filter(|(_, is)| **is)
        .map(|(n, _)| n.clone())
        .collect();
    let columns = names_stored
        .into_iter()
        .zip(&types)
        .map(|(name, inferred)| ColumnDef {
            name,
            column_type: inferred.column_type(),
        })
        .collect();
    Ok(TablePlan {
        source,
        rows: outcome.rows_loaded,
        format,
        original_names: names,
        columns,
        widest_record,
        decimal_comma,
        end_line,
        bad_rows,
        outcome,
    })
}

/// A row that can end the table as a footer: only a first field, which
/// is not a value of the first column (a truncated last row is one) or,
/// over a text column, a sentence of several words.
fn is_footer_note(record: &csv::ByteRecord, first_column: Option<Inferred>) -> bool {
    if !rows::is_note(record) {
        return false;
    }
    let Some(Ok(note)) = record.get(0).map(std::str::from_utf8) else {
        return false;
    };
    let note = note.trim();
    if note.is_empty() {
        return false;
    }
    match first_column.unwrap_or(Inferred::Null) {
        Inferred::Text | Inferred::Null => note.split_whitespace().count() >= 3,
        column => column.join(classify(note)) != column,
    }
}

/// Decides a run of rows that do not fit, now that a fitting row follows:
/// an error (the default), or rejected and padded rows.
fn settle_run(
    path: &Path,
    width: usize,
    bad_rows: BadRows,
    run: &mut IrregularRun,
    outcome: &mut Outcome,
    infer: &mut dyn FnMut(&csv::ByteRecord) -> Result<()>,
) -> Result<()> {
    let run = std::mem::take(run);
    if bad_rows == BadRows::Error {
        let (line, found, _) = run.rows[0];
        return Err(bad_row_error(path, line, width, found));
    }
    let buffered = run.rows.len() as u64;
    for (_, found, record) in run.rows {
        match record {
            Some(record) if found < width => {
                outcome.rows_padded += 1;
                outcome.rows_loaded += 1;
                infer(&record)?;
            }
            _ => outcome.rows_rejected += 1,
        }
    }
    // Rows beyond the buffer were never kept: only `skip`-able or long.
    outcome.rows_rejected += run.count - buffered;
    Ok(())
}

fn bad_row_error(path: &Path, line: u64, width: usize, found: usize) -> Error {
    Error::General(format!(
        "{}: line {line}: expected {width} fields like the first row, found {found}; --bad-rows skip keeps the other rows (this one goes to _rejects), --bad-rows pad fills short rows with NULL",
        path.display()
    ))
}

/// One header record as names, shaped to the table's width.
fn header_row(
    path: &Path,
    layout: &Layout,
    record: &csv::ByteRecord,
    line: u64,
) -> Result<Vec<String>> {
    let mut names = Vec::with_capacity(layout.width);
    if layout.unnamed_first_column {
        names.push(String::new());
    }
    for (index, field) in record.iter().enumerate() {
        let name = std::str::from_utf8(field).map_err(|_| {
            Error::General(format!(
                "{}: line {line}: header field {} is not valid UTF-8; give the file's encoding with --encoding",
                path.display(),
                index + 1
            ))
        })?;
        names.push(name.to_string());
    }
    while names.len() > layout.width && names.last().is_some_and(|n| n.is_empty()) {
        names.pop();
    }
    if names.len() != layout.width {
        return Err(Error::General(format!(
            "{}: line {line}: the header has {} names but the rows have {} fields; give --header-rows or --skip-rows",
            path.display(),
            names.len(),
            layout.width
        )));
    }
    Ok(names)
}

/// Header rows joined per column with a space (`weight` over `kg` is
/// `weight kg`); blank parts are left out.
fn join_header(rows: &[Vec<String>]) -> Vec<String> {
    let width = rows.first().map_or(0, Vec::len);
    (0..width)
        .map(|index| {
            rows.iter()
                .map(|row| row[index].trim())
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn nul_error(path: &Path, record: &csv::ByteRecord, names: &[String], offset: u64) -> Error {
    let column = record
        .iter()
        .position(|field| field.contains(&0))
        .and_then(|index| names.get(index))
        .map_or_else(String::new, |name| format!(", column '{name}'"));
    Error::General(format!(
        "{}: line {}{column}: contains a NUL byte (binary data is not CSV text)",
        path.display(),
        record.position().map_or(0, |p| p.line()) + offset
    ))
}

fn utf8_error(path: &Path, record: &csv::ByteRecord, column: &str, offset: u64) -> Error {
    Error::General(format!(
        "{}: line {}, column '{column}': invalid UTF-8; give the file's encoding with --encoding (e.g. --encoding windows-1252)",
        path.display(),
        record.position().map_or(0, |p| p.line()) + offset
    ))
}

/// Pass 1 for a typed source (Parquet, JSON, Excel): its reader gives the
/// names and types; nothing is inferred from text.
fn infer_typed_table(source: SourceFile, ui: &Ui) -> Result<TablePlan> {
    let size = match source.reader {
        ReaderKind::Query(_) => 0,
        _ => std::fs::metadata(&source.path)
            .map_err(|e| Error::io(&source.path, "read", e))?
            .len(),
    };
    let bar = ui.progress(size, &format!("scan {}", source.table));
    let scan = typed::scan(&source, Arc::default())?;
    bar.finish_and_clear();
    let names = storage_names(&scan.names);
    let columns = names
        .into_iter()
        .zip(&scan.types)
        .map(|(name, column_type)| ColumnDef {
            name,
            column_type: *column_type,
        })
        .collect();
    // A typed source has no delimited layout; the plan carries its size.
    let width = scan.names.len();
    let format = CsvFormat {
        path: source.path.clone(),
        layout: Layout::typed(width),
        compressed: false,
        size,
    };
    Ok(TablePlan {
        source,
        format,
        original_names: scan.names,
        columns,
        rows: scan.rows,
        widest_record: scan.widest,
        decimal_comma: vec![false; width],
        end_line: None,
        bad_rows: BadRows::Error,
        outcome: Outcome {
            rows_loaded: scan.rows,
            ..Outcome::default()
        },
    })
}

/// Pass 2 for a typed source: its reader fills the batches.
fn parse_typed_batches(
    plan: &TablePlan,
    batch_size: usize,
    cap: usize,
    counter: Arc<AtomicU64>,
    parsed: &std::sync::mpsc::SyncSender<Parsed>,
    spent: &std::sync::mpsc::Receiver<Batch>,
) -> Result<Vec<ColumnProfiler>> {
    let mut profilers: Vec<ColumnProfiler> = plan
        .columns
        .iter()
        .map(|c| ColumnProfiler::new(c.column_type, cap))
        .collect();
    let mut fresh = || {
        spent
            .try_recv()
            .unwrap_or_else(|_| Batch::new(&plan.columns, batch_size))
    };
    let mut emit = |batch: Batch| -> Result<bool> {
        for (profiler, column) in profilers.iter_mut().zip(&batch.columns) {
            profiler.update(column);
        }
        Ok(parsed.send(Parsed::Rows(batch)).is_ok())
    };
    let mut output = typed::Output::new(batch_size, &mut fresh, &mut emit);
    let rows = typed::read(&plan.source, &plan.columns, counter, &mut output)?;
    let stopped = output.is_stopped();
    drop(output);
    if !stopped && plan.source.reader.counts_rows_upfront() && rows != plan.rows {
        return Err(Error::General(format!(
            "{}: the file changed while it was being registered ({} rows, then {rows})",
            plan.source.path.display(),
            plan.rows
        )));
    }
    Ok(profilers)
}

/// The target implied by a Kaggle folder's sample submission, when none
/// was given.
fn submission_target(plans: &[TablePlan], options: &RegisterOptions) -> Option<String> {
    if options.target.is_some() {
        return None;
    }
    let names = |table: &str| -> Option<Vec<String>> {
        plans
            .iter()
            .find(|p| p.source.table == table)
            .map(|p| p.columns.iter().map(|c| c.name.clone()).collect())
    };
    let submission = names("submission")?;
    let test = names("test");
    ingest::submission_target(&names("train")?, test.as_deref(), &submission, &|name| {
        looks_like_id_name(name) || options.id_columns.iter().any(|c| c == name)
    })
}

/// Column names as stored: empty headers become `column_N`, longer names
/// are cut to [`MAX_COLUMN_NAME_BYTES`] (at a character boundary), and names
/// that collide (case-insensitively, as in SQL) get a `_2`, `_3`, ...
/// suffix. The originals are kept in the metadata.
fn storage_names(original: &[String]) -> Vec<String> {
    let mut taken = HashSet::new();
    original
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let base = if name.trim().is_empty() {
                format!("column_{}", index + 1)
            } else {
                cut_name(name, MAX_COLUMN_NAME_BYTES).to_string()
            };
            distinct_name(&base, &mut taken)
        })
        .collect()
}

/// A column present in several tables gets one type, the join of its
/// per-table types, so that train and test agree.
fn unify_types(plans: &mut [TablePlan]) {
    let mut joined: HashMap<String, Inferred> = HashMap::new();
    for plan in plans.iter() {
        for column in &plan.columns {
            let entry = joined.entry(column.name.clone()).or_insert(Inferred::Null);
            *entry = entry.join(Inferred::from(column.column_type));
        }
    }
    for plan in plans.iter_mut() {
        for column in &mut plan.columns {
            // All-null columns were stored as text; let the other tables decide.
            column.column_type = joined[&column.name].column_type();
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

/// Fills what the command line left open from an export's sidecar.
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

fn apply_forced_types(plans: &mut [TablePlan], options: &RegisterOptions) -> Result<()> {
    for plan in plans.iter_mut() {
        for column in &mut plan.columns {
            if let Some(forced) = options.column_types.get(&column.name) {
                column.column_type = *forced;
            }
        }
    }
    let groups: [(&str, &[String]); 4] = [
        ("--numeric-columns", &options.numeric_columns),
        ("--datetime-columns", &options.datetime_columns),
        ("--text-columns", &options.text_columns),
        ("--categorical-columns", &options.categorical_columns),
    ];
    for (flag, names) in groups {
        for name in names {
            let mut found = false;
            for plan in plans.iter_mut() {
                if let Some(column) = plan.columns.iter_mut().find(|c| &c.name == name) {
                    found = true;
                    column.column_type = match (flag, column.column_type) {
                        ("--numeric-columns", ColumnType::Integer) => ColumnType::Integer,
                        ("--numeric-columns", _) => ColumnType::Float,
                        ("--datetime-columns", ColumnType::Date) => ColumnType::Date,
                        ("--datetime-columns", _) => ColumnType::Datetime,
                        ("--text-columns", _) => ColumnType::Text,
                        (_, kept) => kept,
                    };
                }
            }
            if !found {
                return Err(unknown_column(flag, name, &plans[0]));
            }
        }
    }
    Ok(())
}

fn unknown_column(what: &str, name: &str, plan: &TablePlan) -> Error {
    let available: Vec<&str> = plan.columns.iter().map(|c| c.name.as_str()).collect();
    Error::InvalidArgument(format!(
        "{what}: column '{name}' not found in {} (columns: {})",
        plan.source.path.display(),
        available.join(", ")
    ))
}

/// The target and ID columns must exist in the train table.
fn check_columns(plans: &[TablePlan], options: &RegisterOptions) -> Result<()> {
    let train = &plans[0];
    let has = |name: &str| train.columns.iter().any(|c| c.name == name);
    if let Some(target) = &options.target {
        if !has(target) {
            return Err(unknown_column("--target", target, train));
        }
    }
    for id in &options.id_columns {
        if !has(id) {
            return Err(unknown_column("--id-columns", id, train));
        }
    }
    Ok(())
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

/// What the parser thread hands to the store.
enum Parsed {
    Rows(Batch),
    Rejects(Batch),
}

/// Batches parsed ahead of the one being stored.
const BATCHES_AHEAD: usize = 1;

/// Rejected rows per batch sent to `_rejects`.
const REJECTS_BATCH: usize = 1024;

/// Reads a table's file into typed batches, profiles each and sends it to
/// `parsed`. Returns the column profiles; stops early (with `Ok`) when the
/// receiving side has gone away after an error of its own.
fn parse_batches(
    plan: &TablePlan,
    batch_size: usize,
    cap: usize,
    counter: Arc<AtomicU64>,
    parsed: &std::sync::mpsc::SyncSender<Parsed>,
    spent: &std::sync::mpsc::Receiver<Batch>,
) -> Result<Vec<ColumnProfiler>> {
    if plan.source.reader != ReaderKind::Delimited {
        return parse_typed_batches(plan, batch_size, cap, counter, parsed, spent);
    }
    let mut profilers: Vec<ColumnProfiler> = plan
        .columns
        .iter()
        .map(|c| ColumnProfiler::new(c.column_type, cap))
        .collect();
    let fresh = || {
        spent
            .try_recv()
            .unwrap_or_else(|_| Batch::new(&plan.columns, batch_size))
    };
    let mut batch = fresh();
    let reject_columns = rows::reject_columns();
    let mut rejects = Batch::new(&reject_columns, 0);
    let path = &plan.source.path;
    let file = path.display().to_string();
    let layout = &plan.format.layout;
    let offset = layout.skip_rows;
    let width = layout.width;
    let any_decimal_comma = plan.decimal_comma.iter().any(|d| *d);
    let mut csv = reader::csv_reader(&plan.format, counter)?;
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    let mut header_rows = layout.header_rows;
    let mut comma_buffer = String::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => return Err(reader::csv_error(path, err)),
        }
        if header_rows > 0 {
            header_rows -= 1;
            continue;
        }
        let line = rows::start_line(&record, csv.position().line()) + offset;
        if plan.end_line.is_some_and(|end| line >= end) {
            break;
        }
        let fit = rows::fit(layout, &record);
        if fit == Fit::Long || (fit == Fit::Short && plan.bad_rows != BadRows::Pad) {
            let reason = format!("expected {width} fields, found {}", record.len());
            rows::push_reject(
                &mut rejects,
                &plan.source.table,
                &file,
                line,
                &rows::raw_text(layout, &record),
                &reason,
            );
            if rejects.len() >= REJECTS_BATCH
                && parsed
                    .send(Parsed::Rejects(std::mem::replace(
                        &mut rejects,
                        Batch::new(&reject_columns, 0),
                    )))
                    .is_err()
            {
                return Ok(profilers);
            }
            continue;
        }
        rows += 1;
        for (index, ((column, data), field)) in plan
            .columns
            .iter()
            .zip(batch.columns.iter_mut())
            .zip(record.iter())
            .enumerate()
        {
            let pushed = if any_decimal_comma && plan.decimal_comma[index] {
                comma_buffer.clear();
                comma_buffer.push_str(&String::from_utf8_lossy(field).replace(',', "."));
                push_field(data, comma_buffer.as_bytes())
            } else {
                push_field(data, field)
            };
            if !pushed {
                return Err(parse_error(path, &record, column, field, offset));
            }
        }
        // A padded short row: its missing fields are NULL.
        for data in batch.columns.iter_mut().skip(record.len()) {
            data.push_null();
        }
        if batch.len() >= batch_size {
            for (profiler, column) in profilers.iter_mut().zip(&batch.columns) {
                profiler.update(column);
            }
            if parsed
                .send(Parsed::Rows(std::mem::replace(&mut batch, fresh())))
                .is_err()
            {
                return Ok(profilers);
            }
        }
    }
    if rows != plan.rows {
        return Err(Error::General(format!(
            "{}: the file changed while it was being registered ({} rows, then {rows})",
            path.display(),
            plan.rows
        )));
    }
    if !batch.is_empty() {
        for (profiler, column) in profilers.iter_mut().zip(&batch.columns) {
            profiler.update(column);
        }
        let _ = parsed.send(Parsed::Rows(batch));
    }
    if !rejects.is_empty() {
        let _ = parsed.send(Parsed::Rejects(rejects));
    }
    Ok(profilers)
}

/// Parses one raw field into a typed column; false when it does not parse.
#[inline]
fn push_field(data: &mut ColumnData, field: &[u8]) -> bool {
    if is_null_token(field) {
        data.push_null();
        return true;
    }
    let Ok(text) = std::str::from_utf8(field) else {
        return false;
    };
    match data {
        ColumnData::Boolean(v) => parse::parse_boolean(text)
            .map(|x| v.push(Some(x)))
            .is_some(),
        ColumnData::Integer(v) => text.parse::<i64>().map(|x| v.push(Some(x))).is_ok(),
        ColumnData::Float(v) => parse::parse_float(text).map(|x| v.push(Some(x))).is_some(),
        ColumnData::Date(v) => crate::time::parse_date(text)
            .map(|x| v.push(Some(x)))
            .is_some(),
        ColumnData::Datetime(v) => parse::parse_timestamp(text)
            .map(|x| v.push(Some(x)))
            .is_some(),
        ColumnData::Text(v) => {
            v.push(Some(text));
            true
        }
    }
}

fn parse_error(
    path: &Path,
    record: &csv::ByteRecord,
    column: &ColumnDef,
    field: &[u8],
    offset: u64,
) -> Error {
    let line = record.position().map_or(0, |p| p.line()) + offset;
    let Ok(text) = std::str::from_utf8(field) else {
        return utf8_error(path, record, &column.name, offset);
    };
    let shown: String = text.chars().take(40).collect();
    Error::General(format!(
        "{}: line {line}, column '{}': `{shown}` is not a valid {} value",
        path.display(),
        column.name,
        column.column_type.as_str()
    ))
}

/// ID columns: named like an identifier (`id`, `*_id`, `*Id`, `id_*`,
/// `uuid`, `key`, `index`), never null, and unique (checked exactly in the
/// database after the distinct estimate says it may be).
fn detect_id_columns(
    store: &mut dyn Store,
    plan: &TablePlan,
    profilers: &[ColumnProfiler],
    statistics: &[ColumnStatistics],
    target: Option<&str>,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let columns = plan.columns.iter().zip(&plan.original_names);
    for ((column, original), (profiler, stats)) in columns.zip(profilers.iter().zip(statistics)) {
        if Some(column.name.as_str()) == target
            || !matches!(column.column_type, ColumnType::Integer | ColumnType::Text)
            || !looks_like_id_name(original)
            || stats.nulls > 0
            || stats.count == 0
            || (stats.distinct as f64) < 0.95 * stats.count as f64
        {
            continue;
        }
        if profiler.is_strictly_increasing() {
            ids.push(column.name.clone());
            continue;
        }
        let sql = store
            .dialect()
            .count_distinct(&plan.source.table, &column.name);
        let mut unique = false;
        store.query(&sql, &[], &mut |row| {
            unique = row.first().and_then(|v| v.as_i64()) == row.get(1).and_then(|v| v.as_i64());
            Ok(())
        })?;
        if unique {
            ids.push(column.name.clone());
        }
    }
    Ok(ids)
}

fn looks_like_id_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "id" | "uuid" | "guid" | "key" | "index")
        || lower.ends_with("_id")
        || lower.starts_with("id_")
        || name.ends_with("Id")
        || name.ends_with("ID")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_at_a_character_boundary_and_kept_distinct() {
        let long = "é".repeat(100);
        let names = storage_names(&[long.clone(), long.clone()]);
        assert!(
            names.iter().all(|n| n.len() <= MAX_COLUMN_NAME_BYTES),
            "{names:?}"
        );
        assert_eq!(names[0], "é".repeat(31));
        assert_eq!(names[1], format!("{}_2", "é".repeat(30)));
    }

    #[test]
    fn colliding_and_empty_headers_get_distinct_names() {
        let names = storage_names(&["a".into(), "A".into(), "".into(), "a_2".into()]);
        assert_eq!(names, ["a", "A_2", "column_3", "a_2_2"]);
    }

    #[test]
    fn identifier_names_are_recognised() {
        for name in ["id", "PassengerId", "user_id", "ID", "id_x", "uuid"] {
            assert!(looks_like_id_name(name), "{name}");
        }
        for name in ["Survived", "width", "valid", "Paid"] {
            assert!(!looks_like_id_name(name), "{name}");
        }
    }
}
