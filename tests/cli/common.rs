//! Shared test helpers: each test gets its own MDM_HOME in a temporary
//! directory and drives the real `mdm` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// An isolated mdm installation: its own home, config and datasets.
pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The mdm home of this environment.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// A path for input files.
    pub fn input(&self, name: &str) -> PathBuf {
        let dir = self.dir.path().join("input");
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    /// Writes an input file and returns its path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.input(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, content).unwrap();
        path
    }

    /// `mdm` with this environment and no inherited `MDM_*` variables.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("mdm").expect("mdm binary");
        for (key, _) in std::env::vars() {
            if key.starts_with("MDM_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("MDM_HOME", self.home());
        cmd
    }

    /// Runs `mdm args...` and returns the assertion handle.
    pub fn mdm(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        self.cmd().args(args).assert()
    }

    /// Runs `mdm args...`, expects success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.cmd().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "mdm {args:?} failed ({:?}): {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs `mdm args...`, expects exit code `code`, returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let output = self.cmd().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(code),
            "mdm {args:?}: expected exit {code}; stderr: {stderr}"
        );
        stderr
    }

    /// `mdm ... --json` parsed.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).expect("valid JSON")
    }

    /// The database file of a registered dataset.
    pub fn database(&self, name: &str) -> PathBuf {
        self.home()
            .join("datasets")
            .join(name)
            .join("dataset.sqlite")
    }

    /// Opens a registered dataset's database directly.
    pub fn sqlite(&self, name: &str) -> rusqlite::Connection {
        rusqlite::Connection::open(self.database(name)).unwrap()
    }

    /// Entries of the datasets directory (including hidden ones).
    pub fn dataset_dir_entries(&self) -> Vec<String> {
        match std::fs::read_dir(self.home().join("datasets")) {
            Ok(entries) => {
                let mut names: Vec<String> = entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.ends_with(".lock"))
                    .collect();
                names.sort();
                names
            }
            Err(_) => Vec::new(),
        }
    }
}

/// The shipped Kaggle-style example.
pub fn titanic() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/titanic")
}

/// Runs a query returning one text/number cell as a string.
pub fn scalar(conn: &rusqlite::Connection, sql: &str) -> String {
    conn.query_row(sql, [], |row| {
        let value: rusqlite::types::Value = row.get(0)?;
        Ok(match value {
            rusqlite::types::Value::Null => "NULL".to_string(),
            rusqlite::types::Value::Integer(v) => v.to_string(),
            rusqlite::types::Value::Real(v) => v.to_string(),
            rusqlite::types::Value::Text(t) => t,
            rusqlite::types::Value::Blob(_) => "<blob>".to_string(),
        })
    })
    .unwrap()
}
