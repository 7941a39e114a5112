//! File → Export… and File → Import…: two windows that gather the same choices as the CLI's
//! `export` and `import`, run the core's [`export::run`] / [`import::run`] on a background thread
//! (progress bar, Cancel) so the window never freezes, and show the core's summary at the end.
//!
//! Paths come from rfd's dialogs, opened on their own thread, or from a typed path field that is
//! always there (rfd needs an XDG portal that may be missing).

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use egui::{Id, RichText, Ui};

use crate::interchange::export::{
    self, ExportFormat, ExportRequest, ExportSummary, Layers, Overlap,
};
use crate::interchange::import::{self, ImportFormat, ImportRequest, ImportSummary};
use crate::model::layer::Status;
use crate::workspace::{self, Workspace};

use super::registry::{Action, Menu, menu_items};
use super::{Command, MarginaliaApp, theme};

/// How many items of each list a summary shows.
const SUMMARY_LIMIT: usize = 20;

/// The export and import windows; each is `None` while closed.
#[derive(Default)]
pub struct Transfer {
    export: Option<ExportDialog>,
    import: Option<ImportDialog>,
}

impl Transfer {
    /// Whether the Export window is open.
    pub(super) fn export_open(&self) -> bool {
        self.export.is_some()
    }

    /// Whether the Import window is open.
    pub(super) fn import_open(&self) -> bool {
        self.import.is_some()
    }
}

/// Work running on a background thread, with its progress and a cancel flag.
struct Job<T> {
    rx: mpsc::Receiver<Result<T, String>>,
    progress: Progress,
}

/// The figures a background job shares with the window: how far it is, and whether it was asked
/// to stop (the transfer dialogs' jobs and the workspace's tag all, undo and redo).
#[derive(Clone, Default)]
pub(super) struct Progress {
    pub(super) done: Arc<AtomicUsize>,
    pub(super) total: Arc<AtomicUsize>,
    pub(super) stop: Arc<AtomicBool>,
}

impl Progress {
    /// Called by the job: stores `done` of `total`, asks `ctx` for a frame, and answers false
    /// once the window asked it to stop.
    pub(super) fn report(&self, ctx: &egui::Context, done: usize, total: usize) -> bool {
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        ctx.request_repaint();
        !self.stop.load(Ordering::Relaxed)
    }
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a thread; it gets a progress callback that returns false once cancelled.
    fn spawn(
        ctx: &egui::Context,
        name: &str,
        work: impl FnOnce(&dyn Fn(usize, usize) -> bool) -> Result<T, String> + Send + 'static,
    ) -> Result<Self, String> {
        let (tx, rx) = mpsc::channel();
        let progress = Progress::default();
        let (shared, ctx) = (progress.clone(), ctx.clone());
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let report = |n: usize, of: usize| shared.report(&ctx, n, of);
                let result = std::panic::catch_unwind(AssertUnwindSafe(|| work(&report)))
                    .unwrap_or_else(|_| Err("stopped by an internal error".into()));
                let _ = tx.send(result);
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot start a background thread: {e}"))?;
        Ok(Self { rx, progress })
    }

    /// The result, once the thread has finished.
    fn poll(&self) -> Option<Result<T, String>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => {
                Some(Err("the background thread stopped without a result".into()))
            }
        }
    }

    fn progress_bar(&self, ui: &mut Ui, what: &str) {
        let done = self.progress.done.load(Ordering::Relaxed);
        let total = self.progress.total.load(Ordering::Relaxed);
        let fraction = if total == 0 {
            0.0
        } else {
            done as f32 / total as f32
        };
        let text = if self.progress.stop.load(Ordering::Relaxed) {
            "cancelling…".to_owned()
        } else if total == 0 {
            "starting…".to_owned()
        } else {
            format!("{done} / {total} {what}")
        };
        ui.add(egui::ProgressBar::new(fraction).text(text).animate(true));
    }
}

/// What a native file dialog is asked for.
#[derive(Clone, Copy)]
pub(super) enum Pick {
    SaveFile,
    File,
    Folder,
}

/// Opens an rfd dialog on its own thread; the receiver gets the chosen path, or `None`.
fn pick_path(
    pick: Pick,
    start_dir: PathBuf,
    file_name: String,
) -> Result<mpsc::Receiver<Option<PathBuf>>, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("file dialog".into())
        .spawn(move || {
            let picked = std::panic::catch_unwind(|| {
                let dialog = rfd::FileDialog::new().set_directory(&start_dir);
                match pick {
                    Pick::SaveFile => dialog.set_file_name(file_name).save_file(),
                    Pick::File => dialog.pick_file(),
                    Pick::Folder => dialog.pick_folder(),
                }
            })
            .ok()
            .flatten();
            let _ = tx.send(picked);
        })
        .map_err(|e| format!("no file dialog ({e}); type the path instead"))?;
    Ok(rx)
}

/// A typed path with an optional rfd dialog feeding it.
#[derive(Default)]
pub(super) struct PathField {
    pub(super) text: String,
    /// The user typed or picked it (so format changes no longer replace it).
    chosen: bool,
    dialog: Option<mpsc::Receiver<Option<PathBuf>>>,
    note: Option<String>,
}

impl PathField {
    /// Takes a path from a finished dialog.
    pub(super) fn poll(&mut self, ctx: &egui::Context) {
        let Some(rx) = &self.dialog else { return };
        match rx.try_recv() {
            Ok(Some(p)) => {
                self.text = p.display().to_string();
                self.chosen = true;
                self.dialog = None;
                self.note = None;
            }
            Ok(None) | Err(mpsc::TryRecvError::Disconnected) => {
                self.dialog = None;
                self.note = Some("Nothing chosen. If no dialog appeared, type the path.".into());
            }
            Err(mpsc::TryRecvError::Empty) => ctx.request_repaint_after(Duration::from_millis(150)),
        }
    }

    pub(super) fn browse(&mut self, pick: Pick, start_dir: PathBuf, file_name: String) {
        if self.dialog.is_some() {
            return;
        }
        match pick_path(pick, start_dir, file_name) {
            Ok(rx) => {
                self.dialog = Some(rx);
                self.note = Some("Choosing… (if no dialog appears, type the path)".into());
            }
            Err(e) => self.note = Some(e),
        }
    }

    /// The labelled text field; returns whether Enter was pressed in it.
    pub(super) fn edit(&mut self, ui: &mut Ui, label: &str, hint: &str) -> bool {
        let l = ui.label(label);
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut self.text)
                    .hint_text(hint)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id)
            .on_hover_text(self.text.clone());
        if r.changed() {
            self.chosen = true;
        }
        r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
    }

    /// The whole path row: the labelled field, a button for each way of picking (`buttons`:
    /// what it picks and its caption), and the dialog's note. A dialog opens where `start` says
    /// (a folder and a file name, from the path typed so far). Returns whether Enter was
    /// pressed in the field.
    pub(super) fn row(
        &mut self,
        ui: &mut Ui,
        label: &str,
        hint: &str,
        buttons: &[(Pick, &str)],
        start: impl Fn(&str) -> (PathBuf, String),
    ) -> bool {
        let entered = self.edit(ui, label, hint);
        ui.horizontal(|ui| {
            for &(pick, text) in buttons {
                if ui.button(text).clicked() {
                    let (dir, name) = start(&self.text);
                    self.browse(pick, dir, name);
                }
            }
            self.show_note(ui);
        });
        entered
    }

    pub(super) fn show_note(&self, ui: &mut Ui) {
        if let Some(n) = &self.note {
            ui.label(RichText::new(n).small().color(theme::weak(ui.visuals())));
        }
    }
}

/// How a finished run went, as shown in its window.
struct Outcome {
    ok: bool,
    lines: Vec<String>,
}

fn show_outcome(ui: &mut Ui, outcome: &Outcome) {
    let v = ui.visuals().clone();
    ui.separator();
    let (head, rest) = outcome
        .lines
        .split_first()
        .map_or(("", &[][..]), |(h, r)| (h.as_str(), r));
    let head = RichText::new(head).strong().size(16.0);
    let head = if outcome.ok {
        head
    } else {
        head.color(theme::error_color(&v))
    };
    ui.add(egui::Label::new(head).wrap());
    if rest.is_empty() {
        return;
    }
    egui::ScrollArea::vertical()
        .id_salt("summary")
        .max_height(300.0)
        .min_scrolled_height(260.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for (i, line) in rest.iter().enumerate() {
                // The core's report indents the items of each list by two spaces.
                if let Some(item) = line.strip_prefix("  ") {
                    ui.indent(("summary item", i), |ui| {
                        ui.add(egui::Label::new(RichText::new(item).color(v.text_color())).wrap());
                    });
                } else {
                    ui.add(egui::Label::new(line.as_str()).wrap());
                }
            }
        });
}

fn error_label(ui: &mut Ui, text: &str) {
    let c = theme::error_color(ui.visuals());
    ui.add(egui::Label::new(RichText::new(text).color(c)).wrap());
}

/// The export window's choices and its running job.
struct ExportDialog {
    format: ExportFormat,
    /// `None`: every layer.
    layer: Option<String>,
    layers: Vec<String>,
    tags: Vec<(String, bool)>,
    status: Option<Status>,
    overlap: Overlap,
    /// Label Studio: how offsets are counted.
    offsets: export::Offsets,
    out: PathField,
    job: Option<Job<ExportSummary>>,
    outcome: Option<Outcome>,
    problem: Option<String>,
}

/// The import window's choices and its running job.
struct ImportDialog {
    format: ImportFormat,
    /// conll: the token and tag columns as typed (`0,3`; empty: the first and the last).
    columns: String,
    source: PathField,
    annotator: String,
    merge: bool,
    /// Into the annotator's suggestions store instead of their layer (`--as-suggestions`).
    as_suggestions: bool,
    /// Which Prodigy answers to import.
    answers: import::Answers,
    /// The workspace folder the texts go into, as typed (empty: the paths the source gives, one
    /// outside `workspace.ron`'s text folders under the first of them, as the CLI does).
    into: String,
    job: Option<Job<ImportSummary>>,
    outcome: Option<Outcome>,
    problem: Option<String>,
}

/// Other tools' formats first, then Marginalia's own csv and w3c.
const IMPORT_FORMATS: [(ImportFormat, &str); 7] = [
    (ImportFormat::Brat, "brat"),
    (ImportFormat::Jsonl, "jsonl"),
    (ImportFormat::Doccano, "doccano"),
    (
        ImportFormat::Conll(import::conll::Options { columns: None }),
        "conll",
    ),
    (ImportFormat::LabelStudio, "labelstudio"),
    (ImportFormat::Csv, "csv"),
    (ImportFormat::W3c, "w3c"),
];

/// Where an export goes unless the user says otherwise: beside the workspace, not inside it
/// (a brat folder's `.txt` files inside it would become texts).
fn suggested_out(root: &Path, layer: Option<&str>, format: ExportFormat) -> PathBuf {
    let base = root.file_name().map_or_else(
        || "workspace".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let layer = layer.unwrap_or("all-layers");
    let dir = root.parent().unwrap_or(root);
    if format.writes_folder() {
        dir.join(format!("{base}-{layer}-brat"))
    } else if format == ExportFormat::Doccano {
        // Not the jsonl export's name: same extension, other shape.
        dir.join(format!("{base}-{layer}-doccano.jsonl"))
    } else {
        dir.join(format!("{base}-{layer}.{}", format.extension()))
    }
}

/// The two-column grid of labelled choices the export and import dialogs are made of.
fn choice_grid(ui: &mut Ui, id: &str, add_rows: impl FnOnce(&mut Ui)) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, add_rows);
}

/// A dialog's action row: Cancel and the progress (counting `what`) while `job` runs, else the
/// `action` button, enabled when `can`. True when the button was clicked.
fn run_row<T: Send + 'static>(
    ui: &mut Ui,
    job: Option<&Job<T>>,
    what: &str,
    action: &str,
    can: bool,
) -> bool {
    ui.horizontal(|ui| {
        if let Some(job) = job {
            if ui.button("Cancel").clicked() {
                job.progress.stop.store(true, Ordering::Relaxed);
            }
            job.progress_bar(ui, what);
            false
        } else {
            ui.add_enabled(can, egui::Button::new(RichText::new(action).strong()))
                .clicked()
        }
    })
    .inner
}

/// Under a dialog's action row: why it could not start, and what its last run did.
fn show_problem_and_outcome(ui: &mut Ui, problem: Option<&str>, outcome: Option<&Outcome>) {
    if let Some(p) = problem {
        error_label(ui, p);
    }
    if let Some(o) = outcome {
        show_outcome(ui, o);
    }
}

impl ExportDialog {
    fn running(&self) -> bool {
        self.job.is_some()
    }

    fn ui(&mut self, ui: &mut Ui, ws: &Workspace) {
        let root = ws.root().to_path_buf();
        let idle = !self.running();
        ui.add_enabled_ui(idle, |ui| {
            choice_grid(ui, "export choices", |ui| {
                ui.label("Format");
                let before = self.format;
                ui.horizontal_wrapped(|ui| {
                    for f in ExportFormat::ALL {
                        ui.radio_value(&mut self.format, f, f.name());
                    }
                });
                if self.format != before {
                    // The last run's summary was of another format.
                    self.outcome = None;
                    self.problem = None;
                }
                ui.end_row();

                ui.label("Layer");
                let shown = self.layer.clone().unwrap_or_else(|| "all layers".into());
                egui::ComboBox::from_id_salt("export layer")
                    .selected_text(shown)
                    .width(200.0)
                    .show_ui(ui, |ui| {
                        for name in &self.layers {
                            ui.selectable_value(&mut self.layer, Some(name.clone()), name);
                        }
                        ui.selectable_value(&mut self.layer, None, "all layers");
                    });
                ui.end_row();

            });
            ui.add_space(4.0);
            // Outside the grid: with many tags (imports add some) the row wraps, and a
            // wrapping row inside a grid cell overlaps the rows below it.
            ui.horizontal_wrapped(|ui| {
                ui.label("Tags");
                ui.add_space(8.0);
                for (name, on) in &mut self.tags {
                    ui.checkbox(on, name.as_str());
                }
            });
            ui.add_space(4.0);
            choice_grid(ui, "export filters", |ui| {
                ui.label("Status");
                let shown = self.status.map_or("any status", Status::label);
                egui::ComboBox::from_id_salt("export status")
                    .selected_text(shown)
                    .width(200.0)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.status, None, "any status");
                        for s in Status::ALL {
                            ui.selectable_value(&mut self.status, Some(s), s.label());
                        }
                    });
                ui.end_row();

                // One row for the format's own choice, there for every format (with nothing
                // to choose, it says so), so the rows below never move when the format does.
                if self.format == ExportFormat::Conll {
                    ui.label("Overlaps");
                    ui.horizontal(|ui| {
                        ui.radio_value(&mut self.overlap, Overlap::Longest, "keep longest")
                            .on_hover_text("CoNLL holds one tag per token: keep the longest span of each overlapping group");
                        ui.radio_value(&mut self.overlap, Overlap::First, "keep first")
                            .on_hover_text("Keep the span that starts first");
                        ui.radio_value(&mut self.overlap, Overlap::Error, "refuse")
                            .on_hover_text("Stop with an error at the first overlap");
                    });
                    ui.end_row();
                }
                if self.format == ExportFormat::LabelStudio {
                    ui.label("Offsets");
                    ui.horizontal(|ui| {
                        ui.radio_value(&mut self.offsets, export::Offsets::Utf16, "UTF-16")
                            .on_hover_text("As Label Studio's browser counts: an emoji is 2");
                        ui.radio_value(
                            &mut self.offsets,
                            export::Offsets::CodePoints,
                            "code points",
                        )
                        .on_hover_text(
                            "For Label Studio versions that store code points (Python string indices)",
                        );
                    });
                    ui.end_row();
                }
                if !matches!(self.format, ExportFormat::Conll | ExportFormat::LabelStudio) {
                    ui.label("Options");
                    ui.horizontal(|ui| {
                        ui.set_min_height(ui.spacing().interact_size.y);
                        ui.label(
                            RichText::new(format!("none for {}", self.format.name()))
                                .color(theme::weak(ui.visuals())),
                        );
                    });
                    ui.end_row();
                }
            });
            if !self.out.chosen {
                self.out.text = suggested_out(&root, self.layer.as_deref(), self.format)
                    .display()
                    .to_string();
            }
            ui.add_space(4.0);
            let label = if self.format.writes_folder() {
                "Output folder (brat writes a folder)"
            } else {
                "Output file"
            };
            let button = if self.format.writes_folder() {
                (Pick::Folder, "Choose folder…")
            } else {
                (Pick::SaveFile, "Save as…")
            };
            self.out
                .row(ui, label, "/path/to/export", &[button], |typed: &str| {
                    let typed = Path::new(typed);
                    let name = (typed.file_name())
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let dir = (typed.parent())
                        .filter(|p| p.is_dir())
                        .map_or_else(|| root.clone(), Path::to_path_buf);
                    (dir, name)
                });
        });
        ui.add_space(6.0);
        if run_row(ui, self.job.as_ref(), "texts", "Export", true) {
            self.start(ui.ctx(), &root);
        }
        show_problem_and_outcome(ui, self.problem.as_deref(), self.outcome.as_ref());
    }

    fn request(&self, root: &Path) -> Result<ExportRequest, String> {
        let out = self.out.text.trim();
        if out.is_empty() {
            return Err("Give an output path.".into());
        }
        let chosen: Vec<String> = self
            .tags
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| n.clone())
            .collect();
        if chosen.is_empty() {
            return Err("Tick at least one tag.".into());
        }
        let layers = match &self.layer {
            Some(name) => Layers::One(name.clone()),
            None => Layers::All,
        };
        let mut req = ExportRequest::new(root, self.format, layers, Path::new(out));
        // Every tag ticked means no filter, so spans with tags outside the tag set still go out.
        if chosen.len() < self.tags.len() {
            req.tags = chosen;
        }
        req.status = self.status;
        req.overlap = self.overlap;
        req.offsets = self.offsets;
        Ok(req)
    }

    fn start(&mut self, ctx: &egui::Context, root: &Path) {
        self.outcome = None;
        self.problem = None;
        let req = match self.request(root) {
            Ok(r) => r,
            Err(e) => {
                self.problem = Some(e);
                return;
            }
        };
        match Job::spawn(ctx, "export", move |progress| {
            export::run(&req, progress).map_err(|e| e.to_string())
        }) {
            Ok(job) => self.job = Some(job),
            Err(e) => self.problem = Some(e),
        }
    }

    fn poll(&mut self) {
        let Some(result) = self.job.as_ref().and_then(Job::poll) else {
            return;
        };
        self.job = None;
        self.outcome = Some(match result {
            Ok(summary) => Outcome {
                ok: true,
                lines: summary.report(SUMMARY_LIMIT),
            },
            Err(e) => Outcome {
                ok: false,
                lines: vec![format!("Export failed: {e}")],
            },
        });
    }
}

impl ImportDialog {
    fn running(&self) -> bool {
        self.job.is_some()
    }

    fn annotator_problem(&self) -> Option<String> {
        workspace::check_annotator(self.annotator.trim()).err()
    }

    fn ui(&mut self, ui: &mut Ui, ws: &Workspace) {
        let root = ws.root().to_path_buf();
        let idle = !self.running();
        ui.add_enabled_ui(idle, |ui| {
            choice_grid(ui, "import choices", |ui| {
                ui.label("Format");
                // Other tools' formats on one line, Marginalia's own exports on the next:
                // seven choices do not fit one line of a narrow window.
                ui.vertical(|ui| {
                    let (others, own) = IMPORT_FORMATS.split_at(5);
                    for row in [others, own] {
                        ui.horizontal(|ui| {
                            for (f, name) in row {
                                ui.radio_value(&mut self.format, *f, *name);
                            }
                            if row.len() == own.len() {
                                let weak = theme::weak(ui.visuals());
                                ui.label(
                                    RichText::new("(Marginalia's own exports)")
                                        .small()
                                        .color(weak),
                                );
                            }
                        });
                    }
                });
                ui.end_row();

                if matches!(self.format, ImportFormat::Conll(_)) {
                    let l = ui.label("Columns");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.columns)
                            .desired_width(80.0)
                            .hint_text("first,last"),
                    )
                    .labelled_by(l.id)
                    .on_hover_text(
                        "The token and tag columns, counted from 0, e.g. 0,3. Empty: the first and the last column.",
                    );
                    ui.end_row();
                }

                let l = ui.label("Import as annotator");
                ui.add(
                    egui::TextEdit::singleline(&mut self.annotator)
                        .desired_width(200.0)
                        .char_limit(64),
                )
                .labelled_by(l.id)
                .on_hover_text("Whose layer the imported spans go into");
                ui.end_row();

                let l = ui.label("Into folder");
                let hint = match ws.config().texts.first() {
                    Some(first) => format!("as the source names them, else {first}/"),
                    None => "as the source names them".to_owned(),
                };
                ui.add(
                    egui::TextEdit::singleline(&mut self.into)
                        .desired_width(200.0)
                        .hint_text(hint),
                )
                .labelled_by(l.id)
                .on_hover_text(
                    "The workspace folder the texts go into (one of workspace.ron's text folders). \
                     Empty: the paths the source gives.",
                );
                ui.end_row();

                ui.label("");
                ui.checkbox(&mut self.as_suggestions, "As suggestions, not into the layer")
                    .on_hover_text(
                        "Model output (Label Studio predictions, jsonl with a score): stored as \
                         suggestions for the annotator to accept or reject, with their scores. \
                         The layer is not changed.",
                    );
                ui.end_row();

                ui.label("");
                ui.add_enabled_ui(!self.as_suggestions, |ui| {
                    ui.checkbox(&mut self.merge, "Merge into existing layers")
                        .on_hover_text(
                            "Add the spans to a layer that already exists (exact duplicates are left out). \
                             Without this, a text that already has a layer is skipped.",
                        );
                });
                ui.end_row();

                if self.format == ImportFormat::Jsonl {
                    ui.label("Prodigy answers");
                    ui.horizontal(|ui| {
                        let a = &mut self.answers;
                        ui.checkbox(&mut a.accept, "accept");
                        ui.checkbox(&mut a.reject, "reject");
                        ui.checkbox(&mut a.ignore, "ignore");
                    })
                    .response
                    .on_hover_text(
                        "Records (and spans) with these answers are imported; the others are \
                         left out and counted. Records without an answer are always imported.",
                    );
                    ui.end_row();
                }
            });
            if let Some(p) = self.annotator_problem() {
                error_label(ui, &p);
            }
            ui.add_space(4.0);
            let hint = match self.format {
                ImportFormat::Brat => "a folder of .txt + .ann files, or one .ann",
                ImportFormat::Jsonl => "a .jsonl file",
                ImportFormat::Csv => "a .csv file",
                ImportFormat::W3c => "a .jsonld file",
                ImportFormat::Conll(_) => {
                    "a CoNLL / IOB file (IOB1, IOB2, BIOES); texts are rebuilt with single spaces"
                }
                ImportFormat::LabelStudio => "a Label Studio JSON or JSON-MIN export (.json)",
                ImportFormat::Doccano => "a doccano .jsonl file (1.x or 2.x)",
            };
            let buttons: &[(Pick, &str)] = if self.format == ImportFormat::Brat {
                &[(Pick::Folder, "Choose folder…"), (Pick::File, "Choose file…")]
            } else {
                &[(Pick::File, "Choose file…")]
            };
            self.source
                .row(ui, "Source", hint, buttons, |_| (root.clone(), String::new()));
        });
        ui.add_space(6.0);
        let can = self.annotator_problem().is_none();
        if run_row(ui, self.job.as_ref(), "files", "Import", can) {
            self.start(ui.ctx(), &root);
        }
        show_problem_and_outcome(ui, self.problem.as_deref(), self.outcome.as_ref());
    }

    fn start(&mut self, ctx: &egui::Context, root: &Path) {
        self.outcome = None;
        self.problem = None;
        let source = self.source.text.trim();
        if source.is_empty() {
            self.problem = Some("Give a file or folder to import.".into());
            return;
        }
        let mut format = self.format;
        if let ImportFormat::Conll(opts) = &mut format {
            let typed = self.columns.trim();
            if !typed.is_empty() {
                match typed.parse() {
                    Ok(c) => opts.columns = Some(c),
                    Err(e) => {
                        self.problem = Some(e);
                        return;
                    }
                }
            }
        }
        let req = ImportRequest {
            workspace: root.to_path_buf(),
            format,
            annotator: self.annotator.trim().to_owned(),
            source: PathBuf::from(source),
            merge: self.merge && !self.as_suggestions,
            answers: self.answers,
            into: Some(self.into.trim())
                .filter(|f| !f.is_empty())
                .map(str::to_owned),
        };
        let as_suggestions = self.as_suggestions;
        match Job::spawn(ctx, "import", move |progress| {
            let run = if as_suggestions {
                import::suggestions::run
            } else {
                import::run
            };
            run(&req, progress).map_err(|e| e.to_string())
        }) {
            Ok(job) => self.job = Some(job),
            Err(e) => self.problem = Some(e),
        }
    }

    /// Returns true when a run just ended (the workspace may have changed, even if it failed).
    fn poll(&mut self) -> bool {
        let Some(result) = self.job.as_ref().and_then(Job::poll) else {
            return false;
        };
        self.job = None;
        self.outcome = Some(match result {
            // Whatever makes the CLI exit non-zero colours the summary's first line as an error,
            // and its one-line reason ends the summary.
            Ok(summary) => {
                let mut lines = summary.report(SUMMARY_LIMIT);
                let source = PathBuf::from(self.source.text.trim());
                if let Some(problem) = summary.failure(&source) {
                    lines.push(problem);
                }
                Outcome {
                    ok: summary.exit_code() == 0,
                    lines,
                }
            }
            Err(e) => Outcome {
                ok: false,
                lines: vec![format!("Import stopped: {e}")],
            },
        });
        true
    }
}

/// The File menu's entries (in the top bar).
pub fn file_menu(app: &MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    let has_ws = app.ws.is_some();
    ui.menu_button("File", |ui| {
        ui.set_min_width(220.0);
        // Open… as on the bar's button (a workspace folder, Ctrl+O, or a text file).
        ui.menu_button("Open", |ui| {
            let open = Action::in_menu(Menu::Open);
            menu_items(ui, &app.keymap, open, true, app.prefs.dark, commands);
        });
        ui.separator();
        let (quit, file): (Vec<Action>, Vec<Action>) =
            Action::in_menu(Menu::File).partition(|a| *a == Action::Quit);
        menu_items(ui, &app.keymap, file, has_ws, app.prefs.dark, commands);
        ui.separator();
        menu_items(ui, &app.keymap, quit, true, app.prefs.dark, commands);
    });
}

/// Draws the open windows and collects their results.
pub fn draw(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let (export_open, import_open) = draw_windows(app, ctx, commands);
    if !export_open {
        close_export(app);
    }
    if !import_open {
        close_import(app);
    }
}

/// Draws the windows; whether each is still open (a closed one is `false`, as is one not
/// shown at all, which closing leaves as it is).
fn draw_windows(
    app: &mut MarginaliaApp,
    ctx: &egui::Context,
    commands: &mut Vec<Command>,
) -> (bool, bool) {
    let (mut export_open, mut import_open) = (true, true);
    let area = app.window_area(ctx);
    let Some(ws) = &app.ws else {
        return (export_open, import_open);
    };
    if let Some(d) = &mut app.transfer.export {
        d.out.poll(ctx);
        d.poll();
        let open = transfer_window(ctx, area, "Export annotations", "export window", |ui| {
            d.ui(ui, ws)
        });
        export_open = open;
    }
    if let Some(d) = &mut app.transfer.import {
        d.source.poll(ctx);
        if d.poll() {
            commands.push(Command::WorkspaceChanged);
        }
        let open = transfer_window(ctx, area, "Import annotations", "import window", |ui| {
            d.ui(ui, ws)
        });
        import_open = open;
    }
    (export_open, import_open)
}

/// Closes the Export window (its × or Esc), stopping a running export.
pub(super) fn close_export(app: &mut MarginaliaApp) {
    if let Some(job) = app.transfer.export.as_ref().and_then(|d| d.job.as_ref()) {
        job.progress.stop.store(true, Ordering::Relaxed);
    }
    app.transfer.export = None;
}

/// Closes the Import window (its × or Esc). A running import is left to finish (it stops at
/// the next document when cancelled), so closing the window cannot leave a half-merged layer.
pub(super) fn close_import(app: &mut MarginaliaApp) {
    match app.transfer.import.as_ref().and_then(|d| d.job.as_ref()) {
        Some(job) => job.progress.stop.store(true, Ordering::Relaxed),
        None => app.transfer.import = None,
    }
}

impl MarginaliaApp {
    /// File → Export…: the current annotator's layer by default.
    pub(super) fn open_export(&mut self) {
        let Some(ws) = &self.ws else { return };
        if self.transfer.export.is_some() {
            return;
        }
        let mut layers = ws.layer_names();
        if !layers.contains(&self.prefs.annotator) {
            layers.insert(0, self.prefs.annotator.clone());
        }
        self.transfer.export = Some(ExportDialog {
            format: ExportFormat::Jsonl,
            layer: Some(self.prefs.annotator.clone()),
            layers,
            tags: ws
                .tags()
                .tags
                .iter()
                .map(|t| (t.name.clone(), true))
                .collect(),
            status: None,
            overlap: Overlap::default(),
            offsets: export::Offsets::default(),
            out: PathField::default(),
            job: None,
            outcome: None,
            problem: None,
        });
        // The export reads the files: write what is pending first.
        self.save_pending();
    }

    /// File → Import…: into the current annotator's layer by default.
    pub(super) fn open_import(&mut self) {
        if self.ws.is_none() || self.transfer.import.is_some() {
            return;
        }
        self.save_pending();
        self.transfer.import = Some(ImportDialog {
            format: ImportFormat::Brat,
            columns: String::new(),
            source: PathField::default(),
            annotator: self.prefs.annotator.clone(),
            merge: false,
            as_suggestions: false,
            answers: import::Answers::default(),
            into: String::new(),
            job: None,
            outcome: None,
            problem: None,
        });
    }

    /// After an import: reread the tag set and the document list, so new texts and tags show.
    pub(super) fn reload_workspace(&mut self) {
        let Some(root) = self.ws.as_ref().map(|w| w.root().to_path_buf()) else {
            return;
        };
        match Workspace::open(&root) {
            Ok(ws) => {
                self.ws = Some(ws);
                self.reload_entries();
                // Suggestions may have been imported for the open document, or layers the
                // learned tagger learns from.
                self.suggest.models_mut().rerun();
                self.curated_changed();
                self.status_line = format!(
                    "Import finished — {}",
                    crate::wording::plural(self.entries.len(), "text")
                );
            }
            Err(e) => self.status_line = format!("Cannot reread the workspace: {e}"),
        }
    }
}

/// The export or import window, below the menu bar and centred; `false` when the user closed it.
fn transfer_window(
    ctx: &egui::Context,
    area: egui::Rect,
    title: &str,
    id: &str,
    body: impl FnOnce(&mut egui::Ui),
) -> bool {
    let mut open = true;
    egui::Window::new(title)
        .id(Id::unique(id))
        .constrain_to(area)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(ctx.content_rect().center_top() + egui::vec2(0.0, 70.0))
        .collapsible(false)
        .resizable([true, false])
        .default_width(600.0)
        .open(&mut open)
        .show(ctx, body);
    open
}
