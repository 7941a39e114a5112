//! Tag every hit of a find, in the open document or in every text of the workspace, and undo
//! or redo that in documents that are no longer open: find gives the hits, the document session
//! adds the spans as one undo step and saves them.

use crate::assist::find::{Hit, Matcher};
use crate::model::layer::Span;
use crate::model::tags::Tag;
use crate::session::document::Document;
use crate::workspace::Workspace;

/// What tagging every hit of one document did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tagged {
    pub added: usize,
    /// Hits that already carried exactly this span.
    pub already: usize,
    /// The new spans' ids.
    pub ids: Vec<u64>,
}

/// Tags every hit in `doc` with `tag`, as one undo step, in one merge over the layer (see
/// [`Document::add_spans_tagged`]); hits that already carry that exact span
/// are skipped.
pub fn tag_hits(doc: &mut Document, hits: &[Hit], tag: &Tag) -> Tagged {
    let r = doc.add_spans_tagged(hits, tag);
    Tagged {
        added: r.added.len(),
        already: r.already,
        ids: r.added,
    }
}

/// The spans one workspace "Tag all" added, document by document, kept while the window runs
/// so that it can be undone (and redone) in every document, open or not, closed and reopened
/// since: exactly these spans, by id, never one it did not add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceTagged {
    pub annotator: String,
    pub tag: String,
    /// Each document's text path and the spans added to its layer.
    pub docs: Vec<(String, Vec<Span>)>,
}

impl WorkspaceTagged {
    /// How many spans were added, in all documents.
    pub fn spans(&self) -> usize {
        self.docs.iter().map(|(_, s)| s.len()).sum()
    }

    /// The spans added to document `rel`, if any.
    pub fn of(&self, rel: &str) -> Option<&[Span]> {
        (self.docs.iter())
            .find(|(r, _)| r == rel)
            .map(|(_, s)| s.as_slice())
    }
}

/// The spans of `doc` with these ids, for a [`WorkspaceTagged`].
pub fn spans_with_ids(doc: &Document, ids: &[u64]) -> Vec<Span> {
    let ids: std::collections::HashSet<u64> = ids.iter().copied().collect();
    (doc.layer().spans.iter())
        .filter(|s| ids.contains(&s.id))
        .cloned()
        .collect()
}

/// What "tag all in workspace" did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceTagReport {
    /// Documents that got at least one new span.
    pub documents: usize,
    pub added: usize,
    pub already: usize,
    /// "rel: problem" for each document that could not be opened or saved.
    pub problems: Vec<String>,
    /// The spans added, per document, for undo.
    pub tagged: WorkspaceTagged,
    /// Stopped before the last document (Cancel): the documents after it were not looked at.
    pub stopped: bool,
}

/// Tags every hit of `m` in every text of `ws` with `tag` in `annotator`'s layers, document by
/// document, saving each at once. `skip` names a document the caller tags itself (the one open
/// in the window). `go_on(done, total)` is asked before each document; `false` stops there (what
/// was written so far stays, and the report says exactly what that was). The report's `tagged` says exactly which spans were added where (a document
/// whose save failed is not in it: its spans are not on disk).
pub fn tag_in_workspace(
    ws: &Workspace,
    annotator: &str,
    m: &Matcher,
    tag: &Tag,
    skip: Option<&str>,
    go_on: &dyn Fn(usize, usize) -> bool,
) -> WorkspaceTagReport {
    let mut report = WorkspaceTagReport {
        tagged: WorkspaceTagged {
            annotator: annotator.to_owned(),
            tag: tag.name.clone(),
            docs: Vec::new(),
        },
        ..WorkspaceTagReport::default()
    };
    let texts = ws.texts();
    for (i, entry) in texts.iter().enumerate() {
        if !go_on(i, texts.len()) {
            report.stopped = true;
            break;
        }
        if skip == Some(entry.rel.as_str()) {
            continue;
        }
        let mut doc = match Document::open(ws, &entry.rel, annotator, false) {
            Ok(d) => d,
            Err(e) => {
                report.problems.push(format!("{}: {e}", entry.rel));
                continue;
            }
        };
        let hits = m.find_all(doc.text().as_str());
        if hits.is_empty() {
            continue;
        }
        let t = tag_hits(&mut doc, &hits, tag);
        report.already += t.already;
        if t.added > 0 {
            match doc.save_now() {
                Ok(()) => {
                    report.added += t.added;
                    report.documents += 1;
                    let spans = spans_with_ids(&doc, &t.ids);
                    report.tagged.docs.push((entry.rel.clone(), spans));
                }
                Err(e) => report.problems.push(format!("{}: {e}", entry.rel)),
            }
        }
    }
    report
}

/// What undoing or redoing a workspace "Tag all" did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceUndoReport {
    /// Spans taken out or put back.
    pub spans: usize,
    /// Documents changed.
    pub documents: usize,
    /// "rel: problem" for each document that could not be opened or saved.
    pub problems: Vec<String>,
}

/// Undoes (`present` false: takes the spans out) or redoes (`present` true: puts them back
/// under their ids) a workspace "Tag all" in each document it changed but `skip` (the one the
/// caller changes itself): exactly the spans it added, by id; spans added or changed by anyone
/// since stay, and a span whose id is in use again is not put back. Each document is read from
/// disk now and saved at once, under the writer's lock, fingerprint check and merge.
/// `progress(done, total)` is told before each document. It cannot be stopped half-way: a step
/// is either done or undone in every document.
pub fn set_workspace_tagged(
    ws: &Workspace,
    tagged: &WorkspaceTagged,
    present: bool,
    skip: Option<&str>,
    progress: &dyn Fn(usize, usize),
) -> WorkspaceUndoReport {
    let mut report = WorkspaceUndoReport::default();
    for (i, (rel, spans)) in tagged.docs.iter().enumerate() {
        progress(i, tagged.docs.len());
        if skip == Some(rel.as_str()) || spans.is_empty() {
            continue;
        }
        let mut doc = match Document::open(ws, rel, &tagged.annotator, false) {
            Ok(d) => d,
            Err(e) => {
                report.problems.push(format!("{rel}: {e}"));
                continue;
            }
        };
        if let Some(reason) = doc.read_only_reason() {
            report.problems.push(format!("{rel}: {reason}"));
            continue;
        }
        let n = if present {
            doc.restore_spans(spans)
        } else {
            doc.delete_spans(&spans.iter().map(|s| s.id).collect())
        };
        if n == 0 {
            continue;
        }
        match doc.save_now() {
            Ok(()) => {
                report.spans += n;
                report.documents += 1;
            }
            Err(e) => report.problems.push(format!("{rel}: {e}")),
        }
    }
    report
}
