//! Measures the suggestions against annotators' layers: precision and recall per source and
//! tag, counting an overlapping span with the same tag as a match, and exact ranges apart.
//!
//! Each document is measured with a model that learned nothing from that document's layer,
//! so the learning sources (boilerplate learned from tagging, repeats) are measured on what
//! the annotator's other documents predict.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Corpus, Model, Source, Sources, SuggestError, Suggestion};
use crate::model::layer::Span;
use crate::workspace::Workspace;

/// The counts for one source (or all together) and one tag, summed over documents and layers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
}

/// The measured figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub layers: Vec<String>,
    pub documents: usize,
    pub rows: Vec<Row>,
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
            "| source | tag | proposed | precision | recall | exact precision | exact recall |\n\
             |---|---|---:|---:|---:|---:|---:|\n",
        );
        // A source that proposed nothing for a tag has no row (its recall is 0).
        for r in self
            .rows
            .iter()
            .filter(|r| r.proposed > 0 || r.source == "all")
        {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                r.source,
                r.tag,
                r.proposed,
                f(r.precision()),
                f(r.recall()),
                f(r.precision_exact()),
                f(r.recall_exact())
            ));
        }
        s.push_str(&format!(
            "\nAgainst {} ({} documents); a proposal matches a span with the same tag that it overlaps.\n",
            self.layers.join(" and "),
            self.documents
        ));
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

/// Measures every source, and all together, against each of `layers` on every document they
/// annotated (layers of changed texts are left out).
///
/// # Errors
/// A bad layer name or an unreadable dictionary.
pub fn evaluate(ws: &Workspace, layers: &[String]) -> Result<Report, SuggestError> {
    let mut rows: BTreeMap<(usize, String), Row> = BTreeMap::new();
    let mut documents = 0;
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
            let model = Model::new_without(ws.tags(), &corpus, rel);
            let all = model.suggest(text, Sources::all());
            for tag in ws.tags().tags.iter().map(|t| t.name.as_str()) {
                let gold: Vec<&Span> = l.spans.iter().filter(|s| s.tag == tag).collect();
                for (i, source) in Source::RULES.into_iter().enumerate() {
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
                let proposed: Vec<&Suggestion> = all.iter().filter(|x| x.tag == tag).collect();
                let row = rows
                    .entry((Source::ALL.len(), tag.to_owned()))
                    .or_insert_with(|| Row {
                        source: "all".to_owned(),
                        tag: tag.to_owned(),
                        ..Row::default()
                    });
                count(row, &proposed, &gold);
            }
        }
    }
    Ok(Report {
        layers: layers.to_vec(),
        documents,
        rows: rows.into_values().collect(),
    })
}
