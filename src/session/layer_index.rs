//! The editor's view of a layer that follows edits in O(log n) each, so nothing is rebuilt per
//! keystroke: an interval index of all spans (whose ranks are positions in the layer's sorted
//! span list) and one per tag (whose sizes are the tag counts and whose order is the filtered
//! span list).
//!
//! It is kept up to date from [`Document::take_changes`](crate::session::document::Document::take_changes):
//! each [`LayerChange::Span`] costs O(log n) per tag index touched, and only
//! [`LayerChange::All`] (reload, merge, restore) rebuilds, in O(n).

use std::collections::BTreeMap;

use crate::model::layer::Span;
use crate::model::span_index::{Hit, LiveSpanIndex};
use crate::session::document::LayerChange;

/// All spans of a layer and the spans of each tag, indexed by id and `(start, end, id)`.
#[derive(Debug, Clone, Default)]
pub struct LayerIndex {
    all: LiveSpanIndex,
    by_tag: BTreeMap<String, LiveSpanIndex>,
}

/// From this many spans on, [`LayerIndex::build`] uses two threads.
const PARALLEL_FROM: usize = 20_000;

impl LayerIndex {
    /// Indexes `spans` (a layer's, sorted by [`Span::sort_key`]). O(n).
    pub fn build(spans: &[Span]) -> Self {
        let by_tag = || -> BTreeMap<String, LiveSpanIndex> {
            let mut tagged: BTreeMap<&str, Vec<(u64, usize, usize)>> = BTreeMap::new();
            for s in spans {
                tagged
                    .entry(s.tag.as_str())
                    .or_default()
                    .push((s.id, s.start, s.end));
            }
            tagged
                .into_iter()
                .map(|(t, r)| (t.to_owned(), LiveSpanIndex::from_ranges(r)))
                .collect()
        };
        if spans.len() < PARALLEL_FROM {
            return Self {
                all: LiveSpanIndex::build(spans),
                by_tag: by_tag(),
            };
        }
        // A big layer's two halves of the work (about 15 ms each at 100,000 spans) on two
        // threads: opening a document waits for them.
        std::thread::scope(|s| {
            let tags = std::thread::Builder::new()
                .name("index tags".into())
                .spawn_scoped(s, by_tag);
            let all = LiveSpanIndex::build(spans);
            let by_tag = tags.ok().and_then(|h| h.join().ok()).unwrap_or_else(by_tag);
            Self { all, by_tag }
        })
    }

    /// Applies one change; `spans` is the layer's spans now (read only for
    /// [`LayerChange::All`]). O(log n) per span change. Returns the span's range and tag
    /// before the change, if it existed.
    pub fn apply(
        &mut self,
        change: &LayerChange,
        spans: &[Span],
    ) -> Option<(usize, usize, String)> {
        match change {
            LayerChange::All => {
                *self = Self::build(spans);
                None
            }
            LayerChange::Span { id, now } => {
                // A span has one tag; the tags are few (a workspace's tag set).
                let mut before = None;
                for (tag, index) in &mut self.by_tag {
                    if let Some(r) = index.remove(*id) {
                        before = Some((r.start, r.end, tag.clone()));
                        break;
                    }
                }
                if let Some((_, _, tag)) = &before
                    && self.by_tag.get(tag).is_some_and(LiveSpanIndex::is_empty)
                {
                    self.by_tag.remove(tag);
                }
                match now {
                    Some(k) => {
                        self.all.insert(*id, k.start, k.end);
                        (self.by_tag.entry(k.tag.clone()).or_default()).insert(*id, k.start, k.end);
                    }
                    None => {
                        self.all.remove(*id);
                    }
                }
                before
            }
        }
    }

    /// Applies `changes` in order. Returns the range and tag of every span changed, before
    /// and after (so that what depends on exact ranges, such as the suggestions, can update
    /// only those), or `None` after [`LayerChange::All`].
    pub fn apply_all(
        &mut self,
        changes: &[LayerChange],
        spans: &[Span],
    ) -> Option<Vec<(usize, usize, String)>> {
        if changes.contains(&LayerChange::All) {
            *self = Self::build(spans);
            return None;
        }
        let mut touched = Vec::with_capacity(changes.len() * 2);
        for c in changes {
            touched.extend(self.apply(c, spans));
            if let LayerChange::Span { now: Some(k), .. } = c {
                touched.push((k.start, k.end, k.tag.clone()));
            }
        }
        Some(touched)
    }

    /// All spans: ranks are positions in the layer's sorted spans.
    pub fn all(&self) -> &LiveSpanIndex {
        &self.all
    }

    /// The spans tagged `tag`, if any are.
    pub fn tagged(&self, tag: &str) -> Option<&LiveSpanIndex> {
        self.by_tag.get(tag)
    }

    /// Number of spans tagged `tag`. O(log t).
    pub fn count(&self, tag: &str) -> usize {
        self.tagged(tag).map_or(0, LiveSpanIndex::len)
    }

    /// Position of span `id` in the layer's sorted spans. O(log n).
    pub fn position(&self, id: u64) -> Option<usize> {
        self.all.rank(id)
    }

    /// Rows of the span list with `filter` (a tag, or all spans).
    pub fn rows(&self, filter: Option<&str>) -> usize {
        match filter {
            None => self.all.len(),
            Some(t) => self.count(t),
        }
    }

    /// The layer position of row `row` of the span list with `filter`. O(log n).
    pub fn row(&self, filter: Option<&str>, row: usize) -> Option<usize> {
        match filter {
            None => (row < self.all.len()).then_some(row),
            Some(t) => self.all.rank(self.tagged(t)?.nth(row)?.id),
        }
    }

    /// The row of span `id` in the span list with `filter`, if it is listed. O(log n).
    pub fn row_of(&self, filter: Option<&str>, id: u64) -> Option<usize> {
        match filter {
            None => self.all.rank(id),
            Some(t) => self.tagged(t)?.rank(id),
        }
    }

    /// Everything indexed, in order: for comparing with a fresh build. O(n).
    pub fn contents(&self) -> (Vec<Hit>, BTreeMap<String, Vec<Hit>>) {
        (
            self.all.iter().collect(),
            (self.by_tag.iter())
                .map(|(t, i)| (t.clone(), i.iter().collect()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::layer::Status;
    use crate::model::range::CharRange;
    use crate::session::document::Document;
    use crate::workspace::Workspace;
    use proptest::prelude::*;

    const TAGS: [&str; 4] = ["quote", "claim", "error", "boilerplate"];

    #[derive(Debug, Clone)]
    enum Op {
        Add(usize, usize, usize),
        /// Adds several spans as one undo step (tag every match).
        AddCompound(Vec<CharRange>, usize),
        Delete(prop::sample::Index),
        Retag(prop::sample::Index, usize),
        Move(prop::sample::Index, usize, usize),
        Note(prop::sample::Index, u8),
        Status,
        Undo,
        Redo,
    }

    fn op() -> impl Strategy<Value = Op> {
        let range = (0usize..180, 1usize..20);
        prop_oneof![
            4 => (range.clone(), 0usize..4).prop_map(|((s, l), t)| Op::Add(s, s + l, t)),
            1 => (prop::collection::vec(range.clone(), 1..4), 0usize..4).prop_map(|(r, t)| {
                Op::AddCompound(r.into_iter().map(|(s, l)| CharRange::new(s, s + l)).collect(), t)
            }),
            2 => any::<prop::sample::Index>().prop_map(Op::Delete),
            2 => (any::<prop::sample::Index>(), 0usize..4).prop_map(|(i, t)| Op::Retag(i, t)),
            2 => (any::<prop::sample::Index>(), range).prop_map(|(i, (s, l))| Op::Move(i, s, s + l)),
            1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, n)| Op::Note(i, n)),
            1 => Just(Op::Status),
            3 => Just(Op::Undo),
            2 => Just(Op::Redo),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The index kept up to date from the document's changes equals one built afresh from
        /// the layer, after every edit, undo and redo; and a span's rank is its position.
        #[test]
        fn following_changes_equals_a_full_rebuild(ops in prop::collection::vec(op(), 1..60)) {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("a.txt"), "word ".repeat(40)).unwrap();
            let ws = Workspace::open(dir.path()).unwrap();
            let mut doc = Document::open(&ws, "a.txt", "ann", false).unwrap();
            let mut live = LayerIndex::build(&doc.layer().spans);
            doc.take_changes();
            for op in ops {
                let ids: Vec<u64> = doc.layer().spans.iter().map(|s| s.id).collect();
                let pick = |i: &prop::sample::Index| (!ids.is_empty()).then(|| ids[i.index(ids.len())]);
                match op {
                    Op::Add(s, e, t) => {
                        doc.add_span(s, e, TAGS[t]);
                    }
                    Op::AddCompound(ranges, t) => {
                        doc.begin_compound();
                        for r in ranges {
                            doc.add_span(r.start, r.end, TAGS[t]);
                        }
                        doc.end_compound();
                    }
                    Op::Delete(i) => if let Some(id) = pick(&i) { doc.delete_span(id); },
                    Op::Retag(i, t) => if let Some(id) = pick(&i) { doc.retag(id, TAGS[t]); },
                    Op::Move(i, s, e) => if let Some(id) = pick(&i) { doc.set_range(id, s, e); },
                    Op::Note(i, n) => if let Some(id) = pick(&i) { doc.set_note(id, &n.to_string()); },
                    Op::Status => {
                        let next = if doc.layer().status == Status::Done { Status::InProgress } else { Status::Done };
                        doc.set_status(next);
                    }
                    Op::Undo => { doc.undo(); }
                    Op::Redo => { doc.redo(); }
                }
                let changes = doc.take_changes();
                prop_assert!(!changes.contains(&LayerChange::All), "an edit rebuilt: {changes:?}");
                live.apply_all(&changes, &doc.layer().spans);
                let spans = &doc.layer().spans;
                prop_assert!(spans.is_sorted_by_key(Span::sort_key));
                prop_assert_eq!(live.contents(), LayerIndex::build(spans).contents());
                for (pos, s) in spans.iter().enumerate() {
                    prop_assert_eq!(live.position(s.id), Some(pos));
                    let row = live.row_of(Some(&s.tag), s.id).unwrap();
                    prop_assert_eq!(live.row(Some(&s.tag), row), Some(pos));
                }
                for t in TAGS {
                    prop_assert_eq!(live.count(t), spans.iter().filter(|s| s.tag == t).count());
                }
            }
        }
    }
}
