//! The one staging protocol of every backend. A dataset is loaded into a
//! private staging copy named after the process that makes it; publishing
//! retires the old copy (if any) under a name of its own, moves the staged
//! one into place by a rename, runs the caller's commit (which writes the
//! discovery file) and only then drops the retired copy. Any failure puts
//! the old copy back; a staging copy dropped unpublished is removed. A
//! killed process leaves copies named after it, and [`sweep`] removes them
//! (putting back a retired copy whose replacement never arrived); the
//! scratch databases of a feature fill are such copies too, never
//! published.
//!
//! The backends supply only the primitives: where their copies live and
//! how to create, rename and drop one (directories and database files for
//! SQLite and DuckDB, databases for a server) — see [`Places`] and
//! [`Leftovers`].

use super::record::DatasetRecord;
use super::Staged;
use crate::error::{Error, Result};
use crate::store::Store;

/// Which private copy of a dataset a name stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CopyKind {
    /// Being loaded; not yet published.
    Staging,
    /// Replaced; kept until its replacement is committed.
    Retired,
}

/// How a backend spells the names of a dataset's private copies:
/// `{leading}{live}{mark}{pid}`, where `live` is the dataset's own name
/// in that backend and `pid` the process that made the copy.
pub(super) struct Naming {
    pub leading: &'static str,
    pub staging: &'static str,
    pub retired: &'static str,
}

/// A private copy recognised by its name.
#[derive(Debug)]
pub(super) struct Copy<'a> {
    pub kind: CopyKind,
    /// The name of the copy it belongs to.
    pub live: &'a str,
    /// The process that made it; `None` when what follows the mark is not a
    /// process id.
    pub pid: Option<u32>,
}

impl Naming {
    /// The name of the `kind` copy of `live` made by process `pid`.
    pub fn name(&self, live: &str, kind: CopyKind, pid: u32) -> String {
        let mark = match kind {
            CopyKind::Staging => self.staging,
            CopyKind::Retired => self.retired,
        };
        format!("{}{live}{mark}{pid}", self.leading)
    }

    /// This process's staging copy of `live`.
    pub fn staging(&self, live: &str) -> String {
        self.name(live, CopyKind::Staging, std::process::id())
    }

    /// This process's retired copy of `live`.
    pub fn retired(&self, live: &str) -> String {
        self.name(live, CopyKind::Retired, std::process::id())
    }

    /// What `name` may be a copy of, one candidate per mark it contains.
    pub fn copies<'a>(&self, name: &'a str) -> Vec<Copy<'a>> {
        let Some(rest) = name.strip_prefix(self.leading) else {
            return Vec::new();
        };
        [
            (CopyKind::Staging, self.staging),
            (CopyKind::Retired, self.retired),
        ]
        .into_iter()
        .filter_map(|(kind, mark)| {
            let (live, pid) = rest.rsplit_once(mark)?;
            Some(Copy {
                kind,
                live,
                pid: pid.parse().ok(),
            })
        })
        .collect()
    }

    /// Whether `name` is a staging or retired copy (a mark followed by
    /// digits), whatever process made it.
    #[cfg_attr(not(feature = "odbc"), allow(dead_code))]
    pub fn is_copy(&self, name: &str) -> bool {
        let Some(rest) = name.strip_prefix(self.leading) else {
            return false;
        };
        [self.staging, self.retired].iter().any(|mark| {
            rest.rsplit_once(mark)
                .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        })
    }

    /// The live name a staging copy's name belongs to (`name` itself when
    /// it is not one).
    #[cfg_attr(not(feature = "odbc"), allow(dead_code))]
    pub fn live_of<'a>(&self, name: &'a str) -> &'a str {
        let rest = name.strip_prefix(self.leading).unwrap_or(name);
        rest.rsplit_once(self.staging)
            .map_or(name, |(live, _)| live)
    }
}

/// Whether process `pid` (of this host) is still running.
pub(super) fn process_is_alive(pid: u32) -> bool {
    pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The primitives of one registration's places: its staging copy, the
/// dataset's live place and its retired copy. Errors are the backend's own.
pub(super) trait Places {
    /// Records what listings show of the dataset where the backend keeps
    /// it itself (see [`Staged::describe`]).
    fn describe(&mut self, _record: &DatasetRecord) -> Result<()> {
        Ok(())
    }

    /// Whether a published dataset occupies the live place.
    fn live_exists(&mut self) -> Result<bool>;

    /// The error when the live place is taken and replacing was not asked.
    fn taken(&self) -> Error;

    /// Moves the live copy to the retired place.
    fn retire(&mut self) -> Result<()>;

    /// Moves the staged copy to the live place.
    fn move_into_place(&mut self) -> Result<()>;

    /// The error to report when [`Places::move_into_place`] failed with
    /// `err` (after the old copy was put back).
    fn publish_failed(&mut self, err: Error, _had_old: bool) -> Error {
        err
    }

    /// Moves the retired copy back to the live place (best effort).
    fn restore(&mut self);

    /// Called once the staged copy is in place.
    fn moved(&mut self) {}

    /// Removes the published copy again after a failed commit (best
    /// effort).
    fn unpublish(&mut self);

    /// Called last when a failed commit was rolled back.
    fn rolled_back(&mut self) {}

    /// Drops the retired copy once the replacement is committed.
    fn drop_retired(&mut self);

    /// Removes the staging copy of a registration that was not published.
    fn drop_staging(&mut self);
}

/// A dataset loading into a backend's staging copy.
pub(super) struct Staging<P: Places> {
    pub places: P,
    /// Whether publishing may replace a dataset of the same name.
    pub replace: bool,
    pub store: Option<Box<dyn Store>>,
    published: bool,
}

impl<P: Places> Staging<P> {
    /// A registration whose staging copy `places` has just created (the
    /// store is opened next; an error before it is published removes the
    /// copy).
    pub fn new(places: P, replace: bool) -> Staging<P> {
        Staging {
            places,
            replace,
            store: None,
            published: false,
        }
    }
}

impl<P: Places> Staged for Staging<P> {
    fn store(&mut self) -> &mut dyn Store {
        self.store.as_deref_mut().expect("open until published")
    }

    fn describe(&mut self, record: &DatasetRecord) -> Result<()> {
        self.places.describe(record)
    }

    fn publish(mut self: Box<Self>, commit: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        // Close the store first: a database file cannot move, nor a server
        // database be renamed, while it is open.
        self.store = None;
        let had_old = self.places.live_exists()?;
        if had_old && !self.replace {
            return Err(self.places.taken());
        }
        if had_old {
            self.places.retire()?;
        }
        if let Err(err) = self.places.move_into_place() {
            if had_old {
                self.places.restore();
            }
            return Err(self.places.publish_failed(err, had_old));
        }
        self.published = true;
        self.places.moved();
        if let Err(err) = commit() {
            self.places.unpublish();
            if had_old {
                self.places.restore();
            }
            self.places.rolled_back();
            return Err(err);
        }
        if had_old {
            self.places.drop_retired();
        }
        Ok(())
    }
}

impl<P: Places> Drop for Staging<P> {
    fn drop(&mut self) {
        self.store = None;
        if !self.published {
            self.places.drop_staging();
        }
    }
}

/// What killed processes may have left in one place (a directory, a
/// server), as names.
pub(super) trait Leftovers {
    /// Every name found there.
    fn names(&mut self) -> Vec<String>;

    /// The copies `name` may be.
    fn copies<'a>(&self, name: &'a str) -> Vec<Copy<'a>>;

    /// Removes a leftover staging copy.
    fn discard(&mut self, name: &str);

    /// Puts back what of the retired copy `name` the live place `live`
    /// lacks (its replacement never arrived) and drops the rest; `names`
    /// are all the names found.
    fn put_back(&mut self, name: &str, live: &str, names: &[String]);
}

/// Removes the copies of processes that are no longer running (a copy
/// whose name carries no process id is a leftover too), putting back
/// retired copies whose replacement never arrived.
pub(super) fn sweep(leftovers: &mut dyn Leftovers) {
    let names = leftovers.names();
    for name in &names {
        for copy in leftovers.copies(name) {
            if copy.pid.is_some_and(process_is_alive) {
                continue;
            }
            match copy.kind {
                CopyKind::Staging => leftovers.discard(name),
                CopyKind::Retired => leftovers.put_back(name, copy.live, &names),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: Naming = Naming {
        leading: "",
        staging: "_staging_",
        retired: "_retired_",
    };

    #[test]
    fn copies_are_named_after_the_dataset_and_the_process() {
        let name = SERVER.name("mdm_a_b", CopyKind::Retired, 42);
        assert_eq!(name, "mdm_a_b_retired_42");
        let copies = SERVER.copies(&name);
        assert_eq!(copies.len(), 1);
        assert_eq!(copies[0].kind, CopyKind::Retired);
        assert_eq!(copies[0].live, "mdm_a_b");
        assert_eq!(copies[0].pid, Some(42));
        assert!(SERVER.is_copy(&name));
        assert!(!SERVER.is_copy("mdm_a_staging_x"));
        assert_eq!(SERVER.live_of("mdm_a_staging_7"), "mdm_a");
        assert_eq!(SERVER.live_of("mdm_a"), "mdm_a");
    }
}
