//! What an editing session does about its file, once for both kinds of session (an open
//! [`crate::Document`] and a [`crate::session::review::Review`]): where the file is and how it
//! looked when last read or written, the undo history, the autosave and recovery journal, the
//! messages for the user, and the steps of a direct save that do not depend on what the file
//! holds (the write stays inside the workspace, a file that changed and cannot be read is never
//! overwritten, a write's outcome decides the indicator).
//!
//! The owner keeps what only it knows: its data, how to render and merge it, and what a reload
//! means for it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::session::autosave::{Autosave, Finished, JournalFind, SaveState};
use crate::session::history::History;
use crate::session::recovery::{EntryKey, Journal, Kept, Recovered};
use crate::store::{self, Fingerprint, StoreError};

/// The file side of an editing session holding a `T` (the autosave snapshot) with undo steps
/// of `E`.
pub struct Session<T, E> {
    /// The file saved to.
    pub path: PathBuf,
    /// The workspace root: nothing is written outside it.
    pub root: PathBuf,
    /// What the file looked like when last read or written; `None` when it does not exist yet.
    pub seen: Option<Fingerprint>,
    /// The undo history.
    pub history: History<E>,
    /// When and how the file is saved (background writer, retries, indicator, journal).
    pub autosave: Autosave<T>,
    /// Messages for the user since last asked (merges, reloads, journal).
    pub notices: Vec<String>,
}

impl<T: Send + Sync + 'static, E: Clone> Session<T, E> {
    /// A session on the file at `path` (inside `root`), as read with fingerprint `seen`.
    pub fn new(path: PathBuf, root: PathBuf, seen: Option<Fingerprint>) -> Self {
        Self {
            autosave: Autosave::new(path.clone()),
            path,
            root,
            seen,
            history: History::new(),
            notices: Vec::new(),
        }
    }

    /// The save indicator's state.
    pub fn save_state(&self) -> &SaveState {
        self.autosave.state()
    }

    /// Whether there are changes not yet on disk.
    pub fn has_unsaved(&self) -> bool {
        self.autosave.has_unsaved()
    }

    /// Messages for the user since last asked.
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// Whether undo has anything to do.
    pub fn can_undo(&self) -> bool {
        self.history.can_undo()
    }

    /// Whether redo has anything to do.
    pub fn can_redo(&self) -> bool {
        self.history.can_redo()
    }

    /// Time until the next save attempt is due, for scheduling a repaint.
    pub fn next_save_in(&self, now: Instant) -> Option<Duration> {
        self.autosave.next_save_in(now)
    }

    /// Forgets the unsaved changes: the user chose to discard them (their journal entry too).
    pub fn discard_unsaved(&mut self) {
        self.autosave.discard();
    }

    /// Keeps unsaved changes in `journal` from now on, and looks there for an entry an earlier
    /// window left for this file (text `rel`, whose sha256 is `text_sha256`): `read` turns it
    /// into the owner's data, `same` says whether restoring it would change nothing (then it is
    /// removed). Returns the changes found, which wait for the user; an entry that cannot be
    /// used is left as it is and the user told (`what` the file is: "layer", "review").
    pub fn open_journal<D>(
        &mut self,
        journal: Journal,
        (rel, text_sha256, what): (&str, &str, &str),
        read: impl FnOnce(&Recovered) -> Option<D>,
        same: impl FnOnce(&D) -> bool,
    ) -> Option<(D, Recovered)> {
        let key = EntryKey::new(&self.root, &self.path, rel, text_sha256);
        match self.autosave.open_journal(journal, key, read, same) {
            JournalFind::Nothing => None,
            JournalFind::Recovered(data, found) => Some((data, found)),
            JournalFind::Unusable(entry) => {
                self.notices.push(format!(
                    "a recovery journal entry for this {what} at {} cannot be used; it was left as it is",
                    entry.display()
                ));
                None
            }
        }
    }

    /// Writes the unsaved data (`contents`) to the journal with `base`, the file as last read
    /// or written. Returns where it went.
    ///
    /// # Errors
    /// No journal is set, or no journal folder can be written.
    pub fn journal_unsaved(&mut self, contents: &str, base: &str) -> Result<Kept, StoreError> {
        self.autosave.keep_in_journal(contents, Some(base))
    }

    /// After a failed save: the unsaved data, rendered by `render` as (contents, base), go to
    /// the recovery journal, once per change. `None` when they need not (no journal, already
    /// there, or a recovered entry waits).
    pub fn journal_after_failure(
        &mut self,
        render: impl FnOnce() -> (String, String),
    ) -> Option<Result<Kept, StoreError>> {
        if !self.autosave.should_journal() {
            return None;
        }
        let (contents, base) = render();
        Some(self.journal_unsaved(&contents, &base))
    }

    /// The first steps of a direct save, through the store's one write path: the file must be
    /// inside the workspace (else the save fails and is shown as failed), and the save lock is
    /// held until the returned write is done or dropped, so another window's save cannot slip
    /// between the check, the merge and the write.
    ///
    /// # Errors
    /// The file is outside the workspace.
    pub fn begin_write(&mut self) -> Result<store::CheckedWrite, StoreError> {
        store::CheckedWrite::begin(&self.root, &self.path).inspect_err(|e| {
            self.autosave.failed(e.to_string());
        })
    }

    /// Whether the file on disk is no longer the one last read or written (checked under
    /// `save`'s lock).
    pub fn changed_on_disk(&self, save: &store::CheckedWrite) -> bool {
        !save.unchanged_since(self.seen.as_ref())
    }

    /// A save refused because of `reason` (the file changed into something that must not be
    /// overwritten): shown as failed, and returned as the write error naming the file.
    pub fn refuse(&mut self, reason: String) -> StoreError {
        self.autosave.failed(reason.clone());
        StoreError::Write {
            path: self.path.display().to_string(),
            reason,
        }
    }

    /// A save refused because the file changed on disk and cannot be read (`e`): nothing is
    /// overwritten that could not be read.
    pub fn unreadable(&mut self, e: &StoreError) -> StoreError {
        self.refuse(format!(
            "not saved: the file on disk changed and cannot be read ({e})"
        ))
    }

    /// Whether the file may be reloaded: nothing is pending, and its size or time differ from
    /// what was last read or written.
    pub fn may_reload(&self) -> bool {
        !self.autosave.has_unsaved() && !store::unchanged_by_stat(&self.path, self.seen.as_ref())
    }

    /// The file was read again as it is now (`fp`): the undo history no longer applies, and
    /// the user is told.
    pub fn reloaded(&mut self, fp: Fingerprint) {
        self.seen = Some(fp);
        self.history.clear();
        self.notices.push(format!(
            "{} was changed outside this window; reloaded",
            self.path.display()
        ));
    }

    /// Takes a direct write's outcome: on success the file is `seen` as written and everything
    /// is saved; on failure the indicator says why and a retry is scheduled.
    ///
    /// # Errors
    /// The write's error, as it was.
    pub fn finish_write(
        &mut self,
        written: Result<Fingerprint, StoreError>,
    ) -> Result<(), StoreError> {
        match written {
            Ok(fp) => {
                self.seen = Some(fp);
                self.autosave.written();
                Ok(())
            }
            Err(e) => {
                self.autosave.failed(e.to_string());
                Err(e)
            }
        }
    }
}

/// What a window asks of either editing session (an open document or a review), answered
/// alike by its [`Session`]: the save indicator, unsaved changes, notices, undo and redo, a
/// copy elsewhere and the recovery journal.
pub trait Editing {
    type Snapshot: Send + Sync + 'static;
    type Edit: Clone;

    fn session(&self) -> &Session<Self::Snapshot, Self::Edit>;
    fn session_mut(&mut self) -> &mut Session<Self::Snapshot, Self::Edit>;
    /// The file's contents as a save would write them now.
    fn render(&self) -> String;
    /// The file's contents as last read or written (a restore's merge base).
    fn render_base(&self) -> String;

    /// The save indicator's state.
    fn save_state(&self) -> &SaveState {
        self.session().save_state()
    }
    /// Whether there are changes not yet on disk.
    fn has_unsaved(&self) -> bool {
        self.session().has_unsaved()
    }
    /// Messages for the user since last asked (merges, reloads, the journal).
    fn take_notices(&mut self) -> Vec<String> {
        self.session_mut().take_notices()
    }
    /// Whether undo has anything to do.
    fn can_undo(&self) -> bool {
        self.session().can_undo()
    }
    /// Whether redo has anything to do.
    fn can_redo(&self) -> bool {
        self.session().can_redo()
    }
    /// Time until the next save attempt is due, for scheduling a repaint.
    fn next_save_in(&self, now: Instant) -> Option<Duration> {
        self.session().next_save_in(now)
    }
    /// Forgets the unsaved changes: the user chose to discard them (their journal entry goes
    /// too).
    fn discard_unsaved(&mut self) {
        self.session_mut().discard_unsaved();
    }
    /// Writes the data as it is in memory to `path` (outside the workspace is fine), for
    /// "Save a copy elsewhere…" when the file itself cannot be written.
    ///
    /// # Errors
    /// The copy cannot be written, naming the file.
    fn save_copy(&self, path: &Path) -> Result<(), StoreError> {
        store::write_copy(path, self.render().as_bytes())
    }
    /// Writes the unsaved changes to the recovery journal now (before quitting with changes
    /// that could not be saved). Returns where they went.
    ///
    /// # Errors
    /// No journal is set, or no journal folder can be written.
    fn journal_unsaved(&mut self) -> Result<Kept, StoreError> {
        let (contents, base) = (self.render(), self.render_base());
        self.session_mut().journal_unsaved(&contents, &base)
    }
}

/// The owner of a [`Session`] (a document or a review): its data and what only it knows,
/// for the steps of saving that run alike for every owner ([`SessionOwner::save_pending`],
/// [`SessionOwner::poll_writer`]).
pub(crate) trait SessionOwner: Editing {
    /// What undoing or redoing a step tells the caller.
    type Done;

    /// Whether the owner writes its file at all (a document browsed read-only does not).
    fn writable(&self) -> bool {
        true
    }
    /// Takes a finished background save's outcome.
    fn finish_background_save(&mut self, finished: Finished<Self::Snapshot>);
    /// Once no background save runs: what a save sent and did not write is pending again.
    fn settle(&mut self) {}
    /// Writes the pending changes directly, merging a version someone else wrote first.
    fn write_pending(&mut self) -> Result<(), StoreError>;
    /// After a failed save: the unsaved changes go to the recovery journal.
    fn journal_after_failure(&mut self);

    /// Applies a step's edits to the owner's data: in order (redo), or each inverted in
    /// reverse order (`undo`).
    fn replay(&mut self, step: &[Self::Edit], undo: bool);
    /// After a step was replayed: what is now unsaved, and what the step was.
    fn replayed(&mut self, step: &[Self::Edit], undo: bool) -> Self::Done;

    /// Undoes (`undo`) or redoes the step at the history's cursor, if there is one and the
    /// owner writes its file. The step is lent out of the history, not copied (a "tag all"
    /// step holds 23,000 spans), and given back once replayed.
    fn step_history(&mut self, undo: bool) -> Option<Self::Done> {
        if !self.writable() {
            return None;
        }
        let history = &mut self.session_mut().history;
        let (at, step) = if undo {
            history.take_undo()?
        } else {
            history.take_redo()?
        };
        self.replay(&step, undo);
        let done = self.replayed(&step, undo);
        self.session_mut().history.give_back(at, step);
        Some(done)
    }

    /// Takes a finished background save's outcome, if any (without waiting).
    fn poll_writer(&mut self) {
        if let Some(finished) = self.session_mut().autosave.poll() {
            self.finish_background_save(finished);
        }
        self.settle();
    }

    /// Writes pending changes now: a running background save first (its outcome decides
    /// what is left to write), then a direct write; a failure goes to the journal.
    fn save_pending(&mut self) -> Result<(), StoreError> {
        if let Some(finished) = self.session_mut().autosave.wait() {
            self.finish_background_save(finished);
        }
        self.settle();
        if !self.writable() || !self.session().has_unsaved() {
            return Ok(());
        }
        let result = self.write_pending();
        if result.is_err() {
            self.journal_after_failure();
        }
        result
    }
}
