//! The plugin's pure modules, compiled natively (their `#[cfg(test)]` tests run with `cargo test`).
#[path = "../../../src/engine.rs"]
pub mod engine;
#[path = "../../../src/lexicon.rs"]
pub mod lexicon;
#[path = "../../../src/script.rs"]
pub mod script;

/// The bundled data, as the plugin reads it from `/data`.
pub fn bundled_engine() -> engine::Engine {
    engine::Engine::new(
        include_str!("../../../data/t2s.txt"),
        include_str!("../../../data/lexicon.tsv"),
    )
    .expect("bundled data loads")
}
