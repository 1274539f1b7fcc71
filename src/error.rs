//! The one error type of mdm. Every variant maps to a documented exit code
//! (see `Error::exit_code` and the README), and every message is a single line
//! that names the file, line, column or configuration key involved.
//!
//! Errors of the libraries underneath (I/O, SQLite, ODBC) keep the library's
//! error as their `source`, and an ODBC error its SQLSTATE. Where mdm gives
//! such an error a class of its own — a refused access, a taken name, a
//! missing input — it becomes that class's variant, decided by the I/O
//! error's kind or the SQLSTATE, never by the message text.

use std::path::Path;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in mdm, grouped by the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A general failure: unreadable or malformed input data, I/O trouble.
    #[error("{0}")]
    General(String),

    /// The command line is inconsistent with the data or with itself
    /// (unknown target column, invalid dataset name, missing input path).
    #[error("{0}")]
    InvalidArgument(String),

    /// The named dataset does not exist in the current backend.
    #[error("{0}")]
    NotFound(String),

    /// A dataset with that name already exists.
    #[error("{0}")]
    AlreadyExists(String),

    /// The operating system refused access to a file or directory.
    #[error("{0}")]
    PermissionDenied(String),

    /// The storage backend failed (SQLite, ODBC driver, server down).
    #[error("{0}")]
    Backend(String),

    /// The configuration (mdm.yaml, `MDM_*` variables) is invalid.
    #[error("{0}")]
    Config(String),

    /// A file or directory could not be read or written (exit 1, as
    /// `General`).
    #[error("{message}")]
    Io {
        message: String,
        #[source]
        source: std::io::Error,
    },

    /// The embedded SQLite database failed (exit 6, as `Backend`).
    #[error("{message}")]
    Sqlite {
        message: String,
        #[source]
        source: rusqlite::Error,
    },

    /// An ODBC driver or database server failed (exit 6, as `Backend`).
    /// The message is mdm's, with the driver's text redacted of secrets.
    #[cfg(feature = "odbc")]
    #[error("{message}")]
    Odbc {
        message: String,
        /// The SQLSTATE the driver reported, if any.
        sqlstate: Option<String>,
        #[source]
        source: odbc_api::Error,
    },

    /// The user interrupted the operation (Ctrl-C); nothing was published.
    #[error("interrupted; nothing was registered or changed")]
    Interrupted,

    /// Standard output was closed by the reader (`mdm dataset list | head`);
    /// not an error for the user, so it exits 0 without a message.
    #[error("broken pipe")]
    BrokenPipe,
}

impl Error {
    /// The process exit code for this error, as documented in the README.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::General(_) => 1,
            Error::InvalidArgument(_) => 2,
            Error::NotFound(_) => 3,
            Error::AlreadyExists(_) => 4,
            Error::PermissionDenied(_) => 5,
            Error::Backend(_) => 6,
            Error::Config(_) => 7,
            Error::Io { .. } => 1,
            Error::Sqlite { .. } => 6,
            #[cfg(feature = "odbc")]
            Error::Odbc { .. } => 6,
            Error::Interrupted => 130,
            Error::BrokenPipe => 0,
        }
    }

    /// Turns an I/O error on `path` into an error that names the path, mapping
    /// "permission denied" to its own exit code.
    pub fn io(path: &Path, action: &str, err: std::io::Error) -> Error {
        let message = format!("cannot {action} {}: {}", path.display(), io_reason(&err));
        match err.kind() {
            std::io::ErrorKind::BrokenPipe => Error::BrokenPipe,
            std::io::ErrorKind::PermissionDenied => Error::PermissionDenied(message),
            std::io::ErrorKind::NotFound => Error::InvalidArgument(message),
            _ => Error::Io {
                message,
                source: err,
            },
        }
    }

    /// A SQLite error while working on the database at `path`.
    pub fn sqlite(path: &Path, err: rusqlite::Error) -> Error {
        Error::Sqlite {
            message: format!("SQLite error on {}: {err}", path.display()),
            source: err,
        }
    }
}

/// The OS error text without Rust's "(os error N)" suffix.
fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}
