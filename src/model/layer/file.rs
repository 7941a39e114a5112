//! A layer file on disk: read with the store's bounded reads and fingerprint, parsed with
//! errors naming the file, saved through the store's one write path. (The store below knows
//! bytes and files, not layers.)

use std::path::Path;

use super::Layer;
use crate::store::{self, Fingerprint, MAX_LAYER_BYTES, StoreError, read_limited};

/// Loads a layer file. `Ok(None)` when it does not exist.
///
/// The fingerprint's hash is taken when first asked for ([`Fingerprint::settle`]): most
/// readers never need it, and a window opening a 40 MB layer shows it 27 ms sooner.
///
/// # Errors
/// Unreadable, too large, not UTF-8 or not a valid layer — each naming the file.
pub fn load_layer(path: &Path) -> Result<Option<(Layer, Fingerprint)>, StoreError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    let bytes = read_limited(path, MAX_LAYER_BYTES)?;
    let layer = parse_layer(path, &bytes)?;
    Ok(Some((layer, Fingerprint::of_later(path, bytes))))
}

/// [`load_layer`] with the hash taken at once, for a fingerprint that is kept (a kept one
/// left for later keeps the file's bytes until then).
///
/// # Errors
/// As [`load_layer`].
pub fn load_layer_hashed(path: &Path) -> Result<Option<(Layer, Fingerprint)>, StoreError> {
    let loaded = load_layer(path)?;
    if let Some((_, fp)) = &loaded {
        fp.settle();
    }
    Ok(loaded)
}

/// Parses layer bytes, naming `path` in errors.
pub fn parse_layer(path: &Path, bytes: &[u8]) -> Result<Layer, StoreError> {
    let shown = path.display().to_string();
    let src = std::str::from_utf8(bytes).map_err(|e| StoreError::Parse {
        path: shown.clone(),
        reason: format!("not UTF-8 at byte {}", e.valid_up_to()),
    })?;
    Layer::from_ron(src).map_err(|e| StoreError::Parse {
        path: shown,
        reason: e.to_string(),
    })
}

/// Saves a layer atomically. An existing file without write permission (mode 0444, say) is
/// respected even where the rename would succeed (as root, or in a writable folder).
///
/// # Errors
/// [`StoreError::ReadOnly`], or any write failure, naming the file.
pub fn save_layer(path: &Path, layer: &Layer) -> Result<Fingerprint, StoreError> {
    store::write_file(path, layer.to_ron().as_bytes())
}
