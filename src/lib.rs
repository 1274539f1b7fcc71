//! mdm, the ML Data Manager: registers machine-learning datasets (CSV files,
//! Kaggle-style folders, compressed files) into one database per dataset and
//! lists, profiles, exports and removes them, with features generated
//! inside each dataset's database.
//!
//! Modules top to bottom; each uses only those below it:
//!
//! ```text
//! cli         clap, rendering; read flags, grants, the log file
//! ops         register, list, info, stats, search, update, export, remove,
//!             features, access, partition
//! features    transformers as dialect SQL, fitted on train; custom features
//! ingest      discovery, format from magic bytes, archives, sniffer and
//!             dialects, encodings, bad rows, typed readers for Parquet, JSON,
//!             Excel and ODBC queries, type inference
//! metadata    what mdm keeps in `_metadata`; the export sidecar
//! catalog     discovery YAML per (backend, name), or the server's own catalog
//! backend     files and servers, staging; the dataset record and its location
//! store       Store trait; embedded SQLite; ODBC with its connection pool;
//!             ODBC connection strings
//! dialect     SQL templates per database (spelling and capabilities)
//! model       column types, values, batches, value parsers, name rules
//! config      mdm.yaml, environment, the original MDM's keys
//! error       one Error enum; each variant maps to an exit code
//! utilities   where their own imports put them: quantile (exact percentiles,
//!             over a store) above store; profile (load-time statistics) and
//!             sink (CSV, JSON Lines, Parquet writers) above model; ui
//!             (terminal output, progress bars), interrupt (Ctrl-C), time
//!             (calendar), choice (closed word sets) at the bottom, beside
//!             config and error
//! ```

#[macro_use]
mod choice;

pub mod backend;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod dialect;
pub mod error;
pub mod features;
pub mod ingest;
pub mod interrupt;
pub mod metadata;
pub mod model;
pub mod ops;
pub mod profile;
pub mod quantile;
pub mod sink;
pub mod store;
pub mod time;
pub mod ui;

pub use error::{Error, Result};
