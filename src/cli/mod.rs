//! The command line: the top-level clap tree, settings assembly (flags over
//! environment over `mdm.yaml` over defaults) and dispatch to one module per
//! command, each holding its clap struct, its conversion to the `ops`
//! options and its rendering. Helpers shared by several commands live here.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod access;
mod batch;
mod export;
mod features;
mod info;
mod list;
mod logfile;
mod logging;
mod query;
mod read;
pub mod register;
mod remove;
mod search;
mod split;
mod stats;
mod update;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::ui::Ui;

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
    Info(info::InfoOpt),
    /// Register, list, inspect, profile, search, update, export and remove datasets.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Export, profile or remove many datasets at once (names or globs).
    #[command(subcommand)]
    Batch(batch::BatchCommand),
}

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Register a CSV file, a compressed file or a Kaggle-style folder.
    Register(Box<register::RegisterOpt>),
    /// List the datasets of the current backend.
    List(list::ListOpt),
    /// Show a dataset's tables, target, columns and sources.
    Info(info::DatasetInfoOpt),
    /// Column statistics of one table (stored at registration, or recomputed).
    Stats(stats::StatsOpt),
    /// Find datasets by name or description pattern, tag, problem type and size.
    Search(search::SearchOpt),
    /// Change a dataset's description, target, problem type, tags or ID columns.
    Update(update::UpdateOpt),
    /// Write tables to CSV, JSON Lines or Parquet files.
    Export(export::ExportOpt),
    /// Run one read-only SQL statement on a dataset, whatever its backend.
    Query(query::QueryOpt),
    /// Validation folds (random, stratified, group or time) stored in the dataset as train_folds.
    Split(split::SplitOpt),
    /// Show the generated features, or regenerate them (--regenerate).
    Features(features::FeaturesOpt),
    /// Print the ODBC connection string (or an odbc.ini section) that BI tools use to read the dataset.
    Connection(info::ConnectionOpt),
    /// Delete a dataset and its database.
    Remove(remove::RemoveOpt),
    /// Let a PostgreSQL role read (or with --write, update) a dataset.
    Grant(access::GrantOpt),
    /// Take back a role's access to a dataset.
    Revoke(access::RevokeOpt),
}

/// A clap value parser for a closed word set (see `choice!`).
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
    logging::init(&settings, cli.verbose)?;
    if !cli.quiet {
        note_inert_keys(&settings);
    }
    crate::interrupt::install();
    let ui = Ui {
        quiet: cli.quiet,
        show_progress: settings.config.cli.show_progress,
    };
    match cli.command {
        Command::Info(opt) => info::system(&settings, opt),
        Command::Dataset(command) => dataset(&settings, command, &ui),
        Command::Batch(command) => batch::run(&settings, command, &ui),
    }
}

/// Runs one `mdm dataset` command.
fn dataset(settings: &Settings, command: DatasetCommand, ui: &Ui) -> Result<()> {
    match command {
        DatasetCommand::Register(opt) => register::run(settings, *opt, ui),
        DatasetCommand::List(opt) => list::run(settings, opt, ui),
        DatasetCommand::Info(opt) => info::dataset(settings, opt),
        DatasetCommand::Stats(opt) => stats::run(settings, opt),
        DatasetCommand::Search(opt) => search::run(settings, opt, ui),
        DatasetCommand::Update(opt) => update::run(settings, opt, ui),
        DatasetCommand::Export(opt) => export::run(settings, opt, ui),
        DatasetCommand::Query(opt) => query::run(settings, opt),
        DatasetCommand::Split(opt) => split::run(settings, opt, ui),
        DatasetCommand::Features(opt) => features::run(settings, opt, ui),
        DatasetCommand::Connection(opt) => info::connection(settings, opt),
        DatasetCommand::Remove(opt) => remove::run(settings, opt, ui),
        DatasetCommand::Grant(opt) => access::grant(settings, opt, ui),
        DatasetCommand::Revoke(opt) => access::revoke(settings, opt, ui),
    }
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

/// Splits comma-separated flag values, dropping blanks.
pub(crate) fn clean(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `2026-01-02T03:04:05.123456Z` as `2026-01-02 03:04:05` (UTC).
fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..19).unwrap_or(rfc3339).replace('T', " ")
}
