//! The active order: which unlabelled document to label next, the one the model is least sure
//! of first, so that each document a person labels teaches the model the most.

use std::collections::BTreeSet;

use super::Model;
use super::corpus::is_labelled;
use crate::model::layer::load_layer;
use crate::model::text::Text;
use crate::workspace::{TextEntry, Workspace};

/// Documents ranked least certain first: (path, [`super::Analysis::uncertainty`]). Ties keep
/// the order given.
pub fn order<'a>(
    model: &Model,
    docs: impl IntoIterator<Item = (&'a str, &'a Text)>,
) -> Vec<(String, f32)> {
    let mut ranked: Vec<(String, f32)> = docs
        .into_iter()
        .map(|(rel, text)| (rel.to_owned(), model.analyse(text).uncertainty))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
}

/// The workspace's texts that none of `layers` has labelled ([`super::corpus::is_labelled`]):
/// the ones [`order`] ranks.
pub fn unlabelled(ws: &Workspace, layers: &[String]) -> Vec<TextEntry> {
    let mut labelled: BTreeSet<String> = BTreeSet::new();
    for name in layers {
        for (rel, path) in ws.layer_files(name) {
            if let Ok(Some((l, _))) = load_layer(&path)
                && is_labelled(&l)
            {
                labelled.insert(rel);
            }
        }
    }
    ws.texts()
        .into_iter()
        .filter(|t| !labelled.contains(&t.rel))
        .collect()
}

/// [`unlabelled`] ranked by [`order`], texts that cannot be read left out.
pub fn next_documents(ws: &Workspace, model: &Model, layers: &[String]) -> Vec<(String, f32)> {
    let texts: Vec<(String, Text)> = unlabelled(ws, layers)
        .into_iter()
        .filter_map(|t| Text::load(&t.path).ok().map(|x| (t.rel, x)))
        .collect();
    order(model, texts.iter().map(|(r, t)| (r.as_str(), t)))
}
