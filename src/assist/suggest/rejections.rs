//! Rejected suggestions, stored per layer in `annotations/<layer>.rejected.ron` beside the
//! layer's folder, so git carries them and a rejected suggestion does not come back. The file
//! sits outside the layer folder, so the workspace scan never takes it for a layer file.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{SuggestError, Suggestion};
use crate::store::FileProblem;
use crate::workspace::{Workspace, check_layer_name};

/// The rejections file format this build reads and writes.
pub const REJECTIONS_FORMAT: u32 = 1;

/// The largest rejections file read, in bytes.
pub const MAX_REJECTIONS_BYTES: u64 = crate::store::MAX_LAYER_BYTES;

/// What a rejections file that does not parse is said to be.
const NOT_REJECTIONS: &str = "not a valid rejections file";

/// One rejected suggestion: where it was, with what text, so it stops matching once the text
/// there changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rejected {
    /// The text's path relative to the workspace root.
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub tag: String,
    /// The text at `start..end` when it was rejected.
    pub exact: String,
}

impl Rejected {
    /// The rejection of `s` on text `rel`.
    pub fn of(rel: &str, s: &Suggestion) -> Self {
        Self {
            text: rel.to_owned(),
            start: s.start,
            end: s.end,
            tag: s.tag.clone(),
            exact: s.text.clone(),
        }
    }
}

/// The file on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RejectionsFile {
    format: u32,
    layer: String,
    #[serde(default)]
    rejected: Vec<Rejected>,
}

/// One layer's rejections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rejections {
    set: HashSet<Rejected>,
}

impl Rejections {
    /// Whether `s` on text `rel` was rejected.
    pub fn contains(&self, rel: &str, s: &Suggestion) -> bool {
        if self.set.is_empty() {
            return false;
        }
        self.set.contains(&Rejected {
            text: rel.to_owned(),
            start: s.start,
            end: s.end,
            tag: s.tag.clone(),
            exact: s.text.clone(),
        })
    }

    /// Notes that `s` on text `rel` was rejected (after [`reject`] wrote it).
    pub fn add(&mut self, rel: &str, s: &Suggestion) {
        self.set.insert(Rejected::of(rel, s));
    }

    /// Notes a rejection again (after [`reject_again`] wrote it).
    pub fn insert(&mut self, r: Rejected) {
        self.set.insert(r);
    }

    /// Forgets a rejection (after [`unreject`] took it out of the file).
    pub fn remove(&mut self, r: &Rejected) {
        self.set.remove(r);
    }

    /// How many rejections there are.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// Where `layer`'s rejections live: `annotations/<layer>.rejected.ron`.
pub fn rejections_path(ws: &Workspace, layer: &str) -> Option<PathBuf> {
    check_layer_name(layer).ok()?;
    Some(ws.annotations_dir().join(format!("{layer}.rejected.ron")))
}

fn path_for(ws: &Workspace, layer: &str) -> Result<PathBuf, SuggestError> {
    check_layer_name(layer).map_err(SuggestError::BadLayer)?;
    rejections_path(ws, layer)
        .ok_or_else(|| SuggestError::BadLayer(format!("{layer:?} is not a layer name")))
}

fn read_file(ws: &Workspace, layer: &str) -> Result<(PathBuf, RejectionsFile), SuggestError> {
    let path = path_for(ws, layer)?;
    let shown = path.display().to_string();
    let bytes = match crate::store::read_regular(&path, MAX_REJECTIONS_BYTES) {
        Ok(b) => b,
        Err(e) if e.is_not_found() => {
            let empty = RejectionsFile {
                format: REJECTIONS_FORMAT,
                layer: layer.to_owned(),
                rejected: Vec::new(),
            };
            return Ok((path, empty));
        }
        Err(e) => return Err(FileProblem::unreadable(shown, e.reason()).into()),
    };
    let invalid = |reason: String| FileProblem::new(shown.clone(), NOT_REJECTIONS, reason);
    let src = std::str::from_utf8(&bytes)
        .map_err(|e| invalid(format!("not UTF-8 at byte {}", e.valid_up_to())))?;
    let file: RejectionsFile = crate::store::ron::ron_options()
        .from_str(src)
        .map_err(|e| invalid(e.to_string()))?;
    if file.format != REJECTIONS_FORMAT {
        return Err(invalid(format!(
            "format {} is not one this build reads ({REJECTIONS_FORMAT})",
            file.format
        ))
        .into());
    }
    if file.layer != layer {
        return Err(invalid(format!(
            "it says it belongs to {:?}, not {layer:?}",
            file.layer
        ))
        .into());
    }
    Ok((path, file))
}

/// Loads `layer`'s rejections; none when the file does not exist.
///
/// # Errors
/// A bad layer name, or a file that cannot be read or parsed, naming it.
pub fn load(ws: &Workspace, layer: &str) -> Result<Rejections, SuggestError> {
    let (_, file) = read_file(ws, layer)?;
    Ok(Rejections {
        set: file.rejected.into_iter().collect(),
    })
}

/// Records that `layer`'s annotator rejected `suggestions` on text `rel`, writing the file
/// atomically (sorted, so it diffs cleanly). Returns how many were new.
///
/// # Errors
/// A bad layer name, an unreadable or unparsable file (which is then left alone), or a
/// failed write.
pub fn reject(
    ws: &Workspace,
    layer: &str,
    rel: &str,
    suggestions: &[Suggestion],
) -> Result<usize, SuggestError> {
    let list: Vec<Rejected> = suggestions.iter().map(|s| Rejected::of(rel, s)).collect();
    reject_again(ws, layer, &list)
}

/// Records these rejections (a rejection redone). Returns how many were new.
///
/// # Errors
/// As [`reject`].
pub fn reject_again(ws: &Workspace, layer: &str, list: &[Rejected]) -> Result<usize, SuggestError> {
    rewrite(ws, layer, |set| {
        let before = set.len();
        set.extend(list.iter().cloned());
        set.len() - before
    })
}

/// Takes these rejections out of `layer`'s file (a rejection undone: the suggestion is
/// proposed again); the others stay as they are. Returns how many were there.
///
/// # Errors
/// As [`reject`].
pub fn unreject(ws: &Workspace, layer: &str, list: &[Rejected]) -> Result<usize, SuggestError> {
    rewrite(ws, layer, |set| {
        list.iter().filter(|r| set.remove(*r)).count()
    })
}

/// Reads the file, lets `change` change the set (returning how many entries it changed) and
/// writes it back atomically if it changed anything.
fn rewrite(
    ws: &Workspace,
    layer: &str,
    change: impl FnOnce(&mut std::collections::BTreeSet<Rejected>) -> usize,
) -> Result<usize, SuggestError> {
    let (path, mut file) = read_file(ws, layer)?;
    crate::store::check_write_inside(ws.root(), &path)?;
    let mut set: std::collections::BTreeSet<Rejected> = file.rejected.drain(..).collect();
    let changed = change(&mut set);
    if changed == 0 {
        return Ok(0);
    }
    file.rejected = set.into_iter().collect();
    let ron = crate::store::ron::to_pretty_ron(&file)
        .map_err(|e| FileProblem::new(path.display().to_string(), NOT_REJECTIONS, e.to_string()))?;
    crate::store::write_file(&path, ron.as_bytes())?;
    Ok(changed)
}
