//! A plugin package run locally, without a server: verified, its data unpacked into a
//! temporary directory, loaded by the real runtime with the operator's default limits narrowed
//! by its manifest, and called through a warm instance pool — the same sandbox as in
//! production. Used by `kefu plugin run` and `kefu eval … --plugin`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};

use crate::package::{Hook, Package, ReadLimits};
use crate::runtime::contract::{Context, Customer, Message, MessageKind, Owner, Session, Turn};
use crate::runtime::{
    CallReport, HookCall, InstancePool, Limits, LoadedPlugin, MemoryKv, PluginSpec, Runtime,
    RuntimeConfig,
};

/// The tenant id local runs use.
pub const LOCAL_TENANT: &str = "local";

/// A loaded package, ready to call.
pub struct LocalPlugin {
    pub package: Package,
    plugin: Arc<LoadedPlugin>,
    pool: InstancePool,
    config: Arc<str>,
    // Holds the unpacked data directory for the plugin's lifetime.
    _work: tempfile::TempDir,
}

/// Where `kefu eval --plugin ID` looks for first-party packages: `$KEFU_PLUGIN_DIR`, then
/// `target/kpkg` under the current directory, then the `kpkg` directory beside the build
/// directory of this executable (`target/release/kefu` → `target/kpkg`).
pub fn package_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(d) = std::env::var("KEFU_PLUGIN_DIR") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from("target/kpkg"));
    if let Ok(exe) = std::env::current_exe()
        && let Some(target) = exe.parent().and_then(Path::parent)
    {
        dirs.push(target.join("kpkg"));
    }
    dirs
}

/// Resolves `--plugin`: a path to a `.kpkg` file, or the id of a first-party plugin built by
/// `./scripts/build-plugins.sh`.
pub fn resolve_package(spec: &str) -> anyhow::Result<PathBuf> {
    let as_path = PathBuf::from(spec);
    if as_path.is_file() {
        return Ok(as_path);
    }
    if spec.ends_with(".kpkg") || spec.contains('/') {
        bail!("no package file at {spec}");
    }
    let dirs = package_dirs();
    for d in &dirs {
        let candidate = d.join(format!("{spec}.kpkg"));
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "no plugin {spec:?}: not a file, and no {spec}.kpkg in {} (build the first-party plugins with ./scripts/build-plugins.sh, or pass a path)",
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl LocalPlugin {
    /// Opens a package file; `config` is the tenant configuration as JSON (the manifest's
    /// default when `None`), validated against the plugin's schema.
    pub fn open(path: &Path, config: Option<&str>) -> anyhow::Result<LocalPlugin> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let package = Package::read(&bytes, &ReadLimits::default())
            .with_context(|| format!("{} is not a valid package", path.display()))?;
        package
            .manifest
            .check_contract(crate::registry::SUPPORTED_CONTRACTS)?;
        let config: serde_json::Value = match config {
            Some(c) => serde_json::from_str(c).context("the configuration is not valid JSON")?,
            None => package.manifest.default_config(),
        };
        if let Err(errors) = package.manifest.validate_config(&config) {
            bail!(
                "configuration does not match the plugin's schema: {}",
                errors.join("; ")
            );
        }
        let work = tempfile::tempdir()?;
        let data_dir = work.path().join("data");
        std::fs::create_dir_all(&data_dir)?;
        let cap = cap_std::fs::Dir::open_ambient_dir(&data_dir, cap_std::ambient_authority())?;
        package.write_data(&cap)?;
        // The compile cache: the data directory's when one is set, else a temporary one —
        // never the current directory (run from a plugin's folder it would end up packed).
        let cache = std::env::var("KEFU_DATA_DIR")
            .map(|d| PathBuf::from(d).join("cache"))
            .unwrap_or_else(|_| std::env::temp_dir().join("kefu-compile-cache"));
        let runtime = Runtime::new(RuntimeConfig::new(cache))?;
        let m = &package.manifest;
        let limits = crate::registry::effective_limits(&Limits::default(), m);
        let plugin = runtime.load(PluginSpec {
            id: &m.id,
            version: &m.version.to_string(),
            component: &package.component,
            hooks: m.hooks.clone(),
            limits,
            data_dir: Some(data_dir),
        })?;
        let pool = InstancePool::new(runtime, Arc::new(MemoryKv::default()));
        Ok(LocalPlugin {
            package,
            plugin,
            pool,
            config: Arc::from(config.to_string()),
            _work: work,
        })
    }

    pub fn id(&self) -> &str {
        &self.package.manifest.id
    }

    pub fn has_hook(&self, hook: Hook) -> bool {
        self.plugin.has_hook(hook)
    }

    /// Fails unless the plugin declares `hook`.
    pub fn require_hook(&self, hook: Hook) -> anyhow::Result<()> {
        if !self.has_hook(hook) {
            bail!(
                "plugin {} has no {} hook (it declares: {})",
                self.id(),
                hook.as_str(),
                self.package
                    .manifest
                    .hooks
                    .iter()
                    .map(|h| h.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(())
    }

    /// Calls one hook in the sandbox.
    pub fn call(&self, call: HookCall, timestamp_ms: u64) -> CallReport {
        self.pool.call(
            &self.plugin,
            LOCAL_TENANT,
            call,
            timestamp_ms,
            self.config.clone(),
        )
    }
}

/// A context for one text message from a customer with no history.
pub fn text_context(text: &str, customer: Customer, channel: &str, timestamp: u64) -> Context {
    Context {
        message: Message {
            tenant: LOCAL_TENANT.into(),
            channel: channel.to_owned(),
            customer_id: customer.id.clone(),
            text: text.to_owned(),
            kind: MessageKind::Text,
            timestamp,
        },
        customer,
        session: session_of(Vec::new()),
        intents: Vec::new(),
        annotations: Vec::new(),
    }
}

/// A bot-owned session with these turns.
pub fn session_of(turns: Vec<Turn>) -> Session {
    Session {
        id: "local".into(),
        turns,
        intent: None,
        owner: Owner::Bot,
    }
}

/// A customer with only an id.
pub fn anonymous_customer(id: &str) -> Customer {
    Customer {
        id: id.to_owned(),
        name: None,
        tags: Vec::new(),
        segment: None,
        vip: false,
        profile: Vec::new(),
    }
}

/// Progress on standard error, only when it is a terminal: `label n/total`.
pub struct Progress {
    label: &'static str,
    total: usize,
    on: bool,
}

impl Progress {
    pub fn new(label: &'static str, total: usize) -> Progress {
        use std::io::IsTerminal as _;
        Progress {
            label,
            total,
            on: std::io::stderr().is_terminal() && total >= 50,
        }
    }

    pub fn tick(&self, done: usize) {
        if self.on && (done.is_multiple_of(25) || done == self.total) {
            eprint!("\r{} {done}/{}", self.label, self.total);
            if done == self.total {
                eprintln!();
            }
        }
    }
}
