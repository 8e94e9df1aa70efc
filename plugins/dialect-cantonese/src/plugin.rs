//! The SDK glue: loads the bundled data once per instance, reads the tenant configuration and
//! implements `preprocess`. Compiled only for the wasm component.

use std::cell::RefCell;
use std::collections::BTreeMap;

use kefu_plugin_sdk::*;

use crate::engine::{Engine, Options};

/// The tenant configuration (every field optional: `{}` is a valid configuration).
#[derive(serde::Deserialize, Default, Debug)]
#[serde(default)]
struct DialectConfig {
    /// `false` turns the plugin off for the tenant without uninstalling it.
    enabled: Option<bool>,
    /// The detection threshold (default [`crate::engine::DEFAULT_THRESHOLD`]); higher is stricter.
    threshold: Option<f32>,
    /// The tenant's own phrases, Cantonese → Mandarin (shop names, products, local words).
    /// Applied first when a message is rewritten; they do not count as evidence.
    phrases: BTreeMap<String, String>,
}

struct DialectCantonese {
    engine: Engine,
    /// The last configuration seen and the options built from it: the configuration rarely
    /// changes, so tenant phrases are folded once, not per message.
    options: RefCell<Option<(String, bool, Options)>>,
}

impl DialectCantonese {
    fn options<R>(&self, f: impl FnOnce(bool, &Options) -> R) -> Result<R, PluginError> {
        let raw = config::raw();
        let mut cache = self.options.borrow_mut();
        let fresh = !matches!(&*cache, Some((seen, _, _)) if *seen == raw);
        if fresh {
            let cfg: DialectConfig = if raw.trim().is_empty() {
                DialectConfig::default()
            } else {
                serde_json::from_str(&raw)
                    .map_err(|e| PluginError::Misconfigured(format!("config: {e}")))?
            };
            let opts = Options::new(
                cfg.threshold,
                cfg.phrases.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                self.engine.t2s(),
            );
            *cache = Some((raw, cfg.enabled.unwrap_or(true), opts));
        }
        let (_, enabled, opts) = cache.as_ref().expect("filled above");
        Ok(f(*enabled, opts))
    }
}

impl Plugin for DialectCantonese {
    fn init() -> Result<Self, PluginError> {
        let t2s = data::read_to_string("t2s.txt")?;
        let lexicon = data::read_to_string("lexicon.tsv")?;
        let engine = Engine::new(&t2s, &lexicon).map_err(PluginError::Misconfigured)?;
        let (pairs, entries) = engine.size();
        log::debug(
            "dialect-cantonese loaded",
            &[
                ("t2s_pairs", &pairs.to_string()),
                ("lexicon_entries", &entries.to_string()),
            ],
        );
        Ok(DialectCantonese {
            engine,
            options: RefCell::new(None),
        })
    }

    fn preprocess(&self, ctx: Context) -> Result<Option<String>, PluginError> {
        // An event's text is a menu or follow key, not something the customer wrote.
        if ctx.message.kind == MessageKind::Event {
            return Ok(None);
        }
        let text = ctx.message.text;
        self.options(|enabled, opts| {
            if !enabled {
                return None;
            }
            let a = self.engine.preprocess(&text, opts)?;
            let markers: Vec<&str> = a.markers.iter().map(|m| m.phrase.as_str()).collect();
            log::debug(
                "cantonese rewritten",
                &[
                    ("score", &format!("{:.2}", a.score)),
                    ("markers", &markers.join(",")),
                ],
            );
            Some(a.rewritten)
        })
    }
}

export_plugin!(DialectCantonese);
