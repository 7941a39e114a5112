//! Accepting suggestions: adding them to a layer file, leaving out what the layer has and
//! what its annotator rejected, with one atomic save, read and written under the save lock.

use super::{Rejections, SuggestError, Suggestion, filter_new};
use crate::model::layer::{Layer, Status, make_span, now_rfc3339};
use crate::model::text::Text;
use crate::store;
use crate::workspace::Workspace;

/// Adds `suggestions` to `layer`'s file for text `rel` (creating it, in progress, when there
/// is none), leaving out spans the layer has (same range and tag) and rejected ones. Writes
/// only when something is added. Returns how many spans were added.
///
/// # Errors
/// A bad layer name or path, a layer file that cannot be read or parsed, a layer of a text
/// that changed since (re-anchor it first), a layer file changed on disk since it was read, or a
/// failed write; each names the file.
pub fn apply(
    ws: &Workspace,
    layer_name: &str,
    rel: &str,
    text: &Text,
    suggestions: &[Suggestion],
    rejected: &Rejections,
) -> Result<usize, SuggestError> {
    // The curated layer's spans carry their review record, which a plain layer write drops.
    if layer_name == crate::workspace::CURATED_LAYER {
        return Err(SuggestError::BadLayer(
            "the curated layer is written by review, not by accepting suggestions".to_owned(),
        ));
    }
    let path = ws
        .layer_path(layer_name, rel)
        .ok_or_else(|| SuggestError::BadLayer(format!("{layer_name:?} or {rel:?} is not valid")))?;
    if let Some(link) = ws.symlink_on_layer_path(&path) {
        return Err(store::StoreError::Symlink {
            path: link.display().to_string(),
        }
        .into());
    }
    // Read and written under the save lock, so that a window's save cannot slip between, and
    // written only if the file is still the one read.
    let save = store::CheckedWrite::begin(ws.root(), &path)?;
    let (existing, seen) = match crate::model::layer::load_layer(&path)? {
        Some((l, fp)) => (Some(l), Some(fp)),
        None => (None, None),
    };
    if let Some(l) = &existing
        && l.text_sha256 != text.sha256()
    {
        return Err(SuggestError::BadLayer(format!(
            "{}: the text changed since this layer was saved; run `marginalia reanchor` first",
            path.display()
        )));
    }
    let mut layer = existing.unwrap_or_else(|| {
        let mut l = Layer::new(rel, text, layer_name);
        l.status = Status::InProgress;
        l
    });
    let mut new = suggestions.to_vec();
    filter_new(&mut new, rel, Some(&layer), rejected);
    new.sort_by(|a, b| (a.start, a.end, &a.tag).cmp(&(b.start, b.end, &b.tag)));
    new.dedup_by(|b, a| a.start == b.start && a.end == b.end && a.tag == b.tag);
    if new.is_empty() {
        return Ok(0);
    }
    let now = now_rfc3339();
    for s in &new {
        let id = layer.take_id();
        let mut span = make_span(text, id, s.start, s.end, &s.tag, &now);
        span.attrs = s.attrs.clone();
        layer.spans.push(span);
    }
    layer.normalize();
    save.write_if_unchanged(seen.as_ref(), layer.to_ron().as_bytes())?;
    Ok(new.len())
}
