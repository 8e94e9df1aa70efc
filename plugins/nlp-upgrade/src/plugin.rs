//! The SDK glue: loads the classifier once per instance and answers the `classify` hook with
//! the tenant's options. Compiled only for the wasm component.

use std::cell::RefCell;

use kefu_plugin_sdk::*;

use crate::classifier::{Classifier, RankOptions, Scratch};

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
    /// The last configuration seen (raw JSON) and its options: the host passes the tenant's
    /// configuration on every call, and it rarely changes, so it is parsed only when it does.
    options: RefCell<Option<(String, RankOptions)>>,
    /// Buffers reused from call to call.
    scratch: RefCell<Scratch>,
}

impl NlpUpgrade {
    /// The ranking options of the current call's configuration.
    fn with_options<R>(&self, f: impl FnOnce(&RankOptions) -> R) -> Result<R, PluginError> {
        let raw = config::raw();
        let mut cached = self.options.borrow_mut();
        if let Some((seen, options)) = cached.as_ref()
            && *seen == raw
        {
            return Ok(f(options));
        }
        let cfg: NlpConfig =
            serde_json::from_str(&raw).map_err(|e| PluginError::Misconfigured(e.to_string()))?;
        let options = RankOptions {
            top_k: cfg.top_k,
            exclude: cfg.exclude_labels,
        };
        let out = f(&options);
        *cached = Some((raw, options));
        Ok(out)
    }
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
        Ok(NlpUpgrade {
            classifier,
            options: RefCell::new(None),
            scratch: RefCell::default(),
        })
    }

    fn classify(&self, ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        let mut scratch = self.scratch.borrow_mut();
        let ranked = self.with_options(|options| {
            self.classifier
                .rank_with(&ctx.message.text, options, &mut scratch)
        })?;
        Ok(ranked
            .into_iter()
            .map(|(label, confidence)| IntentScore { label, confidence })
            .collect())
    }
}

export_plugin!(NlpUpgrade);
