//! A layer file on disk: read with the store's bounded reads and fingerprint, parsed with
//! errors naming the file, saved through the store's one write path. (The store below knows
//! bytes and files, not layers.)

use std::path::Path;

use super::Layer;
use crate::store::{self, Fingerprint, MAX_LAYER_BYTES, StoreError, read_limited};

/// From this size on, [`load_layer`] hashes a layer on another thread while it parses it.
const PARALLEL_HASH_BYTES: usize = 1 << 20;

/// Loads a layer file. `Ok(None)` when it does not exist.
///
/// # Errors
/// Unreadable, too large, not UTF-8 or not a valid layer — each naming the file.
pub fn load_layer(path: &Path) -> Result<Option<(Layer, Fingerprint)>, StoreError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    let bytes = read_limited(path, MAX_LAYER_BYTES)?;
    if bytes.len() < PARALLEL_HASH_BYTES {
        let fp = Fingerprint::of(path, &bytes);
        return Ok(Some((parse_layer(path, &bytes)?, fp)));
    }
    // A big layer's hash (20 ms for 40 MB) is taken on a second core during the parse, when a
    // thread can start.
    let (fp, layer) = std::thread::scope(|s| {
        let hashing = std::thread::Builder::new()
            .name("hash layer".into())
            .spawn_scoped(s, || Fingerprint::of(path, &bytes));
        let layer = parse_layer(path, &bytes);
        let fp = hashing
            .ok()
            .and_then(|h| h.join().ok())
            .unwrap_or_else(|| Fingerprint::of(path, &bytes));
        (fp, layer)
    });
    Ok(Some((layer?, fp)))
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
