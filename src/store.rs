//! Reading and writing annotation files safely: atomic replace, fingerprints of what was read,
//! and clear errors naming the file.
//!
//! A write goes to a temp file in the same folder, is fsynced, renamed over the target, and the
//! folder is fsynced, so a crash leaves either the old or the new file, never a mix.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::layer::Layer;
use crate::text::sha256_hex;

/// Prefix of the temp files used for atomic writes; strays are removed on the next start.
pub const TEMP_PREFIX: &str = ".marginalia-tmp-";

/// The largest annotation file read, in bytes (a guard against unbounded memory).
pub const MAX_LAYER_BYTES: u64 = 512 * 1024 * 1024;

/// Errors reading or writing annotation files.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("{path}: cannot read: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: cannot write: {reason}")]
    Write { path: String, reason: String },
    #[error("{path}: not a valid annotation file: {reason}")]
    Parse { path: String, reason: String },
    #[error("{path}: file is {size} bytes, over the {limit}-byte limit for annotation files")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("{path}: refusing to write through a symbolic link")]
    Symlink { path: String },
}

/// What a file looked like when it was read, to notice when someone else replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub len: u64,
    pub modified: Option<SystemTime>,
    pub sha256: String,
}

impl Fingerprint {
    /// The fingerprint of bytes just read from or written to `path`.
    pub fn of(path: &Path, bytes: &[u8]) -> Self {
        let meta = std::fs::metadata(path).ok();
        Self {
            len: bytes.len() as u64,
            modified: meta.and_then(|m| m.modified().ok()),
            sha256: sha256_hex(bytes),
        }
    }
}

/// Whether the file at `path` still matches `seen` (absent file matches `None`).
///
/// Size and mtime are checked first; the hash only when they are equal but the mtime is
/// ambiguous, so an unchanged file costs one `stat`.
pub fn unchanged_since(path: &Path, seen: Option<&Fingerprint>) -> bool {
    let meta = std::fs::symlink_metadata(path);
    match (meta, seen) {
        (Err(_), None) => true,
        (Err(_), Some(_)) | (Ok(_), None) => false,
        (Ok(meta), Some(seen)) => {
            if meta.len() != seen.len {
                return false;
            }
            if meta.modified().ok() == seen.modified {
                return true;
            }
            match std::fs::read(path) {
                Ok(bytes) => sha256_hex(&bytes) == seen.sha256,
                Err(_) => false,
            }
        }
    }
}

/// Reads a file with a size limit.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, StoreError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| StoreError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    if meta.len() > limit {
        return Err(StoreError::TooLarge {
            path: shown,
            size: meta.len(),
            limit,
        });
    }
    std::fs::read(path).map_err(|e| StoreError::Read {
        path: shown,
        reason: e.to_string(),
    })
}

/// Loads a layer file. `Ok(None)` when it does not exist.
///
/// # Errors
/// Unreadable, too large, not UTF-8 or not a valid layer — each naming the file.
pub fn load_layer(path: &Path) -> Result<Option<(Layer, Fingerprint)>, StoreError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    let bytes = read_limited(path, MAX_LAYER_BYTES)?;
    let fp = Fingerprint::of(path, &bytes);
    let layer = parse_layer(path, &bytes)?;
    Ok(Some((layer, fp)))
}

/// Parses layer bytes, naming `path` in errors.
pub fn parse_layer(path: &Path, bytes: &[u8]) -> Result<Layer, StoreError> {
    let shown = path.display().to_string();
    let src = std::str::from_utf8(bytes).map_err(|e| StoreError::Parse {
        path: shown.clone(),
        reason: format!("not UTF-8 at byte {}", e.valid_up_to()),
    })?;
    Layer::from_ron(src).map_err(|e| StoreError::Parse {
        path: shown,
        reason: e.to_string(),
    })
}

/// Writes `bytes` to `path` atomically, creating parent folders. Refuses to write through a
/// symlink at `path`.
///
/// # Errors
/// Any I/O failure, naming the file; the old file is then untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<Fingerprint, StoreError> {
    let shown = path.display().to_string();
    let err = |e: std::io::Error| StoreError::Write {
        path: shown.clone(),
        reason: e.to_string(),
    };
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && meta.file_type().is_symlink()
    {
        return Err(StoreError::Symlink { path: shown });
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).map_err(err)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(&dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    if let Ok(d) = std::fs::File::open(&dir) {
        // Makes the rename itself durable; not all platforms support fsync on a folder.
        let _ = d.sync_all();
    }
    Ok(Fingerprint::of(path, bytes))
}

/// Saves a layer atomically.
pub fn save_layer(path: &Path, layer: &Layer) -> Result<Fingerprint, StoreError> {
    write_atomic(path, layer.to_ron().as_bytes())
}

/// Removes stray temp files left by a crash under `dir`. Returns how many were removed.
pub fn clean_stray_temps(dir: &Path) -> usize {
    let mut removed = 0;
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let path = e.path();
        if ft.is_dir() {
            removed += clean_stray_temps(&path);
        } else if ft.is_file()
            && e.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            && std::fs::remove_file(&path).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_fingerprints() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b.ron");
        let fp = write_atomic(&p, b"one").unwrap();
        assert!(unchanged_since(&p, Some(&fp)));
        write_atomic(&p, b"two!").unwrap();
        assert!(!unchanged_since(&p, Some(&fp)));
        assert_eq!(std::fs::read(&p).unwrap(), b"two!");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("a")).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn stray_temps_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("x")).unwrap();
        std::fs::write(dir.path().join("x").join(format!("{TEMP_PREFIX}abc")), b"half").unwrap();
        std::fs::write(dir.path().join("x/keep.ron"), b"()").unwrap();
        assert_eq!(clean_stray_temps(dir.path()), 1);
        assert!(dir.path().join("x/keep.ron").exists());
    }
}
