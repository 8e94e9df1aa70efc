//! Control test plugin, version 0.1.0: answers quickly and correctly. `respond` echoes the
//! message as `echo: <text>`; `classify` says `greeting` with confidence 0.9.
//! Two versions share the id `well-behaved` (0.1.0 and 0.2.0) for upgrade and rollback tests.

use kefu_plugin_sdk::*;

struct WellBehaved;

impl Plugin for WellBehaved {
    fn init() -> Result<Self, PluginError> {
        Ok(WellBehaved)
    }

    fn classify(&self, _ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        Ok(vec![IntentScore {
            label: "greeting".to_owned(),
            confidence: 0.9,
        }])
    }

    fn respond(&self, ctx: Context) -> Result<Option<Reply>, PluginError> {
        Ok(Some(Reply::text(format!("echo: {}", ctx.message.text))))
    }
}

export_plugin!(WellBehaved);
