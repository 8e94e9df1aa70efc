//! Hostile test plugin: `classify` recurses without bound. The guest's stack (the shadow stack
//! in linear memory, or the host's wasm stack limit) overflows, which must surface as a trap.

use kefu_plugin_sdk::*;
use std::hint::black_box;

struct HostileRecursion;

/// Recurses until the stack runs out. The exit test is opaque to the optimizer (so there is no
/// "unconditional recursion" to fold away), the local frame escapes, and the recursive result is
/// passed through `black_box` before use, so the call cannot become a loop.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if black_box(depth) == u64::MAX {
        return 0;
    }
    let mut frame = [0u8; 128];
    frame[(depth % 128) as usize] = depth as u8;
    black_box(&mut frame);
    let below = black_box(recurse(black_box(depth + 1)));
    below.wrapping_add(u64::from(frame[0])).wrapping_add(1)
}

impl Plugin for HostileRecursion {
    fn init() -> Result<Self, PluginError> {
        Ok(HostileRecursion)
    }

    fn classify(&self, _ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        let depth = recurse(0);
        Ok(vec![IntentScore {
            label: format!("depth-{depth}"),
            confidence: 0.5,
        }])
    }
}

export_plugin!(HostileRecursion);
