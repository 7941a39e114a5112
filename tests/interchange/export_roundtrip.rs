//! Round trips: exporting the seed annotations and importing them again gives the same spans,
//! tags and notes, for every format that can carry spans (jsonl, brat, csv, w3c).

use marginalia::workspace::Workspace;

use crate::support::interchange::*;
use crate::support::process::cli;

fn tag_names(root: &std::path::Path) -> Vec<String> {
    Workspace::open(root)
        .unwrap()
        .tags()
        .tags
        .iter()
        .map(|t| t.name.clone())
        .collect()
}

/// Exports `layer` of `src` in `format`, imports it as the same annotator into `dst`, and
/// checks the spans, tags and notes are the same.
fn round_trip(src: &std::path::Path, dst: &std::path::Path, layer: &str, format: &str) {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join(format!("export.{format}"));
    let (code, _, err) = cli(&[
        "export",
        "--format",
        format,
        "--layer",
        layer,
        "-o",
        p(&out),
        p(src),
    ]);
    assert_eq!(code, 0, "export {format}: {err}");
    let (code, stdout, err) = cli(&[
        "import",
        "--format",
        format,
        "--annotator",
        layer,
        p(&out),
        p(dst),
    ]);
    assert_eq!(code, 0, "import {format}: {err}");
    assert!(!stdout.contains("rejected"), "{format}: {stdout}");
    assert!(
        !stdout.contains("added"),
        "{format} must not invent tags: {stdout}"
    );
    let before = spans_of(src, layer);
    assert!(!before.is_empty());
    assert_eq!(
        spans_of(dst, layer),
        before,
        "{format} round trip of {layer}"
    );
    assert_eq!(tag_names(dst), tag_names(src));
    let (code, out, err) = cli(&["validate", p(dst)]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn jsonl_round_trip_keeps_spans_tags_notes_and_copies_texts() {
    let (_d, src) = seed_workspace();
    for layer in ["editor-a", "editor-b"] {
        let (_e, dst) = empty_workspace();
        round_trip(&src, &dst, layer, "jsonl");
        // The texts came along, byte for byte (the seeds have no BOM).
        for (rel, ..) in spans_of(&src, layer) {
            assert_eq!(
                std::fs::read(dst.join(&rel)).unwrap(),
                std::fs::read(src.join(&rel)).unwrap()
            );
        }
    }
}

#[test]
fn brat_round_trip_keeps_spans_tags_notes() {
    let (_d, src) = seed_workspace();
    for layer in ["editor-a", "editor-b"] {
        let (_e, dst) = empty_workspace();
        round_trip(&src, &dst, layer, "brat");
    }
}

#[test]
fn csv_round_trip_uses_the_workspace_texts() {
    let (_d, src) = seed_workspace();
    for layer in ["editor-a", "editor-b"] {
        let (_e, dst) = texts_only_copy(&src);
        round_trip(&src, &dst, layer, "csv");
    }
}

#[test]
fn w3c_round_trip_uses_the_workspace_texts() {
    let (_d, src) = seed_workspace();
    for layer in ["editor-a", "editor-b"] {
        let (_e, dst) = texts_only_copy(&src);
        round_trip(&src, &dst, layer, "w3c");
    }
}

#[test]
fn round_trips_hold_on_emoji_cjk_nbsp_crlf_and_bom_texts() {
    let (_d, src) = tricky_workspace();
    for format in ["jsonl", "brat"] {
        let (_e, dst) = empty_workspace();
        round_trip(&src, &dst, "editor-a", format);
    }
    for format in ["csv", "w3c"] {
        let (_e, dst) = texts_only_copy(&src);
        round_trip(&src, &dst, "editor-a", format);
    }
}

#[test]
fn csv_import_without_the_texts_skips_and_says_why() {
    let (_d, src) = seed_workspace();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("a.csv");
    let (code, ..) = cli(&[
        "export",
        "--format",
        "csv",
        "--layer",
        "editor-a",
        "-o",
        p(&out),
        p(&src),
    ]);
    assert_eq!(code, 0);
    let (_e, dst) = empty_workspace();
    let (code, stdout, err) = cli(&[
        "import",
        "--format",
        "csv",
        "--annotator",
        "editor-a",
        p(&out),
        p(&dst),
    ]);
    // Import exit codes: nothing imported from a non-empty source is a failure.
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nothing imported"), "{err}");
    assert!(stdout.contains("imported 0 spans"), "{stdout}");
    assert!(
        stdout.contains("the text is not in the workspace"),
        "{stdout}"
    );
    assert!(spans_of(&dst, "editor-a").is_empty());
}

#[test]
fn all_layers_jsonl_names_each_annotator() {
    let (_d, src) = seed_workspace();
    let (code, out, err) = cli(&["export", "--format", "jsonl", "--all-layers", p(&src)]);
    assert_eq!(code, 0, "{err}");
    let mut seen = std::collections::BTreeMap::new();
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let who = v["meta"]["annotator"].as_str().unwrap().to_owned();
        *seen.entry(who).or_insert(0) += v["spans"].as_array().unwrap().len();
    }
    assert_eq!(
        seen.get("editor-a").copied(),
        Some(spans_of(&src, "editor-a").len())
    );
    assert_eq!(
        seen.get("editor-b").copied(),
        Some(spans_of(&src, "editor-b").len())
    );
}

/// A CoNLL file's token and tag lines, without the document and sentence breaks.
fn conll_lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.is_empty() && !l.starts_with("-DOCSTART-"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn conll_import_of_a_conll_export_gives_the_same_tokens_and_tags() {
    let (_d, src) = seed_workspace();
    for layer in ["editor-a", "editor-b"] {
        let out_dir = tempfile::tempdir().unwrap();
        let first = out_dir.path().join("seeds.conll");
        let (code, _, err) = cli(&[
            "export",
            "--format",
            "conll",
            "--layer",
            layer,
            "-o",
            p(&first),
            p(&src),
        ]);
        assert_eq!(code, 0, "{err}");
        let (_e, dst) = empty_workspace();
        let (code, stdout, err) = cli(&[
            "import",
            "--format",
            "conll",
            "--annotator",
            layer,
            p(&first),
            p(&dst),
        ]);
        assert_eq!(code, 0, "{stdout}{err}");
        assert!(!stdout.contains("rejected"), "{stdout}");
        assert!(stdout.contains("tags read as IOB2"), "{stdout}");
        let docs = std::fs::read_to_string(&first)
            .unwrap()
            .matches("-DOCSTART-")
            .count();
        assert!(
            stdout.starts_with(&format!("imported {} spans into {docs} documents\n", {
                std::fs::read_to_string(&first)
                    .unwrap()
                    .matches("\tB-")
                    .count()
            })),
            "{stdout}"
        );
        let second = out_dir.path().join("again.conll");
        let (code, _, err) = cli(&[
            "export",
            "--format",
            "conll",
            "--layer",
            layer,
            "-o",
            p(&second),
            p(&dst),
        ]);
        assert_eq!(code, 0, "{err}");
        let (a, b) = (
            conll_lines(&std::fs::read_to_string(&first).unwrap()),
            conll_lines(&std::fs::read_to_string(&second).unwrap()),
        );
        assert!(a.len() > 1000, "{layer}: {} tokens", a.len());
        if let Some(i) = a.iter().zip(&b).position(|(x, y)| x != y) {
            panic!("{layer}: line {i} differs: {:?} vs {:?}", a[i], b[i]);
        }
        assert_eq!(a.len(), b.len(), "{layer}");
    }
}

/// The text of each span, as (text without BOM, start, end, tag), sorted.
fn spans_by_text(root: &std::path::Path, layer: &str) -> Vec<(String, usize, usize, String)> {
    let mut out: Vec<_> = spans_of(root, layer)
        .into_iter()
        .map(|(rel, s, e, tag, _)| {
            let text = marginalia::model::text::Text::load(&root.join(&rel)).unwrap();
            (text.as_str().to_owned(), s, e, tag)
        })
        .collect();
    out.sort();
    out
}

/// doccano's shape carries no paths or notes, so a round trip through it keeps each text's
/// spans (code-point offsets on emoji, combining, CRLF and BOM texts) and tags; documents
/// never imported from doccano get no `id`.
#[test]
fn doccano_round_trip_keeps_each_texts_spans() {
    let (_d, src) = tricky_workspace();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("export.jsonl");
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "doccano",
        "--layer",
        "editor-a",
        "-o",
        p(&out),
        p(&src),
    ]);
    assert_eq!(code, 0, "{err}");
    for line in std::fs::read_to_string(&out).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["label", "text"], "{line}");
    }
    let (_e, dst) = empty_workspace();
    let (code, stdout, err) = cli(&[
        "import",
        "--format",
        "doccano",
        "--annotator",
        "editor-a",
        p(&out),
        p(&dst),
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(!stdout.contains("rejected"), "{stdout}");
    let before = spans_by_text(&src, "editor-a");
    assert!(!before.is_empty());
    assert_eq!(spans_by_text(&dst, "editor-a"), before);
}
