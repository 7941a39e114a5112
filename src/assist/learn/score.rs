//! Exact-match scoring as conlleval counts it: a proposal is right only when a gold span has
//! the same start, end and tag; precision, recall and F1 per tag and over all tags.

use std::collections::BTreeMap;

use serde::Serialize;

/// Counts for one tag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub proposed: usize,
    pub gold: usize,
    pub correct: usize,
}

impl Counts {
    pub fn precision(&self) -> Option<f64> {
        (self.proposed > 0).then(|| self.correct as f64 / self.proposed as f64)
    }
    pub fn recall(&self) -> Option<f64> {
        (self.gold > 0).then(|| self.correct as f64 / self.gold as f64)
    }
    /// The harmonic mean of precision and recall; 0 when either is 0 or missing.
    pub fn f1(&self) -> f64 {
        let d = self.proposed + self.gold;
        if d == 0 {
            0.0
        } else {
            2.0 * self.correct as f64 / d as f64
        }
    }
    fn add(&mut self, o: Counts) {
        self.proposed += o.proposed;
        self.gold += o.gold;
        self.correct += o.correct;
    }
}

/// Counts per tag, summed over documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scores {
    pub by_tag: BTreeMap<String, Counts>,
}

impl Scores {
    /// Adds one document: spans as (start, end, tag). A gold span is found at most once.
    pub fn add(&mut self, proposed: &[(usize, usize, &str)], gold: &[(usize, usize, &str)]) {
        let mut gold_set: BTreeMap<(usize, usize, &str), usize> = BTreeMap::new();
        for g in gold {
            *gold_set.entry(*g).or_default() += 1;
            self.by_tag.entry(g.2.to_owned()).or_default().gold += 1;
        }
        for p in proposed {
            let c = self.by_tag.entry(p.2.to_owned()).or_default();
            c.proposed += 1;
            if let Some(n) = gold_set.get_mut(p)
                && *n > 0
            {
                *n -= 1;
                c.correct += 1;
            }
        }
    }

    /// All tags together (micro-averaged, as conlleval's "overall").
    pub fn overall(&self) -> Counts {
        let mut all = Counts::default();
        for c in self.by_tag.values() {
            all.add(*c);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_match_counts_like_conlleval() {
        let mut s = Scores::default();
        s.add(
            &[(0, 4, "PER"), (10, 14, "LOC"), (20, 25, "ORG")],
            &[(0, 4, "PER"), (10, 15, "LOC"), (20, 25, "LOC")],
        );
        let all = s.overall();
        assert_eq!((all.proposed, all.gold, all.correct), (3, 3, 1));
        assert!((all.f1() - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            s.by_tag["LOC"],
            Counts {
                proposed: 1,
                gold: 2,
                correct: 0
            }
        );
        assert_eq!(s.by_tag["ORG"].recall(), None);
    }
}
