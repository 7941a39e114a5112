//! CSV export: one row per span — `document, annotator, tag, start, end, text, note` — quoted per
//! RFC 4180 (CRLF row ends, fields with quotes, commas or line breaks in double quotes).
//! Offsets are code points into the workspace text, which the CSV does not carry.
//!
//! Then one column per attribute of the tag set, named `attr:<name>`: in tag order, then each
//! tag's attribute order, each name once (`error` and `boilerplate` share `attr:kind`). A span
//! fills the columns it has values for; attributes the schema does not declare are left out.
//!
//! Relations go to a file of their own beside it, `<name>.relations.csv` ([`relations_path`]),
//! written only when there are any: a row per relation, [`RELATION_HEADER`], each end with
//! its document, span id, offsets and text (an end in another document names that text). A
//! csv written to standard output has no place beside it: its relations are left out and
//! counted.

use std::io::Write;

use super::{DocWriter, ExportDoc, ExportError, ExportSummary, write_err};
use crate::store::FileProblem;

/// The first columns of the header row; the attribute columns follow.
pub const HEADER: [&str; 7] = [
    "document",
    "annotator",
    "tag",
    "start",
    "end",
    "text",
    "note",
];

/// The header row of the relations file.
pub const RELATION_HEADER: [&str; 15] = [
    "document",
    "annotator",
    "id",
    "type",
    "from_document",
    "from_id",
    "from_start",
    "from_end",
    "from_text",
    "to_document",
    "to_id",
    "to_start",
    "to_end",
    "to_text",
    "note",
];

/// The relations file beside the csv file `out`: `spans.csv` → `spans.relations.csv`.
pub fn relations_path(out: &std::path::Path) -> std::path::PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}.relations.csv"))
}

pub(crate) struct CsvSink<'w> {
    w: csv::Writer<&'w mut dyn Write>,
    shown: String,
    header_written: bool,
    /// Attribute names, one column each after [`HEADER`].
    columns: Vec<String>,
    /// The relations file (its name and writer, and whether its header is written), if any.
    relations: Option<(String, csv::Writer<&'w mut dyn Write>, bool)>,
}

/// The header cell of an attribute's column.
pub fn attribute_column(name: &str) -> String {
    format!("attr:{name}")
}

impl<'w> CsvSink<'w> {
    pub(crate) fn new(
        w: &'w mut dyn Write,
        shown: &str,
        columns: Vec<String>,
        relations: Option<(&str, &'w mut dyn Write)>,
    ) -> Self {
        let writer = |w| {
            csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(w)
        };
        Self {
            w: writer(w),
            shown: shown.to_owned(),
            header_written: false,
            columns,
            relations: relations.map(|(name, w)| (name.to_owned(), writer(w), false)),
        }
    }

    /// Writes the relations of `doc` to the relations file, or counts them left out.
    fn relations(
        &mut self,
        doc: &ExportDoc<'_>,
        summary: &mut ExportSummary,
    ) -> Result<(), ExportError> {
        let Some((name, w, header)) = &mut self.relations else {
            summary.leave_out_relations(
                doc,
                doc.relations.len(),
                "csv writes relations to a file beside the spans' file (-o FILE), not to standard output",
            );
            return Ok(());
        };
        let err = |e: csv::Error| {
            ExportError::Write(FileProblem::unwritable(name.clone(), e.to_string()))
        };
        for r in &doc.relations {
            let end = |e: &crate::model::relation::End| -> Option<[String; 5]> {
                Some(match &e.doc {
                    Some(o) => [
                        o.text.clone(),
                        e.span.to_string(),
                        o.start.to_string(),
                        o.end.to_string(),
                        o.exact.clone(),
                    ],
                    None => {
                        let s = doc.span(e.span)?;
                        [
                            doc.rel.to_owned(),
                            s.id.to_string(),
                            s.start.to_string(),
                            s.end.to_string(),
                            s.exact.clone(),
                        ]
                    }
                })
            };
            let (Some(from), Some(to)) = (end(&r.from), end(&r.to)) else {
                continue;
            };
            if !*header {
                w.write_record(RELATION_HEADER).map_err(err)?;
                *header = true;
            }
            let row = [
                doc.rel.to_owned(),
                doc.annotator.to_owned(),
                r.id.to_string(),
                r.kind.clone(),
            ]
            .into_iter()
            .chain(from)
            .chain(to)
            .chain([r.note.clone()]);
            w.write_record(row).map_err(err)?;
        }
        Ok(())
    }

    fn err(&self, e: csv::Error) -> ExportError {
        ExportError::Write(FileProblem::unwritable(self.shown.clone(), e.to_string()))
    }

    fn header(&mut self) -> Result<(), ExportError> {
        if !self.header_written {
            let row: Vec<String> = HEADER
                .iter()
                .map(|h| (*h).to_owned())
                .chain(self.columns.iter().map(|c| attribute_column(c)))
                .collect();
            self.w.write_record(&row).map_err(|e| self.err(e))?;
            self.header_written = true;
        }
        Ok(())
    }
}

impl DocWriter for CsvSink<'_> {
    fn document(
        &mut self,
        doc: &ExportDoc<'_>,
        summary: &mut ExportSummary,
    ) -> Result<(), ExportError> {
        self.relations(doc, summary)?;
        self.header()?;
        for s in &doc.spans {
            let (start, end) = (s.start.to_string(), s.end.to_string());
            let attrs = self
                .columns
                .iter()
                .map(|c| s.attrs.get(c).map_or("", String::as_str));
            let row = [
                doc.rel,
                doc.annotator,
                s.tag.as_str(),
                start.as_str(),
                end.as_str(),
                s.exact.as_str(),
                s.note.as_str(),
            ]
            .into_iter()
            .chain(attrs);
            self.w.write_record(row).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn finish(&mut self, _: &mut ExportSummary) -> Result<(), ExportError> {
        self.header()?;
        if let Some((name, w, _)) = &mut self.relations {
            w.flush().map_err(write_err(name))?;
        }
        self.w.flush().map_err(write_err(&self.shown))
    }
}
