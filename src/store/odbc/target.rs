//! How mdm reaches one backend over ODBC: the DSN or driver and the
//! connection attributes from the backend's profile, the password kept out
//! of messages, and connecting (with a pool slot on servers).

use std::path::Path;
use std::sync::Arc;

use odbc_api::{ConnectionOptions, Environment};

use super::profile::{self, OdbcProfile};
use super::store::{OdbcStore, SettingSet};
use crate::config::{Backend, OdbcSettings, Settings};
use crate::dialect;
use crate::error::{Error, Result};
use crate::store::{Connection, LoadShape};

/// The process's ODBC environment (odbc-api's, made once).
pub(crate) fn environment() -> Result<&'static Environment> {
    odbc_api::environment().map_err(|e| Error::Backend(format!("cannot initialise unixODBC: {e}")))
}

/// Connects with a connection string whose bytes are followed by a NUL in
/// memory. The string is passed with its length, as ODBC allows; some
/// drivers (MariaDB Connector/ODBC 3.1) still read the last attribute up to
/// a NUL, so without one after the string they read whatever follows it
/// and fail at random ("Access denied"). The NUL is outside the length, so
/// drivers that honour the length see the string unchanged.
pub(crate) fn connect_with_string(
    environment: &'static Environment,
    connection_string: &str,
) -> std::result::Result<odbc_api::Connection<'static>, odbc_api::Error> {
    let mut terminated = String::with_capacity(connection_string.len() + 1);
    terminated.push_str(connection_string);
    terminated.push('\0');
    environment.connect_with_connection_string(
        &terminated[..connection_string.len()],
        ConnectionOptions::default(),
    )
}

/// How to reach one backend over ODBC: the DSN or driver, the attributes
/// that do not depend on the dataset, and the secret to keep out of
/// messages.
#[derive(Clone)]
pub struct OdbcTarget {
    pub(super) backend: Backend,
    pub(super) profile: Arc<dyn OdbcProfile>,
    /// `DSN=` or `Driver=` first, then fixed attributes.
    attributes: Vec<(String, String)>,
    password: Option<String>,
    /// What the connection is called in messages (DSN or driver name).
    pub(super) label: String,
}

impl OdbcTarget {
    /// The ODBC target of `backend` in `settings`.
    pub fn new(settings: &Settings, backend: Backend) -> Result<OdbcTarget> {
        let profile: Arc<dyn OdbcProfile> = profile::for_config(backend, &settings.config).into();
        let OdbcSettings {
            dsn,
            driver,
            options,
        } = profile.odbc_settings().cloned().unwrap_or_default();
        let (mut attributes, label) = match (dsn, driver) {
            (Some(dsn), _) => (vec![("DSN".to_string(), dsn.clone())], format!("DSN {dsn}")),
            (None, driver) => {
                let driver = driver.unwrap_or_else(|| profile.default_driver().to_string());
                (
                    vec![("Driver".to_string(), driver.clone())],
                    format!("driver {driver}"),
                )
            }
        };
        let uses_dsn = attributes[0].0 == "DSN";
        attributes.extend(profile.connection_attributes(uses_dsn));
        attributes.extend(options);
        Ok(OdbcTarget {
            backend,
            password: profile.password(),
            profile,
            attributes,
            label,
        })
    }

    /// The backend this target reaches.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How a client reaches database `database` (a file path for SQLite and
    /// DuckDB, a database name for PostgreSQL).
    pub fn connection(&self, database: &str) -> Connection {
        let mut attributes = self.attributes.clone();
        attributes.insert(1, ("Database".to_string(), database.to_string()));
        Connection {
            attributes,
            password: self.password.clone(),
        }
    }

    /// Why mdm may only read through this target (its configuration).
    pub fn read_only_reason(&self) -> Option<String> {
        self.profile.read_only_reason()
    }

    /// The process holding a database, from a refused open's message.
    pub fn lock_holder(&self, message: &str) -> Option<String> {
        self.profile.lock_holder(message)
    }

    /// This target opening its databases read-only, where the profile has a
    /// read-only mode (else the same target).
    pub fn read_only(&self) -> OdbcTarget {
        let mut target = self.clone();
        for (key, value) in self.profile.read_only_attributes() {
            match target
                .attributes
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(&key))
            {
                Some(slot) => slot.1 = value,
                None => target.attributes.push((key, value)),
            }
        }
        target
    }

    /// Hides the password in any text, on one line (driver diagnostics
    /// span several lines).
    pub fn redact(&self, text: &str) -> String {
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        match &self.password {
            Some(password) if !password.is_empty() => one_line.replace(password.as_str(), "***"),
            _ => one_line,
        }
    }

    /// Connects to database `database`.
    pub fn connect(&self, database: &str) -> Result<OdbcStore> {
        let environment = environment()?;
        let permit = match self.profile.pool() {
            Some(pool) => Some(super::pool::acquire(pool)?),
            None => None,
        };
        let connection_string = self.connection(database).connection_string(true);
        let conn = connect_with_string(environment, &connection_string).map_err(|e| {
            Error::Backend(format!(
                "cannot connect to {} database {database} through ODBC {}: {}",
                self.backend,
                self.label,
                self.redact(&e.to_string())
            ))
        })?;
        let mut store = OdbcStore {
            conn: std::mem::ManuallyDrop::new(conn),
            dialect: dialect::for_backend(self.backend),
            target: self.clone(),
            database: database.to_string(),
            bulk_load: false,
            shape: LoadShape::default(),
            _permit: permit,
        };
        store.apply_settings(SettingSet::Session)?;
        Ok(store)
    }

    /// Connects to a database file (SQLite, DuckDB); with `bulk_load`, the
    /// file is new and private and gets the profile's bulk-load settings.
    pub fn connect_file(&self, path: &Path, bulk_load: bool) -> Result<OdbcStore> {
        let database = path.display().to_string();
        if bulk_load {
            self.connect_for_load(&database)
        } else {
            self.connect(&database)
        }
    }

    /// Connects to a new, private database that is about to be bulk-loaded,
    /// with the profile's bulk-load settings.
    pub fn connect_for_load(&self, database: &str) -> Result<OdbcStore> {
        let mut store = self.connect(database)?;
        store.bulk_load = true;
        store.apply_settings(SettingSet::BulkLoad)?;
        Ok(store)
    }
}
