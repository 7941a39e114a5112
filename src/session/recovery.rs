//! A recovery journal of edits that could not be saved, kept outside the workspace, so that a
//! full disk, a read-only folder or a killed window never loses spans silently.
//!
//! One entry per layer file under the OS data folder (`$XDG_DATA_HOME/marginalia/recovery`,
//! else `~/.local/share/marginalia/recovery`; `MARGINALIA_RECOVERY_DIR` overrides it). When
//! that folder cannot be written (the disk it shares with the workspace is full), the entry
//! goes to a fallback on another file system: `$XDG_RUNTIME_DIR/marginalia/recovery`, else
//! `/dev/shm/marginalia-recovery-<uid>` (kept in memory until the machine restarts).
//!
//! An entry `<key>.ron` is the layer's own RON after a few comment lines naming the layer file,
//! its workspace, its path inside the workspace and the hash of its text, so it can be read, or
//! copied back by hand, like any layer. Beside it, `<key>.base` holds the layer as the session
//! last read it from disk (the base of the three-way merge that restores it). Entries are found
//! by the layer's path inside its workspace and its text's hash, so a workspace that was
//! renamed or remounted elsewhere still gets its edits back; entries whose workspace is gone
//! and that no workspace claimed are listed by [`Journal::orphans`].
//!
//! An entry is written when a save fails, offered back when that layer is next opened, and
//! removed once the edits reach the layer file.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::store::sha256_hex;
use crate::store::{self, StoreError};

/// The first line of every journal entry, followed by the layer file's path.
const HEADER: &str = "// marginalia recovery journal for: ";
/// The next lines (entries written since the journal was keyed by position in the workspace).
const WORKSPACE: &str = "// workspace: ";
const LAYER: &str = "// layer: ";
const TEXT: &str = "// text: ";

/// The largest journal entry read back (the same limit as a layer file).
const MAX_ENTRY_BYTES: u64 = store::MAX_LAYER_BYTES;
/// The most read to find an entry's header.
const MAX_HEADER_BYTES: u64 = 16 * 1024;

/// The folders of recovery entries: the usual one, then fallbacks on other file systems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    dir: PathBuf,
    fallbacks: Vec<PathBuf>,
}

/// Which layer file an entry is for, and where it sits in its workspace (what survives a move).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryKey {
    /// The layer file, absolute.
    pub layer: PathBuf,
    /// The workspace root, absolute.
    pub workspace: PathBuf,
    /// The layer file's path inside the workspace (`annotations/<annotator>/<text>.ron`).
    pub layer_rel: String,
    /// The text's path inside the workspace.
    pub text_rel: String,
    /// The hash of the text the layer annotates.
    pub text_sha256: String,
}

impl EntryKey {
    /// The key of the layer file `layer` in the workspace at `root`, annotating text `text_rel`
    /// whose hash is `text_sha256`.
    pub fn new(root: &Path, layer: &Path, text_rel: &str, text_sha256: &str) -> Self {
        let workspace = absolute(root);
        let layer = absolute(layer);
        let layer_rel = layer
            .strip_prefix(&workspace)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| layer.to_string_lossy().into_owned());
        Self {
            layer,
            workspace,
            layer_rel,
            text_rel: text_rel.to_owned(),
            text_sha256: text_sha256.to_owned(),
        }
    }

    /// A key that knows only the layer file (the position in a workspace is unknown).
    pub fn of_path(layer: &Path) -> Self {
        let layer = absolute(layer);
        Self {
            workspace: layer.parent().map(Path::to_path_buf).unwrap_or_default(),
            layer_rel: layer.to_string_lossy().into_owned(),
            layer,
            text_rel: String::new(),
            text_sha256: String::new(),
        }
    }

    /// The entry's file name: the position in the workspace and the text first (entries for
    /// one layer sort together wherever the workspace is), then the place on disk.
    fn file_name(&self) -> String {
        let moved = sha256_hex(format!("{}\n{}", self.layer_rel, self.text_sha256).as_bytes());
        let here = sha256_hex(self.layer.to_string_lossy().as_bytes());
        format!("{}-{}.ron", &moved[..16], &here[..8])
    }

    /// The name entries had when they were keyed by the layer file's absolute path only.
    fn legacy_file_name(&self) -> String {
        let key = sha256_hex(self.layer.to_string_lossy().as_bytes());
        format!("{}.ron", &key[..24])
    }
}

/// What an entry's first lines say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryHeader {
    /// The layer file the edits were meant for, as it was then.
    pub layer: PathBuf,
    /// The rest; `None` in entries written before entries were keyed by workspace position.
    pub workspace: Option<PathBuf>,
    pub layer_rel: Option<String>,
    pub text_rel: Option<String>,
    pub text_sha256: Option<String>,
}

impl EntryHeader {
    /// Whether the workspace the entry was written in is still where it was (its text is
    /// there), so the entry is that workspace's.
    pub fn workspace_present(&self) -> bool {
        match (&self.workspace, &self.text_rel) {
            (Some(ws), Some(text)) => ws.join(text).is_file(),
            _ => self.layer.parent().is_some_and(Path::is_dir),
        }
    }

    /// What the header says, as a whole entry text's first lines.
    fn render(key: &EntryKey) -> String {
        let one_line = |s: &str| s.replace(['\n', '\r'], " ");
        format!(
            "{HEADER}{}\n{WORKSPACE}{}\n{LAYER}{}\n{TEXT}{} {}\n",
            one_line(&key.layer.to_string_lossy()),
            one_line(&key.workspace.to_string_lossy()),
            one_line(&key.layer_rel),
            key.text_sha256,
            one_line(&key.text_rel),
        )
    }

    /// Reads the header at the start of `src`; returns it and where the layer's RON begins.
    fn parse(src: &str) -> Option<(Self, usize)> {
        let (first, _) = src.split_once('\n')?;
        let layer = PathBuf::from(first.strip_prefix(HEADER)?);
        let mut header = Self {
            layer,
            workspace: None,
            layer_rel: None,
            text_rel: None,
            text_sha256: None,
        };
        let mut at = first.len() + 1;
        while let Some(line) = src[at..].split_once('\n').map(|(l, _)| l) {
            if let Some(ws) = line.strip_prefix(WORKSPACE) {
                header.workspace = Some(PathBuf::from(ws));
            } else if let Some(rel) = line.strip_prefix(LAYER) {
                header.layer_rel = Some(rel.to_owned());
            } else if let Some(text) = line.strip_prefix(TEXT) {
                let (sha, rel) = text.split_once(' ').unwrap_or((text, ""));
                header.text_sha256 = Some(sha.to_owned());
                header.text_rel = Some(rel.to_owned());
            } else {
                break;
            }
            at += line.len() + 1;
        }
        Some((header, at))
    }
}

/// An entry found for a layer file.
#[derive(Debug, Clone)]
pub struct Recovered {
    /// The layer file the edits were meant for, when they were kept (another path when the
    /// workspace has moved since).
    pub target: PathBuf,
    /// The layer's RON as it was in memory when the save failed.
    pub contents: String,
    /// The layer as the session last read it from disk, where its edits started (`None` for
    /// entries written before the journal kept it).
    pub base: Option<String>,
    /// When the entry was written.
    pub saved: Option<SystemTime>,
    /// Where the entry lives, to tell the user.
    pub entry: PathBuf,
}

/// An entry as listed: where it is, what its header says, when it was written.
#[derive(Debug, Clone)]
pub struct Listed {
    pub entry: PathBuf,
    pub header: EntryHeader,
    pub saved: Option<SystemTime>,
}

impl Listed {
    /// How many spans the entry holds, when it reads as a layer.
    pub fn spans(&self) -> Option<usize> {
        let bytes = store::read_regular(&self.entry, MAX_ENTRY_BYTES).ok()?;
        let src = String::from_utf8(bytes).ok()?;
        let (_, at) = EntryHeader::parse(&src)?;
        crate::model::layer::Layer::from_ron(&src[at..])
            .ok()
            .map(|l| l.spans.len())
    }

    /// When the entry was written, as "2026-12-06 18:50 UTC" (empty when unknown).
    pub fn when(&self) -> String {
        self.saved
            .map(|t| {
                time::OffsetDateTime::from(t)
                    .format(time::macros::format_description!(
                        "[year]-[month]-[day] [hour]:[minute] UTC"
                    ))
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }

    /// The entry in words: which text and layer file, how many spans, when, and for which
    /// workspace, as "seeds/a.txt (annotations/ann/seeds/a.ron, 3 spans, kept 2026-12-06 18:50
    /// UTC) for the workspace at /old/place".
    pub fn describe(&self) -> String {
        let h = &self.header;
        let mut details: Vec<String> = h.layer_rel.iter().cloned().collect();
        if let Some(n) = self.spans() {
            details.push(crate::wording::plural(n, "span"));
        }
        let when = self.when();
        if !when.is_empty() {
            details.push(format!("kept {when}"));
        }
        match (&h.text_rel, &h.workspace) {
            (Some(text), Some(ws)) if h.layer_rel.is_some() => format!(
                "{text} ({}) for the workspace at {}",
                details.join(", "),
                ws.display()
            ),
            // Written before entries named their workspace: the layer file is all there is.
            _ if details.is_empty() => h.layer.display().to_string(),
            _ => format!("{} ({})", h.layer.display(), details.join(", ")),
        }
    }
}

/// Where [`Journal::keep`] put an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub entry: PathBuf,
    /// Why the usual folder could not take it, when the entry went to a fallback.
    pub fallback_because: Option<String>,
}

impl Kept {
    /// Where the edits are, in words for the user.
    pub fn describe(&self) -> String {
        match &self.fallback_because {
            None => self.entry.display().to_string(),
            Some(why) => format!(
                "{} (the usual journal folder could not be written: {why}; this fallback may not \
                 survive a restart of the computer)",
                self.entry.display()
            ),
        }
    }
}

impl Journal {
    /// A journal in `dir` (created on first write), with no fallback.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            fallbacks: Vec::new(),
        }
    }

    /// This journal, writing to `dir` when its folder cannot be written.
    #[must_use]
    pub fn with_fallback(mut self, dir: impl Into<PathBuf>) -> Self {
        self.fallbacks.push(dir.into());
        self
    }

    /// The user's journal: `MARGINALIA_RECOVERY_DIR`, else the OS data folder, with fallbacks on
    /// other file systems. `None` when no home folder is known.
    pub fn default_location() -> Option<Self> {
        let dir = match std::env::var_os("MARGINALIA_RECOVERY_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => std::env::var_os("XDG_DATA_HOME")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("APPDATA").map(PathBuf::from))
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))?
                .join("marginalia")
                .join("recovery"),
        };
        let mut journal = Self::at(dir);
        if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
            journal = journal.with_fallback(Path::new(&run).join("marginalia").join("recovery"));
        }
        #[cfg(unix)]
        {
            // SAFETY: getuid has no preconditions and cannot fail.
            let uid = unsafe { libc::getuid() };
            journal = journal.with_fallback(format!("/dev/shm/marginalia-recovery-{uid}"));
        }
        Some(journal)
    }

    /// The folder holding the entries.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every folder entries are looked for in: the usual one, then the fallbacks.
    pub fn dirs(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.dir.as_path()).chain(self.fallbacks.iter().map(PathBuf::as_path))
    }

    /// Where the entry for `key` lives in the usual folder.
    pub fn entry_path(&self, key: &EntryKey) -> PathBuf {
        self.dir.join(key.file_name())
    }

    /// Keeps `contents` (a layer's RON) for `key`, with `base` (the layer as last read from
    /// disk), replacing any older entry for it. When the usual folder cannot be written, the
    /// entry goes to the first fallback that can be.
    ///
    /// # Errors
    /// No folder could be written; the error names the usual one.
    pub fn keep(
        &self,
        key: &EntryKey,
        contents: &str,
        base: Option<&str>,
    ) -> Result<Kept, StoreError> {
        let header = EntryHeader::render(key);
        let mut bytes = String::with_capacity(contents.len() + header.len());
        bytes.push_str(&header);
        bytes.push_str(contents);
        let mut first_error = None;
        for (i, dir) in self.dirs().enumerate() {
            // A fallback lives in a shared place such as `/dev/shm`: only this user may read it.
            if i > 0 && !store::private_dir(dir) {
                continue;
            }
            let entry = dir.join(key.file_name());
            let written = match base {
                Some(base) => store::write_atomic(&entry.with_extension("base"), base.as_bytes())
                    .and_then(|_| store::write_atomic(&entry, bytes.as_bytes())),
                None => store::write_atomic(&entry, bytes.as_bytes()),
            };
            match written {
                Ok(_) => {
                    // Older copies elsewhere would be found too: only this one stays.
                    for other in self.dirs().filter(|d| *d != dir) {
                        remove_entry(&other.join(key.file_name()));
                    }
                    if base.is_none() {
                        remove_base(&entry);
                    }
                    return Ok(Kept {
                        entry,
                        fallback_because: first_error.map(|e: StoreError| e.to_string()),
                    });
                }
                Err(e) => {
                    remove_base(&entry);
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| StoreError::Write {
            path: self.dir.display().to_string(),
            reason: "no journal folder could be written".into(),
        }))
    }

    /// The entry kept for `key`, if there is a readable one: one written for this very layer
    /// file, else one written for the same layer of the same text in a workspace that is no
    /// longer where it was (renamed, or a drive mounted elsewhere). The newest wins.
    pub fn find(&self, key: &EntryKey) -> Option<Recovered> {
        let mut best: Option<Listed> = None;
        for listed in self.list() {
            let h = &listed.header;
            let here = h.layer == key.layer;
            let moved = h.layer_rel.as_deref() == Some(&key.layer_rel)
                && h.text_sha256.as_deref() == Some(&key.text_sha256)
                && !key.text_sha256.is_empty()
                && !h.workspace_present();
            let newer = best.as_ref().is_none_or(|b| listed.saved > b.saved);
            if (here || moved) && newer {
                best = Some(listed);
            }
        }
        let listed = best?;
        let bytes = store::read_regular(&listed.entry, MAX_ENTRY_BYTES).ok()?;
        let src = String::from_utf8(bytes).ok()?;
        let (header, at) = EntryHeader::parse(&src)?;
        let base = store::read_regular(&listed.entry.with_extension("base"), MAX_ENTRY_BYTES)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        Some(Recovered {
            target: header.layer,
            contents: src[at..].to_owned(),
            base,
            saved: listed.saved,
            entry: listed.entry,
        })
    }

    /// Every entry in every folder, by its header (entries whose header cannot be read are
    /// left out).
    pub fn list(&self) -> Vec<Listed> {
        let mut out = Vec::new();
        for dir in self.dirs() {
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut paths: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .collect();
            paths.sort();
            for entry in paths {
                if let Some(header) = read_header(&entry) {
                    let saved = std::fs::metadata(&entry).and_then(|m| m.modified()).ok();
                    out.push(Listed {
                        entry,
                        header,
                        saved,
                    });
                }
            }
        }
        out
    }

    /// Entries no workspace will be offered: the workspace they were written in is gone
    /// (moved, renamed, unmounted), and `ws` (the open workspace, if any) does not have their
    /// text with the same hash.
    pub fn orphans(&self, ws: Option<&crate::workspace::Workspace>) -> Vec<Listed> {
        let claimed = |h: &EntryHeader| {
            let (Some(ws), Some(rel), Some(sha)) = (ws, &h.text_rel, &h.text_sha256) else {
                return false;
            };
            ws.text_path(rel)
                .and_then(|p| crate::model::text::Text::load(&p).ok())
                .is_some_and(|t| t.sha256() == sha)
        };
        self.list()
            .into_iter()
            .filter(|l| !l.header.workspace_present() && !claimed(&l.header))
            .collect()
    }

    /// Removes the entries for `key` (the edits reached the layer file, or the user discarded
    /// them), and `also` (an entry found for it elsewhere). Returns whether there was one.
    pub fn clear(&self, key: &EntryKey, also: Option<&Path>) -> bool {
        let mut any = false;
        for dir in self.dirs() {
            any |= remove_entry(&dir.join(key.file_name()));
            any |= remove_entry(&dir.join(key.legacy_file_name()));
        }
        if let Some(entry) = also {
            any |= remove_entry(entry);
        }
        any
    }

    /// Removes one listed entry (`entry` must be in one of this journal's folders). Returns
    /// whether it did.
    pub fn discard(&self, entry: &Path) -> bool {
        let inside = entry.parent().is_some_and(|p| self.dirs().any(|d| d == p));
        inside && remove_entry(entry)
    }
}

/// Removes an entry and its base. Returns whether the entry was there.
fn remove_entry(entry: &Path) -> bool {
    remove_base(entry);
    store::remove_durably(entry).unwrap_or(false)
}

fn remove_base(entry: &Path) {
    let _ = store::remove_durably(&entry.with_extension("base"));
}

/// Reads the first lines of an entry.
fn read_header(entry: &Path) -> Option<EntryHeader> {
    let file = store::open_regular(entry).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_HEADER_BYTES).read_to_end(&mut bytes).ok()?;
    let src = String::from_utf8_lossy(&bytes);
    EntryHeader::parse(&src).map(|(h, _)| h)
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

    fn key(root: &Path, name: &str) -> EntryKey {
        std::fs::create_dir_all(root.join("t")).unwrap();
        std::fs::write(root.join("t").join(name), "text").unwrap();
        EntryKey::new(
            root,
            &root
                .join("annotations/a/t")
                .join(name)
                .with_extension("ron"),
            &format!("t/{name}"),
            "abc",
        )
    }

    #[test]
    fn an_entry_is_kept_found_and_cleared_per_layer_file() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::at(dir.path().join("recovery"));
        let a = key(&dir.path().join("ws"), "a.txt");
        let b = key(&dir.path().join("ws"), "b.txt");
        assert!(journal.find(&a).is_none());
        journal.keep(&a, "(spans: [])\n", Some("(base)\n")).unwrap();
        journal.keep(&b, "(other)\n", None).unwrap();
        let found = journal.find(&a).unwrap();
        assert_eq!(found.contents, "(spans: [])\n");
        assert_eq!(found.base.as_deref(), Some("(base)\n"));
        assert_eq!(journal.find(&b).unwrap().contents, "(other)\n");
        assert!(journal.find(&b).unwrap().base.is_none());
        assert!(journal.clear(&a, None));
        assert!(journal.find(&a).is_none());
        assert!(journal.find(&b).is_some());
    }

    /// Issue 20 §6: an entry written before the journal was keyed by workspace position (one
    /// header line, named by the absolute path's hash) is still found, and cleared.
    #[test]
    fn an_entry_in_the_old_format_is_found_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::at(dir.path().join("recovery"));
        let a = key(&dir.path().join("ws"), "a.txt");
        std::fs::create_dir_all(journal.dir()).unwrap();
        let old = journal.dir().join(a.legacy_file_name());
        std::fs::write(
            &old,
            format!("{HEADER}{}\n(spans: [])\n", a.layer.display()),
        )
        .unwrap();
        let found = journal.find(&a).unwrap();
        assert_eq!(found.contents, "(spans: [])\n");
        assert!(found.base.is_none());
        assert!(journal.clear(&a, None));
        assert!(!old.exists());
    }

    /// Issue 20 §6: when the usual folder cannot be written (a full disk), the entry goes to a
    /// fallback, says so, and is found there.
    #[test]
    fn an_entry_the_usual_folder_cannot_take_goes_to_the_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let blocked = dir.path().join("not a folder");
        std::fs::write(&blocked, "").unwrap();
        let journal = Journal::at(blocked.join("recovery")).with_fallback(dir.path().join("shm"));
        let a = key(&dir.path().join("ws"), "a.txt");
        let kept = journal.keep(&a, "(spans: [])\n", Some("(b)\n")).unwrap();
        assert!(kept.entry.starts_with(dir.path().join("shm")));
        assert!(kept.fallback_because.is_some());
        assert!(kept.describe().contains("could not be written"));
        assert_eq!(journal.find(&a).unwrap().contents, "(spans: [])\n");
        assert!(journal.clear(&a, None));
        assert!(journal.list().is_empty());
        // Nowhere to write: the error names the usual folder.
        let nowhere = Journal::at(blocked.join("recovery")).with_fallback(blocked.join("shm"));
        let e = nowhere.keep(&a, "x", None).unwrap_err().to_string();
        assert!(e.contains("not a folder"), "{e}");
    }
}
