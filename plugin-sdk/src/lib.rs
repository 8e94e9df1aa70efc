//! # kefu-plugin-sdk
//!
//! Everything an author needs to write a Kefu plugin: implement [`Plugin`] (every hook has a
//! default that answers "unsupported"), list the hooks you implement in `manifest.toml`, and call
//! [`export_plugin!`] once. Build with `cargo build --release --target wasm32-wasip2`, pack with
//! `kefu plugin pack`, try it with `kefu plugin run`.
//!
//! ```ignore
//! use kefu_plugin_sdk::*;
//!
//! struct Echo;
//!
//! impl Plugin for Echo {
//!     fn init() -> Result<Self, PluginError> {
//!         Ok(Echo)
//!     }
//!     fn respond(&self, ctx: Context) -> Result<Option<Reply>, PluginError> {
//!         Ok(Some(Reply { text: format!("you said: {}", ctx.message.text), annotations: vec![] }))
//!     }
//! }
//!
//! export_plugin!(Echo);
//! ```
//!
//! ## Instances and data
//! The host keeps a plugin instance alive between messages (per tenant, so no state leaks from
//! one business to another) and throws it away after a failure or when it has been idle. [`Plugin::init`]
//! runs once per instance, on its first call: load your script library, lexicon or model weights
//! there (from [`data`]), not in the hooks.
//!
//! ## What a plugin can reach
//! Its bundled files under `/data` (read-only), its key/value store ([`kv`]), its per-tenant
//! configuration ([`config`]) and the host's log ([`log`]). No network, no environment, no host
//! files; the only clock is `message.timestamp`.

/// The generated bindings. Not part of the API: use the re-exports at the crate root.
#[doc(hidden)]
#[allow(unsafe_code, clippy::all, missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/0.1.0",
        world: "plugin",
        pub_export_macro: true,
        default_bindings_module: "kefu_plugin_sdk::bindings",
        export_macro_name: "__export_kefu_plugin",
    });
}

pub use bindings::kefu::plugin::types::{
    Analysis, Context, Customer, Field, Finding, Inspection, IntentScore, Message, MessageKind,
    Owner, PluginError, Reply, Role, Sentiment, Session, Severity, Turn,
};

/// A Kefu plugin. Implement the hooks your manifest lists; the others keep their defaults.
///
/// The host calls the hooks in pipeline order: `preprocess` → `classify` → `analyze` →
/// `respond`, and `inspect` once per finished session.
pub trait Plugin: Sized + 'static {
    /// Builds the plugin's state once per instance: load bundled data here.
    fn init() -> Result<Self, PluginError>;

    /// Rewrites the message text before classification; `None` leaves it unchanged.
    fn preprocess(&self, _ctx: Context) -> Result<Option<String>, PluginError> {
        Err(PluginError::Unsupported)
    }

    /// Ranks intents, most likely first, with confidences in [0, 1].
    fn classify(&self, _ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        Err(PluginError::Unsupported)
    }

    /// Judges sentiment, emotion, tags and whether a human should take over.
    fn analyze(&self, _ctx: Context) -> Result<Analysis, PluginError> {
        Err(PluginError::Unsupported)
    }

    /// Answers the customer, or `None` to let another responder answer.
    fn respond(&self, _ctx: Context) -> Result<Option<Reply>, PluginError> {
        Err(PluginError::Unsupported)
    }

    /// Inspects a whole session for quality findings.
    fn inspect(&self, _session: Session, _customer: Customer) -> Result<Inspection, PluginError> {
        Err(PluginError::Unsupported)
    }
}

/// Exports a [`Plugin`] implementation as the component's hooks. Call it once, at the crate root.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ident) => {
        #[doc(hidden)]
        pub struct __KefuPluginExport;

        ::std::thread_local! {
            static __KEFU_PLUGIN: ::std::result::Result<$plugin, $crate::PluginError> =
                <$plugin as $crate::Plugin>::init();
        }

        impl __KefuPluginExport {
            fn with<R>(
                f: impl FnOnce(&$plugin) -> ::std::result::Result<R, $crate::PluginError>,
            ) -> ::std::result::Result<R, $crate::PluginError> {
                __KEFU_PLUGIN.with(|p| match p {
                    Ok(p) => f(p),
                    Err(e) => Err(e.clone()),
                })
            }
        }

        impl $crate::bindings::exports::kefu::plugin::hooks::Guest for __KefuPluginExport {
            fn preprocess(
                ctx: $crate::Context,
            ) -> ::std::result::Result<Option<String>, $crate::PluginError> {
                Self::with(|p| $crate::Plugin::preprocess(p, ctx))
            }
            fn classify(
                ctx: $crate::Context,
            ) -> ::std::result::Result<Vec<$crate::IntentScore>, $crate::PluginError> {
                Self::with(|p| $crate::Plugin::classify(p, ctx))
            }
            fn analyze(
                ctx: $crate::Context,
            ) -> ::std::result::Result<$crate::Analysis, $crate::PluginError> {
                Self::with(|p| $crate::Plugin::analyze(p, ctx))
            }
            fn respond(
                ctx: $crate::Context,
            ) -> ::std::result::Result<Option<$crate::Reply>, $crate::PluginError> {
                Self::with(|p| $crate::Plugin::respond(p, ctx))
            }
            fn inspect(
                session: $crate::Session,
                customer: $crate::Customer,
            ) -> ::std::result::Result<$crate::Inspection, $crate::PluginError> {
                Self::with(|p| $crate::Plugin::inspect(p, session, customer))
            }
        }

        $crate::bindings::__export_kefu_plugin!(__KefuPluginExport with_types_in $crate::bindings);
    };
}

/// Structured logging into the host's tracing, tagged with the tenant and the plugin.
pub mod log {
    use crate::bindings::kefu::plugin::log as host;

    fn emit(level: host::Level, message: &str, fields: &[(&str, &str)]) {
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        host::log(level, message, &fields);
    }

    /// Logs at debug level.
    pub fn debug(message: &str, fields: &[(&str, &str)]) {
        emit(host::Level::Debug, message, fields);
    }
    /// Logs at info level.
    pub fn info(message: &str, fields: &[(&str, &str)]) {
        emit(host::Level::Info, message, fields);
    }
    /// Logs at warn level.
    pub fn warn(message: &str, fields: &[(&str, &str)]) {
        emit(host::Level::Warn, message, fields);
    }
    /// Logs at error level.
    pub fn error(message: &str, fields: &[(&str, &str)]) {
        emit(host::Level::Error, message, fields);
    }
}

/// The plugin's key/value store, scoped to (tenant, plugin) and limited by a quota.
pub mod kv {
    use crate::bindings::kefu::plugin::kv as host;
    pub use crate::bindings::kefu::plugin::kv::KvError;

    /// Reads a value.
    pub fn get(key: &str) -> Result<Option<Vec<u8>>, KvError> {
        host::get(key)
    }
    /// Writes a value.
    pub fn set(key: &str, value: &[u8]) -> Result<(), KvError> {
        host::set(key, value)
    }
    /// Deletes a value.
    pub fn delete(key: &str) -> Result<(), KvError> {
        host::delete(key)
    }
    /// Lists keys with a prefix, sorted, at most 1000.
    pub fn list_keys(prefix: &str) -> Result<Vec<String>, KvError> {
        host::list_keys(prefix)
    }
    /// Reads a UTF-8 string value.
    pub fn get_string(key: &str) -> Result<Option<String>, KvError> {
        Ok(get(key)?.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }
}

/// The tenant's configuration for this plugin.
pub mod config {
    use crate::PluginError;

    /// The configuration as raw JSON (`{}` when the tenant set none).
    pub fn raw() -> String {
        crate::bindings::kefu::plugin::config::get()
    }

    /// The configuration parsed into your type (the host has already validated it against the
    /// schema in your manifest).
    pub fn get<T: serde::de::DeserializeOwned>() -> Result<T, PluginError> {
        serde_json::from_str(&raw()).map_err(|e| PluginError::Misconfigured(e.to_string()))
    }
}

/// The plugin's bundled data files, read-only under `/data`.
pub mod data {
    use crate::PluginError;

    /// Where the package's `data/` directory is mounted.
    pub const ROOT: &str = "/data";

    /// Reads a bundled file as bytes; `path` is relative to `data/` in the package.
    pub fn read(path: &str) -> Result<Vec<u8>, PluginError> {
        std::fs::read(format!("{ROOT}/{path}"))
            .map_err(|e| PluginError::Misconfigured(format!("cannot read data/{path}: {e}")))
    }

    /// Reads a bundled UTF-8 text file.
    pub fn read_to_string(path: &str) -> Result<String, PluginError> {
        String::from_utf8(read(path)?)
            .map_err(|_| PluginError::Misconfigured(format!("data/{path} is not UTF-8")))
    }
}

/// Small helpers for building results.
impl Reply {
    /// A reply with text only.
    pub fn text(text: impl Into<String>) -> Self {
        Reply {
            text: text.into(),
            annotations: Vec::new(),
        }
    }
}

impl Field {
    /// A key/value field.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Field {
            key: key.into(),
            value: value.into(),
        }
    }
}

impl Analysis {
    /// An analysis that judges nothing.
    pub fn empty() -> Self {
        Analysis {
            sentiment: None,
            emotion: None,
            tags: Vec::new(),
            escalate: false,
            annotations: Vec::new(),
        }
    }
}
