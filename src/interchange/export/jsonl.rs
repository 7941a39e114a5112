//! JSON Lines export: one object per document, the shape spaCy (`doc.char_span`), Prodigy and
//! Hugging Face `datasets.load_dataset("json", …)` read as-is. Offsets are code points.
//!
//! Each span's `meta.attrs` holds its attribute values; the schema (kinds, choices) is not in
//! the records, which stay uniform for `datasets`, but in the workspace's `tags.ron`.
//! Marginalia's own markers (`marginalia:…` keys) are not exported.
//!
//! A document imported from Prodigy is written back as a Prodigy record: its import record's
//! keys (`_input_hash`, `_task_hash`, `answer`, `_view_id`, …) come back as they were, its
//! `meta` keys join ours, and its `tokens` come back while they still fit the text, with each
//! span's `token_start`/`token_end` where its ends fall on token boundaries.
//!
//! A document's relations are its record's `relations` (absent when none): `{"id", "type",
//! "from": {"id", "start", "end", "label", "text"}, "to": {…}, "note", "attrs"}`; an end in
//! another document has that text's `path` instead of a `label`.

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{DocWriter, ExportDoc, ExportError, ExportSummary, write_err, write_json};
use crate::model::range::CharRange;
use crate::model::text::Text;

/// [`SourceRecord::format`](crate::model::layer::SourceRecord::format) of a Prodigy record:
/// this export writes it back, the import recognises it.
pub const PRODIGY: &str = "prodigy";

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonlRecord {
    pub text: String,
    pub spans: Vec<JsonlSpan>,
    pub meta: JsonlMeta,
    /// Links between spans; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<JsonlRelation>,
    /// A Prodigy record's other keys, as it was imported (empty for any other document).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A relation: its type and both ends, each with its span's id, range, tag and text; an end
/// in another document names that text (`path`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonlRelation {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: String,
    pub from: JsonlEnd,
    pub to: JsonlEnd,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attrs: BTreeMap<String, String>,
}

/// One end of a [`JsonlRelation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonlEnd {
    pub id: u64,
    pub start: usize,
    pub end: usize,
    /// The span's tag (absent for an end in another document, whose tag is not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub text: String,
    /// The other text's workspace path, for an end in another document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl JsonlEnd {
    /// The end `end` of a relation of `doc` (whose ends in the layer are exported spans).
    fn of(doc: &ExportDoc<'_>, end: &crate::model::relation::End) -> Option<Self> {
        match &end.doc {
            Some(e) => Some(Self {
                id: end.span,
                start: e.start,
                end: e.end,
                label: None,
                text: e.exact.clone(),
                path: Some(e.text.clone()),
            }),
            None => {
                let s = doc.span(end.span)?;
                Some(Self {
                    id: s.id,
                    start: s.start,
                    end: s.end,
                    label: Some(s.tag.clone()),
                    text: s.exact.clone(),
                    path: None,
                })
            }
        }
    }
}

/// One span: code-point offsets into `text`, its tag as `label`, and the text it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonlSpan {
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub text: String,
    #[serde(default)]
    pub meta: JsonlSpanMeta,
    /// Prodigy's first and last token of the span (inclusive), when the record's tokens are
    /// written back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_start: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_end: Option<usize>,
}

/// A span's note and free attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonlSpanMeta {
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub attrs: BTreeMap<String, String>,
}

/// Where the document came from and who annotated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonlMeta {
    /// The text's path relative to the workspace root.
    pub path: String,
    /// sha256 of the text file's bytes.
    pub sha256: String,
    pub annotator: String,
    /// `not-started`, `in-progress`, `done` or `reviewed`.
    pub status: String,
    /// A Prodigy record's own `meta` keys (ours win on a clash).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The keys of [`JsonlMeta`] that Marginalia writes itself.
const OUR_META: [&str; 4] = ["path", "sha256", "annotator", "status"];

/// A Prodigy document's keys to write back: (top-level keys, `meta` keys, token ranges when
/// its `tokens` still fit the text).
type ProdigyParts = (
    BTreeMap<String, Value>,
    BTreeMap<String, Value>,
    Option<Vec<CharRange>>,
);

fn prodigy_parts(doc: &ExportDoc<'_>) -> ProdigyParts {
    let mut extra = BTreeMap::new();
    let mut meta = BTreeMap::new();
    let mut tokens = None;
    let Some(record) = doc.source.filter(|r| r.format == PRODIGY) else {
        return (extra, meta, tokens);
    };
    for (key, json) in &record.fields {
        let Ok(value) = serde_json::from_str::<Value>(json) else {
            continue;
        };
        match (key.as_str(), value) {
            ("text" | "spans", _) => {}
            ("meta", Value::Object(m)) => {
                meta = m
                    .into_iter()
                    .filter(|(k, _)| !OUR_META.contains(&k.as_str()))
                    .collect();
            }
            ("meta", _) => {}
            ("tokens", value) => {
                if let Some(ranges) = token_ranges(&value, doc.text) {
                    tokens = Some(ranges);
                    extra.insert(key.clone(), value);
                }
            }
            (_, value) => {
                extra.insert(key.clone(), value);
            }
        }
    }
    (extra, meta, tokens)
}

/// Each Prodigy token's code-point range, if every token states `start`, `end` and the `text`
/// found there in `text` (the text has not changed since the tokens were made).
fn token_ranges(tokens: &Value, text: &Text) -> Option<Vec<CharRange>> {
    let as_usize = |v: Option<&Value>| v.and_then(Value::as_u64).map(|n| n as usize);
    tokens
        .as_array()?
        .iter()
        .map(|t| {
            let (start, end) = (as_usize(t.get("start"))?, as_usize(t.get("end"))?);
            let said = t.get("text").and_then(Value::as_str)?;
            (start <= end && end <= text.char_len() && text.slice(start, end) == said)
                .then_some(CharRange::new(start, end))
        })
        .collect()
}

impl JsonlRecord {
    /// The record for one document.
    pub fn of(doc: &ExportDoc<'_>) -> Self {
        let (extra, meta_extra, tokens) = prodigy_parts(doc);
        // A span's first and last token (Prodigy's inclusive `token_end`), when both of its
        // ends fall on token boundaries.
        let tokens_of = |start: usize, end: usize| {
            let t = tokens.as_ref()?;
            let first = t.iter().position(|r| r.start == start)?;
            let last = t.iter().position(|r| r.end == end)?;
            Some((first, last))
        };
        Self {
            text: doc.text.as_str().to_owned(),
            spans: doc
                .spans
                .iter()
                .map(|s| {
                    let toks = tokens_of(s.start, s.end);
                    JsonlSpan {
                        start: s.start,
                        end: s.end,
                        label: s.tag.clone(),
                        text: s.exact.clone(),
                        meta: JsonlSpanMeta {
                            note: s.note.clone(),
                            attrs: super::user_attrs(s)
                                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                                .collect(),
                        },
                        token_start: toks.map(|t| t.0),
                        token_end: toks.map(|t| t.1),
                    }
                })
                .collect(),
            meta: JsonlMeta {
                path: doc.rel.to_owned(),
                sha256: doc.text.sha256().to_owned(),
                annotator: doc.annotator.to_owned(),
                status: doc.status.name().to_owned(),
                extra: meta_extra,
            },
            relations: (doc.relations.iter())
                .filter_map(|r| {
                    Some(JsonlRelation {
                        id: r.id,
                        kind: r.kind.clone(),
                        from: JsonlEnd::of(doc, &r.from)?,
                        to: JsonlEnd::of(doc, &r.to)?,
                        note: r.note.clone(),
                        attrs: (r.attrs.iter())
                            .filter(|(k, _)| !crate::model::tags::is_reserved(k))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    })
                })
                .collect(),
            extra,
        }
    }
}

/// Writes one JSON record a line, made by `record` from each document: the JSONL records, and
/// doccano's.
pub(crate) struct JsonLinesSink<'w, R> {
    w: &'w mut dyn Write,
    shown: String,
    record: fn(&ExportDoc<'_>) -> R,
    /// Why relations with an end in another document are left out (`None`: written).
    no_crossing: Option<&'static str>,
}

impl<'w, R> JsonLinesSink<'w, R> {
    pub(crate) fn new(w: &'w mut dyn Write, shown: &str, record: fn(&ExportDoc<'_>) -> R) -> Self {
        Self {
            w,
            shown: shown.to_owned(),
            record,
            no_crossing: None,
        }
    }

    /// The same sink, leaving out (and counting) relations with an end in another document.
    pub(crate) fn without_crossing(mut self, why: &'static str) -> Self {
        self.no_crossing = Some(why);
        self
    }
}

impl<R: Serialize> DocWriter for JsonLinesSink<'_, R> {
    fn document(
        &mut self,
        doc: &ExportDoc<'_>,
        summary: &mut ExportSummary,
    ) -> Result<(), ExportError> {
        if let Some(why) = self.no_crossing {
            for r in doc.relations.iter().filter(|r| r.crosses_documents()) {
                summary.leave_out_relation(doc, r, why);
            }
        }
        write_json(&mut *self.w, &self.shown, b"", &(self.record)(doc))?;
        self.w.write_all(b"\n").map_err(write_err(&self.shown))
    }

    fn finish(&mut self, _: &mut ExportSummary) -> Result<(), ExportError> {
        self.w.flush().map_err(write_err(&self.shown))
    }
}
