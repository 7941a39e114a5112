//! Phrase lists matched as whole words: the dictionaries, and the phrases the annotator
//! already tagged (proposed for their other occurrences).

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use super::{Source, Suggestion};
use crate::model::text::Text;

/// Phrases shorter than this (in chars) are not matched: a tagged "it" would be everywhere.
pub const MIN_PHRASE_CHARS: usize = 3;

/// A phrase's bits for [`PhraseIndex::each_match`]: its tag is asked for, and it needs a word
/// boundary before or after.
const ALLOWED: u8 = 1;
const WORD_START: u8 = 2;
const WORD_END: u8 = 4;

#[derive(Debug, Clone)]
struct Phrase {
    tag: String,
    text: String,
    chars: usize,
    /// Whether the phrase starts or ends with a letter or digit (then a word boundary is
    /// required there).
    word_start: bool,
    word_end: bool,
}

/// Phrases in one Aho–Corasick automaton, so a text is scanned once, in linear time, whatever
/// their number or how many share a first word (indexing by first word took minutes on a
/// 10 MB text with 100,000 tagged phrases).
#[derive(Debug, Default)]
pub(super) struct PhraseIndex {
    phrases: Vec<Phrase>,
    seen: HashSet<(String, String)>,
    /// Built on first use, over `phrases` in order (`None` when there are none or it failed).
    automaton: OnceLock<Option<AhoCorasick>>,
}

impl PhraseIndex {
    pub(super) fn add(&mut self, tag: &str, text: &str) {
        if text.chars().count() < MIN_PHRASE_CHARS || text.trim() != text {
            return;
        }
        if !text.chars().any(char::is_alphanumeric) {
            return;
        }
        if !self.seen.insert((tag.to_owned(), text.to_owned())) {
            return;
        }
        self.phrases.push(Phrase {
            tag: tag.to_owned(),
            text: text.to_owned(),
            chars: text.chars().count(),
            word_start: text.chars().next().is_some_and(char::is_alphanumeric),
            word_end: text.chars().next_back().is_some_and(char::is_alphanumeric),
        });
        self.automaton = OnceLock::new();
    }

    /// A copy of the phrases added so far, to match while more are added to this one (it
    /// cannot be added to: it forgets which phrases it has).
    pub(super) fn snapshot(&self) -> Self {
        Self {
            phrases: self.phrases.clone(),
            seen: HashSet::new(),
            automaton: OnceLock::new(),
        }
    }

    /// The automaton over the phrases, built on first use.
    pub(super) fn automaton(&self) -> Option<&AhoCorasick> {
        self.automaton
            .get_or_init(|| {
                (!self.phrases.is_empty())
                    .then(|| AhoCorasick::new(self.phrases.iter().map(|p| p.text.as_str())).ok())
                    .flatten()
            })
            .as_ref()
    }

    /// The phrases of a tag `allowed` allows found in `text` as whole words, overlapping ones
    /// too, sorted by range; with more than `cap` found, `cap` of them chosen evenly over the
    /// text in the order found. Returns them and how many were found.
    ///
    /// A text where tagged phrases recur on every word (a generated one) has millions of
    /// matches: one scan counts them all but holds at most `2 * cap` (every match, then every
    /// second, every fourth... as the count grows), from which `cap` are taken evenly.
    pub(super) fn find(
        &self,
        text: &Text,
        source: Source,
        cap: usize,
        allowed: &dyn Fn(&str) -> bool,
    ) -> (Vec<Suggestion>, usize) {
        let Some(ac) = self.automaton() else {
            return (Vec::new(), 0);
        };
        // What a match needs to know of its phrase, in one byte a phrase: a text with millions
        // of matches reads these at random, and reading the phrases themselves (64 bytes each,
        // 6 MB for 100,000) missed the cache on nearly every match.
        let flags: Vec<u8> = (self.phrases.iter())
            .map(|p| {
                let bit = |on: bool, b: u8| if on { b } else { 0 };
                bit(allowed(&p.tag), ALLOWED)
                    | bit(p.word_start, WORD_START)
                    | bit(p.word_end, WORD_END)
            })
            .collect();
        let room = cap.max(1) * 2;
        // (match number, phrase, byte): every `stride`th match so far.
        let mut picked: Vec<(usize, usize, usize)> = Vec::new();
        let (mut found, mut stride) = (0usize, 1usize);
        self.each_match(ac, text.as_str(), &flags, |phrase, b0| {
            if found.is_multiple_of(stride) {
                picked.push((found, phrase, b0));
                if picked.len() >= room {
                    stride *= 2;
                    picked.retain(|x| x.0.is_multiple_of(stride));
                }
            }
            found += 1;
        });
        let n = picked.len();
        let mut out: Vec<Suggestion> = (picked.into_iter().enumerate())
            .filter(|(j, _)| found <= cap || super::keeps(*j, n, cap))
            .filter_map(|(_, (_, phrase, b0))| {
                let p = self.phrases.get(phrase)?;
                let c0 = text.char_of_byte(b0);
                Some(Suggestion {
                    start: c0,
                    end: c0 + p.chars,
                    tag: p.tag.clone(),
                    source,
                    attrs: BTreeMap::new(),
                    text: p.text.clone(),
                    score: 0.0,
                    by: None,
                    explanation: None,
                })
            })
            .collect();
        out.sort_by_key(|x| (x.start, x.end));
        (out, found)
    }

    /// Calls `f` with each phrase (by number) matched as whole words whose `flags` allow it,
    /// and the byte it starts at, in the order the automaton finds them.
    fn each_match(&self, ac: &AhoCorasick, s: &str, flags: &[u8], mut f: impl FnMut(usize, usize)) {
        for m in ac.find_overlapping_iter(s) {
            let i = m.pattern().as_usize();
            let fl = flags.get(i).copied().unwrap_or(0);
            if fl & ALLOWED == 0 {
                continue;
            }
            let (b0, b1) = (m.start(), m.end());
            let before_ok = fl & WORD_START == 0
                || !s[..b0]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric);
            let after_ok =
                fl & WORD_END == 0 || !s[b1..].chars().next().is_some_and(char::is_alphanumeric);
            if before_ok && after_ok {
                f(i, b0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_whole_words_only() {
        let mut ix = PhraseIndex::default();
        ix.add("boilerplate", "Read Full Article on");
        ix.add("error", "Putin");
        ix.add("claim", "(Macron) said");
        let found = |s: &str| -> Vec<(usize, usize, String)> {
            ix.find(&Text::from_string(s), Source::Dictionary, 100, &|_| true)
                .0
                .into_iter()
                .map(|x| (x.start, x.end, x.tag))
                .collect()
        };
        assert_eq!(
            found("Putinism. Putin, Read Full Article online; Read Full Article on x"),
            [(10, 15, "error".into()), (43, 63, "boilerplate".into())]
        );
        assert_eq!(found("é (Macron) said"), [(2, 15, "claim".into())]);
    }
}

#[cfg(test)]
mod cap_tests {
    use super::*;

    /// More matches than the cap: the cap, spread evenly over the text in the order found
    /// (overlapping matches and two tags on one phrase count one each), with the full count.
    #[test]
    fn past_the_cap_matches_are_counted_and_kept_evenly() {
        let mut ix = PhraseIndex::default();
        ix.add("claim", "alpha beta");
        ix.add("quote", "alpha beta");
        ix.add("claim", "beta gamma");
        let text = Text::from_string(&"alpha beta gamma. ".repeat(1000));
        let len = text.char_len();
        let (list, found) = ix.find(&text, Source::Repeats, 300, &|_| true);
        assert_eq!(found, 3000);
        assert_eq!(list.len(), 300);
        let mut tenths = [0; 10];
        for s in &list {
            tenths[s.start * 10 / len] += 1;
        }
        assert!(tenths.iter().all(|&n| (27..=33).contains(&n)), "{tenths:?}");
        assert!(
            list.windows(2)
                .all(|w| (w[0].start, w[0].end) <= (w[1].start, w[1].end))
        );
        // Under the cap, all of them; a tag not allowed is neither kept nor counted.
        assert_eq!(
            ix.find(&text, Source::Repeats, 3000, &|_| true).0.len(),
            3000
        );
        let (list, found) = ix.find(&text, Source::Repeats, 300, &|t| t == "quote");
        assert_eq!((list.len(), found), (300, 1000));
        assert!(
            list.iter()
                .all(|s| s.tag == "quote" && s.text == "alpha beta")
        );
        assert_eq!(ix.find(&text, Source::Repeats, 0, &|_| true).0.len(), 0);
    }
}
