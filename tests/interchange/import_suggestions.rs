//! `import --as-suggestions`: Label Studio predictions and jsonl with scores become suggestions
//! in the annotator's store, never spans of their layer; re-imports replace, refusals are
//! counted, and a damaged store file is one clear message.

use std::path::{Path, PathBuf};

use marginalia::assist::suggest::Source;
use marginalia::interchange::import::suggestions::{self, imported_suggestions, store_path};
use marginalia::interchange::import::{Answers, ImportFormat, ImportRequest, ImportSummary};
use marginalia::model::layer::Status;
use marginalia::model::text::Text;
use marginalia::workspace::Workspace;

use crate::support::interchange::{Want, empty_workspace, write_layer};

const ANNOTATOR: &str = "ana";
const TEXT: &str = "news.txt";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/suggestions")
        .join(name)
}

/// A workspace with `news.txt` and, with `layer`, ana's layer holding the quote “We won!”.
fn workspace(layer: bool) -> (tempfile::TempDir, PathBuf) {
    let (dir, root) = empty_workspace();
    std::fs::copy(fixture(TEXT), root.join(TEXT)).unwrap();
    if layer {
        let quote = Want {
            range: (14, 23),
            tag: "quote",
            note: "",
        };
        write_layer(&root, ANNOTATOR, TEXT, Status::InProgress, &[quote]);
    }
    (dir, root)
}

fn import(root: &Path, format: ImportFormat, file: &str) -> ImportSummary {
    let req = ImportRequest {
        workspace: root.to_path_buf(),
        format,
        annotator: ANNOTATOR.into(),
        source: fixture(file),
        merge: false,
        answers: Answers::default(),
        into: None,
    };
    suggestions::run(&req, &|_, _| true).unwrap()
}

/// (start, end, tag, score, by) of what the Suggestions panel would get.
fn offered(root: &Path) -> Vec<(usize, usize, String, f32, String)> {
    let ws = Workspace::open(root).unwrap();
    let text = Text::load(&root.join(TEXT)).unwrap();
    imported_suggestions(&ws, ANNOTATOR, TEXT, &text)
        .unwrap()
        .into_iter()
        .map(|s| {
            assert_eq!(s.source, Source::Imported);
            assert_eq!(s.text, text.slice(s.start, s.end));
            (s.start, s.end, s.tag, s.score, s.by.unwrap_or_default())
        })
        .collect()
}

#[test]
fn labelstudio_predictions_become_suggestions_with_their_scores_and_the_layer_keeps_its_bytes() {
    let (_dir, root) = workspace(true);
    let layer = root.join("annotations/ana/news.ron");
    let before = std::fs::read(&layer).unwrap();

    let summary = import(&root, ImportFormat::LabelStudio, "predictions.json");

    assert_eq!(
        std::fs::read(&layer).unwrap(),
        before,
        "the layer is untouched"
    );
    let stored = summary.suggestions.clone().unwrap();
    assert_eq!((stored.total, stored.texts), (2, 1));
    assert_eq!(
        stored.by_tag.into_iter().collect::<Vec<_>>(),
        [("claim".to_owned(), 1), ("error".to_owned(), 1)]
    );
    // The quote is ana's span already; the claim is predicted by both model versions.
    assert_eq!((stored.in_layer, stored.repeated), (1, 1));
    assert_eq!(summary.labelstudio.annotations_ignored, 1);
    assert_eq!(summary.labelstudio.predictions_as_suggestions, 2);
    assert_eq!((summary.spans, summary.documents), (0, 0));
    assert_eq!(summary.exit_code(), 0, "{:?}", summary.report(20));
    let report = summary.report(20).join("\n");
    assert!(
        report.contains(
            "stored 2 suggestions from predictions.json for 1 text in annotations/.suggestions/ana/ (claim 1, error 1)"
        ),
        "{report}"
    );
    assert!(report.contains("left out 1 annotation"), "{report}");

    // The result's score, else the prediction's; the higher of a repeat.
    assert_eq!(
        offered(&root),
        [
            (33, 38, "error".into(), 0.4, "predictions.json".into()),
            (52, 92, "claim".into(), 0.8, "predictions.json".into()),
        ]
    );
    // The store is not a layer.
    let ws = Workspace::open(&root).unwrap();
    assert_eq!(ws.layer_names(), [ANNOTATOR]);
    assert_eq!(ws.layer_files(ANNOTATOR).files.len(), 1);
}

#[test]
fn reimporting_a_file_replaces_its_suggestions_and_keeps_another_files() {
    let (_dir, root) = workspace(true);
    import(&root, ImportFormat::LabelStudio, "predictions.json");
    // jsonl: a span's score, and 1 for one without.
    let jsonl = import(&root, ImportFormat::Jsonl, "predictions.jsonl");
    let stored = jsonl.suggestions.unwrap();
    assert_eq!((stored.total, stored.unscored, stored.in_layer), (1, 1, 1));
    let again = import(&root, ImportFormat::LabelStudio, "predictions.json");
    let stored = again.suggestions.unwrap();
    assert_eq!((stored.total, stored.replaced), (2, 2));

    let ws = Workspace::open(&root).unwrap();
    let body = std::fs::read_to_string(store_path(&ws, ANNOTATOR, TEXT).unwrap()).unwrap();
    let from = |by: &str| body.matches(&format!("\"by\":\"{by}\"")).count();
    assert_eq!(
        (from("predictions.json"), from("predictions.jsonl")),
        (2, 1)
    );
    // One suggestion per range and tag: the unscored jsonl claim (1.0) over the prediction's 0.8.
    assert_eq!(
        offered(&root),
        [
            (33, 38, "error".into(), 0.4, "predictions.json".into()),
            (52, 92, "claim".into(), 1.0, "predictions.jsonl".into()),
        ]
    );
}

#[test]
fn refused_predictions_are_counted_with_their_reasons_and_the_exit_code_says_so() {
    let (_dir, root) = workspace(false);
    let summary = import(&root, ImportFormat::LabelStudio, "refused.json");
    assert_eq!(summary.suggestions.as_ref().unwrap().total, 1);
    let refused = summary.rejected_spans.join("\n");
    assert_eq!(summary.rejected_spans.len(), 3, "{refused}");
    for why in [
        "90..400",
        "tag \"PER\" is not in annotations/tags.ron",
        "score 1.7 is outside [0, 1]",
    ] {
        assert!(refused.contains(why), "{why}: {refused}");
    }
    assert_eq!(summary.skipped_documents.len(), 1);
    assert!(
        summary.skipped_documents[0]
            .contains("1 suggestion refused: its text is not in the workspace")
    );
    assert_eq!(summary.exit_code(), 3);
    let failure = summary.failure(&fixture("refused.json")).unwrap();
    assert!(failure.contains("3 suggestions refused"), "{failure}");
    assert!(!root.join("annotations/ana").exists(), "no layer was made");
}

#[test]
fn a_damaged_store_file_is_one_message_naming_it_and_is_never_overwritten() {
    let (_dir, root) = workspace(false);
    let ws = Workspace::open(&root).unwrap();
    let path = store_path(&ws, ANNOTATOR, TEXT).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "{\"format\": \"marginalia-suggestions\", \"version\": 1}\n{\"start\": 3",
    )
    .unwrap();

    let text = Text::load(&root.join(TEXT)).unwrap();
    let e = imported_suggestions(&ws, ANNOTATOR, TEXT, &text)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with(&path.display().to_string()), "{e}");
    assert!(
        e.contains("not a valid suggestions file, so it is ignored: line 2"),
        "{e}"
    );

    let summary = import(&root, ImportFormat::LabelStudio, "predictions.json");
    assert_eq!(summary.refused_documents.len(), 1);
    assert!(summary.refused_documents[0].contains("its suggestions were not replaced"));
    assert_eq!(summary.exit_code(), 1);
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .ends_with("{\"start\": 3")
    );
}

#[test]
fn suggestions_made_on_an_earlier_version_of_the_text_move_with_their_words() {
    let (_dir, root) = workspace(false);
    import(&root, ImportFormat::LabelStudio, "predictions.json");
    let old = std::fs::read_to_string(root.join(TEXT)).unwrap();
    std::fs::write(root.join(TEXT), format!("Update: {old}")).unwrap();
    let moved: Vec<(usize, usize, String)> = offered(&root)
        .into_iter()
        .map(|(s, e, tag, ..)| (s, e, tag))
        .collect();
    assert_eq!(
        moved,
        [
            (22, 31, "quote".into()),
            (41, 46, "error".into()),
            (60, 100, "claim".into())
        ]
    );
}
