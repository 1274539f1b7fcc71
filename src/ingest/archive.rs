//! The scratch space of one registration: zip archives (a zipped Kaggle
//! folder is a folder, a zip holding one data file is that file) and
//! compressed files that a reader cannot stream in place (bzip2/xz
//! delimited text, compressed Parquet or Excel, which need to seek) are
//! unpacked into a private directory next to the datasets, removed when
//! the registration ends however it ends. Unpacking refuses entry names
//! that leave the archive and stops past a size or ratio limit, so a zip
//! bomb fills neither the disk nor the memory.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::format::{self, Compression};
use crate::error::{Error, Result};

/// How much unpacking a registration may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnpackLimits {
    /// Most bytes unpacked in total.
    pub max_bytes: u64,
    /// Most unpacked bytes per compressed byte (for files past
    /// [`RATIO_FLOOR`]).
    pub max_ratio: u64,
}

/// Real data compresses 3-20x with deflate (a few columns of repeated
/// categories up to ~50x); deflate itself cannot exceed ~1030x, which is
/// what bombs use.
pub const DEFAULT_MAX_RATIO: u64 = 200;
/// 64 GiB: larger than any dataset registered from a laptop's archive.
pub const DEFAULT_MAX_BYTES: u64 = 64 << 30;
/// Small files may have silly ratios (a column of zeros); the ratio limit
/// applies past this size.
const RATIO_FLOOR: u64 = 64 << 20;
/// Archives inside archives are followed this deep (a zip quine stops here).
const MAX_DEPTH: usize = 4;

impl Default for UnpackLimits {
    fn default() -> Self {
        UnpackLimits {
            max_bytes: DEFAULT_MAX_BYTES,
            max_ratio: DEFAULT_MAX_RATIO,
        }
    }
}

/// How unpack directories start: `.unpack-{pid}-...`, so that one left by
/// a killed registration is recognised and removed by the next.
const UNPACK_PREFIX: &str = ".unpack-";

/// Removes the unpack directories of processes that no longer run.
fn sweep_unpacked(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(UNPACK_PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            log::info!("removing leftover {}", entry.path().display());
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The private directory of one registration's unpacked files.
pub struct Workspace {
    parent: PathBuf,
    limits: UnpackLimits,
    dir: Option<tempfile::TempDir>,
    unpacked: u64,
    depth: usize,
}

impl Workspace {
    /// A workspace under `parent` (created on first use).
    pub fn new(parent: &Path, limits: UnpackLimits) -> Workspace {
        Workspace {
            parent: parent.to_path_buf(),
            limits,
            dir: None,
            unpacked: 0,
            depth: 0,
        }
    }

    /// A fresh directory for the content of `source`.
    fn target_dir(&mut self, source: &Path) -> Result<PathBuf> {
        if self.dir.is_none() {
            std::fs::create_dir_all(&self.parent)
                .map_err(|e| Error::io(&self.parent, "create directory", e))?;
            sweep_unpacked(&self.parent);
            let prefix = format!("{UNPACK_PREFIX}{}-", std::process::id());
            let dir = tempfile::Builder::new()
                .prefix(&prefix)
                .tempdir_in(&self.parent)
                .map_err(|e| Error::io(&self.parent, "create a directory in", e))?;
            self.dir = Some(dir);
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH * 16 {
            return Err(Error::General(format!(
                "{}: too many nested archives",
                source.display()
            )));
        }
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "archive".into());
        let dir = self
            .dir
            .as_ref()
            .expect("created above")
            .path()
            .join(format!("{}-{name}", self.depth));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create directory", e))?;
        Ok(dir)
    }

    /// Refuses to go past the total size limit.
    fn account(&mut self, source: &Path, bytes: u64) -> Result<()> {
        self.unpacked = self.unpacked.saturating_add(bytes);
        if self.unpacked > self.limits.max_bytes {
            return Err(Error::General(format!(
                "{}: unpacks to more than {} bytes (the limit; raise it with --max-unpacked-size)",
                source.display(),
                self.limits.max_bytes
            )));
        }
        Ok(())
    }

    fn check_ratio(&self, source: &Path, entry: &str, packed: u64, unpacked: u64) -> Result<()> {
        if unpacked > RATIO_FLOOR && unpacked / packed.max(1) > self.limits.max_ratio {
            return Err(Error::General(format!(
                "{}{entry}: expands {}x ({} to {} bytes), past the limit of {}x; a zip bomb? (raise it with --max-unpack-ratio)",
                source.display(),
                unpacked / packed.max(1),
                packed,
                unpacked,
                self.limits.max_ratio
            )));
        }
        Ok(())
    }

    /// Extracts the files of the zip at `path`; returns the directory they
    /// are in (descending into a single top-level folder).
    pub fn unzip(&mut self, path: &Path) -> Result<PathBuf> {
        let corrupt = |e: zip::result::ZipError| {
            Error::General(format!(
                "{}: not a readable zip archive ({e})",
                path.display()
            ))
        };
        let file = File::open(path).map_err(|e| Error::io(path, "open", e))?;
        let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(corrupt)?;
        // Every name and declared size is checked before anything is written.
        let mut declared = 0u64;
        for index in 0..archive.len() {
            let entry = archive.by_index_raw(index).map_err(corrupt)?;
            let shown = format!(":{}", entry.name());
            if entry.enclosed_name().is_none()
                || Path::new(entry.name())
                    .components()
                    .any(|c| matches!(c, Component::ParentDir | Component::RootDir))
            {
                return Err(Error::General(format!(
                    "{}: entry `{}` points outside the archive; nothing was extracted",
                    path.display(),
                    entry.name()
                )));
            }
            if entry.is_symlink() {
                return Err(Error::General(format!(
                    "{}: entry `{}` is a symbolic link; nothing was extracted",
                    path.display(),
                    entry.name()
                )));
            }
            self.check_ratio(path, &shown, entry.compressed_size(), entry.size())?;
            declared = declared.saturating_add(entry.size());
        }
        if self.unpacked.saturating_add(declared) > self.limits.max_bytes {
            return Err(Error::General(format!(
                "{}: unpacks to {declared} bytes, more than the limit of {} (raise it with --max-unpacked-size)",
                path.display(),
                self.limits.max_bytes
            )));
        }
        let dir = self.target_dir(path)?;
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).map_err(corrupt)?;
            let name = entry.enclosed_name().expect("checked above");
            if entry.is_dir() || is_clutter(&name) {
                continue;
            }
            let target = dir.join(&name);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Error::io(parent, "create directory", e))?;
            }
            let size = entry.size();
            let packed = entry.compressed_size();
            let shown = format!(":{}", name.display());
            // A lying header cannot make mdm write more than it declared.
            let written = copy_to(&mut (&mut entry).take(size + 1), &target, path)?;
            if written > size {
                return Err(Error::General(format!(
                    "{}{shown}: holds more data than its header declares; refused",
                    path.display()
                )));
            }
            self.check_ratio(path, &shown, packed, written)?;
            self.account(path, written)?;
        }
        // A zipped folder `data/` holding everything: the folder is the dataset.
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, "list", e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        if entries.len() == 1 && entries[0].is_dir() {
            return Ok(entries.pop().expect("one entry"));
        }
        Ok(dir)
    }

    /// Writes the decompressed content of `path` to a file named like it
    /// without the compression suffix; returns that file.
    pub fn decompress(&mut self, path: &Path, compression: Compression) -> Result<PathBuf> {
        let dir = self.target_dir(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let inner = name
            .strip_suffix(compression.suffix())
            .filter(|n| !n.is_empty())
            .unwrap_or("content");
        let target = dir.join(inner);
        let packed = std::fs::metadata(path)
            .map_err(|e| Error::io(path, "read", e))?
            .len();
        let room = self.limits.max_bytes.saturating_sub(self.unpacked);
        let ratio_room = if packed.saturating_mul(self.limits.max_ratio) > RATIO_FLOOR {
            packed.saturating_mul(self.limits.max_ratio)
        } else {
            RATIO_FLOOR
        };
        let cap = room.min(ratio_room);
        let mut stream = format::open_decompressed(path, compression, Arc::default())?;
        let written = copy_to(
            &mut (&mut stream).take(cap.saturating_add(1)),
            &target,
            path,
        )?;
        if written > cap && cap == room {
            return Err(Error::General(format!(
                "{}: unpacks to more than {} bytes (the limit; raise it with --max-unpacked-size)",
                path.display(),
                self.limits.max_bytes
            )));
        }
        if written > cap {
            return Err(Error::General(format!(
                "{}: expands more than {}x ({packed} bytes to over {cap}), past the limit; a compression bomb? (raise it with --max-unpack-ratio)",
                path.display(),
                self.limits.max_ratio
            )));
        }
        self.account(path, written)?;
        Ok(target)
    }
}

/// Files archivers add that are not data (macOS resource forks).
fn is_clutter(name: &Path) -> bool {
    name.components().any(|c| {
        let c = c.as_os_str().to_string_lossy();
        c == "__MACOSX" || c == ".DS_Store"
    })
}

/// Copies `reader` into a new file `target`; returns the bytes written.
fn copy_to(reader: &mut dyn Read, target: &Path, source: &Path) -> Result<u64> {
    let mut out = std::io::BufWriter::with_capacity(
        256 * 1024,
        File::create(target).map_err(|e| Error::io(target, "create", e))?,
    );
    let written = std::io::copy(reader, &mut out).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData
        | std::io::ErrorKind::InvalidInput
        | std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::Other => Error::General(format!(
            "{}: corrupt or truncated compressed data ({e})",
            source.display()
        )),
        _ => Error::io(target, "write", e),
    })?;
    out.flush().map_err(|e| Error::io(target, "write", e))?;
    Ok(written)
}
