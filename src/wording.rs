//! Words shown to people: counts ("1 span", "2 spans", never "1 spans" or "span(s)") and a
//! text's short title for the document list.

/// A count: any unsigned integer.
pub trait Count: std::fmt::Display + Copy + PartialEq + From<u8> {}
impl<N: std::fmt::Display + Copy + PartialEq + From<u8>> Count for N {}

/// `n` and `word`, with an `s` unless `n` is 1: `plural(1, "span")` is "1 span".
pub fn plural<N: Count>(n: N, word: &str) -> String {
    plural_as(n, word, &format!("{word}s"))
}

/// `n` and `one` or `many`, for words that do not just add an `s`: "1 entry", "2 entries".
pub fn plural_as<N: Count>(n: N, one: &str, many: &str) -> String {
    if n == N::from(1) {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// How many chars of a title the document list shows.
pub const TITLE_CHARS: usize = 70;

/// A text's title from the first bytes of its file: its first non-empty line, trimmed and cut
/// to [`TITLE_CHARS`] with "…". `head` may end inside a character or a line (only the first few
/// KB are read); only the valid UTF-8 before a bad byte is looked at.
pub fn title_from_head(head: &[u8]) -> Option<String> {
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        // Cut inside a character at the end, or a bad byte: keep what comes before.
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
    };
    title_of(valid)
}

/// [`title_from_head`] of a text already decoded: of its first `head_bytes` bytes (cut at a
/// char boundary), without checking them again.
pub fn title_from_text(text: &str, head_bytes: usize) -> Option<String> {
    title_of(&text[..text.floor_char_boundary(head_bytes)])
}

/// [`title_from_head`] of valid UTF-8.
fn title_of(valid: &str) -> Option<String> {
    let valid = valid.strip_prefix('\u{feff}').unwrap_or(valid);
    let line = valid.lines().map(str::trim).find(|l| !l.is_empty())?;
    // Words up to just past the cut: a news text's first line is often its whole first
    // paragraph, and the list makes 100,000 titles.
    let (mut joined, mut chars) = (String::new(), 0);
    for word in line.split_whitespace() {
        if chars > TITLE_CHARS {
            break;
        }
        if chars > 0 {
            joined.push(' ');
            chars += 1;
        }
        joined.push_str(word);
        chars += word.chars().count();
    }
    Some(shorten(&joined, TITLE_CHARS))
}

/// `s` cut to at most `max` chars, ending in "…" when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// A figure (κ, α, F1, ...) with `decimals` places, the one way figures are printed in the
/// CLI and the window: a value that rounds to zero prints as `0.000`, never `-0.000`.
pub fn figure(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_owned(),
        _ => s,
    }
}

/// [`figure`] of a figure that may be undefined, `missing` standing for an undefined one.
pub fn figure_or(x: Option<f64>, decimals: usize, missing: &str) -> String {
    x.map_or_else(|| missing.to_owned(), |v| figure(v, decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decoded text's title is the one its file's first bytes give, wherever the cut falls
    /// (inside a char, past the first line, before any), BOM or not.
    #[test]
    fn a_decoded_texts_title_is_its_heads() {
        let long_line = "é".repeat(40) + " — Kyiv\nsecond";
        for text in [
            "\u{feff}\n\n  Le président a dit  \nla suite",
            long_line.as_str(),
            "\n\n\n",
            "",
            "🇺🇦 one line",
        ] {
            for cut in 0..=text.len() + 2 {
                let head = &text.as_bytes()[..cut.min(text.len())];
                assert_eq!(
                    title_from_text(text, cut),
                    title_from_head(head),
                    "{text:?} at {cut}"
                );
            }
        }
    }

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(plural(1, "span"), "1 span");
        assert_eq!(plural(0, "span"), "0 spans");
        assert_eq!(plural(2, "text"), "2 texts");
        assert_eq!(plural_as(1, "entry", "entries"), "1 entry");
        assert_eq!(plural_as(3, "entry", "entries"), "3 entries");
    }

    #[test]
    fn a_figure_that_rounds_to_zero_has_no_minus_sign() {
        assert_eq!(figure(-0.0, 3), "0.000");
        assert_eq!(figure(-0.0004, 3), "0.000");
        assert_eq!(figure(-0.004, 2), "0.00");
        assert_eq!(figure(-0.0006, 3), "-0.001");
        assert_eq!(figure(0.25, 2), "0.25");
        assert_eq!(figure(-1.5, 1), "-1.5");
        assert_eq!(figure_or(None, 3, "n/a"), "n/a");
        assert_eq!(figure_or(Some(-0.0), 2, "n/a"), "0.00");
    }

    #[test]
    fn a_title_is_the_first_non_empty_line_shortened() {
        assert_eq!(
            title_from_head(b"\xef\xbb\xbf\n  \r\n  Putin  asked   reporters \r\nmore").as_deref(),
            Some("Putin asked reporters")
        );
        let long = "word ".repeat(40);
        let t = title_from_head(long.as_bytes()).unwrap();
        assert!(t.ends_with('…') && t.chars().count() <= TITLE_CHARS, "{t}");
        // A line of exactly the limit is whole, one char more is cut, however it is spaced.
        let exact = "abcd ".repeat(TITLE_CHARS / 5 - 1) + &"x".repeat(5 + TITLE_CHARS % 5);
        let exact = exact.as_str();
        assert_eq!(exact.chars().count(), TITLE_CHARS);
        let spaced = exact.replace(' ', "   ");
        assert_eq!(title_from_head(spaced.as_bytes()).as_deref(), Some(exact));
        let over = format!("{exact} y");
        let t = title_from_head(over.as_bytes()).unwrap();
        assert!(t.ends_with('…') && t.chars().count() <= TITLE_CHARS, "{t}");
        // Cut inside "é" at the end of the bytes read: the whole part stays.
        assert_eq!(
            title_from_head("Café".as_bytes()[..4].as_ref()).as_deref(),
            Some("Caf")
        );
        assert_eq!(title_from_head(b"\n \n"), None);
        assert_eq!(title_from_head(b"\xff\xfe bad"), None);
    }
}
