//! Hostile test plugin: `analyze` writes 4 KiB values under `k0`, `k1`, ... until the host
//! refuses a write (at most 100 000 attempts), then reports how far it got. Its manifest asks
//! for a 64 KiB quota, so the host should answer `quota-exceeded` after about 15 writes.
//!
//! Annotations: `written=<successful writes>` and `error=<Debug of the KvError>` (`error=none`
//! if every attempt succeeded, which would mean the quota is not enforced).

use kefu_plugin_sdk::*;

struct HostileKv;

const VALUE_SIZE: usize = 4096;
const MAX_ATTEMPTS: usize = 100_000;

impl Plugin for HostileKv {
    fn init() -> Result<Self, PluginError> {
        Ok(HostileKv)
    }

    fn analyze(&self, _ctx: Context) -> Result<Analysis, PluginError> {
        let value = vec![b'v'; VALUE_SIZE];
        let mut written = 0usize;
        let mut error = None;
        for i in 0..MAX_ATTEMPTS {
            match kv::set(&format!("k{i}"), &value) {
                Ok(()) => written += 1,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        let error = error.map_or_else(|| "none".to_owned(), |e| format!("{e:?}"));
        let mut analysis = Analysis::empty();
        analysis.annotations = vec![
            Field::new("written", written.to_string()),
            Field::new("error", error.clone()),
            Field::new("summary", format!("written={written} error={error}")),
        ];
        Ok(analysis)
    }
}

export_plugin!(HostileKv);
