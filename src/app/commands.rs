//! Everything a user can ask the app to do, as one list: buttons, menus and keys all send a
//! [`Command`], and [`Action`] gives the keyboard shortcut and its text for the ones that have one.
//! [`Action::shortcut`] is the one answer to "which keys send this": it follows the user's
//! bindings (the Keys editor, kept in the preferences), so keys, menus, the shortcut sheet and
//! the palette cannot disagree.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::assist::suggest::Source;
use crate::model::layer::{Span, Status};

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
    /// `A`: move the keyboard into the selected span's first attribute.
    EditAttributes,
    /// Set (or with an empty value clear) attribute `name` of span `id`, as undo step `step`.
    SetAttr {
        id: u64,
        name: String,
        value: Option<String>,
        step: AttrStep,
    },
    /// Show only spans with this value in the span list (`None`: all).
    SetValueFilter(Option<ValueFilter>),
    /// Tags → Edit tags…: show or hide the tag editor.
    ToggleTagEditor,
    /// The tag editor's Save: write this tag set to `tags.ron` (through the core).
    SaveTags(Box<crate::model::tags::TagSet>),
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
    /// Alt+↓ / Alt+↑: the next or previous document of the list (`undone`: the next one not
    /// done, wrapping around).
    StepDocument {
        forward: bool,
        undone: bool,
    },
    /// Give span `id` new boundaries (an end of it was dragged).
    SetSpanRange {
        id: u64,
        start: usize,
        end: usize,
    },
    /// Move the selected span's start (`start`) or end by a character or a word.
    MoveSpanEdge {
        start: bool,
        forward: bool,
        by_word: bool,
    },
    /// Stop opening the document being opened and go back to what was shown before.
    CancelOpen,
    /// F1 / ?: show or hide the shortcut sheet.
    ToggleHelp,
    /// Show or hide the Keys editor, where the user rebinds shortcuts.
    ToggleKeysEditor,
    /// Ctrl+K / Ctrl+Shift+P: show or hide the command palette.
    TogglePalette,
    /// Ctrl+Shift+F: show or hide the workspace find window.
    ToggleWorkspaceFind,
    /// Tag every hit of the workspace search with this tag in the annotator's layers.
    TagAllInWorkspace(String),
    /// Open document `rel` with `[start, end)` selected and in view (a workspace find hit).
    OpenAt {
        rel: String,
        start: usize,
        end: usize,
    },
    /// Ctrl+R: review the open document, or leave review mode.
    ToggleReview,
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
    Review(ReviewCommand),
    /// The Agreement window (see `agreement_view.rs`).
    Agreement(AgreementCommand),
    /// The Team window (see `team_view.rs`).
    Team(TeamCommand),
    /// Close the window (pending edits are saved on the way out).
    Quit,
    /// A choice in the prompt shown when closing with unsaved edits (src/app/quit.rs).
    QuitPrompt(QuitChoice),
    /// Put back the edits found in the recovery journal.
    RestoreRecovered,
    /// Drop the edits found in the recovery journal.
    DiscardRecovered,
    /// Hide the notice of a journal entry whose workspace moved.
    DismissJournalOrphan(usize),
    /// Delete a journal entry whose workspace moved, at the user's word.
    DiscardJournalOrphan(usize),
    /// The layer file was deleted outside: write the spans again.
    KeepDeletedLayer,
    /// Close the open document.
    CloseDocument,
    /// The find bar (src/app/find_bar.rs).
    Find(FindCommand),
    /// Suggestions (src/app/suggestions.rs).
    Suggest(SuggestCommand),
}

/// How a [`Command::SetAttr`] goes into the undo history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrStep {
    /// A step of its own (a flag ticked, a value picked from the list).
    Own,
    /// A new step that later [`AttrStep::Join`]s extend: the first change of a visit to a
    /// text field.
    Start,
    /// Joins the last step when it set the same attribute of the same span and nothing came
    /// after (letters typed into a choice list, typing on in a text field); else starts one.
    Join,
}

/// What the reviewer asks for; sent as [`Command::Review`].
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewCommand {
    /// Show the "Review…" dialog for the open document.
    ChooseLayers,
    CloseChooser,
    /// Start reviewing text `rel`: layer `a` alone, or `a` against `b`.
    Start {
        rel: String,
        a: String,
        b: Option<String>,
    },
    Exit,
    Select(usize),
    Next,
    Prev,
    Decide(DecisionKey),
    /// Accept the selected item with the selected text as boundaries (if any) and this tag
    /// (the item's own when `None`).
    EditAccept(Option<String>),
    AskReason,
    AskComment,
    /// Set attribute `name` of the selected item's curated span (`None`: no value), as picked
    /// from one side or typed.
    SetValue {
        name: String,
        value: Option<String>,
    },
    /// Ask for a value of attribute `name` to type in.
    AskValue(String),
    /// The reason or comment being typed is confirmed.
    ConfirmPrompt,
    CancelPrompt,
    AcceptAllAgreed,
    Reopen,
    Undo,
    Redo,
    ToggleReviewed,
    SaveNow,
    /// Put back the decisions found in the recovery journal.
    RestoreRecovered,
    /// Drop the decisions found in the recovery journal.
    DiscardRecovered,
}

/// The one-key decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKey {
    AcceptA,
    AcceptB,
    AcceptBoth,
}

/// What the Agreement window asks for; sent as [`Command::Agreement`].
#[derive(Debug, Clone, PartialEq)]
pub enum AgreementCommand {
    Toggle,
    Compute,
    Cancel,
    SelectPair(usize),
    /// Selects a pair and scrolls to its figures (a click in the heatmap).
    OpenPair(usize),
}

/// What the Team window asks for; sent as [`Command::Team`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamCommand {
    Toggle,
    Refresh,
}

/// What the find bar can be asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum FindCommand {
    /// Open the bar (or focus its field when it is open).
    Open,
    /// Close the bar, leaving the current hit selected as text.
    Close,
    Next,
    Prev,
    /// Tag every hit with `tag` (`confirmed`: the user has said yes to many hits).
    TagAll {
        tag: String,
        confirmed: bool,
    },
    /// Drop the "tag N hits?" question.
    CancelConfirm,
    /// Stop a tag all that is going a slice a frame: nothing it added stays.
    CancelBulk,
}

/// What the suggestions can be asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum SuggestCommand {
    Accept,
    Reject,
    Next,
    Prev,
    /// Accept every shown suggestion of the focused one's source, as one undo step.
    AcceptSource,
    /// Focus shown suggestion `i` and scroll it into view (a click in the list).
    Focus(usize),
    /// Switch a source on or off.
    SetSource(Source, bool),
}

/// What the user chose in the quit prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuitChoice {
    /// Try to save again; close if it works.
    Retry,
    /// Ask for a place for the copy with the native dialog.
    BrowseCopy,
    /// Write the unsaved layer to the typed path, then close.
    SaveCopy,
    /// Drop the unsaved edits and close.
    Discard,
    /// Keep the window open.
    Cancel,
}

/// The span list's filter by a value: spans of `tag` whose `name` is `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueFilter {
    pub tag: String,
    pub name: String,
    pub value: String,
}

impl ValueFilter {
    /// Whether span `s` passes.
    pub fn keeps(&self, s: &Span) -> bool {
        s.tag == self.tag && s.attrs.get(&self.name).is_some_and(|v| *v == self.value)
    }
}

/// Commands with a keyboard shortcut, in the order they are matched (longer chords first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Help,
    Palette,
    PaletteP,
    WorkspaceFind,
    Find,
    HelpQuestion,
    Review,
    Agreement,
    Team,
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
    NextUndoneDocument,
    NextDocument,
    PrevDocument,
    StartWordLeft,
    StartWordRight,
    StartLeft,
    StartRight,
    ExtendWordLeft,
    ExtendWordRight,
    ExtendLeft,
    ExtendRight,
    Delete,
    DeleteBackspace,
    ConfirmAnchor,
    EditNote,
    EditAttributes,
    Deselect,
    // Suggestions (src/app/suggestions.rs); Shift+Y before Y.
    AcceptSourceSuggestions,
    AcceptSuggestion,
    RejectSuggestion,
    NextSuggestion,
    PrevSuggestion,
}

impl Action {
    /// Every action, in matching order.
    pub const ALL: [Action; 42] = [
        Action::Help,
        Action::PaletteP,
        Action::Palette,
        Action::WorkspaceFind,
        Action::Find,
        Action::HelpQuestion,
        Action::Review,
        Action::Agreement,
        Action::Team,
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
        Action::NextUndoneDocument,
        Action::NextDocument,
        Action::PrevDocument,
        Action::StartWordLeft,
        Action::StartWordRight,
        Action::StartLeft,
        Action::StartRight,
        Action::ExtendWordLeft,
        Action::ExtendWordRight,
        Action::ExtendLeft,
        Action::ExtendRight,
        Action::Delete,
        Action::DeleteBackspace,
        Action::ConfirmAnchor,
        Action::EditNote,
        Action::EditAttributes,
        Action::Deselect,
        Action::AcceptSourceSuggestions,
        Action::AcceptSuggestion,
        Action::RejectSuggestion,
        Action::NextSuggestion,
        Action::PrevSuggestion,
    ];

    /// The key chord: the user's binding if there is one, else the default.
    pub fn shortcut(self) -> KeyboardShortcut {
        BINDINGS
            .with_borrow(|b| b.parsed.iter().find(|(a, _)| *a == self).map(|(_, s)| *s))
            .unwrap_or_else(|| self.default_shortcut())
    }

    /// Whether the user bound it to other keys.
    pub fn is_rebound(self) -> bool {
        BINDINGS.with_borrow(|b| b.parsed.iter().any(|(a, _)| *a == self))
    }

    /// Its name in the preferences' bindings, e.g. "Undo".
    pub fn id(self) -> String {
        format!("{self:?}")
    }

    /// The action named `id` in the preferences' bindings.
    pub fn from_id(id: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.id() == id)
    }

    /// Every action in the order keys are matched: chords with more modifiers first, since a
    /// chord also matches with Shift or Alt held on top (egui's `matches_logically`).
    pub fn in_match_order() -> Vec<Action> {
        let mut all = Action::ALL.to_vec();
        all.sort_by_key(|a| {
            let m = a.shortcut().modifiers;
            std::cmp::Reverse(u8::from(m.command || m.ctrl) + u8::from(m.alt) + u8::from(m.shift))
        });
        all
    }

    /// The key chord it has without the user's bindings.
    pub fn default_shortcut(self) -> KeyboardShortcut {
        let cmd = Modifiers::COMMAND;
        let cmd_shift = Modifiers::COMMAND | Modifiers::SHIFT;
        let alt_shift = Modifiers::ALT | Modifiers::SHIFT;
        let (m, k) = match self {
            Action::Help => (Modifiers::NONE, Key::F1),
            Action::Palette => (cmd, Key::K),
            Action::PaletteP => (cmd_shift, Key::P),
            Action::WorkspaceFind => (cmd_shift, Key::F),
            Action::Find => (cmd, Key::F),
            Action::HelpQuestion => (Modifiers::NONE, Key::Questionmark),
            Action::Review => (cmd, Key::R),
            Action::Agreement => (cmd, Key::G),
            Action::Team => (cmd_shift, Key::T),
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
            Action::NextUndoneDocument => (cmd | Modifiers::ALT, Key::ArrowDown),
            Action::NextDocument => (Modifiers::ALT, Key::ArrowDown),
            Action::PrevDocument => (Modifiers::ALT, Key::ArrowUp),
            Action::StartWordLeft => (cmd_shift | Modifiers::ALT, Key::ArrowLeft),
            Action::StartWordRight => (cmd_shift | Modifiers::ALT, Key::ArrowRight),
            Action::StartLeft => (alt_shift, Key::ArrowLeft),
            Action::StartRight => (alt_shift, Key::ArrowRight),
            Action::ExtendWordLeft => (cmd_shift, Key::ArrowLeft),
            Action::ExtendWordRight => (cmd_shift, Key::ArrowRight),
            Action::ExtendLeft => (Modifiers::SHIFT, Key::ArrowLeft),
            Action::ExtendRight => (Modifiers::SHIFT, Key::ArrowRight),
            Action::Delete => (Modifiers::NONE, Key::Delete),
            Action::DeleteBackspace => (Modifiers::NONE, Key::Backspace),
            Action::ConfirmAnchor => (cmd, Key::Enter),
            Action::EditNote => (Modifiers::NONE, Key::Enter),
            Action::EditAttributes => (Modifiers::NONE, Key::A),
            Action::Deselect => (Modifiers::NONE, Key::Escape),
            Action::AcceptSourceSuggestions => (Modifiers::SHIFT, Key::Y),
            Action::AcceptSuggestion => (Modifiers::NONE, Key::Y),
            Action::RejectSuggestion => (Modifiers::NONE, Key::X),
            Action::NextSuggestion => (Modifiers::NONE, Key::CloseBracket),
            Action::PrevSuggestion => (Modifiers::NONE, Key::OpenBracket),
        };
        KeyboardShortcut::new(m, k)
    }

    /// Whether it only applies to a selected span (otherwise the key is left to others).
    pub fn needs_span(self) -> bool {
        matches!(
            self,
            Action::Delete
                | Action::DeleteBackspace
                | Action::EditNote
                | Action::EditAttributes
                | Action::ConfirmAnchor
                | Action::StartWordLeft
                | Action::StartWordRight
                | Action::StartLeft
                | Action::StartRight
        )
    }

    /// Whether it only applies while suggestions are shown (otherwise the key is left to
    /// others, a tag's key say).
    pub fn needs_suggestion(self) -> bool {
        matches!(
            self,
            Action::AcceptSourceSuggestions
                | Action::AcceptSuggestion
                | Action::RejectSuggestion
                | Action::NextSuggestion
                | Action::PrevSuggestion
        )
    }

    /// Whether it works everywhere, in review mode too.
    pub fn is_global(self) -> bool {
        matches!(
            self,
            Action::Help | Action::HelpQuestion | Action::Review | Action::Agreement | Action::Team
        )
    }

    /// Whether it needs an open document.
    pub fn needs_document(self) -> bool {
        !matches!(
            self,
            Action::Help
                | Action::HelpQuestion
                | Action::Palette
                | Action::PaletteP
                | Action::WorkspaceFind
                | Action::Review
                | Action::Agreement
                | Action::Team
                | Action::Quit
                | Action::NextDocument
                | Action::PrevDocument
                | Action::NextUndoneDocument
                // A workspace "Tag all" is undone with no document open too.
                | Action::Undo
                | Action::Redo
                | Action::RedoY
        )
    }

    /// What it does, for tooltips and the README's shortcut table.
    pub fn description(self) -> &'static str {
        match self {
            Action::Help | Action::HelpQuestion => "Show or hide this list of shortcuts",
            Action::Palette | Action::PaletteP => "Command palette: find any command by name",
            Action::WorkspaceFind => "Find in every document of the workspace",
            Action::Find => "Find in the document",
            Action::Review => "Review the open document, or leave review mode",
            Action::Agreement => "Show or hide the Agreement window",
            Action::Team => "Show or hide the Team window: who has done what",
            Action::Quit => "Close the window (saving first; asks if edits cannot be saved)",
            Action::Redo | Action::RedoY => "Redo",
            Action::Undo => "Undo",
            Action::SaveNow => "Save now (edits are also saved automatically)",
            Action::ZoomIn | Action::ZoomInEquals => "Larger text",
            Action::ZoomOut => "Smaller text",
            Action::ZoomReset => "Reset text size",
            Action::PrevSpan => "Previous span",
            Action::NextSpan => "Next span",
            Action::NextUndoneDocument => "Next document that is not done",
            Action::NextDocument => "Next document",
            Action::PrevDocument => "Previous document",
            Action::StartWordLeft | Action::StartWordRight => {
                "Move the selected span's start by a word"
            }
            Action::StartLeft | Action::StartRight => {
                "Move the selected span's start by a character"
            }
            Action::ExtendWordLeft | Action::ExtendWordRight => {
                "Extend the selection by a word (with a span selected: move its end)"
            }
            Action::ExtendLeft | Action::ExtendRight => {
                "Extend the selection by a character (with a span selected: move its end)"
            }
            Action::Delete | Action::DeleteBackspace => "Delete the selected span",
            Action::ConfirmAnchor => "Confirm the selected fuzzy span's position",
            Action::EditNote => "Edit the selected span's note",
            Action::EditAttributes => {
                "Edit the selected span's attributes (Tab moves, Esc goes back)"
            }
            Action::Deselect => "Deselect",
            Action::AcceptSourceSuggestions => {
                "Accept every suggestion of the focused one's source here (one undo step)"
            }
            Action::AcceptSuggestion => "Accept the focused suggestion",
            Action::RejectSuggestion => "Reject the focused suggestion (it does not come back)",
            Action::NextSuggestion => "Next suggestion",
            Action::PrevSuggestion => "Previous suggestion",
        }
    }

    /// The command it sends.
    pub fn command(self) -> Command {
        let start = |forward, by_word| Command::MoveSpanEdge {
            start: true,
            forward,
            by_word,
        };
        match self {
            Action::Help | Action::HelpQuestion => Command::ToggleHelp,
            Action::Palette | Action::PaletteP => Command::TogglePalette,
            Action::WorkspaceFind => Command::ToggleWorkspaceFind,
            Action::Find => Command::Find(FindCommand::Open),
            Action::Review => Command::ToggleReview,
            Action::Agreement => Command::Agreement(AgreementCommand::Toggle),
            Action::Team => Command::Team(TeamCommand::Toggle),
            Action::Quit => Command::Quit,
            Action::Redo | Action::RedoY => Command::Redo,
            Action::Undo => Command::Undo,
            Action::SaveNow => Command::SaveNow,
            Action::ZoomIn | Action::ZoomInEquals => Command::ZoomIn,
            Action::ZoomOut => Command::ZoomOut,
            Action::ZoomReset => Command::ZoomReset,
            Action::PrevSpan => Command::PrevSpan,
            Action::NextSpan => Command::NextSpan,
            Action::NextUndoneDocument => Command::StepDocument {
                forward: true,
                undone: true,
            },
            Action::NextDocument => Command::StepDocument {
                forward: true,
                undone: false,
            },
            Action::PrevDocument => Command::StepDocument {
                forward: false,
                undone: false,
            },
            Action::StartWordLeft => start(false, true),
            Action::StartWordRight => start(true, true),
            Action::StartLeft => start(false, false),
            Action::StartRight => start(true, false),
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
            Action::EditAttributes => Command::EditAttributes,
            Action::Deselect => Command::Deselect,
            Action::AcceptSourceSuggestions => Command::Suggest(SuggestCommand::AcceptSource),
            Action::AcceptSuggestion => Command::Suggest(SuggestCommand::Accept),
            Action::RejectSuggestion => Command::Suggest(SuggestCommand::Reject),
            Action::NextSuggestion => Command::Suggest(SuggestCommand::Next),
            Action::PrevSuggestion => Command::Suggest(SuggestCommand::Prev),
        }
    }

    /// The shortcut as text, e.g. "Ctrl+Shift+Z".
    pub fn shortcut_text(self) -> String {
        shortcut_text(&self.shortcut())
    }
}

/// A key chord as text, e.g. "Ctrl+Shift+Z".
pub fn shortcut_text(s: &KeyboardShortcut) -> String {
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
        Key::ArrowUp => "Up",
        Key::ArrowDown => "Down",
        Key::Questionmark => "?",
        Key::Plus => "+",
        Key::Minus => "-",
        Key::Equals => "=",
        Key::OpenBracket => "[",
        Key::CloseBracket => "]",
        k => k.name(),
    };
    parts.push(key);
    parts.join("+")
}

/// The user's bindings in effect on this thread (the UI thread): installed from the
/// preferences each frame by [`use_bindings`], read by [`Action::shortcut`].
#[derive(Default)]
struct Bindings {
    source: BTreeMap<String, String>,
    parsed: Vec<(Action, KeyboardShortcut)>,
    review: Vec<(ReviewKey, KeyboardShortcut)>,
}

thread_local! {
    static BINDINGS: RefCell<Bindings> = RefCell::new(Bindings::default());
}

/// Makes `keys` (action id → shortcut text, as kept in the preferences) the bindings in effect.
/// Unknown actions and unreadable shortcuts are ignored.
pub fn use_bindings(keys: &BTreeMap<String, String>) {
    BINDINGS.with_borrow_mut(|b| {
        if &b.source == keys {
            return;
        }
        b.source = keys.clone();
        b.parsed = valid_bindings(keys).collect();
        b.review = valid_review_bindings(keys).collect();
    });
}

/// The entries of `keys` that name a review key and a readable shortcut.
pub fn valid_review_bindings(
    keys: &BTreeMap<String, String>,
) -> impl Iterator<Item = (ReviewKey, KeyboardShortcut)> + '_ {
    keys.iter()
        .filter_map(|(id, text)| Some((ReviewKey::from_id(id)?, parse_shortcut(text)?)))
}

/// `keys` without the entries that name no action or review key, or no readable shortcut.
pub fn valid_keys(keys: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let app = valid_bindings(keys).map(|(a, s)| (a.id(), shortcut_text(&s)));
    let review = valid_review_bindings(keys).map(|(r, s)| (r.id(), shortcut_text(&s)));
    app.chain(review).collect()
}

/// The entries of `keys` that name an action and a readable shortcut.
pub fn valid_bindings(
    keys: &BTreeMap<String, String>,
) -> impl Iterator<Item = (Action, KeyboardShortcut)> + '_ {
    keys.iter()
        .filter_map(|(id, text)| Some((Action::from_id(id)?, parse_shortcut(text)?)))
}

/// Reads a chord written by [`shortcut_text`], e.g. "Ctrl+Shift+Z" or "Ctrl++".
pub fn parse_shortcut(text: &str) -> Option<KeyboardShortcut> {
    let mut modifiers = Modifiers::NONE;
    let mut rest = text.trim();
    loop {
        if let Some(r) = rest.strip_prefix("Ctrl+") {
            modifiers.command = true;
            rest = r;
        } else if let Some(r) = rest.strip_prefix("Alt+") {
            modifiers.alt = true;
            rest = r;
        } else if let Some(r) = rest.strip_prefix("Shift+") {
            modifiers.shift = true;
            rest = r;
        } else {
            break;
        }
    }
    let key = match rest {
        "Left" => Key::ArrowLeft,
        "Right" => Key::ArrowRight,
        "Up" => Key::ArrowUp,
        "Down" => Key::ArrowDown,
        "?" => Key::Questionmark,
        "+" => Key::Plus,
        "-" => Key::Minus,
        "=" => Key::Equals,
        name => Key::from_name(name)?,
    };
    if is_modifier_key(key) {
        return None;
    }
    Some(KeyboardShortcut::new(modifiers, key))
}

/// Keys that only modify others (or lock), never a binding of their own.
pub fn is_modifier_key(key: Key) -> bool {
    matches!(
        key,
        Key::ShiftLeft
            | Key::ShiftRight
            | Key::ControlLeft
            | Key::ControlRight
            | Key::AltLeft
            | Key::AltRight
            | Key::SuperLeft
            | Key::SuperRight
            | Key::CapsLock
            | Key::NumLock
    )
}

/// A pressed chord as the bindings keep it: Ctrl and Cmd are both "command".
pub fn normalized(s: KeyboardShortcut) -> KeyboardShortcut {
    let m = s.modifiers;
    let modifiers = Modifiers {
        alt: m.alt,
        shift: m.shift,
        ctrl: false,
        mac_cmd: false,
        command: m.command || m.ctrl || m.mac_cmd,
    };
    KeyboardShortcut::new(modifiers, s.logical_key)
}

/// Why `action` cannot take `shortcut`, naming what has it already: another action, or a tag's
/// hotkey (tag keys are plain keys, and also match with Shift held).
///
/// A review key may share a chord with an action that review mode does not use (e.g. `a`
/// with "Edit attributes"), but not with another review key, review mode's undo, redo and
/// save, the actions that work everywhere (F1, Ctrl+R…) or a tag's hotkey.
pub fn binding_conflict(
    target: impl Into<Bindable>,
    shortcut: KeyboardShortcut,
    tags: &crate::model::tags::TagSet,
) -> Option<String> {
    let s = normalized(shortcut);
    let text = shortcut_text(&s);
    let (action, review) = match target.into() {
        Bindable::App(a) => (Some(a), None),
        Bindable::Review(r) => (None, Some(r)),
    };
    if let Some(other) = (Action::ALL.into_iter()).find(|a| {
        Some(*a) != action && (action.is_some() || a.is_global()) && normalized(a.shortcut()) == s
    }) {
        return Some(format!(
            "Refused: {text} is already the key of \"{}\"",
            other.description()
        ));
    }
    let own = |c: &ReviewCommand| match review {
        Some(r) => *c == r.command(),
        None => matches!(
            c,
            ReviewCommand::Undo | ReviewCommand::Redo | ReviewCommand::SaveNow
        ),
    };
    if let Some((_, _, what)) =
        (review_keys().into_iter()).find(|(r, c, _)| !own(c) && normalized(*r) == s)
    {
        return Some(format!(
            "Refused: {text} is review mode's key for \"{what}\""
        ));
    }
    let plain = !s.modifiers.command && !s.modifiers.alt;
    if plain
        && let Some(t) = tags.tags.iter().find(|t| {
            Key::from_name(&t.hotkey.to_ascii_uppercase()) == Some(s.logical_key)
                || Key::from_name(&t.hotkey) == Some(s.logical_key)
        })
    {
        return Some(format!(
            "Refused: {text} is tag {}'s hotkey (change it in the tag editor)",
            t.name
        ));
    }
    None
}

/// The keys that do review command `cmd`, as text ("Shift+A"), for tooltips: from
/// [`review_keys`], so a rebound key shows as rebound.
pub fn review_key_text(cmd: &ReviewCommand) -> String {
    review_keys()
        .iter()
        .find(|(_, c, _)| c == cmd)
        .map(|(k, _, _)| shortcut_text(k))
        .unwrap_or_default()
}

/// Review mode's keys, in matching order (longer chords first: a plain key also matches with
/// Shift held), with what each does. Undo, redo and save are [`Action`]'s keys (rebound with
/// them), as are Ctrl+R, F1 and Ctrl+G; the others are [`ReviewKey`]s; the tag keys come from
/// the tag set.
pub fn review_keys() -> [(KeyboardShortcut, ReviewCommand, &'static str); 16] {
    let app = |a: Action, c: ReviewCommand, what: &'static str| (a.shortcut(), c, what);
    let r = |k: ReviewKey| (k.shortcut(), k.command(), k.description());
    let mut keys = [
        // The same keys as outside review mode, rebound with them.
        app(Action::Redo, ReviewCommand::Redo, "Redo"),
        app(Action::RedoY, ReviewCommand::Redo, "Redo"),
        app(Action::Undo, ReviewCommand::Undo, "Undo"),
        app(Action::SaveNow, ReviewCommand::SaveNow, "Save now"),
        r(ReviewKey::ALL[0]),
        r(ReviewKey::ALL[1]),
        r(ReviewKey::ALL[2]),
        r(ReviewKey::ALL[3]),
        r(ReviewKey::ALL[4]),
        r(ReviewKey::ALL[5]),
        r(ReviewKey::ALL[6]),
        r(ReviewKey::ALL[7]),
        r(ReviewKey::ALL[8]),
        r(ReviewKey::ALL[9]),
        r(ReviewKey::ALL[10]),
        r(ReviewKey::ALL[11]),
    ];
    // Stable: with no bindings this is the order above.
    keys.sort_by_key(|(s, _, _)| {
        let m = s.modifiers;
        std::cmp::Reverse(u8::from(m.command || m.ctrl) + u8::from(m.alt) + u8::from(m.shift))
    });
    keys
}

/// Review mode's own keys, rebound like [`Action`]s (ids "review.next" and so on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewKey {
    AcceptBoth,
    AcceptAllAgreed,
    ToggleReviewed,
    Next,
    Prev,
    AcceptA,
    AcceptB,
    Reject,
    EditAccept,
    Comment,
    Reopen,
    CancelPrompt,
}

impl ReviewKey {
    /// Every review key, as the sheet and the Keys editor list them.
    pub const ALL: [ReviewKey; 12] = [
        ReviewKey::AcceptBoth,
        ReviewKey::AcceptAllAgreed,
        ReviewKey::ToggleReviewed,
        ReviewKey::Next,
        ReviewKey::Prev,
        ReviewKey::AcceptA,
        ReviewKey::AcceptB,
        ReviewKey::Reject,
        ReviewKey::EditAccept,
        ReviewKey::Comment,
        ReviewKey::Reopen,
        ReviewKey::CancelPrompt,
    ];

    /// Its name in the preferences' bindings, e.g. "review.next".
    pub fn id(self) -> String {
        let name = match self {
            ReviewKey::AcceptBoth => "accept_both",
            ReviewKey::AcceptAllAgreed => "accept_all_agreed",
            ReviewKey::ToggleReviewed => "toggle_reviewed",
            ReviewKey::Next => "next",
            ReviewKey::Prev => "prev",
            ReviewKey::AcceptA => "accept_a",
            ReviewKey::AcceptB => "accept_b",
            ReviewKey::Reject => "reject",
            ReviewKey::EditAccept => "edit_accept",
            ReviewKey::Comment => "comment",
            ReviewKey::Reopen => "reopen",
            ReviewKey::CancelPrompt => "cancel",
        };
        format!("review.{name}")
    }

    /// The review key named `id` in the preferences' bindings.
    pub fn from_id(id: &str) -> Option<ReviewKey> {
        ReviewKey::ALL.into_iter().find(|r| r.id() == id)
    }

    /// What it does in review mode.
    pub fn command(self) -> ReviewCommand {
        match self {
            ReviewKey::AcceptBoth => ReviewCommand::Decide(DecisionKey::AcceptBoth),
            ReviewKey::AcceptAllAgreed => ReviewCommand::AcceptAllAgreed,
            ReviewKey::ToggleReviewed => ReviewCommand::ToggleReviewed,
            ReviewKey::Next => ReviewCommand::Next,
            ReviewKey::Prev => ReviewCommand::Prev,
            ReviewKey::AcceptA => ReviewCommand::Decide(DecisionKey::AcceptA),
            ReviewKey::AcceptB => ReviewCommand::Decide(DecisionKey::AcceptB),
            ReviewKey::Reject => ReviewCommand::AskReason,
            ReviewKey::EditAccept => ReviewCommand::EditAccept(None),
            ReviewKey::Comment => ReviewCommand::AskComment,
            ReviewKey::Reopen => ReviewCommand::Reopen,
            ReviewKey::CancelPrompt => ReviewCommand::CancelPrompt,
        }
    }

    /// What it does, in words.
    pub fn description(self) -> &'static str {
        match self {
            ReviewKey::AcceptBoth => "Accept both",
            ReviewKey::AcceptAllAgreed => "Accept all agreed items",
            ReviewKey::ToggleReviewed => "Mark the document reviewed",
            ReviewKey::Next => "Next undecided item",
            ReviewKey::Prev => "Previous undecided item",
            ReviewKey::AcceptA => "Accept A",
            ReviewKey::AcceptB => "Accept B",
            ReviewKey::Reject => "Reject (asks why)",
            ReviewKey::EditAccept => "Accept with the selected text as boundaries",
            ReviewKey::Comment => "Comment",
            ReviewKey::Reopen => "Reopen (undecide)",
            ReviewKey::CancelPrompt => "Cancel the reason or comment",
        }
    }

    /// The key chord it has without the user's bindings.
    pub fn default_shortcut(self) -> KeyboardShortcut {
        let (m, k) = match self {
            ReviewKey::AcceptBoth => (Modifiers::SHIFT, Key::B),
            ReviewKey::AcceptAllAgreed => (Modifiers::SHIFT, Key::A),
            ReviewKey::ToggleReviewed => (Modifiers::SHIFT, Key::R),
            ReviewKey::Next => (Modifiers::NONE, Key::N),
            ReviewKey::Prev => (Modifiers::NONE, Key::P),
            ReviewKey::AcceptA => (Modifiers::NONE, Key::A),
            ReviewKey::AcceptB => (Modifiers::NONE, Key::B),
            ReviewKey::Reject => (Modifiers::NONE, Key::R),
            ReviewKey::EditAccept => (Modifiers::NONE, Key::E),
            ReviewKey::Comment => (Modifiers::NONE, Key::C),
            ReviewKey::Reopen => (Modifiers::NONE, Key::U),
            ReviewKey::CancelPrompt => (Modifiers::NONE, Key::Escape),
        };
        KeyboardShortcut::new(m, k)
    }

    /// The key chord: the user's binding if there is one, else the default.
    pub fn shortcut(self) -> KeyboardShortcut {
        BINDINGS
            .with_borrow(|b| b.review.iter().find(|(r, _)| *r == self).map(|(_, s)| *s))
            .unwrap_or_else(|| self.default_shortcut())
    }
}

/// Anything the Keys editor rebinds: an app action or a review key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bindable {
    App(Action),
    Review(ReviewKey),
}

impl From<Action> for Bindable {
    fn from(a: Action) -> Self {
        Bindable::App(a)
    }
}

impl From<ReviewKey> for Bindable {
    fn from(r: ReviewKey) -> Self {
        Bindable::Review(r)
    }
}

impl Bindable {
    pub fn id(self) -> String {
        match self {
            Bindable::App(a) => a.id(),
            Bindable::Review(r) => r.id(),
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Bindable::App(a) => a.description(),
            Bindable::Review(r) => r.description(),
        }
    }

    pub fn shortcut(self) -> KeyboardShortcut {
        match self {
            Bindable::App(a) => a.shortcut(),
            Bindable::Review(r) => r.shortcut(),
        }
    }

    pub fn default_shortcut(self) -> KeyboardShortcut {
        match self {
            Bindable::App(a) => a.default_shortcut(),
            Bindable::Review(r) => r.default_shortcut(),
        }
    }

    /// Whether the user bound it to other keys.
    pub fn is_rebound(self) -> bool {
        let id = self.id();
        BINDINGS.with_borrow(|b| {
            b.parsed.iter().any(|(a, _)| a.id() == id) || b.review.iter().any(|(r, _)| r.id() == id)
        })
    }
}

/// Commands reached from menus and buttons that have no key: their names (the View menu uses
/// the same), words that find them in the palette, and the command.
pub fn menu_commands() -> Vec<(&'static str, &'static str, Command)> {
    vec![
        (
            "Mark done (or not done)",
            "finished status complete",
            Command::ToggleDone,
        ),
        (
            "Mark in progress",
            "status started unfinished",
            Command::SetStatus(Status::InProgress),
        ),
        (
            "Switch between the light and dark theme",
            "colours appearance night",
            Command::ToggleTheme,
        ),
        (
            "Edit tags…",
            "tag set schema colours attributes",
            Command::ToggleTagEditor,
        ),
        (
            "Export…",
            "jsonl conll brat csv w3c doccano write out",
            Command::OpenExport,
        ),
        (
            "Import…",
            "brat jsonl doccano prodigy csv w3c read in",
            Command::OpenImport,
        ),
        (
            "Open a workspace folder…",
            "browse directory",
            Command::Browse { folder: true },
        ),
        (
            "Open a text file…",
            "browse txt",
            Command::Browse { folder: false },
        ),
        ("Close the document", "", Command::CloseDocument),
        (
            "Change keyboard shortcuts…",
            "keys rebind bindings hotkeys keymap",
            Command::ToggleKeysEditor,
        ),
    ]
}

/// The name a menu shows for `command`, from the same registry.
pub fn menu_name(command: &Command) -> Option<&'static str> {
    menu_commands()
        .into_iter()
        .find(|(_, _, c)| c == command)
        .map(|(n, _, _)| n)
        .or_else(|| {
            Action::ALL
                .into_iter()
                .find(|a| &a.command() == command)
                .map(Action::description)
        })
}

/// Extra words that find an action in the palette.
fn action_keywords(a: Action) -> &'static str {
    match a {
        Action::NextUndoneDocument => "unfinished undone skip",
        Action::NextDocument | Action::PrevDocument => "text file article",
        Action::Find | Action::WorkspaceFind => "search look",
        Action::Undo => "revert back",
        Action::Review => "curate compare adjudicate",
        Action::Agreement => "kappa iaa statistics",
        Action::Team => "progress assignments annotators who done review",
        Action::Help => "keys keyboard shortcuts",
        Action::Quit => "exit",
        Action::AcceptSuggestion | Action::AcceptSourceSuggestions => "suggestions pre-annotate",
        _ => "",
    }
}

/// One line of the command palette.
#[derive(Debug, Clone, PartialEq)]
pub struct PaletteEntry {
    pub name: String,
    pub keywords: &'static str,
    /// Every key that sends it, e.g. "Ctrl+Shift+Z or Ctrl+Y".
    pub shortcut: Option<String>,
    pub command: Command,
}

/// Every command the palette lists: the actions with keys, the menus' commands and one "Tag as"
/// per tag, each once.
pub fn palette_entries(tags: &crate::model::tags::TagSet) -> Vec<PaletteEntry> {
    let mut out: Vec<PaletteEntry> = Vec::new();
    for a in Action::ALL {
        if matches!(a, Action::Palette | Action::PaletteP) {
            continue;
        }
        let command = a.command();
        if let Some(e) = out.iter_mut().find(|e| e.command == command) {
            if let Some(s) = &mut e.shortcut {
                s.push_str(" or ");
                s.push_str(&a.shortcut_text());
            }
            continue;
        }
        out.push(PaletteEntry {
            name: a.description().to_owned(),
            keywords: action_keywords(a),
            shortcut: Some(a.shortcut_text()),
            command,
        });
    }
    for (name, keywords, command) in menu_commands() {
        out.push(PaletteEntry {
            name: name.to_owned(),
            keywords,
            shortcut: None,
            command,
        });
    }
    for t in &tags.tags {
        out.push(PaletteEntry {
            name: format!("Tag the selection as {}", t.name),
            keywords: "label mark",
            shortcut: Some(t.hotkey.clone()),
            command: Command::Tag(t.name.clone()),
        });
    }
    out
}

/// How well `query` fits `entry`, or `None` when it does not: every word of the query must
/// start a word of the entry's name or keywords (best), occur in one, or be spelled out in
/// order inside one ("expt" in "export"). An empty query fits everything.
pub fn palette_score(query: &str, entry: &PaletteEntry) -> Option<u32> {
    let hay = format!("{} {}", entry.name, entry.keywords).to_lowercase();
    let words: Vec<&str> = hay
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut score = 0;
    for q in query.to_lowercase().split_whitespace() {
        let best = words
            .iter()
            .map(|w| {
                if w.starts_with(q) {
                    3
                } else if w.contains(q) {
                    2
                } else if is_subsequence(q, w) {
                    1
                } else {
                    0
                }
            })
            .max()
            .unwrap_or(0);
        if best == 0 {
            return None;
        }
        score += best;
    }
    Some(score)
}

fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut h = hay.chars();
    needle.chars().all(|c| h.any(|x| x == c))
}

/// The entries that fit `query`, best first (ties keep the registry's order).
pub fn palette_matches(query: &str, entries: &[PaletteEntry]) -> Vec<usize> {
    let mut scored: Vec<(u32, usize)> = (entries.iter().enumerate())
        .filter_map(|(i, e)| palette_score(query, e).map(|s| (s, i)))
        .collect();
    scored.sort_by_key(|&(s, i)| (std::cmp::Reverse(s), i));
    scored.into_iter().map(|(_, i)| i).collect()
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

    #[test]
    fn every_default_shortcut_reads_back_from_its_text_and_bad_bindings_are_ignored() {
        for a in Action::ALL {
            let s = a.default_shortcut();
            assert_eq!(parse_shortcut(&shortcut_text(&s)), Some(s), "{a:?}");
            assert_eq!(Action::from_id(&a.id()), Some(a));
        }
        let keys: BTreeMap<String, String> = [
            ("Undo", "Ctrl+U"),
            ("NoSuchAction", "Ctrl+J"),
            ("Redo", "Ctrl+Nonsense"),
            ("SaveNow", "ControlLeft"),
        ]
        .into_iter()
        .map(|(a, k)| (a.to_owned(), k.to_owned()))
        .collect();
        let valid: Vec<_> = valid_bindings(&keys).collect();
        assert_eq!(valid, [(Action::Undo, parse_shortcut("Ctrl+U").unwrap())]);
        for r in ReviewKey::ALL {
            let s = r.default_shortcut();
            assert_eq!(parse_shortcut(&shortcut_text(&s)), Some(s), "{r:?}");
            assert_eq!(ReviewKey::from_id(&r.id()), Some(r));
        }
        let mut keys = keys;
        keys.insert("review.next".into(), "J".into());
        keys.insert("review.nothing".into(), "K".into());
        let kept: Vec<_> = valid_keys(&keys).into_keys().collect();
        assert_eq!(kept, ["Undo", "review.next"]);
    }

    #[test]
    fn a_binding_taken_by_another_action_a_tag_or_review_mode_is_refused() {
        let tags = crate::model::tags::TagSet::default();
        let conflict = |s: &str| binding_conflict(Action::Undo, parse_shortcut(s).unwrap(), &tags);
        assert_eq!(
            conflict("Ctrl+S").as_deref(),
            Some(
                "Refused: Ctrl+S is already the key of \"Save now (edits are also saved automatically)\""
            )
        );
        let quote = &tags.tags[0];
        let refused = conflict(&quote.hotkey.to_ascii_uppercase()).unwrap();
        assert!(
            refused.contains(&format!("tag {}'s hotkey", quote.name)),
            "{refused}"
        );
        assert!(conflict("N").unwrap().contains("review mode"));
        assert_eq!(conflict("Ctrl+U"), None);
        assert_eq!(conflict("Ctrl+Z"), None, "its own key");
        let review = |r: ReviewKey, s: &str| binding_conflict(r, parse_shortcut(s).unwrap(), &tags);
        assert!(
            review(ReviewKey::Next, "P")
                .unwrap()
                .contains("Previous undecided")
        );
        assert!(review(ReviewKey::Next, "Ctrl+Z").unwrap().contains("Undo"));
        assert!(
            review(ReviewKey::Next, "F1").is_some(),
            "F1 works in review mode too"
        );
        let tag_key = quote.hotkey.to_ascii_uppercase();
        assert!(
            review(ReviewKey::Next, &tag_key)
                .unwrap()
                .contains("hotkey")
        );
        assert_eq!(review(ReviewKey::Next, "J"), None);
        assert_eq!(review(ReviewKey::Next, "N"), None, "its own key");
        // Shared with an action review mode does not use, as the defaults are.
        assert_eq!(review(ReviewKey::AcceptA, "A"), None);
        assert_eq!(review(ReviewKey::Next, "Y"), None);
    }

    fn first_match(query: &str) -> Command {
        let tags = crate::model::tags::TagSet::default();
        let entries = palette_entries(&tags);
        let m = palette_matches(query, &entries);
        entries[*m.first().unwrap_or_else(|| panic!("{query}: no match"))]
            .command
            .clone()
    }

    #[test]
    fn the_palette_finds_commands_by_fuzzy_words() {
        assert_eq!(first_match("exp jsonl"), Command::OpenExport);
        assert_eq!(first_match("mark done"), Command::ToggleDone);
        assert_eq!(
            first_match("next unfinished"),
            Command::StepDocument {
                forward: true,
                undone: true
            }
        );
        assert_eq!(first_match("redo"), Command::Redo);
        let entries = palette_entries(&crate::model::tags::TagSet::default());
        assert!(palette_matches("zzqx", &entries).is_empty());
        // Every command is listed once, Redo with both of its keys.
        let redo: Vec<_> = entries
            .iter()
            .filter(|e| e.command == Command::Redo)
            .collect();
        assert_eq!(redo.len(), 1);
        assert_eq!(redo[0].shortcut.as_deref(), Some("Ctrl+Shift+Z or Ctrl+Y"));
    }
}
