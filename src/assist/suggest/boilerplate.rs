//! Boilerplate: lines that recur across the workspace (exactly, or after normalising
//! whitespace and digits), and lines the annotator tagged boilerplate in another document.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{BOILERPLATE_TAG, Source, Suggestion};
use crate::model::layer::{Layer, Span};
use crate::model::range::CharRange;
use crate::model::text::Text;

/// A line recurring in this many documents is proposed.
pub const MIN_DOCUMENTS: u32 = 3;
/// A line occurring this many times in the workspace (in any documents) is proposed too:
/// page furniture such as a player notice repeats within one article.
pub const MIN_OCCURRENCES: u32 = 3;

/// A line's key: whitespace runs become one space, digit runs one `0`, trimmed. `None` for
/// lines with no letter (blank lines, bare numbers), which are never proposed.
fn normalise(line: &str) -> Option<String> {
    let mut out = String::with_capacity(line.len());
    let mut letters = false;
    let (mut in_space, mut in_digit) = (false, false);
    for c in line.trim().chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
            in_digit = false;
        } else if c.is_ascii_digit() {
            if !in_digit {
                out.push('0');
            }
            in_digit = true;
            in_space = false;
        } else {
            letters |= c.is_alphabetic();
            out.push(c);
            in_space = false;
            in_digit = false;
        }
    }
    letters.then_some(out)
}

#[derive(Debug, Default, Clone, Copy)]
struct Count {
    docs: u32,
    total: u32,
    /// The last document counted, so each document counts once in `docs`.
    last_doc: u32,
}

/// The lines proposed: the keys counted often enough by [`LineCounts`], and the lines the
/// annotator tagged boilerplate.
#[derive(Debug, Default)]
pub(super) struct LineStats {
    /// The keys proposed wherever they occur.
    proposed: HashSet<String>,
}

/// Line counts across the texts learned so far, one text at a time, and the lines the
/// annotator tagged boilerplate in them.
#[derive(Debug, Default)]
pub(super) struct LineCounts {
    counts: HashMap<String, Count>,
    /// Keys of whole lines inside the annotator's boilerplate spans.
    tagged: HashSet<String>,
    /// Texts counted so far (each text's number in [`Count::last_doc`]).
    docs: u32,
}

impl LineCounts {
    /// Counts the lines of one more text.
    pub(super) fn add_text(&mut self, text: &Text) {
        self.docs += 1;
        let doc = self.docs;
        for (_, _, line) in super::lines_with_offsets(text.as_str()) {
            let Some(key) = normalise(line) else { continue };
            let c = self.counts.entry(key).or_default();
            c.total += 1;
            if c.last_doc != doc {
                c.docs += 1;
                c.last_doc = doc;
            }
        }
    }

    /// Learns the whole lines inside `layer`'s boilerplate spans (`layer` is of `text`).
    pub(super) fn add_learned(&mut self, layer: &Layer, text: &Text) {
        let mut spans: Vec<CharRange> = layer
            .spans
            .iter()
            .filter(|s| s.tag == BOILERPLATE_TAG)
            .map(Span::range)
            .collect();
        if spans.is_empty() {
            return;
        }
        // Their union, as sorted disjoint ranges.
        spans.sort_unstable();
        let mut union: Vec<CharRange> = Vec::new();
        for r in spans {
            match union.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => union.push(r),
            }
        }
        for (base, _, line) in super::lines_with_offsets(text.as_str()) {
            let Some((s, e, t)) = super::trimmed(line, base) else {
                continue;
            };
            let i = union.partition_point(|r| r.start <= s);
            let covered = i > 0 && union[i - 1].end >= e;
            if covered && let Some(key) = normalise(t) {
                self.tagged.insert(key);
            }
        }
    }

    /// The lines proposed from what was counted so far.
    pub(super) fn stats(&self) -> LineStats {
        let recurring = self
            .counts
            .iter()
            .filter(|(_, c)| c.docs >= MIN_DOCUMENTS || c.total >= MIN_OCCURRENCES)
            .map(|(k, _)| k);
        LineStats {
            proposed: recurring.chain(&self.tagged).cloned().collect(),
        }
    }
}

impl LineStats {
    pub(super) fn find(&self, text: &str) -> Vec<Suggestion> {
        if self.proposed.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (base, _, line) in super::lines_with_offsets(text) {
            let Some((start, end, t)) = super::trimmed(line, base) else {
                continue;
            };
            let Some(key) = normalise(t) else { continue };
            if self.proposed.contains(&key) {
                out.push(Suggestion {
                    start,
                    end,
                    tag: BOILERPLATE_TAG.to_owned(),
                    source: Source::Boilerplate,
                    attrs: BTreeMap::new(),
                    text: t.to_owned(),
                    score: 0.0,
                    by: None,
                    explanation: None,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_folds_whitespace_and_digits() {
        assert_eq!(
            normalise("  Video  2:46\tplayer "),
            Some("Video 0:0 player".into())
        );
        assert_eq!(normalise("1920 1080"), None);
        assert_eq!(normalise("   "), None);
    }
}
