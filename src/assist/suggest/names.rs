//! Name variants: a capitalised name one edit away from a much more frequent name in the
//! workspace ("Schorz" against "Scholz") is proposed as an `error` with its `correction`.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{ERROR_TAG, Source, Suggestion};
use crate::model::text::Text;

/// Names shorter than this (in chars) are never compared: too many short words are one edit
/// apart.
pub const MIN_NAME_CHARS: usize = 4;
/// The frequent form must occur at least this many times…
pub const MIN_FREQUENT: u32 = 3;
/// …and at least this many times as often as the variant.
pub const MIN_RATIO: u32 = 2;

/// Capitalised words (a capital, then at least one lowercase letter; not all capitals), with
/// their byte and char ranges.
fn capitalised_words(s: &str) -> impl Iterator<Item = (usize, usize, usize, usize)> + '_ {
    let mut it = super::char_positions(s).peekable();
    std::iter::from_fn(move || {
        loop {
            let (ci, bi, c) = it.next()?;
            if !c.is_alphabetic() {
                continue;
            }
            let (mut ce, mut be) = (ci + 1, bi + c.len_utf8());
            let mut lower = false;
            while let Some(&(cj, bj, d)) = it.peek() {
                if !d.is_alphabetic() {
                    break;
                }
                lower |= d.is_lowercase();
                ce = cj + 1;
                be = bj + d.len_utf8();
                it.next();
            }
            if c.is_uppercase() && lower {
                return Some((bi, be, ci, ce));
            }
        }
    })
}

/// Lowercase words of a text (to tell common words, capitalised at a sentence start, from
/// names).
fn is_lowercase_word(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_lowercase)
}

/// Optimal string alignment distance, stopping early above 1.
fn within_one_edit(a: &[char], b: &[char]) -> bool {
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let i = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[i..], &b[i..]);
    if ra.is_empty() && rb.is_empty() {
        return true;
    }
    // Substitution, insertion, deletion or transposition at the first difference.
    ra.get(1..) == rb.get(1..)
        || ra.get(1..) == Some(rb)
        || Some(ra) == rb.get(1..)
        || (ra.len() >= 2
            && rb.len() >= 2
            && ra[0] == rb[1]
            && ra[1] == rb[0]
            && ra[2..] == rb[2..])
}

/// The variants found among the names counted by [`NameCounts`].
#[derive(Debug, Default)]
pub(super) struct NameStats {
    /// Variant → frequent form.
    variants: HashMap<String, String>,
}

/// Name frequencies across the texts learned so far, one text at a time, and the lowercase
/// words seen (to tell common words from names).
#[derive(Debug, Default)]
pub(super) struct NameCounts {
    counts: HashMap<String, u32>,
    lower: HashSet<String>,
}

impl NameCounts {
    /// Counts the names and lowercase words of one more text.
    pub(super) fn add_text(&mut self, text: &Text) {
        let s = text.as_str();
        for (b, e, _, _) in capitalised_words(s) {
            let w = &s[b..e];
            match self.counts.get_mut(w) {
                Some(n) => *n += 1,
                None => {
                    self.counts.insert(w.to_owned(), 1);
                }
            }
        }
        for w in s.split(|c: char| !c.is_alphabetic()) {
            if is_lowercase_word(w)
                && w.chars().count() >= MIN_NAME_CHARS
                && !self.lower.contains(w)
            {
                self.lower.insert(w.to_owned());
            }
        }
    }

    /// The variants among the names counted so far.
    pub(super) fn stats(&self) -> NameStats {
        let (counts, lower) = (&self.counts, &self.lower);
        // Names that are also common words ("These", written "these" elsewhere) are left out.
        let mut names: Vec<(&str, u32, Vec<char>)> = counts
            .iter()
            .filter(|(w, _)| {
                w.chars().count() >= MIN_NAME_CHARS && !lower.contains(&w.to_lowercase())
            })
            .map(|(w, c)| (w.as_str(), *c, w.chars().collect()))
            .collect();
        // In a fixed order, so that of two frequent forms as frequent as each other the same
        // one wins in every run (the maps' order is random).
        names.sort_unstable_by(|a, b| a.0.cmp(b.0));
        // Every name under each of its one-char deletions: names one edit apart share a key.
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (w, _, chars)) in names.iter().enumerate() {
            by_key.entry((*w).to_owned()).or_default().push(i);
            for k in 0..chars.len() {
                let key: String = chars[..k].iter().chain(&chars[k + 1..]).collect();
                by_key.entry(key).or_default().push(i);
            }
        }
        let mut best: BTreeMap<usize, usize> = BTreeMap::new();
        for group in by_key.values().filter(|g| g.len() > 1) {
            for &a in group {
                for &b in group {
                    let (va, fa) = (&names[a], &names[b]);
                    // a is the variant, b the frequent form.
                    if a == b || fa.1 < MIN_FREQUENT || fa.1 < MIN_RATIO * va.1 {
                        continue;
                    }
                    // A misspelt name keeps its first letter ("Best" is no "West").
                    if va.2[0] != fa.2[0] {
                        continue;
                    }
                    // Inflections ("Russia" / "Russian") are not variants.
                    if fa.0.starts_with(va.0) || va.0.starts_with(fa.0) {
                        continue;
                    }
                    if !within_one_edit(&va.2, &fa.2) {
                        continue;
                    }
                    let better = best
                        .get(&a)
                        .is_none_or(|&cur| (names[cur].1, b) < (fa.1, cur));
                    if better {
                        best.insert(a, b);
                    }
                }
            }
        }
        let variants = best
            .into_iter()
            .map(|(a, b)| (names[a].0.to_owned(), names[b].0.to_owned()))
            .collect();
        NameStats { variants }
    }
}

impl NameStats {
    pub(super) fn find(&self, text: &str) -> Vec<Suggestion> {
        if self.variants.is_empty() {
            return Vec::new();
        }
        capitalised_words(text)
            .filter_map(|(b, e, start, end)| {
                let w = &text[b..e];
                let frequent = self.variants.get(w)?;
                let attrs = BTreeMap::from([
                    ("kind".to_owned(), "name".to_owned()),
                    ("correction".to_owned(), frequent.clone()),
                ]);
                Some(Suggestion {
                    start,
                    end,
                    tag: ERROR_TAG.to_owned(),
                    source: Source::Names,
                    attrs,
                    text: w.to_owned(),
                    score: 0.0,
                    by: None,
                    explanation: None,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn one_edit_means_one_substitution_insertion_deletion_or_swap() {
        assert!(within_one_edit(&c("Schorz"), &c("Scholz")));
        assert!(within_one_edit(&c("Macron"), &c("Marcon")));
        assert!(within_one_edit(&c("Putin"), &c("Puttin")));
        assert!(within_one_edit(&c("Putin"), &c("Puin")));
        assert!(!within_one_edit(&c("Biden"), &c("Bidden!")));
        assert!(!within_one_edit(&c("Truss"), &c("Trump")));
    }
}
