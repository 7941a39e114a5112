//! An open document: one text, one annotator's layer on it, the undo history, and autosave.
//!
//! Every edit goes through [`Document::apply`], which records it for undo and marks the layer
//! dirty. [`Document::save_if_due`] writes it within a second; before writing it checks that no
//! one else replaced the file since it was read, and merges by span id if they did.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::layer::{Layer, Span, Status, make_span, now_rfc3339};
use crate::store::{self, Fingerprint, StoreError};
use crate::text::{Text, TextError};
use crate::workspace::Workspace;

/// How long an edit may wait before it is written.
pub const SAVE_DELAY: Duration = Duration::from_millis(300);
/// How long to wait before retrying a failed save.
pub const RETRY_DELAY: Duration = Duration::from_secs(2);

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
}

/// What the save indicator shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveState {
    Saved,
    /// Edits not yet on disk.
    Pending,
    /// The last attempt failed; it will be retried.
    Failed(String),
}

/// An open document.
pub struct Document {
    rel: String,
    text: Text,
    layer: Layer,
    layer_path: PathBuf,
    /// What the file looked like when last read or written; `None` when it does not exist yet.
    seen: Option<Fingerprint>,
    read_only: bool,
    history: Vec<Edit>,
    cursor: usize,
    /// Whether the last edit was a note change that further typing may extend.
    note_run: Option<u64>,
    dirty_since: Option<Instant>,
    retry_at: Option<Instant>,
    save_state: SaveState,
    notices: Vec<String>,
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
        let text_path = ws
            .text_path(rel)
            .ok_or_else(|| OpenError::NotInWorkspace(rel.to_owned()))?;
        let layer_path = ws
            .layer_path(annotator, rel)
            .ok_or_else(|| OpenError::NotInWorkspace(rel.to_owned()))?;
        let text = Text::load(&text_path)?;
        Self::from_parts(ws, rel, text, annotator, &layer_path, read_only)
    }

    fn from_parts(
        ws: &Workspace,
        rel: &str,
        text: Text,
        annotator: &str,
        layer_path: &Path,
        read_only: bool,
    ) -> Result<Self, OpenError> {
        let (layer, seen) = match store::load_layer(layer_path)? {
            Some((layer, fp)) => (layer, Some(fp)),
            None => (Layer::new(rel, &text, annotator), None),
        };
        let path_shown = layer_path.display().to_string();
        let invalid = |problem: String| OpenError::Invalid {
            path: path_shown.clone(),
            problem,
        };
        if layer.annotator != annotator {
            return Err(invalid(format!(
                "annotator {:?} in the file differs from its folder {annotator:?}",
                layer.annotator
            )));
        }
        let problems = layer.problems(Some(&text), ws.tags());
        if let Some(p) = problems.iter().find(|p| !p.is_stale()) {
            return Err(invalid(p.to_string()));
        }
        let mut doc = Self {
            rel: rel.to_owned(),
            text,
            layer,
            layer_path: layer_path.to_path_buf(),
            seen,
            read_only,
            history: Vec::new(),
            cursor: 0,
            note_run: None,
            dirty_since: None,
            retry_at: None,
            save_state: SaveState::Saved,
            notices: Vec::new(),
        };
        doc.layer.text = rel.to_owned();
        Ok(doc)
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
        &self.layer_path
    }

    /// Whether this document is browsed read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Whether the text changed since the layer was written (needs re-anchoring).
    pub fn is_stale(&self) -> bool {
        self.layer.text_sha256 != self.text.sha256()
    }

    /// The save indicator's state.
    pub fn save_state(&self) -> &SaveState {
        &self.save_state
    }

    /// Whether there are edits not yet on disk.
    pub fn has_unsaved(&self) -> bool {
        self.dirty_since.is_some()
    }

    /// Messages for the user since last asked (merges, reloads).
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// Whether undo / redo have anything to do.
    pub fn can_undo(&self) -> bool {
        self.cursor > 0
    }
    pub fn can_redo(&self) -> bool {
        self.cursor < self.history.len()
    }

    /// Creates a span over `[start, end)` with `tag`. Returns its id.
    pub fn add_span(&mut self, start: usize, end: usize, tag: &str) -> Option<u64> {
        if self.read_only || start >= end || end > self.text.char_len() {
            return None;
        }
        let id = self.layer.take_id();
        let span = make_span(&self.text, id, start, end, tag, &now_rfc3339());
        self.apply(Edit::Add(span));
        Some(id)
    }

    /// Removes span `id`.
    pub fn delete_span(&mut self, id: u64) -> bool {
        match self.layer.span(id).cloned() {
            Some(s) if !self.read_only => {
                self.apply(Edit::Delete(s));
                true
            }
            _ => false,
        }
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
        let extend = self.note_run == Some(id) && self.cursor == self.history.len();
        if extend && let Some(Edit::Change { before, .. }) = self.history.last().cloned() {
            let Some(current) = self.layer.span(id).cloned() else {
                return false;
            };
            let mut after = current.clone();
            after.note = note.to_owned();
            after.modified = now_rfc3339();
            self.replace_span(after.clone());
            self.history.pop();
            self.history.push(Edit::Change { before, after });
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
        let text = self.text.clone();
        self.change(id, |s| {
            let fresh = make_span(&text, s.id, start, end, &s.tag, "");
            s.start = start;
            s.end = end;
            s.exact = fresh.exact;
            s.prefix = fresh.prefix;
            s.suffix = fresh.suffix;
            s.attrs.remove("anchor");
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
        self.history.truncate(self.cursor);
        self.do_edit(&edit);
        self.history.push(edit);
        self.cursor = self.history.len();
        self.note_run = None;
        if self.layer.status == Status::NotStarted
            && !matches!(self.history.last(), Some(Edit::Status { .. }))
        {
            // First real edit: the document is now in progress (not itself an undo step).
            self.layer.status = Status::InProgress;
        }
        self.mark_dirty();
    }

    /// Undoes the last edit. Returns the span id it touched, if any.
    pub fn undo(&mut self) -> Option<Option<u64>> {
        if self.read_only || self.cursor == 0 {
            return None;
        }
        self.cursor -= 1;
        let edit = self.history[self.cursor].clone();
        let inverse = match &edit {
            Edit::Add(s) => Edit::Delete(s.clone()),
            Edit::Delete(s) => Edit::Add(s.clone()),
            Edit::Change { before, after } => Edit::Change {
                before: after.clone(),
                after: before.clone(),
            },
            Edit::Status { before, after } => Edit::Status {
                before: *after,
                after: *before,
            },
        };
        self.do_edit(&inverse);
        self.note_run = None;
        self.mark_dirty();
        Some(touched(&inverse))
    }

    /// Redoes the next edit. Returns the span id it touched, if any.
    pub fn redo(&mut self) -> Option<Option<u64>> {
        if self.read_only || self.cursor >= self.history.len() {
            return None;
        }
        let edit = self.history[self.cursor].clone();
        self.do_edit(&edit);
        self.cursor += 1;
        self.note_run = None;
        self.mark_dirty();
        Some(touched(&edit))
    }

    fn do_edit(&mut self, edit: &Edit) {
        match edit {
            Edit::Add(s) => {
                self.layer.spans.retain(|x| x.id != s.id);
                let at = self
                    .layer
                    .spans
                    .partition_point(|x| x.sort_key() < s.sort_key());
                self.layer.spans.insert(at, s.clone());
                if self.layer.next_id <= s.id {
                    self.layer.next_id = s.id + 1;
                }
            }
            Edit::Delete(s) => self.layer.spans.retain(|x| x.id != s.id),
            Edit::Change { after, .. } => self.replace_span(after.clone()),
            Edit::Status { after, .. } => self.layer.status = *after,
        }
    }

    fn replace_span(&mut self, span: Span) {
        self.layer.spans.retain(|x| x.id != span.id);
        let at = self
            .layer
            .spans
            .partition_point(|x| x.sort_key() < span.sort_key());
        self.layer.spans.insert(at, span);
    }

    fn mark_dirty(&mut self) {
        if self.dirty_since.is_none() {
            self.dirty_since = Some(Instant::now());
        }
        if !matches!(self.save_state, SaveState::Failed(_)) {
            self.save_state = SaveState::Pending;
        }
    }

    /// Saves if an edit has waited [`SAVE_DELAY`] (or a failed save is due for retry).
    /// Returns whether a write was attempted.
    pub fn save_if_due(&mut self, now: Instant) -> bool {
        let Some(since) = self.dirty_since else {
            return false;
        };
        if now.duration_since(since) < SAVE_DELAY {
            return false;
        }
        if let Some(retry) = self.retry_at
            && now < retry
        {
            return false;
        }
        let _ = self.save_now();
        true
    }

    /// Time until the next save attempt is due, for scheduling a repaint.
    pub fn next_save_in(&self, now: Instant) -> Option<Duration> {
        let since = self.dirty_since?;
        let due = match self.retry_at {
            Some(r) => r.max(since + SAVE_DELAY),
            None => since + SAVE_DELAY,
        };
        Some(due.saturating_duration_since(now))
    }

    /// Writes pending edits now. Before writing, a file replaced by someone else is merged.
    ///
    /// # Errors
    /// The write failed; the edits stay pending and are retried.
    pub fn save_now(&mut self) -> Result<(), StoreError> {
        if self.read_only || self.dirty_since.is_none() {
            return Ok(());
        }
        if !store::unchanged_since(&self.layer_path, self.seen.as_ref()) {
            match store::load_layer(&self.layer_path) {
                Ok(Some((theirs, fp))) => {
                    let added = self.merge_theirs(&theirs);
                    self.seen = Some(fp);
                    self.notices.push(format!(
                        "{} was changed outside this window; merged by span id ({added} of their spans kept, yours win on conflicts)",
                        self.layer_path.display()
                    ));
                }
                Ok(None) => {
                    self.seen = None;
                }
                Err(e) => {
                    // Never overwrite a file we could not read.
                    let msg = format!("not saved: the file on disk changed and cannot be read ({e})");
                    self.save_state = SaveState::Failed(msg.clone());
                    self.retry_at = Some(Instant::now() + RETRY_DELAY);
                    return Err(StoreError::Write {
                        path: self.layer_path.display().to_string(),
                        reason: msg,
                    });
                }
            }
        }
        match store::save_layer(&self.layer_path, &self.layer) {
            Ok(fp) => {
                self.seen = Some(fp);
                self.dirty_since = None;
                self.retry_at = None;
                self.save_state = SaveState::Saved;
                Ok(())
            }
            Err(e) => {
                self.save_state = SaveState::Failed(e.to_string());
                self.retry_at = Some(Instant::now() + RETRY_DELAY);
                Err(e)
            }
        }
    }

    /// Reloads the layer from disk if someone else changed it and there are no unsaved edits.
    /// Returns whether it reloaded.
    pub fn reload_if_changed(&mut self) -> bool {
        if self.dirty_since.is_some() || store::unchanged_since(&self.layer_path, self.seen.as_ref())
        {
            return false;
        }
        match store::load_layer(&self.layer_path) {
            Ok(Some((layer, fp))) if layer.annotator == self.layer.annotator => {
                self.layer = layer;
                self.seen = Some(fp);
                self.history.clear();
                self.cursor = 0;
                self.notices.push(format!(
                    "{} was changed outside this window; reloaded",
                    self.layer_path.display()
                ));
                true
            }
            _ => false,
        }
    }

    /// Merges another version of this layer: their spans are kept unless they collide with ours
    /// (same id). Ours win. Returns how many of theirs were added.
    fn merge_theirs(&mut self, theirs: &Layer) -> usize {
        let mut added = 0;
        let ours_ids: std::collections::HashSet<u64> =
            self.history.iter().filter_map(touched).collect();
        for s in &theirs.spans {
            let ours = self.layer.span(s.id).is_some();
            let we_deleted = !ours && ours_ids.contains(&s.id);
            if !ours && !we_deleted && s.end <= self.text.char_len() {
                self.replace_span(s.clone());
                added += 1;
            }
        }
        if theirs.next_id > self.layer.next_id {
            self.layer.next_id = theirs.next_id;
        }
        for o in &theirs.orphans {
            if !self.layer.orphans.iter().any(|x| x.span.id == o.span.id) {
                self.layer.orphans.push(o.clone());
            }
        }
        self.layer.normalize();
        added
    }

    /// Mutable access to the layer for core operations outside the undo history (re-anchoring).
    pub fn layer_mut_unrecorded(&mut self) -> &mut Layer {
        self.mark_dirty();
        &mut self.layer
    }
}

fn touched(e: &Edit) -> Option<u64> {
    match e {
        Edit::Add(s) | Edit::Delete(s) => Some(s.id),
        Edit::Change { after, .. } => Some(after.id),
        Edit::Status { .. } => None,
    }
}
