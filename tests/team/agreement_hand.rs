//! Agreement figures on tiny hand-computed examples (worked out in `docs/AGREEMENT.md`).

use std::collections::BTreeMap;

use marginalia::model::layer::{Span, make_span};
use marginalia::model::text::Text;
use marginalia::team::agreement::{AgreementReport, PairTag, Tally};

/// 11 chars, 8 units: `aa bb cc dd` (offsets 0,1,3,4,6,7,9,10).
const TEXT: &str = "aa bb cc dd";

fn spans(text: &str, list: &[(usize, usize, &str)]) -> Vec<Span> {
    let t = Text::from_string(text);
    list.iter()
        .enumerate()
        .map(|(i, &(s, e, tag))| make_span(&t, i as u64 + 1, s, e, tag, "2026-11-21T06:00:00Z"))
        .collect()
}

fn two(a: &[(usize, usize, &str)], b: &[(usize, usize, &str)]) -> AgreementReport {
    let mut tally = Tally::new(
        vec!["a".into(), "b".into()],
        vec!["quote".into(), "claim".into()],
    );
    let mut layers = BTreeMap::new();
    layers.insert("a".to_owned(), spans(TEXT, a));
    layers.insert("b".to_owned(), spans(TEXT, b));
    tally.add_document("doc.txt", TEXT, &layers);
    tally.finish()
}

fn tag<'r>(r: &'r AgreementReport, name: &str) -> &'r PairTag {
    r.pairs[0].tags.iter().find(|t| t.tag == name).unwrap()
}

fn close(x: Option<f64>, want: f64) {
    let x = x.expect("defined");
    assert!((x - want).abs() < 1e-12, "{x} != {want}");
}

#[test]
fn perfect_agreement_gives_one_everywhere() {
    let r = two(&[(0, 5, "quote")], &[(0, 5, "quote")]);
    let q = tag(&r, "quote");
    assert_eq!(q.units_table, [[4, 0], [0, 4]]);
    close(q.kappa, 1.0);
    close(q.exact.f1, 1.0);
    close(q.overlap.f1, 1.0);
    close(r.alpha[0].alpha, 1.0);
    assert_eq!(r.pairs[0].units, 8);
    assert_eq!(r.documents_by_disagreement[0].score, 0.0);
}

#[test]
fn total_disagreement_gives_minus_one_kappa() {
    let r = two(&[(0, 5, "quote")], &[(6, 11, "quote")]);
    let q = tag(&r, "quote");
    assert_eq!(q.units_table, [[0, 4], [4, 0]]);
    // Expected disagreement (4·4 + 4·4)/8 = 4, observed 8: κ = 1 − 8/4 = −1.
    close(q.kappa, -1.0);
    close(q.exact.f1, 0.0);
    close(q.overlap.f1, 0.0);
    // α = 1 − (n−1)·O/(n0·n1) = 1 − 15·8/64 = −0.875.
    close(r.alpha[0].alpha, -0.875);
    let d = &r.documents_by_disagreement[0];
    assert_eq!(
        (d.disagreeing_units, d.labelled_units, d.unmatched_spans),
        (8, 8, 2)
    );
    close(Some(d.score), 1.0);
}

#[test]
fn a_tag_nobody_used_is_undefined_not_a_number() {
    let r = two(&[(0, 5, "quote")], &[(0, 5, "quote")]);
    let c = tag(&r, "claim");
    assert_eq!(c.units_table, [[8, 0], [0, 0]]);
    assert_eq!(c.kappa, None);
    assert_eq!(c.exact.f1, None);
    assert_eq!(c.exact.precision, None);
    assert_eq!(r.alpha[1].alpha, None);
    // Undefined tags are left out of the macro average, not counted as 0.
    close(r.pairs[0].macro_kappa, 1.0);
    close(r.pairs[0].macro_exact_f1, 1.0);
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains(r#""kappa":null"#), "{json}");
    assert!(!json.contains("NaN"));
}

#[test]
fn one_annotator_without_spans_of_a_tag_gives_zero_kappa() {
    let r = two(&[(0, 5, "claim")], &[]);
    let c = tag(&r, "claim");
    // po = 4/8 = pe: κ = 0. Recall 0 of 1, precision undefined (B has no spans).
    close(c.kappa, 0.0);
    close(c.exact.recall, 0.0);
    assert_eq!(c.exact.precision, None);
    close(c.exact.f1, 0.0);
}

#[test]
fn overlapping_spans_match_for_overlap_f1_only() {
    let r = two(&[(0, 8, "quote")], &[(3, 11, "quote")]);
    let q = tag(&r, "quote");
    assert_eq!(q.units_table, [[0, 2], [2, 4]]);
    // Expected disagreement (2·6 + 6·2)/8 = 3, observed 4: κ = −1/3.
    close(q.kappa, -1.0 / 3.0);
    close(q.exact.f1, 0.0);
    close(q.overlap.f1, 1.0);
    // n0 = 4, n1 = 12, O = 4: α = 1 − 15·4/48 = −0.25.
    close(r.alpha[0].alpha, -0.25);
    // The rest of the worked example in docs/AGREEMENT.md.
    assert_eq!(tag(&r, "claim").kappa, None);
    close(r.pairs[0].macro_kappa, -1.0 / 3.0);
    let c = &r.pairs[0].confusion;
    assert_eq!(c.counts, vec![vec![0, 0, 1], vec![0, 0, 0], vec![1, 0, 0]]);
    let d = &r.documents_by_disagreement[0];
    assert_eq!(
        (d.disagreeing_units, d.labelled_units, d.unmatched_spans),
        (4, 8, 2)
    );
    close(Some(d.score), 0.5);
}

#[test]
fn overlap_matching_is_one_to_one_by_largest_overlap() {
    let r = two(&[(0, 5, "quote"), (6, 11, "quote")], &[(0, 8, "quote")]);
    let q = tag(&r, "quote");
    assert_eq!(
        (q.overlap.a_spans, q.overlap.b_spans, q.overlap.matched),
        (2, 1, 1)
    );
    close(q.overlap.precision, 1.0);
    close(q.overlap.recall, 0.5);
    close(q.overlap.f1, 2.0 / 3.0);
}

#[test]
fn confusion_pairs_same_ranges_and_counts_the_rest_as_none() {
    let r = two(
        &[(0, 5, "quote"), (6, 11, "claim")],
        &[(0, 5, "claim"), (6, 11, "claim"), (9, 11, "quote")],
    );
    let c = &r.pairs[0].confusion;
    assert_eq!(c.labels, ["quote", "claim", "none"]);
    assert_eq!(c.counts, vec![vec![0, 1, 0], vec![0, 1, 0], vec![1, 0, 0]]);
}

#[test]
fn a_document_only_one_annotator_has_is_left_out() {
    let mut tally = Tally::new(vec!["a".into(), "b".into()], vec!["quote".into()]);
    let mut both = BTreeMap::new();
    both.insert("a".to_owned(), spans(TEXT, &[(0, 5, "quote")]));
    both.insert("b".to_owned(), spans(TEXT, &[(0, 5, "quote")]));
    tally.add_document("shared.txt", TEXT, &both);
    let mut alone = BTreeMap::new();
    alone.insert("a".to_owned(), spans(TEXT, &[(6, 11, "quote")]));
    tally.add_document("alone.txt", TEXT, &alone);
    let r = tally.finish();
    assert_eq!(r.documents, 1);
    assert_eq!(r.pairs[0].documents, 1);
    assert_eq!(r.pairs[0].units, 8);
    assert_eq!(r.pairs[0].tags[0].exact.a_spans, 1);
    close(r.pairs[0].tags[0].kappa, 1.0);
    assert_eq!(r.documents_by_disagreement.len(), 1);
}

#[test]
fn alpha_across_three_annotators_treats_absent_files_as_missing() {
    let text = "ab cd";
    let mut tally = Tally::new(
        vec!["a".into(), "b".into(), "c".into()],
        vec!["quote".into()],
    );
    let mut doc1 = BTreeMap::new();
    doc1.insert("a".to_owned(), spans(text, &[(0, 2, "quote")]));
    doc1.insert("b".to_owned(), spans(text, &[(0, 4, "quote")]));
    doc1.insert("c".to_owned(), spans(text, &[(0, 1, "quote")]));
    tally.add_document("one.txt", text, &doc1);
    let mut doc2 = BTreeMap::new();
    doc2.insert("a".to_owned(), spans(text, &[(0, 2, "quote")]));
    doc2.insert("b".to_owned(), spans(text, &[(1, 2, "quote")]));
    tally.add_document("two.txt", text, &doc2);
    let r = tally.finish();
    // n0 = 11, n1 = 9, O = 4/2 + 1/1 = 3: α = 1 − 19·3/99 = 42/99.
    close(r.alpha[0].alpha, 42.0 / 99.0);
    assert_eq!(r.alpha[0].units, 8);
    // Pairs with c see only the first document.
    let ac = r.pairs.iter().find(|p| p.a == "a" && p.b == "c").unwrap();
    assert_eq!((ac.documents, ac.units), (1, 4));
}

#[test]
fn whitespace_of_every_kind_is_not_a_unit() {
    let text = "a\u{a0}b\tc\r\nd\u{2028}e\u{3000}f 🙂";
    assert_eq!(
        marginalia::team::agreement::units_of(text),
        vec![0, 2, 4, 7, 9, 11, 13]
    );
}

#[test]
fn each_pair_has_its_own_alpha_and_its_own_disagreeing_documents() {
    // The documents of `alpha_across_three_annotators_treats_absent_files_as_missing`.
    let text = "ab cd";
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let docs = || {
        let mut doc1 = BTreeMap::new();
        doc1.insert("a".to_owned(), spans(text, &[(0, 2, "quote")]));
        doc1.insert("b".to_owned(), spans(text, &[(0, 4, "quote")]));
        doc1.insert("c".to_owned(), spans(text, &[(0, 1, "quote")]));
        let mut doc2 = BTreeMap::new();
        doc2.insert("a".to_owned(), spans(text, &[(0, 2, "quote")]));
        doc2.insert("b".to_owned(), spans(text, &[(1, 2, "quote")]));
        [("one.txt", doc1), ("two.txt", doc2)]
    };
    let report = |annotators: &[&str]| {
        let mut tally = Tally::new(names(annotators), names(&["quote"]));
        for (rel, layers) in docs() {
            tally.add_document(rel, text, &layers);
        }
        tally.finish()
    };
    let r = report(&["a", "b", "c"]);
    let pair = |x: &str, y: &str| r.pairs.iter().find(|p| p.a == x && p.b == y).unwrap();
    // a × b: 16 values, 8 ones; two units split 0/1: α = 1 − 2·15/64 = 17/32.
    close(pair("a", "b").tags[0].alpha, 17.0 / 32.0);
    // a × c: one document, 3 ones of 8, one split unit: α = 1 − 7/15 = 8/15.
    close(pair("a", "c").tags[0].alpha, 8.0 / 15.0);
    // The same method as the all-annotator α, on just those two annotators.
    for (x, y) in [("a", "b"), ("a", "c"), ("b", "c")] {
        let alone = report(&[x, y]);
        assert_eq!(pair(x, y).tags[0].alpha, alone.alpha[0].alpha, "{x} × {y}");
    }
    // Every pair differs from the all-annotator α (42/99).
    close(r.alpha[0].alpha, 42.0 / 99.0);

    // Over all pairs one.txt disagrees most (4 of 8 labelled units, tied score, more units);
    // between a and b alone it is two.txt (1 of 2 against 1 of 3).
    let order = |d: &[marginalia::team::agreement::DocumentDisagreement]| {
        d.iter().map(|d| d.text.clone()).collect::<Vec<_>>()
    };
    assert_eq!(order(&r.documents_by_disagreement), ["one.txt", "two.txt"]);
    let ab = &pair("a", "b").documents_by_disagreement;
    assert_eq!(order(ab), ["two.txt", "one.txt"]);
    assert_eq!(ab[0].annotators, ["a", "b"]);
    assert_eq!((ab[0].disagreeing_units, ab[0].labelled_units), (1, 2));
    // Only the documents both annotated.
    assert_eq!(
        order(&pair("a", "c").documents_by_disagreement),
        ["one.txt"]
    );
}

/// Seven claims and three quotes, two chars each: `c0 c1 … c6 q0 q1 q2` (offsets 0, 3, 6, …).
const CLAIMS: &str = "c0 c1 c2 c3 c4 c5 c6 q0 q1 q2";

/// Spans with one attribute value each (`None`: no value).
fn valued(list: &[(usize, &str, &str, Option<&str>)]) -> Vec<Span> {
    let t = Text::from_string(CLAIMS);
    list.iter()
        .enumerate()
        .map(|(i, &(start, tag, name, value))| {
            let mut s = make_span(
                &t,
                i as u64 + 1,
                start,
                start + 2,
                tag,
                "2026-12-01T00:00:00Z",
            );
            if let Some(v) = value {
                s.attrs.insert(name.to_owned(), v.to_owned());
            }
            // A reserved marker is not an attribute and must not disturb anything.
            s.attrs
                .insert("marginalia:anchor".to_owned(), "fuzzy".to_owned());
            s
        })
        .collect()
}

#[test]
fn attribute_kappa_on_matched_spans_matches_a_hand_computation() {
    let v = "verdict";
    let f = "confirmed";
    // claim.verdict on the five claims both annotated with a value:
    //   c0 true/true, c1 true/false, c2 false/false, c3 false/false, c4 mixed/mixed.
    // c5: B gave no verdict (matched, but not both valued); c6 only A tagged (not matched).
    // n = 5, equal 4: p_o = 4/5 = 0.8.
    // A's values: true 2, false 2, mixed 1; B's: true 1, false 3, mixed 1.
    // p_e = (2·1 + 2·3 + 1·1) / 25 = 9/25 = 0.36.
    // κ = (0.8 − 0.36) / (1 − 0.36) = 0.44 / 0.64 = 0.6875.
    // quote.confirmed (a flag): true on both sides for all three quotes: p_o = 1, p_e = 1,
    // κ undefined ("n/a").
    let a = valued(&[
        (0, "claim", v, Some("true")),
        (3, "claim", v, Some("true")),
        (6, "claim", v, Some("false")),
        (9, "claim", v, Some("false")),
        (12, "claim", v, Some("mixed")),
        (15, "claim", v, Some("true")),
        (18, "claim", v, Some("false")),
        (21, "quote", f, Some("true")),
        (24, "quote", f, Some("true")),
        (27, "quote", f, Some("true")),
    ]);
    let b = valued(&[
        (0, "claim", v, Some("true")),
        (3, "claim", v, Some("false")),
        (6, "claim", v, Some("false")),
        (9, "claim", v, Some("false")),
        (12, "claim", v, Some("mixed")),
        (15, "claim", v, None),
        (21, "quote", f, Some("true")),
        (24, "quote", f, Some("true")),
        (27, "quote", f, Some("true")),
    ]);
    let mut tally = Tally::new(
        vec!["a".into(), "b".into()],
        vec!["quote".into(), "claim".into()],
    )
    .with_attributes(vec![
        ("quote".into(), f.into()),
        ("claim".into(), v.into()),
        // A tag not compared is left out.
        ("error".into(), "kind".into()),
    ]);
    let mut layers = BTreeMap::new();
    layers.insert("a".to_owned(), a);
    layers.insert("b".to_owned(), b);
    tally.add_document("doc.txt", CLAIMS, &layers);
    let r = tally.finish();
    let attrs = &r.pairs[0].attributes;
    assert_eq!(attrs.len(), 2);
    let verdict = attrs.iter().find(|x| x.attribute == v).unwrap();
    assert_eq!(verdict.tag, "claim");
    assert_eq!(verdict.matched, 5);
    close(verdict.observed_agreement, 0.8);
    close(verdict.kappa, 0.6875);
    let confirmed = attrs.iter().find(|x| x.attribute == f).unwrap();
    assert_eq!(confirmed.matched, 3);
    assert_eq!(confirmed.kappa, None);
    close(confirmed.observed_agreement, 1.0);
    // The text report names each as tag.attribute, with "n/a" where κ is undefined.
    let table = r.to_table();
    assert!(
        table.contains("claim.verdict              0.688   0.800        5"),
        "{table}"
    );
    assert!(
        table.contains("quote.confirmed              n/a   1.000        3"),
        "{table}"
    );
    let json = serde_json::to_value(&r).unwrap();
    close(json["pairs"][0]["attributes"][1]["kappa"].as_f64(), 0.6875);
    assert_eq!(
        json["pairs"][0]["attributes"][0]["kappa"],
        serde_json::Value::Null
    );
}

/// Printed figures: a figure a hair below zero printed as "-0.000". Two one-char spans that miss
/// each other in 3000 units give κ and α of about -0.0003.
#[test]
fn a_figure_just_below_zero_prints_as_zero_without_a_minus_sign() {
    let text = "x".repeat(3000);
    let mut tally = Tally::new(vec!["a".into(), "b".into()], vec!["quote".into()]);
    let mut layers = BTreeMap::new();
    layers.insert("a".to_owned(), spans(&text, &[(0, 1, "quote")]));
    layers.insert("b".to_owned(), spans(&text, &[(1, 2, "quote")]));
    tally.add_document("doc.txt", &text, &layers);
    let r = tally.finish();
    let k = r.pairs[0].tags[0].kappa.unwrap();
    let a = r.alpha[0].alpha.unwrap();
    assert!(
        (-0.0005..0.0).contains(&k) && (-0.0005..0.0).contains(&a),
        "{k} {a}"
    );
    let table = r.to_table();
    assert!(!table.contains("-0.000"), "{table}");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .filter(|l| l.starts_with("  quote "))
        .map(|l| l.split_whitespace().collect())
        .collect();
    // The pair's row (κ, α), then α and Fleiss' κ of all annotators.
    assert_eq!(rows.len(), 3, "{table}");
    assert_eq!(rows[0][1..3], ["0.000", "0.000"], "{table}");
    assert_eq!((rows[1][1], rows[2][1]), ("0.000", "0.000"), "{table}");
}

fn link(id: u64, kind: &str, from: u64, to: u64) -> marginalia::model::relation::Relation {
    use marginalia::model::relation::{End, Relation};
    Relation {
        id,
        kind: kind.into(),
        from: End::here(from),
        to: End::here(to),
        note: String::new(),
        attrs: Default::default(),
        created: String::new(),
        modified: String::new(),
    }
}

/// Issue 25: relation F1 per type, worked out by hand. Spans (both annotators): 1 `aa` 0..2,
/// 2 `bb` 3..5, 3 `cc` 6..8, 4 `dd` 9..11; B also has 5 `aa bb` 0..5.
///
/// | type     | A                  | B                         | exact       | overlap        |
/// |----------|--------------------|---------------------------|-------------|----------------|
/// | said-by  | aa→bb, aa→cc       | aa→bb, `aa bb`→cc, ?→bb   | aa→bb: TP 1 | + aa→cc ~ `aa bb`→cc: TP 2 |
/// | same-as  | cc→dd              | dd→cc (symmetric)         | TP 1        | TP 1           |
/// | evidence | bb→cc              | cc→bb (directed)          | TP 0        | TP 0           |
///
/// B's `?→bb` has an end on a span it does not have (99): left out, not a false positive.
/// said-by: exact TP 1, FP 1, FN 1 → P = R = F1 = 0.5; overlap TP 2 → 1. same-as: 1.
/// evidence: TP 0, FP 1, FN 1 → 0. A document only A annotated (a said-by) is left out.
#[test]
fn relation_f1_per_type_matches_a_hand_count() {
    let mut tally = Tally::new(vec!["a".into(), "b".into()], vec!["quote".into()])
        .with_relation_types(vec![("said-by".into(), false), ("same-as".into(), true)]);
    let base = [
        (0, 2, "quote"),
        (3, 5, "person"),
        (6, 8, "claim"),
        (9, 11, "claim"),
    ];
    let mut b_spans = base.to_vec();
    b_spans.push((0, 5, "quote"));
    let mut layers = BTreeMap::new();
    layers.insert("a".to_owned(), spans(TEXT, &base));
    layers.insert("b".to_owned(), spans(TEXT, &b_spans));
    let mut relations = BTreeMap::new();
    relations.insert(
        "a".to_owned(),
        vec![
            link(10, "said-by", 1, 2),
            link(11, "same-as", 3, 4),
            link(12, "said-by", 1, 3),
            link(13, "evidence", 2, 3),
        ],
    );
    relations.insert(
        "b".to_owned(),
        vec![
            link(20, "said-by", 1, 2),
            link(21, "same-as", 4, 3),
            link(22, "said-by", 5, 3),
            link(23, "evidence", 3, 2),
            link(24, "said-by", 99, 2),
        ],
    );
    tally.add_document("doc.txt", TEXT, &layers);
    tally.add_relations("doc.txt", &layers, &relations);
    let mut alone = BTreeMap::new();
    alone.insert("a".to_owned(), spans(TEXT, &base));
    let mut alone_rel = BTreeMap::new();
    alone_rel.insert("a".to_owned(), vec![link(10, "said-by", 1, 2)]);
    tally.add_relations("alone.txt", &alone, &alone_rel);
    let r = tally.finish();
    type Row<'r> = (&'r str, [u64; 4], [Option<f64>; 3], [Option<f64>; 3]);
    let got: Vec<Row> = r.pairs[0]
        .relations
        .iter()
        .map(|x| {
            (
                x.kind.as_str(),
                [
                    x.exact.a_relations,
                    x.exact.b_relations,
                    x.exact.matched,
                    x.overlap.matched,
                ],
                [x.exact.precision, x.exact.recall, x.exact.f1],
                [x.overlap.precision, x.overlap.recall, x.overlap.f1],
            )
        })
        .collect();
    let (half, one, zero) = (Some(0.5), Some(1.0), Some(0.0));
    assert_eq!(
        got,
        vec![
            // Declared types first, in their order; then the others by name.
            ("said-by", [2, 2, 1, 2], [half, half, half], [one, one, one]),
            ("same-as", [1, 1, 1, 1], [one, one, one], [one, one, one]),
            (
                "evidence",
                [1, 1, 0, 0],
                [zero, zero, zero],
                [zero, zero, zero]
            ),
        ]
    );
}
