//! Registration steps 1 and 2: where the tables come from (an export's
//! metadata sidecar, an unpacked archive, a folder, named files or an ODBC
//! source), then each source sniffed and its column types inferred.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::report::report_read;
use super::sidecar::{apply_sidecar, apply_sidecar_read};
use super::RegisterOptions;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::ingest;
use crate::ingest::plan::TablePlan;
use crate::ingest::scan::infer_table;
use crate::metadata::find_sidecar;
use crate::ui::Ui;

/// Step 1: where the tables come from — the options with an export's
/// metadata sidecar applied, the unpacked root and the sources found.
pub(super) struct Resolved {
    pub(super) options: RegisterOptions,
    pub(super) root: PathBuf,
    /// A header-less export's column names, per table (from its sidecar).
    pub(super) sidecar_names: BTreeMap<String, Vec<String>>,
    pub(super) sources: Vec<ingest::SourceFile>,
}

pub(super) fn resolve_sources(
    options: &RegisterOptions,
    workspace: &mut ingest::archive::Workspace,
    ui: &Ui,
) -> Result<Resolved> {
    let mut options = options.clone();
    let named_files = !options.files.is_empty();
    let root = match &options.odbc {
        Some(_) => options.path.clone(),
        None if named_files => options.path.clone(),
        None => ingest::unpack_root(&options.path, workspace)?,
    };
    let sidecar = match find_sidecar(&options.path)? {
        _ if options.odbc.is_some() || named_files => None,
        None if root != options.path => find_sidecar(&root)?,
        found => found,
    };
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
    let sources = match &options.odbc {
        Some(odbc) => odbc.sources(),
        None if named_files => named_sources(&options.files, workspace)?,
        None => ingest::discover(&root)?,
    };
    Ok(Resolved {
        options,
        root,
        sidecar_names,
        sources,
    })
}

/// Step 2: each source sniffed and read once, its column types inferred
/// over every row.
pub(super) fn read_and_infer(
    settings: &Settings,
    resolved: &Resolved,
    workspace: &mut ingest::archive::Workspace,
    ui: &Ui,
) -> Result<Vec<TablePlan>> {
    let options = &resolved.options;
    let bad_rows = options
        .read
        .bad_rows
        .unwrap_or(settings.config.validation.bad_rows);
    let mut plans = Vec::with_capacity(resolved.sources.len());
    for source in &resolved.sources {
        let mut source = source.clone();
        if resolved.root != options.path {
            source.origin = options.path.clone();
        }
        if options.odbc.is_none() {
            ingest::resolve(&mut source, workspace, &options.ingest)?;
        }
        let mut plan = infer_table(source, &options.read, bad_rows, ui)?;
        if let Some(names) = resolved.sidecar_names.get(&plan.source.table) {
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
    for (column, _) in &options.read.formats {
        let known = plans.iter().any(|plan| {
            plan.original_names.iter().any(|n| n.trim() == column)
                || plan.columns.iter().any(|c| &c.name == column)
        });
        if !known {
            return Err(Error::InvalidArgument(format!(
                "--date-format: no column '{column}' in {}",
                plans
                    .iter()
                    .map(|p| p.source.path.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    Ok(plans)
}

/// The sources of `--train FILE --test FILE ...`: each a data file (plain,
/// compressed, or a zip holding one), read as the table it was given for.
pub(super) fn named_sources(
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
