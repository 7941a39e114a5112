//! The centre text view: a virtualized, per-paragraph view of one text with its spans painted
//! behind the words.
//!
//! The text is cut once into pieces (paragraphs, and long paragraphs again at sentence ends), each
//! laid out once and cached (see `layout.rs`: an egui galley, or rows in visual order for right-to-left text). A Fenwick tree of piece heights (estimated until a
//! piece is first laid out) maps scroll positions to pieces in O(log n), so a frame lays out and
//! paints only what is on screen. Highlights are shapes found through the [`SpanIndex`]; adding a
//! span never invalidates a layout.

use std::collections::HashMap;
use std::sync::Arc;

use egui::{Color32, CornerRadius, Id, Pos2, Rect, Sense, Stroke, Ui, pos2, vec2};

use crate::model::bidi::Direction;
use crate::model::layer::Span;
use crate::model::range::CharRange;
use crate::model::span_index::{LiveSpanIndex, SpanIndex};
use crate::model::tags::TagSet;
use crate::model::text::Text;

use super::Command;
use super::commands::CaretMove;
use super::theme;

mod edges;
mod layout;

use layout::PieceLayout;
pub use layout::visual_line_job;

/// Pieces longer than this (in chars) are cut at a sentence end.
const SOFT_PIECE_CHARS: usize = 1200;
/// No piece is longer than this; past it a piece is cut at whitespace or a grapheme boundary.
const MAX_PIECE_CHARS: usize = 3000;
/// How many galleys are kept before the ones not used recently are dropped.
const GALLEY_CACHE_LIMIT: usize = 600;
/// Lanes of underline bars under a line; deeper nesting shares the last lane.
const LANES: usize = 3;

/// A run of text laid out as one galley: a paragraph, or part of a long one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// First char.
    pub start: usize,
    /// One past the last char shown (a line's `\r\n` or `\n` is not part of it).
    pub end: usize,
    /// Whether a paragraph gap follows (false for the inner cuts of a long paragraph).
    pub ends_paragraph: bool,
}

/// Cuts a text into pieces: at every `\n`, and long paragraphs again at sentence ends so that no
/// galley grows unbounded. O(text), done once per opened text.
pub fn split_pieces(text: &Text) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut c = 0usize;
    for line in text.as_str().split('\n') {
        let n = line.chars().count();
        let shown = if line.ends_with('\r') { n - 1 } else { n };
        split_line(text, line, c, c + shown, &mut out);
        c += n + 1;
    }
    out
}

fn split_line(text: &Text, line: &str, start: usize, end: usize, out: &mut Vec<Piece>) {
    if end - start <= SOFT_PIECE_CHARS {
        out.push(Piece {
            start,
            end,
            ends_paragraph: true,
        });
        return;
    }
    let mut piece_start = start;
    let mut last_space: Option<usize> = None;
    let mut prev: Option<char> = None;
    let mut prev2: Option<char> = None;
    // The word before the current char, up to 8 chars (enough to know an abbreviation).
    let mut word = String::new();
    for (i, ch) in line.chars().enumerate() {
        let c = start + i;
        if c >= end {
            break;
        }
        let len = c - piece_start;
        if ch.is_whitespace() {
            last_space = Some(c + 1);
            // A sentence end: ". " / "? " / "! " (or after a closing quote), not after "Mr."
            // or an initial.
            let sentence_end = (matches!(prev, Some('.' | '!' | '?'))
                || (matches!(prev, Some('"' | '”' | '’' | ')'))
                    && matches!(prev2, Some('.' | '!' | '?'))))
                && !is_abbreviation(&word);
            word.clear();
            if sentence_end && len >= SOFT_PIECE_CHARS && end - (c + 1) > 0 {
                out.push(Piece {
                    start: piece_start,
                    end: c + 1,
                    ends_paragraph: false,
                });
                piece_start = c + 1;
                last_space = None;
            }
        } else if len >= MAX_PIECE_CHARS {
            let cut = match last_space {
                Some(s) if s > piece_start => s,
                _ => {
                    let g = text.snap_to_graphemes(c, c + 1).start;
                    if g > piece_start { g } else { c }
                }
            };
            out.push(Piece {
                start: piece_start,
                end: cut,
                ends_paragraph: false,
            });
            piece_start = cut;
            last_space = None;
        }
        if !ch.is_whitespace() && word.len() < 16 {
            word.push(ch);
        }
        prev2 = prev;
        prev = Some(ch);
    }
    out.push(Piece {
        start: piece_start,
        end,
        ends_paragraph: true,
    });
}

/// Whether `word` (with its full stop) is a title, a month or an initial, after which a full
/// stop does not end the sentence: "Mr.", "Feb.", "J.", "U.S.".
fn is_abbreviation(word: &str) -> bool {
    let w = word.trim_start_matches(['"', '“', '‘', '(', '\'']);
    let Some(stem) = w.strip_suffix('.') else {
        return false;
    };
    const SHORT: &[&str] = &[
        "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "Gen", "Gov", "Sen", "Rep", "Col", "Lt",
        "Capt", "Sgt", "Rev", "Hon", "Inc", "Ltd", "Co", "Corp", "vs", "etc", "No", "Jan", "Feb",
        "Mar", "Apr", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "e.g", "i.e",
    ];
    // An initial or an abbreviation with inner stops: "J", "U.S", "D.C".
    let initials = stem
        .split('.')
        .all(|part| part.chars().count() == 1 && part.chars().all(char::is_uppercase));
    SHORT.contains(&stem) || initials
}

/// Piece heights with prefix sums in O(log n) (a Fenwick tree).
#[derive(Debug, Default)]
struct Heights {
    tree: Vec<f64>,
    values: Vec<f32>,
    measured: Vec<bool>,
}

impl Heights {
    fn new(values: Vec<f32>) -> Self {
        let n = values.len();
        let mut tree = vec![0.0f64; n + 1];
        for (i, v) in values.iter().enumerate() {
            tree[i + 1] += f64::from(*v);
            let parent = (i + 1) + ((i + 1) & (!(i + 1) + 1));
            if parent <= n {
                let t = tree[i + 1];
                tree[parent] += t;
            }
        }
        Self {
            tree,
            measured: vec![false; n],
            values,
        }
    }

    fn len(&self) -> usize {
        self.values.len()
    }

    fn set(&mut self, i: usize, h: f32) {
        let delta = f64::from(h) - f64::from(self.values[i]);
        self.values[i] = h;
        self.measured[i] = true;
        if delta == 0.0 {
            return;
        }
        let mut k = i + 1;
        while k < self.tree.len() {
            self.tree[k] += delta;
            k += k & (!k + 1);
        }
    }

    /// Sum of the heights of pieces `[0, i)`.
    fn prefix(&self, i: usize) -> f32 {
        let mut k = i.min(self.len());
        let mut s = 0.0;
        while k > 0 {
            s += self.tree[k];
            k &= k - 1;
        }
        s as f32
    }

    fn total(&self) -> f32 {
        self.prefix(self.len())
    }

    /// The piece at height `y` (the last piece whose top is <= y).
    fn find(&self, y: f32) -> usize {
        let n = self.len();
        if n == 0 {
            return 0;
        }
        let mut pos = 0usize;
        let mut rem = f64::from(y.max(0.0));
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next] <= rem {
                pos = next;
                rem -= self.tree[next];
            }
            step >>= 1;
        }
        pos.min(n - 1)
    }
}

/// What invalidates every layout: width, text size, colours.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LayoutKey {
    wrap_width: f32,
    font_size: f32,
    text_color: Color32,
    pixels_per_point: f32,
}

/// A selection of text as dragged: the anchor stays, the head moves. Offsets in chars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub anchor: usize,
    pub head: usize,
}

impl Selection {
    /// The selected range, ordered.
    pub fn range(self) -> (usize, usize) {
        (self.anchor.min(self.head), self.anchor.max(self.head))
    }
}

/// What the app passes in each frame. The view paints what it is given (marks, badges,
/// outlines) and knows nothing of the modes that give it.
pub struct ViewInput<'a> {
    pub text: &'a Text,
    pub spans: &'a [Span],
    /// An index over `spans`, answering with positions into it.
    pub index: &'a dyn SpanLookup,
    pub tags: &'a TagSet,
    pub selected_span: Option<u64>,
    pub font_size: f32,
    /// Shown to assistive technology and tests as the view's label.
    pub name: &'a str,
    /// Review mode: how each span (parallel to `spans`) is drawn; `None` for plain spans.
    pub marks: Option<&'a [ReviewMark]>,
    /// Verdicts by span id, shown in the hover tooltip.
    pub badges: Option<&'a HashMap<u64, Badge>>,
    /// Spans whose place re-anchoring could not be sure of get a dashed outline in this colour
    /// (`None`: no outlines).
    pub uncertain: Option<Color32>,
    /// Find hits (char ranges, sorted by start), painted with a look of their own.
    pub hits: &'a [CharRange],
    /// The hit the find bar is at, painted stronger.
    pub current_hit: Option<CharRange>,
    /// Proposed spans, drawn as dashed outlines, never filled (`None`: none).
    pub suggestions: Option<&'a SuggestionMarks>,
    /// The position in `suggestions` of the focused one, drawn with a thicker outline.
    pub focused_suggestion: Option<usize>,
    /// The layer's relations: the hover card names those of the spans under the pointer.
    pub relations: &'a [crate::model::relation::Relation],
}

impl<'a> ViewInput<'a> {
    /// Spans as they are, nothing selected: no review marks, badges, outlines, find hits or
    /// suggestions. Callers add what their mode shows with `ViewInput { .., ..plain(..) }`.
    pub fn plain(
        text: &'a Text,
        spans: &'a [Span],
        index: &'a dyn SpanLookup,
        tags: &'a TagSet,
        font_size: f32,
        name: &'a str,
    ) -> Self {
        Self {
            text,
            spans,
            index,
            tags,
            selected_span: None,
            font_size,
            name,
            marks: None,
            badges: None,
            uncertain: None,
            hits: &[],
            current_hit: None,
            suggestions: None,
            focused_suggestion: None,
            relations: &[],
        }
    }
}

/// A proposed span as the view draws it: a range and the colour of its tag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SuggestionMark {
    pub start: usize,
    pub end: usize,
    pub color: Color32,
    /// The suggestion's score in [0, 1]: the outline is stronger the higher it is.
    pub score: f32,
}

/// The proposed spans of a document, sorted by range, with an index so that a frame visits
/// only those overlapping the paragraphs on screen (a 10 MB text has tens of thousands).
#[derive(Debug, Default)]
pub struct SuggestionMarks {
    marks: Vec<SuggestionMark>,
    index: SpanIndex,
}

impl SuggestionMarks {
    /// `marks` sorted by range.
    pub fn new(marks: Vec<SuggestionMark>) -> Self {
        let index = Self::index_of(&marks);
        Self { marks, index }
    }

    fn index_of(marks: &[SuggestionMark]) -> SpanIndex {
        SpanIndex::from_ranges(marks.iter().map(|m| CharRange {
            start: m.start,
            end: m.end,
        }))
    }

    pub fn as_slice(&self) -> &[SuggestionMark] {
        &self.marks
    }

    /// Applies `edits` in order, `(at, Some(mark))` inserting `mark` at position `at` and
    /// `(at, None)` removing the one there, then indexes the marks again once (O(n log n) a
    /// batch of edits, not a mark).
    pub fn edit(&mut self, edits: impl IntoIterator<Item = (usize, Option<SuggestionMark>)>) {
        for (at, add) in edits {
            match add {
                Some(m) => self.marks.insert(at, m),
                None => {
                    if at < self.marks.len() {
                        self.marks.remove(at);
                    }
                }
            }
        }
        self.index = Self::index_of(&self.marks);
    }

    /// Calls `f` with the position of each mark overlapping chars `[a, b)`, in range order.
    fn visit(&self, a: usize, b: usize, f: impl FnMut(usize)) {
        self.index.visit_overlapping(a, b, f);
    }
}

/// Which spans overlap a range, as positions into [`ViewInput::spans`].
pub trait SpanLookup {
    /// Calls `f` with the position of each span overlapping `[a, b)`, in (start, end) order.
    fn visit(&self, a: usize, b: usize, f: &mut dyn FnMut(usize));
}

impl SpanLookup for SpanIndex {
    fn visit(&self, a: usize, b: usize, f: &mut dyn FnMut(usize)) {
        self.visit_overlapping(a, b, f);
    }
}

/// Positions are ranks: the index must hold exactly the spans of the slice, which is sorted by
/// (start, end, id) as a layer's spans are.
impl SpanLookup for LiveSpanIndex {
    fn visit(&self, a: usize, b: usize, f: &mut dyn FnMut(usize)) {
        self.visit_overlapping(a, b, |h| f(h.rank));
    }
}

/// A verdict on a span as the hover tooltip shows it: a sentence in a colour.
#[derive(Debug, Clone, PartialEq)]
pub struct Badge {
    pub text: String,
    pub tone: theme::Tone,
}

/// How review mode draws one span: A's spans fill the upper half of the line, B's the lower
/// half, agreed items the whole line; conflicts get an outline, decided items fade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewMark {
    /// 0 = A, 1 = B, 2 = both (an agreed item).
    pub side: u8,
    pub conflict: bool,
    pub decided: bool,
}

/// The view of one open text.
pub struct TextView {
    pieces: Vec<Piece>,
    heights: Heights,
    galleys: HashMap<usize, (Arc<PieceLayout>, u64)>,
    key: Option<LayoutKey>,
    frame: u64,
    selection: Option<Selection>,
    /// Where the current drag started, in chars.
    drag_anchor: Option<usize>,
    /// An end of the selected span being dragged (see `edges.rs`).
    edge_drag: Option<edges::EdgeDrag>,
    /// A char to bring into view; kept for a few frames until the scroll position settles.
    scroll_target: Option<(usize, u8)>,
    /// Screen origins of the pieces painted last frame, for hit-testing and tests.
    painted: Vec<(usize, Pos2)>,
    last_offset: f32,
    /// When and where the last single click landed, for double-clicks.
    last_click: Option<(f64, usize)>,
    /// How many galleys were laid out in the last frame (for tests and stats).
    pub laid_out_last_frame: usize,
    /// Not shown yet: the first frame starts at the top, whatever scroll position egui
    /// remembers (from another document, or from a previous run).
    fresh: bool,
    /// The keyboard's place in the text (a char boundary): a click puts it there, the caret
    /// keys move it, and Shift with them selects from it.
    caret: Option<usize>,
    /// The part of the screen the text was shown in last frame.
    shown: Rect,
    /// Where the caret stood after the last move by arrow on a row with right-to-left text:
    /// its offset and x in its piece, for an offset drawn in two places (where runs meet).
    caret_x: Option<(usize, f32)>,
    /// How paragraphs are set: each by its first letter, or all one way.
    direction: Direction,
}

impl TextView {
    /// A view of `text`.
    pub fn new(text: &Text) -> Self {
        let pieces = split_pieces(text);
        let heights = Heights::new(vec![20.0; pieces.len()]);
        Self {
            pieces,
            heights,
            galleys: HashMap::new(),
            key: None,
            frame: 0,
            selection: None,
            drag_anchor: None,
            edge_drag: None,
            scroll_target: None,
            painted: Vec::new(),
            last_offset: 0.0,
            last_click: None,
            laid_out_last_frame: 0,
            fresh: true,
            caret: None,
            shown: Rect::NOTHING,
            caret_x: None,
            direction: Direction::Auto,
        }
    }

    /// The pieces the text is cut into.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// The current selection, if any.
    pub fn selection(&self) -> Option<Selection> {
        self.selection
    }

    /// The selected range, if it is not empty.
    pub fn selected_range(&self) -> Option<(usize, usize)> {
        self.selection.map(Selection::range).filter(|(a, b)| a < b)
    }

    /// Replaces the selection with an exact range (a find hit, a place asked for).
    pub fn set_selection(&mut self, sel: Option<Selection>) {
        self.selection = sel;
        if let Some(sel) = sel {
            self.caret = Some(sel.head);
        }
    }

    /// The caret, if the text has one.
    pub fn caret(&self) -> Option<usize> {
        self.caret
    }

    /// Moves the caret (with `extend`, the selection's head: the selection starts at the caret
    /// if there is none). Left and right go by grapheme, the word moves to word starts and
    /// ends; up, down, Home, End and the page keys go by the rows as drawn last frame.
    pub fn move_caret(&mut self, text: &Text, to: CaretMove, extend: bool) {
        let from = match (self.selection, self.caret) {
            (Some(sel), _) if extend => sel.head,
            (_, Some(c)) => c,
            (Some(sel), None) => sel.head,
            (None, None) => self.first_shown_char(),
        };
        let len = text.char_len();
        // In a right-to-left paragraph, left goes forward in the text.
        let rtl = !self.pieces.is_empty() && self.piece_is_rtl(text, self.piece_of(from));
        let mut visual_x = None;
        let target = match to {
            CaretMove::Left | CaretMove::Right => {
                let right = to == CaretMove::Right;
                match self.visual_step(from, right) {
                    Some((c, x)) => {
                        visual_x = Some((c, x));
                        c
                    }
                    None if right != rtl => text.next_grapheme(from),
                    None => text.prev_grapheme(from),
                }
            }
            CaretMove::WordLeft | CaretMove::WordRight => {
                if (to == CaretMove::WordRight) != rtl {
                    text.next_word_end(from)
                } else {
                    text.prev_word_start(from)
                }
            }
            CaretMove::DocStart => 0,
            CaretMove::DocEnd => len,
            CaretMove::LineStart | CaretMove::LineEnd => self.row_of(text, from).map_or(
                from,
                |(a, b)| if to == CaretMove::LineStart { a } else { b },
            ),
            CaretMove::Up | CaretMove::Down | CaretMove::PageUp | CaretMove::PageDown => {
                let dy = match to {
                    CaretMove::Up => -self.row_height(),
                    CaretMove::Down => self.row_height(),
                    CaretMove::PageUp => -(self.shown.height() - self.row_height()).max(40.0),
                    _ => (self.shown.height() - self.row_height()).max(40.0),
                };
                self.char_below(from, dy).unwrap_or(from)
            }
        }
        .min(len);
        if extend {
            let anchor = match self.selection {
                Some(sel) => sel.anchor,
                None => from,
            };
            self.selection = (anchor != target).then_some(Selection {
                anchor,
                head: target,
            });
        } else {
            self.selection = None;
        }
        self.caret = Some(target);
        self.caret_x = visual_x;
        if !self.is_in_view(target) {
            self.scroll_to_char(target);
        }
    }

    /// The caret's next place to the right (or left) on a row with right-to-left text, as
    /// drawn last frame, and its x in its piece; `None` on a left-to-right row or at a row's end.
    fn visual_step(&self, from: usize, right: bool) -> Option<(usize, f32)> {
        let i = self.piece_of(from);
        let p = *self.pieces.get(i)?;
        let (g, _) = self.galleys.get(&i)?;
        let near = self.caret_x.filter(|(c, _)| *c == from).map(|(_, x)| x);
        let (o, x) = g.visual_step(from - p.start, right, near)?;
        Some((p.start + o, x))
    }

    /// The first char of the text shown last frame (0 before any).
    fn first_shown_char(&self) -> usize {
        self.painted
            .iter()
            .find(|(_, origin)| origin.y >= self.shown.top() - 1.0)
            .or(self.painted.first())
            .map_or(0, |(i, _)| self.pieces[*i].start)
    }

    /// Whether char `c` was drawn inside the shown part of the screen last frame.
    fn is_in_view(&self, c: usize) -> bool {
        self.caret_pos(c)
            .is_some_and(|p| self.shown.y_range().contains(p.y))
    }

    /// The row (as drawn) holding char `c`: its first char and the char after its last
    /// (before a newline that ends it).
    fn row_of(&self, text: &Text, c: usize) -> Option<(usize, usize)> {
        let i = self.piece_of(c);
        let p = *self.pieces.get(i)?;
        let (g, _) = self.galleys.get(&i)?;
        let rows = g.rows();
        let at = c - p.start;
        let (a, b) = rows
            .iter()
            .copied()
            .find(|(a, b)| (*a..*b).contains(&at))
            .or(rows.last().copied())?;
        // A row's end: after its last char, or before the space the row was wrapped at.
        let slice: Vec<char> = text.slice(p.start + a, p.start + b).chars().collect();
        let trailing = slice
            .iter()
            .rev()
            .take_while(|ch| ch.is_whitespace())
            .count();
        let end = if b == p.end - p.start {
            b
        } else {
            b - trailing.min(b - a)
        };
        Some((p.start + a, p.start + end.max(a)))
    }

    /// The char `dy` points below char `c` as drawn last frame, at the same x.
    fn char_below(&self, c: usize, dy: f32) -> Option<usize> {
        let at = self.caret_pos(c)?;
        self.char_at(at + vec2(0.0, dy))
    }

    /// Whether a scroll to a char is still settling (see [`Self::scroll_to_char`]).
    pub fn is_scrolling(&self) -> bool {
        self.scroll_target.is_some()
    }

    /// The height of one line of text, as last drawn.
    pub fn row_height(&self) -> f32 {
        line_height(self.key.as_ref().map_or(16.0, |k| k.font_size))
    }

    /// Scrolls so that char `c` is in view (exactly, once the layout above it settles).
    pub fn scroll_to_char(&mut self, c: usize) {
        self.scroll_target = Some((c, 6));
    }

    /// Where char `c` was painted last frame (the left edge, vertically centred), if it was.
    /// An offset where a row wraps is the end of the row before, as a span that ends there.
    pub fn screen_pos_of_char(&self, c: usize) -> Option<Pos2> {
        self.screen_pos(c, false)
    }

    /// The boxes chars `[a, b)` were painted in last frame: on each row drawn, one box, or
    /// several where the range crosses a change of direction.
    pub fn screen_rects_of(&self, a: usize, b: usize) -> Vec<Rect> {
        let mut out = Vec::new();
        for (i, origin) in &self.painted {
            let p = self.pieces[*i];
            if b <= p.start || a >= p.end {
                continue;
            }
            if let Some((g, _)) = self.galleys.get(i) {
                let (ca, cb) = (a.max(p.start) - p.start, b.min(p.end) - p.start);
                out.extend(
                    g.boxes(ca, cb)
                        .into_iter()
                        .map(|(r, _)| r.translate(origin.to_vec2())),
                );
            }
        }
        out
    }

    /// The chars of the pieces painted last frame, `[first, last)`; `None` if none was.
    pub fn painted_range(&self) -> Option<(usize, usize)> {
        let lo = self
            .painted
            .iter()
            .map(|(i, _)| self.pieces[*i].start)
            .min()?;
        let hi = self
            .painted
            .iter()
            .map(|(i, _)| self.pieces[*i].end)
            .max()?;
        Some((lo, hi))
    }

    /// The glyphs drawn last frame on the row holding char `c`, left to right (see
    /// `PieceLayout::drawn_row`); `None` when that row was not drawn.
    pub fn drawn_row(&self, c: usize) -> Option<String> {
        let i = self.piece_of(c);
        self.painted.iter().find(|(j, _)| *j == i)?;
        let (g, _) = self.galleys.get(&i)?;
        Some(g.drawn_row(c - self.pieces[i].start))
    }

    /// Where the caret at `c` is drawn: as [`Self::screen_pos_of_char`], but an offset where a
    /// row wraps is the start of the next row, where the char after it is.
    fn caret_pos(&self, c: usize) -> Option<Pos2> {
        self.screen_pos(c, true)
    }

    fn screen_pos(&self, c: usize, next_row: bool) -> Option<Pos2> {
        for (i, origin) in &self.painted {
            let p = self.pieces[*i];
            if p.start <= c && c <= p.end {
                let (g, _) = self.galleys.get(i)?;
                let r = g.caret_rect(c - p.start, next_row);
                return Some(origin.to_owned() + vec2(r.min.x, r.center().y));
            }
        }
        None
    }

    /// The piece containing char `c`. O(log n).
    fn piece_of(&self, c: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.start <= c);
        i.saturating_sub(1)
    }

    /// Whether piece `i`'s paragraph reads right to left: by the setting, or by the first
    /// strong letter of the paragraph it belongs to (looked for in at most 100,000 chars).
    fn piece_is_rtl(&self, text: &Text, i: usize) -> bool {
        let mut j = i;
        while j > 0 && !self.pieces[j - 1].ends_paragraph {
            j -= 1;
        }
        let start = self.pieces[j].start;
        let end = self.pieces[i].end.min(start + 100_000).max(start);
        self.direction.is_rtl(text.slice(start, end))
    }

    /// How paragraphs are set.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Sets paragraphs each by its first letter, or all one way; lays the text out again.
    pub fn set_direction(&mut self, direction: Direction) {
        if self.direction != direction {
            self.direction = direction;
            self.key = None;
            self.caret_x = None;
        }
    }

    fn galley(&mut self, ui: &Ui, text: &Text, i: usize, key: LayoutKey) -> Arc<PieceLayout> {
        if let Some((g, used)) = self.galleys.get_mut(&i) {
            *used = self.frame;
            return Arc::clone(g);
        }
        let p = self.pieces[i];
        let rtl = self.piece_is_rtl(text, i);
        let format = layout::Format {
            font_size: key.font_size,
            color: key.text_color,
            line_height: line_height(key.font_size),
            wrap_width: key.wrap_width,
        };
        let galley = Arc::new(ui.fonts_mut(|f| {
            layout::lay_out(text.slice(p.start, p.end), rtl, &format, &mut |job| {
                f.layout_job(job)
            })
        }));
        self.heights
            .set(i, piece_height(&p, galley.size().y, key.font_size));
        self.galleys.insert(i, (Arc::clone(&galley), self.frame));
        self.laid_out_last_frame += 1;
        galley
    }

    fn estimate(&self, p: &Piece, key: LayoutKey) -> f32 {
        let chars = (p.end - p.start).max(1) as f32;
        let per_row = (key.wrap_width / (key.font_size * 0.5)).max(1.0);
        let rows = (chars / per_row).ceil().max(1.0);
        piece_height(p, rows * line_height(key.font_size), key.font_size)
    }

    fn relayout_all(&mut self, key: LayoutKey) {
        self.galleys.clear();
        self.caret_x = None;
        let estimates: Vec<f32> = self.pieces.iter().map(|p| self.estimate(p, key)).collect();
        self.heights = Heights::new(estimates);
        self.key = Some(key);
    }

    /// The char under a screen position, using the pieces painted this frame.
    /// The char drawn at `pos` last frame, if any (for dropping a link on a span).
    pub fn char_at_pos(&self, pos: Pos2) -> Option<usize> {
        self.char_at(pos)
    }

    fn char_at(&self, pos: Pos2) -> Option<usize> {
        let mut best: Option<(usize, f32)> = None;
        for (i, origin) in &self.painted {
            let (g, _) = self.galleys.get(i)?;
            // The piece's slot, not the galley: an empty line's galley is taller than its slot.
            let rect = Rect::from_min_size(*origin, vec2(g.size().x, self.heights.values[*i]));
            let dist = if pos.y < rect.top() {
                rect.top() - pos.y
            } else if pos.y > rect.bottom() {
                pos.y - rect.bottom()
            } else {
                0.0
            };
            if best.is_none_or(|(_, d)| dist < d) {
                best = Some((*i, dist));
            }
        }
        let (i, _) = best?;
        let (g, _) = self.galleys.get(&i)?;
        let origin = self.painted.iter().find(|(j, _)| *j == i)?.1;
        let cur = g.index_at(pos - origin);
        let p = self.pieces[i];
        Some((p.start + cur).min(p.end))
    }

    /// Draws the view and turns pointer input into commands.
    pub fn show(&mut self, ui: &mut Ui, input: &ViewInput<'_>, commands: &mut Vec<Command>) {
        self.frame += 1;
        self.laid_out_last_frame = 0;
        let avail = ui.available_width();
        let column = readable_width(input.font_size).min(avail - 24.0).max(120.0);
        let key = LayoutKey {
            wrap_width: column.floor(),
            font_size: input.font_size,
            text_color: ui.visuals().text_color(),
            pixels_per_point: ui.pixels_per_point(),
        };
        if self.key != Some(key) {
            self.relayout_all(key);
        }

        let mut scroll = egui::ScrollArea::vertical()
            .id_salt("text view")
            .auto_shrink([false, false]);
        if std::mem::take(&mut self.fresh) {
            scroll = scroll.vertical_scroll_offset(0.0);
        }
        let mut settled_target = false;
        if let Some((c, left)) = self.scroll_target {
            let i = self.piece_of(c);
            if i < self.pieces.len() {
                let g = self.galley(ui, input.text, i, key);
                let within = g.caret_rect(c - self.pieces[i].start, true).min.y;
                let y = self.heights.prefix(i) + within;
                let view_h = ui.available_height();
                let target = (y - view_h / 3.0).max(0.0);
                if (target - self.last_offset).abs() < 0.5 || left == 0 {
                    settled_target = true;
                }
                scroll = scroll.vertical_scroll_offset(target);
                self.scroll_target = if settled_target {
                    None
                } else {
                    Some((c, left - 1))
                };
            } else {
                self.scroll_target = None;
            }
        }
        if self.scroll_target.is_some() {
            ui.ctx().request_repaint();
        }

        let out = scroll.show_viewport(ui, |ui, viewport| {
            self.paint(ui, input, key, column, viewport, commands);
        });
        self.last_offset = out.state.clamped_offset().y;
        self.shown = out.inner_rect;
        self.evict();
    }

    fn evict(&mut self) {
        if self.galleys.len() <= GALLEY_CACHE_LIMIT {
            return;
        }
        let keep_after = self.frame.saturating_sub(2);
        self.galleys.retain(|_, (_, used)| *used >= keep_after);
    }

    fn paint(
        &mut self,
        ui: &mut Ui,
        input: &ViewInput<'_>,
        key: LayoutKey,
        column: f32,
        viewport: Rect,
        commands: &mut Vec<Command>,
    ) {
        let content_top = ui.max_rect().top();
        let full = ui.max_rect();
        let left = full.left() + ((full.width() - column) / 2.0).max(8.0);
        self.painted.clear();

        // Lay out the visible pieces; measuring them may move later pieces, so place each one
        // from the prefix sums after the ones before it are measured.
        if !self.pieces.is_empty() {
            let mut i = self.heights.find(viewport.top());
            while i < self.pieces.len() {
                let top = self.heights.prefix(i);
                if top > viewport.bottom() {
                    break;
                }
                self.galley(ui, input.text, i, key);
                self.painted
                    .push((i, pos2(left, content_top + self.heights.prefix(i))));
                i += 1;
            }
        }
        let total = self.heights.total();
        let id = Id::unique("text view body");
        let visible = Rect::from_x_y_ranges(
            full.x_range(),
            (content_top + viewport.top())..=(content_top + viewport.bottom()),
        );
        let response = ui.interact(visible, id, Sense::click_and_drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Document, true, input.name));
        ui.allocate_rect(
            Rect::from_min_size(pos2(full.left(), content_top), vec2(full.width(), total)),
            Sense::hover(),
        );
        if response.hovered() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::Text);
        }

        self.handle_pointer(ui, &response, input, commands);
        self.paint_pieces(ui, input, key);
        self.paint_caret(ui);
        self.accessibility_tree(ui, id, input);
        self.hover_tooltip(ui, &response, input);
    }

    fn handle_pointer(
        &mut self,
        ui: &Ui,
        response: &egui::Response,
        input: &ViewInput<'_>,
        commands: &mut Vec<Command>,
    ) {
        if self.drag_span_edge(ui, response, input, commands) {
            return;
        }
        let alt = ui.input(|i| i.modifiers.alt);
        let snap = |a: usize, b: usize| {
            if alt {
                input.text.snap_to_graphemes(a, b)
            } else {
                input.text.snap_to_words(a, b)
            }
        };
        if response.drag_started() {
            let origin = ui.input(|i| i.pointer.press_origin());
            self.drag_anchor = origin.and_then(|p| self.char_at(p));
            ui.ctx().memory_mut(|m| m.stop_text_input());
        }
        // The release frame counts too: the last move and the release may arrive together.
        if (response.dragged() || response.drag_stopped())
            && let (Some(anchor), Some(pos)) = (self.drag_anchor, response.interact_pointer_pos())
            && let Some(head) = self.char_at(pos)
        {
            let CharRange { start: a, end: b } = snap(anchor, head);
            let sel = if head >= anchor {
                Selection { anchor: a, head: b }
            } else {
                Selection { anchor: b, head: a }
            };
            if self.selection != Some(sel) {
                self.selection = Some(sel);
                self.caret = Some(sel.head);
                commands.push(Command::ClearSpanSelection);
            }
            // Scroll while dragging past the top or bottom edge.
            let clip = ui.clip_rect();
            if pos.y < clip.top() + 8.0 || pos.y > clip.bottom() - 8.0 {
                let dy = if pos.y < clip.top() + 8.0 {
                    12.0
                } else {
                    -12.0
                };
                ui.scroll_with_delta(vec2(0.0, dy));
                ui.ctx().request_repaint();
            }
        }
        if response.drag_stopped() {
            self.drag_anchor = None;
        }
        // Double-clicks are counted here (same word, within 0.4 s) rather than trusting the
        // platform's click count, so that they work the same under test.
        let now = ui.input(|i| i.time);
        let clicked_char = if response.clicked() {
            response
                .interact_pointer_pos()
                .and_then(|p| self.char_at(p))
        } else {
            None
        };
        let double = match (clicked_char, self.last_click) {
            (Some(c), Some((t, prev))) => {
                now - t < 0.4 && input.text.word_at(c) == input.text.word_at(prev)
            }
            _ => false,
        } || (response.double_clicked() && clicked_char.is_some());
        if let Some(c) = clicked_char {
            self.last_click = if double { None } else { Some((now, c)) };
        }
        if double {
            if let Some(c) = clicked_char
                && let Some(CharRange { start: a, end: b }) = input.text.word_at(c)
            {
                self.selection = Some(Selection { anchor: a, head: b });
                self.caret = Some(b);
                commands.push(Command::ClearSpanSelection);
            }
        } else if response.clicked() {
            ui.ctx().memory_mut(|m| m.stop_text_input());
            let c = response
                .interact_pointer_pos()
                .and_then(|p| self.char_at(p));
            let hit = c.and_then(|c| span_to_select_at(input, c));
            self.selection = None;
            // The caret goes where the click was, at the nearer edge of the grapheme.
            if let Some(c) = c {
                self.caret = Some(input.text.snap_to_graphemes(c, c).start);
            }
            match hit {
                Some(id) => commands.push(Command::SelectSpan { id, scroll: false }),
                None => commands.push(Command::ClearSpanSelection),
            }
        }
    }

    /// What a screen reader is told of the text shown: under the document node, a paragraph
    /// node for each piece on screen (its text and character range; a long paragraph is in
    /// pieces of whole sentences), and under each, a
    /// mark node for each span that starts in it: its tag and words as the label, its note and
    /// attributes as the description. The caret and selection are the document's
    /// description.
    fn accessibility_tree(&self, ui: &mut Ui, document: Id, input: &ViewInput<'_>) {
        // Only when a screen reader (or a test) reads the tree: the document has a node then.
        if !ui.ctx().has_accesskit_node(document) {
            return;
        }
        let mut paragraphs = ui.new_child(egui::UiBuilder::new().accessibility_parent(document));
        // The text runs holding the caret and the selection's ends, and where in them.
        let (mut caret_at, mut anchor_at, mut focus_at) = (None, None, None);
        for (i, origin) in &self.painted {
            let Some((g, _)) = self.galleys.get(i) else {
                continue;
            };
            let p = self.pieces[*i];
            let rect = Rect::from_min_size(*origin, vec2(g.size().x, self.heights.values[*i]));
            let pid = document.with(("paragraph", p.start));
            // Its words are its value, as a text field's are: the label names the place.
            let words = input.text.slice(p.start, p.end).to_owned();
            let place = format!("paragraph at character {}", p.start);
            paragraphs
                .interact(rect, pid, Sense::hover())
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Paragraph, true, &place));
            // A long paragraph is shown in pieces cut at sentence ends; each is read as one.
            let continued = *i > 0 && !self.pieces[*i - 1].ends_paragraph;
            let part = if continued || !p.ends_paragraph {
                ", part of a longer paragraph"
            } else {
                ""
            };
            ui.ctx().accesskit_node_builder(pid, |node| {
                node.set_value(words);
                node.set_description(format!("characters {}–{}{part}", p.start, p.end));
            });
            let marks = paragraphs.new_child(egui::UiBuilder::new().accessibility_parent(pid));
            // Its text runs: what a reader moves through by character and word, with where
            // each character is drawn.
            for (k, run) in g.text_runs().into_iter().enumerate() {
                let rid = pid.with(("run", k));
                let (a, b) = (p.start + run.chars.start, p.start + run.chars.end);
                let rect = run.rect.translate(origin.to_vec2());
                marks.interact(rect, rid, Sense::hover());
                let value = input.text.slice(a, b).to_owned();
                let lengths: Vec<u8> = value.chars().map(|c| c.len_utf8() as u8).collect();
                if lengths.len() != run.positions.len() {
                    continue;
                }
                if let Some(c) = self.caret.filter(|c| (a..=b).contains(c)) {
                    caret_at.get_or_insert((rid, c - a));
                }
                if let Some((sa, sb)) = self.selected_range() {
                    if (a..=b).contains(&sa) {
                        anchor_at.get_or_insert((rid, sa - a));
                    }
                    if (a..=b).contains(&sb) {
                        focus_at = Some((rid, sb - a));
                    }
                }
                ui.ctx().accesskit_node_builder(rid, |node| {
                    node.set_role(egui::accesskit::Role::TextRun);
                    node.set_bounds(egui::accesskit::Rect {
                        x0: rect.min.x.into(),
                        y0: rect.min.y.into(),
                        x1: rect.max.x.into(),
                        y1: rect.max.y.into(),
                    });
                    node.set_text_direction(if run.rtl {
                        egui::accesskit::TextDirection::RightToLeft
                    } else {
                        egui::accesskit::TextDirection::LeftToRight
                    });
                    node.set_value(value);
                    node.set_character_lengths(lengths);
                    node.set_character_positions(run.positions);
                    node.set_character_widths(run.widths);
                });
            }
            input
                .index
                .visit(p.start, p.end.max(p.start + 1), &mut |pos| {
                    let Some(s) = input.spans.get(pos) else {
                        return;
                    };
                    if s.start < p.start || s.start >= p.end.max(p.start + 1) {
                        return;
                    }
                    let (a, b) = (s.start - p.start, s.end.min(p.end) - p.start);
                    let Some((seg, _)) = g.boxes(a, b).into_iter().next() else {
                        return;
                    };
                    let sid = document.with(("span", s.id));
                    // Not "tag: words", the span list's row label: a reader hears which is which.
                    let label = format!("{} “{}”", s.tag, excerpt(&s.exact, 120));
                    marks
                        .interact(seg.translate(origin.to_vec2()), sid, Sense::hover())
                        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Mark, true, &label));
                    let mut about = vec![format!("characters {}–{}", s.start, s.end)];
                    about.extend(s.attrs.iter().map(|(k, v)| format!("{k}: {v}")));
                    if !s.note.is_empty() {
                        about.push(format!("note: {}", s.note));
                    }
                    // Its relations, as the arcs show them: type, direction, the other end.
                    for r in input.relations.iter().filter(|r| r.touches(s.id)) {
                        let other = other_end(input, r, s.id, 40);
                        let way = if other.text.is_some() {
                            "in another document"
                        } else {
                            ""
                        };
                        let words = other.words;
                        let dir = if r.from.here_id() == Some(s.id) {
                            "to"
                        } else {
                            "from"
                        };
                        about.push(
                            format!("{} {dir} “{words}” {way}", r.kind)
                                .trim_end()
                                .to_owned(),
                        );
                    }
                    ui.ctx().accesskit_node_builder(sid, |node| {
                        node.set_description(about.join("; "));
                        if input.selected_span == Some(s.id) {
                            node.set_selected(true);
                        }
                    });
                });
        }
        let mut state = Vec::new();
        if let Some(c) = self.caret {
            state.push(format!("caret at character {c}"));
        }
        if let Some((a, b)) = self.selected_range() {
            state.push(format!("selected characters {a}–{b}"));
        }
        // The selection (or the caret, as an empty one) in the runs, as a text field gives it.
        let position = |(id, i): (Id, usize)| egui::accesskit::TextPosition {
            node: id.accesskit_id(),
            character_index: i,
        };
        let selection = match (anchor_at, focus_at) {
            (Some(a), Some(f)) => Some((a, f)),
            _ => caret_at.map(|c| (c, c)),
        };
        if !state.is_empty() || selection.is_some() {
            ui.ctx().accesskit_node_builder(document, |node| {
                if !state.is_empty() {
                    node.set_description(state.join("; "));
                }
                if let Some((a, f)) = selection {
                    node.set_text_selection(egui::accesskit::TextSelection {
                        anchor: position(a),
                        focus: position(f),
                    });
                }
            });
        }
    }

    /// Where the caret is drawn (the middle of its bar), if its piece was painted last frame.
    pub fn caret_drawn_at(&self) -> Option<Pos2> {
        let c = self.caret?;
        let mut at = self.caret_pos(c)?;
        // Where two runs meet, an offset stands in two places: the one the arrows reached.
        if let Some((_, x)) = self.caret_x.filter(|(k, _)| *k == c)
            && let Some((_, origin)) = self.painted.iter().find(|(i, _)| *i == self.piece_of(c))
        {
            at.x = origin.x + x;
        }
        Some(at)
    }

    /// The caret: a bar two points wide in the text's colour, a row high, where the keyboard
    /// is in the text.
    fn paint_caret(&self, ui: &Ui) {
        let Some(at) = self.caret_drawn_at() else {
            return;
        };
        let h = self.row_height() * 0.5;
        let x = at.x.round();
        ui.painter().line_segment(
            [pos2(x, at.y - h * 0.8), pos2(x, at.y + h * 0.8)],
            egui::Stroke::new(2.0, ui.visuals().strong_text_color()),
        );
    }

    fn paint_pieces(&self, ui: &Ui, input: &ViewInput<'_>, key: LayoutKey) {
        let (Some(first), Some(last)) = (self.painted.first(), self.painted.last()) else {
            return;
        };
        let vis_start = self.pieces[first.0].start;
        let vis_end = self.pieces[last.0].end.max(vis_start + 1);
        let dark = ui.visuals().dark_mode;
        let painter = ui.painter();

        // Spans in view, in (start, end) order, each given the lowest free underline lane.
        let mut visible: Vec<(usize, usize)> = Vec::new(); // (span position, lane)
        let mut lane_ends: Vec<usize> = Vec::new();
        input.index.visit(vis_start, vis_end, &mut |pos| {
            let s = &input.spans[pos];
            let lane = match lane_ends.iter().position(|e| *e <= s.start) {
                Some(l) => {
                    lane_ends[l] = s.end;
                    l
                }
                None => {
                    lane_ends.push(s.end);
                    lane_ends.len() - 1
                }
            };
            visible.push((pos, lane.min(LANES - 1)));
        });

        let sel = self.selected_range();
        let selection_fill = theme::selection_fill(ui.visuals());
        let selection_edge = Stroke::new(1.5, theme::selection_color(ui.visuals()));
        for (i, origin) in &self.painted {
            let Some((g, _)) = self.galleys.get(i) else {
                continue;
            };
            let p = self.pieces[*i];
            let band = |row_rect: Rect| {
                let half = key.font_size * 0.62;
                (row_rect.center().y - half, row_rect.center().y + half)
            };
            for (pos, lane) in &visible {
                let s = &input.spans[*pos];
                if s.end <= p.start || s.start >= p.end {
                    continue;
                }
                let color = theme::tag_color(input.tags, &s.tag);
                let fill = theme::tag_fill(color, dark);
                let is_selected = input.selected_span == Some(s.id);
                let a = s.start.max(p.start) - p.start;
                let b = s.end.min(p.end) - p.start;
                let mark = input.marks.and_then(|m| m.get(*pos).copied());
                // The selected span's outline, a little outside the rect `r` given.
                let outline_selected = |r: Rect| {
                    painter.rect_stroke(
                        r,
                        CornerRadius::same(3),
                        Stroke::new(2.0, theme::selected_outline(ui.visuals())),
                        egui::StrokeKind::Outside,
                    )
                };
                for (rect, row_rect) in g.boxes(a, b) {
                    let (top, bottom) = band(row_rect);
                    let r = Rect::from_x_y_ranges(rect.x_range(), top..=bottom)
                        .translate(origin.to_vec2());
                    if let Some(m) = mark {
                        paint_review_mark(painter, r, m, fill, color, ui.visuals());
                        if is_selected {
                            outline_selected(r.expand(2.0));
                        }
                        continue;
                    }
                    painter.rect_filled(r, CornerRadius::same(2), fill);
                    let bar_y = bottom + 1.5 + *lane as f32 * 3.0;
                    let bar = Rect::from_x_y_ranges(rect.x_range(), bar_y..=(bar_y + 2.0))
                        .translate(origin.to_vec2());
                    painter.rect_filled(bar, CornerRadius::ZERO, color);
                    if let Some(c) = input.uncertain
                        && crate::model::reanchor::is_uncertain(s)
                    {
                        theme::dashed_rect(painter, r.expand(1.0), Stroke::new(1.0, c));
                    }
                    if is_selected {
                        outline_selected(r.expand(1.0));
                    }
                }
            }
            let canvas = PieceCanvas {
                painter,
                g,
                p,
                origin: *origin,
                band: &band,
            };
            self.paint_hits(canvas, input, ui.visuals());
            paint_suggestions(canvas, input);
            if let Some((sa, sb)) = sel
                && sb > p.start
                && sa < p.end.max(p.start + 1)
            {
                for r in canvas.rects(sa, sb) {
                    painter.rect_filled(r, CornerRadius::ZERO, selection_fill);
                    painter.rect_stroke(
                        r,
                        CornerRadius::ZERO,
                        selection_edge,
                        egui::StrokeKind::Inside,
                    );
                }
            }
            g.paint(painter, *origin, key.text_color);
        }
    }

    /// Find hits in piece `p`: a green wash with a green edge, the current one with a thick
    /// edge; unlike spans (tinted with a bar under) and the selection (violet).
    fn paint_hits(&self, canvas: PieceCanvas<'_>, input: &ViewInput<'_>, v: &egui::Visuals) {
        let (painter, p) = (canvas.painter, canvas.p);
        let hits = input.hits;
        // Hits do not overlap, so their ends are sorted too.
        let first = hits.partition_point(|h| h.end <= p.start);
        for &hit in hits[first..]
            .iter()
            .take_while(|h| h.start < p.end.max(p.start + 1))
        {
            let current = input.current_hit == Some(hit);
            for r in canvas.rects(hit.start, hit.end) {
                painter.rect_filled(r, CornerRadius::same(2), theme::find_hit_fill(v, current));
                painter.rect_stroke(
                    r,
                    CornerRadius::same(2),
                    Stroke::new(if current { 2.5 } else { 1.0 }, theme::find_hit_edge(v)),
                    egui::StrokeKind::Outside,
                );
            }
        }
    }

    fn hover_tooltip(&self, ui: &Ui, response: &egui::Response, input: &ViewInput<'_>) {
        if response.dragged() {
            return;
        }
        let Some(pos) = response.hover_pos() else {
            return;
        };
        let Some(c) = self.char_at(pos) else {
            return;
        };
        // Only when the pointer is really over text, not the margin after a line.
        let Some(at) = self.screen_pos_of_char(c) else {
            return;
        };
        if (pos.y - at.y).abs() > input.font_size {
            return;
        }
        let hits = spans_at_innermost_first(input, c);
        if hits.is_empty() {
            return;
        }
        egui::Tooltip::always_open(
            ui.ctx().clone(),
            ui.layer_id(),
            Id::unique("span tooltip"),
            egui::PopupAnchor::Pointer,
        )
        .gap(12.0)
        .show(|ui| {
            ui.set_max_width(320.0);
            for pos in hits {
                let s = &input.spans[pos];
                ui.horizontal(|ui| {
                    theme::tag_chip(ui, input.tags, &s.tag);
                    let body = egui::TextStyle::Body.resolve(ui.style());
                    let words = visual_line_job(&excerpt(&s.exact, 60), body, Color32::PLACEHOLDER);
                    ui.label(words);
                });
                for line in super::attrs::value_lines(input.tags.get(&s.tag), &s.attrs) {
                    ui.label(egui::RichText::new(line).small().strong());
                }
                if let Some(b) = input.badges.and_then(|m| m.get(&s.id)) {
                    ui.label(
                        egui::RichText::new(&b.text)
                            .small()
                            .color(theme::tone_color(b.tone, ui.visuals())),
                    );
                }
                if !s.note.is_empty() {
                    ui.label(egui::RichText::new(&s.note).italics());
                }
                relation_lines(ui, input, s);
            }
        });
    }

    /// The span `id` if it overlaps the pieces painted last: found through the index, so the
    /// cost follows what is on screen, not the number of spans.
    fn painted_span<'s>(&self, input: &ViewInput<'s>, id: u64) -> Option<&'s Span> {
        let (first, last) = (self.painted.first()?, self.painted.last()?);
        let a = self.pieces[first.0].start;
        let b = self.pieces[last.0].end.max(a + 1);
        let mut found = None;
        input.index.visit(a, b, &mut |pos| {
            if found.is_none() && input.spans.get(pos).is_some_and(|s| s.id == id) {
                found = Some(pos);
            }
        });
        input.spans.get(found?)
    }

    /// Moves the selection head for Shift+arrows (by grapheme) or Ctrl+Shift+arrows (by word).
    /// With no selection it starts from `from` (the selected span's range) if given.
    pub fn extend_selection(
        &mut self,
        text: &Text,
        forward: bool,
        by_word: bool,
        from: Option<(usize, usize)>,
    ) {
        // Keys move the head by logical offsets, so a selection they start from a span or the
        // top of the view is exact; one the pointer started keeps its pointer-made anchor.
        // The keys say right and left: in a right-to-left paragraph, left goes forward in the
        // text, and by grapheme the head moves as drawn.
        let right = forward;
        let anchor_at = self.selection.map(|s| s.head).or(self.caret).unwrap_or(0);
        let rtl = !self.pieces.is_empty() && self.piece_is_rtl(text, self.piece_of(anchor_at));
        let forward = forward != rtl;
        let sel = match (self.selection, from) {
            (Some(s), _) => s,
            (None, Some((a, b))) => Selection { anchor: a, head: b },
            (None, None) => {
                // From the caret, or else from the top of the view. By words, a selection starts
                // at a word, not at the spaces before it (the caret after "met" selects "with …").
                let mut start = self.caret.unwrap_or_else(|| self.first_shown_char());
                if by_word {
                    start = skip_spaces(text, start, forward);
                }
                Selection {
                    anchor: start,
                    head: start,
                }
            }
        };
        let mut visual_x = None;
        let head = match (forward, by_word) {
            (_, false) if let Some((c, x)) = self.visual_step(sel.head, right) => {
                visual_x = Some((c, x));
                c
            }
            (true, false) => text.next_grapheme(sel.head),
            (false, false) => text.prev_grapheme(sel.head),
            (true, true) => text.next_word_end(sel.head),
            (false, true) => text.prev_word_start(sel.head),
        };
        self.caret_x = visual_x;
        self.selection = Some(Selection {
            anchor: sel.anchor,
            head,
        });
        self.caret = Some(head);
        if !self.is_in_view(head) {
            self.scroll_to_char(head);
        }
    }
}

/// Where a piece is being painted: its galley and rows, where on screen, and the band each
/// row's marks fill (what the hit and suggestion painters both need).
#[derive(Clone, Copy)]
struct PieceCanvas<'a> {
    painter: &'a egui::Painter,
    g: &'a PieceLayout,
    p: Piece,
    origin: Pos2,
    band: &'a dyn Fn(Rect) -> (f32, f32),
}

/// Suggestions in piece `p`: a dashed outline in the tag's colour, the focused one thicker and
/// a little further out, so they never read as saved spans (which are filled). Several tags
/// proposed for one range are nested, each 2 points outside the one before, so every colour
/// shows. Only the marks overlapping the piece are visited, and all their dashes are one mesh.
fn paint_suggestions(canvas: PieceCanvas<'_>, input: &ViewInput<'_>) {
    let Some(marks) = input.suggestions else {
        return;
    };
    let p = canvas.p;
    let all = marks.as_slice();
    let mut dashes = theme::DashedOutlines::new(canvas.painter.pixels_per_point());
    // The range of the mark before and how many before it had the same one.
    let mut prev: Option<(usize, usize)> = None;
    let mut nested = 0;
    marks.visit(p.start, p.end.max(p.start + 1), |i| {
        let Some(m) = all.get(i) else { return };
        nested = if prev == Some((m.start, m.end)) {
            nested + 1
        } else {
            0
        };
        prev = Some((m.start, m.end));
        let focused = input.focused_suggestion == Some(i);
        // A sure suggestion is drawn thicker and more opaque than a doubtful one.
        let sure = m.score.clamp(0.0, 1.0);
        let (grow, width) = if focused {
            (2.5, 2.5)
        } else {
            (1.0, 0.8 + 1.2 * sure)
        };
        let color = if focused {
            m.color
        } else {
            m.color.gamma_multiply(0.35 + 0.65 * sure)
        };
        for r in canvas.rects(m.start, m.end) {
            dashes.rect(r.expand(grow + 2.0 * nested as f32), width, color);
        }
    });
    dashes.paint(canvas.painter);
}

impl PieceCanvas<'_> {
    /// On screen, the rows' bands under chars `start..end` of the text (a range that ends after
    /// the piece starts), cut to this piece: one rect a row.
    fn rects(&self, start: usize, end: usize) -> impl Iterator<Item = Rect> + '_ {
        let p = self.p;
        let a = start.max(p.start) - p.start;
        let b = end.min(p.end).saturating_sub(p.start);
        self.g.boxes(a, b).into_iter().map(move |(rect, row_rect)| {
            let (top, bottom) = (self.band)(row_rect);
            Rect::from_x_y_ranges(rect.x_range(), top..=bottom).translate(self.origin.to_vec2())
        })
    }
}

/// The room a piece takes: its galley plus a paragraph gap; an empty line is only a small gap,
/// so blank lines between paragraphs do not double the spacing.
fn piece_height(p: &Piece, galley_height: f32, font_size: f32) -> f32 {
    if p.start == p.end {
        return font_size * 0.4;
    }
    let gap = if p.ends_paragraph {
        font_size * 0.8
    } else {
        0.0
    };
    galley_height + gap
}

/// The line height of the text view: room below each line for the lanes of span bars.
/// Review mode's drawing of one span segment `r` (see [`ReviewMark`]).
pub fn paint_review_mark(
    painter: &egui::Painter,
    r: Rect,
    m: ReviewMark,
    fill: Color32,
    color: Color32,
    visuals: &egui::Visuals,
) {
    let fade = |c: Color32| if m.decided { c.gamma_multiply(0.45) } else { c };
    let mid = r.center().y;
    let part = match m.side {
        0 => Rect::from_x_y_ranges(r.x_range(), r.top()..=mid),
        1 => Rect::from_x_y_ranges(r.x_range(), mid..=r.bottom()),
        _ => r,
    };
    painter.rect_filled(part, CornerRadius::same(2), fade(fill));
    // A's bar sits on top of the line, B's below it: the side shows even without colour.
    let bar = match m.side {
        0 => Rect::from_x_y_ranges(r.x_range(), (r.top() - 2.5)..=(r.top() - 0.5)),
        _ => Rect::from_x_y_ranges(r.x_range(), (r.bottom() + 0.5)..=(r.bottom() + 2.5)),
    };
    painter.rect_filled(bar, CornerRadius::ZERO, fade(color));
    // Around the whole line, so the outline never runs through the letters.
    if m.conflict && !m.decided {
        painter.rect_stroke(
            r,
            CornerRadius::same(2),
            Stroke::new(1.5, theme::error_color(visuals)),
            egui::StrokeKind::Outside,
        );
    }
}

fn line_height(font_size: f32) -> f32 {
    (font_size * 1.85).round()
}

/// At most about 75 characters per line.
pub fn readable_width(font_size: f32) -> f32 {
    font_size * 38.0
}

/// From `c`, past the whitespace that follows it (`forward`) or precedes it.
fn skip_spaces(text: &Text, mut c: usize, forward: bool) -> usize {
    let is_space = |a: usize| text.slice(a, a + 1).chars().all(char::is_whitespace);
    if forward {
        while c < text.char_len() && is_space(c) {
            c += 1;
        }
    } else {
        while c > 0 && is_space(c - 1) {
            c -= 1;
        }
    }
    c
}

/// The positions of the spans containing char `c`, innermost (shortest) first.
fn spans_at_innermost_first(input: &ViewInput<'_>, c: usize) -> Vec<usize> {
    let mut hits = Vec::new();
    input
        .index
        .visit(c, c.saturating_add(1), &mut |pos| hits.push(pos));
    hits.sort_by_key(|&pos| {
        let s = &input.spans[pos];
        (s.end - s.start, s.start, s.id)
    });
    hits
}

/// The other end of relation `r` seen from span `id`, as the hover card and a screen reader
/// name it: its words (at most `n` chars), its tag when it is a span here, its text when it is
/// in another document.
struct OtherEnd<'a> {
    words: String,
    tag: Option<&'a str>,
    text: Option<&'a str>,
}

fn other_end<'a>(
    input: &ViewInput<'a>,
    r: &'a crate::model::relation::Relation,
    id: u64,
    n: usize,
) -> OtherEnd<'a> {
    let other = r.other_end(id);
    match (&other.doc, other.here_id()) {
        (Some(d), _) => OtherEnd {
            words: excerpt(&d.exact, n),
            tag: None,
            text: Some(&d.text),
        },
        (None, Some(here)) => {
            let span = input.spans.iter().find(|x| x.id == here);
            OtherEnd {
                words: span.map_or_else(String::new, |x| excerpt(&x.exact, n)),
                tag: span.map(|x| x.tag.as_str()),
                text: None,
            }
        }
        (None, None) => OtherEnd {
            words: String::new(),
            tag: None,
            text: None,
        },
    }
}

/// The hover card's lines for span `s`'s relations: type, direction and the other end's words
/// (at most four, then how many more).
fn relation_lines(ui: &mut Ui, input: &ViewInput<'_>, s: &Span) {
    let linked: Vec<&crate::model::relation::Relation> =
        input.relations.iter().filter(|r| r.touches(s.id)).collect();
    for r in linked.iter().take(4) {
        let other = other_end(input, r, s.id, 30);
        let words = match (other.text, other.tag) {
            (Some(text), _) => format!("“{}” in {text}", other.words),
            (None, Some(tag)) => format!("{tag} “{}”", other.words),
            (None, None) => format!("span {}", r.other_end(s.id).span),
        };
        let symmetric = input.tags.relation(&r.kind).is_some_and(|k| k.symmetric);
        let arrow = r.arrow_from(s.id, symmetric);
        ui.label(egui::RichText::new(format!("{arrow} {} {words}", r.kind)).small());
    }
    if linked.len() > 4 {
        ui.label(
            egui::RichText::new(format!("and {} more relations", linked.len() - 4))
                .small()
                .color(theme::weak(ui.visuals())),
        );
    }
}

/// The span a click on char `c` selects: the innermost there, or, when one of the spans there
/// is already selected, the next one outward (after the outermost, the innermost again), so
/// that a span covered entirely by inner spans can still be selected.
fn span_to_select_at(input: &ViewInput<'_>, c: usize) -> Option<u64> {
    let ids: Vec<u64> = spans_at_innermost_first(input, c)
        .into_iter()
        .map(|pos| input.spans[pos].id)
        .collect();
    let next = input
        .selected_span
        .and_then(|sel| ids.iter().position(|id| *id == sel))
        .map_or(0, |i| (i + 1) % ids.len());
    ids.get(next).copied()
}

/// The first `n` chars of `s` on one line, with an ellipsis if cut.
pub fn excerpt(s: &str, n: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= n {
        one_line
    } else {
        let cut: String = one_line.chars().take(n).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_paragraph_is_not_cut_after_mr_or_an_initial() {
        let sentence = "Mr. Putin met J. Smith in Washington, D.C. on Feb. 7 and said so. ";
        let para = sentence.repeat(2 * SOFT_PIECE_CHARS / sentence.len() + 2);
        let text = Text::from_string(&para);
        let pieces = split_pieces(&text);
        assert!(pieces.len() > 1, "a long paragraph is cut");
        for p in &pieces[..pieces.len() - 1] {
            let piece: String = para.chars().skip(p.start).take(p.end - p.start).collect();
            assert!(
                piece.ends_with("said so. "),
                "cut after {:?}",
                &piece[piece.len() - 12..]
            );
        }
        assert!(is_abbreviation("Mr.") && is_abbreviation("U.S.") && is_abbreviation("J."));
        assert!(!is_abbreviation("so.") && !is_abbreviation("NATO.") && !is_abbreviation("Mr"));
    }

    #[test]
    fn pieces_cover_the_text_and_stay_bounded() {
        let sentence = "The minister said the talks “went well.” Nobody agreed. ";
        let long = sentence.repeat(200);
        let s = format!("Title\r\n\n{long}\nend 😀");
        let t = Text::from_string(&s);
        let pieces = split_pieces(&t);
        assert_eq!(
            pieces[0],
            Piece {
                start: 0,
                end: 5,
                ends_paragraph: true
            }
        );
        assert_eq!(pieces[1].start, 7);
        assert_eq!(pieces[1].end, 7);
        let mut prev_end_para = true;
        for w in pieces.windows(2) {
            if !w[0].ends_paragraph {
                assert_eq!(w[0].end, w[1].start, "inner cuts are contiguous");
            }
        }
        for p in &pieces {
            assert!(p.end - p.start <= MAX_PIECE_CHARS);
            prev_end_para = p.ends_paragraph;
        }
        assert!(prev_end_para);
        assert!(pieces.len() > 5, "the long paragraph was cut");
        let last = pieces.last().unwrap();
        assert_eq!(t.slice(last.start, last.end), "end 😀");
    }

    #[test]
    fn heights_prefix_and_find() {
        let mut h = Heights::new(vec![10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(h.prefix(3), 60.0);
        assert_eq!(h.find(0.0), 0);
        assert_eq!(h.find(29.0), 1);
        assert_eq!(h.find(30.0), 2);
        assert_eq!(h.find(1000.0), 4);
        h.set(1, 5.0);
        assert_eq!(h.prefix(3), 45.0);
        assert_eq!(h.find(15.0), 2);
        assert_eq!(h.total(), 135.0);
    }
}
