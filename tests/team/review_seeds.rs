//! A whole review of a shipped seed (editor-a vs editor-b) on a temp copy of the workspace:
//! every disagreement decided by next-undecided navigation alone, ending Reviewed.

use std::path::Path;

use marginalia::model::layer::Status;
use marginalia::session::review::{Decision, Review, progress_of};
use marginalia::team::compare::{ItemKind, Verdict, feedback};
use marginalia::workspace::Workspace;

use crate::support::files::copy_dir;

const REL: &str = "seeds/002_c14de4e8ffe1b554.txt";

#[test]
fn a_seed_is_reviewed_item_by_item_and_the_annotators_see_the_verdicts() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo.join("seeds"), &dir.path().join("seeds"));
    copy_dir(&repo.join("annotations"), &dir.path().join("annotations"));
    let ws = Workspace::open(dir.path()).unwrap();
    let a_path = ws.layer_path("editor-a", REL).unwrap();
    let b_path = ws.layer_path("editor-b", REL).unwrap();
    let (a_before, b_before) = (
        std::fs::read(&a_path).unwrap(),
        std::fs::read(&b_path).unwrap(),
    );

    let mut r = Review::open(&ws, REL, &["editor-a", "editor-b"], "chief").unwrap();
    let kinds: std::collections::BTreeSet<ItemKind> = r.items().iter().map(|i| i.kind).collect();
    assert!(
        kinds.contains(&ItemKind::Agreed) && kinds.len() >= 3,
        "{kinds:?}"
    );
    let agreed = r
        .items()
        .iter()
        .filter(|i| i.kind == ItemKind::Agreed)
        .count();
    assert_eq!(r.accept_all_agreed(), agreed);
    let mut at = None;
    let mut steps = 0;
    while let Some(i) = r.next_undecided(at) {
        let d = match r.items()[i].kind {
            ItemKind::OnlyB => Decision::Reject {
                reason: "not in the guideline".into(),
            },
            ItemKind::OnlyA | ItemKind::TagConflict => Decision::AcceptA,
            _ => Decision::AcceptB,
        };
        r.decide(i, d).unwrap();
        at = Some(i);
        steps += 1;
        assert!(steps <= r.items().len(), "navigation loops");
    }
    let (done, total) = r.progress();
    assert_eq!(done, total);
    r.set_reviewed(true);
    r.save_now().unwrap();

    assert_eq!(progress_of(&ws, REL).unwrap(), Some((total, total, true)));
    let (findings, _) = marginalia::workspace::validate::validate_workspace(&ws);
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(std::fs::read(&a_path).unwrap(), a_before);
    assert_eq!(std::fs::read(&b_path).unwrap(), b_before);

    let curated = marginalia::model::curated::load_curated(&ws.layer_path("curated", REL).unwrap())
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(curated.status, Status::Reviewed);
    let a = marginalia::model::layer::load_layer(&a_path)
        .unwrap()
        .unwrap()
        .0;
    let fa = feedback("editor-a", &a, &curated);
    // A's spans were kept except where B's boundaries were preferred.
    let boundary = r
        .items()
        .iter()
        .filter(|i| i.kind == ItemKind::BoundaryConflict)
        .count();
    let preferred_b = Verdict::Rejected {
        reason: "editor-b's version was accepted".into(),
    };
    assert_eq!(
        fa.iter().filter(|f| f.verdict == preferred_b).count(),
        boundary
    );
    // Where the two disagreed only on values, B's values were taken: A sees those spans as
    // edited, with each value the reviewer kept.
    let value_conflicts = r
        .items()
        .iter()
        .filter(|i| i.kind == ItemKind::ValueConflict)
        .count();
    assert!(
        value_conflicts >= 1,
        "the shipped layers disagree on values"
    );
    let values_taken = |f: &&marginalia::team::compare::SpanFeedback| matches!(&f.verdict, Verdict::Edited { values, .. } if !values.is_empty());
    assert_eq!(fa.iter().filter(values_taken).count(), value_conflicts);
    assert!(
        fa.iter().all(|f| f.verdict == Verdict::Accepted
            || f.verdict == preferred_b
            || values_taken(&f)),
        "{fa:?}"
    );
    let b = marginalia::model::layer::load_layer(&b_path)
        .unwrap()
        .unwrap()
        .0;
    let fb = feedback("editor-b", &b, &curated);
    assert!(fb.iter().all(|f| f.verdict != Verdict::NotReviewed));
    assert!(fb.iter().any(|f| f.verdict
        == Verdict::Rejected {
            reason: "not in the guideline".into()
        }));
}

/// Issue 25 on shipped data: editor-a's links in seed 000 (editor-b has none) are review items
/// only in A; accepting each writes a curated layer whose links join the same words with the
/// same values and pass the relation checks `validate` makes. Seed 002's only link goes to a
/// claim of seed 000: a review item too, refused until that claim is in seed 000's curated
/// layer, then linked to it there.
#[test]
fn a_seeds_links_are_accepted_into_a_curated_layer_with_the_same_words() {
    use marginalia::model::layer::Layer;
    use marginalia::model::relation::Relation;
    use marginalia::session::review::RelationDecision;
    use marginalia::team::compare::RelationItemKind;
    const SEED: &str = "seeds/000_b78fa013a4a69998.txt";
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo.join("seeds"), &dir.path().join("seeds"));
    copy_dir(&repo.join("annotations"), &dir.path().join("annotations"));
    let ws = Workspace::open(dir.path()).unwrap();

    let mut elsewhere = Review::open(&ws, REL, &["editor-a", "editor-b"], "chief").unwrap();
    assert!((elsewhere.layer(0).unwrap().relations.iter()).all(|x| x.crosses_documents()));
    assert_eq!(elsewhere.relation_items().len(), 1);
    let refused = elsewhere
        .decide_relation(0, RelationDecision::AcceptA)
        .unwrap_err();
    assert!(
        matches!(
            refused,
            marginalia::session::review::ReviewError::EndElsewhere { .. }
        ),
        "{refused}"
    );
    assert!(
        refused.to_string().contains(&format!("review {SEED}")),
        "{refused}"
    );

    let mut r = Review::open(&ws, SEED, &["editor-a", "editor-b"], "chief").unwrap();
    let a = r.layer(0).unwrap().clone();
    assert!(!a.relations.is_empty());
    let items = r.relation_items();
    assert_eq!(items.len(), a.relations.len());
    assert!(items.iter().all(|i| i.kind == RelationItemKind::OnlyA));
    for i in 0..items.len() {
        r.decide_relation(i, RelationDecision::AcceptA).unwrap();
    }
    assert_eq!(
        r.relation_progress(),
        (a.relations.len(), a.relations.len())
    );
    r.save_now().unwrap();
    let path = ws.layer_path("curated", SEED).unwrap();
    let curated = Layer::from_ron(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(curated.relation_problems(ws.tags()), []);
    let links = |l: &Layer| -> Vec<(String, String, String, String)> {
        let words = |id: u64| l.span(id).map(|s| s.exact.clone()).unwrap_or_default();
        let mut v: Vec<_> = (l.relations.iter())
            .map(|r: &Relation| {
                let attrs = format!("{:?}", r.attrs);
                (r.kind.clone(), words(r.from.span), words(r.to.span), attrs)
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(links(&curated), links(&a));

    // Seed 000's claim is curated now: seed 002's link is accepted, to that curated span.
    elsewhere
        .decide_relation(0, RelationDecision::AcceptA)
        .unwrap();
    elsewhere.save_now().unwrap();
    let path = ws.layer_path("curated", REL).unwrap();
    let linked = Layer::from_ron(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(linked.relation_problems(ws.tags()), []);
    let to = &linked.relations[0].to;
    let doc = to.doc.as_ref().expect("the other end is in seed 000");
    assert_eq!(doc.text, SEED);
    assert_eq!(
        curated.span(to.span).map(|s| s.exact.as_str()),
        Some(doc.exact.as_str()),
        "the end is seed 000's curated span with the words it was linked to"
    );
}
