//! Fast span lookup by position, so painting, hit-testing and navigation never scan every span.
//!
//! An implicit interval tree over spans sorted by start (the layout of cgranges): the sorted
//! array is read as a complete binary search tree, and each node stores the largest `end` in its
//! subtree. "Spans overlapping `[a, b)`" and "spans at char `c`" cost O(log n + k).

use crate::layer::Span;

/// An index over a slice of spans. It holds positions into that slice, so rebuild it when the
/// slice changes (building is O(n log n), and cheap compared with a frame at 100,000 spans).
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    /// (start, end, position in the indexed slice), sorted by (start, end, position).
    items: Vec<(usize, usize, usize)>,
    /// `max_end[i]`: the largest end in the implicit subtree rooted at `i`.
    max_end: Vec<usize>,
    /// Height of the implicit tree: the root is at index `(1 << max_level) - 1`.
    max_level: u32,
}

impl SpanIndex {
    /// Indexes `spans`; positions returned by queries are indices into this slice.
    pub fn build(spans: &[Span]) -> Self {
        Self::from_ranges(spans.iter().map(|s| (s.start, s.end)))
    }

    /// Indexes plain `(start, end)` ranges.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (usize, usize)>) -> Self {
        let mut items: Vec<(usize, usize, usize)> = ranges
            .into_iter()
            .enumerate()
            .map(|(i, (s, e))| (s, e.max(s), i))
            .collect();
        items.sort_unstable();
        let n = items.len();
        let max_end: Vec<usize> = items.iter().map(|x| x.1).collect();
        // The root of the implicit tree sits at 2^max_level - 1, the largest such index < n.
        let max_level = if n == 0 {
            0
        } else {
            usize::BITS - 1 - n.leading_zeros()
        };
        let mut idx = Self {
            items,
            max_end,
            max_level,
        };
        idx.fix_partial_subtrees();
        idx
    }

    /// Recomputes `max_end` bottom-up with explicit child bounds, which handles the partial
    /// right edge of the implicit tree exactly.
    fn fix_partial_subtrees(&mut self) {
        let n = self.items.len();
        if n == 0 {
            return;
        }
        for k in 1..=self.max_level {
            let x = 1usize << (k - 1);
            let step = x << 2;
            let mut i = (x << 1) - 1;
            while i < n {
                let mut m = self.items[i].1.max(self.max_end[i - x]);
                if let Some(r) = self.existing_child(i + x, k - 1) {
                    m = m.max(self.max_end[r]);
                }
                self.max_end[i] = m;
                i += step;
            }
        }
    }

    /// The root of the existing part of the subtree that would be rooted at `node` (level `k`).
    fn existing_child(&self, mut node: usize, mut k: u32) -> Option<usize> {
        let n = self.items.len();
        loop {
            if node < n {
                return Some(node);
            }
            if k == 0 {
                return None;
            }
            k -= 1;
            node -= 1usize << k;
        }
    }

    /// Number of indexed spans.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Positions of spans overlapping `[start, end)`, in (start, end) order. O(log n + k).
    /// An empty query range `[c, c)` finds nothing; use [`Self::at`] for a point.
    pub fn overlapping(&self, start: usize, end: usize) -> Vec<usize> {
        let mut out = Vec::new();
        self.visit_overlapping(start, end, |pos| out.push(pos));
        out
    }

    /// Positions of spans containing char `c` (`start <= c < end`).
    pub fn at(&self, c: usize) -> Vec<usize> {
        self.overlapping(c, c.saturating_add(1))
    }

    /// Calls `f` with each position overlapping `[start, end)`, in (start, end) order.
    pub fn visit_overlapping(&self, start: usize, end: usize, mut f: impl FnMut(usize)) {
        let n = self.items.len();
        if n == 0 || start >= end {
            return;
        }
        // Iterative in-order walk with pruning: skip subtrees whose max end <= start, and stop
        // descending right once a node starts at or after `end`.
        let mut stack: Vec<(usize, u32, bool)> = Vec::with_capacity(64);
        let root = (1usize << self.max_level) - 1;
        stack.push((root, self.max_level, false));
        while let Some((node, k, expanded)) = stack.pop() {
            if k == 0 {
                if node < n {
                    let (s, e, pos) = self.items[node];
                    if s < end && e > start {
                        f(pos);
                    }
                }
                continue;
            }
            let Some(real) = self.existing_child(node, k) else {
                continue;
            };
            if real != node {
                // The node itself is missing: walk its existing part instead.
                let mut kk = k;
                let mut nn = node;
                while nn >= n {
                    kk -= 1;
                    nn -= 1usize << kk;
                }
                stack.push((nn, kk, false));
                continue;
            }
            if self.max_end[node] <= start {
                continue;
            }
            let half = 1usize << (k - 1);
            if !expanded {
                // Push right, self, left so that left is visited first (in order).
                if self.items[node].0 < end {
                    stack.push((node + half, k - 1, false));
                }
                stack.push((node, k, true));
                stack.push((node - half, k - 1, false));
            } else {
                let (s, e, pos) = self.items[node];
                if s < end && e > start {
                    f(pos);
                }
            }
        }
    }

    /// The position of the first span starting at or after `c`, in (start, end) order, with its
    /// start — for Tab navigation. O(log n).
    pub fn next_after(&self, c: usize) -> Option<(usize, usize)> {
        let i = self.items.partition_point(|x| x.0 < c);
        self.items.get(i).map(|x| (x.2, x.0))
    }

    /// The position of the last span starting before `c`, with its start — for Shift+Tab.
    pub fn prev_before(&self, c: usize) -> Option<(usize, usize)> {
        let i = self.items.partition_point(|x| x.0 < c);
        i.checked_sub(1)
            .and_then(|j| self.items.get(j))
            .map(|x| (x.2, x.0))
    }

    /// All positions in (start, end) order (for lists that follow text order).
    pub fn in_order(&self) -> impl Iterator<Item = usize> + '_ {
        self.items.iter().map(|x| x.2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(ranges: &[(usize, usize)], a: usize, b: usize) -> Vec<usize> {
        let mut v: Vec<(usize, usize, usize)> = ranges
            .iter()
            .enumerate()
            .filter(|(_, (s, e))| *s < b && *e > a)
            .map(|(i, (s, e))| (*s, *e, i))
            .collect();
        v.sort_unstable();
        v.into_iter().map(|x| x.2).collect()
    }

    #[test]
    fn small_cases() {
        let r = [(0, 5), (3, 10), (6, 7), (20, 30)];
        let idx = SpanIndex::from_ranges(r);
        assert_eq!(idx.overlapping(4, 6), vec![0, 1]);
        assert_eq!(idx.at(6), vec![1, 2]);
        assert_eq!(idx.overlapping(10, 20), Vec::<usize>::new());
        assert_eq!(idx.next_after(8), Some((3, 20)));
        assert_eq!(idx.prev_before(6), Some((1, 3)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn matches_a_plain_scan(
            ranges in prop::collection::vec((0usize..200, 1usize..60), 0..150),
            a in 0usize..260,
            len in 1usize..80,
        ) {
            let ranges: Vec<(usize, usize)> = ranges.into_iter().map(|(s, l)| (s, s + l)).collect();
            let idx = SpanIndex::from_ranges(ranges.iter().copied());
            prop_assert_eq!(idx.overlapping(a, a + len), naive(&ranges, a, a + len));
        }
    }
}
