//! `marginalia learn [--from LAYER,…] [PATH]`: trains the learned source on the curated layer
//! (or named layers) of the texts under PATH and writes `annotations/learned.model`, saying on
//! how many documents and spans, per tag, and how long it took.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;

use crate::assist::learn::{self, LearnError, Progress, TrainOptions, corpus, file};
use crate::wording::{plural, plural_as};

use super::bar::{Bar, Unit};
use super::{error, open_ws, print_json};

/// What `learn --json` prints.
#[derive(serde::Serialize)]
struct Report<'a> {
    model: String,
    bytes: usize,
    features: usize,
    layers: &'a [String],
    documents: usize,
    tokens: usize,
    spans: &'a std::collections::BTreeMap<String, usize>,
    left_out: usize,
    problems: &'a [String],
    read_seconds: f64,
    train_seconds: f64,
}

/// Trains and writes the model. Exit code 0; 1 when nothing could be learnt, the model could
/// not be written, or some files were left out (the model is still written); 2 for a path that
/// is no workspace folder or a bad layer name.
pub(super) fn learn(
    path: &Path,
    from: &[String],
    epochs: Option<usize>,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let clock = std::time::Instant::now();
    let Some(ws) = open_ws(path, err) else {
        return 2;
    };
    if path.is_file() {
        error(
            err,
            format_args!(
                "{}: give the workspace or a folder of it to learn from, not a file",
                path.display()
            ),
        );
        return 2;
    }
    let under = match corpus::folder_in(&ws, path) {
        Ok(u) => u,
        Err(e) => {
            error(err, e);
            return 2;
        }
    };
    let layers = corpus::layers_or_curated(from);
    let reading = Bar::new("reading", Unit::Items("layer files"), json);
    let gathered = corpus::gather(&ws, &layers, &under, &mut |d, t| {
        reading.update(d, t);
    });
    reading.finish();
    let gathered = match gathered {
        Ok(g) => g,
        Err(e) => {
            error(err, e);
            return 2;
        }
    };
    for p in &gathered.problems {
        let _ = writeln!(err, "{p}");
    }
    let read_seconds = clock.elapsed().as_secs_f64();
    let mut opts = TrainOptions {
        tags: ws.tags().tags.iter().map(|t| t.name.clone()).collect(),
        layers: layers.clone(),
        ..TrainOptions::default()
    };
    if let Some(e) = epochs {
        opts.epochs = e.max(1);
    }
    let bar = Bar::new("learning", Unit::Items("steps"), json);
    let steps = gathered.docs.len() * 2 + opts.epochs;
    let trained = learn::train(&gathered.docs, &opts, &mut |p| {
        let done = match p {
            Progress::Reading { done, .. } => done,
            Progress::Learning { epoch, .. } => gathered.docs.len() * 2 + epoch,
        };
        bar.update(done, steps);
        ControlFlow::Continue(())
    });
    bar.finish();
    let model = match trained {
        Ok(m) => m,
        Err(e @ LearnError::NothingToLearn(_)) => {
            let where_ = if under.is_empty() {
                String::new()
            } else {
                format!(" under {under}")
            };
            error(err, format_args!("{e}; read {}{where_}", layers.join(", ")));
            return 1;
        }
        Err(e) => {
            error(err, e);
            return 1;
        }
    };
    let target = file::model_path(&ws);
    let bytes = file::to_bytes(&model);
    if let Err(e) = crate::store::write_atomic(&target, &bytes) {
        error(err, e);
        return 1;
    }
    let h = &model.header;
    let shown = target
        .strip_prefix(ws.root())
        .unwrap_or(&target)
        .display()
        .to_string();
    if json {
        let report = Report {
            model: shown,
            bytes: bytes.len(),
            features: model.feature_count(),
            layers: &layers,
            documents: h.documents.len(),
            tokens: h.tokens,
            spans: &h.spans,
            left_out: h.left_out,
            problems: &gathered.problems,
            read_seconds,
            train_seconds: h.seconds,
        };
        if print_json(&report, out, err) != 0 {
            return 1;
        }
    } else {
        let total: usize = h.spans.values().sum();
        let _ = writeln!(
            out,
            "learned from {} ({} tokens) and {} of {} in {:.1} s (reading {:.1} s, training {:.1} s, {})",
            plural(h.documents.len(), "document"),
            h.tokens,
            plural(total, "span"),
            layers.join(", "),
            read_seconds + h.seconds,
            read_seconds,
            h.seconds,
            plural_as(h.epochs, "pass", "passes"),
        );
        for (tag, n) in &h.spans {
            let _ = writeln!(out, "  {tag}: {}", plural(*n, "span"));
        }
        if h.left_out > 0 {
            let _ = writeln!(
                out,
                "left out {} that overlap another or have a tag outside the tag set",
                plural(h.left_out, "span")
            );
        }
        if gathered.shadowed > 0 {
            let _ = writeln!(
                out,
                "{} of texts an earlier layer of --from gave were not read",
                plural(gathered.shadowed, "layer file")
            );
        }
        let _ = writeln!(
            out,
            "wrote {shown} ({:.1} MB, {} features)",
            bytes.len() as f64 / 1e6,
            model.feature_count()
        );
    }
    if gathered.problems.is_empty() { 0 } else { 1 }
}
