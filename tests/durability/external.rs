//! Changes from outside: another window, a `git pull` or a sync tool changes an annotation file
//! while it is open — nothing is lost; and another annotator's files are never written.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use marginalia::model::layer::Layer;
use marginalia::session::engine::Editing;
use marginalia::{Document, Workspace};

use crate::support::process::test_name;

const SEED: &str = "seeds/000_b78fa013a4a69998.txt";

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(root.join("seeds")).unwrap();
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    std::fs::copy(repo.join(SEED), root.join(SEED)).unwrap();
    (dir, root)
}

fn open(root: &Path, who: &str) -> Document {
    let ws = Workspace::open(root).unwrap();
    Document::open(&ws, SEED, who, false).unwrap()
}

fn add(doc: &mut Document, phrase: &str, tag: &str) -> u64 {
    let b = doc.text().as_str().find(phrase).unwrap();
    let s = doc.text().char_of_byte(b);
    doc.add_span(s, s + phrase.chars().count(), tag).unwrap()
}

fn on_disk(doc: &Document) -> Layer {
    Layer::from_ron(&std::fs::read_to_string(doc.layer_path()).unwrap()).unwrap()
}

fn exacts(layer: &Layer) -> Vec<&str> {
    let mut v: Vec<&str> = layer.spans.iter().map(|s| s.exact.as_str()).collect();
    v.sort();
    v
}

fn ids_unique_and_below_next(layer: &Layer) {
    let mut ids: Vec<u64> = layer.spans.iter().map(|s| s.id).collect();
    ids.extend(layer.orphans.iter().map(|o| o.span.id));
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate ids in {layer:#?}");
    assert!(
        ids.iter().all(|&i| i < layer.next_id),
        "next_id {} not above {ids:?}",
        layer.next_id
    );
}

#[test]
fn a_file_changed_outside_is_reloaded_when_nothing_is_unsaved() {
    let (_d, root) = workspace();
    let mut a = open(&root, "editor-a");
    add(&mut a, "Putin asked reporters", "quote");
    a.save_now().unwrap();
    let mut b = open(&root, "editor-a");
    add(&mut b, "Mark Truss", "error");
    b.save_now().unwrap();
    assert!(a.reload_if_changed());
    assert_eq!(exacts(a.layer()), ["Mark Truss", "Putin asked reporters"]);
    assert!(
        a.take_notices()
            .iter()
            .any(|n| n.contains("changed outside this window; reloaded"))
    );
}

#[test]
fn unsaved_edits_are_merged_with_a_changed_file_and_the_user_is_told() {
    let (_d, root) = workspace();
    let mut a = open(&root, "editor-a");
    let keep = add(&mut a, "Putin asked reporters", "quote");
    let gone = add(&mut a, "Wolfgang Schorz", "error");
    let both = add(&mut a, "Mark Truss", "error");
    a.save_now().unwrap();
    let mut b = open(&root, "editor-a");

    // Ours: delete one span, retag another; theirs: note on the deleted one, note on the
    // retagged one (a conflict), a new span, and a note on the third.
    assert!(a.delete_span(gone));
    assert!(a.retag(keep, "claim"));
    assert!(b.set_note(gone, "theirs on a deleted span"));
    assert!(b.set_note(keep, "theirs on our retagged span"));
    assert!(b.set_note(both, "theirs only"));
    let new_theirs = add(&mut b, "Dmitry Peskov", "quote");
    b.save_now().unwrap();
    a.save_now().unwrap();

    let layer = on_disk(&a);
    assert!(
        layer.span(gone).is_none(),
        "a span we deleted stays deleted"
    );
    let k = layer.span(keep).unwrap();
    assert_eq!(
        (k.tag.as_str(), k.note.as_str()),
        ("claim", ""),
        "ours win on a conflict"
    );
    assert_eq!(layer.span(both).unwrap().note, "theirs only");
    let added: Vec<_> = layer
        .spans
        .iter()
        .filter(|s| s.exact == "Dmitry Peskov")
        .collect();
    assert_eq!(added.len(), 1);
    // Both windows took the same next id; theirs was created after our last save, so it
    // keeps its own id unless ours used it (we did not create any span here).
    assert_eq!(added[0].id, new_theirs);
    ids_unique_and_below_next(&layer);
    let notices = a.take_notices();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("merged by span id: 1 of their spans added")),
        "{notices:?}"
    );
}

#[test]
fn two_windows_creating_the_same_next_id_keep_both_spans() {
    let (_d, root) = workspace();
    let mut a = open(&root, "editor-a");
    add(&mut a, "Putin asked reporters", "quote");
    a.save_now().unwrap();
    let mut b = open(&root, "editor-a");
    let ida = add(&mut a, "Mark Truss", "error");
    let idb = add(&mut b, "Dmitry Peskov", "quote");
    assert_eq!(ida, idb, "both windows took the same next id");
    b.save_now().unwrap();
    a.save_now().unwrap();
    let layer = on_disk(&a);
    assert_eq!(
        exacts(&layer),
        ["Dmitry Peskov", "Mark Truss", "Putin asked reporters"]
    );
    ids_unique_and_below_next(&layer);
    assert_eq!(
        layer.span(ida).unwrap().exact,
        "Mark Truss",
        "ours keep the id"
    );
    // The other window, saving again, takes the renumbered span and keeps everything.
    add(&mut b, "Emmanuel Macron", "quote");
    b.save_now().unwrap();
    let layer = on_disk(&b);
    assert_eq!(
        exacts(&layer),
        [
            "Dmitry Peskov",
            "Emmanuel Macron",
            "Mark Truss",
            "Putin asked reporters"
        ]
    );
    ids_unique_and_below_next(&layer);
}

#[test]
fn a_span_deleted_in_the_other_window_stays_deleted_when_we_did_not_touch_it() {
    let (_d, root) = workspace();
    let mut a = open(&root, "editor-a");
    let x = add(&mut a, "Putin asked reporters", "quote");
    let y = add(&mut a, "Mark Truss", "error");
    a.save_now().unwrap();
    let mut b = open(&root, "editor-a");
    assert!(b.delete_span(x));
    b.save_now().unwrap();
    assert!(a.set_note(y, "ours"));
    a.save_now().unwrap();
    let layer = on_disk(&a);
    assert!(layer.span(x).is_none());
    assert_eq!(layer.span(y).unwrap().note, "ours");
}

#[test]
fn a_changed_file_that_no_longer_parses_is_never_overwritten() {
    let (_d, root) = workspace();
    let mut a = open(&root, "editor-a");
    add(&mut a, "Putin asked reporters", "quote");
    a.save_now().unwrap();
    std::fs::write(
        a.layer_path(),
        b"(format: 1, spans: [ half a merge conflict",
    )
    .unwrap();
    add(&mut a, "Mark Truss", "error");
    assert!(a.save_now().is_err());
    assert_eq!(
        std::fs::read(a.layer_path()).unwrap(),
        b"(format: 1, spans: [ half a merge conflict"
    );
    assert!(
        matches!(a.save_state(), marginalia::session::autosave::SaveState::Failed(m) if m.contains("cannot be read"))
    );
    assert!(a.has_unsaved());
}

// ---- Two processes --------------------------------------------------------------------------

const CHILD_ENV: &str = "MARGINALIA_TEST_CHILD_ROOT";

fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "gave up waiting for {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Not a test on its own: the body of the child processes of
/// [`two_processes_with_the_same_annotator_keep_each_others_spans`].
#[test]
#[ignore = "the body of a child process, run by another test"]
fn child_process_adds_spans() {
    let Ok(root) = std::env::var(CHILD_ENV) else {
        return;
    };
    let root = PathBuf::from(root);
    let who = std::env::var("MARGINALIA_TEST_CHILD_WHO").unwrap();
    let mut doc = open(&root, "editor-a");
    let phrases: &[&str] = if who == "a" {
        &["Putin asked reporters", "Mark Truss"]
    } else {
        &["Dmitry Peskov", "Wolfgang Schorz"]
    };
    for p in phrases {
        add(&mut doc, p, "quote");
    }
    std::fs::write(root.join(format!("ready-{who}")), b"").unwrap();
    wait_for(&root.join(format!("go-{who}")));
    doc.save_now().unwrap();
    for n in doc.take_notices() {
        println!("notice: {n}");
    }
}

#[test]
fn two_processes_with_the_same_annotator_keep_each_others_spans() {
    let (_d, root) = workspace();
    let exe = std::env::current_exe().unwrap();
    let spawn = |who: &str| {
        Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                &test_name(module_path!(), "child_process_adds_spans"),
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &root)
            .env("MARGINALIA_TEST_CHILD_WHO", who)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn("a");
    let b = spawn("b");
    // Both have opened the (absent) file and made their edits before either saves.
    wait_for(&root.join("ready-a"));
    wait_for(&root.join("ready-b"));
    std::fs::write(root.join("go-a"), b"").unwrap();
    let out_a = a.wait_with_output().unwrap();
    assert!(out_a.status.success());
    std::fs::write(root.join("go-b"), b"").unwrap();
    let out_b = b.wait_with_output().unwrap();
    assert!(out_b.status.success());
    let stdout_b = String::from_utf8_lossy(&out_b.stdout);
    assert!(
        stdout_b.contains("merged by span id: 2 of their spans added (2 with a new id)"),
        "{stdout_b}"
    );

    let ws = Workspace::open(&root).unwrap();
    let path = ws.layer_path("editor-a", SEED).unwrap();
    let layer = Layer::from_ron(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        exacts(&layer),
        [
            "Dmitry Peskov",
            "Mark Truss",
            "Putin asked reporters",
            "Wolfgang Schorz"
        ]
    );
    ids_unique_and_below_next(&layer);
}

// ---- Another annotator's files are read-only --------------------------------------------

#[test]
fn browsing_another_annotators_layer_leaves_its_bytes_unchanged() {
    let (_d, root) = workspace();
    let mut b = open(&root, "editor-b");
    let id = add(&mut b, "Putin asked reporters", "quote");
    add(&mut b, "Mark Truss", "error");
    b.save_now().unwrap();
    let path = b.layer_path().to_path_buf();
    drop(b);
    // Make it stale too, so opening would re-anchor it if it could write.
    let text_path = root.join(SEED);
    let t = std::fs::read_to_string(&text_path).unwrap();
    std::fs::write(&text_path, format!("Updated.\n{t}")).unwrap();
    let before = std::fs::read(&path).unwrap();
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();

    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-b", true).unwrap();
    assert!(doc.is_read_only());
    assert!(
        doc.reanchor_summary().is_some(),
        "shown re-anchored in memory"
    );
    assert_eq!(doc.layer().spans.len(), 2);
    // Every editing call is refused, and saving writes nothing.
    assert_eq!(doc.add_span(0, 5, "quote"), None);
    assert!(!doc.delete_span(id));
    assert!(!doc.retag(id, "claim"));
    assert!(!doc.set_note(id, "x"));
    assert!(!doc.set_range(id, 0, 3));
    doc.set_status(marginalia::Status::Done);
    assert_eq!(doc.undo(), None);
    doc.save_now().unwrap();
    doc.save_if_due(Instant::now() + Duration::from_secs(10));
    doc.reload_if_changed();
    drop(doc);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
}

/// Not a test on its own: the body of the children of
/// [`two_processes_saving_in_turns_as_fast_as_they_can_lose_nothing`].
#[test]
#[ignore = "the body of a child process, run by another test"]
fn child_process_adds_and_saves_in_a_loop() {
    let Ok(root) = std::env::var("MARGINALIA_TEST_LOOP_ROOT") else {
        return;
    };
    let root = PathBuf::from(root);
    let tag = std::env::var("MARGINALIA_TEST_LOOP_TAG").unwrap();
    let mut doc = open(&root, "editor-a");
    std::fs::write(root.join(format!("ready-{tag}")), b"").unwrap();
    wait_for(&root.join("go"));
    for i in 0..LOOP_SPANS {
        doc.add_span(i * 7, i * 7 + 5, &tag).unwrap();
        doc.save_now().unwrap();
    }
}

const LOOP_SPANS: usize = 40;

#[test]
fn two_processes_saving_in_turns_as_fast_as_they_can_lose_nothing() {
    let (_d, root) = workspace();
    let exe = std::env::current_exe().unwrap();
    let spawn = |tag: &str| {
        Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                &test_name(module_path!(), "child_process_adds_and_saves_in_a_loop"),
                "--test-threads=1",
            ])
            .env("MARGINALIA_TEST_LOOP_ROOT", &root)
            .env("MARGINALIA_TEST_LOOP_TAG", tag)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut a = spawn("quote");
    let mut b = spawn("claim");
    wait_for(&root.join("ready-quote"));
    wait_for(&root.join("ready-claim"));
    std::fs::write(root.join("go"), b"").unwrap();
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let ws = Workspace::open(&root).unwrap();
    let path = ws.layer_path("editor-a", SEED).unwrap();
    let layer = Layer::from_ron(&std::fs::read_to_string(path).unwrap()).unwrap();
    for tag in ["quote", "claim"] {
        let mut starts: Vec<usize> = layer
            .spans
            .iter()
            .filter(|s| s.tag == tag)
            .map(|s| s.start)
            .collect();
        starts.sort();
        let expected: Vec<usize> = (0..LOOP_SPANS).map(|i| i * 7).collect();
        assert_eq!(starts, expected, "{tag} spans");
    }
    ids_unique_and_below_next(&layer);
}

/// Starts a background save (as if its delay had passed) and waits for the writer thread's
/// outcome, taken the way the app takes it: by the next `save_if_due`.
fn save_in_background(doc: &mut Document, at: Instant) {
    assert!(doc.save_if_due(at), "a save is due");
    let give_up = Instant::now() + Duration::from_secs(20);
    while doc.is_saving() && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(5));
        doc.save_if_due(Instant::now());
    }
    assert!(!doc.is_saving(), "the writer thread answers");
}

fn set_read_only(path: &Path, read_only: bool) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    perms.set_readonly(read_only);
    std::fs::set_permissions(path, perms).unwrap();
}

#[test]
fn background_saves_write_exactly_the_layer_in_memory_through_edits_failures_and_merges() {
    let (_d, root) = workspace();
    let mut a = open(&root, "editor-a");
    let later = || Instant::now() + Duration::from_secs(1);
    let quote = add(&mut a, "Putin asked reporters", "quote");
    let error = add(&mut a, "Wolfgang Schorz", "error");
    let claim = add(&mut a, "Mark Truss", "claim");
    save_in_background(&mut a, later());
    assert_eq!(on_disk(&a), *a.layer(), "first save");

    // Changes of every kind; then edits made while the save runs are saved by the next one.
    assert!(a.retag(quote, "claim"));
    assert!(a.delete_span(error));
    let s = a.layer().span(claim).unwrap().start;
    assert!(a.set_range(claim, s + 1, s + 6));
    assert!(a.set_note(claim, "moved"));
    assert!(a.save_if_due(later()));
    let during = add(&mut a, "Dmitry Peskov", "quote");
    assert!(a.retag(quote, "error"));
    while a.is_saving() {
        std::thread::sleep(Duration::from_millis(5));
        a.save_if_due(Instant::now());
    }
    assert!(
        a.has_unsaved(),
        "the edits made during the save are not on disk yet"
    );
    save_in_background(&mut a, later());
    assert_eq!(on_disk(&a), *a.layer(), "edits made while saving");
    assert!(a.layer().span(during).is_some());

    a.undo().unwrap();
    a.undo().unwrap();
    save_in_background(&mut a, later());
    assert_eq!(on_disk(&a), *a.layer(), "after undo");
    assert!(a.layer().span(during).is_none());

    // A save refused (read-only file) sends nothing; the retry carries its changes and newer.
    assert!(a.set_note(quote, "refused first"));
    set_read_only(a.layer_path(), true);
    save_in_background(&mut a, later());
    assert!(a.has_unsaved());
    set_read_only(a.layer_path(), false);
    assert!(a.set_note(claim, "after the refusal"));
    save_in_background(&mut a, later() + marginalia::session::autosave::RETRY_DELAY);
    assert_eq!(on_disk(&a), *a.layer(), "after a refused save");

    // Another window writes: the background save finds the file changed, merges, and the
    // saves after that still write exactly what is in memory.
    let mut b = open(&root, "editor-a");
    let theirs = add(&mut b, "Mark Truss", "error");
    b.save_now().unwrap();
    assert!(a.retag(claim, "quote"));
    save_in_background(&mut a, later());
    assert!(!a.has_unsaved());
    let merged = on_disk(&a);
    assert_eq!(merged, *a.layer(), "merged");
    assert!(
        merged
            .spans
            .iter()
            .any(|s| s.id == theirs && s.tag == "error")
    );
    assert!(a.delete_span(quote));
    add(&mut a, "Wolfgang Schorz", "quote");
    save_in_background(&mut a, later());
    assert_eq!(on_disk(&a), *a.layer(), "after the merge");
    ids_unique_and_below_next(&on_disk(&a));
}

/// A journal in `dir`, and a document of editor-a that keeps unsaved edits there.
fn open_with_journal(root: &Path, dir: &Path) -> Document {
    let mut doc = open(root, "editor-a");
    doc.set_journal(marginalia::session::recovery::Journal::at(dir));
    doc
}

/// Makes the layer file unreadable so saves fail (it is never overwritten); returns what it
/// held.
fn break_layer_file(doc: &Document) -> String {
    let held = std::fs::read_to_string(doc.layer_path()).unwrap();
    std::fs::write(doc.layer_path(), "(format: 1, spans: [").unwrap();
    held
}

/// Recovery journal: Restore replaced the layer with the journal's, so a teammate's span that
/// reached the file after the failed save (`git pull`) was deleted without a word. Restore now
/// merges three-way (base: the file as the session read it) and the banner's words say what
/// it will do.
#[test]
fn restore_merges_the_journal_with_a_span_that_reached_the_file_after_the_failed_save() {
    let (_d, root) = workspace();
    let journal = tempfile::tempdir().unwrap();
    let mut a = open_with_journal(&root, journal.path());
    let old = add(&mut a, "Putin asked reporters", "quote");
    let kept = add(&mut a, "Mark Truss", "error");
    a.save_now().unwrap();
    // The session: deletes one span, adds one; the save fails and the journal keeps it.
    assert!(a.delete_span(old));
    add(&mut a, "Dmitry Peskov", "claim");
    let good = break_layer_file(&a);
    assert!(a.save_now().is_err());
    drop(a);

    // The file is fixed, and a teammate's span arrives with git pull.
    std::fs::write(
        root.join("annotations/editor-a/seeds/000_b78fa013a4a69998.ron"),
        good,
    )
    .unwrap();
    let mut teammate = open(&root, "editor-a");
    add(&mut teammate, "Wolfgang Schorz", "error");
    teammate.save_now().unwrap();
    drop(teammate);

    let mut b = open_with_journal(&root, journal.path());
    let plan = b
        .recovered()
        .expect("the journal's edits are offered")
        .plan();
    assert_eq!(
        plan.describe(false),
        "Restore adds 1 span and removes 1 from the unsaved session; the file's 1 newer span is kept"
    );
    b.restore_recovered().unwrap();
    b.save_now().unwrap();
    let layer = on_disk(&b);
    assert_eq!(
        exacts(&layer),
        ["Dmitry Peskov", "Mark Truss", "Wolfgang Schorz"],
        "the session's span and the teammate's are both on disk; the span the session deleted is gone"
    );
    assert!(layer.span(kept).is_some());
    ids_unique_and_below_next(&layer);
    assert_eq!(std::fs::read_dir(journal.path()).unwrap().count(), 0);
}

/// Recovery journal: an entry written before the journal kept the base cannot tell a span the
/// session deleted from one that arrived later: Restore then removes nothing from the file,
/// and says so.
#[test]
fn an_old_journal_entry_without_a_base_is_restored_without_removing_any_span_of_the_file() {
    let (_d, root) = workspace();
    let journal = tempfile::tempdir().unwrap();
    let mut a = open(&root, "editor-a");
    add(&mut a, "Putin asked reporters", "quote");
    a.save_now().unwrap();
    // What an older version wrote: one header line, then the layer with a span added.
    add(&mut a, "Dmitry Peskov", "claim");
    let entry = format!(
        "// marginalia recovery journal for: {}\n{}",
        a.layer_path().canonicalize().unwrap().display(),
        a.layer().to_ron()
    );
    drop(a);
    std::fs::write(journal.path().join("0123456789abcdef01234567.ron"), entry).unwrap();
    let mut teammate = open(&root, "editor-a");
    add(&mut teammate, "Wolfgang Schorz", "error");
    teammate.save_now().unwrap();
    drop(teammate);

    let mut b = open_with_journal(&root, journal.path());
    let plan = b.recovered().expect("the old entry is offered").plan();
    assert!(
        plan.describe(false).starts_with("Restore adds 1 span from the unsaved session; this entry does not say which version of the file its edits started from, so every span now in the file is kept"),
        "{}",
        plan.describe(false)
    );
    b.restore_recovered().unwrap();
    b.save_now().unwrap();
    let layer = on_disk(&b);
    assert_eq!(
        exacts(&layer),
        ["Dmitry Peskov", "Putin asked reporters", "Wolfgang Schorz"]
    );
    ids_unique_and_below_next(&layer);
    assert_eq!(
        std::fs::read_dir(journal.path()).unwrap().count(),
        0,
        "the old entry is gone"
    );
}

/// Changes from outside: a `git pull` while the document is open brings a file that records this
/// text but holds a span made on another version of it; with nothing unsaved it is reloaded, with
/// unsaved edits merged: either way the span is re-anchored, never kept at the wrong place.
#[test]
fn a_pulled_file_with_a_span_made_on_another_text_version_is_re_anchored_in_the_open_window() {
    let (_d, root) = workspace();
    let mut a = open(&root, "editor-a");
    add(&mut a, "Putin asked reporters", "quote");
    a.save_now().unwrap();
    // The pulled file: a colleague's span, its offsets from a text with a line more on top.
    let pulled = |doc: &Document, id: u64| {
        let mut layer = on_disk(doc);
        let theirs =
            marginalia::Text::from_string(&format!("One more line.\n{}", doc.text().as_str()));
        let b = theirs.as_str().find("Mark Truss").unwrap();
        let s = theirs.char_of_byte(b);
        layer.spans.push(marginalia::model::layer::make_span(
            &theirs,
            id,
            s,
            s + 10,
            "error",
            "t",
        ));
        layer.normalize();
        std::fs::write(doc.layer_path(), layer.to_ron()).unwrap();
    };
    let truss = |layer: &Layer, id: u64| {
        let s = layer.span(id).expect("the colleague's span is kept");
        assert_eq!(s.exact, "Mark Truss");
        (s.start, s.end)
    };
    let expected = {
        let b = a.text().as_str().find("Mark Truss").unwrap();
        let s = a.text().char_of_byte(b);
        (s, s + 10)
    };
    // Reloaded: nothing unsaved.
    pulled(&a, 50);
    assert!(a.reload_if_changed());
    assert_eq!(truss(a.layer(), 50), expected);
    assert!(
        a.take_notices()
            .iter()
            .any(|n| n.contains("1 span re-anchored after a merge")),
    );
    a.save_now().unwrap();
    // Merged: an unsaved edit of ours meets the pulled file.
    add(&mut a, "Wolfgang Schorz", "error");
    pulled(&a, 60);
    a.save_now().unwrap();
    let layer = on_disk(&a);
    assert_eq!(truss(&layer, 60), expected);
    assert_eq!(layer.spans.len(), 4);
}
