//! Helpers shared by the UI test files: opening the real app in a kittest harness.
// Each test file uses a different subset of these.
#![allow(dead_code)]

use std::path::Path;

use egui::{Key, Vec2};
use egui_kittest::Harness;
use marginalia::app::{MarginaliaApp, StartOptions};

/// The real app on `path` as `annotator`, light theme, no persistence, no recovery journal,
/// at `size`.
pub fn open_app(path: &Path, annotator: &str, size: Vec2) -> Harness<'static, MarginaliaApp> {
    open_app_with(path, annotator, size, None)
}

/// [`open_app`] with a recovery journal folder.
pub fn open_app_with(
    path: &Path,
    annotator: &str,
    size: Vec2,
    journal: Option<&Path>,
) -> Harness<'static, MarginaliaApp> {
    open_app_with_journal(
        path,
        annotator,
        size,
        journal.map(marginalia::session::recovery::Journal::at),
    )
}

/// [`open_app`] with a recovery journal (with fallbacks, say).
pub fn open_app_with_journal(
    path: &Path,
    annotator: &str,
    size: Vec2,
    journal: Option<marginalia::session::recovery::Journal>,
) -> Harness<'static, MarginaliaApp> {
    let opts = StartOptions {
        path: path.to_path_buf(),
        annotator: Some(annotator.into()),
        persist: false,
        dark: Some(false),
        journal,
    };
    let mut h = Harness::builder()
        .with_size(size)
        .with_step_dt(0.05)
        .build_eframe(move |cc| MarginaliaApp::new(cc, opts));
    h.run_steps(2);
    wait_for_document_list(&mut h);
    h
}

/// Steps the app until the document list has read every layer (it reads them on a thread).
pub fn wait_for_document_list(h: &mut Harness<'_, MarginaliaApp>) {
    for _ in 0..6000 {
        if !h.state().document_list_loading() {
            h.run_steps(1);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    panic!("the document list never finished reading its layers");
}

/// Presses `key` and lets the app apply it.
pub fn press(h: &mut Harness<'_, MarginaliaApp>, key: Key) {
    h.key_press(key);
    h.run_steps(2);
}
