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
    let valid = valid.strip_prefix('\u{feff}').unwrap_or(valid);
    let line = valid.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(shorten(&line, TITLE_CHARS))
}

/// `s` cut to at most `max` chars, ending in "…" when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(plural(1, "span"), "1 span");
        assert_eq!(plural(0, "span"), "0 spans");
        assert_eq!(plural(2, "text"), "2 texts");
        assert_eq!(plural_as(1, "entry", "entries"), "1 entry");
        assert_eq!(plural_as(3, "entry", "entries"), "3 entries");
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
        // Cut inside "é" at the end of the bytes read: the whole part stays.
        assert_eq!(
            title_from_head("Café".as_bytes()[..4].as_ref()).as_deref(),
            Some("Caf")
        );
        assert_eq!(title_from_head(b"\n \n"), None);
        assert_eq!(title_from_head(b"\xff\xfe bad"), None);
    }
}
