//! Test plugin: `init` burns CPU (50 million opaque loop iterations) before the first hook can
//! run; `classify` itself is quick. The first call on a fresh instance runs `init`, so it must get
//! a larger budget than later calls.

use kefu_plugin_sdk::*;
use std::hint::black_box;

struct SlowStart {
    checksum: u64,
}

const INIT_ITERATIONS: u64 = 50_000_000;

impl Plugin for SlowStart {
    fn init() -> Result<Self, PluginError> {
        let mut checksum: u64 = 0;
        for i in 0..INIT_ITERATIONS {
            checksum = black_box(checksum.wrapping_mul(31).wrapping_add(black_box(i)));
        }
        Ok(SlowStart { checksum })
    }

    fn classify(&self, _ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        // The checksum is only used so the warm-up cannot be optimized away.
        let confidence = if black_box(self.checksum) == 0 {
            0.8
        } else {
            0.9
        };
        Ok(vec![IntentScore {
            label: "greeting".to_owned(),
            confidence,
        }])
    }
}

export_plugin!(SlowStart);
