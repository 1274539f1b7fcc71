//! `mdm info`, `mdm dataset info` and `mdm dataset connection`: the clap
//! structs and what they print.

use clap::Args;

use super::features::render_features;
use super::read;
use super::short_time;
use crate::config::Settings;
use crate::error::Result;
use crate::features::FeatureSet;
use crate::ops::info::{self, DatasetInfo};
use crate::ui::{self, human_bytes, Table};

#[derive(Debug, Args)]
pub struct InfoOpt {
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
pub struct ConnectionOpt {
    pub name: String,
    /// Include the password instead of `***`.
    #[arg(long)]
    pub show_password: bool,
    /// Print a ready odbc.ini section `[mdm_NAME]` instead of a connection string.
    #[arg(long)]
    pub odbc_ini: bool,
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// A read-write connection (DuckDB: while it is open, mdm cannot change the dataset and
    /// no other process can open it); read-only by default.
    #[arg(long)]
    pub write: bool,
}

/// `mdm info`: version, paths, backend, settings and environment.
pub fn system(settings: &Settings, opt: InfoOpt) -> Result<()> {
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

/// `mdm dataset info`: the record, tables, how they were read and,
/// when asked, columns and features.
pub fn dataset(settings: &Settings, opt: DatasetInfoOpt) -> Result<()> {
    let DatasetInfoOpt {
        name,
        json,
        show_columns,
        show_features,
    } = opt;
    let info = info::dataset_info(settings, &name)?;
    let features = FeatureSet::from_metadata(&info.metadata)?;
    if json {
        let value = info::dataset_json(&info, show_columns, show_features)?;
        return ui::print_json(&value);
    }
    let mut text = render_info(&info, show_columns);
    match (&features, show_features) {
        (Some(set), true) => text.push_str(&format!("\n{}", render_features(set))),
        (Some(set), false) => text.push_str(&format!(
            "features:     {}\n",
            set.tables
                .iter()
                .map(|t| format!(
                    "{} ({} features{})",
                    t.name,
                    t.features.len(),
                    if t.view { ", a view" } else { "" }
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        (None, true) => {
            text.push_str("\nno features generated (mdm dataset features NAME --regenerate)\n")
        }
        (None, false) => {}
    }
    if let Some(folds) = crate::ops::split::recorded(&info.metadata) {
        text.push_str(&format!("folds:        {}", super::split::render(&folds)));
    }
    ui::print(&text)
}

/// The text of `dataset info` up to the columns (included when asked).
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
    line("target", list_or_dash(&record.annotations.targets()));
    line("id columns", list_or_dash(&record.annotations.id_columns));
    let annotations = &record.annotations;
    for (label, column) in [
        ("time column", &annotations.time_column),
        ("group column", &annotations.group_column),
        ("stratify column", &annotations.stratify_column),
        ("data source", &annotations.data_source),
    ] {
        if let Some(column) = column {
            line(label, column.clone());
        }
    }
    if !annotations.ignore_columns.is_empty() {
        line("ignored", annotations.ignore_columns.join(", "));
    }
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
    for table in info.metadata.tables.iter().filter(|t| !t.groups.is_empty()) {
        let grouped: usize = table.groups.iter().map(|g| g.columns.len()).sum();
        let parts: Vec<String> = std::iter::once(format!(
            "{} ({} columns)",
            table.name,
            table.columns.len() - grouped
        ))
        .chain(
            table
                .groups
                .iter()
                .map(|g| format!("{} ({})", g.table, g.columns.len())),
        )
        .collect();
        text.push_str(&format!(
            "  {} is stored in column groups joined on {}: {}\n",
            table.name,
            crate::dialect::ROW_KEY,
            parts.join(", ")
        ));
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

/// `mdm dataset connection`: the connection string, an odbc.ini
/// section or JSON.
pub fn connection(settings: &Settings, opt: ConnectionOpt) -> Result<()> {
    let ConnectionOpt {
        name,
        show_password,
        odbc_ini,
        json,
        write,
    } = opt;
    let connection = info::connection(settings, &name, write)?;
    // Where the backend has a read-only mode (DuckDB), a read-write
    // connection holds the database alone.
    if write && info::connection(settings, &name, false)?.attributes != connection.attributes {
        eprintln!(
            "note: this read-write connection holds the database alone: while it is open, mdm and every other process are locked out of '{name}'"
        );
    }
    if json {
        let attributes: serde_json::Map<String, serde_json::Value> = connection
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        return ui::print_json(&serde_json::json!({
            "dataset": name,
            "connection_string": connection.connection_string(show_password),
            "attributes": attributes,
            "has_password": connection.password.is_some(),
        }));
    }
    if odbc_ini {
        return ui::print(&connection.odbc_ini(&format!("mdm_{name}"), show_password));
    }
    ui::print(&format!(
        "{}\n",
        connection.connection_string(show_password)
    ))
}
