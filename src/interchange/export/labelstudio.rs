//! Label Studio export: a JSON list of tasks that Label Studio imports as pre-annotated tasks,
//! so that Marginalia's layers can be reviewed and corrected there.
//!
//! One task per text: `{"data": {"text", "path"}, "predictions": [{"model_version":
//! <annotator>, "result": [...]}]}`, a prediction per exported layer. Each span is a `labels`
//! result `{"id", "from_name": "label", "to_name": "text", "type": "labels", "value": {"start",
//! "end", "text", "labels": [tag]}}` with offsets in UTF-16 code units, as Label Studio counts
//! them in the browser. The project's labeling config must name its controls the same way:
//! [`labeling_config`] writes it for the workspace's tags. Notes, attributes and statuses have
//! no place in a `labels` result and are not exported; `data.path` lets Marginalia's import put
//! the text back where it was.
//!
//! A relation is a `relation` result of the same prediction, `{"type": "relation", "from_id",
//! "to_id", "direction": "right", "labels": [type]}` between its spans' result ids
//! (`"direction": "bi"` for a symmetric type), and the labeling config lists the relation types
//! as `<Relations>`. Its note and attributes have no place there and are not exported; a
//! relation with an end in another document is left out and counted.

use std::io::Write;

use serde::Serialize;

use super::{DocWriter, ExportDoc, ExportError, ExportSummary, write_err, write_json};
use crate::model::tags::TagSet;

/// UTF-16 offsets of a text to char (scalar value) offsets, both ways: Label Studio counts in
/// UTF-16 code units (the export writes them, the import reads them).
pub struct Utf16Map {
    /// The UTF-16 offset where each char starts, and the length at the end.
    starts: Vec<usize>,
    /// The byte offset where each char starts, and the length at the end.
    bytes: Vec<usize>,
}

impl Utf16Map {
    pub fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() + 1);
        let mut bytes = Vec::with_capacity(text.len() + 1);
        let mut at = 0;
        for (b, c) in text.char_indices() {
            starts.push(at);
            bytes.push(b);
            at += c.len_utf16();
        }
        starts.push(at);
        bytes.push(text.len());
        Self { starts, bytes }
    }

    /// The text's length in chars.
    pub fn char_len(&self) -> usize {
        self.starts.len() - 1
    }

    /// `text[start..end]` counted in chars, if in range.
    pub(crate) fn slice<'t>(&self, text: &'t str, start: usize, end: usize) -> Option<&'t str> {
        if start > end {
            return None;
        }
        text.get(*self.bytes.get(start)?..*self.bytes.get(end)?)
    }

    /// The text's length in UTF-16 code units.
    pub fn len_utf16(&self) -> usize {
        self.starts.last().copied().unwrap_or(0)
    }

    /// The char offset at UTF-16 offset `u`, or why there is none.
    pub fn to_char(&self, u: usize) -> Result<usize, String> {
        match self.starts.binary_search(&u) {
            Ok(i) => Ok(i),
            Err(_) if u > self.len_utf16() => Err(format!(
                "UTF-16 offset {u} is outside the text ({} UTF-16 code units)",
                self.len_utf16()
            )),
            Err(_) => Err(format!(
                "UTF-16 offset {u} falls inside a surrogate pair (the middle of a character such as an emoji)"
            )),
        }
    }

    /// The UTF-16 offset of char offset `c`.
    pub fn to_utf16(&self, c: usize) -> usize {
        self.starts
            .get(c)
            .copied()
            .unwrap_or_else(|| self.len_utf16())
    }
}

/// A task's data: the text and its workspace path.
#[derive(Debug, Clone, Serialize)]
pub struct LsData {
    pub text: String,
    pub path: String,
}

/// One task.
#[derive(Debug, Clone, Serialize)]
pub struct LsTask {
    pub data: LsData,
    pub predictions: Vec<LsPrediction>,
}

/// One layer's spans, as a model's pre-annotation named after the annotator.
#[derive(Debug, Clone, Serialize)]
pub struct LsPrediction {
    pub model_version: String,
    pub result: Vec<LsItem>,
}

/// A result: a span or a relation.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum LsItem {
    Labels(LsResult),
    Relation(LsRelation),
}

/// One relation between two span results.
#[derive(Debug, Clone, Serialize)]
pub struct LsRelation {
    pub from_id: String,
    pub to_id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `right` (from → to) or `bi` (a symmetric type).
    pub direction: &'static str,
    pub labels: Vec<String>,
}

/// One span.
#[derive(Debug, Clone, Serialize)]
pub struct LsResult {
    pub id: String,
    pub from_name: &'static str,
    pub to_name: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: LsValue,
}

/// Where a span is (UTF-16 offsets) and its tag.
#[derive(Debug, Clone, Serialize)]
pub struct LsValue {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub labels: Vec<String>,
}

impl LsPrediction {
    /// The prediction for one document.
    pub fn of(doc: &ExportDoc<'_>, offsets: super::Offsets, tags: &TagSet) -> Self {
        let map = Utf16Map::new(doc.text.as_str());
        let at = |c: usize| match offsets {
            super::Offsets::Utf16 => map.to_utf16(c),
            super::Offsets::CodePoints => c,
        };
        let id = |span: u64| format!("{}-{span}", doc.annotator);
        let relations = doc.relations.iter().filter_map(|r| {
            let symmetric = tags.relation(&r.kind).is_some_and(|k| k.symmetric);
            Some(LsItem::Relation(LsRelation {
                from_id: id(r.from.here_id()?),
                to_id: id(r.to.here_id()?),
                kind: "relation",
                direction: if symmetric { "bi" } else { "right" },
                labels: vec![r.kind.clone()],
            }))
        });
        Self {
            model_version: doc.annotator.to_owned(),
            result: doc
                .spans
                .iter()
                .map(|s| LsResult {
                    id: id(s.id),
                    from_name: "label",
                    to_name: "text",
                    kind: "labels",
                    value: LsValue {
                        start: at(s.start),
                        end: at(s.end),
                        text: s.exact.clone(),
                        labels: vec![s.tag.clone()],
                    },
                })
                .map(LsItem::Labels)
                .chain(relations)
                .collect(),
        }
    }
}

/// The labeling config that matches the export: a `Labels` control named `label` with a
/// `Label` per tag, on a `Text` named `text`, and a `Relation` per relation type when there
/// are any.
pub fn labeling_config(tags: &TagSet) -> String {
    let mut out = String::from("<View>\n");
    if !tags.relations.is_empty() {
        out.push_str("  <Relations>\n");
        for r in &tags.relations {
            out.push_str(&format!(
                "    <Relation value=\"{}\"/>\n",
                xml_attr(&r.name)
            ));
        }
        out.push_str("  </Relations>\n");
    }
    out.push_str("  <Labels name=\"label\" toName=\"text\">\n");
    for t in &tags.tags {
        out.push_str(&format!("    <Label value=\"{}\"/>\n", xml_attr(&t.name)));
    }
    out.push_str("  </Labels>\n  <Text name=\"text\" value=\"$text\"/>\n</View>");
    out
}

fn xml_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes tasks as documents stream by: the layers of one text (consecutive, in name order)
/// gather into one task.
pub(crate) struct LabelStudioSink<'w> {
    w: &'w mut dyn Write,
    shown: String,
    current: Option<LsTask>,
    written: usize,
    config: String,
    offsets: super::Offsets,
    tags: TagSet,
}

impl<'w> LabelStudioSink<'w> {
    pub(crate) fn new(
        w: &'w mut dyn Write,
        shown: &str,
        tags: &TagSet,
        offsets: super::Offsets,
    ) -> Self {
        Self {
            w,
            shown: shown.to_owned(),
            current: None,
            written: 0,
            config: labeling_config(tags),
            offsets,
            tags: tags.clone(),
        }
    }

    fn flush_task(&mut self) -> Result<(), ExportError> {
        let Some(task) = self.current.take() else {
            return Ok(());
        };
        let sep: &[u8] = if self.written == 0 { b"[\n" } else { b",\n" };
        write_json(&mut *self.w, &self.shown, sep, &task)?;
        self.written += 1;
        Ok(())
    }
}

impl DocWriter for LabelStudioSink<'_> {
    fn document(
        &mut self,
        doc: &ExportDoc<'_>,
        summary: &mut ExportSummary,
    ) -> Result<(), ExportError> {
        for r in doc.relations.iter().filter(|r| r.crosses_documents()) {
            summary.leave_out_relation(
                doc,
                r,
                "an end is in another document; Label Studio links regions of one task",
            );
        }
        let prediction = LsPrediction::of(doc, self.offsets, &self.tags);
        if let Some(task) = &mut self.current
            && task.data.path == doc.rel
        {
            task.predictions.push(prediction);
            return Ok(());
        }
        self.flush_task()?;
        self.current = Some(LsTask {
            data: LsData {
                text: doc.text.as_str().to_owned(),
                path: doc.rel.to_owned(),
            },
            predictions: vec![prediction],
        });
        Ok(())
    }

    fn finish(&mut self, summary: &mut ExportSummary) -> Result<(), ExportError> {
        self.flush_task()?;
        let tail: &[u8] = if self.written == 0 { b"[]\n" } else { b"\n]\n" };
        self.w.write_all(tail).map_err(write_err(&self.shown))?;
        self.w.flush().map_err(write_err(&self.shown))?;
        summary.notes.push(match self.offsets {
            super::Offsets::Utf16 => "offsets are UTF-16 code units, as Label Studio's browser counts (--offsets code-points for versions that store code points); import the file into a Label Studio project with this labeling config:".into(),
            super::Offsets::CodePoints => "offsets are code points (Python string indices); import the file into a Label Studio project with this labeling config:".into(),
        });
        summary
            .notes
            .extend(self.config.lines().map(|l| format!("  {l}")));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_labeling_config_lists_every_tag_on_the_text() {
        let tags = TagSet::default();
        let c = labeling_config(&tags);
        assert!(c.starts_with("<View>\n  <Relations>\n    <Relation value=\"said-by\"/>"));
        assert!(c.contains("  </Relations>\n  <Labels name=\"label\" toName=\"text\">"));
        assert!(c.ends_with("<Text name=\"text\" value=\"$text\"/>\n</View>"));
        for t in &tags.tags {
            assert!(c.contains(&format!("<Label value=\"{}\"/>", t.name)), "{c}");
        }
        for r in &tags.relations {
            assert!(
                c.contains(&format!("<Relation value=\"{}\"/>", r.name)),
                "{c}"
            );
        }
        // No relation types: no <Relations> block.
        let plain = TagSet {
            relations: Vec::new(),
            ..TagSet::default()
        };
        assert!(labeling_config(&plain).starts_with("<View>\n  <Labels name=\"label\""));
    }
}
