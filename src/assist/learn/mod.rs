//! The learned source: a span tagger trained on the team's own layers, so that suggestions
//! for every tag come from what the workspace's reviewers accepted, offline and with nothing to
//! download.
//!
//! A text is cut into [`tokens`]; each token gets hashed [`features`] (word, shape, affixes,
//! neighbours, sentence start, hits in a gazetteer of the training spans); a structured averaged
//! [`perceptron`] learns BIO labels for every tag that has training spans, and Viterbi decodes
//! them. [`train`] never touches a window: it takes documents, reports progress and stops when
//! asked, so the window runs it on a background thread. [`Model::predict`] proposes spans with
//! a score: the probability, under the model read as a linear-chain CRF (forward–backward over
//! its scores), that exactly this span with this tag is right — both its ends and its tag, as
//! accepting it needs; a per-token average would rate a span whose end is in doubt as highly as
//! one that is certain. [`active::order`] ranks unlabelled documents, least certain first.
//!
//! The model file (`annotations/learned.model`, [`file`]) records the tags, the feature
//! settings, and the documents it learnt from by text hash, so evaluation never scores it on
//! them; `docs/LEARNED.md` describes its bytes.
//!
//! Owns: the tokeniser, features, perceptron, model file, training data from layers and the
//! active order. May import: the model, the store, the workspace, and the suggestions' types.

pub mod active;
pub mod auto;
pub mod corpus;
pub mod features;
pub mod file;
pub mod perceptron;
pub mod score;
pub mod tokens;

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use crate::model::text::Text;
use features::{FeatureConfig, Gazetteer, PHRASE_SEED, phrase_step};
use perceptron::{Lattice, Sequence, Trainer, Weights, label_count, viterbi};

pub use file::{MODEL_FILE, ModelFileError};

/// Keys that are already hashes need no hashing again.
#[derive(Default, Clone, Copy)]
pub struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map keyed by a feature or phrase hash.
pub type HashedMap<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

/// One span to learn from: chars `[start, end)` of its text, and its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldSpan {
    pub start: usize,
    pub end: usize,
    pub tag: String,
}

/// One document to learn from: its path in the workspace, its text and its spans.
#[derive(Debug, Clone)]
pub struct TrainingDoc {
    pub rel: String,
    pub text: Text,
    pub spans: Vec<GoldSpan>,
}

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The workspace's tag set, in its order. The model learns the tags of it that have
    /// training spans; spans with other tags are left out (and counted). Empty: every tag the
    /// spans have.
    pub tags: Vec<String>,
    /// Passes over the training data.
    pub epochs: usize,
    /// Seed of the order the documents are visited in each pass.
    pub seed: u64,
    /// The layers the spans came from, recorded in the model.
    pub layers: Vec<String>,
    /// What scores are divided by before the probabilities are taken (see [`Header::temperature`]).
    pub temperature: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            tags: Vec::new(),
            epochs: 8,
            seed: 0x5eed,
            layers: Vec::new(),
            temperature: 10.0,
        }
    }
}

/// Where training is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Tokenising and extracting features: documents done of all.
    Reading { done: usize, of: usize },
    /// Learning: passes done of all.
    Learning { epoch: usize, of: usize },
}

/// Errors of training, loading and evaluating, each a sentence.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error(
        "nothing to learn from: {0} (review documents into the curated layer, or name annotators' layers with --from)"
    )]
    NothingToLearn(String),
    #[error("training was cancelled")]
    Cancelled,
    #[error(
        "the training spans have {0} tags; the learned source takes at most 64 (split the tag set)"
    )]
    TooManyTags(usize),
    #[error(transparent)]
    File(#[from] ModelFileError),
    #[error("{0}")]
    BadLayer(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// About how many bytes of text [`Model::analyse`] tags at once (then to the end of the line).
const CHUNK_BYTES: usize = 32 * 1024;

/// A document the model learnt from: its path and its text's sha256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainedDoc {
    pub text: String,
    pub sha256: String,
    pub tokens: usize,
    pub spans: usize,
}

/// What a model says about itself: kept as JSON in the model file's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The tags it proposes, in label order.
    pub tags: Vec<String>,
    /// The workspace's tag set when it was trained.
    pub tag_set: Vec<String>,
    pub features: FeatureConfig,
    pub epochs: usize,
    /// Scores are divided by this before forward–backward turns them into probabilities: the
    /// averaged perceptron's scores are margins, not log-probabilities, and taken as they are
    /// nearly every span would score 1.0. 10 makes them about calibrated on CoNLL-2003 (of the
    /// proposals scored 0.7–0.9, 75 % are right; `BENCHMARKS.md`, precision by score).
    pub temperature: f32,
    /// When it was trained, RFC 3339 UTC.
    pub trained_at: String,
    /// The layers the spans came from, in the order they were preferred.
    pub layers: Vec<String>,
    /// The documents it learnt from, by path.
    pub documents: Vec<TrainedDoc>,
    /// Training spans per tag.
    pub spans: BTreeMap<String, usize>,
    /// Training spans left out: overlapping another (BIO labels hold one span per token), or
    /// with a tag outside the tag set.
    pub left_out: usize,
    pub tokens: usize,
    /// How long training took, in seconds.
    pub seconds: f64,
}

/// A trained tagger.
#[derive(Debug, Clone)]
pub struct Model {
    pub header: Header,
    /// Feature hash → row of `weights.emission`.
    features: HashedMap<u32>,
    /// The feature hashes in row order (what the file stores).
    hashes: Vec<u64>,
    weights: Weights,
    gazetteer: Gazetteer,
}

/// A span the model proposes: chars `[start, end)`, a tag of the model and a score in [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposed {
    pub start: usize,
    pub end: usize,
    pub tag: String,
    pub score: f32,
}

/// What the model makes of one text: its proposals and how unsure it is.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub proposed: Vec<Proposed>,
    /// The mean over tokens of 1 − the most likely label's probability: the share of tokens the
    /// model expects to get wrong (0 for a text without tokens).
    pub uncertainty: f32,
    pub tokens: usize,
}

/// Tokens, their words, and the gold labels of a document.
struct Prepared {
    tokens: Vec<tokens::Token>,
    words: Vec<String>,
    gold: Vec<u8>,
    spans: usize,
}

/// The BIO labels of `spans` over `toks`: each span labels the tokens it touches. Spans are
/// taken by start (the longer first); one that shares a token with a span taken is left out.
/// Returns the labels and how many spans were taken and left out.
fn labels_of(
    toks: &[tokens::Token],
    spans: &[GoldSpan],
    tag_index: &HashMap<&str, usize>,
) -> (Vec<u8>, usize, usize) {
    let mut gold = vec![0u8; toks.len()];
    let mut sorted: Vec<&GoldSpan> = spans.iter().collect();
    sorted.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let (mut taken, mut left) = (0, 0);
    for s in sorted {
        let Some(&k) = tag_index.get(s.tag.as_str()) else {
            left += 1;
            continue;
        };
        let first = toks.partition_point(|t| t.end <= s.start);
        let mut last = first;
        while last < toks.len() && toks[last].start < s.end {
            last += 1;
        }
        if first == last || gold[first..last].iter().any(|&g| g != 0) {
            left += 1;
            continue;
        }
        gold[first] = (1 + 2 * k) as u8;
        for g in &mut gold[first + 1..last] {
            *g = (2 + 2 * k) as u8;
        }
        taken += 1;
    }
    (gold, taken, left)
}

/// The words of `toks` in `text`.
fn words_of(text: &str, toks: &[tokens::Token]) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    toks.iter()
        .map(|t| chars[t.start..t.end].iter().collect())
        .collect()
}

/// The spans a label sequence reads as: (first token, last token, tag index).
fn spans_of_labels(path: &[usize]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, usize)> = None;
    for (t, &l) in path.iter().enumerate() {
        if l != 0 && l % 2 == 0 && open.is_some_and(|(_, k)| l == 2 + 2 * k) {
            continue;
        }
        if let Some((first, k)) = open.take() {
            out.push((first, t - 1, k));
        }
        if l != 0 {
            // A stray continuation (never decoded) reads as a start.
            open = Some((t, (l - 1) / 2));
        }
    }
    if let Some((first, k)) = open {
        out.push((first, path.len() - 1, k));
    }
    out
}

/// Trains a model on `docs`. `progress` is told where training is and stops it by returning
/// [`ControlFlow::Break`].
///
/// # Errors
/// [`LearnError::NothingToLearn`] without spans of a known tag, [`LearnError::Cancelled`] when
/// stopped, [`LearnError::TooManyTags`] over 64 tags.
pub fn train(
    docs: &[TrainingDoc],
    opts: &TrainOptions,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Model, LearnError> {
    let clock = std::time::Instant::now();
    let config = FeatureConfig::default();
    // The model's tags: the tag set's tags that have spans, in the tag set's order.
    let mut with_spans: BTreeMap<&str, usize> = BTreeMap::new();
    for d in docs {
        for s in &d.spans {
            *with_spans.entry(s.tag.as_str()).or_default() += 1;
        }
    }
    let tags: Vec<String> = if opts.tags.is_empty() {
        with_spans.keys().map(|t| (*t).to_owned()).collect()
    } else {
        opts.tags
            .iter()
            .filter(|t| with_spans.contains_key(t.as_str()))
            .cloned()
            .collect()
    };
    if tags.is_empty() {
        return Err(LearnError::NothingToLearn(if docs.is_empty() {
            "no documents".into()
        } else {
            "no span has a tag of the tag set".into()
        }));
    }
    if tags.len() > 64 {
        return Err(LearnError::TooManyTags(tags.len()));
    }
    let tag_index: HashMap<&str, usize> = tags
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let labels = label_count(tags.len());

    // Tokens and gold labels.
    let mut prepared = Vec::with_capacity(docs.len());
    let mut left_out = 0;
    let mut span_counts: BTreeMap<String, usize> = BTreeMap::new();
    for (i, d) in docs.iter().enumerate() {
        if progress(Progress::Reading {
            done: i,
            of: docs.len() * 2,
        })
        .is_break()
        {
            return Err(LearnError::Cancelled);
        }
        let toks = tokens::tokenize(d.text.as_str());
        let words = words_of(d.text.as_str(), &toks);
        let (gold, taken, left) = labels_of(&toks, &d.spans, &tag_index);
        left_out += left;
        for &g in &gold {
            if g % 2 == 1 {
                *span_counts
                    .entry(tags[usize::from(g - 1) / 2].clone())
                    .or_default() += 1;
            }
        }
        prepared.push(Prepared {
            tokens: toks,
            words,
            gold,
            spans: taken,
        });
    }

    // The gazetteer, and for training one that hides each document's own phrases from it
    // (by fold), so the weights do not learn to trust a hit that every training span has.
    let folds = docs.len().clamp(1, 10);
    let mut gazetteer = Gazetteer::default();
    let mut by_fold: HashedMap<Vec<(u8, u32)>> = HashedMap::default();
    for (i, p) in prepared.iter().enumerate() {
        let fold = 1u32 << (i % folds);
        let words: Vec<&str> = p.words.iter().map(String::as_str).collect();
        for (first, last, k) in
            spans_of_labels(&p.gold.iter().map(|&g| usize::from(g)).collect::<Vec<_>>())
        {
            let phrase = &words[first..=last];
            gazetteer.add(phrase, k, config.phrase_tokens);
            if phrase.len() > config.phrase_tokens {
                continue;
            }
            let mut h = PHRASE_SEED;
            for (j, w) in phrase.iter().enumerate() {
                h = phrase_step(h, w);
                let e = by_fold.entry(h).or_default();
                if j + 1 == phrase.len() {
                    match e.iter_mut().find(|(t, _)| usize::from(*t) == k) {
                        Some((_, m)) => *m |= fold,
                        None => e.push((k as u8, fold)),
                    }
                }
            }
        }
    }

    // Features, interned to rows, and the training sequences.
    let mut rows: HashedMap<u32> = HashedMap::default();
    let mut hashes: Vec<u64> = Vec::new();
    let mut sequences: Vec<Sequence> = Vec::new();
    let mut trained = Vec::with_capacity(docs.len());
    let mut total_tokens = 0;
    for (i, (d, p)) in docs.iter().zip(&prepared).enumerate() {
        if progress(Progress::Reading {
            done: docs.len() + i,
            of: docs.len() * 2,
        })
        .is_break()
        {
            return Err(LearnError::Cancelled);
        }
        let fold = 1u32 << (i % folds);
        let words: Vec<&str> = p.words.iter().map(String::as_str).collect();
        let feats = features::extract(
            &words,
            &p.tokens,
            &config,
            |h| {
                by_fold.get(&h).map(|e| {
                    e.iter()
                        .filter(|(_, m)| m & !fold != 0)
                        .fold(0u64, |acc, (t, _)| acc | (1 << t))
                })
            },
            &tags,
        );
        total_tokens += p.tokens.len();
        trained.push(TrainedDoc {
            text: d.rel.clone(),
            sha256: d.text.sha256().to_owned(),
            tokens: p.tokens.len(),
            spans: p.spans,
        });
        // One sequence per run of lines that no span crosses.
        let mut seq = Sequence {
            rows: Vec::new(),
            offsets: vec![0],
            gold: Vec::new(),
        };
        for t in 0..p.tokens.len() {
            let continues = p.gold[t] != 0 && p.gold[t] % 2 == 0;
            if t > 0 && p.tokens[t].line_start && !continues && !seq.is_empty() {
                sequences.push(std::mem::replace(
                    &mut seq,
                    Sequence {
                        rows: Vec::new(),
                        offsets: vec![0],
                        gold: Vec::new(),
                    },
                ));
            }
            for &h in &feats.hashes[feats.offsets[t]..feats.offsets[t + 1]] {
                let next = hashes.len() as u32;
                let r = *rows.entry(h).or_insert_with(|| {
                    hashes.push(h);
                    next
                });
                seq.rows.push(r);
            }
            seq.offsets.push(seq.rows.len());
            seq.gold.push(p.gold[t]);
        }
        if !seq.is_empty() {
            sequences.push(seq);
        }
    }
    drop(prepared);

    // Learning.
    let mut trainer = Trainer::new(hashes.len(), labels);
    let mut order: Vec<usize> = (0..sequences.len()).collect();
    let mut rng = crate::workspace::rng::Rng::new(opts.seed);
    for epoch in 0..opts.epochs {
        if progress(Progress::Learning {
            epoch,
            of: opts.epochs,
        })
        .is_break()
        {
            return Err(LearnError::Cancelled);
        }
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for (n, &s) in order.iter().enumerate() {
            if n % 2048 == 2047
                && progress(Progress::Learning {
                    epoch,
                    of: opts.epochs,
                })
                .is_break()
            {
                return Err(LearnError::Cancelled);
            }
            trainer.learn(&sequences[s]);
        }
    }
    let _ = progress(Progress::Learning {
        epoch: opts.epochs,
        of: opts.epochs,
    });
    let weights = trainer.averaged();

    // Only features with a weight are kept.
    let mut kept_hashes = Vec::new();
    let mut emission = Vec::new();
    for (r, &h) in hashes.iter().enumerate() {
        let row = &weights.emission[r * labels..(r + 1) * labels];
        if row.iter().any(|&w| w != 0.0) {
            kept_hashes.push(h);
            emission.extend_from_slice(row);
        }
    }
    let weights = Weights {
        labels,
        emission,
        transition: weights.transition,
    };
    let header = Header {
        tags: tags.clone(),
        tag_set: if opts.tags.is_empty() {
            tags
        } else {
            opts.tags.clone()
        },
        features: config,
        epochs: opts.epochs,
        temperature: opts.temperature,
        trained_at: crate::model::layer::now_rfc3339(),
        layers: opts.layers.clone(),
        documents: trained,
        spans: span_counts,
        left_out,
        tokens: total_tokens,
        seconds: clock.elapsed().as_secs_f64(),
    };
    Ok(Model::from_parts(header, kept_hashes, weights, gazetteer))
}

impl Model {
    /// A model from what its file holds.
    fn from_parts(
        header: Header,
        hashes: Vec<u64>,
        weights: Weights,
        gazetteer: Gazetteer,
    ) -> Self {
        let features = hashes
            .iter()
            .enumerate()
            .map(|(i, &h)| (h, i as u32))
            .collect();
        Self {
            header,
            features,
            hashes,
            weights,
            gazetteer,
        }
    }

    /// How many features have weights.
    pub fn feature_count(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the model learnt from a text with this sha256.
    pub fn trained_on(&self, sha256: &str) -> bool {
        self.header.documents.iter().any(|d| d.sha256 == sha256)
    }

    /// The spans the model proposes in `text`, in text order.
    pub fn predict(&self, text: &Text) -> Vec<Proposed> {
        self.analyse(text).proposed
    }

    /// [`Self::predict`], and how unsure the model is of the text ([`Analysis::uncertainty`]).
    ///
    /// A run of whole lines (about [`CHUNK_BYTES`] of text) is tagged at a time: features,
    /// scores, Viterbi and forward–backward, so a 10 MB text never holds its lattice whole.
    /// Training cuts its sequences at line starts too (where no span continues), so only a span
    /// across a run's last line break is lost.
    pub fn analyse(&self, text: &Text) -> Analysis {
        let s = text.as_str();
        let l = self.weights.labels;
        let mut n = 0;
        let mut proposed = Vec::new();
        let mut unsure_sum = 0.0f32;
        // A run of whole lines at a time: tokens, features, scores and lattice. Tokens never
        // look past their line, so the result is the text's, and a 10 MB text is never held
        // as chars, tokens or a lattice whole.
        let (mut byte, mut char_base) = (0, 0);
        while byte < s.len() {
            let mut end = (byte + CHUNK_BYTES).min(s.len());
            if end < s.len() {
                // Through the next line break ('\n' is one byte: a char boundary follows).
                end = memchr::memchr(b'\n', &s.as_bytes()[end..]).map_or(s.len(), |i| end + i + 1);
            }
            let piece = &s[byte..end];
            let toks = tokens::tokenize(piece);
            let bytes_of: Vec<usize> = (piece.char_indices().map(|(b, _)| b))
                .chain(std::iter::once(piece.len()))
                .collect();
            let refs: Vec<&str> = (toks.iter())
                .map(|t| &piece[bytes_of[t.start]..bytes_of[t.end]])
                .collect();
            let feats = features::extract(
                &refs,
                &toks,
                &self.header.features,
                |h| self.gazetteer.entries.get(&h).copied(),
                &self.header.tags,
            );
            let m = toks.len();
            let mut emit = vec![0.0f32; m * l];
            for t in 0..m {
                let rows = feats.hashes[feats.offsets[t]..feats.offsets[t + 1]]
                    .iter()
                    .filter_map(|h| self.features.get(h).map(|&r| r as usize));
                self.weights.emit(rows, &mut emit[t * l..(t + 1) * l]);
            }
            drop(feats);
            let path = viterbi(&emit, l, &self.weights.transition);
            let lattice = Lattice::new(&emit, l, &self.weights.transition, self.header.temperature);
            proposed.extend(
                spans_of_labels(&path)
                    .into_iter()
                    .map(|(first, last, k)| Proposed {
                        start: char_base + toks[first].start,
                        end: char_base + toks[last].end,
                        tag: self.header.tags[k].clone(),
                        score: lattice.span_probability(first, last, k),
                    }),
            );
            unsure_sum += (0..m)
                .map(|t| {
                    let best = (0..l)
                        .map(|x| lattice.marginal(t, x))
                        .fold(0.0f32, f32::max);
                    1.0 - best.min(1.0)
                })
                .sum::<f32>();
            n += m;
            char_base += bytes_of.len() - 1;
            byte = end;
        }
        let uncertainty = if n == 0 { 0.0 } else { unsure_sum / n as f32 };
        Analysis {
            proposed,
            uncertainty,
            tokens: n,
        }
    }
}

/// The model's proposals as suggestions of the learned source, in text order.
pub fn to_suggestions(
    text: &Text,
    proposed: &[Proposed],
) -> Vec<crate::assist::suggest::Suggestion> {
    proposed
        .iter()
        .filter(|p| p.start < p.end && p.end <= text.char_len())
        .map(|p| crate::assist::suggest::Suggestion {
            start: p.start,
            end: p.end,
            tag: p.tag.clone(),
            source: crate::assist::suggest::Source::Learned,
            attrs: BTreeMap::new(),
            text: text.slice(p.start, p.end).to_owned(),
            score: p.score,
            by: None,
            explanation: Some(format!(
                "the learned tagger gives {:.2} that exactly these words are one {} span",
                p.score, p.tag
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(rel: &str, text: &str, spans: &[(&str, &str)]) -> TrainingDoc {
        let mut out = Vec::new();
        for (words, tag) in spans {
            for (b, _) in text.match_indices(words) {
                let start = text[..b].chars().count();
                out.push(GoldSpan {
                    start,
                    end: start + words.chars().count(),
                    tag: (*tag).to_owned(),
                });
            }
        }
        TrainingDoc {
            rel: rel.to_owned(),
            text: Text::from_string(text),
            spans: out,
        }
    }

    #[test]
    fn labels_cover_the_tokens_a_span_touches_and_overlaps_are_left_out() {
        let toks = tokens::tokenize("New York's mayor spoke");
        let idx: HashMap<&str, usize> = [("LOC", 0), ("PER", 1)].into_iter().collect();
        let spans = [
            // "ew Yor": not on token boundaries, aligned to the tokens it touches.
            GoldSpan {
                start: 1,
                end: 7,
                tag: "LOC".into(),
            },
            GoldSpan {
                start: 4,
                end: 16,
                tag: "PER".into(),
            },
            GoldSpan {
                start: 17,
                end: 22,
                tag: "other".into(),
            },
        ];
        let (gold, taken, left) = labels_of(&toks, &spans, &idx);
        assert_eq!(gold, [1, 2, 0, 0, 0]);
        assert_eq!((taken, left), (1, 2));
        assert_eq!(
            spans_of_labels(&[0, 1, 2, 1, 3, 0, 2]),
            [(1, 2, 0), (3, 3, 0), (4, 4, 1), (6, 6, 0)]
        );
    }

    #[test]
    fn a_tiny_model_learns_names() {
        let docs: Vec<TrainingDoc> = (0..12)
            .map(|i| {
                let text = format!(
                    "Anna Berg met officials in Oslo on day {i} .\nThe talks in Oslo went on .\nAnna Berg left ."
                );
                doc(&format!("d{i}.txt"), &text, &[("Anna Berg", "PER"), ("Oslo", "LOC")])
            })
            .collect();
        let opts = TrainOptions {
            tags: vec!["PER".into(), "LOC".into(), "unused".into()],
            ..TrainOptions::default()
        };
        let model = train(&docs, &opts, &mut |_| ControlFlow::Continue(())).unwrap();
        assert_eq!(model.header.tags, ["PER", "LOC"]);
        let text = Text::from_string("Anna Berg stayed in Oslo .");
        let got: Vec<(usize, usize, String)> = model
            .predict(&text)
            .into_iter()
            .map(|p| (p.start, p.end, p.tag))
            .collect();
        assert_eq!(got, [(0, 9, "PER".into()), (20, 24, "LOC".into())]);
        for p in model.predict(&text) {
            assert!((0.0..=1.0).contains(&p.score));
        }
        assert!(model.trained_on(docs[0].text.sha256()));
        let stopped = train(&docs, &opts, &mut |_| ControlFlow::Break(()));
        assert!(matches!(stopped, Err(LearnError::Cancelled)));

        // A long text is tagged a run of lines at a time: the proposals past the first runs,
        // after lines of multi-byte letters, are where their words are.
        let filler = "Über naïve façades ☕ stayed quiet all day .\n".repeat(2_000);
        let long = Text::from_string(&format!("{filler}Anna Berg stayed in Oslo .\n{filler}"));
        assert!(long.as_str().len() > 3 * CHUNK_BYTES);
        let found: Vec<(&str, String)> = model
            .predict(&long)
            .into_iter()
            .map(|p| (long.slice(p.start, p.end), p.tag))
            .collect();
        assert_eq!(
            found,
            [("Anna Berg", "PER".to_owned()), ("Oslo", "LOC".to_owned())]
        );
    }
}
