//! The trained model: a linear layer over hashed features, a softmax with a fitted temperature,
//! and its compact binary file (`data/model.bin`). Shared by the plugin and its trainer.
//!
//! ## File format (little-endian)
//! ```text
//! magic        8 bytes  "KEFUNLP1"
//! n_labels     u32
//! bits         u8       log2 of the number of hash buckets
//! precision    u8       1 = i8 weights, 2 = i16 weights
//! reserved     u16      0
//! flags        u32      feature flags (features.rs FLAG_*)
//! fingerprint  u64      Tables::fingerprint of the data/*.txt the model was trained with
//! temperature  f32
//! labels       n_labels × (u16 length + UTF-8 bytes)
//! bias         n_labels × f32
//! scale        n_labels × f32   per-label dequantisation factor
//! weights      2^bits × n_labels × i8|i16, bucket-major (one bucket's labels are adjacent)
//! checksum     u64      FNV-1a of every byte before it
//! ```
//! Quantising per label keeps each label's largest weight exact; with 16-bit weights the
//! rounding changes no prediction on the training data (the trainer checks this).

use std::fmt;

use crate::features::{FeatureConfig, fnv};

const MAGIC: &[u8; 8] = b"KEFUNLP1";

/// Why a model file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    BadMagic,
    Truncated,
    BadChecksum,
    Invalid(String),
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::BadMagic => write!(f, "not a Kefu NLP model file (bad magic)"),
            ModelError::Truncated => write!(f, "model file is truncated"),
            ModelError::BadChecksum => write!(f, "model file checksum mismatch"),
            ModelError::Invalid(why) => write!(f, "invalid model file: {why}"),
        }
    }
}

impl std::error::Error for ModelError {}

/// Quantised weights.
#[derive(Debug, Clone, PartialEq)]
enum Weights {
    /// `i8` weights as the file's bytes (two's complement), so loading is one copy.
    I8(Vec<u8>),
    I16(Vec<i16>),
}

/// A trained, quantised linear model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    labels: Vec<String>,
    features: FeatureConfig,
    fingerprint: u64,
    temperature: f32,
    bias: Vec<f32>,
    scale: Vec<f32>,
    weights: Weights,
}

/// A softmax at `temperature`, stable for large logits.
pub fn softmax(logits: &[f32], temperature: f32) -> Vec<f32> {
    let mut p = logits.to_vec();
    softmax_in_place(&mut p, temperature);
    p
}

/// [`softmax`] of `values` in place.
pub fn softmax_in_place(values: &mut [f32], temperature: f32) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for x in values.iter_mut() {
        *x = ((*x - max) / temperature).exp();
    }
    let sum: f32 = values.iter().sum();
    for x in values.iter_mut() {
        *x /= sum;
    }
}

/// Adds each feature's row of quantised weights (`acc.len()` per bucket, bucket-major) times its
/// value to `acc`, feature by feature; unknown buckets are ignored.
///
/// Labels go in blocks of [`BLOCK`] whose sums stay in registers while the features are added;
/// each label still adds its terms in feature order, so the sums are the same to the bit.
fn accumulate<Q: Copy>(
    acc: &mut [f32],
    weights: &[Q],
    value: impl Fn(Q) -> f32,
    buckets: usize,
    features: &[(u32, f32)],
) {
    let n = acc.len();
    let features = || {
        features
            .iter()
            .filter(|&&(id, _)| (id as usize) < buckets)
            .map(|&(id, v)| (id as usize * n, v))
    };
    let mut label = 0;
    while label + BLOCK <= n {
        let mut block: [f32; BLOCK] = acc[label..label + BLOCK].try_into().expect("a block");
        for (row, v) in features() {
            let q: &[Q; BLOCK] = weights[row + label..row + label + BLOCK]
                .try_into()
                .expect("a block");
            for (a, &q) in block.iter_mut().zip(q) {
                *a += v * value(q);
            }
        }
        acc[label..label + BLOCK].copy_from_slice(&block);
        label += BLOCK;
    }
    for (row, v) in features() {
        for (a, &q) in acc[label..].iter_mut().zip(&weights[row + label..row + n]) {
            *a += v * value(q);
        }
    }
}

/// Labels per block in [`accumulate`] (the 27 standard labels are three blocks).
const BLOCK: usize = 9;

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let end = self.pos.checked_add(n).ok_or(ModelError::Truncated)?;
        let out = self.bytes.get(self.pos..end).ok_or(ModelError::Truncated)?;
        self.pos = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, ModelError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn f32s(&mut self, n: usize) -> Result<Vec<f32>, ModelError> {
        (0..n).map(|_| self.f32()).collect()
    }
}

impl Model {
    /// Quantises trained float weights (`buckets × labels`, bucket-major) into a model.
    /// `precision` is 1 (i8) or 2 (i16) bytes per weight.
    #[allow(clippy::too_many_arguments)]
    pub fn quantize(
        labels: Vec<String>,
        features: FeatureConfig,
        fingerprint: u64,
        temperature: f32,
        bias: Vec<f32>,
        weights: &[f32],
        precision: u8,
    ) -> Model {
        let n = labels.len();
        assert_eq!(bias.len(), n, "one bias per label");
        assert_eq!(
            weights.len(),
            features.buckets() * n,
            "buckets × labels weights"
        );
        let max_q = if precision == 1 { 127.0 } else { 32767.0 };
        let mut scale = vec![0.0f32; n];
        for row in weights.chunks_exact(n) {
            for (s, w) in scale.iter_mut().zip(row) {
                *s = s.max(w.abs());
            }
        }
        for s in &mut scale {
            *s = if *s > 0.0 { *s / max_q } else { 1.0 };
        }
        let q = |i: usize| (weights[i] / scale[i % n]).round().clamp(-max_q, max_q);
        let weights = if precision == 1 {
            Weights::I8((0..weights.len()).map(|i| q(i) as i8 as u8).collect())
        } else {
            Weights::I16((0..weights.len()).map(|i| q(i) as i16).collect())
        };
        Model {
            labels,
            features,
            fingerprint,
            temperature,
            bias,
            scale,
            weights,
        }
    }

    /// The labels, in model order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The feature configuration the model was trained with.
    pub fn feature_config(&self) -> FeatureConfig {
        self.features
    }

    /// The fingerprint of the tables the model was trained with.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The softmax temperature.
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// The raw scores of each label.
    pub fn logits(&self, features: &[(u32, f32)]) -> Vec<f32> {
        let mut out = Vec::new();
        self.logits_into(features, &mut out);
        out
    }

    /// [`Model::logits`] into `out` (replacing its contents).
    pub fn logits_into(&self, features: &[(u32, f32)], out: &mut Vec<f32>) {
        out.clear();
        out.resize(self.labels.len(), 0.0);
        let buckets = self.features.buckets();
        match &self.weights {
            Weights::I8(w) => accumulate(out, w, |q| f32::from(q as i8), buckets, features),
            Weights::I16(w) => accumulate(out, w, f32::from, buckets, features),
        }
        for ((a, s), b) in out.iter_mut().zip(&self.scale).zip(&self.bias) {
            *a = b + *a * s;
        }
    }

    /// Calibrated probabilities of each label (they sum to 1).
    pub fn probabilities(&self, features: &[(u32, f32)]) -> Vec<f32> {
        let mut out = Vec::new();
        self.probabilities_into(features, &mut out);
        out
    }

    /// [`Model::probabilities`] into `out` (replacing its contents).
    pub fn probabilities_into(&self, features: &[(u32, f32)], out: &mut Vec<f32>) {
        self.logits_into(features, out);
        softmax_in_place(out, self.temperature);
    }

    /// `(label index, probability)`, most likely first; ties keep model order.
    pub fn ranked(&self, features: &[(u32, f32)]) -> Vec<(usize, f32)> {
        let mut ranked: Vec<(usize, f32)> = self
            .probabilities(features)
            .into_iter()
            .enumerate()
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    /// The model file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.labels.len() as u32).to_le_bytes());
        out.push(self.features.bits);
        out.push(match self.weights {
            Weights::I8(_) => 1,
            Weights::I16(_) => 2,
        });
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&self.features.flags.to_le_bytes());
        out.extend_from_slice(&self.fingerprint.to_le_bytes());
        out.extend_from_slice(&self.temperature.to_le_bytes());
        for label in &self.labels {
            out.extend_from_slice(&(label.len() as u16).to_le_bytes());
            out.extend_from_slice(label.as_bytes());
        }
        for x in self.bias.iter().chain(&self.scale) {
            out.extend_from_slice(&x.to_le_bytes());
        }
        match &self.weights {
            Weights::I8(w) => out.extend_from_slice(w),
            Weights::I16(w) => {
                for q in w {
                    out.extend_from_slice(&q.to_le_bytes());
                }
            }
        }
        let checksum = fnv(&out);
        out.extend_from_slice(&checksum.to_le_bytes());
        out
    }

    /// Reads a model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(ModelError::BadMagic);
        }
        if bytes.len() < MAGIC.len() + 8 {
            return Err(ModelError::Truncated);
        }
        let (body, tail) = bytes.split_at(bytes.len() - 8);
        if fnv(body) != u64::from_le_bytes(tail.try_into().expect("8 bytes")) {
            return Err(ModelError::BadChecksum);
        }
        let mut r = Reader {
            bytes: body,
            pos: MAGIC.len(),
        };
        let n = r.u32()? as usize;
        let bits = r.u8()?;
        let precision = r.u8()?;
        let _reserved = r.u16()?;
        let flags = r.u32()?;
        let fingerprint = r.u64()?;
        let temperature = r.f32()?;
        if n == 0 || n > 1024 {
            return Err(ModelError::Invalid(format!("{n} labels")));
        }
        if !(8..=24).contains(&bits) {
            return Err(ModelError::Invalid(format!("{bits} hash bits")));
        }
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(ModelError::Invalid(format!("temperature {temperature}")));
        }
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let len = r.u16()? as usize;
            let label = std::str::from_utf8(r.take(len)?)
                .map_err(|_| ModelError::Invalid("a label is not UTF-8".into()))?;
            labels.push(label.to_owned());
        }
        let bias = r.f32s(n)?;
        let scale = r.f32s(n)?;
        let count = (1usize << bits) * n;
        let weights = match precision {
            1 => Weights::I8(r.take(count)?.to_vec()),
            2 => Weights::I16(
                r.take(count * 2)?
                    .chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ),
            p => return Err(ModelError::Invalid(format!("precision {p}"))),
        };
        if r.pos != body.len() {
            return Err(ModelError::Invalid("trailing bytes".into()));
        }
        Ok(Model {
            labels,
            features: FeatureConfig { bits, flags },
            fingerprint,
            temperature,
            bias,
            scale,
            weights,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(precision: u8) -> Model {
        let features = FeatureConfig { bits: 8, flags: 5 };
        let labels: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let mut w = vec![0.0f32; 256 * 3];
        w[3] = 2.0; // bucket 1 → a
        w[7] = 1.5; // bucket 2 → b
        w[11] = -0.75; // bucket 3 → c
        w[12 + 2] = 0.25; // bucket 4 → c
        Model::quantize(
            labels,
            features,
            0xfeed,
            1.3,
            vec![0.1, 0.0, -0.1],
            &w,
            precision,
        )
    }

    #[test]
    fn model_file_round_trips() {
        for precision in [1, 2] {
            let m = toy(precision);
            let bytes = m.to_bytes();
            let back = Model::from_bytes(&bytes).unwrap();
            assert_eq!(back, m);
            assert_eq!(back.to_bytes(), bytes);
            assert_eq!(back.fingerprint(), 0xfeed);
            assert_eq!(back.feature_config(), FeatureConfig { bits: 8, flags: 5 });
        }
    }

    #[test]
    fn corrupt_files_are_refused() {
        let bytes = toy(1).to_bytes();
        assert_eq!(Model::from_bytes(b"nope"), Err(ModelError::BadMagic));
        assert_eq!(
            Model::from_bytes(&bytes[..bytes.len() - 1]),
            Err(ModelError::BadChecksum)
        );
        let mut flipped = bytes.clone();
        flipped[40] ^= 1;
        assert_eq!(Model::from_bytes(&flipped), Err(ModelError::BadChecksum));
    }

    #[test]
    fn quantised_scores_match_the_float_weights() {
        for precision in [1, 2] {
            let m = toy(precision);
            let logits = m.logits(&[(1, 1.0), (3, 0.5)]);
            let want = [0.1 + 2.0, 0.0, -0.1 - 0.375];
            for (got, want) in logits.iter().zip(want) {
                assert!((got - want).abs() < 0.02, "{got} vs {want}");
            }
        }
    }

    #[test]
    fn probabilities_are_a_sorted_distribution() {
        let m = toy(2);
        let ranked = m.ranked(&[(2, 1.0), (4, 1.0)]);
        assert_eq!(ranked[0].0, 1, "bucket 2 votes for b");
        assert!(ranked.windows(2).all(|w| w[0].1 >= w[1].1));
        let sum: f32 = ranked.iter().map(|r| r.1).sum();
        assert!((sum - 1.0).abs() < 1e-5);
        // Unknown buckets are ignored rather than indexing out of range.
        assert_eq!(m.logits(&[(100_000, 1.0)]), m.logits(&[]));
    }

    #[test]
    fn temperature_flattens_without_reordering() {
        let cold = softmax(&[2.0, 1.0, 0.0], 1.0);
        let warm = softmax(&[2.0, 1.0, 0.0], 3.0);
        assert!(warm[0] < cold[0]);
        assert!(warm[0] > warm[1] && warm[1] > warm[2]);
    }
}
