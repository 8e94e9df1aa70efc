//! # Kefu host
//!
//! A multi-tenant customer-service message platform. Messages come in over HTTP, run through
//! each tenant's pipeline of sandboxed WebAssembly plugins, and are answered; plugins are
//! installed from signed packages, enabled per tenant behind add-on subscriptions, and metered.
//!
//! Map: [`config`] (settings) → [`store`] (SQLite / PostgreSQL) → [`package`] (signed `.kpkg`)
//! → [`runtime`] (wasmtime, the only module that touches it) → [`registry`] (installed and
//! enabled plugins) → [`pipeline`] (a message's stages; [`classifier`] is the built-in intent
//! model) → [`metering`] → [`http`] (the API); [`channels`] are WeChat, WeCom and webhooks.
//! [`cli`] is the `kefu` command.

pub mod channels;
pub mod classifier;
pub mod cli;
pub mod config;
pub mod demo;
pub mod http;
pub mod metering;
pub mod package;
pub mod pipeline;
pub mod registry;
pub mod runtime;
pub mod store;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::channels::Channels;
use crate::config::Config;
use crate::http::{AppState, BodyLimits};
use crate::metering::Meter;
use crate::package::{ReadLimits, TrustedKeys};
use crate::pipeline::Pipeline;
use crate::registry::{Registry, RegistryConfig};
use crate::runtime::{InstancePool, Runtime, RuntimeConfig};
use crate::store::{DbKv, Store, Writer};

/// The id of the demo tenant `--demo` creates.
pub use demo::DEMO_TENANT;

/// A built application: its state and its router.
pub struct App {
    pub state: AppState,
    pub router: axum::Router,
    /// The operator key in force (from the environment or the data directory).
    pub operator_key: String,
}

/// Reads the operator key from the data directory, generating it on first start.
fn operator_key(config: &Config) -> anyhow::Result<String> {
    if let Some(k) = &config.operator_key {
        return Ok(k.clone());
    }
    let path = config.data_dir.join("operator.key");
    if let Ok(k) = std::fs::read_to_string(&path) {
        let k = k.trim().to_owned();
        if !k.is_empty() {
            return Ok(k);
        }
    }
    let key = http::auth::generate_key("kefu_op_");
    write_private(&path, &key)?;
    tracing::info!(path = %path.display(), "generated the operator key");
    Ok(key)
}

/// Writes a secret readable by the owner only.
pub(crate) fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    Ok(())
}

fn trusted_keys(config: &Config) -> anyhow::Result<TrustedKeys> {
    let mut keys: Vec<String> = config.trusted_keys.clone();
    let file = config.data_dir.join("trusted_keys");
    if let Ok(text) = std::fs::read_to_string(&file) {
        keys.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    TrustedKeys::from_strings(keys.iter().map(String::as_str)).context("invalid trusted key")
}

impl App {
    /// Opens the store, builds the runtime and the registry, and wires the router.
    pub async fn build(config: &Config) -> anyhow::Result<App> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
        let operator_key = operator_key(config)?;
        let store = Store::connect(&config.database_url)
            .await
            .with_context(|| {
                format!("cannot open the database {}", redact(&config.database_url))
            })?;
        let mut rt = RuntimeConfig::new(config.data_dir.join("cache"));
        rt.limits = config.limits;
        rt.max_warm_instances = config.max_warm_instances;
        let runtime = Runtime::new(rt)?;
        let pool = InstancePool::new(runtime, Arc::new(DbKv::new(store.clone())));
        let registry = Arc::new(Registry::new(
            store.clone(),
            pool,
            RegistryConfig {
                plugins_dir: config.data_dir.join("plugins"),
                trusted_keys: trusted_keys(config)?,
                read_limits: ReadLimits::default(),
            },
        ));
        let writer = Writer::start(store.clone());
        let meter = Meter::start(writer.clone());
        let pipeline = Pipeline {
            store: store.clone(),
            writer,
            known_tenants: Arc::default(),
            conversations: Arc::new(crate::pipeline::conversations::Conversations::new(
                store.clone(),
                config.conversation_idle_secs as i64 * 1000,
            )),
            rules: Arc::default(),
            routing: Arc::default(),
            customers: Arc::new(crate::pipeline::customers::Customers::new(store.clone())),
            registry: registry.clone(),
            meter: meter.clone(),
            plugin_slots: Arc::new(tokio::sync::Semaphore::new(
                crate::pipeline::default_plugin_slots(),
            )),
        };
        let outbox_http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("cannot build the outbox HTTP client")?;
        let channels = Channels::new(store.clone(), pipeline.clone(), outbox_http.clone());
        tokio::spawn(channels::outbox::run(channels.clone(), outbox_http));
        let state = AppState {
            store,
            registry,
            pipeline,
            channels,
            meter,
            operator_key_hash: http::auth::hash_key(&operator_key),
            started: Instant::now(),
        };
        let router = http::router(
            state.clone(),
            BodyLimits {
                json_bytes: config.max_body_bytes,
                package_bytes: config.max_package_bytes,
            },
        );
        Ok(App {
            state,
            router,
            operator_key,
        })
    }

    /// Installs every package of a directory (skipping installed ones) and loads the plugins
    /// enabled for any tenant, so the first message finds them compiled.
    pub async fn prepare(&self, config: &Config) -> anyhow::Result<()> {
        if let Some(dir) = &config.install_dir {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .with_context(|| format!("cannot read {}", dir.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "kpkg"))
                .collect();
            entries.sort();
            for path in entries {
                let bytes = std::fs::read(&path)?;
                let registry = self.state.registry.clone();
                let installed = tokio::task::spawn_blocking(move || {
                    tokio::runtime::Handle::current().block_on(registry.install(&bytes))
                })
                .await?
                .with_context(|| format!("cannot install {}", path.display()))?;
                tracing::info!(plugin = %installed.plugin_id, version = %installed.version, "installed");
            }
        }
        if config.demo {
            self.seed_demo(config).await?;
        }
        // The built-in classifier trains at first use (~0.1 s in a release build): start now,
        // in the background, so the first message does not wait for it.
        tokio::task::spawn_blocking(|| {
            crate::classifier::IntentClassifier::builtin();
        });
        let recovered = self.state.channels.recover().await?;
        if recovered > 0 {
            tracing::info!(
                recovered,
                "finished inbound messages left over from the last run"
            );
        }
        let registry = self.state.registry.clone();
        let rows = self.state.store.all_tenant_plugins().await?;
        tokio::task::spawn_blocking(move || {
            let handle = tokio::runtime::Handle::current();
            for tp in rows.iter().filter(|tp| tp.enabled) {
                if let Err(e) = handle.block_on(registry.loaded(&tp.plugin_id, &tp.version)) {
                    tracing::error!(plugin = %tp.plugin_id, version = %tp.version, error = %e, "cannot load an enabled plugin");
                }
            }
        })
        .await?;
        Ok(())
    }

    /// The demo tenant (see [`demo`]): every add-on subscribed, the first-party add-on plugins
    /// enabled and configured, rules, routing, agents and a webhook channel. Its key is written
    /// to `DATA_DIR/demo-tenant.key`.
    async fn seed_demo(&self, config: &Config) -> anyhow::Result<()> {
        let store = &self.state.store;
        if store.tenant(DEMO_TENANT).await.is_err() {
            store
                .create_tenant(DEMO_TENANT, "演示教育机构 Demo Education", "Asia/Shanghai")
                .await?;
            let key = http::auth::generate_key("kefu_t_");
            store
                .add_api_key(DEMO_TENANT, &http::auth::hash_key(&key), &key[..12])
                .await?;
            write_private(&config.data_dir.join("demo-tenant.key"), &key)?;
            for addon in store.addons().await? {
                store.subscribe(DEMO_TENANT, &addon.id).await?;
            }
        }
        // The first-party add-ons (plugins that belong to an add-on) are enabled; free sample
        // plugins such as `example` are not (its classifier would shadow the NLP upgrade).
        let mut seen = std::collections::BTreeSet::new();
        for v in store.plugin_versions().await? {
            if seen.insert(v.plugin_id.clone())
                && store
                    .tenant_plugin(DEMO_TENANT, &v.plugin_id)
                    .await?
                    .is_none()
                && self
                    .state
                    .registry
                    .manifest(&v.plugin_id, &v.version)
                    .await?
                    .addon
                    .is_some()
            {
                self.state
                    .registry
                    .enable(DEMO_TENANT, &v.plugin_id, None)
                    .await?;
            }
        }
        demo::seed(store, &self.state.registry, &config.data_dir).await?;
        Ok(())
    }
}

/// Hides the password of a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Runs the server on `listener` until `shutdown` resolves, then drains in-flight requests
/// and metering.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let app = App::build(&config).await?;
    app.prepare(&config).await?;
    tracing::info!(
        addr = %listener.local_addr()?,
        ready_ms = started.elapsed().as_millis() as u64,
        "kefu is ready"
    );
    axum::serve(listener, app.router.clone())
        .with_graceful_shutdown(shutdown)
        .await?;
    tokio::time::timeout(Duration::from_secs(10), app.state.meter.flush())
        .await
        .ok();
    app.state.store.close().await;
    Ok(())
}
