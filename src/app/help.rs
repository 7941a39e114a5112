//! The shortcut sheet (F1 or `?`), built from the registry and the keymap that handle the keys
//! (and the tag set), so it always tells the truth.

use egui::{RichText, Ui};

use super::registry::{FindKey, Keymap, shortcut_text};
use super::{Action, Command, MarginaliaApp, theme};

/// Rows of (keys, what they do) of the actions that have keys: actions that say the same
/// share a row.
fn rows(keymap: &Keymap, actions: impl Iterator<Item = Action>) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for a in actions {
        let keys = keymap.text(a);
        if keys.is_empty() {
            continue;
        }
        match out.iter_mut().find(|(_, d)| *d == a.description()) {
            Some((k, _)) => {
                k.push_str(" or ");
                k.push_str(&keys);
            }
            None => out.push((keys, a.description())),
        }
    }
    out
}

/// One grid for every section, so the columns line up.
fn sheet(ui: &mut Ui, sections: &[(&str, &[(String, String)])]) {
    egui::Grid::new("shortcut sheet")
        .num_columns(2)
        .spacing([16.0, 3.0])
        .show(ui, |ui| {
            for (i, (title, rows)) in sections.iter().enumerate() {
                if i > 0 {
                    // A blank row between sections.
                    ui.label("");
                    ui.end_row();
                }
                ui.label(RichText::new(*title).strong());
                ui.end_row();
                for (keys, what) in *rows {
                    ui.label(RichText::new(keys).monospace());
                    ui.label(what);
                    ui.end_row();
                }
            }
        });
}

/// Draws the sheet while it is open.
pub(super) fn draw(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    if !app.help_open {
        return;
    }
    let own = |v: Vec<(String, &'static str)>| -> Vec<(String, String)> {
        v.into_iter().map(|(k, d)| (k, d.to_owned())).collect()
    };
    let keymap = &app.keymap;
    let everywhere = own(rows(
        keymap,
        Action::ALL.into_iter().filter(|a| a.is_global()),
    ));
    let documents = own(rows(
        keymap,
        Action::ALL
            .into_iter()
            .filter(|a| !a.is_global() && !a.needs_document()),
    ));
    let mut editing = own(rows(
        keymap,
        Action::ALL
            .into_iter()
            .filter(|a| !a.is_global() && a.needs_document()),
    ));
    if let Some(ws) = &app.ws {
        for t in &ws.tags().tags {
            editing.push((
                t.hotkey.clone(),
                format!(
                    "Tag the selection, or retag the selected span, as {}",
                    t.name
                ),
            ));
        }
    }
    editing.extend(FindKey::ALL.map(|k| (k.text(), k.label().to_owned())));
    let mut review: Vec<(String, String)> = Vec::new();
    for (s, _, what) in keymap.review_keys() {
        match review.iter_mut().find(|(_, d)| d == what) {
            Some((k, _)) => {
                k.push_str(" or ");
                k.push_str(&shortcut_text(&s));
            }
            None => review.push((shortcut_text(&s), what.to_owned())),
        }
    }
    if let Some(ws) = &app.ws {
        for t in &ws.tags().tags {
            review.push((t.hotkey.clone(), format!("Accept as {}", t.name)));
        }
    }
    let mut open = app.help_open;
    egui::Window::new("Keyboard shortcuts")
        .constrain_to(app.window_area(ctx))
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_width(560.0)
        .default_height(520.0)
        .default_pos(ctx.content_rect().center() - egui::vec2(280.0, 260.0))
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new("Keys do nothing while a text field has the cursor.")
                        .small()
                        .color(theme::weak(ui.visuals())),
                );
                if ui.button("Change keys…").clicked() {
                    commands.push(Command::ToggleKeysEditor);
                }
            });
            egui::ScrollArea::vertical().show(ui, |ui| {
                sheet(
                    ui,
                    &[
                        ("Everywhere", &everywhere),
                        ("Documents", &documents),
                        ("Annotating", &editing),
                        ("Review mode", &review),
                    ],
                );
            });
        });
    app.help_open = open;
}
