//! # nlp-upgrade: a trained intent classifier for Kefu (add-on `nlp-upgrade`)
//!
//! Replaces the host's built-in classifier through the `classify` hook with a stronger model
//! behind the same 27 labels of `intents.md`: softmax regression over hashed character n-grams
//! and hand-written keyword classes, with a temperature fitted by cross-validation so that its
//! confidences are calibrated probabilities (the host's threshold and margin work on them).
//!
//! - [`features`]: normalisation (width, case, Traditional → Simplified, written Cantonese and
//!   Taiwan wording → Mandarin, typos) and hashed features; shared with the trainer.
//! - [`model`]: the compact model file and its scoring; shared with the trainer.
//! - [`classifier`]: tables + model loaded together, ranking with the tenant's options.
//! - `plugin`: the SDK glue, compiled only for the wasm component, so `cargo test -p
//!   kefu-nlp-upgrade` runs the rest natively.
//!
//! Data (`data/`, read once in `init`): `t2s.txt`, `rewrites.txt`, `lexicon.txt` and the
//! generated `model.bin` (see the README for how to rebuild it).

pub mod classifier;
pub mod features;
pub mod model;

#[cfg(target_family = "wasm")]
mod plugin;
