//! How mdm reaches one backend over ODBC: the DSN or driver and the
//! connection attributes from the backend's profile, and the password kept
//! out of messages. Connecting makes a store, so it is in `store`.

use std::sync::Arc;

use odbc_api::{ConnectionOptions, Environment};

use super::profile::{self, OdbcProfile};
use crate::config::{Backend, OdbcSettings, Settings};
use crate::error::{Error, Result};
use crate::store::Connection;

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
}
