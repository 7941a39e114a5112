//! The document list on the left: texts grouped by folder, each shown by its title with its file
//! name below, the "3 of 5 done" progress, and moving between documents from the keyboard
//! (Alt+↓ / Alt+↑ / Ctrl+Alt+↓) in the order the list shows.

use egui::{RichText, Sense, Ui, vec2};

use crate::model::layer::Status;
use crate::wording::plural;

use super::registry::Action;
use super::{Command, DocEntry, MarginaliaApp, theme};

/// Whether a document counts as done in the list's progress.
fn is_done(e: &DocEntry) -> bool {
    matches!(e.status, Status::Done | Status::Reviewed)
}

/// The folder of a relative path ("" for the workspace root).
fn folder_of(rel: &str) -> &str {
    rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// What the list shows, worked out once per change of the entries, the filter or a folder's
/// collapsing, never per frame: at 100,000 documents a frame only draws the rows in view.
#[derive(Default)]
pub(super) struct ListCache {
    /// `MarginaliaApp::entries_gen` the rows were made for.
    entries_gen: u64,
    /// `MarginaliaApp::listing_gen` `base` was made for.
    listing_gen: u64,
    /// Every entry in display order: the root's texts, then each folder's.
    base: Vec<usize>,
    /// When the order was last remade.
    refreshed_at: Option<std::time::Instant>,
    /// The lower-cased filter `order` was made for.
    filter: String,
    /// The entries that pass the filter, in display order: the root's texts, then each folder's.
    order: Vec<usize>,
    /// The rows drawn: folder headings and entries, in order.
    rows: Vec<Row>,
    /// Folders whose texts are hidden.
    collapsed: std::collections::HashSet<String>,
    /// Rebuild the rows (a folder was collapsed or opened).
    rows_stale: bool,
    /// Row tops (points from the list's top) for the last drawn row heights, and one past the
    /// last row: the list's height.
    tops: Vec<f32>,
    heights: (f32, f32, f32),
    /// "All documents" is ticked: show every text even when the workspace assigns some.
    pub(super) show_all: bool,
    /// `show_all` as the base was last made for.
    shown_all: bool,
    /// The (annotator, listing) `mine` was made for; `None` without assignments.
    scope_key: Option<(String, u64)>,
    /// The entries assigned to the annotator, in entry order, when the workspace has
    /// assignments (`workspace.ron`); `None` without.
    mine: Option<Vec<usize>>,
    /// How many of them (of all entries, without assignments) are done.
    done: usize,
    /// Every entry's search text ([`haystack`]), in entry order, each followed by a NUL, in one
    /// buffer: one pass of the finder over 8 MB rather than 100,000 searches in as many
    /// allocations (most of them cache misses) when a letter is typed.
    hay: Vec<u8>,
    /// Where each entry's text ends in `hay` (its NUL).
    hay_ends: Vec<usize>,
    /// `MarginaliaApp::entries_gen` `hay` was made for, and when.
    hay_gen: u64,
    hay_at: Option<std::time::Instant>,
    /// `hay` was made with no scan running: every title was read, and outside a scan only
    /// statuses change (opening and editing), so it stays right until the next listing.
    hay_complete: bool,
    /// `MarginaliaApp::entries_gen` `extra` and `done` were counted for.
    counted_gen: u64,
    /// Per entry, the lines its row has beyond an entry's: 2 for a problem, 1 for a review.
    extra: Vec<u8>,
    /// Per entry, its folder, as an index into `folders` (made with `base`).
    folder_ix: Vec<u32>,
    folders: Vec<String>,
    /// A row drawn last frame was still "reading…": the window looks for new lines four times
    /// a second while one is, and once a second when only counts change.
    pub(super) unread_in_view: bool,
}

#[derive(Clone, Debug)]
enum Row {
    /// A folder: its name, its texts shown by the filter (a range of the order; how many are
    /// done is counted when the heading is drawn), and whether collapsed.
    Folder {
        name: String,
        texts: (usize, usize),
        collapsed: bool,
    },
    /// An entry, by index; `indent` when inside a folder.
    Entry { i: usize, indent: bool },
}

/// The lower-cased text the filter searches: the path and the title.
pub(super) fn haystack(rel: &str, title: Option<&str>) -> String {
    let mut h = rel.to_lowercase();
    if let Some(t) = title {
        h.push('\n');
        h.push_str(&t.to_lowercase());
    }
    h
}

/// Brings `app.list`'s order and rows up to date. O(n) when the entries or the filter changed;
/// a filter that extends the previous one searches only the previous matches.
fn refresh(app: &mut MarginaliaApp) {
    let scope_changed = refresh_scope(app);
    let filter = app.doc_filter.trim().to_lowercase();
    let scanning = app.list_scan.is_some();
    let cache = &mut app.list;
    let entries = &app.entries;
    let relisted = scope_changed
        || cache.listing_gen != app.listing_gen
        || cache.base.len()
            != match (&cache.mine, cache.show_all) {
                (Some(mine), false) => mine.len(),
                _ => entries.len(),
            };
    if relisted {
        cache.base = match (&cache.mine, cache.show_all) {
            (Some(mine), false) => mine.clone(),
            _ => (0..entries.len()).collect(),
        };
        number_folders(cache, entries);
        // Entries are sorted by path; a stable sort by folder keeps that order inside each
        // (usually they are in folder order already). By the folders' numbers: no path is read.
        let mut by_name: Vec<u32> = (0..cache.folders.len() as u32).collect();
        by_name.sort_by(|&a, &b| cache.folders[a as usize].cmp(&cache.folders[b as usize]));
        let mut rank = vec![0u32; by_name.len()];
        for (r, &f) in by_name.iter().enumerate() {
            rank[f as usize] = r as u32;
        }
        let key = |i: &usize| rank[cache.folder_ix[*i] as usize];
        if !cache.base.is_sorted_by_key(key) {
            cache.base.sort_by_key(key);
        }
        cache.listing_gen = app.listing_gen;
    }
    let filter_changed = filter != cache.filter;
    let entries_changed = cache.entries_gen != app.entries_gen;
    // While the list's thread streams statuses in, the order and the folders' counts follow
    // once a second, not at every frame (each line's own status is read as it is drawn);
    // typing in the filter is answered at once, from the entries as they were then.
    let wait = entries_changed
        && !filter_changed
        && !relisted
        && scanning
        && cache
            .refreshed_at
            .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1));
    if (relisted || filter_changed || entries_changed) && !wait {
        let whole = !relisted && cache.hay_ends.len() == entries.len();
        // A letter typed while the list's thread streams lines in is answered from the
        // entries as they were at the last refresh (at most a second ago), without a pass
        // over them all; the refresh a second later takes the new lines.
        let typed_while_scanning = whole && scanning && filter_changed;
        if !typed_while_scanning
            && (relisted
                || cache.counted_gen != app.entries_gen
                || cache.extra.len() != entries.len())
        {
            count(cache, entries, &app.review_progress, app.entries_gen);
        }
        let hay_ok = whole && (cache.hay_gen == app.entries_gen || cache.hay_complete);
        let hay_may_wait = typed_while_scanning
            || whole
                && scanning
                && (cache.hay_at).is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1));
        let remade = !hay_ok && !hay_may_wait;
        if remade {
            make_hay(cache, entries, app.entries_gen, !scanning);
        }
        // The matches of the last filter are a superset when this one extends it, unless
        // what is searched changed since.
        let narrower = !relisted && !remade && filter.contains(cache.filter.as_str());
        // Only a different order remakes the rows; statuses alone change the heights at most.
        if filter.is_empty() {
            if cache.order != cache.base {
                cache.order.clone_from(&cache.base);
                cache.rows_stale = true;
            }
        } else {
            let matched = matching(&cache.hay, &cache.hay_ends, &filter);
            let from = if narrower { &cache.order } else { &cache.base };
            let order: Vec<usize> = from.iter().copied().filter(|&i| matched[i]).collect();
            if order != cache.order {
                cache.order = order;
                cache.rows_stale = true;
            }
        }
        cache.filter = filter;
        // Searched in the entries as they were a moment ago, the order is made again soon.
        cache.entries_gen = if hay_ok || remade {
            app.entries_gen
        } else {
            cache.hay_gen
        };
        cache.refreshed_at = Some(std::time::Instant::now());
        cache.heights = (0.0, 0.0, 0.0);
    }
    if !cache.rows_stale {
        return;
    }
    cache.rows_stale = false;
    cache.rows.clear();
    let order = &cache.order;
    let folder = |k: usize| cache.folder_ix[order[k]];
    let mut k = 0;
    while k < order.len() {
        let f = folder(k);
        let end = (k..order.len())
            .find(|&j| folder(j) != f)
            .unwrap_or(order.len());
        let group = &order[k..end];
        let name = &cache.folders[f as usize];
        if name.is_empty() {
            (cache.rows).extend(group.iter().map(|&i| Row::Entry { i, indent: false }));
        } else {
            let collapsed = cache.collapsed.contains(name);
            cache.rows.push(Row::Folder {
                name: name.clone(),
                texts: (k, end),
                collapsed,
            });
            if !collapsed {
                (cache.rows).extend(group.iter().map(|&i| Row::Entry { i, indent: true }));
            }
        }
        k = end;
    }
    cache.heights = (0.0, 0.0, 0.0);
}

/// Numbers each entry's folder, so that the rows are made without reading 100,000 paths.
fn number_folders(cache: &mut ListCache, entries: &[DocEntry]) {
    let mut seen: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    cache.folders.clear();
    cache.folder_ix.clear();
    let mut last: Option<(&str, u32)> = None;
    for e in entries {
        let name = folder_of(&e.rel);
        // Sorted by path, a folder's texts mostly come one after another.
        let ix = match last {
            Some((n, ix)) if n == name => ix,
            _ => {
                let next = seen.len() as u32;
                *seen.entry(name).or_insert_with(|| {
                    cache.folders.push(name.to_owned());
                    next
                })
            }
        };
        last = Some((name, ix));
        cache.folder_ix.push(ix);
    }
}

/// Counts the rows' extra lines and the done entries (generation `gen`): one pass over the
/// entries, not their texts.
fn count(
    cache: &mut ListCache,
    entries: &[DocEntry],
    reviews: &std::collections::HashMap<String, (usize, usize, bool)>,
    r#gen: u64,
) {
    cache.extra.clear();
    cache.extra.extend(entries.iter().map(|e| {
        // A problem is one line (`short_problem`), in the place of the status line.
        if e.error.is_some() {
            0
        } else {
            u8::from(!reviews.is_empty() && reviews.contains_key(&e.rel))
        }
    }));
    cache.done = match &cache.mine {
        Some(mine) => mine.iter().filter(|&&i| is_done(&entries[i])).count(),
        None => entries.iter().filter(|e| is_done(e)).count(),
    };
    cache.counted_gen = r#gen;
}

/// Remakes the search buffer from the entries as they are (generation `gen`; `complete` when
/// no scan is running).
fn make_hay(cache: &mut ListCache, entries: &[DocEntry], r#gen: u64, complete: bool) {
    cache.hay.clear();
    cache.hay_ends.clear();
    for e in entries {
        cache.hay.extend_from_slice(e.search.as_bytes());
        cache.hay_ends.push(cache.hay.len());
        cache.hay.push(0);
    }
    cache.hay_gen = r#gen;
    cache.hay_at = Some(std::time::Instant::now());
    cache.hay_complete = complete;
}

/// Which entries' search texts contain `needle` (not empty, no NUL): one pass of the finder
/// over the buffer, skipping to the next entry after each hit.
fn matching(hay: &[u8], ends: &[usize], needle: &str) -> Vec<bool> {
    let mut matched = vec![false; ends.len()];
    if needle.contains('\0') {
        return matched; // No search text has one.
    }
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let (mut at, mut i) = (0, 0);
    while let Some(found) = finder.find(&hay[at..]) {
        let pos = at + found;
        while i < ends.len() && ends[i] <= pos {
            i += 1;
        }
        let Some(&end) = ends.get(i) else { break };
        // A hit never spans two entries: the needle has no NUL.
        matched[i] = true;
        at = end + 1;
        i += 1;
    }
    matched
}

/// Remakes the list of the annotator's assigned entries when the annotator, the listing or the
/// "All documents" toggle changed. Returns whether what the list is made from changed.
fn refresh_scope(app: &mut MarginaliaApp) -> bool {
    let key = app.ws.as_ref().and_then(|ws| {
        crate::team::assign::has_assignments(ws.config())
            .then(|| (app.prefs.annotator.clone(), app.listing_gen))
    });
    let show_all = app.list.show_all;
    if key == app.list.scope_key && app.list.shown_all == show_all {
        return false;
    }
    app.list.mine = match (&key, &app.ws) {
        (Some((annotator, _)), Some(ws)) => crate::team::assign::Scope::of(ws.config(), annotator)
            .map(|scope| {
                (app.entries.iter().enumerate())
                    .filter(|(_, e)| scope.contains(&e.rel))
                    .map(|(i, _)| i)
                    .collect()
            }),
        _ => None,
    };
    app.list.scope_key = key;
    app.list.shown_all = show_all;
    true
}

/// Whether the workspace assigns documents (the list then shows the annotator's own first).
pub(super) fn has_assignments(app: &MarginaliaApp) -> bool {
    app.list.mine.is_some()
}

/// The entries shown, as indices in display order: the root's texts first, then each folder's.
pub(super) fn display_order(app: &mut MarginaliaApp) -> Vec<usize> {
    refresh(app);
    app.list.order.clone()
}

/// The document the list shows as current: open, being opened, or whose problem is shown.
fn current_rel(app: &MarginaliaApp) -> Option<String> {
    if let Some(loading) = &app.loading {
        return Some(loading.rel.clone());
    }
    if let Some(open) = &app.open {
        return Some(open.doc.rel().to_owned());
    }
    app.durability.problem_shown().map(str::to_owned)
}

/// The command that goes to the next (`forward`) or previous document of the list, or with
/// `undone` to the next one that is not done (wrapping around). Says so on the status line when
/// there is none.
pub(super) fn step(app: &mut MarginaliaApp, forward: bool, undone: bool) -> Option<Command> {
    let order = display_order(app);
    if order.is_empty() {
        app.status_line = "No documents in the list".into();
        return None;
    }
    let current =
        current_rel(app).and_then(|rel| order.iter().position(|&i| app.entries[i].rel == rel));
    let next = if undone {
        let n = order.len();
        let from = current.map(|c| c + 1).unwrap_or(0);
        let found = (0..n)
            .map(|k| (from + k) % n)
            .filter(|&p| Some(p) != current)
            .find(|&p| !is_done(&app.entries[order[p]]));
        if found.is_none() {
            app.status_line = "Every other document in the list is done".into();
        }
        found
    } else {
        match current {
            None => Some(if forward { 0 } else { order.len() - 1 }),
            Some(c) if forward && c + 1 < order.len() => Some(c + 1),
            Some(c) if !forward && c > 0 => Some(c - 1),
            Some(_) => {
                app.status_line = if forward {
                    "This is the last document in the list".into()
                } else {
                    "This is the first document in the list".into()
                };
                None
            }
        }
    };
    let e = &app.entries[order[next?]];
    Some(if e.error.is_some() {
        Command::ShowProblem(e.rel.clone())
    } else {
        Command::OpenDocument(e.rel.clone())
    })
}

/// "3 of 5 done": of the annotator's assigned documents when the workspace assigns some. As of
/// the last [`refresh`] (while the list's thread reads statuses, once a second).
fn progress(app: &MarginaliaApp) -> String {
    let of = app.list.mine.as_ref().map_or(app.entries.len(), Vec::len);
    format!("{} of {of} done", app.list.done)
}

/// Draws the document list: only the rows in view, at their places in the whole list.
pub(super) fn draw(app: &mut MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    let weak = theme::weak(ui.visuals());
    ui.add_space(4.0);
    refresh(app);
    let assigned = has_assignments(app);
    ui.horizontal(|ui| {
        ui.heading("Documents");
        if app.entries.is_empty() {
            return;
        }
        let k = &app.keymap;
        let keys = format!(
            "{} / {}: next / previous document; {}: next not done",
            k.text(Action::NextDocument),
            k.text(Action::PrevDocument),
            k.text(Action::NextUndoneDocument)
        );
        let hover = if assigned {
            format!(
                "Your assigned documents ({}) that are done\n{keys}",
                app.prefs.annotator
            )
        } else {
            keys.to_owned()
        };
        ui.label(RichText::new(progress(app)).color(weak))
            .on_hover_text(hover);
    });
    if assigned {
        ui.checkbox(&mut app.list.show_all, "All documents")
            .on_hover_text(
                "Show every document of the workspace, not only those workspace.ron assigns to you",
            );
    }
    let label = ui.label(RichText::new("Filter").small());
    ui.add(
        egui::TextEdit::singleline(&mut app.doc_filter)
            .hint_text("title or name contains…")
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    ui.add_space(4.0);
    refresh(app);
    if app.entries.is_empty() {
        let text = if app.document_list_loading() {
            "Looking for texts…"
        } else {
            "No .txt files in this workspace yet."
        };
        ui.label(RichText::new(text).color(weak));
        return;
    }
    if app.list.order.is_empty() {
        let text = if app.list.base.is_empty() {
            format!(
                "No documents are assigned to {} in workspace.ron. Tick \"All documents\" to see every one.",
                app.prefs.annotator
            )
        } else {
            "No document matches the filter.".to_owned()
        };
        ui.label(RichText::new(text).color(weak));
        return;
    }
    // Row heights from the fonts: a heading; an entry of title, file name, status line and
    // (when reviewed) review line; an entry with a problem gets three lines for it.
    let small = ui.text_style_height(&egui::TextStyle::Small);
    let gap = ui.spacing().item_spacing.y;
    let title_h = ui
        .spacing()
        .interact_size
        .y
        .max(ui.text_style_height(&egui::TextStyle::Body));
    let name_h = 13.0_f32.max(small);
    let heights = (
        title_h + gap,
        title_h + name_h + small + 3.0 * gap + 4.0,
        small + gap,
    );
    if app.list.heights != heights || app.list.tops.len() != app.list.rows.len() + 1 {
        let cache = &app.list;
        let mut tops = Vec::with_capacity(cache.rows.len() + 1);
        let mut y = 0.0;
        for row in &cache.rows {
            tops.push(y);
            y += row_height(cache, row, heights);
        }
        tops.push(y);
        app.list.tops = tops;
        app.list.heights = heights;
    }
    let open_rel = app.open.as_ref().map(|o| o.doc.rel().to_owned());
    let total = app.list.tops.last().copied().unwrap_or(0.0);
    let mut toggle = None;
    egui::ScrollArea::vertical()
        .id_salt("document list")
        .auto_shrink([false, false])
        .show_viewport(ui, |ui, viewport| {
            let width = ui.available_width();
            let (whole, _) = ui.allocate_exact_size(vec2(width, total), Sense::hover());
            let tops = &app.list.tops;
            let first = tops
                .partition_point(|&t| t <= viewport.min.y)
                .saturating_sub(1);
            app.list.unread_in_view = false;
            for r in first..app.list.rows.len() {
                let top = tops[r];
                if top > viewport.max.y {
                    break;
                }
                let rect = egui::Rect::from_min_size(
                    whole.min + vec2(0.0, top),
                    vec2(width, tops[r + 1] - top),
                );
                let row = app.list.rows[r].clone();
                let rect = match row {
                    Row::Entry { indent: true, .. } => rect.with_min_x(rect.min.x + 14.0),
                    _ => rect,
                };
                let mut child = ui.new_child(
                    egui::UiBuilder::new()
                        .max_rect(rect)
                        .layout(egui::Layout::top_down(egui::Align::Min)),
                );
                child.set_clip_rect(rect.intersect(ui.clip_rect()));
                match row {
                    Row::Folder {
                        name,
                        texts: (a, b),
                        collapsed,
                    } => {
                        let group = &app.list.order[a..b];
                        let done = group.iter().filter(|&&i| is_done(&app.entries[i])).count();
                        let count = group.len();
                        if folder_row(&mut child, &name, count, done, collapsed) {
                            toggle = Some(name);
                        }
                    }
                    Row::Entry { i, .. } => {
                        app.list.unread_in_view |= app.entries.get(i).is_some_and(|e| !e.scanned);
                        entry(app, &mut child, i, open_rel.as_deref(), commands)
                    }
                }
            }
        });
    if let Some(name) = toggle {
        let cache = &mut app.list;
        if !cache.collapsed.remove(&name) {
            cache.collapsed.insert(name);
        }
        cache.rows_stale = true;
    }
}

/// The height of `row` for the heights (heading, entry, one small line), with the entries'
/// problems and reviews as the order was last made.
fn row_height(cache: &ListCache, row: &Row, (heading, entry, line): (f32, f32, f32)) -> f32 {
    match row {
        Row::Folder { .. } => heading,
        Row::Entry { i, .. } => entry + f32::from(cache.extra.get(*i).copied().unwrap_or(0)) * line,
    }
}

/// A folder's heading: a triangle and "folder  (done/count)"; returns whether it was clicked.
fn folder_row(ui: &mut Ui, name: &str, count: usize, done: usize, collapsed: bool) -> bool {
    let heading = format!("{name}  ({done}/{count})");
    let r = ui
        .horizontal(|ui| {
            let (icon, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
            let c = icon.center();
            let color = ui.visuals().text_color();
            let points = if collapsed {
                vec![
                    c + vec2(-2.0, -4.0),
                    c + vec2(3.0, 0.0),
                    c + vec2(-2.0, 4.0),
                ]
            } else {
                vec![
                    c + vec2(-4.0, -2.0),
                    c + vec2(4.0, -2.0),
                    c + vec2(0.0, 3.0),
                ]
            };
            ui.painter().add(egui::Shape::convex_polygon(
                points,
                color,
                egui::Stroke::NONE,
            ));
            ui.add(egui::Button::new(RichText::new(heading).strong()).frame(false))
        })
        .inner;
    r.on_hover_text(format!(
        "{name}: {}, {done} done; click to {}",
        plural(count, "text"),
        if collapsed { "show them" } else { "hide them" }
    ))
    .clicked()
}

/// One line: the title (or the file name until the title is read), the file name below it,
/// then the status and span count or the problem.
fn entry(
    app: &MarginaliaApp,
    ui: &mut Ui,
    i: usize,
    open_rel: Option<&str>,
    commands: &mut Vec<Command>,
) {
    let e = &app.entries[i];
    let weak = theme::weak(ui.visuals());
    let err = theme::error_color(ui.visuals());
    let name = e.rel.rsplit('/').next().unwrap_or(&e.rel);
    let selected =
        open_rel == Some(e.rel.as_str()) || app.durability.problem_shown() == Some(e.rel.as_str());
    let title = e.title.as_deref().filter(|t| *t != name);
    ui.push_id(&e.rel, |ui| {
        // One line each, so the list stays scannable; the hover shows the whole title.
        // A right-to-left title in visual order (see `visual_line_job`); a screen reader still
        // gets it in reading order.
        let shown = title.unwrap_or(name);
        let reordered = crate::model::bidi::needs_reordering(shown);
        let text: egui::WidgetText = if reordered {
            super::text_view::visual_line_job(
                shown,
                egui::TextStyle::Button.resolve(ui.style()),
                ui.visuals().strong_text_color(),
            )
            .into()
        } else {
            RichText::new(shown).strong().into()
        };
        let mut r = ui.add(egui::Button::selectable(selected, text).truncate());
        if reordered {
            r.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, shown));
        }
        if title.is_some() {
            let n = ui.add(
                egui::Label::new(
                    RichText::new(name)
                        .monospace()
                        .size(theme::SMALL_TEXT)
                        .color(weak),
                )
                .truncate()
                .sense(Sense::click()),
            );
            r = r.union(n);
        }
        match &e.error {
            Some(problem) => {
                let hover = super::durability::problem_hover(problem);
                let r = r.on_hover_text(&hover);
                // One line without the file's path (the list had it wrapped over four); the
                // whole message on hover and, on a click, in the main pane.
                let l = ui.add(
                    egui::Label::new(RichText::new(short_problem(problem)).color(err).small())
                        .truncate()
                        .sense(Sense::click()),
                );
                if r.clicked() || l.on_hover_text(hover).clicked() {
                    commands.push(Command::ShowProblem(e.rel.clone()));
                }
            }
            None => {
                let r = r.on_hover_text(match title {
                    Some(t) => format!("{t}\n{}", e.rel),
                    None => e.rel.clone(),
                });
                let line = if e.scanned {
                    format!("{} · {}", e.status.label(), plural(e.spans, "span"))
                } else {
                    "reading…".to_owned()
                };
                ui.label(RichText::new(line).small().color(weak));
                if let Some(p) = super::review_mode::progress_text(app, &e.rel) {
                    ui.label(RichText::new(p).small().color(weak));
                }
                if r.clicked() && !selected {
                    commands.push(Command::OpenDocument(e.rel.clone()));
                }
            }
        }
    });
}

/// A document's problem as the list shows it: without the path of the file it names first
/// (`/ws/annotations/a/x.ron: not a valid annotation file: …` → `not a valid annotation file:
/// …`).
fn short_problem(problem: &str) -> &str {
    match problem.split_once(": ") {
        Some((path, rest)) if path.contains('/') || path.contains('\\') => rest,
        _ => problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_in_the_list_leaves_out_the_path_it_starts_with() {
        assert_eq!(
            short_problem("/w/annotations/a/x.ron: not a valid annotation file: 2:1: Expected"),
            "not a valid annotation file: 2:1: Expected"
        );
        assert_eq!(
            short_problem("not valid UTF-8 at byte 3"),
            "not valid UTF-8 at byte 3"
        );
    }

    #[test]
    fn the_search_buffer_finds_each_entry_that_contains_the_filter_once() {
        let texts = [
            "docs/a.txt\nmacron met putin",
            "b.txt",
            "docs/c.txt\nputin",
            "",
            "pu",
        ];
        let (mut hay, mut ends) = (Vec::new(), Vec::new());
        for t in texts {
            hay.extend_from_slice(t.as_bytes());
            ends.push(hay.len());
            hay.push(0);
        }
        let found = |needle: &str| -> Vec<usize> {
            let m = matching(&hay, &ends, needle);
            (0..texts.len()).filter(|&i| m[i]).collect()
        };
        assert_eq!(found("putin"), [0, 2]);
        assert_eq!(found("t"), [0, 1, 2]);
        assert_eq!(found("pu"), [0, 2, 4]);
        // Never across two entries' texts.
        assert_eq!(found("txtdocs"), Vec::<usize>::new());
        assert_eq!(found("putin\0b"), Vec::<usize>::new());
        assert_eq!(found("docs/c.txt\nputin"), [2]);
    }
}
