//! Colours: tag colours as readable tints behind text, chips with contrasting labels, the
//! light and dark looks, and the panels' backgrounds (cleared by OpenGL rather than painted).

use egui::{Color32, CornerRadius, RichText, Ui, Visuals};

use crate::model::tags::TagSet;

/// The full colour of tag `name` (grey if unknown).
pub fn tag_color(tags: &TagSet, name: &str) -> Color32 {
    let [r, g, b] = tags.get(name).map(|t| t.rgb()).unwrap_or([128, 128, 128]);
    Color32::from_rgb(r, g, b)
}

/// A translucent tint of a tag colour to paint behind normal text: light enough in the light
/// theme and dark enough in the dark theme that the default text colour stays readable.
pub fn tag_fill(color: Color32, dark: bool) -> Color32 {
    let alpha = if dark { 0.30 } else { 0.26 };
    color.gamma_multiply(alpha)
}

/// Black or white, whichever reads better on `bg`.
pub fn text_on(bg: Color32) -> Color32 {
    let l = luminance(bg);
    // Contrast against black is (l + 0.05) / 0.05, against white 1.05 / (l + 0.05).
    if (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) {
        Color32::BLACK
    } else {
        Color32::WHITE
    }
}

/// The WCAG relative luminance of an opaque colour (0 black to 1 white).
fn luminance(c: Color32) -> f32 {
    let lin = |x: u8| linear(f32::from(x));
    0.2126 * lin(c.r()) + 0.7152 * lin(c.g()) + 0.0722 * lin(c.b())
}

/// An sRGB channel (0–255) as linear light (0–1).
fn linear(c: f32) -> f32 {
    let c = c / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// A label in the error colour.
pub fn error_text(ui: &mut Ui, text: impl Into<String>) -> egui::Response {
    ui.label(RichText::new(text).color(error_color(ui.visuals())))
}

/// A clickable list row `height` tall across the available width, filled when selected and
/// tinted under the pointer.
pub fn list_row(ui: &mut Ui, height: f32, selected: bool) -> (egui::Rect, egui::Response) {
    let (rect, r) = ui.allocate_exact_size(
        egui::vec2(ui.available_width(), height),
        egui::Sense::click(),
    );
    let v = ui.visuals();
    if selected {
        ui.painter()
            .rect_filled(rect, 4.0, v.selection.bg_fill.gamma_multiply(0.5));
    } else if r.hovered() {
        ui.painter()
            .rect_filled(rect, 4.0, v.widgets.hovered.weak_bg_fill);
    }
    (rect, r)
}

/// A small filled label with a tag's name in its colour.
pub fn tag_chip(ui: &mut Ui, tags: &TagSet, name: &str) -> egui::Response {
    let color = tag_color(tags, name);
    egui::Frame::new()
        .fill(color)
        .corner_radius(CornerRadius::same(4))
        .inner_margin(egui::Margin::symmetric(5, 1))
        .show(ui, |ui| {
            ui.label(RichText::new(name).color(text_on(color)).small().strong());
        })
        .response
}

/// The colour of selected, not yet tagged text: an indigo that no tag colour is near (egui's
/// light blue is the quote tag's look), outlined so a selection never passes for a span.
pub fn selection_color(v: &Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_rgb(150, 128, 255)
    } else {
        Color32::from_rgb(92, 62, 230)
    }
}

/// The fill and text colour of a tag chip that cannot be used now (nothing selected): a tint
/// of the tag's colour over the panel with the theme's strong text, readable in both themes
/// (egui's faded disabled look is not, on a dark panel).
pub fn inactive_chip(color: Color32, v: &Visuals) -> (Color32, Color32) {
    let t = if v.dark_mode { 0.30 } else { 0.25 };
    let mix = |a: u8, b: u8| (f32::from(a) * (1.0 - t) + f32::from(b) * t).round() as u8;
    let bg = v.panel_fill;
    let fill = Color32::from_rgb(
        mix(bg.r(), color.r()),
        mix(bg.g(), color.g()),
        mix(bg.b(), color.b()),
    );
    (fill, v.strong_text_color())
}

/// The contrast ratio of the text view's text over a span of colour `color`, as the text view
/// paints it in the dark or light theme (the tint over the page; one span, no overlap).
pub fn highlight_contrast(color: Color32, dark: bool) -> f32 {
    let v = visuals(dark);
    let fill = tag_fill(color, dark);
    let bg = v.extreme_bg_color;
    let a = f32::from(fill.a()) / 255.0;
    let mix = |f: u8, b: u8| (f32::from(f) + (1.0 - a) * f32::from(b)).round().min(255.0) as u8;
    let under = Color32::from_rgb(
        mix(fill.r(), bg.r()),
        mix(fill.g(), bg.g()),
        mix(fill.b(), bg.b()),
    );
    contrast(v.text_color(), under)
}

/// The WCAG contrast ratio of two opaque colours (1 to 21).
pub fn contrast(a: Color32, b: Color32) -> f32 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The edge of a find hit: green, unlike the default tags' blue, amber, vermillion and grey
/// and the violet selection.
pub fn find_hit_edge(v: &Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_rgb(80, 220, 130)
    } else {
        Color32::from_rgb(0, 135, 60)
    }
}

/// The wash behind a find hit (stronger for the current one).
pub fn find_hit_fill(v: &Visuals, current: bool) -> Color32 {
    let base = if v.dark_mode {
        Color32::from_rgb(80, 220, 130)
    } else {
        Color32::from_rgb(60, 200, 110)
    };
    base.gamma_multiply(match (v.dark_mode, current) {
        (true, false) => 0.15,
        (true, true) => 0.35,
        (false, false) => 0.18,
        (false, true) => 0.40,
    })
}

/// The fill behind selected (not yet tagged) text.
pub fn selection_fill(v: &Visuals) -> Color32 {
    selection_color(v).gamma_multiply(if v.dark_mode { 0.45 } else { 0.32 })
}

/// The outline around the selected span.
pub fn selected_outline(v: &Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_gray(235)
    } else {
        Color32::from_gray(20)
    }
}

/// The colour for error messages that must stay readable in both themes.
pub fn error_color(v: &Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_rgb(255, 120, 110)
    } else {
        Color32::from_rgb(180, 20, 20)
    }
}

/// A quieter colour for secondary text.
pub fn weak(v: &Visuals) -> Color32 {
    v.weak_text_color()
}

/// Fonts: egui's bundled ones with its monochrome emoji (the `monochrome_emoji_fonts` feature),
/// then the system's fonts for any script those lack (Devanagari, Thai, Hebrew, CJK…), found
/// through fontconfig / CoreText / DirectWrite. Installed by the app itself rather than by eframe
/// so that the UI tests draw text with the same fonts as the window.
pub fn install_fonts(ctx: &egui::Context) {
    // Asked before the system's fallback, which picks Noto Looped Thai where it is installed:
    // that face sets a tone mark on an upper vowel (ที่ drew as ที, in Pango too).
    ctx.add_font_provider(std::sync::Arc::new(thai_font));
    ctx.add_font_provider(std::sync::Arc::new(
        egui_system_font_provider::SystemFontProvider::new(),
    ));
    ctx.add_glyph_rasterizer(
        egui::epaint::text::GlyphRasterizer::new(
            "marginalia::emoji_sequence_placeholder",
            |req: &egui::epaint::text::GlyphRasterizerRequest<'_>| {
                is_emoji_sequence(req.cluster).then(|| emoji_placeholder(req.font_size_px))
            },
        )
        .with_priority(egui::epaint::text::FontPriority::Highest),
    );
}

/// Where the usual systems keep a Thai face with loopless letters and stacked marks: Noto Sans
/// Thai (Debian and Ubuntu, Arch, Fedora), Thonburi (macOS), Leelawadee UI (Windows).
const THAI_FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
    "/usr/share/fonts/noto/NotoSansThai-Regular.ttf",
    "/usr/share/fonts/google-noto/NotoSansThai-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansThai-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Thonburi.ttc",
    "C:\\Windows\\Fonts\\LeelawUI.ttf",
];

/// A font for Thai text: the first of [`THAI_FONTS`] that is a readable font file (at most
/// 32 MiB), for the family asked about. `None` for other scripts, or when none is there: the
/// system's fallback is asked next.
fn thai_font(
    req: &egui::epaint::text::FallbackRequest<'_>,
) -> Option<egui::epaint::text::FontInsert> {
    let first = req.cluster.chars().next()?;
    if !('\u{0E00}'..='\u{0E7F}').contains(&first) {
        return None;
    }
    THAI_FONTS.iter().find_map(|path| {
        let bytes = crate::store::read_regular(std::path::Path::new(path), 32 << 20).ok()?;
        Some(egui::epaint::text::FontInsert::new(
            &format!("thai:{path}"),
            egui::FontData::from_owned(bytes),
            vec![egui::epaint::text::InsertFontFamily {
                family: req.family.clone(),
                priority: egui::epaint::text::FontPriority::Lowest,
            }],
        ))
    })
}

/// Whether a grapheme cluster is an emoji sequence the bundled monochrome emoji font draws
/// in pieces: a flag (two regional indicators: 🇺🇦 came out as "U A"), a ZWJ sequence (👩🏿‍💻
/// as two glyphs, a family as three faces) or an emoji with a skin tone (the tone dropped).
pub fn is_emoji_sequence(cluster: &str) -> bool {
    let mut chars = cluster.chars();
    let (Some(_), Some(_)) = (chars.next(), chars.next()) else {
        return false;
    };
    cluster
        .chars()
        .any(|c| matches!(u32::from(c), 0x200D | 0x1F1E6..=0x1F1FF | 0x1F3FB..=0x1F3FF))
}

/// One placeholder for a whole emoji sequence: a hollow rounded square an em wide with a dot
/// in it (unlike the missing-glyph box, which is narrower), tinted with the text's colour.
/// The sequence stays whole in the text: the span list, hover card and screen reader give it.
fn emoji_placeholder(font_size_px: f32) -> egui::epaint::text::RasterizedGlyph {
    use egui::epaint::text::{GlyphBitmap, RasterizedGlyph};
    let side = (0.8 * font_size_px).round().max(4.0) as usize;
    let stroke = (font_size_px / 14.0).round().max(1.0);
    let corner = side as f32 * 0.22;
    let mut image = egui::ColorImage::filled([side, side], Color32::TRANSPARENT);
    let c = side as f32 / 2.0;
    let dot = side as f32 * 0.12;
    for y in 0..side {
        for x in 0..side {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            // Distance outside the rounded square (negative inside).
            let dx = ((px - c).abs() - (c - corner)).max(0.0);
            let dy = ((py - c).abs() - (c - corner)).max(0.0);
            let outside = (dx * dx + dy * dy).sqrt() - corner;
            let on_edge = outside <= 0.0 && outside > -stroke;
            let on_dot = ((px - c).powi(2) + (py - c).powi(2)).sqrt() <= dot;
            if on_edge || on_dot {
                image[(x, y)] = Color32::WHITE;
            }
        }
    }
    let bearing = (0.1 * font_size_px).round();
    RasterizedGlyph {
        bitmap: GlyphBitmap {
            image,
            // The pen is at the baseline; the square sits on it, a little below as emoji do.
            offset_px: egui::vec2(bearing, -(side as f32) + (0.08 * font_size_px).round()),
            is_color: false,
        },
        advance_px: side as f32 + 2.0 * bearing,
    }
}

/// The visuals for the chosen theme, a little calmer than egui's defaults.
pub fn visuals(dark: bool) -> Visuals {
    let mut v = if dark {
        Visuals::dark()
    } else {
        Visuals::light()
    };
    if dark {
        // egui's dark body text is grey 140: about 6:1 on the plain background, but under a
        // tag's tint it falls below 4.5:1 for most colours. Reading long texts needs more.
        v.widgets.noninteractive.fg_stroke.color = Color32::from_gray(DARK_TEXT_GREY);
        // Secondary text (statuses, hints, descriptions) was the body grey at 60 % alpha:
        // about 4.2:1. A grey of its own reaches 4.5:1 on every background.
        v.weak_text_color = Some(Color32::from_gray(150));
        // egui's pure red is 4.3:1 on the dark panel.
        v.error_fg_color = Color32::from_rgb(255, 120, 110);
    } else {
        v.panel_fill = Color32::from_rgb(246, 246, 244);
        v.extreme_bg_color = Color32::WHITE;
        // egui's light secondary text was about 2.9:1, its links 2.9:1, its warnings 2.9:1 and
        // its errors 4.0:1 against white: each darkened to 4.5:1 or more.
        v.weak_text_color = Some(Color32::from_gray(105));
        v.hyperlink_color = Color32::from_rgb(0, 95, 190);
        v.warn_fg_color = Color32::from_rgb(170, 80, 0);
        v.error_fg_color = Color32::from_rgb(180, 20, 20);
    }
    v
}

/// The size of the smallest text (`TextStyle::Small`: statuses, file names, counts): one step
/// under the body's 13 points, where egui's default is 9.
pub const SMALL_TEXT: f32 = 11.5;

/// A progress bar whose empty state is empty: egui's rounded bar fills at least a circle of its
/// height, so 0 of 40 decided looked like a started bar (a dot). Square corners, filled exactly
/// to `fraction`.
pub fn progress_bar(fraction: f32) -> egui::ProgressBar {
    egui::ProgressBar::new(fraction).corner_radius(0.0)
}

/// The shortest a scroll bar's handle gets, in points: on a 10 MB text egui's 12 was a dot.
pub const SCROLL_HANDLE_MIN: f32 = 36.0;

/// The app's style on top of egui's: nothing a user reads is under [`SMALL_TEXT`], and a scroll
/// handle is never shorter than [`SCROLL_HANDLE_MIN`].
pub fn app_style(style: &mut egui::Style) {
    style.text_styles.insert(
        egui::TextStyle::Small,
        egui::FontId::proportional(SMALL_TEXT),
    );
    style.spacing.scroll.handle_min_length = SCROLL_HANDLE_MIN;
}

/// A premultiplied `fill` painted over an opaque `bg`.
pub fn over(fill: Color32, bg: Color32) -> [f32; 3] {
    let a = f32::from(fill.a()) / 255.0;
    let mix = |f: u8, b: u8| f32::from(f) + (1.0 - a) * f32::from(b);
    [
        mix(fill.r(), bg.r()),
        mix(fill.g(), bg.g()),
        mix(fill.b(), bg.b()),
    ]
}

/// CIELAB of an sRGB colour (0–255 channels), D65.
pub fn lab([r, g, b]: [f32; 3]) -> [f32; 3] {
    let (r, g, b) = (linear(r), linear(g), linear(b));
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let f = |t: f32| {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// CIE76 colour difference of two sRGB colours: about 2 is just noticeable, 20 plainly another
/// colour.
pub fn delta_e(a: [f32; 3], b: [f32; 3]) -> f32 {
    let (a, b) = (lab(a), lab(b));
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// The least difference between two tags' highlights, as the text view paints them over its
/// background, in either theme: the tag editor refuses a colour closer than this to another
/// tag's. Tints are faint (a quarter of the colour), so palette neighbours such as Tol's two
/// greens (#228833, #117733: 2.5) fall under it and the default tags (7 and more) above.
pub const MIN_TAG_DELTA_E: f32 = 5.0;

/// How far apart the highlights of tag colours `a` and `b` look: the smaller CIE76 difference of
/// their tints over the text's background in the light and the dark theme.
pub fn tint_difference(a: Color32, b: Color32) -> f32 {
    [false, true]
        .into_iter()
        .map(|dark| {
            let bg = visuals(dark).extreme_bg_color;
            delta_e(over(tag_fill(a, dark), bg), over(tag_fill(b, dark), bg))
        })
        .fold(f32::INFINITY, f32::min)
}

/// The dark theme's body text grey: every palette colour's tint keeps it above 4.5:1.
const DARK_TEXT_GREY: u8 = 192;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_looks_unlike_every_tag_in_both_themes() {
        // The default tags and every colour given to imported tags.
        let mut tags = TagSet::default();
        for i in 0..6 {
            tags.add_generated(&format!("imported {i}"));
        }
        for dark in [false, true] {
            let v = visuals(dark);
            let bg = v.extreme_bg_color;
            let selection = over(selection_fill(&v), bg);
            for t in &tags.tags {
                let tint = over(tag_fill(tag_color(&tags, &t.name), dark), bg);
                let d = delta_e(selection, tint);
                // About 2 is a just-noticeable difference; 20 is plainly another colour.
                assert!(d > 20.0, "{} (dark: {dark}): ΔE {d:.1}", t.name);
            }
            let old_look = over(v.selection.bg_fill.gamma_multiply(0.45), bg);
            let quote = over(tag_fill(tag_color(&tags, "quote"), dark), bg);
            if !dark {
                assert!(delta_e(old_look, quote) < 20.0, "the test tells them apart");
            }
        }
    }

    #[test]
    fn chip_text_contrasts_with_every_default_tag() {
        for t in &TagSet::default().tags {
            let [r, g, b] = t.rgb();
            let bg = Color32::from_rgb(r, g, b);
            let fg = text_on(bg);
            assert!(fg == Color32::BLACK || fg == Color32::WHITE, "{}", t.name);
        }
        assert_eq!(text_on(Color32::from_rgb(0x56, 0xB4, 0xE9)), Color32::BLACK);
        assert_eq!(text_on(Color32::from_rgb(0x20, 0x20, 0x60)), Color32::WHITE);
    }

    /// The quads of an outline, in physical pixels: (x0, y0, x1, y1) each.
    fn quads(r: egui::Rect, width: f32, ppp: f32) -> Vec<[f32; 4]> {
        let mut d = DashedOutlines::new(ppp);
        d.rect(r, width, Color32::RED);
        assert_eq!(d.mesh.vertices.len() % 4, 0);
        assert!(d.mesh.vertices.iter().all(|v| v.color == Color32::RED));
        d.mesh
            .vertices
            .chunks(4)
            .map(|q| {
                let (xs, ys) = (
                    q.iter().map(|v| v.pos.x * ppp),
                    q.iter().map(|v| v.pos.y * ppp),
                );
                let min = |i: &mut dyn Iterator<Item = f32>| i.fold(f32::MAX, f32::min);
                let max = |i: &mut dyn Iterator<Item = f32>| i.fold(f32::MIN, f32::max);
                [
                    min(&mut xs.clone()),
                    min(&mut ys.clone()),
                    max(&mut { xs }),
                    max(&mut { ys }),
                ]
            })
            .collect()
    }

    #[test]
    fn dashed_outlines_are_whole_pixel_quads_round_every_side_and_corner() {
        let r = egui::Rect::from_min_max(egui::pos2(10.3, 20.0), egui::pos2(80.3, 38.0));
        for ppp in [1.0, 1.5, 2.0] {
            let q = quads(r, 1.2, ppp);
            let t = (1.2 * ppp).round();
            for [x0, y0, x1, y1] in &q {
                for v in [x0, y0, x1, y1] {
                    assert!(
                        (v - v.round()).abs() < 1e-3,
                        "{ppp}: {v} is off the pixel grid"
                    );
                }
                // A dash is a thin line along a side: as thick as the stroke one way.
                assert!(x1 - x0 == t || y1 - y0 == t, "{ppp}: {x0} {y0} {x1} {y1}");
                assert!(x1 - x0 <= (4.0 * ppp).round().max(t));
                assert!(y1 - y0 <= (4.0 * ppp).round().max(t));
            }
            // About one dash per 7 points of the perimeter, plus one to start each side.
            let perimeter = 2.0 * (r.width() + r.height());
            let n = q.len() as f32;
            assert!(
                (perimeter / 7.0..=perimeter / 7.0 + 4.0).contains(&n),
                "{ppp}: {n}"
            );
            // Each corner is covered.
            let px = |x: f32| (x * ppp).round();
            for (cx, cy) in [
                (r.min.x, r.min.y),
                (r.max.x, r.min.y),
                (r.max.x, r.max.y),
                (r.min.x, r.max.y),
            ] {
                let (cx, cy) = (px(cx), px(cy));
                assert!(
                    q.iter()
                        .any(|[x0, y0, x1, y1]| *x0 <= cx && cx <= *x1 && *y0 <= cy && cy <= *y1),
                    "{ppp}: corner {cx},{cy}"
                );
            }
        }
        // The quad count follows the outline's size, not anything else.
        let wide = egui::Rect::from_min_size(egui::pos2(0.0, 0.0), egui::vec2(700.0, 18.0));
        assert!(quads(wide, 1.0, 1.0).len() <= (2.0 * 718.0 / 7.0) as usize + 4);
    }

    /// Issue 23: every text colour of the theme reaches 4.5:1 (WCAG AA) on every background
    /// text is drawn on, in both themes.
    #[test]
    fn every_text_colour_reaches_4_5_to_1_on_every_background() {
        // A fill painted over an opaque background, as the screen shows it.
        let opaque = |fill: Color32, bg: Color32| {
            let [r, g, b] = over(fill, bg).map(|c| c.round().clamp(0.0, 255.0) as u8);
            Color32::from_rgb(r, g, b)
        };
        for dark in [false, true] {
            let v = visuals(dark);
            let texts = [
                ("body", v.text_color()),
                ("secondary", weak(&v)),
                ("strong", v.strong_text_color()),
                ("link", v.hyperlink_color),
                ("warning", v.warn_fg_color),
                ("egui error", v.error_fg_color),
                ("our error", error_color(&v)),
            ];
            let backgrounds = [
                ("panel", v.panel_fill),
                ("window", v.window_fill),
                ("text field", v.extreme_bg_color),
                // Striped rows: the faint fill over the panel.
                ("striped row", opaque(v.faint_bg_color, v.panel_fill)),
            ];
            for (tn, t) in texts {
                for (bn, bg) in backgrounds {
                    let c = contrast(opaque(t, bg), bg);
                    assert!(c >= 4.5, "{tn} text on {bn}, dark={dark}: {c:.2}:1");
                }
            }
        }
    }

    /// Issue 23: a progress bar at 0 paints nothing in its fill colour (egui's painted a dot),
    /// and at one half fills half of it.
    #[test]
    fn an_empty_progress_bar_paints_no_fill() {
        let filled = |fraction: f32| -> f32 {
            let ctx = egui::Context::default();
            ctx.set_theme(egui::Theme::Light);
            ctx.set_visuals_of(egui::Theme::Light, visuals(false));
            let fill = visuals(false).selection.bg_fill;
            let out = ctx.run_ui(egui::RawInput::default(), |ui| {
                ui.add(progress_bar(fraction).desired_width(200.0));
            });
            let mut width = 0.0_f32;
            for s in &out.shapes {
                if let egui::Shape::Rect(r) = &s.shape
                    && r.fill == fill
                {
                    width = width.max(r.rect.width());
                }
            }
            out.drop_without_applying_deltas();
            width
        };
        assert_eq!(filled(0.0), 0.0);
        assert!((filled(0.5) - 100.0).abs() < 1.0, "{}", filled(0.5));
    }

    /// Issue 23: nothing a user reads is smaller than the body size less one step, and a
    /// scroll bar's handle on a long text is a bar, not a dot.
    #[test]
    fn the_smallest_text_is_one_step_under_the_body_and_a_scroll_handle_is_a_bar() {
        let mut style = egui::Style::default();
        app_style(&mut style);
        assert!(style.spacing.scroll.handle_min_length >= 3.0 * style.spacing.scroll.bar_width);
        let size = |t: egui::TextStyle| style.text_styles[&t].size;
        assert!(size(egui::TextStyle::Small) >= size(egui::TextStyle::Body) - 1.5);
        assert!(size(egui::TextStyle::Small) >= 11.0);
        assert_eq!(size(egui::TextStyle::Small), SMALL_TEXT);
    }

    #[test]
    fn inactive_chips_are_readable_in_both_themes() {
        for dark in [false, true] {
            let v = visuals(dark);
            for t in &TagSet::default().tags {
                let [r, g, b] = t.rgb();
                let (fill, text) = inactive_chip(Color32::from_rgb(r, g, b), &v);
                let c = contrast(fill, text);
                assert!(c >= 4.5, "{} in dark={dark}: contrast {c:.2}", t.name);
            }
        }
    }
}

/// A dashed rectangle outline (marks what is uncertain).
pub fn dashed_rect(painter: &egui::Painter, r: egui::Rect, stroke: egui::Stroke) {
    let mut d = DashedOutlines::new(painter.pixels_per_point());
    d.rect(r, stroke.width, stroke.color);
    d.paint(painter);
}

/// Dashed rectangle outlines batched as plain quads in one mesh, snapped to whole pixels: a
/// few vertices per dash and one shape for all of them. (Each dash used to be a feathered line
/// segment shape of its own: a screen dense with suggestions tessellated hundreds of
/// thousands of them a frame, and the software rasteriser took a second per frame.)
pub struct DashedOutlines {
    mesh: egui::Mesh,
    /// Physical pixels per point, to snap to.
    ppp: f32,
}

/// A dash and a gap, in points.
const DASH: f32 = 4.0;
const GAP: f32 = 3.0;

impl DashedOutlines {
    pub fn new(pixels_per_point: f32) -> Self {
        Self {
            mesh: egui::Mesh::default(),
            ppp: pixels_per_point.max(0.1),
        }
    }

    /// Adds the outline of `r`, `width` points thick (at least a pixel) and centred on its
    /// edge, in dashes of 4 points and gaps of 3. Each side starts with a dash at a corner,
    /// going round clockwise, so every corner is drawn.
    pub fn rect(&mut self, r: egui::Rect, width: f32, color: Color32) {
        let ppp = self.ppp;
        let t = (width * ppp).round().max(1.0);
        // Each band's first pixel: the edge, less half the thickness, on the pixel grid.
        let band = |edge: f32| (edge * ppp - t / 2.0).round();
        let (left, right) = (band(r.min.x), band(r.max.x).max(band(r.min.x)));
        let (top, bottom) = (band(r.min.y), band(r.max.y).max(band(r.min.y)));
        let (dash, step) = (
            (DASH * ppp).round().max(1.0),
            ((DASH + GAP) * ppp).round().max(2.0),
        );
        let mut quad = |x0: f32, x1: f32, y0: f32, y1: f32| {
            let rect = egui::Rect::from_min_max(
                egui::pos2(x0 / ppp, y0 / ppp),
                egui::pos2(x1 / ppp, y1 / ppp),
            );
            self.mesh.add_colored_rect(rect, color);
        };
        // Along each side from its corner: `from` to `to` (either way), dash by dash.
        let dashes = |from: f32, to: f32| {
            let len = (to - from).abs();
            let n = (len / step).floor() as usize + 1;
            (0..n).filter_map(move |i| {
                let a = i as f32 * step;
                let b = (a + dash).min(len);
                (b > a).then_some(if to >= from {
                    (from + a, from + b)
                } else {
                    (from - b, from - a)
                })
            })
        };
        let (x_end, y_end) = (right + t, bottom + t);
        for (a, b) in dashes(left, x_end) {
            quad(a, b, top, top + t);
        }
        for (a, b) in dashes(top, y_end) {
            quad(right, right + t, a, b);
        }
        for (a, b) in dashes(x_end, left) {
            quad(a, b, bottom, bottom + t);
        }
        for (a, b) in dashes(y_end, top) {
            quad(left, left + t, a, b);
        }
    }

    /// Paints what was added, as one shape.
    pub fn paint(self, painter: &egui::Painter) {
        if !self.mesh.is_empty() {
            painter.add(egui::Shape::mesh(self.mesh));
        }
    }
}

/// How a verdict or state reads at a glance; [`tone_color`] gives its colour in a theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Weak,
}

/// The colour of `tone` in the current theme.
pub fn tone_color(tone: Tone, v: &Visuals) -> Color32 {
    match tone {
        Tone::Good if v.dark_mode => Color32::from_rgb(120, 200, 140),
        Tone::Good => Color32::from_rgb(20, 120, 50),
        Tone::Warn if v.dark_mode => Color32::from_rgb(240, 190, 90),
        Tone::Warn => Color32::from_rgb(150, 90, 0),
        Tone::Bad => error_color(v),
        Tone::Weak => weak(v),
    }
}

/// The side panels' frame: without a background where the OpenGL painter clears the window to
/// their colour before each frame (`MarginaliaApp::clear_color`).
pub(super) fn side_frame(cleared_by_gl: bool, ui: &Ui) -> egui::Frame {
    let frame = egui::Frame::side_top_panel(ui.style());
    if cleared_by_gl {
        frame.fill(egui::Color32::TRANSPARENT)
    } else {
        frame
    }
}

/// The central panel's background, given before the panel is shown. Under OpenGL it is not
/// painted as a shape: the panel's rectangle is cleared to it, which a software rasteriser
/// does as a fill of memory rather than by shading every pixel. Between that and the side
/// panels' clear, llvmpipe shades the window's text and widgets only, not its backgrounds
/// (about three pixels in four of a frame). Painted as usual elsewhere (wgpu, tests).
pub(super) fn centre_fill(cleared_by_gl: bool, ui: &Ui) -> egui::Color32 {
    let colour = ui.visuals().extreme_bg_color;
    if !cleared_by_gl {
        return colour;
    }
    let rect = ui.available_rect_before_wrap();
    let rgba = colour.to_normalized_gamma_f32();
    let clear = eframe::egui_glow::CallbackFn::new(move |info, painter| {
        use eframe::glow::HasContext as _;
        let px = info.viewport_in_pixels();
        let gl = painter.gl();
        // SAFETY: called by egui_glow on the thread whose context is current, while it paints;
        // it restores its own state after a callback.
        unsafe {
            gl.enable(eframe::glow::SCISSOR_TEST);
            gl.scissor(px.left_px, px.from_bottom_px, px.width_px, px.height_px);
            gl.clear_color(rgba[0], rgba[1], rgba[2], rgba[3]);
            gl.clear(eframe::glow::COLOR_BUFFER_BIT);
        }
    });
    ui.painter().add(egui::PaintCallback {
        rect,
        callback: std::sync::Arc::new(clear),
    });
    egui::Color32::TRANSPARENT
}

/// Runs `add` in a Ui whose place in egui's stack says its background is `fill`, painting
/// nothing: egui reads the background from there (the scroll areas' fades at their edges),
/// and the panels drawn on OpenGL's clear paint none of their own.
pub(super) fn on_background<R>(
    ui: &mut Ui,
    fill: egui::Color32,
    add: impl FnOnce(&mut Ui) -> R,
) -> R {
    let info =
        egui::UiStackInfo::new(egui::UiKind::GenericArea).with_frame(egui::Frame::new().fill(fill));
    ui.scope_builder(egui::UiBuilder::new().ui_stack_info(info), add)
        .inner
}
