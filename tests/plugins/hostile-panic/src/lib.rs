//! Hostile test plugin: `respond` panics. With `panic = "abort"` that is a wasm trap
//! (`unreachable`); the host must record an error and throw the instance away.

use kefu_plugin_sdk::*;

struct HostilePanic;

impl Plugin for HostilePanic {
    fn init() -> Result<Self, PluginError> {
        Ok(HostilePanic)
    }

    fn respond(&self, _ctx: Context) -> Result<Option<Reply>, PluginError> {
        panic!("hostile plugin panicked on purpose")
    }
}

export_plugin!(HostilePanic);
