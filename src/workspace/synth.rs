//! Big, realistic, reproducible documents for benchmarks and manual testing, so that nobody has
//! to commit a 10 MB news dump.
//!
//! [`generate`] builds news-like paragraphs from the sentences of the five seed articles (compiled
//! in) with a seeded pseudo-random generator, then lays spans over them: most are disjoint runs
//! of one to six words, and a tenth nest inside, enclose or overlap another span. Tags come from
//! the default tag set and every span's `exact`, `prefix` and `suffix` are filled by
//! [`make_span`], so the layer validates against the text. The same [`SynthSpec`] always gives the
//! same bytes.
//!
//! [`write_workspace`] writes such a document as a workspace (`<dir>/big.txt` and
//! `<dir>/annotations/<annotator>/big.ron`); the hidden `marginalia synth` command calls it.

use std::path::{Path, PathBuf};

use crate::model::layer::{Layer, Span, Status, make_span};
use crate::model::range::CharRange;
use crate::model::tags::TagSet;
use crate::model::text::Text;
use crate::store::{self, StoreError};
use crate::workspace::rng::Rng;

/// The five seed articles, compiled in so the generator needs no files at run time.
const SEED_TEXTS: [&str; 5] = [
    include_str!("../../seeds/000_b78fa013a4a69998.txt"),
    include_str!("../../seeds/001_3e981e5bab7b45a2.txt"),
    include_str!("../../seeds/002_c14de4e8ffe1b554.txt"),
    include_str!("../../seeds/003_2bc22f07f8fd66ef.txt"),
    include_str!("../../seeds/004_2bdf081e938a524a.txt"),
];

/// The `created`/`modified` stamp of every generated span (fixed, so output is reproducible).
pub const SYNTH_TIMESTAMP: &str = "2026-11-21T00:00:00Z";

/// The text file name [`write_workspace`] uses.
pub const SYNTH_TEXT_NAME: &str = "big.txt";

/// What to generate: a size in bytes (UTF-8, approximate: the text ends at a paragraph break at
/// or just under it), a span count (exact when the text has enough words) and a seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthSpec {
    pub bytes: usize,
    pub spans: usize,
    pub seed: u64,
    /// Write the letters in Arabic (a letter for each Latin letter, so the words, sentences
    /// and spans are the same, char for char; digits and punctuation stay): a right-to-left
    /// text of the same shape, for comparing the view's speed on both.
    pub arabic: bool,
}

impl SynthSpec {
    /// The default seed of the generator.
    pub const DEFAULT_SEED: u64 = 0x6d61_7267_696e_616c;

    /// The size of a seed article: 4 KB with 40 spans.
    pub const SEED_ARTICLE: SynthSpec = SynthSpec {
        bytes: 4 * 1024,
        spans: 40,
        seed: Self::DEFAULT_SEED,
        arabic: false,
    };

    /// 1 MB with 10,000 spans.
    pub const ONE_MB: SynthSpec = SynthSpec {
        bytes: 1024 * 1024,
        spans: 10_000,
        seed: Self::DEFAULT_SEED,
        arabic: false,
    };

    /// 10 MB with 100,000 spans.
    pub const TEN_MB: SynthSpec = SynthSpec {
        bytes: 10 * 1024 * 1024,
        spans: 100_000,
        seed: Self::DEFAULT_SEED,
        arabic: false,
    };

    /// The three benchmark documents with their short names, smallest first.
    pub fn bench_documents() -> [(&'static str, SynthSpec); 3] {
        [
            ("4kb", Self::SEED_ARTICLE),
            ("1mb", Self::ONE_MB),
            ("10mb", Self::TEN_MB),
        ]
    }
}

/// A generated text and one annotator's layer over it.
#[derive(Debug, Clone)]
pub struct SynthDoc {
    pub text: Text,
    pub layer: Layer,
}

/// The seeds cut into sentences (four or more words) and short lines (headlines, bylines,
/// link-list entries).
struct Pool {
    sentences: Vec<&'static str>,
    short_lines: Vec<&'static str>,
}

impl Pool {
    fn from_seeds() -> Self {
        let mut sentences = Vec::new();
        let mut short_lines = Vec::new();
        for seed in SEED_TEXTS {
            for line in seed.lines() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                if line.split_whitespace().count() < 4 {
                    short_lines.push(line);
                    continue;
                }
                for sentence in split_sentences(line) {
                    if sentence.split_whitespace().count() >= 4 {
                        sentences.push(sentence);
                    } else {
                        short_lines.push(sentence);
                    }
                }
            }
        }
        Self {
            sentences,
            short_lines,
        }
    }
}

/// Splits a line after `.`, `!` or `?` when a space or a capital letter follows (the seeds often
/// run sentences together: "rose.The two").
fn split_sentences(line: &'static str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let Some(&(_, next)) = chars.peek() else {
            break;
        };
        if next == ' ' || next.is_uppercase() {
            let end = i + c.len_utf8();
            let piece = line[start..end].trim();
            if !piece.is_empty() {
                out.push(piece);
            }
            start = end;
        }
    }
    let rest = line[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Builds a news-like text of about `bytes` bytes: short headline lines and paragraphs of two
/// to seven seed sentences, separated by blank lines.
fn generate_text(rng: &mut Rng, pool: &Pool, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 1024);
    let mut paragraph = String::new();
    let mut misses = 0;
    while misses < 16 {
        paragraph.clear();
        if rng.below(100) < 12 {
            paragraph.push_str(pool.short_lines[rng.below(pool.short_lines.len())]);
        } else {
            for k in 0..rng.between(2, 7) {
                if k > 0 {
                    paragraph.push(' ');
                }
                paragraph.push_str(pool.sentences[rng.below(pool.sentences.len())]);
            }
        }
        let sep = if out.is_empty() { 0 } else { 2 };
        if out.len() + sep + paragraph.len() > bytes {
            misses += 1;
            continue;
        }
        misses = 0;
        if sep > 0 {
            out.push_str("\n\n");
        }
        out.push_str(&paragraph);
    }
    out.push('\n');
    out
}

/// The Arabic letter written for a Latin one (the same for both cases); other chars as they are.
fn arabic_letter(c: char) -> char {
    const LETTERS: [char; 26] = [
        'ا', 'ب', 'ت', 'ث', 'ج', 'ح', 'خ', 'د', 'ذ', 'ر', 'ز', 'س', 'ش', 'ص', 'ض', 'ط', 'ظ', 'ع',
        'غ', 'ف', 'ق', 'ك', 'ل', 'م', 'ن', 'ه',
    ];
    match c {
        'a'..='z' => LETTERS[(c as u8 - b'a') as usize],
        'A'..='Z' => LETTERS[(c as u8 - b'A') as usize],
        _ => c,
    }
}

/// Char ranges of the words (runs of non-whitespace) of `s`.
fn word_ranges(s: &str) -> Vec<CharRange> {
    let mut words = Vec::with_capacity(s.len() / 6);
    let mut start = None;
    let mut n = 0;
    for c in s.chars() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(n),
            (true, Some(st)) => {
                words.push(CharRange::new(st, n));
                start = None;
            }
            _ => {}
        }
        n += 1;
    }
    if let Some(st) = start {
        words.push(CharRange::new(st, n));
    }
    words
}

/// A tag name from the default tag set, weighted like real annotation: mostly quotes and claims.
fn pick_tag<'a>(rng: &mut Rng, names: &'a [String]) -> &'a str {
    // quote, claim, error, boilerplate (then any further default tags equally rarely).
    const WEIGHTS: [usize; 4] = [35, 35, 10, 20];
    let roll = rng.below(100);
    let mut acc = 0;
    for (i, w) in WEIGHTS.iter().enumerate() {
        acc += w;
        if roll < acc {
            return names.get(i).map_or(names[0].as_str(), String::as_str);
        }
    }
    names[0].as_str()
}

const NOTES: [&str; 4] = [
    "checked against the agency wire",
    "translation looks machine-made",
    "same quote appears in another outlet",
    "needs a second reader",
];

/// Generates a document: its text (relative path `text_rel` in the layer) and `annotator`'s
/// layer with `spec.spans` spans, a tenth of them nested in, enclosing or overlapping another.
pub fn generate(spec: &SynthSpec, text_rel: &str, annotator: &str) -> SynthDoc {
    let mut rng = Rng::new(spec.seed);
    let pool = Pool::from_seeds();
    let mut raw = generate_text(&mut rng, &pool, spec.bytes);
    if spec.arabic {
        raw = raw.chars().map(arabic_letter).collect();
    }
    let words = word_ranges(&raw);
    let text = Text::from_string(&raw);
    drop(raw);

    let tag_names: Vec<String> = TagSet::default()
        .tags
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let w = words.len();
    let extra = (spec.spans / 10).min(w);
    let base = (spec.spans - extra).min(w);

    // Base spans: one per equal slot of words, so they are disjoint and spread evenly.
    // Each is kept as (first word, last word).
    let mut base_words: Vec<(usize, usize)> = Vec::with_capacity(base);
    for k in 0..base {
        let lo = k * w / base;
        let hi = ((k + 1) * w / base).max(lo + 1);
        let first = rng.between(lo, hi - 1);
        let last = (first + rng.below(6)).min(hi - 1);
        base_words.push((first, last));
    }

    let mut layer = Layer::new(text_rel, &text, annotator);
    layer.status = Status::InProgress;
    layer.spans.reserve(base + extra);
    let mut id = 0u64;
    let mut push = |layer: &mut Layer, rng: &mut Rng, first: usize, last: usize| {
        id += 1;
        let tag = pick_tag(rng, &tag_names);
        let mut span: Span = make_span(
            &text,
            id,
            words[first].start,
            words[last].end,
            tag,
            SYNTH_TIMESTAMP,
        );
        if rng.below(25) == 0 {
            span.note = NOTES[rng.below(NOTES.len())].to_owned();
        }
        layer.spans.push(span);
    };
    for &(first, last) in &base_words {
        push(&mut layer, &mut rng, first, last);
    }
    if !base_words.is_empty() {
        for _ in 0..extra {
            let (first, last) = base_words[rng.below(base_words.len())];
            let (f, l) = match rng.below(3) {
                // Nested: a sub-run of the other span's words (the same word when it has one).
                0 => {
                    let f = rng.between(first, last);
                    (f, rng.between(f, last))
                }
                // Enclosing: a few words more on either side.
                1 => (
                    first.saturating_sub(rng.between(1, 3)),
                    (last + rng.between(1, 3)).min(w - 1),
                ),
                // Overlapping: starts inside, ends past it.
                _ => (
                    rng.between(first, last),
                    (last + rng.between(1, 4)).min(w - 1),
                ),
            };
            push(&mut layer, &mut rng, f, l);
        }
    }
    layer.normalize();
    SynthDoc { text, layer }
}

/// Why a generated workspace could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{path}: already exists with other content; choose an empty folder")]
    Exists { path: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Annotator(String),
}

/// What [`write_workspace`] wrote.
#[derive(Debug, Clone)]
pub struct SynthWritten {
    pub text_path: PathBuf,
    pub layer_path: PathBuf,
    pub text_bytes: usize,
    pub text_chars: usize,
    pub spans: usize,
    pub relations: usize,
}

/// Writes a generated document as a workspace: `<dir>/big.txt` and
/// `<dir>/annotations/<annotator>/big.ron`. Files already there with the same bytes are kept;
/// files with other content are never overwritten.
///
/// # Errors
/// A bad annotator name, an existing different file, or a write failure, naming the file.
pub fn write_workspace(
    dir: &Path,
    spec: &SynthSpec,
    annotator: &str,
) -> Result<SynthWritten, SynthError> {
    write_workspace_linked(dir, spec, annotator, 0)
}

/// [`write_workspace`], with `relations` relations between nearby spans ([`add_relations`]).
///
/// # Errors
/// As [`write_workspace`].
pub fn write_workspace_linked(
    dir: &Path,
    spec: &SynthSpec,
    annotator: &str,
    relations: usize,
) -> Result<SynthWritten, SynthError> {
    crate::workspace::check_annotator(annotator).map_err(SynthError::Annotator)?;
    let mut doc = generate(spec, SYNTH_TEXT_NAME, annotator);
    add_relations(&mut doc.layer, relations, spec.seed);
    let text_path = dir.join(SYNTH_TEXT_NAME);
    let layer_path = dir
        .join("annotations")
        .join(annotator)
        .join(Path::new(SYNTH_TEXT_NAME).with_extension("ron"));
    let ron = doc.layer.to_ron();
    let files = [
        (&text_path, doc.text.as_str().as_bytes()),
        (&layer_path, ron.as_bytes()),
    ];
    for (path, bytes) in files {
        if let Ok(old) = std::fs::read(path)
            && old != bytes
        {
            return Err(SynthError::Exists {
                path: path.display().to_string(),
            });
        }
    }
    for (path, bytes) in files {
        store::write_atomic(path, bytes)?;
    }
    Ok(SynthWritten {
        text_path,
        layer_path,
        text_bytes: doc.text.as_str().len(),
        text_chars: doc.text.char_len(),
        spans: doc.layer.spans.len(),
        relations: doc.layer.relations.len(),
    })
}

/// Adds up to `n` relations of the news types between spans near each other in the text (a
/// span and one of the next four), of a type their tags allow, spread over the whole layer.
/// Returns how many were added (fewer when the layer has too few spans).
pub fn add_relations(layer: &mut Layer, n: usize, seed: u64) -> usize {
    let kinds = crate::model::tags::news_relations();
    let len = layer.spans.len();
    if n == 0 || len < 2 {
        return 0;
    }
    let mut rng = Rng::new(seed ^ 0x5245_4c41_5449_4f4e);
    let mut added = 0;
    for k in 0..n.saturating_mul(4) {
        if added == n {
            break;
        }
        // Spread evenly: the k-th try starts in the k-th slot of the spans.
        let i = (k % n) * len / n + rng.below((len / n).max(1));
        let j = i + 1 + rng.below(4);
        let (Some(a), Some(b)) = (layer.spans.get(i), layer.spans.get(j.min(len - 1))) else {
            continue;
        };
        if a.id == b.id {
            continue;
        }
        let fits: Vec<&crate::model::tags::RelationType> = (kinds.iter())
            .filter(|t| t.allows_end(true, &a.tag) && t.allows_end(false, &b.tag))
            .collect();
        if fits.is_empty() {
            continue;
        }
        let kind = fits[rng.below(fits.len())];
        let (from, to) = (a.id, b.id);
        let id = layer.take_id();
        layer.relations.push(crate::model::relation::Relation {
            id,
            kind: kind.name.clone(),
            from: crate::model::relation::End::here(from),
            to: crate::model::relation::End::here(to),
            note: String::new(),
            attrs: kind.default_attrs(),
            created: SYNTH_TIMESTAMP.to_owned(),
            modified: SYNTH_TIMESTAMP.to_owned(),
        });
        added += 1;
    }
    added
}

/// How many documents [`write_many`] puts in one folder.
pub const DOCS_PER_FOLDER: usize = 1000;

/// Writes `docs` small documents of `spec` (each with its own seed) as a workspace in `dir`:
/// `docs-000/000000.txt`, … with [`DOCS_PER_FOLDER`] texts a folder, and a layer of
/// `annotator` for three texts out of four, their statuses mixed, so a document list has
/// everything to show. Files are written plainly (no fsync): this is test data. Returns how
/// many layers were written.
///
/// # Errors
/// A bad annotator name, an existing file with other content, or a failed write.
pub fn write_many(
    dir: &Path,
    docs: usize,
    spec: &SynthSpec,
    annotator: &str,
) -> Result<usize, SynthError> {
    crate::workspace::check_annotator(annotator).map_err(SynthError::Annotator)?;
    let write = |path: &Path, bytes: &[u8]| -> Result<(), SynthError> {
        if let Ok(old) = std::fs::read(path)
            && old != bytes
        {
            return Err(SynthError::Exists {
                path: path.display().to_string(),
            });
        }
        store::write_scratch(path, bytes)?;
        Ok(())
    };
    let mut layers = 0;
    for i in 0..docs {
        let rel = format!("docs-{:03}/{i:06}.txt", i / DOCS_PER_FOLDER);
        let one = SynthSpec {
            seed: spec.seed.wrapping_add(i as u64),
            ..*spec
        };
        let mut doc = generate(&one, &rel, annotator);
        write(&dir.join(&rel), doc.text.as_str().as_bytes())?;
        if i % 4 == 3 {
            continue;
        }
        doc.layer.status = match i % 4 {
            0 => Status::Done,
            1 => Status::InProgress,
            _ => Status::NotStarted,
        };
        let layer_path = dir
            .join("annotations")
            .join(annotator)
            .join(Path::new(&rel).with_extension("ron"));
        write(&layer_path, doc.layer.to_ron().as_bytes())?;
        layers += 1;
    }
    Ok(layers)
}

/// Parses a size such as `4096`, `4kb`, `1mb` or `10MB` (binary units: 1 kb = 1024 bytes).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_lowercase();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t.as_str(), ""),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (try 4kb, 1mb or 10mb)"))?;
    let mult = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        _ => return Err(format!("{s:?}: unknown unit (use b, kb or mb)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: SynthSpec = SynthSpec {
        bytes: 64 * 1024,
        spans: 600,
        seed: 7,
        arabic: false,
    };

    #[test]
    fn relations_are_valid_spread_over_the_layer_and_written() {
        let mut doc = generate(&SMALL, "big.txt", "editor-a");
        assert_eq!(add_relations(&mut doc.layer, 100, SMALL.seed), 100);
        let tags = TagSet::default();
        assert_eq!(doc.layer.relation_problems(&tags), vec![]);
        let at = |r: &crate::model::relation::Relation| {
            doc.layer.span(r.from.span).map_or(0, |s| s.start)
        };
        let (first, last) = (at(&doc.layer.relations[0]), at(&doc.layer.relations[99]));
        assert!(last - first > doc.text.char_len() / 2, "{first}..{last}");
        // Through the file and back.
        let back = Layer::from_ron(&doc.layer.to_ron()).unwrap();
        assert_eq!(back.relations, doc.layer.relations);
    }

    fn overlapping_count(spans: &[Span]) -> usize {
        // Spans are sorted by start: a span overlaps an earlier one iff it starts before the
        // largest end seen so far.
        let mut max_end = 0;
        let mut n = 0;
        for s in spans {
            if s.start < max_end {
                n += 1;
            }
            max_end = max_end.max(s.end);
        }
        n
    }

    #[test]
    fn same_spec_gives_same_bytes_and_another_seed_differs() {
        let a = generate(&SMALL, "big.txt", "editor-a");
        let b = generate(&SMALL, "big.txt", "editor-a");
        assert_eq!(a.text.as_str(), b.text.as_str());
        assert_eq!(a.layer.to_ron(), b.layer.to_ron());
        let c = generate(&SynthSpec { seed: 8, ..SMALL }, "big.txt", "editor-a");
        assert_ne!(a.text.as_str(), c.text.as_str());
    }

    #[test]
    fn layer_validates_with_the_requested_size_and_spans() {
        let doc = generate(&SMALL, "big.txt", "editor-a");
        let len = doc.text.as_str().len();
        assert!(
            len <= SMALL.bytes + 1 && len > SMALL.bytes - 2048,
            "{len} bytes"
        );
        assert_eq!(doc.layer.spans.len(), SMALL.spans);
        assert!(
            doc.layer
                .problems(Some(&doc.text), &TagSet::default())
                .is_empty()
        );
        // exact, prefix and suffix are the text at those char offsets.
        let s = &doc.layer.spans[doc.layer.spans.len() / 2];
        assert_eq!(doc.text.slice(s.start, s.end), s.exact);
        assert!(doc.text.slice(0, s.start).ends_with(&s.prefix));
        assert!(doc.text.as_str()[doc.text.byte_of(s.end)..].starts_with(&s.suffix));
        // The seeds' curly quotes and dashes make char and byte offsets differ.
        assert!(doc.text.char_len() < len);
        // A tenth of the spans nest in or overlap another one (the enclosed/overlapped base span
        // itself may also count when the later-starting one comes first).
        let o = overlapping_count(&doc.layer.spans);
        assert!((50..=120).contains(&o), "{o} overlapping spans");
        let tags: std::collections::BTreeSet<&str> =
            doc.layer.spans.iter().map(|s| s.tag.as_str()).collect();
        assert_eq!(tags.len(), 4);
    }

    #[test]
    fn seed_article_size_is_about_four_kilobytes() {
        let doc = generate(&SynthSpec::SEED_ARTICLE, "a.txt", "editor-a");
        let len = doc.text.as_str().len();
        assert!((3500..=4097).contains(&len), "{len} bytes");
        assert_eq!(doc.layer.spans.len(), 40);
        assert!(
            doc.layer
                .problems(Some(&doc.text), &TagSet::default())
                .is_empty()
        );
    }

    #[test]
    fn written_workspace_validates_and_is_not_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let w = write_workspace(dir.path(), &SMALL, "editor-a").unwrap();
        assert_eq!(
            w.layer_path,
            dir.path().join("annotations/editor-a/big.ron")
        );
        let ws = crate::workspace::Workspace::open(dir.path()).unwrap();
        let (findings, checked) = crate::workspace::validate::validate_workspace(&ws);
        assert_eq!(checked, 1);
        assert!(findings.is_empty(), "{findings:?}");
        let doc =
            crate::session::document::Document::open(&ws, "big.txt", "editor-a", true).unwrap();
        assert_eq!(doc.layer().spans.len(), SMALL.spans);
        // Writing the same thing again is fine; something else is refused, file untouched.
        write_workspace(dir.path(), &SMALL, "editor-a").unwrap();
        let before = std::fs::read(&w.text_path).unwrap();
        let err =
            write_workspace(dir.path(), &SynthSpec { seed: 9, ..SMALL }, "editor-a").unwrap_err();
        assert!(err.to_string().contains("big.txt"), "{err}");
        assert_eq!(std::fs::read(&w.text_path).unwrap(), before);
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4kb"), Ok(4096));
        assert_eq!(parse_size("10MB"), Ok(10 * 1024 * 1024));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("3gb").is_err());
    }
}
