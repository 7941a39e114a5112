//! Offsets in every export are right on texts with emoji, combining marks, CJK, NBSP, CRLF and
//! a BOM: each span's stated text is checked against the text at its offsets, sliced by chars
//! (code points) exactly as Python's `str` slicing does.

mod export_support;

use export_support::*;
use marginalia::text::Text;

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
            marginalia::text::sha256_hex(&std::fs::read(root.join(rel)).unwrap()),
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
            rest = rest.trim_start_matches(marginalia::export::tokens::is_separator);
            assert!(
                rest.starts_with(tok),
                "{rel}: token {tok:?} is not next in the text"
            );
            rest = &rest[tok.len()..];
        }
        assert!(
            rest.trim_start_matches(marginalia::export::tokens::is_separator)
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
