//! The visual order of right-to-left and mixed lines agrees with a renderer we did not write:
//! for each such line of the multilingual fixture, Pango (`pango-view --serialize-to`) lays
//! the line out, and the words stand in the same order, left to right, as in ours.
//!
//! CI installs `pango1.0-tools` and sets `MARGINALIA_PANGO_VIEW`; then a missing or failing
//! `pango-view` fails the test. Elsewhere it is used if it is on the PATH.

use std::ops::Range;
use std::process::Command;

use marginalia::model::bidi::{self, Direction};
use unicode_segmentation::UnicodeSegmentation as _;

use crate::support::files::repo;

/// The words (char ranges of letters and digits) of `line` in Pango's left-to-right order.
fn pango_words(pango: &str, line: &str, dir: &std::path::Path) -> Vec<Range<usize>> {
    let input = dir.join("line.txt");
    let out = dir.join("line.json");
    std::fs::write(&input, line).unwrap();
    let status = Command::new(pango)
        .args(["-q", "--serialize-to"])
        .arg(&out)
        .arg(&input)
        .status()
        .unwrap_or_else(|e| panic!("{pango} did not run: {e}"));
    assert!(status.success(), "{pango} failed on {line:?}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let lines = json["output"]["lines"].as_array().expect("Pango's lines");
    assert_eq!(lines.len(), 1, "Pango wrapped {line:?}");
    // Words by byte range, as Pango's runs count bytes.
    let mut words: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    let mut c = 0;
    for (b, w) in line.split_word_bound_indices() {
        let n = w.chars().count();
        if w.chars().any(char::is_alphanumeric) {
            words.push((b..b + w.len(), c..c + n));
        }
        c += n;
    }
    let mut order: Vec<Range<usize>> = Vec::new();
    for run in lines[0]["runs"].as_array().expect("Pango's runs") {
        let offset = run["offset"].as_u64().unwrap() as usize;
        let length = run["length"].as_u64().unwrap() as usize;
        let rtl = run["bidi-level"].as_u64().unwrap() % 2 == 1;
        let mut inside: Vec<Range<usize>> = words
            .iter()
            .filter(|(b, _)| b.start < offset + length && offset < b.end)
            .map(|(_, c)| c.clone())
            .collect();
        if rtl {
            inside.reverse();
        }
        for w in inside {
            if !order.contains(&w) {
                order.push(w);
            }
        }
    }
    order
}

#[test]
fn right_to_left_lines_read_in_pangos_order() {
    let required = std::env::var("MARGINALIA_PANGO_VIEW").ok();
    let pango = required.clone().unwrap_or_else(|| "pango-view".into());
    if required.is_none() && Command::new(&pango).arg("--version").output().is_err() {
        eprintln!("pango-view is not installed: the reference check is skipped");
        return;
    }
    let text =
        std::fs::read_to_string(repo().join("tests/fixtures/multilingual/world.txt")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for line in text.lines().filter(|l| bidi::needs_reordering(l)) {
        let ours = bidi::visual_words(line, Direction::Auto);
        let theirs = pango_words(&pango, line, dir.path());
        let show = |ws: &[Range<usize>]| -> Vec<String> {
            ws.iter()
                .map(|r| line.chars().skip(r.start).take(r.len()).collect())
                .collect()
        };
        assert_eq!(show(&ours), show(&theirs), "the words of {line:?}");
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} right-to-left lines");
}
