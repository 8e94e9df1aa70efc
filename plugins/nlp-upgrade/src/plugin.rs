//! The SDK glue: loads the classifier once per instance and answers the `classify` hook with
//! the tenant's options. Compiled only for the wasm component.

use kefu_plugin_sdk::*;

use crate::classifier::{Classifier, RankOptions};

/// The tenant configuration (`{}` works: every field is optional).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NlpConfig {
    /// How many ranked labels to return (default 5).
    top_k: Option<usize>,
    /// Labels this tenant never wants; their probability goes to the others.
    exclude_labels: Vec<String>,
}

struct NlpUpgrade {
    classifier: Classifier,
}

impl Plugin for NlpUpgrade {
    fn init() -> Result<Self, PluginError> {
        let classifier = Classifier::load(
            &data::read_to_string("t2s.txt")?,
            &data::read_to_string("rewrites.txt")?,
            &data::read_to_string("lexicon.txt")?,
            &data::read("model.bin")?,
        )
        .map_err(|e| PluginError::Misconfigured(e.to_string()))?;
        Ok(NlpUpgrade { classifier })
    }

    fn classify(&self, ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        let cfg: NlpConfig = config::get()?;
        let options = RankOptions {
            top_k: cfg.top_k,
            exclude: cfg.exclude_labels,
        };
        Ok(self
            .classifier
            .rank(&ctx.message.text, &options)
            .into_iter()
            .map(|(label, confidence)| IntentScore { label, confidence })
            .collect())
    }
}

export_plugin!(NlpUpgrade);
