//! The plugin runtime: the only module that touches wasmtime.
//!
//! - **One engine** for the process, with fuel (CPU metering and the CPU cap) and epoch
//!   interruption (the wall-clock deadline, driven by a ticker thread).
//! - **Compiled once**: a component is compiled with Cranelift once per (component hash, engine
//!   settings) and the artifact cached on disk; a restart only maps it back in.
//! - **`InstancePre` per plugin version**: imports are resolved at load time, so a component that
//!   imports anything the host does not provide is refused at install, not at the first message.
//! - **Instances per (tenant, plugin version)**, kept warm between messages by [`InstancePool`]
//!   so a plugin's data and models are loaded once per instance, never per message, and never
//!   shared between tenants. A trap, timeout or out-of-memory discards the instance; the call
//!   fails alone and the message goes on without it.
//! - **Limits per call**: fuel, a wall-clock deadline, a memory cap and an output cap, defaults
//!   set by the operator; a manifest may only ask for less.

mod bindings;
mod guest_output;
mod host_config;
mod host_kv;
mod host_log;
mod instance;
mod memory_kv;
mod pool;
mod state;

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine};

pub use instance::{CallReport, HookCall, HookOutput, Instance, Outcome};
pub use memory_kv::MemoryKv;
pub use pool::{InstancePool, PoolStats};
use state::PluginState;

/// The contract's data types, as the rest of the host uses them.
pub mod contract {
    pub use super::bindings::kefu::plugin::types::*;

    /// A turn's role from its name (`customer`, `agent`, `bot`), as stored and as the
    /// datasets write it.
    pub fn parse_role(name: &str) -> Option<Role> {
        match name {
            "customer" => Some(Role::Customer),
            "agent" => Some(Role::Agent),
            "bot" => Some(Role::Bot),
            _ => None,
        }
    }
}

/// How often the epoch advances; wall-clock deadlines are counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(1);
/// Largest key a plugin may store.
pub const MAX_KV_KEY_BYTES: usize = 512;
/// Largest value a plugin may store.
pub const MAX_KV_VALUE_BYTES: usize = 1024 * 1024;

/// Per-call limits of a plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Fuel (roughly, wasm instructions) one call may burn.
    pub fuel: u64,
    /// Largest linear memory, in bytes.
    pub memory_bytes: u64,
    /// Wall-clock deadline of one call, in milliseconds.
    pub timeout_ms: u64,
    /// Largest result one call may return, in bytes.
    pub output_bytes: u64,
    /// Largest total size of the plugin's key/value data for one tenant, in bytes.
    pub kv_quota_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 500_000_000,
            memory_bytes: 64 * 1024 * 1024,
            timeout_ms: 100,
            output_bytes: 256 * 1024,
            kv_quota_bytes: 1024 * 1024,
        }
    }
}

/// What a manifest asks for; each value only counts when it is below the operator's default.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestedLimits {
    pub fuel: Option<u64>,
    pub memory_mb: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub output_kb: Option<u64>,
    pub kv_quota_kb: Option<u64>,
}

impl Limits {
    /// These limits narrowed by what a manifest asks for: never wider than the operator's.
    pub fn narrowed(&self, req: &RequestedLimits) -> Limits {
        let pick = |ours: u64, theirs: Option<u64>, unit: u64| {
            theirs
                .map(|t| t.saturating_mul(unit).min(ours))
                .unwrap_or(ours)
        };
        Limits {
            fuel: pick(self.fuel, req.fuel, 1),
            memory_bytes: pick(self.memory_bytes, req.memory_mb, 1024 * 1024),
            timeout_ms: pick(self.timeout_ms, req.timeout_ms, 1),
            output_bytes: pick(self.output_bytes, req.output_kb, 1024),
            kv_quota_bytes: pick(self.kv_quota_bytes, req.kv_quota_kb, 1024),
        }
    }
}

/// Runtime settings chosen by the operator.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Where compiled components are cached.
    pub cache_dir: PathBuf,
    /// Default (and maximum) per-call limits.
    pub limits: Limits,
    /// The first call of a fresh instance also runs the plugin's `init` (loading its data): it
    /// gets this many times the usual fuel and time.
    pub init_multiplier: u32,
    /// Most idle instances kept warm, over all tenants and plugins.
    pub max_warm_instances: usize,
    /// An instance idle this long is dropped.
    pub instance_idle: Duration,
    /// An instance is replaced after this many calls, bounding the effect of a slow leak.
    pub max_calls_per_instance: u64,
    /// Bytes of stdout/stderr kept per call and stream.
    pub guest_output_bytes: usize,
    /// Log lines a plugin may write per call.
    pub log_lines_per_call: u32,
}

impl RuntimeConfig {
    /// Defaults, caching under `cache_dir`.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        RuntimeConfig {
            cache_dir: cache_dir.into(),
            limits: Limits::default(),
            init_multiplier: 20,
            max_warm_instances: 512,
            instance_idle: Duration::from_secs(600),
            max_calls_per_instance: 100_000,
            guest_output_bytes: 4096,
            log_lines_per_call: 32,
        }
    }
}

/// Whose data a plugin instance works on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PluginScope {
    pub tenant: String,
    pub plugin: String,
}

/// Why a key/value operation failed, as the backend reports it.
#[derive(Debug)]
pub enum KvFailure {
    QuotaExceeded,
    Unavailable(String),
}

/// Storage behind the `kv` interface. Called from the thread running the plugin (never an async
/// worker), so implementations may block.
pub trait KvBackend: Send + Sync {
    fn get(&self, scope: &PluginScope, key: &str) -> Result<Option<Vec<u8>>, KvFailure>;
    /// Writes `value`, unless the scope's total (keys + values) would then exceed `quota_bytes`.
    fn set(
        &self,
        scope: &PluginScope,
        key: &str,
        value: &[u8],
        quota_bytes: u64,
    ) -> Result<(), KvFailure>;
    fn delete(&self, scope: &PluginScope, key: &str) -> Result<(), KvFailure>;
    fn list_keys(
        &self,
        scope: &PluginScope,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>, KvFailure>;
}

/// Errors loading a component.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("the component does not compile: {0}")]
    Compile(String),
    #[error("the component imports something the host does not provide: {0}")]
    Imports(String),
    #[error("the component does not export the kefu:plugin hooks: {0}")]
    Exports(String),
    #[error("instantiation failed: {0}")]
    Instantiate(String),
    #[error("compile cache: {0}")]
    Cache(String),
}

/// A plugin version ready to be instantiated.
pub struct LoadedPlugin {
    pub id: String,
    pub version: String,
    /// Hooks the manifest declares: the host calls only these.
    pub hooks: Vec<crate::package::Hook>,
    pub limits: Limits,
    /// The package's `data/` directory, preopened read-only at `/data`.
    pub data_dir: Option<PathBuf>,
    pre: bindings::PluginPre<PluginState>,
}

impl LoadedPlugin {
    /// `id@version`.
    pub fn key(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }
    pub fn has_hook(&self, hook: crate::package::Hook) -> bool {
        self.hooks.contains(&hook)
    }
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("id", &self.id)
            .field("version", &self.version)
            .field("hooks", &self.hooks)
            .field("limits", &self.limits)
            .finish()
    }
}

/// What to load.
pub struct PluginSpec<'a> {
    pub id: &'a str,
    pub version: &'a str,
    pub component: &'a [u8],
    pub hooks: Vec<crate::package::Hook>,
    pub limits: Limits,
    pub data_dir: Option<PathBuf>,
}

/// The process-wide plugin runtime. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    engine: Engine,
    linker: Linker<PluginState>,
    config: RuntimeConfig,
    /// Identifies the engine's settings and wasmtime's version in cache file names.
    engine_tag: String,
}

impl Runtime {
    /// Builds the engine and linker and starts the epoch ticker.
    pub fn new(config: RuntimeConfig) -> anyhow::Result<Runtime> {
        let mut wasm = Config::new();
        wasm.consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(512 * 1024)
            .parallel_compilation(true);
        let engine = Engine::new(&wasm).map_err(anyhow::Error::from)?;

        let mut linker = Linker::<PluginState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(anyhow::Error::from)?;
        bindings::Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .map_err(anyhow::Error::from)?;

        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_tag = format!("{:016x}", hasher.finish());

        std::fs::create_dir_all(&config.cache_dir)?;
        start_epoch_ticker(&engine);
        Ok(Runtime {
            inner: Arc::new(RuntimeInner {
                engine,
                linker,
                config,
                engine_tag,
            }),
        })
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.inner.config
    }

    /// Compiles (or maps from the cache) and pre-instantiates a component.
    pub fn load(&self, spec: PluginSpec<'_>) -> Result<Arc<LoadedPlugin>, RuntimeError> {
        let component = self.compile_cached(spec.component)?;
        let instance_pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(|e| RuntimeError::Imports(format!("{e:#}")))?;
        let pre = bindings::PluginPre::new(instance_pre)
            .map_err(|e| RuntimeError::Exports(format!("{e:#}")))?;
        Ok(Arc::new(LoadedPlugin {
            id: spec.id.to_owned(),
            version: spec.version.to_owned(),
            hooks: spec.hooks,
            limits: spec.limits,
            data_dir: spec.data_dir,
            pre,
        }))
    }

    fn cache_path(&self, component: &[u8]) -> PathBuf {
        let digest = hex::encode(Sha256::digest(component));
        self.inner
            .config
            .cache_dir
            .join(format!("{digest}-{}.cwasm", self.inner.engine_tag))
    }

    fn compile_cached(&self, bytes: &[u8]) -> Result<Component, RuntimeError> {
        let path = self.cache_path(bytes);
        if path.exists() {
            match load_artifact(&self.inner.engine, &path) {
                Ok(c) => return Ok(c),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding unusable compile cache entry")
                }
            }
        }
        let component = Component::new(&self.inner.engine, bytes)
            .map_err(|e| RuntimeError::Compile(format!("{e:#}")))?;
        let artifact = component
            .serialize()
            .map_err(|e| RuntimeError::Cache(format!("{e:#}")))?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, artifact)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| RuntimeError::Cache(format!("{}: {e}", path.display())))?;
        Ok(component)
    }

    /// Creates a fresh instance of `plugin` working for `scope`.
    pub fn instantiate(
        &self,
        plugin: &Arc<LoadedPlugin>,
        scope: PluginScope,
        kv: Arc<dyn KvBackend>,
    ) -> Result<Instance, RuntimeError> {
        Instance::new(self, plugin, scope, kv)
    }

    fn engine(&self) -> &Engine {
        &self.inner.engine
    }
}

/// Maps a compiled artifact this host wrote into memory.
#[allow(unsafe_code)]
fn load_artifact(engine: &Engine, path: &Path) -> anyhow::Result<Component> {
    // SAFETY: deserialising runs no checks on the machine code. The file is one this host wrote
    // into its own cache directory (named by the component's hash and the engine's settings), not
    // anything that arrived in a package; wasmtime checks the header matches this engine.
    unsafe { Component::deserialize_file(engine, path) }.map_err(anyhow::Error::from)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("kefu-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => return,
                }
            }
        })
        .expect("spawn the epoch ticker thread");
}

/// Epoch ticks for a deadline of `ms` milliseconds.
fn ticks_for(ms: u64) -> u64 {
    (ms / EPOCH_TICK.as_millis() as u64).max(1) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_can_only_narrow_the_operators_limits() {
        let ops = Limits::default();
        let asked = RequestedLimits {
            fuel: Some(1_000),
            memory_mb: Some(100_000),
            timeout_ms: Some(50),
            output_kb: None,
            kv_quota_kb: Some(64),
        };
        let got = ops.narrowed(&asked);
        assert_eq!(got.fuel, 1_000);
        assert_eq!(
            got.memory_bytes, ops.memory_bytes,
            "asking for more memory gets the default"
        );
        assert_eq!(got.timeout_ms, 50);
        assert_eq!(got.output_bytes, ops.output_bytes);
        assert_eq!(got.kv_quota_bytes, 64 * 1024);
        let huge = RequestedLimits {
            memory_mb: Some(u64::MAX),
            ..Default::default()
        };
        assert_eq!(
            ops.narrowed(&huge).memory_bytes,
            ops.memory_bytes,
            "no overflow"
        );
    }

    #[test]
    fn deadlines_round_up_to_whole_epoch_ticks() {
        assert_eq!(ticks_for(0), 2);
        assert_eq!(ticks_for(100), 101);
    }
}
