//! Reads each document's layer for the document list on a background thread, so that opening a
//! workspace with a 40 MB layer or 100,000 texts never blocks the window: the list shows its
//! names as soon as the folders are walked (on this thread too when a workspace is opened) and
//! each line's status, span count or error fills in as it is read.

use std::sync::mpsc;

use crate::model::layer::Status;
use crate::session::document::Document;
use crate::workspace::Workspace;

/// What the scan found for one document of the list.
pub(super) struct ScannedLine {
    /// Position in the list when the scan started.
    pub index: usize,
    pub rel: String,
    /// The text's first non-empty line, shortened.
    pub title: Option<String>,
    /// What the list's filter searches (made here, off the window's thread).
    pub search: String,
    pub status: Status,
    pub spans: usize,
    pub error: Option<String>,
    /// Review progress from its curated file: (decided, total, reviewed).
    pub review: Option<(usize, usize, bool)>,
    /// False for the document being opened: its line comes from the open document.
    pub layer_read: bool,
}

/// What the scan sends.
pub(super) enum ScanMsg {
    /// The workspace's texts, sorted by path, when the scan walked the folders itself.
    Listed(Vec<String>),
    /// One document read.
    Line(ScannedLine),
}

/// Where the scan sends its lines; dropping it stops the scan at the next document.
pub(super) type ListScan = mpsc::Receiver<ScanMsg>;

/// Starts reading `rels` (in this order) for `layer`, except the layer of `skip` (the document
/// being opened, which fills in its own line). Without `rels`, first clears stray temp files
/// and walks the workspace for its texts, and sends them. Returns the error if no thread could
/// start.
pub(super) fn start(
    ws: &Workspace,
    layer: &str,
    rels: Option<Vec<String>>,
    skip: Option<String>,
) -> std::io::Result<ListScan> {
    let (tx, rx) = mpsc::channel();
    let (ws, layer) = (ws.clone(), layer.to_owned());
    std::thread::Builder::new()
        .name("read document list".into())
        .spawn(move || {
            let rels = match rels {
                Some(r) => r,
                None => {
                    let rels: Vec<String> = ws.texts().into_iter().map(|t| t.rel).collect();
                    if tx.send(ScanMsg::Listed(rels.clone())).is_err() {
                        return;
                    }
                    // Safe beside the window's saves: only old temp files no writer holds.
                    ws.clean_stray_temps();
                    rels
                }
            };
            for (index, rel) in rels.into_iter().enumerate() {
                let read_layer = skip.as_deref() != Some(rel.as_str());
                let line = scan_one(&ws, &layer, index, rel, read_layer);
                if tx.send(ScanMsg::Line(line)).is_err() {
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
    let review = crate::session::review::progress_of(ws, &rel).ok().flatten();
    let title = read_title(ws, &rel);
    let search = super::doc_list::haystack(&rel, title.as_deref());
    if !read_layer {
        return ScannedLine {
            index,
            search,
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
            search,
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
            search,
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
