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

/// Draws the window while it is open.
pub(super) fn draw(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    if !app.ws_find.open {
        return;
    }
    poll(&mut app.ws_find, ctx);
    let mut search = false;
    let mut open = true;
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
                        let r =
                            ui.add(egui::Button::selectable(false, job))
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
