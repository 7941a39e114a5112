//! `marginalia export` as a user runs it: filters, overlap rules, determinism, errors, cancel,
//! and stale layers.

use std::path::Path;

use clap::Parser;
use marginalia::interchange::export::{ExportFormat, ExportRequest, Layers};

use crate::support::files::REPO;
use crate::support::interchange::*;
use crate::support::process::cli;

fn all_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn the_same_workspace_exports_the_same_bytes() {
    let (_d, root) = seed_workspace();
    let out = root.parent().unwrap();
    for format in ["jsonl", "conll", "csv", "w3c"] {
        let (a, b) = (
            out.join(format!("a.{format}")),
            out.join(format!("b.{format}")),
        );
        for f in [&a, &b] {
            let (code, _, err) = cli(&[
                "export",
                "--format",
                format,
                "--all-layers",
                "-o",
                p(f),
                p(&root),
            ]);
            assert_eq!(code, 0, "{err}");
        }
        assert_eq!(
            std::fs::read(&a).unwrap(),
            std::fs::read(&b).unwrap(),
            "{format}"
        );
        // And stdout gives the same bytes as the file.
        let (_, stdout, _) = cli(&["export", "--format", format, "--all-layers", p(&root)]);
        assert_eq!(
            stdout.as_bytes(),
            std::fs::read(&a).unwrap(),
            "{format} on stdout"
        );
    }
    let (a, b) = (out.join("brat-a"), out.join("brat-b"));
    for f in [&a, &b] {
        let (code, _, err) = cli(&[
            "export",
            "--format",
            "brat",
            "--all-layers",
            "-o",
            p(f),
            p(&root),
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let strip = |v: Vec<(String, Vec<u8>)>, base: &Path| {
        v.into_iter()
            .map(|(n, c)| (n.replacen(&base.display().to_string(), "", 1), c))
            .collect::<Vec<_>>()
    };
    let files_a = strip(all_files(&a), &a);
    assert_eq!(files_a, strip(all_files(&b), &b));
    // --all-layers puts each annotator in a sub-folder.
    assert!(
        files_a
            .iter()
            .any(|(n, _)| n.starts_with("/editor-a/seeds/"))
    );
    assert!(
        files_a
            .iter()
            .any(|(n, _)| n.starts_with("/editor-b/seeds/"))
    );
}

#[test]
fn tags_and_status_filter_what_is_exported() {
    let (_d, root) = seed_workspace();
    let (code, out, err) = cli(&[
        "export",
        "--format",
        "csv",
        "--layer",
        "editor-a",
        "--tags",
        "error,quote",
        p(&root),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let tags: Vec<String> = r.records().map(|r| r.unwrap()[2].to_owned()).collect();
    let expected = spans_of(&root, "editor-a")
        .into_iter()
        .filter(|s| s.3 == "error" || s.3 == "quote")
        .count();
    assert_eq!(tags.len(), expected);
    assert!(tags.iter().all(|t| t == "error" || t == "quote"));

    let (code, out, _) = cli(&[
        "export",
        "--format",
        "jsonl",
        "--layer",
        "editor-a",
        "--status",
        "done",
        p(&root),
    ]);
    assert_eq!(code, 0);
    let ws = marginalia::Workspace::open(&root).unwrap();
    let done = ws
        .layer_files("editor-a")
        .into_iter()
        .filter(|(_, path)| {
            marginalia::model::layer::load_layer(path)
                .unwrap()
                .unwrap()
                .0
                .status
                == marginalia::Status::Done
        })
        .count();
    assert!(done > 0);
    assert_eq!(out.lines().count(), done);
    assert!(out.lines().all(|l| l.contains("\"status\":\"done\"")));
}

#[test]
fn overlap_rules_choose_report_or_refuse() {
    let (_d, root) = tricky_workspace();
    let (code, out, err) = cli(&[
        "export",
        "--format",
        "conll",
        "--layer",
        "editor-a",
        "--overlap",
        "first",
        p(&root),
    ]);
    assert_eq!(code, 0, "{err}");
    // First: the error on 😀 (it starts after Zoë's claim) is dropped, so is the quote on Café.
    assert!(err.contains("dropped 2 overlapping spans"), "{err}");
    assert!(out.lines().any(|l| l == "Zoë\tB-claim"));
    let (code, out, err) = cli(&[
        "export",
        "--format",
        "conll",
        "--layer",
        "editor-a",
        "--overlap",
        "error",
        p(&root),
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("texts/bom_crlf.txt (editor-a): spans 3 and 2 overlap"),
        "{err}"
    );
}

#[test]
fn a_span_boundary_inside_a_token_is_reported() {
    let (_d, root) = empty_workspace();
    std::fs::write(root.join("a.txt"), "Unbelievable news today.").unwrap();
    write_layer(
        &root,
        "editor-a",
        "a.txt",
        marginalia::Status::Done,
        &[Want {
            range: (2, 12),
            tag: "claim",
            note: "",
        }],
    );
    let (code, out, err) = cli(&[
        "export",
        "--format",
        "conll",
        "--layer",
        "editor-a",
        p(&root),
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("Unbelievable\tB-claim\n"), "{out}");
    assert!(
        err.contains("span 1 (claim) starts inside the token \"Unbelievable\" at 0..12"),
        "{err}"
    );
}

#[test]
fn bad_requests_get_one_clear_error() {
    let (_d, root) = seed_workspace();
    let (code, _, err) = cli(&["export", "--format", "jsonl", "--layer", "nobody", p(&root)]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no layer named \"nobody\"") && err.contains("editor-a, editor-b"),
        "{err}"
    );
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "jsonl",
        "--layer",
        "editor-a",
        "--tags",
        "rumour",
        p(&root),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown tag \"rumour\""), "{err}");
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "brat",
        "--layer",
        "editor-a",
        p(&root),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("brat writes a folder"), "{err}");
    // Neither --layer nor --all-layers: clap refuses.
    assert!(
        marginalia::cli::Cli::try_parse_from(["marginalia", "export", "--format", "csv"]).is_err()
    );
    assert!(
        marginalia::cli::Cli::try_parse_from([
            "marginalia",
            "export",
            "--format",
            "xml",
            "--all-layers"
        ])
        .is_err()
    );
}

#[test]
fn a_cancelled_export_leaves_no_file_and_reports_progress() {
    let (_d, root) = seed_workspace();
    let out = root.parent().unwrap().join("x.jsonl");
    let req = ExportRequest::new(&root, ExportFormat::Jsonl, Layers::All, &out);
    let seen = std::cell::RefCell::new(Vec::new());
    let err = marginalia::interchange::export::run(&req, &|done, total| {
        seen.borrow_mut().push((done, total));
        done < 2
    })
    .unwrap_err();
    assert!(matches!(
        err,
        marginalia::interchange::export::ExportError::Cancelled
    ));
    assert!(!out.exists());
    assert_eq!(*seen.borrow(), [(0, 5), (1, 5), (2, 5)]);
    // Not cancelled: progress ends at (total, total) and the file is there.
    let last = std::cell::Cell::new((0, 0));
    let summary = marginalia::interchange::export::run(&req, &|d, t| {
        last.set((d, t));
        true
    })
    .unwrap();
    assert_eq!(last.get(), (5, 5));
    assert!(out.exists());
    assert_eq!(
        summary.spans,
        spans_of(&root, "editor-a").len() + spans_of(&root, "editor-b").len()
    );
}

#[test]
fn a_stale_layer_is_skipped_and_reported_not_exported_with_wrong_offsets() {
    let (_d, root) = seed_workspace();
    let rel = "seeds/000_b78fa013a4a69998.txt";
    let mut text = std::fs::read_to_string(root.join(rel)).unwrap();
    text.insert_str(0, "Inserted. ");
    std::fs::write(root.join(rel), text).unwrap();
    let (code, out, err) = cli(&[
        "export",
        "--format",
        "jsonl",
        "--layer",
        "editor-a",
        p(&root),
    ]);
    // The others are exported, but a document left out is a failure the exit code shows.
    assert_eq!(code, 1);
    assert!(err.contains("stale"), "{err}");
    // No record of it (a relation of another text may still name it as its other end).
    assert!(
        !out.contains(&format!("\"path\":\"{rel}\",\"sha256\"")),
        "{out}"
    );
}

/// What `-o` points at, for checking it survived: its type and, for files, its bytes.
fn snapshot(path: &Path) -> (String, Option<Vec<u8>>) {
    let meta = std::fs::symlink_metadata(path).unwrap();
    (
        format!("{:?}", meta.file_type()),
        meta.is_file().then(|| std::fs::read(path).unwrap()),
    )
}

#[test]
fn export_refuses_to_write_over_annotations_texts_devices_and_links() {
    let (_d, root) = seed_workspace();
    let outside = root.parent().unwrap();
    let layer = root.join("annotations/editor-a/seeds/000_b78fa013a4a69998.ron");
    let text = root.join("seeds/000_b78fa013a4a69998.txt");
    let config = root.join("annotations/workspace.ron");
    let fifo = outside.join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let target = outside.join("real.jsonl");
    std::fs::write(&target, "keep me\n").unwrap();
    let link = outside.join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let cases: [(&Path, &str); 5] = [
        (&layer, "annotations folder"),
        (&config, "annotations folder"),
        (
            &text,
            "is the workspace text seeds/000_b78fa013a4a69998.txt",
        ),
        (&fifo, "is not a regular file"),
        (&link, "is a symbolic link"),
    ];
    for (out, why) in cases {
        let before = snapshot(out);
        let (code, _, err) = cli(&[
            "export",
            "--format",
            "jsonl",
            "--layer",
            "editor-a",
            "-o",
            p(out),
            p(&root),
        ]);
        assert_eq!(code, 1, "{}: {err}", out.display());
        assert!(
            err.starts_with(&format!("error: {}: ", out.display())) && err.contains(why),
            "{err}"
        );
        assert_eq!(snapshot(out), before, "{} is untouched", out.display());
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me\n");
    // A relative path that climbs back into annotations/ is caught too.
    let sneaky = root.join("seeds/../annotations/editor-a/x.jsonl");
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "csv",
        "--all-layers",
        "-o",
        p(&sneaky),
        p(&root),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(!root.join("annotations/editor-a/x.jsonl").exists());
    // brat into the workspace root would write its copies over the texts (without their BOM).
    let texts_before = all_files(&root.join("seeds"));
    for (which, args) in [("--layer", "editor-a"), ("--all-layers", "")] {
        let mut argv = vec!["export", "--format", "brat", which];
        if !args.is_empty() {
            argv.push(args);
        }
        argv.extend(["-o", p(&root), p(&root)]);
        let (code, _, err) = cli(&argv);
        if which == "--layer" {
            assert_eq!(code, 1, "{err}");
            assert!(err.contains("over the workspace text"), "{err}");
        } else {
            // Each annotator gets a sub-folder: nothing lands on a text.
            assert_eq!(code, 0, "{err}");
        }
    }
    assert_eq!(all_files(&root.join("seeds")), texts_before);
    let (code, _, err) = cli(&[
        "export",
        "--format",
        "brat",
        "--layer",
        "editor-a",
        "-o",
        p(&root.join("annotations/brat")),
        p(&root),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(!root.join("annotations/brat").exists());
}

#[test]
fn export_replaces_its_own_file_and_says_so_and_writes_through_dev_stdout() {
    let (_d, root) = seed_workspace();
    let out = root.parent().unwrap().join("quotes.jsonl");
    let args = |o: &Path| {
        cli(&[
            "export",
            "--format",
            "jsonl",
            "--layer",
            "editor-a",
            "-o",
            p(o),
            p(&root),
        ])
    };
    let (code, _, err) = args(&out);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("replaced"), "{err}");
    let (code, _, err) = args(&out);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("replaced existing file {}", out.display())),
        "{err}"
    );
    // /dev/stdout is a stream, as `-` is: the records go to standard output.
    let (code, stdout, err) = args(Path::new("/dev/stdout"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(stdout.as_bytes(), std::fs::read(&out).unwrap());
    assert!(std::fs::symlink_metadata("/dev/stdout").is_ok());
}

#[test]
fn the_window_export_uses_the_same_refusals() {
    // File → Export… runs `export::run`, which checks the output itself.
    let (_d, root) = seed_workspace();
    let layer = root.join("annotations/editor-a/seeds/000_b78fa013a4a69998.ron");
    let before = std::fs::read(&layer).unwrap();
    let req = ExportRequest::new(&root, ExportFormat::Conll, Layers::All, &layer);
    let err = marginalia::interchange::export::run(&req, &|_, _| true).unwrap_err();
    assert!(err.to_string().contains("annotations folder"), "{err}");
    assert_eq!(std::fs::read(&layer).unwrap(), before);
}

#[test]
fn conll_reports_spans_without_a_token_and_a_total_of_spans_not_written() {
    let (_d, root) = empty_workspace();
    std::fs::write(root.join("a.txt"), "Nike rose .  Apple fell").unwrap();
    let want = |range, tag| Want {
        range,
        tag,
        note: "",
    };
    write_layer(
        &root,
        "editor-a",
        "a.txt",
        marginalia::Status::Done,
        &[
            want((0, 4), "org"),
            // Only the two spaces between "." and "Apple".
            want((11, 13), "claim"),
            // Both inside "Apple": the second gets no token of its own.
            want((13, 15), "org"),
            want((15, 18), "org"),
            // Overlaps "Apple fell" and is dropped by --overlap first.
            want((13, 23), "quote"),
        ],
    );
    let (code, out, err) = cli(&[
        "export",
        "--format",
        "conll",
        "--overlap",
        "first",
        "--layer",
        "editor-a",
        p(&root),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("\tB-").count(), 2, "{out}");
    assert!(
        err.contains("1 span covers no token (only whitespace or separators) and not in the file:\n  a.txt (editor-a): span 2 (claim) at 11..13"),
        "{err}"
    );
    assert!(
        err.contains("1 span lies inside a token already tagged for another span and not in the file:\n  a.txt (editor-a): span 4 (org) at 15..18"),
        "{err}"
    );
    assert!(
        err.contains("3 of 5 spans not written as entities (spans − entities written = 5 − 2): 1 overlapping, 1 covering no token, 1 inside another span's token"),
        "{err}"
    );
    // Neither is a boundary inside a token.
    assert!(
        !err.contains("covers no token and is not in the file"),
        "{err}"
    );
}

#[test]
fn an_entity_before_a_possessive_is_not_widened() {
    let (_d, root) = empty_workspace();
    std::fs::write(
        root.join("a.txt"),
        "Nike's shares and Silicon Valley’s mood don't lift.",
    )
    .unwrap();
    let want = |range, tag| Want {
        range,
        tag,
        note: "",
    };
    write_layer(
        &root,
        "editor-a",
        "a.txt",
        marginalia::Status::Done,
        &[want((0, 4), "org"), want((18, 32), "place")],
    );
    let (code, out, err) = cli(&[
        "export",
        "--format",
        "conll",
        "--layer",
        "editor-a",
        p(&root),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Nike\tB-org\n's\tO\nshares\tO\n"), "{out}");
    assert!(
        out.contains("Silicon\tB-place\nValley\tI-place\n’s\tO\nmood\tO\ndo\tO\nn't\tO\n"),
        "{out}"
    );
    assert!(!err.contains("inside the token"), "{err}");
}

#[test]
fn a_conll_2003_file_imports_with_its_counts_scheme_and_rebuilt_texts() {
    let (_d, root) = empty_workspace();
    let src = std::path::Path::new(REPO).join("tests/fixtures/conll/conll2003-iob1.txt");
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "conll",
        "--annotator",
        "ann",
        p(&src),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("imported 9 spans into 2 documents\n"),
        "{out}"
    );
    assert!(out.contains("copied 2 texts into the workspace:\n  conll2003-iob1/000001.txt\n  conll2003-iob1/000002.txt\n"), "{out}");
    assert!(out.contains("added 4 tags"), "{out}");
    assert!(
        out.contains("conll2003-iob1.txt: the texts are rebuilt from the tokens, with one space between tokens and a line break after each sentence"),
        "{out}"
    );
    assert!(
        out.contains("conll2003-iob1.txt: tags read as IOB1"),
        "{out}"
    );
    assert!(!out.contains("rejected"), "{out}");
    // CRLF is gone, the emoji counts one char, B-LOC splits two places.
    assert_eq!(
        std::fs::read_to_string(root.join("conll2003-iob1/000002.txt")).unwrap(),
        "BRUSSELS 1996-08-22\nFans cheered 😀 for Nike 's Air Max on the Spain Portugal border .\n"
    );
    let spans: Vec<(usize, usize, String)> = spans_of(&root, "ann")
        .into_iter()
        .filter(|s| s.0.ends_with("000002.txt"))
        .map(|(_, s, e, t, _)| (s, e, t))
        .collect();
    assert_eq!(
        spans,
        [
            (0, 8, "LOC".to_owned()),
            (39, 43, "ORG".to_owned()),
            (47, 54, "MISC".to_owned()),
            (62, 67, "LOC".to_owned()),
            (68, 76, "LOC".to_owned())
        ]
    );
    // The same with the columns named (0-based): the chunk column instead gives other tags.
    let (_e, other) = empty_workspace();
    let (code, out, _) = cli(&[
        "import",
        "--format",
        "conll",
        "--columns",
        "0,2",
        "--annotator",
        "ann",
        p(&src),
        p(&other),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("added 3 tags to annotations/tags.ron with generated colours: NP, VP, PP"),
        "{out}"
    );
    // --columns with another format is an error.
    let (code, _, err) = cli(&[
        "import",
        "--format",
        "jsonl",
        "--columns",
        "0,3",
        "--annotator",
        "ann",
        p(&src),
        p(&other),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--columns is for --format conll only"),
        "{err}"
    );
}

#[test]
fn broken_conll_tags_are_reported_with_their_lines_not_fixed_silently() {
    let (d, root) = empty_workspace();
    let src = d.path().join("iob2.conll");
    std::fs::write(
        &src,
        "# sent_id = 1\nAnna\tB-PER\nlives\tO\nin\tI-LOC\nRome\tI-LOC\n\nBob\tPERSON\nran\tO\n#Roma\tB-LOC\n",
    )
    .unwrap();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "conll",
        "--annotator",
        "ann",
        p(&src),
        p(&root),
    ]);
    // A rejected tag: imported in part.
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.starts_with("imported 3 spans into 1 document\n"),
        "{out}"
    );
    // The hashtag is a token, the `# sent_id` line a comment.
    assert_eq!(
        std::fs::read_to_string(root.join("iob2/000001.txt")).unwrap(),
        "Anna lives in Rome\nBob ran #Roma\n"
    );
    assert!(
        out.contains("iob2.conll: tags read as IOB2, but 1 entity starts with I- or E- (not IOB2); read as starting there, as conlleval and seqeval do: line 4"),
        "{out}"
    );
    assert!(
        out.contains("iob2.conll:7: bad tag \"PERSON\" (expected O, or B-, I-, E-, S-, L- or U- and a type): the token is imported untagged"),
        "{out}"
    );
    assert!(out.contains("1 comment line (#) ignored"), "{out}");
    // A file that is plainly not CoNLL is refused before reading, with what it looks like.
    let json = d.path().join("doccano.jsonl");
    std::fs::write(
        &json,
        "{\"text\": \"Anna lives\", \"label\": [[0, 4, \"PER\"]]}\n",
    )
    .unwrap();
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "conll",
        "--annotator",
        "ann",
        p(&json),
        p(&root),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("not conll; use --format jsonl"), "{err}");
    // A line without the columns named skips its document, with file and line.
    let (code, out, _) = cli(&[
        "import",
        "--format",
        "conll",
        "--columns",
        "0,3",
        "--annotator",
        "other",
        p(&src),
        p(&root),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("iob2.conll:2: 2 columns where the token in column 0 and the tag in column 3 (--columns, counted from 0) were expected"),
        "{out}"
    );
}

/// Regression: eng.train, eng.testa and eng.testb all became `eng/000001.txt…`, so the second
/// split was skipped entirely, with and without --merge. Each split now has its folder, named
/// by the file name (a format ending such as `.txt` or `.conll` is dropped), and the fix the
/// skip message suggests (`--merge`) works.
#[test]
fn conll_2003_splits_share_a_workspace_each_in_its_own_folder() {
    let (_d, root) = empty_workspace();
    let dir = root.parent().unwrap().join("conll2003");
    std::fs::create_dir_all(&dir).unwrap();
    for (split, word) in [("train", "EU"), ("testa", "Paris"), ("testb", "Bonn")] {
        std::fs::write(
            dir.join(format!("eng.{split}")),
            format!("-DOCSTART- -X- O O\n\n{word} NNP B-NP B-LOC\nsays VBZ B-VP O\n\n"),
        )
        .unwrap();
    }
    for split in ["train", "testa", "testb"] {
        let src = dir.join(format!("eng.{split}"));
        let (code, out, err) = cli(&[
            "import",
            "--format",
            "conll",
            "--annotator",
            "ann",
            p(&src),
            p(&root),
        ]);
        assert_eq!(code, 0, "{split}: {out}{err}");
        assert!(
            out.contains(&format!("  eng.{split}/000001.txt\n")),
            "{out}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(root.join("eng.testb/000001.txt")).unwrap(),
        "Bonn says\n"
    );
    // Imported again: skipped, and the message's fix works.
    let src = dir.join("eng.train");
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "conll",
        "--annotator",
        "ann",
        p(&src),
        p(&root),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("use --merge to add to it"), "{out}");
    let (code, out, err) = cli(&[
        "import",
        "--format",
        "conll",
        "--annotator",
        "ann",
        "--merge",
        p(&src),
        p(&root),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 already in the layer"), "{out}");
}

/// Regression: the README's own `export --format brat -o brat-folder/` in a workspace without
/// workspace.ron wrote `brat-folder/seeds/*.txt` where the workspace lists them (10 documents
/// instead of 5), and failed the second time. An output folder whose `.txt` copies the
/// workspace would list is refused, nothing written, the same way every time.
#[test]
fn brat_export_into_the_workspace_texts_is_refused_and_nothing_is_written() {
    let (_d, root) = seed_workspace();
    let _ = std::fs::remove_file(root.join("annotations/workspace.ron"));
    let before = marginalia::workspace::Workspace::open(&root)
        .unwrap()
        .texts()
        .len();
    let out = root.join("brat-folder");
    for _ in 0..2 {
        let (code, _, err) = cli(&[
            "export",
            "--format",
            "brat",
            "--layer",
            "editor-a",
            "-o",
            p(&out),
            p(&root),
        ]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("is inside the workspace's text folders")
                && err.contains("would become a new document"),
            "{err}"
        );
        assert!(!out.exists());
        assert_eq!(
            marginalia::workspace::Workspace::open(&root)
                .unwrap()
                .texts()
                .len(),
            before
        );
    }
    // Outside the workspace it works, twice.
    let outside = root.parent().unwrap().join("brat-folder");
    for _ in 0..2 {
        let (code, _, err) = cli(&[
            "export",
            "--format",
            "brat",
            "--layer",
            "editor-a",
            "-o",
            p(&outside),
            p(&root),
        ]);
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(
        marginalia::workspace::Workspace::open(&root)
            .unwrap()
            .texts()
            .len(),
        before
    );
}
