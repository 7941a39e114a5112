//! Offsets in every export are right on texts with emoji, combining marks, CJK, NBSP, CRLF and
//! a BOM: each span's stated text is checked against the text at its offsets, sliced by chars
//! (code points) exactly as Python's `str` slicing does.

use marginalia::model::text::Text;

use crate::support::files::REPO;
use crate::support::interchange::*;
use crate::support::process::cli;

fn export(root: &std::path::Path, format: &str, out: &std::path::Path) -> String {
    let (code, _, err) = cli(&[
        "export",
        "--format",
        format,
        "--layer",
        "editor-a",
        "-o",
        p(out),
        p(root),
    ]);
    assert_eq!(code, 0, "{format}: {err}");
    err
}

fn chars_slice(chars: &[char], start: usize, end: usize) -> String {
    chars[start..end].iter().collect()
}

/// The workspace text as Marginalia (and Python on the BOM-less text) counts it.
fn text_of(root: &std::path::Path, rel: &str) -> Vec<char> {
    Text::load(&root.join(rel))
        .unwrap()
        .as_str()
        .chars()
        .collect()
}

#[test]
fn jsonl_offsets_are_code_points_and_the_bom_is_not_counted() {
    let (_d, root) = tricky_workspace();
    let out = root.parent().unwrap().join("x.jsonl");
    export(&root, "jsonl", &out);
    let mut checked = 0;
    for line in std::fs::read_to_string(&out).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let rel = v["meta"]["path"].as_str().unwrap();
        let text = v["text"].as_str().unwrap();
        assert!(
            !text.starts_with('\u{feff}'),
            "the BOM is not part of the text"
        );
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(chars, text_of(&root, rel));
        assert_eq!(
            v["meta"]["sha256"].as_str().unwrap(),
            marginalia::store::sha256_hex(&std::fs::read(root.join(rel)).unwrap()),
            "sha256 of the file as on disk, BOM included"
        );
        for s in v["spans"].as_array().unwrap() {
            let (a, b) = (
                s["start"].as_u64().unwrap() as usize,
                s["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(
                chars_slice(&chars, a, b),
                s["text"].as_str().unwrap(),
                "{rel} {a}..{b}"
            );
            checked += 1;
        }
        if rel.contains("bom") {
            // “ is char 0 once the BOM is left out, so Hello is 1..6; CRLF counts two.
            assert_eq!(v["spans"][0]["start"], 1);
            assert_eq!(v["spans"][0]["text"], "Hello");
            assert!(text.contains("\r\n"));
        }
    }
    assert_eq!(checked, spans_of(&root, "editor-a").len());
}

#[test]
fn brat_txt_is_the_exact_text_without_bom_and_fragments_fit() {
    let (_d, root) = tricky_workspace();
    let out = root.parent().unwrap().join("brat");
    export(&root, "brat", &out);
    let mut checked = 0;
    for (rel, _) in TRICKY {
        let txt = std::fs::read(out.join(rel)).unwrap();
        assert!(
            !txt.starts_with(b"\xEF\xBB\xBF"),
            "{rel}: no BOM in brat's .txt"
        );
        let txt = String::from_utf8(txt).unwrap();
        let chars: Vec<char> = txt.chars().collect();
        assert_eq!(chars, text_of(&root, rel));
        let ann = std::fs::read_to_string(out.join(rel).with_extension("ann")).unwrap();
        for line in ann.lines().filter(|l| l.starts_with('T')) {
            let f: Vec<&str> = line.split('\t').collect();
            let (_, offsets) = f[1].split_once(' ').unwrap();
            let pieces: Vec<String> = offsets
                .split(';')
                .map(|fr| {
                    let (a, b) = fr.split_once(' ').unwrap();
                    chars_slice(&chars, a.parse().unwrap(), b.parse().unwrap())
                })
                .collect();
            assert_eq!(pieces.join(" "), f[2], "{rel}: {line}");
            checked += 1;
        }
    }
    assert_eq!(checked, spans_of(&root, "editor-a").len());
    // The span from Zoë across CRLF to Café is two fragments, neither holding the line break.
    let ann = std::fs::read_to_string(out.join("texts/bom_crlf.ann")).unwrap();
    assert!(ann.contains("\tZoë 😀 on Monday. Cafe\u{301}\n"), "{ann}");
}

#[test]
fn csv_offsets_point_into_the_workspace_text() {
    let (_d, root) = tricky_workspace();
    let out = root.parent().unwrap().join("x.csv");
    export(&root, "csv", &out);
    let mut r = csv::Reader::from_path(&out).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "document",
            "annotator",
            "tag",
            "start",
            "end",
            "text",
            "note",
            "attr:speaker",
            "attr:verdict",
            "attr:source",
            "attr:kind",
            "attr:correction",
        ]
    );
    let mut n = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let chars = text_of(&root, &rec[0]);
        let (a, b): (usize, usize) = (rec[3].parse().unwrap(), rec[4].parse().unwrap());
        assert_eq!(chars_slice(&chars, a, b), &rec[5]);
        n += 1;
    }
    assert_eq!(n, spans_of(&root, "editor-a").len());
    // RFC 4180: CRLF row ends; the field with a CRLF inside is quoted and keeps it.
    let raw = std::fs::read_to_string(&out).unwrap();
    assert!(raw.starts_with(
        "document,annotator,tag,start,end,text,note,attr:speaker,attr:verdict,attr:source,attr:kind,attr:correction\r\n"
    ));
    assert!(raw.contains("\"Zoë 😀 on Monday.\r\nCafe\u{301}\""));
}

#[test]
fn w3c_selectors_agree_with_the_text() {
    let (_d, root) = tricky_workspace();
    let out = root.parent().unwrap().join("x.jsonld");
    export(&root, "w3c", &out);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["@context"], "http://www.w3.org/ns/anno.jsonld");
    assert_eq!(v["type"], "AnnotationCollection");
    let items = v["first"]["items"].as_array().unwrap();
    assert_eq!(v["total"].as_u64().unwrap() as usize, items.len());
    assert_eq!(items.len(), spans_of(&root, "editor-a").len());
    for a in items {
        let chars = text_of(&root, a["target"]["source"].as_str().unwrap());
        let sel = a["target"]["selector"].as_array().unwrap();
        let quote = sel
            .iter()
            .find(|s| s["type"] == "TextQuoteSelector")
            .unwrap();
        let pos = sel
            .iter()
            .find(|s| s["type"] == "TextPositionSelector")
            .unwrap();
        let (s, e) = (
            pos["start"].as_u64().unwrap() as usize,
            pos["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(chars_slice(&chars, s, e), quote["exact"].as_str().unwrap());
        let prefix = chars_slice(&chars, s.saturating_sub(32), s);
        let suffix = chars_slice(&chars, e, (e + 32).min(chars.len()));
        assert_eq!(quote["prefix"].as_str().unwrap(), prefix);
        assert_eq!(quote["suffix"].as_str().unwrap(), suffix);
        assert_eq!(a["body"][0]["purpose"], "tagging");
    }
}

#[test]
fn conll_tokens_are_the_text_in_order_and_tags_land_on_the_right_tokens() {
    let (_d, root) = tricky_workspace();
    let out = root.parent().unwrap().join("x.conll");
    let report = export(&root, "conll", &out);
    let conll = std::fs::read_to_string(&out).unwrap();
    let docs: Vec<&str> = conll.split("-DOCSTART- -X- O O\n").skip(1).collect();
    assert_eq!(docs.len(), TRICKY.len());
    for ((rel, _), doc) in TRICKY.iter().zip(&docs) {
        let text: String = text_of(&root, rel).into_iter().collect();
        let mut rest = text.as_str();
        for line in doc.lines().filter(|l| !l.is_empty()) {
            let (tok, tag) = line.split_once('\t').unwrap();
            assert!(
                tag == "O" || tag.starts_with("B-") || tag.starts_with("I-"),
                "{line}"
            );
            rest = rest.trim_start_matches(marginalia::interchange::export::tokens::is_separator);
            assert!(
                rest.starts_with(tok),
                "{rel}: token {tok:?} is not next in the text"
            );
            rest = &rest[tok.len()..];
        }
        assert!(
            rest.trim_start_matches(marginalia::interchange::export::tokens::is_separator)
                .is_empty()
        );
    }
    for expected in [
        "Hello\tB-quote",
        "Zoë\tB-claim",
        "😀\tI-claim",
        "東\tB-claim",
        "京\tI-claim",
        "today\tB-error",
        "👨\u{200d}👩\u{200d}👧\tB-boilerplate",
        "family\tI-boilerplate",
        "🇫🇷\tB-error",
        "n\u{303}o\tI-claim",
        "Cafe\u{301}\tI-claim",
    ] {
        assert!(
            conll.lines().any(|l| l == expected),
            "missing line {expected:?}"
        );
    }
    // The error on 😀 and the quote on Café lie inside the longer claim across the line break:
    // CoNLL keeps the longest (the default rule), drops both and says so.
    assert!(report.contains("dropped 2 overlapping spans"), "{report}");
}

// Label Studio counts offsets in UTF-16 code units (JavaScript strings): an emoji is one char
// to Marginalia and two units to Label Studio, so the two disagree after every emoji.

const LS_EXPORT: &str = "tests/fixtures/labelstudio/project-4-at-2026-11-20-09-20-export.json";
const LS_MIN: &str = "tests/fixtures/labelstudio/project-4-at-2026-11-20-09-21-min.json";

fn ls_fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(REPO).join(name)
}

fn import_ls(root: &std::path::Path, src: &std::path::Path) -> (i32, String, String) {
    cli(&[
        "import",
        "--format",
        "labelstudio",
        "--annotator",
        "fallback",
        p(src),
        p(root),
    ])
}

/// `s[a..b]` counted in UTF-16 code units.
fn utf16_slice(s: &str, a: usize, b: usize) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    String::from_utf16(&units[a..b]).unwrap()
}

#[test]
fn labelstudio_import_makes_a_layer_per_user_and_counts_what_it_leaves_out() {
    let (_d, root) = empty_workspace();
    let (code, out, err) = import_ls(&root, &ls_fixture(LS_EXPORT));
    // The fixture's span inside a surrogate pair is rejected: imported in part.
    assert_eq!(code, 3, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "imported 11 spans into 5 documents", "{out}");
    assert!(out.contains("copied 4 texts into the workspace:"), "{out}");
    assert!(out.contains("rejected 1 span:"), "{out}");
    assert!(
        out.contains(
            "task 3 (id 3), annotation 1, result 2: 4..9 (UTF-16, as Label Studio counts): UTF-16 offset 4 falls inside a surrogate pair"
        ),
        "{out}"
    );
    assert!(
        lines.contains(&"left out 1 cancelled annotation (was_cancelled: skipped in Label Studio)"),
        "{out}"
    );
    assert!(
        lines.contains(
            &"left out 1 prediction in tasks that have annotations (model output, not annotations)"
        ),
        "{out}"
    );
    assert!(
        lines.contains(&"imported 1 prediction of tasks without annotations, each as the layer of its model_version"),
        "{out}"
    );
    assert!(
        out.contains("export.json: skipped: 1 choices result"),
        "{out}"
    );
    // Its relation result links two imported regions: a relation now.
    assert!(lines.contains(&"imported 1 relation"), "{out}");
    assert!(out.contains("added 2 tags"), "{out}");
    // completed_by 10 → user-10; {"email": "ana@example.org"} → ana_example.org; the cancelled
    // annotation by user 11 makes no layer; the prediction-only task's model is a layer.
    let ws = marginalia::workspace::Workspace::open(&root).unwrap();
    assert_eq!(
        ws.layer_names(),
        ["ana_example.org", "ner-v2", "user-10"],
        "{out}"
    );
    let folder = "project-4-at-2026-11-20-09-20-export";
    let t1 = format!("{folder}/000001.txt");
    let ana: Vec<(usize, usize, String)> = spans_of(&root, "ana_example.org")
        .into_iter()
        .map(|(_, a, b, t, _)| (a, b, t))
        .collect();
    // "Fans 🎉🎉 cheered: “We won!” said Ana Pérez in Zürich": two emoji before the spans, so
    // Label Studio's 20..27 is chars 18..25, and a result with two labels is two spans.
    assert_eq!(
        ana,
        [
            (18, 25, "quote".to_owned()),
            (32, 51, "PER".to_owned()),
            (32, 51, "claim".to_owned()),
        ]
    );
    let text = std::fs::read_to_string(root.join(&t1)).unwrap();
    let chars: Vec<char> = text.chars().collect();
    assert_eq!(chars_slice(&chars, 32, 51), "Ana Pérez in Zürich");
    // The CRLF text: the span after the line break and the emoji lands on its words.
    let t2 = format!("{folder}/000002.txt");
    let crlf = std::fs::read_to_string(root.join(&t2)).unwrap();
    assert!(crlf.contains("\r\n"));
    let chars: Vec<char> = crlf.chars().collect();
    let on_t2: Vec<String> = spans_of(&root, "user-10")
        .into_iter()
        .filter(|s| s.0 == t2)
        .map(|(_, a, b, _, _)| chars_slice(&chars, a, b))
        .collect();
    assert_eq!(
        on_t2,
        [
            "Line one is plain.",
            "The mayor 👋 claimed taxes fell.",
            "taxes fell"
        ]
    );
}

#[test]
fn labelstudio_json_min_import_takes_each_record_as_one_annotators_layer() {
    let (_d, root) = empty_workspace();
    let (code, out, err) = import_ls(&root, &ls_fixture(LS_MIN));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.lines().next(),
        Some("imported 4 spans into 3 documents"),
        "{out}"
    );
    assert!(out.contains("copied 2 texts"), "{out}");
    let ws = marginalia::workspace::Workspace::open(&root).unwrap();
    assert_eq!(ws.layer_names(), ["ana_example.org", "user-10"]);
    let ana = spans_of(&root, "ana_example.org");
    assert_eq!(
        (ana[0].1, ana[0].2),
        (18, 25),
        "UTF-16 20..27 after two emoji"
    );
}

#[test]
fn labelstudio_offsets_are_read_as_utf16_or_code_points_as_value_text_says() {
    let (_d, root) = empty_workspace();
    let src = root.parent().unwrap().join("ls.json");
    // "😀 Oslo, Bergen": Oslo is 3..7 in UTF-16 (older Label Studio) and 2..6 in code points
    // (newer); "Bergen" states a text that neither reading gives; the last result has no text,
    // and its two readings differ.
    std::fs::write(
        &src,
        r#"[{"id": 5, "data": {"text": "😀 Oslo, Bergen"}, "annotations": [{"completed_by": 1,
            "result": [
              {"type": "labels", "value": {"start": 3, "end": 7, "text": "Oslo", "labels": ["LOC"]}},
              {"type": "labels", "value": {"start": 2, "end": 6, "text": "Oslo", "labels": ["PLACE"]}},
              {"type": "labels", "value": {"start": 9, "end": 15, "text": "Bergn", "labels": ["LOC"]}},
              {"type": "labels", "value": {"start": 9, "end": 15, "labels": ["LOC"]}}]}]}]"#,
    )
    .unwrap();
    let (code, out, err) = import_ls(&root, &src);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.starts_with("imported 2 spans into 1 document\n"),
        "{out}"
    );
    assert!(
        out.contains("read the offsets of 1 span as code points, not UTF-16 code units"),
        "{out}"
    );
    assert!(
        out.contains("task 1 (id 5), annotation 1, result 3: 8..14 says \"Bergn\" but the text there is \"Bergen\""),
        "{out}"
    );
    assert!(
        out.contains("result 4: 9..15 has no \"text\" to tell UTF-16 offsets from code points"),
        "{out}"
    );
    let spans: Vec<(usize, usize, String)> = spans_of(&root, "user-1")
        .into_iter()
        .map(|(_, a, b, t, _)| (a, b, t))
        .collect();
    assert_eq!(spans, [(2, 6, "LOC".into()), (2, 6, "PLACE".into())]);
}

#[test]
fn labelstudio_import_of_nothing_usable_exits_1_and_says_why() {
    let (_d, root) = empty_workspace();
    let src = root.parent().unwrap().join("ls.json");
    // An image task, and a text task whose only span starts inside the rocket's surrogate pair
    // and whose stated text neither reading gives.
    std::fs::write(
        &src,
        r#"[{"id": 1, "data": {"image": "/data/upload/1/cat.jpg"}, "annotations": []},
            {"id": 2, "data": {"text": "🚀 go"}, "annotations": [{"completed_by": 3,
             "result": [{"type": "labels", "value": {"start": 1, "end": 5, "text": "go", "labels": ["X"]}}]}]}]"#,
    )
    .unwrap();
    let (code, out, err) = import_ls(&root, &src);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("nothing imported"), "{err}");
    assert!(
        out.contains(
            "task 1 (id 1): no data.text string (it has: image); Marginalia reads text tasks"
        ),
        "{out}"
    );
    assert!(
        out.contains("task 2 (id 2), annotation 1, result 1: 1..5 (UTF-16, as Label Studio counts): UTF-16 offset 1 falls inside a surrogate pair"),
        "{out}"
    );
}

#[test]
fn labelstudio_export_offsets_are_utf16_and_slice_the_text() {
    let (_d, root) = tricky_workspace();
    let out = root.parent().unwrap().join("x.json");
    let report = export(&root, "labelstudio", &out);
    assert!(
        report.contains("<Labels name=\"label\" toName=\"text\">"),
        "{report}"
    );
    let tasks: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), TRICKY.len());
    let (mut checked, mut shifted) = (0, 0);
    for t in tasks {
        let text = t["data"]["text"].as_str().unwrap();
        let rel = t["data"]["path"].as_str().unwrap();
        let chars = text_of(&root, rel);
        assert_eq!(text.chars().collect::<Vec<_>>(), chars);
        let p = &t["predictions"][0];
        assert_eq!(p["model_version"], "editor-a");
        for r in p["result"].as_array().unwrap() {
            assert_eq!(
                (&r["from_name"], &r["to_name"], &r["type"]),
                (&"label".into(), &"text".into(), &"labels".into())
            );
            let v = &r["value"];
            let (a, b) = (
                v["start"].as_u64().unwrap() as usize,
                v["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(
                utf16_slice(text, a, b),
                v["text"].as_str().unwrap(),
                "{rel}"
            );
            assert_eq!(v["labels"].as_array().unwrap().len(), 1);
            if chars_slice(&chars, a.min(chars.len()), b.min(chars.len())) != v["text"] {
                shifted += 1;
            }
            checked += 1;
        }
    }
    assert_eq!(checked, spans_of(&root, "editor-a").len());
    assert!(
        shifted >= 3,
        "spans after an emoji have other offsets in UTF-16"
    );
}

#[test]
fn labelstudio_round_trip_gives_the_same_layers() {
    let (_d, first) = empty_workspace();
    let (code, out, err) = import_ls(&first, &ls_fixture(LS_EXPORT));
    assert_eq!(code, 3, "{out}{err}");
    let exported = first.parent().unwrap().join("ls-out.json");
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "labelstudio",
        "--all-layers",
        "-o",
        p(&exported),
        p(&first),
    ]);
    assert_eq!(code, 0, "{err}");
    let (_d2, second) = empty_workspace();
    let (code, out, err) = import_ls(&second, &exported);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.lines().next(),
        Some("imported 11 spans into 5 documents")
    );
    let names = marginalia::workspace::Workspace::open(&first)
        .unwrap()
        .layer_names();
    assert_eq!(
        names,
        marginalia::workspace::Workspace::open(&second)
            .unwrap()
            .layer_names()
    );
    for name in &names {
        assert_eq!(spans_of(&first, name), spans_of(&second, name), "{name}");
    }
}

#[test]
fn labelstudio_export_of_the_seeds_has_every_span_once() {
    let (_d, root) = seed_workspace();
    let out = root.parent().unwrap().join("seeds.json");
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "labelstudio",
        "--all-layers",
        "-o",
        p(&out),
        p(&root),
    ]);
    assert_eq!(code, 0, "{err}");
    let tasks: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let ws = marginalia::workspace::Workspace::open(&root).unwrap();
    let mut per_layer = std::collections::BTreeMap::<String, usize>::new();
    let mut paths = Vec::new();
    for t in tasks.as_array().unwrap() {
        let text = t["data"]["text"].as_str().unwrap();
        paths.push(t["data"]["path"].as_str().unwrap().to_owned());
        for p in t["predictions"].as_array().unwrap() {
            for r in p["result"].as_array().unwrap() {
                if r["type"] == "relation" {
                    continue;
                }
                let v = &r["value"];
                let (a, b) = (
                    v["start"].as_u64().unwrap() as usize,
                    v["end"].as_u64().unwrap() as usize,
                );
                assert_eq!(utf16_slice(text, a, b), v["text"].as_str().unwrap());
                *per_layer
                    .entry(p["model_version"].as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
        }
    }
    let mut sorted = paths.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(paths, sorted, "one task per text, in path order");
    assert!(!per_layer.is_empty());
    for name in ws.layer_names() {
        assert_eq!(
            per_layer.get(&name).copied().unwrap_or(0),
            spans_of(&root, &name).len(),
            "{name}"
        );
    }
}

/// For Label Studio versions that store code points, `--offsets code-points` writes
/// Marginalia's own offsets; the option is refused for any other format.
#[test]
fn labelstudio_export_can_count_code_points_instead() {
    let (_d, root) = tricky_workspace();
    let out = root.parent().unwrap().join("cp.json");
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "labelstudio",
        "--offsets",
        "code-points",
        "--layer",
        "editor-a",
        "-o",
        p(&out),
        p(&root),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("offsets are code points"), "{err}");
    let tasks: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let mut checked = 0;
    for t in tasks.as_array().unwrap() {
        let chars: Vec<char> = t["data"]["text"].as_str().unwrap().chars().collect();
        for r in t["predictions"][0]["result"].as_array().unwrap() {
            let v = &r["value"];
            let (a, b) = (
                v["start"].as_u64().unwrap() as usize,
                v["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(chars_slice(&chars, a, b), v["text"].as_str().unwrap());
            checked += 1;
        }
    }
    assert_eq!(checked, spans_of(&root, "editor-a").len());
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "jsonl",
        "--offsets",
        "utf16",
        "--layer",
        "editor-a",
        "-o",
        "-",
        p(&root),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--offsets is for --format labelstudio only"),
        "{err}"
    );
}

/// Regression: a code-point export re-imported moved "00" (inside "1000") and "!!" (inside
/// "!!!") after an emoji one character left, with exit 0 and no note, although "1000" in the
/// same task fits only code points. The reading is decided per task from all its results.
#[test]
fn labelstudio_code_point_export_round_trips_repeated_characters_after_an_emoji() {
    let (_d, root) = empty_workspace();
    std::fs::create_dir_all(root.join("news")).unwrap();
    let rel = "news/prices.txt";
    std::fs::write(root.join(rel), "Prices 😀 rose 1000 times!!! Really.\n").unwrap();
    let text = Text::load(&root.join(rel)).unwrap();
    let (a, b) = find(&text, "1000");
    let (c, d) = find(&text, "!!!");
    let want = [
        Want {
            range: (a, b),
            tag: "claim",
            note: "",
        },
        Want {
            range: (a + 2, b),
            tag: "error",
            note: "",
        },
        Want {
            range: (c, d),
            tag: "quote",
            note: "",
        },
        Want {
            range: (c + 1, d),
            tag: "error",
            note: "",
        },
    ];
    write_layer(
        &root,
        "editor-a",
        rel,
        marginalia::model::layer::Status::Done,
        &want,
    );
    let out = root.parent().unwrap().join("cp.json");
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "labelstudio",
        "--offsets",
        "code-points",
        "--layer",
        "editor-a",
        "-o",
        p(&out),
        p(&root),
    ]);
    assert_eq!(code, 0, "{err}");
    let (_d2, back) = empty_workspace();
    let (code, report, err) = import_ls(&back, &out);
    assert_eq!(code, 0, "{report}{err}");
    let key =
        |v: Vec<(String, usize, usize, String, String)>| -> Vec<(String, usize, usize, String)> {
            v.into_iter().map(|(r, a, b, t, _)| (r, a, b, t)).collect()
        };
    assert_eq!(
        key(spans_of(&back, "editor-a")),
        key(spans_of(&root, "editor-a"))
    );
    assert!(
        report.contains("read the offsets of 4 spans as code points"),
        "{report}"
    );
}

/// A task whose results disagree (one fits only UTF-16, another only code points) is read
/// result by result and said in a note.
#[test]
fn labelstudio_results_of_one_task_that_disagree_get_a_note() {
    let (_d, root) = empty_workspace();
    let src = root.parent().unwrap().join("mixed.json");
    std::fs::write(
        &src,
        r#"[{"id": 9, "data": {"text": "😀 Oslo"}, "annotations": [{"completed_by": 1, "result": [
          {"type": "labels", "value": {"start": 3, "end": 7, "text": "Oslo", "labels": ["A"]}},
          {"type": "labels", "value": {"start": 2, "end": 6, "text": "Oslo", "labels": ["B"]}}]}]}]"#,
    )
    .unwrap();
    let (code, out, err) = import_ls(&root, &src);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("task 1 (id 9): some results' value.text fits only UTF-16 offsets and others' only code points"),
        "{out}"
    );
}

/// Label Studio also writes (and reads) one task per line: such a file is recognised as Label
/// Studio and read, not refused as broken JSON.
#[test]
fn labelstudio_one_task_per_line_is_recognised_and_read() {
    let (_d, root) = empty_workspace();
    let src = root.parent().unwrap().join("tasks.json");
    std::fs::write(
        &src,
        concat!(
            r#"{"id": 1405, "data": {"text": "Ana met Bo."}, "annotations": [{"completed_by": 1, "result": [{"type": "labels", "value": {"start": 0, "end": 3, "text": "Ana", "labels": ["PER"]}}]}]}"#,
            "\n",
            r#"{"id": 1406, "data": {"text": "Bo left."}, "annotations": [{"completed_by": 1, "result": [{"type": "labels", "value": {"start": 0, "end": 2, "text": "Bo", "labels": ["PER"]}}]}]}"#,
            "\n",
        ),
    )
    .unwrap();
    let (code, out, err) = cli(&["import", "--annotator", "x", p(&src), p(&root)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("as labelstudio (recognised from its content"),
        "{out}"
    );
    assert!(
        out.starts_with("reading") && out.contains("imported 2 spans into 2 documents"),
        "{out}"
    );
    // Named `<file name>/<task id, six digits>.txt`, as the README says.
    assert!(root.join("tasks/001405.txt").is_file() && root.join("tasks/001406.txt").is_file());
}

/// A Label Studio annotation holding only HyperText results (spans on HTML, which Marginalia
/// cannot hold) makes no empty layer: its document is reported as skipped with the reason.
#[test]
fn labelstudio_hypertext_only_results_make_no_empty_layer() {
    let (_d, root) = empty_workspace();
    let src = root.parent().unwrap().join("html.json");
    let result = r#"{"type": "hypertextlabels", "value": {"start": "/p[1]/text()[1]", "end": "/p[1]/text()[1]", "startOffset": 0, "endOffset": 3, "htmllabels": ["PER"]}}"#;
    std::fs::write(
        &src,
        format!(
            r#"[{{"id": 1, "data": {{"text": "Ana met Bo."}}, "annotations": [{{"completed_by": 1, "result": [{result}, {result}]}}]}},
               {{"id": 2, "data": {{"text": "Bo left."}}, "annotations": [{{"completed_by": 1, "result": [{{"type": "labels", "value": {{"start": 0, "end": 2, "text": "Bo", "labels": ["PER"]}}}}]}}]}}]"#
        ),
    )
    .unwrap();
    let (code, out, err) = import_ls(&root, &src);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("imported 1 span into 1 document"), "{out}");
    assert!(
        out.contains("html/000001.txt (")
            && out.contains("no layer written for user-1: its 2 results are all hypertextlabels"),
        "{out}"
    );
    assert!(!root.join("annotations/user-1/html/000001.ron").exists());
    assert!(root.join("annotations/user-1/html/000002.ron").exists());
}
