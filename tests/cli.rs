//! The real `marginalia` binary: `validate` passes on the shipped annotations and fails, one
//! line per problem naming the file, on broken copies; `stats` counts what is in the files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_marginalia");
const A000: &str = "annotations/editor-a/seeds/000_b78fa013a4a69998.ron";
const A001: &str = "annotations/editor-a/seeds/001_3e981e5bab7b45a2.ron";
const A002: &str = "annotations/editor-a/seeds/002_c14de4e8ffe1b554.ron";
const A003: &str = "annotations/editor-a/seeds/003_2bc22f07f8fd66ef.ron";
const A004: &str = "annotations/editor-a/seeds/004_2bdf081e938a524a.ron";
const B000: &str = "annotations/editor-b/seeds/000_b78fa013a4a69998.ron";
const B001: &str = "annotations/editor-b/seeds/001_3e981e5bab7b45a2.ron";
const B004: &str = "annotations/editor-b/seeds/004_2bdf081e938a524a.ron";
const C003: &str = "annotations/editor-c/seeds/003_2bc22f07f8fd66ef.ron";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run marginalia")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn copy_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("seeds"), &dir.path().join("seeds"));
    copy_dir(&repo().join("annotations"), &dir.path().join("annotations"));
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let src = std::fs::read_to_string(path).unwrap();
    assert!(src.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, src.replacen(from, to, 1)).unwrap();
}

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
