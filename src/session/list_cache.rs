//! The document list's lines remembered between runs, so that a workspace of 100,000 texts and
//! layers lists in the time it takes to look at its files, not to read and check them all.
//!
//! A line is what [`Document::glance`] finds for one text: its title and the layer's status and
//! span count, or why it cannot be opened. It is kept with the identity of the text and layer
//! files it came from: size, modification and change times to the nanosecond, and inode. Any
//! write to a file changes its change time (which no program can set back), and an atomic
//! replace changes its inode, so a line is used again only for the very files it was read
//! from; any other is read afresh. The whole cache is dropped when the program's version, the
//! annotator or the workspace's `tags.ron` (which the checks read) differ.
//!
//! The cache lives in the user's cache folder (`$XDG_CACHE_HOME/marginalia`, else
//! `~/.cache/marginalia`; `%LOCALAPPDATA%\marginalia` on Windows), one file per workspace and
//! annotator, never in the workspace. Only workspaces of [`CACHE_FROM`] texts or more use it,
//! and the folder keeps the [`KEEP`] files written last.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::document::Document;
use crate::model::layer::Status;
pub use crate::store::FileKey;
use crate::store::{self, StoreError};
use crate::workspace::Workspace;

/// Workspaces with fewer texts list fast enough without a cache.
pub const CACHE_FROM: usize = 1_000;

/// How many list caches the cache folder keeps (the most recently written).
const KEEP: usize = 16;

/// The most a cache file may hold (100,000 lines take about 25 MB).
const MAX_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// The first line of a cache file: what every line depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Header {
    program: String,
    root: PathBuf,
    annotator: String,
    tags: Option<FileKey>,
}

/// One remembered line.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Line {
    rel: String,
    text: FileKey,
    layer: Option<FileKey>,
    title: Option<String>,
    /// The layer's status and span count, or why the document cannot be opened.
    opened: Result<(Status, usize), String>,
}

/// What the list shows of one text: its title, and its layer's status and span count or why it
/// cannot be opened.
pub type Glanced = (Option<String>, Result<(Status, usize), String>);

/// The lines of one workspace and annotator: those read last time, and those read now.
#[derive(Debug)]
pub struct ListCache {
    /// Where it is saved; `None` when the cache is off (a small workspace, no cache folder).
    path: Option<PathBuf>,
    header: Header,
    old: HashMap<String, Line>,
    now: Mutex<Vec<Line>>,
    /// Lines read afresh (not found, or their files changed).
    misses: std::sync::atomic::AtomicUsize,
}

impl ListCache {
    /// The cache of `annotator`'s lines in `ws`, for a list of `texts` texts; empty if there is
    /// none yet, it is unreadable, or what it depends on changed. Off below [`CACHE_FROM`]
    /// texts.
    pub fn load(ws: &Workspace, annotator: &str, texts: usize) -> Self {
        Self::load_in(cache_folder().as_deref(), ws, annotator, texts)
    }

    /// [`Self::load`] from the cache folder `folder` (`None`: no cache).
    pub fn load_in(folder: Option<&Path>, ws: &Workspace, annotator: &str, texts: usize) -> Self {
        let header = Header {
            program: env!("CARGO_PKG_VERSION").to_owned(),
            root: ws.root().to_path_buf(),
            annotator: annotator.to_owned(),
            tags: FileKey::of(&ws.tags_path()),
        };
        let path = folder
            .filter(|_| texts >= CACHE_FROM)
            .map(|d| d.join(file_name(&header)));
        let old = path
            .as_deref()
            .and_then(|p| read_lines(p, &header))
            .unwrap_or_default();
        Self {
            path,
            header,
            old,
            now: Mutex::new(Vec::new()),
            misses: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// What [`Document::glance`] finds for `rel`: from the cache when its text and layer files
    /// are the ones it was read from, else read now (and remembered).
    pub fn glance(&self, ws: &Workspace, rel: &str) -> Glanced {
        if self.path.is_some()
            && let Some(line) = self.old.get(rel)
            && self.keys(ws, rel) == Some((line.text, line.layer))
        {
            self.remember(line.clone());
            return (line.title.clone(), line.opened.clone());
        }
        let glance = Document::glance(ws, rel, &self.header.annotator);
        let opened = glance.opened.map_err(|e| e.to_string());
        if self.path.is_some() {
            self.misses
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // The keys of the files as read (none if a file could not be read): the
            // line is used again only for those very files.
            if let Some((text, layer)) = glance.keys {
                self.remember(Line {
                    rel: rel.to_owned(),
                    text,
                    layer,
                    title: glance.title.clone(),
                    opened: opened.clone(),
                });
            }
        }
        (glance.title, opened)
    }

    /// Keeps the line of `rel` as it was, if its files are the ones it was read from: for the
    /// document being opened, whose line comes from the open document instead.
    pub fn keep(&self, ws: &Workspace, rel: &str) {
        let Some(line) = self.old.get(rel) else {
            return;
        };
        if self.keys(ws, rel) == Some((line.text, line.layer)) {
            self.remember(line.clone());
        }
    }

    /// The keys of `rel`'s text file and of its layer file (`None` for a layer without a
    /// file); `None` when the text is absent.
    fn keys(&self, ws: &Workspace, rel: &str) -> Option<(FileKey, Option<FileKey>)> {
        let text = FileKey::of(&ws.text_path(rel)?)?;
        let layer = (ws.layer_path(&self.header.annotator, rel)).and_then(|p| FileKey::of(&p));
        Some((text, layer))
    }

    fn remember(&self, line: Line) {
        if let Ok(mut now) = self.now.lock() {
            now.push(line);
        }
    }

    /// How many lines were read afresh rather than taken from the cache.
    pub fn misses(&self) -> usize {
        self.misses.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Writes the lines read this time (atomically) if any was read afresh or any remembered
    /// text is gone, and leaves only the [`KEEP`] newest caches in the folder.
    ///
    /// # Errors
    /// The cache could not be written (the list itself is complete regardless).
    pub fn save(self) -> Result<(), StoreError> {
        let Some(path) = self.path else {
            return Ok(());
        };
        let now = self.now.into_inner().unwrap_or_else(|e| e.into_inner());
        let misses = self.misses.into_inner();
        if misses == 0 && now.len() == self.old.len() {
            return Ok(());
        }
        let mut out = serde_json::to_string(&self.header).unwrap_or_default();
        out.push('\n');
        for line in &now {
            if let Ok(json) = serde_json::to_string(line) {
                out.push_str(&json);
                out.push('\n');
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Write {
                path: dir.display().to_string(),
                reason: e.to_string(),
            })?;
        }
        store::write_atomic(&path, out.as_bytes())?;
        if let Some(dir) = path.parent() {
            prune(dir);
        }
        Ok(())
    }
}

/// The user's cache folder for Marginalia, if the environment names one.
fn cache_folder() -> Option<PathBuf> {
    let from_env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(windows) {
        return from_env("LOCALAPPDATA").map(|d| d.join("marginalia").join("cache"));
    }
    from_env("XDG_CACHE_HOME")
        .or_else(|| from_env("HOME").map(|h| h.join(".cache")))
        .map(|d| d.join("marginalia"))
}

/// `list-<hash>.jsonl`, the hash of the workspace's root and the annotator.
fn file_name(header: &Header) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(header.root.to_string_lossy().as_bytes());
    h.update([0]);
    h.update(header.annotator.as_bytes());
    let hex: String = h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("list-{hex}.jsonl")
}

/// The lines of the cache file at `path` if its header is `header`; `None` if it is absent,
/// unreadable, damaged or for something else.
fn read_lines(path: &Path, header: &Header) -> Option<HashMap<String, Line>> {
    let bytes = store::read_limited(path, MAX_CACHE_BYTES).ok()?;
    let src = std::str::from_utf8(&bytes).ok()?;
    let mut lines = src.lines();
    let found: Header = serde_json::from_str(lines.next()?).ok()?;
    if &found != header {
        return None;
    }
    let mut out = HashMap::new();
    for l in lines {
        // A damaged line is read afresh, not trusted.
        if let Ok(line) = serde_json::from_str::<Line>(l) {
            out.insert(line.rel.clone(), line);
        }
    }
    Some(out)
}

/// Removes all but the [`KEEP`] most recently written list caches in `dir`.
fn prune(dir: &Path) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut caches: Vec<(std::time::SystemTime, PathBuf)> = read
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("list-") && name.ends_with(".jsonl")
        })
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            if !meta.is_file() {
                return None;
            }
            Some((meta.modified().ok()?, e.path()))
        })
        .collect();
    caches.sort_by_key(|c| std::cmp::Reverse(c.0));
    for (_, path) in caches.into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(path);
    }
}
