//! JSON Lines export: one object per document, the shape spaCy (`doc.char_span`), Prodigy and
//! Hugging Face `datasets.load_dataset("json", …)` read as-is. Offsets are code points.
//!
//! Each span's `meta.attrs` holds its attribute values; the schema (kinds, choices) is not in
//! the records, which stay uniform for `datasets`, but in the workspace's `tags.ron`.
//! Marginalia's own markers (`marginalia:…` keys) are not exported.

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{DocSink, ExportDoc, ExportError, ExportSummary, status_name, write_err};

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonlRecord {
    pub text: String,
    pub spans: Vec<JsonlSpan>,
    pub meta: JsonlMeta,
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
}

impl JsonlRecord {
    /// The record for one document.
    pub fn of(doc: &ExportDoc<'_>) -> Self {
        Self {
            text: doc.text.as_str().to_owned(),
            spans: doc
                .spans
                .iter()
                .map(|s| JsonlSpan {
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
                })
                .collect(),
            meta: JsonlMeta {
                path: doc.rel.to_owned(),
                sha256: doc.text.sha256().to_owned(),
                annotator: doc.annotator.to_owned(),
                status: status_name(doc.status).to_owned(),
            },
        }
    }
}

pub(crate) struct JsonlSink<'w> {
    w: &'w mut dyn Write,
    shown: String,
}

impl<'w> JsonlSink<'w> {
    pub(crate) fn new(w: &'w mut dyn Write, shown: &str) -> Self {
        Self {
            w,
            shown: shown.to_owned(),
        }
    }
}

impl DocSink for JsonlSink<'_> {
    fn document(&mut self, doc: &ExportDoc<'_>, _: &mut ExportSummary) -> Result<(), ExportError> {
        let rec = JsonlRecord::of(doc);
        serde_json::to_writer(&mut *self.w, &rec).map_err(|e| ExportError::Write {
            path: self.shown.clone(),
            reason: e.to_string(),
        })?;
        self.w.write_all(b"\n").map_err(write_err(&self.shown))
    }

    fn finish(&mut self, _: &mut ExportSummary) -> Result<(), ExportError> {
        self.w.flush().map_err(write_err(&self.shown))
    }
}
