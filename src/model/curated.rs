//! The curated layer: the reviewer's decisions on a text (accepted spans and relations with where
//! they came from, rejections with their reasons, comments) and its file format,
//! `annotations/curated/<rel>.ron`, which every tool that reads layers also reads as a layer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::layer::{FORMAT_VERSION, Layer, Orphan, Span, Status};
use crate::model::relation::{End, Relation};
use crate::model::text::Text;
use crate::store::{self, Fingerprint, StoreError};

/// The layer name reserved for the reviewer's curated layer.
pub const CURATED_LAYER: &str = "curated";

/// A span of a reviewed layer: which layer, which span id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    pub layer: String,
    pub id: u64,
}

/// A span of the curated layer: a [`Span`] and its review record, where it came from and who
/// accepted it.
///
/// On disk ([`CuratedSpanRecord`]) the span's fields come first, in [`Span`]'s order and at the
/// same level as the record's, so every tool that reads layers reads the curated layer too.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "CuratedSpanRecord", into = "CuratedSpanRecord")]
pub struct CuratedSpan {
    /// The span as export, agreement and the editor see it.
    pub span: Span,
    /// The reviewed spans it was accepted from (empty: added by the reviewer).
    pub from: Vec<SourceRef>,
    /// The reviewer who accepted it.
    pub accepted_by: String,
    /// When, RFC 3339 UTC.
    pub accepted_at: String,
    /// Whether the reviewer changed its boundaries or tag before accepting.
    pub edited: bool,
}

impl CuratedSpan {
    /// A curated span from a plain span and its review record.
    pub fn from_span(span: Span, from: Vec<SourceRef>, by: &str, at: &str, edited: bool) -> Self {
        Self {
            span,
            from,
            accepted_by: by.to_owned(),
            accepted_at: at.to_owned(),
            edited,
        }
    }

    /// The plain span (what export, agreement and the editor see).
    pub fn to_span(&self) -> Span {
        self.span.clone()
    }
}

/// A curated span as the file holds it: the fields of [`Span`] (with its defaults), then the
/// review record's, all at one level. The RON serializer writes a flattened struct as a map
/// (`{"id": 1, …}`), which no layer reader reads, so the one level is spelled out here.
#[derive(Serialize, Deserialize)]
#[serde(rename = "CuratedSpan")]
struct CuratedSpanRecord {
    id: u64,
    start: usize,
    end: usize,
    tag: String,
    exact: String,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    suffix: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    attrs: BTreeMap<String, String>,
    #[serde(default)]
    created: String,
    #[serde(default)]
    modified: String,
    #[serde(default)]
    from: Vec<SourceRef>,
    #[serde(default)]
    accepted_by: String,
    #[serde(default)]
    accepted_at: String,
    #[serde(default)]
    edited: bool,
}

impl From<CuratedSpanRecord> for CuratedSpan {
    fn from(r: CuratedSpanRecord) -> Self {
        let span = Span {
            id: r.id,
            start: r.start,
            end: r.end,
            tag: r.tag,
            exact: r.exact,
            prefix: r.prefix,
            suffix: r.suffix,
            note: r.note,
            attrs: r.attrs,
            created: r.created,
            modified: r.modified,
        };
        Self::from_span(span, r.from, &r.accepted_by, &r.accepted_at, r.edited)
    }
}

impl From<CuratedSpan> for CuratedSpanRecord {
    fn from(c: CuratedSpan) -> Self {
        let s = c.span;
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
            from: c.from,
            accepted_by: c.accepted_by,
            accepted_at: c.accepted_at,
            edited: c.edited,
        }
    }
}

/// A relation of the curated layer: a [`Relation`] between curated spans and its review record,
/// the reviewed relations it was accepted from and who accepted it.
///
/// On disk ([`CuratedRelationRecord`]) the relation's fields come first, in [`Relation`]'s order
/// and at the same level as the record's, so every tool that reads layers reads its relations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "CuratedRelationRecord", into = "CuratedRelationRecord")]
pub struct CuratedRelation {
    /// The relation; its ends are spans of the curated layer.
    pub relation: Relation,
    /// The reviewed relations it was accepted from.
    pub sources: Vec<SourceRef>,
    pub accepted_by: String,
    /// RFC 3339 UTC.
    pub accepted_at: String,
}

/// A curated relation as the file holds it: [`Relation`]'s fields, then the review record's.
#[derive(Serialize, Deserialize)]
#[serde(rename = "CuratedRelation")]
struct CuratedRelationRecord {
    id: u64,
    #[serde(rename = "type")]
    kind: String,
    from: End,
    to: End,
    #[serde(default)]
    note: String,
    #[serde(default)]
    attrs: BTreeMap<String, String>,
    #[serde(default)]
    created: String,
    #[serde(default)]
    modified: String,
    #[serde(default)]
    sources: Vec<SourceRef>,
    #[serde(default)]
    accepted_by: String,
    #[serde(default)]
    accepted_at: String,
}

impl From<CuratedRelationRecord> for CuratedRelation {
    fn from(r: CuratedRelationRecord) -> Self {
        Self {
            relation: Relation {
                id: r.id,
                kind: r.kind,
                from: r.from,
                to: r.to,
                note: r.note,
                attrs: r.attrs,
                created: r.created,
                modified: r.modified,
            },
            sources: r.sources,
            accepted_by: r.accepted_by,
            accepted_at: r.accepted_at,
        }
    }
}

impl From<CuratedRelation> for CuratedRelationRecord {
    fn from(c: CuratedRelation) -> Self {
        let r = c.relation;
        Self {
            id: r.id,
            kind: r.kind,
            from: r.from,
            to: r.to,
            note: r.note,
            attrs: r.attrs,
            created: r.created,
            modified: r.modified,
            sources: c.sources,
            accepted_by: c.accepted_by,
            accepted_at: c.accepted_at,
        }
    }
}

/// A reviewed span the reviewer did not accept, with the reason shown to its annotator. A
/// rejected relation is one too: `from` names the relation (relation ids share the layer's id
/// space with spans, so the two never collide), `tag` holds its type, and `start`, `end` and
/// `exact` are its `from` end's.
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
    /// Accepted relations between curated spans, in id order (absent when none, so a file
    /// without relations is what it was before they existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<CuratedRelation>,
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
            relations: Vec::new(),
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
            crate::model::layer::migrate_markers(&mut span.span.attrs);
        }
        for orphan in &mut c.orphans {
            crate::model::layer::migrate_markers(&mut orphan.span.span.attrs);
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

    /// Sorts spans, relations, rejections and comments as the file lists them and puts
    /// `next_id` above every span and relation id.
    pub fn normalize(&mut self) {
        self.spans
            .sort_by_key(|s| (s.span.start, s.span.end, s.span.id));
        self.relations.sort_by_key(|r| r.relation.id);
        self.rejected
            .sort_by(|a, b| (a.start, a.end, &a.from).cmp(&(b.start, b.end, &b.from)));
        self.comments
            .sort_by(|a, b| (a.start, a.end, &a.at).cmp(&(b.start, b.end, &b.at)));
        let max = (self.spans.iter().map(|s| s.span.id))
            .chain(self.relations.iter().map(|r| r.relation.id))
            .max()
            .unwrap_or(0);
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
            relations: self.relations.iter().map(|r| r.relation.clone()).collect(),
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
            records.insert(s.span.id, s);
        }
        for o in self.orphans.drain(..) {
            records.insert(o.span.span.id, o.span);
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

    /// Every reviewed span and relation with a decision: accepted into the curated layer or
    /// rejected.
    pub fn decided(&self) -> HashSet<SourceRef> {
        self.spans
            .iter()
            .flat_map(|s| s.from.iter().cloned())
            .chain(
                self.relations
                    .iter()
                    .flat_map(|r| r.sources.iter().cloned()),
            )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::layer::make_span;

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

    /// The file format did not change when [`CuratedSpan`] came to hold a [`Span`]: a file
    /// written by hand (fields out of order, defaults left out, an unknown field) reads and is
    /// written as the version before wrote it, byte for byte, and that reads back the same.
    #[test]
    fn a_curated_file_reads_and_writes_the_same_bytes_as_before() {
        let by_hand = include_str!("../../tests/fixtures/curated/by_hand.ron");
        let as_written = include_str!("../../tests/fixtures/curated/as_written.ron");
        let c = CuratedLayer::from_ron(by_hand).unwrap();
        assert_eq!(c.to_ron(), as_written);
        assert_eq!(
            CuratedLayer::from_ron(as_written).unwrap().to_ron(),
            as_written
        );
        // Every reader of layers reads it as a layer, with the same spans.
        let plain = Layer::from_ron(as_written).unwrap();
        assert_eq!(plain.spans, c.to_layer().spans);
        assert_eq!(plain.orphans, c.to_layer().orphans);
    }
}
