//! Where things are: the workspace root, its texts, and where each annotator's files go.
//!
//! Like git's `.git`, the root is the nearest folder, from the opened path upward, holding an
//! `annotations/` folder. Annotator `A`'s file for `<root>/<rel>.txt` is
//! `<root>/annotations/<A>/<rel>.ron`.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::tags::{TagError, TagSet};

/// The folder, under the root, that holds annotations and workspace settings.
pub const ANNOTATIONS_DIR: &str = "annotations";

/// The layer name reserved for the reviewer's curated layer.
pub const CURATED_LAYER: &str = "curated";

/// Errors about the workspace itself.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{path}: cannot open: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: not a valid workspace.ron: {reason}")]
    BadConfig { path: String, reason: String },
    #[error(transparent)]
    Tags(#[from] TagError),
    #[error("{0}")]
    BadAnnotator(String),
    #[error("{path}: {reason}")]
    OutsideWorkspace { path: String, reason: String },
}

/// Optional `annotations/workspace.ron`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceConfig {
    /// Folders, relative to the root, that hold the texts. Empty means the whole root.
    #[serde(default)]
    pub texts: Vec<String>,
}

/// An opened workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    config: WorkspaceConfig,
    tags: TagSet,
}

/// One text of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEntry {
    /// Relative to the root, `/` separators, e.g. `seeds/000_b78fa013a4a69998.txt`.
    pub rel: String,
    pub path: PathBuf,
}

/// Finds the workspace root for an opened path (folder or file).
pub fn find_root(opened: &Path) -> PathBuf {
    let opened = opened
        .canonicalize()
        .unwrap_or_else(|_| opened.to_path_buf());
    let start = if opened.is_file() {
        opened.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        opened.clone()
    };
    let mut dir: Option<&Path> = Some(&start);
    while let Some(d) = dir {
        if d.join(ANNOTATIONS_DIR).is_dir() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    start
}

/// Checks an annotator name. This is the one place the rule lives; the README quotes it.
///
/// A name is 1–64 characters of `A–Z a–z 0–9 . _ -`; it does not start with `.` (hidden
/// folders, temp files, `.git`) or `-` (read as an option by command lines), does not end with
/// `.` (Windows cannot check such a folder out), is not a Windows device name (`con`, `nul`,
/// `com1`…), and is not `curated`, which is the reviewer's layer.
///
/// # Errors
/// A sentence saying what is wrong with the name.
pub fn check_annotator(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the annotator name is empty".into());
    }
    if name.chars().count() > 64 {
        return Err("the annotator name is longer than 64 characters".into());
    }
    if name.starts_with('.') {
        return Err(format!(
            "the annotator name {name:?} starts with '.'; such folders are hidden or reserved"
        ));
    }
    if name.starts_with('-') {
        return Err(format!(
            "the annotator name {name:?} starts with '-', which command lines read as an option"
        ));
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Err(format!(
            "the annotator name {name:?} ends with '.' or a space, which Windows cannot check out"
        ));
    }
    if name == CURATED_LAYER {
        return Err(format!(
            "{name:?} is reserved for the reviewer's curated layer; choose another annotator name"
        ));
    }
    // Device names Windows reserves in any folder, with or without an extension.
    let stem = name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    let reserved = matches!(stem.as_str(), "con" | "prn" | "aux" | "nul")
        || ((stem.starts_with("com") || stem.starts_with("lpt"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        return Err(format!(
            "{name:?} is a device name on Windows and cannot be an annotator name"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "the annotator name {name:?} has {bad:?}; use only letters, digits, '.', '_' and '-'"
        ));
    }
    Ok(())
}

/// Whether a layer name is allowed as a folder under `annotations/` (an annotator or `curated`).
pub fn check_layer_name(name: &str) -> Result<(), String> {
    if name == CURATED_LAYER {
        return Ok(());
    }
    check_annotator(name)
}

/// A default annotator name from the OS user, made valid.
pub fn default_annotator() -> String {
    let raw = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default();
    let cleaned: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(64)
        .collect();
    if check_annotator(&cleaned).is_ok() && cleaned != CURATED_LAYER {
        cleaned
    } else {
        "annotator".into()
    }
}

impl Workspace {
    /// Opens the workspace containing `opened`, reading its optional settings and tag set.
    ///
    /// # Errors
    /// A bad `workspace.ron` or `tags.ron`, naming the file.
    pub fn open(opened: &Path) -> Result<Self, WorkspaceError> {
        let root = find_root(opened);
        if !root.is_dir() {
            return Err(WorkspaceError::Unreadable {
                path: root.display().to_string(),
                reason: "not a folder".into(),
            });
        }
        let cfg_path = root.join(ANNOTATIONS_DIR).join("workspace.ron");
        let config = match crate::store::read_regular(&cfg_path, crate::store::MAX_SETTINGS_BYTES) {
            Ok(bytes) => {
                let src = std::str::from_utf8(&bytes).map_err(|e| WorkspaceError::BadConfig {
                    path: cfg_path.display().to_string(),
                    reason: format!("not UTF-8 at byte {}", e.valid_up_to()),
                })?;
                crate::layer::ron_options()
                    .from_str::<WorkspaceConfig>(src)
                    .map_err(|e| WorkspaceError::BadConfig {
                        path: cfg_path.display().to_string(),
                        reason: e.to_string(),
                    })?
            }
            Err(e) if e.is_not_found() => WorkspaceConfig::default(),
            Err(e) => {
                return Err(WorkspaceError::Unreadable {
                    path: cfg_path.display().to_string(),
                    reason: e.reason(),
                });
            }
        };
        for folder in &config.texts {
            if safe_rel(folder).is_none() {
                return Err(WorkspaceError::BadConfig {
                    path: cfg_path.display().to_string(),
                    reason: format!(
                        "texts folder {folder:?} is not a relative path inside the workspace"
                    ),
                });
            }
        }
        let tags = TagSet::load_or_default(&root.join(ANNOTATIONS_DIR).join("tags.ron"))?;
        Ok(Self { root, config, tags })
    }

    /// Removes half-written temp files that a crashed save left under `annotations/` (the
    /// files they were replacing are intact). Only commands that write call this; a fresh or
    /// locked temp file, which may be another window's save in progress, is left alone.
    pub fn clean_stray_temps(&self) -> usize {
        crate::store::clean_stray_temps(&self.annotations_dir())
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The `annotations/` folder.
    pub fn annotations_dir(&self) -> PathBuf {
        self.root.join(ANNOTATIONS_DIR)
    }

    /// The tag set.
    pub fn tags(&self) -> &TagSet {
        &self.tags
    }

    /// Replaces the in-memory tag set (after import added tags and the file was written).
    pub fn set_tags(&mut self, tags: TagSet) {
        self.tags = tags;
    }

    /// The settings.
    pub fn config(&self) -> &WorkspaceConfig {
        &self.config
    }

    /// Every text of the workspace, sorted by relative path.
    pub fn texts(&self) -> Vec<TextEntry> {
        let mut out = Vec::new();
        if self.config.texts.is_empty() {
            walk(&self.root, &self.root, &mut out, true);
        } else {
            for folder in &self.config.texts {
                let dir = self.root.join(folder);
                walk(&self.root, &dir, &mut out, false);
            }
        }
        out.sort_by(|a, b| a.rel.cmp(&b.rel));
        out.dedup_by(|a, b| a.rel == b.rel);
        out
    }

    /// The relative path of a text inside the workspace, `/`-separated.
    ///
    /// # Errors
    /// When `path` is not inside the root.
    pub fn rel_of(&self, path: &Path) -> Result<String, WorkspaceError> {
        let abs = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let rel = abs
            .strip_prefix(&self.root)
            .map_err(|_| WorkspaceError::OutsideWorkspace {
                path: path.display().to_string(),
                reason: format!("not inside the workspace {}", self.root.display()),
            })?;
        Ok(rel_string(rel))
    }

    /// The absolute path of a text from its relative path, refusing anything that leaves the root.
    pub fn text_path(&self, rel: &str) -> Option<PathBuf> {
        safe_rel(rel).map(|r| self.root.join(r))
    }

    /// Where `layer`'s file for text `rel` lives: `annotations/<layer>/<rel minus .txt>.ron`.
    pub fn layer_path(&self, layer: &str, rel: &str) -> Option<PathBuf> {
        check_layer_name(layer).ok()?;
        let rel = safe_rel(rel)?;
        let mut p = self.annotations_dir().join(layer).join(rel);
        p.set_extension("ron");
        Some(p)
    }

    /// The annotator (and curated) layer folders present under `annotations/`, sorted.
    pub fn layer_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(self.annotations_dir()) {
            for e in rd.flatten() {
                let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
                let name = e.file_name().to_string_lossy().into_owned();
                if is_dir && check_layer_name(&name).is_ok() {
                    out.push(name);
                }
            }
        }
        out.sort();
        out
    }

    /// Every `.ron` layer file of layer `name`, with the text rel path it should belong to.
    pub fn layer_files(&self, name: &str) -> Vec<(String, PathBuf)> {
        let dir = self.annotations_dir().join(name);
        let mut files = Vec::new();
        collect_ron(&dir, &dir, &mut files);
        files.sort();
        files
    }
}

fn collect_ron(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            collect_ron(base, &path, out);
        } else if path.extension().is_some_and(|x| x == "ron")
            && let Ok(rel) = path.strip_prefix(base)
        {
            let mut rel = rel.to_path_buf();
            rel.set_extension("txt");
            out.push((rel_string(&rel), path));
        }
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<TextEntry>, skip_reserved: bool) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        // Symlinked folders are not followed, so a link cannot pull outside texts in.
        if ft.is_dir() {
            if skip_reserved && dir == root && (name == ANNOTATIONS_DIR || name == "target") {
                continue;
            }
            if name == "target" || (dir == root && name == ANNOTATIONS_DIR) {
                continue;
            }
            walk(root, &path, out, skip_reserved);
        } else if (ft.is_file() || ft.is_symlink())
            && path.extension().is_some_and(|x| x == "txt")
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(TextEntry {
                rel: rel_string(rel),
                path: path.clone(),
            });
        }
    }
}

/// A relative path made of normal components only (no `..`, no root, no prefix).
pub fn safe_rel(rel: &str) -> Option<PathBuf> {
    if rel.is_empty() || rel.contains('\\') || rel.contains('\0') {
        return None;
    }
    let p = Path::new(rel);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.as_os_str().is_empty() {
        None
    } else {
        Some(out)
    }
}

fn rel_string(rel: &Path) -> String {
    rel.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotator_names() {
        for ok in ["editor-a", "a", "x.y_z-1", &"a".repeat(64)] {
            assert!(check_annotator(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "...",
            ".hidden",
            ".git",
            ".marginalia-tmp-1",
            "a.",
            "a ",
            "-x",
            "--annotator",
            "../x",
            "a/b",
            "with space",
            "é",
            &"a".repeat(65),
        ] {
            assert!(check_annotator(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn safe_rel_refuses_escapes() {
        assert!(safe_rel("seeds/a.txt").is_some());
        assert!(safe_rel("../a.txt").is_none());
        assert!(safe_rel("/etc/passwd").is_none());
        assert!(safe_rel("a/../../b").is_none());
        assert!(safe_rel("").is_none());
    }
}
