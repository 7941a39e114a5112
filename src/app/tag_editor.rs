//! The tag editor window (legend's "Edit tags…" or View → Edit tags…): add a tag, pick its
//! colour from a colour-blind-safe palette checked for text contrast in both themes, change its
//! key (conflicts refused), its description and guideline, and its attributes. Saving goes
//! through the core's [`TagSet::save`]; every window notices `tags.ron` changed on disk by a
//! cheap stat check once a second and reloads it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::SystemTime;

use egui::{Color32, RichText, Ui};

use crate::model::tags::{AttrKind, Attribute, Tag, TagSet, parse_hex_color};

use super::registry::{Action, Keymap};
use super::{Command, MarginaliaApp, theme};

/// Okabe–Ito (its black replaced by Tol's pale grey: black tints too dark in the light theme),
/// then Paul Tol's bright and muted schemes: distinct for colour-blind readers.
pub const PALETTE: [&str; 22] = [
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#DDDDDD",
    "#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB", "#332288",
    "#88CCEE", "#44AA99", "#117733", "#999933", "#882255", "#AA4499",
];

/// The least contrast of the text over a highlight accepted (WCAG AA for body text).
pub const MIN_CONTRAST: f32 = 4.5;

/// The window's state.
#[derive(Debug, Default)]
pub struct TagEditor {
    open: bool,
    /// The tag set being edited; saved as a whole.
    draft: Option<TagSet>,
    /// Spans per tag in every layer when the window opened (renaming or deleting a used tag is
    /// the CLI's job: it rewrites the layers).
    used: BTreeMap<String, usize>,
    selected: usize,
    new_name: String,
    hotkey_buf: String,
    /// Comma-separated choices being typed, by (tag, attribute) position.
    choice_bufs: HashMap<(usize, usize), String>,
    /// The last word: (is an error, text).
    message: Option<(bool, String)>,
    /// `tags.ron`'s modification time and length when last read or written (inner `None`: no
    /// file); `None` before the first look.
    seen: Option<Option<Stat>>,
}

impl TagEditor {
    /// Whether the window is open.
    pub(super) fn is_open(&self) -> bool {
        self.open
    }
}

/// Whether the window's tag set differs from the one saved.
pub(super) fn has_unsaved(app: &MarginaliaApp) -> bool {
    app.tag_editor
        .draft
        .as_ref()
        .is_some_and(|d| *d != app.tag_set())
}

/// Opens or closes the window.
pub(super) fn toggle(app: &mut MarginaliaApp) {
    let ed = &mut app.tag_editor;
    if ed.open {
        ed.open = false;
        ed.draft = None;
        return;
    }
    let Some(ws) = &app.ws else {
        app.status_line = "Open a workspace first".into();
        return;
    };
    let mut used = crate::workspace::stats::gather(ws).by_tag;
    if let Some(open) = &app.open {
        // Spans not yet saved count too.
        for t in &ws.tags().tags {
            let n = open.index.count(&t.name);
            let e = used.entry(t.name.clone()).or_default();
            *e = (*e).max(n);
        }
    }
    *ed = TagEditor {
        open: true,
        draft: Some(ws.tags().clone()),
        used,
        seen: ed.seen,
        ..Default::default()
    };
}

fn tags_path(app: &MarginaliaApp) -> Option<std::path::PathBuf> {
    Some(app.ws.as_ref()?.tags_path())
}

type Stat = (Option<SystemTime>, u64);

fn stat(path: &std::path::Path) -> Option<Stat> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok(), m.len()))
}

/// Writes `tags` through the core and uses them at once.
pub(super) fn save(app: &mut MarginaliaApp, tags: TagSet) {
    let Some(path) = tags_path(app) else { return };
    match tags.save(&path) {
        Ok(()) => {
            app.tag_editor.seen = Some(stat(&path));
            if let Some(ws) = &mut app.ws {
                ws.set_tags(tags.clone());
            }
            app.tag_editor.draft = Some(tags);
            let text = format!("Saved to {}", path.display());
            app.status_line = text.clone();
            app.tag_editor.message = Some((false, text));
        }
        Err(e) => app.tag_editor.message = Some((true, e.to_string())),
    }
}

/// If `tags.ron` changed on disk (another window saved it), reads it again. Every frame, one
/// `stat`; the file watcher wakes the window when the file changes (mod.rs `watch_files`).
pub(super) fn notice_changed_tags(app: &mut MarginaliaApp) {
    let Some(path) = tags_path(app) else { return };
    let now_seen = stat(&path);
    let ed = &mut app.tag_editor;
    let Some(before) = ed.seen.replace(now_seen) else {
        // The first look only remembers: the workspace read the file when it opened.
        return;
    };
    if before == now_seen {
        return;
    }
    match TagSet::load_or_default(&path) {
        Ok(tags) => {
            if let Some(ws) = &mut app.ws
                && ws.tags() != &tags
            {
                ws.set_tags(tags.clone());
                app.status_line = "The tags changed on disk; they are used now".into();
                if app.tag_editor.open {
                    app.tag_editor.draft = Some(tags);
                }
            }
        }
        Err(e) => app.status_line = format!("The changed tags are not used: {e}"),
    }
}

/// Plain keys the app gives a meaning of its own (here or in review mode): not for tags.
fn app_key(keymap: &Keymap, key: &str) -> Option<&'static str> {
    let k = egui::Key::from_name(&key.to_ascii_uppercase())?;
    let plain = |s: &egui::KeyboardShortcut| s.logical_key == k && s.modifiers.is_none();
    for a in Action::ALL {
        if keymap.chords(a).iter().any(plain) {
            return Some(a.description());
        }
    }
    (keymap.review_keys().into_iter())
        .find(|(s, _, _)| plain(s))
        .map(|(_, _, what)| what)
}

/// Why `key` cannot be tag `index`'s key, if it cannot.
pub fn hotkey_conflict(keymap: &Keymap, tags: &TagSet, index: usize, key: &str) -> Option<String> {
    if key.is_empty() {
        return None;
    }
    let mut chars = key.chars();
    if !matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii_alphanumeric()) {
        return Some(format!("{key:?} is not one letter or digit"));
    }
    if let Some(t) = (tags.tags.iter().enumerate())
        .find(|(i, t)| *i != index && t.hotkey.eq_ignore_ascii_case(key))
    {
        return Some(format!("key {key} is already tag {}'s", t.1.name));
    }
    app_key(keymap, key).map(|what| format!("key {key} is taken by the app: {what}"))
}

fn color32(hex: &str) -> Color32 {
    let [r, g, b] = parse_hex_color(hex).unwrap_or([128, 128, 128]);
    Color32::from_rgb(r, g, b)
}

/// The text contrast over colour `hex` in the light and dark themes.
fn contrasts(hex: &str) -> (f32, f32) {
    let c = color32(hex);
    (
        theme::highlight_contrast(c, false),
        theme::highlight_contrast(c, true),
    )
}

fn readable(hex: &str) -> bool {
    let (l, d) = contrasts(hex);
    l >= MIN_CONTRAST && d >= MIN_CONTRAST
}

/// The tag other than the one at `except` whose highlight would look too much like colour
/// `hex`'s ([`theme::MIN_TAG_DELTA_E`]), with the difference.
fn too_close(tags: &TagSet, except: usize, hex: &str) -> Option<(String, f32)> {
    let c = color32(hex);
    (tags.tags.iter().enumerate())
        .filter(|(i, _)| *i != except)
        .map(|(_, t)| (t.name.clone(), theme::tint_difference(c, color32(&t.color))))
        .filter(|(_, d)| *d < theme::MIN_TAG_DELTA_E)
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// A new tag: the first readable palette colour unlike every tag's, the first free digit key.
fn new_tag(keymap: &Keymap, tags: &TagSet, name: &str) -> Tag {
    let used: HashSet<String> = tags.tags.iter().map(|t| t.color.to_uppercase()).collect();
    let color = (PALETTE.iter())
        .find(|c| !used.contains(**c) && readable(c) && too_close(tags, usize::MAX, c).is_none())
        .or_else(|| PALETTE.iter().find(|c| !used.contains(**c) && readable(c)))
        .unwrap_or(&PALETTE[0]);
    let hotkey = (1..=9)
        .map(|d| d.to_string())
        .find(|k| hotkey_conflict(keymap, tags, usize::MAX, k).is_none())
        .unwrap_or_default();
    Tag {
        name: name.to_owned(),
        color: (*color).to_owned(),
        hotkey,
        description: String::new(),
        guideline: String::new(),
        attributes: Vec::new(),
    }
}

fn rename_pointer(old: &str, n: usize) -> String {
    format!(
        "{} use {old}: rename or merge it on the command line, which rewrites every layer: \
         marginalia tags rename {old} NEW",
        crate::wording::plural(n, "span")
    )
}

/// Draws the window while it is open.
pub(super) fn draw(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    if !app.tag_editor.open {
        return;
    }
    let mut open = true;
    egui::Window::new("Tag editor")
        .constrain_to(app.window_area(ctx))
        .open(&mut open)
        .default_size([780.0, 540.0])
        .vscroll(true)
        .show(ctx, |ui| body(app, ui, commands));
    if !open {
        app.tag_editor.open = false;
        app.tag_editor.draft = None;
    }
}

fn body(app: &mut MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    let saved = app.tag_set();
    let keymap = &app.keymap;
    let ed = &mut app.tag_editor;
    let Some(draft) = &mut ed.draft else { return };
    let weak = theme::weak(ui.visuals());

    // The tags, and a new one.
    ui.horizontal_wrapped(|ui| {
        for (i, t) in draft.tags.iter().enumerate() {
            let c = color32(&t.color);
            let text = RichText::new(&t.name).color(theme::text_on(c));
            let b = egui::Button::new(text).fill(c).stroke(if i == ed.selected {
                egui::Stroke::new(2.5, ui.visuals().strong_text_color())
            } else {
                egui::Stroke::NONE
            });
            if ui.add(b).clicked() && ed.selected != i {
                ed.selected = i;
                ed.hotkey_buf.clear();
                ed.message = None;
            }
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("New tag name");
        let r = ui
            .add(egui::TextEdit::singleline(&mut ed.new_name).desired_width(160.0))
            .labelled_by(label.id);
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Add tag").clicked() || enter {
            let name = ed.new_name.trim().to_owned();
            if name.is_empty() {
                ed.message = Some((true, "Type the new tag's name first".into()));
            } else if draft.contains(&name) {
                ed.message = Some((true, format!("There is a tag {name} already")));
            } else {
                let t = new_tag(keymap, draft, &name);
                draft.tags.push(t);
                ed.selected = draft.tags.len() - 1;
                ed.hotkey_buf.clear();
                ed.new_name.clear();
                ed.message = Some((false, format!("Added {name}; Save writes it")));
            }
        }
    });
    ui.separator();
    ed.selected = ed.selected.min(draft.tags.len().saturating_sub(1));
    let i = ed.selected;
    let Some(tag) = draft.tags.get(i).cloned() else {
        return;
    };
    let used = ed.used.get(&tag.name).copied().unwrap_or(0);
    let mut next = tag.clone();

    // The text fields take the window's width (at 340 a default description was cut).
    let field_width = (ui.available_width() - 110.0).clamp(340.0, 640.0);
    egui::Grid::new("tag fields")
        .num_columns(2)
        .spacing([10.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Name");
            if used > 0 && saved.contains(&tag.name) {
                ui.label(RichText::new(&tag.name).strong())
                    .labelled_by(label.id)
                    .on_hover_text(rename_pointer(&tag.name, used));
            } else {
                ui.add(egui::TextEdit::singleline(&mut next.name).desired_width(200.0))
                    .labelled_by(label.id);
            }
            ui.end_row();

            let label = ui.label("Colour");
            ui.vertical(|ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.spacing_mut().item_spacing = egui::vec2(4.0, 4.0);
                    for hex in PALETTE {
                        let c = color32(hex);
                        let (l, d) = contrasts(hex);
                        let ok = l >= MIN_CONTRAST && d >= MIN_CONTRAST;
                        let current = next.color.eq_ignore_ascii_case(hex);
                        let text = RichText::new(if ok { " " } else { "!" })
                            .color(theme::text_on(c))
                            .strong();
                        let b = egui::Button::new(text)
                            .fill(c)
                            .min_size(egui::vec2(22.0, 22.0))
                            .stroke(if current {
                                egui::Stroke::new(3.0, ui.visuals().strong_text_color())
                            } else {
                                egui::Stroke::new(1.0, weak)
                            });
                        let hover = format!(
                            "{hex}: text contrast {l:.1}:1 light, {d:.1}:1 dark{}",
                            if ok {
                                String::new()
                            } else {
                                format!(" — below {MIN_CONTRAST}:1, refused")
                            }
                        );
                        let r = ui.add(b).on_hover_text(hover);
                        r.widget_info(|| {
                            egui::WidgetInfo::selected(
                                egui::Role::Button,
                                true,
                                current,
                                format!("colour {hex}"),
                            )
                        });
                        if r.clicked() {
                            if let Some((other, d)) = ok.then(|| too_close(draft, i, hex)).flatten()
                            {
                                ed.message = Some((
                                    true,
                                    format!(
                                        "{hex} is refused: its highlight looks like {other}'s \
                                         (colour difference {d:.1}, at least {} is needed)",
                                        theme::MIN_TAG_DELTA_E
                                    ),
                                ));
                            } else if ok {
                                next.color = hex.to_owned();
                            } else {
                                ed.message = Some((
                                    true,
                                    format!(
                                        "{hex} is refused: text over it reads at {l:.1}:1 \
                                         (light) and {d:.1}:1 (dark); at least \
                                         {MIN_CONTRAST}:1 is needed"
                                    ),
                                ));
                            }
                        }
                    }
                });
                let (l, d) = contrasts(&next.color);
                let line = format!(
                    "{}: text contrast {l:.1}:1 light, {d:.1}:1 dark",
                    next.color
                );
                let color = if l.min(d) < MIN_CONTRAST {
                    theme::error_color(ui.visuals())
                } else {
                    weak
                };
                ui.label(RichText::new(line).small().color(color))
                    .labelled_by(label.id);
            });
            ui.end_row();

            let label = ui.label("Hotkey");
            let id = egui::Id::unique("tag editor hotkey");
            if !ui.memory(|m| m.has_focus(id)) {
                ed.hotkey_buf = next.hotkey.clone();
            }
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut ed.hotkey_buf)
                        .id(id)
                        .char_limit(1)
                        .desired_width(30.0),
                )
                .labelled_by(label.id);
            if r.changed() {
                let key = ed.hotkey_buf.trim().to_owned();
                match hotkey_conflict(keymap, draft, i, &key) {
                    Some(why) => {
                        ed.message = Some((true, format!("Refused: {why}")));
                        ed.hotkey_buf = next.hotkey.clone();
                    }
                    None => {
                        next.hotkey = key;
                        ed.message = None;
                    }
                }
            }
            ui.end_row();

            let label = ui.label("Description");
            ui.add_sized(
                [field_width, 20.0],
                egui::TextEdit::singleline(&mut next.description),
            )
            .labelled_by(label.id);
            ui.end_row();

            let label = ui.label("Guideline");
            ui.add(
                egui::TextEdit::multiline(&mut next.guideline)
                    .desired_rows(3)
                    .desired_width(field_width)
                    .hint_text("When to use the tag, edge cases…"),
            )
            .labelled_by(label.id);
            ui.end_row();
        });

    ui.add_space(4.0);
    ui.label(RichText::new("Attributes").strong());
    attributes(ui, &mut next, i, &mut ed.choice_bufs);
    if ui.button("Add attribute").clicked() {
        let mut n = 1;
        let name = loop {
            let name = if n == 1 {
                "value".to_owned()
            } else {
                format!("value {n}")
            };
            if next.attribute(&name).is_none() {
                break name;
            }
            n += 1;
        };
        next.attributes.push(Attribute::text(&name, ""));
    }

    if next != tag {
        draft.tags[i] = next;
    }
    ui.separator();
    ui.horizontal(|ui| {
        let problem = draft.check().err();
        let changed = *draft != saved;
        if ui
            .add_enabled(changed && problem.is_none(), egui::Button::new("Save"))
            .on_hover_text("Write annotations/tags.ron")
            .clicked()
        {
            commands.push(Command::SaveTags(Box::new(draft.clone())));
        }
        if ui
            .add_enabled(changed, egui::Button::new("Revert"))
            .clicked()
        {
            *draft = saved.clone();
            ed.choice_bufs.clear();
            ed.message = None;
        }
        let in_saved = saved.contains(&tag.name);
        if ui
            .button("Delete tag")
            .on_hover_text("Only a tag no span uses")
            .clicked()
        {
            if used > 0 && in_saved {
                ed.message = Some((
                    true,
                    format!("Refused: {}", rename_pointer(&tag.name, used)),
                ));
            } else if draft.tags.len() == 1 {
                ed.message = Some((true, "The last tag cannot go".into()));
            } else {
                draft.tags.remove(i);
                ed.selected = 0;
                ed.choice_bufs.clear();
                ed.message = Some((false, format!("Deleted {}; Save writes it", tag.name)));
            }
        }
        if let Some(p) = problem {
            theme::error_text(ui, p);
        }
    });
    if used > 0 && saved.contains(&tag.name) {
        ui.label(
            RichText::new(format!(
                "{} — renaming: marginalia tags rename {} NEW",
                crate::wording::plural(used, "span"),
                tag.name
            ))
            .small()
            .color(weak),
        );
    }
    if let Some((error, text)) = &ed.message {
        let color = if *error {
            theme::error_color(ui.visuals())
        } else {
            weak
        };
        ui.label(RichText::new(text).color(color));
    }
}

/// The attribute table of tag `tag` (position `ti`).
fn attributes(
    ui: &mut Ui,
    tag: &mut Tag,
    ti: usize,
    choice_bufs: &mut HashMap<(usize, usize), String>,
) {
    let mut remove = None;
    // The description takes what the other columns leave (about 560 points with Remove).
    let description_width = (ui.available_width() - 570.0).clamp(160.0, 420.0);
    // Not striped: in the light theme the white fields vanished on the striped rows.
    egui::Grid::new(("attribute table", ti))
        .num_columns(7)
        .spacing([6.0, 4.0])
        .show(ui, |ui| {
            let heads = [
                "Attribute",
                "Kind",
                "Choices",
                "Default",
                "Required",
                "Description",
            ]
            .map(|h| ui.label(RichText::new(h).small().strong()).id);
            ui.label("");
            ui.end_row();
            for (ai, a) in tag.attributes.iter_mut().enumerate() {
                // Sized explicitly: inside a grid a text field only gets the width its column
                // had last frame, so a desired width alone left the names cut to four letters.
                ui.add_sized([110.0, 20.0], egui::TextEdit::singleline(&mut a.name))
                    .labelled_by(heads[0]);
                let kind = a.kind.label();
                egui::ComboBox::from_id_salt(("attribute kind", ti, ai))
                    .selected_text(kind)
                    .width(64.0)
                    .show_ui(ui, |ui| {
                        for k in ["text", "choice", "flag"] {
                            if ui.selectable_label(kind == k, k).clicked() && kind != k {
                                a.kind = match k {
                                    "choice" => AttrKind::Choice(Vec::new()),
                                    "flag" => AttrKind::Flag,
                                    _ => AttrKind::Text,
                                };
                                a.default = None;
                                choice_bufs.remove(&(ti, ai));
                            }
                        }
                    })
                    .response
                    .labelled_by(heads[1]);
                if let AttrKind::Choice(values) = &mut a.kind {
                    let buf = choice_bufs
                        .entry((ti, ai))
                        .or_insert_with(|| values.join(", "));
                    let r = ui
                        .add_sized(
                            [150.0, 20.0],
                            egui::TextEdit::singleline(buf).hint_text("a, b, c"),
                        )
                        .labelled_by(heads[2]);
                    if r.changed() {
                        *values = (buf.split(','))
                            .map(str::trim)
                            .filter(|v| !v.is_empty())
                            .map(str::to_owned)
                            .collect();
                    }
                } else {
                    ui.label("");
                }
                let mut default = a.default.clone().unwrap_or_default();
                let r = match &a.kind {
                    AttrKind::Choice(values) => {
                        egui::ComboBox::from_id_salt(("attribute default", ti, ai))
                            .selected_text(if default.is_empty() { "—" } else { &default })
                            .width(80.0)
                            .show_ui(ui, |ui| {
                                ui.selectable_value(&mut default, String::new(), "—");
                                for v in values {
                                    ui.selectable_value(&mut default, v.clone(), v);
                                }
                            })
                            .response
                    }
                    AttrKind::Flag => {
                        let mut on = default == crate::model::tags::FLAG_TRUE;
                        let r = ui.checkbox(&mut on, "");
                        default = if on {
                            crate::model::tags::FLAG_TRUE.into()
                        } else {
                            String::new()
                        };
                        r
                    }
                    AttrKind::Text => {
                        ui.add_sized([80.0, 20.0], egui::TextEdit::singleline(&mut default))
                    }
                };
                r.labelled_by(heads[3]);
                a.default = (!default.is_empty()).then_some(default);
                ui.checkbox(&mut a.required, "").labelled_by(heads[4]);
                ui.add_sized(
                    [description_width, 20.0],
                    egui::TextEdit::singleline(&mut a.description),
                )
                .labelled_by(heads[5]);
                if ui.small_button("Remove").clicked() {
                    remove = Some(ai);
                }
                ui.end_row();
            }
        });
    if let Some(ai) = remove {
        tag.attributes.remove(ai);
        choice_bufs.retain(|(t, _), _| *t != ti);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_palette_colour_and_every_default_tag_reads_in_both_themes() {
        for hex in PALETTE {
            let (light, dark) = contrasts(hex);
            assert!(readable(hex), "{hex}: {light:.1}:1 light, {dark:.1}:1 dark");
        }
        for tag in TagSet::default().tags {
            assert!(readable(&tag.color), "{}", tag.color);
        }
    }

    /// Issue 23: a colour whose highlight looks like another tag's is refused (the default
    /// tags are far enough apart), and a new tag is given one that is not.
    #[test]
    fn a_colour_too_like_another_tags_is_refused_and_new_tags_get_a_distinct_one() {
        let mut tags = TagSet::default();
        for (i, t) in tags.tags.iter().enumerate() {
            assert_eq!(too_close(&tags, i, &t.color), None, "{}", t.name);
        }
        let error = tags.tags.iter().position(|t| t.name == "error").unwrap();
        let (other, d) = too_close(&tags, usize::MAX, "#D55E00").expect("error's own colour");
        assert_eq!((other.as_str(), d), ("error", 0.0));
        assert_eq!(
            too_close(&tags, error, "#D55E00"),
            None,
            "its own tag may keep it"
        );
        // Tol's two greens are plainly different colours but not as highlights.
        tags.tags[error].color = "#228833".into();
        assert!(too_close(&tags, usize::MAX, "#117733").is_some());
        let keymap = Keymap::new(&Default::default());
        for n in 0..8 {
            let t = new_tag(&keymap, &tags, &format!("new {n}"));
            assert_eq!(too_close(&tags, usize::MAX, &t.color), None, "{}", t.color);
            tags.tags.push(t);
        }
    }
}
