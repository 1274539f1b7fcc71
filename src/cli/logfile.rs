//! The log file of `logging.file`: appended to, and rotated when it reaches
//! `logging.max_bytes` (`mdm.log` -> `mdm.log.1` -> ... up to
//! `logging.backup_count` files; with 0 kept, it starts again empty).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// An append-only log file that rotates itself by size.
pub struct RotatingLog {
    path: PathBuf,
    file: File,
    size: u64,
    max_bytes: u64,
    backup_count: u32,
}

impl RotatingLog {
    /// Opens (creating) the log at `path`, rotating it first when it is full.
    pub fn open(path: &Path, max_bytes: u64, backup_count: u32) -> Result<RotatingLog> {
        let file = append(path).map_err(|e| Error::io(path, "open", e))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut log = RotatingLog {
            path: path.to_path_buf(),
            file,
            size,
            max_bytes,
            backup_count,
        };
        if log.size >= max_bytes {
            log.rotate().map_err(|e| Error::io(path, "rotate", e))?;
        }
        Ok(log)
    }

    fn numbered(&self, n: u32) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        if self.backup_count == 0 {
            self.file.set_len(0)?;
        } else {
            for n in (1..self.backup_count).rev() {
                let from = self.numbered(n);
                if from.exists() {
                    std::fs::rename(&from, self.numbered(n + 1))?;
                }
            }
            std::fs::rename(&self.path, self.numbered(1))?;
            self.file = append(&self.path)?;
        }
        self.size = 0;
        Ok(())
    }
}

fn append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl Write for RotatingLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let written = self.file.write(buf)?;
        self.size += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_log_moves_to_numbered_backups_and_the_oldest_goes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mdm.log");
        let mut log = RotatingLog::open(&path, 10, 2).unwrap();
        for line in ["aaaaaaaa\n", "bbbbbbbb\n", "cccccccc\n", "dddddddd\n"] {
            log.write_all(line.as_bytes()).unwrap();
        }
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(&path), "dddddddd\n");
        assert_eq!(read(&dir.path().join("mdm.log.1")), "cccccccc\n");
        assert_eq!(read(&dir.path().join("mdm.log.2")), "bbbbbbbb\n");
        assert!(!dir.path().join("mdm.log.3").exists());
    }
}
