//! What the tagger sees of each token: hashed features (the word, its shape and affixes, its
//! neighbours, where the sentence starts, and hits in the gazetteer of phrases the team tagged),
//! so that a text becomes rows of numbers without a vocabulary to ship.
//!
//! A feature is a 64-bit hash of its template and its strings ([`FeatureHash`]); the hash is
//! written into the model file, so it is spelled out here (FNV-1a, then SplitMix64's finaliser)
//! and never taken from `std`, whose hasher may change between Rust releases.

use std::collections::HashMap;

use super::tokens::Token;

/// A stable 64-bit hash built from a template number and strings.
#[derive(Debug, Clone, Copy)]
pub struct FeatureHash(u64);

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// SplitMix64's finaliser: spreads FNV's bits so that every bit of the hash counts.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl FeatureHash {
    /// Starts a feature of template `t`.
    pub fn new(t: u8) -> Self {
        Self((FNV_OFFSET ^ u64::from(t)).wrapping_mul(FNV_PRIME))
    }
    /// Adds a string (and a separator, so `ab`+`c` differs from `a`+`bc`).
    pub fn str(mut self, s: &str) -> Self {
        for &b in s.as_bytes() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        self.0 = (self.0 ^ 0xff).wrapping_mul(FNV_PRIME);
        self
    }
    pub fn finish(self) -> u64 {
        mix(self.0)
    }
}

/// One phrase hash, extended a token at a time (the gazetteer's key).
pub fn phrase_step(h: u64, word: &str) -> u64 {
    mix(h ^ FeatureHash::new(0).str(word).finish())
}

/// The hash phrases start from.
pub const PHRASE_SEED: u64 = 0x6d61_7267_696e_616c;

/// The feature templates' settings, recorded in the model file so that a model is read with
/// the features it was trained with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeatureConfig {
    /// The templates' version: a model of another version is refused.
    pub templates: u32,
    /// Neighbouring tokens looked at on each side.
    pub window: usize,
    /// The longest prefix and suffix, in chars.
    pub affixes: usize,
    /// The longest gazetteer phrase, in tokens.
    pub phrase_tokens: usize,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            templates: 1,
            window: 2,
            affixes: 4,
            phrase_tokens: 8,
        }
    }
}

/// The phrases the team tagged, by tag: a phrase hash and a mask of tags (bit `k` for the
/// model's tag `k`). Every proper prefix of a phrase is in the map too, with mask 0, so a
/// look-up stops as soon as no phrase goes on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gazetteer {
    pub entries: HashMap<u64, u64>,
}

impl Gazetteer {
    /// Adds a phrase (its words) with tag `k`.
    pub fn add(&mut self, words: &[&str], k: usize, max: usize) {
        if words.is_empty() || words.len() > max || k >= 64 {
            return;
        }
        let mut h = PHRASE_SEED;
        for (i, w) in words.iter().enumerate() {
            h = phrase_step(h, w);
            let e = self.entries.entry(h).or_insert(0);
            if i + 1 == words.len() {
                *e |= 1 << k;
            }
        }
    }
}

/// The tags' masks a phrase is visible with, for the token ranges of one line: calls
/// `hit(first, last, mask)` for each phrase found (tokens `first..=last`).
pub fn phrase_hits(
    words: &[&str],
    max: usize,
    lookup: impl Fn(u64) -> Option<u64>,
    mut hit: impl FnMut(usize, usize, u64),
) {
    for i in 0..words.len() {
        let mut h = PHRASE_SEED;
        for (j, word) in words.iter().enumerate().take(i + max).skip(i) {
            h = phrase_step(h, word);
            match lookup(h) {
                None => break,
                Some(0) => {}
                Some(mask) => hit(i, j, mask),
            }
        }
    }
}

/// What a token's word looks like, computed once per token.
struct Word {
    raw: String,
    lower: String,
    /// `Xxxxx` / `dddd-dd` / `X.X.`, cut to 12 chars.
    shape: String,
    /// The shape with runs of one class folded: `Xx`, `d-d`, `X.X.`.
    short: String,
}

fn class(c: char) -> char {
    if c.is_uppercase() {
        'X'
    } else if c.is_lowercase() || c.is_alphabetic() {
        'x'
    } else if c.is_numeric() {
        'd'
    } else {
        c
    }
}

impl Word {
    fn new(raw: &str) -> Self {
        let lower = raw.to_lowercase();
        let mut shape = String::new();
        let mut short = String::new();
        let mut last = None;
        for c in raw.chars() {
            let k = class(c);
            if shape.chars().count() < 12 {
                shape.push(k);
            }
            if last != Some(k) {
                short.push(k);
                last = Some(k);
            }
        }
        Self {
            raw: raw.to_owned(),
            lower,
            shape,
            short,
        }
    }
}

const BOS: &str = "<s>";
const EOS: &str = "</s>";

/// The feature hashes of every token of a text, in order: `offsets[i]..offsets[i + 1]` of
/// `hashes` are token `i`'s.
#[derive(Debug, Default)]
pub struct TokenFeatures {
    pub hashes: Vec<u64>,
    pub offsets: Vec<usize>,
}

/// The words of `tokens` in `text` (`chars` is the text as chars).
pub fn words<'a>(chars: &[char], tokens: &[Token], buf: &'a mut Vec<String>) -> Vec<&'a str> {
    buf.clear();
    buf.extend(
        tokens
            .iter()
            .map(|t| chars[t.start..t.end].iter().collect::<String>()),
    );
    buf.iter().map(String::as_str).collect()
}

/// The features of each token. `gazetteer(h)` looks a phrase hash up (a mask of the tags it
/// may be shown as, 0 for a prefix, `None` when absent), and `tag_names` names mask bits.
pub fn extract(
    words: &[&str],
    tokens: &[Token],
    config: &FeatureConfig,
    gazetteer: impl Fn(u64) -> Option<u64>,
    tag_names: &[String],
) -> TokenFeatures {
    let n = tokens.len();
    let info: Vec<Word> = words.iter().map(|w| Word::new(w)).collect();
    // Line of each token, so neighbours stop at line ends.
    let mut line = Vec::with_capacity(n);
    let mut l = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 && t.line_start {
            l += 1;
        }
        line.push(l);
    }
    // Gazetteer hits, per line.
    let mut gaz: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && line[j] == line[i] {
            j += 1;
        }
        phrase_hits(
            &words[i..j],
            config.phrase_tokens,
            &gazetteer,
            |a, b, mask| {
                for (k, name) in tag_names.iter().enumerate().take(64) {
                    if mask & (1 << k) == 0 {
                        continue;
                    }
                    let len = (b - a + 1).min(4).to_string();
                    for (t, g) in gaz[i + a..=i + b].iter_mut().enumerate() {
                        let pos = if t == 0 { "B" } else { "I" };
                        g.push(FeatureHash::new(40).str(pos).str(name).finish());
                        g.push(FeatureHash::new(41).str(pos).str(name).str(&len).finish());
                    }
                }
            },
        );
        i = j;
    }
    let mut out = TokenFeatures {
        hashes: Vec::with_capacity(n * 48),
        offsets: Vec::with_capacity(n + 1),
    };
    let w = config.window as isize;
    for i in 0..n {
        out.offsets.push(out.hashes.len());
        let f = &mut out.hashes;
        let me = &info[i];
        let at = |d: isize| -> Option<&Word> {
            let j = i as isize + d;
            (j >= 0 && (j as usize) < n && line[j as usize] == line[i]).then(|| &info[j as usize])
        };
        let edge = |d: isize| if d < 0 { BOS } else { EOS };
        f.push(FeatureHash::new(1).finish());
        f.push(FeatureHash::new(2).str(&me.lower).finish());
        f.push(FeatureHash::new(3).str(&me.raw).finish());
        f.push(FeatureHash::new(4).str(&me.shape).finish());
        f.push(FeatureHash::new(5).str(&me.short).finish());
        let chars: Vec<char> = me.lower.chars().collect();
        for k in 1..=config.affixes.min(chars.len()) {
            let p: String = chars[..k].iter().collect();
            let s: String = chars[chars.len() - k..].iter().collect();
            f.push(FeatureHash::new(6).str(&p).finish());
            f.push(FeatureHash::new(7).str(&s).finish());
        }
        let raw_chars: Vec<char> = me.raw.chars().collect();
        let first_upper = raw_chars.first().is_some_and(|c| c.is_uppercase());
        let has_lower = raw_chars.iter().any(|c| c.is_lowercase());
        let has_upper = raw_chars.iter().any(|c| c.is_uppercase());
        let flags: [(&str, bool); 8] = [
            ("init-cap", first_upper),
            ("all-caps", has_upper && !has_lower),
            ("mixed-caps", !first_upper && has_upper && has_lower),
            ("has-digit", raw_chars.iter().any(|c| c.is_numeric())),
            ("all-digits", raw_chars.iter().all(|c| c.is_numeric())),
            ("has-hyphen", raw_chars.contains(&'-')),
            ("has-dot", raw_chars.contains(&'.')),
            ("punct", raw_chars.iter().all(|c| !c.is_alphanumeric())),
        ];
        for (name, on) in flags {
            if on {
                f.push(FeatureHash::new(8).str(name).finish());
            }
        }
        let start = tokens[i].sentence_start;
        if start {
            f.push(FeatureHash::new(19).finish());
            f.push(FeatureHash::new(20).str(&me.short).finish());
        }
        if tokens[i].line_start {
            f.push(FeatureHash::new(21).finish());
        }
        for d in (-w..=w).filter(|&d| d != 0) {
            let (word, shape) = match at(d) {
                Some(x) => (x.lower.as_str(), x.short.as_str()),
                None => (edge(d), edge(d)),
            };
            let dd = d.to_string();
            f.push(FeatureHash::new(9).str(&dd).str(word).finish());
            f.push(FeatureHash::new(10).str(&dd).str(shape).finish());
        }
        let prev = at(-1).map_or(BOS, |x| x.lower.as_str());
        let next = at(1).map_or(EOS, |x| x.lower.as_str());
        f.push(FeatureHash::new(11).str(prev).str(&me.lower).finish());
        f.push(FeatureHash::new(12).str(&me.lower).str(next).finish());
        let ps = at(-1).map_or(BOS, |x| x.short.as_str());
        let ns = at(1).map_or(EOS, |x| x.short.as_str());
        f.push(FeatureHash::new(13).str(ps).str(&me.short).str(ns).finish());
        // The previous word's suffix and the next word's: "of", "in", "'s" around a name.
        let prev_suffix: String = prev.chars().rev().take(3).collect();
        f.push(FeatureHash::new(14).str(&prev_suffix).finish());
        f.extend(gaz[i].iter().copied());
        if gaz[i].is_empty() {
            f.push(FeatureHash::new(42).finish());
        }
    }
    out.offsets.push(out.hashes.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_hashes_are_stable() {
        let w = Word::new("1996-08-22");
        assert_eq!(
            (w.shape.as_str(), w.short.as_str()),
            ("dddd-dd-dd", "d-d-d")
        );
        let w = Word::new("McDonald");
        assert_eq!(w.short, "XxXx");
        // The hash is part of the file format: it must not change.
        assert_eq!(
            FeatureHash::new(2).str("the").finish(),
            0x02b6_2052_bc2e_2b23
        );
    }

    #[test]
    fn phrases_are_found_by_their_words() {
        let mut g = Gazetteer::default();
        g.add(&["New", "York"], 1, 8);
        g.add(&["York"], 0, 8);
        let mut hits = Vec::new();
        phrase_hits(
            &["in", "New", "York", "today"],
            8,
            |h| g.entries.get(&h).copied(),
            |a, b, m| hits.push((a, b, m)),
        );
        assert_eq!(hits, [(1, 2, 0b10), (2, 2, 0b01)]);
    }
}
