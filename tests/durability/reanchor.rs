//! Re-anchoring: real edits to the seeds re-anchor every span (kept, moved, fuzzy, orphaned),
//! and the file on disk says so; `marginalia reanchor` does it for a whole workspace.

use std::path::{Path, PathBuf};

use marginalia::cli::{Command, run_command};
use marginalia::model::layer::Layer;
use marginalia::session::engine::Editing;
use marginalia::{Document, TagSet, Text, Workspace};

use crate::support::files::{copy_dir, copy_workspace};
use crate::support::process::run_in_process;

const SEED: &str = "seeds/000_b78fa013a4a69998.txt";

/// A temp workspace holding a copy of the seeds (and the shipped annotations, if any).
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = copy_workspace();
    let root = dir.path().to_path_buf();
    (dir, root)
}

/// A temp workspace with the seeds and no annotations, for exact workspace-wide counts.
fn bare_workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds"),
        &root.join("seeds"),
    );
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    (dir, root)
}

fn chars_of(text: &Text, phrase: &str) -> (usize, usize) {
    let b = text
        .as_str()
        .find(phrase)
        .unwrap_or_else(|| panic!("{phrase:?} not in text"));
    let s = text.char_of_byte(b);
    (s, s + phrase.chars().count())
}

const PHRASES: [(&str, &str); 5] = [
    (
        "After the russia-France presidential meeting",
        "boilerplate",
    ),
    ("do you want a Franco-Russian war?", "quote"),
    (
        "German Chancellor Wolfgang Schorz at the White House",
        "error",
    ),
    (
        "Russia is one of the world’s leading nuclear powers, and no one wins.",
        "quote",
    ),
    ("British Foreign Secretary Mark Truss", "error"),
];

/// Annotates the seed with `editor-t`'s spans over [`PHRASES`] and saves. Returns the layer path.
fn annotate(root: &Path) -> PathBuf {
    let ws = Workspace::open(root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-t", false).unwrap();
    for (phrase, tag) in PHRASES {
        let (s, e) = chars_of(doc.text(), phrase);
        doc.add_span(s, e, tag).unwrap();
    }
    doc.save_now().unwrap();
    doc.layer_path().to_path_buf()
}

fn edit_seed(root: &Path, f: impl FnOnce(&str) -> String) -> Text {
    let p = root.join(SEED);
    let old = std::fs::read_to_string(&p).unwrap();
    let new = f(&old);
    assert_ne!(old, new);
    std::fs::write(&p, new.as_bytes()).unwrap();
    Text::load(&p).unwrap()
}

/// Reopens the document (which re-anchors and saves) and returns the summary line and the
/// layer as now on disk.
fn reopen(root: &Path, layer_path: &Path) -> (String, Layer, Text) {
    let ws = Workspace::open(root).unwrap();
    let doc = Document::open(&ws, SEED, "editor-t", false).unwrap();
    let summary = doc
        .reanchor_summary()
        .expect("the text changed")
        .to_string();
    assert!(!doc.has_unsaved(), "re-anchoring is saved at once");
    let on_disk = Layer::from_ron(&std::fs::read_to_string(layer_path).unwrap()).unwrap();
    let text = Text::load(&root.join(SEED)).unwrap();
    // The file records the new text and is valid against it.
    assert_eq!(on_disk.text_sha256, text.sha256());
    assert_eq!(on_disk.text_chars, text.char_len());
    assert!(on_disk.problems(Some(&text), &TagSet::default()).is_empty());
    for s in &on_disk.spans {
        assert_eq!(text.slice(s.start, s.end), s.exact);
    }
    // Nothing was lost: every span is a span or an orphan.
    assert_eq!(on_disk.spans.len() + on_disk.orphans.len(), PHRASES.len());
    (summary, on_disk, text)
}

fn span_with<'a>(layer: &'a Layer, phrase: &str) -> &'a marginalia::Span {
    layer
        .spans
        .iter()
        .find(|s| s.exact == phrase)
        .unwrap_or_else(|| panic!("no span {phrase:?} in {layer:#?}"))
}

#[test]
fn text_inserted_before_the_spans_moves_them_all() {
    let (_dir, root) = workspace();
    let path = annotate(&root);
    let before = Layer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let insert = "Editor’s note: this article was corrected on 9 February.\n\n";
    let text = edit_seed(&root, |t| format!("{insert}{t}"));
    let (summary, layer, _) = reopen(&root, &path);
    assert_eq!(
        summary,
        "text changed: 0 kept, 5 moved, 0 fuzzy, 0 orphaned"
    );
    let shift = insert.chars().count();
    for old in &before.spans {
        let new = layer.span(old.id).unwrap();
        assert_eq!((new.start, new.end), (old.start + shift, old.end + shift));
        assert_eq!(new.exact, old.exact);
        assert!(!new.attrs.contains_key("marginalia:anchor"));
    }
    // The first span's prefix now holds the note it follows.
    assert!(layer.span(1).unwrap().prefix.ends_with("February.\n\n"));
    let _ = text;
}

#[test]
fn a_word_fixed_inside_a_span_gives_a_fuzzy_span() {
    let (_dir, root) = workspace();
    let path = annotate(&root);
    edit_seed(&root, |t| {
        t.replacen(
            "Wolfgang Schorz at the White",
            "Olaf Scholz at the White",
            1,
        )
    });
    let (summary, layer, _) = reopen(&root, &path);
    assert_eq!(
        summary,
        "text changed: 3 kept, 1 moved, 1 fuzzy, 0 orphaned"
    );
    let fixed = span_with(&layer, "German Chancellor Olaf Scholz at the White House");
    assert_eq!(
        fixed.attrs.get("marginalia:anchor").map(String::as_str),
        Some("fuzzy")
    );
    assert_eq!(fixed.tag, "error");
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(raw.contains("\"marginalia:anchor\": \"fuzzy\""), "{raw}");
    // The annotator confirms it: the flag goes; undo brings it back.
    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-t", false).unwrap();
    assert!(doc.confirm_anchor(fixed.id));
    doc.save_now().unwrap();
    assert!(
        !std::fs::read_to_string(&path)
            .unwrap()
            .contains("\"marginalia:anchor\"")
    );
    doc.undo();
    doc.save_now().unwrap();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("\"marginalia:anchor\": \"fuzzy\"")
    );
}

#[test]
fn a_spans_sentence_deleted_makes_an_orphan_that_can_be_reattached_or_deleted() {
    let (_dir, root) = workspace();
    let path = annotate(&root);
    let gone = "”Russia is one of the world’s leading nuclear powers, and no one wins.”";
    let old_text = Text::load(&root.join(SEED)).unwrap();
    let (old_start, old_end) = chars_of(
        &old_text,
        "Russia is one of the world’s leading nuclear powers, and no one wins.",
    );
    edit_seed(&root, |t| t.replacen(gone, "", 1));
    let (summary, layer, text) = reopen(&root, &path);
    assert_eq!(
        summary,
        "text changed: 2 kept, 2 moved, 0 fuzzy, 1 orphaned"
    );
    assert_eq!(layer.orphans.len(), 1);
    let orphan = &layer.orphans[0];
    assert_eq!(orphan.span.exact, PHRASES[3].0);
    assert_eq!((orphan.span.start, orphan.span.end), (old_start, old_end));
    assert_eq!(orphan.old_text_sha256, old_text.sha256());
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(raw.contains("orphans: ["), "{raw}");

    // Re-attach it to a new selection, undo, then delete it, undo: the file follows each step.
    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-t", false).unwrap();
    assert!(doc.reanchor_summary().is_none(), "already re-anchored");
    let id = doc.orphans()[0].span.id;
    assert!(!text.as_str().contains("no one wins"));
    let (s2, e2) = chars_of(&text, "Putin told reporters");
    assert!(doc.reattach_orphan(id, s2, e2));
    doc.save_now().unwrap();
    let on_disk = Layer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(on_disk.orphans.is_empty());
    let back = on_disk.span(id).unwrap();
    assert_eq!(
        (back.exact.as_str(), back.tag.as_str()),
        ("Putin told reporters", "quote")
    );
    doc.undo();
    doc.save_now().unwrap();
    let on_disk = Layer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(on_disk.orphans.len(), 1);
    assert!(on_disk.span(id).is_none());
    assert!(doc.delete_orphan(id));
    doc.save_now().unwrap();
    let on_disk = Layer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(on_disk.orphans.is_empty() && on_disk.span(id).is_none());
    doc.undo();
    doc.save_now().unwrap();
    let on_disk = Layer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(on_disk.orphans[0].span.exact, PHRASES[3].0);
    // Its id is never reused.
    let new_id = doc.add_span(0, 5, "claim").unwrap();
    assert!(new_id > id);
}

#[test]
fn a_duplicated_paragraph_is_resolved_by_context_not_closeness() {
    let (_dir, root) = workspace();
    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-t", false).unwrap();
    // A span at the very start of the second paragraph: its prefix is the end of the first.
    let (s, e) = chars_of(doc.text(), "French President Emmanuel Macron");
    let id = doc.add_span(s, e, "claim").unwrap();
    doc.save_now().unwrap();
    let path = doc.layer_path().to_path_buf();
    drop(doc);
    // The second paragraph is duplicated at the top of the text. The copy is closer to the old
    // offset than the original is (the first paragraph is shorter than the second), but its
    // prefix (nothing) does not match.
    let mut paragraph = String::new();
    edit_seed(&root, |t| {
        paragraph = t.split("\n\n").nth(1).unwrap().to_owned();
        format!("{paragraph}\n\n{t}")
    });
    let ws = Workspace::open(&root).unwrap();
    let doc = Document::open(&ws, SEED, "editor-t", false).unwrap();
    assert_eq!(
        doc.reanchor_summary().unwrap().to_string(),
        "text changed: 0 kept, 1 moved, 0 fuzzy, 0 orphaned"
    );
    let on_disk = Layer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let span = on_disk.span(id).unwrap();
    let shift = paragraph.chars().count() + 2;
    assert!(shift > s, "the copy at 0 is the closer one");
    assert_eq!((span.start, span.end), (s + shift, e + shift));
}

#[test]
fn the_whole_text_reflowed_with_crlf_keeps_every_span() {
    let (_dir, root) = workspace();
    let path = annotate(&root);
    let before = Layer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let old_text = Text::load(&root.join(SEED)).unwrap();
    edit_seed(&root, |t| t.replace('\n', "\r\n"));
    let (summary, layer, text) = reopen(&root, &path);
    // The first two spans are on the first line: same offsets. The rest follow two extra chars.
    assert_eq!(
        summary,
        "text changed: 2 kept, 3 moved, 0 fuzzy, 0 orphaned"
    );
    for old in &before.spans {
        let new = layer.span(old.id).unwrap();
        assert_eq!(new.exact, old.exact);
        let newlines_before = old_text.slice(0, old.start).matches('\n').count();
        assert_eq!(new.start, old.start + newlines_before, "{}", old.exact);
    }
    assert!(text.as_str().contains("\r\n"));
}

#[test]
fn reanchor_command_dry_run_writes_nothing_then_fixes_every_layer() {
    let (_dir, root) = bare_workspace();
    let path = annotate(&root);
    // A second annotator's layer on the same text, and a curated one.
    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-u", false).unwrap();
    let (s, e) = chars_of(doc.text(), "do you want a Franco-Russian war?");
    doc.add_span(s, e, "quote").unwrap();
    doc.save_now().unwrap();
    // A curated layer is a layer file with annotator "curated" (review mode writes it).
    let curated = ws.layer_path("curated", SEED).unwrap();
    std::fs::create_dir_all(curated.parent().unwrap()).unwrap();
    let src = std::fs::read_to_string(doc.layer_path()).unwrap();
    std::fs::write(
        &curated,
        src.replace("annotator: \"editor-u\"", "annotator: \"curated\""),
    )
    .unwrap();
    edit_seed(&root, |t| format!("UPDATED\n{t}"));
    let snapshot = |name: &str| std::fs::read(ws.layer_path(name, SEED).unwrap()).unwrap();
    let before: Vec<Vec<u8>> = ["editor-t", "editor-u", "curated"].map(snapshot).to_vec();

    let (mut out, mut err) = (Vec::new(), Vec::new());
    let cmd = Command::Reanchor {
        path: Some(root.clone()),
        dry_run: true,
    };
    let code = run_command(cmd, &mut out, &mut err);
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{out}{}", String::from_utf8_lossy(&err));
    assert!(out.contains("editor-t/seeds/000_b78fa013a4a69998.ron: text changed: 0 kept, 5 moved, 0 fuzzy, 0 orphaned"), "{out}");
    assert!(
        out.contains("curated/seeds/000_b78fa013a4a69998.ron: text changed: 0 kept, 1 moved"),
        "{out}"
    );
    assert!(out.contains("dry run, nothing written"), "{out}");
    let after: Vec<Vec<u8>> = ["editor-t", "editor-u", "curated"].map(snapshot).to_vec();
    assert_eq!(before, after, "a dry run writes nothing");

    let (mut out, mut err) = (Vec::new(), Vec::new());
    let cmd = Command::Reanchor {
        path: Some(root.clone()),
        dry_run: false,
    };
    assert_eq!(run_command(cmd, &mut out, &mut err), 0);
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("3 of 3 annotation files re-anchored (0 kept, 7 moved"),
        "{out}"
    );
    let text = Text::load(&root.join(SEED)).unwrap();
    for name in ["editor-t", "editor-u", "curated"] {
        let layer = Layer::from_ron(&String::from_utf8(snapshot(name)).unwrap()).unwrap();
        assert_eq!(layer.text_sha256, text.sha256(), "{name}");
    }
    let _ = path;
    // Now the workspace validates, and a second run has nothing to do.
    let (mut vout, mut verr) = (Vec::new(), Vec::new());
    let code = run_command(
        Command::Validate {
            path: Some(root.clone()),
        },
        &mut vout,
        &mut verr,
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&vout));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let cmd = Command::Reanchor {
        path: Some(root.clone()),
        dry_run: false,
    };
    assert_eq!(run_command(cmd, &mut out, &mut err), 0);
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("0 of 3 annotation files re-anchored")
    );
}

#[test]
fn shipped_annotations_survive_an_edited_seed_without_loss() {
    // Uses the shipped annotations when the repository has them, else a layer of our own.
    let (_dir, root) = workspace();
    let _ = annotate(&root);
    let ws = Workspace::open(&root).unwrap();
    let names = ws.layer_names();
    let count = |ws: &Workspace| -> usize {
        names
            .iter()
            .flat_map(|n| ws.layer_files(n))
            .map(|(_, p)| {
                let l = Layer::from_ron(&std::fs::read_to_string(p).unwrap()).unwrap();
                l.spans.len() + l.orphans.len()
            })
            .sum()
    };
    let before = count(&ws);
    for t in ws.texts() {
        let old = std::fs::read_to_string(&t.path).unwrap();
        let new = format!(
            "Updated.\r\n{}",
            old.replace('\n', "\r\n")
                .replacen("Putin", "Vladimir Putin", 1)
        );
        std::fs::write(&t.path, new).unwrap();
    }
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let cmd = Command::Reanchor {
        path: Some(root.clone()),
        dry_run: false,
    };
    assert_eq!(
        run_command(cmd, &mut out, &mut err),
        0,
        "{}",
        String::from_utf8_lossy(&err)
    );
    assert_eq!(count(&ws), before, "{}", String::from_utf8_lossy(&out));
    let (mut vout, mut verr) = (Vec::new(), Vec::new());
    let code = run_command(
        Command::Validate {
            path: Some(root.clone()),
        },
        &mut vout,
        &mut verr,
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&vout));
}

#[test]
fn reanchoring_a_ten_megabyte_text_is_bounded() {
    // A 10 MB text of words from the seeds in a pseudo-random order (so a 60-char span is
    // unique); 200 spans; then a line inserted at the top and one char changed in every other
    // span.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seed = std::fs::read_to_string(repo.join(SEED)).unwrap();
    let words: Vec<&str> = seed.split_whitespace().collect();
    let mut big = String::new();
    let mut x: u64 = 42;
    while big.len() < 10_000_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        big.push_str(words[(x >> 33) as usize % words.len()]);
        big.push(if x.is_multiple_of(17) { '\n' } else { ' ' });
    }
    let old = Text::from_string(&big);
    let mut layer = Layer::new("big.txt", &old, "editor-a");
    let step = old.char_len() / 200;
    let mut starts = Vec::new();
    for i in 0..200 {
        let s = i * step + 11;
        let id = layer.take_id();
        layer.spans.push(marginalia::model::layer::make_span(
            &old,
            id,
            s,
            s + 60,
            "claim",
            "",
        ));
        starts.push(s);
    }
    // Change one char in the middle of every other span, so it needs a fuzzy match.
    let mut chars: Vec<char> = big.chars().collect();
    for (i, s) in starts.iter().enumerate() {
        if i % 2 == 0 {
            chars[s + 30] = '#';
        }
    }
    let new_s: String = std::iter::once("A new first line.\n".to_string())
        .chain(std::iter::once(chars.into_iter().collect::<String>()))
        .collect();
    let new = Text::from_string(&new_s);
    let t0 = std::time::Instant::now();
    let summary = marginalia::model::reanchor::reanchor_layer(&mut layer, &new).unwrap();
    eprintln!(
        "re-anchoring 200 spans on a {} MB text took {:?}: {summary}",
        new_s.len() / 1_000_000,
        t0.elapsed()
    );
    assert_eq!(
        summary.kept + summary.moved + summary.fuzzy + summary.orphaned,
        200
    );
    assert_eq!(summary.fuzzy, 100, "{summary}");
    assert_eq!(summary.orphaned, 0, "{summary}");
    for s in &layer.spans {
        assert_eq!(new.slice(s.start, s.end), s.exact);
    }
}

const SEED_003: &str = "seeds/003_2bc22f07f8fd66ef.txt";
const CHROME: &str = "Please use Chrome browser for a more accessible video player";

/// Reopens `rel` as `annotator` (re-anchoring and saving) and returns the summary, the layer
/// before (as shipped) and after (as on disk), and the new text.
fn reopen_shipped(root: &Path, rel: &str, annotator: &str) -> (String, Layer, Layer, Text) {
    let ws = Workspace::open(root).unwrap();
    let path = ws.layer_path(annotator, rel).unwrap();
    let before = Layer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let doc = Document::open(&ws, rel, annotator, false).unwrap();
    let summary = doc
        .reanchor_summary()
        .expect("the text changed")
        .to_string();
    drop(doc);
    let after = Layer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let text = Text::load(&root.join(rel)).unwrap();
    for s in &after.spans {
        assert_eq!(text.slice(s.start, s.end), s.exact);
    }
    assert_eq!(
        after.spans.len() + after.orphans.len(),
        before.spans.len() + before.orphans.len()
    );
    (summary, before, after, text)
}

/// Spans that were on different ranges before are on different ranges after.
fn assert_no_two_old_ranges_share_a_place(before: &Layer, after: &Layer) {
    let old = |id: u64| {
        let s = before.span(id).unwrap();
        (s.start, s.end)
    };
    for a in &after.spans {
        for b in &after.spans {
            if a.id < b.id && (a.start, a.end) == (b.start, b.end) {
                assert_eq!(
                    old(a.id),
                    old(b.id),
                    "spans #{} and #{} were on different words, now both on {:?} {:?}",
                    a.id,
                    b.id,
                    (a.start, a.end),
                    a.exact
                );
            }
        }
    }
}

fn anchor_flag(span: &marginalia::Span) -> Option<&str> {
    span.attrs.get("marginalia:anchor").map(String::as_str)
}

#[test]
fn reordered_paragraphs_with_a_repeated_line_keep_one_span_per_copy() {
    // Seed 003 repeats the "Please use Chrome browser…" line three times; editor-b tagged each
    // copy. The paragraphs are put in reverse order, so no copy keeps its neighbours.
    let (_dir, root) = workspace();
    let p = root.join(SEED_003);
    let old = std::fs::read_to_string(&p).unwrap();
    let paragraphs: Vec<&str> = old.split("\n\n").collect();
    let new: Vec<&str> = paragraphs.iter().rev().copied().collect();
    std::fs::write(&p, new.join("\n\n")).unwrap();
    for annotator in ["editor-a", "editor-b"] {
        let (summary, before, after, text) = reopen_shipped(&root, SEED_003, annotator);
        assert_no_two_old_ranges_share_a_place(&before, &after);
        if annotator == "editor-b" {
            let copies: Vec<usize> = text
                .as_str()
                .match_indices(CHROME)
                .map(|(b, _)| text.char_of_byte(b))
                .collect();
            assert_eq!(copies.len(), 3);
            let mut on: Vec<usize> = after
                .spans
                .iter()
                .filter(|s| s.exact == CHROME)
                .map(|s| s.start)
                .collect();
            on.sort();
            assert_eq!(on, copies, "every copy of the line is still tagged once");
            // Neither neighbour of any copy is what it was: each placement is flagged for
            // the annotator to confirm, none is silently "moved".
            for s in after.spans.iter().filter(|s| s.exact == CHROME) {
                let flag = anchor_flag(s);
                assert!(
                    matches!(flag, Some("fuzzy" | "ambiguous")),
                    "span #{} on copy at {} is not flagged: {flag:?}",
                    s.id,
                    s.start
                );
            }
            assert_eq!(
                summary,
                "text changed: 0 kept, 25 moved, 3 fuzzy, 2 orphaned"
            );
        }
    }
}

const SCHORZ: &str = "Wolfgang Schorz";

/// The shipped layer's span on the first "Wolfgang Schorz" of seed 000 (editor-a's #19) and
/// the one on the second (the photo caption, #26).
fn schorz_spans(layer: &Layer) -> (u64, u64) {
    let mut ids: Vec<(usize, u64)> = layer
        .spans
        .iter()
        .filter(|s| s.exact == SCHORZ)
        .map(|s| (s.start, s.id))
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 2, "{ids:?}");
    (ids[0].1, ids[1].1)
}

#[test]
fn a_short_quote_whose_words_were_deleted_does_not_jump_onto_another_spans_copy() {
    // editor-a tagged both "Wolfgang Schorz" of seed 000. The first one's sentence loses the
    // name: that span must not land on the caption's copy, which has its own span.
    let (_dir, root) = workspace();
    edit_seed(&root, |t| {
        t.replacen(
            "German Chancellor Wolfgang Schorz at the White House",
            "German Chancellor at the White House",
            1,
        )
    });
    for annotator in ["editor-a", "editor-b"] {
        let (_, before, after, _) = reopen_shipped(&root, SEED, annotator);
        assert_no_two_old_ranges_share_a_place(&before, &after);
        let (first, caption) = schorz_spans(&before);
        // The caption's span stays on the caption, unflagged.
        let c = after.span(caption).unwrap();
        assert_eq!(c.exact, SCHORZ);
        assert!(
            c.prefix.ends_with("Joe Biden and German Chancellor "),
            "{c:#?}"
        );
        assert_eq!(anchor_flag(c), None);
        // The first one has nowhere to go: it is an orphan, kept for the annotator.
        assert!(after.span(first).is_none(), "{annotator}: {after:#?}");
        assert!(after.orphans.iter().any(|o| o.span.id == first));
    }
}

#[test]
fn a_short_quote_damaged_in_place_is_found_there_fuzzily_not_on_another_copy() {
    let (_dir, root) = workspace();
    edit_seed(&root, |t| {
        // The typo half fixed in the first sentence only.
        t.replacen(
            "Chancellor Wolfgang Schorz at the White",
            "Chancellor Wolfgang Scholz at the White",
            1,
        )
    });
    let (_, before, after, _) = reopen_shipped(&root, SEED, "editor-a");
    assert_no_two_old_ranges_share_a_place(&before, &after);
    let (first, caption) = schorz_spans(&before);
    let f = after.span(first).unwrap();
    assert_eq!(f.exact, "Wolfgang Scholz");
    assert_eq!(anchor_flag(f), Some("fuzzy"));
    assert!(f.prefix.ends_with("talks with German Chancellor "));
    let c = after.span(caption).unwrap();
    assert!(c.prefix.ends_with("Joe Biden and German Chancellor "));
}

#[test]
fn a_short_quote_moved_to_a_copy_with_other_context_is_flagged_not_silently_moved() {
    // Only the first "Wolfgang Schorz" is tagged; its sentence loses the name. The caption's
    // copy is free, but neither its prefix nor its suffix is the span's: the span may go
    // there only flagged for the annotator to confirm.
    let (_dir, root) = bare_workspace();
    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-t", false).unwrap();
    let (s, e) = chars_of(doc.text(), SCHORZ);
    let id = doc.add_span(s, e, "error").unwrap();
    doc.save_now().unwrap();
    let path = doc.layer_path().to_path_buf();
    drop(doc);
    edit_seed(&root, |t| {
        t.replacen(
            "German Chancellor Wolfgang Schorz at the White House",
            "German Chancellor at the White House",
            1,
        )
    });
    let ws = Workspace::open(&root).unwrap();
    let doc = Document::open(&ws, SEED, "editor-t", false).unwrap();
    assert_eq!(
        doc.reanchor_summary().unwrap().to_string(),
        "text changed: 0 kept, 0 moved, 1 fuzzy, 0 orphaned"
    );
    drop(doc);
    let on_disk = Layer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let span = on_disk.span(id).unwrap();
    assert!(span.prefix.ends_with("Joe Biden and German Chancellor "));
    assert_eq!(anchor_flag(span), Some("fuzzy"));
}

#[test]
fn a_sentence_pasted_twice_makes_its_spans_ambiguous_and_the_cli_counts_them() {
    // The caption sentence appears twice in a row after a re-scrape, below a new first line:
    // a span inside it fits both copies equally well.
    let (_dir, root) = bare_workspace();
    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-t", false).unwrap();
    let caption = "U.S. President Joe Biden and German Chancellor Wolfgang Schorz discuss the \
                   Ukrainian border situation at the White House in Washington, D.C., Feb. 7, 2022.";
    let (cs, _) = chars_of(doc.text(), caption);
    let s = cs
        + "U.S. President Joe Biden and German Chancellor "
            .chars()
            .count();
    let id = doc
        .add_span(s, s + SCHORZ.chars().count(), "error")
        .unwrap();
    doc.save_now().unwrap();
    let path = doc.layer_path().to_path_buf();
    drop(doc);
    edit_seed(&root, |t| {
        format!(
            "Updated.\n{}",
            t.replacen(caption, &format!("{caption}{caption}"), 1)
        )
    });
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let cmd = Command::Reanchor {
        path: Some(root.clone()),
        dry_run: false,
    };
    assert_eq!(run_command(cmd, &mut out, &mut err), 0);
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("000_b78fa013a4a69998.ron: text changed: 0 kept, 0 moved, 0 fuzzy, 1 ambiguous, 0 orphaned"),
        "{out}"
    );
    assert!(
        out.contains("1 of 1 annotation files re-anchored (0 kept, 0 moved, 0 fuzzy, 1 ambiguous, 0 orphaned)"),
        "{out}"
    );
    let on_disk = Layer::from_ron(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let span = on_disk.span(id).unwrap();
    assert_eq!(span.exact, SCHORZ);
    assert_eq!(anchor_flag(span), Some("ambiguous"));
    // Confirming it removes the flag, like a fuzzy span's.
    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-t", false).unwrap();
    assert!(doc.confirm_anchor(id));
    doc.save_now().unwrap();
    assert!(
        !std::fs::read_to_string(&path)
            .unwrap()
            .contains("\"anchor\"")
    );
}

/// Re-anchoring the curated layer: `reanchor` on a changed text keeps the curated layer's whole
/// review record (each span's sources, reviewer, time and edited flag; the rejections, comments and
/// reviewed layers); before, it wrote the file back as a plain layer without them. And `suggest
/// --apply --layer curated` is refused: the curated layer is written by review.
#[test]
fn reanchor_keeps_the_curated_layers_review_record_and_suggest_cannot_write_it() {
    use marginalia::model::curated::{CuratedLayer, Rejection, ReviewComment, SourceRef};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agreement/team"),
        &root,
    );
    let rel = "texts/doc0.txt";
    let path = root.join("annotations/curated/texts/doc0.ron");
    let read = |p: &Path| CuratedLayer::from_ron(&std::fs::read_to_string(p).unwrap()).unwrap();
    // The fixture's record, with every kind of field filled in.
    let mut c = read(&path);
    let source = |layer: &str, id| SourceRef {
        layer: layer.into(),
        id,
    };
    c.spans[0].from = vec![source("ana", 1), source("ben", 2)];
    c.spans[1].edited = true;
    c.reviewed = vec!["ana".into(), "ben".into()];
    c.rejected.push(Rejection {
        from: source("ben", 7),
        start: 3,
        end: 9,
        tag: "claim".into(),
        exact: "ignored".into(),
        reason: "not a claim".into(),
        by: "lead".into(),
        at: "2026-12-01T09:00:00Z".into(),
    });
    c.comments.push(ReviewComment {
        start: 0,
        end: 4,
        about: vec![source("ana", 1)],
        text: "check the speaker".into(),
        by: "lead".into(),
        at: "2026-12-01T09:00:00Z".into(),
    });
    std::fs::write(&path, c.to_ron()).unwrap();
    let before = read(&path);
    let bytes_before = std::fs::read(&path).unwrap();

    let (code, _, err) = run_in_process(Command::Suggest {
        path: Some(root.clone()),
        layer: Some("curated".into()),
        sources: Vec::new(),
        json: false,
        apply: true,
        eval: false,
        against: None,
        timing: false,
        provider: None,
        providers: false,
        timeout: None,
        no_cache: false,
    });
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("curated layer is written by review"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes_before);

    let text_path = root.join(rel);
    let old = std::fs::read_to_string(&text_path).unwrap();
    std::fs::write(&text_path, format!("UPDATED\n{old}")).unwrap();
    let (code, out, err) = run_in_process(Command::Reanchor {
        path: Some(root.clone()),
        dry_run: false,
    });
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("curated/texts/doc0.ron: text changed: 0 kept, 10 moved"),
        "{out}"
    );
    let after = read(&path);
    assert_eq!(after.spans.len(), before.spans.len());
    for (a, b) in after.spans.iter().zip(&before.spans) {
        assert_eq!(a.span.id, b.span.id);
        assert_eq!(a.span.start, b.span.start + "UPDATED\n".chars().count());
        assert_eq!(
            (
                &a.span.exact,
                &a.from,
                &a.accepted_by,
                &a.accepted_at,
                a.edited
            ),
            (
                &b.span.exact,
                &b.from,
                &b.accepted_by,
                &b.accepted_at,
                b.edited
            ),
            "span {}",
            a.span.id
        );
    }
    assert_eq!(after.reviewed, before.reviewed);
    assert_eq!(after.rejected, before.rejected);
    assert_eq!(after.comments, before.comments);
    assert_eq!(after.status, before.status);
    let text = Text::load(&text_path).unwrap();
    assert_eq!(after.text_sha256, text.sha256());
    // Opened as a plain document, it cannot be written back without its record.
    let ws = Workspace::open(&root).unwrap();
    let doc = Document::open(&ws, rel, "curated", false).unwrap();
    assert!(doc.is_read_only());
    assert!(
        doc.read_only_reason()
            .unwrap()
            .contains("review mode writes")
    );
    let (code, out, _) = run_in_process(Command::Validate {
        path: Some(root.clone()),
    });
    assert_eq!(code, 0, "{out}");
}

/// Re-anchoring and merges: one clone re-scrapes the text and re-anchors while another adds spans
/// on the old text; git merges the layer file cleanly, so it records the new text but holds spans
/// whose words are not at their offsets. Before, `validate` said "does not match" and the window
/// could not open it. Now `reanchor` and opening the document find such a span again, keep one
/// whose words are gone as an orphan, and say so in one line.
#[test]
fn a_merged_layer_with_spans_made_on_the_old_text_is_re_anchored_not_refused() {
    let (_dir, root) = bare_workspace();
    let layer_path = annotate(&root);
    let old = Text::load(&root.join(SEED)).unwrap();
    let gone = "The two have spoken by phone five times since December, The Times said.";
    // Clone A: the re-scraped text, re-anchored.
    let new = edit_seed(&root, |t| format!("UPDATED\n{}", t.replace(gone, "")));
    let (code, out, err) = run_in_process(Command::Reanchor {
        path: Some(root.clone()),
        dry_run: false,
    });
    assert_eq!(code, 0, "{out}{err}");
    // Clone B's spans, made on the old text, as the merge joins them to A's file.
    let mut merged = Layer::from_ron(&std::fs::read_to_string(&layer_path).unwrap()).unwrap();
    assert_eq!(merged.text_sha256, new.sha256());
    let (s, e) = chars_of(&old, "Ukrainian President Volodymyr Zelensky");
    let b_found =
        marginalia::model::layer::make_span(&old, 100, s, e, "claim", "2026-12-02T10:00:00Z");
    let (s, e) = chars_of(&old, gone);
    let b_gone =
        marginalia::model::layer::make_span(&old, 101, s, e, "claim", "2026-12-02T10:00:00Z");
    merged.spans.push(b_found);
    merged.spans.push(b_gone);
    merged.normalize();
    std::fs::write(&layer_path, merged.to_ron()).unwrap();
    let (code, out, _) = run_in_process(Command::Validate {
        path: Some(root.clone()),
    });
    assert_eq!(code, 1, "the merged file does not match the text: {out}");
    assert!(
        out.contains(
            "as after a git merge: opening the document or `marginalia reanchor` finds it again"
        ),
        "{out}"
    );

    let said = "1 span re-anchored after a merge (they did not match the text); 1 could not be \
                found and is kept as orphaned";
    let (code, out, err) = run_in_process(Command::Reanchor {
        path: Some(root.clone()),
        dry_run: true,
    });
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("editor-t/seeds/000_b78fa013a4a69998.ron: {said}")),
        "{out}"
    );
    assert_eq!(
        Layer::from_ron(&std::fs::read_to_string(&layer_path).unwrap()).unwrap(),
        merged,
        "a dry run writes nothing"
    );

    // The window's way in: the document opens, re-anchored and saved, with one notice.
    let ws = Workspace::open(&root).unwrap();
    let mut doc = Document::open(&ws, SEED, "editor-t", false).unwrap();
    let summary = doc.reanchor_summary().expect("re-anchored");
    assert_eq!(summary.to_string(), said);
    assert_eq!(
        doc.take_notices(),
        vec![format!("{SEED}: {said}")],
        "one message"
    );
    let on_disk = Layer::from_ron(&std::fs::read_to_string(&layer_path).unwrap()).unwrap();
    assert_eq!(on_disk.spans.len(), PHRASES.len() + 1);
    for s in &on_disk.spans {
        assert_eq!(new.slice(s.start, s.end), s.exact, "span {}", s.id);
    }
    let found = on_disk.spans.iter().find(|s| s.id == 100).unwrap();
    assert_eq!(found.exact, "Ukrainian President Volodymyr Zelensky");
    assert_eq!(on_disk.orphans.len(), 1);
    assert_eq!(
        (on_disk.orphans[0].span.id, &*on_disk.orphans[0].span.exact),
        (101, gone)
    );
    let (code, out, _) = run_in_process(Command::Validate {
        path: Some(root.clone()),
    });
    assert_eq!(code, 0, "{out}");
}
