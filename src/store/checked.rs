//! The one way to replace a file that someone else may write too (a layer, a curated layer):
//! under the save lock, only if the file is still the one read, never over a read-only file,
//! atomically. Every such write in the crate goes through [`CheckedWrite`], so the sequence and
//! its order are written once.

use std::path::{Path, PathBuf};

use super::{Fingerprint, SaveLock, StoreError};

/// A write of one file in progress: holds the save lock for it from [`CheckedWrite::begin`]
/// until [`CheckedWrite::write`] (or until dropped), so that no other Marginalia process can
/// check and write the file in between.
///
/// The order is always: inside the workspace → lock → unchanged since it was read (the caller
/// asks [`CheckedWrite::unchanged_since`] and merges or gives up when not) → not read-only →
/// atomic write.
#[must_use = "the lock is released when this is dropped"]
pub struct CheckedWrite {
    path: PathBuf,
    _lock: Option<SaveLock>,
}

impl CheckedWrite {
    /// Checks that `path` stays inside `root` ([`super::check_write_inside`]), then takes the
    /// save lock for it, waiting while another process holds it.
    ///
    /// # Errors
    /// [`StoreError::Outside`] or [`StoreError::Symlink`], naming the file.
    pub fn begin(root: &Path, path: &Path) -> Result<Self, StoreError> {
        super::check_write_inside(root, path)?;
        Ok(Self::lock(path))
    }

    /// Takes the save lock for `path`, for a caller that checked where it is already.
    pub fn lock(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            _lock: super::lock_for_saving(path),
        }
    }

    /// Whether the file still matches `seen`, what it was when last read or written (`None`:
    /// it did not exist). See [`super::unchanged_since`].
    pub fn unchanged_since(&self, seen: Option<&Fingerprint>) -> bool {
        super::unchanged_since(&self.path, seen)
    }

    /// Whether the file may be replaced now: still as `seen`, and not read-only.
    ///
    /// # Errors
    /// [`StoreError::Changed`] or [`StoreError::ReadOnly`], naming the file.
    pub fn check(&self, seen: Option<&Fingerprint>) -> Result<(), StoreError> {
        if !self.unchanged_since(seen) {
            return Err(StoreError::Changed {
                path: self.path.display().to_string(),
            });
        }
        super::refuse_read_only(&self.path)
    }

    /// Writes `bytes` atomically unless the file is read-only, and releases the lock: for a
    /// caller that asked [`CheckedWrite::unchanged_since`] and merged what changed.
    ///
    /// # Errors
    /// [`StoreError::ReadOnly`] or any write failure, naming the file; the file is then as it
    /// was.
    pub fn write(self, bytes: &[u8]) -> Result<Fingerprint, StoreError> {
        super::write_file(&self.path, bytes)
    }

    /// The whole sequence for a writer that does not merge: the write happens only if the
    /// file is still as `seen` ([`CheckedWrite::check`]); otherwise nothing is written.
    ///
    /// # Errors
    /// As [`CheckedWrite::check`] and [`CheckedWrite::write`].
    pub fn write_if_unchanged(
        self,
        seen: Option<&Fingerprint>,
        bytes: &[u8],
    ) -> Result<Fingerprint, StoreError> {
        self.check(seen)?;
        super::write_atomic(&self.path, bytes)
    }
}
