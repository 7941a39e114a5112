//! The on-disk side of an edited layer, one engine for the editor ([`crate::Document`]) and
//! for review ([`crate::session::review::Review`]): when a save is due, the background writer and its
//! snapshots, retries after a failure, the save indicator's state, and the recovery journal.
//!
//! The owner keeps what only it knows: how to merge a version someone else wrote, and what the
//! file means. It asks [`Autosave::due`], hands over an immutable snapshot with
//! [`Autosave::start`], and later takes the outcome from [`Autosave::poll`]: written (its
//! fingerprint and the snapshot, the new common ancestor for merges), changed on disk (the
//! owner merges and saves), or failed (kept in the journal, retried).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::session::recovery::{EntryKey, Journal, Kept, Recovered};
use crate::store::writer::{Job, Outcome, Writer};
use crate::store::{Fingerprint, StoreError};

/// How long an edit may wait before it is written.
pub const SAVE_DELAY: Duration = Duration::from_millis(300);
/// How long to wait before retrying a failed save.
pub const RETRY_DELAY: Duration = Duration::from_secs(2);

/// What the save indicator shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveState {
    Saved,
    /// Edits not yet on disk.
    Pending,
    /// The last attempt failed; it will be retried.
    Failed(String),
}

/// What a background save came to, for the owner.
#[derive(Debug)]
pub enum Finished<T> {
    /// The snapshot is on disk with this fingerprint. `latest` says whether it included the
    /// last edit (otherwise the edits made meanwhile are still pending).
    Written {
        fingerprint: Fingerprint,
        snapshot: Arc<T>,
        latest: bool,
    },
    /// The file changed on disk since it was read: nothing was written; merge and save.
    Changed,
    /// The write failed; the state says so and a retry is scheduled.
    Failed(StoreError),
}

/// What [`Autosave::open_journal`] found.
#[derive(Debug)]
pub enum JournalFind<D> {
    /// No entry, or one whose changes are already on disk (it was removed).
    Nothing,
    /// Changes an earlier window could not save, and where they are.
    Recovered(D, Recovered),
    /// An entry that cannot be read as this file's data; left as it is.
    Unusable(PathBuf),
}

/// Autosave state for one file holding a `T`.
pub struct Autosave<T> {
    path: PathBuf,
    dirty_since: Option<Instant>,
    retry_at: Option<Instant>,
    state: SaveState,
    /// Counts edits, so a finished background save knows whether it included the latest.
    generation: u64,
    journal: Option<Journal>,
    /// What the journal knows this file by (its place in the workspace and its text).
    key: Option<EntryKey>,
    /// An entry found for this file under another name (its workspace has moved since), removed
    /// with this file's own.
    found_entry: Option<PathBuf>,
    /// Whether the journal holds the current unsaved edits.
    journaled: bool,
    /// Whether the journal may hold an entry for this file (so a save removes it).
    may_hold: bool,
    /// A recovered journal entry waits for the user: leave it alone.
    journal_held: bool,
    /// Started by the first background save (commands that only save directly never start one).
    writer: Option<Writer>,
    in_flight: Option<(u64, Arc<T>)>,
}

impl<T> std::fmt::Debug for Autosave<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Autosave")
            .field("path", &self.path)
            .field("state", &self.state)
            .field("saving", &self.in_flight.is_some())
            .finish()
    }
}

impl<T: Send + Sync + 'static> Autosave<T> {
    /// Autosave for the file at `path`, with nothing unsaved.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            dirty_since: None,
            retry_at: None,
            state: SaveState::Saved,
            generation: 0,
            journal: None,
            key: None,
            found_entry: None,
            journaled: false,
            may_hold: true,
            journal_held: false,
            writer: None,
            in_flight: None,
        }
    }

    /// The file saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records that the data changed and must be saved.
    pub fn mark_dirty(&mut self) {
        self.journaled = false;
        self.generation = self.generation.wrapping_add(1);
        if self.dirty_since.is_none() {
            self.dirty_since = Some(Instant::now());
        }
        if !matches!(self.state, SaveState::Failed(_)) {
            self.state = SaveState::Pending;
        }
    }

    /// Whether there are changes not yet on disk (a save in flight counts until it is done).
    pub fn has_unsaved(&self) -> bool {
        self.dirty_since.is_some()
    }

    /// What the save indicator shows.
    pub fn state(&self) -> &SaveState {
        &self.state
    }

    /// Whether a background save is running.
    pub fn is_saving(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Whether a save should start now: changes have waited [`SAVE_DELAY`], no save is
    /// running, and a failed save's retry time has come.
    pub fn due(&self, now: Instant) -> bool {
        let Some(since) = self.dirty_since else {
            return false;
        };
        self.in_flight.is_none()
            && now.duration_since(since) >= SAVE_DELAY
            && self.retry_at.is_none_or(|r| now >= r)
    }

    /// Time until something is due (a save, a retry, or looking for the writer's outcome).
    pub fn next_save_in(&self, now: Instant) -> Option<Duration> {
        if self.in_flight.is_some() {
            return Some(Duration::from_millis(15));
        }
        let since = self.dirty_since?;
        let due = match self.retry_at {
            Some(r) => r.max(since + SAVE_DELAY),
            None => since + SAVE_DELAY,
        };
        Some(due.saturating_duration_since(now))
    }

    /// Hands `snapshot` to the writer thread, which checks that the file is still `seen`,
    /// serialises it with `render` and writes it. Returns `false` when no writer thread could
    /// be started (the owner then saves directly).
    pub fn start(
        &mut self,
        snapshot: Arc<T>,
        root: PathBuf,
        seen: Option<Fingerprint>,
        render: fn(&T) -> String,
    ) -> bool {
        if self.writer.is_none() {
            self.writer = Writer::spawn().ok();
        }
        let for_writer = snapshot.clone();
        let job = Job {
            path: self.path.clone(),
            root,
            seen,
            generation: self.generation,
            render: Box::new(move || render(&for_writer)),
        };
        let submitted = self.writer.as_mut().is_some_and(|w| w.submit(job));
        if submitted {
            self.in_flight = Some((self.generation, snapshot));
        }
        submitted
    }

    /// A finished background save, if there is one, without waiting.
    pub fn poll(&mut self) -> Option<Finished<T>> {
        self.in_flight.as_ref()?;
        let outcome = self.writer.as_mut()?.try_outcome()?;
        self.finish(Some(outcome))
    }

    /// Waits for a running background save (before a direct save, or quitting).
    pub fn wait(&mut self) -> Option<Finished<T>> {
        self.in_flight.as_ref()?;
        let outcome = self.writer.as_mut().and_then(Writer::wait);
        self.finish(outcome)
    }

    fn finish(&mut self, outcome: Option<Outcome>) -> Option<Finished<T>> {
        let (generation, snapshot) = self.in_flight.take()?;
        match outcome? {
            Outcome::Written { fingerprint, .. } => {
                let latest = generation == self.generation;
                if latest {
                    self.written();
                } else {
                    self.retry_at = None;
                    self.state = SaveState::Pending;
                }
                Some(Finished::Written {
                    fingerprint,
                    snapshot,
                    latest,
                })
            }
            Outcome::Changed { .. } => Some(Finished::Changed),
            Outcome::Failed { error, .. } => {
                self.failed(error.to_string());
                Some(Finished::Failed(error))
            }
        }
    }

    /// Everything is on disk: the indicator says saved and the journal entry is removed.
    pub fn written(&mut self) {
        self.dirty_since = None;
        self.retry_at = None;
        self.state = SaveState::Saved;
        self.clear_journal();
    }

    /// A save failed for `reason`: shown, and retried after [`RETRY_DELAY`].
    pub fn failed(&mut self, reason: String) {
        self.state = SaveState::Failed(reason);
        self.retry_at = Some(Instant::now() + RETRY_DELAY);
    }

    /// Sets the indicator without touching what is pending (a state only the owner knows).
    pub fn set_state(&mut self, state: SaveState) {
        self.state = state;
    }

    /// Forgets the unsaved changes, at the user's word (their journal entry goes too).
    pub fn discard(&mut self) {
        if self.dirty_since.take().is_some() {
            self.clear_journal();
        }
        self.retry_at = None;
        self.state = SaveState::Saved;
    }

    /// Keeps unsaved changes in `journal` from now on, under `key`, and looks there for an
    /// entry an earlier window left for this file (perhaps when its workspace was elsewhere).
    /// `read` turns the entry into the owner's data (`None` when it cannot be used); `same` says
    /// whether restoring it would change nothing, in which case the changes arrived after all
    /// and the entry is removed. An entry that differs is held (left alone) until
    /// [`Autosave::release_recovered`].
    pub fn open_journal<D>(
        &mut self,
        journal: Journal,
        key: EntryKey,
        read: impl FnOnce(&Recovered) -> Option<D>,
        same: impl FnOnce(&D) -> bool,
    ) -> JournalFind<D> {
        let found = journal.find(&key);
        self.journal = Some(journal);
        self.key = Some(key);
        let Some(found) = found else {
            return JournalFind::Nothing;
        };
        self.found_entry = Some(found.entry.clone());
        match read(&found) {
            Some(data) if same(&data) => {
                self.clear_journal();
                JournalFind::Nothing
            }
            Some(data) => {
                self.journal_held = true;
                JournalFind::Recovered(data, found)
            }
            None => {
                // Left as it is: a save removes this file's own entry only.
                self.found_entry = None;
                JournalFind::Unusable(found.entry)
            }
        }
    }

    /// The user chose what to do with a recovered entry: it is no longer held, and with
    /// `discard` it is deleted (restored changes replace it at the next save).
    pub fn release_recovered(&mut self, discard: bool) {
        self.journal_held = false;
        if discard {
            self.clear_journal();
        }
    }

    /// Writes `contents` (the unsaved data, serialised) to the journal, with `base` (the file
    /// as last read or written, where the unsaved changes started). Returns where it went.
    ///
    /// # Errors
    /// No journal is set, or no journal folder can be written.
    pub fn keep_in_journal(
        &mut self,
        contents: &str,
        base: Option<&str>,
    ) -> Result<Kept, StoreError> {
        let Some(journal) = &self.journal else {
            return Err(StoreError::Write {
                path: self.path.display().to_string(),
                reason: "no recovery journal folder is known (no home folder)".into(),
            });
        };
        let key = self
            .key
            .clone()
            .unwrap_or_else(|| EntryKey::of_path(&self.path));
        self.may_hold = true;
        let kept = journal.keep(&key, contents, base)?;
        self.journaled = true;
        Ok(kept)
    }

    /// Whether a failed save should put the changes in the journal now (a journal is set, no
    /// recovered entry waits, and these changes are not in it yet).
    pub fn should_journal(&self) -> bool {
        self.journal.is_some() && !self.journaled && !self.journal_held
    }

    fn clear_journal(&mut self) {
        if !self.journal_held
            && self.may_hold
            && let Some(j) = &self.journal
        {
            self.may_hold = false;
            let key = self
                .key
                .clone()
                .unwrap_or_else(|| EntryKey::of_path(&self.path));
            j.clear(&key, self.found_entry.take().as_deref());
        }
    }
}
