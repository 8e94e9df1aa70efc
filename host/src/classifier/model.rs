//! Multinomial logistic regression (softmax) over sparse hashed features, trained with AdaGrad
//! and L2, plus a softmax temperature fitted on a held-back fifth of the training data.
//!
//! Deterministic: one thread, a fixed-seed shuffle, no hash-map iteration on any path that
//! touches the numbers, so the same data and parameters always give bit-identical weights.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::N_LABELS;
use super::features::Hash;

/// The features are already well-mixed 64-bit hashes; hashing them again is wasted work.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type FeatureIndex = HashMap<Hash, u32, BuildHasherDefault<PassThrough>>;

/// How the model is trained. The defaults were chosen by 5-fold cross-validation on the
/// training data (see the module docs of [`super`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams {
    /// Passes over the training data.
    pub epochs: usize,
    /// AdaGrad base learning rate.
    pub learning_rate: f32,
    /// L2 penalty per update of an active weight.
    pub l2: f32,
    /// Seed of the per-epoch shuffles.
    pub seed: u64,
    /// Fit a softmax temperature on every fifth line, predicted by a model trained on the rest
    /// (costs one extra training run); otherwise the temperature is 1.
    pub fit_temperature: bool,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            epochs: 20,
            learning_rate: 0.3,
            l2: 3e-4,
            seed: 0x6b65_6675,
            fit_temperature: true,
        }
    }
}

/// splitmix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Fisher–Yates.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// A sparse input: feature ids with values (binary, L2-normalised).
type Sparse = Vec<(u32, f32)>;

/// A trained model.
#[derive(Clone, PartialEq)]
pub(super) struct Model {
    index: FeatureIndex,
    /// Row-major: feature × label.
    weights: Vec<f32>,
    bias: [f32; N_LABELS],
    temperature: f32,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("features", &self.index.len())
            .field("temperature", &self.temperature)
            .finish_non_exhaustive()
    }
}

fn softmax(logits: &[f32; N_LABELS], temperature: f32) -> [f32; N_LABELS] {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut p = [0.0f32; N_LABELS];
    let mut sum = 0.0;
    for (pk, &l) in p.iter_mut().zip(logits) {
        *pk = ((l - max) / temperature).exp();
        sum += *pk;
    }
    for pk in &mut p {
        *pk /= sum;
    }
    p
}

/// Dedups the hashes known to `index` into binary features scaled to unit length, so a long
/// message does not outvote a short one by sheer feature count.
fn encode(index: &FeatureIndex, feats: &[Hash]) -> Sparse {
    let mut ids: Vec<u32> = feats.iter().filter_map(|h| index.get(h).copied()).collect();
    ids.sort_unstable();
    ids.dedup();
    let value = if ids.is_empty() {
        0.0
    } else {
        1.0 / (ids.len() as f32).sqrt()
    };
    ids.into_iter().map(|id| (id, value)).collect()
}

struct Trained {
    weights: Vec<f32>,
    bias: [f32; N_LABELS],
}

fn logits_of(weights: &[f32], bias: &[f32; N_LABELS], x: &Sparse) -> [f32; N_LABELS] {
    let mut z = *bias;
    for &(id, v) in x {
        let row = &weights[id as usize * N_LABELS..(id as usize + 1) * N_LABELS];
        for (zk, &w) in z.iter_mut().zip(row) {
            *zk += w * v;
        }
    }
    z
}

fn fit(data: &[(Sparse, usize)], n_features: usize, params: &TrainParams) -> Trained {
    const EPS: f32 = 1e-6;
    let mut weights = vec![0.0f32; n_features * N_LABELS];
    let mut acc = vec![0.0f32; n_features * N_LABELS];
    let mut bias = [0.0f32; N_LABELS];
    let mut bias_acc = [0.0f32; N_LABELS];
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = Rng::new(params.seed);
    let lr = params.learning_rate;
    for _ in 0..params.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let (x, y) = &data[i];
            let p = softmax(&logits_of(&weights, &bias, x), 1.0);
            let mut g = p;
            g[*y] -= 1.0;
            for k in 0..N_LABELS {
                bias_acc[k] += g[k] * g[k];
                bias[k] -= lr * g[k] / (bias_acc[k].sqrt() + EPS);
            }
            for &(id, v) in x {
                let base = id as usize * N_LABELS;
                let w = &mut weights[base..base + N_LABELS];
                let a = &mut acc[base..base + N_LABELS];
                for k in 0..N_LABELS {
                    let grad = g[k] * v + params.l2 * w[k];
                    a[k] += grad * grad;
                    w[k] -= lr * grad / (a[k].sqrt() + EPS);
                }
            }
        }
    }
    Trained { weights, bias }
}

/// The temperature minimising the negative log-likelihood of `logits` (golden-section search).
fn fit_temperature(logits: &[([f32; N_LABELS], usize)]) -> f32 {
    let nll = |t: f32| -> f64 {
        logits
            .iter()
            .map(|(z, y)| -f64::from(softmax(z, t)[*y].max(1e-12)).ln())
            .sum()
    };
    let (mut lo, mut hi) = (0.05f32, 20.0f32);
    let phi = 0.618_034f32;
    for _ in 0..60 {
        let a = hi - phi * (hi - lo);
        let b = lo + phi * (hi - lo);
        if nll(a) < nll(b) {
            hi = b;
        } else {
            lo = a;
        }
    }
    (lo + hi) / 2.0
}

impl Model {
    /// Trains on `(features, label index)` pairs.
    pub(super) fn train(examples: &[(Vec<Hash>, usize)], params: &TrainParams) -> Model {
        let mut index = FeatureIndex::default();
        for (feats, _) in examples {
            for &h in feats {
                let next = index.len() as u32;
                index.entry(h).or_insert(next);
            }
        }
        let data: Vec<(Sparse, usize)> = examples
            .iter()
            .map(|(f, y)| (encode(&index, f), *y))
            .collect();

        let temperature = if params.fit_temperature && data.len() >= 10 {
            // Every fifth line: the data is grouped by label, so this split is stratified.
            let (held, rest): (Vec<usize>, Vec<usize>) = (0..data.len()).partition(|i| i % 5 == 0);
            let part: Vec<(Sparse, usize)> = rest.iter().map(|&i| data[i].clone()).collect();
            let t = fit(&part, index.len(), params);
            let logits: Vec<([f32; N_LABELS], usize)> = held
                .iter()
                .map(|&i| (logits_of(&t.weights, &t.bias, &data[i].0), data[i].1))
                .collect();
            fit_temperature(&logits)
        } else {
            1.0
        };

        let trained = fit(&data, index.len(), params);
        Model {
            index,
            weights: trained.weights,
            bias: trained.bias,
            temperature,
        }
    }

    /// Calibrated probabilities for each label, in label order, and how many distinct features
    /// of the message the model knows (0: it has seen nothing like it).
    pub(super) fn probabilities(&self, feats: &[Hash]) -> ([f32; N_LABELS], usize) {
        let x = encode(&self.index, feats);
        let p = softmax(&logits_of(&self.weights, &self.bias, &x), self.temperature);
        (p, x.len())
    }

    pub(super) fn temperature(&self) -> f32 {
        self.temperature
    }

    pub(super) fn n_features(&self) -> usize {
        self.index.len()
    }
}
