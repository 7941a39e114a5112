//! Keys become commands here, and only here: one function per mode (everywhere, review mode,
//! the find bar, annotating), each reading the chords from the app's [`Keymap`], so a rebound
//! key works wherever its command is shown with it.

use egui::{Key, Modifiers};

use super::commands::{Command, FindCommand, ReviewCommand};
use super::registry::{Action, FindKey, Keymap};
use super::{MarginaliaApp, attrs, find_bar};

/// This frame's keys, after the Keys editor took the one it waits for (if any).
pub(super) fn dispatch(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    everywhere(&app.keymap, ctx, commands);
    if app.review.is_some() {
        review(app, ctx, commands);
    } else {
        find_bar_keys(app, ctx, commands);
        annotating(app, ctx, commands);
    }
}

/// The keys that work in every mode (F1, ?, Ctrl+R, Ctrl+G…), unless a text field has the
/// keyboard.
fn everywhere(keymap: &Keymap, ctx: &egui::Context, commands: &mut Vec<Command>) {
    if ctx.text_edit_focused() {
        return;
    }
    ctx.input_mut(|i| {
        for (action, chord) in keymap.actions_in_match_order() {
            if action.is_global() && i.consume_shortcut(&chord) {
                commands.push(action.command());
            }
        }
    });
}

/// Review mode's keys, unless a text field has the keyboard.
fn review(app: &MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let Some(mode) = &app.review else { return };
    if mode.has_prompt() {
        // Esc leaves the reason or comment field, whatever the review keys are.
        ctx.input_mut(|i| {
            if i.consume_key(Modifiers::NONE, Key::Escape) {
                commands.push(Command::Review(ReviewCommand::CancelPrompt));
            }
        });
        return;
    }
    if ctx.text_edit_focused() {
        return;
    }
    let tags = app.tag_set();
    let keys = app.keymap.review_keys();
    ctx.input_mut(|i| {
        for (shortcut, c, _) in keys {
            if i.consume_shortcut(&shortcut) {
                commands.push(Command::Review(c));
            }
        }
        for tag in &tags.tags {
            if let Some(key) = Key::from_name(&tag.hotkey)
                && i.consume_key(Modifiers::NONE, key)
            {
                commands.push(Command::Review(ReviewCommand::EditAccept(Some(
                    tag.name.clone(),
                ))));
            }
        }
    });
}

/// The find bar's keys that work while its field does not have the keyboard (Enter,
/// Shift+Enter, Esc, Alt + a tag's key); the field handles Enter itself. Before the
/// annotating keys.
fn find_bar_keys(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    if !app.find.is_open() || app.open.is_none() {
        return;
    }
    let (Some(next), Some(prev), Some(close)) = (
        FindKey::Next.chord(),
        FindKey::Prev.chord(),
        FindKey::Close.chord(),
    ) else {
        return;
    };
    let field_had_focus = app.find.field_had_focus();
    if find_bar::bulk_running(app) {
        // Esc stops a tag all that goes a slice a frame (and does nothing else then).
        if ctx.input_mut(|i| i.consume_shortcut(&close)) {
            commands.push(Command::Find(FindCommand::CancelBulk));
        }
        return;
    }
    let tags = app.tag_set();
    let typing_elsewhere = ctx.text_edit_focused() && !field_had_focus;
    let typing = ctx.text_edit_focused();
    let esc_left_field = field_had_focus && !typing;
    let was_typing = app.was_typing;
    // From the field, the other finders and the palette are one chord away.
    let from_field: Vec<_> = [Action::WorkspaceFind, Action::Palette]
        .into_iter()
        .flat_map(|a| app.keymap.chords(a).into_iter().map(move |c| (a, c)))
        .collect();
    ctx.input_mut(|i| {
        let mut tagged = false;
        for t in &tags.tags {
            if let Some(key) = Key::from_name(&t.hotkey)
                && i.consume_key(FindKey::TAG_ALL, key)
            {
                commands.push(Command::Find(FindCommand::TagAll {
                    tag: t.name.clone(),
                    confirmed: false,
                }));
                tagged = true;
            }
        }
        if tagged {
            // Alt+1 must not also type "1" into the field.
            i.events.retain(|e| !matches!(e, egui::Event::Text(_)));
        }
        if typing && field_had_focus {
            for (a, c) in &from_field {
                if i.consume_shortcut(c) {
                    commands.push(a.command());
                }
            }
        }
        if typing_elsewhere {
            return;
        }
        if (esc_left_field || !was_typing) && i.consume_shortcut(&close) {
            commands.push(Command::Find(FindCommand::Close));
        }
        if !typing {
            if i.consume_shortcut(&prev) {
                commands.push(Command::Find(FindCommand::Prev));
            } else if i.consume_shortcut(&next) {
                commands.push(Command::Find(FindCommand::Next));
            }
        }
    });
}

/// The annotating window's keys, unless a text field has the keyboard.
fn annotating(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let actions = app.keymap.actions_in_match_order();
    if attrs::keys(app, ctx) {
        // A choice list or checkbox has the keyboard: letters and digits pick values, so
        // only chords (undo, save…) reach the app. A text field keeps its own editing
        // chords (undo, words); the ones that go elsewhere still work from it.
        let text_field = ctx.text_edit_focused();
        ctx.input_mut(|i| {
            for (action, s) in actions {
                let usable = if text_field {
                    action.leaves_text_field(s)
                } else {
                    s.modifiers.command
                };
                if usable && i.consume_shortcut(&s) {
                    commands.push(action.command());
                }
            }
        });
        return;
    }
    if ctx.text_edit_focused() {
        return;
    }
    if app.was_typing {
        // The Esc that left the note (or another field) keeps the span selected.
        ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape));
    }
    let has_doc = app.open.is_some();
    let tags = app.tag_set();
    let has_span = app.selected_span.is_some();
    let has_selection = app.selected_text_range().is_some();
    let has_suggestions = app.suggest.has_any();
    ctx.input_mut(|i| {
        for (action, s) in actions {
            if action.is_global()
                || (action.needs_span() && !has_span)
                || (action.needs_suggestion() && !has_suggestions)
                || (action.needs_document() && !has_doc)
            {
                continue;
            }
            if action == Action::Deselect && !has_span && !has_selection {
                continue;
            }
            if i.consume_shortcut(&s) {
                commands.push(action.command());
            }
        }
        for tag in tags.tags.iter().filter(|_| has_doc) {
            if let Some(key) = Key::from_name(&tag.hotkey)
                && i.consume_key(Modifiers::NONE, key)
            {
                commands.push(Command::Tag(tag.name.clone()));
            }
        }
    });
    // Tab moves between spans here, not between widgets.
    if commands
        .iter()
        .any(|c| matches!(c, Command::NextSpan | Command::PrevSpan))
    {
        ctx.memory_mut(|m| m.move_focus(egui::FocusDirection::None));
    }
}
