//! Golden files: one seed document exported in every format, compared byte for byte with the
//! committed files in `tests/fixtures/golden/`, so any change in output is a visible diff.
//! Regenerate with `UPDATE_GOLDEN=1 cargo test --test interchange export_golden` and review the diff.

use std::path::{Path, PathBuf};

use marginalia::model::layer::Status;
use marginalia::model::text::Text;

use crate::support::files::REPO;
use crate::support::interchange::*;
use crate::support::process::cli;

const SEED: &str = "seeds/000_b78fa013a4a69998.txt";

fn golden_dir() -> PathBuf {
    Path::new(REPO).join("tests/fixtures/golden")
}

/// Seed 000 with fixed spans by editor-a: a quote with a note, a claim overlapping an error,
/// an error whose note has a comma, quotes and a line break.
fn one_seed_workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    std::fs::create_dir_all(root.join("seeds")).unwrap();
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    std::fs::copy(Path::new(REPO).join(SEED), root.join(SEED)).unwrap();
    let t = Text::load(&root.join(SEED)).unwrap();
    let schorz = find(&t, "Wolfgang Schorz");
    write_layer(
        &root,
        "editor-a",
        SEED,
        Status::Done,
        &[
            Want {
                range: find(&t, "You want War between France and Russia?"),
                tag: "quote",
                note: "Putin, to reporters",
            },
            Want {
                range: t.snap_to_words(schorz.0 - 20, schorz.1 + 10).into(),
                tag: "claim",
                note: "",
            },
            Want {
                range: schorz,
                tag: "error",
                note: "Olaf Scholz, not \"Schorz\"\nsee the byline",
            },
            Want {
                range: find(&t, "Mark Truss"),
                tag: "error",
                note: "Liz Truss",
            },
        ],
    );
    // Attribute values of every kind: text, a choice with a space, a flag (declared in a
    // tags.ron that adds one to claim), a key the schema does not declare, and a marker that
    // no export writes.
    let mut tags = marginalia::TagSet::default();
    tags.tags[1]
        .attributes
        .push(marginalia::model::tags::Attribute::text("checked", ""));
    tags.tags[1].attributes[2].kind = marginalia::model::tags::AttrKind::Flag;
    tags.save(&root.join("annotations/tags.ron")).unwrap();
    let path = root.join("annotations/editor-a/seeds/000_b78fa013a4a69998.ron");
    let (mut layer, _) = marginalia::model::layer::load_layer(&path)
        .unwrap()
        .unwrap();
    let values: [&[(&str, &str)]; 4] = [
        &[("speaker", "Vladimir Putin")],
        &[
            ("verdict", "mostly true"),
            ("checked", "true"),
            ("source", "AP, 8 Feb"),
        ],
        &[
            ("kind", "name"),
            ("correction", "Olaf Scholz"),
            ("marginalia:anchor", "fuzzy"),
        ],
        &[
            ("kind", "name"),
            ("correction", "Liz Truss"),
            ("seen_in", "the caption"),
        ],
    ];
    for (span, values) in layer.spans.iter_mut().zip(values) {
        for (k, v) in values {
            span.attrs.insert((*k).to_owned(), (*v).to_owned());
        }
    }
    marginalia::model::layer::save_layer(&path, &layer).unwrap();
    (dir, root)
}

pub(crate) fn check(name: &str, got: &[u8]) {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if want != got {
        let actual = path.with_extension("actual");
        std::fs::write(&actual, got).unwrap();
        panic!(
            "{} differs from the export; the new output is in {} (UPDATE_GOLDEN=1 accepts it)",
            path.display(),
            actual.display()
        );
    }
}

#[test]
fn single_file_formats_match_their_golden_files() {
    let (_d, root) = one_seed_workspace();
    for (format, name) in [
        ("jsonl", "seed-000.jsonl"),
        ("conll", "seed-000.conll"),
        ("csv", "seed-000.csv"),
        ("w3c", "seed-000.w3c.jsonld"),
        ("doccano", "seed-000.doccano.jsonl"),
    ] {
        let (code, out, err) = cli(&[
            "export",
            "--format",
            format,
            "--layer",
            "editor-a",
            p(&root),
        ]);
        assert_eq!(code, 0, "{format}: {err}");
        check(name, out.as_bytes());
    }
}

#[test]
fn brat_folder_matches_its_golden_files() {
    let (_d, root) = one_seed_workspace();
    let out = root.parent().unwrap().join("brat");
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
    assert_eq!(code, 0, "{err}");
    for name in [
        "annotation.conf",
        "visual.conf",
        "seeds/000_b78fa013a4a69998.ann",
    ] {
        check(
            &format!("brat/{name}"),
            &std::fs::read(out.join(name)).unwrap(),
        );
    }
    // The .txt is the seed itself, byte for byte.
    assert_eq!(
        std::fs::read(out.join(SEED)).unwrap(),
        std::fs::read(root.join(SEED)).unwrap()
    );
}
