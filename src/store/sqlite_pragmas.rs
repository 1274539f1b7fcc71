//! The SQLite PRAGMAs mdm sets, written once for both ways it reaches a
//! SQLite dataset: the embedded store (rusqlite) and the SQLite ODBC
//! profile. Values come from validated `database.sqlite` settings (enums
//! and integers), so the statements are safe to run as they are.

use crate::config::SqliteSettings;

/// Page cache of a bulk-load connection of the embedded store, in KiB.
/// Appends touch only the last pages of a table, so a small cache loads as
/// fast as a large one and keeps memory flat however large the input is.
const LOAD_CACHE_KIB: i64 = 8_000;

/// The configured memory settings: page cache, temporary b-trees, memory
/// map.
pub fn cache(settings: &SqliteSettings) -> Vec<String> {
    vec![
        format!("PRAGMA cache_size = {}", settings.cache_size),
        format!("PRAGMA temp_store = {}", settings.temp_store),
        format!("PRAGMA mmap_size = {}", settings.mmap_size),
    ]
}

/// The configured `synchronous` setting.
pub fn synchronous(settings: &SqliteSettings) -> String {
    format!("PRAGMA synchronous = {}", settings.synchronous)
}

/// The configured durability: journal mode, then `synchronous`.
pub fn durability(settings: &SqliteSettings) -> Vec<String> {
    vec![
        format!("PRAGMA journal_mode = {}", settings.journal_mode),
        synchronous(settings),
    ]
}

/// A private file being loaded in bulk: no journal, no syncs (the file is
/// published only once complete).
pub fn bulk_load() -> Vec<String> {
    vec![
        "PRAGMA journal_mode = OFF".into(),
        "PRAGMA synchronous = OFF".into(),
    ]
}

/// [`bulk_load`] plus what keeps an in-process load's memory flat: a small
/// cache, no memory map, temporary b-trees on disk (mapped pages and
/// in-memory sorts would make the resident size grow with the input).
pub fn bulk_load_in_process() -> Vec<String> {
    let mut pragmas = bulk_load();
    pragmas.extend([
        format!("PRAGMA cache_size = -{LOAD_CACHE_KIB}"),
        "PRAGMA mmap_size = 0".into(),
        "PRAGMA temp_store = FILE".into(),
    ]);
    pragmas
}

/// Whether the connection keeps the file locked between transactions.
pub fn locking_mode(exclusive: bool) -> String {
    format!(
        "PRAGMA locking_mode = {}",
        if exclusive { "EXCLUSIVE" } else { "NORMAL" }
    )
}
