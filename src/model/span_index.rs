//! Fast span lookup by position, so painting, hit-testing and navigation never scan every span.
//!
//! Two indexes with the same queries ("spans overlapping `[a, b)`", "spans at char `c`", the
//! next/previous span for Tab), both O(log n + k) per query:
//!
//! - [`SpanIndex`] is built once over a slice and answers with positions into it: an implicit
//!   interval tree over spans sorted by start (the layout of cgranges). The sorted array is read
//!   as a complete binary search tree, and each node stores the largest `end` in its subtree.
//!   Compact and fast, but any change to the slice means a full O(n log n) rebuild. It suits
//!   read-only uses (agreement, review).
//! - [`LiveSpanIndex`] is for the editor and changes with the layer: adding, deleting or moving a
//!   span costs O(log n) worst case, never a rebuild. It is keyed by span id and
//!   `(start, end, id)`, so an edit does not invalidate any other entry.
//!
//! Why an augmented AVL tree for [`LiveSpanIndex`] and not the static tree plus a small overflow
//! of added ranges and tombstones merged lazily: the lazy merge is a full rebuild, and at
//! 100,000 spans that rebuild lands on some unlucky keystroke as a dropped frame; between merges
//! every query also has to scan the overflow. The AVL tree bounds every edit and every query
//! by its height (at most 1.44 log2 n, about 25 at 100,000 spans) with no amortisation. Each
//! node carries the largest end in its subtree (to prune overlap queries, as in the static tree)
//! and its subtree size, which makes it an order-statistic tree: the rank of a span in
//! `(start, end, id)` order is its position in the layer's sorted span list, so queries report
//! positions as well as ids and `id → position` is O(log n) without a map to patch after every
//! insert. Nodes live in one arena `Vec` linked by `u32` indices (freed slots are reused), so
//! there is no per-node allocation. Retagging does not touch the index: ranges are all it holds.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

use crate::model::layer::Span;
use crate::model::range::CharRange;

/// A build-once index over a slice of spans (for an index that follows edits, see
/// [`LiveSpanIndex`]). It holds positions into that slice, so rebuild it when the
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
        Self::from_ranges(spans.iter().map(Span::range))
    }

    /// Indexes plain char ranges.
    pub fn from_ranges(ranges: impl IntoIterator<Item = CharRange>) -> Self {
        let mut items: Vec<(usize, usize, usize)> = ranges
            .into_iter()
            .enumerate()
            .map(|(i, r)| (r.start, r.end.max(r.start), i))
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

/// Hashes span ids for [`LiveSpanIndex`]'s id map: one multiply-xorshift round (the splitmix64
/// finaliser) of the id xor a per-index random key. Several times faster than the default SipHash
/// on the u64 keys here, and the random key keeps a crafted layer file from choosing colliding
/// ids.
#[derive(Debug, Clone, Copy)]
struct IdHash(u64);

impl Default for IdHash {
    fn default() -> Self {
        IdHash(RandomState::new().hash_one(0x5eed_u64))
    }
}

impl BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.0)
    }
}

#[derive(Debug, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        let mut z = (self.0 ^ x).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.0 = z ^ (z >> 31);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type IdMap = HashMap<u64, u32, IdHash>;

/// "No node" in [`LiveSpanIndex`]'s arena.
const NIL: u32 = u32::MAX;

/// Which child of a tree node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

impl Side {
    fn other(self) -> Self {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }
}

/// One span in [`LiveSpanIndex`]'s arena, with its subtree's summary.
#[derive(Debug, Clone)]
struct Node {
    start: usize,
    end: usize,
    id: u64,
    /// The largest `end` in the subtree rooted here.
    max_end: usize,
    left: u32,
    right: u32,
    /// Number of spans in the subtree rooted here.
    size: u32,
    /// Height of the subtree rooted here (a leaf is 1).
    height: u8,
}

impl Node {
    /// A node of span `id` at `[start, end)` with no children.
    fn leaf(id: u64, start: usize, end: usize) -> Self {
        Node {
            start,
            end,
            id,
            max_end: end,
            left: NIL,
            right: NIL,
            size: 1,
            height: 1,
        }
    }

    fn key(&self) -> (usize, usize, u64) {
        (self.start, self.end, self.id)
    }
}

/// One span found by a [`LiveSpanIndex`] query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub id: u64,
    pub start: usize,
    pub end: usize,
    /// Position in `(start, end, id)` order among all indexed spans: the span's index in a layer's
    /// sorted span list when the index holds exactly that layer's spans.
    pub rank: usize,
}

/// An interval index keyed by span id that is updated in place: [`Self::insert`],
/// [`Self::remove`] and [`Self::update`] are O(log n) worst case, queries O(log n + k).
/// See the module docs for the design. Holds at most `u32::MAX - 1` spans.
#[derive(Debug, Clone)]
pub struct LiveSpanIndex {
    /// Arena of nodes; slots listed in `free` are unused.
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: u32,
    /// Span id → its node in the arena (node identity never changes while the span is indexed).
    by_id: IdMap,
}

impl Default for LiveSpanIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveSpanIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self {
            nodes: Vec::new(),
            free: Vec::new(),
            root: NIL,
            by_id: IdMap::default(),
        }
    }

    /// Indexes a layer's spans by id. O(n) when `spans` is sorted by (start, end, id), as a
    /// layer's are; O(n log n) otherwise.
    pub fn build(spans: &[Span]) -> Self {
        Self::from_ranges(spans.iter().map(|s| (s.id, s.start, s.end)))
    }

    /// Indexes `(id, start, end)` triples. A repeated id keeps its last range.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u64, usize, usize)>) -> Self {
        // Arena slot = input position, so the id map is filled in one pass; for a sorted layer
        // the arena is then also in key order, which keeps walks cache-friendly.
        let nodes: Vec<Node> = ranges
            .into_iter()
            .map(|(id, start, end)| Node::leaf(id, start, end.max(start)))
            .collect();
        let mut by_id = IdMap::with_capacity_and_hasher(nodes.len(), IdHash::default());
        let mut free = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            if let Some(earlier) = by_id.insert(node.id, i as u32) {
                // Rare (a layer's ids are unique): the last range given for an id wins.
                free.push(earlier);
            }
        }
        let mut order: Vec<u32> = if free.is_empty() {
            (0..nodes.len() as u32).collect()
        } else {
            let mut dead = vec![false; nodes.len()];
            for &f in &free {
                dead[f as usize] = true;
            }
            (0..nodes.len() as u32)
                .filter(|&i| !dead[i as usize])
                .collect()
        };
        let key = |i: &u32| nodes[*i as usize].key();
        if !order.is_sorted_by_key(key) {
            order.sort_unstable_by_key(key);
        }
        let mut idx = Self {
            nodes,
            free,
            root: NIL,
            by_id,
        };
        idx.root = idx.link_balanced(&order);
        idx
    }

    /// Links the nodes `order` lists (in key order) into a perfectly balanced subtree.
    fn link_balanced(&mut self, order: &[u32]) -> u32 {
        if order.is_empty() {
            return NIL;
        }
        let mid = order.len() / 2;
        let left = self.link_balanced(&order[..mid]);
        let right = self.link_balanced(&order[mid + 1..]);
        let m = order[mid];
        self.nodes[m as usize].left = left;
        self.nodes[m as usize].right = right;
        self.pull(m);
        m
    }

    /// Number of indexed spans.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Whether span `id` is indexed.
    pub fn contains(&self, id: u64) -> bool {
        self.by_id.contains_key(&id)
    }

    /// The indexed range of span `id`. O(1).
    pub fn get(&self, id: u64) -> Option<CharRange> {
        self.by_id.get(&id).map(|&n| {
            let n = &self.nodes[n as usize];
            CharRange::new(n.start, n.end)
        })
    }

    /// Adds span `id` at `[start, end)`, or moves it there if it is already indexed (returning
    /// its old range). O(log n).
    pub fn insert(&mut self, id: u64, start: usize, end: usize) -> Option<CharRange> {
        let end = end.max(start);
        let old = self.get(id);
        if old == Some(CharRange::new(start, end)) {
            return old;
        }
        if old.is_some() {
            self.remove(id);
        }
        let node = Node::leaf(id, start, end);
        let n = match self.free.pop() {
            Some(slot) => {
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.by_id.insert(id, n);
        self.root = self.insert_at(self.root, n);
        old
    }

    /// Removes span `id`, returning its range, or `None` if it was not indexed. O(log n).
    pub fn remove(&mut self, id: u64) -> Option<CharRange> {
        let n = self.by_id.remove(&id)?;
        let key = self.nodes[n as usize].key();
        self.root = self.remove_at(self.root, key);
        self.free.push(n);
        Some(CharRange::new(key.0, key.1))
    }

    /// Moves indexed span `id` to `[start, end)`. Returns false, changing nothing, if `id` is not
    /// indexed. O(log n).
    pub fn update(&mut self, id: u64, start: usize, end: usize) -> bool {
        if !self.contains(id) {
            return false;
        }
        self.insert(id, start, end);
        true
    }

    /// Span ids overlapping `[start, end)`, in (start, end, id) order. O(log n + k).
    /// An empty query range `[c, c)` finds nothing; use [`Self::at`] for a point.
    pub fn overlapping(&self, start: usize, end: usize) -> Vec<u64> {
        let mut out = Vec::new();
        self.visit_overlapping(start, end, |h| out.push(h.id));
        out
    }

    /// Span ids containing char `c` (`start <= c < end`), in (start, end, id) order.
    pub fn at(&self, c: usize) -> Vec<u64> {
        self.overlapping(c, c.saturating_add(1))
    }

    /// Calls `f` with each span overlapping `[start, end)`, in (start, end, id) order.
    /// O(log n + k), no allocation.
    pub fn visit_overlapping(&self, start: usize, end: usize, mut f: impl FnMut(Hit)) {
        if start < end {
            self.visit(self.root, 0, start, end, &mut f);
        }
    }

    fn visit(&self, n: u32, base: usize, a: usize, b: usize, f: &mut impl FnMut(Hit)) {
        if n == NIL {
            return;
        }
        let node = &self.nodes[n as usize];
        if node.max_end <= a {
            return;
        }
        self.visit(node.left, base, a, b, f);
        if node.start >= b {
            // Everything to the right starts here or later.
            return;
        }
        let rank = base + self.size(node.left);
        if node.end > a {
            f(self.hit(n, rank));
        }
        self.visit(node.right, rank + 1, a, b, f);
    }

    /// The first span starting at or after `c`, in (start, end, id) order — for Tab. O(log n).
    pub fn next_after(&self, c: usize) -> Option<Hit> {
        let (mut n, mut base, mut best) = (self.root, 0, None);
        while n != NIL {
            let node = &self.nodes[n as usize];
            let rank = base + self.size(node.left);
            if node.start >= c {
                best = Some(self.hit(n, rank));
                n = node.left;
            } else {
                base = rank + 1;
                n = node.right;
            }
        }
        best
    }

    /// The last span starting before `c` — for Shift+Tab. O(log n).
    pub fn prev_before(&self, c: usize) -> Option<Hit> {
        let (mut n, mut base, mut best) = (self.root, 0, None);
        while n != NIL {
            let node = &self.nodes[n as usize];
            let rank = base + self.size(node.left);
            if node.start < c {
                best = Some(self.hit(n, rank));
                base = rank + 1;
                n = node.right;
            } else {
                n = node.left;
            }
        }
        best
    }

    /// Position of span `id` in (start, end, id) order — its index in the layer's sorted span
    /// list. O(log n).
    pub fn rank(&self, id: u64) -> Option<usize> {
        let key = self.nodes[*self.by_id.get(&id)? as usize].key();
        let (mut n, mut base) = (self.root, 0);
        while n != NIL {
            let node = &self.nodes[n as usize];
            match key.cmp(&node.key()) {
                Ordering::Less => n = node.left,
                Ordering::Equal => return Some(base + self.size(node.left)),
                Ordering::Greater => {
                    base += self.size(node.left) + 1;
                    n = node.right;
                }
            }
        }
        None
    }

    /// The span at position `k` in (start, end, id) order. O(log n).
    pub fn nth(&self, mut k: usize) -> Option<Hit> {
        let rank = k;
        let mut n = self.root;
        while n != NIL {
            let node = &self.nodes[n as usize];
            let left = self.size(node.left);
            match k.cmp(&left) {
                Ordering::Less => n = node.left,
                Ordering::Equal => return Some(self.hit(n, rank)),
                Ordering::Greater => {
                    k -= left + 1;
                    n = node.right;
                }
            }
        }
        None
    }

    /// All spans in (start, end, id) order. O(n) for the whole walk.
    pub fn iter(&self) -> impl Iterator<Item = Hit> + '_ {
        let mut stack: Vec<u32> = Vec::with_capacity(48);
        let mut n = self.root;
        let mut rank = 0;
        std::iter::from_fn(move || {
            while n != NIL {
                stack.push(n);
                n = self.nodes[n as usize].left;
            }
            let top = stack.pop()?;
            n = self.nodes[top as usize].right;
            rank += 1;
            Some(self.hit(top, rank - 1))
        })
    }

    fn hit(&self, n: u32, rank: usize) -> Hit {
        let node = &self.nodes[n as usize];
        Hit {
            id: node.id,
            start: node.start,
            end: node.end,
            rank,
        }
    }

    fn size(&self, n: u32) -> usize {
        if n == NIL {
            0
        } else {
            self.nodes[n as usize].size as usize
        }
    }

    fn height(&self, n: u32) -> u8 {
        if n == NIL {
            0
        } else {
            self.nodes[n as usize].height
        }
    }

    /// Recomputes `n`'s summary (size, height, max end) from its children.
    fn pull(&mut self, n: u32) {
        let (l, r) = {
            let node = &self.nodes[n as usize];
            (node.left, node.right)
        };
        let mut max_end = self.nodes[n as usize].end;
        let mut size = 1;
        for c in [l, r] {
            if c != NIL {
                let c = &self.nodes[c as usize];
                max_end = max_end.max(c.max_end);
                size += c.size;
            }
        }
        let height = 1 + self.height(l).max(self.height(r));
        let node = &mut self.nodes[n as usize];
        node.max_end = max_end;
        node.size = size;
        node.height = height;
    }

    /// The child of `n` on `side`.
    fn child(&self, n: u32, side: Side) -> u32 {
        let node = &self.nodes[n as usize];
        match side {
            Side::Left => node.left,
            Side::Right => node.right,
        }
    }

    fn set_child(&mut self, n: u32, side: Side, child: u32) {
        let node = &mut self.nodes[n as usize];
        match side {
            Side::Left => node.left = child,
            Side::Right => node.right = child,
        }
    }

    /// Rotates the subtree at `n` so that its child on `up` becomes its root (`Side::Left`
    /// is a right rotation); returns the new root.
    fn rotate(&mut self, n: u32, up: Side) -> u32 {
        let c = self.child(n, up);
        self.set_child(n, up, self.child(c, up.other()));
        self.pull(n);
        self.set_child(c, up.other(), n);
        self.pull(c);
        c
    }

    /// Restores the AVL balance at `n` (whose children are balanced and differ in height by at
    /// most 2) and its summary; returns the subtree's new root.
    fn rebalance(&mut self, n: u32) -> u32 {
        let (hl, hr) = (
            self.height(self.child(n, Side::Left)),
            self.height(self.child(n, Side::Right)),
        );
        let heavy = if hl > hr + 1 {
            Side::Left
        } else if hr > hl + 1 {
            Side::Right
        } else {
            self.pull(n);
            return n;
        };
        // The heavy child leaning the other way is first turned to lean outward.
        let c = self.child(n, heavy);
        if self.height(self.child(c, heavy)) < self.height(self.child(c, heavy.other())) {
            let lifted = self.rotate(c, heavy.other());
            self.set_child(n, heavy, lifted);
        }
        self.rotate(n, heavy)
    }

    fn insert_at(&mut self, root: u32, n: u32) -> u32 {
        if root == NIL {
            return n;
        }
        if self.nodes[n as usize].key() < self.nodes[root as usize].key() {
            let l = self.insert_at(self.nodes[root as usize].left, n);
            self.nodes[root as usize].left = l;
        } else {
            let r = self.insert_at(self.nodes[root as usize].right, n);
            self.nodes[root as usize].right = r;
        }
        self.rebalance(root)
    }

    /// Unlinks the node with `key` from the subtree at `root`; returns the subtree's new root.
    fn remove_at(&mut self, root: u32, key: (usize, usize, u64)) -> u32 {
        if root == NIL {
            return NIL;
        }
        let (l, r) = {
            let node = &self.nodes[root as usize];
            (node.left, node.right)
        };
        match key.cmp(&self.nodes[root as usize].key()) {
            Ordering::Less => {
                let l = self.remove_at(l, key);
                self.nodes[root as usize].left = l;
            }
            Ordering::Greater => {
                let r = self.remove_at(r, key);
                self.nodes[root as usize].right = r;
            }
            Ordering::Equal => {
                if l == NIL {
                    return r;
                }
                if r == NIL {
                    return l;
                }
                // Put the successor node in its place (nodes keep their identity).
                let (r, m) = self.take_min(r);
                self.nodes[m as usize].left = l;
                self.nodes[m as usize].right = r;
                return self.rebalance(m);
            }
        }
        self.rebalance(root)
    }

    /// Unlinks the smallest node of the (non-empty) subtree at `root`: (new root, that node).
    fn take_min(&mut self, root: u32) -> (u32, u32) {
        let node = &self.nodes[root as usize];
        if node.left == NIL {
            return (node.right, root);
        }
        let (l, m) = self.take_min(node.left);
        self.nodes[root as usize].left = l;
        (self.rebalance(root), m)
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
        let idx = SpanIndex::from_ranges(r.map(CharRange::from));
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
            let idx = SpanIndex::from_ranges(ranges.iter().copied().map(CharRange::from));
            prop_assert_eq!(idx.overlapping(a, a + len), naive(&ranges, a, a + len));
        }
    }

    /// Checks the tree's shape and summaries against a recomputation: key order, AVL balance,
    /// heights, sizes, max ends, and the id map. Returns (size, height, max end, min key, max key).
    fn check_subtree(idx: &LiveSpanIndex, n: u32) -> (usize, u8, usize) {
        if n == NIL {
            return (0, 0, 0);
        }
        let node = &idx.nodes[n as usize];
        let (ls, lh, lm) = check_subtree(idx, node.left);
        let (rs, rh, rm) = check_subtree(idx, node.right);
        if node.left != NIL {
            assert!(idx.nodes[node.left as usize].key() < node.key());
        }
        if node.right != NIL {
            assert!(idx.nodes[node.right as usize].key() > node.key());
        }
        assert!(lh.abs_diff(rh) <= 1, "AVL balance");
        assert_eq!(node.height, 1 + lh.max(rh));
        assert_eq!(node.size as usize, 1 + ls + rs);
        assert_eq!(node.max_end, node.end.max(lm).max(rm));
        assert_eq!(idx.by_id.get(&node.id), Some(&n));
        (node.size as usize, node.height, node.max_end)
    }

    /// The brute-force model: `(start, end, id)` of every span, sorted.
    fn model_sorted(model: &HashMap<u64, CharRange>) -> Vec<(usize, usize, u64)> {
        let mut v: Vec<_> = model.iter().map(|(&id, r)| (r.start, r.end, id)).collect();
        v.sort_unstable();
        v
    }

    fn hit_of(sorted: &[(usize, usize, u64)], rank: usize) -> Hit {
        let (start, end, id) = sorted[rank];
        Hit {
            id,
            start,
            end,
            rank,
        }
    }

    /// Compares every query of `idx` with a plain scan of the model.
    fn assert_matches(idx: &LiveSpanIndex, model: &HashMap<u64, CharRange>, a: usize, len: usize) {
        let sorted = model_sorted(model);
        let (size, _, _) = check_subtree(idx, idx.root);
        assert_eq!(size, sorted.len());
        assert_eq!(idx.len(), sorted.len());
        assert_eq!(idx.nodes.len() - idx.free.len(), sorted.len());
        let all: Vec<Hit> = (0..sorted.len()).map(|r| hit_of(&sorted, r)).collect();
        assert_eq!(idx.iter().collect::<Vec<_>>(), all);
        for h in &all {
            assert_eq!(idx.rank(h.id), Some(h.rank));
            assert_eq!(idx.nth(h.rank), Some(*h));
            assert_eq!(idx.get(h.id), Some(CharRange::new(h.start, h.end)));
        }
        assert_eq!(idx.nth(sorted.len()), None);
        let (b, c) = (a + len, a + len / 2);
        let mut hits = Vec::new();
        idx.visit_overlapping(a, b, |h| hits.push(h));
        let want: Vec<Hit> = all
            .iter()
            .filter(|h| h.start < b && h.end > a)
            .copied()
            .collect();
        assert_eq!(hits, want);
        let ids = |v: &[Hit]| v.iter().map(|h| h.id).collect::<Vec<_>>();
        assert_eq!(idx.overlapping(a, b), ids(&want));
        let at: Vec<Hit> = all
            .iter()
            .filter(|h| h.start <= c && c < h.end)
            .copied()
            .collect();
        assert_eq!(idx.at(c), ids(&at));
        assert_eq!(idx.overlapping(c, c), Vec::<u64>::new());
        assert_eq!(
            idx.next_after(c),
            all.iter().find(|h| h.start >= c).copied()
        );
        assert_eq!(
            idx.prev_before(c),
            all.iter().rev().find(|h| h.start < c).copied()
        );
    }

    #[test]
    fn live_small_cases() {
        let mut idx = LiveSpanIndex::from_ranges([(7, 0, 5), (8, 3, 10), (9, 6, 7), (4, 20, 30)]);
        assert_eq!(idx.overlapping(4, 6), vec![7, 8]);
        assert_eq!(idx.at(6), vec![8, 9]);
        assert_eq!(idx.rank(4), Some(3));
        idx.insert(1, 3, 10);
        assert_eq!(idx.at(6), vec![1, 8, 9]);
        assert_eq!(idx.rank(4), Some(4));
        assert_eq!(idx.remove(8), Some(CharRange::new(3, 10)));
        assert_eq!(idx.remove(8), None);
        assert!(idx.update(9, 25, 26));
        assert!(!idx.update(8, 25, 26));
        assert_eq!(idx.at(25), vec![4, 9]);
        assert_eq!(idx.next_after(8).map(|h| (h.id, h.rank)), Some((4, 2)));
        assert_eq!(idx.prev_before(4).map(|h| h.id), Some(1));
        assert_eq!(idx.len(), 4);
    }

    #[test]
    fn live_build_keeps_the_last_range_of_a_repeated_id() {
        let idx = LiveSpanIndex::from_ranges([(1, 0, 5), (2, 3, 4), (1, 8, 9)]);
        let mut model = HashMap::new();
        model.insert(1, CharRange::new(8, 9));
        model.insert(2, CharRange::new(3, 4));
        assert_matches(&idx, &model, 0, 10);
        // The dropped range's slot is reused.
        let mut idx = idx;
        idx.insert(5, 2, 9);
        model.insert(5, CharRange::new(2, 9));
        assert_eq!(idx.nodes.len(), 3);
        assert_matches(&idx, &model, 0, 10);
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// Insert (or move) an id from a small pool, so ids are sometimes reused.
        Insert(u64, usize, usize),
        /// Remove the model's span at this index (mod its length), or an absent id.
        Remove(prop::sample::Index, bool),
        /// Move the model's span at this index, or try an absent id.
        Update(prop::sample::Index, bool, usize, usize),
        /// Rebuild from scratch, out of order (to test `from_ranges` against the model too).
        Rebuild,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            5 => (0u64..300, 0usize..200, 0usize..40).prop_map(|(i, s, l)| Op::Insert(i, s, s + l)),
            3 => (any::<prop::sample::Index>(), prop::bool::weighted(0.1))
                .prop_map(|(i, absent)| Op::Remove(i, absent)),
            3 => (any::<prop::sample::Index>(), prop::bool::weighted(0.1), 0usize..200, 0usize..40)
                .prop_map(|(i, absent, s, l)| Op::Update(i, absent, s, s + l)),
            1 => Just(Op::Rebuild),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn live_index_matches_a_brute_force_model_after_every_edit(
            steps in prop::collection::vec((op(), 0usize..250, 1usize..60), 0..120),
        ) {
            let mut idx = LiveSpanIndex::new();
            let mut model: HashMap<u64, CharRange> = HashMap::new();
            for (op, a, len) in steps {
                let mut ids: Vec<u64> = model.keys().copied().collect();
                ids.sort_unstable();
                let pick = |i: &prop::sample::Index, absent: bool| {
                    if absent || ids.is_empty() { 1_000 } else { ids[i.index(ids.len())] }
                };
                match op {
                    Op::Insert(id, s, e) => {
                        let old = model.insert(id, CharRange::new(s, e));
                        prop_assert_eq!(idx.insert(id, s, e), old);
                    }
                    Op::Remove(i, absent) => {
                        let id = pick(&i, absent);
                        prop_assert_eq!(idx.remove(id), model.remove(&id));
                    }
                    Op::Update(i, absent, s, e) => {
                        let id = pick(&i, absent);
                        let known = model.contains_key(&id);
                        if known {
                            model.insert(id, CharRange::new(s, e));
                        }
                        prop_assert_eq!(idx.update(id, s, e), known);
                    }
                    Op::Rebuild => {
                        idx = LiveSpanIndex::from_ranges(model.iter().map(|(&id, r)| (id, r.start, r.end)));
                    }
                }
                assert_matches(&idx, &model, a, len);
            }
        }
    }
}
