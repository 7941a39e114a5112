//! Undo and redo in the window: the open document's history first, with what lives outside its
//! layer carried along (a rejected suggestion's entry in the rejections file, the spans a
//! workspace "Tag all" added to other documents), then the workspace "Tag all" steps that the
//! open document's history does not hold. The status line names what was undone or redone.

use std::collections::HashSet;

use crate::assist::suggest::rejections::{self, Rejected};
use crate::session::tag_all::WorkspaceUndoReport;

use super::MarginaliaApp;
use super::workspace_find::WorkspaceStep;

/// Whether a workspace "Tag all" of this workspace can be undone (`undo`) or redone from the
/// workspace's list (when the open document's history has nothing more).
pub(super) fn workspace_step_waits(app: &MarginaliaApp, undo: bool) -> bool {
    let root = app.ws.as_ref().map(|w| w.root());
    (app.ws_find.steps.iter()).any(|s| Some(s.root.as_path()) == root && s.present == undo)
}

/// Ctrl+Z (`undo`) or Ctrl+Shift+Z.
pub(super) fn undo_redo(app: &mut MarginaliaApp, undo: bool) {
    // A tag all going a slice a frame has not finished its undo step yet.
    if super::find_bar::bulk_running(app) {
        return;
    }
    // A workspace "Tag all" or its undo is still writing documents: its step is not complete.
    if let Some(status) = app.ws_find.job_status() {
        app.status_line = format!("{status} Undo and redo wait until it is done");
        return;
    }
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
        match pick {
            Some(i) => {
                let tag = app.ws_find.steps[i].tagged.tag.clone();
                set_steps(app, &[i], !undo, true, verb.into(), Some(tag));
            }
            None if undo => app.status_line = "Nothing to undo".into(),
            None => app.status_line = "Nothing to redo".into(),
        }
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
    app.status_line = format!("{verb}: {}{extra}", done.what);
    // The other documents of a workspace "Tag all" in this step, on a thread.
    let steps: Vec<usize> = (done.elsewhere.iter())
        .filter_map(|&(step, present)| {
            let i = usize::try_from(step).ok()?;
            (app.ws_find.steps.get(i)).and_then(|s| (s.present != present).then_some(i))
        })
        .collect();
    if let Some(&(_, present)) = done.elsewhere.first()
        && !steps.is_empty()
    {
        let head = app.status_line.clone();
        set_steps(app, &steps, present, false, head, None);
    }
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
) -> Result<(), crate::assist::suggest::SuggestError> {
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

/// Puts workspace steps' spans back (`present`) or takes them out, in every document: the open
/// one through its editor at once if `include_open` (else its history did it already), the
/// others on a thread (see `workspace_find::start_set`), whose end words the status line
/// from `head` (and, for a `whole` step undone from the workspace's list, its tag).
fn set_steps(
    app: &mut MarginaliaApp,
    steps: &[usize],
    present: bool,
    include_open: bool,
    head: String,
    whole: Option<String>,
) {
    let mut open_report = WorkspaceUndoReport::default();
    // The open document of this layer is changed in memory, where its edits live.
    let mut skip = None;
    let mut sets = Vec::new();
    for &i in steps {
        let tagged = app.ws_find.steps[i].tagged.clone();
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
                open_report.spans += n;
                open_report.documents += 1;
                app.after_edit();
            }
        }
        skip = live;
        app.ws_find.steps[i].present = present;
        sets.push((tagged, present));
    }
    super::workspace_find::start_set(app, sets, skip, head, open_report, whole);
}
