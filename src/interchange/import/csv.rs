//! Reads Marginalia's CSV export (`document, annotator, tag, start, end, text, note`). The CSV
//! does not carry texts, so each document must already be in the workspace. Consecutive rows
//! of the same document and annotator make one document.

use std::path::Path;

use super::{ImportError, IncomingSpan, Intake};

pub(crate) fn read(source: &Path, to: Intake<'_>) -> Result<(), ImportError> {
    let Intake(sink, stats, progress) = to;
    let shown = source.display().to_string();
    let (input, total) = super::open_source(source)?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| ImportError::read(shown.clone(), e.to_string()))?;
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let (Some(c_doc), Some(c_tag), Some(c_start), Some(c_end)) =
        (col("document"), col("tag"), col("start"), col("end"))
    else {
        return Err(ImportError::read(
            shown,
            "the header must name the columns document, tag, start and end",
        ));
    };
    let (c_ann, c_text, c_note) = (col("annotator"), col("text"), col("note"));
    let mut docs = super::Consecutive::default();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                stats.rejected.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let pos = record.position().map(|p| (p.line(), p.byte() as usize));
        let (line, byte) = pos.unwrap_or((0, 0));
        if !progress(byte, total) {
            return Err(ImportError::Cancelled { done: stats.done });
        }
        let origin = format!("{shown}:{line}");
        let field = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("");
        let doc = field(Some(c_doc)).to_owned();
        let annotator = field(c_ann).to_owned();
        let (Ok(start), Ok(end)) = (
            field(Some(c_start)).trim().parse::<usize>(),
            field(Some(c_end)).trim().parse::<usize>(),
        ) else {
            stats
                .rejected
                .push(format!("{origin}: start and end must be whole numbers"));
            continue;
        };
        let span = IncomingSpan {
            note: field(c_note).to_owned(),
            stated: c_text.map(|_| field(c_text).to_owned()),
            ..IncomingSpan::new(start, end, field(Some(c_tag)), origin.clone())
        };
        docs.push(&doc, annotator, span, origin, sink, stats)?;
    }
    docs.finish(sink, stats)?;
    progress(total, total);
    Ok(())
}
