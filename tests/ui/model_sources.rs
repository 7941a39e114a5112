//! The model sources in the window: a workspace's providers and its learned tagger propose
//! spans in the Suggestions panel, a failing provider says so there and harms nothing, and an
//! accepted proposal reaches the layer.

use egui::{Key, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use marginalia::app::MarginaliaApp;
use marginalia::assist::suggest::{Source, Suggestion};

use crate::support::app::{open_app, press, save_now};
use crate::support::files::{copy_dir, copy_seeds, repo};

const SEED: &str = "000_b78fa013a4a69998.txt";

/// Steps the app until a shown suggestion satisfies `want` (model sources run on threads and
/// programs of their own).
fn wait_for(h: &mut Harness<'_, MarginaliaApp>, want: impl Fn(&Suggestion) -> bool) -> Suggestion {
    for _ in 0..2000 {
        if let Some(s) = h.state().suggestions().0.iter().find(|s| want(s)) {
            let s = Suggestion::clone(s);
            h.run_steps(1);
            return s;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    panic!("the suggestion never came: {:?}", h.state().suggestions().0);
}

#[test]
fn a_workspace_provider_proposes_in_the_panel_a_broken_one_says_why_and_y_accepts() {
    let ws = tempfile::tempdir().unwrap();
    copy_seeds(ws.path());
    // One provider prints a fixed proposal for the seed; the other cannot start.
    let line = format!(
        r#"{{"path":"seeds/{SEED}","start":0,"end":5,"tag":"claim","score":0.66,"explanation":"fixed"}}"#
    );
    // In a RON string, the line's quotation marks are escaped.
    let line = line.replace('"', "\\\"");
    let settings = format!(
        "(providers: [\n\
         (name: \"fixed\", command: [\"sh\", \"-c\", \"cat >/dev/null; echo '{line}'\"], \
         tags: [\"claim\"], timeout: 20, cache: false),\n\
         (name: \"broken\", command: [\"/no/such/provider\"], timeout: 20, cache: false),\n\
         ])\n"
    );
    std::fs::write(ws.path().join("annotations/providers.ron"), settings).unwrap();
    let mut h = open_app(ws.path(), "tester", vec2(1280.0, 800.0));
    h.get_by_label(SEED).click();
    h.run_steps(3);
    let got = wait_for(&mut h, |s| s.source == Source::Provider);
    assert_eq!((got.start, got.end, got.tag.as_str()), (0, 5, "claim"));
    assert_eq!((got.score, got.by.as_deref()), (0.66, Some("fixed")));
    // The broken one is named, once, with why.
    for _ in 0..200 {
        if h.query_by_label_contains("broken").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    let errors: Vec<String> = h
        .query_all_by_label_contains("broken")
        // A label's text is its value.
        .filter_map(|n| n.accesskit_node().value())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("/no/such/provider"), "{errors:?}");
    h.get_by_label("provider (1)");
    let layer = ws
        .path()
        .join("annotations/tester/seeds")
        .join(SEED.replace(".txt", ".ron"));
    assert!(!layer.exists(), "nothing is written before it is accepted");

    // Accepted like any other source: ] goes to the first in the text, y accepts it.
    press(&mut h, Key::CloseBracket);
    let (shown, focused) = h.state().suggestions();
    assert_eq!(
        shown[focused.expect("one is focused")].source,
        Source::Provider
    );
    press(&mut h, Key::Y);
    save_now(&mut h);
    let saved = std::fs::read_to_string(&layer).unwrap();
    assert!(
        saved.contains("start: 0,\n")
            && saved.contains("end: 5,\n")
            && saved.contains("tag: \"claim\""),
        "{saved}"
    );
}

/// The seeds with editor-a's layers, and a learned model trained on them (as the window would,
/// through the core).
fn with_learned_model() -> (tempfile::TempDir, marginalia::Workspace) {
    let ws = tempfile::tempdir().unwrap();
    copy_seeds(ws.path());
    copy_dir(
        &repo().join("annotations/editor-a"),
        &ws.path().join("annotations/editor-a"),
    );
    let opened = marginalia::Workspace::open(ws.path()).unwrap();
    let said = marginalia::assist::learn::auto::retrain_if_stale(&opened, "editor-a", &|| false)
        .unwrap()
        .expect("it trains: there is no model yet");
    assert!(said.starts_with("learned from 5 documents"), "{said}");
    (ws, opened)
}

#[test]
fn the_learned_tagger_proposes_in_a_document_of_the_workspace() {
    let (ws, _) = with_learned_model();
    let mut h = open_app(ws.path(), "tester", vec2(1280.0, 800.0));
    h.get_by_label(SEED).click();
    h.run_steps(3);
    let got = wait_for(&mut h, |s| s.source == Source::Learned);
    assert!((0.0..=1.0).contains(&got.score), "{got:?}");
    h.get_by_label_contains("learned (");
}

#[test]
fn a_provider_still_running_is_killed_when_another_document_opens() {
    let ws = tempfile::tempdir().unwrap();
    copy_seeds(ws.path());
    let pid_file = ws.path().join("provider.pid");
    let settings = format!(
        "(providers: [(name: \"slow\", command: [\"sh\", \"-c\", \"echo $$ > {}; exec sleep 60\"], \
         timeout: 120, cache: false)])\n",
        pid_file.display()
    );
    std::fs::write(ws.path().join("annotations/providers.ron"), settings).unwrap();
    let mut h = open_app(ws.path(), "tester", vec2(1280.0, 800.0));
    h.get_by_label(SEED).click();
    h.run_steps(3);
    let mut pid = None;
    for _ in 0..500 {
        pid = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok());
        if pid.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    let pid = pid.expect("the provider started");
    let alive = || std::path::Path::new(&format!("/proc/{pid}")).exists();
    assert!(alive());
    h.get_by_label("001_3e981e5bab7b45a2.txt").click();
    h.run_steps(3);
    for _ in 0..300 {
        if !alive() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    panic!("the provider of the document left behind is still running");
}

#[test]
fn alt_shift_down_opens_the_unlabelled_document_the_tagger_is_least_sure_of() {
    let (ws, opened) = with_learned_model();
    // What the tagger is least sure of, among the seeds neither the curated layer nor the
    // tester labelled (all five).
    let model = marginalia::assist::learn::file::load(
        &marginalia::assist::learn::file::model_path(&opened),
    )
    .unwrap()
    .unwrap();
    let texts: Vec<(String, marginalia::model::text::Text)> = opened
        .texts()
        .into_iter()
        .map(|t| (t.rel, marginalia::model::text::Text::load(&t.path).unwrap()))
        .collect();
    let order = marginalia::assist::learn::active::order(
        &model,
        texts.iter().map(|(r, t)| (r.as_str(), t)),
    );
    // From the document it is least sure of, it goes to the next least sure (not the next in
    // the list).
    assert_eq!(order[0].0, format!("seeds/{SEED}"));
    assert_ne!(order[1].0, "seeds/001_3e981e5bab7b45a2.txt");
    let mut h = open_app(ws.path(), "tester", vec2(1280.0, 800.0));
    h.get_by_label(SEED).click();
    h.run_steps(3);
    h.key_press_modifiers(
        egui::Modifiers::ALT | egui::Modifiers::SHIFT,
        Key::ArrowDown,
    );
    for _ in 0..500 {
        if h.state().open_document() != Some(order[0].0.as_str()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    h.run_steps(2);
    assert_eq!(h.state().open_document(), Some(order[1].0.as_str()));
    assert!(
        h.state().status_line().contains("least sure of"),
        "{}",
        h.state().status_line()
    );
}
