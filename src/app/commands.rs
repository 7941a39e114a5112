//! Everything a user can ask the app to do: buttons, menus and keys all send a [`Command`]
//! (each window's own requests are its enum here, so the windows import this module and never
//! each other through it). Which keys, menu items and names send them is the registry's
//! (`registry.rs`).

use std::path::PathBuf;

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
    /// The open document's paragraphs: by each one's first letter, all right to left, all left
    /// to right, then back (remembered for that document).
    CycleDirection,
    SaveNow,
    ExtendSelection {
        forward: bool,
        by_word: bool,
    },
    /// The caret keys: move the caret, or with `extend` (Shift) select from it.
    MoveCaret {
        to: CaretMove,
        extend: bool,
    },
    SetTagFilter(Option<String>),
    /// Alt+↓ / Alt+↑: the next or previous document of the list (`undone`: the next one not
    /// done, wrapping around).
    StepDocument {
        forward: bool,
        undone: bool,
    },
    /// Open the unlabelled document the learned tagger is least sure of (ranked off the UI
    /// thread).
    NextUncertainDocument,
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
    /// Relations between spans (src/app/relations.rs).
    Relation(RelationCommand),
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
    /// Decide relation item `item` (the Relations list): keep A's or B's link, or reject.
    DecideRelation {
        item: usize,
        decision: crate::session::review::RelationDecision,
    },
    /// Take back the decision on relation item `item`.
    ReopenRelation(usize),
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
    /// Hide a source's suggestions scoring under this (0 to 1).
    SetThreshold(Source, f32),
    /// List the suggestions in the text's order (true) or by score (false).
    OrderByPosition(bool),
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

/// Where a caret key takes the caret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaretMove {
    Left,
    Right,
    WordLeft,
    WordRight,
    Up,
    Down,
    LineStart,
    LineEnd,
    DocStart,
    DocEnd,
    PageUp,
    PageDown,
}

/// What the relations part of the window is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum RelationCommand {
    /// R: open the link picker from the selected span.
    OpenPicker,
    /// P: remember the selected span, to link to it from another document.
    Pin,
    /// Show only spans with a relation of this type in the span list (`""`: any type; `None`:
    /// all spans).
    Filter(Option<String>),
    /// A link dragged from span `from` was dropped on span `to`: ask for the type.
    DropOn {
        from: u64,
        to: u64,
    },
    /// Make a relation of type `kind` from span `from` of the open layer to `to`.
    Link {
        kind: String,
        from: u64,
        to: crate::model::relation::End,
        to_tag: String,
    },
    Delete(u64),
    Retype {
        id: u64,
        kind: String,
    },
    /// Set (or clear) attribute `name` of relation `id`.
    SetAttr {
        id: u64,
        name: String,
        value: Option<String>,
    },
}
