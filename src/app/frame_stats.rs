//! `MARGINALIA_FRAME_STATS=1`: what each frame cost, the whole of it and each part, printed
//! when the window closes. The app's own `ui()` is one part; egui's pass around it,
//! tessellation, painting and present are the others, and the software rasteriser's threads
//! show in the process's CPU per frame (issue 22: `ui()` alone was 6 % of the UI thread).
//!
//! How each part is taken:
//! - **ui()**: a clock around the app's `ui()`.
//! - **egui pass**: a plugin's input and output hooks, which egui calls at the start and end
//!   of its pass (they wrap `ui()`).
//! - **tessellation**: the output hook tessellates the pass's shapes once more and times that;
//!   eframe then tessellates them for the painter, so the copy's time is taken out of the totals
//!   below.
//! - **whole frame**: eframe's own figure (`Frame::info().cpu_usage`): the UI thread's time from
//!   taking the input to handing the frame to the GPU, less any wait for vsync.
//! - **input, painting and present**: the whole frame less the pass and the tessellation.
//! - **all threads**: the process's CPU time (`getrusage`) from the start of one frame to the
//!   start of the next, less the copy's tessellation: the rasteriser's threads finishing the
//!   frame, and any background job that ran meanwhile (a list scan, suggestions, saving).

use std::time::Instant;

/// One frame's figures, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
struct Frame {
    /// The app's `ui()`, wall time, and this thread's CPU during it.
    ui: f32,
    ui_cpu: f32,
    /// egui's pass, from its input hook to its output hook (includes `ui()`).
    pass: f32,
    /// Tessellating the pass's shapes (the copy), and the triangles that made.
    tessellation: f32,
    tessellation_cpu: f32,
    triangles: u32,
    /// The pixels those triangles cover, summed (overlaps counted each time): what the
    /// rasteriser fills, so the window's area times its overdraw.
    filled: f32,
    /// eframe's figure for the frame (UI thread, wall, less vsync), copy taken out.
    whole: Option<f32>,
    /// The process's CPU (all threads) from this frame's start to the next one's, copy taken out.
    all_threads: Option<f32>,
    /// The process's CPU clock when the pass began.
    cpu_at_start: Option<f64>,
    /// The frame took typed text (a filter, a note).
    typed: bool,
    /// The frame took a key press or a mouse button press: the frame that answers an action.
    acted: bool,
}

/// The plugin that times egui's pass and the tessellation; the app reads it back.
#[derive(Default)]
pub(super) struct FrameClock {
    frames: Vec<Frame>,
    pass_started: Option<Instant>,
    first: Option<Instant>,
}

impl egui::Plugin for FrameClock {
    fn debug_name(&self) -> &'static str {
        "Marginalia frame clock"
    }

    fn input_hook(&mut self, _ctx: &egui::Context, _input: &mut egui::RawInput) {
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.pass_started = Some(now);
        let cpu = process_cpu_ms();
        if let (Some(last), Some(now_cpu)) = (self.frames.last_mut(), cpu)
            && let Some(then) = last.cpu_at_start
        {
            last.all_threads = Some(((now_cpu - then) as f32 - last.tessellation_cpu).max(0.0));
        }
        self.frames.push(Frame {
            cpu_at_start: cpu,
            ..Frame::default()
        });
    }

    fn output_hook(&mut self, ctx: &egui::Context, output: &mut egui::FullOutput) {
        let Some(started) = self.pass_started.take() else {
            return;
        };
        let pass = started.elapsed().as_secs_f32() * 1000.0;
        let cpu_before = thread_cpu_ms();
        let t = Instant::now();
        let primitives = ctx.tessellate(output.shapes.clone(), output.pixels_per_point);
        let tessellation = t.elapsed().as_secs_f32() * 1000.0;
        let tessellation_cpu = match (cpu_before, thread_cpu_ms()) {
            (Some(a), Some(b)) => (b - a) as f32,
            _ => tessellation,
        };
        let (mut triangles, mut filled) = (0usize, 0.0f32);
        for p in &primitives {
            if let egui::epaint::Primitive::Mesh(m) = &p.primitive {
                triangles += m.indices.len() / 3;
                filled += covered_pixels(m, p.clip_rect, output.pixels_per_point);
            }
        }
        if let Some(f) = self.frames.last_mut() {
            f.pass = pass;
            f.tessellation = tessellation;
            f.tessellation_cpu = tessellation_cpu;
            f.triangles = u32::try_from(triangles).unwrap_or(u32::MAX);
            f.filled = filled;
        }
    }
}

/// The pixels a mesh's triangles cover inside `clip` (each triangle's area, clipped to the
/// clip rect's bounding box only roughly: a triangle is counted whole if it touches it).
fn covered_pixels(mesh: &egui::epaint::Mesh, clip: egui::Rect, pixels_per_point: f32) -> f32 {
    let mut area = 0.0;
    for t in mesh.indices.chunks_exact(3) {
        let p = |i: u32| mesh.vertices.get(i as usize).map(|v| v.pos);
        let (Some(a), Some(b), Some(c)) = (p(t[0]), p(t[1]), p(t[2])) else {
            continue;
        };
        let bounds = egui::Rect::from_points(&[a, b, c]);
        if !bounds.intersects(clip) {
            continue;
        }
        area += ((b - a).x * (c - a).y - (b - a).y * (c - a).x).abs() * 0.5;
    }
    area * pixels_per_point * pixels_per_point
}

/// The app's side: times `ui()` and hands eframe's figure to the right frame.
pub(super) struct FrameStats {
    ui_started: Instant,
    ui_cpu_started: Option<f64>,
    typed: bool,
    acted: bool,
}

impl FrameStats {
    /// Registers the clock with egui; `None` unless `MARGINALIA_FRAME_STATS=1`.
    pub(super) fn install(ctx: &egui::Context) -> Option<Self> {
        if !std::env::var("MARGINALIA_FRAME_STATS").is_ok_and(|v| v == "1") {
            return None;
        }
        ctx.add_plugin(FrameClock::default());
        Some(Self {
            ui_started: Instant::now(),
            ui_cpu_started: None,
            typed: false,
            acted: false,
        })
    }

    /// At the start of `ui()`: eframe's figure for the frame before (`cpu_usage`, seconds).
    pub(super) fn begin(&mut self, ctx: &egui::Context, previous_frame: Option<f32>) {
        self.ui_started = Instant::now();
        self.ui_cpu_started = thread_cpu_ms();
        (self.typed, self.acted) = ctx.input(|i| {
            let typed = i.events.iter().any(|e| matches!(e, egui::Event::Text(_)));
            let acted = i.events.iter().any(|e| {
                matches!(
                    e,
                    egui::Event::Key { pressed: true, .. }
                        | egui::Event::PointerButton { pressed: true, .. }
                )
            });
            (typed, acted)
        });
        ctx.with_plugin::<FrameClock, _>(|clock| {
            let n = clock.frames.len();
            if n >= 2
                && let Some(secs) = previous_frame
            {
                let f = &mut clock.frames[n - 2];
                f.whole = Some((secs * 1000.0 - f.tessellation).max(0.0));
            }
        });
    }

    /// At the end of `ui()`.
    pub(super) fn end(&mut self, ctx: &egui::Context) {
        let ui = self.ui_started.elapsed().as_secs_f32() * 1000.0;
        let ui_cpu = match (self.ui_cpu_started, thread_cpu_ms()) {
            (Some(a), Some(b)) => (b - a) as f32,
            _ => f32::NAN,
        };
        ctx.with_plugin::<FrameClock, _>(|clock| {
            if let Some(f) = clock.frames.last_mut() {
                f.ui = ui;
                f.ui_cpu = ui_cpu;
                f.typed = self.typed;
                f.acted = self.acted;
            }
        });
    }

    /// The report, printed to stderr when the window closes.
    pub(super) fn print(ctx: &egui::Context) {
        let Some(lines) = ctx.with_plugin::<FrameClock, _>(|clock| report(clock)) else {
            return;
        };
        for line in lines {
            eprintln!("{line}");
        }
    }
}

/// The lines of the report.
fn report(clock: &FrameClock) -> Vec<String> {
    let frames = &clock.frames;
    if frames.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let secs = clock.first.map_or(0.0, |t| t.elapsed().as_secs_f32());
    out.push(format!(
        "frames: {} in {secs:.1} s with the window open",
        frames.len()
    ));
    let whole = |f: &Frame| f.whole;
    let mut slow: Vec<(usize, f32)> = (frames.iter().enumerate())
        .filter_map(|(i, f)| Some((i, f.whole?)))
        .collect();
    slow.sort_by(|a, b| b.1.total_cmp(&a.1));
    let slow: Vec<String> = (slow.iter().take(5))
        .map(|(i, t)| {
            let f = &frames[*i];
            format!(
                "#{i} {t:.1} ms (ui() {:.1}, tessellation {:.1}; all threads {} ms CPU)",
                f.ui,
                f.tessellation,
                f.all_threads.map_or("?".into(), |c| format!("{c:.0}"))
            )
        })
        .collect();
    out.push(format!("slowest whole frames: {}", slow.join(", ")));
    let line = |what: &str, pick: &dyn Fn(&Frame) -> Option<f32>| -> String {
        let mut v: Vec<f32> = frames.iter().filter_map(pick).collect();
        match quantiles(&mut v) {
            Some((med, p99, max)) => {
                format!("{what}: median {med:.2} ms, p99 {p99:.2} ms, max {max:.2} ms")
            }
            None => format!("{what}: not measured"),
        }
    };
    out.push(line(
        "whole frame, UI thread (input, egui pass, tessellation, painting, present)",
        &whole,
    ));
    out.push(line("  ui(), the app's own code", &|f| Some(f.ui)));
    out.push(line("  egui's pass around ui()", &|f| {
        Some((f.pass - f.ui).max(0.0))
    }));
    out.push(line("  tessellation", &|f| Some(f.tessellation)));
    out.push(line("  input, painting and present", &|f| {
        Some((f.whole? - f.pass - f.tessellation).max(0.0))
    }));
    out.push(line(
        "all threads' CPU per frame (incl. the software rasteriser and background jobs)",
        &|f| f.all_threads,
    ));
    out.push(line("ui()'s own CPU per frame", &|f| {
        Some(f.ui_cpu).filter(|c| c.is_finite())
    }));
    let mut tri: Vec<f32> = frames.iter().map(|f| f.triangles as f32).collect();
    let mut filled: Vec<f32> = frames.iter().map(|f| f.filled / 1e6).collect();
    if let (Some((med, _, max)), Some((fmed, _, fmax))) =
        (quantiles(&mut tri), quantiles(&mut filled))
    {
        out.push(format!(
            "triangles per frame: median {med:.0}, max {max:.0}; pixels they fill: median {fmed:.2} M, max {fmax:.2} M"
        ));
    }
    for (what, pick) in [
        (
            "frames that took typed text",
            (|f: &Frame| f.typed) as fn(&Frame) -> bool,
        ),
        ("frames that took a key or button press", |f: &Frame| {
            f.acted
        }),
    ] {
        let mut whole: Vec<f32> = (frames.iter().filter(|f| pick(f)))
            .filter_map(|f| f.whole)
            .collect();
        let mut all: Vec<f32> = (frames.iter().filter(|f| pick(f)))
            .filter_map(|f| f.all_threads)
            .collect();
        let n = whole.len();
        if let (Some((med, _, max)), Some((amed, _, amax))) =
            (quantiles(&mut whole), quantiles(&mut all))
        {
            out.push(format!(
                "{what}: {n}, whole frame median {med:.2} ms, max {max:.2} ms; all threads' CPU median {amed:.1} ms, max {amax:.1} ms"
            ));
        }
    }
    out
}

/// Median, 99th percentile and maximum, or `None` for no values.
fn quantiles(v: &mut [f32]) -> Option<(f32, f32, f32)> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let at = |q: f32| v[((v.len() - 1) as f32 * q).round() as usize];
    Some((at(0.5), at(0.99), v[v.len() - 1]))
}

/// This thread's CPU time, in ms.
#[cfg(unix)]
pub(super) fn thread_cpu_ms() -> Option<f64> {
    clock_ms(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// The whole process's CPU time (all threads), in ms.
#[cfg(unix)]
fn process_cpu_ms() -> Option<f64> {
    clock_ms(libc::CLOCK_PROCESS_CPUTIME_ID)
}

#[cfg(unix)]
fn clock_ms(clock: libc::clockid_t) -> Option<f64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
    let r = unsafe { libc::clock_gettime(clock, &mut ts) };
    (r == 0).then(|| ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6)
}

#[cfg(not(unix))]
pub(super) fn thread_cpu_ms() -> Option<f64> {
    None
}

#[cfg(not(unix))]
fn process_cpu_ms() -> Option<f64> {
    None
}
