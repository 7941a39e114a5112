//! The document list on the left: texts grouped by folder, each shown by its title with its file
//! name below, the "3 of 5 done" progress, and moving between documents from the keyboard
//! (Alt+↓ / Alt+↑ / Ctrl+Alt+↓) in the order the list shows.

use egui::{RichText, Sense, Ui};

use crate::layer::Status;
use crate::wording::plural;

use super::{Command, DocEntry, MarginaliaApp, theme};

/// Whether a document counts as done in the list's progress.
fn is_done(e: &DocEntry) -> bool {
    matches!(e.status, Status::Done | Status::Reviewed)
}

/// The folder of a relative path ("" for the workspace root).
fn folder_of(rel: &str) -> &str {
    rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// Whether `e` passes the list's filter (already lower-cased; empty passes everything).
fn matches(e: &DocEntry, filter: &str) -> bool {
    filter.is_empty()
        || e.rel.to_lowercase().contains(filter)
        || e.title
            .as_deref()
            .is_some_and(|t| t.to_lowercase().contains(filter))
}

/// The entries shown, as indices in display order: the root's texts first, then each folder's.
pub(super) fn display_order(app: &MarginaliaApp) -> Vec<usize> {
    let filter = app.doc_filter.trim().to_lowercase();
    let mut order: Vec<usize> = (0..app.entries.len())
        .filter(|&i| matches(&app.entries[i], &filter))
        .collect();
    // Entries are sorted by path; a stable sort by folder keeps that order inside each folder.
    order.sort_by_key(|&i| folder_of(&app.entries[i].rel));
    order
}

/// The document the list shows as current: open, being opened, or whose problem is shown.
fn current_rel(app: &MarginaliaApp) -> Option<String> {
    if let Some((rel, _, _)) = &app.loading {
        return Some(rel.clone());
    }
    if let Some(open) = &app.open {
        return Some(open.doc.rel().to_owned());
    }
    app.durability.problem_shown().map(str::to_owned)
}

/// The command that goes to the next (`forward`) or previous document of the list, or with
/// `undone` to the next one that is not done (wrapping around). Says so on the status line when
/// there is none.
pub(super) fn step(app: &mut MarginaliaApp, forward: bool, undone: bool) -> Option<Command> {
    let order = display_order(app);
    if order.is_empty() {
        app.status_line = "No documents in the list".into();
        return None;
    }
    let current =
        current_rel(app).and_then(|rel| order.iter().position(|&i| app.entries[i].rel == rel));
    let next = if undone {
        let n = order.len();
        let from = current.map(|c| c + 1).unwrap_or(0);
        let found = (0..n)
            .map(|k| (from + k) % n)
            .filter(|&p| Some(p) != current)
            .find(|&p| !is_done(&app.entries[order[p]]));
        if found.is_none() {
            app.status_line = "Every other document in the list is done".into();
        }
        found
    } else {
        match current {
            None => Some(if forward { 0 } else { order.len() - 1 }),
            Some(c) if forward && c + 1 < order.len() => Some(c + 1),
            Some(c) if !forward && c > 0 => Some(c - 1),
            Some(_) => {
                app.status_line = if forward {
                    "This is the last document in the list".into()
                } else {
                    "This is the first document in the list".into()
                };
                None
            }
        }
    };
    let e = &app.entries[order[next?]];
    Some(if e.error.is_some() {
        Command::ShowProblem(e.rel.clone())
    } else {
        Command::OpenDocument(e.rel.clone())
    })
}

/// "3 of 5 done".
pub(super) fn progress(app: &MarginaliaApp) -> String {
    let done = app.entries.iter().filter(|e| is_done(e)).count();
    format!("{done} of {} done", app.entries.len())
}

/// Draws the document list.
pub(super) fn draw(app: &mut MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    let weak = theme::weak(ui.visuals());
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.heading("Documents");
        if app.entries.is_empty() {
            return;
        }
        ui.label(RichText::new(progress(app)).color(weak))
            .on_hover_text(
                "Alt+Down / Alt+Up: next / previous document; Ctrl+Alt+Down: next not done",
            );
    });
    let label = ui.label(RichText::new("Filter").small());
    ui.add(
        egui::TextEdit::singleline(&mut app.doc_filter)
            .hint_text("title or name contains…")
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    ui.add_space(4.0);
    let order = display_order(app);
    let open_rel = app.open.as_ref().map(|o| o.doc.rel().to_owned());
    egui::ScrollArea::vertical()
        .id_salt("document list")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if app.entries.is_empty() {
                ui.label(RichText::new("No .txt files in this workspace yet.").color(weak));
                return;
            }
            if order.is_empty() {
                ui.label(RichText::new("No document matches the filter.").color(weak));
            }
            let mut k = 0;
            while k < order.len() {
                let folder = folder_of(&app.entries[order[k]].rel).to_owned();
                let end = order[k..]
                    .iter()
                    .position(|&i| folder_of(&app.entries[i].rel) != folder)
                    .map_or(order.len(), |n| k + n);
                let group = &order[k..end];
                if folder.is_empty() {
                    for &i in group {
                        entry(app, ui, i, open_rel.as_deref(), commands);
                    }
                } else {
                    let done = group.iter().filter(|&&i| is_done(&app.entries[i])).count();
                    let heading = format!("{folder}  ({done}/{})", group.len());
                    egui::CollapsingHeader::new(RichText::new(heading).strong())
                        .id_salt(("folder", &folder))
                        .default_open(true)
                        .show(ui, |ui| {
                            for &i in group {
                                entry(app, ui, i, open_rel.as_deref(), commands);
                            }
                        })
                        .header_response
                        .on_hover_text(format!(
                            "{}: {}, {done} done",
                            folder,
                            plural(group.len(), "text")
                        ));
                }
                k = end;
            }
        });
}

/// One line: the title (or the file name until the title is read), the file name below it,
/// then the status and span count or the problem.
fn entry(
    app: &MarginaliaApp,
    ui: &mut Ui,
    i: usize,
    open_rel: Option<&str>,
    commands: &mut Vec<Command>,
) {
    let e = &app.entries[i];
    let weak = theme::weak(ui.visuals());
    let err = theme::error_color(ui.visuals());
    let name = e.rel.rsplit('/').next().unwrap_or(&e.rel);
    let selected =
        open_rel == Some(e.rel.as_str()) || app.durability.problem_shown() == Some(e.rel.as_str());
    let title = e.title.as_deref().filter(|t| *t != name);
    ui.push_id(&e.rel, |ui| {
        // One line each, so the list stays scannable; the hover shows the whole title.
        let mut r = ui.add(
            egui::Button::selectable(selected, RichText::new(title.unwrap_or(name)).strong())
                .truncate(),
        );
        if title.is_some() {
            let n = ui.add(
                egui::Label::new(RichText::new(name).monospace().size(10.0).color(weak))
                    .truncate()
                    .sense(Sense::click()),
            );
            r = r.union(n);
        }
        match &e.error {
            Some(problem) => {
                let hover = super::durability::problem_hover(problem);
                let r = r.on_hover_text(&hover);
                let l = ui.add(
                    egui::Label::new(RichText::new(problem).color(err).small())
                        .wrap()
                        .sense(Sense::click()),
                );
                if r.clicked() || l.on_hover_text(hover).clicked() {
                    commands.push(Command::ShowProblem(e.rel.clone()));
                }
            }
            None => {
                let r = r.on_hover_text(match title {
                    Some(t) => format!("{t}\n{}", e.rel),
                    None => e.rel.clone(),
                });
                let line = if e.scanned {
                    format!("{} · {}", status_text(e.status), plural(e.spans, "span"))
                } else {
                    "reading…".to_owned()
                };
                ui.label(RichText::new(line).small().color(weak));
                if let Some(p) = super::review_mode::progress_text(app, &e.rel) {
                    ui.label(RichText::new(p).small().color(weak));
                }
                if r.clicked() && !selected {
                    commands.push(Command::OpenDocument(e.rel.clone()));
                }
            }
        }
    });
    ui.add_space(4.0);
}

pub(super) fn status_text(s: Status) -> &'static str {
    match s {
        Status::NotStarted => "not started",
        Status::InProgress => "in progress",
        Status::Done => "done",
        Status::Reviewed => "reviewed",
    }
}
