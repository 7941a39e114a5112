//! The suggestion sources that are models, run off the UI thread for the open document: the
//! tagger the workspace learnt ([`crate::assist::learn`]), the programs its providers file
//! lists ([`crate::assist::provider`]) and model output imported as suggestions. What each finds
//! streams into the Suggestions panel as it arrives; a run is dropped, and its providers
//! killed, when another document opens or the window closes.
//!
//! The learned tagger is trained again, on a thread of the lowest priority, when the curated
//! layers are newer than its model file; the core trains and writes it, never the window.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::SystemTime;

use crate::assist::suggest::Suggestion;
use crate::assist::{learn, provider};
use crate::model::text::Text;
use crate::workspace::Workspace;

/// What a source's thread sends.
enum Msg {
    /// Suggestions found (more may follow).
    Found(Vec<Suggestion>),
    /// A source failed: one sentence naming it and why.
    Failed(String),
    /// A source has finished.
    Finished,
}

/// What a source's thread does, given where to send what it finds.
type Job = Box<dyn FnOnce(&dyn Fn(Msg)) + Send>;

/// The sources running for one document.
struct Run {
    /// The document (path, text hash).
    doc: (String, String),
    rx: mpsc::Receiver<Msg>,
    /// Sources not finished yet.
    running: usize,
    /// Set when the run is dropped: the threads stop at their next step.
    cancel: Arc<AtomicBool>,
    /// The providers running: dropping one kills its program.
    _providers: Vec<provider::run::ProviderRun>,
}

impl Drop for Run {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// The learned model, loaded once per model file (by its modification time).
type LoadedModel = Option<(SystemTime, Arc<learn::Model>)>;

/// The model sources' state for the window.
#[derive(Default)]
pub struct ModelSources {
    /// The workspace root the state is for.
    root: Option<PathBuf>,
    run: Option<Run>,
    found: Vec<Arc<Suggestion>>,
    errors: Vec<String>,
    model: Arc<Mutex<LoadedModel>>,
    /// Training the learned model, when its thread is running: it says when it is done.
    training: Option<mpsc::Receiver<Result<String, String>>>,
    /// What the last training said (how many documents, or why it failed).
    trained: Option<String>,
    /// Whether this workspace's model was checked for staleness yet.
    checked_training: bool,
    /// Set when the window no longer wants the training (it closed, or another workspace
    /// opened): training stops at its next step.
    stop_training: Arc<AtomicBool>,
    /// Ranking the unlabelled documents for "next uncertain document".
    ranking: Option<mpsc::Receiver<Result<Ranked, String>>>,
    /// Bumped when something new was found or a run started: the panel merges again.
    generation: u64,
}

impl Drop for ModelSources {
    fn drop(&mut self) {
        self.stop_training.store(true, Ordering::Relaxed);
    }
}

impl ModelSources {
    /// What the sources found for the open document so far.
    pub fn found(&self) -> &[Arc<Suggestion>] {
        &self.found
    }

    /// One sentence per source that failed for the open document.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// Changes whenever [`Self::found`] does.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether a source is still running for the open document.
    pub fn working(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.running > 0)
    }

    /// Whether the learned tagger is being trained.
    pub fn training(&self) -> bool {
        self.training.is_some()
    }

    /// What the last training in this window said.
    pub fn trained(&self) -> Option<&str> {
        self.trained.as_deref()
    }

    /// Starts the sources for the open document when it changed, takes what they found, and
    /// trains the learned tagger again when the curated layers are newer than it. Every frame,
    /// cheap. `doc` is the open document's path and text, `None` for none (or one only
    /// browsed, which gets no suggestions).
    pub fn poll(
        &mut self,
        ws: &Workspace,
        annotator: &str,
        doc: Option<(&str, &Text)>,
        may_train: bool,
        ctx: &egui::Context,
    ) {
        if self.root.as_deref() != Some(ws.root()) {
            self.stop_training.store(true, Ordering::Relaxed);
            let mut fresh = Self::default();
            fresh.root = Some(ws.root().to_path_buf());
            *self = fresh;
        }
        // Once per workspace, when the document list and the open document no longer need
        // the cores.
        if may_train && !self.checked_training {
            self.checked_training = true;
            self.start_training_if_stale(ws, annotator, ctx);
        }
        if let Some(rx) = &self.training {
            match rx.try_recv() {
                Ok(said) => {
                    self.training = None;
                    let retrained = said.as_ref().is_ok_and(|s| s.starts_with("learned"));
                    self.trained = Some(said.unwrap_or_else(|e| e));
                    if retrained {
                        // The open document is looked at again with the new model.
                        self.run = None;
                    }
                }
                Err(mpsc::TryRecvError::Disconnected) => self.training = None,
                Err(mpsc::TryRecvError::Empty) => {}
            }
        }
        let Some((rel, text)) = doc else {
            if self.run.take().is_some() || !self.found.is_empty() {
                self.found.clear();
                self.errors.clear();
                self.generation += 1;
            }
            return;
        };
        let key = (rel.to_owned(), text.sha256().to_owned());
        if self.run.as_ref().map(|r| &r.doc) != Some(&key) {
            self.found.clear();
            self.errors.clear();
            self.generation += 1;
            self.run = Some(self.start(ws, annotator, key, text, ctx));
        }
        let Some(run) = &mut self.run else { return };
        let mut changed = false;
        while let Ok(msg) = run.rx.try_recv() {
            match msg {
                Msg::Found(list) => {
                    changed |= !list.is_empty();
                    self.found.extend(list.into_iter().map(Arc::new));
                }
                Msg::Failed(e) => {
                    self.errors.push(e);
                    changed = true;
                }
                Msg::Finished => run.running = run.running.saturating_sub(1),
            }
        }
        if changed {
            self.generation += 1;
        }
    }

    /// Starts a thread for each model source of the open document.
    fn start(
        &self,
        ws: &Workspace,
        annotator: &str,
        doc: (String, String),
        text: &Text,
        ctx: &egui::Context,
    ) -> Run {
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let mut running = 0;
        let mut spawn = |name: &str, job: Job| {
            let (tx, ctx, cancel) = (tx.clone(), ctx.clone(), Arc::clone(&cancel));
            let send = move |m: Msg| {
                if !cancel.load(Ordering::Relaxed) && tx.send(m).is_ok() {
                    ctx.request_repaint();
                }
            };
            let spawned = std::thread::Builder::new()
                .name(name.to_owned())
                .spawn(move || {
                    lower_priority();
                    job(&send);
                    send(Msg::Finished);
                });
            if spawned.is_ok() {
                running += 1;
            }
        };
        // The learned tagger, when the workspace has a model file.
        {
            let (ws, text, model) = (ws.clone(), text.clone(), Arc::clone(&self.model));
            spawn(
                "learned suggestions",
                Box::new(move |send| match learned_model(&ws, &model) {
                    Ok(Some(m)) => {
                        let found = learn::to_suggestions(&text, &m.predict(&text));
                        send(Msg::Found(found));
                    }
                    Ok(None) => {}
                    Err(e) => send(Msg::Failed(format!("learned: {e}"))),
                }),
            );
        }
        // Model output imported as suggestions for this annotator.
        {
            let (ws, text, rel) = (ws.clone(), text.clone(), doc.0.clone());
            let who = annotator.to_owned();
            spawn(
                "imported suggestions",
                Box::new(move |send| {
                    use crate::interchange::import::suggestions::store::imported_suggestions;
                    match imported_suggestions(&ws, &who, &rel, &text) {
                        Ok(list) => send(Msg::Found(list)),
                        Err(e) => send(Msg::Failed(format!("imported: {e}"))),
                    }
                }),
            );
        }
        // The workspace's providers: each runs as a program of its own, killed with the run.
        let mut providers = Vec::new();
        let path = ws
            .annotations_dir()
            .join(provider::settings::PROVIDERS_FILE);
        match provider::settings::Providers::load_or_default(&path, ws.tags()) {
            Ok(list) => {
                for spec in list.providers {
                    let name = spec.name.clone();
                    let docs = vec![provider::protocol::Document {
                        path: doc.0.clone(),
                        text: text.clone(),
                    }];
                    let req = provider::run::RunRequest::new(spec, ws, docs);
                    let (tx, ctx, text) = (tx.clone(), ctx.clone(), text.clone());
                    let sink = move |event: provider::run::Event| {
                        let msg = match event {
                            provider::run::Event::Proposal(p) => {
                                Msg::Found(vec![p.to_suggestion(&name, &text)])
                            }
                            provider::run::Event::Finished(Ok(report)) if report.refused > 0 => {
                                let _ = tx.send(Msg::Failed(format!(
                                    "provider {name}: {} of its lines refused ({})",
                                    report.refused,
                                    report.reasons.first().map_or("", String::as_str)
                                )));
                                Msg::Finished
                            }
                            provider::run::Event::Finished(Ok(_)) => Msg::Finished,
                            provider::run::Event::Finished(Err(
                                provider::ProviderError::Cancelled { .. },
                            )) => Msg::Finished,
                            provider::run::Event::Finished(Err(e)) => {
                                let _ = tx.send(Msg::Failed(e.to_string()));
                                Msg::Finished
                            }
                        };
                        if tx.send(msg).is_ok() {
                            ctx.request_repaint();
                        }
                    };
                    providers.push(provider::run::start(req, sink));
                    running += 1;
                }
            }
            Err(e) => {
                let _ = tx.send(Msg::Failed(e.to_string()));
            }
        }
        Run {
            doc,
            rx,
            running,
            cancel,
            _providers: providers,
        }
    }

    /// Trains the learned tagger on a thread of the lowest priority when the curated layers
    /// changed since its model file was written (or there is none and they have spans).
    fn start_training_if_stale(&mut self, ws: &Workspace, annotator: &str, ctx: &egui::Context) {
        let (tx, rx) = mpsc::channel();
        let (ws, ctx, who) = (ws.clone(), ctx.clone(), annotator.to_owned());
        let stop = Arc::clone(&self.stop_training);
        let spawned = std::thread::Builder::new()
            .name("train learned suggestions".into())
            .spawn(move || {
                lower_priority();
                let cancel = || stop.load(Ordering::Relaxed);
                match learn::auto::retrain_if_stale(&ws, &who, &cancel) {
                    Ok(Some(said)) => {
                        let _ = tx.send(Ok(said));
                        ctx.request_repaint();
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let _ = tx.send(Err(format!("learned: {e}")));
                        ctx.request_repaint();
                    }
                }
            });
        if spawned.is_ok() {
            self.training = Some(rx);
        }
    }

    /// Asks the sources again for the open document (what was imported, or a provider's
    /// settings, may have changed).
    pub fn rerun(&mut self) {
        self.run = None;
    }

    /// After the curated layers changed (a review was saved): trains again if it is stale.
    pub fn curated_changed(&mut self, ws: &Workspace, annotator: &str, ctx: &egui::Context) {
        if self.training.is_none() {
            self.start_training_if_stale(ws, annotator, ctx);
        }
    }
}

/// The workspace's learned model, read once per version of its file.
fn learned_model(
    ws: &Workspace,
    cache: &Mutex<LoadedModel>,
) -> Result<Option<Arc<learn::Model>>, learn::ModelFileError> {
    let path = learn::file::model_path(ws);
    let Ok(modified) = std::fs::metadata(&path).and_then(|m| m.modified()) else {
        return Ok(None);
    };
    let Ok(mut slot) = cache.lock() else {
        return Ok(None);
    };
    if let Some((when, m)) = slot.as_ref()
        && *when == modified
    {
        return Ok(Some(Arc::clone(m)));
    }
    let tags: Vec<String> = ws.tags().tags.iter().map(|t| t.name.clone()).collect();
    let Some(m) = learn::file::load_for(&path, &tags)? else {
        return Ok(None);
    };
    let m = Arc::new(m);
    *slot = Some((modified, Arc::clone(&m)));
    Ok(Some(m))
}

/// The active order's answer: the document to open, its uncertainty, how many were ranked and
/// whether the ranking stopped at [`MAX_RANKED`].
#[derive(Debug, Clone)]
pub struct Ranked {
    pub rel: Option<(String, f32)>,
    pub ranked: usize,
    pub unlabelled: usize,
}

/// At most this many unlabelled documents are ranked for "next uncertain document", in the
/// list's order: each is read and tagged, about a millisecond per thousand characters.
pub const MAX_RANKED: usize = 5_000;

impl ModelSources {
    /// Starts ranking the unlabelled documents (of the curated layer and `annotator`'s) by how
    /// unsure the learned tagger is, leaving out `skip` (the open one). [`Self::ranked`] gives
    /// the answer.
    pub fn rank_uncertain(
        &mut self,
        ws: &Workspace,
        annotator: &str,
        skip: Option<String>,
        ctx: &egui::Context,
    ) {
        let (tx, rx) = mpsc::channel();
        let (ws, ctx, model) = (ws.clone(), ctx.clone(), Arc::clone(&self.model));
        let mut layers = vec![crate::workspace::CURATED_LAYER.to_owned()];
        layers.push(annotator.to_owned());
        let spawned = std::thread::Builder::new()
            .name("active order".into())
            .spawn(move || {
                lower_priority();
                let answer = match learned_model(&ws, &model) {
                    Ok(Some(m)) => {
                        let all = learn::active::unlabelled(&ws, &layers);
                        let unlabelled = all.len();
                        let texts: Vec<(String, Text)> = (all.into_iter())
                            .filter(|t| Some(&t.rel) != skip.as_ref())
                            .take(MAX_RANKED)
                            .filter_map(|t| Text::load(&t.path).ok().map(|x| (t.rel, x)))
                            .collect();
                        let order =
                            learn::active::order(&m, texts.iter().map(|(r, t)| (r.as_str(), t)));
                        Ok(Ranked {
                            rel: order.first().cloned(),
                            ranked: texts.len(),
                            unlabelled,
                        })
                    }
                    Ok(None) => Err("There is no learned tagger yet: review documents into the \
                         curated layer, or run `marginalia learn`"
                        .to_owned()),
                    Err(e) => Err(format!("learned: {e}")),
                };
                let _ = tx.send(answer);
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.ranking = Some(rx);
        }
    }

    /// The ranking's answer, once, when it is done.
    pub fn ranked(&mut self) -> Option<Result<Ranked, String>> {
        let rx = self.ranking.as_ref()?;
        match rx.try_recv() {
            Ok(answer) => {
                self.ranking = None;
                Some(answer)
            }
            Err(mpsc::TryRecvError::Disconnected) => {
                self.ranking = None;
                None
            }
            Err(mpsc::TryRecvError::Empty) => None,
        }
    }
}

/// Lowers this thread's priority to the least (nice 19 on Linux, where it is per thread), so
/// that learning and asking models take only time no one else wants: the window, the document
/// list and other programs come first.
pub(super) fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its arguments; `who` 0 is the calling thread on Linux.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}
