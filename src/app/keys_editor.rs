//! The Keys editor (View → Change keyboard shortcuts…, the F1 sheet or the palette): every
//! command of the registry with its keys; "Change" then a key chord rebinds its first chord
//! ("Change 2nd" its second, where it has two), unless another command or a tag hotkey has
//! that chord. Bindings live in the preferences (`Prefs::keys`); the app's [`Keymap`] is
//! rebuilt from them here, so keys, menus, the sheet and the palette move together.

use egui::{Event, KeyboardShortcut, RichText};

use super::registry::{Bindable, Keymap, ReviewKey, is_modifier_key, normalized, shortcut_text};
use super::{MarginaliaApp, theme};

/// The window's state.
#[derive(Debug, Default)]
pub struct KeysEditor {
    open: bool,
    /// The command and chord slot waiting for new keys.
    capturing: Option<(Bindable, usize)>,
    /// The last word: (is an error, text).
    message: Option<(bool, String)>,
}

impl KeysEditor {
    /// Whether the window is open.
    pub(super) fn is_open(&self) -> bool {
        self.open
    }
}

/// Opens or closes the window.
pub(super) fn toggle(app: &mut MarginaliaApp) {
    let open = !app.keys_editor.open;
    app.keys_editor = KeysEditor {
        open,
        ..Default::default()
    };
}

/// While waiting for new keys, takes the first key pressed (before anything else sees it) and
/// binds it; Esc cancels. Nothing else gets the frame's keys meanwhile.
pub(super) fn capture(app: &mut MarginaliaApp, ctx: &egui::Context) {
    let Some((action, slot)) = app.keys_editor.capturing else {
        return;
    };
    let pressed = ctx.input_mut(|i| {
        let first = i.events.iter().find_map(|e| match e {
            // Ctrl, Shift… alone come as keys too: wait for the key they modify.
            Event::Key {
                key,
                pressed: true,
                modifiers,
                ..
            } if !is_modifier_key(*key) => Some(KeyboardShortcut::new(*modifiers, *key)),
            _ => None,
        });
        i.events
            .retain(|e| !matches!(e, Event::Key { .. } | Event::Text(_)));
        first
    });
    let Some(pressed) = pressed else { return };
    let tags = app.tag_set();
    let ed = &mut app.keys_editor;
    ed.capturing = None;
    if pressed.logical_key == egui::Key::Escape && pressed.modifiers.is_none() {
        ed.message = None;
        return;
    }
    let s = normalized(pressed);
    if let Some(why) = app.keymap.conflict(action, slot, s, &tags) {
        ed.message = Some((true, why));
        return;
    }
    if action.default_chords().get(slot) == Some(&s) {
        app.prefs.keys.remove(&action.slot_id(slot));
    } else {
        app.prefs
            .keys
            .insert(action.slot_id(slot), shortcut_text(&s));
    }
    app.keymap = Keymap::new(&app.prefs.keys);
    ed.message = Some((
        false,
        format!("{} is now {}", action.description(), shortcut_text(&s)),
    ));
}

/// Draws the window while it is open.
pub(super) fn draw(app: &mut MarginaliaApp, ctx: &egui::Context) {
    if !app.keys_editor.open {
        return;
    }
    let mut open = true;
    let area = app.window_area(ctx);
    let mut reset: Option<Option<Bindable>> = None;
    egui::Window::new("Keyboard shortcuts editor")
        .constrain_to(area)
        .open(&mut open)
        // As wide as its grid from the first frame: 620 showed the first frame with the Change
        // and Reset buttons cut off (the grid is 850 wide), and egui's own default is narrower.
        .default_width(area.width().min(880.0))
        .default_height(520.0)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(ctx.content_rect().center_top() + egui::vec2(0.0, 90.0))
        .vscroll(true)
        .show(ctx, |ui| {
            let ed = &mut app.keys_editor;
            let keymap = &app.keymap;
            let weak = theme::weak(ui.visuals());
            ui.label(
                RichText::new(
                    "Change, then press the new keys (Esc cancels). Tag keys are set in the tag \
                     editor.",
                )
                .small()
                .color(weak),
            );
            // "Reset all" and the last word share one line, there with or without a word, so
            // that no row moves when one appears (a moved row took the next click).
            ui.horizontal(|ui| {
                if ui.button("Reset all").clicked() {
                    reset = Some(None);
                }
                let (color, text) = match &ed.message {
                    Some((true, text)) => (ui.visuals().error_fg_color, text.as_str()),
                    Some((false, text)) => (weak, text.as_str()),
                    None => (weak, ""),
                };
                let r = ui.add(egui::Label::new(RichText::new(text).color(color)).truncate());
                if !text.is_empty() {
                    r.on_hover_text(text);
                }
            });
            egui::Grid::new("keys editor")
                .num_columns(4)
                .spacing([12.0, 3.0])
                .show(ui, |ui| {
                    for a in Bindable::all() {
                        if a == Bindable::Review(ReviewKey::ALL[0]) {
                            ui.label(RichText::new("Review mode").strong());
                            ui.end_row();
                        }
                        ui.label(a.description());
                        let keys = RichText::new(keymap.text(a)).monospace();
                        ui.label(if keymap.is_rebound(a) {
                            keys.strong()
                        } else {
                            keys
                        });
                        ui.horizontal(|ui| {
                            if ed.capturing.is_some_and(|(c, _)| c == a) {
                                ui.label(RichText::new("press the new keys…").italics());
                            } else {
                                if ui.button("Change").clicked() {
                                    ed.capturing = Some((a, 0));
                                    ed.message = None;
                                }
                                if let Some(second) = keymap.chord(a, 1)
                                    && ui
                                        .button("Change 2nd")
                                        .on_hover_text(format!(
                                            "Change the second key ({})",
                                            shortcut_text(&second)
                                        ))
                                        .clicked()
                                {
                                    ed.capturing = Some((a, 1));
                                    ed.message = None;
                                }
                            }
                        });
                        let defaults: Vec<String> =
                            a.default_chords().iter().map(shortcut_text).collect();
                        if ui
                            .add_enabled(keymap.is_rebound(a), egui::Button::new("Reset"))
                            .on_hover_text(format!("Back to {}", defaults.join(" or ")))
                            .clicked()
                        {
                            reset = Some(Some(a));
                        }
                        ui.end_row();
                    }
                });
        });
    match reset {
        Some(Some(a)) => {
            let tags = app.tag_set();
            // Another command may have taken a default meanwhile.
            let taken = (a.default_chords().into_iter().enumerate())
                .find_map(|(slot, c)| app.keymap.conflict(a, slot, c, &tags));
            app.keys_editor.message = match taken {
                Some(why) => Some((true, why)),
                None => {
                    let slots = a.default_chords().len().max(1);
                    for slot in 0..slots {
                        app.prefs.keys.remove(&a.slot_id(slot));
                    }
                    Some((false, format!("{} is back to its keys", a.description())))
                }
            };
        }
        Some(None) => {
            app.prefs.keys.clear();
            app.keys_editor.message = Some((false, "Every shortcut is back to its default".into()));
        }
        None => {}
    }
    app.keymap = Keymap::new(&app.prefs.keys);
    if !open {
        app.keys_editor = KeysEditor::default();
    }
}
