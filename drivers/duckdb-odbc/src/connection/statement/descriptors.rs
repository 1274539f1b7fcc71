//! The four descriptor handles of each statement (row and parameter,
//! application and implementation): which statement and which descriptor a
//! handle is, from allocation to free. Their fields are `crate::descriptors`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::Statement;

/// Which of a statement's descriptors a handle is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ApplicationRow,
    ApplicationParameter,
    ImplementationRow,
    ImplementationParameter,
}

/// Descriptor handle -> (statement handle, kind).
pub fn registry() -> std::sync::MutexGuard<'static, HashMap<usize, (usize, Kind)>> {
    static REGISTRY: OnceLock<Mutex<HashMap<usize, (usize, Kind)>>> = OnceLock::new();
    REGISTRY
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

const KINDS: [Kind; 4] = [
    Kind::ApplicationRow,
    Kind::ApplicationParameter,
    Kind::ImplementationRow,
    Kind::ImplementationParameter,
];

/// Registers the descriptors of a newly allocated statement.
pub fn register(statement: *mut Statement) {
    let mut map = registry();
    for (index, kind) in KINDS.iter().enumerate() {
        let handle = unsafe { &*(*statement).descriptors[index] as *const u8 as usize };
        map.insert(handle, (statement as usize, *kind));
    }
}

/// Forgets the descriptors of a statement being freed.
pub fn unregister(statement: &Statement) {
    let mut map = registry();
    for descriptor in &statement.descriptors {
        map.remove(&(&**descriptor as *const u8 as usize));
    }
}
