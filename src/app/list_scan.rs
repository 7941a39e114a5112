//! Reads each document's layer for the document list on background threads, so that opening a
//! workspace with a 40 MB layer or 100,000 texts never blocks the window: the list shows its
//! names as soon as the folders are walked (on the scan's thread too when a workspace is opened)
//! and each line's status, span count or error fills in as it is read, by one thread per core,
//! each taking the next few documents from the top of the list.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use super::DocEntry;
use super::repaint::Repaint;
use crate::model::layer::Status;
use crate::session::document::Document;
use crate::session::list_cache::ListCache;
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
    /// The workspace's texts, sorted by path, when the scan walked the folders itself (made
    /// here: lower-casing 100,000 paths for the filter took the window's thread 20 ms).
    Listed(Vec<DocEntry>),
    /// One document read.
    Line(ScannedLine),
}

/// Where the scan sends its lines; dropping it stops the scan at the next document.
pub(super) type ListScan = mpsc::Receiver<ScanMsg>;

/// Starts reading `rels` (in this order) for `layer`, except the layer of `skip` (the document
/// being opened, which fills in its own line). Without `rels`, first walks the workspace for
/// its texts and sends them, and clears stray temp files once every line is sent. Wakes the
/// window when the names are listed and when the list is complete. Returns the error if no
/// thread could start.
pub(super) fn start(
    ws: &Workspace,
    layer: &str,
    rels: Option<Vec<String>>,
    skip: Option<String>,
    repaint: Repaint,
) -> std::io::Result<ListScan> {
    let (tx, rx) = mpsc::channel();
    let (ws, layer) = (ws.clone(), layer.to_owned());
    // The window, once there is one (a list read since before it was made has none yet).
    let wake = move || {
        if let Some(ctx) = repaint.get() {
            ctx.request_repaint();
        }
    };
    std::thread::Builder::new()
        .name("read document list".into())
        .spawn(move || {
            let walked = rels.is_none();
            let rels = match rels {
                Some(r) => r,
                None => {
                    let rels: Vec<String> = ws.texts().into_iter().map(|t| t.rel).collect();
                    let entries = make_entries(&rels);
                    if tx.send(ScanMsg::Listed(entries)).is_err() {
                        return;
                    }
                    // The names are shown at once, not at the list's next look.
                    wake();
                    rels
                }
            };
            let next = AtomicUsize::new(0);
            let reviews = has_reviews(&ws);
            let cache = ListCache::load(&ws, &layer, rels.len());
            let read = |tx: &mpsc::Sender<ScanMsg>| {
                read_lines(&ws, &cache, reviews, &rels, skip.as_deref(), &next, tx);
            };
            let helpers = std::thread::available_parallelism()
                .map_or(1, usize::from)
                .clamp(1, MAX_THREADS)
                - 1;
            std::thread::scope(|s| {
                for _ in 0..helpers.min(rels.len() / BATCH) {
                    let tx = tx.clone();
                    let read = &read;
                    let spawned = std::thread::Builder::new()
                        .name("read document list".into())
                        .spawn_scoped(s, move || read(&tx));
                    if spawned.is_err() {
                        break; // This thread reads them all.
                    }
                }
                read(&tx);
            });
            // The list is complete now, not at its next look.
            drop(tx);
            wake();
            if let Some(rel) = &skip {
                cache.keep(&ws, rel);
            }
            if let Err(e) = cache.save() {
                // Only the next listing is slower for it.
                eprintln!("marginalia: the document list's cache was not saved: {e}");
            }
            if walked {
                // Safe beside the window's saves: only old temp files no writer holds. After
                // the list, which it would otherwise delay by a walk of every layer folder.
                ws.clean_stray_temps();
            }
        })?;
    Ok(rx)
}

/// The list's entries for `rels`, made on two threads for a long list (100,000 texts: 25–70 ms
/// on one, while the list's reading waits for them).
fn make_entries(rels: &[String]) -> Vec<DocEntry> {
    let half = rels.len() / 2;
    if half < 5_000 {
        return rels.iter().cloned().map(DocEntry::new).collect();
    }
    let (a, b) = rels.split_at(half);
    let make = |part: &[String]| part.iter().cloned().map(DocEntry::new).collect::<Vec<_>>();
    std::thread::scope(|s| {
        let later = std::thread::Builder::new()
            .name("read document list".into())
            .spawn_scoped(s, || make(b));
        let mut entries = make(a);
        match later.ok().map(|h| h.join()) {
            Some(Ok(rest)) => entries.extend(rest),
            _ => entries.extend(make(b)),
        }
        entries
    })
}

/// At most this many threads read the list (one per core up to it): reading is mostly
/// parsing, and more would only take cores from the window.
const MAX_THREADS: usize = 4;

/// How many documents a thread takes at a time: the lines still fill in from the top.
const BATCH: usize = 32;

/// Reads the documents of `rels` a batch at a time, taking the next batch from `next`, and
/// sends their lines, until none is left or the list is no longer listening.
fn read_lines(
    ws: &Workspace,
    cache: &ListCache,
    reviews: bool,
    rels: &[String],
    skip: Option<&str>,
    next: &AtomicUsize,
    tx: &mpsc::Sender<ScanMsg>,
) {
    loop {
        let from = next.fetch_add(BATCH, Ordering::Relaxed);
        if from >= rels.len() {
            return;
        }
        for (index, rel) in rels.iter().enumerate().skip(from).take(BATCH) {
            let read_layer = skip != Some(rel.as_str());
            let line = scan_line(ws, cache, reviews, index, rel.clone(), read_layer);
            if tx.send(ScanMsg::Line(line)).is_err() {
                // A newer scan replaced this one: the others stop at their next batch.
                next.store(rels.len(), Ordering::Relaxed);
                return;
            }
        }
    }
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
    // One line: no cache (it is off below `CACHE_FROM` texts, and reads nothing then).
    let cache = ListCache::load(ws, layer, 1);
    scan_line(ws, &cache, has_reviews(ws), index, rel, read_layer)
}

/// Whether the workspace has a curated layer, whose files hold the review progress.
fn has_reviews(ws: &Workspace) -> bool {
    std::fs::symlink_metadata(ws.annotations_dir().join(crate::workspace::CURATED_LAYER)).is_ok()
}

/// [`scan_one`], with whether the workspace has a curated layer at all (looked at once for
/// the list rather than once a document).
fn scan_line(
    ws: &Workspace,
    cache: &ListCache,
    reviews: bool,
    index: usize,
    rel: String,
    read_layer: bool,
) -> ScannedLine {
    let review = reviews
        .then(|| crate::session::review::progress_of(ws, &rel).ok().flatten())
        .flatten();
    if !read_layer {
        let title = Document::read_title(ws, &rel);
        return ScannedLine {
            index,
            search: super::doc_list::haystack(&rel, title.as_deref()),
            title,
            status: Status::NotStarted,
            spans: 0,
            error: None,
            review,
            rel,
            layer_read: false,
        };
    }
    let (title, opened) = cache.glance(ws, &rel);
    let (status, spans, error) = match opened {
        Ok((status, spans)) => (status, spans, None),
        Err(e) => (Status::NotStarted, 0, Some(e)),
    };
    ScannedLine {
        index,
        search: super::doc_list::haystack(&rel, title.as_deref()),
        title,
        status,
        spans,
        error,
        review,
        rel,
        layer_read: true,
    }
}
