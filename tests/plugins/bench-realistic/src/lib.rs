//! Benchmark plugin: `classify` runs [`logic::classify`] over the bundled keyword table.

mod logic;

use kefu_plugin_sdk::*;

struct Scorer {
    model: logic::Model,
}

impl Plugin for Scorer {
    fn init() -> Result<Self, PluginError> {
        Ok(Scorer {
            model: logic::parse(&data::read_to_string("keywords.tsv")?),
        })
    }

    fn classify(&self, ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        Ok(logic::classify(&self.model, &ctx.message.text)
            .into_iter()
            .map(|(label, confidence)| IntentScore { label, confidence })
            .collect())
    }
}

export_plugin!(Scorer);
