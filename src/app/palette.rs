//! The command palette (Ctrl+K or Ctrl+Shift+P): every command of the registry in
//! `registry.rs` with its keys, found by typing a few letters of its name, run with Enter.

use egui::{Key, RichText};

use super::registry::{Needs, PaletteEntry, palette_matches};
use super::{Command, MarginaliaApp, theme};

const FIELD: &str = "palette field";

/// The palette's state.
#[derive(Default)]
pub struct Palette {
    open: bool,
    query: String,
    selected: usize,
    focus: bool,
}

/// Shows or hides the palette.
pub(super) fn toggle(app: &mut MarginaliaApp) {
    let p = &mut app.palette;
    p.open = !p.open;
    p.query.clear();
    p.selected = 0;
    p.focus = p.open;
}

/// Draws the palette while it is open; Enter or a click runs the chosen command.
pub(super) fn draw(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    if !app.palette.open {
        return;
    }
    let tags = app.tag_set();
    let entries: Vec<PaletteEntry> = app.keymap.palette_entries(&tags);
    // Why a command can do nothing now, if it cannot.
    let (has_ws, has_doc) = (app.ws.is_some(), app.open.is_some());
    let why_not = move |e: &PaletteEntry| match e.needs {
        Needs::Workspace if !has_ws => Some("needs a workspace: File → Open"),
        Needs::Document if !has_doc => Some("needs an open document: choose one in the list"),
        _ => None,
    };
    let mut refused: Option<String> = None;
    let p = &mut app.palette;
    let mut matches = palette_matches(&p.query, &entries);
    // Up and Down move through the list, not the field's cursor.
    ctx.input_mut(|i| {
        if i.consume_key(egui::Modifiers::NONE, Key::ArrowDown) {
            p.selected += 1;
        }
        if i.consume_key(egui::Modifiers::NONE, Key::ArrowUp) {
            p.selected = p.selected.saturating_sub(1);
        }
    });
    let mut run: Option<Command> = None;
    let mut close = false;
    egui::Window::new("Commands")
        .id(egui::Id::unique("command palette"))
        .title_bar(false)
        .collapsible(false)
        .resizable(false)
        .fixed_size([480.0, 0.0])
        .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
        .show(ctx, |ui| {
            let before = p.query.clone();
            let r = ui.add(
                egui::TextEdit::singleline(&mut p.query)
                    .id(egui::Id::unique(FIELD))
                    .desired_width(f32::INFINITY)
                    .hint_text("Type a command (Enter runs it, Esc closes)"),
            );
            if std::mem::take(&mut p.focus) {
                r.request_focus();
            }
            if p.query != before {
                p.selected = 0;
                matches = palette_matches(&p.query, &entries);
            }
            p.selected = p.selected.min(matches.len().saturating_sub(1));
            if r.lost_focus() {
                if ui.input(|i| i.key_pressed(Key::Enter))
                    && let Some(e) = matches.get(p.selected).map(|&i| &entries[i])
                {
                    match why_not(e) {
                        Some(why) => refused = Some(format!("{}: {why}", e.name)),
                        None => run = Some(e.command.clone()),
                    }
                }
                close = true;
            }
            ui.separator();
            let weak = theme::weak(ui.visuals());
            // At its full height from the start: without a minimum the list shrank to the
            // window's first, measuring size (three rows).
            egui::ScrollArea::vertical()
                .max_height(360.0)
                .min_scrolled_height(360.0)
                .show(ui, |ui| {
                    if matches.is_empty() {
                        ui.label(RichText::new("No command fits").color(weak));
                    }
                    for (row, &i) in matches.iter().enumerate() {
                        let e = &entries[i];
                        ui.horizontal(|ui| {
                            let chosen = row == p.selected;
                            let why = why_not(e);
                            let label = ui.add_enabled(
                                why.is_none(),
                                egui::Button::selectable(chosen, &e.name),
                            );
                            let label = match why {
                                Some(why) => label.on_disabled_hover_text(why),
                                None => label,
                            };
                            if chosen {
                                label.scroll_to_me(None);
                            }
                            if label.clicked() {
                                run = Some(e.command.clone());
                                close = true;
                            }
                            if let Some(s) = &e.shortcut {
                                ui.with_layout(
                                    egui::Layout::right_to_left(egui::Align::Center),
                                    |ui| ui.label(RichText::new(s).monospace().color(weak)),
                                );
                            }
                        });
                    }
                });
        });
    if close {
        p.open = false;
    }
    if let Some(c) = run {
        commands.push(c);
    }
    if let Some(line) = refused {
        app.status_line = line;
    }
}
