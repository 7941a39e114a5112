//! Closing the window never discards edits silently: a close (the window's button, Ctrl+Q)
//! with edits that could not be saved asks what to do, and SIGTERM keeps them in the recovery
//! journal before the app exits. When SIGTERM finds that not even the journal can keep them
//! (every journal folder refused the write), the window stays open and says so, and only a
//! second signal ends it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use egui::{Id, RichText};

use crate::session::engine::Editing;
use crate::session::recovery::Kept;
use crate::store::StoreError;

use super::commands::QuitChoice;
use super::transfer::{PathField, Pick};
use super::{Command, MarginaliaApp, theme};

/// The close state: whether closing is allowed now, and the prompt while it is open.
#[derive(Default)]
pub struct QuitGuard {
    allowed: bool,
    prompt: Option<QuitPrompt>,
    /// Set by the signal thread when SIGTERM (or SIGINT, SIGHUP) arrives.
    terminate: Arc<AtomicBool>,
    /// Set by the window when a termination found edits nothing could keep: the signal
    /// thread then waits for a second signal instead of exiting.
    hold: Arc<AtomicBool>,
}

struct QuitPrompt {
    copy: PathField,
    problem: Option<String>,
    /// Where the recovery journal keeps the edits, if it could.
    kept: Vec<String>,
}

impl MarginaliaApp {
    /// Whether the quit prompt is showing.
    pub fn quit_prompt_open(&self) -> bool {
        self.quit.prompt.is_some()
    }

    /// Asks the app to close as if it had received SIGTERM: unsaved edits go to the recovery
    /// journal, then the window closes without asking.
    pub fn request_terminate(&self) {
        self.quit.terminate.store(true, Ordering::SeqCst);
    }

    /// The flag the signal thread sets, and the one it reads before exiting.
    pub(super) fn terminate_flags(&self) -> (Arc<AtomicBool>, Arc<AtomicBool>) {
        (self.quit.terminate.clone(), self.quit.hold.clone())
    }

    /// Whether the window is allowed to close (nothing unsaved, or the user chose).
    pub fn will_close(&self) -> bool {
        self.quit.allowed
    }

    /// What is unsaved, one line per file with why, or nothing.
    fn unsaved_lines(&self) -> Vec<String> {
        let doc = (self.open.as_ref()).map(|o| {
            (
                o.doc.rel().to_owned(),
                o.doc.has_unsaved(),
                o.doc.save_state(),
            )
        });
        let review = self.review.as_ref().map(|m| {
            let what = format!("review of {}", m.review.rel());
            (what, m.review.has_unsaved(), m.review.save_state())
        });
        [doc, review]
            .into_iter()
            .flatten()
            .filter(|(_, unsaved, _)| *unsaved)
            .map(|(what, _, state)| format!("{what}: {}", why(state)))
            .collect()
    }

    /// Called first in every frame: a close request (or SIGTERM) with unsaved edits is held
    /// back and turned into the prompt; without unsaved edits the window closes.
    pub(super) fn handle_close(&mut self, ctx: &egui::Context) {
        // Taken, so a termination held open is handled once.
        let terminate = self.quit.terminate.swap(false, Ordering::SeqCst);
        let requested = ctx.input(|i| i.viewport().close_requested());
        if !(requested || terminate) || self.quit.allowed {
            return;
        }
        // A workspace "Tag all" (or its undo) is writing documents: it stops after the one it
        // writes (an undo or redo runs to the end), then the window closes.
        if super::workspace_find::close_after_job(self, terminate) {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            return;
        }
        self.save_pending();
        let unsaved = self.unsaved_lines();
        if unsaved.is_empty() {
            self.allow_close(ctx, requested);
            return;
        }
        let (kept, lost) = self.keep_in_journal();
        if terminate {
            eprintln!(
                "marginalia: terminated with unsaved edits ({}); {}",
                unsaved.join("; "),
                kept.join("; ")
            );
            if !lost {
                self.allow_close(ctx, requested);
                return;
            }
            // Nothing could keep them: the window stays and says so.
            self.quit.hold.store(true, Ordering::SeqCst);
            eprintln!(
                "marginalia: the window stays open so that they can be saved elsewhere; \
                 a second signal ends it"
            );
        }
        ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        let problem = (terminate && lost).then(|| {
            "Marginalia was asked to quit (the system is shutting down, or the process was \
             signalled), but these edits could not be kept anywhere, not even in the recovery \
             journal. Save a copy elsewhere (another drive), or discard them. A second signal \
             quits without them."
                .to_owned()
        });
        match &mut self.quit.prompt {
            None => {
                self.quit.prompt = Some(QuitPrompt {
                    copy: PathField::default(),
                    problem,
                    kept,
                });
            }
            Some(p) if problem.is_some() => {
                p.problem = problem;
                p.kept = kept;
            }
            Some(_) => {}
        }
    }

    fn allow_close(&mut self, ctx: &egui::Context, already_requested: bool) {
        self.quit.allowed = true;
        self.quit.prompt = None;
        if !already_requested {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// Writes the open document's and the review's unsaved edits to the recovery journal; says
    /// where, and whether some could not be kept.
    fn keep_in_journal(&mut self) -> (Vec<String>, bool) {
        let mut notes = Vec::new();
        if let Some(open) = &mut self.open
            && open.doc.has_unsaved()
        {
            let what = format!("the edits of {}", open.doc.rel());
            notes.push(journal_note(
                &what,
                open.doc.journal_unsaved(),
                "; they are offered back when the document is next opened",
            ));
        }
        if let Some(mode) = &mut self.review
            && mode.review.has_unsaved()
        {
            let what = format!("the review decisions of {}", mode.review.rel());
            notes.push(journal_note(&what, mode.review.journal_unsaved(), ""));
        }
        let lost = notes.iter().any(|(_, kept)| !kept);
        (notes.into_iter().map(|(note, _)| note).collect(), lost)
    }

    /// Applies the user's choice in the prompt.
    pub(super) fn apply_quit(&mut self, ctx: &egui::Context, choice: QuitChoice) {
        match choice {
            QuitChoice::Cancel => self.quit.prompt = None,
            QuitChoice::Retry => {
                self.save_pending();
                let left = self.unsaved_lines();
                if left.is_empty() {
                    self.allow_close(ctx, false);
                } else if let Some(p) = &mut self.quit.prompt {
                    p.problem = Some(format!("Still not saved: {}", left.join("; ")));
                }
            }
            QuitChoice::BrowseCopy => {
                let start = self
                    .ws
                    .as_ref()
                    .and_then(|w| w.root().parent().map(std::path::Path::to_path_buf))
                    .unwrap_or_default();
                let name = self
                    .open
                    .as_ref()
                    .map(|o| {
                        let stem = o.doc.rel().rsplit('/').next().unwrap_or("layer");
                        format!("{}.unsaved.ron", stem.trim_end_matches(".txt"))
                    })
                    .unwrap_or_else(|| "unsaved.ron".into());
                if let Some(p) = &mut self.quit.prompt {
                    p.copy.browse(Pick::SaveFile, start, name);
                }
            }
            QuitChoice::SaveCopy => {
                let Some(p) = &self.quit.prompt else { return };
                let typed = p.copy.text.trim().to_owned();
                if typed.is_empty() {
                    if let Some(p) = &mut self.quit.prompt {
                        p.problem = Some("Type or choose where the copy goes first".into());
                    }
                    return;
                }
                match self.save_copies(std::path::Path::new(&typed)) {
                    Ok(()) => self.allow_close(ctx, false),
                    Err(e) => {
                        if let Some(p) = &mut self.quit.prompt {
                            p.problem = Some(format!("The copy was not written: {e}"));
                        }
                    }
                }
            }
            QuitChoice::Discard => {
                if let Some(open) = &mut self.open {
                    open.doc.discard_unsaved();
                }
                if let Some(mode) = &mut self.review {
                    mode.review.discard_unsaved();
                }
                self.allow_close(ctx, false);
            }
        }
    }

    /// Writes the unsaved layer (and review) to `path`; a review next to it gets `.curated`.
    fn save_copies(&self, path: &std::path::Path) -> Result<(), crate::store::StoreError> {
        let doc_unsaved = self.open.as_ref().is_some_and(|o| o.doc.has_unsaved());
        if let Some(open) = &self.open
            && doc_unsaved
        {
            open.doc.save_copy(path)?;
        }
        if let Some(mode) = &self.review
            && mode.review.has_unsaved()
        {
            if doc_unsaved {
                mode.review.save_copy(&path.with_extension("curated.ron"))?;
            } else {
                mode.review.save_copy(path)?;
            }
        }
        Ok(())
    }
}

fn why(state: &crate::session::autosave::SaveState) -> String {
    match state {
        crate::session::autosave::SaveState::Failed(e) => {
            e.strip_prefix("not saved: ").unwrap_or(e).to_owned()
        }
        _ => "not saved yet".into(),
    }
}

/// The prompt, while a close waits on unsaved edits.
pub fn draw(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let unsaved = app.unsaved_lines();
    let Some(prompt) = &mut app.quit.prompt else {
        return;
    };
    prompt.copy.poll(ctx);
    egui::Modal::new(Id::unique("quit with unsaved edits")).show(ctx, |ui| {
        ui.set_max_width(520.0);
        ui.heading("Edits not saved");
        ui.add_space(4.0);
        ui.label("These edits could not be written to their files:");
        for line in &unsaved {
            theme::error_text(ui, format!("• {line}"));
        }
        for line in &prompt.kept {
            ui.add(egui::Label::new(RichText::new(line).color(theme::weak(ui.visuals()))).wrap());
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            if ui
                .button("Choose…")
                .on_hover_text("Choose where the copy goes with the file dialog")
                .clicked()
            {
                commands.push(Command::QuitPrompt(QuitChoice::BrowseCopy));
            }
            if prompt
                .copy
                .edit(ui, "Copy to", "a path outside the unwritable folder")
            {
                commands.push(Command::QuitPrompt(QuitChoice::SaveCopy));
            }
        });
        prompt.copy.show_note(ui);
        if let Some(p) = &prompt.problem {
            ui.add(
                egui::Label::new(RichText::new(p).color(theme::error_color(ui.visuals()))).wrap(),
            );
        }
        ui.add_space(6.0);
        ui.horizontal_wrapped(|ui| {
            let choices = [
                (
                    "Retry",
                    "Try to save again; the window closes if it works",
                    QuitChoice::Retry,
                ),
                (
                    "Save a copy elsewhere",
                    "Write the unsaved spans to the path above, then close",
                    QuitChoice::SaveCopy,
                ),
                (
                    "Discard and quit",
                    "Close and lose these edits",
                    QuitChoice::Discard,
                ),
                ("Cancel", "Keep working", QuitChoice::Cancel),
            ];
            for (label, hover, choice) in choices {
                if ui.button(label).on_hover_text(hover).clicked() {
                    commands.push(Command::QuitPrompt(choice));
                }
            }
        });
    });
}

/// Turns SIGTERM, SIGINT and SIGHUP into a close that keeps unsaved edits in the journal.
/// The window gets a few seconds to do it; then the process exits anyway.
pub fn install_signal_handler(
    ctx: egui::Context,
    (terminate, hold): (Arc<AtomicBool>, Arc<AtomicBool>),
) {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let mut signals = signals.forever();
                if let Some(signal) = signals.next() {
                    terminate.store(true, Ordering::SeqCst);
                    ctx.request_repaint();
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    // Edits nothing could keep: the window says so and waits for the user,
                    // or for a second signal.
                    let last = if hold.load(Ordering::SeqCst) {
                        signals.next().unwrap_or(signal)
                    } else {
                        signal
                    };
                    std::process::exit(128 + last);
                }
            });
    }
    #[cfg(not(unix))]
    let _ = (ctx, terminate, hold);
}

/// What became of `what` ("the edits of …") when written to the recovery journal: where it is
/// kept, with `then` after that, or why it could not be; and whether it was kept.
fn journal_note(what: &str, written: Result<Kept, StoreError>, then: &str) -> (String, bool) {
    match written {
        Ok(entry) => (
            format!(
                "{what} are kept in the recovery journal at {}{then}",
                entry.describe()
            ),
            true,
        ),
        Err(e) => (
            format!("{what} could not be kept in the recovery journal: {e}"),
            false,
        ),
    }
}
