//! The learning itself: a structured averaged perceptron over BIO labels (Collins 2002), with
//! first-order transitions decoded by Viterbi, and forward–backward for the scores.
//!
//! Labels: `0` is outside, `1 + 2k` begins a span of the model's tag `k`, `2 + 2k` continues
//! one. A continuation may only follow a begin or a continuation of its tag; the decoders never
//! take a step that breaks this, so every decoded sequence reads as spans.

/// The labels of `tags` tags.
pub fn label_count(tags: usize) -> usize {
    1 + 2 * tags
}

/// Whether label `b` may follow label `a` (`a` is `0`, outside, before the first token).
pub fn allowed(a: usize, b: usize) -> bool {
    if b == 0 || b % 2 == 1 {
        return true;
    }
    // `b` continues tag (b-2)/2: only after its begin (b-1) or itself.
    a == b - 1 || a == b
}

/// The weights being learnt (or learnt): `rows × labels` emission weights and
/// `labels × labels` transitions.
#[derive(Debug, Clone)]
pub struct Weights {
    pub labels: usize,
    pub emission: Vec<f32>,
    pub transition: Vec<f32>,
}

impl Weights {
    /// The emission scores of one token: `out[l]` is the sum of its features' weights for `l`.
    pub fn emit(&self, rows: impl Iterator<Item = usize>, out: &mut [f32]) {
        out.fill(0.0);
        let l = self.labels;
        for r in rows {
            let w = &self.emission[r * l..(r + 1) * l];
            for (o, x) in out.iter_mut().zip(w) {
                *o += *x;
            }
        }
    }
}

/// The best label sequence for emission scores `emit` (`n × labels`).
pub fn viterbi(emit: &[f32], labels: usize, transition: &[f32]) -> Vec<usize> {
    let n = emit.len() / labels.max(1);
    if n == 0 {
        return Vec::new();
    }
    let mut score = vec![f32::NEG_INFINITY; labels];
    for (b, s) in score.iter_mut().enumerate() {
        if allowed(0, b) {
            *s = transition[b] + emit[b];
        }
    }
    let mut back = vec![0u8; n * labels];
    let mut next = vec![f32::NEG_INFINITY; labels];
    for t in 1..n {
        for b in 0..labels {
            let mut best = f32::NEG_INFINITY;
            let mut arg = 0usize;
            for (a, s) in score.iter().enumerate() {
                if !allowed(a, b) {
                    continue;
                }
                let v = s + transition[a * labels + b];
                if v > best {
                    best = v;
                    arg = a;
                }
            }
            next[b] = best + emit[t * labels + b];
            back[t * labels + b] = arg as u8;
        }
        std::mem::swap(&mut score, &mut next);
    }
    let mut last = 0;
    for (b, s) in score.iter().enumerate() {
        if *s > score[last] {
            last = b;
        }
    }
    let mut path = vec![0usize; n];
    path[n - 1] = last;
    for t in (1..n).rev() {
        path[t - 1] = usize::from(back[t * labels + path[t]]);
    }
    path
}

fn logsumexp(xs: impl Iterator<Item = f32>) -> f32 {
    let v: Vec<f32> = xs.collect();
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if m == f32::NEG_INFINITY {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f32>().ln()
}

/// Forward and backward log scores of every (token, label), the scores divided by
/// `temperature`: the model read as a linear-chain CRF.
pub struct Lattice {
    pub labels: usize,
    pub alpha: Vec<f32>,
    pub beta: Vec<f32>,
    /// The emission scores, divided by the temperature.
    pub emit: Vec<f32>,
    /// The transitions, divided by the temperature.
    pub transition: Vec<f32>,
    pub log_z: f32,
}

impl Lattice {
    pub fn new(emit: &[f32], labels: usize, transition: &[f32], temperature: f32) -> Self {
        let n = emit.len() / labels.max(1);
        let emit: Vec<f32> = emit.iter().map(|x| x / temperature).collect();
        let tr: Vec<f32> = (0..labels * labels)
            .map(|i| {
                if allowed(i / labels, i % labels) {
                    transition[i] / temperature
                } else {
                    f32::NEG_INFINITY
                }
            })
            .collect();
        let mut alpha = vec![f32::NEG_INFINITY; n * labels];
        let mut beta = vec![0.0f32; n * labels];
        if n > 0 {
            for b in 0..labels {
                alpha[b] = tr[b] + emit[b];
            }
            for t in 1..n {
                for b in 0..labels {
                    let prev = &alpha[(t - 1) * labels..t * labels];
                    alpha[t * labels + b] =
                        logsumexp(prev.iter().enumerate().map(|(a, s)| s + tr[a * labels + b]))
                            + emit[t * labels + b];
                }
            }
            for t in (0..n - 1).rev() {
                for a in 0..labels {
                    beta[t * labels + a] = logsumexp((0..labels).map(|b| {
                        tr[a * labels + b] + emit[(t + 1) * labels + b] + beta[(t + 1) * labels + b]
                    }));
                }
            }
        }
        let log_z = if n == 0 {
            0.0
        } else {
            logsumexp(alpha[(n - 1) * labels..].iter().copied())
        };
        Self {
            labels,
            alpha,
            beta,
            emit,
            transition: tr,
            log_z,
        }
    }

    /// The probability of label `l` at token `t`.
    pub fn marginal(&self, t: usize, l: usize) -> f32 {
        let i = t * self.labels + l;
        (self.alpha[i] + self.beta[i] - self.log_z).exp()
    }

    /// The probability that tokens `first..=last` are exactly one span of tag `k`: a begin,
    /// continuations, and no continuation after it.
    pub fn span_probability(&self, first: usize, last: usize, k: usize) -> f32 {
        let l = self.labels;
        let (b, i) = (1 + 2 * k, 2 + 2 * k);
        let n = self.alpha.len() / l;
        let mut s = self.alpha[first * l + b];
        let mut cur = b;
        for t in first + 1..=last {
            s += self.transition[cur * l + i] + self.emit[t * l + i];
            cur = i;
        }
        let tail = if last + 1 < n {
            logsumexp((0..l).filter(|&x| x != i).map(|x| {
                self.transition[cur * l + x]
                    + self.emit[(last + 1) * l + x]
                    + self.beta[(last + 1) * l + x]
            }))
        } else {
            0.0
        };
        (s + tail - self.log_z).exp().clamp(0.0, 1.0)
    }
}

/// One training sequence: its tokens' feature rows and gold labels.
pub struct Sequence {
    /// `offsets[t]..offsets[t + 1]` of `rows` are token `t`'s feature rows.
    pub rows: Vec<u32>,
    pub offsets: Vec<usize>,
    pub gold: Vec<u8>,
}

impl Sequence {
    pub fn len(&self) -> usize {
        self.gold.len()
    }
    pub fn is_empty(&self) -> bool {
        self.gold.is_empty()
    }
    fn token_rows(&self, t: usize) -> impl Iterator<Item = usize> + '_ {
        self.rows[self.offsets[t]..self.offsets[t + 1]]
            .iter()
            .map(|&r| r as usize)
    }
}

/// The perceptron's state while learning: the weights, and for averaging the sum of each
/// update times the step it was made at (Daumé's trick: the average is `w - u / c`).
pub struct Trainer {
    pub w: Weights,
    u_emission: Vec<f64>,
    u_transition: Vec<f64>,
    c: f64,
    emit: Vec<f32>,
}

impl Trainer {
    pub fn new(rows: usize, labels: usize) -> Self {
        Self {
            w: Weights {
                labels,
                emission: vec![0.0; rows * labels],
                transition: vec![0.0; labels * labels],
            },
            u_emission: vec![0.0; rows * labels],
            u_transition: vec![0.0; labels * labels],
            c: 1.0,
            emit: Vec::new(),
        }
    }

    /// Decodes `seq` with the current weights and moves them towards its gold labels. Returns
    /// how many tokens were wrong.
    pub fn learn(&mut self, seq: &Sequence) -> usize {
        let l = self.w.labels;
        let n = seq.len();
        self.emit.resize(n * l, 0.0);
        for t in 0..n {
            let (w, emit) = (&self.w, &mut self.emit[t * l..(t + 1) * l]);
            w.emit(seq.token_rows(t), emit);
        }
        let pred = viterbi(&self.emit, l, &self.w.transition);
        let mut wrong = 0;
        let c = self.c;
        let bump = |w: &mut [f32], u: &mut [f64], i: usize, d: f32| {
            w[i] += d;
            u[i] += c * f64::from(d);
        };
        for t in 0..n {
            let (g, p) = (usize::from(seq.gold[t]), pred[t]);
            let (gp, pp) = if t == 0 {
                (0, 0)
            } else {
                (usize::from(seq.gold[t - 1]), pred[t - 1])
            };
            if g != p {
                wrong += 1;
                for r in seq.token_rows(t) {
                    bump(&mut self.w.emission, &mut self.u_emission, r * l + g, 1.0);
                    bump(&mut self.w.emission, &mut self.u_emission, r * l + p, -1.0);
                }
            }
            if (gp, g) != (pp, p) {
                bump(
                    &mut self.w.transition,
                    &mut self.u_transition,
                    gp * l + g,
                    1.0,
                );
                bump(
                    &mut self.w.transition,
                    &mut self.u_transition,
                    pp * l + p,
                    -1.0,
                );
            }
        }
        self.c += 1.0;
        wrong
    }

    /// The averaged weights.
    pub fn averaged(self) -> Weights {
        let c = self.c;
        let avg = |w: Vec<f32>, u: Vec<f64>| -> Vec<f32> {
            w.into_iter()
                .zip(u)
                .map(|(w, u)| (f64::from(w) - u / c) as f32)
                .collect()
        };
        Weights {
            labels: self.w.labels,
            emission: avg(self.w.emission, self.u_emission),
            transition: avg(self.w.transition, self.u_transition),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders_keep_bio_and_probabilities_sum_to_one() {
        // Two tags: labels O, B-0, I-0, B-1, I-1. Token 1 prefers I-1, which cannot follow
        // B-0: Viterbi must not take it.
        let l = label_count(2);
        let emit = [
            0.0, 3.0, 0.0, 0.0, 0.0, //
            0.0, 0.0, 1.0, 0.0, 5.0, //
            1.0, 0.0, 0.0, 0.0, 0.0,
        ];
        let tr = vec![0.0; l * l];
        let path = viterbi(&emit, l, &tr);
        for t in 1..path.len() {
            assert!(allowed(path[t - 1], path[t]), "{path:?}");
        }
        assert!(allowed(0, path[0]));
        let lat = Lattice::new(&emit, l, &tr, 1.0);
        for t in 0..3 {
            let s: f32 = (0..l).map(|x| lat.marginal(t, x)).sum();
            assert!((s - 1.0).abs() < 1e-4, "{s}");
        }
        // The probability of a one-token span is at most its begin's marginal.
        let p = lat.span_probability(0, 0, 0);
        assert!(p > 0.0 && p <= lat.marginal(0, 1) + 1e-6);
    }

    #[test]
    fn the_perceptron_learns_a_separable_rule() {
        // Feature row 0 marks a name's first token, row 1 its second, row 2 anything else.
        let seq = Sequence {
            rows: vec![2, 0, 1, 2],
            offsets: vec![0, 1, 2, 3, 4],
            gold: vec![0, 1, 2, 0],
        };
        let mut tr = Trainer::new(3, label_count(1));
        for _ in 0..5 {
            tr.learn(&seq);
        }
        let w = tr.averaged();
        let mut emit = vec![0.0; 4 * w.labels];
        for t in 0..4 {
            w.emit(
                std::iter::once(seq.rows[t] as usize),
                &mut emit[t * w.labels..(t + 1) * w.labels],
            );
        }
        assert_eq!(viterbi(&emit, w.labels, &w.transition), [0, 1, 2, 0]);
    }
}
