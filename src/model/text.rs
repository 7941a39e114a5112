//! Source texts as the annotator sees them: decoding, char offsets, and word and grapheme snapping.
//!
//! Every offset in Marginalia counts Unicode scalar values (Rust `char`s, Python `str` indices)
//! in half-open ranges `[start, end)`. Byte offsets exist only inside this module, at the edge
//! where `str` slicing needs them, behind [`Text::byte_of`].

use std::path::Path;
use std::sync::Arc;

use crate::store::{FileKey, FileProblem, sha256_hex};
use unicode_segmentation::UnicodeSegmentation;

use crate::model::range::CharRange;

/// The default largest text Marginalia opens, in bytes. Larger files are refused with a message
/// rather than freezing the app; set `MARGINALIA_MAX_TEXT_BYTES` to change it.
pub const DEFAULT_MAX_TEXT_BYTES: u64 = 256 * 1024 * 1024;

/// How many chars apart the char→byte checkpoints sit. Lookups scan at most this many chars.
const CHECKPOINT_EVERY: usize = 256;

/// Why a text could not be opened.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TextError {
    /// `{path}: cannot read the file: {reason}`.
    #[error(transparent)]
    Unreadable(FileProblem),
    #[error("{path}: not valid UTF-8 (first bad byte at byte offset {byte_offset})")]
    NotUtf8 { path: String, byte_offset: usize },
    #[error(
        "{path}: the text is {size} bytes, over the limit of {limit} bytes (set MARGINALIA_MAX_TEXT_BYTES to raise it)"
    )]
    TooLarge { path: String, size: u64, limit: u64 },
}

/// The largest text size to open, from `MARGINALIA_MAX_TEXT_BYTES` or the default.
pub fn max_text_bytes() -> u64 {
    std::env::var("MARGINALIA_MAX_TEXT_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_MAX_TEXT_BYTES)
}

/// A decoded source text with a char-offset index.
///
/// A leading UTF-8 byte-order mark is not part of the text (offsets start after it), but it is
/// part of the hashed bytes. CRLF stays two chars.
#[derive(Clone)]
pub struct Text {
    content: Arc<str>,
    /// `checkpoints[i]` is the byte offset of char `i * CHECKPOINT_EVERY`.
    checkpoints: Vec<usize>,
    char_len: usize,
    sha256: String,
    had_bom: bool,
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Text")
            .field("chars", &self.char_len)
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// A text file as [`Text::check_file`] read it: valid UTF-8, not (yet) made into a [`Text`].
pub struct CheckedFile {
    /// The file's contents, BOM included.
    contents: String,
}

impl CheckedFile {
    /// The file's bytes as read, BOM included.
    pub fn bytes(&self) -> &[u8] {
        self.contents.as_bytes()
    }

    /// The text without its BOM: what offsets count in.
    pub fn text(&self) -> &str {
        self.contents
            .strip_prefix('\u{feff}')
            .unwrap_or(&self.contents)
    }

    /// The hash [`Text::sha256`] gives: of the file's bytes, BOM included.
    pub fn sha256(&self) -> String {
        sha256_hex(self.bytes())
    }
}

/// A text file's bytes, refusing files over [`max_text_bytes`].
fn read_file(path: &Path) -> Result<(Vec<u8>, FileKey), TextError> {
    let shown = || path.display().to_string();
    let limit = max_text_bytes();
    crate::store::read_regular_keyed(path, limit).map_err(|e| match e {
        crate::store::BoundedReadError::TooLarge { size } => TextError::TooLarge {
            path: shown(),
            size,
            limit,
        },
        other => TextError::Unreadable(FileProblem::new(
            shown(),
            "cannot read the file",
            other.reason(),
        )),
    })
}

impl Text {
    /// Reads and decodes a text file, refusing files over [`max_text_bytes`].
    ///
    /// # Errors
    /// [`TextError`] naming the file: unreadable, too large, or not UTF-8 (with the byte offset).
    pub fn load(path: &Path) -> Result<Self, TextError> {
        Self::check_file(path).map(|(file, _)| Self::from_checked(&file))
    }

    /// Reads a text file and checks that [`Self::load`] would decode it, without making the
    /// text (no hash, no char index, no copy): for a list of 100,000 texts that needs to know
    /// only that each opens, and to check a layer against a few. Returns the file's contents
    /// and key ([`crate::store::read_regular_keyed`]).
    ///
    /// # Errors
    /// As [`Self::load`].
    pub fn check_file(path: &Path) -> Result<(CheckedFile, FileKey), TextError> {
        let (bytes, key) = read_file(path)?;
        // A BOM is valid UTF-8 itself, so the whole file is checked as it is, and a bad byte's
        // offset is counted in the file, BOM included, as `from_bytes` counts it.
        match String::from_utf8(bytes) {
            Ok(contents) => Ok((CheckedFile { contents }, key)),
            Err(e) => Err(TextError::NotUtf8 {
                path: path.display().to_string(),
                byte_offset: e.utf8_error().valid_up_to(),
            }),
        }
    }

    /// The text of a file [`Self::check_file`] read: what [`Self::from_bytes`] makes of its bytes.
    pub fn from_checked(file: &CheckedFile) -> Self {
        let mut text = Self::from_str_inner(file.text(), file.sha256());
        text.had_bom = file.text().len() < file.contents.len();
        text
    }

    /// Decodes file bytes. On invalid UTF-8 returns the byte offset of the first bad byte
    /// (counted in the file, BOM included).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, usize> {
        let sha256 = sha256_hex(bytes);
        let (had_bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (true, rest),
            None => (false, bytes),
        };
        let content =
            std::str::from_utf8(body).map_err(|e| e.valid_up_to() + if had_bom { 3 } else { 0 })?;
        let mut text = Self::from_str_inner(content, sha256);
        text.had_bom = had_bom;
        Ok(text)
    }

    /// A text from a string (its hash is of its UTF-8 bytes, no BOM).
    pub fn from_string(s: &str) -> Self {
        Self::from_str_inner(s, sha256_hex(s.as_bytes()))
    }

    fn from_str_inner(content: &str, sha256: String) -> Self {
        let mut checkpoints = Vec::with_capacity(content.len() / CHECKPOINT_EVERY + 1);
        let mut n = 0usize;
        // A char starts at every byte that is not a continuation byte (`content` is UTF-8):
        // counted on bytes, without decoding each char.
        let bytes = content.as_bytes();
        let mut b = 0;
        while let Some(&byte) = bytes.get(b) {
            // Eight ASCII bytes are eight chars, taken at once when no checkpoint is among
            // them: most of a news text, counted four times faster.
            let into = n % CHECKPOINT_EVERY;
            if into != 0
                && into + 8 <= CHECKPOINT_EVERY
                && let Some(word) = bytes[b..].first_chunk::<8>()
                && u64::from_ne_bytes(*word) & 0x8080_8080_8080_8080 == 0
            {
                n += 8;
                b += 8;
                continue;
            }
            if (byte & 0xC0) != 0x80 {
                if into == 0 {
                    checkpoints.push(b);
                }
                n += 1;
            }
            b += 1;
        }
        if checkpoints.is_empty() {
            checkpoints.push(0);
        }
        Self {
            content: Arc::from(content),
            checkpoints,
            char_len: n,
            sha256,
            had_bom: false,
        }
    }

    /// The whole text (without BOM).
    pub fn as_str(&self) -> &str {
        &self.content
    }

    /// A shared handle to the whole text.
    pub fn shared(&self) -> Arc<str> {
        Arc::clone(&self.content)
    }

    /// Length in chars.
    pub fn char_len(&self) -> usize {
        self.char_len
    }

    /// sha256 of the file's bytes as read, lowercase hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Whether the file started with a UTF-8 BOM (which is not part of the text).
    pub fn had_bom(&self) -> bool {
        self.had_bom
    }

    /// Byte offset of char `c`, clamped to the end. O(1) plus a scan of at most 256 chars.
    pub fn byte_of(&self, c: usize) -> usize {
        if c >= self.char_len {
            return self.content.len();
        }
        let block = c / CHECKPOINT_EVERY;
        let base = self.checkpoints[block.min(self.checkpoints.len() - 1)];
        let skip = c - block * CHECKPOINT_EVERY;
        // A block of one-byte chars (ASCII) needs no scan: it is as many bytes as chars.
        let block_end = self.checkpoints.get(block + 1).copied();
        if block_end == Some(base + CHECKPOINT_EVERY) {
            return base + skip;
        }
        // The `skip`th char start after `base`, found on bytes without decoding chars.
        self.content.as_bytes()[base..]
            .iter()
            .enumerate()
            .filter(|(_, byte)| (**byte & 0xC0) != 0x80)
            .nth(skip)
            .map_or(self.content.len(), |(b, _)| base + b)
    }

    /// Char offset of byte `b` (which must be a char boundary; otherwise the char containing it).
    /// O(log n) plus a scan of at most 256 chars.
    pub fn char_of_byte(&self, b: usize) -> usize {
        let b = b.min(self.content.len());
        let block = match self.checkpoints.binary_search(&b) {
            Ok(i) => return i * CHECKPOINT_EVERY,
            Err(i) => i.saturating_sub(1),
        };
        let base = self.checkpoints[block];
        // Chars whose first byte lies before `b`.
        let exact = self.content.as_bytes()[base..b]
            .iter()
            .filter(|&&byte| (byte & 0xC0) != 0x80)
            .count();
        block * CHECKPOINT_EVERY + exact
    }

    /// The text of the char range `[start, end)`, clamped to the text.
    pub fn slice(&self, start: usize, end: usize) -> &str {
        let s = self.byte_of(start.min(end));
        let e = self.byte_of(end);
        &self.content[s..e]
    }

    /// The char at offset `c`, if any.
    pub fn char_at(&self, c: usize) -> Option<char> {
        if c >= self.char_len {
            return None;
        }
        self.content[self.byte_of(c)..].chars().next()
    }

    /// The char range of the line (paragraph) containing `c`, without its line break.
    pub fn line_around(&self, c: usize) -> CharRange {
        let b = self.byte_of(c);
        let s = self.content[..b].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let e = self.content[b..]
            .find(['\n', '\r'])
            .map(|i| b + i)
            .unwrap_or(self.content.len());
        CharRange::new(self.char_of_byte(s), self.char_of_byte(e))
    }

    /// A window of text around `[start, end)` bounded to the paragraph(s) it touches, but never
    /// more than `max_extra` chars beyond either end. Returns (window start char, window str).
    fn window(&self, start: usize, end: usize, max_extra: usize) -> (usize, &str) {
        let ws = start.saturating_sub(max_extra);
        let we = (end + max_extra).min(self.char_len);
        (ws, self.slice(ws, we))
    }

    /// Snaps `[start, end)` outward to grapheme-cluster boundaries, so that a range never splits
    /// an emoji sequence or an accent from its letter.
    pub fn snap_to_graphemes(&self, start: usize, end: usize) -> CharRange {
        let CharRange { start, end } = order(start, end, self.char_len);
        let (ws, w) = self.window(start, end, 64);
        let mut new_start = start;
        let mut new_end = end;
        let mut c = ws;
        for g in w.graphemes(true) {
            let n = g.chars().count();
            let (gs, ge) = (c, c + n);
            if gs < start && start < ge {
                new_start = gs;
            }
            if gs < end && end < ge {
                new_end = ge;
            }
            c = ge;
        }
        CharRange::new(new_start, new_end)
    }

    /// Snaps a dragged range to whole words: the start moves back to the start of the word it
    /// falls in, the end moves forward to the end of its word, and surrounding whitespace is
    /// trimmed. A range of only whitespace or punctuation is kept as graphemes.
    pub fn snap_to_words(&self, start: usize, end: usize) -> CharRange {
        let CharRange { start, end } = order(start, end, self.char_len);
        if start == end {
            // A caret never rests inside a cluster (e.g. between the \r and \n of CRLF).
            return self.word_at(start).unwrap_or_else(|| {
                let s = self.snap_to_graphemes(start, start).start;
                CharRange::new(s, s)
            });
        }
        let (ws, w) = self.window(start, end, 256);
        let mut new_start = start;
        let mut new_end = end;
        let mut c = ws;
        for piece in w.split_word_bounds() {
            let n = piece.chars().count();
            let (ps, pe) = (c, c + n);
            let wordy = piece.chars().any(char::is_alphanumeric);
            if wordy && ps < start && start < pe {
                new_start = ps;
            }
            if wordy && ps < end && end < pe {
                new_end = pe;
            }
            c = pe;
        }
        let CharRange { start: s, end: e } = self.trim_whitespace(new_start, new_end);
        if s >= e {
            return self.snap_to_graphemes(start, end);
        }
        self.snap_to_graphemes(s, e)
    }

    /// The word containing `c` (for double-click), or `None` on whitespace.
    pub fn word_at(&self, c: usize) -> Option<CharRange> {
        if c >= self.char_len {
            return None;
        }
        let (ws, w) = self.window(c, c + 1, 256);
        let mut p = ws;
        for piece in w.split_word_bounds() {
            let n = piece.chars().count();
            if p <= c && c < p + n {
                if piece.chars().all(char::is_whitespace) {
                    return None;
                }
                return Some(CharRange::new(p, p + n));
            }
            p += n;
        }
        None
    }

    /// The next word boundary after `c` (for Ctrl+Shift+Right), skipping whitespace.
    pub fn next_word_end(&self, c: usize) -> usize {
        let (ws, w) = self.window(c, c, 512);
        let mut p = ws;
        for piece in w.split_word_bounds() {
            let n = piece.chars().count();
            let pe = p + n;
            if pe > c && !piece.chars().all(char::is_whitespace) {
                return pe;
            }
            p = pe;
        }
        (c + 1).min(self.char_len).max(p.min(self.char_len))
    }

    /// The previous word start before `c` (for Ctrl+Shift+Left), skipping whitespace.
    pub fn prev_word_start(&self, c: usize) -> usize {
        let (ws, w) = self.window(c, c, 512);
        let mut best = ws;
        let mut p = ws;
        for piece in w.split_word_bounds() {
            let n = piece.chars().count();
            if p >= c {
                break;
            }
            if !piece.chars().all(char::is_whitespace) {
                best = p;
            }
            p += n;
        }
        best
    }

    /// The next grapheme boundary after `c` (for Shift+Right).
    pub fn next_grapheme(&self, c: usize) -> usize {
        if c >= self.char_len {
            return self.char_len;
        }
        self.snap_to_graphemes(c, c + 1).end
    }

    /// The previous grapheme boundary before `c` (for Shift+Left).
    pub fn prev_grapheme(&self, c: usize) -> usize {
        if c == 0 {
            return 0;
        }
        self.snap_to_graphemes(c - 1, c).start
    }

    fn trim_whitespace(&self, start: usize, end: usize) -> CharRange {
        let s = self.slice(start, end);
        let lead = s.chars().take_while(|c| c.is_whitespace()).count();
        let trail = s.chars().rev().take_while(|c| c.is_whitespace()).count();
        let len = end - start;
        if lead >= len {
            return CharRange::new(start, start);
        }
        CharRange::new(start + lead, end - trail)
    }

    /// W3C TextQuoteSelector context: up to `n` chars before `start` and after `end`.
    pub fn context(&self, start: usize, end: usize, n: usize) -> (String, String) {
        let prefix = self.slice(start.saturating_sub(n), start).to_owned();
        let suffix = self.slice(end, (end + n).min(self.char_len)).to_owned();
        (prefix, suffix)
    }
}

/// `[a, b)` or `[b, a)`, whichever is ordered, clamped to `len`.
fn order(a: usize, b: usize, len: usize) -> CharRange {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    CharRange::new(a.min(len), b.min(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_and_char_offsets_agree_across_multibyte_text() {
        // Multibyte blocks, then blocks of plain ASCII (the fast path), then multibyte again.
        // Then ASCII runs of every length up to 40 each ending in a multibyte char, so that
        // one falls at every place in an eight-byte word and next to every checkpoint.
        let runs: String = (1..=40).map(|k| "x".repeat(k) + "é").collect();
        let s = "a’b—c\u{a0}d😀e".repeat(300)
            + &"ascii ".repeat(200)
            + &"é😀".repeat(300)
            + &runs.repeat(4);
        let t = Text::from_string(&s);
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        assert_eq!(t.char_len(), chars.len());
        for (i, (b, _)) in chars.iter().enumerate() {
            assert_eq!(t.byte_of(i), *b, "byte_of({i})");
            assert_eq!(t.char_of_byte(*b), i, "char_of_byte({b})");
        }
        assert_eq!(t.byte_of(chars.len()), s.len());
        assert_eq!(t.char_of_byte(s.len()), chars.len());
    }

    #[test]
    fn bom_is_not_part_of_the_text_but_is_hashed() {
        let with = Text::from_bytes(b"\xEF\xBB\xBFhi").unwrap();
        let without = Text::from_bytes(b"hi").unwrap();
        assert_eq!(with.as_str(), "hi");
        assert!(with.had_bom());
        assert_ne!(with.sha256(), without.sha256());
    }

    #[test]
    fn invalid_utf8_reports_the_byte_offset() {
        assert_eq!(Text::from_bytes(b"abc\xFFdef").err(), Some(3));
        assert_eq!(Text::from_bytes(b"\xEF\xBB\xBFab\xC3").err(), Some(5));
    }

    #[test]
    fn crlf_stays_two_chars() {
        let t = Text::from_string("a\r\nb");
        assert_eq!(t.char_len(), 4);
        assert_eq!(t.slice(3, 4), "b");
    }

    #[test]
    fn words_snap_outward_and_trim_spaces() {
        let t = Text::from_string("Putin asked reporters: do you");
        // "tin ask" → "Putin asked"
        assert_eq!(t.snap_to_words(2, 9), CharRange::new(0, 11));
        // leading/trailing space trimmed
        assert_eq!(t.snap_to_words(5, 12), CharRange::new(6, 11));
        assert_eq!(t.word_at(8), Some(CharRange::new(6, 11)));
        assert_eq!(t.word_at(5), None);
    }

    #[test]
    fn graphemes_are_never_split() {
        // e + combining acute, family emoji (ZWJ sequence), flag.
        let s = "cafe\u{301} 👨\u{200d}👩\u{200d}👧 🇫🇷";
        let t = Text::from_string(s);
        // Range ending between 'e' and the combining accent extends over it.
        assert_eq!(t.snap_to_graphemes(0, 4), CharRange::new(0, 5));
        // Range starting inside the ZWJ sequence starts at its beginning.
        assert_eq!(t.snap_to_graphemes(8, 10), CharRange::new(6, 11));
        // Flag: two regional indicators.
        assert_eq!(t.snap_to_graphemes(12, 13), CharRange::new(12, 14));
        assert_eq!(t.next_grapheme(6), 11);
        assert_eq!(t.prev_grapheme(11), 6);
    }

    #[test]
    fn words_in_cjk_and_rtl() {
        let t = Text::from_string("שלום עולם");
        assert_eq!(t.snap_to_words(1, 2), CharRange::new(0, 4));
        let t = Text::from_string("東京都に行く");
        let CharRange { start: s, end: e } = t.snap_to_words(1, 2);
        assert!(s <= 1 && (2..=6).contains(&e));
    }
}
