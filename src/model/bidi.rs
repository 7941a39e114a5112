//! Right-to-left and mixed-direction text: which way a paragraph reads and where each run of a
//! line goes on screen, by the Unicode Bidirectional Algorithm (UAX #9, through `unicode-bidi`).
//!
//! GUI-free: the text view lays out and paints what this orders, and a test compares the order
//! with Pango's. Offsets in and out are chars of the text given, never bytes.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use unicode_bidi::{BidiClass, Level, ParagraphBidiInfo, bidi_class};

/// How a document's paragraphs are set: each by its first strong character, or all one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Direction {
    /// Each paragraph reads the way its first letter does (UAX #9, rules P2 and P3).
    #[default]
    Auto,
    LeftToRight,
    RightToLeft,
}

impl Direction {
    /// The next setting, as a command cycles through them.
    pub fn next(self) -> Self {
        match self {
            Direction::Auto => Direction::RightToLeft,
            Direction::RightToLeft => Direction::LeftToRight,
            Direction::LeftToRight => Direction::Auto,
        }
    }

    /// How the setting is named in menus and the status line.
    pub fn label(self) -> &'static str {
        match self {
            Direction::Auto => "by each paragraph's first letter",
            Direction::LeftToRight => "left to right",
            Direction::RightToLeft => "right to left",
        }
    }

    /// Whether a paragraph that begins with `text` reads right to left under this setting.
    pub fn is_rtl(self, text: &str) -> bool {
        match self {
            Direction::Auto => first_strong_is_rtl(text).unwrap_or(false),
            Direction::LeftToRight => false,
            Direction::RightToLeft => true,
        }
    }
}

/// The direction of the first strong character of `text` (before any paragraph separator):
/// `Some(true)` for right to left, `None` when there is none.
pub fn first_strong_is_rtl(text: &str) -> Option<bool> {
    for c in text.chars() {
        match bidi_class(c) {
            BidiClass::L => return Some(false),
            BidiClass::R | BidiClass::AL => return Some(true),
            BidiClass::B => return None,
            _ => {}
        }
    }
    None
}

/// Whether `c` is a right-to-left letter (bidi class R or AL).
pub fn is_strong_rtl(c: char) -> bool {
    u32::from(c) >= 0x0590 && matches!(bidi_class(c), BidiClass::R | BidiClass::AL)
}

/// Whether a line of `text` can be drawn in a different order than it is stored: it holds a
/// right-to-left letter or an explicit embedding, override or isolate that could start one.
pub fn needs_reordering(text: &str) -> bool {
    text.chars().any(|c| {
        // Nothing below Hebrew is right to left, nor a directional control.
        u32::from(c) >= 0x0590
            && matches!(
                bidi_class(c),
                BidiClass::R
                    | BidiClass::AL
                    | BidiClass::RLE
                    | BidiClass::RLO
                    | BidiClass::RLI
                    | BidiClass::LRO
                    | BidiClass::LRE
            )
    })
}

/// A run of one line as drawn: chars `[start, end)` of the paragraph, all one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisualRun {
    pub chars: Range<usize>,
    pub rtl: bool,
}

/// One paragraph with its resolved embedding levels, ready to order any of its lines.
pub struct Paragraph<'t> {
    info: ParagraphBidiInfo<'t>,
    /// The byte offset of each char, and the text's length last.
    bytes: Vec<usize>,
}

impl<'t> Paragraph<'t> {
    /// `text` (one paragraph, or a part of one cut at a sentence end) read with base direction
    /// `rtl`.
    pub fn new(text: &'t str, rtl: bool) -> Self {
        let base = if rtl { Level::rtl() } else { Level::ltr() };
        let info = ParagraphBidiInfo::new(text, Some(base));
        let bytes = text
            .char_indices()
            .map(|(b, _)| b)
            .chain(std::iter::once(text.len()))
            .collect();
        Self { info, bytes }
    }

    /// For each char, whether its resolved level reads right to left (before a line's
    /// trailing spaces are reset by rule L1).
    pub fn rtl_chars(&self) -> Vec<bool> {
        let n = self.bytes.len() - 1;
        self.bytes[..n]
            .iter()
            .map(|b| self.info.levels.get(*b).is_some_and(|l| l.is_rtl()))
            .collect()
    }

    fn char_of_byte(&self, b: usize) -> usize {
        self.bytes.partition_point(|x| *x < b)
    }

    /// The runs of the line holding chars `line`, left to right on screen (rules L1 and L2:
    /// the line's trailing spaces take the paragraph's direction).
    pub fn line_runs(&self, line: Range<usize>) -> Vec<VisualRun> {
        let n = self.bytes.len() - 1;
        let (a, b) = (line.start.min(n), line.end.min(n));
        if a >= b {
            return Vec::new();
        }
        let bytes = self.bytes[a]..self.bytes[b];
        let (levels, runs) = self.info.visual_runs(bytes);
        runs.into_iter()
            .filter(|r| r.start < r.end)
            .map(|r| VisualRun {
                rtl: levels.get(r.start).is_some_and(|l| l.is_rtl()),
                chars: self.char_of_byte(r.start)..self.char_of_byte(r.end),
            })
            .collect()
    }
}

/// The words of one line of `text` (char ranges of its letters and digits) in the order they
/// stand on screen, left to right, when the line is not wrapped.
pub fn visual_words(text: &str, direction: Direction) -> Vec<Range<usize>> {
    use unicode_segmentation::UnicodeSegmentation as _;
    let mut words = Vec::new();
    let mut c = 0;
    for w in text.split_word_bounds() {
        let n = w.chars().count();
        if w.chars().any(char::is_alphanumeric) {
            words.push(c..c + n);
        }
        c += n;
    }
    let para = Paragraph::new(text, direction.is_rtl(text));
    let mut out: Vec<Range<usize>> = Vec::new();
    for run in para.line_runs(0..c) {
        let mut inside: Vec<Range<usize>> = words
            .iter()
            .filter(|w| w.start < run.chars.end && run.chars.start < w.end)
            .cloned()
            .collect();
        if run.rtl {
            inside.reverse();
        }
        for w in inside {
            if !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out
}

/// The glyph drawn for `c` in a right-to-left run (rule L4): the mirror of a bracket, a
/// quotation mark or a comparison sign, else `c`.
pub fn mirrored(c: char) -> char {
    const PAIRS: &[(char, char)] = &[
        ('(', ')'),
        ('[', ']'),
        ('{', '}'),
        ('<', '>'),
        ('«', '»'),
        ('‹', '›'),
        ('⁅', '⁆'),
        ('⁽', '⁾'),
        ('₍', '₎'),
        ('≤', '≥'),
        ('〈', '〉'),
        ('⟨', '⟩'),
        ('⟦', '⟧'),
        ('\u{2329}', '\u{232A}'),
        ('《', '》'),
        ('「', '」'),
        ('『', '』'),
        ('【', '】'),
        ('〔', '〕'),
        ('〖', '〗'),
        ('（', '）'),
        ('［', '］'),
        ('｛', '｝'),
        ('＜', '＞'),
    ];
    for &(a, b) in PAIRS {
        if c == a {
            return b;
        }
        if c == b {
            return a;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, direction: Direction) -> Vec<String> {
        visual_words(text, direction)
            .into_iter()
            .map(|r| text.chars().skip(r.start).take(r.len()).collect())
            .collect()
    }

    #[test]
    fn a_hebrew_line_reads_from_the_right_with_latin_and_digits_in_place() {
        assert_eq!(
            words("שלום עולם גדול", Direction::Auto),
            ["גדול", "עולם", "שלום"]
        );
        // A Latin name and a year inside Hebrew keep their own order, and stand where the
        // Hebrew around them puts them.
        assert_eq!(
            words("אמר Reuters בשנת 2024 כי", Direction::Auto),
            ["כי", "2024", "בשנת", "Reuters", "אמר"]
        );
        // In an English paragraph a Hebrew phrase is reversed in place.
        assert_eq!(
            words("He said שלום עולם today", Direction::Auto),
            ["He", "said", "עולם", "שלום", "today"]
        );
        // Forced left to right, a Hebrew line's words run from the left.
        assert_eq!(words("שלום עולם", Direction::LeftToRight), ["עולם", "שלום"]);
    }

    #[test]
    fn the_first_strong_letter_sets_the_direction() {
        assert_eq!(first_strong_is_rtl("2024: שלום"), Some(true));
        assert_eq!(first_strong_is_rtl("«Hello» שלום"), Some(false));
        assert_eq!(first_strong_is_rtl("123 !"), None);
        assert!(needs_reordering("a ب"));
        assert!(!needs_reordering("Café naïve 中文 👩🏿‍💻"));
        assert_eq!(mirrored('('), ')');
        assert_eq!(mirrored('»'), '«');
        assert_eq!(mirrored('a'), 'a');
    }

    #[test]
    fn runs_of_a_wrapped_line_cover_exactly_that_line() {
        let text = "abc שלום עולם def";
        let p = Paragraph::new(text, false);
        let runs = p.line_runs(4..13);
        let covered: usize = runs.iter().map(|r| r.chars.len()).sum();
        assert_eq!(covered, 9);
        assert!(runs.iter().any(|r| r.rtl));
        assert!(p.line_runs(5..5).is_empty());
    }
}
