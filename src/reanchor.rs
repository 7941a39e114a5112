//! Finding spans again after their text changed, so that no annotation is lost or silently
//! misplaced when a typo is fixed, a paragraph is inserted or a file is re-scraped.
//!
//! Each span of a stale layer (its `text_sha256` differs from the text's) is re-anchored in
//! this order, in the spirit of the Hypothesis client's quote anchoring:
//! 1. **kept**: `exact` still sits at `start..end`;
//! 2. **moved**: `exact` occurs elsewhere; the occurrence whose prefix and suffix match best
//!    wins, ties broken by closeness to where the span was expected;
//! 3. **fuzzy**: an approximate match of `exact` with at most a quarter of its length in edits
//!    (Myers' bit-parallel search, first in a window around the expected place, then in the
//!    whole text within a work budget), scored by quote, prefix and suffix similarity; the span
//!    is flagged `attrs["anchor"] = "fuzzy"`;
//! 4. **orphaned**: nothing matches well enough; the span moves to `orphans` with its old
//!    offsets and text. It is never dropped.
//!
//! Orphans of an earlier change are tried again each time the text changes (it may have been
//! restored), and count in the summary like spans.

use std::collections::HashMap;

use crate::layer::{CONTEXT_CHARS, Layer, Orphan, Span};
use crate::text::Text;

/// The `attrs` key and value that flag a span placed by approximate matching.
pub const ANCHOR_ATTR: &str = "anchor";
pub const ANCHOR_FUZZY: &str = "fuzzy";

/// Longest `exact` (in chars) that fuzzy matching tries; longer spans are kept, moved or
/// orphaned, never fuzzily placed.
pub const MAX_FUZZY_CHARS: usize = 2000;

/// Work budget for whole-text fuzzy searches in one re-anchoring, in chars scanned × 64-char
/// blocks of the quote. On a 10 MB text this is a few dozen whole-text searches; spans beyond
/// it fall back to the window search only (and become orphans if that fails).
pub const WHOLE_TEXT_BUDGET: u64 = 400_000_000;

/// How far around the expected place the first fuzzy search looks, in chars (at least).
const WINDOW_CHARS: usize = 4096;

/// At most this many exact occurrences are scored (the nearest to the expected place).
const MAX_SCORED_OCCURRENCES: usize = 1000;

/// At most this many approximate match ends are collected in one search.
const MAX_FUZZY_CANDIDATES: usize = 10_000;

/// Hypothesis' weights: quote, prefix, suffix, position.
const QUOTE_WEIGHT: f64 = 50.0;
const PREFIX_WEIGHT: f64 = 20.0;
const SUFFIX_WEIGHT: f64 = 20.0;
const POSITION_WEIGHT: f64 = 2.0;

/// A quote shorter than this must have supporting context to be moved: short quotes
/// ("Putin") occur everywhere, and a wrong place is worse than an orphan.
const DISTINCTIVE_CHARS: usize = 32;

/// What re-anchoring did to a layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReanchorSummary {
    /// Spans whose `exact` was still at the same offsets.
    pub kept: usize,
    /// Spans found exactly elsewhere.
    pub moved: usize,
    /// Spans placed by approximate matching (flagged for the annotator to confirm).
    pub fuzzy: usize,
    /// Spans that could not be placed and were moved to `orphans`.
    pub orphaned: usize,
}

impl ReanchorSummary {
    /// Whether any span changed place or was orphaned.
    pub fn changed_anything(&self) -> bool {
        self.moved + self.fuzzy + self.orphaned > 0
    }

    /// Adds another summary's counts (for workspace totals).
    pub fn add(&mut self, other: &ReanchorSummary) {
        self.kept += other.kept;
        self.moved += other.moved;
        self.fuzzy += other.fuzzy;
        self.orphaned += other.orphaned;
    }
}

impl std::fmt::Display for ReanchorSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "text changed: {} kept, {} moved, {} fuzzy, {} orphaned",
            self.kept, self.moved, self.fuzzy, self.orphaned
        )
    }
}

/// How one span was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchoring {
    Kept,
    Moved { start: usize, end: usize },
    Fuzzy { start: usize, end: usize },
    Orphan,
}

/// Re-anchors every span of `layer` to `text` if the layer is stale (its `text_sha256`
/// differs). Returns `None` when the layer is not stale (nothing is changed).
///
/// Afterwards the layer records the text's sha256 and length. Spans are processed in order of
/// their old start; the shift of the last placed span predicts where the next one now is.
pub fn reanchor_layer(layer: &mut Layer, text: &Text) -> Option<ReanchorSummary> {
    if layer.text_sha256 == text.sha256() {
        return None;
    }
    let old_sha = std::mem::replace(&mut layer.text_sha256, text.sha256().to_owned());
    layer.text_chars = text.char_len();
    let mut summary = ReanchorSummary::default();
    let mut budget = WHOLE_TEXT_BUDGET;
    let mut spans = std::mem::take(&mut layer.spans);
    // Orphans of an earlier change are tried again: the text may have been restored.
    let earlier_orphans = std::mem::take(&mut layer.orphans);
    let mut old_sha_of: HashMap<u64, String> = HashMap::new();
    for o in earlier_orphans {
        old_sha_of.insert(o.span.id, o.old_text_sha256);
        spans.push(o.span);
    }
    spans.sort_by_key(Span::sort_key);
    let mut shift: i64 = 0;
    let mut kept_spans = Vec::with_capacity(spans.len());
    for mut span in spans {
        let hint = clamp_hint(as_i64(span.start).saturating_add(shift), text.char_len());
        match anchor_span(&span, text, hint, &mut budget) {
            Anchoring::Kept => {
                summary.kept += 1;
                refresh_context(&mut span, text);
                shift = 0;
                kept_spans.push(span);
            }
            Anchoring::Moved { start, end } => {
                summary.moved += 1;
                shift = as_i64(start).saturating_sub(as_i64(span.start));
                place(&mut span, text, start, end);
                kept_spans.push(span);
            }
            Anchoring::Fuzzy { start, end } => {
                summary.fuzzy += 1;
                shift = as_i64(start).saturating_sub(as_i64(span.start));
                place(&mut span, text, start, end);
                span.attrs
                    .insert(ANCHOR_ATTR.to_owned(), ANCHOR_FUZZY.to_owned());
                kept_spans.push(span);
            }
            Anchoring::Orphan => {
                summary.orphaned += 1;
                let old_text_sha256 = old_sha_of
                    .remove(&span.id)
                    .unwrap_or_else(|| old_sha.clone());
                layer.orphans.push(Orphan {
                    span,
                    old_text_sha256,
                });
            }
        }
    }
    layer.orphans.sort_by_key(|o| o.span.id);
    layer.spans = kept_spans;
    layer.normalize();
    Some(summary)
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn clamp_hint(h: i64, len: usize) -> usize {
    h.clamp(0, len as i64) as usize
}

fn place(span: &mut Span, text: &Text, start: usize, end: usize) {
    span.start = start;
    span.end = end;
    span.exact = text.slice(start, end).to_owned();
    refresh_context(span, text);
}

fn refresh_context(span: &mut Span, text: &Text) {
    let (prefix, suffix) = text.context(span.start, span.end, CONTEXT_CHARS);
    span.prefix = prefix;
    span.suffix = suffix;
}

/// Finds where `span` belongs in `text`. `hint` is the char offset where its start is expected.
/// `budget` limits whole-text fuzzy searches and is reduced by the work done.
pub fn anchor_span(span: &Span, text: &Text, hint: usize, budget: &mut u64) -> Anchoring {
    let quote_len = span.exact.chars().count();
    if quote_len == 0 {
        return Anchoring::Orphan;
    }
    if span.start < span.end
        && span.end <= text.char_len()
        && span.end - span.start == quote_len
        && text.slice(span.start, span.end) == span.exact
    {
        return Anchoring::Kept;
    }
    if let Some((start, end)) = exact_elsewhere(span, text, hint, quote_len) {
        return Anchoring::Moved { start, end };
    }
    if quote_len <= MAX_FUZZY_CHARS
        && let Some((start, end)) = fuzzy(span, text, hint, quote_len, budget)
    {
        return Anchoring::Fuzzy { start, end };
    }
    Anchoring::Orphan
}

/// The score of a candidate place, and whether its context supports it.
struct Scored {
    score: f64,
    supported: bool,
}

fn score_at(
    span: &Span,
    text: &Text,
    start: usize,
    end: usize,
    errors: usize,
    quote_len: usize,
    hint: usize,
) -> Scored {
    let prefix_len = span.prefix.chars().count();
    let suffix_len = span.suffix.chars().count();
    let before = text.slice(start.saturating_sub(prefix_len), start);
    let after = text.slice(end, end.saturating_add(suffix_len).min(text.char_len()));
    let prefix_score = similarity(&span.prefix, before);
    let suffix_score = similarity(&span.suffix, after);
    let quote_score = 1.0 - errors as f64 / quote_len.max(1) as f64;
    let len = text.char_len().max(1) as f64;
    let pos_score = 1.0 - (start as f64 - hint as f64).abs() / len;
    let score = (QUOTE_WEIGHT * quote_score
        + PREFIX_WEIGHT * prefix_score
        + SUFFIX_WEIGHT * suffix_score
        + POSITION_WEIGHT * pos_score)
        / (QUOTE_WEIGHT + PREFIX_WEIGHT + SUFFIX_WEIGHT + POSITION_WEIGHT);
    let supported = quote_len >= DISTINCTIVE_CHARS || prefix_score.max(suffix_score) >= 0.5;
    Scored { score, supported }
}

/// 1 − (edit distance / length of the expected string); 1 when nothing was expected.
fn similarity(expected: &str, found: &str) -> f64 {
    let a: Vec<char> = expected.chars().collect();
    if a.is_empty() {
        return 1.0;
    }
    let b: Vec<char> = found.chars().collect();
    let d = levenshtein(&a, &b);
    (1.0 - d as f64 / a.len() as f64).max(0.0)
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn exact_elsewhere(
    span: &Span,
    text: &Text,
    hint: usize,
    quote_len: usize,
) -> Option<(usize, usize)> {
    let hay = text.as_str();
    let hint_byte = text.byte_of(hint) as i64;
    // First near the expected place: an occurrence there whose prefix and suffix both match
    // fully cannot be beaten by one farther away, so the whole text need not be searched.
    let reach = WINDOW_CHARS.max(2 * quote_len);
    let win_start = text.byte_of(hint.saturating_sub(reach));
    let win_end = text.byte_of(hint.saturating_add(quote_len + reach));
    for (b, _) in hay[win_start..win_end].match_indices(span.exact.as_str()) {
        let start = text.char_of_byte(win_start + b);
        let end = start + quote_len;
        let before = text.slice(start.saturating_sub(span.prefix.chars().count()), start);
        let after = text.slice(end, end.saturating_add(span.suffix.chars().count()));
        if before == span.prefix && after == span.suffix {
            return Some((start, end));
        }
    }
    let mut found: Vec<usize> = hay
        .match_indices(span.exact.as_str())
        .map(|(b, _)| b)
        .collect();
    if found.is_empty() {
        return None;
    }
    if found.len() > MAX_SCORED_OCCURRENCES {
        found.sort_by_key(|&b| (b as i64 - hint_byte).abs());
        found.truncate(MAX_SCORED_OCCURRENCES);
    }
    let mut best: Option<(f64, usize, usize)> = None;
    for b in found {
        let start = text.char_of_byte(b);
        let end = start + quote_len;
        let s = score_at(span, text, start, end, 0, quote_len, hint);
        if !s.supported {
            continue;
        }
        let dist = start.abs_diff(hint);
        let better = match best {
            None => true,
            Some((bs, bstart, _)) => {
                s.score > bs || (s.score == bs && dist < bstart.abs_diff(hint))
            }
        };
        if better {
            best = Some((s.score, start, end));
        }
    }
    best.map(|(_, s, e)| (s, e))
}

/// The per-character match masks of a pattern for Myers' algorithm.
struct Peq {
    blocks: usize,
    ascii: Vec<u64>,
    other: HashMap<char, Vec<u64>>,
    zero: Vec<u64>,
}

impl Peq {
    fn new(pattern: &[char]) -> Self {
        let blocks = pattern.len().div_ceil(64).max(1);
        let mut ascii = vec![0u64; 128 * blocks];
        let mut other: HashMap<char, Vec<u64>> = HashMap::new();
        for (i, &c) in pattern.iter().enumerate() {
            let (w, bit) = (i / 64, 1u64 << (i % 64));
            if (c as u32) < 128 {
                ascii[c as usize * blocks + w] |= bit;
            } else {
                other.entry(c).or_insert_with(|| vec![0; blocks])[w] |= bit;
            }
        }
        Self {
            blocks,
            ascii,
            other,
            zero: vec![0; blocks],
        }
    }

    fn get(&self, c: char) -> &[u64] {
        if (c as u32) < 128 {
            let i = c as usize * self.blocks;
            &self.ascii[i..i + self.blocks]
        } else {
            self.other.get(&c).map_or(&self.zero, |v| v)
        }
    }
}

/// Myers/Hyyrö bit-parallel edit distance of `pattern` against every prefix of `text`.
///
/// With `anchored == false` the match may start anywhere (approximate substring search: the
/// top row is zero); with `anchored == true` it must start at the first char of `text`. Calls
/// `column(j, d)` after each text char, where `d` is the distance of the best match ending
/// after `j + 1` chars.
fn myers(
    peq: &Peq,
    m: usize,
    text: impl Iterator<Item = char>,
    anchored: bool,
    mut column: impl FnMut(usize, usize),
) {
    let blocks = peq.blocks;
    let mut pv = vec![u64::MAX; blocks];
    let mut mv = vec![0u64; blocks];
    let last_bit = (m - 1) % 64;
    let mut score = m as i64;
    for (j, c) in text.enumerate() {
        let eqs = peq.get(c);
        let mut hin: i64 = i64::from(anchored);
        for w in 0..blocks {
            let mut eq = eqs[w];
            let (p, mm) = (pv[w], mv[w]);
            let xv = eq | mm;
            if hin < 0 {
                eq |= 1;
            }
            let xh = ((eq & p).wrapping_add(p) ^ p) | eq;
            let mut ph = mm | !(xh | p);
            let mut mh = p & xh;
            let bit = if w + 1 == blocks { last_bit } else { 63 };
            let hout = if ph >> bit & 1 == 1 {
                1
            } else if mh >> bit & 1 == 1 {
                -1
            } else {
                0
            };
            ph <<= 1;
            mh <<= 1;
            if hin < 0 {
                mh |= 1;
            } else if hin > 0 {
                ph |= 1;
            }
            pv[w] = mh | !(xv | ph);
            mv[w] = ph & xv;
            if w + 1 == blocks {
                score += hout;
            }
            hin = hout;
        }
        column(j, score.max(0) as usize);
    }
}

fn fuzzy(
    span: &Span,
    text: &Text,
    hint: usize,
    quote_len: usize,
    budget: &mut u64,
) -> Option<(usize, usize)> {
    let max_errors = quote_len / 4;
    if max_errors == 0 {
        return None;
    }
    let pattern: Vec<char> = span.exact.chars().collect();
    let peq = Peq::new(&pattern);
    let reversed: Vec<char> = pattern.iter().rev().copied().collect();
    let rpeq = Peq::new(&reversed);
    let len = text.char_len();
    let reach = WINDOW_CHARS.max(2 * quote_len);
    let win = (
        hint.saturating_sub(reach),
        (hint + quote_len + reach).min(len),
    );
    if let Some(found) = fuzzy_in(span, text, &peq, &rpeq, quote_len, max_errors, win, hint) {
        return Some(found);
    }
    if win == (0, len) {
        return None;
    }
    let cost = len as u64 * peq.blocks as u64;
    if cost > *budget {
        return None;
    }
    *budget -= cost;
    fuzzy_in(
        span,
        text,
        &peq,
        &rpeq,
        quote_len,
        max_errors,
        (0, len),
        hint,
    )
}

#[allow(clippy::too_many_arguments)]
fn fuzzy_in(
    span: &Span,
    text: &Text,
    peq: &Peq,
    rpeq: &Peq,
    m: usize,
    max_errors: usize,
    (ws, we): (usize, usize),
    hint: usize,
) -> Option<(usize, usize)> {
    // Runs of consecutive match ends within the error bound; the best end of each run.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut in_run = false;
    myers(peq, m, text.slice(ws, we).chars(), false, |j, d| {
        if d <= max_errors {
            let end = ws + j + 1;
            let room = runs.len() < MAX_FUZZY_CANDIDATES;
            match runs.last_mut() {
                Some(last) if in_run && d < last.1 => *last = (end, d),
                Some(_) if in_run => {}
                // A pathological text (the quote matching almost everywhere) stops adding
                // candidates rather than growing without bound.
                _ if room => runs.push((end, d)),
                _ => {}
            }
            in_run = true;
        } else {
            in_run = false;
        }
    });
    if runs.is_empty() {
        return None;
    }
    runs.sort_by_key(|&(end, d)| (d, end.abs_diff(hint + m)));
    runs.truncate(16);
    let mut best: Option<(f64, usize, usize)> = None;
    for (end, _) in runs {
        let from = end.saturating_sub(m + max_errors);
        let back = text.slice(from, end);
        let mut best_start: Option<(usize, usize)> = None; // (distance, chars back)
        myers(rpeq, m, back.chars().rev(), true, |j, d| {
            let back_len = j + 1;
            let better = match best_start {
                None => true,
                Some((bd, bl)) => d < bd || (d == bd && back_len.abs_diff(m) < bl.abs_diff(m)),
            };
            if better {
                best_start = Some((d, back_len));
            }
        });
        let Some((errors, back_len)) = best_start else {
            continue;
        };
        if errors > max_errors {
            continue;
        }
        let start = end - back_len;
        let s = score_at(span, text, start, end, errors, m, hint);
        if !s.supported {
            continue;
        }
        if best.is_none_or(|(bs, _, _)| s.score > bs) {
            best = Some((s.score, start, end));
        }
    }
    best.map(|(_, s, e)| (s, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::make_span;

    fn layer_on(text: &Text, ranges: &[(usize, usize)]) -> Layer {
        let mut layer = Layer::new("t.txt", text, "editor-a");
        for &(s, e) in ranges {
            let id = layer.take_id();
            layer
                .spans
                .push(make_span(text, id, s, e, "quote", "2026-01-01T00:00:00Z"));
        }
        layer
    }

    fn distance_brute(p: &[char], t: &[char]) -> Vec<usize> {
        // best distance of p against any substring of t ending at each position
        let mut prev: Vec<usize> = vec![0; t.len() + 1];
        for (i, pc) in p.iter().enumerate() {
            let mut cur = vec![i + 1; t.len() + 1];
            for (j, tc) in t.iter().enumerate() {
                cur[j + 1] = (prev[j] + usize::from(pc != tc))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[1..].to_vec()
    }

    #[test]
    fn myers_matches_the_plain_dynamic_programme() {
        let text: Vec<char> =
            "the quick brown fox jumps over the lazy dog, the quick brown cat’s naps"
                .repeat(3)
                .chars()
                .collect();
        for pat in [
            "quick brwn fox",
            "lazy dgo",
            "x",
            "cat’s",
            &"quick brown fox jumps over the lazy dog the quick brown fox".repeat(2),
        ] {
            let p: Vec<char> = pat.chars().collect();
            let mut got = Vec::new();
            myers(
                &Peq::new(&p),
                p.len(),
                text.iter().copied(),
                false,
                |_, d| got.push(d),
            );
            assert_eq!(got, distance_brute(&p, &text), "{pat}");
        }
    }

    #[test]
    fn orders_kept_moved_fuzzy_orphan() {
        let old = Text::from_string(
            "Putin asked reporters: do you want a Franco-Russian war? Macron said nothing. The end.",
        );
        let layer0 = layer_on(&old, &[(0, 21), (23, 56), (57, 77)]);
        let new = Text::from_string(
            "NEW LINE. Putin asked reporters: do you want a Franco Russian war? The end.",
        );
        let mut layer = layer0.clone();
        let summary = reanchor_layer(&mut layer, &new).unwrap();
        assert_eq!(summary.moved, 1);
        assert_eq!(summary.fuzzy, 1, "{layer:#?}");
        assert_eq!(summary.orphaned, 1);
        assert_eq!(summary.kept, 0);
        assert_eq!(layer.spans.len(), 2);
        assert_eq!(layer.spans[1].exact, "do you want a Franco Russian war?");
        assert_eq!(layer.orphans[0].span.exact, "Macron said nothing.");
        assert_eq!(layer.text_sha256, new.sha256());
        assert_eq!(
            summary.to_string(),
            "text changed: 0 kept, 1 moved, 1 fuzzy, 1 orphaned"
        );
    }

    #[test]
    fn an_orphan_comes_back_when_its_text_is_restored() {
        let old = Text::from_string("One sentence here. The deleted sentence is this one. End.");
        let mut layer = layer_on(&old, &[(19, 52), (0, 3)]);
        let cut = Text::from_string("One sentence here. End.");
        let s = reanchor_layer(&mut layer, &cut).unwrap();
        assert_eq!((s.kept, s.orphaned), (1, 1));
        let s = reanchor_layer(&mut layer, &old).unwrap();
        assert_eq!((s.kept, s.moved, s.orphaned), (2, 0, 0), "{layer:#?}");
        assert!(layer.orphans.is_empty());
        assert_eq!(
            layer.span(1).unwrap().exact,
            "The deleted sentence is this one."
        );
    }

    #[test]
    fn an_emptied_text_orphans_everything() {
        let old = Text::from_string("Putin asked reporters: do you want a Franco-Russian war?");
        let mut layer = layer_on(&old, &[(0, 5), (23, 56)]);
        let s = reanchor_layer(&mut layer, &Text::from_string("")).unwrap();
        assert_eq!((s.kept, s.moved, s.fuzzy, s.orphaned), (0, 0, 0, 2));
        assert_eq!(layer.text_chars, 0);
    }

    proptest::proptest! {
        /// Whatever happens to the text, every span ends up where its `exact` is, or as an
        /// orphan; none is lost and none is duplicated.
        #[test]
        fn reanchoring_never_loses_or_misplaces_a_span(
            edits in proptest::collection::vec((0usize..400, 0usize..12, "[a-z ’—é😀\n]{0,12}"), 0..6),
            ranges in proptest::collection::vec((0usize..380, 1usize..60), 1..8),
        ) {
            let base = "After the meeting, Putin asked reporters: do you want a Franco-Russian war? \
                Macron’s ideas were “realistic”, the Kremlin said — and talks go on.\n\
                Biden met Chancellor Wolfgang Schorz at the White House on the same day.\n\
                British Foreign Secretary Mark Truss is expected in Moscow. 😀 é fin.";
            let old = Text::from_string(base);
            let n = old.char_len();
            let spans: Vec<(usize, usize)> = ranges
                .iter()
                .map(|&(s, l)| (s % (n - 1), (s % (n - 1) + l).min(n)))
                .collect();
            let mut layer = layer_on(&old, &spans);
            let mut chars: Vec<char> = base.chars().collect();
            for (at, del, ins) in &edits {
                let at = at % (chars.len() + 1);
                let end = (at + del).min(chars.len());
                chars.splice(at..end, ins.chars());
            }
            let new_s: String = chars.into_iter().collect();
            let new = Text::from_string(&new_s);
            let before = layer.spans.len();
            if let Some(sum) = reanchor_layer(&mut layer, &new) {
                proptest::prop_assert_eq!(sum.kept + sum.moved + sum.fuzzy + sum.orphaned, before);
            }
            proptest::prop_assert_eq!(layer.spans.len() + layer.orphans.len(), before);
            for s in &layer.spans {
                proptest::prop_assert_eq!(new.slice(s.start, s.end), s.exact.as_str());
                proptest::prop_assert!(s.start < s.end && s.end <= new.char_len());
            }
        }
    }

    #[test]
    fn a_fixed_word_gives_a_fuzzy_span() {
        let old = Text::from_string("He said the voltage remains live in the whole region today.");
        let mut layer = layer_on(&old, &[(8, 35)]);
        let new = Text::from_string("He said the voltage remained live in the whole region today.");
        let s = reanchor_layer(&mut layer, &new).unwrap();
        assert_eq!(s.fuzzy, 1, "{layer:#?}");
        assert_eq!(layer.spans[0].exact, "the voltage remained live in");
        assert_eq!(
            layer.spans[0].attrs.get("anchor").map(String::as_str),
            Some("fuzzy")
        );
    }

    #[test]
    fn short_quotes_without_context_are_orphaned_not_misplaced() {
        let old = Text::from_string(
            "Putin spoke first. Then a long sentence followed here. Finally he left the room.",
        );
        let mut layer = layer_on(&old, &[(24, 28)]); // "long"
        let new = Text::from_string(
            "Putin spoke first. Finally he left the room. It was a long day for everyone there.",
        );
        let s = reanchor_layer(&mut layer, &new).unwrap();
        assert_eq!(s.orphaned, 1, "{layer:#?}");
    }
}
