//! The Team window: who has done what, documents × annotators, from
//! [`crate::team::overview::gather`] (read on a thread, so a large workspace never blocks the
//! window), with totals both ways and the documents waiting for review; a document's name
//! opens it.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use egui::{RichText, Ui};

use crate::team::overview::{Cell, DocumentRow, Progress};
use crate::wording::plural;
use crate::workspace::Workspace;

use super::commands::TeamCommand;
use super::theme::{self, Tone};
use super::{Command, MarginaliaApp};

/// The Team window's state.
#[derive(Default)]
pub struct TeamView {
    open: bool,
    job: Option<mpsc::Receiver<Result<Progress, String>>>,
    result: Option<Result<Progress, String>>,
}

impl TeamView {
    /// Whether the window is open.
    pub(super) fn is_open(&self) -> bool {
        self.open
    }

    /// The table last read, if any.
    pub fn progress(&self) -> Option<&Progress> {
        self.result.as_ref().and_then(|r| r.as_ref().ok())
    }

    /// Whether it is reading the layers.
    pub fn is_reading(&self) -> bool {
        self.job.is_some()
    }
}

fn start(root: PathBuf) -> mpsc::Receiver<Result<Progress, String>> {
    let (tx, rx) = mpsc::channel();
    let reply = tx.clone();
    let spawned = std::thread::Builder::new()
        .name("team progress".into())
        .spawn(move || {
            let result = Workspace::open(&root)
                .map(|ws| crate::team::overview::gather(&ws))
                .map_err(|e| e.to_string());
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        let _ = reply.send(Err(format!("cannot start: {e}")));
    }
    rx
}

/// Applies one command.
pub(super) fn apply(app: &mut MarginaliaApp, command: TeamCommand) {
    match command {
        TeamCommand::Toggle => {
            app.team.open = !app.team.open;
            if app.team.open {
                apply(app, TeamCommand::Refresh);
            }
        }
        TeamCommand::Refresh => {
            if app.team.job.is_some() {
                return;
            }
            if let Some(ws) = &app.ws {
                app.team.job = Some(start(ws.root().to_path_buf()));
            }
        }
    }
}

/// Takes the thread's table when it is ready (every frame).
pub(super) fn poll(app: &mut MarginaliaApp, ctx: &egui::Context) {
    let view = &mut app.team;
    let Some(rx) = &view.job else { return };
    match rx.try_recv() {
        Ok(r) => {
            view.result = Some(r);
            view.job = None;
        }
        Err(mpsc::TryRecvError::Empty) => ctx.request_repaint_after(Duration::from_millis(50)),
        Err(mpsc::TryRecvError::Disconnected) => {
            view.result = Some(Err("reading the layers stopped".into()));
            view.job = None;
        }
    }
}

/// Draws the Team window, if open.
pub(super) fn draw(app: &MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    if !app.team.open {
        return;
    }
    let mut open = true;
    let screen = ctx.content_rect();
    egui::Window::new("Team")
        .constrain_to(app.window_area(ctx))
        .open(&mut open)
        .default_size([
            (screen.width() - 40.0).min(960.0),
            (screen.height() - 80.0).min(640.0),
        ])
        .max_size([screen.width() - 20.0, screen.height() - 40.0])
        .default_pos(screen.min + egui::vec2(20.0, 40.0))
        .show(ctx, |ui| {
            body(&app.team, &app.prefs.annotator, ui, commands)
        });
    if !open {
        commands.push(Command::Team(TeamCommand::Toggle));
    }
}

fn body(view: &TeamView, me: &str, ui: &mut Ui, commands: &mut Vec<Command>) {
    let weak = theme::weak(ui.visuals());
    ui.horizontal(|ui| {
        if view.job.is_some() {
            ui.spinner();
            ui.label("Reading the layers…");
        } else if ui
            .button("Refresh")
            .on_hover_text("Read every annotator's files again")
            .clicked()
        {
            commands.push(Command::Team(TeamCommand::Refresh));
        }
        if let Some(p) = view.progress() {
            ui.label(summary(p));
        }
    });
    let p = match &view.result {
        None => return,
        Some(Err(e)) => {
            theme::error_text(ui, format!("Progress not read: {e}"));
            return;
        }
        Some(Ok(p)) => p,
    };
    for u in &p.unreadable {
        ui.label(
            RichText::new(format!("Not read: {u}"))
                .small()
                .color(theme::error_color(ui.visuals())),
        );
    }
    if p.documents.is_empty() || p.annotators.is_empty() {
        ui.label(RichText::new("No documents or no annotators yet.").color(weak));
        return;
    }
    waiting(p, ui, commands);
    ui.label(
        RichText::new(
            "done N: marked done, N spans · wip N: in progress · todo: assigned, not started · \
             —: not assigned · unreadable: a layer file that cannot be read (hover for why) · \
             (…): a layer the assignments do not ask for",
        )
        .small()
        .color(weak),
    );
    ui.add_space(4.0);
    egui::ScrollArea::both()
        .id_salt("team table")
        .auto_shrink([false, false])
        .show(ui, |ui| table(p, me, ui, commands));
}

/// "40 documents, 20 annotators, overlap 2: 52 of 80 done".
fn summary(p: &Progress) -> String {
    let assigned: usize = p.totals.iter().map(|t| t.assigned).sum();
    let done: usize = p.totals.iter().map(|t| t.done).sum();
    let overlap = if p.has_assignments && p.overlap > 0 {
        format!(", overlap {}", p.overlap)
    } else {
        String::new()
    };
    let how = if p.has_assignments {
        ""
    } else {
        " (no assignments in workspace.ron: a layer counts as assigned)"
    };
    format!(
        "{}, {}{overlap}: {done} of {assigned} done{how}",
        plural(p.documents.len(), "document"),
        plural(p.annotators.len(), "annotator"),
    )
}

/// The documents waiting for review, each one click away.
fn waiting(p: &Progress, ui: &mut Ui, commands: &mut Vec<Command>) {
    let title = format!("Waiting for review ({})", p.waiting_for_review.len());
    if p.waiting_for_review.is_empty() {
        ui.label(RichText::new(title).strong());
        return;
    }
    egui::CollapsingHeader::new(RichText::new(title).strong())
        .id_salt("team waiting")
        .default_open(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("team waiting list")
                .max_height(90.0)
                .show(ui, |ui| {
                    ui.horizontal_wrapped(|ui| {
                        for rel in &p.waiting_for_review {
                            if ui
                                .link(rel)
                                .on_hover_text("Every assigned annotator is done; open it")
                                .clicked()
                            {
                                commands.push(Command::OpenDocument(rel.clone()));
                            }
                        }
                    });
                });
        });
}

/// The tone a cell is drawn in.
fn tone(cell: &Cell) -> Option<Tone> {
    if cell.unreadable.is_some() {
        Some(Tone::Bad)
    } else if !cell.assigned {
        Some(Tone::Weak)
    } else if cell.is_done() {
        Some(Tone::Good)
    } else if cell.is_waiting_to_start() {
        Some(Tone::Warn)
    } else {
        None
    }
}

/// Column widths, in points: the document names, each annotator, the totals and the review.
const DOC_W: f32 = 190.0;
const CELL_W: f32 = 84.0;
const TOTAL_W: f32 = 110.0;
const REVIEW_W: f32 = 150.0;

/// Lays `add` out in a `w` × `h` box on the current row.
fn boxed(ui: &mut Ui, w: f32, h: f32, add: impl FnOnce(&mut Ui)) {
    ui.allocate_ui_with_layout(
        egui::vec2(w, h),
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_min_size(egui::vec2(w, h));
            add(ui);
        },
    );
}

/// The table: the header row and the document column stay in view while the cells scroll
/// (four scroll areas kept at one offset: the cells', or whichever the wheel moved).
fn table(p: &Progress, me: &str, ui: &mut Ui, commands: &mut Vec<Command>) {
    let weak = theme::weak(ui.visuals());
    let row_h = ui.spacing().interact_size.y + 4.0;
    let id = ui.scope_id().with("team offset");
    let offset: egui::Vec2 = ui.data(|d| d.get_temp(id)).unwrap_or_default();
    let mut moved = offset;
    let cells_w = CELL_W * p.annotators.len() as f32 + TOTAL_W + REVIEW_W;
    let stripe = ui.visuals().faint_bg_color;
    ui.spacing_mut().item_spacing = egui::vec2(0.0, 0.0);
    // The header: "document", then the annotators with their totals under each name.
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            boxed(ui, DOC_W, row_h, |ui| {
                ui.label(RichText::new("document").strong());
            });
            boxed(ui, DOC_W, row_h, |ui| {
                ui.label(RichText::new("done · spans").color(weak));
            });
        });
        let out = egui::ScrollArea::horizontal()
            .id_salt("team head")
            .horizontal_scroll_offset(offset.x)
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysHidden)
            .show(ui, |ui| {
                ui.set_min_width(cells_w);
                ui.vertical(|ui| {
                    ui.horizontal(|ui| {
                        for a in &p.annotators {
                            boxed(ui, CELL_W, row_h, |ui| {
                                let mut text = RichText::new(a).strong();
                                if a == me {
                                    text = text.underline();
                                }
                                ui.add(egui::Label::new(text).truncate()).on_hover_text(
                                    if a == me {
                                        format!("{a} (you)")
                                    } else {
                                        a.clone()
                                    },
                                );
                            });
                        }
                        boxed(ui, TOTAL_W, row_h, |ui| {
                            ui.label(RichText::new("total").strong());
                        });
                        boxed(ui, REVIEW_W, row_h, |ui| {
                            ui.label(RichText::new("review").strong());
                        });
                    });
                    ui.horizontal(|ui| {
                        for t in &p.totals {
                            boxed(ui, CELL_W, row_h, |ui| {
                                ui.label(RichText::new(Progress::annotator_total(t)).strong())
                                .on_hover_text(format!(
                                    "{}: {} of {} assigned done, {} not started, {} in all layers",
                                    t.annotator,
                                    t.done,
                                    plural(t.assigned, "document"),
                                    t.not_started,
                                    plural(t.spans, "span")
                                ));
                            });
                        }
                    });
                });
            });
        if out.state.clamped_offset().x != offset.x {
            moved.x = out.state.clamped_offset().x;
        }
    });
    ui.separator();
    ui.horizontal_top(|ui| {
        let docs = egui::ScrollArea::vertical()
            .id_salt("team docs")
            .vertical_scroll_offset(offset.y)
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysHidden)
            .max_width(DOC_W)
            .auto_shrink([true, false])
            .show(ui, |ui| {
                ui.set_width(DOC_W);
                let size = egui::vec2(DOC_W, row_h);
                striped_rows(ui, &p.documents, size, stripe, |ui, row| {
                    let name = row.document.rsplit('/').next().unwrap_or(&row.document);
                    let button =
                        egui::Button::new(RichText::new(name).monospace().small()).frame(false);
                    if ui
                        .add(button.truncate())
                        .on_hover_text(format!("{}: open it", row.document))
                        .clicked()
                    {
                        commands.push(Command::OpenDocument(row.document.clone()));
                    }
                });
            });
        if docs.state.clamped_offset().y != offset.y {
            moved.y = docs.state.clamped_offset().y;
        }
        let cells = egui::ScrollArea::both()
            .id_salt("team cells")
            .scroll_offset(offset)
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.set_min_width(cells_w);
                let size = egui::vec2(cells_w, row_h);
                striped_rows(ui, &p.documents, size, stripe, |ui, row| {
                    row_cells(p, row, ui)
                });
            });
        if cells.state.clamped_offset() != offset {
            moved = cells.state.clamped_offset();
        }
    });
    if moved != offset {
        ui.data_mut(|d| d.insert_temp(id, moved));
        ui.ctx().request_repaint();
    }
}

/// One document's cells, its total and its review state.
fn row_cells(p: &Progress, row: &DocumentRow, ui: &mut Ui) {
    let h = ui.available_height();
    for (cell, a) in row.cells.iter().zip(&p.annotators) {
        boxed(ui, CELL_W, h, |ui| {
            let mut text = RichText::new(cell.short_text());
            if let Some(t) = tone(cell) {
                text = text.color(theme::tone_color(t, ui.visuals()));
            }
            ui.label(text)
                .on_hover_text(cell.describe(a, &row.document));
        });
    }
    boxed(ui, TOTAL_W, h, |ui| {
        ui.label(Progress::document_total(row));
    });
    let mut review = Progress::curated_text(row).to_owned();
    if row.short_of_overlap {
        review = format!("{review} (short of overlap)").trim().to_owned();
    }
    let tone = match row.review_state() {
        crate::team::overview::ReviewState::Waiting => Tone::Warn,
        crate::team::overview::ReviewState::Unreadable => Tone::Bad,
        _ => Tone::Weak,
    };
    boxed(ui, REVIEW_W, h, |ui| {
        let label = ui.label(RichText::new(review).color(theme::tone_color(tone, ui.visuals())));
        if let Some(why) = &row.curated_unreadable {
            label.on_hover_text(format!(
                "{}: the curated layer file cannot be read: {why}",
                row.document
            ));
        }
    });
}

/// The progress grid's rows (the document names' column or the cells), each of `size`, with
/// the stripe behind every other row; `draw` fills each row's ui, laid out left to right.
fn striped_rows(
    ui: &mut Ui,
    rows: &[DocumentRow],
    size: egui::Vec2,
    stripe: egui::Color32,
    mut draw: impl FnMut(&mut Ui, &DocumentRow),
) {
    ui.vertical(|ui| {
        for (k, row) in rows.iter().enumerate() {
            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            if k % 2 == 1 {
                ui.painter().rect_filled(rect, 0.0, stripe);
            }
            let mut child = ui.new_child(
                egui::UiBuilder::new()
                    .max_rect(rect)
                    .layout(egui::Layout::left_to_right(egui::Align::Center)),
            );
            draw(&mut child, row);
        }
    });
}
