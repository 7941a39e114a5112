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
    /// The tagger the workspace trained on its curated layers ([`crate::assist::learn`]).
    Learned,
    /// An outside program speaking the provider protocol (`docs/PROVIDERS.md`); the
    /// suggestion's `by` names it.
    Provider,
    /// Model output imported with `import --as-suggestions`; `by` names the file.
    Imported,
}

impl Source {
    /// Every source, in the order suggestions are preferred when two propose the same span.
    pub const ALL: [Source; 8] = [
        Source::Quotes,
        Source::Boilerplate,
        Source::Names,
        Source::Dictionary,
        Source::Repeats,
        Source::Learned,
        Source::Provider,
        Source::Imported,
    ];
    /// How many sources there are.
    pub const COUNT: usize = Self::ALL.len();
    /// The sources computed from rules and the workspace's statistics by [`Model`].
    pub const RULES: [Source; 5] = [
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
            Source::Learned => "learned",
            Source::Provider => "provider",
            Source::Imported => "imported",
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
                    "unknown source {s:?}; use quotes, boilerplate, names, dictionary, repeats, \
                     learned, provider or imported"
                )
            })
    }
}

/// Which sources are switched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sources([bool; Source::COUNT]);

impl Default for Sources {
    fn default() -> Self {
        Self::all()
    }
}

impl Sources {
    /// Every source on.
    pub fn all() -> Self {
        Self([true; Source::COUNT])
    }
    /// Only the given sources on.
    pub fn only(list: &[Source]) -> Self {
        let mut s = Self([false; Source::COUNT]);
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub start: usize,
    pub end: usize,
    pub tag: String,
    pub source: Source,
    /// Attribute values filled in, only those the tag's schema declares.
    pub attrs: BTreeMap<String, String>,
    /// The text at `start..end`.
    pub text: String,
    /// How sure the source is, in [0, 1]: the panel sorts by it, thresholds filter on it and
    /// the outline is drawn stronger the higher it is. Rule sources score as
    /// `docs/SUGGESTIONS.md` says; models give their own.
    pub score: f32,
    /// The provider or imported file a suggestion came from (`Provider`, `Imported`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Why the source proposed it, when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// Sorts suggestions by range and tag and keeps one of each range and tag: the first source's
/// in [`Source::ALL`]'s order, and of one source the surest.
pub fn sort_and_dedup<T: std::borrow::Borrow<Suggestion>>(list: &mut Vec<T>) {
    list.sort_by(|a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        ((a.start, a.end, &a.tag).cmp(&(b.start, b.end, &b.tag)))
            .then(a.source.cmp(&b.source))
            .then(b.score.total_cmp(&a.score))
    });
    list.dedup_by(|b, a| {
        let (a, b) = (a.borrow(), b.borrow());
        a.start == b.start && a.end == b.end && a.tag == b.tag
    });
}

/// A rule source's score: about the precision that source measured on the seeds' layers,
/// raised or lowered by the evidence each proposal has. `docs/SUGGESTIONS.md` lists them.
pub fn rule_score(x: &Suggestion) -> f32 {
    let words = x.text.split_whitespace().count();
    match x.source {
        // 0.74 on the seeds; a named speaker makes a reported quotation likely, a word or two
        // in quotation marks is as often a scare quote or a title.
        Source::Quotes if words <= 2 => 0.35,
        Source::Quotes if x.attrs.contains_key("speaker") => 0.9,
        Source::Quotes => 0.7,
        Source::Boilerplate => 0.75,
        // A capitalised word close to a more frequent one is as often a second name.
        Source::Names => 0.45,
        // The team wrote the list.
        Source::Dictionary => 0.85,
        // One word tagged once elsewhere is weak evidence; a phrase of several words is more.
        Source::Repeats => (0.4 + 0.1 * words.min(5) as f32).min(0.9),
        Source::Learned | Source::Provider | Source::Imported => x.score,
    }
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
        Self::load_with(ws, layer, &|_, _| ())
    }

    /// [`Corpus::load`], telling `progress(files read, files in all)` (texts, then layer files)
    /// after each one.
    ///
    /// # Errors
    /// As [`Corpus::load`].
    pub fn load_with(
        ws: &Workspace,
        layer: Option<&str>,
        progress: &dyn Fn(usize, usize),
    ) -> Result<Self, SuggestError> {
        let mut c = Corpus {
            dictionaries: load_dictionaries(ws)?,
            ..Corpus::default()
        };
        let (layer_files, skipped) = layer_files(ws, layer)?;
        let texts = ws.texts();
        let total = texts.len() + layer_files.len();
        let mut done = 0;
        progress(0, total);
        for entry in texts {
            match Text::load(&entry.path) {
                Ok(t) => c.texts.push((entry.rel, t)),
                Err(e) => c.problems.push(format!("{e}; left out")),
            }
            done += 1;
            progress(done, total);
        }
        c.problems.extend(skipped);
        for (rel, path) in layer_files {
            done += 1;
            progress(done, total);
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
    /// earlier source in [`Source::ALL`] wins). Nothing is filtered: see [`filter_new`]. A
    /// source that found more than [`MAX_PER_SOURCE`] proposes that many, spread over the text:
    /// [`Model::propose`] also says which were cut.
    pub fn suggest(&self, text: &Text, sources: Sources) -> Vec<Suggestion> {
        self.propose(text, sources).list
    }

    /// [`Model::suggest`], with the sources that found more than [`MAX_PER_SOURCE`] and
    /// proposed only that many, chosen evenly over the text (a generated text can have
    /// a tagged phrase on every word; the first 10,000 used to fill its first page alone).
    pub fn propose(&self, text: &Text, sources: Sources) -> Proposals {
        let s = text.as_str();
        let mut out = Vec::new();
        let mut cut = Vec::new();
        let mut take = |source: Source, (list, found): (Vec<Suggestion>, usize)| {
            if found > list.len() {
                cut.push(Cut {
                    source,
                    found,
                    kept: list.len(),
                });
            }
            out.extend(list);
        };
        let capped = |list: Vec<Suggestion>| {
            let found = list.len();
            (spread(list, MAX_PER_SOURCE), found)
        };
        if sources.contains(Source::Quotes) && self.tags.contains(QUOTE_TAG) {
            take(Source::Quotes, capped(quotes::find(s)));
        }
        if sources.contains(Source::Boilerplate) && self.tags.contains(BOILERPLATE_TAG) {
            take(Source::Boilerplate, capped(self.lines.find(s)));
        }
        if sources.contains(Source::Names) && self.tags.contains(ERROR_TAG) {
            take(Source::Names, capped(self.names.find(s)));
        }
        let allowed = |tag: &str| self.tags.contains(tag);
        for (source, index) in [
            (Source::Dictionary, &self.dictionary),
            (Source::Repeats, &self.repeats),
        ] {
            if sources.contains(source) {
                take(source, index.find(text, source, MAX_PER_SOURCE, &allowed));
            }
        }
        out.retain(|x| self.tags.contains(&x.tag));
        for x in &mut out {
            x.score = rule_score(x);
            if let Some(tag) = self.tags.get(&x.tag) {
                x.attrs
                    .retain(|k, v| tag.attribute(k).is_some_and(|a| a.allows(v)));
            }
        }
        sort_and_dedup(&mut out);
        Proposals { list: out, cut }
    }
}

/// At most this many proposals per source and text: far more than any real article has (the
/// seeds have a few dozen), and a bound on memory and on what the window outlines when a
/// generated text has a tagged phrase on every word.
pub const MAX_PER_SOURCE: usize = 10_000;

/// A source that found more proposals in a text than [`MAX_PER_SOURCE`]: it proposes `kept`
/// of the `found`, chosen evenly over the text, and says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cut {
    pub source: Source,
    pub found: usize,
    pub kept: usize,
}

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: cut, {} of {} found proposed, spread over the text (at most {} a source and text)",
            self.source, self.kept, self.found, MAX_PER_SOURCE
        )
    }
}

/// One text's suggestions ([`Model::propose`]) and the sources that were cut.
#[derive(Debug, Default)]
pub struct Proposals {
    /// Sorted by (start, end, tag), one per range and tag.
    pub list: Vec<Suggestion>,
    /// Each source that found more than [`MAX_PER_SOURCE`], in [`Source::ALL`] order.
    pub cut: Vec<Cut>,
}

/// Whether item `i` (0-based, in text order) of `found` is kept when at most `cap` are: the
/// first, and then each one where `i * cap / found` reaches the next whole number, so exactly
/// `cap` are kept, evenly spaced over the text.
pub(super) fn keeps(i: usize, found: usize, cap: usize) -> bool {
    if found <= cap {
        return true;
    }
    if i == 0 {
        return cap > 0;
    }
    let step = |i: usize| (i as u128 * cap as u128) / found as u128;
    step(i) != step(i - 1)
}

/// At most `cap` of `list`, chosen evenly by [`keeps`].
fn spread<T>(list: Vec<T>, cap: usize) -> Vec<T> {
    let found = list.len();
    if found <= cap {
        return list;
    }
    (list.into_iter().enumerate())
        .filter(|(i, _)| keeps(*i, found, cap))
        .map(|(_, x)| x)
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::layer::make_span;

    /// How many of `list` start in each tenth of a text of `len` chars.
    fn per_tenth(list: &[Suggestion], len: usize) -> [usize; 10] {
        let mut n = [0; 10];
        for s in list {
            n[(s.start * 10 / len).min(9)] += 1;
        }
        n
    }

    #[test]
    fn keeping_evenly_keeps_exactly_the_cap_and_the_first() {
        for (found, cap) in [(10, 3), (25_000, 10_000), (7, 7), (7, 9), (1_000_003, 17)] {
            let kept: Vec<usize> = (0..found).filter(|&i| keeps(i, found, cap)).collect();
            assert_eq!(kept.len(), cap.min(found), "{found} {cap}");
            assert_eq!(kept[0], 0);
            // Evenly: no gap wider than the average one rounded up.
            let widest = kept.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(1);
            assert!(widest <= found.div_ceil(cap), "{found} {cap}: gap {widest}");
        }
        assert!((0..5).all(|i| !keeps(i, 5, 0)));
    }

    /// A phrase tagged once and found 25,000 times in another text: 10,000 proposed, spread
    /// over the whole text, and the cut said with both counts (the first 10,000 used to be
    /// proposed, all in the first 40% of the text, and nothing said so).
    #[test]
    fn a_source_that_finds_more_than_the_cap_proposes_it_spread_and_says_it_was_cut() {
        let tagged = Text::from_string("The alpha said so.");
        let mut layer = Layer::new("a.txt", &tagged, "ed");
        let id = layer.take_id();
        layer.spans.push(make_span(
            &tagged,
            id,
            4,
            9,
            "claim",
            "2026-12-07T00:00:00Z",
        ));
        // 25,000 repeats of the phrase and 25,000 quotations, one of each per line.
        let big = Text::from_string(&"alpha and “a quote” here\n".repeat(25_000));
        let corpus = Corpus {
            texts: vec![("a.txt".into(), tagged), ("b.txt".into(), big.clone())],
            layers: BTreeMap::from([("a.txt".to_owned(), layer)]),
            ..Corpus::default()
        };
        let model = Model::new(&TagSet::default(), &corpus);
        let p = model.propose(&big, Sources::only(&[Source::Repeats, Source::Quotes]));
        assert_eq!(
            p.cut,
            [
                Cut {
                    source: Source::Quotes,
                    found: 25_000,
                    kept: MAX_PER_SOURCE
                },
                Cut {
                    source: Source::Repeats,
                    found: 25_000,
                    kept: MAX_PER_SOURCE
                }
            ]
        );
        assert_eq!(
            p.cut[1].to_string(),
            "repeats: cut, 10000 of 25000 found proposed, spread over the text (at most 10000 \
             a source and text)"
        );
        for source in [Source::Quotes, Source::Repeats] {
            let of: Vec<Suggestion> = (p.list.iter())
                .filter(|s| s.source == source)
                .cloned()
                .collect();
            assert_eq!(of.len(), MAX_PER_SOURCE, "{source}");
            let tenths = per_tenth(&of, big.char_len());
            assert!(
                tenths.iter().all(|&n| (950..=1050).contains(&n)),
                "{source}: {tenths:?}"
            );
        }
        // Under the cap nothing is cut.
        let small = Text::from_string(&"alpha and “a quote” here\n".repeat(100));
        let two = Sources::only(&[Source::Repeats, Source::Quotes]);
        let p = model.propose(&small, two);
        assert!(p.cut.is_empty(), "{:?}", p.cut);
        assert_eq!(p.list.len(), 200);
        assert_eq!(model.suggest(&small, two), p.list);
    }
}
