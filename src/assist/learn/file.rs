//! The model file, `annotations/learned.model`: written atomically, read with a size cap and
//! checked whole before use, so a truncated, corrupted, foreign or outdated file is one clear
//! error naming it, never a panic or a wrong proposal. `docs/LEARNED.md` describes the bytes.
//!
//! Layout (integers and floats little-endian):
//!
//! ```text
//! magic      8 bytes   "MARGLRN\n"
//! version    u32       1
//! header     u32 n, then n bytes of JSON (Header: tags, features, documents, counts)
//! labels     u32 L     1 + 2 × tags
//! transition L × L f32
//! gazetteer  u32 G, then G × (u64 phrase hash, u64 tag mask)
//! features   u32 F, then F × u64 hashes (strictly increasing), then F × L f32 weights
//! checksum   32 bytes  sha256 of every byte before it
//! ```

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::features::{FeatureConfig, Gazetteer};
use super::perceptron::{Weights, label_count};
use super::{Header, Model};
use crate::workspace::{ANNOTATIONS_DIR, Workspace};

/// The model file's name, in the annotations folder: a file, not a folder, so that it is never
/// taken for an annotator's layer.
pub const MODEL_FILE: &str = "learned.model";

/// The first bytes of every model file.
pub const MAGIC: &[u8; 8] = b"MARGLRN\n";

/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

/// The largest model file read (CoNLL-2003's whole training part makes 3 MB).
pub const MAX_MODEL_BYTES: u64 = 256 * 1024 * 1024;

/// Where a workspace's model lives.
pub fn model_path(ws: &Workspace) -> PathBuf {
    ws.root().join(ANNOTATIONS_DIR).join(MODEL_FILE)
}

/// A model file that cannot be used, and why; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error("{path}: cannot read the model file: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: not a Marginalia model file (it does not start with \"MARGLRN\")")]
    NotAModel { path: String },
    #[error(
        "{path}: model file version {found}; this Marginalia reads version {VERSION} (run `marginalia learn` again)"
    )]
    Version { path: String, found: u32 },
    #[error("{path}: the model file is truncated: {reason} (run `marginalia learn` again)")]
    Truncated { path: String, reason: String },
    #[error("{path}: the model file is corrupted: {reason} (run `marginalia learn` again)")]
    Corrupted { path: String, reason: String },
    #[error(
        "{path}: the model was trained for the tags {tags}, but the workspace's tag set has no {missing:?} (run `marginalia learn` again)"
    )]
    WrongTags {
        path: String,
        tags: String,
        missing: String,
    },
    #[error("{path}: cannot write the model file: {reason}")]
    Unwritable { path: String, reason: String },
}

/// The model's bytes.
pub fn to_bytes(model: &Model) -> Vec<u8> {
    let header = serde_json::to_vec(&model.header).unwrap_or_default();
    let l = model.weights.labels;
    let mut out = Vec::with_capacity(64 + header.len() + model.hashes.len() * (8 + 4 * l));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&(l as u32).to_le_bytes());
    for w in &model.weights.transition {
        out.extend_from_slice(&w.to_le_bytes());
    }
    let mut gaz: Vec<(u64, u64)> = model
        .gazetteer
        .entries
        .iter()
        .map(|(&h, &m)| (h, m))
        .collect();
    gaz.sort_unstable();
    out.extend_from_slice(&(gaz.len() as u32).to_le_bytes());
    for (h, m) in gaz {
        out.extend_from_slice(&h.to_le_bytes());
        out.extend_from_slice(&m.to_le_bytes());
    }
    // Rows sorted by hash, so the same model gives the same bytes.
    let mut order: Vec<usize> = (0..model.hashes.len()).collect();
    order.sort_unstable_by_key(|&i| model.hashes[i]);
    out.extend_from_slice(&(order.len() as u32).to_le_bytes());
    for &i in &order {
        out.extend_from_slice(&model.hashes[i].to_le_bytes());
    }
    for &i in &order {
        for w in &model.weights.emission[i * l..(i + 1) * l] {
            out.extend_from_slice(&w.to_le_bytes());
        }
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// Writes the model to `path` atomically (a reader sees the old file or the new, whole).
///
/// # Errors
/// The write failed, naming the file; the old file is then untouched.
pub fn save(model: &Model, path: &Path) -> Result<(), ModelFileError> {
    crate::store::write_atomic(path, &to_bytes(model))
        .map(|_| ())
        .map_err(|e| ModelFileError::Unwritable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}

/// Reads and checks a model file. `Ok(None)` when there is none.
///
/// # Errors
/// Unreadable, not a regular file, over [`MAX_MODEL_BYTES`], or any [`from_bytes`] error.
pub fn load(path: &Path) -> Result<Option<Model>, ModelFileError> {
    let shown = path.display().to_string();
    match crate::store::read_regular(path, MAX_MODEL_BYTES) {
        Ok(bytes) => from_bytes(&bytes, &shown).map(Some),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(ModelFileError::Unreadable {
            path: shown,
            reason: e.reason(),
        }),
    }
}

/// [`load`], then refuses a model whose tags are not all in `tag_set` (it would propose a tag
/// the workspace no longer has).
///
/// # Errors
/// As [`load`], and [`ModelFileError::WrongTags`].
pub fn load_for(path: &Path, tag_set: &[String]) -> Result<Option<Model>, ModelFileError> {
    let Some(model) = load(path)? else {
        return Ok(None);
    };
    if let Some(missing) = model.header.tags.iter().find(|t| !tag_set.contains(t)) {
        return Err(ModelFileError::WrongTags {
            path: path.display().to_string(),
            tags: model.header.tags.join(", "),
            missing: missing.clone(),
        });
    }
    Ok(Some(model))
}

/// Reads the file's parts in order, refusing to read past its end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    path: &'a str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ModelFileError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(ModelFileError::Truncated {
                path: self.path.to_owned(),
                reason: format!(
                    "{what} needs {n} bytes at byte {}, but the file has {} bytes there",
                    self.at,
                    self.bytes.len().saturating_sub(self.at)
                ),
            });
        };
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self, what: &str) -> Result<u32, ModelFileError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &str) -> Result<u64, ModelFileError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    /// `n` f32s, refusing non-finite ones.
    fn floats(&mut self, n: usize, what: &str) -> Result<Vec<f32>, ModelFileError> {
        let len = n
            .checked_mul(4)
            .ok_or_else(|| self.corrupt(format!("{what}: {n} values")))?;
        let b = self.take(len, what)?;
        let v: Vec<f32> = b
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if v.iter().any(|x| !x.is_finite()) {
            return Err(self.corrupt(format!("{what} holds a value that is not a number")));
        }
        Ok(v)
    }
    fn corrupt(&self, reason: String) -> ModelFileError {
        ModelFileError::Corrupted {
            path: self.path.to_owned(),
            reason,
        }
    }
    /// A count of items of `size` bytes each, refused when the rest of the file cannot hold
    /// them (so a corrupted count never allocates gigabytes).
    fn count(&mut self, size: usize, what: &str) -> Result<usize, ModelFileError> {
        let n = self.u32(what)? as usize;
        let rest = self.bytes.len().saturating_sub(self.at);
        if n.saturating_mul(size) > rest {
            return Err(ModelFileError::Truncated {
                path: self.path.to_owned(),
                reason: format!(
                    "{what}: {n} entries of {size} bytes, but only {rest} bytes follow"
                ),
            });
        }
        Ok(n)
    }
}

/// Parses and checks a model file's bytes; `path` names it in errors.
///
/// # Errors
/// Not a model file, another version, truncated, or corrupted (a checksum that does not match,
/// a header that is not valid, counts that disagree, values that are not numbers).
pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Model, ModelFileError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(ModelFileError::NotAModel {
            path: path.to_owned(),
        });
    }
    let mut r = Reader {
        bytes,
        at: MAGIC.len(),
        path,
    };
    let version = r.u32("the version")?;
    if version != VERSION {
        return Err(ModelFileError::Version {
            path: path.to_owned(),
            found: version,
        });
    }
    let n = r.u32("the header's length")? as usize;
    let header_bytes = r.take(n, "the header")?;
    if bytes.len() < r.at + 32 {
        return Err(ModelFileError::Truncated {
            path: path.to_owned(),
            reason: "the file ends before its weights".into(),
        });
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    let header: Header = serde_json::from_slice(header_bytes)
        .map_err(|e| r.corrupt(format!("the header is not valid: {e}")))?;
    if header.features != FeatureConfig::default() {
        return Err(r.corrupt(format!(
            "it was trained with features {:?}, this Marginalia computes {:?}",
            header.features,
            FeatureConfig::default()
        )));
    }
    if !(header.temperature.is_finite() && header.temperature > 0.0) {
        return Err(r.corrupt("the header's temperature is not a positive number".into()));
    }
    let labels = r.u32("the label count")? as usize;
    if labels != label_count(header.tags.len()) || header.tags.len() > 64 {
        return Err(r.corrupt(format!(
            "{labels} labels for {} tags (expected {})",
            header.tags.len(),
            label_count(header.tags.len())
        )));
    }
    // The body ends before the checksum: read only that.
    let mut r = Reader {
        bytes: body,
        at: r.at,
        path,
    };
    let transition = r.floats(labels * labels, "the transitions")?;
    let g = r.count(16, "the gazetteer")?;
    let mut gazetteer = Gazetteer::default();
    gazetteer.entries.reserve(g);
    for _ in 0..g {
        let h = r.u64("a phrase")?;
        let m = r.u64("a phrase's tags")?;
        if header.tags.len() < 64 && m >> header.tags.len() != 0 {
            return Err(r.corrupt("a phrase has a tag the model does not have".into()));
        }
        gazetteer.entries.insert(h, m);
    }
    let f = r.count(8 + 4 * labels, "the features")?;
    let mut hashes = Vec::with_capacity(f);
    for _ in 0..f {
        let h = r.u64("a feature")?;
        if hashes.last().is_some_and(|&last| last >= h) {
            return Err(r.corrupt("the features are not in order".into()));
        }
        hashes.push(h);
    }
    let emission = r.floats(f * labels, "the weights")?;
    if r.at != body.len() {
        return Err(r.corrupt(format!("{} bytes after the weights", body.len() - r.at)));
    }
    // Last, so that a file cut short says so (its sections run past the end) rather than that
    // its checksum is wrong.
    if Sha256::digest(body).as_slice() != sum {
        return Err(r.corrupt("its checksum does not match its contents".into()));
    }
    let weights = Weights {
        labels,
        emission,
        transition,
    };
    Ok(Model::from_parts(header, hashes, weights, gazetteer))
}
