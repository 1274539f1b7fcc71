//! The generic ODBC store: one code path (odbc-api over unixODBC) for the
//! SQLite, DuckDB and PostgreSQL drivers. What differs between them comes
//! from two places only: the [`crate::dialect::Dialect`] spells the SQL,
//! and the backend's [`profile::OdbcProfile`] holds its ODBC facts (driver,
//! connection attributes, how values travel through buffers, insert
//! strategy, session and bulk settings). Parameter arrays carry whole
//! batches per round trip; block cursors fetch whole batches.
//!
//! The profiles hold no ODBC types and are always compiled (the embedded
//! SQLite backend describes its files with the SQLite profile); the rest
//! needs the `odbc` feature.

pub mod profile;

#[cfg(feature = "odbc")]
mod fetch;
#[cfg(feature = "odbc")]
mod insert;
#[cfg(feature = "odbc")]
mod pool;
#[cfg(feature = "odbc")]
mod rows;
#[cfg(feature = "odbc")]
mod store;
#[cfg(feature = "odbc")]
mod target;
#[cfg(feature = "odbc")]
mod values;

#[cfg(feature = "odbc")]
pub(crate) use fetch::fill_column;
#[cfg(feature = "odbc")]
pub(crate) use rows::close_cursor;
#[cfg(feature = "odbc")]
pub use store::{sqlstate, OdbcStore};
#[cfg(feature = "odbc")]
pub use target::OdbcTarget;
#[cfg(feature = "odbc")]
pub(crate) use target::{connect_with_string, environment};
#[cfg(feature = "odbc")]
pub(crate) use values::{from_odbc_date, from_odbc_timestamp, to_odbc_date, to_odbc_timestamp};

/// Bytes of text buffers bound at once; batches with long values are split
/// so that memory stays bounded.
#[cfg(feature = "odbc")]
const BUFFER_BUDGET: usize = 64 * 1024 * 1024;
