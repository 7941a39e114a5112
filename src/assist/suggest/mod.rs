//! Suggestions: spans proposed by rules and by what the workspace already holds, so the
//! repetitive part of labeling is nearly free while a person still accepts every span.
//!
//! Five sources propose spans ([`Source`]): text between quotation marks, boilerplate lines
//! that recur across the workspace, misspelt name variants, dictionaries of phrases, and
//! phrases the annotator already tagged elsewhere. [`Model::new`] builds the shared statistics
//! once for a workspace (line counts, name frequencies, tagged phrases); [`Model::suggest`] is
//! then cheap for each document and returns plain data. Nothing here writes a layer:
//! [`filter_new`] leaves out what a layer has and what its annotator rejected
//! ([`rejections`]), and callers add accepted suggestions through the usual save paths.
//!
//! Owns: the suggestion sources, their evaluation and the rejection memory. May import: the
//! model, the store and the workspace.

mod apply;
mod boilerplate;
pub mod eval;
mod names;
mod phrases;
mod quotes;
pub mod rejections;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::layer::Layer;
use crate::model::tags::TagSet;
use crate::model::text::Text;
use crate::store::FileProblem;
use crate::workspace::{DICTIONARIES_DIR, Workspace};

pub use apply::apply;
pub use rejections::Rejections;

/// The tag quotation marks propose.
pub const QUOTE_TAG: &str = "quote";
/// The tag recurring lines propose.
pub const BOILERPLATE_TAG: &str = "boilerplate";
/// The tag name variants propose.
pub const ERROR_TAG: &str = "error";

/// Where a suggestion comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Text between matching quotation marks → `quote`, with `speaker` when one is named.
    Quotes,
    /// A line recurring across the workspace, or one the annotator tagged boilerplate elsewhere.
    Boilerplate,
    /// A capitalised name close to a more frequent one → `error`, `kind: name`, `correction`.
    Names,
    /// A phrase from `annotations/dictionaries/<tag>.txt`.
    Dictionary,
    /// A phrase the annotator tagged elsewhere in the workspace, with the same tag.
    Repeats,
}

impl Source {
    /// Every source, in the order suggestions are preferred when two propose the same span.
    pub const ALL: [Source; 5] = [
        Source::Quotes,
        Source::Boilerplate,
        Source::Names,
        Source::Dictionary,
        Source::Repeats,
    ];

    /// The name the command line and JSON use.
    pub fn name(self) -> &'static str {
        match self {
            Source::Quotes => "quotes",
            Source::Boilerplate => "boilerplate",
            Source::Names => "names",
            Source::Dictionary => "dictionary",
            Source::Repeats => "repeats",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Source::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown source {s:?}; use quotes, boilerplate, names, dictionary or repeats"
                )
            })
    }
}

/// Which sources are switched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sources([bool; 5]);

impl Default for Sources {
    fn default() -> Self {
        Self::all()
    }
}

impl Sources {
    /// Every source on.
    pub fn all() -> Self {
        Self([true; 5])
    }
    /// Only the given sources on.
    pub fn only(list: &[Source]) -> Self {
        let mut s = Self([false; 5]);
        for x in list {
            s.set(*x, true);
        }
        s
    }
    /// Switches one source on or off.
    pub fn set(&mut self, source: Source, on: bool) {
        self.0[source as usize] = on;
    }
    /// Whether a source is on.
    pub fn contains(&self, source: Source) -> bool {
        self.0[source as usize]
    }
}

/// One proposed span. Offsets are chars, half-open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub start: usize,
    pub end: usize,
    pub tag: String,
    pub source: Source,
    /// Attribute values filled in, only those the tag's schema declares.
    pub attrs: BTreeMap<String, String>,
    /// The text at `start..end`.
    pub text: String,
}

/// Errors building suggestions or storing rejections; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum SuggestError {
    /// A dictionary or rejections file unreadable, or not a valid rejections file.
    #[error(transparent)]
    File(#[from] FileProblem),
    #[error("{0}")]
    BadLayer(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// One dictionary: a tag and its phrases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dictionary {
    pub tag: String,
    pub phrases: Vec<String>,
}

/// Reads `annotations/dictionaries/<tag>.txt`, one phrase per line (blank lines and lines
/// starting with `#` are skipped), sorted by tag. A missing folder is no dictionaries.
///
/// # Errors
/// A file that cannot be read or is not UTF-8, naming it.
pub fn load_dictionaries(ws: &Workspace) -> Result<Vec<Dictionary>, SuggestError> {
    let dir = ws.annotations_dir().join(DICTIONARIES_DIR);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    for path in paths {
        let Some(tag) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        let shown = path.display().to_string();
        let bytes = crate::store::read_regular(&path, crate::store::MAX_SETTINGS_BYTES)
            .map_err(|e| FileProblem::unreadable(shown.clone(), e.reason()))?;
        let src = String::from_utf8(bytes).map_err(|e| {
            FileProblem::unreadable(
                shown.clone(),
                format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
            )
        })?;
        let phrases = src
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        out.push(Dictionary { tag, phrases });
    }
    Ok(out)
}

/// What the model is built from: the workspace's texts and one annotator's layers.
#[derive(Debug, Default)]
pub struct Corpus {
    /// Every readable text, by relative path, sorted.
    pub texts: Vec<(String, Text)>,
    /// The annotator's layers by text path (empty without an annotator).
    pub layers: BTreeMap<String, Layer>,
    /// Texts and layers that could not be read, one sentence each (they are left out).
    pub problems: Vec<String>,
    pub dictionaries: Vec<Dictionary>,
}

impl Corpus {
    /// Reads every text of the workspace, `layer`'s files if given, and the dictionaries.
    ///
    /// # Errors
    /// A bad layer name, or a dictionary that cannot be read.
    pub fn load(ws: &Workspace, layer: Option<&str>) -> Result<Self, SuggestError> {
        let mut c = Corpus {
            dictionaries: load_dictionaries(ws)?,
            ..Corpus::default()
        };
        for entry in ws.texts() {
            match Text::load(&entry.path) {
                Ok(t) => c.texts.push((entry.rel, t)),
                Err(e) => c.problems.push(format!("{e}; left out")),
            }
        }
        if let Some(name) = layer {
            crate::workspace::check_layer_name(name).map_err(SuggestError::BadLayer)?;
            let found = ws.layer_files(name);
            for s in found.skipped {
                c.problems.push(s.to_string());
            }
            for (rel, path) in found.files {
                match crate::model::layer::load_layer(&path) {
                    Ok(Some((l, _))) => {
                        c.layers.insert(rel, l);
                    }
                    Ok(None) => {}
                    Err(e) => c.problems.push(format!("{e}; left out")),
                }
            }
        }
        Ok(c)
    }

    /// The layer spans the model learns from: each layer whose text is unchanged, with it.
    fn learned_from(&self, except: Option<&str>) -> Vec<(&str, &Layer, &Text)> {
        self.texts
            .iter()
            .filter(|(rel, _)| Some(rel.as_str()) != except)
            .filter_map(|(rel, t)| {
                let l = self.layers.get(rel)?;
                (l.text_sha256 == t.sha256()).then_some((rel.as_str(), l, t))
            })
            .collect()
    }
}

/// The workspace statistics that suggestions are drawn from. Build once, query per document.
#[derive(Debug)]
pub struct Model {
    tags: TagSet,
    lines: boilerplate::LineStats,
    names: names::NameStats,
    dictionary: phrases::PhraseIndex,
    repeats: phrases::PhraseIndex,
}

impl Model {
    /// Builds the statistics from a corpus: every text's lines and names, the annotator's
    /// tagged phrases and boilerplate lines, and the dictionaries.
    pub fn new(tags: &TagSet, corpus: &Corpus) -> Self {
        Self::build(tags, corpus, None)
    }

    /// [`Model::new`], learning nothing from the layer of text `except` (for measuring how
    /// well the annotator's other documents predict this one).
    pub fn new_without(tags: &TagSet, corpus: &Corpus, except: &str) -> Self {
        Self::build(tags, corpus, Some(except))
    }

    fn build(tags: &TagSet, corpus: &Corpus, except: Option<&str>) -> Self {
        let learned = corpus.learned_from(except);
        let mut dictionary = phrases::PhraseIndex::default();
        for d in &corpus.dictionaries {
            for p in &d.phrases {
                dictionary.add(&d.tag, p);
            }
        }
        let mut repeats = phrases::PhraseIndex::default();
        for (_, layer, _) in &learned {
            for s in &layer.spans {
                repeats.add(&s.tag, &s.exact);
            }
        }
        Self {
            tags: tags.clone(),
            lines: boilerplate::LineStats::new(&corpus.texts, &learned),
            names: names::NameStats::new(&corpus.texts),
            dictionary,
            repeats,
        }
    }

    /// The suggestions for one text, sorted by (start, end, tag); one per range and tag (the
    /// earlier source in [`Source::ALL`] wins). Nothing is filtered: see [`filter_new`].
    pub fn suggest(&self, text: &Text, sources: Sources) -> Vec<Suggestion> {
        let s = text.as_str();
        let mut out = Vec::new();
        if sources.contains(Source::Quotes) && self.tags.contains(QUOTE_TAG) {
            out.extend(quotes::find(s));
        }
        if sources.contains(Source::Boilerplate) && self.tags.contains(BOILERPLATE_TAG) {
            out.extend(self.lines.find(s));
        }
        if sources.contains(Source::Names) && self.tags.contains(ERROR_TAG) {
            out.extend(self.names.find(s));
        }
        if sources.contains(Source::Dictionary) {
            out.extend(self.dictionary.find(text, Source::Dictionary));
        }
        if sources.contains(Source::Repeats) {
            out.extend(self.repeats.find(text, Source::Repeats));
        }
        out.retain(|x| self.tags.contains(&x.tag));
        for x in &mut out {
            if let Some(tag) = self.tags.get(&x.tag) {
                x.attrs
                    .retain(|k, v| tag.attribute(k).is_some_and(|a| a.allows(v)));
            }
        }
        // Stable sort keeps the source order among equal ranges, so dedup keeps the first.
        out.sort_by(|a, b| (a.start, a.end, &a.tag).cmp(&(b.start, b.end, &b.tag)));
        out.dedup_by(|b, a| a.start == b.start && a.end == b.end && a.tag == b.tag);
        out
    }
}

/// Leaves out what `layer` already has (same range and tag) and what its annotator rejected
/// for text `rel`.
pub fn filter_new(
    suggestions: &mut Vec<Suggestion>,
    rel: &str,
    layer: Option<&Layer>,
    rejected: &Rejections,
) {
    let present: HashSet<(usize, usize, &str)> = layer
        .map(|l| {
            l.spans
                .iter()
                .map(|s| (s.start, s.end, s.tag.as_str()))
                .collect()
        })
        .unwrap_or_default();
    suggestions.retain(|x| {
        !present.contains(&(x.start, x.end, x.tag.as_str())) && !rejected.contains(rel, x)
    });
}

/// Char offsets of a string's chars: an iterator of (char index, byte index, char).
pub(crate) fn char_positions(s: &str) -> impl Iterator<Item = (usize, usize, char)> + '_ {
    s.char_indices().enumerate().map(|(i, (b, c))| (i, b, c))
}

/// Each line of `s` with its char range, without the `\n` (and a `\r` before it).
pub(crate) fn lines_with_offsets(s: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut char_pos = 0;
    for line in s.split('\n') {
        let n = line.chars().count();
        let body = line.strip_suffix('\r').unwrap_or(line);
        let body_n = if body.len() < line.len() { n - 1 } else { n };
        out.push((char_pos, char_pos + body_n, body));
        char_pos += n + 1;
    }
    out
}

/// Trims whitespace off a char range of `s` (chars `start..end` of `body`, which begins at
/// char `base`). Returns the trimmed range and slice, or `None` when nothing is left.
pub(crate) fn trimmed(body: &str, base: usize) -> Option<(usize, usize, &str)> {
    let t = body.trim();
    if t.is_empty() {
        return None;
    }
    let lead = body[..body.len() - body.trim_start().len()].chars().count();
    let start = base + lead;
    Some((start, start + t.chars().count(), t))
}
