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

/// The largest annotation file read, in bytes (a guard against unbounded memory): about
/// 200,000 spans. Larger files are refused with a message naming the file.
pub const MAX_LAYER_BYTES: u64 = 64 * 1024 * 1024;

/// The largest `tags.ron` or `workspace.ron` read, in bytes.
pub const MAX_SETTINGS_BYTES: u64 = 4 * 1024 * 1024;

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
    #[error("{path}: the file is read-only (no write permission); it was not overwritten")]
    ReadOnly { path: String },
    #[error("{path}: refusing to write through a symbolic link")]
    Symlink { path: String },
    #[error("{path}: refusing to write: the folder leads outside the workspace {root}")]
    Outside { path: String, root: String },
}

/// Checks that writing `path` stays inside `root`: the nearest existing folder of `path`,
/// with symbolic links resolved, must lie under the resolved root, and `path` itself must not
/// be a symbolic link.
///
/// # Errors
/// [`StoreError::Outside`] or [`StoreError::Symlink`], naming the file.
pub fn check_write_inside(root: &Path, path: &Path) -> Result<(), StoreError> {
    let shown = path.display().to_string();
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(StoreError::Symlink { path: shown });
    }
    let root_real = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut dir = path.parent();
    while let Some(d) = dir {
        if let Ok(real) = d.canonicalize() {
            if real.starts_with(&root_real) {
                return Ok(());
            }
            break;
        }
        dir = d.parent();
    }
    Err(StoreError::Outside {
        path: shown,
        root: root.display().to_string(),
    })
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

/// How recent an mtime must be for it to prove nothing: two writes within one timestamp tick
/// (coarse on some file systems) leave the same mtime.
const AMBIGUOUS_MTIME: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether the file at `path` still matches `seen` (absent file matches `None`).
///
/// A different size means changed. An equal size and an equal mtime older than two seconds
/// mean unchanged, so an old file costs one `stat`; otherwise the hash decides.
pub fn unchanged_since(path: &Path, seen: Option<&Fingerprint>) -> bool {
    let meta = std::fs::symlink_metadata(path);
    match (meta, seen) {
        (Err(_), None) => true,
        (Err(_), Some(_)) | (Ok(_), None) => false,
        (Ok(meta), Some(seen)) => {
            if meta.len() != seen.len {
                return false;
            }
            let mtime = meta.modified().ok();
            let settled = mtime
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .is_some_and(|age| age > AMBIGUOUS_MTIME);
            if mtime == seen.modified && settled {
                return true;
            }
            match read_regular(path, MAX_LAYER_BYTES) {
                Ok(bytes) => sha256_hex(&bytes) == seen.sha256,
                Err(_) => false,
            }
        }
    }
}

/// Why a bounded read of a regular file failed.
#[derive(Debug)]
pub enum BoundedReadError {
    /// Opening or reading failed (including "not found").
    Io(std::io::Error),
    /// The path is not a regular file (a FIFO, a device, a folder, a socket); nothing was read.
    NotRegular(&'static str),
    /// The file holds more than the limit; `size` is at least the limit plus one.
    TooLarge { size: u64 },
}

impl BoundedReadError {
    /// Whether the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }

    /// The problem in words, for error messages that name the file themselves.
    pub fn reason(&self) -> String {
        match self {
            Self::Io(e) => e.to_string(),
            Self::NotRegular(kind) => format!("not a regular file ({kind}); nothing was read"),
            Self::TooLarge { size } => format!("more than {} bytes", size.saturating_sub(1)),
        }
    }
}

/// Opens `path` for reading without blocking, and only if it is a regular file.
///
/// The open does not wait for a writer on a FIFO (`O_NONBLOCK`), and the type is checked on
/// the opened file (`fstat`), so a symbolic link to `/dev/zero` or a named pipe in a cloned
/// repository is refused instead of hanging or filling memory.
///
/// # Errors
/// [`BoundedReadError::Io`] or [`BoundedReadError::NotRegular`].
pub fn open_regular(path: &Path) -> Result<std::fs::File, BoundedReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(BoundedReadError::Io)?;
    let meta = file.metadata().map_err(BoundedReadError::Io)?;
    if !meta.is_file() {
        return Err(BoundedReadError::NotRegular(file_kind(&meta)));
    }
    Ok(file)
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ft.is_fifo() {
            return "a named pipe";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

/// Reads the whole of a regular file, at most `limit` bytes. The cap applies to the bytes
/// actually read, not to the size `stat` reports, so a file that grows while it is read (or a
/// size that lies) still stops at the limit.
///
/// # Errors
/// See [`BoundedReadError`].
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, BoundedReadError> {
    use std::io::Read as _;
    let file = open_regular(path)?;
    let stated = file.metadata().map(|m| m.len()).unwrap_or(0);
    if stated > limit {
        return Err(BoundedReadError::TooLarge { size: stated });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(stated).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(BoundedReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(BoundedReadError::TooLarge {
            size: stated.max(bytes.len() as u64),
        });
    }
    Ok(bytes)
}

/// Reads an annotation file with a size limit.
///
/// # Errors
/// Unreadable, not a regular file, or over `limit`, naming the file.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, StoreError> {
    let shown = path.display().to_string();
    read_regular(path, limit).map_err(|e| match e {
        BoundedReadError::TooLarge { size } => StoreError::TooLarge {
            path: shown,
            size,
            limit,
        },
        other => StoreError::Read {
            path: shown,
            reason: other.reason(),
        },
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
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        // New folders are made durable too: each one's entry lives in its parent folder.
        let mut first_existing = dir.as_path();
        while let Some(parent) = first_existing.parent() {
            first_existing = parent;
            if parent.as_os_str().is_empty() || parent.is_dir() {
                break;
            }
        }
        std::fs::create_dir_all(&dir).map_err(err)?;
        let mut d = dir.as_path();
        while d != first_existing {
            let Some(parent) = d.parent() else { break };
            if let Ok(f) = std::fs::File::open(if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            }) {
                let _ = f.sync_all();
            }
            d = parent;
        }
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(&dir)
        .map_err(err)?;
    // Locked while written, so that cleaning up after a crash never takes a live save's file.
    let _ = tmp.as_file().lock();
    tmp.write_all(bytes).map_err(err)?;
    // Temp files are created private (0600); the annotation file keeps the permissions it had,
    // or gets the usual ones for a new file, so colleagues and tools can still read it.
    let permissions = match std::fs::metadata(path) {
        Ok(meta) => Some(meta.permissions()),
        Err(_) => new_file_permissions(),
    };
    if let Some(p) = permissions {
        let _ = tmp.as_file().set_permissions(p);
    }
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    if let Ok(d) = std::fs::File::open(&dir) {
        // Makes the rename itself durable; not all platforms support fsync on a folder.
        let _ = d.sync_all();
    }
    Ok(Fingerprint::of(path, bytes))
}

/// Holds an exclusive lock between Marginalia processes on this machine for saving `path`,
/// so that two windows cannot both check the file and then both write it. Released on drop.
pub struct SaveLock {
    _file: std::fs::File,
}

/// Takes the save lock for `path`, waiting while another process holds it (a save takes
/// milliseconds). The lock file lives in the system temp folder, not in the workspace.
/// Best effort: `None` when locks are not available, and saving goes on without one.
pub fn lock_for_saving(path: &Path) -> Option<SaveLock> {
    // The nearest existing folder resolved, plus the rest: the same key in every process,
    // whether or not the file's folders exist yet.
    let mut existing = path;
    let mut rest = Vec::new();
    let abs = loop {
        match existing.canonicalize() {
            Ok(real) => break rest.iter().rev().fold(real, |p, c| p.join(c)),
            Err(_) => {
                rest.push(existing.file_name()?.to_owned());
                existing = existing.parent()?;
            }
        }
    };
    let key = sha256_hex(abs.to_string_lossy().as_bytes());
    let lock_path = std::env::temp_dir().join(format!("marginalia-save-{}.lock", &key[..24]));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path)
        .ok()?;
    file.lock().ok()?;
    Some(SaveLock { _file: file })
}

/// The permissions a newly created file gets (temp files start private, 0600).
#[cfg(unix)]
pub fn new_file_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt as _;
    Some(std::fs::Permissions::from_mode(0o644))
}

/// The permissions a newly created file gets (the platform default).
#[cfg(not(unix))]
pub fn new_file_permissions() -> Option<std::fs::Permissions> {
    None
}

/// Saves a layer atomically. An existing file without write permission (mode 0444, say) is
/// respected even where the rename would succeed (as root, or in a writable folder).
///
/// # Errors
/// [`StoreError::ReadOnly`], or any write failure, naming the file.
pub fn save_layer(path: &Path, layer: &Layer) -> Result<Fingerprint, StoreError> {
    refuse_read_only(path)?;
    write_atomic(path, layer.to_ron().as_bytes())
}

/// Refuses to replace an existing annotation file that has no write permission.
///
/// # Errors
/// [`StoreError::ReadOnly`] naming the file.
pub fn refuse_read_only(path: &Path) -> Result<(), StoreError> {
    if std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly()) {
        return Err(StoreError::ReadOnly {
            path: path.display().to_string(),
        });
    }
    Ok(())
}

/// How old a temp file must be before it may be taken for a crash's leftover. A save takes
/// milliseconds; a window's in-flight temp file is also locked while it is written.
pub const STRAY_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Removes temp files under `dir` that a crashed save left behind: only those older than
/// [`STRAY_TEMP_AGE`] and not locked by a live writer, so another window's save in progress
/// is never broken. Returns how many were removed. Read-only commands never call this.
pub fn clean_stray_temps(dir: &Path) -> usize {
    clean_stray_temps_older_than(dir, STRAY_TEMP_AGE)
}

/// [`clean_stray_temps`] with another age threshold (tests use zero).
pub fn clean_stray_temps_older_than(dir: &Path, min_age: std::time::Duration) -> usize {
    let mut removed = 0;
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let path = e.path();
        if ft.is_dir() {
            removed += clean_stray_temps_older_than(&path, min_age);
        } else if ft.is_file()
            && e.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            && is_abandoned(&path, min_age)
            && std::fs::remove_file(&path).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Whether a temp file is old enough and no writer holds its lock.
fn is_abandoned(path: &Path, min_age: std::time::Duration) -> bool {
    let old_enough = std::fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .is_some_and(|age| age >= min_age);
    if !old_enough {
        return false;
    }
    let Ok(file) = std::fs::OpenOptions::new().read(true).open(path) else {
        return false;
    };
    // A writer locks its temp file from creation until the rename; the lock dies with it.
    file.try_lock().is_ok()
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

    #[cfg(unix)]
    #[test]
    fn a_rewrite_keeps_the_files_permissions() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.ron");
        write_atomic(&p, b"one").unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o664)).unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o664
        );
    }

    #[test]
    fn stray_temps_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("x")).unwrap();
        std::fs::write(
            dir.path().join("x").join(format!("{TEMP_PREFIX}abc")),
            b"half",
        )
        .unwrap();
        std::fs::write(dir.path().join("x/keep.ron"), b"()").unwrap();
        // A fresh temp file may be another window's save in progress: kept.
        assert_eq!(clean_stray_temps(dir.path()), 0);
        assert_eq!(
            clean_stray_temps_older_than(dir.path(), std::time::Duration::ZERO),
            1
        );
        assert!(dir.path().join("x/keep.ron").exists());
    }

    #[test]
    fn a_locked_temp_file_is_never_taken_for_a_stray() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(format!("{TEMP_PREFIX}live"));
        let f = std::fs::File::create(&p).unwrap();
        f.lock().unwrap();
        assert_eq!(
            clean_stray_temps_older_than(dir.path(), std::time::Duration::ZERO),
            0
        );
        drop(f);
        assert_eq!(
            clean_stray_temps_older_than(dir.path(), std::time::Duration::ZERO),
            1
        );
    }
}
