//! Review mode in the window: choose one or two layers of the open text, see them overlaid and
//! side by side, and decide item by item from the keyboard. Decisions go through
//! [`crate::session::review::Review`], which writes the curated layer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use egui::{Align, Key, Layout, RichText, Sense, Ui, vec2};

use crate::model::layer::{Span, Status};
use crate::model::span_index::SpanIndex;
use crate::model::tags::TagSet;
use crate::session::engine::Editing;
use crate::session::review::{Decision, ItemState, RelationDecision, Review};
use crate::team::compare::{ItemKind, SpanFeedback, Verdict};
use crate::workspace::CURATED_LAYER;

use super::commands::{DecisionKey, ReviewCommand};
use super::registry::{Action, Keymap, Menu, ReviewKey, menu_item};
use super::text_view::{Badge, ReviewMark, TextView, ViewInput, excerpt};
use super::{BASE_FONT_SIZE, Command, MarginaliaApp, theme};

/// Keys the strip names: a chord of a registry command, or the tag keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripKey {
    Review(ReviewKey),
    /// Chord number `.1` of an action.
    App(Action, usize),
    /// The tag set's hotkeys.
    Tags,
}

/// One item of the strip's keys, joined by " / ".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripKeys(pub &'static [StripKey]);

impl StripKeys {
    /// The keys as the strip shows them with `keymap` and `tags` ("n / p", "1–4").
    pub fn text(&self, keymap: &Keymap, tags: &TagSet) -> String {
        let parts: Vec<String> = (self.0.iter())
            .map(|k| match *k {
                StripKey::Review(r) => keymap.hint(r, 0),
                StripKey::App(a, slot) => keymap.hint(a, slot),
                StripKey::Tags => tag_keys_text(tags),
            })
            .collect();
        parts.join(" / ")
    }
}

/// With no rebinding and the default tags: what the strip shows when nothing is changed.
impl std::fmt::Display for StripKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(&Keymap::default(), &TagSet::default()))
    }
}

/// The tag keys in a few characters: "1–4" when they count up from one digit, else each.
fn tag_keys_text(tags: &TagSet) -> String {
    let keys: Vec<&str> = (tags.tags.iter())
        .map(|t| t.hotkey.as_str())
        .filter(|k| !k.is_empty())
        .collect();
    let digits: Vec<u32> = keys.iter().filter_map(|k| k.parse().ok()).collect();
    let counting = digits.len() == keys.len() && digits.windows(2).all(|w| w[1] == w[0] + 1);
    match (keys.first(), keys.last()) {
        (Some(a), Some(b)) if counting && keys.len() > 2 => format!("{a}–{b}"),
        _ => keys.join("/"),
    }
}

/// The keys of review mode the window's strip names, in its order, with what they do; the
/// keys come from the keymap (and the tag set) when drawn.
pub const KEYS: &[(StripKeys, &str)] = {
    use StripKey::{App, Review as R, Tags};
    &[
        (
            StripKeys(&[R(ReviewKey::Next), R(ReviewKey::Prev)]),
            "next / previous undecided",
        ),
        (StripKeys(&[R(ReviewKey::AcceptA)]), "accept A"),
        (StripKeys(&[R(ReviewKey::AcceptB)]), "accept B"),
        (StripKeys(&[R(ReviewKey::AcceptBoth)]), "accept both"),
        (StripKeys(&[R(ReviewKey::Reject)]), "reject (asks why)"),
        (
            StripKeys(&[R(ReviewKey::EditAccept)]),
            "edit: accept with the selected text as boundaries",
        ),
        (StripKeys(&[Tags]), "edit: accept with that tag"),
        (StripKeys(&[R(ReviewKey::Comment)]), "comment"),
        (
            StripKeys(&[R(ReviewKey::AcceptAllAgreed)]),
            "accept all agreed",
        ),
        (StripKeys(&[R(ReviewKey::Reopen)]), "reopen (undecide)"),
        (
            StripKeys(&[App(Action::Undo, 0), App(Action::Redo, 1)]),
            "undo / redo",
        ),
        (StripKeys(&[R(ReviewKey::ToggleReviewed)]), "mark reviewed"),
        (StripKeys(&[App(Action::Review, 0)]), "leave review"),
    ]
};

/// The "Review…" dialog's choices.
pub struct LayerChooser {
    rel: String,
    a: String,
    b: Option<String>,
    /// Layers with a file for this text, other than the reviewer's and `curated`.
    candidates: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Prompt {
    Reason,
    Comment,
    /// A value of this attribute.
    Value(String),
}

/// An open review and what the window shows of it.
pub struct ReviewMode {
    pub(super) review: Review,
    view: TextView,
    /// A's and B's spans, each given a fresh id (`item * 2 + side`) so the sides never clash.
    spans: Vec<Span>,
    marks: Vec<ReviewMark>,
    index: SpanIndex,
    /// Item → the id of its first span in `spans`, if it has one.
    first_span_of_item: Vec<Option<u64>>,
    selected: Option<usize>,
    prompt: Option<Prompt>,
    prompt_buf: String,
    /// Scroll the item list to the selected item once.
    list_follows: bool,
    /// A decision just moved the selection on to the next undecided item: the next `n` stays
    /// there instead of skipping it, so "n, a, n, b" decides every item.
    auto_advanced: bool,
}

impl ReviewMode {
    /// Whether a reason, comment or value is being asked for.
    pub fn has_prompt(&self) -> bool {
        self.prompt.is_some()
    }

    fn new(review: Review) -> Self {
        let view = TextView::new(review.text());
        let mut mode = Self {
            review,
            view,
            spans: Vec::new(),
            marks: Vec::new(),
            index: SpanIndex::default(),
            first_span_of_item: Vec::new(),
            selected: None,
            prompt: None,
            prompt_buf: String::new(),
            list_follows: false,
            auto_advanced: false,
        };
        mode.refresh();
        mode
    }

    /// The open review.
    pub fn review(&self) -> &Review {
        &self.review
    }

    /// The text view (where its chars were painted, for tests).
    pub fn view(&self) -> &TextView {
        &self.view
    }

    /// The selected item.
    pub fn selected(&self) -> Option<usize> {
        self.selected
    }

    /// Rebuilds the overlay after a decision. O(n log n), never per frame.
    fn refresh(&mut self) {
        let names = self.review.layer_names().join(" / ");
        let names: Vec<&str> = names.split(" / ").collect();
        self.spans.clear();
        self.marks.clear();
        self.first_span_of_item.clear();
        for (i, item) in self.review.items().iter().enumerate() {
            self.first_span_of_item.push(None);
            let decided = self.review.state(i) == ItemState::Decided;
            let conflict = matches!(
                item.kind,
                ItemKind::TagConflict | ItemKind::BoundaryConflict | ItemKind::ValueConflict
            );
            let sides: Vec<(u8, &Span)> = if item.kind == ItemKind::Agreed {
                item.a.iter().map(|s| (2, s)).collect()
            } else {
                item.a
                    .iter()
                    .map(|s| (0, s))
                    .chain(item.b.iter().map(|s| (1, s)))
                    .collect()
            };
            for (side, s) in sides {
                let mut span = s.clone();
                span.id = i as u64 * 2 + u64::from(side.min(1));
                let who = match side {
                    0 => format!("A: {}", names.first().copied().unwrap_or("A")),
                    1 => format!("B: {}", names.get(1).copied().unwrap_or("B")),
                    _ => "A and B".to_owned(),
                };
                span.note = format!("{who} · {}", item.kind.label());
                self.spans.push(span);
                self.marks.push(ReviewMark {
                    side,
                    conflict,
                    decided,
                });
                self.first_span_of_item[i].get_or_insert(i as u64 * 2 + u64::from(side.min(1)));
            }
        }
        self.index = SpanIndex::build(&self.spans);
    }

    fn select(&mut self, i: usize) {
        if let Some(item) = self.review.items().get(i) {
            self.selected = Some(i);
            self.view.scroll_to_char(item.range().start);
            self.list_follows = true;
            self.auto_advanced = false;
        }
    }
}

/// The layers that can be reviewed for `rel`: those with a file, except the reviewer's and
/// `curated`.
fn reviewable_layers(app: &MarginaliaApp, rel: &str) -> Vec<String> {
    let Some(ws) = &app.ws else { return Vec::new() };
    ws.layer_names()
        .into_iter()
        .filter(|n| n != CURATED_LAYER && *n != app.prefs.annotator)
        .filter(|n| ws.layer_path(n, rel).is_some_and(|p| p.is_file()))
        .collect()
}

/// The document list's review line for `rel`, if it has a curated file.
pub fn progress_text(app: &MarginaliaApp, rel: &str) -> Option<String> {
    let (d, n, reviewed) = *app.review_progress.get(rel)?;
    Some(if reviewed {
        format!("review: reviewed ({d}/{n})")
    } else {
        format!("review: {d} of {n} decided")
    })
}

/// The top bar's entries: "Review…" and "Agreement".
pub fn top_bar_buttons(app: &MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    // One menu, so the top bar still fits a 1024-pixel window.
    ui.menu_button("Review", |ui| {
        for action in Action::in_menu(Menu::Review) {
            let enabled = match action {
                Action::Review => app.open.is_some(),
                _ => app.ws.is_some(),
            };
            let r = menu_item(ui, &app.keymap, action, enabled, app.prefs.dark);
            let r = match action {
                Action::Review => r.on_disabled_hover_text("Open a document first"),
                _ => r,
            };
            if r.clicked() {
                commands.push(action.command());
                ui.close();
            }
        }
    })
    .response
    .on_hover_text("Review mode and agreement");
}

/// Applies one review command.
pub fn apply(app: &mut MarginaliaApp, command: ReviewCommand) {
    match command {
        ReviewCommand::RestoreRecovered => {
            if let Some(mode) = &mut app.review
                && mode.review.restore_recovered()
            {
                mode.refresh();
                app.status_line = format!(
                    "Recovered decisions restored ({} takes them back out)",
                    app.keymap.key(Action::Undo)
                );
            }
        }
        ReviewCommand::DiscardRecovered => {
            if let Some(mode) = &mut app.review
                && mode.review.discard_recovered()
            {
                app.status_line = "Recovered decisions discarded".into();
            }
        }
        ReviewCommand::ChooseLayers => {
            let Some(rel) = app.open.as_ref().map(|o| o.doc.rel().to_owned()) else {
                app.status_line = "Open a document first, then choose Review…".into();
                return;
            };
            let candidates = reviewable_layers(app, &rel);
            if candidates.is_empty() {
                app.status_line = format!(
                    "{rel}: no other annotator's layer to review (you are {})",
                    app.prefs.annotator
                );
                return;
            }
            app.chooser = Some(LayerChooser {
                rel,
                a: candidates[0].clone(),
                b: candidates.get(1).cloned(),
                candidates,
            });
        }
        ReviewCommand::CloseChooser => app.chooser = None,
        ReviewCommand::Start { rel, a, b } => start(app, &rel, &a, b.as_deref()),
        ReviewCommand::Exit => {
            save_now(app);
            if let Some(mode) = app.review.take() {
                let rel = mode.review.rel().to_owned();
                app.reload_entries();
                app.open_document_rel(&rel);
                app.status_line = format!("Left review of {rel}");
                // The curated layer changed: the learned tagger follows, in the background.
                app.curated_changed();
            }
        }
        other => {
            let Some(mode) = &mut app.review else { return };
            let message = decide(mode, &app.keymap, other, app.ws.as_ref().map(|w| w.tags()));
            if let Some(m) = message {
                app.status_line = m;
            }
            mode.refresh();
            let rel = mode.review.rel().to_owned();
            let (d, n) = mode.review.progress();
            let reviewed = mode.review.curated().status == Status::Reviewed;
            app.review_progress.insert(rel, (d, n, reviewed));
            app.entries_gen += 1;
        }
    }
}

fn start(app: &mut MarginaliaApp, rel: &str, a: &str, b: Option<&str>) {
    app.save_pending();
    save_now(app);
    let Some(ws) = &app.ws else { return };
    let mut layers = vec![a];
    layers.extend(b);
    match Review::open(ws, rel, &layers, &app.prefs.annotator) {
        Ok(mut review) => {
            if let Some(j) = &app.journal {
                review.set_journal(j.clone());
            }
            let mut mode = ReviewMode::new(review);
            // The text reads the way it was set for annotating.
            if let Some(d) = app.prefs.directions.get(&ws.root().join(rel)) {
                mode.view.set_direction(*d);
            }
            let first = mode.review.next_undecided(None);
            if let Some(i) = first {
                mode.select(i);
                // Already on the first undecided item: a first `n` stays here.
                mode.auto_advanced = true;
            }
            let (d, n) = mode.review.progress();
            app.status_line = format!(
                "Reviewing {rel} as {}: {d} of {n} decided. {} = next undecided",
                app.prefs.annotator,
                app.keymap.hint(ReviewKey::Next, 0)
            );
            app.review = Some(mode);
            app.chooser = None;
        }
        Err(e) => app.status_line = format!("Cannot review: {e}"),
    }
}

fn save_now(app: &mut MarginaliaApp) {
    if let Some(mode) = &mut app.review
        && let Err(e) = mode.review.save_now()
    {
        app.status_line = format!("Review not saved: {e}");
    }
}

/// Saves pending decisions (before the app leaves or switches).
pub fn save_pending(app: &mut MarginaliaApp) {
    save_now(app);
}

/// Applies a decision-level command to the open review; returns a message for the status line.
fn decide(
    mode: &mut ReviewMode,
    keymap: &Keymap,
    command: ReviewCommand,
    tags: Option<&crate::model::tags::TagSet>,
) -> Option<String> {
    let need_item = |mode: &ReviewMode| -> Result<usize, String> {
        mode.selected.ok_or_else(|| choose_first(keymap))
    };
    let after_decision = |mode: &mut ReviewMode, i: usize, what: &str| -> String {
        let (d, n) = mode.review.progress();
        match mode.review.next_undecided(Some(i)) {
            Some(j) => {
                mode.select(j);
                mode.auto_advanced = true;
                format!("{what} — {d} of {n} decided; now on the next undecided item")
            }
            None => format!(
                "{what} — all {n} items decided; {} marks the document reviewed",
                keymap.hint(ReviewKey::ToggleReviewed, 0)
            ),
        }
    };
    match command {
        ReviewCommand::Select(i) => {
            mode.select(i);
            None
        }
        ReviewCommand::Next
            if mode.auto_advanced
                && mode
                    .selected
                    .is_some_and(|i| mode.review.state(i) == ItemState::Undecided) =>
        {
            // The decision already moved here; `n` must not skip this item.
            mode.auto_advanced = false;
            Some("Already on the next undecided item".into())
        }
        ReviewCommand::Next | ReviewCommand::Prev => {
            let next = if command == ReviewCommand::Next {
                mode.review.next_undecided(mode.selected)
            } else {
                mode.review.prev_undecided(mode.selected)
            };
            match next {
                Some(i) => {
                    mode.select(i);
                    None
                }
                None => Some("No undecided items left".into()),
            }
        }
        ReviewCommand::Decide(key) => {
            let i = match need_item(mode) {
                Ok(i) => i,
                Err(e) => return Some(e),
            };
            if let Err(why) = applies(mode, keymap, i, key) {
                return Some(why);
            }
            let (decision, what) = match key {
                DecisionKey::AcceptA => (Decision::AcceptA, "Accepted A"),
                DecisionKey::AcceptB => (Decision::AcceptB, "Accepted B"),
                DecisionKey::AcceptBoth => (Decision::AcceptBoth, "Accepted both"),
            };
            match mode.review.decide(i, decision) {
                Ok(()) => Some(after_decision(mode, i, what)),
                Err(e) => Some(format!("Cannot: {e}")),
            }
        }
        ReviewCommand::EditAccept(tag) => {
            let i = match need_item(mode) {
                Ok(i) => i,
                Err(e) => return Some(e),
            };
            let item = mode.review.items()[i].clone();
            let own = item.a.as_ref().or(item.b.as_ref())?;
            let (start, end) = mode.view.selected_range().unwrap_or((own.start, own.end));
            let tag = tag.unwrap_or_else(|| own.tag.clone());
            if tags.is_some_and(|t| !t.contains(&tag)) {
                return Some(format!("Unknown tag {tag}"));
            }
            match mode.review.decide(
                i,
                Decision::Edit {
                    start,
                    end,
                    tag: tag.clone(),
                },
            ) {
                Ok(()) => {
                    mode.view.set_selection(None);
                    Some(after_decision(
                        mode,
                        i,
                        &format!("Accepted as {tag}, chars {start}–{end}"),
                    ))
                }
                Err(e) => Some(format!("Cannot: {e}")),
            }
        }
        ReviewCommand::AskReason | ReviewCommand::AskComment => {
            if let Err(e) = need_item(mode) {
                return Some(e);
            }
            mode.prompt = Some(if command == ReviewCommand::AskReason {
                Prompt::Reason
            } else {
                Prompt::Comment
            });
            mode.prompt_buf.clear();
            None
        }
        ReviewCommand::ConfirmPrompt => {
            let (Some(prompt), Some(i)) = (mode.prompt.clone(), mode.selected) else {
                return None;
            };
            let text = mode.prompt_buf.trim().to_owned();
            if text.is_empty() {
                return Some(match prompt {
                    Prompt::Reason => "Say why it is rejected (the annotator will see it)".into(),
                    Prompt::Comment => "The comment is empty".into(),
                    Prompt::Value(name) => {
                        format!("Type a value for {name}, or pick one side's")
                    }
                });
            }
            mode.prompt = None;
            mode.prompt_buf.clear();
            match prompt {
                Prompt::Reason => match mode.review.decide(i, Decision::Reject { reason: text }) {
                    Ok(()) => Some(after_decision(mode, i, "Rejected")),
                    Err(e) => Some(format!("Cannot: {e}")),
                },
                Prompt::Comment => match mode.review.comment(i, &text) {
                    Ok(()) => Some("Comment added".into()),
                    Err(e) => Some(format!("Cannot: {e}")),
                },
                Prompt::Value(name) => Some(set_value(mode, i, &name, Some(text))),
            }
        }
        ReviewCommand::CancelPrompt => {
            if mode.prompt.take().is_none() {
                mode.view.set_selection(None);
            }
            None
        }
        ReviewCommand::SetValue { name, value } => {
            let i = match need_item(mode) {
                Ok(i) => i,
                Err(e) => return Some(e),
            };
            Some(set_value(mode, i, &name, value))
        }
        ReviewCommand::AskValue(name) => {
            let i = match need_item(mode) {
                Ok(i) => i,
                Err(e) => return Some(e),
            };
            mode.prompt_buf = mode.review.chosen_value(i, &name).unwrap_or("").to_owned();
            mode.prompt = Some(Prompt::Value(name));
            None
        }
        ReviewCommand::AcceptAllAgreed => {
            let n = mode.review.accept_all_agreed();
            Some(format!("Accepted {n} agreed items"))
        }
        ReviewCommand::Reopen => {
            let i = match need_item(mode) {
                Ok(i) => i,
                Err(e) => return Some(e),
            };
            Some(if mode.review.reopen(i) {
                "Item is undecided again".into()
            } else {
                "This item is not decided".into()
            })
        }
        ReviewCommand::DecideRelation { item, decision } => {
            let what = match &decision {
                RelationDecision::AcceptA => "accepted A's link",
                RelationDecision::AcceptB => "accepted B's link",
                RelationDecision::Reject { .. } => "rejected",
            };
            Some(match mode.review.decide_relation(item, decision) {
                Ok(()) => {
                    let (d, n) = mode.review.relation_progress();
                    format!(
                        "Relation {}: {what} — {d} of {n} relations decided",
                        item + 1
                    )
                }
                Err(e) => format!("Relation {}: {e}", item + 1),
            })
        }
        ReviewCommand::ReopenRelation(item) => Some(if mode.review.reopen_relation(item) {
            format!("Relation {} is undecided again", item + 1)
        } else {
            format!("Relation {} is not decided", item + 1)
        }),
        ReviewCommand::Undo => Some(match mode.review.undo_step() {
            Some(what) => format!("Undone: {what}"),
            None => "Nothing to undo".into(),
        }),
        ReviewCommand::Redo => Some(match mode.review.redo_step() {
            Some(what) => format!("Redone: {what}"),
            None => "Nothing to redo".into(),
        }),
        ReviewCommand::ToggleReviewed => {
            let reviewed = mode.review.curated().status == Status::Reviewed;
            mode.review.set_reviewed(!reviewed);
            Some(if reviewed {
                "Marked in progress".into()
            } else {
                "Marked reviewed".into()
            })
        }
        ReviewCommand::SaveNow => Some(match mode.review.save_now() {
            Ok(()) => "Saved".into(),
            Err(e) => format!("Not saved: {e}"),
        }),
        ReviewCommand::ChooseLayers
        | ReviewCommand::CloseChooser
        | ReviewCommand::Start { .. }
        | ReviewCommand::Exit
        | ReviewCommand::RestoreRecovered
        | ReviewCommand::DiscardRecovered => None,
    }
}

/// Sets a value of item `i`'s curated span; the status line's message.
fn set_value(mode: &mut ReviewMode, i: usize, name: &str, value: Option<String>) -> String {
    match mode.review.set_value(i, name, value.as_deref()) {
        Ok(()) => match value {
            Some(v) => format!("{name} = {v} in the curated layer"),
            None => format!("{name} left without a value in the curated layer"),
        },
        Err(e) => format!("Cannot: {e}"),
    }
}

/// "Choose an item first (n = next undecided)", with the key as bound.
fn choose_first(keymap: &Keymap) -> String {
    format!(
        "Choose an item first ({} = next undecided)",
        keymap.hint(ReviewKey::Next, 0)
    )
}

/// Whether decision `key` applies to item `i`: "Accept A" needs A's span, "Accept B" B's,
/// "Accept both" both. `Err` says why not (for the status line).
fn applies(mode: &ReviewMode, keymap: &Keymap, i: usize, key: DecisionKey) -> Result<(), String> {
    let Some(item) = mode.review.items().get(i) else {
        return Err(choose_first(keymap));
    };
    let two = mode.review.layer_names().len() == 2;
    let (has_a, has_b) = (item.a.is_some(), item.b.is_some());
    let (ok, what) = match key {
        DecisionKey::AcceptA => (has_a, "Accept A"),
        DecisionKey::AcceptB => (two && has_b, "Accept B"),
        // A value conflict is one span: two copies of it would be a duplicate.
        DecisionKey::AcceptBoth => (
            two && has_a && has_b && item.kind != ItemKind::ValueConflict,
            "Accept both",
        ),
    };
    if ok {
        Ok(())
    } else if !two {
        Err(format!("{what} needs two layers; this review has one"))
    } else {
        Err(format!(
            "{what} does not apply: this item is {}",
            item.kind.label()
        ))
    }
}

/// Saves when due, and picks up notices (every frame).
pub fn autosave(app: &mut MarginaliaApp, ctx: &egui::Context) {
    let Some(mode) = &mut app.review else { return };
    mode.review.save_if_due(Instant::now());
    if mode.review.reload_if_changed() {
        mode.refresh();
    }
    for n in mode.review.take_notices() {
        app.status_line = n;
    }
    if mode.review.has_unsaved() {
        ctx.request_repaint_after(Duration::from_millis(200));
    }
}

/// The "Review…" dialog.
pub fn draw_chooser(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    let reviewer = app.prefs.annotator.clone();
    let Some(ch) = &mut app.chooser else { return };
    let mut open = true;
    egui::Window::new("Review")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_TOP, vec2(0.0, 80.0))
        .show(ctx, |ui| {
            ui.label(format!("Review {} as {reviewer}.", ch.rel));
            ui.add_space(4.0);
            egui::Grid::new("review layers")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.label("Layer A");
                    egui::ComboBox::from_id_salt("review layer a")
                        .selected_text(ch.a.clone())
                        .show_ui(ui, |ui| {
                            for c in &ch.candidates {
                                ui.selectable_value(&mut ch.a, c.clone(), c);
                            }
                        });
                    ui.end_row();
                    ui.label("Layer B");
                    let shown =
                        ch.b.clone()
                            .unwrap_or_else(|| "none (check A alone)".into());
                    egui::ComboBox::from_id_salt("review layer b")
                        .selected_text(shown)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut ch.b, None, "none (check A alone)");
                            for c in &ch.candidates {
                                ui.selectable_value(&mut ch.b, Some(c.clone()), c);
                            }
                        });
                    ui.end_row();
                });
            let same = ch.b.as_deref() == Some(ch.a.as_str());
            if same {
                theme::error_text(ui, "Choose two different layers");
            }
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                let enter = ui.input(|i| i.key_pressed(Key::Enter));
                if ui
                    .add_enabled(!same, egui::Button::new("Start review"))
                    .on_hover_text("Enter")
                    .clicked()
                    || (enter && !same)
                {
                    commands.push(Command::Review(ReviewCommand::Start {
                        rel: ch.rel.clone(),
                        a: ch.a.clone(),
                        b: ch.b.clone(),
                    }));
                }
                if ui.button("Cancel").clicked() {
                    commands.push(Command::Review(ReviewCommand::CloseChooser));
                }
            });
        });
    if !open {
        commands.push(Command::Review(ReviewCommand::CloseChooser));
    }
}

/// Draws the whole window in review mode.
pub fn draw(app: &mut MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    let font_size = (BASE_FONT_SIZE * app.prefs.zoom).round();
    let Some(ws) = &app.ws else { return };
    let tags = ws.tags().clone();
    let status_line = app.status_line.clone();
    let keymap = &app.keymap;
    let side = theme::side_frame(app.cleared_by_gl, ui);
    let cleared_by_gl = app.cleared_by_gl;
    let Some(mode) = &mut app.review else { return };
    let bar = egui::Panel::top("review bar")
        .frame(side.inner_margin(egui::Margin::symmetric(8, 6)))
        .show(ui, |ui| review_bar(mode, keymap, ui, commands));
    app.bar_bottom = bar.response.rect.bottom();
    if let Some((rec, found)) = mode.review.recovered() {
        let message = format!(
            "Review decisions that could not be saved are in the recovery journal ({}): {} and {}, against {} and {} in the file. Restore merges them with the file's (decisions that reached the file since are kept; one undo step), or discard them.",
            found.entry.display(),
            crate::wording::plural(rec.spans.len(), "accepted span"),
            crate::wording::plural(rec.rejected.len(), "rejection"),
            crate::wording::plural(mode.review.curated().spans.len(), "accepted span"),
            crate::wording::plural(mode.review.curated().rejected.len(), "rejection")
        );
        egui::Panel::top("review recovered")
            .frame(egui::Frame::new().inner_margin(egui::Margin::symmetric(8, 4)))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new("Unsaved review decisions recovered").strong());
                    if ui.small_button("Restore").clicked() {
                        commands.push(Command::Review(ReviewCommand::RestoreRecovered));
                    }
                    if ui.small_button("Discard").clicked() {
                        commands.push(Command::Review(ReviewCommand::DiscardRecovered));
                    }
                });
                ui.add(egui::Label::new(message).wrap());
            });
    }
    let strip = egui::Panel::bottom("review keys")
        .frame(side)
        .show(ui, |ui| {
            let weak = theme::weak(ui.visuals());
            ui.horizontal_wrapped(|ui| {
                ui.spacing_mut().item_spacing.x = 14.0;
                for (k, what) in KEYS {
                    // One label per item, never wrapped inside: the strip breaks between items.
                    let style = ui.style();
                    let mut job = egui::text::LayoutJob::default();
                    RichText::new(format!("{} ", k.text(keymap, &tags)))
                        .monospace()
                        .strong()
                        .small()
                        .append_to(
                            &mut job,
                            style,
                            egui::FontSelection::Default,
                            egui::Align::Center,
                        );
                    RichText::new(*what).small().color(weak).append_to(
                        &mut job,
                        style,
                        egui::FontSelection::Default,
                        egui::Align::Center,
                    );
                    ui.add(egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend));
                }
            });
            ui.label(RichText::new(status_line).color(weak));
        });
    app.status_top = strip.response.rect.top();
    egui::Panel::right("review items")
        .frame(side)
        .resizable(true)
        .default_size(400.0)
        .size_range(300.0..=620.0)
        .show(ui, |ui| {
            let cx = PanelCx {
                mode,
                keymap,
                tags: &tags,
                commands,
            };
            item_panel(cx, ui);
        });
    let centre = theme::centre_fill(cleared_by_gl, ui);
    let colour = ui.visuals().extreme_bg_color;
    egui::CentralPanel::default()
        .frame(egui::Frame::central_panel(ui.style()).fill(centre))
        .show(ui, |ui| {
            theme::on_background(ui, colour, |ui| {
                legend(mode, ui);
                ui.separator();
                let selected_span =
                    (mode.selected).and_then(|i| mode.first_span_of_item.get(i).copied().flatten());
                let name = format!("review of {}", mode.review.rel());
                let input = ViewInput {
                    selected_span,
                    marks: Some(&mode.marks),
                    ..ViewInput::plain(
                        mode.review.text(),
                        &mode.spans,
                        &mode.index,
                        &tags,
                        font_size,
                        &name,
                    )
                };
                let mut view_commands = Vec::new();
                mode.view.show(ui, &input, &mut view_commands);
                for c in view_commands {
                    // A span's id is `item * 2 + side` (see `refresh`).
                    if let Command::SelectSpan { id, .. } = c
                        && let Ok(item) = usize::try_from(id / 2)
                        && item < mode.first_span_of_item.len()
                    {
                        commands.push(Command::Review(ReviewCommand::Select(item)));
                    }
                }
            });
        });
}

fn review_bar(mode: &ReviewMode, keymap: &Keymap, ui: &mut Ui, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Review").strong().size(16.0));
        ui.separator();
        let names = mode.review.layer_names();
        let who = match names.as_slice() {
            [a] => format!("checking {a}"),
            [a, b] => format!("A = {a}   B = {b}"),
            _ => String::new(),
        };
        ui.label(RichText::new(mode.review.rel()).monospace().small());
        ui.label(who);
        ui.label(
            RichText::new(format!("reviewer: {}", mode.review.reviewer()))
                .color(theme::weak(ui.visuals())),
        );
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui
                .button("Leave review")
                .on_hover_text(keymap.first_text(Action::Review).unwrap_or_default())
                .clicked()
            {
                commands.push(Command::Review(ReviewCommand::Exit));
            }
        });
    });
    // Second row: progress and the document-wide actions, left to right so nothing overlaps.
    ui.horizontal_wrapped(|ui| {
        let (d, n) = mode.review.progress();
        ui.label(RichText::new(format!("decided {d} of {n}")).strong());
        let frac = if n == 0 { 1.0 } else { d as f32 / n as f32 };
        ui.add(theme::progress_bar(frac).desired_width(120.0));
        ui.separator();
        {
            let mut reviewed = mode.review.curated().status == Status::Reviewed;
            if ui
                .checkbox(&mut reviewed, "Mark reviewed")
                .on_hover_text(format!(
                    "The whole document is reviewed ({})",
                    keymap.review_text(&ReviewCommand::ToggleReviewed)
                ))
                .changed()
            {
                commands.push(Command::Review(ReviewCommand::ToggleReviewed));
            }
            let state = match mode.review.save_state() {
                crate::session::autosave::SaveState::Saved => "saved",
                crate::session::autosave::SaveState::Pending => "saving…",
                crate::session::autosave::SaveState::Failed(_) => "NOT SAVED",
            };
            ui.label(RichText::new(state).color(theme::weak(ui.visuals())))
                .on_hover_text(format!("{}", mode.review.curated_path().display()));
            if ui
                .add_enabled(mode.review.can_undo(), egui::Button::new("Undo"))
                .on_hover_text(keymap.hover("Undo", Action::Undo))
                .clicked()
            {
                commands.push(Command::Review(ReviewCommand::Undo));
            }
            if ui
                .add_enabled(mode.review.can_redo(), egui::Button::new("Redo"))
                .on_hover_text(keymap.hover("Redo", Action::Redo))
                .clicked()
            {
                commands.push(Command::Review(ReviewCommand::Redo));
            }
            if ui
                .button("Accept all agreed")
                .on_hover_text(keymap.review_text(&ReviewCommand::AcceptAllAgreed))
                .clicked()
            {
                commands.push(Command::Review(ReviewCommand::AcceptAllAgreed));
            }
        }
    });
}

/// How the overlay reads, above the text: a small painted sample of each style.
fn legend(mode: &ReviewMode, ui: &mut Ui) {
    let weak = theme::weak(ui.visuals());
    let names = mode.review.layer_names();
    let fill = theme::tag_fill(
        egui::Color32::from_rgb(90, 150, 220),
        ui.visuals().dark_mode,
    );
    let bar = egui::Color32::from_rgb(90, 150, 220);
    let sample = |ui: &mut Ui, side: u8, conflict: bool, decided: bool| {
        let (rect, _) = ui.allocate_exact_size(vec2(26.0, 14.0), Sense::hover());
        let mark = ReviewMark {
            side,
            conflict,
            decided,
        };
        super::text_view::paint_review_mark(
            ui.painter(),
            rect.shrink2(vec2(1.0, 3.0)),
            mark,
            fill,
            bar,
            ui.visuals(),
        );
    };
    ui.horizontal_wrapped(|ui| {
        sample(ui, 0, false, false);
        ui.label(RichText::new(format!("A: {}", names.first().copied().unwrap_or("A"))).small());
        if let Some(b) = names.get(1) {
            sample(ui, 1, false, false);
            ui.label(RichText::new(format!("B: {b}")).small());
            sample(ui, 2, false, false);
            ui.label(RichText::new("agreed").small());
            sample(ui, 0, true, false);
            ui.label(RichText::new("conflict").small());
        }
        sample(ui, 2, false, true);
        ui.label(RichText::new("decided").small().color(weak));
    });
}

fn kind_color(kind: ItemKind, v: &egui::Visuals) -> egui::Color32 {
    match kind {
        ItemKind::Agreed => theme::weak(v),
        ItemKind::TagConflict | ItemKind::BoundaryConflict | ItemKind::ValueConflict => {
            theme::error_color(v)
        }
        ItemKind::OnlyA | ItemKind::OnlyB => v.text_color(),
    }
}

fn side_cell(
    ui: &mut Ui,
    tags: &crate::model::tags::TagSet,
    span: Option<&Span>,
    values: Option<String>,
    width: f32,
) {
    ui.allocate_ui_with_layout(vec2(width, 34.0), Layout::top_down(Align::Min), |ui| {
        ui.set_width(width);
        match span {
            Some(s) => {
                ui.horizontal(|ui| {
                    theme::tag_chip(ui, tags, &s.tag);
                    ui.label(
                        RichText::new(format!("{}–{}", s.start, s.end))
                            .small()
                            .monospace(),
                    );
                });
                // A value conflict's excerpts are the same: its values say more.
                let line = values.unwrap_or_else(|| excerpt(&s.exact, 40));
                if crate::model::bidi::needs_reordering(&line) {
                    // Right-to-left words and their numbers in visual order.
                    let small = egui::TextStyle::Small.resolve(ui.style());
                    let job =
                        super::text_view::visual_line_job(&line, small, egui::Color32::PLACEHOLDER);
                    ui.add(egui::Label::new(job).truncate());
                } else {
                    ui.add(egui::Label::new(RichText::new(line).small()).truncate());
                }
            }
            None => {
                ui.label(RichText::new("—").color(theme::weak(ui.visuals())));
            }
        }
    });
}

/// What the item panel and the selected item's details work with and push commands into.
struct PanelCx<'a> {
    mode: &'a mut ReviewMode,
    keymap: &'a Keymap,
    tags: &'a TagSet,
    commands: &'a mut Vec<Command>,
}

fn item_panel(cx: PanelCx<'_>, ui: &mut Ui) {
    let PanelCx {
        mode,
        keymap,
        tags,
        commands,
    } = cx;
    let weak = theme::weak(ui.visuals());
    let names = mode
        .review
        .layer_names()
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>();
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.heading("Items");
        ui.label(RichText::new(format!("{}", mode.review.items().len())).color(weak));
    });
    let col = ((ui.available_width() - 24.0) / 2.0).max(100.0);
    ui.horizontal(|ui| {
        ui.allocate_ui(vec2(col, 18.0), |ui| {
            ui.set_width(col);
            ui.label(
                RichText::new(format!(
                    "A · {}",
                    names.first().cloned().unwrap_or_default()
                ))
                .strong(),
            );
        });
        ui.label(
            RichText::new(format!(
                "B · {}",
                names.get(1).cloned().unwrap_or_else(|| "—".into())
            ))
            .strong(),
        );
    });
    ui.separator();
    let list_h = (ui.available_height() * 0.55).max(140.0);
    let row_h = 62.0;
    let mut area = egui::ScrollArea::vertical()
        .id_salt("review item list")
        .max_height(list_h)
        .min_scrolled_height(list_h)
        .auto_shrink([false, false]);
    if mode.list_follows
        && let Some(i) = mode.selected
    {
        let y = i as f32 * (row_h + ui.spacing().item_spacing.y);
        area = area.vertical_scroll_offset((y - list_h / 3.0).max(0.0));
        mode.list_follows = false;
    }
    let n = mode.review.items().len();
    area.show_rows(ui, row_h, n, |ui, rows| {
        for i in rows {
            let item = mode.review.items()[i].clone();
            let decided = mode.review.state(i) == ItemState::Decided;
            let is_sel = mode.selected == Some(i);
            let (rect, r) = theme::list_row(ui, row_h, is_sel);
            let v = ui.visuals().clone();
            let outcome = outcome_text(mode, i);
            let mut child = ui.new_child(
                egui::UiBuilder::new()
                    .max_rect(rect.shrink2(vec2(6.0, 3.0)))
                    .layout(Layout::top_down(Align::Min)),
            );
            child.horizontal(|ui| {
                ui.label(
                    RichText::new(item.kind.label())
                        .small()
                        .strong()
                        .color(kind_color(item.kind, &v)),
                );
                ui.label(
                    RichText::new(if decided { "decided" } else { "undecided" })
                        .small()
                        .color(if decided {
                            theme::weak(&v)
                        } else {
                            v.text_color()
                        }),
                );
                if let Some(o) = &outcome {
                    ui.add(
                        egui::Label::new(RichText::new(o).small().color(theme::weak(&v)))
                            .truncate(),
                    );
                }
            });
            child.horizontal(|ui| {
                let (va, vb) = if item.kind == ItemKind::ValueConflict {
                    let d = item.value_differences();
                    let show = |v: &Option<String>| v.as_deref().unwrap_or("(none)").to_owned();
                    let line = |side: bool| {
                        d.iter()
                            .map(|x| {
                                format!("{} = {}", x.name, show(if side { &x.a } else { &x.b }))
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    (Some(line(true)), Some(line(false)))
                } else {
                    (None, None)
                };
                side_cell(ui, tags, item.a.as_ref(), va, col);
                side_cell(ui, tags, item.b.as_ref(), vb, col);
            });
            let label = format!(
                "item {}: {}, {}",
                i + 1,
                item.kind.label(),
                if decided { "decided" } else { "undecided" }
            );
            r.widget_info(|| {
                egui::WidgetInfo::selected(egui::Role::ListItem, true, is_sel, &label)
            });
            if r.clicked() {
                commands.push(Command::Review(ReviewCommand::Select(i)));
            }
        }
    });
    ui.separator();
    // Scrolls when the window is short (at 700 points a reason's OK and Cancel were under the
    // key legend); a prompt scrolls itself into view.
    egui::ScrollArea::vertical()
        .id_salt("review item details")
        .auto_shrink([false, true])
        .show(ui, |ui| {
            let cx = PanelCx {
                mode: &mut *mode,
                keymap,
                tags,
                commands: &mut *commands,
            };
            details(cx, ui);
            relation_list(&mode.review, tags, commands, ui);
        });
}

/// The relation items, A's and B's side by side (a type conflict shows both types), with
/// each one's state and outcome; drawn only when the reviewed layers have relations.
fn relation_list(review: &Review, tags: &TagSet, commands: &mut Vec<Command>, ui: &mut Ui) {
    let items = review.relation_items();
    if items.is_empty() {
        return;
    }
    let (decided, n) = review.relation_progress();
    let weak = theme::weak(ui.visuals());
    ui.add_space(8.0);
    egui::CollapsingHeader::new(format!("Relations ({decided} of {n} decided)"))
        .id_salt("review relation items")
        .show(ui, |ui| {
            let link = |side: usize, r: Option<&crate::model::relation::Relation>| {
                let Some(r) = r else {
                    return "—".to_owned();
                };
                let words = |e: &crate::model::relation::End| {
                    if let Some(d) = &e.doc {
                        return format!("“{}” in {}", excerpt(&d.exact, 20), d.text);
                    }
                    let span = e.here_id().and_then(|id| review.layer(side)?.span(id));
                    span.map_or_else(
                        || "?".to_owned(),
                        |s| format!("“{}”", excerpt(&s.exact, 24)),
                    )
                };
                let symmetric = tags.relation(&r.kind).is_some_and(|t| t.symmetric);
                let arrow = if symmetric { "↔" } else { "→" };
                format!("{} {} {arrow} {}", r.kind, words(&r.from), words(&r.to))
            };
            // One block per item, its links on lines of their own cut to the panel's width
            // (a five-column grid widened the panel past the window at 1280 px).
            egui::ScrollArea::vertical()
                .id_salt("review relation list")
                .max_height(220.0)
                .show(ui, |ui| {
                    for (i, item) in items.iter().enumerate() {
                        let state = review.relation_state(i) == ItemState::Decided;
                        let (accepted, rejected) = review.relation_outcome(i);
                        let outcome = if !accepted.is_empty() {
                            "accepted".to_owned()
                        } else if let Some(x) = rejected.first() {
                            format!("rejected: {}", x.reason)
                        } else if state {
                            "decided".to_owned()
                        } else {
                            "undecided".to_owned()
                        };
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(item.kind.label()).small().strong());
                            ui.label(RichText::new(&outcome).small().color(weak));
                            ui.with_layout(
                                egui::Layout::right_to_left(egui::Align::Center),
                                |ui| {
                                    let n = i + 1;
                                    if state
                                        && ui
                                            .small_button("↺")
                                            .on_hover_text(format!("Relation {n}: undecide"))
                                            .labelled_for_readers(&format!(
                                                "Relation {n}: undecide"
                                            ))
                                            .clicked()
                                    {
                                        commands.push(Command::Review(
                                            ReviewCommand::ReopenRelation(i),
                                        ));
                                    }
                                    let mut send = |decision| {
                                        commands.push(Command::Review(
                                            ReviewCommand::DecideRelation { item: i, decision },
                                        ));
                                    };
                                    if ui
                                        .small_button("✕")
                                        .on_hover_text(format!("Relation {n}: reject"))
                                        .labelled_for_readers(&format!("Relation {n}: reject"))
                                        .clicked()
                                    {
                                        send(RelationDecision::Reject {
                                            reason: "not a link the guidelines call for".into(),
                                        });
                                    }
                                    if item.b.is_some()
                                        && ui
                                            .small_button("B")
                                            .on_hover_text(format!("Relation {n}: keep B's link"))
                                            .labelled_for_readers(&format!(
                                                "Relation {n}: keep B's link"
                                            ))
                                            .clicked()
                                    {
                                        send(RelationDecision::AcceptB);
                                    }
                                    if item.a.is_some()
                                        && ui
                                            .small_button("A")
                                            .on_hover_text(format!("Relation {n}: keep A's link"))
                                            .labelled_for_readers(&format!(
                                                "Relation {n}: keep A's link"
                                            ))
                                            .clicked()
                                    {
                                        send(RelationDecision::AcceptA);
                                    }
                                },
                            );
                        });
                        for (side, r) in [("A", item.a.as_ref()), ("B", item.b.as_ref())] {
                            let which = usize::from(side == "B");
                            ui.add(
                                egui::Label::new(
                                    RichText::new(format!("{side}: {}", link(which, r))).small(),
                                )
                                .truncate(),
                            );
                        }
                        ui.add_space(4.0);
                    }
                });
        });
}

/// The attribute names to show for an item: its tag's attributes in schema order, then any
/// other (undeclared) user attribute either side has.
fn value_names(
    item: &crate::team::compare::Item,
    tags: &crate::model::tags::TagSet,
) -> Vec<String> {
    let spans = item.a.iter().chain(item.b.iter());
    let mut names: Vec<String> = Vec::new();
    for s in spans.clone() {
        if let Some(t) = tags.get(&s.tag) {
            for a in &t.attributes {
                if !names.contains(&a.name) {
                    names.push(a.name.clone());
                }
            }
        }
    }
    for s in spans {
        for k in crate::team::compare::user_attrs(s).into_keys() {
            if !names.contains(&k) {
                names.push(k);
            }
        }
    }
    names
}

/// The item's attribute values side by side, one row per attribute: each side's value is a
/// button that takes it into the curated layer; the last column holds the chosen value and an
/// edit button. Rows where the sides differ are marked.
fn values_table(
    mode: &ReviewMode,
    tags: &crate::model::tags::TagSet,
    i: usize,
    ui: &mut Ui,
    commands: &mut Vec<Command>,
) {
    let item = &mode.review.items()[i];
    // Values belong to one span: a tag or boundary conflict is decided first.
    if matches!(
        item.kind,
        ItemKind::TagConflict | ItemKind::BoundaryConflict
    ) && mode.review.state(i) == ItemState::Undecided
    {
        return;
    }
    let names = value_names(item, tags);
    if names.is_empty() {
        return;
    }
    let v = ui.visuals().clone();
    let weak = theme::weak(&v);
    let layer_names = mode.review.layer_names();
    let sides: Vec<(&str, Option<&Span>)> = if item.kind == ItemKind::Agreed {
        vec![("A and B", item.a.as_ref())]
    } else {
        let mut s = vec![("A", item.a.as_ref())];
        if layer_names.len() == 2 {
            s.push(("B", item.b.as_ref()));
        }
        s
    };
    let decided = mode.review.state(i) == ItemState::Decided;
    ui.add_space(4.0);
    if item.kind == ItemKind::ValueConflict {
        ui.label(
            RichText::new("The values differ: click the one to keep, or ✏ to type another.")
                .small()
                .color(theme::error_color(&v)),
        );
    }
    egui::Grid::new(("review values", i))
        .num_columns(sides.len() + 2)
        .striped(true)
        .spacing(vec2(10.0, 4.0))
        .show(ui, |ui| {
            ui.label(RichText::new("value").small().strong());
            for (side, _) in &sides {
                let who = match *side {
                    "A" => layer_names.first().copied().unwrap_or("A"),
                    "B" => layer_names.get(1).copied().unwrap_or("B"),
                    _ => "",
                };
                let head = if who.is_empty() {
                    (*side).to_owned()
                } else {
                    format!("{side} · {who}")
                };
                ui.label(RichText::new(head).small().strong());
            }
            ui.label(RichText::new("curated").small().strong());
            ui.end_row();
            for name in &names {
                let values: Vec<Option<&String>> = sides
                    .iter()
                    .map(|(_, s)| s.and_then(|s| s.attrs.get(name)))
                    .collect();
                let chosen = mode.review.chosen_value(i, name);
                let differ = values.windows(2).any(|w| w[0] != w[1]);
                let mut head = RichText::new(name).small();
                if differ {
                    head = head.strong().color(theme::error_color(&v));
                }
                ui.label(head);
                for value in &values {
                    let shown = value.map_or("(none)", |s| s.as_str());
                    // Marked only where there was a choice to make.
                    let is_chosen = decided && differ && chosen == value.map(|s| s.as_str());
                    let mut text = RichText::new(shown);
                    if value.is_none() {
                        text = text.italics().color(weak);
                    }
                    // A framed button, so each value reads as something to click.
                    let r = ui
                        .add(egui::Button::new(text).selected(is_chosen))
                        .on_hover_text(format!("Keep {name} = {shown} in the curated layer"));
                    if r.clicked() {
                        commands.push(Command::Review(ReviewCommand::SetValue {
                            name: name.clone(),
                            value: value.cloned(),
                        }));
                    }
                }
                ui.horizontal(|ui| {
                    match (decided, chosen) {
                        (true, Some(c)) => ui.label(RichText::new(c).strong()),
                        (true, None) => ui.label(RichText::new("(none)").italics().color(weak)),
                        (false, _) => ui.label(RichText::new("undecided").small().color(weak)),
                    };
                    if ui
                        .small_button("✏")
                        .on_hover_text(format!("Type a value for {name}"))
                        .clicked()
                    {
                        commands.push(Command::Review(ReviewCommand::AskValue(name.clone())));
                    }
                });
                ui.end_row();
            }
        });
}

/// What the curated layer holds for item `i`, in a few words.
fn outcome_text(mode: &ReviewMode, i: usize) -> Option<String> {
    let (spans, rejected) = mode.review.outcome(i);
    if spans.is_empty() && rejected.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    let differences = mode.review.items()[i].value_differences();
    for s in spans {
        // Where the values differed, say which were kept.
        let kept: Vec<String> = differences
            .iter()
            .map(|d| {
                let v = s.span.attrs.get(&d.name).map_or("(none)", String::as_str);
                format!(", {} = {v}", d.name)
            })
            .collect();
        let kept = kept.concat();
        parts.push(if s.edited {
            format!(
                "edited to {} {}–{}{kept}",
                s.span.tag, s.span.start, s.span.end
            )
        } else {
            format!(
                "accepted {}{kept}",
                s.from
                    .iter()
                    .map(|r| r.layer.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            )
        });
    }
    for r in rejected {
        parts.push(format!("rejected {}: {}", r.from.layer, r.reason));
    }
    Some(parts.join("; "))
}

fn details(cx: PanelCx<'_>, ui: &mut Ui) {
    let weak = theme::weak(ui.visuals());
    let Some(i) = cx.mode.selected else {
        let next = cx.keymap.hint(ReviewKey::Next, 0);
        ui.label(RichText::new(format!("Press {next} for the first undecided item.")).color(weak));
        return;
    };
    let item = cx.mode.review.items()[i].clone();
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!(
                "Item {} of {}",
                i + 1,
                cx.mode.review.items().len()
            ))
            .strong(),
        );
        ui.label(RichText::new(item.kind.label()).color(kind_color(item.kind, ui.visuals())));
    });
    if let Some(o) = outcome_text(cx.mode, i) {
        ui.add(egui::Label::new(RichText::new(o).small()).wrap());
    }
    for c in cx.mode.review.comments_on(i) {
        ui.add(
            egui::Label::new(
                RichText::new(format!("comment by {}: {}", c.by, c.text))
                    .small()
                    .italics(),
            )
            .wrap(),
        );
    }
    let can = |key| applies(cx.mode, cx.keymap, i, key).is_ok();
    let (can_a, can_b, can_both) = (
        can(DecisionKey::AcceptA),
        can(DecisionKey::AcceptB),
        can(DecisionKey::AcceptBoth),
    );
    let decided = cx.mode.review.state(i) == ItemState::Decided;
    let two = cx.mode.review.layer_names().len() == 2;
    ui.horizontal_wrapped(|ui| {
        let mut button = |ui: &mut Ui, enabled: bool, text: &str, key: ReviewKey| {
            let label = format!("{text}  [{}]", cx.keymap.hint(key, 0));
            if ui.add_enabled(enabled, egui::Button::new(label)).clicked() {
                cx.commands.push(Command::Review(key.command()));
            }
        };
        button(ui, can_a, "Accept A", ReviewKey::AcceptA);
        if two {
            button(ui, can_b, "Accept B", ReviewKey::AcceptB);
            button(ui, can_both, "Accept both", ReviewKey::AcceptBoth);
        }
        button(ui, true, "Reject…", ReviewKey::Reject);
        button(ui, true, "Edit & accept", ReviewKey::EditAccept);
        button(ui, true, "Comment…", ReviewKey::Comment);
        button(ui, decided, "Undecide", ReviewKey::Reopen);
    });
    values_table(cx.mode, cx.tags, i, ui, cx.commands);
    if let Some((a, b)) = cx.mode.view.selected_range() {
        ui.label(
            RichText::new(format!(
                "Selected text {a}–{b}: {} accepts with these boundaries",
                cx.keymap.hint(ReviewKey::EditAccept, 0)
            ))
            .small()
            .color(weak),
        );
    } else {
        ui.label(
            RichText::new(format!(
                "To change boundaries, select text, then press {} (or a tag key to change the \
                 tag).",
                cx.keymap.hint(ReviewKey::EditAccept, 0)
            ))
            .small()
            .color(weak),
        );
    }
    if let Some(prompt) = cx.mode.prompt.clone() {
        ui.separator();
        let label = ui.label(match prompt {
            Prompt::Reason => "Why is it rejected? (Enter to confirm, Esc to cancel)".to_owned(),
            Prompt::Comment => "Comment (Enter to add, Esc to cancel)".to_owned(),
            Prompt::Value(name) => {
                format!("Value of {name} in the curated layer (Enter to set, Esc to cancel)")
            }
        });
        let id = egui::Id::unique("review prompt");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut cx.mode.prompt_buf)
                    .id(id)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if !r.has_focus() && !r.lost_focus() {
            r.request_focus();
        }
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        ui.horizontal(|ui| {
            let ok = ui.button("OK");
            if r.gained_focus() {
                ok.scroll_to_me(None);
            }
            if ok.clicked() || enter {
                cx.commands
                    .push(Command::Review(ReviewCommand::ConfirmPrompt));
            }
            if ui.button("Cancel").clicked() {
                cx.commands
                    .push(Command::Review(ReviewCommand::CancelPrompt));
            }
        });
    }
}

/// The verdicts on the annotator's own spans of `rel`, from the curated layer (empty when the
/// text has no curated file or it cannot be read).
pub fn load_feedback(app: &MarginaliaApp) -> HashMap<u64, SpanFeedback> {
    let (Some(ws), Some(open)) = (&app.ws, &app.open) else {
        return HashMap::new();
    };
    if open.doc.is_read_only() {
        return HashMap::new();
    }
    let Some(path) = ws.layer_path(CURATED_LAYER, open.doc.rel()) else {
        return HashMap::new();
    };
    let Ok(Some((curated, _))) = crate::model::curated::load_curated(&path) else {
        return HashMap::new();
    };
    crate::team::compare::feedback(&app.prefs.annotator, open.doc.layer(), &curated)
        .into_iter()
        .filter(|f| f.verdict != Verdict::NotReviewed || !f.comments.is_empty())
        .map(|f| (f.span_id, f))
        .collect()
}

/// A verdict in one word, and its colour.
pub fn verdict_badge(f: &SpanFeedback, v: &egui::Visuals) -> (&'static str, egui::Color32) {
    let (word, tone) = verdict_tone(f);
    (word, theme::tone_color(tone, v))
}

/// The verdict's word and tone.
fn verdict_tone(f: &SpanFeedback) -> (&'static str, theme::Tone) {
    match &f.verdict {
        Verdict::Accepted => ("accepted", theme::Tone::Good),
        Verdict::Edited { .. } => ("edited", theme::Tone::Warn),
        Verdict::Rejected { .. } => ("rejected", theme::Tone::Bad),
        Verdict::NotReviewed => ("comment", theme::Tone::Weak),
    }
}

/// What the text view's tooltip shows of each verdict, built once when the feedback is read.
pub fn badges(feedback: &HashMap<u64, SpanFeedback>) -> HashMap<u64, Badge> {
    (feedback.iter())
        .map(|(&id, f)| {
            let badge = Badge {
                text: verdict_text(f),
                tone: verdict_tone(f).1,
            };
            (id, badge)
        })
        .collect()
}

/// The verdict in a sentence: what became of the span, by whom, why, and the comments.
pub fn verdict_text(f: &SpanFeedback) -> String {
    let mut s = match &f.verdict {
        Verdict::Accepted => format!("Accepted by {}", f.by),
        Verdict::Edited {
            start,
            end,
            tag,
            values,
        } => {
            let mut s = format!("Accepted by {} as {tag}, chars {start}–{end}", f.by);
            for v in values {
                let show = |x: &Option<String>| x.clone().unwrap_or_else(|| "(none)".into());
                s.push_str(&format!(
                    "; {}: {} (yours: {})",
                    v.name,
                    show(&v.kept),
                    show(&v.yours)
                ));
            }
            s
        }
        Verdict::Rejected { reason } => format!("Rejected by {}: {reason}", f.by),
        Verdict::NotReviewed => "Not decided yet".to_owned(),
    };
    for c in &f.comments {
        s.push_str(&format!("\nComment: {c}"));
    }
    s
}

/// The selected span's verdict, under its details.
pub fn feedback_details(app: &MarginaliaApp, ui: &mut Ui, id: u64) {
    let Some(f) = app.feedback.get(&id) else {
        return;
    };
    let (word, color) = verdict_badge(f, ui.visuals());
    ui.horizontal(|ui| {
        ui.label(RichText::new("Review:").small().strong());
        ui.label(RichText::new(word).small().strong().color(color));
        if !f.at.is_empty() {
            ui.label(
                RichText::new(&f.at)
                    .small()
                    .color(theme::weak(ui.visuals())),
            );
        }
    });
    ui.add(egui::Label::new(RichText::new(verdict_text(f)).small()).wrap());
}

/// A small button's name for screen readers (and tests), where its face is one letter.
trait ReaderLabel {
    fn labelled_for_readers(self, label: &str) -> Self;
}

impl ReaderLabel for egui::Response {
    fn labelled_for_readers(self, label: &str) -> Self {
        self.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, label));
        self
    }
}
