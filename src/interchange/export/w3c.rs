//! W3C Web Annotation export: one `AnnotationCollection` in JSON-LD whose single
//! `AnnotationPage` lists an `Annotation` per span, written one per line as documents stream by.
//!
//! Each annotation's `target` has the text's workspace-relative path as `source` and two
//! selectors: a `TextQuoteSelector` (`exact`, plus up to 32 chars of `prefix` and `suffix`) and a
//! `TextPositionSelector` (`start`, `end` in code points, as the W3C model counts). Its `body`
//! holds the tag (`purpose: tagging`), then each attribute value, then, when there is one, the
//! note (`purpose: commenting`). `creator` is the annotator.
//!
//! An attribute value is a `TextualBody` whose `name` (a Marginalia extension term) is the
//! attribute's name: `purpose: classifying` for choice and flag attributes, `describing` for text
//! and for attributes the schema does not declare. Order: the schema's, then undeclared keys.
//! Marginalia's own markers (`marginalia:…` keys) are not exported.
//!
//! A relation is an annotation of its own with `motivation: linking`, its type as the tagging
//! body (then its attribute values and note, as a span's), and two targets: its `from` span
//! and its `to` span, each with the text's path and both selectors (an end in another
//! document names that text).

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{DocWriter, ExportDoc, ExportError, ExportSummary, write_err, write_json};
use crate::model::layer::{CONTEXT_CHARS, Span};
use crate::model::relation::{End, Relation};
use crate::model::tags::{AttrKind, TagSet};
use crate::model::text::Text;

/// The Web Annotation JSON-LD context.
pub const CONTEXT: &str = "http://www.w3.org/ns/anno.jsonld";

/// One annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct W3cAnnotation {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub creator: W3cAgent,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub modified: String,
    pub body: Vec<W3cBody>,
    pub target: W3cTarget,
}

/// Who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct W3cAgent {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
}

/// A textual body: the tag, an attribute value or the note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct W3cBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub purpose: String,
    /// The attribute an attribute value belongs to (absent on the tag and the note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub value: String,
}

impl W3cBody {
    fn text(purpose: &str, name: Option<&str>, value: &str) -> Self {
        Self {
            kind: "TextualBody".into(),
            purpose: purpose.into(),
            name: name.map(str::to_owned),
            value: value.to_owned(),
        }
    }
}

/// A span's attribute values as bodies, in the schema's order, then undeclared keys.
fn attribute_bodies(s: &Span, tags: &TagSet) -> Vec<W3cBody> {
    let tag = tags.get(&s.tag);
    let mut out = Vec::new();
    if let Some(tag) = tag {
        for a in &tag.attributes {
            if let Some(v) = s.attrs.get(&a.name) {
                let purpose = match a.kind {
                    AttrKind::Text => "describing",
                    AttrKind::Choice(_) | AttrKind::Flag => "classifying",
                };
                out.push(W3cBody::text(purpose, Some(&a.name), v));
            }
        }
    }
    for (k, v) in super::user_attrs(s) {
        if tag.is_none_or(|t| t.attribute(k).is_none()) {
            out.push(W3cBody::text("describing", Some(k), v));
        }
    }
    out
}

/// What is annotated: the text and where in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct W3cTarget {
    pub source: String,
    pub selector: Vec<W3cSelector>,
}

/// The two selectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum W3cSelector {
    TextQuoteSelector {
        exact: String,
        #[serde(default)]
        prefix: String,
        #[serde(default)]
        suffix: String,
    },
    TextPositionSelector {
        start: usize,
        end: usize,
    },
}

/// Percent-encodes what cannot stand in an IRI path (spaces, `#`, `%`, controls).
fn iri_path(rel: &str) -> String {
    let mut out = String::with_capacity(rel.len());
    for c in rel.chars() {
        if c.is_control() || c.is_whitespace() || matches!(c, '#' | '%' | '?' | '"' | '<' | '>') {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl W3cAnnotation {
    /// The annotation for one span of one document.
    pub fn of(rel: &str, annotator: &str, text: &Text, s: &Span, tags: &TagSet) -> Self {
        let (prefix, suffix) = text.context(s.start, s.end, CONTEXT_CHARS);
        let mut body = vec![W3cBody::text("tagging", None, &s.tag)];
        body.extend(attribute_bodies(s, tags));
        if !s.note.is_empty() {
            body.push(W3cBody::text("commenting", None, &s.note));
        }
        Self {
            id: format!("urn:marginalia:{annotator}:{}#{}", iri_path(rel), s.id),
            kind: "Annotation".into(),
            creator: W3cAgent {
                kind: "Person".into(),
                name: annotator.to_owned(),
            },
            created: s.created.clone(),
            modified: s.modified.clone(),
            body,
            target: W3cTarget {
                source: rel.to_owned(),
                selector: vec![
                    W3cSelector::TextQuoteSelector {
                        exact: s.exact.clone(),
                        prefix,
                        suffix,
                    },
                    W3cSelector::TextPositionSelector {
                        start: s.start,
                        end: s.end,
                    },
                ],
            },
        }
    }
}

/// A relation: an annotation linking its two ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct W3cLink {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub motivation: String,
    pub creator: W3cAgent,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub modified: String,
    pub body: Vec<W3cBody>,
    /// The `from` end, then the `to` end.
    pub target: Vec<W3cTarget>,
}

impl W3cLink {
    /// The annotation for relation `r` of `doc`, whose ends in the layer are exported spans.
    pub fn of(doc: &ExportDoc<'_>, r: &Relation, tags: &TagSet) -> Option<Self> {
        let end = |e: &End| -> Option<W3cTarget> {
            let (source, exact, prefix, suffix, start, end) = match &e.doc {
                Some(o) => (
                    o.text.clone(),
                    o.exact.clone(),
                    o.prefix.clone(),
                    o.suffix.clone(),
                    o.start,
                    o.end,
                ),
                None => {
                    let s = doc.span(e.span)?;
                    let (prefix, suffix) = doc.text.context(s.start, s.end, CONTEXT_CHARS);
                    (
                        doc.rel.to_owned(),
                        s.exact.clone(),
                        prefix,
                        suffix,
                        s.start,
                        s.end,
                    )
                }
            };
            Some(W3cTarget {
                source,
                selector: vec![
                    W3cSelector::TextQuoteSelector {
                        exact,
                        prefix,
                        suffix,
                    },
                    W3cSelector::TextPositionSelector { start, end },
                ],
            })
        };
        let mut body = vec![W3cBody::text("tagging", None, &r.kind)];
        let kind = tags.relation(&r.kind);
        for (k, v) in r
            .attrs
            .iter()
            .filter(|(k, _)| !crate::model::tags::is_reserved(k))
        {
            let declared = kind.and_then(|t| t.attributes.iter().find(|a| &a.name == k));
            let purpose = match declared.map(|a| &a.kind) {
                Some(AttrKind::Choice(_) | AttrKind::Flag) => "classifying",
                _ => "describing",
            };
            body.push(W3cBody::text(purpose, Some(k), v));
        }
        if !r.note.is_empty() {
            body.push(W3cBody::text("commenting", None, &r.note));
        }
        Some(Self {
            id: format!(
                "urn:marginalia:{}:{}#{}",
                doc.annotator,
                iri_path(doc.rel),
                r.id
            ),
            kind: "Annotation".into(),
            motivation: "linking".into(),
            creator: W3cAgent {
                kind: "Person".into(),
                name: doc.annotator.to_owned(),
            },
            created: r.created.clone(),
            modified: r.modified.clone(),
            body,
            target: vec![end(&r.from)?, end(&r.to)?],
        })
    }
}

pub(crate) struct W3cSink<'w> {
    w: &'w mut dyn Write,
    shown: String,
    count: usize,
    tags: TagSet,
}

impl<'w> W3cSink<'w> {
    pub(crate) fn new(
        w: &'w mut dyn Write,
        shown: &str,
        all_layers: bool,
        tags: TagSet,
    ) -> Result<Self, ExportError> {
        let label = if all_layers {
            "Marginalia export (all layers)"
        } else {
            "Marginalia export"
        };
        let head = format!(
            "{{\n  \"@context\": \"{CONTEXT}\",\n  \"id\": \"urn:marginalia:export\",\n  \"type\": \"AnnotationCollection\",\n  \"label\": \"{label}\",\n  \"first\": {{\n    \"id\": \"urn:marginalia:export:page1\",\n    \"type\": \"AnnotationPage\",\n    \"partOf\": \"urn:marginalia:export\",\n    \"startIndex\": 0,\n    \"items\": ["
        );
        w.write_all(head.as_bytes()).map_err(write_err(shown))?;
        Ok(Self {
            w,
            shown: shown.to_owned(),
            count: 0,
            tags,
        })
    }
}

impl DocWriter for W3cSink<'_> {
    fn document(&mut self, doc: &ExportDoc<'_>, _: &mut ExportSummary) -> Result<(), ExportError> {
        for s in &doc.spans {
            let a = W3cAnnotation::of(doc.rel, doc.annotator, doc.text, s, &self.tags);
            let sep: &[u8] = if self.count == 0 {
                b"\n      "
            } else {
                b",\n      "
            };
            write_json(&mut *self.w, &self.shown, sep, &a)?;
            self.count += 1;
        }
        for r in &doc.relations {
            let Some(link) = W3cLink::of(doc, r, &self.tags) else {
                continue;
            };
            let sep: &[u8] = if self.count == 0 {
                b"\n      "
            } else {
                b",\n      "
            };
            write_json(&mut *self.w, &self.shown, sep, &link)?;
            self.count += 1;
        }
        Ok(())
    }

    fn finish(&mut self, _: &mut ExportSummary) -> Result<(), ExportError> {
        let tail = format!("\n    ]\n  }},\n  \"total\": {}\n}}\n", self.count);
        self.w
            .write_all(tail.as_bytes())
            .map_err(write_err(&self.shown))?;
        self.w.flush().map_err(write_err(&self.shown))
    }
}
