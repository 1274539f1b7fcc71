//! `mdm dataset remove`: the clap struct, the confirmation and what it
//! prints.

use clap::Args;

use crate::config::Settings;
use crate::error::Result;
use crate::ops::remove;
use crate::ui::{self, Ui};

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

/// Removes the dataset after confirmation, or shows what would go.
pub fn run(settings: &Settings, opt: RemoveOpt, ui: &Ui) -> Result<()> {
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
