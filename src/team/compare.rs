//! Comparing two annotators' layers of one text for review: the items a reviewer decides
//! (agreed, conflicts, spans only one side has), spans matched one to one by overlap, and what
//! became of each annotator's spans according to the curated layer. Relations are compared by
//! type and where both ends are ([`RelationPlace`]), for agreement and for review.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::model::curated::{CuratedLayer, CuratedSpan, Rejection, SourceRef};
use crate::model::layer::{Layer, Span};
use crate::model::range::CharRange;
use crate::model::relation::Relation;

/// How the two layers relate at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ItemKind {
    /// Same start, end and tag.
    Agreed,
    /// Same start, end and tag, but different attribute values (reserved keys aside).
    ValueConflict,
    /// Same range, different tags.
    TagConflict,
    /// Same tag, overlapping but different ranges.
    BoundaryConflict,
    OnlyA,
    OnlyB,
}

impl ItemKind {
    /// How the kind reads in the app.
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::Agreed => "agreed",
            ItemKind::ValueConflict => "value conflict",
            ItemKind::TagConflict => "tag conflict",
            ItemKind::BoundaryConflict => "boundary conflict",
            ItemKind::OnlyA => "only in A",
            ItemKind::OnlyB => "only in B",
        }
    }
}

/// One thing to decide: a span of A, of B, or one of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    pub a: Option<Span>,
    pub b: Option<Span>,
}

/// One attribute on which the two spans of an item differ (or that one of them lacks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueDifference {
    pub name: String,
    pub a: Option<String>,
    pub b: Option<String>,
}

/// A span's user attributes: its `attrs` without Marginalia's reserved markers.
pub fn user_attrs(span: &Span) -> BTreeMap<String, String> {
    span.attrs
        .iter()
        .filter(|(k, _)| !crate::model::tags::is_reserved(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl Item {
    /// The user attributes on which A's and B's spans differ, by name (empty unless both
    /// spans are there).
    pub fn value_differences(&self) -> Vec<ValueDifference> {
        let (Some(a), Some(b)) = (&self.a, &self.b) else {
            return Vec::new();
        };
        let (va, vb) = (user_attrs(a), user_attrs(b));
        let names: BTreeSet<&String> = va.keys().chain(vb.keys()).collect();
        names
            .into_iter()
            .filter(|n| va.get(*n) != vb.get(*n))
            .map(|n| ValueDifference {
                name: n.clone(),
                a: va.get(n).cloned(),
                b: vb.get(n).cloned(),
            })
            .collect()
    }

    /// The range covering the item's spans.
    pub fn range(&self) -> CharRange {
        let spans = self.a.iter().chain(self.b.iter());
        let start = spans.clone().map(|s| s.start).min().unwrap_or(0);
        let end = spans.map(|s| s.end).max().unwrap_or(0);
        CharRange::new(start, end)
    }
}

/// Classifies the spans of A (and B, when adjudicating) into items, sorted by position:
/// agreed pairs (same range, tag and user attributes) first matched one to one, then
/// same-range same-tag pairs whose values differ, then same-range pairs with different tags, then
/// same-tag overlapping pairs (greedily by largest overlap); the rest are only in A or B.
pub fn classify(a: &[Span], b: Option<&[Span]>) -> Vec<Item> {
    let mut items = Vec::new();
    let Some(b) = b else {
        return a
            .iter()
            .map(|s| Item {
                kind: ItemKind::OnlyA,
                a: Some(s.clone()),
                b: None,
            })
            .collect();
    };
    let mut a_left: Vec<bool> = vec![true; a.len()];
    let mut b_left: Vec<bool> = vec![true; b.len()];
    // Agreed first, then same tag with other values, then same range with another tag; B's
    // candidates are queued by key so this stays linear in the number of spans.
    for kind in [
        ItemKind::Agreed,
        ItemKind::ValueConflict,
        ItemKind::TagConflict,
    ] {
        let key = |s: &Span| {
            let what = match kind {
                // Tag and values, separated by a char no tag or RON key holds.
                ItemKind::Agreed => format!("{}\u{0}{:?}", s.tag, user_attrs(s)),
                ItemKind::ValueConflict => s.tag.clone(),
                _ => String::new(),
            };
            (s.start, s.end, what)
        };
        let mut queue: HashMap<(usize, usize, String), std::collections::VecDeque<usize>> =
            HashMap::new();
        for (j, sb) in b.iter().enumerate().filter(|(j, _)| b_left[*j]) {
            queue.entry(key(sb)).or_default().push_back(j);
        }
        for (i, sa) in a.iter().enumerate() {
            if !a_left[i] {
                continue;
            }
            if let Some(j) = queue.get_mut(&key(sa)).and_then(|q| q.pop_front()) {
                a_left[i] = false;
                b_left[j] = false;
                items.push(Item {
                    kind,
                    a: Some(sa.clone()),
                    b: Some(b[j].clone()),
                });
            }
        }
    }
    let tags: BTreeSet<&str> = a.iter().map(|s| s.tag.as_str()).collect();
    for tag in tags {
        let ai: Vec<usize> = (0..a.len())
            .filter(|&i| a_left[i] && a[i].tag == tag)
            .collect();
        let bi: Vec<usize> = (0..b.len())
            .filter(|&j| b_left[j] && b[j].tag == tag)
            .collect();
        let ra: Vec<CharRange> = ai.iter().map(|&i| a[i].range()).collect();
        let rb: Vec<CharRange> = bi.iter().map(|&j| b[j].range()).collect();
        for (x, y) in greedy_overlap_match(&ra, &rb) {
            let (i, j) = (ai[x], bi[y]);
            a_left[i] = false;
            b_left[j] = false;
            items.push(Item {
                kind: ItemKind::BoundaryConflict,
                a: Some(a[i].clone()),
                b: Some(b[j].clone()),
            });
        }
    }
    for (_, s) in a.iter().enumerate().filter(|(i, _)| a_left[*i]) {
        items.push(Item {
            kind: ItemKind::OnlyA,
            a: Some(s.clone()),
            b: None,
        });
    }
    for (_, s) in b.iter().enumerate().filter(|(j, _)| b_left[*j]) {
        items.push(Item {
            kind: ItemKind::OnlyB,
            a: None,
            b: Some(s.clone()),
        });
    }
    items.sort_by_key(|it| {
        let r = it.range();
        (
            r.start,
            r.end,
            it.a.as_ref().map(|x| x.id),
            it.b.as_ref().map(|x| x.id),
        )
    });
    items
}

/// Matches spans one to one, greedily by largest overlap: every pair of overlapping ranges is
/// a candidate, taken in order of decreasing overlap (ties by A's then B's position in the
/// input) if neither side is taken. Returns `(index in a, index in b)` pairs.
pub fn greedy_overlap_match(a: &[CharRange], b: &[CharRange]) -> Vec<(usize, usize)> {
    let index = crate::model::span_index::SpanIndex::from_ranges(b.iter().copied());
    let mut candidates = Vec::new();
    for (i, r1) in a.iter().enumerate() {
        index.visit_overlapping(r1.start, r1.end, |j| {
            let r2 = b[j];
            let overlap = r1.end.min(r2.end).saturating_sub(r1.start.max(r2.start));
            if overlap > 0 {
                candidates.push((overlap, i, j));
            }
        });
    }
    candidates.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut a_taken = vec![false; a.len()];
    let mut b_taken = vec![false; b.len()];
    let mut out = Vec::new();
    for (_, i, j) in candidates {
        if !a_taken[i] && !b_taken[j] {
            a_taken[i] = true;
            b_taken[j] = true;
            out.push((i, j));
        }
    }
    out
}

/// Where one end of a relation is: the text (workspace path) and the span's range in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndPlace {
    pub text: String,
    pub range: CharRange,
}

impl EndPlace {
    /// Chars this end shares with `other` (0: another text, or no overlap).
    fn overlap(&self, other: &EndPlace) -> usize {
        if self.text != other.text {
            return 0;
        }
        let (a, b) = (self.range, other.range);
        a.end.min(b.end).saturating_sub(a.start.max(b.start))
    }
}

/// A relation as agreement and review match it: its type and where both ends are. Two
/// annotators' relations are the same link when these are equal, whatever their ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelationPlace {
    pub kind: String,
    pub from: EndPlace,
    pub to: EndPlace,
}

impl RelationPlace {
    /// Where relation `r` of the layer of text `rel` (whose spans are `spans`) is: an end in
    /// this layer at its span's range, an end in another text at the range recorded when it was
    /// linked. `None` when an end's span is not in `spans` (a broken or orphaned end: such a
    /// relation cannot be matched by place).
    pub fn of(rel: &str, spans: &HashMap<u64, &Span>, r: &Relation) -> Option<Self> {
        let end = |e: &crate::model::relation::End| -> Option<EndPlace> {
            match &e.doc {
                Some(d) => Some(EndPlace {
                    text: d.text.clone(),
                    range: CharRange::new(d.start, d.end),
                }),
                None => spans.get(&e.span).map(|s| EndPlace {
                    text: rel.to_owned(),
                    range: s.range(),
                }),
            }
        };
        Some(Self {
            kind: r.kind.clone(),
            from: end(&r.from)?,
            to: end(&r.to)?,
        })
    }

    /// What exact matching compares: the type and the ends, in order unless the type is
    /// `symmetric` (then either direction is the same link).
    pub fn exact_key(&self, symmetric: bool) -> (&str, &EndPlace, &EndPlace) {
        if symmetric && self.to < self.from {
            (&self.kind, &self.to, &self.from)
        } else {
            (&self.kind, &self.from, &self.to)
        }
    }

    /// How well `other` matches this relation when ends need only overlap: the chars both ends
    /// share, summed; `None` when the types differ or an end does not overlap its counterpart
    /// (either way round for a `symmetric` type).
    pub fn overlap_with(&self, other: &RelationPlace, symmetric: bool) -> Option<usize> {
        if self.kind != other.kind {
            return None;
        }
        let score = |f: usize, t: usize| (f > 0 && t > 0).then_some(f + t);
        let forward = score(self.from.overlap(&other.from), self.to.overlap(&other.to));
        let backward = if symmetric {
            score(self.from.overlap(&other.to), self.to.overlap(&other.from))
        } else {
            None
        };
        forward.max(backward)
    }
}

/// The places of a layer's relations, each with its index in `relations` (relations with an
/// end that cannot be placed are left out).
pub fn relation_places(
    rel: &str,
    spans: &[Span],
    relations: &[Relation],
) -> Vec<(usize, RelationPlace)> {
    if relations.is_empty() {
        return Vec::new();
    }
    let by_id: HashMap<u64, &Span> = spans.iter().map(|s| (s.id, s)).collect();
    relations
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, RelationPlace::of(rel, &by_id, r)?)))
        .collect()
}

/// How many relations match exactly (same type, same ends' ranges), one to one.
pub fn exact_relation_matches(
    a: &[RelationPlace],
    b: &[RelationPlace],
    symmetric: &dyn Fn(&str) -> bool,
) -> u64 {
    let mut counts: HashMap<(&str, &EndPlace, &EndPlace), (u64, u64)> = HashMap::new();
    for r in a {
        counts.entry(r.exact_key(symmetric(&r.kind))).or_default().0 += 1;
    }
    for r in b {
        counts.entry(r.exact_key(symmetric(&r.kind))).or_default().1 += 1;
    }
    counts.values().map(|(x, y)| (*x).min(*y)).sum()
}

/// Matches relations one to one when each end need only overlap its counterpart, greedily by
/// the most shared chars (ties by A's then B's position), as spans are matched. Returns
/// `(index in a, index in b)` pairs.
pub fn overlap_relation_matches(
    a: &[RelationPlace],
    b: &[RelationPlace],
    symmetric: &dyn Fn(&str) -> bool,
) -> Vec<(usize, usize)> {
    let mut candidates = Vec::new();
    for (i, x) in a.iter().enumerate() {
        let sym = symmetric(&x.kind);
        for (j, y) in b.iter().enumerate() {
            if let Some(score) = x.overlap_with(y, sym) {
                candidates.push((score, i, j));
            }
        }
    }
    candidates.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let (mut a_taken, mut b_taken) = (vec![false; a.len()], vec![false; b.len()]);
    let mut out = Vec::new();
    for (_, i, j) in candidates {
        if !a_taken[i] && !b_taken[j] {
            a_taken[i] = true;
            b_taken[j] = true;
            out.push((i, j));
        }
    }
    out
}

/// How two reviewed layers' relations relate at one link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum RelationItemKind {
    /// Same type, same ends (either way round for a symmetric type).
    Agreed,
    /// Same ends, another type.
    TypeConflict,
    OnlyA,
    OnlyB,
}

impl RelationItemKind {
    /// How the kind reads in the app.
    pub fn label(self) -> &'static str {
        match self {
            RelationItemKind::Agreed => "agreed",
            RelationItemKind::TypeConflict => "type conflict",
            RelationItemKind::OnlyA => "only in A",
            RelationItemKind::OnlyB => "only in B",
        }
    }
}

/// One relation to decide in review: a relation of A, of B, or one of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationItem {
    pub kind: RelationItemKind,
    pub a: Option<Relation>,
    pub b: Option<Relation>,
    /// Where the link is (A's relation's place when it has one).
    pub place: RelationPlace,
}

/// Classifies the relations of A (and B) of text `rel` into review items: same-type same-ends
/// pairs first, then same-ends pairs of other types, the rest only in A or B; sorted by where
/// their `from` end is. A cross-document end is matched by its text and recorded range; the
/// review links it to that text's curated span (accepted in that text's own review).
pub fn classify_relations(
    rel: &str,
    a: &Layer,
    b: Option<&Layer>,
    symmetric: &dyn Fn(&str) -> bool,
) -> Vec<RelationItem> {
    let here = |l: &Layer| -> Vec<(Relation, RelationPlace)> {
        relation_places(rel, &l.spans, &l.relations)
            .into_iter()
            .map(|(i, p)| (l.relations[i].clone(), p))
            .collect()
    };
    let xa = here(a);
    let xb = b.map(here).unwrap_or_default();
    let mut a_left = vec![true; xa.len()];
    let mut b_left = vec![true; xb.len()];
    let mut items = Vec::new();
    let same_ends = |x: &RelationPlace, y: &RelationPlace| {
        (x.from == y.from && x.to == y.to)
            || ((symmetric(&x.kind) || symmetric(&y.kind)) && x.from == y.to && x.to == y.from)
    };
    for kind in [RelationItemKind::Agreed, RelationItemKind::TypeConflict] {
        for (i, (ra, pa)) in xa.iter().enumerate() {
            if !a_left[i] {
                continue;
            }
            let found = (0..xb.len()).find(|&j| {
                let pb = &xb[j].1;
                b_left[j]
                    && match kind {
                        RelationItemKind::Agreed => {
                            pa.kind == pb.kind
                                && pa.exact_key(symmetric(&pa.kind))
                                    == pb.exact_key(symmetric(&pb.kind))
                        }
                        _ => same_ends(pa, pb),
                    }
            });
            if let Some(j) = found {
                a_left[i] = false;
                b_left[j] = false;
                items.push(RelationItem {
                    kind,
                    a: Some(ra.clone()),
                    b: Some(xb[j].0.clone()),
                    place: pa.clone(),
                });
            }
        }
    }
    for (_, (r, p)) in xa.iter().enumerate().filter(|(i, _)| a_left[*i]) {
        items.push(RelationItem {
            kind: RelationItemKind::OnlyA,
            a: Some(r.clone()),
            b: None,
            place: p.clone(),
        });
    }
    for (_, (r, p)) in xb.iter().enumerate().filter(|(j, _)| b_left[*j]) {
        items.push(RelationItem {
            kind: RelationItemKind::OnlyB,
            a: None,
            b: Some(r.clone()),
            place: p.clone(),
        });
    }
    items.sort_by(|x, y| {
        let key = |it: &RelationItem| {
            (
                it.place.from.range,
                it.place.to.range,
                it.a.as_ref().map(|r| r.id),
                it.b.as_ref().map(|r| r.id),
            )
        };
        key(x).cmp(&key(y))
    });
    items
}

/// What became of one of an annotator's spans in review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Accepted as it is.
    Accepted,
    /// Accepted with other boundaries, another tag or other attribute values.
    Edited {
        start: usize,
        end: usize,
        tag: String,
        /// The attribute values the curated span holds that differ from the annotator's.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        values: Vec<ValueChange>,
    },
    Rejected {
        reason: String,
    },
    NotReviewed,
}

/// An attribute value the reviewer kept other than the annotator's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueChange {
    pub name: String,
    /// The annotator's value (`None`: they gave none).
    pub yours: Option<String>,
    /// The curated layer's (`None`: no value).
    pub kept: Option<String>,
}

/// The verdict on one span, for the annotator who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpanFeedback {
    pub span_id: u64,
    pub verdict: Verdict,
    /// The reviewer and when (empty when not reviewed).
    pub by: String,
    pub at: String,
    /// Review comments about this span.
    pub comments: Vec<String>,
}

/// The verdict on each of `annotator`'s spans in `layer`, from the curated layer.
pub fn feedback(annotator: &str, layer: &Layer, curated: &CuratedLayer) -> Vec<SpanFeedback> {
    let mine = |r: &SourceRef| r.layer == annotator;
    let mut accepted: HashMap<u64, &CuratedSpan> = HashMap::new();
    for c in &curated.spans {
        for r in c.from.iter().filter(|r| mine(r)) {
            accepted.entry(r.id).or_insert(c);
        }
    }
    let mut rejected: HashMap<u64, &Rejection> = HashMap::new();
    for x in curated.rejected.iter().filter(|x| mine(&x.from)) {
        rejected.entry(x.from.id).or_insert(x);
    }
    let mut comments: HashMap<u64, Vec<String>> = HashMap::new();
    for c in &curated.comments {
        for r in c.about.iter().filter(|r| mine(r)) {
            comments.entry(r.id).or_default().push(c.text.clone());
        }
    }
    layer
        .spans
        .iter()
        .map(|s| {
            let (verdict, by, at) = if let Some(c) = accepted.get(&s.id) {
                let (kept, yours) = (user_attrs(&c.span), user_attrs(s));
                let names: BTreeSet<&String> = kept.keys().chain(yours.keys()).collect();
                let values: Vec<ValueChange> = names
                    .into_iter()
                    .filter(|n| kept.get(*n) != yours.get(*n))
                    .map(|n| ValueChange {
                        name: n.clone(),
                        yours: yours.get(n).cloned(),
                        kept: kept.get(n).cloned(),
                    })
                    .collect();
                let same = (c.span.start, c.span.end, &c.span.tag) == (s.start, s.end, &s.tag);
                let v = if c.edited || !same || !values.is_empty() {
                    Verdict::Edited {
                        start: c.span.start,
                        end: c.span.end,
                        tag: c.span.tag.clone(),
                        values,
                    }
                } else {
                    Verdict::Accepted
                };
                (v, c.accepted_by.clone(), c.accepted_at.clone())
            } else if let Some(x) = rejected.get(&s.id) {
                (
                    Verdict::Rejected {
                        reason: x.reason.clone(),
                    },
                    x.by.clone(),
                    x.at.clone(),
                )
            } else {
                (Verdict::NotReviewed, String::new(), String::new())
            };
            SpanFeedback {
                span_id: s.id,
                verdict,
                by,
                at,
                comments: comments.get(&s.id).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// The items of a review of `layers` (A, then B when adjudicating; only the first two count),
/// each with whether the curated layer decides it: every one of its spans accepted or
/// rejected, as the review window counts it. Empty without a reviewed layer.
pub fn items_with_decisions(
    curated: &CuratedLayer,
    layers: &[(&str, &[Span])],
) -> Vec<(Item, bool)> {
    let Some((a_name, a)) = layers.first() else {
        return Vec::new();
    };
    let b = layers.get(1);
    let decided = curated.decided();
    classify(a, b.map(|(_, spans)| *spans))
        .into_iter()
        .map(|it| {
            let ra = it.a.as_ref().map(|s| SourceRef {
                layer: (*a_name).to_owned(),
                id: s.id,
            });
            let rb = it.b.as_ref().zip(b).map(|(s, (n, _))| SourceRef {
                layer: (*n).to_owned(),
                id: s.id,
            });
            let done = ra.iter().chain(rb.iter()).all(|r| decided.contains(r));
            (it, done)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obviously-correct model: every pair compared.
    fn greedy_by_brute_force(a: &[CharRange], b: &[CharRange]) -> Vec<(usize, usize)> {
        let mut c = Vec::new();
        for (i, r1) in a.iter().enumerate() {
            for (j, r2) in b.iter().enumerate() {
                let o = r1.end.min(r2.end).saturating_sub(r1.start.max(r2.start));
                if o > 0 {
                    c.push((o, i, j));
                }
            }
        }
        c.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        let (mut ta, mut tb, mut out) = (vec![false; a.len()], vec![false; b.len()], vec![]);
        for (_, i, j) in c {
            if !ta[i] && !tb[j] {
                ta[i] = true;
                tb[j] = true;
                out.push((i, j));
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn indexed_matching_equals_brute_force(
            a in proptest::collection::vec((0usize..200, 1usize..40), 0..40),
            b in proptest::collection::vec((0usize..200, 1usize..40), 0..40),
        ) {
            let a: Vec<CharRange> = a.into_iter().map(|(s, l)| CharRange::new(s, s + l)).collect();
            let b: Vec<CharRange> = b.into_iter().map(|(s, l)| CharRange::new(s, s + l)).collect();
            proptest::prop_assert_eq!(greedy_overlap_match(&a, &b), greedy_by_brute_force(&a, &b));
        }
    }

    #[test]
    fn greedy_matching_prefers_the_largest_overlap() {
        let a = [(0, 10), (20, 30)].map(CharRange::from);
        let b = [(5, 25), (8, 12)].map(CharRange::from);
        // (0,10)-(5,25): 5; (20,30)-(5,25): 5; (0,10)-(8,12): 2.
        let m = greedy_overlap_match(&a, &b);
        assert_eq!(m, vec![(0, 0)]);
    }
}
