//! Everything a user can ask the app to do, as one list: buttons, menus and keys all send a
//! [`Command`], and [`Action`] gives the keyboard shortcut and its text for the ones that have one.

use std::path::PathBuf;

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::layer::Status;

/// A user's request, collected while drawing a frame and applied after it.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Open a workspace folder or a single text file.
    OpenPath(PathBuf),
    /// Ask for a folder (`folder: true`) or a text file with the native dialog.
    Browse {
        folder: bool,
    },
    OpenDocument(String),
    /// Show another layer (read-only unless it is the annotator's own).
    ShowLayer(String),
    SetAnnotator(String),
    /// Tag the selected text, or retag the selected span.
    Tag(String),
    DeleteSelectedSpan,
    SelectSpan {
        id: u64,
        scroll: bool,
    },
    /// Drop the span selection but keep the text selection (a new drag started).
    ClearSpanSelection,
    /// Esc: deselect the span, or else the text.
    Deselect,
    NextSpan,
    PrevSpan,
    EditNote,
    SetNote {
        id: u64,
        note: String,
    },
    Undo,
    Redo,
    SetStatus(Status),
    ToggleDone,
    ZoomIn,
    ZoomOut,
    ZoomReset,
    ToggleTheme,
    SaveNow,
    ExtendSelection {
        forward: bool,
        by_word: bool,
    },
    SetTagFilter(Option<String>),
    // Durability (src/app/durability.rs).
    /// Hide banner number `i`.
    DismissBanner(usize),
    /// Keep the selected fuzzy span where re-anchoring placed it.
    ConfirmSelectedAnchor,
    /// Place orphan `id` over the selected text.
    ReattachOrphan(u64),
    DeleteOrphan(u64),
    /// Show why document `rel` cannot be opened.
    ShowProblem(String),
    /// File → Export…
    OpenExport,
    /// File → Import…
    OpenImport,
    /// An import changed texts, layers or tags: reread them.
    WorkspaceChanged,
    /// Review mode (see `review_mode.rs`).
    Review(super::review_mode::ReviewCommand),
    /// The Agreement window (see `agreement_view.rs`).
    Agreement(super::agreement_view::AgreementCommand),
    /// Close the window (pending edits are saved on the way out).
    Quit,
    /// A choice in the prompt shown when closing with unsaved edits (src/app/quit.rs).
    QuitPrompt(super::quit::QuitChoice),
    /// Put back the edits found in the recovery journal.
    RestoreRecovered,
    /// Drop the edits found in the recovery journal.
    DiscardRecovered,
    /// The layer file was deleted outside: write the spans again.
    KeepDeletedLayer,
    /// Close the open document.
    CloseDocument,
}

/// Commands with a keyboard shortcut, in the order they are matched (longer chords first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Redo,
    RedoY,
    Undo,
    SaveNow,
    ZoomIn,
    ZoomInEquals,
    ZoomOut,
    ZoomReset,
    PrevSpan,
    NextSpan,
    ExtendWordLeft,
    ExtendWordRight,
    ExtendLeft,
    ExtendRight,
    Delete,
    DeleteBackspace,
    ConfirmAnchor,
    EditNote,
    Deselect,
}

impl Action {
    /// Every action, in matching order.
    pub const ALL: [Action; 20] = [
        Action::Quit,
        Action::Redo,
        Action::RedoY,
        Action::Undo,
        Action::SaveNow,
        Action::ZoomIn,
        Action::ZoomInEquals,
        Action::ZoomOut,
        Action::ZoomReset,
        Action::PrevSpan,
        Action::NextSpan,
        Action::ExtendWordLeft,
        Action::ExtendWordRight,
        Action::ExtendLeft,
        Action::ExtendRight,
        Action::Delete,
        Action::DeleteBackspace,
        Action::ConfirmAnchor,
        Action::EditNote,
        Action::Deselect,
    ];

    /// The key chord.
    pub fn shortcut(self) -> KeyboardShortcut {
        let cmd = Modifiers::COMMAND;
        let cmd_shift = Modifiers::COMMAND | Modifiers::SHIFT;
        let (m, k) = match self {
            Action::Quit => (cmd, Key::Q),
            Action::Redo => (cmd_shift, Key::Z),
            Action::RedoY => (cmd, Key::Y),
            Action::Undo => (cmd, Key::Z),
            Action::SaveNow => (cmd, Key::S),
            Action::ZoomIn => (cmd, Key::Plus),
            Action::ZoomInEquals => (cmd, Key::Equals),
            Action::ZoomOut => (cmd, Key::Minus),
            Action::ZoomReset => (cmd, Key::Num0),
            Action::PrevSpan => (Modifiers::SHIFT, Key::Tab),
            Action::NextSpan => (Modifiers::NONE, Key::Tab),
            Action::ExtendWordLeft => (cmd_shift, Key::ArrowLeft),
            Action::ExtendWordRight => (cmd_shift, Key::ArrowRight),
            Action::ExtendLeft => (Modifiers::SHIFT, Key::ArrowLeft),
            Action::ExtendRight => (Modifiers::SHIFT, Key::ArrowRight),
            Action::Delete => (Modifiers::NONE, Key::Delete),
            Action::DeleteBackspace => (Modifiers::NONE, Key::Backspace),
            Action::ConfirmAnchor => (cmd, Key::Enter),
            Action::EditNote => (Modifiers::NONE, Key::Enter),
            Action::Deselect => (Modifiers::NONE, Key::Escape),
        };
        KeyboardShortcut::new(m, k)
    }

    /// What it does, for tooltips and the README's shortcut table.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "Close the window (saving first)",
            Action::Redo | Action::RedoY => "Redo",
            Action::Undo => "Undo",
            Action::SaveNow => "Save now (edits are also saved automatically)",
            Action::ZoomIn | Action::ZoomInEquals => "Larger text",
            Action::ZoomOut => "Smaller text",
            Action::ZoomReset => "Reset text size",
            Action::PrevSpan => "Previous span",
            Action::NextSpan => "Next span",
            Action::ExtendWordLeft | Action::ExtendWordRight => "Extend the selection by a word",
            Action::ExtendLeft | Action::ExtendRight => "Extend the selection by a character",
            Action::Delete | Action::DeleteBackspace => "Delete the selected span",
            Action::ConfirmAnchor => "Confirm the selected fuzzy span's position",
            Action::EditNote => "Edit the selected span's note",
            Action::Deselect => "Deselect",
        }
    }

    /// The command it sends.
    pub fn command(self) -> Command {
        match self {
            Action::Quit => Command::Quit,
            Action::Redo | Action::RedoY => Command::Redo,
            Action::Undo => Command::Undo,
            Action::SaveNow => Command::SaveNow,
            Action::ZoomIn | Action::ZoomInEquals => Command::ZoomIn,
            Action::ZoomOut => Command::ZoomOut,
            Action::ZoomReset => Command::ZoomReset,
            Action::PrevSpan => Command::PrevSpan,
            Action::NextSpan => Command::NextSpan,
            Action::ExtendWordLeft => Command::ExtendSelection {
                forward: false,
                by_word: true,
            },
            Action::ExtendWordRight => Command::ExtendSelection {
                forward: true,
                by_word: true,
            },
            Action::ExtendLeft => Command::ExtendSelection {
                forward: false,
                by_word: false,
            },
            Action::ExtendRight => Command::ExtendSelection {
                forward: true,
                by_word: false,
            },
            Action::Delete | Action::DeleteBackspace => Command::DeleteSelectedSpan,
            Action::ConfirmAnchor => Command::ConfirmSelectedAnchor,
            Action::EditNote => Command::EditNote,
            Action::Deselect => Command::Deselect,
        }
    }

    /// The shortcut as text, e.g. "Ctrl+Shift+Z".
    pub fn shortcut_text(self) -> String {
        let s = self.shortcut();
        let mut parts: Vec<&str> = Vec::new();
        if s.modifiers.command || s.modifiers.ctrl {
            parts.push("Ctrl");
        }
        if s.modifiers.alt {
            parts.push("Alt");
        }
        if s.modifiers.shift {
            parts.push("Shift");
        }
        let key = match s.logical_key {
            Key::ArrowLeft => "Left",
            Key::ArrowRight => "Right",
            Key::Plus => "+",
            Key::Minus => "-",
            Key::Equals => "=",
            k => k.name(),
        };
        parts.push(key);
        parts.join("+")
    }
}

/// The shortcut text of the first action that sends `command`, for button tooltips.
pub fn shortcut_for(command: &Command) -> Option<String> {
    Action::ALL
        .iter()
        .find(|a| &a.command() == command)
        .map(|a| a.shortcut_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcut_texts_read_well() {
        assert_eq!(Action::Redo.shortcut_text(), "Ctrl+Shift+Z");
        assert_eq!(Action::Undo.shortcut_text(), "Ctrl+Z");
        assert_eq!(shortcut_for(&Command::NextSpan).as_deref(), Some("Tab"));
    }
}
