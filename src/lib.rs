//! mdm, the ML Data Manager: registers machine-learning datasets (CSV files,
//! Kaggle-style folders, compressed files) into one database per dataset and
//! lists, profiles, exports and removes them, with features generated
//! inside each dataset's database.
//!
//! Layers, each calling only downwards: `cli` -> `ops` -> `catalog` /
//! `ingest` -> `store` (over a `dialect`) -> `config`, `error`.

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
pub mod ops;
pub mod profile;
pub mod quantile;
pub mod sink;
pub mod store;
pub mod time;
pub mod ui;

pub use error::{Error, Result};
