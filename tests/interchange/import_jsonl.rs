//! JSON Lines import in its three shapes (Marginalia's, doccano's, Prodigy's), with spans that
//! do not fit reported by line and left out.

use clap::Parser;
use marginalia::interchange::import::{ImportFormat, ImportRequest, ImportSummary};
use marginalia::workspace::Workspace;

use crate::support::files::REPO;
use crate::support::interchange::*;
use crate::support::process::cli;

fn import(file: &std::path::Path, root: &std::path::Path) -> ImportSummary {
    let req = ImportRequest {
        workspace: root.to_path_buf(),
        format: ImportFormat::Jsonl,
        annotator: "ml".into(),
        source: file.to_path_buf(),
        merge: false,
        answers: Default::default(),
        into: None,
    };
    marginalia::interchange::import::run(&req, &|_, _| true).unwrap()
}

#[test]
fn doccano_and_prodigy_lines_become_texts_and_spans() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"id": 7, "text": "Macron met Putin 😀 in Moscow.", "label": [[0, 6, "PER"], [11, 16, "PER"], [22, 28, "LOC"]]}"#, "\n",
            r#"{"text": "“Hi,” said Zoë.", "spans": [{"start": 1, "end": 3, "label": "quote", "token_start": 1, "token_end": 1}, {"start": 11, "end": 14, "label": "PER", "text": "Zoë"}], "meta": {"source": "prodigy"}, "_input_hash": 1}"#, "\n",
            "\n",
            r#"{"text": "x", "entities": [{"id": 1, "start_offset": 0, "end_offset": 1, "label": "LOC"}]}"#, "\n",
        ),
    )
    .unwrap();
    let (_d, root) = empty_workspace();
    let s = import(&file, &root);
    assert!(s.rejected_spans.is_empty(), "{:?}", s.rejected_spans);
    assert_eq!((s.documents, s.spans), (3, 6));
    assert_eq!(
        s.texts_copied,
        ["team/000001.txt", "team/000002.txt", "team/000004.txt"]
    );
    assert_eq!(
        std::fs::read_to_string(root.join("team/000001.txt")).unwrap(),
        "Macron met Putin 😀 in Moscow."
    );
    let spans = spans_of(&root, "ml");
    assert!(spans.contains(&(
        "team/000001.txt".into(),
        22,
        28,
        "LOC".into(),
        String::new()
    )));
    assert!(spans.contains(&(
        "team/000002.txt".into(),
        11,
        14,
        "PER".into(),
        String::new()
    )));
    let ws = Workspace::open(&root).unwrap();
    assert!(ws.tags().contains("PER") && ws.tags().contains("LOC") && ws.tags().contains("quote"));
    assert_eq!(s.tags_added, ["PER", "LOC"]);
}

#[test]
fn spans_that_do_not_fit_are_reported_by_line_and_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"text": "Hello world", "spans": [{"start": 0, "end": 5, "label": "quote", "text": "Hello"}]}"#, "\n",
            r#"{"text": "Hello world", "spans": [{"start": 1, "end": 6, "label": "quote", "text": "Hello"}]}"#, "\n",
            r#"{"text": "Hello world", "label": [[6, 99, "claim"], [0, 5]]}"#, "\n",
            "{not json\n",
            r#"{"spans": []}"#, "\n",
        ),
    )
    .unwrap();
    let (_d, root) = empty_workspace();
    let s = import(&file, &root);
    let shown = file.display().to_string();
    assert_eq!(s.spans, 1);
    assert_eq!(s.rejected_spans.len(), 3, "{:?}", s.rejected_spans);
    assert!(
        s.rejected_spans.iter().any(|r| r.starts_with(&format!(
            "{shown}:2: span 1: 1..6 says \"Hello\" but the text there is \"ello \""
        ))),
        "{:?}",
        s.rejected_spans
    );
    assert!(
        s.rejected_spans
            .iter()
            .any(|r| r.starts_with(&format!("{shown}:3: span 1: 6..99 is outside the text"))),
        "{:?}",
        s.rejected_spans
    );
    assert!(
        s.rejected_spans
            .iter()
            .any(|r| r.starts_with(&format!("{shown}:3: span 2:"))),
        "{:?}",
        s.rejected_spans
    );
    assert!(
        s.skipped_documents
            .iter()
            .any(|r| r.starts_with(&format!("{shown}:4: not JSON")))
    );
    assert!(
        s.skipped_documents
            .iter()
            .any(|r| r.starts_with(&format!("{shown}:5: no \"text\"")))
    );
}

#[test]
fn our_own_shape_keeps_path_status_notes_and_attrs() {
    let (_d, src) = seed_workspace();
    let (code, out, err) = cli(&[
        "export",
        "--format",
        "jsonl",
        "--layer",
        "editor-a",
        p(&src),
    ]);
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    std::fs::write(&file, &out).unwrap();
    let (_e, dst) = empty_workspace();
    let req = ImportRequest {
        workspace: dst.clone(),
        format: ImportFormat::Jsonl,
        annotator: "editor-a".into(),
        source: file,
        merge: false,
        answers: Default::default(),
        into: None,
    };
    marginalia::interchange::import::run(&req, &|_, _| true).unwrap();
    let ws_src = Workspace::open(&src).unwrap();
    for (rel, path) in ws_src.layer_files("editor-a") {
        let (a, _) = marginalia::model::layer::load_layer(&path)
            .unwrap()
            .unwrap();
        let (b, _) = marginalia::model::layer::load_layer(
            &dst.join("annotations/editor-a")
                .join(&rel)
                .with_extension("ron"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(a.status, b.status, "{rel}");
        assert_eq!(a.text_sha256, b.text_sha256, "{rel}: the same text bytes");
        let key = |l: &marginalia::Layer| {
            l.spans
                .iter()
                .map(|s| {
                    (
                        s.start,
                        s.end,
                        s.tag.clone(),
                        s.note.clone(),
                        s.attrs.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b), "{rel}");
    }
}

#[test]
fn cancelling_stops_between_documents_and_keeps_what_was_imported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.jsonl");
    let lines: String = (0..5)
        .map(|i| format!("{{\"text\": \"doc {i}\", \"label\": [[0, 3, \"claim\"]]}}\n"))
        .collect();
    std::fs::write(&file, lines).unwrap();
    let (_d, root) = empty_workspace();
    let req = ImportRequest {
        workspace: root.clone(),
        format: ImportFormat::Jsonl,
        annotator: "ml".into(),
        source: file,
        merge: false,
        answers: Default::default(),
        into: None,
    };
    let calls = std::cell::Cell::new(0);
    let err = marginalia::interchange::import::run(&req, &|_, _| {
        calls.set(calls.get() + 1);
        calls.get() <= 2
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            marginalia::interchange::import::ImportError::Cancelled { done: 2 }
        ),
        "{err}"
    );
    assert_eq!(spans_of(&root, "ml").len(), 2);
}

#[test]
fn paths_the_workspace_would_not_list_are_refused_one_by_one() {
    let (_d, root) = seed_workspace();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paths.jsonl");
    let long = format!("seeds/{}.txt", "x".repeat(300));
    let line = |path: &str| {
        format!(
            "{{\"text\": \"Hello world\", \"spans\": [{{\"start\": 0, \"end\": 5, \"label\": \"quote\"}}], \"meta\": {{\"path\": \"{path}\"}}}}\n"
        )
    };
    let paths = [
        "annotations/editor-a/evil.txt",
        "annotations/editor-c/annotations/x.txt",
        "seeds/./././dotted.txt",
        "target/built.txt",
        "seeds/target/built.txt",
        ".hidden/x.txt",
        "seeds/.x.txt",
        "elsewhere/outside.txt",
        "../escape.txt",
        "seeds/notes.md",
        &long,
        "seeds/fine.txt",
    ];
    std::fs::write(&file, paths.map(line).concat()).unwrap();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "jsonl",
        "--annotator",
        "ml",
        p(&file),
        p(&root),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("10 documents refused"), "{err}");
    assert!(out.contains("refused 10 documents:"), "{out}");
    // A path outside workspace.ron's text folders is refused with the fix.
    assert!(
        out.contains("elsewhere/outside.txt")
            && out.contains("--into FOLDER puts the texts into one of them (e.g. --into seeds)"),
        "{out}"
    );
    for (why, at) in [
        ("under annotations/", 1),
        ("under annotations/", 2),
        ("outside the text folders", 4),
        ("target/ folder", 5),
        ("hidden", 6),
        ("hidden", 7),
        ("outside the text folders", 8),
        ("not a relative path inside the workspace", 9),
        ("not a .txt file", 10),
        ("over the 255-byte limit", 11),
    ] {
        let origin = format!("{}:{at}", file.display());
        assert!(
            out.lines()
                .any(|l| l.contains(&format!("({origin}): refused path:")) && l.contains(why)),
            "line {at}: {why}\n{out}"
        );
    }
    // The two good ones went in: `./` parts are normalised away.
    assert!(out.contains("imported 2 spans into 2 documents"), "{out}");
    assert!(root.join("seeds/dotted.txt").is_file());
    assert!(root.join("annotations/ml/seeds/dotted.ron").is_file());
    assert!(root.join("annotations/ml/seeds/fine.ron").is_file());
    // Nothing landed in another annotator's folder, in target/ or in hidden folders.
    assert!(!root.join("annotations/editor-a/evil.txt").exists());
    assert!(!root.join("annotations/editor-c").exists());
    assert!(!root.join("annotations/ml/annotations").exists());
    assert!(!root.join("target").exists() && !root.join(".hidden").exists());
    assert!(!root.join("elsewhere").exists());
    let (code, v, e) = cli(&["validate", p(&root)]);
    assert_eq!(code, 0, "{v}{e}");
}

#[test]
fn a_source_named_annotations_jsonl_imports_texts_the_workspace_lists() {
    // spaCy's tutorials ship a file with this very name.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("annotations.jsonl");
    std::fs::write(
        &file,
        "{\"text\": \"Macron met Putin.\", \"label\": [[0, 6, \"PER\"]]}\n",
    )
    .unwrap();
    let (_d, root) = empty_workspace();
    let s = import(&file, &root);
    assert_eq!(s.texts_copied, ["imported-annotations/000001.txt"]);
    assert!(!root.join("annotations/000001.txt").exists());
    let (code, out, err) = cli(&["export", "--format", "jsonl", "--layer", "ml", p(&root)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Macron met Putin."), "{out}");
    // With text folders in workspace.ron, the texts go inside the first one.
    let (_e, root) = seed_workspace();
    let s = import(&file, &root);
    assert_eq!(s.texts_copied, ["seeds/annotations/000001.txt"]);
    let ws = Workspace::open(&root).unwrap();
    assert!(
        ws.texts()
            .iter()
            .any(|t| t.rel == "seeds/annotations/000001.txt")
    );
}

fn import_merging(file: &std::path::Path, root: &std::path::Path) -> ImportSummary {
    let req = ImportRequest {
        workspace: root.to_path_buf(),
        format: ImportFormat::Jsonl,
        annotator: "ml".into(),
        source: file.to_path_buf(),
        merge: true,
        answers: Default::default(),
        into: None,
    };
    marginalia::interchange::import::run(&req, &|_, _| true).unwrap()
}

/// Files under `root` whose names start with the temp prefix.
fn temp_files(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if e
                .file_name()
                .to_string_lossy()
                .starts_with(marginalia::store::TEMP_PREFIX)
            {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn a_layer_that_cannot_be_written_is_refused_alone_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team.jsonl");
    let lines: String = (0..3)
        .map(|i| {
            format!(
                "{{\"text\": \"doc {i}\", \"label\": [[0, 3, \"claim\"]], \"meta\": {{\"path\": \"team/{i}.txt\"}}}}\n"
            )
        })
        .collect();
    std::fs::write(&file, lines).unwrap();
    let (_d, root) = empty_workspace();
    // Document 1 already has a layer, and it is read-only: merging into it must not replace it.
    std::fs::create_dir_all(root.join("team")).unwrap();
    std::fs::write(root.join("team/1.txt"), "doc 1").unwrap();
    let text = marginalia::model::text::Text::from_string("doc 1");
    let layer = marginalia::model::layer::Layer::new("team/1.txt", &text, "ml");
    let layer_path = root.join("annotations/ml/team/1.ron");
    std::fs::create_dir_all(layer_path.parent().unwrap()).unwrap();
    std::fs::write(&layer_path, layer.to_ron()).unwrap();
    let mut perms = std::fs::metadata(&layer_path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&layer_path, perms).unwrap();
    let s = import_merging(&file, &root);
    assert_eq!((s.documents, s.spans), (2, 2), "{:?}", s.report(10));
    assert_eq!(s.refused_documents.len(), 1, "{:?}", s.refused_documents);
    assert!(
        s.refused_documents[0].starts_with("team/1.txt (")
            && s.refused_documents[0].contains("read-only"),
        "{:?}",
        s.refused_documents
    );
    assert_eq!(s.texts_copied, ["team/0.txt", "team/2.txt"]);
    assert_eq!(
        std::fs::read_to_string(&layer_path).unwrap(),
        layer.to_ron()
    );
    let spans = spans_of(&root, "ml");
    assert_eq!(spans.len(), 2, "{spans:?}");
    assert!(temp_files(&root).is_empty(), "{:?}", temp_files(&root));
}

#[test]
fn a_document_repeated_in_one_file_sees_its_earlier_copy() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("twice.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"text": "Hello world", "label": [[0, 5, "claim"]], "meta": {"path": "team/a.txt"}}"#, "\n",
            r#"{"text": "Hello world", "label": [[6, 11, "quote"], [0, 5, "claim"]], "meta": {"path": "team/a.txt"}}"#, "\n",
        ),
    )
    .unwrap();
    // Without --merge the second is skipped: the first one's layer is there.
    let (_d, root) = empty_workspace();
    let s = import(&file, &root);
    assert_eq!((s.documents, s.spans), (1, 1));
    assert_eq!(s.texts_copied, ["team/a.txt"]);
    assert_eq!(s.skipped_documents.len(), 1, "{:?}", s.skipped_documents);
    assert!(s.skipped_documents[0].contains("already has a layer"));
    // With --merge the second adds its new span to the first one's layer.
    let (_d2, root) = empty_workspace();
    let s = import_merging(&file, &root);
    assert_eq!((s.documents, s.spans, s.merged, s.duplicates), (2, 2, 1, 1));
    assert_eq!(spans_of(&root, "ml").len(), 2);
}

/// An exact duplicate inside one source document (doccano's `example_overlapping.jsonl`) is
/// left out and counted in the report by kind and document, not collapsed silently.
#[test]
fn a_duplicate_span_in_the_source_is_counted_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    let file = dir.path().join("in.jsonl");
    std::fs::write(
        &file,
        "{\"text\": \"exampleA\", \"label\": [[0, 1, \"LOC\"], [0, 1, \"LOC\"]], \"meta\": {\"wikiPageID\": 1}}\n",
    )
    .unwrap();
    let summary = import(&file, &root);
    assert_eq!((summary.spans, summary.duplicates), (1, 1));
    let report = summary.report(20).join("\n");
    assert!(
        report.contains("left out 1 duplicate annotation (same range and tag as a span kept): 1 identical to another in the document"),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "  in/000001.txt ({}:1): 1 identical",
            file.display()
        )),
        "{report}"
    );
}

/// A Prodigy file with every answer: an accept record holding a span the annotator rejected,
/// a reject record, an ignore record and a record with no answer.
fn prodigy_answers_file(dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join("answers.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"text": "Macron 😀 met Putin.", "spans": [{"start": 0, "end": 6, "label": "PER"}, {"start": 13, "end": 18, "label": "LOC", "answer": "reject"}], "answer": "accept", "_input_hash": 1, "_task_hash": 2}"#, "\r\n",
            r#"{"text": "Wrong one.", "spans": [{"start": 0, "end": 5, "label": "claim"}, {"start": 6, "end": 9, "label": "claim"}], "answer": "reject"}"#, "\r\n",
            r#"{"text": "Not sure.", "spans": [{"start": 0, "end": 3, "label": "claim"}], "answer": "ignore"}"#, "\r\n",
            r#"{"text": "No answer.", "spans": [{"start": 0, "end": 2, "label": "quote"}]}"#, "\r\n",
        ),
    )
    .unwrap();
    file
}

/// By default only accepted records (and records without an answer) are imported; what is
/// left out is counted by answer in the CLI's report, spans with their own answer too.
#[test]
fn prodigy_reject_and_ignore_answers_are_left_out_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let file = prodigy_answers_file(dir.path());
    let (_d, root) = empty_workspace();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "jsonl",
        "--annotator",
        "ml",
        p(&file),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let mut spans = spans_of(&root, "ml");
    spans.sort();
    assert_eq!(
        spans,
        [
            (
                "answers/000001.txt".into(),
                0,
                6,
                "PER".into(),
                String::new()
            ),
            (
                "answers/000004.txt".into(),
                0,
                2,
                "quote".into(),
                String::new()
            ),
        ]
    );
    assert!(!root.join("answers/000002.txt").exists());
    assert!(!root.join("answers/000003.txt").exists());
    assert!(out.contains("imported 2 spans into 2 documents"), "{out}");
    assert!(
        out.contains("left out 1 record answered reject, 1 answered ignore (3 spans in them;"),
        "{out}"
    );
    assert!(out.contains("left out 1 span answered reject"), "{out}");
}

/// `--answers accept,reject` imports the reject record and the rejected span as well; the
/// ignore record is still left out and counted.
#[test]
fn answers_option_chooses_which_prodigy_answers_are_imported() {
    let dir = tempfile::tempdir().unwrap();
    let file = prodigy_answers_file(dir.path());
    let (_d, root) = empty_workspace();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "jsonl",
        "--answers",
        "accept,reject",
        "--annotator",
        "ml",
        p(&file),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let mut spans = spans_of(&root, "ml");
    spans.sort();
    assert_eq!(
        spans,
        [
            (
                "answers/000001.txt".into(),
                0,
                6,
                "PER".into(),
                String::new()
            ),
            (
                "answers/000001.txt".into(),
                13,
                18,
                "LOC".into(),
                String::new()
            ),
            (
                "answers/000002.txt".into(),
                0,
                5,
                "claim".into(),
                String::new()
            ),
            (
                "answers/000002.txt".into(),
                6,
                9,
                "claim".into(),
                String::new()
            ),
            (
                "answers/000004.txt".into(),
                0,
                2,
                "quote".into(),
                String::new()
            ),
        ]
    );
    assert!(
        out.contains("left out 1 record answered ignore (1 span in them;"),
        "{out}"
    );
    assert!(!out.contains("answered reject"), "{out}");
    let refused = marginalia::cli::Cli::try_parse_from([
        "marginalia",
        "import",
        "--format",
        "jsonl",
        "--answers",
        "accept,maybe",
        p(&file),
    ])
    .unwrap_err()
    .to_string();
    assert!(refused.contains("unknown answer \"maybe\""), "{refused}");
}

/// Relations in doccano's and Prodigy's (`rel.manual`) jsonl become relations between the
/// record's spans, and their types join tags.ron.
#[test]
fn doccano_and_prodigy_relations_are_imported_and_counted_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rel.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"id": 1, "text": "Zoë works at Acme in Oslo.", "entities": [{"id": 10, "start_offset": 0, "end_offset": 3, "label": "PER"}, {"id": 11, "start_offset": 13, "end_offset": 17, "label": "ORG"}, {"id": 12, "start_offset": 21, "end_offset": 25, "label": "LOC"}], "relations": [{"id": 5, "from_id": 10, "to_id": 11, "type": "works_at"}, {"id": 6, "from_id": 11, "to_id": 12, "type": "located_in"}]}"#, "\n",
            r#"{"text": "Ann met Bo.", "spans": [{"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 10, "label": "PER"}], "relations": [{"head": 0, "child": 2, "head_span": {"start": 0, "end": 3, "token_start": 0, "token_end": 0, "label": "PER"}, "child_span": {"start": 8, "end": 10, "token_start": 2, "token_end": 2, "label": "PER"}, "label": "MET"}], "answer": "accept"}"#, "\n",
        ),
    )
    .unwrap();
    let (_d, root) = empty_workspace();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "jsonl",
        "--annotator",
        "ml",
        p(&file),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 5 spans into 2 documents"), "{out}");
    assert!(out.contains("\nimported 3 relations\n"), "{out}");
    assert!(
        out.contains("added 3 relation types to annotations/tags.ron with generated colours: works_at, located_in, MET"),
        "{out}"
    );
    assert!(!out.contains("cannot hold"), "{out}");
    let layers = root.join("annotations/ml");
    let mut kinds = Vec::new();
    for entry in walk(&layers) {
        let layer =
            marginalia::model::layer::Layer::from_ron(&std::fs::read_to_string(&entry).unwrap())
                .unwrap();
        for r in &layer.relations {
            let end = |id: u64| layer.span(id).unwrap().exact.clone();
            kinds.push(format!(
                "{} {} {}",
                end(r.from.span),
                r.kind,
                end(r.to.span)
            ));
        }
    }
    kinds.sort();
    assert_eq!(
        kinds,
        ["Acme located_in Oslo", "Ann MET Bo", "Zoë works_at Acme"]
    );
}

/// Every file under `dir`, recursively.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// Pretty-printed JSON: a pretty-printed JSON array of doccano records imports every record, and a
/// single multi-line object imports as one; a broken array is one error naming the file.
#[test]
fn a_pretty_printed_json_array_or_object_imports_each_record() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team.json");
    std::fs::write(
        &file,
        concat!(
            "[\n",
            "  {\n",
            "    \"text\": \"Macron met Putin 😀.\",\n",
            "    \"label\": [[0, 6, \"PER\"], [11, 16, \"PER\"]]\n",
            "  },\n",
            "  {\n",
            "    \"text\": \"In Moscow.\",\n",
            "    \"label\": [\n      [3, 9, \"LOC\"]\n    ]\n",
            "  }\n",
            "]\n",
        ),
    )
    .unwrap();
    let (_d, root) = empty_workspace();
    let s = import(&file, &root);
    assert!(s.skipped_documents.is_empty(), "{:?}", s.skipped_documents);
    assert!(s.rejected_spans.is_empty(), "{:?}", s.rejected_spans);
    assert_eq!((s.documents, s.spans), (2, 3));
    let spans = spans_of(&root, "ml");
    assert!(spans.contains(&(
        "team/000001.txt".into(),
        11,
        16,
        "PER".into(),
        String::new()
    )));
    assert!(spans.contains(&("team/000002.txt".into(), 3, 9, "LOC".into(), String::new())));

    let one = dir.path().join("one.json");
    std::fs::write(
        &one,
        "{\n  \"text\": \"Hello world\",\n  \"label\": [[0, 5, \"quote\"]]\n}\n",
    )
    .unwrap();
    let (_d2, root2) = empty_workspace();
    let s = import(&one, &root2);
    assert_eq!((s.documents, s.spans), (1, 1), "{:?}", s.skipped_documents);

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "[\n  {\"text\": \"a\"},\n  {\"text\": \n]\n").unwrap();
    let (_d3, root3) = empty_workspace();
    let req = ImportRequest {
        workspace: root3.clone(),
        format: ImportFormat::Jsonl,
        annotator: "ml".into(),
        source: bad.clone(),
        merge: false,
        answers: Default::default(),
        into: None,
    };
    let e = marginalia::interchange::import::run(&req, &|_, _| true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.json") && e.contains("line 4"), "{e}");
}

/// Format sniffing: a source given with the wrong `--format` is refused with one sentence saying
/// what it looks like (nothing written), and without `--format` the format is recognised.
#[test]
fn a_source_in_another_format_is_recognised_and_refused_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let (_w, root) = empty_workspace();
    // A WebAnno TSV 3 export, in a folder, given as brat.
    let tsv_dir = dir.path().join("webanno");
    std::fs::create_dir_all(&tsv_dir).unwrap();
    std::fs::write(
        tsv_dir.join("doc1.tsv"),
        "#FORMAT=WebAnno TSV 3.3\n#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|value\n\n\n#Text=Hi Bob\n1-1\t0-2\tHi\t_\n1-2\t3-6\tBob\tPER\n",
    )
    .unwrap();
    for src in [tsv_dir.clone(), tsv_dir.join("doc1.tsv")] {
        let (code, out, err) = cli(&[
            "import",
            "--format",
            "brat",
            "--annotator",
            "ann",
            p(&src),
            p(&root),
        ]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            err.contains("this looks like WebAnno TSV 3 (INCEpTION / WebAnno), not brat"),
            "{err}"
        );
        assert!(err.contains("export the project as CoNLL 2002"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // A CoNLL file given as jsonl: one error, not one per line.
    let conll = dir.path().join("train.txt");
    std::fs::write(&conll, "-DOCSTART- -X- O O\n\nEU\tB-ORG\nrejects\tO\n").unwrap();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "jsonl",
        "--annotator",
        "ann",
        p(&conll),
        p(&root),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("this looks like CoNLL / IOB columns, not jsonl"),
        "{err}"
    );
    assert!(!root.join("annotations/ann").exists());
    // No --format: recognised from the content.
    let jsonl = dir.path().join("d.jsonl");
    std::fs::write(
        &jsonl,
        "{\"text\": \"Hi 🙂 Bob\", \"label\": [[5, 8, \"PER\"]]}\n",
    )
    .unwrap();
    let (code, out, err) = cli(&["import", "--annotator", "ann", p(&jsonl), p(&root)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("as jsonl (recognised from its content"),
        "{out}"
    );
    assert!(out.contains("imported 1 span into 1 document"), "{out}");
}

/// Every import ends with one report, in words or (`--json`) as JSON with the same counts; a
/// source imported in part (a span refused) exits 3, not 0.
#[test]
fn the_import_report_as_json_counts_everything_and_a_partial_import_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let (_w, root) = empty_workspace();
    let file = dir.path().join("mixed.jsonl");
    std::fs::write(
        &file,
        concat!(
            "{\"text\": \"Hi 🙂 Bob\\r\\nand Ann\", \"label\": [[5, 8, \"PER\"], [5, 8, \"PER\"], [14, 99, \"PER\"]], \"relations\": [{\"from_id\": 1, \"to_id\": 2, \"type\": \"knows\"}]}\n",
            "{\"text\": \"No\", \"spans\": [{\"start\": 0, \"end\": 2, \"label\": \"X\"}], \"answer\": \"reject\"}\n",
        ),
    )
    .unwrap();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "jsonl",
        "--annotator",
        "ann",
        "--json",
        p(&file),
        p(&root),
    ]);
    assert_eq!(code, 3, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["exit_code"], 3);
    assert_eq!(v["format"], "jsonl");
    assert_eq!(v["documents"], 1);
    assert_eq!(v["spans_imported"], 1);
    assert_eq!(v["texts_copied"].as_array().unwrap().len(), 1);
    let rejected = v["spans_rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(
        rejected[0]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}:1: span 3: 14..99 is outside", file.display())),
        "{rejected:?}"
    );
    assert_eq!(v["duplicates"]["by_kind"]["identical"], 1);
    assert_eq!(v["duplicates"]["total"], 1);
    // The relation names entity ids a `label` list does not have: refused, with why.
    assert_eq!(v["cannot_hold"]["total"]["relations"], 0);
    assert_eq!(v["relations_imported"], 0);
    let refused = v["relations_rejected"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0]
            .as_str()
            .unwrap()
            .contains("knows relation: from_id or to_id is not an imported entity"),
        "{refused:?}"
    );
    assert_eq!(v["answers_left_out"]["reject"]["records"], 1);
    assert_eq!(v["answers_left_out"]["reject"]["spans_in_records"], 1);
    assert_eq!(v["tags_added"], serde_json::json!(["PER"]));
    // The same import in words: the same counts, and the partial import named on stderr.
    let (_w2, root2) = empty_workspace();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "jsonl",
        "--annotator",
        "ann",
        p(&file),
        p(&root2),
    ]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("imported 1 span into 1 document"), "{out}");
    assert!(out.contains("rejected 1 span:"), "{out}");
    assert!(err.contains("imported in part: 1 span rejected"), "{err}");
}

fn fixture(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(REPO).join("tests/fixtures").join(rel)
}

fn json_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// doccano 1.x: doccano 1.x names the text `data`; such a file imported 0 of its spans. Read
/// with `--format jsonl` or `--format doccano`, every span comes in, emoji and CRLF texts too.
#[test]
fn doccano_1x_data_records_import_every_span() {
    let file = fixture("doccano/doccano1.jsonl");
    for format in ["jsonl", "doccano"] {
        let (_d, root) = empty_workspace();
        let (code, out, err) = cli(&[
            "import",
            "--format",
            format,
            "--annotator",
            "ml",
            p(&file),
            p(&root),
        ]);
        assert_eq!(code, 0, "{format}: {out}{err}");
        assert!(
            out.contains("imported 5 spans into 3 documents"),
            "{format}: {out}"
        );
        assert!(
            !out.contains("skipped") && !out.contains("rejected"),
            "{out}"
        );
        // doccano's screen counts an emoji as 2: the import says where that may matter.
        assert!(
            out.contains("2 doccano records with an emoji")
                && out.contains("doccano1.jsonl:1 and 1 more")
                && out.contains("(UTF-16)"),
            "{out}"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("doccano1/000002.txt")).unwrap(),
            "Line one.\r\nSecond line by Zoë 👋, from Zürich."
        );
        let spans: Vec<(String, usize, usize, String)> = spans_of(&root, "ml")
            .into_iter()
            .map(|(rel, s, e, tag, _)| (rel, s, e, tag))
            .collect();
        assert_eq!(
            spans,
            [
                ("doccano1/000001.txt".into(), 0, 6, "PER".into()),
                ("doccano1/000001.txt".into(), 11, 16, "PER".into()),
                ("doccano1/000001.txt".into(), 22, 28, "LOC".into()),
                ("doccano1/000002.txt".into(), 26, 29, "PER".into()),
                ("doccano1/000002.txt".into(), 38, 44, "LOC".into()),
            ],
            "{format}"
        );
    }
}

/// doccano export: a doccano file imported and exported `--format doccano` comes
/// back in doccano's shape with the same ids, texts and labels, and imports again the same.
#[test]
fn a_doccano_file_exported_as_doccano_keeps_ids_texts_and_labels() {
    let file = fixture("doccano/doccano1.jsonl");
    let (_d, root) = empty_workspace();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "doccano",
        "--annotator",
        "ml",
        p(&file),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("back.jsonl");
    let (code, out, err) = cli(&[
        "export",
        "--format",
        "doccano",
        "--layer",
        "ml",
        "-o",
        p(&exported),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let back = json_lines(&exported);
    let source = json_lines(&file);
    assert_eq!(back.len(), 3);
    for (b, s) in back.iter().zip(&source) {
        assert_eq!(b["id"], s["id"]);
        assert_eq!(b["text"], s["data"]);
        assert_eq!(b["label"], s["label"]);
        let keys: Vec<&String> = b.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "label", "text"]);
    }
    let (_d2, again) = empty_workspace();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "doccano",
        "--annotator",
        "ml",
        p(&exported),
        p(&again),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 5 spans into 3 documents"), "{out}");
    let strip = |v: Vec<(String, usize, usize, String, String)>| -> Vec<_> {
        v.into_iter()
            .map(|(rel, s, e, t, _)| (rel.rsplit('/').next().unwrap().to_owned(), s, e, t))
            .collect()
    };
    assert_eq!(strip(spans_of(&again, "ml")), strip(spans_of(&root, "ml")));
}

/// Prodigy round trip: a ner.manual file imported and exported as jsonl is still a
/// Prodigy file: the same hashes, answer, view id, session, timestamp, meta keys, tokens and
/// spans (with their token indices), and our meta path and status besides.
#[test]
fn a_prodigy_file_exported_back_keeps_hashes_answer_meta_tokens_and_spans() {
    let file = fixture("prodigy/ner_manual.jsonl");
    let (_d, root) = empty_workspace();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "jsonl",
        "--annotator",
        "ml",
        p(&file),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 4 spans into 2 documents"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("back.jsonl");
    let (code, out, err) = cli(&[
        "export",
        "--format",
        "jsonl",
        "--layer",
        "ml",
        "-o",
        p(&exported),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let back = json_lines(&exported);
    let source = json_lines(&file);
    assert_eq!(back.len(), 2);
    for (b, s) in back.iter().zip(&source) {
        for key in [
            "text",
            "_input_hash",
            "_task_hash",
            "answer",
            "_view_id",
            "_session_id",
            "_annotator_id",
            "_timestamp",
            "tokens",
        ] {
            assert_eq!(b[key], s[key], "{key}");
        }
        for (k, v) in s["meta"].as_object().unwrap() {
            assert_eq!(&b["meta"][k], v, "meta.{k}");
        }
        assert!(
            b["meta"]["path"]
                .as_str()
                .unwrap()
                .starts_with("ner_manual/")
        );
        assert_eq!(b["meta"]["status"], "in-progress");
        let spans = |v: &serde_json::Value| -> Vec<[serde_json::Value; 5]> {
            v["spans"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    ["start", "end", "label", "token_start", "token_end"].map(|k| s[k].clone())
                })
                .collect()
        };
        assert_eq!(spans(b), spans(s));
    }
    // The export reads back in, to the same texts and spans.
    let (_d2, again) = empty_workspace();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "jsonl",
        "--annotator",
        "ml",
        p(&exported),
        p(&again),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(spans_of(&again, "ml"), spans_of(&root, "ml"));
}

/// `--merge` adds spans to a layer and keeps the layer's own import record: the Prodigy hashes
/// exported afterwards are those of the first import.
#[test]
fn merging_keeps_the_layers_first_import_record() {
    let file = fixture("prodigy/ner_manual.jsonl");
    let (_d, root) = empty_workspace();
    let run = |src: &std::path::Path, merge: bool| {
        let mut args = vec!["import", "--format", "jsonl", "--annotator", "ml"];
        if merge {
            args.push("--merge");
        }
        args.extend([p(src), p(&root)]);
        let (code, out, err) = cli(&args);
        assert_eq!(code, 0, "{out}{err}");
    };
    run(&file, false);
    let dir = tempfile::tempdir().unwrap();
    let second = dir.path().join("ner_manual.jsonl");
    let changed: String = json_lines(&file)
        .into_iter()
        .map(|mut v| {
            v["_task_hash"] = 7.into();
            v["spans"] = serde_json::json!([{"start": 0, "end": 4, "label": "X"}]);
            format!("{v}\n")
        })
        .collect();
    std::fs::write(&second, changed).unwrap();
    run(&second, true);
    let (code, out, err) = cli(&["export", "--format", "jsonl", "--layer", "ml", p(&root)]);
    assert_eq!(code, 0, "{err}");
    let source = json_lines(&file);
    let back: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (b, s) in back.iter().zip(&source) {
        assert_eq!(b["_task_hash"], s["_task_hash"]);
        assert_eq!(b["spans"].as_array().unwrap().len(), 3, "{b}");
    }
}

/// doccano's screen counts an emoji as 2 UTF-16 units; a record whose spans cut words when
/// read as code points but fit them as UTF-16 units is named as probably shifted, while a
/// record made with code points is only listed to check.
#[test]
fn doccano_records_counted_in_utf16_are_named_as_probably_shifted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("screen.jsonl");
    std::fs::write(
        &file,
        concat!(
            // Code points: "Moscow" is 4..10.
            r#"{"id": 1, "data": "I 😀 Moscow today.", "label": [[4, 10, "LOC"]]}"#,
            "\n",
            // UTF-16 units, as doccano's screen counts: "Moscow" is 5..11.
            r#"{"id": 2, "data": "I 😀 Moscow today.", "label": [[5, 11, "LOC"]]}"#,
            "\n",
            // No emoji before the span: nothing to say.
            r#"{"id": 3, "data": "Moscow 😀", "label": [[0, 6, "LOC"]]}"#,
            "\n",
        ),
    )
    .unwrap();
    let (_d, root) = empty_workspace();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "doccano",
        "--annotator",
        "ml",
        p(&file),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let shown = file.display();
    assert!(
        out.contains(&format!(
            "2 doccano records with an emoji or another character beyond U+FFFF before a span's end ({shown}:1 and 1 more)"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "the spans of 1 record ({shown}:2) cut words as code points but not as UTF-16 units"
        )),
        "{out}"
    );
}

/// Every file under `root`, relative, sorted: what an import left on disk.
fn files_under(root: &std::path::Path) -> Vec<String> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[test]
fn a_byte_that_is_not_utf8_in_the_middle_of_a_source_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Past the first 64 KB, where the format is recognised, as in the report (163 layers
    // written before the error).
    let pad = "x".repeat(200);
    let mut jsonl = Vec::new();
    for i in 0..400 {
        jsonl.extend_from_slice(
            format!("{{\"text\": \"Line {i} {pad}\", \"label\": [[0, 4, \"X\"]]}}\n").as_bytes(),
        );
    }
    jsonl.extend_from_slice(b"{\"text\": \"bad \xff byte\", \"label\": []}\n");
    jsonl.extend_from_slice(b"{\"text\": \"After.\", \"label\": [[0, 5, \"X\"]]}\n");
    let mut conll = Vec::new();
    for i in 0..400 {
        conll.extend_from_slice(format!("-DOCSTART- O\n\nWord{i} B-X\n{pad} O\n\n").as_bytes());
    }
    conll.extend_from_slice(b"-DOCSTART- O\n\nBad\xfe B-X\n");
    for (format, name, bytes) in [
        ("jsonl", "half.jsonl", &jsonl),
        ("doccano", "half-doccano.jsonl", &jsonl),
        ("conll", "half.conll", &conll),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let (_d, root) = empty_workspace();
        let (code, out, err) = cli(&[
            "import",
            "--format",
            format,
            "--annotator",
            "ml",
            "--json",
            p(&file),
            p(&root),
        ]);
        assert_eq!(code, 1, "{format}: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
        let error = v["error"].as_str().unwrap();
        let line = if format == "conll" { 2003 } else { 401 };
        assert!(
            error.contains(&format!("line {line} is not UTF-8")),
            "{format}: {error}"
        );
        assert_eq!(v["exit_code"], 1);
        // The workspace is as it was: no text, no layer, no tags.ron.
        assert!(
            files_under(&root).is_empty(),
            "{format}: {:?}",
            files_under(&root)
        );
    }
}

#[test]
fn import_json_prints_one_object_with_the_error_and_exit_code_on_every_wrong_input() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, root) = empty_workspace();
    let binary = dir.path().join("model.spacy");
    std::fs::write(&binary, b"PK\x03\x04\0\0\0\x01\x02binary").unwrap();
    let folder = dir.path().join("folder");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("notes.md"), "no annotations here\n").unwrap();
    let missing = dir.path().join("missing.jsonl");
    let good = dir.path().join("good.jsonl");
    std::fs::write(&good, "{\"text\": \"Hi.\", \"label\": [[0, 2, \"X\"]]}\n").unwrap();
    let cases: [(&[&str], i32); 6] = [
        (&["--format", "jsonl", "--annotator", "ml", p(&missing)], 1),
        (&["--format", "jsonl", "--annotator", "ml", p(&folder)], 1),
        (&["--annotator", "ml", p(&binary)], 1),
        (&["--format", "jsonl", "--annotator", "ml", p(&binary)], 1),
        (
            &["--format", "jsonl", "--annotator", "not a name!", p(&good)],
            2,
        ),
        (&["--format", "jsonl", p(&good)], 2),
    ];
    for (args, want) in cases {
        let mut argv = vec!["import", "--json"];
        argv.extend_from_slice(args);
        argv.push(p(&root));
        let (code, out, err) = cli(&argv);
        assert_eq!(code, want, "{argv:?}: {out}{err}");
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{argv:?}: {e}: {out:?}"));
        assert!(
            v["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{argv:?}: {v}"
        );
        assert_eq!(v["exit_code"], want, "{argv:?}: {v}");
    }
    // Without --json, a bad annotator name is a bad command line too.
    let (code, _, err) = cli(&[
        "import",
        "--format",
        "jsonl",
        "--annotator",
        "a/b",
        p(&good),
        p(&root),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: --annotator"), "{err}");
    assert!(!root.join("good").exists());
}

#[test]
fn an_empty_source_exits_1_with_the_same_message_in_every_importer() {
    let dir = tempfile::tempdir().unwrap();
    let empty_folder = dir.path().join("brat-empty");
    std::fs::create_dir_all(&empty_folder).unwrap();
    for format in [
        "jsonl",
        "doccano",
        "csv",
        "w3c",
        "conll",
        "labelstudio",
        "brat",
    ] {
        let source = if format == "brat" {
            empty_folder.clone()
        } else {
            let f = dir.path().join(format!("empty-{format}.txt"));
            std::fs::write(&f, "\n").unwrap();
            f
        };
        let (_d, root) = empty_workspace();
        let (code, out, err) = cli(&[
            "import",
            "--format",
            format,
            "--annotator",
            "ml",
            p(&source),
            p(&root),
        ]);
        assert_eq!(code, 1, "{format}: {out}{err}");
        assert!(
            err.contains(&format!(
                "nothing imported: {} holds no documents",
                source.display()
            )),
            "{format}: {err}"
        );
        let (code, out, _) = cli(&[
            "import",
            "--format",
            format,
            "--annotator",
            "ml",
            "--json",
            p(&source),
            p(&root),
        ]);
        assert_eq!(code, 1, "{format}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (v["exit_code"].as_i64(), v["empty_source"].as_bool()),
            (Some(1), Some(true))
        );
    }
}

#[test]
fn a_first_record_larger_than_64_kb_is_recognised_and_a_wrong_format_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.jsonl");
    let long = "word ".repeat(30_000);
    std::fs::write(
        &file,
        format!(
            "{{\"text\": \"{long}\", \"label\": [[0, 4, \"X\"]]}}\n{{\"text\": \"Short.\", \"label\": [[0, 5, \"X\"]]}}\n"
        ),
    )
    .unwrap();
    let (_d, root) = empty_workspace();
    // Given the wrong format, the content check still sees the first record.
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "conll",
        "--annotator",
        "ml",
        p(&file),
        p(&root),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("not conll; use --format jsonl"), "{err}");
    assert!(files_under(&root).is_empty(), "{:?}", files_under(&root));
    // Without --format it is recognised and read.
    let (code, out, err) = cli(&["import", "--annotator", "ml", p(&file), p(&root)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("as jsonl (recognised from its content"),
        "{out}"
    );
    assert!(out.contains("imported 2 spans into 2 documents"), "{out}");
}

/// A write that fails in the middle of a source (here `tags.ron`, made a folder while the third
/// record is read) no longer ends the run with only an error after documents were written: the
/// summary lists exactly what was written, says why it stopped, and the exit status is 3.
#[test]
fn an_import_that_stops_half_way_reports_exactly_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("three.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"text": "One.", "label": [[0, 3, "A"]]}"#,
            "\n",
            r#"{"text": "Two.", "label": [[0, 3, "A"]]}"#,
            "\n",
            r#"{"text": "Three.", "label": [[0, 5, "B"]]}"#,
            "\n",
            r#"{"text": "Four.", "label": [[0, 4, "A"]]}"#,
            "\n",
        ),
    )
    .unwrap();
    let (_d, root) = empty_workspace();
    let tags = root.join("annotations/tags.ron");
    let calls = std::cell::Cell::new(0);
    let sabotage = |_: usize, _: usize| {
        calls.set(calls.get() + 1);
        if calls.get() == 3 {
            std::fs::remove_file(&tags).unwrap();
            std::fs::create_dir(&tags).unwrap();
        }
        true
    };
    let req = ImportRequest {
        workspace: root.clone(),
        format: ImportFormat::Jsonl,
        annotator: "ml".into(),
        source: file.clone(),
        merge: false,
        answers: Default::default(),
        into: None,
    };
    let s = marginalia::interchange::import::run(&req, &sabotage)
        .expect("a summary, not only an error");
    assert_eq!(s.exit_code(), 3);
    assert!(
        s.stopped.as_deref().is_some_and(|w| w.contains("tags.ron")),
        "{:?}",
        s.stopped
    );
    assert_eq!(s.documents, 2);
    assert_eq!(s.texts_copied, ["three/000001.txt", "three/000002.txt"]);
    assert!(root.join("annotations/ml/three/000002.ron").is_file());
    assert!(!root.join("three/000003.txt").exists());
    let report = s.report(20).join("\n");
    assert!(
        report.starts_with("stopped before the end of the source: "),
        "{report}"
    );
    assert!(
        s.failure(&file)
            .unwrap()
            .contains("what was written before is listed above (2 layers written, 2 texts copied)")
    );
}
