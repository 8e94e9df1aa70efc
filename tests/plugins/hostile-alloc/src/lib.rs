//! Hostile test plugin: `analyze` allocates and touches 1 GiB. The host's memory limit must
//! stop the linear memory from growing; the guest's allocator then aborts (a trap).

use kefu_plugin_sdk::*;
use std::hint::black_box;

struct HostileAlloc;

impl Plugin for HostileAlloc {
    fn init() -> Result<Self, PluginError> {
        Ok(HostileAlloc)
    }

    fn analyze(&self, _ctx: Context) -> Result<Analysis, PluginError> {
        // `vec![1u8; n]` writes every byte; `black_box` keeps the buffer (and the fill) alive.
        let buffer = black_box(vec![1u8; 1 << 30]);
        let byte = black_box(buffer[buffer.len() / 2]);
        let mut analysis = Analysis::empty();
        analysis.annotations.push(Field::new(
            "allocated",
            format!("{} bytes, middle byte {byte}", buffer.len()),
        ));
        Ok(analysis)
    }
}

export_plugin!(HostileAlloc);
