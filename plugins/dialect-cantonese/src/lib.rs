//! # dialect-cantonese
//!
//! A `preprocess` plugin: it recognises written Cantonese (Traditional, Simplified or mixed
//! script) and rewrites it into Simplified Mandarin before the classifier sees it. Mandarin —
//! Taiwan Mandarin in Traditional script and northern colloquial Mandarin included — is left
//! alone (`None`).
//!
//! The work is done by three pure modules with no SDK dependency, so `cargo test -p
//! kefu-dialect-cantonese` runs natively (and `tools/harness` measures them): [`script`]
//! (character table and classes), [`lexicon`] (the phrase lexicon) and [`engine`] (detection and
//! rewriting). `plugin` is the SDK glue, compiled only for the wasm component.

pub mod engine;
pub mod lexicon;
pub mod script;

#[cfg(target_family = "wasm")]
mod plugin;
