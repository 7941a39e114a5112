//! The curated layer: the reviewer's decisions on a text (accepted spans with where they came
//! from, rejections with their reasons, comments) and its file format,
//! `annotations/curated/<rel>.ron`, which every tool that reads layers also reads as a layer.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::layer::{FORMAT_VERSION, Layer, Orphan, Span, Status};
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

    /// A curated span from a plain span and its review record.
    pub fn from_span(s: Span, from: Vec<SourceRef>, by: &str, at: &str, edited: bool) -> Self {
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
        let mut c: CuratedLayer = crate::model::layer::ron_options().from_str(src)?;
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
        crate::model::layer::to_pretty_ron(&copy).unwrap_or_default()
    }

    /// Sorts spans, rejections and comments as the file lists them and puts `next_id` above
    /// every span id.
    pub fn normalize(&mut self) {
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
}
