//! The egui layer: panels and widgets that draw state and send commands to the core.
//!
//! [`MarginaliaApp`] holds the open workspace and document. Each frame the panels draw that
//! state and collect [`Command`]s (from clicks and keys); the commands are applied after the
//! frame, through the core's [`Document`] API. This layer never writes files itself.
//!
//! Owns: the window. May import: every core folder (through their public APIs) and egui/rfd;
//! nothing in the core imports it. Inside, views take data and modes depend on views; a child
//! module may use [`MarginaliaApp`] from here, and no two children import each other in a circle.

pub mod agreement_team_view;
pub mod agreement_view;
mod attrs;
mod commands;
mod doc_list;
mod durability;
pub mod find_bar;
mod frame_stats;
mod help;
mod keys_editor;
mod list_scan;
mod loader;
pub mod model_sources;
mod palette;
mod panels;
mod quit;
mod registry;
pub mod relations;
mod repaint;
pub mod review_mode;
mod shortcuts;
mod span_edit;
pub mod suggestions;
mod tag_editor;
pub mod team_view;
pub mod text_view;
mod theme;
mod transfer;
mod undo;
mod workspace_find;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::model::layer::Status;
use crate::session::autosave::SaveState;
use crate::session::document::Document;
use crate::session::engine::Editing;
use crate::session::layer_index::LayerIndex;
use crate::workspace::{self, Workspace};

pub use commands::QuitChoice;
pub use commands::{AttrStep, Command};
pub use durability::{Banner, BannerKind};
pub use registry::{Action, Keymap, ReviewKey};
use text_view::TextView;

/// The text size at zoom 1.
const BASE_FONT_SIZE: f32 = 15.0;
/// The id of the note editor, so Enter can focus it.
const NOTE_EDITOR: &str = "note editor";

/// How the app is started.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// A workspace folder or a text file.
    pub path: PathBuf,
    /// Overrides the remembered annotator (already validated).
    pub annotator: Option<String>,
    /// Whether preferences are read from and written to eframe's storage (off in tests).
    pub persist: bool,
    /// Forces the theme (tests); `None` uses the remembered one.
    pub dark: Option<bool>,
    /// Where edits that cannot be saved are kept, outside the workspace; `None` keeps none.
    pub journal: Option<crate::session::recovery::Journal>,
    /// Open the remembered workspace instead of `path` (`--last`), or none if there is none.
    pub reopen_last: bool,
}

impl StartOptions {
    /// Options for opening `path`, remembering preferences.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            annotator: None,
            persist: true,
            dark: None,
            journal: crate::session::recovery::Journal::default_location(),
            reopen_last: false,
        }
    }
}

/// What is remembered between runs (never annotations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub annotator: String,
    pub last_workspace: Option<PathBuf>,
    pub last_document: Option<String>,
    pub dark: bool,
    pub zoom: f32,
    /// Suggestion sources switched off, by name ("quotes", "names"…).
    pub suggestions_off: Vec<String>,
    /// Per suggestion source, by name: the score below which its suggestions are hidden (and
    /// not accepted by Shift+Y). A source not listed shows all of them.
    pub suggestion_thresholds: std::collections::BTreeMap<String, f32>,
    /// The suggestion list in the text's order instead of by score.
    pub suggestions_by_position: bool,
    /// The user's key bindings: command id (e.g. "Undo", or "RedoY" for Redo's second chord)
    /// → keys (e.g. "Ctrl+U"), set in the Keys editor. Entries naming no command or no
    /// readable keys are ignored.
    pub keys: std::collections::BTreeMap<String, String>,
    /// Documents whose paragraphs are set one way, not each by its first letter: the text's
    /// path → the direction.
    pub directions: std::collections::BTreeMap<PathBuf, crate::model::bidi::Direction>,
}

impl Prefs {
    /// The annotator the window starts with: the one given on the command line, else the
    /// remembered one, else the user's login name when neither is a valid name.
    fn take_annotator(&mut self, start: &StartOptions) {
        if let Some(a) = &start.annotator {
            self.annotator = a.clone();
        }
        if workspace::check_annotator(&self.annotator).is_err() {
            self.annotator = workspace::default_annotator();
        }
    }
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            annotator: workspace::default_annotator(),
            last_workspace: None,
            last_document: None,
            dark: false,
            zoom: 1.0,
            suggestions_off: Vec::new(),
            suggestion_thresholds: Default::default(),
            suggestions_by_position: false,
            keys: Default::default(),
            directions: Default::default(),
        }
    }
}

/// One line of the document list.
#[derive(Debug, Clone)]
pub struct DocEntry {
    pub rel: String,
    /// The text's first non-empty line, shortened, once the list has read it.
    pub title: Option<String>,
    pub status: Status,
    pub spans: usize,
    /// Why it cannot be opened, if it cannot.
    pub error: Option<String>,
    /// Whether its layer has been read yet (the list fills in on a background thread).
    pub scanned: bool,
    /// The path and title, lower-cased, for the list's filter.
    pub(crate) search: String,
}

impl DocEntry {
    /// A text just found: only its path is known.
    fn new(rel: String) -> Self {
        Self {
            search: doc_list::haystack(&rel, None),
            rel,
            title: None,
            status: Status::NotStarted,
            spans: 0,
            error: None,
            scanned: false,
        }
    }
}

/// The open document with what the view needs, kept up to date after each edit.
struct OpenDoc {
    doc: Document,
    /// All spans and the spans of each tag, indexed; follows the document's changes
    /// ([`OpenDoc::refresh`]), so an edit costs O(log n) here and a frame never rebuilds it.
    index: LayerIndex,
    view: TextView,
    /// The span list has not been shown yet: it starts at its top.
    list_fresh: bool,
    /// How many batches of changes the index has taken: what is derived from the spans (the
    /// value filter's rows) is recomputed when this moves, not every frame.
    edits: u64,
    /// The range and tag of every span changed since the suggestions last looked (before and
    /// after each change); `None` when anything may have changed (a reload, merge, restore).
    touched: Option<Vec<(usize, usize, String)>>,
}

impl OpenDoc {
    /// `view` shows `doc`'s text (it may already have been shown while the layer was read).
    fn new(mut doc: Document, index: LayerIndex, view: TextView) -> Self {
        doc.take_changes();
        Self {
            doc,
            index,
            view,
            list_fresh: true,
            edits: 0,
            touched: Some(Vec::new()),
        }
    }

    /// Takes the document's changes since the last call into the index: O(log n) per changed
    /// span, O(n) only after a reload, merge or restore.
    fn refresh(&mut self) {
        let changes = self.doc.take_changes();
        if !changes.is_empty() {
            let touched = self.index.apply_all(&changes, &self.doc.layer().spans);
            match (&mut self.touched, touched) {
                (Some(all), Some(more)) if all.len() < 10_000 => all.extend(more),
                (slot, _) => *slot = None,
            }
            self.edits += 1;
        }
    }

    /// Position of span `id` in the layer's sorted spans. O(log n). Checked against the layer,
    /// so that an index a bulk edit has not reached yet (see [`MarginaliaApp::after_edit`])
    /// answers "not known" rather than a wrong place.
    fn position(&self, id: u64) -> Option<usize> {
        let at = self.index.position(id)?;
        (self.doc.layer().spans.get(at)?.id == id).then_some(at)
    }

    /// Span `id`. O(log n).
    fn span(&self, id: u64) -> Option<&crate::model::layer::Span> {
        self.doc.layer().spans.get(self.position(id)?)
    }
}

/// What a background open sends: the text as soon as it is read, so the window can show it,
/// then the document with its layer read and checked, or why it cannot be opened.
enum Loaded {
    Text(Box<Preview>),
    Done(Box<Result<(Document, LayerIndex), crate::session::document::OpenError>>),
}

/// A document's text, shown while its layer is still being read.
struct Preview {
    text: crate::model::text::Text,
    view: TextView,
    /// An index of no spans, for drawing the text without any.
    no_spans: crate::model::span_index::SpanIndex,
}

/// Text and layer bytes under which opening a document waits for it in the same frame (a seed
/// and its layer are about 20 KB; a 1 MB text with 10,000 spans opens in about 20 ms of CPU).
const WAIT_FOR_DOCUMENTS_UNDER: u64 = 8 << 20;

/// The windows Esc closes (see [`MarginaliaApp::escape_closes_a_window`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TopWindow {
    Help,
    KeysEditor,
    TagEditor,
    WorkspaceFind,
    Export,
    Import,
    Agreement,
    Team,
}

/// What a status line that describes the moment stays true for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusWhile {
    /// This text range is selected (chars).
    TextSelected((usize, usize)),
    /// This span is selected.
    SpanSelected(u64),
}

/// A document being opened on a background thread.
struct Loading {
    rel: String,
    rx: mpsc::Receiver<Loaded>,
    since: Instant,
    preview: Option<Box<Preview>>,
    /// Set on Cancel: the loader stops at its next step instead of finishing for nobody.
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// The Marginalia window.
pub struct MarginaliaApp {
    /// The window is drawn by OpenGL, which clears it to the side panels' colour before each
    /// frame: no panel paints its background as a shape (`theme::side_frame`, `theme::centre_fill`).
    cleared_by_gl: bool,
    prefs: Prefs,
    persist: bool,
    ws: Option<Workspace>,
    /// The workspace could not be opened.
    ws_error: Option<String>,
    entries: Vec<DocEntry>,
    /// Counts changes to `entries`, so the list's filtered rows are remade only after one.
    entries_gen: u64,
    /// Counts new listings of the workspace's texts (the entries' paths changed).
    listing_gen: u64,
    /// The document list's filtered order and rows (src/app/doc_list.rs).
    list: doc_list::ListCache,
    /// The background read of the document list's layers, while it runs.
    list_scan: Option<list_scan::ListScan>,
    /// The list was reloaded; its scan starts at the end of the frame, once it is known which
    /// document is being opened (that one is not read twice).
    list_scan_due: bool,
    /// The scan walks the workspace for its texts first (a workspace was just opened).
    list_walk_due: bool,
    /// The layer folders of the workspace, for the layer picker.
    layer_names: Vec<String>,
    /// The layer shown: the annotator's own (editable) or another (read-only).
    layer: String,
    open: Option<OpenDoc>,
    /// A document being opened in the background.
    loading: Option<Loading>,
    /// For loaders to wake the window when they have something.
    ctx: egui::Context,
    /// The first document, loading since before the window was made ([`loader::Preload`]),
    /// until the window opens a document.
    preload: Option<loader::Preload>,
    selected_span: Option<u64>,
    tag_filter: Option<String>,
    /// The span list shows only spans with a relation of this type (`""`: of any type).
    relation_filter: Option<String>,
    /// The span list's rows under [`Self::relation_filter`]: (filter, tag filter, document,
    /// edits, rows), remade when one of them changes.
    relation_rows: Option<relations::FilteredRows>,
    /// The open layer's relations by span, for drawing the arcs of the spans on screen.
    relation_index: Option<relations::RelationIndex>,
    doc_filter: String,
    note_buf: String,
    note_for: Option<u64>,
    annotator_buf: String,
    annotator_error: Option<String>,
    path_buf: String,
    dialog: Option<mpsc::Receiver<Option<PathBuf>>>,
    status_line: String,
    /// A status line that is true only while something lasts, and that thing: the line is
    /// cleared once it ends (unless another line replaced it meanwhile).
    status_while: Option<(String, StatusWhile)>,
    /// The windows Esc closes, in the order they were opened (the last is on top).
    top_windows: Vec<TopWindow>,
    /// Where the top bar ended last frame: windows stay below it, never over File and View.
    bar_bottom: f32,
    /// Where the status line (or review's key strip) starts: windows stay above it.
    status_top: f32,
    title: String,
    /// With `MARGINALIA_FRAME_STATS=1`: each frame's cost, whole and by part (frame_stats.rs).
    frame_stats: Option<frame_stats::FrameStats>,
    /// Wakes the window when a file it shows changes on disk, so that an untouched window
    /// draws no frames (`None` if its thread could not start: then it looks once a second).
    watch: Option<crate::store::watch::Watch>,
    /// Banners, the problem page (src/app/durability.rs).
    durability: durability::Durability,
    /// File → Export… and File → Import… windows.
    transfer: transfer::Transfer,
    // Review mode and agreement (see review_mode.rs and agreement_view.rs).
    review: Option<review_mode::ReviewMode>,
    chooser: Option<review_mode::LayerChooser>,
    review_progress: HashMap<String, (usize, usize, bool)>,
    agreement: agreement_view::AgreementView,
    /// The Team window (src/app/team_view.rs).
    team: team_view::TeamView,
    /// The reviewer's verdicts on the open document's spans (own layer only).
    feedback: HashMap<u64, crate::team::compare::SpanFeedback>,
    /// The verdicts as the text view's tooltip shows them.
    badges: HashMap<u64, text_view::Badge>,
    /// The recovery journal for edits that cannot be saved.
    journal: Option<crate::session::recovery::Journal>,
    /// Closing with unsaved edits (src/app/quit.rs).
    quit: quit::QuitGuard,
    /// A text field had the keyboard last frame: an Esc now only leaves it (egui drops the
    /// focus on Esc before the frame starts, so the shortcuts would otherwise see it too).
    was_typing: bool,
    /// The preferences as last written to eframe's storage.
    saved_prefs: Option<Prefs>,
    /// The shortcut sheet (F1) is shown.
    help_open: bool,
    /// The selected span's attribute widgets and the span list's value filter.
    attr_ui: attrs::AttrUi,
    /// The tag editor window, and the check for `tags.ron` changed on disk.
    tag_editor: tag_editor::TagEditor,
    /// The find bar (Ctrl+F).
    find: find_bar::FindBar,
    /// The command palette (Ctrl+K).
    palette: palette::Palette,
    /// The link picker (R): the other end and type of a new relation.
    link: relations::Picker,
    /// A span pinned (P) to link to from another document.
    pinned: Option<relations::Pinned>,
    keys_editor: keys_editor::KeysEditor,
    /// The chords in effect: the registry's defaults with `prefs.keys` on top (rebuilt when
    /// those change, in the Keys editor).
    keymap: registry::Keymap,
    /// Find in the workspace (Ctrl+Shift+F).
    ws_find: workspace_find::WorkspaceFind,
    /// Suggestions for the open document (src/app/suggestions.rs).
    suggest: suggestions::SuggestUi,
    /// A text range to select once the document being opened is open (rel, start, end).
    pending_select: Option<(String, usize, usize)>,
    /// With `MARGINALIA_FRAME_STATS=1`: when the app started, for the startup timeline it prints
    /// (window, list, document shown, list complete).
    timeline: Option<Timeline>,
}

/// Milestones of the start, printed once each to stderr with their time since the app started.
struct Timeline {
    start: Instant,
    first_frame: bool,
    text_shown: bool,
    document_shown: bool,
    list_complete: bool,
}

impl Timeline {
    fn note(&self, what: &str) {
        eprintln!(
            "[{:7.1} ms] {what}",
            self.start.elapsed().as_secs_f64() * 1000.0
        );
    }
}

impl MarginaliaApp {
    /// The workspace's tag set (the default one with no workspace).
    fn tag_set(&self) -> crate::model::tags::TagSet {
        (self.ws.as_ref())
            .map(|w| w.tags().clone())
            .unwrap_or_default()
    }

    /// Creates the app and opens `start.path`.
    pub fn new(cc: &eframe::CreationContext<'_>, start: StartOptions) -> Self {
        Self::with_preload(cc, start, None)
    }

    /// [`Self::new`], taking over `preload` if it is the document the window opens first.
    fn with_preload(
        cc: &eframe::CreationContext<'_>,
        start: StartOptions,
        preload: Option<loader::Preload>,
    ) -> Self {
        let mut prefs: Prefs = if start.persist {
            cc.storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default()
        } else {
            Prefs::default()
        };
        prefs.take_annotator(&start);
        if let Some(d) = start.dark {
            prefs.dark = d;
        }
        if !(0.5..=3.0).contains(&prefs.zoom) {
            prefs.zoom = 1.0;
        }
        prefs.keys = registry::valid_keys(&prefs.keys);
        let keymap = registry::Keymap::new(&prefs.keys);
        let ctx = &cc.egui_ctx;
        ctx.options_mut(|o| o.zoom_with_keyboard = false);
        theme::install_fonts(ctx);
        ctx.set_visuals_of(egui::Theme::Light, theme::visuals(false));
        ctx.set_visuals_of(egui::Theme::Dark, theme::visuals(true));
        ctx.all_styles_mut(theme::app_style);
        ctx.set_theme(if prefs.dark {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        });
        let frame_stats = frame_stats::FrameStats::install(ctx);
        let frame_times_on = frame_stats.is_some();
        let waker = ctx.clone();
        let watch = crate::store::watch::Watch::spawn(Duration::from_millis(500), move || {
            waker.request_repaint();
        })
        .ok();
        let mut app = Self {
            annotator_buf: prefs.annotator.clone(),
            layer: prefs.annotator.clone(),
            prefs,
            persist: start.persist,
            ws: None,
            ws_error: None,
            entries: Vec::new(),
            entries_gen: 0,
            listing_gen: 0,
            list: Default::default(),
            list_scan: None,
            list_scan_due: false,
            list_walk_due: false,
            layer_names: Vec::new(),
            open: None,
            loading: None,
            ctx: ctx.clone(),
            preload,
            selected_span: None,
            tag_filter: None,
            relation_filter: None,
            relation_rows: None,
            relation_index: None,
            doc_filter: String::new(),
            note_buf: String::new(),
            note_for: None,
            annotator_error: None,
            path_buf: start.path.display().to_string(),
            dialog: None,
            status_line: String::new(),
            status_while: None,
            top_windows: Vec::new(),
            bar_bottom: 0.0,
            status_top: f32::INFINITY,
            title: String::new(),
            frame_stats,
            watch,
            durability: Default::default(),
            transfer: Default::default(),
            review: None,
            chooser: None,
            review_progress: HashMap::new(),
            agreement: agreement_view::AgreementView::default(),
            team: Default::default(),
            feedback: HashMap::new(),
            badges: HashMap::new(),
            journal: start.journal.clone(),
            quit: Default::default(),
            was_typing: false,
            cleared_by_gl: cc.gl.is_some(),
            saved_prefs: None,
            help_open: false,
            attr_ui: Default::default(),
            tag_editor: Default::default(),
            timeline: None,
            find: Default::default(),
            palette: Default::default(),
            link: Default::default(),
            pinned: None,
            keys_editor: Default::default(),
            keymap,
            ws_find: Default::default(),
            pending_select: None,
            suggest: Default::default(),
        };
        if frame_times_on {
            app.timeline = Some(Timeline {
                start: started(),
                first_frame: false,
                text_shown: false,
                document_shown: false,
                list_complete: false,
            });
            app.timeline_note("app created");
        }
        let path = if start.reopen_last {
            app.prefs.last_workspace.clone().filter(|p| p.is_dir())
        } else {
            Some(start.path.clone())
        };
        match path {
            Some(p) => {
                app.open_path(&p, true);
                // Not the document the window opened (or it opened none): no one waits for it.
                if let Some(preload) = app.preload.take() {
                    preload.cancel();
                }
            }
            None => {
                app.status_line = format!(
                    "No workspace yet: open a folder of texts with File → Open ({})",
                    app.keymap
                        .first_text(registry::Action::OpenFolder)
                        .unwrap_or_default()
                );
            }
        }
        app
    }

    /// The open document's relative path, if one is open.
    pub fn open_document(&self) -> Option<&str> {
        self.open.as_ref().map(|o| o.doc.rel())
    }

    /// The document list as shown.
    pub fn entries(&self) -> &[DocEntry] {
        &self.entries
    }

    /// Whether the document list is still reading its layers in the background.
    pub fn document_list_loading(&self) -> bool {
        self.list_scan.is_some() || self.list_scan_due
    }

    /// Where windows (the tag editor, the shortcut sheet…) may be: the screen below the top bar,
    /// so that File and View are never hidden.
    pub(super) fn window_area(&self, ctx: &egui::Context) -> egui::Rect {
        let screen = ctx.content_rect();
        let top = self.bar_bottom.clamp(screen.min.y, screen.max.y - 100.0);
        let bottom = self
            .status_top
            .clamp(top + 100.0, screen.max.y.max(top + 100.0));
        egui::Rect::from_min_max(
            egui::pos2(screen.min.x, top),
            egui::pos2(screen.max.x, bottom),
        )
    }

    /// Shows `line` on the status line while `lasts` holds.
    fn status_while(&mut self, line: String, lasts: StatusWhile) {
        self.status_line = line.clone();
        self.status_while = Some((line, lasts));
    }

    /// Clears a status line that is no longer true (see [`StatusWhile`]).
    fn expire_status(&mut self, ctx: &egui::Context) {
        let Some((line, lasts)) = &self.status_while else {
            return;
        };
        if *line != self.status_line {
            // Another line replaced it.
            self.status_while = None;
            return;
        }
        let holds = match lasts {
            StatusWhile::TextSelected(range) => self.selected_text_range() == Some(*range),
            StatusWhile::SpanSelected(id) => self.selected_span == Some(*id),
        };
        if !holds {
            self.status_line.clear();
            self.status_while = None;
            // The status bar was drawn earlier in this frame.
            ctx.request_repaint();
        }
    }

    /// Whether window `w` is open.
    fn is_window_open(&self, w: TopWindow) -> bool {
        match w {
            TopWindow::Help => self.help_open,
            TopWindow::KeysEditor => self.keys_editor.is_open(),
            TopWindow::TagEditor => self.tag_editor.is_open(),
            TopWindow::WorkspaceFind => self.ws_find.is_open(),
            TopWindow::Export => self.transfer.export_open(),
            TopWindow::Import => self.transfer.import_open(),
            TopWindow::Agreement => self.agreement.is_open(),
            TopWindow::Team => self.team.is_open(),
        }
    }

    /// Esc closes the window on top (the one opened last: the shortcut sheet, the keys editor,
    /// the tag editor, find in workspace, export, import, agreement, team) before it means
    /// anything else (a field that had the keyboard has let it go by then); a tag editor with
    /// unsaved changes stays open and says why.
    fn escape_closes_a_window(&mut self, ctx: &egui::Context) {
        // Those closed since by their own button or a toggle leave the stack; those opened
        // since go on top of it.
        let all = [
            TopWindow::Help,
            TopWindow::KeysEditor,
            TopWindow::TagEditor,
            TopWindow::WorkspaceFind,
            TopWindow::Export,
            TopWindow::Import,
            TopWindow::Agreement,
            TopWindow::Team,
        ];
        let mut stack = std::mem::take(&mut self.top_windows);
        stack.retain(|w| self.is_window_open(*w));
        for w in all {
            if self.is_window_open(w) && !stack.contains(&w) {
                stack.push(w);
            }
        }
        self.top_windows = stack;
        let Some(&top) = self.top_windows.last() else {
            return;
        };
        if ctx.text_edit_focused()
            || !ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape))
        {
            return;
        }
        match top {
            TopWindow::KeysEditor => keys_editor::toggle(self),
            TopWindow::TagEditor if tag_editor::has_unsaved(self) => {
                self.status_line = "The tag editor has unsaved changes: Save them, or close it \
                                    with its × to drop them"
                    .into();
                return;
            }
            TopWindow::TagEditor => tag_editor::toggle(self),
            TopWindow::Help => self.help_open = false,
            TopWindow::WorkspaceFind => workspace_find::toggle(self),
            TopWindow::Export => transfer::close_export(self),
            TopWindow::Import => transfer::close_import(self),
            TopWindow::Agreement => agreement_view::apply(self, commands::AgreementCommand::Toggle),
            TopWindow::Team => team_view::apply(self, commands::TeamCommand::Toggle),
        }
        if !self.is_window_open(top) {
            self.top_windows.pop();
        }
    }

    /// Whether a document is being opened in the background.
    pub fn is_opening(&self) -> bool {
        self.loading.is_some()
    }

    /// The selected span's id.
    pub fn selected_span(&self) -> Option<u64> {
        self.selected_span
    }

    /// The selected text range (chars), if any.
    pub fn selected_text_range(&self) -> Option<(usize, usize)> {
        self.open.as_ref().and_then(|o| o.view.selected_range())
    }

    /// The caret in the open text (a char offset), if it has one.
    pub fn caret(&self) -> Option<usize> {
        self.open.as_ref().and_then(|o| o.view.caret())
    }

    /// Where char `c` of the open text was painted last frame, if it is on screen.
    pub fn screen_pos_of_char(&self, c: usize) -> Option<egui::Pos2> {
        self.open.as_ref()?.view.screen_pos_of_char(c)
    }

    /// The glyphs drawn on the open text's row holding char `c`, left to right.
    pub fn drawn_row(&self, c: usize) -> Option<String> {
        self.open.as_ref()?.view.drawn_row(c)
    }

    /// Where the caret of the open text is drawn (the middle of its bar), if it is on screen.
    pub fn caret_screen_pos(&self) -> Option<egui::Pos2> {
        self.open.as_ref()?.view.caret_drawn_at()
    }

    /// The boxes chars `[a, b)` of the open text were painted in last frame (several on a row
    /// where the range crosses a change of direction), left to right on each row.
    pub fn screen_rects_of(&self, a: usize, b: usize) -> Vec<egui::Rect> {
        self.open
            .as_ref()
            .map(|o| o.view.screen_rects_of(a, b))
            .unwrap_or_default()
    }

    /// The open text, if any.
    pub fn open_text(&self) -> Option<&crate::model::text::Text> {
        self.open.as_ref().map(|o| o.doc.text())
    }

    /// The open review, in review mode.
    pub fn review_mode(&self) -> Option<&review_mode::ReviewMode> {
        self.review.as_ref()
    }

    /// The Team window's state.
    pub fn team_view(&self) -> &team_view::TeamView {
        &self.team
    }

    /// The Agreement window's state.
    pub fn agreement_view(&self) -> &agreement_view::AgreementView {
        &self.agreement
    }

    /// The status line's message.
    pub fn status_line(&self) -> &str {
        &self.status_line
    }

    /// Whether a workspace "Tag all", or its undo or redo, is still writing documents.
    pub fn workspace_job_running(&self) -> bool {
        workspace_find::job_running(self)
    }

    /// Whether a job runs in the background that will wake the window when it is done: the
    /// document list's scan, a document opening, the suggestions being learnt or computed, a
    /// model source being asked.
    pub fn background_work(&self) -> bool {
        self.list_scan.is_some()
            || self.loading.is_some()
            || self.suggest.working()
            || self.suggest.models_working()
    }

    /// The suggestions shown for the open document, and the index of the focused one.
    pub fn suggestions(
        &self,
    ) -> (
        &[std::sync::Arc<crate::assist::suggest::Suggestion>],
        Option<usize>,
    ) {
        (self.suggest.shown(), self.suggest.focused_mark())
    }

    /// Whether the find bar is open.
    pub fn find_bar_open(&self) -> bool {
        self.find.is_open()
    }

    /// The find bar's hits (char ranges) and its count text ("3 of 17").
    pub fn find_hits(&self) -> (&[crate::model::range::CharRange], String) {
        (self.find.hits(), self.find.count_text())
    }

    /// The banners shown above the text (re-anchor summary, merged external change…).
    pub fn banners(&self) -> &[Banner] {
        self.durability.banners()
    }

    /// Writes the preferences to `storage` and flushes it, if they changed since they were last
    /// written: a change survives the app being killed, not only a clean exit. Returns whether
    /// it wrote. Does nothing when started without persistence.
    pub fn save_prefs_if_changed(&mut self, storage: &mut dyn eframe::Storage) -> bool {
        if !self.persist || self.saved_prefs.as_ref() == Some(&self.prefs) {
            return false;
        }
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
        storage.flush();
        self.saved_prefs = Some(self.prefs.clone());
        true
    }

    fn read_only(&self) -> bool {
        self.layer != self.prefs.annotator
    }

    /// Prints a startup milestone, with `MARGINALIA_FRAME_STATS=1`.
    fn timeline_note(&self, what: &str) {
        if let Some(t) = &self.timeline {
            t.note(what);
        }
    }

    /// Prints the milestones reached by the end of this frame.
    fn timeline_frame(&mut self) {
        let list_loading = self.document_list_loading();
        let Some(t) = &mut self.timeline else { return };
        let mut notes = Vec::new();
        if !t.first_frame {
            t.first_frame = true;
            notes.push(format!(
                "first frame drawn: {} in the list{}",
                crate::wording::plural(self.entries.len(), "text"),
                if self.loading.is_some() {
                    ", a document opening"
                } else {
                    ""
                }
            ));
        }
        if !t.text_shown
            && let Some(l) = &self.loading
            && l.preview.is_some()
        {
            t.text_shown = true;
            notes.push(format!("first frame with the text of {} drawn", l.rel));
        }
        if !t.document_shown
            && let Some(open) = &self.open
        {
            t.document_shown = true;
            notes.push(format!("first frame with {} drawn", open.doc.rel()));
        }
        if !t.list_complete && !list_loading && self.ws.is_some() {
            t.list_complete = true;
            notes.push(format!(
                "document list complete: {}",
                crate::wording::plural(self.entries.len(), "text")
            ));
        }
        for n in notes {
            t.note(&n);
        }
    }

    /// Opens a workspace folder, or a text file (its workspace, then the document).
    fn open_path(&mut self, path: &Path, at_start: bool) {
        self.save_pending();
        match Workspace::open(path) {
            Ok(ws) => {
                let root = ws.root().to_path_buf();
                // Its spans may use a tag the tag set lacks until the rename is finished.
                if let Some(r) = crate::workspace::tag_ops::interrupted_rename(&ws) {
                    self.durability.arrived(vec![r.message()]);
                }
                let doc_rel = if path.is_file() {
                    match ws.rel_of(path) {
                        Ok(r) => Some(r),
                        Err(e) => {
                            self.status_line = e.to_string();
                            None
                        }
                    }
                } else if at_start && self.prefs.last_workspace.as_deref() == Some(&root) {
                    self.prefs.last_document.clone()
                } else {
                    None
                };
                review_mode::save_pending(self);
                self.review = None;
                self.ws = Some(ws);
                self.ws_error = None;
                self.open = None;
                self.selected_span = None;
                self.layer = self.prefs.annotator.clone();
                self.review_progress.clear();
                // The remembered document belongs to the remembered workspace only.
                if self.prefs.last_workspace.as_ref() != Some(&root) {
                    self.prefs.last_document = None;
                }
                self.prefs.last_workspace = Some(root.clone());
                self.path_buf = root.display().to_string();
                // The texts are listed on the list's thread, which also clears what a crashed
                // save left behind (the window writes layers, so it may).
                self.list_scan = None;
                self.layer_names = self
                    .ws
                    .as_ref()
                    .map(Workspace::layer_names)
                    .unwrap_or_default();
                self.entries.clear();
                self.entries_gen += 1;
                self.listing_gen += 1;
                self.list_scan_due = true;
                self.list_walk_due = true;
                self.durability
                    .find_orphans(self.journal.as_ref(), self.ws.as_ref());
                if let Some(rel) = doc_rel {
                    self.open_document_with(&rel, at_start);
                } else {
                    self.status_line = format!("Opened {}", root.display());
                }
                self.start_list_scan();
            }
            Err(e) => {
                self.ws_error = Some(e.to_string());
                self.status_line = format!("Cannot open {}: {e}", path.display());
            }
        }
    }

    /// Lists the workspace's texts at once, then reads each one's status, span count and
    /// problems for the shown layer on a background thread ([`Self::poll_list_scan`]).
    fn reload_entries(&mut self) {
        self.list_scan = None;
        self.list_walk_due = false;
        self.entries_gen += 1;
        self.listing_gen += 1;
        let Some(ws) = &self.ws else {
            self.entries.clear();
            return;
        };
        self.layer_names = ws.layer_names();
        self.entries = ws
            .texts()
            .into_iter()
            .map(|t| DocEntry::new(t.rel))
            .collect();
        self.entries_gen += 1;
        self.list_scan_due = true;
    }

    /// Starts the scan asked for by [`Self::reload_entries`], skipping the document being opened.
    fn start_list_scan(&mut self) {
        self.list_scan_due = false;
        let Some(ws) = &self.ws else { return };
        let rels = (!std::mem::take(&mut self.list_walk_due)).then(|| {
            self.entries
                .iter()
                .map(|e| e.rel.clone())
                .collect::<Vec<_>>()
        });
        let walk = rels.is_none();
        let skip = match (&self.loading, &self.open) {
            (Some(loading), _) => Some(loading.rel.clone()),
            (None, Some(open)) => Some(open.doc.rel().to_owned()),
            (None, None) => None,
        };
        // The first list of the workspace the window starts on is read since before the
        // window was made.
        let preloaded = (self.preload.as_mut())
            .filter(|_| walk)
            .and_then(|p| p.take_list(ws.root(), &self.layer, skip.as_deref(), &self.ctx));
        let started = match preloaded {
            Some(scan) => Ok(scan),
            None => {
                let repaint = repaint::repaint_of(&self.ctx);
                list_scan::start(ws, &self.layer, rels, skip.clone(), repaint)
            }
        };
        match started {
            Ok(scan) => {
                // A workspace of a few thousand texts is listed within this wait, so the
                // window's first frame shows it; a bigger one shows "Looking for texts…".
                let first = walk.then(|| scan.recv_timeout(Duration::from_millis(100)).ok());
                self.list_scan = Some(scan);
                if let Some(Some(msg)) = first {
                    self.take_scan_msg(msg);
                }
            }
            Err(e) => {
                // No thread: read them here rather than show an empty list.
                self.status_line = format!("Reading the document list without a thread: {e}");
                let (ws, layer) = (ws.clone(), self.layer.clone());
                if walk {
                    ws.clean_stray_temps();
                    self.take_listing(
                        ws.texts()
                            .into_iter()
                            .map(|t| DocEntry::new(t.rel))
                            .collect(),
                    );
                }
                let lines: Vec<_> = (self.entries.iter().enumerate())
                    .map(|(i, e)| {
                        let read = skip.as_deref() != Some(e.rel.as_str());
                        list_scan::scan_one(&ws, &layer, i, e.rel.clone(), read)
                    })
                    .collect();
                for line in lines {
                    self.take_scanned(line);
                }
            }
        }
    }

    /// Takes the document list lines read so far; drops the scan when it has finished.
    fn poll_list_scan(&mut self) {
        let Some(scan) = &self.list_scan else { return };
        let mut msgs = Vec::new();
        let finished = loop {
            match scan.try_recv() {
                Ok(msg) => msgs.push(msg),
                Err(mpsc::TryRecvError::Empty) => break false,
                Err(mpsc::TryRecvError::Disconnected) => break true,
            }
        };
        for msg in msgs {
            self.take_scan_msg(msg);
        }
        if finished {
            self.list_scan = None;
        }
    }

    fn take_scan_msg(&mut self, msg: list_scan::ScanMsg) {
        match msg {
            list_scan::ScanMsg::Listed(entries) => self.take_listing(entries),
            list_scan::ScanMsg::Line(line) => self.take_scanned(line),
        }
    }

    /// The workspace's texts, walked on the list's thread.
    fn take_listing(&mut self, entries: Vec<DocEntry>) {
        self.entries = entries;
        self.entries_gen += 1;
        self.listing_gen += 1;
        self.timeline_note(&format!(
            "texts listed: {}",
            crate::wording::plural(self.entries.len(), "text")
        ));
        if let Some(ws) = &self.ws
            && self.status_line == format!("Opened {}", ws.root().display())
        {
            self.status_line.push_str(&format!(
                " — {}",
                crate::wording::plural(self.entries.len(), "text")
            ));
        }
    }

    fn take_scanned(&mut self, line: list_scan::ScannedLine) {
        match line.review {
            Some(p) => {
                self.review_progress.insert(line.rel.clone(), p);
            }
            // (Hashing 100,000 paths to find nothing was most of the list's time here.)
            None if !self.review_progress.is_empty() => {
                self.review_progress.remove(&line.rel);
            }
            None => {}
        }
        let Some(entry) = self
            .entries
            .get_mut(line.index)
            .filter(|e| e.rel == line.rel)
        else {
            return;
        };
        self.entries_gen += 1;
        if entry.title != line.title {
            entry.search = line.search;
            entry.title = line.title;
        }
        // The open document knows better than the file: it may hold unsaved edits.
        if let Some(open) = self.open.as_ref().filter(|o| o.doc.rel() == line.rel) {
            entry.scanned = true;
            entry.status = open.doc.layer().status;
            entry.spans = open.doc.layer().spans.len();
            entry.error = None;
        } else if line.layer_read {
            entry.scanned = true;
            entry.status = line.status;
            entry.spans = line.spans;
            entry.error = line.error;
        }
    }

    /// Opens a document on a background thread. Small texts (under
    /// [`WAIT_FOR_DOCUMENTS_UNDER`] with their layer) are waited for up to 100 ms, within which
    /// they are ready, and open at once; larger ones show their text as soon as it is read, with a progress note
    /// and Cancel, until their spans are read and checked. The UI keeps running meanwhile.
    fn open_document_rel(&mut self, rel: &str) {
        self.open_document_with(rel, false);
    }

    /// [`Self::open_document_rel`]; `at_start`, before the window's first frame, it waits for
    /// any document not preloaded (up to 100 ms): no frame is on screen yet to keep, and the
    /// first one then does not take the two cores from the loader while it reads.
    fn open_document_with(&mut self, rel: &str, at_start: bool) {
        self.save_pending();
        if let Some(old) = self.loading.take() {
            (old.cancel).store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let Some(ws) = &self.ws else { return };
        // Whether the frame may wait for the document: not when its files are big enough that
        // it would only wait out the whole 100 ms, a frame of nothing after the click.
        let bytes = |p: Option<std::path::PathBuf>| {
            p.and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len())
        };
        let small = bytes(ws.text_path(rel)) + bytes(ws.layer_path(&self.layer, rel))
            < WAIT_FOR_DOCUMENTS_UNDER;
        let read_only = self.read_only();
        let timed = self.timeline.is_some();
        // The document the window started on may be loading since before the window was made.
        let preloaded = (self.preload.as_mut())
            .and_then(|p| p.take(ws.root(), rel, &self.layer, read_only, &self.ctx));
        // At start the window waits for the document unless it was preloaded: then the
        // loader has a head start, and the first frame shows its text meanwhile (103–154 ms
        // instead of 165–270 on the 10 MB text, BENCHMARKS.md).
        let wait = small || (at_start && preloaded.is_none());
        let loading = match preloaded {
            Some(loading) => loading,
            None => {
                let repaint = repaint::repaint_of(&self.ctx);
                match loader::spawn(ws.clone(), rel, &self.layer, read_only, timed, repaint) {
                    Ok(loading) => loading,
                    Err(e) => {
                        self.status_line = format!("Cannot open {rel}: {e}");
                        return;
                    }
                }
            }
        };
        self.loading = Some(loading);
        self.poll_loading(wait.then_some(Duration::from_millis(100)));
    }

    /// Takes what the loader has sent: the text to show meanwhile, or the opened document
    /// (waiting up to `wait` for it, so small documents open without a flash of the text alone).
    fn poll_loading(&mut self, wait: Option<Duration>) {
        let deadline = wait.map(|w| Instant::now() + w);
        loop {
            let Some(loading) = &mut self.loading else {
                return;
            };
            let got = match deadline {
                Some(d) => loading
                    .rx
                    .recv_timeout(d.saturating_duration_since(Instant::now()))
                    .map_err(|e| match e {
                        mpsc::RecvTimeoutError::Timeout => mpsc::TryRecvError::Empty,
                        mpsc::RecvTimeoutError::Disconnected => mpsc::TryRecvError::Disconnected,
                    }),
                None => loading.rx.try_recv(),
            };
            match got {
                Err(mpsc::TryRecvError::Empty) => return,
                Ok(Loaded::Text(preview)) => loading.preview = Some(preview),
                Err(mpsc::TryRecvError::Disconnected) => {
                    let rel = loading.rel.clone();
                    self.loading = None;
                    self.status_line = format!("Cannot open {rel}: the loader stopped");
                    return;
                }
                Ok(Loaded::Done(result)) => {
                    let Some(loading) = self.loading.take() else {
                        return;
                    };
                    let result = (*result).map(|(doc, index)| {
                        let view = match loading.preview {
                            Some(p) => p.view,
                            None => TextView::new(doc.text()),
                        };
                        OpenDoc::new(doc, index, view)
                    });
                    self.finish_open(&loading.rel, result);
                    return;
                }
            }
        }
    }

    /// Where the direction set for document `rel` is remembered.
    fn direction_key(&self, rel: &str) -> Option<PathBuf> {
        self.ws.as_ref().map(|w| w.root().join(rel))
    }

    /// Sets the open document's paragraphs the next way (see [`Command::CycleDirection`]).
    fn cycle_direction(&mut self) {
        let Some(rel) = self.open_document().map(str::to_owned) else {
            return;
        };
        let key = self.direction_key(&rel);
        let Some(open) = &mut self.open else { return };
        let next = open.view.direction().next();
        open.view.set_direction(next);
        if let Some(key) = key {
            if next == crate::model::bidi::Direction::Auto {
                self.prefs.directions.remove(&key);
            } else {
                self.prefs.directions.insert(key, next);
            }
        }
        self.status_line = format!("{rel}: text direction {}", next.label());
    }

    fn finish_open(
        &mut self,
        rel: &str,
        result: Result<OpenDoc, crate::session::document::OpenError>,
    ) {
        let read_only = self.read_only();
        let direction = self
            .direction_key(rel)
            .and_then(|k| self.prefs.directions.get(&k).copied())
            .unwrap_or_default();
        match result {
            Ok(mut open) => {
                open.view.set_direction(direction);
                if let Some(j) = &self.journal {
                    open.doc.set_journal(j.clone());
                }
                self.durability.opened(&mut open.doc);
                self.status_line = if read_only {
                    format!("{rel}: browsing {}'s layer, read-only", self.layer)
                } else if open.doc.is_stale() {
                    format!("{rel}: the text changed since these spans were saved")
                } else {
                    format!("{rel}: select text, then press a tag's key")
                };
                let (status, spans) = (open.doc.layer().status, open.doc.layer().spans.len());
                if let Some(entry) = self.entries.iter_mut().find(|x| x.rel == rel) {
                    (entry.status, entry.spans, entry.error) = (status, spans, None);
                    entry.scanned = true;
                    self.entries_gen += 1;
                }
                self.open = Some(open);
                self.feedback = review_mode::load_feedback(self);
                self.badges = review_mode::badges(&self.feedback);
                self.selected_span = None;
                self.note_for = None;
                self.take_pending_select();
                if !read_only {
                    self.prefs.last_document = Some(rel.to_owned());
                }
            }
            Err(e) => {
                self.status_line = format!("Cannot open: {e}");
                if let Some(entry) = self.entries.iter_mut().find(|x| x.rel == rel) {
                    entry.error = Some(e.to_string());
                    entry.scanned = true;
                    self.entries_gen += 1;
                }
            }
        }
    }

    /// Selects and shows the range asked for by [`Command::OpenAt`], once its document is open.
    fn take_pending_select(&mut self) {
        let Some((rel, a, b)) = self.pending_select.take() else {
            return;
        };
        let Some(open) = self.open.as_mut().filter(|o| o.doc.rel() == rel) else {
            return;
        };
        let len = open.doc.text().char_len();
        let (a, b) = (a.min(len), b.min(len));
        open.view
            .set_selection(Some(text_view::Selection { anchor: a, head: b }));
        open.view.scroll_to_char(a);
        self.selected_span = None;
    }

    fn save_pending(&mut self) {
        find_bar::finish_bulk(self);
        review_mode::save_pending(self);
        if let Some(open) = &mut self.open
            && let Err(e) = open.doc.save_now()
        {
            self.status_line = format!("Not saved: {e}");
        }
    }

    /// After an edit: rebuild the index and lists, update the document list's line. After a
    /// bulk edit (tag all, its undo) made by a button the index is rebuilt at the start of the
    /// next frame instead, so the frame that made the edit and the one that shows it share the
    /// work (each stays under 100 ms on the 10 MB document); the next command, if one comes
    /// in this frame, brings it up to date first ([`Self::apply`]). One made by a key is
    /// applied before the text is drawn, and taken in before drawing ([`Self::catch_up_index`]).
    fn after_edit(&mut self) {
        let Some(open) = &mut self.open else { return };
        if open.doc.has_bulk_changes() {
            self.refresh_entry();
            return;
        }
        open.refresh();
        self.refresh_entry();
        let Some(open) = &mut self.open else { return };
        if let Some(id) = self.selected_span
            && open.position(id).is_none()
        {
            self.selected_span = None;
        }
    }

    /// Takes edits made outside `after_edit` (review mode, durability) and bulk edits (see
    /// `after_edit`) into the index, before the text is drawn from it.
    fn catch_up_index(&mut self) {
        if let Some(open) = &mut self.open {
            open.refresh();
            if let Some(id) = self.selected_span
                && open.position(id).is_none()
            {
                self.selected_span = None;
            }
        }
    }

    /// The document list's line of the open document follows its status and span count.
    fn refresh_entry(&mut self) {
        let Some(open) = &mut self.open else { return };
        let rel = open.doc.rel().to_owned();
        let status = open.doc.layer().status;
        let spans = open.doc.layer().spans.len();
        if let Some(e) = self.entries.iter_mut().find(|e| e.rel == rel)
            && (e.status, e.spans, e.scanned) != (status, spans, true)
        {
            e.status = status;
            e.spans = spans;
            e.scanned = true;
            self.entries_gen += 1;
        }
    }

    fn select_span(&mut self, id: u64, scroll: bool) {
        let Some(open) = &mut self.open else { return };
        let Some(pos) = open.position(id) else {
            return;
        };
        self.selected_span = Some(id);
        open.view.set_selection(None);
        if scroll {
            let start = open.doc.layer().spans[pos].start;
            open.view.scroll_to_char(start);
        }
    }

    fn refuse_read_only(&mut self) -> bool {
        if let Some(reason) = self
            .open
            .as_ref()
            .and_then(|o| o.doc.read_only_reason().map(str::to_owned))
        {
            self.status_line = reason;
            return true;
        }
        if self.read_only() {
            self.status_line = format!(
                "{}'s layer is read-only; switch the layer to {} to edit",
                self.layer, self.prefs.annotator
            );
            return true;
        }
        false
    }

    /// Applies one command.
    fn apply(&mut self, ctx: &egui::Context, command: Command) {
        if let Some(open) = &mut self.open {
            // A bulk edit earlier in this frame left the index for later: not for this command.
            open.refresh();
        }
        match command {
            Command::OpenPath(p) => self.open_path(&p, false),
            Command::Browse { folder } => self.browse(folder),
            Command::OpenDocument(rel) => self.open_document_rel(&rel),
            Command::ShowLayer(name) => {
                self.save_pending();
                self.layer = name;
                let rel = self.open.as_ref().map(|o| o.doc.rel().to_owned());
                self.open = None;
                self.selected_span = None;
                self.reload_entries();
                if let Some(rel) = rel {
                    self.open_document_rel(&rel);
                }
            }
            Command::SetAnnotator(name) => match workspace::check_annotator(&name) {
                Ok(()) if name == workspace::CURATED_LAYER => {
                    self.annotator_error = Some("\"curated\" is the reviewers' layer".into());
                }
                Ok(()) => {
                    self.annotator_error = None;
                    if name != self.prefs.annotator {
                        self.save_pending();
                        self.prefs.annotator = name.clone();
                        self.status_line = format!("Annotating as {name}");
                        self.apply(ctx, Command::ShowLayer(name));
                    }
                }
                Err(e) => {
                    self.status_line = format!("Annotator not changed: {e}");
                    self.annotator_error = Some(e);
                }
            },
            Command::Tag(tag) => self.tag(&tag),
            Command::DeleteSelectedSpan => {
                if let Some(id) = self.selected_span
                    && !self.refuse_read_only()
                    && let Some(open) = &mut self.open
                    && let linked = open.doc.relation_count(id)
                    && open.doc.delete_span(id)
                {
                    self.selected_span = None;
                    self.after_edit();
                    let with = match linked {
                        0 => String::new(),
                        n => format!(" and its {}", crate::wording::plural(n, "relation")),
                    };
                    self.status_line = format!(
                        "Deleted the span{with} ({} brings it back)",
                        self.keymap.key(Action::Undo)
                    );
                }
            }
            Command::SelectSpan { id, scroll } => self.select_span(id, scroll),
            Command::ClearSpanSelection => self.selected_span = None,
            Command::Deselect => {
                if self.selected_span.is_some() {
                    self.selected_span = None;
                } else if let Some(open) = &mut self.open {
                    open.view.set_selection(None);
                }
            }
            Command::NextSpan | Command::PrevSpan => self.step_span(command == Command::NextSpan),
            Command::EditNote => {
                if self.selected_span.is_some() && !self.refuse_read_only() {
                    ctx.memory_mut(|m| m.request_focus(egui::Id::unique(NOTE_EDITOR)));
                }
            }
            Command::EditAttributes => {
                if self.selected_span.is_some() && !self.refuse_read_only() {
                    match self.attr_ui.first() {
                        Some(first) => ctx.memory_mut(|m| m.request_focus(first)),
                        None => {
                            self.status_line =
                                "This tag has no attributes; Tags → Edit tags… adds some".into()
                        }
                    }
                }
            }
            Command::SetAttr {
                id,
                name,
                value,
                step,
            } => {
                if !self.refuse_read_only()
                    && let Some(open) = &mut self.open
                {
                    let value = value.as_deref();
                    let changed = match step {
                        AttrStep::Own => open.doc.set_attr(id, &name, value),
                        AttrStep::Start => open.doc.start_attr_run(id, &name, value),
                        AttrStep::Join => open.doc.extend_attr(id, &name, value),
                    };
                    if changed {
                        self.after_edit();
                        let undo = self.keymap.key(Action::Undo);
                        self.status_line = match value.filter(|v| !v.is_empty()) {
                            Some(v) => format!("{name}: {v} ({undo} undoes it)"),
                            None => format!("{name} cleared ({undo} undoes it)"),
                        };
                    }
                }
            }
            Command::SetValueFilter(f) => self.attr_ui.filter = f,
            Command::ToggleTagEditor => {
                tag_editor::toggle(self);
            }
            Command::SaveTags(tags) => tag_editor::save(self, *tags),
            Command::SetNote { id, note } => {
                if let Some(open) = &mut self.open
                    && open.doc.set_note(id, &note)
                {
                    self.after_edit();
                }
            }
            Command::Undo | Command::Redo => undo::undo_redo(self, command == Command::Undo),
            Command::SetStatus(s) => {
                if !self.refuse_read_only()
                    && let Some(open) = &mut self.open
                {
                    open.doc.set_status(s);
                    self.after_edit();
                    self.status_line = match s {
                        Status::Done => format!(
                            "Marked done. {} opens the next document not done",
                            self.keymap.key(Action::NextUndoneDocument)
                        ),
                        s => format!("Marked {}", s.label()),
                    };
                }
            }
            Command::ToggleDone => {
                if let Some(open) = &self.open {
                    let next = if open.doc.layer().status == Status::Done {
                        Status::InProgress
                    } else {
                        Status::Done
                    };
                    self.apply(ctx, Command::SetStatus(next));
                }
            }
            Command::ZoomIn => self.prefs.zoom = (self.prefs.zoom + 0.1).min(2.5),
            Command::ZoomOut => self.prefs.zoom = (self.prefs.zoom - 0.1).max(0.6),
            Command::ZoomReset => self.prefs.zoom = 1.0,
            Command::CycleDirection => self.cycle_direction(),
            Command::ToggleTheme => {
                self.prefs.dark = !self.prefs.dark;
                ctx.set_theme(if self.prefs.dark {
                    egui::Theme::Dark
                } else {
                    egui::Theme::Light
                });
            }
            Command::SaveNow => {
                if self.read_only() {
                    self.status_line =
                        format!("{}'s layer is read-only; nothing is written", self.layer);
                } else if let Some(open) = &mut self.open {
                    match open.doc.save_now() {
                        Ok(()) => self.status_line = "Saved".into(),
                        Err(e) => self.status_line = format!("Not saved: {e}"),
                    }
                }
            }
            Command::MoveCaret { to, extend } => {
                if let Some(open) = &mut self.open {
                    open.view.move_caret(open.doc.text(), to, extend);
                    self.selected_span = None;
                }
            }
            Command::ExtendSelection { forward, by_word } => {
                // With a span of one's own selected, the keys move its end.
                if !self.read_only() && self.move_span_edge(false, forward, by_word) {
                    return;
                }
                let span_range = self.selected_span_range();
                if let Some(open) = &mut self.open {
                    open.view
                        .extend_selection(open.doc.text(), forward, by_word, span_range);
                    self.selected_span = None;
                }
            }
            Command::Quit => {
                // Closing goes through `handle_close`, which asks when edits are unsaved.
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            Command::QuitPrompt(choice) => self.apply_quit(ctx, choice),
            Command::StepDocument { forward, undone } => {
                if let Some(c) = doc_list::step(self, forward, undone) {
                    self.apply(ctx, c);
                }
            }
            Command::NextUncertainDocument => suggestions::rank_uncertain(self),
            Command::ToggleHelp => {
                self.help_open = !self.help_open;
            }
            Command::TogglePalette => palette::toggle(self),
            Command::ToggleKeysEditor => {
                keys_editor::toggle(self);
                if self.keys_editor.is_open() {
                    // It is the sheet's own editor: the two would show two close buttons.
                    self.help_open = false;
                }
            }
            Command::ToggleWorkspaceFind => workspace_find::toggle(self),
            Command::TagAllInWorkspace(tag) => workspace_find::tag_all(self, &tag),
            Command::OpenAt { rel, start, end } => {
                self.pending_select = Some((rel.clone(), start, end));
                if self.open_document() == Some(rel.as_str()) {
                    self.take_pending_select();
                } else {
                    self.open_document_rel(&rel);
                }
            }
            Command::CancelOpen => {
                // The loader's result goes nowhere: the receiver is dropped with it.
                if let Some(loading) = self.loading.take() {
                    (loading.cancel).store(true, std::sync::atomic::Ordering::Relaxed);
                    self.status_line = format!("Stopped opening {}", loading.rel);
                }
            }
            Command::ToggleReview => review_mode::apply(
                self,
                if self.review.is_some() {
                    commands::ReviewCommand::Exit
                } else {
                    commands::ReviewCommand::ChooseLayers
                },
            ),
            Command::SetSpanRange { id, start, end } => self.set_span_range(id, start, end),
            Command::MoveSpanEdge {
                start,
                forward,
                by_word,
            } => {
                self.move_span_edge(start, forward, by_word);
            }
            // Every tag's list is kept indexed: a filter needs no rebuild.
            Command::SetTagFilter(t) => {
                if self
                    .attr_ui
                    .filter
                    .as_ref()
                    .is_some_and(|f| t.as_ref() != Some(&f.tag))
                {
                    self.attr_ui.filter = None;
                }
                self.tag_filter = t;
            }
            c @ (Command::DismissBanner(_)
            | Command::ConfirmSelectedAnchor
            | Command::ReattachOrphan(_)
            | Command::DeleteOrphan(_)
            | Command::ShowProblem(_)
            | Command::RestoreRecovered
            | Command::DiscardRecovered
            | Command::DismissJournalOrphan(_)
            | Command::DiscardJournalOrphan(_)
            | Command::KeepDeletedLayer
            | Command::CloseDocument) => self.apply_durability(c),
            Command::OpenExport => self.open_export(),
            Command::OpenImport => self.open_import(),
            Command::WorkspaceChanged => self.reload_workspace(),
            Command::Review(c) => review_mode::apply(self, c),
            Command::Agreement(c) => agreement_view::apply(self, c),
            Command::Team(c) => team_view::apply(self, c),
            Command::Find(c) => find_bar::apply(self, ctx, c),
            Command::Relation(c) => relations::apply(self, c),
            Command::Suggest(c) => suggestions::apply(self, c),
        }
    }

    fn selected_span_range(&self) -> Option<(usize, usize)> {
        let open = self.open.as_ref()?;
        let s = open.span(self.selected_span?)?;
        Some((s.start, s.end))
    }

    fn tag(&mut self, tag: &str) {
        if self.refuse_read_only() {
            return;
        }
        let Some(open) = &mut self.open else { return };
        let tags = self
            .ws
            .as_ref()
            .map(|w| w.tags().clone())
            .unwrap_or_default();
        let Some(schema) = tags.get(tag) else { return };
        if let Some((a, b)) = open.view.selected_range() {
            match open.doc.add_span_tagged(a, b, schema) {
                Some(crate::session::document::Added::New(id)) => {
                    open.view.set_selection(None);
                    self.after_edit();
                    self.selected_span = Some(id);
                    self.status_line = format!("Tagged {tag}");
                }
                Some(crate::session::document::Added::Existing(id)) => {
                    self.select_span(id, false);
                    self.status_line = format!("Already tagged {tag}: selected that span");
                }
                None => {}
            }
        } else if let Some(id) = self.selected_span {
            let old = open.span(id).and_then(|s| tags.get(&s.tag));
            if open.doc.retag_with(id, schema, old) {
                self.after_edit();
                self.status_line = format!("Retagged {tag}");
            }
        } else {
            self.status_line =
                "Select some text first (drag across it), then press a tag's key".into();
        }
    }

    /// Tab / Shift+Tab: the next or previous span in text order, scrolled into view.
    fn step_span(&mut self, forward: bool) {
        let Some(open) = &self.open else { return };
        let spans = &open.doc.layer().spans;
        if spans.is_empty() {
            return;
        }
        let current = self.selected_span.and_then(|id| open.position(id));
        let next = match current {
            // Positions follow (start, end, id) order, the order of the text.
            Some(p) if forward => (p + 1).min(spans.len() - 1),
            Some(p) => p.saturating_sub(1),
            None => {
                let from = open.view.selected_range().map(|r| r.0).unwrap_or(0);
                let found = if forward {
                    open.index.all().next_after(from)
                } else {
                    open.index.all().prev_before(from.max(1))
                };
                found.map(|x| x.rank).unwrap_or(0)
            }
        };
        let id = spans[next].id;
        self.select_span(id, true);
    }

    fn browse(&mut self, folder: bool) {
        if self.dialog.is_some() {
            return;
        }
        let (tx, rx) = mpsc::channel();
        let start_dir = self
            .ws
            .as_ref()
            .map(|w| w.root().to_path_buf())
            .unwrap_or_else(|| PathBuf::from("."));
        let spawned = std::thread::Builder::new()
            .name("open dialog".into())
            .spawn(move || {
                let picked = std::panic::catch_unwind(|| {
                    let dialog = rfd::FileDialog::new().set_directory(&start_dir);
                    if folder {
                        dialog.pick_folder()
                    } else {
                        dialog.add_filter("Text", &["txt"]).pick_file()
                    }
                })
                .ok()
                .flatten();
                let _ = tx.send(picked);
            });
        match spawned {
            Ok(_) => {
                self.dialog = Some(rx);
                self.status_line =
                    "Choosing… (if no dialog appears, type a path under Open…)".into();
            }
            Err(e) => {
                self.status_line = format!("No file dialog ({e}); type a path under Open… instead");
            }
        }
    }

    fn poll_dialog(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Some(rx) = &self.dialog else { return };
        match rx.try_recv() {
            Ok(Some(path)) => {
                self.dialog = None;
                commands.push(Command::OpenPath(path));
            }
            Ok(None) | Err(mpsc::TryRecvError::Disconnected) => {
                self.dialog = None;
                self.status_line =
                    "Nothing chosen. If no dialog appeared, type a path under Open…".into();
            }
            Err(mpsc::TryRecvError::Empty) => {
                ctx.request_repaint_after(Duration::from_millis(150));
            }
        }
    }

    fn autosave(&mut self, ctx: &egui::Context) {
        let Some(open) = &mut self.open else { return };
        let now = Instant::now();
        open.doc.save_if_due(now);
        open.doc.refresh_recovered();
        let reloaded = open.doc.reload_if_changed();
        let notices = open.doc.take_notices();
        if let Some(last) = notices.last() {
            self.status_line = last.clone();
        }
        // A merge or reload changed the spans behind the view's back.
        let changed = reloaded || !notices.is_empty();
        self.durability.arrived(notices);
        if changed {
            self.after_edit();
        }
        if let Some(open) = &self.open
            && let Some(wait) = open.doc.next_save_in(now)
        {
            ctx.request_repaint_after(wait + Duration::from_millis(5));
        }
    }

    /// Tells the watcher which files the window shows (the open layer or the review's curated
    /// file, and the workspace's tags), so a change to one of them wakes it: the frame it
    /// wakes looks at them and reloads or merges. Without a watcher, it looks once a second.
    fn watch_files(&mut self) {
        let mut paths = Vec::new();
        if let Some(open) = &self.open {
            paths.push(open.doc.session().path.clone());
        }
        if let Some(mode) = &self.review {
            paths.push(mode.review.session().path.clone());
        }
        if let Some(ws) = &self.ws {
            paths.push(ws.tags_path());
        }
        match &mut self.watch {
            Some(watch) => watch.set(paths),
            None if !paths.is_empty() => self.ctx.request_repaint_after(Duration::from_secs(1)),
            None => {}
        }
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let title = match &self.open {
            Some(o) => {
                let name = o.doc.rel().rsplit('/').next().unwrap_or(o.doc.rel());
                let state = match o.doc.save_state() {
                    SaveState::Saved if o.doc.is_read_only() => "read-only",
                    SaveState::Saved => "saved",
                    SaveState::Pending => "saving…",
                    SaveState::Failed(_) => "NOT SAVED",
                };
                format!("{name} ({state}) — Marginalia")
            }
            None => "Marginalia".to_owned(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }
}

impl eframe::App for MarginaliaApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if let Some(stats) = &mut self.frame_stats {
            stats.begin(&ctx, frame.info().cpu_usage);
        }
        self.handle_close(&ctx);
        self.catch_up_index();
        self.prefs.dark = ctx.theme() == egui::Theme::Dark;
        let mut commands = Vec::new();
        self.poll_dialog(&ctx, &mut commands);
        if self.loading.is_some() {
            // The loader wakes the window when it sends; this only keeps the clock moving.
            self.poll_loading(None);
            ctx.request_repaint_after(Duration::from_millis(250));
        }
        if self.list_scan.is_some() {
            self.poll_list_scan();
            // Four times a second while a row in view is still being read; once a second when
            // only the counts change, which the list remakes at that pace anyway (doc_list.rs).
            // Each frame costs the list's threads a share of the cores on a software renderer:
            // 100,000 texts list about 50 ms sooner.
            let every = if self.list.unread_in_view { 250 } else { 1000 };
            ctx.request_repaint_after(Duration::from_millis(every));
        }
        agreement_view::poll(self, &ctx);
        team_view::poll(self, &ctx);
        keys_editor::capture(self, &ctx);
        self.escape_closes_a_window(&ctx);
        if self.review.is_none() {
            find_bar::poll(self, &ctx);
            find_bar::step_bulk(self);
            suggestions::poll(self, &ctx);
        }
        if self.review.is_none() && relations::picker_open(self) {
            // The picker has the keyboard: Tab, Enter, Esc and letters are its own.
            relations::draw_picker(self, &ctx, &mut commands);
        } else {
            shortcuts::dispatch(self, &ctx, &mut commands);
        }
        // A key's command (and a dialog's answer) is applied before anything is drawn, so the
        // frame that took the key already shows what it did: one frame from key to pixels, not
        // two (issue 22 §0).
        if !commands.is_empty() {
            for c in commands.drain(..) {
                self.apply(&ctx, c);
            }
            // A bulk edit by key is taken into the index in this frame, which draws it.
            self.catch_up_index();
        }
        // The side panels' colour, where egui looks for their background (they paint none
        // under OpenGL, `theme::side_frame`).
        let side = ui.visuals().panel_fill;
        theme::on_background(ui, side, |ui| {
            if self.review.is_some() {
                review_mode::draw(self, ui, &mut commands);
            } else {
                panels::draw(self, ui, &mut commands);
            }
        });
        review_mode::draw_chooser(self, &ctx, &mut commands);
        agreement_view::draw(self, &ctx, &mut commands);
        team_view::draw(self, &ctx, &mut commands);
        help::draw(self, &ctx, &mut commands);
        keys_editor::draw(self, &ctx);
        workspace_find::poll_job(self, &ctx);
        if self.review.is_none() {
            workspace_find::draw(self, &ctx, &mut commands);
            palette::draw(self, &ctx, &mut commands);
        }
        tag_editor::draw(self, &ctx, &mut commands);
        tag_editor::notice_changed_tags(self);
        transfer::draw(self, &ctx, &mut commands);
        quit::draw(self, &ctx, &mut commands);
        for c in commands {
            self.apply(&ctx, c);
        }
        self.autosave(&ctx);
        review_mode::autosave(self, &ctx);
        self.expire_status(&ctx);
        self.update_title(&ctx);
        self.was_typing = ctx.text_edit_focused();
        if let Some(storage) = frame.storage_mut() {
            self.save_prefs_if_changed(storage);
        }
        if self.list_scan_due {
            self.start_list_scan();
            ctx.request_repaint_after(Duration::from_millis(50));
        }
        self.watch_files();
        self.timeline_frame();
        if let Some(stats) = &mut self.frame_stats {
            stats.end(&ctx);
        }
    }

    /// The side panels' colour: OpenGL clears the window to it before each frame, and no
    /// panel paints its background over it (`theme::side_frame`; the central panel clears its
    /// own rectangle, `theme::centre_fill`).
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.save_pending();
        if self.persist {
            eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
            self.saved_prefs = Some(self.prefs.clone());
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.save_pending();
        // Providers still running are killed, and training stops, before the window goes.
        self.suggest.stop_models();
        if self.frame_stats.is_some() {
            frame_stats::FrameStats::print(&self.ctx);
        }
    }
}

/// When [`run`] was called (or, in tests, when it was first asked), for the startup timeline.
fn started() -> Instant {
    static STARTED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *STARTED.get_or_init(Instant::now)
}

/// The window icon, drawn by `assets/make_icon.py`.
fn icon() -> Option<egui::IconData> {
    let bytes = include_bytes!("../../assets/icon.png");
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png).ok()?;
    let rgba = img.to_rgba8();
    Some(egui::IconData {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

/// Opens the window.
///
/// # Errors
/// When no window can be created (no display, no graphics driver).
pub fn run(start: StartOptions) -> Result<(), eframe::Error> {
    started();
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Marginalia")
        .with_inner_size([1200.0, 800.0])
        .with_min_inner_size([640.0, 420.0])
        .with_app_id("marginalia");
    if let Some(icon) = icon() {
        viewport = viewport.with_icon(std::sync::Arc::new(icon));
    }
    // OpenGL by default: on a machine without a GPU (Mesa's llvmpipe) a frame costs all threads
    // about a quarter of the CPU it costs through wgpu and lavapipe, 20 against 82 ms at
    // 1024×700 (BENCHMARKS.md, issue 22), and a real GPU runs either. wgpu is the fallback
    // when no OpenGL context can be made; `MARGINALIA_RENDERER=wgpu` chooses it.
    let chosen = std::env::var("MARGINALIA_RENDERER").ok();
    let first = match chosen.as_deref() {
        Some("wgpu") => eframe::Renderer::Wgpu,
        _ => eframe::Renderer::Glow,
    };
    match run_with(first, viewport.clone(), start.clone()) {
        Err(
            e @ (eframe::Error::Glutin(_)
            | eframe::Error::NoGlutinConfigs(..)
            | eframe::Error::OpenGL(_)),
        ) if chosen.is_none() => {
            eprintln!("marginalia: OpenGL is not available ({e}); drawing with wgpu instead");
            run_with(eframe::Renderer::Wgpu, viewport, start)
        }
        other => other,
    }
}

/// Runs the window with `renderer`.
fn run_with(
    renderer: eframe::Renderer,
    viewport: egui::ViewportBuilder,
    start: StartOptions,
) -> Result<(), eframe::Error> {
    let options = eframe::NativeOptions {
        viewport,
        renderer,
        // The app adds the system font fallback itself (theme::install_fonts).
        system_font_fallback: false,
        ..Default::default()
    };
    // Before the window and its OpenGL context are made (about 55 ms), the first document
    // starts loading.
    let preload = loader::Preload::start(&start);
    eframe::run_native(
        "Marginalia",
        options,
        Box::new(move |cc| {
            let app = MarginaliaApp::with_preload(cc, start, preload);
            quit::install_signal_handler(cc.egui_ctx.clone(), app.terminate_flags());
            Ok(Box::new(app))
        }),
    )
}
