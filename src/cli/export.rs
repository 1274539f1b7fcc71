//! `mdm dataset export`: the clap structs (the format flags are shared with
//! `batch export`) and the report of what was written.

use std::path::PathBuf;

use clap::Args;

use super::{clean, parse_choice};
use crate::config::{Compression, ExportFormat, Settings};
use crate::error::Result;
use crate::ops::export::{self, ExportOptions, ExportReport};
use crate::ui::{self, Ui};

/// Options shared by `dataset export` and `batch export`.
#[derive(Debug, Args)]
pub struct ExportFormatOpt {
    /// File format (default: from --output's extension, else export.default_format).
    #[arg(long, value_parser = parse_choice::<ExportFormat>)]
    pub format: Option<ExportFormat>,
    /// Compression (default: from --output's extension, else export.compression).
    #[arg(long, value_parser = parse_choice::<Compression>)]
    pub compression: Option<Compression>,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ExportOpt {
    pub name: String,
    #[command(flatten)]
    pub format: ExportFormatOpt,
    /// Write one file (requires a single table: use --table); `-` writes to standard output.
    #[arg(long, conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,
    /// Write `{table}.{ext}` files into this directory (default: ./NAME).
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Only these tables (comma-separated; default all).
    #[arg(long, value_delimiter = ',')]
    pub table: Vec<String>,
    /// Only these columns (comma-separated; default all).
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Also write NAME_metadata.yaml next to an --output file (always written for directories).
    #[arg(long)]
    pub include_metadata: bool,
    /// Do not write NAME_metadata.yaml into the output directory.
    #[arg(long, conflicts_with = "include_metadata")]
    pub no_metadata: bool,
    /// Leave out the generated `{table}_features` tables (exported by default).
    #[arg(long)]
    pub no_include_features: bool,
    /// CSV without its header line (the metadata file records that, and the column names).
    #[arg(long)]
    pub no_header: bool,
    /// Write only NAME_metadata.yaml (schema, roles, rows), no table files.
    #[arg(long, conflicts_with = "no_metadata")]
    pub metadata_only: bool,
    /// CSV only: write each column as its source spelled it (`28/01/2018`, `1,234.50`)
    /// instead of ISO dates and plain numbers; NAME_metadata.yaml records the spellings,
    /// so registering the export reads the same values.
    #[arg(long)]
    pub source_format: bool,
    /// Print what was written as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Exports the dataset and reports the files written (stderr, or JSON on
/// stdout).
pub fn run(settings: &Settings, opt: ExportOpt, ui: &Ui) -> Result<()> {
    let ExportOpt {
        name,
        format:
            ExportFormatOpt {
                format,
                compression,
                force,
            },
        output,
        output_dir,
        table,
        columns,
        include_metadata,
        no_metadata,
        no_include_features,
        no_header,
        metadata_only,
        source_format,
        json,
    } = opt;
    let options = ExportOptions {
        format,
        compression,
        output,
        output_dir,
        tables: clean(table),
        columns: clean(columns),
        include_metadata,
        no_metadata,
        force,
        no_features: no_include_features,
        no_header,
        metadata_only,
        source_format,
    };
    let report = export::export(settings, &name, &options, ui)?;
    if json {
        return ui::print_json(&report);
    }
    report_export(&report, ui);
    Ok(())
}

/// Says on stderr what an export wrote.
pub(crate) fn report_export(report: &ExportReport, ui: &Ui) {
    for file in &report.files {
        ui.message(&format!(
            "exported {}.{}: {} rows -> {}",
            report.dataset,
            file.table,
            file.rows,
            file.path.display()
        ));
    }
    if let Some(path) = &report.metadata_file {
        ui.message(&format!("metadata -> {}", path.display()));
    }
}
