//! Phrase lists matched as whole words: the dictionaries, and the phrases the annotator
//! already tagged (proposed for their other occurrences).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{Source, Suggestion};

/// Phrases shorter than this (in chars) are not matched: a tagged "it" would be everywhere.
pub const MIN_PHRASE_CHARS: usize = 3;

#[derive(Debug)]
struct Phrase {
    tag: String,
    text: String,
    chars: usize,
    /// Bytes and chars before the phrase's first word.
    lead_bytes: usize,
    lead_chars: usize,
    /// Whether the phrase starts or ends with a letter or digit (then a word boundary is
    /// required there).
    word_start: bool,
    word_end: bool,
}

/// Phrases indexed by their first word, so a text is scanned once whatever their number.
#[derive(Debug, Default)]
pub(super) struct PhraseIndex {
    phrases: Vec<Phrase>,
    by_first_word: HashMap<String, Vec<usize>>,
    seen: HashSet<(String, String)>,
}

impl PhraseIndex {
    pub(super) fn add(&mut self, tag: &str, text: &str) {
        if text.chars().count() < MIN_PHRASE_CHARS || text.trim() != text {
            return;
        }
        let Some((lead_bytes, first)) = text
            .char_indices()
            .find(|(_, c)| c.is_alphanumeric())
            .map(|(b, _)| (b, first_word(&text[b..])))
        else {
            return;
        };
        if !self.seen.insert((tag.to_owned(), text.to_owned())) {
            return;
        }
        let id = self.phrases.len();
        self.phrases.push(Phrase {
            tag: tag.to_owned(),
            text: text.to_owned(),
            chars: text.chars().count(),
            lead_bytes,
            lead_chars: text[..lead_bytes].chars().count(),
            word_start: text.chars().next().is_some_and(char::is_alphanumeric),
            word_end: text.chars().next_back().is_some_and(char::is_alphanumeric),
        });
        self.by_first_word
            .entry(first.to_owned())
            .or_default()
            .push(id);
    }

    pub(super) fn find(&self, text: &str, source: Source) -> Vec<Suggestion> {
        let mut out = Vec::new();
        if self.phrases.is_empty() {
            return out;
        }
        // Each word start is looked up once, walking the text once.
        let mut prev: Option<char> = None;
        for (ci, bi, c) in super::char_positions(text) {
            let starts_word = c.is_alphanumeric() && !prev.is_some_and(char::is_alphanumeric);
            prev = Some(c);
            if !starts_word {
                continue;
            }
            let w = first_word(&text[bi..]);
            let Some(ids) = self.by_first_word.get(w) else {
                continue;
            };
            for &id in ids {
                let p = &self.phrases[id];
                let Some(b0) = bi.checked_sub(p.lead_bytes) else {
                    continue;
                };
                let Some(c0) = ci.checked_sub(p.lead_chars) else {
                    continue;
                };
                if !text.is_char_boundary(b0) || !text[b0..].starts_with(&p.text) {
                    continue;
                }
                let b1 = b0 + p.text.len();
                let before_ok = !p.word_start
                    || !text[..b0]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric);
                let after_ok =
                    !p.word_end || !text[b1..].chars().next().is_some_and(char::is_alphanumeric);
                if before_ok && after_ok {
                    out.push(Suggestion {
                        start: c0,
                        end: c0 + p.chars,
                        tag: p.tag.clone(),
                        source,
                        attrs: BTreeMap::new(),
                        text: p.text.clone(),
                    });
                }
            }
        }
        out
    }
}

/// The run of letters and digits a string starts with.
fn first_word(s: &str) -> &str {
    let end = s
        .char_indices()
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or(s.len(), |(b, _)| b);
    &s[..end]
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
            ix.find(s, Source::Dictionary)
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
