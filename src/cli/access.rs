//! `mdm dataset grant` and `mdm dataset revoke`: the clap structs and what
//! they print.

use clap::Args;

use crate::config::Settings;
use crate::error::Result;
use crate::ops::access;
use crate::ui::{self, Ui};

#[derive(Debug, Args)]
pub struct GrantOpt {
    /// The dataset (PostgreSQL: its database is owned by the role that registered it).
    pub name: String,
    /// A PostgreSQL role, which may be a group role: a team is one grant.
    pub role: String,
    /// Also what `mdm dataset update` needs (insert, update, delete on its tables).
    #[arg(long)]
    pub write: bool,
}

#[derive(Debug, Args)]
pub struct RevokeOpt {
    pub name: String,
    pub role: String,
}

/// Grants read (or read and write) access and prints who has access now.
pub fn grant(settings: &Settings, opt: GrantOpt, ui: &Ui) -> Result<()> {
    let GrantOpt { name, role, write } = opt;
    let access = access::grant(settings, &name, &role, write)?;
    ui.message(&format!(
        "granted {} on '{name}' to {role}",
        if write { "read and write" } else { "read" }
    ));
    ui::print(&render(&access))
}

/// Revokes a role's access and prints who has access now.
pub fn revoke(settings: &Settings, opt: RevokeOpt, ui: &Ui) -> Result<()> {
    let RevokeOpt { name, role } = opt;
    let access = access::revoke(settings, &name, &role)?;
    ui.message(&format!("revoked every access to '{name}' from {role}"));
    ui::print(&render(&access))
}

/// `owner: ROLE` and one `ROLE: read|write` line per grant.
pub fn render(access: &crate::backend::Access) -> String {
    let mut text = format!("owner: {}\n", access.owner);
    for (role, level) in &access.grants {
        text.push_str(&format!("{role}: {level}\n"));
    }
    text
}
