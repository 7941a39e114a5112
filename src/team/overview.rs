//! The team's progress, documents × annotators, for `marginalia progress` and the Team window:
//! each cell is that annotator's status and span count on that document, with totals per
//! annotator and per document, and the documents waiting for review (every assigned annotator
//! done, not yet reviewed in the curated layer).
//!
//! With assignments in `workspace.ron`, a cell is assigned when they say so. Without, every
//! annotator who has a layer file for a document counts as assigned to it.

use serde::{Serialize, Serializer};

use crate::model::layer::Status;
use crate::wording::plural;
use crate::workspace::{CURATED_LAYER, Workspace};

/// One annotator on one document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// The assignments give this document to this annotator.
    pub assigned: bool,
    /// The layer's status; `None` when there is no layer file (or it cannot be read).
    #[serde(serialize_with = "status_label")]
    pub status: Option<Status>,
    pub spans: usize,
    /// Why the layer file cannot be read; `None` when it was read or there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

fn status_label<S: Serializer>(s: &Option<Status>, ser: S) -> Result<S::Ok, S::Error> {
    match s {
        Some(s) => ser.serialize_some(s.label()),
        None => ser.serialize_none(),
    }
}

/// Whether a status counts as finished (an annotator's layer marked done; reviewed counts too).
pub fn is_done(status: Status) -> bool {
    matches!(status, Status::Done | Status::Reviewed)
}

impl Cell {
    /// Finished by its annotator.
    pub fn is_done(&self) -> bool {
        self.status.is_some_and(is_done)
    }

    /// Assigned, and no span and no status yet.
    pub fn is_waiting_to_start(&self) -> bool {
        self.assigned
            && self.unreadable.is_none()
            && self.spans == 0
            && matches!(self.status, None | Some(Status::NotStarted))
    }

    /// As the table shows it: `done 12`, `wip 3` (in progress), `todo` (assigned, not started),
    /// `—` (not assigned, no layer), `unreadable` (a layer file that cannot be read); a layer
    /// of a document not assigned to its annotator is in parentheses.
    pub fn short_text(&self) -> String {
        let text = match self.status {
            _ if self.unreadable.is_some() => "unreadable".to_owned(),
            None if self.assigned => "todo".to_owned(),
            None => return "—".to_owned(),
            Some(Status::NotStarted) if self.spans == 0 && self.assigned => "todo".to_owned(),
            Some(s) if is_done(s) => format!("done {}", self.spans),
            Some(_) => format!("wip {}", self.spans),
        };
        if self.assigned {
            text
        } else {
            format!("({text})")
        }
    }

    /// A sentence for a tooltip or a screen reader.
    pub fn describe(&self, annotator: &str, rel: &str) -> String {
        let what = match (&self.unreadable, self.status) {
            (Some(why), _) => format!("the layer file cannot be read: {why}"),
            (None, None) => "no layer yet".to_owned(),
            (None, Some(s)) => format!("{}, {}", s.label(), plural(self.spans, "span")),
        };
        let assigned = if self.assigned {
            "assigned"
        } else {
            "not assigned"
        };
        format!("{annotator} on {rel}: {assigned}; {what}")
    }
}

/// One document's row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DocumentRow {
    pub document: String,
    /// One per annotator, in [`Progress::annotators`]' order.
    pub cells: Vec<Cell>,
    pub assigned: usize,
    /// Assigned annotators who are done.
    pub done: usize,
    /// Spans over every annotator's layer.
    pub spans: usize,
    /// The curated layer's status; `None` without a curated file (or when it cannot be read).
    #[serde(serialize_with = "status_label")]
    pub curated: Option<Status>,
    /// Why the curated layer file cannot be read; `None` when it was read or there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curated_unreadable: Option<String>,
    /// Fewer annotators assigned than the workspace's overlap asks.
    pub short_of_overlap: bool,
}

/// Where a document's review stands: one rule for the row's review column and the list of
/// documents waiting for review, so the two never disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    /// Not every assigned annotator is done, and no review has started.
    NotReady,
    /// Every assigned annotator is done and no curated layer exists yet.
    Waiting,
    /// A curated layer exists and is not marked reviewed.
    InReview,
    /// The curated layer is marked reviewed.
    Reviewed,
    /// The curated layer file cannot be read, so where the review stands is unknown.
    Unreadable,
}

impl ReviewState {
    /// What the review column shows.
    pub fn label(self) -> &'static str {
        match self {
            ReviewState::NotReady => "",
            ReviewState::Waiting => "waiting",
            ReviewState::InReview => "in review",
            ReviewState::Reviewed => "reviewed",
            ReviewState::Unreadable => "unreadable",
        }
    }
}

impl DocumentRow {
    /// Where the document's review stands.
    pub fn review_state(&self) -> ReviewState {
        if self.curated_unreadable.is_some() {
            return ReviewState::Unreadable;
        }
        match self.curated {
            Some(Status::Reviewed) => ReviewState::Reviewed,
            Some(_) => ReviewState::InReview,
            None if self.assigned > 0 && self.done == self.assigned => ReviewState::Waiting,
            None => ReviewState::NotReady,
        }
    }

    /// Every assigned annotator is done and the review has not started.
    pub fn waiting_for_review(&self) -> bool {
        self.review_state() == ReviewState::Waiting
    }
}

/// One annotator's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AnnotatorTotals {
    pub annotator: String,
    pub assigned: usize,
    /// Assigned documents that are done.
    pub done: usize,
    /// Assigned documents with no span and no status yet.
    pub not_started: usize,
    /// Spans over all of this annotator's layers (assigned or not).
    pub spans: usize,
}

/// The whole table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Whether `workspace.ron` lists assignments (otherwise a layer file counts as assigned).
    pub has_assignments: bool,
    /// 0: not set.
    pub overlap: usize,
    /// The columns: assigned annotators and every annotator layer, sorted.
    pub annotators: Vec<String>,
    pub documents: Vec<DocumentRow>,
    /// One per annotator, in the same order.
    pub totals: Vec<AnnotatorTotals>,
    /// Documents whose assigned annotators are all done and whose review has not started.
    pub waiting_for_review: Vec<String>,
    /// Documents with a curated layer not yet marked reviewed.
    pub in_review: Vec<String>,
    /// Files that could not be read, with why; their cells show `unreadable`.
    pub unreadable: Vec<String>,
}

/// An error's message without the `path: ` it starts with (the cell or row names the file).
fn reason_only(e: &crate::store::StoreError, path: &std::path::Path) -> String {
    let message = e.to_string();
    message
        .strip_prefix(&format!("{}: ", path.display()))
        .unwrap_or(&message)
        .to_owned()
}

/// Reads every layer's status and span count.
pub fn gather(ws: &Workspace) -> Progress {
    let config = ws.config();
    let has_assignments = crate::team::assign::has_assignments(config);
    let mut annotators = crate::team::assign::assigned_annotators(config);
    annotators.extend(ws.layer_names().into_iter().filter(|n| n != CURATED_LAYER));
    annotators.sort();
    annotators.dedup();
    let mut unreadable: Vec<String> = ws
        .skipped_layer_folders()
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut documents = Vec::new();
    let mut totals: Vec<AnnotatorTotals> = annotators
        .iter()
        .map(|a| AnnotatorTotals {
            annotator: a.clone(),
            ..Default::default()
        })
        .collect();
    let scopes: Vec<Option<crate::team::assign::Scope>> = annotators
        .iter()
        .map(|a| crate::team::assign::Scope::of(config, a))
        .collect();
    for text in ws.texts() {
        let rel = text.rel;
        let mut row = DocumentRow {
            document: rel.clone(),
            ..Default::default()
        };
        for (k, annotator) in annotators.iter().enumerate() {
            let mut cell = Cell::default();
            if let Some(path) = ws.layer_path(annotator, &rel) {
                match crate::model::layer::load_layer(&path) {
                    Ok(Some((layer, _))) => {
                        cell.status = Some(layer.status);
                        cell.spans = layer.spans.len();
                    }
                    Ok(None) => {}
                    Err(e) => {
                        cell.unreadable = Some(reason_only(&e, &path));
                        unreadable.push(e.to_string());
                    }
                }
            }
            cell.assigned = match &scopes[k] {
                Some(scope) => scope.contains(&rel),
                // The file is there even if it cannot be read.
                None => cell.status.is_some() || cell.unreadable.is_some(),
            };
            let t = &mut totals[k];
            t.spans += cell.spans;
            row.spans += cell.spans;
            if cell.assigned {
                row.assigned += 1;
                t.assigned += 1;
                if cell.is_done() {
                    row.done += 1;
                    t.done += 1;
                }
                if cell.is_waiting_to_start() {
                    t.not_started += 1;
                }
            }
            row.cells.push(cell);
        }
        if let Some(path) = ws.layer_path(CURATED_LAYER, &rel) {
            match crate::model::curated::load_curated(&path) {
                Ok(c) => row.curated = c.map(|(c, _)| c.status),
                Err(e) => {
                    row.curated_unreadable = Some(reason_only(&e, &path));
                    unreadable.push(e.to_string());
                }
            }
        }
        row.short_of_overlap = has_assignments && row.assigned < config.overlap;
        documents.push(row);
    }
    let listed = |state: ReviewState| -> Vec<String> {
        documents
            .iter()
            .filter(|r| r.review_state() == state)
            .map(|r| r.document.clone())
            .collect()
    };
    let waiting_for_review = listed(ReviewState::Waiting);
    let in_review = listed(ReviewState::InReview);
    Progress {
        has_assignments,
        overlap: config.overlap,
        annotators,
        documents,
        totals,
        waiting_for_review,
        in_review,
        unreadable,
    }
}

impl Progress {
    /// A document's totals as the table shows them: `1/2 done · 14`.
    pub fn document_total(row: &DocumentRow) -> String {
        format!("{}/{} done · {}", row.done, row.assigned, row.spans)
    }

    /// An annotator's totals as the Team window shows them: `3/4 · 40` (done of assigned, spans).
    pub fn annotator_total(t: &AnnotatorTotals) -> String {
        format!("{}/{} · {}", t.done, t.assigned, t.spans)
    }

    /// What the curated column shows ([`DocumentRow::review_state`]).
    pub fn curated_text(row: &DocumentRow) -> &'static str {
        row.review_state().label()
    }

    /// The plain-text table `marginalia progress` prints.
    pub fn to_table(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{}, {}{}",
            plural(self.documents.len(), "document"),
            plural(self.annotators.len(), "annotator"),
            match (self.has_assignments, self.overlap) {
                (true, 0) => String::new(),
                (true, o) => format!(", overlap {o}"),
                (false, _) => " (no assignments: a layer file counts as assigned)".into(),
            }
        );
        let header: Vec<String> = std::iter::once("document".to_owned())
            .chain(self.annotators.iter().cloned())
            .chain(["total".to_owned(), "review".to_owned()])
            .collect();
        let mut rows: Vec<Vec<String>> = vec![header];
        for r in &self.documents {
            let mut line = vec![r.document.clone()];
            line.extend(r.cells.iter().map(Cell::short_text));
            line.push(Self::document_total(r));
            let mut review = Self::curated_text(r).to_owned();
            if r.short_of_overlap {
                review = format!("{review} short of overlap").trim().to_owned();
            }
            line.push(review);
            rows.push(line);
        }
        // Compact here (the columns stay narrow for 20 annotators); in full per annotator below.
        let mut total = vec!["done".to_owned()];
        total.extend(
            self.totals
                .iter()
                .map(|t| format!("{}/{}", t.done, t.assigned)),
        );
        rows.push(total);
        let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                rows.iter()
                    .filter_map(|r| r.get(c))
                    .map(|x| x.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        s.push('\n');
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(x, w)| format!("{x:<w$}"))
                .collect();
            let _ = writeln!(s, "{}", cells.join("  ").trim_end());
        }
        let _ = writeln!(
            s,
            "\ndone N: marked done, N spans; wip N: in progress; todo: assigned, not started; \
             —: not assigned; unreadable: a layer file that cannot be read; \
             (…): a layer of a document not assigned to its annotator"
        );
        let _ = writeln!(s, "\nPer annotator");
        let width = self
            .annotators
            .iter()
            .map(|a| a.chars().count())
            .max()
            .unwrap_or(0);
        for t in &self.totals {
            let _ = writeln!(
                s,
                "  {:<width$}  {} of {} done, {} not started, {}",
                t.annotator,
                t.done,
                plural(t.assigned, "assigned document"),
                t.not_started,
                plural(t.spans, "span")
            );
        }
        if self.waiting_for_review.is_empty() {
            let _ = writeln!(s, "\nWaiting for review: none");
        } else {
            let _ = writeln!(
                s,
                "\nWaiting for review ({}):",
                self.waiting_for_review.len()
            );
            for d in &self.waiting_for_review {
                let _ = writeln!(s, "  {d}");
            }
        }
        if !self.in_review.is_empty() {
            let _ = writeln!(s, "\nIn review ({}):", self.in_review.len());
            for d in &self.in_review {
                let _ = writeln!(s, "  {d}");
            }
        }
        for u in &self.unreadable {
            let _ = writeln!(s, "unreadable: {u}");
        }
        s
    }
}
