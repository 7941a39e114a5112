//! Finding spans again after their text changed, so that no annotation is lost or silently
//! misplaced when a typo is fixed, a paragraph is inserted or a file is re-scraped.
//!
//! Each span of a stale layer (its `text_sha256` differs from the text's) is re-anchored in
//! this order, in the spirit of the Hypothesis client's quote anchoring:
//! 1. **kept**: `exact` still sits at `start..end`;
//! 2. **moved**: `exact` occurs elsewhere; the occurrence whose prefix and suffix match best
//!    wins, ties broken by closeness to where the span was expected. If neither its prefix
//!    nor its suffix matches there and the words are short or occur more than once, it is
//!    flagged `attrs["marginalia:anchor"] = "fuzzy"` instead: it may be on the wrong copy;
//! 3. **fuzzy**: an approximate match of `exact` with at most a quarter of its length in edits
//!    (Myers' bit-parallel search, first in a window around the expected place, then in the
//!    whole text within a work budget), scored by quote, prefix and suffix similarity; the span
//!    is flagged `attrs["marginalia:anchor"] = "fuzzy"`;
//! 4. **orphaned**: nothing matches well enough; the span moves to `orphans` with its old
//!    offsets and text. It is never dropped.
//!
//! Places are handed out jointly, best score first: a place goes to the spans of one old
//! range only, so two spans on different copies of the same words never land on one copy. A
//! span whose best free place scores the same as another free place (on quote and context) is
//! flagged `attrs["marginalia:anchor"] = "ambiguous"`. Both flags ask the annotator to confirm.
//!
//! Orphans of an earlier change are tried again each time the text changes (it may have been
//! restored), and count in the summary like spans.

use std::collections::HashMap;

use crate::model::layer::{
    ANCHOR_AMBIGUOUS, ANCHOR_ATTR, ANCHOR_FUZZY, CONTEXT_CHARS, Layer, Orphan, Span,
};
use crate::model::range::CharRange;
use crate::model::text::Text;

/// Whether re-anchoring placed `span` approximately (fuzzy) or on one of several equally good
/// places (ambiguous), and the user has not confirmed it yet.
pub fn is_uncertain(span: &Span) -> bool {
    matches!(
        span.attrs.get(ANCHOR_ATTR).map(String::as_str),
        Some(ANCHOR_FUZZY | ANCHOR_AMBIGUOUS)
    )
}

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
    /// Spans found exactly elsewhere, with matching context.
    pub moved: usize,
    /// Spans placed by approximate matching, or on a copy of their words whose context does
    /// not match (flagged for the annotator to confirm).
    pub fuzzy: usize,
    /// Spans placed on one of several places that score the same (flagged for the annotator
    /// to confirm).
    pub ambiguous: usize,
    /// Spans that could not be placed and were moved to `orphans`.
    pub orphaned: usize,
    /// The layer recorded this very text, but some of its spans did not match it (a merge
    /// joined spans made on another version of the text): only those were re-anchored, and
    /// `kept` counts the others.
    pub after_merge: bool,
}

impl ReanchorSummary {
    /// Whether any span changed place or was orphaned.
    pub fn changed_anything(&self) -> bool {
        self.moved + self.fuzzy + self.ambiguous + self.orphaned > 0
    }

    /// Spans flagged for the annotator to confirm (fuzzy or ambiguous).
    pub fn to_confirm(&self) -> usize {
        self.fuzzy + self.ambiguous
    }

    /// Adds another summary's counts (for workspace totals).
    pub fn add(&mut self, other: &ReanchorSummary) {
        self.kept += other.kept;
        self.moved += other.moved;
        self.fuzzy += other.fuzzy;
        self.ambiguous += other.ambiguous;
        self.orphaned += other.orphaned;
        self.after_merge |= other.after_merge;
    }

    /// "1 kept, 2 moved, 0 fuzzy, 0 orphaned", with "N ambiguous" before the orphans when
    /// there are any.
    pub fn counts(&self) -> String {
        let ambiguous = if self.ambiguous > 0 {
            format!("{} ambiguous, ", self.ambiguous)
        } else {
            String::new()
        };
        format!(
            "{} kept, {} moved, {} fuzzy, {ambiguous}{} orphaned",
            self.kept, self.moved, self.fuzzy, self.orphaned
        )
    }
}

impl std::fmt::Display for ReanchorSummary {
    /// "text changed: 1 kept, 2 moved, 0 fuzzy, 0 orphaned", or after a merge "2 spans
    /// re-anchored after a merge (they did not match the text); 1 could not be found and is
    /// kept as orphaned".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::wording::plural;
        if !self.after_merge {
            return write!(f, "text changed: {}", self.counts());
        }
        let placed = self.moved + self.fuzzy + self.ambiguous;
        write!(
            f,
            "{} re-anchored after a merge (they did not match the text)",
            plural(placed, "span")
        )?;
        if self.to_confirm() > 0 {
            write!(f, ", {} of them to confirm", self.to_confirm())?;
        }
        if self.orphaned > 0 {
            let verb = if self.orphaned == 1 { "is" } else { "are" };
            write!(
                f,
                "; {} could not be found and {verb} kept as orphaned",
                self.orphaned
            )?;
        }
        Ok(())
    }
}

/// How one span was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchoring {
    Kept,
    Moved { start: usize, end: usize },
    Fuzzy { start: usize, end: usize },
    Ambiguous { start: usize, end: usize },
    Orphan,
}

/// Re-anchors every span of `layer` to `text` if the layer is stale (its `text_sha256`
/// differs). A layer that records this very text is re-anchored only where a span's `exact`
/// is not at its offsets (a merge joined a span made on another version of the text, see
/// [`ReanchorSummary::after_merge`]). Returns `None` when nothing needed re-anchoring (nothing
/// is changed).
pub fn reanchor_layer(layer: &mut Layer, text: &Text) -> Option<ReanchorSummary> {
    if layer.text_sha256 == text.sha256() {
        return reanchor_mismatched(layer, text);
    }
    Some(reanchor_stale(layer, text))
}

/// Whether `span`'s `exact` is at its offsets in `text`.
pub fn matches_text(span: &Span, text: &Text) -> bool {
    span.start < span.end
        && span.end <= text.char_len()
        && text.slice(span.start, span.end) == span.exact
}

/// Whether `span` could have been made on some version of a text: as many chars lie between
/// its offsets as its `exact` has. A span merged in from another version always is; one that
/// is not was damaged (by hand, by a tool) and is reported, never moved.
pub fn is_self_consistent(span: &Span) -> bool {
    span.end.checked_sub(span.start) == Some(span.exact.chars().count())
}

/// Re-anchors the spans of a layer of this very text whose `exact` is not at their offsets;
/// the others, and the orphans, are left as they are. Nothing is done (`None`) when one of
/// them is not [self-consistent](is_self_consistent): the file is damaged, not merged.
fn reanchor_mismatched(layer: &mut Layer, text: &Text) -> Option<ReanchorSummary> {
    let misplaced: Vec<&Span> = layer
        .spans
        .iter()
        .filter(|s| !matches_text(s, text))
        .collect();
    if misplaced.is_empty() || !misplaced.iter().all(|s| is_self_consistent(s)) {
        return None;
    }
    let (misplaced, fine): (Vec<Span>, Vec<Span>) = std::mem::take(&mut layer.spans)
        .into_iter()
        .partition(|s| !matches_text(s, text));
    let orphans = std::mem::take(&mut layer.orphans);
    let sha = std::mem::take(&mut layer.text_sha256);
    // The misplaced spans alone, as if the text had changed under them.
    let mut sub = layer.clone();
    sub.spans = misplaced;
    let mut summary = reanchor_stale(&mut sub, text);
    summary.kept += fine.len();
    summary.after_merge = true;
    layer.text_sha256 = sha;
    layer.text_chars = text.char_len();
    layer.orphans = orphans;
    for mut o in sub.orphans {
        // The version of the text such a span was made on is unknown.
        if o.old_text_sha256.is_empty() {
            o.old_text_sha256 = layer.text_sha256.clone();
        }
        layer.orphans.push(o);
    }
    layer.orphans.sort_by_key(|o| o.span.id);
    layer.spans = fine;
    layer.spans.extend(sub.spans);
    layer.spans.sort_by_key(Span::sort_key);
    layer.next_id = layer.next_id.max(sub.next_id);
    layer.normalize();
    Some(summary)
}

/// Re-anchors every span (and earlier orphan) of a stale layer.
///
/// Afterwards the layer records the text's sha256 and length. Candidate places are found for
/// each span in order of its old start (the shift of the previous span predicts where the
/// next one now is); then places are handed out best score first, each place to the spans of
/// one old range only, so two spans that were on different words never end up on the same
/// copy of them.
fn reanchor_stale(layer: &mut Layer, text: &Text) -> ReanchorSummary {
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

    // Pass 1: each span's candidate places, best first.
    let mut shift: i64 = 0;
    let mut pending: Vec<Pending> = Vec::with_capacity(spans.len());
    for span in spans {
        let hint = clamp_hint(as_i64(span.start).saturating_add(shift), text.char_len());
        let origin = old_sha_of
            .get(&span.id)
            .cloned()
            .unwrap_or_else(|| old_sha.clone());
        let mut p = Pending::new(span, origin, hint);
        p.fill(text, &mut budget, &HashMap::new());
        match p.cands.first() {
            Some(_) if p.stage == Stage::Kept => shift = 0,
            Some(c) => shift = as_i64(c.start).saturating_sub(as_i64(p.span.start)),
            None => {}
        }
        pending.push(p);
    }

    // Pass 2: hand out places, best score first; a place taken by the spans of another old
    // range is skipped, and a span whose candidates run out looks further (then is orphaned).
    let mut taken: HashMap<CharRange, Group> = HashMap::new();
    let mut placed: Vec<(Span, Anchoring)> = Vec::with_capacity(pending.len());
    let mut open: Vec<usize> = (0..pending.len()).collect();
    while !open.is_empty() {
        let mut best: Option<(usize, f64)> = None; // (index into `open`, score)
        for (k, &i) in open.iter().enumerate() {
            let p = &mut pending[i];
            p.fill(text, &mut budget, &taken);
            let score = p.cands.get(p.next).map_or(f64::NEG_INFINITY, |c| c.score);
            if best.is_none_or(|(_, bs)| score > bs) {
                best = Some((k, score));
            }
        }
        let Some((k, _)) = best else { break };
        let i = open.swap_remove(k);
        let p = &mut pending[i];
        let Some(c) = p.cands.get(p.next).copied() else {
            placed.push((p.span.clone(), Anchoring::Orphan));
            continue;
        };
        // Another free place whose quote and context score the same: the text cannot tell.
        let tie = p.cands[p.next + 1..].iter().any(|o| {
            (o.ctx - c.ctx).abs() < 1e-9 && taken.get(&o.range()).is_none_or(|g| *g == p.group)
        });
        let (start, end) = (c.start, c.end);
        let how = match p.stage {
            Stage::Kept => Anchoring::Kept,
            _ if tie => Anchoring::Ambiguous { start, end },
            Stage::ExactNear => Anchoring::Moved { start, end },
            Stage::ExactAll if c.context_ok || (p.occurrences < 2 && p.distinctive()) => {
                Anchoring::Moved { start, end }
            }
            _ => Anchoring::Fuzzy { start, end },
        };
        taken.entry(c.range()).or_insert_with(|| p.group.clone());
        placed.push((p.span.clone(), how));
    }

    let mut kept_spans = Vec::with_capacity(placed.len());
    for (mut span, how) in placed {
        match how {
            Anchoring::Kept => {
                summary.kept += 1;
                refresh_context(&mut span, text);
                kept_spans.push(span);
            }
            Anchoring::Moved { start, end } => {
                summary.moved += 1;
                place(&mut span, text, start, end);
                kept_spans.push(span);
            }
            Anchoring::Fuzzy { start, end } | Anchoring::Ambiguous { start, end } => {
                let reason = if matches!(how, Anchoring::Fuzzy { .. }) {
                    summary.fuzzy += 1;
                    ANCHOR_FUZZY
                } else {
                    summary.ambiguous += 1;
                    ANCHOR_AMBIGUOUS
                };
                place(&mut span, text, start, end);
                span.attrs.insert(ANCHOR_ATTR.to_owned(), reason.to_owned());
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
    kept_spans.sort_by_key(Span::sort_key);
    layer.spans = kept_spans;
    layer.normalize();
    summary
}

/// The old range a span was on (and the text it was on): spans of one group may share a
/// place, spans of different groups may not.
type Group = (usize, usize, String);

/// How far the search for a span's places has gone; each stage looks wider than the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Start,
    /// `exact` still at its offsets.
    Kept,
    /// One occurrence near the expected place with prefix and suffix matching fully.
    ExactNear,
    /// Every occurrence in the text.
    ExactAll,
    /// Approximate matches near the expected place.
    FuzzyNear,
    /// Approximate matches in the whole text.
    FuzzyAll,
    Done,
}

/// A candidate place and its scores.
#[derive(Debug, Clone, Copy)]
struct Cand {
    start: usize,
    end: usize,
    /// Quote, context and closeness to the expected place.
    score: f64,
    /// Quote and context only: equal values mean the text cannot tell the places apart.
    ctx: f64,
    /// Whether the prefix or the suffix matches.
    context_ok: bool,
}

impl Cand {
    fn range(&self) -> CharRange {
        CharRange::new(self.start, self.end)
    }
}

/// One span being re-anchored: its candidate places of the current stage, best first.
struct Pending {
    span: Span,
    group: Group,
    hint: usize,
    quote_len: usize,
    stage: Stage,
    cands: Vec<Cand>,
    next: usize,
    /// Exact occurrences of the quote in the text (counted at [`Stage::ExactAll`]).
    occurrences: usize,
}

impl Pending {
    fn new(span: Span, origin: String, hint: usize) -> Self {
        let group = (span.start, span.end, origin);
        let quote_len = span.exact.chars().count();
        Self {
            span,
            group,
            hint,
            quote_len,
            stage: Stage::Start,
            cands: Vec::new(),
            next: 0,
            occurrences: 0,
        }
    }

    fn distinctive(&self) -> bool {
        self.quote_len >= DISTINCTIVE_CHARS
    }

    /// Moves `next` past places taken by other groups, searching the next stages when the
    /// candidates run out. Afterwards `cands[next]` is the best free place, if any.
    fn fill(&mut self, text: &Text, budget: &mut u64, taken: &HashMap<CharRange, Group>) {
        loop {
            while let Some(c) = self.cands.get(self.next) {
                match taken.get(&c.range()) {
                    Some(g) if *g != self.group => self.next += 1,
                    _ => return,
                }
            }
            if self.stage == Stage::Done {
                return;
            }
            self.advance(text, budget);
        }
    }

    /// Searches the next stage's candidates.
    fn advance(&mut self, text: &Text, budget: &mut u64) {
        let (span, hint, m) = (&self.span, self.hint, self.quote_len);
        self.next = 0;
        self.cands.clear();
        if m == 0 {
            self.stage = Stage::Done;
            return;
        }
        let fuzzy_ok = m <= MAX_FUZZY_CHARS && m / 4 > 0;
        self.stage = match self.stage {
            Stage::Start => {
                if span.start < span.end
                    && span.end <= text.char_len()
                    && span.end - span.start == m
                    && text.slice(span.start, span.end) == span.exact
                {
                    let ctx = 1.0;
                    self.cands.push(Cand {
                        start: span.start,
                        end: span.end,
                        score: 2.0,
                        ctx,
                        context_ok: true,
                    });
                    Stage::Kept
                } else if let Some(c) = exact_near(span, text, hint, m) {
                    self.cands.push(c);
                    Stage::ExactNear
                } else {
                    self.cands = exact_all(span, text, hint, m, &mut self.occurrences);
                    Stage::ExactAll
                }
            }
            Stage::Kept | Stage::ExactNear => {
                self.cands = exact_all(span, text, hint, m, &mut self.occurrences);
                Stage::ExactAll
            }
            Stage::ExactAll if fuzzy_ok => {
                self.cands = fuzzy(span, text, hint, m, budget, false);
                Stage::FuzzyNear
            }
            Stage::FuzzyNear if fuzzy_ok => {
                self.cands = fuzzy(span, text, hint, m, budget, true);
                Stage::FuzzyAll
            }
            _ => Stage::Done,
        };
    }
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

/// Where `span` belongs in `text` on its own, ignoring the other spans of its layer. `hint`
/// is the char offset where its start is expected; `budget` limits whole-text fuzzy searches
/// and is reduced by the work done.
pub fn anchor_span(span: &Span, text: &Text, hint: usize, budget: &mut u64) -> Anchoring {
    let mut p = Pending::new(span.clone(), String::new(), hint);
    p.fill(text, budget, &HashMap::new());
    let Some(c) = p.cands.first() else {
        return Anchoring::Orphan;
    };
    let (start, end) = (c.start, c.end);
    match p.stage {
        Stage::Kept => Anchoring::Kept,
        Stage::ExactNear => Anchoring::Moved { start, end },
        Stage::ExactAll if c.context_ok || (p.occurrences < 2 && p.distinctive()) => {
            Anchoring::Moved { start, end }
        }
        _ => Anchoring::Fuzzy { start, end },
    }
}

/// A span's prefix or suffix "matches" a place when it is at least this similar to the text
/// there.
const CONTEXT_MATCH: f64 = 0.8;

/// The score of a candidate place, and whether its context supports it.
struct Scored {
    score: f64,
    ctx: f64,
    supported: bool,
    context_ok: bool,
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
    let total = QUOTE_WEIGHT + PREFIX_WEIGHT + SUFFIX_WEIGHT + POSITION_WEIGHT;
    let ctx =
        (QUOTE_WEIGHT * quote_score + PREFIX_WEIGHT * prefix_score + SUFFIX_WEIGHT * suffix_score)
            / total;
    let score = ctx + POSITION_WEIGHT * pos_score / total;
    let supported = quote_len >= DISTINCTIVE_CHARS || prefix_score.max(suffix_score) >= 0.5;
    Scored {
        score,
        ctx,
        supported,
        context_ok: prefix_score.max(suffix_score) >= CONTEXT_MATCH,
    }
}

fn cand(start: usize, end: usize, s: &Scored) -> Cand {
    Cand {
        start,
        end,
        score: s.score,
        ctx: s.ctx,
        context_ok: s.context_ok,
    }
}

/// Sorts candidates best first: higher score, then closer to `hint`.
fn sort_cands(cands: &mut [Cand], hint: usize) {
    cands.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.start.abs_diff(hint).cmp(&b.start.abs_diff(hint)))
    });
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

/// The one occurrence of `exact` near `hint` whose prefix and suffix both match fully, if
/// there is exactly one: it cannot be beaten by one farther away, so the whole text need not
/// be searched.
fn exact_near(span: &Span, text: &Text, hint: usize, quote_len: usize) -> Option<Cand> {
    let hay = text.as_str();
    let reach = WINDOW_CHARS.max(2 * quote_len);
    let win_start = text.byte_of(hint.saturating_sub(reach));
    let win_end = text.byte_of(hint.saturating_add(quote_len + reach));
    let mut found = None;
    for (b, _) in hay[win_start..win_end].match_indices(span.exact.as_str()) {
        let start = text.char_of_byte(win_start + b);
        let end = start + quote_len;
        let before = text.slice(start.saturating_sub(span.prefix.chars().count()), start);
        let after = text.slice(end, end.saturating_add(span.suffix.chars().count()));
        if before == span.prefix && after == span.suffix {
            if found.is_some() {
                return None; // two identical places: let the whole-text stage weigh them
            }
            found = Some((start, end));
        }
    }
    let (start, end) = found?;
    Some(cand(
        start,
        end,
        &score_at(span, text, start, end, 0, quote_len, hint),
    ))
}

/// Every supported exact occurrence of `exact` (at most [`MAX_SCORED_OCCURRENCES`], the
/// nearest to `hint`), best first. `occurrences` gets how many there are in all.
fn exact_all(
    span: &Span,
    text: &Text,
    hint: usize,
    quote_len: usize,
    occurrences: &mut usize,
) -> Vec<Cand> {
    let hint_byte = text.byte_of(hint) as i64;
    let mut found: Vec<usize> = text
        .as_str()
        .match_indices(span.exact.as_str())
        .map(|(b, _)| b)
        .collect();
    *occurrences = found.len();
    if found.len() > MAX_SCORED_OCCURRENCES {
        found.sort_by_key(|&b| (b as i64 - hint_byte).abs());
        found.truncate(MAX_SCORED_OCCURRENCES);
    }
    let mut cands: Vec<Cand> = found
        .into_iter()
        .filter_map(|b| {
            let start = text.char_of_byte(b);
            let end = start + quote_len;
            let s = score_at(span, text, start, end, 0, quote_len, hint);
            s.supported.then(|| cand(start, end, &s))
        })
        .collect();
    sort_cands(&mut cands, hint);
    cands
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

/// Approximate matches of `exact` (at most a quarter of its length in edits), best first:
/// near `hint` (`whole == false`) or in the rest of the text within `budget`.
fn fuzzy(
    span: &Span,
    text: &Text,
    hint: usize,
    quote_len: usize,
    budget: &mut u64,
    whole: bool,
) -> Vec<Cand> {
    let max_errors = quote_len / 4;
    if max_errors == 0 {
        return Vec::new();
    }
    let pattern: Vec<char> = span.exact.chars().collect();
    let peq = Peq::new(&pattern);
    let reversed: Vec<char> = pattern.iter().rev().copied().collect();
    let rpeq = Peq::new(&reversed);
    let len = text.char_len();
    let reach = WINDOW_CHARS.max(2 * quote_len);
    let win = CharRange::new(
        hint.saturating_sub(reach),
        (hint + quote_len + reach).min(len),
    );
    if !whole {
        return fuzzy_in(span, text, &peq, &rpeq, quote_len, max_errors, win, hint);
    }
    if win == CharRange::new(0, len) {
        return Vec::new();
    }
    let cost = len as u64 * peq.blocks as u64;
    if cost > *budget {
        return Vec::new();
    }
    *budget -= cost;
    let mut cands = fuzzy_in(
        span,
        text,
        &peq,
        &rpeq,
        quote_len,
        max_errors,
        CharRange::new(0, len),
        hint,
    );
    // The window's places were already offered.
    cands.retain(|c| c.start < win.start || c.end > win.end);
    cands
}

#[allow(clippy::too_many_arguments)]
fn fuzzy_in(
    span: &Span,
    text: &Text,
    peq: &Peq,
    rpeq: &Peq,
    m: usize,
    max_errors: usize,
    window: CharRange,
    hint: usize,
) -> Vec<Cand> {
    // Runs of consecutive match ends within the error bound; the best end of each run.
    let mut runs: Vec<(usize, usize)> = Vec::new(); // (end, distance)
    let mut in_run = false;
    let ws = window.start;
    myers(peq, m, text.slice(ws, window.end).chars(), false, |j, d| {
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
    runs.sort_by_key(|&(end, d)| (d, end.abs_diff(hint + m)));
    runs.truncate(16);
    let mut cands: Vec<Cand> = Vec::new();
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
        if s.supported && !cands.iter().any(|c| (c.start, c.end) == (start, end)) {
            cands.push(cand(start, end, &s));
        }
    }
    sort_cands(&mut cands, hint);
    cands
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::layer::make_span;

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
            let old_range: HashMap<u64, (usize, usize)> =
                layer.spans.iter().map(|s| (s.id, (s.start, s.end))).collect();
            if let Some(sum) = reanchor_layer(&mut layer, &new) {
                proptest::prop_assert_eq!(sum.kept + sum.moved + sum.fuzzy + sum.ambiguous + sum.orphaned, before);
            }
            proptest::prop_assert_eq!(layer.spans.len() + layer.orphans.len(), before);
            for s in &layer.spans {
                proptest::prop_assert_eq!(new.slice(s.start, s.end), s.exact.as_str());
                proptest::prop_assert!(s.start < s.end && s.end <= new.char_len());
            }
            // Spans that were on different words are never put on the same place.
            for a in &layer.spans {
                for b in &layer.spans {
                    if (a.start, a.end) == (b.start, b.end) {
                        proptest::prop_assert_eq!(old_range[&a.id], old_range[&b.id]);
                    }
                }
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
            layer.spans[0].attrs.get(ANCHOR_ATTR).map(String::as_str),
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
