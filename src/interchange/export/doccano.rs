//! doccano export: one JSON object per document in the shape doccano 2.x imports for sequence
//! labeling, `{"text", "label": [[start, end, "tag"], …]}`, so a corpus annotated here can go
//! on in doccano. A document imported from doccano gets its doccano `id` back. Offsets are code
//! points (Python `str` indices), as doccano's files made in Python count them; doccano's
//! annotation screen counts UTF-16 code units instead (an emoji is 2), which only matters for
//! texts with characters beyond U+FFFF (the import notes those records).

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
    /// `[start, end, tag]`, in span order.
    pub label: Vec<(usize, usize, String)>,
}

impl DoccanoRecord {
    /// The record for one document.
    pub fn of(doc: &ExportDoc<'_>) -> Self {
        let id = doc
            .source
            .filter(|r| r.format == DOCCANO)
            .and_then(|r| r.fields.get("id"))
            .and_then(|json| serde_json::from_str(json).ok());
        Self {
            id,
            text: doc.text.as_str().to_owned(),
            label: doc
                .spans
                .iter()
                .map(|s| (s.start, s.end, s.tag.clone()))
                .collect(),
        }
    }
}
