//! Frame time of the text view, headless, at 4 KB, 1 MB and 10 MB (issue 6).
//!
//! `cargo bench --bench frame`. Each (document, view) pair runs in its own child process, which
//! opens the document like the app (Document::open + SpanIndex), drives an `egui::Context`
//! frame by frame (`run_ui`, then `tessellate`, then painting with egui_glow, the window's
//! painter, on an OpenGL context made headless through EGL: see `paint/mod.rs`), and measures
//! the CPU time of each whole frame, all threads (the software rasteriser's too), with its parts
//! (`FRAME_BENCH_PAINT=0`, or no OpenGL: the UI pass and tessellation only, as before) in
//! three scenarios: scrolling to a random position every frame, hovering with a span selected
//! (a new span selected every 25 frames), and a drag selection growing 4 px per frame.
//!
//! A fourth scenario, **edit** (issue 11), opens the layer writable and runs frames at 60 Hz
//! while tagging a word every 10 frames: a double-click on the word, then the tag, the index
//! update and autosave as the app does them (`Document::save_if_due` each frame, the writer
//! thread saving in the background). A frame's time there is the UI thread's CPU time for
//! all of that. `FRAME_BENCH_EDIT_SLOW=1` prints each edit frame over 3 ms.
//!
//! A fifth, **tag all** (issue 20), finds "Putin" in the 10 MB document (23,000 hits) and tags
//! every hit as one undo step, as the find bar's Alt + tag key does, then undoes and redoes
//! it: each the UI thread's CPU time for the edit, the index update and the autosave snapshot
//! (`Document::save_if_due`), plus the frame drawn after it. The same is timed for the old
//! path, a span at a time (`add_span_tagged` per hit in a compound edit). Then the whole app
//! (egui_kittest, no renderer) does it as a user would: Ctrl+F, "Putin", Alt+1, the "Tag N"
//! button, Ctrl+Z, Ctrl+Shift+Z, with its suggestions computed; each frame's UI-thread CPU
//! time is taken (the app's update, without painting). Only this scenario:
//! `FRAME_BENCH_ONLY=tagall` (with `MARGINALIA_BENCH_DOCS=10mb`); `FRAME_BENCH_TAGALL_OLD=0`
//! skips the old path, `FRAME_BENCH_TAGALL_PARTS=1` prints the core edit's parts and every
//! app frame, `FRAME_BENCH_TAGALL_FIND=in` finds "in" instead (the find bar's maximum,
//! 100,000 hits).
//!
//! `MARGINALIA_BENCH_DOCS=1mb,1mb-ar` compares the 1 MB document with the same words in Arabic
//! letters (issue 24); `FRAME_BENCH_NAIVE=0` leaves out the naive view.
//!
//! Two views are compared in the same run:
//! - **naive**: the whole text as one `LayoutJob` with a background-coloured section per span,
//!   in a `ScrollArea` — what issue 6 says not to do, measured so the ratio is visible;
//! - **real**: the app's virtualized view (`marginalia::app::text_view`), plugged in by
//!   [`real_view`].

mod common;
mod paint;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{
    arg_value, median, ms, p99, print_table, proc_status_mib, process_cpu_time, run_child,
    thread_cpu_time,
};
use egui::text::{CCursor, LayoutJob, LayoutSection, TextFormat};
use egui::{Color32, Event, FontId, Modifiers, PointerButton, Pos2, RawInput, Rect, Vec2};
use marginalia::app::text_view::{Selection, TextView, ViewInput};
use marginalia::model::span_index::SpanIndex;
use marginalia::session::engine::Editing;
use marginalia::session::layer_index::LayerIndex;
use marginalia::workspace::synth::SYNTH_TEXT_NAME;
use marginalia::{Document, TagSet, Workspace};

/// The window the frames are drawn into, in points (pixels_per_point = 1).
const SCREEN: Vec2 = Vec2::new(1100.0, 800.0);

/// A document opened as the app opens it.
pub struct Loaded {
    pub doc: Document,
    pub index: SpanIndex,
    pub tags: TagSet,
    /// The layer's relations by span, for the window's arcs (issue 25).
    pub by_span: std::collections::HashMap<u64, Vec<usize>>,
}

/// Draws the relations' arcs over the view just shown, as the window does after its text view.
#[allow(clippy::too_many_arguments)]
fn arcs(
    ui: &egui::Ui,
    clip: egui::Rect,
    view: &TextView,
    doc: &Document,
    index: &dyn marginalia::app::text_view::SpanLookup,
    by_span: &std::collections::HashMap<u64, Vec<usize>>,
    tags: &TagSet,
    selected: Option<u64>,
    commands: &mut Vec<marginalia::app::Command>,
) {
    let spans = &doc.layer().spans;
    let span_of = |id: u64| spans.iter().find(|s| s.id == id);
    marginalia::app::relations::draw_arcs(
        ui,
        clip,
        &marginalia::app::relations::ArcsInput {
            view,
            spans,
            index,
            relations: &doc.layer().relations,
            by_span,
            tags,
            selected,
            span_of: &span_of,
        },
        commands,
    );
}

/// What the bench needs from a text view: draw a frame, jump to a char, select a span.
pub trait BenchView {
    /// Draws one frame of the view into `ui` (the central panel).
    fn show(&mut self, ui: &mut egui::Ui, loaded: &Loaded);
    /// Scrolls so that char `c` is in view (takes effect in the next frame at the latest).
    fn scroll_to_char(&mut self, loaded: &Loaded, c: usize);
    /// Selects the span at position `pos` of `loaded.doc.layer().spans`.
    fn select_span(&mut self, loaded: &Loaded, pos: usize);
    /// The selected char range, if any (to check that the drag really selected).
    fn selection(&self) -> Option<(usize, usize)>;
}

/// The text size both views use (the app's default zoom).
const FONT_SIZE: f32 = 15.0;

/// THE PLUG-IN POINT for the real view: the app's `marginalia::app::text_view::TextView`,
/// driven the way `app::panels` drives it (a `ViewInput` per frame, `SelectSpan` commands
/// applied after the frame).
fn real_view(loaded: &Loaded) -> Option<Box<dyn BenchView>> {
    Some(Box::new(RealView {
        view: TextView::new(loaded.doc.text()),
        selected_span: None,
        commands: Vec::new(),
    }))
}

struct RealView {
    view: TextView,
    selected_span: Option<u64>,
    commands: Vec<marginalia::app::Command>,
}

impl BenchView for RealView {
    fn show(&mut self, ui: &mut egui::Ui, loaded: &Loaded) {
        let input = ViewInput {
            selected_span: self.selected_span,
            relations: &loaded.doc.layer().relations,
            ..ViewInput::plain(
                loaded.doc.text(),
                &loaded.doc.layer().spans,
                &loaded.index,
                &loaded.tags,
                FONT_SIZE,
                SYNTH_TEXT_NAME,
            )
        };
        self.commands.clear();
        let clip = ui.available_rect_before_wrap();
        self.view.show(ui, &input, &mut self.commands);
        arcs(
            ui,
            clip,
            &self.view,
            &loaded.doc,
            &loaded.index,
            &loaded.by_span,
            &loaded.tags,
            self.selected_span,
            &mut self.commands,
        );
        for c in self.commands.drain(..) {
            match c {
                marginalia::app::Command::SelectSpan { id, .. } => self.selected_span = Some(id),
                marginalia::app::Command::ClearSpanSelection => self.selected_span = None,
                _ => {}
            }
        }
    }

    fn scroll_to_char(&mut self, _loaded: &Loaded, c: usize) {
        self.view.scroll_to_char(c);
    }

    fn select_span(&mut self, loaded: &Loaded, pos: usize) {
        if let Some(s) = loaded.doc.layer().spans.get(pos) {
            self.selected_span = Some(s.id);
            self.view.scroll_to_char(s.start);
        }
    }

    fn selection(&self) -> Option<(usize, usize)> {
        self.view.selected_range()
    }
}

// ---------------------------------------------------------------------------------------------
// The naive view.

/// The naive approach: one `LayoutJob` for the whole text, a coloured section per span, rebuilt
/// whenever the selection or the selected span changes, shown by a `Label` in a `ScrollArea`.
struct NaiveView {
    job: Option<Arc<LayoutJob>>,
    /// The galley of the last frame, to turn a char into a scroll offset.
    last_galley: Option<Arc<egui::Galley>>,
    scroll_to: Option<usize>,
    selected: Option<usize>,
    selection: Option<(usize, usize)>,
    drag_anchor: Option<usize>,
    colors: BTreeMap<String, Color32>,
}

impl NaiveView {
    fn new(loaded: &Loaded) -> Self {
        let colors = loaded
            .tags
            .tags
            .iter()
            .map(|t| {
                let [r, g, b] = t.rgb();
                (t.name.clone(), Color32::from_rgba_unmultiplied(r, g, b, 90))
            })
            .collect();
        Self {
            job: None,
            last_galley: None,
            scroll_to: None,
            selected: None,
            selection: None,
            drag_anchor: None,
            colors,
        }
    }

    /// Splits the text at every span boundary and colours each piece by the innermost
    /// (latest-starting) span covering it; the selected span and the selection stand out.
    fn build_job(&self, loaded: &Loaded, style: &egui::Style) -> LayoutJob {
        let text = loaded.doc.text();
        let spans = &loaded.doc.layer().spans;
        let mut cuts: Vec<usize> = Vec::with_capacity(spans.len() * 2 + 4);
        cuts.push(0);
        cuts.push(text.char_len());
        for s in spans {
            cuts.push(s.start);
            cuts.push(s.end);
        }
        if let Some((a, b)) = self.selection {
            cuts.push(a);
            cuts.push(b);
        }
        cuts.sort_unstable();
        cuts.dedup();
        let font_id = FontId::proportional(FONT_SIZE);
        let text_color = style.visuals.text_color();
        let mut job = LayoutJob {
            text: text.as_str().to_owned(),
            ..Default::default()
        };
        let mut byte = 0;
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let next_byte = text.byte_of(b);
            let mut format = TextFormat::simple(font_id.clone(), text_color);
            let covering = loaded.index.at(a);
            if let Some(&pos) = covering.last() {
                format.background = self
                    .colors
                    .get(&spans[pos].tag)
                    .copied()
                    .unwrap_or(Color32::GRAY);
            }
            if let Some(sel) = self.selected
                && covering.contains(&sel)
            {
                format.underline = egui::Stroke::new(2.0, style.visuals.strong_text_color());
            }
            if let Some((sa, sb)) = self.selection
                && sa <= a
                && b <= sb
            {
                format.background = style.visuals.selection.bg_fill;
            }
            job.sections.push(LayoutSection {
                leading_space: 0.0,
                byte_range: egui::text::ByteIndex(byte)..egui::text::ByteIndex(next_byte),
                format,
            });
            byte = next_byte;
        }
        job
    }
}

impl BenchView for NaiveView {
    fn show(&mut self, ui: &mut egui::Ui, loaded: &Loaded) {
        let mut area = egui::ScrollArea::vertical().auto_shrink(false);
        if let (Some(c), Some(g)) = (self.scroll_to.take(), &self.last_galley) {
            area = area.vertical_scroll_offset(g.pos_from_cursor(CCursor::new(c)).min.y);
        }
        area.show(ui, |ui| {
            ui.set_max_width(680.0);
            if self.job.is_none() {
                self.job = Some(Arc::new(self.build_job(loaded, ui.style())));
            }
            let job = self.job.clone().unwrap_or_default();
            let (pos, galley, response) = egui::Label::new(egui::WidgetText::LayoutJob(job))
                .sense(egui::Sense::click_and_drag())
                .selectable(false)
                .layout_in_ui(ui);
            ui.painter()
                .galley(pos, Arc::clone(&galley), ui.visuals().text_color());
            let char_at = |p: Pos2| galley.cursor_from_pos(p - pos).index.0;
            if let Some(p) = response.interact_pointer_pos() {
                let c = char_at(p);
                if response.drag_started() {
                    self.drag_anchor = Some(c);
                }
                if let Some(a) = self.drag_anchor
                    && response.dragged()
                {
                    let sel = (a.min(c), a.max(c));
                    if self.selection != Some(sel) {
                        self.selection = Some(sel);
                        self.job = None;
                    }
                }
            }
            if response.drag_stopped() {
                self.drag_anchor = None;
            }
            if let Some(p) = response.hover_pos() {
                let under = loaded.index.at(char_at(p));
                if let Some(&pos) = under.last() {
                    let s = &loaded.doc.layer().spans[pos];
                    response.on_hover_text(format!("{} {}", s.tag, s.note));
                }
            }
            self.last_galley = Some(galley);
        });
    }

    fn scroll_to_char(&mut self, _loaded: &Loaded, c: usize) {
        self.scroll_to = Some(c);
    }

    fn selection(&self) -> Option<(usize, usize)> {
        self.selection
    }

    fn select_span(&mut self, loaded: &Loaded, pos: usize) {
        self.selected = Some(pos);
        self.scroll_to = loaded.doc.layer().spans.get(pos).map(|s| s.start);
        self.job = None;
    }
}

// ---------------------------------------------------------------------------------------------
// Driving frames.

/// splitmix64 for reproducible positions.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n.max(1) as u64) as usize
    }
}

/// The parts of one frame: CPU times of this thread for the UI pass and tessellation, and of
/// all threads (the software rasteriser's too) for painting and for the whole frame.
#[derive(Clone, Copy, Default)]
struct Parts {
    pass: Duration,
    tessellation: Duration,
    paint: Duration,
    whole: Duration,
}

struct Driver {
    ctx: egui::Context,
    frame: u64,
    /// Vertices tessellated in the last frame (to show that frames really paint the text).
    vertices: usize,
    /// Paints each frame as the window does, when an OpenGL context could be made.
    painter: Option<paint::GlPainter>,
    /// The parts of every frame so far.
    parts: Vec<Parts>,
}

impl Driver {
    fn new() -> Self {
        let painter = if std::env::var("FRAME_BENCH_PAINT").is_ok_and(|v| v == "0") {
            None
        } else {
            paint::GlPainter::new([SCREEN.x as u32, SCREEN.y as u32])
                .inspect_err(|e| eprintln!("  frames are not painted: {e}"))
                .ok()
        };
        Self {
            ctx: egui::Context::default(),
            frame: 0,
            vertices: 0,
            painter,
            parts: Vec::new(),
        }
    }

    /// The renderer frames are painted with, for the report ("none" when not painted).
    fn renderer(&self) -> String {
        self.painter
            .as_ref()
            .map_or_else(|| "none".to_owned(), |p| p.renderer.replace(' ', "_"))
    }

    /// Runs one frame with `events` and returns its CPU time: the whole frame's, all threads,
    /// when it is painted, else the UI pass and tessellation.
    fn frame(&mut self, view: &mut dyn BenchView, loaded: &Loaded, events: Vec<Event>) -> Duration {
        self.frame_with(events, |ui| view.show(ui, loaded))
    }

    /// Runs one frame drawing `show` into the central panel; returns its CPU time as
    /// [`Self::frame`] does and records its [`Parts`].
    fn frame_with(&mut self, events: Vec<Event>, mut show: impl FnMut(&mut egui::Ui)) -> Duration {
        self.frame += 1;
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, SCREEN)),
            time: Some(self.frame as f64 / 60.0),
            predicted_dt: 1.0 / 60.0,
            events,
            focused: true,
            ..Default::default()
        };
        let (t0, all0) = (thread_cpu_time(), process_cpu_time());
        // As the window draws under OpenGL: the panel paints no background, the painter's
        // clear does (`MarginaliaApp::clear_color`).
        let mut out = self.ctx.run_ui(input, |ui| {
            let frame = egui::Frame::central_panel(ui.style()).fill(egui::Color32::TRANSPARENT);
            egui::CentralPanel::default_margins()
                .frame(frame)
                .show(ui, &mut show);
        });
        let clear = (self.ctx.global_style().visuals.extreme_bg_color).to_normalized_gamma_f32();
        let t1 = thread_cpu_time();
        let shapes = std::mem::take(&mut out.shapes);
        let prims = self.ctx.tessellate(shapes, out.pixels_per_point);
        let t2 = thread_cpu_time();
        let mut parts = Parts {
            pass: t1 - t0,
            tessellation: t2 - t1,
            ..Parts::default()
        };
        let dt = if let Some(painter) = &mut self.painter {
            let all1 = process_cpu_time();
            painter.paint(&prims, &mut out.textures_delta, out.pixels_per_point, clear);
            let all2 = process_cpu_time();
            parts.paint = all2 - all1;
            parts.whole = all2 - all0;
            parts.whole
        } else {
            parts.whole = t2 - t0;
            t2 - t0
        };
        self.parts.push(parts);
        self.vertices = prims
            .iter()
            .map(|p| match &p.primitive {
                egui::epaint::Primitive::Mesh(m) => m.vertices.len(),
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum();
        std::hint::black_box(prims);
        // Painted, the painter took the texture changes; unpainted, nothing uploads them.
        out.drop_without_applying_deltas();
        dt
    }
}

/// Frame times of one scenario, stopping after `max` frames or once `budget` of wall time is
/// spent (at least 3 frames), so the naive view at 10 MB finishes.
fn scenario(
    max: usize,
    budget: Duration,
    mut step: impl FnMut(usize) -> Duration,
) -> Vec<Duration> {
    let started = Instant::now();
    let mut times = Vec::new();
    for k in 0..max {
        times.push(step(k));
        if k >= 2 && started.elapsed() > budget {
            break;
        }
    }
    times
}

fn child_frames(view_name: &str, dir: &str) {
    let ws = Workspace::open(Path::new(dir)).expect("workspace");
    let doc = Document::open(&ws, SYNTH_TEXT_NAME, common::ANNOTATOR, true).expect("open");
    let index = SpanIndex::build(&doc.layer().spans);
    let loaded = Loaded {
        by_span: marginalia::app::relations::index_by_span(&doc.layer().relations),
        doc,
        index,
        tags: ws.tags().clone(),
    };
    let mut view: Box<dyn BenchView> = match view_name {
        "naive" => Box::new(NaiveView::new(&loaded)),
        _ => match real_view(&loaded) {
            Some(v) => v,
            None => return,
        },
    };
    let budget = Duration::from_secs(
        std::env::var("FRAME_BENCH_BUDGET_S")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20),
    );
    let n_chars = loaded.doc.text().char_len();
    let n_spans = loaded.doc.layer().spans.len();
    let mut rng = Rng(42);
    let mut d = Driver::new();

    let first = d.frame(view.as_mut(), &loaded, vec![]);
    for _ in 0..2 {
        d.frame(view.as_mut(), &loaded, vec![]);
    }

    let scroll = scenario(200, budget, |_| {
        view.scroll_to_char(&loaded, rng.below(n_chars));
        d.frame(view.as_mut(), &loaded, vec![])
    });

    // Wheel scrolling from a random place: three lines a frame, pointer over the text.
    view.scroll_to_char(&loaded, rng.below(n_chars));
    d.frame(view.as_mut(), &loaded, vec![]);
    let over_text = Pos2::new(SCREEN.x * 0.4, SCREEN.y * 0.5);
    let wheel = scenario(150, budget, |_| {
        d.frame(
            view.as_mut(),
            &loaded,
            vec![
                Event::PointerMoved(over_text),
                Event::MouseWheel {
                    unit: egui::MouseWheelUnit::Point,
                    delta: Vec2::new(0.0, -60.0),
                    phase: egui::TouchPhase::Move,
                    source: egui::MouseWheelSource::Unknown,
                    modifiers: Modifiers::NONE,
                },
            ],
        )
    });

    let center = Pos2::new(SCREEN.x * 0.35, SCREEN.y * 0.4);
    let selected = scenario(150, budget, |k| {
        if k % 25 == 0 && n_spans > 0 {
            view.select_span(&loaded, rng.below(n_spans));
        }
        let a = k as f32 * 0.7;
        let p = center + Vec2::new(a.cos() * 120.0, a.sin() * 60.0);
        d.frame(view.as_mut(), &loaded, vec![Event::PointerMoved(p)])
    });

    view.scroll_to_char(&loaded, rng.below(n_chars));
    d.frame(view.as_mut(), &loaded, vec![]);
    let start = Pos2::new(SCREEN.x * 0.2, 120.0);
    d.frame(
        view.as_mut(),
        &loaded,
        vec![
            Event::PointerMoved(start),
            Event::PointerButton {
                pos: start,
                button: PointerButton::Primary,
                pressed: true,
                modifiers: Modifiers::NONE,
            },
        ],
    );
    let vertices = d.vertices;
    let drag = scenario(150, budget, |k| {
        let p = start + Vec2::new((k % 40) as f32 * 5.0, 4.0 * (k + 1) as f32);
        d.frame(view.as_mut(), &loaded, vec![Event::PointerMoved(p)])
    });
    let end = start + Vec2::new(0.0, 4.0 * (drag.len() + 1) as f32);
    d.frame(
        view.as_mut(),
        &loaded,
        vec![Event::PointerButton {
            pos: end,
            button: PointerButton::Primary,
            pressed: false,
            modifiers: Modifiers::NONE,
        }],
    );

    let selection = view.selection().map(|(a, b)| b - a).unwrap_or(0);
    let all: Vec<Duration> = scroll
        .iter()
        .chain(&wheel)
        .chain(&selected)
        .chain(&drag)
        .copied()
        .collect();
    let hwm = proc_status_mib("VmHWM").unwrap_or(0.0);
    let f = |d: Duration| format!("{:.4}", d.as_secs_f64() * 1e3);
    // The parts of every frame after the first three.
    let part = |get: fn(&Parts) -> Duration| -> String {
        let v: Vec<Duration> = d.parts.iter().skip(3).map(get).collect();
        f(median(&v))
    };
    println!(
        "RESULT renderer={} pass_med={} tess_med={} paint_med={} whole_med={} first={} scroll_med={} scroll_p99={} wheel_med={} wheel_p99={} sel_med={} sel_p99={} drag_med={} drag_p99={} all_med={} all_p99={} frames={}/{}/{}/{} hwm={hwm:.0} vertices={vertices} dragged_chars={selection}",
        d.renderer(),
        part(|p| p.pass),
        part(|p| p.tessellation),
        part(|p| p.paint),
        part(|p| p.whole),
        f(first),
        f(median(&scroll)),
        f(p99(&scroll)),
        f(median(&wheel)),
        f(p99(&wheel)),
        f(median(&selected)),
        f(p99(&selected)),
        f(median(&drag)),
        f(p99(&drag)),
        f(median(&all)),
        f(p99(&all)),
        scroll.len(),
        wheel.len(),
        selected.len(),
        drag.len(),
    );
}

/// The edit scenario (see the module docs), in a child process of its own.
fn child_edit(dir: &str) {
    let ws = Workspace::open(Path::new(dir)).expect("workspace");
    let mut doc = Document::open(&ws, SYNTH_TEXT_NAME, common::ANNOTATOR, false).expect("open");
    doc.take_changes();
    let mut index = LayerIndex::build(&doc.layer().spans);
    // Tagging adds spans only: the relations' places stay, so their index is made once.
    let by_span = marginalia::app::relations::index_by_span(&doc.layer().relations);
    let tags = ws.tags().clone();
    let tag = tags.tags.first().map(|t| t.name.clone()).expect("a tag");
    let mut view = TextView::new(doc.text());
    let mut selected_span = None;
    let mut commands = Vec::new();
    let mut d = Driver::new();
    let frames: usize = std::env::var("FRAME_BENCH_EDIT_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let n_chars = doc.text().char_len();
    // Start somewhere in the middle and tag the words that follow, in view.
    let mut cursor = Rng(7).below(n_chars / 2) + n_chars / 4;
    view.scroll_to_char(cursor);
    let tick = Duration::from_secs_f64(1.0 / 60.0);
    let mut next_tick = Instant::now();
    let (mut times, mut saves, mut tagged) = (Vec::new(), 0, 0);
    // All threads' CPU per frame: the rasteriser's and the autosave writer's too.
    let mut all_times = Vec::new();
    let mut to_tag: Option<(usize, usize)> = None;
    for k in 0..frames + 5 {
        // 60 frames a second, so autosave runs as often as it does in the window.
        let now = Instant::now();
        if next_tick > now {
            std::thread::sleep(next_tick - now);
        }
        next_tick += tick;
        let mut events = Vec::new();
        if k % 10 == 0 {
            // Double-click the next word that is painted.
            while doc.text().word_at(cursor).is_none() && cursor + 1 < n_chars {
                cursor += 1;
            }
            if let Some(p) = view.screen_pos_of_char(cursor + 1) {
                let p = p + Vec2::new(1.0, 0.0);
                events.push(Event::PointerMoved(p));
                for pressed in [true, false, true, false] {
                    events.push(Event::PointerButton {
                        pos: p,
                        button: PointerButton::Primary,
                        pressed,
                        modifiers: Modifiers::NONE,
                    });
                }
            }
        }
        let (t0, all0) = (thread_cpu_time(), process_cpu_time());
        if let Some((a, b)) = to_tag.take() {
            // The tag key, as `MarginaliaApp::tag` handles it.
            if view.selected_range().is_none() {
                view.set_selection(Some(Selection { anchor: a, head: b }));
            }
            if let Some((a, b)) = view.selected_range()
                && let Some(id) = doc.add_span(a, b, &tag)
            {
                view.set_selection(None);
                index.apply_all(&doc.take_changes(), &doc.layer().spans);
                selected_span = Some(id);
                tagged += 1;
            }
        }
        let input = ViewInput {
            text: doc.text(),
            spans: &doc.layer().spans,
            index: index.all(),
            tags: &tags,
            selected_span,
            font_size: FONT_SIZE,
            name: SYNTH_TEXT_NAME,
            marks: None,
            badges: None,
            uncertain: None,
            hits: &[],
            current_hit: None,
            suggestions: None,
            focused_suggestion: None,
            relations: &doc.layer().relations,
        };
        commands.clear();
        d.frame_with(events, |ui| {
            let clip = ui.available_rect_before_wrap();
            view.show(ui, &input, &mut commands);
            arcs(
                ui,
                clip,
                &view,
                &doc,
                index.all(),
                &by_span,
                &tags,
                selected_span,
                &mut commands,
            );
        });
        for c in commands.drain(..) {
            match c {
                marginalia::app::Command::SelectSpan { id, .. } => selected_span = Some(id),
                marginalia::app::Command::ClearSpanSelection => selected_span = None,
                _ => {}
            }
        }
        // Autosave as `MarginaliaApp::autosave` runs it, every frame.
        if doc.save_if_due(Instant::now()) {
            saves += 1;
        }
        if doc.reload_if_changed() || !doc.take_notices().is_empty() {
            index = LayerIndex::build(&doc.layer().spans);
        }
        let dt = thread_cpu_time() - t0;
        let all = process_cpu_time() - all0;
        if std::env::var("FRAME_BENCH_EDIT_SLOW").is_ok() && dt > Duration::from_millis(3) {
            eprintln!(
                "slow frame {k}: {:.2} ms saving={} saves={saves} tagged={tagged}",
                dt.as_secs_f64() * 1e3,
                doc.is_saving()
            );
        }
        if k % 10 == 0 {
            // The word double-clicked (or, if the click missed, the word there) is tagged
            // next frame.
            let word: (usize, usize) = (doc.text().word_at(cursor))
                .unwrap_or(marginalia::CharRange::new(cursor, cursor + 1))
                .into();
            to_tag = Some(word);
            cursor = word.1 + 1;
        }
        if k >= 5 {
            times.push(dt);
            all_times.push(all);
        }
    }
    doc.save_now().expect("the last save");
    let on_disk = std::fs::read_to_string(doc.layer_path()).expect("the layer file");
    assert_eq!(on_disk, doc.layer().to_ron(), "the edits reached the file");
    let f = |d: Duration| format!("{:.4}", d.as_secs_f64() * 1e3);
    let max = times.iter().max().copied().unwrap_or_default();
    println!(
        "RESULT renderer={} edit_med={} edit_p99={} edit_max={} edit_all_med={} edit_all_p99={} frames={} saves={saves} tagged={tagged}",
        d.renderer(),
        f(median(&times)),
        f(p99(&times)),
        f(max),
        f(median(&all_times)),
        f(p99(&all_times)),
        times.len(),
    );
}

/// What the tag-all scenario finds: "Putin" (23,201 hits), or `FRAME_BENCH_TAGALL_FIND`.
fn tagall_pattern() -> String {
    std::env::var("FRAME_BENCH_TAGALL_FIND").unwrap_or_else(|_| "Putin".to_owned())
}

/// The tag-all scenario (see the module docs), in a child process of its own.
fn child_tagall(dir: &str) {
    let ws = Workspace::open(Path::new(dir)).expect("workspace");
    let mut doc = Document::open(&ws, SYNTH_TEXT_NAME, common::ANNOTATOR, false).expect("open");
    doc.take_changes();
    let mut index = LayerIndex::build(&doc.layer().spans);
    let tags = ws.tags().clone();
    let tag = tags.tags.first().cloned().expect("a tag");
    let m = marginalia::assist::find::Matcher::new(&tagall_pattern(), Default::default())
        .expect("pattern")
        .expect("a matcher");
    let hits = m.find_all(doc.text().as_str());
    let spans_before = doc.layer().spans.clone();
    let mut view = TextView::new(doc.text());
    let mut d = Driver::new();
    let mut frame = |doc: &Document, index: &LayerIndex, view: &mut TextView| {
        let input = ViewInput {
            text: doc.text(),
            spans: &doc.layer().spans,
            index: index.all(),
            tags: &tags,
            selected_span: None,
            font_size: FONT_SIZE,
            name: SYNTH_TEXT_NAME,
            marks: None,
            badges: None,
            uncertain: None,
            hits: &hits,
            current_hit: None,
            suggestions: None,
            focused_suggestion: None,
            relations: &doc.layer().relations,
        };
        let mut commands = Vec::new();
        d.frame_with(Vec::new(), |ui| view.show(ui, &input, &mut commands))
    };
    frame(&doc, &index, &mut view);
    // The edit as the app does it: the change, the index, the autosave snapshot.
    let timed =
        |doc: &mut Document, index: &mut LayerIndex, edit: &mut dyn FnMut(&mut Document)| {
            let t0 = thread_cpu_time();
            edit(doc);
            let t1 = thread_cpu_time();
            index.apply_all(&doc.take_changes(), &doc.layer().spans);
            let t2 = thread_cpu_time();
            doc.save_if_due(Instant::now() + Duration::from_secs(5));
            let t3 = thread_cpu_time();
            if std::env::var("FRAME_BENCH_TAGALL_PARTS").is_ok() {
                eprintln!(
                    "edit {:.1} ms, index {:.1} ms, save snapshot {:.1} ms",
                    (t1 - t0).as_secs_f64() * 1e3,
                    (t2 - t1).as_secs_f64() * 1e3,
                    (t3 - t2).as_secs_f64() * 1e3
                );
            }
            t3 - t0
        };
    let f = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1e3);
    let mut out = format!("RESULT hits={} spans={}", hits.len(), spans_before.len());
    // 100,000 hits tagged make an 81 MB layer, over the 64 MB a layer file may have: saved, but
    // the next save cannot read it back to check it. Counted, not fatal, for the timings.
    let mut save_failed = 0;
    let mut save = |doc: &mut Document| {
        if let Err(e) = doc.save_now() {
            if save_failed == 0 {
                eprintln!("save failed: {e}");
            }
            save_failed += 1;
        }
    };
    // The old path: a span at a time, each moved into place in the sorted list.
    if std::env::var("FRAME_BENCH_TAGALL_OLD").map_or(true, |v| v != "0") {
        let old = timed(&mut doc, &mut index, &mut |doc| {
            doc.begin_compound();
            for &marginalia::CharRange { start: a, end: b } in &hits {
                doc.add_span_tagged(a, b, &tag);
            }
            doc.end_compound();
        });
        save(&mut doc);
        let undo = timed(&mut doc, &mut index, &mut |doc| {
            doc.undo().expect("an undo step");
        });
        save(&mut doc);
        out.push_str(&format!(" old_tag={} old_then_undo={}", f(old), f(undo)));
    }
    let (mut tag_t, mut undo_t, mut redo_t, mut after) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        tag_t.push(timed(&mut doc, &mut index, &mut |doc| {
            let t = marginalia::session::tag_all::tag_hits(doc, &hits, &tag);
            assert!(t.added > 0);
        }));
        after.push(frame(&doc, &index, &mut view));
        save(&mut doc);
        undo_t.push(timed(&mut doc, &mut index, &mut |doc| {
            doc.undo().expect("an undo step");
        }));
        after.push(frame(&doc, &index, &mut view));
        assert_eq!(doc.layer().spans.len(), spans_before.len());
        redo_t.push(timed(&mut doc, &mut index, &mut |doc| {
            doc.redo().expect("a redo step");
        }));
        save(&mut doc);
        timed(&mut doc, &mut index, &mut |doc| {
            doc.undo().expect("an undo step");
        });
        save(&mut doc);
    }
    if save_failed == 0 {
        let on_disk = std::fs::read_to_string(doc.layer_path()).expect("the layer file");
        assert_eq!(on_disk, doc.layer().to_ron(), "the edits reached the file");
    }
    out.push_str(&format!(" save_failed={save_failed}"));
    let max = |v: &[Duration]| v.iter().max().copied().unwrap_or_default();
    out.push_str(&format!(
        " tag_med={} tag_max={} undo_med={} undo_max={} redo_med={} redo_max={} frame_after_max={}",
        f(median(&tag_t)),
        f(max(&tag_t)),
        f(median(&undo_t)),
        f(max(&undo_t)),
        f(median(&redo_t)),
        f(max(&redo_t)),
        f(max(&after)),
    ));
    println!("{out}");
}

/// The tag-all scenario through the whole app (see the module docs).
fn child_app_tagall(dir: &str) {
    use egui::Key;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use marginalia::app::{MarginaliaApp, StartOptions};
    let opts = StartOptions {
        reopen_last: false,
        path: Path::new(dir).to_path_buf(),
        annotator: Some(common::ANNOTATOR.into()),
        persist: false,
        dark: Some(false),
        journal: None,
    };
    let mut h: Harness<'_, MarginaliaApp> = Harness::builder()
        .with_size(SCREEN)
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| MarginaliaApp::new(cc, opts));
    let wait =
        |h: &mut Harness<'_, MarginaliaApp>, what: &str, done: &dyn Fn(&MarginaliaApp) -> bool| {
            let started = Instant::now();
            while !done(h.state()) {
                assert!(
                    started.elapsed() < Duration::from_secs(300),
                    "waited too long for {what}"
                );
                std::thread::sleep(Duration::from_millis(10));
                h.step();
            }
        };
    h.run_steps(2);
    wait(&mut h, "the document list", &|a| !a.document_list_loading());
    h.get_by_label(SYNTH_TEXT_NAME).click();
    h.run_steps(2);
    wait(&mut h, "the document", &|a| a.open_document().is_some());
    wait(&mut h, "the suggestions", &|a| {
        !a.suggestions().0.is_empty()
    });
    h.key_press_modifiers(Modifiers::COMMAND, Key::F);
    h.run_steps(2);
    for c in tagall_pattern().chars() {
        h.event(Event::Text(c.to_string()));
        h.run_steps(2);
    }
    wait(&mut h, "the hits", &|a| {
        !a.find_hits().1.starts_with("searching")
    });
    let hits = h.state().find_hits().0.len();
    h.key_press_modifiers(Modifiers::ALT, Key::Num1);
    h.run_steps(2);
    let button = format!("Tag {hits}");
    let at = h.get_by_label(&button).rect().center();
    // Each event in a frame of its own (kittest's `step` runs one frame per queued event), then
    // the frames after it: each frame's CPU time.
    let frames = |h: &mut Harness<'_, MarginaliaApp>, events: Vec<Event>| -> Vec<Duration> {
        let mut times = Vec::new();
        for e in events {
            h.event(e);
            let t0 = thread_cpu_time();
            h.step();
            times.push(thread_cpu_time() - t0);
        }
        for _ in 0..20 {
            let t0 = thread_cpu_time();
            h.step();
            times.push(thread_cpu_time() - t0);
        }
        times
    };
    let click = |pressed| Event::PointerButton {
        pos: at,
        button: PointerButton::Primary,
        pressed,
        modifiers: Modifiers::NONE,
    };
    let chord = |modifiers: Modifiers, key: Key| {
        let k = |pressed| Event::Key {
            key,
            physical_key: None,
            pressed,
            repeat: false,
            modifiers,
        };
        vec![
            Event::ModifiersChanged(modifiers),
            k(true),
            k(false),
            Event::ModifiersChanged(Modifiers::NONE),
        ]
    };
    let max = |v: &[Duration]| v.iter().max().copied().unwrap_or_default();
    let tag = frames(
        &mut h,
        vec![Event::PointerMoved(at), click(true), click(false)],
    );
    let status = h.state().status_line().to_owned();
    assert!(status.starts_with("tagged"), "{status}");
    let undo = frames(&mut h, chord(Modifiers::COMMAND, Key::Z));
    let status = h.state().status_line().to_owned();
    assert!(status.starts_with("Undone: tag"), "{status}");
    let redo = frames(&mut h, chord(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z));
    let status = h.state().status_line().to_owned();
    assert!(status.starts_with("Redone: tag"), "{status}");
    let f = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1e3);
    if std::env::var("FRAME_BENCH_TAGALL_PARTS").is_ok() {
        for (what, v) in [("tag", &tag), ("undo", &undo), ("redo", &redo)] {
            let v: Vec<String> = v.iter().map(|d| f(*d)).collect();
            eprintln!("app {what} frames: {}", v.join(" "));
        }
    }
    // What any frame of this document costs here (the last ten after each edit).
    let calm: Vec<Duration> = [&tag, &undo, &redo]
        .iter()
        .flat_map(|v| v[10..].iter().copied())
        .collect();
    println!(
        "RESULT app hits={hits} app_tag_max={} app_undo_max={} app_redo_max={} app_calm_med={}",
        f(max(&tag)),
        f(max(&undo)),
        f(max(&redo)),
        f(median(&calm))
    );
}

fn parse_result(line: &str) -> BTreeMap<String, String> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn main() {
    if let (Some(view), Some(dir)) = (arg_value("--child-view"), arg_value("--dir")) {
        child_frames(&view, &dir);
        return;
    }
    if let Some(dir) = arg_value("--child-edit") {
        child_edit(&dir);
        return;
    }
    if let Some(dir) = arg_value("--child-tagall") {
        child_tagall(&dir);
        return;
    }
    if let Some(dir) = arg_value("--child-app-tagall") {
        child_app_tagall(&dir);
        return;
    }
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    eprintln!(
        "generating the benchmark documents in {} ...",
        tmp.path().display()
    );
    let docs = common::write_bench_docs(tmp.path());
    if std::env::var("FRAME_BENCH_ONLY").is_ok_and(|v| v == "tagall") {
        for d in &docs {
            eprintln!("{} / tag all ...", d.name);
            // Each child starts from the layer as generated.
            let layer = d
                .dir
                .join("annotations")
                .join(common::ANNOTATOR)
                .join("big.ron");
            let generated = std::fs::read(&layer).expect("the generated layer");
            for child in ["--child-tagall", "--child-app-tagall"] {
                std::fs::write(&layer, &generated).expect("the layer put back");
                match run_child(&[child, &d.dir.display().to_string()]) {
                    Ok(lines) => lines.iter().for_each(|l| println!("{}: {l}", d.name)),
                    Err(e) => eprintln!("  {e}"),
                }
            }
        }
        return;
    }
    let mut results: BTreeMap<(String, &str), BTreeMap<String, String>> = BTreeMap::new();
    // `FRAME_BENCH_NAIVE=0` skips the naive view (slow on big documents, and not about ours).
    let naive = std::env::var("FRAME_BENCH_NAIVE").map_or(true, |v| v != "0");
    for d in &docs {
        for view in ["real", "naive"] {
            if view == "naive" && !naive {
                continue;
            }
            eprintln!("{} / {view} view ...", d.name);
            let dir = d.dir.display().to_string();
            match run_child(&["--child-view", view, "--dir", &dir]) {
                Ok(lines) => {
                    if let Some(l) = lines.first() {
                        results.insert((d.name.to_owned(), view), parse_result(l));
                    } else {
                        eprintln!("  ({view} view not available)");
                    }
                }
                Err(e) => eprintln!("  {e}"),
            }
        }
        eprintln!("{} / edit ...", d.name);
        match run_child(&["--child-edit", &d.dir.display().to_string()]) {
            Ok(lines) => {
                if let Some(l) = lines.first() {
                    results.insert((d.name.to_owned(), "edit"), parse_result(l));
                }
            }
            Err(e) => eprintln!("  {e}"),
        }
    }
    let get = |r: &BTreeMap<String, String>, k: &str| r.get(k).cloned().unwrap_or_default();
    let num = |r: &BTreeMap<String, String>, k: &str| get(r, k).parse::<f64>().unwrap_or(f64::NAN);
    let fmt = |v: f64| ms(Duration::from_secs_f64(v.max(0.0) / 1e3));
    let mut rows = Vec::new();
    for d in &docs {
        for view in ["real", "naive"] {
            let Some(r) = results.get(&(d.name.to_owned(), view)) else {
                continue;
            };
            rows.push(vec![
                format!("{} / {} spans", d.name, d.spans),
                view.to_owned(),
                fmt(num(r, "first")),
                format!(
                    "{} / {}",
                    fmt(num(r, "scroll_med")),
                    fmt(num(r, "scroll_p99"))
                ),
                format!(
                    "{} / {}",
                    fmt(num(r, "wheel_med")),
                    fmt(num(r, "wheel_p99"))
                ),
                format!("{} / {}", fmt(num(r, "sel_med")), fmt(num(r, "sel_p99"))),
                format!("{} / {}", fmt(num(r, "drag_med")), fmt(num(r, "drag_p99"))),
                format!("{} / {}", fmt(num(r, "all_med")), fmt(num(r, "all_p99"))),
                get(r, "frames"),
                get(r, "hwm"),
            ]);
        }
    }
    let renderer = results
        .values()
        .find_map(|r| r.get("renderer").filter(|v| *v != "none"))
        .map(|r| r.replace('_', " "));
    println!();
    match &renderer {
        Some(r) => println!(
            "Whole-frame CPU time in ms, all threads (UI pass, tessellation, painting with \
             egui_glow on {r} until glFinish), median / p99, window {}x{} px",
            SCREEN.x, SCREEN.y
        ),
        None => println!(
            "Frame CPU time in ms (UI pass + tessellation; not painted), median / p99, window \
             {}x{} pt",
            SCREEN.x, SCREEN.y
        ),
    }
    print_table(
        &[
            "document",
            "view",
            "first frame",
            "jump scroll",
            "wheel scroll",
            "span selected",
            "drag select",
            "all frames",
            "frames",
            "peak MiB",
        ],
        &rows,
    );
    println!();
    println!(
        "The parts of a frame (median over all frames; CPU ms): the UI pass and tessellation on \
         the UI thread, painting and the whole frame on all threads"
    );
    let mut part_rows = Vec::new();
    for d in &docs {
        for view in ["real", "naive"] {
            let Some(r) = results.get(&(d.name.to_owned(), view)) else {
                continue;
            };
            part_rows.push(vec![
                format!("{} / {} spans", d.name, d.spans),
                view.to_owned(),
                fmt(num(r, "pass_med")),
                fmt(num(r, "tess_med")),
                fmt(num(r, "paint_med")),
                fmt(num(r, "whole_med")),
                get(r, "renderer").replace('_', " "),
            ]);
        }
    }
    print_table(
        &[
            "document",
            "view",
            "UI pass",
            "tessellation",
            "painting",
            "whole frame",
            "renderer",
        ],
        &part_rows,
    );
    println!();
    println!(
        "Editing: a word tagged every 10 frames at 60 Hz, autosave on (writer thread); CPU ms per \
         frame: the UI thread (the edit, the pass, tessellation, handing the frame to the painter, \
         autosave), and all threads (the rasteriser and the writer too)"
    );
    let mut edit_rows = Vec::new();
    for d in &docs {
        let Some(r) = results.get(&(d.name.to_owned(), "edit")) else {
            continue;
        };
        edit_rows.push(vec![
            format!("{} / {} spans", d.name, d.spans),
            fmt(num(r, "edit_med")),
            fmt(num(r, "edit_p99")),
            fmt(num(r, "edit_max")),
            fmt(num(r, "edit_all_med")),
            fmt(num(r, "edit_all_p99")),
            get(r, "frames"),
            get(r, "tagged"),
            get(r, "saves"),
        ]);
    }
    print_table(
        &[
            "document",
            "UI thread median",
            "p99",
            "max",
            "all threads median",
            "p99",
            "frames",
            "tagged",
            "saves",
        ],
        &edit_rows,
    );
    println!();
    for d in &docs {
        let (Some(real), Some(naive)) = (
            results.get(&(d.name.to_owned(), "real")),
            results.get(&(d.name.to_owned(), "naive")),
        ) else {
            continue;
        };
        println!(
            "{}: naive / real all-frames median = {:.0}x",
            d.name,
            num(naive, "all_med") / num(real, "all_med")
        );
    }
    if let (Some(small), Some(big)) = (
        results.get(&("4kb".to_owned(), "real")),
        results.get(&("10mb".to_owned(), "real")),
    ) {
        for (label, key) in [
            ("all frames", "all_med"),
            ("jump scroll", "scroll_med"),
            ("wheel scroll", "wheel_med"),
            ("span selected", "sel_med"),
            ("drag select", "drag_med"),
        ] {
            println!(
                "real view, {label}: 10mb / 4kb median = {:.2}x",
                num(big, key) / num(small, key)
            );
        }
    }
    if let (Some(small), Some(big)) = (
        results.get(&("4kb".to_owned(), "edit")),
        results.get(&("10mb".to_owned(), "edit")),
    ) {
        println!(
            "edit: 10mb / 4kb median = {:.2}x; 10mb p99 = {}",
            num(big, "edit_med") / num(small, "edit_med"),
            fmt(num(big, "edit_p99"))
        );
    }
}
