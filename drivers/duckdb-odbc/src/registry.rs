//! The registry of live handles: every handle the driver gave out and not
//! yet freed, with its type, so that entry points can refuse the others.

use crate::odbc::Handle;

/// Every live handle and its type, so that a null, freed or foreign
/// pointer is answered with SQL_INVALID_HANDLE instead of being followed.
pub fn live() -> std::sync::MutexGuard<'static, std::collections::HashMap<usize, i16>> {
    static LIVE: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<usize, i16>>> =
        std::sync::OnceLock::new();
    let map = LIVE.get_or_init(Default::default);
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Takes a handle out of the registry (its owner frees it).
pub fn forget(handle: Handle) {
    live().remove(&(handle as usize));
}

pub fn is_live(handle: Handle, handle_type: i16) -> bool {
    live().get(&(handle as usize)) == Some(&handle_type)
}
