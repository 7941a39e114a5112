//! The learned source on data we did not write: CoNLL-2003 English imported with the CoNLL
//! importer (eng.train and eng.testb into separate folders of a temp workspace), trained on the
//! first 10, 50, 200 and all 946 training documents and scored on eng.testb by exact match (as
//! conlleval counts it), with training and prediction times; then the active order against the
//! list order, the scores' calibration, and the brat corpus of CoNLL-2002 Spanish documents by
//! cross-validation. A plain binary (`harness = false`): `cargo bench --bench learn`. It prints
//! Markdown tables for BENCHMARKS.md.
//!
//! `MARGINALIA_CONLL2003` names the folder with eng.train and eng.testb (default
//! `../shared/data/conll2003`), `MARGINALIA_BRAT_ESP` the brat folder (default
//! `../shared/interop/brat/conll2002-esp`); a missing one is skipped. `MARGINALIA_BENCH_ONLY`
//! = `curve`, `active`, `brat` runs one part; `MARGINALIA_LEARN_TEMPERATURE` tries another
//! temperature for the scores.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use marginalia::assist::learn::score::Scores;
use marginalia::assist::learn::{self, Model, TrainOptions, TrainingDoc};
use marginalia::interchange::import::ImportFormat;
use marginalia::workspace::Workspace;

#[path = "common/corpus.rs"]
mod corpus_setup;

const ANNOTATOR: &str = "gold";

fn data_dir(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(default),
        PathBuf::from,
    )
}

fn train(docs: &[TrainingDoc], tags: &[String]) -> (Model, f64) {
    let mut opts = TrainOptions {
        tags: tags.to_vec(),
        ..TrainOptions::default()
    };
    // To try another temperature for the scores (the calibration table).
    if let Some(t) = std::env::var("MARGINALIA_LEARN_TEMPERATURE")
        .ok()
        .and_then(|t| t.parse().ok())
    {
        opts.temperature = t;
    }
    let t = Instant::now();
    let m = learn::train(docs, &opts, &mut |_| ControlFlow::Continue(())).expect("training");
    (m, t.elapsed().as_secs_f64())
}

/// Exact-match scores of `model` on `docs`, the seconds predicting took, and (score, right)
/// for every proposal.
fn evaluate(model: &Model, docs: &[TrainingDoc]) -> (Scores, f64, Vec<(f32, bool)>) {
    let mut scores = Scores::default();
    let mut calib = Vec::new();
    let t = Instant::now();
    let predicted: Vec<_> = docs.iter().map(|d| model.predict(&d.text)).collect();
    let secs = t.elapsed().as_secs_f64();
    for (d, p) in docs.iter().zip(&predicted) {
        let gold: Vec<(usize, usize, &str)> = d
            .spans
            .iter()
            .map(|s| (s.start, s.end, s.tag.as_str()))
            .collect();
        let prop: Vec<(usize, usize, &str)> =
            p.iter().map(|s| (s.start, s.end, s.tag.as_str())).collect();
        for s in &prop {
            calib.push((
                p.iter()
                    .find(|x| (x.start, x.end, x.tag.as_str()) == *s)
                    .map_or(0.0, |x| x.score),
                gold.contains(s),
            ));
        }
        scores.add(&prop, &gold);
    }
    (scores, secs, calib)
}

fn f(x: f64) -> String {
    format!("{x:.3}")
}

fn tokens(docs: &[TrainingDoc]) -> usize {
    docs.iter()
        .map(|d| learn::tokens::tokenize(d.text.as_str()).len())
        .sum()
}

fn curve(ws: &Workspace, train_docs: &[TrainingDoc], test: &[TrainingDoc], tags: &[String]) {
    println!(
        "| training documents | tokens | training s | prediction s (testb, {} docs) | PER | LOC | ORG | MISC | **overall F1** | precision | recall |",
        test.len()
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut last = None;
    for n in [10, 50, 200, train_docs.len()] {
        let part = &train_docs[..n.min(train_docs.len())];
        let (model, secs) = train(part, tags);
        let (scores, pred, calib) = evaluate(&model, test);
        let per = |t: &str| scores.by_tag.get(t).map_or(0.0, |c| c.f1());
        let all = scores.overall();
        println!(
            "| {} | {} | {:.2} | {:.2} | {} | {} | {} | {} | **{}** | {} | {} |",
            part.len(),
            model.header.tokens,
            secs,
            pred,
            f(per("PER")),
            f(per("LOC")),
            f(per("ORG")),
            f(per("MISC")),
            f(all.f1()),
            f(all.precision().unwrap_or(0.0)),
            f(all.recall().unwrap_or(0.0)),
        );
        last = Some((model, calib));
    }
    let Some((model, calib)) = last else { return };
    let bytes = learn::file::to_bytes(&model);
    println!(
        "\nModel file with all of eng.train: {:.1} MB, {} features, {} training tokens.",
        bytes.len() as f64 / 1e6,
        model.feature_count(),
        model.header.tokens
    );
    let t = Instant::now();
    let back = learn::file::from_bytes(&bytes, "bench").expect("read back");
    println!(
        "Read and checked in {:.2} s ({} features).",
        t.elapsed().as_secs_f64(),
        back.feature_count()
    );
    let path = learn::file::model_path(ws);
    let _ = learn::file::save(&model, &path);
    println!("\nPrecision by score (all of eng.train, proposals on eng.testb):\n");
    println!("| score | proposals | exact precision |");
    println!("|---|---:|---:|");
    for (lo, hi) in [
        (0.0, 0.5),
        (0.5, 0.7),
        (0.7, 0.9),
        (0.9, 0.97),
        (0.97, 1.01),
    ] {
        let in_bin: Vec<&(f32, bool)> = calib
            .iter()
            .filter(|(s, _)| f64::from(*s) >= lo && f64::from(*s) < hi)
            .collect();
        let right = in_bin.iter().filter(|(_, r)| *r).count();
        println!(
            "| {lo:.2}–{:.2} | {} | {} |",
            hi.min(1.0),
            in_bin.len(),
            if in_bin.is_empty() {
                "–".into()
            } else {
                f(right as f64 / in_bin.len() as f64)
            }
        );
    }
}

/// Labelled documents grow from 10 by `batch`, chosen in list order or least certain first;
/// F1 on testb after each round.
fn active(train_docs: &[TrainingDoc], test: &[TrainingDoc], tags: &[String]) {
    let (start, batch, rounds) = (10, 20, 10);
    let mut rows: Vec<(usize, usize, f64, usize, f64)> = Vec::new();
    let mut list_idx: Vec<usize> = (0..start).collect();
    let mut act_idx: Vec<usize> = (0..start).collect();
    for round in 0..=rounds {
        let pick = |idx: &[usize]| -> Vec<TrainingDoc> {
            idx.iter().map(|&i| train_docs[i].clone()).collect()
        };
        let list_docs = pick(&list_idx);
        let act_docs = pick(&act_idx);
        let (lm, _) = train(&list_docs, tags);
        let (am, _) = train(&act_docs, tags);
        let lf = evaluate(&lm, test).0.overall().f1();
        let af = evaluate(&am, test).0.overall().f1();
        rows.push((
            list_idx.len(),
            tokens(&list_docs),
            lf,
            tokens(&act_docs),
            af,
        ));
        eprintln!("round {round}: list {lf:.3}, active {af:.3}");
        if round == rounds {
            break;
        }
        list_idx.extend(list_idx.len()..list_idx.len() + batch);
        let pool: Vec<usize> = (0..train_docs.len())
            .filter(|i| !act_idx.contains(i))
            .collect();
        let ranked = learn::active::order(
            &am,
            pool.iter()
                .map(|&i| (train_docs[i].rel.as_str(), &train_docs[i].text)),
        );
        for (rel, _) in ranked.into_iter().take(batch) {
            if let Some(i) = train_docs.iter().position(|d| d.rel == rel) {
                act_idx.push(i);
            }
        }
    }
    println!(
        "| labelled documents | list order: tokens | list order: F1 | active order: tokens | active order: F1 |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for (n, lt, lf, at, af) in &rows {
        println!("| {n} | {lt} | {} | {at} | {} |", f(*lf), f(*af));
    }
}

fn brat(root: &Path) {
    let src = data_dir(
        "MARGINALIA_BRAT_ESP",
        "../shared/interop/brat/conll2002-esp",
    );
    if !src.is_dir() {
        println!("(no brat corpus at {}: skipped)", src.display());
        return;
    }
    corpus_setup::import(root, ImportFormat::Brat, ANNOTATOR, src, "esp");
    let Ok(ws) = Workspace::open(root) else {
        return;
    };
    let docs = corpus_setup::gather(&ws, ANNOTATOR, "esp");
    let tags: Vec<String> = ws.tags().tags.iter().map(|t| t.name.clone()).collect();
    let folds = 5;
    let mut scores = Scores::default();
    let mut train_s = 0.0;
    for k in 0..folds {
        let (test, train_part): (Vec<_>, Vec<_>) =
            docs.iter().enumerate().partition(|(i, _)| i % folds == k);
        let train_part: Vec<TrainingDoc> = train_part.into_iter().map(|(_, d)| d.clone()).collect();
        let test: Vec<TrainingDoc> = test.into_iter().map(|(_, d)| d.clone()).collect();
        let (m, s) = train(&train_part, &tags);
        train_s += s;
        let (sc, _, _) = evaluate(&m, &test);
        for (t, c) in sc.by_tag {
            let e = scores.by_tag.entry(t).or_default();
            e.proposed += c.proposed;
            e.gold += c.gold;
            e.correct += c.correct;
        }
    }
    println!(
        "brat, CoNLL-2002 Spanish ({} documents, {} spans), {folds}-fold cross-validation, {:.2} s training in all:\n",
        docs.len(),
        docs.iter().map(|d| d.spans.len()).sum::<usize>(),
        train_s
    );
    println!("| tag | gold | proposed | exact F1 |");
    println!("|---|---:|---:|---:|");
    for (t, c) in &scores.by_tag {
        println!("| {t} | {} | {} | {} |", c.gold, c.proposed, f(c.f1()));
    }
    let all = scores.overall();
    println!(
        "| **overall** | {} | {} | **{}** |",
        all.gold,
        all.proposed,
        f(all.f1())
    );
}

fn main() {
    let only = std::env::var("MARGINALIA_BENCH_ONLY").unwrap_or_default();
    let dir = tempfile::tempdir().expect("temp folder");
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("annotations")).expect("annotations folder");
    let conll = data_dir("MARGINALIA_CONLL2003", "../shared/data/conll2003");
    if only.is_empty() || only == "curve" || only == "active" {
        if conll.join("eng.train").is_file() && conll.join("eng.testb").is_file() {
            let t = Instant::now();
            corpus_setup::import(
                &root,
                ImportFormat::Conll(Default::default()),
                ANNOTATOR,
                conll.join("eng.train"),
                "train",
            );
            corpus_setup::import(
                &root,
                ImportFormat::Conll(Default::default()),
                ANNOTATOR,
                conll.join("eng.testb"),
                "testb",
            );
            eprintln!("imported in {:.1} s", t.elapsed().as_secs_f64());
            let ws = Workspace::open(&root).expect("workspace");
            let tags: Vec<String> = ws.tags().tags.iter().map(|t| t.name.clone()).collect();
            let train_docs = corpus_setup::gather(&ws, ANNOTATOR, "train");
            let test = corpus_setup::gather(&ws, ANNOTATOR, "testb");
            println!(
                "CoNLL-2003 English: {} training documents, {} test documents (eng.testb, {} entities).\n",
                train_docs.len(),
                test.len(),
                test.iter().map(|d| d.spans.len()).sum::<usize>()
            );
            if only.is_empty() || only == "curve" {
                curve(&ws, &train_docs, &test, &tags);
                println!();
            }
            if only.is_empty() || only == "active" {
                active(&train_docs, &test, &tags);
                println!();
            }
        } else {
            println!("(no CoNLL-2003 at {}: skipped)", conll.display());
        }
    }
    if only.is_empty() || only == "brat" {
        brat(&root);
    }
}
