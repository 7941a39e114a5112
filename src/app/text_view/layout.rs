//! How one piece of the text view is laid out and mapped between screen and chars: as one egui
//! galley when it reads left to right, or, when it holds right-to-left text, as rows of short
//! runs placed in visual order by the Unicode Bidirectional Algorithm.
//!
//! egui 0.37 shapes with harfrust but has no bidi: it places a line's font runs left to right
//! in logical order, and after a right-to-left run its glyphs no longer stand one per char. So
//! a piece with right-to-left text is cut here into atoms (a word, a space, a punctuation mark,
//! never across a direction change), each shaped alone by egui; its own line breaking puts
//! them in rows, [`bidi::Paragraph::line_runs`] orders each row's runs, and the x of every char
//! is kept, so that highlights, the caret and hit-testing agree with what is drawn.

use std::ops::Range;
use std::sync::Arc;

use egui::text::{CCursor, CharIndex, LayoutJob, TextFormat};
use egui::{Color32, FontId, Galley, Painter, Pos2, Rect, Vec2, pos2, vec2};
use unicode_segmentation::UnicodeSegmentation as _;

use crate::model::bidi;

/// What a piece is laid out with.
#[derive(Debug, Clone, Copy)]
pub(super) struct Format {
    pub font_size: f32,
    pub color: Color32,
    pub line_height: f32,
    pub wrap_width: f32,
}

impl Format {
    fn job(&self, text: String, wrap: bool) -> LayoutJob {
        let mut job = LayoutJob::single_section(
            text,
            TextFormat {
                font_id: FontId::proportional(self.font_size),
                color: self.color,
                line_height: Some(self.line_height),
                ..Default::default()
            },
        );
        job.wrap.max_width = if wrap { self.wrap_width } else { f32::INFINITY };
        job
    }
}

/// One laid-out piece.
pub(super) enum PieceLayout {
    /// Left to right only: egui's galley, whose glyphs stand one per char.
    Plain(Arc<Galley>),
    /// With right-to-left text, or in a right-to-left paragraph.
    Bidi(BidiLayout),
}

/// A piece with right-to-left text: rows of atoms in visual order.
pub(super) struct BidiLayout {
    size: Vec2,
    rows: Vec<BidiRow>,
}

struct BidiRow {
    /// The row's chars, in piece offsets (its trailing spaces included).
    chars: Range<usize>,
    rect: Rect,
    /// Atom galleys and the x of each one's left edge.
    placed: Vec<(Arc<Galley>, f32)>,
    /// For each char of the row: its grapheme's left and right edge, and whether it reads
    /// right to left.
    ext: Vec<(f32, f32, bool)>,
    /// For each char of the row: whether a grapheme starts there.
    starts: Vec<bool>,
}

/// The atoms of `text` (char ranges): its word boundaries (UAX #29), cut again where the
/// direction changes (`levels`: each char reads right to left), and a number in a
/// right-to-left script's digits cut at every digit (Persian ۱۴۰۲ reads left to right, but
/// harfrust shapes a run of that script right to left).
fn atom_ranges(text: &str, starts: &[bool], levels: &[bool]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut c = 0;
    for w in text.split_word_bounds() {
        let end = c + w.chars().count();
        let mut a = c;
        let by_grapheme = !levels[c] && w.chars().any(in_right_to_left_script);
        for k in c + 1..end {
            if starts[k] && (by_grapheme || levels[k] != levels[k - 1]) {
                out.push(a..k);
                a = k;
            }
        }
        out.push(a..end);
        c = end;
    }
    out
}

/// Whether a grapheme starts at each char of `text`.
fn grapheme_starts(text: &str, n: usize) -> Vec<bool> {
    let mut starts = vec![false; n];
    let mut c = 0;
    for g in text.graphemes(true) {
        if let Some(s) = starts.get_mut(c) {
            *s = true;
        }
        c += g.chars().count();
    }
    starts
}

/// One line of a label (a span's excerpt in a list, a hover card) as an egui job whose
/// sections stand in visual order (UAX #9, the line's direction from its first letter):
/// egui shapes each section alone, so a right-to-left word comes out right and a number or a
/// Latin name inside Arabic stays in its place. Text with nothing right to left is one section.
pub fn visual_line_job(text: &str, font: FontId, color: Color32) -> LayoutJob {
    let format = TextFormat::simple(font, color);
    let mut job = LayoutJob::default();
    job.wrap.max_width = f32::INFINITY;
    if !bidi::needs_reordering(text) {
        job.append(text, 0.0, format);
        return job;
    }
    // The line reads the way its first letter does, as a browser's `dir="auto"`: "claim · …"
    // left to right, an Arabic title right to left.
    let para = bidi::Paragraph::new(text, bidi::Direction::Auto.is_rtl(text));
    let levels = para.rtl_chars();
    let chars: Vec<char> = text.chars().collect();
    let starts = grapheme_starts(text, chars.len());
    let atoms = atom_ranges(text, &starts, &levels);
    for run in para.line_runs(0..chars.len()) {
        let mut inside: Vec<&Range<usize>> = atoms
            .iter()
            .filter(|a| run.chars.contains(&a.start))
            .collect();
        if run.rtl {
            inside.reverse();
        }
        for a in inside {
            let own = &chars[a.clone()];
            let strong = own.iter().any(|c| bidi::is_strong_rtl(*c));
            let shown: String = if run.rtl && !strong {
                own.iter().map(|c| bidi::mirrored(*c)).collect()
            } else {
                own.iter().collect()
            };
            // Pushed, not appended: `append` merges sections of one format, and each must be
            // shaped alone.
            let start = job.text.len();
            job.text.push_str(&shown);
            job.sections.push(egui::text::LayoutSection {
                leading_space: 0.0,
                byte_range: egui::text::ByteIndex(start)..egui::text::ByteIndex(job.text.len()),
                format: format.clone(),
            });
        }
    }
    job
}

/// A run of text as a screen reader is told of it (see [`PieceLayout::text_runs`]).
pub(super) struct TextRun {
    /// Piece chars.
    pub chars: Range<usize>,
    /// In the piece's coordinates.
    pub rect: Rect,
    pub rtl: bool,
    /// For each char, its offset from the run's start edge, and its width.
    pub positions: Vec<f32>,
    pub widths: Vec<f32>,
}

/// A word, a space or a mark: shaped alone, never across a change of direction.
struct Atom {
    chars: Range<usize>,
    rtl: bool,
    space: bool,
    galley: Arc<Galley>,
    /// Each char's grapheme's edges, from the atom's left edge.
    ext: Vec<(f32, f32)>,
    width: f32,
}

/// Lays out `text` (one piece, without newlines) with paragraph direction `rtl`.
pub(super) fn lay_out(
    text: &str,
    rtl: bool,
    f: &Format,
    layout: &mut dyn FnMut(LayoutJob) -> Arc<Galley>,
) -> PieceLayout {
    // Arabic-Indic or Persian digits in a left-to-right line need the bidi path too: harfrust
    // shapes a run of Arabic-script digits right to left, so "١٤٠٢" came out as "٢٠٤١".
    let plain = !rtl
        && !bidi::needs_reordering(text)
        && !text
            .chars()
            .any(|c| u32::from(c) >= 0x0590 && in_right_to_left_script(c));
    if plain {
        return PieceLayout::Plain(layout(f.job(text.to_owned(), true)));
    }
    PieceLayout::Bidi(BidiLayout::new(text, rtl, f, layout))
}

impl PieceLayout {
    /// The room the piece takes.
    pub fn size(&self) -> Vec2 {
        match self {
            PieceLayout::Plain(g) => g.size(),
            PieceLayout::Bidi(b) => b.size,
        }
    }

    /// The char range `[a, b)` of each row.
    pub fn rows(&self) -> Vec<(usize, usize)> {
        match self {
            PieceLayout::Plain(g) => {
                let mut out = Vec::with_capacity(g.rows.len());
                let mut c = 0usize;
                for row in &g.rows {
                    let n = row.char_count_including_newline().0;
                    out.push((c, c + n));
                    c += n;
                }
                out
            }
            PieceLayout::Bidi(b) => b
                .rows
                .iter()
                .map(|r| (r.chars.start, r.chars.end))
                .collect(),
        }
    }

    /// The boxes covering chars `[a, b)`, each with its row's rect: one a row, or several on a
    /// row where the range crosses a change of direction.
    pub fn boxes(&self, a: usize, b: usize) -> Vec<(Rect, Rect)> {
        let mut out = Vec::new();
        if a >= b {
            return out;
        }
        match self {
            PieceLayout::Plain(g) => {
                let mut c = 0usize;
                for row in &g.rows {
                    let n = row.char_count_including_newline().0;
                    let (rs, re) = (c, c + n);
                    c += n;
                    if re <= a || rs >= b {
                        continue;
                    }
                    let ca = a.max(rs) - rs;
                    let cb = b.min(re) - rs;
                    let x0 = row.pos.x + row.row.x_offset(CharIndex(ca));
                    let x1 = row.pos.x + row.row.x_offset(CharIndex(cb));
                    if x1 <= x0 {
                        continue;
                    }
                    let rr = row.rect();
                    out.push((
                        Rect::from_min_max(pos2(x0, rr.top()), pos2(x1, rr.bottom())),
                        rr,
                    ));
                }
            }
            PieceLayout::Bidi(l) => {
                for row in &l.rows {
                    let (rs, re) = (row.chars.start, row.chars.end);
                    if re <= a || rs >= b {
                        continue;
                    }
                    let mut xs: Vec<(f32, f32)> = (a.max(rs)..b.min(re))
                        .map(|c| row.ext[c - rs])
                        .filter(|(x0, x1, _)| x1 > x0)
                        .map(|(x0, x1, _)| (x0, x1))
                        .collect();
                    xs.sort_by(|p, q| p.0.total_cmp(&q.0));
                    let mut merged: Vec<(f32, f32)> = Vec::new();
                    for (x0, x1) in xs {
                        match merged.last_mut() {
                            Some(last) if x0 <= last.1 + 0.5 => last.1 = last.1.max(x1),
                            _ => merged.push((x0, x1)),
                        }
                    }
                    let rr = row.rect;
                    for (x0, x1) in merged {
                        out.push((
                            Rect::from_min_max(pos2(x0, rr.top()), pos2(x1, rr.bottom())),
                            rr,
                        ));
                    }
                }
            }
        }
        out
    }

    /// Where the caret before char `c` stands: a zero-width rect a row high. A right-to-left
    /// char's caret is at its right edge. An offset where a row wraps is the end of the row
    /// before, or with `next_row` the start of the next.
    pub fn caret_rect(&self, c: usize, next_row: bool) -> Rect {
        match self {
            PieceLayout::Plain(g) => g.pos_from_cursor(CCursor {
                index: CharIndex(c),
                prefer_next_row: next_row,
            }),
            PieceLayout::Bidi(l) => {
                let Some(r) = l.row_for(c, next_row) else {
                    return Rect::from_min_size(Pos2::ZERO, vec2(0.0, l.size.y));
                };
                let row = &l.rows[r];
                let x = row.caret_x(c);
                Rect::from_x_y_ranges(x..=x, row.rect.y_range())
            }
        }
    }

    /// The char boundary nearest a point (in the piece's coordinates).
    pub fn index_at(&self, p: Vec2) -> usize {
        match self {
            PieceLayout::Plain(g) => g.cursor_from_pos(p).index.0,
            PieceLayout::Bidi(l) => {
                let h = l.rows.first().map_or(1.0, |r| r.rect.height().max(1.0));
                let r = ((p.y / h).floor().max(0.0) as usize).min(l.rows.len().saturating_sub(1));
                l.rows.get(r).map_or(0, |row| row.index_at(p.x))
            }
        }
    }

    /// The caret's next place to the right (or left) on its row as drawn, and its x; `None` at
    /// the row's end or in a piece laid out left to right. `near_x` picks among the places
    /// that share an offset (where two runs meet).
    pub fn visual_step(&self, c: usize, right: bool, near_x: Option<f32>) -> Option<(usize, f32)> {
        let PieceLayout::Bidi(l) = self else {
            return None;
        };
        let r = l.row_for(c, false)?;
        let row = &l.rows[r];
        let edges = row.edges();
        let near = near_x.unwrap_or_else(|| row.caret_x(c));
        let here = edges
            .iter()
            .enumerate()
            .filter(|(_, (_, o))| *o == c)
            .min_by(|p, q| (p.1.0 - near).abs().total_cmp(&(q.1.0 - near).abs()))
            .map(|(i, _)| i)?;
        let mut i = here;
        loop {
            i = if right { i + 1 } else { i.checked_sub(1)? };
            let (x, o) = *edges.get(i)?;
            if o != c {
                return Some((o, x));
            }
        }
    }

    /// The piece's text runs for a screen reader: each row, or on a row with right-to-left
    /// text each run of one direction, with each char's position and width from the run's
    /// start edge (its right edge when it reads right to left).
    pub fn text_runs(&self) -> Vec<TextRun> {
        let mut out = Vec::new();
        match self {
            PieceLayout::Plain(g) => {
                let mut c = 0usize;
                for row in &g.rows {
                    let n = row.char_count_including_newline().0;
                    let glyphs = &row.row.glyphs;
                    out.push(TextRun {
                        chars: c..c + glyphs.len(),
                        rect: row.rect(),
                        rtl: false,
                        positions: glyphs
                            .iter()
                            .map(|gl| gl.pos.x - glyphs.first().map_or(0.0, |f| f.pos.x))
                            .collect(),
                        widths: glyphs.iter().map(|gl| gl.advance_width).collect(),
                    });
                    c += n;
                }
            }
            PieceLayout::Bidi(l) => {
                for row in &l.rows {
                    let mut k = 0;
                    while k < row.ext.len() {
                        let rtl = row.ext[k].2;
                        let mut end = k;
                        while end < row.ext.len() && row.ext[end].2 == rtl {
                            end += 1;
                        }
                        let ext = &row.ext[k..end];
                        let left = ext.iter().map(|e| e.0).fold(f32::INFINITY, f32::min);
                        let right = ext.iter().map(|e| e.1).fold(f32::NEG_INFINITY, f32::max);
                        let mut positions = Vec::with_capacity(ext.len());
                        let mut widths = Vec::with_capacity(ext.len());
                        for (i, (x0, x1, _)) in ext.iter().enumerate() {
                            positions.push(if rtl { right - x1 } else { x0 - left });
                            // A grapheme's width goes to its first char.
                            widths.push(if row.starts[k + i] { x1 - x0 } else { 0.0 });
                        }
                        out.push(TextRun {
                            chars: row.chars.start + k..row.chars.start + end,
                            rect: Rect::from_x_y_ranges(left..=right, row.rect.y_range()),
                            rtl,
                            positions,
                            widths,
                        });
                        k = end;
                    }
                }
            }
        }
        out
    }

    /// The glyphs drawn on the row holding char `c`, left to right, each as the first char of
    /// the cluster it draws (what the window shows, in the order it shows it).
    pub fn drawn_row(&self, c: usize) -> String {
        let mut glyphs: Vec<(f32, char)> = Vec::new();
        match self {
            PieceLayout::Plain(g) => {
                let mut k = 0usize;
                for row in &g.rows {
                    let n = row.char_count_including_newline().0;
                    if (k..k + n.max(1)).contains(&c) {
                        glyphs.extend(
                            row.row
                                .glyphs
                                .iter()
                                .filter(|gl| gl.advance_width > 0.0)
                                .map(|gl| (row.pos.x + gl.pos.x, gl.chr)),
                        );
                    }
                    k += n;
                }
            }
            PieceLayout::Bidi(l) => {
                if let Some(r) = l.row_for(c, true) {
                    for (g, x) in &l.rows[r].placed {
                        for row in &g.rows {
                            glyphs.extend(
                                row.row
                                    .glyphs
                                    .iter()
                                    .filter(|gl| gl.advance_width > 0.0)
                                    .map(|gl| (x + row.pos.x + gl.pos.x, gl.chr)),
                            );
                        }
                    }
                }
            }
        }
        glyphs.sort_by(|a, b| a.0.total_cmp(&b.0));
        glyphs.into_iter().map(|(_, ch)| ch).collect()
    }

    /// Paints the piece with its top-left corner at `origin`.
    pub fn paint(&self, painter: &Painter, origin: Pos2, color: Color32) {
        match self {
            PieceLayout::Plain(g) => painter.galley(origin, Arc::clone(g), color),
            PieceLayout::Bidi(l) => {
                for row in &l.rows {
                    for (g, x) in &row.placed {
                        painter.galley(origin + vec2(*x, row.rect.top()), Arc::clone(g), color);
                    }
                }
            }
        }
    }
}

impl BidiLayout {
    fn new(
        text: &str,
        rtl: bool,
        f: &Format,
        layout: &mut dyn FnMut(LayoutJob) -> Arc<Galley>,
    ) -> Self {
        let para = bidi::Paragraph::new(text, rtl);
        let levels = para.rtl_chars();
        let chars: Vec<char> = text.chars().collect();
        let n = chars.len();
        let starts = grapheme_starts(text, n);

        let atoms: Vec<Atom> = atom_ranges(text, &starts, &levels)
            .into_iter()
            .map(|r| {
                let rtl = levels[r.start];
                Atom::new(&chars, &starts, r, rtl, f, layout)
            })
            .collect();

        // Rows: greedy, breaking after spaces; spaces hang past the edge.
        let mut lines: Vec<Range<usize>> = Vec::new();
        let (mut start, mut width, mut after_space) = (0usize, 0.0f32, None::<usize>);
        for (i, atom) in atoms.iter().enumerate() {
            if i > start && !atom.space && width + atom.width > f.wrap_width {
                let cut = after_space.filter(|o| *o > start && *o <= i).unwrap_or(i);
                lines.push(start..cut);
                start = cut;
                width = atoms[cut..i].iter().map(|a| a.width).sum();
                after_space = None;
            }
            width += atom.width;
            if atom.space {
                after_space = Some(i + 1);
            }
        }
        lines.push(start..atoms.len());

        let h = f.line_height;
        let mut rows = Vec::with_capacity(lines.len());
        let mut right = 0.0f32;
        for (r, line) in lines.iter().enumerate() {
            let cs = atoms.get(line.start).map_or(n, |a| a.chars.start);
            let ce = if line.is_empty() {
                cs
            } else {
                atoms[line.end - 1].chars.end
            };
            let total: f32 = atoms[line.clone()].iter().map(|a| a.width).sum();
            let x0 = if rtl { f.wrap_width - total } else { 0.0 };
            // Atoms in visual order: the row's runs left to right, a right-to-left run's
            // atoms last first.
            let mut order: Vec<usize> = Vec::with_capacity(line.len());
            for run in para.line_runs(cs..ce) {
                let mut inside: Vec<usize> = line
                    .clone()
                    .filter(|i| run.chars.contains(&atoms[*i].chars.start))
                    .collect();
                if run.rtl {
                    inside.reverse();
                }
                order.extend(inside);
            }
            for i in line.clone() {
                if !order.contains(&i) {
                    order.push(i);
                }
            }
            let mut x = x0;
            let mut placed = Vec::with_capacity(order.len());
            let mut ext = vec![(x0, x0, rtl); ce - cs];
            for i in order {
                let atom = &atoms[i];
                for (k, (a0, a1)) in atom.chars.clone().zip(&atom.ext) {
                    ext[k - cs] = (x + a0, x + a1, atom.rtl);
                }
                placed.push((Arc::clone(&atom.galley), x));
                x += atom.width;
            }
            right = right.max(x);
            rows.push(BidiRow {
                chars: cs..ce,
                rect: Rect::from_min_max(pos2(x0, r as f32 * h), pos2(x, (r + 1) as f32 * h)),
                placed,
                ext,
                starts: starts[cs..ce].to_vec(),
            });
        }
        let width = if rtl { f.wrap_width } else { right };
        Self {
            size: vec2(width, rows.len() as f32 * h),
            rows,
        }
    }

    /// The row holding char `c` (see [`PieceLayout::caret_rect`] for a row's end).
    fn row_for(&self, c: usize, next_row: bool) -> Option<usize> {
        let last = self.rows.len().checked_sub(1)?;
        for (r, row) in self.rows.iter().enumerate() {
            if c < row.chars.end || (c == row.chars.end && (r == last || !next_row)) {
                return Some(r);
            }
        }
        Some(last)
    }
}

impl BidiRow {
    /// The x of the caret before char `c` of this row (or after its last char).
    fn caret_x(&self, c: usize) -> f32 {
        let (cs, ce) = (self.chars.start, self.chars.end);
        if c < ce && c >= cs {
            let (x0, x1, rtl) = self.ext[c - cs];
            if rtl { x1 } else { x0 }
        } else if ce > cs {
            let (x0, x1, rtl) = self.ext[ce - 1 - cs];
            if rtl { x0 } else { x1 }
        } else {
            self.rect.left()
        }
    }

    /// The grapheme of the row around char `k` (a row offset).
    fn grapheme(&self, k: usize) -> Range<usize> {
        let mut a = k;
        while a > 0 && !self.starts[a] {
            a -= 1;
        }
        let mut b = k + 1;
        while b < self.starts.len() && !self.starts[b] {
            b += 1;
        }
        a..b
    }

    /// The char boundary nearest `x` on this row.
    fn index_at(&self, x: f32) -> usize {
        let cs = self.chars.start;
        if self.ext.is_empty() {
            return cs;
        }
        let inside = self
            .ext
            .iter()
            .position(|(x0, x1, _)| *x0 <= x && x < *x1 && x1 > x0);
        let k = inside.unwrap_or_else(|| {
            // Past either end: the char drawn nearest that end.
            let key = |i: usize| {
                let (x0, x1, _) = self.ext[i];
                if x < self.rect.center().x { x0 } else { -x1 }
            };
            (0..self.ext.len())
                .min_by(|a, b| key(*a).total_cmp(&key(*b)))
                .unwrap_or(0)
        });
        let g = self.grapheme(k);
        let (x0, x1, rtl) = self.ext[k];
        let left_half = x < (x0 + x1) / 2.0;
        // The caret goes to the edge of the grapheme nearer the point: its start is on the
        // left when it reads left to right, on the right when it reads right to left.
        let at_start = left_half != rtl;
        cs + if at_start { g.start } else { g.end }
    }

    /// Every place the caret can stand on the row, left to right: each grapheme's two edges
    /// with the offset that edge stands for.
    fn edges(&self) -> Vec<(f32, usize)> {
        let cs = self.chars.start;
        let mut out = Vec::new();
        let mut k = 0;
        while k < self.ext.len() {
            let g = self.grapheme(k);
            let (x0, x1, rtl) = self.ext[k];
            let (start, end) = (cs + g.start, cs + g.end);
            out.push((x0, if rtl { end } else { start }));
            out.push((x1, if rtl { start } else { end }));
            k = g.end;
        }
        out.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)));
        out.dedup_by(|p, q| p.1 == q.1 && (p.0 - q.0).abs() < 0.5);
        out
    }
}

impl Atom {
    fn new(
        chars: &[char],
        starts: &[bool],
        range: Range<usize>,
        rtl: bool,
        f: &Format,
        layout: &mut dyn FnMut(LayoutJob) -> Arc<Galley>,
    ) -> Self {
        let own = &chars[range.clone()];
        let space = own.iter().all(|c| c.is_whitespace());
        let strong = own.iter().any(|c| bidi::is_strong_rtl(*c));
        // A bracket in a right-to-left run is drawn as its mirror (UAX #9, rule L4).
        let shown: String = if rtl && !strong {
            own.iter().map(|c| bidi::mirrored(*c)).collect()
        } else {
            own.iter().collect()
        };
        let galley = layout(f.job(shown, false));
        let graphemes = grapheme_ranges(&starts[range.clone()]);
        let (ext, width) = if rtl && strong {
            rtl_extents(own, &graphemes, &galley)
        } else {
            let (mut ext, width) = ltr_extents(own.len(), &graphemes, &galley);
            if rtl {
                // A mark or a space alone: its graphemes run from the right.
                for e in &mut ext {
                    *e = (width - e.1, width - e.0);
                }
            }
            (ext, width)
        };
        Atom {
            chars: range,
            rtl,
            space,
            galley,
            ext,
            width,
        }
    }
}

/// The grapheme ranges of an atom from its grapheme starts.
fn grapheme_ranges(starts: &[bool]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for (k, s) in starts.iter().enumerate() {
        match out.last_mut() {
            Some(last) if !s => last.end = k + 1,
            _ => out.push(k..k + 1),
        }
    }
    out
}

/// Each char's grapheme edges in a left-to-right galley (one glyph a char), and its width.
fn ltr_extents(n: usize, graphemes: &[Range<usize>], g: &Galley) -> (Vec<(f32, f32)>, f32) {
    let Some(row) = g.rows.first() else {
        return (vec![(0.0, 0.0); n], 0.0);
    };
    let x = |k: usize| row.pos.x + row.row.x_offset(CharIndex(k));
    let mut ext = vec![(0.0, 0.0); n];
    for gr in graphemes {
        let e = (x(gr.start), x(gr.end));
        for k in gr.clone() {
            ext[k] = e;
        }
    }
    (ext, x(n).max(g.size().x))
}

/// Each char's grapheme edges in a galley that harfrust shaped right to left, and its width.
///
/// egui keeps the shaper's glyphs in visual order, each naming the first char of its cluster
/// (the clusters run from the last char to the first), and adds zero-width glyphs after them.
/// Walking the glyphs left to right, each glyph with an advance is matched to the nearest
/// earlier char it names; a cluster spans from that char to the one matched before it, and a
/// cluster of several graphemes (a ligature) is shared out evenly.
fn rtl_extents(chars: &[char], graphemes: &[Range<usize>], g: &Galley) -> (Vec<(f32, f32)>, f32) {
    let n = chars.len();
    let glyphs: Vec<(char, f32)> = g
        .rows
        .iter()
        .flat_map(|r| r.row.glyphs.iter().map(|gl| (gl.chr, gl.advance_width)))
        .collect();
    let width: f32 = glyphs
        .iter()
        .map(|(_, a)| a.max(0.0))
        .sum::<f32>()
        .max(g.size().x);
    // Clusters left to right: (first char, left x, right x).
    let mut clusters: Vec<(usize, f32, f32)> = Vec::new();
    let mut pos = n;
    let mut x = 0.0f32;
    for (chr, adv) in glyphs {
        if adv <= 0.0 {
            continue;
        }
        match (0..pos).rev().find(|k| chars[*k] == chr) {
            Some(k) => {
                clusters.push((k, x, x + adv));
                pos = k;
            }
            None => {
                if let Some(last) = clusters.last_mut() {
                    last.2 = x + adv;
                }
            }
        }
        x += adv;
    }
    let mut ext = vec![(0.0, 0.0); n];
    if clusters.is_empty() || pos != 0 {
        // Not understood: share the width out evenly, the first grapheme on the right.
        let each = width / graphemes.len().max(1) as f32;
        for (i, gr) in graphemes.iter().enumerate() {
            let right = width - i as f32 * each;
            for k in gr.clone() {
                ext[k] = (right - each, right);
            }
        }
        return (ext, width);
    }
    let mut end = n;
    for (first, x0, x1) in clusters {
        let inside: Vec<&Range<usize>> = graphemes
            .iter()
            .filter(|gr| gr.start >= first && gr.start < end)
            .collect();
        let each = (x1 - x0) / inside.len().max(1) as f32;
        for (i, gr) in inside.iter().enumerate() {
            let right = x1 - i as f32 * each;
            for e in &mut ext[gr.start..gr.end.min(end)] {
                *e = (right - each, right);
            }
        }
        // A cluster that starts inside a grapheme gives the whole grapheme its place.
        end = first;
    }
    (ext, width)
}

/// Whether `c` belongs to a script block harfrust shapes right to left (Hebrew, Arabic,
/// Syriac, Thaana, N'Ko and their presentation forms), whatever its bidi class.
fn in_right_to_left_script(c: char) -> bool {
    matches!(u32::from(c), 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of a label's job, section by section, left to right.
    fn drawn_words(text: &str) -> Vec<String> {
        let job = visual_line_job(text, FontId::proportional(13.0), Color32::WHITE);
        let mut words: Vec<String> = Vec::new();
        let mut glue = false;
        for s in &job.sections {
            let piece = &job.text[usize::from(s.byte_range.start)..usize::from(s.byte_range.end)];
            if piece.chars().all(char::is_alphanumeric) {
                // Digits shaped one at a time are glued back into their number.
                let digit = piece.chars().all(|c| c.is_numeric());
                match words.last_mut() {
                    Some(last) if glue && digit => last.push_str(piece),
                    _ => words.push(piece.to_owned()),
                }
                glue = digit;
            } else {
                glue = false;
            }
        }
        words
    }

    #[test]
    fn a_label_with_right_to_left_words_and_digits_is_in_visual_order() {
        // Each word stands where the bidi algorithm puts it; the Persian year's digits keep
        // their order (harfrust alone shaped "۱۴۰۲" as "۲۰۴۱").
        assert_eq!(drawn_words("claim · ۱۴۰۲ سال"), ["claim", "۱۴۰۲", "سال"]);
        assert_eq!(
            drawn_words("quote · ראש הממשלה אמר"),
            ["quote", "אמר", "הממשלה", "ראש"]
        );
        // In a left-to-right line a Latin name between Arabic words splits them into two runs.
        assert_eq!(
            drawn_words("error · الصادر يوم Reuters لتقرير"),
            ["error", "يوم", "الصادر", "Reuters", "لتقرير"]
        );
        // A line that starts in Arabic reads right to left: its first word is drawn last.
        assert_eq!(
            drawn_words("سال ۱۴۰۲ در تهران (BBC)"),
            ["BBC", "تهران", "در", "۱۴۰۲", "سال"]
        );
        // A left-to-right label is one section, as before.
        let job = visual_line_job("quote · Macron", FontId::proportional(13.0), Color32::WHITE);
        assert_eq!(job.sections.len(), 1);
    }
}
