//! `mdm dataset export`: streams tables out of the store into CSV, JSON
//! Lines or Parquet files (optionally compressed), plus a metadata sidecar
//! that lets `register` rebuild the same dataset from the export.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::catalog::Catalog;
use crate::config::{Compression, ExportFormat, Settings};
use crate::error::{Error, Result};
use crate::features::FeatureSet;
use crate::interrupt;
use crate::metadata::{
    self, ColumnInfo, DatasetMetadata, Sidecar, SidecarTable, TableInfo, SIDECAR_SUFFIX,
};
use crate::model::spelling::Spelling;
use crate::model::ColumnDef;
use crate::sink::{self, FileSink};
use crate::ui::Ui;

/// What to export and where.
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// Defaults to the `--output` extension, then `export.default_format`.
    pub format: Option<ExportFormat>,
    /// Defaults to the `--output` extension, then `export.compression`.
    pub compression: Option<Compression>,
    /// One file (needs a single table).
    pub output: Option<PathBuf>,
    /// A directory of `{table}.{ext}` files; `./{name}` when neither is given.
    pub output_dir: Option<PathBuf>,
    /// Tables to export; all when empty.
    pub tables: Vec<String>,
    /// Columns to export; all when empty.
    pub columns: Vec<String>,
    /// Write the sidecar also for `--output` exports.
    pub include_metadata: bool,
    /// Do not write the sidecar for directory exports.
    pub no_metadata: bool,
    /// Overwrite existing files.
    pub force: bool,
    /// Leave out the `{table}_features` tables.
    pub no_features: bool,
    /// CSV without the header line (the sidecar then says so).
    pub no_header: bool,
    /// Write only the metadata sidecar, no table files.
    pub metadata_only: bool,
    /// CSV values in the spelling each column was read in (`28/01/2018`,
    /// `1,234.50`) instead of ISO dates and plain numbers.
    pub source_format: bool,
}

/// One file written.
#[derive(Clone, Debug, Serialize)]
pub struct ExportedFile {
    pub table: String,
    pub path: PathBuf,
    pub rows: u64,
}

/// What an export wrote.
#[derive(Clone, Debug, Serialize)]
pub struct ExportReport {
    pub dataset: String,
    pub format: String,
    pub compression: String,
    pub files: Vec<ExportedFile>,
    pub metadata_file: Option<PathBuf>,
}

/// Exports dataset `name`.
pub fn export(
    settings: &Settings,
    name: &str,
    options: &ExportOptions,
    ui: &Ui,
) -> Result<ExportReport> {
    let record = Catalog::new(settings).get(name)?;
    // Held until the export is written: no removal or replacement meanwhile.
    let _lock = super::DatasetLock::shared(settings, name)?;
    let record = Catalog::new(settings).get(&record.name)?;
    let mut store = super::open_store_read_only(settings, &record)?;
    let metadata = metadata::load(store.as_mut())?;

    let tables = FeatureSet::tables_of(&metadata, !options.no_features)?;
    // One file of a one-table dataset: its feature table when it has one.
    let mut wanted = options.tables.clone();
    if options.output.is_some() && wanted.is_empty() && metadata.tables.len() == 1 {
        wanted.push(tables.last().map(|t| t.name.clone()).unwrap_or_default());
    }
    let selected = select(&tables, &wanted, &options.columns)?;
    let (format, compression) = resolve_format(settings, options);
    if options.source_format && format != ExportFormat::Csv {
        return Err(Error::InvalidArgument(format!(
            "--source-format writes CSV values as the source spelled them; {format} stores typed values (drop --source-format or export csv)"
        )));
    }
    let spellings: Vec<Vec<Option<Spelling>>> = selected
        .iter()
        .map(|(table, columns)| match options.source_format {
            true => source_spellings(&metadata, &table.name, columns),
            false => Vec::new(),
        })
        .collect();
    let targets: Vec<PathBuf> = match &options.output {
        Some(file) => {
            if selected.len() != 1 {
                return Err(Error::InvalidArgument(format!(
                    "--output names one file but {} tables are selected ({}); use --table or --output-dir",
                    selected.len(),
                    selected.iter().map(|(t, _)| t.name.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
            vec![file.clone()]
        }
        None => {
            let dir = options
                .output_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(name));
            selected
                .iter()
                .map(|(table, _)| {
                    dir.join(format!(
                        "{}.{}{}",
                        table.name,
                        sink::extension(format),
                        sink::compression_suffix(format, compression)
                    ))
                })
                .collect()
        }
    };
    let directory = targets[0]
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory).map_err(|e| Error::io(directory, "create directory", e))?;

    let batch_size = settings.config.performance.batch_size;
    let mut files = Vec::new();
    for (((table, columns), target), spellings) in selected.iter().zip(&targets).zip(&spellings) {
        if options.metadata_only {
            files.push(ExportedFile {
                table: table.name.clone(),
                path: target.clone(),
                rows: table.rows,
            });
            continue;
        }
        let defs: Vec<ColumnDef> = columns.iter().map(ColumnInfo::def).collect();
        let mut sink = FileSink::create(
            target,
            format,
            compression,
            &defs,
            options.force,
            !options.no_header,
        )?
        .with_spellings(spellings.clone());
        let bar = ui.progress_rows(table.rows, &format!("export {}", table.name));
        let all = crate::store::RowFilter::default();
        table.scan(store.as_mut(), &defs, &all, batch_size, &mut |batch| {
            sink.write(batch)?;
            bar.inc(batch.len() as u64);
            interrupt::check()
        })?;
        let rows = sink.finish()?;
        bar.finish_and_clear();
        files.push(ExportedFile {
            table: table.name.clone(),
            path: target.clone(),
            rows,
        });
    }

    let write_sidecar = options.include_metadata
        || options.metadata_only
        || (options.output.is_none()
            && !options.no_metadata
            && settings.config.export.include_metadata);
    let metadata_file = if write_sidecar {
        let sidecar = Sidecar {
            name: record.name.clone(),
            exported_at: crate::time::now_rfc3339(),
            mdm_version: env!("CARGO_PKG_VERSION").to_string(),
            format: format.to_string(),
            annotations: record.annotations.clone(),
            tables: selected
                .iter()
                .zip(&files)
                .map(|((table, columns), file)| SidecarTable {
                    name: table.name.clone(),
                    file: file
                        .path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    rows: file.rows,
                    columns: columns.clone(),
                })
                .collect(),
            folds: super::split::recorded(&metadata)
                .filter(|_| selected.iter().any(|(t, _)| t.name == "train"))
                .map(|f| f.settings),
            read: if format == ExportFormat::Csv {
                crate::metadata::SidecarRead {
                    header_rows: Some(usize::from(!options.no_header)),
                    formats: selected
                        .iter()
                        .zip(&spellings)
                        .flat_map(|((_, columns), spellings)| columns.iter().zip(spellings))
                        .filter_map(|(column, s)| Some((column.name.clone(), s.as_ref()?.text())))
                        .collect(),
                    ..crate::metadata::SidecarRead::csv_export()
                }
            } else {
                Default::default()
            },
        };
        let path = directory.join(format!("{}{SIDECAR_SUFFIX}", record.name));
        if path.exists() && !options.force {
            return Err(Error::General(format!(
                "{} already exists; use --force to overwrite it",
                path.display()
            )));
        }
        let text = serde_yaml::to_string(&sidecar).map_err(|e| Error::General(e.to_string()))?;
        crate::catalog::write_atomically(&path, text.as_bytes())?;
        Some(path)
    } else {
        None
    };
    // A metadata-only export names the files the sidecar describes but
    // writes none of them.
    let files = if options.metadata_only {
        Vec::new()
    } else {
        files
    };
    Ok(ExportReport {
        dataset: record.name,
        format: format.to_string(),
        compression: compression.to_string(),
        files,
        metadata_file,
    })
}

/// Each column's spelling in its source (from `_metadata`'s `ingest`
/// record of the table, or of the table a feature table was made from).
fn source_spellings(
    metadata: &DatasetMetadata,
    table: &str,
    columns: &[ColumnInfo],
) -> Vec<Option<Spelling>> {
    let ingest = metadata.fields.get(super::register::INGEST_METADATA_KEY);
    let source = table.strip_suffix("_features").unwrap_or(table);
    let formats = ingest
        .and_then(|i| i.get(table).or_else(|| i.get(source)))
        .and_then(|t| t.get("formats"));
    columns
        .iter()
        .map(|column| {
            let text = formats?.get(&column.name)?.as_str()?;
            Spelling::from_text(text).ok()
        })
        .collect()
}

/// The tables and, per table, the columns to export. Unknown tables or
/// columns are invalid arguments; with `--columns`, tables holding none of
/// them are skipped.
fn select(
    tables: &[TableInfo],
    wanted_tables: &[String],
    wanted_columns: &[String],
) -> Result<Vec<(TableInfo, Vec<ColumnInfo>)>> {
    for name in wanted_tables {
        if !tables.iter().any(|t| &t.name == name) {
            return Err(Error::InvalidArgument(format!(
                "--table: no table '{name}' (tables: {})",
                tables
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let chosen: Vec<&TableInfo> = tables
        .iter()
        .filter(|t| wanted_tables.is_empty() || wanted_tables.contains(&t.name))
        .collect();
    for column in wanted_columns {
        if !chosen.iter().any(|t| t.column(column).is_some()) {
            return Err(Error::InvalidArgument(format!(
                "--columns: no column '{column}' in {}",
                chosen
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let mut selected = Vec::new();
    for table in chosen {
        let columns: Vec<ColumnInfo> = if wanted_columns.is_empty() {
            table.columns.clone()
        } else {
            wanted_columns
                .iter()
                .filter_map(|c| table.column(c).cloned())
                .collect()
        };
        if !columns.is_empty() {
            selected.push((table.clone(), columns));
        }
    }
    Ok(selected)
}

/// Format and compression: flags, else the `--output` file's extension,
/// else the configured defaults.
fn resolve_format(settings: &Settings, options: &ExportOptions) -> (ExportFormat, Compression) {
    let name = options
        .output
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let (stem, compression_from_name) = if let Some(stem) = name.strip_suffix(".gz") {
        (stem, Some(Compression::Gzip))
    } else if let Some(stem) = name.strip_suffix(".zst") {
        (stem, Some(Compression::Zstd))
    } else if let Some(stem) = name.strip_suffix(".zip") {
        (stem, Some(Compression::Zip))
    } else {
        (name.as_str(), None)
    };
    let format_from_name = match stem.rsplit_once('.').map(|(_, ext)| ext) {
        Some("csv") => Some(ExportFormat::Csv),
        Some("json" | "jsonl" | "ndjson") => Some(ExportFormat::Json),
        Some("parquet" | "pq") => Some(ExportFormat::Parquet),
        _ => None,
    };
    let format = options
        .format
        .or(format_from_name)
        .unwrap_or(settings.config.export.default_format);
    let compression = options
        .compression
        .or(compression_from_name)
        .unwrap_or(settings.config.export.compression);
    (format, compression)
}
