//! Keeps a workspace's learned model in step with what the team labelled, for the window: it
//! trains again, on the caller's (background) thread, when the layers the model learns from are
//! newer than its file.
//!
//! The layers are those the model file names (chosen with `marginalia learn --from`), or for a
//! workspace without a model the curated layer and the annotator's own. Nothing is written
//! when there is nothing to learn from.

use std::ops::ControlFlow;
use std::time::SystemTime;

use super::{LearnError, TrainOptions, corpus, file};
use crate::workspace::{CURATED_LAYER, Workspace};

/// From this many layer files on, the window does not train by itself: reading them all and
/// training takes minutes and holds every text in memory, which `marginalia learn` does once,
/// when asked.
pub const MAX_AUTO_FILES: usize = 2_000;

/// From this many characters of training text on, the window does not train by itself either:
/// the features of every token are held while it learns (CoNLL-2003's training part is about
/// 1.2 million).
pub const MAX_AUTO_CHARS: usize = 4_000_000;

/// How many files `layers` have, the newest modification time among them, and the bytes of
/// their texts (a text's bytes are at least its characters).
fn newest(ws: &Workspace, layers: &[String]) -> (usize, Option<SystemTime>, u64) {
    let files: Vec<(String, std::path::PathBuf)> = layers
        .iter()
        .flat_map(|name| ws.layer_files(name).files)
        .collect();
    let newest = (files.iter())
        .filter_map(|(_, p)| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .max();
    let bytes = (files.iter())
        .filter_map(|(rel, _)| std::fs::metadata(ws.root().join(rel)).ok())
        .map(|m| m.len())
        .sum();
    (files.len(), newest, bytes)
}

/// Trains the model again and writes it when its layers changed since it was written, or when
/// there is none and the curated layer or `annotator`'s has something to learn. Returns what
/// it did in a sentence (`None`: it was up to date, or there was nothing to learn from).
/// `cancel` stops it between documents and passes.
///
/// # Errors
/// Training or writing the model file failed (a model file that cannot be read is trained
/// again, not an error).
pub fn retrain_if_stale(
    ws: &Workspace,
    annotator: &str,
    cancel: &dyn Fn() -> bool,
) -> Result<Option<String>, LearnError> {
    let path = file::model_path(ws);
    let tags: Vec<String> = ws.tags().tags.iter().map(|t| t.name.clone()).collect();
    let written = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let existing = file::load_for(&path, &tags).ok().flatten();
    let layers = match &existing {
        Some(m) if !m.header.layers.is_empty() => m.header.layers.clone(),
        _ => {
            let mut l = vec![CURATED_LAYER.to_owned()];
            if crate::workspace::check_layer_name(annotator).is_ok() && annotator != CURATED_LAYER {
                l.push(annotator.to_owned());
            }
            l
        }
    };
    let (files, changed, bytes) = newest(ws, &layers);
    let Some(changed) = changed else {
        return Ok(None);
    };
    if existing.is_some() && written.is_some_and(|w| w >= changed) {
        return Ok(None);
    }
    if files > MAX_AUTO_FILES {
        return Ok(Some(format!(
            "not trained in the window: {} has {files} layer files (more than {MAX_AUTO_FILES}); \
             run `marginalia learn`",
            layers.join(", ")
        )));
    }
    // Too much text is refused before anything is read (a 10 MB text's layer alone is 40 MB).
    if bytes > MAX_AUTO_CHARS as u64 {
        return Ok(Some(format!(
            "not trained in the window: {}'s texts hold {bytes} bytes (more than \
             {MAX_AUTO_CHARS}); run `marginalia learn`",
            layers.join(", ")
        )));
    }
    let gathered = corpus::gather(ws, &layers, "", &mut |_, _| {})?;
    if gathered.docs.is_empty() {
        return Ok(None);
    }
    let chars: usize = gathered.docs.iter().map(|d| d.text.char_len()).sum();
    if chars > MAX_AUTO_CHARS {
        return Ok(Some(format!(
            "not trained in the window: {}'s documents hold {chars} characters (more than \
             {MAX_AUTO_CHARS}); run `marginalia learn`",
            layers.join(", ")
        )));
    }
    let opts = TrainOptions {
        tags,
        layers: layers.clone(),
        ..TrainOptions::default()
    };
    let clock = std::time::Instant::now();
    let model = match super::train(&gathered.docs, &opts, &mut |_| {
        if cancel() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }) {
        Ok(m) => m,
        Err(LearnError::NothingToLearn(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    crate::store::write_atomic(&path, &file::to_bytes(&model))?;
    let spans: usize = model.header.spans.values().sum();
    Ok(Some(format!(
        "learned from {} and {} ({}) in {:.1} s",
        crate::wording::plural(model.header.documents.len(), "document"),
        crate::wording::plural(spans, "span"),
        layers.join(", "),
        clock.elapsed().as_secs_f64()
    )))
}
