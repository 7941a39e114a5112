//! An open document: one text, one annotator's layer on it, the undo history, and autosave.
//!
//! Every edit goes through [`Document::apply`], which records it for undo and marks the layer
//! dirty. [`Document::save_if_due`] writes it within a second; before writing it checks that no
//! one else replaced the file since it was read, and merges by span id if they did.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::assist::suggest::rejections::Rejected;
use crate::model::layer::ANCHOR_ATTR;
use crate::model::layer::{Layer, LayerProblem, Orphan, Span, Status, make_span, now_rfc3339};
use crate::model::range::CharRange;
use crate::model::reanchor::{self, ReanchorSummary};
use crate::model::relation::{End, Relation};
use crate::model::tags::{self, RelationType, Tag};
use crate::model::text::{Text, TextError};
use crate::session::autosave::{Finished, SaveState};
use crate::session::engine::{Editing, Session, SessionOwner};
use crate::session::recovery::{Journal, Kept, Recovered};
use crate::session::save_mirror::{self, Base, Mirror, Pending, Sent, Snapshot};
use crate::store::{self, Fingerprint, StoreError};
use crate::team::merge;
use crate::workspace::Workspace;

/// Why a document could not be opened for editing.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum OpenError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {problem}")]
    Invalid { path: String, problem: String },
    #[error("{0}: not a text of this workspace")]
    NotInWorkspace(String),
    #[error("{rel}: cannot open as annotator: {reason}")]
    BadAnnotator { rel: String, reason: String },
}

/// One undoable change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Add(Span),
    Delete(Span),
    /// A span changed (tag, note, boundaries); both versions kept.
    Change {
        before: Span,
        after: Span,
    },
    Status {
        before: Status,
        after: Status,
    },
    /// An orphan was placed again as `span` (same id, new range).
    Reattach {
        orphan: Orphan,
        span: Span,
    },
    /// An orphan was deleted for good.
    DeleteOrphan(Orphan),
    /// Edits recovered from the journal replaced the layer's spans, orphans and status.
    Restore {
        before: Box<Layer>,
        after: Box<Layer>,
    },
    /// A suggestion was rejected: nothing in the layer changes, but the step is in the
    /// history, so undo hands it back to the caller to take out of the rejections file (and
    /// redo to put in again). See [`Document::record_rejection`].
    Reject(Rejected),
    /// The step also changed other documents: workspace "Tag all" number `step` added its
    /// spans there (`added`), or took them out. Undo and redo hand it back to the caller, which
    /// keeps those documents' spans (see [`crate::session::tag_all::WorkspaceTagged`]).
    Elsewhere {
        step: u64,
        added: bool,
    },
    /// A relation was made.
    AddRelation(Relation),
    /// A relation was removed (by itself, or with a span it linked).
    DeleteRelation(Relation),
    /// A relation changed (type, attributes, note, direction); both versions kept.
    ChangeRelation {
        before: Box<Relation>,
        after: Box<Relation>,
    },
}

/// What an edit did to the layer's spans, for views that follow the layer without rebuilding
/// (see [`Document::take_changes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerChange {
    /// Span `id` was added, changed or removed: `now` is its range and tag afterwards, `None`
    /// when it is gone.
    Span { id: u64, now: Option<SpanKey> },
    /// Anything may have changed (reload, merge, restore): rebuild from the layer.
    All,
}

/// A span's range and tag, as recorded in a [`LayerChange`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanKey {
    pub start: usize,
    pub end: usize,
    pub tag: String,
}

impl SpanKey {
    fn of(s: &Span) -> Self {
        Self {
            start: s.start,
            end: s.end,
            tag: s.tag.clone(),
        }
    }
}

/// Changes not taken after this many are folded into one [`LayerChange::All`], so a document
/// nobody follows (the CLI) does not keep a growing log.
const MAX_PENDING_CHANGES: usize = 4096;

/// What [`Document::add_span_checked`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A new span with this id.
    New(u64),
    /// A span with the same range and tag was there already; nothing was added.
    Existing(u64),
}

impl Added {
    /// The span's id, new or existing.
    pub fn id(self) -> u64 {
        match self {
            Self::New(id) | Self::Existing(id) => id,
        }
    }
}

/// What [`Document::add_spans_tagged`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddedMany {
    /// The new spans' ids, ascending.
    pub added: Vec<u64>,
    /// Ranges that had a span with this tag already (nothing added for them).
    pub already: usize,
}

/// What one undo or redo did: for the status line and for the rejections, which live outside
/// the layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// The span the step touched, if any (the first one of a compound step).
    pub touched: Option<u64>,
    /// What the step was, e.g. "tag 23201 spans as quote", "reject quote “begin”".
    pub what: String,
    /// The rejections the step holds: undo takes them out of the rejections file, redo puts
    /// them in again (the caller does, through [`crate::assist::suggest::rejections`]).
    pub rejections: Vec<Rejected>,
    /// The workspace "Tag all" steps this step also covers, and whether their spans in other
    /// documents are now to be in place (`true`) or taken out: the caller does that.
    pub elsewhere: Vec<(u64, bool)>,
}

/// Runs of at least this many span adds or deletes in one step are applied as one merge.
const BATCH_MIN: usize = 32;

/// A batch of at least this many spans is recorded for the autosave by id (looked up when it
/// saves, an O(spans) pass) rather than by a copy of each (most of a 100,000-span edit's time).
const BY_ID_MIN: usize = 1_000;

/// An open document.
pub struct Document {
    rel: String,
    text: Text,
    layer: Layer,
    /// The layer as it was last read from or written to disk: the common ancestor for merging
    /// a version someone else wrote.
    base: Base,
    /// How the layer differs from `base`, for the next background save.
    pending: Pending,
    /// What the running background save sent, pending again if it is not written.
    sent: Option<Sent>,
    /// The writer thread's copy of the layer (see [`crate::session::save_mirror`]).
    mirror: Arc<Mutex<Mirror>>,
    /// The previous base, handed to the writer with the next save to be reused there.
    recycle: Option<Arc<Layer>>,
    /// The last serial number given to a base.
    serial: u64,
    /// What re-anchoring did when the document was opened on a changed text.
    reanchor_summary: Option<ReanchorSummary>,
    /// The layer file, the undo history, autosave and journal: the engine review shares.
    session: Session<Snapshot, Edit>,
    read_only: bool,
    /// Whether the last edit was a note change that further typing may extend.
    note_run: Option<u64>,
    /// Whether the last edit set this span's attribute, which [`Document::extend_attr`] may
    /// extend.
    attr_run: Option<(u64, String)>,
    /// Why the layer cannot be written although it is the annotator's own (a read-only file).
    read_only_reason: Option<String>,
    /// Unsaved edits found in the journal when the document was opened, not yet restored or
    /// discarded; while they wait, the journal entry is left alone.
    recovered: Option<RecoveredEdits>,
    /// The layer file was deleted by someone else while open: nothing is written until the
    /// user chooses to keep their spans (save again) or close.
    deleted_outside: bool,
    /// Span changes since [`Document::take_changes`] was last called, oldest first.
    changes: Vec<LayerChange>,
    /// At least the largest id of a span or orphan in the layer (`None`: no ids), kept as
    /// spans change, so a new span takes an unused id without reading 100,000 spans; `None`
    /// outside when it must be read again from the layer (after a reload, merge, restore).
    max_id: Option<Option<u64>>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("rel", &self.rel)
            .field("annotator", &self.layer.annotator)
            .field("spans", &self.layer.spans.len())
            .finish()
    }
}

/// Refuses an annotator name that cannot be a layer folder, naming the document.
fn check_annotator_of(rel: &str, annotator: &str) -> Result<(), OpenError> {
    crate::workspace::check_layer_name(annotator).map_err(|reason| OpenError::BadAnnotator {
        rel: rel.to_owned(),
        reason,
    })
}

/// Why a relation was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this layer is read-only")]
    ReadOnly,
    #[error("span {0} is not in this layer")]
    NoSpan(u64),
    #[error("relation {0} is not in this layer")]
    NoRelation(u64),
    #[error("a span cannot be linked to itself")]
    SameSpan,
    #[error("a {kind:?} relation's {end} end may be {}, not {tag:?}", allowed.join(" or "))]
    TagNotAllowed {
        kind: String,
        end: &'static str,
        tag: String,
        allowed: Vec<String>,
    },
    #[error("these spans are already linked that way (relation {0})")]
    Exists(u64),
}

/// What the document list shows of a document ([`Document::glance`]).
#[derive(Debug)]
pub struct Glance {
    /// The text's first non-empty line, shortened; `None` when it has none or is unreadable.
    pub title: Option<String>,
    /// The layer's status and span count, or why the document cannot be opened.
    pub opened: Result<(Status, usize), OpenError>,
    /// The keys of the text file and of the layer file (`None`: no layer file) as they were
    /// when read ([`store::read_regular_keyed`]); `None` when a file could not be read whole, or
    /// changed while the error was found.
    pub keys: Option<(store::FileKey, Option<store::FileKey>)>,
}

thread_local! {
    /// The layer file and the text file of the last document [`Document::glance`] read on
    /// this thread: the list's threads read 100,000 of each into the same two buffers.
    static GLANCE_BUFFERS: std::cell::RefCell<(Vec<u8>, Vec<u8>)> = const {
        std::cell::RefCell::new((Vec::new(), Vec::new()))
    };
}

/// [`Document::glance`] of a text (at `text_path`) whose layer file (at `path`) exists, with
/// both files read once, into this thread's [`GLANCE_BUFFERS`]. A layer of this very text
/// whose spans all check, nearly all of them, is walked without making it or the text
/// ([`Layer::glance_checked`]); any other is parsed and checked as opening does. `Ok(None)`
/// when the text cannot be read or decoded, for the caller to say why as opening does; `Err`
/// when the layer file cannot be read.
fn glance_read(
    ws: &Workspace,
    path: &Path,
    text_path: &Path,
    annotator: &str,
) -> Result<Option<Glance>, store::BoundedReadError> {
    GLANCE_BUFFERS.with_borrow_mut(|(layer, text)| {
        let layer_key = store::read_regular_keyed_into(path, store::MAX_LAYER_BYTES, layer);
        let mut line = |layer_key| {
            let text_key = store::read_regular_keyed_into(
                text_path,
                crate::model::text::max_text_bytes(),
                text,
            )
            .ok()?;
            let whole = std::str::from_utf8(text).ok()?;
            let body = whole.strip_prefix('\u{feff}').unwrap_or(whole);
            let sha256 = store::sha256_hex(text);
            let walked = std::str::from_utf8(layer)
                .ok()
                .and_then(|src| Layer::glance_checked(src, body, &sha256, ws.tags(), annotator));
            let opened = match walked {
                Some(found) => Ok(found),
                None => {
                    let text = Text::from_bytes(text).ok()?;
                    crate::model::layer::parse_layer(path, layer)
                        .map_err(OpenError::from)
                        .and_then(|layer| {
                            let shown = path.display().to_string();
                            check_layer(ws, &text, annotator, &shown, layer, false)
                        })
                        .map(|c| (c.layer.status, c.layer.spans.len()))
                }
            };
            Some(Glance {
                title: crate::wording::title_from_text(whole, TITLE_BYTES as usize),
                opened,
                keys: Some((text_key, Some(layer_key))),
            })
        };
        let found = layer_key.map(&mut line);
        // A big document's room is not kept for the small ones after it (the window's own
        // thread glances at a document now and then).
        for buffer in [layer, text] {
            if buffer.capacity() > KEEP_GLANCE_BUFFER {
                *buffer = Vec::new();
            }
        }
        found
    })
}

/// The most room [`GLANCE_BUFFERS`] keeps between two documents.
const KEEP_GLANCE_BUFFER: usize = 1 << 20;

/// How much of a text's file its title is taken from.
pub const TITLE_BYTES: u64 = 4096;

/// A layer checked against its text as opening does ([`check_layer`]).
struct Checked {
    /// The layer as read, when asked for (kept for merging).
    base: Option<Layer>,
    /// The layer, re-anchored if its text changed or its words are not at their offsets.
    layer: Layer,
    reanchor_summary: Option<ReanchorSummary>,
}

/// Checks `layer`, read from the file `path_shown`, as opening text `text` with it does: the
/// annotator its file names, then its spans against the text, re-anchored first if the text
/// changed. With `keep_base`, the layer as read is kept too (copied on a second core while the
/// spans are checked, for a big layer).
///
/// # Errors
/// [`OpenError::Invalid`]: the first problem that is not a stale offset.
fn check_layer(
    ws: &Workspace,
    text: &Text,
    annotator: &str,
    path_shown: &str,
    layer: Layer,
    keep_base: bool,
) -> Result<Checked, OpenError> {
    let invalid = |problem: String| OpenError::Invalid {
        path: path_shown.to_owned(),
        problem,
    };
    if layer.annotator != annotator {
        return Err(invalid(format!(
            "annotator {:?} in the file differs from its folder {annotator:?}",
            layer.annotator
        )));
    }
    // A layer of this very text is checked in one pass below. A stale one's problems that do
    // not depend on the text come first; its offsets are then re-anchored before they are
    // checked against the new text.
    let fresh = layer.text_sha256 == text.sha256();
    if !fresh && let Some(p) = layer.problems(None, ws.tags()).first() {
        return Err(invalid(p.to_string()));
    }
    let (base, layer, reanchor_summary, problems) = if fresh {
        // Nothing to re-anchor: the copy kept for merging is made on a second core while
        // this one checks the spans against the text.
        let check = || layer.problems(Some(text), ws.tags());
        let (base, problems) = if keep_base {
            let (base, problems) = clone_while(&layer, check);
            (Some(base), problems)
        } else {
            (None, check())
        };
        // Spans whose words are not at their offsets although the file records this very
        // text: a merge joined spans made on another version of it (one clone re-anchored
        // to a re-scraped text while another added a span). They are found again, or kept
        // as orphans, like after a text change.
        if problems.iter().any(LayerProblem::is_misplaced)
            && layer.problems(None, ws.tags()).is_empty()
        {
            let mut layer = layer;
            let summary = reanchor::reanchor_layer(&mut layer, text);
            let problems = layer.problems(Some(text), ws.tags());
            (base, layer, summary, problems)
        } else {
            (base, layer, None, problems)
        }
    } else {
        let base = keep_base.then(|| layer.clone());
        let mut layer = layer;
        let reanchor_summary = reanchor::reanchor_layer(&mut layer, text);
        let problems = layer.problems(Some(text), ws.tags());
        (base, layer, reanchor_summary, problems)
    };
    if let Some(p) = problems.iter().find(|p| !p.is_stale()) {
        return Err(invalid(p.to_string()));
    }
    Ok(Checked {
        base,
        layer,
        reanchor_summary,
    })
}

/// A copy of `layer`, made on another thread while `work` runs on this one if the layer is big
/// (or after it, when no thread can start).
fn clone_while<T>(layer: &Layer, work: impl FnOnce() -> T) -> (Layer, T) {
    if layer.spans.len() < 5_000 {
        let out = work();
        return (layer.clone(), out);
    }
    std::thread::scope(|s| {
        let copy = std::thread::Builder::new()
            .name("copy layer".into())
            .spawn_scoped(s, || layer.clone());
        let out = work();
        let base = copy
            .ok()
            .and_then(|h| h.join().ok())
            .unwrap_or_else(|| layer.clone());
        (base, out)
    })
}

/// A layer file read and parsed by [`Document::read_layer`] (or found absent), waiting for
/// its text.
#[derive(Debug)]
pub struct ReadLayer {
    path: PathBuf,
    loaded: Option<(Layer, Fingerprint)>,
}

impl Document {
    /// Opens text `rel` of `ws` with `annotator`'s layer. `read_only` is for browsing another
    /// annotator's layer: nothing is ever written.
    ///
    /// # Errors
    /// The text cannot be read, or the layer file exists but cannot be parsed or is invalid.
    pub fn open(
        ws: &Workspace,
        rel: &str,
        annotator: &str,
        read_only: bool,
    ) -> Result<Self, OpenError> {
        check_annotator_of(rel, annotator)?;
        let text = Self::load_text(ws, rel)?;
        Self::open_with_text(ws, rel, text, annotator, read_only)
    }

    /// Reads and decodes the text of `rel` as [`Self::open`] does, so that a window can show it
    /// while [`Self::open_with_text`] reads its layer.
    ///
    /// # Errors
    /// `rel` is not a text of the workspace, or the file cannot be read or decoded.
    pub fn load_text(ws: &Workspace, rel: &str) -> Result<Text, OpenError> {
        let text_path = ws
            .text_path(rel)
            .ok_or_else(|| OpenError::NotInWorkspace(rel.to_owned()))?;
        Ok(Text::load(&text_path)?)
    }

    /// What the document list shows of text `rel`: the status and span count of `annotator`'s
    /// layer as [`Self::open`] read-only finds them, or the error it gives, and the text's title.
    /// A text without a layer file is only read and checked, not made into a text or a document
    /// (the list reads every text of a workspace, 100,000 of them).
    pub fn glance(ws: &Workspace, rel: &str, annotator: &str) -> Glance {
        let title = |bytes: &[u8]| {
            crate::wording::title_from_head(&bytes[..bytes.len().min(TITLE_BYTES as usize)])
        };
        let layer_path = check_annotator_of(rel, annotator)
            .ok()
            .and_then(|()| ws.layer_path(annotator, rel));
        if let (Some(path), Some(text_path)) = (&layer_path, ws.text_path(rel)) {
            // Each file is opened once, and its key taken from the open file: 100,000 texts
            // are listed without a look-up of each path beside the read.
            let read = glance_read(ws, path, &text_path, annotator);
            match read {
                Ok(Some(glance)) => return glance,
                Ok(None) => {} // The text cannot be read: below.
                Err(e) if e.is_not_found() && std::fs::symlink_metadata(path).is_err() => {
                    // No layer file: opening would make an empty layer of a text that decodes.
                    if let Ok((file, text_key)) = Text::check_file(&text_path) {
                        return Glance {
                            title: title(file.bytes()),
                            opened: Ok((Status::NotStarted, 0)),
                            keys: Some((text_key, None)),
                        };
                    }
                }
                Err(e) => {
                    // The layer file cannot be read: its error, as opening gives it when the
                    // text reads.
                    if let Ok((file, _)) = Text::check_file(&text_path) {
                        let e = store::limited_error(path, store::MAX_LAYER_BYTES, e);
                        return Glance {
                            title: title(file.bytes()),
                            opened: Err(OpenError::from(e)),
                            keys: None,
                        };
                    }
                }
            }
        }
        // The text cannot be read: the error as opening gives it, the title from what can be.
        // The files' keys are looked up around it (a rare case), so that the error is
        // remembered too.
        let keys_now = || {
            let text = store::FileKey::of(&ws.text_path(rel)?)?;
            Some((text, layer_path.as_deref().and_then(store::FileKey::of)))
        };
        let before = keys_now();
        let title = Self::read_title(ws, rel);
        let opened =
            Self::open(ws, rel, annotator, true).map(|d| (d.layer.status, d.layer.spans.len()));
        let after = keys_now();
        Glance {
            title,
            opened,
            keys: before.filter(|_| before == after),
        }
    }

    /// The title of text `rel` from the first [`TITLE_BYTES`] of its file
    /// ([`crate::wording::title_from_head`]); `None` if unreadable.
    pub fn read_title(ws: &Workspace, rel: &str) -> Option<String> {
        use std::io::Read;
        let file = crate::store::open_regular(&ws.text_path(rel)?).ok()?;
        let mut head = Vec::with_capacity(TITLE_BYTES as usize);
        file.take(TITLE_BYTES).read_to_end(&mut head).ok()?;
        crate::wording::title_from_head(&head)
    }

    /// [`Self::open`] with the text already read by [`Self::load_text`].
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn open_with_text(
        ws: &Workspace,
        rel: &str,
        text: Text,
        annotator: &str,
        read_only: bool,
    ) -> Result<Self, OpenError> {
        check_annotator_of(rel, annotator)?;
        let layer_path = ws
            .layer_path(annotator, rel)
            .ok_or_else(|| OpenError::NotInWorkspace(rel.to_owned()))?;
        Self::from_parts(ws, rel, text, annotator, &layer_path, read_only)
    }

    /// Reads and parses the layer file of `rel` for `annotator`, the first thing
    /// [`Self::open_with_text`] does, so that a window can do it on one core while it reads the
    /// text on another; [`Self::open_with_read`] then goes on as `open_with_text` would. The
    /// file's hash is left for later: the caller takes it with [`Fingerprint::settle`]
    /// once the document is shown (or the first save does) through [`Self::fingerprint`].
    ///
    /// # Errors
    /// As [`Self::open`], for the layer file.
    pub fn read_layer(ws: &Workspace, rel: &str, annotator: &str) -> Result<ReadLayer, OpenError> {
        check_annotator_of(rel, annotator)?;
        let path = ws
            .layer_path(annotator, rel)
            .ok_or_else(|| OpenError::NotInWorkspace(rel.to_owned()))?;
        let loaded = crate::model::layer::load_layer(&path)?;
        Ok(ReadLayer { path, loaded })
    }

    /// [`Self::open_with_text`] with the layer file already read by [`Self::read_layer`].
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn open_with_read(
        ws: &Workspace,
        rel: &str,
        text: Text,
        annotator: &str,
        read: ReadLayer,
        read_only: bool,
    ) -> Result<Self, OpenError> {
        Self::from_loaded(ws, rel, text, annotator, &read.path, read.loaded, read_only)
    }

    fn from_parts(
        ws: &Workspace,
        rel: &str,
        text: Text,
        annotator: &str,
        layer_path: &Path,
        read_only: bool,
    ) -> Result<Self, OpenError> {
        let loaded = crate::model::layer::load_layer_hashed(layer_path)?;
        Self::from_loaded(ws, rel, text, annotator, layer_path, loaded, read_only)
    }

    fn from_loaded(
        ws: &Workspace,
        rel: &str,
        text: Text,
        annotator: &str,
        layer_path: &Path,
        loaded: Option<(Layer, Fingerprint)>,
        read_only: bool,
    ) -> Result<Self, OpenError> {
        let (layer, seen) = match loaded {
            Some((layer, fp)) => (layer, Some(fp)),
            None => (Layer::new(rel, &text, annotator), None),
        };
        let path_shown = layer_path.display().to_string();
        let checked = check_layer(ws, &text, annotator, &path_shown, layer, true)?;
        let (layer, reanchor_summary) = (checked.layer, checked.reanchor_summary);
        // (Always kept when asked for.)
        let base = Arc::new(checked.base.unwrap_or_else(|| layer.clone()));
        // A file without write permission (chmod 0444, a read-only checkout) is respected:
        // the layer opens read-only and says why.
        let read_only_reason = (!read_only
            && std::fs::metadata(layer_path).is_ok_and(|m| m.permissions().readonly()))
        .then(|| {
            format!(
                "{path_shown} is read-only on disk (no write permission), so this layer opens \
                 read-only: its spans are shown but cannot be changed. Make the file writable \
                 and reopen the document to edit it"
            )
        });
        // The curated layer's spans carry their review record, which this plain layer would
        // drop on saving: only review mode writes it.
        let read_only_reason = read_only_reason.or_else(|| {
            (!read_only && annotator == crate::workspace::CURATED_LAYER).then(|| {
                format!(
                    "{path_shown} is the curated layer, which review mode writes (it records where \
                     each span came from), so it opens read-only here"
                )
            })
        });
        let read_only = read_only || read_only_reason.is_some();
        let mut doc = Self {
            rel: rel.to_owned(),
            text,
            layer,
            base: Base {
                serial: 0,
                layer: base,
            },
            pending: Pending::default(),
            sent: None,
            mirror: Arc::default(),
            recycle: None,
            serial: 0,
            reanchor_summary,
            session: Session::new(layer_path.to_path_buf(), ws.root().to_path_buf(), seen),
            read_only,
            note_run: None,
            attr_run: None,
            read_only_reason,
            recovered: None,
            deleted_outside: false,
            changes: Vec::new(),
            max_id: None,
        };
        // Read here (the window opens documents on a background thread), not at the first add.
        doc.max_id = Some(ids_max(&doc.layer));
        if doc.reanchor_summary.is_some() {
            // Re-anchoring changed spans without recording which.
            doc.pending.record_all();
        }
        doc.layer.text = rel.to_owned();
        if let Some(reason) = &doc.read_only_reason {
            doc.session.notices.push(reason.clone());
        }
        if let Some(summary) = doc.reanchor_summary {
            doc.session.notices.push(format!("{rel}: {summary}"));
            if !read_only {
                // Written at once, so the file on disk matches the text again; a failed save
                // is shown and retried like any other.
                doc.mark_dirty();
                let _ = doc.save_now();
            }
        }
        Ok(doc)
    }

    /// A handle on the layer file's fingerprint as read: [`Fingerprint::settle`] on it takes
    /// the hash [`Self::read_layer`] left for later (the document shares it).
    pub fn fingerprint(&self) -> Option<Fingerprint> {
        self.session.seen.clone()
    }

    /// What re-anchoring did when this document was opened on a changed text, if it did.
    pub fn reanchor_summary(&self) -> Option<ReanchorSummary> {
        self.reanchor_summary
    }

    /// Spans that could not be re-anchored after the text changed.
    pub fn orphans(&self) -> &[Orphan] {
        &self.layer.orphans
    }

    /// Places orphan `id` again over `[start, end)` (e.g. the user's selection). Undoable.
    /// Returns whether it did.
    pub fn reattach_orphan(&mut self, id: u64, start: usize, end: usize) -> bool {
        if self.read_only || start >= end || end > self.text.char_len() {
            return false;
        }
        let Some(orphan) = self.layer.orphans.iter().find(|o| o.span.id == id).cloned() else {
            return false;
        };
        let fresh = make_span(&self.text, id, start, end, &orphan.span.tag, "");
        let mut span = orphan.span.clone();
        span.take_place(fresh);
        span.modified = now_rfc3339();
        self.apply(Edit::Reattach { orphan, span });
        true
    }

    /// Deletes orphan `id` for good (undoable). Returns whether it did.
    pub fn delete_orphan(&mut self, id: u64) -> bool {
        if self.read_only {
            return false;
        }
        let Some(orphan) = self.layer.orphans.iter().find(|o| o.span.id == id).cloned() else {
            return false;
        };
        self.apply(Edit::DeleteOrphan(orphan));
        true
    }

    /// The text's relative path.
    pub fn rel(&self) -> &str {
        &self.rel
    }

    /// The text.
    pub fn text(&self) -> &Text {
        &self.text
    }

    /// The layer as it is in memory.
    pub fn layer(&self) -> &Layer {
        &self.layer
    }

    /// Where the layer is saved.
    pub fn layer_path(&self) -> &Path {
        &self.session.path
    }

    /// Whether this document is browsed read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Why this layer is read-only although it is the annotator's own, if it is.
    pub fn read_only_reason(&self) -> Option<&str> {
        self.read_only_reason.as_deref()
    }

    /// Keeps edits that cannot be saved in `journal`, and looks there for edits an earlier
    /// window could not save (found by the layer's place in the workspace and its text, so a
    /// workspace that moved still finds them): if restoring them would change the layer,
    /// [`Document::recovered`] offers them.
    pub fn set_journal(&mut self, journal: Journal) {
        if self.read_only {
            return;
        }
        let annotator = self.layer.annotator.clone();
        let text = &self.text;
        let read = |found: &Recovered| {
            let parse = |src: &str| {
                crate::model::layer::parse_layer(&found.entry, src.as_bytes())
                    .ok()
                    .filter(|l| l.annotator == annotator)
                    .map(|mut l| {
                        if l.text_sha256 != text.sha256() {
                            reanchor::reanchor_layer(&mut l, text);
                        }
                        l
                    })
            };
            let ours = parse(&found.contents)?;
            // A base that cannot be read is no base: the restore then never removes a span.
            let base = found.base.as_deref().and_then(parse);
            Some((ours, base))
        };
        let current = &self.layer;
        let mut planned = None;
        let same = |(ours, base): &(Layer, Option<Layer>)| {
            let (merged, plan) = restore_plan(base.as_ref(), ours, current);
            let same = plan.changes_nothing();
            planned = Some((merged, plan));
            same
        };
        let file = (self.rel.as_str(), self.text.sha256(), "layer");
        if let Some(((layer, base), found)) = self.session.open_journal(journal, file, read, same)
            && let Some((merged, plan)) = planned
        {
            self.recovered = Some(RecoveredEdits {
                layer,
                base,
                found,
                merged,
                plan,
                stale: false,
            });
        }
    }

    /// Unsaved edits found in the recovery journal, waiting for the user: what they are, where
    /// the entry is, and what restoring them would do to the layer as it is now.
    pub fn recovered(&self) -> Option<&RecoveredEdits> {
        self.recovered.as_ref()
    }

    /// Works out again what restoring the recovered edits would do, if the layer changed since
    /// it was last worked out (the window calls this once a frame).
    pub fn refresh_recovered(&mut self) {
        if let Some(r) = &mut self.recovered
            && r.stale
        {
            (r.merged, r.plan) = restore_plan(r.base.as_ref(), &r.layer, &self.layer);
            r.stale = false;
        }
    }

    /// Merges the recovered edits into the layer by the three-way rule of
    /// [`merge::merge_layers`] (the rule of the git merge driver): the base is the file as the
    /// unsaved session last read it, ours its edits, theirs the layer as it is now, so spans
    /// that reached the file since (a teammate's from `git pull`, the user's own) are kept. An
    /// entry without a base is merged as a union that removes nothing. One undoable edit.
    /// Returns what it did, or `None` when there was nothing to restore.
    pub fn restore_recovered(&mut self) -> Option<RestorePlan> {
        if self.read_only {
            return None;
        }
        let mut r = self.recovered.take()?;
        // The entry is replaced by the next save's outcome: on disk, or journaled again.
        self.session.autosave.release_recovered(false);
        // Against the layer as it is now (a reload may have changed it without an edit).
        (r.merged, r.plan) = restore_plan(r.base.as_ref(), &r.layer, &self.layer);
        let before = Box::new(self.layer.clone());
        let mut after = self.layer.clone();
        after.next_id = after.next_id.max(r.merged.next_id);
        after.spans = r.merged.spans;
        after.orphans = r.merged.orphans;
        after.status = r.merged.status;
        after.normalize();
        self.apply(Edit::Restore {
            before,
            after: Box::new(after),
        });
        Some(r.plan)
    }

    /// Drops the recovered edits and their journal entry, at the user's word.
    pub fn discard_recovered(&mut self) -> bool {
        if self.recovered.take().is_none() {
            return false;
        }
        self.session.autosave.release_recovered(true);
        true
    }

    /// Whether the layer file was deleted outside this window while it was open.
    pub fn is_deleted_outside(&self) -> bool {
        self.deleted_outside
    }

    /// After the file was deleted outside: writes the spans again as a new file.
    ///
    /// # Errors
    /// The write failed; the edits stay pending.
    pub fn keep_after_deletion(&mut self) -> Result<(), StoreError> {
        self.deleted_outside = false;
        self.session.seen = None;
        self.mark_dirty();
        self.save_now()
    }

    fn notice_deleted(&mut self) {
        // The window shows this state itself (a banner with the two choices), not as a notice.
        self.deleted_outside = true;
        self.session.autosave.set_state(SaveState::Failed(
            "the annotation file was deleted outside this window".to_owned(),
        ));
    }

    /// Whether the text changed since the layer was written (needs re-anchoring).
    pub fn is_stale(&self) -> bool {
        self.layer.text_sha256 != self.text.sha256()
    }

    /// Creates a span over `[start, end)` with `tag`. Returns its id, or the id of the span that
    /// already has exactly this range and tag (no duplicate is made). See [`Self::add_span_checked`].
    pub fn add_span(&mut self, start: usize, end: usize, tag: &str) -> Option<u64> {
        self.add_span_checked(start, end, tag).map(|a| a.id())
    }

    /// The span with exactly this range and tag, if there is one.
    pub fn find_span(&self, start: usize, end: usize, tag: &str) -> Option<u64> {
        // The spans are sorted by (start, end, id): those with this range sit together.
        let spans = &self.layer.spans;
        let from = spans.partition_point(|s| (s.start, s.end) < (start, end));
        (spans[from..].iter())
            .take_while(|s| (s.start, s.end) == (start, end))
            .find(|s| s.tag == tag)
            .map(|s| s.id)
    }

    /// Creates a span over `[start, end)` with `tag`, unless one with exactly this range and tag
    /// exists: then nothing changes and that span is returned as [`Added::Existing`]. `None`
    /// when read-only, the range is empty or out of the text, or the ids are used up.
    pub fn add_span_checked(&mut self, start: usize, end: usize, tag: &str) -> Option<Added> {
        self.add_span_with(start, end, tag, Default::default())
    }

    fn add_span_with(
        &mut self,
        start: usize,
        end: usize,
        tag: &str,
        attrs: BTreeMap<String, String>,
    ) -> Option<Added> {
        if self.read_only || start >= end || end > self.text.char_len() {
            return None;
        }
        if let Some(id) = self.find_span(start, end, tag) {
            return Some(Added::Existing(id));
        }
        // Above every id in use (the layer's `next_id` may lag behind a hand-edited file).
        let max_id = *self.max_id.get_or_insert_with(|| ids_max(&self.layer));
        let id = match max_id {
            None => self.layer.next_id,
            Some(max) => match max.checked_add(1) {
                Some(above) => self.layer.next_id.max(above),
                None => {
                    // Only a hand-edited file with ids at the top of the range gets here.
                    self.session
                        .notices
                        .push("cannot add a span: this file has used up its span ids".to_owned());
                    return None;
                }
            },
        };
        self.layer.next_id = id.saturating_add(1);
        let mut span = make_span(&self.text, id, start, end, tag, &now_rfc3339());
        span.attrs = attrs;
        self.apply(Edit::Add(span));
        Some(Added::New(id))
    }

    /// Creates a span with `tag` (and its default attribute values) over each of `ranges` that
    /// has no span with this range and tag yet, as ONE undo step (joining an open compound
    /// edit). Tags 23,000 hits of a 100,000-span layer in one merge, O(n + k log k), where a
    /// span at a time moved the layer 23,000 times. Empty and out-of-text ranges are skipped.
    pub fn add_spans_tagged(&mut self, ranges: &[CharRange], tag: &Tag) -> AddedMany {
        let mut out = AddedMany::default();
        if self.read_only {
            return out;
        }
        let len = self.text.char_len();
        let mut ranges: Vec<CharRange> = (ranges.iter().copied())
            .filter(|r| r.start < r.end && r.end <= len)
            .collect();
        ranges.sort_unstable();
        ranges.dedup();
        let max_id = *self.max_id.get_or_insert_with(|| ids_max(&self.layer));
        let mut next = match max_id {
            None => Some(self.layer.next_id),
            Some(max) => max
                .checked_add(1)
                .map(|above| self.layer.next_id.max(above)),
        };
        let now = now_rfc3339();
        let attrs = tag.default_attrs();
        let mut new = Vec::with_capacity(ranges.len());
        // The ranges and the spans are both sorted: one walk finds which are tagged already.
        let mut at = 0;
        for CharRange { start: a, end: b } in ranges {
            let spans = &self.layer.spans;
            while spans.get(at).is_some_and(|s| (s.start, s.end) < (a, b)) {
                at += 1;
            }
            let tagged = spans[at.min(spans.len())..]
                .iter()
                .take_while(|s| (s.start, s.end) == (a, b))
                .any(|s| s.tag == tag.name);
            if tagged {
                out.already += 1;
                continue;
            }
            let Some(id) = next else {
                // Only a hand-edited file with ids at the top of the range gets here.
                self.session
                    .notices
                    .push("cannot add a span: this file has used up its span ids".to_owned());
                break;
            };
            let mut span = span_at(&self.text, id, a, b, &tag.name, &now);
            span.attrs.clone_from(&attrs);
            new.push(span);
            out.added.push(id);
            next = id.checked_add(1);
        }
        if let Some(last) = out.added.last() {
            self.layer.next_id = last.saturating_add(1);
            self.apply_many(new);
        }
        out
    }

    /// Puts `spans` (new ids) in the layer and records them as one undo step (or as part of the
    /// open compound edit).
    fn apply_many(&mut self, spans: Vec<Span>) {
        let own = !self.session.history.in_group();
        if own {
            self.session.history.begin_group();
        }
        self.insert_spans(&spans);
        self.session.history.reserve(spans.len());
        for s in spans {
            self.session.history.record(Edit::Add(s));
        }
        if own {
            self.session.history.end_group();
        }
        self.note_run = None;
        self.attr_run = None;
        if self.layer.status == Status::NotStarted {
            self.layer.status = Status::InProgress;
        }
        self.mark_dirty();
    }

    /// Removes the spans with these ids as ONE undo step, in one pass over the layer. Returns
    /// how many there were.
    pub fn delete_spans(&mut self, ids: &HashSet<u64>) -> usize {
        self.delete_spans_with(ids, true)
    }

    /// Takes the spans with these ids out WITHOUT an undo step: a workspace "Tag all" undone
    /// in every document while this one's history does not hold it (it was reopened since).
    /// The redo branch is dropped.
    pub fn take_out_spans(&mut self, ids: &HashSet<u64>) -> usize {
        self.delete_spans_with(ids, false)
    }

    fn delete_spans_with(&mut self, ids: &HashSet<u64>, record: bool) -> usize {
        if self.read_only || ids.is_empty() {
            return 0;
        }
        let gone: Vec<Span> = (self.layer.spans.iter())
            .filter(|s| ids.contains(&s.id))
            .cloned()
            .collect();
        if gone.is_empty() {
            return 0;
        }
        self.remove_spans(&gone);
        let n = gone.len();
        if record {
            let own = !self.session.history.in_group();
            if own {
                self.session.history.begin_group();
            }
            for s in gone {
                self.session.history.record(Edit::Delete(s));
            }
            if own {
                self.session.history.end_group();
            }
        } else {
            self.session.history.drop_redo();
        }
        self.note_run = None;
        self.attr_run = None;
        self.mark_dirty();
        n
    }

    /// Puts spans that were taken out (by an undone [`Self::delete_spans`] or a workspace
    /// "Tag all" being redone) back under their own ids, as one undo step; spans whose id is
    /// in use again are left out. Returns how many were put back.
    pub fn restore_spans(&mut self, spans: &[Span]) -> usize {
        self.restore_spans_with(spans, true)
    }

    /// Puts spans back like [`Self::restore_spans`] WITHOUT an undo step (the counterpart of
    /// [`Self::take_out_spans`]).
    pub fn put_back_spans(&mut self, spans: &[Span]) -> usize {
        self.restore_spans_with(spans, false)
    }

    fn restore_spans_with(&mut self, spans: &[Span], record: bool) -> usize {
        if self.read_only {
            return 0;
        }
        let ids: HashSet<u64> = self.layer.spans.iter().map(|s| s.id).collect();
        let len = self.text.char_len();
        let back: Vec<Span> = (spans.iter())
            .filter(|s| !ids.contains(&s.id) && s.start < s.end && s.end <= len)
            .filter(|s| self.find_span(s.start, s.end, &s.tag).is_none())
            .cloned()
            .collect();
        let n = back.len();
        if n > 0 && record {
            self.apply_many(back);
        } else if n > 0 {
            self.insert_spans(&back);
            self.session.history.drop_redo();
            self.mark_dirty();
        }
        n
    }

    /// Notes in the open compound edit (or as a step of its own) that it also added (`added`)
    /// or took out workspace "Tag all" number `step`'s spans in other documents; undo and redo
    /// say so in [`Done::elsewhere`].
    pub fn record_elsewhere(&mut self, step: u64, added: bool) {
        if !self.read_only {
            self.session.history.record(Edit::Elsewhere { step, added });
        }
    }

    /// Records that a suggestion was rejected (the caller wrote it to the rejections file):
    /// a step of its own, so Ctrl+Z brings the suggestion back instead of undoing the edit
    /// before. The layer does not change and nothing is saved for it.
    pub fn record_rejection(&mut self, rejected: Rejected) {
        if self.read_only {
            return;
        }
        self.session.history.record(Edit::Reject(rejected));
        self.note_run = None;
        self.attr_run = None;
    }

    /// Creates a span like [`Self::add_span_checked`], starting with `tag`'s default attribute
    /// values (a new claim's verdict is "unverified"). One undo step.
    pub fn add_span_tagged(&mut self, start: usize, end: usize, tag: &Tag) -> Option<Added> {
        self.add_span_with(start, end, &tag.name, tag.default_attrs())
    }

    /// Creates a span like [`Self::add_span_tagged`] whose attributes are `tag`'s defaults
    /// overridden by `values` (an accepted suggestion's speaker or correction). One undo step.
    pub fn add_span_valued(
        &mut self,
        start: usize,
        end: usize,
        tag: &Tag,
        values: &BTreeMap<String, String>,
    ) -> Option<Added> {
        let mut attrs = tag.default_attrs();
        attrs.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.add_span_with(start, end, &tag.name, attrs)
    }

    /// Changes span `id`'s tag to `new`, carrying its values over as a user expects: values that
    /// fit `new`'s schema stay, values of the old tag's attributes that do not fit go, values
    /// outside both schemas (imported ones) and Marginalia's reserved markers stay, and `new`'s
    /// defaults fill what is unset. `old` is the span's current tag, if known. One undo step.
    pub fn retag_with(&mut self, id: u64, new: &Tag, old: Option<&Tag>) -> bool {
        self.change(id, |s| {
            s.attrs = carry_attrs(&s.attrs, old, new);
            s.tag = new.name.clone();
        })
    }

    /// Sets (or with `None` or an empty value, clears) attribute `name` of span `id`. One undo
    /// step per call: the window calls it once per field change (a text field when it loses
    /// the keyboard), not per key. Reserved keys (`marginalia:…`) are refused. Returns whether
    /// the span changed.
    pub fn set_attr(&mut self, id: u64, name: &str, value: Option<&str>) -> bool {
        if name.is_empty() || tags::is_reserved(name) {
            return false;
        }
        self.change(id, |s| match value.filter(|v| !v.is_empty()) {
            Some(v) => {
                s.attrs.insert(name.to_owned(), v.to_owned());
            }
            None => {
                s.attrs.remove(name);
            }
        })
    }

    /// Like [`Self::set_attr`], but when the last step set this same attribute of this span
    /// and nothing came after, it is extended instead of adding a step: letters typed into a
    /// choice list that pick "mostly true", then "mixed", then "misleading" are one change.
    pub fn extend_attr(&mut self, id: u64, name: &str, value: Option<&str>) -> bool {
        let extendable = self
            .attr_run
            .as_ref()
            .is_some_and(|(i, n)| *i == id && n == name);
        if extendable
            && !self.read_only
            && let Some(mut next) = self.layer.span(id).cloned()
            && let Some(step) = self.session.history.last_step_mut()
            && let [Edit::Change { after, .. }] = step.as_mut_slice()
            && after.id == id
        {
            match value.filter(|v| !v.is_empty()) {
                Some(v) => next.attrs.insert(name.to_owned(), v.to_owned()),
                None => next.attrs.remove(name),
            };
            if next == *after {
                return false;
            }
            next.modified = now_rfc3339();
            *after = next.clone();
            self.replace_span(next);
            self.mark_dirty();
            return true;
        }
        self.start_attr_run(id, name, value)
    }

    /// Like [`Self::set_attr`], and the step it records is one that [`Self::extend_attr`] for
    /// the same attribute then extends: the first change of a visit to a text field, so what
    /// one visit types is one step and the next visit another. A run that was going on ends
    /// here even when nothing changes (a space typed after a value, trimmed away).
    pub fn start_attr_run(&mut self, id: u64, name: &str, value: Option<&str>) -> bool {
        let changed = self.set_attr(id, name, value);
        self.attr_run = changed.then(|| (id, name.to_owned()));
        changed
    }

    /// Removes span `id`, and the relations it is an end of, as one undo step.
    pub fn delete_span(&mut self, id: u64) -> bool {
        match self.layer.span(id).cloned() {
            Some(s) if !self.read_only => {
                let linked: Vec<Relation> = self.layer.relations_of(id).cloned().collect();
                if linked.is_empty() {
                    self.apply(Edit::Delete(s));
                } else {
                    let own = !self.session.history.in_group();
                    if own {
                        self.begin_compound();
                    }
                    for r in linked {
                        self.apply(Edit::DeleteRelation(r));
                    }
                    self.apply(Edit::Delete(s));
                    if own {
                        self.end_compound();
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// How many relations have span `id` of this layer as an end.
    pub fn relation_count(&self, id: u64) -> usize {
        self.layer.relations_of(id).count()
    }

    /// Links span `from` of this layer to `to` (a span of this layer, or of another document
    /// whose tag is `to_tag`) by a relation of type `kind`, starting with its default attribute
    /// values. One undo step.
    ///
    /// # Errors
    /// Why the link was refused ([`LinkError`]); nothing changes then.
    pub fn add_relation(
        &mut self,
        kind: &RelationType,
        from: u64,
        to: End,
        to_tag: &str,
    ) -> Result<u64, LinkError> {
        if self.read_only {
            return Err(LinkError::ReadOnly);
        }
        let from_span = self.layer.span(from).ok_or(LinkError::NoSpan(from))?;
        // An end here is checked with its own tag; `to_tag` is for an end elsewhere.
        let to_tag = match to.here_id() {
            Some(id) if id == from => return Err(LinkError::SameSpan),
            Some(id) => self
                .layer
                .span(id)
                .ok_or(LinkError::NoSpan(id))?
                .tag
                .as_str(),
            None => to_tag,
        };
        for (is_from, tag) in [(true, from_span.tag.as_str()), (false, to_tag)] {
            if !kind.allows_end(is_from, tag) {
                return Err(LinkError::TagNotAllowed {
                    kind: kind.name.clone(),
                    end: if is_from { "from" } else { "to" },
                    tag: tag.to_owned(),
                    allowed: kind.allowed(is_from).to_vec(),
                });
            }
        }
        let here = End::here(from);
        let same = |r: &Relation| {
            r.kind == kind.name
                && ((r.from == here && r.to == to)
                    || (kind.symmetric && r.to == here && r.from == to))
        };
        if let Some(r) = self.layer.relations.iter().find(|r| same(r)) {
            return Err(LinkError::Exists(r.id));
        }
        let id = self.layer.take_id();
        let now = now_rfc3339();
        self.apply(Edit::AddRelation(Relation {
            id,
            kind: kind.name.clone(),
            from: here,
            to,
            note: String::new(),
            attrs: kind.default_attrs(),
            created: now.clone(),
            modified: now,
        }));
        Ok(id)
    }

    /// Removes relation `id`. One undo step.
    pub fn delete_relation(&mut self, id: u64) -> bool {
        match self.layer.relation(id).cloned() {
            Some(r) if !self.read_only => {
                self.apply(Edit::DeleteRelation(r));
                true
            }
            _ => false,
        }
    }

    /// Changes relation `id` by `f` (its modification time is set). One undo step; nothing
    /// if `f` changed nothing.
    pub fn change_relation(&mut self, id: u64, f: impl FnOnce(&mut Relation)) -> bool {
        let Some(before) = self.layer.relation(id).cloned() else {
            return false;
        };
        if self.read_only {
            return false;
        }
        let mut after = before.clone();
        f(&mut after);
        after.id = before.id;
        if after == before {
            return false;
        }
        after.modified = now_rfc3339();
        self.apply(Edit::ChangeRelation {
            before: Box::new(before),
            after: Box::new(after),
        });
        true
    }

    /// Changes relation `id` to type `kind`, keeping the attribute values `kind` declares and
    /// starting the others at its defaults. Refused when an end's tag is not allowed.
    ///
    /// # Errors
    /// [`LinkError::TagNotAllowed`] or [`LinkError::NoRelation`].
    pub fn retype_relation(&mut self, id: u64, kind: &RelationType) -> Result<bool, LinkError> {
        let r = self.layer.relation(id).ok_or(LinkError::NoRelation(id))?;
        for (is_from, end) in [(true, &r.from), (false, &r.to)] {
            let tag = match end.here_id() {
                Some(span) => self.layer.span(span).map(|s| s.tag.clone()),
                None => None,
            };
            if let Some(tag) = tag
                && !kind.allows_end(is_from, &tag)
            {
                return Err(LinkError::TagNotAllowed {
                    kind: kind.name.clone(),
                    end: if is_from { "from" } else { "to" },
                    tag,
                    allowed: kind.allowed(is_from).to_vec(),
                });
            }
        }
        let name = kind.name.clone();
        let mut attrs = kind.default_attrs();
        for (k, v) in &r.attrs {
            if kind.attributes.iter().any(|a| &a.name == k) {
                attrs.insert(k.clone(), v.clone());
            }
        }
        Ok(self.change_relation(id, |r| {
            r.kind = name;
            r.attrs = attrs;
        }))
    }

    /// Changes span `id`'s tag.
    pub fn retag(&mut self, id: u64, tag: &str) -> bool {
        self.change(id, |s| s.tag = tag.to_owned())
    }

    /// Sets span `id`'s note. Consecutive note edits of one span are one undo step.
    pub fn set_note(&mut self, id: u64, note: &str) -> bool {
        if self.layer.span(id).is_some_and(|s| s.note == note) {
            return false;
        }
        if self.note_run == Some(id)
            && let Some(current) = self.layer.span(id).cloned()
            && let Some(step) = self.session.history.last_step_mut()
            && let [Edit::Change { after, .. }] = step.as_mut_slice()
            && after.id == id
        {
            // Typing on in the same note extends the last step instead of adding one.
            let mut next = current;
            next.note = note.to_owned();
            next.modified = now_rfc3339();
            *after = next.clone();
            self.replace_span(next);
            self.mark_dirty();
            return true;
        }
        let changed = self.change(id, |s| s.note = note.to_owned());
        if changed {
            self.note_run = Some(id);
        }
        changed
    }

    /// Changes span `id`'s boundaries (re-reading exact/prefix/suffix from the text).
    pub fn set_range(&mut self, id: u64, start: usize, end: usize) -> bool {
        if start >= end || end > self.text.char_len() {
            return false;
        }
        // Read from the text before borrowing the layer (no copy of the text per edit).
        let fresh = make_span(&self.text, id, start, end, "", "");
        self.change(id, |s| s.take_place(fresh))
    }

    /// Confirms a span placed by fuzzy re-anchoring where it is: removes its `anchor` flag
    /// (undoable). Returns whether it did.
    pub fn confirm_anchor(&mut self, id: u64) -> bool {
        self.change(id, |s| {
            s.attrs.remove(ANCHOR_ATTR);
        })
    }

    /// Sets the document status.
    pub fn set_status(&mut self, status: Status) {
        if self.read_only || self.layer.status == status {
            return;
        }
        self.apply(Edit::Status {
            before: self.layer.status,
            after: status,
        });
    }

    fn change(&mut self, id: u64, f: impl FnOnce(&mut Span)) -> bool {
        if self.read_only {
            return false;
        }
        let Some(before) = self.layer.span(id).cloned() else {
            return false;
        };
        let mut after = before.clone();
        f(&mut after);
        if after == before {
            return false;
        }
        after.modified = now_rfc3339();
        self.apply(Edit::Change { before, after });
        true
    }

    /// Applies an edit and records it; drops any redo branch.
    pub fn apply(&mut self, edit: Edit) {
        if self.read_only {
            return;
        }
        let is_status = matches!(edit, Edit::Status { .. });
        self.do_edit(&edit);
        self.session.history.record(edit);
        self.note_run = None;
        self.attr_run = None;
        if self.layer.status == Status::NotStarted && !is_status {
            // First real edit: the document is now in progress (not itself an undo step).
            self.layer.status = Status::InProgress;
        }
        self.mark_dirty();
    }

    /// Starts a compound edit: every edit until [`Document::end_compound`] undoes and redoes
    /// as one step (tag every match, accept a group of suggestions).
    pub fn begin_compound(&mut self) {
        self.session.history.begin_group();
    }

    /// Ends the compound edit. Returns whether it recorded anything.
    pub fn end_compound(&mut self) -> bool {
        self.session.history.end_group()
    }

    /// Undoes the last step (a whole compound edit at once). Returns the span id it touched,
    /// if any (the first one of a compound edit).
    pub fn undo(&mut self) -> Option<Option<u64>> {
        self.undo_step().map(|d| d.touched)
    }

    /// Undoes the last step and says what it was (see [`Done`]).
    pub fn undo_step(&mut self) -> Option<Done> {
        self.step_history(true)
    }

    /// Redoes the next step. Returns the span id it touched, if any.
    pub fn redo(&mut self) -> Option<Option<u64>> {
        self.redo_step().map(|d| d.touched)
    }

    /// Redoes the next step and says what it was (see [`Done`]).
    pub fn redo_step(&mut self) -> Option<Done> {
        self.step_history(false)
    }

    fn replay_done(&mut self, step: &[Edit], undo: bool) -> Done {
        self.note_run = None;
        self.attr_run = None;
        if step
            .iter()
            .any(|e| !matches!(e, Edit::Reject(_) | Edit::Elsewhere { .. }))
        {
            self.mark_dirty();
        }
        let mut done = Done {
            touched: step.iter().find_map(touched),
            what: describe_step(step),
            rejections: Vec::new(),
            elsewhere: Vec::new(),
        };
        for e in step {
            match e {
                Edit::Reject(r) => done.rejections.push(r.clone()),
                Edit::Elsewhere { step, added } => done.elsewhere.push((*step, *added != undo)),
                _ => {}
            }
        }
        done
    }

    /// Applies a step's edits in order (`undo`: inverted, in reverse order). A run of many
    /// span adds or deletes is applied as one merge over the layer (undoing "tag all" of 23,000
    /// hits: one pass instead of 23,000 removals from the middle of a 100,000-span list).
    fn replay_edits(&mut self, step: &[Edit], undo: bool) {
        let edits: Vec<&Edit> = if undo {
            step.iter().rev().collect()
        } else {
            step.iter().collect()
        };
        let mut i = 0;
        while i < edits.len() {
            let kind = |e: &Edit| match e {
                Edit::Add(_) => Some(true),
                Edit::Delete(_) => Some(false),
                _ => None,
            };
            let Some(adds) = kind(edits[i]) else {
                self.apply_one(edits[i], undo);
                i += 1;
                continue;
            };
            let run = edits[i..]
                .iter()
                .take_while(|e| kind(e) == Some(adds))
                .count();
            if run < BATCH_MIN {
                for e in &edits[i..i + run] {
                    self.apply_one(e, undo);
                }
            } else {
                let spans: Vec<&Span> = (edits[i..i + run].iter())
                    .filter_map(|e| match e {
                        Edit::Add(s) | Edit::Delete(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                if adds != undo {
                    self.insert_spans_ref(&spans);
                } else {
                    self.remove_spans_ref(&spans);
                }
            }
            i += run;
        }
    }

    fn apply_one(&mut self, edit: &Edit, undo: bool) {
        if undo {
            self.invert(edit);
        } else {
            self.do_edit(edit);
        }
    }

    fn invert(&mut self, edit: &Edit) {
        match edit {
            Edit::Add(s) => self.do_edit(&Edit::Delete(s.clone())),
            Edit::Delete(s) => self.do_edit(&Edit::Add(s.clone())),
            Edit::Change { before, after } => self.do_edit(&Edit::Change {
                before: after.clone(),
                after: before.clone(),
            }),
            Edit::Status { before, after } => self.do_edit(&Edit::Status {
                before: *after,
                after: *before,
            }),
            Edit::Reattach { orphan, span } => {
                self.remove_span(span);
                self.insert_orphan(orphan.clone());
            }
            Edit::DeleteOrphan(orphan) => self.insert_orphan(orphan.clone()),
            Edit::AddRelation(r) => self.do_edit(&Edit::DeleteRelation(r.clone())),
            Edit::DeleteRelation(r) => self.do_edit(&Edit::AddRelation(r.clone())),
            Edit::ChangeRelation { before, after } => self.do_edit(&Edit::ChangeRelation {
                before: after.clone(),
                after: before.clone(),
            }),
            Edit::Restore { before, after } => self.do_edit(&Edit::Restore {
                before: after.clone(),
                after: before.clone(),
            }),
            Edit::Reject(_) | Edit::Elsewhere { .. } => {}
        }
    }

    /// Merges `spans` into the sorted layer in one pass, replacing spans with the same sort key
    /// (as [`Self::replace_span`] does one at a time). O(n + k log k).
    fn insert_spans(&mut self, spans: &[Span]) {
        let refs: Vec<&Span> = spans.iter().collect();
        self.insert_spans_ref(&refs);
    }

    fn insert_spans_ref(&mut self, spans: &[&Span]) {
        let mut add: Vec<&Span> = spans.to_vec();
        // Stable: of two with one sort key, the later one wins, as it would one at a time.
        add.sort_by_key(|s| s.sort_key());
        let mut dedup: Vec<&Span> = Vec::with_capacity(add.len());
        for s in add {
            match dedup.last_mut() {
                Some(last) if last.sort_key() == s.sort_key() => *last = s,
                _ => dedup.push(s),
            }
        }
        let by_id = dedup.len() >= BY_ID_MIN;
        if by_id {
            self.pending.reserve_by_id(dedup.len());
        }
        for s in &dedup {
            if by_id {
                self.record_span_by_id(s.id, Some(s));
            } else {
                self.record_span(s.id, Some(s));
            }
            if self.layer.next_id <= s.id {
                self.layer.next_id = s.id.saturating_add(1);
            }
        }
        // A span whose sort key is there already replaces it where it is (found by one walk
        // along the list: a binary search per span jumped around 100,000 spans 23,000 times).
        let layer = &mut self.layer.spans;
        let mut fresh: Vec<Span> = Vec::with_capacity(dedup.len());
        let mut at = 0;
        for s in dedup {
            let key = s.sort_key();
            while layer.get(at).is_some_and(|x| x.sort_key() < key) {
                at += 1;
            }
            match layer.get_mut(at) {
                Some(x) if x.sort_key() == key => *x = s.clone(),
                _ => fresh.push(s.clone()),
            }
        }
        // The rest are merged in from the back, in place: each span moves at most once, and
        // the list's buffer is reused (a new 25 MB one per edit cost as much in page faults).
        let n = layer.len();
        layer.resize_with(n + fresh.len(), placeholder_span);
        let (mut old, mut w) = (n, layer.len());
        while let Some(new) = fresh.pop() {
            let key = new.sort_key();
            while old > 0 && layer[old - 1].sort_key() > key {
                old -= 1;
                w -= 1;
                layer.swap(old, w);
            }
            w -= 1;
            layer[w] = new;
        }
    }

    /// Removes `spans` from the layer in one pass: each found by its sort key, or by id if it
    /// changed meanwhile (as [`Self::remove_span`] does one at a time). O(n + k log k).
    fn remove_spans(&mut self, spans: &[Span]) {
        let refs: Vec<&Span> = spans.iter().collect();
        self.remove_spans_ref(&refs);
    }

    fn remove_spans_ref(&mut self, spans: &[&Span]) {
        let mut keys: Vec<(usize, usize, u64)> = spans.iter().map(|s| s.sort_key()).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut missing: HashSet<u64> = spans.iter().map(|s| s.id).collect();
        let mut k = 0;
        // `retain` visits the spans in order, so one cursor walks the sorted keys along.
        self.layer.spans.retain(|s| {
            let key = s.sort_key();
            while keys.get(k).is_some_and(|x| *x < key) {
                k += 1;
            }
            if keys.get(k) == Some(&key) {
                missing.remove(&s.id);
                return false;
            }
            true
        });
        if !missing.is_empty() {
            self.layer.spans.retain(|s| !missing.contains(&s.id));
        }
        let by_id = spans.len() >= BY_ID_MIN;
        if by_id {
            self.pending.reserve_by_id(spans.len());
        }
        for s in spans {
            if by_id {
                self.record_span_by_id(s.id, None);
            } else {
                self.record_span(s.id, None);
            }
        }
    }

    fn do_edit(&mut self, edit: &Edit) {
        match edit {
            Edit::Add(s) => {
                self.replace_span(s.clone());
                if self.layer.next_id <= s.id {
                    self.layer.next_id = s.id + 1;
                }
            }
            Edit::Delete(s) => self.remove_span(s),
            Edit::Change { before, after } => {
                if before.sort_key() != after.sort_key() {
                    self.remove_span(before);
                }
                self.replace_span(after.clone());
            }
            Edit::Status { after, .. } => self.layer.status = *after,
            Edit::Reattach { orphan, span } => {
                self.layer.orphans.retain(|o| o.span.id != orphan.span.id);
                self.replace_span(span.clone());
            }
            Edit::DeleteOrphan(orphan) => {
                self.layer.orphans.retain(|o| o.span.id != orphan.span.id);
            }
            Edit::AddRelation(r) => {
                self.put_relation(r.clone());
                if self.layer.next_id <= r.id {
                    self.layer.next_id = r.id.saturating_add(1);
                }
            }
            Edit::DeleteRelation(r) => self.layer.relations.retain(|x| x.id != r.id),
            Edit::ChangeRelation { after, .. } => self.put_relation((**after).clone()),
            Edit::Restore { after, .. } => {
                self.layer.spans = after.spans.clone();
                self.layer.orphans = after.orphans.clone();
                self.layer.relations = after.relations.clone();
                self.layer.status = after.status;
                self.layer.next_id = self.layer.next_id.max(after.next_id);
                self.record_all();
            }
            Edit::Reject(_) | Edit::Elsewhere { .. } => {}
        }
    }

    /// Removes span `s` (found by its sort key in O(log n); by id if it changed meanwhile).
    fn remove_span(&mut self, s: &Span) {
        let spans = &mut self.layer.spans;
        match spans.binary_search_by_key(&s.sort_key(), Span::sort_key) {
            Ok(at) => {
                spans.remove(at);
            }
            Err(_) => spans.retain(|x| x.id != s.id),
        }
        self.record_span(s.id, None);
    }

    /// Puts `r` in its place among the relations (sorted by id), replacing the one with its id.
    fn put_relation(&mut self, r: Relation) {
        let rels = &mut self.layer.relations;
        match rels.binary_search_by_key(&r.id, |x| x.id) {
            Ok(at) => rels[at] = r,
            Err(at) => rels.insert(at, r),
        }
    }

    fn insert_orphan(&mut self, orphan: Orphan) {
        self.layer.orphans.retain(|o| o.span.id != orphan.span.id);
        let at = self
            .layer
            .orphans
            .partition_point(|o| o.span.id < orphan.span.id);
        self.layer.orphans.insert(at, orphan);
    }

    /// Puts `span` in its place in the sorted spans, replacing the span there with its id (a
    /// changed note or tag); a span whose range changed is removed first by the caller. O(log n)
    /// to find the place.
    fn replace_span(&mut self, span: Span) {
        self.record_span(span.id, Some(&span));
        let spans = &mut self.layer.spans;
        match spans.binary_search_by_key(&span.sort_key(), Span::sort_key) {
            Ok(at) => spans[at] = span,
            Err(at) => spans.insert(at, span),
        }
    }

    /// The span changes since the last call, oldest first: each names a span and its range
    /// and tag now, or says that anything may have changed ([`LayerChange::All`]). Applying them
    /// in order to an index of the layer as it was at the last call brings it up to date.
    pub fn take_changes(&mut self) -> Vec<LayerChange> {
        std::mem::take(&mut self.changes)
    }

    /// Whether the changes not yet taken are a bulk change ([`LayerChange::All`]: many spans
    /// at once, a reload, a merge), which a view rebuilds from the layer rather than follows.
    pub fn has_bulk_changes(&self) -> bool {
        self.changes.first() == Some(&LayerChange::All)
    }

    fn record_span(&mut self, id: u64, now: Option<&Span>) {
        self.pending.record(id, now);
        self.note_span(id, now);
    }

    /// [`Self::record_span`] for a bulk edit: the autosave looks the span up when it saves
    /// rather than keeping a copy of each.
    fn record_span_by_id(&mut self, id: u64, now: Option<&Span>) {
        self.pending.record_by_id(id);
        self.note_span(id, now);
    }

    /// Span `id` changed: the id range and the change list for the window's index.
    fn note_span(&mut self, id: u64, now: Option<&Span>) {
        if let Some(max) = &mut self.max_id {
            *max = (*max).max(Some(id));
        }
        if self.changes.len() >= MAX_PENDING_CHANGES {
            self.changes.clear();
            self.changes.push(LayerChange::All);
            return;
        }
        if self.changes.first() != Some(&LayerChange::All) || self.changes.len() != 1 {
            self.changes.push(LayerChange::Span {
                id,
                now: now.map(SpanKey::of),
            });
        }
    }

    fn record_all(&mut self) {
        if let Some(r) = &mut self.recovered {
            r.stale = true;
        }
        self.pending.record_all();
        self.max_id = None;
        self.changes.clear();
        self.changes.push(LayerChange::All);
    }

    fn mark_dirty(&mut self) {
        self.session.autosave.mark_dirty();
        if let Some(r) = &mut self.recovered {
            r.stale = true;
        }
    }

    /// Saves if an edit has waited [`crate::session::autosave::SAVE_DELAY`] (or a failed save is due for retry).
    /// Returns whether a save was started.
    ///
    /// The save runs on a background writer thread, which keeps its own copy of the layer:
    /// this thread only sends the spans changed since the last save (see
    /// [`crate::session::save_mirror`]) and never copies the layer, serialises or syncs. The outcome is
    /// taken by a later call (or [`Document::save_now`]); edits made meanwhile are saved by
    /// the next one.
    pub fn save_if_due(&mut self, now: Instant) -> bool {
        self.poll_writer();
        if self.deleted_outside || self.read_only || !self.session.autosave.due(now) {
            return false;
        }
        self.serial += 1;
        let (snapshot, sent) = save_mirror::snapshot(
            &self.layer,
            &self.base,
            &mut self.pending,
            self.serial,
            self.recycle.take(),
            &self.mirror,
        );
        self.sent = Some(sent);
        if !self.session.autosave.start(
            Arc::new(snapshot),
            self.session.root.clone(),
            self.session.seen.clone(),
            Snapshot::render,
        ) {
            // No thread could be started: save here rather than not at all.
            self.unsent();
            let _ = self.save_now();
        }
        true
    }

    /// The changes of a save that was not written are pending again.
    fn unsent(&mut self) {
        if let Some(sent) = self.sent.take() {
            save_mirror::restore(&mut self.pending, sent);
        }
    }

    /// The layer as it is now is on disk: it becomes the base (the old one is reused by the
    /// writer).
    fn set_base(&mut self, layer: Arc<Layer>) {
        self.serial += 1;
        let old = std::mem::replace(
            &mut self.base,
            Base {
                serial: self.serial,
                layer,
            },
        );
        self.recycle = Some(old.layer);
        self.pending = Pending::default();
    }

    /// Whether a background save is running.
    pub fn is_saving(&self) -> bool {
        self.session.autosave.is_saving()
    }

    /// With no save running, what the last one sent and did not write is pending again.
    fn settle_sent(&mut self) {
        if !self.session.autosave.is_saving() {
            self.unsent();
        }
    }

    /// Writes pending edits now. Before writing, a file replaced by someone else is merged.
    ///
    /// # Errors
    /// The write failed; the edits stay pending and are retried.
    pub fn save_now(&mut self) -> Result<(), StoreError> {
        self.save_pending()
    }

    fn journal_notice(&mut self, kept: &Kept) {
        let text = format!(
            "unsaved edits of {} are kept in the recovery journal ({}) until they can be saved",
            self.rel,
            kept.describe()
        );
        if !self.session.notices.contains(&text) {
            self.session.notices.push(text);
        }
    }

    /// Reloads the layer from disk if someone else changed it and there are no unsaved edits.
    /// Returns whether it reloaded.
    pub fn reload_if_changed(&mut self) -> bool {
        if self.session.seen.is_some() && std::fs::symlink_metadata(&self.session.path).is_err() {
            if !self.read_only {
                self.notice_deleted();
            }
            return false;
        }
        if self.deleted_outside {
            // The file came back (a checkout that deleted and recreated it): carry on as usual,
            // merging before the next save.
            self.deleted_outside = false;
            self.session
                .autosave
                .set_state(if self.session.autosave.has_unsaved() {
                    SaveState::Pending
                } else {
                    SaveState::Saved
                });
        }
        if !self.session.may_reload() {
            return false;
        }
        // Size or time differ: the bytes decide (a `touch` is no change), once per change.
        if let Some(seen) = &self.session.seen
            && let Ok(bytes) = store::read_limited(&self.session.path, store::MAX_LAYER_BYTES)
            && crate::store::sha256_hex(&bytes) == seen.sha256()
        {
            self.session.seen = Some(Fingerprint::of(&self.session.path, &bytes));
            return false;
        }
        match crate::model::layer::load_layer_hashed(&self.session.path) {
            Ok(Some((mut layer, fp))) if layer.annotator == self.layer.annotator => {
                self.set_base(Arc::new(layer.clone()));
                let summary = reanchor::reanchor_layer(&mut layer, &self.text);
                layer.text = self.rel.clone();
                self.layer = layer;
                self.record_all();
                if summary.is_none() {
                    // The layer is the base again: the next save sends only what changes.
                    self.pending = Pending::default();
                }
                self.session.reloaded(fp);
                if let Some(summary) = summary {
                    self.session
                        .notices
                        .push(format!("{}: {summary}", self.rel));
                    self.mark_dirty();
                }
                true
            }
            _ => false,
        }
    }

    /// Merges the version someone else wrote (`theirs`) into ours, by span id, with the layer
    /// as last read or written (`base`) as the common ancestor:
    /// - a span only one side changed takes that side's version; when both changed it, ours win;
    /// - a span either side deleted, and the other did not change, stays deleted; a span we
    ///   deleted stays deleted whatever they did;
    /// - a span both sides created with the same id (two windows each took the next id) is kept
    ///   twice: theirs gets a fresh id, unless it is the same range and tag;
    /// - `next_id` ends above every id either side used.
    fn merge_theirs(&mut self, mut theirs: Layer) -> MergeReport {
        // Also when it records this text: a git merge may have joined spans made on another
        // version of it.
        reanchor::reanchor_layer(&mut theirs, &self.text);
        // The git driver's three-way merge, but ours win conflicts, and their new spans take
        // fresh ids where our undo history or our orphans still use the id.
        let relation_ids = self.session.history.edits().filter_map(|e| match e {
            Edit::AddRelation(r) | Edit::DeleteRelation(r) => Some(r.id),
            Edit::ChangeRelation { after, .. } => Some(after.id),
            _ => None,
        });
        let held: BTreeSet<u64> = (self.session.history.edits().filter_map(touched))
            .chain(relation_ids)
            .chain(self.layer.orphans.iter().map(|o| o.span.id))
            .collect();
        let out = merge::merge_layers(
            Some(&self.base.layer),
            &self.layer,
            &theirs,
            merge::Rule::session(&held),
        );
        let report = MergeReport::between(&self.layer, &out.merged, out.renumbered);
        // The header stays ours: it describes the text on screen.
        self.layer.spans = out.merged.spans;
        self.layer.orphans = out.merged.orphans;
        self.layer.relations = out.merged.relations;
        self.layer.status = out.merged.status;
        self.layer.next_id = out.merged.next_id;
        self.record_all();
        report
    }

    /// Mutable access to the layer for core operations outside the undo history (re-anchoring).
    pub fn layer_mut_unrecorded(&mut self) -> &mut Layer {
        self.mark_dirty();
        self.record_all();
        &mut self.layer
    }
}

impl Editing for Document {
    type Snapshot = Snapshot;
    type Edit = Edit;

    fn session(&self) -> &Session<Snapshot, Edit> {
        &self.session
    }
    fn session_mut(&mut self) -> &mut Session<Snapshot, Edit> {
        &mut self.session
    }
    fn render(&self) -> String {
        self.layer.to_ron()
    }
    fn render_base(&self) -> String {
        self.base.layer.to_ron()
    }
}

impl SessionOwner for Document {
    type Done = Done;

    fn replay(&mut self, step: &[Edit], undo: bool) {
        self.replay_edits(step, undo);
    }
    fn replayed(&mut self, step: &[Edit], undo: bool) -> Done {
        self.replay_done(step, undo)
    }

    fn writable(&self) -> bool {
        !self.read_only
    }
    fn settle(&mut self) {
        self.settle_sent();
    }
    fn finish_background_save(&mut self, finished: Finished<Snapshot>) {
        if !matches!(finished, Finished::Written { .. }) {
            self.unsent();
        }
        match finished {
            Finished::Written {
                fingerprint,
                snapshot,
                ..
            } => {
                self.session.seen = Some(fingerprint);
                self.sent = None;
                match snapshot.written() {
                    Some(base) => {
                        let old = std::mem::replace(&mut self.base, base);
                        self.recycle = Some(old.layer);
                    }
                    // Cannot happen (the writer fills it in before writing); if it did, the
                    // next save sends the whole layer.
                    None => self.pending.record_all(),
                }
            }
            Finished::Changed => {
                // Someone else wrote or deleted the file: merge (or notice) here, then write.
                let _ = self.save_now();
            }
            Finished::Failed(_) => self.journal_after_failure(),
        }
    }

    /// After a failed save: the unsaved edits go to the recovery journal, once per change.
    fn journal_after_failure(&mut self) {
        let (layer, base) = (&self.layer, &self.base.layer);
        let Some(kept) = self
            .session
            .journal_after_failure(|| (layer.to_ron(), base.to_ron()))
        else {
            return;
        };
        match kept {
            Ok(kept) => self.journal_notice(&kept),
            Err(e) => self.session.notices.push(format!(
                "the unsaved edits could not be kept in the recovery journal either: {e}"
            )),
        }
    }

    fn write_pending(&mut self) -> Result<(), StoreError> {
        if self.deleted_outside {
            return Err(StoreError::Write {
                path: self.session.path.display().to_string(),
                reason:
                    "the file was deleted outside this window; keep your spans to write it again"
                        .into(),
            });
        }
        let save = self.session.begin_write()?;
        if self.session.changed_on_disk(&save) {
            match crate::model::layer::load_layer_hashed(&self.session.path) {
                Ok(Some((theirs, fp))) if theirs.annotator == self.layer.annotator => {
                    let report = self.merge_theirs(theirs);
                    self.session.seen = Some(fp);
                    self.session.notices.push(format!(
                        "{} was changed outside this window; merged by span id: {report}",
                        self.session.path.display()
                    ));
                }
                Ok(Some((theirs, _))) => {
                    return Err(self.session.refuse(format!(
                        "not saved: the file on disk now belongs to annotator {:?}",
                        theirs.annotator
                    )));
                }
                Ok(None) if self.session.seen.is_some() => {
                    self.notice_deleted();
                    return Err(StoreError::Write {
                        path: self.session.path.display().to_string(),
                        reason: "the file was deleted outside this window".into(),
                    });
                }
                Ok(None) => {}
                // Never overwrite a file we could not read.
                Err(e) => return Err(self.session.unreadable(&e)),
            }
        }
        let written = save.write(self.layer.to_ron().as_bytes());
        self.session.finish_write(written)?;
        self.set_base(Arc::new(self.layer.clone()));
        Ok(())
    }
}

fn touched(e: &Edit) -> Option<u64> {
    match e {
        Edit::Add(s) | Edit::Delete(s) => Some(s.id),
        Edit::Change { after, .. } => Some(after.id),
        Edit::Status { .. } => None,
        Edit::Reattach { span, .. } => Some(span.id),
        Edit::DeleteOrphan(o) => Some(o.span.id),
        Edit::AddRelation(r) | Edit::DeleteRelation(r) => r.from.here_id(),
        Edit::ChangeRelation { after, .. } => after.from.here_id(),
        Edit::Restore { .. } | Edit::Reject(_) | Edit::Elsewhere { .. } => None,
    }
}

/// What a step did, in a few words, for the status line's "Undone: …" and "Redone: …":
/// "reject quote “begin”", "tag 23201 spans as quote", "note of claim “…”".
pub fn describe_step(step: &[Edit]) -> String {
    let step: Vec<&Edit> = (step.iter())
        .filter(|e| !matches!(e, Edit::Elsewhere { .. }))
        .collect();
    if step.is_empty() {
        // A workspace "Tag all" that found nothing new in the open document.
        return "tag all in workspace".into();
    }
    let quoted = |s: &Span| format!("{} “{}”", s.tag, short(&s.exact));
    fn same_tag<'a>(spans: &[&'a Span]) -> Option<&'a str> {
        let first = spans.first().map(|s| s.tag.as_str());
        first.filter(|t| spans.iter().all(|s| s.tag == *t))
    }
    let spans = |pick: fn(&Edit) -> Option<&Span>| -> Option<Vec<&Span>> {
        step.iter().map(|e| pick(e)).collect()
    };
    // A step that only adds, or only deletes: one span by its words, more by their count.
    let count = |spans: Vec<&Span>, verb: &str, tagged: &dyn Fn(String, &str) -> String| {
        let n = crate::wording::plural(spans.len(), "span");
        match (spans.as_slice(), same_tag(&spans)) {
            ([one], _) => format!("{verb} {}", quoted(one)),
            (_, Some(tag)) => tagged(n, tag),
            _ => format!("{verb} {n}"),
        }
    };
    // A span deleted with the relations it was an end of.
    let unlinked = step
        .iter()
        .filter(|e| matches!(e, Edit::DeleteRelation(_)))
        .count();
    if unlinked > 0
        && let [.., Edit::Delete(s)] = step.as_slice()
        && step.len() == unlinked + 1
    {
        let n = crate::wording::plural(unlinked, "relation");
        return format!("delete {} and its {n}", quoted(s));
    }
    match step.as_slice() {
        [Edit::AddRelation(r)] => return format!("link {}", r.kind),
        [Edit::DeleteRelation(r)] => return format!("unlink {}", r.kind),
        [Edit::ChangeRelation { before, after }] if before.kind != after.kind => {
            return format!("relation {} → {}", before.kind, after.kind);
        }
        [Edit::ChangeRelation { after, .. }] => return format!("change {}", after.kind),
        _ => {}
    }
    if let Some(adds) = spans(|e| match e {
        Edit::Add(s) => Some(s),
        _ => None,
    }) {
        return count(adds, "add", &|n, tag| format!("tag {n} as {tag}"));
    }
    if let Some(gone) = spans(|e| match e {
        Edit::Delete(s) => Some(s),
        _ => None,
    }) {
        return count(gone, "delete", &|n, tag| format!("delete {n} tagged {tag}"));
    }
    match step.as_slice() {
        [Edit::Reject(r)] => format!("reject {} “{}”", r.tag, short(&r.exact)),
        [Edit::Change { before, after }] => {
            if before.tag != after.tag {
                format!(
                    "retag “{}” {} → {}",
                    short(&after.exact),
                    before.tag,
                    after.tag
                )
            } else if (before.start, before.end) != (after.start, after.end) {
                format!("resize {}", quoted(after))
            } else if before.note != after.note {
                format!("note of {}", quoted(after))
            } else if let Some(name) = (before.attrs.keys().chain(after.attrs.keys()))
                .find(|k| before.attrs.get(*k) != after.attrs.get(*k))
            {
                format!("{name} of {}", quoted(after))
            } else {
                format!("change {}", quoted(after))
            }
        }
        [Edit::Status { after, .. }] => format!("mark {}", after.label()),
        [Edit::Reattach { span, .. }] => format!("reattach {}", quoted(span)),
        [Edit::DeleteOrphan(o)] => format!("delete orphan {}", quoted(&o.span)),
        [Edit::Restore { .. }] => "restore recovered edits".to_owned(),
        _ => format!("{} edits", step.len()),
    }
}

/// A span's text on one line, cut at 40 chars.
/// A span's text on one line, cut at 40 characters, for status lines.
pub(crate) fn short(s: &str) -> String {
    let line: String = (s.chars())
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .take(41)
        .collect();
    if line.chars().count() > 40 {
        let cut: String = line.chars().take(40).collect();
        format!("{}…", cut.trim_end())
    } else {
        line
    }
}

/// An empty span, which allocates nothing: a hole filled at once by the in-place merge.
fn placeholder_span() -> Span {
    Span {
        id: 0,
        start: 0,
        end: 0,
        tag: String::new(),
        exact: String::new(),
        prefix: String::new(),
        suffix: String::new(),
        note: String::new(),
        attrs: BTreeMap::new(),
        created: String::new(),
        modified: String::new(),
    }
}

/// [`make_span`] with one char-to-byte lookup instead of four: from the prefix's start, the
/// span's bounds and the suffix's end are found by walking the few chars in between.
fn span_at(text: &Text, id: u64, start: usize, end: usize, tag: &str, now: &str) -> Span {
    let from = start.saturating_sub(crate::model::layer::CONTEXT_CHARS);
    let to = (end + crate::model::layer::CONTEXT_CHARS).min(text.char_len());
    let src = text.as_str();
    let base = text.byte_of(from);
    let want = [start, end, to];
    let mut at = [src.len(); 3];
    let mut k = 0;
    for (c, (b, _)) in (from..).zip(src[base..].char_indices()) {
        while k < 3 && want[k] == c {
            at[k] = base + b;
            k += 1;
        }
        if k == 3 {
            break;
        }
    }
    Span {
        id,
        start,
        end,
        tag: tag.to_owned(),
        exact: src[at[0]..at[1]].to_owned(),
        prefix: src[base..at[0]].to_owned(),
        suffix: src[at[1]..at[2]].to_owned(),
        note: String::new(),
        attrs: BTreeMap::new(),
        created: now.to_owned(),
        modified: now.to_owned(),
    }
}

/// A layer's spans by id.
fn by_id(layer: &Layer) -> HashMap<u64, &Span> {
    layer.spans.iter().map(|s| (s.id, s)).collect()
}

/// Whether two versions of a layer hold the same spans, orphans and status.
/// A span's values after retagging from `old` to `new` (see [`Document::retag_with`]).
fn carry_attrs(
    attrs: &BTreeMap<String, String>,
    old: Option<&Tag>,
    new: &Tag,
) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = attrs
        .iter()
        .filter(|(k, v)| {
            if tags::is_reserved(k) {
                return true;
            }
            match new.attribute(k) {
                Some(a) => a.allows(v),
                // Not the new tag's: dropped if the old tag declared it, kept if nobody did.
                None => old.is_none_or(|o| o.attribute(k).is_none()),
            }
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in new.default_attrs() {
        out.entry(k).or_insert(v);
    }
    out
}

/// Unsaved edits found in the recovery journal, waiting for the user.
#[derive(Debug)]
pub struct RecoveredEdits {
    /// The layer as it was in memory when it could not be saved (re-anchored to the text).
    pub layer: Layer,
    /// The file as that session last read it, if the entry kept it.
    pub base: Option<Layer>,
    /// Where the entry is, when it was written, which layer file it was for.
    pub found: Recovered,
    /// The layer restoring would give, and what it would change.
    merged: Layer,
    plan: RestorePlan,
    /// The layer changed since `plan` was worked out.
    stale: bool,
}

impl RecoveredEdits {
    /// What restoring would do to the layer (as of the last [`Document::refresh_recovered`]).
    pub fn plan(&self) -> &RestorePlan {
        &self.plan
    }
}

/// What restoring recovered edits does to a layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestorePlan {
    /// Spans the layer gains.
    pub added: usize,
    /// Spans of the layer that change.
    pub changed: usize,
    /// Spans of the layer removed (the unsaved session deleted them; only with a base).
    pub removed: usize,
    /// Orphans gained, changed or removed.
    pub orphans: usize,
    /// The status afterwards, when it changes.
    pub status: Option<Status>,
    /// Spans of the layer the unsaved session never saw, kept (only with a base).
    pub newer_kept: usize,
    /// Whether the entry recorded the base (otherwise nothing in the layer is removed).
    pub with_base: bool,
    /// Spans changed by both sides differently (the merge notes them on the span).
    pub conflicts: usize,
}

impl RestorePlan {
    /// Whether restoring would leave the layer as it is.
    pub fn changes_nothing(&self) -> bool {
        self.added == 0
            && self.changed == 0
            && self.removed == 0
            && self.orphans == 0
            && self.status.is_none()
    }

    /// In plain words, as "Restore adds 2 spans and changes 1 from the unsaved session; the
    /// file's 1 newer span is kept". `verb` is "adds" before a restore, "added" after.
    pub fn describe(&self, done: bool) -> String {
        use crate::wording::plural;
        let (add, change, remove, set) = if done {
            ("added", "changed", "removed", "set")
        } else {
            ("adds", "changes", "removes", "sets")
        };
        let mut parts = Vec::new();
        if self.added > 0 {
            parts.push(format!("{add} {}", plural(self.added, "span")));
        }
        if self.changed > 0 {
            parts.push(format!("{change} {}", self.changed));
        }
        if self.removed > 0 {
            parts.push(format!("{remove} {}", self.removed));
        }
        if self.orphans > 0 {
            parts.push(format!("{change} {}", plural(self.orphans, "orphan")));
        }
        if let Some(status) = self.status {
            parts.push(format!("{set} the status to {}", status.label()));
        }
        let what = match parts.len() {
            0 => format!("Restore {change} nothing"),
            1 => format!("Restore {}", parts[0]),
            n => format!("Restore {} and {}", parts[..n - 1].join(", "), parts[n - 1]),
        };
        let mut out = format!("{what} from the unsaved session");
        if self.with_base {
            if self.newer_kept > 0 {
                let kept = match (self.newer_kept == 1, done) {
                    (true, false) => "span is kept",
                    (true, true) => "span was kept",
                    (false, false) => "spans are kept",
                    (false, true) => "spans were kept",
                };
                out.push_str(&format!("; the file's {} newer {kept}", self.newer_kept));
            }
        } else {
            out.push_str(
                "; this entry does not say which version of the file its edits started from, \
                 so every span now in the file is kept",
            );
        }
        if self.conflicts > 0 {
            out.push_str(&format!(
                "; {} changed on both sides (each noted on its span)",
                plural(self.conflicts, "span")
            ));
        }
        out
    }
}

/// The layer restoring `ours` (with its `base`) into `current` gives, and what it changes.
fn restore_plan(base: Option<&Layer>, ours: &Layer, current: &Layer) -> (Layer, RestorePlan) {
    let merge::Outcome {
        merged, conflicts, ..
    } = merge::merge_layers(base, ours, current, merge::Rule::DRIVER);
    // Spans both sides changed (two spans created with one id are both kept: no conflict).
    let conflicted: HashSet<&str> = conflicts
        .iter()
        .filter(|l| !l.contains("both edits created"))
        .filter_map(|l| l.split(':').next())
        .collect();
    let mut plan = RestorePlan {
        with_base: base.is_some(),
        conflicts: conflicted.len(),
        ..RestorePlan::default()
    };
    // Spans are matched by id, and by content when the merge gave one of two spans created
    // with the same id a new one (that is no change to the span).
    let now: HashMap<u64, &Span> = current.spans.iter().map(|s| (s.id, s)).collect();
    let mut by_place: HashMap<(usize, usize, &str), Vec<&Span>> = HashMap::new();
    for s in &current.spans {
        by_place
            .entry((s.start, s.end, s.tag.as_str()))
            .or_default()
            .push(s);
    }
    let same_but_id = |a: &Span, b: &Span| {
        let mut b = b.clone();
        b.id = a.id;
        *a == b
    };
    let mut unchanged: HashSet<u64> = HashSet::new();
    let mut rest = Vec::new();
    for m in &merged.spans {
        if now.get(&m.id) == Some(&m) {
            unchanged.insert(m.id);
        } else if let Some(c) = by_place
            .get(&(m.start, m.end, m.tag.as_str()))
            .and_then(|cs| {
                cs.iter()
                    .find(|c| !unchanged.contains(&c.id) && same_but_id(m, c))
            })
        {
            unchanged.insert(c.id);
        } else {
            rest.push(m);
        }
    }
    let mut accounted = unchanged.clone();
    for m in rest {
        if now.contains_key(&m.id) && accounted.insert(m.id) {
            plan.changed += 1;
        } else {
            plan.added += 1;
        }
    }
    plan.removed = now.keys().filter(|id| !accounted.contains(id)).count();
    if let Some(base) = base {
        let seen: HashSet<u64> = base.spans.iter().map(|s| s.id).collect();
        plan.newer_kept = unchanged.iter().filter(|id| !seen.contains(id)).count();
    }
    let orphans = |l: &Layer| -> BTreeMap<u64, Orphan> {
        l.orphans.iter().map(|o| (o.span.id, o.clone())).collect()
    };
    let (o_now, o_after) = (orphans(current), orphans(&merged));
    plan.orphans = o_after
        .iter()
        .filter(|(id, o)| o_now.get(id) != Some(o))
        .count()
        + o_now.keys().filter(|id| !o_after.contains_key(id)).count();
    plan.status = (merged.status != current.status).then_some(merged.status);
    (merged, plan)
}

/// The largest span or orphan id in `layer`, if it has any.
fn ids_max(layer: &Layer) -> Option<u64> {
    (layer.spans.iter().map(|s| s.id))
        .chain(layer.orphans.iter().map(|o| o.span.id))
        .max()
}

/// What merging someone else's version of the file did, for the notice shown to the user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Their spans we did not have, now kept.
    pub added: usize,
    /// Of those, how many got a fresh id because ours used the same one.
    pub renumbered: usize,
    /// Spans they changed and we had not.
    pub changed_by_them: usize,
    /// Spans they deleted and we had not changed.
    pub deleted_by_them: usize,
}

impl MergeReport {
    /// What a merge changed in `ours` to give `merged`.
    fn between(ours: &Layer, merged: &Layer, renumbered: usize) -> Self {
        let ours_by_id = by_id(ours);
        let mut report = MergeReport {
            renumbered,
            ..MergeReport::default()
        };
        let mut kept = 0;
        for s in &merged.spans {
            match ours_by_id.get(&s.id) {
                None => report.added += 1,
                Some(o) => {
                    kept += 1;
                    if *o != s {
                        report.changed_by_them += 1;
                    }
                }
            }
        }
        report.deleted_by_them = ours.spans.len().saturating_sub(kept);
        report
    }
}

impl std::fmt::Display for MergeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of their spans added ({} with a new id), {} changed and {} deleted by them; yours win on conflicts",
            self.added, self.renumbered, self.changed_by_them, self.deleted_by_them
        )
    }
}
