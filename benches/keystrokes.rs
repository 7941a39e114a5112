//! Keystrokes per gold span (issue 26 §6): a scripted editor labels held-out documents until
//! their layer matches a gold layer, with no suggestions, with the rule sources and with the
//! learned source, and counts the drags, clicks and keys it needed. A benchmark, not a test:
//! `cargo bench --bench keystrokes` prints Markdown tables for BENCHMARKS.md.
//!
//! The editor uses what the window offers (src/app/suggestions.rs, src/app/registry.rs):
//!
//! - **No suggestions**: each gold span is one drag (the selection, snapped to words, or to
//!   characters with Alt) and one tag key. A gold span's attributes are out of scope: every
//!   condition would pay the same for them.
//! - **Walk** (`]`, `y`, `x`): the shown suggestions are sorted by range, as the window sorts
//!   them. `]` focuses the first; `y` accepts the focused one and `x` rejects it, and either moves
//!   the focus to the following one, so each suggestion up to the last one the editor accepts
//!   costs exactly one key. `x` is never dearer than `]` (a `]` right after `y` or `x` stays on
//!   the suggestion it is on), so a wrong suggestion costs `x`; those after the last accepted one
//!   are left alone and cost nothing. A wrong range is fixed only when that is cheaper than
//!   rejecting it and drawing the span: `y` does not select the span it adds, so a fix costs `y`,
//!   a click on the span, a drag per wrong end and a tag key if the tag is wrong (at least 3),
//!   while `x` + drag + tag key is 3; with today's window the fix never wins, and the bench says
//!   how often it was possible. Gold spans no accepted suggestion gives are drawn: drag + key.
//! - **Shift+Y then fix** (learned source, threshold t): `]` and Shift+Y accept every shown
//!   suggestion (score ≥ t) as one step. A wrong span is fixed (click + a drag per wrong end, + a
//!   tag key if its tag is wrong) when it overlaps a gold span nothing gave and that is cheaper
//!   than deleting it (click + Delete) and drawing the gold span (drag + key); otherwise it is
//!   deleted. The missing gold spans are drawn.
//!
//! The editor does all the suggestion keys first and draws afterwards (drawing never changes
//! which suggestion is focused). Opening the next document is not counted, nor is scrolling.
//! The models are static while the held-out documents are labelled: neither source learns from
//! them as the editor goes on.
//!
//! `MARGINALIA_CONLL2003` names the folder with eng.train and eng.testb (default
//! `../shared/data/conll2003`; missing, it is skipped); `MARGINALIA_KEYS_HELD_OUT` the number of
//! eng.testb documents labelled (default 50); `MARGINALIA_KEYS_N` the curated sizes (default
//! `10,50,200,all`); `MARGINALIA_BENCH_ONLY` = `conll` or `seeds` runs one part.

use std::ops::{AddAssign, ControlFlow};
use std::path::{Path, PathBuf};
use std::time::Instant;

use marginalia::app::suggestions::DENSE_PER_1000;
use marginalia::assist::learn::{self, GoldSpan, TrainOptions, TrainingDoc};
use marginalia::assist::suggest::{self, Corpus, Model, Rejections, Source, Sources, Suggestion};
use marginalia::interchange::import::ImportFormat;
use marginalia::workspace::Workspace;

/// The annotator the CoNLL files are imported as: their gold layer.
#[path = "common/corpus.rs"]
mod corpus_setup;

const CONLL_ANNOTATOR: &str = "gold";

/// What the editor did, summed over documents.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    docs: usize,
    gold: usize,
    /// Suggestions shown (after the threshold and the dense-source rule).
    shown: usize,
    /// Gold spans matched exactly by an accepted suggestion.
    exact: usize,
    /// Gold spans reached by accepting a suggestion and fixing its range or tag.
    fixed: usize,
    /// Gold spans drawn (drag + tag key).
    drawn: usize,
    /// Suggestions rejected with `x`.
    rejected: usize,
    /// Suggestions accepted by Shift+Y and deleted again.
    deleted: usize,
    /// Wrong suggestions overlapping a gold span with its tag, which a fix could have used.
    fixable: usize,
    drags: usize,
    clicks: usize,
    keys: usize,
}

impl Tally {
    fn actions(&self) -> usize {
        self.drags + self.clicks + self.keys
    }
}

impl AddAssign for Tally {
    fn add_assign(&mut self, o: Self) {
        self.docs += o.docs;
        self.gold += o.gold;
        self.shown += o.shown;
        self.exact += o.exact;
        self.fixed += o.fixed;
        self.drawn += o.drawn;
        self.rejected += o.rejected;
        self.deleted += o.deleted;
        self.fixable += o.fixable;
        self.drags += o.drags;
        self.clicks += o.clicks;
        self.keys += o.keys;
    }
}

/// Pointer and key actions of one edit.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Cost {
    drags: usize,
    clicks: usize,
    keys: usize,
}

impl Cost {
    fn total(self) -> usize {
        self.drags + self.clicks + self.keys
    }
}

/// Drawing a span: a drag over it and its tag's key.
const DRAW: Cost = Cost {
    drags: 1,
    clicks: 0,
    keys: 1,
};

/// Turning span `s` (already in the layer) into gold span `g`: a click selects it, each wrong
/// end is one drag of that end (the other end stays), a wrong tag is its tag key.
fn fix(s: &Suggestion, g: &GoldSpan) -> Cost {
    Cost {
        drags: usize::from(s.start != g.start) + usize::from(s.end != g.end),
        clicks: 1,
        keys: usize::from(s.tag != g.tag),
    }
}

fn overlaps(s: &Suggestion, g: &GoldSpan) -> bool {
    s.start < g.end && g.start < s.end
}

fn same(s: &Suggestion, g: &GoldSpan) -> bool {
    (s.start, s.end, s.tag.as_str()) == (g.start, g.end, g.tag.as_str())
}

/// The gold spans each suggestion gives exactly (one gold span per suggestion and back).
fn exact_matches(gold: &[GoldSpan], shown: &[Suggestion]) -> (Vec<Option<usize>>, Vec<bool>) {
    let mut taken = vec![false; gold.len()];
    let given = shown
        .iter()
        .map(|s| {
            let j = (0..gold.len()).find(|&j| !taken[j] && same(s, &gold[j]))?;
            taken[j] = true;
            Some(j)
        })
        .collect();
    (given, taken)
}

/// For each gold span nothing gave, in text order, the cheapest fix of a suggestion not yet
/// used (`free`) that overlaps it: (suggestion, gold span, its cost).
fn fix_candidates(
    gold: &[GoldSpan],
    taken: &[bool],
    shown: &[Suggestion],
    free: &[bool],
) -> Vec<(usize, usize, Cost)> {
    let mut used = vec![false; shown.len()];
    let mut out = Vec::new();
    for (j, g) in gold.iter().enumerate() {
        if taken[j] {
            continue;
        }
        let best = (0..shown.len())
            .filter(|&i| free[i] && !used[i] && overlaps(&shown[i], g))
            .min_by_key(|&i| fix(&shown[i], g).total());
        if let Some(i) = best {
            used[i] = true;
            out.push((i, j, fix(&shown[i], g)));
        }
    }
    out
}

/// The ends of a document's labelling: every gold span is given, fixed or drawn exactly once.
fn check(t: &Tally, gold: usize) {
    assert_eq!(
        t.exact + t.fixed + t.drawn,
        gold,
        "the scripted editor's layer does not match the gold layer"
    );
}

/// No suggestions: drag + key per gold span.
fn by_hand(gold: &[GoldSpan]) -> Tally {
    let t = Tally {
        docs: 1,
        gold: gold.len(),
        drawn: gold.len(),
        drags: gold.len() * DRAW.drags,
        keys: gold.len() * DRAW.keys,
        ..Tally::default()
    };
    check(&t, gold.len());
    t
}

/// The `]` / `y` / `x` walk over `shown` (sorted by range, as the window lists them).
fn walk(gold: &[GoldSpan], shown: &[Suggestion]) -> Tally {
    let mut t = Tally {
        docs: 1,
        gold: gold.len(),
        shown: shown.len(),
        ..Tally::default()
    };
    let (given, mut taken) = exact_matches(gold, shown);
    let mut accepted: Vec<bool> = given.iter().map(Option::is_some).collect();
    t.exact = given.iter().flatten().count();
    // A fix replaces `x` + drawing; it is taken only when strictly cheaper.
    let free: Vec<bool> = accepted.iter().map(|a| !a).collect();
    let mut fix_cost = Cost::default();
    for (i, j, c) in fix_candidates(gold, &taken, shown, &free) {
        if shown[i].tag == gold[j].tag {
            t.fixable += 1;
        }
        let with_y = c.total() + 1;
        let reject_and_draw = 1 + DRAW.total();
        if with_y < reject_and_draw {
            accepted[i] = true;
            taken[j] = true;
            t.fixed += 1;
            fix_cost.drags += c.drags;
            fix_cost.clicks += c.clicks;
            fix_cost.keys += c.keys;
        }
    }
    if let Some(last) = accepted.iter().rposition(|&a| a) {
        // `]` once, then `y` or `x` on every suggestion up to the last accepted.
        t.keys += 1 + (last + 1);
        t.rejected = accepted[..=last].iter().filter(|a| !**a).count();
    }
    t.drags += fix_cost.drags;
    t.clicks += fix_cost.clicks;
    t.keys += fix_cost.keys;
    t.drawn = taken.iter().filter(|x| !**x).count();
    t.drags += t.drawn * DRAW.drags;
    t.keys += t.drawn * DRAW.keys;
    check(&t, gold.len());
    t
}

/// `]` and Shift+Y accept everything shown; then fix or delete the wrong spans and draw the
/// missing ones.
fn accept_all_then_fix(gold: &[GoldSpan], shown: &[Suggestion]) -> Tally {
    let mut t = Tally {
        docs: 1,
        gold: gold.len(),
        shown: shown.len(),
        ..Tally::default()
    };
    if !shown.is_empty() {
        t.keys += 2;
    }
    let (given, mut taken) = exact_matches(gold, shown);
    t.exact = given.iter().flatten().count();
    let mut wrong: Vec<bool> = given.iter().map(Option::is_none).collect();
    let delete = Cost {
        drags: 0,
        clicks: 1,
        keys: 1,
    };
    for (i, j, c) in fix_candidates(gold, &taken, shown, &wrong) {
        if shown[i].tag == gold[j].tag {
            t.fixable += 1;
        }
        if c.total() < delete.total() + DRAW.total() {
            wrong[i] = false;
            taken[j] = true;
            t.fixed += 1;
            t.drags += c.drags;
            t.clicks += c.clicks;
            t.keys += c.keys;
        }
    }
    t.deleted = wrong.iter().filter(|w| **w).count();
    t.clicks += t.deleted * delete.clicks;
    t.keys += t.deleted * delete.keys;
    t.drawn = taken.iter().filter(|x| !**x).count();
    t.drags += t.drawn * DRAW.drags;
    t.keys += t.drawn * DRAW.keys;
    check(&t, gold.len());
    t
}

/// What the window shows of `list` for a text of `chars` characters: scores under the
/// threshold are hidden, and unless `ticked`, a source that finds more than 100 and more than
/// [`DENSE_PER_1000`] per 1,000 characters starts switched off (the panel shows its count and a
/// tick turns it on for this document). Returns the shown suggestions sorted by range, and
/// whether a source was dense.
fn as_shown(
    mut list: Vec<Suggestion>,
    chars: usize,
    threshold: f32,
    ticked: bool,
) -> (Vec<Suggestion>, bool) {
    let mut dense = false;
    for source in Source::ALL {
        let found = list.iter().filter(|s| s.source == source).count();
        if found > 100 && found * 1000 > DENSE_PER_1000 * chars.max(1) {
            dense = true;
            if !ticked {
                list.retain(|s| s.source != source);
            }
        }
    }
    // As the window's threshold compares: in hundredths.
    let least = (threshold.clamp(0.0, 1.0) * 100.0).round();
    list.retain(|s| s.score * 100.0 + 1e-3 >= least);
    list.sort_by(|a, b| (a.start, a.end, &a.tag).cmp(&(b.start, b.end, &b.tag)));
    list.dedup_by(|b, a| (a.start, a.end, &a.tag) == (b.start, b.end, &b.tag));
    (list, dense)
}

/// One row of a table: a condition and its tally.
struct Row {
    condition: String,
    curated: String,
    tally: Tally,
    /// Documents where a source was too dense and started off: ticked on (one click) because
    /// that was cheaper, and left off.
    dense_on: usize,
    dense_off: usize,
}

fn print_table(title: &str, rows: &[Row]) {
    println!("{title}\n");
    println!(
        "| condition | curated docs | docs | gold spans | shown | gold matched exactly | fixed | drawn | x | deleted | drags | clicks | keys | **actions** | **actions / gold span** |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let t = &r.tally;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | **{}** | **{:.2}** |",
            r.condition,
            r.curated,
            t.docs,
            t.gold,
            t.shown,
            t.exact,
            t.fixed,
            t.drawn,
            t.rejected,
            t.deleted,
            t.drags,
            t.clicks,
            t.keys,
            t.actions(),
            t.actions() as f64 / t.gold.max(1) as f64
        );
    }
    let fixable: Vec<String> = rows
        .iter()
        .filter(|r| r.condition.ends_with("walk") && r.tally.fixable > 0)
        .map(|r| format!("{} ({}): {}", r.condition, r.curated, r.tally.fixable))
        .collect();
    if !fixable.is_empty() {
        println!(
            "\nWalk: wrong suggestions with the right tag over a gold span nothing else gave, \
             which `y` + click + drag could have fixed (never cheaper than `x` + drag + key, so \
             rejected and drawn): {}.",
            fixable.join("; ")
        );
    }
    let dense: Vec<String> = rows
        .iter()
        .filter(|r| r.dense_on + r.dense_off > 0)
        .map(|r| {
            format!(
                "{} ({}): {} ticked on, {} left off",
                r.condition, r.curated, r.dense_on, r.dense_off
            )
        })
        .collect();
    if !dense.is_empty() {
        println!(
            "\nDocuments where a source was too dense and started off (a click ticks it on, \
             taken when cheaper): {}.",
            dense.join("; ")
        );
    }
    println!();
}

/// Runs every suggestion policy over `docs` with the suggestions `propose` gives each one.
struct Conditions<'a> {
    gold: &'a [TrainingDoc],
}

impl Conditions<'_> {
    fn by_hand(&self) -> Row {
        let mut tally = Tally::default();
        for d in self.gold {
            tally += by_hand(&d.spans);
        }
        Row {
            condition: "no suggestions".into(),
            curated: "–".into(),
            tally,
            dense_on: 0,
            dense_off: 0,
        }
    }

    fn run(
        &self,
        condition: &str,
        curated: &str,
        threshold: f32,
        policy: fn(&[GoldSpan], &[Suggestion]) -> Tally,
        propose: &mut dyn FnMut(&TrainingDoc) -> Vec<Suggestion>,
    ) -> Row {
        let mut tally = Tally::default();
        let (mut dense_on, mut dense_off) = (0, 0);
        for d in self.gold {
            let mut list = propose(d);
            // The editor starts from an empty layer with no rejections.
            suggest::filter_new(&mut list, &d.rel, None, &Rejections::default());
            let chars = d.text.char_len();
            let (shown, dense) = as_shown(list.clone(), chars, threshold, false);
            let mut t = policy(&d.spans, &shown);
            if dense {
                let (all, _) = as_shown(list, chars, threshold, true);
                let mut on = policy(&d.spans, &all);
                on.clicks += 1;
                if on.actions() < t.actions() {
                    t = on;
                    dense_on += 1;
                } else {
                    dense_off += 1;
                }
            }
            tally += t;
        }
        Row {
            condition: condition.into(),
            curated: curated.into(),
            tally,
            dense_on,
            dense_off,
        }
    }
}

fn rule_suggestions(model: &Model, d: &TrainingDoc) -> Vec<Suggestion> {
    let mut list = model.suggest(&d.text, Sources::only(&Source::RULES));
    list.retain(|s| Source::RULES.contains(&s.source));
    list
}

fn train(docs: &[TrainingDoc], tags: &[String]) -> (learn::Model, f64) {
    let opts = TrainOptions {
        tags: tags.to_vec(),
        ..TrainOptions::default()
    };
    let t = Instant::now();
    let m = learn::train(docs, &opts, &mut |_| ControlFlow::Continue(()))
        .expect("training the learned source");
    (m, t.elapsed().as_secs_f64())
}

fn learned_suggestions(model: &learn::Model, d: &TrainingDoc) -> Vec<Suggestion> {
    assert!(
        !model.trained_on(d.text.sha256()),
        "{} is held out but the model learnt from it",
        d.rel
    );
    learn::to_suggestions(&d.text, &model.predict(&d.text))
}

/// The learned source's rows for one model: the walk, and Shift+Y at several thresholds.
fn learned_rows(
    c: &Conditions<'_>,
    curated: &str,
    predict: &mut dyn FnMut(&TrainingDoc) -> Vec<Suggestion>,
) -> Vec<Row> {
    // Predict once per document; every policy reads the same proposals.
    let cache: Vec<(String, Vec<Suggestion>)> =
        c.gold.iter().map(|d| (d.rel.clone(), predict(d))).collect();
    let mut lookup = |d: &TrainingDoc| {
        cache
            .iter()
            .find(|(rel, _)| *rel == d.rel)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    let mut rows = vec![c.run("learned, walk", curated, 0.0, walk, &mut lookup)];
    for t in [0.0, 0.5, 0.7, 0.9] {
        rows.push(c.run(
            &format!("learned, Shift+Y ≥ {t:.1} then fix"),
            curated,
            t,
            accept_all_then_fix,
            &mut lookup,
        ));
    }
    rows
}

fn data_dir(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(default),
        PathBuf::from,
    )
}

fn curated_sizes(available: usize) -> Vec<usize> {
    let spec = std::env::var("MARGINALIA_KEYS_N").unwrap_or_else(|_| "10,50,200,all".into());
    let mut out: Vec<usize> = spec
        .split(',')
        .filter_map(|n| match n.trim() {
            "all" => Some(available),
            n => n.parse().ok(),
        })
        .map(|n: usize| n.min(available))
        .collect();
    out.dedup();
    out
}

fn conll() {
    let dir = data_dir("MARGINALIA_CONLL2003", "../shared/data/conll2003");
    if !dir.join("eng.train").is_file() || !dir.join("eng.testb").is_file() {
        println!("(no CoNLL-2003 at {}: skipped)\n", dir.display());
        return;
    }
    let tmp = tempfile::tempdir().expect("a temp folder for the scratch workspace");
    let root = tmp.path();
    std::fs::create_dir_all(root.join("annotations")).expect("the annotations folder");
    corpus_setup::import(
        root,
        ImportFormat::Conll(Default::default()),
        CONLL_ANNOTATOR,
        dir.join("eng.train"),
        "train",
    );
    corpus_setup::import(
        root,
        ImportFormat::Conll(Default::default()),
        CONLL_ANNOTATOR,
        dir.join("eng.testb"),
        "testb",
    );
    let ws = Workspace::open(root).expect("the scratch workspace");
    let tags: Vec<String> = ws.tags().tags.iter().map(|t| t.name.clone()).collect();
    let train_docs = corpus_setup::gather(&ws, CONLL_ANNOTATOR, "train");
    let held_out_n: usize = std::env::var("MARGINALIA_KEYS_HELD_OUT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let mut test = corpus_setup::gather(&ws, CONLL_ANNOTATOR, "testb");
    test.truncate(held_out_n);
    let c = Conditions { gold: &test };
    let mut rows = vec![c.by_hand()];

    // The rules read every text of the workspace, and the gold layers of the curated
    // documents only (repeats proposes what was tagged there).
    let mut corpus = Corpus::load(&ws, Some(CONLL_ANNOTATOR)).expect("the rules' corpus");
    let all_layers = std::mem::take(&mut corpus.layers);
    let mut notes = Vec::new();
    for n in curated_sizes(train_docs.len()) {
        let curated = &train_docs[..n];
        corpus.layers = curated
            .iter()
            .filter_map(|d| all_layers.get(&d.rel).map(|l| (d.rel.clone(), l.clone())))
            .collect();
        let model = Model::new(ws.tags(), &corpus);
        rows.push(c.run("rules, walk", &n.to_string(), 0.0, walk, &mut |d| {
            rule_suggestions(&model, d)
        }));
        let (model, secs) = train(curated, &tags);
        notes.push(format!("{n}: {secs:.1} s"));
        rows.extend(learned_rows(&c, &n.to_string(), &mut |d| {
            learned_suggestions(&model, d)
        }));
    }
    print_table(
        &format!(
            "CoNLL-2003 English: the first {} documents of eng.testb labelled to match their gold \
             layer ({} entities); curated = the first N documents of eng.train (gold layers), \
             which the rules' repeats and the learned source learn from.",
            test.len(),
            test.iter().map(|d| d.spans.len()).sum::<usize>()
        ),
        &rows,
    );
    println!("Learned source training time by N: {}.\n", notes.join(", "));
}

fn seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Workspace::open(root).expect("the repository's workspace");
    let tags: Vec<String> = ws.tags().tags.iter().map(|t| t.name.clone()).collect();
    let gold = corpus_setup::gather(&ws, "editor-a", "seeds");
    let others = corpus_setup::gather(&ws, "editor-b", "seeds");
    let c = Conditions { gold: &gold };
    let mut rows = vec![c.by_hand()];
    // As `suggest --eval`: each document with a model that learnt nothing from its own layer.
    let corpus = Corpus::load(&ws, Some("editor-a")).expect("the rules' corpus");
    rows.push(c.run("rules, walk", "4 (editor-a)", 0.0, walk, &mut |d| {
        let model = Model::new_without(ws.tags(), &corpus, &d.rel);
        rule_suggestions(&model, d)
    }));
    // Leave one out: editor-b's layers of the other seeds.
    rows.extend(learned_rows(&c, "4 (editor-b)", &mut |d| {
        let rest: Vec<TrainingDoc> = others.iter().filter(|o| o.rel != d.rel).cloned().collect();
        let (model, _) = train(&rest, &tags);
        learned_suggestions(&model, d)
    }));
    print_table(
        &format!(
            "Seeds: the {} seeds labelled to match editor-a's layer ({} spans); the rules learn \
             from editor-a's other seeds, the learned source from editor-b's other seeds \
             (leave one out).",
            gold.len(),
            gold.iter().map(|d| d.spans.len()).sum::<usize>()
        ),
        &rows,
    );
}

fn main() {
    let only = std::env::var("MARGINALIA_BENCH_ONLY").unwrap_or_default();
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("Load average at the start: {}\n", load.trim());
    }
    let clock = Instant::now();
    if only.is_empty() || only == "seeds" {
        seeds();
    }
    if only.is_empty() || only == "conll" {
        conll();
    }
    eprintln!("done in {:.0} s", clock.elapsed().as_secs_f64());
}
