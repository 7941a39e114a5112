//! File → Export… and File → Import… in the real app, driven with egui_kittest: the choices are
//! clicked and typed as a user would, the run goes through the background thread, and the checks
//! read the files it wrote and what the window shows.

use std::path::Path;

use egui::{Key, Modifiers, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use marginalia::app::MarginaliaApp;
use marginalia::model::layer::Layer;

use crate::support::app;
use crate::support::files::copy_workspace;

const ANNOTATOR: &str = "editor-a";

/// File → `entry`.
pub(crate) fn open_from_file_menu(h: &mut Harness<'_, MarginaliaApp>, entry: &str) {
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label(entry).click();
    // The window sizes itself over its first frames; let it settle before clicking in it.
    h.run_steps(10);
}

/// Replaces the text of the field labelled `label` with `text`.
pub(crate) fn type_into(h: &mut Harness<'_, MarginaliaApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.get_by_label(label).type_text(text);
    h.run_steps(2);
}

/// Steps the app until a label containing `needle` shows (the run is on another thread).
pub(crate) fn step_until_shown(h: &mut Harness<'_, MarginaliaApp>, needle: &str) {
    for _ in 0..3000 {
        if h.query_all_by_label_contains(needle).next().is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    panic!("{needle:?} never showed");
}

#[test]
fn export_dialog_writes_jsonl_with_one_line_per_seed_and_the_annotators_spans() {
    let ws = copy_workspace();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("quotes.jsonl");
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Export…");
    h.get_by_label("jsonl").click();
    h.run_steps(2);
    type_into(&mut h, "Output file", &out.display().to_string());
    h.get_by_label("Export").click();
    step_until_shown(&mut h, "exported ");

    let body = std::fs::read_to_string(&out).expect("the export file was written");
    let seeds: Vec<_> = std::fs::read_dir(ws.path().join("seeds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), seeds.len(), "one line per seed document");
    let mut total = 0;
    for line in lines {
        let rec: serde_json::Value = serde_json::from_str(line).unwrap();
        let rel = rec["meta"]["path"].as_str().unwrap();
        assert_eq!(rec["meta"]["annotator"], ANNOTATOR);
        let layer_path = ws
            .path()
            .join("annotations")
            .join(ANNOTATOR)
            .join(rel.replace(".txt", ".ron"));
        let layer = Layer::from_ron(&std::fs::read_to_string(layer_path).unwrap()).unwrap();
        let spans = rec["spans"].as_array().unwrap();
        assert_eq!(spans.len(), layer.spans.len(), "{rel}: span count");
        total += spans.len();
    }
    assert!(total > 0);
    // The summary names what was written.
    assert!(
        h.query_by_label_contains(&format!(
            "exported {} documents, {total} spans",
            seeds.len()
        ))
        .is_some()
    );
}

#[test]
fn export_dialog_shows_the_error_when_the_output_is_a_folder_and_writes_nothing() {
    let ws = copy_workspace();
    let out_dir = tempfile::tempdir().unwrap();
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Export…");
    h.get_by_label("csv").click();
    h.run_steps(2);
    type_into(&mut h, "Output file", &out_dir.path().display().to_string());
    h.get_by_label("Export").click();
    step_until_shown(&mut h, "Export failed");
    assert!(h.query_by_label_contains("is a folder").is_some());
    assert_eq!(std::fs::read_dir(out_dir.path()).unwrap().count(), 0);
}

#[test]
fn import_dialog_brings_in_a_brat_folder_and_the_document_list_shows_its_texts() {
    let ws = copy_workspace();
    let src = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/brat");
    // Under `seeds/`, the folder the workspace lists, so the app shows the imported texts.
    let into = src.path().join("seeds");
    std::fs::create_dir_all(&into).unwrap();
    let docs = [
        ("conll2002-esp", "esp.train-doc-29"),
        ("news", "000-introduction"),
    ];
    for (folder, stem) in docs {
        for ext in ["txt", "ann"] {
            let name = format!("{stem}.{ext}");
            std::fs::copy(fixtures.join(folder).join(&name), into.join(&name)).unwrap();
        }
    }
    let mut h = harness(ws.path());
    let before = h.state().entries().len();
    open_from_file_menu(&mut h, "Import…");
    h.get_by_label("brat").click();
    h.run_steps(2);
    type_into(&mut h, "Import as annotator", "importer");
    type_into(&mut h, "Source", &src.path().display().to_string());
    h.get_by_label("Import").click();
    step_until_shown(&mut h, "imported ");
    h.run_steps(2);

    for (_, stem) in docs {
        let text = ws.path().join("seeds").join(format!("{stem}.txt"));
        assert!(text.is_file(), "{stem}.txt was copied into the workspace");
        let layer_path = ws
            .path()
            .join("annotations/importer/seeds")
            .join(format!("{stem}.ron"));
        let layer = Layer::from_ron(&std::fs::read_to_string(&layer_path).unwrap()).unwrap();
        let ann = std::fs::read_to_string(into.join(format!("{stem}.ann"))).unwrap();
        let t_lines = ann.lines().filter(|l| l.starts_with('T')).count();
        assert_eq!(layer.spans.len(), t_lines, "{stem}: one span per T line");
        // The document list shows it.
        assert!(
            h.state()
                .entries()
                .iter()
                .any(|e| e.rel == format!("seeds/{stem}.txt"))
        );
        assert!(h.query_by_label(&format!("{stem}.txt")).is_some());
    }
    assert_eq!(h.state().entries().len(), before + docs.len());
    // New tags went into tags.ron, and the summary says so; skipped brat annotations are reported.
    let tags = std::fs::read_to_string(ws.path().join("annotations/tags.ron")).unwrap();
    assert!(tags.contains("\"PER\""), "{tags}");
    assert!(h.query_all_by_label_contains("added ").next().is_some());
    assert!(
        h.query_all_by_label_contains("2 relations")
            .next()
            .is_some()
    );
}

#[test]
fn import_dialog_reads_conll_with_the_columns_typed() {
    let ws = copy_workspace();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conll/conll2003-iob1.txt");
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Import…");
    h.get_by_label("conll").click();
    h.run_steps(2);
    type_into(&mut h, "Import as annotator", "importer");
    type_into(&mut h, "Source", &src.display().to_string());
    // A bad columns value is refused before anything runs.
    type_into(&mut h, "Columns", "3");
    h.get_by_label("Import").click();
    step_until_shown(&mut h, "give TOKEN,TAG");
    type_into(&mut h, "Columns", "0,3");
    h.get_by_label("Import").click();
    step_until_shown(&mut h, "imported 9 spans into 2 documents");
    assert!(
        h.query_all_by_label_contains("the texts are rebuilt from the tokens")
            .next()
            .is_some()
    );
    let text = ws.path().join("seeds/conll2003-iob1/000002.txt");
    assert!(
        std::fs::read_to_string(&text)
            .unwrap()
            .contains("😀 for Nike 's Air Max"),
        "{}",
        text.display()
    );
}

#[test]
fn import_dialog_refuses_the_curated_layer_as_annotator() {
    let ws = copy_workspace();
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Import…");
    type_into(&mut h, "Import as annotator", "curated");
    assert!(h.query_by_label_contains("reserved").is_some());
    assert!(h.get_by_label("Import").accesskit_node().is_disabled());
    assert!(!ws.path().join("annotations/curated").exists());
}

#[test]
fn unticking_a_tag_in_the_export_dialog_leaves_its_spans_out() {
    let ws = copy_workspace();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("no-quotes.csv");
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Export…");
    h.get_by_label("csv").click();
    h.run_steps(2);
    h.get_by_label("quote").click();
    h.run_steps(2);
    type_into(&mut h, "Output file", &out.display().to_string());
    h.get_by_label("Export").click();
    step_until_shown(&mut h, "exported ");

    let mut expected = 0;
    for e in std::fs::read_dir(ws.path().join("annotations").join(ANNOTATOR).join("seeds")).unwrap()
    {
        let layer = Layer::from_ron(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap();
        expected += layer.spans.iter().filter(|s| s.tag != "quote").count();
    }
    let mut rows = csv::Reader::from_path(&out).unwrap();
    let tags: Vec<String> = rows
        .records()
        .map(|r| r.unwrap().get(2).unwrap().to_owned())
        .collect();
    assert_eq!(tags.len(), expected);
    assert!(tags.iter().all(|t| t != "quote"), "{tags:?}");
}

fn harness(path: &Path) -> Harness<'static, MarginaliaApp> {
    app::open_app(path, ANNOTATOR, vec2(1100.0, 760.0))
}

#[test]
fn export_dialog_refuses_an_output_inside_annotations_and_leaves_the_file_alone() {
    let ws = copy_workspace();
    let layer = ws
        .path()
        .join("annotations/editor-a/seeds/000_b78fa013a4a69998.ron");
    let before = std::fs::read(&layer).unwrap();
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Export…");
    h.get_by_label("jsonl").click();
    h.run_steps(2);
    type_into(&mut h, "Output file", &layer.display().to_string());
    h.get_by_label("Export").click();
    step_until_shown(&mut h, "annotations folder");
    assert_eq!(std::fs::read(&layer).unwrap(), before);
}

/// File → Import… has the CLI's choices and report: Prodigy answers are chosen with ticks, and a
/// source in another format is refused with the sentence that says what it looks like.
#[test]
fn import_dialog_chooses_prodigy_answers_and_names_a_wrong_format() {
    let ws = copy_workspace();
    let src = tempfile::tempdir().unwrap();
    let prodigy = src.path().join("seeds.jsonl");
    std::fs::write(
        &prodigy,
        concat!(
            "{\"text\": \"Yes é Bob\", \"spans\": [{\"start\": 6, \"end\": 9, \"label\": \"PER\"}], \"answer\": \"accept\"}\n",
            "{\"text\": \"No Ann\", \"spans\": [{\"start\": 3, \"end\": 6, \"label\": \"PER\"}], \"answer\": \"reject\"}\n",
        ),
    )
    .unwrap();
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Import…");
    h.get_by_label("jsonl").click();
    h.run_steps(2);
    // Only accept by default; tick reject too.
    assert!(h.get_by_label("accept").accesskit_node().is_selected() != Some(false));
    h.get_by_label("reject").click();
    h.run_steps(2);
    type_into(&mut h, "Import as annotator", "importer");
    type_into(&mut h, "Source", &prodigy.display().to_string());
    h.get_by_label("Import").click();
    step_until_shown(&mut h, "imported ");
    assert!(
        h.query_all_by_label_contains("imported 2 spans into 2 documents")
            .next()
            .is_some()
    );
    // A WebAnno TSV given as brat: refused, and the window says what it is.
    let tsv = src.path().join("doc.tsv");
    std::fs::write(
        &tsv,
        "#FORMAT=WebAnno TSV 3.3\n\n#Text=Hi\n1-1\t0-2\tHi\t_\n",
    )
    .unwrap();
    h.get_by_label("brat").click();
    h.run_steps(2);
    type_into(&mut h, "Source", &tsv.display().to_string());
    h.get_by_label("Import").click();
    step_until_shown(&mut h, "looks like WebAnno TSV 3");
}

#[test]
fn import_dialog_reads_a_label_studio_export_into_one_layer_per_user() {
    let ws = copy_workspace();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/labelstudio/project-4-at-2026-11-20-09-20-export.json");
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Import…");
    h.get_by_label("labelstudio").click();
    h.run_steps(2);
    type_into(&mut h, "Import as annotator", "importer");
    type_into(&mut h, "Source", &src.display().to_string());
    h.get_by_label("Import").click();
    step_until_shown(&mut h, "imported ");
    h.run_steps(2);
    for layer in ["user-10", "ana_example.org", "ner-v2"] {
        assert!(
            ws.path().join("annotations").join(layer).is_dir(),
            "{layer}'s layer was written"
        );
    }
    assert!(!ws.path().join("annotations/importer").exists());
    assert!(
        h.query_all_by_label_contains("left out 1 cancelled annotation")
            .next()
            .is_some()
    );
}

#[test]
fn export_dialog_writes_label_studio_tasks_and_shows_the_labeling_config() {
    let ws = copy_workspace();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("tasks.json");
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Export…");
    h.get_by_label("labelstudio").click();
    h.run_steps(2);
    type_into(&mut h, "Output file", &out.display().to_string());
    h.get_by_label("Export").click();
    step_until_shown(&mut h, "exported ");
    h.run_steps(2);
    let tasks: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).unwrap();
    let tasks = tasks.as_array().unwrap();
    assert!(!tasks.is_empty());
    assert!(
        tasks
            .iter()
            .all(|t| t["predictions"][0]["model_version"] == ANNOTATOR)
    );
    assert!(
        h.query_all_by_label_contains("<Labels name=\"label\" toName=\"text\">")
            .next()
            .is_some()
    );
    assert!(
        h.query_all_by_label_contains("offsets are UTF-16 code units")
            .next()
            .is_some()
    );
    // The same export counting code points, chosen in the window as with --offsets.
    h.get_by_label("code points").click();
    h.run_steps(2);
    h.get_by_label("Export").click();
    step_until_shown(&mut h, "offsets are code points");
}

/// doccano in both windows: File → Import… reads a doccano 1.x file (`data`, not `text`) with
/// every span, and File → Export… writes doccano's shape with the doccano ids back.
#[test]
fn doccano_is_offered_to_import_and_export_and_keeps_its_ids() {
    let ws = copy_workspace();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/doccano/doccano1.jsonl");
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Import…");
    h.get_by_label("doccano").click();
    h.run_steps(2);
    type_into(&mut h, "Source", &fixture.display().to_string());
    h.get_by_label("Import").click();
    step_until_shown(&mut h, "imported 5 spans into 3 documents");
    drop(h);

    // A fresh window, so that only the export window offers "doccano".
    let mut h = harness(ws.path());

    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("doccano.jsonl");
    open_from_file_menu(&mut h, "Export…");
    h.get_by_label("doccano").click();
    h.run_steps(2);
    type_into(&mut h, "Output file", &out.display().to_string());
    h.get_by_label("Export").click();
    step_until_shown(&mut h, "exported ");
    let source: Vec<serde_json::Value> = std::fs::read_to_string(&fixture)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let body = std::fs::read_to_string(&out).expect("the export file was written");
    let back: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for s in &source {
        let b = back
            .iter()
            .find(|b| b["text"] == s["data"])
            .expect("each imported text is exported");
        // In the relation shape when some layer of the workspace has relations (the shipped
        // ones do): the same spans as entities.
        let spans = match b.get("label") {
            Some(label) => label.clone(),
            None => serde_json::Value::Array(
                (b["entities"].as_array().unwrap().iter())
                    .map(|e| serde_json::json!([e["start_offset"], e["end_offset"], e["label"]]))
                    .collect(),
            ),
        };
        assert_eq!((&b["id"], &spans), (&s["id"], &s["label"]));
    }
    // The seeds, never in doccano, have no id.
    assert!(back.len() > source.len());
    assert!(back.iter().filter(|b| b.get("id").is_none()).count() == back.len() - source.len());
}

/// File → Import… has the CLI's destination folder: a plain brat folder (`a.txt`, outside
/// workspace.ron's text folders) goes into the folder typed in "Into folder", and the document
/// list shows it.
#[test]
fn import_dialog_puts_the_texts_into_the_folder_typed() {
    let ws = copy_workspace();
    std::fs::write(
        ws.path().join("annotations/workspace.ron"),
        "(texts: [\"seeds\", \"extra\"])\n",
    )
    .unwrap();
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("plain.txt"), "Hello world").unwrap();
    std::fs::write(src.path().join("plain.ann"), "T1\tquote 0 5\tHello\n").unwrap();
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Import…");
    h.get_by_label("brat").click();
    h.run_steps(2);
    type_into(&mut h, "Import as annotator", "importer");
    type_into(&mut h, "Source", &src.path().display().to_string());
    type_into(&mut h, "Into folder", "extra");
    h.get_by_label("Import").click();
    step_until_shown(&mut h, "imported 1 span into 1 document");
    h.run_steps(2);
    assert!(ws.path().join("extra/plain.txt").is_file());
    assert!(
        ws.path()
            .join("annotations/importer/extra/plain.ron")
            .is_file()
    );
    assert!(
        h.state()
            .entries()
            .iter()
            .any(|e| e.rel == "extra/plain.txt")
    );
}

/// Issue 23: in the Export window, changing the format clears the last run's summary (it was
/// of another format), and the Export button stays where it was whichever format's options
/// row shows, so a click aimed at it does not land on "Save as…".
#[test]
fn export_dialog_drops_the_last_summary_on_a_format_change_and_keeps_its_buttons_in_place() {
    let ws = copy_workspace();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("all.jsonl");
    let mut h = harness(ws.path());
    open_from_file_menu(&mut h, "Export…");
    h.get_by_label("jsonl").click();
    h.run_steps(2);
    let export_at = |h: &Harness<'_, MarginaliaApp>| h.get_by_label("Export").rect();
    let jsonl = export_at(&h);
    for format in ["conll", "labelstudio", "brat", "jsonl"] {
        h.get_by_label(format).click();
        h.run_steps(3);
        assert_eq!(export_at(&h), jsonl, "the Export button with {format}");
    }
    type_into(&mut h, "Output file", &out.display().to_string());
    h.get_by_label("Export").click();
    step_until_shown(&mut h, "exported ");
    h.get_by_label("conll").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("exported ").is_none(),
        "the jsonl run's summary is gone"
    );
}
