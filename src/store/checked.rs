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

#[cfg(test)]
mod tests {
    use super::*;

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
}
