//! `mdm dataset grant` and `mdm dataset revoke`: who else may read or write
//! a dataset, where the backend controls access itself (PostgreSQL's roles
//! and grants; a file dataset's access is its file permissions).

use crate::backend::Access;
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::Result;

/// Gives `role` read access to dataset `name` (CONNECT and SELECT on every
/// table, present and future), or with `write` also what `update` needs.
pub fn grant(settings: &Settings, name: &str, role: &str, write: bool) -> Result<Access> {
    let record = Catalog::new(settings).get(name)?;
    let backend = crate::backend::for_settings(settings)?;
    backend.grant(&record, role, write)?;
    Ok(backend.access(&record)?.unwrap_or_else(|| Access {
        owner: String::new(),
        grants: Vec::new(),
    }))
}

/// Takes back every access `role` was given to dataset `name`.
pub fn revoke(settings: &Settings, name: &str, role: &str) -> Result<Access> {
    let record = Catalog::new(settings).get(name)?;
    let backend = crate::backend::for_settings(settings)?;
    backend.revoke(&record, role)?;
    Ok(backend.access(&record)?.unwrap_or_else(|| Access {
        owner: String::new(),
        grants: Vec::new(),
    }))
}
