//! Annotation files survive save and load unchanged: any layer round-trips through RON, re-saving
//! gives identical bytes (for random layers and for every shipped file), and the example in
//! `docs/FORMAT.md` is a valid file of the real seed.

use std::collections::BTreeMap;

use marginalia::model::layer::{Layer, Orphan, SourceRecord, Span, Status};
use marginalia::workspace::Workspace;
use marginalia::{TagSet, Text};
use proptest::prelude::*;

use crate::support::files::repo;

/// Strings that stress RON escaping: any Unicode, plus quotes, backslashes, line breaks, NBSP,
/// emoji and RTL text.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop::sample::select(vec![
                "\"",
                "\\",
                "\n",
                "\r\n",
                "\t",
                "\u{a0}",
                "“",
                "”",
                "’",
                "—",
                "👨\u{200d}👩\u{200d}👧",
                "🇫🇷",
                "e\u{301}",
                "東京",
                "שלום",
                "مرحبا",
                "\u{0}",
                "\u{7f}",
                "\u{feff}",
                "}",
                ")",
                "//",
                "/*",
                "r#\"",
                "a",
                " ",
            ]),
            0..12,
        )
        .prop_map(|v| v.concat()),
    ]
}

fn status() -> impl Strategy<Value = Status> {
    prop::sample::select(vec![
        Status::NotStarted,
        Status::InProgress,
        Status::Done,
        Status::Reviewed,
    ])
}

fn span() -> impl Strategy<Value = Span> {
    (
        (0u64..1_000_000, 0usize..100_000, 0usize..100_000),
        (
            tricky_string(),
            tricky_string(),
            tricky_string(),
            tricky_string(),
        ),
        tricky_string(),
        prop::collection::btree_map(tricky_string(), tricky_string(), 0..4),
        (tricky_string(), tricky_string()),
    )
        .prop_map(
            |((id, start, len), (tag, exact, prefix, suffix), note, attrs, (created, modified))| {
                Span {
                    id,
                    start,
                    end: start + len,
                    tag,
                    exact,
                    prefix,
                    suffix,
                    note,
                    attrs,
                    created,
                    modified,
                }
            },
        )
}

fn layer() -> impl Strategy<Value = Layer> {
    (
        (
            any::<u32>(),
            tricky_string(),
            tricky_string(),
            any::<usize>(),
        ),
        (tricky_string(), status(), any::<u64>()),
        prop::collection::vec(span(), 0..8),
        prop::collection::vec((span(), tricky_string()), 0..3),
        prop::option::of((
            tricky_string(),
            prop::collection::btree_map(tricky_string(), tricky_string(), 0..3),
        )),
    )
        .prop_map(
            |(
                (format, text, text_sha256, text_chars),
                (annotator, status, next_id),
                spans,
                orphans,
                source,
            )| {
                Layer {
                    format,
                    text,
                    text_sha256,
                    text_chars,
                    annotator,
                    status,
                    next_id,
                    spans,
                    orphans: orphans
                        .into_iter()
                        .map(|(span, old_text_sha256)| Orphan {
                            span,
                            old_text_sha256,
                        })
                        .collect(),
                    relations: Vec::new(),
                    source: source.map(|(format, fields)| SourceRecord { format, fields }),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_layer_round_trips_through_ron(mut layer in layer()) {
        // Reading normalises (spans sorted, next_id above every id), so compare normalised.
        layer.normalize();
        let ron = layer.to_ron();
        let back = Layer::from_ron(&ron);
        prop_assert!(back.is_ok(), "does not parse back: {:?}\n{ron}", back.err());
        let back = back.unwrap();
        prop_assert_eq!(&back, &layer);
        prop_assert_eq!(back.to_ron(), ron);
    }

    #[test]
    fn saving_to_disk_and_loading_gives_the_same_layer_and_bytes(mut layer in layer()) {
        layer.normalize();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("annotations/editor-a/seeds/x.ron");
        marginalia::model::layer::save_layer(&path, &layer).unwrap();
        let first = std::fs::read(&path).unwrap();
        let (loaded, _) = marginalia::model::layer::load_layer(&path).unwrap().unwrap();
        prop_assert_eq!(&loaded, &layer);
        marginalia::model::layer::save_layer(&path, &loaded).unwrap();
        prop_assert_eq!(std::fs::read(&path).unwrap(), first);
    }

    #[test]
    fn span_order_in_memory_does_not_change_the_bytes(layer in layer(), seed in any::<u64>()) {
        let mut shuffled = layer.clone();
        // A deterministic shuffle: rotate by the seed.
        if !shuffled.spans.is_empty() {
            let k = (seed as usize) % shuffled.spans.len();
            shuffled.spans.rotate_left(k);
        }
        prop_assert_eq!(shuffled.to_ron(), layer.to_ron());
    }
}

#[test]
fn every_shipped_file_resaves_to_identical_bytes() {
    let ws = Workspace::open(&repo()).unwrap();
    let mut n = 0;
    for name in ws.layer_names() {
        for (_, path) in ws.layer_files(&name) {
            let bytes = std::fs::read_to_string(&path).unwrap();
            let layer = Layer::from_ron(&bytes).unwrap();
            assert_eq!(
                layer.to_ron(),
                bytes,
                "{} is not in canonical form",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n >= 10, "only {n} shipped files");
}

#[test]
fn shipped_files_are_written_in_span_order_with_unique_never_reused_ids() {
    let ws = Workspace::open(&repo()).unwrap();
    for name in ws.layer_names() {
        for (_, path) in ws.layer_files(&name) {
            let (layer, _) = marginalia::model::layer::load_layer(&path)
                .unwrap()
                .unwrap();
            let keys: Vec<_> = layer.spans.iter().map(Span::sort_key).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted, "{}", path.display());
            let max = layer.spans.iter().map(|s| s.id).max().unwrap_or(0);
            assert!(layer.next_id > max, "{}", path.display());
        }
    }
}

#[test]
fn strings_are_escaped_as_format_md_says() {
    let text = Text::from_string("a\u{a0}b\tc\nd \"e\" \\ “f”");
    let mut layer = Layer::new("x.txt", &text, "editor-a");
    let id = layer.take_id();
    layer.spans.push(marginalia::model::layer::make_span(
        &text,
        id,
        0,
        text.char_len(),
        "quote",
        "2026-11-20T09:00:00Z",
    ));
    let ron = layer.to_ron();
    assert!(
        ron.contains(r#"exact: "a\u{a0}b\tc\nd \"e\" \\ “f”","#),
        "{ron}"
    );
    assert!(ron.ends_with(")\n"));
    assert!(!ron.contains("orphans"), "empty orphans must be left out");
    assert!(ron.contains("attrs: {},"));
}

#[test]
fn format_doc_example_is_a_valid_layer() {
    let doc = std::fs::read_to_string(repo().join("docs/FORMAT.md")).unwrap();
    let start = doc
        .find("```ron\n(\n    format: 1,")
        .expect("example in FORMAT.md")
        + "```ron\n".len();
    let len = doc[start..].find("```").unwrap();
    let example = Layer::from_ron(&doc[start..start + len]).expect("the example parses");
    let text = Text::load(&repo().join(&example.text)).unwrap();
    assert_eq!(
        example.problems(Some(&text), &TagSet::default()),
        vec![],
        "the example does not match its seed"
    );
    // Every span of the example is, field for field, in the shipped file it quotes.
    let shipped_path = repo()
        .join("annotations")
        .join(&example.annotator)
        .join(example.text.replace(".txt", ".ron"));
    let (shipped, _) = marginalia::model::layer::load_layer(&shipped_path)
        .unwrap()
        .unwrap();
    assert_eq!(example.next_id, shipped.next_id);
    assert_eq!(example.text_sha256, shipped.text_sha256);
    for s in &example.spans {
        assert_eq!(
            shipped.span(s.id),
            Some(s),
            "span {} differs from the shipped file",
            s.id
        );
    }
    for r in &example.relations {
        assert_eq!(
            shipped.relation(r.id),
            Some(r),
            "relation {} differs from the shipped file",
            r.id
        );
    }
    let by_id: BTreeMap<u64, &Span> = example.spans.iter().map(|s| (s.id, s)).collect();
    // The example shows a nested pair: an error inside a quote.
    assert!(
        by_id
            .values()
            .any(|outer| by_id.values().any(|inner| outer.id != inner.id
                && outer.start <= inner.start
                && inner.end <= outer.end
                && outer.tag != inner.tag))
    );
}
