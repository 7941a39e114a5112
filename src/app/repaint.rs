//! The window's context for work started before the window exists (the first document's load
//! and the first reading of its list begin while eframe makes the window): they ask for a
//! repaint through it once the window is there.

use std::sync::{Arc, OnceLock};

/// The window's context, once it exists.
pub(super) type Repaint = Arc<OnceLock<egui::Context>>;

/// A repaint handle for a window that exists.
pub(super) fn repaint_of(ctx: &egui::Context) -> Repaint {
    Arc::new(OnceLock::from(ctx.clone()))
}
