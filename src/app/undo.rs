//! Undo and redo in the window: the open document's history first, with what lives outside its
//! layer carried along (a rejected suggestion's entry in the rejections file, the spans a
//! workspace "Tag all" added to other documents), then the workspace "Tag all" steps that the
//! open document's history does not hold. The status line names what was undone or redone.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::find::{WorkspaceTagged, WorkspaceUndoReport, set_workspace_tagged};
use crate::suggest::rejections::{self, Rejected};

use super::MarginaliaApp;

/// One workspace "Tag all", kept while the window runs.
#[derive(Debug, Clone)]
pub struct WorkspaceStep {
    /// The workspace it was made in.
    pub root: PathBuf,
    pub tagged: WorkspaceTagged,
    /// Whether its spans are in place (done) or taken out (undone).
    pub present: bool,
}

/// Ctrl+Z (`undo`) or Ctrl+Shift+Z.
pub(super) fn undo_redo(app: &mut MarginaliaApp, undo: bool) {
    let verb = if undo { "Undone" } else { "Redone" };
    let done = app.open.as_mut().and_then(|o| {
        if undo {
            o.doc.undo_step()
        } else {
            o.doc.redo_step()
        }
    });
    let Some(done) = done else {
        // The open document has nothing (more): a workspace "Tag all" it does not hold.
        let steps = &app.ws_find.steps;
        let root = app.ws.as_ref().map(|w| w.root().to_path_buf());
        let mine = |s: &&WorkspaceStep| Some(&s.root) == root.as_ref() && s.present == undo;
        let pick = if undo {
            steps.iter().rposition(|s| mine(&s))
        } else {
            steps.iter().position(|s| mine(&s))
        };
        app.status_line = match pick {
            Some(i) => {
                let (n, extra) = set_step(app, i, !undo, true);
                let tag = &app.ws_find.steps[i].tagged.tag;
                format!(
                    "{verb}: tag all in workspace as {tag} ({} in {}){extra}",
                    crate::wording::plural(n.spans, "span"),
                    crate::wording::plural(n.documents, "document"),
                )
            }
            None if undo => "Nothing to undo".into(),
            None => "Nothing to redo".into(),
        };
        return;
    };
    app.after_edit();
    app.note_for = None;
    let mut extra = String::new();
    if !done.rejections.is_empty()
        && let Err(e) = set_rejections(app, &done.rejections, !undo)
    {
        extra.push_str(&format!("; the rejections file was not changed: {e}"));
    }
    for &(step, present) in &done.elsewhere {
        let Ok(i) = usize::try_from(step) else {
            continue;
        };
        if app
            .ws_find
            .steps
            .get(i)
            .is_some_and(|s| s.present != present)
        {
            let (r, more) = set_step(app, i, present, false);
            if r.documents > 0 {
                extra.push_str(&format!(
                    "; {} in {} other {}",
                    crate::wording::plural(r.spans, "span"),
                    r.documents,
                    if r.documents == 1 {
                        "document"
                    } else {
                        "documents"
                    }
                ));
            }
            extra.push_str(&more);
        }
    }
    app.status_line = format!("{verb}: {}{extra}", done.what);
    if let Some(id) = done.touched
        && app.open.as_ref().is_some_and(|o| o.position(id).is_some())
    {
        app.select_span(id, true);
    }
}

/// Puts rejections back in the file (`rejected`) or takes them out, and tells the suggestions.
fn set_rejections(
    app: &mut MarginaliaApp,
    list: &[Rejected],
    rejected: bool,
) -> Result<(), crate::suggest::SuggestError> {
    let Some(ws) = &app.ws else { return Ok(()) };
    let annotator = &app.prefs.annotator;
    if rejected {
        rejections::reject_again(ws, annotator, list)?;
    } else {
        rejections::unreject(ws, annotator, list)?;
    }
    super::suggestions::rejections_changed(app, list, rejected);
    Ok(())
}

/// Puts workspace step `i`'s spans back (`present`) or takes them out, in every document; the
/// open one through its editor if `include_open` (else its history did it already). Returns
/// what was done and a note on what failed.
fn set_step(
    app: &mut MarginaliaApp,
    i: usize,
    present: bool,
    include_open: bool,
) -> (WorkspaceUndoReport, String) {
    let Some(ws) = app.ws.clone() else {
        return (WorkspaceUndoReport::default(), String::new());
    };
    let tagged = app.ws_find.steps[i].tagged.clone();
    let mut report = WorkspaceUndoReport::default();
    // The open document of this layer is changed in memory, where its edits live.
    let live = app
        .open
        .as_ref()
        .filter(|o| !o.doc.is_read_only() && o.doc.layer().annotator == tagged.annotator)
        .map(|o| o.doc.rel().to_owned());
    if include_open
        && let Some(rel) = &live
        && let Some(spans) = tagged.of(rel)
        && let Some(open) = &mut app.open
    {
        let n = if present {
            open.doc.put_back_spans(spans)
        } else {
            open.doc
                .take_out_spans(&spans.iter().map(|s| s.id).collect::<HashSet<u64>>())
        };
        if n > 0 {
            report.spans += n;
            report.documents += 1;
            app.after_edit();
        }
    }
    let rest = set_workspace_tagged(&ws, &tagged, present, live.as_deref());
    report.spans += rest.spans;
    report.documents += rest.documents;
    report.problems.extend(rest.problems);
    app.ws_find.steps[i].present = present;
    app.reload_entries();
    let mut note = String::new();
    if let Some(p) = report.problems.first() {
        note = format!(
            "; {} failed ({p})",
            crate::wording::plural(report.problems.len(), "document")
        );
    }
    (report, note)
}
