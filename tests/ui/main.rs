//! The real app, driven with egui_kittest: pointer drags, clicks and key presses go in as
//! events, and the checks read what a user could observe — the files on disk and what the
//! window shows (by AccessKit role and label). Editing, review mode and the Agreement window,
//! File → Export… and File → Import…. One test binary: `cargo test --test ui`.

#[path = "../support/mod.rs"]
mod support;

mod editing;
mod import_suggestions;
mod model_sources;
mod review;
mod transfer;
