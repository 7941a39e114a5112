//! Background saves of an edited layer that cost the UI thread O(changes), not O(spans).
//!
//! A save needs an immutable copy of the layer for the writer thread, and the document needs
//! the layer as written (the merge base). Copying 100,000 spans for each save took 15–25 ms of
//! the UI thread (issue 11). Of the three ways out, this module takes the second:
//! - `Arc<Span>` inside [`Layer`] would make a copy 100,000 pointer copies (~1 ms, still
//!   O(spans)) and change the type every view, importer, test and the file format code use;
//! - a persistent vector would change that type too;
//! - **a mirror on the writer side**: the writer keeps a copy of the layer as last written
//!   (which is the document's merge base) and each save sends only the spans changed since
//!   then, as the document recorded them while editing (each span's version after the edit,
//!   or its deletion), with the small rest of the layer (header, orphans). The writer thread
//!   brings its mirror up to date, copies it into the next merge base and serialises it. The
//!   [`Layer`] type stays as it is.
//!
//! The writer knows its mirror by the serial number of the base it equals. When they differ
//! (the first save, a direct save, a reload, a save that failed or found the file changed) it
//! first copies the base into the mirror, on its own thread. Only changes that replace the
//! whole layer (a merge, a reload that re-anchored, restoring the journal) leave no list of
//! changed spans: the next save then sends a full copy made on the UI thread, as before.
//!
//! A bulk edit (tag all of 100,000 hits, its undo and redo) records its spans by id only: a
//! copy of each changed span for the map cost most of the edit's frame. The snapshot looks
//! them up in the layer as it is then (their version now, or deleted), in a later frame.
//!
//! Old merge bases go back to the writer with the next save and are reused as buffers there,
//! so 100,000 spans are never freed on the UI thread either.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use crate::model::layer::{Layer, Span};

/// The layer as last read from or written to disk (the common ancestor for merges), numbered
/// so that the writer knows whether its mirror holds it.
#[derive(Debug, Clone)]
pub struct Base {
    pub serial: u64,
    pub layer: Arc<Layer>,
}

/// How the layer differs from the base: each changed span's version now (`None`: deleted),
/// or `all` when anything may have changed.
#[derive(Debug, Default)]
pub struct Pending {
    spans: HashMap<u64, Option<Span>>,
    /// Changed spans whose version is looked up in the layer when the snapshot is made (it
    /// wins over their entry in `spans`, being the newest).
    by_id: HashSet<u64>,
    all: bool,
}

/// A save that failed with more changes than this puts them back by id, not by copy.
const BY_ID_ABOVE: usize = 1_000;

impl Pending {
    /// Span `id` is now `now` (`None`: it was removed).
    pub fn record(&mut self, id: u64, now: Option<&Span>) {
        if !self.all {
            self.spans.insert(id, now.cloned());
        }
    }

    /// Span `id` changed (or is gone): the snapshot takes its version from the layer. For
    /// bulk edits, which would otherwise copy every span they change.
    pub fn record_by_id(&mut self, id: u64) {
        if !self.all {
            self.by_id.insert(id);
        }
    }

    /// Makes room for `n` more spans recorded by id.
    pub fn reserve_by_id(&mut self, n: usize) {
        if !self.all {
            self.by_id.reserve(n);
        }
    }

    /// Anything may have changed: the next save sends the whole layer.
    pub fn record_all(&mut self) {
        self.all = true;
        self.spans = HashMap::new();
        self.by_id = HashSet::new();
    }
}

/// What one background save sent, kept by the document until its outcome: if it was not
/// written, its changes are pending again.
#[derive(Debug)]
pub struct Sent {
    spans: Arc<HashMap<u64, Option<Span>>>,
    /// The spans recorded by id.
    by_id: Arc<HashSet<u64>>,
    all: bool,
}

/// The writer's side: the layer as the last save left it, and buffers to reuse.
#[derive(Debug, Default)]
pub struct Mirror {
    /// The serial of the base the layer equals, once it holds one.
    serial: Option<u64>,
    layer: Option<Layer>,
    /// An old merge base, copied into for the next one.
    spare: Option<Layer>,
}

/// One save's snapshot, for [`crate::session::autosave::Autosave`]: the changes since a base and what
/// the writer thread makes of them.
#[derive(Debug)]
pub struct Snapshot {
    /// The base the changes are relative to; the writer takes it (so a full copy is freed on
    /// its thread).
    base: Mutex<Option<Arc<Layer>>>,
    base_serial: u64,
    /// The serial of the layer this save writes, the next base.
    serial: u64,
    /// Everything but the spans: header fields and orphans (spans empty).
    header: Layer,
    spans: Arc<HashMap<u64, Option<Span>>>,
    /// The spans recorded by id (they win over `spans`) and the versions of those the layer
    /// holds (the rest were deleted), in layer order: moved into the mirror on the writer
    /// thread, so neither copied nor freed again on the UI thread.
    by_id: Arc<HashSet<u64>>,
    by_id_now: Mutex<Vec<Span>>,
    /// An old base to reuse as a buffer (freed on the writer thread if it cannot be).
    recycle: Mutex<Option<Arc<Layer>>>,
    mirror: Arc<Mutex<Mirror>>,
    /// The layer as written, filled in on the writer thread.
    written: Mutex<Option<Arc<Layer>>>,
}

/// Makes the snapshot of `layer` for a save: the changes since `base` (taken from `pending`,
/// which is left empty), or a full copy of `layer` when they are not known. `serial` numbers
/// the layer written. Returns what was sent, for [`restore`] if the save does not succeed.
pub fn snapshot(
    layer: &Layer,
    base: &Base,
    pending: &mut Pending,
    serial: u64,
    recycle: Option<Arc<Layer>>,
    mirror: &Arc<Mutex<Mirror>>,
) -> (Snapshot, Sent) {
    let taken = std::mem::take(pending);
    let spans = Arc::new(taken.spans);
    let mut by_id_now = Vec::new();
    if !taken.all && !taken.by_id.is_empty() {
        by_id_now.reserve(taken.by_id.len());
        let found = layer.spans.iter().filter(|s| taken.by_id.contains(&s.id));
        by_id_now.extend(found.cloned());
    }
    let by_id = Arc::new(taken.by_id);
    let (base_layer, base_serial) = if taken.all {
        // A full copy under a serial no mirror has: the writer starts from it.
        (Arc::new(layer.clone()), serial)
    } else {
        (base.layer.clone(), base.serial)
    };
    let header = Layer {
        format: layer.format,
        text: layer.text.clone(),
        text_sha256: layer.text_sha256.clone(),
        text_chars: layer.text_chars,
        annotator: layer.annotator.clone(),
        status: layer.status,
        next_id: layer.next_id,
        spans: Vec::new(),
        orphans: layer.orphans.clone(),
        relations: layer.relations.clone(),
        source: layer.source.clone(),
    };
    let snapshot = Snapshot {
        base: Mutex::new(Some(base_layer)),
        base_serial,
        serial,
        header,
        spans: spans.clone(),
        by_id: by_id.clone(),
        by_id_now: Mutex::new(by_id_now),
        recycle: Mutex::new(recycle),
        mirror: mirror.clone(),
        written: Mutex::new(None),
    };
    let sent = Sent {
        spans,
        by_id,
        all: taken.all,
    };
    (snapshot, sent)
}

/// A save that was not written: its changes are pending again (changes made since win).
pub fn restore(pending: &mut Pending, sent: Sent) {
    if pending.all {
        return;
    }
    if sent.all {
        pending.record_all();
        return;
    }
    // The layer holds their versions now (or their deletion): put back by id, not copied.
    let by_id = (sent.by_id.iter()).filter(|id| !pending.spans.contains_key(id));
    pending.by_id.extend(by_id);
    if sent.spans.len() > BY_ID_ABOVE {
        let by_id = sent
            .spans
            .keys()
            .filter(|id| !pending.spans.contains_key(id));
        pending.by_id.extend(by_id);
        return;
    }
    for (id, span) in sent.spans.iter() {
        pending.spans.entry(*id).or_insert_with(|| span.clone());
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Snapshot {
    /// On the writer thread: brings the mirror up to date, keeps a copy as the next base and
    /// serialises it.
    pub fn render(&self) -> String {
        let mut guard = lock(&self.mirror);
        let mirror = &mut *guard;
        if let Some(old) = lock(&self.recycle).take()
            && let Ok(old) = Arc::try_unwrap(old)
        {
            mirror.spare = Some(old);
        }
        // `render` runs once per snapshot, so the base is always there.
        if let Some(base) = lock(&self.base).take()
            && (mirror.serial != Some(self.base_serial) || mirror.layer.is_none())
        {
            match &mut mirror.layer {
                Some(layer) => layer.copy_from(&base),
                None => mirror.layer = Some(Arc::unwrap_or_clone(base)),
            }
        }
        let layer = mirror.layer.get_or_insert_with(|| self.header.clone());
        let by_id_now = std::mem::take(&mut *lock(&self.by_id_now));
        if !self.spans.is_empty() || !self.by_id.is_empty() {
            let by_id = &self.by_id;
            (layer.spans).retain(|s| !self.spans.contains_key(&s.id) && !by_id.contains(&s.id));
            let kept = layer.spans.len();
            let eager = self.spans.iter().filter(|(id, _)| !by_id.contains(id));
            layer.spans.extend(eager.filter_map(|(_, s)| s.clone()));
            layer.spans.extend(by_id_now);
            if layer.spans.len() > kept {
                // Mostly one sorted run: close to O(n).
                layer.spans.sort_by_key(Span::sort_key);
            }
        }
        layer.copy_header_from(&self.header);
        mirror.serial = Some(self.serial);
        let copy = match mirror.spare.take() {
            Some(mut spare) => {
                spare.copy_from(layer);
                spare
            }
            None => layer.clone(),
        };
        *lock(&self.written) = Some(Arc::new(copy));
        layer.to_ron()
    }

    /// After a successful save: the layer as written, numbered, the next base.
    pub fn written(&self) -> Option<Base> {
        lock(&self.written).take().map(|layer| Base {
            serial: self.serial,
            layer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::layer::make_span;
    use crate::model::text::Text;

    /// An empty mirror, `layer` as the first save's base, and nothing pending.
    fn start(layer: &Layer) -> (Arc<Mutex<Mirror>>, Base, Pending) {
        let base = Base {
            serial: 1,
            layer: Arc::new(layer.clone()),
        };
        (Arc::default(), base, Pending::default())
    }

    #[test]
    fn a_mirror_brought_up_to_date_by_changes_equals_the_layer() {
        let text = Text::from_string("one two three four five six seven eight nine ten");
        let mut layer = Layer::new("t.txt", &text, "a");
        for (i, start) in [0, 4, 8, 14, 19].into_iter().enumerate() {
            layer.spans.push(make_span(
                &text,
                i as u64 + 1,
                start,
                start + 3,
                "quote",
                "",
            ));
        }
        layer.normalize();
        let (mirror, mut base, mut pending) = start(&layer);
        // Change, move, delete and add spans, and the header.
        let mut moved = layer.spans[0].clone();
        moved.start = 24;
        moved.end = 28;
        layer.spans.remove(0);
        layer.spans.push(moved.clone());
        pending.record(moved.id, Some(&moved));
        layer.spans[0].tag = "claim".into();
        pending.record(layer.spans[0].id, Some(&layer.spans[0]));
        let gone = layer.spans.remove(1);
        pending.record(gone.id, None);
        let new = make_span(&text, 9, 1, 2, "error", "");
        layer.spans.push(new.clone());
        pending.record(9, Some(&new));
        layer.next_id = 10;
        // An import record the base does not have yet is a header change too.
        layer.source = Some(crate::model::layer::SourceRecord {
            format: "prodigy".into(),
            fields: [("_input_hash".to_owned(), "-12".to_owned())].into(),
        });
        layer.normalize();
        for serial in 2..4 {
            let (snap, _) = snapshot(&layer, &base, &mut pending, serial, None, &mirror);
            assert_eq!(snap.render(), layer.to_ron());
            base = snap.written().unwrap();
            assert_eq!(*base.layer, layer);
        }
        // A mirror that does not hold the base starts again from it.
        lock(&mirror).serial = Some(99);
        layer.status = crate::model::layer::Status::Done;
        let (snap, _) = snapshot(&layer, &base, &mut pending, 4, None, &mirror);
        assert_eq!(snap.render(), layer.to_ron());
    }

    /// A bulk edit's spans, recorded by id, are saved as the layer holds them when the
    /// snapshot is made; a save of them that failed sends them again, by id too.
    #[test]
    fn spans_recorded_by_id_are_saved_as_the_layer_holds_them_even_after_a_failed_save() {
        let text = Text::from_string(&"Rußland 🙂 ".repeat(1500));
        let mut layer = Layer::new("t.txt", &text, "a");
        layer.spans.push(make_span(&text, 1, 0, 7, "claim", ""));
        layer.normalize();
        let (mirror, mut base, mut pending) = start(&layer);
        // 1,500 added by id, then one of them changed and one deleted by id, the old one too.
        for i in 0..1500 {
            let id = i as u64 + 2;
            layer
                .spans
                .push(make_span(&text, id, i * 10, i * 10 + 7, "quote", ""));
            pending.record_by_id(id);
        }
        layer.normalize();
        layer.spans[3].note = "changed after it was recorded".into();
        let gone = layer.spans.remove(5);
        pending.record_by_id(gone.id);
        let first = layer.spans.remove(0);
        pending.record_by_id(first.id);
        let (snap, sent) = snapshot(&layer, &base, &mut pending, 2, None, &mirror);
        // The save fails: all of it is pending again, and a span is changed meanwhile.
        drop(snap);
        restore(&mut pending, sent);
        layer.spans[7].tag = "error".into();
        pending.record(layer.spans[7].id, Some(&layer.spans[7]));
        let (snap, _) = snapshot(&layer, &base, &mut pending, 3, None, &mirror);
        assert_eq!(snap.render(), layer.to_ron());
        base = snap.written().unwrap();
        assert_eq!(*base.layer, layer);
        assert_eq!(base.layer.spans.len(), 1499);
    }
}
