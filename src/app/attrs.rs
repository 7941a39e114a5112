//! A span's attribute values in the window: the details panel's widgets (a text field, a choice
//! list or a checkbox per attribute of the tag) with their keyboard flow, the value the span
//! list shows after the excerpt, and the span list's filter by a value.
//!
//! Keyboard: `A` moves into the first attribute; Tab / Shift+Tab go round the attributes; a
//! choice takes the typed first letters or its number (1–9); Esc goes back to the text with the
//! span still selected. A text field's value is kept as it is typed, like the note, so no way
//! out of the field (Tab, Esc, a click, another span or document, the palette, review mode,
//! quit, a signal) can lose it; what one visit to the field typed is one undo step.

use std::collections::{BTreeMap, HashMap};

use egui::{Id, Key, Modifiers, RichText, Ui};

use crate::model::layer::Span;
use crate::model::tags::{self, AttrKind, Attribute, Tag, TagSet};

use super::commands::{AttrStep, ValueFilter};
use super::{Command, MarginaliaApp, theme};

/// The value filter's rows, with what they were computed for: the filter, the tag filter, the
/// document and its edit count.
pub type FilteredRows = (ValueFilter, Option<String>, String, u64, Vec<usize>);

/// The attribute widgets' state between frames.
#[derive(Debug, Default)]
pub struct AttrUi {
    /// The span whose text fields are being edited.
    span: Option<u64>,
    /// Text fields' contents by attribute name.
    bufs: HashMap<String, String>,
    /// The widgets' ids in Tab order, as drawn last frame.
    ids: Vec<Id>,
    /// Letters typed into the focused choice list, and when the last one came (seconds).
    typed: (String, f64),
    /// The span list's value filter.
    pub filter: Option<ValueFilter>,
    /// The positions the value filter keeps, and what they were computed for (the filter, the
    /// tag filter, the document and its edit count): recomputed on a change, not every frame.
    pub rows: Option<FilteredRows>,
    /// An attribute widget had the keyboard at the end of the last frame (egui drops the focus
    /// on Esc before the next frame starts, so the Esc is recognised by this).
    had_focus: bool,
    /// The text field (span, attribute) this visit has already changed: further typing extends
    /// that undo step. Cleared when the field loses the keyboard.
    run: Option<(u64, String)>,
}

impl AttrUi {
    /// The first attribute widget, if the selected span's tag has attributes.
    pub fn first(&self) -> Option<Id> {
        self.ids.first().copied()
    }
}

/// Keys while an attribute widget has the keyboard (before the app's own shortcuts): Tab and
/// Shift+Tab go round the attributes, Esc goes back to the text. Returns whether one has it;
/// the app's single-key shortcuts (tag keys, Delete…) then stay off.
pub(super) fn keys(app: &mut MarginaliaApp, ctx: &egui::Context) -> bool {
    if std::mem::take(&mut app.attr_ui.had_focus)
        && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape))
    {
        if let Some(f) = ctx.memory(|m| m.focused()) {
            ctx.memory_mut(|m| m.surrender_focus(f));
        }
        back_in_the_text(app);
        return true;
    }
    let ids = &app.attr_ui.ids;
    let Some(focused) = ctx.memory(|m| m.focused()) else {
        return false;
    };
    let Some(i) = ids.iter().position(|x| *x == focused) else {
        return false;
    };
    let n = ids.len();
    let (back, tab, esc) = ctx.input_mut(|inp| {
        (
            inp.consume_key(Modifiers::SHIFT, Key::Tab),
            inp.consume_key(Modifiers::NONE, Key::Tab),
            inp.consume_key(Modifiers::NONE, Key::Escape),
        )
    });
    if back || tab {
        let next = if tab { (i + 1) % n } else { (i + n - 1) % n };
        let target = ids[next];
        ctx.memory_mut(|m| {
            m.move_focus(egui::FocusDirection::None);
            m.request_focus(target);
        });
    }
    if esc {
        ctx.memory_mut(|m| m.surrender_focus(focused));
        back_in_the_text(app);
    }
    true
}

/// Says that Esc left the attribute for the text, for as long as the span stays selected.
fn back_in_the_text(app: &mut MarginaliaApp) {
    let line = "Back in the text; the span stays selected".to_owned();
    match app.selected_span {
        Some(id) => app.status_while(line, super::StatusWhile::SpanSelected(id)),
        None => app.status_line = line,
    }
}

/// The value shown after a span's excerpt in the span list: a correction as `→ value`, else
/// the first attribute that has a value (a flag by its name).
pub fn summary(tag: Option<&Tag>, s: &Span) -> Option<String> {
    let tag = tag?;
    if let Some(c) = tag
        .attribute("correction")
        .and_then(|_| s.attrs.get("correction"))
        .filter(|v| !v.is_empty())
    {
        return Some(format!("→ {}", one_line(c, 24)));
    }
    tag.attributes.iter().find_map(|a| {
        let v = s.attrs.get(&a.name).filter(|v| !v.is_empty())?;
        match a.kind {
            AttrKind::Flag if v == tags::FLAG_TRUE => Some(a.name.clone()),
            AttrKind::Flag => None,
            _ => Some(one_line(v, 24)),
        }
    })
}

/// Every value of span `s` as `name: value` lines, schema order first (for the hover card).
pub fn value_lines(tag: Option<&Tag>, attrs: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(tag) = tag {
        for a in &tag.attributes {
            if let Some(v) = attrs.get(&a.name).filter(|v| !v.is_empty()) {
                out.push(format!("{}: {}", a.name, one_line(v, 60)));
            }
        }
    }
    for (k, v) in attrs {
        if !tags::is_reserved(k) && tag.is_none_or(|t| t.attribute(k).is_none()) {
            out.push(format!("{k}: {}", one_line(v, 60)));
        }
    }
    out
}

fn one_line(v: &str, max: usize) -> String {
    let flat: String = v
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max - 1).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// The details panel's attribute section for span `s`.
pub(super) fn details(
    app: &mut MarginaliaApp,
    ui: &mut Ui,
    tags: &TagSet,
    s: &Span,
    read_only: bool,
    commands: &mut Vec<Command>,
) {
    let weak = theme::weak(ui.visuals());
    let tag = tags.get(&s.tag);
    let attributes: &[Attribute] = tag.map_or(&[], |t| &t.attributes);
    let st = &mut app.attr_ui;
    if st.span != Some(s.id) {
        st.span = Some(s.id);
        st.bufs.clear();
    }
    let mut ids = Vec::new();
    let focused = ui.memory(|m| m.focused());
    if let Some((span, name)) = &st.run
        && (*span != s.id || focused != Some(widget_id(name)))
    {
        st.run = None;
    }
    if attributes.is_empty() {
        ui.label(
            RichText::new(format!(
                "{} has no attributes (Tags → Edit tags… adds some)",
                s.tag
            ))
            .small()
            .color(weak),
        );
    } else {
        ui.label(
            RichText::new("Attributes (A to edit, Tab to move, Esc back to the text)")
                .small()
                .color(weak),
        );
    }
    egui::Grid::new(("attributes", s.id))
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            for a in attributes {
                let value = s.attrs.get(&a.name).cloned().unwrap_or_default();
                let missing = a.required && value.is_empty();
                let mut name = RichText::new(&a.name);
                if missing {
                    name = name.color(theme::error_color(ui.visuals()));
                }
                let label = ui.label(name);
                let label = if a.description.is_empty() {
                    label
                } else {
                    label.on_hover_text(&a.description)
                };
                let id = widget_id(&a.name);
                ui.add_enabled_ui(!read_only, |ui| {
                    ui.horizontal(|ui| {
                        let r = match &a.kind {
                            AttrKind::Text => {
                                let has = focused == Some(id);
                                let buf = st.bufs.entry(a.name.clone()).or_default();
                                if !has {
                                    *buf = value.clone();
                                }
                                let r = ui.add(
                                    egui::TextEdit::singleline(buf)
                                        .id(id)
                                        .desired_width(150.0)
                                        .hint_text(if missing { "required" } else { "" }),
                                );
                                // Kept as typed (trimmed), the first change of a visit a
                                // new undo step and the rest extending it.
                                if r.changed() {
                                    let this = (s.id, a.name.clone());
                                    let step = if st.run.as_ref() == Some(&this) {
                                        AttrStep::Join
                                    } else {
                                        AttrStep::Start
                                    };
                                    st.run = Some(this);
                                    commands.push(Command::SetAttr {
                                        id: s.id,
                                        name: a.name.clone(),
                                        value: Some(buf.trim().to_owned()),
                                        step,
                                    });
                                }
                                r
                            }
                            AttrKind::Choice(values) => {
                                choice(ui, st, id, s.id, a, values, &value, missing, commands)
                            }
                            AttrKind::Flag => {
                                let mut on = value == tags::FLAG_TRUE;
                                let r = ui.add(egui::Checkbox::without_text(&mut on));
                                if r.changed() {
                                    commands.push(Command::SetAttr {
                                        id: s.id,
                                        name: a.name.clone(),
                                        value: Some(
                                            if on {
                                                tags::FLAG_TRUE
                                            } else {
                                                tags::FLAG_FALSE
                                            }
                                            .to_owned(),
                                        ),
                                        step: AttrStep::Own,
                                    });
                                }
                                r
                            }
                        };
                        let r = r.labelled_by(label.id);
                        ids.push(r.id);
                        if missing {
                            ui.label(
                                RichText::new("required")
                                    .small()
                                    .color(theme::error_color(ui.visuals())),
                            );
                        } else if !value.is_empty() && !a.allows(&value) {
                            ui.label(
                                RichText::new("not allowed")
                                    .small()
                                    .color(theme::error_color(ui.visuals())),
                            )
                            .on_hover_text(format!(
                                "{value:?} is not one of the listed values; pick one"
                            ));
                        }
                    });
                });
                ui.end_row();
            }
        });
    let others: Vec<(&String, &String)> = (s.attrs.iter())
        .filter(|(k, _)| !tags::is_reserved(k) && tag.is_none_or(|t| t.attribute(k).is_none()))
        .collect();
    if !others.is_empty() {
        ui.label(
            RichText::new("Other attributes (not in the tag's schema)")
                .small()
                .color(weak),
        );
        for (k, v) in others {
            ui.label(RichText::new(format!("{k}: {v}")).small());
        }
    }
    app.attr_ui.had_focus = ids.iter().any(|id| ui.memory(|m| m.has_focus(*id)));
    app.attr_ui.ids = ids;
}

/// The id of attribute `name`'s text field, and the salt of its choice list.
fn widget_id(name: &str) -> Id {
    Id::unique(("attribute", name))
}

/// A choice attribute: a drop-down list that also takes typed first letters or a number while
/// it has the keyboard.
#[allow(clippy::too_many_arguments)]
fn choice(
    ui: &mut Ui,
    st: &mut AttrUi,
    id: Id,
    span: u64,
    a: &Attribute,
    values: &[String],
    value: &str,
    missing: bool,
    commands: &mut Vec<Command>,
) -> egui::Response {
    // `extend`: letters typed in a run pick one value in one undo step.
    let set = |v: Option<&str>, extend: bool, commands: &mut Vec<Command>| {
        if v.unwrap_or("") != value || extend {
            commands.push(Command::SetAttr {
                id: span,
                name: a.name.clone(),
                value: Some(v.unwrap_or("").to_owned()),
                step: if extend {
                    AttrStep::Join
                } else {
                    AttrStep::Own
                },
            });
        }
    };
    let shown = if value.is_empty() {
        RichText::new(if missing { "— (required)" } else { "—" })
    } else {
        RichText::new(value)
    };
    let inner = egui::ComboBox::from_id_salt(id)
        .selected_text(shown)
        .width(150.0)
        .show_ui(ui, |ui| {
            if ui.selectable_label(value.is_empty(), "— (none)").clicked() {
                set(None, false, commands);
            }
            for (i, v) in values.iter().enumerate() {
                let text = if i < 9 {
                    format!("{}  {v}", i + 1)
                } else {
                    format!("    {v}")
                };
                if ui.selectable_label(v == value, text).clicked() {
                    set(Some(v), false, commands);
                }
            }
        });
    let r = inner.response;
    if r.has_focus() {
        let now = ui.input(|i| i.time);
        let typed: Vec<String> = ui.input(|i| {
            i.events
                .iter()
                .filter_map(|e| match e {
                    egui::Event::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect()
        });
        for t in typed {
            for c in t.chars() {
                if let Some(n) = c.to_digit(10).filter(|n| (1..=9).contains(n)) {
                    if let Some(v) = values.get(n as usize - 1) {
                        set(Some(v), false, commands);
                    }
                    st.typed.0.clear();
                    continue;
                }
                if now - st.typed.1 > 1.0 {
                    st.typed.0.clear();
                }
                let extend = !st.typed.0.is_empty();
                st.typed.1 = now;
                st.typed.0.extend(c.to_lowercase());
                let starts = |p: &str| values.iter().find(|v| v.to_lowercase().starts_with(p));
                let found = starts(&st.typed.0).or_else(|| {
                    st.typed.0 = c.to_lowercase().collect();
                    starts(&st.typed.0)
                });
                if let Some(v) = found {
                    set(Some(v), extend, commands);
                }
            }
        }
    }
    r.on_hover_text(format!(
        "{}Type a value's first letters or its number (1–9)",
        if a.description.is_empty() {
            String::new()
        } else {
            format!("{}\n", a.description)
        }
    ))
}
