//! The commands' logic, independent of how arguments were parsed and of how
//! results are rendered.

pub mod export;
pub mod info;
pub mod list;
pub mod register;
pub mod remove;
pub mod search;
pub mod stats;
pub mod update;

use crate::catalog::DatasetRecord;
use crate::config::Settings;
use crate::error::Result;
use crate::store::Store;

/// Opens the database of a registered dataset through its backend.
pub fn open_store(settings: &Settings, record: &DatasetRecord) -> Result<Box<dyn Store>> {
    crate::backend::for_settings(settings)?.open(record)
}
