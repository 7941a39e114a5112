//! `marginalia learn` and `suggest --eval --against` (issue 26): what learning reports and its
//! exit codes, and the learned source never scored on the documents it was trained on.

use std::path::Path;

use crate::support::files::REPO;
use crate::support::process::cli;

/// A workspace with the invented CoNLL fixture imported as `gold`'s layer into `news/`, and
/// `trainer`'s layer holding the first six of its eight documents (`news/news/000001.txt`…).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    let fixture = Path::new(REPO).join("tests/fixtures/learn/news.conll");
    let (code, _, err) = cli(&[
        "import",
        "--format",
        "conll",
        "--annotator",
        "gold",
        "--into",
        "news",
        fixture.to_str().unwrap(),
        root.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let trainer = root.join("annotations/trainer/news/news");
    std::fs::create_dir_all(&trainer).unwrap();
    for i in 1..=6 {
        let name = format!("{i:06}.ron");
        std::fs::copy(
            root.join("annotations/gold/news/news").join(&name),
            trainer.join(&name),
        )
        .unwrap();
    }
    dir
}

#[test]
fn learn_says_what_it_learnt_from_and_fails_without_curated_documents() {
    let dir = workspace();
    let root = dir.path().to_str().unwrap();
    // No curated layer: nothing to learn, exit 1, no model.
    let (code, out, err) = cli(&["learn", root]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("nothing to learn") && err.contains("curated"),
        "{err}"
    );
    assert!(!dir.path().join("annotations/learned.model").exists());
    // A bad layer name is a bad argument.
    let (code, _, err) = cli(&["learn", "--from", "../x", root]);
    assert_eq!(code, 2, "{err}");
    // From named layers, the first one's document preferred.
    let news = dir.path().join("news");
    let (code, out, err) = cli(&["learn", "--from", "trainer,gold", news.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("learned from 8 documents ("), "{out}");
    assert!(out.contains("of trainer, gold in "), "{out}");
    for tag in ["PER", "LOC", "ORG"] {
        assert!(out.contains(&format!("  {tag}: ")), "{out}");
    }
    assert!(
        out.contains("6 layer files of texts an earlier layer"),
        "{out}"
    );
    assert!(out.contains("wrote annotations/learned.model ("), "{out}");
    assert!(dir.path().join("annotations/learned.model").is_file());
    // A folder without layers of its texts under it: nothing to learn.
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    let empty = dir.path().join("empty");
    let (code, _, err) = cli(&["learn", "--from", "gold", empty.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("under empty"), "{err}");
}

#[test]
fn suggest_eval_against_a_layer_leaves_out_what_the_model_learnt_from() {
    let dir = workspace();
    let root = dir.path().to_str().unwrap();
    // Before any model: the learned source says why it is not measured.
    let (code, out, err) = cli(&[
        "suggest",
        "--eval",
        "--against",
        "gold",
        "--sources",
        "learned",
        root,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("learned: not measured: no model file (annotations/learned.model)"),
        "{out}"
    );
    let (code, _, err) = cli(&["learn", "--from", "trainer", root]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(&[
        "suggest",
        "--eval",
        "--against",
        "gold",
        "--sources",
        "learned",
        "--json",
        root,
    ]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["documents"], 8);
    let learned = &report["measured"][0];
    assert_eq!(learned["source"], "learned");
    assert_eq!(learned["documents"], 2);
    assert_eq!(learned["left_out"], 6);
    // Its rows count the two held-out documents' gold spans only.
    let rows = report["rows"].as_array().unwrap();
    let total = rows
        .iter()
        .find(|r| r["source"] == "learned" && r["tag"] == "(all tags)")
        .unwrap();
    assert_eq!(total["gold"], 19, "{total}");
    assert!(total["f1_exact"].as_f64().unwrap() >= 0.75, "{total}");
    assert!(
        rows.iter()
            .all(|r| r["source"] == "learned" || r["source"] == "all"),
        "{out}"
    );
    let (code, out, _) = cli(&[
        "suggest",
        "--eval",
        "--against",
        "gold",
        "--sources",
        "learned",
        root,
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("| exact F1 |"), "{out}");
    assert!(
        out.contains("learned: measured on 2 documents; 6 documents it was trained on left out"),
        "{out}"
    );
}
