//! The workspace rule (like git's `.git`): where the root is, which files are texts, where each
//! annotator's files go, and which annotator names are accepted.

use std::path::{Path, PathBuf};

use marginalia::Document;
use marginalia::workspace::{Workspace, WorkspaceError, check_annotator, find_root};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn write(path: &Path, s: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, s).unwrap();
}

fn rels(ws: &Workspace) -> Vec<String> {
    ws.texts().into_iter().map(|t| t.rel).collect()
}

fn canon(p: &Path) -> PathBuf {
    p.canonicalize().unwrap()
}

#[test]
fn a_nested_folder_finds_the_annotations_folder_above_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("news");
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    write(&root.join("2022/feb/07/a.txt"), "Macron met Putin.");
    let deep = root.join("2022/feb/07");
    assert_eq!(find_root(&deep), canon(&root));
    let ws = Workspace::open(&deep).unwrap();
    assert_eq!(ws.root(), canon(&root));
    assert_eq!(rels(&ws), vec!["2022/feb/07/a.txt"]);
    // Files go under the root's annotations/, mirroring the text's path.
    assert_eq!(
        ws.layer_path("editor-a", "2022/feb/07/a.txt").unwrap(),
        canon(&root).join("annotations/editor-a/2022/feb/07/a.ron")
    );
}

#[test]
fn the_nearest_annotations_folder_wins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("annotations")).unwrap();
    std::fs::create_dir_all(dir.path().join("inner/annotations")).unwrap();
    write(&dir.path().join("inner/x/t.txt"), "x");
    assert_eq!(
        find_root(&dir.path().join("inner/x")),
        canon(&dir.path().join("inner"))
    );
}

#[test]
fn a_text_file_opened_directly_uses_the_workspace_around_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("annotations")).unwrap();
    let file = dir.path().join("texts/one.txt");
    write(&file, "One.");
    let ws = Workspace::open(&file).unwrap();
    assert_eq!(ws.root(), canon(dir.path()));
    assert_eq!(ws.rel_of(&file).unwrap(), "texts/one.txt");
}

#[test]
fn without_annotations_the_root_is_the_opened_folder_or_the_files_folder() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("loose");
    let file = folder.join("story.txt");
    write(&file, "Russia has denied that it wants to invade Ukraine.");
    assert_eq!(Workspace::open(&folder).unwrap().root(), canon(&folder));
    let ws = Workspace::open(&file).unwrap();
    assert_eq!(ws.root(), canon(&folder));
    assert!(
        !folder.join("annotations").exists(),
        "opening must not create files"
    );

    // The first save creates annotations/ there.
    let mut doc = Document::open(&ws, "story.txt", "editor-a", false).unwrap();
    doc.add_span(0, 6, "claim").unwrap();
    doc.save_now().unwrap();
    let saved = folder.join("annotations/editor-a/story.ron");
    let src = std::fs::read_to_string(&saved).unwrap();
    assert!(src.contains("exact: \"Russia\""), "{src}");
    assert!(src.contains("text: \"story.txt\""), "{src}");
    // And from now on that folder is found as the root from below, too.
    std::fs::create_dir_all(folder.join("sub")).unwrap();
    assert_eq!(find_root(&folder.join("sub")), canon(&folder));
}

#[test]
fn hidden_folders_target_and_annotations_hold_no_texts() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("annotations")).unwrap();
    for p in [
        "a.txt",
        "news/b.txt",
        ".git/c.txt",
        "news/.cache/d.txt",
        "target/e.txt",
        "news/target/f.txt",
        "annotations/g.txt",
        "annotations/editor-a/h.txt",
        ".hidden.txt",
        "news/notes.md",
    ] {
        write(&r.join(p), "text");
    }
    let ws = Workspace::open(r).unwrap();
    // A hidden *file* is left out like a hidden folder.
    assert_eq!(rels(&ws), vec!["a.txt", "news/b.txt"]);
}

#[test]
fn workspace_ron_narrows_the_texts_to_its_folders() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        &r.join("annotations/workspace.ron"),
        "(texts: [\"seeds\", \"more/texts\"])",
    );
    for p in [
        "seeds/1.txt",
        "seeds/sub/2.txt",
        "more/texts/3.txt",
        "more/4.txt",
        "tests/fixtures/5.txt",
        "6.txt",
    ] {
        write(&r.join(p), "text");
    }
    let ws = Workspace::open(&r.join("seeds")).unwrap();
    assert_eq!(
        rels(&ws),
        vec!["more/texts/3.txt", "seeds/1.txt", "seeds/sub/2.txt"]
    );
}

#[test]
fn workspace_ron_that_leaves_the_root_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("annotations/workspace.ron");
    write(&cfg, "(texts: [\"../elsewhere\"])");
    let err = Workspace::open(dir.path()).unwrap_err();
    assert!(matches!(err, WorkspaceError::BadConfig { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("workspace.ron") && msg.contains("../elsewhere"),
        "{msg}"
    );

    write(&cfg, "(texts: [\"seeds\"");
    let msg = Workspace::open(dir.path()).unwrap_err().to_string();
    assert!(
        msg.contains("workspace.ron") && msg.contains("not a valid workspace.ron"),
        "{msg}"
    );
}

#[test]
fn the_repository_is_a_workspace_of_exactly_the_five_seeds() {
    for opened in [
        repo(),
        repo().join("seeds"),
        repo().join("src"),
        repo().join("seeds/000_b78fa013a4a69998.txt"),
    ] {
        let ws = Workspace::open(&opened).unwrap();
        assert_eq!(ws.root(), canon(&repo()), "opened {}", opened.display());
        assert_eq!(
            rels(&ws),
            vec![
                "seeds/000_b78fa013a4a69998.txt",
                "seeds/001_3e981e5bab7b45a2.txt",
                "seeds/002_c14de4e8ffe1b554.txt",
                "seeds/003_2bc22f07f8fd66ef.txt",
                "seeds/004_2bdf081e938a524a.txt",
            ]
        );
        assert_eq!(ws.layer_names(), vec!["editor-a", "editor-b"]);
    }
}

#[test]
fn layer_paths_never_leave_the_annotations_folder() {
    let ws = Workspace::open(&repo()).unwrap();
    assert!(ws.layer_path("../x", "seeds/a.txt").is_none());
    assert!(ws.layer_path("editor-a", "../a.txt").is_none());
    assert!(ws.layer_path("editor-a", "/etc/passwd").is_none());
    assert!(ws.text_path("seeds/../../x.txt").is_none());
    let p = ws
        .layer_path("editor-a", "seeds/000_b78fa013a4a69998.txt")
        .unwrap();
    assert!(p.starts_with(ws.annotations_dir().join("editor-a")));
    assert!(p.ends_with("seeds/000_b78fa013a4a69998.ron"));
    // The reserved curated layer has its own folder.
    assert!(
        ws.layer_path("curated", "seeds/000_b78fa013a4a69998.txt")
            .is_some()
    );
}

#[test]
fn annotator_names_follow_the_documented_rule() {
    let long_ok = "a".repeat(64);
    for ok in [
        "editor-a",
        "editor-b",
        "a",
        "Z",
        "x.y_z-1",
        "jane.doe",
        "2026",
        long_ok.as_str(),
        // Only whole device names are reserved, not names that start like one.
        "console",
        "com10",
    ] {
        assert_eq!(check_annotator(ok), Ok(()), "{ok:?} should be accepted");
    }
    let long_bad = "a".repeat(65);
    let cases = [
        ("", "empty"),
        (".", "starts with '.'"),
        ("..", "starts with '.'"),
        ("../x", "starts with '.'"),
        ("x/../y", "'/'"),
        // Hidden, reserved, option-like or uncheckoutable on Windows (issue 9 §9).
        (".hidden", "starts with '.'"),
        (".git", "starts with '.'"),
        (".marginalia-tmp-1", "starts with '.'"),
        ("...", "starts with '.'"),
        ("-x", "starts with '-'"),
        ("a.", "ends with '.'"),
        ("a/b", "'/'"),
        ("a\\b", "'\\\\'"),
        ("with space", "' '"),
        ("é", "'é'"),
        ("tab\there", "'\\t'"),
        (long_bad.as_str(), "longer than 64"),
        ("curated", "reserved"),
        // Windows device names (see docs/FORMAT.md): a shared workspace must check out there.
        ("con", "device name"),
        ("NUL", "device name"),
        ("com1", "device name"),
        ("aux.txt", "device name"),
    ];
    for (bad, why) in cases {
        let err = check_annotator(bad).expect_err(bad);
        assert!(err.contains(why), "{bad:?}: {err}");
    }
}

#[test]
fn a_refused_annotator_name_opens_no_document() {
    let ws = Workspace::open(&repo()).unwrap();
    let err = Document::open(&ws, "seeds/000_b78fa013a4a69998.txt", "../x", false).unwrap_err();
    assert!(err.to_string().contains("seeds/000"), "{err}");
}

#[test]
fn adding_a_span_that_exists_with_the_same_range_and_tag_adds_nothing() {
    use marginalia::document::Added;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("story.txt");
    write(&file, "Russia has denied that it wants to invade Ukraine.");
    let ws = Workspace::open(&file).unwrap();
    let mut doc = Document::open(&ws, "story.txt", "editor-a", false).unwrap();
    let Some(Added::New(id)) = doc.add_span_checked(0, 6, "quote") else {
        panic!("the first one is new");
    };
    assert_eq!(
        doc.add_span_checked(0, 6, "quote"),
        Some(Added::Existing(id))
    );
    assert_eq!(doc.add_span(0, 6, "quote"), Some(id), "add_span checks too");
    // Another tag on the same range is another span.
    assert!(matches!(
        doc.add_span_checked(0, 6, "claim"),
        Some(Added::New(_))
    ));
    doc.save_now().unwrap();
    let src = std::fs::read_to_string(dir.path().join("annotations/editor-a/story.ron")).unwrap();
    assert_eq!(src.matches("tag: \"quote\"").count(), 1, "{src}");
    assert_eq!(src.matches("tag: \"claim\"").count(), 1, "{src}");
    // The duplicate was no edit: one undo takes the claim away, the next the quote.
    assert!(doc.undo().is_some());
    assert!(doc.undo().is_some());
    assert!(doc.undo().is_none());
    assert!(doc.layer().spans.is_empty());
}

/// Issue 11: a compound edit (the shape of "tag every match") undoes and redoes as one step,
/// and what reaches the file follows.
#[test]
fn a_compound_edit_undoes_and_redoes_as_one_step_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("story.txt");
    write(&file, "Russia denied it. Russia said no. Russia again.");
    let ws = Workspace::open(&file).unwrap();
    let mut doc = Document::open(&ws, "story.txt", "editor-a", false).unwrap();
    doc.add_span(7, 13, "claim").unwrap();
    doc.begin_compound();
    for start in [0, 18, 34] {
        doc.add_span(start, start + 6, "quote").unwrap();
    }
    assert!(doc.end_compound());
    let on_disk = |doc: &mut Document| {
        doc.save_now().unwrap();
        let src =
            std::fs::read_to_string(dir.path().join("annotations/editor-a/story.ron")).unwrap();
        (
            src.matches("tag: \"quote\"").count(),
            src.matches("tag: \"claim\"").count(),
        )
    };
    assert_eq!(on_disk(&mut doc), (3, 1));
    doc.undo().unwrap();
    assert_eq!(on_disk(&mut doc), (0, 1), "one undo takes all three");
    doc.redo().unwrap();
    assert_eq!(on_disk(&mut doc), (3, 1), "one redo brings all three back");
    doc.undo().unwrap();
    doc.undo().unwrap();
    assert_eq!(on_disk(&mut doc), (0, 0));
    assert!(doc.undo().is_none());
}

/// Issue 12: a new span starts with its tag's defaults, each attribute change is one undo
/// step, and retagging keeps the values that still fit.
#[test]
fn attribute_values_start_from_defaults_undo_one_step_each_and_survive_a_fitting_retag() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("story.txt");
    write(&file, "Russia has denied that it wants to invade Ukraine.");
    let ws = Workspace::open(&file).unwrap();
    let tags = ws.tags().clone();
    let mut doc = Document::open(&ws, "story.txt", "editor-a", false).unwrap();
    let claim = tags.get("claim").unwrap();
    let id = doc.add_span_tagged(0, 17, claim).unwrap().id();
    let attrs = |doc: &mut Document| {
        doc.save_now().unwrap();
        let src =
            std::fs::read_to_string(dir.path().join("annotations/editor-a/story.ron")).unwrap();
        marginalia::layer::Layer::from_ron(&src).unwrap().spans[0]
            .attrs
            .clone()
            .into_iter()
            .collect::<Vec<_>>()
    };
    let kv = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(attrs(&mut doc), vec![kv("verdict", "unverified")]);
    assert!(doc.set_attr(id, "verdict", Some("false")));
    assert!(doc.set_attr(id, "source", Some("Kremlin briefing")));
    assert!(
        !doc.set_attr(id, "source", Some("Kremlin briefing")),
        "no change, no step"
    );
    assert!(
        !doc.set_attr(id, "marginalia:anchor", Some("fuzzy")),
        "reserved"
    );
    assert_eq!(
        attrs(&mut doc),
        vec![kv("source", "Kremlin briefing"), kv("verdict", "false")]
    );
    doc.undo().unwrap();
    assert_eq!(attrs(&mut doc), vec![kv("verdict", "false")], "one step");
    doc.redo().unwrap();
    assert!(doc.set_attr(id, "source", None), "None clears");
    assert_eq!(attrs(&mut doc), vec![kv("verdict", "false")]);

    // claim → error: the verdict is not an error's; error has no defaults.
    assert!(doc.retag_with(id, tags.get("error").unwrap(), Some(claim)));
    doc.set_attr(id, "kind", Some("other"));
    assert_eq!(attrs(&mut doc), vec![kv("kind", "other")]);
    // error → boilerplate: both have a `kind` and "other" fits both, so it stays.
    let error = tags.get("error").unwrap();
    assert!(doc.retag_with(id, tags.get("boilerplate").unwrap(), Some(error)));
    assert_eq!(attrs(&mut doc), vec![kv("kind", "other")]);
    // Undo walks back through the retags.
    doc.undo().unwrap();
    doc.undo().unwrap();
    doc.undo().unwrap();
    assert_eq!(attrs(&mut doc), vec![kv("verdict", "false")]);
}
