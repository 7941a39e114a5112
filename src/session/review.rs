//! A review session: one or two annotators' layers of a text compared item by item
//! ([`crate::team::compare`]), the reviewer's decisions recorded in the curated layer
//! ([`crate::model::curated`]), with undo, autosave and reload.
//!
//! Relations are items too ([`Review::relation_items`]): matched across the reviewed layers by
//! type and both ends' ranges, accepted into the curated layer between curated spans or
//! rejected. Accepting a relation whose ends are not accepted yet accepts them in the same step
//! (as that annotator's version); an end rejected for the other version of its item links to
//! the version kept; an end rejected outright refuses the relation, saying why.
//! Re-deciding or reopening a span takes back the accepted relations on it, in the same step.
//!
//! A [`Review`] holds the text, the reviewed layers (read once, never written), the curated
//! layer and an undo history of decisions. The app draws [`Review::items`] and calls the
//! decision methods; saving works like [`crate::session::document::Document`]: atomic writes, a delay,
//! retries, and a merge when someone else changed the file.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::model::curated::{
    CuratedLayer, CuratedRelation, CuratedSpan, Rejection, ReviewComment, SourceRef, load_curated,
};
use crate::model::layer::{Layer, Span, Status, make_span, now_rfc3339};
use crate::model::range::CharRange;
use crate::model::relation::End;
use crate::model::tags::TagSet;
use crate::model::text::{Text, TextError};
use crate::session::autosave::Finished;
use crate::session::engine::{Editing, Session, SessionOwner};
use crate::session::recovery::{Journal, Recovered};
use crate::store::{self, StoreError};
use crate::team::compare::{
    Item, ItemKind, RelationItem, RelationItemKind, classify, classify_relations,
    items_with_decisions, user_attrs,
};
use crate::team::merge;
use crate::workspace::{CURATED_LAYER, Workspace};

/// Re-anchors the curated layer of text `rel` as `marginalia reanchor` does every layer, keeping
/// its whole review record (see [`CuratedLayer::reanchor`]), and writes it atomically unless
/// `dry_run`. `Ok(None)`: no curated file, or nothing needed re-anchoring.
///
/// # Errors
/// The text or file cannot be read, the file is invalid apart from its offsets, or the write
/// fails (the file is then as it was); each names the file.
pub fn reanchor_curated(
    ws: &Workspace,
    rel: &str,
    dry_run: bool,
) -> Result<Option<crate::model::reanchor::ReanchorSummary>, ReviewError> {
    let not_here = || ReviewError::NotInWorkspace(rel.to_owned());
    let path = ws.layer_path(CURATED_LAYER, rel).ok_or_else(not_here)?;
    let text = Text::load(&ws.text_path(rel).ok_or_else(not_here)?)?;
    // Read, re-anchored and written under the lock a review window saves under, so that no
    // decision it saves in between is lost.
    let save = (!dry_run).then(|| store::CheckedWrite::lock(&path));
    let Some((mut curated, _)) = load_curated(&path)? else {
        return Ok(None);
    };
    let invalid = |problem: String| ReviewError::Invalid {
        path: path.display().to_string(),
        problem,
    };
    if curated.annotator != CURATED_LAYER {
        return Err(invalid(format!(
            "annotator {:?} in the file differs from its folder {CURATED_LAYER:?}",
            curated.annotator
        )));
    }
    if let Some(p) = curated.to_layer().problems(None, ws.tags()).first() {
        return Err(invalid(p.to_string()));
    }
    let Some(summary) = curated.reanchor(&text) else {
        return Ok(None);
    };
    if let Some(p) = curated.to_layer().problems(Some(&text), ws.tags()).first() {
        return Err(invalid(p.to_string()));
    }
    if let Some(save) = save {
        store::check_write_inside(ws.root(), &path)?;
        save.write(curated.to_ron().as_bytes())?;
    }
    Ok(Some(summary))
}

/// A reviewer's decision on one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Keep A's span (B's, if any, is rejected as "the other version was accepted").
    AcceptA,
    AcceptB,
    /// Keep both spans (one span when they agree).
    AcceptBoth,
    /// Keep neither, with a reason the annotators will see.
    Reject {
        reason: String,
    },
    /// Accept one span with these boundaries and tag.
    Edit {
        start: usize,
        end: usize,
        tag: String,
    },
}

/// A reviewer's decision on one relation item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelationDecision {
    /// Keep A's relation (B's, if any, is rejected as "the other version was accepted"; an
    /// agreed pair is kept as one relation from both).
    AcceptA,
    AcceptB,
    /// Keep neither, with a reason the annotators will see.
    Reject {
        reason: String,
    },
}

/// Why a review cannot start or a decision cannot be made.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ReviewError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}: not a text of this workspace")]
    NotInWorkspace(String),
    #[error("{layer} has no annotations of {rel}")]
    NoLayer { layer: String, rel: String },
    #[error("review one or two layers, other than `curated`; got {0:?}")]
    BadLayers(Vec<String>),
    #[error("the reviewer {0:?} is also one of the reviewed annotators")]
    ReviewerIsReviewed(String),
    #[error("{0}")]
    BadAnnotator(String),
    #[error("{path}: {problem}")]
    Invalid { path: String, problem: String },
    #[error("no item {0}")]
    NoItem(usize),
    #[error("this item has no span from {0}")]
    NoSide(&'static str),
    #[error("range {start}..{end} is not a non-empty range of the text ({len} chars)")]
    BadRange {
        start: usize,
        end: usize,
        len: usize,
    },
    #[error("unknown tag {0:?}")]
    UnknownTag(String),
    #[error(
        "accept both does not apply to a value conflict: take A's or B's values, or pick them one by one"
    )]
    BothOfValueConflict,
    #[error("{0:?} is one of Marginalia's own markers, not an attribute")]
    ReservedAttr(String),
    #[error("{value:?} is not a value of {tag}.{name}")]
    BadValue {
        tag: String,
        name: String,
        value: String,
    },
    #[error("cannot set a value here: {0}")]
    NoSpanForValue(&'static str),
    #[error("no relation item {0}")]
    NoRelationItem(usize),
    #[error(
        "cannot accept this relation: its {end} end, {tag} “{exact}”, was rejected; accept that span first"
    )]
    EndRejected {
        end: &'static str,
        tag: String,
        exact: String,
    },
    #[error("cannot accept this relation: its {end} end, span {span}, is not a span of {layer}")]
    EndMissing {
        end: &'static str,
        span: u64,
        layer: String,
    },
    #[error(
        "cannot accept this relation yet: its {end} end, “{exact}” in {text}, is not in that text's curated layer; review {text} and accept it there first"
    )]
    EndElsewhere {
        end: &'static str,
        text: String,
        exact: String,
    },
}

/// One primitive change to the curated layer; a decision is a list of them (the review's undo
/// step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    AddSpan(CuratedSpan),
    RemoveSpan(CuratedSpan),
    AddRelation(CuratedRelation),
    RemoveRelation(CuratedRelation),
    AddRejection(Rejection),
    RemoveRejection(Rejection),
    AddComment(ReviewComment),
    RemoveComment(ReviewComment),
    Status { before: Status, after: Status },
}

/// The changes that turn `now` into `then`: what only `now` has is removed, then what only
/// `then` has is added.
fn between<T: PartialEq + Clone>(
    now: &[T],
    then: &[T],
    add: fn(T) -> Change,
    remove: fn(T) -> Change,
) -> Vec<Change> {
    let only =
        |a: &[T], b: &[T]| -> Vec<T> { (a.iter()).filter(|x| !b.contains(x)).cloned().collect() };
    let removed = only(now, then).into_iter().map(remove);
    removed
        .chain(only(then, now).into_iter().map(add))
        .collect()
}

/// What a step of review decisions did, for the status line after undo or redo: "accept
/// quote “…”", "reject claim “…”", "accept 12 items", "mark reviewed"…
fn describe_changes(step: &[Change]) -> String {
    let quoted =
        |tag: &str, exact: &str| format!("{tag} “{}”", crate::session::document::short(exact));
    let added: Vec<&CuratedSpan> = (step.iter())
        .filter_map(|c| match c {
            Change::AddSpan(s) => Some(s),
            _ => None,
        })
        .collect();
    let removed = (step.iter())
        .filter(|c| matches!(c, Change::RemoveSpan(_)))
        .count();
    let rejected: Vec<&Rejection> = (step.iter())
        .filter_map(|c| match c {
            Change::AddRejection(r) => Some(r),
            _ => None,
        })
        .collect();
    let linked: Vec<&CuratedRelation> = (step.iter())
        .filter_map(|c| match c {
            Change::AddRelation(r) => Some(r),
            _ => None,
        })
        .collect();
    let unlinked = (step.iter()).find_map(|c| match c {
        Change::RemoveRelation(r) => Some(r),
        _ => None,
    });
    if let (true, [], 0, Some(one)) = (linked.is_empty(), added.as_slice(), removed, unlinked) {
        return format!("undecide {} link", one.relation.kind);
    }
    if let [one] = linked.as_slice() {
        return match added.len() {
            0 => format!("accept {} link", one.relation.kind),
            n => format!(
                "accept {} link and {}",
                one.relation.kind,
                crate::wording::plural(n, "span")
            ),
        };
    }
    match (added.as_slice(), removed, rejected.as_slice()) {
        ([one], 0, []) => format!("accept {}", quoted(&one.span.tag, &one.span.exact)),
        ([one], _, []) => format!("change {}", quoted(&one.span.tag, &one.span.exact)),
        ([], 0, [one]) => format!("reject {}", quoted(&one.tag, &one.exact)),
        (many, _, []) if many.len() > 1 => {
            format!("accept {}", crate::wording::plural(many.len(), "item"))
        }
        ([], 0, many) if many.len() > 1 => {
            format!("reject {}", crate::wording::plural(many.len(), "item"))
        }
        _ => match step {
            [Change::Status { after, .. }] if *after == Status::Reviewed => "mark reviewed".into(),
            [Change::Status { .. }] => "mark in progress".into(),
            [Change::AddComment(_)] => "comment".into(),
            [Change::RemoveComment(_)] => "remove a comment".into(),
            _ => crate::wording::plural(step.len(), "change"),
        },
    }
}

impl Change {
    fn inverse(&self) -> Change {
        match self {
            Change::AddSpan(s) => Change::RemoveSpan(s.clone()),
            Change::RemoveSpan(s) => Change::AddSpan(s.clone()),
            Change::AddRelation(r) => Change::RemoveRelation(r.clone()),
            Change::RemoveRelation(r) => Change::AddRelation(r.clone()),
            Change::AddRejection(r) => Change::RemoveRejection(r.clone()),
            Change::RemoveRejection(r) => Change::AddRejection(r.clone()),
            Change::AddComment(c) => Change::RemoveComment(c.clone()),
            Change::RemoveComment(c) => Change::AddComment(c.clone()),
            Change::Status { before, after } => Change::Status {
                before: *after,
                after: *before,
            },
        }
    }
}

/// Where an item's decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    Undecided,
    Decided,
}

/// An open review of one text.
pub struct Review {
    rel: String,
    text: Text,
    tags: TagSet,
    reviewer: String,
    /// The reviewed layers' names and spans (A, then B).
    layers: Vec<(String, Layer)>,
    items: Vec<Item>,
    /// The reviewed layers' relations as items (A's and B's matched by type and ends).
    relation_items: Vec<RelationItem>,
    /// Reviewed spans with a decision, kept in step with `curated`.
    decided: HashSet<SourceRef>,
    curated: CuratedLayer,
    /// The curated layer as last read from or written to disk: where unsaved decisions
    /// started (the base of a restore's three-way merge).
    base: Arc<CuratedLayer>,
    /// The curated layer's file, its undo history of decisions (each decision one step),
    /// autosave and journal: the same engine as the editor's.
    session: Session<CuratedLayer, Change>,
    /// Decisions an earlier window could not save, found in the recovery journal and not yet
    /// restored or discarded; while they wait, the journal entry is left alone.
    recovered: Option<(CuratedLayer, Option<CuratedLayer>, Recovered)>,
    /// The workspace, to find a cross-document end's span in the other text's curated layer.
    ws: Workspace,
}

impl std::fmt::Debug for Review {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Review")
            .field("rel", &self.rel)
            .field("reviewer", &self.reviewer)
            .field("items", &self.items.len())
            .finish()
    }
}

impl Review {
    /// Opens a review of text `rel`: `layers` is one annotator (checking their work) or two
    /// (adjudicating); `reviewer` is the current annotator.
    ///
    /// # Errors
    /// Bad layer names, a layer without a file for this text, an unreadable text, or an
    /// unreadable annotation or curated file (naming it).
    pub fn open(
        ws: &Workspace,
        rel: &str,
        layers: &[&str],
        reviewer: &str,
    ) -> Result<Self, ReviewError> {
        crate::workspace::check_annotator(reviewer).map_err(ReviewError::BadAnnotator)?;
        let names: Vec<String> = layers.iter().map(|s| s.to_string()).collect();
        if layers.is_empty()
            || layers.len() > 2
            || layers.contains(&CURATED_LAYER)
            || (layers.len() == 2 && layers[0] == layers[1])
        {
            return Err(ReviewError::BadLayers(names));
        }
        if layers.contains(&reviewer) {
            return Err(ReviewError::ReviewerIsReviewed(reviewer.to_owned()));
        }
        let not_here = || ReviewError::NotInWorkspace(rel.to_owned());
        let text = Text::load(&ws.text_path(rel).ok_or_else(not_here)?)?;
        let mut loaded = Vec::new();
        for name in layers {
            let path = ws.layer_path(name, rel).ok_or_else(not_here)?;
            match crate::model::layer::load_layer(&path)? {
                Some((layer, _)) => {
                    // Spans that do not fit the text must not be copied into the curated layer.
                    if let Some(p) = layer.problems(Some(&text), ws.tags()).first() {
                        return Err(ReviewError::Invalid {
                            path: path.display().to_string(),
                            problem: p.to_string(),
                        });
                    }
                    loaded.push((name.to_string(), layer));
                }
                None => {
                    return Err(ReviewError::NoLayer {
                        layer: name.to_string(),
                        rel: rel.to_owned(),
                    });
                }
            }
        }
        let path = ws.layer_path(CURATED_LAYER, rel).ok_or_else(not_here)?;
        let (mut curated, seen) = match load_curated(&path)? {
            Some((c, fp)) => (c, Some(fp)),
            None => (CuratedLayer::new(rel, &text), None),
        };
        let mut problems = curated.to_layer().problems(Some(&text), ws.tags());
        if curated.annotator != CURATED_LAYER {
            problems.insert(
                0,
                crate::model::layer::LayerProblem::AnnotatorMismatch {
                    in_file: curated.annotator.clone(),
                    folder: CURATED_LAYER.to_owned(),
                },
            );
        }
        if let Some(p) = problems.first() {
            return Err(ReviewError::Invalid {
                path: path.display().to_string(),
                problem: p.to_string(),
            });
        }
        if curated.reviewed != names {
            // Recorded so the document list can show progress without asking which layers.
            curated.reviewed = names;
        }
        let items = classify(
            &loaded[0].1.spans,
            loaded.get(1).map(|(_, l)| l.spans.as_slice()),
        );
        let tags = ws.tags();
        let symmetric = |k: &str| tags.relation(k).is_some_and(|t| t.symmetric);
        let relation_items =
            classify_relations(rel, &loaded[0].1, loaded.get(1).map(|(_, l)| l), &symmetric);
        Ok(Self {
            rel: rel.to_owned(),
            text,
            tags: ws.tags().clone(),
            reviewer: reviewer.to_owned(),
            layers: loaded,
            items,
            relation_items,
            decided: curated.decided(),
            base: Arc::new(curated.clone()),
            curated,
            session: Session::new(path, ws.root().to_path_buf(), seen),
            recovered: None,
            ws: ws.clone(),
        })
    }

    pub fn rel(&self) -> &str {
        &self.rel
    }
    pub fn text(&self) -> &Text {
        &self.text
    }
    pub fn reviewer(&self) -> &str {
        &self.reviewer
    }
    /// The reviewed layer names: A, then B when adjudicating.
    pub fn layer_names(&self) -> Vec<&str> {
        self.layers.iter().map(|(n, _)| n.as_str()).collect()
    }
    /// A reviewed layer (0 = A, 1 = B).
    pub fn layer(&self, side: usize) -> Option<&Layer> {
        self.layers.get(side).map(|(_, l)| l)
    }
    pub fn items(&self) -> &[Item] {
        &self.items
    }
    pub fn curated(&self) -> &CuratedLayer {
        &self.curated
    }
    /// Where the curated layer is saved.
    pub fn curated_path(&self) -> &Path {
        &self.session.path
    }

    fn refs(&self, item: &Item) -> Vec<SourceRef> {
        let mut out = Vec::new();
        if let Some(s) = &item.a {
            out.push(SourceRef {
                layer: self.layers[0].0.clone(),
                id: s.id,
            });
        }
        if let (Some(s), Some((name, _))) = (&item.b, self.layers.get(1)) {
            out.push(SourceRef {
                layer: name.clone(),
                id: s.id,
            });
        }
        out
    }

    /// Whether item `i` is decided: every one of its spans was accepted or rejected.
    pub fn state(&self, i: usize) -> ItemState {
        match self.items.get(i) {
            Some(item) if self.refs(item).iter().all(|r| self.decided.contains(r)) => {
                ItemState::Decided
            }
            _ => ItemState::Undecided,
        }
    }

    /// What the curated layer holds for item `i`: the curated spans accepted from its spans,
    /// and its spans' rejections (both empty while undecided).
    pub fn outcome(&self, i: usize) -> (Vec<&CuratedSpan>, Vec<&Rejection>) {
        let Some(item) = self.items.get(i) else {
            return (Vec::new(), Vec::new());
        };
        let refs = self.refs(item);
        if !refs.iter().any(|r| self.decided.contains(r)) {
            return (Vec::new(), Vec::new());
        }
        let spans = self
            .curated
            .spans
            .iter()
            .filter(|s| s.from.iter().any(|r| refs.contains(r)))
            .collect();
        let rejected = self
            .curated
            .rejected
            .iter()
            .filter(|x| refs.contains(&x.from))
            .collect();
        (spans, rejected)
    }

    /// Decided items out of all items.
    pub fn progress(&self) -> (usize, usize) {
        let decided = (0..self.items.len())
            .filter(|&i| self.state(i) == ItemState::Decided)
            .count();
        (decided, self.items.len())
    }

    /// The next undecided item after `from` (from the start when `None`), wrapping around.
    pub fn next_undecided(&self, from: Option<usize>) -> Option<usize> {
        let n = self.items.len();
        let start = from.map_or(0, |i| i + 1);
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| self.state(i) == ItemState::Undecided)
    }

    /// The previous undecided item before `from` (from the end when `None`), wrapping around.
    pub fn prev_undecided(&self, from: Option<usize>) -> Option<usize> {
        let n = self.items.len();
        let start = from.unwrap_or(0) + n;
        (1..=n)
            .map(|k| (start - k) % n)
            .find(|&i| self.state(i) == ItemState::Undecided)
    }

    /// The curated spans and rejections currently recorded for item `i`'s spans.
    /// What removing them takes too: the accepted relations on those spans. Accepted relations
    /// and rejections of relations in `refs` are among them.
    fn existing_for(&self, refs: &[SourceRef]) -> Vec<Change> {
        let mut out = Vec::new();
        let mut gone = HashSet::new();
        for s in &self.curated.spans {
            if s.from.iter().any(|r| refs.contains(r)) {
                gone.insert(s.span.id);
                out.push(Change::RemoveSpan(s.clone()));
            }
        }
        for r in &self.curated.relations {
            let on_gone = [&r.relation.from, &r.relation.to]
                .iter()
                .any(|e| e.here_id().is_some_and(|id| gone.contains(&id)));
            if on_gone || r.sources.iter().any(|x| refs.contains(x)) {
                out.push(Change::RemoveRelation(r.clone()));
            }
        }
        for r in &self.curated.rejected {
            if refs.contains(&r.from) {
                out.push(Change::RemoveRejection(r.clone()));
            }
        }
        out
    }

    fn next_id_after(&self, changes: &[Change]) -> u64 {
        let pending = changes
            .iter()
            .filter_map(|c| match c {
                Change::AddSpan(s) => Some(s.span.id + 1),
                Change::AddRelation(r) => Some(r.relation.id + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        self.curated.next_id.max(pending).max(1)
    }

    fn accepted(&self, span: &Span, from: Vec<SourceRef>, id: u64, now: &str) -> CuratedSpan {
        let mut s = span.clone();
        s.id = id;
        CuratedSpan::from_span(s, from, &self.reviewer, now, false)
    }

    fn rejection(&self, span: &Span, from: SourceRef, reason: &str, now: &str) -> Rejection {
        Rejection {
            from,
            start: span.start,
            end: span.end,
            tag: span.tag.clone(),
            exact: span.exact.clone(),
            reason: reason.to_owned(),
            by: self.reviewer.clone(),
            at: now.to_owned(),
        }
    }

    /// Decides item `i`, replacing any earlier decision on it. One undo step.
    ///
    /// # Errors
    /// No such item, accepting a side the item does not have, or an edit with a bad range or
    /// an unknown tag.
    pub fn decide(&mut self, i: usize, decision: Decision) -> Result<(), ReviewError> {
        let mut changes = Vec::new();
        self.push_decision(i, decision, &mut changes)?;
        self.commit(changes);
        Ok(())
    }

    /// The changes that decide item `i`, after `changes` (the step so far, whose new ids it
    /// leaves alone).
    fn push_decision(
        &self,
        i: usize,
        decision: Decision,
        changes: &mut Vec<Change>,
    ) -> Result<(), ReviewError> {
        let item = self.items.get(i).cloned().ok_or(ReviewError::NoItem(i))?;
        let refs = self.refs(&item);
        let now = now_rfc3339();
        changes.extend(self.existing_for(&refs));
        let ref_a = item.a.as_ref().map(|_| refs[0].clone());
        let ref_b = item.b.as_ref().map(|_| refs[refs.len() - 1].clone());
        // A value conflict is one span with two sets of values: accepting a side keeps one span
        // from both, with that side's values, and rejects nothing.
        let agreed = matches!(item.kind, ItemKind::Agreed | ItemKind::ValueConflict);
        let other_kept = |name: &str| format!("{name}'s version was accepted");
        match decision {
            Decision::AcceptA | Decision::AcceptB => {
                let take_a = decision == Decision::AcceptA;
                let (keep, keep_ref, drop, drop_ref) = if take_a {
                    (&item.a, &ref_a, &item.b, &ref_b)
                } else {
                    (&item.b, &ref_b, &item.a, &ref_a)
                };
                let (Some(keep), Some(keep_ref)) = (keep, keep_ref) else {
                    return Err(ReviewError::NoSide(if take_a { "A" } else { "B" }));
                };
                let from = if agreed {
                    refs.clone()
                } else {
                    vec![keep_ref.clone()]
                };
                let id = self.next_id_after(changes);
                changes.push(Change::AddSpan(self.accepted(keep, from, id, &now)));
                if let (false, Some(drop), Some(drop_ref)) = (agreed, drop, drop_ref) {
                    let reason = other_kept(&keep_ref.layer);
                    changes.push(Change::AddRejection(self.rejection(
                        drop,
                        drop_ref.clone(),
                        &reason,
                        &now,
                    )));
                }
            }
            Decision::AcceptBoth => {
                // "Both" needs two spans: on an item only in A or only in B it does not apply.
                if item.a.is_none() {
                    return Err(ReviewError::NoSide("A"));
                }
                if item.b.is_none() {
                    return Err(ReviewError::NoSide("B"));
                }
                if item.kind == ItemKind::ValueConflict {
                    return Err(ReviewError::BothOfValueConflict);
                }
                if agreed {
                    let id = self.next_id_after(changes);
                    let span = item.a.as_ref().ok_or(ReviewError::NoSide("A"))?;
                    changes.push(Change::AddSpan(self.accepted(span, refs.clone(), id, &now)));
                } else {
                    for (span, r) in [(&item.a, &ref_a), (&item.b, &ref_b)] {
                        if let (Some(span), Some(r)) = (span, r) {
                            let id = self.next_id_after(changes);
                            changes.push(Change::AddSpan(self.accepted(
                                span,
                                vec![r.clone()],
                                id,
                                &now,
                            )));
                        }
                    }
                }
            }
            Decision::Reject { reason } => {
                for (span, r) in [(&item.a, &ref_a), (&item.b, &ref_b)] {
                    if let (Some(span), Some(r)) = (span, r) {
                        changes.push(Change::AddRejection(self.rejection(
                            span,
                            r.clone(),
                            &reason,
                            &now,
                        )));
                    }
                }
            }
            Decision::Edit { start, end, tag } => {
                let len = self.text.char_len();
                if start >= end || end > len {
                    return Err(ReviewError::BadRange { start, end, len });
                }
                if !self.tags.contains(&tag) {
                    return Err(ReviewError::UnknownTag(tag));
                }
                // The values chosen so far (or the first side's) stay, as far as the tag takes them.
                let chosen = self.single_outcome(&refs).map(|c| c.to_span());
                let id = self.next_id_after(changes);
                let mut span = make_span(&self.text, id, start, end, &tag, &now);
                if let Some(orig) = chosen.as_ref().or(item.a.as_ref()).or(item.b.as_ref()) {
                    span.note = orig.note.clone();
                    let schema = self.tags.get(&tag);
                    span.attrs = user_attrs(orig)
                        .into_iter()
                        .filter(|(k, v)| {
                            orig.tag == tag
                                || schema
                                    .and_then(|t| t.attribute(k))
                                    .is_some_and(|a| a.allows(v))
                        })
                        .collect();
                }
                changes.push(Change::AddSpan(CuratedSpan::from_span(
                    span,
                    refs.clone(),
                    &self.reviewer,
                    &now,
                    true,
                )));
            }
        }
        Ok(())
    }

    /// The one curated span accepted from these reviewed spans, if exactly one is.
    fn single_outcome(&self, refs: &[SourceRef]) -> Option<&CuratedSpan> {
        let mut found = self
            .curated
            .spans
            .iter()
            .filter(|s| s.from.iter().any(|r| refs.contains(r)));
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// The value of attribute `name` the curated layer holds for item `i` (`None` when the
    /// item is not accepted as one span, or the span has no such value).
    pub fn chosen_value(&self, i: usize, name: &str) -> Option<&str> {
        let item = self.items.get(i)?;
        let span = self.single_outcome(&self.refs(item))?;
        span.span.attrs.get(name).map(String::as_str)
    }

    /// Sets attribute `name` of item `i`'s curated span to `value` (`None` removes it): the
    /// reviewer picks one side's value or types another. An undecided item that is one span
    /// (agreed, value conflict, only in A or B) is accepted with this value, A's other values
    /// kept. One undo step.
    ///
    /// # Errors
    /// No such item, a reserved key, a value the tag's schema does not allow, or an item that
    /// is not (or cannot become) one accepted span: rejected, accepted as two spans, or a tag or
    /// boundary conflict not decided yet.
    pub fn set_value(
        &mut self,
        i: usize,
        name: &str,
        value: Option<&str>,
    ) -> Result<(), ReviewError> {
        let item = self.items.get(i).cloned().ok_or(ReviewError::NoItem(i))?;
        if crate::model::tags::is_reserved(name) {
            return Err(ReviewError::ReservedAttr(name.to_owned()));
        }
        let refs = self.refs(&item);
        let now = now_rfc3339();
        let accepted: Vec<&CuratedSpan> = self
            .curated
            .spans
            .iter()
            .filter(|s| s.from.iter().any(|r| refs.contains(r)))
            .collect();
        let (mut changes, mut span) = match accepted.as_slice() {
            [one] => (vec![Change::RemoveSpan((*one).clone())], (*one).clone()),
            [_, _, ..] => return Err(ReviewError::NoSpanForValue("it was accepted as two spans")),
            [] if refs.iter().any(|r| self.decided.contains(r)) => {
                return Err(ReviewError::NoSpanForValue("it was rejected"));
            }
            [] => {
                let one = matches!(
                    item.kind,
                    ItemKind::Agreed | ItemKind::ValueConflict | ItemKind::OnlyA | ItemKind::OnlyB
                );
                let base = item.a.as_ref().or(item.b.as_ref());
                let (true, Some(base)) = (one, base) else {
                    return Err(ReviewError::NoSpanForValue(
                        "accept A's or B's span first, then set its values",
                    ));
                };
                let id = self.next_id_after(&[]);
                (Vec::new(), self.accepted(base, refs.clone(), id, &now))
            }
        };
        if let Some(v) = value
            && let Some(attr) = self
                .tags
                .get(&span.span.tag)
                .and_then(|t| t.attribute(name))
            && !attr.allows(v)
        {
            return Err(ReviewError::BadValue {
                tag: span.span.tag.clone(),
                name: name.to_owned(),
                value: v.to_owned(),
            });
        }
        if span.span.attrs.get(name).map(String::as_str) == value && !changes.is_empty() {
            return Ok(());
        }
        match value {
            Some(v) => span.span.attrs.insert(name.to_owned(), v.to_owned()),
            None => span.span.attrs.remove(name),
        };
        span.span.modified = now.clone();
        span.accepted_by = self.reviewer.clone();
        span.accepted_at = now;
        changes.push(Change::AddSpan(span));
        self.commit(changes);
        Ok(())
    }

    /// The relation items: the reviewed layers' relations with both ends in the text, A's and
    /// B's matched by type and ends' ranges, sorted by where their `from` end is.
    pub fn relation_items(&self) -> &[RelationItem] {
        &self.relation_items
    }

    fn relation_refs(&self, item: &RelationItem) -> Vec<SourceRef> {
        let sides = [&item.a, &item.b];
        (sides.iter().enumerate())
            .filter_map(|(side, r)| {
                Some(SourceRef {
                    layer: self.layers.get(side)?.0.clone(),
                    id: r.as_ref()?.id,
                })
            })
            .collect()
    }

    /// Whether relation item `i` is decided: each of its relations accepted or rejected.
    pub fn relation_state(&self, i: usize) -> ItemState {
        match self.relation_items.get(i) {
            Some(item)
                if self
                    .relation_refs(item)
                    .iter()
                    .all(|r| self.decided.contains(r)) =>
            {
                ItemState::Decided
            }
            _ => ItemState::Undecided,
        }
    }

    /// Decided relation items out of all relation items.
    pub fn relation_progress(&self) -> (usize, usize) {
        let decided = (0..self.relation_items.len())
            .filter(|&i| self.relation_state(i) == ItemState::Decided)
            .count();
        (decided, self.relation_items.len())
    }

    /// What the curated layer holds for relation item `i`: the relation accepted from it and
    /// its relations' rejections.
    pub fn relation_outcome(&self, i: usize) -> (Vec<&CuratedRelation>, Vec<&Rejection>) {
        let Some(item) = self.relation_items.get(i) else {
            return (Vec::new(), Vec::new());
        };
        let refs = self.relation_refs(item);
        let accepted = (self.curated.relations.iter())
            .filter(|r| r.sources.iter().any(|x| refs.contains(x)))
            .collect();
        let rejected = (self.curated.rejected.iter())
            .filter(|x| refs.contains(&x.from))
            .collect();
        (accepted, rejected)
    }

    /// Decides relation item `i`, replacing any earlier decision on it. Accepting a relation
    /// links the curated spans accepted from its ends; an end not decided yet is accepted in
    /// the same step, as its annotator's version of its item (the other version of a conflict
    /// is rejected, as accepting that side would). One undo step.
    ///
    /// # Errors
    /// No such item, a side the item does not have, or an end that was rejected outright
    /// (accept that span first).
    pub fn decide_relation(
        &mut self,
        i: usize,
        decision: RelationDecision,
    ) -> Result<(), ReviewError> {
        let item = (self.relation_items.get(i).cloned()).ok_or(ReviewError::NoRelationItem(i))?;
        let refs = self.relation_refs(&item);
        let now = now_rfc3339();
        let mut changes = self.existing_for(&refs);
        let ref_of = |side: usize| {
            let name = &self.layers.get(side)?.0;
            refs.iter().find(|r| &r.layer == name).cloned()
        };
        let sides = [(0, &item.a, ref_of(0)), (1, &item.b, ref_of(1))];
        match decision {
            RelationDecision::AcceptA | RelationDecision::AcceptB => {
                let take = usize::from(decision == RelationDecision::AcceptB);
                let (side, keep, keep_ref) = &sides[take];
                let (Some(keep), Some(keep_ref)) = (keep, keep_ref) else {
                    return Err(ReviewError::NoSide(if take == 0 { "A" } else { "B" }));
                };
                let from = self.curated_end(*side, &keep.from, "from", &mut changes)?;
                let to = self.curated_end(*side, &keep.to, "to", &mut changes)?;
                let mut relation = keep.clone();
                relation.id = self.next_id_after(&changes);
                relation.from = from;
                relation.to = to;
                let agreed = item.kind == RelationItemKind::Agreed;
                changes.push(Change::AddRelation(CuratedRelation {
                    relation,
                    sources: if agreed {
                        refs.clone()
                    } else {
                        vec![keep_ref.clone()]
                    },
                    accepted_by: self.reviewer.clone(),
                    accepted_at: now.clone(),
                }));
                if !agreed {
                    let (other, drop, drop_ref) = &sides[1 - take];
                    if let (Some(drop), Some(drop_ref)) = (drop, drop_ref) {
                        let reason = format!("{}'s version was accepted", keep_ref.layer);
                        changes.push(Change::AddRejection(
                            self.relation_rejection(*other, drop, drop_ref, &reason, &now),
                        ));
                    }
                }
            }
            RelationDecision::Reject { reason } => {
                for (side, r, x) in &sides {
                    if let (Some(r), Some(x)) = (r, x) {
                        changes.push(Change::AddRejection(
                            self.relation_rejection(*side, r, x, &reason, &now),
                        ));
                    }
                }
            }
        }
        self.commit(changes);
        Ok(())
    }

    /// Takes back the decision on relation item `i`. One undo step.
    pub fn reopen_relation(&mut self, i: usize) -> bool {
        let Some(item) = self.relation_items.get(i) else {
            return false;
        };
        self.undecide(&self.relation_refs(item))
    }

    /// The curated span for relation end `end` (a span of reviewed layer `side`): the span
    /// accepted from it, in the file or earlier in this step; the one span its item kept when
    /// it was rejected for the other version; or, when its item is undecided, that side's span
    /// accepted now (added to `changes`).
    fn curated_end(
        &self,
        side: usize,
        end: &End,
        which: &'static str,
        changes: &mut Vec<Change>,
    ) -> Result<End, ReviewError> {
        if let Some(d) = &end.doc {
            return self.curated_end_elsewhere(d, which).map(|id| End {
                span: id,
                doc: Some(d.clone()),
            });
        }
        self.curated_end_here(side, end, which, changes)
            .map(End::here)
    }

    /// A cross-document end in the curated layer: the span of the other text's curated layer
    /// at the recorded range with the recorded words (the reviewer decides that document in
    /// its own review).
    fn curated_end_elsewhere(
        &self,
        d: &crate::model::relation::Elsewhere,
        which: &'static str,
    ) -> Result<u64, ReviewError> {
        let not_yet = || ReviewError::EndElsewhere {
            end: which,
            text: d.text.clone(),
            exact: crate::session::document::short(&d.exact),
        };
        let path = self
            .ws
            .layer_path(CURATED_LAYER, &d.text)
            .ok_or_else(not_yet)?;
        let Ok(Some((other, _))) = load_curated(&path) else {
            return Err(not_yet());
        };
        (other.spans.iter())
            .find(|s| s.span.start == d.start && s.span.end == d.end && s.span.exact == d.exact)
            .map(|s| s.span.id)
            .ok_or_else(not_yet)
    }

    fn curated_end_here(
        &self,
        side: usize,
        end: &End,
        which: &'static str,
        changes: &mut Vec<Change>,
    ) -> Result<u64, ReviewError> {
        let name = self.layers[side].0.clone();
        let missing = || ReviewError::EndMissing {
            end: which,
            span: end.span,
            layer: name.clone(),
        };
        let id = end.here_id().ok_or_else(missing)?;
        let r = SourceRef {
            layer: name.clone(),
            id,
        };
        let added = |changes: &[Change]| {
            changes.iter().find_map(|c| match c {
                Change::AddSpan(s) if s.from.contains(&r) => Some(s.span.id),
                _ => None,
            })
        };
        if let Some(found) = added(changes) {
            return Ok(found);
        }
        if let Some(s) = (self.curated.spans.iter()).find(|s| s.from.contains(&r)) {
            return Ok(s.span.id);
        }
        let item_of = (0..self.items.len()).find(|&k| self.refs(&self.items[k]).contains(&r));
        if let Some(x) = self.curated.rejected.iter().find(|x| x.from == r) {
            // Its item was decided for the other version: the link goes to the span kept.
            if let Some(k) = item_of {
                let refs = self.refs(&self.items[k]);
                let mut kept =
                    (self.curated.spans.iter()).filter(|s| s.from.iter().any(|f| refs.contains(f)));
                if let (Some(one), None) = (kept.next(), kept.next()) {
                    return Ok(one.span.id);
                }
            }
            return Err(ReviewError::EndRejected {
                end: which,
                tag: x.tag.clone(),
                exact: crate::session::document::short(&x.exact),
            });
        }
        let k = item_of.ok_or_else(missing)?;
        let decision = if side == 0 {
            Decision::AcceptA
        } else {
            Decision::AcceptB
        };
        self.push_decision(k, decision, changes)?;
        added(changes).ok_or_else(missing)
    }

    /// The rejection of relation `r` of reviewed layer `side`: its type, and its `from` end's
    /// range and words.
    fn relation_rejection(
        &self,
        side: usize,
        r: &crate::model::relation::Relation,
        from: &SourceRef,
        reason: &str,
        now: &str,
    ) -> Rejection {
        let span =
            (r.from.here_id()).and_then(|id| self.layers.get(side).and_then(|(_, l)| l.span(id)));
        Rejection {
            from: from.clone(),
            start: span.map_or(0, |s| s.start),
            end: span.map_or(0, |s| s.end),
            tag: r.kind.clone(),
            exact: span.map(|s| s.exact.clone()).unwrap_or_default(),
            reason: reason.to_owned(),
            by: self.reviewer.clone(),
            at: now.to_owned(),
        }
    }

    /// Accepts every undecided agreed item at once, then every undecided agreed relation whose
    /// ends are accepted. One undo step. Returns how many.
    pub fn accept_all_agreed(&mut self) -> usize {
        let now = now_rfc3339();
        let mut changes = Vec::new();
        let mut n = 0;
        let mut next_id = self.curated.next_id.max(1);
        for i in 0..self.items.len() {
            let item = &self.items[i];
            if item.kind != ItemKind::Agreed || self.state(i) == ItemState::Decided {
                continue;
            }
            let refs = self.refs(item);
            if refs.iter().any(|r| self.decided.contains(r)) {
                changes.extend(self.existing_for(&refs));
            }
            let id = next_id;
            next_id += 1;
            if let Some(span) = &item.a {
                changes.push(Change::AddSpan(self.accepted(span, refs, id, &now)));
                n += 1;
            }
        }
        // Then the agreed links whose ends are accepted (now or before).
        let unlinked: HashSet<u64> = (changes.iter())
            .filter_map(|c| match c {
                Change::RemoveRelation(r) => Some(r.relation.id),
                _ => None,
            })
            .collect();
        for item in &self.relation_items {
            let Some(a) = item
                .a
                .as_ref()
                .filter(|_| item.kind == RelationItemKind::Agreed)
            else {
                continue;
            };
            let refs = self.relation_refs(item);
            let still = |c: &CuratedRelation| {
                !unlinked.contains(&c.relation.id) && c.sources.iter().any(|x| refs.contains(x))
            };
            let rejected = self.curated.rejected.iter().any(|x| refs.contains(&x.from));
            if rejected || self.curated.relations.iter().any(still) {
                continue;
            }
            let (Some(from), Some(to)) = (
                self.kept_end(&a.from, &changes),
                self.kept_end(&a.to, &changes),
            ) else {
                continue;
            };
            let mut relation = a.clone();
            relation.id = next_id;
            next_id += 1;
            relation.from = from;
            relation.to = to;
            changes.push(Change::AddRelation(CuratedRelation {
                relation,
                sources: refs,
                accepted_by: self.reviewer.clone(),
                accepted_at: now.clone(),
            }));
            n += 1;
        }
        if n > 0 {
            self.commit(changes);
        }
        n
    }

    /// The curated end for A's relation end `end` without accepting anything: the curated
    /// span accepted from it (counting `changes`), or for an end in another text, that text's
    /// curated span at the recorded place.
    fn kept_end(&self, end: &End, changes: &[Change]) -> Option<End> {
        match &end.doc {
            Some(d) => self.curated_end_elsewhere(d, "to").ok().map(|id| End {
                span: id,
                doc: Some(d.clone()),
            }),
            None => self.kept_span(end, changes).map(End::here),
        }
    }

    /// The curated span accepted from A's span at relation end `end`, counting `changes` (a
    /// step being built), without accepting anything.
    fn kept_span(&self, end: &End, changes: &[Change]) -> Option<u64> {
        let r = SourceRef {
            layer: self.layers[0].0.clone(),
            id: end.here_id()?,
        };
        let mut removed = HashSet::new();
        for c in changes {
            match c {
                Change::AddSpan(s) if s.from.contains(&r) => return Some(s.span.id),
                Change::RemoveSpan(s) => {
                    removed.insert(s.span.id);
                }
                _ => {}
            }
        }
        (self.curated.spans.iter())
            .find(|s| s.from.contains(&r) && !removed.contains(&s.span.id))
            .map(|s| s.span.id)
    }

    /// Takes back the decision on item `i` (it becomes undecided). One undo step.
    pub fn reopen(&mut self, i: usize) -> bool {
        let Some(item) = self.items.get(i) else {
            return false;
        };
        self.undecide(&self.refs(item))
    }

    /// Takes back every decision on these reviewed spans or relations, as one step. Returns
    /// whether there was one.
    fn undecide(&mut self, refs: &[SourceRef]) -> bool {
        let changes = self.existing_for(refs);
        if changes.is_empty() {
            return false;
        }
        self.commit(changes);
        true
    }

    /// Adds the reviewer's comment on item `i`. One undo step.
    ///
    /// # Errors
    /// No such item.
    pub fn comment(&mut self, i: usize, text: &str) -> Result<(), ReviewError> {
        let item = self.items.get(i).ok_or(ReviewError::NoItem(i))?;
        let CharRange { start, end } = item.range();
        let c = ReviewComment {
            start,
            end,
            about: self.refs(item),
            text: text.to_owned(),
            by: self.reviewer.clone(),
            at: now_rfc3339(),
        };
        self.commit(vec![Change::AddComment(c)]);
        Ok(())
    }

    /// Comments on item `i`.
    pub fn comments_on(&self, i: usize) -> Vec<&ReviewComment> {
        let Some(item) = self.items.get(i) else {
            return Vec::new();
        };
        let refs = self.refs(item);
        self.curated
            .comments
            .iter()
            .filter(|c| c.about.iter().any(|r| refs.contains(r)))
            .collect()
    }

    /// Marks the document Reviewed (or back to in progress). One undo step.
    pub fn set_reviewed(&mut self, reviewed: bool) {
        let after = if reviewed {
            Status::Reviewed
        } else {
            Status::InProgress
        };
        if self.curated.status != after {
            self.commit(vec![Change::Status {
                before: self.curated.status,
                after,
            }]);
        }
    }

    fn commit(&mut self, changes: Vec<Change>) {
        self.apply(&changes);
        self.session.history.begin_group();
        for c in changes {
            self.session.history.record(c);
        }
        self.session.history.end_group();
        if self.curated.status == Status::NotStarted {
            self.curated.status = Status::InProgress;
        }
        self.mark_dirty();
    }

    /// Applies one decision's changes. Every decision removes what was there before adding, so
    /// removals go first; batching them keeps "accept all" and its undo linear.
    fn apply(&mut self, changes: &[Change]) {
        let cur = &mut self.curated;
        let mut remove_ids = HashSet::new();
        for c in changes {
            match c {
                Change::RemoveSpan(s) => {
                    remove_ids.insert(s.span.id);
                }
                Change::RemoveRejection(r) => {
                    if let Some(p) = cur.rejected.iter().position(|x| x == r) {
                        cur.rejected.remove(p);
                    }
                }
                Change::RemoveComment(k) => {
                    if let Some(p) = cur.comments.iter().position(|x| x == k) {
                        cur.comments.remove(p);
                    }
                }
                Change::RemoveRelation(r) => {
                    cur.relations.retain(|x| x.relation.id != r.relation.id);
                }
                Change::Status { after, .. } => cur.status = *after,
                Change::AddSpan(_)
                | Change::AddRelation(_)
                | Change::AddRejection(_)
                | Change::AddComment(_) => {}
            }
        }
        if !remove_ids.is_empty() {
            cur.spans.retain(|x| !remove_ids.contains(&x.span.id));
        }
        for c in changes {
            match c {
                Change::AddSpan(s) => {
                    cur.next_id = cur.next_id.max(s.span.id + 1);
                    cur.spans.push(s.clone());
                }
                Change::AddRelation(r) => {
                    cur.next_id = cur.next_id.max(r.relation.id + 1);
                    cur.relations.push(r.clone());
                }
                Change::AddRejection(r) => cur.rejected.push(r.clone()),
                Change::AddComment(k) => cur.comments.push(k.clone()),
                _ => {}
            }
        }
        cur.normalize();
        self.decided = cur.decided();
    }

    /// Undoes the last decision. Returns whether there was one.
    pub fn undo(&mut self) -> bool {
        self.undo_step().is_some()
    }

    /// Undoes the last decision and says what it was ("accept quote “…”"), if there was one.
    pub fn undo_step(&mut self) -> Option<String> {
        self.step_history(true)
    }

    /// Redoes the next decision. Returns whether there was one.
    pub fn redo(&mut self) -> bool {
        self.redo_step().is_some()
    }

    /// Redoes the next decision and says what it was, if there was one.
    pub fn redo_step(&mut self) -> Option<String> {
        self.step_history(false)
    }

    fn mark_dirty(&mut self) {
        self.session.autosave.mark_dirty();
    }

    /// Keeps decisions that cannot be saved in `journal` (outside the workspace), and looks
    /// there for decisions an earlier window could not save: if they differ from the file,
    /// [`Review::recovered`] offers them.
    pub fn set_journal(&mut self, journal: Journal) {
        let read = |found: &Recovered| {
            let ours = CuratedLayer::from_ron(&found.contents).ok()?;
            let base = found
                .base
                .as_deref()
                .and_then(|b| CuratedLayer::from_ron(b).ok());
            Some((ours, base))
        };
        let current = &self.curated;
        let same = |(ours, base): &(CuratedLayer, Option<CuratedLayer>)| {
            merge::merge_curated(base.as_ref(), ours, current, merge::Rule::DRIVER).merged
                == *current
        };
        let file = (self.rel.as_str(), self.text.sha256(), "review");
        if let Some(((curated, base), found)) = self.session.open_journal(journal, file, read, same)
        {
            self.recovered = Some((curated, base, found));
        }
    }

    /// Decisions found in the recovery journal, waiting for the user, and where the entry is.
    pub fn recovered(&self) -> Option<(&CuratedLayer, &Recovered)> {
        self.recovered.as_ref().map(|(c, _, r)| (c, r))
    }

    /// Merges the recovered decisions into the curated layer, as one undoable step: three-way
    /// (base: the file as that session last read it), so decisions that reached the file since
    /// are kept; an entry without a base is merged as a union that removes nothing. Returns
    /// whether it did.
    pub fn restore_recovered(&mut self) -> bool {
        let Some((ours, base, _)) = self.recovered.take() else {
            return false;
        };
        self.session.autosave.release_recovered(false);
        let cur = &self.curated;
        let rec = merge::merge_curated(base.as_ref(), &ours, cur, merge::Rule::DRIVER).merged;
        // What the recovered version has that this one lacks is added, and the reverse removed.
        let mut changes = between(&cur.spans, &rec.spans, Change::AddSpan, Change::RemoveSpan);
        changes.extend(between(
            &cur.relations,
            &rec.relations,
            Change::AddRelation,
            Change::RemoveRelation,
        ));
        changes.extend(between(
            &cur.rejected,
            &rec.rejected,
            Change::AddRejection,
            Change::RemoveRejection,
        ));
        changes.extend(between(
            &cur.comments,
            &rec.comments,
            Change::AddComment,
            Change::RemoveComment,
        ));
        if cur.status != rec.status {
            changes.push(Change::Status {
                before: cur.status,
                after: rec.status,
            });
        }
        self.commit(changes);
        true
    }

    /// Drops the recovered decisions and their journal entry, at the user's word.
    pub fn discard_recovered(&mut self) -> bool {
        if self.recovered.take().is_none() {
            return false;
        }
        self.session.autosave.release_recovered(true);
        true
    }

    /// Starts a background save if decisions have waited [`crate::session::autosave::SAVE_DELAY`] (or a failed save is
    /// due for retry). Returns whether it started one. Like the editor's, the save runs on a
    /// writer thread from a snapshot; a later call takes its outcome.
    pub fn save_if_due(&mut self, now: Instant) -> bool {
        self.poll_writer();
        if !self.session.autosave.due(now) {
            return false;
        }
        let snapshot = Arc::new(self.curated.clone());
        if !self.session.autosave.start(
            snapshot,
            self.session.root.clone(),
            self.session.seen.clone(),
            CuratedLayer::to_ron,
        ) {
            let _ = self.save_now();
        }
        true
    }

    /// Writes pending decisions now. If someone else changed the curated file since it was
    /// read, their spans, rejections and comments are merged in first (ours win by span id).
    ///
    /// # Errors
    /// The write failed, or the changed file cannot be read; decisions stay pending.
    pub fn save_now(&mut self) -> Result<(), StoreError> {
        self.save_pending()
    }

    /// Merges another version of the curated layer by the git driver's three-way rule against
    /// the version last read, but ours win conflicts: their decisions on reviewed spans we
    /// decided anew are dropped, and their new spans take fresh ids where our undo history
    /// still uses the id.
    fn merge_theirs(&mut self, theirs: &CuratedLayer) {
        let held: BTreeSet<u64> = self
            .session
            .history
            .edits()
            .filter_map(|c| match c {
                Change::AddSpan(s) | Change::RemoveSpan(s) => Some(s.span.id),
                Change::AddRelation(r) | Change::RemoveRelation(r) => Some(r.relation.id),
                _ => None,
            })
            .collect();
        let out = merge::merge_curated(
            Some(&self.base),
            &self.curated,
            theirs,
            merge::Rule::session(&held),
        );
        // What has been looked at is this window's, as on reload.
        let reviewed = std::mem::take(&mut self.curated.reviewed);
        self.curated = out.merged;
        self.curated.reviewed = reviewed;
        self.decided = self.curated.decided();
    }

    /// Reloads the curated layer if someone else changed it and nothing is pending.
    /// Returns whether it reloaded (the undo history is then cleared).
    pub fn reload_if_changed(&mut self) -> bool {
        if !self.session.may_reload() {
            return false;
        }
        match load_curated(&self.session.path) {
            Ok(Some((c, fp))) => {
                let reviewed = std::mem::take(&mut self.curated.reviewed);
                self.curated = c;
                self.curated.reviewed = reviewed;
                self.base = Arc::new(self.curated.clone());
                self.decided = self.curated.decided();
                self.session.reloaded(fp);
                true
            }
            _ => false,
        }
    }
}

impl Editing for Review {
    type Snapshot = CuratedLayer;
    type Edit = Change;

    fn session(&self) -> &Session<CuratedLayer, Change> {
        &self.session
    }
    fn session_mut(&mut self) -> &mut Session<CuratedLayer, Change> {
        &mut self.session
    }
    fn render(&self) -> String {
        self.curated.to_ron()
    }
    fn render_base(&self) -> String {
        self.base.to_ron()
    }
}

impl SessionOwner for Review {
    type Done = String;

    fn replay(&mut self, step: &[Change], undo: bool) {
        if undo {
            let inverse: Vec<Change> = step.iter().rev().map(Change::inverse).collect();
            self.apply(&inverse);
        } else {
            self.apply(step);
        }
    }
    fn replayed(&mut self, step: &[Change], _undo: bool) -> String {
        self.mark_dirty();
        describe_changes(step)
    }

    fn finish_background_save(&mut self, finished: Finished<CuratedLayer>) {
        match finished {
            Finished::Written {
                fingerprint,
                snapshot,
                ..
            } => {
                self.session.seen = Some(fingerprint);
                self.base = snapshot;
            }
            Finished::Changed => {
                let _ = self.save_now();
            }
            Finished::Failed(_) => self.journal_after_failure(),
        }
    }

    fn journal_after_failure(&mut self) {
        let (curated, base) = (&self.curated, &self.base);
        let Some(kept) = self
            .session
            .journal_after_failure(|| (curated.to_ron(), base.to_ron()))
        else {
            return;
        };
        match kept {
            Ok(kept) => self.session.notices.push(format!(
                "unsaved review decisions are kept in the recovery journal ({}) until they can be saved",
                kept.describe()
            )),
            Err(e) => self.session.notices.push(format!(
                "the unsaved review decisions could not be kept in the recovery journal either: {e}"
            )),
        }
    }

    fn write_pending(&mut self) -> Result<(), StoreError> {
        let save = self.session.begin_write()?;
        if self.session.changed_on_disk(&save) {
            match load_curated(&self.session.path) {
                Ok(Some((theirs, fp))) => {
                    self.merge_theirs(&theirs);
                    self.base = Arc::new(theirs);
                    self.session.seen = Some(fp);
                    self.session.notices.push(format!(
                        "{} was changed outside this window; merged (your decisions win on conflicts)",
                        self.session.path.display()
                    ));
                }
                Ok(None) => self.session.seen = None,
                Err(e) => return Err(self.session.unreadable(&e)),
            }
        }
        let written = save.write(self.curated.to_ron().as_bytes());
        self.session.finish_write(written)?;
        self.base = Arc::new(self.curated.clone());
        Ok(())
    }
}

/// Review progress of text `rel` for the document list: decided items out of all, and whether
/// it is marked Reviewed. `None` when it has no curated file (or it names no reviewed layers).
///
/// # Errors
/// An unreadable curated or reviewed layer file.
pub fn progress_of(ws: &Workspace, rel: &str) -> Result<Option<(usize, usize, bool)>, StoreError> {
    let Some(path) = ws.layer_path(CURATED_LAYER, rel) else {
        return Ok(None);
    };
    let Some((curated, _)) = load_curated(&path)? else {
        return Ok(None);
    };
    let mut layers = Vec::new();
    for name in curated.reviewed.iter().take(2) {
        let Some(p) = ws.layer_path(name, rel) else {
            return Ok(None);
        };
        match crate::model::layer::load_layer(&p)? {
            Some((l, _)) => layers.push((name.clone(), l)),
            None => return Ok(None),
        }
    }
    if layers.is_empty() {
        return Ok(None);
    }
    let layers: Vec<(&str, &[Span])> = layers
        .iter()
        .map(|(n, l)| (n.as_str(), l.spans.as_slice()))
        .collect();
    let items = items_with_decisions(&curated, &layers);
    let decided = items.iter().filter(|(_, d)| *d).count();
    Ok(Some((
        decided,
        items.len(),
        curated.status == Status::Reviewed,
    )))
}
