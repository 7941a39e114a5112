//! `import --as-suggestions` as a user runs it: model output is stored as suggestions and the
//! layer keeps its bytes; a refused prediction makes the exit status non-zero.

use std::path::Path;

use crate::support::process::{run, stdout};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/suggestions")
        .join(name)
        .display()
        .to_string()
}

fn import(root: &Path, file: &str, more: &[&str]) -> std::process::Output {
    let source = fixture(file);
    let args = [
        &["import", "--as-suggestions", "--annotator", "ana"][..],
        more,
        &[source.as_str(), "."],
    ]
    .concat();
    run(&args, root)
}

#[test]
fn import_as_suggestions_stores_predictions_leaves_the_layer_alone_and_exits_by_what_it_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("annotations/ana")).unwrap();
    std::fs::copy(fixture("news.txt"), root.join("news.txt")).unwrap();
    // An empty layer of ana's, which the import must not touch.
    let made = run(
        &[
            "import",
            "--annotator",
            "ana",
            &fixture("predictions.jsonl"),
            ".",
        ],
        root,
    );
    assert_eq!(made.status.code(), Some(0), "{}", stdout(&made));
    let layer = root.join("annotations/ana/news.ron");
    let before = std::fs::read(&layer).unwrap();

    let o = import(root, "predictions.json", &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["spans_imported"], 0);
    assert_eq!(report["exit_code"], 0);
    // The quote and the claim are in the layer already: only the error is new.
    assert_eq!(report["suggestions"]["total"], 1, "{report}");
    assert_eq!(report["suggestions"]["in_layer"], 3, "{report}");
    assert_eq!(report["labelstudio"]["annotations_ignored"], 1);
    assert_eq!(std::fs::read(&layer).unwrap(), before);
    assert!(
        root.join("annotations/.suggestions/ana/news.jsonl")
            .is_file()
    );

    // Three refused, one already in the layer, one text not in the workspace: nothing stored.
    let o = import(root, "refused.json", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("refused 3 suggestions:"), "{out}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("nothing imported: no suggestion from"),
        "{err}"
    );
    assert_eq!(std::fs::read(&layer).unwrap(), before);

    // --merge writes into the layer: the two do not go together.
    let o = import(root, "predictions.json", &["--merge"]);
    assert_eq!(o.status.code(), Some(2));
}
