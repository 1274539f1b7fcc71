//! The commands' logic, independent of how arguments were parsed and of how
//! results are rendered.

pub mod access;
pub mod export;
pub mod features;
pub mod filter;
pub mod info;
pub mod list;
pub mod listed;
pub mod load;
pub mod partition;
pub mod register;
pub mod remove;
pub mod search;
pub mod split;
pub mod stats;
pub mod timeline;
pub mod update;

use crate::backend::record::DatasetRecord;
use crate::config::Settings;
use crate::error::Result;
use crate::store::Store;

/// Indexes the ID columns of `tables` (each table's columns given): a
/// unique index (PostgreSQL: the primary key) where the values are unique,
/// else a plain one. An ID column that repeats is still worth an index;
/// the unique attempt failing on duplicates is how that is found out.
pub fn index_id_columns(
    store: &mut dyn Store,
    tables: &[(String, Vec<String>)],
    id_columns: &[String],
) -> Result<()> {
    for (table, columns) in tables {
        for id in id_columns.iter().filter(|id| columns.contains(id)) {
            let unique = store.dialect().create_index(table, id, true);
            if let Err(err) = store.build_index(&unique) {
                log::info!("{table}.{id} is not unique ({err}); a plain index instead");
                let plain = store.dialect().create_index(table, id, false);
                store.build_index(&plain)?;
            }
        }
    }
    Ok(())
}

/// Indexes the stored tables of a dataset (with `sources`) or of its
/// feature set only: each ID column where a table holds it (a feature table
/// copying its source holds the source's), and on databases that do not
/// key rows themselves, the row key of every table a grouped read joins.
pub fn index_tables(
    store: &mut dyn Store,
    metadata: &crate::metadata::DatasetMetadata,
    features: &crate::features::FeatureSet,
    sources: bool,
    id_columns: &[String],
) -> Result<()> {
    let mut indexed: Vec<(String, Vec<String>)> = Vec::new();
    let mut keyed: Vec<String> = Vec::new();
    for table in metadata.tables.iter().filter(|_| sources) {
        let own = table
            .columns
            .iter()
            .map(|c| c.name.clone())
            .filter(|c| table.table_of(c) == table.name)
            .collect();
        indexed.push((table.name.clone(), own));
        if !table.groups.is_empty() {
            keyed.push(table.name.clone());
            keyed.extend(table.groups.iter().map(|g| g.table.clone()));
        }
    }
    for table in &features.tables {
        let Some(source) = metadata.table(&table.source) else {
            continue;
        };
        if table.joined {
            keyed.push(table.name.clone());
        } else if !table.view {
            let columns = source.columns.iter().map(|c| c.name.clone()).collect();
            indexed.push((table.name.clone(), columns));
        }
    }
    index_id_columns(store, &indexed, id_columns)?;
    // SQLite's row key is the rowid, indexed already.
    if !store.dialect().numbers_row_key() {
        for table in &keyed {
            let index = store
                .dialect()
                .create_index(table, crate::dialect::ROW_KEY, false);
            store.build_index(&index)?;
        }
    }
    Ok(())
}

/// Opens the database of a registered dataset through its backend.
pub fn open_store(settings: &Settings, record: &DatasetRecord) -> Result<Box<dyn Store>> {
    crate::backend::for_settings(settings)?.open(record)
}

/// Opens the database of a registered dataset for reading only (DuckDB
/// read-only, so that any number of readers, BI tools included, coexist).
pub fn open_store_read_only(settings: &Settings, record: &DatasetRecord) -> Result<Box<dyn Store>> {
    crate::backend::for_settings(settings)?.open_read_only(record)
}

/// The per-dataset lock file `{datasets_path}/.{name}.{backend}.lock`:
/// registration and removal hold it exclusively, long reads (export)
/// shared, so that a dataset is never removed or replaced under a running
/// export. Each backend's dataset of a name has its own lock. An exclusive
/// holder deletes the file when it is done, so nothing is left behind; a
/// process that locked a file deleted meanwhile notices (the path no longer
/// names the file it holds) and locks the new one.
pub struct DatasetLock {
    /// The lock file, its path and whether it is held exclusively; none
    /// where the backend coordinates access itself.
    held: Option<(std::fs::File, std::path::PathBuf, bool)>,
}

impl DatasetLock {
    fn acquire(settings: &Settings, name: &str, exclusive: bool) -> Result<DatasetLock> {
        use std::os::unix::fs::MetadataExt;
        // A server that is its own catalog coordinates its users itself (a
        // database is renamed into place atomically, and dropped once its
        // readers are gone); a lock file on one machine would only make
        // one user's commands fail against each other.
        if crate::backend::for_settings(settings).is_ok_and(|b| b.is_catalog()) {
            return Ok(DatasetLock { held: None });
        }
        let dir = settings.datasets_path();
        std::fs::create_dir_all(&dir).map_err(|e| crate::Error::io(&dir, "create directory", e))?;
        let path = dir.join(format!(".{name}.{}.lock", settings.backend()));
        loop {
            let file = std::fs::File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| crate::Error::io(&path, "open", e))?;
            if exclusive {
                match file.try_lock() {
                    Ok(()) => {}
                    Err(std::fs::TryLockError::WouldBlock) => {
                        return Err(crate::Error::General(format!(
                            "dataset '{name}' is in use by another mdm process (an export, registration or removal); try again when it has finished"
                        )))
                    }
                    Err(std::fs::TryLockError::Error(e)) => {
                        return Err(crate::Error::io(&path, "lock", e))
                    }
                }
            } else {
                file.lock_shared()
                    .map_err(|e| crate::Error::io(&path, "lock", e))?;
            }
            let held = file
                .metadata()
                .map_err(|e| crate::Error::io(&path, "lock", e))?;
            let same = std::fs::metadata(&path)
                .is_ok_and(|now| now.dev() == held.dev() && now.ino() == held.ino());
            if same {
                return Ok(DatasetLock {
                    held: Some((file, path, exclusive)),
                });
            }
        }
    }

    /// Takes the lock exclusively without waiting; `Err(Error::General)`
    /// when another process holds it.
    pub fn exclusive(settings: &Settings, name: &str) -> Result<DatasetLock> {
        Self::acquire(settings, name, true)
    }

    /// Takes the lock shared, waiting for a registration or removal in
    /// progress to finish.
    pub fn shared(settings: &Settings, name: &str) -> Result<DatasetLock> {
        Self::acquire(settings, name, false)
    }
}

impl Drop for DatasetLock {
    fn drop(&mut self) {
        let Some((file, path, exclusive)) = &self.held else {
            return;
        };
        // Deleted only while held exclusively, so no one can lock the old
        // file and believe it current. The last of several readers gets
        // the exclusive lock and deletes it; the others leave it to them.
        if *exclusive || file.try_lock().is_ok() {
            let _ = std::fs::remove_file(path);
        }
        let _ = file.unlock();
    }
}
