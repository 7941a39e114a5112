//! doccano export: one JSON object per document in the shape doccano 2.x imports for sequence
//! labeling, `{"text", "label": [[start, end, "tag"], …]}`, so a corpus annotated here can go
//! on in doccano. A document imported from doccano gets its doccano `id` back. Offsets are code
//! points (Python `str` indices), as doccano's files made in Python count them; doccano's
//! annotation screen counts UTF-16 code units instead (an emoji is 2), which only matters for
//! texts with characters beyond U+FFFF (the import notes those records).
//!
//! When any exported layer has relations, every record of the file is written in the shape of
//! doccano's relation projects instead (doccano reads a file with one project type):
//! `{"text", "entities": [{"id", "label", "start_offset", "end_offset"}], "relations": [{"id",
//! "from_id", "to_id", "type"}]}`, entity ids being span ids. A relation with an end in
//! another document is left out and counted.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ExportDoc;

/// [`SourceRecord::format`](crate::model::layer::SourceRecord::format) of a doccano record:
/// this export writes it back, the import recognises it.
pub const DOCCANO: &str = "doccano";

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoccanoRecord {
    /// The document's doccano id, when it was imported from doccano.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    pub text: String,
    /// `[start, end, tag]`, in span order (a document without relations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Vec<(usize, usize, String)>>,
    /// The spans, in span order (a document with relations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<DoccanoEntity>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relations: Option<Vec<DoccanoRelation>>,
}

/// A span in doccano's relation shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoccanoEntity {
    pub id: u64,
    pub label: String,
    pub start_offset: usize,
    pub end_offset: usize,
}

/// A relation in doccano's shape: its ends are entity ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoccanoRelation {
    pub id: u64,
    pub from_id: u64,
    pub to_id: u64,
    #[serde(rename = "type")]
    pub kind: String,
}

impl DoccanoRecord {
    /// The record for one document of a file in which some document has relations: always in
    /// the relation shape, so that doccano reads the whole file with one project type.
    pub fn of_linked(doc: &ExportDoc<'_>) -> Self {
        Self::shaped(doc, true)
    }

    /// The record for one document (of a file in which no document has relations: the
    /// sequence-labeling shape).
    pub fn of(doc: &ExportDoc<'_>) -> Self {
        Self::shaped(doc, false)
    }

    fn shaped(doc: &ExportDoc<'_>, linked: bool) -> Self {
        let id = doc
            .source
            .filter(|r| r.format == DOCCANO)
            .and_then(|r| r.fields.get("id"))
            .and_then(|json| serde_json::from_str(json).ok());
        let relations: Vec<DoccanoRelation> = (doc.relations.iter())
            .filter_map(|r| {
                Some(DoccanoRelation {
                    id: r.id,
                    from_id: r.from.here_id()?,
                    to_id: r.to.here_id()?,
                    kind: r.kind.clone(),
                })
            })
            .collect();
        let text = doc.text.as_str().to_owned();
        if relations.is_empty() && !linked {
            return Self {
                id,
                text,
                label: Some(
                    (doc.spans.iter())
                        .map(|s| (s.start, s.end, s.tag.clone()))
                        .collect(),
                ),
                entities: None,
                relations: None,
            };
        }
        Self {
            id,
            text,
            label: None,
            entities: Some(
                (doc.spans.iter())
                    .map(|s| DoccanoEntity {
                        id: s.id,
                        label: s.tag.clone(),
                        start_offset: s.start,
                        end_offset: s.end,
                    })
                    .collect(),
            ),
            relations: Some(relations),
        }
    }
}
