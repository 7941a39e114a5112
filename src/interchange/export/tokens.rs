//! The tokenizer and sentence splitter behind the CoNLL export, documented so a reader of the
//! file knows what a token is.
//!
//! - Whitespace separates tokens: every char Unicode calls White_Space (space, tab, CR, LF,
//!   NBSP U+00A0, the U+2000 spaces, U+3000 …) plus the separators U+001C–U+001F that Python's
//!   `str.split()` also splits on, so no token ever contains what a CoNLL reader splits columns on.
//! - Inside a run of non-space chars, tokens are the Unicode (UAX #29) word segments: a word or
//!   number stays whole (`100,000`, `3.5`, `O'Neill`), and every punctuation mark, quote mark,
//!   dash or symbol is a token of its own (`“`, `—`, `,`, `$`). An emoji sequence or a letter with
//!   its combining marks is never split. CJK text is split by the same rules (ideographs one by one).
//! - As in spaCy's English tokenizer, the possessive `'s` / `’s` and the negation `n't` are split
//!   off a word (`Nike` `'s`, `do` `n't`, `ca` `n't`), so an entity that ends before a possessive
//!   is not widened to it; standing alone (`Nike 's`), they stay one token.
//! - News text scraped from the web often lacks the space after a full stop (`rose.The`); UAX #29
//!   would keep that as one word, so a `.` or `:` between a lowercase letter or digit and an
//!   uppercase letter is split off (`rose`, `.`, `The`). Abbreviations such as `U.S.` stay whole.
//! - Sentences follow Unicode (UAX #29) sentence boundaries, every line break ends a sentence,
//!   and so does a glued full stop as above.

use unicode_segmentation::UnicodeSegmentation;

/// One token: char offsets `[start, end)` into the text, and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
    /// Whether a new sentence starts at this token.
    pub sentence_start: bool,
}

/// Whether `c` separates tokens.
pub fn is_separator(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Tokenizes `text` into tokens with char offsets, marking sentence starts. O(n).
pub fn tokenize(text: &str) -> Vec<Token<'_>> {
    // Byte offsets where a sentence starts (besides 0).
    let mut sentence_starts = text
        .split_sentence_bound_indices()
        .map(|(b, _)| b)
        .filter(|&b| b > 0)
        .peekable();
    let mut out = Vec::new();
    // Running byte → char conversion: tokens come in order.
    let mut char_pos = 0usize;
    let mut byte_pos = 0usize;
    let mut to_char = |b: usize| {
        char_pos += text[byte_pos..b].chars().count();
        byte_pos = b;
        char_pos
    };
    let mut last_end_byte = 0usize;
    let mut run_start: Option<usize> = None;
    let mut runs = Vec::new();
    for (b, c) in text.char_indices() {
        if is_separator(c) {
            if let Some(s) = run_start.take() {
                runs.push((s, b));
            }
        } else if run_start.is_none() {
            run_start = Some(b);
        }
    }
    if let Some(s) = run_start {
        runs.push((s, text.len()));
    }
    let mut first = true;
    for (rs, re) in runs {
        let run = &text[rs..re];
        let pieces = run
            .split_word_bound_indices()
            .flat_map(|(off, piece)| split_glued(off, piece))
            .flat_map(|(off, piece, start)| split_clitic(off, piece, start));
        for (off, piece, glued_start) in join_lone_possessive(run, pieces) {
            let b = rs + off;
            let mut sentence_start = first || glued_start;
            while let Some(&sb) = sentence_starts.peek() {
                if sb > b {
                    break;
                }
                if sb >= last_end_byte {
                    sentence_start = true;
                }
                sentence_starts.next();
            }
            // A line break between tokens always ends the sentence.
            if !first && text[last_end_byte..b].contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
                sentence_start = true;
            }
            let start = to_char(b);
            let end = to_char(b + piece.len());
            out.push(Token {
                start,
                end,
                text: piece,
                sentence_start,
            });
            last_end_byte = b + piece.len();
            first = false;
        }
    }
    out
}

/// Splits the English possessive `'s` / `’s` and the negation `n't` / `n’t` off a word, as
/// spaCy's English tokenizer does: `Nike's` → `Nike` `'s`, `don't` → `do` `n't`, `can't` → `ca`
/// `n't`. The word part must be letters or digits, so `'s` and `n't` alone stay whole.
fn split_clitic(off: usize, piece: &str, start: bool) -> Vec<(usize, &str, bool)> {
    let ends = |suffix: &[char]| -> Option<usize> {
        let mut rev = piece.char_indices().rev();
        let mut at = piece.len();
        for want in suffix.iter().rev() {
            let (i, c) = rev.next()?;
            let ok = match want {
                '\'' => matches!(c, '\'' | '’'),
                w => c.to_lowercase().eq(std::iter::once(*w)),
            };
            if !ok {
                return None;
            }
            at = i;
        }
        // The word before must be letters or digits, and not empty.
        let head = &piece[..at];
        (!head.is_empty() && head.chars().all(char::is_alphanumeric)).then_some(at)
    };
    match ends(&['\'', 's']).or_else(|| ends(&['n', '\'', 't'])) {
        Some(at) => vec![(off, &piece[..at], start), (off + at, &piece[at..], false)],
        None => vec![(off, piece, start)],
    }
}

/// Keeps a possessive that stands alone (`'s` after a space, as in `Nike 's` — the CoNLL text
/// rebuilt with spaces) one token, where UAX #29 would split the apostrophe off.
fn join_lone_possessive<'a>(
    run: &'a str,
    pieces: impl Iterator<Item = (usize, &'a str, bool)>,
) -> Vec<(usize, &'a str, bool)> {
    let mut out: Vec<(usize, &'a str, bool)> = Vec::new();
    for (off, piece, start) in pieces {
        if matches!(piece, "s" | "S")
            && let Some(&(o, prev, prev_start)) = out.last()
            && matches!(prev, "'" | "’")
            && o + prev.len() == off
            && (o == 0 || !run[..o].ends_with(char::is_alphanumeric))
        {
            out.pop();
            out.push((o, &run[o..off + piece.len()], prev_start || start));
            continue;
        }
        out.push((off, piece, start));
    }
    out
}

/// Splits a word segment at a full stop or colon glued between a lowercase letter or digit and
/// an uppercase letter. Yields (byte offset, piece, whether a sentence starts at it).
fn split_glued(off: usize, piece: &str) -> Vec<(usize, &str, bool)> {
    let mut out = Vec::new();
    let mut from = 0;
    let mut prev: Option<char> = None;
    let mut iter = piece.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let next = iter.peek().map(|&(_, n)| n);
        if matches!(c, '.' | ':')
            && prev.is_some_and(|p| p.is_lowercase() || p.is_numeric())
            && next.is_some_and(char::is_uppercase)
        {
            let after = i + c.len_utf8();
            out.push((off + from, &piece[from..i], false));
            out.push((off + i, &piece[i..after], false));
            from = after;
            // What follows a glued full stop starts a sentence.
            if c == '.' {
                out.push((off + from, "", true));
            }
        }
        prev = Some(c);
    }
    out.push((off + from, &piece[from..], false));
    // Merge the sentence markers into the piece that follows them.
    let mut merged: Vec<(usize, &str, bool)> = Vec::with_capacity(out.len());
    let mut pending = false;
    for (o, p, start) in out {
        if p.is_empty() {
            pending |= start;
            continue;
        }
        merged.push((o, p, pending));
        pending = false;
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        tokenize(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn punctuation_and_quote_marks_are_tokens() {
        assert_eq!(
            texts("“You want War?” Putin asked—twice, don't 100,000."),
            [
                "“", "You", "want", "War", "?", "”", "Putin", "asked", "—", "twice", ",", "do",
                "n't", "100,000", "."
            ]
        );
    }

    #[test]
    fn possessives_and_negations_split_as_spacy_does() {
        assert_eq!(
            texts("Nike's Valley’s don't can't NIKE'S won’t it's"),
            [
                "Nike", "'s", "Valley", "’s", "do", "n't", "ca", "n't", "NIKE", "'S", "wo", "n’t",
                "it", "'s"
            ]
        );
        // Alone, as in a CoNLL text rebuilt with spaces, they stay whole.
        assert_eq!(
            texts("Nike 's , ca n't ’s 's"),
            ["Nike", "'s", ",", "ca", "n't", "’s", "'s"]
        );
        // Not a possessive: a quote, a plural's apostrophe, an inner apostrophe.
        assert_eq!(
            texts("'so' players' O'Neill rock'n'roll"),
            ["'", "so", "'", "players", "'", "O'Neill", "rock'n'roll"]
        );
        // Offsets still point at the chars.
        let toks = tokenize("😀 Nike’s");
        assert_eq!((toks[2].start, toks[2].end, toks[2].text), (6, 8, "’s"));
    }

    #[test]
    fn nbsp_and_crlf_separate_and_offsets_are_chars() {
        let s = "a\u{a0}😀b\r\nc\u{3000}東京";
        let toks = tokenize(s);
        let chars: Vec<char> = s.chars().collect();
        for t in &toks {
            let got: String = chars[t.start..t.end].iter().collect();
            assert_eq!(got, t.text);
        }
        assert_eq!(
            toks.iter().map(|t| t.text).collect::<Vec<_>>(),
            ["a", "😀", "b", "c", "東", "京"]
        );
        // The line break starts a sentence.
        assert!(toks[3].sentence_start);
        assert!(!toks[1].sentence_start);
    }

    #[test]
    fn combining_marks_and_emoji_sequences_stay_whole() {
        assert_eq!(
            texts("cafe\u{301} 👨\u{200d}👩\u{200d}👧!"),
            ["cafe\u{301}", "👨\u{200d}👩\u{200d}👧", "!"]
        );
    }

    #[test]
    fn glued_full_stops_split_but_abbreviations_stay() {
        let toks = tokenize("tensions rose.The U.S. and 2022.In e.g. this");
        assert_eq!(
            toks.iter().map(|t| t.text).collect::<Vec<_>>(),
            [
                "tensions", "rose", ".", "The", "U.S", ".", "and", "2022", ".", "In", "e.g", ".",
                "this"
            ]
        );
        let starts: Vec<&str> = toks
            .iter()
            .filter(|t| t.sentence_start)
            .map(|t| t.text)
            .collect();
        assert!(
            starts.contains(&"The") && starts.contains(&"In"),
            "{starts:?}"
        );
    }

    #[test]
    fn sentences_split_after_full_stops() {
        let toks = tokenize("He left. She stayed.");
        let starts: Vec<&str> = toks
            .iter()
            .filter(|t| t.sentence_start)
            .map(|t| t.text)
            .collect();
        assert_eq!(starts, ["He", "She"]);
    }
}
