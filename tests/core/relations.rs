//! Relations between spans in the core: made, refused, deleted with their span and brought back
//! by one undo, and saved in the layer file (a file without relations is unchanged).

use marginalia::model::relation::{End, RelationProblem};
use marginalia::session::document::{Document, LinkError};
use marginalia::{TagSet, Workspace};

use crate::support::files::copy_workspace;

fn open(root: &std::path::Path, rel: &str) -> Document {
    let ws = Workspace::open(root).unwrap();
    Document::open(&ws, rel, "editor-z", false).unwrap()
}

fn span_at(doc: &mut Document, words: &str, tag: &str) -> u64 {
    let at = doc.text().as_str().find(words).unwrap();
    let start = doc.text().as_str()[..at].chars().count();
    doc.add_span(start, start + words.chars().count(), tag)
        .unwrap()
}

#[test]
fn a_relation_is_saved_refused_when_wrong_and_deleted_and_restored_with_its_span() {
    let dir = copy_workspace();
    let rel = "seeds/000_b78fa013a4a69998.txt";
    let tags = TagSet::default();
    let said_by = tags.relation("said-by").unwrap();
    let evidence = tags.relation("evidence").unwrap();
    let mut doc = open(dir.path(), rel);
    let before_relations = doc.layer().to_ron();
    assert!(
        !before_relations.contains("relations"),
        "no relations: no field"
    );

    let quote_words = "do you want a Franco-Russian war?";
    let quote = span_at(&mut doc, quote_words, "quote");
    let name = span_at(&mut doc, "Putin", "claim");
    // A claim cannot be said-by's `from` end; evidence must point at a claim.
    assert!(matches!(
        doc.add_relation(said_by, name, End::here(quote), "quote"),
        Err(LinkError::TagNotAllowed { end: "from", .. })
    ));
    assert!(matches!(
        doc.add_relation(evidence, name, End::here(quote), "quote"),
        Err(LinkError::TagNotAllowed { end: "to", .. })
    ));
    assert_eq!(
        doc.add_relation(said_by, quote, End::here(quote), "quote"),
        Err(LinkError::SameSpan)
    );
    let link = doc
        .add_relation(said_by, quote, End::here(name), "claim")
        .unwrap();
    assert_eq!(
        doc.add_relation(said_by, quote, End::here(name), "claim"),
        Err(LinkError::Exists(link))
    );
    let ev = doc
        .add_relation(evidence, quote, End::here(name), "claim")
        .unwrap();
    assert_eq!(
        doc.layer()
            .relation(ev)
            .unwrap()
            .attrs
            .get("stance")
            .map(String::as_str),
        Some("supports"),
        "a new relation starts with its type's defaults"
    );
    doc.save_now().unwrap();
    let on_disk = open(dir.path(), rel);
    assert_eq!(on_disk.layer().relations.len(), 2);
    assert!(on_disk.layer().relation_problems(&tags).is_empty());

    // Deleting the quote deletes both relations in the same step; one undo brings all back.
    assert!(doc.delete_span(quote));
    assert!(doc.layer().relations.is_empty());
    let undone = doc.undo_step().unwrap();
    assert_eq!(
        undone.what,
        format!("delete quote “{quote_words}” and its 2 relations")
    );
    assert_eq!(doc.layer().relations.len(), 2);
    assert!(doc.layer().span(quote).is_some());
    doc.redo();
    assert!(doc.layer().relations.is_empty());
    doc.undo();
    // Retyping keeps what the new type declares; an end the new type refuses is refused.
    assert!(
        doc.retype_relation(link, tags.relation("same-as").unwrap())
            .unwrap()
    );
    assert!(
        doc.retype_relation(link, tags.relation("corrects").unwrap())
            .is_err()
    );
    doc.save_now().unwrap();
    let on_disk = open(dir.path(), rel);
    let kinds: Vec<&str> = on_disk
        .layer()
        .relations
        .iter()
        .map(|r| r.kind.as_str())
        .collect();
    assert_eq!(kinds, ["same-as", "evidence"]);
}

#[test]
fn a_relation_whose_end_is_missing_or_orphaned_is_kept_and_named() {
    let dir = copy_workspace();
    let rel = "seeds/000_b78fa013a4a69998.txt";
    let tags = TagSet::default();
    let mut doc = open(dir.path(), rel);
    let a = span_at(&mut doc, "Macron", "quote");
    let b = span_at(&mut doc, "Ukraine", "claim");
    let link = doc
        .add_relation(tags.relation("said-by").unwrap(), a, End::here(b), "claim")
        .unwrap();
    doc.save_now().unwrap();
    // Edited by hand: the `to` end names a span that is not there.
    let path = doc.layer_path().to_path_buf();
    let src = std::fs::read_to_string(&path).unwrap();
    let edited = src.replacen(&format!("span: {b},"), "span: 999,", 1);
    assert_ne!(src, edited);
    std::fs::write(&path, edited).unwrap();
    let reopened = open(dir.path(), rel);
    assert_eq!(reopened.layer().relations.len(), 1, "kept, not dropped");
    let problems = reopened.layer().relation_problems(&tags);
    assert_eq!(
        problems,
        [RelationProblem::MissingSpan {
            id: link,
            end: "to",
            span: 999
        }]
    );
    assert_eq!(
        problems[0].to_string(),
        format!("relation {link}: its to end, span 999, does not exist")
    );
}

/// A relation another window saved while this one had unsaved edits is merged in, not lost
/// (the session's merge copied spans, orphans and status back, but not relations).
#[test]
fn a_relation_saved_elsewhere_survives_the_sessions_merge() {
    let dir = copy_workspace();
    let rel = "seeds/000_b78fa013a4a69998.txt";
    let tags = TagSet::default();
    let mut first = open(dir.path(), rel);
    let quote = span_at(&mut first, "do you want a Franco-Russian war?", "quote");
    let name = span_at(&mut first, "Putin", "claim");
    first.save_now().unwrap();
    // Another window links them and saves.
    let mut other = open(dir.path(), rel);
    other
        .add_relation(
            tags.relation("said-by").unwrap(),
            quote,
            End::here(name),
            "claim",
        )
        .unwrap();
    other.save_now().unwrap();
    // This window, which has not seen that, adds a span and saves: the two are merged.
    span_at(&mut first, "Macron", "claim");
    first.save_now().unwrap();
    let on_disk = open(dir.path(), rel);
    assert_eq!(on_disk.layer().spans.len(), 3);
    assert_eq!(
        on_disk.layer().relations.len(),
        1,
        "the other window's relation is kept"
    );
    assert!(on_disk.layer().relation_problems(&tags).is_empty());
}
