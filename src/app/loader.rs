//! Opens a document on background threads, so that the window never waits for a big layer;
//! the document the window starts on begins loading before the window exists ([`Preload`]),
//! while the window and its OpenGL context are made, and so does the reading of its list.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use super::list_scan::{self, ListScan};
use super::repaint::Repaint;
use super::text_view::TextView;
use super::{Loaded, Loading, Prefs, Preview, StartOptions, frame_stats};
use crate::session::document::Document;
use crate::session::layer_index::LayerIndex;
use crate::workspace::Workspace;

/// Starts reading text `rel` of `ws` and `layer`'s layer of it on background threads. With
/// `timed`, the loader prints how long each step took.
///
/// # Errors
/// No thread could be started.
pub(super) fn spawn(
    ws: Workspace,
    rel: &str,
    layer: &str,
    read_only: bool,
    timed: bool,
    repaint: Repaint,
) -> std::io::Result<Loading> {
    let (tx, rx) = mpsc::channel();
    let (rel_owned, layer) = (rel.to_owned(), layer.to_owned());
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = cancel.clone();
    std::thread::Builder::new()
        .name("open document".into())
        .spawn(move || {
            let send = |loaded| {
                let _ = tx.send(loaded);
                if let Some(ctx) = repaint.get() {
                    ctx.request_repaint();
                }
            };
            let stopped = || stop.load(Ordering::Relaxed);
            let (t0, c0) = (Instant::now(), frame_stats::thread_cpu_ms());
            // The layer file is read and parsed on a second thread while this one reads the
            // text (at 10 MB with 100,000 spans they take about as long as each other).
            let (text, read, t1) = std::thread::scope(|s| {
                let layer_job = std::thread::Builder::new()
                    .name("open document: layer".into())
                    .spawn_scoped(s, || Document::read_layer(&ws, &rel_owned, &layer));
                let text = Document::load_text(&ws, &rel_owned).inspect(|text| {
                    send(Loaded::Text(Box::new(Preview {
                        text: text.clone(),
                        view: TextView::new(text),
                        no_spans: crate::model::span_index::SpanIndex::build(&[]),
                    })));
                });
                let t1 = Instant::now();
                let read = match layer_job {
                    Ok(job) => job
                        .join()
                        .unwrap_or_else(|_| Document::read_layer(&ws, &rel_owned, &layer)),
                    Err(_) => Document::read_layer(&ws, &rel_owned, &layer),
                };
                (text, read, t1)
            });
            let text = match text {
                Ok(t) => t,
                Err(e) => return send(Loaded::Done(Box::new(Err(e)))),
            };
            if stopped() {
                return;
            }
            let doc = read.and_then(|r| {
                Document::open_with_read(&ws, &rel_owned, text, &layer, r, read_only)
            });
            let t2 = Instant::now();
            if stopped() {
                return;
            }
            let opened = doc.map(|d| {
                let index = LayerIndex::build(&d.layer().spans);
                (d, index)
            });
            // The layer file's hash, left for later by `read_layer`, is taken once the
            // document is on its way to the window, not before it.
            let fingerprint = opened.as_ref().ok().and_then(|(d, _)| d.fingerprint());
            if timed {
                let ms = |d: Duration| d.as_secs_f64() * 1000.0;
                let cpu = c0
                    .zip(frame_stats::thread_cpu_ms())
                    .map_or(0.0, |(a, b)| b - a);
                eprintln!(
                    "opened {rel_owned}: text and view {:.1} ms, then the layer (read on a \
                     second thread meanwhile) and its checks {:.1} ms, index {:.1} ms \
                     (wall); the loader thread's CPU {cpu:.1} ms",
                    ms(t1 - t0),
                    ms(t2 - t1),
                    ms(t2.elapsed())
                );
            }
            send(Loaded::Done(Box::new(opened)));
            if let Some(fp) = fingerprint {
                fp.settle();
            }
        })?;
    Ok(Loading {
        rel: rel.to_owned(),
        rx,
        since: Instant::now(),
        preview: None,
        cancel,
    })
}

/// The document the window will start on, loading since before the window was made: creating
/// the window and its OpenGL context takes about 55 ms, which the loader no longer waits out.
/// The window takes it only when it opens that very document in that workspace with that
/// layer; otherwise it is cancelled. The workspace's document list is read from then on too
/// (its texts walked, then each one's line), which the window takes when it lists that
/// workspace for that layer.
pub(super) struct Preload {
    root: PathBuf,
    layer: String,
    /// The first document (what the list skips), if the window will open one.
    rel: Option<String>,
    loading: Option<Loading>,
    list: Option<ListScan>,
    repaint: Repaint,
}

impl Preload {
    /// Starts loading the document the window will open first, as [`super::MarginaliaApp::new`]
    /// will choose it: the text file given, or the workspace's remembered document, with the
    /// annotator given or remembered; and starts reading that workspace's document list.
    /// `None` when the workspace cannot be told.
    pub(super) fn start(start: &StartOptions) -> Option<Preload> {
        let mut prefs = if start.persist {
            stored_prefs().unwrap_or_default()
        } else {
            Prefs::default()
        };
        prefs.take_annotator(start);
        let path = if start.reopen_last {
            prefs.last_workspace.clone().filter(|p| p.is_dir())?
        } else {
            start.path.clone()
        };
        let ws = Workspace::open(&path).ok()?;
        let rel = if path.is_file() {
            Some(ws.rel_of(&path).ok()?)
        } else if prefs.last_workspace.as_deref() == Some(ws.root()) {
            prefs.last_document.clone()
        } else {
            None
        };
        let root = ws.root().to_path_buf();
        let timed = std::env::var("MARGINALIA_FRAME_STATS").is_ok_and(|v| v == "1");
        let repaint = Repaint::default();
        let loading = (rel.as_deref()).and_then(|rel| {
            spawn(
                ws.clone(),
                rel,
                &prefs.annotator,
                false,
                timed,
                repaint.clone(),
            )
            .ok()
        });
        let list = list_scan::start(&ws, &prefs.annotator, None, rel.clone(), repaint.clone()).ok();
        Some(Preload {
            root,
            layer: prefs.annotator,
            rel,
            loading,
            list,
            repaint,
        })
    }

    /// Stops the load and the list's reading: the window opened another workspace, or none.
    pub(super) fn cancel(self) {
        if let Some(loading) = self.loading {
            loading.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// The load, if it is of `rel` in the workspace at `root` with `layer`, writable; else it
    /// is stopped and `None`.
    pub(super) fn take(
        &mut self,
        root: &std::path::Path,
        rel: &str,
        layer: &str,
        read_only: bool,
        ctx: &egui::Context,
    ) -> Option<Loading> {
        let loading = self.loading.take()?;
        if self.root == root
            && self.rel.as_deref() == Some(rel)
            && self.layer == layer
            && !read_only
        {
            let _ = self.repaint.set(ctx.clone());
            Some(loading)
        } else {
            loading.cancel.store(true, Ordering::Relaxed);
            None
        }
    }

    /// The document list's reading, if it is of the workspace at `root` for `layer`, skipping
    /// `skip` (the document the window opens); else it is stopped and `None`.
    pub(super) fn take_list(
        &mut self,
        root: &std::path::Path,
        layer: &str,
        skip: Option<&str>,
        ctx: &egui::Context,
    ) -> Option<ListScan> {
        let list = self.list.take()?;
        if self.root == root && self.layer == layer && self.rel.as_deref() == skip {
            let _ = self.repaint.set(ctx.clone());
            Some(list)
        } else {
            None // Dropping it stops the reading.
        }
    }
}

/// The preferences eframe stored at the last exit (`~/.local/share/marginalia/app.ron`), read
/// as eframe will read them for the window; `None` when there are none or they do not parse.
fn stored_prefs() -> Option<Prefs> {
    let file = eframe::storage_dir("Marginalia")?.join("app.ron");
    let bytes = crate::store::read_limited(&file, 1 << 20).ok()?;
    let kv: std::collections::HashMap<String, String> = ron::de::from_bytes(&bytes).ok()?;
    ron::from_str(kv.get(eframe::APP_KEY)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start_on(path: PathBuf) -> StartOptions {
        StartOptions {
            annotator: Some("ed".into()),
            persist: false,
            ..StartOptions::new(path)
        }
    }

    /// The text file given on the command line starts loading before the window exists; the
    /// window takes that load only for that document and layer, and it holds the document.
    #[test]
    fn a_preload_serves_only_the_document_and_layer_it_loads() {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = dir.path().join("a.txt");
        std::fs::write(&text, "The minister said it twice.\n").expect("write");
        let ctx = egui::Context::default();
        let root = Workspace::open(dir.path())
            .expect("workspace")
            .root()
            .to_path_buf();

        let mut other_layer = Preload::start(&start_on(text.clone())).expect("a text was given");
        assert!(
            other_layer
                .take(&root, "a.txt", "someone", false, &ctx)
                .is_none()
        );
        let mut read_only = Preload::start(&start_on(text.clone())).expect("a text was given");
        assert!(read_only.take(&root, "a.txt", "ed", true, &ctx).is_none());

        let mut preload = Preload::start(&start_on(text)).expect("a text was given");
        let loading = preload
            .take(&root, "a.txt", "ed", false, &ctx)
            .expect("the same document");
        let deadline = Instant::now() + Duration::from_secs(20);
        let opened = loop {
            match loading
                .rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(Loaded::Done(done)) => break *done,
                Ok(Loaded::Text(_)) => {}
                Err(e) => panic!("no document: {e}"),
            }
        };
        let (doc, _) = opened.expect("it opens");
        assert_eq!(
            (doc.rel(), doc.text().as_str()),
            ("a.txt", "The minister said it twice.\n")
        );

        // The list is read meanwhile, skipping that document, and taken only for it.
        assert!(preload.take_list(&root, "ed", None, &ctx).is_none());
        let list = (Preload::start(&start_on(dir.path().join("a.txt"))))
            .and_then(|mut p| p.take_list(&root, "ed", Some("a.txt"), &ctx))
            .expect("the same workspace, layer and document");
        let listed = list
            .recv_timeout(Duration::from_secs(20))
            .expect("a listing");
        let super::list_scan::ScanMsg::Listed(entries) = listed else {
            panic!("the texts are listed first");
        };
        assert_eq!(
            entries.iter().map(|e| e.rel.as_str()).collect::<Vec<_>>(),
            ["a.txt"]
        );

        // A folder with no remembered document: no document to preload, but its list.
        std::fs::write(dir.path().join("b.txt"), "Another.\n").expect("write");
        let mut folder = Preload::start(&start_on(dir.path().to_path_buf())).expect("a workspace");
        assert!(folder.take(&root, "a.txt", "ed", false, &ctx).is_none());
        assert!(
            folder.take_list(&root, "ed", Some("a.txt"), &ctx).is_none(),
            "skips none"
        );
        let mut folder = Preload::start(&start_on(dir.path().to_path_buf())).expect("a workspace");
        assert!(
            folder.take_list(&root, "someone", None, &ctx).is_none(),
            "another layer"
        );
        let mut folder = Preload::start(&start_on(dir.path().to_path_buf())).expect("a workspace");
        let list = folder.take_list(&root, "ed", None, &ctx).expect("its list");
        let mut lines = Vec::new();
        while let Ok(msg) = list.recv_timeout(Duration::from_secs(20)) {
            if let super::list_scan::ScanMsg::Line(line) = msg {
                lines.push((line.rel, line.title));
            }
        }
        lines.sort();
        assert_eq!(
            lines,
            [
                (
                    "a.txt".to_owned(),
                    Some("The minister said it twice.".to_owned())
                ),
                ("b.txt".to_owned(), Some("Another.".to_owned()))
            ]
        );
    }
}
