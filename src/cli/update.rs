//! `mdm dataset update`: the clap struct and what it prints (including
//! `--refresh` of a dataset registered from an ODBC source).

use clap::Args;

use super::{clean, parse_choice};
use crate::backend::record::ProblemType;
use crate::config::Settings;
use crate::error::Result;
use crate::ops::update::{self, UpdateOptions};
use crate::ui::{self, Ui};

#[derive(Debug, Args)]
pub struct UpdateOpt {
    pub name: String,
    /// New description (empty clears it).
    #[arg(long)]
    pub description: Option<String>,
    /// New target column; must exist in the train table.
    #[arg(long)]
    pub target: Option<String>,
    /// New problem type.
    #[arg(long, value_parser = parse_choice::<ProblemType>)]
    pub problem_type: Option<ProblemType>,
    /// Replace all tags (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tags: Option<Vec<String>>,
    /// Add tags (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub add_tags: Vec<String>,
    /// Remove tags (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub remove_tags: Vec<String>,
    /// Replace the ID columns (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub id_columns: Option<Vec<String>>,
    #[command(flatten)]
    pub roles: super::register::ColumnRolesOpt,
    /// Run the recorded queries of a dataset registered with --odbc again and replace its tables (password from MDM_SOURCE_PASSWORD or a prompt).
    #[arg(long)]
    pub refresh: bool,
    /// Print the updated record as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Updates (or with `--refresh` reloads) the dataset.
pub fn run(settings: &Settings, opt: UpdateOpt, ui: &Ui) -> Result<()> {
    let UpdateOpt {
        name,
        description,
        target,
        problem_type,
        tags,
        add_tags,
        remove_tags,
        id_columns,
        roles:
            super::register::ColumnRolesOpt {
                time_column,
                group_column,
                stratify_column,
                data_source,
            },
        refresh,
        json,
    } = opt;
    let options = UpdateOptions {
        description,
        target,
        problem_type,
        tags: tags.map(clean),
        add_tags: clean(add_tags),
        remove_tags: clean(remove_tags),
        id_columns: id_columns.map(clean),
        time_column,
        group_column,
        stratify_column,
        data_source,
    };
    let roles_changed = options.target.is_some() || options.id_columns.is_some();
    if refresh {
        let record = update::refresh(settings, &name, ui)?;
        if options == UpdateOptions::default() {
            return if json {
                ui::print_json(&record)
            } else {
                Ok(())
            };
        }
    }
    let record = update::update(settings, &name, &options)?;
    if roles_changed {
        ui.message(&format!(
            "the target or ID columns changed: run `mdm dataset features {name} --regenerate` to refit the features"
        ));
    }
    if json {
        return ui::print_json(&record);
    }
    ui.message(&format!("updated dataset '{name}'"));
    Ok(())
}
