//! brat import on brat's own files (`tests/fixtures/brat/`, from the brat project's example
//! data): importing and exporting again gives the same `T` lines and notes, and exactly the
//! annotations a span cannot hold are reported as skipped, per file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use marginalia::interchange::import::{ImportFormat, ImportRequest, Unsupported};

use crate::support::files::REPO;
use crate::support::interchange::*;
use crate::support::process::cli;

fn fixture(name: &str) -> PathBuf {
    Path::new(REPO).join("tests/fixtures/brat").join(name)
}

fn ann_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ann"))
        .collect();
    v.sort();
    v
}

fn import(src: &Path, root: &Path, merge: bool) -> marginalia::interchange::import::ImportSummary {
    let req = ImportRequest {
        workspace: root.to_path_buf(),
        format: ImportFormat::Brat,
        annotator: "brat-user".into(),
        source: src.to_path_buf(),
        merge,
        answers: Default::default(),
        into: None,
    };
    marginalia::interchange::import::run(&req, &|_, _| true).unwrap()
}

/// What a span cannot hold, counted straight from the file by each line's first char.
fn expected_unsupported(ann: &str) -> Unsupported {
    let mut u = Unsupported::default();
    for line in ann.lines().filter(|l| !l.is_empty()) {
        match line.as_bytes()[0] {
            // Relations and equivalences are imported (or refused, one by one).
            b'R' | b'*' => {}
            b'E' => u.events += 1,
            // Attributes on text spans are imported; those on events are not.
            b'A' | b'M' if !line.split_whitespace().nth(2).unwrap().starts_with('T') => {
                u.attributes += 1
            }
            b'A' | b'M' => {}
            b'N' => u.normalizations += 1,
            b'#' if !line
                .split('\t')
                .nth(1)
                .unwrap()
                .split(' ')
                .nth(1)
                .unwrap()
                .starts_with(['T', 'R']) =>
            {
                u.notes_on_others += 1
            }
            b'T' | b'#' => {}
            other => panic!("unexpected line kind {}", other as char),
        }
    }
    u
}

/// The links of an `.ann` as (type, from, to): `R` lines by their first two arguments, each
/// equivalence as the pairs of its neighbours in order; only those between `T` lines.
fn links(ann: &str) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for line in ann.lines() {
        let mut f = line.split('\t');
        let head = f.next().unwrap_or("");
        let words: Vec<&str> = f.next().unwrap_or("").split_whitespace().collect();
        let args: Vec<&str> = match head.chars().next() {
            Some('R') => words[1..]
                .iter()
                .map(|a| a.split_once(':').unwrap().1)
                .collect(),
            Some('*') => words[1..].to_vec(),
            _ => continue,
        };
        for pair in args.windows(2) {
            if pair.iter().all(|a| a.starts_with('T')) {
                out.insert((words[0].to_owned(), pair[0].to_owned(), pair[1].to_owned()));
            }
        }
    }
    out
}

fn t_lines(ann: &str) -> BTreeSet<String> {
    ann.lines()
        .filter(|l| l.starts_with('T'))
        .map(str::to_owned)
        .collect()
}

/// Notes on text spans as (span, note): the `#N` numbers themselves carry no meaning.
fn t_notes(ann: &str) -> BTreeSet<(String, String)> {
    ann.lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let on = f[1].strip_prefix("AnnotatorNotes ")?;
            on.starts_with('T')
                .then(|| (on.to_owned(), f.get(2).unwrap_or(&"").to_string()))
        })
        .collect()
}

fn brat_round_trip(name: &str) {
    let src = fixture(name);
    let (_d, root) = empty_workspace();
    let summary = import(&src, &root, false);
    // Every T line imported, nothing rejected.
    let mut expected_spans = 0;
    let mut expected_skips = Vec::new();
    for ann in ann_files(&src) {
        let content = std::fs::read_to_string(&ann).unwrap();
        expected_spans += t_lines(&content).len();
        let u = expected_unsupported(&content);
        if u.total() > 0 {
            expected_skips.push((ann.display().to_string(), u));
        }
    }
    assert!(
        summary.rejected_spans.is_empty(),
        "{:?}",
        summary.rejected_spans
    );
    assert_eq!(summary.spans, expected_spans);
    let expected_links: usize = ann_files(&src)
        .iter()
        .map(|a| links(&std::fs::read_to_string(a).unwrap()).len())
        .sum();
    assert_eq!(
        summary.relations, expected_links,
        "{:?}",
        summary.rejected_relations
    );
    assert_eq!(summary.documents, ann_files(&src).len());
    assert_eq!(
        summary.unsupported, expected_skips,
        "skipped annotations, per file"
    );
    // Export again as brat: the same T lines and notes, the same texts.
    let out = root.parent().unwrap().join("out");
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "brat",
        "--layer",
        "brat-user",
        "-o",
        p(&out),
        p(&root),
    ]);
    assert_eq!(code, 0, "{err}");
    for ann in ann_files(&src) {
        let file = ann.file_name().unwrap();
        let original = std::fs::read_to_string(&ann).unwrap();
        let again = std::fs::read_to_string(out.join(file)).unwrap();
        assert_eq!(t_lines(&again), t_lines(&original), "{}", ann.display());
        assert_eq!(t_notes(&again), t_notes(&original), "{}", ann.display());
        assert_eq!(links(&again), links(&original), "{}", ann.display());
        assert_eq!(
            std::fs::read(out.join(file).with_extension("txt")).unwrap(),
            std::fs::read(ann.with_extension("txt")).unwrap()
        );
    }
}

#[test]
fn brat_tutorial_round_trip_keeps_t_lines_and_notes_and_reports_every_skip() {
    brat_round_trip("news");
}

#[test]
fn conll2002_news_round_trip_keeps_t_lines() {
    brat_round_trip("conll2002-esp");
}

#[test]
fn the_cli_reports_skips_per_file_and_the_tags_it_added() {
    let (_d, root) = empty_workspace();
    let src = fixture("news");
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "brat",
        "--annotator",
        "ann",
        p(&src),
        p(&root),
    ]);
    assert_eq!(code, 0, "{err}");
    let intro = src.join("000-introduction.ann");
    assert!(
        out.contains(&format!(
            "{}: skipped: 1 event, 1 attribute, 1 normalization",
            intro.display()
        )),
        "{out}"
    );
    // Relations and equivalences are relations now; notes on events are still counted.
    assert!(out.contains("\nimported 11 relations\n"), "{out}");
    assert!(
        out.contains("added 5 relation types to annotations/tags.ron with generated colours: Origin, Family, Alias, Located, Employment"),
        "{out}"
    );
    assert!(!out.contains("notes on relations"), "{out}");
    assert!(!out.contains("refused"), "{out}");
    // Attributes on text spans are values now: A lines on T, typed by annotation.conf.
    assert!(out.contains("imported 5 attribute values"), "{out}");
    // New tags: in tags.ron, after the defaults, and the user is told.
    let tags = std::fs::read_to_string(root.join("annotations/tags.ron")).unwrap();
    for t in [
        "quote",
        "boilerplate",
        "Person",
        "Organization",
        "GPE",
        "Money",
    ] {
        assert!(tags.contains(&format!("name: \"{t}\"")), "{t} in {tags}");
    }
    assert!(
        out.contains("added 7 tags to annotations/tags.ron"),
        "{out}"
    );
    let (code, v, e) = cli(&["validate", p(&root)]);
    assert_eq!(code, 0, "{v}{e}");
}

#[test]
fn offsets_that_do_not_match_are_reported_with_their_line_and_not_imported() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.txt"), "Hello world.\nSecond line here.\n").unwrap();
    std::fs::write(
        src.join("a.ann"),
        "T1\tquote 0 5\tHello\nT2\tquote 1 6\tHello\nT3\tclaim 13 40\tSecond\nT4\tclaim 6 11;13 19\tworld Second\n#1\tAnnotatorNotes T1\ttwo\\nlines\n",
    )
    .unwrap();
    let (_d, root) = empty_workspace();
    let s = import(&src, &root, false);
    let shown = src.join("a.ann").display().to_string();
    assert_eq!(s.spans, 2);
    assert_eq!(s.rejected_spans.len(), 2, "{:?}", s.rejected_spans);
    assert!(
        s.rejected_spans[0].starts_with(&format!("{shown}:2: ")),
        "{:?}",
        s.rejected_spans
    );
    assert!(s.rejected_spans[0].contains("\"ello \""));
    assert!(s.rejected_spans[1].starts_with(&format!("{shown}:3: ")));
    assert!(s.rejected_spans[1].contains("outside the text"));
    // The discontinuous T4 becomes one span from its first start to its last end.
    assert_eq!(s.joined_fragments, 1);
    let spans = spans_of(&root, "brat-user");
    assert_eq!(
        spans,
        vec![
            ("a.txt".into(), 0, 5, "quote".into(), "two\nlines".into()),
            ("a.txt".into(), 6, 19, "claim".into(), String::new()),
        ]
    );
}

#[test]
fn an_existing_layer_is_never_overwritten_and_merge_skips_duplicates() {
    let (_d, root) = empty_workspace();
    let src = fixture("conll2002-esp");
    let first = import(&src, &root, false);
    let layer_file = root.join("annotations/brat-user/esp.train-doc-100.ron");
    let before = std::fs::read(&layer_file).unwrap();
    // Again without merge: every document skipped and said so, nothing rewritten.
    let again = import(&src, &root, false);
    assert_eq!(again.documents, 0);
    assert_eq!(again.skipped_documents.len(), first.documents);
    assert!(again.skipped_documents[0].contains("use --merge"));
    assert_eq!(std::fs::read(&layer_file).unwrap(), before);
    // With merge: everything is a duplicate.
    let merged = import(&src, &root, true);
    assert_eq!((merged.spans, merged.duplicates), (0, first.spans));
    // A new span in a changed copy is merged in, keeping the old ones.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("esp");
    std::fs::create_dir_all(&copy).unwrap();
    for ext in ["txt", "ann"] {
        std::fs::copy(
            src.join(format!("esp.train-doc-100.{ext}")),
            copy.join(format!("esp.train-doc-100.{ext}")),
        )
        .unwrap();
    }
    let mut ann = std::fs::read_to_string(copy.join("esp.train-doc-100.ann")).unwrap();
    ann.push_str("T999\tquote 0 3\tPor\n");
    std::fs::write(copy.join("esp.train-doc-100.ann"), ann).unwrap();
    let before_spans = spans_of(&root, "brat-user").len();
    let m = import(&copy, &root, true);
    assert_eq!((m.spans, m.merged), (1, 1));
    assert_eq!(spans_of(&root, "brat-user").len(), before_spans + 1);
}

#[test]
fn a_text_that_differs_from_the_workspace_copy_is_skipped() {
    let (_d, root) = empty_workspace();
    std::fs::write(root.join("a.txt"), "Different text.").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "Hello world.").unwrap();
    std::fs::write(dir.path().join("a.ann"), "T1\tquote 0 5\tHello\n").unwrap();
    let s = import(dir.path(), &root, false);
    assert_eq!(s.documents, 0);
    assert!(
        s.skipped_documents[0].contains("different a.txt"),
        "{:?}",
        s.skipped_documents
    );
    assert_eq!(
        std::fs::read_to_string(root.join("a.txt")).unwrap(),
        "Different text."
    );
}

#[test]
fn brat_files_whose_paths_the_workspace_would_not_list_are_refused_and_the_rest_imported() {
    let (_d, root) = empty_workspace();
    let src = tempfile::tempdir().unwrap();
    for (rel, ann) in [
        ("target/a", "T1\tquote 0 5\tHello\n"),
        ("annotations/editor-a/b", "T1\tquote 0 5\tHello\n"),
        ("news/c", "T1\tquote 0 5\tHello\n"),
        // An .ann that is not UTF-8 stops only its own document.
        ("news/d", "T1\tquote 0 5\tHello \u{0}"),
    ] {
        let base = src.path().join(rel);
        std::fs::create_dir_all(base.parent().unwrap()).unwrap();
        std::fs::write(base.with_extension("txt"), "Hello world").unwrap();
        std::fs::write(base.with_extension("ann"), ann).unwrap();
    }
    std::fs::write(src.path().join("news/d.ann"), b"T1\tquote 0 5\t\xff\n").unwrap();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "brat",
        "--annotator",
        "ann",
        p(src.path()),
        p(&root),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("refused 2 documents:"), "{out}{err}");
    assert!(
        out.contains("target/ folder") && out.contains("under annotations/"),
        "{out}"
    );
    assert!(out.contains("d.ann: cannot read: not UTF-8"), "{out}");
    assert!(root.join("annotations/ann/news/c.ron").is_file());
    assert!(!root.join("target").exists());
    assert!(!root.join("annotations/editor-a").exists());
}

/// A span's start, end, tag and attributes (markers left out).
type SpanValues = (usize, usize, String, Vec<(String, String)>);

/// Each span of a layer with its values, sorted.
fn spans_with_attrs(root: &Path, layer: &str, rel: &str) -> Vec<SpanValues> {
    let path = root
        .join("annotations")
        .join(layer)
        .join(rel.replace(".txt", ".ron"));
    let (l, _) = marginalia::model::layer::load_layer(&path)
        .unwrap()
        .unwrap();
    let mut v: Vec<_> = l
        .spans
        .iter()
        .map(|s| {
            let attrs = s
                .attrs
                .iter()
                .filter(|(k, _)| !marginalia::model::tags::is_reserved(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (s.start, s.end, s.tag.clone(), attrs)
        })
        .collect();
    v.sort();
    v
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
}

#[test]
fn brat_attributes_modifiers_and_typed_notes_become_attrs_and_the_schema_comes_from_the_conf() {
    let src = fixture("ncbi-attrs");
    let (_d, root) = empty_workspace();
    let summary = import(&src, &root, false);
    assert!(
        summary.rejected_spans.is_empty(),
        "{:?}",
        summary.rejected_spans
    );
    assert_eq!(summary.spans, 3);
    assert_eq!(summary.attribute_values, 4);
    let report = summary.report(20).join("\n");
    assert!(report.contains("imported 4 attribute values"), "{report}");
    assert!(
        report.contains("added 5 attributes to annotations/tags.ron: SpecificDisease.Negated, SpecificDisease.Certainty, SpecificDisease.MeSH, DiseaseClass.Negated, DiseaseClass.Certainty"),
        "{report}"
    );
    assert_eq!(
        spans_with_attrs(&root, "brat-user", "PMID-0001.txt"),
        [
            (
                52,
                74,
                "SpecificDisease".to_owned(),
                pairs(&[("Certainty", "Probable cause"), ("MeSH", "D001943")])
            ),
            (
                91,
                105,
                "SpecificDisease".to_owned(),
                pairs(&[("Certainty", "Unlikely"), ("Negated", "true")])
            ),
            (132, 150, "DiseaseClass".to_owned(), vec![]),
        ]
    );
    // The schema: Certainty a choice (values read back), Negated a flag, MeSH text.
    let ws = marginalia::Workspace::open(&root).unwrap();
    let sd = ws.tags().get("SpecificDisease").unwrap();
    use marginalia::model::tags::AttrKind;
    assert_eq!(
        sd.attribute("Certainty").unwrap().kind,
        AttrKind::Choice(vec![
            "Certain".into(),
            "Probable cause".into(),
            "Unlikely".into()
        ])
    );
    assert_eq!(sd.attribute("Negated").unwrap().kind, AttrKind::Flag);
    assert_eq!(sd.attribute("MeSH").unwrap().kind, AttrKind::Text);
    // The note keeps brat's own note type.
    let (code, out, _) = cli(&["validate", p(&root)]);
    assert_eq!(code, 0, "{out}");

    // Export and import again: the same spans with the same values, and the same A lines.
    let out_dir = root.parent().unwrap().join("again");
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "brat",
        "--layer",
        "brat-user",
        "-o",
        p(&out_dir),
        p(&root),
    ]);
    assert_eq!(code, 0, "{err}");
    let ann = std::fs::read_to_string(out_dir.join("PMID-0001.ann")).unwrap();
    for line in [
        "Certainty T1 Probable_cause",
        "Negated T2",
        "Certainty T2 Unlikely",
    ] {
        assert!(ann.contains(line), "{line:?} in\n{ann}");
    }
    assert!(ann.contains("\tMeSH T1\tD001943\n"), "{ann}");
    let conf = std::fs::read_to_string(out_dir.join("annotation.conf")).unwrap();
    assert!(
        conf.contains(
            "Certainty\tArg:SpecificDisease|DiseaseClass, Value:Certain|Probable_cause|Unlikely\n"
        ),
        "{conf}"
    );
    let (_d2, root2) = empty_workspace();
    import(&out_dir, &root2, false);
    assert_eq!(
        spans_with_attrs(&root2, "brat-user", "PMID-0001.txt"),
        spans_with_attrs(&root, "brat-user", "PMID-0001.txt")
    );
}

#[test]
fn marginalia_attributes_survive_a_brat_round_trip() {
    // The shipped layers carry speakers, verdicts ("mostly true"), kinds shared by two tags and
    // corrections.
    let (_d, root) = seed_workspace();
    let out_dir = root.parent().unwrap().join("brat");
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "brat",
        "--layer",
        "editor-a",
        "-o",
        p(&out_dir),
        p(&root),
    ]);
    assert_eq!(code, 0, "{err}");
    let (_d2, root2) = empty_workspace();
    let summary = import(&out_dir, &root2, false);
    assert!(
        summary.attributes_added.is_empty(),
        "{:?}",
        summary.attributes_added
    );
    let mut values = 0;
    for rel in [
        "seeds/000_b78fa013a4a69998.txt",
        "seeds/002_c14de4e8ffe1b554.txt",
    ] {
        let want = spans_with_attrs(&root, "editor-a", rel);
        values += want.iter().map(|s| s.3.len()).sum::<usize>();
        assert_eq!(spans_with_attrs(&root2, "brat-user", rel), want, "{rel}");
    }
    assert!(values > 10, "the shipped layers should carry values");
}

/// Duplicates: repeats are merged into one span and counted by kind, per document and in all;
/// a repeat's note and attributes join the span kept.
#[test]
fn duplicate_annotations_are_counted_by_kind_per_document_and_in_total() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let text = "Aspirin lowers fever and aspirin lowers pain.\r\nOne more 🙂 line.\n";
    std::fs::write(src.join("a.txt"), text).unwrap();
    // T1/T2 identical, each the trigger of its own event (DiMB-RE's shape); T3, T4 and T5 are
    // distinct discontinuous annotations that all join onto 8..23; A1 is on the repeat T2.
    std::fs::write(
        src.join("a.ann"),
        "T1\tDrug 0 7\tAspirin\nT2\tDrug 0 7\tAspirin\nE1\tDrug:T1\nE2\tDrug:T2\n\
         A1\tNegated T2\n\
         T3\tEffect 8 14;15 24\tlowers fever and\nT4\tEffect 8 9;23 24\tl d\nT5\tEffect 8 24\tlowers fever and\n\
         #1\tAnnotatorNotes T2\tsecond mention\n",
    )
    .unwrap();
    std::fs::write(src.join("b.txt"), "Plain.\n").unwrap();
    std::fs::write(src.join("b.ann"), "T1\tquote 0 5\tPlain\n").unwrap();
    let (_d, root) = empty_workspace();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "brat",
        "--annotator",
        "ann",
        p(&src),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 3 spans into 2 documents"), "{out}");
    assert!(
        out.contains(
            "left out 3 duplicate annotations (same range and tag as a span kept): 1 identical to another in the document, 2 discontinuous, joined onto the range of another"
        ),
        "{out}"
    );
    let shown = src.join("a.ann").display().to_string();
    assert!(
        out.contains(&format!(
            "  a.txt ({shown}): 1 identical to another in the document, 2 discontinuous"
        )),
        "{out}"
    );
    // The repeat's note and attribute are on the span kept.
    let (layer, _) = marginalia::model::layer::load_layer(&root.join("annotations/ann/a.ron"))
        .unwrap()
        .unwrap();
    let aspirin = layer.spans.iter().find(|s| s.tag == "Drug").unwrap();
    assert_eq!(aspirin.note, "second mention");
    assert_eq!(
        aspirin.attrs.get("Negated").map(String::as_str),
        Some("true")
    );
    // Merging the same folder again: every span is already in the layer, per document.
    let (code, out, _) = cli(&[
        "import",
        "--format",
        "brat",
        "--annotator",
        "ann",
        "--merge",
        p(&src),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "left out 6 duplicate annotations (same range and tag as a span kept): 6 already in the layer"
        ),
        "{out}"
    );
    let b = src.join("b.ann").display().to_string();
    assert!(
        out.contains(&format!("  a.txt ({shown}): 5 already in the layer")),
        "{out}"
    );
    assert!(
        out.contains(&format!("  b.txt ({b}): 1 already in the layer")),
        "{out}"
    );
}

/// Regression: `A1 verdict T1 maybe` (not one of the conf's values) and the flag form
/// `A2 kind T2` of a choice were written as they were (exit 0, `kind: "true"`), and `validate`
/// then failed. Each is refused with its reason, the spans are imported, and the layer passes
/// `validate`.
#[test]
fn brat_attribute_values_outside_the_schema_are_refused_and_the_layer_validates() {
    let (_d, root) = empty_workspace();
    let src = tempfile::tempdir().unwrap();
    std::fs::write(
        src.path().join("annotation.conf"),
        "[entities]\nfinding\n[relations]\n[events]\n[attributes]\nverdict\tArg:finding, Value:yes|no\nkind\tArg:finding, Value:fact|opinion\n",
    )
    .unwrap();
    std::fs::write(src.path().join("a.txt"), "Taxes rose. Prices fell.").unwrap();
    std::fs::write(
        src.path().join("a.ann"),
        "T1\tfinding 0 11\tTaxes rose.\nT2\tfinding 12 24\tPrices fell.\nA1\tverdict T1 maybe\nA2\tkind T2\nA3\tverdict T2 no\n",
    )
    .unwrap();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "brat",
        "--annotator",
        "ann",
        "--json",
        p(src.path()),
        p(&root),
    ]);
    assert_eq!(code, 3, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["spans_imported"], 2);
    assert_eq!(v["attribute_values"], 1);
    let refused: Vec<&str> = v["attribute_values_refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    // The place named is the span's own line, and the message says so.
    assert!(refused[0].starts_with("the span at "), "{refused:?}");
    assert!(
        refused[0].contains("\"verdict\" has value \"maybe\", not one of yes, no"),
        "{refused:?}"
    );
    assert!(
        refused[1].contains("\"kind\" has value \"true\", not one of fact, opinion"),
        "{refused:?}"
    );
    assert_eq!(
        spans_with_attrs(&root, "ann", "a.txt"),
        [
            (0, 11, "finding".to_owned(), vec![]),
            (12, 24, "finding".to_owned(), pairs(&[("verdict", "no")])),
        ]
    );
    let (code, out, err) = cli(&["validate", p(&root)]);
    assert_eq!(code, 0, "{out}{err}");
}

/// Regression: into a workspace whose workspace.ron lists text folders, a plain brat folder
/// was refused ("refused path … the others were imported" when none were). Texts now go under
/// the first text folder, or the one --into names; a folder the workspace does not list is a
/// bad command line that says which folders it lists.
#[test]
fn brat_import_into_a_workspace_with_text_folders_goes_into_a_text_folder() {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("a.txt"), "Hello world").unwrap();
    std::fs::write(src.path().join("a.ann"), "T1\tquote 0 5\tHello\n").unwrap();
    let (_d, root) = empty_workspace();
    std::fs::write(
        root.join("annotations/workspace.ron"),
        "(texts: [\"texts\", \"more\"])\n",
    )
    .unwrap();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "brat",
        "--annotator",
        "ann",
        p(src.path()),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("copied 1 text into the workspace:\n  texts/a.txt\n"),
        "{out}"
    );
    assert!(out.contains("1 document outside the text folders of workspace.ron put under texts/ (--into chooses the folder)"), "{out}");
    assert!(root.join("annotations/ann/texts/a.ron").is_file());
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "brat",
        "--annotator",
        "ann",
        "--into",
        "more/",
        p(src.path()),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(root.join("more/a.txt").is_file() && root.join("annotations/ann/more/a.ron").is_file());
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "brat",
        "--annotator",
        "ann",
        "--into",
        "elsewhere",
        p(src.path()),
        p(&root),
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("--into elsewhere: the workspace would not list texts there")
            && err.contains("its text folders (workspace.ron): texts, more"),
        "{err}"
    );
    assert!(!root.join("elsewhere").exists());
}

/// A BioNLP-ST-style document: role names other than Arg1/Arg2, an equivalence of three
/// mentions, a note on a relation, and a relation to an event, which is refused by name.
#[test]
fn bionlp_relations_and_equivalences_round_trip_and_a_link_to_an_event_is_refused() {
    brat_round_trip("bionlp-rel");
    let (_d, root) = empty_workspace();
    let src = fixture("bionlp-rel");
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "brat",
        "--annotator",
        "ann",
        p(&src),
        p(&root),
    ]);
    assert_eq!(code, 3, "{out}{err}");
    // R1, R2 and the equivalence's two links; R3 names an event.
    assert!(out.contains("\nimported 4 relations\n"), "{out}");
    let ann = src.join("PMID-9001.ann");
    assert!(
        out.contains(&format!(
            "refused 1 relation:\n  {}:10: Regulation relation: its second argument E1 is an event, which Marginalia cannot hold",
            ann.display()
        )),
        "{out}"
    );
    let tags = std::fs::read_to_string(root.join("annotations/tags.ron")).unwrap();
    let set: marginalia::model::tags::TagSet = ron::from_str(&tags).unwrap();
    assert!(set.relation("Equiv").unwrap().symmetric);
    assert!(!set.relation("Binding").unwrap().symmetric);
    let layer = std::fs::read_to_string(root.join("annotations/ann/PMID-9001.ron")).unwrap();
    let layer = marginalia::model::layer::Layer::from_ron(&layer).unwrap();
    let binding = layer
        .relations
        .iter()
        .find(|r| r.kind == "Binding")
        .unwrap();
    assert_eq!((binding.from.span, binding.to.span), (4, 5));
    assert_eq!(binding.note, "direct binding");
}
