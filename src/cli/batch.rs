//! `mdm batch export|stats|remove`: one command over many datasets, named
//! in a comma-separated list of names and globs (`"sales_*,titanic"`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::export::{report_export, ExportFormatOpt};
use super::parse_choice;
use super::stats::render_stats;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::ops::export::{self, ExportOptions};
use crate::ops::filter::select;
use crate::ops::remove;
use crate::ops::search::resolve_datasets;
use crate::ops::stats::{self, StatsOptions, StatsReport};
use crate::ui::{self, Table, Ui};

choice!(
    /// Output of `batch stats`.
    BatchFormat { Table => "table", Json => "json" }
);

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Export several datasets, each into OUTPUT_DIR/NAME/.
    Export(BatchExportOpt),
    /// Statistics of every table of several datasets.
    Stats(BatchStatsOpt),
    /// Remove several datasets.
    Remove(BatchRemoveOpt),
}

/// The datasets a batch command works on.
#[derive(Debug, Args)]
pub struct DatasetsOpt {
    /// Dataset names and globs, separated by spaces or commas, e.g. "sales_*,titanic"
    /// (all datasets when only --filter is given).
    #[arg(required_unless_present = "filter")]
    pub datasets: Vec<String>,
    /// Only those passing EXPR (the syntax of `dataset list --filter`).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
}

impl DatasetsOpt {
    /// The datasets named, narrowed by the filter.
    fn records(&self, settings: &Settings) -> Result<Vec<crate::backend::record::DatasetRecord>> {
        select(
            settings,
            resolve_datasets(
                settings,
                &if self.datasets.is_empty() {
                    "*".to_string()
                } else {
                    self.datasets.join(",")
                },
            )?,
            self.filter.as_deref(),
        )
    }
}

#[derive(Debug, Args)]
pub struct BatchExportOpt {
    #[command(flatten)]
    pub datasets: DatasetsOpt,
    #[command(flatten)]
    pub format: ExportFormatOpt,
    /// Parent directory of the per-dataset export directories.
    #[arg(long, default_value = ".", alias = "output")]
    pub output_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct BatchStatsOpt {
    #[command(flatten)]
    pub datasets: DatasetsOpt,
    /// Output format.
    #[arg(long, default_value = "table", value_parser = parse_choice::<BatchFormat>)]
    pub format: BatchFormat,
    /// Write the output to this file instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BatchRemoveOpt {
    #[command(flatten)]
    pub datasets: DatasetsOpt,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub force: bool,
    /// Show what would be removed, remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs one `mdm batch` command.
pub fn run(settings: &Settings, command: BatchCommand, ui: &Ui) -> Result<()> {
    match command {
        BatchCommand::Export(opt) => batch_export(settings, opt, ui),
        BatchCommand::Stats(opt) => batch_stats(settings, opt, ui),
        BatchCommand::Remove(opt) => batch_remove(settings, opt, ui),
    }
}

/// Runs `work` for each dataset, reporting failures and carrying on; the
/// first failure decides the exit code.
fn for_each<T>(
    names: &[String],
    ui: &Ui,
    mut work: impl FnMut(&str) -> Result<T>,
) -> Result<Vec<T>> {
    let mut done = Vec::new();
    let mut first_error: Option<Error> = None;
    for name in names {
        match work(name) {
            Ok(value) => done.push(value),
            Err(Error::Interrupted) => return Err(Error::Interrupted),
            Err(err) => {
                ui.warn(&format!("{name}: {err}"));
                first_error.get_or_insert(err);
            }
        }
    }
    match first_error {
        Some(err) if done.is_empty() => Err(err),
        Some(_) => Err(Error::General(format!(
            "{} of {} datasets failed (see the warnings above)",
            names.len() - done.len(),
            names.len()
        ))),
        None => Ok(done),
    }
}

fn batch_export(settings: &Settings, opt: BatchExportOpt, ui: &Ui) -> Result<()> {
    let BatchExportOpt {
        datasets,
        format:
            ExportFormatOpt {
                format,
                compression,
                force,
            },
        output_dir,
    } = opt;
    let names: Vec<String> = datasets
        .records(settings)?
        .into_iter()
        .map(|r| r.name)
        .collect();
    for_each(&names, ui, |name| {
        let options = ExportOptions {
            format,
            compression,
            output_dir: Some(output_dir.join(name)),
            force,
            ..Default::default()
        };
        let report = export::export(settings, name, &options, ui)?;
        report_export(&report, ui);
        Ok(())
    })?;
    Ok(())
}

fn batch_stats(settings: &Settings, opt: BatchStatsOpt, ui: &Ui) -> Result<()> {
    let BatchStatsOpt {
        datasets,
        format,
        output,
    } = opt;
    let records = datasets.records(settings)?;
    let names: Vec<String> = records.iter().map(|r| r.name.clone()).collect();
    let reports: Vec<Vec<StatsReport>> = for_each(&names, ui, |name| {
        let record = records.iter().find(|r| r.name == name).expect("resolved");
        record
            .tables
            .iter()
            .map(|table| {
                let options = StatsOptions {
                    table: table.name.clone(),
                    ..Default::default()
                };
                stats::stats(settings, name, &options)
            })
            .collect()
    })?;
    let reports: Vec<StatsReport> = reports.into_iter().flatten().collect();
    let text = match format {
        BatchFormat::Json => {
            let mut text = serde_json::to_string_pretty(&reports)
                .map_err(|e| Error::General(e.to_string()))?;
            text.push('\n');
            text
        }
        BatchFormat::Table => {
            let mut summary =
                Table::new(&["DATASET", "TABLE", "ROWS", "COLUMNS", "NUMERIC", "NULLS"])
                    .align_right(&[2, 3, 4, 5]);
            for report in &reports {
                summary.push(vec![
                    report.dataset.clone(),
                    report.table.clone(),
                    report.rows.to_string(),
                    report.columns.len().to_string(),
                    report
                        .columns
                        .iter()
                        .filter(|c| c.column_type.is_numeric())
                        .count()
                        .to_string(),
                    report
                        .columns
                        .iter()
                        .map(|c| c.statistics.nulls)
                        .sum::<u64>()
                        .to_string(),
                ]);
            }
            let mut text = summary.render();
            for report in &reports {
                text.push('\n');
                text.push_str(&render_stats(report, false));
            }
            text
        }
    };
    match output {
        Some(path) => {
            crate::catalog::write_atomically(&path, text.as_bytes())?;
            ui.message(&format!(
                "statistics of {} tables -> {}",
                reports.len(),
                path.display()
            ));
            Ok(())
        }
        None => ui::print(&text),
    }
}

fn batch_remove(settings: &Settings, opt: BatchRemoveOpt, ui: &Ui) -> Result<()> {
    let BatchRemoveOpt {
        datasets,
        force,
        dry_run,
    } = opt;
    let names: Vec<String> = datasets
        .records(settings)?
        .into_iter()
        .map(|r| r.name)
        .collect();
    if dry_run {
        let mut text = format!("would remove {} datasets:\n", names.len());
        for name in &names {
            let plan = remove::plan(settings, name)?;
            text.push_str(&format!("  {name} ({} rows)\n", plan.record.total_rows()));
        }
        return ui::print(&text);
    }
    if !force
        && settings.config.cli.confirm_destructive
        && std::io::IsTerminal::is_terminal(&std::io::stdin())
        && !ui::confirm(&format!(
            "Remove {} datasets ({}) and all their data?",
            names.len(),
            names.join(", ")
        ))
    {
        ui.message("cancelled; nothing removed");
        return Ok(());
    }
    for_each(&names, ui, |name| {
        let plan = remove::plan(settings, name)?;
        remove::execute(settings, &plan)?;
        ui.message(&format!("removed dataset '{name}'"));
        Ok(())
    })?;
    Ok(())
}
