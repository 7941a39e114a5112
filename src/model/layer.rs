//! One annotator's spans on one text: the RON file format v1 (`docs/FORMAT.md`).
//!
//! A [`Layer`] is exactly what is on disk. Writing is deterministic: spans are sorted by
//! (start, end, id), fields keep their declared order and maps are sorted, so re-saving an
//! unchanged layer gives identical bytes.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::model::range::CharRange;
use crate::model::relation::{Elsewhere, End, Relation, RelationProblem};
use crate::model::tags::TagSet;
use crate::model::text::Text;

mod canonical;
mod file;

pub use file::{load_layer, load_layer_hashed, parse_layer, save_layer};

/// The file format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// How many chars of context are stored before and after a span.
pub const CONTEXT_CHARS: usize = 32;

/// The `attrs` key and value that flag a span placed by approximate matching. The key is
/// reserved (see [`crate::model::tags::RESERVED_PREFIX`]); files from older builds used `anchor` and
/// are migrated on read ([`migrate_markers`]).
pub const ANCHOR_ATTR: &str = "marginalia:anchor";
pub const ANCHOR_FUZZY: &str = "fuzzy";
/// The `attrs["marginalia:anchor"]` value that flags a span put on one of several places that score the
/// same (two copies of its words, neither with matching context).
pub const ANCHOR_AMBIGUOUS: &str = "ambiguous";

/// Where an annotator is with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Status {
    #[default]
    NotStarted,
    InProgress,
    Done,
    /// Used by the curated layer once a reviewer has finished the document.
    Reviewed,
}

/// Each status's [`label`](Status::label) and [`name`](Status::name), indexed by the status
/// (declaration order): the one place a status's text is written.
const STATUS_TEXTS: [(&str, &str); 4] = [
    ("not started", "not-started"),
    ("in progress", "in-progress"),
    ("done", "done"),
    ("reviewed", "reviewed"),
];

impl Status {
    /// Every status, in the order a document goes through them.
    pub const ALL: [Status; 4] = [
        Status::NotStarted,
        Status::InProgress,
        Status::Done,
        Status::Reviewed,
    ];

    /// How the status reads in the app and CLI: `not started`, `in progress`, `done`,
    /// `reviewed` (also its [`Display`](std::fmt::Display)).
    pub fn label(self) -> &'static str {
        STATUS_TEXTS[self as usize].0
    }

    /// The status as exports and the command line write it: the [`label`](Self::label) with
    /// `-` for the space (`not-started`, `in-progress`, `done`, `reviewed`).
    pub fn name(self) -> &'static str {
        STATUS_TEXTS[self as usize].1
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A status name [`Status::from_str`](std::str::FromStr) does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}; use not-started, in-progress, done or reviewed")]
pub struct UnknownStatus(pub String);

impl std::str::FromStr for Status {
    type Err = UnknownStatus;

    /// Reads a [`name`](Status::name) or a [`label`](Status::label), in any case, with `-`, `_`
    /// or a space between the words (or none): how the command line and JSON Lines write it.
    fn from_str(s: &str) -> Result<Self, UnknownStatus> {
        let folded = s.to_ascii_lowercase().replace(['_', ' '], "-");
        Status::ALL
            .into_iter()
            .find(|st| folded == st.name() || folded == st.name().replace('-', ""))
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// The `attrs` key under which files written before attributes had a schema kept the
/// re-anchoring marker (`anchor: "fuzzy"` or `"ambiguous"`).
const LEGACY_ANCHOR_ATTR: &str = "anchor";

/// The byte offset of char `to` of `text`, counted on from char `from.0` at byte `from.1`
/// (`to >= from.0`, `from.1` a char boundary); `None` past the text's end.
fn char_to_byte(text: &str, from: (usize, usize), to: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut at, mut left) = (from.1, to.checked_sub(from.0)?);
    // The next `left` bytes hold at most `left` chars: count those that start there (on bytes,
    // which vectorises) and go on from the end of them until none is left; then step over the
    // rest of the last one.
    while left > 0 {
        let window = bytes.get(at..(at + left).min(bytes.len()))?;
        if window.is_empty() {
            return None;
        }
        left -= window.iter().filter(|&&b| (b as i8) >= -0x40).count();
        at += window.len();
    }
    while bytes.get(at).is_some_and(|&b| (b as i8) < -0x40) {
        at += 1;
    }
    Some(at)
}

/// Moves a marker written by older builds out of the user's attribute space: `anchor: "fuzzy"`
/// (or `"ambiguous"`) becomes `marginalia:anchor`. Any other `anchor` value is a user's own
/// attribute and stays.
pub fn migrate_markers(attrs: &mut BTreeMap<String, String>) {
    if attrs.is_empty() || attrs.contains_key(ANCHOR_ATTR) {
        return;
    }
    if let Some(v) = attrs.get(LEGACY_ANCHOR_ATTR)
        && matches!(v.as_str(), ANCHOR_FUZZY | ANCHOR_AMBIGUOUS)
        && let Some(v) = attrs.remove(LEGACY_ANCHOR_ATTR)
    {
        attrs.insert(ANCHOR_ATTR.to_owned(), v);
    }
}

/// One highlighted, tagged range of the text.
#[derive(Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// Unique within its file and never reused.
    pub id: u64,
    /// First char of the span (Unicode scalar values, BOM excluded).
    pub start: usize,
    /// One past the last char.
    pub end: usize,
    pub tag: String,
    /// The text at `start..end` (W3C TextQuoteSelector `exact`).
    pub exact: String,
    /// Up to 32 chars before the span.
    #[serde(default)]
    pub prefix: String,
    /// Up to 32 chars after the span.
    #[serde(default)]
    pub suffix: String,
    #[serde(default)]
    pub note: String,
    /// Attribute values by name, as the tag's schema declares them (`verdict: "false"`), plus
    /// Marginalia's own markers under reserved keys (`marginalia:anchor: "fuzzy"`).
    #[serde(default)]
    pub attrs: BTreeMap<String, String>,
    /// RFC 3339 UTC, second precision.
    #[serde(default)]
    pub created: String,
    #[serde(default)]
    pub modified: String,
}

/// Written out so that `clone_from` reuses the target's string buffers: the writer thread
/// copies a 100,000-span layer into a recycled one for each background save
/// ([`crate::session::save_mirror`]), and allocating every string anew doubled that copy.
impl Clone for Span {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            start: self.start,
            end: self.end,
            tag: self.tag.clone(),
            exact: self.exact.clone(),
            prefix: self.prefix.clone(),
            suffix: self.suffix.clone(),
            note: self.note.clone(),
            attrs: self.attrs.clone(),
            created: self.created.clone(),
            modified: self.modified.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.id = source.id;
        self.start = source.start;
        self.end = source.end;
        self.tag.clone_from(&source.tag);
        self.exact.clone_from(&source.exact);
        self.prefix.clone_from(&source.prefix);
        self.suffix.clone_from(&source.suffix);
        self.note.clone_from(&source.note);
        if self.attrs != source.attrs {
            self.attrs.clone_from(&source.attrs);
        }
        self.created.clone_from(&source.created);
        self.modified.clone_from(&source.modified);
    }
}

impl Span {
    /// Takes the place of `fresh` (a span just made over a range of the text): its range, the
    /// text it covers and the context around it. The span is where it was put, so a re-anchoring
    /// flag goes.
    pub fn take_place(&mut self, fresh: Span) {
        self.start = fresh.start;
        self.end = fresh.end;
        self.exact = fresh.exact;
        self.prefix = fresh.prefix;
        self.suffix = fresh.suffix;
        self.attrs.remove(ANCHOR_ATTR);
    }

    /// The order spans are kept and written in.
    pub fn sort_key(&self) -> (usize, usize, u64) {
        (self.start, self.end, self.id)
    }

    /// A relation end on this span, which is in the text `text_rel` (another document than
    /// the relation's): its id, range and quote selector.
    pub fn end_in(&self, text_rel: &str) -> End {
        End {
            span: self.id,
            doc: Some(Elsewhere {
                text: text_rel.to_owned(),
                start: self.start,
                end: self.end,
                exact: self.exact.clone(),
                prefix: self.prefix.clone(),
                suffix: self.suffix.clone(),
            }),
        }
    }

    /// The chars it covers, `[start, end)`.
    pub fn range(&self) -> CharRange {
        CharRange::new(self.start, self.end)
    }

    /// Whether `[start, end)` overlaps this span.
    pub fn overlaps(&self, start: usize, end: usize) -> bool {
        self.start < end && start < self.end
    }
}

/// A span that could not be re-anchored after its text changed; kept, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orphan {
    /// The span as it was, with its old offsets.
    pub span: Span,
    /// The sha256 of the text it was anchored in.
    pub old_text_sha256: String,
}

/// One annotator's annotation file for one text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    pub format: u32,
    /// Path of the text relative to the workspace root, `/` separators.
    pub text: String,
    pub text_sha256: String,
    pub text_chars: usize,
    pub annotator: String,
    #[serde(default)]
    pub status: Status,
    /// The id the next new span gets; ids are never reused.
    #[serde(default)]
    pub next_id: u64,
    #[serde(default)]
    pub spans: Vec<Span>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orphans: Vec<Orphan>,
    /// Links between spans ([`crate::model::relation`]), in id order. A layer without any
    /// writes no `relations` field, so its file is what it was before relations existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Relation>,
    /// What the source an import read this layer from said about the document beyond its text
    /// and spans (Prodigy's hashes, answer and meta; doccano's id), for exporting it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRecord>,
}

/// A document's import record: the source format and each top-level key of its record that
/// Marginalia keeps for the way back, as that key's JSON text (`"_input_hash": "-1234"`,
/// `"answer": "\"accept\""`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRecord {
    /// `prodigy` or `doccano`.
    pub format: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl Layer {
    /// Makes `self` a copy of `source`, reusing `self`'s buffers (its spans' strings): much
    /// cheaper than a fresh clone when `self` was a recent copy of the same layer.
    pub fn copy_from(&mut self, source: &Layer) {
        self.copy_header_from(source);
        self.spans.clone_from(&source.spans);
    }

    /// Makes every field of `self` but the spans a copy of `source`'s, reusing `self`'s
    /// buffers.
    pub fn copy_header_from(&mut self, source: &Layer) {
        self.format = source.format;
        self.text.clone_from(&source.text);
        self.text_sha256.clone_from(&source.text_sha256);
        self.text_chars = source.text_chars;
        self.annotator.clone_from(&source.annotator);
        self.status = source.status;
        self.next_id = source.next_id;
        self.orphans.clone_from(&source.orphans);
        self.relations.clone_from(&source.relations);
        self.source.clone_from(&source.source);
    }
}

/// A problem found when checking a layer against its text and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerProblem {
    UnknownFormat(u32),
    EmptySpan {
        id: u64,
    },
    Reversed {
        id: u64,
        start: usize,
        end: usize,
    },
    OutOfRange {
        id: u64,
        end: usize,
        len: usize,
    },
    DuplicateId(u64),
    UnknownTag {
        id: u64,
        tag: String,
    },
    ExactMismatch {
        id: u64,
        expected: String,
        found: String,
    },
    Stale {
        recorded: String,
        actual: String,
    },
    AnnotatorMismatch {
        in_file: String,
        folder: String,
    },
    TextPathMismatch {
        in_file: String,
        expected: String,
    },
}

impl std::fmt::Display for LayerProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LayerProblem::UnknownFormat(v) => write!(
                f,
                "unknown format version {v} (this build reads version {FORMAT_VERSION})"
            ),
            LayerProblem::EmptySpan { id } => write!(f, "span {id} is empty"),
            LayerProblem::Reversed { id, start, end } => {
                write!(f, "span {id} has start {start} > end {end}")
            }
            LayerProblem::OutOfRange { id, end, len } => write!(
                f,
                "span {id} ends at {end}, past the end of the text ({len} chars)"
            ),
            LayerProblem::DuplicateId(id) => write!(f, "span id {id} is used more than once"),
            LayerProblem::UnknownTag { id, tag } => write!(
                f,
                "span {id} has unknown tag {tag:?} (not in the tag set; if a rename left it \
                 behind, `marginalia tags rename OLD NEW` run again finishes it)"
            ),
            LayerProblem::ExactMismatch {
                id,
                expected,
                found,
            } => {
                write!(
                    f,
                    "span {id}: exact {} does not match the text there, {}",
                    shorten(expected),
                    shorten(found)
                )?;
                // As long as its place: made on another version of the text, as a merge
                // leaves it, not damaged (see `reanchor::is_self_consistent`).
                if expected.chars().count() == found.chars().count() {
                    write!(
                        f,
                        " (made on another version of the text, as after a git merge: opening \
                         the document or `marginalia reanchor` finds it again)"
                    )?;
                }
                Ok(())
            }
            LayerProblem::Stale { recorded, actual } => write!(
                f,
                "stale: the text changed since it was annotated (sha256 {} in the file, {} on disk); run `marginalia reanchor`",
                &recorded.get(..12).unwrap_or(recorded),
                &actual.get(..12).unwrap_or(actual)
            ),
            LayerProblem::AnnotatorMismatch { in_file, folder } => write!(
                f,
                "annotator {in_file:?} in the file differs from its folder {folder:?}"
            ),
            LayerProblem::TextPathMismatch { in_file, expected } => write!(
                f,
                "text path {in_file:?} in the file should be {expected:?}"
            ),
        }
    }
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    format!("{out:?}")
}

impl LayerProblem {
    /// Stale is a warning the app can fix by re-anchoring; everything else makes a file invalid.
    pub fn is_stale(&self) -> bool {
        matches!(self, LayerProblem::Stale { .. })
    }

    /// A span whose words are not at its offsets in the text the layer records (a merge
    /// joined spans made on another version of it); re-anchoring finds them again.
    pub fn is_misplaced(&self) -> bool {
        matches!(
            self,
            LayerProblem::ExactMismatch { .. } | LayerProblem::OutOfRange { .. }
        )
    }
}

impl Layer {
    /// A new, empty layer for a text.
    pub fn new(text_rel: &str, text: &Text, annotator: &str) -> Self {
        Self {
            format: FORMAT_VERSION,
            text: text_rel.to_owned(),
            text_sha256: text.sha256().to_owned(),
            text_chars: text.char_len(),
            annotator: annotator.to_owned(),
            status: Status::NotStarted,
            next_id: 1,
            spans: Vec::new(),
            orphans: Vec::new(),
            relations: Vec::new(),
            source: None,
        }
    }

    /// Parses a layer from RON source.
    ///
    /// # Errors
    /// The RON error with its line and column.
    pub fn from_ron(src: &str) -> Result<Self, ron::error::SpannedError> {
        // Files this program wrote take the fast path; anything else is parsed by `ron`.
        let mut layer = match canonical::read(src) {
            Some(layer) => layer,
            None => {
                let mut layer: Layer = crate::store::ron::ron_options().from_str(src)?;
                layer.normalize();
                layer
            }
        };
        for span in &mut layer.spans {
            migrate_markers(&mut span.attrs);
        }
        for orphan in &mut layer.orphans {
            migrate_markers(&mut orphan.span.attrs);
        }
        Ok(layer)
    }

    /// The status and span count of layer file `src` as opening it would find them, found
    /// without making the layer or the [`Text`] (the document list reads 75,000 of them):
    /// when the file is in the canonical layout, records this very text (`text`, whose file
    /// hashes to `text_sha256`) and `annotator`, and every span checks against them and
    /// `tags` ([`Self::problems`] finds nothing). `None` in every other case, where the caller
    /// reads the file the full way, which gives the error or re-anchors.
    pub fn glance_checked(
        src: &str,
        text: &str,
        text_sha256: &str,
        tags: &TagSet,
        annotator: &str,
    ) -> Option<(Status, usize)> {
        let mut ids = Vec::with_capacity(src.len() / 256);
        // Spans come sorted by start: a cursor (char, byte) moves forward through the text
        // to each start, and counts on from it to the end, instead of indexing the text.
        let mut at = (0usize, 0usize);
        let glance = canonical::glance(src, &mut |s| {
            ids.push(s.id);
            if !tags.contains(&s.tag) || s.start >= s.end {
                return None;
            }
            at = (s.start, char_to_byte(text, at, s.start)?);
            let end = char_to_byte(text, at, s.end)?;
            (text[at.1..end] == *s.exact).then_some(())
        })?;
        let fresh = glance.format == FORMAT_VERSION
            && glance.annotator == annotator
            && glance.text_sha256 == text_sha256;
        ids.extend(glance.orphans.iter().map(|o| o.span.id));
        ids.sort_unstable();
        let unique = ids.windows(2).all(|w| w[0] != w[1]);
        (fresh && unique).then_some((glance.status, glance.spans))
    }

    /// Serialises the layer as if normalized; deterministic for equal layers. The bytes are
    /// those of [`crate::store::ron::to_pretty_ron`], written without copying the layer (see `canonical`).
    pub fn to_ron(&self) -> String {
        canonical::write(self)
    }

    /// The largest id in use, by a span, an orphan or a relation (0: none).
    pub fn max_id(&self) -> u64 {
        (self.spans.iter().map(|s| s.id))
            .chain(self.orphans.iter().map(|o| o.span.id))
            .chain(self.relations.iter().map(|r| r.id))
            .max()
            .unwrap_or(0)
    }

    /// Sorts spans and relations and makes `next_id` larger than every id in use.
    pub fn normalize(&mut self) {
        self.spans.sort_by_key(Span::sort_key);
        if !self.relations.is_sorted_by_key(|r| r.id) {
            self.relations.sort_by_key(|r| r.id);
        }
        let max_id = self.max_id();
        if self.next_id <= max_id {
            self.next_id = max_id.saturating_add(1);
        }
        if self.next_id == 0 {
            self.next_id = 1;
        }
    }

    /// Takes a fresh span id.
    pub fn take_id(&mut self) -> u64 {
        self.normalize_next_id();
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    fn normalize_next_id(&mut self) {
        let max_id = (self.spans.iter().map(|s| s.id))
            .chain(self.relations.iter().map(|r| r.id))
            .max()
            .unwrap_or(0);
        if self.next_id <= max_id {
            self.next_id = max_id.saturating_add(1);
        }
    }

    /// Checks the layer against its text and tag set. Returns every problem found.
    pub fn problems(&self, text: Option<&Text>, tags: &TagSet) -> Vec<LayerProblem> {
        let mut out = Vec::new();
        if self.format != FORMAT_VERSION {
            out.push(LayerProblem::UnknownFormat(self.format));
            return out;
        }
        let mut ids = HashSet::new();
        for s in &self.spans {
            if !ids.insert(s.id) {
                out.push(LayerProblem::DuplicateId(s.id));
            }
            if !tags.contains(&s.tag) {
                out.push(LayerProblem::UnknownTag {
                    id: s.id,
                    tag: s.tag.clone(),
                });
            }
            if s.start > s.end {
                out.push(LayerProblem::Reversed {
                    id: s.id,
                    start: s.start,
                    end: s.end,
                });
                continue;
            }
            if s.start == s.end {
                out.push(LayerProblem::EmptySpan { id: s.id });
                continue;
            }
            if let Some(text) = text {
                if s.end > text.char_len() {
                    out.push(LayerProblem::OutOfRange {
                        id: s.id,
                        end: s.end,
                        len: text.char_len(),
                    });
                    continue;
                }
                // Only compare quotes when the text is the one annotated: a stale layer's
                // mismatches are for re-anchoring to resolve, not errors.
                if text.sha256() == self.text_sha256 {
                    let found = text.slice(s.start, s.end);
                    if found != s.exact {
                        out.push(LayerProblem::ExactMismatch {
                            id: s.id,
                            expected: s.exact.clone(),
                            found: found.to_owned(),
                        });
                    }
                }
            }
        }
        for o in &self.orphans {
            if !ids.insert(o.span.id) {
                out.push(LayerProblem::DuplicateId(o.span.id));
            }
        }
        if let Some(text) = text
            && text.sha256() != self.text_sha256
        {
            out.push(LayerProblem::Stale {
                recorded: self.text_sha256.clone(),
                actual: text.sha256().to_owned(),
            });
        }
        out
    }

    /// Checks the relations of `layer` against its spans and the tag set's relation types. Ends in
    /// other documents are checked by the workspace ([`crate::workspace`]'s validate), which can
    /// read those layers.
    pub fn relation_problems(&self, tags: &TagSet) -> Vec<RelationProblem> {
        let layer = self;
        let mut out = Vec::new();
        if layer.relations.is_empty() {
            return out;
        }
        let spans: HashMap<u64, &Span> = layer.spans.iter().map(|s| (s.id, s)).collect();
        let orphans: HashSet<u64> = layer.orphans.iter().map(|o| o.span.id).collect();
        let mut ids: HashSet<u64> = spans
            .keys()
            .copied()
            .chain(orphans.iter().copied())
            .collect();
        for r in &layer.relations {
            if !ids.insert(r.id) {
                out.push(RelationProblem::DuplicateId(r.id));
            }
            let kind = tags.relation(&r.kind);
            if kind.is_none() {
                out.push(RelationProblem::UnknownType {
                    id: r.id,
                    kind: r.kind.clone(),
                });
            }
            if r.from == r.to {
                out.push(RelationProblem::SelfLink { id: r.id });
            }
            for (end, which) in [(&r.from, "from"), (&r.to, "to")] {
                let Some(span_id) = end.here_id() else {
                    continue;
                };
                match spans.get(&span_id) {
                    Some(span) => {
                        if let Some(kind) = kind {
                            let allowed = kind.allowed(which == "from");
                            if !allowed.is_empty() && !allowed.contains(&span.tag) {
                                out.push(RelationProblem::TagNotAllowed {
                                    id: r.id,
                                    end: which,
                                    kind: r.kind.clone(),
                                    tag: span.tag.clone(),
                                    allowed: allowed.to_vec(),
                                });
                            }
                        }
                    }
                    None if orphans.contains(&span_id) => out.push(RelationProblem::OrphanedEnd {
                        id: r.id,
                        end: which,
                        span: span_id,
                    }),
                    None => out.push(RelationProblem::MissingSpan {
                        id: r.id,
                        end: which,
                        span: span_id,
                    }),
                }
            }
        }
        out
    }

    /// The relation with id `id`.
    pub fn relation(&self, id: u64) -> Option<&Relation> {
        self.relations.iter().find(|r| r.id == id)
    }

    /// The relations with an end on span `id` of this layer, either way.
    pub fn relations_of(&self, id: u64) -> impl Iterator<Item = &Relation> {
        self.relations.iter().filter(move |r| r.touches(id))
    }

    /// The span with id `id`.
    pub fn span(&self, id: u64) -> Option<&Span> {
        self.spans.iter().find(|s| s.id == id)
    }

    /// Span counts per tag name.
    pub fn counts_by_tag(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for s in &self.spans {
            *m.entry(s.tag.clone()).or_insert(0) += 1;
        }
        m
    }
}

/// Makes a span over `[start, end)` of `text`, filling `exact`, `prefix` and `suffix`.
pub fn make_span(text: &Text, id: u64, start: usize, end: usize, tag: &str, now: &str) -> Span {
    let (prefix, suffix) = text.context(start, end, CONTEXT_CHARS);
    Span {
        id,
        start,
        end,
        tag: tag.to_owned(),
        exact: text.slice(start, end).to_owned(),
        prefix,
        suffix,
        note: String::new(),
        attrs: BTreeMap::new(),
        created: now.to_owned(),
        modified: now.to_owned(),
    }
}

/// The current time as RFC 3339 UTC with second precision, e.g. `2026-11-21T10:04:11Z`.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    now.format(&fmt).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Text, Layer) {
        let text = Text::from_string("“You want War between France and Russia?” Putin asked.");
        let mut layer = Layer::new("seeds/x.txt", &text, "editor-a");
        let id = layer.take_id();
        layer
            .spans
            .push(make_span(&text, id, 1, 40, "quote", "2026-11-21T10:04:11Z"));
        (text, layer)
    }

    #[test]
    fn copy_from_makes_an_equal_layer_whatever_the_target_held() {
        let (text, layer) = sample();
        let mut other = layer.clone();
        let id = other.take_id();
        let mut span = make_span(&text, id, 0, 5, "claim", "2026-11-21T10:05:00Z");
        span.note = "a much longer note than any in the source".into();
        span.attrs.insert(ANCHOR_ATTR.into(), "fuzzy".into());
        other.spans.insert(0, span);
        other.status = Status::Done;
        other.copy_from(&layer);
        assert_eq!(other, layer, "fewer spans than the target held");
        let mut bigger = layer.clone();
        bigger.spans.push(make_span(&text, 9, 41, 46, "claim", ""));
        other.copy_from(&bigger);
        assert_eq!(other, bigger, "more spans than the target held");
    }

    /// The list's walk of a layer finds what checking the made layer finds, on a text of
    /// multibyte chars with nested, overlapping and last-char spans; and hands any layer with a
    /// problem back to the full reading.
    #[test]
    fn the_lists_glance_agrees_with_the_layers_own_check() {
        let text = Text::from_string("é👩🏿‍💻 “Oui,” dit-il — e\u{301}crit 🇺🇦 ok");
        let n = text.char_len();
        let mut layer = Layer::new("seeds/x.txt", &text, "editor-a");
        for (start, end, tag) in [
            (0, 1, "claim"),
            (0, 6, "quote"),
            (2, 9, "claim"),
            (7, n, "error"),
            (n - 1, n, "quote"),
        ] {
            let id = layer.take_id();
            layer.spans.push(make_span(
                &text,
                id,
                start,
                end,
                tag,
                "2026-12-07T00:00:00Z",
            ));
        }
        layer.status = Status::InProgress;
        let tags = TagSet::default();
        assert!(layer.problems(Some(&text), &tags).is_empty());
        let glance = |layer: &Layer, annotator: &str| {
            Layer::glance_checked(
                &layer.to_ron(),
                text.as_str(),
                text.sha256(),
                &tags,
                annotator,
            )
        };
        assert_eq!(glance(&layer, "editor-a"), Some((Status::InProgress, 5)));
        assert_eq!(glance(&layer, "editor-b"), None, "another annotator's file");
        let edits: [fn(&mut Layer); 5] = [
            |l| l.spans[2].exact.push('x'),
            |l| l.spans[3].end += 1,
            |l| l.spans[1].tag = "rumour".into(),
            |l| l.spans[4].id = l.spans[0].id,
            |l| l.text_sha256 = "0".repeat(64),
        ];
        for (i, edit) in edits.iter().enumerate() {
            let mut bad = layer.clone();
            edit(&mut bad);
            assert_eq!(glance(&bad, "editor-a"), None, "edit {i}");
            assert!(!bad.problems(Some(&text), &tags).is_empty(), "edit {i}");
        }
    }

    #[test]
    fn round_trip_is_byte_identical() {
        let (_, layer) = sample();
        let a = layer.to_ron();
        let back = Layer::from_ron(&a).unwrap();
        assert_eq!(back, layer);
        assert_eq!(back.to_ron(), a);
    }

    #[test]
    fn exact_uses_char_offsets() {
        let (text, layer) = sample();
        assert_eq!(
            layer.spans[0].exact,
            "You want War between France and Russia?"
        );
        assert!(layer.problems(Some(&text), &TagSet::default()).is_empty());
    }

    #[test]
    fn problems_are_found() {
        let (text, mut layer) = sample();
        let mut bad = layer.spans[0].clone();
        bad.tag = "rumour".into();
        bad.end = 500;
        layer.spans.push(bad);
        let p = layer.problems(Some(&text), &TagSet::default());
        assert!(p.contains(&LayerProblem::DuplicateId(1)));
        assert!(
            p.iter()
                .any(|p| matches!(p, LayerProblem::UnknownTag { .. }))
        );
        assert!(
            p.iter()
                .any(|p| matches!(p, LayerProblem::OutOfRange { .. }))
        );
    }

    #[test]
    fn ids_are_never_reused_after_delete() {
        let (_, mut layer) = sample();
        let id2 = layer.take_id();
        assert_eq!(id2, 2);
        layer.spans.clear();
        let reloaded = Layer::from_ron(&layer.to_ron()).unwrap();
        let mut reloaded = reloaded;
        assert_eq!(reloaded.take_id(), 3);
    }

    #[test]
    fn an_old_anchor_marker_moves_to_its_reserved_key_and_a_user_attribute_stays() {
        let text = Text::from_string("one two three");
        let mut layer = Layer::new("t.txt", &text, "a");
        let mut fuzzy = make_span(&text, 1, 0, 3, "quote", "2026-01-01T00:00:00Z");
        fuzzy.attrs.insert("anchor".into(), "fuzzy".into());
        let mut own = make_span(&text, 2, 4, 7, "quote", "2026-01-01T00:00:00Z");
        own.attrs.insert("anchor".into(), "harbour".into());
        layer.spans = vec![fuzzy, own];
        layer.next_id = 3;
        let old = layer.to_ron();
        assert!(old.contains("\"anchor\": \"fuzzy\""));
        let read = Layer::from_ron(&old).unwrap();
        assert_eq!(
            read.spans[0]
                .attrs
                .get("marginalia:anchor")
                .map(String::as_str),
            Some("fuzzy")
        );
        assert!(!read.spans[0].attrs.contains_key("anchor"));
        assert_eq!(
            read.spans[1].attrs.get("anchor").map(String::as_str),
            Some("harbour")
        );
        // Parsed by `ron` rather than the fast path, the same happens.
        let spaced = old.replace("(\n", "( \n");
        let read = Layer::from_ron(&spaced).unwrap();
        assert!(read.spans[0].attrs.contains_key("marginalia:anchor"));
    }
}
