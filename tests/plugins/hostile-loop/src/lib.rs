//! Hostile test plugin: `classify` never returns. The host must interrupt it (fuel or epoch
//! deadline) and report a timeout, then throw the instance away.

use kefu_plugin_sdk::*;
use std::hint::black_box;

struct HostileLoop;

impl Plugin for HostileLoop {
    fn init() -> Result<Self, PluginError> {
        Ok(HostileLoop)
    }

    fn classify(&self, _ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        // `black_box` makes every iteration observable, so the loop cannot be optimized away.
        let mut counter: u64 = 0;
        loop {
            counter = black_box(counter.wrapping_add(1));
        }
    }
}

export_plugin!(HostileLoop);
