//! CSV export: one row per span — `document, annotator, tag, start, end, text, note` — quoted per
//! RFC 4180 (CRLF row ends, fields with quotes, commas or line breaks in double quotes).
//! Offsets are code points into the workspace text, which the CSV does not carry.
//!
//! Then one column per attribute of the tag set, named `attr:<name>`: in tag order, then each
//! tag's attribute order, each name once (`error` and `boilerplate` share `attr:kind`). A span
//! fills the columns it has values for; attributes the schema does not declare are left out.

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

pub(crate) struct CsvSink<'w> {
    w: csv::Writer<&'w mut dyn Write>,
    shown: String,
    header_written: bool,
    /// Attribute names, one column each after [`HEADER`].
    columns: Vec<String>,
}

/// The header cell of an attribute's column.
pub fn attribute_column(name: &str) -> String {
    format!("attr:{name}")
}

impl<'w> CsvSink<'w> {
    pub(crate) fn new(w: &'w mut dyn Write, shown: &str, columns: Vec<String>) -> Self {
        Self {
            w: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(w),
            shown: shown.to_owned(),
            header_written: false,
            columns,
        }
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
    fn document(&mut self, doc: &ExportDoc<'_>, _: &mut ExportSummary) -> Result<(), ExportError> {
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
        self.w.flush().map_err(write_err(&self.shown))
    }
}
