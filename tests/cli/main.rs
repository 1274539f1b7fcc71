//! End-to-end tests of the `mdm` binary against real files and real
//! databases, each in its own temporary MDM_HOME.

mod common;

mod config;
mod corpus;
mod cross;
mod document;
mod explore;
mod faults;
mod features;
mod folds;
mod formats;
mod lifecycle;
#[cfg(feature = "odbc")]
mod odbc_source;
#[cfg(not(feature = "odbc"))]
mod odbc_source_disabled;
mod query;
mod register;
mod sniff;
mod spellings;
mod team;
mod wide;
