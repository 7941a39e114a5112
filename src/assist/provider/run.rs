//! Running a provider: the program starts in its own process group, its input is written, its
//! output read and checked and its standard error kept (the end of it) on threads of their
//! own, and a supervising thread stops it on cancel, on timeout or when it prints too much.
//!
//! Each checked proposal goes to the caller's sink as soon as it is read ([`Event::Proposal`]),
//! then one [`Event::Finished`] says how the run ended. The caller keeps a [`ProviderRun`]:
//! dropping it, or [`ProviderRun::cancel`], kills the provider and everything it started.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::cache::{Cache, default_folder, provider_version};
use super::protocol::{Checker, Document, document_line, header_line};
use super::settings::ProviderSpec;
use super::{ProviderError, ProviderProposal};
use crate::model::tags::TagSet;
use crate::workspace::Workspace;

/// How much a provider may print before it is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest line read; a longer one is refused (and skipped, not kept).
    pub max_line_bytes: usize,
    /// All of standard output; past it the provider is stopped.
    pub max_output_bytes: u64,
    /// Accepted proposals in one run; past it the provider is stopped.
    pub max_proposals: usize,
    /// Refused lines in one run; past it the provider is stopped (it is printing garbage).
    pub max_refused: usize,
    /// How much of the end of standard error is kept for messages.
    pub stderr_tail_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line_bytes: 1 << 20,
            max_output_bytes: 64 << 20,
            max_proposals: 250_000,
            max_refused: 1_000,
            stderr_tail_bytes: 4096,
        }
    }
}

/// How many refusal reasons a report keeps.
const KEEP_REASONS: usize = 5;

/// How often the supervisor looks at the process, the clock and the cancel flag.
const TICK: Duration = Duration::from_millis(10);

/// One run of one provider over some documents.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub spec: ProviderSpec,
    /// The workspace root, as the header tells the provider.
    pub root: PathBuf,
    /// Where the command runs (relative paths in it are relative to this folder).
    pub cwd: PathBuf,
    /// The workspace's tags: a proposal's tag must be one of these that the provider declares.
    pub tags: TagSet,
    pub documents: Vec<Document>,
    /// The cache folder; `None`: no cache (nor when the provider's settings turn it off).
    pub cache_folder: Option<PathBuf>,
    /// Extra environment for the provider.
    pub env: Vec<(String, String)>,
    pub limits: Limits,
}

impl RunRequest {
    /// A run of `spec` over `documents` of `ws`, in the workspace root, with the user's cache
    /// folder and `MARGINALIA_BIN` set to this program (so a provider can call
    /// `marginalia export`).
    pub fn new(spec: ProviderSpec, ws: &Workspace, documents: Vec<Document>) -> Self {
        let mut env = Vec::new();
        if let Ok(exe) = std::env::current_exe() {
            env.push(("MARGINALIA_BIN".to_owned(), exe.display().to_string()));
        }
        Self {
            spec,
            root: ws.root().to_path_buf(),
            cwd: ws.root().to_path_buf(),
            tags: ws.tags().clone(),
            documents,
            cache_folder: default_folder(),
            env,
            limits: Limits::default(),
        }
    }
}

/// What a run sends to the sink.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A checked proposal, as soon as it was read (or taken from the cache).
    Proposal(ProviderProposal),
    /// The run ended; the last event.
    Finished(Result<RunReport, ProviderError>),
}

/// How a run that gave a result went: what was accepted, what refused and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub provider: String,
    /// Proposals accepted (the cached ones included).
    pub accepted: usize,
    /// Lines refused.
    pub refused: usize,
    /// The first refusals' reasons, each `line N: why`.
    pub reasons: Vec<String>,
    /// Documents whose proposals came from the cache.
    pub cached_documents: usize,
    /// Documents sent to the provider.
    pub sent_documents: usize,
    /// The end of what it wrote on standard error.
    pub stderr: String,
    pub elapsed: Duration,
}

/// What the caller and the supervisor share.
#[derive(Debug, Default)]
struct Shared {
    cancelled: AtomicBool,
    /// The provider's process (and group) id while it is not yet reaped: only then may it be
    /// signalled, as a reaped id may be reused.
    pid: Mutex<Option<u32>>,
}

impl Shared {
    fn kill(&self) {
        let pid = self.pid.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pid) = *pid {
            kill_group(pid);
        }
    }
}

/// A provider running. Dropping it cancels the run.
#[derive(Debug)]
pub struct ProviderRun {
    provider: String,
    shared: Arc<Shared>,
    supervisor: Option<JoinHandle<Result<RunReport, ProviderError>>>,
}

impl ProviderRun {
    /// Stops the run: kills the provider and its process group now; the sink then gets
    /// [`Event::Finished`] with [`ProviderError::Cancelled`] (unless it had finished).
    /// Returns at once.
    pub fn cancel(&self) {
        self.shared.cancelled.store(true, Ordering::SeqCst);
        self.shared.kill();
    }

    /// Whether the run has ended (the sink has had [`Event::Finished`]).
    pub fn is_finished(&self) -> bool {
        self.supervisor.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the run to end and returns how it ended (as [`Event::Finished`] said).
    ///
    /// # Errors
    /// Why the provider gave no result.
    pub fn wait(mut self) -> Result<RunReport, ProviderError> {
        match self.supervisor.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(ProviderError::Other {
                provider: self.provider.clone(),
                reason: "the run stopped unexpectedly".into(),
            }),
        }
    }
}

impl Drop for ProviderRun {
    fn drop(&mut self) {
        if self.supervisor.is_some() {
            self.cancel();
        }
    }
}

type Sink = Arc<Mutex<Box<dyn FnMut(Event) + Send>>>;

fn send(sink: &Sink, event: Event) {
    let mut f = sink.lock().unwrap_or_else(|e| e.into_inner());
    f(event);
}

/// Starts `req` off the calling thread. Each checked proposal goes to `sink` as it arrives,
/// then [`Event::Finished`]; the sink is called from the run's threads, one call at a time.
/// Proposals from the cache come first, and a run whose documents are all cached starts no
/// program.
///
/// A run that fails sends the proposals it accepted before failing, then the error: a caller
/// that wants all or nothing keeps them until `Finished(Ok(..))`.
pub fn start(req: RunRequest, sink: impl FnMut(Event) + Send + 'static) -> ProviderRun {
    let shared = Arc::new(Shared::default());
    let sink: Sink = Arc::new(Mutex::new(Box::new(sink)));
    let name = req.spec.name.clone();
    let (s, k) = (Arc::clone(&shared), Arc::clone(&sink));
    let spawned = std::thread::Builder::new()
        .name(format!("provider {name}"))
        .spawn(move || {
            let result = supervise(req, &s, &k);
            send(&k, Event::Finished(result.clone()));
            result
        });
    match spawned {
        Ok(handle) => ProviderRun {
            provider: name,
            shared,
            supervisor: Some(handle),
        },
        Err(e) => {
            let error = ProviderError::Other {
                provider: name.clone(),
                reason: format!("cannot start a thread: {e}"),
            };
            send(&sink, Event::Finished(Err(error.clone())));
            let handle = std::thread::spawn(move || Err(error));
            ProviderRun {
                provider: name,
                shared,
                supervisor: Some(handle),
            }
        }
    }
}

/// Runs `req` to the end (on the calling thread), with every proposal to `on_proposal`.
///
/// # Errors
/// Why the provider gave no result.
pub fn run_blocking(
    req: RunRequest,
    mut on_proposal: impl FnMut(ProviderProposal) + Send + 'static,
) -> Result<RunReport, ProviderError> {
    start(req, move |e| {
        if let Event::Proposal(p) = e {
            on_proposal(p);
        }
    })
    .wait()
}

/// What the output reader found.
#[derive(Debug, Default)]
struct ReadOutcome {
    accepted: Vec<ProviderProposal>,
    accepted_count: usize,
    refused: usize,
    reasons: Vec<String>,
    /// Why reading stopped before the end of the output, if it did.
    stop: Option<Stop>,
}

/// Which limit stopped the reading: too much output, too many proposals, too many refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Output,
    Proposals,
    Refusals,
}

fn supervise(req: RunRequest, shared: &Shared, sink: &Sink) -> Result<RunReport, ProviderError> {
    let started = Instant::now();
    let RunRequest {
        spec,
        root,
        cwd,
        tags,
        documents,
        cache_folder,
        env,
        limits,
    } = req;
    let provider = spec.name.clone();
    let all: Arc<[Document]> = documents.into();
    let checker = Checker::new(Arc::clone(&all), &tags, |t| spec.proposes(t));
    let cache = cache_folder.filter(|_| spec.cache).map(|folder| {
        super::cache::prune(&folder, super::cache::MAX_CACHE_BYTES);
        let version = provider_version(&spec, &cwd);
        Cache::new(&folder, &root, &provider, &version, &checker)
    });
    let mut report = RunReport {
        provider: provider.clone(),
        accepted: 0,
        refused: 0,
        reasons: Vec::new(),
        cached_documents: 0,
        sent_documents: 0,
        stderr: String::new(),
        elapsed: Duration::ZERO,
    };
    let mut to_send = Vec::new();
    for doc in all.iter() {
        match cache.as_ref().and_then(|c| c.get(doc, &checker)) {
            Some(list) => {
                report.cached_documents += 1;
                report.accepted += list.len();
                for p in list {
                    send(sink, Event::Proposal(p));
                }
            }
            None => to_send.push(doc.clone()),
        }
    }
    if to_send.is_empty() || shared.cancelled.load(Ordering::SeqCst) {
        report.elapsed = started.elapsed();
        return if shared.cancelled.load(Ordering::SeqCst) {
            Err(ProviderError::Cancelled { provider })
        } else {
            Ok(report)
        };
    }
    report.sent_documents = to_send.len();
    let sent: Arc<[Document]> = to_send.into();
    let checker = Checker::new(Arc::clone(&sent), &tags, |t| spec.proposes(t));
    let timeout = Duration::from_secs_f64(spec.timeout);
    let deadline = started + timeout;

    let mut child = spawn(&spec, &cwd, &env)?;
    {
        let mut pid = shared.pid.lock().unwrap_or_else(|e| e.into_inner());
        *pid = Some(child.id());
    }
    let other = |reason: String| ProviderError::Other {
        provider: provider.clone(),
        reason,
    };
    // A cancel that came before the id was known.
    if shared.cancelled.load(Ordering::SeqCst) {
        stop(shared, &mut child);
        return Err(ProviderError::Cancelled { provider });
    }
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let (Some(stdin), Some(stdout), Some(stderr)) = (stdin, stdout, stderr) else {
        stop(shared, &mut child);
        return Err(other("its standard streams could not be opened".into()));
    };
    let header = header_line(
        &provider,
        &root.to_string_lossy(),
        &checker.tags(),
        sent.len(),
    );
    let spawned = spawn_writer(stdin, header, Arc::clone(&sent))
        .and_then(|()| spawn_stderr(stderr, limits.stderr_tail_bytes))
        .and_then(|stderr_rx| {
            let lines = Arc::new(AtomicUsize::new(0));
            let keep = cache.is_some();
            let out_rx = spawn_reader(
                stdout,
                checker,
                limits,
                keep,
                Arc::clone(&lines),
                Arc::clone(sink),
            )?;
            Ok((stderr_rx, out_rx, lines))
        });
    let (stderr_rx, out_rx, lines) = match spawned {
        Ok(x) => x,
        Err(e) => {
            stop(shared, &mut child);
            return Err(other(format!("cannot start a thread: {e}")));
        }
    };

    let mut outcome: Option<ReadOutcome> = None;
    let mut status = None;
    let ended = loop {
        if outcome.is_none() {
            match out_rx.recv_timeout(TICK) {
                Ok(o) => outcome = Some(o),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => outcome = Some(ReadOutcome::default()),
            }
        } else {
            std::thread::sleep(TICK);
        }
        if status.is_none() {
            status = try_reap(shared, &mut child);
        }
        if shared.cancelled.load(Ordering::SeqCst) {
            break Ended::Cancelled;
        }
        if let Some(s) = outcome.as_ref().and_then(|o| o.stop) {
            break Ended::Stopped(s);
        }
        if outcome.is_some() && status.is_some() {
            break Ended::Exited;
        }
        if Instant::now() >= deadline {
            break Ended::TimedOut;
        }
    };
    if status.is_none() {
        stop(shared, &mut child);
    }
    let stderr_tail = stderr_rx
        .recv_timeout(Duration::from_millis(200))
        .unwrap_or_default();
    report.stderr = stderr_tail.clone();
    report.elapsed = started.elapsed();
    match ended {
        Ended::Cancelled => return Err(ProviderError::Cancelled { provider }),
        Ended::TimedOut => {
            return Err(ProviderError::TimedOut {
                provider,
                after_secs: spec.timeout,
                output_lines: lines.load(Ordering::SeqCst),
                stderr: stderr_tail,
            });
        }
        Ended::Stopped(Stop::Output) => {
            return Err(ProviderError::Runaway {
                provider,
                what: format!("it printed more than {}", bytes(limits.max_output_bytes)),
            });
        }
        Ended::Stopped(Stop::Proposals) => {
            return Err(ProviderError::Runaway {
                provider,
                what: format!("it proposed more than {} spans", limits.max_proposals),
            });
        }
        Ended::Stopped(Stop::Refusals) | Ended::Exited => {}
    }
    let outcome = outcome.unwrap_or_default();
    if let Some(status) = status
        && !status.success()
    {
        return Err(ProviderError::Crashed {
            provider,
            status: describe(status),
            stderr: stderr_tail,
        });
    }
    if outcome.stop == Some(Stop::Refusals) || (outcome.accepted_count == 0 && outcome.refused > 0)
    {
        return Err(ProviderError::Refused {
            provider,
            refused: outcome.refused,
            reasons: outcome.reasons,
            stopped: outcome.stop.is_some(),
        });
    }
    // Only a run that was refused nothing is kept: a rerun should say the same again.
    if let Some(cache) = &cache
        && outcome.refused == 0
    {
        for doc in sent.iter() {
            let mine: Vec<ProviderProposal> = outcome
                .accepted
                .iter()
                .filter(|p| p.path == doc.path)
                .cloned()
                .collect();
            // A cache that cannot be written only means the next run runs the provider.
            let _ = cache.put(doc, &mine);
        }
    }
    report.accepted += outcome.accepted_count;
    report.refused = outcome.refused;
    report.reasons = outcome.reasons;
    Ok(report)
}

enum Ended {
    Cancelled,
    TimedOut,
    Stopped(Stop),
    Exited,
}

/// `64 MiB`.
fn bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// `exited with status 3`, `was killed by signal 9`.
fn describe(status: std::process::ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(sig) = status.signal() {
            return format!("was killed by signal {sig}");
        }
    }
    format!("ended with {status}")
}

/// Starts the provider's program in a process group of its own, with piped streams.
fn spawn(
    spec: &ProviderSpec,
    cwd: &std::path::Path,
    env: &[(String, String)],
) -> Result<std::process::Child, ProviderError> {
    let provider = spec.name.clone();
    let Some(program) = spec.command.first() else {
        return Err(ProviderError::NotFound {
            provider,
            command: String::new(),
        });
    };
    // A relative path with a folder in it is relative to where the provider runs.
    let resolved = if program.contains('/') && std::path::Path::new(program).is_relative() {
        cwd.join(program)
    } else {
        PathBuf::from(program)
    };
    let mut cmd = std::process::Command::new(&resolved);
    cmd.args(&spec.command[1..])
        .current_dir(cwd)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        cmd.process_group(0);
    }
    cmd.spawn().map_err(|e| {
        let command = program.clone();
        match e.kind() {
            std::io::ErrorKind::NotFound => ProviderError::NotFound { provider, command },
            std::io::ErrorKind::PermissionDenied => ProviderError::NotExecutable {
                provider,
                command,
                reason: e.to_string(),
            },
            _ => ProviderError::CannotStart {
                provider,
                command,
                reason: e.to_string(),
            },
        }
    })
}

/// Kills the process group `pid` leads (the provider and what it started).
fn kill_group(pid: u32) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill has no memory preconditions; a negative id names the process group,
        // which exists while its leader is not reaped (the caller holds the id only then).
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = pid;
}

/// The provider's exit status if it has ended (reaping it, and forgetting its id first).
fn try_reap(shared: &Shared, child: &mut std::process::Child) -> Option<std::process::ExitStatus> {
    let mut pid = shared.pid.lock().unwrap_or_else(|e| e.into_inner());
    match child.try_wait() {
        Ok(Some(status)) => {
            *pid = None;
            Some(status)
        }
        Ok(None) => None,
        // Cannot be waited for (already reaped): nothing left to signal.
        Err(_) => {
            *pid = None;
            None
        }
    }
}

/// Kills the provider's group and reaps it.
fn stop(shared: &Shared, child: &mut std::process::Child) {
    shared.kill();
    #[cfg(not(unix))]
    let _ = child.kill();
    for _ in 0..500 {
        let done = {
            let pid = shared.pid.lock().unwrap_or_else(|e| e.into_inner());
            pid.is_none()
        };
        if done || try_reap(shared, child).is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Writes the header and the documents, then closes the provider's input. A provider that
/// stops reading (it exited, or it needs no input) only ends the writing.
fn spawn_writer(
    stdin: std::process::ChildStdin,
    header: String,
    docs: Arc<[Document]>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("provider stdin".into())
        .spawn(move || {
            let mut w = std::io::BufWriter::with_capacity(1 << 16, stdin);
            if w.write_all(header.as_bytes()).is_err() {
                return;
            }
            for doc in docs.iter() {
                if w.write_all(document_line(doc).as_bytes()).is_err() {
                    return;
                }
            }
            let _ = w.flush();
        })
        .map(|_| ())
}

/// Keeps the last `keep` bytes of standard error; sends them when it closes.
fn spawn_stderr(
    mut stderr: std::process::ChildStderr,
    keep: usize,
) -> std::io::Result<mpsc::Receiver<String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("provider stderr".into())
        .spawn(move || {
            let mut tail: Vec<u8> = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                match stderr.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        tail.extend_from_slice(&buf[..n]);
                        if tail.len() > 2 * keep {
                            tail.drain(..tail.len() - keep);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let cut = tail.len().saturating_sub(keep);
            let _ = tx.send(String::from_utf8_lossy(&tail[cut..]).into_owned());
        })?;
    Ok(rx)
}

/// Reads standard output line by line within `limits`, checks each line and sends each
/// accepted proposal to the sink; sends what it found when the output ends or it stops.
fn spawn_reader(
    stdout: std::process::ChildStdout,
    checker: Checker,
    limits: Limits,
    keep: bool,
    lines: Arc<AtomicUsize>,
    sink: Sink,
) -> std::io::Result<mpsc::Receiver<ReadOutcome>> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("provider stdout".into())
        .spawn(move || {
            let mut reader = LineReader {
                checker,
                limits,
                keep,
                lines,
                sink,
                out: ReadOutcome::default(),
                line: Vec::new(),
                too_long: false,
                number: 0,
            };
            reader.read_all(stdout);
            let _ = tx.send(reader.out);
        })?;
    Ok(rx)
}

struct LineReader {
    checker: Checker,
    limits: Limits,
    keep: bool,
    lines: Arc<AtomicUsize>,
    sink: Sink,
    out: ReadOutcome,
    /// The line read so far (at most the longest line allowed).
    line: Vec<u8>,
    /// Whether the line being read is already too long (and is being skipped).
    too_long: bool,
    number: usize,
}

impl LineReader {
    fn read_all(&mut self, mut stdout: impl Read) {
        let mut buf = vec![0u8; 1 << 16];
        let mut total: u64 = 0;
        loop {
            let n = match stdout.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            total += n as u64;
            if total > self.limits.max_output_bytes {
                self.out.stop = Some(Stop::Output);
                return;
            }
            let mut rest = &buf[..n];
            while let Some(i) = memchr::memchr(b'\n', rest) {
                self.push(&rest[..i]);
                self.end_line();
                if self.out.stop.is_some() {
                    return;
                }
                rest = &rest[i + 1..];
            }
            self.push(rest);
        }
        if !self.line.is_empty() || self.too_long {
            self.end_line();
        }
    }

    fn push(&mut self, part: &[u8]) {
        if self.too_long {
            return;
        }
        if self.line.len() + part.len() > self.limits.max_line_bytes {
            self.too_long = true;
            self.line = Vec::new();
            return;
        }
        self.line.extend_from_slice(part);
    }

    fn end_line(&mut self) {
        self.number += 1;
        self.lines.store(self.number, Ordering::SeqCst);
        let result = if self.too_long {
            Err(format!(
                "longer than {}",
                bytes(self.limits.max_line_bytes as u64)
            ))
        } else {
            self.checker.read_line(&self.line)
        };
        self.too_long = false;
        self.line.clear();
        match result {
            Ok(None) => {}
            Ok(Some(p)) => {
                self.out.accepted_count += 1;
                if self.out.accepted_count > self.limits.max_proposals {
                    self.out.stop = Some(Stop::Proposals);
                    return;
                }
                if self.keep {
                    self.out.accepted.push(p.clone());
                }
                send(&self.sink, Event::Proposal(p));
            }
            Err(reason) => {
                self.out.refused += 1;
                if self.out.reasons.len() < KEEP_REASONS {
                    self.out
                        .reasons
                        .push(format!("line {}: {reason}", self.number));
                }
                if self.out.refused >= self.limits.max_refused {
                    self.out.stop = Some(Stop::Refusals);
                }
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::model::text::Text;

    fn request(script: &str, timeout: f64) -> RunRequest {
        let dir = std::env::temp_dir();
        RunRequest {
            spec: ProviderSpec::ad_hoc("t", vec!["sh".into(), "-c".into(), script.into()], timeout),
            root: dir.clone(),
            cwd: dir,
            tags: TagSet::default(),
            documents: vec![Document {
                path: "a.txt".into(),
                text: Text::from_string("Prices rose."),
            }],
            cache_folder: None,
            env: Vec::new(),
            limits: Limits::default(),
        }
    }

    #[test]
    fn proposals_stream_before_the_provider_ends_and_cancel_kills_it() {
        let line = r#"{"path":"a.txt","start":0,"end":6,"tag":"claim","score":0.5}"#;
        let (tx, rx) = mpsc::channel();
        let run = start(
            request(&format!("echo '{line}'; exec sleep 300"), 300.0),
            move |e| {
                let _ = tx.send(e);
            },
        );
        // The proposal arrives while the provider still runs.
        let first = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        assert!(
            matches!(first, Event::Proposal(ref p) if p.end == 6),
            "{first:?}"
        );
        assert!(!run.is_finished());
        run.cancel();
        let last = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        assert!(
            matches!(last, Event::Finished(Err(ProviderError::Cancelled { .. }))),
            "{last:?}"
        );
        assert!(matches!(run.wait(), Err(ProviderError::Cancelled { .. })));
    }

    #[test]
    fn dropping_the_run_kills_the_provider() {
        let (tx, rx) = mpsc::channel();
        let run = start(request("exec sleep 300", 300.0), move |e| {
            let _ = tx.send(e);
        });
        std::thread::sleep(Duration::from_millis(100));
        drop(run);
        let last = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        assert!(
            matches!(last, Event::Finished(Err(ProviderError::Cancelled { .. }))),
            "{last:?}"
        );
    }

    #[test]
    fn a_provider_that_reads_nothing_still_gets_its_timeout() {
        let mut req = request("exec sleep 300", 0.3);
        // More input than a pipe holds, which it never reads.
        req.documents[0].text = Text::from_string(&"x".repeat(1 << 20));
        let result = start(req, |_| {}).wait();
        assert!(
            matches!(
                result,
                Err(ProviderError::TimedOut {
                    output_lines: 0,
                    ..
                })
            ),
            "{result:?}"
        );
    }
}
