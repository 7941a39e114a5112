//! Relations in the window: the link picker (select a span, press R, choose the other span by
//! Tab or by typing, Enter, then the type's key), the pinned span that links across documents,
//! the selected span's relations in the details panel, and the arcs drawn over the text.

use egui::{Color32, Key, Pos2, Rect, RichText, Stroke, Ui, vec2};

use super::commands::RelationCommand;
use super::text_view::excerpt;
use super::{Command, MarginaliaApp, theme};
use crate::model::layer::Span;
use crate::model::relation::{End, Relation};
use crate::model::tags::{RelationType, TagSet};

/// The span list's rows under a relation filter, with what they were made for: (filter, tag
/// filter, document, state of the spans and relations, rows).
pub type FilteredRows = (String, Option<String>, String, u64, Vec<usize>);

/// A span remembered for linking from another document.
#[derive(Debug, Clone)]
pub struct Pinned {
    pub rel: String,
    pub span: Span,
}

/// The link picker's state.
#[derive(Default)]
pub struct Picker {
    /// The span links are made from, while the picker is open.
    from: Option<u64>,
    query: String,
    /// The highlighted candidate, then (once chosen) the highlighted type.
    selected: usize,
    /// The chosen other end: the picker now asks for the type.
    chosen: Option<Candidate>,
    focus: bool,
}

/// A span the picker offers as the other end.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    end: End,
    tag: String,
    exact: String,
    /// The other document's path, for a pinned span elsewhere.
    elsewhere: Option<String>,
}

const FIELD: &str = "link picker field";

/// Whether the picker is open (it takes the keyboard).
pub fn picker_open(app: &MarginaliaApp) -> bool {
    app.link.from.is_some()
}

/// Carries out a relations command.
pub(super) fn apply(app: &mut MarginaliaApp, c: RelationCommand) {
    let tags = app.tag_set();
    match c {
        RelationCommand::OpenPicker => {
            let Some(id) = app.selected_span else {
                app.status_line =
                    "Select a span first (click it, or Tab to it), then press R".into();
                return;
            };
            if app.refuse_read_only() {
                return;
            }
            if tags.relations.is_empty() {
                app.status_line = "This workspace has no relation types (Tags → Edit tags…)".into();
                return;
            }
            app.link = Picker {
                from: Some(id),
                focus: true,
                ..Picker::default()
            };
        }
        RelationCommand::Filter(f) => {
            app.relation_filter = f;
            app.relation_rows = None;
        }
        RelationCommand::DropOn { from, to } => {
            if app.refuse_read_only() {
                return;
            }
            let Some(open) = &app.open else { return };
            let Some(s) = open.span(to) else { return };
            let chosen = Candidate {
                end: End::here(s.id),
                tag: s.tag.clone(),
                exact: s.exact.clone(),
                elsewhere: None,
            };
            app.selected_span = Some(from);
            app.link = Picker {
                from: Some(from),
                chosen: Some(chosen),
                ..Picker::default()
            };
        }
        RelationCommand::Pin => {
            let Some(open) = &app.open else { return };
            let Some(span) = app.selected_span.and_then(|id| open.span(id)).cloned() else {
                app.status_line = "Select a span to pin first".into();
                return;
            };
            app.status_line = format!(
                "Pinned {} “{}”: open another document, select a span and press R to link to it",
                span.tag,
                excerpt(&span.exact, 40)
            );
            app.pinned = Some(Pinned {
                rel: open.doc.rel().to_owned(),
                span,
            });
        }
        RelationCommand::Link {
            kind,
            from,
            to,
            to_tag,
        } => {
            let Some(kind) = tags.relation(&kind).cloned() else {
                return;
            };
            let Some(open) = &mut app.open else { return };
            match open.doc.add_relation(&kind, from, to, &to_tag) {
                Ok(_) => {
                    app.status_line = format!(
                        "Linked: {} ({} undoes it)",
                        kind.name,
                        app.keymap.key(super::registry::Action::Undo)
                    );
                    app.after_edit();
                }
                Err(e) => app.status_line = format!("Not linked: {e}"),
            }
        }
        RelationCommand::Delete(id) => {
            if app.refuse_read_only() {
                return;
            }
            if let Some(open) = &mut app.open
                && open.doc.delete_relation(id)
            {
                app.status_line = format!(
                    "Removed the relation ({} brings it back)",
                    app.keymap.key(super::registry::Action::Undo)
                );
                app.after_edit();
            }
        }
        RelationCommand::Retype { id, kind } => {
            let Some(kind) = tags.relation(&kind).cloned() else {
                return;
            };
            if app.refuse_read_only() {
                return;
            }
            let Some(open) = &mut app.open else { return };
            match open.doc.retype_relation(id, &kind) {
                Ok(true) => app.after_edit(),
                Ok(false) => {}
                Err(e) => app.status_line = format!("Not changed: {e}"),
            }
        }
        RelationCommand::SetAttr { id, name, value } => {
            if app.refuse_read_only() {
                return;
            }
            if let Some(open) = &mut app.open
                && open.doc.change_relation(id, |r| match value {
                    Some(v) if !v.is_empty() => {
                        r.attrs.insert(name, v);
                    }
                    _ => {
                        r.attrs.remove(&name);
                    }
                })
            {
                app.after_edit();
            }
        }
    }
}

/// The candidates for the other end of a link from `from`: the pinned span of another
/// document first, then this document's spans, nearest first, that `query` matches (in their
/// tag or words, ignoring case).
fn candidates(app: &MarginaliaApp, from: &Span, query: &str) -> Vec<Candidate> {
    let Some(open) = &app.open else {
        return Vec::new();
    };
    let q = query.to_lowercase();
    let fits = |tag: &str, exact: &str| {
        q.is_empty() || tag.to_lowercase().contains(&q) || exact.to_lowercase().contains(&q)
    };
    let mut out = Vec::new();
    if let Some(p) = &app.pinned
        && p.rel != open.doc.rel()
        && fits(&p.span.tag, &p.span.exact)
    {
        out.push(Candidate {
            end: p.span.end_in(&p.rel),
            tag: p.span.tag.clone(),
            exact: p.span.exact.clone(),
            elsewhere: Some(p.rel.clone()),
        });
    }
    let spans = &open.doc.layer().spans;
    let mut here: Vec<&Span> = spans
        .iter()
        .filter(|s| s.id != from.id && fits(&s.tag, &s.exact))
        .collect();
    here.sort_by_key(|s| (s.start.abs_diff(from.start), s.id));
    out.extend(here.into_iter().take(200).map(|s| Candidate {
        end: End::here(s.id),
        tag: s.tag.clone(),
        exact: s.exact.clone(),
        elsewhere: None,
    }));
    out
}

/// The relation types a link from a `from_tag` span to a `to_tag` span may have.
fn types_for<'a>(tags: &'a TagSet, from_tag: &str, to_tag: &str) -> Vec<&'a RelationType> {
    (tags.relations.iter())
        .filter(|k| k.allows_end(true, from_tag) && k.allows_end(false, to_tag))
        .collect()
}

/// Draws the link picker while it is open.
pub(super) fn draw_picker(
    app: &mut MarginaliaApp,
    ctx: &egui::Context,
    commands: &mut Vec<Command>,
) {
    let Some(from_id) = app.link.from else { return };
    let Some(from) = app.open.as_ref().and_then(|o| o.span(from_id)).cloned() else {
        app.link = Picker::default();
        return;
    };
    let tags = app.tag_set();
    let cands = candidates(app, &from, &app.link.query);
    let mut close = false;
    let mut link: Option<RelationCommand> = None;
    let p = &mut app.link;
    // Keys: Tab / ↓ and Shift+Tab / ↑ move, Enter chooses, Esc goes back or closes.
    let (next, prev, enter, esc) = ctx.input_mut(|i| {
        let next = i.consume_key(egui::Modifiers::NONE, Key::Tab)
            | i.consume_key(egui::Modifiers::NONE, Key::ArrowDown);
        let prev = i.consume_key(egui::Modifiers::SHIFT, Key::Tab)
            | i.consume_key(egui::Modifiers::NONE, Key::ArrowUp);
        let enter = i.consume_key(egui::Modifiers::NONE, Key::Enter);
        let esc = i.consume_key(egui::Modifiers::NONE, Key::Escape);
        (next, prev, enter, esc)
    });
    let weak = |ui: &Ui| theme::weak(ui.visuals());
    egui::Window::new("Link span")
        .id(egui::Id::unique("link picker"))
        .collapsible(false)
        .resizable(false)
        .fixed_size([460.0, 0.0])
        .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.label("From");
                theme::tag_chip(ui, &tags, &from.tag);
                ui.label(RichText::new(format!("“{}”", excerpt(&from.exact, 50))).italics());
            });
            ui.separator();
            match p.chosen.clone() {
                None => {
                    let before = p.query.clone();
                    let r = ui.add(
                        egui::TextEdit::singleline(&mut p.query)
                            .id(egui::Id::unique(FIELD))
                            .desired_width(f32::INFINITY)
                            .hint_text("Type to find the other span (Tab moves, Enter picks)"),
                    );
                    if std::mem::take(&mut p.focus) || !r.has_focus() {
                        r.request_focus();
                    }
                    if p.query != before {
                        p.selected = 0;
                    }
                    if next {
                        p.selected += 1;
                    }
                    if prev {
                        p.selected = p.selected.saturating_sub(1);
                    }
                    p.selected = p.selected.min(cands.len().saturating_sub(1));
                    if esc {
                        close = true;
                    }
                    if enter && let Some(c) = cands.get(p.selected) {
                        p.chosen = Some(c.clone());
                        p.selected = 0;
                        r.surrender_focus();
                    }
                    egui::ScrollArea::vertical()
                        .max_height(300.0)
                        .min_scrolled_height(300.0)
                        .show(ui, |ui| {
                            if cands.is_empty() {
                                ui.label(
                                    RichText::new(
                                        "No other span fits. Tag the other end first, or pin a \
                                         span of another document with P.",
                                    )
                                    .color(weak(ui)),
                                );
                            }
                            for (row, c) in cands.iter().enumerate() {
                                let chosen = row == p.selected;
                                let text = match &c.elsewhere {
                                    Some(rel) => format!(
                                        "{}  “{}”  · pinned, in {rel}",
                                        c.tag,
                                        excerpt(&c.exact, 40)
                                    ),
                                    None => format!("{}  “{}”", c.tag, excerpt(&c.exact, 60)),
                                };
                                let r = ui.add(egui::Button::selectable(chosen, text));
                                if chosen {
                                    r.scroll_to_me(None);
                                }
                                if r.clicked() {
                                    p.chosen = Some(c.clone());
                                    p.selected = 0;
                                }
                            }
                        });
                }
                Some(c) => {
                    ui.horizontal(|ui| {
                        ui.label("To");
                        theme::tag_chip(ui, &tags, &c.tag);
                        ui.label(RichText::new(format!("“{}”", excerpt(&c.exact, 50))).italics());
                    });
                    let kinds = types_for(&tags, &from.tag, &c.tag);
                    if next {
                        p.selected += 1;
                    }
                    if prev {
                        p.selected = p.selected.saturating_sub(1);
                    }
                    p.selected = p.selected.min(kinds.len().saturating_sub(1));
                    if esc {
                        p.chosen = None;
                        p.focus = true;
                    }
                    let pressed = ui.input(|i| {
                        kinds.iter().position(|k| {
                            !k.hotkey.is_empty()
                                && i.events.iter().any(|e| {
                                    matches!(e, egui::Event::Text(t) if t.eq_ignore_ascii_case(&k.hotkey))
                                })
                        })
                    });
                    let mut pick = pressed.or((enter).then_some(p.selected));
                    ui.label(
                        RichText::new("Which relation? Press its key, or ↑ ↓ and Enter (Esc: back)")
                            .color(weak(ui)),
                    );
                    if kinds.is_empty() {
                        ui.label(
                            RichText::new(format!(
                                "No relation type links a {} to a {}",
                                from.tag, c.tag
                            ))
                            .color(weak(ui)),
                        );
                    }
                    for (row, k) in kinds.iter().enumerate() {
                        ui.horizontal(|ui| {
                            let chip = kind_color(ui.visuals(), k);
                            let (rect, _) = ui.allocate_exact_size(vec2(6.0, 16.0), egui::Sense::hover());
                            ui.painter().rect_filled(rect, 2.0, chip);
                            let text = format!("{}  ({})", k.name, k.hotkey);
                            if ui
                                .add(egui::Button::selectable(row == p.selected, text))
                                .on_hover_text(&k.description)
                                .clicked()
                            {
                                pick = Some(row);
                            }
                            ui.add(
                                egui::Label::new(
                                    RichText::new(&k.description).small().color(weak(ui)),
                                )
                                .truncate(),
                            );
                        });
                    }
                    if let Some(k) = pick.and_then(|i| kinds.get(i)) {
                        link = Some(RelationCommand::Link {
                            kind: k.name.clone(),
                            from: from.id,
                            to: c.end.clone(),
                            to_tag: c.tag.clone(),
                        });
                        close = true;
                    }
                }
            }
        });
    if close {
        app.link = Picker::default();
    }
    if let Some(l) = link {
        commands.push(Command::Relation(l));
    }
}

/// The selected span's relations in the details panel: each with its direction, type, the
/// other end (a click goes there), the type's choices, and a button that removes it.
pub(super) fn details(
    app: &MarginaliaApp,
    ui: &mut Ui,
    tags: &TagSet,
    span: &Span,
    read_only: bool,
    commands: &mut Vec<Command>,
) {
    let Some(open) = &app.open else { return };
    let rels: Vec<&Relation> = open.doc.layer().relations_of(span.id).collect();
    let weak = theme::weak(ui.visuals());
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Relations ({})", rels.len())).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let link = app.keymap.key(super::registry::Action::Link);
            if ui
                .add_enabled(
                    !read_only && !tags.relations.is_empty(),
                    egui::Button::new(format!("Link… ({link})")).small(),
                )
                .on_hover_text("Link this span to another: who said it, what supports it…")
                .clicked()
            {
                commands.push(Command::Relation(RelationCommand::OpenPicker));
            }
        });
    });
    for r in rels {
        let other = r.other_end(span.id);
        let (other_tag, other_words, jump) =
            match (&other.doc, other.here_id().and_then(|id| open.span(id))) {
                (None, Some(s)) => (
                    s.tag.clone(),
                    s.exact.clone(),
                    Some(Command::SelectSpan {
                        id: s.id,
                        scroll: true,
                    }),
                ),
                (Some(d), _) => (
                    format!("in {}", d.text),
                    d.exact.clone(),
                    Some(Command::OpenAt {
                        rel: d.text.clone(),
                        start: d.start,
                        end: d.end,
                    }),
                ),
                // Kept and flagged, never dropped: an orphan lost its place when the text
                // changed (the Orphans section above can place it again).
                (None, None) => match open.doc.orphans().iter().find(|o| o.span.id == other.span) {
                    Some(o) => (
                        format!("{} (lost its place)", o.span.tag),
                        o.span.exact.clone(),
                        None,
                    ),
                    None => ("missing span".into(), format!("#{}", other.span), None),
                },
            };
        let arrow = r.arrow_from(span.id, tags.relation(&r.kind).is_some_and(|k| k.symmetric));
        ui.horizontal(|ui| {
            ui.label(RichText::new(arrow).strong());
            let color = (tags.relation(&r.kind)).map_or(weak, |k| kind_color(ui.visuals(), k));
            egui::ComboBox::from_id_salt(("relation type", r.id))
                .selected_text(RichText::new(&r.kind).color(color))
                .width(90.0)
                .show_ui(ui, |ui| {
                    for k in &tags.relations {
                        if ui.selectable_label(k.name == r.kind, &k.name).clicked() && !read_only {
                            commands.push(Command::Relation(RelationCommand::Retype {
                                id: r.id,
                                kind: k.name.clone(),
                            }));
                        }
                    }
                });
            let text = format!("{other_tag} “{}”", excerpt(&other_words, 28));
            let link = ui
                .add(
                    egui::Label::new(text)
                        .truncate()
                        .sense(egui::Sense::click()),
                )
                .on_hover_text("Go to the other end");
            if link.clicked()
                && let Some(c) = jump.clone()
            {
                commands.push(c);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .add_enabled(!read_only, egui::Button::new("×").small())
                    .on_hover_text("Remove this relation")
                    .clicked()
                {
                    commands.push(Command::Relation(RelationCommand::Delete(r.id)));
                }
            });
        });
        // The type's attributes: a choice (evidence's stance) as small buttons, a flag as a
        // checkbox, text as a field kept when it is left (one undo step each).
        if let Some(k) = tags.relation(&r.kind) {
            for a in &k.attributes {
                let choices = a.choices();
                if let crate::model::tags::AttrKind::Flag = a.kind {
                    let mut on = r.attrs.get(&a.name).map(String::as_str)
                        == Some(crate::model::tags::FLAG_TRUE);
                    ui.horizontal(|ui| {
                        ui.add_space(18.0);
                        if ui
                            .add_enabled(!read_only, egui::Checkbox::new(&mut on, &a.name))
                            .changed()
                        {
                            let v = if on {
                                crate::model::tags::FLAG_TRUE
                            } else {
                                crate::model::tags::FLAG_FALSE
                            };
                            commands.push(Command::Relation(RelationCommand::SetAttr {
                                id: r.id,
                                name: a.name.clone(),
                                value: Some(v.to_owned()),
                            }));
                        }
                    });
                    continue;
                }
                if choices.is_empty() {
                    let id = ui.make_persistent_id(("relation attr", r.id, &a.name));
                    let stored = r.attrs.get(&a.name).cloned().unwrap_or_default();
                    let mut buf: String = ui
                        .data_mut(|d| d.get_temp::<String>(id))
                        .unwrap_or_else(|| stored.clone());
                    ui.horizontal(|ui| {
                        ui.add_space(18.0);
                        let label = ui.label(RichText::new(&a.name).small().color(weak));
                        let field = ui
                            .add_enabled(
                                !read_only,
                                egui::TextEdit::singleline(&mut buf).desired_width(160.0),
                            )
                            .labelled_by(label.id);
                        if field.has_focus() {
                            ui.data_mut(|d| d.insert_temp(id, buf.clone()));
                        } else {
                            ui.data_mut(|d| d.remove::<String>(id));
                        }
                        if field.lost_focus() && buf != stored {
                            commands.push(Command::Relation(RelationCommand::SetAttr {
                                id: r.id,
                                name: a.name.clone(),
                                value: Some(buf.clone()),
                            }));
                        }
                    });
                    continue;
                }
                ui.horizontal(|ui| {
                    ui.add_space(18.0);
                    ui.label(RichText::new(&a.name).small().color(weak));
                    for v in choices {
                        let on = r.attrs.get(&a.name) == Some(v);
                        if ui
                            .add_enabled(
                                !read_only,
                                egui::Button::selectable(on, RichText::new(v).small()),
                            )
                            .clicked()
                            && !on
                        {
                            commands.push(Command::Relation(RelationCommand::SetAttr {
                                id: r.id,
                                name: a.name.clone(),
                                value: Some(v.clone()),
                            }));
                        }
                    }
                });
            }
        }
    }
}

/// The relations of the open layer by span: for each span id, the positions of the relations
/// it is an end of. With a fingerprint of the relations it was made from.
pub type RelationIndex = (u64, std::collections::HashMap<u64, Vec<usize>>);

/// For each span id, the positions in `relations` of the relations it is an end of.
pub fn index_by_span(relations: &[Relation]) -> std::collections::HashMap<u64, Vec<usize>> {
    let mut by_span: std::collections::HashMap<u64, Vec<usize>> = Default::default();
    for (i, r) in relations.iter().enumerate() {
        for id in [r.from.here_id(), r.to.here_id()].into_iter().flatten() {
            by_span.entry(id).or_default().push(i);
        }
    }
    by_span
}

/// What the arcs are drawn from: the text view as it was just painted, the layer's spans and
/// their index, its relations and their index by span ([`index_by_span`]), and the selected
/// span.
pub struct ArcsInput<'a> {
    pub view: &'a super::text_view::TextView,
    pub spans: &'a [Span],
    pub index: &'a dyn super::text_view::SpanLookup,
    pub relations: &'a [Relation],
    pub by_span: &'a std::collections::HashMap<u64, Vec<usize>>,
    pub tags: &'a TagSet,
    pub selected: Option<u64>,
    /// Span `id` of the layer (the other end of a chip).
    pub span_of: &'a dyn Fn(u64) -> Option<&'a Span>,
}

/// Draws the open document's arcs ([`draw_arcs`]) from the window's state.
pub(super) fn draw_open_arcs(
    app: &MarginaliaApp,
    ui: &Ui,
    clip: Rect,
    tags: &TagSet,
    commands: &mut Vec<Command>,
) {
    let (Some(open), Some((_, by_span))) = (&app.open, &app.relation_index) else {
        return;
    };
    let span_of = |id: u64| open.span(id);
    draw_arcs(
        ui,
        clip,
        &ArcsInput {
            view: &open.view,
            spans: &open.doc.layer().spans,
            index: open.index.all(),
            relations: &open.doc.layer().relations,
            by_span,
            tags,
            selected: app.selected_span,
            span_of: &span_of,
        },
        commands,
    );
}

/// Remakes `app.relation_index` when the open layer's relations changed
/// ([`Relation::fingerprint`], much cheaper than the look-ups it saves).
pub(super) fn refresh_index(app: &mut MarginaliaApp) {
    let Some(open) = &app.open else {
        app.relation_index = None;
        return;
    };
    let rels = &open.doc.layer().relations;
    let fingerprint = Relation::fingerprint(rels);
    if app
        .relation_index
        .as_ref()
        .is_some_and(|(f, _)| *f == fingerprint)
    {
        return;
    }
    app.relation_index = Some((fingerprint, index_by_span(rels)));
}

/// An arc to draw: between two boxes on screen, or a chip for an end that is not.
struct Arc {
    from: Rect,
    to: Rect,
    label: String,
    color: Color32,
    symmetric: bool,
    /// An end is the selected span: drawn in full, with its label, whatever else is shown.
    selected: bool,
}

/// Above this many arcs on screen, only those of the selected span are labelled and drawn in
/// full; the others are thin and faint, so that the words stay readable.
const BUSY: usize = 24;

/// Draws a document's relations over the text: an arc above the lines between two
/// spans on screen, labelled with its type, higher when it spans others (lanes); an end off
/// screen or in another document gets a chip with the other end's words.
pub fn draw_arcs(ui: &Ui, clip: Rect, input: &ArcsInput<'_>, commands: &mut Vec<Command>) {
    let rels = input.relations;
    if rels.is_empty() {
        return;
    }
    let Some((lo, hi)) = input.view.painted_range() else {
        return;
    };
    // The spans on screen, through the span index: the work follows what is shown, and only
    // their relations are looked at (through the index by span).
    let spans = input.spans;
    let mut shown: std::collections::HashMap<u64, (Rect, &Span)> = Default::default();
    input.index.visit(lo, hi, &mut |pos| {
        if let Some(s) = spans.get(pos)
            && let Some(r) = input
                .view
                .screen_rects_of(s.start, s.end)
                .into_iter()
                .next()
            && clip.intersects(r)
        {
            shown.insert(s.id, (r, s));
        }
    });
    let by_span = input.by_span;
    let mut todo: Vec<usize> = shown
        .keys()
        .filter_map(|id| by_span.get(id))
        .flatten()
        .copied()
        .collect();
    todo.sort_unstable();
    todo.dedup();
    let first_box = |id: u64| shown.get(&id).copied();
    let tags = input.tags;
    let selected = input.selected;
    let mut arcs = Vec::new();
    let mut chips: Vec<(Rect, String, Color32, Command)> = Vec::new();
    for r in todo.into_iter().filter_map(|i| rels.get(i)) {
        let kind = tags.relation(&r.kind);
        let color = kind.map_or(Color32::GRAY, |k| kind_color(ui.visuals(), k));
        let symmetric = kind.is_some_and(|k| k.symmetric);
        let a = r.from.here_id().and_then(first_box);
        let b = r.to.here_id().and_then(first_box);
        match (a, b) {
            (Some((ra, _)), Some((rb, _))) => arcs.push(Arc {
                from: ra,
                to: rb,
                label: r.kind.clone(),
                color,
                symmetric,
                selected: selected.is_some_and(|id| r.touches(id)),
            }),
            // An end elsewhere gets its chip while its span is selected (the details panel
            // lists every relation; chips for all would cover the row above).
            (Some((ra, s)), None) | (None, Some((ra, s))) if selected == Some(s.id) => {
                let other = r.other_end(s.id);
                let (words, jump) = match &other.doc {
                    Some(d) => (
                        format!("{} · {}", excerpt(&d.exact, 20), short_path(&d.text)),
                        Command::OpenAt {
                            rel: d.text.clone(),
                            start: d.start,
                            end: d.end,
                        },
                    ),
                    None => match (input.span_of)(other.span) {
                        Some(s) => (
                            excerpt(&s.exact, 24),
                            Command::SelectSpan {
                                id: s.id,
                                scroll: true,
                            },
                        ),
                        None => continue,
                    },
                };
                let arrow = r.arrow_from(s.id, symmetric);
                chips.push((ra, format!("{} {arrow} {words}", r.kind), color, jump));
            }
            _ => {}
        }
    }
    let painter = ui.painter().with_clip_rect(clip);
    let font = egui::FontId::proportional(10.5);
    let bg = ui.visuals().panel_fill;
    // Arcs run in the gap above each row of text, never across it, as brat draws them: two
    // ends on one row are joined by a bracket above that row; ends on different rows each get
    // a bracket that runs to the column's edge (right from the upper end, in from the left to
    // the lower one). A bracket spanning others on its row goes higher (lanes).
    // The column's edges, from the spans drawn (the text is a centred column, not the pane).
    let left_edge = (shown.values().map(|(r, _)| r.left()))
        .fold(f32::INFINITY, f32::min)
        .max(clip.left() + 2.0)
        - 6.0;
    let right_edge = (shown.values().map(|(r, _)| r.right()))
        .fold(f32::NEG_INFINITY, f32::max)
        .min(clip.right() - 14.0)
        + 6.0;
    let mut segments: Vec<Segment> = Vec::new();
    for a in &arcs {
        let (p0, p1) = (a.from.center_top(), a.to.center_top());
        if (p0.y - p1.y).abs() < 4.0 {
            segments.push(Segment::new(p0.x.min(p1.x), p0.x.max(p1.x), p0.y.min(p1.y)));
        } else {
            let (upper, lower) = if p0.y < p1.y { (p0, p1) } else { (p1, p0) };
            segments.push(Segment::new(upper.x, right_edge, upper.y));
            segments.push(Segment::new(left_edge, lower.x, lower.y));
        }
    }
    let lanes = lanes(&segments);
    // Within the gap between rows (about a third of a line), never into the row above.
    let lift = |lane: usize| 3.0 + 2.0 * lane.min(3) as f32;
    let busy = arcs.len() > BUSY;
    let mut si = 0;
    for a in &arcs {
        let quiet = busy && !a.selected;
        let stroke = if quiet {
            Stroke::new(0.8, a.color.gamma_multiply(0.45))
        } else {
            Stroke::new(1.3, a.color)
        };
        let (p0, p1) = (a.from.center_top(), a.to.center_top());
        let bracket = |x0: f32, x1: f32, y: f32, lane: usize, down0: bool, down1: bool| {
            let top = y - lift(lane);
            let mut pts = Vec::with_capacity(4);
            if down0 {
                pts.push(Pos2::new(x0, y));
            }
            pts.push(Pos2::new(x0, top));
            pts.push(Pos2::new(x1, top));
            if down1 {
                pts.push(Pos2::new(x1, y));
            }
            painter.add(egui::Shape::line(pts, stroke));
            top
        };
        let label_at = if (p0.y - p1.y).abs() < 4.0 {
            let top = bracket(p0.x, p1.x, p0.y.min(p1.y), lanes[si], true, true);
            si += 1;
            Pos2::new((p0.x + p1.x) / 2.0, top)
        } else {
            let from_upper = p0.y < p1.y;
            let (upper, lower) = if from_upper { (p0, p1) } else { (p1, p0) };
            let t0 = bracket(upper.x, right_edge, upper.y, lanes[si], true, false);
            let t1 = bracket(left_edge, lower.x, lower.y, lanes[si + 1], false, true);
            si += 2;
            // The label goes by the `from` end.
            if from_upper {
                Pos2::new((upper.x + right_edge) / 2.0, t0)
            } else {
                Pos2::new((left_edge + lower.x) / 2.0, t1)
            }
        };
        if !a.symmetric {
            // An arrowhead into the `to` end.
            painter.add(egui::Shape::convex_polygon(
                vec![
                    p1,
                    Pos2::new(p1.x - 3.0, p1.y - 5.0),
                    Pos2::new(p1.x + 3.0, p1.y - 5.0),
                ],
                stroke.color,
                Stroke::NONE,
            ));
        }
        if quiet {
            continue;
        }
        let g = painter.layout_no_wrap(a.label.clone(), font.clone(), a.color);
        let at = Pos2::new(label_at.x - g.size().x / 2.0, label_at.y - g.size().y / 2.0);
        painter.rect_filled(Rect::from_min_size(at, g.size()).expand(1.0), 2.0, bg);
        painter.galley(at, g, a.color);
    }
    // A chip is small, the relation's type and an arrow over the span's right end (in the gap
    // above the row); the other end's words are its hover text and its screen-reader label.
    let mut stacked: Vec<Rect> = Vec::new();
    for (i, (r, text, color, jump)) in chips.into_iter().enumerate() {
        let short = text.split(' ').take(2).collect::<Vec<_>>().join(" ") + " ↗";
        let g = painter.layout_no_wrap(short, egui::FontId::proportional(9.5), color);
        let mut at = Pos2::new(r.right() - g.size().x, r.top() - g.size().y + 2.0);
        // Chips of one span side by side, not on top of each other.
        while let Some(o) = stacked
            .iter()
            .find(|o| o.intersects(Rect::from_min_size(at, g.size())))
        {
            at.x = o.left() - g.size().x - 4.0;
        }
        stacked.push(Rect::from_min_size(at, g.size()).expand(1.0));
        let rect = Rect::from_min_size(at, g.size()).expand(1.5);
        painter.rect_filled(rect, 3.0, bg);
        painter.rect_stroke(rect, 3.0, Stroke::new(1.0, color), egui::StrokeKind::Inside);
        painter.galley(at, g, color);
        let resp = ui
            .interact(
                rect,
                ui.scope_id().with(("relation chip", i)),
                egui::Sense::click(),
            )
            .on_hover_text(format!("{text} (click: go there)"));
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &text));
        if resp.clicked() {
            commands.push(jump);
        }
    }
}

/// A text's file name, for a chip's few words (`002_c14de4e8ffe1b554.txt`).
fn short_path(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// A horizontal run of an arc above a row: from `x0` to `x1` at the row's top `y`.
struct Segment {
    x0: f32,
    x1: f32,
    y: f32,
}

impl Segment {
    fn new(x0: f32, x1: f32, y: f32) -> Self {
        Self {
            x0: x0.min(x1),
            x1: x0.max(x1),
            y,
        }
    }
}

/// The lane of each segment: 0 for one that spans no other on its row, else one above the
/// highest lane among those it overlaps that are narrower (so nested arcs do not cross).
fn lanes(segments: &[Segment]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..segments.len()).collect();
    order.sort_by(|&a, &b| {
        let w = |s: &Segment| s.x1 - s.x0;
        w(&segments[a]).total_cmp(&w(&segments[b]))
    });
    let mut lane = vec![0usize; segments.len()];
    for (k, &i) in order.iter().enumerate() {
        let s = &segments[i];
        lane[i] = order[..k]
            .iter()
            .filter(|&&j| {
                let o = &segments[j];
                (o.y - s.y).abs() < 4.0 && o.x0 < s.x1 && s.x0 < o.x1
            })
            .map(|&j| lane[j] + 1)
            .max()
            .unwrap_or(0);
    }
    lane
}

/// The selected span's link handle: a small ring over its start. Dragged onto another span, it
/// opens the picker at the type; while dragged, a line follows the pointer.
pub(super) fn link_handle(app: &MarginaliaApp, ui: &Ui, clip: Rect, commands: &mut Vec<Command>) {
    let (Some(open), Some(id)) = (&app.open, app.selected_span) else {
        return;
    };
    if app.read_only() || picker_open(app) {
        return;
    }
    let Some(span) = open.span(id) else { return };
    let Some(first) = open
        .view
        .screen_rects_of(span.start, span.end)
        .into_iter()
        .next()
    else {
        return;
    };
    let center = Pos2::new(first.left() + 3.0, first.top() - 3.0);
    if !clip.contains(center) {
        return;
    }
    let rect = Rect::from_center_size(center, vec2(12.0, 12.0));
    let resp = ui
        .interact(rect, ui.scope_id().with("link handle"), egui::Sense::drag())
        .on_hover_text("Drag onto another span to link them (or press R)")
        .on_hover_cursor(egui::CursorIcon::Grab);
    resp.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Button,
            true,
            "Link handle: drag onto another span",
        )
    });
    let color = ui.visuals().text_color();
    let painter = ui.painter().with_clip_rect(clip);
    painter.circle(
        center,
        4.0,
        ui.visuals().panel_fill,
        Stroke::new(1.5, color),
    );
    let pointer = ui.ctx().pointer_latest_pos();
    if resp.dragged()
        && let Some(p) = pointer
    {
        painter.line_segment([center, p], Stroke::new(1.5, color));
        painter.circle_filled(p, 3.0, color);
    }
    if resp.drag_stopped()
        && let Some(p) = pointer
        && let Some(c) = open.view.char_at_pos(p)
    {
        let spans = &open.doc.layer().spans;
        let mut hits = Vec::new();
        super::text_view::SpanLookup::visit(open.index.all(), c, c + 1, &mut |pos| hits.push(pos));
        let target = hits
            .into_iter()
            .filter_map(|pos| spans.get(pos))
            .filter(|s| s.id != id)
            .min_by_key(|s| (s.end - s.start, s.start));
        if let Some(t) = target {
            commands.push(Command::Relation(RelationCommand::DropOn {
                from: id,
                to: t.id,
            }));
        }
    }
}

/// The span list's filter by relation: all spans, spans with any relation, or with one of a
/// type. Shown when the workspace has relation types.
pub(super) fn list_filter(
    app: &MarginaliaApp,
    ui: &mut Ui,
    tags: &TagSet,
    commands: &mut Vec<Command>,
) {
    if tags.relations.is_empty() {
        return;
    }
    let shown = match app.relation_filter.as_deref() {
        None => "all spans".to_owned(),
        Some("") => "with relations".to_owned(),
        Some(kind) => format!("with {kind}"),
    };
    ui.horizontal(|ui| {
        ui.label("Linked");
        let mut info = egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Relation filter");
        info.current_text_value = Some(shown.clone());
        egui::ComboBox::from_id_salt("relation filter")
            .selected_text(shown)
            .width((ui.available_width() - 8.0).clamp(80.0, 200.0))
            .show_ui(ui, |ui| {
                let mut item = |ui: &mut Ui, label: &str, value: Option<String>| {
                    if ui
                        .selectable_label(app.relation_filter == value, label)
                        .clicked()
                    {
                        commands.push(Command::Relation(RelationCommand::Filter(value)));
                    }
                };
                item(ui, "all spans", None);
                item(ui, "with relations", Some(String::new()));
                for k in &tags.relations {
                    item(ui, &format!("with {}", k.name), Some(k.name.clone()));
                }
            })
            .response
            .widget_info(|| info.clone());
    });
}

/// The ids of the spans that `filter` keeps: an end of a relation of type `filter` in this
/// layer (`""`: of any type).
pub(super) fn linked_ids(relations: &[Relation], filter: &str) -> std::collections::HashSet<u64> {
    relations
        .iter()
        .filter(|r| filter.is_empty() || r.kind == filter)
        .flat_map(|r| [r.from.here_id(), r.to.here_id()])
        .flatten()
        .collect()
}

/// A relation type's colour for lines and text on the panel's background: as declared in the
/// light theme, lifted toward white in the dark one (#0072B2 on near-black is 3:1; lifted, over
/// 5:1).
fn kind_color(visuals: &egui::Visuals, k: &RelationType) -> Color32 {
    let [r, g, b] = k.rgb();
    let c = Color32::from_rgb(r, g, b);
    if visuals.dark_mode {
        let lift = |v: u8| v + ((255 - v) as f32 * 0.45) as u8;
        Color32::from_rgb(lift(r), lift(g), lift(b))
    } else {
        c
    }
}
