//! Review mode and the Agreement window in the real app, driven with egui_kittest: keys go in
//! as events, and the checks read the curated file on disk and what the window shows.

use std::path::Path;

use egui::{Event, Key, Modifiers, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use marginalia::app::{Action, MarginaliaApp, ReviewKey, StartOptions};
use marginalia::model::curated::CuratedLayer;
use marginalia::session::engine::Editing;
use marginalia::team::agreement::{AgreementOptions, compute};
use marginalia::team::compare::ItemKind;
use marginalia::workspace::Workspace;

use crate::support::app::{self, press};
use crate::support::files::{copy_dir, repo, team_copy};

const SEED: &str = "000_b78fa013a4a69998.txt";
const REVIEWER: &str = "chief";

/// A temp copy of the repo's seeds with the shipped editor-a and editor-b annotations.
fn temp_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in [
        "seeds",
        "annotations/editor-a/seeds",
        "annotations/editor-b/seeds",
    ] {
        copy_dir(&repo().join(sub), &dir.path().join(sub));
    }
    std::fs::copy(
        repo().join("annotations/workspace.ron"),
        dir.path().join("annotations/workspace.ron"),
    )
    .unwrap();
    dir
}

fn press_mod(h: &mut Harness<'_, MarginaliaApp>, m: Modifiers, key: Key) {
    h.key_press_modifiers(m, key);
    h.run_steps(2);
}

/// Lets the autosave delay (300 ms of real time) pass, then runs frames until the writer
/// thread has saved.
fn let_autosave_run(h: &mut Harness<'_, MarginaliaApp>) {
    std::thread::sleep(std::time::Duration::from_millis(400));
    h.run_steps(1);
    for _ in 0..500 {
        let pending = h
            .state()
            .review_mode()
            .is_some_and(|m| m.review().has_unsaved());
        if !pending {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
}

fn curated(ws: &Path) -> CuratedLayer {
    let path = ws
        .join("annotations/curated/seeds")
        .join(SEED.replace(".txt", ".ron"));
    let src = std::fs::read_to_string(&path).expect("the curated file was written");
    CuratedLayer::from_ron(&src).expect("the curated file parses")
}

/// Opens the seed and starts reviewing editor-a against editor-b by keyboard (Ctrl+R, Enter).
fn start_review(h: &mut Harness<'_, MarginaliaApp>) {
    h.get_by_label(SEED).click();
    h.run_steps(3);
    // Opening runs on a thread; on a loaded machine it takes more than the first frames.
    for _ in 0..6000 {
        if h.state().open_document().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    assert_eq!(h.state().open_document(), Some(&*format!("seeds/{SEED}")));
    press_mod(h, Modifiers::COMMAND, Key::R);
    h.get_by_label("Start review");
    press(h, Key::Enter);
    let mode = h.state().review_mode().expect("review mode is on");
    assert_eq!(mode.review().layer_names(), vec!["editor-a", "editor-b"]);
    assert_eq!(
        mode.selected(),
        Some(0),
        "the first undecided item is selected"
    );
}

#[test]
fn accept_reject_with_reason_and_undo_reach_the_curated_file() {
    let ws = temp_workspace();
    let mut h = harness(ws.path());
    start_review(&mut h);
    let items = h.state().review_mode().unwrap().review().items().to_vec();
    assert!(items.len() >= 2);
    let first = items[0].a.clone().expect("the first item has a span of A");

    // `a` accepts A's span of the first item, and the next undecided item is selected.
    press(&mut h, Key::A);
    assert_eq!(h.state().review_mode().unwrap().selected(), Some(1));
    // `r` asks for a reason; Enter confirms it.
    press(&mut h, Key::R);
    h.event(Event::Text("not what the text says".into()));
    h.run_steps(2);
    press(&mut h, Key::Enter);
    h.get_by_label(&format!("decided 2 of {}", items.len()));
    let_autosave_run(&mut h);

    let c = curated(ws.path());
    assert_eq!(c.reviewed, vec!["editor-a", "editor-b"]);
    assert_eq!(c.spans.len(), 1, "exactly the accepted span");
    let s = &c.spans[0];
    assert_eq!(
        (s.span.start, s.span.end, s.span.tag.as_str()),
        (first.start, first.end, first.tag.as_str())
    );
    assert_eq!(s.accepted_by, REVIEWER);
    assert!(!s.edited);
    let from: Vec<&str> = s.from.iter().map(|r| r.layer.as_str()).collect();
    // An agreed item, or one whose values differ, is one span from both.
    let one_span = matches!(items[0].kind, ItemKind::Agreed | ItemKind::ValueConflict);
    if one_span {
        assert_eq!(from, vec!["editor-a", "editor-b"]);
    } else {
        assert_eq!(from, vec!["editor-a"]);
    }
    let second_sides = usize::from(items[1].a.is_some()) + usize::from(items[1].b.is_some());
    let expected_rejections = second_sides + usize::from(!one_span && items[0].b.is_some());
    assert_eq!(c.rejected.len(), expected_rejections);
    let reasons: Vec<&str> = c
        .rejected
        .iter()
        .filter(|r| r.reason == "not what the text says")
        .map(|r| r.by.as_str())
        .collect();
    assert_eq!(reasons, vec![REVIEWER; second_sides]);

    // Ctrl+Z takes back the rejection only, and says so.
    press_mod(&mut h, Modifiers::COMMAND, Key::Z);
    h.get_by_label(&format!("decided 1 of {}", items.len()));
    let status = h.state().status_line().to_owned();
    assert!(status.starts_with("Undone: reject "), "{status}");
    let_autosave_run(&mut h);
    let c = curated(ws.path());
    assert_eq!(c.spans.len(), 1);
    assert!(
        c.rejected
            .iter()
            .all(|r| r.reason != "not what the text says")
    );

    // Ctrl+Y does it again.
    press_mod(&mut h, Modifiers::COMMAND, Key::Y);
    let status = h.state().status_line().to_owned();
    assert!(status.starts_with("Redone: reject "), "{status}");
    let_autosave_run(&mut h);
    assert_eq!(curated(ws.path()).rejected.len(), expected_rejections);

    // The reviewed annotators' files are untouched.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for who in ["editor-a", "editor-b"] {
        let rel = format!("annotations/{who}/seeds/{}", SEED.replace(".txt", ".ron"));
        assert_eq!(
            std::fs::read(ws.path().join(&rel)).unwrap(),
            std::fs::read(repo.join(&rel)).unwrap()
        );
    }
}

#[test]
fn accept_all_agreed_and_mark_reviewed_show_in_the_document_list() {
    let ws = temp_workspace();
    let mut h = harness(ws.path());
    start_review(&mut h);
    let items = h.state().review_mode().unwrap().review().items().to_vec();
    let agreed = items.iter().filter(|i| i.kind == ItemKind::Agreed).count();
    assert!(agreed > 0);
    press_mod(&mut h, Modifiers::SHIFT, Key::A);
    h.get_by_label(&format!("decided {agreed} of {}", items.len()));
    press_mod(&mut h, Modifiers::SHIFT, Key::R);
    // Leaving review shows the document list with the review's progress.
    press_mod(&mut h, Modifiers::COMMAND, Key::R);
    assert!(h.state().review_mode().is_none());
    h.get_by_label(&format!("review: reviewed ({agreed}/{})", items.len()));
    let c = curated(ws.path());
    assert_eq!(c.spans.len(), agreed);
    assert_eq!(c.status, marginalia::model::layer::Status::Reviewed);
}

#[test]
fn agreement_window_shows_the_computed_kappa() {
    let ws = temp_workspace();
    let mut h = harness(ws.path());
    press_mod(&mut h, Modifiers::COMMAND, Key::G);
    // The computation runs on a thread; step until it reports.
    let mut frames = 0;
    while h.state().agreement_view().is_computing() {
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
        frames += 1;
        assert!(frames < 3000, "agreement never finished");
    }
    h.run_steps(2);
    let wsp = Workspace::open(ws.path()).unwrap();
    let report = compute(&wsp, &AgreementOptions::default(), &|_, _| true).unwrap();
    assert_eq!(h.state().agreement_view().report(), Some(&report));
    let pair = &report.pairs[0];
    assert_eq!((pair.a.as_str(), pair.b.as_str()), ("editor-a", "editor-b"));
    let quote = pair.tags.iter().find(|t| t.tag == "quote").unwrap();
    let kappa = quote.kappa.expect("both editors tagged quotes");
    let shown = format!("{kappa:.3}");
    assert!(
        h.query_all_by_label(&shown).count() >= 1,
        "the table shows κ of quote as {shown}"
    );

    // One click on the document that disagrees most opens it in review mode.
    let worst = &report.documents_by_disagreement[0];
    let name = worst.text.rsplit('/').next().unwrap();
    h.get_by_label(&format!("review {name}")).click();
    h.run_steps(3);
    let mode = h.state().review_mode().expect("review mode is on");
    assert_eq!(mode.review().rel(), worst.text);
    assert_eq!(mode.review().layer_names(), vec!["editor-a", "editor-b"]);
    assert!(
        h.query_by_label("Documents that disagree most").is_none(),
        "the window closed"
    );
}

#[test]
fn the_annotator_sees_the_reviewers_verdict_on_their_span() {
    let ws = temp_workspace();
    // A reviewer rejects editor-a's first span, through the core.
    let wsp = Workspace::open(ws.path()).unwrap();
    let rel = format!("seeds/{SEED}");
    let mut review =
        marginalia::session::review::Review::open(&wsp, &rel, &["editor-a", "editor-b"], REVIEWER)
            .unwrap();
    let (i, span) = review
        .items()
        .iter()
        .enumerate()
        .filter_map(|(i, it)| it.a.clone().map(|a| (i, a)))
        .min_by_key(|(_, a)| (a.start, a.end, a.id))
        .unwrap();
    review
        .decide(
            i,
            marginalia::session::review::Decision::Reject {
                reason: "the quote ends earlier".into(),
            },
        )
        .unwrap();
    review.save_now().unwrap();

    // editor-a opens the document and steps to that span with Tab.
    let opts = StartOptions {
        reopen_last: false,
        path: ws.path().to_path_buf(),
        annotator: Some("editor-a".into()),
        persist: false,
        journal: None,
        dark: Some(false),
    };
    let mut h = Harness::builder()
        .with_size(vec2(1280.0, 800.0))
        .with_step_dt(0.05)
        .build_eframe(move |cc| MarginaliaApp::new(cc, opts));
    h.run_steps(2);
    h.get_by_label(SEED).click();
    h.run_steps(3);
    let mut tabs = 0;
    while h.state().selected_span() != Some(span.id) {
        press(&mut h, Key::Tab);
        tabs += 1;
        assert!(tabs < 50, "Tab never reached span {}", span.id);
    }
    h.get_by_label(&format!("Rejected by {REVIEWER}: the quote ends earlier"));
    assert_eq!(
        h.query_all_by_label("rejected").count(),
        2,
        "in the details and on the span's row"
    );
}

#[test]
fn a_tag_key_accepts_the_item_with_that_tag_as_an_edit() {
    let ws = temp_workspace();
    let mut h = harness(ws.path());
    start_review(&mut h);
    let items = h.state().review_mode().unwrap().review().items().to_vec();
    let own = items[0].a.clone().or(items[0].b.clone()).unwrap();
    // Key 4 is boilerplate in the default tag set.
    press(&mut h, Key::Num4);
    press_mod(&mut h, Modifiers::COMMAND, Key::S);
    let c = curated(ws.path());
    assert_eq!(c.spans.len(), 1);
    let s = &c.spans[0];
    assert_eq!(
        (s.span.start, s.span.end, s.span.tag.as_str(), s.edited),
        (own.start, own.end, "boilerplate", true)
    );
}

#[test]
fn n_then_a_decides_every_item_in_turn() {
    // The rhythm "n, a, n, b, …": a decision moves on to the next undecided item by itself,
    // so the `n` after it must not skip that item.
    let ws = temp_workspace();
    let mut h = harness(ws.path());
    start_review(&mut h);
    let items = h.state().review_mode().unwrap().review().items().to_vec();
    assert!(items.len() >= 4);
    let mut visited = Vec::new();
    for _ in 0..items.len() {
        press(&mut h, Key::N);
        let i = h.state().review_mode().unwrap().selected().unwrap();
        visited.push(i);
        press(&mut h, if items[i].a.is_some() { Key::A } else { Key::B });
    }
    assert_eq!(visited, (0..items.len()).collect::<Vec<_>>());
    let mode = h.state().review_mode().unwrap();
    assert_eq!(mode.review().progress(), (items.len(), items.len()));
    h.get_by_label(&format!("decided {0} of {0}", items.len()));
    // A second `n` in a row still moves on.
    press(&mut h, Key::U);
    let reopened = h.state().review_mode().unwrap().selected().unwrap();
    press(&mut h, Key::N);
    assert_eq!(
        h.state().review_mode().unwrap().selected(),
        Some(reopened),
        "the only undecided item"
    );
}

#[test]
fn accept_both_and_accept_b_do_not_apply_to_an_item_only_in_a() {
    let ws = temp_workspace();
    let mut h = harness(ws.path());
    start_review(&mut h);
    let items = h.state().review_mode().unwrap().review().items().to_vec();
    let only_a = items
        .iter()
        .position(|it| it.kind == ItemKind::OnlyA)
        .expect("the seed has an item only in A");
    while h.state().review_mode().unwrap().selected() != Some(only_a) {
        press(&mut h, Key::N);
    }
    // The buttons that do not apply are disabled …
    for (label, enabled) in [
        ("Accept A  [a]", true),
        ("Accept B  [b]", false),
        ("Accept both  [Shift+B]", false),
        ("Undecide  [u]", false),
    ] {
        let node = h.get_by_label(label);
        assert_eq!(!node.accesskit_node().is_disabled(), enabled, "{label}");
    }
    // … and their keys decide nothing, saying why.
    press_mod(&mut h, Modifiers::SHIFT, Key::B);
    h.get_by_label("Accept both does not apply: this item is only in A");
    press(&mut h, Key::B);
    h.get_by_label("Accept B does not apply: this item is only in A");
    let mode = h.state().review_mode().unwrap();
    assert_eq!(mode.review().progress().0, 0, "nothing was decided");
    assert_eq!(mode.selected(), Some(only_a));
    press_mod(&mut h, Modifiers::COMMAND, Key::S);
    let path = ws
        .path()
        .join("annotations/curated/seeds")
        .join(SEED.replace(".txt", ".ron"));
    if path.exists() {
        let c = curated(ws.path());
        assert!(c.spans.is_empty() && c.rejected.is_empty());
    }
}

#[test]
fn agreement_window_shows_the_chosen_pairs_alpha_and_documents() {
    // A third annotator, "tester", tagged only seed 000, differently from editor-a.
    let ws = temp_workspace();
    let wsp = Workspace::open(ws.path()).unwrap();
    let rel = format!("seeds/{SEED}");
    let mut doc = marginalia::Document::open(&wsp, &rel, "tester", false).unwrap();
    for (s, e, tag) in [(0, 40, "quote"), (100, 160, "quote"), (300, 330, "claim")] {
        doc.add_span(s, e, tag).unwrap();
    }
    doc.save_now().unwrap();
    drop(doc);
    let report = compute(&wsp, &AgreementOptions::default(), &|_, _| true).unwrap();
    assert_eq!(report.annotators, vec!["editor-a", "editor-b", "tester"]);
    let pair = report
        .pairs
        .iter()
        .find(|p| p.a == "editor-a" && p.b == "tester")
        .unwrap();
    let quote = pair.tags.iter().find(|t| t.tag == "quote").unwrap();
    let everyone = report.alpha.iter().find(|a| a.tag == "quote").unwrap();
    let (pair_alpha, all_alpha) = (
        format!("{:.3}", quote.alpha.unwrap()),
        format!("{:.3}", everyone.alpha.unwrap()),
    );
    assert_ne!(pair_alpha, all_alpha);

    let mut h = harness(ws.path());
    press_mod(&mut h, Modifiers::COMMAND, Key::G);
    let mut frames = 0;
    while h.state().agreement_view().is_computing() {
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
        frames += 1;
        assert!(frames < 3000, "agreement never finished");
    }
    h.run_steps(2);
    h.get_by_label("editor-a × tester").click();
    h.run_steps(2);
    // The pair's α in its table, the all-annotator α in its own section.
    assert!(
        h.query_all_by_label(&pair_alpha).count() >= 1,
        "the pair's α of quote, {pair_alpha}, is shown"
    );
    h.get_by_label("Krippendorff's α, all annotators (editor-a, editor-b, tester)");
    assert!(h.query_all_by_label(&all_alpha).count() >= 1);
    // Only the document both of the pair annotated is listed.
    h.get_by_label(&format!("review {SEED}"));
    assert!(
        h.query_by_label("review 001_3e981e5bab7b45a2.txt")
            .is_none(),
        "tester did not annotate seed 001"
    );
}

#[test]
fn the_rejected_badge_does_not_cover_the_note_in_the_span_list() {
    // A reviewer rejects editor-a's span #5, whose note is long enough to reach the badge.
    let ws = temp_workspace();
    let wsp = Workspace::open(ws.path()).unwrap();
    let rel = format!("seeds/{SEED}");
    let mut review =
        marginalia::session::review::Review::open(&wsp, &rel, &["editor-a", "editor-b"], REVIEWER)
            .unwrap();
    let i = review
        .items()
        .iter()
        .position(|it| it.a.as_ref().is_some_and(|a| a.id == 5))
        .unwrap();
    let note = review.items()[i].a.clone().unwrap().note;
    assert!(note.chars().count() > 60, "{note}");
    review
        .decide(
            i,
            marginalia::session::review::Decision::Reject {
                reason: "see the source".into(),
            },
        )
        .unwrap();
    review.save_now().unwrap();

    // editor-a opens the document in a narrow window and steps to the span.
    let mut h = app::open_app(ws.path(), "editor-a", vec2(1000.0, 700.0));
    h.get_by_label(SEED).click();
    h.run_steps(3);
    for _ in 0..6000 {
        if h.state().open_document().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    let mut tabs = 0;
    while h.state().selected_span() != Some(5) {
        press(&mut h, Key::Tab);
        tabs += 1;
        assert!(tabs < 50, "Tab never reached span 5");
    }
    h.run_steps(2);
    let row = h
        .get_all_by_label_contains("error: ‘reintegrate’ the ‘national policy’ of Crimea")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::ListItem)
        .expect("the span's row")
        .rect();
    let inside = |n: &egui_kittest::Node<'_>| row.contains_rect(n.rect());
    let badge = h
        .get_all_by_label("rejected")
        .find(|n| inside(n))
        .expect("the row's rejected badge")
        .rect();
    let note_line = h
        .get_all_by_label_contains("Garbled translation")
        .find(|n| inside(n))
        .expect("the row's note line")
        .rect();
    assert!(
        !badge.intersects(note_line),
        "badge {badge:?} overlaps the note {note_line:?}"
    );
    assert!(note_line.right() < badge.left());
    assert!(badge.right() <= row.right());
}

fn harness(path: &Path) -> Harness<'static, MarginaliaApp> {
    app::open_app(path, REVIEWER, vec2(1280.0, 800.0))
}

#[test]
fn the_review_key_strip_breaks_only_between_items() {
    let ws = temp_workspace();
    // Narrow, so the strip needs more than one row.
    let mut h = app::open_app(ws.path(), REVIEWER, vec2(1024.0, 700.0));
    start_review(&mut h);
    let mut strip_top = f32::INFINITY;
    for (k, what) in marginalia::app::review_mode::KEYS {
        let label = format!("{k} {what}");
        let rect = h.get_by_label(&label).rect();
        assert!(rect.height() < 20.0, "{label} is on one line: {rect:?}");
        strip_top = strip_top.min(rect.top());
    }
    // Issue 23 (look pass): at 700 points a reason's OK and Cancel were under the strip; the
    // details now scroll, and the prompt brings them into view.
    press(&mut h, Key::R);
    h.run_steps(4);
    for button in ["OK", "Cancel"] {
        let r = h.get_by_label(button).rect();
        assert!(
            r.bottom() <= strip_top,
            "{button} at {r:?} is under the key strip at {strip_top}"
        );
    }
}

/// Replaces the seed's editor-a and editor-b layers with one claim each, same range and tag,
/// verdict `true` for A and `false` for B.
fn one_value_conflict(ws: &Path) {
    claims_with_verdicts(ws, &[("true", "false")]);
}

/// Replaces the seed's editor-a and editor-b layers with claims at the same ranges (chars
/// 25k..25k+20), with these verdicts (A's, B's).
fn claims_with_verdicts(ws: &Path, verdicts: &[(&str, &str)]) {
    use marginalia::model::layer::{Layer, make_span};
    use marginalia::model::text::Text;
    let wsp = Workspace::open(ws).unwrap();
    let rel = format!("seeds/{SEED}");
    let text = Text::load(&wsp.text_path(&rel).unwrap()).unwrap();
    for (side, who) in ["editor-a", "editor-b"].into_iter().enumerate() {
        let mut l = Layer::new(&rel, &text, who);
        for (k, pair) in verdicts.iter().enumerate() {
            let id = l.take_id();
            let (s, e) = (25 * k, 25 * k + 20);
            let mut span = make_span(&text, id, s, e, "claim", "2026-11-21T06:00:00Z");
            let verdict = if side == 0 { pair.0 } else { pair.1 };
            span.attrs.insert("verdict".into(), verdict.into());
            l.spans.push(span);
        }
        marginalia::model::layer::save_layer(&wsp.layer_path(who, &rel).unwrap(), &l).unwrap();
    }
}

#[test]
fn a_value_conflict_shows_both_values_and_the_picked_one_reaches_the_curated_file() {
    let ws = temp_workspace();
    one_value_conflict(ws.path());
    let mut h = harness(ws.path());
    start_review(&mut h);
    assert_eq!(
        h.state().review_mode().unwrap().review().items()[0].kind,
        ItemKind::ValueConflict
    );
    // The item list names the conflict, each side with its value.
    h.get_by_label("item 1: value conflict, undecided");
    h.get_by_label("verdict = true");
    h.get_by_label("verdict = false");
    // One span with two sets of values: "accept both" would duplicate it.
    assert!(
        h.get_by_label("Accept both  [Shift+B]")
            .accesskit_node()
            .is_disabled()
    );
    // The details show both values as choices; B's is picked.
    h.get_by_label("true");
    h.get_by_label("false").click();
    h.run_steps(3);
    h.get_by_label("decided 1 of 1");
    // The outcome says which value was kept.
    assert!(
        h.query_all_by_label("accepted editor-a+editor-b, verdict = false")
            .count()
            >= 1
    );
    let_autosave_run(&mut h);
    let c = curated(ws.path());
    assert_eq!(c.spans.len(), 1);
    assert_eq!(
        c.spans[0].span.attrs.get("verdict").map(String::as_str),
        Some("false")
    );
    assert_eq!(c.spans[0].from.len(), 2, "one span, from both annotators");

    // Undo takes the pick back out of the file.
    press_mod(&mut h, Modifiers::COMMAND, Key::Z);
    let_autosave_run(&mut h);
    assert!(curated(ws.path()).spans.is_empty());
}

#[test]
fn agreement_window_shows_kappa_per_attribute() {
    let ws = temp_workspace();
    // Only these claims: the shipped layers' values would make the other attributes defined.
    for who in ["editor-a", "editor-b"] {
        std::fs::remove_dir_all(ws.path().join("annotations").join(who)).unwrap();
    }
    // p_o = 2/3, p_e = (2·1 + 1·2)/9 = 4/9: κ = (2/3 − 4/9)/(5/9) = 0.4 over 3 matched claims.
    claims_with_verdicts(
        ws.path(),
        &[("true", "true"), ("true", "false"), ("false", "false")],
    );
    let mut h = harness(ws.path());
    press_mod(&mut h, Modifiers::COMMAND, Key::G);
    let mut frames = 0;
    while h.state().agreement_view().is_computing() {
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
        frames += 1;
        assert!(frames < 3000, "agreement never finished");
    }
    h.run_steps(2);
    h.get_by_label("Attribute values on matched spans");
    h.get_by_label("claim.verdict");
    assert!(
        h.query_all_by_label("0.400").count() >= 1,
        "κ of claim.verdict"
    );
    // Nobody gave an error a kind: undefined, and said so.
    h.get_by_label("error.kind");
    assert!(h.query_all_by_label("n/a").count() >= 2);
}

/// Clicks "Change" on review key `key`'s row of the Keys editor (opened from the View menu)
/// and presses `new`.
fn rebind_review_key(h: &mut Harness<'_, MarginaliaApp>, key: ReviewKey, new: Key) {
    if h.query_by_label("Keyboard shortcuts editor").is_none() {
        h.get_by_label("View").click();
        h.run_steps(2);
        h.get_by_label("Change keyboard shortcuts…").click();
        // A window's first frame only measures it.
        h.run_steps(4);
    }
    let row = Action::ALL.len() + ReviewKey::ALL.iter().position(|k| *k == key).unwrap();
    // The review rows are below the fold: scroll to the button first.
    h.query_all_by_label("Change")
        .nth(row)
        .unwrap()
        .scroll_to_me();
    h.run_steps(3);
    h.query_all_by_label("Change").nth(row).unwrap().click();
    h.run_steps(2);
    assert!(h.query_by_label("press the new keys…").is_some());
    press(h, new);
}

#[test]
fn a_rebound_review_key_works_on_its_new_key_only_and_refuses_another_review_keys_chord() {
    let ws = temp_workspace();
    let mut h = harness(ws.path());
    rebind_review_key(&mut h, ReviewKey::Next, Key::J);
    h.get_by_label("Next undecided item is now J");
    // Another review key cannot take it.
    rebind_review_key(&mut h, ReviewKey::Prev, Key::J);
    h.get_by_label("Refused: J is review mode's key for \"Next undecided item\"");
    // Close the editor.
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Change keyboard shortcuts…").click();
    h.run_steps(2);
    assert!(h.query_by_label("Keyboard shortcuts editor").is_none());

    start_review(&mut h);
    let selected = |h: &Harness<'_, MarginaliaApp>| h.state().review_mode().unwrap().selected();
    // The first "next" only confirms the item review mode started on.
    press(&mut h, Key::J);
    press(&mut h, Key::J);
    assert_eq!(selected(&h), Some(1), "j moves to the next item");
    press(&mut h, Key::N);
    assert_eq!(selected(&h), Some(1), "n no longer moves on");
    press(&mut h, Key::P);
    assert_eq!(selected(&h), Some(0), "p is still the previous item");
}

/// Clicks "Change" on action `action`'s row of the Keys editor (opened from the View menu)
/// and presses `modifiers` + `new`, as a keyboard sends them (Ctrl alone first).
fn rebind_action(
    h: &mut Harness<'_, MarginaliaApp>,
    action: Action,
    modifiers: Modifiers,
    new: Key,
) {
    if h.query_by_label("Keyboard shortcuts editor").is_none() {
        h.get_by_label("View").click();
        h.run_steps(2);
        h.get_by_label("Change keyboard shortcuts…").click();
        h.run_steps(4);
    }
    let row = Action::ALL.iter().position(|a| *a == action).unwrap();
    h.query_all_by_label("Change")
        .nth(row)
        .unwrap()
        .scroll_to_me();
    h.run_steps(3);
    h.query_all_by_label("Change").nth(row).unwrap().click();
    h.run_steps(2);
    assert!(h.query_by_label("press the new keys…").is_some());
    if modifiers.command {
        h.event(Event::Key {
            key: Key::ControlLeft,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers,
        });
        h.run_steps(1);
    }
    press_mod(h, modifiers, new);
}

/// Hovers the widget labelled `label` until its tooltip shows, and says whether `tooltip` is
/// shown then.
fn tooltip_shows(h: &mut Harness<'_, MarginaliaApp>, label: &str, tooltip: &str) -> bool {
    h.get_by_label(label).hover();
    h.run_steps(20);
    h.query_by_label(tooltip).is_some()
}

/// Issue 21 §4: a key rebound in the Keys editor shows wherever its command is shown with its
/// key: the View menu, the toolbar's tooltips, the F1 sheet, the palette, and review mode's
/// bar, decision buttons and key strip (which spelled their keys themselves before).
#[test]
fn a_rebound_key_shows_in_every_menu_tooltip_sheet_palette_and_review_strip_naming_it() {
    let ws = temp_workspace();
    let mut h = harness(ws.path());
    rebind_action(&mut h, Action::Undo, Modifiers::COMMAND, Key::U);
    h.get_by_label("Undo is now Ctrl+U");
    rebind_action(&mut h, Action::ZoomIn, Modifiers::COMMAND, Key::I);
    h.get_by_label("Larger text is now Ctrl+I");
    rebind_review_key(&mut h, ReviewKey::AcceptA, Key::K);
    h.get_by_label("Accept A is now K");
    rebind_review_key(&mut h, ReviewKey::Next, Key::J);
    h.get_by_label("Next undecided item is now J");
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Change keyboard shortcuts…").click();
    h.run_steps(2);
    assert!(h.query_by_label("Keyboard shortcuts editor").is_none());

    // The View menu's item carries its (first) key.
    h.get_by_label("View").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("Larger text Ctrl+I").is_some(),
        "the View menu"
    );
    assert!(h.query_by_label_contains("Ctrl++").is_none());
    h.get_by_label("View").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("Larger text Ctrl+I").is_none(),
        "the menu closed"
    );

    h.get_by_label(SEED).click();
    h.run_steps(3);
    for _ in 0..6000 {
        if h.state().open_document().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    assert!(
        tooltip_shows(&mut h, "A+", "Larger text (Ctrl+I)"),
        "the A+ button's tooltip"
    );
    // An edit, so that Undo can be pointed at (a greyed-out button shows no tooltip).
    h.get_by_label("Mark done").click();
    h.run_steps(2);
    assert!(
        tooltip_shows(&mut h, "Undo", "Undo (Ctrl+U)"),
        "the toolbar's Undo button's tooltip"
    );

    // The sheet: undo in its section and in review mode's; the review keys as rebound.
    press(&mut h, Key::F1);
    assert_eq!(h.query_all_by_label("Ctrl+U").count(), 2, "the sheet");
    assert!(h.query_by_label("Ctrl+I or Ctrl+=").is_some());
    assert!(h.query_all_by_label("J").count() > 0 && h.query_all_by_label("K").count() > 0);
    assert!(h.query_by_label("Ctrl+Z").is_none() && h.query_by_label("N").is_none());
    press(&mut h, Key::F1);

    // The palette's row.
    press_mod(&mut h, Modifiers::COMMAND, Key::K);
    for c in "undo".chars() {
        h.event(Event::Text(c.to_string()));
    }
    h.run_steps(2);
    assert!(h.query_all_by_label("Ctrl+U").count() > 0, "the palette");
    press(&mut h, Key::Escape);

    // Review mode: its key strip, decision buttons and bar.
    press_mod(&mut h, Modifiers::COMMAND, Key::R);
    h.get_by_label("Start review");
    press(&mut h, Key::Enter);
    assert!(h.state().review_mode().is_some());
    for strip in [
        "j / p next / previous undecided",
        "k accept A",
        "Ctrl+U / Ctrl+Y undo / redo",
    ] {
        assert!(
            h.query_by_label(strip).is_some(),
            "the strip shows {strip:?}"
        );
    }
    assert!(
        h.query_by_label("n / p next / previous undecided")
            .is_none()
    );
    assert!(
        h.query_by_label("Accept A  [k]").is_some(),
        "the decision button"
    );
    press(&mut h, Key::K);
    assert!(
        h.state().review_mode().unwrap().review().can_undo(),
        "k decided"
    );
    assert!(
        tooltip_shows(&mut h, "Undo", "Undo (Ctrl+U)"),
        "review mode's Undo button's tooltip"
    );
}
#[test]
fn agreement_heatmap_cell_opens_its_pair_and_the_scorecard_is_shown() {
    let ws = team_copy();
    let report = compute(
        &Workspace::open(ws.path()).unwrap(),
        &AgreementOptions::default(),
        &|_, _| true,
    )
    .unwrap();
    let (i, p) = report
        .pairs
        .iter()
        .enumerate()
        .find(|(_, p)| p.a == "ben" && p.b == "eli")
        .unwrap();
    let kappa = format!("{:.2}", p.macro_kappa.unwrap());
    let mut h = app::open_app(ws.path(), REVIEWER, vec2(1024.0, 700.0));
    press_mod(&mut h, Modifiers::COMMAND, Key::G);
    let mut frames = 0;
    while h.state().agreement_view().is_computing() {
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
        frames += 1;
        assert!(frames < 3000, "agreement never finished");
    }
    h.run_steps(2);
    // The first pair is shown until a cell is clicked.
    h.get_by_label_contains("ana × ben: 5 documents");
    // Both cells of the pair, each with its value; the lower one is clicked.
    h.get_by_label(&format!("ben × eli: κ {kappa}"));
    h.get_by_label(&format!("eli × ben: κ {kappa}")).click();
    h.run_steps(3);
    assert_eq!(h.state().agreement_view().selected_pair(), i);
    h.get_by_label_contains(&format!(
        "ben × eli: {}",
        marginalia::wording::plural(p.documents, "document")
    ));
    assert!(
        h.query_by_label_contains("ana × ben: 5 documents")
            .is_none()
    );
    // The scorecard: a row per annotator, with eli's macro F1.
    h.get_by_label("Scorecard against the curated layer (3 documents)");
    let eli = report
        .scorecard
        .annotators
        .iter()
        .find(|a| a.annotator == "eli")
        .unwrap();
    assert!(
        h.query_all_by_label(&format!("{:.3}", eli.macro_exact_f1.unwrap()))
            .count()
            >= 1
    );
    h.get_by_label("Krippendorff's α and Fleiss' κ, all 6 annotators");
}

/// Issue 24: in review mode a mouse selection over Hebrew is taken as drawn: a double-click on
/// the word "עולם" (where the view drew it) and `e` accept the item with that word's
/// boundaries, and the curated layer on disk holds exactly that word.
#[test]
fn review_mode_accepts_a_mouse_selection_over_right_to_left_text_as_drawn() {
    let ws = temp_workspace();
    let rel = "seeds/zz_hebrew.txt";
    let text = "The minister said שלום עולם to the crowd.\n";
    std::fs::write(ws.path().join(rel), text).unwrap();
    let w = Workspace::open(ws.path()).unwrap();
    for who in ["editor-a", "editor-b"] {
        let mut doc = marginalia::session::document::Document::open(&w, rel, who, false).unwrap();
        doc.add_span(4, 12, "quote").unwrap();
        doc.save_now().unwrap();
    }
    let mut h = harness(ws.path());
    h.get_by_label("zz_hebrew.txt").click();
    for _ in 0..600 {
        if h.state().open_document() == Some(rel) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    press_mod(&mut h, Modifiers::COMMAND, Key::R);
    press(&mut h, Key::Enter);
    let mode = h.state().review_mode().expect("review mode is on");
    assert_eq!(mode.selected(), Some(0));
    let hebrew = text.chars().position(|c| c == 'ע').unwrap();
    let word = mode.view().screen_rects_of(hebrew, hebrew + 4);
    assert_eq!(word.len(), 1, "the word is drawn in one box");
    crate::support::app::double_click_at(&mut h, word[0].center());
    let mode = h.state().review_mode().unwrap();
    assert_eq!(mode.view().selected_range(), Some((hebrew, hebrew + 4)));
    press(&mut h, Key::E);
    let mode = h.state().review_mode().unwrap();
    assert_eq!(mode.review().progress().0, 1, "the item was decided");
    let_autosave_run(&mut h);
    let src = std::fs::read_to_string(ws.path().join("annotations/curated/seeds/zz_hebrew.ron"))
        .expect("the curated file was written");
    let curated = CuratedLayer::from_ron(&src).unwrap();
    let exact: Vec<&str> = curated
        .spans
        .iter()
        .map(|s| s.span.exact.as_str())
        .collect();
    assert_eq!(exact, ["עולם"]);
}

/// Broken layer files: one broken layer file stopped the Agreement window's figures and showed as
/// "—" (unassigned) in the Team window. The figures are computed without it and list it as
/// skipped; the Team window shows its cell as unreadable.
#[test]
fn a_broken_layer_is_listed_as_skipped_in_agreement_and_unreadable_in_team() {
    let ws = team_copy();
    let broken = ws.path().join("annotations/ben/texts/doc1.ron");
    std::fs::write(&broken, "(format: 1, spans: [").unwrap();
    let mut h = app::open_app(ws.path(), REVIEWER, vec2(1024.0, 700.0));
    press_mod(&mut h, Modifiers::COMMAND, Key::G);
    let mut frames = 0;
    while h.state().agreement_view().is_computing() {
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
        frames += 1;
        assert!(frames < 3000, "agreement never finished");
    }
    h.run_steps(2);
    h.get_by_label("Skipped: 1 file that cannot be read; the figures below leave it out");
    h.get_by_label_contains(&format!(
        "Skipped {}: not a valid annotation file",
        broken.display()
    ));
    h.get_by_label("Scorecard against the curated layer (3 documents)");
    h.get_by_label_contains("scored against the whole curated layer");
    press_mod(&mut h, Modifiers::COMMAND, Key::G);
    h.run_steps(2);

    press_mod(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::T);
    for _ in 0..400 {
        if h.state().team_view().progress().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    h.run_steps(2);
    assert_eq!(h.query_all_by_label("unreadable").count(), 1);
}

/// Issue 25: review mode's Relations list. The seed's three links are only in A; A's button
/// on the first one accepts it, with its ends, into the curated file.
#[test]
fn a_relation_item_is_accepted_from_review_mode_into_the_curated_file() {
    let ws = temp_workspace();
    let mut h = harness(ws.path());
    start_review(&mut h);
    h.get_by_label_contains("Relations (0 of 3 decided)")
        .click();
    h.run_steps(2);
    h.get_by_label("Relation 1: keep A's link").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Relations (1 of 3 decided)")
            .is_some(),
        "the header counts it"
    );
    let_autosave_run(&mut h);
    let c = curated(ws.path());
    assert_eq!(c.relations.len(), 1);
    let r = &c.relations[0].relation;
    let words = |id: u64| {
        (c.spans.iter())
            .find(|s| s.span.id == id)
            .map(|s| s.span.exact.clone())
    };
    assert_eq!(r.kind, "said-by");
    assert_eq!(
        words(r.from.span).as_deref(),
        Some("You want War between France and Russia?")
    );
    assert!(words(r.to.span).is_some_and(|w| w.starts_with("Mr. Putin made it clear")));
}
