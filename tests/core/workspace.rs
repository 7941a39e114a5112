//! The workspace rule (like git's `.git`): where the root is, which files are texts, where each
//! annotator's files go, and which annotator names are accepted.

use std::path::{Path, PathBuf};

use marginalia::workspace::{Workspace, WorkspaceError, check_annotator, find_root};
use marginalia::{CharRange, Document};

use crate::support::files::repo;

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
        // Hidden, reserved, option-like or uncheckoutable on Windows.
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
    use marginalia::session::document::Added;
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

/// Undo: a compound edit (the shape of "tag every match") undoes and redoes as one step,
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

/// Attribute fields: a new span starts with its tag's defaults, each attribute change is one undo
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
        marginalia::model::layer::Layer::from_ron(&src)
            .unwrap()
            .spans[0]
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

// ---- Suggestions ----

mod suggestions {
    use super::*;
    use marginalia::assist::suggest::{
        Corpus, Model, Rejections, Source, Sources, Suggestion, eval, filter_new, rejections,
    };

    /// A workspace of `docs/<name>.txt` texts.
    fn workspace(texts: &[(&str, &str)]) -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("annotations")).unwrap();
        for (name, body) in texts {
            write(&dir.path().join(format!("docs/{name}.txt")), body);
        }
        let ws = Workspace::open(dir.path()).unwrap();
        (dir, ws)
    }

    fn tag_spans(ws: &Workspace, rel: &str, annotator: &str, spans: &[(&str, &str)]) {
        let mut doc = Document::open(ws, rel, annotator, false).unwrap();
        for (phrase, tag) in spans {
            let start = doc.text().as_str().find(phrase).unwrap();
            let start = doc.text().char_of_byte(start);
            let end = start + phrase.chars().count();
            doc.add_span(start, end, tag).unwrap();
        }
        doc.save_now().unwrap();
    }

    fn suggest(ws: &Workspace, layer: Option<&str>, rel: &str, only: &[Source]) -> Vec<Suggestion> {
        let corpus = Corpus::load(ws, layer).unwrap();
        assert!(corpus.problems.is_empty(), "{:?}", corpus.problems);
        let model = Model::new(ws.tags(), &corpus);
        let (_, text) = corpus.texts.iter().find(|(r, _)| r == rel).unwrap();
        let mut list = model.suggest(text, Sources::only(only));
        let rejected = match layer {
            Some(l) => rejections::load(ws, l).unwrap(),
            None => Rejections::default(),
        };
        filter_new(&mut list, rel, corpus.layers.get(rel), &rejected);
        list
    }

    fn brief(list: &[Suggestion]) -> Vec<(String, String)> {
        list.iter()
            .map(|s| (s.tag.clone(), s.text.clone()))
            .collect()
    }

    fn b(tag: &str, text: &str) -> (String, String) {
        (tag.to_owned(), text.to_owned())
    }

    #[test]
    fn quotes_are_proposed_with_their_speaker_and_apostrophes_are_not_quotes() {
        let (_d, ws) = workspace(&[(
            "a",
            "“We are ready,” Scholz told reporters. I don’t think Silicon Valley’s ’90s are back.\n\
             Macron said: „Wir sind bereit.“ The voters’ ‘quiet revolution’ went on.",
        )]);
        let list = suggest(&ws, None, "docs/a.txt", &[Source::Quotes]);
        assert_eq!(
            brief(&list),
            [
                b("quote", "We are ready"),
                b("quote", "Wir sind bereit."),
                b("quote", "quiet revolution")
            ]
        );
        assert_eq!(
            list[0].attrs.get("speaker").map(String::as_str),
            Some("Scholz")
        );
        assert_eq!(
            list[1].attrs.get("speaker").map(String::as_str),
            Some("Macron")
        );
        assert_eq!(list[2].attrs.get("speaker"), None);
        assert_eq!(list[0].source, Source::Quotes);
        // Offsets are chars: the text between the marks.
        assert_eq!((list[0].start, list[0].end), (1, 13));
    }

    #[test]
    fn a_line_in_three_documents_is_boilerplate_and_one_in_two_is_not() {
        let (_d, ws) = workspace(&[
            ("a", "Story one.\nRead Full Article on\nShared by two\n"),
            ("b", "Story two.\nRead  Full Article on \nShared by two\n"),
            (
                "c",
                "Story three.\nRead Full Article on\nVideo 2:46\nVideo 5:02\nVideo 1:44\n",
            ),
        ]);
        let list = suggest(&ws, None, "docs/b.txt", &[Source::Boilerplate]);
        // Whitespace is normalised; "Shared by two" is in two documents only.
        assert_eq!(brief(&list), [b("boilerplate", "Read  Full Article on")]);
        // Digits are normalised too: three player lines in one document recur.
        let list = suggest(&ws, None, "docs/c.txt", &[Source::Boilerplate]);
        assert_eq!(list.len(), 4, "{:?}", brief(&list));
    }

    #[test]
    fn a_line_the_annotator_tagged_boilerplate_is_proposed_where_it_recurs() {
        let (_d, ws) = workspace(&[
            ("a", "Story one.\nFollow us on Telegram\n"),
            ("b", "Story two.\nFollow us on Telegram\n"),
        ]);
        tag_spans(
            &ws,
            "docs/a.txt",
            "ed",
            &[("Follow us on Telegram", "boilerplate")],
        );
        let list = suggest(&ws, Some("ed"), "docs/b.txt", &[Source::Boilerplate]);
        assert_eq!(brief(&list), [b("boilerplate", "Follow us on Telegram")]);
        // Another annotator has not tagged it, and it is in two documents only.
        assert!(suggest(&ws, Some("other"), "docs/b.txt", &[Source::Boilerplate]).is_empty());
        // In the tagged document, the layer has it already.
        assert!(suggest(&ws, Some("ed"), "docs/a.txt", &[Source::Boilerplate]).is_empty());
    }

    #[test]
    fn a_misspelt_name_is_an_error_with_the_frequent_form_and_other_names_are_not() {
        let (_d, ws) = workspace(&[
            (
                "a",
                "Olaf Scholz met Biden. Scholz spoke. Then Schorz left for Russia.",
            ),
            (
                "b",
                "Scholz and Merkel. Merkle? Russian troops. Scholz again, Scholl too.",
            ),
        ]);
        let list = suggest(&ws, None, "docs/a.txt", &[Source::Names]);
        assert_eq!(brief(&list), [b("error", "Schorz")]);
        assert_eq!(
            list[0].attrs.get("correction").map(String::as_str),
            Some("Scholz")
        );
        assert_eq!(list[0].attrs.get("kind").map(String::as_str), Some("name"));
        // "Merkle" is one swap from "Merkel" but neither is frequent; "Russian" is an
        // inflection of "Russia"; "Scholl" occurs once against Scholz's four… and is proposed.
        let list = suggest(&ws, None, "docs/b.txt", &[Source::Names]);
        assert_eq!(brief(&list), [b("error", "Scholl")]);
    }

    #[test]
    fn dictionary_phrases_match_whole_words() {
        let (d, ws) = workspace(&[(
            "a",
            "Sputnik International reports. Sputnik Internationally not. sputnik international no.",
        )]);
        write(
            &d.path().join("annotations/dictionaries/boilerplate.txt"),
            "# agencies\nSputnik International\n\n",
        );
        let list = suggest(&ws, None, "docs/a.txt", &[Source::Dictionary]);
        assert_eq!(brief(&list), [b("boilerplate", "Sputnik International")]);
        assert_eq!((list[0].start, list[0].end), (0, 21));
        assert_eq!(list[0].source, Source::Dictionary);
        // A dictionaries folder is no layer.
        assert!(!ws.layer_names().contains(&"dictionaries".to_owned()));
        assert!(check_annotator("dictionaries").is_err());
    }

    #[test]
    fn a_phrase_tagged_elsewhere_is_proposed_with_the_same_tag() {
        let (_d, ws) = workspace(&[
            ("a", "The West fears a Russian invasion of Ukraine."),
            (
                "b",
                "Again the West fears a Russian invasion, a Russian invasions.",
            ),
        ]);
        tag_spans(&ws, "docs/a.txt", "ed", &[("a Russian invasion", "claim")]);
        let list = suggest(&ws, Some("ed"), "docs/b.txt", &[Source::Repeats]);
        assert_eq!(brief(&list), [b("claim", "a Russian invasion")]);
        assert_eq!(list[0].source, Source::Repeats);
    }

    #[test]
    fn a_rejected_suggestion_is_not_proposed_again_and_the_file_is_no_layer() {
        let (d, ws) = workspace(&[("a", "He said “yes” and “no”.")]);
        let list = suggest(&ws, Some("ed"), "docs/a.txt", &[Source::Quotes]);
        assert_eq!(brief(&list), [b("quote", "yes"), b("quote", "no")]);
        assert_eq!(
            rejections::reject(&ws, "ed", "docs/a.txt", &list[..1]).unwrap(),
            1
        );
        assert_eq!(
            rejections::reject(&ws, "ed", "docs/a.txt", &list[..1]).unwrap(),
            0
        );
        let path = d.path().join("annotations/ed.rejected.ron");
        let src = std::fs::read_to_string(&path).unwrap();
        assert!(src.contains("exact: \"yes\""), "{src}");
        // Read back as a later session would.
        let ws = Workspace::open(d.path()).unwrap();
        assert_eq!(
            brief(&suggest(&ws, Some("ed"), "docs/a.txt", &[Source::Quotes])),
            [b("quote", "no")]
        );
        // Others' suggestions are theirs.
        assert_eq!(
            suggest(&ws, Some("other"), "docs/a.txt", &[Source::Quotes]).len(),
            2
        );
        // The workspace does not take it for a layer, and validate passes.
        assert!(ws.layer_names().is_empty());
        let (findings, _) = marginalia::workspace::validate::validate_workspace(&ws);
        assert!(findings.is_empty(), "{findings:?}");
        // A broken file is an error naming it.
        std::fs::write(&path, "(format: 1, layer: \"ed\", rejected: [").unwrap();
        let e = rejections::load(&ws, "ed").unwrap_err().to_string();
        assert!(e.contains("ed.rejected.ron"), "{e}");
    }

    /// The window learns its model one text at a time (issue 22): every text learnt so far
    /// gives the model `Model::new` makes of those texts, and all of them the same suggestions
    /// as `Corpus::load` then `Model::new`, for every document and source.
    #[test]
    fn a_model_learnt_one_text_at_a_time_is_the_model_of_the_texts_learnt_so_far() {
        let ws = Workspace::open(&repo()).unwrap();
        let corpus = Corpus::load(&ws, Some("editor-a")).unwrap();
        assert!(corpus.texts.len() >= 5 && corpus.layers.len() >= 5);
        let of_first = |n: usize| {
            let texts = corpus.texts[..n].to_vec();
            let layers = (corpus.layers.iter())
                .filter(|(rel, _)| texts.iter().any(|(r, _)| r == *rel))
                .map(|(r, l)| (r.clone(), l.clone()))
                .collect();
            let part = Corpus {
                texts,
                layers,
                problems: Vec::new(),
                dictionaries: corpus.dictionaries.clone(),
            };
            Model::new(ws.tags(), &part)
        };
        let same = |a: &Model, b: &Model, what: &str| {
            for (rel, text) in &corpus.texts {
                assert_eq!(
                    a.suggest(text, Sources::all()),
                    b.suggest(text, Sources::all()),
                    "{rel}, {what}"
                );
            }
        };
        let mut seen = Vec::new();
        let learnt = marginalia::assist::suggest::learn_workspace(
            &ws,
            Some("editor-a"),
            |builder, done, total| {
                assert_eq!(builder.texts(), done);
                seen.push((done, total));
                same(&builder.model(), &of_first(done), &format!("{done} learnt"));
                std::ops::ControlFlow::Continue(())
            },
        )
        .unwrap()
        .expect("not stopped");
        let n = corpus.texts.len();
        assert_eq!(seen, (0..=n).map(|d| (d, n)).collect::<Vec<_>>());
        let full = Model::new(ws.tags(), &corpus);
        same(&learnt, &full, "all learnt");
        // Learnt texts add suggestions: the whole model proposes more than the empty one.
        let count = |m: &Model| -> usize {
            (corpus.texts.iter())
                .map(|(_, t)| m.suggest(t, Sources::all()).len())
                .sum()
        };
        assert!(count(&full) > count(&of_first(0)));

        // Stopped after three texts: nothing more is read, and no model is returned.
        let mut calls = 0;
        let stopped = marginalia::assist::suggest::learn_workspace(&ws, None, |_, done, _| {
            calls += 1;
            if done == 3 {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert!(stopped.is_none());
        assert_eq!(calls, 4);
    }

    /// Precision and recall against the shipped layers: printed, and kept from getting worse.
    /// The floors are the figures measured when the sources were written, rounded down.
    #[test]
    fn suggestions_measured_against_the_shipped_layers_do_not_get_worse() {
        let ws = Workspace::open(&repo()).unwrap();
        let layers = vec!["editor-a".to_owned(), "editor-b".to_owned()];
        let report = eval::evaluate(&ws, &layers).unwrap();
        println!("{}", report.to_table());
        assert_eq!(report.documents, 10);
        // (source, tag, precision, recall, exact precision, exact recall)
        let floors = [
            ("quotes", "quote", 0.73, 0.93, 0.65, 0.87),
            ("boilerplate", "boilerplate", 1.00, 0.24, 0.10, 0.07),
            ("names", "error", 1.00, 0.14, 0.0, 0.0),
            ("repeats", "quote", 0.62, 0.04, 0.0, 0.0),
            ("all", "quote", 0.73, 0.93, 0.62, 0.87),
        ];
        for (source, tag, p, r, pe, re) in floors {
            let row = report.row(source, tag).unwrap();
            let got = [
                row.precision(),
                row.recall(),
                row.precision_exact(),
                row.recall_exact(),
            ];
            for (g, floor) in got.into_iter().zip([p, r, pe, re]) {
                assert!(
                    g.unwrap_or(0.0) >= floor,
                    "{source}/{tag}: {got:?} below {floor}"
                );
            }
        }
    }
}

/// Tag all: tagging many hits at once is one merge into the layer (and its undo one pass), with
/// the result of tagging a hit at a time: the same spans, ids and order, in memory and on disk.
#[test]
fn tagging_many_hits_at_once_equals_a_span_at_a_time_and_undoes_as_one_step_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    // Multi-byte chars, so char and byte offsets differ.
    let text = "Rußland 🙂 ".repeat(300);
    write(&dir.path().join("a.txt"), &text);
    write(&dir.path().join("b.txt"), &text);
    let ws = Workspace::open(dir.path()).unwrap();
    let tag = ws.tags().get("quote").unwrap().clone();
    let open = |rel: &str| {
        let mut doc = Document::open(&ws, rel, "editor-a", false).unwrap();
        doc.add_span(50, 57, "quote").unwrap(); // a hit tagged already
        doc.add_span(0, 3, "claim").unwrap();
        doc
    };
    let (mut a, mut b) = (open("a.txt"), open("b.txt"));
    let mut hits: Vec<CharRange> = (0..300)
        .map(|i| CharRange::new(i * 10, i * 10 + 7))
        .collect();
    // An empty range, one past the text and a repeated hit change nothing.
    hits.extend([(10, 10), (3000, 3007), (10, 17)].map(CharRange::from));
    let t = marginalia::session::tag_all::tag_hits(&mut a, &hits, &tag);
    assert_eq!((t.added, t.already, t.ids.len()), (299, 1, 299));
    b.begin_compound();
    for &CharRange { start: s, end: e } in &hits[..300] {
        b.add_span_tagged(s, e, &tag);
    }
    b.end_compound();
    let key = |d: &Document| -> Vec<_> {
        (d.layer().spans.iter())
            .map(|s| {
                (
                    s.id,
                    s.start,
                    s.end,
                    s.tag.clone(),
                    s.exact.clone(),
                    s.prefix.clone(),
                    s.suffix.clone(),
                    s.attrs.clone(),
                )
            })
            .collect()
    };
    let tagged = key(&a);
    assert_eq!(tagged.len(), 301);
    assert_eq!(tagged, key(&b), "the same spans, ids and order");
    let on_disk = |d: &mut Document, rel: &str| {
        d.save_now().unwrap();
        let p = dir
            .path()
            .join("annotations/editor-a")
            .join(rel.replace(".txt", ".ron"));
        let layer = marginalia::Layer::from_ron(&std::fs::read_to_string(p).unwrap()).unwrap();
        assert_eq!(&layer.spans, &d.layer().spans);
        layer.spans.len()
    };
    assert_eq!(on_disk(&mut a, "a.txt"), 301);
    let undone = a.undo_step().unwrap();
    assert_eq!(undone.what, "tag 299 spans as quote");
    b.undo().unwrap();
    assert_eq!(key(&a), key(&b));
    assert_eq!(on_disk(&mut a, "a.txt"), 2, "one undo takes all 299");
    assert_eq!(a.redo_step().unwrap().what, "tag 299 spans as quote");
    b.redo().unwrap();
    assert_eq!(key(&a), tagged);
    assert_eq!(key(&b), tagged);
    assert_eq!(on_disk(&mut a, "a.txt"), 301);
    assert_eq!(a.layer().spans[5].exact, "Rußland");
    assert_eq!(
        a.layer().spans[5].suffix,
        " 🙂 Rußland 🙂 Rußland 🙂 Rußland 🙂"
    );
    // Deleting many at once is one step too, and its undo puts them back where they were.
    let ids: std::collections::HashSet<u64> = t.ids.iter().copied().step_by(2).collect();
    assert_eq!(a.delete_spans(&ids), 150);
    assert_eq!(on_disk(&mut a, "a.txt"), 151);
    assert_eq!(a.undo_step().unwrap().what, "delete 150 spans tagged quote");
    assert_eq!(key(&a), tagged);
    assert_eq!(on_disk(&mut a, "a.txt"), 301);
    // Thousands at once reach the file by the background save (which takes such a step's
    // spans from the layer when it saves, not copies made in the edit), and so do their undo
    // and redo.
    write(&dir.path().join("c.txt"), &"Rußland 🙂 ".repeat(1500));
    let mut c = open("c.txt");
    let hits: Vec<CharRange> = (0..1500)
        .map(|i| CharRange::new(i * 10, i * 10 + 7))
        .collect();
    let in_background = |d: &mut Document| {
        let later = std::time::Instant::now() + std::time::Duration::from_secs(60);
        assert!(d.save_if_due(later), "a background save starts");
        on_disk(d, "c.txt")
    };
    assert_eq!(
        marginalia::session::tag_all::tag_hits(&mut c, &hits, &tag).added,
        1499
    );
    assert_eq!(in_background(&mut c), 1501);
    assert_eq!(c.undo_step().unwrap().what, "tag 1499 spans as quote");
    assert_eq!(in_background(&mut c), 2);
    assert_eq!(c.redo_step().unwrap().what, "tag 1499 spans as quote");
    assert_eq!(in_background(&mut c), 1501);
}

/// Tag all: a workspace "Tag all" is undone in a document that is not open by taking out
/// exactly the spans it added (by id), keeping what was added to the file since, and redone by
/// putting them back.
#[test]
fn a_workspace_tag_all_is_undone_and_redone_in_closed_documents_exactly() {
    use marginalia::assist::find::{FindOptions, Matcher};
    use marginalia::session::tag_all::{set_workspace_tagged, tag_in_workspace};
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.txt"), "Putin said no. Putin said yes.");
    write(&dir.path().join("b.txt"), "Putin again, and Macron.");
    let ws = Workspace::open(dir.path()).unwrap();
    let tag = ws.tags().get("quote").unwrap().clone();
    let mut before = Document::open(&ws, "b.txt", "editor-a", false).unwrap();
    before.add_span(17, 23, "claim").unwrap();
    before.save_now().unwrap();
    drop(before);
    let m = Matcher::new("putin", FindOptions::default())
        .unwrap()
        .unwrap();
    let report = tag_in_workspace(&ws, "editor-a", &m, &tag, None, &|_, _| true);
    assert_eq!((report.added, report.documents), (3, 2));
    assert_eq!(report.tagged.spans(), 3);
    // Someone adds a span to a.txt afterwards (another window, git).
    let mut other = Document::open(&ws, "a.txt", "editor-a", false).unwrap();
    other.add_span(6, 10, "quote").unwrap();
    other.save_now().unwrap();
    drop(other);
    let spans = |rel: &str| -> Vec<(usize, usize, String)> {
        let d = Document::open(&ws, rel, "editor-a", true).unwrap();
        d.layer()
            .spans
            .iter()
            .map(|s| (s.start, s.end, s.tag.clone()))
            .collect()
    };
    let undone = set_workspace_tagged(&ws, &report.tagged, false, None, &|_, _| {});
    assert_eq!((undone.spans, undone.documents), (3, 2), "{undone:?}");
    assert!(undone.problems.is_empty());
    assert_eq!(spans("a.txt"), vec![(6, 10, "quote".to_owned())]);
    assert_eq!(spans("b.txt"), vec![(17, 23, "claim".to_owned())]);
    let redone = set_workspace_tagged(&ws, &report.tagged, true, None, &|_, _| {});
    assert_eq!(redone.spans, 3);
    assert_eq!(spans("a.txt").len(), 3);
    assert_eq!(spans("b.txt").len(), 2);
    // `skip` leaves the document the caller changes itself.
    let undone = set_workspace_tagged(&ws, &report.tagged, false, Some("a.txt"), &|_, _| {});
    assert_eq!((undone.spans, undone.documents), (1, 1));
    assert_eq!(spans("a.txt").len(), 3);
}

/// Tag all: a workspace "Tag all" runs on a thread with Cancel. Cancelled after the first
/// document, it has written that one only, and its report (what Ctrl+Z removes) says exactly
/// that.
#[test]
fn a_workspace_tag_all_stopped_part_way_reports_exactly_what_it_wrote() {
    use marginalia::assist::find::{FindOptions, Matcher};
    use marginalia::session::tag_all::tag_in_workspace;
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.txt", "b.txt", "c.txt"] {
        write(&dir.path().join(name), "Putin said no. Putin said yes.");
    }
    let ws = Workspace::open(dir.path()).unwrap();
    let tag = ws.tags().get("quote").unwrap().clone();
    let m = Matcher::new("putin", FindOptions::default())
        .unwrap()
        .unwrap();
    let seen = std::cell::RefCell::new(Vec::new());
    let report = tag_in_workspace(&ws, "editor-a", &m, &tag, None, &|done, total| {
        seen.borrow_mut().push((done, total));
        done < 1
    });
    assert!(report.stopped);
    assert_eq!(seen.into_inner(), vec![(0, 3), (1, 3)]);
    assert_eq!((report.added, report.documents), (2, 1));
    assert_eq!(report.tagged.docs.len(), 1);
    assert_eq!(report.tagged.docs[0].0, "a.txt");
    let on_disk = |rel: &str| {
        let d = Document::open(&ws, rel, "editor-a", true).unwrap();
        d.layer().spans.len()
    };
    assert_eq!(
        (on_disk("a.txt"), on_disk("b.txt"), on_disk("c.txt")),
        (2, 0, 0)
    );
}

/// Issue 22 §3: the document list remembers its lines between runs, keyed by the files they were
/// read from. A second listing takes every line from the cache and finds what a fresh read
/// finds; a layer rewritten to the same size with its modification time set back is still
/// read again (its change time and inode give it away), and so is every line once `tags.ron`
/// changes.
#[test]
fn the_document_lists_cache_gives_what_a_fresh_read_gives_and_never_a_stale_line() {
    use marginalia::model::layer::Status;
    use marginalia::session::list_cache::{CACHE_FROM, ListCache};

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    let cache_dir = dir.path().join("cache");
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    for i in 0..CACHE_FROM {
        write(
            &root.join(format!("t/{i:04}.txt")),
            &format!("Title {i}\nMacron met Putin.\n"),
        );
    }
    let ws = Workspace::open(&root).unwrap();
    let rels = rels(&ws);
    // Three layers: one span each (in progress).
    for rel in &rels[..3] {
        let mut doc = Document::open(&ws, rel, "editor-a", false).unwrap();
        doc.add_span(0, 5, "claim").unwrap();
        doc.save_now().unwrap();
    }
    // Invalid UTF-8: a line with an error.
    std::fs::write(root.join("t/0999.txt"), b"\xff\xfe bad").unwrap();
    let fresh = |ws: &Workspace| -> Vec<_> {
        rels.iter()
            .map(|rel| {
                let g = Document::glance(ws, rel, "editor-a");
                (g.title, g.opened.map_err(|e| e.to_string()))
            })
            .collect()
    };
    let listed = |ws: &Workspace| -> (Vec<_>, usize) {
        let cache = ListCache::load_in(Some(&cache_dir), ws, "editor-a", rels.len());
        let lines = rels.iter().map(|rel| cache.glance(ws, rel)).collect();
        let misses = cache.misses();
        cache.save().unwrap();
        (lines, misses)
    };

    let (first, misses) = listed(&ws);
    assert_eq!(misses, CACHE_FROM, "nothing was cached yet");
    assert_eq!(first, fresh(&ws));
    assert_eq!(first[0].1, Ok((Status::InProgress, 1)));
    assert!(first[CACHE_FROM - 1].1.is_err());

    let (second, misses) = listed(&ws);
    assert_eq!(misses, 0, "every line came from the cache");
    assert_eq!(second, first);

    // The same bytes but one status, the modification time set back: still read afresh.
    let layer = ws.layer_path("editor-a", &rels[0]).unwrap();
    let modified = std::fs::metadata(&layer).unwrap().modified().unwrap();
    let ron = std::fs::read_to_string(&layer).unwrap();
    let done = ron.replace("status: InProgress", "status: NotStarted");
    assert_eq!(done.len(), ron.len());
    std::fs::write(&layer, done).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&layer)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let (third, misses) = listed(&ws);
    assert_eq!(misses, 1);
    assert_eq!(third[0].1, Ok((Status::NotStarted, 1)));
    assert_eq!(third, fresh(&ws));

    // A text that is a link: a change to the file it leads to (same size, the modification
    // time set back) is seen, although the link itself is untouched.
    #[cfg(unix)]
    {
        let target = dir.path().join("linked.txt");
        write(&target, "Linked\nMacron met Putin.\n");
        let link = root.join(&rels[1]);
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let (linked, _) = listed(&ws);
        assert_eq!(linked[1].0.as_deref(), Some("Linked"));
        let modified = std::fs::metadata(&target).unwrap().modified().unwrap();
        std::fs::write(&target, "Lonked\nMacron met Putin.\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&target)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        let (relinked, misses) = listed(&ws);
        assert_eq!(misses, 1, "the linked text is read again");
        assert_eq!(relinked[1].0.as_deref(), Some("Lonked"));
        assert_eq!(relinked, fresh(&ws));
        let (_, misses) = listed(&ws);
        assert_eq!(misses, 0, "an unchanged linked text comes from the cache");
    }

    // Another tag set may make another line invalid: everything is read again.
    write(
        &root.join("annotations/tags.ron"),
        &marginalia::TagSet::default().to_ron(),
    );
    let ws = Workspace::open(&root).unwrap();
    let (fourth, misses) = listed(&ws);
    assert_eq!(misses, CACHE_FROM);
    assert_eq!(fourth, fresh(&ws));
}
