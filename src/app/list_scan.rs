//! Reads each document's layer for the document list on a background thread, so that opening a
//! workspace with a 40 MB layer or 10,000 texts never blocks the window: the list shows its
//! names at once and each line's status, span count or error fills in as it is read.

use std::sync::mpsc;

use crate::document::Document;
use crate::layer::Status;
use crate::workspace::Workspace;

/// What the scan found for one document of the list.
pub(super) struct ScannedLine {
    /// Position in the list when the scan started.
    pub index: usize,
    pub rel: String,
    pub status: Status,
    pub spans: usize,
    pub error: Option<String>,
    /// Review progress from its curated file: (decided, total, reviewed).
    pub review: Option<(usize, usize, bool)>,
    /// False for the document being opened: its line comes from the open document.
    pub layer_read: bool,
}

/// Where the scan sends its lines; dropping it stops the scan at the next document.
pub(super) type ListScan = mpsc::Receiver<ScannedLine>;

/// Starts reading `rels` (in this order) for `layer`, except the layer of `skip` (the document
/// being opened, which fills in its own line). Returns the error if no thread could start.
pub(super) fn start(
    ws: &Workspace,
    layer: &str,
    rels: Vec<String>,
    skip: Option<String>,
) -> std::io::Result<ListScan> {
    let (tx, rx) = mpsc::channel();
    let (ws, layer) = (ws.clone(), layer.to_owned());
    std::thread::Builder::new()
        .name("read document list".into())
        .spawn(move || {
            for (index, rel) in rels.into_iter().enumerate() {
                let read_layer = skip.as_deref() != Some(rel.as_str());
                let line = scan_one(&ws, &layer, index, rel, read_layer);
                if tx.send(line).is_err() {
                    return; // A newer scan replaced this one.
                }
            }
        })?;
    Ok(rx)
}

/// Reads one document the way opening it would, read-only, and keeps only what the list shows.
/// Without `read_layer` only the review progress is read (`layer_read` says which).
pub(super) fn scan_one(
    ws: &Workspace,
    layer: &str,
    index: usize,
    rel: String,
    read_layer: bool,
) -> ScannedLine {
    let review = crate::review::progress_of(ws, &rel).ok().flatten();
    if !read_layer {
        return ScannedLine {
            index,
            status: Status::NotStarted,
            spans: 0,
            error: None,
            review,
            rel,
            layer_read: false,
        };
    }
    match Document::open(ws, &rel, layer, true) {
        Ok(d) => ScannedLine {
            index,
            status: d.layer().status,
            spans: d.layer().spans.len(),
            error: None,
            review,
            rel,
            layer_read: true,
        },
        Err(e) => ScannedLine {
            index,
            status: Status::NotStarted,
            spans: 0,
            error: Some(e.to_string()),
            review,
            rel,
            layer_read: true,
        },
    }
}
