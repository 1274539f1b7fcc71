//! System configuration: built-in defaults < `mdm.yaml` < `MDM_<SECTION>_<KEY>`
//! environment variables < command-line flags, validated once into
//! [`Settings`] and read-only afterwards.
//!
//! This file owns loading (home, file, first-run template, overlay, error
//! attribution) and [`Settings`], and re-exports the module's public surface.
//! The parts: `schema` (sections, words and defaults), `effective` (values
//! several keys decide together), `template` (the commented first-run file),
//! `compat` (the original MDM's keys), `environment` (the `MDM_*` overlay)
//! and `validate` (rules serde cannot express).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::error::{Error, Result};

mod compat;
mod effective;
mod environment;
mod schema;
mod template;
mod validate;

pub use effective::{Pool, MAX_WORKERS, MIN_SERVER_CONNECTIONS};
pub use schema::{
    AccessMode, Backend, BadRows, BinningFeatures, CategoricalFeatures, Cli, Compression, Config,
    Database, DuckdbSettings, Export, ExportFormat, FeatureEngineering, JournalMode, LogFormat,
    LogLevel, Logging, MissingFeatures, OdbcSettings, Paths, Performance, PostgresqlSettings,
    SqlSettings, SqliteSettings, SslMode, StatisticalFeatures, Synchronous, TempStore,
    TemporalFeatures, TextFeatures, Validation,
};
pub use template::DEFAULT_CONFIG_YAML;

use environment::apply_env_overrides;
use template::write_default_config;
use validate::validate;

/// Validated, read-only settings for one run of mdm.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The mdm home directory.
    pub home: PathBuf,
    /// The configuration file that was read (it may not exist when given
    /// explicitly by a test harness; then defaults apply).
    pub config_file: PathBuf,
    pub config: Config,
    /// `MDM_*` variables that overrode a key: (variable, dotted key).
    pub env_overrides: Vec<(String, String)>,
    /// Keys of the original MDM's configuration that have no effect in
    /// mdm, each with the reason.
    pub inert_keys: Vec<String>,
}

impl Settings {
    /// Loads the settings: the home from `MDM_HOME` (or `~/.mdm`), the file
    /// from `config_flag`, `MDM_CONFIG_PATH` or `<home>/mdm.yaml` (created with
    /// commented defaults when it is the default and missing), then the
    /// environment overrides.
    pub fn load(config_flag: Option<&Path>) -> Result<Settings> {
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(key, _)| key.starts_with("MDM_"))
            .collect();
        Self::load_from(config_flag, &env)
    }

    /// [`Settings::load`] with an explicit environment, for tests.
    pub fn load_from(
        config_flag: Option<&Path>,
        env: &BTreeMap<String, String>,
    ) -> Result<Settings> {
        // MDM_HOME_DIR is the original MDM's name for it.
        let home = match env
            .get("MDM_HOME")
            .or_else(|| env.get("MDM_HOME_DIR"))
            .filter(|v| !v.is_empty())
        {
            Some(home) => expand_home(home),
            None => home_dir()?.join(".mdm"),
        };
        let explicit = config_flag.map(Path::to_path_buf).or_else(|| {
            env.get("MDM_CONFIG_PATH")
                .filter(|v| !v.is_empty())
                .map(|p| expand_home(p))
        });
        let config_file = explicit.clone().unwrap_or_else(|| home.join("mdm.yaml"));

        let text = match std::fs::read_to_string(&config_file) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                write_default_config(&config_file)?;
                DEFAULT_CONFIG_YAML.to_string()
            }
            Err(err) => {
                return Err(Error::Config(format!(
                    "cannot read configuration file {}: {err}",
                    config_file.display()
                )))
            }
        };
        let mut tree: Value = if text.trim().is_empty() {
            Value::Mapping(Default::default())
        } else {
            serde_yaml::from_str(&text).map_err(|err| {
                Error::Config(format!("{}: invalid YAML: {err}", config_file.display()))
            })?
        };
        if tree.is_null() {
            tree = Value::Mapping(Default::default());
        }
        if !tree.is_mapping() {
            return Err(Error::Config(format!(
                "{}: expected a mapping of sections (paths, database, ...) at the top level",
                config_file.display()
            )));
        }

        let translation = compat::translate(&mut tree);
        let file_tree = tree.clone();
        let env_overrides = apply_env_overrides(&mut tree, env)?;
        let config: Config = serde_path_to_error::deserialize(tree).map_err(|err| {
            let key = err.path().to_string();
            let source = env_overrides
                .iter()
                .find(|(_, k)| *k == key)
                .map(|(var, _)| format!(" (set by {var})"))
                .unwrap_or_else(|| format!(" in {}", config_file.display()));
            Error::Config(format!(
                "configuration key `{key}`{source}: {}",
                err.inner()
            ))
        })?;
        validate(&config)?;
        let file_password = serde_yaml::from_value::<Config>(file_tree)
            .ok()
            .and_then(|file| file.database.postgresql.password)
            .is_some();
        if file_password {
            if let Some(warning) = exposed_password_warning(&config_file, &config) {
                eprintln!("warning: {warning}");
            }
        }
        Ok(Settings {
            home,
            config_file,
            config,
            env_overrides,
            inert_keys: translation.inert,
        })
    }

    /// Resolves a configured path: `~/` expands, relative means under home.
    pub fn resolve(&self, configured: &str) -> PathBuf {
        let path = expand_home(configured);
        if path.is_absolute() {
            path
        } else {
            self.home.join(path)
        }
    }

    /// Where dataset databases live.
    pub fn datasets_path(&self) -> PathBuf {
        self.resolve(&self.config.paths.datasets_path)
    }

    /// Where the per-dataset discovery YAML files live.
    pub fn configs_path(&self) -> PathBuf {
        self.resolve(&self.config.paths.configs_path)
    }

    /// Where log files go.
    pub fn logs_path(&self) -> PathBuf {
        self.resolve(&self.config.paths.logs_path)
    }

    /// The configured backend.
    pub fn backend(&self) -> Backend {
        self.config.database.default_backend
    }
}

/// A warning when the configuration file holds a password that other users
/// can read.
fn exposed_password_warning(path: &Path, config: &Config) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    config
        .database
        .postgresql
        .password
        .as_ref()
        .filter(|p| !p.is_empty())?;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} holds a database password and can be read by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

fn home_dir() -> Result<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| Error::Config("neither MDM_HOME nor HOME is set".into()))
}

fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => home_dir()
            .map(|h| h.join(rest))
            .unwrap_or_else(|_| PathBuf::from(path)),
        None => PathBuf::from(path),
    }
}
