//! The training data in a workspace: the curated layer's documents by default, or named
//! layers, each document read with its text and left out (with a sentence) when its text changed
//! since the layer was written.

use std::collections::BTreeSet;

use super::{GoldSpan, LearnError, TrainingDoc};
use crate::model::layer::{Layer, Status, load_layer};
use crate::model::text::Text;
use crate::workspace::{CURATED_LAYER, Workspace};

/// What [`gather`] found.
#[derive(Debug, Default)]
pub struct Gathered {
    pub docs: Vec<TrainingDoc>,
    /// Files and texts left out, one sentence each.
    pub problems: Vec<String>,
    /// Layer files of texts an earlier layer of the list already gave.
    pub shadowed: usize,
}

/// The layers to learn from: `from`, or the curated layer.
pub fn layers_or_curated(from: &[String]) -> Vec<String> {
    if from.is_empty() {
        vec![CURATED_LAYER.to_owned()]
    } else {
        from.to_vec()
    }
}

/// Whether a layer file says anything about its text: it has spans, or its annotator started
/// it (a document looked at and left without spans has none, which is worth learning too).
pub fn is_labelled(layer: &Layer) -> bool {
    !layer.spans.is_empty() || layer.status != Status::NotStarted
}

/// Whether text `rel` is under folder `under` (`""`: the whole workspace).
pub fn is_under(rel: &str, under: &str) -> bool {
    under.is_empty() || rel.strip_prefix(under).is_some_and(|r| r.starts_with('/'))
}

/// Reads the documents of `layers` (the first layer that has a text gives its spans) whose
/// texts are under `under` (a folder relative to the root; `""` for all), calling
/// `progress(done, of)` after each layer file.
///
/// # Errors
/// A layer name that is not a valid layer.
pub fn gather(
    ws: &Workspace,
    layers: &[String],
    under: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Gathered, LearnError> {
    let mut out = Gathered::default();
    let mut files = Vec::new();
    for name in layers {
        crate::workspace::check_layer_name(name).map_err(LearnError::BadLayer)?;
        let found = ws.layer_files(name);
        out.problems
            .extend(found.skipped.iter().map(ToString::to_string));
        files.extend(
            found
                .files
                .into_iter()
                .filter(|(rel, _)| is_under(rel, under)),
        );
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let total = files.len();
    for (i, (rel, path)) in files.into_iter().enumerate() {
        progress(i, total);
        if seen.contains(&rel) {
            out.shadowed += 1;
            continue;
        }
        let layer = match load_layer(&path) {
            Ok(Some((l, _))) => l,
            Ok(None) => continue,
            Err(e) => {
                out.problems.push(format!("{e}; left out"));
                continue;
            }
        };
        if !is_labelled(&layer) {
            continue;
        }
        let Some(text_path) = ws.text_path(&rel) else {
            continue;
        };
        let text = match Text::load(&text_path) {
            Ok(t) => t,
            Err(e) => {
                out.problems.push(format!("{e}; left out"));
                continue;
            }
        };
        if layer.text_sha256 != text.sha256() {
            out.problems.push(format!(
                "{}: its text changed since the layer was written (run `marginalia reanchor`); left out",
                path.display()
            ));
            continue;
        }
        seen.insert(rel.clone());
        let spans = layer
            .spans
            .iter()
            .filter(|s| s.start < s.end && s.end <= text.char_len())
            .map(|s| GoldSpan {
                start: s.start,
                end: s.end,
                tag: s.tag.clone(),
            })
            .collect();
        out.docs.push(TrainingDoc { rel, text, spans });
    }
    progress(total, total);
    out.docs.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// The folder `path` names inside the workspace, relative to its root (`""` for the root).
///
/// # Errors
/// A path outside the workspace.
pub fn folder_in(ws: &Workspace, path: &std::path::Path) -> Result<String, LearnError> {
    let rel = ws
        .rel_of(path)
        .map_err(|e| LearnError::BadLayer(e.to_string()))?;
    Ok(rel.trim_matches('/').to_owned())
}
