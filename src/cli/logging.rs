//! Logging to stderr or to the rotating log file of `logging.file`, at the
//! level of `logging.level` raised by `-v`, as text or JSON lines.

use crate::config::{LogFormat, LogLevel, Settings};
use crate::error::{Error, Result};

use super::logfile;

/// Installs the logger for this run.
pub fn init(settings: &Settings, verbose: u8) -> Result<()> {
    let configured = match settings.config.logging.level {
        LogLevel::Error => log::LevelFilter::Error,
        LogLevel::Warning => log::LevelFilter::Warn,
        LogLevel::Info => log::LevelFilter::Info,
        LogLevel::Debug => log::LevelFilter::Debug,
        LogLevel::Trace => log::LevelFilter::Trace,
    };
    let level = match verbose {
        0 => configured,
        1 => configured.max(log::LevelFilter::Info),
        2 => configured.max(log::LevelFilter::Debug),
        _ => log::LevelFilter::Trace,
    };
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level).format_timestamp_secs();
    // ODBC diagnostics (driver-manager version notices, truncation warnings
    // that mdm handles itself) are noise below debug level.
    if level < log::LevelFilter::Debug {
        builder.filter_module("odbc_api", log::LevelFilter::Error);
    }
    let logging = &settings.config.logging;
    let echo = settings.config.database.sqlalchemy.echo;
    crate::store::set_echo(echo);
    if echo {
        builder.filter_module("mdm::sql", log::LevelFilter::Info.max(level));
    }
    if logging.format == LogFormat::Json {
        builder.format(|out, record| {
            use std::io::Write;
            let line = serde_json::json!({
                "time": crate::time::now_rfc3339(),
                "level": record.level().as_str(),
                "target": record.target(),
                "message": record.args().to_string(),
            });
            writeln!(out, "{line}")
        });
    }
    if let Some(file) = &logging.file {
        let logs = settings.logs_path();
        std::fs::create_dir_all(&logs).map_err(|e| Error::io(&logs, "create directory", e))?;
        let target =
            logfile::RotatingLog::open(&logs.join(file), logging.max_bytes, logging.backup_count)?;
        builder.target(env_logger::Target::Pipe(Box::new(target)));
    }
    let _ = builder.try_init();
    Ok(())
}
