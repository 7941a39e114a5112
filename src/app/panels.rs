//! The panels around the text: top bar, document list (left), span list, details and legend
//! (right), the tag toolbar and the status line. Each draws state and pushes [`Command`]s.

use egui::{Align, Color32, Id, Layout, RichText, Sense, Ui, vec2};

use crate::model::layer::Status;
use crate::session::autosave::SaveState;
use crate::session::engine::Editing;

use super::registry::{Action, Keymap, Menu, menu_items};
use super::text_view::{ViewInput, excerpt};
use super::{BASE_FONT_SIZE, Command, MarginaliaApp, NOTE_EDITOR, theme};

/// Draws the whole window.
pub fn draw(app: &mut MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    let side = theme::side_frame(app.cleared_by_gl, ui);
    let bar = egui::Panel::top("top bar")
        .frame(side.inner_margin(egui::Margin::symmetric(8, 6)))
        .show(ui, |ui| top_bar(app, ui, commands));
    app.bar_bottom = bar.response.rect.bottom();
    let status = egui::Panel::bottom("status line")
        .frame(side)
        .show(ui, |ui| status_line(app, ui));
    app.status_top = status.response.rect.top();
    egui::Panel::left("documents")
        .frame(side)
        .resizable(true)
        .default_size(230.0)
        .size_range(170.0..=420.0)
        .show(ui, |ui| super::doc_list::draw(app, ui, commands));
    // Also while a document's text is shown before its spans, so the text keeps its width.
    if app.open.is_some() || app.loading.as_ref().is_some_and(|l| l.preview.is_some()) {
        egui::Panel::right("spans")
            .frame(side)
            .resizable(true)
            .default_size(290.0)
            .size_range(220.0..=480.0)
            .show(ui, |ui| span_panel(app, ui, commands));
    }
    super::durability::banner_panel(app, ui, commands);
    let fill = theme::centre_fill(app.cleared_by_gl, ui);
    let colour = ui.visuals().extreme_bg_color;
    egui::CentralPanel::default()
        .frame(egui::Frame::central_panel(ui.style()).fill(fill))
        .show(ui, |ui| {
            theme::on_background(ui, colour, |ui| centre(app, ui, commands))
        });
}

/// A button sending `action`'s command, its tooltip naming the action's first chord.
fn action_button(ui: &mut Ui, keymap: &Keymap, enabled: bool, text: &str, action: Action) -> bool {
    ui.add_enabled(enabled, egui::Button::new(text))
        .on_hover_text(keymap.hover(text, action))
        .clicked()
}

fn top_bar(app: &mut MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    // Undo, Redo, Mark done and the save indicator need about this much.
    const ACTIONS_WIDTH: f32 = 250.0;
    const PATH_WIDTH: f32 = 150.0;
    let mut wide = false;
    ui.horizontal(|ui| {
        // The window's title says "Marginalia"; the bar keeps its room for the document.
        super::transfer::file_menu(app, ui, commands);
        view_menu(app, ui, commands);
        let ws_text = match (&app.ws, &app.ws_error) {
            (Some(ws), _) => ws.root().display().to_string(),
            (None, Some(_)) => "no workspace".to_owned(),
            (None, None) => "no workspace".to_owned(),
        };
        // A fixed slot, so the bar does not shift with the path's length.
        ui.allocate_ui_with_layout(
            vec2(PATH_WIDTH, ui.spacing().interact_size.y),
            Layout::left_to_right(Align::Center),
            |ui| {
                ui.set_min_width(PATH_WIDTH);
                ui.add(egui::Label::new(RichText::new(&ws_text).monospace().small()).truncate())
                    .on_hover_text(format!("Workspace: {ws_text}"));
            },
        );
        ui.menu_button("Open…", |ui| {
            ui.set_min_width(320.0);
            let open = Action::in_menu(Menu::Open);
            menu_items(ui, &app.keymap, open, true, app.prefs.dark, commands);
            ui.separator();
            let label = ui.label("Or type a folder or .txt path:");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut app.path_buf)
                        .desired_width(300.0)
                        .hint_text("/path/to/workspace"),
                )
                .labelled_by(label.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Open this path").clicked() || enter {
                commands.push(Command::OpenPath(app.path_buf.trim().into()));
                ui.close();
            }
        });
        ui.separator();
        let label = ui.label("Annotator");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut app.annotator_buf)
                    .desired_width(96.0)
                    .char_limit(64),
            )
            .labelled_by(label.id);
        if r.lost_focus() {
            commands.push(Command::SetAnnotator(app.annotator_buf.trim().to_owned()));
        }
        if let Some(e) = &app.annotator_error {
            // The reason itself, not a bare "invalid" that explained itself only on hover.
            let width = ui.available_width().clamp(80.0, 320.0);
            ui.add_sized(
                [width, ui.spacing().interact_size.y],
                egui::Label::new(
                    RichText::new(format!("not used: {e}")).color(theme::error_color(ui.visuals())),
                )
                .truncate(),
            )
            .on_hover_text(e);
        }
        layer_picker(app, ui, commands);
        ui.separator();
        super::review_mode::top_bar_buttons(app, ui, commands);

        wide = ui.available_width() >= ACTIONS_WIDTH;
        if wide {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                document_actions(app, ui, commands);
            });
        }
    });
    if !wide && has_document_actions(app) {
        // A narrow window: the document's actions get their own row instead of overlapping.
        ui.horizontal(|ui| {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                document_actions(app, ui, commands);
            });
        });
    }
}

/// View: the theme, the text size and the shortcut sheet, which are used less often than
/// what stays on the bar.
fn view_menu(app: &MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    ui.menu_button("View", |ui| {
        menu_items(
            ui,
            &app.keymap,
            Action::VIEW_MENU,
            true,
            app.prefs.dark,
            commands,
        );
    });
}

/// Undo, Redo, Mark done and the save indicator, laid out right to left.
/// Whether [`document_actions`] shows anything: a document is open, or a workspace "Tag all"
/// can be undone or redone.
fn has_document_actions(app: &MarginaliaApp) -> bool {
    app.open.is_some()
        || super::undo::workspace_step_waits(app, false)
        || super::undo::workspace_step_waits(app, true)
}

fn document_actions(app: &MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    save_indicator(app, ui);
    if let Some(open) = &app.open {
        let editable = !open.doc.is_read_only();
        let mut done = open.doc.layer().status == Status::Done;
        if ui
            .add_enabled(editable, egui::Checkbox::new(&mut done, "Mark done"))
            .on_hover_text("This document is finished for this annotator")
            .changed()
        {
            commands.push(Command::ToggleDone);
        }
    }
    // A workspace "Tag all" is undone from here too, also with no document open.
    let (redo, undo) = (app.open.as_ref())
        .filter(|o| !o.doc.is_read_only())
        .map_or((false, false), |o| (o.doc.can_redo(), o.doc.can_undo()));
    let redo = redo || super::undo::workspace_step_waits(app, false);
    let undo = undo || super::undo::workspace_step_waits(app, true);
    if has_document_actions(app) {
        for (enabled, action) in [(redo, Action::Redo), (undo, Action::Undo)] {
            if action_button(ui, &app.keymap, enabled, action.description(), action) {
                commands.push(action.command());
            }
        }
    }
}

fn layer_picker(app: &MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    if app.ws.is_none() {
        return;
    }
    let mut names = app.layer_names.clone();
    if !names.contains(&app.prefs.annotator) {
        names.insert(0, app.prefs.annotator.clone());
    }
    // Not the annotator's name again (it is in the field beside): whose spans these are, and
    // how many other layers there are to look at (spans imported under another name).
    let others = names.iter().filter(|n| **n != app.prefs.annotator).count();
    let whose = if app.layer == app.prefs.annotator {
        "yours".to_owned()
    } else {
        format!("{}'s (read-only)", app.layer)
    };
    let shown = match others {
        0 => whose,
        n => format!("{whose} · {n} more"),
    };
    let label = ui.label("Spans");
    egui::ComboBox::from_id_salt("layer picker")
        .selected_text(shown)
        .width(118.0)
        .show_ui(ui, |ui| {
            for name in names {
                let own = name == app.prefs.annotator;
                let text = if own {
                    format!("{name} (you)")
                } else {
                    format!("{name} (read-only)")
                };
                if ui.selectable_label(app.layer == name, text).clicked() && app.layer != name {
                    commands.push(Command::ShowLayer(name));
                }
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text(format!(
            "Whose spans to show: yours, or another layer of this workspace ({others} more), \
             read-only. Only your own layer can be edited."
        ));
}

fn save_indicator(app: &MarginaliaApp, ui: &mut Ui) {
    let Some(open) = &app.open else { return };
    let v = ui.visuals().clone();
    let (text, color, hover) = if open.doc.is_read_only() {
        (
            "read-only".to_owned(),
            theme::weak(&v),
            "Another annotator's layer is never written".to_owned(),
        )
    } else {
        match open.doc.save_state() {
            SaveState::Saved => (
                "Saved".to_owned(),
                if v.dark_mode {
                    Color32::from_rgb(120, 200, 140)
                } else {
                    Color32::from_rgb(20, 120, 50)
                },
                format!("Saved to {}", open.doc.layer_path().display()),
            ),
            SaveState::Pending => (
                "saving…".to_owned(),
                theme::weak(&v),
                "Edits are written within a second".to_owned(),
            ),
            SaveState::Failed(e) if open.doc.is_deleted_outside() => (
                "NOT SAVED".to_owned(),
                theme::error_color(&v),
                format!("{e}: keep your spans or close the document"),
            ),
            SaveState::Failed(e) => (
                "NOT SAVED".to_owned(),
                theme::error_color(&v),
                format!("{e} — retrying"),
            ),
        }
    };
    ui.label(RichText::new(text).color(color))
        .on_hover_text(hover);
}

fn status_line(app: &MarginaliaApp, ui: &mut Ui) {
    ui.horizontal(|ui| {
        if let Some(e) = &app.ws_error {
            theme::error_text(ui, e);
        } else if let Some(open) = &app.open
            && let SaveState::Failed(e) = open.doc.save_state()
        {
            let e = e.strip_prefix("not saved: ").unwrap_or(e);
            let text = if open.doc.is_deleted_outside() {
                format!("Not saved: {e}")
            } else {
                format!("Not saved: {e} (retrying)")
            };
            theme::error_text(ui, text);
        } else if crate::model::bidi::needs_reordering(&app.status_line) {
            // A message quoting right-to-left words ("Accepted quote “…”") in visual order; a
            // screen reader gets it in reading order.
            let job = super::text_view::visual_line_job(
                &app.status_line,
                egui::TextStyle::Body.resolve(ui.style()),
                theme::weak(ui.visuals()),
            );
            ui.label(job).widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Label, true, &app.status_line)
            });
        } else {
            ui.label(RichText::new(&app.status_line).color(theme::weak(ui.visuals())));
        }
    });
}

fn centre(app: &mut MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    let Some(ws) = &app.ws else {
        ui.centered_and_justified(|ui| {
            ui.label("Open a workspace folder or a .txt file with Open… above.");
        });
        return;
    };
    let tags = ws.tags().clone();
    let read_only = app.read_only();
    if let Some(loading) = &mut app.loading {
        let back = match &app.open {
            Some(o) => format!("Cancel, back to {}", o.doc.rel()),
            None => "Cancel".to_owned(),
        };
        let secs = loading.since.elapsed().as_secs_f32();
        let Some(preview) = &mut loading.preview else {
            ui.add_space((ui.available_height() * 0.35).min(240.0));
            ui.vertical_centered(|ui| {
                spinner(ui);
                ui.label(format!("Opening {}… {secs:.1} s", loading.rel));
                ui.add_space(6.0);
                if ui.button("Cancel").on_hover_text(back).clicked() {
                    commands.push(Command::CancelOpen);
                }
            });
            return;
        };
        // The text is read: it is shown (without spans) while the layer is read and checked.
        ui.add_space(2.0);
        ui.horizontal(|ui| {
            spinner(ui);
            ui.label(format!(
                "Opening {}: reading its spans… {secs:.1} s",
                loading.rel
            ));
            if ui.button("Cancel").on_hover_text(back).clicked() {
                commands.push(Command::CancelOpen);
            }
        });
        ui.separator();
        let font_size = (BASE_FONT_SIZE * app.prefs.zoom).round();
        let input = ViewInput::plain(
            &preview.text,
            &[],
            &preview.no_spans,
            &tags,
            font_size,
            &loading.rel,
        );
        // Nothing can be tagged yet: what the view asks for waits for the spans.
        preview.view.show(ui, &input, &mut Vec::new());
        return;
    }
    if app.open.is_none() && super::durability::problem_page(app, ui) {
        return;
    }
    let Some(open) = &mut app.open else {
        if app.entries.is_empty() {
            let root = ws.root().display().to_string();
            empty_workspace(ui, &root, commands);
        } else {
            ui.centered_and_justified(|ui| {
                let next = app.keymap.first_text(Action::NextDocument);
                ui.label(
                    RichText::new(match next {
                        Some(k) => {
                            format!("Choose a document on the left ({k} opens the next one).")
                        }
                        None => "Choose a document on the left.".to_owned(),
                    })
                    .size(18.0)
                    .color(theme::weak(ui.visuals())),
                );
            });
        }
        return;
    };
    // Tag toolbar.
    ui.add_space(2.0);
    ui.horizontal_wrapped(|ui| {
        let can_tag =
            !read_only && (open.view.selected_range().is_some() || app.selected_span.is_some());
        for t in &tags.tags {
            let color = theme::tag_color(&tags, &t.name);
            let text = format!("{}  {}", t.hotkey, t.name);
            // Not greyed out by egui (unreadable on a dark panel): a quieter chip that, when
            // clicked, says what to do first.
            let (fill, fg) = if can_tag {
                (color, theme::text_on(color))
            } else {
                theme::inactive_chip(color, ui.visuals())
            };
            let button = egui::Button::new(RichText::new(text).color(fg))
                .fill(fill)
                .stroke(egui::Stroke::new(1.0, color));
            let hover = if can_tag {
                format!("{} (key {})", t.description, t.hotkey)
            } else {
                format!(
                    "{} (key {}). Select text first, or click a span to retag it",
                    t.description, t.hotkey
                )
            };
            let r = ui.add(button).on_hover_text(hover);
            if r.clicked() {
                commands.push(Command::Tag(t.name.clone()));
            }
        }
        ui.separator();
        for (text, action) in [("A-", Action::ZoomOut), ("A+", Action::ZoomIn)] {
            let hover = app.keymap.hover(action.description(), action);
            if ui.small_button(text).on_hover_text(hover).clicked() {
                commands.push(action.command());
            }
        }
    });
    ui.separator();
    if app.find.is_open() {
        super::find_bar::draw(app, ui, commands);
        ui.separator();
    }
    let Some(open) = &mut app.open else { return };
    let name = open.doc.rel().to_owned();
    let font_size = (BASE_FONT_SIZE * app.prefs.zoom).round();
    let input = ViewInput {
        selected_span: app.selected_span,
        badges: Some(&app.badges),
        uncertain: Some(super::durability::fuzzy_color(ui.visuals())),
        hits: app.find.hits(),
        current_hit: app.find.current_hit(),
        suggestions: Some(app.suggest.marks()),
        focused_suggestion: app.suggest.focused_mark(),
        relations: &open.doc.layer().relations,
        ..ViewInput::plain(
            open.doc.text(),
            &open.doc.layer().spans,
            open.index.all(),
            &tags,
            font_size,
            &name,
        )
    };
    let clip = ui.available_rect_before_wrap();
    open.view.show(ui, &input, commands);
    super::relations::refresh_index(app);
    super::relations::draw_open_arcs(app, ui, clip, &tags, commands);
    super::relations::link_handle(app, ui, clip, commands);
}

/// A spinner that turns four times a second: egui's own asks for every frame it can get, and
/// on a software renderer those frames take the core that the document is being read on.
fn spinner(ui: &mut Ui) {
    let size = ui.spacing().interact_size.y;
    let (rect, r) = ui.allocate_exact_size(vec2(size, size), Sense::hover());
    r.widget_info(|| egui::WidgetInfo::new(egui::Role::ProgressIndicator));
    let step = (ui.input(|i| i.time) * 4.0).floor();
    let start = step * std::f64::consts::TAU / 8.0;
    let radius = size * 0.5 - 2.0;
    let points: Vec<egui::Pos2> = (0..=16)
        .map(|k| {
            let a = start + f64::from(k) / 16.0 * std::f64::consts::TAU * 0.7;
            rect.center() + radius * vec2(a.cos() as f32, a.sin() as f32)
        })
        .collect();
    let color = ui.visuals().strong_text_color();
    ui.painter()
        .add(egui::Shape::line(points, egui::Stroke::new(3.0, color)));
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(250));
}

/// The span panel while a document's text is shown and its spans are still being read.
fn span_panel_loading(ui: &mut Ui) {
    ui.add_space(4.0);
    ui.heading("Spans");
    ui.label(RichText::new("Reading the spans…").color(theme::weak(ui.visuals())));
}

fn span_panel(app: &mut MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    if app.loading.as_ref().is_some_and(|l| l.preview.is_some()) {
        span_panel_loading(ui);
        return;
    }
    let Some(ws) = &app.ws else { return };
    let tags = ws.tags().clone();
    let read_only = app.read_only();
    let list_fresh = app
        .open
        .as_mut()
        .is_some_and(|o| std::mem::take(&mut o.list_fresh));
    let Some(open) = &app.open else { return };
    let weak = theme::weak(ui.visuals());
    let spans = &open.doc.layer().spans;

    super::durability::orphans_section(app, ui, commands);
    let Some(open) = &app.open else { return };
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.heading("Spans");
        ui.label(RichText::new(format!("{}", spans.len())).color(weak));
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            let shown = app.tag_filter.clone().unwrap_or_else(|| "all tags".into());
            // Unlabelled on screen (the heading says what it filters), named for screen readers.
            let mut info =
                egui::WidgetInfo::labeled(egui::accesskit::Role::ComboBox, true, "Tag filter");
            info.current_text_value = Some(shown.clone());
            // As wide as the room the heading and its count leave (a six-digit count at
            // 1024 px left none for 110 px, and the box covered the count).
            let width = (ui.available_width() - 8.0).clamp(60.0, 110.0);
            egui::ComboBox::from_id_salt("tag filter")
                .selected_text(shown)
                .width(width)
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(app.tag_filter.is_none(), "all tags")
                        .clicked()
                    {
                        commands.push(Command::SetTagFilter(None));
                    }
                    for t in &tags.tags {
                        if ui
                            .selectable_label(app.tag_filter.as_deref() == Some(&t.name), &t.name)
                            .clicked()
                        {
                            commands.push(Command::SetTagFilter(Some(t.name.clone())));
                        }
                    }
                })
                .response
                .widget_info(|| info.clone());
        });
    });

    value_filter(app, ui, &tags, commands);
    super::relations::list_filter(app, ui, &tags, commands);

    // The list: virtualized, one fixed-height row per span.
    let row_h = 38.0;
    let list_h = (ui.available_height() * 0.42).max(120.0);
    let selected = app.selected_span;
    let mut scroll_list_to: Option<usize> = None;
    let filter = app.tag_filter.as_deref();
    if let Some(id) = selected
        && open.position(id).is_some()
        && ui.memory(|m| m.data.get_temp::<u64>(Id::unique("list follows")) != Some(id))
    {
        scroll_list_to = open.index.row_of(filter, id);
        ui.memory_mut(|m| m.data.insert_temp(Id::unique("list follows"), id));
    }
    // A value filter keeps the positions that pass: O(n) in the tag's spans, but only when the
    // filter, the tag filter, the document or its spans change, never per frame.
    let value_rows: Option<&[usize]> = match &app.attr_ui.filter {
        None => None,
        Some(f) => {
            let rel = open.doc.rel();
            let fresh = app
                .attr_ui
                .rows
                .as_ref()
                .is_some_and(|(cf, ct, cr, ce, _)| {
                    cf == f && ct.as_deref() == filter && cr == rel && *ce == open.edits
                });
            if !fresh {
                let rows = (0..open.index.rows(filter))
                    .filter_map(|row| open.index.row(filter, row))
                    .filter(|pos| spans.get(*pos).is_some_and(|s| f.keeps(s)))
                    .collect();
                app.attr_ui.rows = Some((
                    f.clone(),
                    filter.map(str::to_owned),
                    rel.to_owned(),
                    open.edits,
                    rows,
                ));
            }
            app.attr_ui.rows.as_ref().map(|(.., rows)| rows.as_slice())
        }
    };
    // The relation filter keeps, of those rows, the spans that are an end of a relation of its
    // type: remade when the filter, the tag filter, the document or its edits change.
    let value_rows: Option<&[usize]> = match &app.relation_filter {
        None => value_rows,
        Some(rf) => {
            let rel = open.doc.rel();
            // Relation edits do not move `edits` (they change no span): their state is folded in.
            let relations =
                crate::model::relation::Relation::fingerprint(&open.doc.layer().relations);
            let state = open.edits ^ relations.rotate_left(17);
            let fresh = app.attr_ui.filter.is_none()
                && app.relation_rows.as_ref().is_some_and(|(f, t, r, e, _)| {
                    f == rf && t.as_deref() == filter && r == rel && *e == state
                });
            if !fresh {
                let linked = super::relations::linked_ids(&open.doc.layer().relations, rf);
                let base: Vec<usize> = match value_rows {
                    Some(v) => v.to_vec(),
                    None => (0..open.index.rows(filter))
                        .filter_map(|row| open.index.row(filter, row))
                        .collect(),
                };
                let rows = base
                    .into_iter()
                    .filter(|pos| spans.get(*pos).is_some_and(|s| linked.contains(&s.id)))
                    .collect();
                app.relation_rows = Some((
                    rf.clone(),
                    filter.map(str::to_owned),
                    rel.to_owned(),
                    state,
                    rows,
                ));
            }
            app.relation_rows.as_ref().map(|(.., rows)| rows.as_slice())
        }
    };
    if let (Some(rows), Some(id)) = (&value_rows, scroll_list_to.and(selected)) {
        scroll_list_to = rows.iter().position(|pos| spans[*pos].id == id);
    }
    let mut area = egui::ScrollArea::vertical()
        .id_salt("span list")
        .max_height(list_h)
        .min_scrolled_height(list_h)
        .auto_shrink([false, false]);
    if let Some(row) = scroll_list_to {
        let spacing = ui.spacing().item_spacing.y;
        let y = row as f32 * (row_h + spacing);
        area = area.vertical_scroll_offset((y - list_h / 3.0).max(0.0));
    } else if list_fresh {
        // A document opens with its list at the top, not where another one's was left.
        area = area.vertical_scroll_offset(0.0);
    }
    let rows = value_rows
        .as_ref()
        .map_or(open.index.rows(filter), |v| v.len());
    let row_pos = |row: usize| match &value_rows {
        Some(v) => v.get(row).copied(),
        None => open.index.row(filter, row),
    };
    // An empty list says so at its top, not under a list's worth of empty room.
    let area = if rows == 0 {
        ui.label(RichText::new("No spans yet. Drag across text, then press 1–4.").color(weak));
        area.max_height(0.0).min_scrolled_height(0.0)
    } else {
        area
    };
    area.show_rows(ui, row_h, rows, |ui, rows| {
        for row in rows {
            let Some(s) = row_pos(row).and_then(|pos| spans.get(pos)) else {
                continue;
            };
            let is_sel = selected == Some(s.id);
            let (rect, r) = theme::list_row(ui, row_h, is_sel);
            let v = ui.visuals();
            let color = theme::tag_color(&tags, &s.tag);
            let chip = egui::Rect::from_min_size(rect.min + vec2(4.0, 4.0), vec2(4.0, row_h - 8.0));
            ui.painter().rect_filled(chip, 2.0, color);
            let text_color = v.text_color();
            // The excerpt keeps the first line; the span's most important value leads the
            // second, in full-strength text, where the narrow panel still has room for it.
            let line1 = format!("{}  ·  {}", s.tag, excerpt(&s.exact, 60));
            let value = super::attrs::summary(tags.get(&s.tag), s);
            let g = ui.painter().layout_job(super::text_view::visual_line_job(
                &line1,
                egui::FontId::proportional(13.0),
                text_color,
            ));
            let g = truncate_galley(ui, g, rect.width() - 16.0);
            ui.painter()
                .galley(rect.min + vec2(12.0, 3.0), g, text_color);
            let line2 = if s.note.is_empty() {
                format!("chars {}–{}", s.start, s.end)
            } else {
                excerpt(&s.note, 70)
            };
            // The second line shares the row's right end with the verdict badge and the
            // fuzzy "?": each gets its own room, and the note is cut short before them.
            let fuzzy_w = if super::durability::is_fuzzy(s) {
                24.0
            } else {
                0.0
            };
            let badge = app.feedback.get(&s.id).map(|f| {
                let (word, c) = super::review_mode::verdict_badge(f, v);
                let g = ui.painter().layout_no_wrap(
                    word.into(),
                    egui::FontId::proportional(theme::SMALL_TEXT),
                    c,
                );
                (word, c, g.size())
            });
            let badge_w = badge.as_ref().map_or(0.0, |(_, _, size)| size.x + 8.0);
            let line2_w = (rect.width() - 16.0 - fuzzy_w - badge_w).max(0.0);
            let line2_rect =
                egui::Rect::from_min_size(rect.min + vec2(12.0, 21.0), vec2(line2_w, row_h - 21.0));
            let mut job = egui::text::LayoutJob::default();
            let font = egui::FontId::proportional(11.5);
            if let Some(value) = &value {
                job.append(
                    value,
                    0.0,
                    egui::TextFormat::simple(font.clone(), text_color),
                );
                job.append("  ·  ", 0.0, egui::TextFormat::simple(font.clone(), weak));
            }
            job.append(&line2, 0.0, egui::TextFormat::simple(font, weak));
            place_label(
                ui,
                line2_rect,
                Layout::left_to_right(Align::Min),
                egui::Label::new(job)
                    .truncate()
                    .selectable(false)
                    .sense(Sense::hover()),
            );
            super::durability::mark_fuzzy_row(ui, rect, s);
            if let Some((word, c, size)) = badge {
                let right = rect.right() - 6.0 - fuzzy_w;
                let badge_rect = egui::Rect::from_min_max(
                    egui::pos2(right - size.x, rect.bottom() - 4.0 - size.y),
                    egui::pos2(right, rect.bottom() - 4.0),
                );
                place_label(
                    ui,
                    badge_rect,
                    Layout::right_to_left(Align::Max),
                    egui::Label::new(RichText::new(word).size(theme::SMALL_TEXT).color(c))
                        .selectable(false)
                        .sense(Sense::hover()),
                );
            }
            r.widget_info(|| {
                egui::WidgetInfo::selected(
                    egui::Role::ListItem,
                    true,
                    is_sel,
                    format!(
                        "{}: {}{}{}{}",
                        s.tag,
                        excerpt(&s.exact, 60),
                        value
                            .as_ref()
                            .map(|v| format!(" · {v}"))
                            .unwrap_or_default(),
                        if super::durability::is_fuzzy(s) {
                            " (position uncertain)"
                        } else {
                            ""
                        },
                        // A conflict git's merge driver recorded (at the top of the note, which
                        // the row's second line shows).
                        s.note
                            .lines()
                            .find(|l| l.starts_with(crate::team::merge::CONFLICT_MARK))
                            .map(|l| format!(" · {l}"))
                            .unwrap_or_default()
                    ),
                )
            });
            if r.clicked() {
                commands.push(Command::SelectSpan {
                    id: s.id,
                    scroll: true,
                });
            }
        }
    });
    ui.separator();

    // Details of the selected span.
    let sel_span = selected.and_then(|id| open.span(id)).cloned();
    if let Some(s) = sel_span {
        if app.note_for != Some(s.id) || !ui.memory(|m| m.has_focus(Id::unique(NOTE_EDITOR))) {
            if app.note_for != Some(s.id) || app.note_buf != s.note {
                app.note_buf = s.note.clone();
            }
            app.note_for = Some(s.id);
        }
        ui.horizontal(|ui| {
            theme::tag_chip(ui, &tags, &s.tag);
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if action_button(ui, &app.keymap, !read_only, "Delete", Action::Delete) {
                    commands.push(Command::DeleteSelectedSpan);
                }
            });
        });
        // On a line of its own: beside the chip and Delete, "#100008 · chars 5174253–5174384"
        // did not fit the panel at 1024 px and ran under the button.
        ui.label(
            RichText::new(format!("#{} · chars {}–{}", s.id, s.start, s.end))
                .small()
                .color(weak),
        );
        super::durability::fuzzy_details(ui, &app.keymap, &s, read_only, commands);
        egui::ScrollArea::vertical()
            .id_salt("exact")
            .max_height(70.0)
            .show(ui, |ui| {
                ui.label(RichText::new(format!("“{}”", s.exact)).italics());
            });
        super::review_mode::feedback_details(app, ui, s.id);
        super::attrs::details(app, ui, &tags, &s, read_only, commands);
        super::relations::details(app, ui, &tags, &s, read_only, commands);
        let label = ui.label(
            RichText::new("Note (Enter to edit, Esc to leave)")
                .small()
                .color(weak),
        );
        let r = ui
            .add_enabled(
                !read_only,
                egui::TextEdit::multiline(&mut app.note_buf)
                    .id(Id::unique(NOTE_EDITOR))
                    .desired_rows(3)
                    .desired_width(f32::INFINITY)
                    .hint_text("Why this span, what to check…"),
            )
            .labelled_by(label.id);
        if r.changed() {
            commands.push(Command::SetNote {
                id: s.id,
                note: app.note_buf.clone(),
            });
        }
        ui.label(
            RichText::new(format!("created {}  ·  modified {}", s.created, s.modified))
                .small()
                .color(weak),
        );
    } else {
        app.note_for = None;
        ui.label(
            RichText::new("Click a span to see and edit it; Tab goes to the next one.").color(weak),
        );
    }
    ui.separator();
    super::suggestions::section(app, ui, commands);
    ui.separator();

    // Legend.
    ui.horizontal(|ui| {
        ui.label(RichText::new("Tags").strong());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui
                .small_button("Edit tags…")
                .on_hover_text("Add tags, change colours, keys and attributes")
                .clicked()
            {
                commands.push(Command::ToggleTagEditor);
            }
        });
    });
    let Some(open) = &app.open else { return };
    egui::ScrollArea::vertical()
        .id_salt("legend")
        .show(ui, |ui| {
            for t in &tags.tags {
                ui.horizontal(|ui| {
                    theme::tag_chip(ui, &tags, &t.name);
                    ui.label(
                        RichText::new(format!("key {}", t.hotkey))
                            .monospace()
                            .small(),
                    );
                    let n = open.index.count(&t.name);
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        ui.label(RichText::new(format!("{n}")).strong());
                    });
                });
                ui.add(egui::Label::new(RichText::new(&t.description).small().color(weak)).wrap());
                ui.add_space(2.0);
            }
        });
}

/// The span list's filter by a value: every choice value and flag of the filtered tag (or of
/// every tag), e.g. "claim verdict = false".
fn value_filter(
    app: &MarginaliaApp,
    ui: &mut Ui,
    tags: &crate::model::tags::TagSet,
    commands: &mut Vec<Command>,
) {
    use super::commands::ValueFilter;
    let mut options = Vec::new();
    for t in &tags.tags {
        if app.tag_filter.as_ref().is_some_and(|f| *f != t.name) {
            continue;
        }
        for a in &t.attributes {
            let values: Vec<String> = match &a.kind {
                crate::model::tags::AttrKind::Choice(v) => v.clone(),
                crate::model::tags::AttrKind::Flag => {
                    vec![
                        crate::model::tags::FLAG_TRUE.into(),
                        crate::model::tags::FLAG_FALSE.into(),
                    ]
                }
                crate::model::tags::AttrKind::Text => continue,
            };
            for v in values {
                options.push(ValueFilter {
                    tag: t.name.clone(),
                    name: a.name.clone(),
                    value: v,
                });
            }
        }
    }
    if options.is_empty() && app.attr_ui.filter.is_none() {
        return;
    }
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new("Value").small());
        let shown = app.attr_ui.filter.as_ref().map_or_else(
            || "any value".to_owned(),
            |f| format!("{} {} = {}", f.tag, f.name, f.value),
        );
        egui::ComboBox::from_id_salt("value filter")
            .selected_text(shown)
            .width(ui.available_width() - 8.0)
            .height(320.0)
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(app.attr_ui.filter.is_none(), "any value")
                    .clicked()
                {
                    commands.push(Command::SetValueFilter(None));
                }
                for f in options {
                    let text = format!("{} {} = {}", f.tag, f.name, f.value);
                    let on = app.attr_ui.filter.as_ref() == Some(&f);
                    if ui.selectable_label(on, text).clicked() {
                        commands.push(Command::SetValueFilter(Some(f)));
                    }
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("Show only spans with this value");
    });
}

/// Keeps a one-line galley inside `width`, cutting it with an ellipsis.
fn truncate_galley(
    ui: &Ui,
    g: std::sync::Arc<egui::Galley>,
    width: f32,
) -> std::sync::Arc<egui::Galley> {
    if g.rows.len() <= 1 && g.size().x <= width {
        return g;
    }
    // The job as laid out, sections and all (a right-to-left excerpt's are in visual order).
    let mut job = (*g.job).clone();
    job.wrap = egui::text::TextWrapping::truncate_at_width(width);
    ui.fonts_mut(|f| f.layout_job(job))
}

/// The centre of a workspace without texts: what to do about it.
fn empty_workspace(ui: &mut Ui, root: &str, commands: &mut Vec<Command>) {
    let weak = theme::weak(ui.visuals());
    ui.add_space((ui.available_height() * 0.25).min(160.0));
    ui.vertical_centered(|ui| {
        ui.label(RichText::new("This workspace has no texts yet").size(18.0));
        ui.add_space(8.0);
        ui.label(RichText::new("Put .txt files (UTF-8) into this folder:").color(weak));
        ui.label(RichText::new(root).monospace());
        ui.label(
            RichText::new("They appear in the list when you open the folder again.").color(weak),
        );
        ui.add_space(8.0);
        ui.label(RichText::new("Or:").color(weak));
        ui.add_space(4.0);
        if ui.button("Open another folder…").clicked() {
            commands.push(Command::Browse { folder: true });
        }
        if ui
            .button("Import texts and annotations…")
            .on_hover_text("File → Import…: brat or JSONL files")
            .clicked()
        {
            commands.push(Command::OpenImport);
        }
    });
}

/// Puts `label` in `rect` with `layout`, without moving `ui`'s cursor (rows are laid out by
/// hand), so that it is a widget the window's accessibility tree can see.
fn place_label(ui: &mut Ui, rect: egui::Rect, layout: Layout, label: egui::Label) {
    ui.new_child(egui::UiBuilder::new().max_rect(rect).layout(layout))
        .add(label);
}
