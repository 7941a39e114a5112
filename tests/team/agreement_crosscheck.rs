//! `marginalia agree` against reference figures from scikit-learn and `krippendorff`, made by
//! `tests/fixtures/agreement/crosscheck.py` and committed as fixtures.

use std::path::{Path, PathBuf};

use marginalia::cli::{Command, run_command};
use marginalia::team::agreement::{AgreementError, AgreementOptions, compute};
use marginalia::workspace::Workspace;
use serde_json::Value;

use crate::support::files::team_copy;
use crate::support::process::{run_binary, run_in_process};

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/agreement")
        .join(p)
}

fn agree(path: PathBuf, annotators: &[&str], tags: &[&str], json: bool) -> (i32, String, String) {
    run_in_process(Command::Agree {
        path: Some(path),
        annotators: annotators.iter().map(|s| s.to_string()).collect(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
        json,
        pairs: false,
        dump_units: false,
    })
}

fn same_number(ours: &Value, reference: &Value, what: &str) {
    match (ours.as_f64(), reference.as_f64()) {
        (Some(x), Some(y)) => assert!((x - y).abs() < 1e-9, "{what}: ours {x}, reference {y}"),
        (None, None) => assert!(ours.is_null() && reference.is_null(), "{what}"),
        _ => panic!("{what}: ours {ours}, reference {reference}"),
    }
}

/// Compares every figure the reference has with ours; returns how many were compared.
fn compare_with_reference(workspace: PathBuf, reference: &str) -> usize {
    let (code, out, err) = agree(workspace, &[], &[], true);
    assert_eq!(code, 0, "{err}");
    let ours: Value = serde_json::from_str(&out).unwrap();
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(reference)).unwrap()).unwrap();
    assert_eq!(ours["annotators"], reference["annotators"]);
    assert_eq!(ours["tags"], reference["tags"]);
    assert_eq!(ours["documents"], reference["documents"]);
    let mut compared = 0;
    let (op, rp) = (
        ours["pairs"].as_array().unwrap(),
        reference["pairs"].as_array().unwrap(),
    );
    assert_eq!(op.len(), rp.len());
    for (o, r) in op.iter().zip(rp) {
        let pair = format!("{} vs {}", r["a"], r["b"]);
        for key in ["a", "b", "documents", "units"] {
            assert_eq!(o[key], r[key], "{pair}: {key}");
        }
        for key in ["macro_kappa", "macro_exact_f1"] {
            same_number(&o[key], &r[key], &format!("{pair}: {key}"));
            compared += 1;
        }
        for (ot, rt) in o["tags"]
            .as_array()
            .unwrap()
            .iter()
            .zip(r["tags"].as_array().unwrap())
        {
            let what = format!("{pair}, {}", rt["tag"]);
            assert_eq!(ot["tag"], rt["tag"]);
            same_number(&ot["kappa"], &rt["kappa"], &format!("{what}: kappa"));
            compared += 1;
            for kind in ["exact", "overlap"] {
                for key in ["a_spans", "b_spans", "matched"] {
                    assert_eq!(ot[kind][key], rt[kind][key], "{what}: {kind} {key}");
                }
                for key in ["precision", "recall", "f1"] {
                    same_number(
                        &ot[kind][key],
                        &rt[kind][key],
                        &format!("{what}: {kind} {key}"),
                    );
                    compared += 1;
                }
            }
        }
    }
    for (o, r) in ours["alpha"]
        .as_array()
        .unwrap()
        .iter()
        .zip(reference["alpha"].as_array().unwrap())
    {
        assert_eq!(o["tag"], r["tag"]);
        same_number(&o["alpha"], &r["alpha"], &format!("alpha {}", r["tag"]));
        compared += 1;
    }
    compared
}

#[test]
fn shipped_seed_annotations_match_sklearn_and_krippendorff() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let n = compare_with_reference(repo, "seeds_expected.json");
    // editor-a vs editor-b: 2 macro + 4 tags × 7, and 4 alphas.
    assert_eq!(n, 34);
}

#[test]
fn three_annotators_match_sklearn_and_krippendorff() {
    let n = compare_with_reference(fixture("three"), "three_expected.json");
    // 3 pairs × (2 macro + 4 tags × 7) + 4 alphas.
    assert_eq!(n, 94);
}

#[test]
fn table_names_pairs_and_shows_undefined_kappa_as_n_a() {
    let (code, out, err) = agree(
        fixture("three"),
        &["ann-a", "ann-b"],
        &["quote", "rumour"],
        false,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ann-a (A) vs ann-b (B): 3 documents"), "{out}");
    assert!(!out.contains("ann-c"), "{out}");
    let rumour = out
        .lines()
        .find(|l| l.trim_start().starts_with("rumour"))
        .unwrap();
    assert!(rumour.contains("n/a"), "{rumour}");
    assert!(out.contains("Krippendorff's alpha"), "{out}");
    assert!(out.contains("texts/moscow.txt"), "{out}");
    assert!(
        !out.contains("texts/solo.txt"),
        "a document only one annotator has: {out}"
    );
}

#[test]
fn json_reports_undefined_kappa_as_null() {
    let (code, out, _) = agree(
        fixture("three"),
        &["ann-a", "ann-b"],
        &["quote", "rumour"],
        true,
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["pairs"][0]["tags"][1]["kappa"].is_null());
    assert!(v["pairs"][0]["tags"][0]["kappa"].as_f64().is_some());
}

#[test]
fn too_few_or_unknown_annotators_are_refused() {
    let (code, _, err) = agree(fixture("three"), &["ann-a"], &[], false);
    assert_eq!(code, 1);
    assert!(err.contains("at least two annotators"), "{err}");
    let (code, _, err) = agree(fixture("three"), &["ann-a", "nobody"], &[], false);
    assert_eq!(code, 1);
    assert!(err.contains("\"nobody\""), "{err}");
}

#[test]
fn progress_is_reported_and_can_cancel() {
    let ws = Workspace::open(&fixture("three")).unwrap();
    let seen = std::cell::RefCell::new(Vec::new());
    let report = compute(&ws, &AgreementOptions::default(), &|done, total| {
        seen.borrow_mut().push((done, total));
        true
    })
    .unwrap();
    assert_eq!(report.documents, 4);
    assert_eq!(*seen.borrow(), vec![(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]);
    let result = compute(&ws, &AgreementOptions::default(), &|done, _| done < 2);
    assert_eq!(result, Err(AgreementError::Cancelled));
}

#[test]
fn dump_units_gives_one_label_per_non_whitespace_char() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_command(
        Command::Agree {
            path: Some(fixture("three")),
            annotators: vec![],
            tags: vec![],
            json: true,
            pairs: false,
            dump_units: true,
        },
        &mut out,
        &mut err,
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_slice(&out).unwrap();
    let docs = v["documents"].as_array().unwrap();
    assert_eq!(
        docs.len(),
        4,
        "texts/solo.txt has one annotator and is left out"
    );
    let mixed = docs
        .iter()
        .find(|d| d["text"] == "texts/mixed.txt")
        .unwrap();
    let text = std::fs::read_to_string(fixture("three/texts/mixed.txt")).unwrap();
    let units = text
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    for (annotator, per_tag) in mixed["labels"].as_object().unwrap() {
        for (tag, labels) in per_tag.as_object().unwrap() {
            let labels = labels.as_str().unwrap();
            assert_eq!(labels.len(), units, "{annotator} {tag}");
            assert!(labels.chars().all(|c| c == '0' || c == '1'));
        }
    }
}

#[test]
fn json_gives_each_pairs_alpha_equal_to_alpha_of_just_those_two() {
    let (code, out, _) = agree(fixture("three"), &[], &[], true);
    assert_eq!(code, 0);
    let all: Value = serde_json::from_str(&out).unwrap();
    let pairs = all["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 3);
    let mut differs = false;
    for p in pairs {
        let (a, b) = (p["a"].as_str().unwrap(), p["b"].as_str().unwrap());
        let (code, out, _) = agree(fixture("three"), &[a, b], &[], true);
        assert_eq!(code, 0);
        let alone: Value = serde_json::from_str(&out).unwrap();
        for (t, r) in p["tags"]
            .as_array()
            .unwrap()
            .iter()
            .zip(alone["alpha"].as_array().unwrap())
        {
            assert_eq!(t["tag"], r["tag"]);
            same_number(
                &t["alpha"],
                &r["alpha"],
                &format!("alpha {a} × {b} {}", t["tag"]),
            );
            let everyone = all["alpha"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["tag"] == t["tag"])
                .unwrap();
            differs |= t["alpha"] != everyone["alpha"];
        }
        // The pair's own list of documents, each naming just the pair.
        for d in p["documents_by_disagreement"].as_array().unwrap() {
            assert_eq!(d["annotators"], serde_json::json!([a, b]));
        }
    }
    assert!(differs, "a pair's α is not the all-annotator α");
}

/// The CLI takes the choice and flag attributes from the workspace's tag set (the defaults
/// here: claim.verdict, error.kind, boilerplate.kind; text attributes are left out).
#[test]
fn agree_reports_attribute_kappa_from_the_schema_in_text_and_json() {
    use marginalia::model::layer::{Layer, make_span};
    use marginalia::model::text::Text;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("texts")).unwrap();
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    let rel = "texts/t.txt";
    let src = "c0 c1 c2 c3\n";
    std::fs::write(root.join(rel), src).unwrap();
    let text = Text::from_string(src);
    let ws = Workspace::open(root).unwrap();
    // Verdicts: A true, true, false; B true, false, false (and a speaker nobody compares).
    for (who, verdicts) in [
        ("ann-a", ["true", "true", "false"]),
        ("ann-b", ["true", "false", "false"]),
    ] {
        let mut l = Layer::new(rel, &text, who);
        for (k, v) in verdicts.iter().enumerate() {
            let id = l.take_id();
            let mut s = make_span(&text, id, k * 3, k * 3 + 2, "claim", "2026-12-01T00:00:00Z");
            s.attrs.insert("verdict".into(), (*v).into());
            s.attrs.insert("source".into(), who.into());
            l.spans.push(s);
        }
        marginalia::model::layer::save_layer(&ws.layer_path(who, rel).unwrap(), &l).unwrap();
    }
    // p_o = 2/3; p_e = (2·1 + 1·2)/9 = 4/9; κ = (2/3 − 4/9)/(5/9) = 0.4.
    let (code, out, err) = agree(root.to_path_buf(), &[], &[], false);
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("claim.verdict"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("0.400") && line.ends_with(" 3"), "{line}");
    assert!(!out.contains("claim.source"), "{out}");
    let (code, out, _) = agree(root.to_path_buf(), &[], &[], true);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let attrs = v["pairs"][0]["attributes"].as_array().unwrap();
    let names: Vec<String> = attrs
        .iter()
        .map(|a| {
            format!(
                "{}.{}",
                a["tag"].as_str().unwrap(),
                a["attribute"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names, ["claim.verdict", "error.kind", "boilerplate.kind"]);
    assert!((attrs[0]["kappa"].as_f64().unwrap() - 0.4).abs() < 1e-12);
    assert_eq!(attrs[0]["matched"], 3);
    assert!(attrs[1]["kappa"].is_null());
    assert_eq!(attrs[1]["matched"], 0);
}

/// The team fixture (six annotators, gaps, a curated layer on three documents) against
/// `team_expected.json`, made by `team_crosscheck.py` with statsmodels and krippendorff.
#[test]
fn team_fleiss_alpha_and_scorecard_match_statsmodels_and_krippendorff() {
    let (code, out, err) = agree(fixture("team"), &[], &[], true);
    assert_eq!(code, 0, "{err}");
    let ours: Value = serde_json::from_str(&out).unwrap();
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("team_expected.json")).unwrap())
            .unwrap();
    assert_eq!(ours["annotators"], reference["annotators"]);
    assert_eq!(ours["fleiss_documents"], reference["fleiss_documents"]);
    assert_eq!(ours["fleiss_documents"], 3);
    let mut compared = 0;
    for (o, r) in ours["fleiss"]
        .as_array()
        .unwrap()
        .iter()
        .zip(reference["fleiss"].as_array().unwrap())
    {
        assert_eq!(o["tag"], r["tag"]);
        assert_eq!(o["units"], r["units"]);
        same_number(&o["kappa"], &r["kappa"], &format!("Fleiss {}", r["tag"]));
        compared += 1;
    }
    for (o, r) in ours["alpha"]
        .as_array()
        .unwrap()
        .iter()
        .zip(reference["alpha"].as_array().unwrap())
    {
        assert_eq!(o["tag"], r["tag"]);
        same_number(&o["alpha"], &r["alpha"], &format!("alpha {}", r["tag"]));
        compared += 1;
    }
    assert_eq!(ours["scorecard"]["documents"], 3);
    let (os, rs) = (
        ours["scorecard"]["annotators"].as_array().unwrap(),
        reference["scorecard"].as_array().unwrap(),
    );
    assert_eq!(os.len(), rs.len());
    for (o, r) in os.iter().zip(rs) {
        assert_eq!(o["annotator"], r["annotator"]);
        assert_eq!(o["documents"], r["documents"]);
        for (ot, rt) in o["tags"]
            .as_array()
            .unwrap()
            .iter()
            .zip(r["tags"].as_array().unwrap())
        {
            let what = format!("{} {}", r["annotator"], rt["tag"]);
            for key in ["curated_spans", "annotator_spans", "matched"] {
                assert_eq!(ot["exact"][key], rt[key], "{what}: {key}");
            }
            for key in ["precision", "recall", "f1"] {
                same_number(&ot["exact"][key], &rt[key], &format!("{what}: {key}"));
                compared += 1;
            }
        }
    }
    // 4 Fleiss + 4 α + 6 annotators × 4 tags × 3.
    assert_eq!(compared, 80);
}

#[test]
fn a_team_gets_the_kappa_matrix_and_means_and_pairs_on_request() {
    let team = fixture("team");
    let team = team.to_str().unwrap();
    let (code, out, err) = run_binary(&["agree", team]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Agreement of 6 annotators over 5 documents"),
        "{out}"
    );
    assert!(
        out.contains("Pairwise Cohen's kappa (macro over tags"),
        "{out}"
    );
    assert!(!out.contains("(A) vs"), "no pair tables by default: {out}");
    assert!(out.contains("Every pair's tables: marginalia agree --pairs (15 pairs)"));
    // The matrix: a row per annotator, its diagonal a dot, values as in the JSON.
    let (_, json, _) = run_binary(&["agree", "--json", team]);
    let v: Value = serde_json::from_str(&json).unwrap();
    let matrix = v["kappa_matrix"].as_array().unwrap();
    assert_eq!(matrix.len(), 6);
    let eli = out
        .lines()
        .find(|l| l.trim_start().starts_with("5 eli"))
        .unwrap();
    let cells: Vec<&str> = eli.split_whitespace().skip(2).collect();
    assert_eq!(cells.len(), 6, "{eli}");
    assert_eq!(cells[4], "·");
    let ana_eli = matrix[4][0].as_f64().unwrap();
    assert_eq!(cells[0], format!("{ana_eli:.2}"));
    assert_eq!(matrix[0][4], matrix[4][0]);
    // Means: lowest first, in the table as in the JSON.
    let means = v["annotator_means"].as_array().unwrap();
    let values: Vec<f64> = means
        .iter()
        .map(|m| m["mean_kappa"].as_f64().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
    // eli (every fifth annotator is careless) is the low outlier.
    assert_eq!(means[0]["annotator"], "eli");
    let after = out.split("lowest first)").nth(1).unwrap();
    let first = after.lines().nth(2).unwrap();
    assert!(first.trim_start().starts_with("eli"), "{first}");
    assert!(first.contains(&format!("{:.3}", values[0])), "{first}");
    assert!(
        out.contains("Fleiss' kappa (all annotators, over the 3 documents every annotator has)")
    );
    assert!(out.contains("Scorecard against the curated layer (3 documents; exact match"));

    // --pairs: today's tables, one per pair.
    let (code, pairs, _) = run_binary(&["agree", "--pairs", team]);
    assert_eq!(code, 0);
    assert_eq!(pairs.matches("(A) vs").count(), 15);
    assert!(pairs.contains("ana (A) vs ben (B)"), "{pairs}");
    assert!(pairs.contains("Tag confusion"));
    // Three annotators keep the pair tables by default.
    let (code, three, _) = run_binary(&["agree", "--annotators", "ana,ben,cai", team]);
    assert_eq!(code, 0);
    assert_eq!(three.matches("(A) vs").count(), 3);
    assert!(!three.contains("Pairwise Cohen's kappa"));
    assert!(three.contains("Fleiss' kappa"));
    // Errors: an unknown annotator, and a folder that is not there.
    let (code, _, err) = run_binary(&["agree", "--annotators", "ana,nobody", team]);
    assert_eq!(code, 1);
    assert!(err.contains("\"nobody\""), "{err}");
    let (code, _, _) = run_binary(&["agree", "/nonexistent/team"]);
    assert_eq!(code, 2);
}

/// Broken layer files: one broken layer file stopped every figure. Now the figures come from the
/// readable files, the broken ones are listed under "skipped" with why, and the exit code is 1.
#[test]
fn a_broken_layer_is_skipped_and_listed_and_the_rest_is_still_computed() {
    let ws = team_copy();
    let (_, before, _) = agree(ws.path().to_path_buf(), &[], &[], true);
    let before: Value = serde_json::from_str(&before).unwrap();
    let broken = ws.path().join("annotations/ben/texts/doc1.ron");
    std::fs::write(&broken, "(format: 1, spans: [").unwrap();
    let curated = ws.path().join("annotations/curated/texts/doc2.ron");
    std::fs::write(&curated, [0xff, 0xfe]).unwrap();

    let (code, out, err) = agree(ws.path().to_path_buf(), &[], &[], false);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with("Agreement of 6 annotators over 5 documents"),
        "{out}"
    );
    assert!(out.contains("Pairwise Cohen's kappa"), "{out}");
    assert!(
        out.contains("Scorecard against the curated layer (2 documents;"),
        "the broken curated layer is left out of the scorecard: {out}"
    );
    assert!(
        out.contains("\nskipped: 2 files that cannot be read; the figures above leave them out\n"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "\n  {}: not a valid annotation file",
            broken.display()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "\n  {}: not a valid annotation file: not UTF-8",
            curated.display()
        )),
        "{out}"
    );
    assert!(err.contains("2 files could not be read"), "{err}");

    let (code, json, _) = agree(ws.path().to_path_buf(), &[], &[], true);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&json).unwrap();
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0]["file"], broken.display().to_string());
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not a valid annotation file"),
        "{skipped:?}"
    );
    assert_eq!(v["pairs"].as_array().unwrap().len(), 15);
    let pair = |r: &Value, a: &str, b: &str| {
        r["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["a"] == a && p["b"] == b)
            .unwrap()["documents"]
            .as_u64()
            .unwrap()
    };
    // ben lost one document; a pair without ben lost nothing.
    assert_eq!(pair(&v, "ana", "ben") + 1, pair(&before, "ana", "ben"));
    assert_eq!(pair(&v, "ana", "cai"), pair(&before, "ana", "cai"));
}

/// Scorecard: the scorecard counted a half-reviewed document as truth. Only decided review
/// items count now: a span that overlaps an undecided item is neither right nor wrong.
#[test]
fn a_half_reviewed_document_is_scored_on_its_decided_items_only() {
    use marginalia::session::review::{Decision, Review};
    let ws = team_copy();
    std::fs::remove_dir_all(ws.path().join("annotations/curated")).unwrap();
    let workspace = Workspace::open(ws.path()).unwrap();
    let mut review = Review::open(&workspace, "texts/doc0.txt", &["ana"], "lead").unwrap();
    // Accept one item whose range no other item overlaps, and decide nothing else.
    let items = review.items().to_vec();
    let alone = (0..items.len())
        .find(|&i| {
            let marginalia::CharRange { start: s, end: e } = items[i].range();
            items.iter().enumerate().all(|(j, it)| {
                let marginalia::CharRange { start: s2, end: e2 } = it.range();
                j == i || e2 <= s || e <= s2
            })
        })
        .unwrap();
    review.decide(alone, Decision::AcceptA).unwrap();
    review.save_now().unwrap();
    assert_eq!(review.progress(), (1, items.len()));
    assert!(items.len() > 3, "{}", items.len());
    let accepted_tag = items[alone].a.as_ref().unwrap().tag.clone();

    let report = compute(&workspace, &AgreementOptions::default(), &|_, _| true).unwrap();
    let card = &report.scorecard;
    assert_eq!(card.documents, 1);
    assert_eq!((card.decided_items, card.items), (1, items.len()));
    let ana = card
        .annotators
        .iter()
        .find(|a| a.annotator == "ana")
        .unwrap();
    for t in &ana.tags {
        let e = &t.exact;
        if t.tag == accepted_tag {
            assert_eq!(
                (e.curated_spans, e.annotator_spans, e.matched),
                (1, 1, 1),
                "{t:?}"
            );
            assert_eq!(e.precision, Some(1.0));
        } else {
            assert_eq!((e.curated_spans, e.annotator_spans), (0, 0), "{t:?}");
        }
    }
    let (code, out, err) = agree(ws.path().to_path_buf(), &[], &[], false);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "\n  scored against 1 decided item of {}; undecided items are not counted\n",
            items.len()
        )),
        "{out}"
    );
    let (_, json, _) = agree(ws.path().to_path_buf(), &[], &[], true);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["scorecard"]["decided_items"], 1);
    assert_eq!(v["scorecard"]["items"], items.len());
    assert!(
        v["scorecard"]["rule"]
            .as_str()
            .unwrap()
            .starts_with("only decided review items are scored")
    );
}
