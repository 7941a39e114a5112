//! Selections snap to whole words and never split a grapheme cluster, on emoji (ZWJ sequences,
//! flags, skin tones), combining accents, CJK and right-to-left text. The property tests compare
//! against the grapheme boundaries `unicode-segmentation` reports for the whole text.

use std::collections::BTreeSet;

use marginalia::{CharRange, Text};
use proptest::prelude::*;
use unicode_segmentation::UnicodeSegmentation;

/// Char offsets of every grapheme-cluster boundary in `s`, including 0 and the end.
fn grapheme_boundaries(s: &str) -> BTreeSet<usize> {
    let mut out = BTreeSet::from([0]);
    let mut c = 0;
    for g in s.graphemes(true) {
        c += g.chars().count();
        out.insert(c);
    }
    out
}

const FAMILY: &str = "👨\u{200d}👩\u{200d}👧\u{200d}👦";
const FLAG_FR: &str = "🇫🇷";
const THUMB_DARK: &str = "👍🏿";
const E_ACUTE: &str = "e\u{301}";

/// Pieces that make grapheme and word segmentation interesting.
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "Putin",
        "a",
        "e\u{301}",
        "n\u{303}\u{323}",
        FAMILY,
        FLAG_FR,
        "🇺🇦",
        THUMB_DARK,
        "👩🏽\u{200d}💻",
        "東京都",
        "に",
        "行く",
        "北京",
        "שלום",
        "עולם",
        "مرحبا",
        "بالعالم",
        "\u{200f}",
        "\u{200e}",
        " ",
        "  ",
        "\n",
        "\r\n",
        "\u{a0}",
        ".",
        ",",
        "’",
        "“",
        "”",
        "—",
        "-",
        "100,000",
        "2:46",
        "\u{301}",
        "\u{200d}",
        "\u{fe0f}",
        "😀",
        "ก\u{e31}",
        "क\u{94d}ष",
    ])
}

fn text_and_range() -> impl Strategy<Value = (String, usize, usize)> {
    prop::collection::vec(piece(), 1..24)
        .prop_map(|v| v.concat())
        .prop_flat_map(|s| {
            let n = s.chars().count();
            (Just(s), 0..=n, 0..=n)
        })
}

fn trimmed(t: &Text, a: usize, b: usize) -> Option<(usize, usize)> {
    let chars: Vec<char> = t.as_str().chars().collect();
    let (mut s, mut e) = (a.min(b), a.max(b));
    while s < e && chars[s].is_whitespace() {
        s += 1;
    }
    while e > s && chars[e - 1].is_whitespace() {
        e -= 1;
    }
    (s < e).then_some((s, e))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn snap_to_graphemes_never_splits_a_cluster_and_contains_the_input((s, a, b) in text_and_range()) {
        let t = Text::from_string(&s);
        let bounds = grapheme_boundaries(&s);
        let CharRange { start: lo, end: hi } = t.snap_to_graphemes(a, b);
        prop_assert!(lo <= a.min(b) && hi >= a.max(b), "{lo}..{hi} does not contain {a}..{b}");
        prop_assert!(bounds.contains(&lo), "start {lo} splits a grapheme in {s:?}");
        prop_assert!(bounds.contains(&hi), "end {hi} splits a grapheme in {s:?}");
        // Outward to the nearest boundary, not further.
        let nearest_lo = *bounds.range(..=a.min(b)).next_back().unwrap();
        let nearest_hi = *bounds.range(a.max(b)..).next().unwrap();
        prop_assert_eq!((lo, hi), (nearest_lo, nearest_hi));
    }

    #[test]
    fn snap_to_words_never_splits_a_cluster_and_contains_the_non_space_input((s, a, b) in text_and_range()) {
        let t = Text::from_string(&s);
        let bounds = grapheme_boundaries(&s);
        let n = t.char_len();
        let CharRange { start: lo, end: hi } = t.snap_to_words(a, b);
        prop_assert!(lo <= hi && hi <= n);
        prop_assert!(bounds.contains(&lo), "start {lo} splits a grapheme in {s:?} ({a}..{b})");
        prop_assert!(bounds.contains(&hi), "end {hi} splits a grapheme in {s:?} ({a}..{b})");
        if a != b {
            match trimmed(&t, a, b) {
                // Whitespace at the ends of a drag is dropped; everything else is kept.
                Some((ts, te)) => prop_assert!(lo <= ts && hi >= te,
                    "{lo}..{hi} does not contain {ts}..{te} of {s:?}"),
                None => prop_assert!(lo <= a.min(b) && hi >= a.max(b)),
            }
        }
    }

    #[test]
    fn word_and_grapheme_steps_land_on_cluster_boundaries((s, a, _b) in text_and_range()) {
        let t = Text::from_string(&s);
        let bounds = grapheme_boundaries(&s);
        let next = t.next_grapheme(a);
        let prev = t.prev_grapheme(a);
        prop_assert!(bounds.contains(&next) && bounds.contains(&prev));
        prop_assert!(prev <= a && (next > a || a == t.char_len()));
        if let Some(CharRange { start: ws, end: we }) = t.word_at(a.min(t.char_len().saturating_sub(1))) {
            prop_assert!(bounds.contains(&ws) && bounds.contains(&we), "word_at splits a grapheme in {s:?}");
        }
    }
}

#[test]
fn emoji_sequences_stay_whole() {
    let s = format!("Hi {FAMILY} and {FLAG_FR} and {THUMB_DARK}!");
    let t = Text::from_string(&s);
    let fam = 3;
    let fam_end = fam + FAMILY.chars().count(); // 7 chars: 4 people, 3 joiners
    assert_eq!(fam_end - fam, 7);
    // Any cut inside the family emoji grows to the whole sequence.
    for i in fam + 1..fam_end {
        assert_eq!(t.snap_to_graphemes(i, i + 1).start, fam, "start at {i}");
        assert_eq!(t.snap_to_graphemes(fam, i).end, fam_end, "end at {i}");
    }
    let flag = s.chars().position(|c| c == '🇫').unwrap();
    assert_eq!(
        t.snap_to_graphemes(flag + 1, flag + 2),
        CharRange::new(flag, flag + 2)
    );
    let thumb = s.chars().position(|c| c == '👍').unwrap();
    // Cutting between the thumb and its skin-tone modifier keeps both.
    assert_eq!(
        t.snap_to_graphemes(thumb, thumb + 1),
        CharRange::new(thumb, thumb + 2)
    );
    assert_eq!(t.slice(thumb, thumb + 2), THUMB_DARK);
}

#[test]
fn combining_accents_stay_with_their_letter() {
    let s = format!("caf{E_ACUTE} r{E_ACUTE}sum{E_ACUTE}");
    let t = Text::from_string(&s);
    // "café" is 5 chars: c a f e U+0301.
    assert_eq!(t.snap_to_graphemes(0, 4), CharRange::new(0, 5));
    assert_eq!(t.snap_to_words(1, 2), CharRange::new(0, 5));
    assert_eq!(t.slice(0, 5), format!("caf{E_ACUTE}"));
    assert_eq!(t.snap_to_words(7, 8), CharRange::new(6, 14));
    assert_eq!(t.slice(6, 14), format!("r{E_ACUTE}sum{E_ACUTE}"));
}

#[test]
fn cjk_words_snap_inside_the_run_and_on_char_boundaries() {
    let t = Text::from_string("東京都に行く。北京");
    let CharRange { start: s, end: e } = t.snap_to_words(1, 2);
    assert!(s <= 1 && (2..=7).contains(&e), "({s}, {e})");
    assert!(!t.slice(s, e).contains('。'));
    // Selecting from the second sentence never reaches back across the full stop.
    let CharRange { start: s, end: e } = t.snap_to_words(8, 9);
    assert!(s >= 7 && e == 9, "({s}, {e})");
}

#[test]
fn rtl_words_snap_in_logical_order() {
    // Offsets are logical (storage) order, whatever the display direction.
    let t = Text::from_string("قال بوتين: مرحبا بالعالم");
    let CharRange { start: s, end: e } = t.snap_to_words(5, 6);
    assert_eq!(t.slice(s, e), "بوتين");
    let t = Text::from_string("שלום עולם, Putin said");
    assert_eq!(t.snap_to_words(6, 7), CharRange::new(5, 9));
    assert_eq!(t.slice(5, 9), "עולם");
    assert_eq!(t.word_at(0), Some(CharRange::new(0, 4)));
}

#[test]
fn drag_over_a_phrase_snaps_to_whole_words_and_drops_outer_spaces() {
    let t = Text::from_string("the voltage remains live in recent hours");
    // "ltage remains li" → "voltage remains live"
    let CharRange { start: s, end: e } = t.snap_to_words(6, 22);
    assert_eq!(t.slice(s, e), "voltage remains live");
    // " remains " → "remains"
    let CharRange { start: s, end: e } = t.snap_to_words(11, 20);
    assert_eq!(t.slice(s, e), "remains");
}

/// Found by the property test above: a caret between the `\r` and `\n` of CRLF stayed there.
#[test]
fn caret_inside_crlf_moves_to_the_start_of_the_line_break() {
    let t = Text::from_string("a\r\nb");
    assert_eq!(t.snap_to_words(2, 2), CharRange::new(1, 1));
    assert_eq!(t.snap_to_graphemes(2, 2), CharRange::new(1, 3));
    assert_eq!(t.snap_to_words(1, 3), CharRange::new(1, 3));
}
