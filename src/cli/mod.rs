//! The command line: clap definitions, settings assembly (flags over
//! environment over `mdm.yaml` over defaults), and rendering of results.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod access;
mod batch;
mod explore;
mod logfile;
mod read;

use crate::backend::record::ProblemType;
use crate::config::{Backend, LogFormat, LogLevel, Settings};
use crate::error::{Error, Result};
use crate::features::FeatureSet;
use crate::ops::info::{self, DatasetInfo};
use crate::ops::list::{self, ListOptions, SortBy};
use crate::ops::register::{self, RegisterOptions};
use crate::ops::remove;
use crate::ui::{self, human_bytes, Table, Ui};

/// mdm — ML Data Manager: register, inspect and manage machine-learning datasets.
#[derive(Debug, Parser)]
#[command(name = "mdm", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file to use instead of $MDM_HOME/mdm.yaml (also MDM_CONFIG_PATH).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// No messages or progress bars on stderr (errors are still shown).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the version, configuration, home and backend in use.
    Info(InfoOpt),
    /// Register, list, inspect, profile, search, update, export and remove datasets.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Export, profile or remove many datasets at once (names or globs).
    #[command(subcommand)]
    Batch(batch::BatchCommand),
}

#[derive(Debug, Args)]
pub struct InfoOpt {
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Register a CSV file, a compressed file or a Kaggle-style folder.
    Register(Box<RegisterOpt>),
    /// List the datasets of the current backend.
    List(ListOpt),
    /// Show a dataset's tables, target, columns and sources.
    Info(DatasetInfoOpt),
    /// Column statistics of one table (stored at registration, or recomputed).
    Stats(explore::StatsOpt),
    /// Find datasets by name or description pattern, tag, problem type and size.
    Search(explore::SearchOpt),
    /// Change a dataset's description, target, problem type, tags or ID columns.
    Update(explore::UpdateOpt),
    /// Write tables to CSV, JSON Lines or Parquet files.
    Export(explore::ExportOpt),
    /// Show the generated features, or regenerate them (--regenerate).
    Features(FeaturesOpt),
    /// Print the ODBC connection string (or an odbc.ini section) that BI tools use to read the dataset.
    Connection(explore::ConnectionOpt),
    /// Delete a dataset and its database.
    Remove(RemoveOpt),
    /// Let a PostgreSQL role read (or with --write, update) a dataset.
    Grant(access::GrantOpt),
    /// Take back a role's access to a dataset.
    Revoke(access::RevokeOpt),
}

#[derive(Debug, Args)]
pub struct RegisterOpt {
    /// Dataset name: letters, digits, `_` and `-`, starting with a letter, at most 63 characters.
    pub name: String,
    /// A data file (CSV/TSV, JSON, Parquet, Excel; .gz/.zst/.bz2/.xz/.zip), a folder (train/test/validation/sample_submission, or one table per file) or a zipped folder.
    #[arg(required_unless_present = "odbc", conflicts_with = "odbc")]
    pub path: Option<PathBuf>,
    #[command(flatten)]
    pub odbc: OdbcSourceOpt,
    /// The column to predict; must exist in the train table.
    #[arg(long)]
    pub target: Option<String>,
    /// ID columns (comma-separated); detected from names and uniqueness when omitted.
    #[arg(long, value_delimiter = ',')]
    pub id_columns: Vec<String>,
    /// The task; inferred from the target when omitted.
    #[arg(long, value_parser = parse_choice::<ProblemType>)]
    pub problem_type: Option<ProblemType>,
    /// Tags (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Free-text description.
    #[arg(long)]
    pub description: Option<String>,
    /// Replace an existing dataset of the same name (only after the new one loaded).
    #[arg(long)]
    pub force: bool,
    /// Skip feature generation.
    #[arg(long)]
    pub no_features: bool,
    /// PostgreSQL: store train range-partitioned on this date, timestamp or numeric column
    /// (by month, or in equal ranges).
    #[arg(long, value_name = "COLUMN")]
    pub partition_by: Option<String>,
    /// Custom features (YAML) instead of the dataset's file under custom_features/.
    #[arg(long, value_name = "FILE", conflicts_with = "no_features")]
    pub features_file: Option<PathBuf>,
    /// Columns to treat as categorical (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub categorical_columns: Vec<String>,
    /// Columns to store as timestamps (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub datetime_columns: Vec<String>,
    /// Columns to store as numbers (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub numeric_columns: Vec<String>,
    /// Columns to store as text (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub text_columns: Vec<String>,
    /// The sheet of an Excel workbook to read (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Most bytes unpacked from zip archives and compressed files that must be unpacked (e.g. 64GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "64GiB")]
    pub max_unpacked_size: u64,
    /// Most unpacked bytes per compressed byte before an archive is refused as a bomb.
    #[arg(long, value_name = "RATIO", default_value_t = crate::ingest::archive::DEFAULT_MAX_RATIO)]
    pub max_unpack_ratio: u64,
    /// Print the registered dataset's record as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: read::ReadOpt,
}

/// Reading the tables from an ODBC data source instead of files.
#[derive(Debug, Args)]
pub struct OdbcSourceOpt {
    /// An ODBC data source: `DSN=warehouse` or a full connection string. A password may come from MDM_SOURCE_PASSWORD instead; it is never stored.
    #[arg(long, value_name = "CONNECTION", requires = "train_query")]
    pub odbc: Option<String>,
    /// The train table's SQL (`@file.sql` reads it from a file).
    #[arg(long, value_name = "SQL", group = "train_query", requires = "odbc")]
    pub query: Option<String>,
    /// Shorthand for --query 'SELECT * FROM SCHEMA.TABLE'.
    #[arg(
        long,
        value_name = "SCHEMA.TABLE",
        group = "train_query",
        requires = "odbc"
    )]
    pub table: Option<String>,
    /// The test table's SQL (`@file.sql` reads it from a file).
    #[arg(long, value_name = "SQL", requires = "odbc")]
    pub test_query: Option<String>,
    /// The validation table's SQL (`@file.sql` reads it from a file).
    #[arg(long, value_name = "SQL", requires = "odbc")]
    pub validation_query: Option<String>,
    /// The submission table's SQL (`@file.sql` reads it from a file).
    #[arg(long, value_name = "SQL", requires = "odbc")]
    pub submission_query: Option<String>,
}

impl OdbcSourceOpt {
    /// The source asked for, if any, with every query read.
    fn source(self) -> Result<Option<crate::ingest::query::OdbcSource>> {
        use crate::ingest::query;
        let OdbcSourceOpt {
            odbc,
            query: train_query,
            table,
            test_query,
            validation_query,
            submission_query,
        } = self;
        let Some(connection) = odbc else {
            return Ok(None);
        };
        let train = match (train_query, table) {
            (Some(sql), _) => query::query_text("--query", &sql)?,
            (None, Some(table)) => query::table_query(&table)?,
            (None, None) => {
                return Err(Error::InvalidArgument(
                    "--odbc needs --query SQL or --table NAME".into(),
                ))
            }
        };
        let mut queries = vec![("train".to_string(), train)];
        for (flag, table, sql) in [
            ("--test-query", "test", test_query),
            ("--validation-query", "validation", validation_query),
            ("--submission-query", "submission", submission_query),
        ] {
            if let Some(sql) = sql {
                queries.push((table.to_string(), query::query_text(flag, &sql)?));
            }
        }
        Ok(Some(query::OdbcSource {
            connection: query::connection_with_environment(&connection),
            queries,
        }))
    }
}

/// `123`, `10MB`, `64GiB` -> bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 500MB, 64GiB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("`{text}`: unknown unit (use B, KB, MB, GB or TB)")),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[derive(Debug, Args)]
pub struct ListOpt {
    /// Show at most this many datasets.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Sort order.
    #[arg(long, default_value = "name", value_parser = parse_choice::<SortBy>)]
    pub sort_by: SortBy,
    /// Reverse the order.
    #[arg(long)]
    pub reverse: bool,
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Include datasets of every backend.
    #[arg(long)]
    pub all_backends: bool,
    /// Only datasets of this backend.
    #[arg(long, value_parser = parse_choice::<Backend>)]
    pub filter_backend: Option<Backend>,
}

#[derive(Debug, Args)]
pub struct FeaturesOpt {
    pub name: String,
    /// Recompute the feature tables from the current configuration, target and custom features.
    #[arg(long)]
    pub regenerate: bool,
    /// Custom features (YAML) instead of the dataset's file under custom_features/.
    #[arg(long, value_name = "FILE", requires = "regenerate")]
    pub features_file: Option<PathBuf>,
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DatasetInfoOpt {
    pub name: String,
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also list every column with its type, kind and statistics.
    #[arg(long)]
    pub show_columns: bool,
    /// Also list the generated features with their transformer and source column.
    #[arg(long)]
    pub show_features: bool,
}

#[derive(Debug, Args)]
pub struct RemoveOpt {
    pub name: String,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub force: bool,
    /// Show what would be deleted, delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub(crate) fn parse_choice<T: std::str::FromStr<Err = String>>(
    text: &str,
) -> std::result::Result<T, String> {
    text.parse()
}

/// Runs mdm with the process arguments; returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) | Err(Error::BrokenPipe) => 0,
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    }
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    init_logging(&settings, cli.verbose)?;
    if !cli.quiet {
        note_inert_keys(&settings);
    }
    crate::interrupt::install();
    let ui = Ui {
        quiet: cli.quiet,
        show_progress: settings.config.cli.show_progress,
    };
    match cli.command {
        Command::Info(opt) => system_info(&settings, opt),
        Command::Dataset(DatasetCommand::Register(opt)) => register_dataset(&settings, *opt, &ui),
        Command::Dataset(DatasetCommand::List(opt)) => list_datasets(&settings, opt, &ui),
        Command::Dataset(DatasetCommand::Info(opt)) => dataset_info(&settings, opt),
        Command::Dataset(DatasetCommand::Remove(opt)) => remove_dataset(&settings, opt, &ui),
        Command::Dataset(DatasetCommand::Stats(opt)) => explore::stats(&settings, opt),
        Command::Dataset(DatasetCommand::Search(opt)) => explore::search(&settings, opt, &ui),
        Command::Dataset(DatasetCommand::Update(opt)) => explore::update(&settings, opt, &ui),
        Command::Dataset(DatasetCommand::Export(opt)) => explore::export(&settings, opt, &ui),
        Command::Dataset(DatasetCommand::Connection(opt)) => explore::connection(&settings, opt),
        Command::Dataset(DatasetCommand::Features(opt)) => dataset_features(&settings, opt, &ui),
        Command::Dataset(DatasetCommand::Grant(opt)) => access::grant(&settings, opt, &ui),
        Command::Dataset(DatasetCommand::Revoke(opt)) => access::revoke(&settings, opt, &ui),
        Command::Batch(command) => batch::run(&settings, command, &ui),
    }
}

fn init_logging(settings: &Settings, verbose: u8) -> Result<()> {
    let configured = match settings.config.logging.level {
        LogLevel::Error => log::LevelFilter::Error,
        LogLevel::Warning => log::LevelFilter::Warn,
        LogLevel::Info => log::LevelFilter::Info,
        LogLevel::Debug => log::LevelFilter::Debug,
        LogLevel::Trace => log::LevelFilter::Trace,
    };
    let level = match verbose {
        0 => configured,
        1 => configured.max(log::LevelFilter::Info),
        2 => configured.max(log::LevelFilter::Debug),
        _ => log::LevelFilter::Trace,
    };
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level).format_timestamp_secs();
    // ODBC diagnostics (driver-manager version notices, truncation warnings
    // that mdm handles itself) are noise below debug level.
    if level < log::LevelFilter::Debug {
        builder.filter_module("odbc_api", log::LevelFilter::Error);
    }
    let logging = &settings.config.logging;
    let echo = settings.config.database.sqlalchemy.echo;
    crate::store::set_echo(echo);
    if echo {
        builder.filter_module("mdm::sql", log::LevelFilter::Info.max(level));
    }
    if logging.format == LogFormat::Json {
        builder.format(|out, record| {
            use std::io::Write;
            let line = serde_json::json!({
                "time": crate::time::now_rfc3339(),
                "level": record.level().as_str(),
                "target": record.target(),
                "message": record.args().to_string(),
            });
            writeln!(out, "{line}")
        });
    }
    if let Some(file) = &logging.file {
        let logs = settings.logs_path();
        std::fs::create_dir_all(&logs).map_err(|e| Error::io(&logs, "create directory", e))?;
        let target =
            logfile::RotatingLog::open(&logs.join(file), logging.max_bytes, logging.backup_count)?;
        builder.target(env_logger::Target::Pipe(Box::new(target)));
    }
    let _ = builder.try_init();
    Ok(())
}

/// Names the original MDM's keys that have no effect, on one line, once
/// for each version of the configuration file (`mdm info` always lists
/// them).
fn note_inert_keys(settings: &Settings) {
    use std::os::unix::fs::MetadataExt;
    if settings.inert_keys.is_empty() {
        return;
    }
    let Ok(file) = std::fs::metadata(&settings.config_file) else {
        return;
    };
    let stamp = format!(
        "{} {} {}\n",
        settings.config_file.display(),
        file.len(),
        file.mtime_nsec() + file.mtime() * 1_000_000_000
    );
    let seen = settings.home.join(".config-noted");
    if std::fs::read_to_string(&seen).is_ok_and(|old| old == stamp) {
        return;
    }
    eprintln!(
        "note: {}: keys without effect in mdm: {}",
        settings.config_file.display(),
        settings.inert_keys.join("; ")
    );
    let _ = crate::catalog::write_atomically(&seen, stamp.as_bytes());
}

fn system_info(settings: &Settings, opt: InfoOpt) -> Result<()> {
    let InfoOpt { json } = opt;
    let info = info::system_info(settings)?;
    if json {
        return ui::print_json(&info);
    }
    let mut text = format!(
        "mdm {}\n\
         config file:    {}\n\
         home:           {}\n\
         backend:        {}\n\
         datasets path:  {}\n\
         configs path:   {}\n\
         datasets:       {} ({} in other backends)\n\
         odbc support:   {}\n",
        info.version,
        info.config_file,
        info.home,
        info.backend,
        info.datasets_path,
        info.configs_path,
        info.datasets,
        info.datasets_other_backends,
        if info.odbc_support {
            "yes"
        } else {
            "no (embedded SQLite only)"
        },
    );
    text.push_str("settings:\n");
    for (key, value) in &info.settings {
        text.push_str(&format!("  {key}: {value}\n"));
    }
    if !info.keys_without_effect.is_empty() {
        text.push_str("keys without effect in mdm:\n");
        for key in &info.keys_without_effect {
            text.push_str(&format!("  {key}\n"));
        }
    }
    if info.environment.is_empty() {
        text.push_str("environment:    no MDM_* variables set\n");
    } else {
        text.push_str("environment:\n");
        for (key, value) in &info.environment {
            text.push_str(&format!("  {key}={value}\n"));
        }
    }
    ui::print(&text)
}

fn register_dataset(settings: &Settings, opt: RegisterOpt, ui: &Ui) -> Result<()> {
    let RegisterOpt {
        name,
        path,
        odbc,
        target,
        id_columns,
        problem_type,
        tags,
        description,
        force,
        no_features,
        partition_by,
        features_file,
        categorical_columns,
        datetime_columns,
        numeric_columns,
        text_columns,
        sheet,
        max_unpacked_size,
        max_unpack_ratio,
        json,
        read,
    } = opt;
    let clean = |list: Vec<String>| -> Vec<String> {
        list.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let options = RegisterOptions {
        name,
        path: path.unwrap_or_default(),
        odbc: odbc.source()?,
        target,
        id_columns: clean(id_columns),
        problem_type,
        tags: clean(tags),
        description,
        force,
        categorical_columns: clean(categorical_columns),
        datetime_columns: clean(datetime_columns),
        numeric_columns: clean(numeric_columns),
        text_columns: clean(text_columns),
        column_types: Default::default(),
        no_features,
        partition_by,
        features_file,
        read: read.into(),
        ingest: crate::ingest::IngestOptions {
            sheet,
            limits: crate::ingest::archive::UnpackLimits {
                max_bytes: max_unpacked_size,
                max_ratio: max_unpack_ratio,
            },
        },
    };
    let record = register::register(settings, &options, ui)?;
    if json {
        ui::print_json(&record)?;
    }
    Ok(())
}

fn list_datasets(settings: &Settings, opt: ListOpt, ui: &Ui) -> Result<()> {
    let ListOpt {
        limit,
        sort_by,
        reverse,
        json,
        all_backends,
        filter_backend,
    } = opt;
    let options = ListOptions {
        sort_by,
        reverse,
        limit,
        all_backends,
        filter_backend,
    };
    let datasets = list::list(settings, &options)?;
    if json {
        return ui::print_json(&datasets);
    }
    if datasets.is_empty() {
        ui.message(&format!(
            "no datasets registered in the {} backend{}",
            filter_backend.unwrap_or(settings.backend()),
            if all_backends { " (or any other)" } else { "" }
        ));
        return Ok(());
    }
    ui::print(&dataset_table(&datasets))
}

/// The table of datasets shown by `list` and `search`.
pub(crate) fn dataset_table(datasets: &[list::ListedDataset]) -> String {
    let mut table =
        Table::new(&["NAME", "BACKEND", "TABLES", "ROWS", "SIZE", "CREATED"]).align_right(&[3, 4]);
    for dataset in datasets {
        let record = &dataset.record;
        let tables: Vec<&str> = record.tables.iter().map(|t| t.name.as_str()).collect();
        table.push(vec![
            record.name.clone(),
            record.backend.to_string(),
            tables.join(","),
            dataset.rows.to_string(),
            dataset.size_bytes.map_or_else(|| "-".into(), human_bytes),
            short_time(&record.created_at),
        ]);
    }
    table.render()
}

/// `2026-01-02T03:04:05.123456Z` as `2026-01-02 03:04:05` (UTC).
fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..19).unwrap_or(rfc3339).replace('T', " ")
}

fn dataset_info(settings: &Settings, opt: DatasetInfoOpt) -> Result<()> {
    let DatasetInfoOpt {
        name,
        json,
        show_columns,
        show_features,
    } = opt;
    let info = info::dataset_info(settings, &name)?;
    let features = FeatureSet::from_metadata(&info.metadata)?;
    if json {
        let mut value = serde_json::to_value(&info).map_err(|e| Error::General(e.to_string()))?;
        value["schema"] = serde_json::to_value(&info.metadata.tables).unwrap_or_default();
        value["ingest"] = info
            .metadata
            .fields
            .get("ingest")
            .cloned()
            .unwrap_or_default();
        if show_columns {
            value["statistics"] =
                serde_json::to_value(&info.metadata.statistics).unwrap_or_default();
        }
        if show_features {
            value["features"] = serde_json::to_value(&features).unwrap_or_default();
        }
        return ui::print_json(&value);
    }
    let mut text = render_info(&info, show_columns);
    match (&features, show_features) {
        (Some(set), true) => text.push_str(&format!("\n{}", render_features(set))),
        (Some(set), false) => text.push_str(&format!(
            "features:     {}\n",
            set.tables
                .iter()
                .map(|t| format!("{} ({} features)", t.name, t.features.len()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        (None, true) => {
            text.push_str("\nno features generated (mdm dataset features NAME --regenerate)\n")
        }
        (None, false) => {}
    }
    ui::print(&text)
}

fn dataset_features(settings: &Settings, opt: FeaturesOpt, ui: &Ui) -> Result<()> {
    let FeaturesOpt {
        name,
        regenerate,
        features_file,
        json,
    } = opt;
    let options = crate::ops::features::FeaturesOptions {
        regenerate,
        features_file,
    };
    let set = crate::ops::features::features(settings, &name, &options, ui)?;
    if json {
        return ui::print_json(&set);
    }
    match set {
        Some(set) => ui::print(&render_features(&set)),
        None => ui::print(&format!(
            "dataset '{name}' has no generated features; run mdm dataset features {name} --regenerate\n"
        )),
    }
}

/// The feature tables and the features of each.
fn render_features(set: &FeatureSet) -> String {
    let mut text = format!(
        "features generated {} ({} constant or empty dropped{}):\n",
        short_time(&set.generated_at),
        set.dropped.len(),
        set.custom_file
            .as_ref()
            .map(|f| format!(", custom features from {f}"))
            .unwrap_or_default()
    );
    for table in &set.tables {
        text.push_str(&format!(
            "\n{} ({} rows, {} features):\n",
            table.name,
            table.rows,
            table.features.len()
        ));
        let mut rows = Table::new(&["FEATURE", "TRANSFORMER", "SOURCE", "TYPE"]);
        for feature in &table.features {
            rows.push(vec![
                feature.name.clone(),
                feature.transformer.to_string(),
                feature.source.clone().unwrap_or_else(|| "-".into()),
                feature.column_type.as_str().into(),
            ]);
        }
        for row in rows.render().lines() {
            text.push_str(&format!("  {row}\n"));
        }
    }
    for note in &set.skipped {
        text.push_str(&format!("skipped: {note}\n"));
    }
    text
}

fn render_info(info: &DatasetInfo, show_columns: bool) -> String {
    let record = &info.record;
    let or_dash = |value: Option<&str>| value.unwrap_or("-").to_string();
    let list_or_dash = |values: &[String]| {
        if values.is_empty() {
            "-".into()
        } else {
            values.join(", ")
        }
    };
    let location = record.location.describe();
    let mut text = String::new();
    let mut line =
        |key: &str, value: String| text.push_str(&format!("{:<14}{value}\n", format!("{key}:")));
    line("name", record.name.clone());
    line("backend", record.backend.to_string());
    line("database", location);
    line(
        "size",
        info.size_bytes.map_or_else(|| "-".into(), human_bytes),
    );
    line(
        "problem type",
        or_dash(record.annotations.problem_type.map(|p| p.as_str())),
    );
    line("target", or_dash(record.annotations.target.as_deref()));
    line("id columns", list_or_dash(&record.annotations.id_columns));
    line("tags", list_or_dash(&record.annotations.tags));
    line(
        "description",
        or_dash(record.annotations.description.as_deref()),
    );
    line("created", short_time(&record.created_at));
    line("updated", short_time(&record.updated_at));
    if let Some(user) = &info.registered_by {
        line("registrant", user.clone());
    }
    if let Some(access) = &info.access {
        line("owner", access.owner.clone());
        line(
            "grants",
            if access.grants.is_empty() {
                "- (private)".into()
            } else {
                access
                    .grants
                    .iter()
                    .map(|(role, level)| format!("{role} ({level})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        );
    }
    line(
        "source",
        or_dash(record.source.as_ref().and_then(|p| p.to_str())),
    );
    text.push_str("tables:\n");
    let mut tables = Table::new(&["TABLE", "ROWS", "COLUMNS"]).align_right(&[1, 2]);
    for table in &record.tables {
        tables.push(vec![
            table.name.clone(),
            table.rows.to_string(),
            table.columns.to_string(),
        ]);
    }
    for row in tables.render().lines() {
        text.push_str(&format!("  {row}\n"));
    }
    text.push_str(&read::render_ingest(info.metadata.fields.get("ingest")));
    if show_columns {
        for table in &info.metadata.tables {
            text.push_str(&format!("\ncolumns of {}:\n", table.name));
            let stats = info.metadata.statistics.get(&table.name);
            let mut columns = Table::new(&[
                "COLUMN", "TYPE", "KIND", "NULLS", "DISTINCT", "MIN", "MAX", "MEAN",
            ])
            .align_right(&[3, 4, 5, 6, 7]);
            for column in &table.columns {
                let s = stats.and_then(|s| s.get(&column.name));
                let value = |v: Option<&serde_json::Value>| match v {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => "-".into(),
                };
                let name = match &column.original_name {
                    Some(original) => format!("{} (from {original:?})", column.name),
                    None => column.name.clone(),
                };
                columns.push(vec![
                    name,
                    column.column_type.as_str().into(),
                    column.kind.as_str().into(),
                    s.map_or("-".into(), |s| s.nulls.to_string()),
                    s.map_or("-".into(), |s| {
                        format!("{}{}", if s.distinct_exact { "" } else { "~" }, s.distinct)
                    }),
                    value(s.and_then(|s| s.min.as_ref())),
                    value(s.and_then(|s| s.max.as_ref())),
                    s.and_then(|s| s.mean)
                        .map_or("-".into(), |m| format!("{m:.4}")),
                ]);
            }
            for row in columns.render().lines() {
                text.push_str(&format!("  {row}\n"));
            }
        }
    }
    text
}

fn remove_dataset(settings: &Settings, opt: RemoveOpt, ui: &Ui) -> Result<()> {
    let RemoveOpt {
        name,
        force,
        dry_run,
    } = opt;
    let plan = remove::plan(settings, &name)?;
    if dry_run {
        let mut text = format!(
            "would remove dataset '{}' ({} rows):\n",
            name,
            plan.record.total_rows()
        );
        for path in &plan.paths {
            text.push_str(&format!("  {}\n", path));
        }
        return ui::print(&text);
    }
    if !force
        && settings.config.cli.confirm_destructive
        && std::io::IsTerminal::is_terminal(&std::io::stdin())
        && !ui::confirm(&format!("Remove dataset '{name}' and all its data?"))
    {
        ui.message("cancelled; nothing removed");
        return Ok(());
    }
    remove::execute(settings, &plan)?;
    ui.message(&format!("removed dataset '{name}'"));
    Ok(())
}
