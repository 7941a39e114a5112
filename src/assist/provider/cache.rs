//! A finished run's proposals kept per text, so reopening a document (or running `suggest`
//! again) does not run the provider again until the text, the provider or the tags change.
//!
//! The cache lives in the user's cache folder (`$XDG_CACHE_HOME/marginalia/providers`, else
//! `~/.cache/marginalia/providers`; `%LOCALAPPDATA%\marginalia\cache\providers` on Windows),
//! never in the workspace: one folder per provider run's key (the protocol version, the
//! workspace root, the provider's name and version and the tags offered), one JSON file per
//! text named by the text's sha256. Entries are written atomically and checked again like
//! fresh output when read: one that is damaged, for another text or refused is ignored and
//! written anew after the next run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ProviderProposal;
use super::protocol::{Checker, Document, PROTOCOL_VERSION, header_line};
use super::settings::ProviderSpec;
use crate::store::{self, StoreError, sha256_hex};

/// The most one cache entry may hold.
const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;

/// The most the provider cache keeps, all providers and workspaces together: past it, the
/// entries written longest ago are deleted (see [`prune`]).
pub const MAX_CACHE_BYTES: u64 = 512 * 1024 * 1024;

/// Files the command names that are at most this big are hashed for the provider's version;
/// bigger ones (interpreters, binaries) count by size and modification time.
const HASH_FILES_UP_TO: u64 = 1024 * 1024;

/// The cache entry format's own version.
const ENTRY_FORMAT: u32 = 1;

/// The folder provider caches go in, if the environment names a cache folder.
pub fn default_folder() -> Option<PathBuf> {
    let from_env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        from_env("LOCALAPPDATA").map(|d| d.join("marginalia").join("cache"))
    } else {
        from_env("XDG_CACHE_HOME")
            .or_else(|| from_env("HOME").map(|h| h.join(".cache")))
            .map(|d| d.join("marginalia"))
    };
    base.map(|d| d.join("providers"))
}

/// The provider's version for the cache: `v:` and its settings' `version` when given, else
/// `h:` and a hash of its command line and of every file the command names (the program,
/// found on `PATH` as the system would, and arguments that are files, relative to `cwd`):
/// the contents of files up to 1 MiB (scripts), the size and modification time of bigger
/// ones (interpreters). So editing a script runs it again; updating a library it imports
/// does not, unless `version` says so.
pub fn provider_version(spec: &ProviderSpec, cwd: &Path) -> String {
    if let Some(v) = &spec.version {
        return format!("v:{v}");
    }
    let mut h = Vec::new();
    for (i, word) in spec.command.iter().enumerate() {
        h.extend_from_slice(word.as_bytes());
        h.push(0);
        let file = if i == 0 {
            find_program(word, cwd)
        } else {
            Some(cwd.join(word))
        };
        let Some(meta) = file.as_ref().and_then(|f| std::fs::metadata(f).ok()) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let hashed = file
            .as_deref()
            .filter(|_| meta.len() <= HASH_FILES_UP_TO)
            .and_then(|f| store::read_regular(f, HASH_FILES_UP_TO).ok());
        match hashed {
            Some(bytes) => h.extend_from_slice(sha256_hex(&bytes).as_bytes()),
            None => {
                let modified = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                h.extend_from_slice(format!("{}:{modified}", meta.len()).as_bytes());
            }
        }
        h.push(0);
    }
    format!("h:{}", &sha256_hex(&h)[..16])
}

/// Where `program` is: itself when it has a `/`, else the first executable of that name on
/// `PATH`.
fn find_program(program: &str, cwd: &Path) -> Option<PathBuf> {
    if program.contains('/') || program.contains(std::path::MAIN_SEPARATOR) {
        return Some(cwd.join(program));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// One provider's cached proposals in one workspace, for the tags offered.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    provider: String,
    version: String,
}

/// One text's entry as stored.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    format: u32,
    provider: String,
    version: String,
    text_sha256: String,
    chars: usize,
    proposals: Vec<Stored>,
}

/// A proposal without its path (the same text may sit at several paths).
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    start: usize,
    end: usize,
    tag: String,
    score: f32,
    #[serde(default)]
    attrs: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    explanation: Option<String>,
}

impl Cache {
    /// The cache under `folder` for `provider` at `version`, run on the workspace at `root`
    /// offering the tags `checker` offers.
    pub fn new(
        folder: &Path,
        root: &Path,
        provider: &str,
        version: &str,
        checker: &Checker,
    ) -> Self {
        let mut key = format!("protocol {PROTOCOL_VERSION}\0{version}\0").into_bytes();
        key.extend_from_slice(
            header_line(provider, &root.to_string_lossy(), &checker.tags(), 0).as_bytes(),
        );
        Self {
            dir: folder.join(&sha256_hex(&key)[..24]),
            provider: provider.to_owned(),
            version: version.to_owned(),
        }
    }

    fn path_of(&self, doc: &Document) -> PathBuf {
        self.dir.join(format!("{}.json", doc.text.sha256()))
    }

    /// The proposals cached for `doc`'s text, checked again by `checker` as if just read;
    /// `None` when there is no entry, or it is unreadable, damaged, for another text or
    /// provider, or any proposal in it is refused.
    pub fn get(&self, doc: &Document, checker: &Checker) -> Option<Vec<ProviderProposal>> {
        let bytes = store::read_regular(&self.path_of(doc), MAX_ENTRY_BYTES).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        if entry.format != ENTRY_FORMAT
            || entry.provider != self.provider
            || entry.version != self.version
            || entry.text_sha256 != doc.text.sha256()
            || entry.chars != doc.text.char_len()
        {
            return None;
        }
        entry
            .proposals
            .into_iter()
            .map(|s| {
                checker
                    .check(ProviderProposal {
                        path: doc.path.clone(),
                        start: s.start,
                        end: s.end,
                        tag: s.tag,
                        score: s.score,
                        attrs: s.attrs,
                        explanation: s.explanation,
                    })
                    .ok()
            })
            .collect()
    }

    /// Keeps `proposals` (all for `doc`) as `doc`'s text's entry, written atomically.
    ///
    /// # Errors
    /// The entry could not be written, naming the file.
    pub fn put(&self, doc: &Document, proposals: &[ProviderProposal]) -> Result<(), StoreError> {
        let entry = Entry {
            format: ENTRY_FORMAT,
            provider: self.provider.clone(),
            version: self.version.clone(),
            text_sha256: doc.text.sha256().to_owned(),
            chars: doc.text.char_len(),
            proposals: proposals
                .iter()
                .map(|p| Stored {
                    start: p.start,
                    end: p.end,
                    tag: p.tag.clone(),
                    score: p.score,
                    attrs: p.attrs.clone(),
                    explanation: p.explanation.clone(),
                })
                .collect(),
        };
        let bytes = serde_json::to_vec(&entry).map_err(|e| StoreError::Write {
            path: self.path_of(doc).display().to_string(),
            reason: e.to_string(),
        })?;
        store::write_atomic(&self.path_of(doc), &bytes).map(|_| ())
    }
}

/// Keeps the cache under `folder` within `max_bytes`: when its entries (`<key>/<sha>.json`)
/// hold more, the ones written longest ago (by modification time) are deleted until
/// they hold at most three quarters of it, and key folders left empty go too (old provider
/// versions). Returns how many entries were deleted. Anything that cannot be read or deleted
/// is left alone.
pub fn prune(folder: &Path, max_bytes: u64) -> usize {
    let Ok(keys) = std::fs::read_dir(folder) else {
        return 0;
    };
    let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = Vec::new();
    let mut dirs = Vec::new();
    for key in keys.flatten() {
        let dir = key.path();
        let Ok(files) = std::fs::read_dir(&dir) else {
            continue;
        };
        dirs.push(dir);
        for f in files.flatten() {
            let Ok(m) = f.metadata() else { continue };
            if m.is_file() && f.path().extension().is_some_and(|x| x == "json") {
                let when = m.modified().unwrap_or(std::time::UNIX_EPOCH);
                entries.push((when, m.len(), f.path()));
            }
        }
    }
    let mut total: u64 = entries.iter().map(|e| e.1).sum();
    if total <= max_bytes {
        return 0;
    }
    entries.sort();
    let mut deleted = 0;
    for (_, len, path) in entries {
        if total <= max_bytes / 4 * 3 {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total = total.saturating_sub(len);
            deleted += 1;
        }
    }
    for dir in dirs {
        // Only an empty folder is removed.
        let _ = std::fs::remove_dir(dir);
    }
    deleted
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::tags::TagSet;
    use crate::model::text::Text;

    #[test]
    fn an_entry_is_read_back_and_a_damaged_or_foreign_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let doc = Document {
            path: "a.txt".into(),
            text: Text::from_string("Prices rose 12 per cent."),
        };
        let docs: Arc<[Document]> = vec![doc.clone()].into();
        let checker = Checker::new(docs, &TagSet::default(), |_| true);
        let cache = Cache::new(dir.path(), Path::new("/ws"), "p", "v:1", &checker);
        assert!(cache.get(&doc, &checker).is_none());
        let p = ProviderProposal {
            path: "a.txt".into(),
            start: 7,
            end: 23,
            tag: "claim".into(),
            score: 0.5,
            attrs: Default::default(),
            explanation: Some("why".into()),
        };
        cache.put(&doc, std::slice::from_ref(&p)).unwrap();
        assert_eq!(cache.get(&doc, &checker), Some(vec![p.clone()]));
        // Another version of the provider has its own entries.
        let newer = Cache::new(dir.path(), Path::new("/ws"), "p", "v:2", &checker);
        assert!(newer.get(&doc, &checker).is_none());
        // A damaged entry, or one whose offsets no longer fit, is not trusted.
        let file = cache.path_of(&doc);
        let src = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, &src[..src.len() / 2]).unwrap();
        assert!(cache.get(&doc, &checker).is_none());
        std::fs::write(&file, src.replace("\"end\":23", "\"end\":99")).unwrap();
        assert!(cache.get(&doc, &checker).is_none());
    }

    #[test]
    fn the_cache_is_pruned_oldest_first_past_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join("old-key"), dir.path().join("new-key"));
        std::fs::create_dir_all(&old).unwrap();
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(old.join("a.json"), vec![b'x'; 600]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        for name in ["b.json", "c.json"] {
            std::fs::write(new.join(name), vec![b'x'; 300]).unwrap();
        }
        // Within the limit: nothing goes.
        assert_eq!(prune(dir.path(), 1200), 0);
        // Past it: the oldest entry goes, and its folder, empty now, with it.
        assert_eq!(prune(dir.path(), 1000), 1);
        assert!(!old.exists());
        assert!(new.join("b.json").is_file() && new.join("c.json").is_file());
    }

    #[test]
    fn the_version_follows_the_script_and_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.py"), "print(1)").unwrap();
        let spec = ProviderSpec::ad_hoc("p", vec!["python3".into(), "p.py".into()], 5.0);
        let v1 = provider_version(&spec, dir.path());
        assert_eq!(v1, provider_version(&spec, dir.path()));
        std::fs::write(dir.path().join("p.py"), "print(2)").unwrap();
        assert_ne!(v1, provider_version(&spec, dir.path()));
        let mut pinned = spec.clone();
        pinned.version = Some("3".into());
        assert_eq!(provider_version(&pinned, dir.path()), "v:3");
    }
}
