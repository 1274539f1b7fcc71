//! The commands' logic, independent of how arguments were parsed and of how
//! results are rendered.

pub mod export;
pub mod features;
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

/// The per-dataset lock file `{datasets_path}/.{name}.lock`: registration and
/// removal hold it exclusively, long reads (export) shared, so that a
/// dataset is never removed or replaced under a running export.
pub struct DatasetLock {
    _file: std::fs::File,
}

impl DatasetLock {
    fn open(settings: &Settings, name: &str) -> Result<(std::fs::File, std::path::PathBuf)> {
        let dir = settings.datasets_path();
        std::fs::create_dir_all(&dir).map_err(|e| crate::Error::io(&dir, "create directory", e))?;
        let path = dir.join(format!(".{name}.lock"));
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| crate::Error::io(&path, "open", e))?;
        Ok((file, path))
    }

    /// Takes the lock exclusively without waiting; `Err(Error::General)`
    /// when another process holds it.
    pub fn exclusive(settings: &Settings, name: &str) -> Result<DatasetLock> {
        let (file, path) = Self::open(settings, name)?;
        match file.try_lock() {
            Ok(()) => Ok(DatasetLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(crate::Error::General(format!(
                "dataset '{name}' is in use by another mdm process (an export, registration or removal); try again when it has finished"
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(crate::Error::io(&path, "lock", e)),
        }
    }

    /// Takes the lock shared, waiting for a registration or removal in
    /// progress to finish.
    pub fn shared(settings: &Settings, name: &str) -> Result<DatasetLock> {
        let (file, path) = Self::open(settings, name)?;
        file.lock_shared()
            .map_err(|e| crate::Error::io(&path, "lock", e))?;
        Ok(DatasetLock { _file: file })
    }
}
