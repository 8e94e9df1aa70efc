//! The plugin's pure modules, compiled natively (see Cargo.toml).
#[path = "../../../src/lexicon.rs"]
pub mod lexicon;
#[path = "../../../src/nb.rs"]
pub mod nb;
#[path = "../../../src/qa.rs"]
pub mod qa;
#[path = "../../../src/sentiment.rs"]
pub mod sentiment;
#[path = "../../../src/settings.rs"]
pub mod settings;
