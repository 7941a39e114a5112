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
    /// The text's first non-empty line, shortened.
    pub title: Option<String>,
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
    let title = read_title(ws, &rel);
    if !read_layer {
        return ScannedLine {
            index,
            title,
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
            title,
            status: d.layer().status,
            spans: d.layer().spans.len(),
            error: None,
            review,
            rel,
            layer_read: true,
        },
        Err(e) => ScannedLine {
            index,
            title,
            status: Status::NotStarted,
            spans: 0,
            error: Some(e.to_string()),
            review,
            rel,
            layer_read: true,
        },
    }
}

/// How much of each file is read for its title.
const TITLE_BYTES: u64 = 4096;

/// The title of text `rel` from the first [`TITLE_BYTES`] of its file; `None` if unreadable.
fn read_title(ws: &Workspace, rel: &str) -> Option<String> {
    use std::io::Read;
    let file = crate::store::open_regular(&ws.text_path(rel)?).ok()?;
    let mut head = Vec::with_capacity(TITLE_BYTES as usize);
    file.take(TITLE_BYTES).read_to_end(&mut head).ok()?;
    crate::wording::title_from_head(&head)
}
