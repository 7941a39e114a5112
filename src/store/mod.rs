//! Reading and writing annotation files safely: atomic replace, fingerprints of what was read,
//! and clear errors naming the file.
//!
//! A write goes to a temp file in the same folder, is fsynced, renamed over the target, and the
//! folder is fsynced, so a crash leaves either the old or the new file, never a mix.
//!
//! Every file the app or the CLI writes goes through here: [`CheckedWrite`] for a file others
//! may write too (save lock, unchanged since read, not read-only, atomic), [`write_file`] for a
//! file the user owns, [`AtomicBatch`] for many files at once (an import, a brat export),
//! [`AtomicFile`] for a stream (an export), [`write_atomic`] for files no one else writes.
//!
//! Owns: bytes and files: bounded reads, atomic writes, fingerprints, save locks, sha256, the
//! RON options, the background writer. May import: [`crate::wording`] only; it knows
//! nothing of layers or texts.

mod checked;
pub mod ron;
pub mod watch;
pub mod writer;

pub use checked::CheckedWrite;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};

/// Prefix of the temp files used for atomic writes; strays are removed on the next start.
pub const TEMP_PREFIX: &str = ".marginalia-tmp-";

/// The largest annotation file read, in bytes (a guard against unbounded memory): about
/// 650,000 spans, as large as the largest text opened. Larger files are refused with a message
/// naming the file, and none is ever written (see [`check_fits`]).
pub const MAX_LAYER_BYTES: u64 = 256 * 1024 * 1024;

/// The largest `tags.ron` or `workspace.ron` read, in bytes.
pub const MAX_SETTINGS_BYTES: u64 = 4 * 1024 * 1024;

/// A file that could not be read, written or understood, said the one way every reader says
/// it: `{path}: {failure}: {reason}`. The tag set, texts, workspace settings, rejections, import
/// sources and export targets wrap it in their own error types.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{path}: {failure}: {reason}")]
pub struct FileProblem {
    /// The file, as shown to the user.
    pub path: String,
    /// What failed, as the message says it: `cannot read`, `not a valid tag set`, ….
    pub failure: &'static str,
    /// Why, from the I/O error or the parser.
    pub reason: String,
}

impl FileProblem {
    /// `{path}: {failure}: {reason}`.
    pub fn new(path: impl Into<String>, failure: &'static str, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            failure,
            reason: reason.into(),
        }
    }

    /// `{path}: cannot read: {reason}`.
    pub fn unreadable(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(path, "cannot read", reason)
    }

    /// `{path}: cannot write: {reason}`.
    pub fn unwritable(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(path, "cannot write", reason)
    }
}

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
    #[error(
        "{path}: not written: it would be {size} bytes, over the {limit}-byte limit for \
         annotation files, so it could not be read back; the file on disk is unchanged"
    )]
    WouldBeTooLarge { path: String, size: u64, limit: u64 },
    #[error("{path}: the file is read-only (no write permission); it was not overwritten")]
    ReadOnly { path: String },
    #[error(
        "{path}: changed on disk since it was read (another window or program wrote it); it was \
         not overwritten"
    )]
    Changed { path: String },
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
    InsideCheck::new(root).check(path)
}

/// [`check_write_inside`] for many files under one root (an import of 10,000 documents): the
/// root is resolved once, and each existing folder once, not every component of every path.
#[derive(Debug)]
pub struct InsideCheck {
    root: PathBuf,
    root_real: PathBuf,
    /// Existing folders found inside the root.
    inside: std::collections::HashSet<PathBuf>,
}

impl InsideCheck {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            root_real: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
            inside: Default::default(),
        }
    }

    /// As [`check_write_inside`].
    ///
    /// # Errors
    /// [`StoreError::Outside`] or [`StoreError::Symlink`], naming the file.
    pub fn check(&mut self, path: &Path) -> Result<(), StoreError> {
        let shown = || path.display().to_string();
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(StoreError::Symlink { path: shown() });
        }
        if path.parent().is_some_and(|d| self.inside.contains(d)) {
            return Ok(());
        }
        let mut dir = path.parent();
        while let Some(d) = dir {
            if let Ok(real) = d.canonicalize() {
                if real.starts_with(&self.root_real) {
                    // A folder still to be created is checked again once it exists.
                    self.inside.insert(d.to_path_buf());
                    return Ok(());
                }
                break;
            }
            dir = d.parent();
        }
        Err(StoreError::Outside {
            path: shown(),
            root: self.root.display().to_string(),
        })
    }
}

/// What a file looked like when it was read, to notice when someone else replaces it.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    pub len: u64,
    pub modified: Option<SystemTime>,
    sha256: Hash,
}

/// A fingerprint's SHA-256, taken when it is first asked for or [`Fingerprint::settle`]d: a
/// window opening a 40 MB layer shows it without first hashing it (27 ms). The bytes are kept
/// only until then. Clones share one hash.
#[derive(Clone)]
struct Hash(std::sync::Arc<HashCell>);

struct HashCell {
    hex: std::sync::OnceLock<String>,
    bytes: std::sync::Mutex<Option<Vec<u8>>>,
}

impl Hash {
    fn of(bytes: &[u8]) -> Self {
        let cell = HashCell {
            hex: std::sync::OnceLock::from(sha256_hex(bytes)),
            bytes: std::sync::Mutex::new(None),
        };
        Self(std::sync::Arc::new(cell))
    }

    fn later(bytes: Vec<u8>) -> Self {
        let cell = HashCell {
            hex: std::sync::OnceLock::new(),
            bytes: std::sync::Mutex::new(Some(bytes)),
        };
        Self(std::sync::Arc::new(cell))
    }

    /// The hex digest; the first caller takes it (others wait for it), and the bytes go.
    fn hex(&self) -> &str {
        self.0.hex.get_or_init(|| {
            // A poisoned lock (a panic while taking the bytes) leaves no digest, which matches
            // no file: a save then checks the file as one changed by someone else.
            let bytes = self.0.bytes.lock().ok().and_then(|mut b| b.take());
            bytes.map_or_else(String::new, |b| sha256_hex(&b))
        })
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.hex.get() {
            Some(hex) => write!(f, "{hex}"),
            None => write!(f, "(not hashed yet)"),
        }
    }
}

impl PartialEq for Fingerprint {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.modified == other.modified && self.sha256() == other.sha256()
    }
}

impl Eq for Fingerprint {}

impl Fingerprint {
    /// The fingerprint of bytes just read from or written to `path`.
    pub fn of(path: &Path, bytes: &[u8]) -> Self {
        Self {
            len: bytes.len() as u64,
            modified: modified(path),
            sha256: Hash::of(bytes),
        }
    }

    /// The fingerprint of `bytes` just read from `path`, hashed only when first needed or
    /// [`Self::settle`]d: until then it holds the bytes.
    pub fn of_later(path: &Path, bytes: Vec<u8>) -> Self {
        Self {
            len: bytes.len() as u64,
            modified: modified(path),
            sha256: Hash::later(bytes),
        }
    }

    /// The SHA-256 of the bytes, in hex (taken now if it was left for later).
    pub fn sha256(&self) -> &str {
        self.sha256.hex()
    }

    /// Takes the hash now, if it was left for later, and lets the bytes go: for a thread with
    /// nothing better to do, so that no save waits for it.
    pub fn settle(&self) {
        self.sha256.hex();
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok().and_then(|m| m.modified().ok())
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
                Ok(bytes) => sha256_hex(&bytes) == seen.sha256(),
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

/// What identifies one state of a file: any write or replace changes it. Size, modification
/// and change times to the nanosecond, and inode: any write to a file changes its change time
/// (which no program can set back), and an atomic replace changes its inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileKey {
    len: u64,
    modified_ns: i128,
    changed_ns: i128,
    inode: u64,
}

impl FileKey {
    /// The key of the file `path` leads to (following links, as reading it does), or `None`
    /// if it is absent.
    pub fn of(path: &Path) -> Option<Self> {
        std::fs::metadata(path).ok().map(|m| Self::of_meta(&m))
    }

    /// The key of a file from what `stat` found.
    pub fn of_meta(meta: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
            Self {
                len: meta.len(),
                modified_ns: ns(meta.mtime(), meta.mtime_nsec()),
                changed_ns: ns(meta.ctime(), meta.ctime_nsec()),
                inode: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let ns = |t: std::io::Result<std::time::SystemTime>| {
                t.ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i128)
            };
            Self {
                len: meta.len(),
                modified_ns: ns(meta.modified()),
                changed_ns: ns(meta.created()),
                inode: 0,
            }
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
    open_regular_sized(path).map(|(file, _)| file)
}

/// [`open_regular`], with the file's size as the `fstat` found it.
fn open_regular_sized(path: &Path) -> Result<(std::fs::File, u64), BoundedReadError> {
    open_regular_stated(path).map(|(file, meta)| (file, meta.len()))
}

/// [`open_regular`], with what `fstat` found.
fn open_regular_stated(
    path: &Path,
) -> Result<(std::fs::File, std::fs::Metadata), BoundedReadError> {
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
    Ok((file, meta))
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

/// Whether the file at `path` still has the size and mtime of `seen`, by one `stat` and no
/// read. For the window's frame-by-frame look for outside changes: hashing a 40 MB layer on
/// the UI thread each frame for two seconds after every save was the editor's worst hitch.
/// A write of the same size within the same mtime tick goes unseen here; every save still
/// checks with [`unchanged_since`], which hashes, before it writes.
pub fn unchanged_by_stat(path: &Path, seen: Option<&Fingerprint>) -> bool {
    match (std::fs::symlink_metadata(path), seen) {
        (Err(_), None) => true,
        (Err(_), Some(_)) | (Ok(_), None) => false,
        (Ok(meta), Some(seen)) => {
            meta.len() == seen.len
                && meta.modified().ok() == seen.modified
                && seen.modified.is_some()
        }
    }
}

/// Reads the whole of a regular file, at most `limit` bytes. The cap applies to the bytes
/// actually read, not to the size `stat` reports, so a file that grows while it is read (or a
/// size that lies) still stops at the limit.
///
/// # Errors
/// See [`BoundedReadError`].
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, BoundedReadError> {
    read_regular_keyed(path, limit).map(|(bytes, _)| bytes)
}

/// [`read_regular`], with the [`FileKey`] of the file the bytes came from, taken from the open
/// file before reading it: a list that remembers what it read needs no look-up of the path
/// beside the read. A write to the file after that (even while it is read) changes its change
/// time, so the key no longer matches the file and what was remembered is read again; ours
/// replace a file whole, so an open file is one version of it.
///
/// # Errors
/// As [`read_regular`].
pub fn read_regular_keyed(path: &Path, limit: u64) -> Result<(Vec<u8>, FileKey), BoundedReadError> {
    let mut bytes = Vec::new();
    let key = read_regular_keyed_into(path, limit, &mut bytes)?;
    Ok((bytes, key))
}

/// [`read_regular_keyed`] into `bytes` (cleared first), whose room a caller reading many files
/// keeps from one to the next.
///
/// # Errors
/// As [`read_regular`]; `bytes` then holds no more than `limit` + 1 bytes of the file.
pub fn read_regular_keyed_into(
    path: &Path,
    limit: u64,
    bytes: &mut Vec<u8>,
) -> Result<FileKey, BoundedReadError> {
    let (file, before) = open_regular_stated(path)?;
    read_opened(&file, before.len(), limit, bytes)?;
    Ok(FileKey::of_meta(&before))
}

/// The rest of [`read_regular_keyed_into`]: at most `limit` bytes of `file`, whose size was
/// `stated`, into `bytes`.
fn read_opened(
    file: &std::fs::File,
    stated: u64,
    limit: u64,
    bytes: &mut Vec<u8>,
) -> Result<(), BoundedReadError> {
    use std::io::Read as _;
    bytes.clear();
    if stated > limit {
        return Err(BoundedReadError::TooLarge { size: stated });
    }
    // Room for the stated size and a byte more. A regular file's read comes back short only
    // at its end, so a read that reaches the stated size and leaves the extra byte unwritten
    // has found the end, without the second read `read_to_end` makes to be told so: one
    // system call in five of the document list's. A file that grew since its `stat` fills
    // the extra byte and is read on, up to `limit` + 1 bytes.
    let most = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let room = usize::try_from(stated).map_or(most, |s| s.saturating_add(1).min(most));
    bytes.resize(room, 0);
    let mut filled = 0;
    loop {
        let n = match (&*file).read(&mut bytes[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                bytes.truncate(filled);
                return Err(BoundedReadError::Io(e));
            }
        };
        filled += n;
        let short = filled < bytes.len();
        if n == 0 || (short && filled as u64 == stated) {
            break;
        }
        if !short {
            if bytes.len() >= most {
                break; // Over the limit: said below.
            }
            let more = bytes.len().saturating_mul(2).clamp(8192, most);
            bytes.resize(more, 0);
        }
    }
    bytes.truncate(filled);
    if bytes.len() as u64 > limit {
        return Err(BoundedReadError::TooLarge {
            size: stated.max(bytes.len() as u64),
        });
    }
    Ok(())
}

/// Reads an annotation file with a size limit.
///
/// # Errors
/// Unreadable, not a regular file, or over `limit`, naming the file.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, StoreError> {
    read_regular(path, limit).map_err(|e| limited_error(path, limit, e))
}

/// [`read_limited`]'s error for what [`read_regular`] (or [`read_regular_keyed`]) gave.
pub fn limited_error(path: &Path, limit: u64, e: BoundedReadError) -> StoreError {
    let shown = path.display().to_string();
    match e {
        BoundedReadError::TooLarge { size } => StoreError::TooLarge {
            path: shown,
            size,
            limit,
        },
        other => StoreError::Read {
            path: shown,
            reason: other.reason(),
        },
    }
}

/// Refuses to write an annotation file (any `.ron`) that would be too large to be read back:
/// a save that succeeded could otherwise leave a document that can never be opened again.
///
/// # Errors
/// [`StoreError::WouldBeTooLarge`], naming the file.
pub fn check_fits(path: &Path, size: usize) -> Result<(), StoreError> {
    let size = size as u64;
    if size > MAX_LAYER_BYTES && path.extension().is_some_and(|e| e == "ron") {
        return Err(StoreError::WouldBeTooLarge {
            path: path.display().to_string(),
            size,
            limit: MAX_LAYER_BYTES,
        });
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically, creating parent folders. Refuses to write through a
/// symlink at `path`, and an annotation file that could not be read back ([`check_fits`]).
///
/// # Errors
/// Any I/O failure, naming the file; the old file is then untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<Fingerprint, StoreError> {
    check_fits(path, bytes.len())?;
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|e| write_error(path, e))?;
    file.commit()?;
    Ok(Fingerprint::of(path, bytes))
}

/// A file written as a stream and put in place atomically when complete (an export): until
/// [`AtomicFile::commit`] it is a locked temp file beside its target, removed if dropped, so a
/// cancelled or failed write leaves no half file and the old one untouched. The same temp
/// files, permissions and fsyncs as [`write_atomic`], which is built on it.
pub struct AtomicFile {
    path: PathBuf,
    dir: PathBuf,
    tmp: std::io::BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    /// Starts writing `path`, creating its folders. Refuses a symbolic link at `path`.
    ///
    /// # Errors
    /// [`StoreError::Symlink`], or the folder or temp file cannot be made, naming the file.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(StoreError::Symlink {
                path: path.display().to_string(),
            });
        }
        let err = |e| write_error(path, e);
        let dir = dir_of(path);
        // New folders are made durable too: each one's entry lives in its parent folder.
        for parent in create_dirs(&dir).map_err(err)? {
            sync_dir(&parent);
        }
        let tmp = write_temp(path, &dir, &[]).map_err(err)?;
        Ok(Self {
            path: path.to_path_buf(),
            dir,
            tmp: std::io::BufWriter::with_capacity(1 << 16, tmp),
        })
    }

    /// Puts the file in place: fsyncs it, renames it over the target, fsyncs the folder.
    ///
    /// # Errors
    /// Any I/O failure, naming the file; the temp file is then removed and the old file kept.
    pub fn commit(self) -> Result<(), StoreError> {
        let err = |e| write_error(&self.path, e);
        let tmp = self.tmp.into_inner().map_err(|e| err(e.into_error()))?;
        tmp.as_file().sync_all().map_err(err)?;
        tmp.persist(&self.path).map_err(|e| err(e.error))?;
        // Makes the rename itself durable.
        sync_dir(&self.dir);
        Ok(())
    }
}

impl std::io::Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tmp.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.tmp.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tmp.flush()
    }
}

/// [`StoreError::Write`] for an I/O error on `path`.
fn write_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Creates `dir` and its missing parents, and returns the folders whose entries changed (the
/// parent of each created folder), to be fsynced so that the new folders survive a crash.
fn create_dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    if dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut first_existing = dir;
    while let Some(parent) = first_existing.parent() {
        first_existing = parent;
        if parent.as_os_str().is_empty() || parent.is_dir() {
            break;
        }
    }
    std::fs::create_dir_all(dir)?;
    let mut changed = Vec::new();
    let mut d = dir;
    while d != first_existing {
        let Some(parent) = d.parent() else { break };
        changed.push(if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent.to_path_buf()
        });
        d = parent;
    }
    Ok(changed)
}

/// Removes the file at `path`, if there is one, and makes the removal durable (its folder is
/// fsynced), so a record removed before a crash stays removed. Returns whether there was one.
///
/// # Errors
/// The removal failed, naming the file.
pub fn remove_durably(path: &Path) -> Result<bool, StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => {
            sync_dir(&dir_of(path));
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(write_error(path, e)),
    }
}

/// Makes a folder that only this user can read, with its parents (for data kept in shared
/// places such as `/dev/shm`). Returns whether `dir` is now such a folder: one that is a link
/// or someone else's is refused.
pub fn private_dir(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
        let _ = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir);
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir() && m.uid() == uid)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir).is_ok()
    }
}

/// Writes generated test data (`marginalia synth`) plainly: no temp file and no fsync, as a
/// crash loses only what is made again. Creates the folders; refuses a symbolic link.
///
/// # Errors
/// The write failed, naming the file.
pub fn write_scratch(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(StoreError::Symlink {
            path: path.display().to_string(),
        });
    }
    let err = |e| write_error(path, e);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    std::fs::write(path, bytes).map_err(err)
}

/// Fsyncs a folder, best effort: makes renames and new entries in it durable; not all
/// platforms support fsync on a folder.
fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Writes `bytes` to a new temp file beside `path` in `dir`, locked while it lives, with the
/// permissions `path` has (or a new file's). Not yet synced.
fn write_temp(path: &Path, dir: &Path, bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    write_temp_over(std::fs::metadata(path).ok().as_ref(), dir, bytes)
}

/// [`write_temp`] for a target whose metadata (`None`: no file yet) was just read.
fn write_temp_over(
    existing: Option<&std::fs::Metadata>,
    dir: &Path,
    bytes: &[u8],
) -> std::io::Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)?;
    // Locked while written, so that cleaning up after a crash never takes a live save's file.
    let _ = tmp.as_file().lock();
    tmp.write_all(bytes)?;
    // Temp files are created private (0600); the annotation file keeps the permissions it had,
    // or gets the usual ones for a new file, so colleagues and tools can still read it.
    let permissions = match existing {
        Some(meta) => Some(meta.permissions()),
        None => new_file_permissions(),
    };
    if let Some(p) = permissions {
        let _ = tmp.as_file().set_permissions(p);
    }
    Ok(tmp)
}

/// Makes the data of `files` (each with the path it will be renamed to) durable with one
/// `syncfs` per file system, as a batch needs it: the folders are told apart by their device,
/// so a batch that spans two file systems syncs both. Returns `false` when it could not promise
/// that (not Linux, a kernel older than 5.8 whose `syncfs` does not report write errors, or an
/// error): the caller then fsyncs each file.
#[cfg(target_os = "linux")]
fn sync_file_systems(files: &[(&Path, &std::fs::File)]) -> bool {
    use std::os::fd::AsRawFd as _;
    use std::os::unix::fs::MetadataExt as _;
    if !syncfs_reports_errors() {
        return false;
    }
    let mut dev_of_dir: std::collections::HashMap<PathBuf, u64> = Default::default();
    let mut synced: std::collections::HashSet<u64> = Default::default();
    for (path, file) in files {
        let dir = dir_of(path);
        let dev = match dev_of_dir.get(&dir) {
            Some(d) => *d,
            None => match std::fs::metadata(&dir) {
                Ok(m) => *dev_of_dir.entry(dir).or_insert(m.dev()),
                Err(_) => return false,
            },
        };
        // SAFETY: `syncfs` takes an open file descriptor, which `file` holds for the call.
        if synced.insert(dev) && unsafe { libc::syncfs(file.as_raw_fd()) } != 0 {
            return false;
        }
    }
    true
}

#[cfg(not(target_os = "linux"))]
fn sync_file_systems(_files: &[(&Path, &std::fs::File)]) -> bool {
    false
}

/// Whether this kernel's `syncfs` returns the write errors of the files it syncs (Linux 5.8
/// and later; before, it returned 0 whatever happened).
#[cfg(target_os = "linux")]
fn syncfs_reports_errors() -> bool {
    static REPORTS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *REPORTS.get_or_init(|| {
        use std::io::Read as _;
        let mut release = String::new();
        let read = std::fs::File::open("/proc/sys/kernel/osrelease")
            .and_then(|f| f.take(64).read_to_string(&mut release));
        read.is_ok() && release_at_least(&release, (5, 8))
    })
}

/// Whether a kernel release ("6.18.44-fc-v1300", "5.4.0-150-generic") is `min` or later.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn release_at_least(release: &str, min: (u32, u32)) -> bool {
    let mut parts = release.trim().split(['.', '-']).map(|p| p.parse::<u32>());
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) >= min,
        _ => false,
    }
}

/// The folder a file is written in.
fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// How many files an [`AtomicBatch`] holds before [`AtomicBatch::is_full`] says to commit: each
/// is an open, locked temp file during the commit, and file handles are limited (often 1,024).
pub const BATCH_MAX_FILES: usize = 512;

/// How many bytes an [`AtomicBatch`] holds before [`AtomicBatch::is_full`] says to commit.
pub const BATCH_MAX_BYTES: usize = 16 * 1024 * 1024;

/// Many atomic writes whose durability is paid once per batch instead of once per file.
///
/// [`AtomicBatch::commit`] writes every file to a locked temp file in its target's folder,
/// makes them durable (one `syncfs` per file system on Linux, else an fsync each), renames
/// each over its target, then fsyncs each distinct folder once (and the
/// parents of folders it created). Each file is still either old or new after a crash, as with
/// [`write_atomic`]; the batch as a whole is not all-or-nothing. The safety rules are those of
/// [`write_file`]: no writing through a symbolic link, an existing file without write
/// permission is left alone, permissions are kept (new files get the usual ones), and a file
/// that fails leaves no temp file behind.
#[derive(Debug, Default)]
pub struct AtomicBatch {
    entries: Vec<BatchEntry>,
    paths: std::collections::HashSet<PathBuf>,
    bytes: usize,
}

#[derive(Debug)]
struct BatchEntry {
    path: PathBuf,
    bytes: Vec<u8>,
    /// Written only if this earlier entry is.
    after: Option<usize>,
    /// Written only if the file is still as read (`Some(None)`: still absent), checked with
    /// [`CheckedWrite::check`] just before the rename.
    seen: Option<Option<Fingerprint>>,
}

impl AtomicBatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file to write; returns its index in [`AtomicBatch::commit`]'s results.
    pub fn add(&mut self, path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> usize {
        self.push(path.into(), bytes.into(), None)
    }

    /// Adds a file to write only if the entry `after` (an index [`AtomicBatch::add`] returned)
    /// is written: a layer after the text it refers to, say. Its result is otherwise an error
    /// naming the entry it depended on.
    pub fn add_after(
        &mut self,
        path: impl Into<PathBuf>,
        bytes: impl Into<Vec<u8>>,
        after: usize,
    ) -> usize {
        let after = (after < self.entries.len()).then_some(after);
        self.push(path.into(), bytes.into(), after)
    }

    /// Adds a file that others may write too (a layer merged into), to be written only if it
    /// is still as `seen` when its turn comes (`None`: only if there is still no file), as
    /// [`CheckedWrite::write_if_unchanged`] does; its result is otherwise
    /// [`StoreError::Changed`]. `after` as for [`AtomicBatch::add_after`].
    pub fn add_checked(
        &mut self,
        path: impl Into<PathBuf>,
        bytes: impl Into<Vec<u8>>,
        seen: Option<Fingerprint>,
        after: Option<usize>,
    ) -> usize {
        let after = after.filter(|&a| a < self.entries.len());
        let i = self.push(path.into(), bytes.into(), after);
        self.entries[i].seen = Some(seen);
        i
    }

    fn push(&mut self, path: PathBuf, bytes: Vec<u8>, after: Option<usize>) -> usize {
        self.bytes += bytes.len();
        self.paths.insert(path.clone());
        self.entries.push(BatchEntry {
            path,
            bytes,
            after,
            seen: None,
        });
        self.entries.len() - 1
    }

    /// Whether a file for `path` is waiting in the batch (reading it would see the old file).
    pub fn contains(&self, path: &Path) -> bool {
        self.paths.contains(path)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the batch holds [`BATCH_MAX_FILES`] files or [`BATCH_MAX_BYTES`] bytes, so
    /// that it should be committed before more are added.
    pub fn is_full(&self) -> bool {
        self.entries.len() >= BATCH_MAX_FILES || self.bytes >= BATCH_MAX_BYTES
    }

    /// Writes every file, and returns one result per file in the order they were added: the
    /// fingerprint of what was written, or why this file was not (naming it; its old file, if
    /// any, is then untouched). The batch is empty afterwards.
    pub fn commit(&mut self) -> Vec<Result<Fingerprint, StoreError>> {
        let entries = std::mem::take(&mut self.entries);
        self.paths.clear();
        self.bytes = 0;
        let write_err = |path: &Path, e: std::io::Error| StoreError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut results: Vec<Result<(), StoreError>> = Vec::with_capacity(entries.len());
        let mut temps: Vec<Option<tempfile::NamedTempFile>> = Vec::with_capacity(entries.len());
        let mut ready_dirs: std::collections::HashSet<PathBuf> = Default::default();
        let mut to_sync: std::collections::BTreeSet<PathBuf> = Default::default();
        let blocked = |results: &[Result<(), StoreError>], e: &BatchEntry| {
            e.after.and_then(|a| {
                results[a].as_ref().err().map(|why| StoreError::Write {
                    path: e.path.display().to_string(),
                    reason: format!("not written, because {why}"),
                })
            })
        };
        // 1. Every file into its temp file.
        for e in &entries {
            let written = match blocked(&results, e) {
                Some(why) => Err(why),
                None => Self::prepare(e, &mut ready_dirs, &mut to_sync, write_err),
            };
            match written {
                Ok(tmp) => {
                    temps.push(Some(tmp));
                    results.push(Ok(()));
                }
                Err(why) => {
                    temps.push(None);
                    results.push(Err(why));
                }
            }
        }
        // 2. The temp files to disk: one `syncfs` per file system where it reports write
        // errors (Linux 5.8 and later), else (or if it reports one) an fsync per file, which
        // says which file failed.
        let synced = {
            let live: Vec<(&Path, &std::fs::File)> = (entries.iter().zip(&temps))
                .filter_map(|(e, t)| t.as_ref().map(|t| (e.path.as_path(), t.as_file())))
                .collect();
            sync_file_systems(&live)
        };
        for (i, slot) in temps.iter_mut().enumerate() {
            if synced {
                break;
            }
            if let Some(tmp) = slot
                && let Err(e) = tmp.as_file().sync_all()
            {
                results[i] = Err(write_err(&entries[i].path, e));
                // Dropping the temp file removes it.
                *slot = None;
            }
        }
        // 3. Each over its target, in order, so a file that depends on another follows it.
        for (i, e) in entries.iter().enumerate() {
            // A temp file dropped instead of renamed is removed.
            let Some(tmp) = temps[i].take() else { continue };
            if let Some(why) = blocked(&results, e) {
                results[i] = Err(why);
                continue;
            }
            // Replacing a file read before: under its save lock, if it is still as read. A
            // new file takes no lock (one lock file per imported document would pile up).
            let _lock = match &e.seen {
                Some(seen) => {
                    let guard = seen.as_ref().map(|_| CheckedWrite::lock(&e.path));
                    let checked = match &guard {
                        Some(g) => g.check(seen.as_ref()),
                        None if unchanged_since(&e.path, None) => Ok(()),
                        None => Err(StoreError::Changed {
                            path: e.path.display().to_string(),
                        }),
                    };
                    if let Err(why) = checked {
                        results[i] = Err(why);
                        continue;
                    }
                    guard
                }
                None => None,
            };
            match tmp.persist(&e.path) {
                Ok(_) => {
                    to_sync.insert(dir_of(&e.path));
                }
                Err(err) => results[i] = Err(write_err(&e.path, err.error)),
            }
        }
        // 4. Each changed folder once: the renames and new folders become durable.
        for dir in &to_sync {
            sync_dir(dir);
        }
        entries
            .iter()
            .zip(results)
            .map(|(e, r)| r.map(|()| Fingerprint::of(&e.path, &e.bytes)))
            .collect()
    }

    /// Step 1 for one file: the checks, its folder, and its temp file.
    fn prepare(
        e: &BatchEntry,
        ready_dirs: &mut std::collections::HashSet<PathBuf>,
        to_sync: &mut std::collections::BTreeSet<PathBuf>,
        write_err: impl Fn(&Path, std::io::Error) -> StoreError,
    ) -> Result<tempfile::NamedTempFile, StoreError> {
        // One look at the target serves the link check, the read-only check and its permissions.
        let existing = std::fs::symlink_metadata(&e.path).ok();
        if existing
            .as_ref()
            .is_some_and(|m| m.file_type().is_symlink())
        {
            return Err(StoreError::Symlink {
                path: e.path.display().to_string(),
            });
        }
        check_fits(&e.path, e.bytes.len())?;
        if existing
            .as_ref()
            .is_some_and(|m| m.permissions().readonly())
        {
            return Err(StoreError::ReadOnly {
                path: e.path.display().to_string(),
            });
        }
        let dir = dir_of(&e.path);
        if !ready_dirs.contains(&dir) {
            let created = create_dirs(&dir).map_err(|err| write_err(&e.path, err))?;
            to_sync.extend(created);
            ready_dirs.insert(dir.clone());
        }
        write_temp_over(existing.as_ref(), &dir, &e.bytes).map_err(|err| write_err(&e.path, err))
    }
}

/// Writes a copy of unsaved data to a path the user chose ("Save a copy elsewhere…"):
/// atomically, and only over a regular file or nothing.
///
/// # Errors
/// The path is a folder, device, pipe or link, or the write failed, naming the file.
pub fn write_copy(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(StoreError::Write {
            path: path.display().to_string(),
            reason: "not a regular file".into(),
        });
    }
    write_atomic(path, bytes).map(|_| ())
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

/// Writes a file the user owns (a layer, `tags.ron`, `workspace.ron`) atomically, leaving an
/// existing file without write permission (mode 0444, say) alone even where the rename would
/// succeed (as root, or in a writable folder). [`CheckedWrite`] adds the save lock and the
/// check that the file is still the one read.
///
/// # Errors
/// [`StoreError::ReadOnly`], or any write failure, naming the file.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<Fingerprint, StoreError> {
    refuse_read_only(path)?;
    write_atomic(path, bytes)
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

/// Lowercase hex sha256 of some bytes: how files and texts are fingerprinted.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
    }
    s
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

    /// One buffer read into from file to file holds each file's bytes, never a longer one's
    /// tail; a refused file leaves no more than the limit and one byte in it.
    #[test]
    fn a_buffer_read_into_again_holds_only_the_last_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (long, short) = (dir.path().join("long.txt"), dir.path().join("short.txt"));
        std::fs::write(&long, "a longer file than the next").expect("write");
        std::fs::write(&short, "short").expect("write");
        let mut bytes = Vec::new();
        for path in [&long, &short, &long] {
            let key = read_regular_keyed_into(path, 100, &mut bytes).expect("reads");
            assert_eq!(bytes, std::fs::read(path).expect("read"));
            assert_eq!(Some(key), FileKey::of(path));
        }
        let refused = read_regular_keyed_into(&long, 4, &mut bytes);
        assert!(matches!(refused, Err(BoundedReadError::TooLarge { .. })));
        assert!(bytes.len() <= 5);
    }

    /// The read stops at the size `stat` gave only when the file ends there: a file that grew
    /// or shrank since is read as it is now, and one grown over the limit is refused.
    #[test]
    fn a_file_that_changed_size_since_its_stat_is_read_whole_or_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("grew.txt");
        let now = "0123456789".repeat(2000); // 20,000 bytes: past the first room
        std::fs::write(&path, &now).expect("write");
        let file = std::fs::File::open(&path).expect("open");
        let mut bytes = Vec::new();
        for stated in [0, 3, 10, 8191, 8192, 19_999, 20_000, 20_001, 50_000] {
            use std::io::Seek as _;
            (&file).rewind().expect("rewind");
            read_opened(&file, stated, 1 << 20, &mut bytes).expect("reads");
            assert_eq!(bytes, now.as_bytes(), "stated {stated}");
        }
        use std::io::Seek as _;
        (&file).rewind().expect("rewind");
        let refused = read_opened(&file, 3, 19_999, &mut bytes);
        assert!(matches!(refused, Err(BoundedReadError::TooLarge { .. })));
        assert!(bytes.len() <= 20_000);
        std::fs::write(&path, "").expect("write");
        let file = std::fs::File::open(&path).expect("open");
        read_opened(&file, 0, 10, &mut bytes).expect("reads");
        assert!(bytes.is_empty());
    }

    #[test]
    fn a_hash_left_for_later_is_the_hash_of_the_bytes_read_and_tells_a_changed_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.ron");
        std::fs::write(&path, b"(spans: [])").expect("write");
        let later = Fingerprint::of_later(&path, b"(spans: [])".to_vec());
        let shared = later.clone();
        assert_eq!(later, Fingerprint::of(&path, b"(spans: [])"));
        assert_eq!(shared.sha256(), sha256_hex(b"(spans: [])"));
        // The same size and a fresh mtime: the hash decides, and the bytes changed.
        std::fs::write(&path, b"(spans: [1])").expect("write");
        let other = Fingerprint::of_later(&path, b"(spans: [2])".to_vec());
        assert!(!unchanged_since(&path, Some(&other)));
        assert!(unchanged_since(
            &path,
            Some(&Fingerprint::of_later(&path, b"(spans: [1])".to_vec()))
        ));
    }

    #[test]
    fn syncfs_is_trusted_from_linux_5_8_on() {
        assert!(release_at_least("6.18.44-fc-v1300\n", (5, 8)));
        assert!(release_at_least("5.8.0", (5, 8)));
        assert!(!release_at_least("5.4.0-150-generic", (5, 8)));
        assert!(!release_at_least("4.19", (5, 8)));
        assert!(!release_at_least("", (5, 8)));
        assert!(!release_at_least("six", (5, 8)));
    }

    #[cfg(unix)]
    #[test]
    fn one_inside_check_still_refuses_a_folder_that_leads_outside_after_passing_others() {
        let (root, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        std::fs::create_dir(root.path().join("texts")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("away")).unwrap();
        let mut check = InsideCheck::new(root.path());
        for name in ["a.txt", "b.txt"] {
            check.check(&root.path().join("texts").join(name)).unwrap();
        }
        // A folder to be created under a checked one is fine; one under the link is not.
        check.check(&root.path().join("texts/new/c.txt")).unwrap();
        let e = check.check(&root.path().join("away/d.txt")).unwrap_err();
        assert!(matches!(e, StoreError::Outside { .. }), "{e}");
        let e = check
            .check(&root.path().join("away/deeper/e.txt"))
            .unwrap_err();
        assert!(matches!(e, StoreError::Outside { .. }), "{e}");
    }

    #[test]
    fn an_annotation_file_too_large_to_read_back_is_not_written_and_the_old_one_stays() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("layer.ron");
        write_atomic(&p, b"(spans: [])").unwrap();
        let big = vec![b' '; MAX_LAYER_BYTES as usize + 1];
        let e = write_atomic(&p, &big).unwrap_err();
        assert!(matches!(e, StoreError::WouldBeTooLarge { .. }), "{e}");
        assert!(e.to_string().contains("could not be read back"), "{e}");
        let mut batch = AtomicBatch::new();
        batch.add(&p, big.clone());
        assert!(batch.commit()[0].is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"(spans: [])");
        // Other files (an export, a text) are not annotation files.
        write_atomic(&dir.path().join("big.txt"), &big).unwrap();
    }

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
    /// Temp files left anywhere under `dir`.
    fn temps_under(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() && !path.is_symlink() {
                found.extend(temps_under(&path));
            } else if e.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                found.push(path);
            }
        }
        found
    }

    #[cfg(unix)]
    #[test]
    fn a_batch_writes_every_file_and_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("a.ron");
        std::fs::write(&old, b"old").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o664)).unwrap();
        let mut batch = AtomicBatch::new();
        let files = [
            (old.clone(), b"new a".to_vec()),
            (dir.path().join("x/y/b.ron"), b"b".to_vec()),
            (dir.path().join("x/y/c.ron"), b"c".to_vec()),
            (dir.path().join("x/d.txt"), Vec::new()),
        ];
        for (path, bytes) in &files {
            batch.add(path.clone(), bytes.clone());
        }
        assert!(batch.contains(&old) && !batch.is_full());
        let results = batch.commit();
        assert!(batch.is_empty());
        for ((path, bytes), r) in files.iter().zip(&results) {
            let fp = r.as_ref().unwrap();
            assert_eq!(&std::fs::read(path).unwrap(), bytes, "{}", path.display());
            assert!(unchanged_since(path, Some(fp)));
        }
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&old), 0o664);
        assert_eq!(mode(&files[1].0), 0o644);
        assert!(temps_under(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_batch_refuses_one_target_and_writes_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere.ron");
        std::fs::write(&elsewhere, b"keep").unwrap();
        let link = dir.path().join("t/link.ron");
        std::fs::create_dir_all(dir.path().join("t")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        let locked = dir.path().join("t/locked.ron");
        std::fs::write(&locked, b"locked").unwrap();
        let mut perms = std::fs::metadata(&locked).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&locked, perms).unwrap();
        // A folder where the file should go: its temp file is written, the rename fails.
        let folder = dir.path().join("t/folder.ron");
        std::fs::create_dir_all(&folder).unwrap();
        let mut batch = AtomicBatch::new();
        let a = batch.add(dir.path().join("t/a.ron"), b"a".to_vec());
        let l = batch.add(link.clone(), b"through".to_vec());
        let after_l = batch.add_after(dir.path().join("t/after.ron"), b"x".to_vec(), l);
        let r = batch.add(locked.clone(), b"over".to_vec());
        let f = batch.add(folder.clone(), b"f".to_vec());
        let after_f = batch.add_after(dir.path().join("t/after-f.ron"), b"x".to_vec(), f);
        let b = batch.add(dir.path().join("u/b.ron"), b"b".to_vec());
        let results = batch.commit();
        assert!(matches!(&results[l], Err(StoreError::Symlink { .. })));
        assert!(matches!(&results[r], Err(StoreError::ReadOnly { .. })));
        assert!(matches!(&results[f], Err(StoreError::Write { .. })));
        assert!(results[after_l].is_err() && results[after_f].is_err());
        assert!(results[a].is_ok() && results[b].is_ok());
        assert_eq!(std::fs::read(dir.path().join("t/a.ron")).unwrap(), b"a");
        assert_eq!(std::fs::read(dir.path().join("u/b.ron")).unwrap(), b"b");
        assert_eq!(std::fs::read(&elsewhere).unwrap(), b"keep");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read(&locked).unwrap(), b"locked");
        assert!(folder.is_dir());
        assert!(!dir.path().join("t/after.ron").exists());
        assert!(!dir.path().join("t/after-f.ron").exists());
        assert!(
            temps_under(dir.path()).is_empty(),
            "{:?}",
            temps_under(dir.path())
        );
    }

    #[test]
    fn a_changed_or_read_only_file_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ron");
        let fp = CheckedWrite::begin(dir.path(), &path)
            .unwrap()
            .write_if_unchanged(None, b"one")
            .unwrap();
        // Someone else writes it: the fingerprint of "one" no longer matches.
        std::fs::write(&path, b"other").unwrap();
        let e = CheckedWrite::lock(&path)
            .write_if_unchanged(Some(&fp), b"two")
            .unwrap_err();
        assert!(matches!(e, StoreError::Changed { .. }), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"other");
        // Read-only: refused even though unchanged.
        let seen = Fingerprint::of(&path, b"other");
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&path, perms).unwrap();
        let e = CheckedWrite::lock(&path)
            .write_if_unchanged(Some(&seen), b"three")
            .unwrap_err();
        assert!(matches!(e, StoreError::ReadOnly { .. }), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"other");
        // Outside the workspace: refused before anything else.
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(matches!(
            CheckedWrite::begin(dir.path(), &elsewhere.path().join("x.ron")),
            Err(StoreError::Outside { .. })
        ));
    }

    #[test]
    fn a_checked_batch_entry_is_written_only_if_its_file_is_still_as_read() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.ron");
        let changed = dir.path().join("changed.ron");
        let appeared = dir.path().join("appeared.ron");
        let fresh = dir.path().join("fresh.ron");
        let seen_kept = write_atomic(&kept, b"kept").unwrap();
        let seen_changed = write_atomic(&changed, b"changed").unwrap();
        let mut batch = AtomicBatch::new();
        batch.add_checked(&kept, b"merged".to_vec(), Some(seen_kept), None);
        batch.add_checked(&changed, b"merged".to_vec(), Some(seen_changed), None);
        batch.add_checked(&appeared, b"new".to_vec(), None, None);
        batch.add_checked(&fresh, b"new".to_vec(), None, None);
        // Another window saves one, and makes another, after they were read.
        std::fs::write(&changed, b"theirs!").unwrap();
        std::fs::write(&appeared, b"theirs").unwrap();
        let results = batch.commit();
        assert!(results[0].is_ok() && results[3].is_ok(), "{results:?}");
        assert!(matches!(results[1], Err(StoreError::Changed { .. })));
        assert!(matches!(results[2], Err(StoreError::Changed { .. })));
        assert_eq!(std::fs::read(&kept).unwrap(), b"merged");
        assert_eq!(std::fs::read(&changed).unwrap(), b"theirs!");
        assert_eq!(std::fs::read(&appeared).unwrap(), b"theirs");
        assert_eq!(std::fs::read(&fresh).unwrap(), b"new");
        assert!(temps_under(dir.path()).is_empty());
    }
}
