//! Relations as the command line shows them (issue 25): `validate` names the file and the
//! relation of each broken end, `stats` and `tags` count relations per type, and `tags rename`
//! renames a relation type, or a tag in the relation types' ends, everywhere.

use std::path::Path;

use marginalia::model::layer::{Layer, Orphan, make_span, save_layer};
use marginalia::model::relation::{End, Relation};
use marginalia::{TagSet, Text};

use crate::support::process::{run, stdout};

const NOW: &str = "2026-03-01T09:00:00Z";
const A: &str = "Ana said the tax rose. It fell, said Bo. The rise was a typo.";
const B: &str = "Bo repeated that the tax rose. Ana disagreed.";

fn link(id: u64, kind: &str, from: End, to: End) -> Relation {
    Relation {
        id,
        kind: kind.into(),
        from,
        to,
        note: String::new(),
        attrs: Default::default(),
        created: NOW.into(),
        modified: NOW.into(),
    }
}

/// A span on the first `phrase` of `text`.
fn span_on(text: &Text, id: u64, phrase: &str, tag: &str) -> marginalia::model::layer::Span {
    let s = text.char_of_byte(text.as_str().find(phrase).expect("phrase"));
    make_span(text, id, s, s + phrase.chars().count(), tag, NOW)
}

/// Two texts and `ann`'s layers of them: a.txt has a quote (1), a claim (2), an error (3), an
/// orphan (4) and the relations `more` adds; b.txt a claim (5) and a quote (6).
fn workspace(more: impl FnOnce(&Layer, &Layer) -> Vec<Relation>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    TagSet::default()
        .save(&root.join("annotations/tags.ron"))
        .unwrap();
    let (ta, tb) = (Text::from_string(A), Text::from_string(B));
    std::fs::write(root.join("a.txt"), A).unwrap();
    std::fs::write(root.join("b.txt"), B).unwrap();
    let mut a = Layer::new("a.txt", &ta, "ann");
    a.spans = vec![
        span_on(&ta, 1, "the tax rose", "quote"),
        span_on(&ta, 2, "It fell", "claim"),
        span_on(&ta, 3, "a typo", "error"),
    ];
    a.orphans.push(Orphan {
        span: span_on(&ta, 4, "Ana", "quote"),
        old_text_sha256: "0".repeat(64),
    });
    let mut b = Layer::new("b.txt", &tb, "ann");
    b.spans = vec![
        span_on(&tb, 5, "the tax rose", "claim"),
        span_on(&tb, 6, "Ana disagreed", "quote"),
    ];
    a.relations = more(&a, &b);
    a.normalize();
    b.normalize();
    save_layer(&root.join("annotations/ann/a.ron"), &a).unwrap();
    save_layer(&root.join("annotations/ann/b.ron"), &b).unwrap();
    dir
}

/// Relations that are all valid: a said-by, and an evidence whose claim is in b.txt.
fn valid(a: &Layer, b: &Layer) -> Vec<Relation> {
    let claim_b = b.span(5).unwrap().end_in("b.txt");
    vec![
        link(10, "said-by", End::here(1), End::here(2)),
        link(11, "evidence", End::here(3), claim_b),
        link(12, "same-as", End::here(2), End::here(a.spans[2].id)),
    ]
}

#[test]
fn validate_names_the_file_and_relation_of_each_broken_end() {
    let dir = workspace(|a, b| {
        let mut gone = b.span(5).unwrap().end_in("gone.txt");
        let mut missing_there = b.span(5).unwrap().end_in("b.txt");
        missing_there.span = 7;
        let quote_b = b.span(6).unwrap().end_in("b.txt");
        if let Some(d) = gone.doc.as_mut() {
            d.exact = "whatever".into();
        }
        let mut out = valid(a, b);
        out.extend([
            link(20, "said-by", End::here(2), End::here(1)),
            link(21, "same-as", End::here(1), End::here(99)),
            link(22, "same-as", End::here(1), End::here(4)),
            link(23, "quoted-by", End::here(1), End::here(2)),
            link(24, "same-as", End::here(1), gone),
            link(25, "same-as", End::here(1), missing_there),
            link(26, "corrects", End::here(2), quote_b),
        ]);
        out
    });
    let o = run(&["validate", "."], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let file = dir
        .path()
        .canonicalize()
        .unwrap()
        .join("annotations/ann/a.ron");
    let lines: Vec<String> = [
        "relation 20: a \"said-by\" relation's from end may be quote, not \"claim\"",
        "relation 21: its to end, span 99, does not exist",
        "relation 22: its to end, span 4, lost its place when the text changed",
        "relation 23: unknown relation type \"quoted-by\"",
        "relation 24: its to end is in \"gone.txt\", which is not a text of the workspace",
        "relation 25: its to end, span 7, is not in ann's layer of \"b.txt\"",
        "relation 26: a \"corrects\" relation's to end may be error, not \"quote\"",
    ]
    .iter()
    .map(|l| format!("{}: {l}", file.display()))
    .collect();
    let out = stdout(&o);
    let printed: Vec<&str> = out.lines().collect();
    assert_eq!(printed, lines, "{out}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("7 problems in 2 annotation files"));

    // The same workspace with only the valid relations passes.
    let dir = workspace(valid);
    let o = run(&["validate", "."], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn stats_and_tags_count_relations_per_type() {
    let dir = workspace(valid);
    let o = run(&["stats", "."], dir.path());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.starts_with("2 documents, 2 annotation files, 5 spans\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "\nRelations per type (3 relations)\n  evidence              1\n  \
             said-by               1\n  same-as               1\n\nPer annotator\n"
        ),
        "{out}"
    );
    let o = run(&["stats", ".", "--json"], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["relations"], 3);
    assert_eq!(v["by_relation"]["said-by"], 1);
    assert_eq!(v["by_annotator"]["ann"]["relations"], 3);

    let o = run(&["tags", "."], dir.path());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let expected = [
        "relation types",
        "  said-by   quote → any            key s  1 relation  A quote, linked to the span that names who said it.",
        "  evidence  any → claim            key e  1 relation  A passage that bears on a claim: it supports it, refutes it or gives context.",
        "    stance  choice: supports | refutes | context  (default supports)",
        "  corrects  any → error            key c  0 relations  A passage that corrects an error.",
        "  same-as   any ↔ any (symmetric)  key m  1 relation  Two mentions of the same person, organisation or event.",
        "",
    ]
    .join("\n");
    assert!(out.contains(&expected), "{out}");
    assert!(
        out.ends_with("4 tags; 5 spans in 2 annotation files\n"),
        "{out}"
    );
}

/// a.txt's layer file and tags.ron, as on disk.
fn files(root: &Path) -> (String, String) {
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    (read("annotations/ann/a.ron"), read("annotations/tags.ron"))
}

#[test]
fn tags_rename_renames_a_relation_type_and_a_tag_in_the_relation_types_ends() {
    let dir = workspace(valid);
    let root = dir.path();
    // Without --relation, a relation type's name is refused, and said so.
    let o = run(&["tags", "rename", "said-by", "quoted-by"], root);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("\"said-by\" is a relation type, not a tag; pass --relation to rename it"),
        "{o:?}"
    );
    let o = run(
        &["tags", "rename", "--relation", "said-by", "quoted-by"],
        root,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{o:?}");
    assert!(
        out.ends_with(
            "relation type \"said-by\" renamed to \"quoted-by\"\nrenamed: 1 relation in 1 layer file\n"
        ),
        "{out}"
    );
    let (layer, tags) = files(root);
    assert!(
        layer.contains("type: \"quoted-by\"") && !layer.contains("said-by"),
        "{layer}"
    );
    assert!(
        tags.contains("name: \"quoted-by\"") && !tags.contains("said-by"),
        "{tags}"
    );

    // A tag renamed: the relation types whose ends name it follow, so validate still passes.
    let o = run(&["tags", "rename", "quote", "citation"], root);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{o:?}");
    assert!(
        out.contains(
            "relation types whose ends may be \"quote\" changed to \"citation\": quoted-by\n"
        ),
        "{out}"
    );
    let (_, tags) = files(root);
    assert!(
        tags.contains("from: [\n                \"citation\",\n            ]"),
        "{tags}"
    );
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// `ann`'s layers as `bo`'s, with `relations` in a.txt instead of ann's.
fn second_annotator(root: &Path, relations: Vec<Relation>) {
    for name in ["a", "b"] {
        let src =
            std::fs::read_to_string(root.join(format!("annotations/ann/{name}.ron"))).unwrap();
        let mut l = Layer::from_ron(&src).unwrap();
        l.annotator = "bo".into();
        if name == "a" {
            l.relations = relations.clone();
        }
        l.normalize();
        save_layer(&root.join(format!("annotations/bo/{name}.ron")), &l).unwrap();
    }
}

/// Issue 25: `agree` prints relation precision, recall and F1 per type after the span tables,
/// and in --json; without relations its output is what it was.
#[test]
fn agree_reports_relation_f1_per_type_and_nothing_new_without_relations() {
    let dir = workspace(valid);
    let root = dir.path();
    let claim_b = {
        let src = std::fs::read_to_string(root.join("annotations/ann/b.ron")).unwrap();
        Layer::from_ron(&src)
            .unwrap()
            .span(5)
            .unwrap()
            .end_in("b.txt")
    };
    // bo: the same said-by and cross-document evidence, ann's same-as the other way round
    // (symmetric: a match), and a corrects ann does not have.
    second_annotator(
        root,
        vec![
            link(10, "said-by", End::here(1), End::here(2)),
            link(11, "evidence", End::here(3), claim_b),
            link(12, "same-as", End::here(3), End::here(2)),
            link(13, "corrects", End::here(2), End::here(3)),
        ],
    );
    let o = run(&["agree", "."], root);
    let with = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{with}");
    let block = "\nRelations (same type; exact: both ends' ranges equal, overlap: each end overlaps; \
                 direction counts unless the type is symmetric)\n  \
                 ann (A) vs bo (B)\n    \
                 type            rels A  rels B exact P exact R exact F1   ovl P   ovl R  ovl F1\n    \
                 said-by              1       1   1.000   1.000    1.000   1.000   1.000   1.000\n    \
                 evidence             1       1   1.000   1.000    1.000   1.000   1.000   1.000\n    \
                 corrects             0       1   0.000     n/a    0.000   0.000     n/a   0.000\n    \
                 same-as              1       1   1.000   1.000    1.000   1.000   1.000   1.000\n";
    assert!(with.contains(block), "{with}");
    let o = run(&["agree", "--json", "."], root);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let corrects = &json["pairs"][0]["relations"][2];
    assert_eq!(corrects["type"], "corrects");
    assert_eq!(corrects["exact"]["b_relations"], 1);
    assert_eq!(corrects["exact"]["recall"], serde_json::Value::Null);

    // Without any relation: the same report less the relations block, and no relations key.
    for who in ["ann", "bo"] {
        let p = root.join(format!("annotations/{who}/a.ron"));
        let mut l = Layer::from_ron(&std::fs::read_to_string(&p).unwrap()).unwrap();
        l.relations.clear();
        save_layer(&p, &l).unwrap();
    }
    let o = run(&["agree", "."], root);
    assert_eq!(stdout(&o), with.replacen(block, "", 1));
    let o = run(&["agree", "--json", "."], root);
    assert!(!stdout(&o).contains("\"relations\""));
}

/// Issue 25: the merge driver keeps a curated layer's accepted relations. Ours accepted a link
/// between two curated spans; theirs reopened one of those spans: the merge keeps the link and
/// brings the span back with its review record, saying why.
#[test]
fn merge_file_keeps_a_curated_relation_and_the_span_it_links() {
    use marginalia::model::curated::{CuratedLayer, CuratedRelation, CuratedSpan, SourceRef};
    let dir = tempfile::tempdir().unwrap();
    let text = Text::from_string(A);
    let mut base = CuratedLayer::new("a.txt", &text);
    for (id, phrase, tag) in [(1, "the tax rose", "quote"), (2, "It fell", "claim")] {
        let from = vec![SourceRef {
            layer: "ann".into(),
            id,
        }];
        let span = span_on(&text, id, phrase, tag);
        base.spans
            .push(CuratedSpan::from_span(span, from, "lead", NOW, false));
    }
    base.reviewed = vec!["ann".into()];
    base.normalize();
    let mut ours = base.clone();
    ours.relations.push(CuratedRelation {
        relation: link(3, "said-by", End::here(1), End::here(2)),
        sources: vec![SourceRef {
            layer: "ann".into(),
            id: 10,
        }],
        accepted_by: "lead".into(),
        accepted_at: NOW.into(),
    });
    ours.normalize();
    let mut theirs = base.clone();
    theirs.spans.retain(|s| s.span.id != 2);
    for (name, c) in [("base", &base), ("ours", &ours), ("theirs", &theirs)] {
        std::fs::write(dir.path().join(name), c.to_ron()).unwrap();
    }
    let o = run(
        &[
            "merge-file",
            "base",
            "ours",
            "theirs",
            "--path",
            "annotations/curated/a.ron",
        ],
        dir.path(),
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("span 2: deleted by one edit and linked by a relation"),
        "{out}"
    );
    let src = std::fs::read_to_string(dir.path().join("ours")).unwrap();
    let merged = CuratedLayer::from_ron(&src).unwrap();
    assert_eq!(merged.relations, ours.relations, "{src}");
    let back = merged
        .spans
        .iter()
        .find(|s| s.span.id == 2)
        .expect("span 2 back");
    assert_eq!(
        (back.accepted_by.as_str(), &back.from),
        ("lead", &base.spans[1].from)
    );
    assert_eq!(merged.to_ron(), src);
}

/// `tags rename --relation` renames the type in the curated layer's accepted relations and its
/// rejections of relations too (the curated layer holds relations since issue 25).
#[test]
fn tags_rename_relation_renames_it_in_the_curated_layer_too() {
    use marginalia::model::curated::{
        CuratedLayer, CuratedRelation, CuratedSpan, Rejection, SourceRef,
    };
    let dir = workspace(valid);
    let root = dir.path();
    let text = Text::from_string(A);
    let mut c = CuratedLayer::new("a.txt", &text);
    let source = |id| SourceRef {
        layer: "ann".into(),
        id,
    };
    for (id, phrase, tag) in [(1, "the tax rose", "quote"), (2, "It fell", "claim")] {
        let span = span_on(&text, id, phrase, tag);
        c.spans.push(CuratedSpan::from_span(
            span,
            vec![source(id)],
            "lead",
            NOW,
            false,
        ));
    }
    c.relations.push(CuratedRelation {
        relation: link(3, "said-by", End::here(1), End::here(2)),
        sources: vec![source(10)],
        accepted_by: "lead".into(),
        accepted_at: NOW.into(),
    });
    c.rejected.push(Rejection {
        from: source(12),
        start: 0,
        end: 3,
        tag: "said-by".into(),
        exact: "Ana".into(),
        reason: "no".into(),
        by: "lead".into(),
        at: NOW.into(),
    });
    c.reviewed = vec!["ann".into()];
    c.normalize();
    let path = root.join("annotations/curated/a.ron");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, c.to_ron()).unwrap();
    let o = run(
        &["tags", "rename", "--relation", "said-by", "quoted-by"],
        root,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{o:?}");
    assert!(
        out.contains("annotations/curated/a.ron: 1 relation, 1 rejection renamed\n"),
        "{out}"
    );
    assert!(
        out.ends_with("renamed: 2 relations in 2 layer files\n"),
        "{out}"
    );
    let renamed = CuratedLayer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(renamed.relations[0].relation.kind, "quoted-by");
    assert_eq!(renamed.rejected[0].tag, "quoted-by");
    assert_eq!(renamed.spans, c.spans, "the review record is kept");
}
