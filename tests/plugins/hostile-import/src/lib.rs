//! Hostile test plugin: a component that imports `kefu:hostile/net`, an interface the host does
//! not provide. It cannot be built on the SDK's world alone, so it uses wit-bindgen directly
//! (the WIT is `wit/world.wit`, which includes the contract's `plugin` world). `classify` calls
//! the missing import; the host should refuse the component before any hook runs.

#[allow(unsafe_code, clippy::all, missing_docs)]
mod bindings {
    wit_bindgen::generate!({
        path: ["../../../wit/0.1.0", "wit"],
        world: "kefu:hostile/evil",
        generate_all,
    });
}

use bindings::exports::kefu::plugin::hooks::Guest;
use bindings::kefu::hostile::net;
use bindings::kefu::plugin::types::{
    Analysis, Context, Customer, Inspection, IntentScore, PluginError, Reply, Session,
};

struct HostileImport;

impl Guest for HostileImport {
    fn preprocess(_ctx: Context) -> Result<Option<String>, PluginError> {
        Err(PluginError::Unsupported)
    }

    fn classify(_ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        let connected = net::connect("example.com");
        Ok(vec![IntentScore {
            label: format!("connected={connected}"),
            confidence: 1.0,
        }])
    }

    fn analyze(_ctx: Context) -> Result<Analysis, PluginError> {
        Err(PluginError::Unsupported)
    }

    fn respond(_ctx: Context) -> Result<Option<Reply>, PluginError> {
        Err(PluginError::Unsupported)
    }

    fn inspect(_session: Session, _customer: Customer) -> Result<Inspection, PluginError> {
        Err(PluginError::Unsupported)
    }
}

bindings::export!(HostileImport with_types_in bindings);
