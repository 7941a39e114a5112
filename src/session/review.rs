//! Review mode's core: compare one or two annotators' layers of a text item by item, record
//! the reviewer's decisions in the curated layer (`annotations/curated/<rel>.ron`), and tell
//! each annotator what became of their spans.
//!
//! A [`Review`] holds the text, the reviewed layers (read once, never written), the curated
//! layer and an undo history of decisions. The app draws [`Review::items`] and calls the
//! decision methods; saving works like [`crate::session::document::Document`]: atomic writes, a delay,
//! retries, and a merge when someone else changed the file.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::model::layer::{FORMAT_VERSION, Layer, Orphan, Span, Status, make_span, now_rfc3339};
use crate::model::range::CharRange;
use crate::model::tags::TagSet;
use crate::model::text::{Text, TextError};
use crate::session::autosave::{Autosave, Finished, JournalFind};
use crate::session::document::SaveState;
use crate::session::history::History;
use crate::session::recovery::{EntryKey, Journal, Kept, Recovered};
use crate::store::{self, Fingerprint, StoreError};
use crate::team::agreement::greedy_overlap_match;
use crate::team::merge;
use crate::workspace::{CURATED_LAYER, Workspace};

/// A span of a reviewed layer: which layer, which span id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    pub layer: String,
    pub id: u64,
}

/// A span of the curated layer: the fields of [`Span`], in the same order (so every tool that
/// reads layers reads the curated layer too), then where it came from and who accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CuratedSpan {
    pub id: u64,
    pub start: usize,
    pub end: usize,
    pub tag: String,
    pub exact: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub suffix: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub attrs: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub created: String,
    #[serde(default)]
    pub modified: String,
    /// The reviewed spans it was accepted from (empty: added by the reviewer).
    #[serde(default)]
    pub from: Vec<SourceRef>,
    /// The reviewer who accepted it.
    #[serde(default)]
    pub accepted_by: String,
    /// When, RFC 3339 UTC.
    #[serde(default)]
    pub accepted_at: String,
    /// Whether the reviewer changed its boundaries or tag before accepting.
    #[serde(default)]
    pub edited: bool,
}

impl CuratedSpan {
    /// The plain span (what export, agreement and the editor see).
    pub fn to_span(&self) -> Span {
        Span {
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

    fn from_span(s: Span, from: Vec<SourceRef>, by: &str, at: &str, edited: bool) -> Self {
        Self {
            id: s.id,
            start: s.start,
            end: s.end,
            tag: s.tag,
            exact: s.exact,
            prefix: s.prefix,
            suffix: s.suffix,
            note: s.note,
            attrs: s.attrs,
            created: s.created,
            modified: s.modified,
            from,
            accepted_by: by.to_owned(),
            accepted_at: at.to_owned(),
            edited,
        }
    }
}

/// A reviewed span the reviewer did not accept, with the reason shown to its annotator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub from: SourceRef,
    /// The span as it was when rejected.
    pub start: usize,
    pub end: usize,
    pub tag: String,
    pub exact: String,
    pub reason: String,
    pub by: String,
    pub at: String,
}

/// A reviewer's comment on a range, about some reviewed spans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewComment {
    pub start: usize,
    pub end: usize,
    #[serde(default)]
    pub about: Vec<SourceRef>,
    pub text: String,
    pub by: String,
    pub at: String,
}

/// A curated span that re-anchoring could not place after its text changed: an [`Orphan`]
/// (read as one by every tool that reads layers) that keeps where the span came from and who
/// accepted it, so the review record survives until the span is placed again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CuratedOrphan {
    /// The span as it was, with its old offsets.
    pub span: CuratedSpan,
    /// The sha256 of the text it was anchored in.
    pub old_text_sha256: String,
}

/// The curated layer file: a layer (format v1, readable as a [`Layer`]) whose spans say where
/// they came from, plus rejections and comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CuratedLayer {
    pub format: u32,
    pub text: String,
    pub text_sha256: String,
    pub text_chars: usize,
    /// Always `curated`.
    pub annotator: String,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub next_id: u64,
    #[serde(default)]
    pub spans: Vec<CuratedSpan>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orphans: Vec<CuratedOrphan>,
    /// The layers under review (one: checking; two: adjudicating).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<ReviewComment>,
}

impl CuratedLayer {
    /// An empty curated layer for a text.
    pub fn new(rel: &str, text: &Text) -> Self {
        Self {
            format: FORMAT_VERSION,
            text: rel.to_owned(),
            text_sha256: text.sha256().to_owned(),
            text_chars: text.char_len(),
            annotator: CURATED_LAYER.to_owned(),
            status: Status::NotStarted,
            next_id: 1,
            spans: Vec::new(),
            orphans: Vec::new(),
            reviewed: Vec::new(),
            rejected: Vec::new(),
            comments: Vec::new(),
        }
    }

    /// Parses a curated layer.
    ///
    /// # Errors
    /// The RON error with its line and column.
    pub fn from_ron(src: &str) -> Result<Self, ron::error::SpannedError> {
        let mut c: CuratedLayer = crate::store::ron::ron_options().from_str(src)?;
        for span in &mut c.spans {
            crate::model::layer::migrate_markers(&mut span.attrs);
        }
        for orphan in &mut c.orphans {
            crate::model::layer::migrate_markers(&mut orphan.span.attrs);
        }
        c.normalize();
        Ok(c)
    }

    /// Deterministic RON, laid out like every layer file.
    pub fn to_ron(&self) -> String {
        let mut copy = self.clone();
        copy.normalize();
        crate::store::ron::to_pretty_ron(&copy).unwrap_or_default()
    }

    fn normalize(&mut self) {
        self.spans.sort_by_key(|s| (s.start, s.end, s.id));
        self.rejected
            .sort_by(|a, b| (a.start, a.end, &a.from).cmp(&(b.start, b.end, &b.from)));
        self.comments
            .sort_by(|a, b| (a.start, a.end, &a.at).cmp(&(b.start, b.end, &b.at)));
        let max = self.spans.iter().map(|s| s.id).max().unwrap_or(0);
        if self.next_id <= max {
            self.next_id = max + 1;
        }
        if self.next_id == 0 {
            self.next_id = 1;
        }
    }

    /// The curated spans as a plain layer.
    pub fn to_layer(&self) -> Layer {
        Layer {
            format: self.format,
            text: self.text.clone(),
            text_sha256: self.text_sha256.clone(),
            text_chars: self.text_chars,
            annotator: self.annotator.clone(),
            status: self.status,
            next_id: self.next_id,
            spans: self.spans.iter().map(CuratedSpan::to_span).collect(),
            orphans: self
                .orphans
                .iter()
                .map(|o| Orphan {
                    span: o.span.to_span(),
                    old_text_sha256: o.old_text_sha256.clone(),
                })
                .collect(),
            source: None,
        }
    }

    /// Re-anchors the curated spans to `text` with the same engine and rules as every layer
    /// ([`crate::model::reanchor::reanchor_layer`]), keeping each span's review record (where it came
    /// from, who accepted it, when, whether edited) and the layer's rejections, comments and
    /// reviewed layers. Returns `None` when nothing needed re-anchoring.
    pub fn reanchor(&mut self, text: &Text) -> Option<crate::model::reanchor::ReanchorSummary> {
        let mut layer = self.to_layer();
        let summary = crate::model::reanchor::reanchor_layer(&mut layer, text)?;
        let mut records: HashMap<u64, CuratedSpan> = HashMap::new();
        for s in self.spans.drain(..) {
            records.insert(s.id, s);
        }
        for o in self.orphans.drain(..) {
            records.insert(o.span.id, o.span);
        }
        let with_record =
            |span: Span, records: &HashMap<u64, CuratedSpan>| match records.get(&span.id) {
                Some(r) => CuratedSpan::from_span(
                    span,
                    r.from.clone(),
                    &r.accepted_by,
                    &r.accepted_at,
                    r.edited,
                ),
                None => CuratedSpan::from_span(span, Vec::new(), "", "", false),
            };
        self.spans = layer
            .spans
            .into_iter()
            .map(|s| with_record(s, &records))
            .collect();
        self.orphans = layer
            .orphans
            .into_iter()
            .map(|o| CuratedOrphan {
                span: with_record(o.span, &records),
                old_text_sha256: o.old_text_sha256,
            })
            .collect();
        self.text_sha256 = layer.text_sha256;
        self.text_chars = layer.text_chars;
        self.next_id = self.next_id.max(layer.next_id);
        self.normalize();
        Some(summary)
    }

    /// Every reviewed span with a decision: accepted into a curated span or rejected.
    pub fn decided(&self) -> HashSet<SourceRef> {
        self.spans
            .iter()
            .flat_map(|s| s.from.iter().cloned())
            .chain(self.rejected.iter().map(|r| r.from.clone()))
            .collect()
    }
}

/// Loads a curated layer file. `Ok(None)` when it does not exist.
///
/// # Errors
/// Unreadable, too large or not a valid curated layer, naming the file.
pub fn load_curated(path: &Path) -> Result<Option<(CuratedLayer, Fingerprint)>, StoreError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    let bytes = store::read_limited(path, store::MAX_LAYER_BYTES)?;
    let fp = Fingerprint::of(path, &bytes);
    let shown = path.display().to_string();
    let src = std::str::from_utf8(&bytes).map_err(|e| StoreError::Parse {
        path: shown.clone(),
        reason: format!("not UTF-8 at byte {}", e.valid_up_to()),
    })?;
    let c = CuratedLayer::from_ron(src).map_err(|e| StoreError::Parse {
        path: shown,
        reason: e.to_string(),
    })?;
    Ok(Some((c, fp)))
}

/// Re-anchors the curated layer of text `rel` as `marginalia reanchor` does every layer, keeping
/// its whole review record (see [`CuratedLayer::reanchor`]), and writes it atomically unless
/// `dry_run`. `Ok(None)`: no curated file, or nothing needed re-anchoring.
///
/// # Errors
/// The text or file cannot be read, the file is invalid apart from its offsets, or the write
/// fails (the file is then as it was); each names the file.
pub fn reanchor_curated(
    ws: &Workspace,
    rel: &str,
    dry_run: bool,
) -> Result<Option<crate::model::reanchor::ReanchorSummary>, ReviewError> {
    let not_here = || ReviewError::NotInWorkspace(rel.to_owned());
    let path = ws.layer_path(CURATED_LAYER, rel).ok_or_else(not_here)?;
    let text = Text::load(&ws.text_path(rel).ok_or_else(not_here)?)?;
    // Read, re-anchored and written under the lock a review window saves under, so that no
    // decision it saves in between is lost.
    let save = (!dry_run).then(|| store::CheckedWrite::lock(&path));
    let Some((mut curated, _)) = load_curated(&path)? else {
        return Ok(None);
    };
    let invalid = |problem: String| ReviewError::Invalid {
        path: path.display().to_string(),
        problem,
    };
    if curated.annotator != CURATED_LAYER {
        return Err(invalid(format!(
            "annotator {:?} in the file differs from its folder {CURATED_LAYER:?}",
            curated.annotator
        )));
    }
    if let Some(p) = curated.to_layer().problems(None, ws.tags()).first() {
        return Err(invalid(p.to_string()));
    }
    let Some(summary) = curated.reanchor(&text) else {
        return Ok(None);
    };
    if let Some(p) = curated.to_layer().problems(Some(&text), ws.tags()).first() {
        return Err(invalid(p.to_string()));
    }
    if let Some(save) = save {
        store::check_write_inside(ws.root(), &path)?;
        save.write(curated.to_ron().as_bytes())?;
    }
    Ok(Some(summary))
}

/// How the two layers relate at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ItemKind {
    /// Same start, end and tag.
    Agreed,
    /// Same start, end and tag, but different attribute values (reserved keys aside).
    ValueConflict,
    /// Same range, different tags.
    TagConflict,
    /// Same tag, overlapping but different ranges.
    BoundaryConflict,
    OnlyA,
    OnlyB,
}

impl ItemKind {
    /// How the kind reads in the app.
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::Agreed => "agreed",
            ItemKind::ValueConflict => "value conflict",
            ItemKind::TagConflict => "tag conflict",
            ItemKind::BoundaryConflict => "boundary conflict",
            ItemKind::OnlyA => "only in A",
            ItemKind::OnlyB => "only in B",
        }
    }
}

/// One thing to decide: a span of A, of B, or one of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    pub a: Option<Span>,
    pub b: Option<Span>,
}

/// One attribute on which the two spans of an item differ (or that one of them lacks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueDifference {
    pub name: String,
    pub a: Option<String>,
    pub b: Option<String>,
}

/// A span's user attributes: its `attrs` without Marginalia's reserved markers.
pub fn user_attrs(span: &Span) -> BTreeMap<String, String> {
    span.attrs
        .iter()
        .filter(|(k, _)| !crate::model::tags::is_reserved(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl Item {
    /// The user attributes on which A's and B's spans differ, by name (empty unless both
    /// spans are there).
    pub fn value_differences(&self) -> Vec<ValueDifference> {
        let (Some(a), Some(b)) = (&self.a, &self.b) else {
            return Vec::new();
        };
        let (va, vb) = (user_attrs(a), user_attrs(b));
        let names: BTreeSet<&String> = va.keys().chain(vb.keys()).collect();
        names
            .into_iter()
            .filter(|n| va.get(*n) != vb.get(*n))
            .map(|n| ValueDifference {
                name: n.clone(),
                a: va.get(n).cloned(),
                b: vb.get(n).cloned(),
            })
            .collect()
    }

    /// The range covering the item's spans.
    pub fn range(&self) -> CharRange {
        let spans = self.a.iter().chain(self.b.iter());
        let start = spans.clone().map(|s| s.start).min().unwrap_or(0);
        let end = spans.map(|s| s.end).max().unwrap_or(0);
        CharRange::new(start, end)
    }
}

/// Classifies the spans of A (and B, when adjudicating) into items, sorted by position:
/// agreed pairs (same range, tag and user attributes) first matched one to one, then
/// same-range same-tag pairs whose values differ, then same-range pairs with different tags, then
/// same-tag overlapping pairs (greedily by largest overlap); the rest are only in A or B.
pub fn classify(a: &[Span], b: Option<&[Span]>) -> Vec<Item> {
    let mut items = Vec::new();
    let Some(b) = b else {
        return a
            .iter()
            .map(|s| Item {
                kind: ItemKind::OnlyA,
                a: Some(s.clone()),
                b: None,
            })
            .collect();
    };
    let mut a_left: Vec<bool> = vec![true; a.len()];
    let mut b_left: Vec<bool> = vec![true; b.len()];
    // Agreed first, then same tag with other values, then same range with another tag; B's
    // candidates are queued by key so this stays linear in the number of spans.
    for kind in [
        ItemKind::Agreed,
        ItemKind::ValueConflict,
        ItemKind::TagConflict,
    ] {
        let key = |s: &Span| {
            let what = match kind {
                // Tag and values, separated by a char no tag or RON key holds.
                ItemKind::Agreed => format!("{}\u{0}{:?}", s.tag, user_attrs(s)),
                ItemKind::ValueConflict => s.tag.clone(),
                _ => String::new(),
            };
            (s.start, s.end, what)
        };
        let mut queue: HashMap<(usize, usize, String), std::collections::VecDeque<usize>> =
            HashMap::new();
        for (j, sb) in b.iter().enumerate().filter(|(j, _)| b_left[*j]) {
            queue.entry(key(sb)).or_default().push_back(j);
        }
        for (i, sa) in a.iter().enumerate() {
            if !a_left[i] {
                continue;
            }
            if let Some(j) = queue.get_mut(&key(sa)).and_then(|q| q.pop_front()) {
                a_left[i] = false;
                b_left[j] = false;
                items.push(Item {
                    kind,
                    a: Some(sa.clone()),
                    b: Some(b[j].clone()),
                });
            }
        }
    }
    let tags: BTreeSet<&str> = a.iter().map(|s| s.tag.as_str()).collect();
    for tag in tags {
        let ai: Vec<usize> = (0..a.len())
            .filter(|&i| a_left[i] && a[i].tag == tag)
            .collect();
        let bi: Vec<usize> = (0..b.len())
            .filter(|&j| b_left[j] && b[j].tag == tag)
            .collect();
        let ra: Vec<CharRange> = ai.iter().map(|&i| a[i].range()).collect();
        let rb: Vec<CharRange> = bi.iter().map(|&j| b[j].range()).collect();
        for (x, y) in greedy_overlap_match(&ra, &rb) {
            let (i, j) = (ai[x], bi[y]);
            a_left[i] = false;
            b_left[j] = false;
            items.push(Item {
                kind: ItemKind::BoundaryConflict,
                a: Some(a[i].clone()),
                b: Some(b[j].clone()),
            });
        }
    }
    for (_, s) in a.iter().enumerate().filter(|(i, _)| a_left[*i]) {
        items.push(Item {
            kind: ItemKind::OnlyA,
            a: Some(s.clone()),
            b: None,
        });
    }
    for (_, s) in b.iter().enumerate().filter(|(j, _)| b_left[*j]) {
        items.push(Item {
            kind: ItemKind::OnlyB,
            a: None,
            b: Some(s.clone()),
        });
    }
    items.sort_by_key(|it| {
        let r = it.range();
        (
            r.start,
            r.end,
            it.a.as_ref().map(|x| x.id),
            it.b.as_ref().map(|x| x.id),
        )
    });
    items
}

/// A reviewer's decision on one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Keep A's span (B's, if any, is rejected as "the other version was accepted").
    AcceptA,
    AcceptB,
    /// Keep both spans (one span when they agree).
    AcceptBoth,
    /// Keep neither, with a reason the annotators will see.
    Reject {
        reason: String,
    },
    /// Accept one span with these boundaries and tag.
    Edit {
        start: usize,
        end: usize,
        tag: String,
    },
}

/// Why a review cannot start or a decision cannot be made.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ReviewError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}: not a text of this workspace")]
    NotInWorkspace(String),
    #[error("{layer} has no annotations of {rel}")]
    NoLayer { layer: String, rel: String },
    #[error("review one or two layers, other than `curated`; got {0:?}")]
    BadLayers(Vec<String>),
    #[error("the reviewer {0:?} is also one of the reviewed annotators")]
    ReviewerIsReviewed(String),
    #[error("{0}")]
    BadAnnotator(String),
    #[error("{path}: {problem}")]
    Invalid { path: String, problem: String },
    #[error("no item {0}")]
    NoItem(usize),
    #[error("this item has no span from {0}")]
    NoSide(&'static str),
    #[error("range {start}..{end} is not a non-empty range of the text ({len} chars)")]
    BadRange {
        start: usize,
        end: usize,
        len: usize,
    },
    #[error("unknown tag {0:?}")]
    UnknownTag(String),
    #[error(
        "accept both does not apply to a value conflict: take A's or B's values, or pick them one by one"
    )]
    BothOfValueConflict,
    #[error("{0:?} is one of Marginalia's own markers, not an attribute")]
    ReservedAttr(String),
    #[error("{value:?} is not a value of {tag}.{name}")]
    BadValue {
        tag: String,
        name: String,
        value: String,
    },
    #[error("cannot set a value here: {0}")]
    NoSpanForValue(&'static str),
}

/// One primitive change to the curated layer; a decision is a list of them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    AddSpan(CuratedSpan),
    RemoveSpan(CuratedSpan),
    AddRejection(Rejection),
    RemoveRejection(Rejection),
    AddComment(ReviewComment),
    RemoveComment(ReviewComment),
    Status { before: Status, after: Status },
}

/// What a step of review decisions did, for the status line after undo or redo: "accept
/// quote “…”", "reject claim “…”", "accept 12 items", "mark reviewed"…
fn describe_changes(step: &[Change]) -> String {
    let quoted =
        |tag: &str, exact: &str| format!("{tag} “{}”", crate::session::document::short(exact));
    let added: Vec<&CuratedSpan> = (step.iter())
        .filter_map(|c| match c {
            Change::AddSpan(s) => Some(s),
            _ => None,
        })
        .collect();
    let removed = (step.iter())
        .filter(|c| matches!(c, Change::RemoveSpan(_)))
        .count();
    let rejected: Vec<&Rejection> = (step.iter())
        .filter_map(|c| match c {
            Change::AddRejection(r) => Some(r),
            _ => None,
        })
        .collect();
    match (added.as_slice(), removed, rejected.as_slice()) {
        ([one], 0, []) => format!("accept {}", quoted(&one.tag, &one.exact)),
        ([one], _, []) => format!("change {}", quoted(&one.tag, &one.exact)),
        ([], 0, [one]) => format!("reject {}", quoted(&one.tag, &one.exact)),
        (many, _, []) if many.len() > 1 => {
            format!("accept {}", crate::wording::plural(many.len(), "item"))
        }
        ([], 0, many) if many.len() > 1 => {
            format!("reject {}", crate::wording::plural(many.len(), "item"))
        }
        _ => match step {
            [Change::Status { after, .. }] if *after == Status::Reviewed => "mark reviewed".into(),
            [Change::Status { .. }] => "mark in progress".into(),
            [Change::AddComment(_)] => "comment".into(),
            [Change::RemoveComment(_)] => "remove a comment".into(),
            _ => crate::wording::plural(step.len(), "change"),
        },
    }
}

impl Change {
    fn inverse(&self) -> Change {
        match self {
            Change::AddSpan(s) => Change::RemoveSpan(s.clone()),
            Change::RemoveSpan(s) => Change::AddSpan(s.clone()),
            Change::AddRejection(r) => Change::RemoveRejection(r.clone()),
            Change::RemoveRejection(r) => Change::AddRejection(r.clone()),
            Change::AddComment(c) => Change::RemoveComment(c.clone()),
            Change::RemoveComment(c) => Change::AddComment(c.clone()),
            Change::Status { before, after } => Change::Status {
                before: *after,
                after: *before,
            },
        }
    }
}

/// Where an item's decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    Undecided,
    Decided,
}

/// An open review of one text.
pub struct Review {
    rel: String,
    text: Text,
    tags: TagSet,
    reviewer: String,
    /// The reviewed layers' names and spans (A, then B).
    layers: Vec<(String, Layer)>,
    items: Vec<Item>,
    /// Reviewed spans with a decision, kept in step with `curated`.
    decided: HashSet<SourceRef>,
    curated: CuratedLayer,
    /// The curated layer as last read from or written to disk: where unsaved decisions
    /// started (the base of a restore's three-way merge).
    base: Arc<CuratedLayer>,
    path: PathBuf,
    seen: Option<Fingerprint>,
    /// Each decision is one step of changes (the same engine as the editor's undo).
    history: History<Change>,
    /// When and how the curated layer is saved: the same engine as the editor's (background
    /// writer, retries, indicator, recovery journal).
    autosave: Autosave<CuratedLayer>,
    /// The workspace root: nothing is written outside it.
    root: PathBuf,
    notices: Vec<String>,
    /// Decisions an earlier window could not save, found in the recovery journal and not yet
    /// restored or discarded; while they wait, the journal entry is left alone.
    recovered: Option<(CuratedLayer, Option<CuratedLayer>, Recovered)>,
}

impl std::fmt::Debug for Review {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Review")
            .field("rel", &self.rel)
            .field("reviewer", &self.reviewer)
            .field("items", &self.items.len())
            .finish()
    }
}

impl Review {
    /// Opens a review of text `rel`: `layers` is one annotator (checking their work) or two
    /// (adjudicating); `reviewer` is the current annotator.
    ///
    /// # Errors
    /// Bad layer names, a layer without a file for this text, an unreadable text, or an
    /// unreadable annotation or curated file (naming it).
    pub fn open(
        ws: &Workspace,
        rel: &str,
        layers: &[&str],
        reviewer: &str,
    ) -> Result<Self, ReviewError> {
        crate::workspace::check_annotator(reviewer).map_err(ReviewError::BadAnnotator)?;
        let names: Vec<String> = layers.iter().map(|s| s.to_string()).collect();
        if layers.is_empty()
            || layers.len() > 2
            || layers.contains(&CURATED_LAYER)
            || (layers.len() == 2 && layers[0] == layers[1])
        {
            return Err(ReviewError::BadLayers(names));
        }
        if layers.contains(&reviewer) {
            return Err(ReviewError::ReviewerIsReviewed(reviewer.to_owned()));
        }
        let not_here = || ReviewError::NotInWorkspace(rel.to_owned());
        let text = Text::load(&ws.text_path(rel).ok_or_else(not_here)?)?;
        let mut loaded = Vec::new();
        for name in layers {
            let path = ws.layer_path(name, rel).ok_or_else(not_here)?;
            match crate::model::layer::load_layer(&path)? {
                Some((layer, _)) => {
                    // Spans that do not fit the text must not be copied into the curated layer.
                    if let Some(p) = layer.problems(Some(&text), ws.tags()).first() {
                        return Err(ReviewError::Invalid {
                            path: path.display().to_string(),
                            problem: p.to_string(),
                        });
                    }
                    loaded.push((name.to_string(), layer));
                }
                None => {
                    return Err(ReviewError::NoLayer {
                        layer: name.to_string(),
                        rel: rel.to_owned(),
                    });
                }
            }
        }
        let path = ws.layer_path(CURATED_LAYER, rel).ok_or_else(not_here)?;
        let (mut curated, seen) = match load_curated(&path)? {
            Some((c, fp)) => (c, Some(fp)),
            None => (CuratedLayer::new(rel, &text), None),
        };
        let mut problems = curated.to_layer().problems(Some(&text), ws.tags());
        if curated.annotator != CURATED_LAYER {
            problems.insert(
                0,
                crate::model::layer::LayerProblem::AnnotatorMismatch {
                    in_file: curated.annotator.clone(),
                    folder: CURATED_LAYER.to_owned(),
                },
            );
        }
        if let Some(p) = problems.first() {
            return Err(ReviewError::Invalid {
                path: path.display().to_string(),
                problem: p.to_string(),
            });
        }
        if curated.reviewed != names {
            // Recorded so the document list can show progress without asking which layers.
            curated.reviewed = names;
        }
        let items = classify(
            &loaded[0].1.spans,
            loaded.get(1).map(|(_, l)| l.spans.as_slice()),
        );
        Ok(Self {
            rel: rel.to_owned(),
            text,
            tags: ws.tags().clone(),
            reviewer: reviewer.to_owned(),
            layers: loaded,
            items,
            decided: curated.decided(),
            base: Arc::new(curated.clone()),
            curated,
            autosave: Autosave::new(path.clone()),
            root: ws.root().to_path_buf(),
            path,
            seen,
            history: History::new(),
            notices: Vec::new(),
            recovered: None,
        })
    }

    pub fn rel(&self) -> &str {
        &self.rel
    }
    pub fn text(&self) -> &Text {
        &self.text
    }
    pub fn reviewer(&self) -> &str {
        &self.reviewer
    }
    /// The reviewed layer names: A, then B when adjudicating.
    pub fn layer_names(&self) -> Vec<&str> {
        self.layers.iter().map(|(n, _)| n.as_str()).collect()
    }
    /// A reviewed layer (0 = A, 1 = B).
    pub fn layer(&self, side: usize) -> Option<&Layer> {
        self.layers.get(side).map(|(_, l)| l)
    }
    pub fn items(&self) -> &[Item] {
        &self.items
    }
    pub fn curated(&self) -> &CuratedLayer {
        &self.curated
    }
    /// Where the curated layer is saved.
    pub fn curated_path(&self) -> &Path {
        &self.path
    }
    pub fn save_state(&self) -> &SaveState {
        self.autosave.state()
    }
    pub fn has_unsaved(&self) -> bool {
        self.autosave.has_unsaved()
    }
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
    pub fn can_undo(&self) -> bool {
        self.history.can_undo()
    }
    pub fn can_redo(&self) -> bool {
        self.history.can_redo()
    }

    fn refs(&self, item: &Item) -> Vec<SourceRef> {
        let mut out = Vec::new();
        if let Some(s) = &item.a {
            out.push(SourceRef {
                layer: self.layers[0].0.clone(),
                id: s.id,
            });
        }
        if let (Some(s), Some((name, _))) = (&item.b, self.layers.get(1)) {
            out.push(SourceRef {
                layer: name.clone(),
                id: s.id,
            });
        }
        out
    }

    /// Whether item `i` is decided: every one of its spans was accepted or rejected.
    pub fn state(&self, i: usize) -> ItemState {
        match self.items.get(i) {
            Some(item) if self.refs(item).iter().all(|r| self.decided.contains(r)) => {
                ItemState::Decided
            }
            _ => ItemState::Undecided,
        }
    }

    /// What the curated layer holds for item `i`: the curated spans accepted from its spans,
    /// and its spans' rejections (both empty while undecided).
    pub fn outcome(&self, i: usize) -> (Vec<&CuratedSpan>, Vec<&Rejection>) {
        let Some(item) = self.items.get(i) else {
            return (Vec::new(), Vec::new());
        };
        let refs = self.refs(item);
        if !refs.iter().any(|r| self.decided.contains(r)) {
            return (Vec::new(), Vec::new());
        }
        let spans = self
            .curated
            .spans
            .iter()
            .filter(|s| s.from.iter().any(|r| refs.contains(r)))
            .collect();
        let rejected = self
            .curated
            .rejected
            .iter()
            .filter(|x| refs.contains(&x.from))
            .collect();
        (spans, rejected)
    }

    /// Decided items out of all items.
    pub fn progress(&self) -> (usize, usize) {
        let decided = (0..self.items.len())
            .filter(|&i| self.state(i) == ItemState::Decided)
            .count();
        (decided, self.items.len())
    }

    /// The next undecided item after `from` (from the start when `None`), wrapping around.
    pub fn next_undecided(&self, from: Option<usize>) -> Option<usize> {
        let n = self.items.len();
        let start = from.map_or(0, |i| i + 1);
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| self.state(i) == ItemState::Undecided)
    }

    /// The previous undecided item before `from` (from the end when `None`), wrapping around.
    pub fn prev_undecided(&self, from: Option<usize>) -> Option<usize> {
        let n = self.items.len();
        let start = from.unwrap_or(0) + n;
        (1..=n)
            .map(|k| (start - k) % n)
            .find(|&i| self.state(i) == ItemState::Undecided)
    }

    /// The curated spans and rejections currently recorded for item `i`'s spans.
    fn existing_for(&self, refs: &[SourceRef]) -> Vec<Change> {
        let mut out = Vec::new();
        for s in &self.curated.spans {
            if s.from.iter().any(|r| refs.contains(r)) {
                out.push(Change::RemoveSpan(s.clone()));
            }
        }
        for r in &self.curated.rejected {
            if refs.contains(&r.from) {
                out.push(Change::RemoveRejection(r.clone()));
            }
        }
        out
    }

    fn next_id_after(&self, changes: &[Change]) -> u64 {
        let pending = changes
            .iter()
            .filter_map(|c| match c {
                Change::AddSpan(s) => Some(s.id + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        self.curated.next_id.max(pending).max(1)
    }

    fn accepted(&self, span: &Span, from: Vec<SourceRef>, id: u64, now: &str) -> CuratedSpan {
        let mut s = span.clone();
        s.id = id;
        CuratedSpan::from_span(s, from, &self.reviewer, now, false)
    }

    fn rejection(&self, span: &Span, from: SourceRef, reason: &str, now: &str) -> Rejection {
        Rejection {
            from,
            start: span.start,
            end: span.end,
            tag: span.tag.clone(),
            exact: span.exact.clone(),
            reason: reason.to_owned(),
            by: self.reviewer.clone(),
            at: now.to_owned(),
        }
    }

    /// Decides item `i`, replacing any earlier decision on it. One undo step.
    ///
    /// # Errors
    /// No such item, accepting a side the item does not have, or an edit with a bad range or
    /// an unknown tag.
    pub fn decide(&mut self, i: usize, decision: Decision) -> Result<(), ReviewError> {
        let item = self.items.get(i).cloned().ok_or(ReviewError::NoItem(i))?;
        let refs = self.refs(&item);
        let now = now_rfc3339();
        let mut changes = self.existing_for(&refs);
        let ref_a = item.a.as_ref().map(|_| refs[0].clone());
        let ref_b = item.b.as_ref().map(|_| refs[refs.len() - 1].clone());
        // A value conflict is one span with two sets of values: accepting a side keeps one span
        // from both, with that side's values, and rejects nothing.
        let agreed = matches!(item.kind, ItemKind::Agreed | ItemKind::ValueConflict);
        let other_kept = |name: &str| format!("{name}'s version was accepted");
        match decision {
            Decision::AcceptA | Decision::AcceptB => {
                let take_a = decision == Decision::AcceptA;
                let (keep, keep_ref, drop, drop_ref) = if take_a {
                    (&item.a, &ref_a, &item.b, &ref_b)
                } else {
                    (&item.b, &ref_b, &item.a, &ref_a)
                };
                let (Some(keep), Some(keep_ref)) = (keep, keep_ref) else {
                    return Err(ReviewError::NoSide(if take_a { "A" } else { "B" }));
                };
                let from = if agreed {
                    refs.clone()
                } else {
                    vec![keep_ref.clone()]
                };
                let id = self.next_id_after(&changes);
                changes.push(Change::AddSpan(self.accepted(keep, from, id, &now)));
                if let (false, Some(drop), Some(drop_ref)) = (agreed, drop, drop_ref) {
                    let reason = other_kept(&keep_ref.layer);
                    changes.push(Change::AddRejection(self.rejection(
                        drop,
                        drop_ref.clone(),
                        &reason,
                        &now,
                    )));
                }
            }
            Decision::AcceptBoth => {
                // "Both" needs two spans: on an item only in A or only in B it does not apply.
                if item.a.is_none() {
                    return Err(ReviewError::NoSide("A"));
                }
                if item.b.is_none() {
                    return Err(ReviewError::NoSide("B"));
                }
                if item.kind == ItemKind::ValueConflict {
                    return Err(ReviewError::BothOfValueConflict);
                }
                if agreed {
                    let id = self.next_id_after(&changes);
                    let span = item.a.as_ref().ok_or(ReviewError::NoSide("A"))?;
                    changes.push(Change::AddSpan(self.accepted(span, refs.clone(), id, &now)));
                } else {
                    for (span, r) in [(&item.a, &ref_a), (&item.b, &ref_b)] {
                        if let (Some(span), Some(r)) = (span, r) {
                            let id = self.next_id_after(&changes);
                            changes.push(Change::AddSpan(self.accepted(
                                span,
                                vec![r.clone()],
                                id,
                                &now,
                            )));
                        }
                    }
                }
            }
            Decision::Reject { reason } => {
                for (span, r) in [(&item.a, &ref_a), (&item.b, &ref_b)] {
                    if let (Some(span), Some(r)) = (span, r) {
                        changes.push(Change::AddRejection(self.rejection(
                            span,
                            r.clone(),
                            &reason,
                            &now,
                        )));
                    }
                }
            }
            Decision::Edit { start, end, tag } => {
                let len = self.text.char_len();
                if start >= end || end > len {
                    return Err(ReviewError::BadRange { start, end, len });
                }
                if !self.tags.contains(&tag) {
                    return Err(ReviewError::UnknownTag(tag));
                }
                // The values chosen so far (or the first side's) stay, as far as the tag takes them.
                let chosen = self.single_outcome(&refs).map(|c| c.to_span());
                let id = self.next_id_after(&changes);
                let mut span = make_span(&self.text, id, start, end, &tag, &now);
                if let Some(orig) = chosen.as_ref().or(item.a.as_ref()).or(item.b.as_ref()) {
                    span.note = orig.note.clone();
                    let schema = self.tags.get(&tag);
                    span.attrs = user_attrs(orig)
                        .into_iter()
                        .filter(|(k, v)| {
                            orig.tag == tag
                                || schema
                                    .and_then(|t| t.attribute(k))
                                    .is_some_and(|a| a.allows(v))
                        })
                        .collect();
                }
                changes.push(Change::AddSpan(CuratedSpan::from_span(
                    span,
                    refs.clone(),
                    &self.reviewer,
                    &now,
                    true,
                )));
            }
        }
        self.commit(changes);
        Ok(())
    }

    /// The one curated span accepted from these reviewed spans, if exactly one is.
    fn single_outcome(&self, refs: &[SourceRef]) -> Option<&CuratedSpan> {
        let mut found = self
            .curated
            .spans
            .iter()
            .filter(|s| s.from.iter().any(|r| refs.contains(r)));
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// The value of attribute `name` the curated layer holds for item `i` (`None` when the
    /// item is not accepted as one span, or the span has no such value).
    pub fn chosen_value(&self, i: usize, name: &str) -> Option<&str> {
        let item = self.items.get(i)?;
        let span = self.single_outcome(&self.refs(item))?;
        span.attrs.get(name).map(String::as_str)
    }

    /// Sets attribute `name` of item `i`'s curated span to `value` (`None` removes it): the
    /// reviewer picks one side's value or types another. An undecided item that is one span
    /// (agreed, value conflict, only in A or B) is accepted with this value, A's other values
    /// kept. One undo step.
    ///
    /// # Errors
    /// No such item, a reserved key, a value the tag's schema does not allow, or an item that
    /// is not (or cannot become) one accepted span: rejected, accepted as two spans, or a tag or
    /// boundary conflict not decided yet.
    pub fn set_value(
        &mut self,
        i: usize,
        name: &str,
        value: Option<&str>,
    ) -> Result<(), ReviewError> {
        let item = self.items.get(i).cloned().ok_or(ReviewError::NoItem(i))?;
        if crate::model::tags::is_reserved(name) {
            return Err(ReviewError::ReservedAttr(name.to_owned()));
        }
        let refs = self.refs(&item);
        let now = now_rfc3339();
        let accepted: Vec<&CuratedSpan> = self
            .curated
            .spans
            .iter()
            .filter(|s| s.from.iter().any(|r| refs.contains(r)))
            .collect();
        let (mut changes, mut span) = match accepted.as_slice() {
            [one] => (vec![Change::RemoveSpan((*one).clone())], (*one).clone()),
            [_, _, ..] => return Err(ReviewError::NoSpanForValue("it was accepted as two spans")),
            [] if refs.iter().any(|r| self.decided.contains(r)) => {
                return Err(ReviewError::NoSpanForValue("it was rejected"));
            }
            [] => {
                let one = matches!(
                    item.kind,
                    ItemKind::Agreed | ItemKind::ValueConflict | ItemKind::OnlyA | ItemKind::OnlyB
                );
                let base = item.a.as_ref().or(item.b.as_ref());
                let (true, Some(base)) = (one, base) else {
                    return Err(ReviewError::NoSpanForValue(
                        "accept A's or B's span first, then set its values",
                    ));
                };
                let id = self.next_id_after(&[]);
                (Vec::new(), self.accepted(base, refs.clone(), id, &now))
            }
        };
        if let Some(v) = value
            && let Some(attr) = self.tags.get(&span.tag).and_then(|t| t.attribute(name))
            && !attr.allows(v)
        {
            return Err(ReviewError::BadValue {
                tag: span.tag.clone(),
                name: name.to_owned(),
                value: v.to_owned(),
            });
        }
        if span.attrs.get(name).map(String::as_str) == value && !changes.is_empty() {
            return Ok(());
        }
        match value {
            Some(v) => span.attrs.insert(name.to_owned(), v.to_owned()),
            None => span.attrs.remove(name),
        };
        span.modified = now.clone();
        span.accepted_by = self.reviewer.clone();
        span.accepted_at = now;
        changes.push(Change::AddSpan(span));
        self.commit(changes);
        Ok(())
    }

    /// Accepts every undecided agreed item at once. One undo step. Returns how many.
    pub fn accept_all_agreed(&mut self) -> usize {
        let now = now_rfc3339();
        let mut changes = Vec::new();
        let mut n = 0;
        let mut next_id = self.curated.next_id.max(1);
        for i in 0..self.items.len() {
            let item = &self.items[i];
            if item.kind != ItemKind::Agreed || self.state(i) == ItemState::Decided {
                continue;
            }
            let refs = self.refs(item);
            if refs.iter().any(|r| self.decided.contains(r)) {
                changes.extend(self.existing_for(&refs));
            }
            let id = next_id;
            next_id += 1;
            if let Some(span) = &item.a {
                changes.push(Change::AddSpan(self.accepted(span, refs, id, &now)));
                n += 1;
            }
        }
        if n > 0 {
            self.commit(changes);
        }
        n
    }

    /// Takes back the decision on item `i` (it becomes undecided). One undo step.
    pub fn reopen(&mut self, i: usize) -> bool {
        let Some(item) = self.items.get(i) else {
            return false;
        };
        let changes = self.existing_for(&self.refs(item));
        if changes.is_empty() {
            return false;
        }
        self.commit(changes);
        true
    }

    /// Adds the reviewer's comment on item `i`. One undo step.
    ///
    /// # Errors
    /// No such item.
    pub fn comment(&mut self, i: usize, text: &str) -> Result<(), ReviewError> {
        let item = self.items.get(i).ok_or(ReviewError::NoItem(i))?;
        let CharRange { start, end } = item.range();
        let c = ReviewComment {
            start,
            end,
            about: self.refs(item),
            text: text.to_owned(),
            by: self.reviewer.clone(),
            at: now_rfc3339(),
        };
        self.commit(vec![Change::AddComment(c)]);
        Ok(())
    }

    /// Comments on item `i`.
    pub fn comments_on(&self, i: usize) -> Vec<&ReviewComment> {
        let Some(item) = self.items.get(i) else {
            return Vec::new();
        };
        let refs = self.refs(item);
        self.curated
            .comments
            .iter()
            .filter(|c| c.about.iter().any(|r| refs.contains(r)))
            .collect()
    }

    /// Marks the document Reviewed (or back to in progress). One undo step.
    pub fn set_reviewed(&mut self, reviewed: bool) {
        let after = if reviewed {
            Status::Reviewed
        } else {
            Status::InProgress
        };
        if self.curated.status != after {
            self.commit(vec![Change::Status {
                before: self.curated.status,
                after,
            }]);
        }
    }

    fn commit(&mut self, changes: Vec<Change>) {
        self.apply(&changes);
        self.history.begin_group();
        for c in changes {
            self.history.record(c);
        }
        self.history.end_group();
        if self.curated.status == Status::NotStarted {
            self.curated.status = Status::InProgress;
        }
        self.mark_dirty();
    }

    /// Applies one decision's changes. Every decision removes what was there before adding, so
    /// removals go first; batching them keeps "accept all" and its undo linear.
    fn apply(&mut self, changes: &[Change]) {
        let cur = &mut self.curated;
        let mut remove_ids = HashSet::new();
        for c in changes {
            match c {
                Change::RemoveSpan(s) => {
                    remove_ids.insert(s.id);
                }
                Change::RemoveRejection(r) => {
                    if let Some(p) = cur.rejected.iter().position(|x| x == r) {
                        cur.rejected.remove(p);
                    }
                }
                Change::RemoveComment(k) => {
                    if let Some(p) = cur.comments.iter().position(|x| x == k) {
                        cur.comments.remove(p);
                    }
                }
                Change::Status { after, .. } => cur.status = *after,
                Change::AddSpan(_) | Change::AddRejection(_) | Change::AddComment(_) => {}
            }
        }
        if !remove_ids.is_empty() {
            cur.spans.retain(|x| !remove_ids.contains(&x.id));
        }
        for c in changes {
            match c {
                Change::AddSpan(s) => {
                    cur.next_id = cur.next_id.max(s.id + 1);
                    cur.spans.push(s.clone());
                }
                Change::AddRejection(r) => cur.rejected.push(r.clone()),
                Change::AddComment(k) => cur.comments.push(k.clone()),
                _ => {}
            }
        }
        cur.normalize();
        self.decided = cur.decided();
    }

    /// Undoes the last decision. Returns whether there was one.
    pub fn undo(&mut self) -> bool {
        self.undo_step().is_some()
    }

    /// Undoes the last decision and says what it was ("accept quote “…”"), if there was one.
    pub fn undo_step(&mut self) -> Option<String> {
        let step = self.history.undo()?;
        let what = describe_changes(&step);
        let inverse: Vec<Change> = step.iter().rev().map(Change::inverse).collect();
        self.apply(&inverse);
        self.mark_dirty();
        Some(what)
    }

    /// Redoes the next decision. Returns whether there was one.
    pub fn redo(&mut self) -> bool {
        self.redo_step().is_some()
    }

    /// Redoes the next decision and says what it was, if there was one.
    pub fn redo_step(&mut self) -> Option<String> {
        let changes = self.history.redo()?;
        let what = describe_changes(&changes);
        self.apply(&changes);
        self.mark_dirty();
        Some(what)
    }

    fn mark_dirty(&mut self) {
        self.autosave.mark_dirty();
    }

    /// Keeps decisions that cannot be saved in `journal` (outside the workspace), and looks
    /// there for decisions an earlier window could not save: if they differ from the file,
    /// [`Review::recovered`] offers them.
    pub fn set_journal(&mut self, journal: Journal) {
        let read = |found: &Recovered| {
            let ours = CuratedLayer::from_ron(&found.contents).ok()?;
            let base = found
                .base
                .as_deref()
                .and_then(|b| CuratedLayer::from_ron(b).ok());
            Some((ours, base))
        };
        let key = EntryKey::new(&self.root, &self.path, &self.rel, self.text.sha256());
        let current = &self.curated;
        let same = |(ours, base): &(CuratedLayer, Option<CuratedLayer>)| {
            merge::merge_curated(base.as_ref(), ours, current).0 == *current
        };
        match self.autosave.open_journal(journal, key, read, same) {
            JournalFind::Nothing => {}
            JournalFind::Recovered((curated, base), found) => {
                self.recovered = Some((curated, base, found));
            }
            JournalFind::Unusable(entry) => self.notices.push(format!(
                "a recovery journal entry for this review at {} cannot be used; it was left as it is",
                entry.display()
            )),
        }
    }

    /// Decisions found in the recovery journal, waiting for the user, and where the entry is.
    pub fn recovered(&self) -> Option<(&CuratedLayer, &Recovered)> {
        self.recovered.as_ref().map(|(c, _, r)| (c, r))
    }

    /// Merges the recovered decisions into the curated layer, as one undoable step: three-way
    /// (base: the file as that session last read it), so decisions that reached the file since
    /// are kept; an entry without a base is merged as a union that removes nothing. Returns
    /// whether it did.
    pub fn restore_recovered(&mut self) -> bool {
        let Some((ours, base, _)) = self.recovered.take() else {
            return false;
        };
        self.autosave.release_recovered(false);
        let cur = &self.curated;
        let (rec, _) = merge::merge_curated(base.as_ref(), &ours, cur);
        let mut changes = Vec::new();
        changes.extend(
            cur.spans
                .iter()
                .filter(|s| !rec.spans.contains(s))
                .map(|s| Change::RemoveSpan(s.clone())),
        );
        changes.extend(
            rec.spans
                .iter()
                .filter(|s| !cur.spans.contains(s))
                .map(|s| Change::AddSpan(s.clone())),
        );
        changes.extend(
            cur.rejected
                .iter()
                .filter(|r| !rec.rejected.contains(r))
                .map(|r| Change::RemoveRejection(r.clone())),
        );
        changes.extend(
            rec.rejected
                .iter()
                .filter(|r| !cur.rejected.contains(r))
                .map(|r| Change::AddRejection(r.clone())),
        );
        changes.extend(
            cur.comments
                .iter()
                .filter(|c| !rec.comments.contains(c))
                .map(|c| Change::RemoveComment(c.clone())),
        );
        changes.extend(
            rec.comments
                .iter()
                .filter(|c| !cur.comments.contains(c))
                .map(|c| Change::AddComment(c.clone())),
        );
        if cur.status != rec.status {
            changes.push(Change::Status {
                before: cur.status,
                after: rec.status,
            });
        }
        self.commit(changes);
        true
    }

    /// Drops the recovered decisions and their journal entry, at the user's word.
    pub fn discard_recovered(&mut self) -> bool {
        if self.recovered.take().is_none() {
            return false;
        }
        self.autosave.release_recovered(true);
        true
    }

    /// Starts a background save if decisions have waited [`crate::session::document::SAVE_DELAY`] (or a failed save is
    /// due for retry). Returns whether it started one. Like the editor's, the save runs on a
    /// writer thread from a snapshot; a later call takes its outcome.
    pub fn save_if_due(&mut self, now: Instant) -> bool {
        self.poll_writer();
        if !self.autosave.due(now) {
            return false;
        }
        let snapshot = Arc::new(self.curated.clone());
        if !self.autosave.start(
            snapshot,
            self.root.clone(),
            self.seen.clone(),
            CuratedLayer::to_ron,
        ) {
            let _ = self.save_now();
        }
        true
    }

    fn poll_writer(&mut self) {
        if let Some(finished) = self.autosave.poll() {
            self.finish_background_save(finished);
        }
    }

    fn finish_background_save(&mut self, finished: Finished<CuratedLayer>) {
        match finished {
            Finished::Written {
                fingerprint,
                snapshot,
                ..
            } => {
                self.seen = Some(fingerprint);
                self.base = snapshot;
            }
            Finished::Changed => {
                let _ = self.save_now();
            }
            Finished::Failed(_) => self.journal_after_failure(),
        }
    }

    /// Writes the unsaved decisions to the journal now (before quitting with decisions that
    /// could not be saved). Returns where they went.
    ///
    /// # Errors
    /// No journal is set, or no journal folder can be written.
    pub fn journal_unsaved(&mut self) -> Result<Kept, StoreError> {
        let base = self.base.to_ron();
        self.autosave
            .keep_in_journal(&self.curated.to_ron(), Some(&base))
    }

    fn journal_after_failure(&mut self) {
        if !self.autosave.should_journal() {
            return;
        }
        match self.journal_unsaved() {
            Ok(kept) => self.notices.push(format!(
                "unsaved review decisions are kept in the recovery journal ({}) until they can be saved",
                kept.describe()
            )),
            Err(e) => self.notices.push(format!(
                "the unsaved review decisions could not be kept in the recovery journal either: {e}"
            )),
        }
    }

    /// Time until the next save attempt is due, for scheduling a repaint.
    pub fn next_save_in(&self, now: Instant) -> Option<std::time::Duration> {
        self.autosave.next_save_in(now)
    }

    /// Writes pending decisions now. If someone else changed the curated file since it was
    /// read, their spans, rejections and comments are merged in first (ours win by span id).
    ///
    /// # Errors
    /// The write failed, or the changed file cannot be read; decisions stay pending.
    pub fn save_now(&mut self) -> Result<(), StoreError> {
        if let Some(finished) = self.autosave.wait() {
            self.finish_background_save(finished);
        }
        if !self.autosave.has_unsaved() {
            return Ok(());
        }
        let result = self.write_pending();
        if result.is_err() {
            self.journal_after_failure();
        }
        result
    }

    fn write_pending(&mut self) -> Result<(), StoreError> {
        // Check, merge and write under one lock, so another window's save cannot slip between.
        let save = match store::CheckedWrite::begin(&self.root, &self.path) {
            Ok(save) => save,
            Err(e) => {
                self.autosave.failed(e.to_string());
                return Err(e);
            }
        };
        if !save.unchanged_since(self.seen.as_ref()) {
            match load_curated(&self.path) {
                Ok(Some((theirs, fp))) => {
                    self.base = Arc::new(theirs.clone());
                    self.merge_theirs(theirs);
                    self.seen = Some(fp);
                    self.notices.push(format!(
                        "{} was changed outside this window; merged (your decisions win on conflicts)",
                        self.path.display()
                    ));
                }
                Ok(None) => self.seen = None,
                Err(e) => {
                    let msg =
                        format!("not saved: the file on disk changed and cannot be read ({e})");
                    self.autosave.failed(msg.clone());
                    return Err(StoreError::Write {
                        path: self.path.display().to_string(),
                        reason: msg,
                    });
                }
            }
        }
        match save.write(self.curated.to_ron().as_bytes()) {
            Ok(fp) => {
                self.seen = Some(fp);
                self.base = Arc::new(self.curated.clone());
                self.autosave.written();
                Ok(())
            }
            Err(e) => {
                self.autosave.failed(e.to_string());
                Err(e)
            }
        }
    }

    /// Forgets the pending decisions: the user chose to discard them on quitting.
    pub fn discard_unsaved(&mut self) {
        self.autosave.discard();
    }

    /// Writes the curated layer as it is in memory to `path`, for "Save a copy elsewhere…".
    ///
    /// # Errors
    /// The copy cannot be written, naming the file.
    pub fn save_copy(&self, path: &Path) -> Result<(), StoreError> {
        store::write_copy(path, self.curated.to_ron().as_bytes())
    }

    /// Merges another version of the curated layer: their decisions on items we have not
    /// decided are kept (with a fresh id if theirs collides with ours); ours win otherwise.
    fn merge_theirs(&mut self, theirs: CuratedLayer) {
        let known: HashSet<&CuratedSpan> = self
            .history
            .edits()
            .filter_map(|c| match c {
                Change::AddSpan(s) | Change::RemoveSpan(s) => Some(s),
                _ => None,
            })
            .collect();
        let cur = &self.curated;
        let ours_decided = &self.decided;
        let ours: HashMap<u64, &CuratedSpan> = cur.spans.iter().map(|s| (s.id, s)).collect();
        let mut add = Vec::new();
        for s in theirs.spans {
            let seen = known.contains(&s) || ours.get(&s.id) == Some(&&s);
            if seen || s.from.iter().any(|r| ours_decided.contains(r)) {
                continue;
            }
            add.push(s);
        }
        let mut taken: HashSet<u64> = ours.keys().copied().collect();
        let ours_decided = ours_decided.clone();
        let cur = &mut self.curated;
        cur.next_id = cur.next_id.max(theirs.next_id);
        for mut s in add {
            if !taken.insert(s.id) {
                s.id = cur.next_id;
                taken.insert(s.id);
            }
            cur.next_id = cur.next_id.max(s.id + 1);
            cur.spans.push(s);
        }
        for r in theirs.rejected {
            if !cur.rejected.contains(&r) && !ours_decided.contains(&r.from) {
                cur.rejected.push(r);
            }
        }
        for c in theirs.comments {
            if !cur.comments.contains(&c) {
                cur.comments.push(c);
            }
        }
        cur.normalize();
        self.decided = cur.decided();
    }

    /// Reloads the curated layer if someone else changed it and nothing is pending.
    /// Returns whether it reloaded (the undo history is then cleared).
    pub fn reload_if_changed(&mut self) -> bool {
        if self.autosave.has_unsaved() || store::unchanged_by_stat(&self.path, self.seen.as_ref()) {
            return false;
        }
        match load_curated(&self.path) {
            Ok(Some((c, fp))) => {
                let reviewed = std::mem::take(&mut self.curated.reviewed);
                self.curated = c;
                self.curated.reviewed = reviewed;
                self.base = Arc::new(self.curated.clone());
                self.decided = self.curated.decided();
                self.seen = Some(fp);
                self.history.clear();
                self.notices.push(format!(
                    "{} was changed outside this window; reloaded",
                    self.path.display()
                ));
                true
            }
            _ => false,
        }
    }
}

/// What became of one of an annotator's spans in review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Accepted as it is.
    Accepted,
    /// Accepted with other boundaries, another tag or other attribute values.
    Edited {
        start: usize,
        end: usize,
        tag: String,
        /// The attribute values the curated span holds that differ from the annotator's.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        values: Vec<ValueChange>,
    },
    Rejected {
        reason: String,
    },
    NotReviewed,
}

/// An attribute value the reviewer kept other than the annotator's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueChange {
    pub name: String,
    /// The annotator's value (`None`: they gave none).
    pub yours: Option<String>,
    /// The curated layer's (`None`: no value).
    pub kept: Option<String>,
}

/// The verdict on one span, for the annotator who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpanFeedback {
    pub span_id: u64,
    pub verdict: Verdict,
    /// The reviewer and when (empty when not reviewed).
    pub by: String,
    pub at: String,
    /// Review comments about this span.
    pub comments: Vec<String>,
}

/// The verdict on each of `annotator`'s spans in `layer`, from the curated layer.
pub fn feedback(annotator: &str, layer: &Layer, curated: &CuratedLayer) -> Vec<SpanFeedback> {
    let mine = |r: &SourceRef| r.layer == annotator;
    let mut accepted: HashMap<u64, &CuratedSpan> = HashMap::new();
    for c in &curated.spans {
        for r in c.from.iter().filter(|r| mine(r)) {
            accepted.entry(r.id).or_insert(c);
        }
    }
    let mut rejected: HashMap<u64, &Rejection> = HashMap::new();
    for x in curated.rejected.iter().filter(|x| mine(&x.from)) {
        rejected.entry(x.from.id).or_insert(x);
    }
    let mut comments: HashMap<u64, Vec<String>> = HashMap::new();
    for c in &curated.comments {
        for r in c.about.iter().filter(|r| mine(r)) {
            comments.entry(r.id).or_default().push(c.text.clone());
        }
    }
    layer
        .spans
        .iter()
        .map(|s| {
            let (verdict, by, at) = if let Some(c) = accepted.get(&s.id) {
                let (kept, yours) = (user_attrs(&c.to_span()), user_attrs(s));
                let names: BTreeSet<&String> = kept.keys().chain(yours.keys()).collect();
                let values: Vec<ValueChange> = names
                    .into_iter()
                    .filter(|n| kept.get(*n) != yours.get(*n))
                    .map(|n| ValueChange {
                        name: n.clone(),
                        yours: yours.get(n).cloned(),
                        kept: kept.get(n).cloned(),
                    })
                    .collect();
                let same = (c.start, c.end, &c.tag) == (s.start, s.end, &s.tag);
                let v = if c.edited || !same || !values.is_empty() {
                    Verdict::Edited {
                        start: c.start,
                        end: c.end,
                        tag: c.tag.clone(),
                        values,
                    }
                } else {
                    Verdict::Accepted
                };
                (v, c.accepted_by.clone(), c.accepted_at.clone())
            } else if let Some(x) = rejected.get(&s.id) {
                (
                    Verdict::Rejected {
                        reason: x.reason.clone(),
                    },
                    x.by.clone(),
                    x.at.clone(),
                )
            } else {
                (Verdict::NotReviewed, String::new(), String::new())
            };
            SpanFeedback {
                span_id: s.id,
                verdict,
                by,
                at,
                comments: comments.get(&s.id).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// The items of a review of `layers` (A, then B when adjudicating; only the first two count),
/// each with whether the curated layer decides it: every one of its spans accepted or
/// rejected, as [`Review::state`] says. Empty without a reviewed layer.
pub fn items_with_decisions(
    curated: &CuratedLayer,
    layers: &[(&str, &[Span])],
) -> Vec<(Item, bool)> {
    let Some((a_name, a)) = layers.first() else {
        return Vec::new();
    };
    let b = layers.get(1);
    let decided = curated.decided();
    classify(a, b.map(|(_, spans)| *spans))
        .into_iter()
        .map(|it| {
            let ra = it.a.as_ref().map(|s| SourceRef {
                layer: (*a_name).to_owned(),
                id: s.id,
            });
            let rb = it.b.as_ref().zip(b).map(|(s, (n, _))| SourceRef {
                layer: (*n).to_owned(),
                id: s.id,
            });
            let done = ra.iter().chain(rb.iter()).all(|r| decided.contains(r));
            (it, done)
        })
        .collect()
}

/// Review progress of text `rel` for the document list: decided items out of all, and whether
/// it is marked Reviewed. `None` when it has no curated file (or it names no reviewed layers).
///
/// # Errors
/// An unreadable curated or reviewed layer file.
pub fn progress_of(ws: &Workspace, rel: &str) -> Result<Option<(usize, usize, bool)>, StoreError> {
    let Some(path) = ws.layer_path(CURATED_LAYER, rel) else {
        return Ok(None);
    };
    let Some((curated, _)) = load_curated(&path)? else {
        return Ok(None);
    };
    let mut layers = Vec::new();
    for name in curated.reviewed.iter().take(2) {
        let Some(p) = ws.layer_path(name, rel) else {
            return Ok(None);
        };
        match crate::model::layer::load_layer(&p)? {
            Some((l, _)) => layers.push((name.clone(), l)),
            None => return Ok(None),
        }
    }
    if layers.is_empty() {
        return Ok(None);
    }
    let layers: Vec<(&str, &[Span])> = layers
        .iter()
        .map(|(n, l)| (n.as_str(), l.spans.as_slice()))
        .collect();
    let items = items_with_decisions(&curated, &layers);
    let decided = items.iter().filter(|(_, d)| *d).count();
    Ok(Some((
        decided,
        items.len(),
        curated.status == Status::Reviewed,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A curated layer of `text` with one accepted span per phrase, each with its record.
    fn curated_on(text: &Text, phrases: &[&str]) -> CuratedLayer {
        let mut c = CuratedLayer::new("t.txt", text);
        for (i, p) in phrases.iter().enumerate() {
            let b = text.as_str().find(p).unwrap();
            let s = text.char_of_byte(b);
            let id = i as u64 + 1;
            let span = make_span(text, id, s, s + p.chars().count(), "quote", "t0");
            let from = vec![SourceRef {
                layer: "ana".into(),
                id: 10 + id,
            }];
            c.spans
                .push(CuratedSpan::from_span(span, from, "lead", "t1", id == 2));
        }
        c.reviewed = vec!["ana".into()];
        c.normalize();
        c
    }

    /// Issue 20 §6: a curated span that re-anchoring orphans keeps its review record, in the
    /// file too, and gets it back when its words return; the file still reads as a layer.
    #[test]
    fn an_orphaned_curated_span_keeps_its_review_record_until_it_is_placed_again() {
        let gone = "The deleted sentence is this one, with enough words.";
        let old = Text::from_string(&format!("One sentence here. {gone} End of it all."));
        let mut c = curated_on(&old, &["One sentence here.", gone]);
        let before = c.clone();
        let cut = Text::from_string("One sentence here. End of it all.");
        let s = c.reanchor(&cut).unwrap();
        assert_eq!((s.kept, s.orphaned), (1, 1));
        assert_eq!(c.spans.len(), 1);
        assert_eq!(c.spans[0].from, before.spans[0].from);
        assert_eq!(c.orphans.len(), 1);
        let orphan = &c.orphans[0].span;
        assert_eq!(
            (&orphan.from, &*orphan.accepted_by, orphan.edited),
            (&before.spans[1].from, "lead", true)
        );
        // On disk: read back as a curated layer with the record, and as a plain layer.
        let ron = c.to_ron();
        assert_eq!(CuratedLayer::from_ron(&ron).unwrap(), c);
        let plain = Layer::from_ron(&ron).unwrap();
        assert_eq!(plain.orphans.len(), 1);
        assert_eq!(plain.orphans[0].span.exact, gone);
        // The text restored: the span is back, with its record.
        let s = c.reanchor(&old).unwrap();
        assert_eq!((s.kept, s.orphaned), (2, 0));
        assert!(c.orphans.is_empty());
        assert_eq!(c.spans, before.spans);
        assert_eq!(c.reviewed, before.reviewed);
        assert!(c.reanchor(&old).is_none(), "nothing left to do");
    }
}
