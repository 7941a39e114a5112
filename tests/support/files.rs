//! The repository's own files (seeds, shipped annotations, fixtures) and temp copies of them.

use std::path::{Path, PathBuf};

/// The repository root: the workspace of seeds and shipped annotations the tests copy.
pub const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// [`REPO`] as a path.
pub fn repo() -> PathBuf {
    PathBuf::from(REPO)
}

/// Copies the folder `from` to `to`, subfolders included.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A temp copy of the repository's workspace: seeds and annotations.
pub fn copy_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("seeds"), &dir.path().join("seeds"));
    copy_dir(&repo().join("annotations"), &dir.path().join("annotations"));
    dir
}

/// Copies the seeds into `root/seeds` and makes `root` a workspace.
pub fn copy_seeds(root: &Path) {
    std::fs::create_dir_all(root.join("seeds")).unwrap();
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    for e in std::fs::read_dir(repo().join("seeds")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), root.join("seeds").join(e.file_name())).unwrap();
    }
}

/// A temp copy of the team fixture (`tests/fixtures/agreement/team`): six annotators, a
/// curated layer on three documents.
pub fn team_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures/agreement/team"), dir.path());
    dir
}

/// Replaces `from` by `to` (first occurrence) in a file.
pub fn edit(path: &Path, from: &str, to: &str) {
    let src = std::fs::read_to_string(path).unwrap();
    assert!(src.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, src.replacen(from, to, 1)).unwrap();
}
