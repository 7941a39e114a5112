//! Where things are: the workspace root, its texts, and where each annotator's files go.
//!
//! Like git's `.git`, the root is the nearest folder, from the opened path upward, holding an
//! `annotations/` folder. Annotator `A`'s file for `<root>/<rel>.txt` is
//! `<root>/annotations/<A>/<rel>.ron`.
//!
//! Owns: the workspace (its root, texts, annotators, `workspace.ron` with its assignments'
//! shape), validation, statistics, tag renames across all layers, and the synthetic documents of
//! the benchmarks. May import: [`crate::model`], [`crate::store`], [`crate::wording`].

pub mod rng;
pub mod stats;
pub mod synth;
pub mod tag_ops;
pub mod validate;

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::tags::{TagError, TagSet};
use crate::store::FileProblem;

/// The folder, under the root, that holds annotations and workspace settings.
pub const ANNOTATIONS_DIR: &str = "annotations";

/// The tag set's file name, in the annotations folder: `annotations/tags.ron`.
pub const TAGS_FILE: &str = "tags.ron";

pub use crate::model::curated::CURATED_LAYER;

/// The folder under `annotations/` that holds suggestion dictionaries
/// (`annotations/dictionaries/<tag>.txt`): not a layer, so no annotator may take the name.
pub const DICTIONARIES_DIR: &str = "dictionaries";

/// The longest file or folder name common file systems take, in bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// The longest whole path Linux takes, in bytes (`PATH_MAX` less the closing NUL).
pub const MAX_PATH_BYTES: usize = 4095;

/// Something under `annotations/` that was not read, and why (e.g. a symbolic link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    /// `annotations/editor-a/seeds: skipped: symbolic link`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: skipped: {}", self.path.display(), self.reason)
    }
}

/// One layer's files, and what was found but not read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerFiles {
    /// Each `.ron` file with the text rel path it should belong to, sorted.
    pub files: Vec<(String, PathBuf)>,
    /// Symbolic links (to folders or `.ron` files), which are never followed.
    pub skipped: Vec<Skipped>,
}

/// Iterates over the files only; callers that report what was skipped read `skipped` first.
impl IntoIterator for LayerFiles {
    type Item = (String, PathBuf);
    type IntoIter = std::vec::IntoIter<(String, PathBuf)>;
    fn into_iter(self) -> Self::IntoIter {
        self.files.into_iter()
    }
}

/// The reason given for every symbolic link under `annotations/` that is not followed.
pub const SYMLINK_REASON: &str = "symbolic link (Marginalia does not follow links under annotations/; replace it with the real folder or file)";

/// Errors about the workspace itself.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// `{path}: cannot open: {reason}`.
    #[error(transparent)]
    Unreadable(FileProblem),
    /// `{path}: not a valid workspace.ron: {reason}`.
    #[error(transparent)]
    BadConfig(FileProblem),
    #[error(transparent)]
    Tags(#[from] TagError),
    #[error("{0}")]
    BadAnnotator(String),
    #[error("{path}: {reason}")]
    OutsideWorkspace { path: String, reason: String },
}

/// [`WorkspaceError::Unreadable`] for the workspace folder or its settings file.
fn unopenable(path: &Path, reason: String) -> WorkspaceError {
    WorkspaceError::Unreadable(FileProblem::new(
        path.display().to_string(),
        "cannot open",
        reason,
    ))
}

/// Optional `annotations/workspace.ron`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceConfig {
    /// Folders, relative to the root, that hold the texts. Empty means the whole root.
    #[serde(default)]
    pub texts: Vec<String>,
    /// How many annotators each document should get (written by `marginalia assign`; the
    /// team view flags documents with fewer). 0: not set.
    #[serde(default, skip_serializing_if = "is_unset")]
    pub overlap: usize,
    /// Who annotates what (see [`crate::team::assign`]). Empty: no assignments, every document is everyone's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assignments: Vec<Assignment>,
}

/// One annotator's documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub annotator: String,
    /// Text paths, folders or globs, relative to the workspace root (`/` separators).
    #[serde(default)]
    pub documents: Vec<String>,
}

/// Whether an overlap is left out of `workspace.ron` (0: not set).
pub fn is_unset(overlap: &usize) -> bool {
    *overlap == 0
}

/// Checks the assignments of a `workspace.ron`: valid annotator names and patterns that stay
/// inside the workspace. Returns the first problem as a sentence.
///
/// # Errors
/// A sentence naming the annotator and the pattern.
pub fn check_assignments(config: &WorkspaceConfig) -> Result<(), String> {
    for a in &config.assignments {
        check_annotator(&a.annotator).map_err(|e| format!("assignments: {e}"))?;
        for p in &a.documents {
            check_pattern(p)
                .map_err(|why| format!("assignments of {:?}: document {p:?} {why}", a.annotator))?;
        }
    }
    Ok(())
}

fn check_pattern(p: &str) -> Result<(), &'static str> {
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err("is empty");
    }
    if p.starts_with('/') || p.contains('\\') || p.contains('\0') {
        return Err("is not a relative path with / separators");
    }
    if trimmed.split('/').any(|c| c == ".." || c.is_empty()) {
        return Err("is not a relative path inside the workspace");
    }
    Ok(())
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

/// Finds the workspace root for an opened path (folder or file), as git finds `.git`: the
/// nearest folder at or above it that holds an `annotations/` folder, else the opened folder
/// (or the opened file's folder).
///
/// The search does not climb to the system's temporary folder or above it, where any program
/// may leave such a folder: a stray `/tmp/annotations` would otherwise make every folder under
/// `/tmp` one workspace (and did, to the test suite's temporary workspaces).
pub fn find_root(opened: &Path) -> PathBuf {
    find_root_below(opened, &std::env::temp_dir())
}

/// [`find_root`] with the folder the search stops below given.
fn find_root_below(opened: &Path, ceiling: &Path) -> PathBuf {
    let opened = opened
        .canonicalize()
        .unwrap_or_else(|_| opened.to_path_buf());
    let ceiling = ceiling
        .canonicalize()
        .unwrap_or_else(|_| ceiling.to_path_buf());
    let start = if opened.is_file() {
        opened.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        opened.clone()
    };
    let mut dir: Option<&Path> = Some(&start);
    while let Some(d) = dir {
        if d != start && ceiling.starts_with(d) {
            break;
        }
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
/// `com1`…), and is not `curated`, which is the reviewer's layer, nor `dictionaries`, which
/// holds the suggestion dictionaries. It does not end with `.ron` (in any case): `annotations/`
/// keeps that ending for the workspace's own files (`tags.ron`, `workspace.ron`,
/// `<annotator>.rejected.ron`), whose places a folder of that name would take.
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
    if name == DICTIONARIES_DIR {
        return Err(format!(
            "{name:?} is reserved for the suggestion dictionaries under annotations/; choose another annotator name"
        ));
    }
    // annotations/ holds the workspace's own files beside the layer folders: tags.ron,
    // workspace.ron and each layer's <layer>.rejected.ron. A folder with such a name would
    // stand where one of them belongs (case-insensitively, for macOS and Windows).
    if name.to_ascii_lowercase().ends_with(".ron") {
        return Err(format!(
            "the annotator name {name:?} ends with \".ron\", which annotations/ keeps for the workspace's own files (tags.ron, workspace.ron, <annotator>.rejected.ron); choose another annotator name"
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
            return Err(unopenable(&root, "not a folder".into()));
        }
        let cfg_path = root.join(ANNOTATIONS_DIR).join("workspace.ron");
        let bad_config = |reason: String| {
            WorkspaceError::BadConfig(FileProblem::new(
                cfg_path.display().to_string(),
                "not a valid workspace.ron",
                reason,
            ))
        };
        let config = match crate::store::read_regular(&cfg_path, crate::store::MAX_SETTINGS_BYTES) {
            Ok(bytes) => {
                let src = std::str::from_utf8(&bytes)
                    .map_err(|e| bad_config(format!("not UTF-8 at byte {}", e.valid_up_to())))?;
                crate::store::ron::ron_options()
                    .from_str::<WorkspaceConfig>(src)
                    .map_err(|e| bad_config(e.to_string()))?
            }
            Err(e) if e.is_not_found() => WorkspaceConfig::default(),
            Err(e) => return Err(unopenable(&cfg_path, e.reason())),
        };
        for folder in &config.texts {
            if safe_rel(folder).is_none() {
                return Err(bad_config(format!(
                    "texts folder {folder:?} is not a relative path inside the workspace"
                )));
            }
        }
        check_assignments(&config).map_err(bad_config)?;
        let tags = TagSet::load_or_default(&root.join(ANNOTATIONS_DIR).join(TAGS_FILE))?;
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

    /// Replaces the in-memory settings (after `assign` wrote them).
    pub fn set_config(&mut self, config: WorkspaceConfig) {
        self.config = config;
    }

    /// Where the tag set lives: `annotations/tags.ron`.
    pub fn tags_path(&self) -> PathBuf {
        self.annotations_dir().join(TAGS_FILE)
    }

    /// Where the settings live: `annotations/workspace.ron`.
    pub fn config_path(&self) -> PathBuf {
        self.annotations_dir().join("workspace.ron")
    }

    /// Every text of the workspace, sorted by relative path.
    pub fn texts(&self) -> Vec<TextEntry> {
        let mut out = Vec::new();
        if self.config.texts.is_empty() {
            walk(&self.root, &self.root, &mut out, &self.config);
        } else {
            for folder in &self.config.texts {
                let dir = self.root.join(folder);
                walk(&self.root, &dir, &mut out, &self.config);
            }
        }
        // One folder's walk comes out sorted (see `walk`); several may overlap.
        if !out.is_sorted_by(|a, b| a.rel <= b.rel) {
            out.sort_by(|a, b| a.rel.cmp(&b.rel));
        }
        out.dedup_by(|a, b| a.rel == b.rel);
        out
    }

    /// Whether `rel` is a path this workspace lists as a text ([`Self::texts`] uses the same
    /// rule). Returns it normalised (`seeds/./a.txt` → `seeds/a.txt`), or why not.
    ///
    /// # Errors
    /// A sentence: outside the workspace, not `.txt`, under `annotations/`, hidden, in a
    /// `target/` folder, outside `workspace.ron`'s text folders, or too long for the file system.
    pub fn check_text_rel(&self, rel: &str) -> Result<String, String> {
        let norm = text_rel_rule(&self.config, rel)?;
        let whole = self.root.join(&norm).as_os_str().len();
        if whole > MAX_PATH_BYTES {
            return Err(format!(
                "the whole path would be {whole} bytes, over the {MAX_PATH_BYTES}-byte limit of the file system"
            ));
        }
        Ok(norm)
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

    /// Symbolic links under `annotations/` with a layer's name: not followed, so not listed by
    /// [`Self::layer_names`].
    pub fn skipped_layer_folders(&self) -> Vec<Skipped> {
        let mut out: Vec<Skipped> = self
            .layer_named_entries(|t| t.is_symlink())
            .into_iter()
            .map(|(_, e)| Skipped {
                path: e.path(),
                reason: SYMLINK_REASON.into(),
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// The entries of `annotations/` of a type `kind` accepts whose names a layer may have,
    /// with those names.
    fn layer_named_entries(
        &self,
        kind: impl Fn(std::fs::FileType) -> bool,
    ) -> Vec<(String, std::fs::DirEntry)> {
        let Ok(rd) = std::fs::read_dir(self.annotations_dir()) else {
            return Vec::new();
        };
        rd.flatten()
            .filter(|e| e.file_type().is_ok_and(&kind))
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e))
            .filter(|(name, _)| check_layer_name(name).is_ok())
            .collect()
    }

    /// The first symbolic link on the way from `annotations/` down to `path` (itself
    /// included), if any: such a layer file is not read.
    pub fn symlink_on_layer_path(&self, path: &Path) -> Option<PathBuf> {
        let base = self.annotations_dir();
        let rest = path.strip_prefix(&base).ok()?;
        let mut p = base;
        for c in rest.components() {
            p.push(c);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
                return Some(p);
            }
        }
        None
    }

    /// The annotator (and curated) layer folders present under `annotations/`, sorted.
    pub fn layer_names(&self) -> Vec<String> {
        let mut out: Vec<String> = (self.layer_named_entries(|t| t.is_dir()).into_iter())
            .map(|(name, _)| name)
            .collect();
        out.sort();
        out
    }

    /// [`Self::layer_files`] of every layer ([`Self::layer_names`]), by layer name: listed
    /// first, so that a command can say how many files it will go through.
    pub fn every_layer_files(&self) -> Vec<(String, LayerFiles)> {
        self.layer_names()
            .into_iter()
            .map(|name| {
                let found = self.layer_files(&name);
                (name, found)
            })
            .collect()
    }

    /// Every `.ron` layer file of layer `name`, with the text rel path it should belong to,
    /// and the symbolic links found among them (not followed; callers report them).
    pub fn layer_files(&self, name: &str) -> LayerFiles {
        let dir = self.annotations_dir().join(name);
        let mut found = LayerFiles::default();
        collect_ron(&dir, &dir, &mut found);
        found.files.sort();
        found.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        found
    }
}

fn collect_ron(base: &Path, dir: &Path, out: &mut LayerFiles) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_symlink() {
            if path.is_dir() || path.extension().is_some_and(|x| x == "ron") {
                out.skipped.push(Skipped {
                    path,
                    reason: SYMLINK_REASON.into(),
                });
            }
        } else if ft.is_dir() {
            collect_ron(base, &path, out);
        } else if path.extension().is_some_and(|x| x == "ron")
            && let Ok(rel) = path.strip_prefix(base)
        {
            let mut rel = rel.to_path_buf();
            rel.set_extension("txt");
            out.files.push((rel_string(&rel), path));
        }
    }
}

/// The one rule for which relative paths are texts: [`Workspace::texts`] lists only these, and
/// import writes only these. Returns the path normalised, or why it is not a text.
fn text_rel_rule(config: &WorkspaceConfig, rel: &str) -> Result<String, String> {
    // `safe_rel`'s rule on the string's own parts (no path is made: the walk asks this of
    // every text it finds): no root, no `..`, no backslash or NUL; `.` and empty parts dropped.
    let parts: Vec<&str> = rel
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if rel.starts_with('/')
        || rel.contains(['\\', '\0'])
        || parts.is_empty()
        || parts.contains(&"..")
    {
        return Err("not a relative path inside the workspace".into());
    }
    let norm = parts.join("/");
    if !norm.ends_with(".txt") {
        return Err("not a .txt file".into());
    }
    if parts[0] == ANNOTATIONS_DIR {
        return Err("it is under annotations/, which holds annotations, not texts".into());
    }
    // With text folders in workspace.ron, only what is under one of them is listed, and only
    // the part below the folder is checked for hidden and target/ names.
    let inner: &[&str] = if config.texts.is_empty() {
        &parts
    } else {
        let below = config.texts.iter().find_map(|f| {
            let folder: Vec<String> = safe_rel(f)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            (parts.len() > folder.len() && parts.iter().zip(&folder).all(|(p, f)| p == f))
                .then_some(folder.len())
        });
        match below {
            Some(n) => &parts[n..],
            None => {
                return Err(format!(
                    "it is outside the text folders annotations/workspace.ron lists ({})",
                    config.texts.join(", ")
                ));
            }
        }
    };
    if let Some(c) = inner.iter().find(|c| c.starts_with('.')) {
        return Err(format!(
            "{c:?} is hidden (starts with '.'), and the workspace does not list hidden files"
        ));
    }
    if inner[..inner.len() - 1].contains(&"target") {
        return Err("it is in a target/ folder, which the workspace does not list".into());
    }
    if let Some(c) = parts.iter().find(|c| c.len() > MAX_NAME_BYTES) {
        return Err(format!(
            "the name {:?} is {} bytes, over the {MAX_NAME_BYTES}-byte limit of file systems",
            c.chars().take(20).chain("…".chars()).collect::<String>(),
            c.len()
        ));
    }
    Ok(norm)
}

/// Appends the texts under `dir` to `out`, sorted by relative path, walking its folders on up
/// to four threads (100,000 texts in 100 folders: the document list waits for this walk).
///
/// Each folder's entries are sorted by name, a folder's name as if it ended in `/`: that is
/// the order of the whole paths, since every text below a folder starts with its name and a
/// `/`, where a sibling's name differs from it or ends. So no sort of the whole list is needed.
fn walk(root: &Path, dir: &Path, out: &mut Vec<TextEntry>, config: &WorkspaceConfig) {
    let Ok(rel) = dir.strip_prefix(root) else {
        return;
    };
    let mut prefix = rel_string(rel);
    if !prefix.is_empty() {
        prefix.push('/');
    }
    let top = children(root, dir, &prefix, config);
    let folders = top
        .iter()
        .filter(|c| matches!(c, Child::Folder(..)))
        .count();
    let threads = if folders < 2 {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 4)
            .min(folders)
    };
    if threads == 1 {
        for child in top {
            child.walk_into(root, config, out);
        }
        return;
    }
    // The top folders are taken in turn by the threads; their texts are put back in order.
    let slots: Vec<std::sync::Mutex<Vec<TextEntry>>> = (0..top.len())
        .map(|_| std::sync::Mutex::new(Vec::new()))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (Some(child), Some(slot)) = (top.get(i), slots.get(i)) else {
                return;
            };
            let mut found = Vec::new();
            child.clone().walk_into(root, config, &mut found);
            if let Ok(mut slot) = slot.lock() {
                *slot = found;
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            // If a thread cannot start, this one walks what is left.
            let _ = std::thread::Builder::new()
                .name("walk texts".into())
                .spawn_scoped(s, work);
        }
        work();
    });
    for slot in slots {
        if let Ok(found) = slot.into_inner() {
            out.extend(found);
        }
    }
}

/// An entry of a folder the walk keeps.
#[derive(Clone)]
enum Child {
    Text(TextEntry),
    /// A folder to walk: its path, and its relative path with a `/` at the end.
    Folder(PathBuf, String),
}

impl Child {
    /// Its texts, in the order of their relative paths, appended to `out`.
    fn walk_into(self, root: &Path, config: &WorkspaceConfig, out: &mut Vec<TextEntry>) {
        match self {
            Child::Text(t) => out.push(t),
            Child::Folder(dir, prefix) => {
                for child in children(root, &dir, &prefix, config) {
                    child.walk_into(root, config, out);
                }
            }
        }
    }

    /// What it sorts by among its folder's entries: its relative path, a folder's with its `/`.
    fn key(&self) -> &str {
        match self {
            Child::Text(t) => &t.rel,
            Child::Folder(_, prefix) => prefix,
        }
    }
}

/// The texts and folders of `dir` (whose relative path is `prefix`, `/`-ended, or empty for
/// the root) that the workspace lists, sorted (see [`walk`]).
fn children(root: &Path, dir: &Path, prefix: &str, config: &WorkspaceConfig) -> Vec<Child> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for e in rd.flatten() {
        let file_name = e.file_name();
        let name = file_name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        // Symlinked folders are not followed, so a link cannot pull outside texts in.
        if ft.is_dir() {
            if name == "target" || (dir == root && name == ANNOTATIONS_DIR) {
                continue;
            }
            found.push(Child::Folder(e.path(), format!("{prefix}{name}/")));
        } else if (ft.is_file() || ft.is_symlink()) && name.len() > 4 && name.ends_with(".txt") {
            let rel = format!("{prefix}{name}");
            if text_rel_rule(config, &rel).is_ok() {
                found.push(Child::Text(TextEntry {
                    rel,
                    path: e.path(),
                }));
            }
        }
    }
    found.sort_unstable_by(|a, b| a.key().cmp(b.key()));
    found
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

    /// The walk's order is the order of the whole relative paths, without a sort of them:
    /// names that sort differently alone and with a `/` after them, folders walked by several
    /// threads, and what is not listed.
    #[test]
    fn texts_come_sorted_by_whole_path_from_a_parallel_walk() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let listed = [
            "a-b.txt",
            "a.txt",
            "a/x.txt",
            "a/b/c.txt",
            "a/b-c.txt",
            "a b/y.txt",
            "ab.txt",
            "B.txt",
            "z/deep/er/still.txt",
            "é/ü.txt",
            "e/1.txt",
            "e/10.txt",
            "e/2.txt",
        ];
        let not_listed = [
            ".hidden.txt",
            "a/.h/x.txt",
            "target/t.txt",
            "a/target/t.txt",
            "annotations/editor-a/n.txt",
            "a/notes.md",
            "a/.txt",
        ];
        for rel in listed.iter().chain(&not_listed) {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, "words").expect("write");
        }
        let ws = Workspace::open(root).expect("workspace");
        let got: Vec<String> = ws.texts().into_iter().map(|t| t.rel).collect();
        let mut want: Vec<String> = listed.iter().map(|s| (*s).to_owned()).collect();
        want.sort();
        assert_eq!(got, want);
        // The walk itself, not only `texts`, which would sort what it did not.
        let mut walked = Vec::new();
        walk(ws.root(), ws.root(), &mut walked, ws.config());
        let walked: Vec<String> = walked.into_iter().map(|t| t.rel).collect();
        assert_eq!(walked, want);
        for t in ws.texts() {
            assert_eq!(t.path, ws.root().join(&t.rel));
        }
    }

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
            "tags.ron",
            "workspace.ron",
            "editor-a.rejected.ron",
            "Tags.RON",
        ] {
            assert!(check_annotator(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts_lists_exactly_the_paths_check_text_rel_accepts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let all = [
            "a.txt",
            "news/b.txt",
            "annotations/c.txt",
            "annotations/editor-a/d.txt",
            "target/e.txt",
            "news/target/f.txt",
            ".hidden/g.txt",
            "news/.h.txt",
            "news/notes.md",
        ];
        for rel in all {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "x").unwrap();
        }
        let check = |ws: &Workspace| {
            let listed: Vec<String> = ws.texts().into_iter().map(|t| t.rel).collect();
            let accepted: Vec<String> = all
                .iter()
                .filter(|r| ws.check_text_rel(r).is_ok())
                .map(|r| (*r).to_owned())
                .collect();
            assert_eq!(listed, accepted);
            listed
        };
        let ws = Workspace::open(root).unwrap();
        assert_eq!(check(&ws), ["a.txt", "news/b.txt"]);
        std::fs::write(
            root.join("annotations/workspace.ron"),
            "(texts: [\"news\"])",
        )
        .unwrap();
        let ws = Workspace::open(root).unwrap();
        assert_eq!(check(&ws), ["news/b.txt"]);
        assert_eq!(
            ws.check_text_rel("news/./x/../b.txt"),
            Err("not a relative path inside the workspace".into())
        );
        assert_eq!(ws.check_text_rel("news/././b.txt"), Ok("news/b.txt".into()));
    }

    #[test]
    fn safe_rel_refuses_escapes() {
        assert!(safe_rel("seeds/a.txt").is_some());
        assert!(safe_rel("../a.txt").is_none());
        assert!(safe_rel("/etc/passwd").is_none());
        assert!(safe_rel("a/../../b").is_none());
        assert!(safe_rel("").is_none());
    }

    #[test]
    fn a_stray_annotations_folder_above_the_temporary_folder_captures_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(dir.path().join(ANNOTATIONS_DIR)).unwrap();
        std::fs::create_dir_all(tmp.join("job/annotations")).unwrap();
        std::fs::create_dir_all(tmp.join("other/x")).unwrap();
        let canon = |p: PathBuf| p.canonicalize().unwrap();
        // Below the ceiling the search works as always ...
        assert_eq!(
            find_root_below(&tmp.join("job"), &tmp),
            canon(tmp.join("job"))
        );
        // ... but it does not climb to the ceiling or past it.
        assert_eq!(
            find_root_below(&tmp.join("other/x"), &tmp),
            canon(tmp.join("other/x"))
        );
        // Opened directly, a folder at or above the ceiling is what it is.
        assert_eq!(find_root_below(dir.path(), &tmp), canon(dir.path().into()));
        // Without the ceiling, the annotations/ folder above would have been found.
        assert_eq!(
            find_root_below(&tmp.join("other/x"), Path::new("/nonexistent")),
            canon(dir.path().into())
        );
    }
}
