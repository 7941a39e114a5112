//! Measures the suggestions against annotators' layers: precision, recall and F1 per source
//! and tag, counting an overlapping span with the same tag as a match, and exact ranges apart
//! (exact as conlleval counts it: same start, end and tag).
//!
//! Each document is measured with a model that learned nothing from that document's layer,
//! so the learning sources (boilerplate learned from tagging, repeats) are measured on what
//! the annotator's other documents predict. Sources that come from outside the rules (the
//! learned tagger) are measured through [`Measured`], and leave out the documents they were
//! trained on; the report counts those.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Corpus, Model, Source, Sources, SuggestError, Suggestion};
use crate::model::layer::Span;
use crate::model::text::Text;
use crate::workspace::Workspace;

/// The counts for one source (or all together) and one tag, summed over documents and layers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Row {
    /// A source's name, or `all`.
    pub source: String,
    pub tag: String,
    pub proposed: usize,
    /// Proposals overlapping a layer span with the same tag, and with exactly its range.
    pub correct_overlap: usize,
    pub correct_exact: usize,
    /// Layer spans with this tag.
    pub gold: usize,
    /// Layer spans overlapped by a proposal with the same tag, and hit exactly.
    pub found_overlap: usize,
    pub found_exact: usize,
    /// F1 by overlap and exact, filled in when the report is complete (JSON only).
    pub f1: Option<f64>,
    pub f1_exact: Option<f64>,
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl Row {
    pub fn precision(&self) -> Option<f64> {
        ratio(self.correct_overlap, self.proposed)
    }
    pub fn recall(&self) -> Option<f64> {
        ratio(self.found_overlap, self.gold)
    }
    pub fn precision_exact(&self) -> Option<f64> {
        ratio(self.correct_exact, self.proposed)
    }
    pub fn recall_exact(&self) -> Option<f64> {
        ratio(self.found_exact, self.gold)
    }
    /// The harmonic mean of precision and recall by overlap (`None` when both are missing).
    pub fn f1_overlap(&self) -> Option<f64> {
        f1(self.precision(), self.recall())
    }
    /// The harmonic mean of exact precision and recall: conlleval's FB1.
    pub fn f1_exact_match(&self) -> Option<f64> {
        f1(self.precision_exact(), self.recall_exact())
    }
}

fn f1(p: Option<f64>, r: Option<f64>) -> Option<f64> {
    match (p, r) {
        (None, None) => None,
        (p, r) => {
            let (p, r) = (p.unwrap_or(0.0), r.unwrap_or(0.0));
            Some(if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            })
        }
    }
}

/// A measured source's proposals for a text, or `None` to leave the text out (it learnt from
/// it).
pub type Propose<'a> = &'a dyn Fn(&Text) -> Option<Vec<Suggestion>>;

/// A source measured beside the rules: the learned tagger, or any model.
pub struct Measured<'a> {
    pub source: Source,
    /// How it proposes; `Err` says why it proposes nothing at all (no model file).
    pub propose: Result<Propose<'a>, String>,
}

/// What became of a [`Measured`] source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MeasuredNote {
    pub source: String,
    /// Documents it was measured on.
    pub documents: usize,
    /// Documents left out because it was trained on them.
    pub left_out: usize,
    /// Why it was not measured at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

/// The measured figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub layers: Vec<String>,
    pub documents: usize,
    pub rows: Vec<Row>,
    /// The sources measured beside the rules, and the documents each left out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub measured: Vec<MeasuredNote>,
}

impl Report {
    /// The row for a source name (or `all`) and tag.
    pub fn row(&self, source: &str, tag: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.source == source && r.tag == tag)
    }

    /// A Markdown table (it goes into the README as it is).
    pub fn to_table(&self) -> String {
        let f = |x: Option<f64>| crate::wording::figure_or(x, 2, "–");
        let mut s = String::from(
            "| source | tag | proposed | gold | precision | recall | F1 | exact precision | exact recall | exact F1 |\n\
             |---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        // A source that proposed nothing for a tag has no row (its recall is 0).
        for r in self
            .rows
            .iter()
            .filter(|r| r.proposed > 0 || r.source == "all")
        {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                r.source,
                r.tag,
                r.proposed,
                r.gold,
                f(r.precision()),
                f(r.recall()),
                f(r.f1_overlap()),
                f(r.precision_exact()),
                f(r.recall_exact()),
                f(r.f1_exact_match())
            ));
        }
        s.push_str(&format!(
            "\nAgainst {} ({} documents); a proposal matches a span with the same tag that it overlaps; exact, one with the same range (as conlleval counts).\n",
            self.layers.join(" and "),
            self.documents
        ));
        for m in &self.measured {
            match &m.missing {
                Some(why) => s.push_str(&format!("{}: not measured: {why}\n", m.source)),
                None => s.push_str(&format!(
                    "{}: measured on {}; {} it was trained on left out\n",
                    m.source,
                    crate::wording::plural(m.documents, "document"),
                    crate::wording::plural(m.left_out, "document"),
                )),
            }
        }
        s
    }
}

fn count(row: &mut Row, proposed: &[&Suggestion], gold: &[&Span]) {
    row.proposed += proposed.len();
    row.gold += gold.len();
    for p in proposed {
        row.correct_overlap += usize::from(gold.iter().any(|g| g.overlaps(p.start, p.end)));
        row.correct_exact += usize::from(gold.iter().any(|g| g.start == p.start && g.end == p.end));
    }
    for g in gold {
        row.found_overlap += usize::from(proposed.iter().any(|p| g.overlaps(p.start, p.end)));
        row.found_exact += usize::from(
            proposed
                .iter()
                .any(|p| g.start == p.start && g.end == p.end),
        );
    }
}

/// Measures every rule source, and all together, against each of `layers` on every document
/// they annotated (layers of changed texts are left out).
///
/// # Errors
/// A bad layer name or an unreadable dictionary.
pub fn evaluate(ws: &Workspace, layers: &[String]) -> Result<Report, SuggestError> {
    evaluate_with(ws, layers, Sources::all(), &[])
}

/// [`evaluate`] for the chosen rule `sources` and the `measured` sources beside them. The `all`
/// row joins every chosen source's proposals, on the documents no measured source left out.
///
/// # Errors
/// As [`evaluate`].
pub fn evaluate_with(
    ws: &Workspace,
    layers: &[String],
    sources: Sources,
    measured: &[Measured<'_>],
) -> Result<Report, SuggestError> {
    let mut rows: BTreeMap<(usize, String), Row> = BTreeMap::new();
    let mut documents = 0;
    let mut notes: Vec<MeasuredNote> = measured
        .iter()
        .map(|m| MeasuredNote {
            source: m.source.name().to_owned(),
            missing: m.propose.as_ref().err().cloned(),
            ..MeasuredNote::default()
        })
        .collect();
    let natural = |s: Source| match s {
        Source::Quotes => Some(super::QUOTE_TAG),
        Source::Boilerplate => Some(super::BOILERPLATE_TAG),
        Source::Names => Some(super::ERROR_TAG),
        Source::Dictionary
        | Source::Repeats
        | Source::Learned
        | Source::Provider
        | Source::Imported => None,
    };
    for layer in layers {
        let corpus = Corpus::load(ws, Some(layer))?;
        for (rel, text) in &corpus.texts {
            let Some(l) = corpus.layers.get(rel) else {
                continue;
            };
            if l.text_sha256 != text.sha256() {
                continue;
            }
            documents += 1;
            let mut all = if Source::RULES.iter().any(|s| sources.contains(*s)) {
                let model = Model::new_without(ws.tags(), &corpus, rel);
                model.suggest(text, sources)
            } else {
                Vec::new()
            };
            all.retain(|x| sources.contains(x.source));
            // The measured sources' proposals, or `None` where they left the text out.
            let mut extra: Vec<(usize, Option<Vec<Suggestion>>)> = Vec::new();
            for (i, (m, note)) in measured.iter().zip(&mut notes).enumerate() {
                let Ok(propose) = &m.propose else { continue };
                let got = propose(text);
                match &got {
                    Some(list) => {
                        note.documents += 1;
                        all.extend(list.iter().cloned());
                    }
                    None => note.left_out += 1,
                }
                extra.push((i, got));
            }
            // `all` is measured only where every chosen source proposed.
            let whole = extra.iter().all(|(_, got)| got.is_some());
            for tag in ws.tags().tags.iter().map(|t| t.name.as_str()) {
                let gold: Vec<&Span> = l.spans.iter().filter(|s| s.tag == tag).collect();
                for (i, source) in Source::RULES.into_iter().enumerate() {
                    if !sources.contains(source) {
                        continue;
                    }
                    let proposed: Vec<&Suggestion> = all
                        .iter()
                        .filter(|x| x.source == source && x.tag == tag)
                        .collect();
                    if natural(source).is_some_and(|n| n != tag) && proposed.is_empty() {
                        continue;
                    }
                    let row = rows.entry((i, tag.to_owned())).or_insert_with(|| Row {
                        source: source.name().to_owned(),
                        tag: tag.to_owned(),
                        ..Row::default()
                    });
                    count(row, &proposed, &gold);
                }
                for (i, got) in &extra {
                    let Some(list) = got else { continue };
                    let proposed: Vec<&Suggestion> = list.iter().filter(|x| x.tag == tag).collect();
                    let key = (Source::RULES.len() + i, tag.to_owned());
                    let row = rows.entry(key).or_insert_with(|| Row {
                        source: measured[*i].source.name().to_owned(),
                        tag: tag.to_owned(),
                        ..Row::default()
                    });
                    count(row, &proposed, &gold);
                }
                if !whole {
                    continue;
                }
                let proposed: Vec<&Suggestion> = all.iter().filter(|x| x.tag == tag).collect();
                let row = rows
                    .entry((usize::MAX, tag.to_owned()))
                    .or_insert_with(|| Row {
                        source: "all".to_owned(),
                        tag: tag.to_owned(),
                        ..Row::default()
                    });
                count(row, &proposed, &gold);
            }
        }
    }
    let mut rows: Vec<Row> = rows.into_values().collect();
    // A measured source's overall row, beside its tags.
    for note in &notes {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.source == note.source).collect();
        if mine.is_empty() {
            continue;
        }
        let mut total = Row {
            source: note.source.clone(),
            tag: "(all tags)".to_owned(),
            ..Row::default()
        };
        for r in mine {
            total.proposed += r.proposed;
            total.correct_overlap += r.correct_overlap;
            total.correct_exact += r.correct_exact;
            total.gold += r.gold;
            total.found_overlap += r.found_overlap;
            total.found_exact += r.found_exact;
        }
        let at = rows
            .iter()
            .rposition(|r| r.source == note.source)
            .map_or(rows.len(), |i| i + 1);
        rows.insert(at, total);
    }
    for r in &mut rows {
        r.f1 = r.f1_overlap();
        r.f1_exact = r.f1_exact_match();
    }
    Ok(Report {
        layers: layers.to_vec(),
        documents,
        rows,
        measured: notes,
    })
}
