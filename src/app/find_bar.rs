//! The find bar (Ctrl+F) above the text: it searches the open document through the core's
//! [`crate::assist::find`] on a background thread, shows the hits as they come, steps through them,
//! and tags every hit at once (Alt + a tag's key) as one undo step.

use std::time::Duration;

use egui::{Key, RichText, Ui};

use crate::assist::find::{FindJob, FindOptions, Hit, Matcher};

use super::commands::FindCommand;
use super::registry::FindKey;
use super::{Command, MarginaliaApp, theme};

/// The id of the bar's text field, so Ctrl+F can focus it.
const FIELD: &str = "find field";
/// Tagging more hits than this at once asks first.
pub const CONFIRM_ABOVE: usize = 50;
/// Hits tagged in one frame: more are tagged a slice a frame, as one undo step, so that no
/// frame takes more than about 60 ms (100,000 hits in one frame took 144–183 ms).
pub const SLICE: usize = 15_000;

/// A tag all of more than [`SLICE`] hits, going a slice a frame inside one compound edit of
/// the document `rel`.
struct Bulk {
    rel: String,
    tag: crate::model::tags::Tag,
    hits: Vec<Hit>,
    /// The first hit not tagged yet.
    next: usize,
    added: usize,
    already: usize,
}

/// The bar's state.
#[derive(Default)]
pub struct FindBar {
    open: bool,
    query: String,
    options: FindOptions,
    hits: Vec<Hit>,
    current: Option<usize>,
    job: Option<FindJob>,
    capped: bool,
    error: Option<String>,
    /// What `hits` were found for: the query, options and document.
    searched: Option<(String, FindOptions, String)>,
    /// The first hit at or after this char becomes the current one.
    from: usize,
    focus: bool,
    field_had_focus: bool,
    /// The tag waiting for "yes" before many hits are tagged.
    confirm: Option<String>,
    bulk: Option<Bulk>,
}

impl FindBar {
    /// Whether the bar is shown.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Whether the bar's field had the keyboard at the end of the last frame.
    pub fn field_had_focus(&self) -> bool {
        self.field_had_focus
    }

    /// The hits to paint (none when the bar is closed).
    pub fn hits(&self) -> &[Hit] {
        if self.open { &self.hits } else { &[] }
    }

    /// The current hit.
    pub fn current_hit(&self) -> Option<Hit> {
        self.current
            .filter(|_| self.open)
            .and_then(|i| self.hits.get(i).copied())
    }

    /// "3 of 17", "17 hits", "no hits", "searching… 12"; "type to find" while the field is
    /// empty (nothing was looked for, so "no hits" would be untrue).
    pub fn count_text(&self) -> String {
        if self.query.is_empty() {
            return "type to find".to_owned();
        }
        let n = self.hits.len();
        let more = if self.capped { "+" } else { "" };
        if self.job.is_some() {
            return format!("searching… {n}");
        }
        match self.current {
            _ if n == 0 => "no hits".to_owned(),
            Some(i) => format!("{} of {n}{more}", i + 1),
            None => format!("{n}{more} hits"),
        }
    }
}

/// Takes the hits found since the last frame; starts a new search when the query, the
/// options or the document changed.
pub(super) fn poll(app: &mut MarginaliaApp, ctx: &egui::Context) {
    let bar = &mut app.find;
    if !bar.open {
        bar.job = None;
        return;
    }
    let Some(open) = &mut app.open else { return };
    let key = (bar.query.clone(), bar.options, open.doc.rel().to_owned());
    let mut wait = Duration::ZERO;
    if bar.searched.as_ref() != Some(&key) {
        bar.searched = Some(key);
        bar.job = None;
        bar.hits.clear();
        bar.current = None;
        bar.capped = false;
        bar.confirm = None;
        bar.error = None;
        bar.from = open.view.selected_range().map_or(0, |r| r.0);
        match Matcher::new(&bar.query, bar.options) {
            Err(e) => bar.error = Some(e.to_string()),
            Ok(None) => {}
            Ok(Some(m)) => match FindJob::start(m.clone(), open.doc.text().shared()) {
                Ok(job) => {
                    bar.job = Some(job);
                    // Small texts are searched within this, and show no "searching…" flash.
                    wait = Duration::from_millis(30);
                }
                Err(_) => bar.hits = m.find_all(open.doc.text().as_str()),
            },
        }
    }
    if let Some(job) = &mut bar.job {
        job.poll(&mut bar.hits, wait);
        if job.is_done() {
            bar.capped = job.is_capped();
            bar.job = None;
        } else {
            ctx.request_repaint_after(Duration::from_millis(30));
        }
    }
    if bar.current.is_none() && !bar.hits.is_empty() {
        let first = bar.hits.partition_point(|h| h.start < bar.from);
        if first < bar.hits.len() || bar.job.is_none() {
            let i = first % bar.hits.len();
            go_to(bar, open, i);
        }
    }
}

fn go_to(bar: &mut FindBar, open: &mut super::OpenDoc, i: usize) {
    bar.current = Some(i);
    let Hit { start: a, end: b } = bar.hits[i];
    open.view
        .set_selection(Some(super::text_view::Selection { anchor: a, head: b }));
    open.view.scroll_to_char(a);
}

/// Draws the bar above the text, when it is open.
pub(super) fn draw(app: &mut MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    let bar = &mut app.find;
    if !bar.open {
        return;
    }
    let v = ui.visuals().clone();
    ui.horizontal_wrapped(|ui| {
        // First, so that a narrow window wraps the count, never the way out.
        if ui
            .small_button("✕")
            .on_hover_text("Close (Esc); the current hit stays selected")
            .clicked()
        {
            commands.push(Command::Find(FindCommand::Close));
        }
        ui.label("Find");
        let id = egui::Id::unique(FIELD);
        // The toggles, arrows, count and close button need about 300 points.
        let width = (ui.available_width() - 330.0).clamp(100.0, 260.0);
        let r = ui.add(
            egui::TextEdit::singleline(&mut bar.query)
                .id(id)
                .desired_width(width)
                .hint_text("text to find"),
        );
        if std::mem::take(&mut bar.focus) {
            r.request_focus();
        }
        if r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
            let back = ui.input(|i| i.modifiers.shift);
            commands.push(Command::Find(if back {
                FindCommand::Prev
            } else {
                FindCommand::Next
            }));
            r.request_focus();
        }
        bar.field_had_focus = r.has_focus();
        let toggle = |ui: &mut Ui, on: &mut bool, text: &str, hover: &str| {
            let clicked = ui
                .selectable_label(*on, RichText::new(text).monospace())
                .on_hover_text(hover)
                .clicked();
            if clicked {
                *on = !*on;
            }
            clicked
        };
        // After a toggle the keyboard goes back to the field.
        bar.focus |= toggle(ui, &mut bar.options.case_sensitive, "Aa", "Match case");
        bar.focus |= toggle(ui, &mut bar.options.whole_word, "W", "Whole words only");
        bar.focus |= toggle(ui, &mut bar.options.regex, ".*", "Regular expression");
        if ui
            .small_button("▲")
            .on_hover_text(format!("Previous hit ({})", FindKey::Prev.text()))
            .clicked()
        {
            commands.push(Command::Find(FindCommand::Prev));
        }
        if ui
            .small_button("▼")
            .on_hover_text(format!("Next hit ({})", FindKey::Next.text()))
            .clicked()
        {
            commands.push(Command::Find(FindCommand::Next));
        }
        match &bar.error {
            Some(e) => {
                // On one line, beside the field (wrapped, it ran under the "Find" label); the
                // whole message on hover.
                ui.add(egui::Label::new(RichText::new(e).color(theme::error_color(&v))).truncate())
                    .on_hover_text(e);
            }
            None => {
                ui.label(bar.count_text())
                    .on_hover_text("Alt + a tag's key tags every hit");
            }
        }
    });
    if let Some(b) = &bar.bulk {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!(
                    "Tagging {} of {} hits as {}…",
                    b.next,
                    b.hits.len(),
                    b.tag.name
                ))
                .color(theme::weak(&v)),
            );
            if ui
                .button("Cancel")
                .on_hover_text("Esc: stop, and take back what was tagged")
                .clicked()
            {
                commands.push(Command::Find(FindCommand::CancelBulk));
            }
        });
    } else if let Some(tag) = bar.confirm.clone() {
        let n = bar.hits.len();
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Tag all {n} hits as {tag}?")).color(theme::weak(&v)));
            if ui.button(format!("Tag {n}")).clicked() {
                commands.push(Command::Find(FindCommand::TagAll {
                    tag: tag.clone(),
                    confirmed: true,
                }));
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::Find(FindCommand::CancelConfirm));
            }
        });
    }
}

/// Applies a find bar command.
pub(super) fn apply(app: &mut MarginaliaApp, ctx: &egui::Context, c: FindCommand) {
    match c {
        FindCommand::Open => {
            if app.open.is_none() {
                app.status_line = format!(
                    "Open a document first, then {} finds in it",
                    app.keymap.key(super::Action::Find)
                );
                return;
            }
            app.find.open = true;
            app.find.focus = true;
            ctx.memory_mut(|m| m.request_focus(egui::Id::unique(FIELD)));
        }
        FindCommand::Close => {
            app.find.open = false;
            app.find.job = None;
            app.find.confirm = None;
            app.find.searched = None;
            app.find.field_had_focus = false;
            ctx.memory_mut(|m| m.surrender_focus(egui::Id::unique(FIELD)));
            if let Some(range) = app.selected_text_range() {
                app.selected_span = None;
                app.status_while(
                    "The hit stays selected: a tag's key tags it".into(),
                    super::StatusWhile::TextSelected(range),
                );
            }
        }
        FindCommand::Next | FindCommand::Prev => {
            let bar = &mut app.find;
            let Some(open) = &mut app.open else { return };
            let n = bar.hits.len();
            if n == 0 {
                return;
            }
            let i = match (bar.current, c == FindCommand::Next) {
                (Some(i), true) => (i + 1) % n,
                (Some(i), false) => (i + n - 1) % n,
                (None, _) => 0,
            };
            go_to(bar, open, i);
            app.selected_span = None;
        }
        FindCommand::CancelConfirm => app.find.confirm = None,
        FindCommand::CancelBulk => cancel_bulk(app),
        FindCommand::TagAll { tag, confirmed } => tag_all(app, &tag, confirmed),
    }
}

fn tag_all(app: &mut MarginaliaApp, tag: &str, confirmed: bool) {
    if app.refuse_read_only() {
        return;
    }
    if app.find.job.is_some() {
        app.status_line = "Still searching: tag the hits once the count is complete".into();
        return;
    }
    if app.find.bulk.is_some() {
        return;
    }
    let Some(schema) = app.ws.as_ref().and_then(|w| w.tags().get(tag).cloned()) else {
        return;
    };
    let bar = &mut app.find;
    let Some(open) = &mut app.open else { return };
    let total = bar.hits.len();
    if total == 0 {
        app.status_line = "No hits to tag".into();
        return;
    }
    let asked = bar.confirm.as_deref() == Some(tag);
    if total > CONFIRM_ABOVE && !confirmed && !asked {
        bar.confirm = Some(tag.to_owned());
        return;
    }
    bar.confirm = None;
    if total > SLICE {
        // A slice a frame (see `step_bulk`), all in one undo step.
        open.doc.begin_compound();
        bar.bulk = Some(Bulk {
            rel: open.doc.rel().to_owned(),
            tag: schema,
            hits: bar.hits.clone(),
            next: 0,
            added: 0,
            already: 0,
        });
        step_bulk(app);
        return;
    }
    let crate::session::tag_all::Tagged { added, already, .. } =
        crate::session::tag_all::tag_hits(&mut open.doc, &bar.hits, &schema);
    app.after_edit();
    app.status_line = tagged_message(added, already, total, tag);
}

/// "tagged 15 of 17 as quote; 2 were already tagged".
fn tagged_message(added: usize, already: usize, total: usize, tag: &str) -> String {
    let mut msg = format!("tagged {added} of {total} as {tag}");
    if already > 0 {
        let verb = if already == 1 { "was" } else { "were" };
        msg.push_str(&format!("; {already} {verb} already tagged"));
    }
    msg
}

/// Whether a tag all is going a slice a frame (undo and redo wait for it).
pub(super) fn bulk_running(app: &MarginaliaApp) -> bool {
    app.find.bulk.is_some()
}

/// Tags the next slice of a large tag all; the last one ends its undo step. Called every frame.
pub(super) fn step_bulk(app: &mut MarginaliaApp) {
    // One slice a frame, not one a pass (egui may lay a frame out twice).
    if app.ctx.current_pass_index() == 0 {
        bulk_slice(app, SLICE);
    }
}

/// Tags what is left of a large tag all at once, before the document is saved and left
/// (another document, quitting, a signal): its undo step is whole, and the file holds all of it.
pub(super) fn finish_bulk(app: &mut MarginaliaApp) {
    bulk_slice(app, usize::MAX);
}

/// Tags up to `slice` more hits of the tag all going on, and ends it after the last.
fn bulk_slice(app: &mut MarginaliaApp, slice: usize) {
    let Some(b) = &mut app.find.bulk else { return };
    let Some(open) = app.open.as_mut().filter(|o| o.doc.rel() == b.rel) else {
        // The document was closed: what was tagged in it was saved with it.
        app.find.bulk = None;
        app.status_line = "Tagging stopped: the document was closed".into();
        return;
    };
    let end = b.next.saturating_add(slice).min(b.hits.len());
    let t = crate::session::tag_all::tag_hits(&mut open.doc, &b.hits[b.next..end], &b.tag);
    b.added += t.added;
    b.already += t.already;
    b.next = end;
    if end < b.hits.len() {
        app.status_line = format!("Tagging {end} of {} hits as {}…", b.hits.len(), b.tag.name);
        app.ctx.request_repaint();
        return;
    }
    open.doc.end_compound();
    let (added, already, total) = (b.added, b.already, b.hits.len());
    let tag = b.tag.name.clone();
    app.find.bulk = None;
    app.after_edit();
    app.status_line = tagged_message(added, already, total, &tag);
}

/// Stops a tag all going a slice a frame and takes back what it added (one undo step).
fn cancel_bulk(app: &mut MarginaliaApp) {
    let Some(b) = app.find.bulk.take() else {
        return;
    };
    if let Some(open) = app.open.as_mut().filter(|o| o.doc.rel() == b.rel) {
        if open.doc.end_compound() {
            open.doc.undo_step();
        }
        app.after_edit();
    }
    app.status_line = format!("Cancelled: no hit was tagged as {}", b.tag.name);
}
