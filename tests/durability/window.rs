//! The durability states in the real app, driven with egui_kittest: a changed text's re-anchor
//! banner, fuzzy spans, the Orphans list, unopenable files and a merged external change. The
//! checks read what a user could observe: the window's labels and the RON files on disk.

use std::path::{Path, PathBuf};

use egui::{Key, Modifiers, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use marginalia::app::{BannerKind, MarginaliaApp};
use marginalia::model::layer::{Layer, make_span};
use marginalia::model::text::Text;
use marginalia::store::ron::to_pretty_ron;

use crate::support::app::{self, char_offset, pos_of, request_close, save_now};
use crate::support::files::{copy_dir, repo};

const SEED: &str = "000_b78fa013a4a69998.txt";
const ANNOTATOR: &str = "editor-a";
/// Span #2's quote in editor-a's layer of the seed: deleting it from the text orphans the span.
const DELETED: &str = "Mr. Putin made it clear that European countries would be drawn into a war with Russia if Ukraine joined NATO and took military action against Crimea";
/// Span #1's quote: fixing a word inside it makes the span fuzzy.
const FIXED_BEFORE: &str = "The two have spoken by phone five times since December";
const FIXED_AFTER: &str = "The two have spoken by telephone five times since December";
/// What "another window" tags in seed 002 while ours has an unsaved edit.
const THEIRS: &str = "French and Russian presidents";
const INSERTED: &str = "Editor's note: this article was updated on February 9.\n\n";

/// A temp copy of the seeds with editor-a's annotations.
fn temp_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let layers = Path::new("annotations").join(ANNOTATOR).join("seeds");
    copy_dir(&repo().join("seeds"), &dir.path().join("seeds"));
    copy_dir(&repo().join(&layers), &dir.path().join(&layers));
    std::fs::copy(
        repo().join("annotations/workspace.ron"),
        dir.path().join("annotations/workspace.ron"),
    )
    .unwrap();
    dir
}

fn layer_file(ws: &Path, seed: &str) -> PathBuf {
    ws.join("annotations")
        .join(ANNOTATOR)
        .join("seeds")
        .join(seed.replace(".txt", ".ron"))
}

fn read_layer(ws: &Path, seed: &str) -> Layer {
    let src = std::fs::read_to_string(layer_file(ws, seed)).expect("the layer file exists");
    Layer::from_ron(&src).expect("the layer file parses")
}

/// Deletes span #2's sentence, fixes a word in span #1 and inserts a line before every span.
fn change_seed_text(ws: &Path) {
    let path = ws.join("seeds").join(SEED);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(DELETED) && text.contains(FIXED_BEFORE));
    let text = format!(
        "{INSERTED}{}",
        text.replace(DELETED, "").replace(FIXED_BEFORE, FIXED_AFTER)
    );
    std::fs::write(&path, text).unwrap();
}

fn open(h: &mut Harness<'_, MarginaliaApp>, seed: &str) {
    h.get_by_label(seed).click();
    h.run_steps(3);
    // Opening runs on a thread; on a loaded machine it takes longer than the first frames.
    let want = format!("seeds/{seed}");
    for _ in 0..6000 {
        if h.state().open_document() == Some(&*want) {
            h.run_steps(1);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    assert_eq!(h.state().open_document(), Some(&*format!("seeds/{seed}")));
}

/// Selects the words from char `from` to char `to` with a mouse drag; returns the selection.
fn drag(h: &mut Harness<'_, MarginaliaApp>, from: usize, to: usize) -> (usize, usize) {
    app::drag(h, from, to);
    h.state()
        .selected_text_range()
        .expect("the drag selected text")
}

#[test]
fn a_changed_text_shows_its_summary_and_its_orphan_which_can_be_reattached_to_a_selection() {
    let ws = temp_workspace();
    let before = read_layer(ws.path(), SEED);
    assert!(before.span(2).is_some_and(|s| s.exact == DELETED));
    change_seed_text(ws.path());
    let mut h = harness(ws.path());
    open(&mut h, SEED);

    // The banner gives the counts: one orphan, one fuzzy, every other span moved by the insert.
    let expected = format!(
        "text changed: 0 kept, {} moved, 1 fuzzy, 1 orphaned",
        before.spans.len() - 2
    );
    assert!(
        h.query_by_label_contains(&expected).is_some(),
        "the banner shows {expected:?}; banners: {:?}",
        h.state().banners()
    );
    assert_eq!(h.state().banners()[0].kind, BannerKind::TextChanged);

    // The Orphans list shows the orphan's old text; re-attach is disabled without a selection.
    assert!(h.query_by_label("Orphans").is_some());
    assert!(
        h.query_by_label_contains("Mr. Putin made it clear")
            .is_some()
    );
    assert!(
        h.get_by_label("Re-attach to selection")
            .accesskit_node()
            .is_disabled()
    );

    // Select "Putin asked in response" and re-attach the orphan there.
    let at = char_offset(&h, "Putin asked in response");
    let (a, b) = drag(&mut h, at + 1, at + 20);
    assert_eq!((a, b), (at, at + "Putin asked in response".chars().count()));
    h.get_by_label("Re-attach to selection").click();
    h.run_steps(2);
    save_now(&mut h);
    let layer = read_layer(ws.path(), SEED);
    assert!(layer.orphans.is_empty(), "no orphan left on disk");
    let s = layer.span(2).expect("span #2 is back among the spans");
    assert_eq!((s.start, s.end), (a, b));
    assert_eq!(s.exact, "Putin asked in response");
    assert_eq!(s.tag, before.span(2).unwrap().tag);
    assert!(
        h.query_by_label("Orphans").is_none(),
        "the list goes once it is empty"
    );

    // The banner stays until dismissed.
    h.get_by_label("Dismiss").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains(&expected).is_none());
}

#[test]
fn a_fuzzy_span_is_marked_and_confirm_position_removes_the_flag_on_disk() {
    let ws = temp_workspace();
    change_seed_text(ws.path());
    let mut h = harness(ws.path());
    open(&mut h, SEED);
    let fuzzy = read_layer(ws.path(), SEED);
    assert_eq!(
        fuzzy
            .span(1)
            .unwrap()
            .attrs
            .get("marginalia:anchor")
            .map(String::as_str),
        Some("fuzzy")
    );

    h.get_by_label_contains("(position uncertain)").click();
    h.run_steps(2);
    assert_eq!(h.state().selected_span(), Some(1));
    assert!(h.query_by_label_contains("Position uncertain").is_some());
    h.get_by_label("Confirm position").click();
    h.run_steps(2);
    save_now(&mut h);
    let layer = read_layer(ws.path(), SEED);
    assert!(
        !layer
            .span(1)
            .unwrap()
            .attrs
            .contains_key("marginalia:anchor"),
        "the flag is gone from the file"
    );
    assert!(h.query_by_label_contains("(position uncertain)").is_none());

    // Ctrl+Z puts the flag back; Ctrl+Enter confirms it again.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    assert!(
        read_layer(ws.path(), SEED)
            .span(1)
            .unwrap()
            .attrs
            .contains_key("marginalia:anchor")
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    h.run_steps(2);
    save_now(&mut h);
    assert!(
        !read_layer(ws.path(), SEED)
            .span(1)
            .unwrap()
            .attrs
            .contains_key("marginalia:anchor")
    );
}

#[test]
fn deleting_an_orphan_reaches_the_file_and_ctrl_z_restores_it() {
    let ws = temp_workspace();
    change_seed_text(ws.path());
    let mut h = harness(ws.path());
    open(&mut h, SEED);
    assert_eq!(
        read_layer(ws.path(), SEED).orphans.len(),
        1,
        "re-anchoring wrote the orphan"
    );

    h.get_by_label("Delete").click();
    h.run_steps(2);
    save_now(&mut h);
    let layer = read_layer(ws.path(), SEED);
    assert!(layer.orphans.is_empty());
    assert!(layer.span(2).is_none());
    assert!(h.query_by_label("Orphans").is_none());

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    save_now(&mut h);
    let layer = read_layer(ws.path(), SEED);
    assert_eq!(layer.orphans.len(), 1);
    assert_eq!(layer.orphans[0].span.exact, DELETED);
    assert!(
        h.query_by_label_contains("Mr. Putin made it clear")
            .is_some()
    );
}

#[test]
fn an_unreadable_text_and_a_broken_layer_are_listed_and_clicking_shows_the_error_and_what_to_do() {
    let ws = temp_workspace();
    std::fs::write(ws.path().join("seeds/zz_latin1.txt"), b"Caf\xe9 society\n").unwrap();
    let broken = layer_file(ws.path(), "001_3e981e5bab7b45a2.txt");
    let src = std::fs::read_to_string(&broken).unwrap();
    std::fs::write(&broken, &src[..src.len() / 2]).unwrap();
    let mut h = harness(ws.path());

    let utf8 = "not valid UTF-8 (first bad byte at byte offset 3)";
    assert_eq!(
        h.query_all_by_label_contains(utf8).count(),
        1,
        "listed with its error"
    );
    assert_eq!(
        h.query_all_by_label_contains("not a valid annotation file")
            .count(),
        1
    );

    h.get_by_label("zz_latin1.txt").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("Cannot open seeds/zz_latin1.txt")
            .is_some()
    );
    assert_eq!(
        h.query_all_by_label_contains(utf8).count(),
        2,
        "the full message in the centre"
    );
    assert!(
        h.query_by_label_contains("iconv").is_some(),
        "and what to do"
    );
    assert_eq!(h.state().open_document(), None);

    h.get_by_label("001_3e981e5bab7b45a2.txt").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("Cannot open seeds/001_3e981e5bab7b45a2.txt")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("will not be overwritten")
            .is_some()
    );
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap(),
        src[..src.len() / 2],
        "left as it was"
    );
}

#[test]
fn an_external_change_during_an_unsaved_edit_is_merged_and_the_banner_says_so() {
    let seed = "002_c14de4e8ffe1b554.txt";
    let ws = temp_workspace();
    let mut h = harness(ws.path());
    open(&mut h, seed);
    let ours_before = read_layer(ws.path(), seed).spans.len();

    // Our edit: a new span over the first words of the text, not yet saved.
    let text = Text::load(&ws.path().join("seeds").join(seed)).unwrap();
    let words = text
        .as_str()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let at = char_offset(&h, &words);
    drag(&mut h, at + 1, at + words.chars().count() - 1);
    h.key_press(Key::Num2);
    h.step();
    assert!(h.state().has_unsaved_edits(), "the edit is still in memory");

    // Someone else adds a span (with the same next id) and writes the file.
    let mut theirs = read_layer(ws.path(), seed);
    let id = theirs.take_id();
    let start = char_offset(&h, THEIRS);
    let end = start + THEIRS.chars().count();
    theirs.spans.push(make_span(
        &text,
        id,
        start,
        end,
        "error",
        "2026-11-21T00:00:00Z",
    ));
    std::fs::write(layer_file(ws.path(), seed), to_pretty_ron(&theirs).unwrap()).unwrap();

    save_now(&mut h);
    let layer = read_layer(ws.path(), seed);
    assert_eq!(
        layer.spans.len(),
        ours_before + 2,
        "both new spans are on disk"
    );
    assert!(
        layer
            .spans
            .iter()
            .any(|s| s.tag == "error" && (s.start, s.end) == (start, end)),
        "theirs"
    );
    assert!(
        layer
            .spans
            .iter()
            .any(|s| s.tag == "claim" && s.start == at),
        "ours"
    );
    assert!(
        h.query_all_by_label_contains("merged by span id").count() >= 1,
        "the merge is shown; banners: {:?}",
        h.state().banners()
    );
    assert_eq!(
        h.state().banners().last().unwrap().kind,
        BannerKind::ExternalChange
    );
    // Their span is in the view too, not only in the file: clicking its words selects it.
    let their_id = layer
        .spans
        .iter()
        .find(|s| (s.start, s.end) == (start, end))
        .unwrap()
        .id;
    let p = pos_of(&h, start + 2) + vec2(2.0, 0.0);
    h.hover_at(p);
    h.step();
    h.drag_at(p);
    h.step();
    h.drop_at(p);
    h.run_steps(2);
    assert_eq!(h.state().selected_span(), Some(their_id));
    // It stays for later frames until dismissed.
    h.run_steps(5);
    assert_eq!(h.state().banners().len(), 1);
    h.get_by_label("Dismiss").click();
    h.run_steps(2);
    assert!(h.state().banners().is_empty());
}

#[test]
fn a_failed_save_is_shown_until_a_retry_succeeds_and_an_unreadable_file_is_never_overwritten() {
    let seed = "002_c14de4e8ffe1b554.txt";
    let ws = temp_workspace();
    let mut h = harness(ws.path());
    open(&mut h, seed);
    let original = std::fs::read_to_string(layer_file(ws.path(), seed)).unwrap();
    let at = char_offset(&h, "The meeting between");
    drag(&mut h, at + 1, at + 18);
    h.key_press(Key::Num2);
    h.step();
    assert!(h.state().has_unsaved_edits());

    // A sync tool leaves a half-written file: the app must not write over it.
    std::fs::write(layer_file(ws.path(), seed), "(format: 1, spans: [").unwrap();
    save_now(&mut h);
    assert!(
        h.query_by_label("Not saved").is_some(),
        "the failure is shown above the text"
    );
    assert!(
        h.query_by_label("NOT SAVED").is_some(),
        "and in the save indicator"
    );
    assert!(h.query_all_by_label_contains("cannot be read").count() >= 1);
    assert_eq!(
        std::fs::read_to_string(layer_file(ws.path(), seed)).unwrap(),
        "(format: 1, spans: [",
        "not overwritten"
    );

    // The file is restored; "Retry now" saves the edit.
    std::fs::write(layer_file(ws.path(), seed), &original).unwrap();
    h.get_by_label("Retry now").click();
    h.run_steps(2);
    assert!(h.query_by_label("Not saved").is_none());
    let layer = read_layer(ws.path(), seed);
    assert!(
        layer
            .spans
            .iter()
            .any(|s| s.start == at && s.tag == "claim")
    );
}

fn harness(path: &Path) -> Harness<'static, MarginaliaApp> {
    app::open_app(path, ANNOTATOR, vec2(1200.0, 800.0))
}

/// Tags a claim in seed 002 and makes the save fail (the file on disk no longer parses, so it
/// is never overwritten). Returns where the claim starts.
fn unsaved_claim(h: &mut Harness<'_, MarginaliaApp>, ws: &Path) -> usize {
    let seed = "002_c14de4e8ffe1b554.txt";
    open(h, seed);
    let at = char_offset(h, "The meeting between");
    drag(h, at + 1, at + 18);
    h.key_press(Key::Num2);
    h.step();
    std::fs::write(layer_file(ws, seed), "(format: 1, spans: [").unwrap();
    save_now(h);
    assert!(h.query_by_label("NOT SAVED").is_some());
    at
}

/// The journal's entries: (file, the layer it holds).
fn journal_entries(dir: &Path) -> Vec<(PathBuf, Layer)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .map(|p| {
            let src = std::fs::read_to_string(&p).unwrap();
            let (first, rest) = src.split_once('\n').unwrap();
            assert!(
                first.starts_with("// marginalia recovery journal for: "),
                "{first}"
            );
            let layer = Layer::from_ron(rest).expect("a journal entry is a layer");
            (p, layer)
        })
        .collect()
}

/// Unsaved edits on quit: closing with edits that could not be saved exited at once and lost them.
/// Now the close is held back with a prompt, the edits are in the recovery journal, and "Save a
/// copy elsewhere" writes them where the user says before the window closes.
#[test]
fn closing_with_unsaved_edits_asks_and_a_copy_elsewhere_keeps_them() {
    let ws = temp_workspace();
    let journal = tempfile::tempdir().unwrap();
    let mut h = app::open_app_with(
        ws.path(),
        ANNOTATOR,
        vec2(1200.0, 800.0),
        Some(journal.path()),
    );
    let at = unsaved_claim(&mut h, ws.path());

    request_close(&mut h);
    assert!(h.state().quit_prompt_open(), "the close waits for the user");
    assert!(!h.state().will_close());
    assert!(h.query_by_label("Edits not saved").is_some());
    let entries = journal_entries(journal.path());
    assert_eq!(entries.len(), 1, "one journal entry for the one layer");
    assert!(
        entries[0]
            .1
            .spans
            .iter()
            .any(|s| s.start == at && s.tag == "claim")
    );

    // "Cancel" keeps working; a second close asks again.
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(!h.state().quit_prompt_open() && !h.state().will_close());
    request_close(&mut h);
    assert!(h.state().quit_prompt_open());

    let copy = journal.path().join("copy").join("mine.ron");
    h.get_by_label("Copy to").click();
    h.run_steps(1);
    h.get_by_label("Copy to")
        .type_text(&copy.display().to_string());
    h.run_steps(1);
    h.get_by_label("Save a copy elsewhere").click();
    h.run_steps(2);
    assert!(
        h.state().will_close(),
        "the copy was written, so the window may close"
    );
    let saved = Layer::from_ron(&std::fs::read_to_string(&copy).unwrap()).unwrap();
    assert!(
        saved
            .spans
            .iter()
            .any(|s| s.start == at && s.tag == "claim")
    );
    // The layer file itself was never overwritten, and the journal still has the edits.
    assert_eq!(
        std::fs::read_to_string(layer_file(ws.path(), "002_c14de4e8ffe1b554.txt")).unwrap(),
        "(format: 1, spans: ["
    );
    assert_eq!(journal_entries(journal.path()).len(), 1);
}

/// Unsaved edits on quit: "Discard and quit" is the only way edits are dropped, and it says so;
/// SIGTERM keeps them in the journal and closes without asking.
#[test]
fn discard_and_quit_drops_the_edits_and_terminate_keeps_them_in_the_journal() {
    let ws = temp_workspace();
    let journal = tempfile::tempdir().unwrap();
    let mut h = app::open_app_with(
        ws.path(),
        ANNOTATOR,
        vec2(1200.0, 800.0),
        Some(journal.path()),
    );
    unsaved_claim(&mut h, ws.path());
    request_close(&mut h);
    assert_eq!(journal_entries(journal.path()).len(), 1);
    h.get_by_label("Discard and quit").click();
    h.run_steps(2);
    assert!(h.state().will_close());
    assert!(
        journal_entries(journal.path()).is_empty(),
        "discarded on the user's word"
    );

    let ws = temp_workspace();
    let mut h = app::open_app_with(
        ws.path(),
        ANNOTATOR,
        vec2(1200.0, 800.0),
        Some(journal.path()),
    );
    let at = unsaved_claim(&mut h, ws.path());
    h.state().request_terminate();
    h.run_steps(2);
    assert!(h.state().will_close(), "SIGTERM does not wait for a prompt");
    assert!(!h.state().quit_prompt_open());
    let entries = journal_entries(journal.path());
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0]
            .1
            .spans
            .iter()
            .any(|s| s.start == at && s.tag == "claim")
    );
}

/// Recovery journal: the journal's edits are offered back when the layer is next opened; Restore
/// puts them in (they reach the file), and the entry is removed once they are on disk.
#[test]
fn edits_in_the_journal_are_offered_back_and_restored_to_the_file() {
    let seed = "002_c14de4e8ffe1b554.txt";
    let ws = temp_workspace();
    let original = std::fs::read_to_string(layer_file(ws.path(), seed)).unwrap();
    let journal = tempfile::tempdir().unwrap();
    let at = {
        let mut h = app::open_app_with(
            ws.path(),
            ANNOTATOR,
            vec2(1200.0, 800.0),
            Some(journal.path()),
        );
        let at = unsaved_claim(&mut h, ws.path());
        h.state().request_terminate();
        h.run_steps(2);
        assert!(h.state().will_close());
        at
    };
    // The disk problem is fixed; a new window opens the document.
    std::fs::write(layer_file(ws.path(), seed), &original).unwrap();
    let mut h = app::open_app_with(
        ws.path(),
        ANNOTATOR,
        vec2(1200.0, 800.0),
        Some(journal.path()),
    );
    open(&mut h, seed);
    assert!(h.query_by_label("Unsaved edits recovered").is_some());
    assert!(
        !read_layer(ws.path(), seed)
            .spans
            .iter()
            .any(|s| s.start == at)
    );
    h.get_by_label("Restore").click();
    h.run_steps(2);
    save_now(&mut h);
    assert!(
        read_layer(ws.path(), seed)
            .spans
            .iter()
            .any(|s| s.start == at && s.tag == "claim"),
        "the recovered claim reached the file"
    );
    assert!(
        journal_entries(journal.path()).is_empty(),
        "and the journal entry is gone"
    );
    assert!(h.query_by_label("Unsaved edits recovered").is_none());
}

/// Read-only layer files: a layer file with mode 0444 was saved over. It now opens read-only and
/// says why; tagging changes nothing on disk.
#[cfg(unix)]
#[test]
fn a_read_only_layer_file_opens_read_only_and_is_never_written() {
    use std::os::unix::fs::PermissionsExt as _;
    let seed = "002_c14de4e8ffe1b554.txt";
    let ws = temp_workspace();
    let file = layer_file(ws.path(), seed);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&file).unwrap();
    let mut h = harness(ws.path());
    open(&mut h, seed);
    assert!(
        h.query_all_by_label_contains("is read-only on disk")
            .count()
            >= 1,
        "a banner says why"
    );
    let at = char_offset(&h, "The meeting between");
    drag(&mut h, at + 1, at + 18);
    h.key_press(Key::Num2);
    h.run_steps(2);
    assert!(
        h.state().status_line().contains("read-only"),
        "{}",
        h.state().status_line()
    );
    save_now(&mut h);
    h.run_steps(10);
    assert_eq!(std::fs::read(&file).unwrap(), before, "never written");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o444
    );
}

/// Deleted layer files: a layer file deleted while shown was silently recreated by the next edit.
/// Now the deletion is shown, nothing is written, and the user keeps the spans or closes.
#[test]
fn a_layer_file_deleted_while_open_is_shown_and_only_rewritten_when_the_user_says() {
    let seed = "002_c14de4e8ffe1b554.txt";
    let ws = temp_workspace();
    let file = layer_file(ws.path(), seed);
    let spans_before = read_layer(ws.path(), seed).spans.len();
    let mut h = harness(ws.path());
    open(&mut h, seed);
    std::fs::remove_file(&file).unwrap();
    h.run_steps(3);
    assert!(h.query_by_label("Annotation file deleted").is_some());
    let at = char_offset(&h, "The meeting between");
    drag(&mut h, at + 1, at + 18);
    h.key_press(Key::Num2);
    h.run_steps(2);
    save_now(&mut h);
    std::thread::sleep(std::time::Duration::from_millis(400));
    h.run_steps(10);
    assert!(!file.exists(), "not recreated behind the user's back");
    h.get_by_label("Keep my spans").click();
    h.run_steps(2);
    let layer = read_layer(ws.path(), seed);
    assert_eq!(
        layer.spans.len(),
        spans_before + 1,
        "every span, the new one too"
    );
    assert!(h.query_by_label("Annotation file deleted").is_none());

    // Closing instead leaves the file deleted.
    std::fs::remove_file(&file).unwrap();
    h.run_steps(3);
    h.get_by_label("Close document").click();
    h.run_steps(3);
    assert_eq!(h.state().open_document(), None);
    assert!(!file.exists());
}

#[test]
fn an_ambiguous_span_is_marked_and_can_be_confirmed_in_the_window() {
    // The photo caption is pasted twice under a new first line: editor-a's span #26 on its
    // "Wolfgang Schorz" fits both copies equally, so it is flagged ambiguous.
    let ws = temp_workspace();
    let path = ws.path().join("seeds").join(SEED);
    let text = std::fs::read_to_string(&path).unwrap();
    let caption = "U.S. President Joe Biden and German Chancellor Wolfgang Schorz discuss the \
                   Ukrainian border situation at the White House in Washington, D.C., Feb. 7, 2022.";
    assert!(text.contains(caption));
    let text = format!(
        "{INSERTED}{}",
        text.replacen(caption, &format!("{caption}{caption}"), 1)
    );
    std::fs::write(&path, text).unwrap();
    let mut h = harness(ws.path());
    open(&mut h, SEED);
    let flag = |ws: &Path| {
        read_layer(ws, SEED)
            .span(26)
            .unwrap()
            .attrs
            .get("marginalia:anchor")
            .cloned()
    };
    assert_eq!(flag(ws.path()).as_deref(), Some("ambiguous"));
    assert!(
        h.query_by_label_contains("ambiguous").is_some(),
        "the banner counts it"
    );
    // Tab walks the spans (the list shows only the rows in view).
    for _ in 0..40 {
        if h.state().selected_span() == Some(26) {
            break;
        }
        app::press(&mut h, Key::Tab);
    }
    assert!(h.query_by_label_contains("(position uncertain)").is_some());
    assert_eq!(h.state().selected_span(), Some(26));
    assert!(h.query_by_label_contains("occur more than once").is_some());
    h.get_by_label("Confirm position").click();
    h.run_steps(2);
    save_now(&mut h);
    assert_eq!(flag(ws.path()), None, "the flag is gone from the file");
}

/// A journal whose usual folder cannot take a byte (its place is taken by a file: to a writer,
/// as good as a full disk), with a fallback in `dir`/fallback.
fn journal_on_a_full_disk(dir: &Path, fallback: bool) -> marginalia::session::recovery::Journal {
    let full = dir.join("full");
    if !full.exists() {
        std::fs::write(&full, "").unwrap();
    }
    let journal = marginalia::session::recovery::Journal::at(full.join("recovery"));
    if fallback {
        journal.with_fallback(dir.join("fallback"))
    } else {
        journal
    }
}

/// Recovery journal: SIGTERM on a full disk lost edits when the journal shared that disk (the
/// journal's own write needed new space). The journal now falls back to another folder (on
/// another file system), and every edit is offered back after a restart.
#[test]
fn terminate_on_a_full_disk_keeps_every_edit_in_the_fallback_journal() {
    let seed = "002_c14de4e8ffe1b554.txt";
    let ws = temp_workspace();
    let original = std::fs::read_to_string(layer_file(ws.path(), seed)).unwrap();
    let dirs = tempfile::tempdir().unwrap();
    let phrases = [
        ("The meeting between", 18),
        ("Le Monde with AFP", 15),
        ("Emmanuel Macron said", 18),
    ];
    let starts: Vec<usize> = {
        let mut h = app::open_app_with_journal(
            ws.path(),
            ANNOTATOR,
            vec2(1200.0, 800.0),
            Some(journal_on_a_full_disk(dirs.path(), true)),
        );
        open(&mut h, seed);
        std::fs::write(layer_file(ws.path(), seed), "(format: 1, spans: [").unwrap();
        let mut starts = Vec::new();
        for (phrase, len) in phrases {
            let at = char_offset(&h, phrase);
            drag(&mut h, at + 1, at + len);
            h.key_press(Key::Num2);
            h.step();
            save_now(&mut h);
            assert!(h.query_by_label("NOT SAVED").is_some());
            starts.push(at);
        }
        h.state().request_terminate();
        h.run_steps(2);
        assert!(h.state().will_close());
        starts
    };
    std::fs::write(layer_file(ws.path(), seed), &original).unwrap();
    let mut h = app::open_app_with_journal(
        ws.path(),
        ANNOTATOR,
        vec2(1200.0, 800.0),
        Some(journal_on_a_full_disk(dirs.path(), true)),
    );
    open(&mut h, seed);
    assert!(h.query_by_label("Unsaved edits recovered").is_some());
    h.get_by_label("Restore").click();
    h.run_steps(2);
    save_now(&mut h);
    let layer = read_layer(ws.path(), seed);
    for at in starts {
        assert!(
            layer
                .spans
                .iter()
                .any(|s| s.start == at && s.tag == "claim"),
            "the claim at {at} reached the file"
        );
    }
    assert!(journal_entries(&dirs.path().join("fallback")).is_empty());
}

/// Recovery journal: when not even the journal could keep the edits, SIGTERM closed the window
/// with one line on stderr. The window now stays and says so, offering a copy elsewhere.
#[test]
fn terminate_with_edits_nothing_could_keep_says_so_in_the_window() {
    let ws = temp_workspace();
    let dirs = tempfile::tempdir().unwrap();
    let mut h = app::open_app_with_journal(
        ws.path(),
        ANNOTATOR,
        vec2(1200.0, 800.0),
        Some(journal_on_a_full_disk(dirs.path(), false)),
    );
    let at = unsaved_claim(&mut h, ws.path());
    h.state().request_terminate();
    h.run_steps(2);
    assert!(!h.state().will_close(), "the window does not close on them");
    assert!(h.state().quit_prompt_open());
    assert!(
        h.query_all_by_label_contains(
            "could not be kept anywhere, not even in the recovery journal"
        )
        .count()
            >= 1
    );
    let copy = dirs.path().join("elsewhere.ron");
    h.get_by_label("Copy to").click();
    h.run_steps(1);
    h.get_by_label("Copy to")
        .type_text(&copy.display().to_string());
    h.run_steps(1);
    h.get_by_label("Save a copy elsewhere").click();
    h.run_steps(2);
    assert!(h.state().will_close());
    let saved = Layer::from_ron(&std::fs::read_to_string(&copy).unwrap()).unwrap();
    assert!(
        saved
            .spans
            .iter()
            .any(|s| s.start == at && s.tag == "claim")
    );
}

/// Recovery journal: the journal was keyed by the workspace's absolute path, so after the folder
/// was renamed its edits were never offered again. Entries are now found by the layer's path
/// in the workspace and its text's hash; one that no open workspace claims is listed.
#[test]
fn a_renamed_workspace_gets_its_edits_back_and_elsewhere_they_are_listed() {
    let seed = "002_c14de4e8ffe1b554.txt";
    let ws = temp_workspace();
    let original = std::fs::read_to_string(layer_file(ws.path(), seed)).unwrap();
    let journal = tempfile::tempdir().unwrap();
    let size = vec2(1200.0, 800.0);
    let at = {
        let mut h = app::open_app_with(ws.path(), ANNOTATOR, size, Some(journal.path()));
        let at = unsaved_claim(&mut h, ws.path());
        h.state().request_terminate();
        h.run_steps(2);
        assert!(h.state().will_close());
        at
    };
    std::fs::write(layer_file(ws.path(), seed), &original).unwrap();
    let before = ws.path().canonicalize().unwrap();
    let parent = tempfile::tempdir().unwrap();
    let renamed = parent.path().join("renamed workspace");
    std::fs::rename(ws.path(), &renamed).unwrap();

    // Another workspace with another version of that text: the entry is not its own, so it
    // is listed there, with where it came from.
    let other = temp_workspace();
    let text = other.path().join("seeds").join(seed);
    let changed = format!(
        "{}\nA line added.\n",
        std::fs::read_to_string(&text).unwrap()
    );
    std::fs::write(&text, changed).unwrap();
    let h = app::open_app_with(other.path(), ANNOTATOR, size, Some(journal.path()));
    assert!(
        h.query_by_label("Unsaved edits of a workspace that moved")
            .is_some()
    );
    let place = format!("seeds/{seed} (annotations/{ANNOTATOR}/seeds/");
    assert!(h.query_all_by_label_contains(&place).count() >= 1);
    let from = format!(
        "for the workspace at {}, which is no longer there",
        before.display()
    );
    assert!(h.query_all_by_label_contains(&from).count() >= 1);
    // Dismiss hides the notice and keeps the entry.
    let mut h = h;
    h.get_by_label("Dismiss").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("Unsaved edits of a workspace that moved")
            .is_none()
    );
    assert_eq!(journal_entries(journal.path()).len(), 1);
    drop(h);

    // The renamed workspace claims it: no listing, and the document offers it.
    let mut h = app::open_app_with(&renamed, ANNOTATOR, size, Some(journal.path()));
    assert!(
        h.query_by_label("Unsaved edits of a workspace that moved")
            .is_none()
    );
    open(&mut h, seed);
    assert!(h.query_by_label("Unsaved edits recovered").is_some());
    assert!(
        h.query_all_by_label_contains("Restore adds 1 span from the unsaved session")
            .count()
            >= 1
    );
    h.get_by_label("Restore").click();
    h.run_steps(2);
    save_now(&mut h);
    assert!(
        read_layer(&renamed, seed)
            .spans
            .iter()
            .any(|s| s.start == at && s.tag == "claim"),
        "the recovered claim reached the renamed workspace's file"
    );
    assert!(journal_entries(journal.path()).is_empty());
}

/// Recovery journal: a journal entry whose workspace is gone can be discarded from its notice.
#[test]
fn an_orphaned_journal_entry_can_be_discarded_from_its_notice() {
    use marginalia::session::recovery::{EntryKey, Journal};
    let journal = tempfile::tempdir().unwrap();
    let gone = journal.path().join("a workspace that was unmounted");
    let key = EntryKey::new(
        &gone,
        &gone.join("annotations/editor-a/seeds/x.ron"),
        "seeds/x.txt",
        "0123",
    );
    let layer = Layer::new("seeds/x.txt", &Text::from_string("x"), ANNOTATOR);
    let entry = Journal::at(journal.path())
        .keep(&key, &layer.to_ron(), None)
        .unwrap()
        .entry;
    let ws = temp_workspace();
    let mut h = app::open_app_with(
        ws.path(),
        ANNOTATOR,
        vec2(1200.0, 800.0),
        Some(journal.path()),
    );
    assert!(
        h.query_all_by_label_contains("seeds/x.txt (annotations/editor-a/seeds/x.ron, 0 spans")
            .count()
            >= 1
    );
    h.get_by_label("Discard edits").click();
    h.run_steps(2);
    assert!(!entry.exists(), "the entry is deleted");
    assert!(
        h.query_by_label("Unsaved edits of a workspace that moved")
            .is_none()
    );
}

/// Layers from another version of the text: a layer that records this very text but holds spans
/// made on another version of it (a clean git merge of a re-anchored file and a colleague's new
/// spans) opens, re-anchored, with one banner, instead of "Cannot open"; the span whose words are
/// gone is an orphan.
#[test]
fn a_merged_layer_whose_spans_do_not_match_the_text_opens_re_anchored_with_one_banner() {
    let ws = temp_workspace();
    let path = layer_file(ws.path(), SEED);
    let mut layer = read_layer(ws.path(), SEED);
    let before = layer.spans.len();
    // The colleague's text had a line more at the top and a sentence this one lacks.
    let theirs = Text::from_string(&format!(
        "A line only their copy had.\n{}The sentence that was cut.",
        std::fs::read_to_string(ws.path().join("seeds").join(SEED)).unwrap()
    ));
    for (id, phrase) in [
        (900, "Ukrainian President Volodymyr Zelensky"),
        (901, "The sentence that was cut."),
    ] {
        let b = theirs.as_str().find(phrase).unwrap();
        let s = theirs.char_of_byte(b);
        let e = s + phrase.chars().count();
        layer.spans.push(make_span(&theirs, id, s, e, "claim", "t"));
    }
    layer.normalize();
    std::fs::write(&path, to_pretty_ron(&layer).unwrap()).unwrap();

    let mut h = harness(ws.path());
    open(&mut h, SEED);
    let said = "1 span re-anchored after a merge (they did not match the text); 1 could not be \
                found and is kept as orphaned";
    assert!(
        h.query_by_label_contains(said).is_some(),
        "banners: {:?}",
        h.state().banners()
    );
    assert_eq!(h.state().banners().len(), 1, "{:?}", h.state().banners());
    assert!(h.query_by_label_contains("Cannot open").is_none());
    assert!(
        h.query_by_label_contains("The sentence that was cut.")
            .is_some()
    );
    let on_disk = read_layer(ws.path(), SEED);
    let text = Text::load(&ws.path().join("seeds").join(SEED)).unwrap();
    assert_eq!(on_disk.spans.len(), before + 1);
    for s in &on_disk.spans {
        assert_eq!(text.slice(s.start, s.end), s.exact, "span {}", s.id);
    }
    assert_eq!(on_disk.orphans.len(), 1);
    assert_eq!(on_disk.orphans[0].span.id, 901);
}

/// Interrupted tag rename: the window names an interrupted tag rename, and how to finish it, on
/// opening the workspace.
#[test]
fn the_window_says_how_to_finish_an_interrupted_tag_rename() {
    let ws = temp_workspace();
    std::fs::write(
        ws.path().join("annotations/.tag-rename-in-progress.ron"),
        "(old: \"quote\", new: \"citation\", merge: false)\n",
    )
    .unwrap();
    let h = harness(ws.path());
    let said = "a rename of quote → citation was interrupted; run `marginalia tags rename quote \
                citation` to finish it";
    assert!(
        h.query_by_label_contains(said).is_some(),
        "banners: {:?}",
        h.state().banners()
    );
}
