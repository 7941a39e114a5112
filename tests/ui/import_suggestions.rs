//! File → Import… with "As suggestions, not into the layer": Label Studio predictions go into
//! the annotator's suggestions store through the window, the summary counts them, and the
//! layer file keeps its bytes.

use std::path::Path;

use egui::vec2;
use egui_kittest::kittest::Queryable;
use marginalia::model::layer::Status;

use crate::support::app;
use crate::support::interchange::{Want, empty_workspace, write_layer};
use crate::transfer::{open_from_file_menu, step_until_shown, type_into};

#[test]
fn import_dialog_stores_predictions_as_suggestions_and_leaves_the_layer_alone() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/suggestions");
    let (_dir, root) = empty_workspace();
    std::fs::copy(fixtures.join("news.txt"), root.join("news.txt")).unwrap();
    let quote = Want {
        range: (14, 23),
        tag: "quote",
        note: "",
    };
    write_layer(&root, "ana", "news.txt", Status::InProgress, &[quote]);
    let layer = root.join("annotations/ana/news.ron");
    let before = std::fs::read(&layer).unwrap();

    let mut h = app::open_app(&root, "ana", vec2(1100.0, 760.0));
    // The document is open while its suggestions are imported.
    h.get_by_label("news.txt").click();
    h.run_steps(3);
    assert_eq!(h.state().open_document(), Some("news.txt"));
    open_from_file_menu(&mut h, "Import…");
    h.get_by_label("labelstudio").click();
    h.get_by_label("As suggestions, not into the layer").click();
    h.run_steps(2);
    let source = fixtures.join("predictions.json");
    type_into(&mut h, "Source", &source.display().to_string());
    h.get_by_label("Import").click();
    step_until_shown(
        &mut h,
        "stored 2 suggestions from predictions.json for 1 text",
    );
    h.run_steps(2);

    for line in [
        "(claim 1, error 1); the layer is unchanged",
        "left out 1 suggestion already in the layer",
        "left out 1 annotation",
    ] {
        assert!(
            h.query_all_by_label_contains(line).next().is_some(),
            "{line:?} is not shown"
        );
    }
    assert_eq!(std::fs::read(&layer).unwrap(), before);
    assert!(
        root.join("annotations/.suggestions/ana/news.jsonl")
            .is_file()
    );
    // They reach the open document's Suggestions panel without reopening it.
    let imported = |h: &egui_kittest::Harness<'_, marginalia::app::MarginaliaApp>| {
        (h.state().suggestions().0.iter())
            .filter(|s| s.source == marginalia::assist::suggest::Source::Imported)
            .count()
    };
    for _ in 0..500 {
        if imported(&h) == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    assert_eq!(imported(&h), 2, "{:?}", h.state().suggestions().0);
}
