//! mdm, the ML Data Manager: registers machine-learning datasets (CSV files,
//! Kaggle-style folders, compressed files) into one database per dataset and
//! lists, profiles, exports and removes them, with features generated
//! inside each dataset's database.
//!
//! Modules top to bottom; each uses only those below it (checked by
//! `scripts/layers.py`, part of the test command):
//!
//! ```text
//! cli         one file per command, mirroring ops: its clap struct, the
//!             conversion to its ops options, its rendering; logging, the log
//!             file
//! ops         one file per command: register (orchestration, checks, load,
//!             duplicates, sidecar, report), list, info, stats, search,
//!             update, export, remove, features, access, partition, load
//!             (tables and read-only SQL out as Arrow, for the Python API)
//! features    one file per transformer family (statistical, binning,
//!             temporal, categorical, text, missing, custom) as dialect SQL;
//!             the fitting on train; generation, the signal filter, tables
//! ingest      discovery, format from magic bytes, archives, sniffer and
//!             dialects, encodings, bad rows, typed readers for Parquet, JSON,
//!             Excel and ODBC queries, type inference; registration's passes:
//!             scan (first pass), schema (forced types), roles, plan (storage
//!             names), batches (second pass)
//! metadata    what mdm keeps in `_metadata`; the export sidecar
//! catalog     discovery YAML per (backend, name), or the server's own catalog
//! backend     where datasets live: files (SQLite, DuckDB) and servers
//!             (PostgreSQL: catalog, access, staging primitives); one staging
//!             protocol (stage, publish by rename, sweep); the dataset record
//! store       Store trait; embedded SQLite; the ODBC store with one profile
//!             per backend (driver, connection attributes, dataset file,
//!             transfer types, insert strategy, session and bulk-load
//!             statements), its connection pool; connection strings; exact
//!             doubles
//! dialect     SQL spelling per database only, one small file each (no
//!             configuration, no ODBC); the server's catalog SQL
//! model       column types, values, batches, value parsers, name rules
//! config      mdm.yaml: schema, template, environment overlay, validation;
//!             the original MDM's keys
//! error       one Error enum, library errors kept as sources; each variant
//!             maps to an exit code
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
