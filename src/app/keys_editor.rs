//! The Keys editor (View → Change keyboard shortcuts…, the F1 sheet or the palette): every
//! action and review-mode key with its keys; "Change" then a key chord rebinds it, unless another action or a tag
//! hotkey has that chord. Bindings live in the preferences (`Prefs::keys`), which the registry's
//! [`Action::shortcut`] follows, so keys, menus, the sheet and the palette move together.

use egui::{Event, KeyboardShortcut, RichText};

use super::commands::{
    Bindable, ReviewKey, binding_conflict, is_modifier_key, normalized, shortcut_text, use_bindings,
};
use super::{Action, MarginaliaApp, theme};

/// The window's state.
#[derive(Debug, Default)]
pub struct KeysEditor {
    open: bool,
    /// The action waiting for its new keys.
    capturing: Option<Bindable>,
    /// The last word: (is an error, text).
    message: Option<(bool, String)>,
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
    let Some(action) = app.keys_editor.capturing else {
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
    let ed = &mut app.keys_editor;
    ed.capturing = None;
    if pressed.logical_key == egui::Key::Escape && pressed.modifiers.is_none() {
        ed.message = None;
        return;
    }
    let s = normalized(pressed);
    let tags = app
        .ws
        .as_ref()
        .map(|w| w.tags().clone())
        .unwrap_or_default();
    if let Some(why) = binding_conflict(action, s, &tags) {
        ed.message = Some((true, why));
        return;
    }
    if s == action.default_shortcut() {
        app.prefs.keys.remove(&action.id());
    } else {
        app.prefs.keys.insert(action.id(), shortcut_text(&s));
    }
    use_bindings(&app.prefs.keys);
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
    let mut reset: Option<Option<Bindable>> = None;
    egui::Window::new("Keyboard shortcuts editor")
        .open(&mut open)
        .default_size([620.0, 520.0])
        .default_pos(ctx.content_rect().center() - egui::vec2(310.0, 260.0))
        .vscroll(true)
        .show(ctx, |ui| {
            let ed = &mut app.keys_editor;
            let weak = theme::weak(ui.visuals());
            ui.label(
                RichText::new(
                    "Change, then press the new keys (Esc cancels). Tag keys are set in the tag \
                     editor.",
                )
                .small()
                .color(weak),
            );
            if let Some((error, text)) = &ed.message {
                let color = if *error {
                    ui.visuals().error_fg_color
                } else {
                    weak
                };
                ui.label(RichText::new(text).color(color));
            }
            if ui.button("Reset all").clicked() {
                reset = Some(None);
            }
            egui::Grid::new("keys editor")
                .num_columns(4)
                .spacing([12.0, 3.0])
                .show(ui, |ui| {
                    let app = Action::ALL.into_iter().map(Bindable::App);
                    let review = ReviewKey::ALL.into_iter().map(Bindable::Review);
                    for a in app.chain(review) {
                        if a == Bindable::Review(ReviewKey::ALL[0]) {
                            ui.label(RichText::new("Review mode").strong());
                            ui.end_row();
                        }
                        ui.label(a.description());
                        let keys = RichText::new(shortcut_text(&a.shortcut())).monospace();
                        ui.label(if a.is_rebound() { keys.strong() } else { keys });
                        if ed.capturing == Some(a) {
                            ui.label(RichText::new("press the new keys…").italics());
                        } else if ui.button("Change").clicked() {
                            ed.capturing = Some(a);
                            ed.message = None;
                        }
                        if ui
                            .add_enabled(a.is_rebound(), egui::Button::new("Reset"))
                            .on_hover_text(format!(
                                "Back to {}",
                                shortcut_text(&a.default_shortcut())
                            ))
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
            let tags = app
                .ws
                .as_ref()
                .map(|w| w.tags().clone())
                .unwrap_or_default();
            // Another action may have taken the default meanwhile.
            app.keys_editor.message = match binding_conflict(a, a.default_shortcut(), &tags) {
                Some(why) => Some((true, why)),
                None => {
                    app.prefs.keys.remove(&a.id());
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
    use_bindings(&app.prefs.keys);
    if !open {
        app.keys_editor = KeysEditor::default();
    }
}
