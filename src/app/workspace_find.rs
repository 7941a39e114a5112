//! Find in the whole workspace (Ctrl+Shift+F): a window that searches every text on a
//! background thread through [`crate::find::search_workspace`] and lists the hits as
//! keyword-in-context lines grouped by document; a click opens the document at the hit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use egui::{Key, RichText};

use crate::find::{DocHits, FindOptions, Matcher};

use super::{Command, MarginaliaApp, theme};

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
    pub(super) steps: Vec<super::undo::WorkspaceStep>,
}

impl Drop for WorkspaceFind {
    fn drop(&mut self) {
        if let Some((_, stop)) = &self.running {
            stop.store(true, Ordering::Relaxed);
        }
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
            let _ = tx.send(crate::find::search_workspace(&ws, &m, &cancel));
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

/// "Tag all in workspace": a tag picker and a button, which asks once before writing.
fn tag_row(
    tag: &mut String,
    asking: &mut bool,
    tags: &crate::tags::TagSet,
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
/// live editor (one undo step there), the others through the core, each saved.
pub(super) fn tag_all(app: &mut MarginaliaApp, tag: &str) {
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
    let mut report =
        crate::find::tag_in_workspace(&ws, &app.prefs.annotator, &m, &schema, skip.as_deref());
    let step = app.ws_find.steps.len() as u64;
    if live && let Some(open) = &mut app.open {
        let hits = m.find_all(open.doc.text().as_str());
        // One undo step in the open document, which also undoes the others.
        open.doc.begin_compound();
        let t = crate::find::tag_hits(&mut open.doc, &hits, &schema);
        if t.added > 0 || report.added > 0 {
            open.doc.record_elsewhere(step, true);
        }
        open.doc.end_compound();
        // Saved at once like the others (a failure shows on the save indicator and retries).
        let _ = open.doc.save_now();
        report.added += t.added;
        report.already += t.already;
        if t.added > 0 {
            report.documents += 1;
            let spans = crate::find::spans_with_ids(&open.doc, &t.ids);
            report.tagged.docs.push((open.doc.rel().to_owned(), spans));
        }
        app.after_edit();
    }
    if report.added > 0 {
        app.ws_find.steps.push(super::undo::WorkspaceStep {
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
    if let Some(p) = report.problems.first() {
        msg.push_str(&format!(
            "; {} failed ({p})",
            crate::wording::plural(report.problems.len(), "document")
        ));
    }
    if report.added > 0 {
        msg.push_str("; Ctrl+Z removes exactly these");
    }
    app.status_line = msg;
    app.reload_entries();
}

/// Draws the window while it is open.
pub(super) fn draw(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    if !app.ws_find.open {
        return;
    }
    poll(&mut app.ws_find, ctx);
    let mut search = false;
    let mut open = true;
    let tags = app
        .ws
        .as_ref()
        .map(|w| w.tags().clone())
        .unwrap_or_default();
    let w = &mut app.ws_find;
    egui::Window::new("Find in workspace")
        .id(egui::Id::unique("workspace find"))
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
                ui.label(RichText::new(e).color(theme::error_color(ui.visuals())));
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
            if total > 0 {
                let (n_docs, picked, asking) = (docs.len(), &mut w.tag, &mut w.asking);
                tag_row(picked, asking, &tags, (total, n_docs), ui, commands);
            }
            ui.separator();
            egui::ScrollArea::vertical().show(ui, |ui| {
                for d in docs {
                    ui.label(RichText::new(format!("{} ({})", d.rel, d.total)).strong());
                    for h in &d.hits {
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
                            commands.push(Command::OpenAt {
                                rel: d.rel.clone(),
                                start: h.start,
                                end: h.end,
                            });
                        }
                    }
                    if d.total > d.hits.len() {
                        ui.label(
                            RichText::new(format!("… and {} more", d.total - d.hits.len()))
                                .small()
                                .color(weak),
                        );
                    }
                    ui.add_space(4.0);
                }
            });
        });
    if search {
        start(app);
    }
    if !open {
        app.ws_find.open = false;
    }
}
