//! Hostile and broken input. Each case gives one clear error naming the file and
//! the problem, or a safe documented behaviour; never a panic, a hang, unbounded memory or a
//! write outside the workspace. Ends with mutation fuzzing of the layer loader.

use std::path::{Path, PathBuf};

use marginalia::cli::{Command, run_command};
use marginalia::model::layer::{Layer, make_span};
use marginalia::session::engine::Editing;
use marginalia::store;
use marginalia::{Document, Text, Workspace};
use proptest::prelude::*;

const SEED: &str = "seeds/000_b78fa013a4a69998.txt";

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("seeds")).unwrap();
    std::fs::create_dir_all(root.join("annotations/editor-a/seeds")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED),
        root.join(SEED),
    )
    .unwrap();
    (dir, root)
}

fn layer_file(root: &Path) -> PathBuf {
    root.join("annotations/editor-a/seeds/000_b78fa013a4a69998.ron")
}

/// A valid layer of the seed with three spans, as RON.
fn valid_ron(root: &Path) -> String {
    let text = Text::load(&root.join(SEED)).unwrap();
    let mut layer = Layer::new(SEED, &text, "editor-a");
    for (s, e, tag) in [
        (0, 44, "boilerplate"),
        (46, 67, "quote"),
        (150, 160, "claim"),
    ] {
        let id = layer.take_id();
        let mut span = make_span(&text, id, s, e, tag, "2026-11-21T10:00:00Z");
        span.note = "a note".into();
        span.attrs.insert("k".into(), "v".into());
        layer.spans.push(span);
    }
    layer.to_ron()
}

/// Writes `content` as editor-a's layer and opens the document: must fail with a message that
/// names the file and contains `problem`; and the file must be left as it was.
fn refused(content: &str, problem: &str) {
    let (_d, root) = workspace();
    let path = layer_file(&root);
    std::fs::write(&path, content).unwrap();
    let ws = Workspace::open(&root).unwrap();
    let err = Document::open(&ws, SEED, "editor-a", false)
        .expect_err("a broken file must not open")
        .to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains(problem), "expected {problem:?} in {err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        content,
        "never overwritten"
    );
    // `validate` reports it too, naming the file, and fails.
    let (mut out, mut errs) = (Vec::new(), Vec::new());
    let code = run_command(
        Command::Validate {
            path: Some(root.clone()),
        },
        &mut out,
        &mut errs,
    );
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("000_b78fa013a4a69998.ron: "), "{out}");
}

#[test]
fn broken_annotation_files_are_refused_with_the_file_and_the_problem() {
    let (_d, root) = workspace();
    let valid = valid_ron(&root);
    refused("this is not RON at all {", "not a valid annotation file");
    refused(&valid[..valid.len() / 2], "not a valid annotation file");
    refused(
        &valid.replace("format: 1,", "format: 7,"),
        "unknown format version 7",
    );
    refused(
        &valid.replacen(
            "start: 0,\n            end: 44,",
            "start: 44,\n            end: 0,",
            1,
        ),
        "has start 44 > end 0",
    );
    refused(
        &valid.replacen("end: 160,", "end: 99999,", 1),
        "past the end of the text",
    );
    refused(
        &valid.replacen("start: 150,", "start: -150,", 1),
        "not a valid annotation file",
    );
    refused(
        &valid.replacen("end: 160,", "end: 184467440737095516150000,", 1),
        "not a valid annotation file",
    );
    refused(
        &valid.replacen(
            "start: 150,\n            end: 160,",
            "start: 18446744073709551614,\n            end: 18446744073709551615,",
            1,
        ),
        "past the end of the text",
    );
    refused(
        &valid.replacen("id: 3,", "id: 1,", 1),
        "span id 1 is used more than once",
    );
    refused(
        &valid.replacen("tag: \"claim\"", "tag: \"rumour\"", 1),
        "unknown tag \"rumour\"",
    );
    refused(
        &valid.replacen("exact: \"After the", "exact: \"Before the", 1),
        "does not match the text there",
    );
    refused(
        &valid.replace("annotator: \"editor-a\"", "annotator: \"editor-b\""),
        "differs from its folder",
    );
    let deep = format!(
        "(format: 1, spans: {}{})",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    refused(&deep, "not a valid annotation file");
    let deep_attrs = valid.replacen(
        "attrs: {",
        &format!("attrs: {{\"x\": {}", "(".repeat(50_000)),
        1,
    );
    refused(&deep_attrs, "not a valid annotation file");
}

#[test]
fn a_huge_annotation_file_is_refused_without_reading_it() {
    // A note string past the limit for annotation files (a sparse file: no disk is used).
    let (_d, root) = workspace();
    let path = layer_file(&root);
    let valid = valid_ron(&root);
    let mut f = std::fs::File::create(&path).unwrap();
    use std::io::Write;
    let (head, _) = valid.split_once("note: \"a note\"").unwrap();
    f.write_all(head.as_bytes()).unwrap();
    f.write_all(b"note: \"").unwrap();
    f.set_len(store::MAX_LAYER_BYTES + (1 << 20)).unwrap();
    drop(f);
    let ws = Workspace::open(&root).unwrap();
    let err = Document::open(&ws, SEED, "editor-a", false)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(
        err.contains(&format!("over the {}-byte limit", store::MAX_LAYER_BYTES)),
        "{err}"
    );
    // A 30 MB string under the limit parses in bounded time and memory.
    let big = valid.replacen(
        "note: \"a note\"",
        &format!("note: \"{}\"", "y".repeat(30 << 20)),
        1,
    );
    let layer = marginalia::model::layer::parse_layer(&path, big.as_bytes()).unwrap();
    assert_eq!(layer.spans[0].note.len(), 30 << 20);
}

#[test]
fn a_text_path_outside_the_workspace_in_a_file_is_never_followed() {
    // The file's place decides its text; the `text` field is only checked (validate) and
    // rewritten on save.
    let (_d, root) = workspace();
    let path = layer_file(&root);
    let valid = valid_ron(&root);
    std::fs::write(&path, valid.replace(SEED, "../../../etc/passwd")).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_command(
        Command::Validate {
            path: Some(root.clone()),
        },
        &mut out,
        &mut err,
    );
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 1);
    assert!(out.contains("text path \"../../../etc/passwd\" in the file should be \"seeds/000_b78fa013a4a69998.txt\""), "{out}");
    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-a", false).unwrap();
    assert!(doc.text().as_str().starts_with("After the russia-France"));
    doc.set_status(marginalia::Status::Done);
    doc.save_now().unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.contains(&format!("text: \"{SEED}\"")), "{saved}");
}

#[test]
fn broken_texts_give_clear_errors_or_documented_behaviour() {
    let (_d, root) = workspace();
    let ws = Workspace::open(&root).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(root.join("seeds").join(name), bytes).unwrap();
        format!("seeds/{name}")
    };
    // Invalid UTF-8: the error names the file and the byte offset.
    let rel = write("bad.txt", b"caf\xC3\xA9 ok \xFF\xFE then");
    let err = Document::open(&ws, &rel, "editor-a", false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.txt: not valid UTF-8 (first bad byte at byte offset 9)"),
        "{err}"
    );
    // NUL bytes are ordinary characters.
    let rel = write("nul.txt", b"a\0b\0c Putin");
    let mut doc = Document::open(&ws, &rel, "editor-a", false).unwrap();
    let id = doc.add_span(6, 11, "quote").unwrap();
    assert_eq!(doc.layer().span(id).unwrap().exact, "Putin");
    doc.save_now().unwrap();
    // Empty: opens with nothing to select.
    let rel = write("empty.txt", b"");
    let mut doc = Document::open(&ws, &rel, "editor-a", false).unwrap();
    assert_eq!(doc.text().char_len(), 0);
    assert_eq!(doc.add_span(0, 1, "quote"), None);
    // BOM: not part of the text; offsets start after it.
    let rel = write("bom.txt", "\u{feff}“Hi” said Putin".as_bytes());
    let mut doc = Document::open(&ws, &rel, "editor-a", false).unwrap();
    let id = doc.add_span(10, 15, "quote").unwrap();
    assert_eq!(doc.layer().span(id).unwrap().exact, "Putin");
    // CRLF and a lone CR are kept as characters.
    let rel = write("cr.txt", b"one\r\ntwo\rthree");
    let mut doc = Document::open(&ws, &rel, "editor-a", false).unwrap();
    let id = doc.add_span(9, 14, "claim").unwrap();
    assert_eq!(doc.layer().span(id).unwrap().exact, "three");
    // One 5 MB line: opens, and snapping at its end looks only at a window.
    let long = "word ".repeat(1_000_000) + "Putin";
    let rel = write("long.txt", long.as_bytes());
    let mut doc = Document::open(&ws, &rel, "editor-a", false).unwrap();
    let n = doc.text().char_len();
    let marginalia::CharRange { start: s, end: e } = doc.text().snap_to_words(n - 3, n - 1);
    assert_eq!(doc.text().slice(s, e), "Putin");
    doc.add_span(s, e, "quote").unwrap();
    doc.save_now().unwrap();
}

#[test]
fn a_text_over_the_size_limit_is_refused_with_the_limit_and_how_to_raise_it() {
    let (_d, root) = workspace();
    std::fs::write(root.join("seeds/big.txt"), "x".repeat(5000)).unwrap();
    std::fs::write(
        root.join("annotations/editor-a/seeds/big.ron"),
        Layer::new("seeds/big.txt", &Text::from_string("x"), "editor-a").to_ron(),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_marginalia"))
        .args(["validate", root.to_str().unwrap()])
        .env("MARGINALIA_MAX_TEXT_BYTES", "4096")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        stdout.contains("big.txt: the text is 5000 bytes, over the limit of 4096 bytes (set MARGINALIA_MAX_TEXT_BYTES to raise it)"),
        "{stdout}"
    );
}

#[test]
fn bad_tag_sets_are_refused_naming_the_file() {
    let cases = [
        (
            r##"(tags: [(name: "quote", color: "#112233", hotkey: "1"), (name: "quote", color: "#112233", hotkey: "2")])"##,
            "duplicate tag name \"quote\"",
        ),
        (
            r##"(tags: [(name: "quote", color: "#112233", hotkey: "1"), (name: "claim", color: "#112233", hotkey: "1")])"##,
            "hotkey",
        ),
        (
            r##"(tags: [(name: "quote", color: "blue", hotkey: "1")])"##,
            "colour \"blue\"; expected #rrggbb",
        ),
    ];
    for (src, problem) in cases {
        let (_d, root) = workspace();
        let path = root.join("annotations/tags.ron");
        std::fs::write(&path, src).unwrap();
        let err = Workspace::open(&root).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains(problem), "expected {problem:?} in {err}");
    }
}

#[cfg(unix)]
#[test]
fn symlinks_leading_outside_the_workspace_are_not_followed_for_writes() {
    let (_d, root) = workspace();
    let outside = tempfile::tempdir().unwrap();
    // The annotator's folder is a link to a folder outside the workspace.
    std::fs::remove_dir_all(root.join("annotations/editor-a")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("annotations/editor-a")).unwrap();
    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-a", false).unwrap();
    doc.add_span(0, 5, "quote").unwrap();
    let err = doc.save_now().unwrap_err().to_string();
    assert!(err.contains("leads outside the workspace"), "{err}");
    assert!(
        std::fs::read_dir(outside.path()).unwrap().next().is_none(),
        "nothing written outside"
    );
    assert!(doc.has_unsaved(), "the edit is kept and retried");

    // The layer file itself is a link to a file outside.
    let (_d2, root2) = workspace();
    let target = outside.path().join("victim.ron");
    std::fs::write(&target, b"precious").unwrap();
    std::os::unix::fs::symlink(&target, layer_file(&root2)).unwrap();
    let ws2 = Workspace::open(&root2).unwrap();
    let opened = Document::open(&ws2, SEED, "editor-a", false);
    assert!(opened.is_err(), "its content is not a layer");
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    let layer = Layer::new(SEED, &Text::load(&root2.join(SEED)).unwrap(), "editor-a");
    let err = marginalia::model::layer::save_layer(&layer_file(&root2), &layer)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("refusing to write through a symbolic link"),
        "{err}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
}

#[test]
fn bad_annotator_names_are_refused_with_a_reason() {
    let (_d, root) = workspace();
    let ws = Workspace::open(&root).unwrap();
    for (name, reason) in [
        ("../x", "starts with '.'"),
        ("x/../y", "'/'"),
        ("con", "device name on Windows"),
        ("COM1", "device name on Windows"),
        ("nul.txt", "device name on Windows"),
        ("", "empty"),
        ("a/b", "'/'"),
        ("..", "starts with '.'"),
        (".git", "starts with '.'"),
        ("-x", "starts with '-'"),
        ("a.", "ends with '.'"),
    ] {
        let err = Document::open(&ws, SEED, name, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains(reason), "{name:?}: {err}");
    }
    assert!(!root.join("x").exists() && !root.join("annotations/con").exists());
}

#[test]
fn a_file_with_its_span_ids_used_up_cannot_take_a_duplicate_id() {
    let (_d, root) = workspace();
    let valid = valid_ron(&root);
    let src = valid.replacen("id: 3,", "id: 18446744073709551615,", 1);
    std::fs::write(layer_file(&root), src).unwrap();
    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-a", false).unwrap();
    assert_eq!(doc.add_span(300, 310, "quote"), None);
    assert!(
        doc.take_notices()
            .iter()
            .any(|n| n.contains("used up its span ids"))
    );
}

// ---- Mutation fuzzing -----------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    /// Copy `len` bytes from `from` to `to` (splices fields into other places).
    Splice {
        from: usize,
        len: usize,
        to: usize,
    },
    /// Replace a number with another.
    Number(usize, u64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), 1usize..200, any::<usize>())
            .prop_map(|(from, len, to)| Mutation::Splice { from, len, to }),
        (
            any::<usize>(),
            prop_oneof![Just(0u64), Just(u64::MAX), 0u64..5000]
        )
            .prop_map(|(i, n)| Mutation::Number(i, n)),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len().max(1);
    match *m {
        Mutation::Flip(i, b) => {
            let i = i % n;
            if i < bytes.len() {
                bytes[i] ^= b;
            }
        }
        Mutation::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
        Mutation::Delete(i, len) => {
            let i = i % n;
            let end = (i + len).min(bytes.len());
            bytes.drain(i.min(end)..end);
        }
        Mutation::Splice { from, len, to } => {
            let from = from % n;
            let end = (from + len).min(bytes.len());
            let piece: Vec<u8> = bytes[from.min(end)..end].to_vec();
            let to = to % (bytes.len() + 1);
            bytes.splice(to..to, piece);
        }
        Mutation::Number(i, v) => {
            let start = i % n;
            if let Some(off) = bytes[start.min(bytes.len())..]
                .iter()
                .position(u8::is_ascii_digit)
            {
                let s = start + off;
                let e = s + bytes[s..].iter().take_while(|b| b.is_ascii_digit()).count();
                bytes.splice(s..e, v.to_string().into_bytes());
            }
        }
    }
}

fn fixture() -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let (d, root) = workspace();
    let valid = valid_ron(&root).into_bytes();
    (d, root, valid)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_layer_files_never_panic_the_parser(muts in prop::collection::vec(mutation(), 1..6)) {
        thread_local!(static FIX: (tempfile::TempDir, PathBuf, Vec<u8>) = fixture());
        FIX.with(|(_, root, valid)| {
            let mut bytes = valid.clone();
            for m in &muts {
                mutate(&mut bytes, m);
            }
            let path = layer_file(root);
            if let Err(e) = marginalia::model::layer::parse_layer(&path, &bytes) {
                prop_assert!(e.to_string().contains(&path.display().to_string()));
            }
            Ok(())
        })?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_layer_files_never_panic_the_document(muts in prop::collection::vec(mutation(), 1..4)) {
        thread_local!(static FIX: (tempfile::TempDir, PathBuf, Vec<u8>) = fixture());
        FIX.with(|(_, root, valid)| {
            let mut bytes = valid.clone();
            for m in &muts {
                mutate(&mut bytes, m);
            }
            let path = layer_file(root);
            std::fs::write(&path, &bytes).unwrap();
            let ws = Workspace::open(root).unwrap();
            // Read-only, so every case starts from the mutated bytes; Ok or Err, never a panic.
            match Document::open(&ws, SEED, "editor-a", true) {
                Ok(doc) => {
                    for s in &doc.layer().spans {
                        prop_assert_eq!(doc.text().slice(s.start, s.end), s.exact.as_str());
                    }
                }
                Err(e) => prop_assert!(e.to_string().contains("000_b78fa013a4a69998")),
            }
            prop_assert_eq!(std::fs::read(&path).unwrap(), bytes);
            Ok(())
        })?;
    }
}
