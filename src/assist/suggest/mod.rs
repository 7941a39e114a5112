//! Suggestions: spans proposed by rules and by what the workspace already holds, so the
//! repetitive part of labeling is nearly free while a person still accepts every span.
//!
//! Five sources propose spans ([`Source`]): text between quotation marks, boilerplate lines
//! that recur across the workspace, misspelt name variants, dictionaries of phrases, and
//! phrases the annotator already tagged elsewhere. [`Model::new`] builds the shared statistics
//! once for a workspace (line counts, name frequencies, tagged phrases), or [`learn_workspace`]
//! one text at a time, for a window that uses what it learnt so far; [`Model::suggest`] is
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
use std::ops::ControlFlow;
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
        let (layer_files, skipped) = layer_files(ws, layer)?;
        for entry in ws.texts() {
            match Text::load(&entry.path) {
                Ok(t) => c.texts.push((entry.rel, t)),
                Err(e) => c.problems.push(format!("{e}; left out")),
            }
        }
        c.problems.extend(skipped);
        for (rel, path) in layer_files {
            if let Some(l) = load_learned_layer(&path, &mut c.problems) {
                c.layers.insert(rel, l);
            }
        }
        Ok(c)
    }
}

/// The files of layer `layer` by text path (none without a layer), and a sentence for each
/// link left out.
fn layer_files(
    ws: &Workspace,
    layer: Option<&str>,
) -> Result<(BTreeMap<String, PathBuf>, Vec<String>), SuggestError> {
    let Some(name) = layer else {
        return Ok(Default::default());
    };
    crate::workspace::check_layer_name(name).map_err(SuggestError::BadLayer)?;
    let found = ws.layer_files(name);
    let skipped = found.skipped.iter().map(ToString::to_string).collect();
    Ok((found.files.into_iter().collect(), skipped))
}

/// Reads one layer file to learn from; a file that cannot be read is a sentence in `problems`.
fn load_learned_layer(path: &std::path::Path, problems: &mut Vec<String>) -> Option<Layer> {
    match crate::model::layer::load_layer(path) {
        Ok(Some((l, _))) => Some(l),
        Ok(None) => None,
        Err(e) => {
            problems.push(format!("{e}; left out"));
            None
        }
    }
}

/// Learns a model from the workspace's texts and `layer`'s files, reading one text (and its
/// layer file) at a time and dropping it once learnt, so the texts are never all in memory.
/// Learns what [`Corpus::load`] then [`Model::new`] would, in the same order, so the model is
/// the same.
///
/// `progress` is called before the first text, with (0, number of texts), and after each text,
/// with how many were read: it may take [`ModelBuilder::model`] of what was learnt so far, and
/// stops the reading by returning [`ControlFlow::Break`] (then `Ok(None)`).
///
/// # Errors
/// A bad layer name, or a dictionary that cannot be read.
pub fn learn_workspace(
    ws: &Workspace,
    layer: Option<&str>,
    mut progress: impl FnMut(&ModelBuilder, usize, usize) -> ControlFlow<()>,
) -> Result<Option<Model>, SuggestError> {
    let dictionaries = load_dictionaries(ws)?;
    let (mut layer_files, _) = layer_files(ws, layer)?;
    let texts = ws.texts();
    let total = texts.len();
    let mut builder = ModelBuilder::new(ws.tags(), &dictionaries);
    if progress(&builder, 0, total).is_break() {
        return Ok(None);
    }
    let mut problems = Vec::new();
    for (i, entry) in texts.into_iter().enumerate() {
        if let Ok(text) = Text::load(&entry.path) {
            let layer = (layer_files.remove(&entry.rel))
                .and_then(|path| load_learned_layer(&path, &mut problems));
            builder.learn(&text, layer.as_ref());
        }
        // What is left out is only reported by `suggest` on the command line.
        problems.clear();
        if progress(&builder, i + 1, total).is_break() {
            return Ok(None);
        }
    }
    Ok(Some(builder.finish()))
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
        let mut builder = ModelBuilder::new(tags, &corpus.dictionaries);
        for (rel, text) in &corpus.texts {
            let layer = (Some(rel.as_str()) != except)
                .then(|| corpus.layers.get(rel))
                .flatten();
            builder.learn(text, layer);
        }
        builder.finish()
    }

    /// Builds what the first suggestions would otherwise build (the phrase lists' automata),
    /// so a thread that made the model can pay for it rather than the first caller.
    pub fn prepare(&self) {
        self.dictionary.automaton();
        self.repeats.automaton();
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

/// Builds a [`Model`] one text at a time, so that a window can learn from a big workspace in
/// the background and use what it learnt so far ([`ModelBuilder::model`]) before it is done.
/// Learning every text of a corpus in its order gives the model [`Model::new`] builds.
#[derive(Debug)]
pub struct ModelBuilder {
    tags: TagSet,
    lines: boilerplate::LineCounts,
    names: names::NameCounts,
    dictionary: phrases::PhraseIndex,
    repeats: phrases::PhraseIndex,
    texts: usize,
}

impl ModelBuilder {
    /// A builder that has learnt nothing but the dictionaries.
    pub fn new(tags: &TagSet, dictionaries: &[Dictionary]) -> Self {
        let mut dictionary = phrases::PhraseIndex::default();
        for d in dictionaries {
            for p in &d.phrases {
                dictionary.add(&d.tag, p);
            }
        }
        Self {
            tags: tags.clone(),
            lines: Default::default(),
            names: Default::default(),
            dictionary,
            repeats: Default::default(),
            texts: 0,
        }
    }

    /// Learns one text's lines and names, and the spans of `layer`, the annotator's layer of
    /// it, if the layer was made for this very text (a stale one is not learnt from).
    pub fn learn(&mut self, text: &Text, layer: Option<&Layer>) {
        self.texts += 1;
        self.lines.add_text(text);
        self.names.add_text(text);
        if let Some(layer) = layer.filter(|l| l.text_sha256 == text.sha256()) {
            for s in &layer.spans {
                self.repeats.add(&s.tag, &s.exact);
            }
            self.lines.add_learned(layer, text);
        }
    }

    /// How many texts were learnt.
    pub fn texts(&self) -> usize {
        self.texts
    }

    /// The model of what was learnt so far; the builder can go on learning.
    pub fn model(&self) -> Model {
        Model {
            tags: self.tags.clone(),
            lines: self.lines.stats(),
            names: self.names.stats(),
            dictionary: self.dictionary.snapshot(),
            repeats: self.repeats.snapshot(),
        }
    }

    /// The model of everything learnt.
    pub fn finish(self) -> Model {
        Model {
            lines: self.lines.stats(),
            names: self.names.stats(),
            tags: self.tags,
            dictionary: self.dictionary,
            repeats: self.repeats,
        }
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
