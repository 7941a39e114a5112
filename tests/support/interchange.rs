//! The workspaces the export and import tests work on: annotated seeds, tricky Unicode texts,
//! texts only, empty.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use marginalia::model::layer::{Layer, Status, make_span};
use marginalia::model::text::Text;
use marginalia::workspace::Workspace;

use super::files::{REPO, copy_dir, copy_seeds};

pub const TIME: &str = "2026-11-21T10:04:11Z";

pub fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The char offset of the first `phrase` in `text` at or after char `from`.
pub fn find(text: &Text, phrase: &str) -> (usize, usize) {
    let b = text
        .as_str()
        .find(phrase)
        .unwrap_or_else(|| panic!("{phrase:?} not in the text"));
    let s = text.char_of_byte(b);
    (s, s + phrase.chars().count())
}

/// A span the way the editor stores it, with fixed times so output is reproducible.
pub struct Want<'a> {
    pub range: (usize, usize),
    pub tag: &'a str,
    pub note: &'a str,
}

/// Writes `annotator`'s layer for `rel` with the given spans.
pub fn write_layer(root: &Path, annotator: &str, rel: &str, status: Status, spans: &[Want<'_>]) {
    let ws = Workspace::open(root).unwrap();
    let text = Text::load(&ws.text_path(rel).unwrap()).unwrap();
    let mut layer = Layer::new(rel, &text, annotator);
    layer.status = status;
    for w in spans {
        let id = layer.take_id();
        let mut s = make_span(&text, id, w.range.0, w.range.1, w.tag, TIME);
        s.note = w.note.to_owned();
        if w.note.contains("Reuters") {
            s.attrs = BTreeMap::from([("source".to_owned(), "Reuters".to_owned())]);
        }
        layer.spans.push(s);
    }
    marginalia::model::layer::save_layer(&ws.layer_path(annotator, rel).unwrap(), &layer).unwrap();
}

/// A temp workspace with the seeds and their annotations: the shipped `annotations/editor-a`
/// and `editor-b` when the repository has them, otherwise spans made here on the same
/// phrases the shipped ones cover (quotes, claims, errors, boilerplate, an overlap, a span
/// across a line break, notes with commas, quotes and line breaks).
pub fn seed_workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    copy_seeds(&root);
    let shipped = Path::new(REPO).join("annotations");
    if shipped.join("editor-a").is_dir() && shipped.join("editor-b").is_dir() {
        copy_dir(&shipped, &root.join("annotations"));
        return (dir, root);
    }
    let load = |rel: &str| Text::load(&root.join(rel)).unwrap();
    let s0 = "seeds/000_b78fa013a4a69998.txt";
    let s1 = "seeds/001_3e981e5bab7b45a2.txt";
    let s2 = "seeds/002_c14de4e8ffe1b554.txt";
    let s3 = "seeds/003_2bc22f07f8fd66ef.txt";
    let t0 = load(s0);
    let t1 = load(s1);
    let t2 = load(s2);
    let t3 = load(s3);
    let schorz = find(&t0, "Wolfgang Schorz");
    let claim0 = t0
        .snap_to_words(schorz.0.saturating_sub(25), schorz.1 + 12)
        .into();
    write_layer(
        &root,
        "editor-a",
        s0,
        Status::Done,
        &[
            Want {
                range: find(&t0, "You want War between France and Russia?"),
                tag: "quote",
                note: "Putin, to reporters",
            },
            Want {
                range: claim0,
                tag: "claim",
                note: "",
            },
            Want {
                range: schorz,
                tag: "error",
                note: "Olaf Scholz, \"Schorz\" is wrong",
            },
            Want {
                range: find(&t0, "Mark Truss"),
                tag: "error",
                note: "Liz Truss\nsecond line",
            },
        ],
    );
    // A span across a line break (brat writes it as fragments).
    let nl = t1.as_str().find('\n').unwrap();
    let nl = t1.char_of_byte(nl);
    let across = t1.snap_to_words(nl - 8, nl + 6).into();
    write_layer(
        &root,
        "editor-a",
        s1,
        Status::InProgress,
        &[
            Want {
                range: find(&t1, "Russia has denied that it wants to invade Ukraine"),
                tag: "claim",
                note: "per Reuters",
            },
            Want {
                range: find(&t1, "Read Full Article on"),
                tag: "boilerplate",
                note: "",
            },
            Want {
                range: across,
                tag: "boilerplate",
                note: "",
            },
        ],
    );
    write_layer(
        &root,
        "editor-a",
        s2,
        Status::Done,
        &[
            Want {
                range: find(&t2, "massaging more than 100,000 soldiers"),
                tag: "error",
                note: "massing",
            },
            Want {
                range: find(&t2, "The voltage remains live"),
                tag: "error",
                note: "mistranslation; \"tension remains high\"",
            },
        ],
    );
    write_layer(
        &root,
        "editor-a",
        s3,
        Status::InProgress,
        &[Want {
            range: find(
                &t3,
                "Please use Chrome browser for a more accessible video player",
            ),
            tag: "boilerplate",
            note: "",
        }],
    );
    write_layer(
        &root,
        "editor-b",
        s0,
        Status::Done,
        &[
            Want {
                range: find(&t0, "You want War between France and Russia"),
                tag: "quote",
                note: "",
            },
            Want {
                range: schorz,
                tag: "error",
                note: "",
            },
            Want {
                range: find(&t0, "Mark Truss"),
                tag: "claim",
                note: "",
            },
        ],
    );
    write_layer(
        &root,
        "editor-b",
        s2,
        Status::InProgress,
        &[Want {
            range: find(&t2, "The voltage remains live"),
            tag: "error",
            note: "",
        }],
    );
    (dir, root)
}

/// Texts that break naive offset code: emoji (outside the BMP, a ZWJ family), combining marks,
/// CJK, NBSP, CRLF, a BOM, right-to-left script.
pub const TRICKY: [(&str, &[u8]); 3] = [
    (
        "texts/bom_crlf.txt",
        "\u{feff}“Hello,” said Zoë 😀 on Monday.\r\nCafe\u{301} au lait in 東京\u{a0}today — 👨\u{200d}👩\u{200d}👧 family.\r\nשלום עולם.\r\n".as_bytes(),
    ),
    (
        "texts/cjk.txt",
        "東京都に行く。「引用」です。\n𝒳 math 🇫🇷 flag, naïve n\u{303}o.\n".as_bytes(),
    ),
    ("texts/plain.txt", b"Plain ASCII, for contrast.\n"),
];

/// A workspace of [`TRICKY`] texts (the BOM one written with the BOM), with spans on the
/// awkward parts, by `editor-a`.
pub fn tricky_workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    std::fs::create_dir_all(root.join("texts")).unwrap();
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    for (rel, bytes) in TRICKY {
        std::fs::write(root.join(rel), bytes).unwrap();
    }
    let t = Text::load(&root.join(TRICKY[0].0)).unwrap();
    assert!(t.had_bom());
    let zoe = find(&t, "Zoë");
    let cafe = find(&t, "Cafe\u{301}");
    write_layer(
        &root,
        "editor-a",
        TRICKY[0].0,
        Status::Done,
        &[
            Want {
                range: find(&t, "Hello"),
                tag: "quote",
                note: "first word after a BOM and a quote mark",
            },
            Want {
                range: find(&t, "😀"),
                tag: "error",
                note: "",
            },
            Want {
                range: (zoe.0, cafe.1),
                tag: "claim",
                note: "crosses CRLF",
            },
            Want {
                range: cafe,
                tag: "quote",
                note: "combining accent",
            },
            Want {
                range: find(&t, "東京"),
                tag: "claim",
                note: "",
            },
            Want {
                range: find(&t, "today"),
                tag: "error",
                note: "after NBSP",
            },
            Want {
                range: find(&t, "👨\u{200d}👩\u{200d}👧 family"),
                tag: "boilerplate",
                note: "",
            },
            Want {
                range: find(&t, "שלום עולם"),
                tag: "quote",
                note: "RTL",
            },
        ],
    );
    let t = Text::load(&root.join(TRICKY[1].0)).unwrap();
    write_layer(
        &root,
        "editor-a",
        TRICKY[1].0,
        Status::InProgress,
        &[
            Want {
                range: find(&t, "引用"),
                tag: "quote",
                note: "",
            },
            Want {
                range: find(&t, "𝒳 math"),
                tag: "claim",
                note: "",
            },
            Want {
                range: find(&t, "🇫🇷"),
                tag: "error",
                note: "",
            },
            Want {
                range: find(&t, "naïve n\u{303}o"),
                tag: "claim",
                note: "",
            },
        ],
    );
    let t = Text::load(&root.join(TRICKY[2].0)).unwrap();
    write_layer(
        &root,
        "editor-a",
        TRICKY[2].0,
        Status::Done,
        &[Want {
            range: find(&t, "Plain ASCII"),
            tag: "claim",
            note: "",
        }],
    );
    (dir, root)
}

/// Every layer's spans as (rel, start, end, tag, note), sorted: what a round trip must keep.
pub fn spans_of(root: &Path, layer: &str) -> Vec<(String, usize, usize, String, String)> {
    let ws = Workspace::open(root).unwrap();
    let mut out = Vec::new();
    for (rel, path) in ws.layer_files(layer) {
        let (l, _) = marginalia::model::layer::load_layer(&path)
            .unwrap()
            .unwrap();
        for s in l.spans {
            out.push((rel.clone(), s.start, s.end, s.tag, s.note));
        }
    }
    out.sort();
    out
}

/// A fresh workspace holding copies of `from`'s texts and no annotations.
pub fn texts_only_copy(from: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    let ws = Workspace::open(from).unwrap();
    for t in ws.texts() {
        let target = root.join(&t.rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&t.path, &target).unwrap();
    }
    (dir, root)
}

/// An empty workspace.
pub fn empty_workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    (dir, root)
}
