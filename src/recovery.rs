//! A recovery journal of edits that could not be saved, kept outside the workspace, so that a
//! full disk, a read-only folder or a killed window never loses spans silently.
//!
//! One file per layer file, named by a hash of the layer's absolute path, under the OS data
//! folder (`$XDG_DATA_HOME/marginalia/recovery`, else `~/.local/share/marginalia/recovery`;
//! `MARGINALIA_RECOVERY_DIR` overrides it). Each entry is the layer's own RON with a first-line
//! comment naming the layer file, so it can be read, or copied back by hand, like any layer.
//! An entry is written when a save fails, offered back when that layer is next opened, and
//! removed once the edits reach the layer file.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::store::{self, StoreError};
use crate::text::sha256_hex;

/// The first line of every journal entry, followed by the layer file's path.
const HEADER: &str = "// marginalia recovery journal for: ";

/// The largest journal entry read back (the same limit as a layer file).
const MAX_ENTRY_BYTES: u64 = store::MAX_LAYER_BYTES;

/// The folder of recovery entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    dir: PathBuf,
}

/// An entry found for a layer file.
#[derive(Debug, Clone)]
pub struct Recovered {
    /// The layer file the edits were meant for.
    pub target: PathBuf,
    /// The layer's RON as it was in memory when the save failed.
    pub contents: String,
    /// When the entry was written.
    pub saved: Option<SystemTime>,
    /// Where the entry lives, to tell the user.
    pub entry: PathBuf,
}

impl Journal {
    /// A journal in `dir` (created on first write).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The user's journal: `MARGINALIA_RECOVERY_DIR`, else the OS data folder. `None` when no
    /// home folder is known.
    pub fn default_location() -> Option<Self> {
        if let Some(dir) = std::env::var_os("MARGINALIA_RECOVERY_DIR").filter(|d| !d.is_empty()) {
            return Some(Self::at(dir));
        }
        let data = std::env::var_os("XDG_DATA_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("APPDATA").map(PathBuf::from))
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))?;
        Some(Self::at(data.join("marginalia").join("recovery")))
    }

    /// The folder holding the entries.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry for layer file `target` lives.
    pub fn entry_path(&self, target: &Path) -> PathBuf {
        let key = sha256_hex(absolute(target).to_string_lossy().as_bytes());
        self.dir.join(format!("{}.ron", &key[..24]))
    }

    /// Keeps `contents` (a layer's RON) for `target`, replacing any older entry for it.
    ///
    /// # Errors
    /// The journal folder cannot be written, naming it.
    pub fn keep(&self, target: &Path, contents: &str) -> Result<PathBuf, StoreError> {
        let entry = self.entry_path(target);
        let shown = absolute(target).display().to_string().replace('\n', " ");
        let mut bytes = String::with_capacity(contents.len() + shown.len() + HEADER.len() + 1);
        bytes.push_str(HEADER);
        bytes.push_str(&shown);
        bytes.push('\n');
        bytes.push_str(contents);
        store::write_atomic(&entry, bytes.as_bytes())?;
        Ok(entry)
    }

    /// The entry kept for `target`, if there is a readable one.
    pub fn find(&self, target: &Path) -> Option<Recovered> {
        let entry = self.entry_path(target);
        let bytes = store::read_regular(&entry, MAX_ENTRY_BYTES).ok()?;
        let saved = std::fs::metadata(&entry).and_then(|m| m.modified()).ok();
        let src = String::from_utf8(bytes).ok()?;
        let (first, rest) = src.split_once('\n')?;
        let named = first.strip_prefix(HEADER)?;
        if Path::new(named) != absolute(target) {
            return None;
        }
        Some(Recovered {
            target: target.to_path_buf(),
            contents: rest.to_owned(),
            saved,
            entry,
        })
    }

    /// Removes the entry for `target` (the edits reached the layer file, or the user discarded
    /// them). Returns whether there was one.
    pub fn clear(&self, target: &Path) -> bool {
        std::fs::remove_file(self.entry_path(target)).is_ok()
    }
}

/// `path` made absolute, with its existing folders resolved, so one layer file has one entry
/// however it was reached.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => match parent.canonicalize() {
            Ok(real) => real.join(name),
            Err(_) => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
        },
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_kept_found_and_cleared_per_layer_file() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::at(dir.path().join("recovery"));
        let a = dir.path().join("a.ron");
        let b = dir.path().join("b.ron");
        assert!(journal.find(&a).is_none());
        journal.keep(&a, "(spans: [])\n").unwrap();
        journal.keep(&b, "(other)\n").unwrap();
        let found = journal.find(&a).unwrap();
        assert_eq!(found.contents, "(spans: [])\n");
        assert_eq!(journal.find(&b).unwrap().contents, "(other)\n");
        assert!(journal.clear(&a));
        assert!(journal.find(&a).is_none());
        assert!(journal.find(&b).is_some());
    }
}
