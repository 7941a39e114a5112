//! Relations through a round trip in each format that holds them: a fixture shaped like the
//! tool's own export (an NCBI-disease-style brat folder with equivalences, a Label Studio JSON
//! export with relation results, a doccano relation export) is imported, exported (compared
//! with golden files in `tests/fixtures/golden/relations/`) and imported again with the same
//! relations; W3C linking annotations come back as relations. Every report's relation count is
//! checked as the CLI prints it. Regenerate the golden files with
//! `UPDATE_GOLDEN=1 cargo test --test interchange relations_roundtrip` and review the diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use marginalia::model::relation::End;
use marginalia::workspace::Workspace;

use crate::export_golden::check;
use crate::support::files::REPO;
use crate::support::interchange::*;
use crate::support::process::cli;

fn fixture(rel: &str) -> PathBuf {
    Path::new(REPO).join("tests/fixtures").join(rel)
}

/// Every relation of `layer` as `text: type: from -> to [note] {attrs}`, an end as
/// `exact@start` (`text:exact@start#span` in another document), the text by its file name: a
/// second import may put the text in another folder.
fn relations_of(root: &Path, layer: &str) -> BTreeSet<String> {
    let ws = Workspace::open(root).unwrap();
    let mut out = BTreeSet::new();
    for (rel, path) in ws.layer_files(layer) {
        let (l, _) = marginalia::model::layer::load_layer(&path)
            .unwrap()
            .unwrap();
        let end = |e: &End| match &e.doc {
            Some(o) => format!("{}:{}@{}#{}", o.text, o.exact, o.start, e.span),
            None => {
                let s = l.span(e.span).unwrap();
                format!("{}@{}", s.exact, s.start)
            }
        };
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        for r in &l.relations {
            let mut line = format!("{name}: {}: {} -> {}", r.kind, end(&r.from), end(&r.to));
            if !r.note.is_empty() {
                line.push_str(&format!(" [{}]", r.note));
            }
            if !r.attrs.is_empty() {
                line.push_str(&format!(" {:?}", r.attrs));
            }
            out.insert(line);
        }
    }
    out
}

fn import(format: &str, src: &Path, root: &Path) -> (i32, String) {
    let (code, out, err) = cli(&[
        "import",
        "--format",
        format,
        "--annotator",
        "ann",
        p(src),
        p(root),
    ]);
    (code, format!("{out}{err}"))
}

/// Exports `layer` of `root` as `format` to `out`; returns the exit code and the report.
fn export(format: &str, layer: &str, root: &Path, out: &Path) -> (i32, String) {
    let (code, stdout, err) = cli(&[
        "export",
        "--format",
        format,
        "--layer",
        layer,
        "-o",
        p(out),
        p(root),
    ]);
    (code, format!("{stdout}{err}"))
}

fn set(lines: &[&str]) -> BTreeSet<String> {
    lines.iter().map(|l| (*l).to_owned()).collect()
}

#[test]
fn ncbi_disease_relations_and_equivalences_round_trip_through_brat() {
    let src = fixture("brat/ncbi-rel");
    let (_d, root) = empty_workspace();
    let (code, out) = import("brat", &src, &root);
    assert_eq!(code, 0, "{out}");
    // R1–R3, and the equivalences' 2 + 1 links chaining their mentions in order.
    assert!(out.contains("\nimported 6 relations\n"), "{out}");
    assert!(
        out.contains("added 3 relation types to annotations/tags.ron with generated colours: Equiv, Is_a, Co_occurs"),
        "{out}"
    );
    assert!(!out.contains("refused"), "{out}");
    // The MeSH references are normalizations, which a span cannot hold.
    assert!(
        out.contains("PMID-7700001.ann: skipped: 8 normalizations\n"),
        "{out}"
    );
    let first = relations_of(&root, "ann");
    let hnpcc = "hereditary nonpolyposis colorectal cancer";
    let hnpcc_cap = "Hereditary nonpolyposis colorectal cancer";
    assert_eq!(
        first,
        set(&[
            &format!("PMID-7700001.txt: Equiv: {hnpcc}@27 -> {hnpcc_cap}@70"),
            &format!("PMID-7700001.txt: Equiv: {hnpcc_cap}@70 -> HNPCC@113"),
            "PMID-7700001.txt: Equiv: HNPCC@159 -> Lynch syndrome@228",
            &format!(
                "PMID-7700001.txt: Is_a: {hnpcc_cap}@70 -> inherited cancer syndrome@126 [HNPCC is a cancer syndrome]"
            ),
            "PMID-7700001.txt: Co_occurs: HNPCC@159 -> endometrial cancer@186",
            "PMID-7700001.txt: Co_occurs: HNPCC@159 -> ovarian cancer@208",
        ])
    );
    let folder = root.parent().unwrap().join("brat");
    let (code, report) = export("brat", "ann", &root, &folder);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("\nexported 6 relations\n"), "{report}");
    assert!(!report.contains("left out"), "{report}");
    let ann = walk(&folder)
        .into_iter()
        .find(|f| f.extension().is_some_and(|x| x == "ann"))
        .unwrap();
    check(
        "relations/ncbi-rel/PMID-7700001.ann",
        &std::fs::read(&ann).unwrap(),
    );
    check(
        "relations/ncbi-rel/annotation.conf",
        &std::fs::read(folder.join("annotation.conf")).unwrap(),
    );
    let (_d2, again) = empty_workspace();
    let (code, out) = import("brat", &folder, &again);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\nimported 6 relations\n"), "{out}");
    assert_eq!(relations_of(&again, "ann"), first);
    // Equiv stays symmetric and Is_a goes from a disease to a class, as annotation.conf
    // declares them.
    let tags = Workspace::open(&again).unwrap().tags().clone();
    let equiv = tags.relation("Equiv").unwrap();
    assert!(equiv.symmetric && equiv.from.is_empty() && equiv.to.is_empty());
    let is_a = tags.relation("Is_a").unwrap();
    assert!(!is_a.symmetric);
    assert_eq!(
        (&is_a.from[..], &is_a.to[..]),
        (
            &["SpecificDisease".to_owned()][..],
            &["DiseaseClass".to_owned()][..]
        )
    );
}

/// `[relations]` lines as brat writes them: role names other than Arg1/Arg2, alternatives,
/// `<ENTITY>`, a `!` group name, the `<OVERLAP>` rule and a comment.
#[test]
fn annotation_conf_relation_ends_are_read_whatever_the_roles_are_called() {
    let conf = "[entities]\nA\nB\nC\n[relations]\n# a comment\n\
        Coref\tAnaphora:A|B, Antecedent:C\n\
        !Group\tArg1:A, Arg2:<ENTITY>\n\
        Equiv\tArg1:<ENTITY>, Arg2:<ENTITY>, <REL-TYPE>:symmetric-transitive\n\
        <OVERLAP>\tArg1:A, Arg2:B, <OVL-TYPE>:contain\n[events]\nEv\tTheme:A, Cause:B\n";
    let ends = marginalia::interchange::import::brat::parse_conf_relation_ends(conf);
    let v = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        ends.into_iter().collect::<Vec<_>>(),
        [
            ("Coref".to_owned(), (v(&["A", "B"]), v(&["C"]))),
            ("Equiv".to_owned(), (v(&[]), v(&[]))),
            ("Group".to_owned(), (v(&["A"]), v(&[]))),
        ]
    );
}

#[test]
fn label_studio_relation_results_round_trip() {
    let src = fixture("labelstudio/project-9-at-2026-11-24-08-45-relations.json");
    let (_d, root) = empty_workspace();
    let (code, out) = import("labelstudio", &src, &root);
    assert_eq!(code, 0, "{out}");
    // Five relation results; the one with two labels is two relations.
    assert!(out.contains("\nimported 6 relations\n"), "{out}");
    assert!(
        out.contains("added 4 relation types to annotations/tags.ron with generated colours: acquired, located_in, based_in, related"),
        "{out}"
    );
    // The layer of the user who completed the annotation, by email.
    let layer = "lea_example.org";
    let first = relations_of(&root, layer);
    let quote = "“Acme and Beta are one group now,”";
    assert_eq!(
        first,
        set(&[
            &format!("000007.txt: said-by: {quote}@47 -> Ana Pérez@2"),
            // `left`: from the to_id region to the from_id one.
            "000007.txt: acquired: Acme@17 -> Beta Ltd@29",
            "000007.txt: same-as: Acme@17 -> Acme@48",
            "000007.txt: located_in: Acme@17 -> Oslo@41",
            "000007.txt: based_in: Acme@17 -> Oslo@41",
            // No label: `related`.
            "000007.txt: related: Beta@57 -> Beta Ltd@29",
        ])
    );
    let file = root.parent().unwrap().join("ls.json");
    let (code, report) = export("labelstudio", layer, &root, &file);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("\nexported 6 relations\n"), "{report}");
    assert!(!report.contains("left out"), "{report}");
    // The labeling config the report prints lists the imported relation types.
    assert!(
        report.contains("<Relation value=\"acquired\"/>"),
        "{report}"
    );
    check("relations/labelstudio.json", &std::fs::read(&file).unwrap());
    // The export is pre-annotations: they come back as the layer named by model_version.
    let (_d2, again) = empty_workspace();
    let (code, out) = import("labelstudio", &file, &again);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\nimported 6 relations\n"), "{out}");
    assert_eq!(relations_of(&again, layer), first);
}

#[test]
fn doccano_relation_export_round_trips() {
    let src = fixture("doccano/relations.jsonl");
    let (_d, root) = empty_workspace();
    let (code, out) = import("doccano", &src, &root);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\nimported 4 relations\n"), "{out}");
    assert!(
        out.contains("added 3 relation types to annotations/tags.ron with generated colours: works_at, located_in, hired"),
        "{out}"
    );
    let first = relations_of(&root, "ann");
    let names: BTreeSet<String> = first
        .iter()
        .map(|l| l.split(':').next().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 2, "{first:?}");
    let links: BTreeSet<&str> = first
        .iter()
        .map(|l| l.split_once(": ").unwrap().1)
        .collect();
    assert_eq!(
        links,
        BTreeSet::from([
            "works_at: Zoë Lind@0 -> Acme@18",
            "located_in: Acme@18 -> Oslo@26",
            "hired: Acme@32 -> Zoë Lind@0",
            // After the emoji: code points, as doccano's files count them.
            "located_in: Acme@19 -> Oslo@4",
        ])
    );
    let file = root.parent().unwrap().join("out.jsonl");
    let (code, report) = export("doccano", "ann", &root, &file);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("\nexported 4 relations\n"), "{report}");
    check("relations/doccano.jsonl", &std::fs::read(&file).unwrap());
    let (_d2, again) = empty_workspace();
    let (code, out) = import("doccano", &file, &again);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\nimported 4 relations\n"), "{out}");
    assert_eq!(relations_of(&again, "ann"), first);
}

/// W3C linking annotations (two targets) become relations again, with their notes and
/// attribute values (and spans keep theirs), and the shipped layer's link to a span of another document keeps that
/// span's id (its span annotation's) with its range and quote.
#[test]
fn w3c_linking_annotations_import_as_relations() {
    let (_d, root) = seed_workspace();
    let all = relations_of(&root, "editor-a");
    let crossing = all
        .iter()
        .filter(|l| l.matches(".txt:").count() > 1)
        .count();
    assert!(crossing > 0 && crossing < all.len(), "{all:?}");
    let file = root.parent().unwrap().join("a.jsonld");
    let (code, report) = export("w3c", "editor-a", &root, &file);
    assert_eq!(code, 0, "{report}");
    let n = all.len();
    assert!(
        report.contains(&format!("\nexported {n} relations\n")),
        "{report}"
    );
    let (_d2, again) = texts_only_copy(&root);
    let (code, out) = import("w3c", &file, &again);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("\nimported {n} relations\n")),
        "{out}"
    );
    assert!(
        !out.contains("cannot hold") && !out.contains("refused"),
        "{out}"
    );
    assert_eq!(relations_of(&again, "ann"), all);
    // Span attribute values come back too (the export writes no `marginalia:` marker).
    let values = |root: &Path, layer: &str| {
        let ws = Workspace::open(root).unwrap();
        let mut out = BTreeSet::new();
        for (rel, path) in ws.layer_files(layer) {
            let (l, _) = marginalia::model::layer::load_layer(&path)
                .unwrap()
                .unwrap();
            for s in l.spans {
                for (k, v) in s
                    .attrs
                    .iter()
                    .filter(|(k, _)| !k.starts_with("marginalia:"))
                {
                    out.insert(format!("{rel} {}..{} {k}={v}", s.start, s.end));
                }
            }
        }
        out
    };
    let before = values(&root, "editor-a");
    assert!(!before.is_empty());
    assert_eq!(values(&again, "ann"), before);
    let (code, out, err) = cli(&["validate", p(&again)]);
    assert_eq!(code, 0, "{out}{err}");
    // Without seed 000's span annotations, no link has its ends: each is refused with why,
    // never attached to another span.
    let mut w3c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let items = w3c["first"]["items"].as_array_mut().unwrap();
    items.retain(|a| a["target"]["source"] != "seeds/000_b78fa013a4a69998.txt");
    std::fs::write(&file, w3c.to_string()).unwrap();
    let (_d3, third) = texts_only_copy(&root);
    let (code, out) = import("w3c", &file, &third);
    assert_eq!(code, 3, "{out}");
    assert!(
        !out.lines()
            .any(|l| l.starts_with("imported") && l.contains("relation")),
        "{out}"
    );
    assert!(out.contains(&format!("refused {n} relations:")), "{out}");
    assert_eq!(
        out.matches("does not follow the spans of seeds/000_b78fa013a4a69998.txt")
            .count(),
        n - crossing,
        "{out}"
    );
    assert!(
        out.contains("its to end, 579..727 of seeds/000_b78fa013a4a69998.txt, is not a span annotation of this file"),
        "{out}"
    );
    assert!(relations_of(&third, "ann").is_empty());
}

/// Every file under `dir`, recursively.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}
