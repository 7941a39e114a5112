//! Find in the whole workspace (Ctrl+Shift+F): a window that searches every text on a
//! background thread through [`crate::assist::find::search_workspace`] and lists the hits as
//! keyword-in-context lines grouped by document; a click opens the document at the hit.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use egui::{Key, RichText};

use crate::assist::find::{DocHits, FindOptions, Matcher};
use crate::session::tag_all::{WorkspaceTagReport, WorkspaceTagged, WorkspaceUndoReport};

use super::transfer::Progress;
use super::{Command, MarginaliaApp, theme};

/// One workspace "Tag all", kept while the window runs.
#[derive(Debug, Clone)]
pub struct WorkspaceStep {
    /// The workspace it was made in.
    pub root: PathBuf,
    pub tagged: WorkspaceTagged,
    /// Whether its spans are in place (done) or taken out (undone).
    pub present: bool,
}

const FIELD: &str = "workspace find field";

type Results = (Vec<DocHits>, Vec<String>);

/// The window's state.
#[derive(Default)]
pub struct WorkspaceFind {
    open: bool,
    query: String,
    options: FindOptions,
    focus: bool,
    running: Option<(mpsc::Receiver<Results>, Arc<AtomicBool>)>,
    results: Option<Results>,
    error: Option<String>,
    /// What `results` were found for.
    searched: Option<(String, FindOptions)>,
    /// The tag chosen for "Tag all in workspace", and whether the question is showing.
    tag: String,
    asking: bool,
    /// Every "Tag all in workspace" made while the window runs, for undo (src/app/undo.rs);
    /// a step's number is its index.
    pub(super) steps: Vec<WorkspaceStep>,
    /// A "Tag all in workspace", or its undo or redo, writing the documents on a thread.
    job: Option<Job>,
    /// The hit opened from the list (document, char, frames left to watch it once its document
    /// is drawn): the window makes room for it, which opened under the window would be hidden.
    clear_of: Option<(String, usize, u8)>,
    /// Where the window was last drawn.
    rect: Option<egui::Rect>,
}

impl Drop for WorkspaceFind {
    fn drop(&mut self) {
        if let Some((_, stop)) = &self.running {
            stop.store(true, Ordering::Relaxed);
        }
        if let Some(job) = &self.job {
            job.progress.stop.store(true, Ordering::Relaxed);
        }
    }
}

/// Writing every document of a workspace takes a while (each is read, changed and saved), so a
/// "Tag all in workspace" and its undo and redo run on a thread, and the window keeps drawing:
/// the Find window shows how far it is, with Cancel for a tag all.
struct Job {
    rx: mpsc::Receiver<Outcome>,
    /// Documents looked at so far, of how many, and whether it is asked to stop.
    progress: Progress,
    /// "Tagging", "Undoing", "Redoing".
    doing: &'static str,
    then: Then,
    /// The window was asked to close (`Some(true)`: by a signal) while the job ran: it closes
    /// when the job is done.
    close_after: Option<bool>,
}

enum Outcome {
    Tagged(WorkspaceTagReport),
    Set(WorkspaceUndoReport),
}

/// What to do with the outcome: the parts done in the open document while the job was
/// started, and the words of the status line.
enum Then {
    Tagged {
        tag: String,
        /// What the open document got: (its path, added spans, hits tagged already).
        open: Option<(String, Vec<crate::model::layer::Span>, usize)>,
    },
    Set {
        /// Status line up to the figures: "Undone: tag 3 spans as quote", or for a step the
        /// open document's history did not hold, the step's own description.
        head: String,
        /// What was done in the open document (counted into the figures when `whole`).
        open: WorkspaceUndoReport,
        /// The whole step was undone or redone from the workspace's list (its figures are
        /// all its documents), not alongside the open document's own undo.
        whole: Option<String>,
    },
}

impl WorkspaceFind {
    /// Whether the window is open.
    pub(super) fn is_open(&self) -> bool {
        self.open
    }

    /// What a running workspace job is doing, as a status line ("Tagging 12 of 300
    /// documents…"), if one runs.
    pub(super) fn job_status(&self) -> Option<String> {
        let job = self.job.as_ref()?;
        Some(format!(
            "{} the workspace: {} of {} documents…",
            job.doing,
            job.progress.done.load(Ordering::Relaxed),
            job.progress.total.load(Ordering::Relaxed)
        ))
    }
}

/// Starts `work` on a thread; its outcome is taken by [`poll_job`].
fn spawn_job(
    w: &mut WorkspaceFind,
    doing: &'static str,
    then: Then,
    ctx: egui::Context,
    work: impl FnOnce(&dyn Fn(usize, usize) -> bool) -> Outcome + Send + 'static,
) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    let progress = Progress::default();
    let shared = progress.clone();
    std::thread::Builder::new()
        .name("workspace tag all".into())
        .spawn(move || {
            let go_on = |d: usize, t: usize| shared.report(&ctx, d, t);
            let _ = tx.send(work(&go_on));
            ctx.request_repaint();
        })
        .map_err(|e| format!("cannot start: {e}"))?;
    w.job = Some(Job {
        rx,
        progress,
        doing,
        then,
        close_after: None,
    });
    Ok(())
}

/// Holds a close request (or a signal, `terminate`) back while a workspace job runs: a tag all
/// is stopped after the document it writes, an undo or redo runs to the end, and the window
/// closes then. Returns whether the close was held back.
pub(super) fn close_after_job(app: &mut MarginaliaApp, terminate: bool) -> bool {
    let Some(job) = &mut app.ws_find.job else {
        return false;
    };
    if job.doing == "Tagging" {
        job.progress.stop.store(true, Ordering::Relaxed);
    }
    job.close_after = Some(job.close_after.unwrap_or(false) || terminate);
    app.status_line = format!(
        "Closing once the workspace {} has finished writing documents…",
        if job.doing == "Tagging" {
            "tag all"
        } else {
            "undo"
        }
    );
    true
}

/// Whether a workspace job runs (undo, redo and another tag all wait for it).
pub(super) fn job_running(app: &MarginaliaApp) -> bool {
    app.ws_find.job.is_some()
}

/// Takes a finished job's outcome: records the step, says what was done. Called every frame.
pub(super) fn poll_job(app: &mut MarginaliaApp, ctx: &egui::Context) {
    let Some(job) = &app.ws_find.job else { return };
    let outcome = match job.rx.try_recv() {
        Ok(o) => o,
        Err(mpsc::TryRecvError::Empty) => {
            if let Some(status) = app.ws_find.job_status() {
                app.status_line = status;
            }
            ctx.request_repaint_after(Duration::from_millis(100));
            return;
        }
        Err(mpsc::TryRecvError::Disconnected) => {
            app.ws_find.job = None;
            app.status_line = "The workspace job stopped unexpectedly; some documents may not \
                               have been changed"
                .into();
            app.reload_entries();
            return;
        }
    };
    let Some(job) = app.ws_find.job.take() else {
        return;
    };
    match job.close_after {
        Some(true) => {
            app.request_terminate();
            ctx.request_repaint();
        }
        Some(false) => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
        None => {}
    }
    app.status_line = match (job.then, outcome) {
        (Then::Tagged { tag, open }, Outcome::Tagged(report)) => tagged(app, tag, open, report),
        (Then::Set { head, open, whole }, Outcome::Set(rest)) => {
            let mut r = rest;
            let note = problems_note(&r.problems);
            match whole {
                Some(tag) => {
                    r.spans += open.spans;
                    r.documents += open.documents;
                    format!(
                        "{head}: tag all in workspace as {tag} ({} in {}){note}",
                        crate::wording::plural(r.spans, "span"),
                        crate::wording::plural(r.documents, "document"),
                    )
                }
                None if r.documents > 0 => format!(
                    "{head}; {} in {} other {}{note}",
                    crate::wording::plural(r.spans, "span"),
                    r.documents,
                    if r.documents == 1 {
                        "document"
                    } else {
                        "documents"
                    }
                ),
                None => format!("{head}{note}"),
            }
        }
        _ => "The workspace job stopped unexpectedly".into(),
    };
    app.reload_entries();
}

/// "; 2 documents failed (first problem)", or nothing.
fn problems_note(problems: &[String]) -> String {
    match problems.first() {
        Some(p) => format!(
            "; {} failed ({p})",
            crate::wording::plural(problems.len(), "document")
        ),
        None => String::new(),
    }
}

/// Records a finished workspace tag all as a step and words the status line.
fn tagged(
    app: &mut MarginaliaApp,
    tag: String,
    open: Option<(String, Vec<crate::model::layer::Span>, usize)>,
    mut report: WorkspaceTagReport,
) -> String {
    if let Some((rel, spans, already)) = open {
        report.already += already;
        if !spans.is_empty() {
            report.added += spans.len();
            report.documents += 1;
            report.tagged.docs.push((rel, spans));
        }
    }
    // The step is recorded even when nothing was added: the open document's history points
    // at it by its number.
    if let Some(ws) = &app.ws {
        app.ws_find.steps.push(WorkspaceStep {
            root: ws.root().to_path_buf(),
            tagged: report.tagged.clone(),
            present: true,
        });
    }
    let mut msg = format!(
        "tagged {} as {tag} in {}",
        crate::wording::plural(report.added, "hit"),
        crate::wording::plural(report.documents, "document")
    );
    if report.already > 0 {
        let verb = if report.already == 1 { "was" } else { "were" };
        msg.push_str(&format!("; {} {verb} already tagged", report.already));
    }
    msg.push_str(&problems_note(&report.problems));
    if report.stopped {
        msg.push_str("; cancelled, the other documents were not changed");
    }
    if report.added > 0 {
        msg.push_str(&format!(
            "; {} removes exactly these",
            app.keymap.key(super::Action::Undo)
        ));
    }
    msg
}

/// Undoes (`present` false) or redoes the workspace steps `sets` in every document but
/// `skip` (the open one, done by the caller) on a thread; the status line starts with `head`.
pub(super) fn start_set(
    app: &mut MarginaliaApp,
    sets: Vec<(WorkspaceTagged, bool)>,
    skip: Option<String>,
    head: String,
    open: WorkspaceUndoReport,
    whole: Option<String>,
) {
    let Some(ws) = app.ws.clone() else { return };
    let undo = sets.first().is_some_and(|(_, present)| !present);
    let then = Then::Set { head, open, whole };
    let ctx = app.ctx.clone();
    let started = spawn_job(
        &mut app.ws_find,
        if undo { "Undoing" } else { "Redoing" },
        then,
        ctx,
        move |go_on| {
            let mut all = WorkspaceUndoReport::default();
            for (tagged, present) in &sets {
                let progress = |d: usize, t: usize| {
                    go_on(d, t);
                };
                let r = crate::session::tag_all::set_workspace_tagged(
                    &ws,
                    tagged,
                    *present,
                    skip.as_deref(),
                    &progress,
                );
                all.spans += r.spans;
                all.documents += r.documents;
                all.problems.extend(r.problems);
            }
            Outcome::Set(all)
        },
    );
    if let Err(e) = started {
        app.status_line = format!("The other documents were not changed: {e}");
    }
}

/// Shows or hides the window.
pub(super) fn toggle(app: &mut MarginaliaApp) {
    let w = &mut app.ws_find;
    w.open = !w.open;
    w.focus = w.open;
}

fn start(app: &mut MarginaliaApp) {
    let w = &mut app.ws_find;
    let Some(ws) = &app.ws else { return };
    if let Some((_, stop)) = w.running.take() {
        stop.store(true, Ordering::Relaxed);
    }
    w.results = None;
    w.error = None;
    w.asking = false;
    w.searched = Some((w.query.clone(), w.options));
    let m = match Matcher::new(&w.query, w.options) {
        Ok(Some(m)) => m,
        Ok(None) => return,
        Err(e) => {
            w.error = Some(e.to_string());
            return;
        }
    };
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let (ws, cancel) = (ws.clone(), Arc::clone(&stop));
    let spawned = std::thread::Builder::new()
        .name("workspace find".into())
        .spawn(move || {
            let _ = tx.send(crate::assist::find::search_workspace(&ws, &m, &cancel));
        });
    match spawned {
        Ok(_) => w.running = Some((rx, stop)),
        Err(e) => w.error = Some(format!("cannot search: {e}")),
    }
}

/// Takes the results once the search has finished.
fn poll(w: &mut WorkspaceFind, ctx: &egui::Context) {
    let Some((rx, _)) = &w.running else { return };
    match rx.recv_timeout(Duration::from_millis(20)) {
        Ok(r) => {
            w.results = Some(r);
            w.running = None;
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            ctx.request_repaint_after(Duration::from_millis(30))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            w.running = None;
            w.error = Some("the search stopped".into());
        }
    }
}

/// A row of the hit list: a document's name, one of its hits, or how many more it has.
#[derive(Clone, Copy)]
enum Row {
    Document,
    Hit(usize),
    More,
}

/// A running workspace job: how far it is, and Cancel for a tag all (an undo or redo runs to
/// the end, so that a step is either done or undone in every document).
/// `undo`: the keys that undo, for the tooltip.
fn job_row(job: &Job, undo: &str, ui: &mut egui::Ui) {
    let (done, total) = (
        job.progress.done.load(Ordering::Relaxed),
        job.progress.total.load(Ordering::Relaxed),
    );
    ui.horizontal(|ui| {
        let fraction = if total == 0 {
            0.0
        } else {
            done as f32 / total as f32
        };
        ui.add(
            theme::progress_bar(fraction)
                .desired_width(220.0)
                .text(format!("{} {done} of {total} documents", job.doing)),
        );
        if job.doing == "Tagging" {
            let stopping = job.progress.stop.load(Ordering::Relaxed);
            let r = ui
                .add_enabled(!stopping, egui::Button::new("Cancel"))
                .on_hover_text(format!(
                    "Stops after the document being written; what was tagged stays, and {undo} \
                     removes it"
                ));
            if r.clicked() {
                job.progress.stop.store(true, Ordering::Relaxed);
            }
        }
    });
}

/// "Tag all in workspace": a tag picker and a button, which asks once before writing.
fn tag_row(
    tag: &mut String,
    asking: &mut bool,
    tags: &crate::model::tags::TagSet,
    (hits, docs): (usize, usize),
    ui: &mut egui::Ui,
    commands: &mut Vec<Command>,
) {
    if tags.get(tag).is_none() {
        *tag = tags
            .tags
            .first()
            .map(|t| t.name.clone())
            .unwrap_or_default();
    }
    ui.horizontal(|ui| {
        egui::ComboBox::from_id_salt("workspace find tag")
            .selected_text(tag.as_str())
            .width(110.0)
            .show_ui(ui, |ui| {
                for t in &tags.tags {
                    ui.selectable_value(tag, t.name.clone(), &t.name);
                }
            });
        if *asking {
            ui.label(format!(
                "Tag {} in {} as {} in your layers?",
                crate::wording::plural(hits, "hit"),
                crate::wording::plural(docs, "document"),
                tag
            ));
            if ui.button("Tag them").clicked() {
                *asking = false;
                commands.push(Command::TagAllInWorkspace(tag.clone()));
            }
            if ui.button("Cancel").clicked() {
                *asking = false;
            }
        } else if ui
            .button("Tag all in workspace…")
            .on_hover_text("Adds a span for every hit to your layer of each document (asks first)")
            .clicked()
        {
            *asking = true;
        }
    });
    if *asking {
        // What will happen, on a line of its own (it wraps).
        ui.label(
            RichText::new(
                "Each hit not tagged so yet gets a span in your layer, saved at once (also in \
                 documents that are not open). Ctrl+Z removes exactly these spans again, in \
                 every document, while the window stays open.",
            )
            .small(),
        );
    }
}

/// Tags every hit of the last search in the annotator's layers: the open document through its
/// live editor (one undo step there, at once), the others through the core on a thread.
pub(super) fn tag_all(app: &mut MarginaliaApp, tag: &str) {
    if job_running(app) {
        return;
    }
    let Some((query, options)) = app.ws_find.searched.clone() else {
        return;
    };
    let Some(ws) = app.ws.clone() else { return };
    let Some(schema) = ws.tags().get(tag).cloned() else {
        return;
    };
    let Ok(Some(m)) = Matcher::new(&query, options) else {
        return;
    };
    // The open document of this layer is tagged through its editor, the others from disk.
    let live = !app.read_only()
        && app.open.as_ref().is_some_and(|o| {
            !o.doc.is_read_only() && o.doc.layer().annotator == app.prefs.annotator
        });
    let skip = live
        .then(|| app.open.as_ref().map(|o| o.doc.rel().to_owned()))
        .flatten();
    let step = app.ws_find.steps.len() as u64;
    let mut open_part = None;
    if live && let Some(open) = &mut app.open {
        let hits = m.find_all(open.doc.text().as_str());
        // One undo step in the open document, which also undoes the others.
        open.doc.begin_compound();
        let t = crate::session::tag_all::tag_hits(&mut open.doc, &hits, &schema);
        open.doc.record_elsewhere(step, true);
        open.doc.end_compound();
        // Saved at once like the others (a failure shows on the save indicator and retries).
        let _ = open.doc.save_now();
        let spans = crate::session::tag_all::spans_with_ids(&open.doc, &t.ids);
        open_part = Some((open.doc.rel().to_owned(), spans, t.already));
        app.after_edit();
    }
    let annotator = app.prefs.annotator.clone();
    let then = Then::Tagged {
        tag: tag.to_owned(),
        open: open_part,
    };
    let ctx = app.ctx.clone();
    let started = spawn_job(&mut app.ws_find, "Tagging", then, ctx, move |go_on| {
        Outcome::Tagged(crate::session::tag_all::tag_in_workspace(
            &ws,
            &annotator,
            &m,
            &schema,
            skip.as_deref(),
            go_on,
        ))
    });
    match started {
        Ok(()) => app.status_line = app.ws_find.job_status().unwrap_or_default(),
        Err(e) => app.status_line = format!("The other documents were not tagged: {e}"),
    }
}

/// Draws the window while it is open.
pub(super) fn draw(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    if !app.ws_find.open {
        return;
    }
    poll(&mut app.ws_find, ctx);
    let mut search = false;
    let mut open = true;
    let tags = app.tag_set();
    let undo = app.keymap.key(super::Action::Undo);
    let area = app.window_area(ctx);
    let moved = make_room_for_hit(app, area);
    let w = &mut app.ws_find;
    let id = egui::Id::unique("workspace find");
    let mut window = egui::Window::new("Find in workspace");
    // Moved through its stored state: egui 0.37's title-bar dragging puts a window back where
    // it was stored after `current_pos` (window.rs, `pivot_pos_before_begin`).
    if let Some((pos, max_height)) = moved
        && let Some(mut state) = egui::AreaState::load(ctx, id)
    {
        state.set_left_top_pos(pos);
        let layer = egui::LayerId::new(egui::Order::Middle, id);
        ctx.memory_mut(|m| m.areas_mut().set_state(layer, state));
        window = window.max_height(max_height);
    }
    let shown = window
        .id(id)
        .constrain_to(area)
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_width(560.0)
        .default_height(440.0)
        .default_pos(ctx.content_rect().center_top() + egui::vec2(-280.0, 70.0))
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let r = ui.add(
                    egui::TextEdit::singleline(&mut w.query)
                        .id(egui::Id::unique(FIELD))
                        .desired_width(260.0)
                        .hint_text("text to find in every document"),
                );
                if std::mem::take(&mut w.focus) {
                    r.request_focus();
                }
                if r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                    search = true;
                }
                let o = &mut w.options;
                for (on, text, hover) in [
                    (&mut o.case_sensitive, "Aa", "Match case"),
                    (&mut o.whole_word, "W", "Whole words only"),
                    (&mut o.regex, ".*", "Regular expression"),
                ] {
                    if ui
                        .selectable_label(*on, RichText::new(text).monospace())
                        .on_hover_text(hover)
                        .clicked()
                    {
                        *on = !*on;
                    }
                }
                if ui.button("Search").clicked() {
                    search = true;
                }
            });
            let weak = theme::weak(ui.visuals());
            if let Some(e) = &w.error {
                theme::error_text(ui, e);
            }
            if w.running.is_some() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Searching…");
                });
            }
            let Some((docs, problems)) = &w.results else {
                return;
            };
            let total: usize = docs.iter().map(|d| d.total).sum();
            ui.label(format!(
                "{} in {}",
                crate::wording::plural(total, "hit"),
                crate::wording::plural(docs.len(), "document")
            ));
            for p in problems {
                ui.label(
                    RichText::new(p)
                        .small()
                        .color(theme::error_color(ui.visuals())),
                );
            }
            if let Some(job) = &w.job {
                job_row(job, &undo, ui);
            } else if total > 0 {
                let (n_docs, picked, asking) = (docs.len(), &mut w.tag, &mut w.asking);
                tag_row(picked, asking, &tags, (total, n_docs), ui, commands);
            }
            ui.separator();
            // Only the rows in view are laid out: a common word has tens of thousands of
            // hits, and laying them all out took a quarter of a second every frame.
            let mut rows: Vec<(usize, Row)> = Vec::new();
            for (k, d) in docs.iter().enumerate() {
                rows.push((k, Row::Document));
                rows.extend((0..d.hits.len()).map(|h| (k, Row::Hit(h))));
                if d.total > d.hits.len() {
                    rows.push((k, Row::More));
                }
            }
            let row_height = ui.spacing().interact_size.y;
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show_rows(ui, row_height, rows.len(), |ui, range| {
                    for &(k, row) in &rows[range] {
                        let d = &docs[k];
                        match row {
                            Row::Document => {
                                ui.label(
                                    RichText::new(format!("{} ({})", d.rel, d.total)).strong(),
                                );
                            }
                            Row::Hit(i) => {
                                let h = &d.hits[i];
                                let mut job = egui::text::LayoutJob::default();
                                let font = egui::FontId::proportional(13.0);
                                let plain = egui::TextFormat::simple(font.clone(), weak);
                                let strong = egui::TextFormat {
                                    color: ui.visuals().strong_text_color(),
                                    background: theme::find_hit_fill(ui.visuals(), true),
                                    ..egui::TextFormat::simple(font, weak)
                                };
                                job.append(&format!("…{}", h.before), 0.0, plain.clone());
                                job.append(&h.matched, 0.0, strong);
                                job.append(&format!("{}…", h.after), 0.0, plain);
                                let r = ui
                                    .add(
                                        egui::Button::selectable(false, job)
                                            .wrap_mode(egui::TextWrapMode::Truncate),
                                    )
                                    .on_hover_text(format!(
                                        "Open {} at chars {}–{}",
                                        d.rel, h.start, h.end
                                    ));
                                if r.clicked() {
                                    w.clear_of = Some((d.rel.clone(), h.start, 30));
                                    commands.push(Command::OpenAt {
                                        rel: d.rel.clone(),
                                        start: h.start,
                                        end: h.end,
                                    });
                                }
                            }
                            Row::More => {
                                ui.label(
                                    RichText::new(format!("… and {} more", d.total - d.hits.len()))
                                        .small()
                                        .color(weak),
                                );
                            }
                        }
                    }
                });
        });
    app.ws_find.rect = shown.map(|r| r.response.rect);
    if search {
        start(app);
    }
    if !open {
        app.ws_find.open = false;
    }
}

/// Once the hit opened from the list is drawn (its document open, its scrolling done): when the
/// window covers it, where the window goes instead (its top-left corner, and its height at
/// most), below the hit's line or, with less room there, above it.
fn make_room_for_hit(app: &mut MarginaliaApp, area: egui::Rect) -> Option<(egui::Pos2, f32)> {
    let (rel, c, frames) = app.ws_find.clear_of.as_mut()?;
    let open = app.open.as_ref()?;
    if open.doc.rel() != rel.as_str() || open.view.is_scrolling() {
        // Not drawn yet: wait (a document that never opens leaves this until the next click).
        return None;
    }
    // Watched for some frames after it is first drawn: lines above it laid out for the first
    // time can still move it down.
    let at = open.view.screen_pos_of_char(*c);
    *frames = frames.saturating_sub(1);
    if *frames == 0 {
        app.ws_find.clear_of = None;
    }
    let (at, rect) = (at?, app.ws_find.rect?);
    // The hit's line and a little of the lines around it.
    let line = open.view.row_height();
    if !rect.x_range().contains(at.x) || !rect.expand(line).y_range().contains(at.y) {
        return None;
    }
    let below = at.y + 1.5 * line;
    let above = at.y - 1.5 * line;
    let (room_below, room_above) = (area.bottom() - below, above - area.top());
    if room_below >= 200.0 || room_below >= room_above {
        Some((egui::pos2(rect.left(), below), room_below))
    } else {
        let height = rect.height().min(room_above);
        Some((egui::pos2(rect.left(), above - height), room_above))
    }
}
