//! Hostile test plugin: returns results far larger than any sane output limit.
//! `respond` returns a 100 MiB reply; `classify` returns 200 000 intent scores whose labels add
//! up to about 10 MB.

use kefu_plugin_sdk::*;

struct HostileOutput;

/// How many intent scores `classify` returns.
const SCORES: usize = 200_000;
/// Each label is 50 bytes: `intent-` + a six-digit index + 37 bytes of padding.
const LABEL_PADDING: usize = 37;

impl Plugin for HostileOutput {
    fn init() -> Result<Self, PluginError> {
        Ok(HostileOutput)
    }

    fn classify(&self, _ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        let padding = "y".repeat(LABEL_PADDING);
        Ok((0..SCORES)
            .map(|i| IntentScore {
                label: format!("intent-{i:06}{padding}"),
                confidence: 0.5,
            })
            .collect())
    }

    fn respond(&self, _ctx: Context) -> Result<Option<Reply>, PluginError> {
        Ok(Some(Reply::text("x".repeat(100 * 1024 * 1024))))
    }
}

export_plugin!(HostileOutput);
