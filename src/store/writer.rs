//! Saving off the UI thread: a writer thread takes an immutable snapshot of a layer, checks
//! that the file is still the one last read, serialises the snapshot and writes it atomically.
//! The UI thread only clones a pointer and, a frame later, reads the outcome.
//!
//! The writer never merges: when the file changed on disk it reports [`Outcome::Changed`] and
//! writes nothing, and the owner merges on its side and saves again. So the check-then-write
//! rules of [`crate::store`] (one lock per file across processes, never overwrite what was not
//! read, never write through a link or a read-only file) hold exactly as for a direct save.

use std::path::PathBuf;
use std::sync::mpsc;

use crate::store::{self, Fingerprint, StoreError};

/// One save for the writer thread.
pub struct Job {
    /// The file to write.
    pub path: PathBuf,
    /// The workspace root: nothing is written outside it.
    pub root: PathBuf,
    /// What the file looked like when last read or written; `None` when it did not exist.
    pub seen: Option<Fingerprint>,
    /// Which edit this snapshot includes, echoed in the outcome.
    pub generation: u64,
    /// Serialises the snapshot; runs on the writer thread.
    pub render: Box<dyn FnOnce() -> String + Send>,
}

/// What became of a [`Job`].
#[derive(Debug)]
pub enum Outcome {
    /// Written; the file now has this fingerprint.
    Written {
        generation: u64,
        fingerprint: Fingerprint,
    },
    /// The file is no longer the one last read (someone else wrote or deleted it): nothing was
    /// written. The owner merges and saves again.
    Changed { generation: u64 },
    /// The write failed; the file is as it was.
    Failed { generation: u64, error: StoreError },
}

/// A background thread that saves one layer file at a time, in the order asked.
pub struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    outcomes: mpsc::Receiver<Outcome>,
    thread: Option<std::thread::JoinHandle<()>>,
    in_flight: usize,
}

impl Writer {
    /// Starts the writer thread.
    ///
    /// # Errors
    /// The thread cannot be started.
    pub fn spawn() -> std::io::Result<Self> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (outbox, outcomes) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("layer writer".into())
            .spawn(move || {
                for job in inbox {
                    let outcome = save(job);
                    if outbox.send(outcome).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Self {
            jobs: Some(jobs),
            outcomes,
            thread: Some(thread),
            in_flight: 0,
        })
    }

    /// Queues a save. Returns `false` if the thread is gone (the job is then not run).
    pub fn submit(&mut self, job: Job) -> bool {
        let sent = self.jobs.as_ref().is_some_and(|tx| tx.send(job).is_ok());
        if sent {
            self.in_flight += 1;
        }
        sent
    }

    /// Whether a save is queued or running.
    pub fn busy(&self) -> bool {
        self.in_flight > 0
    }

    /// The next finished save, if there is one, without waiting.
    pub fn try_outcome(&mut self) -> Option<Outcome> {
        let outcome = self.outcomes.try_recv().ok()?;
        self.in_flight = self.in_flight.saturating_sub(1);
        Some(outcome)
    }

    /// Waits for the next finished save; `None` when nothing is in flight or the thread died.
    pub fn wait(&mut self) -> Option<Outcome> {
        if self.in_flight == 0 {
            return None;
        }
        match self.outcomes.recv() {
            Ok(outcome) => {
                self.in_flight -= 1;
                Some(outcome)
            }
            Err(_) => {
                self.in_flight = 0;
                None
            }
        }
    }
}

impl Drop for Writer {
    /// Lets the thread finish what it was given (a save is never cut off), then ends it.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn save(job: Job) -> Outcome {
    let generation = job.generation;
    let failed = |error| Outcome::Failed { generation, error };
    // Check and write under one lock, so another window's save cannot slip between.
    let save = match store::CheckedWrite::begin(&job.root, &job.path) {
        Ok(save) => save,
        Err(e) => return failed(e),
    };
    if !save.unchanged_since(job.seen.as_ref()) {
        return Outcome::Changed { generation };
    }
    let text = (job.render)();
    match save.write(text.as_bytes()) {
        Ok(fingerprint) => Outcome::Written {
            generation,
            fingerprint,
        },
        Err(e) => failed(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_written_in_order_and_a_changed_file_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ron");
        let mut w = Writer::spawn().unwrap();
        let job = |generation, seen, text: &'static str| Job {
            path: path.clone(),
            root: dir.path().to_path_buf(),
            seen,
            generation,
            render: Box::new(move || text.to_owned()),
        };
        assert!(w.submit(job(1, None, "one")));
        let Some(Outcome::Written { fingerprint, .. }) = w.wait() else {
            panic!("written");
        };
        assert!(w.submit(job(2, Some(fingerprint.clone()), "two")));
        assert!(matches!(
            w.wait(),
            Some(Outcome::Written { generation: 2, .. })
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        // The fingerprint of "one" no longer matches: nothing is written.
        assert!(w.submit(job(3, Some(fingerprint), "three")));
        assert!(matches!(w.wait(), Some(Outcome::Changed { generation: 3 })));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert!(!w.busy());
    }
}
