//! Agreement at team scale: with twenty annotators nobody reads 190 pair tables, so this module
//! condenses them into a pairwise κ matrix, each annotator's mean κ against the others, Fleiss'
//! κ per tag, and each annotator's scorecard against the curated layer.
//!
//! The counts stream like the rest of [`crate::team::agreement`]: [`FleissCounts`] and
//! [`ScoreCounts`] take one document at a time inside [`crate::team::agreement::Tally`].

use serde::Serialize;

use crate::model::range::CharRange;
use crate::team::agreement::{AgreementReport, PairReport, SpanScores};
use crate::team::compare::greedy_overlap_match;

/// The counts Fleiss' κ needs for binary values over units that every annotator labelled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleissCounts {
    /// Raters per unit (every annotator).
    pub raters: u64,
    /// Units (subjects).
    pub units: u64,
    /// Σ over units of n₀² + n₁².
    pub sum_squares: u64,
    /// Σ over units of n₁.
    pub ones: u64,
}

impl FleissCounts {
    /// Adds one unit that `raters` annotators labelled, `ones` of them with 1.
    pub fn add_unit(&mut self, raters: u64, ones: u64) {
        self.raters = raters;
        self.units += 1;
        let zeros = raters - ones;
        self.sum_squares += zeros * zeros + ones * ones;
        self.ones += ones;
    }

    /// Fleiss' κ; equal to `statsmodels.stats.inter_rater.fleiss_kappa(table)` with one row per
    /// unit and the columns (0s, 1s). `None` where statsmodels gives `nan`: no units, fewer than
    /// two raters, or every rating the same (chance agreement 1).
    pub fn kappa(&self) -> Option<f64> {
        if self.units == 0 || self.raters < 2 {
            return None;
        }
        let (n, r) = (self.units as f64, self.raters as f64);
        let p_mean = (self.sum_squares as f64 - n * r) / (n * r * (r - 1.0));
        let p1 = self.ones as f64 / (n * r);
        let p_e = p1 * p1 + (1.0 - p1) * (1.0 - p1);
        if self.ones == 0 || self.ones == self.units * self.raters {
            return None;
        }
        Some((p_mean - p_e) / (1.0 - p_e))
    }
}

/// Fleiss' κ for one tag across all annotators.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagFleiss {
    pub tag: String,
    /// `null` when undefined (nobody, or everybody, labelled every unit with the tag).
    pub kappa: Option<f64>,
    /// Units of the documents every annotator has a file for.
    pub units: u64,
}

/// One annotator's mean κ against everyone else.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnotatorMean {
    pub annotator: String,
    /// Mean of the pairs' macro κ over this annotator's pairs where it is defined.
    pub mean_kappa: Option<f64>,
    /// Pairs that went into the mean.
    pub pairs: usize,
}

/// Span counts of one annotator and one tag against the curated layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagScoreCounts {
    pub curated: u64,
    pub annotator: u64,
    pub exact: u64,
    pub overlap: u64,
}

/// One annotator's counts against the curated layer, per tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScoreCounts {
    pub documents: usize,
    pub tags: Vec<TagScoreCounts>,
}

impl ScoreCounts {
    /// Adds one document: per tag, the curated ranges and the annotator's ranges.
    pub fn add_document(&mut self, curated: &[Vec<CharRange>], mine: &[Vec<CharRange>]) {
        self.documents += 1;
        if self.tags.len() < curated.len() {
            self.tags.resize(curated.len(), TagScoreCounts::default());
        }
        for (t, (c, m)) in curated.iter().zip(mine).enumerate() {
            let s = &mut self.tags[t];
            s.curated += c.len() as u64;
            s.annotator += m.len() as u64;
            s.exact += crate::team::agreement::exact_matches(c, m);
            s.overlap += greedy_overlap_match(c, m).len() as u64;
        }
    }
}

/// Precision, recall and F1 of an annotator's spans, the curated layer being the reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Score {
    pub curated_spans: u64,
    pub annotator_spans: u64,
    pub matched: u64,
    /// matched / annotator's spans; `null` when the annotator has none.
    pub precision: Option<f64>,
    /// matched / curated spans; `null` when the curated layer has none.
    pub recall: Option<f64>,
    /// 2·matched / (curated + annotator's spans); `null` when neither has any.
    pub f1: Option<f64>,
}

impl Score {
    /// A pair's figures ([`SpanScores`]) with the curated layer as A, the reference.
    fn new(curated: u64, annotator: u64, matched: u64) -> Self {
        let SpanScores {
            precision,
            recall,
            f1,
            ..
        } = SpanScores::from_counts(curated, annotator, matched);
        Self {
            curated_spans: curated,
            annotator_spans: annotator,
            matched,
            precision,
            recall,
            f1,
        }
    }
}

/// One tag of an annotator's scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagScore {
    pub tag: String,
    /// Same start, end and tag, matched one to one.
    pub exact: Score,
    /// Overlapping ranges of the same tag, matched one to one by largest overlap.
    pub overlap: Score,
}

/// One annotator against the curated layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnotatorScore {
    pub annotator: String,
    /// Documents with both a curated layer and a file of this annotator.
    pub documents: usize,
    pub tags: Vec<TagScore>,
    /// Mean exact F1 over the tags where it is defined.
    pub macro_exact_f1: Option<f64>,
}

/// How the scorecard counts, in the JSON and under every scorecard.
pub const SCORE_RULE: &str = "only decided review items are scored: spans that overlap an \
     undecided item are left out (neither right nor wrong); a curated layer that names no \
     reviewed layer counts in full";

/// Every annotator against the curated layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scorecard {
    /// Documents with a curated layer file (and a file of at least one compared annotator).
    pub documents: usize,
    /// Review items of those documents (the reviewed layers' spans, as review mode lists them).
    pub items: usize,
    /// Of those, the items the reviewer has decided: only these are scored.
    pub decided_items: usize,
    /// [`SCORE_RULE`].
    pub rule: &'static str,
    pub annotators: Vec<AnnotatorScore>,
}

impl Scorecard {
    /// The figures from the counts, one entry per annotator (in the report's order).
    pub fn from_counts(
        documents: usize,
        annotators: &[String],
        tags: &[String],
        counts: &[ScoreCounts],
    ) -> Self {
        let annotators = annotators
            .iter()
            .zip(counts)
            .map(|(name, c)| {
                let tags: Vec<TagScore> = tags
                    .iter()
                    .enumerate()
                    .map(|(t, tag)| {
                        let s = c.tags.get(t).cloned().unwrap_or_default();
                        TagScore {
                            tag: tag.clone(),
                            exact: Score::new(s.curated, s.annotator, s.exact),
                            overlap: Score::new(s.curated, s.annotator, s.overlap),
                        }
                    })
                    .collect();
                AnnotatorScore {
                    annotator: name.clone(),
                    documents: c.documents,
                    macro_exact_f1: crate::team::agreement::mean(
                        tags.iter().filter_map(|t| t.exact.f1),
                    ),
                    tags,
                }
            })
            .collect();
        Self {
            documents,
            items: 0,
            decided_items: 0,
            rule: SCORE_RULE,
            annotators,
        }
    }

    /// What the figures are scored against, for the line under the scorecard's title:
    /// "scored against 4 decided items of 33; undecided items are not counted".
    pub fn basis(&self) -> String {
        if self.items == 0 {
            return "scored against the whole curated layer (it names no reviewed layer, so \
                    there are no review items to wait for)"
                .to_owned();
        }
        format!(
            "scored against {} decided {} of {}; undecided items are not counted",
            self.decided_items,
            if self.decided_items == 1 {
                "item"
            } else {
                "items"
            },
            self.items
        )
    }
}

/// The pairwise matrix of macro κ: `m[i][j]` for annotators `i` and `j` (symmetric; `None` on
/// the diagonal and where undefined).
pub fn kappa_matrix(annotators: &[String], pairs: &[PairReport]) -> Vec<Vec<Option<f64>>> {
    let n = annotators.len();
    let mut m = vec![vec![None; n]; n];
    let index = |name: &str| annotators.iter().position(|a| a == name);
    for p in pairs {
        if let (Some(i), Some(j)) = (index(&p.a), index(&p.b)) {
            m[i][j] = p.macro_kappa;
            m[j][i] = p.macro_kappa;
        }
    }
    m
}

/// Each annotator's mean macro κ against the others, lowest first (undefined last, ties by
/// name).
pub fn annotator_means(annotators: &[String], matrix: &[Vec<Option<f64>>]) -> Vec<AnnotatorMean> {
    let mut out: Vec<AnnotatorMean> = annotators
        .iter()
        .zip(matrix)
        .map(|(name, row)| {
            let defined: Vec<f64> = row.iter().flatten().copied().collect();
            AnnotatorMean {
                annotator: name.clone(),
                mean_kappa: crate::team::agreement::mean(defined.iter().copied()),
                pairs: defined.len(),
            }
        })
        .collect();
    out.sort_by(|x, y| match (x.mean_kappa, y.mean_kappa) {
        (Some(a), Some(b)) => a.total_cmp(&b).then(x.annotator.cmp(&y.annotator)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => x.annotator.cmp(&y.annotator),
    });
    out
}

fn fmt2(x: Option<f64>) -> String {
    crate::wording::figure_or(x, 2, "n/a")
}

fn fmt3(x: Option<f64>) -> String {
    crate::wording::figure_or(x, 3, "n/a")
}

/// The κ matrix for the terminal: rows named and numbered, columns numbered.
/// The width of the annotator column: the longest name, at least 9.
fn name_width(r: &AgreementReport) -> usize {
    (r.annotators.iter().map(|a| a.chars().count()))
        .max()
        .unwrap_or(9)
        .max(9)
}

pub fn matrix_table(r: &AgreementReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let w = name_width(r);
    let _ = writeln!(
        s,
        "\nPairwise Cohen's kappa (macro over tags; columns numbered as the rows)"
    );
    let _ = write!(s, "  {:>3} {:<w$}", "", "");
    for j in 0..r.annotators.len() {
        let _ = write!(s, " {:>5}", j + 1);
    }
    let _ = writeln!(s);
    for (i, (name, row)) in r.annotators.iter().zip(&r.kappa_matrix).enumerate() {
        let _ = write!(s, "  {:>3} {name:<w$}", i + 1);
        for (j, k) in row.iter().enumerate() {
            let cell = if i == j { "·".to_owned() } else { fmt2(*k) };
            let _ = write!(s, " {cell:>5}");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\nMean kappa against the others (lowest first)\n  {:<w$} {:>7} {:>6}",
        "annotator", "mean", "pairs"
    );
    for m in &r.annotator_means {
        let _ = writeln!(
            s,
            "  {:<w$} {:>7} {:>6}",
            m.annotator,
            fmt3(m.mean_kappa),
            m.pairs
        );
    }
    s
}

/// Fleiss' κ per tag, for the terminal.
pub fn fleiss_table(r: &AgreementReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nFleiss' kappa (all annotators, over the {} every annotator has)",
        crate::wording::plural(r.fleiss_documents, "document")
    );
    for f in &r.fleiss {
        let _ = writeln!(
            s,
            "  {:<14} {:>7}  ({})",
            f.tag,
            fmt3(f.kappa),
            crate::wording::plural(f.units, "unit")
        );
    }
    s
}

/// The scorecard for the terminal: one row per annotator, P, R and F1 (exact) per tag.
pub fn scorecard_table(r: &AgreementReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let card = &r.scorecard;
    let _ = writeln!(
        s,
        "\nScorecard against the curated layer ({}; exact match of range and tag)",
        crate::wording::plural(card.documents, "document")
    );
    if card.documents == 0 {
        let _ = writeln!(s, "  no document has a curated layer yet");
        return s;
    }
    let _ = writeln!(s, "  {}", card.basis());
    let w = name_width(r);
    let _ = write!(s, "  {:<w$} {:>5}", "", "");
    for t in &r.tags {
        let name: String = t.chars().take(17).collect();
        let _ = write!(s, "  {name:<17}");
    }
    let _ = writeln!(s, "  {:>7}", "macro");
    let _ = write!(s, "  {:<w$} {:>5}", "annotator", "docs");
    for _ in &r.tags {
        let _ = write!(s, "  {:>5} {:>5} {:>5}", "P", "R", "F1");
    }
    let _ = writeln!(s, "  {:>7}", "F1");
    for a in &card.annotators {
        let _ = write!(s, "  {:<w$} {:>5}", a.annotator, a.documents);
        for t in &a.tags {
            let _ = write!(
                s,
                "  {:>5} {:>5} {:>5}",
                fmt2(t.exact.precision),
                fmt2(t.exact.recall),
                fmt2(t.exact.f1)
            );
        }
        let _ = writeln!(s, "  {:>7}", fmt3(a.macro_exact_f1));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleiss_of_a_hand_example() {
        // Three raters, four units: (3 ones), (0), (2), (1).
        // P_i: 1, 1, 1/3, 1/3 → P̄ = 2/3; p1 = 6/12 → P_e = 1/2; κ = (2/3 − 1/2)/(1/2) = 1/3.
        let mut c = FleissCounts::default();
        for ones in [3, 0, 2, 1] {
            c.add_unit(3, ones);
        }
        let k = c.kappa().unwrap();
        assert!((k - 1.0 / 3.0).abs() < 1e-12, "{k}");
        let mut none = FleissCounts::default();
        none.add_unit(3, 0);
        assert_eq!(none.kappa(), None);
    }

    #[test]
    fn means_put_low_outliers_first_and_undefined_last() {
        let names: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let m = vec![
            vec![None, Some(0.9), Some(0.8), None],
            vec![Some(0.9), None, Some(0.1), None],
            vec![Some(0.8), Some(0.1), None, None],
            vec![None, None, None, None],
        ];
        let means = annotator_means(&names, &m);
        let order: Vec<&str> = means.iter().map(|m| m.annotator.as_str()).collect();
        assert_eq!(order, ["c", "b", "a", "d"]);
        assert_eq!(means[0].pairs, 2);
        assert!((means[0].mean_kappa.unwrap() - 0.45).abs() < 1e-12);
    }
}
