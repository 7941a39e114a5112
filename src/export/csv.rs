//! CSV export: one row per span — `document, annotator, tag, start, end, text, note` — quoted per
//! RFC 4180 (CRLF row ends, fields with quotes, commas or line breaks in double quotes).
//! Offsets are code points into the workspace text, which the CSV does not carry.

use std::io::Write;

use super::{DocSink, ExportDoc, ExportError, ExportSummary, write_err};

/// The header row.
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
}

impl<'w> CsvSink<'w> {
    pub(crate) fn new(w: &'w mut dyn Write, shown: &str) -> Self {
        Self {
            w: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(w),
            shown: shown.to_owned(),
            header_written: false,
        }
    }

    fn err(&self, e: csv::Error) -> ExportError {
        ExportError::Write {
            path: self.shown.clone(),
            reason: e.to_string(),
        }
    }

    fn header(&mut self) -> Result<(), ExportError> {
        if !self.header_written {
            self.w.write_record(HEADER).map_err(|e| self.err(e))?;
            self.header_written = true;
        }
        Ok(())
    }
}

impl DocSink for CsvSink<'_> {
    fn document(&mut self, doc: &ExportDoc<'_>, _: &mut ExportSummary) -> Result<(), ExportError> {
        self.header()?;
        for s in &doc.spans {
            let (start, end) = (s.start.to_string(), s.end.to_string());
            self.w
                .write_record([
                    doc.rel,
                    doc.annotator,
                    s.tag.as_str(),
                    start.as_str(),
                    end.as_str(),
                    s.exact.as_str(),
                    s.note.as_str(),
                ])
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn finish(&mut self, _: &mut ExportSummary) -> Result<(), ExportError> {
        self.header()?;
        self.w.flush().map_err(write_err(&self.shown))
    }
}
