//! The real `marginalia` binary: `validate` passes on the shipped annotations and fails, one
//! line per problem naming the file, on broken copies; `stats` counts what is in the files.
//! Also the other commands as a user runs them (hostile files, `suggest`, `assign`, `progress`,
//! `git setup`, `merge-file`). One test binary: `cargo test --test cli`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../support/mod.rs"]
mod support;

mod learn;
mod providers;
mod relations;
mod suggestions;

use support::files::{copy_dir, copy_workspace, edit, repo};
use support::process::{BIN, run, run_with_home, run_within, stdout};

const A000: &str = "annotations/editor-a/seeds/000_b78fa013a4a69998.ron";
const A001: &str = "annotations/editor-a/seeds/001_3e981e5bab7b45a2.ron";
const A002: &str = "annotations/editor-a/seeds/002_c14de4e8ffe1b554.ron";
const A003: &str = "annotations/editor-a/seeds/003_2bc22f07f8fd66ef.ron";
const A004: &str = "annotations/editor-a/seeds/004_2bdf081e938a524a.ron";
const B000: &str = "annotations/editor-b/seeds/000_b78fa013a4a69998.ron";
const CURATED_001: &str = "annotations/curated/seeds/001_3e981e5bab7b45a2.ron";
const B001: &str = "annotations/editor-b/seeds/001_3e981e5bab7b45a2.ron";
const B004: &str = "annotations/editor-b/seeds/004_2bdf081e938a524a.ron";
const C003: &str = "annotations/editor-c/seeds/003_2bc22f07f8fd66ef.ron";

/// One way of breaking a copy of the workspace: what to do, and the (file, words) of each line
/// `validate` must print.
struct Breakage {
    name: &'static str,
    apply: fn(&Path),
    expect: &'static [(&'static str, &'static str)],
}

const BREAKAGES: &[Breakage] = &[
    Breakage {
        name: "truncated RON",
        apply: |r| {
            let p = r.join(A001);
            let full = std::fs::read(&p).unwrap();
            std::fs::write(&p, &full[..full.len() * 2 / 3]).unwrap();
        },
        expect: &[(A001, "not a valid annotation file")],
    },
    Breakage {
        name: "exact mismatch",
        apply: |r| {
            edit(
                &r.join(A000),
                "exact: \"Mark Truss\"",
                "exact: \"Liz Truss\"",
            )
        },
        expect: &[(
            A000,
            "span 28: exact \"Liz Truss\" does not match the text there, \"Mark Truss\"",
        )],
    },
    Breakage {
        name: "unknown tag",
        apply: |r| edit(&r.join(A002), "tag: \"error\"", "tag: \"mistranslation\""),
        expect: &[(A002, "has unknown tag \"mistranslation\"")],
    },
    Breakage {
        name: "wrong annotator folder",
        apply: |r| {
            std::fs::create_dir_all(r.join(C003).parent().unwrap()).unwrap();
            std::fs::copy(r.join(A003), r.join(C003)).unwrap();
        },
        expect: &[(
            C003,
            "annotator \"editor-a\" in the file differs from its folder \"editor-c\"",
        )],
    },
    Breakage {
        name: "stale text",
        apply: |r| {
            let p = r.join("seeds/004_2bdf081e938a524a.txt");
            let mut s = std::fs::read_to_string(&p).unwrap();
            s.push_str("\nA correction was appended.\n");
            std::fs::write(&p, s).unwrap();
        },
        expect: &[
            (A004, "stale: the text changed"),
            (B004, "stale: the text changed"),
        ],
    },
    Breakage {
        name: "out-of-range offsets",
        apply: |r| {
            let p = r.join(B000);
            let src = std::fs::read_to_string(&p).unwrap();
            // The last span of the file gets an end far past the text (4206 chars).
            let at = src.rfind("            end: ").unwrap();
            let line_end = at + src[at..].find('\n').unwrap();
            let fixed = format!("{}            end: 99999,{}", &src[..at], &src[line_end..]);
            std::fs::write(&p, fixed).unwrap();
        },
        expect: &[(B000, "ends at 99999, past the end of the text (4206 chars)")],
    },
    Breakage {
        name: "duplicate ids",
        apply: |r| {
            let p = r.join(B001);
            let src = std::fs::read_to_string(&p).unwrap();
            // Give the second span the first span's id.
            let first = src.find("            id: ").unwrap();
            let second = first + 1 + src[first + 1..].find("            id: ").unwrap();
            let first_line = &src[first..first + src[first..].find('\n').unwrap()];
            let second_end = second + src[second..].find('\n').unwrap();
            let fixed = format!("{}{first_line}{}", &src[..second], &src[second_end..]);
            std::fs::write(&p, fixed).unwrap();
        },
        expect: &[(B001, "is used more than once")],
    },
];

/// Checks `validate`'s output: exactly one line per expected problem, each naming its file.
fn check_lines(root: &Path, out: &str, expect: &[(&str, &str)], case: &str) {
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.len(),
        expect.len(),
        "{case}: expected {} lines, got:\n{out}",
        expect.len()
    );
    let root = root.canonicalize().unwrap();
    for (file, words) in expect {
        let path = root.join(file).display().to_string();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("{path}: ")) && l.contains(words)),
            "{case}: no line for {file} saying {words:?} in:\n{out}"
        );
    }
}

#[test]
fn validate_passes_on_the_shipped_annotations() {
    let o = run(&["validate", "."], &repo());
    let out = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let files = std::fs::read_dir(repo().join("annotations/editor-a/seeds"))
        .unwrap()
        .count()
        + std::fs::read_dir(repo().join("annotations/editor-b/seeds"))
            .unwrap()
            .count();
    assert_eq!(
        out.trim(),
        format!(
            "ok: {files} annotation files in {} are valid",
            repo().canonicalize().unwrap().display()
        )
    );
}

#[test]
fn validate_passes_on_an_unbroken_copy() {
    let dir = copy_workspace();
    let o = run(&["validate"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn validate_fails_on_each_broken_copy_with_one_line_per_problem() {
    for b in BREAKAGES {
        let dir = copy_workspace();
        (b.apply)(dir.path());
        let o = run(&["validate", "."], dir.path());
        assert_eq!(o.status.code(), Some(1), "{}: exit code", b.name);
        check_lines(dir.path(), &stdout(&o), b.expect, b.name);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&marginalia::wording::plural(b.expect.len(), "problem")),
            "{}: {err}",
            b.name
        );
    }
}

#[test]
fn validate_reports_every_problem_of_a_workspace_at_once() {
    let dir = copy_workspace();
    let mut expect = Vec::new();
    for b in BREAKAGES {
        (b.apply)(dir.path());
        expect.extend_from_slice(b.expect);
    }
    // Given a path inside the workspace, validate finds the root above it.
    let o = run(&["validate", "seeds"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    check_lines(dir.path(), &stdout(&o), &expect, "all at once");
}

#[test]
fn validate_on_a_missing_folder_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let o = run(&["validate", missing.to_str().unwrap()], dir.path());
    assert_ne!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no-such-folder"), "{err}");
}

/// Counts read straight from the files' text, independently of the crate's parser.
/// Total spans, spans per tag, and documents per status label.
type AnnotatorCounts = (usize, BTreeMap<String, usize>, BTreeMap<String, usize>);

#[derive(Default)]
struct Expected {
    spans: usize,
    by_tag: BTreeMap<String, usize>,
    by_annotator: BTreeMap<String, AnnotatorCounts>,
    by_document: BTreeMap<String, BTreeMap<String, usize>>,
    files: usize,
}

fn count_files(root: &Path) -> Expected {
    let mut e = Expected::default();
    let ann = root.join("annotations");
    for annotator in ["editor-a", "editor-b"] {
        let entry = e.by_annotator.entry(annotator.to_owned()).or_default();
        for f in std::fs::read_dir(ann.join(annotator).join("seeds")).unwrap() {
            let path = f.unwrap().path();
            let src = std::fs::read_to_string(&path).unwrap();
            e.files += 1;
            let doc = format!(
                "seeds/{}",
                path.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .replace(".ron", ".txt")
            );
            let mut n = 0;
            for line in src.lines() {
                if let Some(tag) = line
                    .strip_prefix("            tag: \"")
                    .and_then(|t| t.strip_suffix("\","))
                {
                    n += 1;
                    entry.0 += 1;
                    *entry.1.entry(tag.to_owned()).or_default() += 1;
                    *e.by_tag.entry(tag.to_owned()).or_default() += 1;
                    e.spans += 1;
                }
                if let Some(status) = line
                    .strip_prefix("    status: ")
                    .and_then(|t| t.strip_suffix(','))
                {
                    let label = match status {
                        "NotStarted" => "not started",
                        "InProgress" => "in progress",
                        "Done" => "done",
                        "Reviewed" => "reviewed",
                        other => panic!("unexpected status {other}"),
                    };
                    *entry.2.entry(label.to_owned()).or_default() += 1;
                }
            }
            e.by_document
                .entry(doc)
                .or_default()
                .insert(annotator.to_owned(), n);
        }
    }
    e
}

#[test]
fn stats_json_counts_what_is_in_the_files() {
    let e = count_files(&repo());
    let o = run(&["stats", ".", "--json"], &repo());
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stats --json is JSON");
    assert_eq!(v["documents"], 5);
    assert_eq!(v["layers"], e.files);
    assert_eq!(v["spans"], e.spans);
    for (tag, n) in &e.by_tag {
        assert_eq!(v["by_tag"][tag], *n, "tag {tag}");
    }
    assert_eq!(v["by_tag"].as_object().unwrap().len(), e.by_tag.len());
    for (a, (spans, by_tag, status)) in &e.by_annotator {
        let va = &v["by_annotator"][a];
        assert_eq!(va["spans"], *spans, "{a}");
        for (tag, n) in by_tag {
            assert_eq!(va["by_tag"][tag], *n, "{a} {tag}");
        }
        for (s, n) in status {
            assert_eq!(va["status"][s], *n, "{a} status {s}");
        }
        assert_eq!(
            va["status"]
                .as_object()
                .unwrap()
                .values()
                .map(|x| x.as_u64().unwrap())
                .sum::<u64>(),
            5
        );
    }
    for (doc, per) in &e.by_document {
        for (a, n) in per {
            assert_eq!(v["by_document"][doc][a], *n, "{doc} {a}");
        }
    }
    assert_eq!(v["unreadable"].as_array().unwrap().len(), 0);
}

#[test]
fn stats_table_counts_what_is_in_the_files() {
    let e = count_files(&repo());
    let o = run(&["stats"], &repo().join("seeds"));
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.starts_with(&format!(
            "5 documents, {}, {}\n",
            marginalia::wording::plural(e.files, "annotation file"),
            marginalia::wording::plural(e.spans, "span")
        )),
        "{out}"
    );
    for (tag, n) in &e.by_tag {
        assert!(
            out.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == [tag.as_str(), &n.to_string()]),
            "no line `{tag} {n}` in:\n{out}"
        );
    }
    for (a, (spans, _, _)) in &e.by_annotator {
        assert!(
            out.lines().any(|l| l
                .trim_start()
                .starts_with(&format!("{a:<16} {spans:>6} spans"))),
            "no total for {a} in:\n{out}"
        );
    }
    for (doc, per) in &e.by_document {
        let parts: Vec<String> = per.iter().map(|(a, n)| format!("{a} {n}")).collect();
        assert!(
            out.contains(&format!("  {doc}: {}\n", parts.join(", "))),
            "{doc} in:\n{out}"
        );
    }
}

#[test]
fn stats_counts_change_when_a_file_changes() {
    // Guard against counts that ignore the files: remove one file and the totals drop.
    let dir = copy_workspace();
    let before = count_files(dir.path());
    std::fs::remove_file(dir.path().join(A000)).unwrap();
    let o = run(&["stats", "--json"], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let removed = before.by_document["seeds/000_b78fa013a4a69998.txt"]["editor-a"];
    assert_eq!(v["spans"], before.spans - removed);
    assert_eq!(v["layers"], before.files - 1);
    assert_eq!(v["by_annotator"]["editor-a"]["status"]["not started"], 1);
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt as _;
    let _ = std::fs::remove_file(path);
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// Special files: a `.ron` that is a named pipe, or a link to `/dev/zero`, hung every command
/// (and `/dev/zero` grew memory without bound). Now each is refused, by name, at once.
#[cfg(unix)]
#[test]
fn a_fifo_or_a_link_to_dev_zero_in_a_workspace_never_hangs_a_command() {
    let limit = std::time::Duration::from_secs(60);
    let ws = copy_workspace();
    let root = ws.path();
    let outdir = tempfile::tempdir().unwrap();
    let out_file = outdir.path().join("out.jsonl");
    mkfifo(&root.join(A000));
    std::fs::remove_file(root.join(A001)).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join(A001)).unwrap();
    let commands: [Vec<&str>; 4] = [
        vec!["validate", "."],
        vec!["stats", "."],
        vec![
            "export",
            "--format",
            "jsonl",
            "--layer",
            "editor-a",
            "-o",
            out_file.to_str().unwrap(),
            ".",
        ],
        vec!["reanchor", "."],
    ];
    for args in &commands {
        let o = run_within(args, root, limit);
        let said = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
        assert!(!o.status.success(), "{args:?} must fail: {said}");
        // The pipe is refused on reading; the link is skipped before reading (links under
        // annotations/ are never followed), and either way named.
        for (file, kind) in [
            (A000, "not a regular file (a named pipe)"),
            (A001, "skipped: symbolic link"),
        ] {
            assert!(
                said.lines().any(|l| l.contains(file) && l.contains(kind)),
                "{args:?} must name {file} as {kind}: {said}"
            );
        }
    }
    // Neither special file was replaced.
    use std::os::unix::fs::FileTypeExt as _;
    assert!(
        std::fs::symlink_metadata(root.join(A000))
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(
        std::fs::symlink_metadata(root.join(A001))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// Special files: the same for a text, `tags.ron` and `workspace.ron`.
#[cfg(unix)]
#[test]
fn special_texts_and_settings_files_are_refused_by_name() {
    let limit = std::time::Duration::from_secs(60);
    let cases = [
        ("seeds/000_b78fa013a4a69998.txt", "device"),
        ("annotations/tags.ron", "device"),
        ("annotations/workspace.ron", "named pipe"),
    ];
    for (file, kind) in cases {
        let ws = copy_workspace();
        let root = ws.path();
        let path = root.join(file);
        if kind == "named pipe" {
            mkfifo(&path);
        } else {
            let _ = std::fs::remove_file(&path);
            std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        }
        let o = run_within(&["validate", "."], root, limit);
        let said = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
        assert!(!o.status.success(), "{file}: {said}");
        assert!(
            said.lines().any(|l| l.contains(&path.display().to_string())
                && l.contains("not a regular file")
                && l.contains(kind)),
            "{file}: {said}"
        );
    }
}

/// Temp files: any command removed every `.marginalia-tmp-*` under `annotations/`, including
/// a running window's save in progress. Read-only commands now delete nothing; writing ones
/// remove only old, unlocked leftovers.
#[test]
fn read_only_commands_never_delete_temp_files_and_writers_spare_fresh_ones() {
    let ws = copy_workspace();
    let root = ws.path();
    let dir = root.join("annotations/editor-a/seeds");
    let fresh = dir.join(".marginalia-tmp-fresh");
    let old = dir.join(".marginalia-tmp-old");
    std::fs::write(&fresh, b"a save in progress").unwrap();
    std::fs::write(&old, b"left by a crash").unwrap();
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let out_file = out.path().join("x.csv");
    for args in [
        vec!["validate", "."],
        vec!["stats", "."],
        vec!["agree", "."],
        vec![
            "export",
            "--format",
            "csv",
            "--layer",
            "editor-a",
            "-o",
            out_file.to_str().unwrap(),
            ".",
        ],
    ] {
        let o = run(&args, root);
        assert!(
            fresh.exists() && old.exists(),
            "{args:?} deleted a temp file: {o:?}"
        );
    }
    let o = run(&["reanchor", "."], root);
    assert!(o.status.success(), "{o:?}");
    assert!(fresh.exists(), "a fresh temp file may be a live save");
    assert!(
        !old.exists(),
        "an hour-old unlocked temp file is a crash's leftover"
    );
}

/// Annotator names: names that make hidden, reserved or uncheckoutable folders, or read as an
/// option, are refused before anything is written.
#[test]
fn hidden_dotted_and_dashed_annotator_names_are_refused() {
    let ws = copy_workspace();
    let root = ws.path();
    let src = root.join("in.jsonl");
    std::fs::write(
        &src,
        "{\"text\": \"Hello world\", \"label\": [[0, 5, \"quote\"]]}\n",
    )
    .unwrap();
    for name in [".hidden", ".git", ".marginalia-tmp-1", "a.", "...", "-x"] {
        let flag = format!("--annotator={name}");
        let o = run(
            &["import", "--format", "jsonl", &flag, "in.jsonl", "."],
            root,
        );
        assert!(!o.status.success(), "{name} accepted: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(name), "{name}: {err}");
        assert!(
            !root.join("annotations").join(name).exists(),
            "{name} folder made"
        );
    }
}

/// Annotator names: names that would take the place of the workspace's own files under
/// annotations/ (tags.ron, workspace.ron, <layer>.rejected.ron) are refused with the reason,
/// by import's `--annotator` and by `assign`, and nothing is made.
#[test]
fn annotator_names_that_collide_with_the_workspaces_own_files_are_refused() {
    let ws = copy_workspace();
    let root = ws.path();
    std::fs::write(
        root.join("in.jsonl"),
        "{\"text\": \"Hello world\", \"label\": [[0, 5, \"quote\"]]}\n",
    )
    .unwrap();
    let config = std::fs::read(root.join("annotations/workspace.ron")).unwrap();
    for name in [
        "tags.ron",
        "workspace.ron",
        "editor-a.rejected.ron",
        "Notes.RON",
    ] {
        let flag = format!("--annotator={name}");
        let o = run(
            &["import", "--format", "jsonl", &flag, "in.jsonl", "."],
            root,
        );
        assert_eq!(o.status.code(), Some(2), "{name} accepted: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(name) && err.contains("\".ron\""),
            "{name}: {err}"
        );
        let o = run(
            &[
                "assign",
                "--annotators",
                &format!("ana,{name}"),
                "--overlap",
                "1",
            ],
            root,
        );
        assert_eq!(o.status.code(), Some(2), "{name} assigned: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(name) && err.contains("\".ron\""),
            "{name}: {err}"
        );
    }
    for made in ["tags.ron", "editor-a.rejected.ron", "Notes.RON"] {
        assert!(!root.join("annotations").join(made).exists(), "{made} made");
    }
    assert_eq!(
        std::fs::read(root.join("annotations/workspace.ron")).unwrap(),
        config,
        "assign wrote workspace.ron"
    );
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

/// Import exit codes: a CoNLL file given as jsonl imports nothing and says so with a non-zero exit.
#[test]
fn an_import_that_imports_no_span_from_a_non_empty_source_exits_non_zero() {
    let ws = copy_workspace();
    let root = ws.path();
    std::fs::write(
        root.join("train.jsonl"),
        "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n",
    )
    .unwrap();
    let o = run(
        &[
            "import",
            "--format",
            "jsonl",
            "--annotator",
            "ml",
            "train.jsonl",
            ".",
        ],
        root,
    );
    // Recognised before reading (format sniffing): one line, not one per record.
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("train.jsonl: this looks like CoNLL / IOB columns, not jsonl"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // JSON records that are no documents: nothing imported, exit 1.
    std::fs::write(
        root.join("odd.jsonl"),
        "{\"body\": \"a\"}\n{\"body\": \"b\"}\n",
    )
    .unwrap();
    let o = run(
        &[
            "import",
            "--format",
            "jsonl",
            "--annotator",
            "ml",
            "odd.jsonl",
            ".",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("nothing imported") && err.contains("odd.jsonl"),
        "{err}"
    );
    assert!(stdout(&o).contains("not a document"), "{o:?}");
}

#[test]
fn a_symlinked_layer_folder_is_reported_by_validate_stats_and_export_not_silently_skipped() {
    let dir = copy_workspace();
    let root = dir.path();
    // editor-a's files moved elsewhere and linked back in.
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("seeds");
    copy_dir(&root.join("annotations/editor-a/seeds"), &moved);
    std::fs::remove_dir_all(root.join("annotations/editor-a/seeds")).unwrap();
    std::os::unix::fs::symlink(&moved, root.join("annotations/editor-a/seeds")).unwrap();
    let link = root.join("annotations/editor-a/seeds");
    let said = format!("{}: skipped: symbolic link", link.display());
    let o = run(&["validate", "."], root);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains(&said), "{out}");
    let o = run(&["stats", "."], root);
    assert!(stdout(&o).contains(&said), "{}", stdout(&o));
    let o = run(
        &[
            "export", "--format", "jsonl", "--layer", "editor-a", "-o", "-", ".",
        ],
        root,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("skipped: symbolic link"), "{err}");
    let o = run(&["reanchor", "."], root);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&said));
}

#[test]
fn reanchor_that_cannot_write_through_a_symlinked_file_fails() {
    let dir = copy_workspace();
    let root = dir.path();
    let file = root.join(A000);
    let real = root.join("a000.ron");
    std::fs::rename(&file, &real).unwrap();
    std::os::unix::fs::symlink(&real, &file).unwrap();
    // The text changes, so the file would need re-anchoring.
    let text = root.join("seeds/000_b78fa013a4a69998.txt");
    let mut body = std::fs::read_to_string(&text).unwrap();
    body.insert_str(0, "Inserted. ");
    std::fs::write(&text, body).unwrap();
    let before = std::fs::read(&real).unwrap();
    let o = run(&["reanchor", "."], root);
    let (out, err) = (stdout(&o), String::from_utf8_lossy(&o.stderr).into_owned());
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        err.contains(&format!("{}: skipped: symbolic link", file.display())),
        "{err}"
    );
    // editor-b's file for the same text is re-anchored; editor-a's link is not followed.
    assert!(out.contains("1 of 9 annotation files re-anchored"), "{out}");
    assert_eq!(std::fs::read(&real).unwrap(), before);
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn validate_reports_a_text_that_is_not_utf8_even_without_annotations() {
    let dir = copy_workspace();
    let root = dir.path();
    std::fs::write(root.join("seeds/zz_latin1.txt"), b"caf\xe9 au lait").unwrap();
    let o = run(&["validate", "."], root);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let shown = root.join("seeds/zz_latin1.txt");
    assert!(
        out.contains(&format!(
            "{}: not valid UTF-8 (first bad byte at byte offset 3)",
            shown.display()
        )),
        "{out}"
    );
}

/// Special files: an import source that is a named pipe or a device is refused by name at once.
#[cfg(unix)]
#[test]
fn an_import_source_that_is_a_pipe_or_a_device_is_refused_without_hanging() {
    let ws = copy_workspace();
    let root = ws.path();
    mkfifo(&root.join("pipe.jsonl"));
    std::os::unix::fs::symlink("/dev/zero", root.join("zero.csv")).unwrap();
    for (format, src, kind) in [
        ("jsonl", "pipe.jsonl", "a named pipe"),
        ("csv", "zero.csv", "a device"),
    ] {
        let args = [
            "import",
            "--format",
            format,
            "--annotator",
            "importer",
            src,
            ".",
        ];
        let o = run_within(&args, root, std::time::Duration::from_secs(60));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{src}: {err}");
        assert!(
            err.contains(src) && err.contains(&format!("not a regular file ({kind})")),
            "{src}: {err}"
        );
    }
}

/// Suggestions: `suggest --apply` writes the suggestions into the layer; a second run adds
/// nothing, and a rejected suggestion is left out.
#[test]
fn suggest_apply_writes_the_layer_and_a_second_apply_adds_nothing() {
    let dir = copy_workspace();
    let text = "seeds/000_b78fa013a4a69998.txt";
    let layer = dir
        .path()
        .join("annotations/editor-c/seeds/000_b78fa013a4a69998.ron");
    // Listing writes nothing.
    let o = run(
        &[
            "suggest",
            text,
            "--layer",
            "editor-c",
            "--sources",
            "quotes,names",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let listed = stdout(&o);
    assert!(
        listed
            .contains("error 2909..2915 names 0.45 \"Schorz\" correction=\"Scholz\" kind=\"name\""),
        "{listed}"
    );
    assert!(
        listed.contains(
            "quote 729..768 quotes 0.90 \"You want War between France and Russia?\" speaker=\"Putin\""
        ),
        "{listed}"
    );
    assert!(!layer.exists());
    let o = run(
        &[
            "suggest",
            text,
            "--layer",
            "editor-c",
            "--sources",
            "quotes,names",
            "--apply",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let report = stdout(&o);
    assert!(
        report.contains("added 23 spans to 1 layer file of editor-c"),
        "{report}"
    );
    let src = std::fs::read_to_string(&layer).unwrap();
    assert_eq!(src.matches("tag: \"quote\"").count(), 21, "{src}");
    assert!(src.contains("\"correction\": \"Scholz\""), "{src}");
    let v = run(&["validate"], dir.path());
    assert_eq!(v.status.code(), Some(0), "{v:?}");
    // Again: the layer has them all.
    let o = run(
        &[
            "suggest",
            text,
            "--layer",
            "editor-c",
            "--sources",
            "quotes,names",
            "--apply",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        stdout(&o).contains("0 suggestions in 1 document"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("added 0 spans to 0 layer files"),
        "{}",
        stdout(&o)
    );
    assert_eq!(std::fs::read_to_string(&layer).unwrap(), src);
    // --apply needs a layer.
    let o = run(&["suggest", "--apply"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

/// Starts `marginalia args` in `dir` and waits until it ends or `limit` passes; returns the
/// process and whether it ended.
fn start_and_wait(
    args: &[&str],
    dir: &Path,
    limit: std::time::Duration,
) -> (std::process::Child, bool) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run marginalia");
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if child.try_wait().expect("wait").is_some() {
            return (child, true);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (child, false)
}

/// `suggest --apply` reads and writes a layer under the save lock a window saves under: while
/// a window holds it, nothing is written, and the spans the window saved are kept beside the
/// suggestions added after (before, the layer was written with no lock, over a window's save).
#[test]
fn suggest_apply_waits_for_a_window_saving_the_layer_and_keeps_what_it_saved() {
    use marginalia::model::layer::{Layer, make_span};
    let dir = copy_workspace();
    let rel = "seeds/000_b78fa013a4a69998.txt";
    let layer = dir
        .path()
        .join("annotations/editor-c/seeds/000_b78fa013a4a69998.ron");
    let window = marginalia::store::lock_for_saving(&layer).expect("save lock");
    let (child, ended) = start_and_wait(
        &[
            "suggest",
            rel,
            "--layer",
            "editor-c",
            "--sources",
            "quotes,names",
            "--apply",
        ],
        dir.path(),
        std::time::Duration::from_secs(3),
    );
    assert!(
        !layer.exists(),
        "the layer was written while a window held its save lock (ended: {ended})"
    );
    // The window saves a span of its own, then lets go.
    let text = marginalia::Text::load(&dir.path().join(rel)).unwrap();
    let mut own = Layer::new(rel, &text, "editor-c");
    let id = own.take_id();
    own.spans
        .push(make_span(&text, id, 0, 9, "claim", "2026-12-06T10:00:00Z"));
    std::fs::create_dir_all(layer.parent().unwrap()).unwrap();
    std::fs::write(&layer, own.to_ron()).unwrap();
    drop(window);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        stdout(&o).contains("added 23 spans to 1 layer file of editor-c"),
        "{}",
        stdout(&o)
    );
    let src = std::fs::read_to_string(&layer).unwrap();
    assert_eq!(src.matches("tag: \"quote\"").count(), 21, "{src}");
    assert_eq!(src.matches("tag: \"claim\"").count(), 1, "{src}");
    let v = run(&["validate"], dir.path());
    assert_eq!(v.status.code(), Some(0), "{v:?}");
}

#[test]
fn suggest_json_lists_each_document_and_leaves_out_rejections() {
    let dir = copy_workspace();
    std::fs::write(
        dir.path().join("annotations/editor-c.rejected.ron"),
        "(format: 1, layer: \"editor-c\", rejected: [(text: \"seeds/000_b78fa013a4a69998.txt\", start: 2909, end: 2915, tag: \"error\", exact: \"Schorz\")])",
    )
    .unwrap();
    let o = run(
        &[
            "suggest",
            "--layer",
            "editor-c",
            "--sources",
            "names",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let docs = v.as_array().unwrap();
    assert_eq!(docs.len(), 5);
    let first = &docs[0]["suggestions"];
    assert_eq!(first.as_array().unwrap().len(), 1, "{first}");
    assert_eq!(first[0]["start"], 3692);
    assert_eq!(first[0]["source"], "names");
    assert_eq!(first[0]["attrs"]["correction"], "Scholz");
    // A broken rejections file is refused, naming it.
    std::fs::write(dir.path().join("annotations/editor-c.rejected.ron"), "(").unwrap();
    let o = run(&["suggest", "--layer", "editor-c"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("editor-c.rejected.ron"),
        "{o:?}"
    );
}

/// A phrase the annotator tagged once and found 12,000 times in another text: `suggest` says
/// that repeats was cut and how many it found, in the listing and in JSON, and the 10,000 it
/// proposes reach the end of the text (they used to be the first 10,000, and nothing said so).
#[test]
fn suggest_says_when_a_source_was_cut_and_spreads_what_it_proposes() {
    use marginalia::model::layer::{Layer, make_span};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("a.txt"), "The alpha said so.\n").unwrap();
    let big = "alpha and more\n".repeat(12_000);
    std::fs::write(root.join("b.txt"), &big).unwrap();
    let text = marginalia::Text::load(&root.join("a.txt")).unwrap();
    let mut layer = Layer::new("a.txt", &text, "ed");
    let id = layer.take_id();
    layer
        .spans
        .push(make_span(&text, id, 4, 9, "claim", "2026-12-07T00:00:00Z"));
    std::fs::create_dir_all(root.join("annotations/ed")).unwrap();
    std::fs::write(root.join("annotations/ed/a.ron"), layer.to_ron()).unwrap();
    let args = ["suggest", "b.txt", "--layer", "ed", "--sources", "repeats"];
    let o = run(&args, root);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let listed = stdout(&o);
    assert!(
        listed.contains(
            "b.txt: 10000 suggestions\n  repeats: cut, 10000 of 12000 found proposed, spread \
             over the text (at most 10000 a source and text)\n"
        ),
        "{}",
        &listed[..listed.len().min(600)]
    );
    assert!(
        listed.contains("cut in 1 document: a source found more than 10000 there"),
        "{}",
        &listed[listed.len().saturating_sub(600)..]
    );
    // The proposals are spread: one on about every sixth line, down to the last lines.
    let last_line_start = big.chars().count() - "alpha and more\n".len();
    assert!(
        listed.contains(&format!(
            "claim {}..{} repeats",
            last_line_start,
            last_line_start + 5
        )),
        "the last line's phrase is not proposed"
    );
    let o = run(&[&args[..], &["--json"]].concat(), root);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["suggestions"].as_array().map(Vec::len), Some(10_000));
    assert_eq!(
        v[0]["cut"],
        serde_json::json!([{"source": "repeats", "found": 12000, "kept": 10000}])
    );
    // Nothing cut: no `cut` in JSON and no line saying so.
    let o = run(&["suggest", "a.txt", "--layer", "ed", "--json"], root);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v[0].get("cut").is_none(), "{v}");
    let o = run(&["suggest", "--layer", "ed", "--sources", "quotes"], root);
    assert!(!stdout(&o).contains("cut"), "{}", stdout(&o));
}

/// A workspace of two texts, `done.txt` (marked done) and `draft.txt` (in progress), each with
/// one claim carrying `attrs`, and a tag set in which a claim's verdict is required.
fn attr_workspace(done: &[(&str, &str)], draft: &[(&str, &str)]) -> tempfile::TempDir {
    use marginalia::model::layer::{Layer, Status, make_span};
    let dir = tempfile::tempdir().unwrap();
    let mut tags = marginalia::TagSet::default();
    tags.tags[1].attributes[0].required = true;
    tags.save(&dir.path().join("annotations/tags.ron")).unwrap();
    for (name, status, attrs) in [
        ("done", Status::Done, done),
        ("draft", Status::InProgress, draft),
    ] {
        let text = marginalia::Text::from_string("Prices rose 5% last year, the minister said.");
        std::fs::write(dir.path().join(format!("{name}.txt")), text.as_str()).unwrap();
        let rel = format!("{name}.txt");
        let mut layer = Layer::new(&rel, &text, "ann");
        layer.status = status;
        let mut span = make_span(&text, 1, 0, 24, "claim", "2026-11-20T09:00:00Z");
        for (k, v) in attrs {
            span.attrs.insert((*k).into(), (*v).into());
        }
        layer.spans.push(span);
        layer.next_id = 2;
        let path = dir.path().join(format!("annotations/ann/{name}.ron"));
        marginalia::model::layer::save_layer(&path, &layer).unwrap();
    }
    dir
}

#[test]
fn validate_checks_attribute_values_against_the_schema() {
    // A missing required verdict fails only the document marked done.
    let dir = attr_workspace(&[], &[]);
    let o = run(&["validate", "."], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    check_lines(
        dir.path(),
        &stdout(&o),
        &[(
            "annotations/ann/done.ron",
            "span 1 (claim): required attribute \"verdict\" has no value",
        )],
        "missing required",
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 problem in 2 annotation files"));

    // An unknown choice value is an error whatever the status.
    let dir = attr_workspace(&[("verdict", "false")], &[("verdict", "maybe")]);
    let o = run(&["validate", "."], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    check_lines(
        dir.path(),
        &stdout(&o),
        &[(
            "annotations/ann/draft.ron",
            "attribute \"verdict\" has value \"maybe\", not one of unverified, true, mostly true",
        )],
        "unknown choice",
    );

    // An attribute the schema does not declare is a warning: reported, but valid.
    let dir = attr_workspace(
        &[("verdict", "true"), ("mood", "calm")],
        &[("marginalia:anchor", "fuzzy")],
    );
    let o = run(&["validate", "."], dir.path());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let root = dir.path().canonicalize().unwrap();
    assert_eq!(
        out,
        format!(
            "{}: warning: span 1 (claim): attribute \"mood\" is not in the tag's schema\n\
             ok: 2 annotation files in {} are valid (1 warning)\n",
            root.join("annotations/ann/done.ron").display(),
            root.display()
        )
    );
}

/// Every file under `annotations/`, by path, with its bytes.
fn snapshot_annotations(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&root.join("annotations"), &mut out);
    out
}

/// Spans per tag in every layer file (curated included), read from the files' text, and how
/// many layer files there are.
fn count_tags(root: &Path) -> (BTreeMap<String, usize>, usize) {
    let mut by_tag = BTreeMap::new();
    let mut files = 0;
    for (path, bytes) in snapshot_annotations(root) {
        if path
            .file_name()
            .is_some_and(|n| n == "tags.ron" || n == "workspace.ron")
        {
            continue;
        }
        files += 1;
        for line in String::from_utf8(bytes).unwrap().lines() {
            if let Some(tag) = line
                .strip_prefix("            tag: \"")
                .and_then(|t| t.strip_suffix("\","))
            {
                *by_tag.entry(tag.to_owned()).or_default() += 1;
            }
        }
    }
    (by_tag, files)
}

/// A copy of the shipped workspace with a curated layer for text 001 (editor-a's file, moved).
fn copy_with_curated() -> tempfile::TempDir {
    let dir = copy_workspace();
    let curated = dir
        .path()
        .join("annotations/curated/seeds/001_3e981e5bab7b45a2.ron");
    std::fs::create_dir_all(curated.parent().unwrap()).unwrap();
    std::fs::copy(dir.path().join(A001), &curated).unwrap();
    edit(
        &curated,
        "annotator: \"editor-a\"",
        "annotator: \"curated\"",
    );
    dir
}

#[test]
fn tags_lists_the_schema_and_counts_spans_in_every_layer_curated_included() {
    let dir = copy_with_curated();
    let (by_tag, files) = count_tags(dir.path());
    let o = run(&["tags", "."], dir.path());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let quotes = by_tag["quote"];
    assert!(quotes > 0);
    assert!(
        out.starts_with(&format!(
            "quote        key 1  #56B4E9  {quotes} spans\n    speaker  text\n"
        )),
        "{out}"
    );
    assert!(
        out.contains(
            "    verdict  choice: unverified | true | mostly true | mixed | misleading | false  (default unverified)\n"
        ),
        "{out}"
    );
    for (tag, n) in &by_tag {
        assert!(
            out.lines()
                .any(|l| l.starts_with(tag.as_str()) && l.ends_with(&format!("  {n} spans"))),
            "{tag}: {n} in\n{out}"
        );
    }
    assert!(
        out.ends_with(&format!(
            "4 tags; {} spans in {} annotation files\n",
            by_tag.values().sum::<usize>(),
            files
        )),
        "{out}"
    );
}

#[test]
fn tags_rename_dry_run_reports_and_writes_nothing() {
    let dir = copy_with_curated();
    let before = snapshot_annotations(dir.path());
    let o = run(
        &["tags", "rename", "quote", "citation", "--dry-run"],
        dir.path(),
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert_eq!(snapshot_annotations(dir.path()), before);
    let quotes = count_tags(dir.path()).0["quote"];
    assert!(
        out.ends_with(&format!(
            "renamed: {quotes} spans in 11 layer files; dry run, nothing written\n"
        )),
        "{out}"
    );
    assert!(
        out.contains(
            "tags.ron: tag \"quote\" would be renamed to \"citation\" (tags.ron was absent"
        )
    );
}

#[test]
fn tags_rename_changes_tags_ron_and_every_layer_atomically_curated_included() {
    let dir = copy_with_curated();
    let root = dir.path();
    let curated = root.join("annotations/curated/seeds/001_3e981e5bab7b45a2.ron");
    let quotes = count_tags(root).0["quote"];
    let o = run(&["tags", "rename", "quote", "citation"], root);
    let out = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.ends_with(&format!("renamed: {quotes} spans in 11 layer files\n")),
        "{out}"
    );
    // tags.ron now exists: the defaults with the tag renamed, its attributes kept.
    let ws = marginalia::Workspace::open(root).unwrap();
    let names: Vec<&str> = ws.tags().tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["citation", "claim", "error", "boilerplate"]);
    assert!(
        ws.tags()
            .get("citation")
            .unwrap()
            .attribute("speaker")
            .is_some()
    );
    let after = count_tags(root).0;
    assert_eq!(after.get("quote"), None);
    assert_eq!(after["citation"], quotes);
    // The curated file is still a curated layer, and everything validates.
    let src = std::fs::read_to_string(&curated).unwrap();
    assert!(src.contains("accepted_by: \"\""), "{src}");
    assert!(!src.contains("tag: \"quote\""));
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // No temp files are left behind.
    assert!(
        snapshot_annotations(root)
            .keys()
            .all(|p| p.extension().is_some_and(|x| x == "ron")),
    );
}

#[test]
fn tags_rename_refuses_an_existing_name_unless_merging() {
    let dir = copy_workspace();
    let root = dir.path();
    let before = snapshot_annotations(root);
    let o = run(&["tags", "rename", "quote", "claim"], root);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(
        "error: tag \"claim\" exists already; pass --merge to move the spans of \"quote\" into it"
    ));
    assert_eq!(snapshot_annotations(root), before);
    let o = run(&["tags", "rename", "nosuch", "x"], root);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("there is no tag \"nosuch\""));

    let (e, _) = count_tags(root);
    let o = run(&["tags", "rename", "quote", "claim", "--merge"], root);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("tag \"quote\" merged into \"claim\""), "{out}");
    assert!(
        out.contains("attributes of \"quote\" added to \"claim\": speaker"),
        "{out}"
    );
    let after = count_tags(root).0;
    assert_eq!(after["claim"], e["claim"] + e["quote"]);
    let ws = marginalia::Workspace::open(root).unwrap();
    assert!(!ws.tags().contains("quote"));
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn tags_rename_never_overwrites_a_file_it_could_not_parse_and_writes_nothing() {
    let dir = copy_workspace();
    let root = dir.path();
    let broken = root.join(B001);
    let full = std::fs::read(&broken).unwrap();
    std::fs::write(&broken, &full[..full.len() / 2]).unwrap();
    let before = snapshot_annotations(root);
    let o = run(&["tags", "rename", "quote", "citation"], root);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let shown = root.canonicalize().unwrap().join(B001);
    assert!(
        err.contains(&format!("{}: not a valid annotation file", shown.display())),
        "{err}"
    );
    assert!(
        err.contains("error: nothing was written: 1 file cannot be changed safely"),
        "{err}"
    );
    assert_eq!(snapshot_annotations(root), before);
}

/// `tags rename` writes each file under the save lock a window saves under, and only if it is
/// still the file it read: a curated file a review window saved in the meantime is not
/// overwritten (the CLI says so and fails), and the same command run again finishes the rename.
/// Before, the files were written with no lock and no check, over the window's save.
#[test]
fn tags_rename_never_overwrites_a_file_a_window_saved_since_it_was_read() {
    let dir = copy_with_curated();
    let root = dir.path();
    let curated = root.join(CURATED_001);
    let before = std::fs::read(&curated).unwrap();
    let window = marginalia::store::lock_for_saving(&curated).expect("save lock");
    let (child, ended) = start_and_wait(
        &["tags", "rename", "quote", "citation"],
        root,
        std::time::Duration::from_secs(3),
    );
    assert_eq!(
        std::fs::read(&curated).unwrap(),
        before,
        "the curated file was written while a window held its save lock (ended: {ended})"
    );
    // The review window saves (a decision of its own), then lets go.
    let mut saved = before.clone();
    saved.extend_from_slice(b"\n");
    std::fs::write(&curated, &saved).unwrap();
    drop(window);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}{err}", stdout(&o));
    let shown = root.canonicalize().unwrap().join(CURATED_001);
    assert!(
        err.contains(&format!(
            "{}: not written: {}: changed on disk since it was read",
            shown.display(),
            shown.display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read(&curated).unwrap(), saved);
    // Run again, it finishes the rename, the curated file included.
    let o = run(&["tags", "rename", "quote", "citation"], root);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    let src = std::fs::read_to_string(&curated).unwrap();
    assert!(!src.contains("tag: \"quote\""), "{src}");
    assert!(src.contains("tag: \"citation\""), "{src}");
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// A read-only curated file is left alone by `tags rename`, which says so and writes nothing.
#[test]
fn tags_rename_leaves_a_read_only_curated_file_alone_and_writes_nothing() {
    let dir = copy_with_curated();
    let root = dir.path();
    let curated = root.join(CURATED_001);
    let mut perms = std::fs::metadata(&curated).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&curated, perms).unwrap();
    let before = snapshot_annotations(root);
    let o = run(&["tags", "rename", "quote", "citation"], root);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let shown = root.canonicalize().unwrap().join(CURATED_001);
    assert!(
        err.contains(&format!(
            "{}: the file is read-only (no write permission); it was not overwritten",
            shown.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("error: nothing was written: 1 file cannot be changed safely"),
        "{err}"
    );
    assert_eq!(snapshot_annotations(root), before);
}

/// The columns of a table line printed with two or more spaces between cells.
fn columns(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

fn table_row<'a>(table: &'a str, first: &str) -> Vec<&'a str> {
    let line = table
        .lines()
        .find(|l| l.starts_with(first))
        .unwrap_or_else(|| panic!("no line starting {first:?} in\n{table}"));
    columns(line)
}

/// Assignments: `assign` writes a balanced assignment, the same for the same seed, and keeps
/// the rest of workspace.ron (its text folders and opening comment).
#[test]
fn assign_writes_a_balanced_seeded_assignment_and_keeps_workspace_ron() {
    let dir = copy_workspace();
    let root = dir.path();
    let config = root.join("annotations/workspace.ron");
    let o = run(
        &[
            "assign",
            "--annotators",
            "ana,bo,cy",
            "--overlap",
            "2",
            "--seed",
            "3",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(0), "{:?}", o);
    let out = stdout(&o);
    // 5 texts × 2 = 10 assignments over 3 annotators: loads 3, 3, 4 in some order.
    let mut loads: Vec<usize> = ["ana", "bo", "cy"]
        .iter()
        .map(|a| {
            let line = out
                .lines()
                .find(|l| l.trim_start().starts_with(a))
                .unwrap_or_else(|| panic!("{a} in {out}"));
            line.split_whitespace().nth(1).unwrap().parse().unwrap()
        })
        .collect();
    loads.sort();
    assert_eq!(loads, [3, 3, 4], "{out}");
    assert!(
        out.contains("5 documents to 3 annotators, 2 each: written to"),
        "{out}"
    );
    let first = std::fs::read_to_string(&config).unwrap();
    assert!(first.starts_with("// The repository is itself"), "{first}");
    assert!(first.contains("\"seeds\""), "{first}");
    assert!(first.contains("overlap: 2,"), "{first}");
    // Each text has exactly two assigned annotators.
    let o = run(&["progress", "--json"], root);
    assert_eq!(o.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for doc in json["documents"].as_array().unwrap() {
        assert_eq!(doc["assigned"], 2, "{doc}");
    }
    // The same seed writes the same bytes.
    let o = run(
        &[
            "assign",
            "--annotators",
            "ana,bo,cy",
            "--overlap",
            "2",
            "--seed",
            "3",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), first);
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn assign_refuses_an_overlap_it_cannot_meet_and_writes_nothing() {
    let dir = copy_workspace();
    let root = dir.path();
    let config = root.join("annotations/workspace.ron");
    let before = std::fs::read(&config).unwrap();
    for (overlap, words) in [
        ("3", "overlap 3 is more than the 2 annotators given"),
        ("0", "overlap is 0"),
    ] {
        let o = run(
            &["assign", "--annotators", "ana,bo", "--overlap", overlap],
            root,
        );
        assert_eq!(o.status.code(), Some(2), "{overlap}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(words), "{err}");
        assert_eq!(std::fs::read(&config).unwrap(), before);
    }
    let o = run(&["assign", "--annotators", "ana,curated"], root);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("reserved"));
    assert_eq!(std::fs::read(&config).unwrap(), before);
}

/// Assignments: `progress` shows documents × annotators, totals both ways, and the documents
/// waiting for review (every assigned annotator done, not reviewed in the curated layer).
#[test]
fn progress_shows_each_annotators_status_totals_and_documents_waiting_for_review() {
    let dir = copy_with_curated();
    let root = dir.path();
    edit(
        &root.join("annotations/curated/seeds/001_3e981e5bab7b45a2.ron"),
        "status: Done",
        "status: Reviewed",
    );
    std::fs::write(
        root.join("annotations/workspace.ron"),
        r#"(
    texts: ["seeds"],
    overlap: 2,
    assignments: [
        (annotator: "editor-a", documents: ["seeds/"]),
        (annotator: "editor-b", documents: ["seeds/000_b78fa013a4a69998.txt", "seeds/001_3e981e5bab7b45a2.txt", "seeds/003_*.txt"]),
        (annotator: "zoe", documents: ["seeds/004_*.txt"]),
    ],
)
"#,
    )
    .unwrap();
    let o = run(&["progress"], root);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let t = stdout(&o);
    assert!(t.starts_with("5 documents, 3 annotators, overlap 2"), "{t}");
    assert_eq!(
        table_row(&t, "document"),
        ["document", "editor-a", "editor-b", "zoe", "total", "review"]
    );
    let row = |d: &str| table_row(&t, &format!("seeds/{d}"));
    assert_eq!(
        row("000"),
        [
            "seeds/000_b78fa013a4a69998.txt",
            "done 30",
            "done 26",
            "—",
            "2/2 done · 56",
            "waiting"
        ]
    );
    assert_eq!(
        row("001")[1..],
        ["done 15", "done 17", "—", "2/2 done · 32", "reviewed"]
    );
    // editor-b's layer of 002 is not assigned to her: in parentheses, not counted as assigned.
    assert_eq!(
        row("002")[1..],
        [
            "done 25",
            "(done 19)",
            "—",
            "1/1 done · 44",
            "waiting short of overlap"
        ]
    );
    assert_eq!(row("003")[1..], ["done 31", "wip 30", "—", "1/2 done · 61"]);
    assert_eq!(
        row("004")[1..],
        ["wip 13", "(done 13)", "todo", "0/2 done · 26"]
    );
    assert_eq!(table_row(&t, "done"), ["done", "4/5", "2/3", "0/1"]);
    for line in [
        "  editor-a  4 of 5 assigned documents done, 0 not started, 114 spans",
        "  editor-b  2 of 3 assigned documents done, 0 not started, 105 spans",
        "  zoe       0 of 1 assigned document done, 1 not started, 0 spans",
    ] {
        assert!(t.contains(&format!("{line}\n")), "{line:?} in\n{t}");
    }
    assert!(
        t.contains(
            "Waiting for review (2):\n  seeds/000_b78fa013a4a69998.txt\n  seeds/002_c14de4e8ffe1b554.txt\n"
        ),
        "{t}"
    );

    let o = run(&["progress", "--json"], root);
    assert_eq!(o.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        json["annotators"],
        serde_json::json!(["editor-a", "editor-b", "zoe"])
    );
    assert_eq!(
        json["waiting_for_review"],
        serde_json::json!([
            "seeds/000_b78fa013a4a69998.txt",
            "seeds/002_c14de4e8ffe1b554.txt"
        ])
    );
    let zoe = &json["totals"][2];
    assert_eq!(
        (zoe["assigned"].as_u64(), zoe["not_started"].as_u64()),
        (Some(1), Some(1))
    );
    let cell = &json["documents"][4]["cells"][0];
    assert_eq!(cell["status"], "in progress");
    assert_eq!(cell["spans"], 13);

    // A bad workspace.ron is one clear error and exit 2.
    edit(
        &root.join("annotations/workspace.ron"),
        "\"zoe\"",
        "\"zo e\"",
    );
    let o = run(&["progress"], root);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("workspace.ron") && err.contains("zo e"),
        "{err}"
    );
}

/// Git in `dir` with a private home, no system configuration and a fixed identity.
fn git_in(dir: &Path, home: &Path, args: &[&str]) -> Option<Output> {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
        .output()
        .ok()
}

#[test]
fn merge_file_writes_the_merge_into_ours_and_prints_the_recorded_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(repo().join(A000)).unwrap();
    let base = marginalia::Layer::from_ron(&src).unwrap();
    let (first, second) = (base.spans[0].id, base.spans[1].id);
    let mut ours = base.clone();
    ours.spans[0].tag = "quote".into();
    ours.spans[0].modified = "2030-01-01T00:00:00Z".into();
    let mut theirs = base.clone();
    theirs.spans[0].tag = "error".into();
    theirs.spans[1].note = "theirs only".into();
    for (name, layer) in [("base", &base), ("ours", &ours), ("theirs", &theirs)] {
        std::fs::write(dir.path().join(name), layer.to_ron()).unwrap();
    }
    let o = run(
        &["merge-file", "base", "ours", "theirs", "--path", A000],
        dir.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let merged =
        marginalia::Layer::from_ron(&std::fs::read_to_string(dir.path().join("ours")).unwrap())
            .unwrap();
    let kept = merged.span(first).unwrap();
    assert_eq!(kept.tag, "quote", "the later edit wins");
    assert!(
        kept.note
            .starts_with("[merge conflict] the other edit had tag \"error\"")
    );
    assert_eq!(merged.span(second).unwrap().note, "theirs only");
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "{A000}: conflict: span {first}: the other edit had tag \"error\""
        )),
        "{out}"
    );
}

#[test]
fn merge_file_fails_on_a_file_that_is_not_what_its_path_says_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(repo().join(A000)).unwrap();
    std::fs::write(dir.path().join("base"), &src).unwrap();
    std::fs::write(dir.path().join("ours"), "<<<<<<< HEAD\n").unwrap();
    std::fs::write(dir.path().join("theirs"), &src).unwrap();
    let o = run(
        &["merge-file", "base", "ours", "theirs", "--path", A000],
        dir.path(),
    );
    assert_ne!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("ours: not a valid layer file"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ours")).unwrap(),
        "<<<<<<< HEAD\n",
        "ours is left alone"
    );
}

/// Broken layer files: a layer file that cannot be read showed as "—" (not assigned); a document in
/// review was listed "waiting for review" while its row said "in review".
#[test]
fn progress_shows_an_unreadable_layer_as_unreadable_and_one_review_state_per_document() {
    let dir = copy_with_curated();
    let root = dir.path();
    std::fs::write(root.join(B000), "(format: 1, spans: [").unwrap();
    let o = run(&["progress"], root);
    assert_eq!(o.status.code(), Some(1), "an unreadable file is a failure");
    let t = stdout(&o);
    assert_eq!(
        table_row(&t, "seeds/000")[1..],
        ["done 30", "unreadable", "1/2 done · 30"],
        "{t}"
    );
    // 001's curated layer exists and is not marked reviewed: in review, and so not waiting.
    assert_eq!(
        table_row(&t, "seeds/001")[1..],
        ["done 15", "done 17", "2/2 done · 32", "in review"]
    );
    assert!(
        t.contains("\nIn review (1):\n  seeds/001_3e981e5bab7b45a2.txt\n"),
        "{t}"
    );
    let waiting = t.split("Waiting for review").nth(1).unwrap();
    let waiting = waiting.split("\n\n").next().unwrap();
    assert!(!waiting.contains("001_"), "{waiting}");
    assert!(!waiting.contains("000_"), "{waiting}");

    let o = run(&["progress", "--json"], root);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cell = &json["documents"][0]["cells"][1];
    assert!(
        cell["unreadable"]
            .as_str()
            .is_some_and(|r| r.starts_with("not a valid annotation file")),
        "{cell}"
    );
    assert_eq!(json["documents"][0]["cells"][0].get("unreadable"), None);
    assert!(
        !json["waiting_for_review"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "seeds/001_3e981e5bab7b45a2.txt")
    );
    assert_eq!(
        json["in_review"],
        serde_json::json!(["seeds/001_3e981e5bab7b45a2.txt"])
    );

    // A curated layer that cannot be read: the review column says so, not "waiting".
    std::fs::write(
        root.join("annotations/curated/seeds/001_3e981e5bab7b45a2.ron"),
        [0xff],
    )
    .unwrap();
    let t = stdout(&run(&["progress"], root));
    assert_eq!(
        table_row(&t, "seeds/001")[1..],
        ["done 15", "done 17", "2/2 done · 32", "unreadable"]
    );
}

/// Writes base, ours and theirs into `dir`.
fn merge_inputs(dir: &Path, base: &str, ours: &str, theirs: &str) {
    for (name, src) in [("base", base), ("ours", ours), ("theirs", theirs)] {
        std::fs::write(dir.join(name), src).unwrap();
    }
}

/// Merge driver: boilerplate retagged to error on one side and `kind = "byline"` set on the
/// other merged into an error with kind "byline", which `validate` refuses. The value is now
/// dropped and recorded as a conflict, and the merged file passes validate.
#[test]
fn merge_file_drops_an_attribute_value_the_merged_tag_does_not_allow_and_says_so() {
    let ws = copy_workspace();
    let root = ws.path();
    let src = std::fs::read_to_string(root.join(A000)).unwrap();
    let mut base = marginalia::Layer::from_ron(&src).unwrap();
    base.spans[0].tag = "boilerplate".into();
    base.spans[0].attrs.clear();
    let id = base.spans[0].id;
    let mut ours = base.clone();
    ours.spans[0].tag = "error".into();
    ours.spans[0].modified = "2030-01-01T00:00:00Z".into();
    let mut theirs = base.clone();
    theirs.spans[0].attrs.insert("kind".into(), "byline".into());
    merge_inputs(root, &base.to_ron(), &ours.to_ron(), &theirs.to_ron());
    let o = run(
        &["merge-file", "base", "ours", "theirs", "--path", A000],
        root,
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let merged =
        marginalia::Layer::from_ron(&std::fs::read_to_string(root.join("ours")).unwrap()).unwrap();
    let span = merged.span(id).unwrap();
    assert_eq!(span.tag, "error");
    assert_eq!(span.attrs.get("kind"), None);
    assert!(
        span.note.starts_with(
            "[merge conflict] kind = \"byline\" is not a value of tag \"error\"; removed"
        ),
        "{}",
        span.note
    );
    assert!(
        stdout(&o).contains(&format!(
            "{A000}: conflict: span {id}: kind = \"byline\" is not a value of tag \"error\""
        )),
        "{}",
        stdout(&o)
    );
    std::fs::copy(root.join("ours"), root.join(A000)).unwrap();
    for f in ["base", "ours", "theirs"] {
        std::fs::remove_file(root.join(f)).unwrap();
    }
    let v = run(&["validate", "."], root);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}{}",
        stdout(&v),
        String::from_utf8_lossy(&v.stderr)
    );
}

/// Merge driver: merge-file merged another annotator's layer, another text's or an unknown format
/// into OURS with exit 0. Each is now refused with one message naming the file, and OURS is
/// left as it was; a file both sides added (an empty base) still merges.
#[test]
fn merge_file_refuses_a_file_that_is_not_the_layer_its_path_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let read = |p: &str| std::fs::read_to_string(repo().join(p)).unwrap();
    let a000 = read(A000);
    let cases = [
        (
            "theirs",
            read(B000),
            "\"editor-b\"'s layer, not \"editor-a\"'s",
        ),
        ("theirs", read(A001), "seeds/001_3e981e5bab7b45a2.txt"),
        (
            "base",
            a000.replacen("format: 1", "format: 2", 1),
            "unknown format version 2",
        ),
    ];
    for (which, bad, words) in cases {
        let (b, t) = if which == "base" {
            (bad.as_str(), a000.as_str())
        } else {
            (a000.as_str(), bad.as_str())
        };
        merge_inputs(d, b, &a000, t);
        let o = run(&["merge-file", "base", "ours", "theirs", "--path", A000], d);
        assert_ne!(o.status.code(), Some(0), "{which}: {words}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("error: {which}: ")) && err.contains(words),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(d.join("ours")).unwrap(), a000);
    }
    // Without --path, THEIRS must be OURS's annotator and text.
    merge_inputs(d, &a000, &a000, &read(B000));
    let o = run(&["merge-file", "base", "ours", "theirs"], d);
    assert_ne!(o.status.code(), Some(0));
    // A new file on both sides: git passes an empty base.
    merge_inputs(d, "", &a000, &a000);
    let o = run(&["merge-file", "base", "ours", "theirs", "--path", A000], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

#[test]
fn git_setup_is_idempotent_and_validate_warns_until_it_has_run() {
    let ws = copy_workspace();
    let home = tempfile::tempdir().unwrap();
    let Some(init) = git_in(ws.path(), home.path(), &["init", "-q"]) else {
        eprintln!("skipped: git is not installed");
        return;
    };
    assert!(init.status.success());
    let o = run_with_home(&["validate", "."], ws.path(), home.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "the warning leaves the exit status alone"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("warning: ") && err.contains("marginalia git setup"),
        "{err}"
    );
    let o = run_with_home(&["git", "setup", "."], ws.path(), home.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let snapshot = || {
        (
            std::fs::read(ws.path().join(".gitattributes")).unwrap(),
            std::fs::read(ws.path().join(".git/config")).unwrap(),
        )
    };
    let first = snapshot();
    assert!(String::from_utf8_lossy(&first.0).contains("annotations/**/*.ron merge=marginalia"));
    let driver = git_in(
        ws.path(),
        home.path(),
        &["config", "merge.marginalia.driver"],
    )
    .unwrap();
    let driver = String::from_utf8_lossy(&driver.stdout);
    assert!(driver.contains("merge-file %O %A %B --path %P"), "{driver}");
    let o = run_with_home(&["git", "setup", "."], ws.path(), home.path());
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(snapshot(), first, "a second setup changes nothing");
    let o = run_with_home(&["validate", "."], ws.path(), home.path());
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "",
        "no warning once set up"
    );
}

/// Recovery journal: `recovery` lists the journal's entries, marking those whose workspace is gone
/// (no window offers them), and `recovery discard` deletes one.
#[test]
fn recovery_lists_journal_entries_and_discards_one() {
    use marginalia::session::recovery::{EntryKey, Journal};
    let dir = tempfile::tempdir().unwrap();
    let journal_dir = dir.path().join("journal");
    let journal = Journal::at(&journal_dir);
    let here = dir.path().join("here");
    std::fs::create_dir_all(here.join("seeds")).unwrap();
    std::fs::write(here.join("seeds/a.txt"), "text").unwrap();
    let gone = dir.path().join("gone");
    let key = |root: &Path| {
        EntryKey::new(
            root,
            &root.join("annotations/ann/seeds/a.ron"),
            "seeds/a.txt",
            "0123",
        )
    };
    let layer = "(format: 1, text: \"seeds/a.txt\", text_sha256: \"0123\", text_chars: 4, annotator: \"ann\", spans: [])\n";
    journal.keep(&key(&here), layer, None).unwrap();
    let orphan = journal.keep(&key(&gone), layer, None).unwrap().entry;
    let env = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env("MARGINALIA_RECOVERY_DIR", &journal_dir)
            .env_remove("XDG_RUNTIME_DIR")
            .output()
            .unwrap()
    };
    let out = env(&["recovery"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains(&format!("{}\n", orphan.display())), "{text}");
    let listed = "seeds/a.txt (annotations/ann/seeds/a.ron, 0 spans, kept ";
    assert_eq!(text.matches(listed).count(), 2, "{text}");
    assert_eq!(
        text.matches("[workspace no longer there]").count(),
        1,
        "{text}"
    );
    assert!(text.contains(&format!("for the workspace at {}", gone.display())));
    assert!(
        text.contains(&format!("2 entries in {}", journal_dir.display())),
        "{text}"
    );

    let out = env(&["recovery", "discard", &orphan.display().to_string()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!orphan.exists());
    assert_eq!(journal.list().len(), 1);
    let out = env(&["recovery", "discard", &orphan.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an entry of the recovery journal"));
}

/// `import --json` answers in JSON even when clap refuses the command line (an unknown
/// `--format`): one object with the error and exit code 2 on standard output.
#[test]
fn import_json_with_a_bad_format_prints_one_json_object_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.jsonl"), "{\"text\": \"a\"}\n").unwrap();
    let o = run(
        &[
            "import",
            "--json",
            "--format",
            "xml",
            "--annotator",
            "ml",
            "a.jsonl",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(v["exit_code"], 2);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("unknown format \"xml\""),
        "{v}"
    );
}

/// The record a tag rename keeps while it runs.
const RENAME_RECORD: &str = "annotations/.tag-rename-in-progress.ron";

/// Tag rename and merges: clone A renamed quote → citation while clone B added a quote; the merge
/// brings B's span with a tag the tag set no longer has. `tags rename quote citation` finishes the
/// rename with one line, where it said "there is no tag" before.
#[test]
fn tags_rename_finishes_a_rename_that_a_merge_half_undid() {
    let dir = copy_workspace();
    let root = dir.path();
    let o = run(&["tags", "rename", "quote", "citation"], root);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    // B's span, merged in.
    edit(&root.join(A001), "tag: \"citation\"", "tag: \"quote\"");
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains(
            "unknown tag \"quote\" (not in the tag set; if a rename left it behind, `marginalia \
             tags rename OLD NEW` run again finishes it)"
        ),
        "{}",
        stdout(&o)
    );

    let o = run(&["tags", "rename", "quote", "citation"], root);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{o:?}");
    assert!(
        out.contains(
            "tags.ron: tag \"quote\" is no longer in the tag set, \"citation\" is: 1 span still \
             tagged \"quote\" renamed to \"citation\" to finish the rename"
        ),
        "{out}"
    );
    assert!(out.ends_with("renamed: 1 span in 1 layer file\n"), "{out}");
    assert_eq!(count_tags(root).0.get("quote"), None);
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // With nothing left to finish, an unknown tag is refused as before.
    let o = run(&["tags", "rename", "quote", "citation"], root);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("there is no tag \"quote\""));
}

/// Interrupted tag rename: a rename interrupted half way (some layers renamed, the record there) is
/// named by every command with how to finish it, and the same command finishes it: a plain rename
/// with tags.ron not yet written, and a merge killed after tags.ron, finished without --merge.
#[test]
fn an_interrupted_tags_rename_is_reported_by_every_command_and_finished_by_rerunning_it() {
    let dir = copy_workspace();
    let root = dir.path();
    // Half renamed: one layer file done, tags.ron (the defaults) not yet.
    let src = std::fs::read_to_string(root.join(A001)).unwrap();
    std::fs::write(
        root.join(A001),
        src.replace("tag: \"quote\"", "tag: \"citation\""),
    )
    .unwrap();
    std::fs::write(
        root.join(RENAME_RECORD),
        "(old: \"quote\", new: \"citation\", merge: false)\n",
    )
    .unwrap();
    let said = "warning: a rename of quote → citation was interrupted; run `marginalia tags \
                rename quote citation` to finish it\n";
    let export = ["export", "--format", "jsonl", "--all-layers", "."];
    for args in [&["validate", "."][..], &["stats", "."], &["tags"], &export] {
        let o = run(args, root);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(said), "{args:?}: {err}");
    }
    // Another rename waits for this one.
    let o = run(&["tags", "rename", "claim", "assertion"], root);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("finish it before starting another"),
        "{o:?}"
    );
    let o = run(&["tags", "rename", "quote", "citation"], root);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{o:?}");
    assert!(
        out.starts_with(
            "an interrupted rename of quote → citation was found: this run finishes it\n"
        ),
        "{out}"
    );
    assert!(!root.join(RENAME_RECORD).exists());
    assert_eq!(count_tags(root).0.get("quote"), None);
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("interrupted"),
        "{o:?}"
    );

    // A merge of citation into claim killed after tags.ron, before the record was removed.
    let claims = count_tags(root).0["claim"];
    let citations = count_tags(root).0["citation"];
    let tags = std::fs::read_to_string(root.join("annotations/tags.ron")).unwrap();
    let ws = marginalia::Workspace::open(root).unwrap();
    let mut set = ws.tags().clone();
    let citation = set.get("citation").unwrap().clone();
    let claim = set.tags.iter_mut().find(|t| t.name == "claim").unwrap();
    for a in citation.attributes {
        if claim.attribute(&a.name).is_none() {
            claim.attributes.push(a);
        }
    }
    set.tags.retain(|t| t.name != "citation");
    // The relation types whose ends may be a citation follow it, as the rename does.
    for r in &mut set.relations {
        for t in r.from.iter_mut().chain(r.to.iter_mut()) {
            if t == "citation" {
                *t = "claim".into();
            }
        }
    }
    set.save(&root.join("annotations/tags.ron")).unwrap();
    assert_ne!(
        tags,
        std::fs::read_to_string(root.join("annotations/tags.ron")).unwrap()
    );
    let files: Vec<PathBuf> = snapshot_annotations(root)
        .into_keys()
        .filter(|p| p.to_string_lossy().contains("editor-b"))
        .collect();
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        std::fs::write(&f, src.replace("tag: \"citation\"", "tag: \"claim\"")).unwrap();
    }
    std::fs::write(
        root.join(RENAME_RECORD),
        "(old: \"citation\", new: \"claim\", merge: true)\n",
    )
    .unwrap();
    let o = run(&["tags", "rename", "citation", "claim"], root);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{o:?}");
    assert!(out.contains("this run finishes it"), "{out}");
    let after = count_tags(root).0;
    assert_eq!(after.get("citation"), None);
    assert_eq!(after["claim"], claims + citations);
    assert!(!root.join(RENAME_RECORD).exists());
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// Interrupted tag rename: `tags rename` killed (SIGKILL) part way through 210 layer files, twice:
/// each time every command says how to finish it, and running the same command again finishes it.
#[test]
fn a_tags_rename_killed_part_way_is_finished_by_running_it_again() {
    let dir = copy_workspace();
    let root = dir.path();
    for i in 0..40 {
        let name = format!("editor-k{i}");
        let folder = root.join("annotations").join(&name).join("seeds");
        copy_dir(&root.join("annotations/editor-a/seeds"), &folder);
        for e in std::fs::read_dir(&folder).unwrap() {
            let p = e.unwrap().path();
            let src = std::fs::read_to_string(&p).unwrap();
            let src = src.replace("annotator: \"editor-a\"", &format!("annotator: \"{name}\""));
            std::fs::write(&p, src).unwrap();
        }
    }
    let quotes = count_tags(root).0["quote"];
    // Killed as soon as a given layer file is renamed: the first one written (a fresh run),
    // then one in the middle (the run that resumes it).
    let mut finished = false;
    for watched in ["editor-a", "editor-k1"] {
        let watched = root
            .join("annotations")
            .join(watched)
            .join("seeds/000_b78fa013a4a69998.ron");
        let mut child = Command::new(BIN)
            .args(["tags", "rename", "quote", "citation"])
            .current_dir(root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !std::fs::read_to_string(&watched).is_ok_and(|s| s.contains("\"citation\""))
            && child.try_wait().unwrap().is_none()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the rename never got there"
            );
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        child.kill().unwrap(); // SIGKILL: no cleanup
        child.wait().unwrap();
        let by_tag = count_tags(root).0;
        let (q, c) = (
            by_tag.get("quote").copied().unwrap_or(0),
            by_tag.get("citation").copied().unwrap_or(0),
        );
        let o = run(&["validate", "."], root);
        let err = String::from_utf8_lossy(&o.stderr);
        if root.join(RENAME_RECORD).exists() {
            assert!(
                err.contains("a rename of quote → citation was interrupted; run `marginalia tags rename quote citation` to finish it"),
                "{err}"
            );
        } else {
            // Done before the kill (a fast machine): never half done without the record.
            assert_eq!(q, 0, "{q} quote, {c} citation without a record");
            assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
            finished = true;
            break;
        }
        eprintln!(
            "killed after {}: {q} quote, {c} citation",
            watched.display()
        );
    }
    if !finished {
        let o = run(&["tags", "rename", "quote", "citation"], root);
        assert_eq!(o.status.code(), Some(0), "{o:?}");
    }
    // The killed runs' temp files (their locks died with them) are not layers.
    marginalia::store::clean_stray_temps_older_than(
        &root.join("annotations"),
        std::time::Duration::ZERO,
    );
    let by_tag = count_tags(root).0;
    assert_eq!((by_tag.get("quote"), by_tag["citation"]), (None, quotes));
    assert!(!root.join(RENAME_RECORD).exists());
    let o = run(&["validate", "."], root);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// Issue 23: a help text points to what a user has (the README's section), never to a file of
/// this repository's docs folder.
#[test]
fn export_help_points_to_the_readme_section() {
    let (code, out, _) = support::process::run_binary(&["export", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("README") && out.contains("Exporting labeled data"),
        "{out}"
    );
    assert!(!out.contains("docs/"), "{out}");
}

/// Issue 23: this repository ships annotations, so it carries the merge driver's
/// `.gitattributes` line: a clone needs only `marginalia git setup` for its `git config`, and
/// `validate` says exactly that.
#[test]
fn the_repository_routes_its_annotation_files_through_the_merge_driver() {
    let attrs = std::fs::read_to_string(repo().join(".gitattributes")).unwrap_or_default();
    assert!(
        attrs
            .lines()
            .any(|l| l.trim() == marginalia::team::git_driver::ATTRIBUTES_LINE),
        "{attrs}"
    );
    let home = tempfile::tempdir().unwrap();
    let Some(attr) = git_in(
        &repo(),
        home.path(),
        &["check-attr", "merge", "--", "annotations/tags.ron"],
    ) else {
        eprintln!("skipped: git is not installed");
        return;
    };
    if !attr.status.success() {
        eprintln!("skipped: the repository is not a git checkout");
        return;
    }
    assert!(
        String::from_utf8_lossy(&attr.stdout).contains("merge: marginalia"),
        "{}",
        String::from_utf8_lossy(&attr.stdout)
    );
    let o = run_with_home(&["validate", "."], &repo(), home.path());
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("git config has no merge.marginalia.driver") && err.contains("git setup"),
        "{err}"
    );
}

/// Runs the binary in `dir` with `MARGINALIA_PROGRESS` set to `progress`.
fn run_progress(args: &[&str], dir: &Path, progress: &str) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("MARGINALIA_PROGRESS", progress)
        .output()
        .expect("run marginalia")
}

/// Issue 23: commands that go through many documents draw a bar with counts and an estimate on
/// standard error (here forced, as the test's standard error is a pipe); in a pipe, or with
/// --json, they print nothing extra.
#[test]
fn long_commands_draw_a_progress_bar_with_counts_but_never_in_a_pipe_or_with_json() {
    let ws = copy_workspace();
    let root = ws.path();
    let mut jsonl = String::new();
    for i in 0..40 {
        jsonl.push_str(&format!(
            "{{\"text\": \"Document {i} says the minister lied.\", \"spans\": [{{\"start\": 11, \"end\": 15, \"label\": \"claim\"}}]}}\n"
        ));
    }
    std::fs::write(root.join("many.jsonl"), &jsonl).unwrap();
    let import = [
        "import",
        "--format",
        "jsonl",
        "--annotator",
        "ml",
        "--into",
        "seeds/many",
        "many.jsonl",
        ".",
    ];
    // --json: standard output is one JSON object and standard error holds no bar.
    let o = run_progress(&[&import[..], &["--json"]].concat(), root, "always");
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert!(report.is_object(), "{report}");
    assert_eq!(String::from_utf8_lossy(&o.stderr), "", "{o:?}");
    // On a terminal: the bar counts the source's bytes.
    let o = run_progress(&[&import[..], &["--merge"]].concat(), root, "always");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("importing [") && err.contains(" B/"), "{err}");
    assert!(stdout(&o).contains("40 documents"), "{o:?}");
    // What each other command counts, as the bar names it.
    let cases: [(&[&str], &str); 7] = [
        (&["validate", "."], "validating ["),
        (&["stats", "."], "counting ["),
        (
            &[
                "export",
                "--format",
                "jsonl",
                "--layer",
                "ml",
                "--out",
                "out.jsonl",
                ".",
            ],
            "/45 documents",
        ),
        (&["agree", "."], "comparing ["),
        (&["reanchor", "--dry-run", "."], "re-anchoring ["),
        (&["suggest", "--layer", "ml", "."], "suggesting ["),
        (&["suggest", "--layer", "ml", "."], "reading ["),
    ];
    for (args, shows) in cases {
        let o = run_progress(args, root, "always");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(shows) && err.contains(" left"),
            "{args:?}: {err}"
        );
        // Standard error in a pipe, as in a script or a log: no bar.
        let o = run(args, root);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !err.contains(" left") && !err.contains('\u{1b}'),
            "{args:?}: {err}"
        );
    }
    // --json: nothing on standard error but what the command says.
    for args in [&["stats", "--json", "."][..], &["agree", "--json", "."][..]] {
        let o = run_progress(args, root, "always");
        assert!(
            !String::from_utf8_lossy(&o.stderr).contains('['),
            "{args:?}: {o:?}"
        );
    }
}
