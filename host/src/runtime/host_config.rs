//! `kefu:plugin/config`: the tenant's validated configuration for this plugin.

use super::bindings::kefu::plugin::config::Host;
use super::state::PluginState;

impl Host for PluginState {
    fn get(&mut self) -> String {
        self.config_json.to_string()
    }
}
