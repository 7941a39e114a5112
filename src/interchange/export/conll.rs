//! CoNLL-2003-style IOB2 export: one `token<TAB>tag` line per token, a blank line between
//! sentences, and `-DOCSTART- -X- O O` before each document — the delimiter spaCy's
//! `spacy convert -c ner` splits documents on. Tokens are made by [`super::tokens`].
//!
//! CoNLL holds one tag per token, so overlapping spans are resolved by [`Overlap`] and the
//! number dropped is reported. A span boundary that falls inside a token cannot be represented:
//! the whole token is tagged and the boundary is reported. A sentence never ends inside a span
//! (the span's tokens stay in one sentence), so no entity starts with `I-`. A tag name with spaces is written with
//! `_` in their place, since readers split columns on whitespace. Relations are not
//! representable: the report counts them per document.

use std::collections::BTreeMap;
use std::io::Write;

use super::tokens::{is_separator, tokenize};
use super::{DocWriter, ExportDoc, ExportError, ExportSummary, Overlap, write_err};
use crate::model::layer::Span;

/// The line written before each document.
pub const DOCSTART: &str = "-DOCSTART- -X- O O";

/// Chooses non-overlapping spans. Returns the kept spans sorted by start, and how many were
/// dropped.
///
/// # Errors
/// With [`Overlap::Error`], the ids of the first two overlapping spans.
pub fn resolve_overlaps<'a>(
    spans: &[&'a Span],
    rule: Overlap,
) -> Result<(Vec<&'a Span>, usize), (u64, u64)> {
    let mut sorted: Vec<&Span> = spans.to_vec();
    sorted.sort_by_key(|s| s.sort_key());
    match rule {
        Overlap::Error | Overlap::First => {
            let mut kept: Vec<&Span> = Vec::with_capacity(sorted.len());
            for s in sorted {
                if let Some(last) = kept.last()
                    && last.end > s.start
                {
                    if rule == Overlap::Error {
                        return Err((last.id, s.id));
                    }
                    continue;
                }
                kept.push(s);
            }
            let dropped = spans.len() - kept.len();
            Ok((kept, dropped))
        }
        Overlap::Longest => {
            let mut by_len = sorted.clone();
            by_len.sort_by_key(|s| (std::cmp::Reverse(s.end - s.start), s.start, s.id));
            // Kept spans keyed by start; none of them overlap, so a neighbour check suffices.
            let mut kept: BTreeMap<usize, &Span> = BTreeMap::new();
            for s in by_len {
                let before = kept.range(..s.end).next_back().map(|(_, k)| *k);
                if before.is_some_and(|k| k.end > s.start) {
                    continue;
                }
                kept.insert(s.start, s);
            }
            let kept: Vec<&Span> = kept.into_values().collect();
            let dropped = spans.len() - kept.len();
            Ok((kept, dropped))
        }
    }
}

pub(crate) struct ConllSink<'w> {
    w: &'w mut dyn Write,
    shown: String,
    overlap: Overlap,
}

impl<'w> ConllSink<'w> {
    pub(crate) fn new(w: &'w mut dyn Write, shown: &str, overlap: Overlap) -> Self {
        Self {
            w,
            shown: shown.to_owned(),
            overlap,
        }
    }
}

impl DocWriter for ConllSink<'_> {
    fn document(
        &mut self,
        doc: &ExportDoc<'_>,
        summary: &mut ExportSummary,
    ) -> Result<(), ExportError> {
        let (kept, dropped) =
            resolve_overlaps(&doc.spans, self.overlap).map_err(|(a, b)| ExportError::Overlap {
                document: format!("{} ({})", doc.rel, doc.annotator),
                first: a,
                second: b,
            })?;
        summary.conll.overlaps_dropped += dropped;
        summary.leave_out_relations(
            doc,
            doc.relations.len(),
            "not representable: CoNLL has one tag per token and no place for links between spans",
        );
        let tokens = tokenize(doc.text.as_str());
        let mut out = String::with_capacity(doc.text.as_str().len() * 2);
        out.push_str(DOCSTART);
        out.push_str("\n\n");
        let mut si = 0usize; // first kept span that may still cover a token
        let mut tagged = vec![false; kept.len()];
        let mut in_sentence = false;
        for t in &tokens {
            while si < kept.len() && kept[si].end <= t.start {
                si += 1;
            }
            // A sentence never ends inside a span: IOB2 readers take each sentence alone, and an
            // entity must not start with I-.
            let continues_span = si < kept.len() && tagged[si] && kept[si].start < t.end;
            if t.sentence_start && in_sentence && !continues_span {
                out.push('\n');
            }
            in_sentence = true;
            out.push_str(t.text);
            out.push('\t');
            match kept.get(si) {
                Some(s) if s.start < t.end => {
                    out.push_str(if tagged[si] { "I-" } else { "B-" });
                    out.extend(s.tag.chars().map(|c| if is_separator(c) { '_' } else { c }));
                    tagged[si] = true;
                    let mut describe = |what: &str| {
                        summary.conll.boundaries_inside_tokens.push(format!(
                            "{} ({}): span {} ({}) {what} inside the token {:?} at {}..{}",
                            doc.rel, doc.annotator, s.id, s.tag, t.text, t.start, t.end
                        ))
                    };
                    if t.start < s.start {
                        describe("starts");
                    }
                    if s.end < t.end {
                        describe("ends");
                    }
                }
                _ => out.push('O'),
            }
            out.push('\n');
        }
        if in_sentence {
            out.push('\n');
        }
        // A span no token was tagged for: either it holds only separators, or its token went to
        // the span before it (both end inside one token).
        let chars: Vec<char> = doc.text.as_str().chars().collect();
        for (s, was_tagged) in kept.iter().zip(&tagged) {
            if *was_tagged {
                continue;
            }
            let covered = chars.get(s.start..s.end).unwrap_or(&[]);
            let line = format!(
                "{} ({}): span {} ({}) at {}..{}",
                doc.rel, doc.annotator, s.id, s.tag, s.start, s.end
            );
            if covered.iter().all(|&c| is_separator(c)) {
                summary.conll.spans_without_token.push(line);
            } else {
                summary.conll.spans_in_taken_token.push(line);
            }
        }
        *summary.conll.entities.get_or_insert(0) += tagged.iter().filter(|&&t| t).count();
        self.w
            .write_all(out.as_bytes())
            .map_err(write_err(&self.shown))
    }

    fn finish(&mut self, _: &mut ExportSummary) -> Result<(), ExportError> {
        self.w.flush().map_err(write_err(&self.shown))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::layer::make_span;
    use crate::model::text::Text;

    fn spans(text: &Text, ranges: &[(usize, usize)]) -> Vec<Span> {
        ranges
            .iter()
            .enumerate()
            .map(|(i, &(s, e))| make_span(text, i as u64 + 1, s, e, "quote", "t"))
            .collect()
    }

    #[test]
    fn a_span_across_a_sentence_boundary_keeps_its_sentence_together() {
        let text = Text::from_string("He left. She stayed.\nNext line.");
        let owned = spans(&text, &[(3, 12), (19, 25)]);
        let doc = ExportDoc {
            rel: "a.txt",
            text: &text,
            annotator: "a",
            status: crate::model::layer::Status::Done,
            spans: owned.iter().collect(),
            source: None,
            relations: Vec::new(),
        };
        let mut buf = Vec::new();
        let mut sum = ExportSummary::default();
        let mut sink = ConllSink::new(&mut buf, "-", Overlap::Longest);
        sink.document(&doc, &mut sum).unwrap();
        let out = String::from_utf8(buf).unwrap();
        assert_eq!(
            out,
            "-DOCSTART- -X- O O\n\nHe\tO\nleft\tB-quote\n.\tI-quote\nShe\tI-quote\nstayed\tO\n.\tB-quote\nNext\tI-quote\nline\tO\n.\tO\n\n"
        );
    }

    #[test]
    fn overlap_rules_keep_what_they_promise() {
        let text = Text::from_string(&"x".repeat(40));
        let owned = spans(&text, &[(0, 5), (3, 20), (18, 25), (30, 35)]);
        let refs: Vec<&Span> = owned.iter().collect();
        let ids = |v: &[&Span]| v.iter().map(|s| s.id).collect::<Vec<_>>();
        let (k, d) = resolve_overlaps(&refs, Overlap::First).unwrap();
        assert_eq!((ids(&k), d), (vec![1, 3, 4], 1));
        let (k, d) = resolve_overlaps(&refs, Overlap::Longest).unwrap();
        assert_eq!((ids(&k), d), (vec![2, 4], 2));
        assert_eq!(resolve_overlaps(&refs, Overlap::Error).unwrap_err(), (1, 2));
    }
}
