//! The one command registry: every command a user can reach by a key, a menu, a button, the
//! shortcut sheet or the palette has one entry here ([`Spec`]: its name, its default chords as
//! a list, the menu that shows it), and the user's rebindings are one [`Keymap`] value, owned
//! by the app and passed down. Menus, tooltips, the review strip, the find bar, the sheet, the
//! palette, the Keys editor and the key dispatch (`shortcuts.rs`) all read these, so they
//! cannot disagree.

use std::collections::BTreeMap;

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::model::layer::Status;
use crate::model::tags::TagSet;

use super::commands::{
    AgreementCommand, CaretMove, Command, DecisionKey, FindCommand, ReviewCommand, SuggestCommand,
    TeamCommand,
};

const NONE: Modifiers = Modifiers::NONE;
const SHIFT: Modifiers = Modifiers::SHIFT;
const ALT: Modifiers = Modifiers::ALT;
const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers {
    shift: true,
    ..Modifiers::COMMAND
};
const CMD_ALT: Modifiers = Modifiers {
    alt: true,
    ..Modifiers::COMMAND
};
const ALT_SHIFT: Modifiers = Modifiers {
    alt: true,
    shift: true,
    ..Modifiers::NONE
};
const CMD_ALT_SHIFT: Modifiers = Modifiers {
    alt: true,
    shift: true,
    ..Modifiers::COMMAND
};

/// The menus of the top bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    File,
    Open,
    View,
    Review,
}

/// What the registry knows of one command.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Its name in the keymap (`Prefs::keys`), e.g. "Undo" or "review.next".
    pub id: &'static str,
    /// What it does: the palette, the sheet, the Keys editor and tooltips say this.
    pub label: &'static str,
    /// Extra words that find it in the palette.
    pub keywords: &'static str,
    /// Its default chords; the first is the one tooltips and menus show.
    pub chords: &'static [(Modifiers, Key)],
    /// The keymap names of its second, third… chords, as earlier versions wrote them (they
    /// were commands of their own then, e.g. "RedoY"): read and written unchanged.
    pub more_ids: &'static [&'static str],
    /// The menu that lists it, and the item's text there.
    pub menu: Option<(Menu, &'static str)>,
    /// The menu item's tooltip.
    pub hover: Option<&'static str>,
}

impl Spec {
    const fn new(
        id: &'static str,
        label: &'static str,
        chords: &'static [(Modifiers, Key)],
    ) -> Self {
        Self {
            id,
            label,
            keywords: "",
            chords,
            more_ids: &[],
            menu: None,
            hover: None,
        }
    }

    const fn words(mut self, keywords: &'static str) -> Self {
        self.keywords = keywords;
        self
    }

    const fn more(mut self, ids: &'static [&'static str]) -> Self {
        self.more_ids = ids;
        self
    }

    const fn menu(mut self, menu: Menu, text: &'static str) -> Self {
        self.menu = Some((menu, text));
        self
    }

    const fn hover(mut self, hover: &'static str) -> Self {
        self.hover = Some(hover);
        self
    }
}

/// The commands of the annotating window (review mode's own are [`ReviewKey`]s), each with a
/// [`Spec`]: in the order the Keys editor, the sheet and the palette list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Help,
    Palette,
    WorkspaceFind,
    Find,
    Review,
    Agreement,
    Team,
    Quit,
    Redo,
    Undo,
    SaveNow,
    ZoomIn,
    ZoomOut,
    ZoomReset,
    PrevSpan,
    NextSpan,
    NextUndoneDocument,
    NextDocument,
    PrevDocument,
    NextUncertainDocument,
    // The caret (src/app/text_view.rs).
    CaretLeft,
    CaretRight,
    CaretWordLeft,
    CaretWordRight,
    CaretUp,
    CaretDown,
    CaretLineStart,
    CaretLineEnd,
    CaretDocStart,
    CaretDocEnd,
    CaretPageUp,
    CaretPageDown,
    ExtendUp,
    ExtendDown,
    ExtendLineStart,
    ExtendLineEnd,
    ExtendDocStart,
    ExtendDocEnd,
    ExtendPageUp,
    ExtendPageDown,
    StartWordLeft,
    StartWordRight,
    StartLeft,
    StartRight,
    ExtendWordLeft,
    ExtendWordRight,
    ExtendLeft,
    ExtendRight,
    Delete,
    ConfirmAnchor,
    EditNote,
    EditAttributes,
    Link,
    PinSpan,
    Deselect,
    // Suggestions (src/app/suggestions.rs).
    AcceptSourceSuggestions,
    AcceptSuggestion,
    RejectSuggestion,
    NextSuggestion,
    PrevSuggestion,
    // No keys: menus and the palette.
    ToggleDone,
    MarkInProgress,
    ToggleTheme,
    CycleDirection,
    EditTags,
    Export,
    Import,
    OpenFolder,
    OpenTextFile,
    CloseDocument,
    EditKeys,
}

impl Action {
    /// Every action with keys, in the registry's order (the Keys editor's, the sheet's).
    pub const ALL: [Action; 62] = [
        Action::Help,
        Action::Palette,
        Action::WorkspaceFind,
        Action::Find,
        Action::Review,
        Action::Agreement,
        Action::Team,
        Action::OpenFolder,
        Action::Quit,
        Action::Redo,
        Action::Undo,
        Action::SaveNow,
        Action::ToggleDone,
        Action::ZoomIn,
        Action::ZoomOut,
        Action::ZoomReset,
        Action::PrevSpan,
        Action::NextSpan,
        Action::NextUndoneDocument,
        Action::NextDocument,
        Action::PrevDocument,
        Action::NextUncertainDocument,
        Action::CaretLeft,
        Action::CaretRight,
        Action::CaretWordLeft,
        Action::CaretWordRight,
        Action::CaretUp,
        Action::CaretDown,
        Action::CaretLineStart,
        Action::CaretLineEnd,
        Action::CaretDocStart,
        Action::CaretDocEnd,
        Action::CaretPageUp,
        Action::CaretPageDown,
        Action::ExtendUp,
        Action::ExtendDown,
        Action::ExtendLineStart,
        Action::ExtendLineEnd,
        Action::ExtendDocStart,
        Action::ExtendDocEnd,
        Action::ExtendPageUp,
        Action::ExtendPageDown,
        Action::StartWordLeft,
        Action::StartWordRight,
        Action::StartLeft,
        Action::StartRight,
        Action::ExtendWordLeft,
        Action::ExtendWordRight,
        Action::ExtendLeft,
        Action::ExtendRight,
        Action::Delete,
        Action::ConfirmAnchor,
        Action::EditNote,
        Action::EditAttributes,
        Action::Link,
        Action::PinSpan,
        Action::Deselect,
        Action::AcceptSourceSuggestions,
        Action::AcceptSuggestion,
        Action::RejectSuggestion,
        Action::NextSuggestion,
        Action::PrevSuggestion,
    ];

    /// The commands of menus and the palette that have no keys (and are not rebound).
    pub const MENU_ONLY: [Action; 9] = [
        Action::MarkInProgress,
        Action::ToggleTheme,
        Action::CycleDirection,
        Action::EditTags,
        Action::Export,
        Action::Import,
        Action::OpenTextFile,
        Action::CloseDocument,
        Action::EditKeys,
    ];

    /// Every action: those with keys, then the menus' own.
    pub fn every() -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().chain(Action::MENU_ONLY)
    }

    /// Its entry in the registry.
    pub fn spec(self) -> Spec {
        use Menu::{File, Open, View};
        match self {
            Action::Help => Spec::new(
                "Help",
                "Show or hide this list of shortcuts",
                &[(NONE, Key::F1), (NONE, Key::Questionmark)],
            )
            .more(&["HelpQuestion"])
            .words("keys keyboard shortcuts")
            .menu(View, "Keyboard shortcuts"),
            Action::Palette => Spec::new(
                "Palette",
                "Command palette: find any command by name",
                &[(CMD, Key::K), (CMD_SHIFT, Key::P)],
            )
            .more(&["PaletteP"])
            .menu(View, "Command palette…"),
            Action::WorkspaceFind => Spec::new(
                "WorkspaceFind",
                "Find in every document of the workspace",
                &[(CMD_SHIFT, Key::F)],
            )
            .words("search look"),
            Action::Find => Spec::new("Find", "Find in the document", &[(CMD, Key::F)])
                .words("search look")
                .menu(View, "Find…"),
            Action::Review => Spec::new(
                "Review",
                "Review the open document, or leave review mode",
                &[(CMD, Key::R)],
            )
            .words("curate compare adjudicate")
            .menu(Menu::Review, "Review this document…")
            .hover("Check another annotator's layer, or adjudicate two"),
            Action::Agreement => Spec::new(
                "Agreement",
                "Show or hide the Agreement window",
                &[(CMD, Key::G)],
            )
            .words("kappa iaa statistics")
            .menu(Menu::Review, "Agreement")
            .hover("Inter-annotator agreement over the workspace"),
            Action::Team => Spec::new(
                "Team",
                "Show or hide the Team window: who has done what",
                &[(CMD_SHIFT, Key::T)],
            )
            .words("progress assignments annotators who done review")
            .menu(View, "Team progress…"),
            Action::Quit => Spec::new(
                "Quit",
                "Close the window (saving first; asks if edits cannot be saved)",
                &[(CMD, Key::Q)],
            )
            .words("exit")
            .menu(File, "Quit"),
            Action::Redo => {
                Spec::new("Redo", "Redo", &[(CMD_SHIFT, Key::Z), (CMD, Key::Y)]).more(&["RedoY"])
            }
            Action::Undo => Spec::new("Undo", "Undo", &[(CMD, Key::Z)]).words("revert back"),
            Action::SaveNow => Spec::new(
                "SaveNow",
                "Save now (edits are also saved automatically)",
                &[(CMD, Key::S)],
            ),
            Action::ZoomIn => Spec::new(
                "ZoomIn",
                "Larger text",
                &[(CMD, Key::Plus), (CMD, Key::Equals)],
            )
            .more(&["ZoomInEquals"])
            .menu(View, "Larger text"),
            Action::ZoomOut => Spec::new("ZoomOut", "Smaller text", &[(CMD, Key::Minus)])
                .menu(View, "Smaller text"),
            Action::ZoomReset => Spec::new("ZoomReset", "Reset text size", &[(CMD, Key::Num0)])
                .menu(View, "Reset text size"),
            Action::PrevSpan => Spec::new("PrevSpan", "Previous span", &[(SHIFT, Key::Tab)]),
            Action::NextSpan => Spec::new("NextSpan", "Next span", &[(NONE, Key::Tab)]),
            Action::NextUndoneDocument => Spec::new(
                "NextUndoneDocument",
                "Next document that is not done",
                &[(CMD_ALT, Key::ArrowDown)],
            )
            .words("unfinished undone skip"),
            Action::NextDocument => {
                Spec::new("NextDocument", "Next document", &[(ALT, Key::ArrowDown)])
                    .words("text file article")
            }
            Action::NextUncertainDocument => Spec::new(
                "NextUncertainDocument",
                "Next document the learned tagger is least sure of",
                &[(ALT_SHIFT, Key::ArrowDown)],
            )
            .words("active learning uncertain model unlabelled")
            .hover(
                "Opens the unlabelled document whose spans the learned tagger is least sure of: \
                 labelling it teaches the tagger the most",
            ),
            Action::PrevDocument => {
                Spec::new("PrevDocument", "Previous document", &[(ALT, Key::ArrowUp)])
                    .words("text file article")
            }
            Action::CaretLeft => Spec::new(
                "CaretLeft",
                "Caret: a character left",
                &[(NONE, Key::ArrowLeft)],
            )
            .words("cursor move"),
            Action::CaretRight => Spec::new(
                "CaretRight",
                "Caret: a character right",
                &[(NONE, Key::ArrowRight)],
            )
            .words("cursor move"),
            Action::CaretWordLeft => Spec::new(
                "CaretWordLeft",
                "Caret: to the word's start",
                &[(CMD, Key::ArrowLeft)],
            )
            .words("cursor move"),
            Action::CaretWordRight => Spec::new(
                "CaretWordRight",
                "Caret: to the word's end",
                &[(CMD, Key::ArrowRight)],
            )
            .words("cursor move"),
            Action::CaretUp => {
                Spec::new("CaretUp", "Caret: a line up", &[(NONE, Key::ArrowUp)]).words("cursor")
            }
            Action::CaretDown => {
                Spec::new("CaretDown", "Caret: a line down", &[(NONE, Key::ArrowDown)])
                    .words("cursor")
            }
            Action::CaretLineStart => Spec::new(
                "CaretLineStart",
                "Caret: to the line's start",
                &[(NONE, Key::Home)],
            )
            .words("cursor home"),
            Action::CaretLineEnd => Spec::new(
                "CaretLineEnd",
                "Caret: to the line's end",
                &[(NONE, Key::End)],
            )
            .words("cursor"),
            Action::CaretDocStart => Spec::new(
                "CaretDocStart",
                "Caret: to the start of the text",
                &[(CMD, Key::Home)],
            )
            .words("cursor top beginning"),
            Action::CaretDocEnd => Spec::new(
                "CaretDocEnd",
                "Caret: to the end of the text",
                &[(CMD, Key::End)],
            )
            .words("cursor bottom"),
            Action::CaretPageUp => {
                Spec::new("CaretPageUp", "Caret: a page up", &[(NONE, Key::PageUp)])
                    .words("cursor scroll")
            }
            Action::CaretPageDown => Spec::new(
                "CaretPageDown",
                "Caret: a page down",
                &[(NONE, Key::PageDown)],
            )
            .words("cursor scroll"),
            Action::ExtendUp => Spec::new(
                "ExtendUp",
                "Select from the caret: a line up",
                &[(SHIFT, Key::ArrowUp)],
            ),
            Action::ExtendDown => Spec::new(
                "ExtendDown",
                "Select from the caret: a line down",
                &[(SHIFT, Key::ArrowDown)],
            ),
            Action::ExtendLineStart => Spec::new(
                "ExtendLineStart",
                "Select from the caret to the line's start",
                &[(SHIFT, Key::Home)],
            ),
            Action::ExtendLineEnd => Spec::new(
                "ExtendLineEnd",
                "Select from the caret to the line's end",
                &[(SHIFT, Key::End)],
            ),
            Action::ExtendDocStart => Spec::new(
                "ExtendDocStart",
                "Select from the caret to the start of the text",
                &[(CMD_SHIFT, Key::Home)],
            ),
            Action::ExtendDocEnd => Spec::new(
                "ExtendDocEnd",
                "Select from the caret to the end of the text",
                &[(CMD_SHIFT, Key::End)],
            ),
            Action::ExtendPageUp => Spec::new(
                "ExtendPageUp",
                "Select from the caret: a page up",
                &[(SHIFT, Key::PageUp)],
            ),
            Action::ExtendPageDown => Spec::new(
                "ExtendPageDown",
                "Select from the caret: a page down",
                &[(SHIFT, Key::PageDown)],
            ),
            Action::StartWordLeft => Spec::new(
                "StartWordLeft",
                "Move the selected span's start by a word",
                &[(CMD_ALT_SHIFT, Key::ArrowLeft)],
            ),
            Action::StartWordRight => Spec::new(
                "StartWordRight",
                "Move the selected span's start by a word",
                &[(CMD_ALT_SHIFT, Key::ArrowRight)],
            ),
            Action::StartLeft => Spec::new(
                "StartLeft",
                "Move the selected span's start by a character",
                &[(ALT_SHIFT, Key::ArrowLeft)],
            ),
            Action::StartRight => Spec::new(
                "StartRight",
                "Move the selected span's start by a character",
                &[(ALT_SHIFT, Key::ArrowRight)],
            ),
            Action::ExtendWordLeft => Spec::new(
                "ExtendWordLeft",
                "Extend the selection by a word (with a span selected: move its end)",
                &[(CMD_SHIFT, Key::ArrowLeft)],
            ),
            Action::ExtendWordRight => Spec::new(
                "ExtendWordRight",
                "Extend the selection by a word (with a span selected: move its end)",
                &[(CMD_SHIFT, Key::ArrowRight)],
            ),
            Action::ExtendLeft => Spec::new(
                "ExtendLeft",
                "Extend the selection by a character (with a span selected: move its end)",
                &[(SHIFT, Key::ArrowLeft)],
            ),
            Action::ExtendRight => Spec::new(
                "ExtendRight",
                "Extend the selection by a character (with a span selected: move its end)",
                &[(SHIFT, Key::ArrowRight)],
            ),
            Action::Delete => Spec::new(
                "Delete",
                "Delete the selected span",
                &[(NONE, Key::Delete), (NONE, Key::Backspace)],
            )
            .more(&["DeleteBackspace"]),
            Action::ConfirmAnchor => Spec::new(
                "ConfirmAnchor",
                "Confirm the selected fuzzy span's position",
                &[(CMD, Key::Enter)],
            ),
            Action::EditNote => Spec::new(
                "EditNote",
                "Edit the selected span's note",
                &[(NONE, Key::Enter)],
            ),
            Action::EditAttributes => Spec::new(
                "EditAttributes",
                "Edit the selected span's attributes (Tab moves, Esc goes back)",
                &[(NONE, Key::A)],
            ),
            Action::Link => Spec::new(
                "Link",
                "Link the selected span to another (who said it, what supports it…)",
                &[(NONE, Key::R)],
            )
            .words("relation relate arc connect said-by evidence"),
            Action::PinSpan => Spec::new(
                "PinSpan",
                "Pin the selected span, to link to it from another document",
                &[(NONE, Key::P)],
            )
            .words("relation cross-document remember"),
            Action::Deselect => Spec::new("Deselect", "Deselect", &[(NONE, Key::Escape)]),
            Action::AcceptSourceSuggestions => Spec::new(
                "AcceptSourceSuggestions",
                "Accept every suggestion of the focused one's source here (one undo step)",
                &[(SHIFT, Key::Y)],
            )
            .words("suggestions pre-annotate"),
            Action::AcceptSuggestion => Spec::new(
                "AcceptSuggestion",
                "Accept the focused suggestion",
                &[(NONE, Key::Y)],
            )
            .words("suggestions pre-annotate"),
            Action::RejectSuggestion => Spec::new(
                "RejectSuggestion",
                "Reject the focused suggestion (it does not come back)",
                &[(NONE, Key::X)],
            ),
            Action::NextSuggestion => Spec::new(
                "NextSuggestion",
                "Next suggestion",
                &[(NONE, Key::CloseBracket)],
            ),
            Action::PrevSuggestion => Spec::new(
                "PrevSuggestion",
                "Previous suggestion",
                &[(NONE, Key::OpenBracket)],
            ),
            Action::ToggleDone => {
                Spec::new("ToggleDone", "Mark done (or not done)", &[(CMD, Key::D)])
                    .words("finished status complete")
            }
            Action::MarkInProgress => Spec::new("MarkInProgress", "Mark in progress", &[])
                .words("status started unfinished"),
            Action::ToggleTheme => Spec::new(
                "ToggleTheme",
                "Switch between the light and dark theme",
                &[],
            )
            .words("colours appearance night")
            // The View menu says which theme it switches to (see `menu_text`).
            .menu(View, "Dark theme"),
            Action::CycleDirection => Spec::new(
                "CycleDirection",
                "Text direction: by each paragraph, right to left, left to right",
                &[],
            )
            .words("bidi rtl ltr arabic hebrew persian right-to-left align")
            .menu(View, "Text direction…"),
            Action::EditTags => Spec::new("EditTags", "Edit tags…", &[])
                .words("tag set schema colours attributes")
                .menu(View, "Edit tags…"),
            Action::Export => Spec::new("Export", "Export…", &[])
                .words("jsonl conll brat csv w3c labelstudio doccano write out")
                .menu(File, "Export…")
                .hover(
                    "Write the spans as jsonl, CoNLL, brat, csv, W3C, Label Studio or doccano \
                     annotations",
                ),
            Action::Import => Spec::new("Import", "Import…", &[])
                .words("brat jsonl doccano prodigy conll labelstudio csv w3c read in")
                .menu(File, "Import…")
                .hover(
                    "Bring in spans from brat, jsonl (doccano, Prodigy), CoNLL, Label Studio, csv \
                     or W3C",
                ),
            Action::OpenFolder => {
                Spec::new("OpenFolder", "Open a workspace folder…", &[(CMD, Key::O)])
                    .words("browse directory")
                    .menu(Open, "Workspace folder…")
            }
            Action::OpenTextFile => Spec::new("OpenTextFile", "Open a text file…", &[])
                .words("browse txt")
                .menu(Open, "Text file…"),
            Action::CloseDocument => Spec::new("CloseDocument", "Close the document", &[]),
            Action::EditKeys => Spec::new("EditKeys", "Change keyboard shortcuts…", &[])
                .words("keys rebind bindings hotkeys keymap")
                .menu(View, "Change keyboard shortcuts…"),
        }
    }

    /// What it does, for tooltips, the sheet and the palette.
    pub fn description(self) -> &'static str {
        self.spec().label
    }

    /// Its first default chord as text ("Ctrl+Z"; empty when it has none). The chords in
    /// effect are the [`Keymap`]'s.
    pub fn shortcut_text(self) -> String {
        (self.spec().chords.first())
            .map(|&(m, k)| shortcut_text(&KeyboardShortcut::new(m, k)))
            .unwrap_or_default()
    }

    /// The item text of its menu entry (the theme item names the theme it switches to).
    pub fn menu_text(self, dark: bool) -> Option<&'static str> {
        match self {
            Action::ToggleTheme if dark => Some("Light theme"),
            _ => self.spec().menu.map(|(_, t)| t),
        }
    }

    /// The actions listed in `menu`, in order.
    pub fn in_menu(menu: Menu) -> impl Iterator<Item = Action> {
        Action::every().filter(move |a| a.spec().menu.is_some_and(|(m, _)| m == menu))
    }

    /// The View menu's order (the registry's order puts the keyed commands first).
    pub const VIEW_MENU: [Action; 11] = [
        Action::ToggleTheme,
        Action::ZoomIn,
        Action::ZoomOut,
        Action::ZoomReset,
        Action::CycleDirection,
        Action::Help,
        Action::EditKeys,
        Action::Find,
        Action::Palette,
        Action::Team,
        Action::EditTags,
    ];

    /// Whether it only applies to a selected span (otherwise the key is left to others).
    pub fn needs_span(self) -> bool {
        matches!(
            self,
            Action::Delete
                | Action::EditNote
                | Action::EditAttributes
                | Action::Link
                | Action::PinSpan
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
            Action::Help | Action::Review | Action::Agreement | Action::Team
        )
    }

    /// Whether it needs an open document.
    pub fn needs_document(self) -> bool {
        !matches!(
            self,
            Action::Help
                | Action::Palette
                | Action::WorkspaceFind
                | Action::Review
                | Action::Agreement
                | Action::Team
                | Action::Quit
                | Action::OpenFolder
                | Action::NextDocument
                | Action::PrevDocument
                | Action::NextUndoneDocument
                | Action::NextUncertainDocument
                // A workspace "Tag all" is undone with no document open too.
                | Action::Undo
                | Action::Redo
        )
    }

    /// Whether its chord works while an attribute's text field has the keyboard: the ones that
    /// take the user elsewhere (another document, the palette, review mode, quit) or save, when
    /// bound to a chord that types nothing. The value typed so far is already kept.
    pub fn leaves_text_field(self, chord: KeyboardShortcut) -> bool {
        let m = chord.modifiers;
        (m.command || m.ctrl || m.alt)
            && matches!(
                self,
                Action::Quit
                    | Action::SaveNow
                    | Action::NextDocument
                    | Action::PrevDocument
                    | Action::NextUndoneDocument
                    | Action::NextUncertainDocument
                    | Action::Palette
                    | Action::Find
                    | Action::WorkspaceFind
                    | Action::Review
                    | Action::Agreement
                    | Action::Team
            )
    }

    /// What must be open for it to do anything (the palette greys out the others).
    pub fn needs(self) -> Needs {
        match self {
            Action::Help
            | Action::Palette
            | Action::Quit
            | Action::OpenFolder
            | Action::OpenTextFile
            | Action::ZoomIn
            | Action::ZoomOut
            | Action::ZoomReset
            | Action::ToggleTheme
            | Action::EditKeys
            // A workspace "Tag all" is undone with no document open.
            | Action::Undo
            | Action::Redo => Needs::Nothing,
            Action::WorkspaceFind
            | Action::Agreement
            | Action::Team
            | Action::EditTags
            | Action::Export
            | Action::Import
            | Action::NextUndoneDocument
            | Action::NextDocument
            | Action::PrevDocument
            | Action::NextUncertainDocument => Needs::Workspace,
            _ => Needs::Document,
        }
    }

    /// The command it sends.
    pub fn command(self) -> Command {
        let start = |forward, by_word| Command::MoveSpanEdge {
            start: true,
            forward,
            by_word,
        };
        let extend = |forward, by_word| Command::ExtendSelection { forward, by_word };
        let step = |forward, undone| Command::StepDocument { forward, undone };
        let caret = |to, extend| Command::MoveCaret { to, extend };
        match self {
            Action::Help => Command::ToggleHelp,
            Action::Palette => Command::TogglePalette,
            Action::WorkspaceFind => Command::ToggleWorkspaceFind,
            Action::Find => Command::Find(FindCommand::Open),
            Action::Review => Command::ToggleReview,
            Action::Agreement => Command::Agreement(AgreementCommand::Toggle),
            Action::Team => Command::Team(TeamCommand::Toggle),
            Action::Quit => Command::Quit,
            Action::Redo => Command::Redo,
            Action::Undo => Command::Undo,
            Action::SaveNow => Command::SaveNow,
            Action::ZoomIn => Command::ZoomIn,
            Action::ZoomOut => Command::ZoomOut,
            Action::ZoomReset => Command::ZoomReset,
            Action::PrevSpan => Command::PrevSpan,
            Action::NextSpan => Command::NextSpan,
            Action::NextUndoneDocument => step(true, true),
            Action::NextDocument => step(true, false),
            Action::PrevDocument => step(false, false),
            Action::NextUncertainDocument => Command::NextUncertainDocument,
            Action::CaretLeft => caret(CaretMove::Left, false),
            Action::CaretRight => caret(CaretMove::Right, false),
            Action::CaretWordLeft => caret(CaretMove::WordLeft, false),
            Action::CaretWordRight => caret(CaretMove::WordRight, false),
            Action::CaretUp => caret(CaretMove::Up, false),
            Action::CaretDown => caret(CaretMove::Down, false),
            Action::CaretLineStart => caret(CaretMove::LineStart, false),
            Action::CaretLineEnd => caret(CaretMove::LineEnd, false),
            Action::CaretDocStart => caret(CaretMove::DocStart, false),
            Action::CaretDocEnd => caret(CaretMove::DocEnd, false),
            Action::CaretPageUp => caret(CaretMove::PageUp, false),
            Action::CaretPageDown => caret(CaretMove::PageDown, false),
            Action::ExtendUp => caret(CaretMove::Up, true),
            Action::ExtendDown => caret(CaretMove::Down, true),
            Action::ExtendLineStart => caret(CaretMove::LineStart, true),
            Action::ExtendLineEnd => caret(CaretMove::LineEnd, true),
            Action::ExtendDocStart => caret(CaretMove::DocStart, true),
            Action::ExtendDocEnd => caret(CaretMove::DocEnd, true),
            Action::ExtendPageUp => caret(CaretMove::PageUp, true),
            Action::ExtendPageDown => caret(CaretMove::PageDown, true),
            Action::StartWordLeft => start(false, true),
            Action::StartWordRight => start(true, true),
            Action::StartLeft => start(false, false),
            Action::StartRight => start(true, false),
            Action::ExtendWordLeft => extend(false, true),
            Action::ExtendWordRight => extend(true, true),
            Action::ExtendLeft => extend(false, false),
            Action::ExtendRight => extend(true, false),
            Action::Delete => Command::DeleteSelectedSpan,
            Action::ConfirmAnchor => Command::ConfirmSelectedAnchor,
            Action::EditNote => Command::EditNote,
            Action::EditAttributes => Command::EditAttributes,
            Action::Link => Command::Relation(super::commands::RelationCommand::OpenPicker),
            Action::PinSpan => Command::Relation(super::commands::RelationCommand::Pin),
            Action::Deselect => Command::Deselect,
            Action::AcceptSourceSuggestions => Command::Suggest(SuggestCommand::AcceptSource),
            Action::AcceptSuggestion => Command::Suggest(SuggestCommand::Accept),
            Action::RejectSuggestion => Command::Suggest(SuggestCommand::Reject),
            Action::NextSuggestion => Command::Suggest(SuggestCommand::Next),
            Action::PrevSuggestion => Command::Suggest(SuggestCommand::Prev),
            Action::ToggleDone => Command::ToggleDone,
            Action::MarkInProgress => Command::SetStatus(Status::InProgress),
            Action::ToggleTheme => Command::ToggleTheme,
            Action::CycleDirection => Command::CycleDirection,
            Action::EditTags => Command::ToggleTagEditor,
            Action::Export => Command::OpenExport,
            Action::Import => Command::OpenImport,
            Action::OpenFolder => Command::Browse { folder: true },
            Action::OpenTextFile => Command::Browse { folder: false },
            Action::CloseDocument => Command::CloseDocument,
            Action::EditKeys => Command::ToggleKeysEditor,
        }
    }
}

/// Review mode's own commands, rebound like [`Action`]s (ids "review.next" and so on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

    /// Its entry in the registry.
    pub fn spec(self) -> Spec {
        let (id, label, chords): (_, _, &'static [(Modifiers, Key)]) = match self {
            ReviewKey::AcceptBoth => ("review.accept_both", "Accept both", &[(SHIFT, Key::B)]),
            ReviewKey::AcceptAllAgreed => (
                "review.accept_all_agreed",
                "Accept all agreed items",
                &[(SHIFT, Key::A)],
            ),
            ReviewKey::ToggleReviewed => (
                "review.toggle_reviewed",
                "Mark the document reviewed",
                &[(SHIFT, Key::R)],
            ),
            ReviewKey::Next => ("review.next", "Next undecided item", &[(NONE, Key::N)]),
            ReviewKey::Prev => ("review.prev", "Previous undecided item", &[(NONE, Key::P)]),
            ReviewKey::AcceptA => ("review.accept_a", "Accept A", &[(NONE, Key::A)]),
            ReviewKey::AcceptB => ("review.accept_b", "Accept B", &[(NONE, Key::B)]),
            ReviewKey::Reject => ("review.reject", "Reject (asks why)", &[(NONE, Key::R)]),
            ReviewKey::EditAccept => (
                "review.edit_accept",
                "Accept with the selected text as boundaries",
                &[(NONE, Key::E)],
            ),
            ReviewKey::Comment => ("review.comment", "Comment", &[(NONE, Key::C)]),
            ReviewKey::Reopen => ("review.reopen", "Reopen (undecide)", &[(NONE, Key::U)]),
            ReviewKey::CancelPrompt => (
                "review.cancel",
                "Cancel the reason or comment",
                &[(NONE, Key::Escape)],
            ),
        };
        Spec::new(id, label, chords)
    }

    /// What it does in words.
    pub fn description(self) -> &'static str {
        self.spec().label
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
}

/// The find bar's keys: fixed (not rebound), but listed here so the sheet and the bar read
/// them from the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKey {
    Next,
    Prev,
    Close,
    /// Alt + a tag's key.
    TagAll,
}

impl FindKey {
    /// As the sheet lists them.
    pub const ALL: [FindKey; 4] = [
        FindKey::Next,
        FindKey::Prev,
        FindKey::Close,
        FindKey::TagAll,
    ];

    /// What it does.
    pub fn label(self) -> &'static str {
        match self {
            FindKey::Next => "Find bar: next hit",
            FindKey::Prev => "Find bar: previous hit",
            FindKey::Close => "Find bar: close, keeping the current hit selected",
            FindKey::TagAll => "Find bar: tag every hit (one undo step; asks first above 50)",
        }
    }

    /// Its chord ([`FindKey::TagAll`] has none: it is [`FindKey::TAG_ALL`] held with a tag's key).
    pub fn chord(self) -> Option<KeyboardShortcut> {
        match self {
            FindKey::Next => Some(KeyboardShortcut::new(NONE, Key::Enter)),
            FindKey::Prev => Some(KeyboardShortcut::new(SHIFT, Key::Enter)),
            FindKey::Close => Some(KeyboardShortcut::new(NONE, Key::Escape)),
            FindKey::TagAll => None,
        }
    }

    /// The modifier held with a tag's key to tag every hit.
    pub const TAG_ALL: Modifiers = ALT;

    /// The keys as the sheet shows them.
    pub fn text(self) -> String {
        match self.chord() {
            Some(s) if s.logical_key == Key::Escape && s.modifiers.is_none() => "Esc".to_owned(),
            Some(s) => shortcut_text(&s),
            None => format!("{}tag key", modifiers_text(Self::TAG_ALL)),
        }
    }
}

/// Anything the Keys editor rebinds: an app action or a review key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// Every command with keys (the ones that can be rebound), in the Keys editor's order.
    pub fn all() -> impl Iterator<Item = Bindable> {
        let app = Action::ALL.into_iter().map(Bindable::App);
        app.chain(ReviewKey::ALL.into_iter().map(Bindable::Review))
    }

    pub fn spec(self) -> Spec {
        match self {
            Bindable::App(a) => a.spec(),
            Bindable::Review(r) => r.spec(),
        }
    }

    pub fn description(self) -> &'static str {
        self.spec().label
    }

    /// Its default chords.
    pub fn default_chords(self) -> Vec<KeyboardShortcut> {
        (self.spec().chords.iter())
            .map(|&(m, k)| KeyboardShortcut::new(m, k))
            .collect()
    }

    /// The keymap name of its chord number `slot` (0: the first).
    pub fn slot_id(self, slot: usize) -> String {
        let spec = self.spec();
        match slot {
            0 => spec.id.to_owned(),
            n => match spec.more_ids.get(n - 1) {
                Some(id) => (*id).to_owned(),
                None => format!("{}.{}", spec.id, n + 1),
            },
        }
    }

    /// The command and chord slot that keymap name `id` stands for.
    pub fn from_slot_id(id: &str) -> Option<(Bindable, usize)> {
        Bindable::all().find_map(|b| {
            let spec = b.spec();
            let slots = spec.chords.len().max(1);
            (0..slots).find(|&n| b.slot_id(n) == id).map(|n| (b, n))
        })
    }
}

/// The chords in effect: each command's defaults with the user's rebindings on top. Built
/// from the preferences' `keys` (keymap name → chord text) and kept by the app, which passes
/// it to whatever draws or reads keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keymap {
    /// The rebound chords, by command and slot.
    bound: BTreeMap<(Bindable, usize), KeyboardShortcut>,
}

impl Keymap {
    /// The keymap of `keys` (as kept in the preferences): entries naming no command or no
    /// readable chord are ignored. Names of older versions ("RedoY") are the second chord of
    /// their command.
    pub fn new(keys: &BTreeMap<String, String>) -> Self {
        let bound = keys
            .iter()
            .filter_map(|(id, text)| Some((Bindable::from_slot_id(id)?, parse_shortcut(text)?)))
            .collect();
        Self { bound }
    }

    /// Every chord of `b`, the first first.
    pub fn chords(&self, b: impl Into<Bindable>) -> Vec<KeyboardShortcut> {
        let b = b.into();
        let mut chords = b.default_chords();
        for (&(of, slot), &s) in self.bound.range((b, 0)..=(b, usize::MAX)) {
            debug_assert_eq!(of, b);
            match chords.get_mut(slot) {
                Some(c) => *c = s,
                None => chords.push(s),
            }
        }
        chords
    }

    /// The chord in slot `slot` of `b`, if it has one.
    pub fn chord(&self, b: impl Into<Bindable>, slot: usize) -> Option<KeyboardShortcut> {
        self.chords(b).get(slot).copied()
    }

    /// The first chord as text ("Ctrl+Z"), for menus and tooltips.
    pub fn first_text(&self, b: impl Into<Bindable>) -> Option<String> {
        self.chord(b, 0).map(|s| shortcut_text(&s))
    }

    /// The first chord as text, or nothing: for sentences ("Ctrl+Z brings it back").
    pub fn key(&self, b: impl Into<Bindable>) -> String {
        self.first_text(b).unwrap_or_default()
    }

    /// Every chord as text, "Ctrl+Shift+Z or Ctrl+Y" (empty when it has none).
    pub fn text(&self, b: impl Into<Bindable>) -> String {
        let texts: Vec<String> = self.chords(b).iter().map(shortcut_text).collect();
        texts.join(" or ")
    }

    /// Whether the user bound any chord of `b` to other keys.
    pub fn is_rebound(&self, b: impl Into<Bindable>) -> bool {
        let b = b.into();
        self.bound.range((b, 0)..=(b, usize::MAX)).next().is_some()
    }

    /// "`label` (`chord`)" for a button's tooltip, or `label` when it has no chord.
    pub fn hover(&self, label: &str, b: impl Into<Bindable>) -> String {
        match self.first_text(b) {
            Some(k) => format!("{label} ({k})"),
            None => label.to_owned(),
        }
    }

    /// Every (action, chord) in the order keys are matched: chords with more modifiers
    /// first, since a chord also matches with Shift or Alt held on top (egui's
    /// `matches_logically`); otherwise in the registry's order.
    pub fn actions_in_match_order(&self) -> Vec<(Action, KeyboardShortcut)> {
        let mut all: Vec<(Action, KeyboardShortcut)> = (Action::ALL.into_iter())
            .flat_map(|a| self.chords(a).into_iter().map(move |s| (a, s)))
            .collect();
        all.sort_by_key(|(_, s)| modifier_count(s));
        all
    }

    /// Review mode's keys, in matching order, with what each does. Undo, redo and save are
    /// [`Action`]'s (rebound with them), as are Ctrl+R, F1 and Ctrl+G; the others are
    /// [`ReviewKey`]s; the tag keys come from the tag set.
    pub fn review_keys(&self) -> Vec<(KeyboardShortcut, ReviewCommand, &'static str)> {
        let app = [
            (Action::Redo, ReviewCommand::Redo, "Redo"),
            (Action::Undo, ReviewCommand::Undo, "Undo"),
            (Action::SaveNow, ReviewCommand::SaveNow, "Save now"),
        ];
        let mut keys: Vec<_> = (app.into_iter())
            .flat_map(|(a, c, what)| {
                self.chords(a)
                    .into_iter()
                    .map(move |s| (s, c.clone(), what))
            })
            .collect();
        for r in ReviewKey::ALL {
            for s in self.chords(r) {
                keys.push((s, r.command(), r.description()));
            }
        }
        // Stable: with no rebindings this is the order above.
        keys.sort_by_key(|(s, _, _)| modifier_count(s));
        keys
    }

    /// The first key that does review command `cmd`, as text ("Shift+A"), for tooltips.
    pub fn review_text(&self, cmd: &ReviewCommand) -> String {
        (self.review_keys().iter())
            .find(|(_, c, _)| c == cmd)
            .map(|(k, _, _)| shortcut_text(k))
            .unwrap_or_default()
    }

    /// Review key `r` as review mode's window writes it: a plain letter in lower case ("n"),
    /// other chords as the sheet does ("Shift+B").
    pub fn hint(&self, b: impl Into<Bindable>, slot: usize) -> String {
        self.chord(b, slot)
            .map(|s| hint_text(&s))
            .unwrap_or_default()
    }

    /// Why chord slot `slot` of `target` cannot take `shortcut`, naming what has it already:
    /// another command's chord or a tag's hotkey (tag keys are plain keys, and also match with
    /// Shift held).
    ///
    /// A review key may share a chord with an action that review mode does not use (e.g. `a`
    /// with "Edit attributes"), but not with another review key, review mode's undo, redo and
    /// save, the actions that work everywhere (F1, Ctrl+R…) or a tag's hotkey.
    pub fn conflict(
        &self,
        target: impl Into<Bindable>,
        slot: usize,
        shortcut: KeyboardShortcut,
        tags: &TagSet,
    ) -> Option<String> {
        let target = target.into();
        let s = normalized(shortcut);
        let text = shortcut_text(&s);
        let review = match target {
            Bindable::App(_) => None,
            Bindable::Review(r) => Some(r),
        };
        let taken = Action::ALL.into_iter().find(|&a| {
            (review.is_none() || a.is_global())
                && (self.chords(a).iter().enumerate())
                    .any(|(n, c)| (Bindable::App(a), n) != (target, slot) && normalized(*c) == s)
        });
        if let Some(other) = taken {
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
            (self.review_keys().into_iter()).find(|(r, c, _)| !own(c) && normalized(*r) == s)
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

    /// Every command the palette lists: the actions (with all their keys), then one "Tag as"
    /// per tag.
    pub fn palette_entries(&self, tags: &TagSet) -> Vec<PaletteEntry> {
        let mut out: Vec<PaletteEntry> = Action::every()
            .filter(|a| *a != Action::Palette)
            .map(|a| {
                let spec = a.spec();
                let keys = self.text(a);
                PaletteEntry {
                    name: spec.label.to_owned(),
                    keywords: spec.keywords,
                    shortcut: (!keys.is_empty()).then_some(keys),
                    command: a.command(),
                    needs: a.needs(),
                }
            })
            .collect();
        for t in &tags.tags {
            out.push(PaletteEntry {
                name: format!("Tag the selection as {}", t.name),
                keywords: "label mark",
                shortcut: Some(t.hotkey.clone()),
                command: Command::Tag(t.name.clone()),
                needs: Needs::Document,
            });
        }
        out
    }
}

/// The item of `action` in a menu: the registry's text, its first chord at the right, the
/// registry's tooltip.
pub fn menu_item(
    ui: &mut egui::Ui,
    keymap: &Keymap,
    action: Action,
    enabled: bool,
    dark: bool,
) -> egui::Response {
    let text = action.menu_text(dark).unwrap_or(action.description());
    let button = match keymap.first_text(action) {
        Some(s) => egui::Button::new(text).shortcut_text(s),
        None => egui::Button::new(text),
    };
    let r = ui.add_enabled(enabled, button);
    match action.spec().hover {
        Some(h) => r.on_hover_text(h),
        None => r,
    }
}

/// The items of `actions` in an open menu; a click pushes the action's command and closes the
/// menu.
pub fn menu_items(
    ui: &mut egui::Ui,
    keymap: &Keymap,
    actions: impl IntoIterator<Item = Action>,
    enabled: bool,
    dark: bool,
    commands: &mut Vec<Command>,
) {
    for action in actions {
        if menu_item(ui, keymap, action, enabled, dark).clicked() {
            commands.push(action.command());
            ui.close();
        }
    }
}

fn modifier_count(s: &KeyboardShortcut) -> std::cmp::Reverse<u8> {
    let m = s.modifiers;
    std::cmp::Reverse(u8::from(m.command || m.ctrl) + u8::from(m.alt) + u8::from(m.shift))
}

/// `keys` without the entries that name no command or no readable chord, with each chord
/// written as [`shortcut_text`] writes it.
pub fn valid_keys(keys: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    (Keymap::new(keys).bound.into_iter())
        .map(|((b, slot), s)| (b.slot_id(slot), shortcut_text(&s)))
        .collect()
}

/// Modifiers as a chord's text starts, e.g. "Ctrl+Shift+".
fn modifiers_text(m: Modifiers) -> String {
    let mut out = String::new();
    for (on, name) in [
        (m.command || m.ctrl, "Ctrl+"),
        (m.alt, "Alt+"),
        (m.shift, "Shift+"),
    ] {
        if on {
            out.push_str(name);
        }
    }
    out
}

/// A key chord as text, e.g. "Ctrl+Shift+Z".
pub fn shortcut_text(s: &KeyboardShortcut) -> String {
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
    modifiers_text(s.modifiers) + key
}

/// A chord as review mode's strip and buttons write it: a plain letter in lower case ("a"),
/// anything else as [`shortcut_text`].
pub fn hint_text(s: &KeyboardShortcut) -> String {
    let text = shortcut_text(s);
    if s.modifiers.is_none() && text.len() == 1 {
        text.to_ascii_lowercase()
    } else {
        text
    }
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

/// One line of the command palette.
#[derive(Debug, Clone, PartialEq)]
pub struct PaletteEntry {
    pub name: String,
    pub keywords: &'static str,
    /// Every key that sends it, e.g. "Ctrl+Shift+Z or Ctrl+Y".
    pub shortcut: Option<String>,
    pub command: Command,
    /// What must be open for it to do anything.
    pub needs: Needs,
}

/// What a command needs open to do anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    Workspace,
    Document,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcut_texts_read_well() {
        assert_eq!(Action::Redo.shortcut_text(), "Ctrl+Shift+Z");
        assert_eq!(Action::Undo.shortcut_text(), "Ctrl+Z");
        let keymap = Keymap::default();
        assert_eq!(keymap.first_text(Action::NextSpan).as_deref(), Some("Tab"));
        assert_eq!(keymap.text(Action::Redo), "Ctrl+Shift+Z or Ctrl+Y");
        assert_eq!(keymap.hint(ReviewKey::AcceptA, 0), "a");
        assert_eq!(keymap.hint(ReviewKey::AcceptBoth, 0), "Shift+B");
        assert_eq!(FindKey::Close.text(), "Esc");
        assert_eq!(FindKey::TagAll.text(), "Alt+tag key");
    }

    #[test]
    fn every_default_shortcut_reads_back_from_its_text_and_bad_bindings_are_ignored() {
        for b in Bindable::all() {
            for (slot, s) in b.default_chords().into_iter().enumerate() {
                assert_eq!(parse_shortcut(&shortcut_text(&s)), Some(s), "{b:?}");
                assert_eq!(Bindable::from_slot_id(&b.slot_id(slot)), Some((b, slot)));
            }
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
        let keymap = Keymap::new(&keys);
        let valid: Vec<_> = keymap.bound.clone().into_iter().collect();
        assert_eq!(
            valid,
            [(
                (Bindable::App(Action::Undo), 0),
                parse_shortcut("Ctrl+U").unwrap()
            )]
        );
        assert_eq!(keymap.text(Action::Undo), "Ctrl+U");
        assert!(keymap.is_rebound(Action::Undo) && !keymap.is_rebound(Action::Redo));
        let mut keys = keys;
        keys.insert("review.next".into(), "J".into());
        keys.insert("review.nothing".into(), "K".into());
        let kept: Vec<_> = valid_keys(&keys).into_keys().collect();
        assert_eq!(kept, ["Undo", "review.next"]);
    }

    #[test]
    fn a_keymap_file_naming_an_old_alias_binds_the_second_chord_of_its_command() {
        // Before the registry had chord lists, Ctrl+Y was a command "RedoY" of its own.
        let keys: BTreeMap<String, String> = [
            ("RedoY", "Ctrl+J"),
            ("HelpQuestion", "F2"),
            ("PaletteP", "Ctrl+Shift+O"),
            ("ZoomInEquals", "Ctrl+I"),
            ("DeleteBackspace", "X"),
            ("Redo", "Ctrl+Shift+U"),
        ]
        .into_iter()
        .map(|(a, k)| (a.to_owned(), k.to_owned()))
        .collect();
        let keymap = Keymap::new(&keys);
        assert_eq!(keymap.text(Action::Redo), "Ctrl+Shift+U or Ctrl+J");
        assert_eq!(keymap.text(Action::Help), "F1 or F2");
        assert_eq!(keymap.text(Action::Palette), "Ctrl+K or Ctrl+Shift+O");
        assert_eq!(keymap.text(Action::ZoomIn), "Ctrl++ or Ctrl+I");
        assert_eq!(keymap.text(Action::Delete), "Delete or X");
        // Written back under the same names, so older versions read them too.
        assert_eq!(valid_keys(&keys), keys);
    }

    #[test]
    fn a_binding_taken_by_another_action_a_tag_or_review_mode_is_refused() {
        let tags = TagSet::default();
        let keymap = Keymap::default();
        let conflict =
            |s: &str| keymap.conflict(Action::Undo, 0, parse_shortcut(s).unwrap(), &tags);
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
        // Another chord of the same command is taken too.
        let redo =
            |slot, s: &str| keymap.conflict(Action::Redo, slot, parse_shortcut(s).unwrap(), &tags);
        assert!(redo(0, "Ctrl+Y").unwrap().contains("\"Redo\""));
        assert_eq!(redo(1, "Ctrl+Y"), None, "its own key");
        let review =
            |r: ReviewKey, s: &str| keymap.conflict(r, 0, parse_shortcut(s).unwrap(), &tags);
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

    #[test]
    fn every_menu_item_comes_from_the_registry_once() {
        let mut view: Vec<Action> = Action::in_menu(Menu::View).collect();
        let mut listed = Action::VIEW_MENU.to_vec();
        view.sort();
        listed.sort();
        assert_eq!(
            view, listed,
            "the View menu's order lists each View entry once"
        );
        for a in Action::MENU_ONLY {
            assert!(a.spec().chords.is_empty(), "{a:?}");
            assert!(!Action::ALL.contains(&a), "{a:?}");
        }
        for a in Action::ALL {
            assert!(!a.spec().chords.is_empty(), "{a:?}");
        }
    }

    #[test]
    fn the_file_menu_names_every_format() {
        use crate::interchange::export::ExportFormat;
        use crate::interchange::import::ImportFormat;
        // The tooltip and the palette's words each name every format.
        let texts = |a: Action| {
            let s = a.spec();
            [s.hover.unwrap_or(""), s.keywords].map(|t| t.to_lowercase().replace(' ', ""))
        };
        for t in texts(Action::Export) {
            for f in ExportFormat::ALL {
                assert!(t.contains(f.name()), "{} in {t}", f.name());
            }
        }
        for t in texts(Action::Import) {
            for f in ImportFormat::ALL {
                assert!(t.contains(f.name()), "{} in {t}", f.name());
            }
        }
    }

    fn first_match(query: &str) -> Command {
        let entries = Keymap::default().palette_entries(&TagSet::default());
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
        let entries = Keymap::default().palette_entries(&TagSet::default());
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
