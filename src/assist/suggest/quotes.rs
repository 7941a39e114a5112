//! Quotation marks: the text between a matching pair becomes a `quote`, with the `speaker`
//! filled when a speaker is named next to it. Apostrophes (`don’t`, `Valley’s`, `’90s`) are
//! told apart from single quotes by what stands around them.

use std::collections::BTreeMap;

use super::{QUOTE_TAG, Source, Suggestion};
use crate::model::range::CharRange;

/// Verbs that introduce or follow a quotation.
const VERBS: &[&str] = &[
    "said",
    "says",
    "told",
    "tells",
    "added",
    "adds",
    "asked",
    "asks",
    "warned",
    "warns",
    "stated",
    "states",
    "wrote",
    "writes",
    "explained",
    "noted",
    "insisted",
    "replied",
    "declared",
    "argued",
    "claimed",
    "continued",
    "tweeted",
    "urged",
    "stressed",
    "responded",
    "announced",
    "commented",
    "recalled",
    "concluded",
    "admitted",
];

/// Capitalised words that start sentences but never name a speaker.
const NOT_NAMES: &[&str] = &[
    "He", "She", "They", "It", "We", "I", "You", "The", "This", "That", "These", "Those", "But",
    "And", "Then", "There", "Here", "His", "Her", "Their", "Its", "A", "An", "In", "On", "At",
    "As", "If", "When", "While", "After", "Before", "Also",
];

/// How far before an opening or after a closing mark a speaker is looked for, in chars.
const SPEAKER_WINDOW: usize = 80;

fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Finds every quotation in `text`, line by line (a quotation never spans a line break).
pub(super) fn find(text: &str) -> Vec<Suggestion> {
    let mut out = Vec::new();
    for (base, _, line) in super::lines_with_offsets(text) {
        if !line.contains(['“', '”', '„', '«', '»', '"', '‘', '‚']) {
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        for (open, close) in double_pairs(&chars).into_iter().chain(single_pairs(&chars)) {
            let body: String = chars[open + 1..close].iter().collect();
            let Some((start, mut end, mut t)) = super::trimmed(&body, base + open + 1) else {
                continue;
            };
            // A comma before the closing mark belongs to the sentence around the quotation.
            if let Some(shorter) = t.strip_suffix(',') {
                t = shorter.trim_end();
                end = start + t.chars().count();
            }
            if !t.chars().any(char::is_alphanumeric) {
                continue;
            }
            let mut attrs = BTreeMap::new();
            if let Some(who) = speaker(&chars, open, close) {
                attrs.insert("speaker".to_owned(), who);
            }
            out.push(Suggestion {
                start,
                end,
                tag: QUOTE_TAG.to_owned(),
                source: Source::Quotes,
                attrs,
                text: t.to_owned(),
                score: 0.0,
                by: None,
                explanation: None,
            });
        }
    }
    out
}

/// The closing marks that may end a quotation opened with `open`.
fn closes(open: char, c: char) -> bool {
    matches!(
        (open, c),
        ('“', '”') | ('„', '“') | ('„', '”') | ('«', '»') | ('»', '«') | ('”', '”') | ('"', '"')
    )
}

/// Pairs of double quotation marks in one line, as (open index, close index).
fn double_pairs(chars: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, char)> = None;
    for (i, &c) in chars.iter().enumerate() {
        if !matches!(c, '“' | '”' | '„' | '«' | '»' | '"') {
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        if let Some((o, oc)) = open {
            // French closing guillemets may follow a space; other closers follow the text.
            let attached = prev.is_some_and(|p| !is_space(p)) || c == '»' || c == '«';
            if closes(oc, c) && attached {
                out.push((o, i));
                open = None;
                continue;
            }
        }
        if can_open(c, prev, next) {
            // A new opener while one is open: the earlier mark was stray.
            open = Some((i, c));
        }
    }
    out
}

fn can_open(c: char, prev: Option<char>, next: Option<char>) -> bool {
    let Some(next) = next else { return false };
    match c {
        '«' => true,
        '“' | '„' => !is_space(next),
        // Marks that also close: open only when they stand before a word, not after one.
        _ => !is_space(next) && !prev.is_some_and(char::is_alphanumeric),
    }
}

/// Pairs of single quotation marks (‘…’ and ‚…‘) in one line. An opening ‘ stands after a
/// space, a bracket or another quotation mark and before a letter; a closing ’ follows the
/// text and is not followed by a letter (which would make it an apostrophe, as in `don’t`).
fn single_pairs(chars: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, char)> = None;
    for (i, &c) in chars.iter().enumerate() {
        if !matches!(c, '‘' | '’' | '‚') {
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        if let Some((o, oc)) = open {
            let want = if oc == '‚' { '‘' } else { '’' };
            let after_text = prev.is_some_and(|p| !is_space(p));
            let not_in_word = !next.is_some_and(char::is_alphanumeric);
            if c == want && after_text && not_in_word {
                out.push((o, i));
                open = None;
                continue;
            }
        }
        let opens_here = matches!(c, '‘' | '‚')
            && prev.is_none_or(|p| is_space(p) || "([{“„«»\"—–-:".contains(p))
            && next.is_some_and(char::is_alphabetic);
        if opens_here {
            open = Some((i, c));
        }
    }
    out
}

/// The words of a string with their char offsets: runs of letters, digits, `-` and `’`,
/// and a title's closing dot (`Mr.`).
fn words(chars: &[char]) -> Vec<CharRange> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_alphanumeric() {
            let s = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || (matches!(chars[i], '-' | '’' | '\'')
                        && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())))
            {
                i += 1;
            }
            let w: String = chars[s..i].iter().collect();
            if matches!(
                w.as_str(),
                "Mr" | "Mrs" | "Ms" | "Dr" | "St" | "Gen" | "Sen" | "Rep"
            ) && chars.get(i) == Some(&'.')
            {
                i += 1;
            }
            out.push(CharRange::new(s, i));
        } else {
            i += 1;
        }
    }
    out
}

fn is_name_word(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase) && !NOT_NAMES.contains(&w)
}

/// The longest run of name words starting at word `k` (at most five), as text.
fn name_from(chars: &[char], ws: &[CharRange], k: usize) -> Option<(String, usize)> {
    let mut j = k;
    while j < ws.len() && j - k < 5 {
        let w: String = chars[ws[j].start..ws[j].end].iter().collect();
        // Words of one name are separated by a single space.
        if !is_name_word(&w) || (j > k && ws[j].start != ws[j - 1].end + 1) {
            break;
        }
        j += 1;
    }
    (j > k).then(|| (chars[ws[k].start..ws[j - 1].end].iter().collect(), j))
}

fn word(chars: &[char], w: CharRange) -> String {
    chars[w.start..w.end].iter().collect()
}

/// The speaker named next to the quotation `open..=close`: after it (`” Putin said`,
/// `” said Mr Macron`, `” according to RT`) or before it (`Macron added, “…`).
fn speaker(chars: &[char], open: usize, close: usize) -> Option<String> {
    // After: up to the window or a sentence end.
    let from = close + 1;
    let to = (from + SPEAKER_WINDOW).min(chars.len());
    let after = &chars[from..to];
    let lead = after
        .iter()
        .take_while(|c| is_space(**c) || **c == ',')
        .count();
    let ws = words(after);
    // Only words before the next quotation mark belong to this quotation's attribution.
    let stop = after
        .iter()
        .position(|c| matches!(c, '“' | '”' | '„' | '«' | '»' | '"'))
        .unwrap_or(after.len());
    let ws: Vec<CharRange> = ws.into_iter().filter(|w| w.end <= stop).collect();
    if let Some(&first) = ws.first()
        && first.start == lead
    {
        let w0 = word(after, first);
        if VERBS.contains(&w0.as_str()) {
            if let Some((name, _)) = name_from(after, &ws, 1)
                && ws[1].start == first.end + 1
            {
                return Some(name);
            }
        } else if let Some((name, j)) = name_from(after, &ws, 0)
            && j < ws.len()
            && VERBS.contains(&word(after, ws[j]).as_str())
        {
            return Some(name);
        }
    }
    // "… according to X" within the same sentence.
    for k in 0..ws.len().saturating_sub(2) {
        if word(after, ws[k]).eq_ignore_ascii_case("according") && word(after, ws[k + 1]) == "to" {
            let before_sentence_end = !after[..ws[k].start]
                .iter()
                .any(|c| matches!(c, '.' | '!' | '?'));
            if before_sentence_end && let Some((name, _)) = name_from(after, &ws, k + 2) {
                return Some(name);
            }
        }
    }
    // Before: "X said:", "X told reporters:", "said X,".
    let begin = open.saturating_sub(SPEAKER_WINDOW);
    let before = &chars[begin..open];
    let ws = words(before);
    // Words after the last sentence end or quotation mark only (a title's dot is no end).
    let mut in_word = vec![false; before.len()];
    for w in &ws {
        in_word[w.start..w.end].iter_mut().for_each(|x| *x = true);
    }
    let cut = (0..before.len())
        .rev()
        .find(|&p| {
            matches!(before[p], '!' | '?' | '“' | '”' | '„' | '«' | '»' | '"')
                || (before[p] == '.' && !in_word[p])
        })
        .map_or(0, |p| p + 1);
    let ws: Vec<CharRange> = ws.into_iter().filter(|w| w.start >= cut).collect();
    let n = ws.len();
    for v in (n.saturating_sub(6)..n).rev() {
        if !VERBS.contains(&word(before, ws[v]).as_str()) {
            continue;
        }
        // "X said": the name ends right before the verb.
        let mut k = v;
        while k > 0 && is_name_word(&word(before, ws[k - 1])) && ws[k].start == ws[k - 1].end + 1 {
            k -= 1;
        }
        if k < v {
            return name_from(before, &ws, k).map(|(n, _)| n);
        }
        // "said X,".
        if v + 1 < n && ws[v + 1].start == ws[v].end + 1 {
            return name_from(before, &ws, v + 1).map(|(n, _)| n);
        }
        return None;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotes(s: &str) -> Vec<(String, Option<String>)> {
        find(s)
            .into_iter()
            .map(|x| (x.text, x.attrs.get("speaker").cloned()))
            .collect()
    }

    fn q(t: &str, who: Option<&str>) -> (String, Option<String>) {
        (t.to_owned(), who.map(str::to_owned))
    }

    #[test]
    fn every_style_of_double_quotes_pairs_up() {
        assert_eq!(quotes("He said “yes”."), [q("yes", None)]);
        assert_eq!(quotes("Er sagte „ja“."), [q("ja", None)]);
        assert_eq!(quotes("Il a dit « oui »."), [q("oui", None)]);
        assert_eq!(quotes("a \"plain\" quote"), [q("plain", None)]);
        // The seeds' closing-mark-as-opener style.
        assert_eq!(
            quotes(
                "Crimea.”You want war?”Putin asked.”Next one.””And another,” Putin told reporters."
            ),
            [
                q("You want war?", Some("Putin")),
                q("Next one.", None),
                q("And another", Some("Putin"))
            ]
        );
    }

    #[test]
    fn apostrophes_are_not_quotes() {
        assert!(quotes("I don’t think Silicon Valley’s boom of the ’90s will return.").is_empty());
        assert!(quotes("the voters’ choice and the ’80s, don’t").is_empty());
        assert_eq!(
            quotes("to ‘reintegrate’ the ‘national policy’ of Crimea, don’t"),
            [q("reintegrate", None), q("national policy", None)]
        );
        assert_eq!(
            quotes("He called it ‘Valley’s best’ today."),
            [q("Valley’s best", None)]
        );
    }

    #[test]
    fn speakers_named_next_to_the_quote_are_filled() {
        assert_eq!(
            quotes("“We are ready,” Scholz said."),
            [q("We are ready", Some("Scholz"))]
        );
        assert_eq!(
            quotes("“It is clear,” said Mr Macron on Monday."),
            [q("It is clear", Some("Mr Macron"))]
        );
        assert_eq!(
            quotes("Scholz told the Washington Post: “We are united.”"),
            [q("We are united.", Some("Scholz"))]
        );
        assert_eq!(
            quotes("the “ongoing efforts,” according to the White House."),
            [q("ongoing efforts", None)]
        );
        assert_eq!(
            quotes("“very important,” according to Dmitry Peskov."),
            [q("very important", Some("Dmitry Peskov"))]
        );
        assert_eq!(
            quotes("“We will speak again,” Mr. Putin said."),
            [q("We will speak again", Some("Mr. Putin"))]
        );
        assert_eq!(quotes("He said: “War.”"), [q("War.", None)]);
        assert_eq!(
            quotes("Macron added, “If Russia is not secure.”"),
            [q("If Russia is not secure.", Some("Macron"))]
        );
    }
}
