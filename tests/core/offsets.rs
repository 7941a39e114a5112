//! Char offsets on the real seeds agree with Python `str` indices: the table in
//! `tests/fixtures/offsets.tsv` was computed by `tests/fixtures/make_offsets.py` from the seeds
//! decoded as UTF-8 in Python, and every shipped annotation's `exact` is its text's slice.

use std::collections::BTreeMap;
use std::path::PathBuf;

use marginalia::Text;
use marginalia::workspace::Workspace;

use crate::support::files::repo;

struct Row {
    file: String,
    start: usize,
    end: usize,
    start_byte: usize,
    end_byte: usize,
    exact: String,
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('\\') => out.push('\\'),
                other => panic!("bad escape \\{other:?} in offsets.tsv"),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn rows() -> Vec<Row> {
    let src = std::fs::read_to_string(repo().join("tests/fixtures/offsets.tsv")).unwrap();
    let mut lines = src.lines();
    assert_eq!(
        lines.next(),
        Some("file\tstart\tend\tstart_byte\tend_byte\texact")
    );
    lines
        .map(|line| {
            let f: Vec<&str> = line.splitn(6, '\t').collect();
            assert_eq!(f.len(), 6, "bad row {line:?}");
            Row {
                file: f[0].to_owned(),
                start: f[1].parse().unwrap(),
                end: f[2].parse().unwrap(),
                start_byte: f[3].parse().unwrap(),
                end_byte: f[4].parse().unwrap(),
                exact: unescape(f[5]),
            }
        })
        .collect()
}

fn load_texts() -> BTreeMap<String, Text> {
    let mut m = BTreeMap::new();
    for row in rows() {
        m.entry(row.file.clone())
            .or_insert_with(|| Text::load(&repo().join(&row.file)).unwrap());
    }
    m
}

#[test]
fn offsets_table_covers_every_seed_and_the_tricky_characters() {
    let rows = rows();
    let files: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.file.as_str()).collect();
    assert_eq!(files.len(), 5, "one or more seeds missing from offsets.tsv");
    for ch in ['“', '”', '’', '—', '\u{a0}'] {
        assert!(
            rows.iter().any(|r| r.exact.contains(ch)),
            "no row contains {ch:?}"
        );
    }
    // Some rows must sit where char and byte offsets are far apart.
    assert!(rows.iter().any(|r| r.start_byte - r.start >= 100));
}

#[test]
fn slice_matches_python_str_indices_on_the_seeds() {
    let texts = load_texts();
    for r in rows() {
        let t = &texts[&r.file];
        assert_eq!(
            t.slice(r.start, r.end),
            r.exact,
            "{} [{}, {})",
            r.file,
            r.start,
            r.end
        );
        assert_eq!(r.exact.chars().count(), r.end - r.start);
    }
}

#[test]
fn byte_of_and_char_of_byte_match_python_on_the_seeds() {
    let texts = load_texts();
    for r in rows() {
        let t = &texts[&r.file];
        assert_eq!(
            t.byte_of(r.start),
            r.start_byte,
            "{} byte_of({})",
            r.file,
            r.start
        );
        assert_eq!(
            t.byte_of(r.end),
            r.end_byte,
            "{} byte_of({})",
            r.file,
            r.end
        );
        assert_eq!(
            t.char_of_byte(r.start_byte),
            r.start,
            "{} char_of_byte({})",
            r.file,
            r.start_byte
        );
        assert_eq!(
            t.char_of_byte(r.end_byte),
            r.end,
            "{} char_of_byte({})",
            r.file,
            r.end_byte
        );
    }
}

#[test]
fn seed_lengths_are_python_lengths() {
    // Python: len(open(f, encoding="utf-8").read()) — the seeds have no BOM and no CRLF.
    let expected = [
        ("000_b78fa013a4a69998.txt", 4206, 4314),
        ("001_3e981e5bab7b45a2.txt", 2078, 2121),
        ("002_c14de4e8ffe1b554.txt", 2686, 2742),
        ("003_2bc22f07f8fd66ef.txt", 5881, 6015),
        ("004_2bdf081e938a524a.txt", 2841, 2853),
    ];
    for (name, chars, bytes) in expected {
        let t = Text::load(&repo().join("seeds").join(name)).unwrap();
        assert_eq!(t.char_len(), chars, "{name}");
        assert_eq!(t.as_str().len(), bytes, "{name}");
        assert_eq!(t.byte_of(chars), bytes, "{name}");
        assert_eq!(t.char_of_byte(bytes), chars, "{name}");
    }
}

/// Every shipped annotation file, with its layer name.
fn shipped_layers() -> Vec<(String, PathBuf)> {
    let ws = Workspace::open(&repo()).unwrap();
    let mut out = Vec::new();
    for name in ws.layer_names() {
        for (_, path) in ws.layer_files(&name) {
            out.push((name.clone(), path));
        }
    }
    out
}

#[test]
fn shipped_spans_are_text_slices_by_char_offset() {
    let ws = Workspace::open(&repo()).unwrap();
    let files = shipped_layers();
    assert!(
        files.len() >= 10,
        "expected editor-a and editor-b files for five seeds"
    );
    let mut spans = 0;
    for (_, path) in files {
        let (layer, _) = marginalia::model::layer::load_layer(&path)
            .unwrap()
            .unwrap();
        let text = Text::load(&ws.text_path(&layer.text).unwrap()).unwrap();
        assert_eq!(layer.text_sha256, text.sha256(), "{}", path.display());
        assert_eq!(layer.text_chars, text.char_len(), "{}", path.display());
        let chars: Vec<char> = text.as_str().chars().collect();
        for s in &layer.spans {
            // The plain model: index a Vec<char>, exactly like Python indexes a str.
            let by_index: String = chars[s.start..s.end].iter().collect();
            assert_eq!(by_index, s.exact, "{} span {}", path.display(), s.id);
            let before: String = chars[s.start.saturating_sub(32)..s.start].iter().collect();
            let after: String = chars[s.end..(s.end + 32).min(chars.len())].iter().collect();
            assert_eq!(before, s.prefix, "{} span {} prefix", path.display(), s.id);
            assert_eq!(after, s.suffix, "{} span {} suffix", path.display(), s.id);
            spans += 1;
        }
    }
    assert!(spans >= 100, "only {spans} shipped spans");
}

#[test]
fn python_agrees_with_shipped_spans_when_available() {
    // Cross-check with a real Python, when the machine has one: text[start:end] == exact.
    let Ok(probe) = std::process::Command::new("python3")
        .arg("--version")
        .output()
    else {
        eprintln!("python3 not found; the Vec<char> model above stands in for it");
        return;
    };
    if !probe.status.success() {
        return;
    }
    let ws = Workspace::open(&repo()).unwrap();
    let mut script = String::from("import sys\nbad = 0\n");
    for (_, path) in shipped_layers() {
        let (layer, _) = marginalia::model::layer::load_layer(&path)
            .unwrap()
            .unwrap();
        let text_path = ws.text_path(&layer.text).unwrap();
        script.push_str(&format!(
            "t = open({:?}, encoding='utf-8').read()\n",
            text_path.display().to_string()
        ));
        for s in &layer.spans {
            // Pass `exact` as UTF-8 hex so no quoting of the span text is involved.
            let hex: String = s.exact.bytes().map(|b| format!("{b:02x}")).collect();
            script.push_str(&format!(
                "if t[{}:{}] != bytes.fromhex('{hex}').decode('utf-8'): bad += 1; print('mismatch', {:?}, {})\n",
                s.start,
                s.end,
                path.display().to_string(),
                s.id
            ));
        }
    }
    script.push_str("sys.exit(1 if bad else 0)\n");
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "Python disagrees: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn offsets_table_is_what_the_committed_script_makes() {
    let script = repo().join("tests/fixtures/make_offsets.py");
    assert!(
        script.is_file(),
        "tests/fixtures/make_offsets.py is missing"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("offsets.tsv");
    let Ok(run) = std::process::Command::new("python3")
        .arg(&script)
        .arg(&out)
        .output()
    else {
        eprintln!("python3 not found; cannot regenerate offsets.tsv here");
        return;
    };
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(repo().join("tests/fixtures/offsets.tsv")).unwrap(),
        "offsets.tsv is out of date: run python3 tests/fixtures/make_offsets.py"
    );
}
