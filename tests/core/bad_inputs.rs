//! Bad inputs give one clear error naming the file and the problem, and nothing is overwritten:
//! a text that is not UTF-8, a truncated annotation file, wrong offsets, an unknown tag.

use std::path::Path;

use marginalia::model::layer::Layer;
use marginalia::model::text::TextError;
use marginalia::session::document::OpenError;
use marginalia::session::engine::Editing;
use marginalia::{Document, Workspace};

use crate::support::files::{copy_workspace, edit, repo};

const SEED: &str = "seeds/000_b78fa013a4a69998.txt";
const LAYER: &str = "annotations/editor-a/seeds/000_b78fa013a4a69998.ron";

/// Opens the seed for editor-a, expecting an error; checks the layer file and the text are
/// byte-for-byte unchanged afterwards, also after trying to save. Returns the error.
fn open_fails_and_changes_nothing(root: &Path) -> OpenError {
    let layer_path = root.join(LAYER);
    let text_path = root.join(SEED);
    let layer_before = std::fs::read(&layer_path).unwrap();
    let text_before = std::fs::read(&text_path).unwrap();
    let ws = Workspace::open(root).unwrap();
    let err = Document::open(&ws, SEED, "editor-a", false).expect_err("open must fail");
    assert_eq!(
        std::fs::read(&layer_path).unwrap(),
        layer_before,
        "layer file changed"
    );
    assert_eq!(
        std::fs::read(&text_path).unwrap(),
        text_before,
        "text changed"
    );
    let leftovers: Vec<_> = std::fs::read_dir(layer_path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".marginalia-tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    err
}

#[test]
fn a_text_that_is_not_utf8_names_the_file_and_the_byte_offset() {
    let dir = copy_workspace();
    let text_path = dir.path().join(SEED);
    let mut bytes = std::fs::read(&text_path).unwrap();
    // Corrupt the second byte of the first ’ (E2 80 99), well inside the file.
    let at = bytes.windows(3).position(|w| w == "’".as_bytes()).unwrap() + 1;
    bytes[at] = 0xFF;
    std::fs::write(&text_path, &bytes).unwrap();

    let err = open_fails_and_changes_nothing(dir.path());
    match &err {
        OpenError::Text(TextError::NotUtf8 { path, byte_offset }) => {
            assert!(path.ends_with("000_b78fa013a4a69998.txt"), "{path}");
            // The first bad byte is where the broken sequence starts.
            assert_eq!(*byte_offset, at - 1);
        }
        other => panic!("expected NotUtf8, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("000_b78fa013a4a69998.txt"), "{msg}");
    assert!(msg.contains(&format!("byte offset {}", at - 1)), "{msg}");
}

#[test]
fn a_text_with_invalid_utf8_at_the_very_end_is_reported_too() {
    let dir = copy_workspace();
    let text_path = dir.path().join(SEED);
    let mut bytes = std::fs::read(&text_path).unwrap();
    let len = bytes.len();
    bytes.push(0xC3); // a lone lead byte: a truncated two-byte sequence
    std::fs::write(&text_path, &bytes).unwrap();
    let msg = open_fails_and_changes_nothing(dir.path()).to_string();
    assert!(msg.contains(&format!("byte offset {len}")), "{msg}");
}

#[test]
fn a_truncated_annotation_file_is_an_error_and_is_never_overwritten() {
    let dir = copy_workspace();
    let layer_path = dir.path().join(LAYER);
    let full = std::fs::read(&layer_path).unwrap();
    std::fs::write(&layer_path, &full[..full.len() / 2]).unwrap();

    let err = open_fails_and_changes_nothing(dir.path());
    assert!(matches!(err, OpenError::Store(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("editor-a/seeds/000_b78fa013a4a69998.ron"),
        "{msg}"
    );
    assert!(msg.contains("not a valid annotation file"), "{msg}");
}

#[test]
fn a_file_truncated_while_open_is_not_overwritten_by_the_next_save() {
    let dir = copy_workspace();
    let ws = Workspace::open(dir.path()).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-a", false).unwrap();
    let layer_path = dir.path().join(LAYER);
    let full = std::fs::read(&layer_path).unwrap();
    // Someone else breaks the file (a bad merge, a half-synced copy)…
    let broken = &full[..full.len() - 40];
    std::fs::write(&layer_path, broken).unwrap();
    // …while this window still has an edit to save.
    doc.add_span(0, 5, "claim").unwrap();
    let err = doc.save_now().expect_err("save must refuse");
    assert!(
        err.to_string().contains("000_b78fa013a4a69998.ron"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&layer_path).unwrap(),
        broken,
        "broken file was overwritten"
    );
    assert!(
        doc.has_unsaved(),
        "the edit must stay pending, not be dropped"
    );
}

#[test]
fn wrong_offsets_are_an_error_naming_the_span() {
    let dir = copy_workspace();
    let layer_path = dir.path().join(LAYER);
    // Span 28 is "Mark Truss" at 4039..4049; its start moved by one char, so its offsets no
    // longer hold as many chars as its quote: damaged, not merged.
    edit(
        &layer_path,
        "start: 4039,\n            end: 4049,",
        "start: 4040,\n            end: 4049,",
    );
    let msg = open_fails_and_changes_nothing(dir.path()).to_string();
    assert!(msg.contains("000_b78fa013a4a69998.ron"), "{msg}");
    assert!(
        msg.contains("span 28") && msg.contains("Mark Truss"),
        "{msg}"
    );
}

/// Layers from another version of the text: offsets shifted whole, as a git merge leaves a span
/// made on another version of the text, are not an error any more: the span is found again and the
/// file says so.
#[test]
fn shifted_offsets_are_re_anchored_as_after_a_merge() {
    let dir = copy_workspace();
    let layer_path = dir.path().join(LAYER);
    edit(
        &layer_path,
        "start: 4039,\n            end: 4049,",
        "start: 4040,\n            end: 4050,",
    );
    let ws = Workspace::open(dir.path()).unwrap();
    let doc = Document::open(&ws, SEED, "editor-a", false).unwrap();
    let summary = doc.reanchor_summary().expect("re-anchored");
    assert!(summary.after_merge && summary.moved == 1, "{summary:?}");
    let span = doc.layer().span(28).unwrap();
    assert_eq!(
        (span.start, span.end, &*span.exact),
        (4039, 4049, "Mark Truss")
    );
    let on_disk = std::fs::read_to_string(&layer_path).unwrap();
    assert!(on_disk.contains("start: 4039,\n            end: 4049,"));
}

#[test]
fn offsets_past_the_end_are_an_error() {
    let dir = copy_workspace();
    let layer_path = dir.path().join(LAYER);
    edit(
        &layer_path,
        "start: 4039,\n            end: 4049,",
        "start: 4039,\n            end: 9999,",
    );
    let msg = open_fails_and_changes_nothing(dir.path()).to_string();
    assert!(
        msg.contains("span 28") && msg.contains("past the end"),
        "{msg}"
    );
}

#[test]
fn an_unknown_tag_is_an_error_naming_the_tag() {
    let dir = copy_workspace();
    let layer_path = dir.path().join(LAYER);
    edit(
        &layer_path,
        "tag: \"error\",\n            exact: \"Mark Truss\"",
        "tag: \"rumour\",\n            exact: \"Mark Truss\"",
    );
    let msg = open_fails_and_changes_nothing(dir.path()).to_string();
    assert!(msg.contains("000_b78fa013a4a69998.ron"), "{msg}");
    assert!(msg.contains("unknown tag \"rumour\""), "{msg}");
}

#[test]
fn the_untouched_copy_opens_so_the_failures_above_are_the_edits() {
    let dir = copy_workspace();
    let ws = Workspace::open(dir.path()).unwrap();
    let doc = Document::open(&ws, SEED, "editor-a", false).unwrap();
    let shipped = Layer::from_ron(&std::fs::read_to_string(repo().join(LAYER)).unwrap()).unwrap();
    assert_eq!(doc.layer(), &shipped);
}

/// The document list reads every text with `Document::glance`, which only checks a text that
/// has no layer file rather than opening it: for each bad input, with and without a layer, it
/// gives what opening read-only gives (the same status and span count, or the same error),
/// and the text's title.
#[test]
fn the_document_lists_glance_gives_what_opening_gives_for_every_bad_input() {
    let dir = copy_workspace();
    let root = dir.path();
    let text_path = root.join(SEED);
    let same = |annotator: &str| -> Result<(String, usize), String> {
        let ws = Workspace::open(root).unwrap();
        let glance = Document::glance(&ws, SEED, annotator);
        let opened = Document::open(&ws, SEED, annotator, true)
            .map(|d| (format!("{:?}", d.layer().status), d.layer().spans.len()))
            .map_err(|e| e.to_string());
        let glanced = (glance.opened)
            .map(|(status, n)| (format!("{status:?}"), n))
            .map_err(|e| e.to_string());
        assert_eq!(glanced, opened, "{annotator}");
        glanced
    };
    let title = || {
        let ws = Workspace::open(root).unwrap();
        Document::glance(&ws, SEED, "nobody").title
    };
    // Untouched: editor-a's layer, and no layer for nobody.
    assert!(same("editor-a").unwrap().1 > 0);
    assert_eq!(same("nobody"), Ok(("NotStarted".into(), 0)));
    assert!(same("no/such").is_err(), "a bad layer name");
    let original = title().expect("the seed has a title");
    assert_eq!(
        Document::read_title(&Workspace::open(root).unwrap(), SEED),
        Some(original.clone())
    );

    // A byte order mark: the same, and the same title.
    let bytes = std::fs::read(&text_path).unwrap();
    std::fs::write(&text_path, [b"\xEF\xBB\xBF".as_slice(), &bytes].concat()).unwrap();
    assert_eq!(same("nobody"), Ok(("NotStarted".into(), 0)));
    assert!(same("editor-a").is_ok(), "re-anchored to the same text");
    assert_eq!(title(), Some(original.clone()));

    // Not UTF-8 after the first line: an error with and without a layer; the title stays.
    let mut broken = bytes.clone();
    let at = broken.windows(3).position(|w| w == "’".as_bytes()).unwrap() + 1;
    broken[at] = 0xFF;
    std::fs::write(&text_path, &broken).unwrap();
    assert!(same("nobody").unwrap_err().contains("byte offset"));
    assert!(same("editor-a").is_err());
    assert_eq!(title(), Some(original));

    // A truncated layer, with the text back.
    std::fs::write(&text_path, &bytes).unwrap();
    let layer = std::fs::read(root.join(LAYER)).unwrap();
    std::fs::write(root.join(LAYER), &layer[..layer.len() / 2]).unwrap();
    assert!(
        same("editor-a")
            .unwrap_err()
            .contains("000_b78fa013a4a69998.ron")
    );
    assert_eq!(same("nobody"), Ok(("NotStarted".into(), 0)));

    // Layers that parse but do not check, or need re-anchoring: the list walks a layer
    // without making it only when it checks, and reads the others as opening does.
    let layer = String::from_utf8(layer).unwrap();
    let edits: [(&str, &str, bool); 7] = [
        ("tag: \"claim\"", "tag: \"rumour\"", false),
        ("end: 307,", "end: 99999,", false),
        ("end: 307,", "end: 253,", false),
        (
            "id: 2,\n            start: 579",
            "id: 1,\n            start: 579",
            false,
        ),
        ("annotator: \"editor-a\"", "annotator: \"editor-b\"", false),
        ("exact: \"The two have", "exact: \"The six have", true),
        ("text_sha256: \"000e", "text_sha256: \"111e", true),
    ];
    for (from, to, opens) in edits {
        assert!(layer.contains(from), "{from}");
        std::fs::write(root.join(LAYER), layer.replacen(from, to, 1)).unwrap();
        assert_eq!(same("editor-a").is_ok(), opens, "{from} → {to}");
    }
    // A layer that cannot be read (a folder in its place, a link to nothing): its error.
    std::fs::remove_file(root.join(LAYER)).unwrap();
    std::fs::create_dir(root.join(LAYER)).unwrap();
    assert!(
        same("editor-a")
            .unwrap_err()
            .contains("000_b78fa013a4a69998.ron")
    );
    std::fs::remove_dir(root.join(LAYER)).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("nowhere.ron"), root.join(LAYER)).unwrap();
        assert!(same("editor-a").is_err(), "a link to nothing");
        std::fs::remove_file(root.join(LAYER)).unwrap();
    }
    std::fs::write(root.join(LAYER), &layer).unwrap();
    let spans = Layer::from_ron(&layer).unwrap().spans.len();
    assert_eq!(same("editor-a").map(|(_, n)| n), Ok(spans));

    // A folder where the text was: unreadable, both ways.
    std::fs::remove_file(&text_path).unwrap();
    std::fs::create_dir(&text_path).unwrap();
    assert!(same("nobody").is_err());
    assert!(same("editor-a").is_err());
    assert_eq!(title(), None);
}
