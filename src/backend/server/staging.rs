//! The staging protocol's primitives on a server: a registration's copies
//! are databases (`{database}_staging_{pid}`, `{database}_retired_{pid}`)
//! created, renamed and dropped through the maintenance database, waiting
//! for readers to leave first. Also the creation of a staging database
//! (private, owned by the dataset's owners role, with the grants of the
//! dataset it replaces), removal of a dataset and the sweep of copies left
//! by killed registrations.

use super::{exists, ServerBackend};
use crate::backend::record::DatasetRecord;
use crate::backend::staging::{self, Copy, Leftovers, Naming, Places, Staging};
use crate::backend::{Lookup, Staged};
use crate::dialect::ServerDialect;
use crate::error::{Error, Result};
use crate::model::Value;
use crate::store::odbc::OdbcStore;
use crate::store::Store;

/// How a dataset's copies are named: after its database.
pub(super) const NAMING: Naming = Naming {
    leading: "",
    staging: "_staging_",
    retired: "_retired_",
};

/// PostgreSQL truncates longer identifiers; mdm refuses them instead.
const MAX_IDENTIFIER: usize = 63;

impl ServerBackend {
    /// Refuses a name whose staging database's name would be too long.
    pub(super) fn check_database_name(&self, name: &str) -> Result<()> {
        let staging = NAMING.name(&self.database(name), staging::CopyKind::Staging, u32::MAX);
        if staging.len() > MAX_IDENTIFIER {
            return Err(Error::InvalidArgument(format!(
                "dataset name {name:?} is too long for PostgreSQL: with the prefix {:?} and mdm's staging suffix \
                 the database name must stay within {MAX_IDENTIFIER} characters (use at most {} characters)",
                self.prefix,
                MAX_IDENTIFIER - (staging.len() - name.len())
            )));
        }
        Ok(())
    }

    /// Creates the staging database of dataset `name` and connects to it.
    pub(super) fn stage_database(&self, name: &str, replace: bool) -> Result<Box<dyn Staged>> {
        let mut maintenance = self.maintenance()?;
        let database = self.database(name);
        let staging = NAMING.staging(&database);
        // One registration of a name at a time chooses its owners role and
        // creates its staging database (the lock ends with the session).
        maintenance.query(
            &self.dialect.lock_name(),
            &[Value::Text(database.clone())],
            &mut |_| Ok(()),
        )?;
        let owners = self.owners_for(&mut maintenance, &database, replace)?;
        let places = DatabasePlaces {
            dialect: self.dialect.clone(),
            timeout: self.settings.config.database.connection_timeout,
            maintenance,
            retired: NAMING.retired(&database),
            staging: staging.clone(),
            database: database.clone(),
            created_owners: owners
                .as_ref()
                .filter(|o| o.created)
                .map(|o| o.name.clone()),
        };
        let mut staged = Staging::new(places, replace);
        let maintenance = &mut staged.places.maintenance;
        if let Some(owners) = &owners {
            maintenance.execute(&self.dialect.set_role(&owners.name), &[])?;
        }
        maintenance.execute(&self.dialect.drop_database(&staging), &[])?;
        maintenance.execute(&self.dialect.create_database(&staging), &[])?;
        maintenance.query(
            &self.dialect.unlock_name(),
            &[Value::Text(database.clone())],
            &mut |_| Ok(()),
        )?;
        // Private from the start: nobody but the owner may connect.
        maintenance.execute(&self.dialect.revoke_public(&staging), &[])?;
        // A replacement keeps the grants of the dataset it replaces.
        if replace {
            if let Lookup::Present(_) = self.look_up(name)? {
                for (role, level) in self.grants_of(&database)? {
                    // Writers of a dataset with an owners role stay its members.
                    let write = level == "write" && owners.is_none();
                    self.apply_grant(&mut staged.places.maintenance, &staging, &role, write)?;
                }
            }
        }
        let mut store = self.target.connect_for_load(&staging)?;
        self.act_as_owners(&mut store, &staging)?;
        staged.store = Some(Box::new(store));
        Ok(Box::new(staged))
    }

    /// Drops a dataset's database (once its readers have left) and its
    /// owners role.
    pub(super) fn remove_database(&self, database: &str) -> Result<()> {
        let mut maintenance = self.maintenance()?;
        let owners = self
            .ownership(&mut maintenance, database)?
            .and_then(|o| o.owners_role);
        let timeout = self.settings.config.database.connection_timeout;
        wait_until_unused(&mut maintenance, self.dialect.as_ref(), database, timeout)?;
        maintenance.execute(&self.dialect.drop_database(database), &[])?;
        if let Some(owners) = owners {
            if let Err(err) = maintenance.execute(&self.dialect.drop_role(&owners), &[]) {
                log::warn!("cannot drop role {owners}, which owned the dataset: {err}");
            }
        }
        Ok(())
    }

    /// Drops staging databases of this host's registrations that were
    /// killed and puts back a retired dataset whose replacement never
    /// arrived.
    pub(super) fn sweep_databases(&self) {
        let Ok(maintenance) = self.maintenance() else {
            return;
        };
        staging::sweep(&mut Server {
            backend: self,
            maintenance,
        });
    }
}

/// The databases of the prefix, as a place of leftovers.
struct Server<'a> {
    backend: &'a ServerBackend,
    maintenance: OdbcStore,
}

impl Server<'_> {
    fn execute(&mut self, name: &str, sql: &str) {
        if let Err(err) = self.maintenance.execute(sql, &[]) {
            log::warn!("cannot clean up {name}: {err}");
        }
    }
}

impl Leftovers for Server<'_> {
    fn names(&mut self) -> Vec<String> {
        self.backend
            .databases(&mut self.maintenance)
            .unwrap_or_default()
    }

    /// Only copies named with a process id: a database's name is not
    /// mdm's alone to claim.
    fn copies<'a>(&self, name: &'a str) -> Vec<Copy<'a>> {
        let mut copies = NAMING.copies(name);
        copies.retain(|copy| copy.pid.is_some());
        copies
    }

    fn discard(&mut self, name: &str) {
        let sql = self.backend.dialect.drop_database(name);
        self.execute(name, &sql);
    }

    fn put_back(&mut self, name: &str, live: &str, names: &[String]) {
        let dialect = self.backend.dialect.as_ref();
        let sql = if names.iter().any(|n| n == live) {
            dialect.drop_database(name)
        } else {
            dialect.rename_database(name, live)
        };
        self.execute(name, &sql);
    }
}

/// A registration's databases: its staging copy, the dataset's and the
/// replaced one's while it is retired.
struct DatabasePlaces {
    dialect: std::sync::Arc<dyn ServerDialect>,
    /// How long a replacement waits for readers of the old database.
    timeout: u64,
    maintenance: OdbcStore,
    staging: String,
    database: String,
    retired: String,
    /// The owners role made for this registration, dropped if it fails.
    created_owners: Option<String>,
}

impl DatabasePlaces {
    fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        let sql = self.dialect.rename_database(from, to);
        self.maintenance.execute(&sql, &[])
    }

    fn drop_database(&mut self, database: &str) -> Result<()> {
        let sql = self.dialect.drop_database(database);
        self.maintenance.execute(&sql, &[])
    }
}

impl Places for DatabasePlaces {
    fn describe(&mut self, record: &DatasetRecord) -> Result<()> {
        let sql = self
            .dialect
            .comment_on_database(&self.staging, &ServerBackend::description(record));
        self.maintenance.execute(&sql, &[])
    }

    fn live_exists(&mut self) -> Result<bool> {
        exists(&mut self.maintenance, self.dialect.as_ref(), &self.database)
    }

    fn taken(&self) -> Error {
        Error::AlreadyExists(format!(
            "dataset database {} was registered on the server by someone else meanwhile",
            self.database
        ))
    }

    /// A database cannot be renamed while anyone is connected to it.
    fn retire(&mut self) -> Result<()> {
        wait_until_unused(
            &mut self.maintenance,
            self.dialect.as_ref(),
            &self.database,
            self.timeout,
        )?;
        let (database, retired) = (self.database.clone(), self.retired.clone());
        self.rename(&database, &retired).map_err(|e| {
            Error::Backend(format!(
                "cannot replace database {database} (is a client still connected to it?): {e}"
            ))
        })
    }

    fn move_into_place(&mut self) -> Result<()> {
        let (staging, database) = (self.staging.clone(), self.database.clone());
        self.rename(&staging, &database)
    }

    /// Taken between the check and the rename by another user: the server
    /// says so with 42P04 (`AlreadyExists`), or, when both renames run at
    /// the same moment, with its catalog's unique index; either way the
    /// name now exists.
    fn publish_failed(&mut self, err: Error, had_old: bool) -> Error {
        let taken = !had_old
            && exists(&mut self.maintenance, self.dialect.as_ref(), &self.database)
                .unwrap_or(false);
        if taken || matches!(err, Error::AlreadyExists(_)) {
            self.taken()
        } else {
            err
        }
    }

    fn restore(&mut self) {
        let (retired, database) = (self.retired.clone(), self.database.clone());
        let _ = self.rename(&retired, &database);
    }

    fn unpublish(&mut self) {
        let database = self.database.clone();
        let _ = self.drop_database(&database);
    }

    fn drop_retired(&mut self) {
        let retired = self.retired.clone();
        if let Err(err) = self.drop_database(&retired) {
            log::warn!("cannot drop the replaced database {retired}: {err}");
        }
    }

    fn drop_staging(&mut self) {
        let staging = self.staging.clone();
        let _ = self.drop_database(&staging);
        if let Some(owners) = self.created_owners.clone() {
            let _ = self.maintenance.execute(&self.dialect.reset_role(), &[]);
            let _ = self
                .maintenance
                .execute(&self.dialect.drop_role(&owners), &[]);
        }
    }
}

/// Waits (up to `database.connection_timeout`) for the sessions of
/// other readers of `database` to end: a database cannot be dropped or
/// renamed while anyone is connected, and a reader finishing its
/// export should not make a removal fail.
fn wait_until_unused(
    maintenance: &mut OdbcStore,
    dialect: &dyn ServerDialect,
    database: &str,
    timeout: u64,
) -> Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout);
    loop {
        let mut sessions = 0;
        maintenance.query(
            &dialect.sessions_on_database(),
            &[Value::Text(database.to_string())],
            &mut |row| {
                sessions = row.first().and_then(Value::as_i64).unwrap_or(0);
                Ok(())
            },
        )?;
        if sessions == 0 {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(Error::Backend(format!(
                "database {database} is in use by {sessions} other session(s) after waiting {timeout} s \
                 (database.connection_timeout); try again when they have finished"
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
