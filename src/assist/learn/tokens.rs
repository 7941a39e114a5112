//! Words for the learned tagger: a text cut into tokens with char offsets, so that labels can be
//! learnt per token and proposals land on word boundaries.
//!
//! The rules are those of news tokenisers (Penn Treebank, CoNLL-2003), kept small:
//!
//! - Whitespace separates; a token never holds whitespace. Texts written by our CoNLL importer
//!   (one space between tokens, a line per sentence) give back the file's tokens, bar the few
//!   the rules below would cut (a trailing `.` that is no abbreviation), which still align.
//! - Punctuation at either end of a word is its own token: `(Reuters),` is `(` `Reuters` `)`
//!   `,`. A run of one punctuation mark stays together (`...`, `--`).
//! - A `.` stays on an abbreviation: a word with a `.` inside (`U.S.`, `a.m.`), one letter
//!   (`J.`), or a known short form (`Mr.`, `Inc.`, `Jan.`).
//! - Inside a word nothing is cut: `1996-08-22`, `German-born`, `1,000`, `e-mail`.
//! - Clitics are split as the Treebank does: `Germany's` is `Germany` `'s`, `don't` is `do`
//!   `n't` (also with `’`).
//!
//! A token is also marked as a sentence start: the first token of a line, or one after
//! `.`, `!` or `?`.

/// One token: chars `[start, end)` of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    /// The first token of a line.
    pub line_start: bool,
    /// The first token of a line, or the one after a sentence's closing `.`, `!` or `?`.
    pub sentence_start: bool,
}

/// Short forms that keep their `.` (lowercase, without it).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "st",
    "jr", "sr", "inc", "co", "corp", "ltd", "plc", "bros", "no", "vs", "etc", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "fig", "approx",
];

/// Marks that are split off the front of a word.
fn opens(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '`' | '“' | '‘' | '„' | '«' | '‹' | '(' | '[' | '{' | '<' | '¿' | '¡'
    )
}

/// Marks that are split off the end of a word (`.` has its own rule).
fn closes(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '`'
            | '”'
            | '’'
            | '»'
            | '›'
            | ')'
            | ']'
            | '}'
            | '>'
            | ','
            | ';'
            | ':'
            | '!'
            | '?'
    )
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '’'
}

/// Whether `word` (chars) is an abbreviation that keeps a final `.`: `body` is the word
/// without that `.`.
fn keeps_dot(body: &[char]) -> bool {
    if body.is_empty() {
        return false;
    }
    if body.contains(&'.') {
        return body.iter().any(|c| c.is_alphabetic());
    }
    if body.len() == 1 && body[0].is_alphabetic() {
        return true;
    }
    if body.len() > 6 {
        return false;
    }
    let lower: String = body.iter().flat_map(|c| c.to_lowercase()).collect();
    ABBREVIATIONS.contains(&lower.as_str())
}

/// The clitic a word ends with, as a count of chars to split off (`'s`, `n't`, `'re`, …).
fn clitic(word: &[char]) -> usize {
    let n = word.len();
    let lower = |i: usize| word[i].to_lowercase().next().unwrap_or(word[i]);
    if n >= 4 && is_apostrophe(word[n - 2]) && lower(n - 1) == 't' && lower(n - 3) == 'n' {
        return 3;
    }
    if n >= 3 && is_apostrophe(word[n - 2]) && matches!(lower(n - 1), 's' | 'm' | 'd') {
        return 2;
    }
    if n >= 4
        && is_apostrophe(word[n - 3])
        && matches!(
            (lower(n - 2), lower(n - 1)),
            ('r', 'e') | ('v', 'e') | ('l', 'l')
        )
    {
        return 3;
    }
    0
}

/// Whether a leading apostrophe belongs to the word (`'s`, `'90s`, `'re`) rather than opening
/// a quotation.
fn apostrophe_is_part(word: &[char]) -> bool {
    if word.len() < 2 || !is_apostrophe(word[0]) {
        return false;
    }
    let rest: String = word[1..].iter().flat_map(|c| c.to_lowercase()).collect();
    word[1].is_ascii_digit() || matches!(rest.as_str(), "s" | "m" | "d" | "t" | "re" | "ve" | "ll")
}

/// Cuts one whitespace-free chunk `chars[a..b]` into tokens, appending `(start, end)`.
fn cut_chunk(chars: &[char], a: usize, b: usize, out: &mut Vec<(usize, usize)>) {
    let chunk = &chars[a..b];
    if chunk.iter().all(|c| !c.is_alphanumeric()) {
        // All punctuation: runs of one mark.
        let mut i = a;
        while i < b {
            let mut j = i + 1;
            while j < b && chars[j] == chars[i] {
                j += 1;
            }
            out.push((i, j));
            i = j;
        }
        return;
    }
    let (mut s, mut e) = (a, b);
    while s < e && opens(chars[s]) && !apostrophe_is_part(&chars[s..e]) {
        out.push((s, s + 1));
        s += 1;
    }
    let mut tail: Vec<(usize, usize)> = Vec::new();
    while e > s {
        let c = chars[e - 1];
        if c == '.' {
            let mut d = e - 1;
            while d > s && chars[d - 1] == '.' {
                d -= 1;
            }
            if e - d >= 2 {
                tail.push((d, e)); // an ellipsis
                e = d;
                continue;
            }
            if keeps_dot(&chars[s..e - 1]) {
                break;
            }
            tail.push((e - 1, e));
            e -= 1;
        } else if closes(c) && e - 1 > s {
            // An apostrophe ending a plural possessive (`players'`) is split like a quote.
            tail.push((e - 1, e));
            e -= 1;
        } else {
            break;
        }
    }
    if e > s {
        let k = clitic(&chars[s..e]);
        if k > 0 && k < e - s {
            out.push((s, e - k));
            out.push((e - k, e));
        } else {
            out.push((s, e));
        }
    }
    out.extend(tail.into_iter().rev());
}

/// The tokens of `text`, in order.
///
/// # Examples
/// ```
/// use marginalia::assist::learn::tokens::tokenize;
/// let text = "He said (U.S.) Germany's 1996-08-22 talks.";
/// let words: Vec<String> = tokenize(text)
///     .iter()
///     .map(|t| text.chars().skip(t.start).take(t.end - t.start).collect())
///     .collect();
/// assert_eq!(
///     words,
///     ["He", "said", "(", "U.S.", ")", "Germany", "'s", "1996-08-22", "talks", "."]
/// );
/// ```
pub fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    // Where each cut's line starts: a chunk after a line break.
    let mut line_starts: Vec<usize> = Vec::new();
    let mut i = 0;
    let mut at_line_start = true;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            if c == '\n' || c == '\r' || c == '\u{2028}' || c == '\u{2029}' {
                at_line_start = true;
            }
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && !chars[j].is_whitespace() {
            j += 1;
        }
        if at_line_start {
            line_starts.push(cuts.len());
            at_line_start = false;
        }
        cut_chunk(&chars, i, j, &mut cuts);
        i = j;
    }
    let mut out = Vec::with_capacity(cuts.len());
    let mut next_line = line_starts.iter().peekable();
    let mut after_stop = true;
    for (k, (start, end)) in cuts.into_iter().enumerate() {
        let line_start = next_line.peek().is_some_and(|&&l| l == k);
        if line_start {
            next_line.next();
        }
        out.push(Token {
            start,
            end,
            line_start,
            sentence_start: line_start || after_stop,
        });
        let word = &chars[start..end];
        after_stop = matches!(word, ['.'] | ['!'] | ['?']) || word.iter().all(|&c| c == '.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text)
            .iter()
            .map(|t| text.chars().skip(t.start).take(t.end - t.start).collect())
            .collect()
    }

    #[test]
    fn conll_tokens_come_back() {
        let line = "EU rejects German call to boycott British lamb .\nPeter Blackburn\nBRUSSELS 1996-08-22\n\" We do n't support it , \" said Mr. Smith of Acme Inc. ( U.S. ) 's -- ...";
        let expected: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words(line), expected);
    }

    #[test]
    fn news_prose_is_cut_like_a_treebank() {
        assert_eq!(
            words("“Stop,” said Mrs. May's aide (in London). Don't!"),
            [
                "“", "Stop", ",", "”", "said", "Mrs.", "May", "'s", "aide", "(", "in", "London",
                ")", ".", "Do", "n't", "!"
            ]
        );
        assert_eq!(
            words("1,000 e-mails in the '90s... J. Doe, a.m."),
            [
                "1,000", "e-mails", "in", "the", "'90s", "...", "J.", "Doe", ",", "a.m."
            ]
        );
    }

    #[test]
    fn offsets_are_chars_and_sentences_are_marked() {
        let text = "Zoë ran.\nÉmile won. He left";
        let t = tokenize(text);
        assert_eq!((t[0].start, t[0].end), (0, 3));
        let starts: Vec<bool> = t.iter().map(|t| t.sentence_start).collect();
        assert_eq!(
            starts,
            [true, false, false, true, false, false, true, false]
        );
        assert!(t[3].line_start && !t[6].line_start);
        assert_eq!(
            text.chars().skip(t[3].start).take(5).collect::<String>(),
            "Émile"
        );
    }
}
