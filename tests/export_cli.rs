//! `marginalia export` as a user runs it: filters, overlap rules, determinism, errors, cancel,
//! and stale layers.

mod export_support;

use std::path::Path;

use clap::Parser;
use export_support::*;
use marginalia::export::{ExportFormat, ExportRequest, Layers};

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
            marginalia::store::load_layer(path)
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
    let err = marginalia::export::run(&req, &|done, total| {
        seen.borrow_mut().push((done, total));
        done < 2
    })
    .unwrap_err();
    assert!(matches!(err, marginalia::export::ExportError::Cancelled));
    assert!(!out.exists());
    assert_eq!(*seen.borrow(), [(0, 5), (1, 5), (2, 5)]);
    // Not cancelled: progress ends at (total, total) and the file is there.
    let last = std::cell::Cell::new((0, 0));
    let summary = marginalia::export::run(&req, &|d, t| {
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
    assert_eq!(code, 0);
    assert!(err.contains("stale"), "{err}");
    assert!(!out.contains(rel));
}
