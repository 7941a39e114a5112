//! A character range, the one type for "from this char to that char" in the core's API, so a
//! signature says a range of chars where a bare `(usize, usize)` could be anything.

use std::ops::Range;

/// A half-open range `[start, end)` of chars (Unicode scalar values) in a text: the unit of
/// every offset in Marginalia. Ordered by start, then end. Byte and UTF-16 offsets, which only
/// other tools' formats use, stay plain numbers named for what they count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CharRange {
    pub start: usize,
    pub end: usize,
}

impl CharRange {
    /// `[start, end)`.
    pub const fn new(start: usize, end: usize) -> Self {
        CharRange { start, end }
    }

    /// How many chars it holds (0 when `end <= start`).
    pub const fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether it holds no char.
    pub const fn is_empty(self) -> bool {
        self.end <= self.start
    }

    /// Whether char `c` is inside it.
    pub const fn contains(self, c: usize) -> bool {
        self.start <= c && c < self.end
    }

    /// Whether the two share at least one char.
    pub const fn overlaps(self, other: CharRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// The same range as a [`Range`], for slicing and iterating.
    pub const fn as_range(self) -> Range<usize> {
        self.start..self.end
    }
}

impl From<(usize, usize)> for CharRange {
    fn from((start, end): (usize, usize)) -> Self {
        CharRange { start, end }
    }
}

impl From<CharRange> for (usize, usize) {
    fn from(r: CharRange) -> Self {
        (r.start, r.end)
    }
}
