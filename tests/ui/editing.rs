//! The real app, driven with egui_kittest: pointer drags and key presses go in as events, and
//! the checks read what a user could observe — the RON files on disk and the window itself.

use std::path::{Path, PathBuf};

use egui::{Event, Key, Modifiers, Pos2, vec2};
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};
use marginalia::app::{MarginaliaApp, StartOptions};
use marginalia::assist::suggest::Source;
use marginalia::model::layer::Layer;

use crate::support::app::{
    char_offset, double_click_at, drag, pos_of, press, request_close, save_now,
    wait_for_document_list,
};
use crate::support::files::{copy_seeds, repo};

const SEED: &str = "000_b78fa013a4a69998.txt";
const ANNOTATOR: &str = "tester";

/// A temp copy of the repo's workspace: the seeds and `annotations/workspace.ron` only, so the
/// shipped annotations of other annotators do not change what the tests see.
fn temp_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fill_workspace(dir.path());
    dir
}

/// The same at a fixed path, for snapshots: the top bar shows the workspace path, and a random
/// temp name would change its width and shift everything after it. Left behind after the test
/// (it is replaced by the next run).
fn fixed_workspace(name: &str) -> std::path::PathBuf {
    let path = Path::new("/tmp").join(format!("marginalia-ui-{name}"));
    let _ = std::fs::remove_dir_all(&path);
    fill_workspace(&path);
    path
}

fn fill_workspace(dir: &Path) {
    copy_seeds(dir);
    std::fs::copy(
        repo().join("annotations/workspace.ron"),
        dir.join("annotations/workspace.ron"),
    )
    .unwrap();
}

fn start(path: &Path, dark: bool) -> StartOptions {
    StartOptions {
        reopen_last: false,
        path: path.to_path_buf(),
        annotator: Some(ANNOTATOR.into()),
        persist: false,
        journal: None,
        dark: Some(dark),
    }
}

fn harness(path: &Path, dark: bool, wgpu: bool) -> Harness<'static, MarginaliaApp> {
    harness_with(path, dark, wgpu, false)
}

fn harness_with(
    path: &Path,
    dark: bool,
    wgpu: bool,
    allow_missing_glyphs: bool,
) -> Harness<'static, MarginaliaApp> {
    let opts = start(path, dark);
    let theme = if dark {
        egui::Theme::Dark
    } else {
        egui::Theme::Light
    };
    // Short steps, so that two clicks in a row count as a double-click.
    let mut builder = Harness::builder()
        .with_size(vec2(1024.0, 700.0))
        .with_theme(theme)
        .with_step_dt(0.05);
    if allow_missing_glyphs {
        // Tofu is fine for tests that are not about fonts.
        builder = builder.allow_missing_glyphs();
    }
    let builder = if wgpu { builder.wgpu() } else { builder };
    let mut h = builder.build_eframe(move |cc| MarginaliaApp::new(cc, opts));
    h.run_steps(2);
    wait_for_document_list(&mut h);
    h
}

fn layer_file(ws: &Path) -> PathBuf {
    ws.join("annotations")
        .join(ANNOTATOR)
        .join("seeds")
        .join(SEED.replace(".txt", ".ron"))
}

fn read_layer(ws: &Path) -> Layer {
    let src = std::fs::read_to_string(layer_file(ws)).expect("the layer file was written");
    Layer::from_ron(&src).expect("the layer file parses")
}

fn open_seed(h: &mut Harness<'_, MarginaliaApp>) {
    h.get_by_label(SEED).click();
    h.run_steps(3);
    assert_eq!(h.state().open_document(), Some(&*format!("seeds/{SEED}")));
}

/// Drags across "Emmanuel Macron … interlocutor" starting and ending inside words, and tags it.
/// The phrase has a ’, so char and byte offsets differ in it.
const PHRASE: &str = "Emmanuel Macron has emerged as Europe’s most active interlocutor";

fn tag_phrase(h: &mut Harness<'_, MarginaliaApp>, key: Key) -> (usize, usize) {
    let start = char_offset(h, PHRASE);
    let end = start + PHRASE.chars().count();
    drag(h, start + 3, end - 4);
    assert_eq!(h.state().selected_text_range(), Some((start, end)));
    press(h, key);
    (start, end)
}

#[test]
fn drag_and_key_1_save_a_quote_snapped_to_words_and_undo_removes_it() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    let (start, end) = tag_phrase(&mut h, Key::Num1);
    save_now(&mut h);

    let layer = read_layer(ws.path());
    assert_eq!(layer.spans.len(), 1);
    let s = &layer.spans[0];
    assert_eq!(s.tag, "quote");
    assert_eq!(s.exact, PHRASE);
    assert_eq!((s.start, s.end), (start, end));
    assert_eq!(layer.annotator, ANNOTATOR);

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    assert!(
        read_layer(ws.path()).spans.is_empty(),
        "Ctrl+Z removed it from disk"
    );

    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    assert_eq!(
        read_layer(ws.path()).spans.len(),
        1,
        "Ctrl+Shift+Z brought it back"
    );
}

#[test]
fn autosave_writes_without_being_asked() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    tag_phrase(&mut h, Key::Num3);
    // The save delay is 300 ms of real time; then a frame hands it to the writer thread, and
    // a later frame sees it done (the window never waits for the disk).
    std::thread::sleep(std::time::Duration::from_millis(400));
    h.run_steps(1);
    for _ in 0..500 {
        if !h.state().has_unsaved_edits() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    assert!(
        !h.state().has_unsaved_edits(),
        "the background save finished"
    );
    let layer = read_layer(ws.path());
    assert_eq!(layer.spans.len(), 1);
    assert_eq!(layer.spans[0].tag, "error");
}

#[test]
fn retag_note_and_delete_reach_the_file() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    let (start, _) = tag_phrase(&mut h, Key::Num1);

    // The new span is selected: another tag key retags it.
    press(&mut h, Key::Num2);
    save_now(&mut h);
    assert_eq!(read_layer(ws.path()).spans[0].tag, "claim");

    // Enter edits the note; typing goes into the note, not to the tag keys.
    press(&mut h, Key::Enter);
    h.event(Event::Text("checked 1".into()));
    h.run_steps(2);
    press(&mut h, Key::Escape);
    save_now(&mut h);
    let layer = read_layer(ws.path());
    assert_eq!(layer.spans[0].note, "checked 1");
    assert_eq!(
        layer.spans[0].tag, "claim",
        "typing '1' in the note did not retag"
    );

    // Esc deselects; clicking the span selects it again; Delete removes it.
    press(&mut h, Key::Escape);
    assert_eq!(h.state().selected_span(), None);
    let p = pos_of(&h, start + 2) + vec2(2.0, 0.0);
    h.hover_at(p);
    h.step();
    h.drag_at(p);
    h.step();
    h.drop_at(p);
    h.run_steps(2);
    assert!(
        h.state().selected_span().is_some(),
        "clicking a span selects it"
    );
    press(&mut h, Key::Delete);
    save_now(&mut h);
    assert!(read_layer(ws.path()).spans.is_empty());
}

fn double_click(h: &mut Harness<'_, MarginaliaApp>, c: usize) {
    let p = pos_of(h, c) + vec2(2.0, 0.0);
    double_click_at(h, p);
}

/// Double-clicks the first `word` of the open text and checks it is selected; its offset.
fn double_click_word(h: &mut Harness<'_, MarginaliaApp>, word: &str) -> usize {
    let c = char_offset(h, word);
    double_click(h, c + 2);
    let n = word.chars().count();
    assert_eq!(h.state().selected_text_range(), Some((c, c + n)));
    c
}

#[test]
fn tagging_the_same_range_twice_selects_the_existing_span_and_adds_none() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    let c = double_click_word(&mut h, "Vladimir");
    press(&mut h, Key::Num1);
    let first = h.state().selected_span();
    press(&mut h, Key::Escape);
    assert_eq!(h.state().selected_span(), None);
    h.run_steps(10); // not a triple-click
    double_click(&mut h, c + 2);
    assert_eq!(h.state().selected_text_range(), Some((c, c + 8)));
    press(&mut h, Key::Num1);
    assert_eq!(
        h.state().selected_span(),
        first,
        "the existing span is selected"
    );
    assert!(
        h.state().status_line().contains("Already tagged"),
        "{}",
        h.state().status_line()
    );
    save_now(&mut h);
    let layer = read_layer(ws.path());
    assert_eq!(layer.spans.len(), 1, "one span on disk, not two");
    assert_eq!((layer.spans[0].start, layer.spans[0].end), (c, c + 8));
}

#[test]
fn the_frame_that_takes_a_tag_key_already_draws_the_new_span() {
    // Issue 22 §0: from key to pixels in one frame. The key's command was applied after the
    // text was drawn, so the span showed only in the next frame, a whole frame later.
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    double_click_word(&mut h, "Vladimir");
    // One frame: the key's press, as a window gets it (kittest's key_press runs a frame for
    // the press and another for the release).
    h.input_mut().events.push(egui::Event::Key {
        key: Key::Num1,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: Modifiers::NONE,
    });
    h.step();
    assert!(
        h.query_by_role_and_label(egui::Role::Mark, "quote “Vladimir”")
            .is_some(),
        "the span is in the frame that took the key"
    );
}

/// The window titled `title`: the largest node with that label (its title and body share it).
fn window_rect(h: &Harness<'_, MarginaliaApp>, title: &str) -> Option<egui::Rect> {
    h.query_all_by_label(title)
        .map(|n| n.rect())
        .max_by(|a, b| a.area().total_cmp(&b.area()))
}

/// The Spans panel's heading (the top bar's layer picker is labelled Spans too; the heading is
/// the one further right).
fn spans_heading(h: &Harness<'_, MarginaliaApp>) -> egui::Rect {
    h.query_all_by_label("Spans")
        .map(|n| n.rect())
        .max_by(|a, b| a.left().total_cmp(&b.left()))
        .expect("the Spans heading")
}

fn click(h: &mut Harness<'_, MarginaliaApp>, c: usize) {
    let p = pos_of(h, c) + vec2(2.0, 0.0);
    h.hover_at(p);
    h.step();
    h.drag_at(p);
    h.step();
    h.drop_at(p);
    h.run_steps(2);
}

#[test]
fn clicking_the_same_place_again_selects_the_next_span_outward() {
    let ws = temp_workspace();
    // "Europe’s most" is covered entirely by "Europe’s" and " most": no char of it is only its.
    let rel = format!("seeds/{SEED}");
    let (outer, inner) = {
        let w = marginalia::Workspace::open(ws.path()).unwrap();
        let mut doc = marginalia::Document::open(&w, &rel, ANNOTATOR, false).unwrap();
        let b = doc.text().as_str().find("Europe’s most").unwrap();
        let a = doc.text().char_of_byte(b);
        let outer = doc.add_span(a, a + 13, "quote").unwrap();
        let inner = doc.add_span(a, a + 8, "claim").unwrap();
        doc.add_span(a + 8, a + 13, "error").unwrap();
        doc.save_now().unwrap();
        (outer, inner)
    };
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    let c = char_offset(&h, "Europe’s most") + 2;
    click(&mut h, c);
    assert_eq!(h.state().selected_span(), Some(inner), "innermost first");
    h.run_steps(10); // not a double-click
    click(&mut h, c);
    assert_eq!(
        h.state().selected_span(),
        Some(outer),
        "then the one around it"
    );
    h.run_steps(10);
    click(&mut h, c);
    assert_eq!(h.state().selected_span(), Some(inner), "and round again");
}

#[test]
fn esc_leaves_the_note_but_keeps_the_span_selected_so_delete_works_next() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    tag_phrase(&mut h, Key::Num1);
    let id = h.state().selected_span();
    assert!(id.is_some());
    press(&mut h, Key::Enter);
    h.event(Event::Text("check".into()));
    h.run_steps(2);
    press(&mut h, Key::Escape);
    assert_eq!(h.state().selected_span(), id, "Esc only left the note");
    press(&mut h, Key::Delete);
    save_now(&mut h);
    assert!(read_layer(ws.path()).spans.is_empty(), "Delete removed it");
}

#[test]
fn tab_moves_between_spans_in_text_order() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    // A first span in the title line, then the phrase.
    let s0 = char_offset(&h, "Putin asked reporters");
    drag(&mut h, s0 + 1, s0 + 19);
    press(&mut h, Key::Num2);
    let first = h.state().selected_span().unwrap();
    tag_phrase(&mut h, Key::Num1);
    let second = h.state().selected_span().unwrap();
    assert_ne!(first, second);
    h.key_press_modifiers(Modifiers::SHIFT, Key::Tab);
    h.run_steps(3);
    assert_eq!(h.state().selected_span(), Some(first));
    press(&mut h, Key::Tab);
    assert_eq!(h.state().selected_span(), Some(second));
}

#[test]
fn shift_arrows_extend_the_selection_without_splitting_graphemes() {
    let ws = temp_workspace();
    std::fs::write(
        ws.path().join("seeds/zz_emoji.txt"),
        "Cafe\u{301} 👩‍👩‍👧 ok then\n",
    )
    .unwrap();
    let mut h = harness(ws.path(), false, false);
    h.get_by_label("zz_emoji.txt").click();
    h.run_steps(3);
    // Double-click selects a word.
    let p = pos_of(&h, 1) + vec2(2.0, 0.0);
    h.hover_at(p);
    h.step();
    for pressed in [true, false, true, false] {
        h.event(Event::PointerButton {
            pos: p,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    h.run_steps(2);
    assert_eq!(
        h.state().selected_text_range(),
        Some((0, 5)),
        "Café with its accent"
    );
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowRight);
    h.run_steps(1);
    assert_eq!(h.state().selected_text_range(), Some((0, 6)));
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowRight);
    h.run_steps(1);
    // The family emoji is five chars and one grapheme.
    assert_eq!(h.state().selected_text_range(), Some((0, 11)));
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::ArrowRight);
    h.run_steps(1);
    assert_eq!(h.state().selected_text_range(), Some((0, 14)));
}

/// Lines as they come in quoted social posts: emoji with skin tones, ZWJ families and flags, and
/// scripts the bundled fonts lack (found among the system's fonts).
const WORLD_TEXT: &[&str] = &[
    "🚨 Breaking: 👍🏽 from the 👨‍👩‍👧‍👦 in 🇫🇷 ❤️ ✅ 😂🔥",
    "नमस्ते दुनिया",
    "สวัสดีชาวโลก",
    "שלום עולם",
    "你好，世界 こんにちは 안녕하세요",
];

#[test]
fn emoji_and_other_scripts_are_drawn_without_missing_glyph_boxes() {
    let ws = temp_workspace();
    std::fs::write(ws.path().join("seeds/zz_world.txt"), WORLD_TEXT.join("\n")).unwrap();
    // The harness panics on any glyph drawn as a box ("tofu"), naming the character.
    let mut h = harness(ws.path(), false, false);
    h.get_by_label("zz_world.txt").click();
    h.run_steps(3);
    let text = h.state().open_text().unwrap().as_str().to_owned();
    let last = text.chars().count() - 1;
    assert!(
        h.state().screen_pos_of_char(last).is_some(),
        "every line was laid out and drawn"
    );
    // And each line on its own, in the text view's font, through the app's font setup.
    for line in WORLD_TEXT {
        let galley = h.ctx.fonts_mut(|f| {
            f.layout_no_wrap(
                (*line).to_owned(),
                egui::FontId::proportional(15.0),
                egui::Color32::BLACK,
            )
        });
        assert!(galley.size().x > 0.0, "{line}");
    }
}

/// Gives the annotator's layer of `rel` a span on its first three words and one on each of the
/// next `n` words; returns the span list's label of the first.
fn span_many_words(ws: &Path, rel: &str, n: usize) -> String {
    let w = marginalia::Workspace::open(ws).unwrap();
    let mut doc = marginalia::session::document::Document::open(&w, rel, ANNOTATOR, false).unwrap();
    let mut words = Vec::new();
    let mut c = 0;
    while words.len() < n + 3 {
        match doc.text().word_at(c) {
            Some(marginalia::CharRange { start: a, end: b })
                if doc.text().slice(a, b).chars().any(char::is_alphanumeric) =>
            {
                words.push((a, b));
                c = b;
            }
            _ => c += 1,
        }
    }
    let first = (words[0].0, words[2].1);
    doc.add_span(first.0, first.1, "quote").unwrap();
    for (a, b) in &words[3..] {
        doc.add_span(*a, *b, "quote").unwrap();
    }
    doc.save_now().unwrap();
    format!("quote: {}", doc.text().slice(first.0, first.1))
}

fn wheel_at(h: &mut Harness<'_, MarginaliaApp>, at: Pos2, dy: f32) {
    h.hover_at(at);
    h.step();
    h.event(Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: vec2(0.0, dy),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: Modifiers::NONE,
    });
    h.run_steps(3);
}

/// Whether the first line of the open text is in view, not scrolled off or cut at the top.
fn first_line_in_view(h: &Harness<'_, MarginaliaApp>) -> bool {
    let label = h.state().open_document().unwrap().to_owned();
    let view = h.get_by_role_and_label(egui::Role::Document, &label).rect();
    h.state()
        .screen_pos_of_char(0)
        .is_some_and(|p| p.y - 8.0 >= view.top())
}

#[test]
fn every_document_opens_at_its_top_and_its_span_list_too() {
    let ws = temp_workspace();
    let (two, three) = ("002_c14de4e8ffe1b554.txt", "003_2bc22f07f8fd66ef.txt");
    let first_of_three = span_many_words(ws.path(), &format!("seeds/{three}"), 40);
    let first_of_two = span_many_words(ws.path(), &format!("seeds/{two}"), 40);
    let mut h = harness(ws.path(), false, false);
    h.get_by_label(three).click();
    h.run_steps(3);
    assert!(first_line_in_view(&h));
    // Scroll the text and the span list of 003 down.
    let label = format!("seeds/{three}");
    let view = h.get_by_role_and_label(egui::Role::Document, &label).rect();
    wheel_at(&mut h, view.center(), -3000.0);
    assert!(!first_line_in_view(&h), "the text scrolled");
    let list_row = h
        .get_all_by_label_contains("quote: ")
        .next()
        .unwrap()
        .rect();
    wheel_at(&mut h, list_row.center(), -3000.0);
    assert!(
        h.query_by_label_contains(&first_of_three).is_none(),
        "the span list scrolled"
    );

    h.get_by_label(two).click();
    h.run_steps(3);
    assert_eq!(h.state().open_document(), Some(&*format!("seeds/{two}")));
    assert!(first_line_in_view(&h), "002 opens at its first line");
    assert!(
        h.query_by_label_contains(&first_of_two).is_some(),
        "002's span list opens at its first span"
    );
}

#[test]
fn unreadable_texts_and_broken_layers_are_listed_with_their_error_and_not_opened() {
    let ws = temp_workspace();
    std::fs::write(ws.path().join("seeds/bad_bytes.txt"), b"ok \xff\xfe bad").unwrap();
    let broken = layer_file(ws.path());
    std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
    std::fs::write(&broken, "(format: 1, text: \"seeds/").unwrap();
    let mut h = harness(ws.path(), false, false);
    assert!(
        h.query_by_label_contains("not valid UTF-8").is_some(),
        "the non-UTF-8 text shows its error"
    );
    // Issue 23 (look pass): on one line, without the layer file's path (it wrapped over four).
    use egui_kittest::kittest::NodeT;
    let problem = h.get_by_label_contains("not a valid annotation file");
    let label = problem.accesskit_node().label().unwrap_or_default();
    assert!(!label.contains("annotations/"), "{label}");
    assert!(problem.rect().height() < 20.0, "{:?}", problem.rect());
    h.get_by_label(SEED).click();
    h.run_steps(2);
    assert_eq!(
        h.state().open_document(),
        None,
        "a broken layer is not opened"
    );
    h.get_by_label("bad_bytes.txt").click();
    h.run_steps(2);
    assert_eq!(h.state().open_document(), None);
    // And the broken file was not touched.
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap(),
        "(format: 1, text: \"seeds/"
    );
}

#[test]
fn the_text_view_is_a_labelled_document() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    let label = format!("seeds/{SEED}");
    let node = h.get_by_role_and_label(egui::Role::Document, &label);
    assert!(node.rect().width() > 300.0);

    // Issue 24: a screen reader finds the paragraphs on screen, and in them each span with its
    // tag, words, range, note and attributes.
    use egui_kittest::kittest::NodeT;
    // (A long paragraph is read in pieces of whole sentences, as the view lays it out.)
    let text = h.state().open_text().unwrap().clone();
    let at = char_offset(&h, "Emmanuel Macron");
    let piece = marginalia::app::text_view::split_pieces(&text)
        .into_iter()
        .find(|p| p.start <= at && at < p.end)
        .unwrap();
    let place = format!("paragraph at character {}", piece.start);
    let para = h.get_by_role_and_label(egui::Role::Paragraph, &place);
    assert_eq!(
        para.accesskit_node().value().as_deref(),
        Some(text.slice(piece.start, piece.end))
    );
    assert!(
        para.accesskit_node()
            .description()
            .is_some_and(|d| d.starts_with("characters ")),
        "{:?}",
        para.accesskit_node().description()
    );
    // The tester's claim over the phrase.
    let (a, b) = tag_phrase(&mut h, Key::Num2);
    h.run_steps(2);
    let claim_label = format!("claim “{PHRASE}”");
    let claim = h.get_by_role_and_label(egui::Role::Mark, &claim_label);
    let about = claim.accesskit_node().description().unwrap_or_default();
    assert!(about.contains(&format!("characters {a}–{b}")), "{about}");
    // The mark is inside its paragraph in the tree, and the paragraph inside the document
    // (through the generic containers egui makes for a child Ui, which readers pass through).
    fn meaningful_parent<'t>(n: egui_kittest::Node<'t>) -> Option<egui_kittest::Node<'t>> {
        let mut p = n.parent()?;
        while p.accesskit_node().role() == egui::Role::GenericContainer {
            p = p.parent()?;
        }
        Some(p)
    }
    let parent = meaningful_parent(claim).expect("the mark has a parent");
    assert_eq!(parent.accesskit_node().role(), egui::Role::Paragraph);
    assert_eq!(
        meaningful_parent(parent).map(|d| d.accesskit_node().role()),
        Some(egui::Role::Document)
    );
    // The caret and the selection are told too.
    press(&mut h, Key::End);
    h.run_steps(1);
    let doc = h.get_by_role_and_label(egui::Role::Document, &label);
    assert!(
        doc.accesskit_node()
            .description()
            .is_some_and(|d| d.contains("caret at character")),
        "{:?}",
        doc.accesskit_node().description()
    );
}

fn snapshot(dark: bool, name: &str) {
    let ws = fixed_workspace(name);
    let mut h = harness(&ws, dark, true);
    open_seed(&mut h);
    // Suggestions are computed on threads: the picture waits for them (dashed outlines).
    wait_for_suggestions(&mut h);
    // Two nested spans and one overlapping, then nothing selected (so no clock times show).
    tag_phrase(&mut h, Key::Num2);
    let inner = char_offset(&h, "Europe’s most active");
    drag(&mut h, inner + 1, inner + 18);
    press(&mut h, Key::Num3);
    let title = char_offset(&h, "Putin asked reporters");
    drag(&mut h, title + 1, title + 40);
    press(&mut h, Key::Num1);
    press(&mut h, Key::Escape);
    save_now(&mut h);
    h.remove_cursor();
    h.run_steps(2);
    // The path is fixed, but masked anyway: it is not what these snapshots are about.
    let root = ws.canonicalize().unwrap().display().to_string();
    let path_label = h.get_by_label(root.as_str()).rect();
    h.mask(path_label);
    h.snapshot_options(
        name,
        &SnapshotOptions::new().threshold(1.5).max_failed_pixels(400),
    );
}

#[test]
fn snapshot_main_light() {
    snapshot(false, "main_light");
}

#[test]
fn snapshot_main_dark() {
    snapshot(true, "main_dark");
}

#[test]
fn another_annotators_layer_is_browsed_read_only_and_never_written() {
    use marginalia::Workspace;
    use marginalia::session::document::Document;
    let ws = temp_workspace();
    // editor-x annotated the seed (through the core, as the app would have).
    let other_file = {
        let w = Workspace::open(ws.path()).unwrap();
        let rel = format!("seeds/{SEED}");
        let mut doc = Document::open(&w, &rel, "editor-x", false).unwrap();
        let text = doc.text().as_str().to_owned();
        let b = text.find(PHRASE).unwrap();
        let start = doc.text().char_of_byte(b);
        doc.add_span(start, start + PHRASE.chars().count(), "quote")
            .unwrap();
        doc.save_now().unwrap();
        doc.layer_path().to_path_buf()
    };
    let before = std::fs::read(&other_file).unwrap();

    let mut h = harness(ws.path(), false, false);
    h.get_by_role(egui::Role::ComboBox).click();
    h.run_steps(2);
    h.get_by_label("editor-x (read-only)").click();
    h.run_steps(2);
    open_seed(&mut h);
    // Its span is listed; selecting it and pressing keys changes nothing on disk.
    h.get_by_label_contains("quote: Emmanuel Macron has emerged")
        .click();
    h.run_steps(2);
    assert!(h.state().selected_span().is_some());
    press(&mut h, Key::Num2);
    press(&mut h, Key::Delete);
    save_now(&mut h);
    assert!(h.state().status_line().contains("read-only"));
    assert_eq!(std::fs::read(&other_file).unwrap(), before);
    assert!(
        !layer_file(ws.path()).exists(),
        "nothing written for the viewer either"
    );
}

#[test]
fn mark_done_is_saved_and_undone() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    h.get_by_label("Mark done").click();
    h.run_steps(2);
    save_now(&mut h);
    assert_eq!(read_layer(ws.path()).status, marginalia::Status::Done);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    assert_ne!(read_layer(ws.path()).status, marginalia::Status::Done);
}

#[test]
fn the_document_list_shows_its_texts_at_once_and_fills_in_their_counts_as_they_are_read() {
    let ws = temp_workspace();
    // The annotator's layer of the first seed, with one span.
    {
        let w = marginalia::Workspace::open(ws.path()).unwrap();
        let mut doc = marginalia::session::document::Document::open(
            &w,
            &format!("seeds/{SEED}"),
            ANNOTATOR,
            false,
        )
        .unwrap();
        doc.add_span(0, 5, "quote").unwrap();
        doc.save_now().unwrap();
    }
    let opts = start(ws.path(), false);
    let mut h = Harness::builder()
        .with_size(vec2(1024.0, 700.0))
        .with_step_dt(0.05)
        .build_eframe(move |cc| MarginaliaApp::new(cc, opts));
    h.step();
    // Every text is listed from the first frames on, whether or not its layer was read yet.
    assert!(h.query_by_label(SEED).is_some());
    assert!(h.query_by_label("004_2bdf081e938a524a.txt").is_some());
    wait_for_document_list(&mut h);
    assert_eq!(h.query_all_by_label("reading…").count(), 0);
    assert!(h.query_by_label("in progress · 1 span").is_some());
    assert_eq!(h.query_all_by_label("not started · 0 spans").count(), 4);
}

/// eframe's storage in memory, counting flushes (writes to disk in the real app).
#[derive(Default)]
struct MemStorage {
    kv: std::collections::HashMap<String, String>,
    flushed: Option<std::collections::HashMap<String, String>>,
}

impl eframe::Storage for MemStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.kv.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.kv.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.kv.remove(key);
    }
    fn flush(&mut self) {
        self.flushed = Some(self.kv.clone());
    }
}

#[test]
fn a_changed_preference_is_written_at_once_not_only_at_exit() {
    let ws = temp_workspace();
    let opts = StartOptions {
        reopen_last: false,
        persist: true,
        ..start(ws.path(), false)
    };
    let mut h = Harness::builder()
        .with_size(vec2(1024.0, 700.0))
        .with_theme(egui::Theme::Light)
        .with_step_dt(0.05)
        .build_eframe(move |cc| MarginaliaApp::new(cc, opts));
    h.run_steps(2);
    wait_for_document_list(&mut h);
    let mut storage = MemStorage::default();
    let on_disk = |s: &MemStorage| -> marginalia::app::Prefs {
        let flushed = s.flushed.as_ref().expect("flushed to disk");
        ron::from_str(&flushed[eframe::APP_KEY]).unwrap()
    };
    assert!(h.state_mut().save_prefs_if_changed(&mut storage));
    assert!(!on_disk(&storage).dark);
    assert!(
        !h.state_mut().save_prefs_if_changed(&mut storage),
        "nothing changed, nothing written"
    );
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Dark theme").click();
    h.run_steps(2);
    assert!(h.state_mut().save_prefs_if_changed(&mut storage));
    assert!(on_disk(&storage).dark, "the dark theme is on disk at once");
}

/// The document remembered for a workspace is not carried to another one: opening another
/// workspace and then the first again does not try to open the first's document in the second.
#[test]
fn the_remembered_document_belongs_to_its_workspace() {
    let a = temp_workspace();
    let b = temp_workspace();
    let seed = std::fs::read_dir(a.path().join("seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "txt"))
        .unwrap();
    let opts = StartOptions {
        reopen_last: false,
        persist: true,
        ..start(&seed, false)
    };
    let mut h = Harness::builder()
        .with_size(vec2(1024.0, 700.0))
        .with_theme(egui::Theme::Light)
        .with_step_dt(0.05)
        .build_eframe(move |cc| MarginaliaApp::new(cc, opts));
    h.run_steps(2);
    wait_for_document_list(&mut h);
    let mut storage = MemStorage::default();
    let on_disk = |s: &MemStorage| -> marginalia::app::Prefs {
        ron::from_str(&s.flushed.as_ref().unwrap()[eframe::APP_KEY]).unwrap()
    };
    h.state_mut().save_prefs_if_changed(&mut storage);
    assert!(on_disk(&storage).last_document.is_some());
    // File → another workspace, typed as a path.
    h.get_by_label("Open…").click();
    h.run_steps(2);
    let field = "Or type a folder or .txt path:";
    h.get_by_label(field).focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(field)
        .type_text(&b.path().display().to_string());
    h.run_steps(1);
    h.get_by_label("Open this path").click();
    h.run_steps(2);
    wait_for_document_list(&mut h);
    h.state_mut().save_prefs_if_changed(&mut storage);
    let prefs = on_disk(&storage);
    assert_eq!(
        prefs.last_workspace.as_deref(),
        Some(b.path().canonicalize().unwrap().as_path())
    );
    assert_eq!(
        prefs.last_document, None,
        "not the other workspace's document"
    );
}

/// Sets `rel`'s status in the annotator's layer through the core, as the app would have.
fn set_status(ws: &Path, rel: &str, status: marginalia::Status) {
    let w = marginalia::Workspace::open(ws).unwrap();
    let mut doc = marginalia::session::document::Document::open(&w, rel, ANNOTATOR, false).unwrap();
    doc.set_status(status);
    doc.save_now().unwrap();
}

fn press_with(h: &mut Harness<'_, MarginaliaApp>, modifiers: Modifiers, key: Key) {
    h.key_press_modifiers(modifiers, key);
    h.run_steps(3);
}

#[test]
fn alt_arrows_go_through_the_documents_and_ctrl_alt_down_skips_the_done_ones() {
    let ws = temp_workspace();
    set_status(
        ws.path(),
        "seeds/001_3e981e5bab7b45a2.txt",
        marginalia::Status::Done,
    );
    set_status(
        ws.path(),
        "seeds/002_c14de4e8ffe1b554.txt",
        marginalia::Status::Done,
    );
    let mut h = harness(ws.path(), false, false);
    assert!(h.query_by_label("2 of 5 done").is_some(), "progress on top");
    let open = |h: &Harness<'_, MarginaliaApp>| h.state().open_document().map(str::to_owned);

    press_with(&mut h, Modifiers::ALT, Key::ArrowDown);
    assert_eq!(open(&h).as_deref(), Some("seeds/000_b78fa013a4a69998.txt"));
    press_with(&mut h, Modifiers::ALT, Key::ArrowDown);
    assert_eq!(open(&h).as_deref(), Some("seeds/001_3e981e5bab7b45a2.txt"));
    press_with(&mut h, Modifiers::ALT, Key::ArrowUp);
    assert_eq!(open(&h).as_deref(), Some("seeds/000_b78fa013a4a69998.txt"));

    let ctrl_alt = Modifiers::COMMAND | Modifiers::ALT;
    press_with(&mut h, ctrl_alt, Key::ArrowDown);
    assert_eq!(open(&h).as_deref(), Some("seeds/003_2bc22f07f8fd66ef.txt"));
    press_with(&mut h, ctrl_alt, Key::ArrowDown);
    assert_eq!(open(&h).as_deref(), Some("seeds/004_2bdf081e938a524a.txt"));
    press_with(&mut h, ctrl_alt, Key::ArrowDown);
    assert_eq!(
        open(&h).as_deref(),
        Some("seeds/000_b78fa013a4a69998.txt"),
        "wraps around to the first one not done"
    );

    // Marking the open one done counts at once.
    h.get_by_label("Mark done").click();
    h.run_steps(2);
    assert!(h.query_by_label("3 of 5 done").is_some());
}

#[test]
fn f1_and_question_mark_show_a_sheet_with_every_shortcut_the_app_handles() {
    use marginalia::app::Action;
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    assert!(h.query_by_label("Keyboard shortcuts").is_none());
    press(&mut h, Key::F1);
    assert!(h.query_by_label("Keyboard shortcuts").is_some());
    for action in Action::ALL {
        let keys = action.shortcut_text();
        let shown = h
            .query_all_by(|n| {
                (n.label().or(n.value())).is_some_and(|l| l.split(" or ").any(|k| k == keys))
            })
            .count();
        assert!(
            shown > 0,
            "{keys} ({}) is on the sheet",
            action.description()
        );
    }
    // Review mode's keys and the tag keys are there too.
    assert!(h.query_by_label("Shift+B").is_some());
    assert!(h.query_all_by_label_contains("as quote").count() >= 2);
    press(&mut h, Key::F1);
    assert!(h.query_by_label("Keyboard shortcuts").is_none());

    press(&mut h, Key::Questionmark);
    assert!(
        h.query_by_label("Keyboard shortcuts").is_some(),
        "? opens it"
    );
    press(&mut h, Key::Questionmark);
    assert!(h.query_by_label("Keyboard shortcuts").is_none());

    // In a text field, ? is just a character.
    h.get_by_label("Filter").focus();
    h.run_steps(1);
    press(&mut h, Key::Questionmark);
    assert!(h.query_by_label("Keyboard shortcuts").is_none());
}

#[test]
fn the_list_shows_titles_over_file_names_in_folder_groups_and_filters_on_both() {
    let ws = temp_workspace();
    // (The workspace lists the texts under seeds/, subfolders included.)
    std::fs::create_dir_all(ws.path().join("seeds/extra")).unwrap();
    std::fs::write(
        ws.path().join("seeds/extra/notes.txt"),
        "\u{feff}\n\n   A note at   the root \nand its body\n",
    )
    .unwrap();
    let mut h = harness(ws.path(), false, false);
    // Titles, with the file names below them.
    assert!(h.query_by_label("A note at the root").is_some());
    assert!(h.query_by_label("notes.txt").is_some());
    assert!(
        h.query_by_label("Macron Meets With Putin in Moscow, Seeks to ‘Avoid War’")
            .is_some()
    );
    assert!(h.query_by_label("001_3e981e5bab7b45a2.txt").is_some());
    let long = h.get_by_label_contains("After the russia-France presidential meeting");
    assert!(
        egui_kittest::kittest::NodeT::accesskit_node(&long)
            .label()
            .unwrap()
            .ends_with('…'),
        "long titles are shortened"
    );
    // Each folder is a group with its counts; collapsing it hides its texts.
    assert!(h.query_by_label("seeds/extra  (0/1)").is_some());
    h.get_by_label("seeds  (0/5)").click();
    h.run_steps(3);
    assert!(h.query_by_label("001_3e981e5bab7b45a2.txt").is_none());
    assert!(h.query_by_label("notes.txt").is_some());
    h.get_by_label("seeds  (0/5)").click();
    h.run_steps(3);
    assert!(h.query_by_label("001_3e981e5bab7b45a2.txt").is_some());
    // The filter matches titles and file names.
    h.get_by_label("Filter").focus();
    h.run_steps(1);
    h.event(Event::Text("moscow".into()));
    h.run_steps(2);
    assert!(h.query_by_label("001_3e981e5bab7b45a2.txt").is_some());
    assert!(h.query_by_label(SEED).is_none());
    assert!(h.query_by_label("notes.txt").is_none());
    h.get_by_label("Filter").focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.event(Event::Text("b78fa".into()));
    h.run_steps(2);
    assert!(h.query_by_label(SEED).is_some());
    assert!(h.query_by_label("001_3e981e5bab7b45a2.txt").is_none());
}

#[test]
fn an_empty_workspace_says_what_to_do_and_offers_import() {
    let ws = tempfile::tempdir().unwrap();
    let mut h = harness(ws.path(), false, false);
    eprintln!("{:#?}", h.root());
    assert!(h.query_by_label_contains("Put .txt files").is_some());
    assert!(h.query_by_label("Choose a document on the left.").is_none());
    assert!(h.query_by_label("Open another folder…").is_some());
    h.get_by_label("Import texts and annotations…").click();
    h.run_steps(3);
    assert!(
        h.query_by_label("Import annotations").is_some(),
        "the import window opened"
    );
}

#[test]
fn mark_done_replaces_the_tagged_message_and_the_top_bar_is_one_row_at_1024() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    tag_phrase(&mut h, Key::Num3);
    assert_eq!(h.state().status_line(), "Tagged error");
    h.get_by_label("Mark done").click();
    h.run_steps(2);
    assert!(
        h.state().status_line().starts_with("Marked done"),
        "{}",
        h.state().status_line()
    );
    // One row: the document's actions sit beside the menus, not below them.
    let file = h.get_by_label("File").rect();
    let undo = h.get_by_label("Undo").rect();
    assert!(
        (file.center().y - undo.center().y).abs() < 4.0,
        "File at {file:?}, Undo at {undo:?}"
    );
    // The theme switch moved into View.
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Dark theme").click();
    h.run_steps(2);
    assert_eq!(h.ctx.theme(), egui::Theme::Dark);
}

#[test]
fn a_document_that_takes_long_to_open_can_be_cancelled() {
    let ws = temp_workspace();
    // A big document with many spans: opening it takes well over the 100 ms the window waits
    // before it shows the progress line (this build reads layers unoptimised).
    let spec = marginalia::workspace::synth::SynthSpec {
        bytes: 4 * 1024 * 1024,
        spans: 40_000,
        ..marginalia::workspace::synth::SynthSpec::ONE_MB
    };
    let doc = marginalia::workspace::synth::generate(&spec, "seeds/big.txt", ANNOTATOR);
    std::fs::write(ws.path().join("seeds/big.txt"), doc.text.as_str()).unwrap();
    std::fs::create_dir_all(ws.path().join("annotations").join(ANNOTATOR).join("seeds")).unwrap();
    std::fs::write(
        ws.path()
            .join("annotations")
            .join(ANNOTATOR)
            .join("seeds/big.ron"),
        doc.layer.to_ron(),
    )
    .unwrap();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    h.get_by_label("big.txt").click();
    h.run_steps(3);
    assert!(h.query_by_label_contains("Opening seeds/big.txt").is_some());
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Opening seeds/big.txt").is_none());
    assert_eq!(
        h.state().open_document(),
        Some(&*format!("seeds/{SEED}")),
        "back to the document shown before"
    );
    assert!(
        h.state()
            .status_line()
            .contains("Stopped opening seeds/big.txt")
    );
    // And it still works: tagging goes on in the previous document.
    tag_phrase(&mut h, Key::Num1);
    assert!(h.state().selected_span().is_some());
    // The cancelled open left nothing behind: the big document opens when asked again.
    h.get_by_label("big.txt").click();
    for _ in 0..2000 {
        if h.state().open_document() == Some("seeds/big.txt") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    assert_eq!(h.state().open_document(), Some("seeds/big.txt"));
    h.run_steps(2);
    assert!(h.query_by_label_contains("Opening seeds/big.txt").is_none());
    assert!(
        h.query_by_label("40000").is_some(),
        "its span count is shown"
    );
}

#[test]
fn a_long_document_list_draws_only_the_rows_in_view_and_its_filter_finds_any() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("docs")).unwrap();
    for i in 0..3000 {
        let text = format!("Report number {i}\n\nSome text.\n");
        std::fs::write(ws.path().join(format!("docs/{i:04}.txt")), text).unwrap();
    }
    let mut h = harness(ws.path(), false, false);
    assert!(h.query_by_label("docs  (0/3000)").is_some());
    assert!(h.query_by_label("0000.txt").is_some());
    assert!(
        h.query_by_label("2999.txt").is_none(),
        "a row far out of view is not drawn"
    );
    h.get_by_label("Filter").focus();
    h.run_steps(1);
    h.event(Event::Text("2999".into()));
    h.run_steps(2);
    assert!(h.query_by_label("2999.txt").is_some());
    assert!(h.query_by_label("Report number 2999").is_some());
    assert!(h.query_by_label("0000.txt").is_none());
    assert!(h.query_by_label("docs  (0/1)").is_some());
    // The heading still hides and shows its folder's texts.
    h.get_by_label("docs  (0/1)").click();
    h.run_steps(2);
    assert!(h.query_by_label("2999.txt").is_none());
    h.get_by_label("docs  (0/1)").click();
    h.run_steps(2);
    assert!(h.query_by_label("2999.txt").is_some());
}

/// The list shows the workspace's root texts first, then each folder's, by name, each in path
/// order, whatever order the paths sort in ("a.txt" < "a/c.txt" < "b.txt").
#[test]
fn the_list_shows_root_texts_then_each_folder_by_name() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("annotations")).unwrap();
    for (rel, title) in [
        ("a.txt", "Root A"),
        ("a/c.txt", "Folder a, C"),
        ("b.txt", "Root B"),
        ("0/d.txt", "Folder 0, D"),
        ("a/b/e.txt", "Folder a/b, E"),
    ] {
        let path = ws.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("{title}\n")).unwrap();
    }
    let h = harness(ws.path(), false, false);
    let tops: Vec<f32> = [
        "Root A",
        "Root B",
        "0  (0/1)",
        "Folder 0, D",
        "a  (0/1)",
        "Folder a, C",
        "a/b  (0/1)",
        "Folder a/b, E",
    ]
    .iter()
    .map(|l| h.get_by_label(l).rect().top())
    .collect();
    assert!(
        tops.is_sorted() && tops.windows(2).all(|w| w[0] < w[1]),
        "{tops:?}"
    );
}

/// A filter typed before the list has read the titles finds them once it has (issue 22: a
/// letter typed while the list is read is answered from the titles read so far, and the list
/// follows the rest).
#[test]
fn a_filter_typed_before_the_titles_are_read_finds_them_once_they_are() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("docs")).unwrap();
    for i in 0..3000 {
        let place = if i % 500 == 7 { "Zanzibar" } else { "Oslo" };
        let text = format!("Report from {place}, number {i}\n\nSome text.\n");
        std::fs::write(ws.path().join(format!("docs/{i:04}.txt")), text).unwrap();
    }
    let opts = start(ws.path(), false);
    let mut h = Harness::builder()
        .with_size(vec2(1024.0, 700.0))
        .with_step_dt(0.05)
        .build_eframe(move |cc| MarginaliaApp::new(cc, opts));
    h.run_steps(1);
    h.get_by_label("Filter").focus();
    h.run_steps(1);
    h.event(Event::Text("zanzibar".into()));
    h.run_steps(1);
    wait_for_document_list(&mut h);
    h.run_steps(2);
    for i in (7..3000).step_by(500) {
        let title = format!("Report from Zanzibar, number {i}");
        assert!(h.query_by_label(&title).is_some(), "{title}");
    }
    assert!(h.query_by_label("docs  (0/6)").is_some());
    assert!(h.query_by_label_contains("Oslo").is_none());
}

#[test]
fn shift_arrows_move_the_selected_spans_ends_one_undo_step_each() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    let (start, end) = tag_phrase(&mut h, Key::Num1);
    let id = h.state().selected_span().unwrap();
    let range = |h: &mut Harness<'_, MarginaliaApp>| {
        save_now(h);
        let l = read_layer(ws.path());
        let s = l.spans.iter().find(|s| s.id == id).unwrap().clone();
        (s.start, s.end, s.exact)
    };
    // Shift+Right: the end takes one more char (the space after "interlocutor").
    press_with(&mut h, Modifiers::SHIFT, Key::ArrowRight);
    assert_eq!(range(&mut h).1, end + 1);
    // Ctrl+Shift+Right: the end takes the next word.
    press_with(
        &mut h,
        Modifiers::COMMAND | Modifiers::SHIFT,
        Key::ArrowRight,
    );
    let (_, e, exact) = range(&mut h);
    assert_eq!(exact, format!("{PHRASE} with"));
    assert_eq!(e, end + " with".chars().count());
    // Ctrl+Shift+Left drops it again, without the space.
    press_with(
        &mut h,
        Modifiers::COMMAND | Modifiers::SHIFT,
        Key::ArrowLeft,
    );
    assert_eq!(range(&mut h).2, PHRASE);
    // Alt+Shift+Right moves the start; Ctrl+Alt+Shift+Left goes back to the word's start,
    // then takes in the word before.
    press_with(&mut h, Modifiers::ALT | Modifiers::SHIFT, Key::ArrowRight);
    assert_eq!(range(&mut h).0, start + 1);
    let ctrl_alt_shift = Modifiers::COMMAND | Modifiers::ALT | Modifiers::SHIFT;
    press_with(&mut h, ctrl_alt_shift, Key::ArrowLeft);
    assert_eq!(range(&mut h).2, PHRASE);
    press_with(&mut h, ctrl_alt_shift, Key::ArrowLeft);
    let (s, _, exact) = range(&mut h);
    assert_eq!(exact, format!("President {PHRASE}"));
    assert!(s < start);
    assert_eq!(h.state().selected_span(), Some(id), "still selected");
    assert_eq!(h.state().selected_text_range(), None, "no text selection");
    // One undo per key press, back to where it was tagged.
    for _ in 0..6 {
        h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
        h.run_steps(2);
    }
    assert_eq!(range(&mut h), (start, end, PHRASE.to_owned()));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    assert!(
        read_layer(ws.path()).spans.is_empty(),
        "the seventh undo removes the span"
    );
}

#[test]
fn dragging_an_end_of_the_selected_span_moves_it_in_one_undo_step() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    let (start, end) = tag_phrase(&mut h, Key::Num1);
    let id = h.state().selected_span().unwrap();
    // Grab the end (just left of it, inside the grab distance) and drop it inside "Vladimir".
    let vladimir = char_offset(&h, "Vladimir");
    let from = pos_of(&h, end) + vec2(-2.0, 0.0);
    let to = pos_of(&h, vladimir + 3) + vec2(2.0, 0.0);
    h.hover_at(from);
    h.step();
    h.drag_at(from);
    h.step();
    h.hover_at(from + (to - from) * 0.5);
    h.step();
    h.hover_at(to);
    h.step();
    h.drop_at(to);
    h.run_steps(2);
    save_now(&mut h);
    let layer = read_layer(ws.path());
    let s = layer.spans.iter().find(|s| s.id == id).unwrap();
    assert_eq!(
        s.exact,
        format!("{PHRASE} with Vladimir"),
        "snapped to the word"
    );
    assert_eq!(s.start, start);
    assert_eq!(h.state().selected_span(), Some(id));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    let layer = read_layer(ws.path());
    assert_eq!((layer.spans[0].start, layer.spans[0].end), (start, end));
}

/// Types `text` as a keyboard would into whatever has the keyboard.
fn type_keys(h: &mut Harness<'_, MarginaliaApp>, text: &str) {
    for c in text.chars() {
        h.event(Event::Text(c.to_string()));
        h.run_steps(2);
    }
}

fn claim_attrs(ws: &Path) -> Vec<(String, String)> {
    let layer = read_layer(ws);
    assert_eq!(layer.spans.len(), 1);
    layer.spans[0].attrs.clone().into_iter().collect()
}

fn kv(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

/// Attribute fields: a claim's verdict and source set with the keyboard only (A, letters or a
/// number, Tab, Enter, Esc), each change one undo step, all of it on disk.
#[test]
fn a_claims_verdict_is_set_with_the_keyboard_only_and_each_change_undoes_in_one_step() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    tag_phrase(&mut h, Key::Num2);
    save_now(&mut h);
    assert_eq!(
        claim_attrs(ws.path()),
        vec![kv("verdict", "unverified")],
        "the default"
    );

    // A: into the first attribute, the verdict's choice list; "f" picks "false".
    press(&mut h, Key::A);
    assert!(
        h.get_by_label("verdict").is_focused(),
        "A moved into the verdict"
    );
    type_keys(&mut h, "f");
    save_now(&mut h);
    assert_eq!(claim_attrs(ws.path()), vec![kv("verdict", "false")]);
    // Typing on in a run: "m", "i", "s" go to mostly true, mixed, misleading; one step.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    type_keys(&mut h, "mis");
    save_now(&mut h);
    assert_eq!(claim_attrs(ws.path()), vec![kv("verdict", "misleading")]);
    // A number picks the value at that place: 4 is "mixed".
    type_keys(&mut h, "4");
    save_now(&mut h);
    assert_eq!(claim_attrs(ws.path()), vec![kv("verdict", "mixed")]);

    // Tab goes to the source; typing is one edit when Enter leaves the field.
    press(&mut h, Key::Tab);
    assert!(
        h.get_by_label("source").is_focused(),
        "Tab moved to the source"
    );
    type_keys(&mut h, "Kremlin");
    press(&mut h, Key::Enter);
    save_now(&mut h);
    assert_eq!(
        claim_attrs(ws.path()),
        vec![kv("source", "Kremlin"), kv("verdict", "mixed")]
    );
    // Esc goes back to the text with the span still selected; Tab then steps spans again.
    press(&mut h, Key::A);
    press(&mut h, Key::Escape);
    assert!(!h.get_by_label("verdict").is_focused());
    assert!(
        h.state().selected_span().is_some(),
        "the span stays selected"
    );

    // Undo: the source, then "mixed", then the run to "misleading", then "false".
    let undo_to = |h: &mut Harness<'_, MarginaliaApp>, want: Vec<(String, String)>| {
        h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
        h.run_steps(2);
        save_now(h);
        assert_eq!(claim_attrs(ws.path()), want);
    };
    undo_to(&mut h, vec![kv("verdict", "mixed")]);
    undo_to(&mut h, vec![kv("verdict", "misleading")]);
    undo_to(&mut h, vec![kv("verdict", "false")]);
    undo_to(&mut h, vec![kv("verdict", "unverified")]);
    // The value shows in the span list after the excerpt.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run_steps(2);
    assert!(
        h.query_all_by_label_contains("· false").count() == 1,
        "the span list shows the verdict: {:?}",
        h.query_all_by_role(egui::accesskit::Role::ListItem)
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>(),
    );

    // The Value filter keeps the claims whose verdict is false, and follows each edit.
    use egui_kittest::kittest::NodeT;
    let span_rows = |h: &Harness<'_, MarginaliaApp>| {
        h.query_all_by_role(egui::accesskit::Role::ListItem)
            .filter(|n| {
                n.accesskit_node()
                    .label()
                    .is_some_and(|l| l.starts_with("claim: ") || l.starts_with("quote: "))
            })
            .count()
    };
    assert_eq!(span_rows(&h), 1);
    h.get_by_label("Value").click();
    h.run_steps(2);
    h.get_by_label("claim verdict = false").click();
    h.run_steps(2);
    assert_eq!(span_rows(&h), 1, "the false claim passes");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    assert_eq!(span_rows(&h), 0, "undone to unverified, it leaves the list");
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run_steps(2);
    assert_eq!(span_rows(&h), 1, "redone, it is back");
}

/// Tag editor: the tag editor adds a tag with an attribute and writes tags.ron through the core;
/// a key that is another tag's or the app's own is refused; another window picks it up.
#[test]
fn the_tag_editor_adds_a_tag_with_an_attribute_and_refuses_a_taken_key() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    let mut other = harness(ws.path(), false, false);
    open_seed(&mut h);
    open_seed(&mut other);
    open_tag_editor(&mut h);
    assert!(
        h.query_by_label("New tag name").is_some(),
        "the tag editor is open"
    );
    // Issue 23 (look pass): the selected tag's description field holds its 60 characters
    // (at 340 points it showed "…inside or outside qu").
    h.query_all_by_label("quote").next().unwrap().click();
    h.run_steps(3);
    let description = h
        .query_all_by_role_and_label(egui::accesskit::Role::TextInput, "Description")
        .map(|n| n.rect().width())
        .fold(0.0_f32, f32::max);
    assert!(
        description >= 480.0,
        "the description field is {description} wide"
    );
    h.get_by_label("New tag name").focus();
    h.run_steps(1);
    type_keys(&mut h, "opinion");
    h.get_by_label("Add tag").click();
    h.run_steps(2);
    h.get_by_label("Add attribute").click();
    h.run_steps(2);

    h.get_by_label("Hotkey").focus();
    h.run_steps(1);
    press(&mut h, Key::Backspace);
    type_keys(&mut h, "1");
    assert!(
        h.query_all_by_label_contains("Refused: key 1 is already tag quote's")
            .count()
            > 0
    );
    type_keys(&mut h, "a");
    assert!(h.query_all_by_label_contains("taken by the app").count() > 0);
    type_keys(&mut h, "o");
    h.get_by_label("Save").click();
    h.run_steps(2);

    let path = ws.path().join("annotations/tags.ron");
    let tags = marginalia::model::tags::TagSet::load_or_default(&path).unwrap();
    let opinion = tags.get("opinion").expect("the new tag is in tags.ron");
    assert_eq!(opinion.hotkey, "o");
    assert_eq!(opinion.attributes.len(), 1);
    assert_eq!(opinion.attributes[0].name, "value");
    assert_eq!(
        tags.get("quote").unwrap().hotkey,
        "1",
        "quote keeps its key"
    );

    // The other window notices the file changed (a stat check once a second) and uses it.
    assert!(
        other
            .query_all_by_label_contains("opinion")
            .next()
            .is_none()
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    other.run_steps(3);
    assert!(
        other.query_all_by_label_contains("opinion").count() > 0,
        "the other window shows the new tag"
    );
}

fn find_count(h: &Harness<'_, MarginaliaApp>) -> String {
    h.state().find_hits().1
}

/// Ctrl+F, then types `query` into the find bar and waits for the search to finish.
fn find(h: &mut Harness<'_, MarginaliaApp>, query: &str) {
    h.key_press_modifiers(Modifiers::COMMAND, Key::F);
    h.run_steps(2);
    assert!(h.state().find_bar_open());
    type_keys(h, query);
    for _ in 0..200 {
        if !find_count(h).starts_with("searching") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    h.run_steps(2);
}

#[test]
fn find_steps_through_hits_and_alt_1_tags_them_all_in_one_undo_step() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    find(&mut h, "macron");
    let hits = h.state().find_hits().0.to_vec();
    assert_eq!(hits.len(), 11, "case-insensitive by default");
    assert_eq!(find_count(&h), "1 of 11");
    assert!(
        h.query_by_label("1 of 11").is_some(),
        "the bar shows the count"
    );
    assert_eq!(h.state().selected_text_range(), Some(hits[0].into()));
    press(&mut h, Key::Enter);
    assert_eq!(find_count(&h), "2 of 11");
    assert_eq!(h.state().selected_text_range(), Some(hits[1].into()));
    h.key_press_modifiers(Modifiers::SHIFT, Key::Enter);
    h.run_steps(2);
    assert_eq!(find_count(&h), "1 of 11");
    press(&mut h, Key::Enter);

    // Esc closes the bar and leaves the hit selected: the tag key tags it.
    press(&mut h, Key::Escape);
    assert!(!h.state().find_bar_open());
    assert_eq!(h.state().selected_text_range(), Some(hits[1].into()));
    press(&mut h, Key::Num1);
    save_now(&mut h);
    assert_eq!(read_layer(ws.path()).spans.len(), 1);

    // Alt+1 tags the other ten, skipping the one already tagged.
    find(&mut h, "");
    assert_eq!(find_count(&h), "1 of 11", "the bar keeps its query");
    h.key_press_modifiers(Modifiers::ALT, Key::Num1);
    h.run_steps(2);
    assert_eq!(
        h.state().status_line(),
        "tagged 10 of 11 as quote; 1 was already tagged"
    );
    press(&mut h, Key::Escape);
    save_now(&mut h);
    let layer = read_layer(ws.path());
    let mut got: Vec<marginalia::CharRange> = layer.spans.iter().map(|s| s.range()).collect();
    got.sort();
    assert_eq!(got, hits);
    assert!(
        layer
            .spans
            .iter()
            .all(|s| s.tag == "quote" && s.exact == "Macron")
    );

    // One Ctrl+Z removes all ten.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    let layer = read_layer(ws.path());
    assert_eq!(layer.spans.len(), 1);
    assert_eq!(layer.spans[0].range(), hits[1]);
}

#[test]
fn tagging_more_than_50_hits_asks_first_and_a_bad_regex_says_why() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    find(&mut h, "e");
    let n = h.state().find_hits().0.len();
    assert!(n > 50, "{n}");
    h.key_press_modifiers(Modifiers::ALT, Key::Num2);
    h.run_steps(2);
    assert!(
        h.query_by_label(&format!("Tag all {n} hits as claim?"))
            .is_some(),
        "the bar asks"
    );
    save_now(&mut h);
    assert!(!layer_file(ws.path()).exists() || read_layer(ws.path()).spans.is_empty());
    h.get_by_label(&format!("Tag {n}")).click();
    h.run_steps(2);
    assert!(
        h.state()
            .status_line()
            .starts_with(&format!("tagged {n} of {n} as claim"))
    );
    save_now(&mut h);
    let tagged = read_layer(ws.path()).spans;
    assert_eq!(tagged.len(), n);
    // One undo step, which says what it was, takes them all out; redo puts them back.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    assert_eq!(
        h.state().status_line(),
        format!("Undone: tag {n} spans as claim")
    );
    save_now(&mut h);
    assert!(read_layer(ws.path()).spans.is_empty());
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run_steps(2);
    assert_eq!(
        h.state().status_line(),
        format!("Redone: tag {n} spans as claim")
    );
    save_now(&mut h);
    assert_eq!(read_layer(ws.path()).spans, tagged);

    // A regex that does not parse: a message in the bar, no hits, no panic.
    h.get_by_label(".*").click();
    h.run_steps(2);
    type_keys(&mut h, "(");
    h.run_steps(2);
    assert!(h.state().find_hits().0.is_empty());
    assert!(
        h.query_all_by_label_contains("not a valid regular expression")
            .next()
            .is_some()
    );
}

/// Tag all: tagging thousands of hits is a bulk edit (the window's index catches up in the
/// next frame): one undo step on disk, and the window counts the new spans right after.
#[test]
fn tagging_thousands_of_hits_and_undoing_it_reach_the_file_and_the_window() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("annotations")).unwrap();
    std::fs::write(dir.path().join("many.txt"), "Putin said no. ".repeat(5000)).unwrap();
    let mut h = harness(dir.path(), false, false);
    h.get_by_label("many.txt").click();
    for _ in 0..400 {
        if h.state().open_document().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    assert_eq!(h.state().open_document(), Some("many.txt"));
    find(&mut h, "putin");
    assert_eq!(h.state().find_hits().0.len(), 5000);
    h.key_press_modifiers(Modifiers::ALT, Key::Num1);
    h.run_steps(2);
    h.get_by_label("Tag 5000").click();
    h.run_steps(2);
    assert_eq!(h.state().status_line(), "tagged 5000 of 5000 as quote");
    // The tag panel counts them (and the document list's line).
    let shown = |h: &Harness<'_, MarginaliaApp>| h.query_all_by_label("5000").count();
    let counted = shown(&h);
    assert!(counted >= 1);
    let file = dir
        .path()
        .join("annotations")
        .join(ANNOTATOR)
        .join("many.ron");
    let on_disk = |h: &mut Harness<'_, MarginaliaApp>| {
        save_now(h);
        Layer::from_ron(&std::fs::read_to_string(&file).unwrap())
            .unwrap()
            .spans
    };
    let tagged = on_disk(&mut h);
    assert_eq!(tagged.len(), 5000);
    assert!(
        tagged
            .iter()
            .all(|s| s.tag == "quote" && s.exact == "Putin")
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().status_line(), "Undone: tag 5000 spans as quote");
    assert!(on_disk(&mut h).is_empty());
    assert_eq!(shown(&h), 0);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run_steps(2);
    assert_eq!(on_disk(&mut h), tagged);
    assert_eq!(shown(&h), counted);
}

/// Tag all: more hits than one frame should take are tagged a slice a frame (15,000 each),
/// as one undo step, with progress and Cancel in the find bar; Cancel leaves nothing tagged.
#[test]
fn a_tag_all_of_more_hits_than_a_frame_takes_goes_in_slices_with_cancel() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("annotations")).unwrap();
    let n = 90_000;
    std::fs::write(dir.path().join("many.txt"), "ab ".repeat(n)).unwrap();
    let mut h = harness(dir.path(), false, false);
    h.get_by_label("many.txt").click();
    for _ in 0..400 {
        if h.state().open_document().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    find(&mut h, "ab");
    assert_eq!(h.state().find_hits().0.len(), n);
    let file = dir
        .path()
        .join("annotations")
        .join(ANNOTATOR)
        .join("many.ron");
    let quotes_on_disk = |h: &mut Harness<'_, MarginaliaApp>| {
        save_now(h);
        std::fs::read_to_string(&file)
            .map(|t| t.matches("tag: \"quote\"").count())
            .unwrap_or(0)
    };
    // Cancel after two slices: nothing stays.
    h.key_press_modifiers(Modifiers::ALT, Key::Num1);
    h.run_steps(2);
    h.get_by_label(&format!("Tag {n}")).click();
    h.step();
    assert_eq!(
        h.state().status_line(),
        format!("Tagging 15000 of {n} hits as quote…")
    );
    h.step();
    // The find bar and the status line both show how far it is.
    let progress = format!("Tagging 30000 of {n} hits as quote…");
    assert_eq!(h.query_all_by_label(&progress).count(), 2);
    // Esc stops it (a slice more goes in the frame the key arrives).
    h.key_press(Key::Escape);
    h.step();
    assert_eq!(
        h.state().status_line(),
        "Cancelled: no hit was tagged as quote"
    );
    h.run_steps(2);
    assert_eq!(quotes_on_disk(&mut h), 0);
    // To the end: every hit, one undo step.
    h.key_press_modifiers(Modifiers::ALT, Key::Num1);
    h.run_steps(2);
    h.get_by_label(&format!("Tag {n}")).click();
    for _ in 0..20 {
        h.step();
        if h.state().status_line().starts_with("tagged") {
            break;
        }
    }
    assert_eq!(
        h.state().status_line(),
        format!("tagged {n} of {n} as quote")
    );
    assert_eq!(quotes_on_disk(&mut h), n);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    assert_eq!(
        h.state().status_line(),
        format!("Undone: tag {n} spans as quote")
    );
    assert_eq!(quotes_on_disk(&mut h), 0);
    // Quitting (or a signal) half-way finishes it first: the file holds every hit, not a part.
    h.key_press_modifiers(Modifiers::ALT, Key::Num1);
    h.run_steps(2);
    h.get_by_label(&format!("Tag {n}")).click();
    h.step();
    assert!(h.state().status_line().starts_with("Tagging "));
    h.state().request_terminate();
    h.run_steps(2);
    assert!(h.state().will_close());
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("tag: \"quote\"").count(), n);
}

#[test]
fn the_command_palette_runs_a_command_found_by_fuzzy_words() {
    use egui_kittest::kittest::NodeT;
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    // Issue 23 (look pass): with no document open, a command that needs one is greyed out,
    // and Enter on it says why instead of doing nothing; one for the workspace is not.
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    h.run_steps(2);
    type_keys(&mut h, "mark done");
    let entry = h.get_by_label("Mark done (or not done)");
    assert!(entry.accesskit_node().is_disabled(), "greyed out");
    press(&mut h, Key::Enter);
    h.run_steps(1);
    assert!(
        h.state()
            .status_line()
            .contains("Mark done (or not done): needs an open document"),
        "{}",
        h.state().status_line()
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    h.run_steps(2);
    type_keys(&mut h, "find in every");
    let entry = h.get_by_label("Find in every document of the workspace");
    assert!(!entry.accesskit_node().is_disabled());
    press(&mut h, Key::Escape);
    h.run_steps(1);

    open_seed(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    h.run_steps(2);
    type_keys(&mut h, "mark done");
    assert!(h.query_by_label("Mark done (or not done)").is_some());
    press(&mut h, Key::Enter);
    save_now(&mut h);
    assert_eq!(read_layer(ws.path()).status, marginalia::Status::Done);
    assert!(
        h.query_by_label("Mark done (or not done)").is_none(),
        "it closed"
    );

    // Ctrl+Shift+P opens it too; Esc closes it without running anything.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::P);
    h.run_steps(2);
    type_keys(&mut h, "exp jsonl");
    assert!(h.query_by_label("Export…").is_some());
    press(&mut h, Key::Escape);
    assert!(h.query_by_label("Export…").is_none());
    assert!(h.query_by_label("Export annotations").is_none());
}

#[test]
fn workspace_find_lists_hits_by_document_opens_one_on_click_and_tags_them_all_after_asking() {
    use marginalia::assist::find::{FindOptions, Matcher, search_workspace};
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::F);
    h.run_steps(2);
    assert!(!h.state().find_bar_open(), "Ctrl+Shift+F is not Ctrl+F");
    type_keys(&mut h, "macron");
    press(&mut h, Key::Enter);
    for _ in 0..400 {
        if h.query_by_label("Searching…").is_none() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    h.run_steps(2);
    let opened = marginalia::Workspace::open(ws.path()).unwrap();
    let m = Matcher::new("macron", FindOptions::default())
        .unwrap()
        .unwrap();
    let (docs, _) = search_workspace(&opened, &m, &Default::default());
    assert!(docs.len() >= 3);
    let total: usize = docs.iter().map(|d| d.total).sum();
    assert!(
        h.query_by_label(&format!("{total} hits in {} documents", docs.len()))
            .is_some()
    );
    // Only the rows in view are laid out: scrolling down the list shows every document.
    let header = |d: &marginalia::assist::find::DocHits| format!("{} ({})", d.rel, d.total);
    let list = h.get_by_label(&header(&docs[0])).rect().center();
    let mut seen = vec![false; docs.len()];
    for _ in 0..200 {
        for (k, d) in docs.iter().enumerate() {
            seen[k] |= h.query_by_label(&header(d)).is_some();
        }
        if seen.iter().all(|s| *s) {
            break;
        }
        wheel_at(&mut h, list, -60.0);
    }
    assert!(
        seen.iter().all(|s| *s),
        "every document is listed: {seen:?}"
    );
    // The first hit of the second document: a click opens it with the hit selected.
    let d = &docs[1];
    let hit = &d.hits[0];
    let line = format!("…{}{}{}…", hit.before, hit.matched, hit.after);
    for _ in 0..200 {
        if h.query_by_label(&line).is_some() {
            break;
        }
        wheel_at(&mut h, list, 60.0);
    }
    h.get_by_label(&line).scroll_to_me();
    h.run_steps(3);
    h.get_by_label(&line).click();
    h.run_steps(3);
    assert_eq!(h.state().open_document(), Some(d.rel.as_str()));
    assert_eq!(h.state().selected_text_range(), Some((hit.start, hit.end)));
    // The hit is not hidden under the window it was opened from (issue 23).
    h.run_steps(10);
    let window = window_rect(&h, "Find in workspace").expect("the window stays open");
    let at = pos_of(&h, hit.start);
    assert!(
        !window.contains(at),
        "the hit at {at:?} is under the window {window:?}"
    );
    // Moved down, it stops at the status line and does not cover it.
    let status = h
        .get_by_label_contains("select text, then press a tag's key")
        .rect();
    assert!(
        window.bottom() <= status.top(),
        "the window {window:?} covers the status line {status:?}"
    );

    // A span that is there before stays through undo and redo.
    let mut before = marginalia::Document::open(&opened, &docs[2].rel, ANNOTATOR, false).unwrap();
    before.add_span(0, 1, "claim").unwrap();
    before.save_now().unwrap();
    drop(before);

    // Tag all in workspace asks, saying what will happen, then writes every document's hits to
    // the tester's layers.
    h.get_by_label("Tag all in workspace…").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Ctrl+Z removes exactly these spans again, in every document")
            .is_some()
    );
    let annotations = ws.path().join("annotations").join(ANNOTATOR);
    let layer_of = |rel: &str| {
        let path = annotations.join(rel.replace(".txt", ".ron"));
        Layer::from_ron(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    assert_eq!(
        layer_of(&docs[2].rel).spans.len(),
        1,
        "nothing is written before the answer"
    );
    h.get_by_label("Tag them").click();
    wait_for_workspace_job(&mut h);
    assert_eq!(
        h.state().status_line(),
        format!(
            "tagged {total} hits as quote in {} documents; Ctrl+Z removes exactly these",
            docs.len()
        )
    );
    save_now(&mut h);
    let quotes = |rel: &str| {
        layer_of(rel)
            .spans
            .iter()
            .filter(|s| s.tag == "quote")
            .count()
    };
    let all_tagged = |h: &mut Harness<'_, MarginaliaApp>| {
        save_now(h);
        for d in &docs {
            assert_eq!(quotes(&d.rel), d.total, "{}", d.rel);
        }
        assert_eq!(layer_of(&docs[2].rel).spans.len(), docs[2].total + 1);
    };
    let none_tagged = |h: &mut Harness<'_, MarginaliaApp>| {
        save_now(h);
        for d in &docs {
            assert_eq!(quotes(&d.rel), 0, "{}", d.rel);
        }
        let kept = layer_of(&docs[2].rel).spans;
        assert_eq!(
            (kept.len(), kept[0].tag.as_str()),
            (1, "claim"),
            "the span that was there stays"
        );
    };
    all_tagged(&mut h);
    // One undo step, in the open document and in every other one.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    wait_for_workspace_job(&mut h);
    let others = total - d.total;
    let status = h.state().status_line().to_owned();
    assert!(status.starts_with("Undone: "), "{status}");
    assert!(
        status.ends_with(&format!(
            "; {} in {} other documents",
            marginalia::wording::plural(others, "span"),
            docs.len() - 1
        )),
        "{status}"
    );
    none_tagged(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    wait_for_workspace_job(&mut h);
    all_tagged(&mut h);

    // After the documents were closed and opened again (their histories are gone), Ctrl+Z
    // still removes exactly what the tag all added, everywhere.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::F);
    h.run_steps(2);
    let name = |rel: &str| rel.rsplit('/').next().unwrap().to_owned();
    h.get_by_label(&name(&docs[0].rel)).click();
    h.run_steps(3);
    assert_eq!(h.state().open_document(), Some(docs[0].rel.as_str()));
    h.get_by_label(&name(&d.rel)).click();
    h.run_steps(3);
    assert_eq!(h.state().open_document(), Some(d.rel.as_str()));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    wait_for_workspace_job(&mut h);
    assert_eq!(
        h.state().status_line(),
        format!(
            "Undone: tag all in workspace as quote ({total} spans in {} documents)",
            docs.len()
        )
    );
    none_tagged(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    wait_for_workspace_job(&mut h);
    all_tagged(&mut h);
}

/// Tag all: a workspace "Tag all" made with no document open is undone and redone from
/// the keyboard and the toolbar too (Ctrl+Z needed an open document, so it could not be).
#[test]
fn a_workspace_tag_all_made_with_no_document_open_is_undone_and_redone() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    assert_eq!(h.state().open_document(), None);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::F);
    h.run_steps(2);
    type_keys(&mut h, "macron");
    press(&mut h, Key::Enter);
    for _ in 0..400 {
        if h.query_by_label("Tag all in workspace…").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    h.get_by_label("Tag all in workspace…").click();
    h.run_steps(2);
    h.get_by_label("Tag them").click();
    wait_for_workspace_job(&mut h);
    let quotes = || -> usize {
        let dir = ws.path().join("annotations").join(ANNOTATOR).join("seeds");
        let Ok(files) = std::fs::read_dir(dir) else {
            return 0;
        };
        files
            .map(|f| {
                let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
                let layer = Layer::from_ron(&text).unwrap();
                layer.spans.iter().filter(|s| s.tag == "quote").count()
            })
            .sum()
    };
    let tagged = quotes();
    assert!(tagged > 3, "{tagged}");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    wait_for_workspace_job(&mut h);
    assert_eq!(quotes(), 0, "{}", h.state().status_line());
    assert!(
        h.state()
            .status_line()
            .starts_with("Undone: tag all in workspace as quote"),
        "{}",
        h.state().status_line()
    );
    h.get_by_label("Redo").click();
    wait_for_workspace_job(&mut h);
    assert_eq!(quotes(), tagged);
}

/// Steps the app until a workspace "Tag all" (or its undo or redo) has written every document:
/// it runs on a thread while the window keeps drawing.
fn wait_for_workspace_job(h: &mut Harness<'_, MarginaliaApp>) {
    h.run_steps(2);
    for _ in 0..4000 {
        if !h.state().workspace_job_running() {
            h.run_steps(1);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    panic!("the workspace job never finished");
}

/// Steps the app until the open document's suggestions are computed (on threads).
/// Steps until the open document's suggestions are shown and every source has answered (the
/// list, sorted by score, no longer changes under a click).
fn wait_for_suggestions(h: &mut Harness<'_, MarginaliaApp>) {
    for _ in 0..4000 {
        if !h.state().suggestions().0.is_empty() && !h.state().background_work() {
            h.run_steps(1);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    panic!("no suggestions were shown");
}

const PUTIN_QUOTE: &str = "You want War between France and Russia?";

#[test]
fn suggestions_are_listed_by_source_y_accepts_one_and_x_rejects_one_for_good() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    wait_for_suggestions(&mut h);
    let (shown, focused) = h.state().suggestions();
    assert_eq!(focused, None);
    assert_eq!(shown.len(), 23, "21 quotes and 2 name variants");
    assert_eq!(
        (shown[0].tag.as_str(), &*shown[0].text),
        ("quote", PUTIN_QUOTE)
    );
    h.get_by_label("quotes (21)");
    h.get_by_label("names (2)");
    assert!(
        !layer_file(ws.path()).exists(),
        "nothing is written before it is accepted"
    );

    press(&mut h, Key::CloseBracket);
    assert_eq!(h.state().suggestions().1, Some(0));
    press(&mut h, Key::Y);
    save_now(&mut h);
    let layer = read_layer(ws.path());
    assert_eq!(layer.spans.len(), 1);
    let s = &layer.spans[0];
    assert_eq!((s.tag.as_str(), s.exact.as_str()), ("quote", PUTIN_QUOTE));
    assert_eq!(s.attrs.get("speaker").map(String::as_str), Some("Putin"));

    // The next one is focused; x rejects it.
    let (shown, focused) = h.state().suggestions();
    assert_eq!(shown.len(), 22);
    let next = shown[focused.expect("the next suggestion is focused")].clone();
    assert!(
        next.text.starts_with("This is what will happen"),
        "{next:?}"
    );
    press(&mut h, Key::X);
    assert!(!h.state().suggestions().0.contains(&next));
    assert_eq!(
        read_layer(ws.path()).spans.len(),
        1,
        "a rejection adds no span"
    );
    drop(h);

    // A new window on the same workspace proposes neither again.
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    wait_for_suggestions(&mut h);
    let shown = h.state().suggestions().0;
    assert_eq!(shown.len(), 21);
    assert!(!shown.contains(&next));
    assert!(shown.iter().all(|s| s.text != PUTIN_QUOTE));
}

/// The rejections on disk, as a new window would read them.
fn rejected_on_disk(ws: &Path, s: &marginalia::assist::suggest::Suggestion) -> bool {
    let opened = marginalia::Workspace::open(ws).unwrap();
    let r = marginalia::assist::suggest::rejections::load(&opened, ANNOTATOR).unwrap();
    r.contains(&format!("seeds/{SEED}"), s)
}

/// Suggestions: `]` right after `y` shows the suggestion that followed the accepted one (the
/// focus moved there by itself) instead of skipping it; a rejection is an undo step that
/// brings the suggestion back and takes it out of the rejections file, and redo rejects it
/// again; the status line names what was undone.
#[test]
fn y_then_bracket_skips_nothing_and_ctrl_z_brings_back_a_rejected_suggestion() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    wait_for_suggestions(&mut h);
    let before = h.state().suggestions().0.to_vec();
    press(&mut h, Key::CloseBracket);
    assert_eq!(h.state().suggestions().1, Some(0));
    press(&mut h, Key::Y);
    press(&mut h, Key::CloseBracket);
    let (shown, focused) = h.state().suggestions();
    assert_eq!(
        shown[focused.expect("a suggestion is focused")],
        before[1],
        "] after y lands on the one after the accepted one"
    );
    press(&mut h, Key::CloseBracket);
    let (shown, focused) = h.state().suggestions();
    assert_eq!(shown[focused.unwrap()], before[2], "and the next ] goes on");
    press(&mut h, Key::OpenBracket);

    press(&mut h, Key::X);
    let gone = before[1].clone();
    assert!(!h.state().suggestions().0.contains(&gone));
    assert!(rejected_on_disk(ws.path(), &gone));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    let status = h.state().status_line().to_owned();
    assert!(
        status.starts_with("Undone: reject quote “This is what will happen"),
        "{status}"
    );
    assert!(h.state().suggestions().0.contains(&gone), "it is back");
    assert!(!rejected_on_disk(ws.path(), &gone), "and out of the file");
    save_now(&mut h);
    assert_eq!(
        read_layer(ws.path()).spans.len(),
        1,
        "Ctrl+Z undid the rejection, not the accept before it"
    );
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run_steps(2);
    assert!(h.state().status_line().starts_with("Redone: reject quote"));
    assert!(!h.state().suggestions().0.contains(&gone));
    assert!(rejected_on_disk(ws.path(), &gone));
    // Two more: the rejection, then the accept.
    for _ in 0..2 {
        h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
        h.run_steps(2);
    }
    assert_eq!(
        h.state().status_line(),
        format!("Undone: add quote “{}”", &PUTIN_QUOTE)
    );
    save_now(&mut h);
    assert!(read_layer(ws.path()).spans.is_empty());
    assert!(!rejected_on_disk(ws.path(), &gone));
    assert_eq!(h.state().suggestions().0, &before[..]);
}

/// A workspace where the annotator tagged "alpha" once (`a.txt`), and `b.txt` has it on each
/// of its 12,000 lines (which recur, so they are boilerplate too).
fn crowded_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("a.txt"), "The alpha said “so it goes”.\n").unwrap();
    std::fs::write(root.join("b.txt"), "alpha and more\n".repeat(12_000)).unwrap();
    let text = marginalia::Text::load(&root.join("a.txt")).unwrap();
    let mut layer = Layer::new("a.txt", &text, ANNOTATOR);
    let id = layer.take_id();
    layer.spans.push(marginalia::model::layer::make_span(
        &text,
        id,
        4,
        9,
        "claim",
        "2026-12-07T00:00:00Z",
    ));
    std::fs::create_dir_all(root.join(format!("annotations/{ANNOTATOR}"))).unwrap();
    std::fs::write(
        root.join(format!("annotations/{ANNOTATOR}/a.ron")),
        layer.to_ron(),
    )
    .unwrap();
    dir
}

/// A source that found more than it may propose says so in the Suggestions panel, with both
/// counts, and what it proposes reaches the end of the text. (Repeats used to propose the
/// first 10,000 it found and say nothing: on the 10 MB text all of them fell in its first
/// 21,000 chars.)
#[test]
fn a_cut_source_says_so_with_both_counts_and_its_suggestions_reach_the_end() {
    let ws = crowded_workspace();
    let mut h = harness(ws.path(), false, false);
    h.get_by_label("b.txt").click();
    h.run_steps(3);
    assert_eq!(h.state().open_document(), Some("b.txt"));
    for _ in 0..4000 {
        if h.query_all_by_label_contains("too dense").next().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    // Issue 23: 12,000 found in 180,000 characters (one every 15) is too dense: both sources
    // start switched off for this document, with their counts, and show once ticked.
    assert!(h.state().suggestions().0.is_empty(), "nothing outlined yet");
    assert!(
        h.query_all_by_label_contains("— cut").next().is_none(),
        "a source that is off says nothing of a cut"
    );
    for source in ["repeats", "boilerplate"] {
        h.get_by_label(&format!("{source} (too dense: 12000)"))
            .click();
        h.run_steps(2);
    }
    for source in ["repeats", "boilerplate"] {
        h.get_by_label(&format!(
            "{source}: 10000 of 12000 found, spread over the text — cut"
        ));
    }
    let shown = h.state().suggestions().0;
    let last_line = 11_999 * "alpha and more\n".len();
    for (source, tag, end) in [
        (Source::Repeats, "claim", last_line + 5),
        (Source::Boilerplate, "boilerplate", last_line + 14),
    ] {
        let of: Vec<_> = shown.iter().filter(|s| s.source == source).collect();
        assert_eq!(of.len(), 10_000, "{source}");
        assert_eq!(
            (of[9_999].start, of[9_999].end, of[9_999].tag.as_str()),
            (last_line, end, tag),
            "{source} reaches the last line"
        );
        // Evenly: 5 of every 6 lines, never two lines in a row left out.
        assert!(of.windows(2).all(|w| w[1].start - w[0].start <= 2 * 15));
    }
    // Not cut: no such line.
    let ws2 = crowded_workspace();
    let mut h = harness(ws2.path(), false, false);
    h.get_by_label("a.txt").click();
    h.run_steps(3);
    wait_for_suggestions(&mut h);
    assert!(h.query_by_label_contains("— cut").is_none());
}

#[test]
fn shift_y_accepts_every_suggestion_of_the_focused_source_as_one_undo_step() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    wait_for_suggestions(&mut h);
    let before = h.state().suggestions().0.to_vec();
    // A click in the list focuses a suggestion; [ from the first goes round to the last.
    h.get_by_label_contains("You want War").click();
    h.run_steps(2);
    assert_eq!(h.state().suggestions().1, Some(0));
    press(&mut h, Key::OpenBracket);
    let (shown, focused) = h.state().suggestions();
    let last = &shown[focused.unwrap()];
    assert_eq!((last.tag.as_str(), last.text.as_str()), ("error", "Schorz"));

    press_with(&mut h, Modifiers::SHIFT, Key::Y);
    save_now(&mut h);
    let layer = read_layer(ws.path());
    let got: Vec<(&str, &str, Option<&str>)> = (layer.spans.iter())
        .map(|s| {
            let c = s.attrs.get("correction").map(String::as_str);
            (s.tag.as_str(), s.exact.as_str(), c)
        })
        .collect();
    assert_eq!(
        got,
        vec![("error", "Schorz", Some("Scholz")); 2],
        "both name variants, not the quotes"
    );
    assert_eq!(h.state().suggestions().0.len(), 21);
    h.get_by_label("names (0)");

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    assert!(
        read_layer(ws.path()).spans.is_empty(),
        "one undo removes both"
    );
    // Both come back, in their places in the list and the counts.
    assert_eq!(h.state().suggestions().0, &before[..]);
    h.get_by_label("names (2)");
    // Redo takes them out again.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().suggestions().0.len(), 21);
}

/// Issue 22: in a workspace of over 1,000 texts the model learns one text at a time in the
/// background, once a document is open; meanwhile the panel says how far it got, and once it
/// has learnt every text the open document has the whole model's suggestions: here a line
/// that recurs in every text, which no text alone proposes.
#[test]
fn in_a_big_workspace_the_panel_says_how_far_the_model_learnt_then_the_whole_model_proposes() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::create_dir_all(dir.path().join("annotations")).unwrap();
    const LINE: &str = "Read Full Article on Example News";
    // Each text's first line its own (digits would make them one line: they are normalised).
    let own = |i: usize| -> String {
        let letter = |d: usize| char::from(b'a' + (d % 26) as u8);
        format!("Story {}{}{}.", letter(i / 676), letter(i / 26), letter(i))
    };
    for i in 0..1200 {
        let quote = if i == 0 {
            "“We will see,” Scholz said.\n"
        } else {
            ""
        };
        let body = format!("{}\n{quote}{LINE}\n", own(i));
        std::fs::write(docs.join(format!("{i:04}.txt")), body).unwrap();
    }
    let opts = start(&docs.join("0000.txt"), false);
    let mut h = Harness::builder()
        .with_size(vec2(1024.0, 700.0))
        .with_step_dt(0.05)
        .build_eframe(move |cc| MarginaliaApp::new(cc, opts));
    // A small text opens at once, before the first frame, so the model learns while it is open.
    assert_eq!(h.state().open_document(), Some("docs/0000.txt"));
    let mut told = false;
    let texts = |h: &Harness<'_, MarginaliaApp>| -> Vec<String> {
        let shown = h.state().suggestions().0;
        shown.iter().map(|s| s.text.clone()).collect()
    };
    // The model learns at the lowest priority: while the other tests keep both cores busy it
    // may wait long, so this waits up to three minutes (it stops as soon as it is done).
    let until = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while std::time::Instant::now() < until {
        h.step();
        let learning = h.query_by_label_contains("of 1200 documents…").is_some();
        told |= learning;
        if !learning && texts(&h).iter().any(|t| t == LINE) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(told, "the panel said how far the model learnt");
    assert_eq!(
        texts(&h),
        ["We will see", LINE],
        "the whole model's suggestions: the quote and the line in every text"
    );
    assert!(h.query_by_label_contains("documents…").is_none());
}

/// Opens the tag editor from the palette (keys only: a click on a menu item can miss when the
/// panel under it moves as background results arrive) and steps until it is drawn.
fn open_tag_editor(h: &mut Harness<'_, MarginaliaApp>) {
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    h.run_steps(2);
    type_keys(h, "edit tags");
    press(h, Key::Enter);
    for _ in 0..50 {
        if h.query_by_label("New tag name").is_some() {
            break;
        }
        h.step();
    }
    // A window's first frame only measures it.
    h.run_steps(2);
}

/// Opens the Keys editor (View menu) unless it is open, clicks `action`'s "Change" and presses
/// the chord.
fn rebind(
    h: &mut Harness<'_, MarginaliaApp>,
    action: marginalia::app::Action,
    modifiers: Modifiers,
    key: Key,
) {
    if h.query_by_label("Keyboard shortcuts editor").is_none() {
        h.get_by_label("View").click();
        h.run_steps(2);
        h.get_by_label("Change keyboard shortcuts…").click();
        // A window's first frame only measures it.
        h.run_steps(4);
    }
    let row = marginalia::app::Action::ALL
        .iter()
        .position(|a| *a == action)
        .unwrap();
    h.query_all_by_label("Change").nth(row).unwrap().click();
    h.run_steps(2);
    assert!(h.query_by_label("press the new keys…").is_some());
    if modifiers.command {
        // A real keyboard sends Ctrl itself as a key first.
        h.event(Event::Key {
            key: Key::ControlLeft,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers,
        });
        h.run_steps(1);
    }
    press_with(h, modifiers, key);
}

fn spans_on_disk(ws: &Path) -> usize {
    read_layer(ws).spans.len()
}

#[test]
fn a_rebound_undo_works_on_its_new_key_only_refuses_conflicts_and_survives_a_restart() {
    use marginalia::app::Action;
    let ws = temp_workspace();
    let builder = || {
        Harness::builder()
            .with_size(vec2(1024.0, 700.0))
            .with_theme(egui::Theme::Light)
            .with_step_dt(0.05)
    };
    let opts = StartOptions {
        reopen_last: false,
        persist: true,
        ..start(ws.path(), false)
    };
    let mut h = builder().build_eframe(move |cc| MarginaliaApp::new(cc, opts));
    h.run_steps(2);
    wait_for_document_list(&mut h);
    open_seed(&mut h);

    // Save's chord and tag quote's hotkey are taken: refused, naming the other.
    rebind(&mut h, Action::Undo, Modifiers::COMMAND, Key::S);
    assert!(
        h.query_all_by_label_contains("Refused: Ctrl+S is already the key of \"Save now")
            .count()
            > 0
    );
    rebind(&mut h, Action::Undo, Modifiers::NONE, Key::Num1);
    assert!(
        h.query_all_by_label_contains("Refused: 1 is tag quote's hotkey")
            .count()
            > 0
    );
    assert_eq!(Action::Undo.shortcut_text(), "Ctrl+Z", "nothing changed");
    rebind(&mut h, Action::Undo, Modifiers::COMMAND, Key::U);
    assert!(h.query_by_label("Undo is now Ctrl+U").is_some());
    h.get_by_label("Close window").click();
    h.run_steps(2);
    assert!(h.query_by_label("Keyboard shortcuts editor").is_none());

    // The sheet and the palette show the new key.
    press(&mut h, Key::F1);
    // In both sections: review mode's undo follows the binding.
    assert_eq!(
        h.query_all_by_label("Ctrl+U").count(),
        2,
        "the sheet shows it"
    );
    assert!(h.query_by_label("Ctrl+Z").is_none());
    press(&mut h, Key::F1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    h.run_steps(2);
    type_keys(&mut h, "undo");
    assert!(
        h.query_all_by_label("Ctrl+U").count() > 0,
        "the palette too"
    );
    press(&mut h, Key::Escape);

    // The old key no longer undoes; the new one does.
    tag_phrase(&mut h, Key::Num1);
    save_now(&mut h);
    assert_eq!(spans_on_disk(ws.path()), 1);
    press_with(&mut h, Modifiers::COMMAND, Key::Z);
    save_now(&mut h);
    assert_eq!(spans_on_disk(ws.path()), 1, "Ctrl+Z does nothing now");
    press_with(&mut h, Modifiers::COMMAND, Key::U);
    save_now(&mut h);
    assert_eq!(spans_on_disk(ws.path()), 0, "Ctrl+U undid the tagging");

    // The binding is in the preferences at once, and a restart uses it.
    let mut storage = MemStorage::default();
    assert!(h.state_mut().save_prefs_if_changed(&mut storage));
    let flushed = storage.flushed.as_ref().expect("flushed to disk");
    let prefs: marginalia::app::Prefs = ron::from_str(&flushed[eframe::APP_KEY]).unwrap();
    assert_eq!(prefs.keys.get("Undo").map(String::as_str), Some("Ctrl+U"));
    drop(h);
    let storage: &'static MemStorage = Box::leak(Box::new(storage));
    let opts = StartOptions {
        reopen_last: false,
        persist: true,
        ..start(ws.path(), false)
    };
    let mut h = builder().build_eframe(move |cc| {
        cc.storage = Some(storage);
        MarginaliaApp::new(cc, opts)
    });
    h.run_steps(2);
    wait_for_document_list(&mut h);
    if h.state().open_document().is_none() {
        open_seed(&mut h);
    }
    tag_phrase(&mut h, Key::Num1);
    press_with(&mut h, Modifiers::COMMAND, Key::U);
    save_now(&mut h);
    assert_eq!(spans_on_disk(ws.path()), 0, "Ctrl+U still undoes");

    // Reset all gives Undo its Ctrl+Z back.
    rebind(&mut h, Action::SaveNow, Modifiers::NONE, Key::Escape);
    h.get_by_label("Reset all").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("Every shortcut is back to its default")
            .is_some()
    );
    assert_eq!(Action::Undo.shortcut_text(), "Ctrl+Z");
    assert!(h.query_by_label("Ctrl+U").is_none());
}

/// Assignments: with assignments in workspace.ron the list shows the annotator's own documents,
/// the header counts them, and "All documents" shows every one.
#[test]
fn document_list_shows_my_assigned_documents_and_all_documents_shows_every_one() {
    let ws = temp_workspace();
    std::fs::write(
        ws.path().join("annotations/workspace.ron"),
        format!(
            r#"(
    texts: ["seeds"],
    assignments: [
        (annotator: "{ANNOTATOR}", documents: ["seeds/000_b78fa013a4a69998.txt", "seeds/001_*.txt", "seeds/003_*.txt"]),
        (annotator: "someone-else", documents: ["seeds/"]),
    ],
)"#
        ),
    )
    .unwrap();
    set_status(
        ws.path(),
        "seeds/001_3e981e5bab7b45a2.txt",
        marginalia::Status::Done,
    );
    set_status(
        ws.path(),
        "seeds/002_c14de4e8ffe1b554.txt",
        marginalia::Status::Done,
    );
    let mut h = harness(ws.path(), false, false);
    let shown = |h: &Harness<'_, MarginaliaApp>| -> Vec<&str> {
        ["000", "001", "002", "003", "004"]
            .into_iter()
            .filter(|n| (h.query_all_by_label_contains(&format!("{n}_")).next()).is_some())
            .collect()
    };
    assert_eq!(shown(&h), ["000", "001", "003"]);
    assert!(
        h.query_by_label("1 of 3 done").is_some(),
        "my progress on top"
    );
    h.get_by_label("All documents").click();
    h.run_steps(2);
    assert_eq!(shown(&h), ["000", "001", "002", "003", "004"]);
    assert!(
        h.query_by_label("1 of 3 done").is_some(),
        "still my progress"
    );
    h.get_by_label("All documents").click();
    h.run_steps(2);
    assert_eq!(shown(&h), ["000", "001", "003"]);
    // The next document goes through mine only.
    press_with(&mut h, Modifiers::ALT, Key::ArrowDown);
    press_with(&mut h, Modifiers::ALT, Key::ArrowDown);
    press_with(&mut h, Modifiers::ALT, Key::ArrowDown);
    assert_eq!(
        h.state().open_document(),
        Some("seeds/003_2bc22f07f8fd66ef.txt")
    );
}

/// Assignments: the Team window (Ctrl+Shift+T) shows documents × annotators with each cell's
/// status and span count, each annotator's totals, and the documents waiting for review, one
/// click from opening.
#[test]
fn team_window_shows_who_has_done_what_and_what_waits_for_review() {
    let ws = temp_workspace();
    std::fs::write(
        ws.path().join("annotations/workspace.ron"),
        format!(
            r#"(
    texts: ["seeds"],
    overlap: 1,
    assignments: [
        (annotator: "{ANNOTATOR}", documents: ["seeds/000_*.txt", "seeds/001_*.txt"]),
        (annotator: "someone-else", documents: ["seeds/001_*.txt", "seeds/002_*.txt"]),
    ],
)"#
        ),
    )
    .unwrap();
    set_status(
        ws.path(),
        "seeds/000_b78fa013a4a69998.txt",
        marginalia::Status::Done,
    );
    set_status(
        ws.path(),
        "seeds/001_3e981e5bab7b45a2.txt",
        marginalia::Status::InProgress,
    );
    let mut h = harness(ws.path(), false, false);
    assert!(h.query_by_label("Team").is_none());
    press_with(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::T);
    for _ in 0..400 {
        if h.state().team_view().progress().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    h.run_steps(2);
    assert!(h.query_by_label("Team").is_some());
    assert!(
        h.query_by_label_contains("5 documents, 2 annotators, overlap 1: 1 of 4 done")
            .is_some()
    );
    assert!(h.query_by_label("someone-else").is_some());
    // 000: mine, done; 001: mine in progress, theirs not started; 002: theirs not started.
    assert_eq!(h.query_all_by_label("done 0").count(), 1);
    assert_eq!(h.query_all_by_label("wip 0").count(), 1);
    assert_eq!(h.query_all_by_label("todo").count(), 2);
    assert!(h.query_by_label("1/2 · 0").is_some(), "my totals");
    assert!(h.query_by_label("0/2 · 0").is_some(), "theirs");
    assert!(h.query_by_label("Waiting for review (1)").is_some());
    h.get_by_label("seeds/000_b78fa013a4a69998.txt").click();
    h.run_steps(4);
    wait_for_document_list(&mut h);
    assert_eq!(
        h.state().open_document(),
        Some("seeds/000_b78fa013a4a69998.txt")
    );
    press_with(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::T);
    assert!(h.query_by_label("Team").is_none());
}

#[test]
fn a_conflict_the_merge_driver_recorded_shows_in_the_span_list() {
    use marginalia::team::merge::{Input, merge};
    let ws = temp_workspace();
    // Two clones retagged the same span differently; git ran the driver on the layer.
    let base = {
        let w = marginalia::Workspace::open(ws.path()).unwrap();
        let rel = format!("seeds/{SEED}");
        let mut doc =
            marginalia::session::document::Document::open(&w, &rel, ANNOTATOR, false).unwrap();
        let b = doc.text().as_str().find(PHRASE).unwrap();
        let start = doc.text().char_of_byte(b);
        doc.add_span(start, start + PHRASE.chars().count(), "quote")
            .unwrap();
        doc.save_now().unwrap();
        read_layer(ws.path())
    };
    let (mut ours, mut theirs) = (base.clone(), base.clone());
    ours.spans[0].tag = "claim".into();
    theirs.spans[0].tag = "error".into();
    let input = |name: &str, l: &Layer| Input {
        name: name.into(),
        bytes: l.to_ron().into_bytes(),
    };
    let merged = merge(
        &input("base", &base),
        &input("ours", &ours),
        &input("theirs", &theirs),
        // The layer's own path: merge-file refuses a file that is not the layer it names.
        Some(&format!(
            "annotations/{ANNOTATOR}/seeds/{}",
            SEED.replace(".txt", ".ron")
        )),
    )
    .unwrap();
    assert_eq!(merged.conflicts.len(), 1);
    std::fs::write(layer_file(ws.path()), merged.text).unwrap();

    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    // Same modified time: the greater version by content ("error") is kept, and the span's
    // row says what the other clone chose.
    assert!(
        h.query_by_label_contains("error: Emmanuel Macron has emerged")
            .is_some()
    );
    h.get_by_label_contains("· [merge conflict] the other edit had tag \"claim\"");
}

/// Attribute fields: the ways out of an attribute's text field.
#[derive(Debug, Clone, Copy, PartialEq)]
enum WayOut {
    Tab,
    ShiftTab,
    Esc,
    Enter,
    ClickElsewhere,
    AnotherSpan,
    AnotherDocument,
    Palette,
    ReviewMode,
    CtrlQ,
    CloseWindow,
    Sigterm,
}

/// Lets the autosave delay (300 ms of real time) pass and the writer thread finish.
fn let_autosave_run(h: &mut Harness<'_, MarginaliaApp>) {
    std::thread::sleep(std::time::Duration::from_millis(400));
    h.run_steps(1);
    for _ in 0..500 {
        if !h.state().has_unsaved_edits() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
}

/// The claim's attributes in the file on disk.
fn claim_on_disk(ws: &Path) -> std::collections::BTreeMap<String, String> {
    let layer = read_layer(ws);
    let claim = layer.spans.iter().find(|s| s.tag == "claim");
    claim.expect("the claim is on disk").attrs.clone()
}

/// Attribute fields: tags a claim, moves into its source with the keyboard (A, Tab), types "AFP"
/// and leaves the field by `way`. The value must then be in the file on disk, written by the
/// app itself (autosave, the document switch, review mode, the close), never by Ctrl+S.
fn typed_source_reaches_the_disk_after(way: WayOut) {
    let ws = temp_workspace();
    if way == WayOut::ReviewMode {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let layer = format!("seeds/{}", SEED.replace(".txt", ".ron"));
        for who in ["editor-a", "editor-b"] {
            let to = ws.path().join("annotations").join(who).join(&layer);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(repo.join("annotations").join(who).join(&layer), to).unwrap();
        }
    }
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    let elsewhere = char_offset(&h, "Vladimir");
    if way == WayOut::AnotherSpan {
        double_click(&mut h, elsewhere + 2);
        press(&mut h, Key::Num1);
        h.run_steps(10); // the next click is not a triple-click
    }
    tag_phrase(&mut h, Key::Num2);
    let claim = h.state().selected_span();
    press(&mut h, Key::A);
    press(&mut h, Key::Tab);
    assert!(
        h.get_by_label("source").is_focused(),
        "{way:?}: in the source"
    );
    type_keys(&mut h, "AFP");

    let closing = matches!(way, WayOut::CtrlQ | WayOut::CloseWindow | WayOut::Sigterm);
    match way {
        WayOut::Tab => press(&mut h, Key::Tab),
        WayOut::ShiftTab => press_with(&mut h, Modifiers::SHIFT, Key::Tab),
        WayOut::Esc => press(&mut h, Key::Escape),
        WayOut::Enter => press(&mut h, Key::Enter),
        WayOut::ClickElsewhere => click(&mut h, elsewhere + 2),
        WayOut::AnotherSpan => {
            click(&mut h, elsewhere + 2);
            assert_ne!(h.state().selected_span(), claim, "the quote is selected");
            assert!(h.state().selected_span().is_some());
        }
        WayOut::AnotherDocument => {
            press_with(&mut h, Modifiers::ALT, Key::ArrowDown);
            assert_ne!(
                h.state().open_document(),
                Some(&*format!("seeds/{SEED}")),
                "Alt+↓ from the field opened the next document"
            );
        }
        WayOut::Palette => {
            press_with(&mut h, Modifiers::COMMAND, Key::K);
            assert!(
                h.query_by_label("Commands").is_some(),
                "the palette is open"
            );
        }
        WayOut::ReviewMode => {
            press_with(&mut h, Modifiers::COMMAND, Key::R);
            h.get_by_label("Start review").click();
            h.run_steps(2);
            assert!(h.state().review_mode().is_some(), "review mode is on");
        }
        WayOut::CtrlQ => {
            // The key going down is one frame, whose output has the window's commands.
            let q = |pressed| Event::Key {
                key: Key::Q,
                pressed,
                modifiers: Modifiers::COMMAND,
                repeat: false,
                physical_key: None,
            };
            h.event(q(true));
            h.step();
            let asked = h
                .output()
                .viewport_output
                .get(&egui::ViewportId::ROOT)
                .is_some_and(|v| v.commands.contains(&egui::ViewportCommand::Close));
            assert!(asked, "Ctrl+Q from the field asks the window to close");
            h.event(q(false));
            // What eframe then does: the window gets a close request.
            request_close(&mut h);
        }
        WayOut::CloseWindow => request_close(&mut h),
        WayOut::Sigterm => {
            h.state().request_terminate();
            h.run_steps(2);
        }
    }
    if closing {
        assert!(h.state().will_close(), "{way:?}: the window closes");
    } else {
        let_autosave_run(&mut h);
    }
    let attrs = claim_on_disk(ws.path());
    assert_eq!(
        attrs.get("source").map(String::as_str),
        Some("AFP"),
        "{way:?}: the typed source was lost: {attrs:?}"
    );
    assert_eq!(attrs.get("verdict").map(String::as_str), Some("unverified"));
}

#[test]
fn a_typed_attribute_value_is_kept_on_tab() {
    typed_source_reaches_the_disk_after(WayOut::Tab);
}

#[test]
fn a_typed_attribute_value_is_kept_on_shift_tab() {
    typed_source_reaches_the_disk_after(WayOut::ShiftTab);
}

#[test]
fn a_typed_attribute_value_is_kept_on_esc() {
    typed_source_reaches_the_disk_after(WayOut::Esc);
}

#[test]
fn a_typed_attribute_value_is_kept_on_enter() {
    typed_source_reaches_the_disk_after(WayOut::Enter);
}

#[test]
fn a_typed_attribute_value_is_kept_on_a_click_elsewhere() {
    typed_source_reaches_the_disk_after(WayOut::ClickElsewhere);
}

#[test]
fn a_typed_attribute_value_is_kept_on_selecting_another_span() {
    typed_source_reaches_the_disk_after(WayOut::AnotherSpan);
}

#[test]
fn a_typed_attribute_value_is_kept_on_alt_down_to_another_document() {
    typed_source_reaches_the_disk_after(WayOut::AnotherDocument);
}

#[test]
fn a_typed_attribute_value_is_kept_on_opening_the_palette() {
    typed_source_reaches_the_disk_after(WayOut::Palette);
}

#[test]
fn a_typed_attribute_value_is_kept_on_entering_review_mode() {
    typed_source_reaches_the_disk_after(WayOut::ReviewMode);
}

#[test]
fn a_typed_attribute_value_is_kept_on_ctrl_q() {
    typed_source_reaches_the_disk_after(WayOut::CtrlQ);
}

#[test]
fn a_typed_attribute_value_is_kept_on_closing_the_window() {
    typed_source_reaches_the_disk_after(WayOut::CloseWindow);
}

#[test]
fn a_typed_attribute_value_is_kept_on_sigterm() {
    typed_source_reaches_the_disk_after(WayOut::Sigterm);
}

/// Attribute fields: what one visit to a text field types is one undo step, and editing an
/// existing value then leaving by Tab keeps the edit.
#[test]
fn each_visit_to_an_attribute_field_is_one_undo_step() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    tag_phrase(&mut h, Key::Num2);
    press(&mut h, Key::A);
    press(&mut h, Key::Tab);
    type_keys(&mut h, "AFP");
    press(&mut h, Key::Tab);
    // Back into the source: the existing value is edited and left by Tab again.
    press_with(&mut h, Modifiers::SHIFT, Key::Tab);
    assert!(h.get_by_label("source").is_focused());
    type_keys(&mut h, " wire");
    press(&mut h, Key::Tab);
    press(&mut h, Key::Escape);
    save_now(&mut h);
    let source = |ws: &Path| claim_on_disk(ws).get("source").cloned();
    assert_eq!(source(ws.path()).as_deref(), Some("AFP wire"));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    assert_eq!(
        source(ws.path()).as_deref(),
        Some("AFP"),
        "one step per visit"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    assert_eq!(
        source(ws.path()),
        None,
        "the first visit, letter by letter, in one step"
    );
    assert_eq!(
        claim_on_disk(ws.path()).get("verdict").map(String::as_str),
        Some("unverified")
    );
}

/// Attribute fields: a choice and a flag are kept too, with the text field, when the app is
/// terminated right after.
#[test]
fn a_choice_a_flag_and_a_text_value_are_all_kept_on_sigterm() {
    let ws = temp_workspace();
    std::fs::write(
        ws.path().join("annotations/tags.ron"),
        r##"(tags: [(name: "claim", color: "#E69F00", hotkey: "2", attributes: [
            (name: "verdict", kind: Choice(["true", "false"])),
            (name: "checked", kind: Flag),
            (name: "source", kind: Text),
        ])])"##,
    )
    .unwrap();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    tag_phrase(&mut h, Key::Num2);
    press(&mut h, Key::A);
    type_keys(&mut h, "f");
    press(&mut h, Key::Tab);
    assert!(h.get_by_label("checked").is_focused());
    press(&mut h, Key::Space);
    press(&mut h, Key::Tab);
    type_keys(&mut h, "AFP");
    h.state().request_terminate();
    h.run_steps(2);
    assert!(h.state().will_close());
    assert_eq!(
        claim_on_disk(ws.path()).into_iter().collect::<Vec<_>>(),
        vec![
            kv("checked", "true"),
            kv("source", "AFP"),
            kv("verdict", "false")
        ]
    );
}

/// Issue 24: right-to-left text is selected where it is drawn. For every word of the
/// multilingual fixture's right-to-left lines (Arabic, Hebrew, Persian, with Latin names and
/// digits inside), the words' boxes on each row stand in the bidi algorithm's visual order;
/// a double-click at the centre of the box selects exactly that word, and the tag key saves
/// it. A drag across three Hebrew words from the right selects and saves those three.
#[test]
fn every_right_to_left_word_is_selected_and_saved_where_it_is_drawn() {
    use egui_kittest::kittest::NodeT as _;
    use marginalia::model::bidi::{self, Direction};
    use unicode_segmentation::UnicodeSegmentation as _;

    let text = world_text();
    let (dir, mut h) = open_files(&[("world.txt", &text)], "world.txt");

    // What a screen reader gets: the Hebrew line is one right-to-left text run, each char
    // placed from the run's right edge, in reading order; the first letter ends at the right.
    let hebrew = "שלום עולם גדול";
    let run = h
        .get_all_by_role(egui::Role::TextRun)
        .find(|n| n.accesskit_node().value().as_deref() == Some(hebrew))
        .expect("the Hebrew line is a text run");
    let data = run.accesskit_node().data().clone();
    assert_eq!(
        data.text_direction(),
        Some(egui::accesskit::TextDirection::RightToLeft)
    );
    let positions = data.character_positions().expect("character positions");
    assert_eq!(positions.len(), hebrew.chars().count());
    assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{positions:?}");
    let at = char_offset(&h, hebrew);
    // What the window draws, glyph by glyph from the left: the line's letters last first.
    let reversed: String = hebrew.chars().rev().collect();
    assert_eq!(h.state().drawn_row(at).as_deref(), Some(reversed.as_str()));
    let bounds = data.bounds().expect("bounds");
    let first = h.state().screen_rects_of(at, at + 1)[0];
    assert!(
        (bounds.x1 as f32 - first.right()).abs() < 1.0,
        "{bounds:?} {first:?}"
    );

    let mut expected: Vec<String> = Vec::new();
    let mut line_start = 0;
    for line in text.split('\n') {
        let n = line.chars().count();
        let (start, at) = (line_start, line_start);
        line_start += n + 1;
        if !bidi::needs_reordering(line) {
            continue;
        }
        // The words and where each was drawn, from the view's own layout.
        let mut words: Vec<(std::ops::Range<usize>, egui::Rect)> = Vec::new();
        let mut c = 0;
        for w in line.split_word_bounds() {
            let k = w.chars().count();
            if w.chars().any(char::is_alphanumeric) {
                let rects = h.state().screen_rects_of(at + c, at + c + k);
                assert_eq!(rects.len(), 1, "{w:?} is drawn in one box: {rects:?}");
                words.push((c..c + k, rects[0]));
            }
            c += k;
        }
        // Row by row, left to right on screen, the words stand as the bidi algorithm orders
        // the whole line.
        let visual = bidi::visual_words(line, Direction::Auto);
        let mut rows: Vec<f32> = words.iter().map(|(_, r)| r.center().y.round()).collect();
        rows.dedup();
        for y in rows {
            let mut on_row: Vec<&(std::ops::Range<usize>, egui::Rect)> = words
                .iter()
                .filter(|(_, r)| r.center().y.round() == y)
                .collect();
            on_row.sort_by(|a, b| a.1.left().total_cmp(&b.1.left()));
            let drawn: Vec<std::ops::Range<usize>> =
                on_row.iter().map(|(w, _)| w.clone()).collect();
            let ordered: Vec<std::ops::Range<usize>> = visual
                .iter()
                .filter(|w| drawn.contains(w))
                .cloned()
                .collect();
            assert_eq!(drawn, ordered, "the words of a row of {line:?}");
        }
        for (w, rect) in &words {
            let word: String = line.chars().skip(w.start).take(w.len()).collect();
            double_click_at(&mut h, rect.center());
            assert_eq!(
                h.state().selected_text_range(),
                Some((start + w.start, start + w.end)),
                "a double-click on {word:?}"
            );
            press(&mut h, Key::Num1);
            expected.push(word);
        }
    }
    assert!(expected.len() > 40, "{} words", expected.len());

    // A drag across three Hebrew words, from the right (where the first is drawn) leftwards.
    let sentence = "לפי דיווח של";
    let at = char_offset(&h, sentence);
    let first = h.state().screen_rects_of(at, at + 3)[0];
    let third = h.state().screen_rects_of(at + 10, at + 12)[0];
    assert!(
        third.right() < first.left(),
        "the third word is drawn left of the first"
    );
    h.hover_at(first.center());
    h.step();
    h.drag_at(first.center());
    h.step();
    h.hover_at(third.center());
    h.step();
    h.drop_at(third.center());
    h.run_steps(2);
    assert_eq!(
        h.state().selected_text_range(),
        Some((at, at + sentence.chars().count()))
    );
    press(&mut h, Key::Num2);
    expected.push(sentence.into());

    save_now(&mut h);
    let layer = dir
        .path()
        .join("annotations")
        .join(ANNOTATOR)
        .join("world.ron");
    let spans = Layer::from_ron(&std::fs::read_to_string(layer).unwrap())
        .unwrap()
        .spans;
    let mut saved: Vec<String> = spans.into_iter().map(|s| s.exact).collect();
    saved.sort();
    expected.sort();
    assert_eq!(saved, expected);
}

/// Issue 24: the caret moves as drawn on a mixed right-to-left row (Hebrew with a year, a
/// comma and a Latin name inside): from the row's right end, ← steps leftwards, never back to
/// the right, through every offset of the line to its left end; → comes back the same way.
/// Shift+← selects from the caret; the direction command sets the paragraph left to right.
#[test]
fn the_caret_moves_as_drawn_on_a_mixed_right_to_left_row() {
    let (_dir, mut h) = open_files(&[("world.txt", &world_text())], "world.txt");
    let line = "עברית: ראש הממשלה אמר כי הכלכלה צומחת ב-2024, לפי דיווח של AP.";
    let at = char_offset(&h, line);
    let n = line.chars().count();
    // The right half of the line's first letter, drawn at the right end: the caret before it.
    let first = h.state().screen_rects_of(at, at + 1)[0];
    let p = egui::pos2(first.right() - 1.0, first.center().y);
    h.hover_at(p);
    h.step();
    h.drag_at(p);
    h.step();
    h.drop_at(p);
    h.run_steps(2);
    assert_eq!(h.state().caret(), Some(at));
    // A screen reader is told where the caret is: the start of the line's first text run.
    {
        use egui_kittest::kittest::NodeT as _;
        let doc = h.get_by_role(egui::Role::Document);
        let doc = doc.accesskit_node();
        let focus = doc.text_selection_focus().expect("a caret");
        let value = focus.inner_node().value().unwrap_or_default();
        assert!(value.starts_with("עברית: "), "{value}");
        let sel = doc.text_selection().expect("a selection");
        assert!(sel.is_degenerate(), "the caret is an empty selection");
    }
    let caret_x = |h: &Harness<'_, MarginaliaApp>| h.state().caret_screen_pos().unwrap().x;
    assert!((caret_x(&h) - first.right()).abs() < 1.0);

    for (key, end) in [(Key::ArrowLeft, at + n), (Key::ArrowRight, at)] {
        let mut seen = std::collections::BTreeSet::from([h.state().caret().unwrap()]);
        let mut x = caret_x(&h);
        for _ in 0..3 * n {
            press(&mut h, key);
            let now = caret_x(&h);
            let c = h.state().caret().unwrap();
            assert!(
                (c >= at && c <= at + n),
                "{key:?} left the line: caret at {c}"
            );
            if key == Key::ArrowLeft {
                assert!(now <= x + 0.5, "← moved right to {c}: {x} → {now}");
            } else {
                assert!(now >= x - 0.5, "→ moved left to {c}: {x} → {now}");
            }
            x = now;
            seen.insert(c);
            if c == end {
                break;
            }
        }
        assert_eq!(
            h.state().caret(),
            Some(end),
            "{key:?} reached the row's end"
        );
        let missed: Vec<usize> = (at..=at + n).filter(|c| !seen.contains(c)).collect();
        assert!(missed.is_empty(), "{key:?} never stood at {missed:?}");
    }

    // Shift+← from the line's start selects its first word's first letter (leftwards).
    press_with(&mut h, Modifiers::SHIFT, Key::ArrowLeft);
    assert_eq!(h.state().selected_text_range(), Some((at, at + 1)));
    {
        // A screen reader reads the selection as that letter.
        use egui_kittest::kittest::NodeT as _;
        let doc = h.get_by_role(egui::Role::Document);
        let doc = doc.accesskit_node();
        let sel = doc.text_selection().expect("a selection");
        assert_eq!(sel.text(), "ע");
    }
    press(&mut h, Key::Escape);

    // Set left to right, the Latin name that ends the line stands at its right end, not at
    // its left.
    let ap = at + n - 3;
    let line_boxes = |h: &Harness<'_, MarginaliaApp>| h.state().screen_rects_of(at, at + n);
    let ap_box = |h: &Harness<'_, MarginaliaApp>| h.state().screen_rects_of(ap, ap + 2)[0];
    let leftmost = |h: &Harness<'_, MarginaliaApp>| {
        line_boxes(h)
            .iter()
            .map(|r| r.left())
            .fold(f32::INFINITY, f32::min)
    };
    let rightmost = |h: &Harness<'_, MarginaliaApp>| {
        line_boxes(h).iter().map(|r| r.right()).fold(0.0, f32::max)
    };
    assert!(
        (ap_box(&h).left() - leftmost(&h)).abs() < 12.0,
        "AP is at the left"
    );
    // From the palette: by each paragraph → right to left → left to right.
    for _ in 0..2 {
        press_with(&mut h, Modifiers::COMMAND, Key::K);
        type_keys(&mut h, "text direction");
        press(&mut h, Key::Enter);
        h.run_steps(2);
    }
    assert!(
        h.state()
            .status_line()
            .contains("text direction left to right")
    );
    assert!(
        (ap_box(&h).right() - rightmost(&h)).abs() < 12.0,
        "AP is at the right"
    );
}

/// Issue 24: an emoji sequence the bundled emoji font draws in pieces (a flag came out as
/// "U A", a ZWJ sequence as two or three glyphs, a skin tone dropped) is drawn as one glyph for
/// the whole cluster.
#[test]
fn an_emoji_sequence_is_drawn_as_one_glyph() {
    let ws = temp_workspace();
    let h = harness(ws.path(), false, false);
    for cluster in [
        "🇺🇦",
        "👩🏿\u{200d}💻",
        "👨\u{200d}👩\u{200d}👧\u{200d}👦",
        "👍🏽",
        "🏳️\u{200d}🌈",
        "😀",
    ] {
        let g = h.ctx.fonts_mut(|f| {
            f.layout_no_wrap(
                cluster.to_owned(),
                egui::FontId::proportional(16.0),
                egui::Color32::WHITE,
            )
        });
        let glyphs: Vec<&egui::epaint::text::Glyph> =
            g.rows.iter().flat_map(|r| &r.row.glyphs).collect();
        assert_eq!(
            glyphs.len(),
            cluster.chars().count(),
            "{cluster}: a glyph a char"
        );
        let drawn = glyphs.iter().filter(|gl| gl.advance_width > 0.0).count();
        assert_eq!(drawn, 1, "{cluster} is drawn as {drawn} glyphs");
    }
}

/// Issue 24: a Thai tone mark over an upper vowel (ที่) stands above the vowel, not on it.
/// The system's fallback picked Noto Looped Thai, which sets the two marks on one another
/// (Pango draws it so too); the app asks for Noto Sans Thai first.
#[test]
fn a_thai_tone_mark_stands_above_the_vowel() {
    if !Path::new("/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf").exists() {
        eprintln!("Noto Sans Thai is not installed (CI installs fonts-noto-core): skipped");
        return;
    }
    let ws = temp_workspace();
    let h = harness(ws.path(), false, false);
    let g = h.ctx.fonts_mut(|f| {
        f.layout_no_wrap(
            "ที่".to_owned(),
            egui::FontId::proportional(32.0),
            egui::Color32::WHITE,
        )
    });
    let glyphs: Vec<&egui::epaint::text::Glyph> =
        g.rows.iter().flat_map(|r| &r.row.glyphs).collect();
    assert_eq!(glyphs.len(), 3);
    let (vowel, tone) = (glyphs[1].uv_rect, glyphs[2].uv_rect);
    let tone_bottom = tone.offset.y + tone.size.y;
    assert!(
        tone_bottom <= vowel.offset.y + 1.0,
        "the tone mark (top {}, bottom {tone_bottom}) overlaps the vowel (top {})",
        tone.offset.y,
        vowel.offset.y
    );
}

/// Issue 24: Arabic-Indic and Persian digits in an English sentence are drawn in their own
/// order: harfrust shapes a run of Arabic-script digits right to left, so on a line with no
/// right-to-left letter "١٤٠٢" was drawn as "٢٠٤١". Also on a Persian line, the year reads
/// left to right.
#[test]
fn arabic_script_digits_are_drawn_in_their_order() {
    let digits = "Digits\n\nThe years ١٤٠٢ and ۱۴۰۲ were hard, said 1402.\n\nفارسی: گفت ۱۴۰۲ سال سختی بود.\n";
    let (_dir, h) = open_files(&[("digits.txt", digits)], "digits.txt");
    let english = char_offset(&h, "The years");
    let drawn = h.state().drawn_row(english).expect("the row is drawn");
    let only_digits = |s: &str| -> String {
        s.chars()
            .filter(|c| {
                ('\u{0660}'..='\u{0669}').contains(c) || ('\u{06F0}'..='\u{06F9}').contains(c)
            })
            .collect()
    };
    assert_eq!(only_digits(&drawn), "١٤٠٢۱۴۰۲", "drawn: {drawn}");
    let persian = char_offset(&h, "فارسی");
    let drawn = h.state().drawn_row(persian).expect("the row is drawn");
    assert_eq!(only_digits(&drawn), "۱۴۰۲", "drawn: {drawn}");
}

/// A document whose layer cannot be read takes one line for its problem in the list, as an
/// entry takes one for its status: the problem was cut to one line, but the row kept room for
/// two more, a blank gap under it.
#[test]
fn a_broken_layer_takes_no_more_room_in_the_list_than_a_status() {
    let ws = temp_workspace();
    let layers = ws.path().join("annotations").join(ANNOTATOR).join("seeds");
    std::fs::create_dir_all(&layers).unwrap();
    std::fs::write(
        layers.join("001_3e981e5bab7b45a2.ron"),
        "(format: 1, spans: [",
    )
    .unwrap();
    let mut h = harness(ws.path(), false, false);
    h.run_steps(3);
    let top = |h: &Harness<'_, MarginaliaApp>, name: &str| h.get_by_label(name).rect().top();
    let broken = top(&h, "001_3e981e5bab7b45a2.txt");
    let next = top(&h, "002_c14de4e8ffe1b554.txt");
    let after = top(&h, "003_2bc22f07f8fd66ef.txt");
    assert!(
        (next - broken - (after - next)).abs() < 1.0,
        "the broken entry's row is {} tall, a plain one {}",
        next - broken,
        after - next
    );
}

/// The multilingual fixture (issue 24): every script a newsroom meets.
fn world_text() -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/multilingual/world.txt")).unwrap()
}

/// A folder holding `files` (name, text) as its workspace, with `open` open in the window.
fn open_files(
    files: &[(&str, &str)],
    open: &str,
) -> (tempfile::TempDir, Harness<'static, MarginaliaApp>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut h = harness_with(dir.path(), false, false, true);
    h.get_by_label(open).click();
    h.run_steps(3);
    assert_eq!(h.state().open_document(), Some(open));
    (dir, h)
}

/// Annotator names: an annotator name that would take the place of a workspace file under
/// annotations/ (here `tags.ron`) is refused in the top bar with the reason; the window keeps
/// annotating as before, so no edit can make the folder `annotations/tags.ron/`.
#[test]
fn the_annotator_field_refuses_a_name_that_collides_with_tags_ron() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    h.get_by_label("Annotator").focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    type_keys(&mut h, "tags.ron");
    press(&mut h, Key::Enter);
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("not used: ").is_some(),
        "the field is flagged, with the reason"
    );
    let status = h.state().status_line().to_owned();
    assert!(
        status.contains("\"tags.ron\"") && status.contains("ends with \".ron\""),
        "{status}"
    );
    open_seed(&mut h);
    let at = char_offset(&h, PHRASE);
    drag(&mut h, at, at + 8);
    press(&mut h, Key::Num1);
    save_now(&mut h);
    assert!(!ws.path().join("annotations/tags.ron").exists());
    assert_eq!(
        read_layer(ws.path()).spans.len(),
        1,
        "{ANNOTATOR} still annotates"
    );
}

/// Whether the last frame asked for another one (at once or after a while).
fn wants_a_frame(h: &Harness<'_, MarginaliaApp>) -> bool {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .is_some_and(|v| v.repaint_delay < std::time::Duration::MAX)
}

/// An untouched window asks for no frames: it repainted once a second to look for files changed
/// on disk, and on a software renderer each frame of a big document cost up to a second of CPU
/// (issue 22). A change to the open layer on disk still wakes it, and that frame reloads it.
#[test]
fn an_untouched_window_asks_for_no_frames_until_a_file_it_shows_changes() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    // Background jobs (the suggestions, the watcher's first look) finish, then it is quiet.
    let mut quiet = false;
    for _ in 0..1500 {
        h.step();
        if !wants_a_frame(&h) && !h.state().background_work() {
            quiet = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        quiet,
        "still asking for frames: {:?}",
        h.ctx.repaint_causes()
    );
    std::thread::sleep(std::time::Duration::from_millis(1200));
    assert!(
        !h.ctx.has_requested_repaint(),
        "woken with nothing changed: {:?}",
        h.ctx.repaint_causes()
    );

    // Another window (or `git pull`) writes the layer.
    let workspace = marginalia::Workspace::open(ws.path()).unwrap();
    let mut other =
        marginalia::Document::open(&workspace, &format!("seeds/{SEED}"), ANNOTATOR, false).unwrap();
    other.add_span(0, 5, "claim").unwrap();
    other.save_now().unwrap();
    let mut woken = false;
    for _ in 0..250 {
        if h.ctx.has_requested_repaint() {
            woken = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(woken, "the change on disk did not wake the window");
    h.step();
    assert!(
        h.state()
            .status_line()
            .contains("changed outside this window"),
        "{}",
        h.state().status_line()
    );
}

/// Issue 23: Esc closes the window on top (the one opened last) before it means anything else;
/// the keys editor, opened from the shortcut sheet, replaces it rather than opening over it with
/// two close buttons; a tag editor with unsaved changes stays open and says why; and every
/// window stays below the top bar, never over File and View.
#[test]
fn esc_closes_the_window_on_top_and_windows_open_below_the_top_bar() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    let sheet = |h: &Harness<'_, MarginaliaApp>| h.query_by_label("Keyboard shortcuts").is_some();
    let tag_editor = |h: &Harness<'_, MarginaliaApp>| h.query_by_label("New tag name").is_some();

    press(&mut h, Key::F1);
    assert!(sheet(&h));
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Change keyboard shortcuts…").click();
    // A window's first frame only measures it.
    h.run_steps(4);
    assert!(h.query_by_label("Keyboard shortcuts editor").is_some());
    assert!(!sheet(&h), "the keys editor replaced the sheet");
    press(&mut h, Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label("Keyboard shortcuts editor").is_none());

    open_tag_editor(&mut h);
    let file = h.get_by_label("File").rect();
    let window = window_rect(&h, "Tag editor").expect("the tag editor's window");
    assert!(
        window.top() >= file.bottom(),
        "below the top bar: {window:?}, File at {file:?}"
    );
    // And above the status line (at 700 points it ran into it).
    let status = h.get_by_label_contains("select text, then press").rect();
    assert!(
        window.bottom() <= status.top(),
        "above the status line: {window:?}, status at {status:?}"
    );
    press(&mut h, Key::F1);
    h.run_steps(2);
    assert!(sheet(&h) && tag_editor(&h));
    press(&mut h, Key::Escape);
    h.run_steps(2);
    assert!(!sheet(&h), "the sheet, opened last, closed first");
    assert!(tag_editor(&h));
    press(&mut h, Key::Escape);
    h.run_steps(2);
    assert!(!tag_editor(&h), "then the tag editor");

    // With an unsaved tag, Esc keeps it open and says how to save or drop it.
    open_tag_editor(&mut h);
    h.get_by_label("New tag name").focus();
    h.run_steps(1);
    type_keys(&mut h, "opinion");
    h.get_by_label("Add tag").click();
    h.run_steps(2);
    // The first Esc leaves any text field; the next one is for the window.
    press(&mut h, Key::Escape);
    h.run_steps(1);
    press(&mut h, Key::Escape);
    h.run_steps(2);
    assert!(tag_editor(&h), "still open");
    assert!(
        h.query_by_label_contains("unsaved changes").is_some(),
        "it says why"
    );
}

/// Issue 23: a status line that describes the moment goes once it stops being true: "The hit
/// stays selected" after Esc closes the find bar, gone once a second Esc deselects the hit.
#[test]
fn a_status_line_about_the_selection_goes_when_the_selection_does() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    find(&mut h, "macron");
    press(&mut h, Key::Escape);
    h.run_steps(2);
    assert!(!h.state().find_bar_open());
    assert!(h.state().selected_text_range().is_some());
    assert!(
        h.state().status_line().contains("The hit stays selected"),
        "{}",
        h.state().status_line()
    );
    press(&mut h, Key::Escape);
    h.run_steps(2);
    assert_eq!(h.state().selected_text_range(), None);
    assert!(
        !h.state().status_line().contains("stays selected"),
        "{}",
        h.state().status_line()
    );
}

/// Issue 23: an empty find field has looked for nothing, so it does not say "no hits".
#[test]
fn an_empty_find_field_asks_for_a_word_instead_of_saying_no_hits() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::F);
    h.run_steps(2);
    assert!(h.state().find_bar_open());
    assert_eq!(h.state().find_hits().1, "type to find");
    assert!(h.query_by_label("no hits").is_none());
    type_keys(&mut h, "zzzqqq");
    h.run_steps(3);
    assert_eq!(h.state().find_hits().1, "no hits");
}

/// Issue 23: the palette lists a dozen commands at once, not three: its window is tall enough.
#[test]
fn the_palette_shows_a_dozen_commands_at_once() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    h.run_steps(3);
    let window = window_rect(&h, "Commands").expect("the palette's window");
    // A row is 20 points and its spacing 3; the field and separator about 40 more.
    assert!(
        window.height() >= 40.0 + 12.0 * 23.0,
        "room for 12 rows: {window:?}"
    );
}

/// Issue 23: a refused key's message in the keys editor moves no row, so the next click lands
/// on the command it was aimed at.
#[test]
fn a_refused_key_in_the_keys_editor_moves_no_row() {
    use marginalia::app::Action;
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Change keyboard shortcuts…").click();
    // A window's first frame only measures it.
    h.run_steps(4);
    let rows = |h: &Harness<'_, MarginaliaApp>| -> Vec<egui::Rect> {
        h.query_all_by_label("Change").map(|n| n.rect()).collect()
    };
    let before = rows(&h);
    // Ctrl+F is Find's: refused.
    rebind(&mut h, Action::Undo, Modifiers::COMMAND, Key::F);
    h.run_steps(2);
    assert!(
        h.query_all_by_label_contains("Refused").count() > 0,
        "the refusal is shown"
    );
    assert_eq!(rows(&h), before, "no row moved");
}

/// Issue 23: in the tag editor a colour whose highlight looks like another tag's is refused
/// with the tag it looks like; the tag keeps its colour.
#[test]
fn the_tag_editor_refuses_a_colour_that_looks_like_another_tags() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    open_tag_editor(&mut h);
    // The claim tag's chip in the editor (the legend has one too: the last is the editor's).
    h.query_all_by_label("claim").last().unwrap().click();
    h.run_steps(2);
    h.get_by_label("colour #D55E00").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("#D55E00 is refused: its highlight looks like error's")
            .is_some(),
        "refused, naming the tag"
    );
    assert!(
        h.query_by_label_contains("#E69F00: text contrast")
            .is_some(),
        "claim keeps its colour"
    );
}

/// Issue 23: the layer picker is labelled and says whose spans are shown and how many other
/// layers there are (not the annotator's name again); an annotator name that is refused says
/// why on the bar, not only on hover.
#[test]
fn the_layer_picker_says_whose_spans_and_a_refused_name_says_why() {
    let ws = temp_workspace();
    // Spans imported under another name.
    std::fs::create_dir_all(ws.path().join("annotations/imported-x")).unwrap();
    let mut h = harness(ws.path(), false, false);
    h.run_steps(2);
    let picker = h.get_by_label("Spans");
    assert_eq!(
        picker.value().as_deref(),
        Some("yours · 1 more"),
        "whose, and that there is another layer"
    );
    let list_top = |h: &Harness<'_, MarginaliaApp>| h.get_by_label("Documents").rect().top();
    let before = list_top(&h);
    h.get_by_label("Annotator").focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    type_keys(&mut h, ".hidden");
    press(&mut h, Key::Enter);
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("not used: the annotator name \".hidden\" starts with '.'")
            .is_some(),
        "the reason is on the bar"
    );
    // With no document open, the bar has nothing for a second row: it stays one row.
    assert_eq!(list_top(&h), before, "the top bar grew an empty row");
}

/// Issue 23: the File menu has Open (a workspace folder, Ctrl+O, or a text file) and Quit
/// (Ctrl+Q), and Mark done has a key (Ctrl+D), all from the command registry.
#[test]
fn the_file_menu_opens_and_quits_and_ctrl_d_marks_the_document_done() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    h.get_by_label("File").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Quit").is_some(), "File → Quit");
    h.get_by_label("Open").click();
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("Workspace folder…").is_some(),
        "File → Open → Workspace folder…"
    );
    press(&mut h, Key::Escape);
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::D);
    save_now(&mut h);
    assert_eq!(read_layer(ws.path()).status, marginalia::Status::Done);
    h.key_press_modifiers(Modifiers::COMMAND, Key::D);
    save_now(&mut h);
    assert_ne!(read_layer(ws.path()).status, marginalia::Status::Done);
}

/// Issue 23: started from the desktop's menu (`--last`, the current folder being the home
/// folder) with no workspace remembered, the window opens none, instead of walking the home
/// folder as a workspace, and says how to open one.
#[test]
fn started_with_last_and_no_workspace_remembered_the_window_opens_none_and_says_how() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("notes.txt"), "not a workspace").unwrap();
    let mut opts = start(home.path(), false);
    opts.reopen_last = true;
    let mut h = Harness::builder()
        .with_size(vec2(1024.0, 700.0))
        .build_eframe(move |cc| MarginaliaApp::new(cc, opts));
    h.run_steps(3);
    assert!(h.state().entries().is_empty(), "no texts listed");
    assert!(
        h.state()
            .status_line()
            .contains("No workspace yet: open a folder of texts with File → Open (Ctrl+O)"),
        "{}",
        h.state().status_line()
    );
}

/// Issue 23: from its first drawn frame (after the one that only measures it) the keys editor
/// lies inside the screen, with every row's buttons whole inside it (it opened 620 points wide,
/// then grew past the screen's right edge at 1024).
#[test]
fn the_keys_editor_shows_its_buttons_whole_from_its_first_frame() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Change keyboard shortcuts…").click();
    // The click's frame, then the window's measuring frame.
    h.run_steps(2);
    let screen = h.ctx.content_rect();
    for step in 0..4 {
        h.step();
        let window = window_rect(&h, "Keyboard shortcuts editor").expect("the keys editor is open");
        assert!(
            screen.contains_rect(window),
            "frame {step}: the window {window:?} runs off the screen {screen:?}"
        );
        let resets: Vec<egui::Rect> = h.query_all_by_label("Reset").map(|n| n.rect()).collect();
        assert!(resets.len() > 40, "{}", resets.len());
        for r in resets.iter().filter(|r| r.bottom() < window.bottom()) {
            assert!(
                window.contains_rect(*r),
                "frame {step}: a Reset button {r:?} runs out of the window {window:?}"
            );
        }
    }
}

/// Issue 23: at 1024 points the selected span's "#id · chars a–b" line is whole, not run under
/// its Delete button, even with a six-digit id and seven-digit offsets.
#[test]
fn the_selected_spans_id_and_offsets_are_not_cut_by_its_delete_button() {
    let ws = temp_workspace();
    let rel = "seeds/zz_long.txt";
    let line = "word ".repeat(16) + "\n";
    let text = line.repeat(1_000_100 / line.len() + 1);
    std::fs::write(ws.path().join(rel), &text).unwrap();
    let opened = marginalia::Workspace::open(ws.path()).unwrap();
    let t = marginalia::Text::load(&opened.text_path(rel).unwrap()).unwrap();
    let mut layer = Layer::new(rel, &t, ANNOTATOR);
    layer.next_id = 100_001;
    let id = layer.take_id();
    let start = 1_000_000 - 1_000_000 % line.len();
    layer.spans.push(marginalia::model::layer::make_span(
        &t,
        id,
        start,
        start + 30,
        "boilerplate",
        "2026-12-07T00:00:00Z",
    ));
    marginalia::model::layer::save_layer(&opened.layer_path(ANNOTATOR, rel).unwrap(), &layer)
        .unwrap();
    let mut h = harness(ws.path(), false, false);
    h.get_by_label("zz_long.txt").click();
    for _ in 0..200 {
        h.step();
        if h.state().open_document() == Some(rel) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(h.state().open_document(), Some(rel));
    press(&mut h, Key::Tab);
    h.run_steps(4);
    let header = format!("#100001 · chars {start}–{}", start + 30);
    let label = h.get_by_label(&header).rect();
    let delete = h.get_by_label("Delete").rect();
    assert!(
        !label.intersects(delete),
        "{header:?} at {label:?} runs under Delete at {delete:?}"
    );
    assert!(
        label.right() <= 1024.0,
        "{label:?} is cut by the window's edge"
    );
}

/// Issue 23 (look pass): Esc also closes Find in workspace, Export, Agreement and Team, the one
/// opened last first, also from a field of the window.
#[test]
fn esc_closes_the_other_windows_too_the_last_opened_first() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    let open = |h: &Harness<'_, MarginaliaApp>, title: &str| {
        h.query_all_by_role_and_label(egui::accesskit::Role::Window, title)
            .next()
            .is_some()
    };
    press_with(&mut h, Modifiers::COMMAND, Key::G);
    h.run_steps(3);
    press_with(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::T);
    h.run_steps(3);
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    h.run_steps(2);
    type_keys(&mut h, "export");
    press(&mut h, Key::Enter);
    h.run_steps(3);
    for title in ["Agreement", "Team", "Export annotations"] {
        assert!(open(&h, title), "{title} is open");
    }
    for (closed, still) in [
        ("Export annotations", "Team"),
        ("Team", "Agreement"),
        ("Agreement", "Agreement"),
    ] {
        press(&mut h, Key::Escape);
        h.run_steps(2);
        assert!(!open(&h, closed), "Esc closed {closed}");
        if closed != still {
            assert!(open(&h, still), "{still} stays open");
        }
    }
    press_with(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::F);
    h.run_steps(3);
    assert!(open(&h, "Find in workspace"));
    // Its field has the keyboard (typing goes there); Esc still closes the window.
    type_keys(&mut h, "mac");
    h.run_steps(1);
    use egui_kittest::kittest::NodeT;
    assert!(
        h.query_all_by_role(egui::accesskit::Role::TextInput)
            .any(|n| n.accesskit_node().value().as_deref() == Some("mac")),
        "the field took the typing"
    );
    press(&mut h, Key::Escape);
    h.run_steps(2);
    assert!(!open(&h, "Find in workspace"));
}

/// Issue 23 (look pass): a workspace with one annotator is where every team starts: the
/// Agreement window says what agreement needs instead of a red "not computed".
#[test]
fn agreement_with_one_annotator_says_what_it_needs_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_seeds(dir.path());
    std::fs::remove_dir_all(dir.path().join("annotations")).ok();
    let mut h = harness(dir.path(), false, false);
    open_seed(&mut h);
    press(&mut h, Key::Num1);
    press_with(&mut h, Modifiers::COMMAND, Key::G);
    for _ in 0..400 {
        if h.query_by_label_contains("this workspace has").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    assert!(
        h.query_by_label_contains(
            "two or more annotators on the same documents; this workspace has"
        )
        .is_some()
    );
    assert!(
        h.query_by_label_contains("Agreement not computed")
            .is_none()
    );
}

/// Issue 24: with the keyboard only, open seed 001, put the caret in the middle of the text,
/// select a phrase from it with Shift+Ctrl+→ and tag it: the span on disk is that phrase.
#[test]
fn keyboard_only_a_caret_selects_a_phrase_in_the_middle_and_tags_it() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    // Alt+↓ opens the first document, then the second: seed 001.
    for _ in 0..2 {
        press_with(&mut h, Modifiers::ALT, Key::ArrowDown);
        for _ in 0..100 {
            h.step();
            if !h.state().is_opening() {
                break;
            }
        }
    }
    let rel = "seeds/001_3e981e5bab7b45a2.txt";
    assert_eq!(h.state().open_document(), Some(rel));
    h.run_steps(2);
    let text = h.state().open_text().unwrap().as_str().to_owned();
    let chars: Vec<char> = text.chars().collect();

    // Ctrl+End, Ctrl+Home: the ends of the text; → and ← one character.
    press_with(&mut h, Modifiers::COMMAND, Key::End);
    assert_eq!(h.state().caret(), Some(chars.len()));
    press_with(&mut h, Modifiers::COMMAND, Key::Home);
    assert_eq!(h.state().caret(), Some(0));
    press(&mut h, Key::ArrowRight);
    assert_eq!(h.state().caret(), Some(1));
    press(&mut h, Key::ArrowLeft);
    assert_eq!(h.state().caret(), Some(0));
    // ↓ goes down the rows as drawn; End to the row's end, Home back to its start.
    // (Down past the title and any blank line, to a row of text.)
    let mut down = 0;
    for _ in 0..12 {
        press(&mut h, Key::ArrowDown);
        h.run_steps(1);
        let now = h.state().caret().unwrap();
        assert!(now > down, "↓ moves down: {down} → {now}");
        down = now;
        if down > 100 && chars.get(down).is_some_and(|c| *c != '\n') {
            break;
        }
    }
    // (The row's y from a char inside it: an offset where a row wraps is drawn as the end of the
    // row before.)
    let row_y = pos_of(&h, down + 1).y;
    press(&mut h, Key::End);
    let end = h.state().caret().unwrap();
    assert!(
        end > down && (pos_of(&h, end).y - row_y).abs() < 2.0,
        "{end} on the row: down {down} at {row_y}, end at {:?}, text {:?}",
        pos_of(&h, end),
        chars[down..end].iter().collect::<String>()
    );
    press(&mut h, Key::Home);
    let home = h.state().caret().unwrap();
    assert!(
        home <= down && (pos_of(&h, home + 1).y - row_y).abs() < 2.0,
        "{home} on the row"
    );
    assert!(
        h.state().selected_text_range().is_none(),
        "moving selects nothing"
    );

    // Ctrl+→ to the end of the second word, then three words selected from there.
    for _ in 0..2 {
        press_with(&mut h, Modifiers::COMMAND, Key::ArrowRight);
    }
    let from = h.state().caret().unwrap();
    for _ in 0..3 {
        press_with(
            &mut h,
            Modifiers::COMMAND | Modifiers::SHIFT,
            Key::ArrowRight,
        );
    }
    let (a, b) = h
        .state()
        .selected_text_range()
        .expect("a phrase is selected");
    // At the caret, or at the word after it when the caret is before a space.
    let word = from
        + chars[from..]
            .iter()
            .take_while(|c| c.is_whitespace())
            .count();
    assert_eq!(a, word, "the selection starts at the caret's word");
    let phrase: String = chars[a..b].iter().collect();
    assert_eq!(
        phrase.split_whitespace().count(),
        3,
        "three words: {phrase:?}"
    );
    press(&mut h, Key::Num2);
    h.run_steps(2);
    save_now(&mut h);
    let layer = ws
        .path()
        .join("annotations")
        .join(ANNOTATOR)
        .join(rel.replace(".txt", ".ron"));
    let layer = Layer::from_ron(&std::fs::read_to_string(layer).unwrap()).unwrap();
    assert!(
        layer
            .spans
            .iter()
            .any(|s| s.tag == "claim" && s.exact == phrase),
        "the phrase {phrase:?} is a claim on disk: {:?}",
        layer.spans.iter().map(|s| &s.exact).collect::<Vec<_>>()
    );
}

/// Issue 23 (look pass): an empty span list says so at its top, under the heading, not at the
/// bottom of a list's worth of empty room.
#[test]
fn an_empty_span_list_says_so_under_its_heading() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    let heading = spans_heading(&h);
    let empty = h.get_by_label_contains("No spans yet").rect();
    assert!(
        empty.top() < heading.bottom() + 60.0,
        "the empty list's words at {empty:?}, its heading at {heading:?}"
    );
}

/// Issue 23: the Spans heading's count is not covered by the tag filter box when the panel is
/// at its narrowest (the box took 110 points whatever room the heading and a long count left).
#[test]
fn a_long_span_count_is_not_covered_by_the_tag_filter() {
    let ws = temp_workspace();
    let rel = format!("seeds/{SEED}");
    let opened = marginalia::Workspace::open(ws.path()).unwrap();
    let t = marginalia::Text::load(&opened.text_path(&rel).unwrap()).unwrap();
    let mut layer = Layer::new(&rel, &t, ANNOTATOR);
    for i in 0..10_000usize {
        let start = i % 4000;
        let id = layer.take_id();
        layer.spans.push(marginalia::model::layer::make_span(
            &t,
            id,
            start,
            start + 1 + i / 4000,
            "claim",
            "2026-12-07T00:00:00Z",
        ));
    }
    layer.spans.sort_by_key(|s| (s.start, s.end));
    marginalia::model::layer::save_layer(&opened.layer_path(ANNOTATOR, &rel).unwrap(), &layer)
        .unwrap();
    let mut h = harness(ws.path(), false, false);
    h.get_by_label(SEED).click();
    // 10,000 spans open on the loader's thread; the test binary's other tests share the cores.
    for _ in 0..2000 {
        h.step();
        if h.state().open_document() == Some(rel.as_str()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(h.state().open_document(), Some(rel.as_str()));
    h.run_steps(2);
    // The panel dragged by its left edge to its narrowest (220 points).
    let heading = spans_heading(&h);
    let edge = egui::pos2(heading.left() - 9.0, heading.bottom() + 200.0);
    h.hover_at(edge);
    h.run_steps(1);
    h.event(Event::PointerButton {
        pos: edge,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    h.run_steps(1);
    h.hover_at(edge + vec2(200.0, 0.0));
    h.run_steps(1);
    h.event(Event::PointerButton {
        pos: edge + vec2(200.0, 0.0),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run_steps(3);
    let narrowed = spans_heading(&h);
    // The count on the heading's row.
    let count = h
        .query_all_by_label("10000")
        .map(|n| n.rect())
        .find(|r| (r.center().y - narrowed.center().y).abs() < 8.0)
        .expect("the count beside the heading");
    let filter = h.get_by_label("Tag filter").rect();
    // Room between them: the old fixed-width box left 1.4 points beside a five-digit count,
    // so a sixth digit (100,000 spans, too slow for a debug test) ran under it.
    assert!(
        filter.left() - count.right() >= 4.0,
        "the count at {count:?} touches the tag filter at {filter:?}"
    );
}

/// Issue 24: the caret and a keyboard selection never split a grapheme cluster: an emoji ZWJ
/// sequence with a skin tone, a family, a flag and a letter with a combining accent each move
/// and select as one, and a span tagged on one holds it whole (the shipped multilingual text).
#[test]
fn the_caret_and_keyboard_selections_never_split_a_grapheme_cluster() {
    let (_dir, mut h) = open_files(&[("world.txt", &world_text())], "world.txt");
    for (cluster, scalars) in [("👩🏿‍💻", 4), ("👨‍👩‍👧‍👦", 7), ("🇺🇦", 2), ("e\u{301}", 2)]
    {
        let c = char_offset(&h, cluster);
        // A click on the cluster puts the caret before it, never inside.
        click(&mut h, c);
        assert_eq!(
            h.state().caret(),
            Some(c),
            "{cluster}: the caret is before it"
        );
        press(&mut h, Key::ArrowRight);
        assert_eq!(
            h.state().caret(),
            Some(c + scalars),
            "{cluster}: → steps over it whole"
        );
        press_with(&mut h, Modifiers::SHIFT, Key::ArrowLeft);
        assert_eq!(
            h.state().selected_text_range(),
            Some((c, c + scalars)),
            "{cluster}: Shift+← selects it whole"
        );
        // Esc keeps the caret at the selection's head; ← from after the cluster comes back
        // over it whole.
        press(&mut h, Key::Escape);
        assert_eq!(h.state().caret(), Some(c));
        press(&mut h, Key::ArrowRight);
        press(&mut h, Key::ArrowLeft);
        assert_eq!(h.state().caret(), Some(c), "{cluster}: → then ← comes back");
    }
}

/// Issue 25: relations made with the keyboard only. In seed 000, Tab to the quote, R, type
/// "putin", Enter, S: a said-by relation on disk. Then P pins the quote, Alt+↓ opens seed 001,
/// Tab to its span, R, Enter on the pinned quote, M: a same-as relation across documents, on
/// disk in seed 001's layer. Deleting seed 001's span takes its relation with it; Ctrl+Z brings
/// both back.
#[test]
fn keyboard_only_relations_within_and_across_documents() {
    let ws = temp_workspace();
    let (r0, r1) = (
        "seeds/000_b78fa013a4a69998.txt",
        "seeds/001_3e981e5bab7b45a2.txt",
    );
    let w = marginalia::Workspace::open(ws.path()).unwrap();
    let tag_words = |rel: &str, spans: &[(&str, &str)]| {
        let mut doc = marginalia::Document::open(&w, rel, ANNOTATOR, false).unwrap();
        for (words, tag) in spans {
            let text = doc.text().as_str();
            let at = text[..text.find(words).unwrap()].chars().count();
            doc.add_span(at, at + words.chars().count(), tag).unwrap();
        }
        doc.save_now().unwrap();
    };
    tag_words(
        r0,
        &[
            ("do you want a Franco-Russian war?", "quote"),
            ("Putin", "claim"),
        ],
    );
    let first_words: String = {
        let doc = marginalia::Document::open(&w, r1, ANNOTATOR, false).unwrap();
        let line = doc.text().as_str().lines().next().unwrap().to_owned();
        line.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    };
    tag_words(r1, &[(&first_words, "quote")]);
    let read = |rel: &str| {
        let path = ws
            .path()
            .join("annotations")
            .join(ANNOTATOR)
            .join(rel.replace(".txt", ".ron"));
        Layer::from_ron(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let mut h = harness(ws.path(), false, false);
    let open_next = |h: &mut Harness<'_, MarginaliaApp>| {
        press_with(h, Modifiers::ALT, Key::ArrowDown);
        for _ in 0..100 {
            h.step();
            if !h.state().is_opening() {
                break;
            }
        }
        h.run_steps(2);
    };
    open_next(&mut h);
    assert_eq!(h.state().open_document(), Some(r0));
    // Tab goes through the spans in the text's order: "Putin" (a claim), then the quote.
    let quote = read(r0).spans.iter().find(|s| s.tag == "quote").unwrap().id;
    press(&mut h, Key::Tab);
    press(&mut h, Key::Tab);
    assert_eq!(h.state().selected_span(), Some(quote));
    press(&mut h, Key::R);
    assert!(
        h.query_by_label("Link span").is_some(),
        "R opens the link picker: {}",
        h.state().status_line()
    );
    for c in "putin".chars() {
        h.event(Event::Text(c.to_string()));
        h.run_steps(1);
    }
    press(&mut h, Key::Enter);
    assert!(h.query_by_label_contains("Which relation?").is_some());
    h.event(Event::Text("s".into()));
    h.run_steps(3);
    save_now(&mut h);
    let layer = read(r0);
    let putin = layer.spans.iter().find(|s| s.exact == "Putin").unwrap().id;
    assert_eq!(layer.relations.len(), 1, "{:?}", layer.relations);
    let r = &layer.relations[0];
    assert_eq!(
        (r.kind.as_str(), r.from.span, r.to.span),
        ("said-by", quote, putin)
    );
    assert!(r.to.doc.is_none());
    // A screen reader hears the relation on the quote's mark.
    {
        use egui_kittest::kittest::NodeT as _;
        let mark = h.get_by_label("quote “do you want a Franco-Russian war?”");
        let about = mark
            .accesskit_node()
            .description()
            .unwrap_or_default()
            .to_owned();
        assert!(about.contains("said-by to “Putin”"), "{about}");
    }

    // Pin the quote, open seed 001, link its span to the pinned quote as the same thing.
    press(&mut h, Key::P);
    open_next(&mut h);
    assert_eq!(h.state().open_document(), Some(r1));
    press(&mut h, Key::Tab);
    let here = h.state().selected_span().expect("a span");
    press(&mut h, Key::R);
    press(&mut h, Key::Enter);
    h.event(Event::Text("m".into()));
    h.run_steps(3);
    save_now(&mut h);
    let layer = read(r1);
    assert_eq!(layer.relations.len(), 1);
    let r = &layer.relations[0];
    assert_eq!(
        (r.kind.as_str(), r.from.span, r.to.span),
        ("same-as", here, quote)
    );
    let elsewhere = r.to.doc.as_ref().expect("the other end is in seed 000");
    assert_eq!(elsewhere.text, r0);
    assert_eq!(elsewhere.exact, "do you want a Franco-Russian war?");

    // Delete the span: its relation goes with it, in one step; undo brings both back.
    press(&mut h, Key::Delete);
    save_now(&mut h);
    let layer = read(r1);
    assert!(layer.spans.is_empty() && layer.relations.is_empty());
    press_with(&mut h, Modifiers::COMMAND, Key::Z);
    save_now(&mut h);
    let layer = read(r1);
    assert_eq!(layer.spans.len(), 1);
    assert_eq!(layer.relations.len(), 1, "undo restores the relation");
}

/// Issue 25: a relation made with the mouse. Click the quote, drag its link handle onto
/// "Putin", press E: an evidence relation from the quote to the claim, on disk.
#[test]
fn dragging_a_spans_link_handle_onto_another_span_links_them() {
    let ws = temp_workspace();
    let rel = "seeds/000_b78fa013a4a69998.txt";
    let w = marginalia::Workspace::open(ws.path()).unwrap();
    let (quote_words, name_words) = ("do you want a Franco-Russian war?", "Putin");
    let mut doc = marginalia::Document::open(&w, rel, ANNOTATOR, false).unwrap();
    let at = |doc: &marginalia::Document, words: &str| {
        let text = doc.text().as_str();
        text[..text.find(words).unwrap()].chars().count()
    };
    let (q, p) = (at(&doc, quote_words), at(&doc, name_words));
    let quote = doc
        .add_span(q, q + quote_words.chars().count(), "quote")
        .unwrap();
    let putin = doc.add_span(p, p + name_words.len(), "claim").unwrap();
    let m = at(&doc, "Macron");
    doc.add_span(m, m + "Macron".len(), "claim").unwrap();
    doc.save_now().unwrap();
    let mut h = harness(ws.path(), false, false);
    press_with(&mut h, Modifiers::ALT, Key::ArrowDown);
    for _ in 0..100 {
        h.step();
        if !h.state().is_opening() {
            break;
        }
    }
    h.run_steps(2);
    // Click the quote: it is selected and its handle is drawn over its start.
    click(&mut h, q + 3);
    assert_eq!(h.state().selected_span(), Some(quote));
    let first = h.state().screen_rects_of(q, q + 1)[0];
    let handle = egui::pos2(first.left() + 3.0, first.top() - 3.0);
    assert!(
        h.query_by_label("Link handle: drag onto another span")
            .is_some()
    );
    let target = pos_of(&h, p + 2) + vec2(2.0, 0.0);
    h.hover_at(handle);
    h.step();
    h.drag_at(handle);
    h.step();
    h.hover_at(handle + (target - handle) * 0.5);
    h.step();
    h.hover_at(target);
    h.step();
    h.drop_at(target);
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Which relation?").is_some(),
        "dropping on a span asks for the type"
    );
    h.event(Event::Text("e".into()));
    h.run_steps(3);
    save_now(&mut h);
    let path = ws
        .path()
        .join("annotations")
        .join(ANNOTATOR)
        .join(rel.replace(".txt", ".ron"));
    let layer = Layer::from_ron(&std::fs::read_to_string(path).unwrap()).unwrap();
    let r = layer.relations.first().expect("a relation on disk");
    assert_eq!(
        (r.kind.as_str(), r.from.span, r.to.span),
        ("evidence", quote, putin)
    );
    assert_eq!(r.attrs.get("stance").map(String::as_str), Some("supports"));

    // The span list's relation filter: of the three spans, the two linked ones.
    let rows = |h: &Harness<'_, MarginaliaApp>| {
        h.query_all_by_role(egui::accesskit::Role::ListItem)
            .filter(|n| {
                use egui_kittest::kittest::NodeT as _;
                let label = n.accesskit_node().label().unwrap_or_default();
                label.starts_with("quote:") || label.starts_with("claim:")
            })
            .count()
    };
    assert_eq!(rows(&h), 3);
    h.get_by_label("Relation filter").click();
    h.run_steps(2);
    h.get_by_label("with evidence").click();
    h.run_steps(3);
    assert_eq!(rows(&h), 2, "only the linked spans are listed");
}

/// Scores: the list puts the surest first; a source's threshold hides what scores under it,
/// and Shift+Y then accepts only those shown, as one undo step.
#[test]
fn a_threshold_hides_doubtful_suggestions_and_shift_y_accepts_only_those_above_it() {
    let ws = temp_workspace();
    let mut h = harness(ws.path(), false, false);
    open_seed(&mut h);
    wait_for_suggestions(&mut h);
    let all = h.state().suggestions().0.to_vec();
    let quotes = |min: f32| {
        (all.iter())
            .filter(|s| s.source == Source::Quotes && s.score >= min)
            .count()
    };
    let (sure, every) = (quotes(0.8), quotes(0.0));
    assert!(
        0 < sure && sure < every,
        "{sure} of {every} quotes score 0.8 or more"
    );
    // By score: the first row is a sure quote, and a doubtful one is listed too.
    use egui_kittest::kittest::NodeT as _;
    let rows: Vec<String> = (h.query_all_by_role(egui::accesskit::Role::Button))
        .filter_map(|n| n.accesskit_node().label())
        .filter(|l| l.starts_with("0.") || l.starts_with("1."))
        .collect();
    assert!(
        rows.first().is_some_and(|r| r.starts_with("0.90 quote")),
        "{rows:?}"
    );
    // Only the rows in view are drawn; those are in descending order.
    let scores: Vec<&str> = rows.iter().map(|r| &r[..4]).collect();
    assert!(scores.is_sorted_by(|a, b| a >= b), "{rows:?}");

    h.get_by_label("quotes threshold").click();
    h.run_steps(2);
    // A click selects the value to type over.
    h.event(Event::Text("0.8".into()));
    h.key_press(Key::Enter);
    h.run_steps(3);
    let shown = h.state().suggestions().0.to_vec();
    let shown_quotes: Vec<_> = (shown.iter())
        .filter(|s| s.source == Source::Quotes)
        .collect();
    assert_eq!(shown_quotes.len(), sure);
    assert!(shown_quotes.iter().all(|s| s.score >= 0.8));
    h.get_by_label(&format!("quotes ({sure})"));

    h.get_by_label_contains("You want War").click();
    h.run_steps(2);
    press_with(&mut h, Modifiers::SHIFT, Key::Y);
    let status = h.state().status_line().to_owned();
    assert!(
        status.contains(&format!(
            "Accepted {sure} suggestions from quotes scoring 0.80"
        )),
        "{status}"
    );
    save_now(&mut h);
    let layer = read_layer(ws.path());
    assert_eq!(
        layer.spans.len(),
        sure,
        "only the quotes above the threshold"
    );
    assert!(layer.spans.iter().all(|s| s.attrs.contains_key("speaker")));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    assert!(read_layer(ws.path()).spans.is_empty(), "one undo step");
}
