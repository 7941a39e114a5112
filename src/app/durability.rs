//! What the durability core did, shown so that nothing happens to an annotator's spans silently:
//! banners for a changed text's re-anchor summary, a merged external change and a failed save;
//! the "?" mark and "Confirm position" on fuzzy spans; the Orphans list; and a readable page for
//! a text or annotation file that cannot be opened.

use egui::{Align, Color32, Layout, RichText, Stroke, Ui};

use crate::model::layer::Span;
use crate::model::layer::{ANCHOR_AMBIGUOUS, ANCHOR_ATTR};
use crate::session::autosave::SaveState;
use crate::session::document::Document;
use crate::session::engine::Editing;

use super::registry::Action;
use super::text_view::excerpt;
use super::{Command, MarginaliaApp, theme};

/// What a banner tells the user about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BannerKind {
    /// The text changed since the spans were saved; they were re-anchored.
    TextChanged,
    /// Someone else changed the annotation file; it was merged or reloaded.
    ExternalChange,
    /// Anything else the core wants the user to know.
    Notice,
}

/// A message that stays above the text until the user dismisses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    pub kind: BannerKind,
    pub text: String,
}

/// The banners and the problem page's state.
#[derive(Debug, Default)]
pub struct Durability {
    banners: Vec<Banner>,
    /// The document whose error is shown in the centre (it could not be opened).
    problem: Option<String>,
    /// Recovery journal entries no workspace will be offered (theirs moved or is gone), each
    /// with its description (read from the entry once).
    orphans: Vec<(crate::session::recovery::Listed, String)>,
}

impl Durability {
    /// The document whose error the centre shows, if any.
    pub fn problem_shown(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// The banners shown, oldest first.
    pub fn banners(&self) -> &[Banner] {
        &self.banners
    }

    /// Lists the journal's entries that no workspace will be offered (`ws` is the one opened).
    pub fn find_orphans(
        &mut self,
        journal: Option<&crate::session::recovery::Journal>,
        ws: Option<&crate::workspace::Workspace>,
    ) {
        self.orphans = journal
            .map(|j| j.orphans(ws))
            .unwrap_or_default()
            .into_iter()
            .map(|l| {
                let words = l.describe();
                (l, words)
            })
            .collect();
    }

    fn push(&mut self, kind: BannerKind, text: String) {
        if !self.banners.iter().any(|b| b.text == text) {
            self.banners.push(Banner { kind, text });
        }
    }

    /// Turns the core's notices into banners (a notice is never only a transient status line).
    fn notices(&mut self, notices: Vec<String>) {
        for n in notices {
            let kind = if n.contains("changed outside this window") {
                BannerKind::ExternalChange
            } else {
                BannerKind::Notice
            };
            self.push(kind, n);
        }
    }

    /// Called when `doc` was just opened: its re-anchor summary becomes a banner, and its
    /// notices are taken here so they are not shown twice.
    pub fn opened(&mut self, doc: &mut Document) {
        self.problem = None;
        let notices = doc.take_notices();
        if let Some(summary) = doc.reanchor_summary() {
            let mut text = format!("{}: {summary}", doc.rel());
            if summary.to_confirm() > 0 {
                text.push_str(
                    ". Spans marked ? were placed approximately or on one of several copies of \
                     their words: check and confirm them.",
                );
            }
            if summary.orphaned > 0 {
                text.push_str(" Orphaned spans are listed on the right: re-attach or delete them.");
            }
            self.push(BannerKind::TextChanged, text);
            let plain = format!("{}: {summary}", doc.rel());
            self.notices(notices.into_iter().filter(|n| *n != plain).collect());
        } else {
            self.notices(notices);
        }
    }

    /// Notices that arrived while the document was open (merges, reloads).
    pub fn arrived(&mut self, notices: Vec<String>) {
        self.notices(notices);
    }
}

/// Whether re-anchoring placed `span` approximately (fuzzy) or on one of several equally good
/// places (ambiguous), and the user has not confirmed it yet.
pub fn is_fuzzy(span: &Span) -> bool {
    crate::model::reanchor::is_uncertain(span)
}

/// Whether re-anchoring put `span` on one of several places that score the same.
fn is_ambiguous(span: &Span) -> bool {
    span.attrs.get(ANCHOR_ATTR).map(String::as_str) == Some(ANCHOR_AMBIGUOUS)
}

impl MarginaliaApp {
    /// Whether the open document has edits not yet on disk.
    pub fn has_unsaved_edits(&self) -> bool {
        self.open.as_ref().is_some_and(|o| o.doc.has_unsaved())
    }

    /// Applies the commands of this module.
    pub(super) fn apply_durability(&mut self, command: Command) {
        match command {
            Command::DismissBanner(i) if i < self.durability.banners.len() => {
                self.durability.banners.remove(i);
            }
            Command::DismissJournalOrphan(i) if i < self.durability.orphans.len() => {
                self.durability.orphans.remove(i);
            }
            Command::DiscardJournalOrphan(i) if i < self.durability.orphans.len() => {
                let (gone, words) = self.durability.orphans.remove(i);
                let removed = self
                    .journal
                    .as_ref()
                    .is_some_and(|j| j.discard(&gone.entry));
                self.status_line = if removed {
                    format!("Recovered edits discarded: {words}")
                } else {
                    format!("{} could not be removed", gone.entry.display())
                };
            }
            Command::ConfirmSelectedAnchor => {
                if let Some(id) = self.selected_span
                    && !self.refuse_read_only()
                    && let Some(open) = &mut self.open
                {
                    if open.doc.confirm_anchor(id) {
                        self.after_edit();
                        self.status_line = format!("Position of span #{id} confirmed");
                    } else {
                        self.status_line = "This span's position needs no confirming".into();
                    }
                }
            }
            Command::ReattachOrphan(id) => {
                if self.refuse_read_only() {
                    return;
                }
                let Some(open) = &mut self.open else { return };
                let Some((a, b)) = open.view.selected_range() else {
                    self.status_line =
                        "Select the text where the orphan belongs, then re-attach it".into();
                    return;
                };
                if open.doc.reattach_orphan(id, a, b) {
                    open.view.set_selection(None);
                    self.after_edit();
                    self.select_span(id, false);
                    self.status_line = format!("Orphan #{id} re-attached to chars {a}–{b}");
                }
            }
            Command::DeleteOrphan(id) => {
                if !self.refuse_read_only()
                    && let Some(open) = &mut self.open
                    && open.doc.delete_orphan(id)
                {
                    self.after_edit();
                    self.status_line = format!(
                        "Orphan #{id} deleted ({} brings it back)",
                        self.keymap.key(Action::Undo)
                    );
                }
            }
            Command::RestoreRecovered => {
                if let Some(open) = &mut self.open
                    && let Some(plan) = open.doc.restore_recovered()
                {
                    self.after_edit();
                    self.status_line = format!(
                        "{} ({} takes it back out)",
                        plan.describe(true),
                        self.keymap.key(Action::Undo)
                    );
                }
            }
            Command::DiscardRecovered => {
                if let Some(open) = &mut self.open
                    && open.doc.discard_recovered()
                {
                    self.status_line = "Recovered edits discarded".into();
                }
            }
            Command::KeepDeletedLayer => {
                if let Some(open) = &mut self.open {
                    self.status_line = match open.doc.keep_after_deletion() {
                        Ok(()) => format!("{} written again", open.doc.layer_path().display()),
                        Err(e) => format!("Not saved: {e}"),
                    };
                }
            }
            Command::CloseDocument => {
                if let Some(open) = &mut self.open {
                    // The user chose to close a document whose file was deleted outside.
                    open.doc.discard_unsaved();
                }
                self.open = None;
                self.selected_span = None;
                self.note_for = None;
                self.status_line = "Document closed".into();
            }
            Command::ShowProblem(rel) => {
                self.save_pending();
                self.open = None;
                self.selected_span = None;
                self.note_for = None;
                self.status_line = format!("{rel} cannot be opened: see why above");
                self.durability.problem = Some(rel);
            }
            _ => {}
        }
    }
}

fn banner_colors(kind: BannerKind, dark: bool) -> (Color32, Color32) {
    // Each kind's fill and stroke in the light theme, then in the dark one.
    let [light_fill, light_stroke, dark_fill, dark_stroke] = match kind {
        BannerKind::TextChanged => [
            [255, 244, 206],
            [214, 170, 40],
            [72, 60, 22],
            [190, 150, 50],
        ],
        BannerKind::ExternalChange => [
            [222, 236, 255],
            [80, 130, 210],
            [28, 48, 78],
            [90, 140, 220],
        ],
        BannerKind::Notice => [
            [238, 238, 238],
            [160, 160, 160],
            [50, 50, 50],
            [110, 110, 110],
        ],
    };
    let rgb = |[r, g, b]: [u8; 3]| Color32::from_rgb(r, g, b);
    if dark {
        (rgb(dark_fill), rgb(dark_stroke))
    } else {
        (rgb(light_fill), rgb(light_stroke))
    }
}

fn banner_title(kind: BannerKind) -> &'static str {
    match kind {
        BannerKind::TextChanged => "Text changed",
        BannerKind::ExternalChange => "Changed outside this window",
        BannerKind::Notice => "Note",
    }
}

/// The banners above the text, and a failed save's banner (which stays while it fails).
pub fn banner_panel(app: &MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    let deleted = app
        .open
        .as_ref()
        .is_some_and(|o| o.doc.is_deleted_outside());
    let failed = app.open.as_ref().and_then(|o| match o.doc.save_state() {
        SaveState::Failed(e) if !deleted => Some(e.clone()),
        _ => None,
    });
    let recovered = app.open.as_ref().and_then(|o| {
        o.doc.recovered().map(|r| {
            let found = &r.found;
            let when = found
                .saved
                .map(|t| {
                    time::OffsetDateTime::from(t)
                        .format(time::macros::format_description!(
                            "[year]-[month]-[day] [hour]:[minute] UTC"
                        ))
                        .unwrap_or_default()
                })
                .unwrap_or_default();
            let moved = if found.target == o.doc.layer_path()
                || o.doc
                    .layer_path()
                    .canonicalize()
                    .is_ok_and(|p| p == found.target)
            {
                String::new()
            } else {
                format!(" (when this layer was at {})", found.target.display())
            };
            format!(
                "Edits to this document that could not be saved{}{moved} are in the recovery journal ({}): {} and {}. {}. Restore them (one undo step), or discard them.",
                if when.is_empty() { String::new() } else { format!(" on {when}") },
                found.entry.display(),
                crate::wording::plural(r.layer.spans.len(), "span"),
                crate::wording::plural(r.layer.orphans.len(), "orphan"),
                r.plan().describe(false),
            )
        })
    });
    if app.durability.banners.is_empty()
        && app.durability.orphans.is_empty()
        && failed.is_none()
        && !deleted
        && recovered.is_none()
    {
        return;
    }
    egui::Panel::top("durability banners")
        .frame(
            egui::Frame::new()
                .fill(ui.visuals().extreme_bg_color)
                .inner_margin(egui::Margin::symmetric(8, 4)),
        )
        .show(ui, |ui| {
            let dark = ui.visuals().dark_mode;
            let err = theme::error_color(ui.visuals());
            let error_fill = if dark {
                Color32::from_rgb(70, 24, 24)
            } else {
                Color32::from_rgb(255, 228, 228)
            };
            if deleted && let Some(open) = &app.open {
                let message = format!(
                    "{} was deleted outside this window (another program, or a git checkout). Nothing is written until you choose: keep your {} by saving them again, or close the document.",
                    open.doc.layer_path().display(),
                    crate::wording::plural(open.doc.layer().spans.len(), "span")
                );
                let title = RichText::new("Annotation file deleted").strong().color(err);
                let buttons = [
                    (
                        "Keep my spans",
                        "Write this layer's spans to the file again",
                        Command::KeepDeletedLayer,
                    ),
                    (
                        "Close document",
                        "Close it without writing the file",
                        Command::CloseDocument,
                    ),
                ];
                command_banner(ui, (error_fill, err), title, &message, &buttons, commands);
            }
            if let Some(message) = recovered {
                let look = banner_colors(BannerKind::TextChanged, dark);
                let title = RichText::new("Unsaved edits recovered").strong();
                let buttons = [
                    (
                        "Restore",
                        "Put the recovered edits back into this layer",
                        Command::RestoreRecovered,
                    ),
                    (
                        "Discard",
                        "Delete the recovered edits for good",
                        Command::DiscardRecovered,
                    ),
                ];
                command_banner(ui, look, title, &message, &buttons, commands);
            }
            if let Some(e) = failed {
                let why = e.strip_prefix("not saved: ").unwrap_or(&e);
                let mut chars = why.chars();
                let why: String = match chars.next() {
                    Some(first) => first.to_uppercase().chain(chars).collect(),
                    None => String::new(),
                };
                let message = format!(
                    "{why}. Your edits are kept in memory and saving is retried every few seconds."
                );
                let title = RichText::new("Not saved").strong().color(err);
                let buttons = [("Retry now", "Try to save now", Command::SaveNow)];
                command_banner(ui, (error_fill, err), title, &message, &buttons, commands);
            }
            for (i, (orphan, words)) in app.durability.orphans.iter().enumerate() {
                let look = banner_colors(BannerKind::TextChanged, dark);
                let title = RichText::new("Unsaved edits of a workspace that moved").strong();
                let message = format!(
                    "The recovery journal holds edits that could not be saved: {}, which is no \
                     longer there. Open that workspace where it is now and they are offered \
                     back with its document. The entry {} is a layer file that can also be \
                     copied back by hand.",
                    words,
                    orphan.entry.display()
                );
                let buttons = [
                    (
                        "Dismiss",
                        "Hide this message until the next start",
                        Command::DismissJournalOrphan(i),
                    ),
                    (
                        "Discard edits",
                        "Delete these recovered edits for good",
                        Command::DiscardJournalOrphan(i),
                    ),
                ];
                command_banner(ui, look, title, &message, &buttons, commands);
            }
            for (i, b) in app.durability.banners.iter().enumerate() {
                let look = banner_colors(b.kind, dark);
                let title = RichText::new(banner_title(b.kind)).strong();
                let buttons = [("Dismiss", "Hide this message", Command::DismissBanner(i))];
                command_banner(ui, look, title, &b.text, &buttons, commands);
            }
        });
}

/// A banner in `(fill, stroke)` whose buttons (label, tooltip, command) stand for commands:
/// a click pushes the button's command.
fn command_banner(
    ui: &mut Ui,
    (fill, stroke): (Color32, Color32),
    title: RichText,
    message: &str,
    buttons: &[(&str, &str, Command)],
    commands: &mut Vec<Command>,
) {
    let labels: Vec<(&str, &str)> = buttons.iter().map(|(b, h, _)| (*b, *h)).collect();
    let clicked = banner_with(ui, fill, stroke, title, message, &labels);
    if let Some((_, _, command)) = clicked.and_then(|i| buttons.get(i)) {
        commands.push(command.clone());
    }
}

/// A banner with several buttons at the right, in the order given.
/// Returns the index of the clicked one.
fn banner_with(
    ui: &mut Ui,
    fill: Color32,
    stroke: Color32,
    title: RichText,
    message: &str,
    buttons: &[(&str, &str)],
) -> Option<usize> {
    let mut clicked = None;
    outlined_box(ui, fill, stroke, egui::Margin::symmetric(10, 6), |ui| {
        ui.horizontal(|ui| {
            ui.label(title);
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                // Right to left: the last button is drawn first, so they read in order.
                for (i, (button, hover)) in buttons.iter().enumerate().rev() {
                    if ui.small_button(*button).on_hover_text(*hover).clicked() {
                        clicked = Some(i);
                    }
                }
            });
        });
        ui.add(egui::Label::new(message).wrap());
    });
    ui.add_space(2.0);
    clicked
}

/// The Orphans section of the right panel, drawn whenever the document has orphans.
pub fn orphans_section(app: &MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    let Some(open) = &app.open else { return };
    let orphans = open.doc.orphans();
    if orphans.is_empty() {
        return;
    }
    let Some(ws) = &app.ws else { return };
    let tags = ws.tags();
    let weak = theme::weak(ui.visuals());
    let read_only = app.read_only();
    let has_selection = open.view.selected_range().is_some();
    let (fill, stroke) = banner_colors(BannerKind::TextChanged, ui.visuals().dark_mode);
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.heading("Orphans");
        ui.label(RichText::new(format!("{}", orphans.len())).strong());
    });
    ui.add(
        egui::Label::new(
            RichText::new(
                "Spans that could not be found in the changed text. Select where one belongs, \
                 then re-attach it, or delete it.",
            )
            .small()
            .color(weak),
        )
        .wrap(),
    );
    egui::ScrollArea::vertical()
        .id_salt("orphans")
        .max_height(ui.available_height() * 0.35)
        .show(ui, |ui| {
            for o in orphans {
                let s = &o.span;
                ui.push_id(s.id, |ui| {
                    outlined_box(ui, fill, stroke, egui::Margin::same(6), |ui| {
                        ui.horizontal(|ui| {
                            theme::tag_chip(ui, tags, &s.tag);
                            ui.label(
                                RichText::new(format!(
                                    "#{} · was chars {}–{}",
                                    s.id, s.start, s.end
                                ))
                                .small()
                                .color(weak),
                            );
                        });
                        ui.add(
                            egui::Label::new(
                                RichText::new(format!("“{}”", excerpt(&s.exact, 160))).italics(),
                            )
                            .wrap(),
                        );
                        if !s.note.is_empty() {
                            ui.add(
                                egui::Label::new(
                                    RichText::new(format!("Note: {}", excerpt(&s.note, 160)))
                                        .small(),
                                )
                                .wrap(),
                            );
                        }
                        ui.horizontal(|ui| {
                            let reattach = ui
                                .add_enabled(
                                    !read_only && has_selection,
                                    egui::Button::new("Re-attach to selection"),
                                )
                                .on_hover_text("Place this span over the selected text")
                                .on_disabled_hover_text(if read_only {
                                    "Another annotator's layer is read-only"
                                } else {
                                    "Select the text where it belongs first"
                                });
                            if reattach.clicked() {
                                commands.push(Command::ReattachOrphan(s.id));
                            }
                            if ui
                                .add_enabled(!read_only, egui::Button::new("Delete"))
                                .on_hover_text(format!(
                                    "Delete this orphan ({} brings it back)",
                                    app.keymap.key(Action::Undo)
                                ))
                                .clicked()
                            {
                                commands.push(Command::DeleteOrphan(s.id));
                            }
                        });
                    });
                });
                ui.add_space(3.0);
            }
        });
    ui.separator();
}

/// Marks a fuzzy span's row in the span list: a dashed outline and a "?" badge.
pub fn mark_fuzzy_row(ui: &Ui, rect: egui::Rect, span: &Span) {
    if !is_fuzzy(span) {
        return;
    }
    let color = fuzzy_color(ui.visuals());
    let r = rect.shrink(1.0);
    let p = ui.painter();
    theme::dashed_rect(p, r, Stroke::new(1.0, color));
    // Bottom right, over the short second line rather than the tag and quote.
    let c = egui::pos2(r.right() - 12.0, r.bottom() - 10.0);
    p.circle_filled(c, 8.0, color);
    p.text(
        c,
        egui::Align2::CENTER_CENTER,
        "?",
        egui::FontId::proportional(12.0),
        Color32::WHITE,
    );
}

/// The colour of "position uncertain" marks (the text view's dashed outlines too).
pub fn fuzzy_color(v: &egui::Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_rgb(220, 160, 50)
    } else {
        Color32::from_rgb(190, 110, 0)
    }
}

/// In the selected span's details: a fuzzy span's warning and its "Confirm position" button.
pub fn fuzzy_details(
    ui: &mut Ui,
    keymap: &super::Keymap,
    span: &Span,
    read_only: bool,
    commands: &mut Vec<Command>,
) {
    if !is_fuzzy(span) {
        return;
    }
    let color = fuzzy_color(ui.visuals());
    let none = Color32::TRANSPARENT;
    outlined_box(ui, none, color, egui::Margin::same(6), |ui| {
        ui.add(
            egui::Label::new(
                RichText::new(if is_ambiguous(span) {
                    "? Position uncertain: the text changed and these words now occur more \
                         than once; this span was put on one of the copies. Check that it is \
                         the right one."
                } else {
                    "? Position uncertain: the text changed and this span was placed \
                         approximately. Check that it covers the right words."
                })
                .color(color),
            )
            .wrap(),
        );
        let command = Action::ConfirmAnchor.command();
        let hover = keymap.hover("Keep it where it is", Action::ConfirmAnchor);
        if ui
            .add_enabled(!read_only, egui::Button::new("Confirm position"))
            .on_hover_text(hover)
            .clicked()
        {
            commands.push(command);
        }
    });
    ui.add_space(2.0);
}

/// What the user can do about a document that cannot be opened.
fn advice_for(problem: &str) -> &'static str {
    if problem.contains("not valid UTF-8") {
        "The text file is not UTF-8. Convert it, for example with \
         `iconv -f windows-1252 -t utf-8 old.txt > new.txt`, and replace the file. \
         Its annotation file, if any, is left as it is."
    } else if problem.contains("limit") && !problem.contains("annotation") {
        "The text is larger than the size limit. Split it, or raise the limit with the \
         MARGINALIA_MAX_TEXT_BYTES environment variable and restart Marginalia."
    } else if problem.contains(".ron") {
        "The annotation file could not be used, so it was not opened and will not be \
         overwritten. Fix the place the error names (line:column) in a text editor, or restore the file \
         (for example `git checkout -- <file>`), then choose the document again. \
         `marginalia validate` checks every file."
    } else {
        "Fix the file the error names, then choose the document again."
    }
}

/// The centre when the chosen document cannot be opened: the full error and what to do.
/// Returns whether it drew anything.
pub fn problem_page(app: &MarginaliaApp, ui: &mut Ui) -> bool {
    let Some(rel) = &app.durability.problem else {
        return false;
    };
    let Some(problem) = app
        .entries
        .iter()
        .find(|e| &e.rel == rel)
        .and_then(|e| e.error.as_ref())
    else {
        return false;
    };
    let err = theme::error_color(ui.visuals());
    ui.add_space(24.0);
    ui.vertical(|ui| {
        ui.set_max_width(720.0);
        ui.heading(RichText::new(format!("Cannot open {rel}")).color(err));
        ui.add_space(8.0);
        let fill = ui.visuals().faint_bg_color;
        outlined_box(ui, fill, err, egui::Margin::same(10), |ui| {
            ui.add(
                egui::Label::new(RichText::new(problem).monospace())
                    .wrap()
                    .selectable(true),
            );
        });
        ui.add_space(10.0);
        ui.label(RichText::new("What to do").strong());
        ui.add(egui::Label::new(advice_for(problem)).wrap());
        ui.add_space(6.0);
        ui.add(
            egui::Label::new(
                RichText::new("Nothing was written: your annotations on disk are unchanged.")
                    .color(theme::weak(ui.visuals())),
            )
            .wrap(),
        );
    });
    true
}

/// Hover text for a document the list shows with an error.
pub fn problem_hover(problem: &str) -> String {
    format!("{problem}\n\nClick for details and what to do.")
}

/// A rounded box filled with `fill` and outlined in `stroke`, as wide as the space: the frame of
/// this file's notices and warnings.
fn outlined_box<R>(
    ui: &mut Ui,
    fill: Color32,
    stroke: Color32,
    margin: egui::Margin,
    contents: impl FnOnce(&mut Ui) -> R,
) -> egui::InnerResponse<R> {
    egui::Frame::new()
        .fill(fill)
        .stroke(Stroke::new(1.0, stroke))
        .corner_radius(4.0)
        .inner_margin(margin)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            contents(ui)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_names_the_fix_for_each_kind_of_problem() {
        assert!(
            advice_for("a.txt: not valid UTF-8 (first bad byte at byte offset 3)")
                .contains("iconv")
        );
        assert!(
            advice_for("/w/annotations/x/a.ron: not a valid annotation file: x")
                .contains("overwritten")
        );
    }

    #[test]
    fn a_notice_about_an_outside_change_is_an_external_change_banner_shown_once() {
        let mut d = Durability::default();
        let n = "f.ron was changed outside this window; merged by span id: 1 of their spans added"
            .to_owned();
        d.arrived(vec![n.clone(), n]);
        assert_eq!(d.banners().len(), 1);
        assert_eq!(d.banners()[0].kind, BannerKind::ExternalChange);
    }
}
