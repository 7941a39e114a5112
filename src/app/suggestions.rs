//! Suggestions in the window: the core's proposals ([`crate::assist::suggest`]) for the open document,
//! computed off the UI thread, drawn as dashed outlines, listed by source in the right panel,
//! and accepted (`y`, Shift+Y) or rejected (`x`) one by one. Nothing reaches a layer until a
//! person accepts it.
//!
//! The model is learnt once per workspace and annotator, on a thread of the lowest priority
//! that starts only once the document list is complete or a document is open, reading one text
//! at a time ([`crate::assist::suggest::learn_workspace`]). In a big workspace the open
//! document's proposals come from what was learnt so far and are refined as it learns, and the
//! panel says how far it got. Each document's proposals are computed once per model on a
//! thread, for every source; after an edit or a rejection the cached list is only filtered
//! again against the layer, the rejections and the sources switched on.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use egui::{RichText, Ui};

use crate::assist::suggest::{
    Cut, Model, Proposals, Rejections, Source, Sources, Suggestion, rejections,
};

use super::commands::SuggestCommand;
use super::text_view::{SuggestionMark, SuggestionMarks};
use super::{Command, MarginaliaApp, theme};

/// From this many texts on, the model is used while it learns: first with nothing learnt
/// (quotation marks and dictionaries need nothing), then after 250 texts, 1,000, 4,000… and
/// all. A smaller workspace is learnt in well under a second; its suggestions come once.
const LEARN_IN_VIEW_FROM: usize = 1_000;

/// What the model's thread sends: a model of the first `done` of `total` texts (of all when
/// they are equal), with the annotator's rejections in the first one.
struct Learnt {
    model: Arc<Model>,
    rejections: Option<Rejections>,
    done: usize,
    total: usize,
}

/// How far the model's thread got: texts read, of how many; and whether the panel says so
/// (only then is the window woken to show the count move on).
#[derive(Default)]
struct Progress {
    done: AtomicUsize,
    total: AtomicUsize,
    shown: AtomicBool,
}

/// The document (path, text hash) and the model (its number) proposals were computed with.
type DocKey = (String, String, u64);

/// The suggestions' state.
#[derive(Default)]
pub struct SuggestUi {
    /// The workspace root and annotator the model is (being) built for.
    model_key: Option<(PathBuf, String)>,
    building: Option<mpsc::Receiver<Result<Learnt, String>>>,
    progress: Arc<Progress>,
    model: Option<Arc<Model>>,
    /// Counts the models received: a new one computes the open document's proposals again.
    model_gen: u64,
    rejections: Rejections,
    error: Option<String>,
    /// What `raw` was computed for.
    raw_for: Option<DocKey>,
    job: Option<(DocKey, mpsc::Receiver<Proposals>)>,
    /// Every source's proposals for the open document, unfiltered; shared with `shown`, so
    /// filtering 47,000 of them again after a bulk edit copies no text.
    raw: Vec<Arc<Suggestion>>,
    /// The rules' proposals for the open document (`raw` adds the model sources').
    rule_raw: Vec<Arc<Suggestion>>,
    /// The model sources, and the generation of theirs merged into `raw`.
    models: super::model_sources::ModelSources,
    merged_models: Option<u64>,
    /// The sources that found more than they propose for the open document.
    cut: Vec<Cut>,
    /// The sources too dense for the open document ([`DENSE_PER_1000`]), with what they
    /// found: off until ticked, and then only for this document.
    dense: Vec<(Source, usize)>,
    /// The dense sources ticked on for the open document.
    dense_shown: Vec<Source>,
    /// What `shown` was filtered for: the document, its edit count, the sources, a counter
    /// bumped by rejections and new raw lists.
    shown_for: Option<(String, u64, [bool; Source::COUNT], u64, Thresholds, bool)>,
    generation: u64,
    shown: Vec<Arc<Suggestion>>,
    /// Each shown suggestion's index in `raw` (ascending, as `shown` follows `raw`'s order).
    shown_raw: Vec<usize>,
    /// Per suggestion of `raw`: filtered out (in the layer already, or rejected).
    out: Vec<bool>,
    /// How many of each source are not yet in the layer and reach its threshold (also for
    /// sources switched off).
    counts: [usize; Source::COUNT],
    /// How many of each source are not yet in the layer but score under its threshold.
    below: [usize; Source::COUNT],
    marks: SuggestionMarks,
    /// The focused suggestion, by range and tag (it keeps its place across refilters).
    focused: Option<(usize, usize, String)>,
    /// The list's rows, made when `shown` is, so a frame draws only the rows in view.
    rows: Vec<ListRow>,
    /// The focus moved on by itself (the one focused was accepted or rejected): the next `]`
    /// stays on the suggestion that followed, which the reader has not been shown yet.
    advanced: bool,
}

/// One row of the suggestion list: an index into `shown`, grouped by source.
type ListRow = usize;

impl SuggestUi {
    /// The suggestions shown for the open document.
    pub fn shown(&self) -> &[Arc<Suggestion>] {
        &self.shown
    }

    /// The shown suggestions as the text view draws them.
    pub fn marks(&self) -> &SuggestionMarks {
        &self.marks
    }

    /// The index of the focused suggestion in [`Self::shown`] (sorted by range and tag, as
    /// the core returns them): a binary search, since the window asks every frame.
    pub fn focused_mark(&self) -> Option<usize> {
        let (a, b, tag) = self.focused.as_ref()?;
        self.shown
            .binary_search_by(|s| (s.start, s.end, s.tag.as_str()).cmp(&(*a, *b, tag.as_str())))
            .ok()
    }

    /// Whether the model is still being learnt or the open document's suggestions computed.
    pub fn working(&self) -> bool {
        self.building.is_some() || self.job.is_some()
    }

    /// Whether a model source (learned, provider, imported) is still asked for the open
    /// document.
    pub(super) fn models_working(&self) -> bool {
        self.models.working()
    }

    /// The model sources (learned, providers, imported) of the open document.
    pub(super) fn models_mut(&mut self) -> &mut super::model_sources::ModelSources {
        &mut self.models
    }

    /// Stops the model sources: providers are killed, training stops at its next step.
    pub(super) fn stop_models(&mut self) {
        self.models = super::model_sources::ModelSources::default();
    }

    /// Whether any suggestion is shown (their keys apply only then).
    pub fn has_any(&self) -> bool {
        !self.shown.is_empty()
    }
}

/// A source that finds more than this many proposals per 1,000 characters of a text (one every
/// 50) starts switched off for it: its outlines would cover most words.
pub const DENSE_PER_1000: usize = 20;

/// The sources too dense for a text of `chars` characters, with how many they found (before
/// any cut). A short text is never too dense (a seed of 4,000 characters may have 80).
fn dense_sources(list: &[Arc<Suggestion>], cut: &[Cut], chars: usize) -> Vec<(Source, usize)> {
    Source::ALL
        .into_iter()
        .filter_map(|source| {
            let found = (cut.iter().find(|c| c.source == source)).map_or_else(
                || list.iter().filter(|s| s.source == source).count(),
                |c| c.found,
            );
            (found > 100 && found * 1000 > DENSE_PER_1000 * chars.max(1)).then_some((source, found))
        })
        .collect()
}

/// Each source's threshold in hundredths, from the preferences: below it a suggestion is
/// hidden.
fn thresholds(app: &MarginaliaApp) -> Thresholds {
    Thresholds(Source::ALL.map(|s| {
        let t = app.prefs.suggestion_thresholds.get(s.name()).copied();
        (t.unwrap_or(0.0).clamp(0.0, 1.0) * 100.0).round() as u8
    }))
}

/// Per source, the least score shown, in hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Thresholds([u8; Source::COUNT]);

impl Thresholds {
    /// Whether `s` scores at least its source's threshold.
    fn passes(&self, s: &Suggestion) -> bool {
        s.score * 100.0 + 1e-3 >= f32::from(self.0[s.source as usize])
    }
    fn of(&self, source: Source) -> f32 {
        f32::from(self.0[source as usize]) / 100.0
    }
}

/// The sources switched on: those the preferences do not switch off, less those too dense for
/// the open document unless ticked on for it.
fn sources(app: &MarginaliaApp) -> Sources {
    let mut s = Sources::all();
    for name in &app.prefs.suggestions_off {
        if let Ok(src) = name.parse::<Source>() {
            s.set(src, false);
        }
    }
    let su = &app.suggest;
    for (source, _) in &su.dense {
        if !su.dense_shown.contains(source) {
            s.set(*source, false);
        }
    }
    s
}

/// Starts learning the model when the workspace or annotator changed (once the list is
/// complete or a document is open), takes what it learnt, computes the open document's
/// proposals when it or the model changed, and filters them again after edits. Every frame,
/// cheap.
pub(super) fn poll(app: &mut MarginaliaApp, ctx: &egui::Context) {
    if app.ws.is_none() {
        app.suggest = SuggestUi::default();
        return;
    }
    if let Some(answer) = app.suggest.models.ranked() {
        match answer {
            Ok(r) => match r.rel {
                Some((rel, unsure)) => {
                    app.open_document_rel(&rel);
                    let of = if r.ranked < r.unlabelled {
                        format!("the first {} of {} unlabelled", r.ranked, r.unlabelled)
                    } else {
                        format!("{} unlabelled", r.ranked)
                    };
                    app.status_line = format!(
                        "Opened {rel}: of {of} documents, the learned tagger is least sure of \
                         this one (uncertainty {unsure:.2})"
                    );
                }
                None => app.status_line = "Every document is labelled".into(),
            },
            Err(e) => app.status_line = e,
        }
    }
    let Some(ws) = &app.ws else { return };
    let annotator = app.prefs.annotator.clone();
    let key = (ws.root().to_path_buf(), annotator.clone());
    // After the list, which reads every layer too, unless a document is already open; never
    // while a document is being opened, whose reading and checks it would slow down (a 10 MB
    // document opened at start shares two cores with it otherwise).
    let may_learn = (!app.document_list_loading() || app.open.is_some()) && !app.is_opening();
    let su = &mut app.suggest;
    if su.model_key.as_ref() != Some(&key) {
        if su.model_key.is_some() {
            if let Some(old) = su.model.take() {
                drop_elsewhere(old);
            }
            *su = SuggestUi::default();
        }
        if may_learn {
            su.model_key = Some(key);
            let (tx, rx) = mpsc::sync_channel(1);
            let (ws, ctx2, progress) = (ws.clone(), ctx.clone(), Arc::clone(&su.progress));
            let spawned = std::thread::Builder::new()
                .name("suggestion model".into())
                .spawn(move || learn(&ws, &annotator, &ctx2, &tx, &progress));
            match spawned {
                Ok(_) => su.building = Some(rx),
                Err(e) => su.error = Some(format!("cannot start the suggestions: {e}")),
            }
        }
    }
    if let Some(rx) = &su.building {
        // One model a frame, so each is used (and the panel drawn with it) before the next;
        // the thread wakes the window for each.
        match rx.try_recv() {
            Ok(Ok(learnt)) => {
                if let Some(old) = su.model.replace(learnt.model) {
                    drop_elsewhere(old);
                }
                su.model_gen += 1;
                if let Some(r) = learnt.rejections {
                    su.rejections = r;
                    su.generation += 1;
                }
                if learnt.done == learnt.total {
                    su.building = None;
                }
            }
            Ok(Err(e)) => {
                su.error = Some(e);
                su.building = None;
            }
            Err(mpsc::TryRecvError::Disconnected) => su.building = None,
            Err(mpsc::TryRecvError::Empty) => {}
        }
    }
    let Some(open) = &app.open else {
        // No panel says how far the model got.
        su.progress.shown.store(false, Ordering::Relaxed);
        su.shown.clear();
        su.shown_raw.clear();
        su.marks = SuggestionMarks::default();
        return;
    };
    let rel = open.doc.rel().to_owned();
    let sha = open.doc.text().sha256().to_owned();
    let doc_key = (rel, sha, su.model_gen);
    if su.raw_for.as_ref() != Some(&doc_key)
        && let Some(model) = &su.model
        && su.job.as_ref().is_none_or(|(k, _)| k != &doc_key)
    {
        let (tx, rx) = mpsc::channel();
        let (model, text, ctx2) = (Arc::clone(model), open.doc.text().clone(), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("suggestions".into())
            .spawn(move || {
                let _ = tx.send(model.propose(&text, Sources::all()));
                ctx2.request_repaint();
            });
        if spawned.is_ok() {
            su.job = Some((doc_key, rx));
        }
    }
    if let Some((k, rx)) = &su.job {
        match rx.try_recv() {
            Ok(found) => {
                if su.raw_for.as_ref().map(|r| &r.0) != Some(&k.0) {
                    su.dense_shown.clear();
                }
                su.rule_raw = found.list.into_iter().map(Arc::new).collect();
                su.merged_models = None;
                su.cut = found.cut;
                su.raw_for = Some(k.clone());
                su.generation += 1;
                su.job = None;
            }
            Err(mpsc::TryRecvError::Disconnected) => su.job = None,
            Err(mpsc::TryRecvError::Empty) => {}
        }
    }
    // The model sources (learned, providers, imported) for the open document, merged with the
    // rules' proposals whenever either changes.
    let read_only = app.read_only();
    if let (Some(ws), Some(open)) = (&app.ws, &app.open) {
        let doc = (!read_only).then(|| (open.doc.rel(), open.doc.text()));
        let su = &mut app.suggest;
        su.models
            .poll(ws, &app.prefs.annotator, doc, may_learn, ctx);
        let fresh = su
            .raw_for
            .as_ref()
            .is_some_and(|(r, _, _)| r == open.doc.rel());
        if fresh && su.merged_models != Some(su.models.generation()) {
            su.merged_models = Some(su.models.generation());
            merge_model_sources(su, open.doc.text().char_len());
        }
    }
    refilter(app);
}

/// `raw`: the rules' proposals and the model sources', sorted by range and tag; where two
/// propose the same range and tag, the rules' (then the surer) one is kept.
fn merge_model_sources(su: &mut SuggestUi, chars: usize) {
    let mut all: Vec<Arc<Suggestion>> = su.rule_raw.clone();
    all.extend(su.models.found().iter().cloned());
    crate::assist::suggest::sort_and_dedup(&mut all);
    su.dense = dense_sources(&all, &su.cut, chars);
    su.raw = all;
    su.generation += 1;
}

/// "Next uncertain document": ranks the unlabelled documents off the UI thread; [`poll`]
/// opens the first when the answer comes.
pub(super) fn rank_uncertain(app: &mut MarginaliaApp) {
    let Some(ws) = &app.ws else { return };
    let skip = app.open_document().map(str::to_owned);
    let ctx = app.ctx.clone();
    app.suggest
        .models
        .rank_uncertain(ws, &app.prefs.annotator, skip, &ctx);
    app.status_line =
        "Ranking the unlabelled documents by how unsure the learned tagger is…".into();
}

impl MarginaliaApp {
    /// After a review was saved into the curated layer: the learned tagger is trained again
    /// if it is stale.
    pub(super) fn curated_changed(&mut self) {
        if let Some(ws) = &self.ws {
            let ctx = self.ctx.clone();
            self.suggest
                .models
                .curated_changed(ws, &self.prefs.annotator, &ctx);
        }
    }
}

/// The model's thread: reads the annotator's rejections, then learns the workspace one text
/// at a time at the lowest priority, sending the model as [`LEARN_IN_VIEW_FROM`] says and when
/// complete. Each send wakes the window; it stops when the window no longer listens.
fn learn(
    ws: &crate::workspace::Workspace,
    annotator: &str,
    ctx: &egui::Context,
    tx: &mpsc::SyncSender<Result<Learnt, String>>,
    progress: &Progress,
) {
    super::model_sources::lower_priority();
    let send = |msg| {
        // Sent before the wake-up, so the frame it causes finds it.
        let sent = tx.send(msg).is_ok();
        ctx.request_repaint();
        sent
    };
    let mut rejections = match rejections::load(ws, annotator) {
        Ok(r) => Some(r),
        Err(e) => {
            send(Err(e.to_string()));
            return;
        }
    };
    let (mut next, mut woke) = (0, (Instant::now(), 0));
    let learnt = crate::assist::suggest::learn_workspace(ws, Some(annotator), |b, done, total| {
        progress.total.store(total, Ordering::Relaxed);
        progress.done.store(done, Ordering::Relaxed);
        if total < LEARN_IN_VIEW_FROM || done == total {
            return ControlFlow::Continue(());
        }
        if done == next {
            let model = b.model();
            model.prepare();
            let msg = Learnt {
                model: Arc::new(model),
                rejections: rejections.take(),
                done,
                total,
            };
            if !send(Ok(msg)) {
                return ControlFlow::Break(());
            }
            // Each model costs about what learning the texts so far did: none past half way,
            // where the whole one is near.
            next = (done * 4).max(250);
            if next > total / 2 {
                next = usize::MAX;
            }
            woke = (Instant::now(), done);
        } else if done - woke.1 >= total / 20
            && woke.0.elapsed() >= Duration::from_secs(2)
            && progress.shown.load(Ordering::Relaxed)
        {
            // The panel's "learning from … documents" moves on, every 5 % at most: a frame
            // costs a software renderer more than learning a few hundred texts.
            ctx.request_repaint();
            woke = (Instant::now(), done);
        }
        ControlFlow::Continue(())
    });
    match learnt {
        Ok(Some(model)) => {
            model.prepare();
            let total = progress.total.load(Ordering::Relaxed);
            send(Ok(Learnt {
                model: Arc::new(model),
                rejections,
                done: total,
                total,
            }));
        }
        Ok(None) => {}
        Err(e) => {
            send(Err(e.to_string()));
        }
    }
}

/// Drops a model the window no longer uses on a thread of its own: a model of 100,000 texts is
/// millions of small allocations, made by the model's thread, and freeing them took tens of
/// milliseconds of a frame (and waited for that low-priority thread's allocator lock).
fn drop_elsewhere(model: Arc<Model>) {
    // When no thread can start, the model is dropped here after all.
    let _ = std::thread::Builder::new()
        .name("drop suggestion model".into())
        .spawn(move || {
            super::model_sources::lower_priority();
            drop(model);
        });
}

/// Filters the cached proposals against the layer, the rejections and the sources switched
/// on, when any of them changed. After edits alone, only the proposals with the range and tag
/// of a span the edits touched are looked at again: a 10 MB document has tens of thousands of
/// proposals, and filtering them all again after each edit made that frame take 100 ms.
fn refilter(app: &mut MarginaliaApp) {
    let on = sources(app);
    let thr = thresholds(app);
    let by_position = app.prefs.suggestions_by_position;
    let read_only = app.read_only();
    let su = &mut app.suggest;
    let (Some(open), Some(ws)) = (&mut app.open, &app.ws) else {
        return;
    };
    let tags = ws.tags();
    let rel = open.doc.rel();
    let fresh_raw = su.raw_for.as_ref().is_some_and(|(r, _, _)| r == rel);
    let on_flags = Source::ALL.map(|s| on.contains(s));
    let key = (
        rel.to_owned(),
        open.edits,
        on_flags,
        su.generation,
        thr,
        by_position,
    );
    if su.shown_for.as_ref() == Some(&key) {
        return;
    }
    let touched = open.touched.replace(Vec::new());
    let only_edits = su.shown_for.as_ref().is_some_and(|(r, _, f, g, t, o)| {
        (r, f, g, t, o) == (&key.0, &key.2, &key.3, &key.4, &key.5)
    });
    su.shown_for = Some(key);
    if let Some(touched) = touched
        && only_edits
        && fresh_raw
        && !read_only
        && su.out.len() == su.raw.len()
    {
        update_touched(su, &open.doc, rel, &touched, (on, thr, by_position), tags);
        return;
    }
    su.shown.clear();
    su.shown_raw.clear();
    su.out.clear();
    su.counts = [0; Source::COUNT];
    su.below = [0; Source::COUNT];
    // Another annotator's layer is only browsed: nothing is proposed for it.
    if fresh_raw && !read_only {
        // The proposals and the layer's spans are both sorted by range: one walk through
        // both finds which proposals the layer has. (A binary search per proposal jumped
        // around 100,000 spans 47,671 times: 80 ms on the 10 MB document.)
        let spans = &open.doc.layer().spans;
        let mut at = 0;
        for (j, s) in su.raw.iter().enumerate() {
            while spans
                .get(at)
                .is_some_and(|x| (x.start, x.end) < (s.start, s.end))
            {
                at += 1;
            }
            let in_layer = spans[at.min(spans.len())..]
                .iter()
                .take_while(|x| (x.start, x.end) == (s.start, s.end))
                .any(|x| x.tag == s.tag);
            let out = in_layer || su.rejections.contains(rel, s);
            su.out.push(out);
            if out {
                continue;
            }
            if !thr.passes(s) {
                su.below[s.source as usize] += 1;
                continue;
            }
            su.counts[s.source as usize] += 1;
            if on.contains(s.source) {
                su.shown.push(Arc::clone(s));
                su.shown_raw.push(j);
            }
        }
    }
    let mut colors = TagColors::default();
    su.marks = SuggestionMarks::new(
        su.shown
            .iter()
            .map(|s| SuggestionMark {
                start: s.start,
                end: s.end,
                color: colors.of(tags, &s.tag),
                score: s.score,
            })
            .collect(),
    );
    make_rows(su, on, by_position);
}

/// A tag's colour, looked up once per tag rather than once per suggestion.
#[derive(Default)]
struct TagColors(Vec<(String, egui::Color32)>);

impl TagColors {
    fn of(&mut self, tags: &crate::model::tags::TagSet, tag: &str) -> egui::Color32 {
        if let Some((_, c)) = self.0.iter().find(|(t, _)| t == tag) {
            return *c;
        }
        let c = theme::tag_color(tags, tag);
        self.0.push((tag.to_owned(), c));
        c
    }
}

/// The list's rows: the shown suggestions by score, the surest first (ties in the text's
/// order), or in the text's order.
fn make_rows(su: &mut SuggestUi, on: Sources, by_position: bool) {
    su.rows.clear();
    su.rows
        .extend((0..su.shown.len()).filter(|&i| on.contains(su.shown[i].source)));
    if !by_position {
        // Stable: equal scores keep the text's order.
        su.rows
            .sort_by(|&a, &b| su.shown[b].score.total_cmp(&su.shown[a].score));
    }
}

/// After edits: looks again only at the proposals whose range and tag a changed span had or
/// has, adding them to or taking them from the shown list in place. O(t log n) for t touched
/// spans, plus moving the list's tail.
fn update_touched(
    su: &mut SuggestUi,
    doc: &crate::session::document::Document,
    rel: &str,
    touched: &[(usize, usize, String)],
    (on, thr, by_position): (Sources, Thresholds, bool),
    tags: &crate::model::tags::TagSet,
) {
    // The marks' edits, in order, applied together (the marks are indexed again once).
    let mut mark_edits = Vec::new();
    for (start, end, tag) in touched {
        let want = (*start, *end, tag.as_str());
        let from = su
            .raw
            .partition_point(|s| (s.start, s.end, s.tag.as_str()) < want);
        let in_layer = doc.find_span(*start, *end, tag).is_some();
        for j in from..su.raw.len() {
            let s = &su.raw[j];
            if (s.start, s.end, s.tag.as_str()) != want {
                break;
            }
            let out = in_layer || su.rejections.contains(rel, s);
            if out == su.out[j] {
                continue;
            }
            su.out[j] = out;
            let source = s.source;
            // Under its threshold it is neither counted nor shown, in or out of the layer.
            if !thr.passes(s) {
                let b = &mut su.below[source as usize];
                *b = if out { b.saturating_sub(1) } else { *b + 1 };
                continue;
            }
            let at = su.shown_raw.partition_point(|&k| k < j);
            if out {
                su.counts[source as usize] = su.counts[source as usize].saturating_sub(1);
                if on.contains(source) && su.shown_raw.get(at) == Some(&j) {
                    su.shown.remove(at);
                    su.shown_raw.remove(at);
                    mark_edits.push((at, None));
                }
            } else {
                su.counts[source as usize] += 1;
                if on.contains(source) {
                    let s = Arc::clone(s);
                    let mark = SuggestionMark {
                        start: s.start,
                        end: s.end,
                        color: theme::tag_color(tags, &s.tag),
                        score: s.score,
                    };
                    su.shown.insert(at, s);
                    su.shown_raw.insert(at, j);
                    mark_edits.push((at, Some(mark)));
                }
            }
        }
    }
    if !mark_edits.is_empty() {
        su.marks.edit(mark_edits);
        make_rows(su, on, by_position);
    }
}

fn focus(app: &mut MarginaliaApp, i: usize) {
    let Some(s) = app.suggest.shown.get(i) else {
        return;
    };
    app.suggest.focused = Some((s.start, s.end, s.tag.clone()));
    app.suggest.advanced = false;
    let start = s.start;
    app.status_line = describe(s);
    if let Some(open) = &mut app.open {
        open.view.scroll_to_char(start);
    }
}

fn describe(s: &Suggestion) -> String {
    let mut line = format!(
        "Suggested {} from {} ({:.2}): “{}”",
        s.tag,
        origin(s),
        s.score,
        super::text_view::excerpt(&s.text, 60)
    );
    if let Some(why) = &s.explanation {
        line.push_str(&format!(" · {}", super::text_view::excerpt(why, 80)));
    }
    for (k, v) in &s.attrs {
        line.push_str(&format!(" · {k}: {v}"));
    }
    line.push_str(" — y accepts, x rejects, ] next");
    line
}

/// After the focused suggestion goes (accepted or rejected): focus what followed it.
fn focus_after(app: &mut MarginaliaApp, gone: usize) {
    refilter(app);
    let n = app.suggest.shown.len();
    if n == 0 {
        app.suggest.focused = None;
        return;
    }
    let i = gone.min(n - 1);
    let status = std::mem::take(&mut app.status_line);
    focus(app, i);
    app.status_line = status;
    app.suggest.advanced = true;
}

/// Applies a suggestions command.
pub(super) fn apply(app: &mut MarginaliaApp, c: SuggestCommand) {
    let n = app.suggest.shown.len();
    let current = app.suggest.focused_mark();
    match c {
        SuggestCommand::Focus(i) => focus(app, i),
        SuggestCommand::Next | SuggestCommand::Prev => {
            if n == 0 {
                return;
            }
            let next = c == SuggestCommand::Next;
            let i = match current {
                // After y or x the focus moved on to the following one: ] shows that one
                // rather than skipping it.
                Some(i) if next && app.suggest.advanced => i,
                Some(i) if next => (i + 1) % n,
                Some(i) => (i + n - 1) % n,
                None => {
                    // From where the reader is: the first one after the selection, if any.
                    let from = app.selected_text_range().map_or(0, |r| r.0);
                    let after = app.suggest.shown.partition_point(|s| s.start < from);
                    if next { after % n } else { (after + n - 1) % n }
                }
            };
            focus(app, i);
        }
        SuggestCommand::Accept | SuggestCommand::Reject | SuggestCommand::AcceptSource => {
            let Some(i) = current else {
                app.status_line = "No suggestion is focused: ] goes to the next one".into();
                return;
            };
            if app.refuse_read_only() {
                return;
            }
            match c {
                SuggestCommand::Accept => {
                    let s = Suggestion::clone(&app.suggest.shown[i]);
                    let added = accept(app, std::slice::from_ref(&s));
                    if added > 0 {
                        app.status_line = format!("Accepted {} “{}”", s.tag, excerpt(&s.text));
                    }
                }
                SuggestCommand::Reject => reject(app, i),
                _ => {
                    let source = app.suggest.shown[i].source;
                    // Those shown: the ones under the source's threshold are not.
                    let all: Vec<Suggestion> = (app.suggest.shown.iter())
                        .filter(|s| s.source == source)
                        .map(|s| Suggestion::clone(s))
                        .collect();
                    let added = accept(app, &all);
                    let least = thresholds(app).of(source);
                    let above = if least > 0.0 {
                        format!(" scoring {least:.2} or more")
                    } else {
                        String::new()
                    };
                    app.status_line = format!(
                        "Accepted {added} suggestions from {source}{above} (one undo step)"
                    );
                }
            }
            focus_after(app, i);
        }
        SuggestCommand::SetThreshold(source, t) => {
            let t = if t.is_finite() {
                t.clamp(0.0, 1.0)
            } else {
                0.0
            };
            let name = source.name().to_owned();
            if t > 0.0 {
                app.prefs.suggestion_thresholds.insert(name, t);
            } else {
                app.prefs.suggestion_thresholds.remove(&name);
            }
            refilter(app);
            if app.suggest.focused_mark().is_none() {
                app.suggest.focused = None;
            }
        }
        SuggestCommand::OrderByPosition(yes) => {
            app.prefs.suggestions_by_position = yes;
            refilter(app);
        }
        SuggestCommand::SetSource(source, on) => {
            let su = &mut app.suggest;
            if su.dense.iter().any(|(s, _)| *s == source) {
                // Too dense for this document: the tick is for it alone.
                su.dense_shown.retain(|s| *s != source);
                if on {
                    su.dense_shown.push(source);
                }
            }
            let name = source.name().to_owned();
            app.prefs.suggestions_off.retain(|x| x != &name);
            if !on {
                app.prefs.suggestions_off.push(name);
                app.prefs.suggestions_off.sort();
            }
            refilter(app);
            if app.suggest.focused_mark().is_none() {
                app.suggest.focused = None;
            }
        }
    }
}

/// Where a suggestion came from: its source, and the provider or file for those that have one.
fn origin(s: &Suggestion) -> String {
    match &s.by {
        Some(by) => format!("{} {by}", s.source),
        None => s.source.to_string(),
    }
}

fn excerpt(s: &str) -> String {
    super::text_view::excerpt(s, 50)
}

/// Adds `list` to the layer as one undo step, each with its tag's defaults and the values the
/// suggestion filled. Returns how many spans were added.
fn accept(app: &mut MarginaliaApp, list: &[Suggestion]) -> usize {
    let Some(tags) = app.ws.as_ref().map(|w| w.tags().clone()) else {
        return 0;
    };
    let Some(open) = &mut app.open else { return 0 };
    let mut added = 0;
    open.doc.begin_compound();
    for s in list {
        let Some(tag) = tags.get(&s.tag) else {
            continue;
        };
        if let Some(crate::session::document::Added::New(_)) =
            open.doc.add_span_valued(s.start, s.end, tag, &s.attrs)
        {
            added += 1;
        }
    }
    open.doc.end_compound();
    app.after_edit();
    if let Some(open) = &mut app.open {
        // The focus moves on over the list filtered again now, also after thousands.
        open.refresh();
    }
    added
}

/// Rejects shown suggestion `i`: written to the rejections file, and a step in the open
/// document's undo history, so Ctrl+Z brings it back.
fn reject(app: &mut MarginaliaApp, i: usize) {
    let Some(ws) = &app.ws else { return };
    let Some(open) = &mut app.open else { return };
    let s = Suggestion::clone(&app.suggest.shown[i]);
    let rel = open.doc.rel().to_owned();
    match rejections::reject(ws, &app.prefs.annotator, &rel, std::slice::from_ref(&s)) {
        Ok(_) => {
            open.doc
                .record_rejection(rejections::Rejected::of(&rel, &s));
            app.suggest.rejections.add(&rel, &s);
            app.suggest.generation += 1;
            app.status_line = format!(
                "Rejected {} “{}”: it will not be proposed again ({} brings it back)",
                s.tag,
                excerpt(&s.text),
                app.keymap.key(super::Action::Undo)
            );
        }
        Err(e) => app.status_line = format!("Could not store the rejection: {e}"),
    }
}

/// After a rejection was undone (`rejected` false) or redone: the suggestions follow.
pub(super) fn rejections_changed(
    app: &mut MarginaliaApp,
    list: &[rejections::Rejected],
    rejected: bool,
) {
    let su = &mut app.suggest;
    for r in list {
        if rejected {
            su.rejections.insert(r.clone());
        } else {
            su.rejections.remove(r);
        }
    }
    su.generation += 1;
    refilter(app);
    if let Some(r) = list.first()
        && !rejected
    {
        // The suggestion brought back is focused, as it was when it was rejected.
        let at = app.suggest.shown.iter().position(|s| {
            (s.start, s.end, s.tag.as_str(), s.text.as_str())
                == (r.start, r.end, r.tag.as_str(), r.exact.as_str())
        });
        if let Some(i) = at {
            let status = std::mem::take(&mut app.status_line);
            focus(app, i);
            app.status_line = status;
        }
    }
}

/// The Suggestions section of the right panel: each source with its count and a switch, and
/// the suggestions of the sources switched on; a click focuses one.
pub(super) fn section(app: &MarginaliaApp, ui: &mut Ui, commands: &mut Vec<Command>) {
    let su = &app.suggest;
    let weak = theme::weak(ui.visuals());
    let on = sources(app);
    su.progress
        .shown
        .store(su.building.is_some(), Ordering::Relaxed);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Suggestions").strong());
        ui.label(RichText::new(format!("{}", su.shown.len())).color(weak));
        if su.building.is_some() {
            let p = &su.progress;
            let (done, total) = (
                p.done.load(Ordering::Relaxed),
                p.total.load(Ordering::Relaxed),
            );
            let text = if total == 0 {
                "learning…".to_owned()
            } else {
                format!("learning from {done} of {total} documents…")
            };
            ui.label(RichText::new(text).small().color(weak))
                .on_hover_text(
                    "The suggestions learn from the workspace's texts and your layers, in the \
                     background; those shown come from what was learnt so far",
                );
        } else if su.job.is_some() {
            ui.label(RichText::new("finding…").small().color(weak));
        }
    });
    // The rules' error, then each model source's that failed for this document.
    for e in su.error.iter().chain(su.models.errors()) {
        ui.label(
            RichText::new(e)
                .small()
                .color(theme::error_color(ui.visuals())),
        );
    }
    if su.models.training() {
        ui.label(
            RichText::new("training the learned tagger…")
                .small()
                .color(weak),
        )
        .on_hover_text(
            "The curated layers changed: the learned source is trained again on them in \
                 the background, and proposes with the new model when it is done",
        );
    } else if let Some(said) = su.models.trained() {
        ui.label(
            RichText::new(format!("Learned tagger: {said}"))
                .small()
                .color(weak),
        );
    }
    if su.models.working() && su.job.is_none() {
        ui.label(RichText::new("asking the models…").small().color(weak));
    }
    if app.read_only() {
        ui.label(
            RichText::new("Only for your own layer.")
                .small()
                .color(weak),
        );
        return;
    }
    let Some(ws) = &app.ws else { return };
    let tags = ws.tags();
    let focused = su.focused_mark();
    let row_h = ui.spacing().interact_size.y;
    let mut area = egui::ScrollArea::vertical()
        .id_salt("suggestions")
        .max_height(150.0)
        .auto_shrink([false, true]);
    // The list follows the focus once per newly focused suggestion (rows out of view are not
    // drawn, so the offset is computed).
    let follows = egui::Id::unique("suggestion list follows");
    if let Some(i) = focused
        && let Some(s) = su.shown.get(i)
        && ui.memory(|m| m.data.get_temp::<(usize, usize)>(follows)) != Some((s.start, s.end))
    {
        ui.memory_mut(|m| m.data.insert_temp(follows, (s.start, s.end)));
        if let Some(row) = su.rows.iter().position(|&j| j == i) {
            let step = row_h + ui.spacing().item_spacing.y;
            area = area.vertical_scroll_offset((row as f32 * step - 60.0).max(0.0));
        }
    }
    let thr = thresholds(app);
    // The list's order.
    ui.horizontal(|ui| {
        let by_position = app.prefs.suggestions_by_position;
        let mut pos = by_position;
        ui.label(RichText::new("Order:").small().color(weak));
        ui.selectable_value(&mut pos, false, "by score")
            .on_hover_text("The surest suggestions first");
        ui.selectable_value(&mut pos, true, "in the text")
            .on_hover_text("In the order they come in the text");
        if pos != by_position {
            commands.push(Command::Suggest(SuggestCommand::OrderByPosition(pos)));
        }
    });
    // Each source's switch, count and threshold stays in view above the list.
    {
        for source in Source::ALL {
            let count = su.counts[source as usize];
            let mut checked = on.contains(source);
            let dense = (su.dense.iter().find(|(s, _)| *s == source)).map(|(_, n)| *n);
            // A model, provider or import with nothing for this document takes no room.
            if !Source::RULES.contains(&source) && count == 0 && dense.is_none() {
                continue;
            }
            let label = match dense {
                Some(found) if !checked => format!("{source} (too dense: {found})"),
                _ => format!("{source} ({count})"),
            };
            let hover = match dense {
                Some(found) => format!(
                    "{source} found {found} in this document, more than one every {} \
                     characters: its outlines would cover the text, so it starts switched off \
                     here. Tick it to show them for this document.",
                    1000 / DENSE_PER_1000
                ),
                None => "Show this source's suggestions".to_owned(),
            };
            let below = su.below[source as usize];
            let hover = if below > 0 {
                format!("{hover}. {below} more score under its threshold and are hidden.")
            } else {
                hover
            };
            ui.horizontal(|ui| {
                let r = ui.checkbox(&mut checked, label).on_hover_text(hover);
                if r.changed() {
                    commands.push(Command::Suggest(SuggestCommand::SetSource(source, checked)));
                }
                // The least score shown: under it, suggestions are hidden and Shift+Y leaves them.
                let mut t = thr.of(source);
                let r = ui
                    .with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        ui.add(
                            egui::DragValue::new(&mut t)
                                .range(0.0..=1.0)
                                .speed(0.01)
                                .fixed_decimals(2)
                                .prefix("≥ "),
                        )
                    })
                    .inner
                    .on_hover_text(format!(
                        "Hide {source}'s suggestions scoring under this; Shift+Y accepts only \
                     those shown"
                    ));
                r.widget_info(|| {
                    egui::WidgetInfo::labeled(
                        egui::Role::SpinButton,
                        true,
                        format!("{source} threshold"),
                    )
                });
                if r.changed() {
                    commands.push(Command::Suggest(SuggestCommand::SetThreshold(source, t)));
                }
            });
        }
    }
    // A source that found more than it proposes says so, with both counts.
    let fresh =
        su.raw_for.as_ref().map(|(r, _, _)| r.as_str()) == app.open.as_ref().map(|o| o.doc.rel());
    if fresh {
        let warn = theme::tone_color(theme::Tone::Warn, ui.visuals());
        // Only for a source that is on: one off says "off: N found" on its tick already.
        for c in su.cut.iter().filter(|c| on.contains(c.source)) {
            ui.label(
                RichText::new(format!(
                    "{}: {} of {} found, spread over the text — cut",
                    c.source, c.kept, c.found
                ))
                .small()
                .color(warn),
            )
            .on_hover_text(format!(
                "{} found more than {} in this text: it proposes that many, chosen evenly \
                 over the whole text",
                c.source,
                crate::assist::suggest::MAX_PER_SOURCE
            ));
        }
    }
    area.show_rows(ui, row_h, su.rows.len(), |ui, range| {
        for &i in &su.rows[range] {
            let Some(s) = su.shown.get(i) else { continue };
            ui.horizontal(|ui| {
                let color = theme::tag_color(tags, &s.tag);
                ui.label(RichText::new("▭").color(color));
                let text = format!(
                    "{:.2} {} “{}”",
                    s.score,
                    s.tag,
                    super::text_view::excerpt(&s.text, 30)
                );
                // In visual order (right-to-left words and numbers in their places); a screen
                // reader gets the words in reading order.
                let shown = super::text_view::visual_line_job(
                    &text,
                    egui::TextStyle::Button.resolve(ui.style()),
                    egui::Color32::PLACEHOLDER,
                );
                // Truncated: a long quote must not widen the panel (and reflow the text).
                let is_focused = focused == Some(i);
                let r = ui.add(egui::Button::selectable(is_focused, shown).truncate());
                r.widget_info(|| {
                    egui::WidgetInfo::selected(egui::Role::Button, true, is_focused, &text)
                });
                let r = r.on_hover_ui(|ui| {
                    ui.label(format!("From {}, score {:.2}", origin(s), s.score));
                    if let Some(why) = &s.explanation {
                        ui.label(RichText::new(why).small());
                    }
                });
                if r.clicked() {
                    commands.push(Command::Suggest(SuggestCommand::Focus(i)));
                }
            });
        }
    });
}
