//! Review mode's core on a temp workspace: classification, decisions, the curated file on
//! disk, undo/redo, feedback to the annotator, and the reviewed files left untouched.

use std::path::Path;

use marginalia::model::curated::{CuratedLayer, load_curated};
use marginalia::model::layer::{Layer, Status, make_span};
use marginalia::model::text::Text;
use marginalia::session::engine::Editing;
use marginalia::session::review::{Decision, Review, ReviewError, progress_of};
use marginalia::team::compare::{ItemKind, Verdict, classify, feedback};
use marginalia::workspace::Workspace;

//                     aa bb cc dd ee ff gg
const TEXT: &str = "aa bb cc dd ee ff gg\n";
const REL: &str = "texts/t.txt";

fn layer(text: &Text, who: &str, spans: &[(usize, usize, &str)]) -> Layer {
    let mut l = Layer::new(REL, text, who);
    for &(s, e, tag) in spans {
        let id = l.take_id();
        l.spans
            .push(make_span(text, id, s, e, tag, "2026-11-21T06:00:00Z"));
    }
    l.status = Status::Done;
    l
}

/// A: quote 0..5, claim 6..8, error 9..11, boilerplate 12..14.
/// B: quote 0..5, quote 6..8, error 9..14, claim 18..20.
fn workspace() -> (tempfile::TempDir, Workspace) {
    let text = Text::from_string(TEXT);
    let a = layer(
        &text,
        "editor-a",
        &[
            (0, 5, "quote"),
            (6, 8, "claim"),
            (9, 11, "error"),
            (12, 14, "boilerplate"),
        ],
    );
    let b = layer(
        &text,
        "editor-b",
        &[
            (0, 5, "quote"),
            (6, 8, "quote"),
            (9, 14, "error"),
            (18, 20, "claim"),
        ],
    );
    workspace_of(&[a, b])
}

/// A temp workspace with TEXT at REL and these layers of it.
fn workspace_of(layers: &[Layer]) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("texts")).unwrap();
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    std::fs::write(root.join(REL), TEXT).unwrap();
    let ws = Workspace::open(root).unwrap();
    for l in layers {
        let path = ws.layer_path(&l.annotator, REL).unwrap();
        marginalia::model::layer::save_layer(&path, l).unwrap();
    }
    (dir, ws)
}

fn bytes(ws: &Workspace, layer: &str) -> Vec<u8> {
    std::fs::read(ws.layer_path(layer, REL).unwrap()).unwrap()
}

fn curated_on_disk(ws: &Workspace) -> (CuratedLayer, String) {
    let path = ws.layer_path("curated", REL).unwrap();
    let src = std::fs::read_to_string(&path).unwrap();
    (load_curated(&path).unwrap().unwrap().0, src)
}

#[test]
fn items_are_classified_by_kind_in_text_order() {
    let (_d, ws) = workspace();
    let r = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    let kinds: Vec<ItemKind> = r.items().iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [
            ItemKind::Agreed,
            ItemKind::TagConflict,
            ItemKind::BoundaryConflict,
            ItemKind::OnlyA,
            ItemKind::OnlyB
        ]
    );
    assert_eq!(r.items()[2].range(), marginalia::CharRange::new(9, 14));
    assert_eq!(r.progress(), (0, 5));
}

#[test]
fn a_full_review_writes_the_curated_file_and_leaves_reviewed_files_alone() {
    let (_d, ws) = workspace();
    let (a_before, b_before) = (bytes(&ws, "editor-a"), bytes(&ws, "editor-b"));
    let mut r = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    assert_eq!(r.accept_all_agreed(), 1);
    assert_eq!(r.next_undecided(None), Some(1));
    r.decide(1, Decision::AcceptB).unwrap();
    r.decide(
        2,
        Decision::Edit {
            start: 9,
            end: 11,
            tag: "error".into(),
        },
    )
    .unwrap();
    r.decide(
        3,
        Decision::Reject {
            reason: "the sentence is article text".into(),
        },
    )
    .unwrap();
    r.comment(3, "see the guideline for boilerplate").unwrap();
    assert_eq!(r.next_undecided(Some(3)), Some(4));
    r.decide(4, Decision::AcceptB).unwrap();
    assert_eq!(r.progress(), (5, 5));
    assert_eq!(r.next_undecided(None), None);
    r.set_reviewed(true);
    r.save_now().unwrap();

    let (c, src) = curated_on_disk(&ws);
    assert_eq!(c.status, Status::Reviewed);
    assert_eq!(c.reviewed, ["editor-a", "editor-b"]);
    let spans: Vec<(usize, usize, &str, bool)> = c
        .spans
        .iter()
        .map(|s| (s.span.start, s.span.end, s.span.tag.as_str(), s.edited))
        .collect();
    assert_eq!(
        spans,
        [
            (0, 5, "quote", false),
            (6, 8, "quote", false),
            (9, 11, "error", true),
            (18, 20, "claim", false)
        ]
    );
    assert_eq!(
        c.spans[0].from.len(),
        2,
        "an agreed span comes from both layers"
    );
    assert!(
        c.spans
            .iter()
            .all(|s| s.accepted_by == "rev" && !s.accepted_at.is_empty())
    );
    assert_eq!(c.spans[2].span.exact, "dd");
    let reasons: Vec<&str> = c.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "editor-b's version was accepted",
            "the sentence is article text"
        ]
    );
    assert!(
        src.contains("reason: \"the sentence is article text\""),
        "{src}"
    );
    assert!(
        src.contains("text: \"see the guideline for boilerplate\""),
        "{src}"
    );
    assert_eq!(
        c.to_ron(),
        src,
        "re-saving the curated file gives identical bytes"
    );

    // The curated file is also a valid plain layer for every other tool.
    let (plain, _) = marginalia::model::layer::load_layer(&ws.layer_path("curated", REL).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(plain.spans.len(), 4);
    let (findings, _) = marginalia::workspace::validate::validate_workspace(&ws);
    assert!(findings.is_empty(), "{findings:?}");

    assert_eq!(bytes(&ws, "editor-a"), a_before);
    assert_eq!(bytes(&ws, "editor-b"), b_before);
    assert_eq!(progress_of(&ws, REL).unwrap(), Some((5, 5, true)));
}

#[test]
fn undo_and_redo_cover_every_decision_on_disk() {
    let (_d, ws) = workspace();
    let mut r = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    r.decide(1, Decision::AcceptA).unwrap();
    r.decide(
        3,
        Decision::Reject {
            reason: "no".into(),
        },
    )
    .unwrap();
    r.save_now().unwrap();
    assert_eq!(curated_on_disk(&ws).0.rejected.len(), 2);
    assert!(r.undo());
    r.save_now().unwrap();
    let (c, _) = curated_on_disk(&ws);
    assert_eq!(
        c.rejected.len(),
        1,
        "only B's quote, rejected when A's claim was accepted"
    );
    assert_eq!(c.spans.len(), 1);
    assert!(r.undo());
    r.save_now().unwrap();
    let (c, _) = curated_on_disk(&ws);
    assert!(c.spans.is_empty() && c.rejected.is_empty());
    assert_eq!(r.progress(), (0, 5));
    assert!(!r.undo());
    assert!(r.redo() && r.redo());
    r.save_now().unwrap();
    let (c, _) = curated_on_disk(&ws);
    assert_eq!((c.spans.len(), c.rejected.len()), (1, 2));
    assert_eq!(r.progress(), (2, 5));
}

#[test]
fn deciding_again_replaces_the_earlier_decision() {
    let (_d, ws) = workspace();
    let mut r = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    r.decide(1, Decision::AcceptA).unwrap();
    r.decide(1, Decision::AcceptBoth).unwrap();
    let c = r.curated();
    assert_eq!(c.spans.len(), 2);
    assert!(c.rejected.is_empty());
    assert!(r.reopen(1));
    assert_eq!(r.progress(), (0, 5));
    assert!(r.undo());
    assert_eq!(r.curated().spans.len(), 2);
}

#[test]
fn the_annotator_sees_each_verdict_with_the_reason_and_comments() {
    let (_d, ws) = workspace();
    let mut r = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    r.accept_all_agreed();
    r.decide(1, Decision::AcceptB).unwrap();
    r.decide(
        2,
        Decision::Edit {
            start: 9,
            end: 12,
            tag: "error".into(),
        },
    )
    .unwrap();
    r.comment(3, "is this really boilerplate?").unwrap();
    r.save_now().unwrap();
    let (c, _) = curated_on_disk(&ws);
    let a = marginalia::model::layer::load_layer(&ws.layer_path("editor-a", REL).unwrap())
        .unwrap()
        .unwrap()
        .0;
    let fb = feedback("editor-a", &a, &c);
    let verdicts: Vec<&Verdict> = fb.iter().map(|f| &f.verdict).collect();
    assert_eq!(
        verdicts,
        [
            &Verdict::Accepted,
            &Verdict::Rejected {
                reason: "editor-b's version was accepted".into()
            },
            &Verdict::Edited {
                start: 9,
                end: 12,
                tag: "error".into(),
                values: vec![],
            },
            &Verdict::NotReviewed,
        ]
    );
    assert_eq!(fb[3].comments, ["is this really boilerplate?"]);
    assert_eq!(fb[0].by, "rev");
}

#[test]
fn checking_one_annotator_alone_lists_every_span() {
    let (_d, ws) = workspace();
    let mut r = Review::open(&ws, REL, &["editor-b"], "rev").unwrap();
    assert!(r.items().iter().all(|i| i.kind == ItemKind::OnlyA));
    assert_eq!(r.progress(), (0, 4));
    assert_eq!(
        r.decide(0, Decision::AcceptB),
        Err(ReviewError::NoSide("B"))
    );
    r.decide(0, Decision::AcceptA).unwrap();
    assert_eq!(r.prev_undecided(Some(0)), Some(3));
    assert_eq!(r.next_undecided(Some(0)), Some(1));
}

#[test]
fn bad_requests_are_refused_with_a_reason() {
    let (_d, ws) = workspace();
    assert!(matches!(
        Review::open(&ws, REL, &["editor-a", "nobody"], "rev"),
        Err(ReviewError::NoLayer { .. })
    ));
    assert!(matches!(
        Review::open(&ws, REL, &["editor-a", "curated"], "rev"),
        Err(ReviewError::BadLayers(_))
    ));
    assert!(matches!(
        Review::open(&ws, REL, &["editor-a"], "editor-a"),
        Err(ReviewError::ReviewerIsReviewed(_))
    ));
    let mut r = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    let edit = |start, end, tag: &str| Decision::Edit {
        start,
        end,
        tag: tag.into(),
    };
    assert!(matches!(
        r.decide(0, edit(5, 5, "quote")),
        Err(ReviewError::BadRange { .. })
    ));
    assert!(matches!(
        r.decide(0, edit(0, 99, "quote")),
        Err(ReviewError::BadRange { .. })
    ));
    assert!(matches!(
        r.decide(0, edit(0, 2, "rumour")),
        Err(ReviewError::UnknownTag(_))
    ));
    assert_eq!(r.decide(9, Decision::AcceptA), Err(ReviewError::NoItem(9)));
    assert!(!r.has_unsaved());
}

#[test]
fn a_curated_file_changed_elsewhere_is_merged_not_overwritten() {
    let (_d, ws) = workspace();
    let mut first = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    let mut second = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev2").unwrap();
    second.decide(4, Decision::AcceptB).unwrap();
    second.save_now().unwrap();
    first.decide(0, Decision::AcceptA).unwrap();
    first.save_now().unwrap();
    assert!(!first.take_notices().is_empty());
    let (c, _) = curated_on_disk(&ws);
    let by: Vec<&str> = c.spans.iter().map(|s| s.accepted_by.as_str()).collect();
    assert_eq!(by, ["rev", "rev2"]);
    let ids: Vec<u64> = c.spans.iter().map(|s| s.span.id).collect();
    assert_eq!(
        ids,
        [1, 2],
        "their span got a fresh id instead of being dropped"
    );
    assert!(second.reload_if_changed());
    assert_eq!(second.progress(), (2, 5));
}

#[test]
fn an_unparsable_curated_file_is_an_error_naming_it() {
    let (_d, ws) = workspace();
    let path = ws.layer_path("curated", REL).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "(format: 1, text: ").unwrap();
    let err = Review::open(&ws, REL, &["editor-a"], "rev").unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "(format: 1, text: "
    );
}

#[test]
fn classify_matches_boundaries_by_largest_overlap() {
    let text = Text::from_string(TEXT);
    let a = layer(&text, "a", &[(0, 8, "quote")]).spans;
    let b = layer(&text, "b", &[(0, 2, "quote"), (3, 11, "quote")]).spans;
    let items = classify(&a, Some(&b));
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].kind, ItemKind::OnlyB);
    assert_eq!(items[1].kind, ItemKind::BoundaryConflict);
    assert_eq!(items[1].b.as_ref().map(|s| (s.start, s.end)), Some((3, 11)));
    let _ = Path::new("");
}

#[test]
fn the_curated_example_in_format_md_is_what_the_core_writes() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(repo.join("docs/FORMAT.md")).unwrap();
    let section = &doc[doc.find("## The curated layer").unwrap()..];
    let start = section.find("```ron\n").unwrap() + "```ron\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let c = CuratedLayer::from_ron(example).unwrap();
    assert_eq!(
        c.to_ron(),
        example,
        "the example is laid out as the core writes it"
    );
    assert_eq!(
        (c.spans[0].from.len(), c.rejected.len(), c.comments.len()),
        (2, 1, 1)
    );
    let plain = Layer::from_ron(example).expect("a curated file is also a plain layer");
    assert_eq!(plain.spans.len(), 1);
    assert_eq!(plain.annotator, "curated");
}

#[test]
fn a_reviewed_layer_that_does_not_fit_its_text_is_refused() {
    let (_d, ws) = workspace();
    let path = ws.layer_path("editor-b", REL).unwrap();
    let src = std::fs::read_to_string(&path).unwrap();
    let broken = src.replacen("end: 5,", "end: 500,", 1);
    assert_ne!(broken, src);
    std::fs::write(&path, &broken).unwrap();
    let err = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()) && msg.contains("past the end"),
        "{msg}"
    );
    assert!(!ws.layer_path("curated", REL).unwrap().exists());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
}

#[test]
fn when_both_reviewers_decided_the_same_item_the_one_saving_wins() {
    let (_d, ws) = workspace();
    let mut first = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    let mut second = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev2").unwrap();
    second
        .decide(
            1,
            Decision::Reject {
                reason: "neither".into(),
            },
        )
        .unwrap();
    second.save_now().unwrap();
    first.decide(1, Decision::AcceptA).unwrap();
    first.save_now().unwrap();
    let (c, _) = curated_on_disk(&ws);
    assert_eq!(c.spans.len(), 1);
    assert_eq!(c.spans[0].span.tag, "claim");
    let reasons: Vec<&str> = c.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons, ["editor-a's version was accepted"]);
    let (spans, rejected) = first.outcome(1);
    assert_eq!((spans.len(), rejected.len()), (1, 1));
    assert_eq!(first.outcome(0), (vec![], vec![]));
}

#[test]
fn a_decision_reopened_in_another_window_stays_open_when_this_window_saves() {
    let (_d, ws) = workspace();
    let both = ["editor-a", "editor-b"];
    let mut first = Review::open(&ws, REL, &both, "rev").unwrap();
    first.decide(0, Decision::AcceptA).unwrap();
    first.save_now().unwrap();
    // Another window reads that decision, reopens the item and saves.
    let mut second = Review::open(&ws, REL, &both, "rev2").unwrap();
    assert!(second.reopen(0));
    second.save_now().unwrap();
    // This window decides another item: its save merges three-way against what it last
    // read, so the item the other window reopened stays open.
    first.decide(1, Decision::AcceptA).unwrap();
    first.save_now().unwrap();
    let (c, _) = curated_on_disk(&ws);
    let tags: Vec<(usize, &str)> = c
        .spans
        .iter()
        .map(|s| (s.span.start, s.span.tag.as_str()))
        .collect();
    assert_eq!(tags, [(6, "claim")]);
    assert_eq!(first.outcome(0), (vec![], vec![]));
    assert_eq!(first.outcome(1).0.len(), 1);
}

#[test]
fn decisions_are_saved_by_autosave_once_due() {
    let (_d, ws) = workspace();
    let mut r = Review::open(&ws, REL, &["editor-a"], "rev").unwrap();
    let path = ws.layer_path("curated", REL).unwrap();
    assert!(!r.save_if_due(std::time::Instant::now() + std::time::Duration::from_secs(5)));
    r.decide(0, Decision::AcceptA).unwrap();
    assert!(r.has_unsaved());
    assert!(!path.exists());
    let later = std::time::Instant::now() + std::time::Duration::from_secs(5);
    assert!(r.save_if_due(later), "a background save started");
    // The writer thread saves it; a later call takes the outcome.
    for _ in 0..500 {
        if !r.has_unsaved() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        r.save_if_due(later);
    }
    assert!(!r.has_unsaved());
    assert_eq!(load_curated(&path).unwrap().unwrap().0.spans.len(), 1);
}

#[test]
fn accept_both_is_refused_on_an_item_with_one_side() {
    let (_d, ws) = workspace();
    let mut r = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    let one_sided = r
        .items()
        .iter()
        .position(|it| it.a.is_none() || it.b.is_none())
        .expect("an item only in one layer");
    assert!(r.decide(one_sided, Decision::AcceptBoth).is_err());
    assert_eq!(r.progress().0, 0);
    assert!(r.curated().spans.is_empty());
}

/// Recovery journal, for review: decisions that cannot be saved go to the recovery journal, are
/// offered back when the review is next opened, and Restore brings them to the curated file.
#[test]
fn unsaved_decisions_go_to_the_journal_and_are_restored_by_the_next_review() {
    let (_d, ws) = workspace();
    let journal_dir = tempfile::tempdir().unwrap();
    let journal = marginalia::session::recovery::Journal::at(journal_dir.path());
    let path = ws.layer_path("curated", REL).unwrap();
    let mut r = Review::open(&ws, REL, &["editor-a"], "rev").unwrap();
    r.set_journal(journal.clone());
    r.decide(0, Decision::AcceptA).unwrap();
    // A file that does not parse is never overwritten: the save fails.
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "(format: 1, spans: [").unwrap();
    assert!(r.save_now().is_err());
    let entries = journal.list();
    assert_eq!(entries.len(), 1, "the decisions are in the journal");
    let entry = std::fs::read_to_string(&entries[0].entry).unwrap();
    assert!(entry.contains("accepted"), "{entry}");
    drop(r);

    std::fs::remove_file(&path).unwrap();
    let mut again = Review::open(&ws, REL, &["editor-a"], "rev").unwrap();
    again.set_journal(journal.clone());
    assert!(again.recovered().is_some(), "offered back");
    assert!(again.restore_recovered());
    again.save_now().unwrap();
    assert_eq!(load_curated(&path).unwrap().unwrap().0.spans.len(), 1);
    assert!(journal.list().is_empty(), "the entry is gone once on disk");
    assert!(again.undo(), "the restore is one undo step");
}

/// Recovery journal, for review: Restore replaced the curated layer with the journal's, so a
/// decision that reached the file after the failed save was lost. It now merges three-way.
#[test]
fn restoring_decisions_keeps_a_decision_that_reached_the_file_after_the_failed_save() {
    let (_d, ws) = workspace();
    let journal_dir = tempfile::tempdir().unwrap();
    let journal = marginalia::session::recovery::Journal::at(journal_dir.path());
    let path = ws.layer_path("curated", REL).unwrap();
    let mut r = Review::open(&ws, REL, &["editor-a"], "rev").unwrap();
    r.set_journal(journal.clone());
    r.decide(0, Decision::AcceptA).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "(format: 1, spans: [").unwrap();
    assert!(r.save_now().is_err());
    drop(r);

    // The file is fixed, and another reviewer's decision arrives.
    std::fs::remove_file(&path).unwrap();
    let mut other = Review::open(&ws, REL, &["editor-a"], "rev2").unwrap();
    other.decide(1, Decision::AcceptA).unwrap();
    other.save_now().unwrap();
    drop(other);

    let mut again = Review::open(&ws, REL, &["editor-a"], "rev").unwrap();
    again.set_journal(journal.clone());
    assert!(again.restore_recovered());
    again.save_now().unwrap();
    let (curated, _) = curated_on_disk(&ws);
    let mut starts: Vec<usize> = curated.spans.iter().map(|s| s.span.start).collect();
    starts.sort_unstable();
    assert_eq!(starts, [0, 6], "both decisions are on disk");
    assert!(journal.list().is_empty());
}

/// A and B: the same claim 6..8 with verdicts `true` / `false` and the same source, the same
/// quote 0..5 with the same speaker (agreed), and an error 9..11 where only A gave a kind.
fn workspace_with_values() -> (tempfile::TempDir, Workspace) {
    let text = Text::from_string(TEXT);
    let with = |who: &str, verdict: &str, kind: Option<&str>| {
        let mut l = layer(
            &text,
            who,
            &[(0, 5, "quote"), (6, 8, "claim"), (9, 11, "error")],
        );
        l.spans[0].attrs.insert("speaker".into(), "Scholz".into());
        l.spans[1].attrs.insert("verdict".into(), verdict.into());
        l.spans[1].attrs.insert("source".into(), "Reuters".into());
        // A reserved marker differs too: it must not make a conflict nor reach the curated values.
        if who == "editor-b" {
            l.spans[0]
                .attrs
                .insert("marginalia:anchor".into(), "fuzzy".into());
        }
        if let Some(k) = kind {
            l.spans[2].attrs.insert("kind".into(), k.into());
        }
        l
    };
    let a = with("editor-a", "true", Some("name"));
    let b = with("editor-b", "false", None);
    workspace_of(&[a, b])
}

fn curated_value(ws: &Workspace, start: usize, name: &str) -> Option<String> {
    let (c, _) = curated_on_disk(ws);
    let span = c.spans.iter().find(|s| s.span.start == start)?;
    span.span.attrs.get(name).cloned()
}

#[test]
fn different_values_on_the_same_span_are_a_value_conflict_resolved_to_either_side() {
    let (_d, ws) = workspace_with_values();
    let mut r = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    let kinds: Vec<ItemKind> = r.items().iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ItemKind::Agreed,
            ItemKind::ValueConflict,
            ItemKind::ValueConflict
        ]
    );
    let diffs = r.items()[1].value_differences();
    assert_eq!(diffs.len(), 1, "only the verdict differs: {diffs:?}");
    assert_eq!(diffs[0].name, "verdict");
    assert_eq!(
        (diffs[0].a.as_deref(), diffs[0].b.as_deref()),
        (Some("true"), Some("false"))
    );
    assert_eq!(
        r.decide(1, Decision::AcceptBoth),
        Err(ReviewError::BothOfValueConflict)
    );

    // B's value, picked for the verdict alone: one curated span from both, B's verdict.
    r.set_value(1, "verdict", Some("false")).unwrap();
    r.save_now().unwrap();
    assert_eq!(curated_value(&ws, 6, "verdict").as_deref(), Some("false"));
    assert_eq!(curated_value(&ws, 6, "source").as_deref(), Some("Reuters"));
    let (c, _) = curated_on_disk(&ws);
    assert_eq!(c.spans.len(), 1);
    assert_eq!(c.spans[0].from.len(), 2, "{:?}", c.spans[0].from);
    assert!(c.rejected.is_empty());

    // Then A's: the same span, now with A's value.
    r.set_value(1, "verdict", Some("true")).unwrap();
    r.save_now().unwrap();
    assert_eq!(curated_value(&ws, 6, "verdict").as_deref(), Some("true"));
    assert_eq!(curated_on_disk(&ws).0.spans.len(), 1);
    // The annotator whose value lost sees the span as edited.
    let b_layer = marginalia::model::layer::load_layer(&ws.layer_path("editor-b", REL).unwrap())
        .unwrap()
        .unwrap()
        .0;
    let fb = feedback("editor-b", &b_layer, &curated_on_disk(&ws).0);
    let Verdict::Edited { values, .. } = &fb[1].verdict else {
        panic!("{fb:?}")
    };
    assert_eq!(values.len(), 1);
    assert_eq!(
        (values[0].yours.as_deref(), values[0].kept.as_deref()),
        (Some("false"), Some("true"))
    );

    // Undo goes back one pick at a time, down to undecided.
    assert!(r.undo());
    r.save_now().unwrap();
    assert_eq!(curated_value(&ws, 6, "verdict").as_deref(), Some("false"));
    assert!(r.undo());
    r.save_now().unwrap();
    assert_eq!(curated_on_disk(&ws).0.spans.len(), 0);
    assert!(r.redo());

    // Accepting B takes B's values wholesale; a typed value not in the schema is refused.
    r.decide(2, Decision::AcceptB).unwrap();
    assert!(matches!(
        r.set_value(2, "kind", Some("spelling")),
        Err(ReviewError::BadValue { .. })
    ));
    assert!(matches!(
        r.set_value(0, "marginalia:anchor", Some("fuzzy")),
        Err(ReviewError::ReservedAttr(_))
    ));
    r.set_value(2, "correction", Some("Olaf Scholz")).unwrap();
    r.save_now().unwrap();
    assert_eq!(curated_value(&ws, 9, "kind"), None);
    assert_eq!(
        curated_value(&ws, 9, "correction").as_deref(),
        Some("Olaf Scholz")
    );

    // The chosen values survive a reload.
    drop(r);
    let again = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    assert_eq!(again.chosen_value(1, "verdict"), Some("false"));
    assert_eq!(again.chosen_value(2, "correction"), Some("Olaf Scholz"));
    assert_eq!(again.progress(), (2, 3));
}

/// Both annotators: quote `aa` (1), claim `bb` (2), claim `cc` (3), error `dd` (4). A links
/// said-by aa→bb (10), evidence cc→bb (11), corrects cc→dd (12); B said-by aa→bb (10) and
/// same-as cc→bb (11): relation items agreed, type conflict, only in A.
fn relation_workspace() -> (tempfile::TempDir, Workspace) {
    relation_workspace_with_b_cc_ending_at(8)
}

/// As [`relation_workspace`], B's claim on `cc` ending at `end` (11: `cc dd`, a boundary
/// conflict with A's).
fn relation_workspace_with_b_cc_ending_at(end: usize) -> (tempfile::TempDir, Workspace) {
    use marginalia::model::relation::{End, Relation};
    let text = Text::from_string(TEXT);
    let spans = [
        (0, 2, "quote"),
        (3, 5, "claim"),
        (6, 8, "claim"),
        (9, 11, "error"),
    ];
    let link = |id, kind: &str, from, to| Relation {
        id,
        kind: kind.into(),
        from: End::here(from),
        to: End::here(to),
        note: String::new(),
        attrs: Default::default(),
        created: "2026-11-21T06:00:00Z".into(),
        modified: "2026-11-21T06:00:00Z".into(),
    };
    let mut a = layer(&text, "editor-a", &spans);
    a.relations = vec![
        link(10, "said-by", 1, 2),
        link(11, "evidence", 3, 2),
        link(12, "corrects", 3, 4),
    ];
    let mut b_spans = spans;
    b_spans[2].1 = end;
    let mut b = layer(&text, "editor-b", &b_spans);
    b.relations = vec![link(10, "said-by", 1, 2), link(11, "same-as", 3, 2)];
    a.normalize();
    b.normalize();
    workspace_of(&[a, b])
}

/// The curated layer's relations as (type, from end's words, to end's words).
fn curated_links(c: &CuratedLayer) -> Vec<(String, String, String)> {
    let words = |e: &marginalia::model::relation::End| {
        let s = c.spans.iter().find(|s| e.here_id() == Some(s.span.id));
        s.map(|s| s.span.exact.clone()).unwrap_or_default()
    };
    (c.relations.iter())
        .map(|r| {
            let r = &r.relation;
            (r.kind.clone(), words(&r.from), words(&r.to))
        })
        .collect()
}

/// Issue 25: relations are review items. Accepting one accepts its undecided ends with it; an
/// end that was rejected refuses it with why; reopening a span takes its links back; on disk
/// the curated layer's links read back as curated and as a plain layer's relations.
#[test]
fn relations_are_review_items_accepted_with_their_ends_and_rejected_on_disk() {
    use marginalia::model::curated::SourceRef;
    use marginalia::session::review::RelationDecision;
    use marginalia::team::compare::RelationItemKind as K;
    let (_d, ws) = relation_workspace();
    let mut r = Review::open(&ws, REL, &["editor-a", "editor-b"], "lead").unwrap();
    let kinds: Vec<K> = r.relation_items().iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [K::Agreed, K::TypeConflict, K::OnlyA]);
    assert_eq!(r.progress(), (0, 4));

    r.decide_relation(0, RelationDecision::AcceptA).unwrap();
    assert_eq!(r.progress(), (2, 4), "its two ends were accepted with it");
    r.save_now().unwrap();
    let (c, src) = curated_on_disk(&ws);
    let link = |k: &str, f: &str, t: &str| (k.to_owned(), f.to_owned(), t.to_owned());
    assert_eq!(curated_links(&c), [link("said-by", "aa", "bb")]);
    let source = |layer: &str, id| SourceRef {
        layer: layer.into(),
        id,
    };
    assert_eq!(
        c.relations[0].sources,
        [source("editor-a", 10), source("editor-b", 10)]
    );
    assert_eq!(c.to_ron(), src, "the file is what the core writes");
    let plain = Layer::from_ron(&src).unwrap();
    assert_eq!(plain.relations, [c.relations[0].relation.clone()]);
    assert!(plain.relation_problems(ws.tags()).is_empty());

    r.decide(
        2,
        Decision::Reject {
            reason: "no".into(),
        },
    )
    .unwrap();
    let e = r.decide_relation(1, RelationDecision::AcceptB).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot accept this relation: its from end, claim “cc”, was rejected; accept that span first"
    );
    assert!(r.undo());
    r.decide_relation(1, RelationDecision::AcceptB).unwrap();
    r.decide_relation(
        2,
        RelationDecision::Reject {
            reason: "not an error".into(),
        },
    )
    .unwrap();
    assert_eq!(r.relation_progress(), (3, 3));
    r.save_now().unwrap();
    let (c, _) = curated_on_disk(&ws);
    assert_eq!(
        curated_links(&c),
        [link("said-by", "aa", "bb"), link("same-as", "cc", "bb")]
    );
    let rejected: Vec<(&str, &str, &str)> = (c.rejected.iter())
        .map(|x| (x.tag.as_str(), x.exact.as_str(), x.reason.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            ("evidence", "cc", "editor-b's version was accepted"),
            ("corrects", "cc", "not an error"),
        ]
    );

    // Reopening `bb` takes back both links on it: no curated relation points nowhere.
    assert!(r.reopen(1));
    r.save_now().unwrap();
    let (c, src) = curated_on_disk(&ws);
    assert!(
        c.relations.is_empty() && !src.contains("relations"),
        "{src}"
    );
    assert_eq!(r.relation_progress(), (1, 3));
    assert!(r.undo());
    r.save_now().unwrap();
    assert_eq!(curated_links(&curated_on_disk(&ws).0).len(), 2);
}

/// A relation another window accepted is kept when this window saves its own decision (the
/// curated merge keeps relations, their ends following spans that took a fresh id).
#[test]
fn an_accepted_relation_survives_the_merge_with_another_windows_decision() {
    use marginalia::session::review::RelationDecision;
    let (_d, ws) = relation_workspace();
    let mut first = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev").unwrap();
    let mut second = Review::open(&ws, REL, &["editor-a", "editor-b"], "rev2").unwrap();
    second
        .decide_relation(0, RelationDecision::AcceptA)
        .unwrap();
    second.save_now().unwrap();
    first.decide(3, Decision::AcceptA).unwrap();
    first.save_now().unwrap();
    assert!(!first.take_notices().is_empty());
    let (c, src) = curated_on_disk(&ws);
    assert_eq!(c.spans.len(), 3, "{src}");
    let l = &curated_links(&c);
    assert_eq!(l.len(), 1, "{src}");
    assert_eq!((l[0].1.as_str(), l[0].2.as_str()), ("aa", "bb"), "{src}");
    assert_eq!(
        first.relation_state(0),
        marginalia::session::review::ItemState::Decided
    );
}

/// In adjudication, B's link on a span whose item was decided for A's version links to A's
/// version (only a span rejected outright refuses a link).
#[test]
fn a_link_on_the_version_not_kept_goes_to_the_version_kept() {
    use marginalia::session::review::RelationDecision;
    use marginalia::team::compare::RelationItemKind as K;
    let (_d, ws) = relation_workspace_with_b_cc_ending_at(11);
    let mut r = Review::open(&ws, REL, &["editor-a", "editor-b"], "lead").unwrap();
    assert_eq!(r.items()[2].kind, ItemKind::BoundaryConflict);
    r.decide(2, Decision::AcceptA).unwrap();
    let same_as = (r.relation_items().iter())
        .position(|i| i.kind == K::OnlyB)
        .unwrap();
    r.decide_relation(same_as, RelationDecision::AcceptB)
        .unwrap();
    r.save_now().unwrap();
    let (c, _) = curated_on_disk(&ws);
    let link = |k: &str, f: &str, t: &str| (k.to_owned(), f.to_owned(), t.to_owned());
    assert_eq!(curated_links(&c), [link("same-as", "cc", "bb")]);
    assert_eq!(c.spans.len(), 2, "cc as A marked it, and bb");
}

/// "Accept all agreed" takes the agreed links between the spans it accepts too, and only those.
#[test]
fn accept_all_agreed_accepts_agreed_links_between_accepted_spans() {
    use marginalia::session::review::RelationDecision;
    let (_d, ws) = relation_workspace();
    let mut r = Review::open(&ws, REL, &["editor-a", "editor-b"], "lead").unwrap();
    assert_eq!(r.accept_all_agreed(), 5, "4 spans and the said-by link");
    assert_eq!(r.relation_progress(), (1, 3));
    r.save_now().unwrap();
    let (c, _) = curated_on_disk(&ws);
    let link = |k: &str, f: &str, t: &str| (k.to_owned(), f.to_owned(), t.to_owned());
    assert_eq!(curated_links(&c), [link("said-by", "aa", "bb")]);
    assert_eq!(r.accept_all_agreed(), 0, "nothing agreed is left");
    // What undo says it undid, as the status line shows it.
    assert!(r.reopen_relation(0));
    assert_eq!(r.undo_step().as_deref(), Some("undecide said-by link"));
    r.decide_relation(1, RelationDecision::AcceptA).unwrap();
    assert_eq!(r.undo_step().as_deref(), Some("accept evidence link"));
}
