//! The real app in an egui_kittest harness, and the mouse and keyboard moves the UI tests
//! share: they go in as real events, as a user's would.

use std::path::Path;

use egui::{Key, Modifiers, Pos2, Vec2, vec2};
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
        reopen_last: false,
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

/// Saves with Ctrl+S (Cmd+S on macOS).
pub fn save_now(h: &mut Harness<'_, MarginaliaApp>) {
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_steps(2);
}

/// Asks the window to close, as its close button does.
pub fn request_close(h: &mut Harness<'_, MarginaliaApp>) {
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.run_steps(2);
}

/// The char offset of `needle` in the open text.
pub fn char_offset(h: &Harness<'_, MarginaliaApp>, needle: &str) -> usize {
    let text = h.state().open_text().unwrap();
    let byte = text.as_str().find(needle).unwrap();
    text.char_of_byte(byte)
}

/// Where char `c` of the open text is on screen.
pub fn pos_of(h: &Harness<'_, MarginaliaApp>, c: usize) -> Pos2 {
    h.state()
        .screen_pos_of_char(c)
        .unwrap_or_else(|| panic!("char {c} is not on screen"))
}

/// Two clicks at `p` in one frame's input, as a double-click.
pub fn double_click_at(h: &mut Harness<'_, MarginaliaApp>, p: Pos2) {
    h.hover_at(p);
    h.step();
    for pressed in [true, false, true, false] {
        h.event(egui::Event::PointerButton {
            pos: p,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    h.run_steps(2);
}

/// Drags from the middle of one char to the middle of another, as a mouse would.
pub fn drag(h: &mut Harness<'_, MarginaliaApp>, from: usize, to: usize) {
    let a = pos_of(h, from) + vec2(2.0, 0.0);
    let b = pos_of(h, to) + vec2(2.0, 0.0);
    h.hover_at(a);
    h.step();
    h.drag_at(a);
    h.step();
    h.hover_at(a + (b - a) * 0.5);
    h.step();
    h.hover_at(b);
    h.step();
    h.drop_at(b);
    h.run_steps(2);
}
