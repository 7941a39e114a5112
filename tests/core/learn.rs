//! The learned tagger (issue 26): trained on a small invented CoNLL fixture, it must keep its F1
//! on held-out documents (the small-data check that fails if learning gets worse), and its model
//! file must read back the same and refuse every kind of broken file with one error naming it.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use marginalia::assist::learn::score::Scores;
use marginalia::assist::learn::{
    self, Model, ModelFileError, TrainOptions, TrainingDoc, corpus, file,
};
use marginalia::interchange::import::{ImportFormat, ImportRequest};
use marginalia::workspace::Workspace;

use crate::support::files::REPO;

/// The fixture's eight documents, imported as `gold`'s layer into `news/` of a new workspace.
fn fixture() -> (tempfile::TempDir, Workspace, Vec<TrainingDoc>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    let req = ImportRequest {
        workspace: root.clone(),
        format: ImportFormat::Conll(Default::default()),
        annotator: "gold".into(),
        source: Path::new(REPO).join("tests/fixtures/learn/news.conll"),
        merge: false,
        answers: Default::default(),
        into: Some("news".into()),
    };
    marginalia::interchange::import::run(&req, &|_, _| true).unwrap();
    let ws = Workspace::open(&root).unwrap();
    let g = corpus::gather(&ws, &["gold".to_owned()], "news", &mut |_, _| {}).unwrap();
    assert!(g.problems.is_empty(), "{:?}", g.problems);
    assert_eq!(g.docs.len(), 8);
    (dir, ws, g.docs)
}

fn train(ws: &Workspace, docs: &[TrainingDoc]) -> Model {
    let opts = TrainOptions {
        tags: ws.tags().tags.iter().map(|t| t.name.clone()).collect(),
        ..TrainOptions::default()
    };
    learn::train(docs, &opts, &mut |_| ControlFlow::Continue(())).unwrap()
}

fn exact_f1(model: &Model, docs: &[TrainingDoc]) -> Scores {
    let mut s = Scores::default();
    for d in docs {
        let p = model.predict(&d.text);
        let prop: Vec<_> = p.iter().map(|x| (x.start, x.end, x.tag.as_str())).collect();
        let gold: Vec<_> = d
            .spans
            .iter()
            .map(|x| (x.start, x.end, x.tag.as_str()))
            .collect();
        s.add(&prop, &gold);
    }
    s
}

/// The small-data check: six documents teach the tagger enough to find most names in the two
/// held out (exact F1 1.00 when written, most of their names seen in training; the floor
/// leaves room for a harmless change, not for a broken feature or decoder).
#[test]
fn trained_on_six_invented_documents_it_finds_the_names_in_two_held_out() {
    let (_dir, ws, docs) = fixture();
    let model = train(&ws, &docs[..6]);
    assert_eq!(model.header.documents.len(), 6);
    let mut tags = model.header.tags.clone();
    tags.sort();
    assert_eq!(tags, ["LOC", "ORG", "PER"]);
    let scores = exact_f1(&model, &docs[6..]);
    let all = scores.overall();
    println!("held out: {scores:?}, F1 {:.3}", all.f1());
    assert!(
        all.f1() >= 0.75,
        "exact F1 {:.3} on the held-out documents",
        all.f1()
    );
    // Scores rank: every proposal has one in [0, 1].
    for d in &docs[6..] {
        for p in model.predict(&d.text) {
            assert!((0.0..=1.0).contains(&p.score), "{p:?}");
        }
    }
    // The active order ranks all held-out documents, least certain first.
    let ranked = learn::active::order(&model, docs[6..].iter().map(|d| (d.rel.as_str(), &d.text)));
    assert_eq!(ranked.len(), 2);
    assert!(ranked[0].1 >= ranked[1].1);
}

fn model_file(ws: &Workspace, docs: &[TrainingDoc]) -> (Model, Vec<u8>, PathBuf) {
    let model = train(ws, &docs[..3]);
    let path = file::model_path(ws);
    file::save(&model, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (model, bytes, path)
}

#[test]
fn the_model_file_reads_back_as_the_same_model() {
    let (_dir, ws, docs) = fixture();
    let (model, bytes, path) = model_file(&ws, &docs);
    assert!(path.ends_with("annotations/learned.model"));
    let tags: Vec<String> = ws.tags().tags.iter().map(|t| t.name.clone()).collect();
    let back = file::load_for(&path, &tags).unwrap().unwrap();
    assert_eq!(back.header, model.header);
    assert_eq!(
        file::to_bytes(&back),
        bytes,
        "the same model gives the same bytes"
    );
    for d in &docs {
        assert_eq!(back.predict(&d.text), model.predict(&d.text));
        assert_eq!(
            back.trained_on(d.text.sha256()),
            model.trained_on(d.text.sha256())
        );
    }
    // The file is no layer: the workspace lists no layer for it.
    assert_eq!(ws.layer_names(), ["gold"]);
    // No file: no model, no error.
    std::fs::remove_file(&path).unwrap();
    assert!(file::load(&path).unwrap().is_none());
}

/// The file with its checksum made right again, so a change reaches the checks behind it.
fn resealed(mut body: Vec<u8>) -> Vec<u8> {
    use sha2::Digest;
    body.truncate(body.len() - 32);
    let sum = sha2::Sha256::digest(&body);
    body.extend_from_slice(&sum);
    body
}

/// Which error a broken file must give.
type IsError = fn(&ModelFileError) -> bool;

#[test]
fn each_broken_model_file_is_one_error_naming_it() {
    let (_dir, ws, docs) = fixture();
    let (_model, good, path) = model_file(&ws, &docs);
    let header_len = u32::from_le_bytes([good[12], good[13], good[14], good[15]]) as usize;
    let labels_at = 16 + header_len;
    let mut cases: Vec<(&str, Vec<u8>, IsError)> = vec![
        ("empty", Vec::new(), |e| {
            matches!(e, ModelFileError::NotAModel { .. })
        }),
        (
            "a layer file",
            b"(format: 1, text: \"a.txt\")".to_vec(),
            |e| matches!(e, ModelFileError::NotAModel { .. }),
        ),
        (
            "cut in the weights",
            good[..good.len() * 2 / 3].to_vec(),
            |e| matches!(e, ModelFileError::Truncated { .. }),
        ),
        ("cut in the header", good[..20].to_vec(), |e| {
            matches!(e, ModelFileError::Truncated { .. })
        }),
        (
            "cut before the checksum",
            good[..good.len() - 32].to_vec(),
            |e| matches!(e, ModelFileError::Truncated { .. }),
        ),
    ];
    let mut version = good.clone();
    version[8] = 9;
    cases.push(("version 9", version, |e| {
        matches!(e, ModelFileError::Version { found: 9, .. })
    }));
    let mut flipped = good.clone();
    let at = good.len() - 40;
    flipped[at] ^= 0x55;
    cases.push(("a weight changed", flipped, |e| {
        matches!(e, ModelFileError::Corrupted { .. })
    }));
    let mut header = good.clone();
    header[16] = b'[';
    cases.push((
        "header not JSON",
        resealed(header),
        |e| matches!(e, ModelFileError::Corrupted { reason, .. } if reason.contains("header")),
    ));
    let mut labels = good.clone();
    labels[labels_at] = 99;
    cases.push(("label count", resealed(labels), |e| {
        matches!(e, ModelFileError::Corrupted { .. })
    }));
    // A gazetteer count of four billion: refused from the file's length, nothing allocated.
    let mut count = good.clone();
    let l = good[labels_at] as usize;
    let gaz_at = labels_at + 4 + 4 * l * l;
    count[gaz_at..gaz_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    cases.push(("huge count", resealed(count), |e| {
        matches!(e, ModelFileError::Truncated { .. })
    }));
    let mut extra = good.clone();
    extra.splice(good.len() - 32..good.len() - 32, [0u8; 8]);
    cases.push(("bytes after the weights", resealed(extra), |e| {
        matches!(e, ModelFileError::Corrupted { .. })
    }));
    for (name, bytes, expected) in cases {
        std::fs::write(&path, &bytes).unwrap();
        let e = match file::load(&path) {
            Err(e) => e,
            Ok(_) => panic!("{name}: read as a model"),
        };
        assert!(expected(&e), "{name}: {e:?}");
        assert!(
            e.to_string().starts_with(&path.display().to_string()),
            "{name}: {e}"
        );
    }
    // The workspace lost a tag the model proposes.
    std::fs::write(&path, &good).unwrap();
    let e = file::load_for(&path, &["LOC".into(), "ORG".into()]).unwrap_err();
    assert!(
        matches!(e, ModelFileError::WrongTags { ref missing, .. } if missing == "PER"),
        "{e}"
    );
    assert!(
        e.to_string().contains("learned.model") && e.to_string().contains("PER"),
        "{e}"
    );
    // Not a regular file: a folder at its place.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    assert!(matches!(
        file::load(&path),
        Err(ModelFileError::Unreadable { .. })
    ));
}

/// The window's training: it trains when the layers are newer than the model (here: there is
/// none, and the annotator "gold" has spans), not again while nothing changed, again after a
/// layer changed, and never on more text than it may hold (the model file is then left alone).
#[test]
fn the_window_trains_when_the_layers_changed_and_only_then() {
    let (dir, ws, _) = fixture();
    let path = file::model_path(&ws);
    let never = || false;
    let said = learn::auto::retrain_if_stale(&ws, "gold", &never).unwrap();
    assert!(
        said.as_deref()
            .is_some_and(|s| s.starts_with("learned from 8 documents")),
        "{said:?}"
    );
    let first = std::fs::read(&path).unwrap();
    assert_eq!(
        learn::auto::retrain_if_stale(&ws, "gold", &never).unwrap(),
        None
    );
    // A layer file written after the model: stale again.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (_, layer) = ws.layer_files("gold").files.into_iter().next().unwrap();
    let bytes = std::fs::read(&layer).unwrap();
    std::fs::write(&layer, bytes).unwrap();
    assert!(
        learn::auto::retrain_if_stale(&ws, "gold", &never)
            .unwrap()
            .is_some()
    );

    // Too much text: it says so before reading it, and leaves the model file as it was.
    let trained = std::fs::read(&path).unwrap();
    let root = dir.path().join("ws");
    let big = "word ".repeat(learn::auto::MAX_AUTO_CHARS / 5 + 1);
    std::fs::write(root.join("news/news/huge.txt"), big).unwrap();
    let huge_layer = layer.with_file_name("huge.ron");
    std::fs::copy(&layer, &huge_layer).unwrap();
    let said = learn::auto::retrain_if_stale(&ws, "gold", &never).unwrap();
    assert!(
        said.as_deref()
            .is_some_and(|s| s.starts_with("not trained in the window")),
        "{said:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), trained);
    assert_ne!(first.len(), 0);
}
