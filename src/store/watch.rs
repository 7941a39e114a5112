//! Noticing files that change on disk without drawing frames: a thread looks at a few paths
//! twice a second and wakes the window only when one of them changed, so an untouched window
//! does no work at all until something happens (issue 22).
//!
//! It only says "look again": what changed, and what to do about it, is decided by whoever
//! reads the file (a layer reloads or merges, the tags are read again), on the frame it wakes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

/// What a path looked like: absent, or its size, modification time and (on Unix) inode, so
/// that a file replaced by a rename is seen even when size and time are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Absent,
    Present {
        len: u64,
        modified: Option<SystemTime>,
        inode: u64,
    },
}

impl Seen {
    fn of(path: &std::path::Path) -> Self {
        match std::fs::symlink_metadata(path) {
            Err(_) => Self::Absent,
            Ok(meta) => Self::Present {
                len: meta.len(),
                modified: meta.modified().ok(),
                inode: inode(&meta),
            },
        }
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

/// The paths to look at, and whether the set was replaced since the thread last looked.
#[derive(Default)]
struct Wanted {
    paths: Vec<PathBuf>,
    replaced: bool,
}

struct Shared {
    wanted: Mutex<Wanted>,
    stop: AtomicBool,
}

/// The watching thread; dropping it stops the thread.
pub struct Watch {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    /// The set last given, so that giving the same set again costs nothing.
    current: Vec<PathBuf>,
}

impl Watch {
    /// Starts a thread that looks at the watched paths every `period` and calls `wake` when
    /// one of them changed (appeared, vanished, or changed size, time or inode).
    ///
    /// # Errors
    /// The thread could not be started.
    pub fn spawn(period: Duration, wake: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            wanted: Mutex::new(Wanted::default()),
            stop: AtomicBool::new(false),
        });
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("file watch".into())
            .spawn(move || run(&for_thread, period, &wake))?;
        Ok(Self {
            shared,
            thread: Some(thread),
            current: Vec::new(),
        })
    }

    /// Watches exactly `paths` from now on. A new set is first looked at as it is, and the
    /// window woken once, so a change made between the caller's own look and the thread's is
    /// not missed.
    pub fn set(&mut self, paths: Vec<PathBuf>) {
        if paths == self.current {
            return;
        }
        self.current.clone_from(&paths);
        let mut wanted = self
            .shared
            .wanted
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        wanted.paths = paths;
        wanted.replaced = true;
        drop(wanted);
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
    }

    /// The paths watched now.
    pub fn paths(&self) -> &[PathBuf] {
        &self.current
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

fn run(shared: &Shared, period: Duration, wake: &dyn Fn()) {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut seen: Vec<Seen> = Vec::new();
    while !shared.stop.load(Ordering::Relaxed) {
        let replaced = {
            let mut wanted = shared.wanted.lock().unwrap_or_else(PoisonError::into_inner);
            let replaced = std::mem::take(&mut wanted.replaced);
            if replaced {
                paths.clone_from(&wanted.paths);
            }
            replaced
        };
        let now: Vec<Seen> = paths.iter().map(|p| Seen::of(p)).collect();
        if replaced || now != seen {
            seen = now;
            wake();
        }
        std::thread::park_timeout(period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Waits (up to 10 s, so a slow machine does not fail it) for the count to pass `n`.
    fn wait_past(count: &AtomicUsize, n: usize) -> usize {
        for _ in 0..1000 {
            let c = count.load(Ordering::SeqCst);
            if c > n {
                return c;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        count.load(Ordering::SeqCst)
    }

    #[test]
    fn wakes_on_a_change_and_not_while_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.ron");
        std::fs::write(&file, "one").unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let c2 = Arc::clone(&count);
        let mut watch = Watch::spawn(Duration::from_millis(20), move || {
            c2.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        watch.set(vec![file.clone(), dir.path().join("absent.ron")]);
        // The new set is looked at once, and the window woken once.
        assert_eq!(wait_past(&count, 0), 1);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(count.load(Ordering::SeqCst), 1, "nothing changed");
        // The same set again is no new set.
        watch.set(vec![file.clone(), dir.path().join("absent.ron")]);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(count.load(Ordering::SeqCst), 1);
        // A file replaced by a rename, same size: seen.
        let tmp = dir.path().join("tmp");
        std::fs::write(&tmp, "two").unwrap();
        std::fs::rename(&tmp, &file).unwrap();
        assert_eq!(wait_past(&count, 1), 2);
        // A watched file that appears: seen.
        std::fs::write(dir.path().join("absent.ron"), "x").unwrap();
        assert_eq!(wait_past(&count, 2), 3);
        drop(watch);
    }
}
