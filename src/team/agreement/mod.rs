//! Inter-annotator agreement: Cohen's κ, Krippendorff's α, span F1 and a tag confusion matrix,
//! with the fixed definitions of `docs/AGREEMENT.md`, so the figures can be checked against
//! scikit-learn and the `krippendorff` package; and relation F1 per relation type, relations
//! matched by type and both ends' ranges ([`crate::team::compare::RelationPlace`]).
//!
//! Every figure is a sum of counts over documents, so the computation streams: a [`Tally`]
//! takes one document at a time ([`Tally::add_document`]) and [`Tally::finish`] turns the
//! counts into an [`AgreementReport`]. [`compute`] runs it over a workspace with a progress
//! callback that can cancel, so the app can run it on a thread.
//!
//! Owns: pairwise agreement and, in [`team_scale`], the team's matrix, Fleiss' κ and
//! scorecards. May import: the model, the store, the workspace and the curated layer.

pub mod team_scale;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::layer::Span;
use crate::model::range::CharRange;
use crate::model::relation::Relation;
use crate::model::text::{Text, TextError};
use crate::store::StoreError;
use crate::team::agreement::team_scale::{
    AnnotatorMean, FleissCounts, ScoreCounts, Scorecard, TagFleiss, annotator_means, kappa_matrix,
};
use crate::team::compare::greedy_overlap_match;
use crate::workspace::{CURATED_LAYER, Workspace};

/// The column and row name for "no span with this range" in the confusion matrix.
pub const NONE_LABEL: &str = "none";

/// Which annotators and tags to compare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgreementOptions {
    /// Empty: every layer of the workspace except `curated`.
    pub annotators: Vec<String>,
    /// Empty: every tag of the workspace's tag set.
    pub tags: Vec<String>,
}

/// Why agreement could not be computed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AgreementError {
    #[error("agreement needs at least two annotators; found {0}")]
    TooFewAnnotators(usize),
    #[error("no tags to compare")]
    NoTags,
    #[error("annotator {0:?} has no annotation files in this workspace")]
    UnknownAnnotator(String),
    #[error("{0:?} is given twice")]
    Duplicate(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Text(#[from] TextError),
    #[error("cancelled")]
    Cancelled,
    /// `--dump-units` dumps every label or nothing: a file it cannot read stops it.
    #[error("{0}")]
    Unreadable(Skipped),
}

/// Cohen's κ from a 2×2 table `[[n00, n01], [n10, n11]]` (rows: A, columns: B).
///
/// Equal to `sklearn.metrics.cohen_kappa_score`; `None` where sklearn gives `nan`: when the
/// chance agreement is 1 (both annotators give every unit the same constant label) or there are
/// no units.
pub fn cohen_kappa(table: [[u64; 2]; 2]) -> Option<f64> {
    let [[n00, n01], [n10, n11]] = table;
    let n = (n00 + n01 + n10 + n11) as f64;
    let (r0, r1) = ((n00 + n01) as f64, (n10 + n11) as f64);
    let (c0, c1) = ((n00 + n10) as f64, (n01 + n11) as f64);
    // sklearn: 1 - Σ w·observed / Σ w·expected, with w = 1 off the diagonal.
    let expected_disagreement = (r0 * c1 + r1 * c0) / n;
    if n == 0.0 || expected_disagreement == 0.0 {
        return None;
    }
    Some(1.0 - (n01 + n10) as f64 / expected_disagreement)
}

/// Cohen's κ over any number of categories from `(label of A, label of B, count)` triples:
/// κ = (p_o − p_e) / (1 − p_e) with p_o the share of equal labels and p_e = Σ_k p_A(k)·p_B(k).
/// `None` when there are no units or p_e = 1 (both annotators always give the same one label).
pub fn cohen_kappa_labels<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str, u64)>,
) -> Option<f64> {
    let mut n = 0u64;
    let mut agree = 0u64;
    let mut rows: BTreeMap<&str, u64> = BTreeMap::new();
    let mut cols: BTreeMap<&str, u64> = BTreeMap::new();
    for (a, b, c) in pairs {
        n += c;
        if a == b {
            agree += c;
        }
        *rows.entry(a).or_default() += c;
        *cols.entry(b).or_default() += c;
    }
    if n == 0 {
        return None;
    }
    let n2 = (n as f64) * (n as f64);
    let p_o = agree as f64 / n as f64;
    let p_e: f64 = rows
        .iter()
        .map(|(k, &r)| r as f64 * cols.get(k).copied().unwrap_or(0) as f64 / n2)
        .sum();
    // Exactly 1 only when both are constant and equal; rounding otherwise stays below.
    if (1.0 - p_e).abs() < 1e-12 {
        return None;
    }
    Some((p_o - p_e) / (1.0 - p_e))
}

/// The counts Krippendorff's nominal α needs for binary values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlphaCounts {
    /// Pairable values (from units with at least two values) equal to 0 and to 1.
    pub zeros: u64,
    pub ones: u64,
    /// Units with at least two values.
    pub units: u64,
    /// `cross[m]` = Σ n0·n1 over units with `m` values.
    pub cross: Vec<u64>,
}

impl AlphaCounts {
    /// Adds one unit with `zeros` 0-values and `ones` 1-values (missing values not counted).
    pub fn add_unit(&mut self, zeros: u64, ones: u64) {
        let m = (zeros + ones) as usize;
        if m < 2 {
            return;
        }
        self.units += 1;
        self.zeros += zeros;
        self.ones += ones;
        if self.cross.len() <= m {
            self.cross.resize(m + 1, 0);
        }
        self.cross[m] += zeros * ones;
    }

    /// Nominal α; equal to `krippendorff.alpha(..., level_of_measurement="nominal")`. `None`
    /// where that package raises an error: fewer than two distinct values, or no unit with two.
    pub fn alpha(&self) -> Option<f64> {
        if self.zeros == 0 || self.ones == 0 {
            return None;
        }
        let n = (self.zeros + self.ones) as f64;
        // Observed off-diagonal coincidences / 2, and expected ones / 2.
        let observed: f64 = self
            .cross
            .iter()
            .enumerate()
            .filter(|(m, _)| *m >= 2)
            .map(|(m, &c)| c as f64 / (m as f64 - 1.0))
            .sum();
        let expected = self.zeros as f64 * self.ones as f64 / (n - 1.0);
        Some(1.0 - observed / expected)
    }
}

/// Counts of span matches, with precision and recall taking A as the reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SpanScores {
    pub a_spans: u64,
    pub b_spans: u64,
    pub matched: u64,
    /// matched / b_spans; `null` when B has no spans.
    pub precision: Option<f64>,
    /// matched / a_spans; `null` when A has no spans.
    pub recall: Option<f64>,
    /// 2·matched / (a_spans + b_spans); `null` when neither has spans.
    pub f1: Option<f64>,
}

impl SpanScores {
    fn from_counts(a_spans: u64, b_spans: u64, matched: u64) -> Self {
        let ratio = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
        Self {
            a_spans,
            b_spans,
            matched,
            precision: ratio(matched, b_spans),
            recall: ratio(matched, a_spans),
            f1: ratio(2 * matched, a_spans + b_spans),
        }
    }
}

/// Counts of relation matches, with precision and recall taking A as the reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RelationScores {
    pub a_relations: u64,
    pub b_relations: u64,
    pub matched: u64,
    /// matched / b_relations; `null` when B has none.
    pub precision: Option<f64>,
    /// matched / a_relations; `null` when A has none.
    pub recall: Option<f64>,
    /// 2·matched / (a_relations + b_relations); `null` when neither has any.
    pub f1: Option<f64>,
}

impl RelationScores {
    fn from_counts(a: u64, b: u64, matched: u64) -> Self {
        let s = SpanScores::from_counts(a, b, matched);
        Self {
            a_relations: a,
            b_relations: b,
            matched,
            precision: s.precision,
            recall: s.recall,
            f1: s.f1,
        }
    }
}

/// One relation type's figures for one pair of annotators, over the documents both annotated.
/// A relation matches another of the same type whose ends are at the same ranges (`exact`) or
/// each overlap their counterpart (`overlap`, one to one by most shared chars); the direction
/// counts unless the type is symmetric. An end in this layer is at its span's range, an end in
/// another text at the range recorded with it; a relation with an end whose span is gone is
/// left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairRelation {
    #[serde(rename = "type")]
    pub kind: String,
    pub exact: RelationScores,
    pub overlap: RelationScores,
}

/// One tag's figures for one pair of annotators.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairTag {
    pub tag: String,
    /// `null` when undefined (both annotators constant and equal; see `docs/AGREEMENT.md`).
    pub kappa: Option<f64>,
    /// Krippendorff's nominal α of just these two annotators (same method as the
    /// all-annotator α, on their two values per unit); `null` when undefined.
    pub alpha: Option<f64>,
    /// Share of units with equal labels.
    pub observed_agreement: Option<f64>,
    /// `[[n00, n01], [n10, n11]]`, rows A's label, columns B's label.
    pub units_table: [[u64; 2]; 2],
    pub exact: SpanScores,
    pub overlap: SpanScores,
}

/// Agreement on one choice or flag attribute of one tag, over the span pairs the overlap
/// matching pairs (same tag) where both spans carry a value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttrAgreement {
    pub tag: String,
    pub attribute: String,
    /// Matched span pairs with a value of the attribute on both sides.
    pub matched: u64,
    /// Cohen's κ over the values; `null` when undefined (no pairs, or both constant and equal).
    pub kappa: Option<f64>,
    /// Share of those pairs with equal values.
    pub observed_agreement: Option<f64>,
    /// `[A's value, B's value, count]`, sorted by value.
    pub table: Vec<(String, String, u64)>,
}

/// The tag confusion matrix over same-range span pairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Row and column names: the tags, then `none`.
    pub labels: Vec<String>,
    /// `counts[i][j]`: ranges where A has `labels[i]` and B has `labels[j]`.
    pub counts: Vec<Vec<u64>>,
}

/// Figures for one pair of annotators.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairReport {
    pub a: String,
    pub b: String,
    /// Documents both annotated.
    pub documents: usize,
    /// Non-whitespace chars in those documents.
    pub units: u64,
    pub tags: Vec<PairTag>,
    /// Mean κ over the tags where κ is defined.
    pub macro_kappa: Option<f64>,
    /// Mean exact F1 over the tags where it is defined.
    pub macro_exact_f1: Option<f64>,
    pub confusion: Confusion,
    /// κ per choice and flag attribute of the compared tags, in schema order.
    pub attributes: Vec<AttrAgreement>,
    /// The documents both annotated, most disagreement between these two first.
    pub documents_by_disagreement: Vec<DocumentDisagreement>,
    /// Relation F1 per relation type either of them used (absent when neither made a relation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<PairRelation>,
}

/// Krippendorff's α for one tag across all annotators.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagAlpha {
    pub tag: String,
    pub alpha: Option<f64>,
    /// Units with at least two values.
    pub units: u64,
}

/// How much the annotators of one document disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentDisagreement {
    pub text: String,
    /// Annotators with a file for this document.
    pub annotators: Vec<String>,
    /// Over every pair and tag: units labelled differently.
    pub disagreeing_units: u64,
    /// Over every pair and tag: units labelled 1 by at least one of the pair.
    pub labelled_units: u64,
    /// `disagreeing_units / labelled_units` (0 when nothing is labelled).
    pub score: f64,
    /// Over every pair and tag: spans without an exact match in the other layer.
    pub unmatched_spans: u64,
}

/// A file the figures leave out because it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

impl Skipped {
    /// From an error that names its file first (`path: reason`, as every store and text error
    /// does).
    fn from_error(file: &std::path::Path, e: &dyn std::fmt::Display) -> Self {
        let file = file.display().to_string();
        let message = e.to_string();
        let reason = message
            .strip_prefix(&format!("{file}: "))
            .unwrap_or(&message)
            .to_owned();
        Self { file, reason }
    }
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.reason)
    }
}

/// Everything `marginalia agree` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgreementReport {
    pub annotators: Vec<String>,
    pub tags: Vec<String>,
    /// Documents with a file from at least two of the annotators.
    pub documents: usize,
    pub pairs: Vec<PairReport>,
    pub alpha: Vec<TagAlpha>,
    /// Fleiss' κ per tag, over the units of the documents every annotator has a file for.
    pub fleiss: Vec<TagFleiss>,
    /// Documents every annotator has a file for (Fleiss' κ uses only these).
    pub fleiss_documents: usize,
    /// `kappa_matrix[i][j]`: the macro κ of annotators `i` and `j` (`null` on the diagonal and
    /// where undefined).
    pub kappa_matrix: Vec<Vec<Option<f64>>>,
    /// Each annotator's mean macro κ against the others, lowest first.
    pub annotator_means: Vec<AnnotatorMean>,
    /// Each annotator's precision, recall and F1 against the curated layer.
    pub scorecard: Scorecard,
    /// Every document with at least two annotators, most disagreement first.
    pub documents_by_disagreement: Vec<DocumentDisagreement>,
    /// Stale layers and other things that may make figures misleading.
    pub warnings: Vec<String>,
    /// Files that could not be read: the figures are computed without them.
    pub skipped: Vec<Skipped>,
}

/// The per-char labels of one document: its units and, per annotator with a file, per tag,
/// one label per unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentUnits {
    pub text: String,
    /// Char offsets of the non-whitespace chars.
    #[serde(skip)]
    pub units: Vec<usize>,
    /// annotator → tag → labels as a string of `0` and `1`, one per unit.
    pub labels: BTreeMap<String, BTreeMap<String, String>>,
}

/// Whether a char is a unit: not Unicode whitespace (`char::is_whitespace`, the Unicode
/// `White_Space` property).
pub fn is_unit(c: char) -> bool {
    !c.is_whitespace()
}

/// How many spans match exactly (same range), one to one.
pub(crate) fn exact_matches(a: &[CharRange], b: &[CharRange]) -> u64 {
    let mut counts: BTreeMap<CharRange, (u64, u64)> = BTreeMap::new();
    for r in a {
        counts.entry(*r).or_default().0 += 1;
    }
    for r in b {
        counts.entry(*r).or_default().1 += 1;
    }
    counts.values().map(|(x, y)| (*x).min(*y)).sum()
}

#[derive(Debug, Clone, Default)]
struct PairTagCounts {
    table: [[u64; 2]; 2],
    /// Krippendorff's α counts over this pair's two values per unit.
    alpha: AlphaCounts,
    a_spans: u64,
    b_spans: u64,
    exact: u64,
    overlap: u64,
}

#[derive(Debug, Clone)]
struct PairCounts {
    documents: usize,
    units: u64,
    tags: Vec<PairTagCounts>,
    /// (tags + 1)², last index = none.
    confusion: Vec<Vec<u64>>,
    /// Per compared attribute: (A's value, B's value) → matched pairs.
    attributes: Vec<BTreeMap<(String, String), u64>>,
    by_document: Vec<DocumentDisagreement>,
    /// Per relation type: A's relations, B's, exact and overlap matches.
    relations: BTreeMap<String, [u64; 4]>,
}

/// Most disagreement first.
fn sort_by_disagreement(docs: &mut [DocumentDisagreement]) {
    docs.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then(y.disagreeing_units.cmp(&x.disagreeing_units))
            .then(x.text.cmp(&y.text))
    });
}

/// Streaming counts behind an [`AgreementReport`].
#[derive(Debug, Clone)]
pub struct Tally {
    annotators: Vec<String>,
    tags: Vec<String>,
    /// Choice and flag attributes compared on matched spans: (tag, attribute).
    attributes: Vec<(String, String)>,
    documents: usize,
    pairs: Vec<PairCounts>,
    alpha: Vec<AlphaCounts>,
    fleiss: Vec<FleissCounts>,
    fleiss_documents: usize,
    /// Per annotator, counts against the curated layer.
    scores: Vec<ScoreCounts>,
    curated_documents: usize,
    /// Review items of the curated documents, and how many of them are decided.
    curated_items: usize,
    decided_items: usize,
    by_document: Vec<DocumentDisagreement>,
    warnings: Vec<String>,
    skipped: Vec<Skipped>,
    /// The declared relation types, in the tag set's order, with whether each is symmetric.
    relation_types: Vec<(String, bool)>,
}

/// Ranges of one annotator's spans per selected tag (spans clamped to the text).
fn ranges_by_tag(spans: &[Span], tags: &[String], len: usize) -> Vec<Vec<CharRange>> {
    spans_by_tag(spans, tags, len)
        .into_iter()
        .map(|v| {
            v.into_iter()
                .map(|(s, e, _)| CharRange::new(s, e))
                .collect()
        })
        .collect()
}

/// As [`ranges_by_tag`], each range with the index of its span in `spans`, so a match of
/// ranges can be traced back to the spans (and their attributes).
fn spans_by_tag(spans: &[Span], tags: &[String], len: usize) -> Vec<Vec<(usize, usize, usize)>> {
    let mut out = vec![Vec::new(); tags.len()];
    for (i, s) in spans.iter().enumerate() {
        let (start, end) = (s.start.min(len), s.end.min(len));
        if start >= end {
            continue;
        }
        if let Some(t) = tags.iter().position(|t| *t == s.tag) {
            out[t].push((start, end, i));
        }
    }
    for v in &mut out {
        v.sort_unstable();
    }
    out
}

/// Per tag, per unit: whether the unit is inside one of the ranges.
fn unit_labels(ranges: &[Vec<CharRange>], units: &[usize], len: usize) -> Vec<Vec<bool>> {
    ranges
        .iter()
        .map(|rs| {
            let mut inside = vec![false; len];
            for r in rs {
                inside[r.as_range()].fill(true);
            }
            units.iter().map(|&u| inside[u]).collect()
        })
        .collect()
}

/// The units (non-whitespace char offsets) of a text.
pub fn units_of(text: &str) -> Vec<usize> {
    text.chars()
        .enumerate()
        .filter(|(_, c)| is_unit(*c))
        .map(|(i, _)| i)
        .collect()
}

/// A document's per-tag unit labels for each annotator that has a file for it.
pub fn document_units(
    rel: &str,
    text: &str,
    layers: &BTreeMap<String, Vec<Span>>,
    tags: &[String],
) -> DocumentUnits {
    let len = text.chars().count();
    let units = units_of(text);
    let mut labels = BTreeMap::new();
    for (name, spans) in layers {
        let per_tag = unit_labels(&ranges_by_tag(spans, tags, len), &units, len);
        let m = tags
            .iter()
            .zip(per_tag)
            .map(|(t, l)| {
                let s: String = l.iter().map(|&b| if b { '1' } else { '0' }).collect();
                (t.clone(), s)
            })
            .collect();
        labels.insert(name.clone(), m);
    }
    DocumentUnits {
        text: rel.to_owned(),
        units,
        labels,
    }
}

impl Tally {
    /// Starts counting for these annotators (in this order; pairs are `(i, j)` with `i < j`)
    /// and tags.
    pub fn new(annotators: Vec<String>, tags: Vec<String>) -> Self {
        let n = annotators.len();
        let k = tags.len();
        let pair = PairCounts {
            documents: 0,
            units: 0,
            tags: vec![PairTagCounts::default(); k],
            confusion: vec![vec![0; k + 1]; k + 1],
            attributes: Vec::new(),
            by_document: Vec::new(),
            relations: BTreeMap::new(),
        };
        Self {
            annotators,
            tags,
            attributes: Vec::new(),
            documents: 0,
            pairs: vec![pair; n * n.saturating_sub(1) / 2],
            alpha: vec![AlphaCounts::default(); k],
            fleiss: vec![FleissCounts::default(); k],
            fleiss_documents: 0,
            scores: vec![ScoreCounts::default(); n],
            curated_documents: 0,
            curated_items: 0,
            decided_items: 0,
            by_document: Vec::new(),
            warnings: Vec::new(),
            skipped: Vec::new(),
            relation_types: Vec::new(),
        }
    }

    /// The relation types as declared (name, symmetric), for the order relation figures are
    /// listed in and for which types match either way round. A type not declared is matched
    /// with its direction and listed after these, by name. Call before the first document.
    #[must_use]
    pub fn with_relation_types(mut self, types: Vec<(String, bool)>) -> Self {
        self.relation_types = types;
        self
    }

    /// Adds one document's relations: `spans` and `relations` hold each annotator with a file
    /// for it (as [`Tally::add_document`]'s `layers`), and each pair with both compares its
    /// relations per type, exactly and by overlap.
    pub fn add_relations(
        &mut self,
        rel: &str,
        spans: &BTreeMap<String, Vec<Span>>,
        relations: &BTreeMap<String, Vec<Relation>>,
    ) {
        use crate::team::compare::{
            RelationPlace, exact_relation_matches, overlap_relation_matches, relation_places,
        };
        let none: Vec<Relation> = Vec::new();
        let places: Vec<Option<BTreeMap<String, Vec<RelationPlace>>>> = self
            .annotators
            .iter()
            .map(|a| {
                let spans = spans.get(a)?;
                let rels = relations.get(a).unwrap_or(&none);
                let mut by_kind: BTreeMap<String, Vec<RelationPlace>> = BTreeMap::new();
                for (_, p) in relation_places(rel, spans, rels) {
                    by_kind.entry(p.kind.clone()).or_default().push(p);
                }
                Some(by_kind)
            })
            .collect();
        let types = &self.relation_types;
        let symmetric = |k: &str| types.iter().any(|(n, s)| n == k && *s);
        for (pi, (a, b)) in pair_indices(self.annotators.len()).enumerate() {
            let (Some(pa), Some(pb)) = (&places[a], &places[b]) else {
                continue;
            };
            let kinds: BTreeSet<&String> = pa.keys().chain(pb.keys()).collect();
            for kind in kinds {
                let (ra, rb) = (
                    pa.get(kind).map_or(&[][..], Vec::as_slice),
                    pb.get(kind).map_or(&[][..], Vec::as_slice),
                );
                let c = self.pairs[pi].relations.entry(kind.clone()).or_default();
                c[0] += ra.len() as u64;
                c[1] += rb.len() as u64;
                c[2] += exact_relation_matches(ra, rb, &symmetric);
                c[3] += overlap_relation_matches(ra, rb, &symmetric).len() as u64;
            }
        }
    }

    /// Also compares these attributes, given as (tag, attribute), on matched spans: each is
    /// treated as a label (choice and flag attributes; tags not compared are left out).
    /// Call before the first document.
    #[must_use]
    pub fn with_attributes(mut self, attributes: Vec<(String, String)>) -> Self {
        self.attributes = attributes
            .into_iter()
            .filter(|(t, _)| self.tags.contains(t))
            .collect();
        let n = self.attributes.len();
        for p in &mut self.pairs {
            p.attributes = vec![BTreeMap::new(); n];
        }
        self
    }

    /// Records a warning shown with the report.
    pub fn warn(&mut self, w: String) {
        self.warnings.push(w);
    }

    /// Records a file left out because it cannot be read (once per file).
    pub fn skip(&mut self, skipped: Skipped) {
        if !self.skipped.iter().any(|s| s.file == skipped.file) {
            self.skipped.push(skipped);
        }
    }

    /// Adds one document: its text and the spans of each annotator that has a file for it
    /// (annotators not in the tally are ignored; an annotator absent from `layers` is missing).
    pub fn add_document(&mut self, rel: &str, text: &str, layers: &BTreeMap<String, Vec<Span>>) {
        let present: Vec<usize> = (0..self.annotators.len())
            .filter(|&i| layers.contains_key(&self.annotators[i]))
            .collect();
        if present.len() < 2 {
            return;
        }
        self.documents += 1;
        let len = text.chars().count();
        let units = units_of(text);
        let k = self.tags.len();
        let mut ranges: BTreeMap<usize, Vec<Vec<CharRange>>> = BTreeMap::new();
        let mut labels: BTreeMap<usize, Vec<Vec<bool>>> = BTreeMap::new();
        for &i in &present {
            let spans = layers
                .get(&self.annotators[i])
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let r = ranges_by_tag(spans, &self.tags, len);
            labels.insert(i, unit_labels(&r, &units, len));
            ranges.insert(i, r);
        }
        // Krippendorff's α: every present annotator gives a value to every unit. Fleiss' κ:
        // only documents every annotator has.
        let m = present.len() as u64;
        let everyone = present.len() == self.annotators.len();
        if everyone {
            self.fleiss_documents += 1;
        }
        for (t, counts) in self.alpha.iter_mut().enumerate() {
            let mut ones = vec![0u64; units.len()];
            for per_tag in labels.values() {
                for (o, &l) in ones.iter_mut().zip(&per_tag[t]) {
                    *o += u64::from(l);
                }
            }
            for o in ones {
                counts.add_unit(m - o, o);
                if everyone {
                    self.fleiss[t].add_unit(m, o);
                }
            }
        }
        let mut doc = DocumentDisagreement {
            text: rel.to_owned(),
            annotators: present
                .iter()
                .map(|&i| self.annotators[i].clone())
                .collect(),
            disagreeing_units: 0,
            labelled_units: 0,
            score: 0.0,
            unmatched_spans: 0,
        };
        let n = self.annotators.len();
        for (pi, (a, b)) in pair_indices(n).enumerate() {
            let (Some(la), Some(lb)) = (labels.get(&a), labels.get(&b)) else {
                continue;
            };
            let (ra, rb) = (&ranges[&a], &ranges[&b]);
            let pair = &mut self.pairs[pi];
            pair.documents += 1;
            pair.units += units.len() as u64;
            let mut pair_doc = DocumentDisagreement {
                text: rel.to_owned(),
                annotators: vec![self.annotators[a].clone(), self.annotators[b].clone()],
                disagreeing_units: 0,
                labelled_units: 0,
                score: 0.0,
                unmatched_spans: 0,
            };
            for t in 0..k {
                let c = &mut pair.tags[t];
                for u in 0..units.len() {
                    let (x, y) = (la[t][u] as usize, lb[t][u] as usize);
                    c.table[x][y] += 1;
                    c.alpha.add_unit((2 - x - y) as u64, (x + y) as u64);
                    if x != y {
                        pair_doc.disagreeing_units += 1;
                    }
                    if x == 1 || y == 1 {
                        pair_doc.labelled_units += 1;
                    }
                }
                c.a_spans += ra[t].len() as u64;
                c.b_spans += rb[t].len() as u64;
                let exact = exact_matches(&ra[t], &rb[t]);
                c.exact += exact;
                c.overlap += greedy_overlap_match(&ra[t], &rb[t]).len() as u64;
                pair_doc.unmatched_spans += (ra[t].len() + rb[t].len()) as u64 - 2 * exact;
            }
            if !self.attributes.is_empty() {
                let spans_of = |i: usize| {
                    layers
                        .get(&self.annotators[i])
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                };
                count_attributes(
                    &mut pair.attributes,
                    &self.attributes,
                    &self.tags,
                    (spans_of(a), spans_of(b)),
                    len,
                );
            }
            add_confusion(&mut pair.confusion, ra, rb);
            doc.disagreeing_units += pair_doc.disagreeing_units;
            doc.labelled_units += pair_doc.labelled_units;
            doc.unmatched_spans += pair_doc.unmatched_spans;
            if pair_doc.labelled_units > 0 {
                pair_doc.score = pair_doc.disagreeing_units as f64 / pair_doc.labelled_units as f64;
            }
            pair.by_document.push(pair_doc);
        }
        if doc.labelled_units > 0 {
            doc.score = doc.disagreeing_units as f64 / doc.labelled_units as f64;
        }
        self.by_document.push(doc);
    }

    /// Adds one document's curated layer for the scorecard: each annotator with a file for the
    /// document (in `layers`) is compared with the curated spans, per tag.
    ///
    /// Only what the reviewer decided is scored: `items` are the review items with whether
    /// each is decided, and every span (curated or an annotator's) that overlaps an undecided
    /// item's range is left out, neither true nor false. Without items (a curated layer that
    /// names no reviewed layer) the whole curated layer counts.
    pub fn add_curated(
        &mut self,
        text: &str,
        curated: &[Span],
        items: &[(CharRange, bool)],
        layers: &BTreeMap<String, Vec<Span>>,
    ) {
        let len = text.chars().count();
        let undecided: Vec<CharRange> = items
            .iter()
            .filter(|(_, decided)| !decided)
            .map(|(r, _)| *r)
            .collect();
        let index = crate::model::span_index::SpanIndex::from_ranges(undecided.iter().copied());
        let decided_only = |ranges: Vec<Vec<CharRange>>| -> Vec<Vec<CharRange>> {
            if undecided.is_empty() {
                return ranges;
            }
            ranges
                .into_iter()
                .map(|rs| {
                    rs.into_iter()
                        .filter(|r| {
                            let mut overlaps = false;
                            index.visit_overlapping(r.start, r.end, |j| {
                                overlaps |= r.overlaps(undecided[j]);
                            });
                            !overlaps
                        })
                        .collect()
                })
                .collect()
        };
        let reference = decided_only(ranges_by_tag(curated, &self.tags, len));
        let mut any = false;
        for (i, name) in self.annotators.iter().enumerate() {
            if let Some(spans) = layers.get(name) {
                any = true;
                let mine = decided_only(ranges_by_tag(spans, &self.tags, len));
                self.scores[i].add_document(&reference, &mine);
            }
        }
        if any {
            self.curated_documents += 1;
            self.curated_items += items.len();
            self.decided_items += items.iter().filter(|(_, d)| *d).count();
        }
    }

    /// The figures.
    pub fn finish(self) -> AgreementReport {
        let n = self.annotators.len();
        let mut labels = self.tags.clone();
        labels.push(NONE_LABEL.to_owned());
        let pairs: Vec<PairReport> = pair_indices(n)
            .zip(self.pairs)
            .map(|((a, b), p)| {
                let tags: Vec<PairTag> = self
                    .tags
                    .iter()
                    .zip(&p.tags)
                    .map(|(tag, c)| {
                        let total: u64 = c.table.iter().flatten().sum();
                        PairTag {
                            tag: tag.clone(),
                            kappa: cohen_kappa(c.table),
                            alpha: c.alpha.alpha(),
                            observed_agreement: (total > 0)
                                .then(|| (c.table[0][0] + c.table[1][1]) as f64 / total as f64),
                            units_table: c.table,
                            exact: SpanScores::from_counts(c.a_spans, c.b_spans, c.exact),
                            overlap: SpanScores::from_counts(c.a_spans, c.b_spans, c.overlap),
                        }
                    })
                    .collect();
                let mut by_document = p.by_document;
                sort_by_disagreement(&mut by_document);
                let relations = relation_order(&self.relation_types, p.relations)
                    .into_iter()
                    .map(|(kind, [na, nb, exact, overlap])| PairRelation {
                        kind,
                        exact: RelationScores::from_counts(na, nb, exact),
                        overlap: RelationScores::from_counts(na, nb, overlap),
                    })
                    .collect();
                PairReport {
                    relations,
                    a: self.annotators[a].clone(),
                    b: self.annotators[b].clone(),
                    documents_by_disagreement: by_document,
                    documents: p.documents,
                    units: p.units,
                    macro_kappa: mean(tags.iter().filter_map(|t| t.kappa)),
                    macro_exact_f1: mean(tags.iter().filter_map(|t| t.exact.f1)),
                    tags,
                    confusion: Confusion {
                        labels: labels.clone(),
                        counts: p.confusion,
                    },
                    attributes: self
                        .attributes
                        .iter()
                        .zip(&p.attributes)
                        .map(|((tag, attribute), counts)| attr_agreement(tag, attribute, counts))
                        .collect(),
                }
            })
            .collect();
        let alpha = self
            .tags
            .iter()
            .zip(&self.alpha)
            .map(|(tag, c)| TagAlpha {
                tag: tag.clone(),
                alpha: c.alpha(),
                units: c.units,
            })
            .collect();
        let fleiss = self
            .tags
            .iter()
            .zip(&self.fleiss)
            .map(|(tag, c)| TagFleiss {
                tag: tag.clone(),
                kappa: c.kappa(),
                units: c.units,
            })
            .collect();
        let kappa_matrix = kappa_matrix(&self.annotators, &pairs);
        let annotator_means = annotator_means(&self.annotators, &kappa_matrix);
        let mut scorecard = Scorecard::from_counts(
            self.curated_documents,
            &self.annotators,
            &self.tags,
            &self.scores,
        );
        scorecard.items = self.curated_items;
        scorecard.decided_items = self.decided_items;
        let mut by_document = self.by_document;
        sort_by_disagreement(&mut by_document);
        AgreementReport {
            annotators: self.annotators,
            tags: self.tags,
            documents: self.documents,
            pairs,
            alpha,
            fleiss,
            fleiss_documents: self.fleiss_documents,
            kappa_matrix,
            annotator_means,
            scorecard,
            documents_by_disagreement: by_document,
            warnings: self.warnings,
            skipped: self.skipped,
        }
    }
}

/// A pair's relation counts in listing order: the declared types in their order, then the
/// others by name; types neither annotator used are left out.
fn relation_order(
    declared: &[(String, bool)],
    mut counts: BTreeMap<String, [u64; 4]>,
) -> Vec<(String, [u64; 4])> {
    counts.retain(|_, c| c[0] + c[1] > 0);
    let mut out: Vec<(String, [u64; 4])> = declared
        .iter()
        .filter_map(|(n, _)| counts.remove_entry(n))
        .collect();
    out.extend(counts);
    out
}

/// Adds one document's matched span pairs to a pair's attribute counts: per compared tag, the
/// spans are matched as for overlap F1 ([`greedy_overlap_match`]), and each matched pair with a
/// value of the attribute on both sides is counted.
fn count_attributes(
    counts: &mut [BTreeMap<(String, String), u64>],
    attributes: &[(String, String)],
    tags: &[String],
    (a, b): (&[Span], &[Span]),
    len: usize,
) {
    let (sa, sb) = (spans_by_tag(a, tags, len), spans_by_tag(b, tags, len));
    for (t, tag) in tags.iter().enumerate() {
        let wanted: Vec<usize> = (0..attributes.len())
            .filter(|&k| attributes[k].0 == *tag)
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let ra: Vec<CharRange> = sa[t]
            .iter()
            .map(|&(s, e, _)| CharRange::new(s, e))
            .collect();
        let rb: Vec<CharRange> = sb[t]
            .iter()
            .map(|&(s, e, _)| CharRange::new(s, e))
            .collect();
        for (x, y) in greedy_overlap_match(&ra, &rb) {
            let (span_a, span_b) = (&a[sa[t][x].2], &b[sb[t][y].2]);
            for &k in &wanted {
                let name = &attributes[k].1;
                if let (Some(va), Some(vb)) = (span_a.attrs.get(name), span_b.attrs.get(name)) {
                    *counts[k].entry((va.clone(), vb.clone())).or_default() += 1;
                }
            }
        }
    }
}

fn attr_agreement(
    tag: &str,
    attribute: &str,
    counts: &BTreeMap<(String, String), u64>,
) -> AttrAgreement {
    let matched: u64 = counts.values().sum();
    let equal: u64 = counts
        .iter()
        .filter(|((x, y), _)| x == y)
        .map(|(_, c)| c)
        .sum();
    AttrAgreement {
        tag: tag.to_owned(),
        attribute: attribute.to_owned(),
        matched,
        kappa: cohen_kappa_labels(
            counts
                .iter()
                .map(|((x, y), c)| (x.as_str(), y.as_str(), *c)),
        ),
        observed_agreement: (matched > 0).then(|| equal as f64 / matched as f64),
        table: counts
            .iter()
            .map(|((x, y), c)| (x.clone(), y.clone(), *c))
            .collect(),
    }
}

/// The choice and flag attributes of the compared tags, in schema order, as (tag, attribute).
pub fn labelled_attributes(
    tags: &crate::model::tags::TagSet,
    compared: &[String],
) -> Vec<(String, String)> {
    compared
        .iter()
        .filter_map(|t| tags.get(t))
        .flat_map(|t| {
            t.attributes
                .iter()
                .filter(|a| !matches!(a.kind, crate::model::tags::AttrKind::Text))
                .map(|a| (t.name.clone(), a.name.clone()))
        })
        .collect()
}

pub(crate) fn mean(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// Pairs `(i, j)`, `i < j`, in a fixed order.
fn pair_indices(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).flat_map(move |i| (i + 1..n).map(move |j| (i, j)))
}

/// Adds same-range span pairs to a confusion matrix: at each range, equal tags pair first,
/// then the remaining tags pair in tag order, and what is left pairs with `none`.
fn add_confusion(m: &mut [Vec<u64>], ra: &[Vec<CharRange>], rb: &[Vec<CharRange>]) {
    let none = m.len() - 1;
    let mut at: BTreeMap<CharRange, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (t, rs) in ra.iter().enumerate() {
        for r in rs {
            at.entry(*r).or_default().0.push(t);
        }
    }
    for (t, rs) in rb.iter().enumerate() {
        for r in rs {
            at.entry(*r).or_default().1.push(t);
        }
    }
    for (_, (mut ta, mut tb)) in at {
        let mut rest_a = Vec::new();
        for t in ta.drain(..) {
            if let Some(p) = tb.iter().position(|&x| x == t) {
                tb.remove(p);
                m[t][t] += 1;
            } else {
                rest_a.push(t);
            }
        }
        let mut rb_iter = tb.into_iter();
        for t in rest_a {
            match rb_iter.next() {
                Some(u) => m[t][u] += 1,
                None => m[t][none] += 1,
            }
        }
        for u in rb_iter {
            m[none][u] += 1;
        }
    }
}

/// The annotators and tags a computation uses, after defaults.
///
/// # Errors
/// Fewer than two annotators, an annotator without files, a name given twice, or no tags.
pub fn resolve_options(
    ws: &Workspace,
    opts: &AgreementOptions,
) -> Result<(Vec<String>, Vec<String>), AgreementError> {
    let names = ws.layer_names();
    let annotators: Vec<String> = if opts.annotators.is_empty() {
        names.into_iter().filter(|n| n != CURATED_LAYER).collect()
    } else {
        for a in &opts.annotators {
            if !names.contains(a) {
                return Err(AgreementError::UnknownAnnotator(a.clone()));
            }
        }
        opts.annotators.clone()
    };
    let tags: Vec<String> = if opts.tags.is_empty() {
        ws.tags().tags.iter().map(|t| t.name.clone()).collect()
    } else {
        opts.tags.clone()
    };
    for list in [&annotators, &tags] {
        let mut seen = BTreeSet::new();
        for x in list {
            if !seen.insert(x) {
                return Err(AgreementError::Duplicate(x.clone()));
            }
        }
    }
    if annotators.len() < 2 {
        return Err(AgreementError::TooFewAnnotators(annotators.len()));
    }
    if tags.is_empty() {
        return Err(AgreementError::NoTags);
    }
    Ok((annotators, tags))
}

/// One document of the workspace with the selected annotators' spans.
struct LoadedDocument {
    rel: String,
    text: Text,
    layers: BTreeMap<String, Vec<Span>>,
    /// Each layer's relations (an annotator in `layers` without relations is absent).
    relations: BTreeMap<String, Vec<Relation>>,
    stale: Vec<String>,
    /// Layer files of this document that cannot be read.
    skipped: Vec<Skipped>,
}

/// Texts with a curated layer file that at least one of `annotators` has a file for.
fn curated_texts(ws: &Workspace, annotators: &[String]) -> BTreeSet<String> {
    let mut annotated = BTreeSet::new();
    for a in annotators {
        annotated.extend(ws.layer_files(a).into_iter().map(|(rel, _)| rel));
    }
    ws.layer_files(CURATED_LAYER)
        .into_iter()
        .map(|(rel, _)| rel)
        .filter(|rel| annotated.contains(rel))
        .collect()
}

/// What the scorecard takes from a document's curated layer.
struct CuratedDocument {
    spans: Vec<Span>,
    /// The review items' ranges, each with whether it is decided.
    items: Vec<(CharRange, bool)>,
    stale: bool,
}

/// The curated layer of a document, with its review items (from the reviewed layers it
/// names: taken from `loaded` when they are there, read otherwise). `Ok(None)` without a
/// curated layer file.
///
/// # Errors
/// The file that cannot be read (the curated layer or a reviewed layer) and why.
fn load_curated_document(
    ws: &Workspace,
    rel: &str,
    text: &Text,
    loaded: &BTreeMap<String, Vec<Span>>,
) -> Result<Option<CuratedDocument>, Skipped> {
    let Some(path) = ws.layer_path(CURATED_LAYER, rel) else {
        return Ok(None);
    };
    let Some((c, _)) =
        crate::model::curated::load_curated(&path).map_err(|e| Skipped::from_error(&path, &e))?
    else {
        return Ok(None);
    };
    let mut reviewed = Vec::new();
    for name in c.reviewed.iter().take(2) {
        let spans = match loaded.get(name) {
            Some(spans) => Some(spans.clone()),
            None => match ws.layer_path(name, rel) {
                Some(p) => crate::model::layer::load_layer(&p)
                    .map_err(|e| Skipped::from_error(&p, &e))?
                    .map(|(l, _)| l.spans),
                None => None,
            },
        };
        // A reviewed layer that is gone leaves no items to wait for.
        let Some(spans) = spans else {
            reviewed.clear();
            break;
        };
        reviewed.push((name.as_str(), spans));
    }
    let reviewed: Vec<(&str, &[Span])> = reviewed
        .iter()
        .map(|(n, spans)| (*n, spans.as_slice()))
        .collect();
    let items = crate::team::compare::items_with_decisions(&c, &reviewed)
        .into_iter()
        .map(|(item, decided)| (item.range(), decided))
        .collect();
    Ok(Some(CuratedDocument {
        stale: c.text_sha256 != text.sha256(),
        spans: c.to_layer().spans,
        items,
    }))
}

/// Texts that at least two of `annotators` have a file for, sorted.
fn shared_texts(ws: &Workspace, annotators: &[String]) -> Vec<String> {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for a in annotators {
        for (rel, _) in ws.layer_files(a) {
            *count.entry(rel).or_default() += 1;
        }
    }
    count
        .into_iter()
        .filter(|(_, n)| *n >= 2)
        .map(|(rel, _)| rel)
        .collect()
}

/// Reads one document: its text and the layers of `annotators` that have a file for it.
/// `Ok(None)` when the text is not in the workspace; a layer file that cannot be read is left
/// out and listed in [`LoadedDocument::skipped`].
///
/// # Errors
/// The text cannot be read.
fn load_document(
    ws: &Workspace,
    rel: &str,
    annotators: &[String],
) -> Result<Option<LoadedDocument>, Skipped> {
    let Some(text_path) = ws.text_path(rel) else {
        return Ok(None);
    };
    if !text_path.is_file() {
        return Ok(None);
    }
    let text = Text::load(&text_path).map_err(|e| Skipped::from_error(&text_path, &e))?;
    let mut layers = BTreeMap::new();
    let mut relations = BTreeMap::new();
    let mut stale = Vec::new();
    let mut skipped = Vec::new();
    for a in annotators {
        let Some(path) = ws.layer_path(a, rel) else {
            continue;
        };
        match crate::model::layer::load_layer(&path) {
            Ok(Some((layer, _))) => {
                if layer.text_sha256 != text.sha256() {
                    stale.push(format!(
                        "{}: stale (the text changed since it was annotated); figures use its offsets as they are",
                        path.display()
                    ));
                }
                if !layer.relations.is_empty() {
                    relations.insert(a.clone(), layer.relations);
                }
                layers.insert(a.clone(), layer.spans);
            }
            Ok(None) => {}
            Err(e) => skipped.push(Skipped::from_error(&path, &e)),
        }
    }
    Ok(Some(LoadedDocument {
        rel: rel.to_owned(),
        text,
        layers,
        relations,
        stale,
        skipped,
    }))
}

/// Computes agreement over a workspace.
///
/// `progress(done, total)` is called before the first document and after each one (`total` =
/// documents with files from at least two annotators, or from one and a curated layer);
/// returning `false` cancels.
///
/// A text or annotation file that cannot be read does not stop the figures: they are computed
/// from the rest and the file is listed in [`AgreementReport::skipped`] with why.
///
/// # Errors
/// Bad options ([`resolve_options`]) or [`AgreementError::Cancelled`].
pub fn compute(
    ws: &Workspace,
    opts: &AgreementOptions,
    progress: &dyn Fn(usize, usize) -> bool,
) -> Result<AgreementReport, AgreementError> {
    let (annotators, tags) = resolve_options(ws, opts)?;
    let curated = curated_texts(ws, &annotators);
    let mut rels: BTreeSet<String> = shared_texts(ws, &annotators).into_iter().collect();
    rels.extend(curated.iter().cloned());
    let total = rels.len();
    let attributes = labelled_attributes(ws.tags(), &tags);
    let relation_types = (ws.tags().relations.iter())
        .map(|t| (t.name.clone(), t.symmetric))
        .collect();
    let mut tally = Tally::new(annotators.clone(), tags)
        .with_attributes(attributes)
        .with_relation_types(relation_types);
    if !progress(0, total) {
        return Err(AgreementError::Cancelled);
    }
    for (done, rel) in rels.iter().enumerate() {
        match load_document(ws, rel, &annotators) {
            Ok(Some(doc)) => {
                for w in doc.stale {
                    tally.warn(w);
                }
                for s in doc.skipped {
                    tally.skip(s);
                }
                tally.add_document(&doc.rel, doc.text.as_str(), &doc.layers);
                if !doc.relations.is_empty() {
                    tally.add_relations(&doc.rel, &doc.layers, &doc.relations);
                }
                if curated.contains(rel) {
                    match load_curated_document(ws, rel, &doc.text, &doc.layers) {
                        Ok(Some(c)) => {
                            if c.stale {
                                tally.warn(format!(
                                    "{rel}: the curated layer is stale (the text changed since it was reviewed); the scorecard uses its offsets as they are"
                                ));
                            }
                            tally.add_curated(doc.text.as_str(), &c.spans, &c.items, &doc.layers);
                        }
                        Ok(None) => {}
                        Err(s) => tally.skip(s),
                    }
                }
            }
            Ok(None) => tally.warn(format!(
                "{rel}: annotation files exist but the text is not in the workspace; skipped"
            )),
            Err(s) => tally.skip(s),
        }
        if !progress(done + 1, total) {
            return Err(AgreementError::Cancelled);
        }
    }
    Ok(tally.finish())
}

/// The per-char labels behind the figures, for checking them with other tools
/// (`marginalia agree --json --dump-units`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitsDump {
    pub annotators: Vec<String>,
    pub tags: Vec<String>,
    /// Documents with files from at least two annotators.
    pub documents: Vec<DocumentUnits>,
}

/// Dumps the unit labels of every document with files from at least two annotators.
///
/// # Errors
/// As [`compute`].
pub fn dump_units(ws: &Workspace, opts: &AgreementOptions) -> Result<UnitsDump, AgreementError> {
    let (annotators, tags) = resolve_options(ws, opts)?;
    let mut documents = Vec::new();
    for rel in shared_texts(ws, &annotators) {
        let doc = load_document(ws, &rel, &annotators).map_err(AgreementError::Unreadable)?;
        if let Some(first) = doc.as_ref().and_then(|d| d.skipped.first()) {
            return Err(AgreementError::Unreadable(first.clone()));
        }
        if let Some(doc) = doc {
            documents.push(document_units(
                &doc.rel,
                doc.text.as_str(),
                &doc.layers,
                &tags,
            ));
        }
    }
    Ok(UnitsDump {
        annotators,
        tags,
        documents,
    })
}

fn fmt_opt(x: Option<f64>) -> String {
    crate::wording::figure_or(x, 3, "n/a")
}

impl AgreementReport {
    fn heading(&self) -> String {
        let who = if self.annotators.len() > 3 {
            crate::wording::plural(self.annotators.len(), "annotator")
        } else {
            self.annotators.join(", ")
        };
        format!(
            "Agreement of {who} over {} (units: non-whitespace characters)\n",
            crate::wording::plural(self.documents, "document")
        )
    }

    /// The report for a team (the default of `marginalia agree` with more than three
    /// annotators): the κ matrix, the mean κ of each annotator, α and Fleiss' κ per tag, the
    /// scorecard against the curated layer and the documents that disagree most.
    pub fn to_summary(&self) -> String {
        use std::fmt::Write as _;
        let mut s = self.heading();
        s.push_str(&crate::team::agreement::team_scale::matrix_table(self));
        self.write_alpha(&mut s);
        s.push_str(&crate::team::agreement::team_scale::fleiss_table(self));
        s.push_str(&crate::team::agreement::team_scale::scorecard_table(self));
        self.write_documents(&mut s);
        let _ = writeln!(
            s,
            "\nEvery pair's tables: marginalia agree --pairs ({} pairs)",
            self.pairs.len()
        );
        s
    }

    /// Relation F1 per pair and type; nothing when no compared layer has a relation.
    fn write_relations(&self, s: &mut String) {
        use std::fmt::Write as _;
        if self.pairs.iter().all(|p| p.relations.is_empty()) {
            return;
        }
        let _ = writeln!(
            s,
            "\nRelations (same type; exact: both ends' ranges equal, overlap: each end overlaps; \
             direction counts unless the type is symmetric)"
        );
        for p in &self.pairs {
            let _ = writeln!(s, "  {} (A) vs {} (B)", p.a, p.b);
            if p.relations.is_empty() {
                let _ = writeln!(s, "    no relations in the documents both annotated");
                continue;
            }
            let _ = writeln!(
                s,
                "    {:<14} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>7}",
                "type",
                "rels A",
                "rels B",
                "exact P",
                "exact R",
                "exact F1",
                "ovl P",
                "ovl R",
                "ovl F1"
            );
            for r in &p.relations {
                let _ = writeln!(
                    s,
                    "    {:<14} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>7}",
                    r.kind,
                    r.exact.a_relations,
                    r.exact.b_relations,
                    fmt_opt(r.exact.precision),
                    fmt_opt(r.exact.recall),
                    fmt_opt(r.exact.f1),
                    fmt_opt(r.overlap.precision),
                    fmt_opt(r.overlap.recall),
                    fmt_opt(r.overlap.f1),
                );
            }
        }
    }

    fn write_alpha(&self, s: &mut String) {
        use std::fmt::Write as _;
        let _ = writeln!(s, "\nKrippendorff's alpha (nominal, all annotators)");
        for a in &self.alpha {
            let _ = writeln!(
                s,
                "  {:<14} {:>7}  ({})",
                a.tag,
                fmt_opt(a.alpha),
                crate::wording::plural(a.units, "unit")
            );
        }
    }

    fn write_documents(&self, s: &mut String) {
        use std::fmt::Write as _;
        let _ = writeln!(s, "\nDocuments that disagree most (all pairs)");
        for d in self.documents_by_disagreement.iter().take(10) {
            let _ = writeln!(
                s,
                "  {}  {}  ({} of {} labelled units differ, {} unmatched spans)",
                crate::wording::figure(d.score, 3),
                d.text,
                d.disagreeing_units,
                d.labelled_units,
                d.unmatched_spans
            );
        }
        for w in &self.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        if !self.skipped.is_empty() {
            let _ = writeln!(s, "\nskipped: {}", self.skipped_note("above"));
            for x in &self.skipped {
                let _ = writeln!(s, "  {x}");
            }
        }
    }

    /// What the skipped files mean for the figures `placed` (above or below) them: "N files
    /// that cannot be read; the figures … leave them out".
    pub fn skipped_note(&self, placed: &str) -> String {
        format!(
            "{} that cannot be read; the figures {placed} leave {} out",
            crate::wording::plural(self.skipped.len(), "file"),
            if self.skipped.len() == 1 {
                "it"
            } else {
                "them"
            }
        )
    }

    /// A readable report for the terminal, with every pair's tables.
    pub fn to_table(&self) -> String {
        use std::fmt::Write as _;
        let mut s = self.heading();
        for p in &self.pairs {
            let _ = writeln!(
                s,
                "\n{} (A) vs {} (B): {}, {}",
                p.a,
                p.b,
                crate::wording::plural(p.documents, "document"),
                crate::wording::plural(p.units, "unit")
            );
            let _ = writeln!(
                s,
                "  {:<14} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
                "tag",
                "kappa",
                "alpha",
                "spans A",
                "spans B",
                "exact P",
                "exact R",
                "exact F1",
                "ovl F1",
                "obs agr"
            );
            for t in &p.tags {
                let _ = writeln!(
                    s,
                    "  {:<14} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7}",
                    t.tag,
                    fmt_opt(t.kappa),
                    fmt_opt(t.alpha),
                    t.exact.a_spans,
                    t.exact.b_spans,
                    fmt_opt(t.exact.precision),
                    fmt_opt(t.exact.recall),
                    fmt_opt(t.exact.f1),
                    fmt_opt(t.overlap.f1),
                    fmt_opt(t.observed_agreement),
                );
            }
            let _ = writeln!(
                s,
                "  {:<14} {:>7} {:>40} {:>8}",
                "macro",
                fmt_opt(p.macro_kappa),
                "",
                fmt_opt(p.macro_exact_f1)
            );
            if !p.attributes.is_empty() {
                let _ = writeln!(
                    s,
                    "  Attribute values on matched spans (same tag, overlap matching):"
                );
                let _ = writeln!(
                    s,
                    "  {:<24} {:>7} {:>7} {:>8}",
                    "tag.attribute", "kappa", "obs agr", "matched"
                );
                for at in &p.attributes {
                    let _ = writeln!(
                        s,
                        "  {:<24} {:>7} {:>7} {:>8}",
                        format!("{}.{}", at.tag, at.attribute),
                        fmt_opt(at.kappa),
                        fmt_opt(at.observed_agreement),
                        at.matched
                    );
                }
            }
            let _ = writeln!(
                s,
                "  Tag confusion (rows {}, columns {}, same range):",
                p.a, p.b
            );
            let w = p
                .confusion
                .labels
                .iter()
                .map(|l| l.len())
                .max()
                .unwrap_or(4)
                .max(5);
            let _ = write!(s, "    {:<w$}", "");
            for l in &p.confusion.labels {
                let _ = write!(s, " {l:>w$}");
            }
            let _ = writeln!(s);
            for (l, row) in p.confusion.labels.iter().zip(&p.confusion.counts) {
                let _ = write!(s, "    {l:<w$}");
                for c in row {
                    let _ = write!(s, " {c:>w$}");
                }
                let _ = writeln!(s);
            }
        }
        self.write_relations(&mut s);
        if self.annotators.len() > 3 {
            s.push_str(&crate::team::agreement::team_scale::matrix_table(self));
        }
        self.write_alpha(&mut s);
        s.push_str(&crate::team::agreement::team_scale::fleiss_table(self));
        if self.scorecard.documents > 0 {
            s.push_str(&crate::team::agreement::team_scale::scorecard_table(self));
        }
        self.write_documents(&mut s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_matches_hand_computation() {
        // po = 0.7, pe = 0.5·0.6 + 0.5·0.4 = 0.5 → κ = 0.4.
        let k = cohen_kappa([[4, 1], [2, 3]]).unwrap();
        assert!((k - 0.4).abs() < 1e-12, "{k}");
        assert_eq!(cohen_kappa([[10, 0], [0, 0]]), None);
        assert_eq!(cohen_kappa([[0, 0], [0, 0]]), None);
        assert_eq!(cohen_kappa([[0, 10], [0, 0]]), Some(0.0));
    }
}
