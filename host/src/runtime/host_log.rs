//! `kefu:plugin/log`: a plugin's structured log lines, into the host's tracing.

use super::bindings::kefu::plugin::log::{Host, Level};
use super::state::PluginState;

/// Longest message kept; the rest is cut.
const MAX_MESSAGE: usize = 1024;
/// Most fields kept per line.
const MAX_FIELDS: usize = 16;

impl Host for PluginState {
    fn log(&mut self, level: Level, message: String, fields: Vec<(String, String)>) {
        if self.log_budget == 0 {
            return;
        }
        self.log_budget -= 1;
        let message = truncate(&message, MAX_MESSAGE);
        let fields: Vec<String> = fields
            .iter()
            .take(MAX_FIELDS)
            .map(|(k, v)| format!("{}={}", truncate(k, 64), truncate(v, 256)))
            .collect();
        let fields = fields.join(" ");
        let (tenant, plugin) = (&self.scope.tenant, &self.scope.plugin);
        match level {
            Level::Trace => {
                tracing::trace!(target: "kefu::plugin", tenant, plugin, fields, "{message}")
            }
            Level::Debug => {
                tracing::debug!(target: "kefu::plugin", tenant, plugin, fields, "{message}")
            }
            Level::Info => {
                tracing::info!(target: "kefu::plugin", tenant, plugin, fields, "{message}")
            }
            Level::Warn => {
                tracing::warn!(target: "kefu::plugin", tenant, plugin, fields, "{message}")
            }
            Level::Error => {
                tracing::error!(target: "kefu::plugin", tenant, plugin, fields, "{message}")
            }
        }
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub(super) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
